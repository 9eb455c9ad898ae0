//! The desktop's link openers as a desktop without GNOME or KDE runs them (the generic
//! `xdg-open`, `gio open`), the sign-in answer the window refuses, and waiting for that
//! refusal: shared by the development-handler test and the installed-package test.

use std::collections::HashMap;
use std::process::{Command, Output};

use super::app::AppSession;

/// A sign-in answer Authdeck never asked for: the window refuses it and says why.
pub const BOGUS_ANSWER: &str = "authdeck://callback?code=c0de&state=bogus";

/// The start of the warning the window shows for [`BOGUS_ANSWER`].
pub const REFUSED: &str = "Authdeck did not start this sign-in";

/// Variables by which `xdg-open` detects a desktop: removed, so it runs in its generic mode.
pub const DESKTOP_DETECTION: [&str; 5] = [
    "XDG_CURRENT_DESKTOP",
    "DESKTOP_SESSION",
    "GNOME_DESKTOP_SESSION_ID",
    "KDE_FULL_SESSION",
    "MATE_DESKTOP_SESSION_ID",
];

/// A command run with `env` (an app session's XDG directories, D-Bus and display) as a
/// desktop without GNOME or KDE would run it.
pub fn opener(env: &HashMap<String, String>, program: &str, args: &[&str]) -> Command {
    let mut command = Command::new(program);
    command.args(args).envs(env);
    for name in DESKTOP_DETECTION {
        command.env_remove(name);
    }
    command
}

/// Fails with the command's stderr unless it succeeded.
pub fn assert_succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} exited with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits for the window's warning about [`BOGUS_ANSWER`], then dismisses it, so the next
/// opener's link must bring a new one.
pub async fn refused_answer_arrives(app: &AppSession) {
    app.wait_for_text(".notice-warning .notice-text", REFUSED)
        .await;
    app.click(".notice-warning .notice-dismiss").await;
    app.wait_until_gone(".notice-text", REFUSED).await;
}
