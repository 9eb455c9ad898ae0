//! `POST {issuer}/revoke` (RFC 7009): client authentication as at the token endpoint;
//! revoking either kind of token kills its whole grant; 200 with an empty body.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::answers::OAuthError;
use super::client_auth::authenticate;
use super::grants::Shared;
use super::incoming::Incoming;
use super::token::enter_post;
use super::Endpoint;

/// The revocation endpoint.
pub(crate) async fn revoke(State(shared): State<Arc<Shared>>, request: Incoming) -> Response {
    let fields = match enter_post(&shared, Endpoint::Revoke, &request).await {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let mut inner = shared.inner();
    let client_id = match authenticate(&inner, &request.headers, &fields) {
        Ok(client_id) => client_id,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(token) = fields
        .iter()
        .find(|(key, _)| key == "token")
        .map(|(_, v)| v)
    else {
        return OAuthError::request("token is missing.").into_response();
    };
    // The hint only orders the lookup (2.1); both kinds are searched either way.
    let grant = inner
        .access
        .get(token)
        .map(|access| access.grant)
        .or_else(|| inner.refresh.get(token).map(|refresh| refresh.grant));
    if let Some(grant) = grant {
        if inner.grants.get(&grant).map(|g| g.client_id.as_str()) != Some(client_id.as_str()) {
            let refusal = OAuthError::new(
                "unauthorized_client",
                "The token was issued to another client.",
            );
            return refusal.into_response();
        }
        inner.revoke_grant(grant);
    }
    // An unknown or already invalid token is not an error (2.2).
    StatusCode::OK.into_response()
}
