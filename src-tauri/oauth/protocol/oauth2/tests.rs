//! The dialect against the fake OAuth 2.0 server and canned answers over real HTTP: the
//! authorize URL, each client authentication, refresh rotation, token answer rules, redirects
//! never followed, userinfo, revocation, failures and the errors in Authdeck's words.

use std::collections::HashMap;
use std::time::Duration;

use fake_hivesigner::oauth2::{
    AuthMethod, Client as FakeClient, Endpoint as FakeEndpoint, Failure, FakeOAuth2, OAuth2Config,
    Recorded,
};
use reqwest::header::{HeaderMap, HeaderValue, LOCATION};

use super::*;
use crate::oauth::token::{RawAnswer, TokenClient, MAX_LIFETIME_SECONDS};
use crate::provider::ClientAuth;

const PUBLIC: &str = "desktop";
const CONF: &str = "server";
const SECRET: &str = "s3cret-value";
const CALLBACK: &str = "http://127.0.0.1:4567/callback";

fn http() -> reqwest::Client {
    TokenClient::new(Duration::from_secs(10))
        .expect("an HTTP client")
        .http()
        .clone()
}

async fn fake_with(config: OAuth2Config) -> FakeOAuth2 {
    let fake = FakeOAuth2::start(config).await;
    fake.register_client(PUBLIC, FakeClient::public(&["http://127.0.0.1/callback"]));
    let methods = [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost];
    fake.register_client(
        CONF,
        FakeClient::confidential(SECRET, &methods, &[CALLBACK]),
    );
    fake
}

async fn fake() -> FakeOAuth2 {
    fake_with(OAuth2Config::default()).await
}

/// A fake and the settings for a client authenticating to it as `client_auth`.
async fn fake_for(client_auth: ClientAuth) -> (FakeOAuth2, OAuth2Settings) {
    let fake = fake().await;
    let settings = settings(&fake, client_auth);
    (fake, settings)
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("a URL")
}

fn settings(fake: &FakeOAuth2, client_auth: ClientAuth) -> OAuth2Settings {
    OAuth2Settings {
        authorize: url(&format!("{}/authorize", fake.issuer())),
        token: url(&fake.token_endpoint()),
        revocation: Some(url(&fake.revocation_endpoint())),
        userinfo: url(&fake.userinfo_endpoint()),
        iss_required: true,
        client_auth,
    }
}

fn public(settings: &OAuth2Settings) -> Client<'_> {
    Client {
        client_id: PUBLIC,
        secret: None,
        settings,
    }
}

fn confidential<'a>(settings: &'a OAuth2Settings, secret: &'a SecretString) -> Client<'a> {
    Client {
        client_id: CONF,
        secret: Some(secret),
        settings,
    }
}

fn scopes(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Opens the consent page (auto-approved) and returns the redirect's query fields.
async fn consent(url: &Url) -> HashMap<String, String> {
    let response = http()
        .get(url.clone())
        .send()
        .await
        .expect("the consent page");
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "no redirect from {url}"
    );
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    query(&Url::parse(&location).unwrap())
}

/// A whole sign-in up to the code: the authorize URL, the consent, the redirect.
async fn code_for(client: Client<'_>, names: &[&str]) -> (SecretString, SecretString) {
    let request = authorize_url(client, &scopes(names), CALLBACK, "st-1").unwrap();
    let answer = consent(&request.url).await;
    assert_eq!(answer["state"], "st-1");
    let code = answer.get("code").expect("a code in the redirect").clone();
    (SecretString::from(code), request.pkce_verifier)
}

async fn signed_in(client: Client<'_>, names: &[&str]) -> TokenGrant {
    let (code, verifier) = code_for(client, names).await;
    exchange(&http(), client, &code, &verifier, CALLBACK)
        .await
        .expect("the exchange")
}

const OFFLINE: &[&str] = &["openid", "offline_access"];

/// Revokes `grant` (its refresh token first, when it has one).
async fn revoke_grant(
    client: Client<'_>,
    grant: &TokenGrant,
) -> std::result::Result<bool, CallError> {
    revoke(
        &http(),
        client,
        &grant.access_token,
        grant.refresh_token.as_ref(),
    )
    .await
}

/// A server on a free loopback port that answers every request with this answer.
async fn canned(status: u16, headers: &[(&'static str, &'static str)], body: &'static str) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let headers = headers.to_vec();
    let app = axum::Router::new().fallback(move || {
        let headers = headers.clone();
        async move {
            let mut response = axum::response::Response::new(axum::body::Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(name, HeaderValue::from_static(value));
            }
            response
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url(&format!("http://{address}/token"))
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Settings whose every endpoint is `at`.
fn settings_at(at: &Url) -> OAuth2Settings {
    OAuth2Settings {
        authorize: at.clone(),
        token: at.clone(),
        revocation: Some(at.clone()),
        userinfo: at.clone(),
        iss_required: false,
        client_auth: ClientAuth::None,
    }
}

async fn refresh_at(at: &Url) -> std::result::Result<TokenGrant, CallError> {
    let settings = settings_at(at);
    refresh(&http(), public(&settings), &SecretString::from("rt-x")).await
}

fn answer(status: u16, challenges: &[&str]) -> RawAnswer {
    let mut headers = HeaderMap::new();
    for challenge in challenges {
        headers.append(
            reqwest::header::WWW_AUTHENTICATE,
            HeaderValue::from_str(challenge).unwrap(),
        );
    }
    RawAnswer {
        status: StatusCode::from_u16(status).unwrap(),
        headers,
        body: Vec::new(),
    }
}

fn refused_code(err: &CallError) -> (u16, &str) {
    match err {
        CallError::Refused { status, error, .. } => (*status, error.as_str()),
        other => panic!("not a refusal: {other:?}"),
    }
}

// -----------------------------------------------------------------------------------------
// Authorize URL

#[test]
fn authorize_url_has_pkce_state_scopes_and_the_exact_redirect() {
    let at = url("https://id.example/realms/x/protocol/openid-connect/auth");
    let settings = settings_at(&at);
    let request = authorize_url(public(&settings), &scopes(OFFLINE), CALLBACK, "st-42").unwrap();
    assert!(request.url.as_str().starts_with(at.as_str()));
    let fields = query(&request.url);
    assert_eq!(fields["response_type"], "code");
    assert_eq!(fields["client_id"], PUBLIC);
    assert_eq!(fields["state"], "st-42");
    assert_eq!(fields["redirect_uri"], CALLBACK);
    assert_eq!(fields["scope"], "openid offline_access");
    assert_eq!(fields["prompt"], "consent");
    assert_eq!(fields["code_challenge_method"], "S256");
    assert_eq!(fields["code_challenge"].len(), 43);
    let verifier = request.pkce_verifier.expose_secret();
    assert_eq!(verifier.len(), 43);
    assert_ne!(fields["code_challenge"], verifier);
    assert!(!request.url.as_str().contains(verifier));

    let request = authorize_url(public(&settings), &scopes(&["openid"]), CALLBACK, "s").unwrap();
    let fields = query(&request.url);
    assert!(!fields.contains_key("prompt"));
    let other = authorize_url(public(&settings), &scopes(&["openid"]), CALLBACK, "s").unwrap();
    assert_ne!(
        other.pkce_verifier.expose_secret(),
        request.pkce_verifier.expose_secret(),
        "a fresh verifier each time"
    );
}

// -----------------------------------------------------------------------------------------
// Exchange and client authentication

#[tokio::test]
async fn public_client_exchanges_the_code_with_pkce() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let grant = signed_in(public(&settings), OFFLINE).await;
    assert!(grant.access_token.expose_secret().starts_with("at-"));
    assert!(grant
        .refresh_token
        .as_ref()
        .is_some_and(|token| token.expose_secret().starts_with("rt-")));
    assert_eq!(grant.expires_in, Some(3600));
    assert_eq!(grant.scope, Some(scopes(OFFLINE)));
    assert_eq!(grant.username, None);
    let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.field("grant_type"), Some("authorization_code"));
    assert_eq!(recorded.field("client_id"), Some(PUBLIC));
    assert_eq!(recorded.field("redirect_uri"), Some(CALLBACK));
    assert!(recorded.field("code_verifier").is_some());
    assert_eq!(recorded.field("client_secret"), None);
    assert_eq!(recorded.header("authorization"), None);

    // Without offline_access: no prompt, no refresh token.
    let grant = signed_in(public(&settings), &["openid"]).await;
    assert!(grant.refresh_token.is_none());
}

/// Asserts a confidential client's request authenticated the one way `auth` says: the
/// `Basic` header and nothing in the body, or the body's fields and no header.
fn assert_authenticated_as(recorded: &Recorded, auth: ClientAuth) {
    match auth {
        ClientAuth::Basic => {
            assert!(recorded
                .header("authorization")
                .is_some_and(|value| value.starts_with("Basic ")));
            assert_eq!(recorded.field("client_id"), None);
            assert_eq!(recorded.field("client_secret"), None);
        }
        ClientAuth::Post => {
            assert_eq!(recorded.header("authorization"), None);
            assert_eq!(recorded.field("client_id"), Some(CONF));
            assert_eq!(recorded.field("client_secret"), Some(SECRET));
        }
        ClientAuth::None => panic!("not a confidential client"),
    }
}

#[tokio::test]
async fn client_secret_basic_and_post_each_send_the_secret_one_way_only() {
    for auth in [ClientAuth::Basic, ClientAuth::Post] {
        let (fake, settings) = fake_for(auth).await;
        let secret = SecretString::from(SECRET);
        let client = confidential(&settings, &secret);
        let grant = signed_in(client, OFFLINE).await;
        assert_authenticated_as(&fake.last_request(FakeEndpoint::Token).unwrap(), auth);

        let refreshed = refresh(&http(), client, grant.refresh_token.as_ref().unwrap())
            .await
            .expect("the refresh");
        assert_authenticated_as(&fake.last_request(FakeEndpoint::Token).unwrap(), auth);

        let revoked = revoke_grant(client, &refreshed).await;
        assert_eq!(revoked, Ok(true));
        assert_authenticated_as(&fake.last_request(FakeEndpoint::Revoke).unwrap(), auth);
        assert_eq!(fake.grants_alive(), 0);
    }
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client_and_the_app_is_rejected() {
    let (_fake, settings) = fake_for(ClientAuth::Basic).await;
    let right = SecretString::from(SECRET);
    let (code, verifier) = code_for(confidential(&settings, &right), &["openid"]).await;
    let wrong = SecretString::from("not-the-secret");
    let err = exchange(
        &http(),
        confidential(&settings, &wrong),
        &code,
        &verifier,
        CALLBACK,
    )
    .await
    .err()
    .expect("refused");
    assert_eq!(refused_code(&err), (401, "invalid_client"));
    assert!(!format!("{err:?}").contains("not-the-secret"));
    assert!(matches!(
        into_error(err, "id.example", CONF),
        Error::ClientRejected { client_id, .. } if client_id == CONF
    ));
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_invalid_grant_and_needs_a_sign_in() {
    let (_fake, settings) = fake_for(ClientAuth::None).await;
    let (code, _verifier) = code_for(public(&settings), &["openid"]).await;
    let forged = SecretString::from("x".repeat(43));
    let err = exchange(&http(), public(&settings), &code, &forged, CALLBACK)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused_code(&err), (400, "invalid_grant"));
    let text = format!("{err:?}");
    assert!(!text.contains(code.expose_secret()), "{text}");
    assert!(matches!(
        into_error(err, "id.example", PUBLIC),
        Error::NeedsSignIn { reason } if reason.contains("invalid_grant")
    ));
}

#[tokio::test]
async fn the_redirect_uri_is_sent_byte_identical() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let (code, verifier) = code_for(public(&settings), &["openid"]).await;
    let other = "http://127.0.0.1:4567/callback/";
    let err = exchange(&http(), public(&settings), &code, &verifier, other)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused_code(&err), (400, "invalid_grant"));
    assert_eq!(
        fake.last_request(FakeEndpoint::Token)
            .unwrap()
            .field("redirect_uri"),
        Some(other)
    );
}

// -----------------------------------------------------------------------------------------
// Refresh

#[tokio::test]
async fn refresh_rotates_and_a_replayed_refresh_token_is_invalid_grant() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let client = public(&settings);
    let first = signed_in(client, OFFLINE).await;
    let old = first.refresh_token.expect("a refresh token");
    let second = refresh(&http(), client, &old).await.expect("the refresh");
    let new = second.refresh_token.expect("a rotated refresh token");
    assert_ne!(new.expose_secret(), old.expose_secret());
    assert_ne!(
        second.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
    assert_eq!(recorded.field("grant_type"), Some("refresh_token"));
    assert_eq!(recorded.field("refresh_token"), Some(old.expose_secret()));
    assert_eq!(recorded.field("client_id"), Some(PUBLIC));
    assert_eq!(recorded.field("scope"), None);

    let err = refresh(&http(), client, &old).await.err().expect("refused");
    assert_eq!(refused_code(&err), (400, "invalid_grant"));
    assert!(matches!(
        into_error(err, "id.example", PUBLIC),
        Error::NeedsSignIn { .. }
    ));
    // Reuse detection killed the grant: the newest refresh token is dead too.
    assert_eq!(fake.grants_alive(), 0);
    let err = refresh(&http(), client, &new).await.err().expect("refused");
    assert_eq!(refused_code(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn lowercase_token_type_and_no_expires_in_are_accepted() {
    let config = OAuth2Config {
        lowercase_token_type: true,
        omit_expires_in: true,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let settings = settings(&fake, ClientAuth::None);
    let grant = signed_in(public(&settings), OFFLINE).await;
    assert_eq!(grant.expires_in, None);
    let refreshed = refresh(
        &http(),
        public(&settings),
        grant.refresh_token.as_ref().unwrap(),
    )
    .await
    .expect("the refresh");
    assert_eq!(refreshed.expires_in, None);
}

#[tokio::test]
async fn token_type_is_case_insensitive_and_must_be_bearer() {
    for token_type in ["bearer", "Bearer", "BEARER"] {
        let body: &'static str = Box::leak(
            format!(r#"{{"access_token":"at-1","token_type":"{token_type}","expires_in":60}}"#)
                .into_boxed_str(),
        );
        let grant = refresh_at(&canned(200, &[JSON], body).await).await;
        assert_eq!(grant.expect(token_type).expires_in, Some(60));
    }
    let body = r#"{"access_token":"at-1","token_type":"mac"}"#;
    let err = refresh_at(&canned(200, &[JSON], body).await)
        .await
        .err()
        .unwrap();
    assert!(matches!(&err, CallError::BadResponse(problem) if problem.contains("Bearer")));
}

#[tokio::test]
async fn unbelievable_token_answers_are_refused() {
    let big = Box::leak(
        format!(
            r#"{{"access_token":"at-1","token_type":"Bearer","expires_in":{}}}"#,
            MAX_LIFETIME_SECONDS + 1
        )
        .into_boxed_str(),
    );
    for body in [
        r#"{"access_token":"at-1","token_type":"Bearer","expires_in":0}"#,
        &*big,
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"token_type":"Bearer"}"#,
        r#"{"access_token":"at-1"}"#,
    ] {
        let err = refresh_at(&canned(200, &[JSON], body).await).await.err();
        assert!(
            matches!(&err, Some(CallError::BadResponse(_))),
            "{body}: {err:?}"
        );
    }
    // An empty refresh token is none; scope is split on spaces.
    let body = r#"{"access_token":"at-1","token_type":"Bearer","refresh_token":"","scope":"a b"}"#;
    let grant = refresh_at(&canned(200, &[JSON], body).await).await.unwrap();
    assert!(grant.refresh_token.is_none());
    assert_eq!(grant.scope, Some(scopes(&["a", "b"])));
}

// -----------------------------------------------------------------------------------------
// Redirects are never followed

#[tokio::test]
async fn a_slashless_token_url_gets_a_301_that_is_not_followed() {
    let config = OAuth2Config {
        trailing_slash: true,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let mut settings = settings(&fake, ClientAuth::None);
    assert!(settings.token.as_str().ends_with("/token/"));
    let slashed = settings.clone();
    settings.token = url(&format!("{}/token", fake.issuer()));
    let (code, verifier) = code_for(public(&settings), &["openid"]).await;
    let err = exchange(&http(), public(&settings), &code, &verifier, CALLBACK)
        .await
        .err()
        .expect("refused");
    let CallError::BadResponse(problem) = &err else {
        panic!("not a bad response: {err:?}");
    };
    assert!(problem.contains("redirect"), "{problem}");
    assert!(problem.contains("needs a trailing slash"), "{problem}");
    assert!(!problem.contains(code.expose_secret()), "{problem}");
    // The 301 came from the slashless route; nothing reached the token endpoint, and no
    // GET followed the redirect.
    assert_eq!(fake.calls(FakeEndpoint::Token), 0);
    assert_eq!(fake.wrong_method_calls(), 0);

    // The code was never used: with the slash it works.
    let grant = exchange(&http(), public(&slashed), &code, &verifier, CALLBACK)
        .await
        .expect("the exchange");
    assert!(grant.access_token.expose_secret().starts_with("at-"));
    assert_eq!(fake.calls(FakeEndpoint::Token), 1);
    assert_eq!(
        fake.last_request(FakeEndpoint::Token).unwrap().method,
        "POST"
    );
}

// -----------------------------------------------------------------------------------------
// Userinfo

#[tokio::test]
async fn userinfo_names_preferred_username_then_sub() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let grant = signed_in(public(&settings), &["openid"]).await;
    let name = userinfo(&http(), &settings, &grant.access_token).await;
    assert_eq!(name.as_deref(), Ok("alice"));
    let recorded = fake.last_request(FakeEndpoint::Userinfo).unwrap();
    assert_eq!(recorded.method, "GET");
    assert!(recorded
        .header("authorization")
        .is_some_and(|value| value.starts_with("Bearer at-")));

    for (body, expected) in [
        (r#"{"sub":"s-1"}"#, Some("s-1")),
        (r#"{"sub":"s-1","preferred_username":""}"#, Some("s-1")),
        (r#"{"sub":"s-1","preferred_username":"bob"}"#, Some("bob")),
        (r#"{"sub":42}"#, None),
        (r#"{}"#, None),
    ] {
        let settings = settings_at(&canned(200, &[JSON], body).await);
        let got = userinfo(&http(), &settings, &SecretString::from("at-x")).await;
        match expected {
            Some(name) => assert_eq!(got.as_deref(), Ok(name), "{body}"),
            None => assert!(matches!(got, Err(CallError::BadResponse(_))), "{body}"),
        }
    }
}

#[tokio::test]
async fn userinfo_401_is_refused_with_the_challenge_error() {
    let (_fake, settings) = fake_for(ClientAuth::None).await;
    let err = userinfo(&http(), &settings, &SecretString::from("at-forged"))
        .await
        .expect_err("refused");
    assert_eq!(refused_code(&err), (401, "invalid_token"));
    assert!(!format!("{err:?}").contains("at-forged"));

    let settings = settings_at(&canned(401, &[], "").await);
    let err = userinfo(&http(), &settings, &SecretString::from("at-x"))
        .await
        .err();
    assert_eq!(refused_code(&err.unwrap()), (401, "http_401"));
}

#[tokio::test]
async fn says_invalid_token_reads_the_fakes_challenge() {
    let fake = fake().await;
    let request = with_token(
        http().get(fake.userinfo_endpoint()),
        &SecretString::from("at-forged"),
    );
    let answer = fetch(request).await.unwrap();
    assert!(says_invalid_token(&answer));
    // No token at all: a challenge without an error.
    let answer = fetch(http().get(fake.userinfo_endpoint())).await.unwrap();
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(!says_invalid_token(&answer));
}

// -----------------------------------------------------------------------------------------
// Revocation

#[tokio::test]
async fn revoke_kills_the_grant_by_its_refresh_token() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let client = public(&settings);
    let grant = signed_in(client, OFFLINE).await;
    assert_eq!(fake.grants_alive(), 1);
    let revoked = revoke_grant(client, &grant).await;
    assert_eq!(revoked, Ok(true));
    assert_eq!(fake.grants_alive(), 0);
    assert_eq!(fake.calls(FakeEndpoint::Revoke), 1);
    let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
    assert_eq!(recorded.field("token_type_hint"), Some("refresh_token"));
    assert_eq!(recorded.field("client_id"), Some(PUBLIC));
    assert_eq!(recorded.header("authorization"), None);
    let err = refresh(&http(), client, grant.refresh_token.as_ref().unwrap()).await;
    assert_eq!(refused_code(&err.err().unwrap()), (400, "invalid_grant"));
}

#[tokio::test]
async fn revoke_falls_back_to_the_access_token() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let client = public(&settings);
    // No refresh token: the access token is revoked.
    let grant = signed_in(client, &["openid"]).await;
    assert_eq!(
        revoke(&http(), client, &grant.access_token, None).await,
        Ok(true)
    );
    let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
    assert_eq!(recorded.field("token_type_hint"), Some("access_token"));
    assert_eq!(fake.grants_alive(), 0);

    // The refresh token's revocation fails: the access token is revoked instead.
    let grant = signed_in(client, OFFLINE).await;
    fake.fail_next(FakeEndpoint::Revoke, Failure::ServerError);
    let revoked = revoke_grant(client, &grant).await;
    assert_eq!(revoked, Ok(true));
    assert_eq!(fake.calls(FakeEndpoint::Revoke), 3);
    let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
    assert_eq!(recorded.field("token_type_hint"), Some("access_token"));
    assert_eq!(fake.grants_alive(), 0);

    // Both fail: the refresh token's failure is the answer.
    let grant = signed_in(client, OFFLINE).await;
    fake.fail_next(FakeEndpoint::Revoke, Failure::ServerError);
    fake.fail_next(FakeEndpoint::Revoke, Failure::Delay(Duration::from_secs(3)));
    let impatient = TokenClient::new(Duration::from_millis(300)).unwrap();
    let refresh_token = grant.refresh_token.as_ref();
    let err = revoke(impatient.http(), client, &grant.access_token, refresh_token).await;
    assert_eq!(refused_code(&err.err().unwrap()), (500, "server_error"));
    assert_eq!(fake.calls(FakeEndpoint::Revoke), 5);
}

#[tokio::test]
async fn revoke_without_an_endpoint_says_so() {
    let (fake, mut settings) = fake_for(ClientAuth::None).await;
    settings.revocation = None;
    let token = SecretString::from("at-x");
    assert_eq!(
        revoke(&http(), public(&settings), &token, None).await,
        Ok(false)
    );
    assert_eq!(fake.calls(FakeEndpoint::Revoke), 0);
}

#[tokio::test]
async fn revoke_reports_a_refusal() {
    let body = r#"{"error":"unsupported_token_type"}"#;
    let settings = settings_at(&canned(400, &[JSON], body).await);
    let token = SecretString::from("at-x");
    let err = revoke(&http(), public(&settings), &token, Some(&token)).await;
    let err = err.expect_err("refused");
    assert_eq!(refused_code(&err), (400, "unsupported_token_type"));
}

// -----------------------------------------------------------------------------------------
// Failures

#[tokio::test]
async fn failures_map_to_the_right_call_errors() {
    let (fake, settings) = fake_for(ClientAuth::None).await;
    let client = public(&settings);
    let grant = signed_in(client, OFFLINE).await;
    let token = grant.refresh_token.unwrap();

    fake.fail_next(FakeEndpoint::Token, Failure::ServerError);
    let err = refresh(&http(), client, &token).await.err().unwrap();
    assert_eq!(refused_code(&err), (500, "server_error"));
    assert!(err.is_transient());
    assert!(matches!(
        into_error(err, "id.example", PUBLIC),
        Error::OAuthRefused { code, .. } if code == "server_error"
    ));

    fake.fail_next(FakeEndpoint::Token, Failure::Garbage);
    let err = refresh(&http(), client, &token).await.err().unwrap();
    assert!(matches!(&err, CallError::BadResponse(_)), "{err:?}");

    fake.fail_next(FakeEndpoint::Token, Failure::Delay(Duration::from_secs(3)));
    let impatient = TokenClient::new(Duration::from_millis(300)).unwrap();
    let err = refresh(impatient.http(), client, &token)
        .await
        .err()
        .unwrap();
    assert!(matches!(&err, CallError::AnswerLost(_)), "{err:?}");
    let lost = into_error(err, "id.example", PUBLIC);
    assert!(matches!(
        &lost,
        Error::ProviderUnreachable { reason, .. } if reason.contains("lost")
    ));

    // Nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let settings = settings_at(&url(&format!("http://{closed}/token")));
    let err = refresh(&http(), public(&settings), &token)
        .await
        .err()
        .unwrap();
    assert!(matches!(&err, CallError::Unreachable(_)), "{err:?}");
    assert!(matches!(
        into_error(err, "id.example", PUBLIC),
        Error::ProviderUnreachable { .. }
    ));
}

#[tokio::test]
async fn error_answers_without_an_oauth_error_are_http_status_refusals() {
    let html = ("content-type", "text/html");
    let err = refresh_at(&canned(502, &[html], "<html>bad gateway</html>").await).await;
    let err = err.err().unwrap();
    assert_eq!(refused_code(&err), (502, "http_502"));
    let Error::OAuthRefused { meaning, .. } = into_error(err, "id.example", PUBLIC) else {
        panic!("not an OAuth refusal");
    };
    assert!(meaning.contains("server's side"), "{meaning}");

    let err = refresh_at(&canned(404, &[], "").await).await.err().unwrap();
    assert_eq!(refused_code(&err), (404, "http_404"));

    // A description quoting a token is redacted; the code is kept.
    let body = r#"{"error":"invalid_request","error_description":"bad refresh_token=rt-0123456789abcdef0123456789abcdef"}"#;
    let err = refresh_at(&canned(400, &[JSON], body).await)
        .await
        .err()
        .unwrap();
    let text = format!("{err:?}");
    assert!(!text.contains("rt-0123456789abcdef"), "{text}");
    assert_eq!(refused_code(&err), (400, "invalid_request"));
}

// -----------------------------------------------------------------------------------------
// Errors in Authdeck's words

fn refused(error: &str, status: u16) -> CallError {
    CallError::Refused {
        status,
        error: error.into(),
        description: "The server's own words.".into(),
        raw: String::new(),
    }
}

#[test]
fn into_error_puts_each_code_in_its_own_words() {
    assert!(matches!(
        into_error(refused("invalid_grant", 400), "id.example", PUBLIC),
        Error::NeedsSignIn { reason }
            if reason == "the server no longer accepts this sign-in (invalid_grant)"
    ));
    assert!(matches!(
        into_error(refused("invalid_client", 401), "id.example", PUBLIC),
        Error::ClientRejected { provider, client_id }
            if provider == "id.example" && client_id == PUBLIC
    ));
    let mut meanings = std::collections::HashSet::new();
    for (code, status) in [
        ("invalid_scope", 400),
        ("unauthorized_client", 400),
        ("access_denied", 400),
        ("temporarily_unavailable", 503),
        ("unsupported_grant_type", 400),
        ("invalid_request", 400),
        ("server_error", 500),
        ("unsupported_token_type", 400),
        ("invalid_token", 401),
        ("insufficient_scope", 403),
        ("http_503", 503),
        ("http_404", 404),
        ("something_new", 400),
    ] {
        match into_error(refused(code, status), "id.example", PUBLIC) {
            Error::OAuthRefused {
                provider,
                code: said,
                meaning,
            } => {
                assert_eq!(provider, "id.example");
                assert_eq!(said, code);
                assert!(!meaning.contains("own words"), "{code}: {meaning}");
                assert!(meaning.contains(": "), "{code} says what to do: {meaning}");
                assert!(meanings.insert(meaning), "{code}'s meaning is not its own");
            }
            other => panic!("{code}: {other:?}"),
        }
    }
    let Error::OAuthRefused { meaning, .. } =
        into_error(refused("invalid_scope", 400), "id.example", PUBLIC)
    else {
        unreachable!()
    };
    assert!(meaning.contains("change the app's scopes"), "{meaning}");
    let Error::OAuthRefused { meaning, .. } =
        into_error(refused("http_503", 503), "id.example", PUBLIC)
    else {
        unreachable!()
    };
    assert!(meaning.contains("server's side"), "{meaning}");

    assert!(matches!(
        into_error(CallError::Unreachable("could not connect".into()), "h", PUBLIC),
        Error::ProviderUnreachable { reason, .. } if reason == "could not connect"
    ));
    assert!(matches!(
        into_error(CallError::AnswerLost("no answer in time".into()), "h", PUBLIC),
        Error::ProviderUnreachable { reason, .. }
            if reason.contains("lost") && reason.contains("no answer in time")
    ));
    assert!(matches!(
        into_error(CallError::BadResponse("odd".into()), "h", PUBLIC),
        Error::ProviderBadResponse { problem, .. } if problem == "odd"
    ));
}

#[test]
fn says_invalid_token_parses_the_bearer_challenge() {
    for (status, challenges, expected) in [
        (
            401,
            &[r#"Bearer realm="x", error="invalid_token""#][..],
            true,
        ),
        (401, &[r#"Bearer error=invalid_token"#], true),
        (
            401,
            &[r#"bearer   error = "invalid_token" , error_description="x""#],
            true,
        ),
        (
            401,
            &[r#"BEARER realm="a, error=\"no\"", error="invalid_token""#],
            true,
        ),
        (
            401,
            &[r#"Basic realm="b", Bearer error="invalid_token""#],
            true,
        ),
        (
            401,
            &[r#"Basic realm="b""#, r#"Bearer error="invalid_token""#],
            true,
        ),
        (401, &[r#"Basic abc==, Bearer error="invalid_token""#], true),
        (401, &[r#"Bearer realm="x""#], false),
        (401, &[r#"Bearer error="insufficient_scope""#], false),
        (401, &[r#"Basic error="invalid_token""#], false),
        (401, &[r#"Bearer realm="error=invalid_token""#], false),
        (401, &[], false),
        (403, &[r#"Bearer error="invalid_token""#], false),
        (400, &[r#"Bearer error="invalid_token""#], false),
    ] {
        assert_eq!(
            says_invalid_token(&answer(status, challenges)),
            expected,
            "{status} {challenges:?}"
        );
    }
}
