// Adding an account: choose the app, then a panel that waits for the browser, showing the
// consent page's address (copyable), a field for the address the browser ended on (when the
// redirect does not come back by itself), the time left and a cancel button, until the app
// reports the sign-in completed, failed, was cancelled or timed out. A token site's app can
// also take a personal token pasted in the "Add account" dialog: sent once, never shown.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { clearFieldErrors, copyText, h, showFieldErrors } from "./dom.js";
import { appName, clock, nowSeconds } from "./format.js";

/**
 * Wires the sign-in panel and the "Add account" dialog. `apps()` lists the registered apps,
 * `onCompleted(accountId)` runs when an account was added, `registerApp()` opens the register
 * form. Returns `{ start(appId, options), choose() }`: `start` signs in to the app; with
 * `{ accountId, username }` that account signs in again (the answer must name it); with
 * `{ personalToken: true }` it opens the "Add account" dialog at the app's personal token field.
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
  let current = null; // { attemptId, appId, name, again: { accountId, username } | null, expiresAt }
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

  const start = async (appId, { accountId = null, username = null, personalToken = false } = {}) => {
    if (personalToken) {
      openDialog({ appId, focusToken: true });
      return;
    }
    const app = apps().find((candidate) => candidate.id === appId);
    const name = app ? appName(app.kind, app.clientId) : "the app";
    const again = accountId === null ? null : { accountId, username };
    stopTimer();
    current = { attemptId: null, appId, name, again, expiresAt: 0 };
    pasted.value = "";
    clearPasteError();
    let reply;
    try {
      reply = await invoke("start_sign_in", again ? { appId, accountId } : { appId });
    } catch (error) {
      panel.hidden = false;
      title.textContent = `Sign-in did not start: ${name}`;
      setState("failed", messageOf(error));
      return;
    }
    if (!reply.authorizeUrl) {
      // Never a panel with nothing to open: end the attempt (its events are ignored, the
      // attempt id is not current) and say what to do.
      invoke("cancel_sign_in", { attemptId: reply.attemptId }).catch(() => {});
      panel.hidden = false;
      title.textContent = `Sign-in did not start: ${name}`;
      setState(
        "failed",
        "Authdeck got no consent page address for this app, so there is nothing to open in the browser. Try again; if it keeps happening, check the app's provider and base URL in Apps.",
      );
      return;
    }
    current = { attemptId: reply.attemptId, appId, name, again, expiresAt: reply.expiresAt };
    const who = again?.username ? `@${again.username}` : "the account";
    title.textContent = again
      ? `Waiting for the browser: ${who} signs in again to ${name}`
      : `Waiting for the browser: ${name}`;
    url.value = reply.authorizeUrl;
    setState(
      "waiting",
      [
        reply.browserOpened
          ? "Approve the sign-in in the browser window that opened. To use another browser or profile, copy the address below and open it there."
          : "Authdeck could not open your browser. Copy the address below and open it in a browser to approve the sign-in.",
        again ? `Sign in as ${who}: an answer for another account is refused.` : "",
        app?.stateProtected === false
          ? "This site sends no state with its answer: Authdeck takes one answer, and only while this is the one sign-in to the app waiting."
          : "",
      ]
        .filter(Boolean)
        .join(" "),
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
    if (current) start(current.appId, current.again ?? {});
  });
  close.addEventListener("click", () => {
    panel.hidden = true;
    current = null;
    stopTimer();
  });
  await listen(EVENTS.signIn, onProgress);

  const dialog = document.getElementById("add-account-dialog");
  const form = dialog.querySelector("form");
  const choice = dialog.querySelector("#add-account-app");
  const appRow = dialog.querySelector("#add-account-app-row");
  const appHelp = dialog.querySelector("#add-account-app-help");
  const noApps = dialog.querySelector("#add-account-no-apps");
  const signInButton = form.querySelector("[data-submit]");
  const tokenRow = dialog.querySelector("#personal-token-row");
  const token = dialog.querySelector("#personal-token");
  const tokenButton = dialog.querySelector("#personal-token-add");

  const chosenApp = () => apps().find((app) => app.id === Number(choice.value)) ?? null;
  // A token site's app also takes a personal token; no other app shows the field.
  const syncChoice = () => {
    const site = chosenApp()?.kind === "token_site";
    tokenRow.hidden = !site;
    if (!site) token.value = "";
    appHelp.textContent = site
      ? "A token site: sign in through the browser, or paste a personal token the site gave you."
      : "";
    appHelp.hidden = !site;
  };
  const openDialog = ({ appId = null, focusToken = false } = {}) => {
    const list = apps();
    choice.replaceChildren(
      ...list.map((app) =>
        h("option", { value: app.id }, `${appName(app.kind, app.clientId)} (${app.providerLabel}${app.sandbox ? ", sandbox" : ""})`),
      ),
    );
    if (appId !== null && list.some((app) => app.id === appId)) choice.value = String(appId);
    token.value = "";
    clearFieldErrors(form);
    noApps.hidden = list.length !== 0;
    appRow.hidden = list.length === 0;
    signInButton.hidden = list.length === 0;
    syncChoice();
    dialog.showModal();
    if (focusToken && !tokenRow.hidden) token.focus();
  };
  // Wired to the "Add account" button: its click event is no option.
  const choose = () => openDialog();
  choice.addEventListener("change", () => {
    clearFieldErrors(form);
    syncChoice();
  });

  // The token is read once, the field emptied at once (on failure too: paste it again), and
  // it goes to the app, which keeps it in the keyring; errors come back at `token` or `appId`.
  const addToken = async () => {
    const app = chosenApp();
    if (!app || tokenButton.disabled) return;
    clearFieldErrors(form);
    const value = token.value;
    token.value = "";
    tokenButton.disabled = true;
    try {
      const view = await invoke("add_personal_token", { appId: app.id, token: value });
      dialog.close();
      onCompleted(view.id);
    } catch (error) {
      showFieldErrors(form, [{ field: error?.field ?? null, message: messageOf(error) }], { focus: true });
    } finally {
      tokenButton.disabled = false;
    }
  };
  tokenButton.addEventListener("click", addToken);
  token.addEventListener("keydown", (event) => {
    // Enter sends the token, never the form (which would start a sign-in instead).
    if (event.key !== "Enter") return;
    event.preventDefault();
    addToken();
  });
  dialog.addEventListener("close", () => {
    token.value = "";
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!chosenApp()) return;
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
