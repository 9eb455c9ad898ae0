//! Calls to the provider: code exchange, refresh, `/api/me`, revoke and broadcast, each built
//! by the provider's dialect (`oauth/protocol/`), with the response shapes and error bodies
//! both dialects share; and how a call failed, before it is put into words.
//!
//! These are direct reqwest calls, not the oauth2 crate's token exchange, on purpose:
//! Hivesigner's token response has no `token_type` (oauth2's standard response type will not
//! parse it), its body must carry `client_secret` and nothing in an `Authorization` header (the
//! server reads a header token first), and SteemLogin wants a form body with its own fields.
//! The oauth2 crate builds the authorize URL and the state (see `authorize.rs`). No call
//! follows HTTP redirects.

use std::time::Duration;

use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::clock::UnixSeconds;
use crate::error::Error;
use crate::oauth::protocol::dialect;
use crate::provider::{Protocol, Provider};
use crate::redact::redact;

/// Hivesigner's (and Steemconnect's) token lifetime: 7 days.
pub const DEFAULT_LIFETIME_SECONDS: u64 = 604_800;

/// The longest lifetime believed: 400 days. Hivesigner's tokens live 7 days; a larger
/// `expires_in` (from the token endpoint or a redirect) is refused as an invalid answer, so
/// that no expiry computed from it can overflow or land in the far future.
pub const MAX_LIFETIME_SECONDS: u64 = 400 * 24 * 60 * 60;

/// Larger answers are refused (a token answer is a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How much of an error answer is kept for review.
pub const MAX_RAW_BYTES: usize = 4 * 1024;

/// What the token endpoint grants.
pub struct TokenGrant {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token (code flow with `offline`; SteemLogin omits it otherwise; an OAuth
    /// 2.0 server may rotate it on every refresh).
    pub refresh_token: Option<SecretString>,
    /// Advertised lifetime in seconds (advisory on Hivesigner; enforced locally); `None` when
    /// an OAuth 2.0 server gave none: the token is used until a 401 says otherwise.
    pub expires_in: Option<u64>,
    /// The account the tokens are for, when the answer names it (Hivesigner, Steemconnect);
    /// an OAuth 2.0 answer does not, and the userinfo endpoint is asked.
    pub username: Option<String>,
    /// The scopes granted (RFC 6749 5.1 `scope`), when the answer lists them.
    pub scope: Option<Vec<String>>,
}

impl TokenGrant {
    /// When the grant expires, counted from `now`; saturates instead of overflowing. `None`
    /// for "no expiry given".
    pub fn expires_at(&self, now: UnixSeconds) -> Option<UnixSeconds> {
        self.expires_in.map(|seconds| expiry_after(now, seconds))
    }
}

/// `now + seconds`, saturating at the end of time instead of overflowing.
pub fn expiry_after(now: UnixSeconds, seconds: u64) -> UnixSeconds {
    now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// What `/api/me` says about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Me {
    /// The signed-in account.
    pub user: String,
    /// What the token may do, as the provider reports it.
    pub scope: Vec<String>,
}

pub use crate::oauth::protocol::ClientCredentials;

/// How a call failed, before it is put into words for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The request never reached the provider: connection refused, DNS, TLS, connect timeout.
    Unreachable(String),
    /// The request went out but no whole answer came back (timeout, dropped connection): the
    /// provider may have acted on it.
    AnswerLost(String),
    /// The provider answered with an error.
    Refused {
        /// HTTP status.
        status: u16,
        /// The `error` field, or `http_<status>` when the body had none.
        error: String,
        /// The `error_description` field (redacted), or the status text.
        description: String,
        /// The whole answer (redacted, at most [`MAX_RAW_BYTES`]), for the activity log.
        raw: String,
    },
    /// The answer is not what the protocol promises.
    BadResponse(String),
}

impl CallError {
    /// Worth trying again: no answer, or a server-side failure.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Unreachable(_) | CallError::AnswerLost(_) => true,
            CallError::Refused { status, .. } => *status >= 500,
            CallError::BadResponse(_) => false,
        }
    }

    /// The error for the person, naming the provider and, where it matters, the app. An
    /// OAuth 2.0 server's errors are put into words by its dialect; a token site that refuses
    /// a token (401, 403) no longer accepts it.
    pub fn into_error(self, provider: &Provider, client_id: &str) -> Error {
        let provider_name = provider.host();
        match (provider.protocol(), &self) {
            (Protocol::OAuth2, _) => {
                return crate::oauth::protocol::oauth2::into_error(self, &provider_name, client_id)
            }
            (Protocol::TokenSite, CallError::Refused { status, .. })
                if matches!(status, 401 | 403) =>
            {
                return Error::NeedsSignIn {
                    reason: format!("the site no longer accepts its token (HTTP {status})"),
                }
            }
            _ => {}
        }
        match self {
            CallError::Unreachable(reason) | CallError::AnswerLost(reason) => {
                Error::ProviderUnreachable {
                    provider: provider_name,
                    reason,
                }
            }
            CallError::BadResponse(problem) => Error::ProviderBadResponse {
                provider: provider_name,
                problem,
            },
            CallError::Refused {
                error, description, ..
            } => match error.as_str() {
                "invalid_grant" if description.contains("code or secret") => {
                    Error::WrongClientSecret {
                        client_id: client_id.to_owned(),
                    }
                }
                "invalid_grant" => Error::NeedsSignIn {
                    reason: description,
                },
                "unauthorized_access" => Error::IpNotAllowed {
                    provider: provider_name,
                    description,
                },
                _ => Error::ProviderRefused {
                    provider: provider_name,
                    code: error,
                    description,
                },
            },
        }
    }
}

/// The HTTP client for provider calls: no redirects, bounded time.
#[derive(Clone)]
pub struct TokenClient {
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<Seconds>,
    username: String,
}

/// `expires_in` is a JSON number from the token endpoint but a string in redirects.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

#[derive(Deserialize)]
struct MeAnswer {
    user: String,
    #[serde(default)]
    scope: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl TokenClient {
    /// A client whose calls give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("Authdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| Error::Internal(format!("the HTTP client could not start: {err}")))?;
        Ok(Self { http })
    }

    /// The underlying HTTP client (no redirects, bounded time), for the dialects that build
    /// their own requests.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Exchanges a code from the redirect for tokens.
    pub async fn exchange_code(
        &self,
        provider: &Provider,
        client: ClientCredentials<'_>,
        code: &SecretString,
    ) -> Result<TokenGrant, CallError> {
        let request = self.http.post(provider.token_endpoint());
        let request = dialect(provider.protocol()).exchange(request, client, code);
        grant_from(send(request).await?)
    }

    /// Trades a refresh token for new tokens. `scope` is what the app asked for (SteemLogin
    /// wants it back).
    pub async fn refresh(
        &self,
        provider: &Provider,
        client: ClientCredentials<'_>,
        refresh_token: &SecretString,
        scope: &str,
    ) -> Result<TokenGrant, CallError> {
        let request = self.http.post(provider.token_endpoint());
        let request = dialect(provider.protocol()).refresh(request, client, refresh_token, scope);
        grant_from(send(request).await?)
    }

    /// Asks the provider who the token belongs to and what it may do.
    pub async fn me(
        &self,
        provider: &Provider,
        access_token: &SecretString,
    ) -> Result<Me, CallError> {
        let request = self.http.post(provider.me_endpoint());
        let request = dialect(provider.protocol()).with_token(request, access_token);
        let answer: MeAnswer = send(request).await?;
        let scope = answer
            .scope
            .ok_or_else(|| CallError::BadResponse("its /api/me answer has no scope".into()))?;
        Ok(Me {
            user: answer.user,
            scope,
        })
    }

    /// Tells the provider to revoke the access token. On Hivesigner this changes nothing (the
    /// real revocation is removing the app's posting authority), but it is the polite call.
    pub async fn revoke(
        &self,
        provider: &Provider,
        access_token: &SecretString,
    ) -> Result<(), CallError> {
        let request = self.http.post(provider.revoke_endpoint());
        let request = dialect(provider.protocol()).revoke(request, access_token);
        let _: serde_json::Value = send(request).await?;
        Ok(())
    }

    /// Broadcasts one transaction's `operations` with `access_token`, and returns the answer
    /// as it came (the caller tells a lost answer from a refusal).
    pub async fn broadcast(
        &self,
        provider: &Provider,
        access_token: &SecretString,
        operations: &[serde_json::Value],
    ) -> Result<RawAnswer, CallError> {
        let request = self.http.post(provider.broadcast_endpoint());
        let request = dialect(provider.protocol()).broadcast(request, access_token, operations);
        fetch(request).await
    }
}

fn grant_from(answer: TokenAnswer) -> Result<TokenGrant, CallError> {
    let expires_in = match answer.expires_in {
        None => DEFAULT_LIFETIME_SECONDS,
        Some(Seconds::Number(seconds)) => seconds,
        Some(Seconds::Text(text)) => text.trim().parse().map_err(|_| {
            CallError::BadResponse("its expires_in is not a number of seconds".into())
        })?,
    };
    if expires_in > MAX_LIFETIME_SECONDS {
        return Err(CallError::BadResponse(format!(
            "its expires_in ({expires_in} seconds) is not a believable lifetime \
             (at most {MAX_LIFETIME_SECONDS})"
        )));
    }
    if expires_in == 0 || answer.access_token.is_empty() || answer.username.is_empty() {
        return Err(CallError::BadResponse(
            "its token answer is missing the token, the account or a lifetime".into(),
        ));
    }
    Ok(TokenGrant {
        access_token: answer.access_token.into(),
        refresh_token: answer
            .refresh_token
            .filter(|token| !token.is_empty())
            .map(SecretString::from),
        expires_in: Some(expires_in),
        username: Some(answer.username),
        scope: None,
    })
}

/// An answer as it arrived: the status, the headers and the whole body.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body (at most [`MAX_ANSWER_BYTES`]).
    pub body: Vec<u8>,
}

/// Sends `request` and reads a JSON answer of type `T`, or the provider's error body.
pub async fn send<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Result<T, CallError> {
    decode(fetch(request).await?)
}

/// Sends `request` and reads its whole answer. Tells a request that never reached the provider
/// ([`CallError::Unreachable`]) from one whose answer was lost ([`CallError::AnswerLost`]).
pub async fn fetch(request: reqwest::RequestBuilder) -> Result<RawAnswer, CallError> {
    let mut response = request.send().await.map_err(failed_call)?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(lost)? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return Err(CallError::BadResponse("its answer is far too large".into()));
        }
    }
    Ok(RawAnswer {
        status,
        headers,
        body,
    })
}

/// Reads an answer as JSON of type `T`, or as the provider's error body.
pub fn decode<T: DeserializeOwned>(answer: RawAnswer) -> Result<T, CallError> {
    let RawAnswer { status, body, .. } = answer;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|_| {
            CallError::BadResponse(format!(
                "HTTP {} with a body that is not the expected JSON",
                status.as_u16()
            ))
        });
    }
    if status.is_redirection() {
        return Err(CallError::BadResponse(format!(
            "HTTP {} redirect where an answer was expected; check the provider's base URL",
            status.as_u16()
        )));
    }
    let raw = raw_text(&body);
    Err(match serde_json::from_slice::<ErrorAnswer>(&body) {
        Ok(answer) => CallError::Refused {
            status: status.as_u16(),
            description: redact(answer.error_description.as_deref().unwrap_or(&answer.error))
                .into_owned(),
            error: answer.error,
            raw,
        },
        Err(_) => CallError::Refused {
            status: status.as_u16(),
            error: format!("http_{}", status.as_u16()),
            description: format!(
                "HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("error")
            ),
            raw,
        },
    })
}

/// The start of an answer as text, redacted, for review.
fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_RAW_BYTES)]);
    redact(&text).into_owned()
}

/// A failed `send`: before the connection stood, nothing went out; after, it may have.
fn failed_call(err: reqwest::Error) -> CallError {
    if err.is_connect() {
        return CallError::Unreachable("could not connect".to_owned());
    }
    lost(err)
}

/// The answer did not come back whole.
fn lost(err: reqwest::Error) -> CallError {
    let reason = if err.is_timeout() {
        "no answer in time".to_owned()
    } else {
        format!(
            "the connection failed: {}",
            redact(&err.without_url().to_string())
        )
    };
    CallError::AnswerLost(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Preset;

    fn refused(error: &str, description: &str) -> CallError {
        CallError::Refused {
            status: 401,
            error: error.into(),
            description: description.into(),
            raw: String::new(),
        }
    }

    #[test]
    fn maps_provider_errors_to_what_the_person_must_do() {
        let provider = Provider::new(Preset::Hivesigner, None).unwrap();
        let cases = [
            (
                refused("invalid_grant", "The code or secret is not valid"),
                "wrong_client_secret",
            ),
            (
                refused("invalid_grant", "The token has invalid role"),
                "needs_sign_in",
            ),
            (
                refused("unauthorized_access", "The IP 1.2.3.4 is not authorized"),
                "ip_not_allowed",
            ),
            (refused("server_error", "boom"), "provider_refused"),
            (
                CallError::Unreachable("no answer in time".into()),
                "provider_unreachable",
            ),
            (CallError::BadResponse("x".into()), "provider_bad_response"),
        ];
        for (call_error, code) in cases {
            assert_eq!(call_error.into_error(&provider, "myapp").code(), code);
        }
    }

    #[test]
    fn only_missing_answers_and_server_failures_are_transient() {
        assert!(CallError::Unreachable("x".into()).is_transient());
        assert!(CallError::Refused {
            status: 502,
            error: "x".into(),
            description: "x".into(),
            raw: String::new(),
        }
        .is_transient());
        assert!(!refused("invalid_grant", "x").is_transient());
        assert!(!CallError::BadResponse("x".into()).is_transient());
    }

    #[test]
    fn grants_accept_both_lifetime_shapes_and_refuse_empty_tokens() {
        let answer = |expires_in| TokenAnswer {
            access_token: "a".into(),
            refresh_token: Some(String::new()),
            expires_in,
            username: "alice".into(),
        };
        let grant = grant_from(answer(Some(Seconds::Text("60".into())))).unwrap();
        assert_eq!(
            (grant.expires_in, grant.refresh_token.is_none()),
            (Some(60), true)
        );
        assert_eq!(
            grant_from(answer(None)).unwrap().expires_in,
            Some(DEFAULT_LIFETIME_SECONDS)
        );
        assert!(grant_from(answer(Some(Seconds::Number(0)))).is_err());
    }

    #[test]
    fn grants_refuse_lifetimes_beyond_the_cap() {
        let answer = |expires_in| TokenAnswer {
            access_token: "a".into(),
            refresh_token: None,
            expires_in: Some(expires_in),
            username: "alice".into(),
        };
        for seconds in [u64::MAX, 1 << 63, MAX_LIFETIME_SECONDS + 1] {
            for shape in [Seconds::Number(seconds), Seconds::Text(seconds.to_string())] {
                match grant_from(answer(shape)) {
                    Err(CallError::BadResponse(problem)) => {
                        assert!(problem.contains("not a believable lifetime"), "{problem}")
                    }
                    other => panic!("{seconds}: {:?}", other.err()),
                }
            }
        }
        let capped = grant_from(answer(Seconds::Number(MAX_LIFETIME_SECONDS))).unwrap();
        assert_eq!(capped.expires_in, Some(MAX_LIFETIME_SECONDS));
        assert_eq!(
            capped.expires_at(1_000),
            Some(1_000 + MAX_LIFETIME_SECONDS as i64)
        );
    }

    #[test]
    fn expiries_saturate_instead_of_overflowing() {
        assert_eq!(expiry_after(i64::MAX - 5, 604_800), i64::MAX);
        assert_eq!(expiry_after(1_000, u64::MAX), i64::MAX);
        assert_eq!(expiry_after(1_000, 60), 1_060);
    }
}
