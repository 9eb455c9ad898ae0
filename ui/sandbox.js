// The offline sandbox in the window: "Try it offline" (in the header and the empty states)
// starts it in the app, the header says "Sandbox" while it runs, and "Leave the sandbox"
// removes everything it brought. A build without the sandbox shows none of this.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { confirmDialog } from "./dom.js";

/** The sandbox's providers in words, by kind. */
const PROVIDER_WORDS = {
  hivesigner: "a Hivesigner",
  oauth2: "an OAuth 2.0 server",
  token_site: "a token site",
};

/**
 * Wires the sandbox's controls; `notify(notice)` shows a notice, `onStarted()` runs after the
 * person started it (the accounts view, for the next step). Returns `{ refresh }`.
 */
export async function startSandbox({ notify, onStarted }) {
  const header = document.getElementById("sandbox-header");
  const badge = document.getElementById("sandbox-badge");
  const leave = document.getElementById("sandbox-leave");
  const starts = [...document.querySelectorAll("[data-sandbox-start]")];
  const offers = [...document.querySelectorAll("[data-sandbox-offer]")];
  let status = { available: false, running: false, providers: [], users: [] };

  const render = () => {
    header.hidden = !status.available;
    badge.hidden = !status.running;
    badge.title = status.running
      ? `Fake providers on this computer: ${status.providers.map((p) => `${PROVIDER_WORDS[p.kind] ?? p.kind} at ${p.baseUrl}`).join(", ")}`
      : "";
    leave.hidden = !status.running;
    for (const button of starts) button.hidden = !status.available || status.running;
    for (const offer of offers) offer.hidden = !status.available || status.running;
    document.body.dataset.sandbox = status.running ? "running" : "off";
  };

  const refresh = async () => {
    try {
      status = await invoke("sandbox_status");
    } catch {
      status = { available: false, running: false, providers: [], users: [] };
    }
    render();
  };

  const start = async (button) => {
    for (const other of starts) other.disabled = true;
    try {
      status = await invoke("start_sandbox");
      render();
      const users = status.users.slice(0, 2).map((user) => `@${user}`).join(" or ");
      notify({
        level: "info",
        text: `The sandbox runs: ${status.providers.map((p) => PROVIDER_WORDS[p.kind] ?? p.kind).join(", ")} on this computer, their demo apps registered. Press Add account, choose a sandbox app and approve in your browser (as ${users}, for example). Nothing leaves this machine.`,
      });
      onStarted?.();
    } catch (error) {
      notify({ level: "warning", text: messageOf(error) });
      button?.focus();
    } finally {
      for (const other of starts) other.disabled = false;
    }
  };

  const leaveSandbox = async () => {
    const confirmed = await confirmDialog({
      title: "Leave the sandbox?",
      lines: [
        "Authdeck will remove the sandbox's demo apps, the accounts signed in to them, their tokens in your keyring and their entries in the activity log, then stop the fake providers.",
        "Your other apps and accounts are not touched.",
      ],
      confirmLabel: "Leave the sandbox",
    });
    if (!confirmed) return;
    leave.disabled = true;
    try {
      const left = await invoke("leave_sandbox");
      const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
      notify({
        level: "info",
        text: `Left the sandbox: ${count(left.apps, "app", "apps")} and ${count(left.accounts, "account", "accounts")} removed, with their keyring entries and ${count(left.activityEntries, "activity entry", "activity entries")}.`,
      });
    } catch (error) {
      notify({ level: "warning", text: `The sandbox could not be left: ${messageOf(error)}` });
    } finally {
      leave.disabled = false;
      await refresh();
    }
  };

  for (const button of starts) button.addEventListener("click", () => start(button));
  leave.addEventListener("click", leaveSandbox);
  // Started from the command line (`authdeck --sandbox`), left elsewhere: the lists change.
  await listen(EVENTS.accountsChanged, refresh);
  await refresh();
  return { refresh };
}
