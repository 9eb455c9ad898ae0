// The notices strip: messages about things that happened outside the window (links arriving,
// sign-ins finishing) and results worth keeping in view (a removed account's next step).
import { EVENTS, invoke, listen } from "./tauri.js";
import { h } from "./dom.js";

const INFO_NOTICE_MS = 8000;

/**
 * Shows the app's waiting notices in `container` now and whenever it announces new ones.
 * Returns `show(notice)` for the page's own notices: `{level, text, actions: [{label, run}]}`.
 */
export async function startNotices(container) {
  const show = (notice) => {
    const item = renderNotice(notice);
    container.append(item);
    // Good news fades after a while; warnings and notices with actions stay until dismissed.
    if (notice.level === "info" && !notice.actions?.length) {
      setTimeout(() => item.remove(), INFO_NOTICE_MS);
    }
  };
  const takeWaiting = async () => {
    const notices = await invoke("take_notices");
    notices.forEach(show);
  };
  await listen(EVENTS.noticesChanged, takeWaiting);
  await takeWaiting();
  return show;
}

function renderNotice({ level, text, actions = [] }) {
  const item = h("div", {
    class: `notice notice-${level}`,
    role: level === "warning" ? "alert" : "status",
  });
  const buttons = actions.map(({ label, run }) =>
    h("button", { type: "button", onclick: run }, label),
  );
  const dismiss = h(
    "button",
    { type: "button", class: "notice-dismiss", onclick: () => item.remove() },
    "Dismiss",
  );
  item.append(h("p", { class: "notice-text" }, text), h("div", { class: "notice-actions" }, buttons, dismiss));
  return item;
}
