//! Fresh tokens: refresh before expiry, once per account however many callers, the keyring
//! written before use, and health moving with what the provider says.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use authdeck::accounts::Account;
use authdeck::accounts::Health;
use authdeck::error::Error;
use fake_hivesigner::{Dialect, Endpoint, Failure, FakeConfig, RedirectRules};
use secrecy::ExposeSecret;
use support::deck::Deck;

const WEEK: i64 = 604_800;

async fn signed_in() -> (Deck, Account) {
    let deck = Deck::start(FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    })
    .await;
    let app = deck.deep_link_app("refreshapp").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    (deck, account)
}

fn stored_token(deck: &Deck) -> String {
    deck.keyring_entries()
        .into_iter()
        .find(|(key, _)| key.starts_with("account/"))
        .map(|(_, value)| value)
        .expect("the account's keyring entry")
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_fresh_token_is_served_without_calling_the_provider() {
    let (deck, account) = signed_in().await;
    let token = deck.core.tokens().access_token(account.id).await.unwrap();
    assert!(stored_token(&deck).contains(token.expose_secret()));
    assert_eq!(deck.fake.count(Endpoint::Refresh), 0);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_token_near_expiry_is_refreshed_and_stored_before_use() {
    let (deck, account) = signed_in().await;
    let before = deck.core.tokens().access_token(account.id).await.unwrap();
    let entry_before = stored_token(&deck);

    deck.clock.advance(WEEK - 3_600);
    let after = deck.core.tokens().access_token(account.id).await.unwrap();
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
    assert_ne!(before.expose_secret(), after.expose_secret());
    let entry_after = stored_token(&deck);
    assert_ne!(entry_before, entry_after);
    assert!(
        entry_after.contains(after.expose_secret()),
        "the keyring holds the new token"
    );

    let view = deck.core.catalog().account_view(account.id).unwrap();
    assert_eq!(view.account.health, Health::Fresh);
    assert_eq!(view.account.expires_at, Some(deck_now(&deck) + WEEK));
}

fn deck_now(deck: &Deck) -> i64 {
    use authdeck::clock::Clock;
    deck.clock.now()
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn fifty_callers_on_an_expired_account_cause_one_refresh() {
    let (deck, account) = signed_in().await;
    deck.clock.advance(WEEK + 60);
    let core = deck.core.clone();
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let core = core.clone();
            tokio::spawn(async move { core.tokens().access_token(account.id).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap().expose_secret().to_owned());
    }
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every caller got the same fresh token");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_refused_refresh_marks_the_account_needs_sign_in() {
    let (deck, account) = signed_in().await;
    deck.fake.refuse_refresh(true);
    deck.clock.advance(WEEK + 60);
    let err = deck
        .core
        .tokens()
        .access_token(account.id)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "needs_sign_in");
    let view = deck.core.catalog().account_view(account.id).unwrap();
    assert_eq!(view.account.health, Health::NeedsSignIn);
    assert!(view
        .account
        .health_detail
        .unwrap()
        .contains("Sign in again"));
    assert_eq!(
        deck.fake.count(Endpoint::Refresh),
        1,
        "no retry of a refusal"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_failing_provider_is_tried_once_while_the_token_is_valid_then_backed_off() {
    let (deck, account) = signed_in().await;
    deck.fake.fail_next(Endpoint::Refresh, Failure::ServerError);
    // Near expiry but still valid: the old token keeps working while the provider fails, after
    // one try (no vote waits out a whole retry cycle).
    deck.clock.advance(WEEK - 3_600);
    let still = deck.core.tokens().access_token(account.id).await.unwrap();
    assert!(stored_token(&deck).contains(still.expose_secret()));
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1, "one try");
    let view = deck.core.catalog().account_view(account.id).unwrap();
    assert_eq!(
        view.account.health,
        Health::ProviderError,
        "it answered: not unreachable"
    );

    // During the back-off the valid token is handed out at once, without asking again.
    let again = deck.core.tokens().access_token(account.id).await.unwrap();
    assert_eq!(again.expose_secret(), still.expose_secret());
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);

    // After it, the next call tries again; the provider answers and the account heals.
    deck.clock
        .advance(authdeck::tokens::FIRST_BACKOFF_SECONDS + 1);
    let fresh = deck.core.tokens().access_token(account.id).await.unwrap();
    assert_ne!(fresh.expose_secret(), still.expose_secret());
    assert_eq!(deck.fake.count(Endpoint::Refresh), 2);
    assert_eq!(
        deck.core
            .catalog()
            .account_view(account.id)
            .unwrap()
            .account
            .health,
        Health::Fresh
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn refresh_now_forces_a_refresh_and_the_refresher_finds_due_accounts() {
    let (deck, account) = signed_in().await;
    deck.core.tokens().refresh_now(account.id).await.unwrap();
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);

    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    deck.clock.advance(WEEK - 60);
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 1);
    assert_eq!(deck.fake.count(Endpoint::Refresh), 2);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn an_expired_implicit_sign_in_needs_a_new_sign_in() {
    let deck = Deck::start(FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    })
    .await;
    let app = deck.implicit_app("implicitapp").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    deck.clock.advance(WEEK - 60);
    assert!(
        deck.core.tokens().access_token(account.id).await.is_ok(),
        "valid to the end"
    );
    deck.clock.advance(120);
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    let view = deck.core.catalog().account_view(account.id).unwrap();
    assert_eq!(view.account.health, Health::NeedsSignIn);
    assert!(matches!(
        deck.core.tokens().access_token(account.id).await,
        Err(Error::NeedsSignIn { .. })
    ));
    assert_eq!(deck.fake.count(Endpoint::Refresh), 0);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn removing_an_account_revokes_wipes_and_points_to_the_authority_page() {
    let (deck, account) = signed_in().await;
    let removed = deck
        .core
        .catalog()
        .remove_account(account.id)
        .await
        .unwrap();
    assert!(removed.revoked_at_provider);
    assert_eq!(deck.fake.count(Endpoint::Revoke), 1);
    assert_eq!(
        removed.authority_removal_page,
        Some(format!("{}/revoke/refreshapp", deck.fake.base_url()))
    );
    assert!(deck.core.catalog().list_accounts().unwrap().is_empty());
    assert!(deck
        .keyring_keys()
        .iter()
        .all(|key| !key.starts_with("account/")));
    assert_eq!(
        deck.core
            .tokens()
            .access_token(account.id)
            .await
            .unwrap_err(),
        Error::AccountNotFound
    );

    // A provider that is down does not keep the tokens here.
    let app = deck.core.catalog().list_apps().unwrap()[0].clone();
    let again = deck.sign_in_app_id(app.id).await;
    deck.fake.fail_next(Endpoint::Revoke, Failure::ServerError);
    let removed = deck.core.catalog().remove_account(again).await.unwrap();
    assert!(!removed.revoked_at_provider);
    assert!(deck.core.catalog().list_accounts().unwrap().is_empty());

    let removed_app = deck.core.catalog().remove_app(app.id).await.unwrap();
    assert!(removed_app.accounts.is_empty());
    assert!(deck.keyring_keys().is_empty(), "the app secret is gone too");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn steemlogin_signs_in_and_refreshes_with_its_form_dialect() {
    let deck = Deck::start(FakeConfig {
        dialect: Dialect::SteemconnectV2,
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    })
    .await;
    let app = deck.deep_link_app("steemapp").await;
    let view = deck.sign_in(&app).await.unwrap();
    assert_eq!(view.provider_label, "SteemLogin-compatible server");
    let account = view.account;
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 1);
    deck.clock.advance(WEEK + 60);
    deck.core.tokens().access_token(account.id).await.unwrap();
    assert_eq!(deck.fake.count(Endpoint::Refresh), 1);
    assert_eq!(
        deck.core
            .catalog()
            .account_view(account.id)
            .unwrap()
            .account
            .health,
        Health::Fresh
    );
}
