//! Startup timing: the instant the process started (taken first thing in [`crate::run`]) and
//! the one report of the page's first paint with its accounts list, the probe the startup
//! benchmark reads from the log.
//!
//! The page calls the `page_painted` command once its first accounts list is in the DOM and
//! painted; only the first call logs (at INFO, target `authdeck::startup`):
//! `first paint: 50 accounts listed, 412 ms after start`. Later calls do nothing.
//!
//! [`render_on_cpu`] is the WebKit rendering choice `main` makes before anything starts:
//! WebKitGTK's Skia paints on the CPU (`WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`) unless the
//! person chose otherwise. Authdeck's page is a still list that repaints one countdown cell
//! at a time; painting it through the GPU path first compiles a GL program for each kind of
//! drawing it uses, which, on a desktop rendering GL in software (Mesa's llvmpipe: virtual
//! machines, remote desktops, the benchmark's Xvfb), cost the web process 0.4 s of CPU and
//! 28 MB at every start and held the first paint back by as much.
//!
//! `ui/index.html` preloads the page's whole module graph (`<link rel="modulepreload">`), so
//! the first paint does not wait for one level of imports after another; a test here keeps
//! that list in step with the modules' imports.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// The log target of the startup lines.
pub const LOG_TARGET: &str = "authdeck::startup";

/// The process's clock of first paint: when it started, and whether the paint was reported.
#[derive(Debug)]
pub struct FirstPaint {
    started: Instant,
    reported: AtomicBool,
}

impl FirstPaint {
    /// A clock started at `started`, with nothing reported yet.
    pub fn new(started: Instant) -> Self {
        Self {
            started,
            reported: AtomicBool::new(false),
        }
    }

    /// The report line for a first paint of `accounts` rows seen at `now`, on the first call
    /// only (`None` after that, also from other threads). A `now` before the start counts as 0 ms.
    pub fn report(&self, accounts: u32, now: Instant) -> Option<String> {
        if self.reported.swap(true, Ordering::SeqCst) {
            return None;
        }
        let ms = now.saturating_duration_since(self.started).as_millis();
        Some(format!(
            "first paint: {accounts} accounts listed, {ms} ms after start"
        ))
    }
}

/// WebKitGTK's switch between Skia's CPU and GPU painting (read by its web process, which
/// inherits the app's environment).
pub const CPU_RENDERING_VAR: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// The value to give [`CPU_RENDERING_VAR`] when `current` is what the environment holds:
/// `Some("1")` (paint on the CPU) when it is unset, `None` (leave it) when the person set it,
/// to anything, themselves.
pub fn render_on_cpu(current: Option<&std::ffi::OsStr>) -> Option<&'static str> {
    match current {
        None => Some("1"),
        Some(_) => None,
    }
}

static PROCESS: OnceLock<FirstPaint> = OnceLock::new();

/// Takes the process's start instant; the first call wins, so call it as early as possible.
pub fn mark_start() {
    PROCESS.get_or_init(|| FirstPaint::new(Instant::now()));
}

/// The page painted its first accounts list with `accounts` rows: logs the time since
/// [`mark_start`] the first time, does nothing after that.
pub fn page_painted(accounts: u32) {
    let clock = PROCESS.get_or_init(|| FirstPaint::new(Instant::now()));
    if let Some(line) = clock.report(accounts, Instant::now()) {
        tracing::info!(target: LOG_TARGET, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_the_first_paint_is_reported_with_its_count_and_time() {
        let start = Instant::now();
        let clock = FirstPaint::new(start);
        let line = clock.report(50, start + Duration::from_millis(412));
        assert_eq!(
            line.as_deref(),
            Some("first paint: 50 accounts listed, 412 ms after start")
        );
        assert_eq!(clock.report(1000, start + Duration::from_secs(2)), None);
        assert_eq!(clock.report(50, start + Duration::from_millis(412)), None);
    }

    #[test]
    fn a_moment_before_the_start_counts_as_zero() {
        let now = Instant::now();
        let clock = FirstPaint::new(now + Duration::from_secs(1));
        assert_eq!(
            clock.report(0, now).as_deref(),
            Some("first paint: 0 accounts listed, 0 ms after start")
        );
    }

    #[test]
    fn the_page_paints_on_the_cpu_unless_the_person_chose() {
        use std::ffi::OsStr;
        assert_eq!(render_on_cpu(None), Some("1"));
        assert_eq!(
            render_on_cpu(Some(OsStr::new("0"))),
            None,
            "a GPU choice stays"
        );
        assert_eq!(render_on_cpu(Some(OsStr::new("1"))), None);
        assert_eq!(render_on_cpu(Some(OsStr::new(""))), None);
    }

    /// The `href`s of the `<link rel="modulepreload">` tags of `html`.
    fn preloaded(html: &str) -> Vec<String> {
        html.split("<link ")
            .skip(1)
            .filter(|tag| tag.contains(r#"rel="modulepreload""#))
            .filter_map(|tag| tag.split(r#"href=""#).nth(1)?.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    /// The modules `source` imports (`import ... from "./x.js";`), as file names.
    fn imports(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|line| line.trim_start().starts_with("import "))
            .filter_map(|line| line.split(" from \"./").nth(1)?.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_page_preloads_exactly_the_module_graph_of_main_js() {
        let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
        let read = |name: &str| {
            std::fs::read_to_string(ui.join(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
        };
        let mut graph = std::collections::BTreeSet::new();
        let mut pending = vec!["main.js".to_string()];
        while let Some(module) = pending.pop() {
            if graph.insert(module.clone()) {
                pending.extend(imports(&read(&module)));
            }
        }
        assert!(graph.len() > 5, "main.js imports the views: {graph:?}");
        let listed = preloaded(&read("index.html"));
        let unique: std::collections::BTreeSet<String> = listed.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            listed.len(),
            "a module preloaded twice: {listed:?}"
        );
        assert_eq!(
            unique, graph,
            "index.html's modulepreload list and main.js's imports"
        );
    }

    #[test]
    fn preloads_and_imports_are_read_from_their_tags_and_lines() {
        let html = r#"<link rel="stylesheet" href="style.css" />
            <link rel="modulepreload" href="a.js" /><link rel="modulepreload" href="b.js" />"#;
        assert_eq!(preloaded(html), ["a.js", "b.js"]);
        let js = "import { x } from \"./a.js\";\nconst y = 1; // import z from \"./c.js\"\nimport { b } from \"./b.js\";";
        assert_eq!(imports(js), ["a.js", "b.js"]);
    }

    #[test]
    fn one_report_among_racing_threads() {
        let clock = std::sync::Arc::new(FirstPaint::new(Instant::now()));
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let clock = clock.clone();
                std::thread::spawn(move || clock.report(n, Instant::now()).is_some())
            })
            .collect();
        let reported = handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .filter(|reported| *reported)
            .count();
        assert_eq!(reported, 1);
    }
}
