//! Refresh at scale: the background refresher runs its refreshes a bounded number at a time
//! (`refresh_concurrency`), each account is refreshed exactly once however many callers and
//! refresher passes ask at the same moment, and a refresh by another Authdeck process over the
//! same registry and keyring is taken up without asking the provider again.
//!
//! Real parts: a SQLite registry file, the test session's keyring, the fake Hivesigner over
//! HTTP. They need the test session's keyring: run them through `scripts/session.sh`.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use authdeck::accounts::{AccountId, Health};
use authdeck::service::Settings;
use fake_hivesigner::{Consent, Endpoint, Failure, FakeConfig, RedirectRules};
use secrecy::ExposeSecret;
use support::deck::{test_settings, Deck};

/// A day short of a seven-day token's end, and a minute more: every account is due.
const INTO_THE_LAST_DAY: i64 = 6 * 86_400 + 60;

/// A deck whose refresher runs `at_once` refreshes at a time, with `count` accounts of one
/// code-flow app signed in (their tokens read once, as in use).
async fn signed_in(count: usize, at_once: usize) -> (Deck, Vec<AccountId>) {
    let settings = Settings {
        refresh_concurrency: at_once,
        ..test_settings()
    };
    let config = FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    };
    let deck = Deck::start_with(config, settings).await;
    let app = deck.deep_link_app("scaleapp").await;
    let mut ids = Vec::new();
    for index in 0..count {
        deck.fake.set_consent(Consent::AutoApprove {
            user: format!("user{index:02}"),
        });
        let id = deck.sign_in(&app).await.unwrap().account.id;
        deck.core.tokens().access_token(id).await.unwrap();
        ids.push(id);
    }
    (deck, ids)
}

/// Every account's access token, as the core serves it now.
async fn served(deck: &Deck, ids: &[AccountId]) -> Vec<String> {
    let mut tokens = Vec::new();
    for id in ids {
        let token = deck.core.tokens().access_token(*id).await.unwrap();
        tokens.push(token.expose_secret().to_owned());
    }
    tokens
}

/// Queues an answer delay for the next `count` refresh requests, so that refreshes overlap.
fn slow_refreshes(deck: &Deck, count: usize, delay: Duration) {
    for _ in 0..count {
        deck.fake
            .fail_next(Endpoint::Refresh, Failure::Delay(delay));
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/session.sh"]
async fn the_refresher_refreshes_due_accounts_concurrently_and_each_exactly_once() {
    const ACCOUNTS: usize = 40;
    const AT_ONCE: usize = 6;
    let (deck, ids) = signed_in(ACCOUNTS, AT_ONCE).await;
    let before = served(&deck, &ids).await;
    assert_eq!(deck.fake.count(Endpoint::Refresh), 0);

    deck.clock.advance(INTO_THE_LAST_DAY);
    slow_refreshes(&deck, ACCOUNTS, Duration::from_millis(150));
    deck.fake.reset_pacing_record();
    let refreshed = deck.core.tokens().refresh_due_accounts().await;
    let problems: Vec<String> = ids
        .iter()
        .filter_map(|id| deck.core.catalog().account_view(*id).ok())
        .filter_map(|view| view.account.health_detail)
        .collect();
    assert_eq!(refreshed, ACCOUNTS, "{problems:?}");

    // One request per account: as many requests as accounts, and every account has a new
    // token (so none was left out, and none asked twice).
    assert_eq!(deck.fake.count(Endpoint::Refresh), ACCOUNTS);
    let in_flight = deck.fake.max_in_flight();
    assert!(
        in_flight > 1,
        "the refreshes overlapped ({in_flight} at most)"
    );
    assert!(
        in_flight <= AT_ONCE,
        "at most refresh_concurrency at once: {in_flight} > {AT_ONCE}"
    );

    let after = served(&deck, &ids).await;
    assert_eq!(
        deck.fake.count(Endpoint::Refresh),
        ACCOUNTS,
        "the new tokens are served without asking again"
    );
    let stored: Vec<String> = deck
        .keyring_entries()
        .into_iter()
        .filter(|(key, _)| key.starts_with("account/"))
        .map(|(_, value)| value)
        .collect();
    assert_eq!(stored.len(), ACCOUNTS);
    for (old, new) in before.iter().zip(&after) {
        assert_ne!(old, new, "a new token after the refresh");
        assert!(
            stored.iter().any(|entry| entry.contains(new.as_str())),
            "the keyring holds the new token it serves"
        );
    }
    assert_eq!(
        after.iter().collect::<HashSet<_>>().len(),
        ACCOUNTS,
        "each account has a token of its own"
    );
    for id in &ids {
        let view = deck.core.catalog().account_view(*id).unwrap();
        assert_eq!(view.account.health, Health::Fresh);
    }

    // Nothing is due any more: the next pass asks nothing.
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    assert_eq!(deck.fake.count(Endpoint::Refresh), ACCOUNTS);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/session.sh"]
async fn callers_and_refresher_passes_at_once_still_refresh_each_account_once() {
    const ACCOUNTS: usize = 5;
    const CALLERS: usize = 10;
    let (deck, ids) = signed_in(ACCOUNTS, 3).await;
    deck.clock.advance(INTO_THE_LAST_DAY);
    slow_refreshes(&deck, ACCOUNTS, Duration::from_millis(200));

    let tokens = deck.core.tokens().clone();
    let mut callers = Vec::new();
    for id in &ids {
        for _ in 0..CALLERS {
            let (tokens, id) = (tokens.clone(), *id);
            callers.push(tokio::spawn(async move {
                let token = tokens.access_token(id).await.unwrap();
                (id, token.expose_secret().to_owned())
            }));
        }
    }
    let passes: Vec<_> = (0..2)
        .map(|_| {
            let tokens = Arc::clone(&tokens);
            tokio::spawn(async move { tokens.refresh_due_accounts().await })
        })
        .collect();

    let mut by_account: Vec<(AccountId, String)> = Vec::new();
    for caller in callers {
        by_account.push(caller.await.unwrap());
    }
    for pass in passes {
        assert!(pass.await.unwrap() <= ACCOUNTS);
    }
    assert_eq!(
        deck.fake.count(Endpoint::Refresh),
        ACCOUNTS,
        "one request per account, whoever asked"
    );
    for id in &ids {
        let seen: HashSet<&String> = by_account
            .iter()
            .filter(|(of, _)| of == id)
            .map(|(_, token)| token)
            .collect();
        assert_eq!(seen.len(), 1, "every caller got the one fresh token");
        let now = deck.core.tokens().access_token(*id).await.unwrap();
        assert!(seen.contains(&now.expose_secret().to_owned()));
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/session.sh"]
async fn a_refresh_by_another_process_is_taken_up_without_asking_again() {
    let (deck, ids) = signed_in(1, 8).await;
    let id = ids[0];
    // A second Authdeck over the same registry file, keyring and lock folder (as
    // `authdeck token` beside the app), with the account's tokens read.
    let other = deck.restarted(test_settings());
    let old = other.tokens().access_token(id).await.unwrap();

    deck.clock.advance(INTO_THE_LAST_DAY);
    let fresh = deck.core.tokens().access_token(id).await.unwrap();
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
    assert_ne!(fresh.expose_secret(), old.expose_secret());

    // The other one held the old tokens, now due: under the lock it sees the registry moved on,
    // reads the keyring again and serves the new token without a request of its own.
    let seen = other.tokens().access_token(id).await.unwrap();
    assert_eq!(seen.expose_secret(), fresh.expose_secret());
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
    assert_eq!(other.tokens().refresh_due_accounts().await, 0);
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
}
