// The Requests view (API console): an account, a method, a path under its provider's API base,
// an optional query and a JSON or form body; the app adds the account's token in Rust (the
// page never sees it) and the answer comes back redacted: status and time, the headers that
// matter, and the body (JSON as a tree folded by level, text as it is). This session's recent
// requests can be run again.
import { invoke, messageOf } from "./tauri.js";
import { clearFieldErrors, h, showFieldErrors } from "./dom.js";
import { dateTime } from "./format.js";
import { accountSelect, whenShown } from "./pickers.js";

/** JSON levels shown open in the tree; deeper ones start folded (unless the whole body is small). */
const OPEN_LEVELS = 3;

/** A body with at most this many values is shown all open. */
const SMALL_BODY_VALUES = 200;

/** An object or array with more members than this starts folded whatever its level. */
const OPEN_MEMBERS = 50;

/** "1.2 KiB", "3 bytes". */
function size(bytes) {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? "" : "s"}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A JSON value's leaf, as a typed span. */
function leaf(value) {
  if (value === null) return h("span", { class: "json-null" }, "null");
  if (typeof value === "string") return h("span", { class: "json-string" }, JSON.stringify(value));
  if (typeof value === "number") return h("span", { class: "json-number" }, String(value));
  if (typeof value === "boolean") return h("span", { class: "json-boolean" }, String(value));
  return h("span", {}, String(value));
}

/** How many values `value` holds (itself included), counting up to `limit`. */
function countValues(value, limit) {
  let count = 1;
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) {
      if (count > limit) break;
      count += countValues(item, limit - count);
    }
  }
  return count;
}

/**
 * `value` as a tree: objects and arrays in <details> (open for the first `openLevels` levels),
 * leaves inline.
 */
function jsonTree(value, label, depth, openLevels) {
  const name = label === null ? [] : [h("span", { class: "json-key" }, label), ": "];
  if (value === null || typeof value !== "object") {
    return h("li", { class: "json-leaf" }, ...name, leaf(value));
  }
  const entries = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value).map(([key, item]) => [JSON.stringify(key), item]);
  const summary = Array.isArray(value)
    ? `[${entries.length} item${entries.length === 1 ? "" : "s"}]`
    : `{${entries.length} key${entries.length === 1 ? "" : "s"}}`;
  if (entries.length === 0) {
    return h("li", { class: "json-leaf" }, ...name, h("span", { class: "json-empty" }, Array.isArray(value) ? "[]" : "{}"));
  }
  return h(
    "li",
    { class: "json-branch" },
    h(
      "details",
      { open: depth < openLevels && entries.length <= OPEN_MEMBERS, dataset: { depth } },
      h("summary", {}, ...name, h("span", { class: "muted" }, summary)),
      h("ul", { class: "json-members" }, ...entries.map(([key, item]) => jsonTree(item, key, depth + 1, openLevels))),
    ),
  );
}

/** The value of `text`, or `undefined` when it is not JSON. */
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "2xx", "4xx", ... for styling the status. */
function statusClass(status) {
  return `status-${Math.floor(status / 100)}xx`;
}

/** Starts the Requests view in `root`; returns `{ setAccounts(accounts) }`. */
export function startRequestsView(root) {
  const form = root.querySelector("#requests-form");
  const account = root.querySelector("#requests-account");
  const method = root.querySelector("#requests-method");
  const path = root.querySelector("#requests-path");
  const pathHelp = root.querySelector("#requests-path-help");
  const query = root.querySelector("#requests-query");
  const bodyKind = root.querySelector("#requests-body-kind");
  const body = root.querySelector("#requests-body");
  const bodyField = root.querySelector("#requests-body-field");
  const send = root.querySelector("#requests-send");
  const answer = root.querySelector("#requests-answer");
  const recentList = root.querySelector("#requests-recent");
  const recentEmpty = root.querySelector("#requests-recent-empty");

  /** Where each account's requests go, by account id (from `list_api_targets`). */
  let targets = new Map();
  /** The account select: a page of options at most, with a search field past that. */
  const accountChoice = accountSelect(account);

  const syncHint = () => {
    const target = targets.get(account.value);
    if (!target) {
      pathHelp.textContent = account.value ? "A path under the account's provider API, starting with /." : "";
      return;
    }
    pathHelp.replaceChildren(
      "Under ",
      h("code", { class: "api-base" }, target.apiBase),
      ` (${target.providerLabel}). Authdeck adds the token as `,
      h("code", {}, target.tokenHeader),
      "; it is never shown here.",
    );
  };

  const syncBody = () => {
    bodyField.hidden = bodyKind.value === "none";
    body.placeholder = {
      none: "",
      json: '{"to": "bob", "text": "hello"}',
      form: "key=value, one a line (or joined with &)",
    }[bodyKind.value];
  };

  account.addEventListener("change", syncHint);
  bodyKind.addEventListener("change", syncBody);
  syncBody();

  const requestOfForm = () => ({
    accountId: account.value ? Number(account.value) : null,
    method: method.value,
    path: path.value,
    query: query.value.trim() === "" ? null : query.value,
    bodyKind: bodyKind.value,
    body: bodyKind.value === "none" ? null : body.value,
  });

  const fillForm = (request) => {
    if (accountChoice.has(request.accountId)) accountChoice.choose(request.accountId);
    method.value = request.method;
    path.value = request.path;
    query.value = request.query ?? "";
    bodyKind.value = request.bodyKind;
    body.value = request.body ?? "";
    syncBody();
    syncHint();
  };

  const showReply = (reply) => {
    const lines = [
      h(
        "p",
        { class: `answer-status ${statusClass(reply.status)}`, dataset: { status: reply.status } },
        h("strong", {}, `${reply.status} ${reply.statusText}`.trim()),
        ` in ${reply.elapsedMs} ms`,
        h("span", { class: "muted" }, ` · ${reply.sentTo}`),
      ),
    ];
    if (reply.retriedAfterRefresh) {
      lines.push(h("p", { class: "help answer-retried" }, "The provider refused the token; Authdeck refreshed it and sent the request once more."));
    }
    if (reply.note) lines.push(h("p", { class: "help answer-note" }, reply.note));
    if (reply.headers.length > 0) {
      lines.push(
        h(
          "details",
          { class: "answer-headers", open: true },
          h("summary", {}, `Headers (${reply.headers.length})`),
          h(
            "table",
            {},
            h("tbody", {}, ...reply.headers.map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value)))),
          ),
        ),
      );
    }
    lines.push(bodyOf(reply.body));
    answer.replaceChildren(...lines);
    answer.hidden = false;
    answer.scrollIntoView({ block: "nearest" });
  };

  const bodyOf = (shown) => {
    const holder = h("div", { class: "answer-body", dataset: { kind: shown.kind } });
    if (shown.kind === "empty") {
      holder.append(h("p", { class: "muted" }, "No body."));
      return holder;
    }
    const value = shown.kind === "json" && !shown.truncated ? parsed(shown.text) : undefined;
    if (value !== undefined) {
      holder.append(
        h(
          "ul",
          { class: "json-tree" },
          jsonTree(value, null, 0, countValues(value, SMALL_BODY_VALUES) <= SMALL_BODY_VALUES ? Infinity : OPEN_LEVELS),
        ),
        h("details", { class: "answer-raw" }, h("summary", {}, "As text"), h("pre", { class: "answer-text" }, shown.text)),
      );
    } else {
      holder.append(h("pre", { class: "answer-text" }, shown.text));
    }
    if (shown.truncated) {
      holder.append(
        h("p", { class: "help answer-truncated" }, `Only the first ${size(shown.text.length)} are shown; the body has ${size(shown.totalBytes)}.`),
      );
    } else {
      holder.append(h("p", { class: "muted answer-size" }, size(shown.totalBytes)));
    }
    return holder;
  };

  const showError = (error) => {
    answer.replaceChildren(h("p", { class: "field-error answer-error", role: "alert" }, messageOf(error)));
    answer.hidden = false;
  };

  let sending = false;
  const sendRequest = async (request) => {
    if (sending) return;
    sending = true;
    send.disabled = true;
    clearFieldErrors(form);
    answer.replaceChildren(h("p", { class: "muted" }, "Sending…"));
    answer.hidden = false;
    try {
      showReply(await invoke("send_api_request", { request }));
    } catch (error) {
      if (error?.field) {
        answer.hidden = true;
        answer.replaceChildren();
        showFieldErrors(form, [{ field: error.field, message: messageOf(error) }], { focus: true });
      } else {
        showError(error);
      }
    } finally {
      sending = false;
      send.disabled = false;
      await reloadRecent();
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sendRequest(requestOfForm());
  });

  const renderRecent = (item) => {
    const { request } = item;
    const outcome = item.reply
      ? h("span", { class: `recent-status ${statusClass(item.reply.status)}` }, `${item.reply.status} ${item.reply.statusText}`.trim())
      : h("span", { class: "recent-status field-error", title: item.error ? messageOf(item.error) : "" }, "no answer");
    const rerun = h("button", { type: "button", class: "rerun" }, "Re-run");
    rerun.addEventListener("click", () => {
      fillForm(request);
      sendRequest(request);
    });
    const edit = h("button", { type: "button", class: "edit" }, "Edit");
    edit.addEventListener("click", () => {
      fillForm(request);
      path.focus();
    });
    const query = (request.query ?? "").replace(/^\?/, "");
    const target = query ? `${request.path}${request.path.includes("?") ? "&" : "?"}${query}` : request.path;
    return h(
      "li",
      { class: "recent-request", dataset: { id: item.id } },
      h("code", {}, `${request.method} ${target}`),
      " ",
      outcome,
      " ",
      h("span", { class: "muted" }, `${item.accountLabel}, ${dateTime(item.at)}`),
      " ",
      rerun,
      " ",
      edit,
    );
  };

  const reloadRecent = async () => {
    try {
      const recent = await invoke("list_recent_requests", {});
      recentList.replaceChildren(...recent.map(renderRecent));
      recentEmpty.hidden = recent.length !== 0;
    } catch {
      // The list stays as it was; the next send tries again.
    }
  };

  // The targets are read and the select filled when the view is shown; a list of accounts
  // that comes while it is hidden waits for then.
  let accounts = [];
  const fill = async () => {
    let list;
    try {
      list = await invoke("list_api_targets", {});
    } catch {
      // Without the API bases the form still works: the hint just says less.
      list = accounts.map((a) => ({
        accountId: a.id,
        label: `@${a.username} at ${a.providerLabel} (@${a.appClientId})`,
      }));
    }
    targets = new Map(list.filter((t) => t.apiBase).map((t) => [String(t.accountId), t]));
    accountChoice.setOptions(list.map((t) => ({ value: t.accountId, label: t.label })));
    syncHint();
  };
  const view = whenShown(root, fill);
  const setAccounts = (next) => {
    accounts = next;
    view.stale();
  };

  reloadRecent();
  return { setAccounts };
}
