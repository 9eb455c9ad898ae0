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

async function start() {
  const notify = await startNotices(document.getElementById("notices"));
  let appsView;
  let accountsView;
  const signIn = await startSignIn({
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
  const voteView = startVoteView(views.vote);
  const postView = startPostView(views.post);
  const actionsView = startActionsView(views.actions);
  const activityView = await startActivityView(views.activity, { notify });
  const requestsView = startRequestsView(views.requests);
  accountsView = await startAccountsView(views.accounts, {
    signIn: signIn.start,
    notify,
    showApps: (register) => {
      showView("apps");
      if (register) appsView.openRegister();
    },
    onLoaded: (accounts) => {
      voteView.setAccounts(accounts);
      postView.setAccounts(accounts);
      actionsView.setAccounts(accounts);
      activityView.setAccounts(accounts);
      requestsView.setAccounts(accounts);
    },
  });
  for (const button of navButtons) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
  document.getElementById("add-account").addEventListener("click", signIn.choose);
  document.getElementById("register-app").addEventListener("click", appsView.openRegister);
  await startScriptRequests({ notify });
  await startSandbox({ notify, onStarted: () => showView("accounts") });
  document.body.dataset.ready = "true";
}

start();
