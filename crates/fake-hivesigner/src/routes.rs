//! The router, and where every route reads its token and body fields.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use axum::routing::{any, get, post};
use axum::Router;
use serde_json::Value;

use crate::authorize::{authorize, decide};
use crate::broadcast::broadcast;
use crate::errors::not_found;
use crate::me::me;
use crate::pages::revoke_page;
use crate::state::Shared;
use crate::token_endpoint::{revoke, token};

pub(crate) fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// The JSON body, when the request says it is JSON (as Express's body parser requires).
pub(crate) fn json_body(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    if !content_type(headers).contains("json") {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// The body's top-level fields as strings, from JSON or a form; `null` counts as absent.
pub(crate) fn body_fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    if content_type(headers).contains("x-www-form-urlencoded") {
        return parse_form(body);
    }
    let Some(Value::Object(map)) = json_body(headers, body) else {
        return HashMap::new();
    };
    let scalar = |value: Value| match value {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => Some(other.to_string()),
    };
    map.into_iter()
        .filter_map(|(key, value)| scalar(value).map(|text| (key, text)))
        .collect()
}

/// The `Authorization` header's token: raw, or after `Bearer ` or `Basic ` (capital first
/// letter only: `bearer TOKEN` stays `bearer TOKEN`, which is no token).
fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = ["Bearer ", "Basic "]
        .iter()
        .find_map(|prefix| value.strip_prefix(prefix))
        .unwrap_or(value);
    (!token.is_empty()).then(|| token.to_owned())
}

/// The fields a request may carry a token in, after the `Authorization` header.
const TOKEN_FIELDS: [&str; 3] = ["access_token", "code", "refresh_token"];

/// The token of a request, looked for exactly where the real server's `strategy` middleware
/// looks, on every authenticated route: the `Authorization` header, then `access_token`,
/// `code` and `refresh_token`, each in the query string, then in the body. Nothing else: a
/// field named `token` is never read (an empty value counts as absent).
pub(crate) fn request_token(
    headers: &HeaderMap,
    query: Option<&str>,
    fields: &HashMap<String, String>,
) -> Option<String> {
    if let Some(token) = header_token(headers) {
        return Some(token);
    }
    let query = query.map_or_else(HashMap::new, |query| parse_form(query.as_bytes()));
    TOKEN_FIELDS.iter().find_map(|name| {
        [query.get(*name), fields.get(*name)]
            .into_iter()
            .flatten()
            .find(|token| !token.is_empty())
            .cloned()
    })
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/authorize/decision", post(decide))
        .route("/api/oauth2/token", post(token))
        .route("/api/oauth2/token/", post(token))
        .route("/api/oauth2/token/revoke", post(revoke))
        .route("/api/me", any(me))
        .route("/api/broadcast", post(broadcast))
        .route("/revoke/{app}", get(revoke_page))
        .fallback(|| async { not_found() })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            crate::pacing::edge,
        ))
        .with_state(shared)
}
