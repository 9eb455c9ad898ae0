//! A fake "apps tab" token site over real HTTP: apps registered with ONE redirect URI, a
//! consent page at `/authorize/` that redirects with `?token=T` (no state, no code), an API
//! that reads the raw `Authorization: <token>` header, personal tokens minted by the admins,
//! and a settings page (`/settings/apps`) as the only way to revoke.
//!
//! ```ignore
//! let site = FakeTokenSite::start(TokenSiteConfig::default()).await;
//! site.register_app("app", "http://127.0.0.1:4000/cb");
//! // GET {base}/authorize/?client_id=app -> 302 http://127.0.0.1:4000/cb?token=...
//! ```
//!
//! Routes:
//! - `GET /authorize/?client_id=ID`: the consent page (or, with [`Consent::AutoApprove`], the
//!   302 back to the app at once); `GET /authorize` (no slash) is a 301 to it. The page's form
//!   POSTs `client_id`, `user` and `decision` (`approve`, the default, or `deny`) back to
//!   `/authorize/`: approve redirects with the token in the configured parameter, deny with
//!   `?error=access_denied`; neither carries a `state`. [`Consent::Deny`] is a person who
//!   closes the tab: a 200 page, and nothing comes back.
//! - `GET /_fake/approve?client_id=ID&user=U` and `GET /_fake/deny?client_id=ID` (see
//!   [`FakeTokenSite::approve_url`], [`FakeTokenSite::deny_url`]): the form's two buttons as
//!   links, for tests without a browser.
//! - the identity path (`/@me` by default): `{"username": U, "id": N}`.
//! - `GET /?sort=comments`: the JSON front page (public).
//! - `GET /unread`: the user's unread notifications.
//! - `POST /api/messages` with a JSON body `{"to": ..., "text": ...}`: 201
//!   `{"id", "from", "to", "text"}`; `GET /api/messages`: the user's messages.
//! - `GET /settings/apps`: the HTML settings page (revoking is
//!   [`FakeTokenSite::revoke_on_settings_page`]).
//!
//! Every API answer without a valid token is 401 `{"error": "invalid_token", ...}`. Every
//! request is recorded with the form its `Authorization` header took ([`HeaderForm`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};
use url::Url;

use crate::pages::{escape_html, plain_page};

pub use crate::Consent;

/// How to start the site. `Default`: `token`, raw `Authorization`, identity at `/@me`,
/// auto-approve as `alice`, 127.0.0.1 on a free port.
#[derive(Clone, Debug)]
pub struct TokenSiteConfig {
    /// The callback's query parameter carrying the token: `"token"` or `"access_token"`.
    pub token_param: String,
    /// Require `Authorization: Bearer <token>` instead of the raw token.
    pub require_bearer: bool,
    /// The path answering `{"username": ...}`.
    pub identity_path: String,
    /// What the user does on the consent page (`Page`: a form POSTing back to `/authorize/`).
    pub consent: Consent,
    /// Where to listen.
    pub bind: SocketAddr,
}

impl Default for TokenSiteConfig {
    fn default() -> Self {
        Self {
            token_param: "token".into(),
            require_bearer: false,
            identity_path: "/@me".into(),
            consent: Consent::AutoApprove {
                user: "alice".into(),
            },
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// The form a request's `Authorization` header took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderForm {
    /// No `Authorization` header.
    Missing,
    /// `Authorization: <token>`: one word, no scheme.
    Raw,
    /// `Authorization: Bearer <token>` (the scheme word in any case).
    Bearer,
    /// Anything else: another scheme (`Basic ...`, `Token ...`), an empty or unreadable value.
    Other,
}

impl HeaderForm {
    fn of(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return HeaderForm::Missing;
        };
        let Ok(value) = value.to_str() else {
            return HeaderForm::Other;
        };
        let is_bearer = value
            .get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "));
        if is_bearer {
            HeaderForm::Bearer
        } else if value.is_empty() || value.contains(char::is_whitespace) {
            HeaderForm::Other
        } else {
            HeaderForm::Raw
        }
    }
}

/// One request the site received, as a test reads it (the token itself is not kept here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The route's path (`/authorize/`, `/@me`, `/api/messages`, ...), without the query.
    pub path: String,
    /// The form its `Authorization` header took.
    pub header_form: HeaderForm,
    /// The account whose valid token it carried (in the form the site reads), if any.
    pub user: Option<String>,
}

struct Inner {
    /// Client id to its one redirect URI.
    apps: HashMap<String, String>,
    /// Token to `(user, client id or None for a personal token)`.
    tokens: HashMap<String, (String, Option<String>)>,
    unread: HashMap<String, Vec<Value>>,
    consent: Consent,
    calls: HashMap<String, usize>,
    last_authorization: Option<String>,
    requests: Vec<SeenRequest>,
    /// The account ids the identity answer shows, given out in order of first use.
    user_ids: HashMap<String, u64>,
    /// Every message created through `POST /api/messages`.
    messages: Vec<Value>,
    /// The JSON body of the last `POST /api/messages` that carried a valid token.
    last_message_body: Option<Value>,
}

struct Shared {
    config: TokenSiteConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call to `path`, records it with its header's form, remembers its
    /// `Authorization` header, and returns the user its token belongs to.
    fn enter(&self, method: &Method, path: &str, headers: &HeaderMap) -> Option<String> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let token = match authorization.as_deref() {
            Some(value) if self.config.require_bearer => value.strip_prefix("Bearer "),
            other => other,
        };
        let mut inner = self.inner();
        let user = token.and_then(|token| inner.tokens.get(token).map(|(user, _)| user.clone()));
        *inner.calls.entry(path.into()).or_default() += 1;
        inner.requests.push(SeenRequest {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            header_form: HeaderForm::of(headers),
            user: user.clone(),
        });
        inner.last_authorization = authorization;
        user
    }
}

/// 401 for a missing or unknown token (a revoked one is unknown).
fn unauthorized() -> Response {
    let body = json!({"error": "invalid_token", "message": "Invalid token"});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

/// A JSON error answer.
fn api_error(status: StatusCode, error: &str, message: &str) -> Response {
    let body = json!({"error": error, "message": message});
    (status, axum::Json(body)).into_response()
}

fn new_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 40)
}

/// A running fake token site; it stops when the handle is dropped.
pub struct FakeTokenSite {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _shutdown: crate::serve::Stop,
}

impl FakeTokenSite {
    /// Starts the site; panics when it cannot bind (a test set-up failure).
    pub async fn start(config: TokenSiteConfig) -> Self {
        Self::try_start(config)
            .await
            .expect("the fake token site binds its address")
    }

    /// Starts the site, or says why it could not bind.
    pub async fn try_start(config: TokenSiteConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let inner = Inner {
            apps: HashMap::new(),
            tokens: HashMap::new(),
            unread: HashMap::new(),
            consent: config.consent.clone(),
            calls: HashMap::new(),
            last_authorization: None,
            requests: Vec::new(),
            user_ids: HashMap::new(),
            messages: Vec::new(),
            last_message_body: None,
        };
        let identity_path = config.identity_path.clone();
        let shared = Arc::new(Shared {
            config,
            inner: Mutex::new(inner),
        });
        let app = Router::new()
            .route("/authorize/", get(authorize_page).post(decide))
            .route("/authorize", get(add_slash))
            .route("/_fake/approve", get(fake_approve))
            .route("/_fake/deny", get(fake_deny))
            .route(&identity_path, get(identity))
            .route("/", get(front_page))
            .route("/unread", get(unread))
            .route("/api/messages", get(list_messages).post(post_message))
            .route("/settings/apps", get(settings_page))
            .with_state(Arc::clone(&shared));
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

    /// The address the site listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `{base}/authorize/?client_id=ID`.
    pub fn authorize_url(&self, client_id: &str) -> String {
        self.url_with("/authorize/", &[("client_id", client_id)])
    }

    /// A link that does what the consent page's Approve does for `user`: GET it (without
    /// following redirects) for the 302 to the app's redirect URI with the token. Works
    /// whatever [`Consent`] is set.
    pub fn approve_url(&self, client_id: &str, user: &str) -> String {
        self.url_with(
            "/_fake/approve",
            &[("client_id", client_id), ("user", user)],
        )
    }

    /// A link that does what the consent page's Deny does: GET it for the 302 to the app's
    /// redirect URI with `?error=access_denied`.
    pub fn deny_url(&self, client_id: &str) -> String {
        self.url_with("/_fake/deny", &[("client_id", client_id)])
    }

    fn url_with(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut url = Url::parse(&format!("{}{path}", self.base_url())).expect("a URL");
        url.query_pairs_mut().extend_pairs(params);
        url.into()
    }

    /// Registers (or replaces) an app with its one redirect URI.
    pub fn register_app(&self, client_id: &str, redirect_uri: &str) {
        let mut inner = self.shared.inner();
        inner.apps.insert(client_id.into(), redirect_uri.into());
    }

    /// Sets what the user does on the consent page from now on.
    pub fn set_consent(&self, consent: Consent) {
        self.shared.inner().consent = consent;
    }

    /// Mints a personal token for `user`, as the site's admins send one.
    pub fn mint_personal_token(&self, user: &str) -> String {
        let token = new_token();
        let record = (user.to_owned(), None);
        self.shared.inner().tokens.insert(token.clone(), record);
        token
    }

    /// What the user does on `/settings/apps`: revokes every token of `client_id` for `user`.
    /// They answer 401 from then on; approving the app again issues a new, working token.
    pub fn revoke_on_settings_page(&self, user: &str, client_id: &str) {
        let mut inner = self.shared.inner();
        inner
            .tokens
            .retain(|_, (owner, app)| !(owner == user && app.as_deref() == Some(client_id)));
    }

    /// Whether `user` has a live token for `client_id` (approved and not revoked).
    pub fn is_authorized(&self, user: &str, client_id: &str) -> bool {
        let inner = self.shared.inner();
        inner
            .tokens
            .values()
            .any(|(owner, app)| owner == user && app.as_deref() == Some(client_id))
    }

    /// Adds an unread notification for `user`.
    pub fn push_unread(&self, user: &str, text: &str) {
        let mut inner = self.shared.inner();
        let list = inner.unread.entry(user.into()).or_default();
        let id = list.len() + 1;
        list.push(json!({"id": id, "text": text}));
    }

    /// How many requests `path` received (`/authorize/`, `/@me`, `/`, `/unread`, ...).
    pub fn calls(&self, path: &str) -> usize {
        self.shared.inner().calls.get(path).copied().unwrap_or(0)
    }

    /// The `Authorization` header of the last request, if it had one.
    pub fn last_authorization(&self) -> Option<String> {
        self.shared.inner().last_authorization.clone()
    }

    /// The form the last request's `Authorization` header took; `None` before any request.
    pub fn last_header_form(&self) -> Option<HeaderForm> {
        let inner = self.shared.inner();
        inner.requests.last().map(|request| request.header_form)
    }

    /// Every request so far, in order, with its header's form.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.inner().requests.clone()
    }

    /// The JSON body of the last `POST /api/messages` that carried a valid token (whatever
    /// its fields), as it arrived.
    pub fn last_message_body(&self) -> Option<Value> {
        self.shared.inner().last_message_body.clone()
    }

    /// Every message created so far: `{"id", "from", "to", "text"}`.
    pub fn messages(&self) -> Vec<Value> {
        self.shared.inner().messages.clone()
    }
}

#[derive(serde::Deserialize)]
struct ClientQuery {
    client_id: Option<String>,
}

/// The consent form (and the `/_fake/...` links).
#[derive(serde::Deserialize)]
struct Decision {
    client_id: Option<String>,
    #[serde(default)]
    user: Option<String>,
    /// `approve` (when absent) or `deny`.
    #[serde(default)]
    decision: Option<String>,
}

/// A bare page of the site's with `status`.
fn page(status: StatusCode, body: &str) -> Response {
    plain_page(status, "Apps", body)
}

/// The app's redirect URI with one more query parameter, as a 302.
fn redirect_to_app(redirect_uri: &str, key: &str, value: &str) -> Response {
    let mut url = Url::parse(redirect_uri).expect("a registered redirect URI parses");
    url.query_pairs_mut().append_pair(key, value);
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// Issues a token for `user` and redirects to the app's redirect URI with it.
fn redirect_with_token(shared: &Shared, client_id: &str, user: &str) -> Response {
    let mut inner = shared.inner();
    let Some(redirect_uri) = inner.apps.get(client_id).cloned() else {
        return page(StatusCode::NOT_FOUND, "<p>No such app.</p>");
    };
    let token = new_token();
    let record = (user.to_owned(), Some(client_id.to_owned()));
    inner.tokens.insert(token.clone(), record);
    drop(inner);
    redirect_to_app(&redirect_uri, &shared.config.token_param, &token)
}

/// Redirects to the app's redirect URI with `?error=access_denied`.
fn redirect_denied(shared: &Shared, client_id: &str) -> Response {
    let redirect_uri = shared.inner().apps.get(client_id).cloned();
    match redirect_uri {
        Some(redirect_uri) => redirect_to_app(&redirect_uri, "error", "access_denied"),
        None => page(StatusCode::NOT_FOUND, "<p>No such app.</p>"),
    }
}

/// What the person decided: approve as `user` (required) or deny.
fn decided(shared: &Shared, form: Decision) -> Response {
    let Some(client_id) = form.client_id.filter(|id| !id.is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "<p>client_id is missing.</p>");
    };
    match form.decision.as_deref().unwrap_or("approve") {
        "approve" => match form.user.as_deref().map(str::trim) {
            Some(user) if !user.is_empty() => redirect_with_token(shared, &client_id, user),
            _ => page(
                StatusCode::BAD_REQUEST,
                "<p>Enter the account to approve as.</p>",
            ),
        },
        "deny" => redirect_denied(shared, &client_id),
        _ => page(StatusCode::BAD_REQUEST, "<p>Approve or deny.</p>"),
    }
}

/// `GET /authorize` → 301 to `/authorize/`, query kept.
async fn add_slash(uri: Uri) -> Response {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let location = format!("/authorize/{query}");
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location)],
    )
        .into_response()
}

/// `GET /authorize/?client_id=ID`: the consent page (or its auto-approval).
async fn authorize_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<ClientQuery>,
) -> Response {
    shared.enter(&Method::GET, "/authorize/", &headers);
    let Some(client_id) = query.client_id else {
        return page(StatusCode::BAD_REQUEST, "<p>client_id is missing.</p>");
    };
    if !shared.inner().apps.contains_key(&client_id) {
        return page(StatusCode::NOT_FOUND, "<p>No such app.</p>");
    }
    let consent = shared.inner().consent.clone();
    match consent {
        Consent::AutoApprove { user } => redirect_with_token(&shared, &client_id, &user),
        Consent::Deny => page(StatusCode::OK, "<p>You denied access.</p>"),
        Consent::Page => {
            let id = escape_html(&client_id);
            page(
                StatusCode::OK,
                &format!(
                    "<form method=post action=/authorize/><p>{id} wants access.</p>\
                     <input type=hidden name=client_id value=\"{id}\">\
                     <input name=user>\
                     <button name=decision value=approve>Approve</button>\
                     <button name=decision value=deny>Deny</button></form>"
                ),
            )
        }
    }
}

/// `POST /authorize/`: the consent form's Approve (the default) or Deny.
async fn decide(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<Decision>,
) -> Response {
    shared.enter(&Method::POST, "/authorize/", &headers);
    decided(&shared, form)
}

/// `GET /_fake/approve?client_id=ID&user=U`: the Approve button as a link.
async fn fake_approve(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(mut form): Query<Decision>,
) -> Response {
    shared.enter(&Method::GET, "/_fake/approve", &headers);
    form.decision = Some("approve".into());
    decided(&shared, form)
}

/// `GET /_fake/deny?client_id=ID`: the Deny button as a link.
async fn fake_deny(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(mut form): Query<Decision>,
) -> Response {
    shared.enter(&Method::GET, "/_fake/deny", &headers);
    form.decision = Some("deny".into());
    decided(&shared, form)
}

/// The identity path: `{"username": ..., "id": ...}`.
async fn identity(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let path = shared.config.identity_path.clone();
    let Some(user) = shared.enter(&Method::GET, &path, &headers) else {
        return unauthorized();
    };
    let mut inner = shared.inner();
    let next = inner.user_ids.len() as u64 + 1;
    let id = *inner.user_ids.entry(user.clone()).or_insert(next);
    axum::Json(json!({"username": user, "id": id})).into_response()
}

#[derive(serde::Deserialize)]
struct SortQuery {
    sort: Option<String>,
}

/// `GET /?sort=comments`: the JSON front page (public; no token needed).
async fn front_page(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<SortQuery>,
) -> Response {
    shared.enter(&Method::GET, "/", &headers);
    let sort = query.sort.unwrap_or_else(|| "hot".into());
    let items = json!([
        {"id": 1, "title": "Front page story", "comments": 42},
        {"id": 2, "title": "Another story", "comments": 7},
    ]);
    axum::Json(json!({"sort": sort, "items": items})).into_response()
}

/// `GET /unread`: the user's unread notifications.
async fn unread(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let Some(user) = shared.enter(&Method::GET, "/unread", &headers) else {
        return unauthorized();
    };
    let list = shared
        .inner()
        .unread
        .get(&user)
        .cloned()
        .unwrap_or_default();
    axum::Json(json!({"unread": list})).into_response()
}

/// `GET /api/messages`: the messages the user sent or received.
async fn list_messages(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let Some(user) = shared.enter(&Method::GET, "/api/messages", &headers) else {
        return unauthorized();
    };
    let list: Vec<Value> = shared
        .inner()
        .messages
        .iter()
        .filter(|message| message["from"] == user.as_str() || message["to"] == user.as_str())
        .cloned()
        .collect();
    axum::Json(json!({"messages": list})).into_response()
}

/// `POST /api/messages` with `{"to": ..., "text": ...}`: 201 with the created message.
async fn post_message(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(user) = shared.enter(&Method::POST, "/api/messages", &headers) else {
        return unauthorized();
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return api_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the message as application/json",
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "The body is not JSON",
        );
    };
    let mut inner = shared.inner();
    inner.last_message_body = Some(body.clone());
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let (Some(to), Some(text)) = (field("to"), field("text")) else {
        drop(inner);
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "A message needs a non-empty \"to\" and \"text\"",
        );
    };
    let id = inner.messages.len() + 1;
    let message = json!({"id": id, "from": user, "to": to, "text": text});
    inner.messages.push(message.clone());
    (StatusCode::CREATED, axum::Json(message)).into_response()
}

/// `GET /settings/apps`: the page where users revoke apps (an HTML page, not an API).
async fn settings_page(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.enter(&Method::GET, "/settings/apps", &headers);
    page(
        StatusCode::OK,
        "<h1>Authorized applications</h1><p>Revoke access from here.</p>",
    )
}
