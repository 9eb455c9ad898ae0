//! [`ScriptTokens`]: access tokens for scripts on this computer, as `gh auth token` hands out
//! GitHub's: which account a request names ([`Selector`], [`select`]), whether its app lets
//! scripts in ([`ScriptAccess`]: off until the person allows it on the app's card), the
//! person's yes in the window when the app asks for one ([`Prompter`]), the fresh token
//! (through [`Tokens`], so a due refresh happens first, once), and an activity log entry for
//! every token handed out: who asked ([`Caller`]: process id and executable, as the session bus
//! or the command itself knows them), when, and which account; never the token.
//!
//! The running app answers over the session bus ([`crate::bus`]); with no app running,
//! `authdeck token` asks this service in its own process ([`crate::cli`]). It then has no
//! window to confirm in: an app that asks each time refuses until Authdeck runs.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::accounts::{Account, AccountId};
use crate::activity::{ActivityEntry, ActivityId, Outcome, Sender, SCRIPT_TOKEN_KIND};
use crate::apps::{App, ScriptAccess};
use crate::error::{duration_words, Error};
use crate::events::AppEvent;
use crate::provider::Protocol;
use crate::shared::Shared;
use crate::tokens::Tokens;

/// How long a request waits for the person's answer in the window.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(60);

/// The words of the app card's switch, quoted by the refusal that points at it.
pub const ALLOW_LABEL: &str = "Let scripts on this computer use tokens of this app";

/// Which account a script asks for: its name, and the app and provider when the name alone
/// does not tell (`authdeck token alice --app myapp --provider hivesigner`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// The account name (`alice` or `@alice`).
    pub account: String,
    /// The app's client id (`myapp` or `@myapp`).
    pub app: Option<String>,
    /// The provider: a preset's id or name (`hivesigner`, `SteemLogin`), its base URL, or its
    /// host (with the port, if it has one).
    pub provider: Option<String>,
}

impl Selector {
    /// The account `name`, of any app and provider.
    pub fn account(name: &str) -> Self {
        Self {
            account: name.to_owned(),
            ..Self::default()
        }
    }

    fn names(&self, account: &Account) -> bool {
        bare(&self.account).eq_ignore_ascii_case(&account.username)
    }

    fn takes(&self, account: &Account, app: &App) -> bool {
        self.names(account)
            && self
                .app
                .as_deref()
                .is_none_or(|wanted| bare(wanted) == app.client_id)
            && self
                .provider
                .as_deref()
                .is_none_or(|wanted| provider_matches(wanted, app))
    }
}

/// `name` without spaces around it and without a leading `@`.
fn bare(name: &str) -> &str {
    let name = name.trim();
    name.strip_prefix('@').unwrap_or(name)
}

/// Whether `wanted` names `app`'s provider: its preset's id or name, its base URL, or its host
/// (`host:port` when the URL has a port).
fn provider_matches(wanted: &str, app: &App) -> bool {
    let wanted = wanted.trim();
    let preset = app.provider.preset();
    let base = app.provider.base_url();
    if wanted.eq_ignore_ascii_case(preset.id())
        || wanted.eq_ignore_ascii_case(preset.label())
        || wanted.trim_end_matches('/') == base
    {
        return true;
    }
    let Ok(url) = url::Url::parse(base) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    match url.port() {
        Some(port) => wanted.eq_ignore_ascii_case(&format!("{host}:{port}")),
        None => wanted.eq_ignore_ascii_case(host),
    }
}

/// An app as people name it: `@myapp` on the signer kinds (an account name), the client id
/// as it is elsewhere.
pub fn app_words(app: &App) -> String {
    match app.provider.protocol() {
        Protocol::Hivesigner | Protocol::SteemconnectV2 => format!("@{}", app.client_id),
        Protocol::OAuth2 | Protocol::TokenSite => app.client_id.clone(),
    }
}

/// Why a script got no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptError {
    /// The app does not let scripts in, or the person declined (or did not answer), or the
    /// confirmation needs the running app.
    NotAllowed(String),
    /// No account matches.
    NoMatch(String),
    /// Several accounts match; the message lists them and the flags that pick one.
    Ambiguous(String),
    /// The token could not be had (needs a sign-in, keyring locked, ...).
    Failed(Error),
}

impl ScriptError {
    /// What happened and what to do, in plain words (never a token).
    pub fn message(&self) -> String {
        match self {
            ScriptError::NotAllowed(message)
            | ScriptError::NoMatch(message)
            | ScriptError::Ambiguous(message) => message.clone(),
            ScriptError::Failed(err) => err.message(),
        }
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl From<Error> for ScriptError {
    fn from(err: Error) -> Self {
        ScriptError::Failed(err)
    }
}

/// The account `selector` names among `candidates` (each account with its app), or why there
/// is none or more than one.
pub fn select<'a>(
    candidates: &'a [(Account, App)],
    selector: &Selector,
) -> Result<&'a (Account, App), ScriptError> {
    let name = bare(&selector.account);
    if name.is_empty() {
        return Err(ScriptError::NoMatch(
            "Name the account: authdeck token <account>.".into(),
        ));
    }
    let matching: Vec<&(Account, App)> = candidates
        .iter()
        .filter(|(account, app)| selector.takes(account, app))
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => {
            let named: Vec<&(Account, App)> = candidates
                .iter()
                .filter(|(account, _)| selector.names(account))
                .collect();
            if named.is_empty() {
                let known: Vec<String> = candidates
                    .iter()
                    .map(|(account, app)| format!("@{} ({})", account.username, where_words(app)))
                    .collect();
                return Err(ScriptError::NoMatch(if known.is_empty() {
                    format!("There is no account @{name} in Authdeck: it has no accounts yet. Add one in the Authdeck window first.")
                } else {
                    format!(
                        "There is no account @{name} in Authdeck. Its accounts: {}.",
                        known.join(", ")
                    )
                }));
            }
            Err(ScriptError::NoMatch(format!(
                "@{name} is in Authdeck, but not {}. Its accounts named @{name}:\n{}",
                filter_words(selector),
                pick_lines(&named)
            )))
        }
        several => Err(ScriptError::Ambiguous(format!(
            "@{name} has {} accounts in Authdeck; say which one:\n{}",
            several.len(),
            pick_lines(several)
        ))),
    }
}

/// "app @myapp at Hivesigner (https://hivesigner.com)".
fn where_words(app: &App) -> String {
    format!(
        "app {} at {} ({})",
        app_words(app),
        app.provider.preset().label(),
        app.provider.base_url()
    )
}

/// "with --app x and --provider y".
fn filter_words(selector: &Selector) -> String {
    let mut words = Vec::new();
    if let Some(app) = &selector.app {
        words.push(format!("--app {app}"));
    }
    if let Some(provider) = &selector.provider {
        words.push(format!("--provider {provider}"));
    }
    format!("with {}", words.join(" and "))
}

/// One line per account: the command that picks it, and where it is.
fn pick_lines(accounts: &[&(Account, App)]) -> String {
    accounts
        .iter()
        .map(|(account, app)| {
            let same_app = accounts
                .iter()
                .filter(|(_, other)| other.client_id == app.client_id)
                .count();
            let mut command = format!(
                "authdeck token {} --app {}",
                account.username, app.client_id
            );
            if same_app > 1 {
                command.push_str(&format!(" --provider {}", app.provider.base_url()));
            }
            format!("  {command}    ({})", where_words(app))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A process, as far as Authdeck can tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessInfo {
    /// Its process id.
    pub pid: u32,
    /// The name of its executable, when it can be read.
    pub executable: Option<String>,
}

impl ProcessInfo {
    /// Process `pid`, with its executable's name when the system tells it.
    pub fn of(pid: u32) -> Self {
        Self {
            pid,
            executable: executable_of(pid),
        }
    }
}

impl fmt::Display for ProcessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.executable {
            Some(name) => write!(f, "{name} (pid {})", self.pid),
            None => write!(f, "pid {}", self.pid),
        }
    }
}

/// How a request reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Over the session bus, to the running app.
    SessionBus,
    /// `authdeck token` itself, with no app running.
    Command,
}

/// Who asked for a token: the asking process (as the session bus vouches for it, or the
/// command itself) and the process that started it (usually the script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    /// How the request came.
    pub route: Route,
    /// The asking process, if known.
    pub process: Option<ProcessInfo>,
    /// The process that started it, if known.
    pub parent: Option<ProcessInfo>,
}

impl Caller {
    /// Process `pid` (as the bus reported it) and its parent.
    pub fn process(pid: Option<u32>, route: Route) -> Self {
        Self {
            route,
            process: pid.map(ProcessInfo::of),
            parent: pid.and_then(parent_of).map(ProcessInfo::of),
        }
    }

    /// This process (`authdeck token` with no app running) and the one that started it.
    pub fn this_process() -> Self {
        Self::process(Some(std::process::id()), Route::Command)
    }

    /// "authdeck (pid 42), started by python3 (pid 41), over the session bus".
    pub fn words(&self) -> String {
        let who = match (&self.process, &self.parent) {
            (Some(process), Some(parent)) => format!("{process}, started by {parent}"),
            (Some(process), None) => process.to_string(),
            (None, _) => "a process the session bus did not name".to_owned(),
        };
        let how = match self.route {
            Route::SessionBus => "over the session bus",
            Route::Command => "by authdeck token itself (Authdeck was not running)",
        };
        format!("{who}, {how}")
    }
}

/// The executable's file name of process `pid` (Linux: `/proc/<pid>/exe`, else its `comm`).
#[cfg(target_os = "linux")]
fn executable_of(pid: u32) -> Option<String> {
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    std::fs::read_link(proc.join("exe"))
        .ok()
        .and_then(|exe| {
            exe.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .or_else(|| {
            std::fs::read_to_string(proc.join("comm"))
                .ok()
                .map(|comm| comm.trim().to_owned())
                .filter(|comm| !comm.is_empty())
        })
}

/// The executable's name: known for this process only.
#[cfg(not(target_os = "linux"))]
fn executable_of(pid: u32) -> Option<String> {
    (pid == std::process::id())
        .then(|| std::env::current_exe().ok())
        .flatten()
        .and_then(|exe| {
            exe.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
}

/// The parent of process `pid` (Linux: the fourth field of `/proc/<pid>/stat`, after the
/// executable's name in parentheses, which may itself hold spaces and parentheses).
#[cfg(target_os = "linux")]
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The parent: known for this process only.
#[cfg(all(unix, not(target_os = "linux")))]
fn parent_of(pid: u32) -> Option<u32> {
    if pid != std::process::id() {
        return None;
    }
    rustix::process::getppid().map(|parent| parent.as_raw_nonzero().get() as u32)
}

/// The parent: not known here.
#[cfg(not(unix))]
fn parent_of(_pid: u32) -> Option<u32> {
    None
}

/// A request waiting for the person's answer in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptRequest {
    /// The request, for [`ScriptTokens::answer`].
    pub request_id: u64,
    /// The account asked for.
    pub account_id: AccountId,
    /// Its name.
    pub username: String,
    /// Its app, as people name it.
    pub app: String,
    /// Its provider, in words.
    pub provider_label: String,
    /// Who asks, in words ([`Caller::words`]).
    pub caller: String,
    /// How long the request waits for an answer.
    pub timeout_seconds: u64,
}

/// Shows requests to the person (the window, in the app) and takes them away again.
pub trait Prompter: Send + Sync {
    /// Shows `request`; the answer comes through [`ScriptTokens::answer`].
    fn ask(&self, request: &ScriptRequest);
    /// The request is over (answered elsewhere, or timed out): stop showing it.
    fn withdraw(&self, request_id: u64);
}

/// Tokens for scripts: the policy, the confirmation, the token and the log entry.
pub struct ScriptTokens {
    shared: Shared,
    tokens: Arc<Tokens>,
    pending: Mutex<HashMap<u64, oneshot::Sender<bool>>>,
    next_request: AtomicU64,
    confirm_timeout: Duration,
}

impl ScriptTokens {
    /// The service over `shared`, with tokens from `tokens`.
    pub fn new(shared: Shared, tokens: Arc<Tokens>) -> Self {
        Self {
            shared,
            tokens,
            pending: Mutex::default(),
            next_request: AtomicU64::new(0),
            confirm_timeout: CONFIRM_TIMEOUT,
        }
    }

    /// The account `selector` names, with its app.
    pub fn find(&self, selector: &Selector) -> Result<(Account, App), ScriptError> {
        let apps = self.shared.registry.apps()?;
        let candidates: Vec<(Account, App)> = self
            .shared
            .registry
            .accounts()?
            .into_iter()
            .filter_map(|account| {
                let app = apps.iter().find(|app| app.id == account.app_id)?.clone();
                Some((account, app))
            })
            .collect();
        select(&candidates, selector).cloned()
    }

    /// A fresh access token of the account `selector` names, for `caller`: refused unless its
    /// app lets scripts in; when the app asks each time, only after the person's yes through
    /// `prompter` (refused without one: no app running). The handout is logged first (who,
    /// when, which account), so no token leaves unlogged.
    pub async fn token(
        &self,
        selector: &Selector,
        caller: &Caller,
        prompter: Option<&dyn Prompter>,
    ) -> Result<SecretString, ScriptError> {
        let (account, app) = self.find(selector)?;
        let access: ScriptAccess = self.shared.registry.script_access(app.id)?;
        let app_name = app_words(&app);
        if !access.allowed {
            tracing::info!(
                account = account.id.0,
                caller = %caller.words(),
                "refused a token to a script: scripts may not use this app's tokens"
            );
            return Err(ScriptError::NotAllowed(format!(
                "Scripts may not use the tokens of {app_name} (that is off until you allow it). To allow it, open Apps in the Authdeck window and tick \"{ALLOW_LABEL}\" on the card of {app_name}."
            )));
        }
        if access.confirm {
            let Some(prompter) = prompter else {
                return Err(ScriptError::NotAllowed(format!(
                    "{app_name} asks in the Authdeck window before each token a script gets, and Authdeck is not running. Start Authdeck, then run this again and answer in its window."
                )));
            };
            self.confirm(&account, &app, caller, prompter).await?;
        }
        let token = self.tokens.access_token(account.id).await?;
        self.record(&account, &app, caller)?;
        Ok(token)
    }

    /// Asks the person through `prompter` and waits for the answer, at most the confirmation
    /// timeout.
    async fn confirm(
        &self,
        account: &Account,
        app: &App,
        caller: &Caller,
        prompter: &dyn Prompter,
    ) -> Result<(), ScriptError> {
        let request_id = self.next_request.fetch_add(1, Ordering::SeqCst) + 1;
        let (sender, answer) = oneshot::channel();
        self.waiting().insert(request_id, sender);
        let request = ScriptRequest {
            request_id,
            account_id: account.id,
            username: account.username.clone(),
            app: app_words(app),
            provider_label: app.provider.preset().label().to_owned(),
            caller: caller.words(),
            timeout_seconds: self.confirm_timeout.as_secs(),
        };
        prompter.ask(&request);
        let answered = tokio::time::timeout(self.confirm_timeout, answer).await;
        self.waiting().remove(&request_id);
        prompter.withdraw(request_id);
        if !matches!(answered, Ok(Ok(true))) {
            tracing::info!(
                account = account.id.0,
                caller = %caller.words(),
                timed_out = answered.is_err(),
                "refused a token to a script: not confirmed in the window"
            );
        }
        match answered {
            Ok(Ok(true)) => Ok(()),
            Ok(_) => Err(ScriptError::NotAllowed(format!(
                "The request for a token of @{} ({}) was declined in the Authdeck window.",
                account.username, request.app
            ))),
            Err(_) => Err(ScriptError::NotAllowed(format!(
                "Nobody answered the request for a token of @{} in the Authdeck window within {}, so none was handed out. Run this again and answer in the window.",
                account.username,
                duration_words(self.confirm_timeout.as_secs())
            ))),
        }
    }

    /// The person's answer to request `request_id`; `false` when it no longer waits (timed out
    /// or answered already).
    pub fn answer(&self, request_id: u64, allow: bool) -> bool {
        match self.waiting().remove(&request_id) {
            Some(sender) => sender.send(allow).is_ok(),
            None => false,
        }
    }

    /// How many requests wait for an answer.
    pub fn waiting_count(&self) -> usize {
        self.waiting().len()
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<bool>>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs a token handed to `caller`: the account, the time, who asked; never the token.
    fn record(
        &self,
        account: &Account,
        app: &App,
        caller: &Caller,
    ) -> Result<ActivityId, ScriptError> {
        let entry = ActivityEntry {
            id: ActivityId(0),
            at: self.shared.clock.now(),
            sender: Sender {
                account_id: Some(account.id),
                username: account.username.clone(),
                app_client_id: app.client_id.clone(),
                provider: app.provider.base_url().to_owned(),
            },
            kind: SCRIPT_TOKEN_KIND.to_owned(),
            summary: format!("access token handed to a script: {}", caller.words()),
            operations: serde_json::to_string_pretty(caller)
                .map_err(|err| Error::Internal(err.to_string()))?,
            outcome: Outcome::Sent {
                transaction_id: String::new(),
            },
            resolved_by: None,
        };
        let id = self.shared.registry.record_activity(&entry)?;
        self.shared.emit(AppEvent::ActivityChanged);
        tracing::info!(
            account = account.id.0,
            caller = %caller.words(),
            "handed an access token to a script"
        );
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Health;
    use crate::apps::{Access, AppId, AppScopes, Flow, RedirectMode, Scopes};
    use crate::provider::{Preset, Provider};

    fn app(id: i64, preset: Preset, base_url: Option<&str>, client_id: &str) -> App {
        App {
            id: AppId(id),
            provider: Provider::new(preset, base_url).unwrap(),
            client_id: client_id.into(),
            scopes: AppScopes::Signer(Scopes {
                access: Access::Posting,
                offline: true,
            }),
            redirect: RedirectMode::Loopback,
            secret_set: true,
            sandbox: false,
        }
    }

    fn account(id: i64, app: &App, username: &str) -> (Account, App) {
        let account = Account {
            id: AccountId(id),
            app_id: app.id,
            username: username.into(),
            scopes: vec!["vote".into()],
            flow: Flow::Code,
            issued_at: 0,
            expires_at: Some(100),
            health: Health::Fresh,
            health_detail: None,
            added_at: 0,
        };
        (account, app.clone())
    }

    fn picked(candidates: &[(Account, App)], selector: &Selector) -> Result<i64, ScriptError> {
        select(candidates, selector).map(|(account, _)| account.id.0)
    }

    #[test]
    fn the_name_alone_picks_an_only_account_and_flags_pick_among_several() {
        let hive = app(1, Preset::Hivesigner, None, "curator");
        let other = app(2, Preset::Hivesigner, None, "voter");
        let compatible = app(
            3,
            Preset::HivesignerCompatible,
            Some("http://127.0.0.1:3000"),
            "curator",
        );
        let candidates = [
            account(10, &hive, "alice"),
            account(11, &other, "alice"),
            account(12, &compatible, "alice"),
            account(13, &hive, "bob"),
        ];
        assert_eq!(picked(&candidates, &Selector::account("@bob")), Ok(13));

        let ambiguous = picked(&candidates, &Selector::account("alice")).unwrap_err();
        let ScriptError::Ambiguous(message) = &ambiguous else {
            panic!("{ambiguous:?}")
        };
        assert!(message.contains("@alice has 3 accounts"), "{message}");
        assert!(
            message.contains("authdeck token alice --app voter    ("),
            "{message}"
        );
        assert!(
            message.contains("authdeck token alice --app curator --provider http://127.0.0.1:3000"),
            "two apps named curator need the provider too: {message}"
        );

        let by_app = |app: &str| Selector {
            app: Some(app.into()),
            ..Selector::account("alice")
        };
        assert_eq!(picked(&candidates, &by_app("@voter")), Ok(11));
        assert!(matches!(
            picked(&candidates, &by_app("curator")),
            Err(ScriptError::Ambiguous(_))
        ));
        for provider in [
            "hivesigner",
            "Hivesigner",
            "https://hivesigner.com",
            "hivesigner.com",
        ] {
            let selector = Selector {
                provider: Some(provider.into()),
                ..by_app("curator")
            };
            assert_eq!(picked(&candidates, &selector), Ok(10), "{provider}");
        }
        for provider in [
            "127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "hivesigner_compatible",
        ] {
            let selector = Selector {
                provider: Some(provider.into()),
                ..by_app("curator")
            };
            assert_eq!(picked(&candidates, &selector), Ok(12), "{provider}");
        }
    }

    #[test]
    fn no_match_says_what_there_is() {
        let hive = app(1, Preset::Hivesigner, None, "curator");
        let candidates = [account(10, &hive, "alice")];
        let Err(ScriptError::NoMatch(message)) = picked(&candidates, &Selector::account("carol"))
        else {
            panic!("carol is unknown")
        };
        assert!(message.contains("no account @carol"), "{message}");
        assert!(
            message.contains("@alice (app @curator at Hivesigner"),
            "{message}"
        );

        let wrong_app = Selector {
            app: Some("other".into()),
            ..Selector::account("alice")
        };
        let Err(ScriptError::NoMatch(message)) = picked(&candidates, &wrong_app) else {
            panic!("alice is not of @other")
        };
        assert!(message.contains("not with --app other"), "{message}");
        assert!(
            message.contains("authdeck token alice --app curator"),
            "{message}"
        );

        let Err(ScriptError::NoMatch(message)) = picked(&[], &Selector::account("alice")) else {
            panic!("nothing registered")
        };
        assert!(message.contains("no accounts yet"), "{message}");
    }

    #[test]
    fn callers_are_named_by_process_and_parent() {
        let this = Caller::this_process();
        let process = this.process.as_ref().expect("this process");
        assert_eq!(process.pid, std::process::id());
        #[cfg(target_os = "linux")]
        {
            assert!(process.executable.is_some(), "{this:?}");
            assert!(this.parent.is_some(), "{this:?}");
        }
        let words = Caller {
            route: Route::SessionBus,
            process: Some(ProcessInfo {
                pid: 42,
                executable: Some("authdeck".into()),
            }),
            parent: Some(ProcessInfo {
                pid: 41,
                executable: Some("python3".into()),
            }),
        }
        .words();
        assert_eq!(
            words,
            "authdeck (pid 42), started by python3 (pid 41), over the session bus"
        );
    }
}
