//! Sign-in against the fake "apps tab" token site over real HTTP, with the real keyring and
//! SQLite: the authorize redirect (a token, no state) over the app's fixed loopback port and
//! over the deep link, taken only while its one sign-in waits and only once, after an
//! identity request with the raw `Authorization` header; a pasted personal token; removal.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`, or
//! `scripts/session.sh cargo test --test token_site -- --include-ignored`.

mod support;

use std::time::Duration;

use authdeck::accounts::Health;
use authdeck::apps::Flow;
use authdeck::catalog::AppView;
use authdeck::error::Error;
use fake_hivesigner::consent;
use fake_hivesigner::token_site::{HeaderForm, TokenSiteConfig};
use support::kinds::{query_of, Delivered, SiteDeck};

async fn site() -> SiteDeck {
    SiteDeck::start(TokenSiteConfig::default()).await
}

/// A site, and the deep-link app `client_id` registered at it and in the core.
async fn linked_site(client_id: &str) -> (SiteDeck, AppView) {
    let deck = site().await;
    let app = deck.app(client_id, "custom_scheme").await;
    (deck, app)
}

/// [`linked_site`] with a sign-in started and approved as alice at the site: its redirect,
/// not delivered yet.
async fn consented_site(client_id: &str) -> (SiteDeck, AppView, String) {
    let (deck, app) = linked_site(client_id).await;
    let (_, redirect) = deck.consent_redirect(&app).await;
    (deck, app, redirect)
}

/// The token of a site redirect.
fn token_of(redirect: &str) -> String {
    let query = query_of(redirect);
    assert_eq!(query.len(), 1, "only the token, no state: {query:?}");
    assert_eq!(query[0].0, "token");
    query[0].1.clone()
}

/// Asserts the one identity request so far carried `token` raw and named `user`.
fn assert_identity_asked_raw(deck: &SiteDeck, token: &str, user: &str) {
    assert_eq!(deck.fake.calls("/@me"), 1);
    assert_eq!(deck.fake.last_authorization().as_deref(), Some(token));
    let identity = deck
        .fake
        .requests()
        .into_iter()
        .find(|request| request.path == "/@me")
        .expect("the identity request");
    assert_eq!(identity.method, "GET");
    assert_eq!(identity.header_form, HeaderForm::Raw);
    assert_eq!(identity.user.as_deref(), Some(user));
}

/// Asserts `account` is a token-site account of `user` without expiry, fresh.
fn assert_site_account(view: &authdeck::accounts::AccountView, user: &str) {
    let account = &view.account;
    assert_eq!(account.username, user);
    assert_eq!(account.expires_at, None, "no expiry");
    assert_eq!(account.flow, Flow::Implicit, "nothing to refresh");
    assert_eq!(account.health, Health::Fresh);
    assert!(account.scopes.is_empty(), "{:?}", account.scopes);
    assert_eq!(view.provider_kind, "token_site");
    assert!(!view.broadcasts);
}

/// Asserts the keyring holds `token` as the one account's, and nothing else of it.
fn assert_token_in_keyring(deck: &SiteDeck, token: &str, user: &str) {
    let entries = deck.account_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let (key, stored) = &entries[0];
    assert!(key.ends_with(&format!("/{user}")), "{key}");
    assert_eq!(stored["access_token"].as_str(), Some(token));
    assert!(stored.get("refresh_token").is_none(), "{stored}");
    assert_eq!(stored["expires_at"], serde_json::Value::Null);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn authorize_sign_in_over_the_loopback_port_registered_at_the_site() {
    let deck = site().await;
    let app = deck.app("loopsite", "loopback").await;
    assert_eq!(app.kind, "token_site");
    assert!(!app.state_protected);
    let port = app.token_site.as_ref().unwrap().loopback_port;
    assert_ne!(port, 0);
    let registered = format!("http://127.0.0.1:{port}/callback");
    assert_eq!(app.redirect_uri_to_register, registered);

    let started = deck.start_sign_in(&app).await;
    assert_eq!(started.redirect_uri, registered);
    assert_eq!(started.authorize_url, deck.fake.authorize_url("loopsite"));
    assert!(
        started
            .authorize_url
            .ends_with("/authorize/?client_id=loopsite"),
        "{}",
        started.authorize_url
    );
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(
        redirect.starts_with(&format!("{registered}?")),
        "{redirect}"
    );
    let token = token_of(&redirect);
    assert_eq!(deck.fake.calls("/@me"), 0);

    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("@alice is now in Authdeck"), "{page}");
    assert!(!page.contains(&token));
    assert_identity_asked_raw(&deck, &token, "alice");
    let view = deck.only_account();
    assert_site_account(&view, "alice");
    assert_token_in_keyring(&deck, &token, "alice");
    deck.assert_not_in_data_dir(&token);

    // The same redirect a second time: the listener is gone, and the answer is used up.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        reqwest::get(&redirect).await.is_err(),
        "the listener closed"
    );
    let err = deck.complete(&redirect).await.unwrap_err();
    assert_eq!(err, Error::SignInReplayed);
    assert_eq!(err.code(), "signin_replayed");
    assert_eq!(
        deck.fake.calls("/@me"),
        1,
        "no identity request for a replay"
    );
    assert_eq!(deck.listed().len(), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn authorize_sign_in_over_the_deep_link_is_taken_once() {
    let (deck, app) = linked_site("linksite").await;
    assert_eq!(app.redirect_uri_to_register, "authdeck://callback");
    let started = deck.start_sign_in(&app).await;
    assert_eq!(started.redirect_uri, "authdeck://callback");
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(
        redirect.starts_with("authdeck://callback?token="),
        "{redirect}"
    );
    let token = token_of(&redirect);

    // As the deep-link handler does.
    let view = deck.complete(&redirect).await.unwrap();
    assert_site_account(&view, "alice");
    assert_identity_asked_raw(&deck, &token, "alice");
    assert_token_in_keyring(&deck, &token, "alice");

    let again = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(again.code(), "signin_replayed", "{again:?}");
    // Another token at the same address while nothing waits: refused too, unasked.
    let other = consent(&deck.fake.approve_url("linksite", "mallory"))
        .await
        .unwrap();
    let err = deck.deliver(&other).await.reply().unwrap_err();
    assert!(
        matches!(err.code(), "signin_replayed" | "signin_unknown_state"),
        "{err:?}"
    );
    assert_eq!(deck.fake.calls("/@me"), 1);
    assert_eq!(deck.only_account().account.username, "alice");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_redirect_when_no_sign_in_waits_is_refused_and_nothing_is_stored() {
    let (deck, app) = linked_site("idlesite").await;
    let redirect = consent(&deck.fake.approve_url("idlesite", "alice"))
        .await
        .unwrap();
    assert!(
        redirect.starts_with("authdeck://callback?token="),
        "{redirect}"
    );
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(err, Error::SignInUnknown);
    assert_eq!(err.code(), "signin_unknown_state");
    assert_eq!(deck.fake.calls("/@me"), 0, "the token was not even tried");
    deck.assert_nothing_stored();

    // Pasted, the same.
    let pasted = deck.core.sign_ins().complete_pasted(&redirect).await;
    let err = pasted.unwrap_err();
    assert_eq!(err.code(), "signin_unknown_state", "{err:?}");
    deck.assert_nothing_stored();

    // A sign-in started afterwards still takes its own answer.
    let (_, redirect) = deck.consent_redirect(&app).await;
    let view = deck.deliver(&redirect).await.reply().unwrap();
    assert_eq!(view.account.username, "alice");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_second_sign_in_waiting_at_the_same_address_is_refused_at_start() {
    let deck = site().await;

    // The deep link: one address for every app.
    let first = deck.app("firstsite", "custom_scheme").await;
    let second = deck.app("secondsite", "custom_scheme").await;
    let waiting = deck.start_sign_in(&first).await;
    for app in [&first, &second] {
        let err = deck.try_start_sign_in(app).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: "appId", .. }),
            "{err:?}"
        );
        assert!(err.message().contains("already waiting"), "{err}");
    }
    let redirect = consent(&waiting.authorize_url).await.unwrap();
    let view = deck.deliver(&redirect).await.reply().unwrap();
    assert_eq!(view.app_client_id, "firstsite");
    // Once it is answered, the next may start.
    deck.start_sign_in(&second).await;

    // The app's fixed loopback port: taken by the first sign-in while it waits.
    let looped = deck.app("loopsite", "loopback").await;
    let waiting = deck.start_sign_in(&looped).await;
    let err = deck.try_start_sign_in(&looped).await.unwrap_err();
    assert!(
        matches!(err.code(), "loopback_unavailable" | "invalid_input"),
        "{err:?}"
    );
    let port = looped.token_site.as_ref().unwrap().loopback_port;
    assert!(err.message().contains(&port.to_string()), "{err}");
    // The first one is still the one that waits.
    let redirect = consent(&waiting.authorize_url).await.unwrap();
    assert!(redirect.starts_with(&waiting.redirect_uri), "{redirect}");
    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200);
    assert!(page.contains("is now in Authdeck"), "{page}");
    assert_eq!(deck.listed().len(), 2);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_token_the_site_refuses_stores_nothing() {
    let (deck, _, redirect) = consented_site("revokedsite").await;
    let token = token_of(&redirect);
    // Revoked on the site's settings page before the redirect arrives.
    deck.fake.revoke_on_settings_page("alice", "revokedsite");
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_ne!(err.code(), "signin_replayed");
    assert!(!err.message().contains(&token), "{err}");
    assert_eq!(deck.fake.calls("/@me"), 1, "the identity request was made");
    assert_eq!(
        deck.fake.last_authorization().as_deref(),
        Some(token.as_str())
    );
    deck.assert_nothing_stored();

    // Its answer is used up: sent again, it is a replay, not a second try.
    let again = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(again.code(), "signin_replayed");
    assert_eq!(deck.fake.calls("/@me"), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_refused_new_token_is_reported_as_a_failed_sign_in_not_a_lapsed_account() {
    // As for a Hivesigner code (tests/signin.rs): a new sign-in's token that the provider
    // refuses is not "no longer accepts this account's sign-in".
    let (deck, app, redirect) = consented_site("wordsite").await;
    deck.fake.revoke_on_settings_page("alice", "wordsite");
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_ne!(err.code(), "needs_sign_in", "{err:?}");
    assert!(!err.message().contains("no longer accepts"), "{err}");

    let err = deck
        .paste_token(app.id, "unknown-token-123")
        .await
        .unwrap_err();
    assert_ne!(err.code(), "needs_sign_in", "{err:?}");
    assert!(!err.message().contains("no longer accepts"), "{err}");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_denied_consent_on_the_site_is_signin_denied() {
    let (deck, app) = linked_site("denysite").await;
    deck.start_sign_in(&app).await;
    let redirect = consent(&deck.fake.deny_url("denysite")).await.unwrap();
    assert_eq!(redirect, "authdeck://callback?error=access_denied");
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_denied", "{err:?}");
    assert!(err.message().contains("declined"), "{err}");
    assert_eq!(deck.fake.calls("/@me"), 0);
    deck.assert_nothing_stored();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_pasted_personal_token_adds_the_account_without_expiry() {
    let (deck, app) = linked_site("patsite").await;
    let token = deck.fake.mint_personal_token("dave");
    // Pasted with the spaces a copy may bring along.
    let view = deck
        .paste_token(app.id, &format!("  {token}\n"))
        .await
        .unwrap();
    assert_site_account(&view, "dave");
    assert_identity_asked_raw(&deck, &token, "dave");
    assert_token_in_keyring(&deck, &token, "dave");
    deck.assert_not_in_data_dir(&token);
    let json = serde_json::to_string(&view).unwrap();
    assert!(!json.contains(&token), "{json}");

    // Used as pasted, with no refresh and no expiry.
    deck.clock.advance(365 * 86_400);
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    let served = deck.access_token(view.account.id).await.unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&served), token);
    assert_eq!(
        deck.account_view(view.account.id).account.health,
        Health::Fresh
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_bad_or_empty_personal_token_is_refused_with_nothing_stored() {
    let (deck, app) = linked_site("badpatsite").await;
    let err = deck
        .paste_token(app.id, "not-a-token-of-this-site")
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(!err.message().contains("not-a-token-of-this-site"), "{err}");
    assert_eq!(deck.fake.calls("/@me"), 1, "the site was asked");
    deck.assert_nothing_stored();

    for pasted in ["", "   ", "\n", "two words", "line\nbreak"] {
        let err = deck.paste_token(app.id, pasted).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: "token", .. }),
            "{pasted:?}: {err:?}"
        );
    }
    assert_eq!(
        deck.fake.calls("/@me"),
        1,
        "nothing asked for an empty token"
    );
    deck.assert_nothing_stored();

    // A good one afterwards is taken.
    let good = deck.fake.mint_personal_token("frank");
    let view = deck.paste_token(app.id, &good).await.unwrap();
    assert_eq!(view.account.username, "frank");
    assert_eq!(deck.account_entries().len(), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn removing_a_token_site_account_wipes_it_and_points_to_the_apps_page() {
    let (deck, app, redirect) = consented_site("gonesite").await;
    let signed_in = deck.deliver(&redirect).await.reply().unwrap().account;
    let bob = deck.fake.mint_personal_token("bob");
    let pasted = deck.paste_token(app.id, &bob).await.unwrap().account;
    assert_eq!(deck.account_entries().len(), 2);

    for (account, left) in [(signed_in, 1), (pasted, 0)] {
        let removed = deck.remove_account(account.id).await;
        assert_eq!(removed.username, account.username);
        assert!(
            !removed.revoked_at_provider,
            "a token site has no revoke API"
        );
        assert_eq!(
            removed.authority_removal_page.as_deref(),
            Some(deck.apps_page().as_str())
        );
        assert_eq!(
            deck.account_entries().len(),
            left,
            "the keyring entry is gone"
        );
        deck.assert_account_gone(account.id).await;
    }
    assert!(deck.listed().is_empty());
    // The window may open that page.
    assert!(deck.core.catalog().provider_page(&deck.apps_page()).is_ok());
    assert!(
        deck.keyring_keys().is_empty(),
        "a token site app keeps no secret"
    );
}
