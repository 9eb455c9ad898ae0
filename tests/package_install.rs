//! The release `.deb` works alone: installed by dpkg into a scratch root (its own dpkg
//! database, see [`ScratchRoot`]), the installed `authdeck` starts, the package's desktop entry
//! makes the desktop's link openers (the generic `xdg-open`, `gio open`) deliver `authdeck://`
//! links to the installed app's window, the installed app writes no development handler, and
//! purging the package leaves nothing behind: no file, no handler, no default opener.
//!
//! Needs the release `.deb` (`scripts/test.sh` builds it with `tauri build --bundles deb,rpm`)
//! and, for the window, the session `scripts/test.sh` provides; `#[ignore]`d for a bare
//! `cargo test`.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use authdeck::deep_link::{HANDLER_FILE, SCHEME_MIME_TYPE};
use support::app::{exclusive, AppSession};
use support::openers::{assert_succeeded, opener, refused_answer_arrives, BOGUS_ANSWER};
use support::package::{built_deb, run_ok, ScratchRoot, DESKTOP_ENTRY, PACKAGED_FILES};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the release .deb and a display: run scripts/test.sh"]
async fn the_installed_package_opens_authdeck_links_and_leaves_nothing_when_purged() {
    let _one_app = exclusive().await;
    let root = ScratchRoot::new();
    root.install(&built_deb());
    let listed = root.listed_files();
    for file in PACKAGED_FILES {
        assert!(
            listed.iter().any(|path| path == file),
            "dpkg -L has no {file}: {listed:?}"
        );
    }
    let entry_id = Path::new(DESKTOP_ENTRY)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();

    // The installed command line answers without a window.
    let binary = root.join("usr/bin/authdeck");
    let scratch_home = tempfile::tempdir().unwrap();
    let status = run_briefly(
        Command::new(&binary)
            .arg("status")
            .envs(installed_env(&root))
            .envs(user_dirs(scratch_home.path())),
    );
    assert!(
        matches!(status.status.code(), Some(0 | 1)) && !status.stdout.is_empty(),
        "the installed `authdeck status` exited with {}: {}{}",
        status.status,
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );

    // The installed app's window, found on PATH and by its entry as a desktop would.
    let app = AppSession::start_binary(&binary, installed_env(&root), &[], |_| {}).await;
    let default = stdout(&run_ok(
        "xdg-mime query default",
        &mut opener(
            app.env(),
            "xdg-mime",
            &["query", "default", SCHEME_MIME_TYPE],
        ),
    ));
    assert_eq!(
        default, entry_id,
        "the package's entry opens {SCHEME_MIME_TYPE}"
    );

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

    // The installed app declared itself through the package only: nothing in the user's
    // directories names Authdeck.
    assert!(
        !app.home()
            .join("data/applications")
            .join(HANDLER_FILE)
            .exists(),
        "the installed app wrote the development handler {HANDLER_FILE}"
    );
    for dir in ["data", "config"] {
        let mentions = files_mentioning(&app.home().join(dir), "authdeck");
        assert!(
            mentions.is_empty(),
            "the user's {dir} dir names authdeck: {mentions:?}"
        );
    }
    app.stop().await;

    root.purge();
    let left: Vec<String> = root
        .files()
        .into_iter()
        // The MIME cache is the trigger's (update-desktop-database), not the package's.
        .filter(|path| path != "usr/share/applications/mimeinfo.cache")
        .collect();
    assert!(left.is_empty(), "the purged package left {left:?}");
    // No default opener points at the removed binary any more (only the scratch root's data
    // dir is asked: the machine may have its own Authdeck installed).
    let after = tempfile::tempdir().unwrap();
    let mut env = user_dirs(after.path());
    env.insert(
        "XDG_DATA_DIRS".into(),
        root.join("usr/share").display().to_string(),
    );
    let default = stdout(&run_ok(
        "xdg-mime query default",
        &mut opener(&env, "xdg-mime", &["query", "default", SCHEME_MIME_TYPE]),
    ));
    assert!(
        default.is_empty(),
        "after the purge {SCHEME_MIME_TYPE} still opens with {default}"
    );
    let gio = stdout(&run_ok(
        "gio mime",
        &mut opener(&env, "gio", &["mime", SCHEME_MIME_TYPE]),
    ));
    assert!(
        !gio.contains(entry_id),
        "after the purge GIO still knows {entry_id}: {gio}"
    );
}

/// The installed app's environment: the scratch root's `usr/bin` first on `PATH` and its
/// `usr/share` first in `XDG_DATA_DIRS`, as `/usr/bin` and `/usr/share` are on a real system.
fn installed_env(root: &ScratchRoot) -> HashMap<String, String> {
    let path = std::env::var("PATH").unwrap_or_default();
    let data_dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|dirs| !dirs.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    HashMap::from([
        (
            "PATH".into(),
            format!("{}:{path}", root.join("usr/bin").display()),
        ),
        (
            "XDG_DATA_DIRS".into(),
            format!("{}:{data_dirs}", root.join("usr/share").display()),
        ),
    ])
}

/// Empty XDG user directories under `home`.
fn user_dirs(home: &Path) -> HashMap<String, String> {
    ["data", "config", "cache"]
        .iter()
        .map(|dir| {
            let path = home.join(dir);
            std::fs::create_dir_all(&path).unwrap();
            (
                format!("XDG_{}_HOME", dir.to_uppercase()),
                path.display().to_string(),
            )
        })
        .collect()
}

/// Runs `command` to its end, killing it after 20 s (a command line that opened a window
/// instead of answering would never end).
fn run_briefly(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the installed authdeck starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("its status").is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the installed `authdeck status` did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("its output")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Files under `dir` whose name or text mentions `needle` (case-insensitively), skipping the
/// app's own data folder (its registry and logs).
fn files_mentioning(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path
            .file_name()
            .is_some_and(|name| name == support::app::APP_IDENTIFIER)
        {
            continue;
        }
        if path.is_dir() {
            found.extend(files_mentioning(&path, needle));
            continue;
        }
        let text = std::fs::read(&path).unwrap_or_default();
        let name = entry.file_name().to_string_lossy().to_lowercase();
        if name.contains(needle)
            || String::from_utf8_lossy(&text)
                .to_lowercase()
                .contains(needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}
