//! `/api/me`: who the token is for, its scope, and a slice of the chain account.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use crate::errors::Refusal;
use crate::routes::{body_fields, request_token};
use crate::state::{Endpoint, Shared};
use crate::tokens::{Issued, TokenKind, POSTING_OPERATIONS};
use crate::Dialect;

impl Shared {
    fn me(&self, issued: &Issued) -> Value {
        let user = issued.user();
        let scope: Vec<&str> = match issued.kind() {
            TokenKind::Login => vec!["login"],
            _ => POSTING_OPERATIONS.to_vec(),
        };
        json!({
            "user": user,
            "_id": user,
            "name": user,
            "account": self.account(user, issued.app()),
            "scope": scope,
            "user_metadata": {},
        })
    }

    /// A plausible slice of the chain account; `account_auths` shows the app's authority.
    fn account(&self, user: &str, app: &str) -> Value {
        let (coin, dollar_field, dollar) = match self.config.dialect {
            Dialect::Hivesigner => ("HIVE", "hbd_balance", "HBD"),
            Dialect::SteemconnectV2 => ("STEEM", "sbd_balance", "SBD"),
        };
        let account_auths = if self.inner().revoked_authority.contains(user) {
            json!([])
        } else {
            json!([[app, 1]])
        };
        let id = user
            .bytes()
            .fold(1_000u64, |id, b| id * 31 % 9_999_991 + u64::from(b));
        let mut account = json!({
            "id": id,
            "name": user,
            "created": "2018-03-01T12:00:00",
            "balance": format!("12.345 {coin}"),
            "vesting_shares": "123456.789012 VESTS",
            "post_count": 42,
            "reputation": "1234567890",
            "json_metadata": "",
            "posting_json_metadata": json!({"profile": {"name": user}}).to_string(),
            "posting": {"weight_threshold": 1, "account_auths": account_auths, "key_auths": []},
        });
        account[dollar_field] = format!("1.000 {dollar}").into();
        account
    }
}

pub(crate) async fn me(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    shared.enter(Endpoint::Me).await?;
    let fields = body_fields(&headers, &body);
    let token = request_token(&headers, query.as_deref(), &fields);
    let issued = shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
    Ok(Json(shared.me(&issued)))
}
