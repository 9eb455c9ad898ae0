//! Custody, checked from the outside: after a whole session (register, sign in through both
//! paths, refresh, list, remove), no token and no client secret is in the app's data
//! directory (the SQLite files), in the log files, or in any reply the window would get.
//!
//! Needs the test session's keyring: run it through `scripts/test.sh`.

mod support;

use fake_hivesigner::{consent, FakeConfig, RedirectRules, TOKEN_PREFIX};
use support::core::{contains, files};
use support::deck::{Deck, SECRET};

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn no_token_or_secret_outside_the_keyring_after_a_whole_session() {
    let logs = tempfile::tempdir().unwrap();
    std::env::set_var(authdeck::logging::LOG_FILTER_VAR, "trace");
    authdeck::logging::init(Some(logs.path())).expect("file logging starts");

    let deck = Deck::start(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    })
    .await;
    let mut replies: Vec<String> = Vec::new();

    let linked = deck.deep_link_app("custodyapp").await;
    replies.push(json(&linked));
    let looped = deck
        .register(
            "custodyloop",
            Some(SECRET),
            &["posting", "offline"],
            "loopback",
            &["http://127.0.0.1/callback"],
        )
        .await;
    replies.push(json(&looped));

    let account = deck.sign_in(&linked).await.unwrap().account;
    replies.push(json(&account));
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(looped.id, None)
        .await
        .unwrap();
    replies.push(json(&started));
    let redirect = consent(&started.authorize_url).await.unwrap();
    let page = reqwest::get(&redirect).await.unwrap().text().await.unwrap();
    replies.push(page);

    deck.clock.advance(604_800);
    deck.core.tokens().refresh_now(account.id).await.unwrap();
    replies.push(json(&deck.core.catalog().list_apps().unwrap()));
    replies.push(json(&deck.core.catalog().list_accounts().unwrap()));
    replies.push(json(
        &deck
            .core
            .catalog()
            .remove_account(account.id)
            .await
            .unwrap(),
    ));
    let failed = deck
        .core
        .sign_ins()
        .complete_sign_in(&redirect)
        .await
        .unwrap_err();
    replies.push(json(&failed));

    let tokens_in_keyring = deck
        .keyring_entries()
        .iter()
        .filter(|(_, value)| value.contains(TOKEN_PREFIX))
        .count();
    assert_eq!(
        tokens_in_keyring, 1,
        "the remaining account's tokens are in the keyring"
    );

    let mut scanned = files(deck.data.path());
    scanned.extend(files(logs.path()));
    assert!(
        scanned.iter().any(|(name, _)| name.ends_with(".log")),
        "the log file exists: {:?}",
        scanned.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    assert!(scanned
        .iter()
        .any(|(name, _)| name.contains("registry.sqlite3")));
    for (name, bytes) in &scanned {
        for needle in [TOKEN_PREFIX, SECRET] {
            assert!(!contains(bytes, needle), "{needle} found in {name}");
        }
    }
    for reply in &replies {
        for needle in [TOKEN_PREFIX, SECRET] {
            assert!(
                !reply.contains(needle),
                "{needle} found in a reply: {reply}"
            );
        }
    }
}

/// A reply as the JSON the window would receive.
fn json<T: serde::Serialize>(reply: &T) -> String {
    serde_json::to_string(reply).unwrap()
}
