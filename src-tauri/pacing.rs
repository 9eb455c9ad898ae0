//! Pacing broadcasts to a provider: how many are in flight at once (an AIMD limiter that
//! starts at [`INITIAL_LIMIT`], grows while answers are good, and halves on a 429, a 5xx or a
//! lost answer), the pause a 429's `Retry-After` asks for (capped at [`MAX_PAUSE`]), and
//! reading `Retry-After` (seconds or an HTTP date; garbage is ignored, never a panic).
//!
//! [`Limiter`] is plain logic over instants handed in (tests drive it with made-up times);
//! [`Pacer`] shares one between the tasks of a batch and makes them wait for room.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::Notify;

use crate::clock::UnixSeconds;

/// Broadcasts in flight at first: a 100-account batch answered in one round trip each goes
/// out within two round trips (40, then the 80 its answers make room for), while a provider
/// that cannot keep up says so with its first answers and is backed off from.
pub const INITIAL_LIMIT: usize = 40;

/// The most broadcasts in flight, however good the answers: each is one HTTP/1.1
/// connection, and 128 is the stream limit HTTP/2 servers commonly allow one client.
pub const MAX_LIMIT: usize = 128;

/// The fewest: backing off never stops a batch.
pub const MIN_LIMIT: usize = 1;

/// The longest pause a `Retry-After` gets: a provider asking for more is waited on this long,
/// and the pause says it was capped.
pub const MAX_PAUSE: Duration = Duration::from_secs(60);

/// The pause after a 429 without a usable `Retry-After`.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

/// How often one broadcast is tried when every answer is a 429 (a 429 is a clear "not
/// done", so trying again after the pause sends nothing twice); the last 429 is logged as
/// the provider's refusal.
pub const RATE_LIMITED_ATTEMPTS: u32 = 8;

/// What an answer says about the provider's load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// The provider answered in time (accepted, or refused for a reason of the request's
    /// own, the chain's refusals included): there is room to grow.
    Good,
    /// 429: not done; new starts pause for the `Retry-After` (`None`: none usable).
    RateLimited(Option<Duration>),
    /// A 5xx of the provider's own, or no answer in time: it struggles.
    Overloaded,
    /// Says nothing of the provider's load (it was not reached, or a local failure).
    Neutral,
}

/// The signal of an answer with HTTP `status`; `retry_after` is its parsed `Retry-After`,
/// `from_the_chain` whether a 500 carries the chain's refusal (the provider itself is fine).
pub fn signal_for(status: u16, retry_after: Option<Duration>, from_the_chain: bool) -> Signal {
    match status {
        429 => Signal::RateLimited(retry_after),
        500 if from_the_chain => Signal::Good,
        500.. => Signal::Overloaded,
        300..=399 => Signal::Neutral,
        _ => Signal::Good,
    }
}

/// A pause that a 429 started or made longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// How long new starts wait, from the 429's arrival.
    pub wait: Duration,
    /// What the provider asked for (`None`: no usable `Retry-After`, [`DEFAULT_PAUSE`]).
    pub asked: Option<Duration>,
    /// Whether the provider asked for more than [`MAX_PAUSE`].
    pub capped: bool,
}

/// A started broadcast: which start it was (a failure of a request started before the last
/// back-off does not back off again), and the limit it started under (a back-off halves that:
/// the good answers of the same moment, counted first, do not soften it).
#[derive(Debug)]
pub struct Ticket {
    number: u64,
    limit: usize,
}

/// Why a broadcast cannot start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// As many are in flight as the limit allows: wait for one to finish.
    Full,
    /// Paused by a 429 until then.
    PausedUntil(Instant),
}

/// The limit on broadcasts in flight, and the pause. Slow start first: every good answer
/// adds one (the limit doubles each round trip) up to [`MAX_LIMIT`]; after the first
/// back-off, every `limit` good answers add one. A 429, a 5xx or a lost answer halves the
/// limit, once for all the requests that were in flight together.
#[derive(Debug)]
pub struct Limiter {
    limit: usize,
    in_flight: usize,
    peak: usize,
    slow_start: bool,
    credit: usize,
    starts: u64,
    /// Starts numbered below this began before the last back-off.
    backed_off_at: u64,
    paused_until: Option<Instant>,
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new(INITIAL_LIMIT)
    }
}

impl Limiter {
    /// A limiter starting at `initial` in flight (within [`MIN_LIMIT`]..=[`MAX_LIMIT`]).
    pub fn new(initial: usize) -> Self {
        Self {
            limit: initial.clamp(MIN_LIMIT, MAX_LIMIT),
            in_flight: 0,
            peak: 0,
            slow_start: true,
            credit: 0,
            starts: 0,
            backed_off_at: 0,
            paused_until: None,
        }
    }

    /// How many may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many are in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The most that were in flight at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Until when new starts wait, if a 429's pause is not over at `now`.
    pub fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.paused_until.filter(|until| *until > now)
    }

    /// Starts one broadcast at `now`, or says why not.
    pub fn try_start(&mut self, now: Instant) -> Result<Ticket, Blocked> {
        if let Some(until) = self.paused_until(now) {
            return Err(Blocked::PausedUntil(until));
        }
        self.paused_until = None;
        if self.in_flight >= self.limit {
            return Err(Blocked::Full);
        }
        self.in_flight += 1;
        self.peak = self.peak.max(self.in_flight);
        self.starts += 1;
        Ok(Ticket {
            number: self.starts,
            limit: self.limit,
        })
    }

    /// Ends `ticket`'s broadcast with what its answer said, at `now`. Returns the pause when
    /// this answer started one or made it longer.
    pub fn finish(&mut self, ticket: Ticket, signal: Signal, now: Instant) -> Option<Pause> {
        let was_in_flight = self.in_flight;
        self.in_flight = self.in_flight.saturating_sub(1);
        match signal {
            Signal::Good => self.grow(was_in_flight),
            Signal::Neutral => {}
            Signal::Overloaded => self.back_off(&ticket),
            Signal::RateLimited(asked) => {
                self.back_off(&ticket);
                return self.pause(asked, now);
            }
        }
        None
    }

    /// One more good answer. The limit grows only while it is in use (at least half of it in
    /// flight), so a trickle of answers does not earn a flood.
    fn grow(&mut self, was_in_flight: usize) {
        if was_in_flight * 2 < self.limit {
            return;
        }
        if self.slow_start {
            self.limit += 1;
        } else {
            self.credit += 1;
            if self.credit >= self.limit {
                self.credit = 0;
                self.limit += 1;
            }
        }
        self.limit = self.limit.min(MAX_LIMIT);
    }

    /// Halves the limit `ticket` started under, unless it started before the last back-off
    /// (its answer tells of the same moment).
    fn back_off(&mut self, ticket: &Ticket) {
        if ticket.number <= self.backed_off_at {
            return;
        }
        self.limit = (self.limit.min(ticket.limit) / 2).max(MIN_LIMIT);
        self.slow_start = false;
        self.credit = 0;
        self.backed_off_at = self.starts;
    }

    /// Pauses new starts for what the provider asked (capped), from `now`.
    fn pause(&mut self, asked: Option<Duration>, now: Instant) -> Option<Pause> {
        let wanted = asked.unwrap_or(DEFAULT_PAUSE);
        let wait = wanted.min(MAX_PAUSE);
        let until = now.checked_add(wait).unwrap_or(now);
        if self
            .paused_until(now)
            .is_some_and(|current| current >= until)
        {
            return None;
        }
        self.paused_until = Some(until);
        Some(Pause {
            wait,
            asked,
            capped: wanted > MAX_PAUSE,
        })
    }
}

/// A [`Limiter`] shared by the tasks of a batch: [`Pacer::start`] waits for room (and for a
/// pause to end); each [`Permit`] reports its answer when it finishes.
#[derive(Debug, Default)]
pub struct Pacer {
    limiter: Mutex<Limiter>,
    changed: Notify,
}

impl Pacer {
    /// A pacer over `limiter`.
    pub fn new(limiter: Limiter) -> Arc<Self> {
        Arc::new(Self {
            limiter: Mutex::new(limiter),
            changed: Notify::new(),
        })
    }

    fn limiter(&self) -> MutexGuard<'_, Limiter> {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most broadcasts that were in flight at once.
    pub fn peak(&self) -> usize {
        self.limiter().peak()
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limiter().limit()
    }

    /// Waits until one more broadcast may start, and starts it.
    pub async fn start(self: &Arc<Self>) -> Permit {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let blocked = match self.limiter().try_start(now()) {
                Ok(ticket) => {
                    return Permit {
                        pacer: Arc::clone(self),
                        ticket: Some(ticket),
                    }
                }
                Err(blocked) => blocked,
            };
            match blocked {
                Blocked::Full => changed.await,
                Blocked::PausedUntil(until) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(until.into()) => {}
                        () = changed => {}
                    }
                }
            }
        }
    }
}

/// Now, on tokio's clock (which tests may pause and move on).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// One broadcast in flight. Dropped without [`Permit::finish`] (an early error), it ends
/// with [`Signal::Neutral`].
#[derive(Debug)]
pub struct Permit {
    pacer: Arc<Pacer>,
    ticket: Option<Ticket>,
}

impl Permit {
    /// Ends the broadcast with what its answer said; the pause it started, if any.
    pub fn finish(mut self, signal: Signal) -> Option<Pause> {
        self.end(signal)
    }

    fn end(&mut self, signal: Signal) -> Option<Pause> {
        let ticket = self.ticket.take()?;
        let pause = self.pacer.limiter().finish(ticket, signal, now());
        self.pacer.changed.notify_waiters();
        pause
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.end(Signal::Neutral);
    }
}

/// The `Retry-After` of an answer received at `now` (Unix seconds): delay-seconds, or an
/// HTTP date (IMF-fixdate, RFC 850 or asctime, as RFC 9110 asks a recipient to read). A date
/// in the past is no wait; huge values saturate (the pause caps them); anything else is
/// `None`.
pub fn retry_after(headers: &HeaderMap, now: UnixSeconds) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, now)
}

/// [`retry_after`] of one header value.
pub fn parse_retry_after(value: &str, now: UnixSeconds) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    Some(Duration::from_secs(
        u64::try_from(at.saturating_sub(now)).unwrap_or(0),
    ))
}

/// An HTTP date as Unix seconds.
fn http_date(value: &str) -> Option<UnixSeconds> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc2822(value) {
        return Some(at.timestamp());
    }
    let formats = ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"];
    formats.iter().find_map(|format| {
        chrono::NaiveDateTime::parse_from_str(value, format)
            .ok()
            .map(|at| at.and_utc().timestamp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(limiter: &mut Limiter, now: Instant, count: usize) -> Vec<Ticket> {
        (0..count)
            .map(|_| limiter.try_start(now).expect("room to start"))
            .collect()
    }

    /// Answers each of `tickets` with `signal`, starting as many as there is room for after
    /// each answer (as a batch with work left does); the tickets started meanwhile.
    fn answer_keeping_full(
        limiter: &mut Limiter,
        tickets: Vec<Ticket>,
        signal: Signal,
        now: Instant,
    ) -> Vec<Ticket> {
        let mut started = Vec::new();
        for ticket in tickets {
            limiter.finish(ticket, signal, now);
            while let Ok(ticket) = limiter.try_start(now) {
                started.push(ticket);
            }
        }
        started
    }

    #[test]
    fn it_starts_at_the_initial_limit_and_grows_while_answers_are_good() {
        let now = Instant::now();
        let mut limiter = Limiter::default();
        let tickets = run(&mut limiter, now, INITIAL_LIMIT);
        assert_eq!(limiter.try_start(now).unwrap_err(), Blocked::Full);
        let mut tickets = answer_keeping_full(&mut limiter, tickets, Signal::Good, now);
        assert_eq!(limiter.limit(), 2 * INITIAL_LIMIT, "slow start doubles");
        assert_eq!(limiter.peak(), 2 * INITIAL_LIMIT);
        for _ in 0..4 {
            tickets = answer_keeping_full(&mut limiter, tickets, Signal::Good, now);
        }
        assert_eq!(limiter.limit(), MAX_LIMIT, "never beyond the cap");
        assert_eq!(limiter.in_flight(), MAX_LIMIT);
    }

    #[test]
    fn a_trickle_of_answers_does_not_grow_the_limit() {
        let now = Instant::now();
        let mut limiter = Limiter::new(10);
        for _ in 0..100 {
            let ticket = limiter.try_start(now).unwrap();
            limiter.finish(ticket, Signal::Good, now);
        }
        assert_eq!(limiter.limit(), 10);
    }

    #[test]
    fn trouble_halves_the_limit_once_for_requests_in_flight_together() {
        let now = Instant::now();
        let mut limiter = Limiter::new(32);
        let tickets = run(&mut limiter, now, 32);
        for ticket in tickets {
            limiter.finish(ticket, Signal::Overloaded, now);
        }
        assert_eq!(limiter.limit(), 16, "32 failures of one moment halve once");
        let again = run(&mut limiter, now, 1);
        for ticket in again {
            limiter.finish(ticket, Signal::Overloaded, now);
        }
        assert_eq!(limiter.limit(), 8, "a later start's failure halves again");
        for _ in 0..10 {
            let ticket = limiter.try_start(now).unwrap();
            limiter.finish(ticket, Signal::Overloaded, now);
        }
        assert_eq!(limiter.limit(), MIN_LIMIT, "never below one");
    }

    #[test]
    fn good_answers_counted_first_do_not_soften_the_back_off() {
        let now = Instant::now();
        let mut limiter = Limiter::new(40);
        let mut tickets = run(&mut limiter, now, 40).into_iter();
        for ticket in tickets.by_ref().take(30) {
            limiter.finish(ticket, Signal::Good, now);
        }
        assert!(limiter.limit() > 40, "slow start grew it");
        limiter.finish(tickets.next().unwrap(), Signal::Overloaded, now);
        assert_eq!(limiter.limit(), 20, "half the limit it started under");
    }

    #[test]
    fn after_a_back_off_growth_is_additive() {
        let now = Instant::now();
        let mut limiter = Limiter::new(8);
        let ticket = limiter.try_start(now).unwrap();
        limiter.finish(ticket, Signal::Overloaded, now);
        assert_eq!(limiter.limit(), 4);
        let tickets = run(&mut limiter, now, 4);
        answer_keeping_full(&mut limiter, tickets, Signal::Good, now);
        assert_eq!(limiter.limit(), 5, "four good answers at limit 4 add one");
    }

    #[test]
    fn neutral_answers_change_nothing() {
        let now = Instant::now();
        let mut limiter = Limiter::new(8);
        let tickets = run(&mut limiter, now, 8);
        for ticket in tickets {
            limiter.finish(ticket, Signal::Neutral, now);
        }
        assert_eq!((limiter.limit(), limiter.in_flight()), (8, 0));
    }

    #[test]
    fn a_429_pauses_new_starts_for_its_retry_after_capped() {
        let now = Instant::now();
        let mut limiter = Limiter::new(8);
        let tickets = run(&mut limiter, now, 3);
        let mut tickets = tickets.into_iter();
        let pause = limiter.finish(
            tickets.next().unwrap(),
            Signal::RateLimited(Some(Duration::from_secs(5))),
            now,
        );
        assert_eq!(
            pause,
            Some(Pause {
                wait: Duration::from_secs(5),
                asked: Some(Duration::from_secs(5)),
                capped: false
            })
        );
        assert_eq!(limiter.limit(), 4);
        let later = now + Duration::from_secs(4);
        assert_eq!(
            limiter.try_start(later).unwrap_err(),
            Blocked::PausedUntil(now + Duration::from_secs(5))
        );
        // A shorter pause asked meanwhile does not shorten it; a longer one extends it.
        let shorter = Signal::RateLimited(Some(Duration::from_secs(1)));
        assert_eq!(limiter.finish(tickets.next().unwrap(), shorter, now), None);
        let huge = Signal::RateLimited(Some(Duration::from_secs(u64::MAX)));
        let capped = limiter.finish(tickets.next().unwrap(), huge, now).unwrap();
        assert_eq!((capped.wait, capped.capped), (MAX_PAUSE, true));
        assert_eq!(limiter.limit(), 4, "the same moment halves once");
        assert!(
            limiter.try_start(now + MAX_PAUSE).is_ok(),
            "over at the cap"
        );
    }

    #[test]
    fn a_429_without_retry_after_pauses_a_moment() {
        let now = Instant::now();
        let mut limiter = Limiter::new(8);
        let ticket = limiter.try_start(now).unwrap();
        let pause = limiter
            .finish(ticket, Signal::RateLimited(None), now)
            .unwrap();
        assert_eq!((pause.wait, pause.asked), (DEFAULT_PAUSE, None));
        assert!(limiter.try_start(now).is_err());
        assert!(limiter.try_start(now + DEFAULT_PAUSE).is_ok());
    }

    #[test]
    fn answers_map_to_signals() {
        let wait = Some(Duration::from_secs(2));
        assert_eq!(signal_for(429, wait, false), Signal::RateLimited(wait));
        assert_eq!(
            signal_for(500, None, true),
            Signal::Good,
            "the chain refused"
        );
        assert_eq!(signal_for(500, None, false), Signal::Overloaded);
        assert_eq!(signal_for(501, None, false), Signal::Overloaded);
        assert_eq!(signal_for(503, None, false), Signal::Overloaded);
        assert_eq!(signal_for(200, None, false), Signal::Good);
        assert_eq!(signal_for(401, None, false), Signal::Good);
        assert_eq!(signal_for(302, None, false), Signal::Neutral);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_ignores_garbage() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        let then: UnixSeconds = 784_111_777;
        let parse = |value: &str| parse_retry_after(value, then - 30);
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 "), Some(Duration::ZERO));
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse("Sun Nov  6 08:49:37 1994"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", then + 5),
            Some(Duration::ZERO),
            "a date in the past is no wait"
        );
        for garbage in [
            "",
            "soon",
            "-5",
            "1.5",
            "12 seconds",
            "Sun, 99 Nov 1994",
            "\u{1F600}",
        ] {
            assert_eq!(parse(garbage), None, "{garbage:?}");
        }
        let huge = parse("99999999999999999999999999999").unwrap();
        assert_eq!(huge, Duration::from_secs(u64::MAX), "saturates");
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", i64::MIN).unwrap();
        assert!(far > Duration::from_secs(1 << 40), "no overflow: {far:?}");
    }

    #[test]
    fn retry_after_is_read_from_the_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, 0), None);
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers, 0), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(retry_after(&headers, 0), None, "not text");
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_waits_for_room_and_for_the_pause() {
        let pacer = Pacer::new(Limiter::new(2));
        let first = pacer.start().await;
        let second = pacer.start().await;
        let waiting = {
            let pacer = Arc::clone(&pacer);
            tokio::spawn(async move { pacer.start().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "no room yet");
        let pause = first.finish(Signal::RateLimited(Some(Duration::from_secs(3))));
        assert_eq!(pause.map(|p| p.wait), Some(Duration::from_secs(3)));
        drop(second);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!waiting.is_finished(), "the pause is not over");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let third = waiting.await.unwrap();
        assert_eq!((pacer.limit(), pacer.peak()), (1, 2));
        drop(third);
    }
}
