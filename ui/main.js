// Entry point of the Authdeck window: wires the views to each other, the app's commands and
// its events.
import { startNotices } from "./notices.js";
import { startAccountsView } from "./accounts.js";
import { startAppsView } from "./apps.js";
import { startSignIn } from "./signin.js";
import { startVoteView } from "./vote.js";
import { startPostView } from "./post.js";
import { startActionsView } from "./actions.js";
import { startActivityView } from "./activity.js";
import { startRequestsView } from "./requests.js";
import { startScriptRequests } from "./scripts.js";
import { startSandbox } from "./sandbox.js";

const views = {
  accounts: document.getElementById("accounts-view"),
  apps: document.getElementById("apps-view"),
  vote: document.getElementById("vote-view"),
  post: document.getElementById("post-view"),
  actions: document.getElementById("actions-view"),
  activity: document.getElementById("activity-view"),
  requests: document.getElementById("requests-view"),
};
const navButtons = document.querySelectorAll("[data-view]");

function showView(name) {
  for (const [key, element] of Object.entries(views)) element.hidden = key !== name;
  for (const button of navButtons) {
    if (button.dataset.view === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

// The accounts list comes first: its view renders the list `boot.js` asked for while the
// modules loaded, and the page paints it in its first frame; the other views start after it
// and hear the same lists.
async function start() {
  const notices = startNotices(document.getElementById("notices"));
  const notify = (notice) => notices.then((show) => show(notice));
  let signIn;
  let appsView;
  let latest = null;
  const hearers = [];
  const accountsView = await startAccountsView(views.accounts, {
    signIn: (...args) => signIn.start(...args),
    notify,
    showApps: (register) => {
      showView("apps");
      if (register) appsView?.openRegister();
    },
    onLoaded: (accounts) => {
      latest = accounts;
      for (const view of hearers) view.setAccounts(accounts);
    },
  });
  await notices;
  signIn = await startSignIn({
    apps: () => appsView.apps(),
    onCompleted: (accountId) => {
      showView("accounts");
      accountsView.reload().then(() => accountsView.highlight(accountId));
    },
    registerApp: () => {
      showView("apps");
      appsView.openRegister();
    },
  });
  appsView = await startAppsView(views.apps, { signIn: signIn.start, notify });
  hearers.push(startVoteView(views.vote), startPostView(views.post), startActionsView(views.actions));
  hearers.push(await startActivityView(views.activity, { notify }), startRequestsView(views.requests));
  if (latest) for (const view of hearers) view.setAccounts(latest);
  for (const button of navButtons) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
  document.getElementById("add-account").addEventListener("click", signIn.choose);
  document.getElementById("register-app").addEventListener("click", appsView.openRegister);
  await startScriptRequests({ notify });
  await startSandbox({ notify, onStarted: () => showView("accounts") });
  document.body.dataset.ready = "true";
}

start().finally(() => window.authdeckBoot?.reveal());
