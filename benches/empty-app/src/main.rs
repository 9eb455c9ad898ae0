//! The empty app: the baseline of Authdeck's startup benchmark (`benches/startup.rs`).
//!
//! One window like Authdeck's, an empty page, and the one command the page calls once it has
//! painted, which prints the same `first paint:` line Authdeck logs. Nothing else: whatever
//! Authdeck costs beyond this app is Authdeck's own.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// When the process started (as near as the app can tell: the first line of `main`).
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Whether the first paint was reported already (it is reported once).
static PAINTED: AtomicBool = AtomicBool::new(false);

/// The page has painted its first frame with `accounts` rows: prints
/// `first paint: {accounts} accounts listed, {ms} ms after start` to stderr, the first time.
#[tauri::command]
fn page_painted(accounts: u32) {
    if PAINTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let ms = STARTED
        .get()
        .map_or(0, |started| started.elapsed().as_millis());
    eprintln!("first paint: {accounts} accounts listed, {ms} ms after start");
}

fn main() {
    STARTED.get_or_init(Instant::now);
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![page_painted])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(err) => {
            eprintln!("the empty app could not start: {err}");
            std::process::exit(1);
        }
    }
}
