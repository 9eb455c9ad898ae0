// The page's first script: a classic one in <head>, run before the module graph loads. It asks
// for the first accounts list at once (the accounts view renders it as soon as it starts) and
// keeps the page from painting until that list is rendered, so the first frame the window
// shows has the list in it, never the empty shell. After REVEAL_AFTER_MS the page shows
// whatever it has, so a failure never leaves the window blank.
"use strict";
(() => {
  const REVEAL_AFTER_MS = 1500;
  const ACCOUNTS_CHANGED = "authdeck:accounts-changed"; // EVENTS.accountsChanged in tauri.js
  const root = document.documentElement;
  let safety = null;
  const reveal = () => {
    clearTimeout(safety);
    root.classList.remove("booting");
  };
  const tauri = window.__TAURI__;
  if (!tauri) return;
  root.classList.add("booting");
  safety = setTimeout(reveal, REVEAL_AFTER_MS);

  // Changes that happen after the list was read reach the view: the listener is in place
  // before the list is asked for, and holds what it hears until the view takes over.
  let handler = null;
  let missed = false;
  const listening = tauri.event.listen(ACCOUNTS_CHANGED, () => {
    if (handler) handler();
    else missed = true;
  });
  const accounts = listening.then(() => {
    performance.mark("accounts-load-start");
    return tauri.core.invoke("list_accounts");
  });
  // A failure is the view's to report, when it asks.
  accounts.catch(() => {});

  /** What the accounts view takes over: the first list, the change events, the reveal. */
  window.authdeckBoot = Object.freeze({
    /** The first `list_accounts` reply (a promise). */
    accounts,
    /** Hands every accounts-changed event to `next`, at once if one came already. */
    onAccountsChanged(next) {
      handler = next;
      if (missed) {
        missed = false;
        next();
      }
    },
    /** Lets the page paint (the first list is in the DOM, or it failed). */
    reveal,
  });
})();
