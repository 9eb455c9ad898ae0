// The vote form: several accounts, a post link checked as you type, a weight from -100 % to
// 100 % in 0.01 % steps, then the confirm step and per-account results.
import { invoke, messageOf } from "./tauri.js";
import { h } from "./dom.js";
import { reviewAndSend } from "./review.js";

const LINK_CHECK_DELAY_MS = 250;

/** Wires the vote form in `root`; returns `{ setAccounts(accounts) }`. */
export function startVoteView(root) {
  const form = root.querySelector("#vote-form");
  const choices = root.querySelector("#vote-accounts");
  const link = root.querySelector("#vote-link");
  const linkResult = root.querySelector("#vote-link-result");
  const slider = root.querySelector("#vote-weight-slider");
  const weight = root.querySelector("#vote-weight");
  const results = root.querySelector("#vote-results");

  let checking = null;
  link.addEventListener("input", () => {
    clearTimeout(checking);
    checking = setTimeout(async () => {
      if (link.value.trim() === "") {
        linkResult.textContent = "";
        return;
      }
      try {
        const post = await invoke("parse_post_link", { link: link.value });
        linkResult.textContent = post.description;
        linkResult.classList.remove("field-error");
      } catch (error) {
        linkResult.textContent = messageOf(error);
        linkResult.classList.add("field-error");
      }
    }, LINK_CHECK_DELAY_MS);
  });
  slider.addEventListener("input", () => (weight.value = slider.value));
  weight.addEventListener("input", () => (slider.value = weight.value));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const accountIds = [...choices.querySelectorAll("input:checked")].map((box) => Number(box.value));
    const basisPoints = Math.round(Number(weight.value) * 100);
    reviewAndSend({
      form,
      results,
      title: `${Number(weight.value) < 0 ? "Downvote" : "Vote"} ${Math.abs(Number(weight.value))} % from ${accountIds.length} account${accountIds.length === 1 ? "" : "s"}?`,
      prepare: () =>
        invoke("prepare_vote", { request: { accountIds, link: link.value, weight: basisPoints } }),
    });
  });

  const setAccounts = (accounts) => {
    accounts = accounts.filter((a) => a.broadcasts !== false); // OAuth 2.0 and token-site accounts cannot vote or post
    const checked = new Set([...choices.querySelectorAll("input:checked")].map((box) => box.value));
    choices.replaceChildren(
      ...accounts.map((account) =>
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            value: account.id,
            checked: checked.has(String(account.id)),
            "aria-label": `Vote with @${account.username} (@${account.appClientId})`,
          }),
          ` @${account.username} `,
          h("span", { class: "muted" }, `(@${account.appClientId})`),
        ),
      ),
    );
    if (accounts.length === 0) choices.append(h("p", { class: "help" }, "Add an account first."));
  };
  return { setAccounts };
}
