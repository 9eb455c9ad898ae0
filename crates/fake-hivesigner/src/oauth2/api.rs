//! A small protected API at the issuer's origin, for API console tests (RFC 6750 bearer use):
//! `GET /api/me` answers `{sub, preferred_username}`; `POST /api/notes` takes a JSON object
//! and answers 201 with it echoed plus `"owner"`. Only `Authorization: Bearer <token>`; an
//! expired or revoked token gets 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
//! Every request is recorded under [`Endpoint::Api`], body included.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::answers::failure;
use super::grants::Shared;
use super::incoming::Incoming;
use super::userinfo::{bearer_user, claims};
use super::{Endpoint, Recorded};

fn query_fields(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Records the request and plays a queued failure, checks the method, then the bearer token:
/// the user, or the answer to give instead.
async fn enter(
    shared: &Shared,
    allowed: Method,
    method: &Method,
    recorded: Recorded,
    headers: &HeaderMap,
) -> Result<String, Response> {
    if let Some(failed) = shared.enter(Endpoint::Api, recorded).await {
        return Err(failure(failed));
    }
    if *method != allowed {
        let allow = [(header::ALLOW, allowed.to_string())];
        return Err((StatusCode::METHOD_NOT_ALLOWED, allow).into_response());
    }
    bearer_user(shared, headers).map_err(IntoResponse::into_response)
}

fn refusal(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, axum::Json(body)).into_response()
}

/// `GET /api/me`.
pub(crate) async fn me(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let recorded = Recorded::of(&method, &uri, &headers, &query_fields(&uri), &[]);
    match enter(&shared, Method::GET, &method, recorded, &headers).await {
        Ok(user) => axum::Json(claims(&user)).into_response(),
        Err(answer) => answer,
    }
}

/// `POST /api/notes`: `Content-Type: application/json` and a JSON object, or 415 / 400.
pub(crate) async fn notes(State(shared): State<Arc<Shared>>, request: Incoming) -> Response {
    let recorded = request.recorded(&query_fields(&request.uri));
    let entered = enter(
        &shared,
        Method::POST,
        &request.method,
        recorded,
        &request.headers,
    );
    let user = match entered.await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let is_json = request
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The body must be application/json.",
        );
    }
    let Ok(Value::Object(mut note)) = serde_json::from_slice::<Value>(&request.body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The body must be a JSON object.",
        );
    };
    note.insert("owner".into(), json!(user));
    let note = Value::Object(note);
    shared.inner().notes.push(note.clone());
    (StatusCode::CREATED, axum::Json(note)).into_response()
}
