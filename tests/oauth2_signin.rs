//! Sign-in, refresh, errors and removal against the fake OAuth 2.0 / OpenID Connect server
//! over real HTTP, with the real keyring and SQLite: both redirect paths, public and
//! confidential clients (each client authentication method exactly), discovery with and
//! without an issuer path and its fallback, refresh-token rotation without replay, a token
//! without expiry, RFC 6749 errors in Authdeck's words, RFC 9207 `iss`, a redirecting token
//! endpoint, and RFC 7009 revocation on removal.
//!
//! They need the test session's keyring: run them through `scripts/test.sh`, or
//! `scripts/session.sh cargo test --test oauth2_signin -- --include-ignored`.

mod support;

use std::time::Duration;

use authdeck::accounts::{Account, Health};
use authdeck::apps::Flow;
use authdeck::catalog::AppView;
use authdeck::error::Error;
use authdeck::provider::ClientAuth;
use base64::Engine as _;
use fake_hivesigner::oauth2::{
    AuthMethod, Discovery, Endpoint, Failure, IssParameter, OAuth2Config, INVALID_GRANT_DESCRIPTION,
};
use fake_hivesigner::{consent, Consent};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use support::kinds::{
    query_value, test_settings, with_query_value, Canned, Delivered, OAuthDeck, OAUTH_SECRET,
    OFFLINE_SCOPES,
};

/// A fake whose issuer has the path `/oauth`, approving as `user`.
fn issuer_oauth(user: &str) -> OAuth2Config {
    OAuth2Config {
        issuer_path: "/oauth".into(),
        consent: Consent::AutoApprove { user: user.into() },
        ..OAuth2Config::default()
    }
}

/// A deck against [`issuer_oauth`] approving as alice, with one of the fake's knobs turned.
async fn alice_deck_with(knob: impl FnOnce(&mut OAuth2Config)) -> OAuthDeck {
    let mut config = issuer_oauth("alice");
    knob(&mut config);
    OAuthDeck::start(config).await
}

/// A deck ([`issuer_oauth`], approving as alice) and `client_id` registered as a public
/// deep-link app.
async fn linked_public_app(client_id: &str) -> (OAuthDeck, AppView) {
    let deck = OAuthDeck::start(issuer_oauth("alice")).await;
    let app = deck.public_app(client_id, "custom_scheme").await;
    (deck, app)
}

/// A deck ([`issuer_oauth`], approving as alice) with `client_id` signed in as a
/// `client_secret_basic` deep-link app.
async fn signed_in_basic(client_id: &str) -> (OAuthDeck, AppView, Account) {
    let (deck, app) = confidential_deck(
        "alice",
        client_id,
        AuthMethod::ClientSecretBasic,
        "custom_scheme",
    )
    .await;
    let account = deck.sign_in(&app).await.unwrap().account;
    (deck, app, account)
}

/// A deck against [`issuer_oauth`] approving as `user`, and `client_id` registered as a
/// confidential app authenticating with `method` and [`OAUTH_SECRET`], redirected by
/// `redirect_mode`.
async fn confidential_deck(
    user: &str,
    client_id: &str,
    method: AuthMethod,
    redirect_mode: &str,
) -> (OAuthDeck, AppView) {
    let deck = OAuthDeck::start(issuer_oauth(user)).await;
    let app = deck
        .confidential_app(client_id, method, redirect_mode)
        .await;
    (deck, app)
}

/// The scopes as the account shows them.
fn offline_scopes() -> Vec<String> {
    OFFLINE_SCOPES
        .iter()
        .map(|scope| scope.to_string())
        .collect()
}

/// Asserts the account of a sign-in to the fake: the userinfo name, the granted scopes,
/// one hour of validity from now, fresh, refreshable.
fn assert_fresh_account(deck: &OAuthDeck, account: &Account, user: &str) {
    assert_eq!(account.username, user, "the name comes from userinfo");
    assert_eq!(account.scopes, offline_scopes());
    assert_eq!(account.issued_at, deck.now());
    assert_eq!(account.expires_at, Some(account.issued_at + 3600));
    assert_eq!(account.health, Health::Fresh);
    assert_eq!(account.health_detail, None);
    assert_eq!(account.flow, Flow::Code, "a refresh token came with it");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_public_client_signs_in_through_the_loopback_listener_with_pkce() {
    let deck = OAuthDeck::start(issuer_oauth("bob")).await;
    let app = deck.public_app("desktop", "loopback").await;
    assert_eq!(app.kind, "oauth2");
    assert!(!app.secret_set);
    let settings = app
        .oauth2
        .clone()
        .expect("the OAuth 2.0 settings are shown");
    assert_eq!(settings.client_auth, ClientAuth::None);
    assert_eq!(settings.token.as_str(), deck.fake.token_endpoint());

    let started = deck.start_sign_in(&app).await;
    assert!(started.redirect_uri.starts_with("http://127.0.0.1:"));
    assert!(started.redirect_uri.ends_with("/callback"));
    assert!(
        started
            .authorize_url
            .starts_with(&format!("{}/authorize?", deck.fake.issuer())),
        "{}",
        started.authorize_url
    );
    let redirect = consent(&started.authorize_url).await.unwrap();
    assert!(redirect.starts_with(&started.redirect_uri), "{redirect}");

    // What the consent page was asked: PKCE S256, a state, the scopes, a refresh token.
    let asked = deck.fake.last_request(Endpoint::Authorize).unwrap();
    assert_eq!(asked.field("response_type"), Some("code"));
    assert_eq!(asked.field("code_challenge_method"), Some("S256"));
    assert!(asked.field("code_challenge").is_some_and(|c| c.len() == 43));
    assert_eq!(asked.field("scope"), Some("openid profile offline_access"));
    assert_eq!(asked.field("prompt"), Some("consent"));
    assert_eq!(
        asked.field("redirect_uri"),
        Some(started.redirect_uri.as_str())
    );
    assert!(asked.field("state").is_some_and(|state| state.len() >= 43));

    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("@bob is now in Authdeck"), "{page}");

    // The code went back with its verifier, the exact redirect URI and no secret at all.
    let exchanged = deck.fake.last_request(Endpoint::Token).unwrap();
    assert_eq!(exchanged.method, "POST");
    assert_eq!(exchanged.field("grant_type"), Some("authorization_code"));
    assert_eq!(exchanged.field("client_id"), Some("desktop"));
    assert!(exchanged
        .field("code_verifier")
        .is_some_and(|v| v.len() >= 43));
    assert_eq!(
        exchanged.field("redirect_uri"),
        Some(started.redirect_uri.as_str())
    );
    assert_eq!(exchanged.field("client_secret"), None);
    assert_eq!(exchanged.header("authorization"), None);
    assert_eq!(deck.fake.calls(Endpoint::Token), 1);
    assert_eq!(deck.fake.calls(Endpoint::Userinfo), 1);

    let view = deck.only_account();
    assert_eq!(view.provider_kind, "oauth2");
    assert!(!view.broadcasts);
    assert_fresh_account(&deck, &view.account, "bob");

    let stored = deck.account_entry();
    let access = stored["access_token"].as_str().unwrap();
    assert!(access.starts_with("at-"), "{stored}");
    assert!(stored["refresh_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("rt-")));
    assert_eq!(
        deck.fake
            .last_request(Endpoint::Userinfo)
            .unwrap()
            .header("authorization"),
        Some(format!("Bearer {access}").as_str()),
        "the identity came from userinfo with the token that is stored"
    );
    assert!(
        deck.keyring_keys()
            .iter()
            .all(|key| !key.starts_with("app-secret/")),
        "a public client keeps no secret"
    );

    // The listener answered once and closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(reqwest::get(&redirect).await.is_err());
}

/// The `Authorization: Basic` credentials of a recorded request, decoded.
fn basic_credentials(header: &str) -> String {
    let encoded = header.strip_prefix("Basic ").expect("a Basic header");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_confidential_client_with_client_secret_basic_signs_in_through_the_deep_link() {
    let (deck, app) = confidential_deck(
        "carol",
        "basicapp",
        AuthMethod::ClientSecretBasic,
        "custom_scheme",
    )
    .await;
    assert!(app.secret_set);
    assert_eq!(app.oauth2.as_ref().unwrap().client_auth, ClientAuth::Basic);
    let (started, redirect) = deck.consent_redirect(&app).await;
    assert_eq!(started.redirect_uri, "authdeck://callback");
    assert!(redirect.starts_with("authdeck://callback?"), "{redirect}");
    assert_eq!(
        query_value(&redirect, "iss").as_deref(),
        Some(deck.fake.issuer().as_str())
    );

    // As the deep-link handler does.
    let view = deck.complete(&redirect).await.unwrap();
    assert_fresh_account(&deck, &view.account, "carol");

    let exchanged = deck.fake.last_request(Endpoint::Token).unwrap();
    let header = exchanged
        .header("authorization")
        .expect("client_secret_basic sends the header");
    assert_eq!(
        basic_credentials(header),
        format!("basicapp:{OAUTH_SECRET}")
    );
    assert_eq!(
        exchanged.field("client_secret"),
        None,
        "only one method at once: no secret in the body"
    );
    assert!(!exchanged.body.contains(OAUTH_SECRET));
    assert!(exchanged.field("code_verifier").is_some(), "PKCE as well");

    // The secret and the tokens are in the keyring, under the app's and the account's keys.
    let (key, secret) = deck.stored_app_secret();
    assert!(key.ends_with("/basicapp"), "{key}");
    assert_eq!(secret, OAUTH_SECRET);
    let entries = deck.keyring_entries();
    let (key, tokens) = entries
        .iter()
        .find(|(key, _)| key.starts_with("account/"))
        .expect("the tokens are in the keyring");
    assert!(key.ends_with("/basicapp/carol"), "{key}");
    let tokens: serde_json::Value = serde_json::from_str(tokens).unwrap();
    assert!(tokens["access_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("at-")));
    assert!(tokens["refresh_token"]
        .as_str()
        .is_some_and(|t| t.starts_with("rt-")));
    assert_eq!(tokens["expires_at"], json!(view.account.issued_at + 3600));
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_confidential_client_with_client_secret_post_sends_the_secret_in_the_body_only() {
    let (deck, app) =
        confidential_deck("alice", "postapp", AuthMethod::ClientSecretPost, "loopback").await;
    assert_eq!(app.oauth2.as_ref().unwrap().client_auth, ClientAuth::Post);
    let view = deck.sign_in(&app).await.unwrap();
    assert_fresh_account(&deck, &view.account, "alice");

    let exchanged = deck.fake.last_request(Endpoint::Token).unwrap();
    assert_eq!(exchanged.header("authorization"), None, "no Basic header");
    assert_eq!(exchanged.field("client_id"), Some("postapp"));
    assert_eq!(exchanged.field("client_secret"), Some(OAUTH_SECRET));
    assert_eq!(deck.stored_app_secret().1, OAUTH_SECRET);
    assert_eq!(deck.account_entries().len(), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn discovery_finds_an_issuer_without_a_path() {
    let deck = OAuthDeck::start(OAuth2Config {
        issuer_path: String::new(),
        ..OAuth2Config::default()
    })
    .await;
    assert_eq!(deck.fake.issuer(), deck.fake.base_url());
    let app = deck.public_app("rootapp", "custom_scheme").await;
    assert_eq!(deck.fake.calls(Endpoint::Discovery), 1);
    assert_eq!(
        deck.fake.last_request(Endpoint::Discovery).unwrap().path,
        "/.well-known/oauth-authorization-server"
    );
    let settings = app.oauth2.clone().unwrap();
    assert_eq!(
        settings.authorize.as_str(),
        format!("{}/authorize", deck.fake.issuer())
    );
    assert_eq!(settings.token.as_str(), deck.fake.token_endpoint());
    assert_eq!(settings.userinfo.as_str(), deck.fake.userinfo_endpoint());
    assert_eq!(
        settings.revocation.as_ref().map(|url| url.as_str()),
        Some(deck.fake.revocation_endpoint().as_str())
    );
    assert!(settings.iss_required);
    let view = deck.sign_in(&app).await.unwrap();
    assert_fresh_account(&deck, &view.account, "alice");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn discovery_falls_back_to_the_openid_document() {
    for issuer_path in ["/oauth", ""] {
        let deck = OAuthDeck::start(OAuth2Config {
            issuer_path: issuer_path.into(),
            discovery: Discovery::OpenIdOnly,
            ..OAuth2Config::default()
        })
        .await;
        let app = deck.public_app("openidapp", "custom_scheme").await;
        assert_eq!(
            deck.fake.calls(Endpoint::Discovery),
            2,
            "RFC 8414 first, then OpenID ({issuer_path:?})"
        );
        assert_eq!(
            deck.fake.last_request(Endpoint::Discovery).unwrap().path,
            format!("{issuer_path}/.well-known/openid-configuration")
        );
        assert_eq!(
            app.oauth2.as_ref().unwrap().token.as_str(),
            deck.fake.token_endpoint()
        );
        let view = deck.sign_in(&app).await.unwrap();
        assert_fresh_account(&deck, &view.account, "alice");
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn discovery_reads_the_rfc8414_document_alone() {
    let deck = alice_deck_with(|config| config.discovery = Discovery::Rfc8414Only).await;
    let app = deck.public_app("rfcapp", "loopback").await;
    assert_eq!(deck.fake.calls(Endpoint::Discovery), 1);
    assert_eq!(
        deck.fake.last_request(Endpoint::Discovery).unwrap().path,
        "/.well-known/oauth-authorization-server/oauth"
    );
    let view = deck.sign_in(&app).await.unwrap();
    assert_fresh_account(&deck, &view.account, "alice");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn no_metadata_at_all_is_refused_at_the_base_url() {
    // Neither document at this issuer: the fake's issuer is /oauth, the form names /other.
    let deck = OAuthDeck::start(issuer_oauth("alice")).await;
    deck.fake_public_client("lostapp");
    let input = deck.input(
        "lostapp",
        "custom_scheme",
        json!({"baseUrl": format!("{}/other", deck.fake.base_url())}),
    );
    let err = deck.register_json(input).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidInput {
                field: "baseUrl",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.message().contains("enter the endpoints by hand"),
        "{err}"
    );
    assert!(deck.core.catalog().list_apps().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Refresh

/// Seconds after which a one-hour token is due (its last quarter: 900 seconds left).
const INTO_THE_MARGIN: u64 = 2_800;

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_refresh_rotates_the_refresh_token_and_never_sends_the_old_one_again() {
    let (deck, _, account) = signed_in_basic("rotapp").await;
    let (first_access, first_refresh) = deck.stored_tokens();

    // Still fresh: served without asking the server.
    let token = deck.access_token(account.id).await.unwrap();
    assert_eq!(token.expose_secret(), first_access);
    assert_eq!(deck.fake.calls(Endpoint::Token), 1);

    deck.advance(INTO_THE_MARGIN);
    let refreshed = deck.access_token(account.id).await.unwrap();
    assert_eq!(deck.fake.calls(Endpoint::Token), 2, "one refresh");
    let sent = deck.fake.last_request(Endpoint::Token).unwrap();
    assert_eq!(sent.field("grant_type"), Some("refresh_token"));
    assert_eq!(sent.field("refresh_token"), Some(first_refresh.as_str()));
    assert!(sent
        .header("authorization")
        .is_some_and(|h| h.starts_with("Basic ")));
    assert_ne!(refreshed.expose_secret(), first_access);

    // The keyring holds the new pair before anyone used it.
    let second_refresh = deck.stored("refresh_token");
    assert_ne!(second_refresh, first_refresh, "the server rotated it");
    assert_eq!(deck.stored("access_token"), refreshed.expose_secret());
    let view = deck.account_view(account.id);
    assert_eq!(view.account.health, Health::Fresh);
    assert_eq!(view.account.issued_at, deck.now());
    assert_eq!(view.account.expires_at, Some(deck.now() + 3600));
    assert_eq!(deck.userinfo_status(refreshed.expose_secret()).await, 200);
    assert_eq!(
        deck.userinfo_status(&first_access).await,
        401,
        "the server revoked the previous access token on refresh"
    );

    // The next refresh sends the rotated token, never the old one; reuse would have killed
    // the grant.
    deck.advance(INTO_THE_MARGIN);
    deck.access_token(account.id).await.unwrap();
    assert_eq!(deck.fake.calls(Endpoint::Token), 3);
    deck.assert_last_refresh_sent(&second_refresh);
    let third_refresh = deck.stored("refresh_token");
    assert!(third_refresh != second_refresh && third_refresh != first_refresh);
    assert_eq!(deck.fake.grants_alive(), 1, "no reuse was detected");

    // The background refresher finds nothing to do while the token is fresh.
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    assert_eq!(deck.fake.calls(Endpoint::Token), 3);
    deck.advance(INTO_THE_MARGIN);
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 1);
    assert_eq!(deck.fake.calls(Endpoint::Token), 4);
    deck.assert_last_refresh_sent(&third_refresh);
    assert_eq!(deck.fake.grants_alive(), 1);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn eight_concurrent_callers_cause_exactly_one_refresh() {
    let (deck, app) = linked_public_app("busyapp").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    let old_refresh = deck.stored("refresh_token");
    deck.advance(3_600 + 60);
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let core = deck.core.clone();
            tokio::spawn(async move { core.tokens().access_token(account.id).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for caller in callers {
        let token = caller.await.unwrap().expect("every caller gets a token");
        tokens.push(token.expose_secret().to_owned());
    }
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        2,
        "one exchange, one refresh"
    );
    deck.assert_last_refresh_sent(&old_refresh);
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "every caller got the same fresh token");
    assert_eq!(deck.stored("access_token"), tokens[0]);
    assert_eq!(deck.fake.grants_alive(), 1);
}

/// Asserts `result` is the error that asks for a sign-in.
fn assert_needs_sign_in<T: std::fmt::Debug>(result: Result<T, Error>) {
    let err = result.unwrap_err();
    assert_eq!(err.code(), "needs_sign_in", "{err:?}");
}

/// A refresh whose answer was lost: what the client sent, and what the server made of it.
struct LostRefresh {
    deck: OAuthDeck,
    account: Account,
    /// The refresh token the lost request carried.
    old_refresh: String,
    /// The refresh token the server rotated it into, which Authdeck never saw.
    rotated: String,
}

/// Signs a public deep-link app in with a client that gives up after half a second, then
/// lets the server handle a refresh in full and lose its answer (`Failure::LoseAnswer`).
/// Asserts the refresh went out once, the server rotated the refresh token (and revoked the
/// previous access token) without Authdeck seeing the new one, and the account needs a
/// sign-in and says why.
async fn lose_a_refresh_answer() -> LostRefresh {
    let deck = OAuthDeck::start_with(
        issuer_oauth("alice"),
        authdeck::service::Settings {
            http_timeout: Duration::from_millis(500),
            ..test_settings()
        },
    )
    .await;
    let app = deck.public_app("lostapp", "custom_scheme").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    assert_eq!(deck.fake.calls(Endpoint::Token), 1);
    let (old_access, old_refresh) = deck.stored_tokens();

    deck.fake.fail_next(Endpoint::Token, Failure::LoseAnswer);
    deck.advance(INTO_THE_MARGIN);
    assert_needs_sign_in(deck.access_token(account.id).await);
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        2,
        "the refresh went out once"
    );
    deck.assert_last_refresh_sent(&old_refresh);

    // The server did the refresh: a new refresh token lives that Authdeck never saw, and the
    // access token Authdeck holds is revoked.
    let live = deck.fake.live_refresh_tokens();
    assert_eq!(live.len(), 1, "{live:?}");
    let rotated = live[0].clone();
    assert_ne!(rotated, old_refresh, "the server rotated it");
    assert_eq!(deck.fake.grants_alive(), 1);
    assert_ne!(
        deck.stored("refresh_token"),
        rotated,
        "the answer never came"
    );
    assert_eq!(deck.userinfo_status(&old_access).await, 401);

    let view = deck.account_view(account.id);
    assert_eq!(view.account.health, Health::NeedsSignIn);
    let detail = view.account.health_detail.expect("the account says why");
    assert!(detail.contains("lost"), "{detail}");
    assert!(detail.contains("Sign in again"), "{detail}");
    LostRefresh {
        deck,
        account,
        old_refresh,
        rotated,
    }
}

impl LostRefresh {
    /// Asserts no request carried the old refresh token again (a replay would make the
    /// server kill the grant): no token request since the lost one, the grant alive, and
    /// the rotated token still the only live one.
    fn assert_not_replayed(&self, after: &str) {
        assert_eq!(
            self.deck.fake.calls(Endpoint::Token),
            2,
            "the old refresh token was sent again {after}"
        );
        assert_eq!(
            self.deck.fake.grants_alive(),
            1,
            "the grant was killed by reuse detection {after}"
        );
        // The last token request is still the lost one.
        self.deck.assert_last_refresh_sent(&self.old_refresh);
        assert_eq!(
            self.deck.fake.live_refresh_tokens(),
            vec![self.rotated.clone()]
        );
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_lost_refresh_answer_needs_a_sign_in_and_the_old_refresh_token_is_not_replayed() {
    let lost = lose_a_refresh_answer().await;
    let (deck, account) = (&lost.deck, &lost.account);

    // Nothing asks again with the old refresh token: callers, the background refresher, and
    // later, once the token ran out.
    for _ in 0..3 {
        assert_needs_sign_in(deck.access_token(account.id).await);
    }
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    deck.advance(3_600);
    assert!(deck.access_token(account.id).await.is_err());
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    lost.assert_not_replayed("by a caller or the refresher");

    // Signing in again heals the same account.
    let app = deck.core.catalog().list_apps().unwrap().remove(0);
    let again = deck.sign_in(&app).await.unwrap().account;
    assert_eq!(again.id, account.id);
    assert_eq!(again.health, Health::Fresh);
    let token = deck.access_token(account.id).await.unwrap();
    assert_eq!(deck.userinfo_status(token.expose_secret()).await, 200);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn refresh_now_after_a_lost_answer_does_not_replay_the_old_refresh_token() {
    let lost = lose_a_refresh_answer().await;
    let tokens = lost.deck.core.tokens();

    // The window's "refresh now", and the retry after a refused API call, on an account whose
    // last refresh answer was lost: the old refresh token was rotated away already.
    assert_needs_sign_in(tokens.refresh_now(lost.account.id).await);
    assert_needs_sign_in(tokens.refresh_after_refusal(lost.account.id).await);
    lost.assert_not_replayed("by refresh now");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_lost_refresh_answer_is_not_replayed_after_a_restart_either() {
    let lost = lose_a_refresh_answer().await;

    // Authdeck starts again: the account still needs a sign-in, and nothing (a caller, the
    // refresher) sends the old refresh token.
    let restarted = lost.deck.restarted(test_settings());
    let view = restarted.catalog().account_view(lost.account.id).unwrap();
    assert_eq!(view.account.health, Health::NeedsSignIn);
    assert_eq!(restarted.tokens().refresh_due_accounts().await, 0);
    assert_needs_sign_in(restarted.tokens().access_token(lost.account.id).await);
    lost.assert_not_replayed("after the restart");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_token_without_expires_in_has_no_expiry_and_is_used_until_refused() {
    let deck = alice_deck_with(|config| config.omit_expires_in = true).await;
    let app = deck.public_app("foreverapp", "custom_scheme").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    assert_eq!(account.expires_at, None, "no expiry shown");
    assert_eq!(account.health, Health::Fresh);
    let stored = deck.account_entry();
    assert_eq!(stored["expires_at"], serde_json::Value::Null);
    let original = stored["access_token"].as_str().unwrap().to_owned();
    assert!(stored["refresh_token"].is_string(), "it could be refreshed");

    // A month later on Authdeck's clock: not refreshed, not by the refresher either.
    deck.clock.advance(30 * 86_400);
    assert_eq!(deck.core.tokens().refresh_due_accounts().await, 0);
    let token = deck.access_token(account.id).await.unwrap();
    assert_eq!(token.expose_secret(), original);
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        1,
        "only the code exchange"
    );
    let view = deck.account_view(account.id);
    assert_eq!(view.account.expires_at, None);
    assert_eq!(view.account.health, Health::Fresh);

    // Until the server refuses it (a 401 invalid_token): then one refresh.
    deck.fake.advance(3_601);
    assert_eq!(deck.userinfo_status(&original).await, 401);
    let refreshed = deck.core.tokens().refresh_after_refusal(account.id).await;
    let fresh = refreshed.unwrap();
    assert_ne!(fresh.expose_secret(), original);
    assert_eq!(deck.fake.calls(Endpoint::Token), 2);
    assert_eq!(deck.userinfo_status(fresh.expose_secret()).await, 200);
    let view = deck.account_view(account.id);
    assert_eq!(view.account.expires_at, None);
    assert_eq!(view.account.health, Health::Fresh);
    assert_eq!(deck.fake.grants_alive(), 1);
}

// ---------------------------------------------------------------------------------------------
// Errors, in Authdeck's words

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_wrong_client_secret_is_client_rejected() {
    let deck = OAuthDeck::start(issuer_oauth("alice")).await;
    for (client_id, method) in [
        ("wrongbasic", AuthMethod::ClientSecretBasic),
        ("wrongpost", AuthMethod::ClientSecretPost),
    ] {
        deck.fake_confidential_client(client_id, method);
        let extra = json!({"clientSecret": "not-the-secret", "clientAuth": method.name()});
        let app = deck
            .register_json(deck.input(client_id, "custom_scheme", extra))
            .await
            .unwrap();
        let calls = deck.fake.calls(Endpoint::Token);
        let err = deck.sign_in(&app).await.unwrap_err();
        assert_eq!(
            err,
            Error::ClientRejected {
                provider: deck.fake.base_url().trim_start_matches("http://").into(),
                client_id: client_id.into(),
            }
        );
        assert_eq!(err.code(), "client_rejected");
        let message = err.message();
        assert!(message.contains(client_id), "{message}");
        assert!(message.contains("secret"), "{message}");
        assert!(
            !message.contains("Client authentication failed"),
            "the server's description is not Authdeck's words: {message}"
        );
        assert_eq!(deck.fake.calls(Endpoint::Token), calls + 1);
        deck.assert_nothing_stored();
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_refused_code_is_signin_code_refused() {
    let (deck, app) = linked_public_app("codeapp").await;
    let (_, first) = deck.consent_redirect(&app).await;
    let (_, second) = deck.consent_redirect(&app).await;
    let first_code = query_value(&first, "code").unwrap();

    // The second sign-in's answer carrying the first one's code: its verifier does not fit.
    let swapped = with_query_value(&second, "code", Some(&first_code));
    assert_ne!(swapped, second);
    let err = deck.deliver(&swapped).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_code_refused", "{err:?}");
    assert!(!err.message().contains(INVALID_GRANT_DESCRIPTION), "{err}");

    // The first sign-in's own answer, whose code was spent on that try: reused.
    let err = deck.deliver(&first).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_code_refused", "{err:?}");
    assert!(!err.message().contains(INVALID_GRANT_DESCRIPTION), "{err}");
    assert_eq!(deck.fake.calls(Endpoint::Token), 2);
    assert_eq!(deck.fake.calls(Endpoint::Userinfo), 0);
    deck.assert_nothing_stored();

    // A fresh sign-in is unaffected.
    deck.sign_in(&app).await.unwrap();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_refused_new_code_does_not_read_as_a_lapsed_sign_in() {
    // As tests/signin.rs asks of a Hivesigner code: a new sign-in whose code the server
    // refuses is not "no longer accepts" (it never accepted it).
    let (deck, app) = linked_public_app("wordsapp").await;
    let (_, redirect) = deck.consent_redirect(&app).await;
    let forged = with_query_value(&redirect, "code", Some("ac-never-issued-by-this-server"));
    let err = deck.deliver(&forged).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_code_refused", "{err:?}");
    assert!(!err.message().contains("no longer accepts"), "{err}");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_denied_consent_is_signin_denied_on_both_paths() {
    let deck = alice_deck_with(|config| config.consent = Consent::Deny).await;
    let linked = deck.public_app("denylink", "custom_scheme").await;
    let (_, redirect) = deck.consent_redirect(&linked).await;
    assert_eq!(
        query_value(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    let description = query_value(&redirect, "error_description").unwrap();
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_denied", "{err:?}");
    assert!(err.message().contains("declined"), "{err}");
    assert!(!err.message().contains(&description), "{err}");

    let looped = deck.public_app("denyloop", "loopback").await;
    let (_, redirect) = deck.consent_redirect(&looped).await;
    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200);
    assert!(page.contains("declined"), "{page}");
    assert!(!page.contains(&description), "{page}");
    assert_eq!(deck.fake.calls(Endpoint::Token), 0);
    deck.assert_nothing_stored();
}

/// `client_id` registered at the fake and in the core as a public deep-link app whose
/// endpoints are entered by hand (no discovery): the fake's authorize and userinfo
/// endpoints, `token_endpoint`, and the `extra` fields.
async fn hand_entered_app(
    deck: &OAuthDeck,
    client_id: &str,
    token_endpoint: &str,
    extra: Value,
) -> AppView {
    deck.fake_public_client(client_id);
    let mut endpoints = json!({
        "authorizeEndpoint": format!("{}/authorize", deck.fake.issuer()),
        "tokenEndpoint": token_endpoint,
        "userinfoEndpoint": deck.fake.userinfo_endpoint(),
    });
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        endpoints[key] = value;
    }
    let input = deck.input(client_id, "custom_scheme", endpoints);
    deck.register_json(input).await.unwrap()
}

/// The refusals a token endpoint may give that Authdeck words itself: `(status, code)`.
const REFUSALS: [(u16, &str); 3] = [
    (400, "invalid_scope"),
    (400, "unauthorized_client"),
    (503, "temporarily_unavailable"),
];

/// A server description no message may repeat (plain words, which redaction keeps).
fn server_words(code: &str) -> String {
    format!("Server words about {code}, not those of Authdeck")
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn token_endpoint_refusals_are_oauth_refused_in_authdecks_words() {
    let deck = OAuthDeck::start(issuer_oauth("alice")).await;
    let canned = Canned::start(400, "{}").await;
    // Consent and userinfo at the fake; a token endpoint that refuses as told.
    let app = hand_entered_app(&deck, "cannedapp", canned.url(), json!({})).await;
    assert_eq!(deck.fake.calls(Endpoint::Discovery), 0, "entered by hand");
    let mut meanings = Vec::new();
    for (status, code) in REFUSALS {
        let words = server_words(code);
        canned.set(
            status,
            &json!({"error": code, "error_description": words}).to_string(),
        );
        let before = canned.calls();
        let err = deck.sign_in(&app).await.unwrap_err();
        assert_eq!(canned.calls(), before + 1);
        assert_eq!(err.code(), "oauth_refused", "{code}: {err:?}");
        let message = err.message();
        assert!(message.contains(code), "names the code: {message}");
        assert!(!message.contains(&words), "{message}");
        assert!(!message.contains("Server words"), "{message}");
        meanings.push(message);
        deck.assert_nothing_stored();
    }
    meanings.dedup();
    assert_eq!(
        meanings.len(),
        REFUSALS.len(),
        "each code has its own words"
    );
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn authorize_error_redirects_are_oauth_refused_in_authdecks_words() {
    let (deck, app) = linked_public_app("redirerr").await;
    for (_, code) in REFUSALS {
        // What a server's error redirect carries (RFC 6749 4.1.2.1, RFC 9207).
        let started = deck.start_sign_in(&app).await;
        let state = query_value(&started.authorize_url, "state").unwrap();
        let words = server_words(code);
        let mut redirect = url::Url::parse("authdeck://callback").unwrap();
        redirect
            .query_pairs_mut()
            .append_pair("error", code)
            .append_pair("error_description", &words)
            .append_pair("state", &state)
            .append_pair("iss", &deck.fake.issuer());
        let err = deck.deliver(redirect.as_str()).await.reply().unwrap_err();
        let message = err.message();
        assert!(!message.contains("Server words"), "{message}");
        assert_eq!(err.code(), "oauth_refused", "{code}: {err:?}");
        assert!(message.contains(code), "names the code: {message}");
    }
    assert_eq!(deck.fake.calls(Endpoint::Token), 0);
    deck.assert_nothing_stored();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn an_iss_naming_another_server_is_refused_before_the_token_request() {
    let deck = alice_deck_with(|config| {
        config.iss_parameter = IssParameter::Wrong("http://127.0.0.1:1/oauth".into())
    })
    .await;
    for mode in ["custom_scheme", "loopback"] {
        let app = deck.public_app(&format!("mixup-{mode}"), mode).await;
        let (_, redirect) = deck.consent_redirect(&app).await;
        assert_eq!(
            query_value(&redirect, "iss").as_deref(),
            Some("http://127.0.0.1:1/oauth")
        );
        match deck.deliver(&redirect).await {
            Delivered::DeepLink(reply) => {
                let err = reply.unwrap_err();
                assert_eq!(err.code(), "signin_answer_invalid", "{err:?}");
                assert!(err.message().contains("iss"), "{err}");
            }
            Delivered::Loopback { page, .. } => {
                assert!(page.contains("Sign-in failed"), "{page}");
                assert!(page.contains("iss"), "{page}");
            }
        }
    }
    assert_eq!(deck.fake.calls(Endpoint::Token), 0, "no token request made");
    deck.assert_nothing_stored();
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_missing_iss_is_refused_when_the_metadata_promises_it() {
    let (deck, promised) = linked_public_app("promised").await;
    assert!(promised.oauth2.as_ref().unwrap().iss_required);
    deck.fake.set_iss_parameter(IssParameter::Omitted);
    let (_, redirect) = deck.consent_redirect(&promised).await;
    assert_eq!(query_value(&redirect, "iss"), None);
    let err = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(err.code(), "signin_answer_invalid", "{err:?}");
    assert!(err.message().contains("iss"), "{err}");
    assert_eq!(deck.fake.calls(Endpoint::Token), 0);
    deck.assert_nothing_stored();

    // A server whose metadata does not promise it: the same answer is taken.
    deck.fake.set_advertise_iss_parameter(false);
    let unpromised = deck.public_app("unpromised", "custom_scheme").await;
    assert!(!unpromised.oauth2.as_ref().unwrap().iss_required);
    let view = deck.sign_in(&unpromised).await.unwrap();
    assert_eq!(view.account.username, "alice");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_slashless_token_endpoint_that_redirects_fails_clearly_and_the_slashed_one_works() {
    let deck = alice_deck_with(|config| config.trailing_slash = true).await;
    let issuer = deck.fake.issuer();
    assert_eq!(deck.fake.token_endpoint(), format!("{issuer}/token/"));

    // Entered by hand without the slash: the server answers 301.
    let revocation = json!({"revocationEndpoint": deck.fake.revocation_endpoint()});
    let slashless =
        hand_entered_app(&deck, "slashless", &format!("{issuer}/token"), revocation).await;
    assert_eq!(
        slashless.oauth2.as_ref().unwrap().token.as_str(),
        format!("{issuer}/token"),
        "kept as typed"
    );
    let err = deck.sign_in(&slashless).await.unwrap_err();
    assert_eq!(err.code(), "provider_bad_response", "{err:?}");
    let message = err.message();
    assert!(message.contains("redirect"), "{message}");
    assert!(message.contains("301"), "{message}");
    assert!(message.contains("trailing slash"), "{message}");
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        0,
        "the redirect was not followed"
    );
    assert_eq!(
        deck.fake.wrong_method_calls(),
        0,
        "no POST turned into a GET"
    );
    deck.assert_nothing_stored();

    // Discovered (with the slash): it works.
    let slashed = deck.public_app("slashed", "custom_scheme").await;
    assert_eq!(
        slashed.oauth2.as_ref().unwrap().token.as_str(),
        format!("{issuer}/token/")
    );
    let view = deck.sign_in(&slashed).await.unwrap();
    assert_eq!(view.account.username, "alice");
    assert_eq!(deck.fake.calls(Endpoint::Token), 1);
    assert_eq!(deck.fake.wrong_method_calls(), 0);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn removing_an_account_revokes_the_grant_at_the_server() {
    let (deck, app, account) = signed_in_basic("revokeapp").await;
    let (access, refresh) = deck.stored_tokens();
    assert_eq!(deck.fake.grants_alive(), 1);

    let removed = deck.remove_account(account.id).await;
    assert_eq!(removed.username, "alice");
    assert!(removed.revoked_at_provider);
    assert_eq!(
        removed.authority_removal_page, None,
        "the revocation is the real one"
    );
    assert_eq!(deck.fake.calls(Endpoint::Revoke), 1);
    let revoked = deck.fake.last_request(Endpoint::Revoke).unwrap();
    assert_eq!(revoked.field("token"), Some(refresh.as_str()));
    assert_eq!(revoked.field("token_type_hint"), Some("refresh_token"));
    assert_eq!(
        basic_credentials(revoked.header("authorization").unwrap()),
        format!("revokeapp:{OAUTH_SECRET}")
    );
    assert_eq!(
        deck.fake.grants_alive(),
        0,
        "the grant is dead at the server"
    );
    assert_eq!(deck.userinfo_status(&access).await, 401);

    assert!(
        deck.account_entries().is_empty(),
        "the keyring entry is gone"
    );
    deck.assert_account_gone(account.id).await;
    assert!(deck.listed().is_empty());
    // The app keeps its secret until the app itself is removed.
    assert!(deck
        .keyring_keys()
        .iter()
        .any(|key| key.starts_with("app-secret/")));
    let removed_app = deck.core.catalog().remove_app(app.id).await.unwrap();
    assert!(removed_app.accounts.is_empty());
    assert!(deck.keyring_keys().is_empty());
}
