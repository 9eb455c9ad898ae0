//! The fake OAuth 2.0 server over real HTTP: it must behave as RFC 6749, 7636, 8414, 9207,
//! 7009 and 6750 say, or client tests built on it prove nothing.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use fake_hivesigner::oauth2::{
    AuthMethod, Client, Consent, Endpoint, Failure, FakeOAuth2, OAuth2Config,
    INVALID_GRANT_DESCRIPTION,
};
use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const PUBLIC: &str = "desktop";
const CONF: &str = "server";
const SECRET: &str = "s3cret";
const CALLBACK: &str = "http://127.0.0.1:4567/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn fake_with(config: OAuth2Config) -> FakeOAuth2 {
    let fake = FakeOAuth2::start(config).await;
    fake.register_client(PUBLIC, Client::public(&["http://127.0.0.1/callback"]));
    let methods = [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost];
    fake.register_client(CONF, Client::confidential(SECRET, &methods, &[CALLBACK]));
    fake
}

async fn fake() -> FakeOAuth2 {
    fake_with(OAuth2Config::default()).await
}

/// GETs the URL and returns the redirect's query fields (panics without a 302).
async fn redirect_query(url: &str) -> HashMap<String, String> {
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND, "{url}");
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let location = url::Url::parse(&location).unwrap();
    location.query_pairs().into_owned().collect()
}

/// A public client's authorize request with PKCE S256, plus `extra`.
async fn authorize(fake: &FakeOAuth2, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let challenge = challenge(VERIFIER);
    let mut params = vec![
        ("client_id", PUBLIC),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
        ("state", "st-1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    redirect_query(&fake.authorize_url(&params)).await
}

async fn post(url: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http().post(url).form(form).send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn exchange(fake: &FakeOAuth2, code: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("client_id", PUBLIC),
        ("code_verifier", VERIFIER),
    ];
    post(&fake.token_endpoint(), &form).await
}

/// Tokens for the public client, offline (with a refresh token).
async fn offline_tokens(fake: &FakeOAuth2) -> Value {
    let q = authorize(
        fake,
        &[("scope", "openid offline_access"), ("prompt", "consent")],
    )
    .await;
    let (status, body) = exchange(fake, &q["code"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(fake: &FakeOAuth2, token: &str) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", PUBLIC),
    ];
    post(&fake.token_endpoint(), &form).await
}

async fn userinfo_status(fake: &FakeOAuth2, authorization: &str) -> reqwest::Response {
    http()
        .get(fake.userinfo_endpoint())
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
}

fn assert_invalid_grant(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_description"], INVALID_GRANT_DESCRIPTION);
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn discovery_documents_live_where_the_rfcs_put_them() {
    let fake = fake().await;
    assert!(fake.issuer().ends_with("/realms/test"));
    let rfc8414 = format!(
        "{}/.well-known/oauth-authorization-server/realms/test",
        fake.base_url()
    );
    assert_eq!(fake.rfc8414_metadata_url(), rfc8414);
    let openid = format!(
        "{}/realms/test/.well-known/openid-configuration",
        fake.base_url()
    );
    for url in [rfc8414, openid] {
        let doc: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
        assert_eq!(doc["issuer"], fake.issuer());
        assert_eq!(doc["token_endpoint"], fake.token_endpoint());
        assert_eq!(doc["revocation_endpoint"], fake.revocation_endpoint());
        assert_eq!(doc["userinfo_endpoint"], fake.userinfo_endpoint());
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert!(doc["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&"client_secret_basic".into()));
    }
    // The RFC 8414 document is not appended to the issuer.
    let wrong = format!("{}/.well-known/oauth-authorization-server", fake.issuer());
    let response = http().get(wrong).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(fake.calls(Endpoint::Discovery), 2);
}

#[tokio::test]
async fn issuer_without_path_and_without_revocation() {
    let config = OAuth2Config {
        issuer_path: String::new(),
        revocation_endpoint: false,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    assert_eq!(fake.issuer(), fake.base_url());
    let url = format!("{}/.well-known/oauth-authorization-server", fake.base_url());
    let doc: Value = http().get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], fake.base_url());
    assert!(doc.get("revocation_endpoint").is_none());
    let (status, _) = post(&fake.revocation_endpoint(), &[("token", "x")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Authorize

#[tokio::test]
async fn authorize_echoes_state_and_adds_iss() {
    let fake = fake().await;
    let q = authorize(&fake, &[]).await;
    assert!(q["code"].starts_with("ac-"));
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], fake.issuer());
    fake.set_consent(Consent::Deny);
    let q = authorize(&fake, &[]).await;
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], fake.issuer());
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn pkce_is_required_for_public_clients_and_plain_is_refused() {
    let fake = fake().await;
    let base = [
        ("client_id", PUBLIC),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
    ];
    let q = redirect_query(&fake.authorize_url(&base)).await;
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["iss"], fake.issuer());
    let mut plain = base.to_vec();
    plain.extend([
        ("code_challenge", VERIFIER),
        ("code_challenge_method", "plain"),
    ]);
    let q = redirect_query(&fake.authorize_url(&plain)).await;
    assert_eq!(q["error"], "invalid_request");
    // A challenge without a method means plain (RFC 7636 4.3): refused as well.
    let mut implicit_plain = base.to_vec();
    implicit_plain.push(("code_challenge", VERIFIER));
    let q = redirect_query(&fake.authorize_url(&implicit_plain)).await;
    assert_eq!(q["error"], "invalid_request");
    // A confidential client may go without PKCE.
    let conf = [
        ("client_id", CONF),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
    ];
    assert!(redirect_query(&fake.authorize_url(&conf))
        .await
        .contains_key("code"));
}

#[tokio::test]
async fn redirect_uris_are_exact_with_loopback_ports_free_and_custom_schemes_native_only() {
    let fake = fake().await;
    fake.register_client(
        "web",
        Client::public(&["com.example.app:/cb", "https://app.example/cb"]),
    );
    fake.register_client("native", Client::public(&["com.example.app:/cb"]).native());
    let url = |client: &str, redirect: &str| {
        fake.authorize_url(&[
            ("client_id", client),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
    };
    let status = |url: String| async move { http().get(url).send().await.unwrap().status() };
    assert_eq!(
        status(url(PUBLIC, "http://127.0.0.1:9/callback")).await,
        StatusCode::FOUND
    );
    assert_eq!(
        status(url(PUBLIC, "http://127.0.0.1:9/callback/")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(url(PUBLIC, "http://localhost:9/callback")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(url("web", "https://app.example/cb")).await,
        StatusCode::FOUND
    );
    assert_eq!(
        status(url("web", "https://app.example:8443/cb")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(url("web", "com.example.app:/cb")).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(url("native", "com.example.app:/cb")).await,
        StatusCode::FOUND
    );
    // The confidential client registered a port: exact.
    assert_eq!(
        status(url(CONF, "http://127.0.0.1:4568/callback")).await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn refresh_tokens_only_for_offline_access_with_prompt_consent() {
    let fake = fake().await;
    let q = authorize(&fake, &[("scope", "openid offline_access")]).await;
    let (_, body) = exchange(&fake, &q["code"]).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let q = authorize(&fake, &[("scope", "openid"), ("prompt", "consent")]).await;
    let (_, body) = exchange(&fake, &q["code"]).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let body = offline_tokens(&fake).await;
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt-"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "openid offline_access");
}

// ---------------------------------------------------------------------------------------------
// Code exchange

#[tokio::test]
async fn codes_are_single_use_and_reuse_revokes_the_grant() {
    let fake = fake().await;
    let q = authorize(&fake, &[]).await;
    let (status, body) = exchange(&fake, &q["code"]).await;
    assert_eq!(status, StatusCode::OK);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let (status, again) = exchange(&fake, &q["code"]).await;
    assert_invalid_grant(status, &again);
    let response = userinfo_status(&fake, &format!("Bearer {access}")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fake.grants_alive(), 0);
}

#[tokio::test]
async fn redirect_uri_must_be_byte_identical_and_the_verifier_must_match() {
    let fake = fake().await;
    let q = authorize(&fake, &[]).await;
    let other_port = [
        ("grant_type", "authorization_code"),
        ("code", &q["code"]),
        ("redirect_uri", "http://127.0.0.1:4568/callback"),
        ("client_id", PUBLIC),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = post(&fake.token_endpoint(), &other_port).await;
    assert_invalid_grant(status, &body);

    let q = authorize(&fake, &[]).await;
    let forged = "x".repeat(43);
    let wrong_verifier = [
        ("grant_type", "authorization_code"),
        ("code", &q["code"]),
        ("redirect_uri", CALLBACK),
        ("client_id", PUBLIC),
        ("code_verifier", forged.as_str()),
    ];
    let (status, body) = post(&fake.token_endpoint(), &wrong_verifier).await;
    assert_invalid_grant(status, &body);

    let q = authorize(&fake, &[]).await;
    let (status, body) = exchange(&fake, "ac-never-issued").await;
    assert_invalid_grant(status, &body);
    let (status, _) = exchange(&fake, &q["code"]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn codes_expire_by_the_test_clock() {
    let fake = fake().await;
    let q = authorize(&fake, &[]).await;
    fake.advance(61);
    let (status, body) = exchange(&fake, &q["code"]).await;
    assert_invalid_grant(status, &body);
}

// ---------------------------------------------------------------------------------------------
// Client authentication

async fn conf_code(fake: &FakeOAuth2) -> String {
    let params = [
        ("client_id", CONF),
        ("response_type", "code"),
        ("redirect_uri", CALLBACK),
    ];
    redirect_query(&fake.authorize_url(&params)).await["code"].clone()
}

#[tokio::test]
async fn client_secret_basic_or_post_but_not_both() {
    let fake = fake().await;
    let code = conf_code(&fake).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
    ];
    let response = http()
        .post(fake.token_endpoint())
        .basic_auth(CONF, Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let recorded = fake.last_request(Endpoint::Token).unwrap();
    assert!(recorded
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(recorded.field("grant_type"), Some("authorization_code"));

    let code = conf_code(&fake).await;
    let mut post_form = form.to_vec();
    post_form[1] = ("code", &code);
    post_form.extend([("client_id", CONF), ("client_secret", SECRET)]);
    let (status, _) = post(&fake.token_endpoint(), &post_form).await;
    assert_eq!(status, StatusCode::OK);

    let code = conf_code(&fake).await;
    post_form[1] = ("code", &code);
    let response = http()
        .post(fake.token_endpoint())
        .basic_auth(CONF, Some(SECRET))
        .form(&post_form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn invalid_client_is_401_with_basic_challenge_when_basic_was_tried() {
    let fake = fake().await;
    fake.register_client(
        "post-only",
        Client::confidential(SECRET, &[AuthMethod::ClientSecretPost], &[CALLBACK]),
    );
    let form = [("grant_type", "refresh_token"), ("refresh_token", "rt-x")];
    let response = http()
        .post(fake.token_endpoint())
        .basic_auth(CONF, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    // A method the client may not use.
    let response = http()
        .post(fake.token_endpoint())
        .basic_auth("post-only", Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // A confidential client without its secret.
    let mut no_secret = form.to_vec();
    no_secret.push(("client_id", CONF));
    let response = http()
        .post(fake.token_endpoint())
        .form(&no_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
}

// ---------------------------------------------------------------------------------------------
// Refresh

#[tokio::test]
async fn refresh_rotates_and_revokes_the_previous_access_token() {
    let fake = fake().await;
    let first = offline_tokens(&fake).await;
    let (status, second) = refresh(&fake, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    let old = userinfo_status(
        &fake,
        &format!("Bearer {}", first["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = userinfo_status(
        &fake,
        &format!("Bearer {}", second["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(new.status(), StatusCode::OK);
    let info: Value = new.json().await.unwrap();
    assert_eq!(info["preferred_username"], "alice");
    assert_eq!(info["sub"], "sub-alice");

    fake.set_revoke_previous_access(false);
    let (_, third) = refresh(&fake, second["refresh_token"].as_str().unwrap()).await;
    let kept = userinfo_status(
        &fake,
        &format!("Bearer {}", second["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(kept.status(), StatusCode::OK);
    assert!(third["refresh_token"].is_string());
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_whole_grant() {
    let fake = fake().await;
    let first = offline_tokens(&fake).await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let (_, second) = refresh(&fake, old_refresh).await;
    assert_eq!(fake.grants_alive(), 1);
    let (status, body) = refresh(&fake, old_refresh).await;
    assert_invalid_grant(status, &body);
    assert_eq!(fake.grants_alive(), 0);
    // The newest tokens die with the grant.
    let (status, body) = refresh(&fake, second["refresh_token"].as_str().unwrap()).await;
    assert_invalid_grant(status, &body);
    let info = userinfo_status(
        &fake,
        &format!("Bearer {}", second["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(info.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_by_another_client_is_the_same_generic_invalid_grant() {
    let fake = fake().await;
    fake.register_client("other", Client::public(&[CALLBACK]));
    let tokens = offline_tokens(&fake).await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", "other"),
    ];
    let (status, body) = post(&fake.token_endpoint(), &form).await;
    assert_invalid_grant(status, &body);
    let (status, body) = refresh(&fake, "rt-unknown").await;
    assert_invalid_grant(status, &body);
    let (status, body) = post(
        &fake.token_endpoint(),
        &[("grant_type", "password"), ("client_id", PUBLIC)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn token_shape_knobs() {
    let config = OAuth2Config {
        lowercase_token_type: true,
        omit_expires_in: true,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    let body = offline_tokens(&fake).await;
    assert_eq!(body["token_type"], "bearer");
    assert!(body.get("expires_in").is_none());
}

// ---------------------------------------------------------------------------------------------
// Trailing slash, revocation, userinfo, expiry, failures

#[tokio::test]
async fn slashless_post_gets_a_301_and_a_get_is_recorded() {
    let config = OAuth2Config {
        trailing_slash: true,
        ..OAuth2Config::default()
    };
    let fake = fake_with(config).await;
    assert!(fake.token_endpoint().ends_with("/token/"));
    assert!(fake.revocation_endpoint().ends_with("/revoke/"));
    let slashless = format!("{}/token", fake.issuer());
    let response = http()
        .post(&slashless)
        .form(&[("a", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(response.headers()[LOCATION], fake.token_endpoint().as_str());
    // What a client following the 301 sends: a GET.
    let response = http().get(fake.token_endpoint()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(fake.wrong_method_calls(), 1);
    // The slashed endpoint works.
    let body = offline_tokens(&fake).await;
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn revoking_either_token_kills_the_grant() {
    let fake = fake().await;
    for kind in ["access_token", "refresh_token"] {
        let tokens = offline_tokens(&fake).await;
        let token = tokens[kind].as_str().unwrap();
        let response = http()
            .post(fake.revocation_endpoint())
            .form(&[
                ("token", token),
                ("token_type_hint", kind),
                ("client_id", PUBLIC),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.bytes().await.unwrap().is_empty());
        let (status, body) = refresh(&fake, tokens["refresh_token"].as_str().unwrap()).await;
        assert_invalid_grant(status, &body);
        let access = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
        assert_eq!(
            userinfo_status(&fake, &access).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(fake.grants_alive(), 0);
    // Unknown tokens are not an error; a confidential client authenticates.
    let response = http()
        .post(fake.revocation_endpoint())
        .basic_auth(CONF, Some(SECRET))
        .form(&[("token", "nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http()
        .post(fake.revocation_endpoint())
        .basic_auth(CONF, Some("wrong"))
        .form(&[("token", "nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(fake.calls(Endpoint::Revoke), 4);
}

#[tokio::test]
async fn userinfo_takes_only_bearer_and_challenges_with_invalid_token() {
    let fake = fake().await;
    let tokens = offline_tokens(&fake).await;
    let access = tokens["access_token"].as_str().unwrap();
    let ok = userinfo_status(&fake, &format!("Bearer {access}")).await;
    assert_eq!(ok.status(), StatusCode::OK);
    for wrong in [
        access.to_owned(),
        format!("bearer {access}"),
        format!("Token {access}"),
    ] {
        let response = userinfo_status(&fake, &wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    let bad = userinfo_status(&fake, "Bearer at-forged").await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let challenge = bad.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn access_tokens_expire_by_the_test_clock_and_refresh_still_works() {
    let fake = fake().await;
    fake.set_expires_in(60);
    let tokens = offline_tokens(&fake).await;
    assert_eq!(tokens["expires_in"], 60);
    let access = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    fake.advance(59);
    assert_eq!(
        userinfo_status(&fake, &access).await.status(),
        StatusCode::OK
    );
    fake.advance(1);
    let expired = userinfo_status(&fake, &access).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(expired.headers()[WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let (status, _) = refresh(&fake, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn fail_next_knobs_play_once_per_endpoint() {
    let fake = fake().await;
    let tokens = offline_tokens(&fake).await;
    let rt = tokens["refresh_token"].as_str().unwrap();
    fake.fail_next(Endpoint::Token, Failure::ServerError);
    fake.fail_next(Endpoint::Token, Failure::Garbage);
    let (status, body) = refresh(&fake, rt).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "server_error");
    let (status, body) = refresh(&fake, rt).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::Null, "not JSON");
    // The refresh token was never consumed by the failed calls.
    let (status, _) = refresh(&fake, rt).await;
    assert_eq!(status, StatusCode::OK);

    fake.fail_next(
        Endpoint::Userinfo,
        Failure::Delay(std::time::Duration::from_secs(5)),
    );
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let timed_out = client.get(fake.userinfo_endpoint()).send().await;
    assert!(timed_out.unwrap_err().is_timeout());
    assert_eq!(fake.calls(Endpoint::Userinfo), 1);
    assert_eq!(fake.calls(Endpoint::Token), 4);
}
