//! Broadcast benchmark, with a report (not a pass/fail test): `cargo bench --bench broadcast`.
//!
//! 1. A vote from 100 accounts through Authdeck (draft, validation, fresh tokens, broadcast,
//!    activity log) against the fake Hivesigner answering at once, compared with 100 bare HTTP
//!    POSTs of the same operations in the same run, at the concurrency Authdeck reached (the
//!    most requests the fake saw in flight during Authdeck's batch); for reference also at 4
//!    (the old fixed concurrency) and at the pacer's initial limit.
//! 2. The same vote with the provider answering every request in 100 ms, compared with ONE
//!    bare POST against the same delayed fake (one round trip): what the batch's concurrency
//!    buys.
//! 3. The local cost of one broadcast: validation, token lookup (from the session cache, as
//!    after the first use), and the activity log write (SQLite).
//!
//! Rows 1 and 2 are published with `benches/support/report.rs` (`target/bench/rows/broadcast.tsv`).
//! The secret store is the in-memory one, so the run needs no keyring; the keyring is read
//! once per account and then served from the session cache, so it does not weigh on the
//! figures. Medians of several rounds are reported.

#[path = "support/report.rs"]
mod report;
#[path = "support/seed.rs"]
mod seed;

use std::sync::Arc;
use std::time::{Duration, Instant};

use authdeck::accounts::AccountId;
use authdeck::activity::{ActivityEntry, ActivityId, Outcome, Sender};
use authdeck::clock::SystemClock;
use authdeck::compose::VoteRequest;
use authdeck::hive::ops::{Operation, Vote};
use authdeck::hive::validate;
use authdeck::pacing;
use authdeck::provider::Chain;
use authdeck::registry::Registry;
use authdeck::service::Authdeck;
use fake_hivesigner::FakeHivesigner;
use report::{median, ms, Row};
use secrecy::ExposeSecret;
use serde_json::json;

const ACCOUNTS: usize = 100;
const ROUNDS: usize = 7;
const DELAYED_ROUNDS: usize = 5;
const ANSWER_DELAY: Duration = Duration::from_millis(100);
const LOCAL_ITERATIONS: usize = 2_000;

/// A core with [`ACCOUNTS`] voters signed in.
async fn signed_in_core(
    fake: &FakeHivesigner,
    data: &std::path::Path,
) -> (Arc<Authdeck>, Vec<AccountId>) {
    let users = (0..ACCOUNTS).map(|index| format!("voter{index:03}"));
    let (core, accounts) = seed::signed_in_core(fake, data, Arc::new(SystemClock), users).await;
    (core, accounts.into_iter().map(|(id, _)| id).collect())
}

/// One vote from every account through Authdeck; how long it took and the most requests the
/// fake saw in flight meanwhile.
async fn vote_through_authdeck(
    core: &Arc<Authdeck>,
    fake: &FakeHivesigner,
    ids: &[AccountId],
    permlink: &str,
) -> (Duration, usize) {
    fake.reset_pacing_record();
    let started = Instant::now();
    let draft = core
        .drafts()
        .prepare_vote(&VoteRequest {
            account_ids: ids.to_vec(),
            link: format!("@author/{permlink}"),
            weight: 10_000,
        })
        .unwrap();
    let entries = core
        .drafts()
        .send_draft(draft.draft_id.unwrap())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(entries.iter().all(|e| matches!(
        e.entry.as_ref().map(|e| &e.outcome),
        Some(Outcome::Sent { .. })
    )));
    (elapsed, fake.max_in_flight())
}

/// 100 bare POSTs of one vote each, at most `concurrency` at once; with `log`, each answer is
/// also written to that activity log as its own transaction (what every send must at least
/// cost: the floor of a design that logs each broadcast before reporting it).
async fn bare_posts(
    base_url: &str,
    tokens: &[(String, String)],
    permlink: &str,
    concurrency: usize,
    log: Option<&Arc<Registry>>,
) -> Duration {
    let http = reqwest::Client::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let url = format!("{base_url}/api/broadcast");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (username, token) in tokens.iter().cloned() {
        let (http, permits, url) = (http.clone(), permits.clone(), url.clone());
        let permlink = permlink.to_owned();
        let log = log.cloned();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let body = json!({ "operations": [["vote", {
                "voter": username, "author": "author", "permlink": permlink, "weight": 10000
            }]]});
            let answer = http
                .post(&url)
                .header("Authorization", token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success());
            answer.bytes().await.unwrap();
            if let Some(log) = log {
                log.record_activity(&logged_vote(&username, &permlink))
                    .unwrap();
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    started.elapsed()
}

/// The activity entry of a sent vote from `username`.
fn logged_vote(username: &str, permlink: &str) -> ActivityEntry {
    let vote: Operation = Vote::new(username, "author", permlink, 10_000).into();
    ActivityEntry {
        id: ActivityId(0),
        at: 0,
        sender: Sender {
            account_id: None,
            username: username.into(),
            app_client_id: seed::CLIENT_ID.into(),
            provider: "http://127.0.0.1".into(),
        },
        kind: "vote".into(),
        summary: vote.summary(),
        operations: vote.to_json_string(Chain::Hive),
        outcome: Outcome::Sent {
            transaction_id: "0".repeat(40),
        },
        resolved_by: None,
    }
}

/// One bare POST of one vote: a single round trip to the (delayed) fake.
async fn one_round_trip(
    http: &reqwest::Client,
    base_url: &str,
    token: &(String, String),
    permlink: &str,
) -> Duration {
    let body = json!({ "operations": [["vote", {
        "voter": token.0, "author": "author", "permlink": permlink, "weight": 10000
    }]]});
    let started = Instant::now();
    let answer = http
        .post(format!("{base_url}/api/broadcast"))
        .header("Authorization", &token.1)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    answer.bytes().await.unwrap();
    started.elapsed()
}

async fn local_overhead(
    core: &Arc<Authdeck>,
    id: AccountId,
    data: &std::path::Path,
) -> [Duration; 3] {
    let registry = Registry::open(&data.join("overhead.sqlite3")).unwrap();
    let vote: Operation = Vote::new("voter000", "author", "some-post", 10_000).into();
    let entry = ActivityEntry {
        sender: Sender {
            account_id: Some(id),
            ..logged_vote("voter000", "some-post").sender
        },
        ..logged_vote("voter000", "some-post")
    };
    let mut samples = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..LOCAL_ITERATIONS {
        let started = Instant::now();
        validate::check_transaction(std::slice::from_ref(&vote), Chain::Hive).unwrap();
        samples[0].push(started.elapsed());
        let started = Instant::now();
        let token = core.tokens().access_token(id).await.unwrap();
        samples[1].push(started.elapsed());
        assert!(!token.expose_secret().is_empty());
        let started = Instant::now();
        registry.record_activity(&entry).unwrap();
        samples[2].push(started.elapsed());
    }
    samples.map(median)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` only checks that this builds.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("broadcast benchmark: run it with `cargo bench --bench broadcast`");
        return;
    }
    let fake = seed::start_fake().await;
    let data = tempfile::tempdir().unwrap();
    let (core, ids) = signed_in_core(&fake, data.path()).await;
    let mut tokens = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let token = core.tokens().access_token(*id).await.unwrap();
        tokens.push((format!("voter{index:03}"), token.expose_secret().to_owned()));
    }

    // For a profiler (`perf record`): only Authdeck's batch, this many rounds, nothing else.
    if let Some(rounds) = std::env::var("AUTHDECK_BENCH_PROFILE_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse::<usize>().ok())
    {
        let started = Instant::now();
        for round in 0..rounds {
            vote_through_authdeck(&core, &fake, &ids, &format!("profile-{round}")).await;
        }
        println!(
            "{rounds} batches of {ACCOUNTS} votes: {:.1} ms each",
            ms(started.elapsed()) / rounds as f64
        );
        return;
    }

    // 1. Answering at once: Authdeck's batch, then bare POSTs at the concurrency it reached.
    let mut through_authdeck = Vec::new();
    let mut bare = Vec::new();
    let mut logged = Vec::new();
    let floor_log = Arc::new(Registry::open(&data.path().join("floor.sqlite3")).unwrap());
    let mut peaks = Vec::new();
    for round in 0..ROUNDS {
        let (ours, peak) =
            vote_through_authdeck(&core, &fake, &ids, &format!("post-{round}")).await;
        through_authdeck.push(ours);
        peaks.push(peak);
        bare.push(
            bare_posts(
                &fake.base_url(),
                &tokens,
                &format!("bare-{round}"),
                peak,
                None,
            )
            .await,
        );
        logged.push(
            bare_posts(
                &fake.base_url(),
                &tokens,
                &format!("logged-{round}"),
                peak,
                Some(&floor_log),
            )
            .await,
        );
    }
    let peak = median(peaks);
    let (ours, theirs, floor) = (median(through_authdeck), median(bare), median(logged));
    // For reference: the same POSTs at the old fixed concurrency and at the pacer's start.
    let mut reference = Vec::new();
    for concurrency in [4, pacing::INITIAL_LIMIT] {
        let mut samples = Vec::new();
        for round in 0..ROUNDS {
            let permlink = format!("ref-{concurrency}-{round}");
            samples.push(bare_posts(&fake.base_url(), &tokens, &permlink, concurrency, None).await);
        }
        reference.push((concurrency, median(samples)));
    }

    // 2. Answering in 100 ms: Authdeck's batch against one bare round trip.
    fake.set_answer_delay(ANSWER_DELAY);
    let http = reqwest::Client::new();
    let mut delayed = Vec::new();
    let mut delayed_peaks = Vec::new();
    let mut round_trips = Vec::new();
    for round in 0..DELAYED_ROUNDS {
        let (batch, peak) =
            vote_through_authdeck(&core, &fake, &ids, &format!("slow-{round}")).await;
        delayed.push(batch);
        delayed_peaks.push(peak);
        round_trips.push(
            one_round_trip(
                &http,
                &fake.base_url(),
                &tokens[0],
                &format!("single-{round}"),
            )
            .await,
        );
    }
    fake.set_answer_delay(Duration::ZERO);
    let delayed_peak = median(delayed_peaks);
    let (delayed, round_trip) = (median(delayed), median(round_trips));

    let [validation, token, log] = local_overhead(&core, ids[0], data.path()).await;

    println!("broadcast benchmark ({ACCOUNTS} accounts, Authdeck reached {peak} in flight, median of {ROUNDS} rounds)");
    println!(
        "  vote from {ACCOUNTS} accounts through Authdeck: {:>9.1} ms",
        ms(ours)
    );
    println!(
        "  {ACCOUNTS} bare HTTP POSTs, same concurrency:  {:>9.1} ms",
        ms(theirs)
    );
    println!("  ratio: {:.2}", ours.as_secs_f64() / theirs.as_secs_f64());
    println!(
        "  (the same bare POSTs each also logging its entry, one transaction each: {:.1} ms, ratio {:.2})",
        ms(floor),
        ours.as_secs_f64() / floor.as_secs_f64()
    );
    for (concurrency, took) in &reference {
        println!(
            "  (the same bare POSTs {concurrency} at a time: {:.1} ms, ratio {:.2})",
            ms(*took),
            ours.as_secs_f64() / took.as_secs_f64()
        );
    }
    println!(
        "  provider answering in {} ms: the vote {:.1} ms ({delayed_peak} in flight at most), one bare round trip {:.1} ms",
        ANSWER_DELAY.as_millis(),
        ms(delayed),
        ms(round_trip)
    );
    println!("local overhead of one broadcast (median of {LOCAL_ITERATIONS}):");
    println!("  validation        {:>8.1} µs", us(validation));
    println!("  token lookup      {:>8.1} µs", us(token));
    println!("  activity log write{:>8.1} µs", us(log));
    println!(
        "  total             {:>8.1} µs",
        us(validation + token + log)
    );
    report::publish(
        "broadcast",
        &[
            Row::durations(
                "100 votes vs 100 bare POSTs (loopback fake, no delay)",
                ours,
                theirs,
                &format!("100 bare POSTs, {peak} at once as Authdeck"),
                "<= 1.3x",
            ),
            Row::durations(
                "100-account vote, provider answering in 100 ms",
                delayed,
                round_trip,
                "one bare POST round trip",
                "<= 3x the round trip",
            ),
        ],
    );
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}
