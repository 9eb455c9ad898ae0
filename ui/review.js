// The confirm step shared by the vote and post forms: says in words what a draft will send,
// per account (accounts sending the same thing as one block), keeps the exact operations a
// click away, and sends them only when the person confirms.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { clearFieldErrors, h, showFieldErrors } from "./dom.js";

/** How many account names a block's heading lists before "and N more". */
const NAMES_IN_HEADING = 3;

/** Fields whose string value is JSON text: shown decoded, and compared by content when grouping. */
const JSON_TEXT_FIELDS = new Map([
  ["json_metadata", "json_metadata"],
  ["json", "custom_json's json"],
]);

/** The value of JSON text `text`, or `undefined` when it is not JSON. */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * `value` with the signing account's name set aside, as a comparable key: every string equal to
 * `signer` becomes a marker, in the operations and inside their JSON text fields (when the text
 * is exactly what `JSON.stringify` writes, so that equal keys mean equal bytes). Two accounts
 * whose keys are equal send the same operations, each with its own name in the same places.
 */
function withoutSigner(value, signer) {
  if (typeof value === "string") return value === signer ? ["signer"] : ["text", value];
  if (Array.isArray(value)) return ["list", value.map((part) => withoutSigner(part, signer))];
  if (value !== null && typeof value === "object") {
    return [
      "object",
      Object.entries(value).map(([key, part]) => {
        const parsed = JSON_TEXT_FIELDS.has(key) && typeof part === "string" ? parseJson(part) : undefined;
        const exact = parsed !== undefined && JSON.stringify(parsed) === part;
        return [key, exact ? ["json", withoutSigner(parsed, signer)] : withoutSigner(part, signer)];
      }),
    ];
  }
  return ["value", value];
}

/** `items` in blocks of accounts that send the same operations (but for their own name), in order. */
function groupItems(items) {
  const blocks = new Map();
  for (const item of items) {
    const key = JSON.stringify(withoutSigner(item.operations, item.username));
    if (blocks.has(key)) blocks.get(key).push(item);
    else blocks.set(key, [item]);
  }
  return [...blocks.values()];
}

/**
 * `operations` with the JSON text fields (`json_metadata`, custom_json's `json`) parsed, for
 * reading; `decoded` lists the labels of the fields that were.
 */
function decodeJsonText(operations) {
  const decoded = new Set();
  const readable = operations.map((operation) => {
    const [name, fields] = Array.isArray(operation) ? operation : [];
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) return operation;
    const shown = { ...fields };
    for (const [key, label] of JSON_TEXT_FIELDS) {
      const parsed = typeof fields[key] === "string" ? parseJson(fields[key]) : undefined;
      if (parsed === undefined) continue;
      shown[key] = parsed;
      decoded.add(label);
    }
    return [name, shown];
  });
  return { readable, decoded: [...decoded] };
}

/** `@a`, `@a and @b`, `@a, @b and @c`, or `@a, @b, @c and 17 more`. */
function accountsHeading(items) {
  const names = items.map((item) => `@${item.username}`);
  if (names.length === 1) return names[0];
  if (names.length <= NAMES_IN_HEADING) return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${names.slice(0, NAMES_IN_HEADING).join(", ")} and ${names.length - NAMES_IN_HEADING} more`;
}

/**
 * The exact operations of `first` behind "Show operations": decoded for reading when they hold
 * JSON text, and as sent in `pre.operations` (exactly `JSON.stringify(operations, null, 2)`).
 */
function renderOperations(first, shared) {
  const exact = h("pre", { class: "operations" }, JSON.stringify(first.operations, null, 2));
  const { readable, decoded } = decodeJsonText(first.operations);
  const decodedView = decoded.length > 0 && [
    h(
      "p",
      { class: "help" },
      decoded.length === 1
        ? `${decoded[0]} is shown decoded here; it is sent as text, exactly as under “As sent”.`
        : `${decoded.join(" and ")} are shown decoded here; they are sent as text, exactly as under “As sent”.`,
    ),
    h("pre", { class: "operations-decoded" }, JSON.stringify(readable, null, 2)),
    h("details", { class: "review-exact" }, h("summary", {}, "As sent"), exact),
  ];
  return h(
    "details",
    { class: "review-operations" },
    h("summary", {}, "Show operations"),
    shared &&
      h(
        "p",
        { class: "help" },
        `The operations of @${first.username}. The other accounts send the same, ` +
          `with their own name in place of @${first.username}.`,
      ),
    decodedView || exact,
  );
}

/**
 * One block of the review: the accounts it covers (`data-account-ids`), what the first one's
 * operations do in words (`item.lines`, from the Rust side), then its exact operations.
 */
function renderBlock(items) {
  const [first] = items;
  const shared = items.length > 1;
  const everyone = items.length > NAMES_IN_HEADING && h(
    "details",
    { class: "review-accounts" },
    h("summary", {}, `All ${items.length} accounts`),
    h("p", {}, items.map((item) => `@${item.username}`).join(", ")),
  );
  return h(
    "section",
    { class: "review-item", dataset: { accountIds: items.map((item) => item.accountId).join(",") } },
    h("h3", {}, accountsHeading(items)),
    everyone,
    h("ul", { class: "review-lines" }, first.lines.map((line) => h("li", {}, line))),
    items
      .filter((item) => item.warning)
      .map((item) => h("p", { class: "review-warning", role: "note" }, `@${item.username}: ${item.warning}`)),
    shared &&
      h(
        "p",
        { class: "help review-same" },
        `Each of the ${items.length} accounts does this under its own name (shown for @${first.username}).`,
      ),
    renderOperations(first, shared),
  );
}

/** Asks to confirm `draft` (in words, its exact operations a click away); resolves to true to send. */
function confirmDraft(draft, title) {
  const dialog = document.getElementById("review-dialog");
  const heading = dialog.querySelector("h2");
  heading.textContent = title;
  dialog.querySelector(".review-items").replaceChildren(...groupItems(draft.items).map(renderBlock));
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    // Enter twice never sends: the focus starts on Cancel, the view at the top.
    dialog.querySelector("[data-cancel]").focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start" });
  });
}

/** How each outcome's status reads, before its details. */
const STATUS_WORDS = {
  sent: "sent",
  onChain: "already on chain",
  failed: "not sent",
  refused: "not sent",
  unknown: "may have been sent",
};

/** The status of one result: `sent`, `onChain`, `failed`, `unknown`, or `refused` (before sending). */
function statusOf(result) {
  return result.entry ? result.entry.outcome.status : "refused";
}

/**
 * The details of one result: the transaction id (a link when `linkFor` gives its address on a
 * block explorer, opened by `openLink`, never in the window), what the chain showed, or the
 * words of the failure.
 */
function outcomeDetails(result, status, linkFor, openLink) {
  const outcome = result.entry?.outcome;
  switch (status) {
    case "sent": {
      const url = linkFor?.(result);
      if (!url || !openLink) return [", transaction ", h("code", { class: "tx-id" }, outcome.transactionId)];
      const open = (event) => {
        if (event.type === "auxclick" && event.button !== 1) return;
        event.preventDefault();
        Promise.resolve(openLink(url)).catch((error) => {
          anchor.after(h("span", { class: "field-error" }, ` ${messageOf(error)}`));
        });
      };
      const anchor = h(
        "a",
        {
          href: url,
          class: "tx-link",
          title: `Open ${url} in the browser`,
          onclick: open,
          onauxclick: open,
        },
        h("code", { class: "tx-id" }, outcome.transactionId),
      );
      return [", transaction ", anchor];
    }
    case "onChain":
      return [`, nothing sent again (${outcome.evidence})`];
    case "failed":
    case "unknown":
      return [": ", outcome.message];
    default:
      return [": ", messageOf(result.error)];
  }
}

/** One line per account: sent with its transaction id, may have been sent, or why not. */
function renderOutcome(result, names, linkFor, openLink) {
  const username = result.entry?.username ?? names.get(result.accountId) ?? `account ${result.accountId}`;
  const status = statusOf(result);
  return h(
    "li",
    { class: `result result-${status}`, dataset: { username, status, accountId: String(result.accountId) } },
    h("strong", {}, `@${username}: `),
    h("span", { class: "result-status" }, STATUS_WORDS[status]),
    outcomeDetails(result, status, linkFor, openLink),
  );
}

/** How many of `results` were sent (or found on chain), not sent, or may have been sent. */
function counts(results) {
  const count = (...statuses) => results.filter((result) => statuses.includes(statusOf(result))).length;
  return { sent: count("sent", "onChain"), failed: count("failed", "refused"), unknown: count("unknown") };
}

/** `sent, failed, unknown` counts of `results`, in words. */
function tally(results) {
  const { sent, failed, unknown } = counts(results);
  const parts = [`${sent} of ${results.length} sent`];
  if (unknown > 0) parts.push(`${unknown} may have been sent (Authdeck checks the chain before any resend)`);
  if (failed > 0) parts.push(`${failed} not sent`);
  return `${parts.join(", ")}. Every attempt is in the activity log.`;
}

/** The bar of a finished batch: sent, not sent and may have been sent, by colour, with counts. */
function renderBar(results) {
  const { sent, failed, unknown } = counts(results);
  const total = Math.max(1, results.length);
  const parts = [
    ["sent", sent, `${sent} sent`],
    ["failed", failed, `${failed} not sent`],
    ["unknown", unknown, `${unknown} may have been sent`],
  ];
  const bar = h(
    "div",
    { class: "result-bar", role: "img", "aria-label": parts.map(([, , words]) => words).join(", ") },
    parts
      .filter(([, n]) => n > 0)
      .map(([key, n]) => {
        const segment = h("span", { class: `result-bar-${key}` });
        segment.style.width = `${(n / total) * 100}%`;
        return segment;
      }),
  );
  const legend = h(
    "ul",
    { class: "result-counts", "aria-hidden": "true" },
    parts.filter(([, n]) => n > 0).map(([key, , words]) => h("li", { class: `result-count-${key}` }, words)),
  );
  return [bar, legend];
}

/**
 * Prepares with `prepare()` (a command call), shows problems in `form` (or through `onError`
 * when there is no form) or asks to confirm, then sends and reports progress and results in
 * `results`. Resolves to `{ draft, results }` once sent, or `null` when nothing was sent.
 *
 * Optional: `linkFor(result)` gives the block-explorer address of a sent result's transaction,
 * opened through `openLink(url)`; `retry(accountIds)` adds "Send the failed ones again" for the
 * accounts not sent (it must go through the review again: call `reviewAndSend`);
 * `focusResults` moves the focus to the results once they are in.
 */
export async function reviewAndSend({ form, results, prepare, title, onError, linkFor, openLink, retry, focusResults }) {
  const problems = (found) => {
    if (form) showFieldErrors(form, found);
    else onError(found.map(({ message }) => message).join(" "));
  };
  if (form) clearFieldErrors(form);
  let draft;
  try {
    draft = await prepare();
  } catch (error) {
    problems([{ field: error?.field ?? null, message: messageOf(error) }]);
    return null;
  }
  if (draft.problems.length > 0 || draft.draftId === null) {
    problems(draft.problems);
    return null;
  }
  if (!(await confirmDraft(draft, title))) return null;
  const names = new Map(draft.items.map((item) => [item.accountId, item.username]));
  const total = draft.items.length;
  const progress = h("progress", { max: total, value: 0, "aria-label": "Sending" });
  const status = h("p", { class: "progress-text", tabindex: "-1" }, `Sending: 0 of ${total}`);
  const list = h("ul", { class: "result-list" });
  results.replaceChildren(status, progress, list);
  results.hidden = false;
  if (focusResults) results.scrollIntoView({ block: "nearest" });
  const unlisten = await listen(EVENTS.batch, (update) => {
    // Only this review's own draft: another send under way has its own progress.
    if (update.draftId !== draft.draftId) return;
    progress.value = update.done;
    status.textContent = `Sending: ${update.done} of ${update.total}`;
  });
  // The provider limits the rate (429): the batch waits, then tries those accounts again.
  const unlistenPause = await listen(EVENTS.batchPaused, (pause) => {
    if (pause.draftId !== draft.draftId) return;
    const capped = pause.capped ? ` (it asked for ${pause.askedSeconds} s; Authdeck waits at most 60 s at once)` : "";
    status.textContent =
      `Sending: ${pause.done} of ${pause.total}. The provider asked to slow down: ` +
      `waiting ${pause.seconds} s${capped}, then the accounts it turned away are tried again.`;
  });
  try {
    const sent = await invoke("send_draft", { draftId: draft.draftId });
    progress.value = total;
    status.textContent = tally(sent);
    progress.replaceWith(...renderBar(sent));
    list.replaceChildren(...sent.map((result) => renderOutcome(result, names, linkFor, openLink)));
    const failedIds = sent.filter((result) => ["failed", "refused"].includes(statusOf(result))).map((result) => result.accountId);
    if (retry && failedIds.length > 0) {
      const again = h(
        "button",
        { type: "button", class: "retry-failed" },
        "Send the failed ones again",
      );
      again.addEventListener("click", () => retry(failedIds));
      results.append(
        h(
          "p",
          { class: "result-actions" },
          again,
          h(
            "span",
            { class: "help" },
            ` ${failedIds.length === 1 ? "The one account" : `The ${failedIds.length} accounts`} not sent, ` +
              "prepared again and shown in the review first: nothing is sent before you confirm.",
          ),
        ),
      );
    }
    if (focusResults) {
      results.scrollIntoView({ block: "nearest" });
      status.focus({ preventScroll: true });
    }
    return { draft, results: sent };
  } catch (error) {
    status.textContent = messageOf(error);
    return null;
  } finally {
    unlisten();
    unlistenPause();
  }
}
