//! Starting a sign-in: the authorize URL, a fresh random `state`, and the attempts waiting for
//! their redirect, each with a deadline (a cancelled consent sends nothing back).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Mutex;

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl, Scope};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::apps::{AppId, Flow, Scopes};
use crate::clock::UnixSeconds;
use crate::error::{Error, Result};
use crate::provider::Provider;

/// Random bytes in a `state`: 256 bits, well above the 128 required.
pub const STATE_BYTES: u32 = 32;

/// How many ended attempts are remembered, to tell a replay or a late answer from a forgery.
const REMEMBERED_ENDINGS: usize = 64;

/// A sign-in attempt's id, shown to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttemptId(pub u64);

/// A sign-in waiting for the provider's redirect.
#[derive(Clone)]
pub struct Attempt {
    /// Its id.
    pub id: AttemptId,
    /// The app signing in.
    pub app_id: AppId,
    /// The `state` sent to the provider.
    pub state: String,
    /// The redirect URI sent to the provider.
    pub redirect_uri: String,
    /// Code or implicit.
    pub flow: Flow,
    /// The PKCE code verifier (OAuth 2.0 servers), sent only to the token endpoint.
    pub pkce_verifier: Option<secrecy::SecretString>,
    /// The account being signed in again, whose name the answer must carry.
    pub expected_username: Option<String>,
    /// When it started.
    pub started_at: UnixSeconds,
    /// After this, the answer is refused.
    pub deadline: UnixSeconds,
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("id", &self.id)
            .field("app_id", &self.app_id)
            .field("flow", &self.flow)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Attempt {
    /// The error for an answer that came after this attempt's deadline: it names the limit.
    pub(crate) fn expired_error(&self) -> Error {
        Error::SignInExpired {
            seconds: u64::try_from(self.deadline.saturating_sub(self.started_at)).unwrap_or(0),
        }
    }
}

/// A fresh random `state` (URL-safe base64 of [`STATE_BYTES`] random bytes).
pub fn new_state() -> String {
    CsrfToken::new_random_len(STATE_BYTES).secret().clone()
}

/// The provider's consent page for this app and attempt: `client_id`, `redirect_uri`,
/// `scope`, `state`, and `response_type=code` for the code flow (`token` otherwise, which
/// Hivesigner treats as implicit).
pub fn authorize_url(
    provider: &Provider,
    client_id: &str,
    scopes: Scopes,
    redirect_uri: &str,
    state: &str,
) -> Result<Url> {
    let auth_url = AuthUrl::from_url(provider.authorize_endpoint());
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| Error::Internal(format!("bad redirect URI {redirect_uri}")))?;
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect);
    let request = client
        .authorize_url(|| CsrfToken::new(state.to_owned()))
        .add_scope(Scope::new(scopes.request_string()));
    let request = match scopes.flow() {
        Flow::Code => request,
        Flow::Implicit => request.use_implicit_flow(),
    };
    Ok(request.url().0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Used,
    Expired,
    Cancelled,
}

#[derive(Default)]
struct Book {
    pending: HashMap<String, Attempt>,
    ended: VecDeque<(String, Ending)>,
    last_id: u64,
}

impl Book {
    fn remember(&mut self, state: String, ending: Ending) {
        if self.ended.len() == REMEMBERED_ENDINGS {
            self.ended.pop_front();
        }
        self.ended.push_back((state, ending));
    }
}

/// The attempts waiting for a redirect, and the recently ended ones.
#[derive(Default)]
pub struct PendingAttempts {
    book: Mutex<Book>,
}

impl PendingAttempts {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new attempt id.
    pub fn next_id(&self) -> AttemptId {
        let mut book = self.book();
        book.last_id += 1;
        AttemptId(book.last_id)
    }

    /// Starts waiting for `attempt`'s redirect.
    pub fn insert(&self, attempt: Attempt) {
        self.book().pending.insert(attempt.state.clone(), attempt);
    }

    /// Starts waiting for `attempt`'s redirect unless another attempt waits under the same
    /// key (a sign-in without `state` is keyed by its redirect URI: only one may wait there).
    /// Returns whether it was inserted.
    pub fn insert_alone(&self, attempt: Attempt) -> bool {
        let mut book = self.book();
        if book.pending.contains_key(&attempt.state) {
            return false;
        }
        book.pending.insert(attempt.state.clone(), attempt);
        true
    }

    /// Takes the attempt a redirect with `state` answers. Each state works once; the error
    /// tells a replay, a late answer and a cancelled attempt from a state never issued.
    pub fn claim(&self, state: &str, now: UnixSeconds) -> Result<Attempt> {
        let mut book = self.book();
        if let Some(attempt) = book.pending.remove(state) {
            if now > attempt.deadline {
                book.remember(attempt.state.clone(), Ending::Expired);
                return Err(attempt.expired_error());
            }
            book.remember(attempt.state.clone(), Ending::Used);
            return Ok(attempt);
        }
        let ending = book
            .ended
            .iter()
            .find(|(ended, _)| ended == state)
            .map(|(_, ending)| *ending);
        Err(match ending {
            Some(Ending::Used) => Error::SignInReplayed,
            Some(Ending::Expired) => Error::SignInExpired { seconds: 0 },
            Some(Ending::Cancelled) => Error::SignInCancelled,
            None => Error::SignInUnknown,
        })
    }

    /// Ends the attempt `id` as cancelled; returns it if it was waiting.
    pub fn cancel(&self, id: AttemptId) -> Option<Attempt> {
        self.end_where(|attempt| attempt.id == id, Ending::Cancelled)
            .pop()
    }

    /// Ends the attempt `id` as timed out; returns it if it was waiting.
    pub fn expire(&self, id: AttemptId) -> Option<Attempt> {
        self.end_where(|attempt| attempt.id == id, Ending::Expired)
            .pop()
    }

    /// Whether attempt `id` is still waiting.
    pub fn is_pending(&self, id: AttemptId) -> bool {
        self.book().pending.values().any(|attempt| attempt.id == id)
    }

    fn end_where(&self, ends: impl Fn(&Attempt) -> bool, ending: Ending) -> Vec<Attempt> {
        let mut book = self.book();
        let states: Vec<String> = book
            .pending
            .values()
            .filter(|attempt| ends(attempt))
            .map(|attempt| attempt.state.clone())
            .collect();
        states
            .into_iter()
            .filter_map(|state| {
                let attempt = book.pending.remove(&state)?;
                book.remember(state, ending);
                Some(attempt)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Preset;

    fn scopes(names: &[&str]) -> Scopes {
        Scopes::parse(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn query(url: &Url) -> HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn code_flow_url_has_exactly_the_documented_parameters() {
        let provider = Provider::new(Preset::Hivesigner, None).unwrap();
        let url = authorize_url(
            &provider,
            "myapp",
            scopes(&["posting", "offline"]),
            "http://127.0.0.1:41234/callback",
            "S",
        )
        .unwrap();
        assert!(url
            .as_str()
            .starts_with("https://hivesigner.com/oauth2/authorize?"));
        let query = query(&url);
        assert_eq!(query["client_id"], "myapp");
        assert_eq!(query["redirect_uri"], "http://127.0.0.1:41234/callback");
        assert_eq!(query["scope"], "posting,offline");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["state"], "S");
        assert_eq!(query.len(), 5);
        assert!(url
            .as_str()
            .contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A41234%2Fcallback"));
    }

    #[test]
    fn implicit_flow_does_not_ask_for_a_code() {
        let provider = Provider::new(Preset::SteemLogin, None).unwrap();
        let url = authorize_url(
            &provider,
            "myapp",
            scopes(&["login"]),
            "authdeck://callback",
            "S",
        )
        .unwrap();
        assert_ne!(query(&url)["response_type"], "code");
        assert_eq!(query(&url)["scope"], "login");
    }

    #[test]
    fn states_are_long_random_and_url_safe() {
        let (a, b) = (new_state(), new_state());
        assert_ne!(a, b);
        assert!(a.len() >= 43, "{a}");
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    fn attempt(attempts: &PendingAttempts, state: &str, deadline: UnixSeconds) -> Attempt {
        let attempt = Attempt {
            id: attempts.next_id(),
            app_id: AppId(1),
            state: state.into(),
            redirect_uri: "authdeck://callback".into(),
            flow: Flow::Code,
            pkce_verifier: None,
            expected_username: None,
            started_at: deadline - 600,
            deadline,
        };
        attempts.insert(attempt.clone());
        attempt
    }

    #[test]
    fn each_state_is_claimed_once_and_endings_are_told_apart() {
        let attempts = PendingAttempts::default();
        attempt(&attempts, "good", 1_000);
        assert!(attempts.claim("good", 999).is_ok());
        assert_eq!(
            attempts.claim("good", 999).unwrap_err(),
            Error::SignInReplayed
        );
        assert_eq!(
            attempts.claim("forged", 999).unwrap_err(),
            Error::SignInUnknown
        );

        attempt(&attempts, "late", 1_000);
        assert_eq!(
            attempts.claim("late", 1_001).unwrap_err(),
            Error::SignInExpired { seconds: 600 }
        );

        let cancelled = attempt(&attempts, "cancelled", 1_000);
        assert!(attempts.is_pending(cancelled.id));
        assert_eq!(
            attempts.cancel(cancelled.id).map(|a| a.id),
            Some(cancelled.id)
        );
        assert!(!attempts.is_pending(cancelled.id));
        assert_eq!(
            attempts.claim("cancelled", 10).unwrap_err(),
            Error::SignInCancelled
        );
    }

    #[test]
    fn timed_out_attempts_end_alone() {
        let attempts = PendingAttempts::default();
        let old = attempt(&attempts, "old", 100);
        let other = attempt(&attempts, "other", 100);
        assert_eq!(attempts.expire(old.id).map(|a| a.id), Some(old.id));
        assert!(attempts.expire(old.id).is_none());
        assert!(attempts.is_pending(other.id));
        assert!(matches!(
            attempts.claim("old", 50),
            Err(Error::SignInExpired { .. })
        ));
    }
}
