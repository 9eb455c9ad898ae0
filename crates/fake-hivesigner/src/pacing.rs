//! Pacing at the fake's edge, in front of every route: a persistent answer delay (a provider
//! answering in 100 ms), a rate limit that answers 429 with `Retry-After` as the proxies in
//! front of real services do, and a record of the requests in flight (the most at once, and
//! when each request arrived and whether it was refused).
//!
//! The real Hivesigner API has no limiter of its own (its Express app counts broadcasts in
//! Redis, nothing more); limits live in the proxy in front of it. nginx's `limit_req` (a
//! rate, with a burst) and `limit_conn` (requests at once) refuse excess requests before the
//! app sees them, with 503 by default or 429 with `limit_req_status 429`; express-rate-limit
//! (requests per fixed window) answers 429 with `Retry-After`. The fake plays both shapes:
//! a refused request never reaches a handler, so a refused broadcast is neither broadcast nor
//! recorded, and is not counted by [`crate::FakeHivesigner::count`]. Every test client is
//! 127.0.0.1, so the fake keeps one count for "the client".

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::routes::request_token;
use crate::state::Shared;
use crate::tokens::{now_secs, Statement};

/// How a rate-limited answer says when to come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>` (what express-rate-limit sends). For a window limit, the
    /// seconds left in the window (at least 1) are sent instead of this figure.
    Seconds(u64),
    /// `Retry-After: <IMF-fixdate>`, this many seconds from now.
    HttpDate(u64),
    /// No `Retry-After` at all (nginx's `limit_req` sends none).
    Omitted,
}

/// A rate limit at the fake's edge; see [`crate::FakeHivesigner::set_rate_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// At most this many requests being answered at once (nginx `limit_conn`); one more is
    /// refused at once.
    pub max_in_flight: Option<usize>,
    /// At most this many requests per fixed window of this length (express-rate-limit's
    /// memory store); the window starts with the first request after the last one ended.
    pub per_window: Option<(usize, Duration)>,
    /// What the 429 says about coming back.
    pub retry_after: RetryAfter,
}

impl RateLimit {
    /// At most `requests` at once, refused with `Retry-After: <retry_after_secs>`.
    pub fn in_flight(requests: usize, retry_after_secs: u64) -> Self {
        Self {
            max_in_flight: Some(requests),
            per_window: None,
            retry_after: RetryAfter::Seconds(retry_after_secs),
        }
    }

    /// At most `requests` per `window`, refused with the seconds left in the window.
    pub fn per_window(requests: usize, window: Duration) -> Self {
        Self {
            max_in_flight: None,
            per_window: Some((requests, window)),
            retry_after: RetryAfter::Seconds(1),
        }
    }
}

/// One request as the fake's edge saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// When it arrived, counted from the fake's start.
    pub at: Duration,
    /// When it was answered (refused ones at once), counted from the fake's start; `None`
    /// while it is still being answered.
    pub answered: Option<Duration>,
    /// The request's path.
    pub path: String,
    /// The account its token names, when it carries one of the fake's tokens in a header.
    pub user: Option<String>,
    /// The `Retry-After` it was refused with, when it was refused by the rate limit (`Some(0)`
    /// when the answer carried no `Retry-After`).
    pub refused_for: Option<Duration>,
}

/// The edge's knobs and record.
pub(crate) struct Edge {
    started: Instant,
    state: Mutex<EdgeState>,
}

#[derive(Default)]
struct EdgeState {
    delay: Duration,
    limit: Option<RateLimit>,
    in_flight: usize,
    max_in_flight: usize,
    window: Option<(Instant, usize)>,
    arrivals: Vec<Arrival>,
    refused: usize,
}

impl Default for Edge {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            state: Mutex::new(EdgeState::default()),
        }
    }
}

impl Edge {
    fn state(&self) -> MutexGuard<'_, EdgeState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every answer waits `delay` first (refusals by the rate limit do not).
    pub(crate) fn set_delay(&self, delay: Duration) {
        self.state().delay = delay;
    }

    /// The rate limit from now on (`None`: none).
    pub(crate) fn set_limit(&self, limit: Option<RateLimit>) {
        let mut state = self.state();
        state.limit = limit;
        state.window = None;
    }

    /// The most requests answered at once so far.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.state().max_in_flight
    }

    /// How many requests the rate limit refused.
    pub(crate) fn refused(&self) -> usize {
        self.state().refused
    }

    /// Every request so far, in order of arrival.
    pub(crate) fn arrivals(&self) -> Vec<Arrival> {
        self.state().arrivals.clone()
    }

    /// Forgets the record (the maximum, the refusals and the arrivals), not the knobs.
    pub(crate) fn reset_record(&self) {
        let mut state = self.state();
        state.max_in_flight = state.in_flight;
        state.refused = 0;
        state.arrivals.clear();
    }

    /// Admits a request, or says how long the client should wait (`Some(None)`: refused with
    /// no `Retry-After`). Admitted requests count as in flight until their [`Ticket`] drops.
    fn admit(self: &Arc<Self>, path: String, user: Option<String>) -> Admission {
        let now = Instant::now();
        let at = now - self.started;
        let mut state = self.state();
        let refusal = state.limit.and_then(|limit| state.refusal(limit, now));
        let index = state.arrivals.len();
        state.arrivals.push(Arrival {
            at,
            answered: refusal.map(|_| at),
            path,
            user,
            refused_for: refusal.map(|wait| match wait {
                Header::Seconds(seconds) | Header::Date(seconds) => Duration::from_secs(seconds),
                Header::None => Duration::ZERO,
            }),
        });
        if let Some(header) = refusal {
            state.refused += 1;
            return Admission::Refused(header);
        }
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        Admission::Admitted {
            delay: state.delay,
            ticket: Ticket {
                edge: Arc::clone(self),
                index,
            },
        }
    }
}

impl EdgeState {
    /// Whether `limit` refuses one more request now, and with which `Retry-After`.
    fn refusal(&mut self, limit: RateLimit, now: Instant) -> Option<Header> {
        let header = |window_left: Option<Duration>| match limit.retry_after {
            RetryAfter::Omitted => Header::None,
            RetryAfter::HttpDate(seconds) => Header::Date(seconds),
            RetryAfter::Seconds(seconds) => {
                Header::Seconds(window_left.map_or(seconds, |left| whole_seconds(left).max(1)))
            }
        };
        if limit.max_in_flight.is_some_and(|max| self.in_flight >= max) {
            return Some(header(None));
        }
        let (max, length) = limit.per_window?;
        let (start, used) = match self.window {
            Some((start, used)) if now.duration_since(start) < length => (start, used),
            _ => (now, 0),
        };
        if used >= max {
            return Some(header(Some(
                length.saturating_sub(now.duration_since(start)),
            )));
        }
        self.window = Some((start, used + 1));
        None
    }
}

/// Seconds, rounded up.
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// The `Retry-After` of one refusal.
#[derive(Clone, Copy)]
enum Header {
    Seconds(u64),
    Date(u64),
    None,
}

enum Admission {
    Admitted { delay: Duration, ticket: Ticket },
    Refused(Header),
}

/// An admitted request: in flight until dropped (answered, or the client went away).
struct Ticket {
    edge: Arc<Edge>,
    index: usize,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let answered = self.edge.started.elapsed();
        let mut state = self.edge.state();
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(arrival) = state.arrivals.get_mut(self.index) {
            arrival.answered = Some(answered);
        }
    }
}

/// The 429 a rate-limited request gets.
fn too_many_requests(header: Header) -> Response {
    let body = json!({
        "error": "too_many_requests",
        "error_description": "Too many requests, please try again later.",
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    let value = match header {
        Header::Seconds(seconds) => Some(seconds.to_string()),
        Header::Date(seconds) => http_date(now_secs().saturating_add(seconds)),
        Header::None => None,
    };
    if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for UNIX seconds.
fn http_date(unix_secs: u64) -> Option<String> {
    let at = chrono::DateTime::from_timestamp(i64::try_from(unix_secs).ok()?, 0)?;
    Some(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// The edge, as an axum middleware in front of every route: refuse, or wait the answer
/// delay, then answer; the request counts as in flight until its answer is ready.
pub(crate) async fn edge(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let user = request_token(request.headers(), None, &Default::default())
        .as_deref()
        .and_then(Statement::decode)
        .and_then(|statement| statement.authors.first().cloned());
    match shared.edge.admit(path, user) {
        Admission::Refused(header) => too_many_requests(header),
        Admission::Admitted { delay, ticket } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let response = next.run(request).await;
            drop(ticket);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge_with(limit: RateLimit) -> Arc<Edge> {
        let edge = Arc::new(Edge::default());
        edge.set_limit(Some(limit));
        edge
    }

    #[test]
    fn the_in_flight_limit_refuses_one_more_and_admits_again_once_one_ends() {
        let edge = edge_with(RateLimit::in_flight(2, 3));
        let first = edge.admit("/a".into(), None);
        let second = edge.admit("/a".into(), None);
        assert!(matches!(first, Admission::Admitted { .. }));
        assert!(matches!(second, Admission::Admitted { .. }));
        assert!(matches!(
            edge.admit("/a".into(), None),
            Admission::Refused(Header::Seconds(3))
        ));
        drop(first);
        assert!(matches!(
            edge.admit("/a".into(), None),
            Admission::Admitted { .. }
        ));
        assert_eq!((edge.max_in_flight(), edge.refused()), (2, 1));
        let arrivals = edge.arrivals();
        assert_eq!(arrivals.len(), 4);
        assert_eq!(arrivals[2].refused_for, Some(Duration::from_secs(3)));
        assert!(arrivals[0].answered.is_some(), "the first one was answered");
        assert!(
            arrivals[1].answered.is_none(),
            "the second is still in flight"
        );
    }

    #[test]
    fn the_window_limit_says_how_long_the_window_has_left() {
        let edge = edge_with(RateLimit::per_window(2, Duration::from_secs(30)));
        let kept: Vec<Admission> = (0..2).map(|_| edge.admit("/a".into(), None)).collect();
        assert!(kept.iter().all(|a| matches!(a, Admission::Admitted { .. })));
        match edge.admit("/a".into(), None) {
            Admission::Refused(Header::Seconds(left)) => assert!((29..=30).contains(&left)),
            _ => panic!("the third request in the window is refused"),
        }
    }

    #[test]
    fn refusals_carry_the_documented_body_and_header() {
        let seconds = too_many_requests(Header::Seconds(7));
        assert_eq!(seconds.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(seconds.headers()[header::RETRY_AFTER], "7");
        let date = too_many_requests(Header::Date(60));
        let value = date.headers()[header::RETRY_AFTER].to_str().unwrap();
        assert!(value.ends_with(" GMT") && value.len() == 29, "{value}");
        assert!(too_many_requests(Header::None)
            .headers()
            .get(header::RETRY_AFTER)
            .is_none());
        assert_eq!(
            http_date(784_111_777).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
    }
}
