// Adding an account: choose the app, then a panel that waits for the browser, showing the
// consent page's address (copyable), a field for the address the browser ended on (when the
// redirect does not come back by itself), the time left and a cancel button, until the app
// reports the sign-in completed, failed, was cancelled or timed out.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { clearFieldErrors, copyText, h, showFieldErrors } from "./dom.js";
import { clock, nowSeconds } from "./format.js";

/**
 * Wires the sign-in panel and the "Add account" dialog. `apps()` lists the registered apps,
 * `onCompleted(accountId)` runs when an account was added, `registerApp()` opens the register
 * form. Returns `{ start(appId), choose() }`.
 */
export async function startSignIn({ apps, onCompleted, registerApp }) {
  const panel = document.getElementById("sign-in-panel");
  const title = panel.querySelector("h2");
  const message = panel.querySelector(".sign-in-message");
  const consentRow = panel.querySelector(".sign-in-consent");
  const url = panel.querySelector("#sign-in-url");
  const copy = panel.querySelector("[data-copy]");
  const pasteForm = panel.querySelector(".sign-in-paste");
  const pasted = panel.querySelector("#sign-in-pasted");
  const pasteButton = pasteForm.querySelector("[data-paste]");
  const timeLeft = panel.querySelector(".sign-in-time-left");
  const cancel = panel.querySelector("[data-cancel]");
  const retry = panel.querySelector("[data-retry]");
  const close = panel.querySelector("[data-close]");
  const seen = new Map(); // attempt id -> last progress, for events that beat the reply
  let current = null; // { attemptId, appId, clientId, expiresAt }
  let timer = null;

  const setState = (state, text) => {
    panel.dataset.state = state;
    message.textContent = text;
    const waiting = state === "waiting" || state === "exchanging";
    // A failed, cancelled or timed-out attempt's consent page leads nowhere: offer "Try again".
    consentRow.hidden = state === "failed";
    pasteForm.hidden = state !== "waiting";
    cancel.hidden = !waiting;
    retry.hidden = state !== "failed";
    close.hidden = waiting;
    timeLeft.hidden = !waiting;
  };

  const stopTimer = () => {
    clearInterval(timer);
    timer = null;
  };

  const clearPasteError = () => clearFieldErrors(pasteForm);

  // Whatever refused the pasted address (its field's error, or the sign-in's own) is shown at
  // the paste field: the panel has no other place for it.
  const showPasteError = (error) =>
    showFieldErrors(pasteForm, [{ field: pasteForm.dataset.field, message: messageOf(error) }], { focus: true });

  const complete = (accountId) => {
    stopTimer();
    panel.hidden = true;
    current = null;
    onCompleted(accountId);
  };

  /** The panel's heading for an attempt that ended without an account. */
  const endedTitle = (error) => {
    switch (error?.code) {
      case "signin_cancelled":
        return "Sign-in cancelled";
      case "signin_expired":
        return "Sign-in timed out";
      default:
        return "Sign-in failed";
    }
  };

  const onProgress = (progress) => {
    seen.set(progress.attemptId, progress);
    if (!current || current.attemptId === null || progress.attemptId !== current.attemptId) return;
    switch (progress.stage) {
      case "exchanging":
        setState("exchanging", "The provider answered. Checking the answer and storing the tokens…");
        break;
      case "completed":
        complete(progress.accountId);
        break;
      case "failed":
        stopTimer();
        title.textContent = endedTitle(progress.error);
        setState("failed", messageOf(progress.error));
        break;
      default:
        break;
    }
  };

  const start = async (appId) => {
    const app = apps().find((candidate) => candidate.id === appId);
    const clientId = app?.clientId ?? "the app";
    stopTimer();
    current = { attemptId: null, appId, clientId, expiresAt: 0 };
    pasted.value = "";
    clearPasteError();
    let reply;
    try {
      reply = await invoke("start_sign_in", { appId });
    } catch (error) {
      panel.hidden = false;
      title.textContent = `Sign-in did not start: @${clientId}`;
      setState("failed", messageOf(error));
      return;
    }
    if (!reply.authorizeUrl) {
      // Never a panel with nothing to open: end the attempt (its events are ignored, the
      // attempt id is not current) and say what to do.
      invoke("cancel_sign_in", { attemptId: reply.attemptId }).catch(() => {});
      panel.hidden = false;
      title.textContent = `Sign-in did not start: @${clientId}`;
      setState(
        "failed",
        "Authdeck got no consent page address for this app, so there is nothing to open in the browser. Try again; if it keeps happening, check the app's provider and base URL in Apps.",
      );
      return;
    }
    current = { attemptId: reply.attemptId, appId, clientId, expiresAt: reply.expiresAt };
    title.textContent = `Waiting for the browser: @${clientId}`;
    url.value = reply.authorizeUrl;
    setState(
      "waiting",
      reply.browserOpened
        ? "Approve the sign-in in the browser window that opened. To use another browser or profile, copy the address below and open it there."
        : "Authdeck could not open your browser. Copy the address below and open it in a browser to approve the sign-in.",
    );
    panel.hidden = false;
    const tick = () => {
      timeLeft.textContent = `Time left: ${clock(current ? current.expiresAt - nowSeconds() : 0)}`;
    };
    tick();
    timer = setInterval(tick, 1000);
    panel.querySelector("#sign-in-url").focus();
    const early = seen.get(reply.attemptId);
    if (early && early.stage !== "waiting") onProgress(early);
  };

  copy.addEventListener("click", async () => {
    const copied = await copyText(url.value, url);
    copy.textContent = copied ? "Copied" : "Press Ctrl+C";
    setTimeout(() => (copy.textContent = "Copy"), 2000);
  });
  pasteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    clearPasteError();
    pasteButton.disabled = true;
    try {
      const view = await invoke("paste_redirect", { address: pasted.value });
      pasted.value = "";
      // The completed event may come before or after this reply; whichever is first closes.
      if (current) complete(view.id);
    } catch (error) {
      if (!pasteForm.hidden) showPasteError(error);
    } finally {
      pasteButton.disabled = false;
    }
  });
  cancel.addEventListener("click", async () => {
    if (!current) return;
    try {
      await invoke("cancel_sign_in", { attemptId: current.attemptId });
    } catch (error) {
      setState("failed", messageOf(error));
    }
  });
  retry.addEventListener("click", () => {
    if (current) start(current.appId);
  });
  close.addEventListener("click", () => {
    panel.hidden = true;
    current = null;
    stopTimer();
  });
  await listen(EVENTS.signIn, onProgress);

  const dialog = document.getElementById("add-account-dialog");
  const choice = dialog.querySelector("#add-account-app");
  const noApps = dialog.querySelector("#add-account-no-apps");
  const form = dialog.querySelector("form");
  const choose = () => {
    const list = apps();
    choice.replaceChildren(
      ...list.map((app) => h("option", { value: app.id }, `@${app.clientId} (${app.providerLabel})`)),
    );
    noApps.hidden = list.length !== 0;
    form.querySelector(".field").hidden = list.length === 0;
    form.querySelector("[data-submit]").hidden = list.length === 0;
    dialog.showModal();
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    dialog.close();
    start(Number(choice.value));
  });
  dialog.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  dialog.querySelector("[data-register]").addEventListener("click", () => {
    dialog.close();
    registerApp();
  });
  return { start, choose };
}
