//! Custody of secrets: tokens and client secrets live only in the OS keyring.
//!
//! [`SecretStore`] is the storage seam: [`KeyringStore`] is the real one (keyring v3: Secret
//! Service on Linux, Keychain on macOS, Credential Manager on Windows); [`MemoryStore`] serves
//! unit tests. [`Vault`] is what the rest of the app uses: typed entries, blocking keyring
//! calls moved off the async runtime, and one error when no keyring is usable. There is no
//! plaintext fallback: without a keyring nothing is stored.
//!
//! Entries (service `authdeck`), one per app secret and per account, named so that two apps the
//! registry tells apart (it keys apps by base URL and client id) never share an entry:
//! - `account/<base url>/<app>/<account>` holds a JSON object with an account's access token,
//!   refresh token, issue time and expiry;
//! - `app-secret/<base url>/<app>` holds an app's client secret.
//!
//! `<base url>` is [`Provider::base_url`] (scheme, host, port and path, no trailing slash),
//! `<app>` the client id and `<account>` the account name. Each field is percent-encoded for
//! `/` and `%` only, so `/` separates fields and nothing else: the key reads back
//! unambiguously. Hive account names contain neither, so only the base URL's slashes show as
//! `%2F`. Example: `account/http:%2F%2F127.0.0.1:3000%2Fhs/myapp/alice`.
//!
//! Before that, entries were named by the provider's host only (`account/<host>/<app>/<account>`,
//! `app-secret/<host>/<app>`, see [`legacy_account_key`]); the start-up migration
//! ([`Authdeck::migrate_keyring_entries`](crate::service::Authdeck::migrate_keyring_entries))
//! copies them to the names above. An old name never
//! equals a new one: an old name's second field (a host) has no `%2F%2F`.
//!
//! Each entry also has a label, which keyring managers (Seahorse, KeePassXC) show:
//! "Authdeck: @alice at Hivesigner (app @myapp)", "Authdeck: client secret of @myapp at
//! Hivesigner"; a server with no preset of its own is named by its base URL (see
//! [`entry_label`]). The label follows from the key alone, so every path that writes an entry
//! labels it alike. On Linux the Secret Service item gets it when it is created; the attributes
//! that name the item (`service`, `username` = the key) stay keyring-rs's, so lookups are
//! unchanged. A damaged or duplicated entry is reported by its label and key, which is what a
//! person looks for in the keyring manager.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::apps::App;
use crate::clock::UnixSeconds;
use crate::error::{Error, Result};
use crate::provider::{Preset, Provider};
use crate::redact::redact;

/// The keyring service name of every entry.
pub const SERVICE: &str = "authdeck";

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No keyring, a locked one, or one that refused access.
    #[error("{0}")]
    Unavailable(String),
    /// An entry exists but cannot be read as what Authdeck wrote; the text names the item.
    #[error("{0}")]
    Damaged(String),
}

/// Where secrets are kept. Implementations may block (a keyring is a D-Bus call away).
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or `None`.
    fn read(&self, key: &str) -> Result<Option<SecretString>, StoreError>;
    /// Stores `value` under `key`, replacing what was there. `label` is what a keyring manager
    /// shows for the entry (see [`entry_label`]); a store may keep an existing entry's label.
    fn write(&self, key: &str, label: &str, value: &SecretString) -> Result<(), StoreError>;
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

    /// The entry `key`. On Linux a Secret Service item created through it is labelled `label`
    /// (keyring-rs's own label otherwise); its attributes are those of [`keyring::Entry::new`],
    /// so it names the same item either way.
    fn entry(&self, key: &str, label: Option<&str>) -> Result<keyring::Entry, StoreError> {
        #[cfg(target_os = "linux")]
        {
            let mut credential =
                keyring::secret_service::SsCredential::new_with_target(None, &self.service, key)
                    .map_err(|err| store_error(key, err))?;
            if let Some(label) = label {
                credential.label = label.to_owned();
            }
            Ok(keyring::Entry::new_with_credential(Box::new(credential)))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = label;
            keyring::Entry::new(&self.service, key).map_err(|err| store_error(key, err))
        }
    }
}

/// The store's error for a failed call on `key`: damaged entries are named by label and key.
fn store_error(key: &str, err: keyring::Error) -> StoreError {
    match err {
        keyring::Error::Ambiguous(items) => {
            let mut labels: Vec<String> = items
                .iter()
                .filter_map(|item| item_label(item.as_ref()))
                .collect();
            labels.sort();
            labels.dedup();
            if labels.is_empty() {
                labels.push(entry_label(key));
            }
            let labels: Vec<String> = labels.iter().map(|label| format!("'{label}'")).collect();
            StoreError::Damaged(format!(
                "the keyring holds {} items labelled {} with the key '{key}', where Authdeck keeps one",
                items.len(),
                labels.join(" and "),
            ))
        }
        keyring::Error::BadEncoding(_) => {
            StoreError::Damaged(format!("{} does not hold text", item_named(key)))
        }
        other => StoreError::Unavailable(redact(&other.to_string()).into_owned()),
    }
}

/// The label of one of the items an ambiguous lookup found.
#[cfg(target_os = "linux")]
fn item_label(item: &keyring::credential::Credential) -> Option<String> {
    item.as_any()
        .downcast_ref::<keyring::secret_service::SsCredential>()
        .map(|credential| credential.label.clone())
}

/// The label of one of the items an ambiguous lookup found (not known off Linux).
#[cfg(not(target_os = "linux"))]
fn item_label(_item: &keyring::credential::Credential) -> Option<String> {
    None
}

/// How messages name the item of `key` for a person with a keyring manager open.
fn item_named(key: &str) -> String {
    format!("the item labelled '{}' (key '{key}')", entry_label(key))
}

impl SecretStore for KeyringStore {
    fn read(&self, key: &str) -> Result<Option<SecretString>, StoreError> {
        match self.entry(key, None)?.get_password() {
            Ok(secret) => Ok(Some(secret.into())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(store_error(key, err)),
        }
    }

    fn write(&self, key: &str, label: &str, value: &SecretString) -> Result<(), StoreError> {
        self.entry(key, Some(label))?
            .set_password(value.expose_secret())
            .map_err(|err| store_error(key, err))
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.entry(key, None)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(store_error(key, err)),
        }
    }
}

/// One entry of a [`MemoryStore`].
struct MemoryEntry {
    label: String,
    value: SecretString,
}

/// An in-memory store for unit tests; it can pretend to be unavailable. Like the Secret
/// Service, it keeps an entry's first label when the entry is written again.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, MemoryEntry>>,
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

    /// The label of the entry `key`, if stored.
    pub fn label(&self, key: &str) -> Option<String> {
        self.lock().get(key).map(|entry| entry.label.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, MemoryEntry>> {
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
        Ok(self.lock().get(key).map(|entry| entry.value.clone()))
    }

    fn write(&self, key: &str, label: &str, value: &SecretString) -> Result<(), StoreError> {
        self.available()?;
        let mut entries = self.lock();
        let entry = entries
            .entry(key.to_owned())
            .or_insert_with(|| MemoryEntry {
                label: label.to_owned(),
                value: value.clone(),
            });
        entry.value = value.clone();
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
    /// When Authdeck stops using the access token; `None` when no expiry was given.
    pub expires_at: Option<UnixSeconds>,
}

#[derive(Serialize, Deserialize)]
struct StoredAccount<'a> {
    access_token: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    issued_at: UnixSeconds,
    #[serde(default)]
    expires_at: Option<UnixSeconds>,
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

    fn decode(key: &str, raw: &SecretString) -> Result<Self, StoreError> {
        let stored: StoredAccount<'_> =
            serde_json::from_str(raw.expose_secret()).map_err(|_| {
                StoreError::Damaged(format!("{} is not Authdeck's JSON", item_named(key)))
            })?;
        Ok(Self {
            access_token: stored.access_token.to_owned().into(),
            refresh_token: stored.refresh_token.map(|t| t.to_owned().into()),
            issued_at: stored.issued_at,
            expires_at: stored.expires_at,
        })
    }
}

/// The first field of an account entry's key.
const ACCOUNT: &str = "account";
/// The first field of an app secret's key.
const APP_SECRET: &str = "app-secret";
/// What is percent-encoded in every field of a key, so none holds a `/`.
const FIELD: &AsciiSet = &CONTROLS.add(b'/').add(b'%');

fn field(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, FIELD).into()
}

fn from_field(field: &str) -> Cow<'_, str> {
    percent_decode_str(field).decode_utf8_lossy()
}

/// The keyring key of an account's tokens: `account/<base url>/<app>/<account>`.
pub fn account_key(provider: &Provider, client_id: &str, username: &str) -> String {
    format!(
        "{ACCOUNT}/{}/{}/{}",
        field(provider.base_url()),
        field(client_id),
        field(username)
    )
}

/// The keyring key of an app's client secret: `app-secret/<base url>/<app>`.
pub fn app_secret_key(provider: &Provider, client_id: &str) -> String {
    format!(
        "{APP_SECRET}/{}/{}",
        field(provider.base_url()),
        field(client_id)
    )
}

/// The key an account's tokens had before entries were named by base URL
/// (`account/<host[:port]>/<app>/<account>`); only the start-up migration reads it.
pub fn legacy_account_key(provider: &Provider, client_id: &str, username: &str) -> String {
    format!("{ACCOUNT}/{}/{client_id}/{username}", provider.host())
}

/// The key an app's client secret had before entries were named by base URL
/// (`app-secret/<host[:port]>/<app>`); only the start-up migration reads it.
pub fn legacy_app_secret_key(provider: &Provider, client_id: &str) -> String {
    format!("{APP_SECRET}/{}/{client_id}", provider.host())
}

/// What a key of [`account_key`] or [`app_secret_key`] names.
enum Named<'a> {
    Account {
        base_url: Cow<'a, str>,
        app: Cow<'a, str>,
        account: Cow<'a, str>,
    },
    AppSecret {
        base_url: Cow<'a, str>,
        app: Cow<'a, str>,
    },
}

impl<'a> Named<'a> {
    /// Reads `key` back; `None` for a key of another shape (legacy ones included).
    fn parse(key: &'a str) -> Option<Self> {
        let mut fields = key.split('/');
        let kind = fields.next()?;
        let base_url = from_field(fields.next()?);
        if !base_url.contains("://") {
            return None;
        }
        let named = match (kind, fields.next(), fields.next(), fields.next()) {
            (ACCOUNT, Some(app), Some(account), None) => Named::Account {
                base_url,
                app: from_field(app),
                account: from_field(account),
            },
            (APP_SECRET, Some(app), None, None) => Named::AppSecret {
                base_url,
                app: from_field(app),
            },
            _ => return None,
        };
        Some(named)
    }
}

/// The provider, in words: the preset's name for a preset's fixed address, else the address.
fn provider_name(base_url: &str) -> Cow<'_, str> {
    Preset::ALL
        .into_iter()
        .find(|preset| preset.fixed_base_url() == Some(base_url))
        .map_or(Cow::Borrowed(base_url), |preset| {
            Cow::Borrowed(preset.label())
        })
}

/// The label a keyring manager shows for the entry `key`: "Authdeck: @alice at Hivesigner (app
/// @myapp)", "Authdeck: client secret of @myapp at Hivesigner". A custom server (no preset
/// has its address) is named by its base URL, which also tells two servers on one host apart.
/// It is computed from the key alone, so every path that writes an entry labels it the same.
pub fn entry_label(key: &str) -> String {
    match Named::parse(key) {
        Some(Named::Account {
            base_url,
            app,
            account,
        }) => format!(
            "Authdeck: @{account} at {} (app @{app})",
            provider_name(&base_url)
        ),
        Some(Named::AppSecret { base_url, app }) => format!(
            "Authdeck: client secret of @{app} at {}",
            provider_name(&base_url)
        ),
        None => format!("Authdeck: {key}"),
    }
}

/// What a keyring failure means, by what was asked of it.
const NOTHING_STORED: &str = "nothing was stored";
const NOTHING_READ: &str = "the tokens or the secret could not be read";
const NOTHING_DELETED: &str = "nothing was deleted";
const NOTHING_MOVED: &str = "the entries keep their old names for now";

/// The key of the entry [`Vault::check_available`] writes and deletes again.
pub const PROBE_KEY: &str = "probe/availability";
/// What a keyring manager shows for the probe entry, should one ever be left behind.
pub const PROBE_LABEL: &str = "Authdeck: availability check";

/// Writes the probe entry and deletes it: fails unless `store` can store secrets right now.
fn probe(store: &dyn SecretStore) -> Result<(), StoreError> {
    store.write(PROBE_KEY, PROBE_LABEL, &"probe".to_owned().into())?;
    store.delete(PROBE_KEY)
}

/// How many keyring calls one [`Vault`] runs at once.
pub const KEYRING_CALLS_AT_ONCE: usize = 4;

/// Typed, async access to a [`SecretStore`].
#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn SecretStore>,
    /// At most [`KEYRING_CALLS_AT_ONCE`] keyring calls at a time: each opens its own Secret
    /// Service session, and a refresher or a batch asking for dozens at once would only pile
    /// sessions on the daemon.
    calls: Arc<tokio::sync::Semaphore>,
}

impl Vault {
    /// A vault over `store`.
    pub fn new(store: Arc<dyn SecretStore>) -> Self {
        Self {
            store,
            calls: Arc::new(tokio::sync::Semaphore::new(KEYRING_CALLS_AT_ONCE)),
        }
    }

    /// Fails with the keyring error when the store cannot be used, so no sign-in starts that
    /// could not keep its tokens. It writes the entry [`PROBE_KEY`] (labelled [`PROBE_LABEL`])
    /// and deletes it again, in one blocking call: only a write notices a locked Secret Service
    /// collection, where a lookup simply finds nothing. On a desktop the write may ask the
    /// person to unlock the keyring, as storing the tokens would.
    pub async fn check_available(&self) -> Result<()> {
        self.run(probe, NOTHING_STORED).await
    }

    /// An account's tokens, if stored.
    pub async fn account(&self, key: &str) -> Result<Option<AccountSecrets>> {
        let key = key.to_owned();
        self.run(
            move |store| {
                store
                    .read(&key)?
                    .map(|raw| AccountSecrets::decode(&key, &raw))
                    .transpose()
            },
            NOTHING_READ,
        )
        .await
    }

    /// Stores an account's tokens (replacing the old ones only once the new ones are written).
    pub async fn store_account(&self, key: &str, secrets: &AccountSecrets) -> Result<()> {
        let key = key.to_owned();
        let encoded = secrets.encode();
        self.run(
            move |store| store.write(&key, &entry_label(&key), &encoded),
            NOTHING_STORED,
        )
        .await
    }

    /// An app's client secret, if stored.
    pub async fn app_secret(&self, key: &str) -> Result<Option<SecretString>> {
        let key = key.to_owned();
        self.run(move |store| store.read(&key), NOTHING_READ).await
    }

    /// The client secret of `app`, or the error that says to enter it.
    pub async fn client_secret(&self, app: &App) -> Result<SecretString> {
        self.app_secret(&app_secret_key(&app.provider, &app.client_id))
            .await?
            .ok_or_else(|| Error::SecretMissing {
                client_id: app.client_id.clone(),
            })
    }

    /// Stores an app's client secret.
    pub async fn store_app_secret(&self, key: &str, secret: &SecretString) -> Result<()> {
        let key = key.to_owned();
        let secret = secret.clone();
        self.run(
            move |store| store.write(&key, &entry_label(&key), &secret),
            NOTHING_STORED,
        )
        .await
    }

    /// Removes an entry (absent is fine).
    pub async fn delete(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.run(move |store| store.delete(&key), NOTHING_DELETED)
            .await
    }

    /// Moves the entry `old_key` to each of `new_keys` (several when apps that once shared an
    /// entry are told apart now) and returns how many entries it wrote. A new entry that
    /// already exists is kept as it is; a missing one gets the old secret, read back to check
    /// it. The old entry is deleted only once every new one verifiably exists, so an
    /// interrupted move is finished by the next call. Nothing to do (no old entry) costs one
    /// read.
    pub async fn move_entry(&self, old_key: &str, new_keys: Vec<String>) -> Result<usize> {
        let old_key = old_key.to_owned();
        self.run(move |store| {
            let Some(secret) = store.read(&old_key)? else {
                return Ok(0);
            };
            let mut written = 0;
            for new_key in new_keys.iter().filter(|key| **key != old_key) {
                if store.read(new_key)?.is_some() {
                    continue;
                }
                store.write(new_key, &entry_label(new_key), &secret)?;
                match store.read(new_key)? {
                    Some(copy) if copy.expose_secret() == secret.expose_secret() => written += 1,
                    _ => {
                        return Err(StoreError::Unavailable(format!(
                            "the copy of '{old_key}' written to '{new_key}' did not read back the same, so the old entry was kept"
                        )))
                    }
                }
            }
            store.delete(&old_key)?;
            Ok(written)
        }, NOTHING_MOVED)
        .await
    }

    /// Runs a blocking keyring `call` off the async runtime; `failed` says what a failure
    /// means for the person (what was not done).
    async fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn SecretStore) -> Result<T, StoreError> + Send + 'static,
        failed: &'static str,
    ) -> Result<T> {
        let store = self.store.clone();
        let turn = self
            .calls
            .clone()
            .acquire_owned()
            .await
            .map_err(|err| Error::Internal(format!("the keyring gate closed: {err}")))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            call(store.as_ref())
        })
        .await
        .map_err(|err| Error::Internal(format!("a keyring call stopped: {err}")))?
        .map_err(|err| match err {
            StoreError::Unavailable(detail) => Error::KeyringUnavailable {
                detail: format!("The keyring said: {detail}."),
                failed,
            },
            StoreError::Damaged(detail) => Error::KeyringEntryDamaged { detail },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_keyring_failure_says_what_was_not_done() {
        let store = Arc::new(MemoryStore::default());
        let vault = Vault::new(store.clone());
        store.set_unavailable(true);
        let read = vault.account("account/x/app/alice").await.unwrap_err();
        assert!(
            read.message().contains("could not be read"),
            "{}",
            read.message()
        );
        assert!(
            !read.message().contains("stored"),
            "a vote stores nothing: {}",
            read.message()
        );
        let deleted = vault.delete("account/x/app/alice").await.unwrap_err();
        assert!(
            deleted.message().contains("nothing was deleted"),
            "{}",
            deleted.message()
        );
        let stored = vault
            .store_app_secret("app-secret/x/app", &SecretString::from("s"))
            .await
            .unwrap_err();
        assert!(
            stored.message().contains("nothing was stored"),
            "{}",
            stored.message()
        );
    }

    fn secrets() -> AccountSecrets {
        AccountSecrets {
            access_token: "A".to_owned().into(),
            refresh_token: Some("R".to_owned().into()),
            issued_at: 10,
            expires_at: Some(20),
        }
    }

    fn custom(base_url: &str) -> Provider {
        Provider::new(Preset::HivesignerCompatible, Some(base_url)).unwrap()
    }

    #[tokio::test]
    async fn account_secrets_round_trip_through_one_entry() {
        let store = Arc::new(MemoryStore::default());
        let vault = Vault::new(store.clone());
        let provider = Provider::new(Preset::Hivesigner, None).unwrap();
        let key = account_key(&provider, "myapp", "alice");
        assert_eq!(key, "account/https:%2F%2Fhivesigner.com/myapp/alice");
        vault.store_account(&key, &secrets()).await.unwrap();
        let read = vault.account(&key).await.unwrap().unwrap();
        assert_eq!(read.access_token.expose_secret(), "A");
        assert_eq!(read.refresh_token.unwrap().expose_secret(), "R");
        assert_eq!((read.issued_at, read.expires_at), (10, Some(20)));
        assert_eq!(store.keys(), std::slice::from_ref(&key));
        vault.delete(&key).await.unwrap();
        vault.delete(&key).await.unwrap();
        assert!(vault.account(&key).await.unwrap().is_none());
    }

    #[test]
    fn keys_name_the_whole_base_url() {
        let root = custom("http://127.0.0.1:3000");
        let other_path = custom("http://127.0.0.1:3000/other/");
        let other_port = custom("http://127.0.0.1:3001");
        let https = custom("https://127.0.0.1:3000");
        assert_eq!(
            app_secret_key(&other_path, "myapp"),
            "app-secret/http:%2F%2F127.0.0.1:3000%2Fother/myapp"
        );
        assert_eq!(
            account_key(&other_path, "myapp", "alice"),
            "account/http:%2F%2F127.0.0.1:3000%2Fother/myapp/alice"
        );
        for (what, provider) in [
            ("a path", &other_path),
            ("a port", &other_port),
            ("https", &https),
        ] {
            assert_ne!(
                app_secret_key(&root, "myapp"),
                app_secret_key(provider, "myapp"),
                "{what}"
            );
            assert_ne!(
                account_key(&root, "myapp", "alice"),
                account_key(provider, "myapp", "alice"),
                "{what}"
            );
        }
        // The old names were the same for another path and for https: the migration untangles.
        for provider in [&other_path, &https] {
            assert_eq!(
                legacy_app_secret_key(&root, "myapp"),
                legacy_app_secret_key(provider, "myapp")
            );
            assert_eq!(
                legacy_account_key(&root, "myapp", "alice"),
                legacy_account_key(provider, "myapp", "alice")
            );
        }
        assert_eq!(
            legacy_account_key(&root, "myapp", "alice"),
            "account/127.0.0.1:3000/myapp/alice"
        );
        assert_eq!(
            legacy_app_secret_key(&root, "myapp"),
            "app-secret/127.0.0.1:3000/myapp"
        );
    }

    #[test]
    fn keys_read_back_unambiguously_even_with_slashes_in_names() {
        let provider = custom("http://localhost:3000/a/b");
        let key = account_key(&provider, "my/app", "al%ice");
        assert_eq!(
            key,
            "account/http:%2F%2Flocalhost:3000%2Fa%2Fb/my%2Fapp/al%25ice"
        );
        let Some(Named::Account {
            base_url,
            app,
            account,
        }) = Named::parse(&key)
        else {
            panic!("{key} does not parse as an account key");
        };
        assert_eq!(
            (&*app, &*account, &*base_url),
            ("my/app", "al%ice", provider.base_url())
        );
        for legacy in [
            legacy_account_key(&provider, "myapp", "alice"),
            legacy_app_secret_key(&provider, "myapp"),
        ] {
            assert!(Named::parse(&legacy).is_none(), "{legacy}");
        }
    }

    #[test]
    fn labels_say_what_an_entry_is_in_words() {
        let hivesigner = Provider::new(Preset::Hivesigner, None).unwrap();
        assert_eq!(
            entry_label(&account_key(&hivesigner, "myapp", "alice")),
            "Authdeck: @alice at Hivesigner (app @myapp)"
        );
        assert_eq!(
            entry_label(&app_secret_key(&hivesigner, "myapp")),
            "Authdeck: client secret of @myapp at Hivesigner"
        );
        assert_eq!(
            entry_label(&app_secret_key(
                &custom("http://127.0.0.1:3000/other"),
                "myapp"
            )),
            "Authdeck: client secret of @myapp at http://127.0.0.1:3000/other"
        );
        assert_eq!(entry_label("probe/x"), "Authdeck: probe/x");
    }

    #[tokio::test]
    async fn the_vault_labels_what_it_writes() {
        let store = Arc::new(MemoryStore::default());
        let vault = Vault::new(store.clone());
        let steem = Provider::new(Preset::SteemLogin, None).unwrap();
        let key = app_secret_key(&steem, "myapp");
        vault
            .store_app_secret(&key, &"S".to_owned().into())
            .await
            .unwrap();
        assert_eq!(
            store.label(&key).as_deref(),
            Some("Authdeck: client secret of @myapp at SteemLogin")
        );
    }

    #[tokio::test]
    async fn moving_an_entry_copies_it_everywhere_before_deleting_it() {
        let store = Arc::new(MemoryStore::default());
        let vault = Vault::new(store.clone());
        let (root, other) = (
            custom("http://127.0.0.1:3000"),
            custom("http://127.0.0.1:3000/o"),
        );
        let old = legacy_app_secret_key(&root, "myapp");
        let new = vec![
            app_secret_key(&root, "myapp"),
            app_secret_key(&other, "myapp"),
        ];
        store.write(&old, "old", &"S".to_owned().into()).unwrap();
        assert_eq!(vault.move_entry(&old, new.clone()).await.unwrap(), 2);
        let mut expected = new.clone();
        expected.sort();
        assert_eq!(store.keys(), expected);
        for key in &new {
            let secret = vault.app_secret(key).await.unwrap().unwrap();
            assert_eq!(secret.expose_secret(), "S");
            assert_eq!(store.label(key), Some(entry_label(key)));
        }
        assert_eq!(vault.move_entry(&old, new.clone()).await.unwrap(), 0);

        // A new entry already there (written since) wins over the old one, which still goes.
        store
            .write(&old, "old", &"stale".to_owned().into())
            .unwrap();
        assert_eq!(vault.move_entry(&old, new.clone()).await.unwrap(), 0);
        assert_eq!(store.keys(), expected);
        let kept = vault.app_secret(&new[0]).await.unwrap().unwrap();
        assert_eq!(kept.expose_secret(), "S");
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

    /// A store shaped like a locked Secret Service collection: a lookup finds nothing, and
    /// anything that would change the collection is refused.
    struct LockedStore;

    impl SecretStore for LockedStore {
        fn read(&self, _key: &str) -> Result<Option<SecretString>, StoreError> {
            Ok(None)
        }

        fn write(&self, _key: &str, _label: &str, _value: &SecretString) -> Result<(), StoreError> {
            Err(StoreError::Unavailable(
                "Cannot create an item in a locked collection".into(),
            ))
        }

        fn delete(&self, _key: &str) -> Result<(), StoreError> {
            Err(StoreError::Unavailable("the collection is locked".into()))
        }
    }

    #[tokio::test]
    async fn a_locked_store_is_caught_by_the_write_probe() {
        let err = Vault::new(Arc::new(LockedStore))
            .check_available()
            .await
            .unwrap_err();
        assert_eq!(err.code(), "keyring_unavailable");
        let message = err.to_string();
        assert!(message.contains("in a locked collection"), "{message}");
        assert!(message.contains("Start and unlock"), "{message}");
    }

    #[tokio::test]
    async fn the_probe_leaves_nothing_behind() {
        let store = Arc::new(MemoryStore::default());
        Vault::new(store.clone()).check_available().await.unwrap();
        assert!(store.keys().is_empty(), "{:?}", store.keys());
    }

    #[tokio::test]
    async fn damaged_entries_are_reported_by_label_and_key() {
        let store = Arc::new(MemoryStore::default());
        let key = account_key(&custom("http://127.0.0.1:3000"), "myapp", "alice");
        store
            .write(&key, "x", &"not json".to_owned().into())
            .unwrap();
        let err = Vault::new(store).account(&key).await.unwrap_err();
        assert_eq!(err.code(), "keyring_entry_damaged");
        let message = err.to_string();
        assert!(message.contains("not Authdeck's JSON"), "{message}");
        assert!(
            message.contains(&format!("'{}'", entry_label(&key))),
            "{message}"
        );
        assert!(message.contains(&format!("(key '{key}')")), "{message}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_duplicated_item_is_named_for_deletion() {
        let key = app_secret_key(&custom("http://127.0.0.1:3000"), "myapp");
        let item = |label: &str| {
            let mut credential =
                keyring::secret_service::SsCredential::new_with_target(None, SERVICE, &key)
                    .unwrap();
            credential.label = label.to_owned();
            Box::new(credential) as Box<keyring::credential::Credential>
        };
        let duplicates = vec![item(&entry_label(&key)), item("keyring-rs v3 for ...")];
        let StoreError::Damaged(detail) = store_error(&key, keyring::Error::Ambiguous(duplicates))
        else {
            panic!("not reported as damaged");
        };
        assert_eq!(
            detail,
            format!(
                "the keyring holds 2 items labelled 'Authdeck: client secret of @myapp at http://127.0.0.1:3000' and 'keyring-rs v3 for ...' with the key '{key}', where Authdeck keeps one"
            )
        );
    }
}
