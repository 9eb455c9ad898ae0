//! Startup benchmark, with a report (not a pass/fail test): Authdeck's release build beside an
//! empty Tauri app built the same way (`benches/empty-app`), on the same display, in the same
//! run. `scripts/bench.sh` builds both and runs this inside `scripts/session.sh`; by hand:
//!
//! ```text
//! AUTHDECK_BENCH_APP=target/release/authdeck AUTHDECK_BENCH_EMPTY=target/release/empty-app \
//!   scripts/session.sh cargo bench --bench startup
//! ```
//!
//! For each app (the empty app; Authdeck with 50 and with 1,000 signed-in accounts) it runs
//! rounds of: start, watch for 10 s, measure, kill the whole process tree; and reports medians:
//! the toplevel mapped (X `MapNotify`), the page's first paint (the `first paint:` line on
//! stderr), frames painted (XDamage) in the first 10 s and after the first paint, CPU time and
//! resident memory (RSS, PSS) of the app and its WebKit processes at 10 s, also split into the
//! app's own process and WebKit's processes (rows) and by each role (a printed table: app,
//! web, network, other); then the sizes of the two release binaries and, when built, their
//! `.deb` packages.
//!
//! Authdeck's accounts are signed in through the library against a fake Hivesigner that runs
//! in this process for the whole run (tokens valid for 30 days, so nothing is due for refresh),
//! with the session's real keyring and the registry file in the app's own data folder.
//!
//! Environment: `AUTHDECK_BENCH_APP`, `AUTHDECK_BENCH_EMPTY` (the two binaries, required),
//! `AUTHDECK_BENCH_APP_DEB`, `AUTHDECK_BENCH_EMPTY_DEB` (the packages, optional),
//! `AUTHDECK_BENCH_ROUNDS` (10), `AUTHDECK_BENCH_WARMUP` (unmeasured rounds first, 1),
//! `AUTHDECK_BENCH_SECS` (the watch window, 10), `AUTHDECK_BENCH_VERBOSE` (set: echo what the
//! apps write on stderr), `AUTHDECK_BENCH_MANY` (`0`: skip the 1,000-account rounds and their
//! seeding, minutes of it, for quick experiments; their rows then say "missing").

#[path = "support/app_round.rs"]
mod app_round;
#[path = "support/process_tree.rs"]
mod process_tree;
#[path = "support/report.rs"]
mod report;
#[path = "support/x11_watch.rs"]
mod x11_watch;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app_round::{Launch, Sample};
use authdeck::apps::AppId;
use authdeck::clock::SystemClock;
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{KeyringStore, Vault};
use fake_hivesigner::{consent, Consent, FakeConfig, FakeHivesigner, RedirectRules};
use report::Row;
use serde_json::json;
use x11_watch::Display;

/// The two account counts Authdeck is measured with.
const FEW: usize = 50;
const MANY: usize = 1_000;

/// How long the fake's tokens are valid: far from due for a refresh during the run.
const TOKEN_LIFETIME_SECS: u64 = 30 * 24 * 60 * 60;

/// The benchmark's settings, from the environment.
struct Config {
    app: PathBuf,
    empty: PathBuf,
    app_deb: Option<PathBuf>,
    empty_deb: Option<PathBuf>,
    rounds: usize,
    warmup: usize,
    window: Duration,
    /// Whether the 1,000-account rounds run.
    many: bool,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let binary = |name: &str| -> Result<PathBuf, String> {
            let path = std::env::var_os(name).map(PathBuf::from).ok_or_else(|| {
                format!("{name} is not set: name the release binary (scripts/bench.sh does)")
            })?;
            if path.is_file() {
                Ok(path)
            } else {
                Err(format!("{name}={} is not a file", path.display()))
            }
        };
        let number = |name: &str, default: usize| -> Result<usize, String> {
            match std::env::var(name) {
                Err(_) => Ok(default),
                Ok(value) => value
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={value:?} is not a whole number")),
            }
        };
        let rounds = number("AUTHDECK_BENCH_ROUNDS", 10)?.max(1);
        let secs = number("AUTHDECK_BENCH_SECS", 10)?.max(1);
        Ok(Self {
            app: binary("AUTHDECK_BENCH_APP")?,
            empty: binary("AUTHDECK_BENCH_EMPTY")?,
            app_deb: std::env::var_os("AUTHDECK_BENCH_APP_DEB").map(PathBuf::from),
            empty_deb: std::env::var_os("AUTHDECK_BENCH_EMPTY_DEB").map(PathBuf::from),
            rounds,
            warmup: number("AUTHDECK_BENCH_WARMUP", 1)?,
            window: Duration::from_secs(secs as u64),
            many: number("AUTHDECK_BENCH_MANY", 1)? != 0,
        })
    }
}

/// An app's own home: data, config and cache folders that last for the run (caches are warm
/// after the warm-up round, as for a person's second start), and a fresh runtime folder for
/// every process.
struct Home {
    root: PathBuf,
    rounds: usize,
}

impl Home {
    fn new(root: PathBuf) -> Result<Self, String> {
        for dir in ["data", "config", "cache", "runtime"] {
            std::fs::create_dir_all(root.join(dir))
                .map_err(|err| format!("cannot create {}: {err}", root.join(dir).display()))?;
        }
        Ok(Self { root, rounds: 0 })
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The environment of the next process: this home, and a new runtime folder.
    fn next_env(&mut self) -> Result<Vec<(String, OsString)>, String> {
        use std::os::unix::fs::PermissionsExt;

        self.rounds += 1;
        let runtime = self.root.join("runtime").join(self.rounds.to_string());
        std::fs::create_dir_all(&runtime)
            .and_then(|()| {
                std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            })
            .map_err(|err| format!("cannot create {}: {err}", runtime.display()))?;
        Ok(vec![
            ("XDG_DATA_HOME".into(), self.data().into()),
            ("XDG_CONFIG_HOME".into(), self.root.join("config").into()),
            ("XDG_CACHE_HOME".into(), self.root.join("cache").into()),
            ("XDG_RUNTIME_DIR".into(), runtime.into()),
        ])
    }
}

/// Signs in accounts `voter{from}` to `voter{to - 1}` into the registry file at `registry`
/// (the app's own, with the session's keyring), registering the fake's app first when `app`
/// is `None`. Returns the app's id.
async fn seed(
    fake: &FakeHivesigner,
    registry: &Path,
    app: Option<AppId>,
    from: usize,
    to: usize,
) -> Result<AppId, String> {
    let failed = |what: &str, err: &dyn std::fmt::Display| format!("seeding: {what}: {err}");
    let core = Authdeck::new(Parts {
        registry: Registry::open(registry).map_err(|err| failed("open the registry", &err))?,
        vault: Vault::new(Arc::new(KeyringStore::new(authdeck::vault::SERVICE))),
        clock: Arc::new(SystemClock),
        events: Arc::new(RecordedEvents::default()),
        settings: Settings::from_env(),
    })
    .map_err(|err| failed("start the core", &err))?;
    let app = match app {
        Some(app) => app,
        None => {
            fake.register_app("benchapp", "bench-secret", &["authdeck://callback"]);
            let input = serde_json::from_value(json!({
                "preset": "hivesigner_compatible",
                "baseUrl": fake.base_url(),
                "clientId": "benchapp",
                "scopes": ["posting", "offline"],
                "redirectMode": "custom_scheme",
                "clientSecret": "bench-secret",
            }))
            .map_err(|err| failed("the app's description", &err))?;
            let registered = core.catalog().register_app(input).await;
            registered
                .map_err(|err| failed("register the app", &err))?
                .id
        }
    };
    for index in from..to {
        fake.set_consent(Consent::AutoApprove {
            user: format!("voter{index:04}"),
        });
        let started = core.sign_ins().start_sign_in(app, None).await;
        let started = started.map_err(|err| failed("start a sign-in", &err))?;
        let redirect = consent(&started.authorize_url)
            .await
            .ok_or_else(|| "seeding: the fake did not approve a sign-in".to_string())?;
        let done = core.sign_ins().complete_sign_in(&redirect).await;
        done.map_err(|err| failed("complete a sign-in", &err))?;
    }
    let listed = core.catalog().list_accounts();
    let listed = listed.map_err(|err| failed("list the accounts", &err))?;
    if listed.len() != to {
        return Err(format!(
            "seeding: {} accounts listed, {to} expected",
            listed.len()
        ));
    }
    Ok(app)
}

/// The samples of one app's rounds.
struct Rounds {
    name: String,
    /// How many accounts the app has, so its page should list.
    accounts: usize,
    samples: Vec<Sample>,
    failed: usize,
}

impl Rounds {
    fn new(name: &str, accounts: usize) -> Self {
        Self {
            name: name.into(),
            accounts,
            samples: Vec::new(),
            failed: 0,
        }
    }

    /// One round of `binary` from `home`, measured when `measured` (else a warm-up).
    fn run(
        &mut self,
        display: &mut Display,
        home: &mut Home,
        binary: &Path,
        window: Duration,
        measured: bool,
    ) -> Result<(), String> {
        let launch = Launch {
            binary: binary.to_path_buf(),
            env: home.next_env()?,
            window,
            echo: std::env::var_os("AUTHDECK_BENCH_VERBOSE").is_some(),
        };
        let label = if measured { "round" } else { "warm-up" };
        match app_round::run(display, &launch) {
            Ok(sample) => {
                println!("  {:<26} {label:<8} {}", self.name, describe(&sample));
                if sample.listed.is_some_and(|n| n as usize != self.accounts) {
                    println!(
                        "  {:<26} {label:<8} warning: the page listed a different count than the {} accounts signed in (AUTHDECK_BENCH_VERBOSE=1 shows the app's log)",
                        self.name, self.accounts
                    );
                }
                if measured {
                    self.samples.push(sample);
                }
            }
            Err(err) => {
                println!("  {:<26} {label:<8} failed: {err}", self.name);
                if measured {
                    self.failed += 1;
                }
            }
        }
        // The single-instance plugin's bus name goes with the process; give the bus a moment.
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// The median of one figure over the rounds that have it, and how many rounds had it.
    fn median<T: Copy + PartialOrd>(
        &self,
        figure: impl Fn(&Sample) -> Option<T>,
    ) -> Option<(T, usize)> {
        let mut values: Vec<T> = self.samples.iter().filter_map(figure).collect();
        values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let count = values.len();
        values.get(count / 2).map(|value| (*value, count))
    }

    fn rounds(&self) -> usize {
        self.samples.len() + self.failed
    }
}

/// One role's figures, for a round's line: `cpu 0.52 s rss 120.3 pss 80.1`.
fn usage_text(usage: &process_tree::Usage) -> String {
    format!(
        "cpu {:.2} s rss {:.1} pss {:.1}",
        usage.cpu.as_secs_f64(),
        megabytes(usage.rss_kib * 1024),
        megabytes(usage.pss_kib * 1024)
    )
}

fn describe(sample: &Sample) -> String {
    let time = |t: Option<Duration>| t.map_or("-".into(), |t| format!("{:.0} ms", report::ms(t)));
    let split = &sample.split;
    format!(
        "mapped {:>7}  painted {:>7} ({} listed)  frames {:>3} ({:>3} after paint)  cpu {:.2} s  rss {:.1} MB  pss {:.1} MB  {} processes  [app {} | web {} | network {}]",
        time(sample.mapped),
        time(sample.painted),
        sample.listed.map_or("?".into(), |n| n.to_string()),
        sample.frames,
        sample.frames_after_paint,
        sample.cpu.as_secs_f64(),
        megabytes(sample.rss_kib * 1024),
        megabytes(sample.pss_kib * 1024),
        sample.processes,
        usage_text(&split.app),
        usage_text(&split.web),
        usage_text(&split.network),
    )
}

/// The WebKit side of a round: its web, network and any other processes together.
fn webkit(sample: &Sample) -> process_tree::Usage {
    let mut split = sample.split;
    split.app = process_tree::Usage::default();
    split.total()
}

/// Prints the median figures of each role over `rounds`' samples (MB, seconds).
fn print_split(rounds: &Rounds) {
    type Pick = fn(&Sample) -> process_tree::Usage;
    let roles: [(&str, Pick); 5] = [
        ("app process", |s| s.split.app),
        ("WebKit web", |s| s.split.web),
        ("WebKit network", |s| s.split.network),
        ("other", |s| s.split.other),
        ("all", |s| s.split.total()),
    ];
    for (name, pick) in roles {
        let cpu = rounds.median(|s| Some(pick(s).cpu.as_secs_f64()));
        let rss = rounds.median(|s| Some(megabytes(pick(s).rss_kib * 1024)));
        let pss = rounds.median(|s| Some(megabytes(pick(s).pss_kib * 1024)));
        let count = rounds.median(|s| Some(pick(s).processes));
        let (Some((cpu, _)), Some((rss, _)), Some((pss, _)), Some((count, _))) =
            (cpu, rss, pss, count)
        else {
            continue;
        };
        println!(
            "  {:<26} {:<15} cpu {cpu:>5.2} s  rss {rss:>6.1} MB  pss {pss:>6.1} MB  ({count} processes)",
            rounds.name, name
        );
    }
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// A figure with a note of the rounds it comes from when some rounds lacked it.
fn of_rounds(text: String, count: usize, rounds: &Rounds) -> String {
    if count == rounds.rounds() {
        text
    } else {
        format!("{text} ({count} of {} rounds)", rounds.rounds())
    }
}

/// A row comparing the median of `figure` (a number, shown by `show`) in `ours` and `base`.
fn row(
    measure: &str,
    ours: &Rounds,
    base: &Rounds,
    figure: impl Fn(&Sample) -> Option<f64> + Copy,
    show: impl Fn(f64, &Rounds) -> String,
    goal: &str,
) -> Row {
    let missing = |rounds: &Rounds| format!("missing ({} rounds)", rounds.rounds());
    let (ours_text, ours_value) = match ours.median(figure) {
        Some((value, count)) => (of_rounds(show(value, ours), count, ours), value),
        None => (missing(ours), f64::NAN),
    };
    let (base_text, base_value) = match base.median(figure) {
        Some((value, count)) => (of_rounds(show(value, base), count, base), value),
        None => (missing(base), f64::NAN),
    };
    Row {
        measure: measure.into(),
        ours: ours_text,
        baseline: format!("{base_text} (empty app)"),
        ratio: ours_value / base_value.max(f64::MIN_POSITIVE),
        goal: goal.into(),
    }
}

fn millis(duration: Option<Duration>) -> Option<f64> {
    duration.map(report::ms)
}

/// The startup, paint, frame, CPU and memory rows.
fn rows_of_rounds(empty: &Rounds, few: &Rounds, many: &Rounds, secs: u64) -> Vec<Row> {
    let ms = |value: f64, _: &Rounds| format!("{value:.0} ms");
    // The paint time, and the count the page listed when it is not the expected one.
    let painted = |value: f64, rounds: &Rounds| {
        let listed = rounds.median(|s| s.listed).map(|(n, _)| n);
        match listed {
            Some(n) if n as usize == rounds.accounts => format!("{value:.0} ms"),
            Some(n) => format!("{value:.0} ms, {n} listed"),
            None => format!("{value:.0} ms, ? listed"),
        }
    };
    let frames = |value: f64, rounds: &Rounds| {
        let after = rounds
            .median(|s| Some(s.frames_after_paint))
            .map_or(0, |(n, _)| n);
        format!("{value:.0} frames, {after} after first paint")
    };
    let cpu = |value: f64, _: &Rounds| format!("{value:.2} s");
    let mb = |value: f64, _: &Rounds| format!("{value:.1} MB");
    let frame_count = |s: &Sample| s.mapped.map(|_| s.frames as f64);
    let cpu_secs = |s: &Sample| (s.processes > 0).then_some(s.cpu.as_secs_f64());
    let rss = |s: &Sample| (s.processes > 0).then(|| megabytes(s.rss_kib * 1024));
    let pss = |s: &Sample| (s.processes > 0).then(|| megabytes(s.pss_kib * 1024));
    let app_cpu = |s: &Sample| (s.processes > 0).then_some(s.split.app.cpu.as_secs_f64());
    let web_cpu = |s: &Sample| (s.processes > 0).then_some(webkit(s).cpu.as_secs_f64());
    let app_rss = |s: &Sample| (s.processes > 0).then(|| megabytes(s.split.app.rss_kib * 1024));
    let web_rss = |s: &Sample| (s.processes > 0).then(|| megabytes(webkit(s).rss_kib * 1024));
    let app_pss = |s: &Sample| (s.processes > 0).then(|| megabytes(s.split.app.pss_kib * 1024));
    let web_pss = |s: &Sample| (s.processes > 0).then(|| megabytes(webkit(s).pss_kib * 1024));
    let part = "(part of the row above)";
    let idle = "no animation frames when idle";
    let at_many = "<= 1.10x at 1,000 accounts";
    vec![
        row(
            "window mapped",
            few,
            empty,
            |s| millis(s.mapped),
            ms,
            "<= 1.1x",
        ),
        row(
            "accounts list painted, 50 accounts",
            few,
            empty,
            |s| millis(s.painted),
            painted,
            "<= 1.15x",
        ),
        row(
            "accounts list painted, 1,000 accounts",
            many,
            empty,
            |s| millis(s.painted),
            painted,
            "<= 1.15x",
        ),
        row(
            &format!("frames in the first {secs} s, 50 accounts"),
            few,
            empty,
            frame_count,
            frames,
            idle,
        ),
        row(
            &format!("frames in the first {secs} s, 1,000 accounts"),
            many,
            empty,
            frame_count,
            frames,
            idle,
        ),
        row(
            &format!("CPU in the first {secs} s, 50 accounts"),
            few,
            empty,
            cpu_secs,
            cpu,
            "<= 1.2x",
        ),
        row(
            &format!("CPU in the first {secs} s, 50 accounts: the app's process"),
            few,
            empty,
            app_cpu,
            cpu,
            part,
        ),
        row(
            &format!("CPU in the first {secs} s, 50 accounts: WebKit's processes"),
            few,
            empty,
            web_cpu,
            cpu,
            part,
        ),
        row(
            &format!("CPU in the first {secs} s, 1,000 accounts"),
            many,
            empty,
            cpu_secs,
            cpu,
            "<= 1.2x",
        ),
        row(
            &format!("CPU in the first {secs} s, 1,000 accounts: the app's process"),
            many,
            empty,
            app_cpu,
            cpu,
            part,
        ),
        row(
            &format!("CPU in the first {secs} s, 1,000 accounts: WebKit's processes"),
            many,
            empty,
            web_cpu,
            cpu,
            part,
        ),
        row(
            "resident memory (app + WebKit) RSS, 50 accounts",
            few,
            empty,
            rss,
            mb,
            at_many,
        ),
        row(
            "RSS, 50 accounts: the app's process",
            few,
            empty,
            app_rss,
            mb,
            part,
        ),
        row(
            "RSS, 50 accounts: WebKit's processes",
            few,
            empty,
            web_rss,
            mb,
            part,
        ),
        row(
            "resident memory (app + WebKit) PSS, 50 accounts",
            few,
            empty,
            pss,
            mb,
            at_many,
        ),
        row(
            "PSS, 50 accounts: the app's process",
            few,
            empty,
            app_pss,
            mb,
            part,
        ),
        row(
            "PSS, 50 accounts: WebKit's processes",
            few,
            empty,
            web_pss,
            mb,
            part,
        ),
        row(
            "resident memory (app + WebKit) RSS, 1,000 accounts",
            many,
            empty,
            rss,
            mb,
            "<= 1.10x",
        ),
        row(
            "RSS, 1,000 accounts: the app's process",
            many,
            empty,
            app_rss,
            mb,
            part,
        ),
        row(
            "RSS, 1,000 accounts: WebKit's processes",
            many,
            empty,
            web_rss,
            mb,
            part,
        ),
        row(
            "resident memory (app + WebKit) PSS, 1,000 accounts",
            many,
            empty,
            pss,
            mb,
            "<= 1.10x",
        ),
        row(
            "PSS, 1,000 accounts: the app's process",
            many,
            empty,
            app_pss,
            mb,
            part,
        ),
        row(
            "PSS, 1,000 accounts: WebKit's processes",
            many,
            empty,
            web_pss,
            mb,
            part,
        ),
    ]
}

/// A size row for two files (either may be missing).
fn size_row(measure: &str, ours: Option<&Path>, base: Option<&Path>) -> Row {
    let size = |path: Option<&Path>| {
        path.and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
    };
    let show = |bytes: Option<u64>, path: Option<&Path>| match (bytes, path) {
        (Some(bytes), _) => format!("{:.1} MB", megabytes(bytes)),
        (None, Some(path)) => format!("missing ({})", path.display()),
        (None, None) => "not built".into(),
    };
    let (ours_size, base_size) = (size(ours), size(base));
    let ratio = match (ours_size, base_size) {
        (Some(ours), Some(base)) if base > 0 => ours as f64 / base as f64,
        _ => f64::NAN,
    };
    Row {
        measure: measure.into(),
        ours: show(ours_size, ours),
        baseline: format!("{} (empty app)", show(base_size, base)),
        ratio,
        goal: "<= 1.5x".into(),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` only checks that this builds.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("startup benchmark: run scripts/bench.sh (it builds both apps and runs this)");
        return;
    }
    if let Err(err) = run() {
        eprintln!("startup benchmark: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let config = Config::from_env()?;
    for var in ["DISPLAY", "DBUS_SESSION_BUS_ADDRESS"] {
        if std::env::var_os(var).is_none() {
            return Err(format!(
                "{var} is not set: run this inside scripts/session.sh (scripts/bench.sh does)"
            ));
        }
    }
    let runtime =
        tokio::runtime::Runtime::new().map_err(|err| format!("no tokio runtime: {err}"))?;
    // The provider the seeded accounts belong to; the app's refresher and health checks talk
    // to it while it runs.
    let fake = runtime.block_on(FakeHivesigner::start(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        expires_in: TOKEN_LIFETIME_SECS,
        ..FakeConfig::default()
    }));
    let scratch = tempfile::Builder::new()
        .prefix("authdeck-startup-bench.")
        .tempdir()
        .map_err(|err| format!("no temporary folder: {err}"))?;
    let mut empty_home = Home::new(scratch.path().join("empty-app"))?;
    let mut app_home = Home::new(scratch.path().join("authdeck"))?;
    // Where the app finds its registry: Tauri's app data folder, under XDG_DATA_HOME.
    let registry = app_home
        .data()
        .join(authdeck::cli::IDENTIFIER)
        .join(authdeck::REGISTRY_FILE);
    let mut display = Display::connect()?;
    let (rounds, window) = (config.rounds, config.window);
    println!(
        "startup benchmark: {rounds} rounds of {} s per app (after {} warm-up), medians",
        window.as_secs(),
        config.warmup
    );

    let seeding = Instant::now();
    let app_id = runtime.block_on(seed(&fake, &registry, None, 0, FEW))?;
    println!(
        "  {FEW} accounts signed in ({:.1} s)",
        seeding.elapsed().as_secs_f64()
    );
    let mut empty = Rounds::new("empty app", 0);
    let mut few = Rounds::new("Authdeck, 50 accounts", FEW);
    for _ in 0..config.warmup {
        empty.run(&mut display, &mut empty_home, &config.empty, window, false)?;
        few.run(&mut display, &mut app_home, &config.app, window, false)?;
    }
    for _ in 0..rounds {
        empty.run(&mut display, &mut empty_home, &config.empty, window, true)?;
        few.run(&mut display, &mut app_home, &config.app, window, true)?;
    }

    let mut many = Rounds::new("Authdeck, 1,000 accounts", MANY);
    if config.many {
        let seeding = Instant::now();
        runtime.block_on(seed(&fake, &registry, Some(app_id), FEW, MANY))?;
        println!(
            "  {} more accounts signed in ({:.1} s)",
            MANY - FEW,
            seeding.elapsed().as_secs_f64()
        );
        for _ in 0..config.warmup {
            many.run(&mut display, &mut app_home, &config.app, window, false)?;
        }
        for _ in 0..rounds {
            many.run(&mut display, &mut app_home, &config.app, window, true)?;
        }
    }

    let mut rows = rows_of_rounds(&empty, &few, &many, window.as_secs());
    rows.push(size_row(
        "release binary",
        Some(&config.app),
        Some(&config.empty),
    ));
    rows.push(size_row(
        ".deb",
        config.app_deb.as_deref(),
        config.empty_deb.as_deref(),
    ));
    println!(
        "startup benchmark: per process, median of {rounds} rounds at {} s",
        window.as_secs()
    );
    for rounds in [&empty, &few, &many] {
        print_split(rounds);
    }
    println!("startup benchmark (Authdeck vs the empty Tauri app, median of {rounds} rounds)");
    report::publish("startup", &rows);
    drop(fake);
    Ok(())
}
