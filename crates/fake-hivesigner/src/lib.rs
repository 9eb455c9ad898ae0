//! A fake Hivesigner (and Steemconnect v2 token API) over real HTTP, for tests and the offline
//! sandbox, built to `shared/docs/hivesigner-protocol.md`, quirks included.
//!
//! ```ignore
//! let fake = FakeHivesigner::start(FakeConfig::default()).await;
//! fake.register_app("myapp", "secret", &["http://127.0.0.1/callback"]);
//! let url = fake.authorize_url(&[("client_id", "myapp"), ("redirect_uri", "http://127.0.0.1:4000/callback"),
//!                                 ("scope", "offline"), ("state", "s1")]);
//! let location = consent(&url).await; // Some("http://127.0.0.1:4000/callback?code=...&state=s1&username=alice")
//! ```
//!
//! Tokens are the service's self-contained signed statements. The fake remembers every
//! statement it signed; that is its signature check, so anything it did not issue (or a
//! tampered copy) is `The token has invalid role`, as on the real service. The server stops
//! when its [`FakeHivesigner`] handle is dropped.
//!
//! Modules: `tokens` (statements, minting, kinds), `state` (the shared state and knobs),
//! `errors` (refusals and their answers), `authorize` and `pages` (the authorize flow
//! and its HTML pages), `token_endpoint`, `me`, `broadcast`, `routes` (the router and
//! where each route reads the token), `pacing` (the answer delay, the rate limit and the
//! in-flight record in front of every route), and [`node`], a fake Hive API node; [`oauth2`], a
//! strict fake OAuth 2.0 / OpenID Connect server, and [`token_site`], a fake "apps tab"
//! token site, for the next provider kinds.

mod authorize;
mod broadcast;
mod errors;
mod me;
pub mod node;
pub mod oauth2;
mod pacing;
mod pages;
mod routes;
mod serve;
mod state;
mod token_endpoint;
pub mod token_site;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

pub use pacing::{Arrival, RateLimit, RetryAfter};
pub use state::{BroadcastHook, Endpoint, Failure};
pub use tokens::{TokenKind, DEFAULT_EXPIRES_IN, POSTING_OPERATIONS, TOKEN_PREFIX};

use routes::router;
use state::{App, Shared};
use tokens::{now_secs, Grant, Statement};

/// Which service's token endpoint the fake speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Hivesigner: JSON or form `{code | refresh_token, client_secret}`, always a refresh token,
    /// a crash without `client_secret`, and a revoke call that changes nothing.
    Hivesigner,
    /// Steemconnect v2 / SteemLogin: `client_id` must match, a refresh token only for `offline`
    /// grants, callback keys sorted, and revoke really forgets the token.
    SteemconnectV2,
}

/// Which redirect URIs the authorize page accepts for an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectRules {
    /// The older UI: exact string match (port included); custom schemes accepted.
    Legacy,
    /// The 2026 rules: https (exact), or http on 127.0.0.1 / localhost / [::1] where a
    /// registered loopback URI matches any port with the same host, path and query; custom
    /// schemes refused.
    Modern2026,
    /// Whatever either generation accepts (the sandbox: a deep link and any loopback port).
    AnyGeneration,
}

/// What the "user" does on the authorize page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Consent {
    /// Approve at once as this user: the page answers with the 302 back to the app.
    AutoApprove {
        /// The account that approves.
        user: String,
    },
    /// Refuse: a 200 page, and nothing ever comes back to the app.
    Deny,
    /// A visible consent page (app, scope, account field, Approve and Deny).
    Page,
}

/// How to start the fake. `Default`: Hivesigner dialect, 2026 redirect rules, `&` joining,
/// no key shuffling, auto-approve as `alice`, seven-day tokens, 127.0.0.1 on a free port.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Which token endpoint dialect to speak.
    pub dialect: Dialect,
    /// Which redirect URIs to accept.
    pub redirect_rules: RedirectRules,
    /// Join the callback's own query with a second `?` (older UI) instead of `&`.
    pub legacy_second_question_mark: bool,
    /// Put the callback's query keys in a random order.
    pub shuffle_keys: bool,
    /// What the user does on the authorize page at first (see [`FakeHivesigner::set_consent`]).
    pub consent: Consent,
    /// `expires_in` at first (see [`FakeHivesigner::set_expires_in`]).
    pub expires_in: u64,
    /// The accounts the consent page accepts; the first one prefills its account field.
    pub users: Vec<String>,
    /// Where to listen.
    pub bind: SocketAddr,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            dialect: Dialect::Hivesigner,
            redirect_rules: RedirectRules::Modern2026,
            legacy_second_question_mark: false,
            shuffle_keys: false,
            consent: Consent::AutoApprove {
                user: "alice".into(),
            },
            expires_in: DEFAULT_EXPIRES_IN,
            users: vec!["alice".into(), "bob".into(), "carol".into()],
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// A running fake. Every knob is thread-safe and may be turned while it serves.
pub struct FakeHivesigner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// Dropping it (with the handle) ends the server.
    _shutdown: crate::serve::Stop,
}

impl FakeHivesigner {
    /// Starts the fake; panics when it cannot bind (a test set-up failure).
    pub async fn start(config: FakeConfig) -> Self {
        Self::try_start(config)
            .await
            .expect("the fake Hivesigner binds its address")
    }

    /// Starts the fake, or says why it could not bind.
    pub async fn try_start(config: FakeConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config));
        let app = router(Arc::clone(&shared));
        let shutdown = crate::serve::in_background(listener, app);
        Ok(Self {
            shared,
            addr,
            _shutdown: shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `{base}/oauth2/authorize?` with these query parameters, percent-encoded.
    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&self.base_url()).expect("the base URL is a URL");
        url.set_path("/oauth2/authorize");
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// Registers (or replaces) an app with its client secret and redirect URIs.
    pub fn register_app(&self, client_id: &str, secret: &str, redirect_uris: &[&str]) {
        let app = App {
            secret: secret.into(),
            redirect_uris: redirect_uris.iter().map(|uri| uri.to_string()).collect(),
        };
        self.shared.inner().apps.insert(client_id.into(), app);
    }

    /// Sets what the user does on the authorize page from now on.
    pub fn set_consent(&self, consent: Consent) {
        self.shared.inner().consent = consent;
    }

    /// Sets the `expires_in` announced from now on (and the age limit of [`Self::enforce_expiry`]).
    pub fn set_expires_in(&self, secs: u64) {
        self.shared.inner().expires_in = secs;
    }

    /// When on, access tokens at least `expires_in` old (or expired with
    /// [`Self::expire_all_tokens`]) get 401 invalid_grant. Codes and refresh tokens never expire.
    pub fn enforce_expiry(&self, on: bool) {
        self.shared.inner().enforce_expiry = on;
    }

    /// Makes every token issued so far count as expired while expiry is enforced.
    pub fn expire_all_tokens(&self) {
        for issued in self.shared.inner().issued.values_mut() {
            issued.expired = true;
        }
    }

    /// When on, refresh tokens get 401 invalid_grant at the token endpoint.
    pub fn refuse_refresh(&self, on: bool) {
        self.shared.inner().refuse_refresh = on;
    }

    /// Removes (or restores) every app's posting authority on `user`'s account.
    pub fn revoke_app_authority(&self, user: &str, revoked: bool) {
        let mut inner = self.shared.inner();
        if revoked {
            inner.revoked_authority.insert(user.into());
        } else {
            inner.revoked_authority.remove(user);
        }
    }

    /// The next broadcast that passes every check is refused by the "chain" with this message.
    pub fn fail_chain_next(&self, message: &str) {
        self.shared.inner().chain_failures.push_back(message.into());
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
    pub fn count(&self, endpoint: Endpoint) -> usize {
        let inner = self.shared.inner();
        inner.counts.get(&endpoint).copied().unwrap_or(0)
    }

    /// The `operations` array of every accepted broadcast, in order.
    pub fn broadcasts(&self) -> Vec<Value> {
        self.shared.inner().broadcasts.clone()
    }

    /// When on, a broadcast answers with the fuller documented shape (`ref_block_num`,
    /// `operations`, `signatures`, and a top-level `errors: null`).
    pub fn full_broadcast_result(&self, on: bool) {
        self.shared.inner().full_broadcast_result = on;
    }

    /// From now on, the consent page issues codes and tokens naming `app` (`None`: the app
    /// that asked, as the real service does), as a sign-in answered for another app would.
    pub fn issue_for_app(&self, app: Option<&str>) {
        self.shared.inner().issue_for_app = app.map(str::to_owned);
    }

    /// Calls `hook` with the `operations` of every accepted broadcast, before it is answered.
    pub fn on_broadcast(&self, hook: BroadcastHook) {
        self.shared.inner().on_broadcast = Some(hook);
    }

    /// Every answer from now on waits `delay` first (`Duration::ZERO`: none), on every route:
    /// a provider answering in 100 ms. Requests refused by the rate limit answer at once.
    pub fn set_answer_delay(&self, delay: std::time::Duration) {
        self.shared.edge.set_delay(delay);
    }

    /// Refuses requests beyond `limit` (`None`: no limit) with 429
    /// `{"error":"too_many_requests",...}` and its `Retry-After`, before any route sees them:
    /// a refused broadcast is not broadcast, not recorded and not counted.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.edge.set_limit(limit);
    }

    /// The most requests (on any route) answered at once since the start or the last
    /// [`Self::reset_pacing_record`].
    pub fn max_in_flight(&self) -> usize {
        self.shared.edge.max_in_flight()
    }

    /// How many requests the rate limit refused.
    pub fn rate_limited(&self) -> usize {
        self.shared.edge.refused()
    }

    /// Every request (on any route) as the edge saw it, in order of arrival.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared.edge.arrivals()
    }

    /// Forgets the maximum in flight, the refusal count and the arrivals (not the knobs).
    pub fn reset_pacing_record(&self) {
        self.shared.edge.reset_record();
    }

    /// Signs a token of `kind` for `app` and `user`, as if the service had issued it now. Codes
    /// and refresh tokens minted here lead to posting access and count as `offline` grants.
    pub fn mint_token(&self, kind: TokenKind, app: &str, user: &str) -> String {
        self.mint_token_at(kind, app, user, now_secs())
    }

    /// [`Self::mint_token`] with the statement's `timestamp` (UNIX seconds) chosen, to make
    /// tokens of any age.
    pub fn mint_token_at(&self, kind: TokenKind, app: &str, user: &str, timestamp: u64) -> String {
        let statement = Statement::new(kind, app, user, timestamp);
        self.shared.inner().sign(statement, Grant::minted(kind))
    }
}

/// Plays the user's browser: GETs `authorize_url` without following redirects and returns the
/// `Location` it redirects to, or `None` when nothing comes back (a page, an error, no server).
pub async fn consent(authorize_url: &str) -> Option<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()?;
    let response = client.get(authorize_url).send().await.ok()?;
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(reqwest::header::LOCATION)?;
    location.to_str().ok().map(str::to_owned)
}
