//! Custody of secrets: tokens and client secrets live only in the OS keyring.
//!
//! [`SecretStore`] is the storage seam: [`KeyringStore`] is the real one (keyring v3: Secret
//! Service on Linux, Keychain on macOS, Credential Manager on Windows); [`MemoryStore`] serves
//! unit tests. [`Vault`] is what the rest of the app uses: typed entries, blocking keyring
//! calls moved off the async runtime, and one error when no keyring is usable. There is no
//! plaintext fallback: without a keyring nothing is stored.
//!
//! Entries (service `authdeck`): `account/<provider host>/<app>/<account>` holds a JSON object
//! with the access token, refresh token, issue time and expiry; `app-secret/<provider
//! host>/<app>` holds an app's client secret.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::error::{Error, Result};
use crate::provider::Provider;
use crate::redact::redact;

/// The keyring service name of every entry.
pub const SERVICE: &str = "authdeck";

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No keyring, a locked one, or one that refused access.
    #[error("{0}")]
    Unavailable(String),
    /// An entry exists but cannot be read as what Authdeck wrote.
    #[error("{0}")]
    Damaged(String),
}

/// Where secrets are kept. Implementations may block (a keyring is a D-Bus call away).
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or `None`.
    fn read(&self, key: &str) -> Result<Option<SecretString>, StoreError>;
    /// Stores `value` under `key`, replacing what was there.
    fn write(&self, key: &str, value: &SecretString) -> Result<(), StoreError>;
    /// Removes `key`; removing an absent key is fine.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// The OS keyring.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// Entries under `service` ([`SERVICE`] in the app; tests use their own).
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(&self.service, key).map_err(store_error)
    }
}

fn store_error(err: keyring::Error) -> StoreError {
    match err {
        keyring::Error::BadEncoding(_) | keyring::Error::Ambiguous(_) => {
            StoreError::Damaged(redact(&err.to_string()).into_owned())
        }
        other => StoreError::Unavailable(redact(&other.to_string()).into_owned()),
    }
}

impl SecretStore for KeyringStore {
    fn read(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
        match self.entry(key)?.get_password() {
            Ok(secret) => Ok(Some(secret.into())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(store_error(err)),
        }
    }

    fn write(&self, key: &str, value: &SecretString) -> Result<(), StoreError> {
        self.entry(key)?
            .set_password(value.expose_secret())
            .map_err(store_error)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(store_error(err)),
        }
    }
}

/// An in-memory store for unit tests; it can pretend to be unavailable.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretString>>,
    unavailable: AtomicBool,
}

impl MemoryStore {
    /// Makes every call fail as if no keyring were running.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// The keys currently stored.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SecretString>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn available(&self) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "the in-memory store is switched off".into(),
            ));
        }
        Ok(())
    }
}

impl SecretStore for MemoryStore {
    fn read(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
        self.available()?;
        Ok(self.lock().get(key).cloned())
    }

    fn write(&self, key: &str, value: &SecretString) -> Result<(), StoreError> {
        self.available()?;
        self.lock().insert(key.to_owned(), value.clone());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.available()?;
        self.lock().remove(key);
        Ok(())
    }
}

/// An account's tokens, as one keyring entry. `Debug` shows `[REDACTED]` for the tokens.
#[derive(Debug, Clone)]
pub struct AccountSecrets {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token (code flow only).
    pub refresh_token: Option<SecretString>,
    /// When the access token was obtained.
    pub issued_at: UnixSeconds,
    /// When Authdeck stops using the access token.
    pub expires_at: UnixSeconds,
}

#[derive(Serialize, Deserialize)]
struct StoredAccount<'a> {
    access_token: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    issued_at: UnixSeconds,
    expires_at: UnixSeconds,
}

impl AccountSecrets {
    fn encode(&self) -> SecretString {
        let stored = StoredAccount {
            access_token: self.access_token.expose_secret(),
            refresh_token: self.refresh_token.as_ref().map(|t| t.expose_secret()),
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        };
        serde_json::to_string(&stored)
            .expect("a struct of strings and numbers always serialises")
            .into()
    }

    fn decode(raw: &SecretString) -> Result<Self, StoreError> {
        let stored: StoredAccount<'_> = serde_json::from_str(raw.expose_secret())
            .map_err(|_| StoreError::Damaged("an account entry is not Authdeck's JSON".into()))?;
        Ok(Self {
            access_token: stored.access_token.to_owned().into(),
            refresh_token: stored.refresh_token.map(|t| t.to_owned().into()),
            issued_at: stored.issued_at,
            expires_at: stored.expires_at,
        })
    }
}

/// The keyring key of an account's tokens.
pub fn account_key(provider: &Provider, client_id: &str, username: &str) -> String {
    format!("account/{}/{client_id}/{username}", provider.host())
}

/// The keyring key of an app's client secret.
pub fn app_secret_key(provider: &Provider, client_id: &str) -> String {
    format!("app-secret/{}/{client_id}", provider.host())
}

/// Typed, async access to a [`SecretStore`].
#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn SecretStore>,
}

impl Vault {
    /// A vault over `store`.
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        Self { store }
    }

    /// Fails with the keyring error when the store cannot be used (probes by reading a key
    /// that does not exist, which still needs an unlocked, reachable keyring).
    pub async fn check_available(&self) -> Result<()> {
        self.run(|store| store.read("probe/availability").map(|_| ()))
            .await
    }

    /// An account's tokens, if stored.
    pub async fn account(&self, key: &str) -> Result<Option<AccountSecrets>> {
        let key = key.to_owned();
        self.run(move |store| {
            store
                .read(&key)?
                .map(|raw| AccountSecrets::decode(&raw))
                .transpose()
        })
        .await
    }

    /// Stores an account's tokens (replacing the old ones only once the new ones are written).
    pub async fn store_account(&self, key: &str, secrets: &AccountSecrets) -> Result<()> {
        let key = key.to_owned();
        let encoded = secrets.encode();
        self.run(move |store| store.write(&key, &encoded)).await
    }

    /// An app's client secret, if stored.
    pub async fn app_secret(&self, key: &str) -> Result<Option<SecretString>> {
        let key = key.to_owned();
        self.run(move |store| store.read(&key)).await
    }

    /// Stores an app's client secret.
    pub async fn store_app_secret(&self, key: &str, secret: &SecretString) -> Result<()> {
        let key = key.to_owned();
        let secret = secret.clone();
        self.run(move |store| store.write(&key, &secret)).await
    }

    /// Removes an entry (absent is fine).
    pub async fn delete(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.run(move |store| store.delete(&key)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .map_err(|err| Error::Internal(format!("a keyring call stopped: {err}")))?
            .map_err(|err| match err {
                StoreError::Unavailable(detail) => Error::KeyringUnavailable {
                    detail: format!("The keyring said: {detail}."),
                },
                StoreError::Damaged(detail) => Error::KeyringEntryDamaged { detail },
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Preset;

    fn secrets() -> AccountSecrets {
        AccountSecrets {
            access_token: "A".to_owned().into(),
            refresh_token: Some("R".to_owned().into()),
            issued_at: 10,
            expires_at: 20,
        }
    }

    #[tokio::test]
    async fn account_secrets_round_trip_through_one_entry() {
        let store = Arc::new(MemoryStore::default());
        let vault = Vault::new(store.clone());
        let provider = Provider::new(Preset::Hivesigner, None).unwrap();
        let key = account_key(&provider, "myapp", "alice");
        assert_eq!(key, "account/hivesigner.com/myapp/alice");
        vault.store_account(&key, &secrets()).await.unwrap();
        let read = vault.account(&key).await.unwrap().unwrap();
        assert_eq!(read.access_token.expose_secret(), "A");
        assert_eq!(read.refresh_token.unwrap().expose_secret(), "R");
        assert_eq!((read.issued_at, read.expires_at), (10, 20));
        assert_eq!(store.keys(), std::slice::from_ref(&key));
        vault.delete(&key).await.unwrap();
        vault.delete(&key).await.unwrap();
        assert!(vault.account(&key).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_unusable_store_gives_the_keyring_error() {
        let store = Arc::new(MemoryStore::default());
        store.set_unavailable(true);
        let vault = Vault::new(store);
        let err = vault.check_available().await.unwrap_err();
        assert_eq!(err.code(), "keyring_unavailable");
        assert!(err.to_string().contains("Start and unlock"), "{err}");
    }

    #[tokio::test]
    async fn damaged_entries_are_reported_not_guessed() {
        let store = Arc::new(MemoryStore::default());
        store
            .write("account/x", &"not json".to_owned().into())
            .unwrap();
        let err = Vault::new(store).account("account/x").await.unwrap_err();
        assert_eq!(err.code(), "keyring_entry_damaged");
        assert!(err.to_string().contains("not Authdeck's JSON"), "{err}");
    }
}
