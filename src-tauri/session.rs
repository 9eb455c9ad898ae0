//! "A valid access token for account X": the one place that reads tokens for use.
//!
//! It refreshes a token that is within its margin of expiry, once per account however many
//! callers ask at the same moment (each account has one async lock; whoever holds it refreshes,
//! the others then find the fresh token), writes the new tokens to the keyring before anyone
//! uses them, and moves the account's health: refreshing, fresh, needs sign-in (the provider
//! refused the grant, or an implicit sign-in ran out), provider unreachable (after retries).
//! The background refresher runs the same path for accounts nearing expiry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use tokio::sync::Mutex as AsyncMutex;

use crate::accounts::{Account, AccountId, Health};
use crate::apps::{App, Flow};
use crate::clock::UnixSeconds;
use crate::error::{Error, Result};
use crate::events::AppEvent;
use crate::oauth::token::{CallError, ClientCredentials, TokenGrant};
use crate::service::Authdeck;
use crate::vault::{self, AccountSecrets};

type Slot = Arc<AsyncMutex<Option<AccountSecrets>>>;

/// Per-account locks, each guarding the account's tokens as last read from the keyring.
#[derive(Default)]
pub struct Sessions {
    slots: Mutex<HashMap<AccountId, Slot>>,
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
/// when at most `margin` seconds (and at most a quarter of its lifetime) are left.
pub fn due_for_refresh(
    issued_at: UnixSeconds,
    expires_at: UnixSeconds,
    now: UnixSeconds,
    margin: i64,
) -> bool {
    let lifetime = (expires_at - issued_at).max(0);
    now >= expires_at - margin.min(lifetime / 4)
}

impl Authdeck {
    /// A valid access token for `id`, refreshed first if it is near expiry. Everything that
    /// needs a token calls this; nothing else reads tokens.
    pub async fn access_token(&self, id: AccountId) -> Result<SecretString> {
        self.token(id, false).await
    }

    /// Refreshes `id`'s token now (the window's "refresh now"), whatever its expiry.
    pub async fn refresh_now(&self, id: AccountId) -> Result<()> {
        let account = self.registry.account(id)?;
        if account.flow == Flow::Implicit {
            return Err(Error::NeedsSignIn {
                reason: "this account signed in without refresh (implicit flow)".into(),
            });
        }
        self.token(id, true).await.map(|_| ())
    }

    /// Stores the tokens of a fresh sign-in, waiting for any refresh of the same account.
    pub(crate) async fn store_signed_in_tokens(
        &self,
        id: AccountId,
        key: &str,
        secrets: AccountSecrets,
    ) -> Result<()> {
        let slot = self.sessions.slot(id);
        let mut cached = slot.lock().await;
        self.vault.store_account(key, &secrets).await?;
        *cached = Some(secrets);
        Ok(())
    }

    /// Waits until no refresh of `id` is in flight and keeps others out while the guard
    /// lives, so a removal cannot race a refresh that would write the tokens back.
    pub(crate) async fn hold_session(
        &self,
        id: AccountId,
    ) -> tokio::sync::OwnedMutexGuard<Option<AccountSecrets>> {
        self.sessions.slot(id).lock_owned().await
    }

    /// Forgets the cached tokens of a removed account.
    pub(crate) fn forget_session(&self, id: AccountId) {
        self.sessions.forget(id);
    }

    async fn token(&self, id: AccountId, force: bool) -> Result<SecretString> {
        let slot = self.sessions.slot(id);
        let mut cached = slot.lock().await;
        let account = self.registry.account(id)?;
        let app = self.registry.app(account.app_id)?;
        let key = vault::account_key(&app.provider, &app.client_id, &account.username);
        if cached.is_none() {
            *cached = self.vault.account(&key).await?;
        }
        let Some(current) = cached.clone() else {
            return Err(self.needs_sign_in(&account, "no tokens are stored for it"));
        };
        let now = self.clock.now();
        let margin = self.settings.refresh_margin.as_secs() as i64;
        if !force && !due_for_refresh(current.issued_at, current.expires_at, now, margin) {
            return Ok(current.access_token);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            if now < current.expires_at {
                return Ok(current.access_token);
            }
            return Err(self.needs_sign_in(
                &account,
                "its 7-day sign-in ran out and implicit sign-ins cannot be refreshed",
            ));
        };

        self.set_health(&account, Health::Refreshing, None);
        let refreshed = match self.refresh_with_retries(&app, &refresh_token).await {
            Ok(grant) if grant.username != account.username => Err(Error::AccountMismatch {
                expected: account.username.clone(),
                reported: grant.username,
            }),
            other => other,
        };
        match refreshed {
            Ok(grant) => {
                let new = AccountSecrets {
                    access_token: grant.access_token,
                    refresh_token: grant.refresh_token.or(Some(refresh_token)),
                    issued_at: now,
                    expires_at: now + grant.expires_in as i64,
                };
                // The keyring first: the old tokens are replaced only once the new are safe.
                // If that fails the old tokens stay in use (the provider keeps honouring them).
                if let Err(err) = self.vault.store_account(&key, &new).await {
                    self.set_health(&account, Health::Fresh, Some(&err.message()));
                    return Err(err);
                }
                self.registry
                    .record_refresh(id, new.issued_at, new.expires_at)?;
                *cached = Some(new.clone());
                self.emit(AppEvent::AccountsChanged);
                tracing::info!(account = id.0, "refreshed the access token");
                Ok(new.access_token)
            }
            Err(err) => {
                let health = match err {
                    Error::NeedsSignIn { .. }
                    | Error::WrongClientSecret { .. }
                    | Error::SecretMissing { .. }
                    | Error::AccountMismatch { .. } => Health::NeedsSignIn,
                    _ => Health::ProviderUnreachable,
                };
                self.set_health(&account, health, Some(&err.message()));
                tracing::warn!(account = id.0, code = err.code(), "refresh failed");
                let still_valid = now < current.expires_at;
                if health == Health::ProviderUnreachable && still_valid && !force {
                    return Ok(current.access_token);
                }
                Err(err)
            }
        }
    }

    async fn refresh_with_retries(
        &self,
        app: &App,
        refresh_token: &SecretString,
    ) -> Result<TokenGrant> {
        let secret = self.app_secret(app).await?;
        let credentials = ClientCredentials {
            client_id: &app.client_id,
            client_secret: &secret,
        };
        let scope = app.scopes.request_string();
        let mut delay = self.settings.retry_first_delay;
        let mut tries = 1;
        loop {
            let result = self
                .provider_calls
                .refresh(&app.provider, credentials, refresh_token, &scope)
                .await;
            match result {
                Err(err) if err.is_transient() && tries < self.settings.retry_attempts => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    tries += 1;
                }
                other => {
                    return other
                        .map_err(|err: CallError| err.into_error(&app.provider, &app.client_id))
                }
            }
        }
    }

    fn needs_sign_in(&self, account: &Account, reason: &str) -> Error {
        let err = Error::NeedsSignIn {
            reason: reason.to_owned(),
        };
        self.set_health(account, Health::NeedsSignIn, Some(&err.message()));
        err
    }

    fn set_health(&self, account: &Account, health: Health, detail: Option<&str>) {
        match self.registry.set_health(account.id, health, detail) {
            Ok(()) => self.emit(AppEvent::AccountsChanged),
            Err(err) => tracing::warn!(account = account.id.0, "could not record health: {err}"),
        }
    }

    /// One pass of the background refresher: refreshes code-flow accounts near expiry and
    /// marks implicit accounts whose sign-in ran out. Returns how many were refreshed.
    pub async fn refresh_due_accounts(&self) -> usize {
        let accounts = match self.registry.accounts() {
            Ok(accounts) => accounts,
            Err(err) => {
                tracing::warn!("the refresher could not list accounts: {err}");
                return 0;
            }
        };
        let now = self.clock.now();
        let margin = self.settings.refresh_margin.as_secs() as i64;
        let mut refreshed = 0;
        for account in accounts.iter().filter(|a| a.health != Health::NeedsSignIn) {
            let due = due_for_refresh(account.issued_at, account.expires_at, now, margin);
            match account.flow {
                Flow::Code if due && self.token(account.id, false).await.is_ok() => refreshed += 1,
                Flow::Implicit if now >= account.expires_at => {
                    let _ = self.needs_sign_in(
                        account,
                        "its 7-day sign-in ran out and implicit sign-ins cannot be refreshed",
                    );
                }
                _ => {}
            }
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
            tokio::time::sleep(self.settings.refresh_interval).await;
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
        assert!(!due_for_refresh(0, 7 * day, 6 * day - 1, day));
        assert!(due_for_refresh(0, 7 * day, 6 * day, day));
        // A 100-second token: refreshed in its last 25 seconds, not at once.
        assert!(!due_for_refresh(0, 100, 74, day));
        assert!(due_for_refresh(0, 100, 75, day));
        // An expired token is always due.
        assert!(due_for_refresh(0, 100, 500, day));
    }
}
