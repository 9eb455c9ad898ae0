// The account pickers of the vote, post, actions, activity and requests views, built to stay
// small at any number of accounts: nothing per account is in the DOM until its view is first
// shown (`whenShown`), a list of accounts shows at most a page of rows with a filter and
// "Show more" (`windowedList`), a multi-account picker keeps its ticks in a Set, never in the
// DOM, so a rebuild keeps what the person picked (`accountPicker`), and a single-account
// select holds at most a page of options with a filter beside it (`accountSelect`).
import { h } from "./dom.js";

/** Rows a windowed list shows at first, and how many more each "Show more" adds. */
export const LIST_PAGE = 50;

/** Options a filtered select holds at most (the chosen one is always among them). */
export const SELECT_PAGE = 100;

/** "1,234". */
const count = (n) => n.toLocaleString("en");

/** `text` as a filter: lowercase, without a leading `@`, trimmed. */
function needleOf(text) {
  return String(text ?? "").trim().replace(/^@+/, "").toLowerCase();
}

/** Whether `account` matches the filter `needle`: its name or its app's client id. */
export function accountMatches(account, needle) {
  if (needle === "") return true;
  return (
    String(account.username ?? "").toLowerCase().includes(needle) ||
    String(account.appClientId ?? "").toLowerCase().includes(needle)
  );
}

/**
 * Runs `sync` when `root` (a view) is shown and something changed since it last ran: returns
 * `{ stale() }`, which marks the view out of date and runs `sync` at once if it is visible.
 * The view starts stale, so its first showing builds it.
 */
export function whenShown(root, sync) {
  let stale = true;
  const run = () => {
    if (!stale || root.hidden) return;
    stale = false;
    Promise.resolve()
      .then(sync)
      .catch((error) => console.error("a view could not be built", error));
  };
  new MutationObserver(run).observe(root, { attributes: true, attributeFilter: ["hidden"] });
  return {
    stale() {
      stale = true;
      run();
    },
  };
}

/** A filter field that never submits its form: Enter moves on to `next()` instead. */
function filterField({ label, placeholder, controls, onInput, next }) {
  const input = h("input", {
    type: "search",
    class: "picker-filter",
    spellcheck: "false",
    autocomplete: "off",
    placeholder,
    "aria-label": label,
    "aria-controls": controls,
  });
  input.addEventListener("input", onInput);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    next?.();
  });
  return input;
}

/**
 * A list of `items` (accounts) in `holder` showing at most a page of rows: with more items
 * than a page, a filter (by name or app) goes in `tools` and a "Show more" line after the
 * list. `renderRow(item)` builds a row (kept while it stays shown), `updateRow(row, item)`
 * brings it up to date; `emptyRow(text)` says there is nothing to show. `extra(item)` narrows
 * the items further (as "chosen only" does). Returns `{ setItems(items), refresh(), render(),
 * replace(items), matching(), needle(), built }`.
 */
export function windowedList({ holder, tools, renderRow, updateRow, emptyRow, extra = () => true, label, onRender }) {
  if (!holder.id) holder.id = `list-${Math.random().toString(36).slice(2)}`;
  if (!tools) {
    tools = h("div", { class: "choice-tools" });
    holder.before(tools);
  }
  let items = [];
  let limit = LIST_PAGE;
  let rows = new Map();
  let built = false;
  let matched = [];
  let filter = null;

  const moreLine = h("p", { class: "picker-more help", hidden: true });
  holder.after(moreLine);

  const firstControl = () => holder.querySelector("input:not([disabled]), button");

  const ensureFilter = () => {
    const wanted = items.length > LIST_PAGE;
    if (wanted && !filter) {
      filter = filterField({
        label: `Find ${label} by name or app`,
        placeholder: "Find by name or app…",
        controls: holder.id,
        onInput: () => {
          limit = LIST_PAGE;
          render();
        },
        next: () => firstControl()?.focus(),
      });
      tools.prepend(filter);
    } else if (!wanted && filter) {
      filter.remove();
      filter = null;
    }
  };

  const needle = () => needleOf(filter?.value);

  const render = () => {
    if (!built) return;
    const text = needle();
    matched = items.filter((item) => accountMatches(item, text) && extra(item));
    const shown = matched.slice(0, limit);
    const next = new Map();
    for (const item of shown) next.set(item.id, rows.get(item.id) ?? renderRow(item));
    rows = next;
    if (items.length === 0) holder.replaceChildren(emptyRow("Add an account first."));
    else if (shown.length === 0) holder.replaceChildren(emptyRow(text ? `No account matches “${text}”.` : "No account to show."));
    else holder.replaceChildren(...rows.values());
    for (const item of shown) updateRow(rows.get(item.id), item);
    const hidden = matched.length - shown.length;
    moreLine.hidden = hidden <= 0;
    if (hidden > 0) {
      const more = h("button", { type: "button", class: "picker-show-more" }, `Show ${count(Math.min(hidden, LIST_PAGE))} more`);
      more.addEventListener("click", () => {
        const from = shown.length;
        limit += LIST_PAGE;
        render();
        // The focus goes on to the first row it added, where the person reads on.
        [...rows.values()][from]?.querySelector("input:not([disabled]), button")?.focus();
      });
      moreLine.replaceChildren(`Showing ${count(shown.length)} of ${count(matched.length)}${text ? " matching" : ""}. `, more);
    } else {
      moreLine.replaceChildren();
    }
    onRender?.();
  };

  return {
    /** Takes a new list of items and shows its first page again (the filter stays). */
    setItems(next) {
      items = next;
      rows = new Map();
      built = true;
      ensureFilter();
      render();
    },
    /** Takes the same items anew (their details changed): the rows shown are kept. */
    replace(next) {
      items = next;
      render();
    },
    /** Brings the rows shown up to date, without building any. */
    refresh() {
      if (!built) return;
      for (const item of matched.slice(0, limit)) {
        const row = rows.get(item.id);
        if (row) updateRow(row, item);
      }
      onRender?.();
    },
    render,
    /** The items the filter matches now, in order (shown or not). */
    matching: () => matched,
    needle,
    /** Whether the list was built (its view was shown). */
    get built() {
      return built;
    },
  };
}

/**
 * A multi-account picker in `holder` (ticks for accounts), its ticks kept in `chosen` (a Set
 * of account ids) and shown by a windowed list. With more accounts than a page it adds, in
 * `tools`, a filter and "Chosen only"; "Select all" (of the matching accounts that can be
 * ticked) and "Select none" are `selectAll` / `selectNone` when given, else added to `tools`.
 * `status` says how many are chosen, and how many of them the filter hides. `tickable(account)`
 * says whether an account can be ticked; `renderRow` / `updateRow` may draw rows of their own
 * (with an `input[type=checkbox]` whose value is the account id), `onChange()` hears every
 * change of the ticks. Returns `{ setAccounts(accounts), update(accounts), refresh(), selected(), built }`.
 */
export function accountPicker({
  holder,
  tools,
  chosen,
  label,
  verb,
  tickable = () => true,
  renderRow,
  updateRow,
  onChange = () => {},
  selectAll,
  selectNone,
  status,
}) {
  let accounts = [];
  let chosenOnly = null;
  if (!tools) {
    tools = h("div", { class: "choice-tools" });
    holder.before(tools);
  }

  const defaultRow = (account) =>
    h(
      "label",
      { dataset: { accountId: String(account.id), username: account.username } },
      h("input", {
        type: "checkbox",
        value: account.id,
        dataset: { username: account.username },
        "aria-label": `${verb} @${account.username} (@${account.appClientId})`,
      }),
      ` @${account.username} `,
      h("span", { class: "muted" }, `(@${account.appClientId})`),
    );
  const defaultUpdate = (row, account) => {
    const box = row.matches("input") ? row : row.querySelector("input[type=checkbox]");
    box.checked = chosen.has(account.id);
  };

  /** The ticked accounts that can be ticked, in the listed order. */
  const selected = () => accounts.filter((account) => chosen.has(account.id) && tickable(account)).map((account) => account.id);

  if (!selectAll) {
    selectAll = h("button", { type: "button", class: "picker-select-all" }, "Select all");
    selectNone = h("button", { type: "button", class: "picker-select-none" }, "Select none");
    status = h("span", { class: "help picker-status", "aria-live": "polite" });
    tools.append(selectAll, selectNone, status);
  }

  const showStatus = () => {
    const open = accounts.filter(tickable).length;
    const ids = selected();
    let unseen = 0;
    if (list.needle() !== "") {
      const matching = new Set(list.matching().map((account) => account.id));
      unseen = ids.filter((id) => !matching.has(id)).length;
    }
    const words =
      accounts.length === 0
        ? ""
        : `${count(ids.length)} of ${count(open)} account${open === 1 ? "" : "s"} chosen${unseen > 0 ? ` (${count(unseen)} not matching the filter)` : ""}`;
    if (status.textContent !== words) status.textContent = words;
    const matchingText = list.needle() !== "" ? `Select all ${count(list.matching().filter(tickable).length)} matching` : "Select all";
    if (selectAll.textContent !== matchingText) selectAll.textContent = matchingText;
  };

  const list = windowedList({
    holder,
    tools,
    label,
    renderRow: renderRow ?? defaultRow,
    updateRow: updateRow ?? defaultUpdate,
    emptyRow: (text) => h("p", { class: "help" }, text),
    extra: (account) => !chosenOnly?.checked || chosen.has(account.id),
    onRender: showStatus,
  });

  const changed = () => {
    list.refresh();
    onChange();
  };

  // One listener for every tick, however many rows come and go.
  holder.addEventListener("change", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
    const id = Number(box.value);
    if (box.checked) chosen.add(id);
    else chosen.delete(id);
    changed();
  });
  selectAll.addEventListener("click", () => {
    for (const account of list.built ? list.matching() : accounts) if (tickable(account)) chosen.add(account.id);
    changed();
  });
  selectNone.addEventListener("click", () => {
    chosen.clear();
    if (chosenOnly?.checked) list.render();
    changed();
  });

  return {
    /** Rebuilds the rows for a new list of accounts (the ticks stay in `chosen`). */
    setAccounts(next) {
      accounts = next;
      list.setItems(accounts);
      const many = accounts.length > LIST_PAGE;
      if (many && !chosenOnly) {
        chosenOnly = h("input", { type: "checkbox", class: "picker-chosen-only" });
        chosenOnly.addEventListener("change", () => list.render());
        const box = h("label", { class: "inline-check picker-chosen-only-label" }, chosenOnly, " Chosen only");
        const filter = tools.querySelector(".picker-filter");
        if (filter) filter.after(box);
        else tools.prepend(box);
      } else if (!many && chosenOnly) {
        chosenOnly.closest("label").remove();
        chosenOnly = null;
      }
    },
    /** Takes the same accounts anew (their health changed): the rows shown are kept. */
    update(next) {
      accounts = next;
      if (list.built) list.replace(accounts);
    },
    refresh: () => list.refresh(),
    selected,
    get built() {
      return list.built;
    },
  };
}

/**
 * A select of accounts that holds at most a page of options: with more, a filter goes after
 * it (Enter moves to the select) and the first matching account is chosen as one types; the
 * chosen account is always an option, so what the select shows is what is sent. `all` is the
 * label of a first option with the value "" (as "All"), `emptyText` what an empty list says.
 * Returns `{ setOptions([{ value, label }]), has(value), choose(value) }`; `change` events on
 * the select follow every choice, the filter's included.
 */
export function accountSelect(select, { all = null, emptyText = "Add an account first", label = "Find an account" } = {}) {
  let options = [];
  let chosen = select.value;
  let filter = null;

  const ensureFilter = () => {
    const wanted = options.length > SELECT_PAGE;
    if (wanted && !filter) {
      filter = filterField({
        label,
        placeholder: "Find by name…",
        controls: select.id,
        onInput: () => {
          const text = needleOf(filter.value);
          const first = options.find((option) => option.label.toLowerCase().includes(text));
          const current = options.find((option) => option.value === chosen);
          render();
          if (text && first && !(current && current.label.toLowerCase().includes(text))) {
            choose(first.value);
            select.dispatchEvent(new Event("change"));
          }
        },
        next: () => select.focus(),
      });
      select.after(filter);
    } else if (!wanted && filter) {
      filter.remove();
      filter = null;
    }
  };

  const render = () => {
    const text = needleOf(filter?.value);
    const matching = text ? options.filter((option) => option.label.toLowerCase().includes(text)) : options;
    const shown = matching.slice(0, SELECT_PAGE);
    const current = options.find((option) => option.value === chosen);
    if (current && !shown.includes(current)) shown.unshift(current);
    const elements = shown.map((option) => h("option", { value: option.value }, option.label));
    if (all !== null) elements.unshift(h("option", { value: "" }, all));
    const left = matching.length - shown.filter((option) => matching.includes(option)).length;
    if (left > 0) elements.push(h("option", { value: "", disabled: true }, `${count(left)} more: type in the search field to narrow`));
    if (options.length === 0 && all === null) elements.push(h("option", { value: "", disabled: true, selected: true }, emptyText));
    else if (shown.length === 0 && text) elements.push(h("option", { value: "", disabled: true }, `No account matches “${text}”`));
    select.replaceChildren(...elements);
    if (chosen !== "" || all !== null) select.value = chosen;
  };

  const choose = (value) => {
    chosen = options.some((option) => option.value === String(value)) ? String(value) : all !== null ? "" : (options[0]?.value ?? "");
    render();
  };

  select.addEventListener("change", () => {
    chosen = select.value;
  });

  return {
    /** Takes a new list of options; the chosen one stays when it is still there. */
    setOptions(next) {
      options = next.map((option) => ({ value: String(option.value), label: option.label }));
      ensureFilter();
      choose(chosen);
    },
    /** Whether `value` is one of the options (shown or not). */
    has: (value) => options.some((option) => option.value === String(value)),
    /** Chooses `value` (the first option, or "All", when it is not there). */
    choose,
  };
}
