//! `/api/broadcast`: parsing the operations, the scope, author and authority checks, and the
//! chain's answer.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use rand::Rng;
use serde_json::{json, Value};

use crate::errors::{api_error, server_error, Refusal};
use crate::routes::{body_fields, json_body, request_token};
use crate::state::{Endpoint, Shared};
use crate::tokens::{random_hex, random_signature, Issued, TokenKind, POSTING_OPERATIONS};

/// `[[name, {...}], ...]`, non-empty, or the 500 a malformed transaction gets.
fn parse_operations(operations: &Value) -> Result<Vec<(&str, &Value)>, Refusal> {
    let malformed = || server_error("operations must be a non-empty array of [name, {...}] pairs");
    let list = operations.as_array().filter(|list| !list.is_empty());
    list.ok_or_else(malformed)?
        .iter()
        .map(|operation| match operation.as_array().map(Vec::as_slice) {
            Some([Value::String(name), body @ Value::Object(_)]) => Ok((name.as_str(), body)),
            _ => Err(malformed()),
        })
        .collect()
}

/// Every operation must be one the token's scope allows.
fn check_scope(kind: TokenKind, operations: &[(&str, &Value)]) -> Result<(), Refusal> {
    let allowed: &[&str] = match kind {
        TokenKind::Login => &[],
        _ => &POSTING_OPERATIONS,
    };
    let mut refused: Vec<&str> = Vec::new();
    for (name, _) in operations {
        if !allowed.contains(name) && !refused.contains(name) {
            refused.push(name);
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let description = format!(
        "The access_token scope does not allow the following operation(s): {}",
        refused.join(", ")
    );
    Err(api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_scope",
        description,
    ))
}

/// The accounts an operation is authored by (a non-string entry counts as a stranger).
fn operation_authors<'a>(name: &str, body: &'a Value) -> Vec<&'a str> {
    let one = |field: &str| {
        body.get(field)
            .and_then(Value::as_str)
            .into_iter()
            .collect()
    };
    match name {
        "vote" => one("voter"),
        "comment" | "comment_options" | "delete_comment" => one("author"),
        "claim_reward_balance" | "account_update2" => one("account"),
        "custom_json" => ["required_auths", "required_posting_auths"]
            .iter()
            .filter_map(|field| body.get(*field).and_then(Value::as_array))
            .flatten()
            .map(|account| account.as_str().unwrap_or(""))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every operation must be authored by the token's user, and only by them.
fn check_authors(user: &str, operations: &[(&str, &Value)]) -> Result<(), Refusal> {
    let by_user = |(name, body): &(&str, &Value)| {
        let authors = operation_authors(name, body);
        !authors.is_empty() && authors.iter().all(|author| *author == user)
    };
    if operations.iter().all(by_user) {
        return Ok(());
    }
    Err(api_error(
        StatusCode::UNAUTHORIZED,
        "unauthorized_client",
        format!(
            "This access_token allow you to broadcast transaction only for the account @{user}"
        ),
    ))
}

impl Shared {
    fn check_authority(&self, issued: &Issued) -> Result<(), Refusal> {
        if !self.inner().revoked_authority.contains(issued.user()) {
            return Ok(());
        }
        let description = format!(
            "The app @{} doesn't have permission to broadcast for @{}",
            issued.app(),
            issued.user()
        );
        Err(api_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            description,
        ))
    }

    fn take_chain_failure(&self) -> Result<(), Refusal> {
        match self.inner().chain_failures.pop_front() {
            Some(message) => Err(Refusal::Chain(message)),
            None => Ok(()),
        }
    }

    /// Records the operations and answers like the chain's broadcast result.
    fn accept_broadcast(&self, operations: &Value) -> Value {
        let hook = self.inner().on_broadcast.clone();
        if let Some(hook) = hook {
            hook(operations);
        }
        let mut inner = self.inner();
        inner.broadcasts.push(operations.clone());
        let id = random_hex(20);
        if !inner.full_broadcast_result {
            return json!({"result": {"id": id}});
        }
        let block_num = 90_000_000 + inner.broadcasts.len() as u64;
        json!({
            "result": {
                "id": id,
                "block_num": block_num,
                "trx_num": 0,
                "expired": false,
                "ref_block_num": block_num & 0xffff,
                "ref_block_prefix": rand::rng().random::<u32>(),
                "operations": operations,
                "extensions": [],
                "signatures": [random_signature()],
            },
            "errors": null,
        })
    }
}

pub(crate) async fn broadcast(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let lose_answer = shared.enter(Endpoint::Broadcast).await?;
    let fields = body_fields(&headers, &body);
    let token = request_token(&headers, query.as_deref(), &fields);
    let issued = shared.verify(token.as_deref(), &TokenKind::ACCESS)?;
    shared.check_authority(&issued)?;
    let body = json_body(&headers, &body).unwrap_or(Value::Null);
    let operations = body.get("operations").unwrap_or(&Value::Null);
    let parsed = parse_operations(operations)?;
    check_scope(issued.kind(), &parsed)?;
    check_authors(issued.user(), &parsed)?;
    shared.take_chain_failure()?;
    let answer = shared.accept_broadcast(operations);
    if lose_answer {
        // On chain, but the answer never comes: the client gives up first.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    Ok(Json(answer))
}
