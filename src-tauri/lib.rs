//! Authdeck: a desktop app that manages Hivesigner and SteemLogin app authorizations.
//!
//! This file is the Tauri shell: plugins, state, commands and deep-link routing. The logic
//! lives in plain modules that never import Tauri (`deep_link`, `notices`, `redact`, ...).
//! The app is assembled by [`configure`], generic over [`tauri::Runtime`], so tests build the
//! same app on Tauri's mock runtime.

mod commands;
pub mod deep_link;
pub mod events;
pub mod logging;
pub mod notices;
pub mod redact;

use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::deep_link::DeepLink;
use crate::notices::{Level, Notice, Notices};

/// The label of the one window.
pub const MAIN_WINDOW: &str = "main";

/// How much of the desktop the app takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// The real app: one instance per user session (a second launch hands its link over and
    /// exits), logs in the app's log directory, and (in development builds) registers the
    /// `authdeck://` scheme for the current user.
    Desktop,
    /// Tests on the mock runtime: none of the above, so tests neither exit on a running app nor
    /// touch the user's desktop files.
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
            builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
                show_main_window(app)
            }))
        }
        Integration::Headless => builder,
    };
    builder
        .plugin(tauri_plugin_deep_link::init())
        .manage(Notices::default())
        .invoke_handler(tauri::generate_handler![commands::take_notices])
        .setup(move |app| {
            if integration == Integration::Desktop {
                let log_dir = app.path().app_log_dir().ok();
                logging::init(log_dir.as_deref());
                tracing::info!(version = %app.package_info().version, "Authdeck starting");
                register_scheme_in_development(app.handle());
            }
            route_deep_links(app.handle());
            Ok(())
        })
}

/// Starts the desktop app and blocks until it quits.
pub fn run() {
    let app = configure(tauri::Builder::default(), Integration::Desktop).build(context());
    match app {
        Ok(app) => app.run(|_, _| {}),
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

/// The one handler for incoming links: checks the shape, logs (without values), tells the
/// window, and brings the window forward.
pub fn receive_link<R: Runtime>(app: &AppHandle<R>, raw: &str) {
    let notice = match deep_link::check(raw) {
        Ok(DeepLink::Callback(link)) => {
            let keys = link.query_keys().join(", ");
            tracing::info!(%keys, "a sign-in link arrived");
            Notice {
                level: Level::Info,
                text: format!(
                    "A sign-in link arrived (authdeck://callback with {keys}), \
                     but no sign-in was waiting for it, so it was ignored."
                ),
            }
        }
        Err(err) => {
            tracing::warn!("ignored a link: {err}");
            Notice {
                level: Level::Warning,
                text: format!("Authdeck ignored a link: {err}."),
            }
        }
    };
    app.state::<Notices>().push(notice);
    if let Err(err) = app.emit(events::NOTICES_CHANGED, ()) {
        tracing::warn!("could not tell the window about a notice: {err}");
    }
    show_main_window(app);
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
/// their `.desktop` file instead.
fn register_scheme_in_development<R: Runtime>(app: &AppHandle<R>) {
    #[cfg(all(debug_assertions, any(target_os = "linux", windows)))]
    if let Err(err) = app.deep_link().register_all() {
        tracing::warn!("could not register the authdeck:// scheme: {err}");
    }
    let _ = app;
}
