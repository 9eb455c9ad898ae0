//! The one error type the window sees: a stable `code` and a plain-words `message` saying what
//! went wrong and what to do. No variant carries a token, code or secret; provider texts are
//! passed through [`crate::redact::redact`] before they are kept.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::redact::redact;

/// Everything that can go wrong in a command, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A field of the person's input is wrong.
    #[error("{field}: {problem}")]
    InvalidInput {
        /// Which field (as the form names it).
        field: &'static str,
        /// What is wrong and what would be right.
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
            Error::SignInAnswerInvalid { .. } => "signin_answer_invalid",
            Error::AccountMismatch { .. } => "account_mismatch",
            Error::TokenForOtherApp { .. } => "token_for_other_app",
            Error::WrongClientSecret { .. } => "wrong_client_secret",
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
            Error::Internal(_) => "internal",
        }
    }

    /// An input error for `field`.
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

/// `{code, message}`, plus `field` for input errors so a form can show the message at the
/// field it is about.
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
        let input = serde_json::to_value(Error::invalid("client id", "too short")).unwrap();
        assert_eq!(input["field"], "client id");
        assert_eq!(input["message"], "client id: too short");
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
