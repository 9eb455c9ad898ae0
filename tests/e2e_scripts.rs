//! End-to-end: scripts and the real window. The person allows scripts on the app's card (and
//! asks to confirm each token); `authdeck token` then asks the running app over the session
//! bus, the window shows who asks, the person answers, and the token handed out is in the
//! activity view.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers, the session bus and the keyring).

mod support;

use std::process::Stdio;
use std::time::Duration;

use fake_hivesigner::{FakeConfig, RedirectRules, TOKEN_PREFIX};
use serde_json::{json, Value};
use support::app::{app_with_fake_provider, exclusive, poll_until, AppSession, UI_TIMEOUT};

/// `authdeck token ARGS`, started beside the running window with its environment.
fn token_command(app: &AppSession, args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(support::app::APP_BINARY)
        .arg("token")
        .args(args)
        .envs(app.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts")
}

async fn finish(child: tokio::process::Child) -> (Option<i32>, String, String) {
    let output = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("authdeck token ends")
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn script_access(app: &AppSession) -> Value {
    let apps = app.invoke("list_apps", json!({})).await.unwrap();
    apps[0]["scriptAccess"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers, the session bus and the keyring: run scripts/test.sh"]
async fn a_script_asks_the_window_and_the_person_answers() {
    let _one_app = exclusive().await;
    let config = FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    };
    let (_fake, app, registered) = app_with_fake_provider(config, "scriptapp", &[]).await;
    app.click("#add-account").await;
    app.select("#add-account-app", &registered["id"].to_string())
        .await;
    app.click("#add-account-dialog [data-submit]").await;
    app.wait_for_text(".account-row", "@alice").await;

    // Off by default: the script is told where to turn it on, and gets nothing.
    let (code, stdout, stderr) = finish(token_command(&app, &["alice"])).await;
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    assert!(
        stderr.contains("Let scripts on this computer use tokens of this app"),
        "{stderr}"
    );

    // The card's switches: allowed, then confirmed each time.
    app.click("button[data-view=apps]").await;
    let card = app
        .wait_for_text(
            ".app-card",
            "Let scripts on this computer use tokens of this app",
        )
        .await;
    assert!(card.contains("authdeck token <account>"), "{card}");
    app.click(".app-card .script-access-allowed").await;
    poll_until("scripts allowed", UI_TIMEOUT, || async {
        (script_access(&app).await["allowed"] == true).then_some(())
    })
    .await;
    app.click(".app-card .script-access-confirm:not([disabled])")
        .await;
    poll_until("each token confirmed", UI_TIMEOUT, || async {
        (script_access(&app).await == json!({"allowed": true, "confirm": true})).then_some(())
    })
    .await;

    // A request waits for the person: the window says who asks; Deny refuses it.
    let denied = token_command(&app, &["alice"]);
    let dialog = app
        .wait_for_text(
            "#script-request-dialog",
            "A script asks for a token of @alice",
        )
        .await;
    assert!(dialog.contains("@scriptapp"), "{dialog}");
    assert!(dialog.contains("authdeck (pid"), "{dialog}");
    app.click("#script-request-dialog [data-deny]").await;
    let (code, stdout, stderr) = finish(denied).await;
    assert_eq!((code, stdout.as_str()), (Some(1), ""), "{stderr}");
    assert!(stderr.contains("declined"), "{stderr}");

    // Allowed: the token reaches the script, and only the script.
    let allowed = token_command(&app, &["alice"]);
    app.wait_for_text("#script-request-dialog", "@alice").await;
    app.click("#script-request-dialog [data-allow]").await;
    let (code, stdout, stderr) = finish(allowed).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.trim_end().starts_with(TOKEN_PREFIX), "{stdout}");
    assert_eq!(stderr, "");

    // Activity lists the handout, without the token.
    app.click("button[data-view=activity]").await;
    let entry = app
        .wait_for_text(".activity-entry", "access token handed to a script")
        .await;
    assert!(entry.contains("Token to a script"), "{entry}");
    assert!(entry.contains("over the session bus"), "{entry}");
    let page: String = app.client.source().await.unwrap();
    assert!(!page.contains(TOKEN_PREFIX), "no token in the window");
    app.stop().await;
}
