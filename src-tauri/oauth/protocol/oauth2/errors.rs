//! Refusals and errors: a server's refusal kept as a [`CallError`] (its code and description
//! redacted and cut short), whether a 401 says the access token is invalid, and the error
//! the person reads, with RFC 6749 5.2 codes in Authdeck's own words.

use reqwest::StatusCode;

use super::challenge::bearer_param;
use crate::error::Error;
use crate::oauth::token::{CallError, RawAnswer, MAX_RAW_BYTES};
use crate::redact::redact;

/// Whether `answer` is a 401 whose `WWW-Authenticate: Bearer` challenge says
/// `error="invalid_token"` (RFC 6750 3.1): worth one refresh and one retry.
pub fn says_invalid_token(answer: &RawAnswer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && bearer_param(&answer.headers, "error")
            .is_some_and(|error| error.eq_ignore_ascii_case("invalid_token"))
}

/// The error for the person: RFC 6749 5.2 codes in Authdeck's own words (never built on the
/// server's description), a lost or missing answer, an unreadable one.
pub fn into_error(err: CallError, provider: &str, client_id: &str) -> Error {
    let provider = provider.to_owned();
    match err {
        CallError::Unreachable(reason) => Error::ProviderUnreachable { provider, reason },
        CallError::AnswerLost(reason) => Error::ProviderUnreachable {
            provider,
            reason: format!("the request went out but its answer was lost: {reason}"),
        },
        CallError::BadResponse(problem) => Error::ProviderBadResponse { provider, problem },
        CallError::Refused { status, error, .. } => match error.as_str() {
            "invalid_grant" => Error::NeedsSignIn {
                reason: "the server no longer accepts this sign-in (invalid_grant)".into(),
            },
            "invalid_client" => Error::ClientRejected {
                provider,
                client_id: client_id.to_owned(),
            },
            code => Error::OAuthRefused {
                meaning: meaning(code, status),
                code: error,
                provider,
            },
        },
    }
}

/// What an RFC 6749 5.2 (or RFC 6750 3.1, RFC 7009 2.2.1) error code means and what to do,
/// in Authdeck's words; `status` for the codes Authdeck made from a bare HTTP status.
fn meaning(code: &str, status: u16) -> String {
    let words = match code {
        "invalid_request" => {
            "the server found the request malformed (a parameter missing, repeated or not \
             allowed): check that the app's redirect URI and client authentication method \
             are the ones registered at the server"
        }
        "invalid_scope" => {
            "the app asked for a scope the server does not grant to it: change the app's \
             scopes to ones the server lists"
        }
        "unauthorized_client" => {
            "the server does not let this app use this kind of grant (authorization code or \
             refresh token): allow it in the app's settings at the server"
        }
        "access_denied" => {
            "the account owner or the server refused the authorization: sign in again and \
             approve the app, or ask the server's administrator why it was refused"
        }
        "temporarily_unavailable" => {
            "the server is overloaded or down for maintenance: try again in a few minutes"
        }
        "unsupported_grant_type" => {
            "the server does not support this grant type (authorization code or refresh \
             token): check that the provider is set up as a standard OAuth 2.0 server and that \
             the grant is enabled for the app"
        }
        "unsupported_response_type" => {
            "the server does not hand out authorization codes to this app: enable the \
             authorization code flow for the app at the server"
        }
        "server_error" => {
            "the server failed while handling the request, which is on the server's side: try \
             again later"
        }
        "unsupported_token_type" => {
            "the server cannot revoke this kind of token: remove the app's access in the \
             account's settings at the provider"
        }
        "invalid_token" => {
            "the server does not accept the access token (expired, revoked or malformed): \
             sign in again"
        }
        "insufficient_scope" => {
            "the access token lacks a scope this request needs: add it to the app's scopes \
             and sign in again"
        }
        _ if code.starts_with("http_") && status >= 500 => {
            return format!(
                "the server failed with HTTP {status} without an OAuth 2.0 error, which is on \
                 the server's side: try again later"
            );
        }
        _ if code.starts_with("http_") => {
            return format!(
                "the server answered HTTP {status} without an OAuth 2.0 error: check the \
                 endpoint addresses in the provider's settings"
            );
        }
        _ => {
            "the server gave an error Authdeck does not know: check the app's settings at the \
             server, then try again"
        }
    };
    words.to_owned()
}

/// The server's error code as kept: RFC 6749 codes are short ASCII words; anything else is
/// redacted and cut short.
pub(super) fn error_code(code: &str) -> String {
    let shown: String = code.chars().take(64).collect();
    redact(&shown).into_owned()
}

/// The server's description (redacted; for the activity log, never for advice), or the
/// status's words.
pub(super) fn description(given: Option<&str>, status: StatusCode) -> String {
    match given.filter(|text| !text.trim().is_empty()) {
        Some(text) => {
            let shown: String = text.chars().take(MAX_RAW_BYTES).collect();
            redact(&shown).into_owned()
        }
        None => format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("error")
        ),
    }
}

/// A refusal with the server's error `code`.
pub(super) fn refused_with(answer: &RawAnswer, code: &str, given: Option<&str>) -> CallError {
    CallError::Refused {
        status: answer.status.as_u16(),
        error: error_code(code),
        description: description(given, answer.status),
        raw: raw_text(&answer.body),
    }
}

/// A refusal without an error code: `http_<status>`.
pub(super) fn refused_plain(answer: &RawAnswer) -> CallError {
    CallError::Refused {
        status: answer.status.as_u16(),
        error: format!("http_{}", answer.status.as_u16()),
        description: description(None, answer.status),
        raw: raw_text(&answer.body),
    }
}

/// The start of an answer as text, redacted, for review.
pub(super) fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_RAW_BYTES)]);
    redact(&text).into_owned()
}
