//! The window's end-to-end set-ups shared by the walk-throughs (`tests/e2e_compose.rs`,
//! `tests/e2e_desk.rs`, `tests/e2e_forms.rs`): the fake Hivesigner with an app for the
//! loopback redirect and the window with it registered (with a fake API node as its chain, if
//! asked), accounts signed in through the window's command, and the review dialog read and
//! confirmed.

use std::collections::HashMap;
use std::sync::Arc;

use fake_hivesigner::node::FakeNode;
use fake_hivesigner::{Consent, FakeConfig, FakeHivesigner, RedirectRules};
use fantoccini::Locator;
use serde_json::{json, Value};

use super::app::{app_with_fake_provider, poll_until, AppSession, UI_TIMEOUT};

/// Where the walk-throughs keep their pictures for review (`target/screenshots/`).
pub fn shot(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name)
}

/// The fake Hivesigner with the app `client_id` registered for the loopback redirect (any
/// generation), and the window (with `env` added) with `client_id` registered in it against
/// the fake; `register_app`'s reply last.
pub async fn loopback_app(
    client_id: &str,
    env: &[(&str, &str)],
) -> (FakeHivesigner, AppSession, Value) {
    let config = FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    };
    app_with_fake_provider(config, client_id, env).await
}

/// A fake API node whose chain sees what the fake Hivesigner broadcasts, and
/// [`loopback_app`] with the window using that node as its Hive node (and `env` added).
pub async fn loopback_app_with_node(
    client_id: &str,
    env: &[(&str, &str)],
) -> (Arc<FakeNode>, FakeHivesigner, AppSession, Value) {
    let node = Arc::new(FakeNode::start().await);
    let url = node.url();
    let mut all = vec![("AUTHDECK_HIVE_NODES", url.as_str())];
    all.extend_from_slice(env);
    let (fake, app, registered) = loopback_app(client_id, &all).await;
    let chain = node.clone();
    fake.on_broadcast(Arc::new(move |operations| chain.apply(operations)));
    (node, fake, app, registered)
}

/// Signs `user` in to `app_id` through the window's command, the browser stand-in approving.
pub async fn sign_in(app: &AppSession, fake: &FakeHivesigner, app_id: &Value, user: &str) {
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
pub async fn usernames(app: &AppSession) -> HashMap<String, String> {
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

/// The id of the account `user`, as the page writes it.
pub async fn account_id(app: &AppSession, user: &str) -> String {
    usernames(app)
        .await
        .into_iter()
        .find(|(_, name)| name == user)
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("@{user} is signed in"))
}

/// The JSON text fields the review reads as JSON (`ui/review.js`).
const JSON_TEXT_FIELDS: [&str; 2] = ["json", "json_metadata"];

/// `value` with every string equal to `from` replaced by `to`, also inside the JSON text of
/// `json` and `json_metadata` (custom_json names its account there): what another account of
/// a review block sends, the block showing its first account's operations only. The review
/// groups accounts only when such text is exactly what `JSON.stringify` writes, which is what
/// `serde_json` writes here too.
pub fn with_name(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(text) if text.as_str() == from => Value::String(to.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| with_name(v, from, to)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, v)| {
                    let inner = v
                        .as_str()
                        .filter(|_| JSON_TEXT_FIELDS.contains(&key.as_str()))
                        .and_then(|text| serde_json::from_str::<Value>(text).ok());
                    let renamed = match inner {
                        Some(inner) => Value::String(with_name(&inner, from, to).to_string()),
                        None => with_name(v, from, to),
                    };
                    (key.clone(), renamed)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Confirms the open review dialog and returns the operations it showed, one list per account:
/// it must show `expected_blocks` blocks (`section.review-item`), each with the exact operations
/// of the first account in its `data-account-ids` in one `pre.operations`, which the block's
/// other accounts send with their own name in place of the first one's.
pub async fn confirm_review(app: &AppSession, expected_blocks: usize) -> Vec<Value> {
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

/// Runs `script` (a function body) in the window and returns what it returns.
pub async fn script(app: &AppSession, script: &str) -> Value {
    app.client
        .execute(script, vec![])
        .await
        .expect("the script runs in the window")
}

/// Whether the focused element is the review dialog's Cancel button.
pub async fn cancel_is_focused(app: &AppSession) -> bool {
    let script_text = "return document.activeElement === \
                       document.querySelector('#review-dialog [data-cancel]');";
    script(app, script_text).await == Value::Bool(true)
}

/// Whether the review dialog is open now.
pub async fn review_is_open(app: &AppSession) -> bool {
    script(app, "return document.querySelector('#review-dialog').open;").await == Value::Bool(true)
}

/// Opens the activity view, waits until its list shows `needle`, and returns how many of its
/// entries were sent.
pub async fn sent_in_activity(app: &AppSession, needle: &str) -> usize {
    app.click("button[data-view=activity]").await;
    app.wait_for_text("#activity-list", needle).await;
    app.client
        .find_all(Locator::Css("#activity-list .activity-sent"))
        .await
        .unwrap()
        .len()
}

/// `list` sorted by its JSON text (batches send their accounts in any order).
pub fn sorted(mut list: Vec<Value>) -> Vec<Value> {
    list.sort_by_key(|ops| ops.to_string());
    list
}
