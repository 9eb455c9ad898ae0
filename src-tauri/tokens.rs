//! [`Tokens`]: "a valid access token for account X", the ONLY reader of account tokens.
//!
//! It refreshes a token that is within its margin of expiry, once per account however many
//! callers ask at the same moment (each account has one async lock; whoever holds it refreshes,
//! the others then find the fresh token; across processes, such as `authdeck token` with no app
//! running, a lock file per account does the same, see [`crate::locks`]), writes the new
//! tokens to the keyring before anyone uses them, and moves the account's health: refreshing,
//! fresh, needs sign-in (the provider refused the grant, or an implicit sign-in ran out),
//! provider unreachable (no answer), provider error (it answered, but not with tokens). The
//! background refresher runs the same path for accounts nearing expiry.
//!
//! A failed refresh is shared: the callers waiting behind it get its failure instead of each
//! asking again, and for a while after it (a back-off that doubles, from
//! [`FIRST_BACKOFF_SECONDS`] to [`MAX_BACKOFF_SECONDS`]) a still-valid token is handed out at
//! once without another try. A refused grant stays refused until the account signs in again.
//! Broadcast answers feed health too ([`ProviderSeen`]), and accounts whose provider was
//! unreachable are checked again by themselves ([`Tokens::recheck_unreachable`]).
//!
//! At scale (hundreds of accounts due at once) a refresh costs what it must and no more: a
//! token served from the slot reads one registry row; a refresh reads the registry's account
//! and app once each, the keyring once (under the lock, and not at all when the registry shows
//! no other process refreshed since), shares the app's client secret with the other refreshes
//! of that app in flight, and writes the registry once (the new times, committed together
//! with the other refreshes finishing meanwhile; "refreshing" too when the provider takes
//! longer than [`SHOW_REFRESHING_AFTER`]). The background refresher runs its refreshes
//! `refresh_concurrency` at a time, the apps' accounts taken in turn.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Mutex as AsyncMutex, OnceCell};
use tokio::task::JoinSet;

use crate::accounts::{Account, AccountId, Health, NewAccount};
use crate::apps::{App, AppId, Flow};
use crate::clock::UnixSeconds;
use crate::error::{Error, Result};
use crate::events::AppEvent;
use crate::group_commit::GroupCommit;
use crate::locks::{self, RefreshLocks};
use crate::oauth::token::{CallError, TokenGrant};
use crate::provider::Protocol;
use crate::registry::Registry;
use crate::shared::Shared;
use crate::vault::{self, AccountSecrets};

/// The first wait after a failed refresh or an unreachable provider; doubled after each
/// further failure.
pub const FIRST_BACKOFF_SECONDS: i64 = 30;
/// The longest wait between two tries.
pub const MAX_BACKOFF_SECONDS: i64 = 15 * 60;

/// How long a refresh runs before its account shows as refreshing: a quicker one goes
/// straight to its outcome, without a flash of "refreshing" and its registry write.
pub const SHOW_REFRESHING_AFTER: std::time::Duration = std::time::Duration::from_millis(200);

/// What a slot keeps: the tokens as last read, and the last failure while it counts.
#[derive(Default)]
struct SlotState {
    secrets: Option<AccountSecrets>,
    failure: Option<Failure>,
}

/// A failed refresh (or an unreachable provider), shared until `retry_at`.
#[derive(Clone)]
struct Failure {
    error: Error,
    retry_at: UnixSeconds,
    streak: u32,
    /// A refresh failed (not a broadcast): only a refresh clears it.
    of_refresh: bool,
}

impl Failure {
    /// The failure after `previous` (if any) at `now`: a refused grant waits for a sign-in,
    /// anything else backs off.
    fn after(
        previous: Option<&Failure>,
        error: Error,
        now: UnixSeconds,
        of_refresh: bool,
    ) -> Failure {
        let streak = previous
            .map_or(0, |failure| failure.streak)
            .saturating_add(1);
        let wait = if health_after(&error) == Some(Health::NeedsSignIn) {
            i64::MAX
        } else {
            backoff(streak)
        };
        Failure {
            error,
            retry_at: now.saturating_add(wait),
            streak,
            of_refresh,
        }
    }
}

/// The wait after the `streak`-th failure in a row.
pub fn backoff(streak: u32) -> i64 {
    let doublings = streak.saturating_sub(1).min(16);
    FIRST_BACKOFF_SECONDS
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF_SECONDS)
}

/// The health a failed provider call leaves an account in (`None`: not the provider's doing,
/// health stays as it was).
fn health_after(err: &Error) -> Option<Health> {
    match err {
        Error::NeedsSignIn { .. }
        | Error::WrongClientSecret { .. }
        | Error::SecretMissing { .. }
        | Error::AccountMismatch { .. } => Some(Health::NeedsSignIn),
        Error::ProviderUnreachable { .. } => Some(Health::ProviderUnreachable),
        Error::KeyringUnavailable { .. }
        | Error::KeyringEntryDamaged { .. }
        | Error::Storage { .. } => None,
        _ => Some(Health::ProviderError),
    }
}

/// What a broadcast learned about an account's token and provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderSeen {
    /// The provider took the token (whatever the chain then said).
    Accepted,
    /// The provider no longer accepts the token.
    TokenRefused(Error),
    /// The provider could not be reached, or its answer was lost.
    Unreachable(Error),
}

type Slot = Arc<AsyncMutex<SlotState>>;

/// Per-account locks, each guarding the account's tokens as last read from the keyring.
#[derive(Default)]
struct Sessions {
    slots: Mutex<HashMap<AccountId, Slot>>,
}

/// An app's client secret as one burst of refreshes reads it: once, by the first refresh that
/// needs it (`None`: the app sends none).
type SharedSecret = OnceCell<Option<SecretString>>;

/// The client secrets of the refreshes in flight: the first refresh of an app reads it from
/// the keyring, every refresh of that app that starts while one still holds it uses the same,
/// and once none does it is read again (so a secret changed meanwhile counts from the next
/// burst on; a refusal of a shared secret is checked against the keyring, see
/// `Tokens::refresh_with_retries`). Nothing is kept once the burst is over.
#[derive(Default)]
struct SecretsInFlight {
    apps: Mutex<HashMap<AppId, Weak<SharedSecret>>>,
}

impl SecretsInFlight {
    /// The secret shared by the refreshes of `app` in flight (a new, unread one when none is).
    fn share(&self, app: AppId) -> Arc<SharedSecret> {
        let mut apps = self.apps.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = apps.get(&app).and_then(Weak::upgrade) {
            return live;
        }
        apps.retain(|_, secret| secret.strong_count() > 0);
        let secret = Arc::new(SharedSecret::new());
        apps.insert(app, Arc::downgrade(&secret));
        secret
    }
}

/// A finished refresh's registry record: the account and its new issue and expiry times.
type RefreshRecord = (AccountId, UnixSeconds, Option<UnixSeconds>);

/// The registry records of finished refreshes, committed together ([`GroupCommit`]): many
/// refreshes finishing at once share a few transactions.
#[derive(Default)]
struct RefreshRecords(GroupCommit<RefreshRecord, bool>);

impl RefreshRecords {
    /// Records a refresh of `id` (new times, healthy again) in `registry`, with whatever other
    /// records are waiting; returns once it is committed.
    async fn record(
        &self,
        registry: &Registry,
        id: AccountId,
        issued_at: UnixSeconds,
        expires_at: Option<UnixSeconds>,
    ) -> Result<()> {
        let found = self
            .0
            .commit((id, issued_at, expires_at), |records| {
                registry.record_refreshes(records)
            })
            .await?;
        if found {
            Ok(())
        } else {
            Err(Error::AccountNotFound)
        }
    }
}

/// Account tokens: per-account slots, single-flight refresh with shared failures, the
/// background refresher and the health checker. Nothing else reads account tokens.
pub struct Tokens {
    shared: Shared,
    sessions: Sessions,
    secrets_in_flight: SecretsInFlight,
    records: RefreshRecords,
    /// The refresh locks shared with other Authdeck processes (`authdeck token`), in the
    /// registry's folder; none for a registry in memory.
    locks: Option<RefreshLocks>,
}

impl Sessions {
    fn slot(&self, id: AccountId) -> Slot {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_default()
            .clone()
    }

    fn forget(&self, id: AccountId) {
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }
}

/// Whether a token issued at `issued_at` and expiring at `expires_at` should be refreshed now:
/// when at most `margin` seconds (and at most a quarter of its lifetime) are left. A token
/// with no expiry given is never due: it is used until the provider refuses it.
pub fn due_for_refresh(
    issued_at: UnixSeconds,
    expires_at: Option<UnixSeconds>,
    now: UnixSeconds,
    margin: i64,
) -> bool {
    let Some(expires_at) = expires_at else {
        return false;
    };
    let lifetime = (expires_at - issued_at).max(0);
    now >= expires_at - margin.min(lifetime / 4)
}

/// Whether a token expiring at `expires_at` has run out at `now` (never, without an expiry).
pub fn expired(expires_at: Option<UnixSeconds>, now: UnixSeconds) -> bool {
    expires_at.is_some_and(|at| now >= at)
}

/// Why an account cannot be refreshed when its token has run out, by kind.
fn ran_out_reason(app: &App) -> &'static str {
    match app.provider.protocol() {
        Protocol::Hivesigner | Protocol::SteemconnectV2 => {
            "its 7-day sign-in ran out and implicit sign-ins cannot be refreshed"
        }
        Protocol::OAuth2 => "its access token ran out and the server gave no refresh token",
        Protocol::TokenSite => "the site no longer accepts its token",
    }
}

/// The accounts of `by_app`, one of each app in turn: `(app, account)`.
fn in_turn(mut by_app: BTreeMap<AppId, VecDeque<AccountId>>) -> Vec<(AppId, AccountId)> {
    let mut order = Vec::with_capacity(by_app.values().map(VecDeque::len).sum());
    while !by_app.is_empty() {
        by_app.retain(|app, accounts| match accounts.pop_front() {
            Some(id) => {
                order.push((*app, id));
                true
            }
            None => false,
        });
    }
    order
}

/// Whether one of the refresher's refreshes succeeded (a refresh that panicked did not).
fn finished(done: Option<std::result::Result<bool, tokio::task::JoinError>>) -> bool {
    match done {
        Some(Ok(refreshed)) => refreshed,
        Some(Err(err)) => {
            tracing::warn!("a background refresh stopped: {err}");
            false
        }
        None => false,
    }
}

/// Whether two client secrets (or their absence) are the same.
fn same_secret(a: Option<&SecretString>, b: Option<&SecretString>) -> bool {
    a.map(ExposeSecret::expose_secret) == b.map(ExposeSecret::expose_secret)
}

impl Tokens {
    /// The token service over `shared`.
    pub fn new(shared: Shared) -> Self {
        let locks = shared
            .registry
            .dir()
            .map(|dir| RefreshLocks::new(dir.join(locks::LOCK_DIR)));
        Self {
            shared,
            sessions: Sessions::default(),
            secrets_in_flight: SecretsInFlight::default(),
            records: RefreshRecords::default(),
            locks,
        }
    }

    /// A valid access token for `id`, refreshed first if it is near expiry. Everything that
    /// needs a token calls this; nothing else reads tokens.
    pub async fn access_token(&self, id: AccountId) -> Result<SecretString> {
        self.token(id, false).await
    }

    /// [`Self::access_token`] of an account of `app`, which the caller has just read (a
    /// refresh then reads it no more).
    pub async fn access_token_of(&self, id: AccountId, app: &App) -> Result<SecretString> {
        self.token_with(id, false, Some(app)).await
    }

    /// Refreshes `id`'s token now (the window's "refresh now"), whatever its expiry.
    pub async fn refresh_now(&self, id: AccountId) -> Result<()> {
        let account = self.shared.registry.account(id)?;
        if account.flow == Flow::Implicit {
            let app = self.shared.registry.app(account.app_id)?;
            let reason = match app.provider.protocol() {
                Protocol::Hivesigner | Protocol::SteemconnectV2 => {
                    "this account signed in without refresh (implicit flow)"
                }
                Protocol::OAuth2 => "the server gave this account no refresh token",
                Protocol::TokenSite => "a token site's tokens are not refreshed",
            };
            return Err(Error::NeedsSignIn {
                reason: reason.into(),
            });
        }
        self.token(id, true).await.map(|_| ())
    }

    /// Keeps the tokens of a completed sign-in of `new` to `app`, then records the account
    /// with `record` (the registry row): the keyring first, so no account row ever points at
    /// missing tokens. An account already known waits for any refresh of it; for a new one whose
    /// row cannot be recorded, the tokens are deleted again. Returns the account's id.
    pub async fn keep_signed_in(
        &self,
        app: &App,
        new: &NewAccount,
        grant: TokenGrant,
        record: impl FnOnce() -> Result<AccountId>,
    ) -> Result<AccountId> {
        let key = vault::account_key(&app.provider, &app.client_id, &new.username);
        let secrets = AccountSecrets {
            access_token: grant.access_token,
            refresh_token: grant.refresh_token,
            issued_at: new.issued_at,
            expires_at: new.expires_at,
        };
        let registry = &self.shared.registry;
        let Some(id) = registry.find_account(app.id, &new.username)? else {
            self.shared.vault.store_account(&key, &secrets).await?;
            let recorded = record();
            if recorded.is_err() {
                let _ = self.shared.vault.delete(&key).await;
            }
            return recorded;
        };
        let slot = self.sessions.slot(id);
        let mut state = slot.lock().await;
        self.shared.vault.store_account(&key, &secrets).await?;
        *state = SlotState {
            secrets: Some(secrets),
            failure: None,
        };
        record()
    }

    /// Ends the custody of `account`'s tokens: waits for any refresh of it, asks the provider
    /// to revoke the stored access token (a best effort: a provider that is down does not keep
    /// the tokens here), deletes the keyring entry and forgets the slot. Returns whether the
    /// provider confirmed the revoke.
    pub async fn revoke_and_wipe(&self, account: &Account, app: &App) -> Result<bool> {
        let slot = self.sessions.slot(account.id);
        let _no_refresh_meanwhile = slot.lock().await;
        let key = vault::account_key(&app.provider, &app.client_id, &account.username);
        let secret = self.client_secret_if_needed(app).await.ok().flatten();
        let revoked = match self.shared.vault.account(&key).await? {
            Some(secrets) => self
                .shared
                .provider_calls
                .revoke_for(
                    app,
                    secret.as_ref(),
                    &secrets.access_token,
                    secrets.refresh_token.as_ref(),
                )
                .await
                .inspect_err(|err| tracing::warn!(account = account.id.0, "revoke failed: {err:?}"))
                .unwrap_or(false),
            None => false,
        };
        self.shared.vault.delete(&key).await?;
        self.sessions.forget(account.id);
        Ok(revoked)
    }

    async fn token(&self, id: AccountId, force: bool) -> Result<SecretString> {
        self.token_with(id, force, None).await
    }

    /// [`Self::token`]; `known_app`: the account's app as the caller already read it (the
    /// refresher's pass), else it is read when a refresh may come.
    async fn token_with(
        &self,
        id: AccountId,
        force: bool,
        known_app: Option<&App>,
    ) -> Result<SecretString> {
        let slot = self.sessions.slot(id);
        let mut state = slot.lock().await;
        let now = self.shared.clock.now();
        let margin = self.shared.settings.refresh_margin.as_secs() as i64;
        let due = |secrets: &AccountSecrets| {
            force || due_for_refresh(secrets.issued_at, secrets.expires_at, now, margin)
        };
        // A refresh may come next: it happens under the account's lock shared with the other
        // Authdeck processes, and only with what the registry and the keyring hold under it
        // (another process may have refreshed while this one waited). Tokens in hand that are
        // due take the lock before the registry is read, so that it is read once.
        let cached_due = state.secrets.as_ref().map(due);
        let mut refresh_lock = None;
        if cached_due == Some(true) {
            if let Some(locks) = &self.locks {
                refresh_lock = Some(locks.acquire(id).await?);
            }
        }
        // The tokens as last read, good for a while yet: nothing else to read. (An account
        // removed here forgets its slot; one removed by another process is refused by the
        // caller's own read of it, which a broadcast makes before it asks for a token.)
        if let (Some(cached), Some(false)) = (&state.secrets, cached_due) {
            return Ok(cached.access_token.clone());
        }
        let mut account = self.shared.registry.account(id)?;
        let read_app;
        let app = match known_app {
            Some(app) => app,
            None => {
                read_app = self.shared.registry.app(account.app_id)?;
                &read_app
            }
        };
        let key = vault::account_key(&app.provider, &app.client_id, &account.username);
        if refresh_lock.is_some() {
            self.take_up_changes(&mut state, &account, &key, app)
                .await?;
        } else if cached_due.is_none()
            && (force || due_for_refresh(account.issued_at, account.expires_at, now, margin))
        {
            // No tokens read yet, and the registry's copy of their times says a refresh may
            // come: the lock first, so that the keyring is read once, under it.
            if let Some(locks) = &self.locks {
                refresh_lock = Some(locks.acquire(id).await?);
                account = self.shared.registry.account(id)?;
                self.take_up_changes(&mut state, &account, &key, app)
                    .await?;
            }
        }
        if state.secrets.is_none() {
            state.secrets = self.shared.vault.account(&key).await?;
        }
        // The registry's times were behind the keyring's: the lock after all.
        if refresh_lock.is_none() && state.secrets.as_ref().is_some_and(due) {
            if let Some(locks) = &self.locks {
                refresh_lock = Some(locks.acquire(id).await?);
                account = self.shared.registry.account(id)?;
                self.take_up_changes(&mut state, &account, &key, app)
                    .await?;
            }
        }
        let now = if refresh_lock.is_some() {
            self.shared.clock.now()
        } else {
            now
        };
        let Some(current) = state.secrets.clone() else {
            return Err(self.needs_sign_in(&account, "no tokens are stored for it"));
        };
        if !force && !due_for_refresh(current.issued_at, current.expires_at, now, margin) {
            return Ok(current.access_token);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            if !expired(current.expires_at, now) && !force {
                return Ok(current.access_token);
            }
            return Err(self.needs_sign_in(&account, ran_out_reason(app)));
        };
        let still_valid = !expired(current.expires_at, now);
        // A rotating server's refresh token is never sent again once the account needs a
        // sign-in (a lost answer may have used it up; a strict server then ends the grant),
        // whoever asks and even after a restart: the stored health says so.
        if app.provider.protocol() == Protocol::OAuth2 && account.health == Health::NeedsSignIn {
            return Err(Error::NeedsSignIn {
                reason: "its refresh token is not sent again once a sign-in is needed, since the server may already have replaced it".into(),
            });
        }
        // A recent failure is shared: no new request while its back-off lasts.
        if let Some(failure) = state
            .failure
            .as_ref()
            .filter(|f| !force && now < f.retry_at)
        {
            let refused = health_after(&failure.error) == Some(Health::NeedsSignIn);
            if still_valid && !refused {
                return Ok(current.access_token);
            }
            return Err(failure.error.clone());
        }

        // With a token still good, one try is enough: the back-off tries again later.
        let tries = if still_valid && !force {
            1
        } else {
            self.shared.settings.retry_attempts
        };
        // A refresh the provider answers at once is one registry write (its outcome); one
        // that takes a while is shown as refreshing meanwhile.
        let answer = {
            let refresh = self.refresh_with_retries(app, &refresh_token, tries);
            tokio::pin!(refresh);
            tokio::select! {
                biased;
                answer = &mut refresh => answer,
                () = tokio::time::sleep(SHOW_REFRESHING_AFTER) => {
                    self.set_health(&account, Health::Refreshing, None);
                    refresh.await
                }
            }
        };
        let refreshed = match answer {
            Ok(TokenGrant {
                username: Some(named),
                ..
            }) if named != account.username => Err(Error::AccountMismatch {
                expected: account.username.clone(),
                reported: named,
            }),
            other => other,
        };
        match refreshed {
            Ok(grant) => {
                // A rotated refresh token replaces the old one; a server that sends none keeps
                // the old one valid.
                let new = AccountSecrets {
                    expires_at: grant.expires_at(now),
                    access_token: grant.access_token,
                    refresh_token: grant.refresh_token.or(Some(refresh_token)),
                    issued_at: now,
                };
                // The keyring first: the old tokens are replaced only once the new are safe.
                // If that fails the old tokens stay in use (the provider keeps honouring them).
                if let Err(err) = self.shared.vault.store_account(&key, &new).await {
                    self.set_health(&account, Health::Fresh, Some(&err.message()));
                    return Err(err);
                }
                // The slot holds what the keyring holds, whatever the registry write does.
                *state = SlotState {
                    secrets: Some(new.clone()),
                    failure: None,
                };
                self.records
                    .record(&self.shared.registry, id, new.issued_at, new.expires_at)
                    .await?;
                self.shared.emit(AppEvent::AccountsChanged);
                tracing::info!(account = id.0, "refreshed the access token");
                Ok(new.access_token)
            }
            Err(err) => {
                let health = health_after(&err).unwrap_or(account.health);
                let health = if health == Health::Refreshing {
                    Health::Fresh
                } else {
                    health
                };
                self.set_health(&account, health, Some(&err.message()));
                tracing::warn!(account = id.0, code = err.code(), "refresh failed");
                state.failure = Some(Failure::after(
                    state.failure.as_ref(),
                    err.clone(),
                    now,
                    true,
                ));
                if health != Health::NeedsSignIn && still_valid && !force {
                    return Ok(current.access_token);
                }
                Err(err)
            }
        }
    }

    /// Under the account's refresh lock, with its registry row as read under it: the tokens in
    /// the slot as the keyring holds them now. The keyring is read only when it may hold
    /// something the slot does not: no tokens read yet, the registry's times differ from the
    /// slot's (another process refreshed or signed in meanwhile, or a registry write failed),
    /// or a rotating OAuth 2.0 server, whose refresh token must be the latest.
    async fn take_up_changes(
        &self,
        state: &mut SlotState,
        account: &Account,
        key: &str,
        app: &App,
    ) -> Result<()> {
        let unchanged = state.secrets.as_ref().is_some_and(|cached| {
            cached.issued_at == account.issued_at && cached.expires_at == account.expires_at
        });
        if !unchanged || app.provider.protocol() == Protocol::OAuth2 {
            state.secrets = self.shared.vault.account(key).await?;
        }
        Ok(())
    }

    /// Records what a broadcast learned: a token the provider took clears an earlier
    /// failure; a refused token needs a sign-in; an unreachable provider is checked again
    /// later by [`Tokens::recheck_unreachable`]. `account` is the account as read when the
    /// broadcast started: its health is written only when the answer changes it from that
    /// (a change another call made meanwhile is not overwritten by a "fresh").
    pub async fn record_provider_answer(&self, account: &Account, seen: ProviderSeen) {
        self.note_answer(account, seen, false).await;
    }

    /// [`Self::record_provider_answer`]; `settles_refresh`: the answer also ends a failed
    /// refresh's back-off (the health checker asked the provider itself).
    async fn note_answer(&self, account: &Account, seen: ProviderSeen, settles_refresh: bool) {
        let id = account.id;
        let slot = self.sessions.slot(id);
        let mut state = slot.lock().await;
        let now = self.shared.clock.now();
        match seen {
            // The token works; a failed refresh still backs off until a refresh succeeds.
            ProviderSeen::Accepted => {
                if state.failure.as_ref().is_some_and(|f| f.of_refresh) && !settles_refresh {
                    return;
                }
                state.failure = None;
                if account.health != Health::Fresh {
                    self.set_health(account, Health::Fresh, None);
                }
            }
            ProviderSeen::TokenRefused(err) | ProviderSeen::Unreachable(err) => {
                let health = health_after(&err).unwrap_or(account.health);
                self.set_health(account, health, Some(&err.message()));
                state.failure = Some(Failure::after(state.failure.as_ref(), err, now, false));
            }
        }
    }

    /// One pass of the health checker: each account whose provider was unreachable, and whose
    /// back-off is over, is asked about again (a refresh when due, else `/api/me` with its
    /// token); health follows the answer. Returns how many accounts were asked about.
    pub async fn recheck_unreachable(&self) -> usize {
        let accounts = match self.shared.registry.accounts() {
            Ok(accounts) => accounts,
            Err(err) => {
                tracing::warn!("the health checker could not list accounts: {err}");
                return 0;
            }
        };
        let mut asked = 0;
        for account in accounts.iter().filter(|a| {
            matches!(
                a.health,
                Health::ProviderUnreachable | Health::ProviderError
            )
        }) {
            if self.probe(account).await {
                asked += 1;
            }
        }
        asked
    }

    /// Asks the provider about `account` unless its back-off lasts; `true` when it asked.
    async fn probe(&self, account: &Account) -> bool {
        let now = self.shared.clock.now();
        let margin = self.shared.settings.refresh_margin.as_secs() as i64;
        let slot = self.sessions.slot(account.id);
        let state = slot.lock().await;
        if state.failure.as_ref().is_some_and(|f| now < f.retry_at) {
            return false;
        }
        let current = state.secrets.clone();
        drop(state);
        let current = match current {
            Some(current) => current,
            None => {
                let Ok(app) = self.shared.registry.app(account.app_id) else {
                    return false;
                };
                let key = vault::account_key(&app.provider, &app.client_id, &account.username);
                match self.shared.vault.account(&key).await {
                    Ok(Some(secrets)) => secrets,
                    _ => return false,
                }
            }
        };
        if due_for_refresh(current.issued_at, current.expires_at, now, margin) {
            let _ = self.token(account.id, false).await;
            return true;
        }
        let Ok(app) = self.shared.registry.app(account.app_id) else {
            return false;
        };
        let seen = match self
            .shared
            .provider_calls
            .identify(&app, &current.access_token)
            .await
        {
            Ok(_) => ProviderSeen::Accepted,
            Err(err) => {
                let err = err.into_error(&app.provider, &app.client_id);
                match health_after(&err) {
                    Some(Health::ProviderUnreachable) => ProviderSeen::Unreachable(err),
                    _ => ProviderSeen::TokenRefused(err),
                }
            }
        };
        // The probe took a while: its answer is weighed against the account as it is now.
        if let Ok(account) = self.shared.registry.account(account.id) {
            self.note_answer(&account, seen, true).await;
        }
        true
    }

    /// Runs the health checker forever: a pass every [`FIRST_BACKOFF_SECONDS`] (each account
    /// keeps its own back-off).
    pub async fn run_health_checks(self: Arc<Self>) {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(FIRST_BACKOFF_SECONDS as u64)).await;
            let asked = self.recheck_unreachable().await;
            if asked > 0 {
                tracing::info!(asked, "health check pass");
            }
        }
    }

    /// Trades the refresh token for new tokens, trying up to `tries` times when the provider
    /// does not answer or fails on its side. On an OAuth 2.0 server only a request that never
    /// reached it is tried again: a lost answer may have rotated the refresh token, and a
    /// strict server ends the whole grant when the old one comes back, so the account needs a
    /// sign-in instead.
    async fn refresh_with_retries(
        &self,
        app: &App,
        refresh_token: &SecretString,
        tries: u32,
    ) -> Result<TokenGrant> {
        let shared_secret = self.secrets_in_flight.share(app.id);
        let mut secret = shared_secret
            .get_or_try_init(|| self.client_secret_if_needed(app))
            .await?
            .clone();
        // The shared secret may be older than this refresh: when the provider refuses it, the
        // keyring is asked once, and a secret changed meanwhile is tried (a provider refuses
        // the client before it looks at the grant, so the refresh token is not used up).
        let mut secret_checked = false;
        let rotating = app.provider.protocol() == Protocol::OAuth2;
        let mut delay = self.shared.settings.retry_first_delay;
        let mut tried = 1;
        loop {
            let result = self
                .shared
                .provider_calls
                .refresh_for(app, secret.as_ref(), refresh_token)
                .await;
            match result {
                Err(CallError::AnswerLost(_)) if rotating => {
                    return Err(Error::NeedsSignIn {
                        reason: "the answer to its last refresh was lost, and the server may already have replaced the refresh token; sending the old one again could end the whole grant".into(),
                    });
                }
                Err(err) if err.is_transient() && tried < tries => {
                    let retry = !rotating || matches!(err, CallError::Unreachable(_));
                    if !retry {
                        return Err(err.into_error(&app.provider, &app.client_id));
                    }
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    tried += 1;
                }
                Err(err) => {
                    let err = err.into_error(&app.provider, &app.client_id);
                    if matches!(err, Error::WrongClientSecret { .. }) && !secret_checked {
                        secret_checked = true;
                        let current = self.client_secret_if_needed(app).await?;
                        if !same_secret(current.as_ref(), secret.as_ref()) {
                            secret = current;
                            continue;
                        }
                    }
                    return Err(err);
                }
                Ok(grant) => return Ok(grant),
            }
        }
    }

    /// The app's client secret from the keyring, for the kinds and flows that send one.
    async fn client_secret_if_needed(&self, app: &App) -> Result<Option<SecretString>> {
        if app.needs_secret() {
            Ok(Some(self.shared.vault.client_secret(app).await?))
        } else {
            Ok(None)
        }
    }

    /// After the provider refused `id`'s access token on a request (a 401 with
    /// `error="invalid_token"`): one refresh, whatever the expiry said, and the new token.
    /// An account without a refresh token needs a sign-in.
    pub async fn refresh_after_refusal(&self, id: AccountId) -> Result<SecretString> {
        self.token(id, true).await
    }

    fn needs_sign_in(&self, account: &Account, reason: &str) -> Error {
        let err = Error::NeedsSignIn {
            reason: reason.to_owned(),
        };
        self.set_health(account, Health::NeedsSignIn, Some(&err.message()));
        err
    }

    fn set_health(&self, account: &Account, health: Health, detail: Option<&str>) {
        match self.shared.registry.set_health(account.id, health, detail) {
            Ok(()) => self.shared.emit(AppEvent::AccountsChanged),
            Err(err) => tracing::warn!(account = account.id.0, "could not record health: {err}"),
        }
    }

    /// One pass of the background refresher: refreshes code-flow accounts near expiry and
    /// marks implicit accounts whose sign-in ran out. The refreshes run at most
    /// `refresh_concurrency` at a time (at least one), taking the apps' accounts in turn so
    /// that one provider does not hold every place; each goes through the same single-flight
    /// path as any caller's. Returns how many were refreshed.
    pub async fn refresh_due_accounts(self: &Arc<Self>) -> usize {
        let registry = &self.shared.registry;
        let (accounts, apps) = match (registry.accounts(), registry.apps()) {
            (Ok(accounts), Ok(apps)) => (accounts, apps),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!("the refresher could not list accounts: {err}");
                return 0;
            }
        };
        let apps: HashMap<AppId, Arc<App>> = apps
            .into_iter()
            .map(|app| (app.id, Arc::new(app)))
            .collect();
        let now = self.shared.clock.now();
        let margin = self.shared.settings.refresh_margin.as_secs() as i64;
        let mut due_by_app: BTreeMap<AppId, VecDeque<AccountId>> = BTreeMap::new();
        for account in accounts.iter().filter(|a| a.health != Health::NeedsSignIn) {
            let Some(app) = apps.get(&account.app_id) else {
                continue;
            };
            match account.flow {
                Flow::Code
                    if due_for_refresh(account.issued_at, account.expires_at, now, margin) =>
                {
                    due_by_app.entry(app.id).or_default().push_back(account.id);
                }
                Flow::Implicit if expired(account.expires_at, now) => {
                    let _ = self.needs_sign_in(account, ran_out_reason(app));
                }
                _ => {}
            }
        }
        let at_once = self.shared.settings.refresh_concurrency.max(1);
        let mut running = JoinSet::new();
        let mut refreshed = 0;
        for (app_id, id) in in_turn(due_by_app) {
            if running.len() >= at_once {
                refreshed += usize::from(finished(running.join_next().await));
            }
            let Some(app) = apps.get(&app_id).cloned() else {
                continue;
            };
            let tokens = self.clone();
            running.spawn(async move { tokens.token_with(id, false, Some(&app)).await.is_ok() });
        }
        while let Some(done) = running.join_next().await {
            refreshed += usize::from(finished(Some(done)));
        }
        refreshed
    }

    /// Runs the background refresher forever: a first pass shortly after start-up (so the
    /// window is not delayed), then one every `refresh_interval`.
    pub async fn run_refresher(self: Arc<Self>) {
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        loop {
            let refreshed = self.refresh_due_accounts().await;
            if refreshed > 0 {
                tracing::info!(refreshed, "background refresh pass");
            }
            tokio::time::sleep(self.shared.settings.refresh_interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_due_within_the_margin_or_a_quarter_of_the_lifetime() {
        let day = 86_400;
        // A 7-day token: refreshed in its last day.
        assert!(!due_for_refresh(0, Some(7 * day), 6 * day - 1, day));
        assert!(due_for_refresh(0, Some(7 * day), 6 * day, day));
        // A 100-second token: refreshed in its last 25 seconds, not at once.
        assert!(!due_for_refresh(0, Some(100), 74, day));
        assert!(due_for_refresh(0, Some(100), 75, day));
        // An expired token is always due; one with no expiry given never is.
        assert!(due_for_refresh(0, Some(100), 500, day));
        assert!(!due_for_refresh(0, None, i64::MAX, day));
        assert!(!expired(None, i64::MAX) && expired(Some(100), 100));
    }

    #[test]
    fn the_refresher_takes_the_apps_accounts_in_turn() {
        let (a, b, c) = (AppId(1), AppId(2), AppId(3));
        let by_app = BTreeMap::from([
            (
                a,
                VecDeque::from([AccountId(10), AccountId(11), AccountId(12)]),
            ),
            (b, VecDeque::from([AccountId(20)])),
            (c, VecDeque::from([AccountId(30), AccountId(31)])),
        ]);
        let order: Vec<i64> = in_turn(by_app).into_iter().map(|(_, id)| id.0).collect();
        assert_eq!(order, [10, 20, 30, 11, 31, 12]);
        assert!(in_turn(BTreeMap::new()).is_empty());
    }

    #[test]
    fn a_client_secret_is_shared_only_while_a_refresh_holds_it() {
        let secrets = SecretsInFlight::default();
        let first = secrets.share(AppId(1));
        first.set(Some(SecretString::from("s3cret"))).unwrap();
        let second = secrets.share(AppId(1));
        assert!(Arc::ptr_eq(&first, &second), "shared while in flight");
        assert!(
            !Arc::ptr_eq(&first, &secrets.share(AppId(2))),
            "one per app"
        );
        drop((first, second));
        let later = secrets.share(AppId(1));
        assert!(later.get().is_none(), "read again once no refresh holds it");
        assert_eq!(secrets.apps.lock().unwrap().len(), 1, "nothing else kept");
    }

    #[test]
    fn secrets_compare_by_value() {
        let one = SecretString::from("one");
        assert!(same_secret(Some(&one), Some(&SecretString::from("one"))));
        assert!(!same_secret(Some(&one), Some(&SecretString::from("two"))));
        assert!(!same_secret(Some(&one), None));
        assert!(same_secret(None, None));
    }
}
