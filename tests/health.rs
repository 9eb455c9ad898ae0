//! Health tells the truth, against the fake Hivesigner over real HTTP with the real keyring:
//! broadcast answers move it (a refused token to "needs sign-in", a lost answer to "provider
//! unreachable", a success back to fresh), an unreachable provider is checked again by itself
//! with back-off, "refreshing" never survives a restart, and a failed refresh is shared by the
//! callers waiting on it instead of each asking again.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use authdeck::accounts::{AccountId, Health};
use authdeck::activity::Outcome;
use authdeck::broadcast::Outgoing;
use authdeck::clock::{Clock, ManualClock};
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts};
use authdeck::tokens::FIRST_BACKOFF_SECONDS;
use authdeck::vault::{KeyringStore, Vault};
use fake_hivesigner::{Endpoint, Failure};
use serde_json::json;
use support::deck::{test_settings, Deck};

const WEEK: i64 = 604_800;

fn vote(voter: &str, permlink: &str) -> Outgoing {
    Outgoing {
        kind: "vote".into(),
        summary: format!("vote on @bob/{permlink}"),
        operations: vec![
            json!(["vote", {"voter": voter, "author": "bob", "permlink": permlink, "weight": 10000}]),
        ],
    }
}

fn health(deck: &Deck, id: AccountId) -> Health {
    deck.core.catalog().account_view(id).unwrap().account.health
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn broadcast_answers_move_health_and_an_unreachable_provider_is_checked_again() {
    let (deck, ids) = Deck::with_accounts("healthapp", &["alice"]).await;
    let alice = ids[0];

    // The answer is lost: the provider is unreachable as far as anyone can tell.
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::LoseAnswer);
    let lost = deck
        .core
        .broadcaster()
        .send(alice, vote("alice", "one"))
        .await
        .unwrap();
    assert!(matches!(lost.outcome, Outcome::Unknown { .. }), "{lost:?}");
    assert_eq!(health(&deck, alice), Health::ProviderUnreachable);

    // Checked again by itself, after its back-off, and cleared when the provider answers.
    assert_eq!(
        deck.core.tokens().recheck_unreachable().await,
        0,
        "still backing off"
    );
    let me_before = deck.fake.count(Endpoint::Me);
    deck.clock.advance(FIRST_BACKOFF_SECONDS + 1);
    assert_eq!(deck.core.tokens().recheck_unreachable().await, 1);
    assert_eq!(deck.fake.count(Endpoint::Me), me_before + 1);
    assert_eq!(health(&deck, alice), Health::Fresh);
    assert_eq!(
        deck.core.tokens().recheck_unreachable().await,
        0,
        "nothing left to check"
    );

    // The provider no longer takes the token: needs sign-in, with the provider's words.
    deck.fake.enforce_expiry(true);
    deck.fake.expire_all_tokens();
    let refused = deck
        .core
        .broadcaster()
        .send(alice, vote("alice", "two"))
        .await
        .unwrap();
    assert!(
        matches!(refused.outcome, Outcome::Failed { .. }),
        "{refused:?}"
    );
    assert_eq!(health(&deck, alice), Health::NeedsSignIn);
    let detail = deck
        .core
        .catalog()
        .account_view(alice)
        .unwrap()
        .account
        .health_detail;
    assert!(detail.unwrap_or_default().contains("expired"));

    // Signed in again, a successful broadcast leaves it fresh.
    deck.fake.enforce_expiry(false);
    let app = deck.core.catalog().list_apps().unwrap().remove(0);
    deck.sign_in(&app).await.unwrap();
    let sent = deck
        .core
        .broadcaster()
        .send(alice, vote("alice", "three"))
        .await
        .unwrap();
    assert!(matches!(sent.outcome, Outcome::Sent { .. }), "{sent:?}");
    assert_eq!(health(&deck, alice), Health::Fresh);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn refreshing_never_survives_a_restart() {
    let (deck, ids) = Deck::with_accounts("restartapp", &["alice"]).await;
    let path = deck.data.path().join("registry.sqlite3");
    // As if the app was killed during a refresh.
    Registry::open(&path)
        .unwrap()
        .set_health(ids[0], Health::Refreshing, None)
        .unwrap();
    assert_eq!(health(&deck, ids[0]), Health::Refreshing);
    let restarted = Authdeck::new(Parts {
        registry: Registry::open(&path).unwrap(),
        vault: Vault::new(Arc::new(KeyringStore::new(deck.service.clone()))),
        clock: Arc::new(ManualClock::at(deck.clock.now())),
        events: Arc::new(RecordedEvents::default()),
        settings: test_settings(),
    })
    .unwrap();
    let account = restarted.catalog().account_view(ids[0]).unwrap().account;
    assert_eq!(
        account.health,
        Health::Fresh,
        "nothing is in flight at start"
    );
}

/// 50 callers at once on `deck`'s expired account; returns the error codes they got.
async fn fifty_callers(deck: &Deck, id: AccountId) -> Vec<String> {
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let core = deck.core.clone();
            tokio::spawn(async move { core.tokens().access_token(id).await })
        })
        .collect();
    let mut codes = Vec::new();
    for caller in callers {
        let err = caller.await.unwrap().expect_err("no token to hand out");
        codes.push(err.code().to_owned());
    }
    codes
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_failed_refresh_is_shared_by_everyone_waiting() {
    let (deck, ids) = Deck::with_accounts("shareapp", &["alice", "bob"]).await;
    deck.clock.advance(WEEK + 60);

    // A refused grant: one request, and all 50 hear its answer.
    deck.fake.refuse_refresh(true);
    let codes = fifty_callers(&deck, ids[0]).await;
    assert!(codes.iter().all(|c| c == "needs_sign_in"), "{codes:?}");
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1, "one request, not 50");
    deck.fake.refuse_refresh(false);

    // A provider failing on its side: one cycle of tries (the token is expired), not 50.
    for _ in 0..200 {
        deck.fake.fail_next(Endpoint::Refresh, Failure::ServerError);
    }
    let codes = fifty_callers(&deck, ids[1]).await;
    assert_eq!(codes.len(), 50);
    assert_eq!(
        deck.fake.count(Endpoint::Refresh) - 1,
        test_settings().retry_attempts as usize,
        "one cycle of tries, not 150"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_hanging_token_endpoint_delays_a_vote_with_a_valid_token_by_one_try_at_most() {
    let (deck, ids) = Deck::with_accounts("hangapp", &["alice"]).await;
    let timeout = test_settings().http_timeout;
    // Due for refresh, still valid; the token endpoint never answers in time.
    deck.clock.advance(WEEK - 3_600);
    for _ in 0..10 {
        deck.fake
            .fail_next(Endpoint::Refresh, Failure::Delay(Duration::from_secs(30)));
    }
    let started = Instant::now();
    let first = deck
        .core
        .broadcaster()
        .send(ids[0], vote("alice", "one"))
        .await
        .unwrap();
    let first_took = started.elapsed();
    assert!(matches!(first.outcome, Outcome::Sent { .. }), "{first:?}");
    assert!(
        first_took < timeout + Duration::from_millis(1_500),
        "one try at most: {first_took:?}"
    );
    let started = Instant::now();
    let second = deck
        .core
        .broadcaster()
        .send(ids[0], vote("alice", "two"))
        .await
        .unwrap();
    assert!(matches!(second.outcome, Outcome::Sent { .. }), "{second:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "the back-off hands out the valid token at once: {:?}",
        started.elapsed()
    );
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_provider_that_answers_badly_is_not_called_unreachable() {
    let (deck, ids) = Deck::with_accounts("answerapp", &["alice"]).await;
    deck.clock.advance(WEEK + 60);
    deck.fake.fail_next(Endpoint::Refresh, Failure::GarbageJson);
    let err = deck.core.tokens().access_token(ids[0]).await.unwrap_err();
    assert_eq!(err.code(), "provider_bad_response", "{err:?}");
    assert_eq!(
        health(&deck, ids[0]),
        Health::ProviderError,
        "it answered, so it is not unreachable"
    );
}
