//! A strict fake OAuth 2.0 / OpenID Connect authorization server over real HTTP: this module
//! owns the public handle [`FakeOAuth2`], its configuration and the types the tests name.
//!
//! It behaves as a certified server does: RFC 6749 (codes, refresh, 5.2 errors), RFC 7636
//! (PKCE S256 required for public clients, `plain` refused), RFC 8414 and OpenID discovery
//! for an issuer with a path, RFC 9207 `iss` on every authorization response, RFC 7009
//! revocation, RFC 6750 bearer use at userinfo and at a small protected API (`/api/me`,
//! `/api/notes` at the issuer's origin), RFC 8252 loopback redirects on any port.
//!
//! Consent: `AutoApprove { user }` answers the authorize GET with the 302 at once (a test
//! plays the browser with [`crate::consent`]); `Page` shows a form with Approve and Deny that
//! POSTs to `{issuer}/authorize/consent`, for a person (the sandbox) or a test that posts it.
//!
//! ```ignore
//! let fake = FakeOAuth2::start(OAuth2Config::default()).await;
//! fake.register_client("app", Client::public(&["http://127.0.0.1/callback"]));
//! let url = fake.authorize_url(&[("client_id", "app"), ("response_type", "code"), ...]);
//! ```
//!
//! Modules: `grants` (state), `routes` (router, paths and failures), `answers` (error
//! answers), `incoming` (a request with its body), `lost` (answers handled but lost),
//! `client_auth`, `discovery`, `authorize` and `consent_page`, `token`, `revoke`, `userinfo`
//! (and the bearer check), `api`.

mod answers;
mod api;
mod authorize;
mod client_auth;
mod consent_page;
mod discovery;
mod grants;
mod incoming;
mod lost;
mod revoke;
mod routes;
#[cfg(test)]
mod tests;
mod token;
mod userinfo;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method, Uri};
use serde_json::Value;
use url::Url;

pub use crate::Consent;

use grants::Shared;

/// The generic `error_description` of every `invalid_grant`, whatever the cause.
pub const INVALID_GRANT_DESCRIPTION: &str =
    "The provided authorization grant is invalid, expired, revoked, or was issued to another client.";

/// How a confidential client may authenticate at the token and revocation endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl AuthMethod {
    /// The name discovery documents use.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A registered client.
#[derive(Clone, Debug)]
pub struct Client {
    /// `None`: a public client (no authentication, PKCE required).
    pub secret: Option<String>,
    /// The methods a confidential client may use (ignored for public clients).
    pub auth_methods: Vec<AuthMethod>,
    /// Exact redirect URIs; a loopback `http://127.0.0.1/...` or `http://[::1]/...` one
    /// matches any port (RFC 8252 7.3).
    pub redirect_uris: Vec<String>,
    /// A native app: custom-scheme redirect URIs are allowed only for these.
    pub native: bool,
}

impl Client {
    /// A public client with these redirect URIs.
    pub fn public(redirect_uris: &[&str]) -> Self {
        Self {
            secret: None,
            auth_methods: Vec::new(),
            redirect_uris: redirect_uris.iter().map(|uri| uri.to_string()).collect(),
            native: false,
        }
    }

    /// A confidential client with a secret, the auth methods it may use and redirect URIs.
    pub fn confidential(secret: &str, methods: &[AuthMethod], redirect_uris: &[&str]) -> Self {
        Self {
            secret: Some(secret.into()),
            auth_methods: methods.to_vec(),
            ..Self::public(redirect_uris)
        }
    }

    /// Marks the client native (custom schemes allowed).
    pub fn native(mut self) -> Self {
        self.native = true;
        self
    }
}

/// The endpoints the fake counts, records and can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Either discovery document.
    Discovery,
    /// `GET {issuer}/authorize`.
    Authorize,
    /// `POST {issuer}/token`.
    Token,
    /// `POST {issuer}/revoke`.
    Revoke,
    /// `GET {issuer}/userinfo`.
    Userinfo,
    /// The protected API: `GET {origin}/api/me` and `POST {origin}/api/notes`.
    Api,
}

/// Which discovery documents the fake serves; the other answers 404 (to test a client's
/// fallback from one to the other).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discovery {
    /// Both RFC 8414 metadata and OpenID Connect discovery.
    #[default]
    Both,
    /// Only `/.well-known/oauth-authorization-server{issuer path}`.
    Rfc8414Only,
    /// Only `{issuer}/.well-known/openid-configuration`.
    OpenIdOnly,
}

/// What the `iss` parameter of authorization responses (RFC 9207) carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IssParameter {
    /// The issuer identifier, as RFC 9207 says.
    #[default]
    Issuer,
    /// No `iss` at all (a server without RFC 9207; pair it with
    /// `advertise_iss_parameter: false`, or not, to test a client's check).
    Omitted,
    /// This value instead of the issuer (a mix-up attack, for a mismatch test).
    Wrong(String),
}

/// A one-shot failure queued with [`FakeOAuth2::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 500 with an RFC 6749 `server_error` body.
    ServerError,
    /// Answer normally after this delay (make it longer than the client's timeout).
    Delay(Duration),
    /// 200 with a body that is not JSON.
    Garbage,
    /// Handle the request in full (a refresh rotates the refresh token and, when configured,
    /// revokes the previous access token; a note is kept), then hold the answer for
    /// [`LOST_ANSWER_HOLD`]: the client gives up first and never sees it.
    LoseAnswer,
}

/// How long [`Failure::LoseAnswer`] holds an answer: longer than any client waits.
pub const LOST_ANSWER_HOLD: Duration = Duration::from_secs(60);

/// The last request an endpoint received (secrets included: it is a fake).
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request's path, without the query (which discovery document, which API route).
    pub path: String,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The query (GET) or form body (POST) fields, in order.
    pub fields: Vec<(String, String)>,
    /// The raw body, as (lossy) UTF-8; empty for a GET.
    pub body: String,
}

impl Recorded {
    /// What a handler saw; `fields` are the query's or the form body's.
    pub(crate) fn of(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        fields: &[(String, String)],
        body: &[u8],
    ) -> Self {
        Self {
            method: method.to_string(),
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            fields: fields.to_vec(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first field with this name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// How to start the fake. `Default`: issuer path `/realms/test`, auto-approve as `alice`,
/// one-hour tokens, `Bearer`, `expires_in` sent, revocation advertised, both discovery
/// documents, `iss` advertised and sent, no trailing slashes, the previous access token
/// revoked on refresh, the test clock only, 127.0.0.1 on a free port.
#[derive(Clone, Debug)]
pub struct OAuth2Config {
    /// The issuer's path (`"/realms/test"`), or `""` for an issuer without a path.
    pub issuer_path: String,
    /// What the user does at the authorize endpoint (`Page`: a 200 consent page whose form
    /// POSTs to `{issuer}/authorize/consent`; nothing comes back until it is submitted).
    pub consent: Consent,
    /// Access token lifetime in test-clock seconds.
    pub expires_in: u64,
    /// Leave `expires_in` out of token responses.
    pub omit_expires_in: bool,
    /// Answer `token_type: "bearer"` instead of `"Bearer"`.
    pub lowercase_token_type: bool,
    /// Advertise and serve the revocation endpoint (fixed at start: without it the endpoint
    /// is not routed and answers 404).
    pub revocation_endpoint: bool,
    /// Which discovery documents to serve (see [`FakeOAuth2::set_discovery`]).
    pub discovery: Discovery,
    /// Put `authorization_response_iss_parameter_supported: true` in the metadata (when off
    /// the key is left out).
    pub advertise_iss_parameter: bool,
    /// What authorization responses carry as `iss` (see [`FakeOAuth2::set_iss_parameter`]).
    pub iss_parameter: IssParameter,
    /// Token and revocation endpoints at `.../token/` and `.../revoke/`; the slashless POST
    /// gets a 301 to them.
    pub trailing_slash: bool,
    /// A refresh revokes the access tokens issued before it in the grant.
    pub revoke_previous_access: bool,
    /// Let the clock also run with wall time (the sandbox: tokens really expire); the test
    /// clock's [`FakeOAuth2::advance`] still adds to it.
    pub real_time: bool,
    /// Where to listen.
    pub bind: SocketAddr,
}

impl Default for OAuth2Config {
    fn default() -> Self {
        Self {
            issuer_path: "/realms/test".into(),
            consent: Consent::AutoApprove {
                user: "alice".into(),
            },
            expires_in: 3600,
            omit_expires_in: false,
            lowercase_token_type: false,
            revocation_endpoint: true,
            discovery: Discovery::Both,
            advertise_iss_parameter: true,
            iss_parameter: IssParameter::Issuer,
            trailing_slash: false,
            revoke_previous_access: true,
            real_time: false,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A running fake OAuth 2.0 server; it stops when the handle is dropped.
pub struct FakeOAuth2 {
    shared: Arc<Shared>,
    addr: SocketAddr,
    trailing_slash: bool,
    _shutdown: crate::serve::Stop,
}

impl FakeOAuth2 {
    /// Starts the fake; panics when it cannot bind (a test set-up failure).
    pub async fn start(config: OAuth2Config) -> Self {
        Self::try_start(config)
            .await
            .expect("the fake OAuth 2.0 server binds its address")
    }

    /// Starts the fake, or says why it could not bind.
    pub async fn try_start(config: OAuth2Config) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let issuer = format!("http://{addr}{}", config.issuer_path);
        let trailing_slash = config.trailing_slash;
        let app = routes::router(&config, &issuer);
        let shared = Arc::new(Shared::new(issuer, config));
        let app = app.with_state(Arc::clone(&shared));
        let shutdown = crate::serve::in_background(listener, app);
        Ok(Self {
            shared,
            addr,
            trailing_slash,
            _shutdown: shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The issuer identifier (`http://127.0.0.1:PORT/realms/test`).
    pub fn issuer(&self) -> String {
        self.shared.issuer.clone()
    }

    /// RFC 8414's metadata URL: the well-known segment inserted before the issuer's path.
    pub fn rfc8414_metadata_url(&self) -> String {
        let path = self.shared.inner().knobs.issuer_path.clone();
        format!(
            "{}/.well-known/oauth-authorization-server{path}",
            self.base_url()
        )
    }

    /// OpenID Connect discovery's URL: the well-known segment appended to the issuer.
    pub fn openid_configuration_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// The token endpoint as advertised (with the trailing slash when that knob is on).
    pub fn token_endpoint(&self) -> String {
        routes::endpoint_url(&self.issuer(), "token", self.trailing_slash)
    }

    /// The revocation endpoint as advertised.
    pub fn revocation_endpoint(&self) -> String {
        routes::endpoint_url(&self.issuer(), "revoke", self.trailing_slash)
    }

    /// The userinfo endpoint.
    pub fn userinfo_endpoint(&self) -> String {
        format!("{}/userinfo", self.issuer())
    }

    /// The protected API's `GET {origin}/api/me` (Bearer only): `{sub, preferred_username}`.
    pub fn api_me_url(&self) -> String {
        format!("{}/api/me", self.base_url())
    }

    /// The protected API's `POST {origin}/api/notes` (Bearer only, a JSON object body):
    /// 201 with the body echoed plus `"owner"`.
    pub fn api_notes_url(&self) -> String {
        format!("{}/api/notes", self.base_url())
    }

    /// Every note `POST /api/notes` accepted, as answered (with `owner`), in order.
    pub fn notes(&self) -> Vec<Value> {
        self.shared.inner().notes.clone()
    }

    /// `{issuer}/authorize?` with these query parameters, percent-encoded.
    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&format!("{}/authorize", self.issuer())).expect("a URL");
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// Registers (or replaces) a client.
    pub fn register_client(&self, client_id: &str, client: Client) {
        self.shared.inner().clients.insert(client_id.into(), client);
    }

    /// Sets what the user does at the authorize endpoint from now on.
    pub fn set_consent(&self, consent: Consent) {
        self.shared.inner().knobs.consent = consent;
    }

    /// Sets the lifetime of access tokens issued from now on.
    pub fn set_expires_in(&self, secs: u64) {
        self.shared.inner().knobs.expires_in = secs;
    }

    /// Sets which discovery documents are served from now on (the other answers 404).
    pub fn set_discovery(&self, discovery: Discovery) {
        self.shared.inner().knobs.discovery = discovery;
    }

    /// Puts `authorization_response_iss_parameter_supported` in the metadata, or leaves it out.
    pub fn set_advertise_iss_parameter(&self, on: bool) {
        self.shared.inner().knobs.advertise_iss_parameter = on;
    }

    /// Sets what authorization responses carry as `iss` from now on.
    pub fn set_iss_parameter(&self, iss: IssParameter) {
        self.shared.inner().knobs.iss_parameter = iss;
    }

    /// Turns revoking the previous access token on refresh on or off.
    pub fn set_revoke_previous_access(&self, on: bool) {
        self.shared.inner().knobs.revoke_previous_access = on;
    }

    /// Advances the test clock: tokens and codes expire by it.
    pub fn advance(&self, secs: u64) {
        self.shared.inner().clock += secs;
    }

    /// Queues a failure for the next request to `endpoint` (failures queue per endpoint).
    pub fn fail_next(&self, endpoint: Endpoint, failure: Failure) {
        let mut inner = self.shared.inner();
        inner
            .failures
            .entry(endpoint)
            .or_default()
            .push_back(failure);
    }

    /// How many requests `endpoint` has received, failed ones included.
    pub fn calls(&self, endpoint: Endpoint) -> usize {
        self.shared
            .inner()
            .counts
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// The last request `endpoint` received (for [`Endpoint::Discovery`], a 404 from the
    /// document not served included; its `path` says which was asked).
    pub fn last_request(&self, endpoint: Endpoint) -> Option<Recorded> {
        self.shared.inner().last.get(&endpoint).cloned()
    }

    /// How many grants are alive (approved and neither revoked nor killed by reuse).
    pub fn grants_alive(&self) -> usize {
        self.shared
            .inner()
            .grants
            .values()
            .filter(|g| g.alive)
            .count()
    }

    /// The refresh tokens the token endpoint would take now (unused, of a live grant), in no
    /// particular order: after a lost refresh answer, the rotated one the client never saw.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        let inner = self.shared.inner();
        inner
            .refresh
            .iter()
            .filter(|(_, refresh)| !refresh.used)
            .filter(|(_, refresh)| inner.grants.get(&refresh.grant).is_some_and(|g| g.alive))
            .map(|(token, _)| token.clone())
            .collect()
    }

    /// Requests at the token or revocation endpoint with a method other than POST (a client
    /// that followed the 301 and turned its POST into a GET).
    pub fn wrong_method_calls(&self) -> usize {
        self.shared.inner().wrong_method
    }

    /// Every grant in the order approved: `(client_id, user, scope, alive)`.
    pub fn grants(&self) -> Vec<(String, String, String, bool)> {
        let inner = self.shared.inner();
        let mut grants: Vec<_> = inner.grants.iter().collect();
        grants.sort_unstable_by_key(|(id, _)| **id);
        grants
            .into_iter()
            .map(|(_, g)| {
                (
                    g.client_id.clone(),
                    g.user.clone(),
                    g.scope.clone(),
                    g.alive,
                )
            })
            .collect()
    }
}
