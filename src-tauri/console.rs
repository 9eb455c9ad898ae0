//! [`Console`]: the API console. It owns one request at a time from an account to its
//! provider's own API (a path under [`Provider::api_base`], never a URL of another host), the
//! account's fresh token added in Rust in the header form its kind uses, the answer as a
//! person reads it (status, the headers that matter, the time taken, the body pretty-printed
//! and truncated when large), the activity log entry of every request that went out (method,
//! path, status, time; never a body), and the recent requests of this session (in memory
//! only) for a re-run.
//!
//! The token never leaves Rust: no reply carries it, and every echoed answer has each exact
//! occurrence of it replaced by [`REDACTED`] and then passes through [`redact`]. An idempotent
//! request (GET, PUT, DELETE) refused with `WWW-Authenticate: Bearer error="invalid_token"`
//! gets one refresh and one retry; a POST is never sent twice.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::header::{self, HeaderMap};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::accounts::AccountId;
use crate::activity::{ActivityEntry, ActivityId, Outcome};
use crate::apps::App;
use crate::broadcast::sender_of;
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::events::AppEvent;
use crate::oauth::protocol::oauth2::says_invalid_token;
use crate::oauth::protocol::with_api_token;
use crate::oauth::token::{fetch, CallError, RawAnswer};
use crate::provider::{self, KindSettings, Provider, TokenHeader};
use crate::redact::redact;
use crate::shared::Shared;
use crate::tokens::Tokens;

/// The activity log's kind for an API console request.
pub const ACTIVITY_KIND: &str = crate::activity::API_REQUEST_KIND;

/// What replaces the account's token wherever an answer repeats it.
pub const REDACTED: &str = "[REDACTED]";

/// How many requests of this session are kept for a re-run.
pub const RECENT_LIMIT: usize = 20;

/// The most of a body the window is shown (bytes of text, after pretty-printing).
pub const MAX_SHOWN_BYTES: usize = 128 * 1024;

/// The largest request body sent (bytes).
pub const MAX_REQUEST_BODY_BYTES: usize = 256 * 1024;

/// The longest path, or query, a person may send (characters).
const MAX_PATH_CHARS: usize = 4096;

/// The response headers the window shows (others, `Set-Cookie` among them, are never shown).
const SHOWN_HEADERS: [&str; 17] = [
    "content-type",
    "content-length",
    "content-encoding",
    "content-language",
    "cache-control",
    "date",
    "etag",
    "last-modified",
    "expires",
    "location",
    "allow",
    "retry-after",
    "www-authenticate",
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "server",
];

/// Header names shown by their start (rate limits: `x-ratelimit-remaining`, `ratelimit-reset`).
const SHOWN_HEADER_PREFIXES: [&str; 2] = ["x-ratelimit-", "ratelimit"];

/// How a request's body is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body.
    #[default]
    None,
    /// JSON text, sent as `application/json`.
    Json,
    /// `key=value` pairs (joined with `&` or one a line), sent as
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// A request as the console's form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRequest {
    /// The account whose token the request carries.
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// `GET`, `POST`, `PUT` or `DELETE`.
    pub method: String,
    /// The path relative to the provider's API base (`/unread`, `/?sort=comments`).
    pub path: String,
    /// An optional query (`a=1&b=2`, a leading `?` allowed), added to the path's.
    #[serde(default)]
    pub query: Option<String>,
    /// How the body is written.
    #[serde(default)]
    pub body_kind: BodyKind,
    /// The body, for [`BodyKind::Json`] and [`BodyKind::Form`].
    #[serde(default)]
    pub body: Option<String>,
}

/// A body as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownBody {
    /// `json` (pretty-printed), `text`, or `empty`.
    pub kind: &'static str,
    /// The text shown (redacted; at most [`MAX_SHOWN_BYTES`]).
    pub text: String,
    /// Whether `text` was cut at [`MAX_SHOWN_BYTES`].
    pub truncated: bool,
    /// The body's size as it arrived, in bytes.
    pub total_bytes: usize,
}

/// The answer to a console request, for the window (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiReply {
    /// The HTTP status.
    pub status: u16,
    /// Its reason phrase (`OK`, `Not Found`).
    pub status_text: String,
    /// Where the request went: the provider's origin, the path and the query (redacted).
    pub sent_to: String,
    /// The headers that matter, as `[name, value]` (redacted).
    pub headers: Vec<(String, String)>,
    /// How long it took, the refresh and the retry included, in milliseconds.
    pub elapsed_ms: u64,
    /// The body (redacted).
    pub body: ShownBody,
    /// Whether the token was refreshed and the request sent once more.
    pub retried_after_refresh: bool,
    /// Something the person should know about this answer (a refresh that failed).
    pub note: Option<String>,
    /// The activity log entry (`None` when the log could not be written).
    pub activity_id: Option<ActivityId>,
}

/// A request of this session, for the "Recent" list and its re-run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentRequest {
    /// Its number in this session.
    pub id: u64,
    /// When it was sent.
    pub at: UnixSeconds,
    /// The account, as the form lists it (`@alice at Token site (client 7)`).
    pub account_label: String,
    /// The request as sent, body included, to fill the form again.
    pub request: ApiRequest,
    /// Its answer, when one came.
    pub reply: Option<ApiReply>,
    /// Why no answer is shown (unreachable, lost), when none came.
    pub error: Option<Error>,
}

/// An account the console can send from, with where its requests go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiTarget {
    /// The account.
    pub account_id: AccountId,
    /// Its name.
    pub username: String,
    /// The app it authorized.
    pub app_client_id: String,
    /// The provider, in words.
    pub provider_label: &'static str,
    /// The provider's kind (`hivesigner`, `steemconnect`, `oauth2`, `token_site`).
    pub provider_kind: &'static str,
    /// `@alice at Token site (client 7)`.
    pub label: String,
    /// The URL paths start from.
    pub api_base: String,
    /// How the token rides, in words (`Authorization: Bearer <token>`), the token never named.
    pub token_header: &'static str,
}

/// A request that passed every check, ready to go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The method.
    pub method: Method,
    /// The full URL, on the provider's origin under its API base.
    pub url: Url,
    /// The body and its content type, if any.
    pub body: Option<(&'static str, String)>,
}

impl Prepared {
    /// Whether the method may be sent again after a refresh (GET, PUT, DELETE; never POST).
    pub fn idempotent(&self) -> bool {
        self.method != Method::POST
    }

    /// The path and query as the log and the summary show them (query values redacted).
    fn shown_path(&self) -> String {
        let path = match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_owned(),
        };
        redact(&path).into_owned()
    }
}

/// The API console: checks and sends requests with the account's fresh token (from
/// [`Tokens`]), shapes their answers, logs them, and keeps this session's recent ones.
pub struct Console {
    shared: Shared,
    tokens: Arc<Tokens>,
    recent: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    next_id: u64,
    requests: VecDeque<RecentRequest>,
}

/// What happened to a request that went out.
struct Sent {
    answer: RawAnswer,
    retried: bool,
    note: Option<String>,
    /// Every token the request carried (the first, and the refreshed one).
    tokens: Vec<SecretString>,
}

impl Console {
    /// The console over `shared`, taking tokens from `tokens`.
    pub fn new(shared: Shared, tokens: Arc<Tokens>) -> Self {
        Self {
            shared,
            tokens,
            recent: Mutex::new(Recent::default()),
        }
    }

    /// Every account with where its requests go, in the registry's order.
    pub fn targets(&self) -> Result<Vec<ApiTarget>> {
        let apps = self.shared.registry.apps()?;
        let targets = self
            .shared
            .registry
            .accounts()?
            .into_iter()
            .filter_map(|account| {
                let app = apps.iter().find(|app| app.id == account.app_id)?;
                Some(ApiTarget {
                    label: label_of(&account.username, app),
                    account_id: account.id,
                    username: account.username,
                    app_client_id: app.client_id.clone(),
                    provider_label: app.provider.preset().label(),
                    provider_kind: app.provider.protocol().id(),
                    api_base: app.provider.api_base().to_string(),
                    token_header: token_header_words(&app.provider),
                })
            })
            .collect();
        Ok(targets)
    }

    /// This session's requests, newest first (at most [`RECENT_LIMIT`]).
    pub fn recent(&self) -> Vec<RecentRequest> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.requests.iter().rev().cloned().collect()
    }

    /// Checks `request`, sends it with the account's fresh token and returns the answer as
    /// the window shows it. `Err` with a field when the request is refused before sending
    /// (nothing goes out), or when no answer came (unreachable; lost, which for a request
    /// that changes things means it may have been sent). Every request that went out is in
    /// the activity log and the recent list.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiReply> {
        let id = request
            .account_id
            .ok_or_else(|| Error::invalid(field::ACCOUNT_ID, "Choose the account to send as."))?;
        let account = self.shared.registry.account(id).map_err(|err| match err {
            Error::AccountNotFound => Error::invalid(
                field::ACCOUNT_ID,
                "That account is not in Authdeck (any more). Choose another one.",
            ),
            other => other,
        })?;
        let app = self.shared.registry.app(account.app_id)?;
        let prepared = prepare(&app.provider, &request)?;
        let at = self.shared.clock.now();
        let started = Instant::now();
        let sent = self.exchange(id, &app.provider, &prepared).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

        let host = app.provider.host();
        let (outcome, summary, result) = match sent {
            Ok(sent) => {
                let status = sent.answer.status;
                let reply = shape_reply(&prepared, sent, elapsed_ms);
                let summary = format!(
                    "{} {} → {} {} in {elapsed_ms} ms",
                    prepared.method,
                    prepared.shown_path(),
                    reply.status,
                    reply.status_text
                );
                let outcome = if status.is_client_error() || status.is_server_error() {
                    Outcome::Failed {
                        code: format!("http_{}", status.as_u16()),
                        message: format!("{host} answered {} {}.", reply.status, reply.status_text),
                        raw: String::new(),
                    }
                } else {
                    Outcome::Sent {
                        transaction_id: String::new(),
                    }
                };
                (outcome, summary, Ok(reply))
            }
            Err(Unsent::Refused(err)) => {
                return Err(err);
            }
            Err(Unsent::Failed(call)) => {
                let may_have_been_sent = !matches!(call, CallError::Unreachable(_));
                let err = call_error(call, &prepared, &host);
                let summary = format!(
                    "{} {} → no answer after {elapsed_ms} ms",
                    prepared.method,
                    prepared.shown_path()
                );
                let outcome = if may_have_been_sent && prepared.method != Method::GET {
                    Outcome::Unknown {
                        code: "may_have_been_sent".into(),
                        message: format!(
                            "The answer from {host} was lost, so this request may have been sent. \
                             Check at the provider before sending it again."
                        ),
                        raw: String::new(),
                    }
                } else {
                    Outcome::Failed {
                        code: err.code().to_owned(),
                        message: err.message(),
                        raw: String::new(),
                    }
                };
                (outcome, summary, Err(err))
            }
        };
        tracing::info!(
            account = id.0,
            method = %prepared.method,
            path = %prepared.url.path(),
            http_status = result.as_ref().ok().map(|reply| reply.status),
            outcome = outcome.status(),
            elapsed_ms,
            "API console request"
        );
        let entry = ActivityEntry {
            id: ActivityId(0),
            at,
            sender: sender_of(&account, &app),
            kind: ACTIVITY_KIND.to_owned(),
            summary,
            operations: logged_operations(&prepared),
            outcome,
            resolved_by: None,
        };
        let activity_id = match self.shared.registry.record_activity(&entry) {
            Ok(logged) => {
                self.shared.emit(AppEvent::ActivityChanged);
                Some(logged)
            }
            Err(err) => {
                tracing::warn!("could not log an API console request: {err}");
                None
            }
        };
        let result = result.map(|reply| ApiReply {
            activity_id,
            ..reply
        });
        self.remember(
            at,
            label_of(&account.username, &app),
            request,
            result.as_ref().ok().cloned(),
            result.as_ref().err().cloned(),
        );
        result
    }

    /// Sends `prepared` with `id`'s fresh token; on an idempotent request refused for its
    /// token, refreshes once and sends once more.
    async fn exchange(
        &self,
        id: AccountId,
        provider: &Provider,
        prepared: &Prepared,
    ) -> std::result::Result<Sent, Unsent> {
        let token = self
            .tokens
            .access_token(id)
            .await
            .map_err(Unsent::Refused)?;
        let answer = self
            .send_once(provider, prepared, &token)
            .await
            .map_err(Unsent::Failed)?;
        let mut tokens = vec![token];
        if !(prepared.idempotent() && says_invalid_token(&answer)) {
            return Ok(Sent {
                answer,
                retried: false,
                note: None,
                tokens,
            });
        }
        let fresh = match self.tokens.refresh_after_refusal(id).await {
            Ok(fresh) => fresh,
            Err(err) => {
                return Ok(Sent {
                    answer,
                    retried: false,
                    note: Some(format!(
                        "The provider refused the token, and a refresh did not help: {}",
                        err.message()
                    )),
                    tokens,
                })
            }
        };
        let again = self.send_once(provider, prepared, &fresh).await;
        tokens.push(fresh);
        match again {
            Ok(answer) => Ok(Sent {
                answer,
                retried: true,
                note: None,
                tokens,
            }),
            Err(err) => Err(Unsent::Failed(err)),
        }
    }

    /// One send of `prepared` with `token`, through the provider client (no redirects,
    /// bounded time).
    async fn send_once(
        &self,
        provider: &Provider,
        prepared: &Prepared,
        token: &SecretString,
    ) -> std::result::Result<RawAnswer, CallError> {
        let mut request = self
            .shared
            .provider_calls
            .http()
            .request(prepared.method.clone(), prepared.url.clone())
            .header(
                header::ACCEPT,
                "application/json, text/plain;q=0.9, */*;q=0.8",
            );
        if let Some((content_type, body)) = &prepared.body {
            request = request
                .header(header::CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        fetch(with_api_token(provider, request, token)).await
    }

    fn remember(
        &self,
        at: UnixSeconds,
        account_label: String,
        request: ApiRequest,
        reply: Option<ApiReply>,
        error: Option<Error>,
    ) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.next_id += 1;
        let id = recent.next_id;
        recent.requests.push_back(RecentRequest {
            id,
            at,
            account_label,
            request,
            reply,
            error,
        });
        while recent.requests.len() > RECENT_LIMIT {
            recent.requests.pop_front();
        }
    }
}

/// Why a request has no answer to show.
enum Unsent {
    /// Nothing went out (no token).
    Refused(Error),
    /// It went out (or tried to) and no usable answer came.
    Failed(CallError),
}

/// `@alice at Hivesigner (@app)`; an OAuth 2.0 or token-site client id is not an account
/// name and goes without `@`: `@alice at Token site (client 7)`.
fn label_of(username: &str, app: &App) -> String {
    let provider = app.provider.preset().label();
    if app.provider.protocol().broadcasts() {
        format!("@{username} at {provider} (@{})", app.client_id)
    } else {
        format!("@{username} at {provider} (client {})", app.client_id)
    }
}

/// How the token rides on `provider`'s API calls, in words.
fn token_header_words(provider: &Provider) -> &'static str {
    match provider.kind() {
        KindSettings::OAuth2(_) => "Authorization: Bearer <token>",
        KindSettings::TokenSite(site) if site.header == TokenHeader::Bearer => {
            "Authorization: Bearer <token>"
        }
        KindSettings::TokenSite(_) | KindSettings::Signer => "Authorization: <token>",
    }
}

/// The error for a request with no usable answer: a lost answer of a request that changes
/// things says it may have been sent.
fn call_error(call: CallError, prepared: &Prepared, host: &str) -> Error {
    let changes_things = prepared.method != Method::GET;
    match call {
        CallError::Unreachable(reason) => Error::ProviderUnreachable {
            provider: host.to_owned(),
            reason: format!("{reason}; nothing was sent"),
        },
        CallError::AnswerLost(reason) if changes_things => Error::RequestMaybeSent {
            provider: host.to_owned(),
            reason,
        },
        CallError::AnswerLost(reason) => Error::ProviderUnreachable {
            provider: host.to_owned(),
            reason: format!("the answer was lost: {reason}"),
        },
        CallError::BadResponse(problem) if changes_things => Error::ProviderBadResponse {
            provider: host.to_owned(),
            problem: format!("{problem}; the request was sent"),
        },
        CallError::BadResponse(problem) => Error::ProviderBadResponse {
            provider: host.to_owned(),
            problem,
        },
        CallError::Refused {
            status,
            description,
            ..
        } => Error::ProviderBadResponse {
            provider: host.to_owned(),
            problem: format!("HTTP {status}: {description}"),
        },
    }
}

/// The log's `operations` for a request: its method and path, never its body.
fn logged_operations(prepared: &Prepared) -> String {
    let mut operations = serde_json::json!({
        "method": prepared.method.as_str(),
        "path": prepared.url.path(),
    });
    if let Some(query) = prepared.url.query() {
        operations["query"] = Value::String(redact(&format!("?{query}")).into_owned());
    }
    operations.to_string()
}

/// Checks `request` against `provider`: the method, the path (under the API base, on its
/// origin), the query and the body. Field errors name what is wrong; nothing is sent.
pub fn prepare(provider: &Provider, request: &ApiRequest) -> Result<Prepared> {
    let method = parse_method(&request.method)?;
    let url = request_url(
        &provider.api_base(),
        &request.path,
        request.query.as_deref(),
    )?;
    let body = parse_body(&method, request.body_kind, request.body.as_deref())?;
    Ok(Prepared { method, url, body })
}

/// `GET`, `POST`, `PUT` or `DELETE` (any case).
pub fn parse_method(method: &str) -> Result<Method> {
    match method.trim().to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "DELETE" => Ok(Method::DELETE),
        _ => Err(Error::invalid(
            field::METHOD,
            "Choose GET, POST, PUT or DELETE.",
        )),
    }
}

/// `path` (and `query`) joined onto `base`: only a path that starts with `/`, names no
/// scheme or host, has no `..`, backslash, whitespace or control character, and stays on
/// `base`'s origin under its path.
pub fn request_url(base: &Url, path: &str, query: Option<&str>) -> Result<Url> {
    let path = path.trim();
    let refuse = |problem: &str| Err(Error::invalid(field::PATH, problem.to_owned()));
    if path.is_empty() {
        return refuse("Enter a path under the API base, starting with / (for example /api/me).");
    }
    if path.chars().count() > MAX_PATH_CHARS {
        return refuse("This path is too long.");
    }
    if has_scheme(path) || path.starts_with("//") {
        return refuse(
            "Enter a path under the API base, not an address: requests go only to this \
             provider, so its token is never sent elsewhere.",
        );
    }
    if !path.starts_with('/') {
        return refuse("Start the path with / (for example /api/me).");
    }
    if path.contains('\\') {
        return refuse("A path has no backslash (\\); use / between its parts.");
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return refuse("A path has no spaces, tabs or line breaks; write a space as %20.");
    }
    if path.contains('#') {
        return refuse("Remove the #... part: it is never sent to the server.");
    }
    let (path_part, _) = path.split_once('?').unwrap_or((path, ""));
    // Percent-encoded dots and slashes count as what they encode (URL parsers and servers
    // read `%2e%2e` as `..`).
    let decoded = percent_encoding::percent_decode_str(path_part).decode_utf8_lossy();
    if decoded.contains("//")
        || decoded.contains('\\')
        || decoded
            .split('/')
            .any(|segment| matches!(segment, "." | ".."))
    {
        return refuse(
            "A path has no empty, . or .. parts: write the path from the API base down.",
        );
    }
    let Some(mut url) = provider::under(base, path) else {
        return refuse(
            "This path leaves the provider's API base; enter a path under it (for example /api/me).",
        );
    };
    if let Some(query) = query.map(str::trim).filter(|query| !query.is_empty()) {
        let query = query.strip_prefix('?').unwrap_or(query);
        if query.chars().count() > MAX_PATH_CHARS {
            return Err(Error::invalid(field::QUERY, "This query is too long."));
        }
        if query.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                field::QUERY,
                "A query has no tabs or line breaks; join its parts with &.",
            ));
        }
        if query.contains('#') {
            return Err(Error::invalid(
                field::QUERY,
                "Remove the #... part: it is never sent to the server.",
            ));
        }
        let joined = match url.query().filter(|q| !q.is_empty()) {
            Some(existing) => format!("{existing}&{query}"),
            None => query.to_owned(),
        };
        url.set_query(Some(&joined));
    }
    // The last word: the URL that goes out is on the base's origin, under its path.
    let base_path = base.path().trim_end_matches('/');
    let under_base = url.path() == base_path || url.path().starts_with(&format!("{base_path}/"));
    if url.origin() != base.origin() || !under_base || url.fragment().is_some() {
        return refuse("This path leaves the provider's API base; enter a path under it.");
    }
    Ok(url)
}

/// Whether `path` starts with a URL scheme (`https:`, `javascript:`, `127.0.0.1:` is not one
/// but is refused all the same, having no leading `/`) or holds `://` anywhere.
fn has_scheme(path: &str) -> bool {
    if path.contains("://") || path.contains(":\\") {
        return true;
    }
    let Some((scheme, _)) = path.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The body to send, with its content type: none, checked JSON, or form pairs encoded.
pub fn parse_body(
    method: &Method,
    kind: BodyKind,
    body: Option<&str>,
) -> Result<Option<(&'static str, String)>> {
    let text = body.unwrap_or_default().trim();
    let refuse = |problem: &str| Err(Error::invalid(field::REQUEST_BODY, problem.to_owned()));
    if kind == BodyKind::None {
        if !text.is_empty() {
            return refuse("Choose JSON or form for this body, or empty it.");
        }
        return Ok(None);
    }
    if *method == Method::GET {
        return refuse("A GET request carries no body: choose None, or use POST or PUT.");
    }
    if text.is_empty() {
        return refuse("Write the body, or choose None.");
    }
    if text.len() > MAX_REQUEST_BODY_BYTES {
        return refuse(&format!(
            "This body is too large to send from here (at most {} KiB).",
            MAX_REQUEST_BODY_BYTES / 1024
        ));
    }
    match kind {
        BodyKind::None => Ok(None),
        BodyKind::Json => match serde_json::from_str::<Value>(text) {
            Ok(_) => Ok(Some(("application/json", text.to_owned()))),
            Err(err) => refuse(&format!(
                "This is not valid JSON (line {}, column {}): {}.",
                err.line(),
                err.column(),
                json_problem(&err)
            )),
        },
        BodyKind::Form => {
            let joined = text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("&");
            let mut pairs = Vec::new();
            for piece in joined.split('&').filter(|piece| !piece.is_empty()) {
                let (key, _) = piece.split_once('=').unwrap_or((piece, ""));
                if key.trim().is_empty() {
                    return refuse(
                        "Write the form as key=value pairs, one a line or joined with &; every pair needs a key.",
                    );
                }
                pairs.extend(url::form_urlencoded::parse(piece.as_bytes()));
            }
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            Ok(Some(("application/x-www-form-urlencoded", encoded)))
        }
    }
}

/// What serde says is wrong, without its position (said separately).
fn json_problem(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The answer as the window shows it; every token `sent` carried is hidden in it.
fn shape_reply(prepared: &Prepared, sent: Sent, elapsed_ms: u64) -> ApiReply {
    let tokens: Vec<&str> = sent.tokens.iter().map(|t| t.expose_secret()).collect();
    let status = sent.answer.status;
    ApiReply {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_owned(),
        sent_to: scrub(prepared.url.as_str(), &tokens),
        headers: shown_headers(&sent.answer.headers, &tokens),
        elapsed_ms,
        body: shown_body(&sent.answer.headers, &sent.answer.body, &tokens),
        retried_after_refresh: sent.retried,
        note: sent.note,
        activity_id: None,
    }
}

/// The headers that matter ([`SHOWN_HEADERS`], rate limits), their values redacted.
pub fn shown_headers(headers: &HeaderMap, tokens: &[&str]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            SHOWN_HEADERS.contains(&name)
                || SHOWN_HEADER_PREFIXES
                    .iter()
                    .any(|prefix| name.starts_with(prefix))
        })
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (name.as_str().to_owned(), scrub(&value, tokens))
        })
        .collect()
}

/// `body` as the window shows it: JSON pretty-printed (every string and key redacted, the
/// values of secret-named keys hidden), other text redacted, cut at [`MAX_SHOWN_BYTES`].
pub fn shown_body(headers: &HeaderMap, body: &[u8], tokens: &[&str]) -> ShownBody {
    let total_bytes = body.len();
    if body.iter().all(u8::is_ascii_whitespace) {
        return ShownBody {
            kind: "empty",
            text: String::new(),
            truncated: false,
            total_bytes,
        };
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let says_json = content_type.contains("json");
    let looks_json = matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    if says_json || looks_json {
        if let Ok(value) = serde_json::from_slice::<Value>(body) {
            let clean = scrub_json(value, tokens);
            let text = serde_json::to_string_pretty(&clean).unwrap_or_default();
            let (text, truncated) = cut(text);
            return ShownBody {
                kind: "json",
                text,
                truncated,
                total_bytes,
            };
        }
    }
    let text = match std::str::from_utf8(body) {
        Ok(text) => scrub(text, tokens),
        Err(_) if content_type.starts_with("text/") => {
            scrub(&String::from_utf8_lossy(body), tokens)
        }
        Err(_) => format!(
            "({total_bytes} bytes of {}, not shown)",
            if content_type.is_empty() {
                "binary data"
            } else {
                content_type.as_str()
            }
        ),
    };
    let (text, truncated) = cut(text);
    ShownBody {
        kind: "text",
        text,
        truncated,
        total_bytes,
    }
}

/// `text` cut at [`MAX_SHOWN_BYTES`] (on a character boundary), and whether it was.
fn cut(mut text: String) -> (String, bool) {
    if text.len() <= MAX_SHOWN_BYTES {
        return (text, false);
    }
    let mut end = MAX_SHOWN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    (text, true)
}

/// `text` with every exact occurrence of each of `tokens` replaced by [`REDACTED`], then
/// through [`redact`].
pub fn scrub(text: &str, tokens: &[&str]) -> String {
    let mut clean = Cow::Borrowed(text);
    for token in tokens.iter().filter(|token| !token.is_empty()) {
        if clean.contains(token) {
            clean = Cow::Owned(clean.replace(token, REDACTED));
        }
    }
    redact(&clean).into_owned()
}

/// Whether [`redact`] hides the value of a field named `key` (`access_token`, `password`).
fn names_secret(key: &str) -> bool {
    let pair = format!("{key}=value");
    redact(&pair) != pair
}

/// `value` with every string and key passed through [`scrub`], and the values of the keys
/// [`redact`] treats as secret hidden; it stays valid JSON.
fn scrub_json(value: Value, tokens: &[&str]) -> Value {
    match value {
        Value::String(text) => Value::String(scrub(&text, tokens)),
        Value::Number(number) => {
            let text = number.to_string();
            if scrub(&text, tokens) == text {
                Value::Number(number)
            } else {
                Value::String(crate::redact::MASK.to_owned())
            }
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| scrub_json(item, tokens))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| {
                    let hidden =
                        names_secret(&key) && matches!(value, Value::String(_) | Value::Number(_));
                    let value = if hidden {
                        Value::String(crate::redact::MASK.to_owned())
                    } else {
                        scrub_json(value, tokens)
                    };
                    (scrub(&key, tokens), value)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn base(raw: &str) -> Url {
        Url::parse(raw).unwrap()
    }

    fn field_of(err: Error) -> &'static str {
        match err {
            Error::InvalidInput { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn paths_naming_another_host_are_refused_at_the_path() {
        let site = base("http://127.0.0.1:8789");
        for path in [
            "https://evil.example/x",
            "//evil.example/x",
            "/..//evil",
            "\\\\evil",
            "/\\evil",
            "http://127.0.0.1:1/x",
            "http://127.0.0.1:8789/x",
            "javascript:alert(1)",
            "evil.example/x",
            "/a/../../x",
            "/%2e%2e/x",
            "/a/%2E%2e/%2e%2e/x",
            "/x\n/y",
            "/x y",
            "/x#frag",
            "",
            "  ",
        ] {
            let err = request_url(&site, path, None).expect_err(path);
            assert_eq!(field_of(err), field::PATH, "{path:?}");
        }
    }

    #[test]
    fn paths_stay_under_a_base_path() {
        let signer = base("http://localhost:3000/hs/");
        assert_eq!(
            request_url(&signer, "/api/me", None).unwrap().as_str(),
            "http://localhost:3000/hs/api/me"
        );
        for path in [
            "/../api/me",
            "/..%2fapi",
            "/%2e%2e%2fapi",
            "/./x",
            "/%5c%5cevil",
        ] {
            assert!(request_url(&signer, path, None).is_err(), "{path}");
        }
    }

    #[test]
    fn good_relative_paths_are_joined_with_their_query() {
        let site = base("http://127.0.0.1:8789");
        let cases = [
            ("/unread", None, "http://127.0.0.1:8789/unread"),
            (
                "/?sort=comments",
                None,
                "http://127.0.0.1:8789/?sort=comments",
            ),
            (
                "/",
                Some("sort=comments"),
                "http://127.0.0.1:8789/?sort=comments",
            ),
            ("/@me", None, "http://127.0.0.1:8789/@me"),
            (
                "/api/messages?limit=5",
                Some("?page=2"),
                "http://127.0.0.1:8789/api/messages?limit=5&page=2",
            ),
            (
                " /search ",
                Some("q=a b"),
                "http://127.0.0.1:8789/search?q=a%20b",
            ),
        ];
        for (path, query, expected) in cases {
            assert_eq!(
                request_url(&site, path, query).unwrap().as_str(),
                expected,
                "{path} {query:?}"
            );
        }
        let issuer_origin = base("https://login.example.com/");
        assert_eq!(
            request_url(&issuer_origin, "/oauth/userinfo", Some(""))
                .unwrap()
                .as_str(),
            "https://login.example.com/oauth/userinfo"
        );
    }

    #[test]
    fn a_query_with_a_line_break_or_fragment_is_refused_at_the_query() {
        let site = base("http://127.0.0.1:8789");
        for query in ["a=1\nb=2", "a=1#x"] {
            let err = request_url(&site, "/", Some(query)).unwrap_err();
            assert_eq!(field_of(err), field::QUERY, "{query:?}");
        }
    }

    #[test]
    fn only_the_four_methods_are_taken() {
        assert_eq!(parse_method("get").unwrap(), Method::GET);
        assert_eq!(parse_method(" POST ").unwrap(), Method::POST);
        assert_eq!(parse_method("Put").unwrap(), Method::PUT);
        assert_eq!(parse_method("DELETE").unwrap(), Method::DELETE);
        for method in ["PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "", "GET /"] {
            assert_eq!(field_of(parse_method(method).unwrap_err()), field::METHOD);
        }
    }

    #[test]
    fn bodies_are_checked_by_kind() {
        let json = parse_body(
            &Method::POST,
            BodyKind::Json,
            Some(r#" {"to":"bob","text":"hi"} "#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            json,
            ("application/json", r#"{"to":"bob","text":"hi"}"#.into())
        );
        let form = parse_body(
            &Method::PUT,
            BodyKind::Form,
            Some("to=bob\ntext=hello world&x=1+2"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            form,
            (
                "application/x-www-form-urlencoded",
                "to=bob&text=hello+world&x=1+2".into()
            )
        );
        assert_eq!(
            parse_body(&Method::GET, BodyKind::None, None).unwrap(),
            None
        );
        assert_eq!(
            parse_body(&Method::DELETE, BodyKind::None, Some("  ")).unwrap(),
            None
        );
        let refused = [
            (Method::POST, BodyKind::Json, Some("{not json")),
            (Method::POST, BodyKind::Json, Some("")),
            (Method::GET, BodyKind::Json, Some("{}")),
            (Method::POST, BodyKind::None, Some("{}")),
            (Method::POST, BodyKind::Form, Some("=1&a=2")),
        ];
        for (method, kind, body) in refused {
            let err = parse_body(&method, kind, body).unwrap_err();
            assert_eq!(
                field_of(err),
                field::REQUEST_BODY,
                "{method} {kind:?} {body:?}"
            );
        }
        let huge = format!("\"{}\"", "a".repeat(MAX_REQUEST_BODY_BYTES));
        assert!(parse_body(&Method::POST, BodyKind::Json, Some(&huge)).is_err());
        let err = parse_body(&Method::POST, BodyKind::Json, Some("{\"a\": }")).unwrap_err();
        assert!(
            err.message().contains("line 1, column"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn an_echoed_token_is_redacted_from_the_body_and_headers() {
        let token = "s3cr3t-personal-token";
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert("x-echo", HeaderValue::from_static("s3cr3t-personal-token"));
        headers.insert(
            header::LOCATION,
            HeaderValue::from_static("/next?auth=s3cr3t-personal-token"),
        );
        headers.insert(header::SET_COOKIE, HeaderValue::from_static("session=abc"));
        let body = serde_json::json!({
            "you_sent": format!("Authorization: {token}"),
            "raw": token,
            "access_token": "another-one",
            "nested": [{"echo": format!("x{token}y")}],
            "count": 3,
            token: "as a key",
        })
        .to_string();
        let shown = shown_body(&headers, body.as_bytes(), &[token]);
        assert_eq!(shown.kind, "json");
        assert!(!shown.text.contains(token), "{}", shown.text);
        assert!(!shown.text.contains("another-one"), "{}", shown.text);
        assert!(shown.text.contains(REDACTED), "{}", shown.text);
        let parsed: Value = serde_json::from_str(&shown.text).expect("still JSON");
        assert_eq!(parsed["raw"], REDACTED);
        assert_eq!(parsed["count"], 3);
        assert_eq!(shown.total_bytes, body.len());

        let text = shown_body(
            &HeaderMap::new(),
            format!("token was {token}").as_bytes(),
            &[token],
        );
        assert_eq!(text.kind, "text");
        assert_eq!(text.text, "token was [REDACTED]");

        let shown_headers = shown_headers(&headers, &[token]);
        let names: Vec<&str> = shown_headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["content-type", "location"],
            "x-echo and set-cookie are not shown"
        );
        assert!(
            shown_headers.iter().all(|(_, v)| !v.contains(token)),
            "{shown_headers:?}"
        );
    }

    #[test]
    fn large_bodies_are_cut_with_a_note_and_empty_ones_say_so() {
        let big = "a few words ".repeat(MAX_SHOWN_BYTES / 10);
        let shown = shown_body(&HeaderMap::new(), big.as_bytes(), &[]);
        assert!(shown.truncated);
        assert_eq!(shown.text.len(), MAX_SHOWN_BYTES);
        assert_eq!(shown.total_bytes, big.len());
        let empty = shown_body(&HeaderMap::new(), b"", &[]);
        assert_eq!((empty.kind, empty.truncated), ("empty", false));
        let binary = shown_body(&HeaderMap::new(), &[0xff, 0xfe, 0x00], &[]);
        assert_eq!(binary.text, "(3 bytes of binary data, not shown)");
    }

    #[test]
    fn only_idempotent_methods_are_retried() {
        let prepared = |method| Prepared {
            method,
            url: base("http://127.0.0.1:1/x"),
            body: None,
        };
        assert!(prepared(Method::GET).idempotent());
        assert!(prepared(Method::PUT).idempotent());
        assert!(prepared(Method::DELETE).idempotent());
        assert!(!prepared(Method::POST).idempotent());
    }

    #[test]
    fn the_log_keeps_the_method_and_path_never_the_body() {
        let prepared = Prepared {
            method: Method::POST,
            url: base("http://127.0.0.1:1/api/messages?to=bob"),
            body: Some(("application/json", r#"{"text":"private"}"#.into())),
        };
        let logged: Value = serde_json::from_str(&logged_operations(&prepared)).unwrap();
        assert_eq!(logged["method"], "POST");
        assert_eq!(logged["path"], "/api/messages");
        assert!(!logged.to_string().contains("private"));
        assert!(
            !logged.to_string().contains("bob"),
            "query values are redacted: {logged}"
        );
    }
}
