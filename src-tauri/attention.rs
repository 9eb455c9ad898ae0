//! Attention without the window: which accounts to tell the person about through a desktop
//! notification, and when. An account is worth a notification when it needs a sign-in, or
//! when its token runs out within a day and it has no refresh token (Authdeck cannot renew
//! it by itself). Each account is told about once per state: not again while it stays in that
//! state, again once it left it and came back (or moved to the other state).
//!
//! This module only decides ([`Tracker`], pure logic over account views, "now" and what was
//! already told) and hands the messages to a [`Notifier`]; the Tauri shell delivers them
//! through the notification plugin, and tests install a [`RecordedNotifications`] instead.
//! The checks run on every "accounts changed" event and every [`CHECK_INTERVAL`] (expiry
//! moves with the clock, not with events).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::accounts::{AccountId, AccountView, Health};
use crate::apps::Flow;
use crate::clock::UnixSeconds;

/// A token without refresh that runs out within this many seconds is worth a notification.
pub const RUNS_OUT_WITHIN_SECONDS: i64 = 24 * 60 * 60;

/// How often the accounts are looked at when nothing changed (a token nears its end by the
/// clock alone).
pub const CHECK_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// More alerts than this in one check become one summary notification.
pub const MAX_SINGLE_NOTIFICATIONS: usize = 3;

/// Why an account needs the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// It needs a sign-in: the provider refused the grant, or its token ran out without a
    /// refresh token.
    SignIn,
    /// Its token runs out within [`RUNS_OUT_WITHIN_SECONDS`] and cannot be refreshed.
    RunsOutSoon,
}

/// What `view` needs from the person at `now`, if anything.
pub fn need_of(view: &AccountView, now: UnixSeconds) -> Option<Need> {
    let account = &view.account;
    if account.health == Health::NeedsSignIn {
        return Some(Need::SignIn);
    }
    // Only a token without refresh runs out for good; the refresher renews the others.
    if account.flow != Flow::Implicit {
        return None;
    }
    let expires_at = account.expires_at?;
    if now >= expires_at {
        Some(Need::SignIn)
    } else if expires_at - now <= RUNS_OUT_WITHIN_SECONDS {
        Some(Need::RunsOutSoon)
    } else {
        None
    }
}

/// One account that needs the person, as a check found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// The account.
    pub account_id: AccountId,
    /// Its name.
    pub username: String,
    /// The app it authorized, as people name it (`@myapp`, or an OAuth 2.0 client id).
    pub app: String,
    /// The provider, in words.
    pub provider_label: String,
    /// What it needs.
    pub need: Need,
    /// When its token runs out (for [`Need::RunsOutSoon`]).
    pub expires_at: Option<UnixSeconds>,
    /// Seconds left at the check (for [`Need::RunsOutSoon`]).
    pub seconds_left: Option<i64>,
    /// What went wrong, in the provider's or Authdeck's words (for [`Need::SignIn`]).
    pub detail: Option<String>,
}

impl Alert {
    fn new(view: &AccountView, need: Need, now: UnixSeconds) -> Self {
        let account = &view.account;
        let signer = matches!(view.provider_kind, "hivesigner" | "steemconnect");
        let app = if signer {
            format!("@{}", view.app_client_id)
        } else {
            view.app_client_id.clone()
        };
        let runs_out = need == Need::RunsOutSoon;
        Self {
            account_id: account.id,
            username: account.username.clone(),
            app,
            provider_label: view.provider_label.to_owned(),
            need,
            expires_at: account.expires_at.filter(|_| runs_out),
            seconds_left: account.expires_at.filter(|_| runs_out).map(|at| at - now),
            detail: account.health_detail.clone().filter(|_| !runs_out),
        }
    }
}

/// A notification to show: its words, and the account a click on it shows in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The account to show when the notification is clicked (the first of a summary).
    pub account_id: AccountId,
    /// The notification's title.
    pub title: String,
    /// Its text.
    pub body: String,
    /// The alerts it tells about (one, or several for a summary).
    pub alerts: Vec<Alert>,
}

/// "about 5 hours", "about 40 minutes", "less than a minute".
pub fn time_left_words(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    let hours = (seconds.max(0) + 30 * 60) / 3600;
    if minutes < 1 {
        "less than a minute".into()
    } else if minutes < 60 {
        format!("about {minutes} minute{}", plural(minutes))
    } else {
        format!("about {hours} hour{}", plural(hours))
    }
}

fn plural(count: i64) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// The notification for one alert.
pub fn message_for(alert: &Alert) -> Message {
    let who = format!("@{}", alert.username);
    let (title, body) = match alert.need {
        Need::SignIn => {
            let why = alert
                .detail
                .as_deref()
                .map(|detail| format!(" {}", sentence(detail)))
                .unwrap_or_default();
            (
                format!("{who} needs to sign in again"),
                format!(
                    "Authdeck can no longer use {who}'s authorization of {} at {}.{why} Open Authdeck and choose \u{201c}Sign in again\u{201d}.",
                    alert.app, alert.provider_label
                ),
            )
        }
        Need::RunsOutSoon => (
            format!("{who}'s sign-in runs out soon"),
            format!(
                "The token {who} gave {} at {} runs out in {} and cannot be refreshed. Sign in again before then to keep using it.",
                alert.app,
                alert.provider_label,
                time_left_words(alert.seconds_left.unwrap_or_default())
            ),
        ),
    };
    Message {
        account_id: alert.account_id,
        title,
        body,
        alerts: vec![alert.clone()],
    }
}

/// `text` as a sentence: a capital first, a full stop last.
fn sentence(text: &str) -> String {
    let text = sentence_case(text.trim());
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        format!("{text}.")
    }
}

/// The notifications for the alerts of one check: one each, or one summary when there are
/// more than [`MAX_SINGLE_NOTIFICATIONS`] (a click shows the most urgent account).
pub fn messages_for(alerts: &[Alert]) -> Vec<Message> {
    if alerts.len() <= MAX_SINGLE_NOTIFICATIONS {
        return alerts.iter().map(message_for).collect();
    }
    let mut ordered = alerts.to_vec();
    ordered.sort_by_key(|alert| (alert.need != Need::SignIn, alert.seconds_left));
    let sign_in = ordered.iter().filter(|a| a.need == Need::SignIn).count();
    let soon = ordered.len() - sign_in;
    let mut parts = Vec::new();
    if sign_in > 0 {
        parts.push(format!(
            "{sign_in} need{} to sign in again",
            if sign_in == 1 { "s" } else { "" }
        ));
    }
    if soon > 0 {
        parts.push(format!(
            "{soon} run{} out within a day without refresh",
            if soon == 1 { "s" } else { "" }
        ));
    }
    let names: Vec<String> = ordered.iter().map(|a| format!("@{}", a.username)).collect();
    vec![Message {
        account_id: ordered[0].account_id,
        title: format!("{} accounts need your attention", ordered.len()),
        body: format!(
            "{}: {}.",
            sentence_case(&parts.join(", ")),
            names.join(", ")
        ),
        alerts: ordered,
    }]
}

fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What was already told, per account: the pure part of the checks.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    told: HashMap<AccountId, Need>,
}

impl Tracker {
    /// The alerts `accounts` raise at `now` that were not told yet. Remembers them, and
    /// forgets accounts that no longer need anything (or are gone), so they are told again
    /// when they come back. An account in the middle of a refresh keeps what it was told (a
    /// retry of a refused grant passes through "refreshing" on its way back to "needs
    /// sign-in", which is no new state).
    pub fn check(&mut self, accounts: &[AccountView], now: UnixSeconds) -> Vec<Alert> {
        let mut needs = HashMap::new();
        let mut alerts = Vec::new();
        for view in accounts {
            let id = view.account.id;
            if view.account.health == Health::Refreshing {
                if let Some(told) = self.told.get(&id) {
                    needs.insert(id, *told);
                }
                continue;
            }
            let Some(need) = need_of(view, now) else {
                continue;
            };
            if self.told.get(&id) != Some(&need) {
                alerts.push(Alert::new(view, need, now));
            }
            needs.insert(id, need);
        }
        self.told = needs;
        alerts
    }

    /// What each account was last told.
    pub fn told(&self, id: AccountId) -> Option<Need> {
        self.told.get(&id).copied()
    }
}

/// Where notifications go: the desktop's notification server in the app, a recorder in tests.
pub trait Notifier: Send + Sync {
    /// Shows `message` (best effort: a desktop without a notification server is no error).
    fn notify(&self, message: &Message);
}

/// Keeps every notification, for tests (install it as the app's notifier).
#[derive(Debug, Default)]
pub struct RecordedNotifications(Mutex<Vec<Message>>);

impl RecordedNotifications {
    /// The notifications so far, oldest first.
    pub fn all(&self) -> Vec<Message> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Notifier for RecordedNotifications {
    fn notify(&self, message: &Message) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message.clone());
    }
}

/// The checks with their memory and where they deliver: one per app, shared by the event
/// listener, the periodic check and anyone who asks for a check.
pub struct Attention {
    tracker: Mutex<Tracker>,
    notifier: Arc<dyn Notifier>,
}

impl Attention {
    /// Checks that deliver to `notifier`, with nothing told yet.
    pub fn new(notifier: Arc<dyn Notifier>) -> Self {
        Self {
            tracker: Mutex::new(Tracker::default()),
            notifier,
        }
    }

    /// One check of `accounts` at `now`: delivers the notifications for what was not told
    /// yet and returns them.
    pub fn check(&self, accounts: &[AccountView], now: UnixSeconds) -> Vec<Message> {
        let messages = {
            let mut tracker = self.tracker.lock().unwrap_or_else(|p| p.into_inner());
            messages_for(&tracker.check(accounts, now))
        };
        for message in &messages {
            tracing::info!(
                account = message.account_id.0,
                alerts = message.alerts.len(),
                "an account needs attention: notifying"
            );
            self.notifier.notify(message);
        }
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Account;
    use crate::apps::AppId;

    const NOW: UnixSeconds = 1_800_000_000;
    const HOUR: i64 = 3600;

    fn view(id: i64, flow: Flow, expires_in: Option<i64>, health: Health) -> AccountView {
        AccountView {
            account: Account {
                id: AccountId(id),
                app_id: AppId(1),
                username: format!("user{id}"),
                scopes: vec!["vote".into()],
                flow,
                issued_at: NOW - HOUR,
                expires_at: expires_in.map(|left| NOW + left),
                health,
                health_detail: (health == Health::NeedsSignIn)
                    .then(|| "the provider refused the grant".into()),
                added_at: NOW - HOUR,
            },
            app_client_id: "myapp".into(),
            provider_label: "Hivesigner",
            provider_kind: "hivesigner",
            broadcasts: true,
            sandbox: false,
        }
    }

    #[test]
    fn what_an_account_needs() {
        let fresh_code = view(1, Flow::Code, Some(HOUR), Health::Fresh);
        assert_eq!(need_of(&fresh_code, NOW), None, "the refresher renews it");
        let refused = view(2, Flow::Code, Some(HOUR * 100), Health::NeedsSignIn);
        assert_eq!(need_of(&refused, NOW), Some(Need::SignIn));
        let implicit_far = view(3, Flow::Implicit, Some(2 * 24 * HOUR), Health::Fresh);
        assert_eq!(need_of(&implicit_far, NOW), None);
        let implicit_day = view(4, Flow::Implicit, Some(24 * HOUR), Health::Fresh);
        assert_eq!(need_of(&implicit_day, NOW), Some(Need::RunsOutSoon));
        let implicit_ran_out = view(5, Flow::Implicit, Some(-1), Health::Fresh);
        assert_eq!(need_of(&implicit_ran_out, NOW), Some(Need::SignIn));
        let no_expiry = view(6, Flow::Implicit, None, Health::Fresh);
        assert_eq!(need_of(&no_expiry, NOW), None);
        let unreachable = view(
            7,
            Flow::Implicit,
            Some(48 * HOUR),
            Health::ProviderUnreachable,
        );
        assert_eq!(need_of(&unreachable, NOW), None);
    }

    #[test]
    fn each_account_is_told_once_per_state() {
        let mut tracker = Tracker::default();
        let mut accounts = vec![
            view(1, Flow::Code, Some(HOUR), Health::NeedsSignIn),
            view(2, Flow::Implicit, Some(5 * HOUR), Health::Fresh),
            view(3, Flow::Code, Some(HOUR), Health::Fresh),
        ];
        let first = tracker.check(&accounts, NOW);
        let told: Vec<_> = first.iter().map(|a| (a.account_id.0, a.need)).collect();
        assert_eq!(told, [(1, Need::SignIn), (2, Need::RunsOutSoon)]);
        assert_eq!(first[1].seconds_left, Some(5 * HOUR));
        assert!(tracker.check(&accounts, NOW + 60).is_empty(), "not again");

        // Account 2 runs out: another state, told again.
        let later = tracker.check(&accounts, NOW + 5 * HOUR);
        let told: Vec<_> = later.iter().map(|a| (a.account_id.0, a.need)).collect();
        assert_eq!(told, [(2, Need::SignIn)]);

        // Account 1 signs in again (fresh), then needs a sign-in once more: told again.
        accounts[0].account.health = Health::Fresh;
        assert!(tracker.check(&accounts, NOW + 5 * HOUR).is_empty());
        assert_eq!(tracker.told(AccountId(1)), None);
        accounts[0].account.health = Health::NeedsSignIn;
        let again = tracker.check(&accounts, NOW + 5 * HOUR);
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].account_id, AccountId(1));

        // A retry of the refused grant passes through "refreshing": nothing new.
        accounts[0].account.health = Health::Refreshing;
        assert!(tracker.check(&accounts, NOW + 5 * HOUR).is_empty());
        accounts[0].account.health = Health::NeedsSignIn;
        assert!(tracker.check(&accounts, NOW + 5 * HOUR).is_empty());

        // A removed account is forgotten.
        accounts.remove(1);
        assert!(tracker.check(&accounts, NOW + 5 * HOUR).is_empty());
        assert_eq!(tracker.told(AccountId(2)), None);
    }

    #[test]
    fn messages_say_who_what_and_what_to_do() {
        let mut tracker = Tracker::default();
        let alerts = tracker.check(
            &[
                view(1, Flow::Code, Some(HOUR), Health::NeedsSignIn),
                view(2, Flow::Implicit, Some(5 * HOUR), Health::Fresh),
            ],
            NOW,
        );
        let messages = messages_for(&alerts);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].title, "@user1 needs to sign in again");
        assert!(
            messages[0]
                .body
                .contains("@myapp at Hivesigner. The provider refused the grant."),
            "{}",
            messages[0].body
        );
        assert_eq!(messages[1].title, "@user2's sign-in runs out soon");
        assert!(
            messages[1].body.contains("runs out in about 5 hours"),
            "{}",
            messages[1].body
        );
        assert_eq!(messages[1].account_id, AccountId(2));
    }

    #[test]
    fn many_alerts_become_one_summary_pointing_at_the_most_urgent() {
        let mut tracker = Tracker::default();
        let accounts: Vec<_> = (1..=4)
            .map(|id| view(id, Flow::Implicit, Some(id * HOUR), Health::Fresh))
            .chain([view(9, Flow::Code, None, Health::NeedsSignIn)])
            .collect();
        let messages = messages_for(&tracker.check(&accounts, NOW));
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].title, "5 accounts need your attention");
        assert_eq!(messages[0].account_id, AccountId(9));
        assert_eq!(
            messages[0].body,
            "1 needs to sign in again, 4 run out within a day without refresh: @user9, @user1, @user2, @user3, @user4."
        );
    }

    #[test]
    fn time_left_in_words() {
        assert_eq!(time_left_words(20), "less than a minute");
        assert_eq!(time_left_words(60), "about 1 minute");
        assert_eq!(time_left_words(40 * 60), "about 40 minutes");
        assert_eq!(time_left_words(HOUR + 10 * 60), "about 1 hour");
        assert_eq!(time_left_words(23 * HOUR + 40 * 60), "about 24 hours");
    }

    #[test]
    fn attention_delivers_what_it_decided() {
        let recorded = Arc::new(RecordedNotifications::default());
        let attention = Attention::new(recorded.clone());
        let accounts = [view(1, Flow::Code, Some(HOUR), Health::NeedsSignIn)];
        assert_eq!(attention.check(&accounts, NOW).len(), 1);
        assert!(attention.check(&accounts, NOW).is_empty());
        assert_eq!(recorded.all().len(), 1);
    }
}
