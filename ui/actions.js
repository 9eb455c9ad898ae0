// The Actions view: every other posting operation, each through the same review as a vote.
// Follow, unfollow or mute one account from several; reblog a post from several; delete one's
// own post or comment (the app asks the chain whether it still can); claim pending rewards,
// per account or all at once (the app reads what is pending from the chain). Only accounts
// that can broadcast (Hivesigner and SteemLogin kinds) are offered. The per-account controls
// (ticks, the author select, the claim rows) are built when the view is first shown, a page at
// a time (pickers.js); the ticks are kept in data.
import { invoke, messageOf } from "./tauri.js";
import { clearFieldErrors, h, showFieldErrors } from "./dom.js";
import { reviewAndSend } from "./review.js";
import { accountPicker, accountSelect, whenShown, windowedList } from "./pickers.js";

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
  const followPicker = accountPicker({ holder: followChoices, chosen: new Set(), label: "accounts to follow from", verb: "From" });
  followForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const accountIds = followPicker.selected();
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
  const reblogPicker = accountPicker({ holder: reblogChoices, chosen: new Set(), label: "accounts to reblog as", verb: "Reblog as" });
  reblogForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const accountIds = reblogPicker.selected();
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
  const deleteSelect = accountSelect(deleteAccount, { label: "Find the author" });
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

  /** What a row without a reading says: "…", "reading the chain…", "not on the chain", "unknown". */
  let claimNote = "…";

  const claimRow = (account) =>
    h(
      "li",
      { class: "claim-row", dataset: { accountId: String(account.id), username: account.username } },
      h("strong", { class: "claim-name" }, `@${account.username} `),
      h("span", { class: "muted" }, `(@${account.appClientId}) `),
      h("span", { class: "claim-amounts" }),
      " ",
      h(
        "button",
        {
          type: "button",
          class: "claim-one",
          "aria-label": `Claim the rewards of @${account.username} (@${account.appClientId})`,
        },
        "Claim",
      ),
    );
  const updateClaimRow = (row, account) => {
    const reading = pending.get(account.id);
    row.classList.toggle("claim-pending", hasRewards(reading));
    const text = reading ? amountsText(reading) : claimNote;
    const amounts = row.querySelector(".claim-amounts");
    if (amounts.textContent !== text) amounts.textContent = text;
  };
  const claimRows = windowedList({
    holder: claimList,
    label: "accounts",
    renderRow: claimRow,
    updateRow: updateClaimRow,
    emptyRow: (text) => h("li", { class: "help" }, text),
  });
  // One listener for every row's Claim button.
  claimList.addEventListener("click", (event) => {
    const row = event.target.closest("button.claim-one")?.closest("li[data-account-id]");
    if (!row) return;
    sendClaim([Number(row.dataset.accountId)], `Claim the rewards of @${row.dataset.username}?`);
  });
  const renderClaims = (note) => {
    if (note !== undefined) claimNote = note;
    claimRows.refresh();
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

  // Built when the view is shown; while it is hidden, a new list only marks it out of date.
  // Rows are built anew only for another list of accounts (not for a refreshed token).
  let builtKey = null;
  const view = whenShown(root, () => {
    const key = JSON.stringify(accounts.map((account) => [account.id, account.username, account.appClientId]));
    if (key !== builtKey) {
      builtKey = key;
      followPicker.setAccounts(accounts);
      reblogPicker.setAccounts(accounts);
      claimRows.setItems(accounts);
    } else {
      followPicker.update(accounts);
      reblogPicker.update(accounts);
      claimRows.replace(accounts);
    }
    deleteSelect.setOptions(accounts.map((account) => ({ value: account.id, label: `@${account.username} (@${account.appClientId})` })));
  });
  const setAccounts = (all) => {
    accounts = all.filter((account) => account.broadcasts !== false); // OAuth 2.0 and token-site accounts sign nothing
    view.stale();
    if (!root.hidden) refreshRewards();
  };
  return { setAccounts, refreshRewards };
}
