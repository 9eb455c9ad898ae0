//! The HTTP client the `oauth2` crate sends its token requests with ([`Sender`]): each goes
//! out through [`fetch`] to the endpoint exactly as configured, a redirect is reported and
//! never followed ([`redirected`]), and the crate's errors come back as [`CallError`]s that
//! keep the answer's status.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use oauth2::basic::{BasicErrorResponse, BasicTokenResponse};
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse, RequestTokenError};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::StatusCode;
use url::Url;

use super::errors::{description, error_code, raw_text};
use super::grant::grant_from;
use crate::oauth::token::{fetch, CallError, TokenGrant};
use crate::redact::redact;

/// Which endpoint a request went to, for the words of its errors.
#[derive(Clone, Copy)]
pub(super) enum Endpoint {
    /// The token endpoint (code exchange, refresh).
    Token,
    /// The RFC 7009 revocation endpoint.
    Revocation,
    /// The userinfo endpoint.
    Userinfo,
}

impl Endpoint {
    /// How an error names it: "token endpoint".
    fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token endpoint",
            Endpoint::Revocation => "revocation endpoint",
            Endpoint::Userinfo => "userinfo endpoint",
        }
    }

    /// How an error names its requests: "token" requests.
    fn requests(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Revocation => "revocation",
            Endpoint::Userinfo => "userinfo",
        }
    }
}

/// A failed call, kept whole through oauth2's `RequestTokenError::Request`. Its text says
/// nothing of the request (no URL, no body).
#[derive(Debug)]
pub(super) struct Failed(CallError);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request to the OAuth 2.0 server failed")
    }
}

impl std::error::Error for Failed {}

/// What the last answer was, for the errors oauth2 reports without its status.
struct Seen {
    status: StatusCode,
    raw: String,
}

/// oauth2's HTTP client: sends its requests through [`fetch`] to `url` (the endpoint exactly
/// as configured), refuses redirects, and remembers the answer's status. Its futures own
/// what they use (`'static`), so the futures of its callers stay `Send` for any lifetime.
#[derive(Clone)]
pub(super) struct Sender {
    http: reqwest::Client,
    url: Url,
    endpoint: Endpoint,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl<'c> AsyncHttpClient<'c> for Sender {
    type Error = Failed;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, Failed>> + Send + 'static>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let sender = self.clone();
        Box::pin(async move { sender.send(request).await })
    }
}

impl Sender {
    /// A client for requests to `url`, which is `endpoint`.
    pub(super) fn new(http: &reqwest::Client, url: &Url, endpoint: Endpoint) -> Self {
        Self {
            http: http.clone(),
            url: url.clone(),
            endpoint,
            seen: Arc::new(Mutex::new(None)),
        }
    }

    /// Sends one of oauth2's requests to the configured URL and keeps the answer's status.
    async fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, Failed> {
        let (parts, body) = request.into_parts();
        let request = self
            .http
            .request(parts.method, self.url.clone())
            .headers(parts.headers)
            .body(body);
        let answer = fetch(request).await.map_err(Failed)?;
        if answer.status.is_redirection() {
            return Err(Failed(redirected(
                self.endpoint,
                &self.url,
                &answer.headers,
                answer.status,
            )));
        }
        let seen = Seen {
            status: answer.status,
            raw: raw_text(&answer.body),
        };
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen);
        let mut response = HttpResponse::new(answer.body);
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        Ok(response)
    }

    /// The token answer of a request sent with this client as a [`TokenGrant`], or its
    /// failure as a [`CallError`].
    pub(super) fn grant(
        &self,
        answer: std::result::Result<
            BasicTokenResponse,
            RequestTokenError<Failed, BasicErrorResponse>,
        >,
    ) -> std::result::Result<TokenGrant, CallError> {
        grant_from(answer.map_err(|err| self.call_error(err))?)
    }

    /// oauth2's error as a [`CallError`]: the call's own failure as it was, the server's RFC
    /// 6749 5.2 error as `Refused`, an error answer without one as `Refused` with
    /// `http_<status>`, an unreadable success as `BadResponse`.
    fn call_error(&self, err: RequestTokenError<Failed, BasicErrorResponse>) -> CallError {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match (err, seen) {
            (RequestTokenError::Request(Failed(err)), _) => err,
            (RequestTokenError::ServerResponse(answer), Some(seen)) => CallError::Refused {
                status: seen.status.as_u16(),
                error: error_code(answer.error().as_ref()),
                description: description(
                    answer.error_description().map(String::as_str),
                    seen.status,
                ),
                raw: seen.raw,
            },
            (_, Some(seen)) if !seen.status.is_success() => CallError::Refused {
                status: seen.status.as_u16(),
                error: format!("http_{}", seen.status.as_u16()),
                description: description(None, seen.status),
                raw: seen.raw,
            },
            (RequestTokenError::Parse(err, _), Some(seen)) => {
                // serde's message may quote a value; only a missing field's is quoted safely.
                let inner = err.inner().to_string();
                let detail = if inner.starts_with("missing field") {
                    inner
                        .split(" at line")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    format!("unexpected value at {}", err.path())
                };
                CallError::BadResponse(format!(
                    "its {} answered HTTP {} with a body that is not an OAuth 2.0 token \
                     answer ({})",
                    self.endpoint.name(),
                    seen.status.as_u16(),
                    redact(&detail)
                ))
            }
            (_, Some(seen)) => CallError::BadResponse(format!(
                "its {} answered HTTP {} with an empty body or one that is not JSON",
                self.endpoint.name(),
                seen.status.as_u16()
            )),
            (_, None) => CallError::BadResponse(format!(
                "the request to its {} could not be built (nothing was sent); check the \
                 endpoint's address",
                self.endpoint.name()
            )),
        }
    }
}

/// A 3xx from an endpoint: reported, never followed.
pub(super) fn redirected(
    endpoint: Endpoint,
    url: &Url,
    headers: &HeaderMap,
    status: StatusCode,
) -> CallError {
    let location = headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let given = url.as_str();
    let slash_only = location.trim_end_matches('/') == given.trim_end_matches('/')
        && location.ends_with('/') != given.ends_with('/');
    let fix = match (slash_only, location.ends_with('/')) {
        (true, true) => "the address needs a trailing slash: add it to the endpoint",
        (true, false) => "the address must not end with a slash: remove it from the endpoint",
        (false, _) => "check the endpoint's address (for example a missing trailing slash)",
    };
    let to = if location.is_empty() {
        String::new()
    } else {
        let shown: String = location.chars().take(200).collect();
        format!(" to {}", redact(&shown))
    };
    CallError::BadResponse(format!(
        "its {} answered HTTP {} with a redirect{to}, and Authdeck does not follow redirects \
         for {} requests: {fix} in the provider's settings",
        endpoint.name(),
        status.as_u16(),
        endpoint.requests(),
    ))
}
