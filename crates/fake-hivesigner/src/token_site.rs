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

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};
use url::Url;

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

struct Inner {
    /// Client id to its one redirect URI.
    apps: HashMap<String, String>,
    /// Token to `(user, client id or None for a personal token)`.
    tokens: HashMap<String, (String, Option<String>)>,
    unread: HashMap<String, Vec<Value>>,
    consent: Consent,
    calls: HashMap<String, usize>,
    last_authorization: Option<String>,
}

struct Shared {
    config: TokenSiteConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a call to `path` and remembers its `Authorization` header.
    fn enter(&self, path: &str, headers: &HeaderMap) {
        let mut inner = self.inner();
        *inner.calls.entry(path.into()).or_default() += 1;
        inner.last_authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
    }

    /// The user the `Authorization` header's token belongs to.
    fn user(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let token = if self.config.require_bearer {
            value.and_then(|value| value.strip_prefix("Bearer "))
        } else {
            value
        };
        token.and_then(|token| self.inner().tokens.get(token).map(|(u, _)| u.clone()))
    }
}

/// 401 for a missing or unknown token.
fn unauthorized() -> Response {
    let body = json!({"error": "unauthorized", "message": "Invalid token"});
    (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
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
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .expect("the fake token site binds its address");
        let addr = listener.local_addr().expect("a bound address");
        let inner = Inner {
            apps: HashMap::new(),
            tokens: HashMap::new(),
            unread: HashMap::new(),
            consent: config.consent.clone(),
            calls: HashMap::new(),
            last_authorization: None,
        };
        let identity_path = config.identity_path.clone();
        let shared = Arc::new(Shared {
            config,
            inner: Mutex::new(inner),
        });
        let app = Router::new()
            .route("/authorize/", get(authorize_page).post(approve))
            .route("/authorize", get(add_slash))
            .route(&identity_path, get(identity))
            .route("/", get(front_page))
            .route("/unread", get(unread))
            .route("/settings/apps", get(settings_page))
            .with_state(Arc::clone(&shared));
        let shutdown = crate::serve::in_background(listener, app);
        Self {
            shared,
            addr,
            _shutdown: shutdown,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `{base}/authorize/?client_id=ID`.
    pub fn authorize_url(&self, client_id: &str) -> String {
        let mut url = Url::parse(&format!("{}/authorize/", self.base_url())).expect("a URL");
        url.query_pairs_mut().append_pair("client_id", client_id);
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
    pub fn revoke_on_settings_page(&self, user: &str, client_id: &str) {
        let mut inner = self.shared.inner();
        inner
            .tokens
            .retain(|_, (owner, app)| !(owner == user && app.as_deref() == Some(client_id)));
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

    /// The `Authorization` header of the last API request, if it had one.
    pub fn last_authorization(&self) -> Option<String> {
        self.shared.inner().last_authorization.clone()
    }
}

#[derive(serde::Deserialize)]
struct ClientQuery {
    client_id: Option<String>,
}

#[derive(serde::Deserialize)]
struct Approval {
    client_id: String,
    user: String,
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!("<!doctype html><title>Apps</title>{body}");
    (status, Html(html)).into_response()
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
    let mut url = Url::parse(&redirect_uri).expect("a registered redirect URI parses");
    url.query_pairs_mut()
        .append_pair(&shared.config.token_param, &token);
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
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
    shared.enter("/authorize/", &headers);
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
        Consent::Page => page(
            StatusCode::OK,
            &format!(
                "<form method=post action=/authorize/><p>{client_id} wants access.</p>\
                 <input type=hidden name=client_id value=\"{client_id}\">\
                 <input name=user><button>Approve</button></form>"
            ),
        ),
    }
}

/// `POST /authorize/` (the consent form's Approve).
async fn approve(State(shared): State<Arc<Shared>>, Form(form): Form<Approval>) -> Response {
    redirect_with_token(&shared, &form.client_id, &form.user)
}

/// The identity path: `{"username": ...}`.
async fn identity(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let path = shared.config.identity_path.clone();
    shared.enter(&path, &headers);
    match shared.user(&headers) {
        Some(user) => axum::Json(json!({"username": user})).into_response(),
        None => unauthorized(),
    }
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
    shared.enter("/", &headers);
    let sort = query.sort.unwrap_or_else(|| "hot".into());
    let items = json!([
        {"id": 1, "title": "Front page story", "comments": 42},
        {"id": 2, "title": "Another story", "comments": 7},
    ]);
    axum::Json(json!({"sort": sort, "items": items})).into_response()
}

/// `GET /unread`: the user's unread notifications.
async fn unread(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.enter("/unread", &headers);
    match shared.user(&headers) {
        Some(user) => {
            let list = shared
                .inner()
                .unread
                .get(&user)
                .cloned()
                .unwrap_or_default();
            axum::Json(json!({"unread": list})).into_response()
        }
        None => unauthorized(),
    }
}

/// `GET /settings/apps`: the page where users revoke apps (an HTML page, not an API).
async fn settings_page(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.enter("/settings/apps", &headers);
    page(
        StatusCode::OK,
        "<h1>Authorized applications</h1><p>Revoke access from here.</p>",
    )
}
