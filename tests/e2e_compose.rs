//! End-to-end: voting from two accounts and replying through the real window, against the
//! fake Hivesigner; the fake receives exactly the operations the confirm step showed, and the
//! activity view lists all three broadcasts.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use fake_hivesigner::node::FakeNode;
use fake_hivesigner::{Consent, Endpoint, Failure, FakeConfig, FakeHivesigner, RedirectRules};
use fantoccini::Locator;
use serde_json::{json, Value};
use support::app::{app_with_fake_provider, exclusive, poll_until, AppSession, UI_TIMEOUT};

/// Where the walk-through keeps its pictures for review (`target/screenshots/`).
fn shot(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name)
}

/// The fake Hivesigner with the app `castapp` registered for the loopback redirect, and the
/// window (with `env` added) with `castapp` registered in it against the fake.
async fn castapp(env: &[(&str, &str)]) -> (FakeHivesigner, AppSession, Value) {
    let config = FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    };
    app_with_fake_provider(config, "castapp", env).await
}

/// Signs `user` in to `app_id` through the window's command, the browser stand-in approving.
async fn sign_in(app: &AppSession, fake: &FakeHivesigner, app_id: &Value, user: &str) {
    fake.set_consent(Consent::AutoApprove { user: user.into() });
    app.invoke("start_sign_in", json!({ "appId": app_id }))
        .await
        .unwrap();
    poll_until(&format!("@{user} to sign in"), UI_TIMEOUT, || async {
        let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
        accounts
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["username"] == user)
            .then_some(())
    })
    .await
}

/// The account names by id, as the dialog's `data-account-ids` writes the ids.
async fn usernames(app: &AppSession) -> HashMap<String, String> {
    let accounts = app.invoke("list_accounts", json!({})).await.unwrap();
    accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].to_string(),
                a["username"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `value` with every string equal to `from` replaced by `to`: what another account of a
/// review block sends, the block showing its first account's operations only. (Strings inside
/// JSON text are left alone: the votes and replies here carry no name there.)
fn with_name(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(text) if text.as_str() == from => Value::String(to.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_name(v, from, to)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, v)| (key.clone(), with_name(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Confirms the open review dialog and returns the operations it showed, one list per account:
/// it must show `expected_blocks` blocks (`section.review-item`), each with the exact operations
/// of the first account in its `data-account-ids` in one `pre.operations`, which the block's
/// other accounts send with their own name in place of the first one's.
async fn confirm_review(app: &AppSession, expected_blocks: usize) -> Vec<Value> {
    app.element("#review-dialog[open]").await;
    let names = usernames(app).await;
    let blocks = app
        .client
        .find_all(Locator::Css("#review-dialog section.review-item"))
        .await
        .unwrap();
    assert_eq!(blocks.len(), expected_blocks);
    let mut operations = Vec::new();
    for block in blocks {
        let ids = block
            .attr("data-account-ids")
            .await
            .unwrap()
            .expect("a block names the accounts it covers");
        let shown = block
            .find_all(Locator::Css("pre.operations"))
            .await
            .unwrap();
        assert_eq!(shown.len(), 1, "one pre.operations in the block of {ids}");
        // Behind a closed disclosure: its text as it is, not as rendered.
        let text = shown[0]
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default();
        let first_operations: Value = serde_json::from_str(&text).unwrap();
        let mut ids = ids.split(',');
        let first = &names[ids.next().unwrap()];
        operations.push(first_operations.clone());
        operations.extend(ids.map(|id| with_name(&first_operations, first, &names[id])));
    }
    app.click("#review-dialog [data-confirm]").await;
    operations
}

/// Whether the focused element is the review dialog's Cancel button.
async fn cancel_is_focused(app: &AppSession) -> bool {
    let focused = app
        .client
        .execute(
            "return document.activeElement === document.querySelector('#review-dialog [data-cancel]');",
            vec![],
        )
        .await
        .unwrap();
    focused == Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn votes_from_two_accounts_and_a_reply_are_sent_as_confirmed_and_logged() {
    let _one_app = exclusive().await;
    let (fake, app, registered) = castapp(&[]).await;
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
    // The dialog opens on Cancel (Enter twice never sends) and says in words what is sent; the
    // two votes are one block.
    app.element("#review-dialog[open]").await;
    assert!(cancel_is_focused(&app).await, "the review opens on Cancel");
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice upvotes @carol/carols-post at 50 %",
    )
    .await;
    app.screenshot(&shot("review-vote.png")).await;
    let mut confirmed = confirm_review(&app, 1).await;
    assert_eq!(confirmed.len(), 2, "one vote per account: {confirmed:?}");
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
    // Published: the form is emptied (a second Send cannot publish a copy) and the new reply's
    // address on a front end is shown.
    app.wait_for_text(
        "#post-results .published",
        "https://hive.blog/@alice/re-carol-carols-post-",
    )
    .await;
    app.screenshot(&shot("post-published.png")).await;
    for field in ["#post-body", "#post-reply-to"] {
        let value = app.element(field).await.prop("value").await.unwrap();
        assert_eq!(value.as_deref(), Some(""), "{field} is emptied");
    }

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_retry_goes_through_the_review_and_marks_the_failure_resolved() {
    let _one_app = exclusive().await;
    let node = Arc::new(FakeNode::start().await);
    let (fake, app, registered) = castapp(&[("AUTHDECK_HIVE_NODES", &node.url())]).await;
    let chain = node.clone();
    fake.on_broadcast(Arc::new(move |operations| chain.apply(operations)));
    sign_in(&app, &fake, &registered["id"], "alice").await;

    // The provider's node fails the vote: a failure in the log.
    fake.fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    app.click("button[data-view=vote]").await;
    app.click("input[aria-label='Vote with @alice (@castapp)']")
        .await;
    app.type_into("#vote-link", "@carol/carols-post").await;
    app.type_into("#vote-weight", "25").await;
    app.click("#vote-form [type=submit]").await;
    let first = confirm_review(&app, 1).await;
    app.wait_for_text("#vote-results", "0 of 1 sent").await;
    assert!(fake.broadcasts().is_empty());

    // Retry from the log opens the same review; nothing goes out before Confirm. (The post
    // card read the post's votes while the link was typed; the retry reads none.)
    let card_reads = node.count("condenser_api.get_active_votes");
    app.click("button[data-view=activity]").await;
    app.click("#activity-list .activity-failed button.retry")
        .await;
    app.element("#review-dialog[open]").await;
    assert!(
        cancel_is_focused(&app).await,
        "the retry's review opens on Cancel"
    );
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice upvotes @carol/carols-post at 25 %",
    )
    .await;
    assert!(fake.broadcasts().is_empty(), "a retry never sends at once");
    let again = confirm_review(&app, 1).await;
    assert_eq!(again, first, "the retry sends exactly what was logged");
    app.wait_for_text("#activity-results", "1 of 1 sent").await;
    assert_eq!(fake.broadcasts(), first);

    // The failure now says it was resolved, and "Errors only" no longer lists it.
    app.wait_for_text("#activity-list .activity-resolved", "Resolved")
        .await;
    app.screenshot(&shot("activity-resolved.png")).await;
    app.click("#activity-errors").await;
    app.wait_until_gone("#activity-list", "carols-post").await;
    assert_eq!(
        node.count("condenser_api.get_active_votes"),
        card_reads,
        "a plain failure needs no chain check"
    );
    app.stop().await;
}
