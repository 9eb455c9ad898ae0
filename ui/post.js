// The post and reply form: markdown body with a preview rendered (and sanitised) by the app,
// tags (shown as the chips they are sent as), community, and for posts and replies alike
// beneficiaries and payout options, then the confirm step; once published, the form is emptied
// and the new post's address is shown. A reply says what it answers ("Replying to
// @author/permlink: title"). A link in the preview opens in the system browser once the person
// has seen its full address, never in the window.
import { invoke, messageOf } from "./tauri.js";
import { confirmDialog, copyText, h, showFieldErrors } from "./dom.js";
import { reviewAndSend } from "./review.js";
import { accountSelect, whenShown } from "./pickers.js";

const PREVIEW_DELAY_MS = 300;
const LINK_CHECK_DELAY_MS = 250;

/** The most tags a post carries, its community included (as the Rust side checks). */
export const MAX_TAGS = 10;

/** One tag as the chain and the front ends take it: lowercase `a-z`, digits and `-`. */
export function normaliseTag(text) {
  return String(text)
    .trim()
    .replace(/^#+/, "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "");
}

/**
 * The tags a post is sent with, from the community (first, when given) and the typed text:
 * normalised, each once, at most `MAX_TAGS`. `dropped` counts the tags left out past the limit.
 */
export function tagsOf(communityText, tagsText) {
  const all = [];
  for (const raw of [communityText, ...String(tagsText).split(/[\s,]+/)]) {
    const tag = normaliseTag(raw ?? "");
    if (tag && !all.includes(tag)) all.push(tag);
  }
  return { tags: all.slice(0, MAX_TAGS), dropped: Math.max(0, all.length - MAX_TAGS) };
}

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
  const replyTarget = root.querySelector("#post-reply-target");
  const chips = root.querySelector("#post-tag-chips");

  const syncMode = () => {
    const reply = replyTo.value.trim() !== "";
    for (const element of form.querySelectorAll(".post-only")) element.hidden = reply;
  };

  // What the reply answers: the link as read by the app, then the post's title once the chain
  // gives it (through `post_card`; without it, the target alone).
  let echoing = null;
  let echoTurn = 0;
  const echoTarget = async () => {
    const turn = ++echoTurn;
    const link = replyTo.value.trim();
    replyTarget.classList.remove("field-error");
    if (link === "") {
      replyTarget.textContent = "";
      return;
    }
    let target;
    try {
      target = await invoke("parse_post_link", { link });
    } catch (error) {
      if (turn !== echoTurn) return;
      replyTarget.textContent = messageOf(error);
      replyTarget.classList.add("field-error");
      return;
    }
    if (turn !== echoTurn) return;
    const where = `@${target.author}/${target.permlink}`;
    replyTarget.textContent = `Replying to ${where}`;
    try {
      const card = await invoke("post_card", { link, accountIds: [] });
      const title = card?.post?.title || card?.post?.rootTitle || "";
      if (turn === echoTurn && title) replyTarget.textContent = `Replying to ${where}: ${title}`;
    } catch {
      // The chain could not be read (or this build has no post cards): the target alone.
    }
  };
  replyTo.addEventListener("input", () => {
    syncMode();
    clearTimeout(echoing);
    echoing = setTimeout(echoTarget, LINK_CHECK_DELAY_MS);
  });

  // The tags as they are sent, while typing: the first is the post's category.
  const showChips = () => {
    const { tags: shown, dropped } = tagsOf(community.value, tags.value);
    const items = [
      ...shown.map((tag, index) =>
        h(
          "li",
          { class: index === 0 ? "tag-chip tag-category" : "tag-chip", dataset: { tag } },
          tag,
          index === 0 && h("span", { class: "chip-note" }, " (category)"),
        ),
      ),
      dropped > 0 &&
        h("li", { class: "tag-dropped" }, `${dropped} more left out: a post has at most ${MAX_TAGS} tags, its community included.`),
    ];
    chips.replaceChildren(...items.filter(Boolean));
  };
  tags.addEventListener("input", showChips);
  community.addEventListener("input", showChips);

  // Images stay out until the person asks: then the app fetches them (allowed hosts only, size
  // capped) and hands them over as data, so the page never loads remote content.
  let showImages = false;
  const render = async () => {
    // Sanitised by the app (ammonia): no scripts, handlers or styles survive.
    preview.innerHTML = await invoke(showImages ? "preview_images" : "preview_markdown", { body: body.value });
  };
  let rendering = null;
  body.addEventListener("input", () => {
    clearTimeout(rendering);
    rendering = setTimeout(() => render().catch(() => {}), PREVIEW_DELAY_MS);
  });
  preview.addEventListener("click", (event) => {
    if (!event.target.closest("[data-show-images]")) return;
    showImages = true;
    render().catch(() => {});
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
    const chosenCommunity = normaliseTag(community.value);
    const sentTags = tagsOf(chosenCommunity, tags.value).tags.filter((tag) => tag !== chosenCommunity);
    const request = {
      accountId: Number(account.value),
      replyTo: reply ? replyTo.value : null,
      title: reply ? "" : title.value,
      body: body.value,
      tags: reply ? [] : sentTags,
      community: reply || chosenCommunity === "" ? null : chosenCommunity,
      // Replies take beneficiaries and payout options too (comment_options on the reply).
      beneficiaries: [...beneficiaries.querySelectorAll(".beneficiary")].map((row) => ({
        account: row.querySelector(".beneficiary-account").value,
        weight: Math.round(Number(row.querySelector(".beneficiary-share").value) * 100),
      })),
      maxAcceptedPayout: payout.value,
      percentHbd: Number(split.value),
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
    showImages = false;
    chips.replaceChildren();
    replyTarget.textContent = "";
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

  // The account select holds a page of options at most (with a filter past that), filled when
  // the view is shown; a list that comes while it is hidden waits for then.
  const accountChoice = accountSelect(account);
  let listed = [];
  const view = whenShown(root, () =>
    accountChoice.setOptions(listed.map((a) => ({ value: a.id, label: `@${a.username} (@${a.appClientId})` }))),
  );
  const setAccounts = (accounts) => {
    listed = accounts.filter((a) => a.broadcasts !== false); // OAuth 2.0 and token-site accounts cannot vote or post
    view.stale();
  };
  return { setAccounts };
}
