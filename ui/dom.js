// Small helpers for building the page without a framework. Text always goes in as text.

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
