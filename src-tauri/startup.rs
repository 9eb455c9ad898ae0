//! Startup timing: the instant the process started (taken first thing in [`crate::run`]) and
//! the one report of the page's first paint with its accounts list, the probe the startup
//! benchmark reads from the log.
//!
//! The page calls the `page_painted` command once its first accounts list is in the DOM and
//! painted; only the first call logs (at INFO, target `authdeck::startup`):
//! `first paint: 50 accounts listed, 412 ms after start`. Later calls do nothing.

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
