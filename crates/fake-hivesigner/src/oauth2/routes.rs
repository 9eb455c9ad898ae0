//! The fake OAuth 2.0 server's router: where every endpoint lives under the issuer's path,
//! the protected API at the origin, the 301 from a slashless token or revocation endpoint
//! to the slashed one, and the layer that holds lost answers.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;

use super::discovery::Document;
use super::grants::Shared;
use super::{api, authorize, discovery, lost, revoke, token, userinfo, OAuth2Config};

/// `{issuer}/{name}`, with a trailing slash when `slash`.
pub(crate) fn endpoint_url(issuer: &str, name: &str, slash: bool) -> String {
    format!("{issuer}/{name}{}", if slash { "/" } else { "" })
}

/// 301 to the same path with a trailing slash (a client following it turns POST into GET).
fn add_slash(target: String) -> axum::routing::MethodRouter<Arc<Shared>> {
    any(move || async move {
        (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]).into_response()
    })
}

/// Every route, by the configuration's issuer path and knobs.
pub(crate) fn router(config: &OAuth2Config, issuer: &str) -> Router<Arc<Shared>> {
    let path = config.issuer_path.as_str();
    let mut router = Router::new()
        .route(
            &format!("/.well-known/oauth-authorization-server{path}"),
            discovery::route(Document::Rfc8414),
        )
        .route(
            &format!("{path}/.well-known/openid-configuration"),
            discovery::route(Document::OpenId),
        )
        .route(&format!("{path}/authorize"), get(authorize::authorize))
        .route(
            &format!("{path}/authorize/consent"),
            post(authorize::decide),
        )
        .route(&format!("{path}/userinfo"), any(userinfo::userinfo))
        .route("/api/me", any(api::me))
        .route("/api/notes", any(api::notes));
    let mut endpoints = vec![("token", any(token::token))];
    if config.revocation_endpoint {
        endpoints.push(("revoke", any(revoke::revoke)));
    }
    for (name, handler) in endpoints {
        let plain = format!("{path}/{name}");
        if config.trailing_slash {
            let slashed = format!("{plain}/");
            let absolute = endpoint_url(issuer, name, true);
            router = router
                .route(&plain, add_slash(absolute))
                .route(&slashed, handler);
        } else {
            router = router.route(&plain, handler);
        }
    }
    router.layer(axum::middleware::from_fn(lost::hold_lost_answers))
}
