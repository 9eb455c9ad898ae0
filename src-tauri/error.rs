//! The one error type the window sees: a stable `code` and a plain-words `message` saying what
//! went wrong and what to do. No variant carries a token, code or secret; provider texts are
//! passed through [`crate::redact::redact`] before they are kept.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::redact::redact;

/// The keys that name a field, in an [`Error::InvalidInput`] (`field`) and in a draft's
/// problems ([`crate::hive::validate::FieldError`]): one stable key per field, the request's
/// own name for it, camelCase as the window sends it (`clientId`, `maxAcceptedPayout`). The
/// window marks each field's holder with `data-field="<key>"` and shows a message there; a key
/// without a holder (an operation's field, a rule over several fields) goes to the form's
/// summary. Messages never start with the field's label: each reads on its own.
pub mod field {
    // The app form: `AppInput`.

    /// The provider preset (`AppInput::preset`).
    pub const PRESET: &str = "preset";
    /// The server address of a Hivesigner-compatible provider (`AppInput::base_url`).
    pub const BASE_URL: &str = "baseUrl";
    /// The app's account name at the provider (`AppInput::client_id`).
    pub const CLIENT_ID: &str = "clientId";
    /// The app's client secret (`AppInput::client_secret`).
    pub const CLIENT_SECRET: &str = "clientSecret";
    /// The scopes the app asks for (`AppInput::scopes`).
    pub const SCOPES: &str = "scopes";
    /// How the provider's redirect comes back (`AppInput::redirect_mode`).
    pub const REDIRECT_MODE: &str = "redirectMode";
    /// An OAuth 2.0 server's authorization endpoint, entered by hand.
    pub const AUTHORIZE_ENDPOINT: &str = "authorizeEndpoint";
    /// An OAuth 2.0 server's token endpoint, entered by hand.
    pub const TOKEN_ENDPOINT: &str = "tokenEndpoint";
    /// An OAuth 2.0 server's revocation endpoint (RFC 7009), entered by hand.
    pub const REVOCATION_ENDPOINT: &str = "revocationEndpoint";
    /// An OAuth 2.0 server's userinfo endpoint, entered by hand.
    pub const USERINFO_ENDPOINT: &str = "userinfoEndpoint";
    /// How an OAuth 2.0 client authenticates (`none`, `client_secret_basic`, `client_secret_post`).
    pub const CLIENT_AUTH: &str = "clientAuth";
    /// The redirect parameter that carries a token site's token.
    pub const TOKEN_PARAM: &str = "tokenParam";
    /// A token site's identity path.
    pub const IDENTITY_PATH: &str = "identityPath";
    /// The JSON field of a token site's identity answer that names the account.
    pub const IDENTITY_FIELD: &str = "identityField";
    /// How a token site's token rides on requests (`raw`, `bearer`).
    pub const TOKEN_HEADER: &str = "tokenHeader";
    /// A token site's apps settings page.
    pub const APPS_PAGE: &str = "appsPage";
    /// A personal access token pasted for a token site (`add_personal_token`'s `token`).
    pub const TOKEN: &str = "token";

    // The vote form: `VoteRequest`.

    /// The accounts that vote (`VoteRequest::account_ids`).
    pub const ACCOUNT_IDS: &str = "accountIds";
    /// A post link or `@author/permlink` (`VoteRequest::link`, and the `link` of the
    /// `parse_post_link` command).
    pub const LINK: &str = "link";
    /// A vote's weight in basis points (`VoteRequest::weight`; also a vote operation's
    /// `weight`).
    pub const WEIGHT: &str = "weight";

    // The post form: `PostRequest`.

    /// The account that writes (`PostRequest::account_id`).
    pub const ACCOUNT_ID: &str = "accountId";
    /// The post replied to (`PostRequest::reply_to`).
    pub const REPLY_TO: &str = "replyTo";
    /// A post's title (`PostRequest::title`; also a comment operation's `title`).
    pub const TITLE: &str = "title";
    /// The markdown body (`PostRequest::body`; also a comment operation's `body`).
    pub const BODY: &str = "body";
    /// A post's tags (`PostRequest::tags`).
    pub const TAGS: &str = "tags";
    /// A post's community (`PostRequest::community`).
    pub const COMMUNITY: &str = "community";
    /// Who shares the author rewards (`PostRequest::beneficiaries`; also a `comment_options`
    /// operation's `beneficiaries`).
    pub const BENEFICIARIES: &str = "beneficiaries";
    /// The payout cap (`PostRequest::max_accepted_payout`; also a `comment_options`
    /// operation's `max_accepted_payout`).
    pub const MAX_ACCEPTED_PAYOUT: &str = "maxAcceptedPayout";
    /// The share paid in HBD (`PostRequest::percent_hbd`; also a `comment_options`
    /// operation's `percent_hbd`).
    pub const PERCENT_HBD: &str = "percentHbd";

    // The follow form: `FollowRequest`.

    /// The account followed, unfollowed or muted (`FollowRequest::target`).
    pub const TARGET: &str = "target";

    // The other commands' arguments.

    /// The address the browser ended on, pasted into the sign-in panel (`paste_redirect`'s
    /// `address`).
    pub const ADDRESS: &str = "address";
    /// A page to open in the system browser (the `url` of `open_post_page`,
    /// `open_external_link` and `open_provider_page`).
    pub const URL: &str = "url";
    /// A draft to send (`send_draft`'s `draftId`).
    pub const DRAFT_ID: &str = "draftId";
    /// An activity log entry (`prepare_retry`'s `activityId`).
    pub const ACTIVITY_ID: &str = "activityId";
    /// A waiting sign-in (`cancel_sign_in`'s `attemptId`).
    pub const ATTEMPT_ID: &str = "attemptId";
    /// The app a command is about (`start_sign_in`'s and `add_personal_token`'s `appId`).
    pub const APP_ID: &str = "appId";
    /// An API console request's method.
    pub const METHOD: &str = "method";
    /// An API console request's path, relative to the provider's API base.
    pub const PATH: &str = "path";
    /// An API console request's query.
    pub const QUERY: &str = "query";
    /// An API console request's body (JSON or form), with `bodyKind`.
    pub const REQUEST_BODY: &str = "requestBody";

    // The fields of an operation no form field holds (the chain's rules, in
    // `hive::validate`), by the operation's field name in camelCase; they go to the form's
    // summary. An operation field that a form sends under the same name (`weight`, `title`,
    // `body`, `beneficiaries`, `maxAcceptedPayout`, `percentHbd`) uses the form's key above.

    /// A vote operation's `voter`.
    pub const VOTER: &str = "voter";
    /// An operation's `author` (vote, comment, comment_options, delete_comment).
    pub const AUTHOR: &str = "author";
    /// An operation's `permlink` (vote, comment, comment_options, delete_comment).
    pub const PERMLINK: &str = "permlink";
    /// A comment operation's `parent_author`.
    pub const PARENT_AUTHOR: &str = "parentAuthor";
    /// A comment operation's `parent_permlink` (a post's category, or the post replied to).
    pub const PARENT_PERMLINK: &str = "parentPermlink";
    /// A comment operation's `json_metadata`.
    pub const JSON_METADATA: &str = "jsonMetadata";
    /// A `custom_json` operation's `required_auths`.
    pub const REQUIRED_AUTHS: &str = "requiredAuths";
    /// A `custom_json` operation's `required_posting_auths`.
    pub const REQUIRED_POSTING_AUTHS: &str = "requiredPostingAuths";
    /// A `custom_json` operation's `id`.
    pub const ID: &str = "id";
    /// A `custom_json` operation's `json`.
    pub const JSON: &str = "json";
    /// A `claim_reward_balance` operation's `account`.
    pub const ACCOUNT: &str = "account";
    /// A `claim_reward_balance` operation's `reward_hive`.
    pub const REWARD_HIVE: &str = "rewardHive";
    /// A `claim_reward_balance` operation's `reward_hbd`.
    pub const REWARD_HBD: &str = "rewardHbd";
    /// A `claim_reward_balance` operation's `reward_vests`.
    pub const REWARD_VESTS: &str = "rewardVests";

    // Rules over several fields.

    /// The rewards of a claim together (at least one is more than 0).
    pub const REWARDS: &str = "rewards";
    /// The operations of a transaction (at least one).
    pub const OPERATIONS: &str = "operations";
    /// Who signs a transaction (one account for all its operations).
    pub const SIGNER: &str = "signer";
    /// A whole transaction (its size).
    pub const TRANSACTION: &str = "transaction";

    /// Every key, once.
    pub const ALL: [&str; 58] = [
        PRESET,
        BASE_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        SCOPES,
        REDIRECT_MODE,
        AUTHORIZE_ENDPOINT,
        TOKEN_ENDPOINT,
        REVOCATION_ENDPOINT,
        USERINFO_ENDPOINT,
        CLIENT_AUTH,
        TOKEN_PARAM,
        IDENTITY_PATH,
        IDENTITY_FIELD,
        TOKEN_HEADER,
        APPS_PAGE,
        TOKEN,
        METHOD,
        PATH,
        QUERY,
        REQUEST_BODY,
        ACCOUNT_IDS,
        LINK,
        WEIGHT,
        ACCOUNT_ID,
        REPLY_TO,
        TITLE,
        BODY,
        TAGS,
        COMMUNITY,
        BENEFICIARIES,
        MAX_ACCEPTED_PAYOUT,
        PERCENT_HBD,
        TARGET,
        ADDRESS,
        URL,
        DRAFT_ID,
        ACTIVITY_ID,
        ATTEMPT_ID,
        APP_ID,
        VOTER,
        AUTHOR,
        PERMLINK,
        PARENT_AUTHOR,
        PARENT_PERMLINK,
        JSON_METADATA,
        REQUIRED_AUTHS,
        REQUIRED_POSTING_AUTHS,
        ID,
        JSON,
        ACCOUNT,
        REWARD_HIVE,
        REWARD_HBD,
        REWARD_VESTS,
        REWARDS,
        OPERATIONS,
        SIGNER,
        TRANSACTION,
    ];
}

/// Everything that can go wrong in a command, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A field of the person's input is wrong.
    #[error("{problem}")]
    InvalidInput {
        /// Which field: a key of [`field`], the request's own name for it.
        field: &'static str,
        /// What is wrong and what would be right, as a sentence that reads on its own (the
        /// form shows it at the field, without the field's label).
        problem: String,
    },
    /// No app with this id is registered.
    #[error("That app is not registered (any more). Reload the list and try again.")]
    AppNotFound,
    /// No account with this id is known.
    #[error("That account is not in Authdeck (any more). Reload the list and try again.")]
    AccountNotFound,
    /// An app with the same provider and client id already exists.
    #[error("The app @{client_id} is already registered for this provider. Edit it instead of adding it again.")]
    AppExists {
        /// The app's client id.
        client_id: String,
    },
    /// The code flow needs the app's client secret and none is stored.
    #[error("The app @{client_id} has no client secret stored. Enter the secret you chose when you registered the app with the provider, then sign in again.")]
    SecretMissing {
        /// The app's client id.
        client_id: String,
    },
    /// The OS keyring cannot be used.
    #[error("No usable system keyring, so {failed}: Authdeck keeps tokens and secrets only in the keyring, never in a file. {detail} Start and unlock a Secret Service keyring (GNOME Keyring, KeePassXC with Secret Service, or KWallet), then try again.")]
    KeyringUnavailable {
        /// What the keyring said, redacted.
        detail: String,
        /// What was not done because of it ("nothing was stored", ...).
        failed: &'static str,
    },
    /// A keyring entry exists but is not what Authdeck wrote.
    #[error("A keyring entry of Authdeck is damaged: {detail}. Delete that item (every copy, if there are several) with your keyring manager (for example Seahorse), then sign in again, or enter the app's client secret again if it was the secret.")]
    KeyringEntryDamaged {
        /// Which entry and what is wrong, redacted.
        detail: String,
    },
    /// A sign-in answer whose `state` Authdeck never issued (forged, or from another app).
    #[error("Authdeck did not start this sign-in (its state is unknown), so it was refused and nothing was stored. Start the sign-in again from Authdeck.")]
    SignInUnknown,
    /// A sign-in answer that was already used once.
    #[error("This sign-in answer was already used, so it was refused. Start a new sign-in from Authdeck.")]
    SignInReplayed,
    /// The sign-in was not completed within its time limit.
    #[error("The sign-in took longer than {} and was closed; nothing was stored. Start it again and approve it in the browser.", duration_words(*.seconds))]
    SignInExpired {
        /// The time limit, in seconds; 0 when it is no longer known (a late answer to an
        /// attempt that already timed out).
        seconds: u64,
    },
    /// The person cancelled the sign-in in Authdeck.
    #[error("This sign-in was cancelled in Authdeck. Start it again if you still want to add the account.")]
    SignInCancelled,
    /// The person (or the provider) declined the consent (`error=access_denied`).
    #[error("The sign-in was declined at {provider}, so nothing was stored. If you meant to add the account, start the sign-in again and choose Approve.")]
    SignInDenied {
        /// The provider's host.
        provider: String,
    },
    /// The provider refused the code of a new sign-in.
    #[error("The provider refused this sign-in's code ({reason}), so nothing was stored. Start the sign-in again; if it keeps happening, check the app's client id and redirect URI at the provider.")]
    SignInCodeRefused {
        /// The provider's words, redacted.
        reason: String,
    },
    /// A token site refused the token of a new sign-in or a pasted personal token.
    #[error("The site refused this token ({reason}), so nothing was stored. Check that it is the whole token the site gave you for this app, or sign in again.")]
    SignInTokenRefused {
        /// What the site said, in Authdeck's words.
        reason: String,
    },
    /// The provider's redirect does not carry what the flow needs.
    #[error("The provider's answer is incomplete: {problem}. Start the sign-in again; if it keeps happening, check the app's redirect URI at the provider.")]
    SignInAnswerInvalid {
        /// What is missing or malformed.
        problem: String,
    },
    /// The account names from the redirect, the token and `/api/me` disagree.
    #[error("The provider signed in @{reported} but the sign-in was for @{expected}, so it was refused and nothing was stored. Sign in again with the account you want to add.")]
    AccountMismatch {
        /// The name the redirect or token response named.
        expected: String,
        /// The name `/api/me` (or the token response) reported.
        reported: String,
    },
    /// A token or code from the sign-in was issued to another app than the one signing in.
    #[error("The provider issued this sign-in to the app @{issued_to}, not to @{client_id}, so it was refused and nothing was stored. Check that the provider's app settings (client id @{client_id}) are the ones Authdeck uses, then sign in again.")]
    TokenForOtherApp {
        /// The app being signed in to.
        client_id: String,
        /// The app the token names.
        issued_to: String,
    },
    /// The provider refused the client secret (`invalid_grant`, "The code or secret is not valid").
    #[error("The provider refused the app's client secret. Check the secret stored for @{client_id} (it must be the one you set at the provider), then sign in again.")]
    WrongClientSecret {
        /// The app's client id.
        client_id: String,
    },
    /// An API console request that changes things went out, but its answer was lost.
    #[error("The request went out to {provider}, but its answer was lost ({reason}), so it may have been sent. Check at the provider before sending it again.")]
    RequestMaybeSent {
        /// The provider's host.
        provider: String,
        /// Timeout, dropped connection, ...
        reason: String,
    },
    /// An OAuth 2.0 server does not accept the app's client credentials (`invalid_client`).
    #[error("{provider} does not accept the app's client credentials (invalid_client). Check the client id {client_id}, the secret stored for it and how the app authenticates (client_secret_basic or client_secret_post), then sign in again.")]
    ClientRejected {
        /// The server's host.
        provider: String,
        /// The app's client id.
        client_id: String,
    },
    /// An OAuth 2.0 server refused with an RFC 6749 5.2 error code; `meaning` is Authdeck's
    /// own words for that code (never the server's description).
    #[error("{provider} refused: {meaning} (error {code}).")]
    OAuthRefused {
        /// The server's host.
        provider: String,
        /// The RFC 6749 error code.
        code: String,
        /// What it means and what to do, in Authdeck's words.
        meaning: String,
    },
    /// The account's grant is no longer accepted; the person must sign in again.
    #[error("The provider no longer accepts this account's sign-in ({reason}). Sign in again to continue.")]
    NeedsSignIn {
        /// The provider's words, or why Authdeck knows.
        reason: String,
    },
    /// The provider could not be reached (network error or timeout), after retries.
    #[error("Could not reach {provider} ({reason}). Check your connection or the provider's status, then try again.")]
    ProviderUnreachable {
        /// The provider's host.
        provider: String,
        /// Timeout, connection refused, ...
        reason: String,
    },
    /// The provider answered with an error Authdeck has no better words for.
    #[error("{provider} refused the request: {description} ({code}). Try again later; if it keeps happening, check the app's settings at the provider.")]
    ProviderRefused {
        /// The provider's host.
        provider: String,
        /// The provider's `error` code, or the HTTP status.
        code: String,
        /// The provider's `error_description`, redacted.
        description: String,
    },
    /// The provider's app has an IP allow-list that excludes this machine.
    #[error("{provider} refused this machine's address for the app: {description}. Allow it in the app's settings at the provider, or remove the IP allow-list.")]
    IpNotAllowed {
        /// The provider's host.
        provider: String,
        /// The provider's words, redacted.
        description: String,
    },
    /// The provider answered something that is not what its protocol promises.
    #[error("{provider} sent an answer Authdeck cannot read ({problem}). Try again later; if it keeps happening, the provider may be misconfigured.")]
    ProviderBadResponse {
        /// The provider's host.
        provider: String,
        /// What was wrong with the answer.
        problem: String,
    },
    /// The provider refused an operation the token may not do (`invalid_scope`).
    #[error("The token may not do this: {description}. Register the app with posting access (not login only) and sign the account in again.")]
    NotPermitted {
        /// The provider's words, redacted.
        description: String,
    },
    /// The operation is authored by another account than the token's (`unauthorized_client`).
    #[error("The provider refused: {description}. Each account can only vote and post as itself; choose the account that is the author.")]
    WrongAccount {
        /// The provider's words, redacted.
        description: String,
    },
    /// The account removed (or never gave) the app's posting authority.
    #[error("@{account} has not given @{app} posting authority (or removed it), so the provider cannot broadcast for it. Sign @{account} in again to grant it.")]
    AuthorityMissing {
        /// The account.
        account: String,
        /// The app.
        app: String,
    },
    /// The app account never granted posting authority to @hivesigner.
    #[error("The app @{app} has not granted posting authority to @hivesigner, so Hivesigner cannot broadcast for its users. Grant it from the app account (for example on the provider's authority page), then try again.")]
    HivesignerNotGranted {
        /// The app.
        app: String,
    },
    /// The chain refused the transaction.
    #[error("The chain refused the transaction: {description}. {advice}")]
    ChainRefused {
        /// The chain's words, redacted.
        description: String,
        /// What to do about it.
        advice: String,
    },
    /// The provider failed on its own side (HTTP 5xx without the chain's answer).
    #[error("{provider} had a failure of its own ({description}); the chain was not involved and nothing was broadcast. Try again in a minute; if it keeps happening, check the provider's status.")]
    ProviderFailed {
        /// The provider's host.
        provider: String,
        /// The provider's words, redacted.
        description: String,
    },
    /// The provider's Hive node failed.
    #[error("{provider} could not reach its Hive node ({description}). Nothing was broadcast; try again in a minute.")]
    NodeFailure {
        /// The provider's host.
        provider: String,
        /// The provider's words, redacted.
        description: String,
    },
    /// The broadcast went out but its answer was lost: it may be on chain.
    #[error("The answer from {provider} was lost ({reason}), so this may have been sent. Do not send it again by hand: Authdeck checks the chain before any resend (Retry in the activity log).")]
    MaybeSent {
        /// The provider's host.
        provider: String,
        /// Timeout, dropped connection, unreadable answer.
        reason: String,
    },
    /// A resend was refused because the chain already has the operation.
    #[error("Not sent again: it is already on chain ({evidence}). The activity log now marks the earlier attempt as sent.")]
    AlreadyOnChain {
        /// What the chain showed.
        evidence: String,
    },
    /// A resend of an attempt whose answer was lost came too soon to tell.
    #[error("The earlier attempt may still reach the chain (its answer was lost {age} seconds ago; a transaction can take up to {settle} seconds). Wait a minute, then retry: Authdeck checks the chain first.")]
    TooSoonToTell {
        /// Seconds since the earlier attempt.
        age: i64,
        /// How long a transaction may take to land or expire.
        settle: i64,
    },
    /// The operations name another account than the one whose token would sign them.
    #[error("Refused before sending: the operations are for @{named} but would be signed by @{signer}. Choose @{named}'s account, or prepare it again from @{signer}.")]
    SignerMismatch {
        /// The account whose token would sign.
        signer: String,
        /// The account the operations name.
        named: String,
    },
    /// No API node gave a usable answer, so Authdeck could not read the chain.
    #[error("Authdeck could not read the chain: {nodes}. Check the connection or the API node list in the settings (AUTHDECK_HIVE_NODES for Hive, AUTHDECK_STEEM_NODES for Steem), then try again.")]
    ChainUnreadable {
        /// Which nodes were tried and why each failed.
        nodes: String,
    },
    /// The local registry (SQLite) failed.
    #[error("Authdeck could not read or write its registry ({detail}). Check free disk space and permissions of the app's data folder.")]
    Storage {
        /// SQLite's words.
        detail: String,
    },
    /// The system browser did not open a page.
    #[error("The system browser did not open ({detail}). Copy the address and open it in your browser yourself; to fix it for next time, choose a default web browser for your desktop (for example with `xdg-settings set default-web-browser firefox.desktop`).")]
    BrowserDidNotOpen {
        /// What the opener said, redacted.
        detail: String,
    },
    /// The loopback listener for the browser's answer could not start.
    #[error("Authdeck could not listen on 127.0.0.1 for the browser's answer ({detail}). Check that nothing (a firewall, a sandbox, too many open files) blocks local ports, or choose the authdeck:// redirect for this app instead.")]
    LoopbackUnavailable {
        /// What the system said.
        detail: String,
    },
    /// The offline sandbox cannot start: this build has none, or its fakes found no port.
    #[error("The offline sandbox is not available: {reason}.")]
    SandboxUnavailable {
        /// Why, in words.
        reason: String,
    },
    /// Something that should not happen; the message says what.
    #[error("Something went wrong inside Authdeck: {0}. Please report it.")]
    Internal(String),
}

impl Error {
    /// A stable, machine-readable code for the window and the tests.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::AppNotFound => "app_not_found",
            Error::AccountNotFound => "account_not_found",
            Error::AppExists { .. } => "app_exists",
            Error::SecretMissing { .. } => "secret_missing",
            Error::KeyringUnavailable { .. } => "keyring_unavailable",
            Error::KeyringEntryDamaged { .. } => "keyring_entry_damaged",
            Error::SignInUnknown => "signin_unknown_state",
            Error::SignInReplayed => "signin_replayed",
            Error::SignInExpired { .. } => "signin_expired",
            Error::SignInCancelled => "signin_cancelled",
            Error::SignInDenied { .. } => "signin_denied",
            Error::SignInCodeRefused { .. } => "signin_code_refused",
            Error::SignInTokenRefused { .. } => "signin_token_refused",
            Error::SignInAnswerInvalid { .. } => "signin_answer_invalid",
            Error::AccountMismatch { .. } => "account_mismatch",
            Error::TokenForOtherApp { .. } => "token_for_other_app",
            Error::WrongClientSecret { .. } => "wrong_client_secret",
            Error::RequestMaybeSent { .. } => "request_may_have_been_sent",
            Error::ClientRejected { .. } => "client_rejected",
            Error::OAuthRefused { .. } => "oauth_refused",
            Error::NeedsSignIn { .. } => "needs_sign_in",
            Error::ProviderUnreachable { .. } => "provider_unreachable",
            Error::ProviderRefused { .. } => "provider_refused",
            Error::IpNotAllowed { .. } => "ip_not_allowed",
            Error::ProviderBadResponse { .. } => "provider_bad_response",
            Error::NotPermitted { .. } => "not_permitted",
            Error::WrongAccount { .. } => "wrong_account",
            Error::AuthorityMissing { .. } => "authority_missing",
            Error::HivesignerNotGranted { .. } => "hivesigner_not_granted",
            Error::ChainRefused { .. } => "chain_refused",
            Error::ProviderFailed { .. } => "provider_failed",
            Error::NodeFailure { .. } => "node_failure",
            Error::ChainUnreadable { .. } => "chain_unreadable",
            Error::MaybeSent { .. } => "may_have_been_sent",
            Error::AlreadyOnChain { .. } => "already_on_chain",
            Error::TooSoonToTell { .. } => "too_soon_to_tell",
            Error::SignerMismatch { .. } => "signer_mismatch",
            Error::Storage { .. } => "storage",
            Error::BrowserDidNotOpen { .. } => "browser_did_not_open",
            Error::LoopbackUnavailable { .. } => "loopback_unavailable",
            Error::SandboxUnavailable { .. } => "sandbox_unavailable",
            Error::Internal(_) => "internal",
        }
    }

    /// An input error for `field` (a key of [`field`]); `problem` is a whole sentence.
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            problem: problem.into(),
        }
    }

    /// The message for the person, with anything secret-looking redacted once more.
    pub fn message(&self) -> String {
        redact(&self.to_string()).into_owned()
    }
}

/// `{code, message}`, plus `field` (a key of [`field`]) for input errors so a form can show the
/// message at the field it is about: `{"code": "invalid_input", "message": "...", "field":
/// "clientId"}`.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let field = match self {
            Error::InvalidInput { field, .. } => Some(*field),
            _ => None,
        };
        let mut reply = serializer.serialize_struct("Error", 2 + usize::from(field.is_some()))?;
        reply.serialize_field("code", self.code())?;
        reply.serialize_field("message", &self.message())?;
        if let Some(field) = field {
            reply.serialize_field("field", field)?;
        }
        reply.end()
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Error::Storage {
            detail: redact(&err.to_string()).into_owned(),
        }
    }
}

/// A time limit in words for a message: "25 seconds", "1 minute", "1 minute 30 seconds",
/// "10 minutes", "2 hours"; 0 (a limit no longer known) reads "its time limit".
pub fn duration_words(seconds: u64) -> String {
    if seconds == 0 {
        return "its time limit".to_owned();
    }
    let parts = [
        (seconds / 3600, "hour"),
        (seconds % 3600 / 60, "minute"),
        (seconds % 60, "second"),
    ];
    parts
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count} {unit}{}", if count == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Results of the core modules.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_code_and_message() {
        let err = Error::SecretMissing {
            client_id: "myapp".into(),
        };
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "secret_missing");
        assert!(json["message"].as_str().unwrap().contains("@myapp"));
        assert_eq!(json.as_object().unwrap().len(), 2);
    }

    #[test]
    fn input_errors_carry_the_key_and_the_message_alone() {
        let problem = "The client id is not an account name: it has 3 to 16 characters.";
        let err = Error::invalid(field::CLIENT_ID, problem);
        assert_eq!(err.to_string(), problem, "no label before the message");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({ "code": "invalid_input", "message": problem, "field": "clientId" })
        );
    }

    #[test]
    fn field_keys_are_unique_and_camel_case() {
        let mut seen = std::collections::HashSet::new();
        for key in field::ALL {
            assert!(seen.insert(key), "{key} is listed twice");
            assert!(
                key.starts_with(|c: char| c.is_ascii_lowercase())
                    && key.chars().all(|c| c.is_ascii_alphanumeric()),
                "{key} is not camelCase"
            );
        }
    }

    #[test]
    fn every_field_holder_in_the_window_names_a_key() {
        let page = include_str!("../ui/index.html");
        let holders: Vec<&str> = page
            .split("data-field=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        for key in [
            field::PRESET,
            field::BASE_URL,
            field::CLIENT_ID,
            field::CLIENT_SECRET,
            field::SCOPES,
            field::REDIRECT_MODE,
            field::ACCOUNT_IDS,
            field::LINK,
            field::WEIGHT,
            field::REPLY_TO,
            field::TITLE,
            field::BODY,
            field::TAGS,
            field::COMMUNITY,
            field::BENEFICIARIES,
            field::MAX_ACCEPTED_PAYOUT,
            field::PERCENT_HBD,
            field::ADDRESS,
        ] {
            assert!(
                holders.contains(&key),
                "no data-field=\"{key}\" in index.html"
            );
        }
        for holder in holders {
            assert!(
                field::ALL.contains(&holder),
                "data-field=\"{holder}\" is no key"
            );
        }
    }

    /// Every code with whether its JSON has a `field`, in the order of the variants. A new
    /// variant fails to compile in [`position`] until it is listed here and in [`one_of_each`].
    const CODES: [(&str, bool); 43] = [
        ("invalid_input", true),
        ("app_not_found", false),
        ("account_not_found", false),
        ("app_exists", false),
        ("secret_missing", false),
        ("keyring_unavailable", false),
        ("keyring_entry_damaged", false),
        ("signin_unknown_state", false),
        ("signin_replayed", false),
        ("signin_expired", false),
        ("signin_cancelled", false),
        ("signin_denied", false),
        ("signin_code_refused", false),
        ("signin_token_refused", false),
        ("signin_answer_invalid", false),
        ("account_mismatch", false),
        ("token_for_other_app", false),
        ("wrong_client_secret", false),
        ("request_may_have_been_sent", false),
        ("client_rejected", false),
        ("oauth_refused", false),
        ("needs_sign_in", false),
        ("provider_unreachable", false),
        ("provider_refused", false),
        ("ip_not_allowed", false),
        ("provider_bad_response", false),
        ("not_permitted", false),
        ("wrong_account", false),
        ("authority_missing", false),
        ("hivesigner_not_granted", false),
        ("chain_refused", false),
        ("provider_failed", false),
        ("node_failure", false),
        ("may_have_been_sent", false),
        ("already_on_chain", false),
        ("too_soon_to_tell", false),
        ("signer_mismatch", false),
        ("chain_unreadable", false),
        ("storage", false),
        ("browser_did_not_open", false),
        ("loopback_unavailable", false),
        ("sandbox_unavailable", false),
        ("internal", false),
    ];

    /// Where `error`'s variant is in [`CODES`]; exhaustive on purpose (no `_` arm).
    fn position(error: &Error) -> usize {
        match error {
            Error::InvalidInput { .. } => 0,
            Error::AppNotFound => 1,
            Error::AccountNotFound => 2,
            Error::AppExists { .. } => 3,
            Error::SecretMissing { .. } => 4,
            Error::KeyringUnavailable { .. } => 5,
            Error::KeyringEntryDamaged { .. } => 6,
            Error::SignInUnknown => 7,
            Error::SignInReplayed => 8,
            Error::SignInExpired { .. } => 9,
            Error::SignInCancelled => 10,
            Error::SignInDenied { .. } => 11,
            Error::SignInCodeRefused { .. } => 12,
            Error::SignInTokenRefused { .. } => 13,
            Error::SignInAnswerInvalid { .. } => 14,
            Error::AccountMismatch { .. } => 15,
            Error::TokenForOtherApp { .. } => 16,
            Error::WrongClientSecret { .. } => 17,
            Error::RequestMaybeSent { .. } => 18,
            Error::ClientRejected { .. } => 19,
            Error::OAuthRefused { .. } => 20,
            Error::NeedsSignIn { .. } => 21,
            Error::ProviderUnreachable { .. } => 22,
            Error::ProviderRefused { .. } => 23,
            Error::IpNotAllowed { .. } => 24,
            Error::ProviderBadResponse { .. } => 25,
            Error::NotPermitted { .. } => 26,
            Error::WrongAccount { .. } => 27,
            Error::AuthorityMissing { .. } => 28,
            Error::HivesignerNotGranted { .. } => 29,
            Error::ChainRefused { .. } => 30,
            Error::ProviderFailed { .. } => 31,
            Error::NodeFailure { .. } => 32,
            Error::MaybeSent { .. } => 33,
            Error::AlreadyOnChain { .. } => 34,
            Error::TooSoonToTell { .. } => 35,
            Error::SignerMismatch { .. } => 36,
            Error::ChainUnreadable { .. } => 37,
            Error::Storage { .. } => 38,
            Error::BrowserDidNotOpen { .. } => 39,
            Error::LoopbackUnavailable { .. } => 40,
            Error::SandboxUnavailable { .. } => 41,
            Error::Internal(_) => 42,
        }
    }

    /// One error of each variant, in the order of [`CODES`].
    fn one_of_each() -> Vec<Error> {
        let text = || "words".to_owned();
        let host = || "hivesigner.com".to_owned();
        vec![
            Error::invalid(field::CLIENT_ID, "The client id is not an account name."),
            Error::AppNotFound,
            Error::AccountNotFound,
            Error::AppExists { client_id: text() },
            Error::SecretMissing { client_id: text() },
            Error::KeyringUnavailable {
                detail: text(),
                failed: "nothing was stored",
            },
            Error::KeyringEntryDamaged { detail: text() },
            Error::SignInUnknown,
            Error::SignInReplayed,
            Error::SignInExpired { seconds: 600 },
            Error::SignInCancelled,
            Error::SignInDenied { provider: host() },
            Error::SignInCodeRefused { reason: text() },
            Error::SignInTokenRefused { reason: text() },
            Error::SignInAnswerInvalid { problem: text() },
            Error::AccountMismatch {
                expected: "alice".into(),
                reported: "bob".into(),
            },
            Error::TokenForOtherApp {
                client_id: "myapp".into(),
                issued_to: "other".into(),
            },
            Error::WrongClientSecret { client_id: text() },
            Error::RequestMaybeSent {
                provider: host(),
                reason: text(),
            },
            Error::ClientRejected {
                provider: host(),
                client_id: text(),
            },
            Error::OAuthRefused {
                provider: host(),
                code: "invalid_scope".into(),
                meaning: text(),
            },
            Error::NeedsSignIn { reason: text() },
            Error::ProviderUnreachable {
                provider: host(),
                reason: text(),
            },
            Error::ProviderRefused {
                provider: host(),
                code: "invalid_request".into(),
                description: text(),
            },
            Error::IpNotAllowed {
                provider: host(),
                description: text(),
            },
            Error::ProviderBadResponse {
                provider: host(),
                problem: text(),
            },
            Error::NotPermitted {
                description: text(),
            },
            Error::WrongAccount {
                description: text(),
            },
            Error::AuthorityMissing {
                account: "alice".into(),
                app: "myapp".into(),
            },
            Error::HivesignerNotGranted { app: text() },
            Error::ChainRefused {
                description: text(),
                advice: text(),
            },
            Error::ProviderFailed {
                provider: host(),
                description: text(),
            },
            Error::NodeFailure {
                provider: host(),
                description: text(),
            },
            Error::MaybeSent {
                provider: host(),
                reason: text(),
            },
            Error::AlreadyOnChain { evidence: text() },
            Error::TooSoonToTell { age: 5, settle: 60 },
            Error::SignerMismatch {
                signer: "alice".into(),
                named: "bob".into(),
            },
            Error::ChainUnreadable { nodes: text() },
            Error::Storage { detail: text() },
            Error::BrowserDidNotOpen { detail: text() },
            Error::LoopbackUnavailable { detail: text() },
            Error::SandboxUnavailable { reason: text() },
            Error::Internal(text()),
        ]
    }

    #[test]
    fn every_error_code_and_its_json_is_pinned() {
        let errors = one_of_each();
        assert_eq!(errors.len(), CODES.len(), "one error per variant");
        let mut codes = std::collections::HashSet::new();
        for (index, error) in errors.iter().enumerate() {
            assert_eq!(position(error), index, "{error:?} is out of order");
            let (code, has_field) = CODES[index];
            assert!(codes.insert(error.code()), "{code} is used twice");
            let mut expected = serde_json::json!({ "code": code, "message": error.message() });
            if has_field {
                expected["field"] = "clientId".into();
            }
            assert_eq!(serde_json::to_value(error).unwrap(), expected, "{error:?}");
        }
    }

    #[test]
    fn time_limits_read_in_the_units_that_fit() {
        for (seconds, words) in [
            (25, "25 seconds"),
            (60, "1 minute"),
            (90, "1 minute 30 seconds"),
            (600, "10 minutes"),
            (1, "1 second"),
            (3_600, "1 hour"),
            (7_260, "2 hours 1 minute"),
            (0, "its time limit"),
        ] {
            assert_eq!(duration_words(seconds), words, "{seconds} s");
        }
        let message = Error::SignInExpired { seconds: 25 }.message();
        assert!(
            message.contains("took longer than 25 seconds and"),
            "{message}"
        );
        assert!(!message.contains("0 minutes"), "{message}");
    }

    #[test]
    fn messages_are_redacted_even_if_a_provider_quoted_a_token() {
        let err = Error::ProviderRefused {
            provider: "hivesigner.com".into(),
            code: "invalid_grant".into(),
            description: "bad token eyJzaWduZWRfbWVzc2FnZSI6eyJ0eXBlIjoiY29kZSJ9fQ..".into(),
        };
        assert!(!err.message().contains("eyJ"), "{}", err.message());
    }
}
