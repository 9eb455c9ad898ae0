// The accounts view: one row per account, sorted by attention needed, filtered as you type,
// with a live expiry countdown ticking in the page (no polling of the app). Its first list is
// the one `boot.js` asked for before the modules loaded, rendered before the page's first
// paint. The list is windowed: the DOM holds only the rows in view and BUFFER_ROWS either side
// (and the focused row with its neighbours), between a padding and a height that stand for the
// rest; rows have one fixed height (style.css), so where each one goes is arithmetic. Scrolling
// draws the new window once per frame; rows that stay are kept as they are. The countdowns
// wake up only when a text changes (and not while the window is hidden), and write only that
// text of the rows in the DOM: an idle window draws nothing. An account that broadcasts has an
// "Authority" panel: who holds posting authority over it on chain, and whether its app granted
// the provider's broadcaster. A click on one of the app's desktop notifications brings the
// account into view here.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { confirmDialog, h } from "./dom.js";
import { appName, countdown, countdownChangesAt, dateTime, isSignerKind, nowSeconds, removalWords, scopesText } from "./format.js";

const HIGHLIGHT_MS = 8000;

/** Rows kept in the DOM above and below those in view: a quick scroll or a key finds them. */
export const BUFFER_ROWS = 30;

/** A row's height (with its gap) until one is measured; style.css fixes the real one. */
const PITCH_GUESS = 168;

/** Sent by the app when a notification about an account was clicked (src-tauri/events.rs). */
const SHOW_ACCOUNT_EVENT = "authdeck:show-account";

/** The authority panel asks the chain again after an accounts change at most this often. */
const AUTHORITY_QUIET_MS = 10000;

/** How an account is doing, in words, and how much it needs attention (lower first). */
export function healthOf(account, now) {
  switch (account.health) {
    case "needs_sign_in":
      return { key: "needs-sign-in", label: "Needs sign-in", rank: 0 };
    case "provider_unreachable":
      return { key: "unreachable", label: "Provider unreachable", rank: 1 };
    case "provider_error":
      return { key: "provider-error", label: "Provider error", rank: 1 };
    case "refreshing":
      return { key: "refreshing", label: "Refreshing…", rank: 2 };
    default: {
      if (account.flow !== "implicit") return { key: "fresh", label: "Fresh", rank: 4 };
      const known = account.expiresAt !== null && account.expiresAt !== undefined;
      const rank = known && account.expiresAt - now < 86400 ? 3 : 4;
      if (isSignerKind(account.providerKind)) {
        return {
          key: "implicit",
          label: known
            ? `Implicit (no refresh): sign in again by ${dateTime(account.expiresAt)}`
            : "Implicit (no refresh): sign in again when it expires",
          rank,
        };
      }
      // An OAuth 2.0 account that got no refresh token, or a token site's: good until it
      // expires (or, with no expiry given, until the provider refuses it).
      return { key: known ? "implicit" : "fresh", label: "Valid (no refresh)", rank };
    }
  }
}

/** The line under an account's expiry saying what happens when a token cannot refresh. */
function refreshNote(account) {
  if (account.flow !== "implicit") return null;
  if (account.providerKind === "oauth2") return "no refresh: sign in again when it expires";
  if (account.providerKind === "token_site") {
    return account.expiresAt === null || account.expiresAt === undefined
      ? "no refresh: sign in again (or paste a new token) when the site refuses it"
      : "no refresh: sign in again (or paste a new token) when it expires";
  }
  return null;
}

/** Sorts accounts by attention needed, then by name, then by app. */
export function sortByAttention(accounts, now) {
  return accounts
    .map((account) => ({ account, rank: healthOf(account, now).rank }))
    .sort(
      (a, b) =>
        a.rank - b.rank ||
        compareText(a.account.username, b.account.username) ||
        compareText(a.account.appClientId, b.account.appClientId),
    )
    .map(({ account }) => account);
}

// Account names are lowercase ASCII: a plain comparison sorts them as people expect.
function compareText(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Starts the accounts view inside `root`. `signIn(appId, { accountId, username })` starts a
 * sign-in (for that account, when it signs in again); `notify(notice)`
 * shows a notice; `showApps()` switches to the apps view; `onLoaded(accounts)` hears every
 * fresh list. Returns `{ reload, highlight }`.
 */
export async function startAccountsView(root, { signIn, notify, showApps, onLoaded }) {
  const rows = root.querySelector("#account-rows");
  const table = root.querySelector("#accounts-table");
  const empty = root.querySelector("#accounts-empty");
  const filter = root.querySelector("#account-filter");
  const count = root.querySelector("#account-count");
  let accounts = [];
  // Every account in the list's order, with what its row shows and what the filter matches:
  // { account, key, search }. `listed` is the part the filter lets through, the list the rows
  // window onto.
  let ordered = [];
  let listed = [];
  // The rows in the DOM: account id -> { row, key, account, countdown }.
  let shown = new Map();
  let countdowns = [];
  let pitch = PITCH_GUESS;
  let pendingHighlight = null;
  const highlighted = new Set();
  const gaps = [];

  const applyFilter = ({ marking = false } = {}) => {
    const needle = filter.value.trim().toLowerCase();
    listed = needle ? ordered.filter((item) => item.search.includes(needle)) : ordered;
    // Written only when it changes: a reload that changed nothing repaints nothing.
    const text = needle
      ? `${listed.length} of ${accounts.length} accounts`
      : `${accounts.length} account${accounts.length === 1 ? "" : "s"}`;
    if (count.textContent !== text) count.textContent = text;
    // The table counts every listed row, not only those in the DOM (the header is row 1).
    const rowCount = String(listed.length + 1);
    if (table.getAttribute("aria-rowcount") !== rowCount) table.setAttribute("aria-rowcount", rowCount);
    draw({ marking });
  };

  // The countdowns of the rows in the DOM: each entry knows when its text changes next; one
  // timer wakes up at the earliest of those, writes the texts that changed and nothing else,
  // and sleeps while the window is hidden.
  let ticking = null;
  const tick = () => {
    clearTimeout(ticking);
    ticking = null;
    if (document.visibilityState === "hidden") return;
    const now = nowSeconds();
    let next = Infinity;
    for (const entry of countdowns) {
      if (entry.changesAt <= now) {
        const text = countdown(entry.expiresAt, now);
        if (entry.text !== text) {
          entry.text = text;
          entry.node.firstChild.data = text;
        }
        entry.changesAt = countdownChangesAt(entry.expiresAt, now);
      }
      if (entry.changesAt < next) next = entry.changesAt;
    }
    // A little past the second it changes, so that second has begun when it runs.
    if (next !== Infinity) ticking = setTimeout(tick, Math.max(0, next * 1000 - Date.now()) + 20);
  };

  const act = async (action, account, button) => {
    button.disabled = true;
    try {
      if (action === "refresh") {
        await invoke("refresh_account", { accountId: account.id });
      } else if (action === "sign-in") {
        // The answer must name this account: another one signing in is refused.
        await signIn(account.appId, { accountId: account.id, username: account.username });
      } else if (action === "remove") {
        await removeAccount(account, notify);
      } else if (action === "authority") {
        await authority.open(account);
      }
    } catch (error) {
      notify({ level: "warning", text: `@${account.username}: ${messageOf(error)}` });
    } finally {
      button.disabled = false;
    }
  };

  const template = root.querySelector("#account-row-template").content.firstElementChild;
  const renderRow = (account, now) => {
    const health = healthOf(account, now);
    const row = template.cloneNode(true);
    row.classList.add(`health-${health.key}`);
    if (highlighted.has(account.id)) row.classList.add("row-new");
    row.dataset.id = account.id;
    row.querySelector(".account-name").textContent = `@${account.username}`;
    row.dataset.kind = account.providerKind ?? "";
    row.querySelector(".account-app").textContent = `${appName(account.providerKind, account.appClientId)} · ${account.providerLabel}`;
    if (account.sandbox) {
      row.classList.add("is-sandbox");
      row.querySelector(".cell-account").append(h("span", { class: "sandbox-tag", title: "An account of the offline sandbox: it goes when you leave the sandbox" }, "sandbox"));
    }
    row.querySelector(".cell-scopes").textContent = scopesText(account.scopes, account.providerKind);
    const expiry = row.querySelector(".cell-expiry");
    const known = account.expiresAt !== null && account.expiresAt !== undefined;
    expiry.title = known
      ? dateTime(account.expiresAt)
      : "The provider gave no expiry: Authdeck uses the token until the provider refuses it.";
    const timer = expiry.firstElementChild;
    // One text node for the life of the row: a tick changes its data and nothing else.
    const text = countdown(account.expiresAt, now);
    timer.append(text);
    if (!known) timer.classList.add("no-expiry");
    const note = refreshNote(account);
    if (note) expiry.append(h("p", { class: "expiry-note" }, note));
    const badge = row.querySelector(".badge");
    badge.classList.add(`badge-${health.key}`);
    badge.textContent = health.label;
    const detail = row.querySelector(".health-detail");
    if (account.healthDetail) {
      detail.textContent = account.healthDetail;
      // Rows have one height: a long detail is cut short there, and whole here.
      detail.title = account.healthDetail;
    } else detail.remove();
    for (const button of row.querySelectorAll("button")) {
      button.setAttribute("aria-label", `${button.textContent} @${account.username}`);
    }
    row.querySelector('[data-action="refresh"]').disabled = account.flow === "implicit";
    // Only accounts that vote and post through a signer keep an authority on chain.
    if (!account.broadcasts) row.querySelector('[data-action="authority"]').remove();
    // The way back for an account that needs it stands out.
    if (health.key === "needs-sign-in") row.querySelector('[data-action="sign-in"]').classList.add("primary");
    const ticks = known ? { node: timer, expiresAt: account.expiresAt, text, changesAt: now } : null;
    return { row, countdown: ticks };
  };

  // What a row shows; a row whose key did not change is kept as it is (focus, highlight).
  const keyOf = (account) =>
    JSON.stringify([
      account.username,
      account.providerLabel,
      account.providerKind,
      account.appClientId,
      account.scopes,
      account.flow,
      account.expiresAt,
      account.health,
      account.healthDetail,
      account.broadcasts,
      account.sandbox,
    ]);

  const searchOf = (account) =>
    `${account.username} ${account.appClientId} ${account.providerLabel}${account.sandbox ? " sandbox" : ""}`.toLowerCase();

  // The part of `listed` in view, BUFFER_ROWS either side: [first, end).
  const inView = () => {
    const top = rows.getBoundingClientRect().top;
    const end = Math.min(listed.length, Math.ceil(Math.max(0, window.innerHeight - top) / pitch) + BUFFER_ROWS);
    const first = Math.min(end, Math.max(0, Math.floor(Math.max(0, -top) / pitch) - BUFFER_ROWS));
    return [first, end];
  };

  const indexOf = (accountId) => listed.findIndex((item) => item.account.id === accountId);

  // An empty block standing for the rows between two parts of the window.
  const gap = (index, rowsLeftOut) => {
    gaps[index] ??= h("div", { class: "account-gap", "aria-hidden": "true" });
    const height = `${rowsLeftOut * pitch}px`;
    if (gaps[index].style.height !== height) gaps[index].style.height = height;
    return gaps[index];
  };

  const setStyle = (name, value) => {
    if (rows.style[name] !== value) rows.style[name] = value;
  };

  // Puts `nodes` in `rows`, in order, touching only what changed: rows that stay are neither
  // rebuilt nor moved (unless the order changed), and a focused one keeps the focus.
  const place = (nodes) => {
    const focused = document.activeElement;
    const wanted = new Set(nodes);
    for (const child of [...rows.children]) if (!wanted.has(child)) child.remove();
    let cursor = rows.firstElementChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else rows.insertBefore(node, cursor);
    }
    if (focused && focused !== document.activeElement && rows.contains(focused)) focused.focus({ preventScroll: true });
  };

  // Lays out the window: the rows in view and the buffer, the focused row (and `keep`) with
  // their neighbours, the padding above and the list's whole height.
  const layout = (keep, marking) => {
    const now = nowSeconds();
    const [first, end] = inView();
    const wanted = new Set();
    for (let index = first; index < end; index += 1) wanted.add(index);
    const focusedRow = rows.contains(document.activeElement) ? document.activeElement.closest(".account-row") : null;
    // Tab and Shift+Tab from the focused row go on to the next account, wherever the window is.
    for (const id of [keep, focusedRow ? Number(focusedRow.dataset.id) : null]) {
      const at = id === null ? -1 : indexOf(id);
      if (at < 0) continue;
      for (let index = Math.max(0, at - 1); index <= Math.min(listed.length - 1, at + 1); index += 1) wanted.add(index);
    }
    const indices = [...wanted].sort((a, b) => a - b);
    const next = new Map();
    const nodes = [];
    let previous = indices.length > 0 ? indices[0] - 1 : -1;
    for (const index of indices) {
      if (index > previous + 1) nodes.push(gap(nodes.length - next.size, index - previous - 1));
      previous = index;
      const { account, key } = listed[index];
      const kept = shown.get(account.id);
      const entry = kept && kept.key === key ? kept : { ...renderRow(account, now), key };
      entry.account = account;
      const rowIndex = String(index + 2);
      if (entry.row.getAttribute("aria-rowindex") !== rowIndex) entry.row.setAttribute("aria-rowindex", rowIndex);
      next.set(account.id, entry);
      nodes.push(entry.row);
    }
    if (marking) performance.mark("accounts-rows-built");
    shown = next;
    place(nodes);
    setStyle("paddingTop", `${(indices[0] ?? 0) * pitch}px`);
    setStyle("height", `${listed.length * pitch}px`);
    countdowns = [];
    for (const { countdown: ticks } of next.values()) if (ticks) countdowns.push(ticks);
  };

  // A row's height with its gap, from a row in the DOM; false when unchanged or not laid out.
  const measure = () => {
    const row = rows.querySelector(".account-row");
    const height = row?.getBoundingClientRect().height ?? 0;
    if (height === 0) return false;
    const measured = height + (parseFloat(getComputedStyle(row).marginBottom) || 0);
    if (Math.abs(measured - pitch) < 0.01) return false;
    pitch = measured;
    return true;
  };

  const draw = ({ keep = null, marking = false } = {}) => {
    layout(keep, marking);
    if (measure()) layout(keep, false);
    tick();
  };

  // Scrolls and size changes draw the window once per frame, however many events came.
  let frame = 0;
  const schedule = () => {
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  };

  const render = () => {
    performance.mark("accounts-render-start");
    const now = nowSeconds();
    ordered = sortByAttention(accounts, now).map((account) => ({ account, key: keyOf(account), search: searchOf(account) }));
    if (table.hidden !== (accounts.length === 0)) table.hidden = accounts.length === 0;
    if (empty.hidden !== (accounts.length !== 0)) empty.hidden = accounts.length !== 0;
    applyFilter({ marking: true });
    if (pendingHighlight !== null) highlight(pendingHighlight);
    performance.mark("accounts-rows-inserted");
    void rows.offsetHeight; // lay out now, so the measure includes layout
    performance.measure("accounts-render", "accounts-render-start");
  };

  const highlight = (accountId, { focus = false } = {}) => {
    if (!ordered.some((item) => item.account.id === accountId)) {
      pendingHighlight = accountId;
      return;
    }
    pendingHighlight = null;
    highlighted.add(accountId);
    setTimeout(() => {
      highlighted.delete(accountId);
      shown.get(accountId)?.row.classList.remove("row-new");
    }, HIGHLIGHT_MS);
    // Filtered out: highlighted when it is listed again.
    if (indexOf(accountId) < 0) return;
    draw({ keep: accountId });
    const { row } = shown.get(accountId);
    row.classList.add("row-new");
    row.scrollIntoView({ block: "nearest" });
    if (focus) {
      // Selected: the way back for an account that needs it takes the focus.
      const target = row.querySelector("button.primary") ?? row.querySelector("button");
      target?.focus({ preventScroll: true });
    }
  };

  // A notification about an account was clicked: the accounts view, that row in view and
  // focused (a filter that hides it is cleared).
  const showAccount = async (accountId) => {
    if (accountId === undefined || accountId === null) return;
    document.querySelector('nav.views [data-view="accounts"]')?.click();
    await reload();
    if (indexOf(accountId) < 0 && filter.value) {
      filter.value = "";
      applyFilter();
    }
    highlight(accountId, { focus: true });
  };

  const authority = startAuthorityPanel(root.querySelector("#authority-panel"), { notify });

  // Shows a `list_accounts` reply (or says why there is none).
  const show = async (listedAccounts) => {
    try {
      accounts = await listedAccounts;
      render();
      authority.accountsChanged(accounts);
      onLoaded?.(accounts);
      performance.measure("accounts-load", "accounts-load-start");
    } catch (error) {
      notify({ level: "warning", text: `Could not list the accounts: ${messageOf(error)}` });
    }
  };

  let reloading = null;
  const reload = () => {
    // Coalesce bursts of change events into one reload.
    reloading ??= Promise.resolve().then(() => {
      reloading = null;
      performance.mark("accounts-load-start");
      return show(invoke("list_accounts"));
    });
    return reloading;
  };

  // One listener for every row's buttons.
  rows.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const id = Number(button?.closest(".account-row")?.dataset.id);
    const entry = shown.get(id);
    if (button && entry) act(button.dataset.action, entry.account, button);
  });
  filter.addEventListener("input", () => applyFilter());
  root.querySelector("#empty-register").addEventListener("click", () => showApps(true));
  document.addEventListener("visibilitychange", tick);
  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", schedule, { passive: true });
  // The view shown again, or the table's width changed (a narrow window stacks the rows).
  new ResizeObserver(schedule).observe(rows);

  // The first list: the one boot.js asked for (it also holds the change events until now),
  // painted in the page's first frame; the startup probe hears when that frame is drawn.
  const boot = window.authdeckBoot;
  if (boot) {
    await show(boot.accounts);
    boot.reveal();
    boot.onAccountsChanged(reload);
  } else {
    await listen(EVENTS.accountsChanged, reload);
    await reload();
  }
  const painted = accounts.length;
  requestAnimationFrame(() => setTimeout(() => invoke("page_painted", { accounts: painted }).catch(() => {}), 0));

  await listen(SHOW_ACCOUNT_EVENT, (payload) => showAccount(payload?.accountId));
  // A sign-in may be what grants (or restores) an authority: the panel looks again at once.
  await listen(EVENTS.signIn, (progress) => {
    if (progress?.stage === "completed") authority.refresh({ quiet: true, soon: true });
  });
  return { reload, highlight };
}

async function removeAccount(account, notify) {
  const who = `@${account.username}`;
  const app = appName(account.providerKind, account.appClientId);
  const after = {
    oauth2: `Revoking at an OAuth 2.0 server ends ${who}'s grant to ${app} there, if the server has a revocation endpoint; without one, the grant lasts until it expires or is revoked in the account's settings at the server.`,
    token_site: `A token site may keep letting ${app} in after this: ${who} revokes the app on the site's apps settings page, which Authdeck shows next when it knows it.`,
  }[account.providerKind] ??
    `On Hivesigner, revoking changes nothing on chain: ${who} keeps ${app}'s posting authority until they remove it. Authdeck shows the page for that next.`;
  const confirmed = await confirmDialog({
    title: `Remove ${who}?`,
    lines: [
      `Authdeck will revoke the token of ${who} at ${account.providerLabel}, delete its tokens from your keyring and forget the account.`,
      after,
    ],
    confirmLabel: "Remove account",
  });
  if (!confirmed) return;
  const removed = await invoke("remove_account", { accountId: account.id });
  const { text, page, todo } = removalWords(account.providerKind, removed, app);
  // A step left with no button for it stays in view as a warning (info notices fade).
  notify({
    level: todo && !page ? "warning" : "info",
    text,
    actions: page
      ? [
          {
            label: account.providerKind === "token_site" ? "Open the apps settings page" : "Open that page",
            run: () =>
              invoke("open_provider_page", { url: page }).catch((error) =>
                notify({ level: "warning", text: messageOf(error) }),
              ),
          },
        ]
      : [],
  });
}

/**
 * The authority panel in `panel`: for one broadcasting account, which apps (accounts) hold
 * posting authority over it and with what weight, whether its app granted the provider's
 * broadcaster (`@hivesigner`) posting authority, what to do about what is missing, and each
 * app's on-chain revoke page. Reads `account_authority({ accountId })`; refreshed on demand,
 * after a sign-in, and (at most every AUTHORITY_QUIET_MS) when the accounts change. Returns
 * `{ open(account), refresh({ quiet, soon }), accountsChanged(accounts) }`.
 */
function startAuthorityPanel(panel, { notify }) {
  const title = panel.querySelector("#authority-title");
  const status = panel.querySelector(".authority-status");
  const body = panel.querySelector(".authority-body");
  const refreshButton = panel.querySelector("[data-authority-refresh]");
  let account = null;
  let loading = null;
  let loadedAt = 0;
  let generation = 0;
  let opener = null;

  const close = () => {
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    account = null;
    generation += 1;
    body.replaceChildren();
    // Back to the button that opened it (if its row is still there).
    if (hadFocus && opener?.isConnected) opener.focus();
    opener = null;
  };

  const load = async ({ quiet = false } = {}) => {
    if (!account) return;
    const mine = ++generation;
    const shown = account;
    refreshButton.disabled = true;
    panel.setAttribute("aria-busy", "true");
    status.textContent = quiet && body.childElementCount > 0 ? "Checking again…" : `Reading @${shown.username}'s authorities from the chain…`;
    try {
      const view = await invoke("account_authority", { accountId: shown.id });
      if (mine !== generation) return;
      loadedAt = Date.now();
      body.replaceChildren(...authorityParts(shown, view, notify));
      status.textContent = `As the chain has it at ${new Date(loadedAt).toLocaleTimeString()}.`;
    } catch (error) {
      if (mine !== generation) return;
      body.replaceChildren(h("p", { class: "field-error", role: "alert" }, `Could not read the authorities of @${shown.username}: ${messageOf(error)}`));
      status.textContent = "";
    } finally {
      if (mine === generation) {
        refreshButton.disabled = false;
        panel.removeAttribute("aria-busy");
      }
    }
  };

  const refresh = ({ quiet = false, soon = false } = {}) => {
    if (!account) return Promise.resolve();
    if (quiet && !soon && Date.now() - loadedAt < AUTHORITY_QUIET_MS) return Promise.resolve();
    loading ??= load({ quiet }).finally(() => {
      loading = null;
    });
    return loading;
  };

  refreshButton.addEventListener("click", () => refresh());
  panel.querySelector("[data-authority-close]").addEventListener("click", close);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });

  return {
    async open(chosen) {
      opener = document.activeElement;
      account = chosen;
      loadedAt = 0;
      title.textContent = `Posting authority of @${chosen.username}`;
      body.replaceChildren();
      panel.hidden = false;
      panel.scrollIntoView({ block: "nearest" });
      title.focus({ preventScroll: true });
      await refresh();
    },
    refresh,
    accountsChanged(accounts) {
      if (!account) return;
      const current = accounts.find((candidate) => candidate.id === account.id);
      if (!current || !current.broadcasts) {
        close();
        return;
      }
      account = current;
      refresh({ quiet: true });
    },
  };
}

/** The panel's content for `account` from an `account_authority` reply. */
function authorityParts(account, view, notify) {
  const who = `@${view.username ?? account.username}`;
  const appName = view.app ?? account.appClientId;
  const app = `@${appName}`;
  const broadcaster = `@${view.broadcaster ?? "hivesigner"}`;
  const threshold = Number(view.postingThreshold ?? 1);
  const auths = Array.isArray(view.accountAuths) ? view.accountAuths : [];
  const keys = Number(view.keyAuthsCount ?? 0);
  const revokePage = (name) => revokePageFor(view.revokePage, appName, name);
  const open = (url) =>
    invoke("open_provider_page", { url }).catch((error) => notify({ level: "warning", text: messageOf(error) }));

  // The reply's `fix` says what to do; without one, these lines say it themselves.
  const how = (text) => (view.fix ? "" : ` ${text}`);
  const parts = [];
  parts.push(
    checkLine(
      Boolean(view.appHasAuthority),
      view.appHasAuthority
        ? `${app} holds posting authority over ${who}: the provider can vote and post for ${who} through ${app}.`
        : `${app} does not hold posting authority over ${who} (enough to sign alone): votes and posts for ${who} through ${app} fail until ${who} grants it.${how(`${who} grants it by signing in again and approving ${app}.`)}`,
    ),
  );
  parts.push(
    checkLine(
      Boolean(view.broadcasterGranted),
      view.broadcasterGranted
        ? `${app} has granted ${broadcaster} posting authority, which broadcasting needs.`
        : `${app} has not granted ${broadcaster} posting authority, which broadcasting needs: without it every vote and post for ${app}'s users fails with "broadcaster has no permission".${how(`The app's own account (${app}, not ${who}) adds ${broadcaster} to its posting authority, once, with its active key.`)}`,
    ),
  );
  if (view.fix) parts.push(h("p", { class: "authority-fix" }, h("strong", {}, "To fix: "), view.fix));

  parts.push(h("h4", {}, `Apps with posting authority over ${who}`));
  if (auths.length === 0) {
    parts.push(h("p", { class: "muted" }, `No account holds posting authority over ${who}.`));
  } else {
    const items = auths.map(([name, weight]) => {
      const alone = Number(weight) >= threshold;
      const page = revokePage(name);
      return h(
        "li",
        { class: "authority-app", dataset: { name } },
        h("span", { class: "authority-name" }, `@${name}`),
        h("span", { class: "authority-weight" }, `weight ${weight}${alone ? " (can sign alone)" : ` of ${threshold} needed`}`),
        name === appName ? h("span", { class: "badge" }, "this app") : null,
        page
          ? h(
              "button",
              { type: "button", "aria-label": `Open the page where ${who} revokes @${name}'s authority`, onclick: () => open(page) },
              "Revoke page",
            )
          : null,
      );
    });
    parts.push(h("ul", { class: "authority-apps" }, items));
  }
  parts.push(
    h(
      "p",
      { class: "muted" },
      `Signatures must add up to weight ${threshold}. ${keys === 1 ? "1 key" : `${keys} keys`} in the posting authority as well.`,
      " Removing an app here is done on chain, on the revoke page: removing the account from Authdeck does not take the authority away.",
    ),
  );
  return parts;
}

/** A line that says whether a check passed, in words (the mark is decoration only). */
function checkLine(ok, text) {
  return h(
    "p",
    { class: `authority-check ${ok ? "authority-ok" : "authority-problem"}` },
    h("span", { class: "authority-mark", "aria-hidden": "true" }, ok ? "✓" : "!"),
    h("span", { class: "visually-hidden" }, ok ? "Fine: " : "Problem: "),
    text,
  );
}

/**
 * The revoke page for the app `name`, from the registered app's page (`…/revoke/<app>`): the
 * same provider page with the other app's name; `null` when the page does not end with the
 * app's name (then only the registered app gets its page).
 */
export function revokePageFor(page, appName, name) {
  if (!page) return null;
  if (name === appName) return page;
  try {
    const url = new URL(page);
    const segments = url.pathname.split("/");
    if (decodeURIComponent(segments[segments.length - 1]) !== appName) return null;
    segments[segments.length - 1] = encodeURIComponent(name);
    url.pathname = segments.join("/");
    return url.toString();
  } catch {
    return null;
  }
}
