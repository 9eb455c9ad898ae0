// The apps view: registered apps as cards, and the form to register or edit one. The client
// secret is write-only: the form sends it, the app keeps it in the keyring, and the page only
// ever learns whether one is set.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { clearFieldErrors, confirmDialog, h, showFieldErrors } from "./dom.js";

/**
 * Starts the apps view inside `root`. `signIn(appId)` starts a sign-in; `notify(notice)`
 * shows a notice. Returns `{ reload, openRegister, apps }`.
 */
export async function startAppsView(root, { signIn, notify }) {
  const list = root.querySelector("#app-list");
  const empty = root.querySelector("#apps-empty");
  const form = setUpForm(await invoke("list_presets"), notify);
  let apps = [];

  const render = () => {
    list.replaceChildren(...apps.map((app) => renderCard(app)));
    empty.hidden = apps.length !== 0;
  };

  const renderCard = (app) => {
    const button = (label, run) => h("button", { type: "button", onclick: run, "aria-label": `${label} @${app.clientId}` }, label);
    return h(
      "li",
      { class: "app-card", dataset: { id: app.id, clientId: app.clientId } },
      h("h3", {}, `@${app.clientId}`),
      h(
        "dl",
        {},
        h("dt", {}, "Provider"),
        h("dd", {}, `${app.providerLabel} (${app.baseUrl})`),
        h("dt", {}, "Scopes"),
        h(
          "dd",
          {},
          `${app.scopes.join(", ")}: `,
          app.flow === "code"
            ? "code flow, Authdeck refreshes tokens before they expire"
            : "implicit flow, users sign in again every 7 days",
        ),
        h("dt", {}, "Redirect"),
        h(
          "dd",
          {},
          app.redirectMode === "loopback" ? "loopback listener" : "deep link",
          ": register ",
          h("code", {}, app.redirectUriToRegister),
          " at the provider",
        ),
        h("dt", {}, "Client secret"),
        h("dd", { class: "secret-state" }, app.secretSet ? "set (kept in your keyring)" : "not set"),
        h("dt", {}, "Accounts"),
        h("dd", {}, String(app.accountCount)),
      ),
      h(
        "div",
        { class: "card-actions" },
        button("Add account", () => signIn(app.id)),
        button("Edit", () => form.open(app)),
        button("Remove", () => removeApp(app, notify)),
      ),
    );
  };

  const reload = async () => {
    apps = await invoke("list_apps");
    render();
    return apps;
  };

  form.onSaved = reload;
  await listen(EVENTS.accountsChanged, () => reload().catch(() => {}));
  await reload();
  return { reload, openRegister: () => form.open(null), apps: () => apps };
}

async function removeApp(app, notify) {
  const accounts = app.accountCount;
  const confirmed = await confirmDialog({
    title: `Remove @${app.clientId}?`,
    lines: [
      accounts === 0
        ? "It has no accounts."
        : `Its ${accounts} account${accounts === 1 ? "" : "s"} will be removed too: each token is revoked at ${app.providerLabel} and deleted from your keyring.`,
      "Its client secret is deleted from your keyring. The app itself stays registered at the provider.",
    ],
    confirmLabel: "Remove app",
  });
  if (!confirmed) return;
  try {
    const removed = await invoke("remove_app", { appId: app.id });
    const names = removed.accounts.map((account) => `@${account.username}`);
    // Stays until dismissed: each account may still want to remove the app's authority on chain.
    notify({
      level: "info",
      text:
        names.length === 0
          ? `Removed @${removed.clientId} (it had no accounts).`
          : `Removed @${removed.clientId} and its account${names.length === 1 ? "" : "s"} ${names.join(", ")}: tokens revoked and deleted. ` +
            `On chain, each account keeps @${removed.clientId}'s posting authority until it removes it on the provider's page:`,
      actions: removed.accounts.map((account) => ({
        label: `@${account.username}'s authority page`,
        run: () =>
          invoke("open_provider_page", { url: account.authorityRemovalPage }).catch((error) =>
            notify({ level: "warning", text: messageOf(error) }),
          ),
      })),
    });
  } catch (error) {
    notify({ level: "warning", text: `@${app.clientId}: ${messageOf(error)}` });
  }
}

/** Wires the register/edit dialog; returns `{ open(app | null), onSaved }`. */
function setUpForm(presets, notify) {
  const dialog = document.getElementById("app-dialog");
  const form = dialog.querySelector("form");
  const preset = form.querySelector("#app-preset");
  const baseUrlRow = form.querySelector("#app-base-url-row");
  const baseUrl = form.querySelector("#app-base-url");
  const clientId = form.querySelector("#app-client-id");
  const secret = form.querySelector("#app-secret");
  const secretHelp = form.querySelector("#app-secret-help");
  const posting = form.querySelector("#app-access-posting");
  const login = form.querySelector("#app-access-login");
  const offline = form.querySelector("#app-offline");
  const loopback = form.querySelector("#app-redirect-loopback");
  const customScheme = form.querySelector("#app-redirect-custom");
  const submit = form.querySelector("[data-submit]");
  const handle = { onSaved: async () => {}, open };
  let editing = null;

  preset.replaceChildren(...presets.map((p) => h("option", { value: p.id }, p.label)));
  const syncPreset = () => {
    const chosen = presets.find((p) => p.id === preset.value);
    baseUrlRow.hidden = Boolean(chosen?.fixedBaseUrl);
  };
  // What the secret field needs: a stored secret may be kept on an edit; a new code-flow app
  // (offline) cannot be registered without one (the app refuses it at this field too).
  const syncSecretHelp = () => {
    if (editing?.secretSet) {
      secretHelp.textContent = "A secret is stored. Type a new one only to replace it.";
    } else if (offline.checked) {
      secretHelp.textContent =
        "Required with offline: the code flow sends the app's client secret, the one you chose at the provider, to get refresh tokens. Authdeck keeps it in your system keyring and never shows it again.";
    } else {
      secretHelp.textContent =
        "The secret you chose at the provider. Authdeck keeps it in your system keyring and never shows it again.";
    }
  };
  const syncAccess = () => {
    offline.disabled = login.checked;
    if (login.checked) offline.checked = false;
    syncSecretHelp();
  };
  preset.addEventListener("change", syncPreset);
  posting.addEventListener("change", syncAccess);
  login.addEventListener("change", syncAccess);
  offline.addEventListener("change", syncSecretHelp);

  // At its field (`data-field` in index.html), or in the form's summary.
  const showError = (error) =>
    showFieldErrors(form, [{ field: error?.field ?? null, message: messageOf(error) }], { focus: true });

  function open(app) {
    editing = app;
    form.reset();
    clearFieldErrors(form);
    dialog.querySelector("h2").textContent = app ? `Edit @${app.clientId}` : "Register an app";
    submit.textContent = app ? "Save" : "Register";
    preset.disabled = Boolean(app);
    clientId.readOnly = Boolean(app);
    if (app) {
      preset.value = app.preset;
      baseUrl.value = app.baseUrl;
      clientId.value = app.clientId;
      login.checked = app.scopes.includes("login");
      posting.checked = !login.checked;
      offline.checked = app.scopes.includes("offline");
      (app.redirectMode === "loopback" ? loopback : customScheme).checked = true;
    }
    secret.placeholder = app?.secretSet ? "set: leave empty to keep it" : "";
    syncPreset();
    syncAccess();
    dialog.showModal();
    (app ? posting : preset).focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const scopes = [login.checked ? "login" : "posting", ...(offline.checked ? ["offline"] : [])];
    const input = {
      preset: preset.value,
      baseUrl: baseUrlRow.hidden ? null : baseUrl.value,
      clientId: clientId.value,
      scopes,
      redirectMode: loopback.checked ? "loopback" : "custom_scheme",
      clientSecret: secret.value === "" ? null : secret.value,
    };
    submit.disabled = true;
    try {
      const saved = editing
        ? await invoke("update_app", { appId: editing.id, input })
        : await invoke("register_app", { input });
      secret.value = "";
      dialog.close();
      notify({ level: "info", text: `${editing ? "Saved" : "Registered"} @${saved.clientId}.` });
      await handle.onSaved();
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  form.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    secret.value = "";
  });
  return handle;
}
