//! End-to-end: the desktop's link openers reach the running window through the handler entry
//! the development build writes at start-up.
//!
//! The generic `xdg-open` (no GNOME or KDE detected: i3, sway, bare X) runs the entry's `Exec`
//! itself and cannot start a quoted command; `gio open` is GLib's opener. Both must hand the
//! link to a second launch, which gives it to the running window.
//!
//! Run by `scripts/test.sh` (they are `#[ignore]`d for a bare `cargo test`, which has no
//! display, D-Bus session or drivers).

mod support;

use std::path::PathBuf;

use authdeck::deep_link::{HANDLER_FILE, SCHEME_MIME_TYPE};
use support::app::{exclusive, poll_until, AppSession, LastSeen, UI_TIMEOUT};
use support::openers::{assert_succeeded, opener, refused_answer_arrives, BOGUS_ANSWER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn generic_xdg_open_and_gio_open_reach_the_running_window_through_the_handler() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;

    let entry = wait_for_registration(&app).await;
    let exec = entry
        .lines()
        .find_map(|line| line.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec line in the handler entry:\n{entry}"));
    assert!(
        !exec.contains(['"', '\'']),
        "the Exec line is quoted: {exec}"
    );
    assert!(exec.ends_with(" %u"), "{exec}");

    // Generic mode: without a desktop, xdg-open reads the entry and runs its Exec itself.
    let opened = opener(app.env(), "xdg-open", &[BOGUS_ANSWER])
        .env("XDG_UTILS_DEBUG_LEVEL", "2")
        // No browser to fall back on: a link that misses the handler fails loudly.
        .env_remove("BROWSER")
        .output()
        .expect("xdg-open runs (package xdg-utils)");
    let said = String::from_utf8_lossy(&opened.stderr);
    assert!(said.contains("Selected DE generic"), "not generic: {said}");
    assert_succeeded("xdg-open", &opened);
    refused_answer_arrives(&app).await;

    let opened = opener(app.env(), "gio", &["open", BOGUS_ANSWER])
        .output()
        .expect("gio runs (package libglib2.0-bin)");
    assert_succeeded("gio open", &opened);
    refused_answer_arrives(&app).await;

    app.stop().await;
}

/// Waits until the app has written its handler entry and made it the default opener of
/// `authdeck://` links, and returns the entry.
async fn wait_for_registration(app: &AppSession) -> String {
    let path: PathBuf = app.home().join("data/applications").join(HANDLER_FILE);
    let last = LastSeen::default();
    let what = format!("{} as the default of {SCHEME_MIME_TYPE}", path.display());
    poll_until(&what, UI_TIMEOUT, || async {
        let default = opener(
            app.env(),
            "xdg-mime",
            &["query", "default", SCHEME_MIME_TYPE],
        )
        .output()
        .expect("xdg-mime runs (package xdg-utils)");
        let default = String::from_utf8_lossy(&default.stdout);
        if let (Ok(entry), HANDLER_FILE) = (std::fs::read_to_string(&path), default.trim()) {
            return Some(entry);
        }
        last.set(format!("default: {default:?}"));
        None
    })
    .await
}
