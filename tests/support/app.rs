//! Launches the real Authdeck window and drives it over WebDriver (tauri-driver in front of
//! WebKitWebDriver), for end-to-end tests.
//!
//! Needs a display (Xvfb), a D-Bus session and the drivers: `scripts/test.sh` provides all of
//! them. Every launch gets its own data directories, and [`AppSession::stop`] ends everything
//! the session started (tauri-driver gets SIGTERM, so it takes WebKitWebDriver with it).
//!
//! Adding an end-to-end test: `let app = AppSession::start().await;`, drive `app.client`,
//! then `app.stop().await`. Hold [`exclusive`] for the whole test: the app is single-instance.
//! [`app_with_fake_provider`] starts the usual pair: a fake Hivesigner with an app, and the
//! window with that app registered. Wait for anything with [`poll_until`].

use std::collections::HashMap;
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fake_hivesigner::{FakeConfig, FakeHivesigner};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

use super::deck::SECRET;

/// The built app under test.
pub const APP_BINARY: &str = env!("CARGO_BIN_EXE_authdeck");

/// The app's identifier (`tauri.conf.json`), the name of its data directory.
pub const APP_IDENTIFIER: &str = "app.authdeck.desktop";

/// The stand-in for the person's browser (see `tests/support/browser.sh`).
pub const BROWSER_STAND_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/browser.sh");

/// How long a window or an element may take to appear.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// How often [`poll_until`] looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Runs `check` until it gives `Some`, every 100 ms for up to `timeout`, and returns its value;
/// panics naming `what` (what was awaited) when `timeout` passes first.
pub async fn poll_until<T, Fut>(what: &str, timeout: Duration, mut check: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The latest state a wait saw; when the wait panics, it is written to stderr, which the test's
/// failure report shows.
#[derive(Default)]
pub struct LastSeen(Mutex<Option<String>>);

impl LastSeen {
    /// Remembers `seen` in place of what was seen before.
    pub fn set(&self, seen: impl Into<String>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(seen.into());
    }
}

impl Drop for LastSeen {
    fn drop(&mut self) {
        let seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let (true, Some(seen)) = (std::thread::panicking(), seen.as_ref()) {
            eprintln!("last seen: {seen}");
        }
    }
}

/// A fake Hivesigner started with `config`, with the app `client_id` registered (client secret
/// [`SECRET`]) for `redirect_uris`.
pub async fn fake_provider(
    config: FakeConfig,
    client_id: &str,
    redirect_uris: &[&str],
) -> FakeHivesigner {
    let fake = FakeHivesigner::start(config).await;
    fake.register_app(client_id, SECRET, redirect_uris);
    fake
}

/// The app with a fake provider: [`fake_provider`] with `client_id` registered for the
/// loopback redirect, the window started through [`AppSession::start_with_browser`] with
/// `env`, and the app registered in it through `register_app` (a Hivesigner-compatible
/// server at the fake, posting with refresh tokens, [`SECRET`]). Returns the fake, the window
/// and `register_app`'s reply.
pub async fn app_with_fake_provider(
    config: FakeConfig,
    client_id: &str,
    env: &[(&str, &str)],
) -> (FakeHivesigner, AppSession, Value) {
    let fake = fake_provider(config, client_id, &["http://127.0.0.1/callback"]).await;
    let app = AppSession::start_with_browser(env).await;
    let registered = app
        .invoke(
            "register_app",
            json!({ "input": {
                "preset": "hivesigner_compatible",
                "baseUrl": fake.base_url(),
                "clientId": client_id,
                "scopes": ["posting", "offline"],
                "clientSecret": SECRET,
            }}),
        )
        .await
        .unwrap();
    (fake, app, registered)
}

static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Serialises end-to-end tests within one test binary: a second app would hand over to the
/// first and exit, as the single-instance rule says.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_APP_AT_A_TIME.lock().await
}

/// A running app window, its WebDriver client and the processes behind it.
pub struct AppSession {
    /// The WebDriver client connected to the app's window.
    pub client: Client,
    driver: Driver,
    home: TempDir,
    env: HashMap<String, String>,
}

impl AppSession {
    /// Starts the app with fresh data directories.
    pub async fn start() -> Self {
        Self::start_with_env(HashMap::new()).await
    }

    /// Starts the app with fresh data directories and `extra` environment variables.
    pub async fn start_with_env(extra: HashMap<String, String>) -> Self {
        Self::start_prepared(extra, |_| {}).await
    }

    /// Starts the app with the browser stand-in as the person's browser (it approves on the
    /// consent page and delivers the redirect, launching [`APP_BINARY`] for a deep link), and
    /// `env` added.
    pub async fn start_with_browser(env: &[(&str, &str)]) -> Self {
        let mut vars = HashMap::from([
            ("BROWSER".into(), BROWSER_STAND_IN.into()),
            ("AUTHDECK_APP".into(), APP_BINARY.into()),
        ]);
        vars.extend(
            env.iter()
                .map(|(key, value)| (key.to_string(), value.to_string())),
        );
        Self::start_with_env(vars).await
    }

    /// Like [`Self::start_with_env`], after `prepare` ran on the app's data directory (the
    /// one that will hold `app.authdeck.desktop/registry.sqlite3`), to seed it.
    pub async fn start_prepared(
        extra: HashMap<String, String>,
        prepare: impl FnOnce(&Path),
    ) -> Self {
        Self::start_with_args(extra, &[], prepare).await
    }

    /// Like [`Self::start_prepared`], with `args` on the app's command line (as in
    /// `authdeck --sandbox`).
    pub async fn start_with_args(
        extra: HashMap<String, String>,
        args: &[&str],
        prepare: impl FnOnce(&Path),
    ) -> Self {
        Self::start_binary(Path::new(APP_BINARY), extra, args, prepare).await
    }

    /// Like [`Self::start_with_args`], with the app at `binary` (an installed copy, as in
    /// `tests/package_install.rs`) instead of this build's [`APP_BINARY`].
    pub async fn start_binary(
        binary: &Path,
        extra: HashMap<String, String>,
        args: &[&str],
        prepare: impl FnOnce(&Path),
    ) -> Self {
        require_environment();
        let home = tempfile::tempdir().expect("a temporary directory for the app's data");
        let mut env = isolated_dirs(home.path());
        env.insert(SESSION_MARKER.into(), format!("{}", rand::random::<u64>()));
        env.extend(extra);
        prepare(&home.path().join("data").join(APP_IDENTIFIER));

        let port = free_port();
        let native_port = free_port();
        let driver = Driver(
            Command::new("tauri-driver")
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native_port.to_string()])
                .envs(&env)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("tauri-driver starts (scripts/test.sh installs it)"),
        );
        // tauri-driver listens first and starts WebKitWebDriver behind it: wait for both.
        wait_for_port(port);
        wait_for_port(native_port);

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(capabilities);
        let address = format!("http://127.0.0.1:{port}");
        let client = tokio::time::timeout(UI_TIMEOUT, builder.connect(&address))
            .await
            .expect("the app window opens within the UI timeout (did the app start? see its stderr above)")
            .expect("a WebDriver session with the app");
        let session = Self {
            client,
            driver,
            home,
            env,
        };
        session.wait_for_text("h1", "Authdeck").await;
        // The page sets `data-ready` once its views have loaded their first lists.
        session.element("body[data-ready]").await;
        session
    }

    /// The environment the app runs with; use it for second launches.
    pub fn env(&self) -> &HashMap<String, String> {
        &self.env
    }

    /// The directory standing in for the user's home (data, config, cache live under it).
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// Launches the app binary a second time with `args`, as the desktop would for a link, and
    /// returns its exit status, or `None` if it was still running after `within` (it is killed).
    pub fn launch_again(&self, args: &[&str], within: Duration) -> Option<ExitStatus> {
        let mut second = Command::new(APP_BINARY)
            .args(args)
            .envs(&self.env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the app binary starts a second time");
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = second.try_wait().expect("the second instance's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = second.kill();
        let _ = second.wait();
        None
    }

    /// Calls an app command from inside the window, as the page does, and returns its reply
    /// (`Ok`) or its `{code, message}` error (`Err`).
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let script = "const [command, args, done] = arguments;
            window.__TAURI__.core.invoke(command, args)
              .then((ok) => done({ ok }), (err) => done({ err }));";
        let reply = self
            .client
            .execute_async(script, vec![command.into(), args])
            .await
            .expect("the script runs in the window");
        match reply.get("err") {
            Some(err) => Err(err.clone()),
            None => Ok(reply.get("ok").cloned().unwrap_or_default()),
        }
    }

    /// Saves a PNG of the window's page to `path` (directories created as needed).
    pub async fn screenshot(&self, path: &Path) {
        let png = self
            .client
            .screenshot()
            .await
            .expect("a screenshot of the window");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("the screenshot's directory");
        }
        std::fs::write(path, png).expect("the screenshot is written");
    }

    /// Clicks the displayed element matching `css` (found again if the page replaced it).
    pub async fn click(&self, css: &str) {
        let last_error = LastSeen::default();
        poll_until(&format!("a click on '{css}'"), UI_TIMEOUT, || async {
            match self.element(css).await.click().await {
                Ok(()) => Some(()),
                Err(err) => {
                    last_error.set(format!("click {css}: {err:?}"));
                    None
                }
            }
        })
        .await
    }

    /// Types `text` into the element matching `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        element
            .clear()
            .await
            .unwrap_or_else(|err| panic!("clear {css}: {err}"));
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.element(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|err| panic!("select {value} in {css}: {err}"));
    }

    /// Waits for a displayed element matching `css`.
    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        poll_until(&format!("a displayed '{css}'"), UI_TIMEOUT, || async {
            for element in self.client.find_all(Locator::Css(css)).await.ok()? {
                if element.is_displayed().await.unwrap_or(false) {
                    return Some(element);
                }
            }
            None
        })
        .await
    }

    /// Waits until no element matching `css` contains `needle`.
    pub async fn wait_until_gone(&self, css: &str, needle: &str) {
        let what = format!("no '{css}' to contain {needle:?}");
        poll_until(&what, UI_TIMEOUT, || async {
            let mut present = false;
            for element in self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default()
            {
                present |= element.text().await.is_ok_and(|text| text.contains(needle));
            }
            (!present).then_some(())
        })
        .await
    }

    /// Every file under the app's data directory (registry, logs), as `(path, bytes)`.
    pub fn data_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, found: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    found.push((path, bytes));
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.home.path().join("data"), &mut found);
        found
    }

    /// Waits until an element matching `css` contains `needle`, and returns its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let last = LastSeen::default();
        let what = format!("a '{css}' containing {needle:?}");
        poll_until(&what, UI_TIMEOUT, || async {
            for element in self.client.find_all(Locator::Css(css)).await.ok()? {
                if let Ok(text) = element.text().await {
                    if text.contains(needle) {
                        return Some(text);
                    }
                    last.set(format!("text {text:?}"));
                }
            }
            None
        })
        .await
    }

    /// Closes the window, then ends tauri-driver.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for AppSession {
    /// Whatever happened in the test, nothing it started outlives it: a running app would
    /// keep the single-instance name and swallow the next test's launch.
    fn drop(&mut self) {
        terminate(&mut self.driver.0);
        if let Some(marker) = self.env.get(SESSION_MARKER) {
            end_marked_processes(marker);
        }
    }
}

/// The environment variable that marks every process of one session (the app, its second
/// launches, its web processes), so they can be found and ended.
const SESSION_MARKER: &str = "AUTHDECK_TEST_SESSION";

/// tauri-driver, ended on drop (also when a test panics half-way through starting).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        terminate(&mut self.0);
    }
}

/// Sends SIGTERM, then (after 3 s) SIGKILL, to every process whose environment holds
/// `SESSION_MARKER=marker`.
fn end_marked_processes(marker: &str) {
    let needle = format!("{SESSION_MARKER}={marker}");
    let marked = || -> Vec<String> {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let pid = entry.file_name().to_string_lossy().into_owned();
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                environ
                    .split(|byte| *byte == 0)
                    .any(|pair| pair == needle.as_bytes())
                    .then_some(pid)
            })
            .collect()
    };
    for signal in ["-TERM", "-KILL"] {
        let pids = marked();
        if pids.is_empty() {
            return;
        }
        let _ = Command::new("kill").arg(signal).args(&pids).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !marked().is_empty() {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Ends `child` with SIGTERM (tauri-driver then ends WebKitWebDriver; a SIGKILL would orphan
/// it), and kills it only if it has not exited after 5 s.
fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// XDG directories under `home`, so the app's data, logs, keyrings and desktop entries of one
/// test never meet another's or the user's.
fn isolated_dirs(home: &Path) -> HashMap<String, String> {
    let dir = |name: &str| -> String {
        let path: PathBuf = home.join(name);
        std::fs::create_dir_all(&path).expect("an isolated XDG directory");
        path.display().to_string()
    };
    HashMap::from([
        ("XDG_DATA_HOME".into(), dir("data")),
        ("XDG_CONFIG_HOME".into(), dir("config")),
        ("XDG_CACHE_HOME".into(), dir("cache")),
        // The system browser is the test: opening it does nothing.
        ("BROWSER".into(), "true".into()),
        // Quiet, and nothing written after the directories are gone.
        ("MESA_SHADER_CACHE_DISABLE".into(), "true".into()),
        ("NO_AT_BRIDGE".into(), "1".into()),
    ])
}

fn require_environment() {
    let missing: Vec<&str> = [
        ("DISPLAY", std::env::var_os("DISPLAY").is_some()),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, present)| (!present).then_some(name))
    .collect();
    assert!(
        missing.is_empty(),
        "end-to-end tests need {missing:?}: run them through scripts/test.sh, which provides a \
         virtual display and a private D-Bus session"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + UI_TIMEOUT;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the WebDriver did not listen on port {port} within {UI_TIMEOUT:?}");
}
