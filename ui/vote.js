// The vote form as a curator's desk: a post link checked as you type and shown as a compact
// card (who wrote it, where, how old, its pending payout, whether it can still be voted on, and
// which chosen accounts voted on it already), the accounts with their health, voting mana and
// the estimated value of this vote, a weight from -100 % to 100 % (slider in 1 % steps centred
// on 0, presets, a number field keeping 0.01 %), then the review and the results at the top,
// with the transaction ids linking to a block explorer and the failed ones sent again through
// the same review.
import { invoke, messageOf } from "./tauri.js";
import { h } from "./dom.js";
import { dateTime, span } from "./format.js";
import { reviewAndSend } from "./review.js";
import { accountPicker, whenShown } from "./pickers.js";

const LINK_CHECK_DELAY_MS = 250;

/** Where the ticked accounts are remembered between starts: their ids, nothing else. */
const CHOSEN_KEY = "authdeck.vote.accounts";

/** The weight presets, in percent. */
const PRESETS = [100, 75, 50, 25, 10, -100];

/** The block explorers offered for transaction links, by chain; `{id}` is the transaction id. */
export const EXPLORERS = {
  hive: {
    label: "Hive",
    storageKey: "authdeck.explorer.hive",
    options: [
      ["HiveHub", "https://hivehub.dev/tx/{id}"],
      ["Hiveblocks", "https://hiveblocks.com/tx/{id}"],
      ["PeakD", "https://peakd.com/tx/{id}"],
      ["Ecency", "https://ecency.com/tx/{id}"],
    ],
  },
  steem: {
    label: "Steem",
    storageKey: "authdeck.explorer.steem",
    options: [["SteemDB", "https://steemdb.io/tx/{id}"]],
  },
};

/** The value of the custom choice in an explorer select. */
const CUSTOM = "custom";

/** Health values that keep an account from being ticked, in words. */
const BLOCKING_HEALTH = {
  needs_sign_in: "Needs sign-in",
  provider_unreachable: "Provider unreachable",
};

/** How a non-fresh health reads as a badge. */
const HEALTH_BADGES = {
  needs_sign_in: ["needs-sign-in", "Needs sign-in"],
  provider_unreachable: ["unreachable", "Provider unreachable"],
  provider_error: ["provider-error", "Provider error"],
  refreshing: ["refreshing", "Refreshing…"],
};

/** `localStorage`, or `null` when the page has none (nothing is remembered then). */
function storage() {
  try {
    return window.localStorage ?? null;
  } catch {
    return null;
  }
}

function readStored(key) {
  try {
    return storage()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function writeStored(key, value) {
  try {
    storage()?.setItem(key, value);
  } catch {
    // Full or refused: the choice just is not remembered.
  }
}

/** The remembered ticks, as a set of account ids (numbers). */
function rememberedChoice() {
  try {
    const ids = JSON.parse(readStored(CHOSEN_KEY) ?? "[]");
    return new Set(Array.isArray(ids) ? ids.filter(Number.isInteger) : []);
  } catch {
    return new Set();
  }
}

/** `percent` in words: `50 %`, `-12.5 %`, `0.01 %` (at most two decimals, none trailing). */
export function percentText(percent) {
  const rounded = Math.round(percent * 100) / 100;
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(2).replace(/0$/, "")} %`;
}

/**
 * The weight typed in `input` (a number input): `{ percent }` when it can be sent, or
 * `{ error, live }`, `live` when the error is worth showing while typing (not for an empty
 * field or a zero on the way to another number).
 */
export function readWeight(input) {
  const text = input.value.trim();
  if (input.validity?.badInput) {
    // Also what a lone "-" is on the way to "-50": said on Review, not while typing.
    return { error: "The weight is a number from -100 % to 100 %, such as 50 or -12.5.", live: false };
  }
  if (text === "") return { error: "Choose a weight from -100 % to 100 %.", live: false };
  const percent = Number(text);
  if (!Number.isFinite(percent)) {
    return { error: "The weight is a number from -100 % to 100 %, such as 50 or -12.5.", live: true };
  }
  if (percent < -100 || percent > 100) {
    return { error: `The weight is -100 % to 100 %: ${text} % is out of range.`, live: true };
  }
  if (Math.abs(percent * 100 - Math.round(percent * 100)) > 1e-6) {
    return { error: `The weight goes in steps of 0.01 %: ${text} % has more decimals.`, live: true };
  }
  if (Math.round(percent * 100) === 0) {
    return {
      error: "A weight of 0 % would remove the vote: choose 0.01 % to 100 % (or a negative weight to downvote).",
      live: false,
    };
  }
  return { percent: Math.round(percent * 100) / 100 };
}

/** The chain an account votes on, from its provider kind. */
function chainOf(account) {
  return account?.providerKind === "steemconnect" ? "steem" : "hive";
}

/** The chain's dollar token, the unit of a vote's value. */
function dollarOf(chain) {
  return chain === "steem" ? "SBD" : "HBD";
}

/** `{ amount, unit }` of a value the app gave as a number or as `"1.234 HBD"`, or `null`. */
function amountOf(value, unit) {
  if (typeof value === "number" && Number.isFinite(value)) return { amount: value, unit };
  if (typeof value === "string") {
    const match = value.trim().match(/^(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)$/);
    if (match) return { amount: Number(match[1]), unit: match[2] || unit };
  }
  return null;
}

/** A number of the chain's tokens with three decimals: `0.123 HBD`. */
function amountText({ amount, unit }) {
  return `${amount.toFixed(3)} ${unit}`;
}

/**
 * The weight in percent of an earlier vote (`alreadyVoted.percent` is in basis points, as the
 * chain keeps it: 5000 is 50 %), or `null` when there is none.
 */
function votedPercent(alreadyVoted) {
  if (alreadyVoted === null || alreadyVoted === undefined) return null;
  const basisPoints = Number(alreadyVoted.percent);
  return Number.isFinite(basisPoints) && basisPoints !== 0 ? basisPoints / 100 : null;
}

/** Whether two weights in percent are the same vote for the chain (equal basis points). */
function sameWeight(a, b) {
  return Math.round(a * 100) === Math.round(b * 100);
}

/** `@author/permlink` of what a comment replies to, or null when the app did not say. */
function parentOf(post) {
  const parent = post.parent;
  return parent?.author && parent?.permlink ? `@${parent.author}/${parent.permlink}` : null;
}

/** Wires the vote form in `root`; returns `{ setAccounts(accounts) }`. */
export function startVoteView(root) {
  const form = root.querySelector("#vote-form");
  const choices = root.querySelector("#vote-accounts");
  const chosenCount = root.querySelector("#vote-chosen-count");
  const link = root.querySelector("#vote-link");
  const linkResult = root.querySelector("#vote-link-result");
  const card = root.querySelector("#vote-post-card");
  const slider = root.querySelector("#vote-weight-slider");
  const weight = root.querySelector("#vote-weight");
  const weightField = weight.closest("[data-field]");
  const presets = root.querySelector("#vote-weight-presets");
  const results = root.querySelector("#vote-results");

  /** The accounts listed (those that broadcast), in order. */
  let accounts = [];
  /** Account id → what `account_standing` said about it (without a post). */
  const standing = new Map();
  /** Ticked account ids, remembered between starts (a disabled account keeps its tick for later). */
  const chosen = rememberedChoice();
  /** The post card's reply for the current link (its `accounts` are the chosen ones), `{ error }`, or null. */
  let cardReply = null;
  let cardRequest = 0;
  let cardLoads = 0;
  let standingRequest = 0;

  const remember = () => writeStored(CHOSEN_KEY, JSON.stringify([...chosen]));
  const accountById = (id) => accounts.find((account) => account.id === id);

  // ---------------------------------------------------------------------------------------
  // Weight

  const currentPercent = () => {
    const read = readWeight(weight);
    return read.percent ?? null;
  };

  /** The slider's fill from the centre (0) to its value, and its spoken value. */
  const drawSlider = () => {
    const value = Number(slider.value);
    const at = (value + 100) / 2;
    slider.style.setProperty("--fill-from", `${Math.min(50, at)}%`);
    slider.style.setProperty("--fill-to", `${Math.max(50, at)}%`);
    slider.classList.toggle("downvote", value < 0);
    const precise = currentPercent() ?? value;
    slider.setAttribute(
      "aria-valuetext",
      precise < 0 ? `downvote ${percentText(-precise)}` : percentText(precise),
    );
    for (const button of presets.querySelectorAll("button[data-weight]")) {
      const pressed = currentPercent() !== null && sameWeight(Number(button.dataset.weight), currentPercent());
      button.setAttribute("aria-pressed", String(pressed));
    }
  };

  /** Removes the weight's error (ours or the review's) and its marks. */
  const clearWeightError = () => {
    const notes = [...weightField.querySelectorAll("[data-field-error]")];
    const ids = new Set(notes.map((note) => note.id).filter(Boolean));
    for (const note of notes) note.remove();
    for (const control of [slider, weight]) {
      if (!control.hasAttribute("aria-invalid")) continue;
      control.removeAttribute("aria-invalid");
      const described = (control.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id && !ids.has(id));
      if (described.length > 0) control.setAttribute("aria-describedby", described.join(" "));
      else control.removeAttribute("aria-describedby");
    }
  };

  /** Shows `message` at the weight field (as every form shows a field's error). */
  const showWeightError = (message) => {
    clearWeightError();
    const note = h(
      "p",
      { id: "vote-weight-error", class: "field-error", role: "alert", "data-field-error": true },
      message,
    );
    weightField.append(note);
    weight.setAttribute("aria-invalid", "true");
    const described = (weight.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
    weight.setAttribute("aria-describedby", [...described, note.id].join(" "));
  };

  /** Sets the weight to `percent` (from a preset, the slider or its keys): field, slider, values. */
  const setWeight = (percent) => {
    const clamped = Math.max(-100, Math.min(100, Math.round(percent * 100) / 100));
    weight.value = clamped.toFixed(2);
    slider.value = String(Math.round(clamped));
    clearWeightError();
    weightChanged();
  };

  const weightChanged = () => {
    drawSlider();
    renderChoices();
    renderCard();
  };

  slider.addEventListener("input", () => setWeight(Number(slider.value)));
  slider.addEventListener("keydown", (event) => {
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
    let next = null;
    const from = currentPercent() ?? Number(slider.value);
    if (event.key in steps) next = from + steps[event.key];
    else if (event.key === "Home") next = -100;
    else if (event.key === "End") next = 100;
    if (next === null) return;
    event.preventDefault();
    setWeight(next);
  });
  weight.addEventListener("input", () => {
    const read = readWeight(weight);
    if (read.percent !== undefined) {
      slider.value = String(Math.round(read.percent));
      clearWeightError();
    } else if (read.live) {
      showWeightError(read.error);
    } else {
      clearWeightError();
    }
    weightChanged();
  });
  weight.addEventListener("change", () => {
    const read = readWeight(weight);
    if (read.percent !== undefined) weight.value = read.percent.toFixed(2);
  });
  presets.replaceChildren(
    ...PRESETS.map((percent) =>
      h(
        "button",
        {
          type: "button",
          dataset: { weight: String(percent) },
          "aria-pressed": "false",
          "aria-label": percent < 0 ? `Downvote ${percentText(-percent)}` : `Weight ${percentText(percent)}`,
          onclick: () => setWeight(percent),
        },
        percentText(percent),
      ),
    ),
  );

  // ---------------------------------------------------------------------------------------
  // Accounts

  /** What the app knows of `account` now: its standing on the card's post, else without a post. */
  const knownOf = (account) =>
    cardReply?.accounts?.find((known) => known.accountId === account.id) ?? standing.get(account.id);

  /**
   * Whether `account` can be ticked (not when it needs sign-in or its provider does not
   * answer: `reason` says so), and what else keeps its vote from counting (`warning`: another
   * chain's account, no such account on chain, a post past its payout).
   */
  const availability = (account) => {
    const known = knownOf(account);
    const health = known?.health ?? account.health;
    if (health in BLOCKING_HEALTH) {
      const fallback =
        health === "needs_sign_in"
          ? "Sign in again (Accounts) to vote with it."
          : "Its provider does not answer; Authdeck keeps checking.";
      return { tickable: false, reason: known?.reason || account.healthDetail || fallback, warning: null };
    }
    return { tickable: true, reason: null, warning: known?.canVote === false ? known.reason || null : null };
  };

  /** The estimated value line of `account` at the current weight, or null when unknown. */
  const valueLine = (account) => {
    const known = knownOf(account);
    const full = amountOf(known?.fullVoteValue, dollarOf(chainOf(account)));
    const percent = currentPercent();
    if (!full || percent === null) return null;
    const part = { amount: (full.amount * Math.abs(percent)) / 100, unit: full.unit };
    return h(
      "span",
      {
        class: `choice-value${percent < 0 ? " choice-value-down" : ""}`,
        title: "An estimate from the account's voting mana and the reward pool now; the payout can differ.",
      },
      percent < 0 ? `removes ≈ ${amountText(part)}` : `≈ ${amountText(part)}`,
      h("span", { class: "muted" }, " (estimate)"),
    );
  };

  /** One account's row: its tick and names; [`updateChoice`] fills in the rest. */
  const renderChoice = (account) => {
    const detailsId = `vote-choice-${account.id}-details`;
    const box = h("input", {
      type: "checkbox",
      value: account.id,
      "aria-label": `Vote with @${account.username} (@${account.appClientId})`,
      "aria-describedby": detailsId,
    });
    const row = h(
      "div",
      { class: "account-choice", dataset: { accountId: String(account.id), username: account.username } },
      h(
        "label",
        { class: "choice-name" },
        box,
        ` @${account.username} `,
        h("span", { class: "muted" }, `(@${account.appClientId}${account.sandbox ? ", sandbox" : ""})`),
      ),
      h("span", { class: "choice-details", id: detailsId }),
    );
    return row;
  };

  /** Brings `row` up to date: whether it can be ticked, health, mana, value, earlier vote. */
  const updateChoice = (row, account) => {
    const { tickable, reason, warning } = availability(account);
    const known = knownOf(account);
    const health = known?.health ?? account.health;
    const box = row.querySelector("input[type=checkbox]");
    box.disabled = !tickable;
    box.checked = tickable && chosen.has(account.id);
    row.classList.toggle("account-choice-blocked", !tickable);
    const badge = HEALTH_BADGES[health];
    const mana = known?.manaPercent === null || known?.manaPercent === undefined ? NaN : Number(known.manaPercent);
    const voted = votedPercent(known?.alreadyVoted);
    const percent = currentPercent();
    row.querySelector(".choice-details").replaceChildren(
      ...[
        badge && h("span", { class: `badge badge-${badge[0]}` }, badge[1]),
        Number.isFinite(mana) && h("span", { class: "choice-mana", title: "Voting mana now" }, `mana ${Math.round(mana * 10) / 10} %`),
        tickable && valueLine(account),
        voted !== null &&
          h(
            "span",
            { class: `choice-voted${percent !== null && sameWeight(voted, percent) ? " choice-voted-same" : ""}` },
            `voted ${percentText(voted)}`,
          ),
        reason && h("span", { class: "choice-reason" }, reason),
        warning && h("span", { class: "choice-warning" }, warning),
      ].filter(Boolean),
    );
  };

  // The rows: a page of them at a time (with a filter past a page), built when the view is
  // first shown; the ticks live in `chosen`, so a rebuild keeps them.
  const picker = accountPicker({
    holder: choices,
    tools: root.querySelector("#vote-accounts-field .choice-tools"),
    chosen,
    label: "accounts to vote with",
    tickable: (account) => availability(account).tickable,
    renderRow: renderChoice,
    updateRow: updateChoice,
    onChange: () => {
      remember();
      selectionChanged();
    },
    selectAll: root.querySelector("#vote-select-all"),
    selectNone: root.querySelector("#vote-select-none"),
    status: chosenCount,
  });

  /** The ticked accounts that can be ticked, in the listed order. */
  const votingIds = () => picker.selected();

  const renderChoices = () => picker.refresh();

  let cardReload = null;
  const selectionChanged = () => {
    renderCard();
    // The card's standing is for the chosen accounts: asked again for the new choice.
    if (cardReply && !cardReply.error) {
      clearTimeout(cardReload);
      cardReload = setTimeout(loadCard, LINK_CHECK_DELAY_MS);
    }
  };

  /**
   * Asks for every listed account's standing (health, mana, full vote value), one call per
   * chain, so that one chain's nodes not answering leaves the other's accounts their numbers.
   */
  const loadStanding = async () => {
    const request = ++standingRequest;
    const byChain = new Map();
    for (const account of accounts) {
      const chain = chainOf(account);
      byChain.set(chain, [...(byChain.get(chain) ?? []), account.id]);
    }
    await Promise.all(
      [...byChain.values()].map(async (accountIds) => {
        try {
          const reply = await invoke("account_standing", { accountIds });
          if (request !== standingRequest) return;
          for (const known of reply) standing.set(known.accountId, known);
          renderChoices();
        } catch {
          // No standing (the chain's nodes do not answer): the rows keep what list_accounts said.
        }
      }),
    );
  };

  // ---------------------------------------------------------------------------------------
  // The post card

  const openOutside = (url) =>
    invoke("open_external_link", { url }).catch((error) => {
      card.append(h("p", { class: "field-error" }, messageOf(error)));
    });

  const renderCard = () => {
    if (!cardReply) {
      card.replaceChildren();
      card.hidden = true;
      return;
    }
    card.hidden = false;
    if (cardReply.error) {
      card.replaceChildren(h("p", { class: "post-card-error" }, `The post could not be read: ${cardReply.error}`));
      return;
    }
    const { post } = cardReply;
    const parent = post.isComment ? parentOf(post) : null;
    const heading = post.isComment
      ? h("p", { class: "post-card-title" }, `Comment by @${post.author}`, parent ? ` on ${parent}` : "")
      : h("p", { class: "post-card-title" }, post.title || `@${post.author}/${post.permlink}`);
    const meta = [
      !post.isComment && `@${post.author}`,
      post.community && `in ${post.community}`,
      Number.isFinite(Number(post.ageSeconds)) && post.ageSeconds !== null && `${span(Number(post.ageSeconds))} old`,
      post.pendingPayout !== null && post.pendingPayout !== undefined && `pending payout ${
        amountOf(post.pendingPayout, "") ? amountText(amountOf(post.pendingPayout, "")).trim() : post.pendingPayout
      }`,
    ].filter(Boolean);
    const createdTitle = typeof post.created === "number" ? dateTime(post.created) : post.created ? String(post.created) : null;
    const percent = currentPercent();
    const voted = (cardReply.accounts ?? [])
      .filter((known) => chosen.has(known.accountId) && votedPercent(known.alreadyVoted) !== null)
      .map((known) => {
        const at = votedPercent(known.alreadyVoted);
        const username = known.username ?? accountById(known.accountId)?.username ?? `account ${known.accountId}`;
        const same = percent !== null && sameWeight(at, percent);
        return h(
          "li",
          { class: same ? "already-voted-same" : null, dataset: { username } },
          `Already voted by @${username} at ${percentText(at)}`,
          same ? ": the chain refuses the same weight again; choose another weight or untick it." : "",
        );
      });
    const absolute = typeof post.url === "string" && /^https?:\/\//i.test(post.url);
    const parts = [
      heading,
      post.isComment && post.title && h("p", { class: "post-card-subtitle muted" }, post.title),
      h("p", { class: "post-card-meta", title: createdTitle }, meta.join(" · ")),
      h(
        "p",
        { class: `post-card-votable ${post.votable ? "votable" : "not-votable"}` },
        post.votable ? "Open for votes" : `Cannot be voted on: ${post.notVotableReason || "its payout window is over"}`,
      ),
      voted.length > 0 && h("ul", { id: "vote-already-voted", class: "already-voted" }, voted),
      absolute &&
        h("p", { class: "post-card-actions" }, h("button", { type: "button", onclick: () => openOutside(post.url) }, "Open the post in the browser")),
    ];
    card.replaceChildren(...parts.filter(Boolean));
  };

  /** Reads the link: its description under the field, then the post card for every account. */
  const checkLink = async () => {
    const request = ++cardRequest;
    const text = link.value.trim();
    if (text === "") {
      linkResult.textContent = "";
      linkResult.classList.remove("field-error");
      cardReply = null;
      renderCard();
      renderChoices();
      return;
    }
    // Another link: the card of the one before goes at once.
    cardReply = null;
    renderCard();
    renderChoices();
    try {
      const parsed = await invoke("parse_post_link", { link: link.value });
      if (request !== cardRequest) return;
      linkResult.textContent = parsed.description;
      linkResult.classList.remove("field-error");
    } catch (error) {
      if (request !== cardRequest) return;
      linkResult.textContent = messageOf(error);
      linkResult.classList.add("field-error");
      cardReply = null;
      renderCard();
      return;
    }
    await loadCard();
  };

  /** Reads the card of the link in the field now, for the chosen accounts; the last call wins. */
  const loadCard = async () => {
    const request = ++cardLoads;
    const text = link.value.trim();
    if (text === "") return;
    try {
      // The chosen accounts: the post is read on the first one's chain.
      const reply = await invoke("post_card", { link: text, accountIds: votingIds() });
      if (request !== cardLoads || text !== link.value.trim()) return;
      cardReply = reply;
    } catch (error) {
      if (request !== cardLoads || text !== link.value.trim()) return;
      cardReply = { error: messageOf(error) };
    }
    renderCard();
    renderChoices();
  };

  let checking = null;
  link.addEventListener("input", () => {
    clearTimeout(checking);
    checking = setTimeout(checkLink, LINK_CHECK_DELAY_MS);
  });

  // ---------------------------------------------------------------------------------------
  // Block explorer links

  const explorerTemplate = (chain) => {
    const stored = readStored(EXPLORERS[chain].storageKey);
    return stored && validTemplate(stored) ? stored : EXPLORERS[chain].options[0][1];
  };

  const linkFor = (result) => {
    const id = result.entry?.outcome?.transactionId;
    if (!id) return null;
    const chain = chainOf(accountById(result.accountId));
    return explorerTemplate(chain).replaceAll("{id}", encodeURIComponent(id));
  };

  for (const chain of Object.keys(EXPLORERS)) wireExplorerSetting(root, chain);

  // ---------------------------------------------------------------------------------------
  // Sending

  const voteTitle = (percent, count, again) =>
    `${again ? "Send again: " : ""}${percent < 0 ? "Downvote" : "Vote"} ${percentText(Math.abs(percent))} from ${count} account${count === 1 ? "" : "s"}?`;

  /** Reviews and sends `request` (`{ accountIds, link, weight }` in basis points); results at the top. */
  const send = (request, percent, again) =>
    reviewAndSend({
      form,
      results,
      title: voteTitle(percent, request.accountIds.length, again),
      prepare: () => invoke("prepare_vote", { request }),
      linkFor,
      openLink: (url) => invoke("open_external_link", { url }),
      focusResults: true,
      // The failed ones only, with the same post and weight, through the same review.
      retry: (failedIds) => send({ ...request, accountIds: failedIds }, percent, true),
    }).then((sent) => {
      // A vote that went through (or may have) changes the mana and the post's votes: read them again.
      const reached = sent?.results.some((result) => ["sent", "onChain", "unknown"].includes(result.entry?.outcome.status));
      if (reached) {
        loadStanding();
        if (link.value.trim() !== "") loadCard();
      }
      return sent;
    });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const read = readWeight(weight);
    if (read.error) {
      showWeightError(read.error);
      weight.focus();
      return;
    }
    const accountIds = votingIds();
    send({ accountIds, link: link.value, weight: Math.round(read.percent * 100) }, read.percent, false);
  });

  // The accounts list comes again after every refresh and health change: the rows are rebuilt
  // only for other accounts, and the chain is asked again only when an account or its health
  // changed (a refreshed token changes nothing on chain). All of it waits until the view is
  // shown: a hidden view only notes that it is out of date.
  let listedKey = null;
  let healthKey = null;
  let rebuild = true;
  let reread = true;
  const view = whenShown(root, () => {
    if (rebuild) picker.setAccounts(accounts);
    else picker.update(accounts);
    rebuild = false;
    if (!reread) return;
    reread = false;
    loadStanding();
    if (link.value.trim() !== "") loadCard();
  });
  const setAccounts = (list) => {
    accounts = list.filter((a) => a.broadcasts !== false); // OAuth 2.0 and token-site accounts cannot vote or post
    const listedIds = new Set(accounts.map((a) => a.id));
    for (const id of [...standing.keys()]) if (!listedIds.has(id)) standing.delete(id);
    const listed = JSON.stringify(accounts.map((a) => [a.id, a.username, a.appClientId, a.providerKind]));
    const healths = JSON.stringify(accounts.map((a) => [a.id, a.health, a.healthDetail ?? null]));
    if (listed !== listedKey) rebuild = true;
    if (listed !== listedKey || healths !== healthKey) reread = true;
    listedKey = listed;
    healthKey = healths;
    view.stale();
  };

  setWeight(Number(weight.value) || 100);
  return { setAccounts };
}

/** Whether `template` is an http(s) address with `{id}` in it. */
function validTemplate(template) {
  if (typeof template !== "string" || !template.includes("{id}")) return false;
  try {
    const url = new URL(template.replaceAll("{id}", "0"));
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** Wires the explorer setting of `chain` (a select and a custom address), stored in localStorage. */
function wireExplorerSetting(root, chain) {
  const { storageKey, options } = EXPLORERS[chain];
  const select = root.querySelector(`#vote-explorer-${chain}`);
  const custom = root.querySelector(`#vote-explorer-${chain}-custom`);
  const note = root.querySelector(`#vote-explorer-${chain}-note`);
  if (!select || !custom) return;
  select.replaceChildren(
    ...options.map(([label, template]) => h("option", { value: template }, `${label} (${new URL(template.replace("{id}", "0")).host})`)),
    h("option", { value: CUSTOM }, "Another address…"),
  );
  const stored = readStored(storageKey);
  const known = options.some(([, template]) => template === stored);
  if (stored && validTemplate(stored) && !known) {
    select.value = CUSTOM;
    custom.value = stored;
  } else {
    select.value = known ? stored : options[0][1];
  }
  const sync = () => {
    custom.closest(".explorer-custom").hidden = select.value !== CUSTOM;
  };
  sync();
  select.addEventListener("change", () => {
    sync();
    if (select.value !== CUSTOM) {
      writeStored(storageKey, select.value);
      if (note) note.textContent = "Saved.";
    } else {
      custom.focus();
    }
  });
  custom.addEventListener("input", () => {
    const template = custom.value.trim();
    if (validTemplate(template)) {
      writeStored(storageKey, template);
      custom.removeAttribute("aria-invalid");
      if (note) note.textContent = "Saved.";
    } else {
      custom.setAttribute("aria-invalid", "true");
      if (note) note.textContent = "An https:// address with {id} where the transaction id goes; the last good one is kept.";
    }
  });
}
