// The notices strip: messages about things that happened outside the window (links arriving).
import { invoke, listen } from "./tauri.js";

const NOTICES_CHANGED = "authdeck:notices-changed";

/** Shows waiting notices in `container` now and whenever the app announces new ones. */
export async function startNotices(container) {
  const show = async () => {
    const notices = await invoke("take_notices");
    notices.forEach((notice) => container.append(renderNotice(notice)));
  };
  await listen(NOTICES_CHANGED, show);
  await show();
}

function renderNotice(notice) {
  const item = document.createElement("div");
  item.className = `notice notice-${notice.level}`;
  item.setAttribute("role", notice.level === "warning" ? "alert" : "status");

  const text = document.createElement("p");
  text.className = "notice-text";
  text.textContent = notice.text;

  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.className = "notice-dismiss";
  dismiss.textContent = "Dismiss";
  dismiss.addEventListener("click", () => item.remove());

  item.append(text, dismiss);
  return item;
}
