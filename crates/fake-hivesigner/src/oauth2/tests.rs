//! The knobs and routes added for client fallbacks, RFC 9207 mismatch tests, the API console
//! and the browser consent page, over real HTTP through the public API (the protocol basics
//! are in `tests/oauth2.rs`).

use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    Client, Consent, Discovery, Endpoint, Failure, FakeOAuth2, IssParameter, OAuth2Config,
};

const APP: &str = "desktop";
const CALLBACK: &str = "http://127.0.0.1:4567/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn fake_with(config: OAuth2Config) -> FakeOAuth2 {
    let fake = FakeOAuth2::start(config).await;
    fake.register_client(APP, Client::public(&["http://127.0.0.1/callback"]));
    fake
}

async fn fake() -> FakeOAuth2 {
    fake_with(OAuth2Config::default()).await
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

/// A valid authorize request's parameters, offline.
fn request_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", APP.into()),
        ("response_type", "code".into()),
        ("redirect_uri", CALLBACK.into()),
        ("scope", "openid offline_access".into()),
        ("prompt", "consent".into()),
        ("state", "st-9".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

fn authorize_url(fake: &FakeOAuth2) -> String {
    let challenge = challenge();
    let params = request_params(&challenge);
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fake.authorize_url(&params)
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn exchange(fake: &FakeOAuth2, code: &str) -> Value {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("client_id", APP),
        ("code_verifier", VERIFIER),
    ];
    let response = post_form(&http(), &fake.token_endpoint(), &form)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// An access token for `alice` (auto-approved), and its refresh token.
async fn tokens(fake: &FakeOAuth2) -> (String, String) {
    let location = crate::consent(&authorize_url(fake)).await.expect("a 302");
    let body = exchange(fake, &query_of(&location)["code"]).await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    (access, refresh)
}

async fn get_json(url: &str) -> (StatusCode, Value) {
    let response = http().get(url).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn challenge_of(response: &reqwest::Response) -> String {
    response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `POST {url}` with `form` as the form body, sent through `client`.
async fn post_form(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    client.post(url).form(form).send().await
}

/// A refresh of `refresh` at the token endpoint, sent through `client`.
async fn send_refresh(
    client: &reqwest::Client,
    fake: &FakeOAuth2,
    refresh: &str,
) -> reqwest::Result<reqwest::Response> {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", APP),
    ];
    post_form(client, &fake.token_endpoint(), &form).await
}

/// `GET {url}` with `access` as the bearer token.
async fn get_with(url: &str, access: &str) -> reqwest::Response {
    http().get(url).bearer_auth(access).send().await.unwrap()
}

/// `POST {url}` with `access` as the bearer token and `note` as the JSON body.
async fn post_json(url: &str, access: &str, note: &Value) -> reqwest::Response {
    http()
        .post(url)
        .bearer_auth(access)
        .json(note)
        .send()
        .await
        .unwrap()
}

/// The status of a userinfo request with `access` as the bearer token.
async fn userinfo_status(fake: &FakeOAuth2, access: &str) -> StatusCode {
    get_with(&fake.userinfo_endpoint(), access).await.status()
}

/// A client that gives up after 300 ms, well before [`super::LOST_ANSWER_HOLD`].
fn impatient() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("an HTTP client")
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn the_discovery_knob_serves_one_document_and_the_other_is_404() {
    let config = OAuth2Config {
        discovery: Discovery::Rfc8414Only,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let (status, doc) = get_json(&fake.rfc8414_metadata_url()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["issuer"], fake.issuer());
    let (status, _) = get_json(&fake.openid_configuration_url()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let recorded = fake.last_request(Endpoint::Discovery).unwrap();
    assert_eq!(
        recorded.path,
        "/realms/test/.well-known/openid-configuration"
    );

    fake.set_discovery(Discovery::OpenIdOnly);
    // A failure queued waits for the document that is served: the 404 does not eat it.
    fake.fail_next(Endpoint::Discovery, Failure::ServerError);
    let (status, _) = get_json(&fake.rfc8414_metadata_url()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_json(&fake.openid_configuration_url()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, doc) = get_json(&fake.openid_configuration_url()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["token_endpoint"], fake.token_endpoint());
    assert_eq!(fake.calls(Endpoint::Discovery), 5);

    fake.set_discovery(Discovery::Both);
    for url in [fake.rfc8414_metadata_url(), fake.openid_configuration_url()] {
        assert_eq!(get_json(&url).await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn metadata_can_leave_out_revocation_and_the_iss_parameter_flag() {
    let fake = fake().await;
    let (_, doc) = get_json(&fake.rfc8414_metadata_url()).await;
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["revocation_endpoint"], fake.revocation_endpoint());
    fake.set_advertise_iss_parameter(false);
    let (_, doc) = get_json(&fake.openid_configuration_url()).await;
    assert!(doc
        .get("authorization_response_iss_parameter_supported")
        .is_none());

    let config = OAuth2Config {
        revocation_endpoint: false,
        advertise_iss_parameter: false,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let (_, doc) = get_json(&fake.rfc8414_metadata_url()).await;
    assert!(doc.get("revocation_endpoint").is_none(), "{doc}");
    assert!(doc
        .get("authorization_response_iss_parameter_supported")
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// RFC 9207 `iss`

#[tokio::test]
async fn the_iss_parameter_can_be_left_out_or_wrong() {
    let fake = fake().await;
    let url = authorize_url(&fake);
    let q = query_of(&crate::consent(&url).await.unwrap());
    assert_eq!(q["iss"], fake.issuer());

    fake.set_iss_parameter(IssParameter::Omitted);
    let q = query_of(&crate::consent(&url).await.unwrap());
    assert!(q.contains_key("code") && !q.contains_key("iss"), "{q:?}");
    // The metadata still says it is supported unless told otherwise (a client must refuse).
    let (_, doc) = get_json(&fake.rfc8414_metadata_url()).await;
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);

    fake.set_iss_parameter(IssParameter::Wrong("https://evil.example".into()));
    let q = query_of(&crate::consent(&url).await.unwrap());
    assert_eq!(q["iss"], "https://evil.example");
    assert!(q.contains_key("code"));
    // Error responses carry it too.
    fake.set_consent(Consent::Deny);
    let q = query_of(&crate::consent(&url).await.unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["iss"], "https://evil.example");

    let config = OAuth2Config {
        iss_parameter: IssParameter::Omitted,
        advertise_iss_parameter: false,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let q = query_of(&crate::consent(&authorize_url(&fake)).await.unwrap());
    assert!(!q.contains_key("iss"));
}

// ---------------------------------------------------------------------------------------------
// Consent without a browser, and the consent page

#[tokio::test]
async fn auto_approve_answers_the_authorize_get_with_the_redirect() {
    let fake = fake().await;
    fake.set_consent(Consent::AutoApprove { user: "bob".into() });
    let location = crate::consent(&authorize_url(&fake)).await.unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let q = query_of(&location);
    assert!(q["code"].starts_with("ac-"));
    assert_eq!(q["state"], "st-9");
    assert_eq!(q["iss"], fake.issuer());
    let body = exchange(&fake, &q["code"]).await;
    let access = body["access_token"].as_str().unwrap();
    let response = get_with(&fake.userinfo_endpoint(), access).await;
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["preferred_username"], "bob");
}

#[tokio::test]
async fn the_consent_page_posts_the_request_on_and_approves_or_denies() {
    let fake = fake().await;
    fake.set_consent(Consent::Page);
    let response = http().get(authorize_url(&fake)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("action=\"/realms/test/authorize/consent\""),
        "{html}"
    );
    assert!(html.contains("name=\"redirect_uri\" value=\"http://127.0.0.1:4567/callback\""));
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    assert_eq!(fake.calls(Endpoint::Authorize), 1);

    // What the browser posts: the request's fields, the account and the button.
    let challenge = challenge();
    let mut form = request_params(&challenge);
    form.push(("username", "carol".into()));
    form.push(("decision", "approve".into()));
    let consent_url = format!("{}/authorize/consent", fake.issuer());
    let response = http().post(&consent_url).form(&form).send().await.unwrap();
    let q = query_of(&location(&response));
    assert_eq!(q["state"], "st-9");
    assert_eq!(q["iss"], fake.issuer());
    let body = exchange(&fake, &q["code"]).await;
    assert!(body["refresh_token"].is_string(), "{body}");
    assert_eq!(fake.grants()[0].1, "carol");
    // The decision is not an authorize call: the record keeps what the client sent.
    assert_eq!(fake.calls(Endpoint::Authorize), 1);

    // Deny.
    let last = form.len() - 1;
    form[last].1 = "deny".into();
    let response = http().post(&consent_url).form(&form).send().await.unwrap();
    let q = query_of(&location(&response));
    assert_eq!(q["error"], "access_denied");
    assert!(!q.contains_key("code"));

    // Approve without an account: the page again, with a problem.
    form[last].1 = "approve".into();
    form[last - 1].1 = " ".into();
    let response = http().post(&consent_url).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("class=\"problem\""));

    // The request is checked again: a tampered redirect URI is refused with a page.
    form[last - 1].1 = "carol".into();
    form[2].1 = "http://localhost:4567/callback".into();
    let response = http().post(&consent_url).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fake.grants().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The protected API

#[tokio::test]
async fn the_api_answers_bearer_requests_and_records_them() {
    let fake = fake().await;
    assert_eq!(fake.api_me_url(), format!("{}/api/me", fake.base_url()));
    let (access, _) = tokens(&fake).await;
    let response = http()
        .get(fake.api_me_url())
        .bearer_auth(&access)
        .header("X-Console", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(
        me,
        json!({"sub": "sub-alice", "preferred_username": "alice"})
    );
    let recorded = fake.last_request(Endpoint::Api).unwrap();
    assert_eq!(recorded.method, "GET");
    assert_eq!(recorded.path, "/api/me");
    assert_eq!(recorded.header("x-console"), Some("1"));

    let note = json!({"title": "Hello", "tags": ["a", "b"]});
    let response = post_json(&format!("{}?draft=1", fake.api_notes_url()), &access, &note).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        created,
        json!({"title": "Hello", "tags": ["a", "b"], "owner": "alice"})
    );
    assert_eq!(fake.notes(), vec![created]);
    let recorded = fake.last_request(Endpoint::Api).unwrap();
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/api/notes");
    assert_eq!(recorded.field("draft"), Some("1"));
    assert_eq!(recorded.header("content-type"), Some("application/json"));
    assert_eq!(
        recorded.header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );
    assert_eq!(recorded.json(), Some(note));

    // Not JSON, not an object, the wrong method.
    let response = http()
        .post(fake.api_notes_url())
        .bearer_auth(&access)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = post_json(&fake.api_notes_url(), &access, &json!(["a list"])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = get_with(&fake.api_notes_url(), &access).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(fake.notes().len(), 1);
    assert_eq!(fake.calls(Endpoint::Api), 5);
}

#[tokio::test]
async fn the_api_takes_only_live_bearer_tokens() {
    let fake = fake().await;
    let (access, refresh) = tokens(&fake).await;
    let send = |authorization: String| {
        let request = http().get(fake.api_me_url());
        async move {
            request
                .header("Authorization", authorization)
                .send()
                .await
                .unwrap()
        }
    };
    // Without a bearer token: a bare challenge (RFC 6750 3.1).
    let response = http().get(fake.api_me_url()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge_of(&response), "Bearer realm=\"fake-oauth2\"");
    for wrong in [access.clone(), format!("Token {access}")] {
        let response = send(wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(!challenge_of(&response).contains("error="));
    }

    // Expired.
    fake.advance(3600);
    let response = send(format!("Bearer {access}")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge_of(&response).contains("error=\"invalid_token\""));

    // Revoked: a fresh token, then RFC 7009 revocation of the refresh token kills it.
    let refreshed = send_refresh(&http(), &fake, &refresh).await.unwrap();
    let body: Value = refreshed.json().await.unwrap();
    let fresh = body["access_token"].as_str().unwrap().to_owned();
    let response = post_json(&fake.api_notes_url(), &fresh, &json!({"n": 1})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let rotated = body["refresh_token"].as_str().unwrap();
    let revoke = [("token", rotated), ("client_id", APP)];
    let response = post_form(&http(), &fake.revocation_endpoint(), &revoke)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = post_json(&fake.api_notes_url(), &fresh, &json!({"n": 2})).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(challenge_of(&response).contains("error=\"invalid_token\""));
    assert_eq!(fake.notes().len(), 1);
}

#[tokio::test]
async fn the_api_plays_queued_failures() {
    let fake = fake().await;
    let (access, _) = tokens(&fake).await;
    fake.fail_next(Endpoint::Api, Failure::ServerError);
    fake.fail_next(Endpoint::Api, Failure::Garbage);
    let call = || http().get(fake.api_me_url()).bearer_auth(&access).send();
    assert_eq!(
        call().await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let garbage = call().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::OK);
    assert!(garbage.json::<Value>().await.is_err());
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Lost answers

#[tokio::test]
async fn a_lost_refresh_answer_is_handled_in_full_and_never_arrives() {
    let fake = fake().await;
    let (access, refresh) = tokens(&fake).await;
    fake.fail_next(Endpoint::Token, Failure::LoseAnswer);
    let lost = send_refresh(&impatient(), &fake, &refresh).await;
    assert!(
        lost.is_err_and(|err| err.is_timeout()),
        "the client gave up"
    );
    assert_eq!(fake.calls(Endpoint::Token), 2);
    assert_eq!(
        fake.last_request(Endpoint::Token)
            .unwrap()
            .field("refresh_token"),
        Some(refresh.as_str())
    );

    // The refresh happened: the old refresh token is spent, a rotated one lives, and the
    // previous access token is revoked (the default knob).
    let live = fake.live_refresh_tokens();
    assert_eq!(live.len(), 1, "{live:?}");
    assert_ne!(live[0], refresh);
    assert_eq!(fake.grants_alive(), 1);
    assert_eq!(
        userinfo_status(&fake, &access).await,
        StatusCode::UNAUTHORIZED
    );

    // The one failure is played: the rotated token works and answers at once.
    let rotated = send_refresh(&impatient(), &fake, &live[0]).await.unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let body: Value = rotated.json().await.unwrap();
    let newest = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(fake.live_refresh_tokens(), vec![newest]);

    // Replaying the refresh token whose answer was lost kills the grant.
    let replay = send_refresh(&http(), &fake, &refresh).await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let body: Value = replay.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(fake.grants_alive(), 0);
    assert!(fake.live_refresh_tokens().is_empty());
}

#[tokio::test]
async fn a_lost_answer_of_the_api_keeps_what_it_did() {
    let fake = fake().await;
    fake.set_revoke_previous_access(false);
    let (access, refresh) = tokens(&fake).await;
    fake.fail_next(Endpoint::Api, Failure::LoseAnswer);
    let lost = impatient()
        .post(fake.api_notes_url())
        .bearer_auth(&access)
        .json(&json!({"text": "once"}))
        .send()
        .await;
    assert!(
        lost.is_err_and(|err| err.is_timeout()),
        "the client gave up"
    );
    assert_eq!(
        fake.notes(),
        vec![json!({"text": "once", "owner": "alice"})]
    );

    // Without revoke_previous_access, a refresh whose answer is lost leaves the access
    // token working.
    fake.fail_next(Endpoint::Token, Failure::LoseAnswer);
    assert!(send_refresh(&impatient(), &fake, &refresh).await.is_err());
    assert_eq!(fake.live_refresh_tokens().len(), 1);
    assert_ne!(fake.live_refresh_tokens()[0], refresh);
    assert_eq!(userinfo_status(&fake, &access).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// The clock

#[tokio::test]
async fn real_time_lets_tokens_expire_by_the_wall_clock() {
    let config = OAuth2Config {
        real_time: true,
        expires_in: 1,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let (access, _) = tokens(&fake).await;
    assert_eq!(userinfo_status(&fake, &access).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        userinfo_status(&fake, &access).await,
        StatusCode::UNAUTHORIZED
    );
}
