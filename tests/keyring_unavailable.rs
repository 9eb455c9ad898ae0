//! Without a usable keyring Authdeck stores nothing and says what to do. This binary points
//! the Secret Service client at a D-Bus address where nothing listens (its own process, so no
//! other test is affected).

mod support;

use std::sync::Arc;

use authdeck::clock::SystemClock;
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts};
use authdeck::vault::{KeyringStore, Vault};
use fake_hivesigner::{Endpoint, FakeConfig, FakeHivesigner};
use support::deck::test_settings;

#[tokio::test]
async fn without_a_keyring_nothing_is_stored_and_the_error_says_what_to_do() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/authdeck-no-bus",
    );
    let fake = FakeHivesigner::start(FakeConfig::default()).await;
    let data = tempfile::tempdir().unwrap();
    let core = Authdeck::new(Parts {
        registry: Registry::open(&data.path().join("registry.sqlite3")).unwrap(),
        vault: Vault::new(Arc::new(KeyringStore::new("authdeck-test-no-keyring"))),
        clock: Arc::new(SystemClock),
        events: Arc::new(RecordedEvents::default()),
        settings: test_settings(),
    })
    .unwrap();
    let input = |secret: Option<&str>, scopes: &[&str]| {
        serde_json::from_value(serde_json::json!({
            "preset": "hivesigner_compatible",
            "baseUrl": fake.base_url(),
            "clientId": "nokeyring",
            "scopes": scopes,
            "clientSecret": secret,
        }))
        .unwrap()
    };

    let err = core
        .catalog()
        .register_app(input(Some("a-secret"), &["posting", "offline"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "keyring_unavailable");
    let message = err.message();
    assert!(message.contains("nothing was stored"), "{message}");
    assert!(
        message.contains("Start and unlock a Secret Service keyring"),
        "{message}"
    );
    assert!(
        core.catalog().list_apps().unwrap().is_empty(),
        "the app was not recorded"
    );

    // An app without a secret can be recorded, but no sign-in starts without a keyring.
    let app = core
        .catalog()
        .register_app(input(None, &["posting"]))
        .await
        .unwrap();
    let err = core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "keyring_unavailable");
    assert_eq!(fake.count(Endpoint::Authorize), 0);
    assert!(core.catalog().list_accounts().unwrap().is_empty());
}
