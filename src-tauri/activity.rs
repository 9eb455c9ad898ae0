//! The activity log: every broadcast Authdeck attempted, sent or refused, kept in the registry
//! for review (what, when, from which account, and the transaction id or the provider's words).

use serde::Serialize;

use crate::accounts::AccountId;
use crate::clock::UnixSeconds;

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
    /// It was not broadcast (or the answer never came).
    #[serde(rename_all = "camelCase")]
    Failed {
        /// Authdeck's error code (`chain_refused`, `needs_sign_in`, ...).
        code: String,
        /// What happened and what to do, in plain words.
        message: String,
        /// The provider's own text, kept for review (redacted).
        raw: String,
    },
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// Its id.
    pub id: ActivityId,
    /// When it was attempted.
    pub at: UnixSeconds,
    /// The account (it may have been removed since).
    pub account_id: Option<AccountId>,
    /// The account's name.
    pub username: String,
    /// The app it broadcast through.
    pub app_client_id: String,
    /// The operation names, `+`-joined (`vote`, `comment+comment_options`).
    pub kind: String,
    /// One line a person reads.
    pub summary: String,
    /// The operations as sent (legacy JSON array).
    pub operations: String,
    /// Sent or failed.
    pub outcome: Outcome,
}

/// Which entries to list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityFilter {
    /// Only failures.
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

impl crate::service::Authdeck {
    /// The log entries matching `filter`, newest first.
    pub fn list_activity(
        &self,
        filter: &ActivityFilter,
    ) -> crate::error::Result<Vec<ActivityEntry>> {
        self.registry.activity(filter)
    }
}
