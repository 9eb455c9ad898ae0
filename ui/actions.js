// The Actions view: every other posting operation, each through the same review as a vote.
// Follow, unfollow or mute one account from several; reblog a post from several; delete one's
// own post or comment (the app asks the chain whether it still can); claim pending rewards,
// per account or all at once (the app reads what is pending from the chain). Only accounts
// that can broadcast (Hivesigner and SteemLogin kinds) are offered.
import { invoke, messageOf } from "./tauri.js";
import { clearFieldErrors, h, showFieldErrors } from "./dom.js";
import { reviewAndSend } from "./review.js";

const LINK_CHECK_DELAY_MS = 250;

/** The words of a follow form's choice, for the review's title. */
const FOLLOW_VERBS = { blog: "Follow", none: "Unfollow", ignore: "Mute" };

/** "1 account" or "3 accounts". */
function accountsWord(count) {
  return `${count} account${count === 1 ? "" : "s"}`;
}

/** Whether an amount the chain reports (`"1.234 HBD"`, or a number) is more than nothing. */
function isSomething(amount) {
  const value = Number.parseFloat(String(amount ?? "0"));
  return Number.isFinite(value) && value > 0;
}

/** Whether a row of `pending_rewards` has anything to claim. */
function hasRewards(row) {
  if (!row) return false;
  if (typeof row.hasRewards === "boolean") return row.hasRewards;
  return [row.rewardHbd, row.rewardHive, row.rewardVests].some(isSomething);
}

/** The account ids ticked in `choices`. */
function ticked(choices) {
  return [...choices.querySelectorAll("input:checked")].map((box) => Number(box.value));
}

/** Ticks for `accounts` in `choices` (keeping what was ticked), labelled "`verb` @name (@app)". */
function renderChoices(choices, accounts, verb) {
  const checked = new Set(ticked(choices).map(String));
  choices.replaceChildren(
    ...accounts.map((account) =>
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          value: account.id,
          checked: checked.has(String(account.id)),
          dataset: { username: account.username },
          "aria-label": `${verb} @${account.username} (@${account.appClientId})`,
        }),
        ` @${account.username} `,
        h("span", { class: "muted" }, `(@${account.appClientId})`),
      ),
    ),
  );
  if (accounts.length === 0) choices.append(h("p", { class: "help" }, "Add an account first."));
}

/** Reads the link in `input` as it is typed and says what it points at in `result`. */
function checkLinkAsTyped(input, result) {
  let checking = null;
  input.addEventListener("input", () => {
    clearTimeout(checking);
    checking = setTimeout(async () => {
      result.classList.remove("field-error");
      if (input.value.trim() === "") {
        result.textContent = "";
        return;
      }
      try {
        result.textContent = (await invoke("parse_post_link", { link: input.value })).description;
      } catch (error) {
        result.textContent = messageOf(error);
        result.classList.add("field-error");
      }
    }, LINK_CHECK_DELAY_MS);
  });
}

/** Wires the Actions view in `root`; returns `{ setAccounts(accounts), refreshRewards() }`. */
export function startActionsView(root) {
  let accounts = [];

  // Follow, unfollow, mute.
  const followForm = root.querySelector("#follow-form");
  const followChoices = root.querySelector("#follow-accounts");
  const followTarget = root.querySelector("#follow-target");
  const followWhat = root.querySelector("#follow-what");
  followForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const accountIds = ticked(followChoices);
    const what = followWhat.value;
    const target = followTarget.value.trim().replace(/^@+/, "");
    reviewAndSend({
      form: followForm,
      results: root.querySelector("#follow-results"),
      title: `${FOLLOW_VERBS[what]} @${target} from ${accountsWord(accountIds.length)}?`,
      prepare: () =>
        invoke("prepare_follow", { request: { accountIds, target: followTarget.value, what } }),
    });
  });

  // Reblog.
  const reblogForm = root.querySelector("#reblog-form");
  const reblogChoices = root.querySelector("#reblog-accounts");
  const reblogLink = root.querySelector("#reblog-link");
  checkLinkAsTyped(reblogLink, root.querySelector("#reblog-link-result"));
  reblogForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const accountIds = ticked(reblogChoices);
    reviewAndSend({
      form: reblogForm,
      results: root.querySelector("#reblog-results"),
      title: `Reblog from ${accountsWord(accountIds.length)}?`,
      prepare: () => invoke("prepare_reblog", { request: { accountIds, link: reblogLink.value } }),
    });
  });

  // Delete: the app asks the chain first, so the review may take a moment.
  const deleteForm = root.querySelector("#delete-form");
  const deleteAccount = root.querySelector("#delete-account");
  const deleteLink = root.querySelector("#delete-link");
  const deleteButton = deleteForm.querySelector("[type=submit]");
  deleteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = { accountId: Number(deleteAccount.value), link: deleteLink.value };
    deleteButton.disabled = true;
    try {
      const sent = await reviewAndSend({
        form: deleteForm,
        results: root.querySelector("#delete-results"),
        title: "Delete this for good?",
        prepare: () => invoke("prepare_delete", { request }),
      });
      if (sent?.results.some((result) => ["sent", "onChain"].includes(result.entry?.outcome.status))) {
        deleteLink.value = "";
      }
    } finally {
      deleteButton.disabled = false;
    }
  });

  // Claim: what each account has pending, claimed per account or all at once.
  const claimForm = root.querySelector("#claim-form");
  const claimList = root.querySelector("#claim-list");
  const claimResults = root.querySelector("#claim-results");
  let pending = new Map(); // account id -> the row of `pending_rewards`
  let reading = 0;

  const amountsText = (row) => {
    const parts = [row.rewardHbd, row.rewardHive, row.rewardVests].filter(isSomething);
    return parts.length > 0 ? parts.join(", ") : "nothing pending";
  };

  const renderClaims = (note) => {
    claimList.replaceChildren(
      ...accounts.map((account) => {
        const row = pending.get(account.id);
        const something = hasRewards(row);
        const claim = h(
          "button",
          {
            type: "button",
            class: "claim-one",
            "aria-label": `Claim the rewards of @${account.username} (@${account.appClientId})`,
          },
          "Claim",
        );
        claim.addEventListener("click", () => sendClaim([account.id], `Claim the rewards of @${account.username}?`));
        return h(
          "li",
          {
            class: something ? "claim-row claim-pending" : "claim-row",
            dataset: { accountId: String(account.id), username: account.username },
          },
          h("strong", { class: "claim-name" }, `@${account.username} `),
          h("span", { class: "muted" }, `(@${account.appClientId}) `),
          h("span", { class: "claim-amounts" }, row ? amountsText(row) : note ?? "…"),
          " ",
          claim,
        );
      }),
    );
    if (accounts.length === 0) claimList.append(h("li", { class: "help" }, "Add an account first."));
  };

  const refreshRewards = async () => {
    const turn = ++reading;
    clearFieldErrors(claimForm);
    if (accounts.length === 0) {
      pending = new Map();
      renderClaims();
      return;
    }
    renderClaims("reading the chain…");
    try {
      const rows = await invoke("pending_rewards", { accountIds: accounts.map((account) => account.id) });
      if (turn !== reading) return;
      pending = new Map(rows.map((row) => [row.accountId, row]));
      renderClaims("not on the chain");
    } catch (error) {
      if (turn !== reading) return;
      pending = new Map();
      renderClaims("unknown");
      showFieldErrors(claimForm, [{ field: null, message: `Pending rewards could not be read: ${messageOf(error)}` }]);
    }
  };

  const sendClaim = async (accountIds, title) => {
    const sent = await reviewAndSend({
      form: claimForm,
      results: claimResults,
      title,
      prepare: () => invoke("prepare_claim", { request: { accountIds } }),
    });
    if (sent) refreshRewards();
  };

  claimForm.addEventListener("submit", (event) => {
    event.preventDefault();
    // Every account with something pending; when none has (or nothing could be read), all of
    // them, and the app says why each cannot claim.
    const withRewards = accounts
      .filter((account) => hasRewards(pending.get(account.id)))
      .map((account) => account.id);
    const accountIds = withRewards.length > 0 ? withRewards : accounts.map((account) => account.id);
    sendClaim(accountIds, `Claim the pending rewards of ${accountsWord(accountIds.length)}?`);
  });
  root.querySelector("#claim-refresh").addEventListener("click", refreshRewards);
  // Opening the view reads the rewards again: they change with every payout.
  document.querySelector("button[data-view=actions]")?.addEventListener("click", refreshRewards);

  const setAccounts = (all) => {
    accounts = all.filter((account) => account.broadcasts !== false); // OAuth 2.0 and token-site accounts sign nothing
    renderChoices(followChoices, accounts, "From");
    renderChoices(reblogChoices, accounts, "Reblog as");
    const chosen = deleteAccount.value;
    deleteAccount.replaceChildren(
      ...accounts.map((account) => h("option", { value: account.id }, `@${account.username} (@${account.appClientId})`)),
    );
    if (accounts.length === 0) deleteAccount.append(h("option", { value: "", disabled: true }, "Add an account first"));
    if (chosen && accounts.some((account) => String(account.id) === chosen)) deleteAccount.value = chosen;
    if (!root.hidden) refreshRewards();
    else renderClaims();
  };
  return { setAccounts, refreshRewards };
}
