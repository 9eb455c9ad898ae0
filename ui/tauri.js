// The one door to the Rust side: commands and events, through Tauri's global API.
const tauri = window.__TAURI__;

/** Calls a command of the app and returns its reply. */
export function invoke(command, args) {
  return tauri.core.invoke(command, args);
}

/** Calls `handler` each time the app emits `event`; returns a promise of the unlisten function. */
export function listen(event, handler) {
  return tauri.event.listen(event, handler);
}
