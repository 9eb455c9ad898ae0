//! Broadcast benchmark, with a report (not a pass/fail test): `cargo bench --bench broadcast`.
//!
//! 1. A vote from 100 accounts through Authdeck (draft, validation, fresh tokens, broadcast,
//!    activity log) against the fake Hivesigner, compared with 100 bare HTTP POSTs of the same
//!    operations at the same concurrency, in the same run.
//! 2. The local cost of one broadcast: validation, token lookup (from the session cache, as
//!    after the first use), and the activity log write (SQLite).
//!
//! The secret store is the in-memory one, so the run needs no keyring; the keyring is read
//! once per account and then served from the session cache, so it does not weigh on the
//! figures. Medians of several rounds are reported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use authdeck::accounts::AccountId;
use authdeck::activity::{ActivityEntry, ActivityId, Outcome, Sender};
use authdeck::broadcast::BATCH_CONCURRENCY;
use authdeck::clock::SystemClock;
use authdeck::compose::VoteRequest;
use authdeck::events::RecordedEvents;
use authdeck::hive::ops::{Operation, Vote};
use authdeck::hive::validate;
use authdeck::provider::Chain;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{MemoryStore, Vault};
use fake_hivesigner::{consent, Consent, FakeConfig, FakeHivesigner, RedirectRules};
use secrecy::ExposeSecret;
use serde_json::json;

const ACCOUNTS: usize = 100;
const ROUNDS: usize = 7;
const LOCAL_ITERATIONS: usize = 2_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn signed_in_core(
    fake: &FakeHivesigner,
    data: &std::path::Path,
) -> (Arc<Authdeck>, Vec<AccountId>) {
    fake.register_app("benchapp", "bench-secret", &["authdeck://callback"]);
    let core = Authdeck::new(Parts {
        registry: Registry::open(&data.join("registry.sqlite3")).unwrap(),
        vault: Vault::new(Arc::new(MemoryStore::default())),
        clock: Arc::new(SystemClock),
        events: Arc::new(RecordedEvents::default()),
        settings: Settings::default(),
    })
    .unwrap();
    let app = core
        .catalog()
        .register_app(
            serde_json::from_value(json!({
                "preset": "hivesigner_compatible",
                "baseUrl": fake.base_url(),
                "clientId": "benchapp",
                "scopes": ["posting", "offline"],
                "redirectMode": "custom_scheme",
                "clientSecret": "bench-secret",
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for index in 0..ACCOUNTS {
        fake.set_consent(Consent::AutoApprove {
            user: format!("voter{index:03}"),
        });
        let started = core.sign_ins().start_sign_in(app.id, None).await.unwrap();
        let redirect = consent(&started.authorize_url).await.unwrap();
        ids.push(
            core.sign_ins()
                .complete_sign_in(&redirect)
                .await
                .unwrap()
                .account
                .id,
        );
    }
    (core, ids)
}

async fn vote_through_authdeck(core: &Arc<Authdeck>, ids: &[AccountId], round: usize) -> Duration {
    let started = Instant::now();
    let draft = core
        .drafts()
        .prepare_vote(&VoteRequest {
            account_ids: ids.to_vec(),
            link: format!("@author/post-{round}"),
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
    elapsed
}

async fn bare_posts(base_url: &str, tokens: &[(String, String)], round: usize) -> Duration {
    let http = reqwest::Client::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(BATCH_CONCURRENCY));
    let url = format!("{base_url}/api/broadcast");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (username, token) in tokens.iter().cloned() {
        let (http, permits, url) = (http.clone(), permits.clone(), url.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let body = json!({ "operations": [["vote", {
                "voter": username, "author": "author", "permlink": format!("post-{round}"), "weight": 10000
            }]]});
            let answer = http.post(&url).header("Authorization", token).json(&body).send().await.unwrap();
            assert!(answer.status().is_success());
            answer.bytes().await.unwrap();
        });
    }
    while tasks.join_next().await.is_some() {}
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
        id: ActivityId(0),
        at: 0,
        sender: Sender {
            account_id: Some(id),
            username: "voter000".into(),
            app_client_id: "benchapp".into(),
            provider: "http://127.0.0.1".into(),
        },
        kind: "vote".into(),
        summary: vote.summary(),
        operations: vote.to_json_string(Chain::Hive),
        outcome: Outcome::Sent {
            transaction_id: "0".repeat(40),
        },
        resolved_by: None,
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
    let fake = FakeHivesigner::start(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let (core, ids) = signed_in_core(&fake, data.path()).await;
    let mut tokens = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let token = core.tokens().access_token(*id).await.unwrap();
        tokens.push((format!("voter{index:03}"), token.expose_secret().to_owned()));
    }

    let mut through_authdeck = Vec::new();
    let mut bare = Vec::new();
    for round in 0..ROUNDS {
        through_authdeck.push(vote_through_authdeck(&core, &ids, round).await);
        bare.push(bare_posts(&fake.base_url(), &tokens, round).await);
    }
    let (ours, theirs) = (median(through_authdeck), median(bare));
    let [validation, token, log] = local_overhead(&core, ids[0], data.path()).await;

    println!("broadcast benchmark ({ACCOUNTS} accounts, concurrency {BATCH_CONCURRENCY}, median of {ROUNDS} rounds)");
    println!(
        "  vote from {ACCOUNTS} accounts through Authdeck: {:>9.1} ms",
        ms(ours)
    );
    println!(
        "  {ACCOUNTS} bare HTTP POSTs, same concurrency:  {:>9.1} ms",
        ms(theirs)
    );
    println!("  ratio: {:.2}", ours.as_secs_f64() / theirs.as_secs_f64());
    println!("local overhead of one broadcast (median of {LOCAL_ITERATIONS}):");
    println!("  validation        {:>8.1} µs", us(validation));
    println!("  token lookup      {:>8.1} µs", us(token));
    println!("  activity log write{:>8.1} µs", us(log));
    println!(
        "  total             {:>8.1} µs",
        us(validation + token + log)
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}

fn us(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}
