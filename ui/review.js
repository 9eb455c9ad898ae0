// The confirm step shared by the vote and post forms: shows exactly the operations a draft
// will send, per account, and sends them only when the person confirms.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { h } from "./dom.js";

/** Shows one message per field of `problems` in `form` (fields by `data-field`), or in its summary. */
export function showProblems(form, problems) {
  clearProblems(form);
  const summary = form.querySelector(".form-error");
  const loose = [];
  for (const { field, message } of problems) {
    const holder = form.querySelector(`[data-field="${field}"]`);
    if (holder) {
      holder.append(h("p", { class: "field-error", role: "alert" }, message));
    } else {
      loose.push(`${field}: ${message}`);
    }
  }
  summary.textContent = loose.join(" ");
  summary.hidden = loose.length === 0;
  form.querySelector(".field-error")?.scrollIntoView({ block: "nearest" });
}

/** Removes the messages [`showProblems`] added. */
export function clearProblems(form) {
  for (const note of form.querySelectorAll(".field-error")) note.remove();
  const summary = form.querySelector(".form-error");
  summary.hidden = true;
  summary.textContent = "";
}

/** Asks to confirm `draft` (its operations shown as sent); resolves to true to send. */
function confirmDraft(draft, title) {
  const dialog = document.getElementById("review-dialog");
  dialog.querySelector("h2").textContent = title;
  dialog.querySelector(".review-items").replaceChildren(
    ...draft.items.map((item) =>
      h(
        "section",
        { class: "review-item", dataset: { accountId: item.accountId } },
        h("h3", {}, `@${item.username}`),
        h("pre", { class: "operations" }, JSON.stringify(item.operations, null, 2)),
      ),
    ),
  );
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("[data-confirm]").focus();
  });
}

/** One line per account: sent with its transaction id, or why not. */
function renderOutcome(entry) {
  const sent = entry.outcome.status === "sent";
  return h(
    "li",
    { class: `result result-${sent ? "sent" : "failed"}`, dataset: { username: entry.username } },
    h("strong", {}, `@${entry.username}: `),
    sent ? `sent, transaction ${entry.outcome.transactionId}` : entry.outcome.message,
  );
}

/**
 * Prepares with `prepare()` (a command call), shows problems in `form` or asks to confirm,
 * then sends and reports progress and results in `results`.
 */
export async function reviewAndSend({ form, results, prepare, title }) {
  clearProblems(form);
  let draft;
  try {
    draft = await prepare();
  } catch (error) {
    showProblems(form, [{ field: error.field ?? "form", message: messageOf(error) }]);
    return;
  }
  if (draft.problems.length > 0 || draft.draftId === null) {
    showProblems(form, draft.problems);
    return;
  }
  if (!(await confirmDraft(draft, title))) return;
  const total = draft.items.length;
  const progress = h("progress", { max: total, value: 0 });
  const status = h("p", { class: "progress-text" }, `Sending: 0 of ${total}`);
  const list = h("ul", { class: "result-list" });
  results.replaceChildren(progress, status, list);
  results.hidden = false;
  const unlisten = await listen(EVENTS.batch, (update) => {
    progress.value = update.done;
    status.textContent = `Sending: ${update.done} of ${update.total}`;
  });
  try {
    const entries = await invoke("send_draft", { draftId: draft.draftId });
    const sent = entries.filter((entry) => entry.outcome.status === "sent").length;
    progress.value = total;
    status.textContent = `${sent} of ${total} sent. Every attempt is in the activity log.`;
    list.replaceChildren(...entries.map(renderOutcome));
  } catch (error) {
    status.textContent = messageOf(error);
  } finally {
    unlisten();
  }
}
