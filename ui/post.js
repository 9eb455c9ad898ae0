// The post and reply form: markdown body with a preview rendered (and sanitised) by the app,
// tags, community, beneficiaries and payout options, then the confirm step; once published,
// the form is emptied and the new post's address is shown. A link in the preview opens in the
// system browser once the person has seen its full address, never in the window.
import { invoke, messageOf } from "./tauri.js";
import { confirmDialog, copyText, h, showFieldErrors } from "./dom.js";
import { reviewAndSend } from "./review.js";

const PREVIEW_DELAY_MS = 300;

/** Wires the post form in `root`; returns `{ setAccounts(accounts) }`. */
export function startPostView(root) {
  const form = root.querySelector("#post-form");
  const account = root.querySelector("#post-account");
  const replyTo = root.querySelector("#post-reply-to");
  const title = root.querySelector("#post-title");
  const body = root.querySelector("#post-body");
  const preview = root.querySelector("#post-preview");
  const tags = root.querySelector("#post-tags");
  const community = root.querySelector("#post-community");
  const payout = root.querySelector("#post-payout");
  const split = root.querySelector("#post-split");
  const beneficiaries = root.querySelector("#post-beneficiaries");
  const results = root.querySelector("#post-results");

  const syncMode = () => {
    const reply = replyTo.value.trim() !== "";
    for (const element of form.querySelectorAll(".post-only")) element.hidden = reply;
  };
  replyTo.addEventListener("input", syncMode);

  let rendering = null;
  body.addEventListener("input", () => {
    clearTimeout(rendering);
    rendering = setTimeout(async () => {
      // Sanitised by the app (ammonia): no scripts, handlers or styles survive.
      preview.innerHTML = await invoke("preview_markdown", { body: body.value });
    }, PREVIEW_DELAY_MS);
  });

  // A click on a preview link (Enter on a focused link clicks it too; a middle click is an
  // auxclick) never loads it in the window: the full address is shown first, then the app
  // opens it in the system browser.
  const followLink = (event) => {
    const link = event.target.closest("a[href]");
    if (!link || (event.type === "auxclick" && event.button !== 1)) return;
    event.preventDefault();
    openOutside(link.href);
  };
  preview.addEventListener("click", followLink);
  preview.addEventListener("auxclick", followLink);

  const openOutside = async (url) => {
    const open = await confirmDialog({
      title: "Open this address in your browser?",
      lines: [url],
      confirmLabel: "Open in the browser",
    });
    if (!open) return;
    invoke("open_external_link", { url }).catch((error) =>
      showFieldErrors(form, [{ field: error?.field ?? null, message: messageOf(error) }]),
    );
  };

  root.querySelector("#post-add-beneficiary").addEventListener("click", () => {
    const index = beneficiaries.querySelectorAll(".beneficiary").length + 1;
    const row = h(
      "div",
      { class: "beneficiary" },
      h("label", {}, `Account ${index} `, h("input", { type: "text", class: "beneficiary-account", spellcheck: "false" })),
      h("label", {}, " share (%) ", h("input", { type: "number", class: "beneficiary-share", min: "0.01", max: "100", step: "0.01" })),
      h("button", { type: "button", onclick: () => row.remove() }, "Remove"),
    );
    beneficiaries.append(row);
    row.querySelector("input").focus();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reply = replyTo.value.trim() !== "";
    const request = {
      accountId: Number(account.value),
      replyTo: reply ? replyTo.value : null,
      title: reply ? "" : title.value,
      body: body.value,
      tags: reply ? [] : tags.value.split(/[\s,]+/).filter(Boolean),
      community: reply ? null : community.value,
      beneficiaries: reply
        ? []
        : [...beneficiaries.querySelectorAll(".beneficiary")].map((row) => ({
            account: row.querySelector(".beneficiary-account").value,
            weight: Math.round(Number(row.querySelector(".beneficiary-share").value) * 100),
          })),
      maxAcceptedPayout: reply ? null : payout.value,
      percentHbd: reply ? null : Number(split.value),
    };
    reviewAndSend({
      form,
      results,
      title: reply ? "Send this reply?" : "Publish this post?",
      prepare: () => invoke("prepare_post", { request }),
    }).then((sent) => {
      const published = sent?.results[0]?.entry;
      if (published && ["sent", "onChain"].includes(published.outcome.status)) {
        clearForm();
        showPublished(sent.draft.postUrl, reply);
      }
    });
  });

  // Once published, the form is emptied, so a second Send cannot publish a copy.
  const clearForm = () => {
    for (const input of [replyTo, title, body, tags, community, payout]) input.value = "";
    split.value = split.querySelector("option[selected]")?.value ?? split.options[0].value;
    beneficiaries.replaceChildren();
    preview.replaceChildren();
    syncMode();
  };

  const showPublished = (url, reply) => {
    const copy = h("button", { type: "button" }, "Copy link");
    copy.addEventListener("click", async () => {
      copy.textContent = (await copyText(url)) ? "Copied" : "Select and copy";
    });
    const open = h("button", { type: "button" }, "Open in the browser");
    open.addEventListener("click", () =>
      invoke("open_post_page", { url }).catch((error) => (open.textContent = messageOf(error))),
    );
    const line = h(
      "p",
      { class: "published", tabindex: "-1" },
      reply ? "Reply published: " : "Post published: ",
      h("code", { class: "published-url" }, url),
      " ",
      copy,
      " ",
      open,
    );
    results.append(line);
    line.scrollIntoView({ block: "nearest" });
    line.focus({ preventScroll: true });
  };

  const setAccounts = (accounts) => {
    accounts = accounts.filter((a) => a.broadcasts !== false); // OAuth 2.0 and token-site accounts cannot vote or post
    const chosen = account.value;
    account.replaceChildren(
      ...accounts.map((a) => h("option", { value: a.id }, `@${a.username} (@${a.appClientId})`)),
    );
    if (accounts.length === 0) account.append(h("option", { value: "", disabled: true }, "Add an account first"));
    if (chosen) account.value = chosen;
  };
  return { setAccounts };
}
