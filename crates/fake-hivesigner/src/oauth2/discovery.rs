//! The discovery documents: RFC 8414 metadata (well-known segment before the issuer's path)
//! and OpenID Connect discovery (appended to the issuer), both the same JSON.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::answers::failure;
use super::grants::Shared;
use super::routes::endpoint_url;
use super::Endpoint;

fn metadata(shared: &Shared) -> Value {
    let issuer = &shared.issuer;
    let knobs = &shared.inner().knobs;
    let slash = knobs.trailing_slash;
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": endpoint_url(issuer, "token", slash),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": ["openid", "profile", "offline_access"],
        "subject_types_supported": ["public"],
    });
    if knobs.revocation_endpoint {
        doc["revocation_endpoint"] = json!(endpoint_url(issuer, "revoke", slash));
        doc["revocation_endpoint_auth_methods_supported"] =
            json!(["client_secret_basic", "client_secret_post", "none"]);
    }
    doc
}

async fn answer(shared: &Shared, headers: &HeaderMap) -> Response {
    if let Some(failed) = shared
        .enter(Endpoint::Discovery, &Method::GET, headers, &[])
        .await
    {
        return failure(failed);
    }
    axum::Json(metadata(shared)).into_response()
}

/// `GET /.well-known/oauth-authorization-server{issuer path}` (RFC 8414 3.1).
pub(crate) async fn rfc8414(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    answer(&shared, &headers).await
}

/// `GET {issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 4).
pub(crate) async fn openid(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    answer(&shared, &headers).await
}
