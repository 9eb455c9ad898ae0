//! The fake's edge over real HTTP: the answer delay on every route, the rate limit answering
//! 429 with `Retry-After` before any route sees the request (a refused broadcast is neither
//! broadcast nor recorded), and the in-flight record.

use std::time::Duration;

use fake_hivesigner::{Endpoint, FakeConfig, FakeHivesigner, RateLimit, RetryAfter, TokenKind};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::{json, Value};

const APP: &str = "myapp";

fn vote(voter: &str) -> Value {
    json!([["vote", {"voter": voter, "author": "bob", "permlink": "p", "weight": 10000}]])
}

async fn broadcast(fake: &FakeHivesigner, user: &str) -> reqwest::Response {
    let token = fake.mint_token(TokenKind::Posting, APP, user);
    reqwest::Client::new()
        .post(format!("{}/api/broadcast", fake.base_url()))
        .header(AUTHORIZATION, token)
        .json(&json!({ "operations": vote(user) }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn beyond_the_in_flight_limit_a_broadcast_is_refused_with_retry_after_and_not_broadcast() {
    let fake = FakeHivesigner::start(FakeConfig::default()).await;
    fake.set_answer_delay(Duration::from_millis(300));
    fake.set_rate_limit(Some(RateLimit::in_flight(2, 7)));
    let answers = three_at_once(&fake).await;
    let refused: Vec<&(StatusCode, Option<String>, Value)> = answers
        .iter()
        .filter(|(status, ..)| *status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(refused.len(), 1, "{answers:?}");
    let (_, retry_after, body) = refused[0];
    assert_eq!(retry_after.as_deref(), Some("7"));
    assert_eq!(body["error"], "too_many_requests");
    assert_eq!(
        fake.broadcasts().len(),
        2,
        "the refused one was not broadcast"
    );
    assert_eq!(
        fake.count(Endpoint::Broadcast),
        2,
        "nor seen by the service"
    );
    assert_eq!((fake.max_in_flight(), fake.rate_limited()), (2, 1));
    let arrivals = fake.arrivals();
    assert_eq!(arrivals.len(), 3);
    let refusal = arrivals.iter().find(|a| a.refused_for.is_some()).unwrap();
    assert_eq!(refusal.refused_for, Some(Duration::from_secs(7)));
    assert!(refusal.user.is_some(), "the edge names the token's account");
    for admitted in arrivals.iter().filter(|a| a.refused_for.is_none()) {
        let took = admitted.answered.unwrap() - admitted.at;
        assert!(
            took >= Duration::from_millis(300),
            "the delay is kept: {took:?}"
        );
    }

    fake.set_rate_limit(None);
    fake.reset_pacing_record();
    assert_eq!(broadcast(&fake, "dave").await.status(), StatusCode::OK);
    assert_eq!((fake.rate_limited(), fake.arrivals().len()), (0, 1));
}

#[tokio::test]
async fn a_window_limit_says_when_the_window_ends_and_dates_are_http_dates() {
    let fake = FakeHivesigner::start(FakeConfig::default()).await;
    fake.set_rate_limit(Some(RateLimit::per_window(1, Duration::from_secs(30))));
    assert_eq!(broadcast(&fake, "alice").await.status(), StatusCode::OK);
    let refused = broadcast(&fake, "bob").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = refused.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((29..=30).contains(&seconds), "{seconds}");

    fake.set_rate_limit(Some(RateLimit {
        retry_after: RetryAfter::HttpDate(60),
        ..RateLimit::in_flight(0, 1)
    }));
    let dated = broadcast(&fake, "carol").await;
    let value = dated.headers()[RETRY_AFTER].to_str().unwrap().to_owned();
    assert!(value.ends_with(" GMT"), "{value}");
    fake.set_rate_limit(Some(RateLimit {
        retry_after: RetryAfter::Omitted,
        ..RateLimit::in_flight(0, 1)
    }));
    let bare = broadcast(&fake, "carol").await;
    assert_eq!(bare.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(bare.headers().get(RETRY_AFTER).is_none());
    assert_eq!(fake.broadcasts().len(), 1);
}

/// Broadcasts from alice, bob and carol at once (each a moment after the one before, so the
/// refused one is the last); each answer's status, `Retry-After` and body.
async fn three_at_once(fake: &FakeHivesigner) -> Vec<(StatusCode, Option<String>, Value)> {
    let later = |user: &'static str, index: u64| async move {
        tokio::time::sleep(Duration::from_millis(50 * index)).await;
        broadcast(fake, user).await
    };
    let (a, b, c) = tokio::join!(later("alice", 0), later("bob", 1), later("carol", 2));
    let mut answers = Vec::new();
    for answer in [a, b, c] {
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get(RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        answers.push((status, retry_after, answer.json().await.unwrap()));
    }
    answers
}
