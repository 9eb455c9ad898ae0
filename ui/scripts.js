// Scripts on this computer (`authdeck token <account>`): the switches on an app's card that let
// them use its tokens (off until ticked; optionally asking here each time), and the dialog that
// asks the person when a script wants a token of an app that asks each time. The token itself
// never reaches the page: only who asks, for which account, and the answer.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { h } from "./dom.js";
import { appName } from "./format.js";

/** The card's switch, in the words `authdeck token` quotes when it refuses. */
export const ALLOW_LABEL = "Let scripts on this computer use tokens of this app";

/** The switches of `app`'s card: allowed, and "ask me each time"; each saves at once. */
export function scriptAccessControls(app, notify) {
  const name = appName(app.kind, app.clientId);
  const access = app.scriptAccess ?? { allowed: false, confirm: false };
  const allowed = h("input", { type: "checkbox", class: "script-access-allowed", checked: access.allowed });
  const confirm = h("input", {
    type: "checkbox",
    class: "script-access-confirm",
    checked: access.confirm,
    disabled: !access.allowed,
  });
  const note = h(
    "p",
    { class: "script-access-note muted" },
    "A script runs ",
    h("code", {}, "authdeck token <account>"),
    " and gets a fresh access token on its standard output. Every token handed out is listed in Activity.",
  );
  const save = async (control) => {
    const wanted = { allowed: allowed.checked, confirm: allowed.checked && confirm.checked };
    allowed.disabled = confirm.disabled = true;
    try {
      const saved = await invoke("set_script_access", { appId: app.id, access: wanted });
      allowed.checked = saved.scriptAccess.allowed;
      confirm.checked = saved.scriptAccess.confirm;
      notify({
        level: "info",
        text: !saved.scriptAccess.allowed
          ? `Scripts can no longer use the tokens of ${name}.`
          : saved.scriptAccess.confirm
            ? `Scripts may use the tokens of ${name}, after you confirm each one here.`
            : `Scripts on this computer may now use the tokens of ${name}.`,
      });
    } catch (error) {
      control.checked = !control.checked;
      notify({ level: "warning", text: `${name}: ${messageOf(error)}` });
    } finally {
      allowed.disabled = false;
      confirm.disabled = !allowed.checked;
    }
  };
  allowed.addEventListener("change", () => save(allowed));
  confirm.addEventListener("change", () => save(confirm));
  return h(
    "div",
    { class: "script-access" },
    h("label", {}, allowed, ` ${ALLOW_LABEL}`),
    h("label", { class: "script-access-ask" }, confirm, " Ask me here before each token (the script waits)"),
    note,
  );
}

/**
 * Answers scripts' requests that need the person's yes: each one opens a dialog (one at a time,
 * the others wait their turn) saying who asks for which account, with Deny focused. A request
 * that times out or ends elsewhere closes its dialog.
 */
export async function startScriptRequests({ notify }) {
  const queue = [];
  let showing = null;
  const dialog = h("dialog", { id: "script-request-dialog", "aria-labelledby": "script-request-title" });
  document.body.append(dialog);

  const answer = async (request, allow) => {
    try {
      const waiting = await invoke("answer_script_request", { requestId: request.requestId, allow });
      if (!waiting) {
        notify({
          level: "warning",
          text: `The script's request for a token of @${request.username} was already over (it waits ${request.timeoutSeconds} seconds); nothing was handed out.`,
        });
      }
    } catch (error) {
      notify({ level: "warning", text: messageOf(error) });
    }
  };

  const showNext = () => {
    if (showing || queue.length === 0) return;
    const request = queue.shift();
    showing = request;
    const deny = h("button", { type: "button", value: "deny", "data-deny": true }, "Deny");
    const allow = h("button", { type: "button", value: "allow", "data-allow": true, class: "danger" }, "Hand out the token");
    const finish = (allowed) => {
      dialog.close();
      answer(request, allowed);
    };
    deny.addEventListener("click", () => finish(false));
    allow.addEventListener("click", () => finish(true));
    dialog.replaceChildren(
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "script-request-title" }, `A script asks for a token of @${request.username}`),
        h(
          "div",
          { class: "dialog-body" },
          h("p", {}, `App ${request.app} at ${request.providerLabel}.`),
          h("p", {}, "Asked by ", h("strong", { class: "script-request-caller" }, request.caller), "."),
          h(
            "p",
            { class: "muted" },
            `The script gets the account's access token and may act as @${request.username} with everything the token may do. It waits ${request.timeoutSeconds} seconds for your answer.`,
          ),
        ),
        h("div", { class: "dialog-actions" }, deny, allow),
      ),
    );
    dialog.dataset.requestId = String(request.requestId);
    const shown = new AbortController();
    dialog.addEventListener(
      "close",
      () => {
        shown.abort();
        showing = null;
        delete dialog.dataset.requestId;
        setTimeout(showNext, 0);
      },
      { signal: shown.signal },
    );
    // Escape is a no: the script is refused at once instead of waiting out its time.
    dialog.addEventListener("cancel", () => answer(request, false), { signal: shown.signal });
    dialog.showModal();
    deny.focus();
  };

  await listen(EVENTS.scriptRequest, (request) => {
    queue.push(request);
    showNext();
  });
  await listen(EVENTS.scriptRequestEnded, (requestId) => {
    const waiting = queue.findIndex((request) => request.requestId === requestId);
    if (waiting >= 0) queue.splice(waiting, 1);
    if (showing?.requestId === requestId && dialog.open) dialog.close();
  });
}
