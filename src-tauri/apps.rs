//! App registrations: what a person registers once per app (provider, client id, scopes,
//! redirect mode, client secret, and what an OAuth 2.0 server or a token site needs besides),
//! checked field by field.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{field, Error, Result};
use crate::hive::account_name;
use crate::provider::{
    ClientAuth, KindSettings, OAuth2Settings, Preset, Protocol, Provider, ServerMetadata,
    TokenHeader, TokenSiteSettings,
};

/// A registered app's id in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppId(pub i64);

/// What the tokens may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Identity only (`login`).
    Login,
    /// Posting operations (`posting`).
    Posting,
}

/// How tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Code flow with `offline`: refresh tokens, Authdeck keeps the account fresh.
    Code,
    /// Implicit flow: an access token for 7 days, then sign in again.
    Implicit,
}

impl Flow {
    /// The stable name stored in the registry.
    pub fn id(self) -> &'static str {
        match self {
            Flow::Code => "code",
            Flow::Implicit => "implicit",
        }
    }

    /// The flow named `id`.
    pub fn from_id(id: &str) -> Option<Flow> {
        [Flow::Code, Flow::Implicit]
            .into_iter()
            .find(|flow| flow.id() == id)
    }
}

/// The scopes an app asks for. Hivesigner honours only three: `login`, `posting`, `offline`
/// (which forces posting and the code flow), so that is all Authdeck offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    /// Identity only, or posting.
    pub access: Access,
    /// Refresh tokens through the code flow.
    pub offline: bool,
}

impl Scopes {
    /// Reads the scope names a form sends; refuses unknown names and `login` with `offline`.
    pub fn parse(names: &[String]) -> Result<Self> {
        let mut login = false;
        let mut posting = false;
        let mut offline = false;
        for name in names {
            match name.trim() {
                "login" => login = true,
                "posting" => posting = true,
                "offline" => offline = true,
                other => {
                    return Err(Error::invalid(
                        field::SCOPES,
                        format!("The scope '{other}' is not one Hivesigner honours; choose from login, posting and offline."),
                    ))
                }
            }
        }
        let access = match (login, posting) {
            (_, true) => Access::Posting,
            (true, false) => Access::Login,
            (false, false) if offline => Access::Posting,
            (false, false) => {
                return Err(Error::invalid(
                    field::SCOPES,
                    "Choose what the app may do: posting (vote, comment, ...) or login (identity only).",
                ))
            }
        };
        if login && !posting && offline {
            return Err(Error::invalid(
                field::SCOPES,
                "The provider turns login with offline into posting: choose posting with offline, or login alone.",
            ));
        }
        Ok(Self { access, offline })
    }

    /// The flow these scopes lead to.
    pub fn flow(self) -> Flow {
        if self.offline {
            Flow::Code
        } else {
            Flow::Implicit
        }
    }

    /// The names, as stored and shown: `login`, `posting`, `posting,offline`.
    pub fn names(self) -> Vec<&'static str> {
        let mut names = vec![match self.access {
            Access::Login => "login",
            Access::Posting => "posting",
        }];
        if self.offline {
            names.push("offline");
        }
        names
    }

    /// The `scope` parameter of the authorize URL.
    pub fn request_string(self) -> String {
        self.names().join(",")
    }
}

/// The scopes an app asks for, by its provider's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppScopes {
    /// Hivesigner's and Steemconnect's three.
    Signer(Scopes),
    /// Free-form scope names (an OAuth 2.0 server); none for a token site.
    Listed(Vec<String>),
}

impl AppScopes {
    /// The names, as shown.
    pub fn names(&self) -> Vec<String> {
        match self {
            AppScopes::Signer(scopes) => scopes.names().into_iter().map(str::to_owned).collect(),
            AppScopes::Listed(names) => names.clone(),
        }
    }

    /// As the registry stores them and the `scope` parameter carries them: comma-separated
    /// for the signer kinds (as Hivesigner reads them), space-separated per RFC 6749 3.3.
    pub fn request_string(&self) -> String {
        match self {
            AppScopes::Signer(scopes) => scopes.request_string(),
            AppScopes::Listed(names) => names.join(" "),
        }
    }

    /// Reads back [`Self::request_string`] for a provider of `protocol`.
    pub fn from_stored(protocol: Protocol, stored: &str) -> Result<Self> {
        match protocol {
            Protocol::Hivesigner | Protocol::SteemconnectV2 => {
                let names: Vec<String> = stored.split(',').map(str::to_owned).collect();
                Scopes::parse(&names).map(AppScopes::Signer)
            }
            Protocol::OAuth2 | Protocol::TokenSite => Ok(AppScopes::Listed(
                stored.split_whitespace().map(str::to_owned).collect(),
            )),
        }
    }

    /// The Hivesigner scopes, for the signer kinds.
    pub fn signer(&self) -> Option<Scopes> {
        match self {
            AppScopes::Signer(scopes) => Some(*scopes),
            AppScopes::Listed(_) => None,
        }
    }
}

/// How the provider's redirect reaches Authdeck.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<any port>/callback`, a one-shot listener (RFC 8252). Hivesigner's
    /// current rules require it.
    Loopback,
    /// `authdeck://callback`, a deep link into the running app (older provider UIs).
    CustomScheme,
}

impl RedirectMode {
    /// The stable name stored in the registry.
    pub fn id(self) -> &'static str {
        match self {
            RedirectMode::Loopback => "loopback",
            RedirectMode::CustomScheme => "custom_scheme",
        }
    }

    /// The mode named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        [RedirectMode::Loopback, RedirectMode::CustomScheme]
            .into_iter()
            .find(|mode| mode.id() == id)
    }

    /// The redirect URI to register at the provider for this mode.
    pub fn registered_uri(self) -> &'static str {
        match self {
            RedirectMode::Loopback => "http://127.0.0.1/callback",
            RedirectMode::CustomScheme => "authdeck://callback",
        }
    }
}

/// What scripts on this computer (`authdeck token`, the session bus) may do with an app's
/// tokens: nothing until the person allows it on the app's card; when allowed, optionally only
/// after a confirmation in the window for each token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptAccess {
    /// Scripts may ask for the tokens of the app's accounts.
    pub allowed: bool,
    /// Each request waits for the person's yes in the window (refused with no app running).
    pub confirm: bool,
}

/// A registered app, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Its id.
    pub id: AppId,
    /// Where its users sign in.
    pub provider: Provider,
    /// The app's account name.
    pub client_id: String,
    /// What it asks for.
    pub scopes: AppScopes,
    /// How redirects come back.
    pub redirect: RedirectMode,
    /// Whether a client secret is in the keyring.
    pub secret_set: bool,
    /// Whether the in-app sandbox registered it (and removes it when the person leaves).
    pub sandbox: bool,
}

impl App {
    /// How this app's sign-ins get tokens: the code flow (Hivesigner with `offline`, every
    /// OAuth 2.0 server), or a token straight in the redirect (Hivesigner without `offline`,
    /// a token site).
    pub fn flow(&self) -> Flow {
        match (&self.scopes, self.provider.protocol()) {
            (AppScopes::Signer(scopes), _) => scopes.flow(),
            (AppScopes::Listed(_), Protocol::TokenSite) => Flow::Implicit,
            (AppScopes::Listed(_), _) => Flow::Code,
        }
    }

    /// Whether sign-ins need the client secret from the keyring.
    pub fn needs_secret(&self) -> bool {
        match self.provider.oauth2() {
            Some(settings) => settings.client_auth != ClientAuth::None,
            None => self.flow() == Flow::Code,
        }
    }

    /// The redirect URI to register at the provider: a token site's fixed loopback port
    /// included; any port for the others (RFC 8252 7.3).
    pub fn registered_redirect_uri(&self) -> String {
        match (self.redirect, self.provider.token_site()) {
            (RedirectMode::Loopback, Some(site)) => {
                format!("http://127.0.0.1:{}/callback", site.loopback_port)
            }
            (mode, _) => mode.registered_uri().to_owned(),
        }
    }
}

/// A registration as the form sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInput {
    /// A [`Preset`] id.
    pub preset: String,
    /// The base URL, for a Hivesigner-compatible server.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The app's account name.
    pub client_id: String,
    /// Scope names.
    pub scopes: Vec<String>,
    /// A [`RedirectMode`] id; the preset's default when absent.
    #[serde(default)]
    pub redirect_mode: Option<String>,
    /// The client secret; `None` keeps the stored one (on edit) or stores none.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// OAuth 2.0: the authorization endpoint, when not discovered.
    #[serde(default)]
    pub authorize_endpoint: Option<String>,
    /// OAuth 2.0: the token endpoint, when not discovered.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// OAuth 2.0: the revocation endpoint, when the metadata lists none (or to replace it).
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// OAuth 2.0: the userinfo endpoint, when not discovered.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// OAuth 2.0: a [`ClientAuth`] id; chosen from the metadata and the secret when absent.
    #[serde(default)]
    pub client_auth: Option<String>,
    /// Token site: the redirect parameter that carries the token (default `token`).
    #[serde(default)]
    pub token_param: Option<String>,
    /// Token site: the identity path (default `/@me`).
    #[serde(default)]
    pub identity_path: Option<String>,
    /// Token site: the identity answer's field naming the account (default `username`).
    #[serde(default)]
    pub identity_field: Option<String>,
    /// Token site: `raw` (default) or `bearer`.
    #[serde(default)]
    pub token_header: Option<String>,
    /// Token site: the apps settings page, where a person revokes the app.
    #[serde(default)]
    pub apps_page: Option<String>,
}

/// What registering an app of some kinds needs from outside the form: an OAuth 2.0 server's
/// discovered metadata, a token site's loopback port (chosen once per app).
#[derive(Debug, Clone, Default)]
pub struct KindContext {
    /// The server's metadata, when the endpoints are not all entered by hand.
    pub metadata: Option<ServerMetadata>,
    /// The token site's fixed loopback port.
    pub loopback_port: Option<u16>,
}

/// A registration that passed every check.
#[derive(Debug)]
pub struct ValidApp {
    /// Where its users sign in.
    pub provider: Provider,
    /// The app's account name.
    pub client_id: String,
    /// What it asks for.
    pub scopes: AppScopes,
    /// How redirects come back.
    pub redirect: RedirectMode,
    /// A new client secret, if one was given.
    pub client_secret: Option<SecretString>,
}

impl AppInput {
    /// Checks a new registration: every field as [`Self::validate`] does, and the client
    /// secret for an app that asks for `offline` (on an edit, a missing secret keeps the
    /// stored one, so only a registration must bring it).
    pub fn validate_registration(self, context: KindContext) -> Result<ValidApp> {
        let valid = self.validate_with(context)?;
        let needs_secret = match valid.provider.oauth2() {
            Some(settings) => settings.client_auth != ClientAuth::None,
            None => valid
                .scopes
                .signer()
                .is_some_and(|s| s.flow() == Flow::Code),
        };
        if needs_secret && valid.client_secret.is_none() {
            let problem = if valid.provider.oauth2().is_some() {
                "A confidential client needs its client secret: enter the one the server gave you, or choose \"public client (none)\" if the app was registered without one."
            } else {
                "Refresh tokens (offline) use the code flow, which needs the app's client secret: enter the secret you chose when you registered the app at the provider, or untick offline."
            };
            return Err(Error::invalid(field::CLIENT_SECRET, problem));
        }
        Ok(valid)
    }

    /// The preset this input names.
    pub fn preset(&self) -> Result<Preset> {
        Preset::from_id(self.preset.trim()).ok_or_else(|| {
            Error::invalid(field::PRESET, "Choose a provider: Hivesigner, SteemLogin, a compatible server, an OAuth 2.0 server, a token site or a local sandbox.")
        })
    }

    /// The issuer to discover when this is an OAuth 2.0 app whose authorization and token
    /// endpoints are not both entered by hand (the base URL, checked).
    pub fn issuer_to_discover(&self) -> Result<Option<Url>> {
        let preset = self.preset()?;
        let by_hand =
            given(&self.authorize_endpoint).is_some() && given(&self.token_endpoint).is_some();
        if preset.protocol() != Protocol::OAuth2 || by_hand {
            return Ok(None);
        }
        base_url_of(preset, self.base_url.as_deref()).map(Some)
    }

    /// Checks every field of a Hivesigner or Steemconnect app (no context needed).
    pub fn validate(self) -> Result<ValidApp> {
        self.validate_with(KindContext::default())
    }

    /// Checks every field; the first wrong one is reported with what would be right.
    pub fn validate_with(self, context: KindContext) -> Result<ValidApp> {
        let preset = self.preset()?;
        let base_url = base_url_of(preset, self.base_url.as_deref())?;
        let protocol = preset.protocol();
        let client_id = self.client_id.trim().trim_start_matches('@').to_owned();
        if client_id.is_empty() {
            let problem = match protocol {
                Protocol::Hivesigner | Protocol::SteemconnectV2 => "Enter the app's account name (its client id at the provider), for example myapp.",
                _ => "Enter the client id the provider gave the app.",
            };
            return Err(Error::invalid(field::CLIENT_ID, problem));
        }
        let (scopes, kind) = match protocol {
            Protocol::Hivesigner | Protocol::SteemconnectV2 => {
                account_name::check(&client_id).map_err(|problem| {
                    Error::invalid(
                        field::CLIENT_ID,
                        format!("The client id is not an account name: {problem}."),
                    )
                })?;
                (
                    AppScopes::Signer(Scopes::parse(&self.scopes)?),
                    KindSettings::Signer,
                )
            }
            Protocol::OAuth2 => {
                check_client_id(&client_id)?;
                let scopes = listed_scopes(&self.scopes)?;
                let settings = self.oauth2_settings(context.metadata.as_ref())?;
                (AppScopes::Listed(scopes), KindSettings::OAuth2(settings))
            }
            Protocol::TokenSite => {
                check_client_id(&client_id)?;
                let settings = self.token_site_settings(&base_url, context.loopback_port)?;
                (
                    AppScopes::Listed(Vec::new()),
                    KindSettings::TokenSite(settings),
                )
            }
        };
        let provider = Provider::with_kind(preset, Some(base_url.as_str()), kind)?;
        let redirect = match self.redirect_mode.as_deref().map(str::trim) {
            None | Some("") => RedirectMode::Loopback,
            Some(id) => RedirectMode::from_id(id).ok_or_else(|| {
                Error::invalid(
                    field::REDIRECT_MODE,
                    "Choose how people come back: loopback (http://127.0.0.1) or custom scheme (authdeck://).",
                )
            })?,
        };
        let client_secret = match self.client_secret {
            Some(secret) if secret.expose_secret().trim().is_empty() => {
                return Err(Error::invalid(
                    field::CLIENT_SECRET,
                    "The client secret is empty: enter the one you chose at the provider, or leave the field untouched to keep the stored one.",
                ))
            }
            other => other,
        };
        if client_secret.is_some()
            && provider
                .oauth2()
                .is_some_and(|s| s.client_auth == ClientAuth::None)
        {
            return Err(Error::invalid(
                field::CLIENT_AUTH,
                "A public client (none) sends no secret: choose client_secret_basic or client_secret_post, or clear the secret.",
            ));
        }
        Ok(ValidApp {
            provider,
            client_id,
            scopes,
            redirect,
            client_secret,
        })
    }
}

impl AppInput {
    fn oauth2_settings(&self, metadata: Option<&ServerMetadata>) -> Result<OAuth2Settings> {
        let endpoint =
            |key: &'static str, given_value: &Option<String>, found: Option<&Url>| match given(
                given_value,
            ) {
                Some(raw) => endpoint_url(key, raw).map(Some),
                None => Ok(found.cloned()),
            };
        let missing = |key: &'static str, what: &str| {
            Error::invalid(
                key,
                format!("The server's metadata lists no {what}: enter it by hand (it is in the server's documentation)."),
            )
        };
        let authorize = endpoint(
            field::AUTHORIZE_ENDPOINT,
            &self.authorize_endpoint,
            metadata.map(|m| &m.authorization_endpoint),
        )?
        .ok_or_else(|| missing(field::AUTHORIZE_ENDPOINT, "authorization endpoint"))?;
        let token = endpoint(
            field::TOKEN_ENDPOINT,
            &self.token_endpoint,
            metadata.map(|m| &m.token_endpoint),
        )?
        .ok_or_else(|| missing(field::TOKEN_ENDPOINT, "token endpoint"))?;
        let revocation = endpoint(
            field::REVOCATION_ENDPOINT,
            &self.revocation_endpoint,
            metadata.and_then(|m| m.revocation_endpoint.as_ref()),
        )?;
        let userinfo = endpoint(
            field::USERINFO_ENDPOINT,
            &self.userinfo_endpoint,
            metadata.and_then(|m| m.userinfo_endpoint.as_ref()),
        )?
        .ok_or_else(|| {
            Error::invalid(
                field::USERINFO_ENDPOINT,
                "Enter the server's userinfo endpoint: Authdeck asks it which account signed in.",
            )
        })?;
        let supported = metadata.map(|m| m.token_endpoint_auth_methods_supported.as_slice());
        let has_secret = self.client_secret.is_some();
        let client_auth = match given(&self.client_auth) {
            Some(id) => {
                let auth = ClientAuth::from_id(id).ok_or_else(|| {
                    Error::invalid(
                        field::CLIENT_AUTH,
                        "Choose how the app authenticates: none (public client), client_secret_basic or client_secret_post.",
                    )
                })?;
                if let Some(list) = supported.filter(|list| !list.is_empty()) {
                    if !list.iter().any(|m| m == auth.id()) {
                        return Err(Error::invalid(
                            field::CLIENT_AUTH,
                            format!(
                                "The server does not accept {} (it lists {}): choose one of those.",
                                auth.id(),
                                list.join(", ")
                            ),
                        ));
                    }
                }
                auth
            }
            None if !has_secret => ClientAuth::None,
            // RFC 8414: without the list, client_secret_basic is the default.
            None => match supported {
                Some(list)
                    if !list.is_empty() && !list.iter().any(|m| m == "client_secret_basic") =>
                {
                    if list.iter().any(|m| m == "client_secret_post") {
                        ClientAuth::Post
                    } else {
                        return Err(Error::invalid(
                            field::CLIENT_AUTH,
                            format!("The server accepts neither client_secret_basic nor client_secret_post (it lists {}); Authdeck cannot sign in a confidential client there.", list.join(", ")),
                        ));
                    }
                }
                _ => ClientAuth::Basic,
            },
        };
        Ok(OAuth2Settings {
            authorize,
            token,
            revocation,
            userinfo,
            iss_required: metadata
                .is_some_and(|m| m.authorization_response_iss_parameter_supported),
            client_auth,
        })
    }

    fn token_site_settings(&self, base: &Url, port: Option<u16>) -> Result<TokenSiteSettings> {
        let token_param = given(&self.token_param).unwrap_or("token").to_owned();
        if !token_param
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::invalid(
                field::TOKEN_PARAM,
                "Give the parameter's name only, letters, digits, - and _ (for example token or access_token).",
            ));
        }
        let identity_path = given(&self.identity_path).unwrap_or("/@me").to_owned();
        if crate::provider::under(base, &identity_path).is_none() {
            return Err(Error::invalid(
                field::IDENTITY_PATH,
                "Give a path on the site, starting with / (for example /@me or /api/v1/identity).",
            ));
        }
        let identity_field = given(&self.identity_field).unwrap_or("username").to_owned();
        let header = match given(&self.token_header) {
            None | Some("raw") => TokenHeader::Raw,
            Some("bearer") => TokenHeader::Bearer,
            Some(_) => return Err(Error::invalid(
                field::TOKEN_HEADER,
                "Choose raw (Authorization: <token>) or bearer (Authorization: Bearer <token>).",
            )),
        };
        let apps_page = given(&self.apps_page)
            .map(|raw| endpoint_url(field::APPS_PAGE, raw))
            .transpose()?;
        let loopback_port = port.ok_or_else(|| {
            Error::Internal("a token site app needs its loopback port chosen".into())
        })?;
        Ok(TokenSiteSettings {
            token_param,
            identity_path,
            identity_field,
            header,
            loopback_port,
            apps_page,
        })
    }
}

/// A form field's text, trimmed, unless empty.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The base URL of `preset`, its problems reported at the base URL field.
fn base_url_of(preset: Preset, given: Option<&str>) -> Result<Url> {
    Provider::checked_base_url(preset, given).map_err(|err| match err {
        Error::InvalidInput { problem, .. } => Error::invalid(field::BASE_URL, problem),
        other => other,
    })
}

/// An endpoint typed by hand, checked as a base URL is (https, or http on loopback), except
/// that a query is allowed (some servers put a tenant there) and the text is kept as typed.
fn endpoint_url(key: &'static str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw).map_err(|_| {
        Error::invalid(
            key,
            "This is not a valid address; write it like https://login.example.com/oauth/token.",
        )
    })?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(Error::invalid(
                key,
                "Use an https:// address (plain http:// only for 127.0.0.1 or localhost).",
            ))
        }
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            key,
            "Remove the user name, password or '#...' part from the address.",
        ));
    }
    Ok(url)
}

/// A client id an OAuth 2.0 server or token site gave: printable ASCII (RFC 6749 VSCHAR).
fn check_client_id(client_id: &str) -> Result<()> {
    let printable = client_id.chars().all(|c| (' '..='~').contains(&c));
    if !printable || client_id.len() > 255 {
        return Err(Error::invalid(
            field::CLIENT_ID,
            "A client id is at most 255 printable ASCII characters; copy it exactly as the provider shows it.",
        ));
    }
    Ok(())
}

/// Free-form scopes (RFC 6749 3.3): each a scope-token, none twice; separated by spaces or
/// commas in the form.
fn listed_scopes(raw: &[String]) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for name in raw.iter().flat_map(|item| item.split([' ', ','])) {
        let name = name.trim();
        if name.is_empty() || names.iter().any(|n| n == name) {
            continue;
        }
        let valid = name
            .chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c));
        if !valid {
            return Err(Error::invalid(
                field::SCOPES,
                format!("The scope '{name}' has a character a scope cannot have (quotes, backslashes, non-ASCII); copy the scope names from the server's documentation."),
            ));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn scopes_follow_what_hivesigner_honours() {
        let code = Scopes::parse(&names(&["posting", "offline"])).unwrap();
        assert_eq!(
            (code.flow(), code.request_string()),
            (Flow::Code, "posting,offline".into())
        );
        let offline_alone = Scopes::parse(&names(&["offline"])).unwrap();
        assert_eq!(offline_alone.access, Access::Posting);
        let login = Scopes::parse(&names(&["login"])).unwrap();
        assert_eq!(
            (login.flow(), login.request_string()),
            (Flow::Implicit, "login".into())
        );
    }

    #[test]
    fn scopes_refuse_what_the_provider_would_change_or_ignore() {
        for (list, needle) in [
            (
                &["login", "offline"][..],
                "turns login with offline into posting",
            ),
            (&["vote"][..], "The scope 'vote' is not one"),
            (&[][..], "Choose what the app may do"),
        ] {
            let err = Scopes::parse(&names(list)).unwrap_err();
            assert!(err.to_string().contains(needle), "{list:?}: {err}");
        }
    }

    fn input(preset: &str, client_id: &str) -> AppInput {
        AppInput {
            preset: preset.into(),
            base_url: None,
            client_id: client_id.into(),
            scopes: names(&["posting", "offline"]),
            redirect_mode: None,
            client_secret: Some("s3cret".to_owned().into()),
            ..AppInput::default()
        }
    }

    #[test]
    fn a_good_registration_defaults_to_the_loopback_redirect() {
        let app = input("hivesigner", " @myapp ").validate().unwrap();
        assert_eq!(app.client_id, "myapp");
        assert_eq!(app.redirect, RedirectMode::Loopback);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (input("nope", "myapp"), field::PRESET),
            (input("hivesigner", "My App"), field::CLIENT_ID),
            (input("hivesigner", " @ "), field::CLIENT_ID),
            (input("hivesigner_compatible", "myapp"), field::BASE_URL),
            (
                AppInput {
                    base_url: Some("http://signer.example.com".into()),
                    ..input("hivesigner_compatible", "myapp")
                },
                field::BASE_URL,
            ),
            (
                AppInput {
                    scopes: names(&["vote"]),
                    ..input("hivesigner", "myapp")
                },
                field::SCOPES,
            ),
            (
                AppInput {
                    client_secret: Some("  ".to_owned().into()),
                    ..input("hivesigner", "myapp")
                },
                field::CLIENT_SECRET,
            ),
            (
                AppInput {
                    redirect_mode: Some("carrier-pigeon".into()),
                    ..input("hivesigner", "myapp")
                },
                field::REDIRECT_MODE,
            ),
        ];
        for (input, expected) in cases {
            match input.validate() {
                Err(Error::InvalidInput { field, problem }) => {
                    assert_eq!(field, expected, "{problem}");
                    // The base URL's messages are `Provider::new`'s own (provider.rs).
                    assert!(
                        field == field::BASE_URL
                            || problem.starts_with(char::is_uppercase) && problem.ends_with('.'),
                        "a sentence on its own: {problem}"
                    );
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_field_keys_are_the_names_the_form_sends() {
        let sent = serde_json::json!({
            field::PRESET: "hivesigner_compatible",
            field::BASE_URL: "https://signer.example.com",
            field::CLIENT_ID: "myapp",
            field::CLIENT_SECRET: "s3cret",
            field::SCOPES: ["posting"],
            field::REDIRECT_MODE: "custom_scheme",
        });
        let input: AppInput = serde_json::from_value(sent).unwrap();
        assert_eq!(
            input.base_url.as_deref(),
            Some("https://signer.example.com")
        );
        assert_eq!(input.redirect_mode.as_deref(), Some("custom_scheme"));
        assert!(input.client_secret.is_some());
        let app = input.validate().unwrap();
        assert_eq!(
            (app.client_id.as_str(), app.redirect),
            ("myapp", RedirectMode::CustomScheme)
        );
    }

    #[test]
    fn a_code_flow_registration_needs_the_client_secret() {
        let without_secret = || AppInput {
            client_secret: None,
            ..input("hivesigner", "myapp")
        };
        match without_secret().validate_registration(KindContext::default()) {
            Err(Error::InvalidInput {
                field: named,
                problem,
            }) => {
                assert_eq!(named, field::CLIENT_SECRET);
                assert!(
                    problem.contains("code flow") && problem.contains("client secret"),
                    "{problem}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(input("hivesigner", "myapp")
            .validate_registration(KindContext::default())
            .is_ok());
        // The implicit flow needs no secret; an edit without one keeps the stored secret.
        let implicit = AppInput {
            scopes: names(&["posting"]),
            ..without_secret()
        };
        assert!(implicit
            .validate_registration(KindContext::default())
            .is_ok());
        assert!(without_secret().validate().is_ok());
    }
}
