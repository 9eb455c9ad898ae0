//! End-to-end: voting from two accounts and replying through the real window, against the
//! fake Hivesigner; the fake receives exactly the operations the confirm step showed, and the
//! activity view lists all three broadcasts.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{json, Value};
use support::app::{exclusive, AppSession, APP_BINARY, BROWSER_STAND_IN, UI_TIMEOUT};
use support::deck::SECRET;
use support::fake_hivesigner::{Consent, FakeConfig, FakeHivesigner, RedirectRules};

/// Signs `user` in to `app_id` through the window's command, the browser stand-in approving.
async fn sign_in(app: &AppSession, fake: &FakeHivesigner, app_id: &Value, user: &str) {
    fake.set_consent(Consent::AutoApprove { user: user.into() });
    app.invoke("start_sign_in", json!({ "appId": app_id }))
        .await
        .unwrap();
    let deadline = Instant::now() + UI_TIMEOUT;
    while Instant::now() < deadline {
        let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
        if accounts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["username"] == user)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("@{user} did not sign in");
}

/// Confirms the open review dialog and returns the operations it showed, per account.
async fn confirm_review(app: &AppSession, expected_items: usize) -> Vec<Value> {
    app.element("#review-dialog[open]").await;
    let shown = app
        .client
        .find_all(Locator::Css("#review-dialog .review-item pre"))
        .await
        .unwrap();
    assert_eq!(shown.len(), expected_items);
    let mut operations = Vec::new();
    for pre in shown {
        operations.push(serde_json::from_str(&pre.text().await.unwrap()).unwrap());
    }
    app.click("#review-dialog [data-confirm]").await;
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn votes_from_two_accounts_and_a_reply_are_sent_as_confirmed_and_logged() {
    let _one_app = exclusive().await;
    let fake = FakeHivesigner::start(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    })
    .await;
    fake.register_app("castapp", SECRET, &["http://127.0.0.1/callback"]);
    let app = AppSession::start_with_env(HashMap::from([
        ("BROWSER".into(), BROWSER_STAND_IN.into()),
        ("AUTHDECK_APP".into(), APP_BINARY.into()),
    ]))
    .await;
    let registered = app
        .invoke(
            "register_app",
            json!({ "input": {
                "preset": "hivesigner_compatible",
                "baseUrl": fake.base_url(),
                "clientId": "castapp",
                "scopes": ["posting", "offline"],
                "clientSecret": SECRET,
            }}),
        )
        .await
        .unwrap();
    for user in ["alice", "bob"] {
        sign_in(&app, &fake, &registered["id"], user).await;
    }

    // Vote 50 % from both accounts.
    app.click("button[data-view=vote]").await;
    app.click("input[aria-label='Vote with @alice (@castapp)']")
        .await;
    app.click("input[aria-label='Vote with @bob (@castapp)']")
        .await;
    app.type_into("#vote-link", "https://peakd.com/hive-1/@carol/carols-post")
        .await;
    app.wait_for_text("#vote-link-result", "Post @carol/carols-post")
        .await;
    app.type_into("#vote-weight", "50").await;
    app.click("#vote-form [type=submit]").await;
    let mut confirmed = confirm_review(&app, 2).await;
    app.wait_for_text("#vote-results", "2 of 2 sent").await;

    // Reply as alice.
    app.click("button[data-view=post]").await;
    app.select("#post-account", &alice_id(&app).await).await;
    app.type_into("#post-reply-to", "@carol/carols-post").await;
    app.type_into("#post-body", "Nice post, **carol**!").await;
    app.wait_for_text("#post-preview", "Nice post, carol!")
        .await;
    app.click("#post-form [type=submit]").await;
    confirmed.extend(confirm_review(&app, 1).await);
    app.wait_for_text("#post-results", "1 of 1 sent").await;

    // The provider got exactly what was confirmed (the two votes in either order).
    let mut received = fake.broadcasts();
    let sort = |list: &mut Vec<Value>| list.sort_by_key(|ops| ops.to_string());
    sort(&mut received);
    sort(&mut confirmed);
    assert_eq!(received, confirmed);
    let votes: Vec<&Value> = confirmed.iter().filter(|ops| ops[0][0] == "vote").collect();
    assert_eq!(votes.len(), 2);
    assert!(
        votes.iter().all(|ops| ops[0][1]["weight"] == 5000),
        "{votes:?}"
    );
    let reply = confirmed.iter().find(|ops| ops[0][0] == "comment").unwrap();
    assert!(reply[0][1]["permlink"]
        .as_str()
        .unwrap()
        .starts_with("re-carol-carols-post-"));

    // All three are in the activity view.
    app.click("button[data-view=activity]").await;
    app.wait_for_text("#activity-list", "reply to @carol/carols-post")
        .await;
    let entries = app
        .client
        .find_all(Locator::Css("#activity-list .activity-sent"))
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    app.stop().await;
}

async fn alice_id(app: &AppSession) -> String {
    let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
    accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "alice")
        .map(|a| a["id"].to_string())
        .unwrap()
}
