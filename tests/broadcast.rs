//! Broadcasting against the fake Hivesigner over real HTTP, with the real keyring and SQLite:
//! success, each class of refusal in plain words, a refresh in the middle of a batch, and an
//! outage part-way through a 20-account vote where nothing is sent twice.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use authdeck::activity::{ActivityEntry, ActivityFilter, Outcome, SendResult};
use authdeck::broadcast::Outgoing;
use fake_hivesigner::{Endpoint, Failure};
use serde_json::{json, Value};
use support::deck::Deck;

fn vote(voter: &str) -> Value {
    json!(["vote", {"voter": voter, "author": "bob", "permlink": "bobs-post", "weight": 10000}])
}

fn outgoing(operations: Vec<Value>) -> Outgoing {
    Outgoing {
        kind: "vote".into(),
        summary: "vote 100.00 % on @bob/bobs-post".into(),
        operations,
    }
}

fn failure_code(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Failed { code, .. } | Outcome::Unknown { code, .. } => code,
        Outcome::Sent { .. } | Outcome::OnChain { .. } => "sent",
    }
}

/// The log entries of a batch (every account got as far as the provider).
fn entries(results: Vec<SendResult>) -> Vec<ActivityEntry> {
    results
        .into_iter()
        .map(|result| result.entry.unwrap_or_else(|| panic!("{:?}", result.error)))
        .collect()
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_vote_is_sent_and_logged_with_its_transaction_id() {
    let (deck, ids) = Deck::with_accounts("castapp", &["alice"]).await;
    let entry = deck
        .core
        .broadcaster()
        .send(ids[0], outgoing(vec![vote("alice")]))
        .await
        .unwrap();
    let Outcome::Sent { transaction_id } = &entry.outcome else {
        panic!("{entry:?}")
    };
    assert_eq!(transaction_id.len(), 40, "{transaction_id}");
    assert_eq!(deck.fake.broadcasts(), [json!([vote("alice")])]);
    let logged = deck
        .core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap();
    assert_eq!(logged, [entry]);

    deck.fake.full_broadcast_result(true);
    let fuller = deck
        .core
        .broadcaster()
        .send(ids[0], outgoing(vec![vote("alice")]))
        .await
        .unwrap();
    assert!(matches!(fuller.outcome, Outcome::Sent { .. }), "{fuller:?}");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn each_refusal_is_logged_in_plain_words_with_the_raw_text() {
    let (deck, ids) = Deck::with_accounts("castapp", &["alice"]).await;
    let alice = ids[0];
    let transfer =
        json!(["transfer", {"from": "alice", "to": "bob", "amount": "1.000 HIVE", "memo": ""}]);

    deck.fake
        .fail_chain_next("Voting weight is too small, please accumulate more voting power.");
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![vote("alice")], "chain_refused"),
        (vec![transfer], "not_permitted"),
    ];
    for (operations, code) in cases {
        let entry = deck
            .core
            .broadcaster()
            .send(alice, outgoing(operations))
            .await
            .unwrap();
        assert_eq!(failure_code(&entry.outcome), code, "{entry:?}");
    }
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    let node = deck
        .core
        .broadcaster()
        .send(alice, outgoing(vec![vote("alice")]))
        .await
        .unwrap();
    assert_eq!(failure_code(&node.outcome), "node_failure");
    deck.fake.revoke_app_authority("alice", true);
    let revoked = deck
        .core
        .broadcaster()
        .send(alice, outgoing(vec![vote("alice")]))
        .await
        .unwrap();
    assert_eq!(failure_code(&revoked.outcome), "authority_missing");

    let errors = deck.open_failures();
    assert_eq!(errors.len(), 4);
    let chain = errors
        .iter()
        .find(|e| failure_code(&e.outcome) == "chain_refused")
        .unwrap();
    let Outcome::Failed { message, raw, .. } = &chain.outcome else {
        unreachable!()
    };
    assert!(message.contains("voting power is too low"), "{message}");
    assert!(
        raw.contains("Voting weight is too small"),
        "the raw answer is kept: {raw}"
    );
    assert!(
        deck.fake.broadcasts().is_empty(),
        "nothing refused was recorded as sent"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_batch_refreshes_an_expired_token_on_the_way() {
    let (deck, ids) = Deck::with_accounts("castapp", &["alice", "bob", "carol"]).await;
    deck.clock.advance(604_800 + 60);
    let items = ["alice", "bob", "carol"]
        .iter()
        .zip(&ids)
        .map(|(user, id)| (*id, outgoing(vec![vote(user)])))
        .collect();
    let entries = entries(deck.core.broadcaster().send_batch(items).await);
    assert!(
        entries
            .iter()
            .all(|e| matches!(e.outcome, Outcome::Sent { .. })),
        "{entries:?}"
    );
    assert_eq!(
        deck.fake.count(Endpoint::Refresh),
        3,
        "one refresh per account"
    );
    assert_eq!(deck.fake.broadcasts().len(), 3);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn an_outage_part_way_through_twenty_votes_sends_nothing_twice() {
    let users: Vec<String> = (1..=20).map(|n| format!("voter{n:02}")).collect();
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    let (deck, ids) = Deck::with_accounts("castapp", &names).await;
    // The provider's node fails for three requests, and two answers never come in time
    // (the provider broadcasts those: they are "may have been sent", not failures).
    for _ in 0..3 {
        deck.fake
            .fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    }
    for _ in 0..2 {
        deck.fake
            .fail_next(Endpoint::Broadcast, Failure::LoseAnswer);
    }
    let items = names
        .iter()
        .zip(&ids)
        .map(|(user, id)| (*id, outgoing(vec![vote(user)])))
        .collect();
    let entries = entries(deck.core.broadcaster().send_batch(items).await);

    let failed: Vec<&str> = entries
        .iter()
        .map(|e| failure_code(&e.outcome))
        .filter(|c| *c != "sent")
        .collect();
    assert_eq!(entries.len(), 20);
    assert_eq!(
        failed.iter().filter(|c| **c == "node_failure").count(),
        3,
        "{failed:?}"
    );
    assert_eq!(
        failed
            .iter()
            .filter(|c| **c == "may_have_been_sent")
            .count(),
        2,
        "{failed:?}"
    );
    assert_eq!(
        deck.fake.count(Endpoint::Broadcast),
        20,
        "each account asked once"
    );
    let logged = deck.open_failures();
    assert_eq!(logged.len(), 5, "every failure is in the log");
    let mut voters: Vec<String> = deck
        .fake
        .broadcasts()
        .iter()
        .map(|ops| ops[0][1]["voter"].as_str().unwrap().to_owned())
        .collect();
    let broadcast = voters.len();
    voters.sort();
    voters.dedup();
    assert_eq!(voters.len(), broadcast, "no vote was broadcast twice");
    // 15 were answered, and the 2 whose answers were lost went through all the same.
    assert_eq!(broadcast, 17, "{broadcast} broadcast");
    let unknown = logged
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Unknown { .. }))
        .count();
    assert_eq!(unknown, 2, "a lost answer is not a failure: {logged:?}");
}
