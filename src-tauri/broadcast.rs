//! Broadcasting through the provider's `/api/broadcast` with the account's fresh token, the
//! provider's errors put into plain words with what to do, and every attempt (sent or not)
//! recorded in the activity log. A broadcast is never retried on its own: an answer that did
//! not come may still have been broadcast, and the chain refuses duplicates; the person
//! retries from the log.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::AccountId;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::activity::{ActivityEntry, Outcome};
use crate::apps::App;
use crate::error::{Error, Result};
use crate::events::{AppEvent, BatchProgress};
use crate::oauth::token::{self, CallError};
use crate::redact::redact;
use crate::service::Authdeck;

/// How many accounts of a batch broadcast at the same time.
pub const BATCH_CONCURRENCY: usize = 4;

static NEXT_BATCH: AtomicU64 = AtomicU64::new(1);

/// What to broadcast from one account: the operations as legacy JSON, and how the log names
/// them.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Operation names, `+`-joined (`vote`, `comment+comment_options`).
    pub kind: String,
    /// One line for the activity log.
    pub summary: String,
    /// `[name, {fields}]` arrays, all signed by the account.
    pub operations: Vec<Value>,
}

#[derive(Deserialize)]
struct BroadcastAnswer {
    result: BroadcastResult,
}

/// Both shapes the services answer: `{"result":{"id":...}}` and the documented fuller one.
#[derive(Deserialize)]
struct BroadcastResult {
    #[serde(default)]
    id: Option<String>,
}

impl Authdeck {
    /// Broadcasts `outgoing` from account `id` and records the attempt. The returned entry's
    /// outcome says whether it was sent; `Err` only when the account or the log is missing.
    pub async fn send(&self, id: AccountId, outgoing: Outgoing) -> Result<ActivityEntry> {
        let account = self.registry.account(id)?;
        let app = self.registry.app(account.app_id)?;
        let outcome = match self
            .broadcast_as(id, &app, &account.username, &outgoing)
            .await
        {
            Ok(transaction_id) => Outcome::Sent { transaction_id },
            Err((err, raw)) => Outcome::Failed {
                code: err.code().to_owned(),
                message: err.message(),
                raw,
            },
        };
        let mut entry = ActivityEntry {
            id: crate::activity::ActivityId(0),
            at: self.clock.now(),
            account_id: Some(id),
            username: account.username,
            app_client_id: app.client_id,
            kind: outgoing.kind,
            summary: outgoing.summary,
            operations: Value::Array(outgoing.operations).to_string(),
            outcome,
        };
        entry.id = self.registry.record_activity(&entry)?;
        self.emit(AppEvent::ActivityChanged);
        match &entry.outcome {
            Outcome::Sent { .. } => {
                tracing::info!(account = id.0, kind = %entry.kind, "broadcast sent")
            }
            Outcome::Failed { code, .. } => {
                tracing::warn!(account = id.0, kind = %entry.kind, code, "broadcast failed")
            }
        }
        Ok(entry)
    }

    /// Sends a logged entry's operations again from the same account (a new log entry).
    pub async fn retry(&self, id: crate::activity::ActivityId) -> Result<ActivityEntry> {
        let entry = self.registry.activity_entry(id)?;
        let account = entry
            .account_id
            .filter(|id| self.registry.account(*id).is_ok())
            .ok_or_else(|| {
                Error::invalid(
                    "activity",
                    format!(
                        "@{} is no longer in Authdeck; sign it in again, then send anew",
                        entry.username
                    ),
                )
            })?;
        let operations: Vec<Value> = serde_json::from_str(&entry.operations)
            .map_err(|err| Error::Internal(format!("a logged entry is not JSON: {err}")))?;
        let outgoing = Outgoing {
            kind: entry.kind,
            summary: entry.summary,
            operations,
        };
        self.send(account, outgoing).await
    }

    /// Broadcasts each account's operations, [`BATCH_CONCURRENCY`] accounts at a time; one
    /// account's failure does not stop the others. Reports each finished account as a
    /// [`BatchProgress`] event, and returns the log entries in the order of `items`.
    pub async fn send_batch(
        self: &Arc<Self>,
        items: Vec<(AccountId, Outgoing)>,
    ) -> Result<Vec<ActivityEntry>> {
        let batch_id = NEXT_BATCH.fetch_add(1, Ordering::Relaxed);
        let total = items.len();
        let permits = Arc::new(tokio::sync::Semaphore::new(BATCH_CONCURRENCY));
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (id, outgoing)) in items.into_iter().enumerate() {
            let (core, permits, done) = (self.clone(), permits.clone(), done.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let entry = core.send(id, outgoing).await;
                if let Ok(entry) = &entry {
                    core.emit(AppEvent::Batch(Box::new(BatchProgress {
                        batch_id,
                        done: done.fetch_add(1, Ordering::SeqCst) + 1,
                        total,
                        entry: entry.clone(),
                    })));
                }
                (index, entry)
            });
        }
        let mut entries: Vec<Option<Result<ActivityEntry>>> = (0..total).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            let (index, entry) = joined
                .map_err(|err| Error::Internal(format!("a broadcast task stopped: {err}")))?;
            entries[index] = Some(entry);
        }
        entries.into_iter().flatten().collect()
    }

    /// The transaction id, or the error and the provider's raw words.
    async fn broadcast_as(
        &self,
        id: AccountId,
        app: &App,
        username: &str,
        outgoing: &Outgoing,
    ) -> std::result::Result<String, (Error, String)> {
        let token = self
            .access_token(id)
            .await
            .map_err(|err| (err, String::new()))?;
        let request = self.provider_calls.authorized(
            self.provider_calls
                .http()
                .post(app.provider.broadcast_endpoint())
                .json(&serde_json::json!({ "operations": outgoing.operations })),
            &token,
        );
        match token::send::<BroadcastAnswer>(request).await {
            Ok(answer) => Ok(answer
                .result
                .id
                .unwrap_or_else(|| "(no transaction id reported)".to_owned())),
            Err(err) => {
                let raw = match &err {
                    CallError::Refused { raw, .. } => raw.clone(),
                    CallError::Unreachable(reason) | CallError::BadResponse(reason) => {
                        reason.clone()
                    }
                };
                Err((broadcast_error(err, app, username), raw))
            }
        }
    }
}

/// Puts a broadcast failure into words: the provider's error codes of the protocol page, each
/// with what the person can do about it.
pub fn broadcast_error(err: CallError, app: &App, username: &str) -> Error {
    let CallError::Refused {
        status,
        error,
        description,
        ..
    } = &err
    else {
        return err.into_error(&app.provider, &app.client_id);
    };
    match (error.as_str(), *status) {
        ("invalid_scope", _) => Error::NotPermitted {
            description: description.clone(),
        },
        ("unauthorized_client", _) if description.contains("Broadcaster account") => {
            Error::HivesignerNotGranted {
                app: app.client_id.clone(),
            }
        }
        ("unauthorized_client", _) if description.contains("doesn't have permission") => {
            Error::AuthorityMissing {
                account: username.to_owned(),
                app: app.client_id.clone(),
            }
        }
        ("unauthorized_client", _) => Error::WrongAccount {
            description: description.clone(),
        },
        (_, 501) => Error::NodeFailure {
            provider: app.provider.host(),
            description: description.clone(),
        },
        ("server_error", 500) => Error::ChainRefused {
            advice: chain_advice(description).to_owned(),
            description: redact(description).into_owned(),
        },
        _ => err.into_error(&app.provider, &app.client_id),
    }
}

/// What to do about the chain's most common refusals.
pub fn chain_advice(description: &str) -> &'static str {
    let said = |words: &[&str]| words.iter().any(|word| description.contains(word));
    if said(&["ROOT_COMMENT_INTERVAL", "once every 5 minutes"]) {
        "An account may publish one root post every 5 minutes: wait, then retry from the activity log."
    } else if said(&[
        "REPLY_INTERVAL",
        "once every 3 seconds",
        "once every 20 seconds",
    ]) {
        "An account may reply once every few seconds: wait a moment, then retry."
    } else if said(&["already voted", "vote again"]) {
        "This account already voted this way on that post; change the weight to vote again."
    } else if said(&["weight is too small", "too small"]) {
        "The account's voting power is too low for this weight: use a larger weight or wait for it to recharge."
    } else if said(&["payout", "cashout"]) {
        "The post has already paid out; votes and edits no longer count."
    } else if said(&["RC", "resource credit", "bandwidth", "Bandwidth"]) {
        "The account lacks resource credits: wait for them to recharge, or have someone delegate RC."
    } else if said(&["does not exist", "missing", "unknown"]) {
        "Check that the post and the accounts exist, then retry."
    } else {
        "Check the post and the values, then retry from the activity log."
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::{Access, RedirectMode, Scopes};
    use crate::provider::{Preset, Provider};

    fn app() -> App {
        App {
            id: crate::apps::AppId(1),
            provider: Provider::new(Preset::Hivesigner, None).unwrap(),
            client_id: "myapp".into(),
            scopes: Scopes {
                access: Access::Posting,
                offline: true,
            },
            redirect: RedirectMode::Loopback,
            secret_set: true,
        }
    }

    fn refused(status: u16, error: &str, description: &str) -> CallError {
        CallError::Refused {
            status,
            error: error.into(),
            description: description.into(),
            raw: String::new(),
        }
    }

    #[test]
    fn every_documented_broadcast_error_gets_its_own_words() {
        let cases = [
            (refused(401, "invalid_scope", "The access_token scope does not allow the following operation(s): transfer"), "not_permitted"),
            (refused(401, "unauthorized_client", "This access_token allow you to broadcast transaction only for the account @alice"), "wrong_account"),
            (refused(401, "unauthorized_client", "The app @myapp doesn't have permission to broadcast for @alice"), "authority_missing"),
            (refused(401, "unauthorized_client", "Broadcaster account doesn't have permission to broadcast for @myapp"), "hivesigner_not_granted"),
            (refused(500, "server_error", "Voting weight is too small, please accumulate more voting power or steem power."), "chain_refused"),
            (refused(501, "server_error", "Request to hived API failed"), "node_failure"),
            (refused(401, "invalid_grant", "The token has invalid role"), "needs_sign_in"),
            (refused(401, "unauthorized_access", "The IP 1.2.3.4 is not authorized"), "ip_not_allowed"),
            (CallError::Unreachable("no answer in time".into()), "provider_unreachable"),
        ];
        for (err, code) in cases {
            let described = format!("{err:?}");
            let error = broadcast_error(err, &app(), "alice");
            assert_eq!(error.code(), code, "{described}");
        }
    }

    #[test]
    fn chain_refusals_come_with_advice() {
        let advice = |text: &str| chain_advice(text);
        assert!(
            advice("HIVE_MIN_ROOT_COMMENT_INTERVAL: You may only post once every 5 minutes.")
                .contains("5 minutes")
        );
        assert!(advice("You have already voted in a similar way.").contains("already voted"));
        assert!(advice("Voting weight is too small").contains("voting power"));
        assert!(advice("something new").contains("retry"));
        let error = broadcast_error(
            refused(500, "server_error", "Voting weight is too small"),
            &app(),
            "alice",
        );
        assert!(error
            .message()
            .contains("The chain refused the transaction: Voting weight is too small."));
    }
}
