//! `GET {issuer}/userinfo` (OpenID Connect Core 5.3, RFC 6750 2.1 and 3): only an
//! `Authorization: Bearer <token>` header; refusals carry `WWW-Authenticate: Bearer`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::answers::failure;
use super::grants::Shared;
use super::Endpoint;

fn unauthorized(challenge: &'static str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, challenge)],
    )
        .into_response()
}

/// The userinfo endpoint: `{sub, preferred_username}`; `sub` is `"sub-" + user`.
pub(crate) async fn userinfo(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if let Some(failed) = shared
        .enter(Endpoint::Userinfo, &method, &headers, &[])
        .await
    {
        return failure(failed);
    }
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    // No (usable) authentication: a challenge without an error code (RFC 6750 3.1).
    let Some(token) = token else {
        return unauthorized("Bearer realm=\"fake-oauth2\"");
    };
    let inner = shared.inner();
    match inner.live_access(token) {
        Some(grant) => axum::Json(json!({
            "sub": format!("sub-{}", grant.user),
            "preferred_username": grant.user,
        }))
        .into_response(),
        None => unauthorized(
            "Bearer realm=\"fake-oauth2\", error=\"invalid_token\", \
             error_description=\"The access token is invalid or expired\"",
        ),
    }
}
