//! End-to-end: the accounts window, driven like a person would, against the fake Hivesigner,
//! with the browser replaced by `tests/support/browser.sh` (it approves on the consent page and
//! delivers the redirect through the loopback listener or a second launch).
//!
//! Run by `scripts/test.sh` (they need a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use authdeck::accounts::{Health, NewAccount};
use authdeck::apps::{AppInput, Flow};
use authdeck::registry::Registry;
use fake_hivesigner::{Consent, Endpoint, Failure, FakeConfig, RedirectRules};
use serde_json::json;
use support::app::{exclusive, fake_provider, AppSession};
use support::deck::SECRET;
use support::keyring;

/// Where the walk-through leaves its picture of the window (`scripts/screenshot.sh` copies it
/// to `docs/screenshot.png`).
fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/accounts-window.png")
}

fn row(username: &str) -> String {
    format!("@{username}")
}

async fn add_account(app: &AppSession, app_id: &serde_json::Value) {
    app.click("#add-account").await;
    app.select("#add-account-app", &app_id.to_string()).await;
    app.click("#add-account-dialog [data-submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn the_accounts_window_from_registration_to_removal() {
    let _one_app = exclusive().await;
    let config = FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    };
    let redirect_uris = ["http://127.0.0.1/callback", "authdeck://callback"];
    let fake = fake_provider(config, "webapp", &redirect_uris).await;
    let app = AppSession::start_with_browser(&[("AUTHDECK_REFRESH_INTERVAL_SECS", "1")]).await;

    // A first-time person sees what to do.
    app.wait_for_text("#accounts-empty", "No accounts yet")
        .await;

    // Register the app through the form; a bad client id is named at its field first.
    app.click("button[data-view=apps]").await;
    app.click("#register-app").await;
    app.select("#app-preset", "hivesigner_compatible").await;
    app.type_into("#app-base-url", &fake.base_url()).await;
    app.type_into("#app-client-id", "Web App").await;
    app.type_into("#app-secret", SECRET).await;
    app.click("#app-dialog [data-submit]").await;
    app.wait_for_text("#app-client-id-error", "not an account name")
        .await;
    app.type_into("#app-client-id", "webapp").await;
    app.click("#app-dialog [data-submit]").await;
    let card = app.wait_for_text(".app-card", "@webapp").await;
    assert!(card.contains("set (kept in your keyring)"), "{card}");
    assert!(!card.contains(SECRET), "{card}");
    let apps = app.invoke("list_apps", json!({})).await.unwrap();
    let app_id = apps[0]["id"].clone();

    // Alice through the loopback listener: the new row appears, highlighted.
    add_account(&app, &app_id).await;
    let alice = app
        .wait_for_text(".account-row.row-new", &row("alice"))
        .await;
    assert!(alice.contains("posting: vote, comment"), "{alice}");
    assert!(
        alice.contains("expires in 6 d 23 h") || alice.contains("expires in 7 d 0 h"),
        "{alice}"
    );
    assert!(alice.contains("Fresh"), "{alice}");

    // Switch the app to the deep link; Carol signs in through a second launch.
    app.click("button[data-view=apps]").await;
    app.click("button[aria-label='Edit @webapp']").await;
    app.click("#app-redirect-custom").await;
    app.click("#app-dialog [data-submit]").await;
    app.wait_for_text(".app-card", "deep link").await;
    fake.set_consent(Consent::AutoApprove {
        user: "carol".into(),
    });
    add_account(&app, &app_id).await;
    app.wait_for_text(".account-row", &row("carol")).await;

    // Bob gets 12-second tokens: the background refresher renews them (slowly, so the row is
    // seen refreshing), then the provider starts refusing and the row asks for a sign-in.
    fake.set_consent(Consent::AutoApprove { user: "bob".into() });
    fake.set_expires_in(12);
    fake.fail_next(
        Endpoint::Refresh,
        Failure::Delay(std::time::Duration::from_secs(3)),
    );
    add_account(&app, &app_id).await;
    app.wait_for_text(".account-row", &row("bob")).await;
    app.wait_for_text(".account-row.health-refreshing", &row("bob"))
        .await;
    app.wait_for_text(".account-row.health-fresh", &row("bob"))
        .await;
    assert!(fake.count(Endpoint::Refresh) >= 1);
    fake.refuse_refresh(true);
    let bob = app
        .wait_for_text(".account-row.health-needs-sign-in", &row("bob"))
        .await;
    assert!(bob.contains("no longer accepts"), "{bob}");
    let first = app
        .element("#account-rows .account-row")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        first.contains(&row("bob")),
        "needs sign-in sorts first: {first}"
    );
    app.screenshot(&screenshot_path()).await;

    // Remove Alice: gone from the window, the registry and the keyring.
    app.click("button[aria-label='Remove @alice']").await;
    app.wait_for_text("#confirm-dialog", "revoke the token of @alice")
        .await;
    app.click("#confirm-dialog [data-confirm]").await;
    app.wait_for_text(".notice-text", "Removed @alice").await;
    app.wait_until_gone(".account-row", &row("alice")).await;
    let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["username"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"alice"), "{names:?}");
    let keys = keyring::keys("authdeck");
    assert!(
        !keys.iter().any(|key| key.ends_with("/webapp/alice")),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|key| key.ends_with("/webapp/carol")),
        "{keys:?}"
    );
    assert_eq!(fake.count(Endpoint::Revoke), 1);
    app.stop().await;
}

/// Seeds `count` accounts of one app straight into the registry (display only: no tokens).
fn seed_accounts(data_dir: &Path, count: usize) {
    let registry = Registry::open(&data_dir.join(authdeck::REGISTRY_FILE)).unwrap();
    let app: AppInput = serde_json::from_value(json!({
        "preset": "hivesigner",
        "clientId": "benchapp",
        "scopes": ["posting", "offline"],
    }))
    .unwrap();
    let app_id = registry
        .insert_app(&app.validate().unwrap(), true, 0)
        .unwrap();
    let now = authdeck::clock::Clock::now(&authdeck::clock::SystemClock);
    for index in 0..count {
        let id = registry
            .upsert_account(
                &NewAccount {
                    app_id,
                    username: format!("user{index:05}"),
                    scopes: vec!["vote".into(), "comment".into(), "custom_json".into()],
                    flow: if index % 5 == 0 {
                        Flow::Implicit
                    } else {
                        Flow::Code
                    },
                    issued_at: now,
                    expires_at: Some(now + 3_600 + index as i64 * 600),
                },
                now,
            )
            .unwrap();
        if index % 7 == 0 {
            registry
                .set_health(
                    id,
                    Health::NeedsSignIn,
                    Some("The provider refused the grant."),
                )
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and the drivers: run scripts/test.sh"]
async fn a_thousand_accounts_render_and_the_time_is_reported() {
    const COUNT: usize = 1_000;
    let _one_app = exclusive().await;
    let app = AppSession::start_prepared(HashMap::new(), |data| seed_accounts(data, COUNT)).await;
    app.wait_for_text("#account-count", "1000 accounts").await;
    let rows = app
        .client
        .find_all(fantoccini::Locator::Css("#account-rows .account-row"))
        .await
        .unwrap();
    assert_eq!(rows.len(), COUNT);

    // The page's own marks: the whole load (command + rows + layout), and its parts.
    let measures = app
        .client
        .execute(
            "const last = (name) => performance.getEntriesByName(name).pop();
             return [last('accounts-load').duration, last('accounts-render').duration,
                     last('accounts-rows-built').startTime - last('accounts-render-start').startTime];",
            vec![],
        )
        .await
        .unwrap();
    let [load, render, build] =
        [0, 1, 2].map(|i| measures[i].as_f64().expect("the page measured it"));
    let report = format!(
        "accounts window: {COUNT} accounts listed and rendered in {load:.0} ms \
         (building the rows {build:.0} ms, rows + layout {render:.0} ms, the rest is the command)\n"
    );
    print!("{report}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/accounts-render.txt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, report).unwrap();

    // Filtering narrows the rows without a round trip to the app.
    app.type_into("#account-filter", "user0099").await;
    app.wait_for_text("#account-count", "10 of 1000 accounts")
        .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_pasted_browser_address_adds_the_account() {
    let _one_app = exclusive().await;
    let redirect_uris = ["http://127.0.0.1/callback"];
    let fake = fake_provider(FakeConfig::default(), "pasteapp", &redirect_uris).await;
    // The system browser opens nothing here: the person opens the address elsewhere.
    let app = AppSession::start().await;
    let input = json!({
        "preset": "hivesigner_compatible",
        "baseUrl": fake.base_url(),
        "clientId": "pasteapp",
        "scopes": ["posting", "offline"],
        "redirectMode": "loopback",
        "clientSecret": SECRET,
    });
    let registered = app
        .invoke("register_app", json!({ "input": input }))
        .await
        .unwrap();
    app.click("button[data-view=apps]").await;
    app.wait_for_text(".app-card", "@pasteapp").await;
    add_account(&app, &registered["id"]).await;

    // The person approves in another browser, which ends on the loopback address.
    let consent_page = app
        .element("#sign-in-url")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("the panel shows the consent page");
    let redirect = fake_hivesigner::consent(&consent_page)
        .await
        .expect("the provider redirects back");

    // Something else pasted is refused at the field; the sign-in keeps waiting.
    app.type_into(
        "#sign-in-pasted",
        "https://evil.example/callback?code=x&state=y",
    )
    .await;
    app.click("#sign-in-panel [data-paste]").await;
    app.wait_for_text(
        "#sign-in-pasted-error",
        "it starts with authdeck://callback",
    )
    .await;

    app.type_into("#sign-in-pasted", &redirect).await;
    app.click("#sign-in-panel [data-paste]").await;
    app.click("button[data-view=accounts]").await;
    app.wait_for_text(".account-row", &row("alice")).await;
    let panel = app
        .client
        .find(fantoccini::Locator::Css("#sign-in-panel"))
        .await
        .unwrap();
    assert!(!panel.is_displayed().await.unwrap(), "the panel closed");
    // The listener closed with the pasted answer: the browser's own request finds nothing.
    assert!(reqwest::get(&redirect).await.is_err());
    assert_eq!(fake.count(Endpoint::CodeExchange), 1);
    app.stop().await;
}
