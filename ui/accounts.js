// The accounts view: one row per account, sorted by attention needed, filtered as you type,
// with a live expiry countdown ticking in the page (no polling of the app).
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { confirmDialog, h } from "./dom.js";
import { countdown, dateTime, nowSeconds, scopesText } from "./format.js";

const HIGHLIGHT_MS = 8000;

/** How an account is doing, in words, and how much it needs attention (lower first). */
export function healthOf(account, now) {
  switch (account.health) {
    case "needs_sign_in":
      return { key: "needs-sign-in", label: "Needs sign-in", rank: 0 };
    case "provider_unreachable":
      return { key: "unreachable", label: "Provider unreachable", rank: 1 };
    case "refreshing":
      return { key: "refreshing", label: "Refreshing…", rank: 2 };
    default:
      if (account.flow === "implicit") {
        return {
          key: "implicit",
          label: `Implicit (no refresh): sign in again by ${dateTime(account.expiresAt)}`,
          rank: account.expiresAt - now < 86400 ? 3 : 4,
        };
      }
      return { key: "fresh", label: "Fresh", rank: 4 };
  }
}

/** Sorts accounts by attention needed, then by name, then by app. */
export function sortByAttention(accounts, now) {
  return [...accounts].sort(
    (a, b) =>
      healthOf(a, now).rank - healthOf(b, now).rank ||
      a.username.localeCompare(b.username) ||
      a.appClientId.localeCompare(b.appClientId),
  );
}

/**
 * Starts the accounts view inside `root`. `signIn(appId)` starts a sign-in; `notify(notice)`
 * shows a notice; `showApps()` switches to the apps view. Returns `{ reload, highlight }`.
 */
export async function startAccountsView(root, { signIn, notify, showApps }) {
  const rows = root.querySelector("#account-rows");
  const table = root.querySelector("#accounts-table");
  const empty = root.querySelector("#accounts-empty");
  const filter = root.querySelector("#account-filter");
  const count = root.querySelector("#account-count");
  let countdowns = [];
  let accounts = [];
  let pendingHighlight = null;
  let shown = new Map(); // account id -> { row, timer, expiresAt, key }

  const applyFilter = () => {
    const needle = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows.children) {
      const match = !needle || row.dataset.search.includes(needle);
      row.hidden = !match;
      if (match) shown += 1;
    }
    count.textContent = needle
      ? `${shown} of ${accounts.length} accounts`
      : `${accounts.length} account${accounts.length === 1 ? "" : "s"}`;
  };

  const tick = () => {
    const now = nowSeconds();
    for (const entry of countdowns) {
      const text = countdown(entry.expiresAt, now);
      if (entry.node.textContent !== text) entry.node.textContent = text;
    }
  };

  const act = async (action, account, button) => {
    button.disabled = true;
    try {
      if (action === "refresh") {
        await invoke("refresh_account", { accountId: account.id });
      } else if (action === "sign-in") {
        await signIn(account.appId);
      } else if (action === "remove") {
        await removeAccount(account, notify);
      }
    } catch (error) {
      notify({ level: "warning", text: `@${account.username}: ${messageOf(error)}` });
    } finally {
      button.disabled = false;
    }
  };

  const renderRow = (account, now) => {
    const health = healthOf(account, now);
    const timer = h("span", { class: "countdown" }, countdown(account.expiresAt, now));
    const button = (action, label, disabled) => {
      const element = h(
        "button",
        { type: "button", dataset: { action }, disabled, "aria-label": `${label} @${account.username}` },
        label,
      );
      element.addEventListener("click", () => act(action, account, element));
      return element;
    };
    const row = h(
      "tr",
      {
        class: `account-row health-${health.key}`,
        dataset: {
          id: account.id,
          search: `${account.username} ${account.appClientId} ${account.providerLabel}`.toLowerCase(),
        },
      },
      h(
        "th",
        { scope: "row", class: "cell-account" },
        h("span", { class: "account-name" }, `@${account.username}`),
        h("span", { class: "account-app" }, `@${account.appClientId} · ${account.providerLabel}`),
      ),
      h("td", { class: "cell-scopes" }, scopesText(account.scopes)),
      h("td", { class: "cell-expiry", title: dateTime(account.expiresAt) }, timer),
      h(
        "td",
        { class: "cell-health" },
        h("span", { class: `badge badge-${health.key}` }, health.label),
        account.healthDetail ? h("p", { class: "health-detail" }, account.healthDetail) : null,
      ),
      h(
        "td",
        { class: "cell-actions" },
        button("refresh", "Refresh now", account.flow === "implicit"),
        button("sign-in", "Sign in again"),
        button("remove", "Remove"),
      ),
    );
    return { row, timer, expiresAt: account.expiresAt };
  };

  // What a row shows; a row whose key did not change is kept as it is (focus, highlight).
  const keyOf = (account) =>
    JSON.stringify([
      account.username,
      account.providerLabel,
      account.appClientId,
      account.scopes,
      account.flow,
      account.expiresAt,
      account.health,
      account.healthDetail,
    ]);

  const render = () => {
    performance.mark("accounts-render-start");
    const now = nowSeconds();
    const next = new Map();
    const ordered = sortByAttention(accounts, now).map((account) => {
      const key = keyOf(account);
      const kept = shown.get(account.id);
      const entry = kept && kept.key === key ? kept : { ...renderRow(account, now), key };
      next.set(account.id, entry);
      return entry.row;
    });
    shown = next;
    countdowns = [...next.values()].map(({ timer, expiresAt }) => ({ node: timer, expiresAt }));
    const current = rows.children;
    const sameOrder =
      current.length === ordered.length && ordered.every((row, index) => current[index] === row);
    if (!sameOrder) {
      const focused = document.activeElement;
      rows.replaceChildren(...ordered);
      if (focused && rows.contains(focused)) focused.focus();
    }
    table.hidden = accounts.length === 0;
    empty.hidden = accounts.length !== 0;
    applyFilter();
    if (pendingHighlight !== null) highlight(pendingHighlight);
    void rows.offsetHeight; // lay out now, so the measure includes layout
    performance.measure("accounts-render", "accounts-render-start");
  };

  const highlight = (accountId) => {
    const row = rows.querySelector(`tr[data-id="${accountId}"]`);
    if (!row) {
      pendingHighlight = accountId;
      return;
    }
    pendingHighlight = null;
    row.classList.add("row-new");
    row.scrollIntoView({ block: "nearest" });
    setTimeout(() => row.classList.remove("row-new"), HIGHLIGHT_MS);
  };

  let reloading = null;
  const reload = () => {
    // Coalesce bursts of change events into one reload.
    reloading ??= Promise.resolve().then(async () => {
      reloading = null;
      performance.mark("accounts-load-start");
      try {
        accounts = await invoke("list_accounts");
        render();
        performance.measure("accounts-load", "accounts-load-start");
      } catch (error) {
        notify({ level: "warning", text: `Could not list the accounts: ${messageOf(error)}` });
      }
    });
    return reloading;
  };

  filter.addEventListener("input", applyFilter);
  root.querySelector("#empty-register").addEventListener("click", () => showApps(true));
  setInterval(tick, 1000);
  await listen(EVENTS.accountsChanged, reload);
  await reload();
  return { reload, highlight };
}

async function removeAccount(account, notify) {
  const confirmed = await confirmDialog({
    title: `Remove @${account.username}?`,
    lines: [
      `Authdeck will revoke the token of @${account.username} at ${account.providerLabel}, delete its tokens from your keyring and forget the account.`,
      `On Hivesigner, revoking changes nothing on chain: @${account.username} keeps @${account.appClientId}'s posting authority until they remove it. Authdeck shows the page for that next.`,
    ],
    confirmLabel: "Remove account",
  });
  if (!confirmed) return;
  const removed = await invoke("remove_account", { accountId: account.id });
  const page = removed.authorityRemovalPage;
  notify({
    level: "info",
    text: `Removed @${removed.username}${removed.revokedAtProvider ? "" : " (the provider did not confirm the revoke)"}. To remove @${account.appClientId}'s authority on chain, @${removed.username} can visit ${page}.`,
    actions: [
      {
        label: "Open that page",
        run: () =>
          invoke("open_provider_page", { url: page }).catch((error) =>
            notify({ level: "warning", text: messageOf(error) }),
          ),
      },
    ],
  });
}
