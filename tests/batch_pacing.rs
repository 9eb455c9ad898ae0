//! A batch's adaptive concurrency against the fake Hivesigner over real HTTP, with the real
//! keyring and SQLite: a 100-account vote against a provider that rate-limits (429 with
//! `Retry-After`) sends every vote exactly once, more than four at a time, and waits as asked
//! before trying a refused account again; server failures back the concurrency off and
//! nothing that may have been sent goes out again.
//!
//! They need the test session's keyring: run them through `scripts/session.sh`.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use authdeck::activity::{ActivityEntry, ActivityFilter, Outcome, SendResult};
use authdeck::broadcast::Outgoing;
use authdeck::events::AppEvent;
use authdeck::pacing;
use fake_hivesigner::{Arrival, Endpoint, Failure, RateLimit};
use serde_json::{json, Value};
use support::deck::Deck;

const ACCOUNTS: usize = 100;

fn vote(voter: &str) -> Value {
    json!(["vote", {"voter": voter, "author": "bob", "permlink": "bobs-post", "weight": 10000}])
}

fn outgoing(voter: &str) -> Outgoing {
    Outgoing {
        kind: "vote".into(),
        summary: "vote 100.00 % on @bob/bobs-post".into(),
        operations: vec![vote(voter)],
    }
}

fn voters() -> Vec<String> {
    (0..ACCOUNTS).map(|n| format!("voter{n:03}")).collect()
}

/// A deck with the hundred voters signed in, and the batch that votes from each.
async fn hundred_voters() -> (Deck, Vec<(authdeck::accounts::AccountId, Outgoing)>) {
    let names = voters();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (deck, ids) = Deck::with_accounts("castapp", &names).await;
    // Every token read once, as after the app has been in use a while: the batch then goes
    // as fast as the provider lets it, not at the keyring's pace.
    for id in &ids {
        deck.core.tokens().access_token(*id).await.unwrap();
    }
    let items = names
        .iter()
        .zip(&ids)
        .map(|(user, id)| (*id, outgoing(user)))
        .collect();
    (deck, items)
}

/// The voter of each vote the fake broadcast, in order.
fn broadcast_voters(deck: &Deck) -> Vec<String> {
    deck.fake
        .broadcasts()
        .iter()
        .map(|ops| ops[0][1]["voter"].as_str().unwrap().to_owned())
        .collect()
}

fn entries(results: &[SendResult]) -> Vec<&ActivityEntry> {
    results
        .iter()
        .map(|result| {
            result
                .entry
                .as_ref()
                .unwrap_or_else(|| panic!("{:?}", result.error))
        })
        .collect()
}

fn code(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Failed { code, .. } | Outcome::Unknown { code, .. } => code,
        Outcome::Sent { .. } | Outcome::OnChain { .. } => "sent",
    }
}

/// The most broadcasts the fake was answering at once among `arrivals`.
fn peak_in_flight(arrivals: &[&Arrival]) -> usize {
    let mut edges: Vec<(Duration, i32)> = Vec::new();
    for arrival in arrivals.iter().filter(|a| a.refused_for.is_none()) {
        edges.push((arrival.at, 1));
        edges.push((arrival.answered.unwrap_or(Duration::MAX), -1));
    }
    // An answer at the very moment another arrives is over first.
    edges.sort_by_key(|(at, change)| (*at, *change));
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, change) in edges {
        now += change;
        peak = peak.max(now);
    }
    peak as usize
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/session.sh"]
async fn a_rate_limited_hundred_account_vote_sends_each_vote_once_and_waits_as_asked() {
    let (deck, items) = hundred_voters().await;
    // The provider answers in 50 ms and its edge takes at most 12 at once, then 429 with
    // `Retry-After: 1`.
    deck.fake.set_answer_delay(Duration::from_millis(50));
    deck.fake.set_rate_limit(Some(RateLimit::in_flight(12, 1)));
    deck.fake.reset_pacing_record();

    let results = deck.core.broadcaster().send_batch(items).await;

    let sent = entries(&results);
    assert_eq!(sent.len(), ACCOUNTS);
    for (entry, voter) in sent.iter().zip(voters()) {
        assert_eq!(
            entry.sender.username, voter,
            "results in the order of the items"
        );
        assert_eq!(code(&entry.outcome), "sent", "{entry:?}");
    }
    assert!(
        deck.fake.rate_limited() > 0,
        "the provider's limit was reached (else this shows nothing)"
    );
    let mut broadcast = broadcast_voters(&deck);
    broadcast.sort();
    assert_eq!(broadcast, voters(), "every vote broadcast exactly once");
    assert_eq!(
        deck.fake.count(Endpoint::Broadcast),
        ACCOUNTS,
        "no refused request reached the service"
    );
    let logged = deck
        .core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap();
    let mut logged_voters: Vec<String> = logged.iter().map(|e| e.sender.username.clone()).collect();
    logged_voters.sort();
    assert_eq!(logged_voters, voters(), "each vote logged once");

    let peak = deck.fake.max_in_flight();
    assert!(
        (5..=12).contains(&peak),
        "more than four at once, within the provider's limit: {peak}"
    );

    // After a 429, that account came back only once its `Retry-After` was over.
    let arrivals = deck.fake.arrivals();
    let broadcasts: Vec<&Arrival> = arrivals
        .iter()
        .filter(|a| a.path == "/api/broadcast")
        .collect();
    let mut next_of: HashMap<&str, Vec<&Arrival>> = HashMap::new();
    for arrival in &broadcasts {
        next_of
            .entry(arrival.user.as_deref().expect("a token names the voter"))
            .or_default()
            .push(arrival);
    }
    let mut waited = 0;
    for tries in next_of.values() {
        for pair in tries.windows(2) {
            let (refused, again) = (pair[0], pair[1]);
            let wait = refused
                .refused_for
                .expect("only a refused vote is tried again");
            assert_eq!(wait, Duration::from_secs(1));
            assert!(
                again.at >= refused.at + wait,
                "tried again {:?} after a 429 asking for {wait:?}",
                again.at - refused.at
            );
            waited += 1;
        }
        assert!(
            tries.last().unwrap().refused_for.is_none(),
            "each voter's last try was taken"
        );
    }
    assert_eq!(waited, deck.fake.rate_limited());

    let pauses: Vec<_> = deck
        .events
        .all()
        .into_iter()
        .filter_map(|event| match event {
            AppEvent::BatchPaused(pause) => Some(pause),
            _ => None,
        })
        .collect();
    assert!(!pauses.is_empty(), "the window was told of the pause");
    assert!(pauses
        .iter()
        .all(|p| p.seconds == 1 && p.asked_seconds == Some(1) && !p.capped && p.total == 100));
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/session.sh"]
async fn server_failures_back_off_and_nothing_that_may_have_been_sent_goes_out_again() {
    let (deck, items) = hundred_voters().await;
    deck.fake.set_answer_delay(Duration::from_millis(100));
    // The first answers: two failures of the provider's own, one of its node, and one
    // broadcast whose answer never comes (it is on chain all the same).
    for failure in [
        Failure::ServerError,
        Failure::NodeFailure,
        Failure::ServerError,
        Failure::LoseAnswer,
    ] {
        deck.fake.fail_next(Endpoint::Broadcast, failure);
    }
    deck.fake.reset_pacing_record();

    let results = deck.core.broadcaster().send_batch(items).await;

    let logged = entries(&results);
    let codes: Vec<&str> = logged.iter().map(|e| code(&e.outcome)).collect();
    let count = |wanted: &str| codes.iter().filter(|c| **c == wanted).count();
    assert_eq!(count("provider_failed"), 2, "{codes:?}");
    assert_eq!(count("node_failure"), 1, "{codes:?}");
    assert_eq!(count("may_have_been_sent"), 1, "{codes:?}");
    assert_eq!(count("sent"), ACCOUNTS - 4, "{codes:?}");
    assert_eq!(
        deck.fake.count(Endpoint::Broadcast),
        ACCOUNTS,
        "each account asked once: no failure was sent again"
    );
    let broadcast = broadcast_voters(&deck);
    let unique: HashSet<&String> = broadcast.iter().collect();
    assert_eq!(unique.len(), broadcast.len(), "no vote was broadcast twice");
    assert_eq!(
        broadcast.len(),
        ACCOUNTS - 3,
        "the lost answer's vote is on chain once"
    );
    let errors = deck.open_failures();
    assert_eq!(errors.len(), 4, "every failure is in the log, once");

    // The first wave went out at the initial limit; once its failures were answered, the
    // batch went on with half as many at once (and grows back slowly from there).
    let arrivals = deck.fake.arrivals();
    let broadcasts: Vec<&Arrival> = arrivals
        .iter()
        .filter(|a| a.path == "/api/broadcast")
        .collect();
    let (first_wave, rest) = broadcasts.split_at(pacing::INITIAL_LIMIT);
    // (The lost answer's request stays open until the client gives up: not counted here.)
    let first_wave_over = first_wave
        .iter()
        .filter_map(|a| {
            a.answered
                .filter(|answered| *answered - a.at < Duration::from_secs(1))
        })
        .max()
        .unwrap();
    let later: Vec<&Arrival> = rest
        .iter()
        .copied()
        .filter(|a| a.at > first_wave_over)
        .collect();
    assert!(!later.is_empty());
    let before = peak_in_flight(first_wave);
    let after = peak_in_flight(&later);
    assert!(
        after <= pacing::INITIAL_LIMIT * 3 / 4,
        "backed off to about half: {after} at once after the failures"
    );
    assert!(
        after < before,
        "{after} after the failures, {before} before"
    );
}
