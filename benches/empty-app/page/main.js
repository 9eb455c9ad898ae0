// The empty app's page: nothing to show. Reports its first paint as Authdeck's page does:
// after the first frame (requestAnimationFrame) and the task that follows it.
requestAnimationFrame(() =>
  setTimeout(() => window.__TAURI__.core.invoke("page_painted", { accounts: 0 }), 0),
);
