//! `GET {issuer}/userinfo` (OpenID Connect Core 5.3, RFC 6750 2.1 and 3): only an
//! `Authorization: Bearer <token>` header; refusals carry `WWW-Authenticate: Bearer`. The
//! bearer check is shared with the protected API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::answers::failure;
use super::grants::Shared;
use super::{Endpoint, Recorded};

/// RFC 6750 3's refusals: 401 with a bare `Bearer` challenge when no bearer token came
/// (3.1), with `error="invalid_token"` for an unknown, expired or revoked one.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BearerRefusal {
    Missing,
    InvalidToken,
}

impl IntoResponse for BearerRefusal {
    fn into_response(self) -> Response {
        let challenge = match self {
            BearerRefusal::Missing => "Bearer realm=\"fake-oauth2\"",
            BearerRefusal::InvalidToken => {
                "Bearer realm=\"fake-oauth2\", error=\"invalid_token\", \
                 error_description=\"The access token is invalid or expired\""
            }
        };
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response()
    }
}

/// The user a live `Authorization: Bearer <token>` belongs to.
pub(crate) fn bearer_user(shared: &Shared, headers: &HeaderMap) -> Result<String, BearerRefusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(BearerRefusal::Missing)?;
    let inner = shared.inner();
    let grant = inner
        .live_access(token)
        .ok_or(BearerRefusal::InvalidToken)?;
    Ok(grant.user.clone())
}

/// `{sub, preferred_username}` for `user`; `sub` is `"sub-" + user`.
pub(crate) fn claims(user: &str) -> serde_json::Value {
    json!({"sub": format!("sub-{user}"), "preferred_username": user})
}

/// The userinfo endpoint: `{sub, preferred_username}`.
pub(crate) async fn userinfo(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let recorded = Recorded::of(&method, &uri, &headers, &[], &[]);
    if let Some(failed) = shared.enter(Endpoint::Userinfo, recorded).await {
        return failure(failed);
    }
    if method != Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    match bearer_user(&shared, &headers) {
        Ok(user) => axum::Json(claims(&user)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}
