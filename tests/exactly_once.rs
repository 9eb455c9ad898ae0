//! Exactly once, from the right account, against the fake Hivesigner and a fake API node over
//! real HTTP, with the real keyring and SQLite: a broadcast whose answer was lost is "may have
//! been sent" and is resolved by asking the chain, never by sending it again blindly; a resend
//! of what the chain already has is refused; a retry never goes out from another account than
//! the one that made the entry, and no operation goes out naming another account than the
//! signing one.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use authdeck::accounts::AccountId;
use authdeck::activity::{ActivityEntry, ActivityFilter, Outcome};
use authdeck::broadcast::{Outgoing, SETTLE_SECONDS};
use authdeck::error::Error;
use authdeck::events::AppEvent;
use fake_hivesigner::{Consent, Endpoint, Failure};
use serde_json::{json, Value};
use support::deck::Deck;

const GET_ACTIVE_VOTES: &str = "condenser_api.get_active_votes";
const GET_CONTENT: &str = "condenser_api.get_content";

fn vote(voter: &str) -> Value {
    json!(["vote", {"voter": voter, "author": "bob", "permlink": "bobs-post", "weight": 5000}])
}

fn reply(author: &str) -> Value {
    json!(["comment", {"parent_author": "bob", "parent_permlink": "bobs-post", "author": author,
        "permlink": "re-bob-bobs-post-20261201t120000000z", "title": "", "body": "Nice!",
        "json_metadata": "{\"app\":\"authdeck/0.1\"}"}])
}

fn outgoing(kind: &str, operations: Vec<Value>) -> Outgoing {
    Outgoing {
        kind: kind.into(),
        summary: format!("{kind} on @bob/bobs-post"),
        operations,
    }
}

/// Broadcasts `outgoing` from account `id` through `deck`'s core.
async fn send(deck: &Deck, id: AccountId, outgoing: Outgoing) -> Result<ActivityEntry, Error> {
    deck.core.broadcaster().send(id, outgoing).await
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_lost_answer_may_have_been_sent_and_the_chain_check_resolves_it() {
    let (deck, ids) = Deck::with_accounts("onceapp", &["alice"]).await;
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::LoseAnswer);
    let lost = send(&deck, ids[0], outgoing("vote", vec![vote("alice")]))
        .await
        .unwrap();
    let Outcome::Unknown { code, message, .. } = &lost.outcome else {
        panic!("a lost answer is neither sent nor failed: {lost:?}")
    };
    assert_eq!(code, "may_have_been_sent");
    assert!(message.contains("may have been sent"), "{message}");
    assert!(
        !message.contains("check your connection"),
        "no advice to simply try again: {message}"
    );
    assert_eq!(deck.open_failures().len(), 1);

    // Too soon: the transaction may still land, so nothing is drafted or asked yet.
    let early = deck.core.drafts().prepare_retry(lost.id).await.unwrap_err();
    assert_eq!(early.code(), "too_soon_to_tell", "{early:?}");
    assert_eq!(deck.node.count(GET_ACTIVE_VOTES), 0);

    // Later, "Retry" asks the chain first; the vote is there, so the entry is marked sent
    // with the evidence and nothing is broadcast again.
    deck.clock.advance(SETTLE_SECONDS + 1);
    let refused = deck.core.drafts().prepare_retry(lost.id).await.unwrap_err();
    assert_eq!(refused.code(), "already_on_chain", "{refused:?}");
    assert!(
        refused.message().contains("@alice"),
        "{}",
        refused.message()
    );
    assert_eq!(deck.node.count(GET_ACTIVE_VOTES), 1);
    let marked = deck
        .core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap();
    let Outcome::OnChain { evidence } = &marked[0].outcome else {
        panic!("{:?}", marked[0])
    };
    assert!(
        evidence.contains("@alice") && evidence.contains("50"),
        "{evidence}"
    );
    assert!(
        deck.open_failures().is_empty(),
        "resolved: {:?}",
        deck.open_failures()
    );
    assert_eq!(deck.fake.count(Endpoint::Broadcast), 1, "sent exactly once");

    // The same vote from the form again: the log already says it is on chain, and the provider
    // would be asked only if the chain lacked it; here a second send goes out as a new vote
    // attempt only after the person confirmed it, and nothing is marked twice.
    assert!(
        deck.core.drafts().prepare_retry(lost.id).await.is_err(),
        "nothing left to retry"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_fresh_send_of_what_the_chain_already_has_sends_nothing() {
    let (deck, ids) = Deck::with_accounts("onceapp", &["alice"]).await;
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::LoseAnswer);
    let lost = send(&deck, ids[0], outgoing("comment", vec![reply("alice")]))
        .await
        .unwrap();
    assert!(matches!(lost.outcome, Outcome::Unknown { .. }), "{lost:?}");

    // The person prepares the same reply again at once: refused, it may still land.
    let soon = send(&deck, ids[0], outgoing("comment", vec![reply("alice")]))
        .await
        .unwrap_err();
    assert_eq!(soon.code(), "too_soon_to_tell");

    deck.clock.advance(SETTLE_SECONDS + 1);
    let again = send(&deck, ids[0], outgoing("comment", vec![reply("alice")]))
        .await
        .unwrap();
    assert_eq!(
        again.id, lost.id,
        "the earlier entry, now known to be on chain"
    );
    assert!(
        matches!(again.outcome, Outcome::OnChain { .. }),
        "{again:?}"
    );
    assert_eq!(deck.node.count(GET_CONTENT), 1);
    assert_eq!(
        deck.fake.count(Endpoint::Broadcast),
        1,
        "the reply went out once"
    );
    assert_eq!(deck.fake.broadcasts().len(), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn an_unreadable_answer_is_checked_and_resent_only_when_the_chain_lacks_it() {
    let (deck, ids) = Deck::with_accounts("onceapp", &["alice"]).await;
    // A 200 whose body cannot be read (the fake did not broadcast it).
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::GarbageJson);
    let lost = send(&deck, ids[0], outgoing("vote", vec![vote("alice")]))
        .await
        .unwrap();
    assert!(matches!(lost.outcome, Outcome::Unknown { .. }), "{lost:?}");
    deck.clock.advance(SETTLE_SECONDS + 1);

    // With every API node down, nothing can be known, so nothing is drafted.
    deck.node.set_down(true);
    let blind = deck.core.drafts().prepare_retry(lost.id).await.unwrap_err();
    assert_eq!(blind.code(), "chain_unreadable", "{blind:?}");
    deck.node.set_down(false);

    // The chain lacks it: the retry is a draft to confirm, and confirming sends it once.
    let draft = deck.core.drafts().prepare_retry(lost.id).await.unwrap();
    assert_eq!(draft.items.len(), 1);
    assert_eq!(draft.items[0].operations, [vote("alice")]);
    assert_eq!(
        deck.fake.broadcasts().len(),
        0,
        "a retry never sends at once"
    );
    let results = deck
        .core
        .drafts()
        .send_draft(draft.draft_id.unwrap())
        .await
        .unwrap();
    // Its progress names its draft, so only its own review listens to it.
    let progress: Vec<Option<u64>> = deck
        .events
        .all()
        .into_iter()
        .filter_map(|event| match event {
            AppEvent::Batch(progress) => Some(progress.draft_id),
            _ => None,
        })
        .collect();
    assert_eq!(progress, [Some(draft.draft_id.unwrap().0)]);
    let sent = results[0].entry.clone().unwrap();
    assert!(matches!(sent.outcome, Outcome::Sent { .. }), "{sent:?}");
    assert_eq!(deck.fake.broadcasts(), [json!([vote("alice")])]);

    let earlier = deck
        .core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap()
        .into_iter()
        .find(|e| e.id == lost.id)
        .unwrap();
    assert_eq!(earlier.resolved_by, Some(sent.id), "resolved by the resend");
    assert!(deck.open_failures().is_empty());
    let used = deck
        .core
        .drafts()
        .send_draft(draft.draft_id.unwrap())
        .await
        .unwrap_err();
    assert_eq!(used.code(), "invalid_input", "a draft is used once");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_retry_never_goes_out_from_a_new_account_that_replaced_a_removed_one() {
    let (deck, ids) = Deck::with_accounts("onceapp", &["alice"]).await;
    deck.fake
        .fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    let failed = send(&deck, ids[0], outgoing("vote", vec![vote("alice")]))
        .await
        .unwrap();
    assert!(matches!(failed.outcome, Outcome::Failed { .. }));
    deck.core.catalog().remove_account(ids[0]).await.unwrap();

    // Another account signs in (and alice again): neither takes alice's old id.
    let app = deck.core.catalog().list_apps().unwrap().remove(0);
    deck.fake
        .set_consent(Consent::AutoApprove { user: "bob".into() });
    let bob = deck.sign_in(&app).await.unwrap().account.id;
    deck.fake.set_consent(Consent::AutoApprove {
        user: "alice".into(),
    });
    let alice_again = deck.sign_in(&app).await.unwrap().account.id;
    assert!(
        bob != ids[0] && alice_again != ids[0],
        "ids are never reused"
    );

    let err = deck
        .core
        .drafts()
        .prepare_retry(failed.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input", "{err:?}");
    assert!(
        err.message().contains("no longer in Authdeck"),
        "{}",
        err.message()
    );
    assert_eq!(deck.fake.broadcasts().len(), 0);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn operations_naming_another_account_are_refused_before_sending() {
    let (deck, ids) = Deck::with_accounts("onceapp", &["alice", "carol"]).await;
    let err = send(&deck, ids[0], outgoing("vote", vec![vote("carol")]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::SignerMismatch {
            signer: "alice".into(),
            named: "carol".into()
        }
    );
    assert!(err.message().contains("@alice") && err.message().contains("@carol"));
    // In a batch, the one wrong item is refused and the others go out.
    let results = deck
        .core
        .broadcaster()
        .send_batch(vec![
            (ids[0], outgoing("vote", vec![vote("alice")])),
            (ids[1], outgoing("vote", vec![vote("alice")])),
        ])
        .await;
    assert!(results[0].entry.is_some() && results[0].error.is_none());
    assert_eq!(
        results[1].error.as_ref().map(Error::code),
        Some("signer_mismatch")
    );
    assert_eq!(
        deck.fake.count(Endpoint::Broadcast),
        1,
        "only alice's own vote went out"
    );
    assert_eq!(deck.fake.broadcasts(), [json!([vote("alice")])]);
}
