// The activity view: every broadcast, sent or refused, newest first, with filters, copyable
// transaction ids, the provider's own words, and "Retry" for a failed entry.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { copyText, h } from "./dom.js";
import { dateTime } from "./format.js";

/** Starts the activity view in `root`; returns `{ reload, setAccounts(accounts) }`. */
export async function startActivityView(root, { notify }) {
  const list = root.querySelector("#activity-list");
  const empty = root.querySelector("#activity-empty");
  const errorsOnly = root.querySelector("#activity-errors");
  const account = root.querySelector("#activity-account");
  const kind = root.querySelector("#activity-kind");

  const renderEntry = (entry) => {
    const sent = entry.outcome.status === "sent";
    const details = sent
      ? h(
          "p",
          { class: "activity-detail" },
          "Transaction ",
          h("code", {}, entry.outcome.transactionId),
          " ",
          h("button", { type: "button", onclick: (event) => copyId(event, entry.outcome.transactionId) }, "Copy id"),
        )
      : h(
          "div",
          { class: "activity-detail" },
          h("p", {}, entry.outcome.message),
          h("details", {}, h("summary", {}, "What the provider said"), h("pre", {}, entry.outcome.raw || "(no answer)")),
          h("button", { type: "button", onclick: (event) => retry(event, entry) }, "Retry"),
        );
    return h(
      "li",
      { class: `activity-entry activity-${sent ? "sent" : "failed"}`, dataset: { id: entry.id, kind: entry.kind } },
      h(
        "p",
        { class: "activity-line" },
        h("span", { class: `badge ${sent ? "badge-fresh" : "badge-needs-sign-in"}` }, sent ? "Sent" : "Failed"),
        " ",
        h("strong", {}, `@${entry.username}`),
        ` ${entry.summary} `,
        h("span", { class: "muted" }, `via @${entry.appClientId}, ${dateTime(entry.at)}`),
      ),
      details,
      h("details", {}, h("summary", {}, "Operations"), h("pre", { class: "operations" }, entry.operations)),
    );
  };

  const copyId = async (event, id) => {
    const button = event.currentTarget;
    button.textContent = (await copyText(id)) ? "Copied" : "Select and copy";
    setTimeout(() => (button.textContent = "Copy id"), 2000);
  };

  const retry = async (event, entry) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const again = await invoke("retry_activity", { activityId: entry.id });
      notify({
        level: again.outcome.status === "sent" ? "info" : "warning",
        text: again.outcome.status === "sent"
          ? `Sent again from @${again.username}.`
          : `Retry from @${again.username} failed: ${again.outcome.message}`,
      });
    } catch (error) {
      notify({ level: "warning", text: messageOf(error) });
    } finally {
      button.disabled = false;
    }
  };

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

  const setAccounts = (accounts) => {
    const chosen = account.value;
    const names = [...new Set(accounts.map((a) => a.username))].sort();
    account.replaceChildren(h("option", { value: "" }, "All"), ...names.map((name) => h("option", { value: name }, `@${name}`)));
    account.value = names.includes(chosen) ? chosen : "";
  };
  return { reload, setAccounts };
}
