//! Sign-in against the fake Hivesigner over real HTTP, with the real keyring and SQLite:
//! both redirect paths, both flows, and every way a sign-in can fail storing nothing.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`.

mod support;

use std::time::Duration;

use authdeck::accounts::Health;
use authdeck::apps::Flow;
use authdeck::error::Error;
use authdeck::events::{AppEvent, SignInStage};
use fake_hivesigner::{
    consent, Consent, Endpoint, Failure, FakeConfig, RedirectRules, TokenKind, TOKEN_PREFIX,
};
use support::deck::{Deck, SECRET};

fn legacy() -> FakeConfig {
    FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    }
}

/// Asserts the sign-in left nothing behind: no account, no token in the keyring.
fn assert_nothing_stored(deck: &Deck) {
    assert!(deck.core.catalog().list_accounts().unwrap().is_empty());
    let keys = deck.keyring_keys();
    assert!(
        keys.iter().all(|key| key.starts_with("app-secret/")),
        "tokens were stored: {keys:?}"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn code_flow_through_the_loopback_listener() {
    let deck = Deck::start(FakeConfig::default()).await;
    let app = deck.loopback_app("loopapp").await;
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    assert!(started.redirect_uri.starts_with("http://127.0.0.1:"));
    assert!(started.redirect_uri.ends_with("/callback"));

    // The browser: consent, then follow the redirect to the listener.
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(redirect.starts_with(&started.redirect_uri), "{redirect}");
    let page = reqwest::get(&redirect).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("@alice is now in Authdeck"), "{page}");
    assert!(!page.contains(TOKEN_PREFIX));

    let accounts = deck.core.catalog().list_accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0].account;
    assert_eq!(
        (account.username.as_str(), account.flow),
        ("alice", Flow::Code)
    );
    assert_eq!(account.health, Health::Fresh);
    assert!(
        account.scopes.contains(&"vote".to_owned()),
        "{:?}",
        account.scopes
    );
    assert_eq!(account.expires_at, Some(account.issued_at + 604_800));

    let entries = deck.keyring_entries();
    let token_entry = entries
        .iter()
        .find(|(key, _)| key.starts_with("account/"))
        .expect("the tokens are in the keyring");
    assert!(
        token_entry.0.ends_with("/loopapp/alice"),
        "{}",
        token_entry.0
    );
    let stored: serde_json::Value = serde_json::from_str(&token_entry.1).unwrap();
    let access = stored["access_token"].as_str().unwrap();
    assert!(access.starts_with(TOKEN_PREFIX));
    let facts = authdeck::oauth::statement::read(access).expect("a Hivesigner statement");
    assert_eq!(
        (facts.author.as_str(), facts.kind.as_str()),
        ("alice", "posting")
    );

    // The listener answered once and closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(reqwest::get(&redirect).await.is_err());
    let stages: Vec<SignInStage> = deck
        .events
        .all()
        .into_iter()
        .filter_map(|event| match event {
            AppEvent::SignIn(progress) => Some(progress.stage),
            _ => None,
        })
        .collect();
    assert_eq!(
        stages,
        [
            SignInStage::Waiting,
            SignInStage::Exchanging,
            SignInStage::Completed
        ]
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn code_flow_through_the_deep_link_with_keys_in_any_order() {
    let deck = Deck::start(FakeConfig {
        shuffle_keys: true,
        ..legacy()
    })
    .await;
    let app = deck.deep_link_app("linkapp").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    assert_eq!(account.username, "alice");
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 1);
    assert_eq!(deck.fake.count(Endpoint::Me), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn implicit_flow_keeps_only_an_access_token() {
    let deck = Deck::start(legacy()).await;
    let app = deck.implicit_app("implicitapp").await;
    let redirect = deck.consent_redirect(&app).await;
    assert!(redirect.contains("access_token="), "{redirect}");
    let view = deck
        .core
        .sign_ins()
        .complete_sign_in(&redirect)
        .await
        .unwrap();
    assert_eq!(view.account.flow, Flow::Implicit);
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 0);
    let (_, entry) = deck
        .keyring_entries()
        .into_iter()
        .find(|(key, _)| key.starts_with("account/"))
        .unwrap();
    assert!(!entry.contains("refresh_token"), "{entry}");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn forged_replayed_and_late_answers_are_refused() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("stateapp").await;

    let redirect = deck.consent_redirect(&app).await;
    let forged = redirect.replace("state=", "state=forged");
    assert_eq!(
        deck.core
            .sign_ins()
            .complete_sign_in(&forged)
            .await
            .unwrap_err(),
        Error::SignInUnknown
    );
    assert_nothing_stored(&deck);

    let late = deck.consent_redirect(&app).await;
    deck.clock.advance(11 * 60);
    let err = deck
        .core
        .sign_ins()
        .complete_sign_in(&late)
        .await
        .unwrap_err();
    assert_eq!(err, Error::SignInExpired { seconds: 600 });
    assert!(err.message().contains("longer than 10 minutes"));
    assert_nothing_stored(&deck);

    let fresh = deck.consent_redirect(&app).await;
    deck.core.sign_ins().complete_sign_in(&fresh).await.unwrap();
    assert_eq!(
        deck.core
            .sign_ins()
            .complete_sign_in(&fresh)
            .await
            .unwrap_err(),
        Error::SignInReplayed
    );
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_redirect_naming_another_account_is_refused() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("nameapp").await;
    let redirect = deck.consent_redirect(&app).await;
    let renamed = redirect.replace("username=alice", "username=mallory");
    assert!(renamed.contains("mallory"), "{renamed}");
    let err = deck
        .core
        .sign_ins()
        .complete_sign_in(&renamed)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::AccountMismatch {
            expected: "mallory".into(),
            reported: "alice".into()
        }
    );
    assert!(err.message().contains("@alice") && err.message().contains("@mallory"));
    assert_nothing_stored(&deck);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_token_issued_to_another_app_is_refused_in_both_flows() {
    let deck = Deck::start(legacy()).await;
    // The other app shares the secret, so only the app named in the token tells them apart.
    deck.fake
        .register_app("otherapp", SECRET, &["authdeck://callback"]);
    deck.fake.issue_for_app(Some("otherapp"));
    let refused = |client_id: &str| Error::TokenForOtherApp {
        client_id: client_id.into(),
        issued_to: "otherapp".into(),
    };

    let code_app = deck.deep_link_app("codeapp").await;
    let err = deck.sign_in(&code_app).await.unwrap_err();
    assert_eq!(err, refused("codeapp"));
    assert!(
        err.message().contains("@otherapp") && err.message().contains("@codeapp"),
        "{}",
        err.message()
    );
    assert_eq!(
        deck.fake.count(Endpoint::CodeExchange),
        0,
        "a code for another app is refused before the secret goes out with it"
    );

    let implicit_app = deck.implicit_app("tokenapp").await;
    let err = deck.sign_in(&implicit_app).await.unwrap_err();
    assert_eq!(err, refused("tokenapp"));
    assert_nothing_stored(&deck);

    // The same sign-ins succeed once the provider issues to the app that asked.
    deck.fake.issue_for_app(None);
    deck.sign_in(&code_app).await.unwrap();
    deck.sign_in(&implicit_app).await.unwrap();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_wrong_client_secret_is_named_as_such() {
    let deck = Deck::start(legacy()).await;
    let app = deck
        .register(
            "secretapp",
            Some("not-the-secret"),
            &["posting", "offline"],
            "custom_scheme",
            &["authdeck://callback"],
        )
        .await;
    let err = deck.sign_in(&app).await.unwrap_err();
    assert_eq!(
        err,
        Error::WrongClientSecret {
            client_id: "secretapp".into()
        }
    );
    assert_nothing_stored(&deck);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn provider_failures_each_get_their_own_error() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("failapp").await;
    let cases = [
        (Failure::ServerError, "provider_refused"),
        (
            Failure::Delay(Duration::from_secs(5)),
            "provider_unreachable",
        ),
        (Failure::GarbageJson, "provider_bad_response"),
    ];
    for (failure, code) in cases {
        deck.fake.fail_next(Endpoint::CodeExchange, failure.clone());
        let err = deck.sign_in(&app).await.unwrap_err();
        assert_eq!(err.code(), code, "{failure:?}: {err}");
        assert!(
            err.message().contains("127.0.0.1"),
            "names the provider: {err}"
        );
        assert_nothing_stored(&deck);
    }
    deck.fake.fail_next(Endpoint::Me, Failure::GarbageJson);
    assert_eq!(
        deck.sign_in(&app).await.unwrap_err().code(),
        "provider_bad_response"
    );
    assert_nothing_stored(&deck);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_missing_secret_stops_the_sign_in_before_the_browser_opens() {
    let deck = Deck::start(legacy()).await;
    // A code-flow app cannot be registered without its secret...
    let input = serde_json::json!({
        "preset": "hivesigner_compatible", "baseUrl": deck.fake.base_url(),
        "clientId": "nosecret", "scopes": ["posting", "offline"],
    });
    let refused = deck
        .core
        .catalog()
        .register_app(serde_json::from_value(input).unwrap())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_input", "{refused:?}");
    // ...and one whose secret went missing from the keyring since is stopped before consent.
    let app = deck
        .register(
            "nosecret",
            Some(SECRET),
            &["posting", "offline"],
            "custom_scheme",
            &["authdeck://callback"],
        )
        .await;
    support::keyring::clear(&deck.service);
    let err = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::SecretMissing {
            client_id: "nosecret".into()
        }
    );
    assert_eq!(deck.fake.count(Endpoint::Authorize), 0);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_denied_consent_times_out_and_closes_the_listener() {
    let deck = Deck::start_with(
        FakeConfig {
            consent: Consent::Deny,
            ..FakeConfig::default()
        },
        authdeck::service::Settings {
            sign_in_timeout: Duration::from_millis(500),
            ..support::deck::test_settings()
        },
    )
    .await;
    let app = deck.loopback_app("denyapp").await;
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    assert_eq!(consent(&started.authorize_url).await, None);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(reqwest::get(&started.redirect_uri).await.is_err());
    let failed = deck.events.all().into_iter().any(|event| {
        matches!(event, AppEvent::SignIn(progress)
            if progress.stage == SignInStage::Failed
            && matches!(progress.error, Some(Error::SignInExpired { .. })))
    });
    assert!(failed, "{:?}", deck.events.all());
    assert_nothing_stored(&deck);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_cancelled_sign_in_refuses_its_late_answer() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("cancelapp").await;
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    let redirect = consent(&started.authorize_url).await.unwrap();
    deck.core
        .sign_ins()
        .cancel_sign_in(started.attempt_id)
        .unwrap();
    assert_eq!(
        deck.core
            .sign_ins()
            .complete_sign_in(&redirect)
            .await
            .unwrap_err(),
        Error::SignInCancelled
    );
    assert_eq!(
        deck.core
            .sign_ins()
            .cancel_sign_in(started.attempt_id)
            .unwrap_err()
            .code(),
        "invalid_input"
    );
    assert_nothing_stored(&deck);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn signing_in_again_renews_the_same_account() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("againapp").await;
    let first = deck.sign_in(&app).await.unwrap();
    deck.clock.advance(60);
    let second = deck.sign_in(&app).await.unwrap();
    assert_eq!(first.account.id, second.account.id);
    assert_eq!(
        second.account.expires_at.unwrap() - first.account.expires_at.unwrap(),
        60
    );
    assert_eq!(deck.core.catalog().list_accounts().unwrap().len(), 1);
}

/// Asserts `err` is an input error at the paste field.
fn assert_refused_at_the_address(err: &Error) {
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "address",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_pasted_deep_link_completes_the_sign_in_once() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("pasteapp").await;
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(redirect.starts_with("authdeck://callback?"), "{redirect}");

    let foreign = deck
        .core
        .sign_ins()
        .complete_pasted("https://evil.example/callback?code=x&state=y")
        .await
        .unwrap_err();
    assert_refused_at_the_address(&foreign);
    assert!(
        foreign
            .message()
            .contains("authdeck://callback or http://127.0.0.1:"),
        "{}",
        foreign.message()
    );
    assert_nothing_stored(&deck);

    // Pasted with the spaces a copy from the address bar may bring along.
    let view = deck
        .core
        .sign_ins()
        .complete_pasted(&format!("  {redirect}\n"))
        .await
        .unwrap();
    assert_eq!(view.account.username, "alice");
    assert_eq!(deck.core.catalog().list_accounts().unwrap().len(), 1);
    let keys = deck.keyring_keys();
    assert!(
        keys.iter().any(|key| key.starts_with("account/")),
        "the tokens are in the keyring: {keys:?}"
    );

    assert_eq!(
        deck.core
            .sign_ins()
            .complete_pasted(&redirect)
            .await
            .unwrap_err(),
        Error::SignInReplayed
    );
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_pasted_loopback_address_completes_the_sign_in_and_closes_the_listener() {
    let deck = Deck::start(FakeConfig::default()).await;
    let app = deck.loopback_app("pasteloop").await;
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(redirect.starts_with(&started.redirect_uri), "{redirect}");

    // The loopback shape on a port no sign-in listens on is refused at the field.
    let other_port = redirect.replacen(&started.redirect_uri, "http://127.0.0.1:1/callback", 1);
    assert_ne!(other_port, redirect);
    assert_refused_at_the_address(
        &deck
            .core
            .sign_ins()
            .complete_pasted(&other_port)
            .await
            .unwrap_err(),
    );

    let view = deck
        .core
        .sign_ins()
        .complete_pasted(&redirect)
        .await
        .unwrap();
    assert_eq!(view.account.username, "alice");

    // The browser's own request comes too late: the listener is closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(reqwest::get(&redirect).await.is_err());
    assert_eq!(deck.core.catalog().list_accounts().unwrap().len(), 1);
    assert_eq!(deck.fake.count(Endpoint::CodeExchange), 1);
}

/// The `state` the sign-in's consent address carries.
fn state_of(authorize_url: &str) -> String {
    url::Url::parse(authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned())
        .expect("the consent address carries a state")
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_declined_consent_and_a_refused_new_code_say_what_happened() {
    let deck = Deck::start(legacy()).await;
    let app = deck.deep_link_app("wordsapp").await;

    // The person pressed Deny: no advice to try later or check the app's settings.
    let started = deck
        .core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .unwrap();
    let denied = format!(
        "authdeck://callback?error=access_denied&state={}",
        state_of(&started.authorize_url)
    );
    let err = deck
        .core
        .sign_ins()
        .complete_sign_in(&denied)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "signin_denied", "{err:?}");
    assert!(err.message().contains("declined"), "{}", err.message());
    assert!(
        !err.message().contains("try again later"),
        "{}",
        err.message()
    );

    // A new sign-in whose code the provider refuses (here a token of the wrong kind, for the
    // right app) is not "no longer accepts this account's sign-in".
    let wrong_kind = deck
        .fake
        .mint_token(TokenKind::Posting, "wordsapp", "alice");
    let redirect = deck.consent_redirect(&app).await;
    let mut url = url::Url::parse(&redirect).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let value = if key == "code" {
                wrong_kind.clone()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let err = deck
        .core
        .sign_ins()
        .complete_sign_in(url.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "signin_code_refused", "{err:?}");
    assert!(
        !err.message().contains("no longer accepts"),
        "{}",
        err.message()
    );
    assert_nothing_stored(&deck);
}
