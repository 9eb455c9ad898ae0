//! Custody, checked from the outside: after a whole session (register, sign in through both
//! paths, refresh, list, remove), no token and no client secret is in the app's data
//! directory (the SQLite files), in the log files, or in any reply the window would get.
//!
//! Needs the test session's keyring: run it through `scripts/test.sh`.

mod support;

use std::path::Path;

use fake_hivesigner::{consent, FakeConfig, RedirectRules, TOKEN_PREFIX};
use support::deck::{Deck, SECRET};

/// Every file under `dir`, as bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

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
