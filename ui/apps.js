// The apps view: registered apps as cards, and the form to register or edit one. The form
// shows the fields of the chosen provider's kind: Hivesigner and Steemconnect (the signer
// kinds), a standard OAuth 2.0 / OpenID Connect server, or an "apps tab" token site. The
// client secret is write-only: the form sends it, the app keeps it in the keyring, and the
// page only ever learns whether one is set.
import { EVENTS, invoke, listen, messageOf } from "./tauri.js";
import { clearFieldErrors, confirmDialog, copyText, h, showFieldErrors } from "./dom.js";
import { appName, clientAuthLabel, isSignerKind, kindLabel, removalWords } from "./format.js";
import { scriptAccessControls } from "./scripts.js";

/** What a token site's card says about its sign-ins, which no `state` can protect. */
const STATE_NOTE =
  "This kind of site sends no state with its answer, so Authdeck cannot protect this sign-in with one: it accepts an answer only while exactly one sign-in to this app waits, once, and only after the token works.";

/** The form's group of fields for a provider kind: the signer kinds share theirs. */
function groupOf(kind) {
  return isSignerKind(kind) ? "signer" : kind;
}

/** The fields of an OAuth 2.0 app's endpoints: shown in the "by hand" disclosure. */
const ENDPOINT_FIELDS = ["authorizeEndpoint", "tokenEndpoint", "revocationEndpoint", "userinfoEndpoint"];

/**
 * Starts the apps view inside `root`. `signIn(appId, options)` starts a sign-in (with
 * `{ personalToken: true }`: opens the "Add account" dialog at a token site's personal token
 * field); `notify(notice)` shows a notice. Returns `{ reload, openRegister, apps }`.
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
    const name = appName(app.kind, app.clientId);
    const button = (label, run) => h("button", { type: "button", onclick: run, "aria-label": `${label} ${name}` }, label);
    const details = [];
    const row = (term, ...description) => details.push(h("dt", {}, term), h("dd", {}, ...description));
    row("Provider", `${app.providerLabel} (${app.baseUrl})`);
    row("Kind", kindLabel(app.kind));
    switch (groupOf(app.kind)) {
      case "oauth2":
        row(
          "Scopes",
          app.scopes.length === 0 ? "none asked" : h("code", {}, app.scopes.join(" ")),
          ": code flow with PKCE; Authdeck refreshes tokens when the server issues refresh tokens (OpenID servers: only with offline_access)",
        );
        if (app.oauth2) {
          row("Endpoints", endpointList(app.oauth2));
          row("Client authentication", clientAuthLabel(app.oauth2.client_auth));
          row(
            "Issuer check",
            app.oauth2.iss_required
              ? "every answer must name the server as its issuer (iss, RFC 9207)"
              : "an answer's issuer (iss) is checked when it names one",
          );
        }
        break;
      case "token_site":
        row(
          "Tokens",
          "the site's token in the redirect, or a pasted personal token; no refresh: sign in again when the site refuses it",
        );
        if (app.tokenSite) {
          const site = app.tokenSite;
          row("Token parameter", h("code", {}, site.token_param));
          row("Identity", "GET ", h("code", {}, site.identity_path), ", account named by ", h("code", {}, site.identity_field));
          row("Header", h("code", {}, site.header === "bearer" ? "Authorization: Bearer <token>" : "Authorization: <token>"));
          row("Apps settings page", site.apps_page ? h("code", {}, site.apps_page) : "not given");
        }
        break;
      default:
        row(
          "Scopes",
          `${app.scopes.join(", ")}: `,
          app.flow === "code"
            ? "code flow, Authdeck refreshes tokens before they expire"
            : "implicit flow, users sign in again every 7 days",
        );
    }
    const uri = h("code", { class: "redirect-uri" }, app.redirectUriToRegister);
    const copy = h(
      "button",
      { type: "button", class: "copy-redirect", "aria-label": `Copy the redirect URI of ${name}` },
      "Copy",
    );
    copy.addEventListener("click", async () => {
      const copied = await copyText(app.redirectUriToRegister);
      if (!copied) selectText(uri);
      copy.textContent = copied ? "Copied" : "Press Ctrl+C";
      setTimeout(() => (copy.textContent = "Copy"), 2000);
    });
    row(
      "Redirect",
      app.redirectMode === "loopback"
        ? app.kind === "token_site"
          ? "loopback listener on a fixed port"
          : "loopback listener"
        : "deep link",
      app.kind === "token_site" ? ": register exactly " : ": register ",
      uri,
      app.kind === "token_site" ? " at the site " : " at the provider ",
      copy,
    );
    if (app.kind !== "token_site") {
      const secretState = app.secretSet
        ? "set (kept in your keyring)"
        : app.oauth2?.client_auth === "none"
          ? "not set (a public client)"
          : "not set";
      row("Client secret", h("span", { class: "secret-state" }, secretState));
    }
    row("Accounts", String(app.accountCount));
    row("Scripts", scriptAccessControls(app, notify));
    return h(
      "li",
      { class: `app-card${app.sandbox ? " is-sandbox" : ""}`, dataset: { id: app.id, clientId: app.clientId, kind: app.kind ?? "" } },
      h(
        "h3",
        {},
        name,
        app.sandbox
          ? h("span", { class: "sandbox-tag", title: "A demo app of the offline sandbox: it goes when you leave the sandbox" }, "sandbox")
          : null,
      ),
      h("dl", {}, details),
      app.stateProtected === false ? h("p", { class: "card-note state-note" }, STATE_NOTE) : null,
      h(
        "div",
        { class: "card-actions" },
        button("Add account", () => signIn(app.id)),
        app.kind === "token_site"
          ? h(
              "button",
              {
                type: "button",
                class: "paste-token",
                "aria-label": `Paste a personal token for ${name}`,
                onclick: () => signIn(app.id, { personalToken: true }),
              },
              "Paste a personal token",
            )
          : null,
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

/** An OAuth 2.0 app's endpoints in use, one line each. */
function endpointList(settings) {
  const line = (label, url, missing) =>
    h("li", {}, `${label}: `, url ? h("code", {}, url) : missing ?? "none");
  return h(
    "ul",
    { class: "endpoint-list" },
    line("authorization", settings.authorize),
    line("token", settings.token),
    line("revocation", settings.revocation, "none: removing an account cannot revoke its grant at the server"),
    line("userinfo", settings.userinfo),
  );
}

/** Selects the text of `node`, for Ctrl+C when the clipboard refused. */
function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function removeApp(app, notify) {
  const name = appName(app.kind, app.clientId);
  const accounts = app.accountCount;
  const each =
    app.kind === "token_site"
      ? "each token is deleted from your keyring (the site may keep honouring it until the app is revoked on its apps settings page)"
      : `each token is revoked at ${app.providerLabel} and deleted from your keyring`;
  const confirmed = await confirmDialog({
    title: `Remove ${name}?`,
    lines: [
      accounts === 0
        ? "It has no accounts."
        : `Its ${accounts} account${accounts === 1 ? "" : "s"} will be removed too: ${each}.`,
      app.kind === "token_site"
        ? "The app itself stays registered at the site."
        : "Its client secret is deleted from your keyring. The app itself stays registered at the provider.",
    ],
    confirmLabel: "Remove app",
  });
  if (!confirmed) return;
  try {
    const removed = await invoke("remove_app", { appId: app.id });
    const shown = appName(app.kind, removed.clientId);
    const names = removed.accounts.map((account) => `@${account.username}`);
    const openPage = (url) => () =>
      invoke("open_provider_page", { url }).catch((error) => notify({ level: "warning", text: messageOf(error) }));
    if (names.length === 0) {
      notify({ level: "info", text: `Removed ${shown} (it had no accounts).` });
      return;
    }
    const removedText = `Removed ${shown} and its account${names.length === 1 ? "" : "s"} ${names.join(", ")}`;
    if (app.kind === "oauth2") {
      const unconfirmed = removed.accounts.filter((account) => !account.revokedAtProvider).map((a) => `@${a.username}`);
      notify({
        level: unconfirmed.length === 0 ? "info" : "warning",
        text:
          unconfirmed.length === 0
            ? `${removedText}: the server revoked the grant${names.length === 1 ? "" : "s"}, and the tokens are deleted.`
            : `${removedText}: the tokens are deleted, but the server did not confirm revoking the grant of ${unconfirmed.join(", ")} (it may have no revocation endpoint). To end those grants now, revoke ${shown} in each account's settings at the server.`,
      });
      return;
    }
    if (app.kind === "token_site") {
      const page = removed.accounts.find((account) => account.authorityRemovalPage)?.authorityRemovalPage ?? null;
      notify({
        level: page ? "info" : "warning",
        text: `${removedText}: tokens deleted from your keyring. The site may still let ${shown} in: revoke the app there, ${page ? `on the site's apps settings page ${page}` : "in the site's apps settings"}.`,
        actions: page ? [{ label: "Open the apps settings page", run: openPage(page) }] : [],
      });
      return;
    }
    // Stays until dismissed: each account may still want to remove the app's authority on chain.
    notify({
      level: "info",
      text:
        `${removedText}: tokens revoked and deleted. ` +
        `On chain, each account keeps ${shown}'s posting authority until it removes it on the provider's page:`,
      actions: removed.accounts
        .filter((account) => account.authorityRemovalPage)
        .map((account) => ({
          label: `@${account.username}'s authority page`,
          run: openPage(account.authorityRemovalPage),
        })),
    });
  } catch (error) {
    notify({ level: "warning", text: `${name}: ${messageOf(error)}` });
  }
}

/** Wires the register/edit dialog; returns `{ open(app | null), onSaved }`. */
function setUpForm(presets, notify) {
  const dialog = document.getElementById("app-dialog");
  const form = dialog.querySelector("form");
  const $ = (selector) => form.querySelector(selector);
  const preset = $("#app-preset");
  const presetHelp = $("#app-preset-help");
  const baseUrlLabel = $("#app-base-url-label");
  const baseUrl = $("#app-base-url");
  const baseUrlHelp = $("#app-base-url-help");
  const endpoints = $("#app-endpoints");
  const endpointsHelp = $("#app-endpoints-help");
  const authorizeEndpoint = $("#app-authorize-endpoint");
  const tokenEndpoint = $("#app-token-endpoint");
  const revocationEndpoint = $("#app-revocation-endpoint");
  const userinfoEndpoint = $("#app-userinfo-endpoint");
  const clientIdLabel = $("label[for=app-client-id]");
  const clientId = $("#app-client-id");
  const clientIdHelp = $("#app-client-id-help");
  const clientAuth = $("#app-client-auth");
  const clientAuthHelp = $("#app-client-auth-help");
  const secretLabel = $("#app-secret-label");
  const secret = $("#app-secret");
  const secretHelp = $("#app-secret-help");
  const tokenParam = $("#app-token-param");
  const tokenHeader = $("#app-token-header");
  const identityPath = $("#app-identity-path");
  const identityField = $("#app-identity-field");
  const appsPage = $("#app-apps-page");
  const signerScopes = $("#app-scopes-signer");
  const scopesRow = $("#app-scopes-row");
  const scopes = $("#app-scopes");
  const posting = $("#app-access-posting");
  const login = $("#app-access-login");
  const offline = $("#app-offline");
  const loopback = $("#app-redirect-loopback");
  const loopbackUri = $("#app-redirect-loopback-uri");
  const customScheme = $("#app-redirect-custom");
  const redirectHelp = $("#app-redirect-help");
  const submit = $("[data-submit]");
  const handle = { onSaved: async () => {}, open };
  let editing = null;
  // What the person typed as the base URL, kept while a preset with a fixed one shows it.
  let typedBaseUrl = "";
  let showsFixed = false;

  preset.replaceChildren(...presets.map((p) => h("option", { value: p.id }, p.label)));
  const chosen = () => presets.find((p) => p.id === preset.value) ?? null;
  const kindNow = () => chosen()?.kind ?? editing?.kind ?? "hivesigner";

  const setHelp = (node, text) => {
    node.textContent = text;
    node.hidden = text === "";
  };

  // Shows the fields of the chosen preset's kind (`data-kinds` in index.html) and words them.
  const syncPreset = () => {
    const fixed = chosen()?.fixedBaseUrl ?? null;
    const kind = kindNow();
    const group = groupOf(kind);
    form.dataset.kind = kind;
    for (const element of form.querySelectorAll("[data-kinds]")) {
      element.hidden = !element.dataset.kinds.split(" ").includes(group);
    }
    // Field errors go to the one scopes holder shown (`showFieldErrors` takes the first).
    for (const [holder, shown] of [
      [signerScopes, group === "signer"],
      [scopesRow, group === "oauth2"],
    ]) {
      if (shown) holder.setAttribute("data-field", "scopes");
      else holder.removeAttribute("data-field");
    }

    if (fixed) {
      if (!showsFixed) typedBaseUrl = baseUrl.value;
      baseUrl.value = fixed;
      showsFixed = true;
    } else if (showsFixed) {
      baseUrl.value = typedBaseUrl;
      showsFixed = false;
    }
    baseUrl.readOnly = Boolean(fixed) || Boolean(editing);
    const words = {
      signer: {
        preset: "Accounts sign their votes and posts through this provider.",
        label: "Server address",
        placeholder: "https://signer.example.com",
        help: "The compatible server's address, for example https://signer.example.com.",
        clientId: "Client id (the app's account name)",
        clientIdPlaceholder: "myapp",
        clientIdHelp: "",
      },
      oauth2: {
        preset:
          "A standard OAuth 2.0 / OpenID Connect server: accounts sign in with the code flow and PKCE. They cannot vote or post.",
        label: "Issuer URL",
        placeholder: "https://login.example.com",
        help: "The server's issuer, exactly as its metadata names it (for example https://login.example.com or https://example.com/oauth). Authdeck reads the endpoints from its metadata, unless you enter them by hand.",
        clientId: "Client id",
        clientIdPlaceholder: "the id the server gave the app",
        clientIdHelp: "Exactly as the server shows it for the client you registered there.",
      },
      token_site: {
        preset:
          "An “apps tab” site: it hands a token to Authdeck in its redirect, or gives you a personal token to paste. Accounts cannot vote or post.",
        label: "Site address",
        placeholder: "https://site.example.com",
        help: "The site's address, for example https://site.example.com; its consent page is /authorize/ there.",
        clientId: "Client id",
        clientIdPlaceholder: "the app's id at the site",
        clientIdHelp: "The app's id at the site, exactly as its apps page shows it.",
      },
    }[group];
    setHelp(presetHelp, words.preset);
    baseUrlLabel.textContent = words.label;
    baseUrl.placeholder = words.placeholder;
    setHelp(
      baseUrlHelp,
      editing
        ? "The provider and its address identify the app: to change them, remove the app and register it again."
        : fixed
          ? `Fixed for ${chosen()?.label ?? "this provider"}.${group === "oauth2" ? " Authdeck reads the endpoints from its metadata." : ""}`
          : words.help,
    );
    clientIdLabel.textContent = words.clientId;
    clientId.placeholder = words.clientIdPlaceholder;
    setHelp(clientIdHelp, editing ? "The client id identifies the app and cannot change." : words.clientIdHelp);
    setHelp(
      endpointsHelp,
      editing
        ? "What is filled in here is sent as it is. Empty the authorization and token endpoints to read them again from the issuer's metadata."
        : "Leave these empty to read them from the issuer's metadata. Enter both the authorization and the token endpoint to skip it; then enter the userinfo endpoint too. A revocation endpoint can be added when the metadata lists none.",
    );
    setHelp(
      clientAuthHelp,
      editing
        ? "The method in use is selected. Automatic, without a new secret, would make the app a public client."
        : "Automatic: client_secret_basic when you enter a secret (client_secret_post when the server accepts only that), a public client (none) without one. Choose a method when the server requires a particular one.",
    );
    syncRedirect(group);
    syncSecretHelp();
  };

  const syncRedirect = (group) => {
    const port = editing?.tokenSite?.loopback_port;
    const siteUri = port ? `http://127.0.0.1:${port}/callback` : "http://127.0.0.1:<port>/callback";
    loopbackUri.textContent = group === "token_site" ? siteUri : "http://127.0.0.1/callback";
    if (group === "oauth2") {
      redirectHelp.textContent =
        "Register the chosen address at the server. Loopback: http://127.0.0.1/callback with any port (RFC 8252: Authdeck listens on a free port each time, and the server must accept any). Deep link: authdeck://callback, which many servers accept only for clients registered as native apps.";
    } else if (group === "token_site") {
      redirectHelp.textContent = port
        ? `A token site registers one fixed address, port included: register exactly ${siteUri} at the site (the port stays the same for this app). The deep link authdeck://callback works only if the site accepts it.`
        : "A token site registers one fixed address, port included: Authdeck chooses the port once, when you register the app, and the app's card then shows the exact address to register at the site. The deep link authdeck://callback works only if the site accepts it.";
    } else {
      redirectHelp.textContent =
        "Register the chosen address at the provider: http://127.0.0.1/callback (any port, RFC 8252: Authdeck listens on a free one) or authdeck://callback. Hivesigner today accepts only the loopback one.";
    }
  };

  // What the secret field needs: a stored secret may be kept on an edit; a new code-flow app
  // (offline) cannot be registered without one, nor can a confidential OAuth 2.0 client (the
  // app refuses it at this field too); a public OAuth 2.0 client sends none.
  const syncSecretHelp = () => {
    const group = groupOf(kindNow());
    const method = clientAuth.value;
    const confidential = method === "client_secret_basic" || method === "client_secret_post";
    secretLabel.textContent = group === "oauth2" && !confidential ? "Client secret (optional)" : "Client secret";
    if (group === "oauth2" && method === "none") {
      secretHelp.textContent = editing?.secretSet
        ? "A public client (none) sends no secret: leave this empty. The stored secret stays unused in your keyring."
        : "A public client (none) sends no secret: leave this empty.";
    } else if (editing?.secretSet) {
      secretHelp.textContent = "A secret is stored. Type a new one only to replace it.";
    } else if (group === "oauth2") {
      secretHelp.textContent = confidential
        ? `Required with ${method}: the secret the server gave the app. Authdeck keeps it in your system keyring and never shows it again.`
        : "Optional: leave it empty for a public client (one registered without a secret: PKCE protects its sign-ins). A confidential client's secret is kept in your system keyring and never shown again.";
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
  clientAuth.addEventListener("change", syncSecretHelp);

  // At its field (`data-field` in index.html), or in the form's summary. An endpoint's field
  // is inside the disclosure: it opens, so the message and the field are seen.
  const showError = (error) => {
    if (ENDPOINT_FIELDS.includes(error?.field)) endpoints.open = true;
    showFieldErrors(form, [{ field: error?.field ?? null, message: messageOf(error) }], { focus: true });
  };

  function open(app) {
    editing = app;
    form.reset();
    clearFieldErrors(form);
    endpoints.open = false;
    typedBaseUrl = "";
    showsFixed = false;
    dialog.querySelector("h2").textContent = app ? `Edit ${appName(app.kind, app.clientId)}` : "Register an app";
    submit.textContent = app ? "Save" : "Register";
    preset.disabled = Boolean(app);
    clientId.readOnly = Boolean(app);
    for (const legacy of preset.querySelectorAll("option[data-legacy]")) legacy.remove();
    if (app && !presets.some((p) => p.id === app.preset)) {
      // Registered with a preset no longer offered (an older "Local sandbox" one): shown as it is.
      preset.append(h("option", { value: app.preset, "data-legacy": true }, app.providerLabel));
    }
    if (app) {
      preset.value = app.preset;
      baseUrl.value = app.baseUrl;
      showsFixed = Boolean(chosen()?.fixedBaseUrl);
      clientId.value = app.clientId;
      (app.redirectMode === "loopback" ? loopback : customScheme).checked = true;
      if (groupOf(app.kind) === "signer") {
        login.checked = app.scopes.includes("login");
        posting.checked = !login.checked;
        offline.checked = app.scopes.includes("offline");
      }
      if (app.oauth2) fillOAuth2(app.oauth2, app.scopes);
      if (app.tokenSite) fillTokenSite(app.tokenSite);
    }
    secret.placeholder = app?.secretSet ? "set: leave empty to keep it" : "";
    syncPreset();
    syncAccess();
    dialog.showModal();
    const first = !app ? preset : { signer: posting, oauth2: scopes, token_site: tokenParam }[groupOf(app.kind)];
    first.focus();
  }

  // An edit sends what is in use, so saving changes only what the person changed. The
  // authorization and token endpoints are filled in only when the server's answers carry no
  // required `iss`: entered by hand, they skip the metadata, and with it that requirement.
  function fillOAuth2(settings, names) {
    scopes.value = names.join(" ");
    clientAuth.value = settings.client_auth;
    revocationEndpoint.value = settings.revocation ?? "";
    userinfoEndpoint.value = settings.userinfo ?? "";
    if (!settings.iss_required) {
      authorizeEndpoint.value = settings.authorize;
      tokenEndpoint.value = settings.token;
    }
    endpoints.open = true;
  }

  function fillTokenSite(site) {
    tokenParam.value = site.token_param;
    identityPath.value = site.identity_path;
    identityField.value = site.identity_field;
    tokenHeader.value = site.header === "bearer" ? "bearer" : "raw";
    appsPage.value = site.apps_page ?? "";
  }

  // A text field's value, or null when empty (the app then uses its default or discovers it).
  const given = (input) => (input.value.trim() === "" ? null : input.value.trim());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const group = groupOf(kindNow());
    const input = {
      preset: preset.value,
      baseUrl: chosen()?.fixedBaseUrl ? null : baseUrl.value,
      clientId: clientId.value,
      scopes: [],
      redirectMode: loopback.checked ? "loopback" : "custom_scheme",
      clientSecret: group === "token_site" || secret.value === "" ? null : secret.value,
    };
    if (group === "signer") {
      input.scopes = [login.checked ? "login" : "posting", ...(offline.checked ? ["offline"] : [])];
    } else if (group === "oauth2") {
      Object.assign(input, {
        scopes: scopes.value.split(/[\s,]+/).filter(Boolean),
        authorizeEndpoint: given(authorizeEndpoint),
        tokenEndpoint: given(tokenEndpoint),
        revocationEndpoint: given(revocationEndpoint),
        userinfoEndpoint: given(userinfoEndpoint),
        clientAuth: clientAuth.value === "" ? null : clientAuth.value,
      });
    } else {
      Object.assign(input, {
        tokenParam: given(tokenParam),
        identityPath: given(identityPath),
        identityField: given(identityField),
        tokenHeader: tokenHeader.value,
        appsPage: given(appsPage),
      });
    }
    submit.disabled = true;
    try {
      const saved = editing
        ? await invoke("update_app", { appId: editing.id, input })
        : await invoke("register_app", { input });
      secret.value = "";
      dialog.close();
      const name = appName(saved.kind, saved.clientId);
      if (!editing && saved.kind === "token_site" && saved.redirectMode === "loopback") {
        // The port was chosen just now: the address to register is news, so it stays in view.
        notify({
          level: "info",
          text: `Registered ${name}. Register exactly ${saved.redirectUriToRegister} as its redirect URI at the site: the port is fixed for this app.`,
          actions: [{ label: "Copy the redirect URI", run: () => copyText(saved.redirectUriToRegister) }],
        });
      } else {
        notify({ level: "info", text: `${editing ? "Saved" : "Registered"} ${name}.` });
      }
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
