// The one door to the Rust side: commands and events, through Tauri's global API.
const tauri = window.__TAURI__;

/** Event names the app emits (see src-tauri/events.rs). */
export const EVENTS = Object.freeze({
  accountsChanged: "authdeck:accounts-changed",
  signIn: "authdeck:sign-in",
  noticesChanged: "authdeck:notices-changed",
  batch: "authdeck:batch",
  batchPaused: "authdeck:batch-paused",
  activityChanged: "authdeck:activity-changed",
  scriptRequest: "authdeck:script-request",
  scriptRequestEnded: "authdeck:script-request-ended",
});

/** Calls a command of the app; rejects with its `{code, message[, field]}` error. */
export function invoke(command, args) {
  return tauri.core.invoke(command, args);
}

/** Calls `handler` with each event's payload; returns a promise of the unlisten function. */
export function listen(event, handler) {
  return tauri.event.listen(event, (event) => handler(event.payload));
}

/** A readable message from whatever a command rejected with. */
export function messageOf(error) {
  if (error && typeof error === "object" && "message" in error) return String(error.message);
  return String(error);
}
