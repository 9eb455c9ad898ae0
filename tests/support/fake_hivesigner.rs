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
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rand::seq::SliceRandom;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use url::Url;

/// What every token starts with: the base64 of `{"signed_message":`.
pub const TOKEN_PREFIX: &str = "eyJzaWduZWRfbWVzc2FnZSI6";

/// The lifetime Hivesigner announces for access tokens: seven days, in seconds.
pub const DEFAULT_EXPIRES_IN: u64 = 604_800;

/// The operations a posting token may broadcast, as `/api/me` reports them in `scope`.
pub const POSTING_OPERATIONS: [&str; 7] = [
    "vote",
    "comment",
    "delete_comment",
    "comment_options",
    "custom_json",
    "claim_reward_balance",
    "account_update2",
];

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

/// The kinds of token, the `type` of the signed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Identity only: `/api/me` works, broadcasting does not.
    Login,
    /// Posting access token.
    Posting,
    /// Posting access token of the older offline kind; treated like [`TokenKind::Posting`].
    Offline,
    /// Authorization code, exchanged at the token endpoint.
    Code,
    /// Refresh token, exchanged at the token endpoint.
    Refresh,
}

impl TokenKind {
    /// The kinds `/api/me` and `/api/broadcast` accept.
    const ACCESS: [TokenKind; 3] = [TokenKind::Login, TokenKind::Posting, TokenKind::Offline];
    /// The kinds the token endpoint accepts.
    const GRANTS: [TokenKind; 2] = [TokenKind::Code, TokenKind::Refresh];

    fn is_access(self) -> bool {
        Self::ACCESS.contains(&self)
    }
}

/// The endpoints the fake counts and can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /oauth2/authorize`.
    Authorize,
    /// `POST /api/oauth2/token` without a `refresh_token` field in the body.
    CodeExchange,
    /// `POST /api/oauth2/token` with a `refresh_token` field in the body.
    Refresh,
    /// `/api/me`.
    Me,
    /// `POST /api/broadcast`.
    Broadcast,
    /// `POST /api/oauth2/token/revoke`.
    Revoke,
}

/// A one-shot failure queued with [`FakeHivesigner::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `NodeFailure` is the name the tests were promised
pub enum Failure {
    /// 500 `{"error":"server_error",...}`.
    ServerError,
    /// Answer normally, after this delay.
    Delay(Duration),
    /// 200 with a body that is not JSON.
    GarbageJson,
    /// 501: the Hive node behind the service failed.
    NodeFailure,
    /// Broadcast: accept and broadcast the transaction, then never answer (the client's
    /// answer is lost; the operations are on chain all the same).
    LoseAnswer,
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
    _shutdown: tokio::sync::oneshot::Sender<()>,
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
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(Arc::clone(&shared));
        tokio::spawn(async move {
            let until_dropped = async {
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(until_dropped)
                .await;
        });
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

// ---------------------------------------------------------------------------------------------
// Tokens

/// What a code or refresh token leads to (for an access token: itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Grant {
    access: TokenKind,
    offline: bool,
}

impl Grant {
    const OFFLINE: Grant = Grant {
        access: TokenKind::Posting,
        offline: true,
    };

    /// What a token minted by hand grants: itself, or offline posting for a code or refresh.
    fn minted(kind: TokenKind) -> Grant {
        match kind {
            TokenKind::Code | TokenKind::Refresh => Grant::OFFLINE,
            access => Grant {
                access,
                offline: false,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SignedMessage {
    #[serde(rename = "type")]
    kind: TokenKind,
    app: String,
}

/// The token's content, in the service's field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Statement {
    signed_message: SignedMessage,
    authors: Vec<String>,
    timestamp: u64,
    signatures: Vec<String>,
}

/// Base64 that takes padded and unpadded input alike.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl Statement {
    /// A fresh statement with a new random signature.
    fn new(kind: TokenKind, app: &str, user: &str, timestamp: u64) -> Self {
        Statement {
            signed_message: SignedMessage {
                kind,
                app: app.into(),
            },
            authors: vec![user.into()],
            timestamp,
            signatures: vec![random_signature()],
        }
    }

    /// The signature, the key the fake remembers its tokens by.
    fn signature(&self) -> Option<&str> {
        self.signatures.first().map(String::as_str)
    }

    /// JSON, base64, then `+/=` written as `-_.`.
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a statement always serialises");
        STANDARD
            .encode(json)
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', ".")
    }

    /// Reads a token in the service's alphabet, plain base64, padded or not.
    fn decode(token: &str) -> Option<Self> {
        let standard: String = token
            .trim()
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                '.' => '=',
                other => other,
            })
            .collect();
        let json = LENIENT.decode(standard).ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// A token the fake signed, with what it grants.
#[derive(Clone, Debug)]
struct Issued {
    statement: Statement,
    grant: Grant,
    expired: bool,
}

impl Issued {
    fn kind(&self) -> TokenKind {
        self.statement.signed_message.kind
    }

    fn app(&self) -> &str {
        &self.statement.signed_message.app
    }

    fn user(&self) -> &str {
        self.statement.authors.first().map_or("", String::as_str)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// 65 bytes as 130 hex chars, starting like a compact recoverable signature.
fn random_signature() -> String {
    format!("1f{}", random_hex(64))
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Clone, Debug)]
struct App {
    secret: String,
    redirect_uris: Vec<String>,
}

/// Everything the knobs turn and the handlers record.
struct Inner {
    apps: HashMap<String, App>,
    consent: Consent,
    expires_in: u64,
    enforce_expiry: bool,
    refuse_refresh: bool,
    full_broadcast_result: bool,
    revoked_authority: HashSet<String>,
    chain_failures: VecDeque<String>,
    failures: HashMap<Endpoint, VecDeque<Failure>>,
    counts: HashMap<Endpoint, usize>,
    broadcasts: Vec<Value>,
    /// Issued tokens by signature: the fake's signature check.
    issued: HashMap<String, Issued>,
    /// Tokens and codes from the consent page name this app instead of the requesting one.
    issue_for_app: Option<String>,
    /// Called with the operations of every accepted broadcast (a fake chain listens here).
    on_broadcast: Option<BroadcastHook>,
}

/// See [`FakeHivesigner::on_broadcast`].
pub type BroadcastHook = Arc<dyn Fn(&Value) + Send + Sync>;

impl Inner {
    /// Issues a token now.
    fn mint(&mut self, kind: TokenKind, app: &str, user: &str, grant: Grant) -> String {
        self.sign(Statement::new(kind, app, user, now_secs()), grant)
    }

    /// Remembers the statement (the fake's signature) and returns it as a token.
    fn sign(&mut self, statement: Statement, grant: Grant) -> String {
        let token = statement.encode();
        let signature = statement.signature().unwrap_or_default().to_owned();
        let issued = Issued {
            statement,
            grant,
            expired: false,
        };
        self.issued.insert(signature, issued);
        token
    }

    /// The issued token this statement is, if it is one, untampered.
    fn lookup(&self, statement: &Statement) -> Option<Issued> {
        let issued = self.issued.get(statement.signature()?)?;
        (issued.statement == *statement).then(|| issued.clone())
    }

    fn is_expired(&self, issued: &Issued) -> bool {
        let age = now_secs().saturating_sub(issued.statement.timestamp);
        self.enforce_expiry
            && issued.kind().is_access()
            && (issued.expired || age >= self.expires_in)
    }
}

/// The fixed configuration and the mutable state, shared by the handle and the handlers.
struct Shared {
    config: FakeConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn new(config: FakeConfig) -> Self {
        let inner = Inner {
            apps: HashMap::new(),
            consent: config.consent.clone(),
            expires_in: config.expires_in,
            enforce_expiry: false,
            refuse_refresh: false,
            full_broadcast_result: false,
            revoked_authority: HashSet::new(),
            chain_failures: VecDeque::new(),
            failures: HashMap::new(),
            counts: HashMap::new(),
            broadcasts: Vec::new(),
            issued: HashMap::new(),
            issue_for_app: None,
            on_broadcast: None,
        };
        Self {
            config,
            inner: Mutex::new(inner),
        }
    }

    /// The state; a panicked holder cannot have left it half-changed in a way that matters.
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the request, then plays the failure queued for `endpoint`, if any. `Ok(true)`:
    /// answer nothing once the request is done ([`Failure::LoseAnswer`]).
    async fn enter(&self, endpoint: Endpoint) -> Result<bool, Refusal> {
        let failure = {
            let mut inner = self.inner();
            *inner.counts.entry(endpoint).or_default() += 1;
            inner
                .failures
                .get_mut(&endpoint)
                .and_then(VecDeque::pop_front)
        };
        match failure {
            None => Ok(false),
            // Played by the broadcast handler once the transaction is on chain.
            Some(Failure::LoseAnswer) => Ok(true),
            Some(Failure::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(false)
            }
            Some(Failure::ServerError) => Err(server_error("Internal Server Error")),
            Some(Failure::GarbageJson) => Err(Refusal::Garbage),
            Some(Failure::NodeFailure) => Err(api_error(
                StatusCode::NOT_IMPLEMENTED,
                "server_error",
                "Request to hived API failed",
            )),
        }
    }

    /// The issued, unexpired token of one of the `allowed` kinds.
    fn verify(&self, token: Option<&str>, allowed: &[TokenKind]) -> Result<Issued, Refusal> {
        let statement = token.and_then(Statement::decode).ok_or_else(invalid_role)?;
        let inner = self.inner();
        let issued = inner
            .lookup(&statement)
            .filter(|issued| allowed.contains(&issued.kind()))
            .ok_or_else(invalid_role)?;
        if inner.is_expired(&issued) {
            return Err(api_error(
                StatusCode::UNAUTHORIZED,
                "invalid_grant",
                "The token has expired",
            ));
        }
        Ok(issued)
    }
}

// ---------------------------------------------------------------------------------------------
// Errors and small responses

/// Why a request is refused; it becomes the service's answer at the edge.
#[derive(Debug)]
enum Refusal {
    /// `{"error": CODE, "error_description": TEXT}` with this status.
    Api {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
    /// The chain refused the transaction: 500, with the raw RPC error under `response`.
    Chain(String),
    /// Express's default error page: the real token endpoint without `client_secret`.
    Crash,
    /// 200 with a body that is not JSON.
    Garbage,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Api {
                status,
                error,
                description,
            } => {
                let body = json!({"error": error, "error_description": description});
                (status, Json(body)).into_response()
            }
            Refusal::Chain(message) => {
                let body = json!({
                    "error": "server_error",
                    "error_description": message,
                    "response": {
                        "name": "RPCError",
                        "message": message,
                        "jse_shortmsg": message,
                        "jse_info": {"code": 10, "name": "assert_exception", "message": message},
                    },
                });
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
            Refusal::Crash => (StatusCode::INTERNAL_SERVER_ERROR, Html(CRASH_PAGE)).into_response(),
            Refusal::Garbage => {
                let json = [(header::CONTENT_TYPE, "application/json")];
                (
                    StatusCode::OK,
                    json,
                    "{\"result\": {\"id\": \"<html>upstream hiccup",
                )
                    .into_response()
            }
        }
    }
}

const CRASH_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
    <title>Error</title>\n</head>\n<body>\n<pre>TypeError [ERR_INVALID_ARG_TYPE]: The \"data\" \
    argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received \
    undefined</pre>\n</body>\n</html>\n";

fn api_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal::Api {
        status,
        error,
        description: description.into(),
    }
}

fn invalid_role() -> Refusal {
    api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
        "The token has invalid role",
    )
}

fn server_error(description: &str) -> Refusal {
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        description,
    )
}

/// The bare 404 the UI shows for an unknown app or a redirect URI it refuses.
fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

// ---------------------------------------------------------------------------------------------
// Request bodies and headers

fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// The JSON body, when the request says it is JSON (as Express's body parser requires).
fn json_body(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    if !content_type(headers).contains("json") {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// The body's top-level fields as strings, from JSON or a form; `null` counts as absent.
fn body_fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    if content_type(headers).contains("x-www-form-urlencoded") {
        return parse_form(body);
    }
    let Some(Value::Object(map)) = json_body(headers, body) else {
        return HashMap::new();
    };
    let scalar = |value: Value| match value {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => Some(other.to_string()),
    };
    map.into_iter()
        .filter_map(|(key, value)| scalar(value).map(|text| (key, text)))
        .collect()
}

/// The `Authorization` header's token: raw, or after `Bearer ` or `Basic ` (capital first
/// letter only: `bearer TOKEN` stays `bearer TOKEN`, which is no token).
fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = ["Bearer ", "Basic "]
        .iter()
        .find_map(|prefix| value.strip_prefix(prefix))
        .unwrap_or(value);
    (!token.is_empty()).then(|| token.to_owned())
}

/// The fields a request may carry a token in, after the `Authorization` header.
const TOKEN_FIELDS: [&str; 3] = ["access_token", "code", "refresh_token"];

/// The token of a request, looked for exactly where the real server's `strategy` middleware
/// looks, on every authenticated route: the `Authorization` header, then `access_token`,
/// `code` and `refresh_token`, each in the query string, then in the body. Nothing else: a
/// field named `token` is never read (an empty value counts as absent).
fn request_token(
    headers: &HeaderMap,
    query: Option<&str>,
    fields: &HashMap<String, String>,
) -> Option<String> {
    if let Some(token) = header_token(headers) {
        return Some(token);
    }
    let query = query.map_or_else(HashMap::new, |query| parse_form(query.as_bytes()));
    TOKEN_FIELDS.iter().find_map(|name| {
        [query.get(*name), fields.get(*name)]
            .into_iter()
            .flatten()
            .find(|token| !token.is_empty())
            .cloned()
    })
}

// ---------------------------------------------------------------------------------------------
// Authorize

/// The authorize page's query.
#[derive(Clone, Debug, Default)]
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scope: String,
    response_type: String,
    state: String,
}

impl AuthRequest {
    fn from_params(params: &HashMap<String, String>) -> Self {
        let field = |name: &str| params.get(name).cloned().unwrap_or_default();
        Self {
            client_id: field("client_id"),
            redirect_uri: field("redirect_uri"),
            scope: field("scope"),
            response_type: field("response_type"),
            state: field("state"),
        }
    }

    /// The fields, to carry through the consent page's form.
    fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("response_type", &self.response_type),
            ("state", &self.state),
        ]
    }

    /// `offline` anywhere: posting and code flow; exactly `login`: identity; else posting.
    fn grant(&self) -> Grant {
        if self.scope.contains("offline") {
            return Grant::OFFLINE;
        }
        let access = if self.scope.trim() == "login" {
            TokenKind::Login
        } else {
            TokenKind::Posting
        };
        Grant {
            access,
            offline: false,
        }
    }

    fn code_flow(&self) -> bool {
        self.grant().offline || self.response_type == "code"
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// Same scheme, host, path and query; the port may differ.
fn same_but_port(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && a.query() == b.query()
}

fn legacy_allows(registered: &[String], requested: &str) -> bool {
    registered.iter().any(|uri| uri == requested)
}

fn modern_allows(registered: &[String], requested: &str) -> bool {
    let Ok(url) = Url::parse(requested) else {
        return false;
    };
    match url.scheme() {
        "https" => legacy_allows(registered, requested),
        "http" if is_loopback(&url) => registered
            .iter()
            .filter_map(|uri| Url::parse(uri).ok())
            .any(|uri| same_but_port(&uri, &url)),
        _ => false,
    }
}

impl RedirectRules {
    fn allows(self, registered: &[String], requested: &str) -> bool {
        match self {
            RedirectRules::Legacy => legacy_allows(registered, requested),
            RedirectRules::Modern2026 => modern_allows(registered, requested),
            RedirectRules::AnyGeneration => {
                legacy_allows(registered, requested) || modern_allows(registered, requested)
            }
        }
    }
}

impl Shared {
    /// The app is known and this redirect URI is allowed for it.
    fn accepts(&self, request: &AuthRequest) -> bool {
        let inner = self.inner();
        inner.apps.get(&request.client_id).is_some_and(|app| {
            let rules = self.config.redirect_rules;
            rules.allows(&app.redirect_uris, &request.redirect_uri)
        })
    }

    fn knows_user(&self, user: &str) -> bool {
        self.config.users.iter().any(|known| known == user)
    }

    fn default_user(&self) -> &str {
        self.config.users.first().map_or("alice", String::as_str)
    }

    /// Issues what the request asks for and returns where the browser goes back to.
    fn approve(&self, request: &AuthRequest, user: &str) -> String {
        let grant = request.grant();
        let mut params: Vec<(&str, String)> = {
            let mut inner = self.inner();
            let app = &inner
                .issue_for_app
                .clone()
                .unwrap_or_else(|| request.client_id.clone());
            if request.code_flow() {
                let code = inner.mint(TokenKind::Code, app, user, grant);
                vec![
                    ("code", code),
                    ("state", request.state.clone()),
                    ("username", user.into()),
                ]
            } else {
                let token = inner.mint(grant.access, app, user, grant);
                vec![
                    ("state", request.state.clone()),
                    ("access_token", token),
                    ("expires_in", inner.expires_in.to_string()),
                    ("username", user.into()),
                ]
            }
        };
        params.retain(|(key, value)| *key != "state" || !value.is_empty());
        self.order_keys(&mut params);
        self.join_callback(&request.redirect_uri, &params)
    }

    fn order_keys(&self, params: &mut [(&str, String)]) {
        if self.config.dialect == Dialect::SteemconnectV2 {
            params.sort_by_key(|(key, _)| *key);
        }
        if self.config.shuffle_keys {
            params.shuffle(&mut rand::rng());
        }
    }

    /// `CALLBACK?query`; a callback with a query of its own gets `&` (or a second `?`).
    fn join_callback(&self, callback: &str, params: &[(&str, String)]) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let own_query = callback.contains('?');
        let separator = if own_query && !self.config.legacy_second_question_mark {
            '&'
        } else {
            '?'
        };
        format!("{callback}{separator}{query}")
    }
}

async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    if let Err(failure) = shared.enter(Endpoint::Authorize).await {
        return failure.into_response();
    }
    let request = AuthRequest::from_params(&parse_form(query.unwrap_or_default().as_bytes()));
    if !shared.accepts(&request) {
        return not_found();
    }
    let consent = shared.inner().consent.clone();
    match consent {
        Consent::AutoApprove { user } => found(&shared.approve(&request, &user)),
        Consent::Deny => denied_page(&request).into_response(),
        Consent::Page => consent_page(&request, shared.default_user(), None).into_response(),
    }
}

/// The consent page's form: approve as an account the fake knows, or deny.
async fn decide(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let request = AuthRequest::from_params(&form);
    if !shared.accepts(&request) {
        return not_found();
    }
    let user = form.get("username").map_or("", |name| name.trim());
    match form.get("decision").map(String::as_str) {
        Some("approve") if shared.knows_user(user) => found(&shared.approve(&request, user)),
        Some("approve") => {
            let known = shared.config.users.join(", ");
            let problem = format!("There is no account @{user} here. Known accounts: {known}.");
            consent_page(&request, user, Some(&problem)).into_response()
        }
        _ => denied_page(&request).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pages

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d1f23;\
margin:0}main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
box-shadow:0 2px 12px #0002}h1{font-size:1.4rem;margin-top:0}dt{font-weight:600;margin-top:.6rem}\
dd{margin:0;word-break:break-all}label{display:block;margin:1.2rem 0 .4rem;font-weight:600}\
input[type=text]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
.buttons{display:flex;gap:.8rem;margin-top:1.2rem}button{flex:1;padding:.7rem;font-size:1rem;\
border-radius:8px;border:1px solid #888;cursor:pointer}button.approve{background:#e31337;\
color:#fff;border-color:#e31337}.problem{color:#b00020;font-weight:600}.note{color:#666}";

fn escape_html(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".into(),
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            other => other.to_string(),
        })
        .collect()
}

/// A whole page; `title` is escaped, `body` is already HTML.
fn page(title: &str, body: &str) -> Html<String> {
    let title = escape_html(title);
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} - fake Hivesigner\
         </title><style>{STYLE}</style></head><body><main><h1>{title}</h1>{body}</main></body>\
         </html>"
    ))
}

fn consent_page(request: &AuthRequest, user: &str, problem: Option<&str>) -> Html<String> {
    let grant = request.grant();
    let grants = match grant.access {
        TokenKind::Login => "your identity only (login)".to_owned(),
        _ => format!("posting: {}", POSTING_OPERATIONS.join(", ")),
    };
    let flow = if request.code_flow() {
        "a code, which the app exchanges with its secret"
    } else {
        "an access token, in the link"
    };
    let hidden: String = request
        .fields()
        .iter()
        .map(|(name, value)| {
            let value = escape_html(value);
            format!("<input type=\"hidden\" name=\"{name}\" value=\"{value}\">")
        })
        .collect();
    let problem = problem.map_or(String::new(), |text| {
        format!("<p class=\"problem\">{}</p>", escape_html(text))
    });
    let body = format!(
        "<p>The app <strong>@{app}</strong> asks for access to your account.</p><dl>\
         <dt>App</dt><dd>@{app}</dd><dt>Requested scope</dt><dd>{scope}</dd>\
         <dt>It will get</dt><dd>{grants}</dd><dt>Sent back to</dt><dd>{redirect}</dd>\
         <dt>As</dt><dd>{flow}</dd></dl>{problem}\
         <form method=\"post\" action=\"/oauth2/authorize/decision\">{hidden}\
         <label for=\"username\">Account</label>\
         <input type=\"text\" id=\"username\" name=\"username\" value=\"{user}\" autofocus>\
         <div class=\"buttons\"><button type=\"submit\" name=\"decision\" value=\"deny\">Deny\
         </button><button class=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">\
         Approve</button></div></form>",
        app = escape_html(&request.client_id),
        scope = escape_html(&request.scope),
        redirect = escape_html(&request.redirect_uri),
        user = escape_html(user),
    );
    page("Authorize an app", &body)
}

fn denied_page(request: &AuthRequest) -> Html<String> {
    let body = format!(
        "<p>You denied <strong>@{}</strong> access. Nothing was sent back to the app.</p>\
         <p class=\"note\">You can close this window.</p>",
        escape_html(&request.client_id)
    );
    page("Request denied", &body)
}

async fn revoke_page(Path(app): Path<String>) -> Html<String> {
    let body = format!(
        "<p>To revoke <strong>@{app}</strong>, remove it from your account's posting \
         authority. Until then its tokens keep working: Hivesigner keeps no token table.</p>\
         <p class=\"note\">This fake changes nothing here; tests use \
         <code>revoke_app_authority</code>.</p>",
        app = escape_html(&app)
    );
    page("Revoke an app", &body)
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

impl Shared {
    /// Code exchange or refresh: the token is read as on every route ([`request_token`]: the
    /// header first, as the real server reads it, then `access_token`, `code`, `refresh_token`).
    fn exchange(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        fields: &HashMap<String, String>,
    ) -> Result<Value, Refusal> {
        let token = request_token(headers, query, fields);
        let issued = self.verify(token.as_deref(), &TokenKind::GRANTS)?;
        if issued.kind() == TokenKind::Refresh && self.inner().refuse_refresh {
            return Err(invalid_role());
        }
        self.check_client(fields, &issued)?;
        Ok(self.token_response(&issued))
    }

    /// The client secret (and, for Steemconnect, the client id) must be the app's.
    fn check_client(
        &self,
        fields: &HashMap<String, String>,
        issued: &Issued,
    ) -> Result<(), Refusal> {
        let secret = fields.get("client_secret");
        if self.config.dialect == Dialect::Hivesigner && secret.is_none() {
            return Err(Refusal::Crash);
        }
        let client_ok = match self.config.dialect {
            Dialect::Hivesigner => true,
            Dialect::SteemconnectV2 => {
                fields.get("client_id").map(String::as_str) == Some(issued.app())
            }
        };
        let inner = self.inner();
        let app = inner.apps.get(issued.app());
        if client_ok && app.is_some_and(|app| Some(&app.secret) == secret) {
            return Ok(());
        }
        Err(api_error(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "The code or secret is not valid",
        ))
    }

    fn token_response(&self, issued: &Issued) -> Value {
        let (app, user, grant) = (issued.app(), issued.user(), issued.grant);
        let mut inner = self.inner();
        let mut body = json!({
            "access_token": inner.mint(grant.access, app, user, grant),
            "expires_in": inner.expires_in,
            "username": user,
        });
        if self.config.dialect == Dialect::Hivesigner || grant.offline {
            let refresh_grant = Grant {
                offline: true,
                ..grant
            };
            body["refresh_token"] = inner
                .mint(TokenKind::Refresh, app, user, refresh_grant)
                .into();
        }
        body
    }
}

async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let fields = body_fields(&headers, &body);
    let endpoint = if fields.contains_key("refresh_token") {
        Endpoint::Refresh
    } else {
        Endpoint::CodeExchange
    };
    shared.enter(endpoint).await?;
    shared
        .exchange(&headers, query.as_deref(), &fields)
        .map(Json)
}

/// Hivesigner: an access token where every route reads one ([`request_token`]; a `token`
/// field is not read, so `{"token": ...}` alone is 401 invalid role), then `{"success":true}`
/// and nothing changes. Steemconnect v2: the `token` field, or the token where every route
/// reads it, is forgotten.
async fn revoke(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    shared.enter(Endpoint::Revoke).await?;
    let mut fields = body_fields(&headers, &body);
    match shared.config.dialect {
        Dialect::Hivesigner => {
            let token = request_token(&headers, query.as_deref(), &fields);
            shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
        }
        Dialect::SteemconnectV2 => {
            let token = fields
                .remove("token")
                .or_else(|| request_token(&headers, query.as_deref(), &fields));
            if let Some(statement) = token.as_deref().and_then(Statement::decode) {
                shared
                    .inner()
                    .issued
                    .remove(statement.signature().unwrap_or_default());
            }
        }
    }
    Ok(Json(json!({"success": true})))
}

// ---------------------------------------------------------------------------------------------
// /api/me

impl Shared {
    fn me(&self, issued: &Issued) -> Value {
        let user = issued.user();
        let scope: Vec<&str> = match issued.kind() {
            TokenKind::Login => vec!["login"],
            _ => POSTING_OPERATIONS.to_vec(),
        };
        json!({
            "user": user,
            "_id": user,
            "name": user,
            "account": self.account(user, issued.app()),
            "scope": scope,
            "user_metadata": {},
        })
    }

    /// A plausible slice of the chain account; `account_auths` shows the app's authority.
    fn account(&self, user: &str, app: &str) -> Value {
        let (coin, dollar_field, dollar) = match self.config.dialect {
            Dialect::Hivesigner => ("HIVE", "hbd_balance", "HBD"),
            Dialect::SteemconnectV2 => ("STEEM", "sbd_balance", "SBD"),
        };
        let account_auths = if self.inner().revoked_authority.contains(user) {
            json!([])
        } else {
            json!([[app, 1]])
        };
        let id = user
            .bytes()
            .fold(1_000u64, |id, b| id * 31 % 9_999_991 + u64::from(b));
        let mut account = json!({
            "id": id,
            "name": user,
            "created": "2018-03-01T12:00:00",
            "balance": format!("12.345 {coin}"),
            "vesting_shares": "123456.789012 VESTS",
            "post_count": 42,
            "reputation": "1234567890",
            "json_metadata": "",
            "posting_json_metadata": json!({"profile": {"name": user}}).to_string(),
            "posting": {"weight_threshold": 1, "account_auths": account_auths, "key_auths": []},
        });
        account[dollar_field] = format!("1.000 {dollar}").into();
        account
    }
}

async fn me(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    shared.enter(Endpoint::Me).await?;
    let fields = body_fields(&headers, &body);
    let token = request_token(&headers, query.as_deref(), &fields);
    let issued = shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
    Ok(Json(shared.me(&issued)))
}

// ---------------------------------------------------------------------------------------------
// /api/broadcast

/// `[[name, {...}], ...]`, non-empty, or the 500 a malformed transaction gets.
fn parse_operations(operations: &Value) -> Result<Vec<(&str, &Value)>, Refusal> {
    let malformed = || server_error("operations must be a non-empty array of [name, {...}] pairs");
    let list = operations.as_array().filter(|list| !list.is_empty());
    list.ok_or_else(malformed)?
        .iter()
        .map(|operation| match operation.as_array().map(Vec::as_slice) {
            Some([Value::String(name), body @ Value::Object(_)]) => Ok((name.as_str(), body)),
            _ => Err(malformed()),
        })
        .collect()
}

/// Every operation must be one the token's scope allows.
fn check_scope(kind: TokenKind, operations: &[(&str, &Value)]) -> Result<(), Refusal> {
    let allowed: &[&str] = match kind {
        TokenKind::Login => &[],
        _ => &POSTING_OPERATIONS,
    };
    let mut refused: Vec<&str> = Vec::new();
    for (name, _) in operations {
        if !allowed.contains(name) && !refused.contains(name) {
            refused.push(name);
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let description = format!(
        "The access_token scope does not allow the following operation(s): {}",
        refused.join(", ")
    );
    Err(api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_scope",
        description,
    ))
}

/// The accounts an operation is authored by (a non-string entry counts as a stranger).
fn operation_authors<'a>(name: &str, body: &'a Value) -> Vec<&'a str> {
    let one = |field: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .into_iter()
            .collect()
    };
    match name {
        "vote" => one("voter"),
        "comment" | "comment_options" | "delete_comment" => one("author"),
        "claim_reward_balance" | "account_update2" => one("account"),
        "custom_json" => ["required_auths", "required_posting_auths"]
            .iter()
            .filter_map(|field| body.get(*field).and_then(Value::as_array))
            .flatten()
            .map(|account| account.as_str().unwrap_or(""))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every operation must be authored by the token's user, and only by them.
fn check_authors(user: &str, operations: &[(&str, &Value)]) -> Result<(), Refusal> {
    let by_user = |(name, body): &(&str, &Value)| {
        let authors = operation_authors(name, body);
        !authors.is_empty() && authors.iter().all(|author| *author == user)
    };
    if operations.iter().all(by_user) {
        return Ok(());
    }
    Err(api_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized_client",
        format!(
            "This access_token allow you to broadcast transaction only for the account @{user}"
        ),
    ))
}

impl Shared {
    fn check_authority(&self, issued: &Issued) -> Result<(), Refusal> {
        if !self.inner().revoked_authority.contains(issued.user()) {
            return Ok(());
        }
        let description = format!(
            "The app @{} doesn't have permission to broadcast for @{}",
            issued.app(),
            issued.user()
        );
        Err(api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            description,
        ))
    }

    fn take_chain_failure(&self) -> Result<(), Refusal> {
        match self.inner().chain_failures.pop_front() {
            Some(message) => Err(Refusal::Chain(message)),
            None => Ok(()),
        }
    }

    /// Records the operations and answers like the chain's broadcast result.
    fn accept_broadcast(&self, operations: &Value) -> Value {
        let hook = self.inner().on_broadcast.clone();
        if let Some(hook) = hook {
            hook(operations);
        }
        let mut inner = self.inner();
        inner.broadcasts.push(operations.clone());
        let id = random_hex(20);
        if !inner.full_broadcast_result {
            return json!({"result": {"id": id}});
        }
        let block_num = 90_000_000 + inner.broadcasts.len() as u64;
        json!({
            "result": {
                "id": id,
                "block_num": block_num,
                "trx_num": 0,
                "expired": false,
                "ref_block_num": block_num & 0xffff,
                "ref_block_prefix": rand::rng().random::<u32>(),
                "operations": operations,
                "extensions": [],
                "signatures": [random_signature()],
            },
            "errors": null,
        })
    }
}

async fn broadcast(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let lose_answer = shared.enter(Endpoint::Broadcast).await?;
    let fields = body_fields(&headers, &body);
    let token = request_token(&headers, query.as_deref(), &fields);
    let issued = shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
    shared.check_authority(&issued)?;
    let body = json_body(&headers, &body).unwrap_or(Value::Null);
    let operations = body.get("operations").unwrap_or(&Value::Null);
    let parsed = parse_operations(operations)?;
    check_scope(issued.kind(), &parsed)?;
    check_authors(issued.user(), &parsed)?;
    shared.take_chain_failure()?;
    let answer = shared.accept_broadcast(operations);
    if lose_answer {
        // On chain, but the answer never comes: the client gives up first.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    Ok(Json(answer))
}

// ---------------------------------------------------------------------------------------------
// Routes

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/authorize/decision", post(decide))
        .route("/api/oauth2/token", post(token))
        .route("/api/oauth2/token/", post(token))
        .route("/api/oauth2/token/revoke", post(revoke))
        .route("/api/me", any(me))
        .route("/api/broadcast", post(broadcast))
        .route("/revoke/{app}", get(revoke_page))
        .fallback(|| async { not_found() })
        .with_state(shared)
}
