//! End-to-end: the offline sandbox of the built app (`target/debug/authdeck --sandbox`, no
//! cargo in between), in the real window. The app starts it from its command line, shows it
//! in the header and on its apps and accounts, signs an account in through the consent page
//! it opens in the browser (the test plays the person there), and "Leave the sandbox" removes
//! everything it added: registry rows, keyring entries, activity entries. "Try it offline" and
//! a second launch with `--sandbox` start it again.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use authdeck::vault;
use serde_json::{json, Value};
use support::app::{exclusive, poll_until, AppSession, APP_IDENTIFIER, UI_TIMEOUT};
use support::consent_page::approve;
use support::keyring;

/// A stand-in for the person's browser that only notes each address it is asked to open (one
/// a line in `$AUTHDECK_TEST_OPENED`): the test then does what the person does there.
fn browser_that_notes(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser.sh");
    let opened = dir.join("opened.txt");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s\\n' \"$1\" >> \"$AUTHDECK_TEST_OPENED\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, opened)
}

/// Counts rows of the app's registry file.
fn rows(app: &AppSession, sql: &str) -> i64 {
    let file = app
        .home()
        .join("data")
        .join(APP_IDENTIFIER)
        .join(authdeck::REGISTRY_FILE);
    let conn = rusqlite::Connection::open(file).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// The sandbox's status, as the window asks for it.
async fn status(app: &AppSession) -> Value {
    app.invoke("sandbox_status", json!({})).await.unwrap()
}

/// Waits until the sandbox runs (or, with `false`, does not), as the window shows it.
async fn wait_running(app: &AppSession, running: bool) {
    poll_until("the sandbox's state", UI_TIMEOUT, || async {
        (status(app).await["running"] == running).then_some(())
    })
    .await;
    if running {
        app.wait_for_text("#sandbox-badge", "Sandbox").await;
        app.element("#sandbox-leave").await;
    } else {
        app.element("#sandbox-start").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn the_installed_app_runs_the_sandbox_and_leaving_it_removes_all_it_added() {
    let _one_app = exclusive().await;
    let browser_dir = tempfile::tempdir().unwrap();
    let (browser, opened) = browser_that_notes(browser_dir.path());
    let keys_before = keyring::keys(vault::SERVICE);
    let env = HashMap::from([
        ("BROWSER".to_owned(), browser.display().to_string()),
        (
            "AUTHDECK_TEST_OPENED".to_owned(),
            opened.display().to_string(),
        ),
    ]);
    let app = AppSession::start_with_args(env, &["--sandbox"], |_| {}).await;

    // Started from the command line: the header says so, and its three demo apps are there.
    wait_running(&app, true).await;
    let running = status(&app).await;
    let providers = running["providers"].as_array().unwrap().clone();
    assert_eq!(providers.len(), 3, "{running}");
    app.wait_for_text("#notices", "The offline sandbox runs")
        .await;
    app.click("button[data-view=apps]").await;
    let card = app
        .wait_for_text(".app-card.is-sandbox", "@sandbox-app")
        .await;
    assert!(card.contains("sandbox"), "{card}");
    assert!(!card.contains("sandbox-secret"), "{card}");
    let apps = app.invoke("list_apps", json!({})).await.unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 3, "{apps}");

    // Alice signs in through the sandbox's Hivesigner: Authdeck opens its consent page in the
    // browser, the person approves there, and the browser comes back to the loopback listener.
    let hivesigner = providers
        .iter()
        .find(|p| p["kind"] == "hivesigner")
        .unwrap();
    app.click("button[data-view=accounts]").await;
    app.click("#add-account").await;
    app.select("#add-account-app", &hivesigner["appId"].to_string())
        .await;
    app.click("#add-account-dialog [data-submit]").await;
    let consent_url = poll_until("the browser to be asked", UI_TIMEOUT, || async {
        let noted = std::fs::read_to_string(&opened).unwrap_or_default();
        noted.lines().last().map(str::to_owned)
    })
    .await;
    assert!(
        consent_url.starts_with(hivesigner["baseUrl"].as_str().unwrap()),
        "{consent_url}"
    );
    let back = approve(&consent_url, "alice").await;
    let page = reqwest::get(&back).await.unwrap();
    assert_eq!(page.status(), 200, "{back}");
    let row = app.wait_for_text(".account-row.is-sandbox", "@alice").await;
    assert!(row.contains("sandbox"), "{row}");
    let inside = keyring::keys(vault::SERVICE);
    assert_eq!(
        inside.len(),
        keys_before.len() + 2,
        "the demo app's secret and alice's tokens: {inside:?}"
    );
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM apps WHERE sandbox = 1"), 3);
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM accounts"), 1);

    // Leave the sandbox, through the header and its confirmation.
    app.click("#sandbox-leave").await;
    app.click("#confirm-dialog [data-confirm]").await;
    wait_running(&app, false).await;
    app.wait_for_text("#notices", "Left the sandbox").await;
    app.wait_for_text("#accounts-empty", "No accounts yet")
        .await;
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM apps"), 0);
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM accounts"), 0);
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM activity"), 0);
    assert_eq!(keyring::keys(vault::SERVICE), keys_before);
    for provider in &providers {
        let url = provider["baseUrl"].as_str().unwrap();
        assert!(reqwest::get(url).await.is_err(), "stopped: {url}");
    }

    // "Try it offline" in the empty state starts it again; leaving again empties it.
    app.click("#empty-sandbox").await;
    wait_running(&app, true).await;
    let left = app.invoke("leave_sandbox", json!({})).await.unwrap();
    assert_eq!(left["apps"], 3, "{left}");
    wait_running(&app, false).await;

    // A second launch with --sandbox hands it to the running app, which starts it.
    let handed_over = app.launch_again(&["--sandbox"], Duration::from_secs(10));
    assert!(
        handed_over.is_some_and(|status| status.success()),
        "{handed_over:?}"
    );
    wait_running(&app, true).await;
    app.invoke("leave_sandbox", json!({})).await.unwrap();
    assert_eq!(rows(&app, "SELECT COUNT(*) FROM apps"), 0);
    assert_eq!(keyring::keys(vault::SERVICE), keys_before);
    app.stop().await;
}
