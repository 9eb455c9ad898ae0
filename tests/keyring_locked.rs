//! A locked keyring is caught before the browser opens: `start_sign_in` fails with the keyring
//! error, for an implicit-flow and a code-flow app alike, and the provider is never asked. The
//! test locks the session keyring's default collection and unlocks it again (even when an
//! assertion fails), so the test binaries that run after it in the same session still find an
//! unlocked keyring.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use authdeck::signin::SignInStarted;
use authdeck::vault::{KeyringStore, Vault, PROBE_KEY};
use dbus::arg::{RefArg, Variant};
use dbus::blocking::Connection;
use dbus::Path;
use dbus_secret_service::{EncryptionType, SecretService};
use fake_hivesigner::{Endpoint, FakeConfig};
use support::deck::Deck;

/// How long a sign-in start may take before the test gives up on it.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one D-Bus call of the unlock may take.
const DBUS_TIMEOUT: Duration = Duration::from_secs(5);
/// The master passwords the unlock tries, in order: what `scripts/session.sh` pipes into
/// `gnome-keyring-daemon --unlock` (`printf "\n"`: gnome-keyring keeps the newline), then an
/// empty one.
const MASTER_PASSWORDS: [&[u8]; 2] = [b"\n", b""];

/// The session keyring's default collection, locked for as long as this lives.
struct LockedCollection {
    path: Path<'static>,
}

impl LockedCollection {
    /// Locks the default collection through the Secret Service API.
    fn lock() -> Self {
        let service = SecretService::connect(EncryptionType::Plain).expect("a Secret Service");
        let collection = service
            .get_default_collection()
            .expect("a default collection");
        collection.lock().expect("the default collection locks");
        let locked = Self {
            path: collection.path.clone(),
        };
        assert!(collection.is_locked().unwrap(), "the collection is locked");
        locked
    }

    /// Unlocks the collection with gnome-keyring's master-password call, which needs no
    /// prompter (the test session's D-Bus starts none). The secret's session comes from the
    /// same connection, as gnome-keyring requires.
    fn unlock(&self) -> Result<(), dbus::Error> {
        let connection = Connection::new_session()?;
        let service = connection.with_proxy(
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            DBUS_TIMEOUT,
        );
        let (_, session): (Variant<Box<dyn RefArg>>, Path<'static>) = service.method_call(
            "org.freedesktop.Secret.Service",
            "OpenSession",
            ("plain", Variant("")),
        )?;
        let mut result = Ok(());
        for password in MASTER_PASSWORDS {
            let master = (
                session.clone(),
                Vec::<u8>::new(),
                password.to_vec(),
                "text/plain",
            );
            result = service.method_call(
                "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                "UnlockWithMasterPassword",
                (self.path.clone(), master),
            );
            if result.is_ok() {
                break;
            }
        }
        result
    }
}

impl Drop for LockedCollection {
    fn drop(&mut self) {
        if let Err(err) = self.unlock() {
            eprintln!(
                "could not unlock the keyring collection {}: {err}",
                self.path
            );
        }
    }
}

/// Awaits the sign-in start `start`, bounded by [`START_TIMEOUT`].
async fn bounded(
    start: impl Future<Output = authdeck::error::Result<SignInStarted>>,
) -> authdeck::error::Result<SignInStarted> {
    tokio::time::timeout(START_TIMEOUT, start)
        .await
        .expect("the sign-in start finishes in time")
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_locked_keyring_stops_the_sign_in_before_the_browser_opens() {
    let deck = Deck::start(FakeConfig::default()).await;
    let implicit = deck.implicit_app("lockedimplicit").await;
    let code = deck.deep_link_app("lockedcode").await;

    let locked = LockedCollection::lock();
    for app in [&implicit, &code] {
        let err = bounded(deck.core.sign_ins().start_sign_in(app.id, None))
            .await
            .expect_err("no sign-in starts with a locked keyring");
        assert_eq!(err.code(), "keyring_unavailable", "{}", app.client_id);
        let message = err.message();
        assert!(message.contains("locked collection"), "{message}");
        assert!(
            message.contains("Start and unlock a Secret Service keyring"),
            "{message}"
        );
    }
    assert_eq!(deck.fake.count(Endpoint::Authorize), 0);
    drop(locked);

    // Unlocked again: the keyring takes writes, and no probe entry was left behind.
    Vault::new(Arc::new(KeyringStore::new(deck.service.clone())))
        .check_available()
        .await
        .expect("the keyring is unlocked again");
    bounded(deck.core.sign_ins().start_sign_in(implicit.id, None))
        .await
        .expect("a sign-in starts once the keyring is unlocked");
    let keys = deck.keyring_keys();
    assert!(!keys.iter().any(|key| key == PROBE_KEY), "{keys:?}");
}
