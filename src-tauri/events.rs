//! The events Authdeck pushes to the window: names, payloads, and the sink the core emits
//! through (the Tauri layer forwards them; tests record them). Payloads never carry a token.

use std::sync::Mutex;

use serde::Serialize;

use crate::accounts::AccountId;
use crate::error::Error;
use crate::oauth::authorize::AttemptId;

/// New notices wait in the queue; the window calls `take_notices` to read them (no payload).
pub const NOTICES_CHANGED: &str = "authdeck:notices-changed";
/// Apps or accounts changed (added, removed, health, expiry); the window reloads its lists.
pub const ACCOUNTS_CHANGED: &str = "authdeck:accounts-changed";
/// A sign-in moved on; the payload is a [`SignInProgress`].
pub const SIGN_IN_PROGRESS: &str = "authdeck:sign-in";
/// One account of a batch broadcast finished; the payload is a [`BatchProgress`].
pub const BATCH_PROGRESS: &str = "authdeck:batch";
/// A batch broadcast pauses: the provider answered 429 and asked to wait; the payload is a
/// [`BatchPause`].
pub const BATCH_PAUSED: &str = "authdeck:batch-paused";
/// The activity log has a new entry (no payload).
pub const ACTIVITY_CHANGED: &str = "authdeck:activity-changed";
/// The person clicked a notification about an account: the window shows that account (the
/// accounts view, its row selected and scrolled into view); the payload is a [`ShowAccount`].
pub const SHOW_ACCOUNT: &str = "authdeck:show-account";
/// A script asks for a token of an app that wants a confirmation each time: the window asks
/// the person; the payload is a [`crate::scripts::ScriptRequest`].
pub const SCRIPT_REQUEST: &str = "authdeck:script-request";
/// A script's request is over (answered, or timed out): the window stops asking; the payload
/// is its request id.
pub const SCRIPT_REQUEST_ENDED: &str = "authdeck:script-request-ended";

/// Which account the window should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowAccount {
    /// The account.
    pub account_id: AccountId,
}

/// How far a batch broadcast (a vote from several accounts) has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchProgress {
    /// Which batch.
    pub batch_id: u64,
    /// The draft it sends, if any (the review that confirmed it listens for this id).
    pub draft_id: Option<u64>,
    /// Accounts finished so far, this one included.
    pub done: usize,
    /// Accounts in the batch.
    pub total: usize,
    /// The result of the account that just finished (its log entry, or why nothing went out).
    pub result: crate::activity::SendResult,
}

/// A batch broadcast waits before it starts more: the provider limits the rate (HTTP 429).
/// The accounts it refused are tried again when the pause is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchPause {
    /// Which batch.
    pub batch_id: u64,
    /// The draft it sends, if any.
    pub draft_id: Option<u64>,
    /// Accounts finished so far.
    pub done: usize,
    /// Accounts in the batch.
    pub total: usize,
    /// How long the batch waits, in seconds.
    pub seconds: u64,
    /// What the provider's `Retry-After` asked for, in seconds (`None`: it named no usable
    /// wait, and a short default pause is taken).
    pub asked_seconds: Option<u64>,
    /// The provider asked for longer than Authdeck waits at once (60 s): the wait is capped.
    pub capped: bool,
}

/// Where a sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInStage {
    /// Waiting for the browser's redirect.
    Waiting,
    /// The redirect arrived; exchanging and checking.
    Exchanging,
    /// Done: the account is stored.
    Completed,
    /// Ended with an error.
    Failed,
}

/// A sign-in's progress, for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInProgress {
    /// Which attempt.
    pub attempt_id: AttemptId,
    /// Where it stands.
    pub stage: SignInStage,
    /// The account added (completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    /// What went wrong (failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// Something the window should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    /// See [`ACCOUNTS_CHANGED`].
    AccountsChanged,
    /// See [`SIGN_IN_PROGRESS`].
    SignIn(SignInProgress),
    /// See [`BATCH_PROGRESS`].
    Batch(Box<BatchProgress>),
    /// See [`BATCH_PAUSED`].
    BatchPaused(BatchPause),
    /// See [`ACTIVITY_CHANGED`].
    ActivityChanged,
}

impl AppEvent {
    /// The event's name on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            AppEvent::AccountsChanged => ACCOUNTS_CHANGED,
            AppEvent::SignIn(_) => SIGN_IN_PROGRESS,
            AppEvent::Batch(_) => BATCH_PROGRESS,
            AppEvent::BatchPaused(_) => BATCH_PAUSED,
            AppEvent::ActivityChanged => ACTIVITY_CHANGED,
        }
    }
}

/// Where the core sends its events.
pub trait EventSink: Send + Sync {
    /// Sends `event` (best effort: a closed window is not an error).
    fn emit(&self, event: AppEvent);
}

/// Keeps every event, for tests.
#[derive(Debug, Default)]
pub struct RecordedEvents(Mutex<Vec<AppEvent>>);

impl RecordedEvents {
    /// The events so far, oldest first.
    pub fn all(&self) -> Vec<AppEvent> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl EventSink for RecordedEvents {
    fn emit(&self, event: AppEvent) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}
