//! The commands the window may call: thin adapters from IPC to the core. Each parses its
//! input, calls one core operation and returns its reply or its `{code, message}` error.
//!
//! Every command here is listed in `build.rs` (the app manifest) and granted in
//! `capabilities/main-window.json`; nothing else is reachable from the page. No reply
//! carries a token or a secret.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::accounts::AccountId;
use crate::accounts::AccountView;
use crate::activity::{ActivityEntry, ActivityFilter, ActivityId, SendResult};
use crate::apps::{AppId, AppInput};
use crate::catalog::{AppView, RemovedAccount, RemovedApp};
use crate::compose::{
    ClaimRequest, DeleteRequest, DraftId, DraftView, FollowRequest, PostRequest, ReblogRequest,
    VoteRequest,
};
use crate::error::{field, Error};
use crate::hive::links::{self, LinkView};
use crate::markdown;
use crate::navigation;
use crate::notices::{Notice, Notices};
use crate::oauth::authorize::AttemptId;
use crate::provider::Preset;
use crate::service::Authdeck;
use crate::signin::SignInStarted;
use crate::CoreState;

type Reply<T> = Result<T, Error>;

fn core(state: &State<'_, CoreState>) -> Reply<Arc<Authdeck>> {
    state.0.clone()
}

/// A provider preset, for the registration form.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetView {
    id: &'static str,
    label: &'static str,
    fixed_base_url: Option<&'static str>,
    kind: &'static str,
}

/// A started sign-in, and whether the system browser opened.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInReply {
    #[serde(flatten)]
    started: SignInStarted,
    browser_opened: bool,
}

/// Returns the notices waiting for the window (oldest first) and empties the queue.
#[tauri::command]
pub fn take_notices(notices: State<'_, Notices>) -> Vec<Notice> {
    notices.take()
}

/// The provider presets the registration form offers (not the fixed-port "Local sandbox"
/// ones: the in-app sandbox registers its own apps).
#[tauri::command]
pub fn list_presets() -> Vec<PresetView> {
    Preset::ALL
        .into_iter()
        .filter(|preset| preset.offered())
        .map(|preset| PresetView {
            id: preset.id(),
            label: preset.label(),
            fixed_base_url: preset.fixed_base_url(),
            kind: preset.protocol().id(),
        })
        .collect()
}

/// Registers an app (its secret goes to the keyring).
#[tauri::command]
pub async fn register_app(state: State<'_, CoreState>, input: AppInput) -> Reply<AppView> {
    core(&state)?.catalog().register_app(input).await
}

/// Changes an app's scopes, redirect mode or secret.
#[tauri::command]
pub async fn update_app(
    state: State<'_, CoreState>,
    app_id: AppId,
    input: AppInput,
) -> Reply<AppView> {
    core(&state)?.catalog().update_app(app_id, input).await
}

/// Removes an app and its accounts.
#[tauri::command]
pub async fn remove_app(state: State<'_, CoreState>, app_id: AppId) -> Reply<RemovedApp> {
    core(&state)?.catalog().remove_app(app_id).await
}

/// Every registered app.
#[tauri::command]
pub fn list_apps(state: State<'_, CoreState>) -> Reply<Vec<AppView>> {
    core(&state)?.catalog().list_apps()
}

/// Every account (ids, names, scopes, expiry, health; never a token).
#[tauri::command]
pub fn list_accounts(state: State<'_, CoreState>) -> Reply<Vec<AccountView>> {
    core(&state)?.catalog().list_accounts()
}

/// Starts a sign-in (for `account_id` when an account signs in again) and opens the consent
/// page in the system browser.
#[tauri::command]
pub async fn start_sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, CoreState>,
    app_id: AppId,
    account_id: Option<AccountId>,
) -> Reply<SignInReply> {
    let started = core(&state)?
        .sign_ins()
        .start_sign_in(app_id, account_id)
        .await?;
    let browser_opened = match app
        .opener()
        .open_url(started.authorize_url.clone(), None::<&str>)
    {
        Ok(()) => true,
        Err(err) => {
            tracing::warn!("could not open the system browser: {err}");
            false
        }
    };
    Ok(SignInReply {
        started,
        browser_opened,
    })
}

/// Cancels a waiting sign-in.
#[tauri::command]
pub fn cancel_sign_in(state: State<'_, CoreState>, attempt_id: AttemptId) -> Reply<()> {
    core(&state)?.sign_ins().cancel_sign_in(attempt_id)
}

/// Refreshes an account's token now.
#[tauri::command]
pub async fn refresh_account(
    state: State<'_, CoreState>,
    account_id: AccountId,
) -> Reply<AccountView> {
    let core = core(&state)?;
    core.tokens().refresh_now(account_id).await?;
    core.catalog().account_view(account_id)
}

/// Removes an account: revoke at the provider, wipe its tokens, forget it.
#[tauri::command]
pub async fn remove_account(
    state: State<'_, CoreState>,
    account_id: AccountId,
) -> Reply<RemovedAccount> {
    core(&state)?.catalog().remove_account(account_id).await
}

/// Opens a provider page (such as the on-chain authority removal page) in the system browser.
/// Only pages of known providers are opened.
#[tauri::command]
pub fn open_provider_page<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, CoreState>,
    url: String,
) -> Reply<()> {
    let page = core(&state)?.catalog().provider_page(&url)?;
    open_in_browser(&app, page.as_str())
}

/// Opens a post's page on a known front end (https only) in the system browser.
#[tauri::command]
pub fn open_post_page<R: Runtime>(app: AppHandle<R>, url: String) -> Reply<()> {
    let page = links::checked_front_end_url(&url)
        .map_err(|err| Error::invalid(field::URL, err.to_string()))?;
    open_in_browser(&app, page.as_str())
}

/// Reads a post link or `@author/permlink` (for the forms' live check): its target (the
/// comment when the link names one) and a sentence saying what it is.
#[tauri::command]
pub fn parse_post_link(link: String) -> Reply<LinkView> {
    links::parse_link(&link)
        .map(LinkView::from)
        .map_err(|err| Error::invalid(field::LINK, err.to_string()))
}

/// Checks a vote from several accounts and keeps it as a draft to confirm.
#[tauri::command]
pub fn prepare_vote(state: State<'_, CoreState>, request: VoteRequest) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_vote(&request)
}

/// Checks a post or reply and keeps it as a draft to confirm.
#[tauri::command]
pub fn prepare_post(state: State<'_, CoreState>, request: PostRequest) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_post(&request)
}

/// Checks a follow, unfollow or mute from several accounts and keeps it as a draft to confirm.
#[tauri::command]
pub fn prepare_follow(state: State<'_, CoreState>, request: FollowRequest) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_follow(&request)
}

/// Checks a reblog from several accounts and keeps it as a draft to confirm.
#[tauri::command]
pub fn prepare_reblog(state: State<'_, CoreState>, request: ReblogRequest) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_reblog(&request)
}

/// Checks with the chain that a post or comment can be deleted and keeps the deletion as a
/// draft to confirm.
#[tauri::command]
pub async fn prepare_delete(
    state: State<'_, CoreState>,
    request: DeleteRequest,
) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_delete(&request).await
}

/// Reads the accounts' pending rewards from the chain and keeps a claim of them as a draft to
/// confirm.
#[tauri::command]
pub async fn prepare_claim(state: State<'_, CoreState>, request: ClaimRequest) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_claim(&request).await
}

/// Broadcasts a confirmed draft exactly as prepared; one result per account.
#[tauri::command]
pub async fn send_draft(state: State<'_, CoreState>, draft_id: DraftId) -> Reply<Vec<SendResult>> {
    core(&state)?.drafts().send_draft(draft_id).await
}

/// The post preview: markdown rendered and sanitised in Rust.
#[tauri::command]
pub fn preview_markdown(body: String) -> String {
    markdown::preview(&body)
}

/// The activity log, newest first.
#[tauri::command]
pub fn list_activity(
    state: State<'_, CoreState>,
    filter: ActivityFilter,
) -> Reply<Vec<ActivityEntry>> {
    core(&state)?.broadcaster().list_activity(&filter)
}

/// Prepares a logged failure again as a draft for the review (after a chain check when its
/// answer was lost); nothing is sent until the person confirms it.
#[tauri::command]
pub async fn prepare_retry(
    state: State<'_, CoreState>,
    activity_id: ActivityId,
) -> Reply<DraftView> {
    core(&state)?.drafts().prepare_retry(activity_id).await
}

/// Opens a link the person followed in the post preview (after confirming its full address)
/// in the system browser. Only absolute `http` and `https` addresses are opened.
#[tauri::command]
pub fn open_external_link<R: Runtime>(app: AppHandle<R>, url: String) -> Reply<()> {
    let link = navigation::external_link(&url).map_err(|problem| {
        Error::invalid(
            field::URL,
            format!("This link does not open in the browser: {problem}."),
        )
    })?;
    open_in_browser(&app, link.as_str())
}

/// Hands `url` (already checked by the caller) to the system browser.
fn open_in_browser<R: Runtime>(app: &AppHandle<R>, url: &str) -> Reply<()> {
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|err| Error::BrowserDidNotOpen {
            detail: crate::redact::redact(&err.to_string()).into_owned(),
        })
}

/// Completes a waiting sign-in from the address the browser ended on, pasted by the person
/// (when the redirect did not come back by itself); replies with the added account.
#[tauri::command]
pub async fn paste_redirect(state: State<'_, CoreState>, address: String) -> Reply<AccountView> {
    core(&state)?.sign_ins().complete_pasted(&address).await
}

/// Adds a token site account from a personal access token the site sent the person; the
/// token goes to the keyring and never comes back to the window.
#[tauri::command]
pub async fn add_personal_token(
    state: State<'_, CoreState>,
    app_id: AppId,
    token: SecretString,
) -> Reply<AccountView> {
    core(&state)?
        .sign_ins()
        .add_personal_token(app_id, token)
        .await
}

/// The accounts the API console can send from, each with its API base and how its token
/// rides (in words; never the token).
#[tauri::command]
pub fn list_api_targets(state: State<'_, CoreState>) -> Reply<Vec<crate::console::ApiTarget>> {
    core(&state)?.console().targets()
}

/// Sends one API console request to the account's own provider with its fresh token, added
/// in Rust; replies with the answer (redacted), or a field error when nothing was sent.
#[tauri::command]
pub async fn send_api_request(
    state: State<'_, CoreState>,
    request: crate::console::ApiRequest,
) -> Reply<crate::console::ApiReply> {
    core(&state)?.console().send(request).await
}

/// This session's API console requests, newest first, for a re-run.
#[tauri::command]
pub fn list_recent_requests(
    state: State<'_, CoreState>,
) -> Reply<Vec<crate::console::RecentRequest>> {
    Ok(core(&state)?.console().recent())
}

/// The post preview with its images, when the person pressed "Show images": each image from
/// an allowed image host fetched in Rust (size, type and time limits) and inlined as a
/// `data:` URL; the others listed with why. The page never loads a remote image itself.
#[tauri::command]
pub async fn preview_images(
    images: State<'_, crate::PreviewImages>,
    body: String,
) -> Reply<String> {
    let fetcher = images.0.clone()?;
    Ok(crate::images::preview_with_images(&body, &fetcher).await)
}

/// The card of a pasted post or comment (`link`) with how each account of `account_ids`
/// stands on it: health, whether it can vote, mana, a full vote's estimated value, its vote
/// already cast. Accounts that do not broadcast are left out.
#[tauri::command]
pub async fn post_card(
    state: State<'_, CoreState>,
    link: String,
    account_ids: Vec<AccountId>,
) -> Reply<crate::desk::PostCard> {
    core(&state)?.desk().post_card(&link, &account_ids).await
}

/// How each account of `account_ids` stands without a post (mana, a full vote's estimated
/// value, whether it can vote), for the picker before a link is pasted.
#[tauri::command]
pub async fn account_standing(
    state: State<'_, CoreState>,
    account_ids: Vec<AccountId>,
) -> Reply<Vec<crate::desk::AccountStanding>> {
    core(&state)?.desk().account_standing(&account_ids).await
}

/// An account's posting authority on chain: whether its app may sign for it, whether the
/// app's account granted the provider's broadcaster, and how to fix what is missing.
#[tauri::command]
pub async fn account_authority(
    state: State<'_, CoreState>,
    account_id: AccountId,
) -> Reply<crate::desk::AuthorityView> {
    core(&state)?.desk().authority(account_id).await
}

/// The unclaimed rewards of each account of `account_ids`, as the chain writes the amounts.
#[tauri::command]
pub async fn pending_rewards(
    state: State<'_, CoreState>,
    account_ids: Vec<AccountId>,
) -> Reply<Vec<crate::desk::PendingRewards>> {
    core(&state)?.desk().pending_rewards(&account_ids).await
}

/// Sets what scripts on this computer may do with an app's tokens (`authdeck token`): allowed
/// or not, and whether each token waits for the person's yes in the window.
#[tauri::command]
pub fn set_script_access(
    state: State<'_, CoreState>,
    app_id: AppId,
    access: crate::apps::ScriptAccess,
) -> Reply<AppView> {
    core(&state)?.catalog().set_script_access(app_id, access)
}

/// The person's answer to a script's token request shown in the window; `false` when the
/// request no longer waits (it timed out, or was answered already).
#[tauri::command]
pub fn answer_script_request(
    state: State<'_, CoreState>,
    request_id: u64,
    allow: bool,
) -> Reply<bool> {
    Ok(core(&state)?.scripts().answer(request_id, allow))
}

/// Whether the offline sandbox is in this build and runs, and the demo apps it registered.
#[tauri::command]
pub async fn sandbox_status(state: State<'_, CoreState>) -> Reply<crate::sandbox::SandboxStatus> {
    Ok(core(&state)?.sandbox().status().await)
}

/// Starts the offline sandbox ("Try it offline"): its fakes on free loopback ports and its
/// demo apps registered; a running one is left as it is.
#[tauri::command]
pub async fn start_sandbox(state: State<'_, CoreState>) -> Reply<crate::sandbox::SandboxStatus> {
    core(&state)?.sandbox().start().await
}

/// Leaves the offline sandbox: its apps, accounts, keyring entries and activity entries are
/// removed, and its fakes stop.
#[tauri::command]
pub async fn leave_sandbox(state: State<'_, CoreState>) -> Reply<crate::sandbox::LeftSandbox> {
    core(&state)?.sandbox().leave().await
}

/// The page painted its first accounts list, with `accounts` rows (the startup probe): the
/// first call logs how long after the start that was ([`crate::startup`]); later calls do
/// nothing. Answers nothing.
#[tauri::command]
pub fn page_painted(accounts: u32) {
    crate::startup::page_painted(accounts);
}
