//! `authdeck status` and `authdeck token`, from the outside: the real binary, run with the test
//! session's environment and a temporary `XDG_DATA_HOME`, against a real SQLite registry
//! there, the session's real keyring (service `authdeck`, as the app uses it) and the fake
//! Hivesigner; once with no app running (the command refreshes itself, under the account's
//! lock file) and once with the app's session bus interface served in this process (the core
//! answers, and asks through a prompter when the app wants a confirmation).
//!
//! The tests share the session bus name, so they run one at a time ([`SERIAL`]).
//!
//! Needs the test session's keyring and session bus: run it through `scripts/test.sh` (or
//! `scripts/session.sh cargo test --test cli_token -- --include-ignored`).

mod support;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authdeck::accounts::{AccountId, Health};
use authdeck::activity::{ActivityEntry, ActivityFilter, SCRIPT_TOKEN_KIND};
use authdeck::apps::ScriptAccess;
use authdeck::catalog::AppView;
use authdeck::clock::SystemClock;
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::scripts::{Prompter, ScriptRequest, ScriptTokens};
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{self, KeyringStore, Vault};
use fake_hivesigner::{
    consent, Consent, Endpoint, Failure, FakeConfig, FakeHivesigner, RedirectRules,
    DEFAULT_EXPIRES_IN, TOKEN_PREFIX,
};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::{Mutex as AsyncMutex, MutexGuard};

/// One test at a time: they share the session bus name and the keyring service.
static SERIAL: AsyncMutex<()> = AsyncMutex::const_new(());

const SECRET: &str = "correct-horse-battery-staple";

/// What the refusal of an app without script access points at.
const ALLOW_LABEL: &str = "Let scripts on this computer use tokens of this app";

/// A data folder with a registry, the core over it (the "app"), and the fake it talks to.
struct Home {
    core: Arc<Authdeck>,
    fake: FakeHivesigner,
    xdg: TempDir,
    bus: Option<authdeck::bus::BusService>,
    _serial: MutexGuard<'static, ()>,
}

impl Home {
    async fn start() -> Self {
        let serial = SERIAL.lock().await;
        let fake = FakeHivesigner::start(FakeConfig {
            redirect_rules: RedirectRules::Legacy,
            ..FakeConfig::default()
        })
        .await;
        let xdg = tempfile::tempdir().unwrap();
        let core = Authdeck::new(Parts {
            registry: Registry::open(&registry_path(&xdg)).unwrap(),
            vault: Vault::new(Arc::new(KeyringStore::new(vault::SERVICE))),
            clock: Arc::new(SystemClock),
            events: Arc::new(RecordedEvents::default()),
            settings: Settings {
                retry_first_delay: Duration::from_millis(10),
                http_timeout: Duration::from_secs(5),
                ..Settings::default()
            },
        })
        .unwrap();
        Self {
            core,
            fake,
            xdg,
            bus: None,
            _serial: serial,
        }
    }

    /// A code-flow app `client_id` at the fake, registered in the core.
    async fn app(&self, client_id: &str) -> AppView {
        self.fake
            .register_app(client_id, SECRET, &["authdeck://callback"]);
        let input = serde_json::json!({
            "preset": "hivesigner_compatible",
            "baseUrl": self.fake.base_url(),
            "clientId": client_id,
            "scopes": ["posting", "offline"],
            "redirectMode": "custom_scheme",
            "clientSecret": SECRET,
        });
        self.core
            .catalog()
            .register_app(serde_json::from_value(input).unwrap())
            .await
            .unwrap()
    }

    /// Signs `user` in to `app`.
    async fn sign_in(&self, app: &AppView, user: &str) -> AccountId {
        self.fake
            .set_consent(Consent::AutoApprove { user: user.into() });
        let started = self
            .core
            .sign_ins()
            .start_sign_in(app.id, None)
            .await
            .unwrap();
        let redirect = consent(&started.authorize_url).await.unwrap();
        self.core
            .sign_ins()
            .complete_sign_in(&redirect)
            .await
            .unwrap()
            .account
            .id
    }

    /// Signs `user` in to `app` with a token that has run out (it lived one second).
    async fn sign_in_expired(&self, app: &AppView, user: &str) -> AccountId {
        self.fake.set_expires_in(1);
        let id = self.sign_in(app, user).await;
        self.fake.set_expires_in(DEFAULT_EXPIRES_IN);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        id
    }

    fn allow_scripts(&self, app: &AppView, confirm: bool) {
        let access = ScriptAccess {
            allowed: true,
            confirm,
        };
        let saved = self
            .core
            .catalog()
            .set_script_access(app.id, access)
            .unwrap();
        assert_eq!(saved.script_access, access);
    }

    /// Serves the app's session bus interface from this process, asking through `prompter`.
    async fn serve(&mut self, prompter: Arc<dyn Prompter>) {
        let served = authdeck::bus::serve(self.core.scripts().clone(), prompter)
            .await
            .expect("the test session's bus takes the name");
        self.bus = Some(served);
        assert!(authdeck::bus::app_running().await);
    }

    /// The app quits: the name is free again.
    async fn stop_serving(&mut self) {
        self.bus = None;
        for _ in 0..100 {
            if !authdeck::bus::app_running().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the bus name was not released");
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_authdeck"));
        command
            .args(args)
            .env("XDG_DATA_HOME", self.xdg.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `authdeck ARGS` to its end (it never opens a window: it would not end).
    async fn authdeck(&self, args: &[&str]) -> Run {
        let child = self.command(args).spawn().expect("the binary starts");
        Run::finish(child).await
    }

    fn activity(&self) -> Vec<ActivityEntry> {
        self.core
            .broadcaster()
            .list_activity(&ActivityFilter {
                kind: Some(SCRIPT_TOKEN_KIND.into()),
                ..ActivityFilter::default()
            })
            .unwrap()
    }

    /// The keyring entries of this home's accounts and apps: `(key, label, secret)`.
    fn keyring_items(&self) -> Vec<support::keyring::Item> {
        let keys = home_keys(&self.xdg);
        support::keyring::items(vault::SERVICE)
            .into_iter()
            .filter(|item| keys.contains(&item.key))
            .collect()
    }

    /// The stored access token of `user` (from the keyring itself).
    fn stored_token(&self, user: &str) -> String {
        let item = self
            .keyring_items()
            .into_iter()
            .find(|item| {
                item.key.starts_with("account/") && item.key.ends_with(&format!("/{user}"))
            })
            .expect("the account's keyring entry");
        let value: Value = serde_json::from_str(&item.secret).unwrap();
        value["access_token"].as_str().unwrap().to_owned()
    }

    /// Every byte of the data folder (registry, WAL, lock files) as text, for custody checks.
    fn data_files(&self) -> String {
        let mut text = String::new();
        let dir = self.xdg.path().join(authdeck::cli::IDENTIFIER);
        for entry in walk(&dir) {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
        }
        text
    }
}

impl Drop for Home {
    /// Deletes this home's keyring entries (only those: the service is the app's own).
    fn drop(&mut self) {
        for key in home_keys(&self.xdg) {
            let _ = std::process::Command::new("secret-tool")
                .args(["clear", "service", vault::SERVICE, "username", &key])
                .status();
        }
    }
}

fn registry_path(xdg: &TempDir) -> PathBuf {
    xdg.path()
        .join(authdeck::cli::IDENTIFIER)
        .join(authdeck::REGISTRY_FILE)
}

/// The keyring keys of the apps and accounts registered under `xdg`.
fn home_keys(xdg: &TempDir) -> Vec<String> {
    let Ok(registry) = Registry::open(&registry_path(xdg)) else {
        return Vec::new();
    };
    let apps = registry.apps().unwrap_or_default();
    let mut keys: Vec<String> = apps
        .iter()
        .map(|app| vault::app_secret_key(&app.provider, &app.client_id))
        .collect();
    for account in registry.accounts().unwrap_or_default() {
        if let Some(app) = apps.iter().find(|app| app.id == account.app_id) {
            keys.push(vault::account_key(
                &app.provider,
                &app.client_id,
                &account.username,
            ));
        }
    }
    keys
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A finished run of the binary.
struct Run {
    pid: u32,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    async fn finish(child: tokio::process::Child) -> Self {
        let pid = child.id().unwrap();
        let output: Output =
            tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
                .await
                .expect("the command ends by itself: it opened no window")
                .unwrap();
        Self {
            pid,
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// The printed token: one line, nothing else, and nothing on stderr.
    fn token(&self) -> String {
        assert_eq!(self.code, Some(0), "stderr: {}", self.stderr);
        assert_eq!(self.stderr, "", "nothing on stderr");
        let token = self.stdout.strip_suffix('\n').expect("one line");
        assert!(!token.contains('\n'), "one line: {:?}", self.stdout);
        assert!(token.starts_with(TOKEN_PREFIX), "a token: {token}");
        token.to_owned()
    }

    /// A refusal: a non-zero status, nothing on stdout, the reason (without a token) on stderr.
    fn refused(&self) -> &str {
        assert_eq!(self.code, Some(1), "stdout: {}", self.stdout);
        assert_eq!(self.stdout, "", "nothing on stdout");
        assert!(
            self.stderr.starts_with("authdeck token: "),
            "{}",
            self.stderr
        );
        assert!(!self.stderr.contains(TOKEN_PREFIX), "{}", self.stderr);
        &self.stderr
    }
}

/// Answers every request after a moment, as the person would.
struct Answering {
    scripts: Arc<ScriptTokens>,
    allow: bool,
    asked: Mutex<Vec<ScriptRequest>>,
}

impl Answering {
    fn new(home: &Home, allow: bool) -> Arc<Self> {
        Arc::new(Self {
            scripts: home.core.scripts().clone(),
            allow,
            asked: Mutex::default(),
        })
    }

    fn asked(&self) -> Vec<ScriptRequest> {
        self.asked.lock().unwrap().clone()
    }
}

impl Prompter for Answering {
    fn ask(&self, request: &ScriptRequest) {
        self.asked.lock().unwrap().push(request.clone());
        let (scripts, id, allow) = (self.scripts.clone(), request.request_id, self.allow);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(scripts.answer(id, allow), "the request waits");
        });
    }

    fn withdraw(&self, _request_id: u64) {}
}

/// Never asked: the app does not want a confirmation.
struct NeverAsked;

impl Prompter for NeverAsked {
    fn ask(&self, request: &ScriptRequest) {
        panic!("nobody should be asked: {request:?}");
    }

    fn withdraw(&self, _request_id: u64) {}
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|err| panic!("{err}: {}", run.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn status_lists_every_account_and_fails_when_one_needs_sign_in() {
    let mut home = Home::start().await;

    // Nothing registered yet: nothing a script could use.
    let empty = home.authdeck(&["status"]).await;
    assert_eq!(empty.code, Some(1), "{}", empty.stdout);
    assert!(
        empty.stdout.contains("No accounts in Authdeck yet"),
        "{}",
        empty.stdout
    );

    let app = home.app("statusapp").await;
    let alice = home.sign_in(&app, "alice").await;
    let bob = home.sign_in(&app, "bob").await;

    let fine = home.authdeck(&["status", "--json"]).await;
    assert_eq!(fine.code, Some(0), "{}{}", fine.stdout, fine.stderr);
    let report = json(&fine);
    assert_eq!(report["ok"], true);
    assert_eq!(report["appRunning"], false);
    let accounts = report["accounts"].as_array().unwrap();
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    let first = &accounts[0];
    assert_eq!(first["id"], alice.0);
    assert_eq!(first["app"], "statusapp");
    assert_eq!(first["baseUrl"], home.fake.base_url());
    assert_eq!(first["health"], "fresh");
    assert_eq!(first["flow"], "code");
    assert!(first["expiresIn"].as_i64().unwrap() > 600_000);
    assert_eq!(first["scriptAccess"]["allowed"], false);
    // Where the tokens live is where the keyring really keeps them.
    let items = home.keyring_items();
    for account in accounts {
        let keyring = &account["keyring"];
        assert_eq!(keyring["service"], "authdeck");
        let item = items
            .iter()
            .find(|item| item.key == keyring["key"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no keyring item {keyring}"));
        assert_eq!(item.label, keyring["label"].as_str().unwrap());
    }

    // The provider refuses bob's grant: he needs a sign-in, and status says so.
    home.fake.refuse_refresh(true);
    let err = home.core.tokens().refresh_now(bob).await.unwrap_err();
    assert_eq!(err.code(), "needs_sign_in");
    let view = home.core.catalog().account_view(bob).unwrap();
    assert_eq!(view.account.health, Health::NeedsSignIn);

    let failing = home.authdeck(&["status", "--json"]).await;
    assert_eq!(
        failing.code,
        Some(1),
        "non-zero while an account needs attention"
    );
    let report = json(&failing);
    assert_eq!(report["ok"], false);
    assert_eq!(report["needsAttention"], 1);
    assert_eq!(report["accounts"][0]["attention"], Value::Null);
    assert_eq!(report["accounts"][1]["attention"], "needs_sign_in");

    let table = home.authdeck(&["status"]).await;
    assert_eq!(table.code, Some(1));
    assert!(
        table
            .stdout
            .contains("  ✓ @alice for app @statusapp: fresh\n"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("  X @bob for app @statusapp: needs sign-in\n"),
        "{}",
        table.stdout
    );
    assert!(table
        .stdout
        .contains("1 of 2 accounts needs attention: @bob (needs sign-in)."));
    assert_eq!(table.stderr, "");

    // With the app running, status reads the same registry and says the app runs.
    home.serve(Arc::new(NeverAsked)).await;
    let running = home.authdeck(&["status", "--json"]).await;
    assert_eq!(running.code, Some(1));
    let report = json(&running);
    assert_eq!(report["appRunning"], true);
    assert_eq!(report["accounts"].as_array().unwrap().len(), 2);
    home.stop_serving().await;

    let usage = home.authdeck(&["status", "--yaml"]).await;
    assert_eq!(usage.code, Some(2));
    assert!(
        usage.stderr.contains("Usage: authdeck status"),
        "{}",
        usage.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn scripts_get_no_token_while_access_is_off_with_or_without_the_app() {
    let mut home = Home::start().await;
    let app = home.app("offapp").await;
    home.sign_in(&app, "alice").await;

    let direct = home.authdeck(&["token", "alice"]).await;
    let message = direct.refused();
    assert!(message.contains(ALLOW_LABEL), "{message}");
    assert!(message.contains("@offapp"), "{message}");

    home.serve(Arc::new(NeverAsked)).await;
    let asked = home.authdeck(&["token", "alice"]).await;
    let message = asked.refused();
    assert!(message.contains(ALLOW_LABEL), "{message}");
    home.stop_serving().await;

    assert!(home.activity().is_empty(), "nothing was handed out");
    assert_eq!(home.fake.count(Endpoint::Refresh), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn a_token_handed_out_is_logged_with_who_asked_and_never_the_token() {
    let mut home = Home::start().await;
    let app = home.app("tokenapp").await;
    let alice = home.sign_in(&app, "alice").await;
    home.allow_scripts(&app, false);

    // No app running: the command answers itself.
    let direct = home.authdeck(&["token", "@alice"]).await;
    let token = direct.token();
    assert_eq!(token, home.stored_token("alice"), "the keyring's token");
    let entries = home.activity();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.sender.account_id, Some(alice));
    assert_eq!(entry.sender.username, "alice");
    assert_eq!(entry.sender.app_client_id, "tokenapp");
    assert!(
        entry
            .summary
            .contains(&format!("authdeck (pid {})", direct.pid)),
        "the command's own process: {}",
        entry.summary
    );
    assert!(entry.summary.contains("started by"), "{}", entry.summary);
    assert!(
        entry.summary.contains("Authdeck was not running"),
        "{}",
        entry.summary
    );
    let caller: Value = serde_json::from_str(&entry.operations).unwrap();
    assert_eq!(caller["route"], "command");
    assert_eq!(caller["process"]["pid"], direct.pid);

    // The app running: the request goes over the session bus, which names the caller.
    home.serve(Arc::new(NeverAsked)).await;
    let asked = home
        .authdeck(&["token", "alice", "--app", "tokenapp"])
        .await;
    assert_eq!(
        asked.token(),
        token,
        "still fresh: the same token, no refresh"
    );
    home.stop_serving().await;
    let entries = home.activity();
    assert_eq!(entries.len(), 2);
    let entry = &entries[0];
    assert!(
        entry
            .summary
            .contains(&format!("authdeck (pid {}), started by", asked.pid)),
        "the bus names the process that asked: {}",
        entry.summary
    );
    assert!(
        entry.summary.ends_with("over the session bus"),
        "{}",
        entry.summary
    );
    assert_eq!(home.fake.count(Endpoint::Refresh), 0);

    // The token is in none of them, nor in the data folder.
    for entry in &entries {
        for text in [&entry.summary, &entry.operations] {
            assert!(
                !text.contains(&token) && !text.contains(TOKEN_PREFIX),
                "{text}"
            );
        }
    }
    assert!(!home.data_files().contains(TOKEN_PREFIX));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn two_token_calls_on_an_expired_account_refresh_it_once_with_or_without_the_app() {
    let mut home = Home::start().await;
    let app = home.app("raceapp").await;
    home.allow_scripts(&app, false);

    for app_running in [false, true] {
        let user = if app_running { "bob" } else { "alice" };
        home.sign_in_expired(&app, user).await;
        let before = home.stored_token(user);
        let refreshes = home.fake.count(Endpoint::Refresh);
        if app_running {
            home.serve(Arc::new(NeverAsked)).await;
        }
        // The first refresh takes a while: the second caller arrives while it is in flight.
        home.fake.fail_next(
            Endpoint::Refresh,
            Failure::Delay(Duration::from_millis(1_500)),
        );
        let first = home.command(&["token", user]).spawn().unwrap();
        let second = home.command(&["token", user]).spawn().unwrap();
        let (first, second) = tokio::join!(Run::finish(first), Run::finish(second));
        let (first, second) = (first.token(), second.token());
        assert_eq!(
            home.fake.count(Endpoint::Refresh) - refreshes,
            1,
            "one refresh for both callers (app running: {app_running})"
        );
        assert_eq!(first, second, "both got the refreshed token");
        assert_ne!(first, before, "a new token");
        assert_eq!(first, home.stored_token(user), "kept in the keyring");
        if app_running {
            home.stop_serving().await;
        }
    }
    assert_eq!(home.activity().len(), 4, "every token handed out is logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn an_ambiguous_or_unknown_account_is_refused_with_the_way_to_pick_one() {
    let home = Home::start().await;
    let first = home.app("firstapp").await;
    let second = home.app("secondapp").await;
    home.sign_in(&first, "alice").await;
    home.sign_in(&second, "alice").await;
    home.allow_scripts(&first, false);
    home.allow_scripts(&second, false);

    let ambiguous = home.authdeck(&["token", "alice"]).await;
    let message = ambiguous.refused();
    assert!(message.contains("@alice has 2 accounts"), "{message}");
    assert!(
        message.contains("authdeck token alice --app firstapp"),
        "{message}"
    );
    assert!(
        message.contains("authdeck token alice --app secondapp"),
        "{message}"
    );

    let picked = home
        .authdeck(&["token", "alice", "--app", "secondapp"])
        .await
        .token();
    let keys = home.keyring_items();
    let second_entry = keys
        .iter()
        .find(|item| item.key.ends_with("/secondapp/alice"))
        .unwrap();
    assert!(
        second_entry.secret.contains(&picked),
        "the second app's token"
    );

    let unknown = home.authdeck(&["token", "carol"]).await;
    assert!(
        unknown.refused().contains("no account @carol"),
        "{}",
        unknown.stderr
    );
    let usage = home.authdeck(&["token"]).await;
    assert_eq!(usage.code, Some(2));
    assert_eq!(usage.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the test session's keyring and session bus: run scripts/test.sh"]
async fn an_app_that_asks_each_time_needs_the_running_app_and_the_persons_yes() {
    let mut home = Home::start().await;
    let app = home.app("askapp").await;
    let alice = home.sign_in(&app, "alice").await;
    home.allow_scripts(&app, true);

    let alone = home.authdeck(&["token", "alice"]).await;
    let message = alone.refused();
    assert!(message.contains("Start Authdeck"), "{message}");

    let yes = Answering::new(&home, true);
    home.serve(yes.clone()).await;
    let allowed = home.authdeck(&["token", "alice"]).await;
    allowed.token();
    let asked = yes.asked();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].account_id, alice);
    assert_eq!(asked[0].username, "alice");
    assert_eq!(asked[0].app, "@askapp");
    assert!(
        asked[0].caller.contains(&format!("pid {}", allowed.pid)),
        "{}",
        asked[0].caller
    );
    home.stop_serving().await;

    let no = Answering::new(&home, false);
    home.serve(no.clone()).await;
    let denied = home.authdeck(&["token", "alice"]).await;
    assert!(denied.refused().contains("declined"), "{}", denied.stderr);
    assert_eq!(no.asked().len(), 1);
    home.stop_serving().await;

    assert_eq!(
        home.activity().len(),
        1,
        "only the allowed one was handed out"
    );
    assert_eq!(home.core.scripts().waiting_count(), 0);
}
