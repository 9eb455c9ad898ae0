//! `/api/oauth2/token` (code exchange and refresh) and `/api/oauth2/token/revoke`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use crate::errors::{api_error, invalid_role, Refusal};
use crate::routes::{body_fields, request_token};
use crate::state::{Endpoint, Shared};
use crate::tokens::{Grant, Issued, Statement, TokenKind};
use crate::Dialect;

impl Shared {
    /// Code exchange or refresh: the token is read as on every route ([`request_token`]: the
    /// header first, as the real server reads it, then `access_token`, `code`, `refresh_token`).
    fn exchange(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        fields: &HashMap<String, String>,
    ) -> Result<Value, Refusal> {
        let token = request_token(headers, query, fields);
        let issued = self.verify(token.as_deref(), &TokenKind::GRANTS)?;
        if issued.kind() == TokenKind::Refresh && self.inner().refuse_refresh {
            return Err(invalid_role());
        }
        self.check_client(fields, &issued)?;
        Ok(self.token_response(&issued))
    }

    /// The client secret (and, for Steemconnect, the client id) must be the app's.
    fn check_client(
        &self,
        fields: &HashMap<String, String>,
        issued: &Issued,
    ) -> Result<(), Refusal> {
        let secret = fields.get("client_secret");
        if self.config.dialect == Dialect::Hivesigner && secret.is_none() {
            return Err(Refusal::Crash);
        }
        let client_ok = match self.config.dialect {
            Dialect::Hivesigner => true,
            Dialect::SteemconnectV2 => {
                fields.get("client_id").map(String::as_str) == Some(issued.app())
            }
        };
        let inner = self.inner();
        let app = inner.apps.get(issued.app());
        if client_ok && app.is_some_and(|app| Some(&app.secret) == secret) {
            return Ok(());
        }
        Err(api_error(
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "The code or secret is not valid",
        ))
    }

    fn token_response(&self, issued: &Issued) -> Value {
        let (app, user, grant) = (issued.app(), issued.user(), issued.grant);
        let mut inner = self.inner();
        let mut body = json!({
            "access_token": inner.mint(grant.access, app, user, grant),
            "expires_in": inner.expires_in,
            "username": user,
        });
        if self.config.dialect == Dialect::Hivesigner || grant.offline {
            let refresh_grant = Grant {
                offline: true,
                ..grant
            };
            body["refresh_token"] = inner
                .mint(TokenKind::Refresh, app, user, refresh_grant)
                .into();
        }
        body
    }
}

pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let fields = body_fields(&headers, &body);
    let endpoint = if fields.contains_key("refresh_token") {
        Endpoint::Refresh
    } else {
        Endpoint::CodeExchange
    };
    shared.enter(endpoint).await?;
    shared
        .exchange(&headers, query.as_deref(), &fields)
        .map(Json)
}

/// Hivesigner: an access token where every route reads one ([`request_token`]; a `token`
/// field is not read, so `{"token": ...}` alone is 401 invalid role), then `{"success":true}`
/// and nothing changes. Steemconnect v2: the `token` field, or the token where every route
/// reads it, is forgotten.
pub(crate) async fn revoke(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    shared.enter(Endpoint::Revoke).await?;
    let mut fields = body_fields(&headers, &body);
    match shared.config.dialect {
        Dialect::Hivesigner => {
            let token = request_token(&headers, query.as_deref(), &fields);
            shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
        }
        Dialect::SteemconnectV2 => {
            let token = fields
                .remove("token")
                .or_else(|| request_token(&headers, query.as_deref(), &fields));
            if let Some(statement) = token.as_deref().and_then(Statement::decode) {
                shared
                    .inner()
                    .issued
                    .remove(statement.signature().unwrap_or_default());
            }
        }
    }
    Ok(Json(json!({"success": true})))
}
