//! The benchmarks' signed-in core: an Authdeck over a real SQLite file and the in-memory
//! secret store (the keyring is read once per account and then served from the session
//! cache, so it does not weigh on the figures), with accounts signed in through the fake
//! Hivesigner's consent page exactly as the window's "Add account" does.

use std::sync::Arc;

use authdeck::accounts::AccountId;
use authdeck::clock::Clock;
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{MemoryStore, Vault};
use fake_hivesigner::{consent, Consent, FakeConfig, FakeHivesigner, RedirectRules};
use serde_json::json;

/// The benchmarks' app, registered at the fake with [`SECRET`].
pub const CLIENT_ID: &str = "benchapp";
/// The app's client secret.
pub const SECRET: &str = "bench-secret";

/// The fake Hivesigner the benchmarks sign in and broadcast through (any redirect URI of a
/// registered app accepted, answers at once).
pub async fn start_fake() -> FakeHivesigner {
    FakeHivesigner::start(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    })
    .await
}

/// A core in `data` on `clock`, with `users` signed in for [`CLIENT_ID`] (code flow, offline
/// scope), in order; returns their account ids beside their names.
pub async fn signed_in_core(
    fake: &FakeHivesigner,
    data: &std::path::Path,
    clock: Arc<dyn Clock>,
    users: impl IntoIterator<Item = String>,
) -> (Arc<Authdeck>, Vec<(AccountId, String)>) {
    fake.register_app(CLIENT_ID, SECRET, &["authdeck://callback"]);
    let core = Authdeck::new(Parts {
        registry: Registry::open(&data.join("registry.sqlite3")).unwrap(),
        vault: Vault::new(Arc::new(MemoryStore::default())),
        clock,
        events: Arc::new(RecordedEvents::default()),
        settings: Settings::default(),
    })
    .unwrap();
    let app = core
        .catalog()
        .register_app(
            serde_json::from_value(json!({
                "preset": "hivesigner_compatible",
                "baseUrl": fake.base_url(),
                "clientId": CLIENT_ID,
                "scopes": ["posting", "offline"],
                "redirectMode": "custom_scheme",
                "clientSecret": SECRET,
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let mut accounts = Vec::new();
    for user in users {
        fake.set_consent(Consent::AutoApprove { user: user.clone() });
        let started = core.sign_ins().start_sign_in(app.id, None).await.unwrap();
        let redirect = consent(&started.authorize_url).await.unwrap();
        let view = core.sign_ins().complete_sign_in(&redirect).await.unwrap();
        accounts.push((view.account.id, user));
    }
    (core, accounts)
}
