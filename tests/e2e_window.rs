//! End-to-end: the real window under Xvfb, driven over WebDriver.
//!
//! Run by `scripts/test.sh` (they are `#[ignore]`d for a bare `cargo test`, which has no
//! display, D-Bus session or drivers).

mod support;

use std::time::Duration;

use fake_hivesigner::{consent, Endpoint, FakeConfig, RedirectRules, TOKEN_PREFIX};
use fantoccini::Locator;
use serde_json::json;
use support::app::{exclusive, fake_provider, AppSession};
use support::deck::SECRET;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn window_heading_reads_authdeck() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;

    let heading = app.client.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Authdeck");
    assert_eq!(app.client.title().await.unwrap(), "Authdeck");

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn second_launch_hands_its_link_to_the_running_window_and_exits() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;

    let status = app.launch_again(
        &["authdeck://callback?code=abc&state=xyz"],
        Duration::from_secs(5),
    );
    let status = status.expect("the second instance exits within 5 s");
    assert!(status.success(), "the second instance exited with {status}");

    // No sign-in was waiting, so the running window refuses the answer and says why.
    let notice = app
        .wait_for_text(".notice-text", "Authdeck did not start this sign-in")
        .await;
    assert!(
        !notice.contains("abc") && !notice.contains("xyz"),
        "the notice shows query values: {notice}"
    );

    let status = app.launch_again(&["authdeck://settings?x=1"], Duration::from_secs(5));
    assert!(status.expect("second launch exits").success());
    app.wait_for_text(
        ".notice-warning .notice-text",
        "only understands 'authdeck://callback'",
    )
    .await;

    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn a_sign_in_through_the_deep_link_reaches_the_running_window() {
    let _one_app = exclusive().await;
    let config = FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    };
    let fake = fake_provider(config, "e2eapp", &["authdeck://callback"]).await;
    let app = AppSession::start().await;

    let input = json!({ "input": {
        "preset": "hivesigner_compatible",
        "baseUrl": fake.base_url(),
        "clientId": "e2eapp",
        "scopes": ["posting", "offline"],
        "redirectMode": "custom_scheme",
        "clientSecret": SECRET,
    }});
    let registered = app.invoke("register_app", input).await.unwrap();
    let started = app
        .invoke("start_sign_in", json!({ "appId": registered["id"] }))
        .await
        .unwrap();
    let authorize_url = started["authorizeUrl"].as_str().unwrap();
    assert!(authorize_url.starts_with(&fake.base_url()), "{started}");

    // The browser's part: consent, and the desktop opening the redirect in a second launch.
    let redirect = consent(authorize_url)
        .await
        .expect("the provider redirects");
    assert!(redirect.starts_with("authdeck://callback?"), "{redirect}");
    let status = app.launch_again(&[&redirect], Duration::from_secs(5));
    assert!(status.expect("the second instance exits").success());

    app.wait_for_text(".notice-text", "Signed in @alice for the app @e2eapp")
        .await;
    let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
    assert_eq!(accounts[0]["username"], "alice", "{accounts}");
    assert_eq!(accounts[0]["health"], "fresh");
    assert_eq!(fake.count(Endpoint::CodeExchange), 1);

    // No token and no secret in what the window got, nor in the registry and the logs.
    let files = app.data_files();
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    assert!(names.iter().any(|n| n.ends_with(".log")), "{names:?}");
    assert!(
        names.iter().any(|n| n.contains("registry.sqlite3")),
        "{names:?}"
    );
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for needle in [TOKEN_PREFIX, SECRET] {
            assert!(!text.contains(needle), "{needle} in {}", path.display());
        }
    }
    for reply in [registered, started, accounts] {
        for needle in [TOKEN_PREFIX, SECRET] {
            assert!(!reply.to_string().contains(needle), "{needle} in {reply}");
        }
    }
    app.stop().await;
}
