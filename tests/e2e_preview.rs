//! End-to-end: links in the post preview never take the real window away from Authdeck. A
//! click (or Enter) on a preview link asks first, showing the full address; a relative link is
//! no link at all; and a navigation forced from script is refused (and logged by scheme and
//! host only).
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use std::collections::HashMap;
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::{json, Value};
use support::app::{exclusive, poll_until, AppSession, LastSeen, BROWSER_STAND_IN, UI_TIMEOUT};

/// Where the app's own pages are served from (see `src-tauri/navigation.rs`).
const APP_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// The window, its browser stand-in in place of the person's browser.
async fn window() -> AppSession {
    AppSession::start_with_env(HashMap::from([("BROWSER".into(), BROWSER_STAND_IN.into())])).await
}

/// Asserts that the window still shows Authdeck's page: its address is the app's own and the
/// views are there.
async fn assert_still_on_authdeck(app: &AppSession, after: &str) {
    let href = app
        .client
        .execute("return document.location.href;", vec![])
        .await
        .unwrap_or_else(|err| panic!("the page answers after {after}: {err}"));
    let href = href.as_str().unwrap_or_default();
    assert!(
        APP_ORIGINS.iter().any(|origin| href.starts_with(origin)),
        "the window left Authdeck after {after}: {href}"
    );
    let views = app
        .client
        .execute(
            "return document.querySelector('#post-view') !== null \
                && document.querySelector('nav.views') !== null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        views,
        Value::Bool(true),
        "Authdeck's views are gone after {after}"
    );
}

/// Waits for the confirm dialog, checks it shows `address`, and cancels it.
async fn cancel_confirm_showing(app: &AppSession, address: &str) {
    app.element("#confirm-dialog[open]").await;
    let title = app
        .wait_for_text("#confirm-dialog h2", "Open this address")
        .await;
    assert_eq!(title, "Open this address in your browser?");
    app.wait_for_text("#confirm-dialog .dialog-body p", address)
        .await;
    app.wait_for_text("#confirm-dialog [data-confirm]", "Open in the browser")
        .await;
    app.click("#confirm-dialog [data-cancel]").await;
    poll_until("the confirm to close after Cancel", UI_TIMEOUT, || async {
        (count(app, "#confirm-dialog[open]").await == 0).then_some(())
    })
    .await
}

/// How many elements match `css` (WebKitWebDriver reads a missing attribute as "", so
/// attributes are checked with selectors).
async fn count(app: &AppSession, css: &str) -> usize {
    app.client.find_all(Locator::Css(css)).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn preview_links_ask_first_and_the_window_stays_on_authdeck() {
    let _one_app = exclusive().await;
    let app = window().await;

    app.click("nav.views button[data-view='post']").await;
    app.type_into(
        "#post-body",
        "Read [evil](https://evil.example/phish) or [mine](/@alice/a-post).",
    )
    .await;
    app.wait_for_text("#post-preview", "evil").await;
    app.element("#post-preview a[href]").await;

    // Only the absolute link kept its address; the relative one is plain text.
    let links = app
        .client
        .find_all(Locator::Css("#post-preview a[href]"))
        .await
        .unwrap();
    assert_eq!(links.len(), 1, "one link with an address in the preview");
    assert_eq!(
        links[0].attr("rel").await.unwrap().as_deref(),
        Some("noopener noreferrer nofollow")
    );
    assert_eq!(
        count(&app, "#post-preview a[target]").await,
        0,
        "a link keeps a target"
    );

    // A click asks first, with the full address; cancelled, nothing moves.
    app.click("#post-preview a[href]").await;
    cancel_confirm_showing(&app, "https://evil.example/phish").await;
    assert_still_on_authdeck(&app, "a cancelled click on a preview link").await;

    // Enter on the focused link asks the same.
    app.element("#post-preview a[href]")
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    cancel_confirm_showing(&app, "https://evil.example/phish").await;
    assert_still_on_authdeck(&app, "Enter on a preview link").await;

    // The relative link is no link: a click on it neither asks nor navigates.
    let relative = app.element("#post-preview a:not([href])").await;
    assert_eq!(relative.text().await.unwrap(), "mine");
    relative.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count(&app, "#confirm-dialog[open]").await,
        0,
        "a click on a relative link opened the confirm"
    );
    assert_still_on_authdeck(&app, "a click on a relative link").await;

    // A navigation forced from script is refused by the app itself.
    let _ = app
        .client
        .execute(
            "location.href = 'https://evil.example/phish?token=leaked'; return null;",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_still_on_authdeck(&app, "a navigation forced from script").await;

    // The refusal is logged with the scheme and host only.
    let logs = wait_for_log(&app, "https://evil.example").await;
    assert!(
        !logs.contains("token=leaked") && !logs.contains("/phish"),
        "the log holds more than scheme and host: {logs}"
    );

    // The command behind "Open in the browser" takes absolute web addresses only.
    for refused in [
        "javascript:alert(1)",
        "/@alice/a-post",
        "//evil.example/x",
        "file:///etc/passwd",
    ] {
        let err = app
            .invoke("open_external_link", json!({ "url": refused }))
            .await
            .expect_err(refused);
        assert_eq!(err["field"], "url", "{refused}: {err}");
    }

    app.stop().await;
}

/// The app's log text once it contains `needle` (the file logger writes from its own thread).
async fn wait_for_log(app: &AppSession, needle: &str) -> String {
    let last = LastSeen::default();
    poll_until(
        &format!("a log line with {needle:?}"),
        UI_TIMEOUT,
        || async {
            let logs: String = app
                .data_files()
                .into_iter()
                .filter(|(path, _)| path.extension().is_some_and(|ext| ext == "log"))
                .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned())
                .collect();
            if logs.contains(needle) {
                return Some(logs);
            }
            last.set(format!("the logs: {logs}"));
            None
        },
    )
    .await
}
