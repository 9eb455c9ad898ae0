//! Refusals and the service's answers for them (error bodies, the crash page, 404, 302).

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Why a request is refused; it becomes the service's answer at the edge.
#[derive(Debug)]
pub(crate) enum Refusal {
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

pub(crate) fn api_error(
    status: StatusCode,
    error: &'static str,
    description: impl Into<String>,
) -> Refusal {
    Refusal::Api {
        status,
        error,
        description: description.into(),
    }
}

pub(crate) fn invalid_role() -> Refusal {
    api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_grant",
        "The token has invalid role",
    )
}

pub(crate) fn server_error(description: &str) -> Refusal {
    api_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        description,
    )
}

/// The bare 404 the UI shows for an unknown app or a redirect URI it refuses.
pub(crate) fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found").into_response()
}

pub(crate) fn found(location: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
