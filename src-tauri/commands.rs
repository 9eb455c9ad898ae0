//! The commands the window may call: thin adapters from IPC to the plain modules.
//!
//! Every command here is listed in `build.rs` (the app manifest) and granted in
//! `capabilities/main-window.json`; nothing else is reachable from the page.

use tauri::State;

use crate::notices::{Notice, Notices};

/// Returns the notices waiting for the window (oldest first) and empties the queue.
#[tauri::command]
pub fn take_notices(notices: State<'_, Notices>) -> Vec<Notice> {
    notices.take()
}
