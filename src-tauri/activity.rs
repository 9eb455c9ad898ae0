//! The activity log: every broadcast Authdeck attempted, sent, refused or with its answer lost,
//! kept in the registry for review (what, when, from which account, app and provider, and the
//! transaction id, the chain's evidence or the provider's words), and which later entry
//! resolved a failure.

use serde::Serialize;

use crate::accounts::AccountId;
use crate::clock::UnixSeconds;

/// The kind of an API console request's entry (the others are operation names).
pub const API_REQUEST_KIND: &str = "api_request";

/// The kind of the entry of a token handed to a script (`authdeck token`); its `operations`
/// say who asked, never the token.
pub const SCRIPT_TOKEN_KIND: &str = "script_token";

/// An entry's id.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ActivityId(pub i64);

/// How a broadcast ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Outcome {
    /// The provider broadcast it.
    #[serde(rename_all = "camelCase")]
    Sent {
        /// The transaction id the provider reported.
        transaction_id: String,
    },
    /// Its answer was lost, and the chain showed later that it went through.
    #[serde(rename_all = "camelCase")]
    OnChain {
        /// What the chain showed, and which node said so.
        evidence: String,
    },
    /// It was not broadcast: the provider (or Authdeck before sending) refused it.
    #[serde(rename_all = "camelCase")]
    Failed {
        /// Authdeck's error code (`chain_refused`, `needs_sign_in`, ...).
        code: String,
        /// What happened and what to do, in plain words.
        message: String,
        /// The provider's own text, kept for review (redacted).
        raw: String,
    },
    /// Its answer was lost (timeout, dropped connection, unreadable answer): it may have been
    /// sent. Authdeck checks the chain before any resend.
    #[serde(rename_all = "camelCase")]
    Unknown {
        /// Authdeck's error code (`may_have_been_sent`).
        code: String,
        /// What happened and what to do, in plain words.
        message: String,
        /// What was received, if anything (redacted).
        raw: String,
    },
}

impl Outcome {
    /// The stable name stored in the registry (and the `status` the window sees).
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "sent",
            Outcome::OnChain { .. } => "onChain",
            Outcome::Failed { .. } => "failed",
            Outcome::Unknown { .. } => "unknown",
        }
    }

    /// Whether it reached the chain (sent, or found there later).
    pub fn reached_chain(&self) -> bool {
        matches!(self, Outcome::Sent { .. } | Outcome::OnChain { .. })
    }
}

/// Who sent an entry: the account, its app and its provider, kept as names so that an entry
/// keeps saying who it was from after the account is gone (account ids are never reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    /// The account (it may have been removed since).
    pub account_id: Option<AccountId>,
    /// The account's name.
    pub username: String,
    /// The app it broadcast through.
    pub app_client_id: String,
    /// The provider's base URL (empty for entries logged before it was kept).
    pub provider: String,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// Its id.
    pub id: ActivityId,
    /// When it was attempted.
    pub at: UnixSeconds,
    /// Who sent it.
    #[serde(flatten)]
    pub sender: Sender,
    /// The operation names, `+`-joined (`vote`, `comment+comment_options`).
    pub kind: String,
    /// One line a person reads.
    pub summary: String,
    /// The operations as sent (legacy JSON array).
    pub operations: String,
    /// Sent, found on chain, failed, or unknown.
    pub outcome: Outcome,
    /// For a failed or unknown entry: the later entry that sent the same operations.
    pub resolved_by: Option<ActivityId>,
}

/// One account's result in a batch: its log entry, or why nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// The account.
    pub account_id: AccountId,
    /// The log entry (sent, failed, unknown, or an earlier one found on chain).
    pub entry: Option<ActivityEntry>,
    /// Why nothing went out (refused before sending).
    pub error: Option<crate::error::Error>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityFilter {
    /// Only failures (and unknown outcomes) not resolved since.
    pub errors_only: bool,
    /// Only this account name.
    pub username: Option<String>,
    /// Only entries whose kind contains this operation name.
    pub kind: Option<String>,
    /// At most this many, newest first (0: the default of 500).
    pub limit: usize,
}

impl ActivityFilter {
    /// The default and largest page size.
    pub const DEFAULT_LIMIT: usize = 500;

    /// The number of entries to return.
    pub fn effective_limit(&self) -> usize {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            limit => limit.min(Self::DEFAULT_LIMIT),
        }
    }
}
