//! The offline sandbox inside the app ("Try it offline", `authdeck --sandbox`): its fakes on
//! free loopback ports, its demo apps registered in one step and marked, sign-ins through the
//! consent pages it shows, and leaving it, which removes everything it added (registry rows,
//! keyring entries, activity entries) and nothing else. The window's side (the real binary
//! started with `--sandbox`) is `tests/e2e_sandbox.rs`. Built without the `sandbox` feature,
//! only the test that says so runs.
#![cfg_attr(not(feature = "sandbox"), allow(dead_code, unused_imports))]

mod support;

use std::sync::Arc;

use authdeck::accounts::AccountView;
use authdeck::activity::ActivityFilter;
use authdeck::apps::AppId;
use authdeck::compose::VoteRequest;
use authdeck::registry::Registry;
use authdeck::sandbox::{self, SandboxStatus};
use authdeck::service::{Authdeck, Parts};
use authdeck::vault::{MemoryStore, Vault};
use serde_json::{json, Value};
use support::consent_page::approve;
use support::kinds::{test_settings, Core};

/// The demo app of `kind` (`hivesigner`, `oauth2`, `token_site`) in a running sandbox.
fn demo_app(status: &SandboxStatus, kind: &str) -> AppId {
    status
        .providers
        .iter()
        .find(|provider| provider.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {status:?}"))
        .app_id
}

/// Signs `user` in to the app `app_id` as the person would: the consent page the sandbox
/// shows in the browser, Approve, and the browser's trip back to the loopback listener.
async fn sign_in(core: &Authdeck, app_id: AppId, user: &str) -> AccountView {
    let started = core.sign_ins().start_sign_in(app_id, None).await.unwrap();
    let back = approve(&started.authorize_url, user).await;
    assert!(
        back.starts_with("http://127.0.0.1:"),
        "back to the loopback listener: {back}"
    );
    let page = reqwest::get(&back).await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("is now in Authdeck"), "{text}");
    core.catalog()
        .list_accounts()
        .unwrap()
        .into_iter()
        .find(|view| view.account.app_id == app_id && view.account.username == user)
        .expect("the account is listed")
}

/// Whether something answers HTTP at `url`.
async fn answers(url: &str) -> bool {
    reqwest::get(url).await.is_ok()
}

/// Counts rows of the registry file straight from SQLite.
fn rows(core: &Core, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(core.data.path().join("registry.sqlite3")).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[cfg(feature = "sandbox")]
#[tokio::test]
#[ignore = "needs the session's keyring: scripts/session.sh cargo test --test sandbox -- --include-ignored"]
async fn the_sandbox_signs_in_on_its_own_ports_and_leaving_removes_all_it_added() {
    let deck = Core::start(test_settings());
    let core = deck.core.clone();
    // The person's own app, and one registered with an older version's "Local sandbox"
    // preset: leaving the sandbox touches neither.
    deck.register_json(json!({
        "preset": "hivesigner", "clientId": "myapp", "scopes": ["posting", "offline"],
        "clientSecret": "my-own-secret-value",
    }))
    .await
    .unwrap();
    let legacy = deck
        .register_json(json!({
            "preset": "local_sandbox", "clientId": "sandbox-app", "scopes": ["posting"],
        }))
        .await
        .expect("apps of the old presets can still be registered and kept");
    assert!(!legacy.sandbox);
    let keys_before = deck.keyring_keys();
    assert_eq!(keys_before.len(), 1, "{keys_before:?}");

    let status = core.sandbox().start().await.expect("the sandbox starts");
    assert!(status.available && status.running, "{status:?}");
    let kinds: Vec<&str> = status.providers.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, ["hivesigner", "oauth2", "token_site"]);
    for provider in &status.providers {
        // Free ports, not the fixed ones of `cargo run --example sandbox`.
        for fixed in [":8787", ":8788", ":8789"] {
            assert!(!provider.base_url.ends_with(fixed), "{provider:?}");
        }
        assert!(answers(&provider.base_url).await, "{provider:?}");
    }
    assert_eq!(
        core.sandbox().start().await.unwrap(),
        status,
        "starting again changes nothing"
    );

    let apps = core.catalog().list_apps().unwrap();
    assert_eq!(apps.len(), 5, "{apps:?}");
    let demo: Vec<_> = apps.iter().filter(|app| app.sandbox).collect();
    assert_eq!(demo.len(), 3, "{apps:?}");
    let site = demo.iter().find(|app| app.kind == "token_site").unwrap();
    let port = site.token_site.as_ref().unwrap().loopback_port;
    assert_eq!(
        site.redirect_uri_to_register,
        format!("http://127.0.0.1:{port}/callback")
    );

    // A sign-in through each fake's consent page.
    let alice = sign_in(&core, demo_app(&status, "hivesigner"), "alice").await;
    let dave = sign_in(&core, demo_app(&status, "oauth2"), "dave").await;
    let erin = sign_in(&core, demo_app(&status, "token_site"), "erin").await;
    for account in [&alice, &dave, &erin] {
        assert!(account.sandbox, "marked: {account:?}");
    }
    assert!(alice.broadcasts);
    // A vote through the fake Hivesigner lands in the activity log.
    let draft = core
        .drafts()
        .prepare_vote(&VoteRequest {
            account_ids: vec![alice.account.id],
            link: "@bob/a-post".into(),
            weight: 5000,
        })
        .unwrap();
    let sent = core
        .drafts()
        .send_draft(draft.draft_id.expect("a draft to send"))
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let activity = core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap();
    assert_eq!(activity.len(), 1, "{activity:?}");
    let keys_inside = deck.keyring_keys();
    assert_eq!(
        keys_inside.len(),
        keys_before.len() + 4,
        "the demo Hivesigner app's secret and three accounts' tokens: {keys_inside:?}"
    );

    let left = core.sandbox().leave().await.expect("the sandbox is left");
    assert_eq!((left.apps, left.accounts, left.activity_entries), (3, 3, 1));
    assert!(!core.sandbox().status().await.running);
    assert_eq!(
        deck.keyring_keys(),
        keys_before,
        "its keyring entries are gone"
    );
    let apps = core.catalog().list_apps().unwrap();
    let ids: Vec<&str> = apps.iter().map(|app| app.client_id.as_str()).collect();
    assert_eq!(ids, ["myapp", "sandbox-app"], "only the person's apps stay");
    assert!(core.catalog().list_accounts().unwrap().is_empty());
    assert!(core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap()
        .is_empty());
    assert_eq!(
        rows(&deck, "SELECT COUNT(*) FROM apps WHERE sandbox = 1"),
        0
    );
    assert_eq!(rows(&deck, "SELECT COUNT(*) FROM accounts"), 0);
    assert_eq!(rows(&deck, "SELECT COUNT(*) FROM activity"), 0);
    for provider in &status.providers {
        assert!(!answers(&provider.base_url).await, "stopped: {provider:?}");
    }
}

/// A core over the registry file at `dir` and the secrets of `store`.
fn core_at(dir: &std::path::Path, store: Arc<MemoryStore>) -> Arc<Authdeck> {
    Authdeck::new(Parts {
        registry: Registry::open(&dir.join("registry.sqlite3")).unwrap(),
        vault: Vault::new(store),
        clock: Arc::new(authdeck::clock::SystemClock),
        events: Arc::new(authdeck::events::RecordedEvents::default()),
        settings: test_settings(),
    })
    .unwrap()
}

#[cfg(feature = "sandbox")]
#[tokio::test]
async fn a_sandbox_the_last_run_did_not_leave_is_forgotten_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let first = core_at(dir.path(), store.clone());
    let status = first.sandbox().start().await.unwrap();
    sign_in(&first, demo_app(&status, "hivesigner"), "bob").await;
    assert_eq!(store.keys().len(), 2, "{:?}", store.keys());

    // The app quit without leaving it (a crash): the next start finds its apps still marked.
    let next = core_at(dir.path(), store.clone());
    assert_eq!(next.catalog().list_apps().unwrap().len(), 3);
    assert!(!next.sandbox().status().await.running);
    let left = next.sandbox().forget_leftovers().await.unwrap();
    assert_eq!((left.apps, left.accounts), (3, 1));
    assert!(next.catalog().list_apps().unwrap().is_empty());
    assert!(store.keys().is_empty(), "{:?}", store.keys());
    // A running sandbox is no leftover.
    first.sandbox().leave().await.unwrap();
    let running = next.sandbox().start().await.unwrap();
    assert_eq!(next.sandbox().forget_leftovers().await.unwrap().apps, 0);
    assert_eq!(next.catalog().list_apps().unwrap().len(), 3);
    assert!(running.running);
    next.sandbox().leave().await.unwrap();
}

#[test]
fn the_command_line_asks_for_it_with_one_argument() {
    assert_eq!(sandbox::ARGUMENT, "--sandbox");
    assert!(sandbox::requested(["/usr/bin/authdeck", "--sandbox"]));
    assert!(!sandbox::requested(["/usr/bin/authdeck"]));
    assert_eq!(sandbox::AVAILABLE, cfg!(feature = "sandbox"));
}

#[cfg(not(feature = "sandbox"))]
#[tokio::test]
async fn a_build_without_the_sandbox_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_at(dir.path(), Arc::new(MemoryStore::default()));
    let err = core.sandbox().start().await.unwrap_err();
    assert_eq!(err.code(), "sandbox_unavailable", "{err}");
    assert!(!core.sandbox().status().await.available);
}

// The window's commands, on Tauri's mock runtime (in-memory stores).

#[cfg(feature = "sandbox")]
mod ipc {
    use super::*;
    use authdeck::{configure, context, Integration, MAIN_WINDOW};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::{Manager, WebviewWindow};

    fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(window, request)
            .map(|body| body.deserialize::<Value>().unwrap())
            .unwrap_or_else(|err| panic!("{cmd}: {err}"))
    }

    #[test]
    fn the_window_starts_and_leaves_the_sandbox_and_is_offered_no_local_presets() {
        let mut app = configure(mock_builder(), Integration::Headless)
            .build(context())
            .unwrap();
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let window = app.get_webview_window(MAIN_WINDOW).unwrap();
        let none = json!({});

        let presets = invoke(&window, "list_presets", none.clone());
        let ids: Vec<&str> = presets
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&"hivesigner") && ids.contains(&"token_site"),
            "{ids:?}"
        );
        assert!(!ids.iter().any(|id| id.starts_with("local_")), "{ids:?}");

        let status = invoke(&window, "sandbox_status", none.clone());
        assert_eq!(status["available"], cfg!(feature = "sandbox"));
        assert_eq!(status["running"], false);
        let started = invoke(&window, "start_sandbox", none.clone());
        assert_eq!(started["running"], true, "{started}");
        assert_eq!(started["providers"].as_array().unwrap().len(), 3);
        let apps = invoke(&window, "list_apps", none.clone());
        let apps = apps.as_array().unwrap();
        assert_eq!(apps.len(), 3);
        assert!(apps.iter().all(|app| app["sandbox"] == true), "{apps:?}");
        assert!(
            !serde_json::to_string(apps)
                .unwrap()
                .contains("sandbox-secret"),
            "the demo secret stays in the store"
        );

        let left = invoke(&window, "leave_sandbox", none.clone());
        assert_eq!(left["apps"], 3, "{left}");
        assert_eq!(invoke(&window, "list_apps", none.clone()), json!([]));
        assert_eq!(invoke(&window, "sandbox_status", none)["running"], false);
    }
}
