//! Providers: the services where an app's users consent and where Authdeck gets its tokens.
//!
//! A [`Provider`] is a preset, a base URL and what its kind needs ([`KindSettings`]). The
//! preset decides the wire protocol: Hivesigner's, the Steemconnect v2 API that SteemLogin
//! kept, a standard OAuth 2.0 / OpenID Connect server (endpoints discovered or entered), or an
//! "apps tab" token site. Every URL is asked of the provider, never built elsewhere.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{field, Error, Result};

/// The providers Authdeck knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Hivesigner at `https://hivesigner.com`.
    Hivesigner,
    /// SteemLogin at `https://steemlogin.com` (the Steemconnect v2 API).
    SteemLogin,
    /// A Hivesigner-compatible server at a base URL the person gives (self-hosted, staging).
    HivesignerCompatible,
    /// A Steemconnect v2-compatible server (a self-hosted SteemLogin) at a base URL.
    SteemconnectCompatible,
    /// The offline sandbox of `cargo run --example sandbox` at `http://127.0.0.1:8787`. No
    /// longer offered (see [`Preset::offered`]); apps registered with it keep working.
    LocalSandbox,
    /// A standard OAuth 2.0 / OpenID Connect server, named by its issuer URL.
    OAuth2Server,
    /// An "apps tab" token site, named by its base URL.
    TokenSite,
    /// The sandbox's OAuth 2.0 server, at [`SANDBOX_OAUTH2_ISSUER`].
    LocalOAuth2Sandbox,
    /// The sandbox's token site, at [`SANDBOX_TOKEN_SITE_URL`].
    LocalTokenSiteSandbox,
}

/// How a provider's token endpoint and API speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Hivesigner: JSON token requests, signed-statement tokens that never expire server-side.
    Hivesigner,
    /// Steemconnect v2 (SteemLogin): form token requests with `grant_type`, expiring JWTs.
    SteemconnectV2,
    /// RFC 6749 with PKCE (RFC 7636), `iss` (RFC 9207) and revocation (RFC 7009).
    OAuth2,
    /// An "apps tab" site: a personal token, or one in the redirect with no `state`.
    TokenSite,
}

impl Protocol {
    /// The stable name the window sees.
    pub fn id(self) -> &'static str {
        match self {
            Protocol::Hivesigner => "hivesigner",
            Protocol::SteemconnectV2 => "steemconnect",
            Protocol::OAuth2 => "oauth2",
            Protocol::TokenSite => "token_site",
        }
    }

    /// Whether accounts of this protocol sign blockchain operations (votes, posts).
    pub fn broadcasts(self) -> bool {
        matches!(self, Protocol::Hivesigner | Protocol::SteemconnectV2)
    }
}

/// The blockchain whose accounts the provider signs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chain {
    /// Hive.
    Hive,
    /// Steem.
    Steem,
}

/// The sandbox's fixed address (see `examples/sandbox.rs`).
pub const SANDBOX_BASE_URL: &str = "http://127.0.0.1:8787";
/// The sandbox's OAuth 2.0 server: its issuer has a path, as many real ones do.
pub const SANDBOX_OAUTH2_ISSUER: &str = "http://127.0.0.1:8788/oauth";
/// The sandbox's token site.
pub const SANDBOX_TOKEN_SITE_URL: &str = "http://127.0.0.1:8789";
/// The loopback port the sandbox's token site has registered for its demo app.
pub const SANDBOX_TOKEN_SITE_PORT: u16 = 47615;

impl Preset {
    /// Every preset, in the order a form lists them.
    pub const ALL: [Preset; 9] = [
        Preset::Hivesigner,
        Preset::SteemLogin,
        Preset::HivesignerCompatible,
        Preset::SteemconnectCompatible,
        Preset::OAuth2Server,
        Preset::TokenSite,
        Preset::LocalSandbox,
        Preset::LocalOAuth2Sandbox,
        Preset::LocalTokenSiteSandbox,
    ];

    /// Whether the registration form offers this preset. The fixed-port "Local sandbox"
    /// presets are not offered: the in-app sandbox ([`crate::sandbox`]) registers its own apps
    /// on the ports it chose. Apps registered with them by older versions keep working.
    pub fn offered(self) -> bool {
        !matches!(
            self,
            Preset::LocalSandbox | Preset::LocalOAuth2Sandbox | Preset::LocalTokenSiteSandbox
        )
    }

    /// The stable name stored in the registry and used over IPC.
    pub fn id(self) -> &'static str {
        match self {
            Preset::Hivesigner => "hivesigner",
            Preset::SteemLogin => "steem_login",
            Preset::HivesignerCompatible => "hivesigner_compatible",
            Preset::SteemconnectCompatible => "steemconnect_compatible",
            Preset::LocalSandbox => "local_sandbox",
            Preset::OAuth2Server => "oauth2",
            Preset::TokenSite => "token_site",
            Preset::LocalOAuth2Sandbox => "local_oauth2_sandbox",
            Preset::LocalTokenSiteSandbox => "local_token_site_sandbox",
        }
    }

    /// The preset named `id`, if any.
    pub fn from_id(id: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.id() == id)
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Hivesigner => "Hivesigner",
            Preset::SteemLogin => "SteemLogin",
            Preset::HivesignerCompatible => "Hivesigner-compatible server",
            Preset::SteemconnectCompatible => "SteemLogin-compatible server",
            Preset::LocalSandbox => "Local sandbox",
            Preset::OAuth2Server => "OAuth 2.0 / OpenID Connect server",
            Preset::TokenSite => "Token site",
            Preset::LocalOAuth2Sandbox => "Local sandbox: OAuth 2.0 server",
            Preset::LocalTokenSiteSandbox => "Local sandbox: token site",
        }
    }

    /// The fixed base URL, or `None` when the person gives one.
    pub fn fixed_base_url(self) -> Option<&'static str> {
        match self {
            Preset::Hivesigner => Some("https://hivesigner.com"),
            Preset::SteemLogin => Some("https://steemlogin.com"),
            Preset::HivesignerCompatible
            | Preset::SteemconnectCompatible
            | Preset::OAuth2Server
            | Preset::TokenSite => None,
            Preset::LocalSandbox => Some(SANDBOX_BASE_URL),
            Preset::LocalOAuth2Sandbox => Some(SANDBOX_OAUTH2_ISSUER),
            Preset::LocalTokenSiteSandbox => Some(SANDBOX_TOKEN_SITE_URL),
        }
    }

    /// The wire protocol.
    pub fn protocol(self) -> Protocol {
        match self {
            Preset::SteemLogin | Preset::SteemconnectCompatible => Protocol::SteemconnectV2,
            Preset::Hivesigner | Preset::HivesignerCompatible | Preset::LocalSandbox => {
                Protocol::Hivesigner
            }
            Preset::OAuth2Server | Preset::LocalOAuth2Sandbox => Protocol::OAuth2,
            Preset::TokenSite | Preset::LocalTokenSiteSandbox => Protocol::TokenSite,
        }
    }

    /// The chain, for the kinds that sign blockchain operations.
    pub fn chain(self) -> Option<Chain> {
        match self.protocol() {
            Protocol::SteemconnectV2 => Some(Chain::Steem),
            Protocol::Hivesigner => Some(Chain::Hive),
            Protocol::OAuth2 | Protocol::TokenSite => None,
        }
    }
}

/// How a confidential client proves itself at the token and revocation endpoints (RFC 6749
/// 2.3.1): one way, never two at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client: no secret, `client_id` in the body.
    None,
    /// `client_secret_basic`: HTTP Basic with the id and secret.
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
}

impl ClientAuth {
    /// The stable name, as forms send it and metadata lists it.
    pub fn id(self) -> &'static str {
        match self {
            ClientAuth::None => "none",
            ClientAuth::Basic => "client_secret_basic",
            ClientAuth::Post => "client_secret_post",
        }
    }

    /// The method named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        [ClientAuth::None, ClientAuth::Basic, ClientAuth::Post]
            .into_iter()
            .find(|auth| auth.id() == id)
    }
}

/// A standard OAuth 2.0 server's endpoints and rules, discovered or entered by hand. Every
/// URL is used exactly as given (a trailing slash kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2Settings {
    /// The authorization endpoint.
    pub authorize: Url,
    /// The token endpoint (code exchange and refresh).
    pub token: Url,
    /// The RFC 7009 revocation endpoint, if the server has one.
    pub revocation: Option<Url>,
    /// The userinfo endpoint: where the account's name comes from.
    pub userinfo: Url,
    /// Whether redirects must carry `iss` (`authorization_response_iss_parameter_supported`).
    pub iss_required: bool,
    /// How the client authenticates.
    pub client_auth: ClientAuth,
}

/// How a token rides on a token site's API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenHeader {
    /// `Authorization: <token>`, no scheme word (what apps-tab sites read).
    Raw,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

/// An "apps tab" token site's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSiteSettings {
    /// The redirect's query parameter that carries the token (`token`, `access_token`).
    pub token_param: String,
    /// The identity request's path, relative to the base URL (`/@me`, `/api/v1/identity`).
    pub identity_path: String,
    /// The JSON field of the identity answer that names the account (`username`).
    pub identity_field: String,
    /// How tokens ride on API calls.
    pub header: TokenHeader,
    /// The fixed loopback port registered at the site for this app.
    pub loopback_port: u16,
    /// The site's apps settings page, where a person revokes the app.
    pub apps_page: Option<Url>,
}

/// What Authdeck reads of a server's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerMetadata {
    /// The issuer, as the document names it.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: Url,
    /// The token endpoint.
    pub token_endpoint: Url,
    /// The RFC 7009 revocation endpoint, if listed.
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// The OpenID Connect userinfo endpoint, if listed.
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    /// How clients may authenticate at the token endpoint (RFC 8414: `client_secret_basic`
    /// when absent).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Whether redirects carry `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// The PKCE methods the server takes, if listed.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}

/// What a provider's kind needs beyond its base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindSettings {
    /// Hivesigner and Steemconnect: every endpoint is a fixed path under the base URL.
    Signer,
    /// A standard OAuth 2.0 server.
    OAuth2(OAuth2Settings),
    /// An apps-tab token site.
    TokenSite(TokenSiteSettings),
}

/// A provider: a preset at a base URL (for an OAuth 2.0 server, its issuer), with its kind's
/// settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    preset: Preset,
    base_url: Url,
    kind: KindSettings,
}

impl Provider {
    /// The provider for a Hivesigner or Steemconnect `preset`; `base_url` is required for a
    /// compatible server and ignored otherwise. Refuses URLs that are not https (plain http
    /// only on loopback). The other kinds are made by [`Self::with_kind`].
    pub fn new(preset: Preset, base_url: Option<&str>) -> Result<Self> {
        Self::with_kind(preset, base_url, KindSettings::Signer)
    }

    /// The provider for `preset` with its kind's `settings`; refuses settings of another kind.
    pub fn with_kind(preset: Preset, base_url: Option<&str>, kind: KindSettings) -> Result<Self> {
        let fits = matches!(
            (preset.protocol(), &kind),
            (
                Protocol::Hivesigner | Protocol::SteemconnectV2,
                KindSettings::Signer
            ) | (Protocol::OAuth2, KindSettings::OAuth2(_))
                | (Protocol::TokenSite, KindSettings::TokenSite(_))
        );
        if !fits {
            return Err(Error::Internal(format!(
                "the settings given do not fit a {} provider",
                preset.label()
            )));
        }
        let base_url = Self::checked_base_url(preset, base_url)?;
        Ok(Self {
            preset,
            base_url,
            kind,
        })
    }

    /// The base URL `preset` uses, checked: its fixed one, or `given`.
    pub fn checked_base_url(preset: Preset, given: Option<&str>) -> Result<Url> {
        let raw = match (preset.fixed_base_url(), given.map(str::trim)) {
            (Some(fixed), _) => fixed,
            (None, Some(given)) if !given.is_empty() => given,
            (None, _) => {
                return Err(Error::invalid(
                    field::BASE_URL,
                    "Enter the server's address, for example https://signer.example.com.",
                ))
            }
        };
        parse_base_url(raw)
    }

    /// Rebuilds a stored provider from its preset, base URL and [`Self::settings_json`].
    pub fn restore(preset: Preset, base_url: &str, settings: &str) -> Result<Self> {
        let unreadable =
            |err: serde_json::Error| Error::Internal(format!("stored provider settings: {err}"));
        let kind = match preset.protocol() {
            Protocol::Hivesigner | Protocol::SteemconnectV2 => KindSettings::Signer,
            Protocol::OAuth2 => {
                KindSettings::OAuth2(serde_json::from_str(settings).map_err(unreadable)?)
            }
            Protocol::TokenSite => {
                KindSettings::TokenSite(serde_json::from_str(settings).map_err(unreadable)?)
            }
        };
        Self::with_kind(preset, Some(base_url), kind)
    }

    /// The kind's settings as the registry stores them (`{}` for the signer kinds).
    pub fn settings_json(&self) -> String {
        let json = match &self.kind {
            KindSettings::Signer => return "{}".to_owned(),
            KindSettings::OAuth2(settings) => serde_json::to_string(settings),
            KindSettings::TokenSite(settings) => serde_json::to_string(settings),
        };
        json.unwrap_or_else(|_| "{}".to_owned())
    }

    /// The kind's settings.
    pub fn kind(&self) -> &KindSettings {
        &self.kind
    }

    /// The OAuth 2.0 server's settings, for that kind.
    pub fn oauth2(&self) -> Option<&OAuth2Settings> {
        match &self.kind {
            KindSettings::OAuth2(settings) => Some(settings),
            _ => None,
        }
    }

    /// The token site's settings, for that kind.
    pub fn token_site(&self) -> Option<&TokenSiteSettings> {
        match &self.kind {
            KindSettings::TokenSite(settings) => Some(settings),
            _ => None,
        }
    }

    /// The origin API requests of the console go to, with the base path they start from: the
    /// base URL for Hivesigner, Steemconnect and token sites, the issuer's origin for an
    /// OAuth 2.0 server (its API and userinfo sit beside the issuer path, not under it).
    pub fn api_base(&self) -> Url {
        match self.kind {
            KindSettings::OAuth2(_) => {
                let mut origin = self.base_url.clone();
                origin.set_path("/");
                origin
            }
            _ => self.base_url.clone(),
        }
    }

    /// The preset.
    pub fn preset(&self) -> Preset {
        self.preset
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// `host[:port]`, for keyring keys and messages.
    pub fn host(&self) -> String {
        let host = self.base_url.host_str().unwrap_or_default();
        match self.base_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The wire protocol.
    pub fn protocol(&self) -> Protocol {
        self.preset.protocol()
    }

    /// The chain, for the kinds that sign blockchain operations.
    pub fn chain(&self) -> Option<Chain> {
        self.preset.chain()
    }

    /// The consent page: a page of the web UI for Hivesigner, the authorization endpoint of
    /// an OAuth 2.0 server, `{base}/authorize/` (trailing slash included) on a token site.
    pub fn authorize_endpoint(&self) -> Url {
        match &self.kind {
            KindSettings::Signer => self.endpoint("oauth2/authorize"),
            KindSettings::OAuth2(settings) => settings.authorize.clone(),
            KindSettings::TokenSite(_) => self.endpoint("authorize/"),
        }
    }

    /// Code exchange and refresh: the configured endpoint of an OAuth 2.0 server, Hivesigner's
    /// path otherwise (a token site has none and is never asked).
    pub fn token_endpoint(&self) -> Url {
        match &self.kind {
            KindSettings::OAuth2(settings) => settings.token.clone(),
            _ => self.endpoint("api/oauth2/token"),
        }
    }

    /// Token revocation.
    pub fn revoke_endpoint(&self) -> Url {
        self.endpoint("api/oauth2/token/revoke")
    }

    /// The signed-in account and the token's scope.
    pub fn me_endpoint(&self) -> Url {
        self.endpoint("api/me")
    }

    /// Broadcasting operations.
    pub fn broadcast_endpoint(&self) -> Url {
        self.endpoint("api/broadcast")
    }

    /// The page where a person takes the app's access away at the provider: the on-chain
    /// authority page of Hivesigner and SteemLogin, a token site's apps settings page. An
    /// OAuth 2.0 server has none: revoking the grant there is the revocation.
    pub fn authority_removal_page(&self, client_id: &str) -> Option<Url> {
        match &self.kind {
            KindSettings::Signer => Some(self.endpoint(&format!("revoke/{client_id}"))),
            KindSettings::OAuth2(_) => None,
            KindSettings::TokenSite(settings) => settings.apps_page.clone(),
        }
    }

    /// `path` (relative, as a person types it) under the base URL; `None` unless the result
    /// stays on the base URL's origin and under its path.
    pub fn under_base(&self, path: &str) -> Option<Url> {
        under(&self.base_url, path)
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        url.set_path(&format!("{}/{path}", url.path().trim_end_matches('/')));
        url
    }
}

/// `path` joined to `base` as a path below it: only a path that starts with `/` (or is empty),
/// carries no scheme, host or `..` segment, and lands on `base`'s origin under its path.
pub fn under(base: &Url, path: &str) -> Option<Url> {
    let path = path.trim();
    if path.starts_with("//") || path.contains('\\') || path.chars().any(char::is_control) {
        return None;
    }
    let relative = path.strip_prefix('/').unwrap_or(path);
    if relative.contains("://")
        || relative
            .split(['/', '?'])
            .any(|seg| seg == ".." || seg == ".")
    {
        return None;
    }
    let mut root = base.clone();
    if !root.path().ends_with('/') {
        root.set_path(&format!("{}/", root.path()));
    }
    let joined = root.join(relative).ok()?;
    let same_origin = joined.origin() == base.origin();
    let base_path = root.path();
    let stays_under =
        joined.path().starts_with(base_path) || format!("{}/", joined.path()) == base_path;
    (same_origin && stays_under).then_some(joined)
}

fn parse_base_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw).map_err(|_| {
        Error::invalid(
            field::BASE_URL,
            "The server address is not a valid address; write it like https://signer.example.com.",
        )
    })?;
    let loopback = matches!(
        url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::invalid(
                field::BASE_URL,
                "Use https:// for the server address (plain http:// is only accepted for 127.0.0.1 or localhost).",
            ))
        }
        _ => return Err(Error::invalid(field::BASE_URL, "Use an https:// address for the server.")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(
            field::BASE_URL,
            "The server address has no host name.",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            field::BASE_URL,
            "Remove the user name or password from the server address.",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            field::BASE_URL,
            "Remove the '?...' or '#...' part: give only the server's address.",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_their_documented_endpoints() {
        let hivesigner = Provider::new(Preset::Hivesigner, None).unwrap();
        assert_eq!(
            hivesigner.authorize_endpoint().as_str(),
            "https://hivesigner.com/oauth2/authorize"
        );
        assert_eq!(
            hivesigner.token_endpoint().as_str(),
            "https://hivesigner.com/api/oauth2/token"
        );
        assert_eq!(
            hivesigner.revoke_endpoint().as_str(),
            "https://hivesigner.com/api/oauth2/token/revoke"
        );
        assert_eq!(
            hivesigner.authority_removal_page("myapp").unwrap().as_str(),
            "https://hivesigner.com/revoke/myapp"
        );
        let steem = Provider::new(Preset::SteemLogin, Some("https://ignored")).unwrap();
        assert_eq!(
            steem.me_endpoint().as_str(),
            "https://steemlogin.com/api/me"
        );
        assert_eq!(steem.protocol(), Protocol::SteemconnectV2);
        assert_eq!(steem.chain(), Some(Chain::Steem));
    }

    #[test]
    fn custom_base_urls_keep_their_path_prefix_and_port() {
        let provider = Provider::new(
            Preset::HivesignerCompatible,
            Some("http://localhost:3000/hs/"),
        )
        .unwrap();
        assert_eq!(
            provider.broadcast_endpoint().as_str(),
            "http://localhost:3000/hs/api/broadcast"
        );
        assert_eq!(provider.host(), "localhost:3000");
        assert_eq!(provider.base_url(), "http://localhost:3000/hs");
    }

    #[test]
    fn refuses_unsafe_or_malformed_base_urls() {
        for (raw, needle) in [
            ("", "Enter the server's address"),
            ("signer.example.com", "not a valid address"),
            ("http://signer.example.com", "Use https://"),
            ("ftp://signer.example.com", "Use an https:// address"),
            (
                "https://user:pw@signer.example.com",
                "user name or password",
            ),
            ("https://signer.example.com/?x=1", "'?...'"),
        ] {
            let err = Provider::new(Preset::HivesignerCompatible, Some(raw)).unwrap_err();
            assert!(err.to_string().contains(needle), "{raw}: {err}");
        }
    }

    #[test]
    fn preset_ids_round_trip() {
        for preset in Preset::ALL {
            assert_eq!(Preset::from_id(preset.id()), Some(preset));
        }
        assert_eq!(Preset::from_id("nope"), None);
    }
}
