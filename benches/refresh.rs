//! Refresh benchmark, with a report (not a pass/fail test): `cargo bench --bench refresh`.
//!
//! 1. 1,000 expired accounts refreshed through Authdeck ([`Tokens::access_token`] from 1,000
//!    callers, at most 16 at a time) against the in-process fake Hivesigner answering at once,
//!    compared with 1,000 bare HTTP POSTs of the same refresh grant bodies to the same fake's
//!    token endpoint at the same concurrency, in the same run. Each round must cost exactly
//!    1,000 token requests (one per account).
//! 2. The background refresher ([`Tokens::refresh_due_accounts`]) over 100 due accounts with the
//!    provider answering each refresh in 100 ms, compared with 100 bare POSTs of the same
//!    refresh requests at the refresher's concurrency (`refresh_concurrency`) against the same
//!    delayed fake: the floor that concurrency allows.
//!
//! The secret store is the in-memory one ([`MemoryStore`]), so the run needs no keyring; the
//! registry is a real SQLite file and the refresh locks real lock files. A manual clock makes
//! every token due before each round (a week on). Medians of several rounds are reported.
//!
//! [`Tokens::access_token`]: authdeck::tokens::Tokens::access_token
//! [`Tokens::refresh_due_accounts`]: authdeck::tokens::Tokens::refresh_due_accounts

#[path = "support/report.rs"]
mod report;
#[path = "support/seed.rs"]
mod seed;

use std::sync::Arc;
use std::time::{Duration, Instant};

use authdeck::accounts::AccountId;
use authdeck::clock::{Clock, ManualClock, SystemClock};
use authdeck::service::{Authdeck, Settings};
use fake_hivesigner::{Endpoint, Failure, FakeHivesigner, TokenKind};
use report::{median, ms, Row};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Accounts of the first row, and how many refresh at once.
const MANY: usize = 1_000;
const CALLER_CONCURRENCY: usize = 16;
/// Accounts of the refresher's row, and the provider's answer time there.
const DUE: usize = 100;
const ANSWER_DELAY: Duration = Duration::from_millis(100);
const ROUNDS: usize = 5;
use seed::{CLIENT_ID, SECRET};
/// A week and a minute: every token issued a round earlier has run out.
const PAST_EXPIRY: i64 = 604_800 + 60;

/// A core on a manual clock with `count` accounts signed in, every account's tokens read once
/// (as after the app has been in use a while).
async fn signed_in_core(
    fake: &FakeHivesigner,
    data: &std::path::Path,
    count: usize,
) -> (Arc<Authdeck>, Arc<ManualClock>, Vec<(AccountId, String)>) {
    let clock = Arc::new(ManualClock::at(SystemClock.now()));
    let users = (0..count).map(|index| format!("user{index:04}"));
    let (core, accounts) = seed::signed_in_core(fake, data, clock.clone(), users).await;
    for (id, _) in &accounts {
        core.tokens().access_token(*id).await.unwrap();
    }
    (core, clock, accounts)
}

/// `accounts` asked for a token by one caller each, at most `concurrency` at once.
async fn refresh_through_authdeck(
    core: &Arc<Authdeck>,
    accounts: &[(AccountId, String)],
    concurrency: usize,
) -> Duration {
    let permits = Arc::new(Semaphore::new(concurrency));
    let started = Instant::now();
    let mut callers = JoinSet::new();
    for (id, _) in accounts {
        let (core, permits, id) = (core.clone(), permits.clone(), *id);
        callers.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            core.tokens().access_token(id).await.unwrap();
        });
    }
    while let Some(done) = callers.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

/// One refresh grant body per account (a refresh token the fake issued for it), POSTed to the
/// token endpoint at most `concurrency` at once; each answer read and parsed.
async fn bare_posts(base_url: &str, bodies: &[serde_json::Value], concurrency: usize) -> Duration {
    let http = reqwest::Client::new();
    let permits = Arc::new(Semaphore::new(concurrency));
    let url = format!("{base_url}/api/oauth2/token");
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for body in bodies {
        let (http, permits, url, body) = (http.clone(), permits.clone(), url.clone(), body.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let answer = http.post(&url).json(&body).send().await.unwrap();
            assert!(answer.status().is_success());
            let grant: serde_json::Value = answer.json().await.unwrap();
            assert!(grant["access_token"].is_string());
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    started.elapsed()
}

/// The refresh grant bodies of `accounts`, with refresh tokens minted by the fake.
fn grant_bodies(fake: &FakeHivesigner, accounts: &[(AccountId, String)]) -> Vec<serde_json::Value> {
    accounts
        .iter()
        .map(|(_, user)| {
            json!({
                "refresh_token": fake.mint_token(TokenKind::Refresh, CLIENT_ID, user),
                "client_secret": SECRET,
            })
        })
        .collect()
}

/// Queues the answer delay for the next `count` refreshes.
fn delay_next(fake: &FakeHivesigner, count: usize) {
    for _ in 0..count {
        fake.fail_next(Endpoint::Refresh, Failure::Delay(ANSWER_DELAY));
    }
}

async fn many_expired() -> Row {
    let fake = seed::start_fake().await;
    let data = tempfile::tempdir().unwrap();
    let seeding = Instant::now();
    let (core, clock, accounts) = signed_in_core(&fake, data.path(), MANY).await;
    println!(
        "  ({MANY} accounts signed in through the fake in {:.1} s)",
        seeding.elapsed().as_secs_f64()
    );
    let bodies = grant_bodies(&fake, &accounts);
    // For a profiler (`perf record`): after one round (which makes the lock files), only
    // Authdeck's refreshes, this many rounds, then nothing else.
    if let Some(rounds) = std::env::var("AUTHDECK_BENCH_PROFILE_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse::<usize>().ok())
    {
        for round in 0..=rounds {
            if round == 1 {
                println!("  (profiling from here)");
            }
            clock.advance(PAST_EXPIRY);
            let took = refresh_through_authdeck(&core, &accounts, CALLER_CONCURRENCY).await;
            println!("  round {round}: {:.1} ms", ms(took));
        }
        std::process::exit(0);
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        clock.advance(PAST_EXPIRY);
        let before = fake.count(Endpoint::Refresh);
        ours.push(refresh_through_authdeck(&core, &accounts, CALLER_CONCURRENCY).await);
        let requests = fake.count(Endpoint::Refresh) - before;
        assert_eq!(requests, MANY, "exactly one token request per account");
        theirs.push(bare_posts(&fake.base_url(), &bodies, CALLER_CONCURRENCY).await);
    }
    println!("  each round: exactly {MANY} token requests for {MANY} accounts");
    Row::durations(
        &format!("{MANY} expired accounts refreshed, concurrency {CALLER_CONCURRENCY}"),
        median(ours),
        median(theirs),
        &format!("{MANY} bare POSTs"),
        "<= 1.5x, exactly one request each",
    )
}

async fn background_refresher() -> Row {
    let fake = seed::start_fake().await;
    let data = tempfile::tempdir().unwrap();
    let (core, clock, accounts) = signed_in_core(&fake, data.path(), DUE).await;
    let concurrency = Settings::default().refresh_concurrency;
    let bodies = grant_bodies(&fake, &accounts);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        clock.advance(PAST_EXPIRY);
        let before = fake.count(Endpoint::Refresh);
        delay_next(&fake, DUE);
        let started = Instant::now();
        let refreshed = core.tokens().refresh_due_accounts().await;
        ours.push(started.elapsed());
        assert_eq!(refreshed, DUE, "every due account refreshed");
        assert_eq!(fake.count(Endpoint::Refresh) - before, DUE);
        delay_next(&fake, DUE);
        theirs.push(bare_posts(&fake.base_url(), &bodies, concurrency).await);
    }
    let ours = median(ours);
    println!(
        "  background refresher: {DUE} due accounts in {:.2} s (refresh_concurrency {concurrency})",
        ours.as_secs_f64()
    );
    Row::durations(
        &format!("background refresher, {DUE} due accounts, provider answering in 100 ms"),
        ours,
        median(theirs),
        &format!("{DUE} bare POSTs at concurrency {concurrency}"),
        "bounded concurrency: ~0.7 s, ~1x bare POSTs",
    )
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` only checks that this builds.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("refresh benchmark: run it with `cargo bench --bench refresh`");
        return;
    }
    println!("refresh benchmark (median of {ROUNDS} rounds)");
    let rows = vec![many_expired().await, background_refresher().await];
    println!(
        "  ({} ms answer delay in the second row)",
        ms(ANSWER_DELAY) as u64
    );
    report::publish("refresh", &rows);
}
