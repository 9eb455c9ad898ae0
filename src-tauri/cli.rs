//! The command line, a second front end beside the window: `authdeck status` and
//! `authdeck token`, answered on the terminal before any window or Tauri plugin starts, whether
//! or not the app runs.
//!
//! - `authdeck status [--json]` lists every account (provider, app, account, scopes, expiry,
//!   health, and where its tokens live: the keyring entry's label and key), read from the
//!   registry in the app's data folder (found as Tauri finds it: [`data_dir`]); it exits with
//!   [`EXIT_FAILED`] when an account needs attention (a sign-in, an unreachable or failing
//!   provider, a token that runs out without refresh) or there is none.
//! - `authdeck token <account> [--app APP] [--provider PROVIDER]` prints a fresh access token
//!   on stdout and nothing else. It asks the running app over the session bus
//!   ([`crate::bus`]); with none running it asks the core in its own process, whose refresh
//!   takes the account's lock file ([`crate::locks`]), so a refresh never runs twice at once.
//!   Errors go to stderr, never with the token; the token goes to no log (this front end
//!   installs no logger).

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::ExposeSecret;
use serde::Serialize;

use crate::accounts::{AccountView, Health};
use crate::apps::{Flow, ScriptAccess};
use crate::attention::{self, Need};
use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::error::Error;
use crate::events::{AppEvent, EventSink};
use crate::registry::Registry;
use crate::scripts::{Caller, Selector};
use crate::service::{Authdeck, Parts, Settings};
use crate::vault::{self, KeyringStore, Vault};

/// The app's identifier (`tauri.conf.json`): the name of its data folder.
pub const IDENTIFIER: &str = "app.authdeck.desktop";

/// Everything is fine (a token was printed; no account needs attention).
pub const EXIT_OK: i32 = 0;
/// No token, or an account needs attention (or there is none).
pub const EXIT_FAILED: i32 = 1;
/// The command line was not understood.
pub const EXIT_USAGE: i32 = 2;

const HELP: &str = "\
Authdeck keeps app authorizations (Hivesigner, SteemLogin, OAuth 2.0 servers, token sites)
with their tokens in your keyring.

Usage:
  authdeck                      open the window
  authdeck --sandbox            open the window with the offline sandbox running
  authdeck status [--json]      list every account and whether it needs attention
  authdeck token <account> [--app APP] [--provider PROVIDER]
                                print a fresh access token for a script
  authdeck help [status|token]  this help, or a command's help
";

const HELP_STATUS: &str = "\
Usage: authdeck status [--json]

Lists every account: provider, app, account, scopes, expiry, health, whether scripts may use
its tokens, and its keyring entry (label and key). Works whether or not Authdeck runs, and
never opens a window.

  --json   one JSON object for scripts (`accounts`, `needsAttention`, `ok`, ...)

Exit status: 0 when every account is fine; 1 when one needs attention (needs sign-in, provider
unreachable or failing, a token that runs out without refresh) or there is no account; 2 for a
command line that was not understood.
";

const HELP_TOKEN: &str = "\
Usage: authdeck token <account> [--app APP] [--provider PROVIDER]

Prints a fresh access token of <account> (refreshed first when due) on stdout, for a script:
  token=$(authdeck token alice)

Only for apps that allow it: in the Authdeck window, open Apps and tick \"Let scripts on this
computer use tokens of this app\" on the app's card (it can also ask you each time). Every
token handed out is logged in Activity (who asked, when, which account; never the token).

  --app APP            the app's client id, when the account authorized several apps
  --provider PROVIDER  hivesigner, steem_login, ..., a base URL or a host, when one app is
                       registered at several providers

With Authdeck running, the request goes to it over the session bus; otherwise this command
refreshes the token itself, under the same per-account lock. Exit status: 0 with the token
printed; 1 with the reason on stderr; 2 for a command line that was not understood.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `authdeck status`, as a table or as JSON.
    Status {
        /// `--json`.
        json: bool,
    },
    /// `authdeck token`.
    Token(Selector),
    /// `authdeck help`, or `--help` after a command: that help text.
    Help(&'static str),
}

/// A command line that was not understood, with what to type instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

/// The command `args` (without the program's name) ask for; `None` when they ask for no
/// command (no arguments, a link the desktop passes on, the window's own flags): the window.
pub fn parse(args: &[String]) -> Option<Result<Command, UsageError>> {
    let (first, rest) = args.split_first()?;
    match first.as_str() {
        "status" => Some(parse_status(rest)),
        "token" => Some(parse_token(rest)),
        "help" => Some(match rest {
            [] => Ok(Command::Help(HELP)),
            [topic] if topic == "status" => Ok(Command::Help(HELP_STATUS)),
            [topic] if topic == "token" => Ok(Command::Help(HELP_TOKEN)),
            _ => Err(UsageError(format!(
                "authdeck help: no help on {}.\n\n{HELP}",
                rest.join(" ")
            ))),
        }),
        _ => None,
    }
}

fn is_help(arg: &str) -> bool {
    matches!(arg, "-h" | "--help")
}

fn parse_status(args: &[String]) -> Result<Command, UsageError> {
    let mut json = false;
    for arg in args {
        match arg.as_str() {
            "--json" => json = true,
            help if is_help(help) => return Ok(Command::Help(HELP_STATUS)),
            other => {
                return Err(UsageError(format!(
                    "authdeck status: unknown argument '{other}'.\n\n{HELP_STATUS}"
                )))
            }
        }
    }
    Ok(Command::Status { json })
}

fn parse_token(args: &[String]) -> Result<Command, UsageError> {
    let usage = |problem: String| UsageError(format!("authdeck token: {problem}\n\n{HELP_TOKEN}"));
    let mut account: Option<String> = None;
    let mut app: Option<String> = None;
    let mut provider: Option<String> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if is_help(arg) {
            return Ok(Command::Help(HELP_TOKEN));
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
            _ => (arg.as_str(), None),
        };
        let slot = match flag {
            "--app" => &mut app,
            "--provider" => &mut provider,
            other if other.starts_with('-') && other != "-" => {
                return Err(usage(format!("unknown option '{other}'.")))
            }
            _ => {
                if account.is_some() {
                    return Err(usage(format!(
                        "one account at a time ('{}' and '{arg}').",
                        account.unwrap_or_default()
                    )));
                }
                account = Some(arg.clone());
                continue;
            }
        };
        let value = match inline {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .ok_or_else(|| usage(format!("{flag} needs a value.")))?,
        };
        if value.trim().is_empty() {
            return Err(usage(format!("{flag} needs a value.")));
        }
        if slot.replace(value).is_some() {
            return Err(usage(format!("{flag} is given twice.")));
        }
    }
    let account = account
        .filter(|name| !name.trim().trim_start_matches('@').is_empty())
        .ok_or_else(|| usage("name the account.".to_owned()))?;
    Ok(Command::Token(Selector {
        account,
        app,
        provider,
    }))
}

/// Runs the command of the process's arguments, if they ask for one, and returns its exit
/// status; `None` when they ask for the window.
pub fn run_from_args() -> Option<i32> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let parsed = parse(&args)?;
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    Some(match parsed {
        Ok(command) => run(command, &mut out, &mut err),
        Err(UsageError(message)) => {
            let _ = write!(err, "{message}");
            EXIT_USAGE
        }
    })
}

/// Runs `command`, writing its answer to `out` and its complaints to `err`; returns the exit
/// status.
pub fn run(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if let Command::Help(text) = command {
        let _ = write!(out, "{text}");
        return EXIT_OK;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(problem) => {
            let _ = writeln!(err, "authdeck: cannot start ({problem}).");
            return EXIT_FAILED;
        }
    };
    runtime.block_on(async {
        match command {
            Command::Status { json } => status(json, out, err).await,
            Command::Token(selector) => token(&selector, out, err).await,
            Command::Help(_) => EXIT_OK,
        }
    })
}

/// The app's data folder, as Tauri's `app_data_dir()` resolves it: the platform's data folder
/// (`$XDG_DATA_HOME`, else `~/.local/share`, on Linux) and the app's identifier.
pub fn data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join(IDENTIFIER))
}

/// The registry file in [`data_dir`].
pub fn registry_path() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join(crate::REGISTRY_FILE))
}

/// The registry, if Authdeck ever ran here (opening it never creates one).
fn open_registry() -> Result<Option<Registry>, Error> {
    let Some(path) = registry_path() else {
        return Err(Error::Storage {
            detail: "this system names no data folder for the app".into(),
        });
    };
    if !path.exists() {
        return Ok(None);
    }
    Registry::open(&path).map(Some)
}

/// Why an account needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// It needs a sign-in (refused grant, or a token that ran out without refresh).
    NeedsSignIn,
    /// Its provider could not be reached.
    ProviderUnreachable,
    /// Its provider answered with an error.
    ProviderError,
    /// Its token runs out soon and cannot be refreshed.
    ExpiringWithoutRefresh,
}

impl Attention {
    fn words(self) -> &'static str {
        match self {
            Attention::NeedsSignIn => "needs sign-in",
            Attention::ProviderUnreachable => "provider unreachable",
            Attention::ProviderError => "provider error",
            Attention::ExpiringWithoutRefresh => "expiring without refresh",
        }
    }
}

/// What `view` needs at `now`, if anything.
pub fn attention_of(view: &AccountView, now: UnixSeconds) -> Option<Attention> {
    match (attention::need_of(view, now), view.account.health) {
        (Some(Need::SignIn), _) => Some(Attention::NeedsSignIn),
        (_, Health::ProviderUnreachable) => Some(Attention::ProviderUnreachable),
        (_, Health::ProviderError) => Some(Attention::ProviderError),
        (Some(Need::RunsOutSoon), _) => Some(Attention::ExpiringWithoutRefresh),
        (None, _) => None,
    }
}

/// Where an account's tokens live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyringEntry {
    /// The keyring service of every Authdeck entry.
    pub service: String,
    /// The entry's key (its `username` attribute on the Secret Service).
    pub key: String,
    /// What keyring managers show.
    pub label: String,
}

/// One account, as `authdeck status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStatus {
    /// Its id.
    pub id: i64,
    /// The provider, in words.
    pub provider: String,
    /// The provider's kind (`hivesigner`, `steemconnect`, `oauth2`, `token_site`).
    pub provider_kind: String,
    /// The provider's base URL.
    pub base_url: String,
    /// The app's client id.
    pub app: String,
    /// The account name.
    pub account: String,
    /// What its token may do.
    pub scopes: Vec<String>,
    /// `code` (Authdeck refreshes it) or `implicit` (sign in again when it runs out).
    pub flow: Flow,
    /// When its token runs out (Unix seconds); none when the provider gave no expiry.
    pub expires_at: Option<UnixSeconds>,
    /// Seconds left then (negative once it ran out).
    pub expires_in: Option<i64>,
    /// Its health as the app last saw it.
    pub health: Health,
    /// What went wrong last, in words.
    pub health_detail: Option<String>,
    /// Why it needs attention, if it does.
    pub attention: Option<Attention>,
    /// Its keyring entry.
    pub keyring: KeyringEntry,
    /// What scripts may do with its tokens.
    pub script_access: ScriptAccess,
}

/// What `authdeck status` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// Every account, by app then name.
    pub accounts: Vec<AccountStatus>,
    /// How many need attention.
    pub needs_attention: usize,
    /// Every account is fine, and there is at least one.
    pub ok: bool,
    /// Whether an Authdeck answers on the session bus (token requests then go to it).
    pub app_running: bool,
    /// The registry read.
    pub registry: Option<String>,
    /// When the report was made (Unix seconds).
    pub now: UnixSeconds,
}

impl StatusReport {
    /// The report of `registry` (none: Authdeck never ran here) at `now`.
    pub fn read(
        registry: Option<&Registry>,
        now: UnixSeconds,
        app_running: bool,
    ) -> Result<Self, Error> {
        let mut accounts = Vec::new();
        if let Some(registry) = registry {
            let apps = registry.apps()?;
            let access = registry.script_accesses()?;
            for account in registry.accounts()? {
                let Some(app) = apps.iter().find(|app| app.id == account.app_id) else {
                    continue;
                };
                let key = vault::account_key(&app.provider, &app.client_id, &account.username);
                let view = AccountView::new(account, app);
                let account = &view.account;
                accounts.push(AccountStatus {
                    id: account.id.0,
                    provider: app.provider.preset().label().to_owned(),
                    provider_kind: app.provider.protocol().id().to_owned(),
                    base_url: app.provider.base_url().to_owned(),
                    app: app.client_id.clone(),
                    account: account.username.clone(),
                    scopes: account.scopes.clone(),
                    flow: account.flow,
                    expires_at: account.expires_at,
                    expires_in: account.expires_at.map(|at| at - now),
                    health: account.health,
                    health_detail: account.health_detail.clone(),
                    attention: attention_of(&view, now),
                    keyring: KeyringEntry {
                        service: vault::SERVICE.to_owned(),
                        label: vault::entry_label(&key),
                        key,
                    },
                    script_access: access.get(&app.id).copied().unwrap_or_default(),
                });
            }
        }
        let needs_attention = accounts.iter().filter(|a| a.attention.is_some()).count();
        Ok(Self {
            ok: !accounts.is_empty() && needs_attention == 0,
            needs_attention,
            accounts,
            app_running,
            registry: registry
                .and_then(Registry::dir)
                .map(|dir| dir.join(crate::REGISTRY_FILE).display().to_string()),
            now,
        })
    }

    /// The report as a person reads it: accounts grouped by provider, as `gh auth status`
    /// groups them by host, then a line on what needs doing.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if self.accounts.is_empty() {
            text.push_str("No accounts in Authdeck yet: open Authdeck and add one.\n");
        }
        let mut last_provider: Option<(&str, &str)> = None;
        for account in &self.accounts {
            let provider = (account.provider.as_str(), account.base_url.as_str());
            if last_provider != Some(provider) {
                if last_provider.is_some() {
                    text.push('\n');
                }
                text.push_str(&format!("{} ({})\n", provider.0, provider.1));
                last_provider = Some(provider);
            }
            text.push_str(&self.render_account(account));
        }
        text.push('\n');
        let total = self.accounts.len();
        let noun = |count: usize| if count == 1 { "account" } else { "accounts" };
        if self.needs_attention > 0 {
            let names: Vec<String> = self
                .accounts
                .iter()
                .filter_map(|a| {
                    a.attention
                        .map(|need| format!("@{} ({})", a.account, need.words()))
                })
                .collect();
            text.push_str(&format!(
                "{} of {total} {} {} attention: {}.\n",
                self.needs_attention,
                noun(total),
                if self.needs_attention == 1 {
                    "needs"
                } else {
                    "need"
                },
                names.join(", ")
            ));
        } else if total == 1 {
            text.push_str("The account is fine.\n");
        } else if total > 1 {
            text.push_str(&format!("All {total} accounts are fine.\n"));
        }
        text.push_str(if self.app_running {
            "Authdeck is running: authdeck token asks it.\n"
        } else {
            "Authdeck is not running: authdeck token refreshes tokens itself.\n"
        });
        text
    }

    fn render_account(&self, account: &AccountStatus) -> String {
        let mark = if account.attention.is_some() {
            "X"
        } else {
            "✓"
        };
        let state = match account.attention {
            Some(need) => need.words(),
            None => health_words(account.health),
        };
        let app = if matches!(
            account.provider_kind.as_str(),
            "hivesigner" | "steemconnect"
        ) {
            format!("@{}", account.app)
        } else {
            account.app.clone()
        };
        let mut lines = vec![format!(
            "  {mark} @{} for app {app}: {state}",
            account.account
        )];
        let mut item = |label: &str, value: String| lines.push(format!("    - {label}: {value}"));
        if let (Some(detail), Some(_)) = (&account.health_detail, account.attention) {
            item("Why", detail.clone());
        }
        item(
            "Scopes",
            if account.scopes.is_empty() {
                "none named".to_owned()
            } else {
                account.scopes.join(", ")
            },
        );
        let renewal = match account.flow {
            Flow::Code => "Authdeck refreshes it",
            Flow::Implicit => "no refresh: sign in again before then",
        };
        item(
            "Expires",
            match account.expires_at {
                Some(at) => format!(
                    "{} ({}); {renewal}",
                    utc_words(at),
                    relative_words(at - self.now)
                ),
                None => "no expiry given: used until the provider refuses it".to_owned(),
            },
        );
        item(
            "Keyring",
            format!(
                "\"{}\" (service {}, key {})",
                account.keyring.label, account.keyring.service, account.keyring.key
            ),
        );
        item(
            "Scripts",
            match account.script_access {
                ScriptAccess { allowed: false, .. } => "not allowed".to_owned(),
                ScriptAccess { confirm: true, .. } => {
                    "allowed, each token confirmed in the window".to_owned()
                }
                ScriptAccess { .. } => "allowed".to_owned(),
            },
        );
        lines.join("\n") + "\n"
    }
}

fn health_words(health: Health) -> &'static str {
    match health {
        Health::Fresh => "fresh",
        Health::Refreshing => "refreshing",
        Health::NeedsSignIn => "needs sign-in",
        Health::ProviderUnreachable => "provider unreachable",
        Health::ProviderError => "provider error",
    }
}

/// "2026-05-08 12:00 UTC".
pub fn utc_words(at: UnixSeconds) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(
        || format!("{at} (Unix seconds)"),
        |time| time.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// "in 6 days", "in 3 hours", "in 5 minutes", "2 hours ago".
pub fn relative_words(seconds: i64) -> String {
    let amount = seconds.unsigned_abs();
    let (count, unit) = if amount >= 2 * 86_400 {
        (amount / 86_400, "day")
    } else if amount >= 2 * 3_600 {
        (amount / 3_600, "hour")
    } else if amount >= 60 {
        (amount / 60, "minute")
    } else {
        (amount, "second")
    };
    let words = format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
    if seconds >= 0 {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

async fn app_running() -> bool {
    #[cfg(target_os = "linux")]
    {
        crate::bus::app_running().await
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

async fn status(json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let running = app_running().await;
    let report = open_registry()
        .and_then(|registry| StatusReport::read(registry.as_ref(), SystemClock.now(), running));
    let report = match report {
        Ok(report) => report,
        Err(problem) => {
            let _ = writeln!(err, "authdeck status: {}", problem.message());
            return EXIT_FAILED;
        }
    };
    let written = if json {
        serde_json::to_string_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(out, "{text}"))
    } else {
        write!(out, "{}", report.render())
    };
    if let Err(problem) = written {
        let _ = writeln!(
            err,
            "authdeck status: could not write the report ({problem})."
        );
        return EXIT_FAILED;
    }
    if report.ok {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// No events leave a command: there is no window to tell.
struct NoWindow;

impl EventSink for NoWindow {
    fn emit(&self, _event: AppEvent) {}
}

/// The core over the registry and the keyring, for a command with no app running.
fn open_core(registry: Registry) -> Result<Arc<Authdeck>, Error> {
    Authdeck::new(Parts {
        registry,
        vault: Vault::new(Arc::new(KeyringStore::new(vault::SERVICE))),
        clock: Arc::new(SystemClock),
        events: Arc::new(NoWindow),
        settings: Settings::from_env(),
    })
}

async fn token(selector: &Selector, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let complain = |err: &mut dyn Write, message: &str| {
        let _ = writeln!(err, "authdeck token: {message}");
        EXIT_FAILED
    };
    #[cfg(target_os = "linux")]
    match crate::bus::request_token(selector).await {
        Ok(crate::bus::Answer::Token(token)) => return print_token(out, err, token),
        Ok(crate::bus::Answer::NotRunning) => {}
        Err(message) => return complain(err, &message),
    }
    let registry = match open_registry() {
        Ok(Some(registry)) => registry,
        Ok(None) => {
            return complain(
                err,
                "Authdeck has no accounts here yet: open Authdeck and add one first.",
            )
        }
        Err(problem) => return complain(err, &problem.message()),
    };
    let core = match open_core(registry) {
        Ok(core) => core,
        Err(problem) => return complain(err, &problem.message()),
    };
    let caller = Caller::this_process();
    match core.scripts().token(selector, &caller, None).await {
        Ok(token) => print_token(out, err, token),
        Err(problem) => complain(err, &problem.message()),
    }
}

fn print_token(out: &mut dyn Write, err: &mut dyn Write, token: secrecy::SecretString) -> i32 {
    match writeln!(out, "{}", token.expose_secret()).and_then(|()| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(problem) => {
            let _ = writeln!(
                err,
                "authdeck token: could not write the token to stdout ({problem})."
            );
            EXIT_FAILED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::NewAccount;
    use crate::apps::{AppId, AppInput};

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    fn parsed(line: &str) -> Option<Result<Command, UsageError>> {
        parse(&args(line))
    }

    fn token(account: &str, app: Option<&str>, provider: Option<&str>) -> Command {
        Command::Token(Selector {
            account: account.into(),
            app: app.map(str::to_owned),
            provider: provider.map(str::to_owned),
        })
    }

    #[test]
    fn only_the_commands_leave_the_window_out() {
        assert_eq!(parsed(""), None);
        assert_eq!(parsed("authdeck://callback?code=x&state=y"), None);
        assert_eq!(parsed("--sandbox"), None);
        assert_eq!(parsed("status"), Some(Ok(Command::Status { json: false })));
        assert_eq!(
            parsed("status --json"),
            Some(Ok(Command::Status { json: true }))
        );
        assert_eq!(
            parsed("status --help"),
            Some(Ok(Command::Help(HELP_STATUS)))
        );
        assert_eq!(parsed("help"), Some(Ok(Command::Help(HELP))));
        assert_eq!(parsed("help token"), Some(Ok(Command::Help(HELP_TOKEN))));
        let Some(Err(UsageError(message))) = parsed("status --yaml") else {
            panic!("--yaml is no option")
        };
        assert!(message.contains("unknown argument '--yaml'"), "{message}");
        assert!(message.contains("Usage: authdeck status"), "{message}");
    }

    #[test]
    fn token_takes_one_account_and_the_flags_that_pick_it() {
        assert_eq!(parsed("token alice"), Some(Ok(token("alice", None, None))));
        assert_eq!(
            parsed("token @alice --app myapp --provider hivesigner"),
            Some(Ok(token("@alice", Some("myapp"), Some("hivesigner"))))
        );
        assert_eq!(
            parsed("token --app=myapp alice --provider=https://hivesigner.com"),
            Some(Ok(token(
                "alice",
                Some("myapp"),
                Some("https://hivesigner.com")
            )))
        );
        assert_eq!(parsed("token -h"), Some(Ok(Command::Help(HELP_TOKEN))));
        for (line, problem) in [
            ("token", "name the account"),
            ("token @", "name the account"),
            ("token alice bob", "one account at a time"),
            ("token alice --app", "--app needs a value"),
            ("token alice --app=", "--app needs a value"),
            ("token alice --app a --app b", "--app is given twice"),
            ("token alice --scope posting", "unknown option '--scope'"),
        ] {
            let Some(Err(UsageError(message))) = parsed(line) else {
                panic!("{line} is refused")
            };
            assert!(message.contains(problem), "{line}: {message}");
            assert!(
                message.contains("Usage: authdeck token"),
                "{line}: {message}"
            );
        }
    }

    #[test]
    fn help_and_usage_errors_exit_as_documented() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(Command::Help(HELP_TOKEN), &mut out, &mut err), EXIT_OK);
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("authdeck token alice"));
        assert!(err.is_empty());
    }

    #[test]
    fn the_identifier_is_the_apps() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], IDENTIFIER);
    }

    fn app_input(preset: &str, base_url: Option<&str>, client_id: &str, offline: bool) -> AppInput {
        let mut scopes = vec!["posting".to_owned()];
        if offline {
            scopes.push("offline".into());
        }
        AppInput {
            preset: preset.into(),
            base_url: base_url.map(str::to_owned),
            client_id: client_id.into(),
            scopes,
            ..AppInput::default()
        }
    }

    const NOW: UnixSeconds = 1_767_225_600; // 2026-01-01 00:00 UTC
    const DAY: i64 = 86_400;

    fn registry() -> (Registry, AppId, AppId) {
        let registry = Registry::in_memory().unwrap();
        let curator = registry
            .insert_app(
                &app_input("hivesigner", None, "curator", true)
                    .validate()
                    .unwrap(),
                true,
                1,
            )
            .unwrap();
        let viewer = registry
            .insert_app(
                &app_input(
                    "hivesigner_compatible",
                    Some("http://127.0.0.1:3000"),
                    "viewer",
                    false,
                )
                .validate()
                .unwrap(),
                false,
                1,
            )
            .unwrap();
        let add = |app_id, username: &str, flow, expires_at| {
            registry
                .upsert_account(
                    &NewAccount {
                        app_id,
                        username: username.into(),
                        scopes: vec!["vote".into(), "comment".into()],
                        flow,
                        issued_at: NOW - DAY,
                        expires_at,
                    },
                    NOW,
                )
                .unwrap()
        };
        add(curator, "alice", Flow::Code, Some(NOW + 6 * DAY));
        let bob = add(curator, "bob", Flow::Code, Some(NOW + 6 * DAY));
        registry
            .set_health(
                bob,
                Health::NeedsSignIn,
                Some("The provider refused the grant."),
            )
            .unwrap();
        add(viewer, "carol", Flow::Implicit, Some(NOW + 3 * 3_600));
        registry
            .set_script_access(
                curator,
                ScriptAccess {
                    allowed: true,
                    confirm: true,
                },
            )
            .unwrap();
        (registry, curator, viewer)
    }

    #[test]
    fn the_status_table_groups_by_provider_and_names_what_needs_attention() {
        let (registry, _, _) = registry();
        let report = StatusReport::read(Some(&registry), NOW, false).unwrap();
        assert_eq!(report.accounts.len(), 3);
        assert_eq!(report.needs_attention, 2);
        assert!(!report.ok);
        let attention: Vec<Option<Attention>> =
            report.accounts.iter().map(|a| a.attention).collect();
        assert_eq!(
            attention,
            [
                None,
                Some(Attention::NeedsSignIn),
                Some(Attention::ExpiringWithoutRefresh)
            ]
        );
        let alice = &report.accounts[0];
        assert_eq!(alice.keyring.service, "authdeck");
        assert_eq!(
            alice.keyring.key,
            "account/https:%2F%2Fhivesigner.com/curator/alice"
        );
        assert_eq!(
            alice.keyring.label,
            "Authdeck: @alice at Hivesigner (app @curator)"
        );

        let text = report.render();
        let expected = "\
Hivesigner (https://hivesigner.com)
  ✓ @alice for app @curator: fresh
    - Scopes: vote, comment
    - Expires: 2026-01-07 00:00 UTC (in 6 days); Authdeck refreshes it
    - Keyring: \"Authdeck: @alice at Hivesigner (app @curator)\" (service authdeck, key account/https:%2F%2Fhivesigner.com/curator/alice)
    - Scripts: allowed, each token confirmed in the window
  X @bob for app @curator: needs sign-in
    - Why: The provider refused the grant.
    - Scopes: vote, comment
    - Expires: 2026-01-07 00:00 UTC (in 6 days); Authdeck refreshes it
    - Keyring: \"Authdeck: @bob at Hivesigner (app @curator)\" (service authdeck, key account/https:%2F%2Fhivesigner.com/curator/bob)
    - Scripts: allowed, each token confirmed in the window

";
        assert!(text.starts_with(expected), "{text}");
        assert!(
            text.contains("Hivesigner-compatible server (http://127.0.0.1:3000)\n  X @carol for app @viewer: expiring without refresh\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "2026-01-01 03:00 UTC (in 3 hours); no refresh: sign in again before then"
            ),
            "{text}"
        );
        assert!(text.contains("    - Scripts: not allowed\n"), "{text}");
        assert!(
            text.contains("2 of 3 accounts need attention: @bob (needs sign-in), @carol (expiring without refresh).\n"),
            "{text}"
        );
        assert!(
            text.ends_with("Authdeck is not running: authdeck token refreshes tokens itself.\n")
        );

        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["accounts"][1]["attention"], "needs_sign_in");
        assert_eq!(json["accounts"][0]["scriptAccess"]["confirm"], true);
        assert_eq!(json["accounts"][0]["expiresIn"], 6 * DAY);
        assert_eq!(json["needsAttention"], 2);
    }

    #[test]
    fn an_empty_or_healthy_registry_reads_as_such() {
        let empty = StatusReport::read(None, NOW, true).unwrap();
        assert!(!empty.ok, "no account is nothing a script can use");
        assert!(empty.render().starts_with("No accounts in Authdeck yet"));
        assert!(empty.render().contains("Authdeck is running"));

        let registry = Registry::in_memory().unwrap();
        let app = registry
            .insert_app(
                &app_input("hivesigner", None, "curator", true)
                    .validate()
                    .unwrap(),
                true,
                1,
            )
            .unwrap();
        registry
            .upsert_account(
                &NewAccount {
                    app_id: app,
                    username: "alice".into(),
                    scopes: vec![],
                    flow: Flow::Code,
                    issued_at: NOW,
                    expires_at: None,
                },
                NOW,
            )
            .unwrap();
        let report = StatusReport::read(Some(&registry), NOW, false).unwrap();
        assert!(report.ok);
        let text = report.render();
        assert!(text.contains("\nThe account is fine.\n"), "{text}");
        assert!(text.contains("no expiry given"), "{text}");
        assert!(text.contains("Scopes: none named"), "{text}");
    }

    #[test]
    fn times_read_in_utc_and_in_words() {
        assert_eq!(utc_words(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_words(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_words(NOW + 3_661), "2026-01-01 01:01 UTC");
        assert_eq!(relative_words(6 * DAY + 5), "in 6 days");
        assert_eq!(relative_words(DAY), "in 24 hours");
        assert_eq!(relative_words(-7_200), "2 hours ago");
        assert_eq!(relative_words(61), "in 1 minute");
        assert_eq!(relative_words(5), "in 5 seconds");
    }
}
