//! The discovery documents: RFC 8414 metadata (well-known segment before the issuer's path)
//! and OpenID Connect discovery (appended to the issuer), both the same JSON; the
//! `discovery` knob serves only one of them (the other answers 404), and the metadata leaves
//! out `revocation_endpoint` or `authorization_response_iss_parameter_supported` on demand.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use serde_json::{json, Value};

use super::answers::failure;
use super::grants::Shared;
use super::routes::endpoint_url;
use super::{Discovery, Endpoint, Recorded};

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
        "scopes_supported": ["openid", "profile", "offline_access"],
        "subject_types_supported": ["public"],
    });
    if knobs.advertise_iss_parameter {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    if knobs.revocation_endpoint {
        doc["revocation_endpoint"] = json!(endpoint_url(issuer, "revoke", slash));
        doc["revocation_endpoint_auth_methods_supported"] =
            json!(["client_secret_basic", "client_secret_post", "none"]);
    }
    doc
}

/// Which document a route serves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Document {
    /// RFC 8414 authorization server metadata.
    Rfc8414,
    /// OpenID Connect discovery.
    OpenId,
}

async fn answer(shared: &Shared, document: Document, uri: &Uri, headers: &HeaderMap) -> Response {
    let recorded = Recorded::of(&Method::GET, uri, headers, &[], &[]);
    let served = match shared.inner().knobs.discovery {
        Discovery::Both => true,
        Discovery::Rfc8414Only => document == Document::Rfc8414,
        Discovery::OpenIdOnly => document == Document::OpenId,
    };
    if !served {
        // Counted and recorded, but a queued failure waits for a document that is served.
        shared.inner().record(Endpoint::Discovery, recorded);
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(failed) = shared.enter(Endpoint::Discovery, recorded).await {
        return failure(failed);
    }
    axum::Json(metadata(shared)).into_response()
}

/// The route serving `document`: RFC 8414 3.1's
/// `GET /.well-known/oauth-authorization-server{issuer path}`, or OpenID Connect Discovery
/// 4's `GET {issuer}/.well-known/openid-configuration`.
pub(crate) fn route(document: Document) -> MethodRouter<Arc<Shared>> {
    get(
        move |State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap| async move {
            answer(&shared, document, &uri, &headers).await
        },
    )
}
