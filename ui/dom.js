// Small helpers for building the page without a framework, and the one way every form shows
// its field errors. Text always goes in as text.

/** Creates `<tag>` with attributes, properties (`on*` become listeners) and children. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(key, "");
    } else {
      element.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Copies `text` to the clipboard; falls back to selecting `input` for Ctrl+C. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    return false;
  }
}

/**
 * Asks a yes/no question in the confirm dialog. `lines` are paragraphs; resolves to true when
 * the person confirms.
 */
export function confirmDialog({ title, lines, confirmLabel }) {
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector("h2").textContent = title;
  const body = dialog.querySelector(".dialog-body");
  body.replaceChildren(...lines.map((line) => h("p", {}, line)));
  const confirm = dialog.querySelector("[data-confirm]");
  confirm.textContent = confirmLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {
      once: true,
    });
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("[data-cancel]").focus();
  });
}

/**
 * The element that holds field `key` in `form`: the one marked `data-field="<key>"` (the form
 * itself when it is the field), or `null` when there is none or it is hidden.
 */
function holderOf(form, key) {
  if (typeof key !== "string" || key === "") return null;
  const selector = `[data-field="${CSS.escape(key)}"]`;
  const holder = form.matches(selector) ? form : form.querySelector(selector);
  return holder && !holder.closest("[hidden]") ? holder : null;
}

/**
 * Shows `problems` in `form`, one message per problem. Every form shows its errors through
 * this one function: a draft's `problems` and a command's input error (`{code, message, field}`,
 * passed as `[{ field, message }]`) have the same shape and the same field keys. Each message
 * goes to the holder of its field (marked `data-field="<key>"` in index.html), whose control is
 * marked invalid and described by it; a message whose field has no holder (or none at all) goes
 * to the form's summary (`.form-error`), or to the end of the form when it has none. Messages
 * read on their own: no field label is added. With `focus`, the first field with a problem
 * takes the focus. Clears what an earlier call showed.
 */
export function showFieldErrors(form, problems, { focus = false } = {}) {
  clearFieldErrors(form);
  const loose = [];
  let first = null;
  for (const { field, message } of problems) {
    const holder = holderOf(form, field);
    if (!holder) {
      loose.push(message);
      continue;
    }
    const control = holder.matches("input, select, textarea")
      ? holder
      : holder.querySelector("input:not([type=hidden]), select, textarea");
    const note = h("p", { class: "field-error", role: "alert", "data-field-error": true }, message);
    if (control?.id) note.id = `${control.id}-error`;
    holder.append(note);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      if (note.id) {
        const described = (control.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
        control.setAttribute("aria-describedby", [...described, note.id].join(" "));
      }
    }
    first ??= { note, control };
  }
  if (loose.length > 0) {
    const summary = form.querySelector(".form-error");
    if (summary) {
      summary.textContent = loose.join(" ");
      summary.hidden = false;
    } else {
      const note = h("p", { class: "field-error", role: "alert", "data-field-error": true }, loose.join(" "));
      form.append(note);
      first ??= { note, control: null };
    }
  }
  if (!first) return;
  first.note.scrollIntoView({ block: "nearest" });
  if (focus) first.control?.focus();
}

/** Removes what [`showFieldErrors`] showed in `form`: the messages, the marks and the summary. */
export function clearFieldErrors(form) {
  const notes = [...form.querySelectorAll("[data-field-error]")];
  const ids = new Set(notes.map((note) => note.id).filter(Boolean));
  for (const note of notes) note.remove();
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const described = (control.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id && !ids.has(id));
    if (described.length > 0) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  const summary = form.querySelector(".form-error");
  if (summary) {
    summary.hidden = true;
    summary.textContent = "";
  }
}
