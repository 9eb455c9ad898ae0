//! End-to-end: the accounts window, driven like a person would, against the fake Hivesigner,
//! with the browser replaced by `tests/support/browser.sh` (it approves on the consent page and
//! delivers the redirect through the loopback listener or a second launch).
//!
//! Run by `scripts/test.sh` (they need a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fake_hivesigner::{Consent, Endpoint, Failure, FakeConfig, RedirectRules};
use serde_json::json;
use support::app::{exclusive, fake_provider, poll_until, AppSession, UI_TIMEOUT};
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

/// Rows the accounts view keeps in the DOM above and below those in view (`BUFFER_ROWS` in
/// ui/accounts.js).
const BUFFER_ROWS: u64 = 30;

/// The windowed accounts list as the page has it now: the rows in the DOM (their names), a
/// row's height with its gap, the list's height, the rows in view and those of them whose
/// content sticks out of the row, where the last row ends against the list's end, the focused
/// row, and the most rows the window may hold.
async fn list_state(app: &AppSession) -> serde_json::Value {
    app.client
        .execute(
            "const rows = document.getElementById('account-rows');
             const all = [...rows.querySelectorAll('.account-row')];
             const name = (row) => row ? row.querySelector('.account-name').textContent : null;
             const gapUnder = (row) => parseFloat(getComputedStyle(row).marginBottom) || 0;
             const pitch = all.length ? all[0].getBoundingClientRect().height + gapUnder(all[0]) : 0;
             const list = rows.getBoundingClientRect();
             const inView = all.filter((row) => {
               const box = row.getBoundingClientRect();
               return box.bottom > 0 && box.top < innerHeight;
             });
             const sticksOut = (row) => {
               const bottom = row.getBoundingClientRect().bottom;
               return [...row.querySelectorAll('*')].some((e) => e.getBoundingClientRect().bottom > bottom + 0.5);
             };
             const last = all[all.length - 1];
             return {
               rows: all.length, names: all.map(name), pitch, height: list.height,
               inView: inView.map(name), overflowing: inView.filter(sticksOut).map(name),
               lastEnd: last ? last.getBoundingClientRect().bottom + gapUnder(last) - list.bottom : null,
               focused: name(document.activeElement.closest('.account-row')),
               rowCount: document.getElementById('accounts-table').getAttribute('aria-rowcount'),
               most: pitch ? Math.ceil(innerHeight / pitch) + 1 + 2 * arguments[0] + 3 : 0,
             };",
            vec![json!(BUFFER_ROWS)],
        )
        .await
        .unwrap()
}

/// Runs `script` in the window.
async fn run(app: &AppSession, script: &str) {
    app.client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|err| panic!("the script runs: {err}\n{script}"));
}

/// Waits until the list's state passes `check`, and returns it.
async fn list_until(
    app: &AppSession,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    poll_until(what, UI_TIMEOUT, || async {
        let state = list_state(app).await;
        check(&state).then_some(state)
    })
    .await
}

/// The names in a list state's `key`.
fn names<'a>(state: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    state[key]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|name| name.as_str())
        .collect()
}

/// Checks that the list stands for `listed` rows of one height, holds no more rows than its
/// window and that the rows in view hold their content.
fn assert_windowed(state: &serde_json::Value, listed: usize) {
    let pitch = state["pitch"].as_f64().unwrap();
    assert!(pitch > 0.0, "{state}");
    let height = state["height"].as_f64().unwrap();
    assert!(
        (height - listed as f64 * pitch).abs() < 1.0,
        "the list is {height} px high, not {listed} rows of {pitch} px: {state}"
    );
    let in_dom = state["rows"].as_u64().unwrap();
    assert!(in_dom >= 1, "{state}");
    assert!(
        in_dom <= state["most"].as_u64().unwrap().min(listed as u64),
        "{in_dom} rows in the DOM, more than the window holds: {state}"
    );
    assert_eq!(
        names(state, "overflowing"),
        Vec::<&str>::new(),
        "rows too small for their content"
    );
    assert_eq!(
        state["rowCount"],
        json!((listed + 1).to_string()),
        "{state}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and the drivers: run scripts/test.sh"]
async fn a_thousand_accounts_are_listed_in_a_window_of_rows_and_the_time_is_reported() {
    const COUNT: usize = 1_000;
    let _one_app = exclusive().await;
    let app = AppSession::start_prepared(HashMap::new(), |data| {
        support::seed::accounts(
            data,
            "benchapp",
            COUNT,
            |i| 3_600 + i as i64 * 600,
            |i| i % 5 == 0,
            |i| i % 7 == 0,
        )
    })
    .await;
    app.wait_for_text("#account-count", "1000 accounts").await;

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
    let top = list_state(&app).await;
    let report = format!(
        "accounts window: {COUNT} accounts listed and rendered in {load:.0} ms \
         (sorting them and building the {} rows in the DOM {build:.0} ms, rows + layout \
         {render:.0} ms, the rest is the command)\n",
        top["rows"]
    );
    print!("{report}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench/accounts-render.txt");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, report).unwrap();

    // All 1,000 are listed (the count, the list's height), the DOM holds the first window.
    assert_windowed(&top, COUNT);
    assert!(top["rows"].as_u64().unwrap() < COUNT as u64 / 4, "{top}");
    assert_eq!(names(&top, "names")[0], "@user00000", "needs sign-in first");

    // Scrolling to the end shows the last account at the list's end; the first rows are gone.
    run(
        &app,
        "window.scrollTo(0, document.documentElement.scrollHeight)",
    )
    .await;
    let end = list_until(&app, "the last account in view", |state| {
        names(state, "inView").contains(&"@user00999")
    })
    .await;
    assert_windowed(&end, COUNT);
    assert_eq!(names(&end, "names").last(), Some(&"@user00999"), "{end}");
    assert!(end["lastEnd"].as_f64().unwrap().abs() < 1.0, "{end}");
    assert!(!names(&end, "names").contains(&"@user00000"), "{end}");

    // A focused row stays while the list scrolls away from it, and Tab from it reaches the
    // next account.
    run(
        &app,
        "document.querySelector(\"button[aria-label='Remove @user00998']\").focus({ preventScroll: true });
         window.scrollTo(0, 0);",
    )
    .await;
    let back = list_until(&app, "the first account in view again", |state| {
        names(state, "inView").contains(&"@user00000")
    })
    .await;
    assert_eq!(back["focused"], "@user00998", "{back}");
    assert!(!names(&back, "inView").contains(&"@user00998"), "{back}");
    app.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Tab.to_string())
        .await
        .unwrap();
    let next = list_until(&app, "the next account focused and in view", |state| {
        state["focused"] == "@user00999" && names(state, "inView").contains(&"@user00999")
    })
    .await;
    assert_windowed(&next, COUNT);

    // Filtering finds an account far down the list, and narrows the list without a round
    // trip to the app.
    run(
        &app,
        "document.activeElement.blur(); window.scrollTo(0, 0);",
    )
    .await;
    app.type_into("#account-filter", "user00987").await;
    app.wait_for_text("#account-count", "1 of 1000 accounts")
        .await;
    app.wait_for_text(".account-row", "@user00987").await;
    let one = list_state(&app).await;
    assert_windowed(&one, 1);
    assert_eq!(names(&one, "names"), ["@user00987"]);
    app.type_into("#account-filter", "user0099").await;
    app.wait_for_text("#account-count", "10 of 1000 accounts")
        .await;
    let ten = list_until(&app, "ten rows", |state| state["rows"] == 10).await;
    assert_windowed(&ten, 10);

    // A narrow window stacks each row into a taller card: the window is drawn again with it.
    run(
        &app,
        "const filter = document.getElementById('account-filter');
         filter.value = '';
         filter.dispatchEvent(new Event('input'));",
    )
    .await;
    app.wait_for_text("#account-count", "1000 accounts").await;
    let wide = list_state(&app).await["pitch"].as_f64().unwrap();
    app.client.set_window_size(700, 720).await.unwrap();
    let narrow = list_until(&app, "the rows stacked", |state| {
        state["pitch"].as_f64().unwrap() > wide
            && (state["height"].as_f64().unwrap() - COUNT as f64 * state["pitch"].as_f64().unwrap())
                .abs()
                < 1.0
    })
    .await;
    assert_windowed(&narrow, COUNT);
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
