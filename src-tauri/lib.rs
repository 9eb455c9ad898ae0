//! Authdeck: a desktop app that manages Hivesigner and SteemLogin app authorizations.
//!
//! This file is the Tauri shell: plugins, state, commands and deep-link routing. The logic
//! lives in plain modules that never import Tauri (everything but `commands`). The app is
//! assembled by [`configure`], generic over [`tauri::Runtime`], so tests build the same app on
//! Tauri's mock runtime.

#![warn(missing_docs)]

pub mod accounts;
pub mod activity;
pub mod apps;
pub mod attention;
pub mod broadcast;
#[cfg(target_os = "linux")]
pub mod bus;
pub mod catalog;
pub mod chain;
pub mod cli;
pub mod clock;
mod commands;
pub mod compose;
pub mod console;
pub mod deep_link;
pub mod desk;
pub mod error;
pub mod events;
pub mod group_commit;
pub mod hive;
pub mod images;
pub mod locks;
pub mod logging;
pub mod markdown;
pub mod navigation;
pub mod notices;
pub mod oauth;
/// Pacing a batch's broadcasts: adaptive concurrency and `Retry-After` pauses.
pub mod pacing;
pub mod provider;
pub mod redact;
pub mod registry;
pub mod sandbox;
pub mod scripts;
pub mod service;
pub mod settings;
pub mod shared;
pub mod signin;
pub mod startup;
pub mod tokens;
pub mod vault;

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::clock::SystemClock;
use crate::deep_link::DeepLink;
use crate::error::Error;
use crate::events::{AppEvent, EventSink};
use crate::notices::{Level, Notice, Notices};
use crate::registry::Registry;
use crate::service::{Authdeck, Parts};
use crate::settings::Settings;
use crate::vault::{KeyringStore, MemoryStore, SecretStore, Vault};

/// The registry's file name in the app's data directory.
pub const REGISTRY_FILE: &str = "registry.sqlite3";

/// The core, or why it could not start (commands then answer with that error).
pub struct CoreState(pub Result<Arc<Authdeck>, Error>);

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// How much of the desktop the app takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// The real app: one instance per user session (a second launch hands its link over and
    /// exits), logs in the app's log directory, and (in development builds) registers the
    /// `authdeck://` scheme for the current user.
    Desktop,
    /// Tests on the mock runtime: none of the above, and an in-memory registry and secret
    /// store, so tests neither exit on a running app nor touch the user's files or keyring.
    Headless,
}

/// The app's configuration from `tauri.conf.json`, for any runtime.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Adds Authdeck's plugins, state, commands and link routing to `builder`.
pub fn configure<R: Runtime>(
    builder: tauri::Builder<R>,
    integration: Integration,
) -> tauri::Builder<R> {
    let builder = match integration {
        // Registered first, so a second instance exits before any other plugin starts.
        Integration::Desktop => {
            builder.plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
                show_main_window(app);
                // `authdeck --sandbox` while Authdeck runs: the sandbox starts in this one.
                if sandbox::requested(&args) {
                    start_sandbox_from_launch(app);
                }
            }))
        }
        Integration::Headless => builder,
    };
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(navigation_guard())
        .manage(Notices::default())
        .manage(PreviewImages(
            images::ImageFetcher::from_env().map(Arc::new),
        ))
        .invoke_handler(tauri::generate_handler![
            commands::take_notices,
            commands::list_presets,
            commands::register_app,
            commands::update_app,
            commands::remove_app,
            commands::list_apps,
            commands::list_accounts,
            commands::start_sign_in,
            commands::cancel_sign_in,
            commands::paste_redirect,
            commands::add_personal_token,
            commands::list_api_targets,
            commands::send_api_request,
            commands::list_recent_requests,
            commands::refresh_account,
            commands::remove_account,
            commands::open_provider_page,
            commands::open_post_page,
            commands::parse_post_link,
            commands::prepare_vote,
            commands::prepare_post,
            commands::prepare_follow,
            commands::prepare_reblog,
            commands::prepare_delete,
            commands::prepare_claim,
            commands::send_draft,
            commands::preview_markdown,
            commands::preview_images,
            commands::list_activity,
            commands::prepare_retry,
            commands::open_external_link,
            commands::post_card,
            commands::account_standing,
            commands::account_authority,
            commands::pending_rewards,
            commands::set_script_access,
            commands::answer_script_request,
            commands::sandbox_status,
            commands::start_sandbox,
            commands::leave_sandbox,
            commands::page_painted,
        ])
        .setup(move |app| {
            if integration == Integration::Desktop {
                let log_dir = app.path().app_log_dir().ok();
                logging::init(log_dir.as_deref());
                tracing::info!(version = %app.package_info().version, "Authdeck starting");
                register_scheme_in_development(app.handle());
            }
            let core = start_core(app.handle(), integration);
            if let Err(err) = &core {
                tracing::error!("the core could not start: {err}");
                notify(app.handle(), Level::Warning, err.message());
            }
            app.manage(CoreState(core));
            start_attention(app.handle(), integration);
            route_deep_links(app.handle());
            start_script_bus(app.handle(), integration);
            if integration == Integration::Desktop && sandbox::requested(std::env::args()) {
                start_sandbox_from_launch(app.handle());
            }
            Ok(())
        })
}

/// Keeps the window on the app's own pages ([`navigation::is_app_page`]): a link or a script
/// that would load anything else is refused and logged by scheme and host only.
fn navigation_guard<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|webview, url| {
            let dev_server = if tauri::is_dev() {
                webview.config().build.dev_url.as_ref()
            } else {
                None
            };
            let allowed = navigation::is_app_page(url, dev_server);
            if !allowed {
                tracing::info!(
                    to = %navigation::origin_for_log(url),
                    "refused to take the window away from the app"
                );
            }
            allowed
        })
        .build()
}

/// Builds the core: the keyring and the registry file for the desktop app, in-memory stores
/// for headless tests. Starts the background refresher and health checker on the desktop.
fn start_core<R: Runtime>(
    app: &AppHandle<R>,
    integration: Integration,
) -> Result<Arc<Authdeck>, Error> {
    let (registry, store): (Registry, Arc<dyn SecretStore>) = match integration {
        Integration::Desktop => {
            let data_dir = app.path().app_data_dir().map_err(|err| Error::Storage {
                detail: format!("no data directory for the app: {err}"),
            })?;
            (
                Registry::open(&data_dir.join(REGISTRY_FILE))?,
                Arc::new(KeyringStore::new(vault::SERVICE)),
            )
        }
        Integration::Headless => (Registry::in_memory()?, Arc::new(MemoryStore::default())),
    };
    let core = Authdeck::new(Parts {
        registry,
        vault: Vault::new(store),
        clock: Arc::new(SystemClock),
        events: Arc::new(WindowEvents(app.clone())),
        settings: Settings::from_env(),
    })?;
    if integration == Integration::Desktop {
        let (catalog, refresher) = (core.catalog().clone(), core.tokens().clone());
        let sandbox = core.sandbox().clone();
        tauri::async_runtime::spawn(async move {
            // Entries move to their current names before anything reads them.
            match catalog.migrate_keyring_entries().await {
                Ok(0) => {}
                Ok(moved) => tracing::info!(moved, "keyring entries moved to their new names"),
                Err(err) => tracing::warn!("keyring entries could not be moved yet: {err}"),
            }
            // A sandbox the last run did not leave: its fakes are gone with that run.
            if let Err(err) = sandbox.forget_leftovers().await {
                tracing::warn!("the last run's sandbox could not be forgotten yet: {err}");
            }
            refresher.run_refresher().await
        });
        tauri::async_runtime::spawn(core.tokens().clone().run_health_checks());
    }
    Ok(core)
}

/// Forwards the core's events to the window.
struct WindowEvents<R: Runtime>(AppHandle<R>);

impl<R: Runtime> EventSink for WindowEvents<R> {
    fn emit(&self, event: AppEvent) {
        let sent = match &event {
            AppEvent::AccountsChanged | AppEvent::ActivityChanged => self.0.emit(event.name(), ()),
            AppEvent::SignIn(progress) => self.0.emit(event.name(), progress),
            AppEvent::Batch(progress) => self.0.emit(event.name(), progress),
            AppEvent::BatchPaused(pause) => self.0.emit(event.name(), pause),
        };
        if let Err(err) = sent {
            tracing::warn!("could not send {} to the window: {err}", event.name());
        }
        if matches!(event, AppEvent::AccountsChanged) {
            wake_attention(&self.0);
        }
    }
}

/// Starts the desktop app and blocks until it quits.
pub fn run() {
    startup::mark_start();
    let app = configure(tauri::Builder::default(), Integration::Desktop).build(context());
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                leave_sandbox_at_exit(app);
            }
        }),
        Err(err) => {
            eprintln!("Authdeck could not start: {err}");
            std::process::exit(1);
        }
    }
}

/// Sends every `authdeck://` link, the one that started the app and those that arrive later
/// (a second launch, the URL handler), to [`receive_link`].
fn route_deep_links<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            receive_link(&handle, url.as_str());
        }
    });
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        for url in urls {
            receive_link(app, url.as_str());
        }
    }
}

/// The one handler for incoming links: checks the shape, logs (without values), hands a
/// sign-in redirect to the core, tells the window how it went, and brings the window forward.
pub fn receive_link<R: Runtime>(app: &AppHandle<R>, raw: &str) {
    show_main_window(app);
    let link = match deep_link::check(raw) {
        Ok(DeepLink::Callback(link)) => link,
        Err(err) => {
            tracing::warn!("ignored a link: {err}");
            notify(
                app,
                Level::Warning,
                format!("Authdeck ignored a link: {err}."),
            );
            return;
        }
    };
    tracing::info!(keys = %link.query_keys().join(", "), "a sign-in link arrived");
    let core = match &app.state::<CoreState>().0 {
        Ok(core) => core.clone(),
        Err(err) => return notify(app, Level::Warning, err.message()),
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match core.sign_ins().complete_sign_in(link.url().as_str()).await {
            Ok(view) => notify(
                &app,
                Level::Info,
                format!(
                    "Signed in @{} for the app @{}.",
                    view.account.username, view.app_client_id
                ),
            ),
            Err(err) => notify(&app, Level::Warning, err.message()),
        }
    });
}

/// `--sandbox` on a command line (this launch's, or a second launch's that the single-instance
/// plugin handed over): starts the offline sandbox ([`sandbox`]) and tells the window how it
/// went.
fn start_sandbox_from_launch<R: Runtime>(app: &AppHandle<R>) {
    let core = match app.try_state::<CoreState>().map(|state| state.0.clone()) {
        Some(Ok(core)) => core,
        Some(Err(err)) => return notify(app, Level::Warning, err.message()),
        None => return,
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match core.sandbox().start().await {
            Ok(_) => notify(
                &app,
                Level::Info,
                "The offline sandbox runs: its demo apps are registered. Press Add account, choose one and approve in your browser (as alice, for example).".into(),
            ),
            Err(err) => notify(&app, Level::Warning, err.message()),
        }
    });
}

/// When the app quits while the sandbox runs, the sandbox is left (its fakes end with the
/// process, so nothing of it would work again); whatever a crash leaves is forgotten at the
/// next start ([`sandbox::Sandbox::forget_leftovers`]).
fn leave_sandbox_at_exit<R: Runtime>(app: &AppHandle<R>) {
    let Some(Ok(core)) = app.try_state::<CoreState>().map(|state| state.0.clone()) else {
        return;
    };
    tauri::async_runtime::block_on(async move {
        if !core.sandbox().status().await.running {
            return;
        }
        let leaving = core.sandbox().leave();
        match tokio::time::timeout(std::time::Duration::from_secs(5), leaving).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => tracing::warn!("the sandbox could not be left at exit: {err}"),
            Err(_) => tracing::warn!("leaving the sandbox at exit took too long"),
        }
    });
}

/// Keeps the session bus interface for scripts ([`bus`]) served while the app runs.
#[cfg(target_os = "linux")]
struct ScriptBus(#[allow(dead_code)] bus::BusService);

/// Serves scripts' token requests on the session bus (`authdeck token` asks there), on the
/// desktop on Linux; a request that needs the person's yes asks in the window.
fn start_script_bus<R: Runtime>(app: &AppHandle<R>, integration: Integration) {
    #[cfg(target_os = "linux")]
    if integration == Integration::Desktop {
        let Some(Ok(core)) = app.try_state::<CoreState>().map(|state| state.0.clone()) else {
            return;
        };
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let prompter = Arc::new(WindowPrompter(app.clone()));
            match bus::serve(core.scripts().clone(), prompter).await {
                Ok(served) => {
                    tracing::info!(
                        name = bus::BUS_NAME,
                        "scripts can ask for tokens on the session bus"
                    );
                    app.manage(ScriptBus(served));
                }
                Err(err) => tracing::warn!("scripts cannot ask this app for tokens: {err}"),
            }
        });
    }
    let _ = (app, integration);
}

/// Asks the person in the window about a script's token request ([`scripts::Prompter`]).
#[cfg(target_os = "linux")]
struct WindowPrompter<R: Runtime>(AppHandle<R>);

#[cfg(target_os = "linux")]
impl<R: Runtime> scripts::Prompter for WindowPrompter<R> {
    fn ask(&self, request: &scripts::ScriptRequest) {
        show_main_window(&self.0);
        if let Err(err) = self.0.emit(events::SCRIPT_REQUEST, request) {
            tracing::warn!("could not ask the window about a script's request: {err}");
        }
    }

    fn withdraw(&self, request_id: u64) {
        if let Err(err) = self.0.emit(events::SCRIPT_REQUEST_ENDED, request_id) {
            tracing::warn!("could not tell the window a script's request is over: {err}");
        }
    }
}

/// Queues a notice for the window and tells it to look.
fn notify<R: Runtime>(app: &AppHandle<R>, level: Level, text: String) {
    app.state::<Notices>().push(Notice { level, text });
    if let Err(err) = app.emit(events::NOTICES_CHANGED, ()) {
        tracing::warn!("could not tell the window about a notice: {err}");
    }
}

fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Development builds are not installed, so nothing tells the desktop that `authdeck://`
/// opens them: register the scheme for the current user. Installed packages declare it in
/// their `.desktop` file instead, so an installed copy (even a debug `.deb`) registers nothing
/// ([`deep_link::should_register`]). On Linux Authdeck writes the handler itself
/// ([`deep_link::register_development_handler`]: an `Exec` the generic `xdg-open` can run);
/// on Windows the deep-link plugin writes the registry keys.
fn register_scheme_in_development<R: Runtime>(app: &AppHandle<R>) {
    let exe = match tauri::utils::platform::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            tracing::warn!("could not register the authdeck:// scheme: no executable path: {err}");
            return;
        }
    };
    if !deep_link::should_register(&exe, cfg!(debug_assertions)) {
        return;
    }
    #[cfg(target_os = "linux")]
    match deep_link::register_development_handler(&exe) {
        Ok(entry) => tracing::info!("registered authdeck:// with {}", entry.display()),
        Err(err) => tracing::warn!("could not register the authdeck:// scheme: {err}"),
    }
    #[cfg(windows)]
    if let Err(err) = app.deep_link().register_all() {
        tracing::warn!("could not register the authdeck:// scheme: {err}");
    }
    let _ = app;
}

/// The post preview's image fetcher ([`images`]), or why it could not start.
pub struct PreviewImages(pub Result<Arc<images::ImageFetcher>, Error>);

/// A test hook: managed before [`configure`] (`builder.manage(NotifierHook(...))`), the app
/// delivers its attention notifications ([`attention`]) there instead of to the desktop.
pub struct NotifierHook(pub Arc<dyn attention::Notifier>);

/// The attention checks and what wakes them early.
struct AttentionState {
    attention: Arc<attention::Attention>,
    wake: Arc<tokio::sync::Notify>,
}

/// Starts the attention checks ([`attention`]): one now, one after every "accounts changed"
/// event, and one every [`attention::CHECK_INTERVAL`]. They notify through the
/// [`NotifierHook`] when a test installed one, else through the desktop's notification server
/// (the real app) or nowhere (headless tests). A click on a notification shows its account.
fn start_attention<R: Runtime>(app: &AppHandle<R>, integration: Integration) {
    use tauri_plugin_notification::NotificationExt;

    let notifier: Arc<dyn attention::Notifier> = match app.try_state::<NotifierHook>() {
        Some(hook) => hook.0.clone(),
        None if integration == Integration::Desktop => Arc::new(DesktopNotifier(app.clone())),
        None => Arc::new(attention::RecordedNotifications::default()),
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    app.manage(AttentionState {
        attention: Arc::new(attention::Attention::new(notifier)),
        wake: wake.clone(),
    });
    let clicked = app.clone();
    if let Err(err) = app.notification().on_action(move |performed| {
        notification_action(&clicked, performed);
    }) {
        tracing::warn!("clicks on notifications will not show their account: {err}");
    }
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            check_attention(&handle);
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(attention::CHECK_INTERVAL) => {}
            }
        }
    });
}

/// Asks for an attention check soon (after an "accounts changed" event); bursts make one.
fn wake_attention<R: Runtime>(app: &AppHandle<R>) {
    if let Some(state) = app.try_state::<AttentionState>() {
        state.wake.notify_one();
    }
}

/// One attention check now: lists the accounts and notifies about those that need the person
/// and were not told yet. Returns the notifications it delivered (none before the app's set-up
/// ran, or when the core did not start). The app runs it by itself; tests call it as "the next
/// check".
pub fn check_attention<R: Runtime>(app: &AppHandle<R>) -> Vec<attention::Message> {
    let Some(state) = app.try_state::<AttentionState>() else {
        return Vec::new();
    };
    let Some(Ok(core)) = app.try_state::<CoreState>().map(|state| state.0.clone()) else {
        return Vec::new();
    };
    match core.catalog().list_accounts() {
        Ok(accounts) => state
            .attention
            .check(&accounts, crate::clock::Clock::now(&SystemClock)),
        Err(err) => {
            tracing::warn!("the attention check could not list accounts: {err}");
            Vec::new()
        }
    }
}

/// What a click on one of Authdeck's notifications does: a click on the notification itself
/// (`tap`) brings the window forward and shows the account it named (see [`show_account`]).
/// Returns that account, if the action named one.
pub fn notification_action<R: Runtime>(
    app: &AppHandle<R>,
    performed: &tauri_plugin_notification::ActionPerformed,
) -> Option<accounts::AccountId> {
    if performed.action_id() != "tap" {
        return None;
    }
    let notification = performed.notification()?;
    let id = notification
        .extra()
        .get(NOTIFICATION_ACCOUNT_KEY)
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(i64::from(notification.id()));
    let id = accounts::AccountId(id);
    show_account(app, id);
    Some(id)
}

/// The key of a notification's extra payload that names its account.
const NOTIFICATION_ACCOUNT_KEY: &str = "accountId";

/// Brings the window forward and asks the page to show account `id`
/// ([`events::SHOW_ACCOUNT`]: the accounts view, the row selected and scrolled into view).
pub fn show_account<R: Runtime>(app: &AppHandle<R>, id: accounts::AccountId) {
    show_main_window(app);
    let payload = events::ShowAccount { account_id: id };
    if let Err(err) = app.emit(events::SHOW_ACCOUNT, payload) {
        tracing::warn!("could not ask the window to show an account: {err}");
    }
}

/// Delivers attention notifications through the notification plugin.
struct DesktopNotifier<R: Runtime>(AppHandle<R>);

impl<R: Runtime> attention::Notifier for DesktopNotifier<R> {
    fn notify(&self, message: &attention::Message) {
        use tauri_plugin_notification::NotificationExt;

        let shown = self
            .0
            .notification()
            .builder()
            .id(i32::try_from(message.account_id.0).unwrap_or_default())
            .title(&message.title)
            .body(&message.body)
            .extra(NOTIFICATION_ACCOUNT_KEY, message.account_id.0)
            .auto_cancel()
            .show();
        if let Err(err) = shown {
            tracing::warn!("could not show a desktop notification: {err}");
        }
    }
}
