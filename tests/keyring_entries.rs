//! Keyring entry names and labels, checked in the real keyring: apps the registry tells apart
//! (by base URL and client id) never share an entry, entries named the old way (by provider
//! host) move to their new names at start-up, and a keyring manager shows readable labels.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use authdeck::apps::AppInput;
use fake_hivesigner::FakeConfig;
use support::deck::{Deck, SECRET};
use support::keyring;

/// The client id of the apps in these tests.
const CLIENT: &str = "twinapp";

/// A Hivesigner-compatible app at `base_url` using the deep link: code flow with a secret,
/// implicit flow (which needs none) without.
fn app_at(base_url: &str, secret: Option<&str>) -> AppInput {
    let scopes: &[&str] = match secret {
        Some(_) => &["posting", "offline"],
        None => &["posting"],
    };
    serde_json::from_value(serde_json::json!({
        "preset": "hivesigner_compatible",
        "baseUrl": base_url,
        "clientId": CLIENT,
        "scopes": scopes,
        "redirectMode": "custom_scheme",
        "clientSecret": secret,
    }))
    .unwrap()
}

/// A base URL as a field of an entry's key (its slashes percent-encoded).
fn field(base_url: &str) -> String {
    base_url.replace('/', "%2F")
}

/// `items`, sorted as the keyring helpers sort what they read.
fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// The fake's `host:port`, as the old entry names had it.
fn host(deck: &Deck) -> String {
    deck.fake
        .base_url()
        .strip_prefix("http://")
        .unwrap()
        .to_owned()
}

/// An entry of the deck's service, opened the way an older Authdeck did.
fn raw_entry(deck: &Deck, key: &str) -> ::keyring::Entry {
    ::keyring::Entry::new(&deck.service, key).unwrap()
}

/// Whether the deck's card for the app at `base_url` says a secret is set.
fn secret_flag(deck: &Deck, base_url: &str) -> bool {
    deck.core
        .catalog()
        .list_apps()
        .unwrap()
        .into_iter()
        .find(|app| app.base_url == base_url)
        .expect("the app is listed")
        .secret_set
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn two_apps_on_one_host_keep_their_own_secrets_and_tokens() {
    let (deck, ids) = Deck::with_accounts(CLIENT, &["alice"]).await;
    let root = deck.fake.base_url();
    let other = format!("{root}/other");
    let other_app = deck
        .core
        .catalog()
        .register_app(app_at(&other, Some("other-secret")))
        .await
        .expect("a second app on the same host registers");
    assert!(other_app.secret_set);
    assert_eq!(
        deck.keyring_entries()
            .into_iter()
            .filter(|(key, _)| key.starts_with("app-secret/"))
            .collect::<Vec<_>>(),
        sorted(vec![
            (
                format!("app-secret/{}/{CLIENT}", field(&root)),
                SECRET.to_owned()
            ),
            (
                format!("app-secret/{}/{CLIENT}", field(&other)),
                "other-secret".to_owned()
            ),
        ]),
        "each app has its own secret"
    );

    deck.core.catalog().remove_app(other_app.id).await.unwrap();
    assert_eq!(
        deck.keyring_keys(),
        vec![
            format!("account/{}/{CLIENT}/alice", field(&root)),
            format!("app-secret/{}/{CLIENT}", field(&root)),
        ],
        "the first app's secret and tokens stay"
    );
    assert!(secret_flag(&deck, &root), "its card still says secret set");
    deck.core
        .tokens()
        .refresh_now(ids[0])
        .await
        .expect("the first app still refreshes with its secret");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn old_style_entries_move_to_their_new_names_once() {
    let (deck, _ids) = Deck::with_accounts(CLIENT, &["alice"]).await;
    let root = deck.fake.base_url();
    let host = host(&deck);
    let written = deck.keyring_entries();
    assert_eq!(written.len(), 2, "{written:?}");
    // Put them back where an older Authdeck kept them.
    for (key, secret) in &written {
        let old_key = if key.starts_with("account/") {
            format!("account/{host}/{CLIENT}/alice")
        } else {
            format!("app-secret/{host}/{CLIENT}")
        };
        raw_entry(&deck, key).delete_credential().unwrap();
        raw_entry(&deck, &old_key).set_password(secret).unwrap();
    }
    assert_eq!(
        deck.keyring_keys(),
        vec![
            format!("account/{host}/{CLIENT}/alice"),
            format!("app-secret/{host}/{CLIENT}"),
        ]
    );

    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        2
    );
    assert_eq!(
        deck.keyring_entries(),
        written,
        "the new entries hold the old secrets and the old ones are gone"
    );
    assert!(secret_flag(&deck, &root));
    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        0,
        "a second start finds nothing to do"
    );
    assert_eq!(deck.keyring_entries(), written);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn once_the_move_is_done_a_start_no_longer_searches_for_every_account() {
    let (deck, _ids) = Deck::with_accounts(CLIENT, &["alice", "bob"]).await;
    let host = host(&deck);
    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        0,
        "nothing old to move at the first start"
    );
    // An old-style entry that appears afterwards is not looked for: the registry records
    // that this data folder's entries have their current names, so a start costs one read
    // per app instead of one search per account.
    let stray = format!("account/{host}/{CLIENT}/alice");
    raw_entry(&deck, &stray).set_password("stray").unwrap();
    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        0
    );
    assert!(
        deck.keyring_keys().contains(&stray),
        "the later start did not search for old-style entries: {:?}",
        deck.keyring_keys()
    );
    raw_entry(&deck, &stray).delete_credential().unwrap();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn apps_that_shared_an_old_entry_each_get_a_copy_and_honest_flags() {
    let deck = Deck::start(FakeConfig::default()).await;
    let root = deck.fake.base_url();
    let other = format!("{root}/other");
    for base_url in [&root, &other] {
        let app = deck
            .core
            .catalog()
            .register_app(app_at(base_url, None))
            .await
            .unwrap();
        assert!(!app.secret_set);
    }
    let shared = format!("app-secret/{}/{CLIENT}", host(&deck));
    raw_entry(&deck, &shared).set_password("shared").unwrap();

    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        2
    );
    assert_eq!(
        deck.keyring_entries(),
        sorted(vec![
            (
                format!("app-secret/{}/{CLIENT}", field(&root)),
                "shared".to_owned()
            ),
            (
                format!("app-secret/{}/{CLIENT}", field(&other)),
                "shared".to_owned()
            ),
        ]),
        "both apps got the secret and the shared entry is gone"
    );
    assert!(secret_flag(&deck, &root) && secret_flag(&deck, &other));

    // A card that says "secret set" over a missing secret is corrected at the next start.
    raw_entry(&deck, &format!("app-secret/{}/{CLIENT}", field(&root)))
        .delete_credential()
        .unwrap();
    assert_eq!(
        deck.core.catalog().migrate_keyring_entries().await.unwrap(),
        0
    );
    assert!(!secret_flag(&deck, &root), "no secret, so no 'secret set'");
    assert!(secret_flag(&deck, &other));
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn keyring_managers_show_readable_labels() {
    let (deck, _ids) = Deck::with_accounts(CLIENT, &["alice"]).await;
    let root = deck.fake.base_url();
    let labels: Vec<(String, String)> = keyring::items(&deck.service)
        .into_iter()
        .map(|item| (item.key, item.label))
        .collect();
    assert_eq!(
        labels,
        vec![
            (
                format!("account/{}/{CLIENT}/alice", field(&root)),
                format!("Authdeck: @alice at {root} (app @{CLIENT})"),
            ),
            (
                format!("app-secret/{}/{CLIENT}", field(&root)),
                format!("Authdeck: client secret of @{CLIENT} at {root}"),
            ),
        ]
    );
}
