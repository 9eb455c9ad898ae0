//! Accounts: who authorized which app, what the provider says they may do, and how their
//! tokens are doing. (The tokens themselves live in the vault, never here.)

use serde::{Deserialize, Serialize};

use crate::apps::{App, AppId, Flow};
use crate::clock::UnixSeconds;

/// An account's id in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

/// How an account's tokens are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// A valid access token is at hand.
    Fresh,
    /// A refresh is in flight.
    Refreshing,
    /// The provider refused the grant, or the token ran out without a refresh token.
    NeedsSignIn,
    /// The last call could not reach the provider (or its answer was lost).
    ProviderUnreachable,
    /// The provider answered the last refresh, but with an error of its own (rate limit, a
    /// page instead of JSON, an unreadable answer): not a refused grant.
    ProviderError,
}

impl Health {
    /// The stable name stored in the registry.
    pub fn id(self) -> &'static str {
        match self {
            Health::Fresh => "fresh",
            Health::Refreshing => "refreshing",
            Health::NeedsSignIn => "needs_sign_in",
            Health::ProviderUnreachable => "provider_unreachable",
            Health::ProviderError => "provider_error",
        }
    }

    /// The health named `id`.
    pub fn from_id(id: &str) -> Option<Health> {
        [
            Health::Fresh,
            Health::Refreshing,
            Health::NeedsSignIn,
            Health::ProviderUnreachable,
            Health::ProviderError,
        ]
        .into_iter()
        .find(|health| health.id() == id)
    }
}

/// An account as the registry keeps it (and, with its app's names, as the window sees it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// The app it authorized.
    pub app_id: AppId,
    /// The account name on chain.
    pub username: String,
    /// What the token may do, as `/api/me` reported it.
    pub scopes: Vec<String>,
    /// Code (refreshable) or implicit.
    pub flow: Flow,
    /// When the current access token was obtained.
    pub issued_at: UnixSeconds,
    /// When it stops being used; `None` when the provider gave no expiry (the token is used
    /// until the provider refuses it).
    pub expires_at: Option<UnixSeconds>,
    /// How its tokens are doing.
    pub health: Health,
    /// What went wrong last, in plain words (for needs sign-in / unreachable).
    pub health_detail: Option<String>,
    /// When it was first added.
    pub added_at: UnixSeconds,
}

/// What a completed sign-in records.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The app.
    pub app_id: AppId,
    /// The account name.
    pub username: String,
    /// Scopes from `/api/me`.
    pub scopes: Vec<String>,
    /// The flow used.
    pub flow: Flow,
    /// When the token was obtained.
    pub issued_at: UnixSeconds,
    /// When it stops being used; `None` for "no expiry given".
    pub expires_at: Option<UnixSeconds>,
}

/// An account, for the window: the registry's account plus its app's names, as one flat object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account (id, name, scopes, flow, expiry, health).
    #[serde(flatten)]
    pub account: Account,
    /// The app's account name.
    pub app_client_id: String,
    /// The provider, in words.
    pub provider_label: &'static str,
    /// The provider's kind: `hivesigner`, `steemconnect`, `oauth2` or `token_site`.
    pub provider_kind: &'static str,
    /// Whether the account can vote and post (a Hivesigner or SteemLogin account).
    pub broadcasts: bool,
    /// Whether it belongs to an app of the in-app sandbox (gone when the person leaves it).
    pub sandbox: bool,
}

impl AccountView {
    /// `account` with the names of its `app`.
    pub fn new(account: Account, app: &App) -> Self {
        Self {
            account,
            app_client_id: app.client_id.clone(),
            provider_label: app.provider.preset().label(),
            provider_kind: app.provider.protocol().id(),
            broadcasts: app.provider.protocol().broadcasts(),
            sandbox: app.sandbox,
        }
    }
}
