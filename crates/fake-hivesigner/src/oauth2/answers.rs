//! The fake OAuth 2.0 server's answers: RFC 6749 5.2 error bodies, the JSON success shape
//! with its no-store headers, and the answers of queued failures.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::{Failure, INVALID_GRANT_DESCRIPTION};
use crate::pages::plain_page;

/// An RFC 6749 5.2 error: 400 unless said otherwise, maybe with `WWW-Authenticate`.
#[derive(Debug)]
pub(crate) struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
    pub(crate) www_authenticate: Option<&'static str>,
}

impl OAuthError {
    /// A 400 with this error code.
    pub(crate) fn new(error: &'static str, description: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            www_authenticate: None,
        }
    }

    /// `invalid_request`.
    pub(crate) fn request(description: &str) -> Self {
        Self::new("invalid_request", description)
    }

    /// `invalid_grant`, always with the generic description.
    pub(crate) fn grant() -> Self {
        Self::new("invalid_grant", INVALID_GRANT_DESCRIPTION)
    }

    /// `invalid_client`, 401; with `WWW-Authenticate: Basic` when basic was tried.
    pub(crate) fn client(basic_tried: bool) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            www_authenticate: basic_tried.then_some("Basic realm=\"fake-oauth2\""),
            ..Self::new("invalid_client", "Client authentication failed.")
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if let Some(challenge) = self.www_authenticate {
            let value = HeaderValue::from_static(challenge);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 5.1).
pub(crate) fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// 200 JSON with the no-store headers.
pub(crate) fn ok_json(body: Value) -> Response {
    (StatusCode::OK, no_store(), axum::Json(body)).into_response()
}

/// The answer of a queued failure (a delay or a lost answer is played by
/// [`Shared::enter`](super::grants::Shared::enter), never answered here).
pub(crate) fn failure(failure: Failure) -> Response {
    match failure {
        Failure::ServerError => {
            let body = json!({"error": "server_error", "error_description": "Internal error."});
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
        Failure::Garbage => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "<html>502 upstream</html>",
        )
            .into_response(),
        Failure::Delay(_) | Failure::LoseAnswer => StatusCode::OK.into_response(),
    }
}

/// A plain HTML page.
pub(crate) fn page(status: StatusCode, text: &str) -> Response {
    plain_page(status, "fake OAuth 2.0", &format!("<p>{text}</p>"))
}
