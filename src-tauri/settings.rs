//! The settings: how often and how long things may take, and the API nodes, with the
//! environment variables that override them.

use std::time::Duration;

use crate::chain::NodeList;

/// How often and how long things may take.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a sign-in waits for the browser's redirect.
    pub sign_in_timeout: Duration,
    /// Refresh a token when this much of its life is left at most (never more than a quarter
    /// of its lifetime).
    pub refresh_margin: Duration,
    /// How often the background refresher looks for tokens nearing expiry.
    pub refresh_interval: Duration,
    /// How many refreshes the background refresher runs at once (at least one).
    pub refresh_concurrency: usize,
    /// Tries of a provider call that got no answer or a server failure.
    pub retry_attempts: u32,
    /// Wait before the second try; doubled before each further one.
    pub retry_first_delay: Duration,
    /// How long one provider call may take.
    pub http_timeout: Duration,
    /// The read-only API nodes asked whether a broadcast whose answer was lost went through.
    pub nodes: NodeList,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            sign_in_timeout: Duration::from_secs(10 * 60),
            refresh_margin: Duration::from_secs(24 * 60 * 60),
            refresh_interval: Duration::from_secs(15 * 60),
            refresh_concurrency: DEFAULT_REFRESH_CONCURRENCY,
            retry_attempts: 3,
            retry_first_delay: Duration::from_millis(500),
            http_timeout: Duration::from_secs(20),
            nodes: NodeList::default(),
        }
    }
}

/// How many refreshes the background refresher runs at once unless told otherwise: enough to
/// hide the provider's answer time (100 accounts in 7 round trips), few enough not to look like
/// a flood to it (a vote batch starts at 40 in flight, see [`crate::pacing`]).
pub const DEFAULT_REFRESH_CONCURRENCY: usize = 16;

/// Environment variables that override [`Settings`] (for trying things out and for tests):
/// whole seconds.
pub const REFRESH_INTERVAL_VAR: &str = "AUTHDECK_REFRESH_INTERVAL_SECS";
/// See [`REFRESH_INTERVAL_VAR`].
pub const SIGN_IN_TIMEOUT_VAR: &str = "AUTHDECK_SIGN_IN_TIMEOUT_SECS";

/// How many refreshes the background refresher runs at once (a whole number from 1 to
/// [`MAX_REFRESH_CONCURRENCY`]; [`DEFAULT_REFRESH_CONCURRENCY`] otherwise).
pub const REFRESH_CONCURRENCY_VAR: &str = "AUTHDECK_REFRESH_CONCURRENCY";
/// The most refreshes [`REFRESH_CONCURRENCY_VAR`] may ask for at once.
pub const MAX_REFRESH_CONCURRENCY: usize = 64;

/// The longest sign-in wait [`SIGN_IN_TIMEOUT_VAR`] may ask for: one day. A larger value is
/// lowered to it, with a warning (a deadline far in the future would also overflow).
pub const MAX_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

impl Settings {
    /// The defaults, with [`REFRESH_INTERVAL_VAR`] and [`SIGN_IN_TIMEOUT_VAR`] applied when
    /// they hold a positive whole number of seconds (anything else is ignored, with a warning;
    /// a sign-in timeout above [`MAX_SIGN_IN_TIMEOUT`] is lowered to it, with a warning), and
    /// the API nodes of [`crate::chain::HIVE_NODES_VAR`] and [`crate::chain::STEEM_NODES_VAR`].
    pub fn from_env() -> Self {
        let seconds = |name: &str| {
            let value = std::env::var(name).ok()?;
            env_seconds(name, &value)
        };
        let defaults = Self::default();
        Self {
            refresh_interval: seconds(REFRESH_INTERVAL_VAR).unwrap_or(defaults.refresh_interval),
            sign_in_timeout: seconds(SIGN_IN_TIMEOUT_VAR)
                .map(sign_in_timeout_within_cap)
                .unwrap_or(defaults.sign_in_timeout),
            nodes: NodeList::from_env(),
            refresh_concurrency: std::env::var(REFRESH_CONCURRENCY_VAR)
                .ok()
                .and_then(|value| env_concurrency(&value))
                .unwrap_or(defaults.refresh_concurrency),
            ..defaults
        }
    }
}

/// The value of the variable `name` as a positive whole number of seconds, or `None` (with a
/// warning) when it is not one.
fn env_seconds(name: &str, value: &str) -> Option<Duration> {
    match value.trim().parse::<u64>() {
        Ok(seconds) if seconds > 0 => Some(Duration::from_secs(seconds)),
        _ => {
            tracing::warn!("ignoring {name}={value:?}: not a positive number of seconds");
            None
        }
    }
}

/// [`REFRESH_CONCURRENCY_VAR`]'s value as a number of refreshes at once, or `None` (with a
/// warning) when it is not a whole number from 1 to [`MAX_REFRESH_CONCURRENCY`].
fn env_concurrency(value: &str) -> Option<usize> {
    match value.trim().parse::<usize>() {
        Ok(at_once) if (1..=MAX_REFRESH_CONCURRENCY).contains(&at_once) => Some(at_once),
        _ => {
            tracing::warn!(
                "ignoring {REFRESH_CONCURRENCY_VAR}={value:?}: not a whole number from 1 to {MAX_REFRESH_CONCURRENCY}"
            );
            None
        }
    }
}

/// `timeout`, lowered to [`MAX_SIGN_IN_TIMEOUT`] (with a warning) when it is longer.
fn sign_in_timeout_within_cap(timeout: Duration) -> Duration {
    if timeout <= MAX_SIGN_IN_TIMEOUT {
        return timeout;
    }
    tracing::warn!(
        "{SIGN_IN_TIMEOUT_VAR}={} is longer than a sign-in can sensibly wait; using {} seconds",
        timeout.as_secs(),
        MAX_SIGN_IN_TIMEOUT.as_secs()
    );
    MAX_SIGN_IN_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_concurrency_takes_only_sensible_numbers() {
        assert_eq!(env_concurrency("4"), Some(4));
        assert_eq!(env_concurrency(" 64 "), Some(64));
        for refused in [
            "0",
            "65",
            "-1",
            "eight",
            "",
            "1.5",
            "99999999999999999999999",
        ] {
            assert_eq!(env_concurrency(refused), None, "{refused:?}");
        }
        assert_eq!(Settings::default().refresh_concurrency, 16);
    }

    #[test]
    fn sign_in_timeouts_are_capped_at_a_day() {
        let timeout =
            |value: &str| env_seconds(SIGN_IN_TIMEOUT_VAR, value).map(sign_in_timeout_within_cap);
        assert_eq!(timeout("600"), Some(Duration::from_secs(600)));
        assert_eq!(timeout("86400"), Some(MAX_SIGN_IN_TIMEOUT));
        assert_eq!(timeout("86401"), Some(MAX_SIGN_IN_TIMEOUT));
        assert_eq!(timeout("18446744073709551615"), Some(MAX_SIGN_IN_TIMEOUT));
        assert_eq!(timeout("99999999999999999999"), None);
        assert_eq!(timeout("0"), None);
        assert_eq!(timeout("soon"), None);
    }
}
