//! [`Broadcaster`]: broadcasting through the provider with the account's fresh token (from
//! `Tokens`), the provider's errors put into plain words with what to do, and every attempt
//! recorded in the activity log as sent, failed, or unknown ("may have been sent": the answer
//! was lost).
//!
//! Exactly once: a broadcast is never retried on its own, except after a 429 (the provider's
//! edge refused it before doing anything: it is tried again once the `Retry-After` pause is
//! over, and only the last attempt is logged); a 5xx or a lost answer is logged as it came,
//! never resent. Before operations go out again while an earlier attempt with the same
//! operations is unknown, the chain is asked whether that attempt went through (then it is
//! marked sent, with the evidence, and nothing is sent). From the right account: every
//! account the operations name must be the one whose token signs them.
//!
//! A batch is paced by `pacing`: its concurrency adapts to the provider's answers.

use serde::Deserialize;
use serde_json::Value;

use crate::accounts::{Account, AccountId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::activity::{ActivityEntry, ActivityFilter, ActivityId, Outcome, SendResult, Sender};
use crate::apps::{App, AppId};
use crate::chain::ChainClient;
use crate::chain::OnChain;
use crate::error::{Error, Result};
use crate::events::{AppEvent, BatchPause, BatchProgress};
use crate::group_commit::GroupCommit;
use crate::hive::signers;
use crate::oauth::token::{self, CallError};
use crate::pacing::{self, Limiter, Pacer, Pause, Permit, Signal};
use crate::provider::Chain;
use crate::redact::redact;
use crate::registry::Registry;
use crate::shared::Shared;
use crate::tokens::{ProviderSeen, Tokens};

/// How long after a lost answer its transaction may still reach the chain: Hivesigner signs
/// with a 60-second expiration; the rest is room for block time and clock differences.
pub const SETTLE_SECONDS: i64 = 90;

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

impl Outgoing {
    /// The operations as the log keeps them (and as duplicates are told apart).
    pub fn operations_text(&self) -> String {
        Value::Array(self.operations.clone()).to_string()
    }
}

/// One try at the provider: the outcome to log, what it says about the account's token and
/// provider, and about the provider's load.
struct Attempt {
    outcome: Outcome,
    seen: Option<ProviderSeen>,
    signal: Signal,
}

/// A batch in flight: its ids and how far it has come (for its progress and pause events),
/// and its accounts' apps.
struct Batch {
    batch_id: u64,
    draft_id: Option<u64>,
    total: usize,
    done: Arc<AtomicUsize>,
    apps: BatchApps,
}

/// The apps of a batch's accounts, each read from the registry once per batch (a batch is one
/// confirmed send; its accounts mostly share one app).
#[derive(Default)]
struct BatchApps(Mutex<HashMap<AppId, App>>);

impl BatchApps {
    /// App `id`, read the first time the batch needs it.
    fn get(&self, registry: &Registry, id: AppId) -> Result<App> {
        let mut apps = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(app) = apps.get(&id) {
            return Ok(app.clone());
        }
        let app = registry.app(id)?;
        apps.insert(id, app.clone());
        Ok(app)
    }
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

/// Who an account's log entries are from.
pub fn sender_of(account: &Account, app: &App) -> Sender {
    Sender {
        account_id: Some(account.id),
        username: account.username.clone(),
        app_client_id: app.client_id.clone(),
        provider: app.provider.base_url().to_owned(),
    }
}

/// Refuses operations that name any other account than `signer`.
pub fn check_signer(signer: &str, operations: &[Value]) -> Result<()> {
    match signers::first_other_signer(signer, operations) {
        None => Ok(()),
        Some(named) => Err(Error::SignerMismatch {
            signer: signer.to_owned(),
            named,
        }),
    }
}

/// Broadcasting: a fresh token from [`Tokens`], the provider call, the activity record, the
/// chain check before a resend, and progress events.
pub struct Broadcaster {
    shared: Shared,
    tokens: Arc<Tokens>,
    /// The read-only API node clients, Hive's then Steem's.
    nodes: [ChainClient; 2],
    /// The activity entries of broadcasts, committed in groups.
    activity: GroupCommit<ActivityEntry, ActivityId>,
}

impl Broadcaster {
    /// The broadcaster over `shared`, taking tokens from `tokens` and asking `nodes` (Hive's,
    /// then Steem's) before a resend.
    pub fn new(shared: Shared, tokens: Arc<Tokens>, nodes: [ChainClient; 2]) -> Self {
        Self {
            shared,
            tokens,
            nodes,
            activity: GroupCommit::default(),
        }
    }

    /// The read-only API node client of `chain`.
    /// The nodes of `chain`: a provider without one signs nothing, and its entries are read
    /// on Hive's (none are ever written).
    fn chain_nodes(&self, chain: Option<Chain>) -> &ChainClient {
        match chain {
            Some(Chain::Steem) => &self.nodes[1],
            Some(Chain::Hive) | None => &self.nodes[0],
        }
    }

    /// The log entries matching `filter`, newest first.
    pub fn list_activity(&self, filter: &ActivityFilter) -> Result<Vec<ActivityEntry>> {
        self.shared.registry.activity(filter)
    }

    /// Broadcasts `outgoing` from account `id` and records the attempt. The returned entry's
    /// outcome says whether it was sent; it is an earlier entry, now marked as found on chain,
    /// when the chain shows that an attempt whose answer was lost already sent the same
    /// operations. `Err` when nothing went out: the operations name another account, the
    /// chain could not be asked, or the account or the log is missing.
    pub async fn send(&self, id: AccountId, outgoing: Outgoing) -> Result<ActivityEntry> {
        let pacer = Pacer::new(Limiter::default());
        let permit = pacer.start().await;
        self.send_paced(id, outgoing, &pacer, permit, None).await
    }

    /// [`Self::send`] in a batch paced by `pacer`, holding `permit` (its slot for the first
    /// attempt); a 429 pauses the batch and the broadcast is tried again when the pause is
    /// over (at most [`pacing::RATE_LIMITED_ATTEMPTS`] times), and each pause it starts is
    /// reported to `batch`.
    async fn send_paced(
        &self,
        id: AccountId,
        outgoing: Outgoing,
        pacer: &Arc<Pacer>,
        mut permit: Permit,
        batch: Option<&Batch>,
    ) -> Result<ActivityEntry> {
        let registry = &self.shared.registry;
        let account = registry.account(id)?;
        let app = match batch {
            Some(batch) => batch.apps.get(registry, account.app_id)?,
            None => registry.app(account.app_id)?,
        };
        check_signer(&account.username, &outgoing.operations)?;
        let sender = sender_of(&account, &app);
        let operations = outgoing.operations_text();
        if let Some(earlier) = self.shared.registry.open_unknown(&sender, &operations)? {
            if let Some(found) = self.settle(&earlier, &app).await? {
                return Ok(found);
            }
        }
        let mut attempts = 1;
        let Attempt { outcome, seen, .. } = loop {
            let attempt = self
                .broadcast_as(id, &app, &account.username, &outgoing)
                .await;
            let pause = permit.finish(attempt.signal);
            if !matches!(attempt.signal, Signal::RateLimited(_))
                || attempts >= pacing::RATE_LIMITED_ATTEMPTS
            {
                break attempt;
            }
            if let Some(pause) = pause {
                self.report_pause(id, &pause, batch);
            }
            attempts += 1;
            permit = pacer.start().await;
        };
        if let Some(seen) = seen {
            self.tokens.record_provider_answer(&account, seen).await;
        }
        let mut entry = ActivityEntry {
            id: ActivityId(0),
            at: self.shared.clock.now(),
            sender,
            kind: outgoing.kind,
            summary: outgoing.summary,
            operations,
            outcome,
            resolved_by: None,
        };
        // Entries of a batch finishing together share a transaction; each is committed
        // before its result is reported.
        let registry = &self.shared.registry;
        entry.id = self
            .activity
            .commit(entry.clone(), |entries| registry.record_activities(entries))
            .await?;
        self.shared.emit(AppEvent::ActivityChanged);
        let status = entry.outcome.status();
        match &entry.outcome {
            Outcome::Sent { .. } => {
                tracing::info!(account = id.0, kind = %entry.kind, "broadcast sent")
            }
            Outcome::Failed { code, .. } | Outcome::Unknown { code, .. } => {
                tracing::warn!(account = id.0, kind = %entry.kind, code, status, "broadcast not confirmed")
            }
            Outcome::OnChain { .. } => {}
        }
        Ok(entry)
    }

    /// Asks the chain whether `earlier` (an entry whose answer was lost) went through. Marks it
    /// and returns it when it did; `None` when it did not (or this kind cannot be checked, which
    /// the review told the person); an error when it is too soon to tell or no node answered.
    pub async fn settle(
        &self,
        earlier: &ActivityEntry,
        app: &App,
    ) -> Result<Option<ActivityEntry>> {
        let age = self.shared.clock.now() - earlier.at;
        if age < SETTLE_SECONDS {
            return Err(Error::TooSoonToTell {
                age: age.max(0),
                settle: SETTLE_SECONDS,
            });
        }
        let operations: Vec<Value> = serde_json::from_str(&earlier.operations)
            .map_err(|err| Error::Internal(format!("a logged entry is not JSON: {err}")))?;
        match self
            .chain_nodes(app.provider.chain())
            .find_on_chain(&operations)
            .await?
        {
            OnChain::Found { evidence } => {
                tracing::info!(activity = earlier.id.0, "an unknown broadcast is on chain");
                let marked = self.shared.registry.mark_on_chain(earlier.id, &evidence)?;
                self.shared.emit(AppEvent::ActivityChanged);
                Ok(Some(marked))
            }
            OnChain::Missing { .. } | OnChain::Uncheckable { .. } => Ok(None),
        }
    }

    /// Broadcasts each account's operations, as many at a time as the provider keeps up with
    /// (`pacing`: from [`pacing::INITIAL_LIMIT`], up to [`pacing::MAX_LIMIT`], halved on a
    /// 429, a 5xx or a lost answer); one account's failure does not stop the others. A 429
    /// pauses new starts for its `Retry-After` (at most [`pacing::MAX_PAUSE`]), reported as
    /// a [`BatchPause`] event. Reports each finished account as a
    /// [`BatchProgress`] event, and returns the results in the order of `items`.
    pub async fn send_batch(
        self: &Arc<Self>,
        items: Vec<(AccountId, Outgoing)>,
    ) -> Vec<SendResult> {
        self.send_batch_for(None, items).await
    }

    /// [`Self::send_batch`] of the draft `draft_id`: its progress events name the draft, so the
    /// review that confirmed it shows its own progress only.
    pub async fn send_batch_for(
        self: &Arc<Self>,
        draft_id: Option<u64>,
        items: Vec<(AccountId, Outgoing)>,
    ) -> Vec<SendResult> {
        let batch_id = NEXT_BATCH.fetch_add(1, Ordering::Relaxed);
        let total = items.len();
        let pacer = Pacer::new(Limiter::default());
        let batch = Arc::new(Batch {
            batch_id,
            draft_id,
            total,
            done: Arc::new(AtomicUsize::new(0)),
            apps: BatchApps::default(),
        });
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (id, outgoing)) in items.into_iter().enumerate() {
            // Items start in order, each once the pacer has room for it.
            let permit = pacer.start().await;
            let (core, pacer, batch) = (self.clone(), pacer.clone(), batch.clone());
            tasks.spawn(async move {
                let sent = core
                    .send_paced(id, outgoing, &pacer, permit, Some(&batch))
                    .await;
                let (entry, error) = match sent {
                    Ok(entry) => (Some(entry), None),
                    Err(err) => (None, Some(err)),
                };
                let result = SendResult {
                    account_id: id,
                    entry,
                    error,
                };
                core.shared.emit(AppEvent::Batch(Box::new(BatchProgress {
                    batch_id,
                    draft_id,
                    done: batch.done.fetch_add(1, Ordering::SeqCst) + 1,
                    total,
                    result: result.clone(),
                })));
                (index, result)
            });
        }
        let mut results: Vec<Option<SendResult>> = (0..total).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, result)) => results[index] = Some(result),
                Err(err) => tracing::error!("a broadcast task stopped: {err}"),
            }
        }
        tracing::debug!(
            batch = batch_id,
            total,
            peak = pacer.peak(),
            limit = pacer.limit(),
            "batch over"
        );
        results.into_iter().flatten().collect()
    }

    /// Logs a pause a 429 started and tells the window, when in a batch.
    fn report_pause(&self, id: AccountId, pause: &Pause, batch: Option<&Batch>) {
        let seconds = pause.wait.as_secs_f64().ceil() as u64;
        tracing::warn!(
            account = id.0,
            seconds,
            capped = pause.capped,
            "the provider limits the rate: pausing the batch"
        );
        let Some(batch) = batch else {
            return;
        };
        self.shared.emit(AppEvent::BatchPaused(BatchPause {
            batch_id: batch.batch_id,
            draft_id: batch.draft_id,
            done: batch.done.load(Ordering::SeqCst),
            total: batch.total,
            seconds,
            asked_seconds: pause.asked.map(|asked| asked.as_secs()),
            capped: pause.capped,
        }));
    }

    /// The outcome of one broadcast: sent, refused, or unknown when the request went out and
    /// its answer was lost or unreadable; what it says about the account's token and provider
    /// (`None` when the provider was not asked, or its answer says nothing of them); and what
    /// it says about the provider's load.
    async fn broadcast_as(
        &self,
        id: AccountId,
        app: &App,
        username: &str,
        outgoing: &Outgoing,
    ) -> Attempt {
        let token = match self.tokens.access_token_of(id, app).await {
            Ok(token) => token,
            Err(err) => return attempt(failed(err, String::new()), None, Signal::Neutral),
        };

        let unreachable = |reason: &str| {
            Some(ProviderSeen::Unreachable(Error::ProviderUnreachable {
                provider: app.provider.host(),
                reason: reason.to_owned(),
            }))
        };
        let answer = match self
            .shared
            .provider_calls
            .broadcast(&app.provider, &token, &outgoing.operations)
            .await
        {
            Ok(answer) => answer,
            Err(CallError::AnswerLost(reason)) => {
                let outcome = maybe_sent(app, &reason, String::new());
                return attempt(outcome, unreachable(&reason), Signal::Overloaded);
            }
            Err(err) => {
                let (outcome, seen) = refused(err, app, username);
                return attempt(outcome, seen, Signal::Neutral);
            }
        };
        let status = answer.status;
        let retry_after = pacing::retry_after(&answer.headers, self.shared.clock.now());
        let signal = |from_chain| pacing::signal_for(status.as_u16(), retry_after, from_chain);
        match token::decode::<BroadcastAnswer>(answer) {
            Ok(answer) => attempt(
                Outcome::Sent {
                    transaction_id: answer
                        .result
                        .id
                        .unwrap_or_else(|| "(no transaction id reported)".to_owned()),
                },
                Some(ProviderSeen::Accepted),
                signal(false),
            ),
            // A success whose body cannot be read: it was most likely broadcast.
            Err(CallError::BadResponse(reason)) if status.is_success() => attempt(
                maybe_sent(app, &reason, reason.clone()),
                None,
                signal(false),
            ),
            Err(err) => {
                let signal = signal(from_the_chain(&err));
                let (outcome, seen) = refused(err, app, username);
                // A 429 was refused before anything was done: it says nothing of the token.
                let seen = seen.filter(|_| status != reqwest::StatusCode::TOO_MANY_REQUESTS);
                attempt(outcome, seen, signal)
            }
        }
    }
}

fn attempt(outcome: Outcome, seen: Option<ProviderSeen>, signal: Signal) -> Attempt {
    Attempt {
        outcome,
        seen,
        signal,
    }
}

/// A broadcast the provider did not take (or could not be reached for), and what that says
/// about the token: refused tokens need a sign-in; any other answer means the token works.
fn refused(err: CallError, app: &App, username: &str) -> (Outcome, Option<ProviderSeen>) {
    let raw = raw_of(&err);
    let error = broadcast_error(err, app, username);
    let seen = match &error {
        Error::NeedsSignIn { .. } => ProviderSeen::TokenRefused(error.clone()),
        Error::ProviderUnreachable { .. } => ProviderSeen::Unreachable(error.clone()),
        Error::ProviderBadResponse { .. } => return (failed(error, raw), None),
        _ => ProviderSeen::Accepted,
    };
    (failed(error, raw), Some(seen))
}

fn failed(err: Error, raw: String) -> Outcome {
    Outcome::Failed {
        code: err.code().to_owned(),
        message: err.message(),
        raw,
    }
}

fn maybe_sent(app: &App, reason: &str, raw: String) -> Outcome {
    let err = Error::MaybeSent {
        provider: app.provider.host(),
        reason: reason.to_owned(),
    };
    Outcome::Unknown {
        code: err.code().to_owned(),
        message: err.message(),
        raw,
    }
}

/// The provider's own words for the log.
fn raw_of(err: &CallError) -> String {
    match err {
        CallError::Refused { raw, .. } => raw.clone(),
        CallError::Unreachable(reason)
        | CallError::AnswerLost(reason)
        | CallError::BadResponse(reason) => reason.clone(),
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
        // The chain's refusals carry its raw RPC error under `response` (the protocol page);
        // a 500 without one is the provider's own failure, not the chain's.
        ("server_error", 500) if from_the_chain(&err) => Error::ChainRefused {
            advice: chain_advice(description).to_owned(),
            description: redact(description.trim_end_matches(['.', ' '])).into_owned(),
        },
        (_, 500..) => Error::ProviderFailed {
            provider: app.provider.host(),
            description: description.clone(),
        },
        _ => err.into_error(&app.provider, &app.client_id),
    }
}

/// Whether a refusal came from the chain: its answer holds the chain's `response`.
fn from_the_chain(err: &CallError) -> bool {
    let CallError::Refused { raw, .. } = err else {
        return false;
    };
    serde_json::from_str::<Value>(raw).is_ok_and(|answer| answer.get("response").is_some())
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
    use crate::apps::{Access, AppScopes, RedirectMode, Scopes};
    use crate::provider::{Preset, Provider};

    fn app() -> App {
        App {
            id: crate::apps::AppId(1),
            provider: Provider::new(Preset::Hivesigner, None).unwrap(),
            client_id: "myapp".into(),
            scopes: AppScopes::Signer(Scopes {
                access: Access::Posting,
                offline: true,
            }),
            redirect: RedirectMode::Loopback,
            secret_set: true,
            sandbox: false,
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

    /// A refusal by the chain, with its raw RPC error under `response`.
    fn chain(status: u16, description: &str) -> CallError {
        CallError::Refused {
            status,
            error: "server_error".into(),
            description: description.into(),
            raw: serde_json::json!({"error": "server_error", "error_description": description,
                "response": {"name": "RPCError", "message": description}})
            .to_string(),
        }
    }

    #[test]
    fn every_documented_broadcast_error_gets_its_own_words() {
        let cases = [
            (refused(401, "invalid_scope", "The access_token scope does not allow the following operation(s): transfer"), "not_permitted"),
            (refused(401, "unauthorized_client", "This access_token allow you to broadcast transaction only for the account @alice"), "wrong_account"),
            (refused(401, "unauthorized_client", "The app @myapp doesn't have permission to broadcast for @alice"), "authority_missing"),
            (refused(401, "unauthorized_client", "Broadcaster account doesn't have permission to broadcast for @myapp"), "hivesigner_not_granted"),
            (chain(500, "Voting weight is too small, please accumulate more voting power or steem power."), "chain_refused"),
            (refused(500, "server_error", "Internal Server Error"), "provider_failed"),
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
        let error = broadcast_error(chain(500, "Voting weight is too small."), &app(), "alice");
        assert!(error
            .message()
            .contains("The chain refused the transaction: Voting weight is too small."));
        assert!(
            !error.message().contains(".."),
            "one full stop: {}",
            error.message()
        );
    }
}
