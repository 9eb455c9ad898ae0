// The activity view: every broadcast, sent, refused or with its answer lost ("may have been
// sent"), newest first, with filters, copyable transaction ids, the provider's own words, the
// chain's evidence, which later entry resolved a failure, and "Retry" through the review; and
// every API console request (method, path, status, time), re-run from the Requests view.
import { EVENTS, invoke, listen } from "./tauri.js";
import { copyText, h } from "./dom.js";
import { dateTime } from "./format.js";
import { reviewAndSend } from "./review.js";
import { accountSelect, whenShown } from "./pickers.js";

/** The kind of an API console request's entry (`activity::API_REQUEST_KIND`). */
const API_REQUEST = "api_request";
/** The kind of a token handed to a script (`activity::SCRIPT_TOKEN_KIND`). */
const SCRIPT_TOKEN = "script_token";

/** Starts the activity view in `root`; returns `{ reload, setAccounts(accounts) }`. */
export async function startActivityView(root, { notify }) {
  const list = root.querySelector("#activity-list");
  const empty = root.querySelector("#activity-empty");
  const errorsOnly = root.querySelector("#activity-errors");
  const account = root.querySelector("#activity-account");
  const kind = root.querySelector("#activity-kind");
  const results = root.querySelector("#activity-results");

  const badgeOf = (entry) => {
    if (entry.kind === SCRIPT_TOKEN) return ["badge-fresh", "Token to a script"];
    if (entry.resolvedBy !== null) return ["badge-fresh", "Resolved"];
    switch (entry.outcome.status) {
      case "sent":
        return ["badge-fresh", "Sent"];
      case "onChain":
        return ["badge-fresh", "Sent (found on chain)"];
      case "unknown":
        return ["badge-refreshing", "May have been sent"];
      default:
        return ["badge-needs-sign-in", "Failed"];
    }
  };

  const detailsOf = (entry) => {
    const outcome = entry.outcome;
    if (entry.kind === SCRIPT_TOKEN) {
      return h(
        "p",
        { class: "activity-detail muted" },
        "A script on this computer got this account's access token through authdeck token (the token is neither shown nor kept here). To stop it, untick scripts on the app's card in Apps.",
      );
    }
    if (entry.kind === API_REQUEST) {
      // A console request: no transaction, no chain, and re-run only from the Requests view.
      const words = outcome.status === "sent" ? "" : outcome.message;
      return h("p", { class: "activity-detail muted" }, words, words ? " " : "", "Re-run it from the Requests view.");
    }
    if (outcome.status === "sent") {
      return h(
        "p",
        { class: "activity-detail" },
        "Transaction ",
        h("code", {}, outcome.transactionId),
        " ",
        h("button", { type: "button", onclick: (event) => copyId(event, outcome.transactionId) }, "Copy id"),
      );
    }
    if (outcome.status === "onChain") {
      return h(
        "p",
        { class: "activity-detail" },
        "Its answer was lost, but the chain shows it went through: ",
        outcome.evidence,
      );
    }
    const said = h("details", {}, h("summary", {}, "What the provider said"), h("pre", {}, outcome.raw || "(no answer)"));
    if (entry.resolvedBy !== null) {
      return h(
        "div",
        { class: "activity-detail" },
        h("p", {}, "Sent since by a later attempt: ", h("a", { href: `#activity-${entry.resolvedBy}` }, "see the entry that sent it"), "."),
        h("p", { class: "muted" }, `This attempt: ${outcome.message}`),
        said,
      );
    }
    return h(
      "div",
      { class: "activity-detail" },
      h("p", {}, outcome.message),
      said,
      h(
        "button",
        { type: "button", class: "retry", onclick: () => retry(entry) },
        outcome.status === "unknown" ? "Check the chain and retry" : "Retry",
      ),
    );
  };

  const renderEntry = (entry) => {
    const [badge, label] = badgeOf(entry);
    return h(
      "li",
      {
        class: `activity-entry activity-${entry.outcome.status}${entry.resolvedBy !== null ? " activity-resolved" : ""}`,
        id: `activity-${entry.id}`,
        dataset: { id: entry.id, kind: entry.kind, status: entry.outcome.status },
      },
      h(
        "p",
        { class: "activity-line" },
        h("span", { class: `badge ${badge}` }, label),
        " ",
        h("strong", {}, `@${entry.username}`),
        ` ${entry.summary} `,
        h("span", { class: "muted" }, `via @${entry.appClientId}, ${dateTime(entry.at)}`),
      ),
      detailsOf(entry),
      h(
        "details",
        {},
        h("summary", {}, entry.kind === API_REQUEST ? "Request" : entry.kind === SCRIPT_TOKEN ? "Who asked" : "Operations"),
        h("pre", { class: "operations" }, entry.operations),
      ),
    );
  };

  const copyId = async (event, id) => {
    const button = event.currentTarget;
    button.textContent = (await copyText(id)) ? "Copied" : "Select and copy";
    setTimeout(() => (button.textContent = "Copy id"), 2000);
  };

  // A retry is a fresh send: the same review, the same confirm, nothing goes out before it.
  const retry = (entry) =>
    reviewAndSend({
      results,
      title: `Send again from @${entry.username}?`,
      prepare: () => invoke("prepare_retry", { activityId: entry.id }),
      onError: (message) => notify({ level: "warning", text: message }),
    });

  const reload = async () => {
    const entries = await invoke("list_activity", {
      filter: { errorsOnly: errorsOnly.checked, username: account.value || null, kind: kind.value || null },
    });
    list.replaceChildren(...entries.map(renderEntry));
    empty.hidden = entries.length !== 0;
  };

  for (const control of [errorsOnly, account, kind]) control.addEventListener("change", reload);
  await listen(EVENTS.activityChanged, () => reload().catch(() => {}));
  await reload();

  // The account filter holds a page of names at most (with a search field past that), filled
  // when the view is shown; "All" until then.
  const accountChoice = accountSelect(account, { all: "All", label: "Find an account to filter by" });
  let names = [];
  const view = whenShown(root, () => {
    const before = account.value;
    accountChoice.setOptions(names.map((name) => ({ value: name, label: `@${name}` })));
    if (account.value !== before) reload().catch(() => {});
  });
  const setAccounts = (accounts) => {
    names = [...new Set(accounts.map((a) => a.username))].sort();
    view.stale();
  };
  return { reload, setAccounts };
}
