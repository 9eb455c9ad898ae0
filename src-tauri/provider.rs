//! Providers: the services where an app's users consent and where Authdeck gets its tokens.
//!
//! A [`Provider`] is a preset plus a base URL. The preset decides the wire protocol (today
//! Hivesigner's and the Steemconnect v2 API that SteemLogin kept) and the chain. A standard
//! OAuth2 kind fits as another [`Protocol`] with its own endpoints: every URL is asked of the
//! provider, never built elsewhere.

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
    /// The offline sandbox (`cargo run --example sandbox`) at `http://127.0.0.1:8787`.
    LocalSandbox,
}

/// How a provider's token endpoint and API speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Hivesigner: JSON token requests, signed-statement tokens that never expire server-side.
    Hivesigner,
    /// Steemconnect v2 (SteemLogin): form token requests with `grant_type`, expiring JWTs.
    SteemconnectV2,
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

impl Preset {
    /// Every preset, in the order a form lists them.
    pub const ALL: [Preset; 5] = [
        Preset::Hivesigner,
        Preset::SteemLogin,
        Preset::HivesignerCompatible,
        Preset::SteemconnectCompatible,
        Preset::LocalSandbox,
    ];

    /// The stable name stored in the registry and used over IPC.
    pub fn id(self) -> &'static str {
        match self {
            Preset::Hivesigner => "hivesigner",
            Preset::SteemLogin => "steem_login",
            Preset::HivesignerCompatible => "hivesigner_compatible",
            Preset::SteemconnectCompatible => "steemconnect_compatible",
            Preset::LocalSandbox => "local_sandbox",
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
        }
    }

    /// The fixed base URL, or `None` when the person gives one.
    pub fn fixed_base_url(self) -> Option<&'static str> {
        match self {
            Preset::Hivesigner => Some("https://hivesigner.com"),
            Preset::SteemLogin => Some("https://steemlogin.com"),
            Preset::HivesignerCompatible | Preset::SteemconnectCompatible => None,
            Preset::LocalSandbox => Some(SANDBOX_BASE_URL),
        }
    }

    /// The wire protocol.
    pub fn protocol(self) -> Protocol {
        match self {
            Preset::SteemLogin | Preset::SteemconnectCompatible => Protocol::SteemconnectV2,
            Preset::Hivesigner | Preset::HivesignerCompatible | Preset::LocalSandbox => {
                Protocol::Hivesigner
            }
        }
    }

    /// The chain.
    pub fn chain(self) -> Chain {
        match self.protocol() {
            Protocol::SteemconnectV2 => Chain::Steem,
            Protocol::Hivesigner => Chain::Hive,
        }
    }
}

/// A provider: a preset at a base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    preset: Preset,
    base_url: Url,
}

impl Provider {
    /// The provider for `preset`; `base_url` is required for a Hivesigner-compatible server
    /// and ignored otherwise. Refuses URLs that are not https (plain http only on loopback).
    pub fn new(preset: Preset, base_url: Option<&str>) -> Result<Self> {
        let raw = match (preset.fixed_base_url(), base_url.map(str::trim)) {
            (Some(fixed), _) => fixed,
            (None, Some(given)) if !given.is_empty() => given,
            (None, _) => {
                return Err(Error::invalid(
                    field::BASE_URL,
                    "Enter the server's address, for example https://signer.example.com.",
                ))
            }
        };
        Ok(Self {
            preset,
            base_url: parse_base_url(raw)?,
        })
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

    /// The chain.
    pub fn chain(&self) -> Chain {
        self.preset.chain()
    }

    /// The consent page (a page of the web UI, not an API route).
    pub fn authorize_endpoint(&self) -> Url {
        self.endpoint("oauth2/authorize")
    }

    /// Code exchange and refresh.
    pub fn token_endpoint(&self) -> Url {
        self.endpoint("api/oauth2/token")
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

    /// The page where a user removes the app's authority on chain (the real revocation).
    pub fn authority_removal_page(&self, client_id: &str) -> Url {
        self.endpoint(&format!("revoke/{client_id}"))
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        url.set_path(&format!("{}/{path}", url.path().trim_end_matches('/')));
        url
    }
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
            hivesigner.authority_removal_page("myapp").as_str(),
            "https://hivesigner.com/revoke/myapp"
        );
        let steem = Provider::new(Preset::SteemLogin, Some("https://ignored")).unwrap();
        assert_eq!(
            steem.me_endpoint().as_str(),
            "https://steemlogin.com/api/me"
        );
        assert_eq!(steem.protocol(), Protocol::SteemconnectV2);
        assert_eq!(steem.chain(), Chain::Steem);
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
