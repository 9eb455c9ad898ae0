//! The fake Hivesigner (this crate) over real HTTP: it must behave as
//! shared/docs/hivesigner-protocol.md says, or the client tests built on it prove nothing.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use fake_hivesigner::{
    consent, Consent, Dialect, Endpoint, Failure, FakeConfig, FakeHivesigner, RedirectRules,
    TokenKind, DEFAULT_EXPIRES_IN, POSTING_OPERATIONS, TOKEN_PREFIX,
};
use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const APP: &str = "myapp";
const SECRET: &str = "app-secret";
/// A loopback callback on a port other than the registered URI's (none).
const CALLBACK: &str = "http://127.0.0.1:4567/callback";

// ---------------------------------------------------------------------------------------------
// Helpers

fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn fake_with(config: FakeConfig) -> FakeHivesigner {
    let fake = FakeHivesigner::start(config).await;
    fake.register_app(
        APP,
        SECRET,
        &["http://127.0.0.1/callback", "https://app.example/cb"],
    );
    fake
}

async fn fake() -> FakeHivesigner {
    fake_with(FakeConfig::default()).await
}

/// The authorize URL for `APP`; `response_type` and `state` only when given.
fn authorize_url(
    fake: &FakeHivesigner,
    redirect: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut params = vec![
        ("client_id", APP),
        ("redirect_uri", redirect),
        ("scope", scope),
    ];
    params.extend_from_slice(extra);
    fake.authorize_url(&params)
}

/// Where the browser is sent back to; fails the test when nothing comes back.
async fn approve(
    fake: &FakeHivesigner,
    redirect: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> String {
    consent(&authorize_url(fake, redirect, scope, extra))
        .await
        .expect("the authorize page redirects back")
}

/// The query keys and values after the callback's first `?`.
fn query_pairs(location: &str) -> Vec<(String, String)> {
    let (_, query) = location.split_once('?').expect("a query string");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn keys(location: &str) -> Vec<String> {
    query_pairs(location)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

fn value(location: &str, key: &str) -> String {
    let pairs = query_pairs(location);
    let found = pairs.into_iter().find(|(name, _)| name == key);
    found.unwrap_or_else(|| panic!("{key} in {location}")).1
}

/// Decodes a token independently of the fake: `-_.` back to `+/=`, then strict base64.
fn decode(token: &str) -> Value {
    let standard: String = token
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            '.' => '=',
            other => other,
        })
        .collect();
    let json = STANDARD.decode(standard).expect("padded base64");
    serde_json::from_slice(&json).expect("a JSON statement")
}

fn kind_of(token: &str) -> String {
    decode(token)["signed_message"]["type"]
        .as_str()
        .expect("a type")
        .to_owned()
}

/// Re-encodes a statement the way the service does.
fn encode(statement: &Value) -> String {
    STANDARD
        .encode(statement.to_string())
        .replace('+', "-")
        .replace('/', "_")
        .replace('=', ".")
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn post_token(fake: &FakeHivesigner, body: Value) -> (StatusCode, Value) {
    let url = format!("{}/api/oauth2/token", fake.base_url());
    answer(
        http()
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("token call"),
    )
    .await
}

async fn me(fake: &FakeHivesigner, authorization: &str) -> (StatusCode, Value) {
    let url = format!("{}/api/me", fake.base_url());
    let request = http().post(url).header(AUTHORIZATION, authorization);
    answer(request.send().await.expect("me call")).await
}

async fn broadcast(fake: &FakeHivesigner, token: &str, operations: Value) -> (StatusCode, Value) {
    let url = format!("{}/api/broadcast", fake.base_url());
    let request = http()
        .post(url)
        .header(AUTHORIZATION, token)
        .json(&json!({ "operations": operations }));
    answer(request.send().await.expect("broadcast call")).await
}

fn error(code: &str, description: &str) -> Value {
    json!({"error": code, "error_description": description})
}

fn invalid_role() -> Value {
    error("invalid_grant", "The token has invalid role")
}

/// A code for alice through the offline (code) flow.
async fn code(fake: &FakeHivesigner) -> String {
    value(&approve(fake, CALLBACK, "offline", &[]).await, "code")
}

/// A successful code exchange's body.
async fn exchange(fake: &FakeHivesigner) -> Value {
    let code = code(fake).await;
    let (status, body) = post_token(fake, json!({"code": code, "client_secret": SECRET})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn token_field(body: &Value, field: &str) -> String {
    body[field].as_str().expect(field).to_owned()
}

fn vote(voter: &str) -> Value {
    json!(["vote", {"voter": voter, "author": "bob", "permlink": "bobs-post", "weight": 10000}])
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.chars().all(|c| c.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[tokio::test]
async fn tokens_are_signed_statements_in_the_dotted_base64_alphabet() {
    let fake = fake().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let kinds = [
        (TokenKind::Login, "login"),
        (TokenKind::Posting, "posting"),
        (TokenKind::Offline, "offline"),
        (TokenKind::Code, "code"),
        (TokenKind::Refresh, "refresh"),
    ];
    let mut padded = 0;
    for user in ["al", "bob", "carl", "alice-long"] {
        for (kind, name) in kinds {
            let token = fake.mint_token(kind, APP, user);
            assert!(token.starts_with(TOKEN_PREFIX), "{token}");
            assert!(!token.contains(['+', '/', '=']), "{token}");
            let statement = decode(&token);
            let padding = (3 - statement.to_string().len() % 3) % 3;
            let dots = token.len() - token.trim_end_matches('.').len();
            assert_eq!(dots, padding, "padding written as dots: {token}");
            padded += usize::from(padding > 0);
            assert_eq!(
                statement["signed_message"],
                json!({"type": name, "app": APP})
            );
            assert_eq!(statement["authors"], json!([user]));
            let timestamp = statement["timestamp"].as_u64().expect("a number");
            assert!(timestamp.abs_diff(now) < 60);
            let signatures = statement["signatures"].as_array().expect("signatures");
            assert_eq!(signatures.len(), 1);
            assert!(is_hex(signatures[0].as_str().unwrap(), 130));
        }
    }
    assert!(padded > 0, "some token needed padding");
}

#[tokio::test]
async fn tokens_the_fake_did_not_sign_have_invalid_role() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let mut tampered = decode(&token);
    tampered["authors"] = json!(["bob"]);
    let mut forged = decode(&token);
    forged["signatures"] = json!([format!("1f{}", "ab".repeat(64))]);
    let code = fake.mint_token(TokenKind::Code, APP, "alice");
    for bad in [
        encode(&tampered),
        encode(&forged),
        code,
        "not-a-token".into(),
    ] {
        assert_eq!(
            me(&fake, &bad).await,
            (StatusCode::UNAUTHORIZED, invalid_role())
        );
    }
    assert_eq!(me(&fake, &token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn unpadded_and_plain_base64_tokens_are_read_too() {
    let fake = fake().await;
    let token = ["al", "bob", "carl"]
        .map(|user| fake.mint_token(TokenKind::Posting, APP, user))
        .into_iter()
        .find(|token| token.ends_with('.'))
        .expect("one of these tokens is padded");
    let unpadded = token.trim_end_matches('.');
    let plain = token.replace('-', "+").replace('_', "/").replace('.', "=");
    for variant in [unpadded, plain.as_str()] {
        assert_eq!(me(&fake, variant).await.0, StatusCode::OK, "{variant}");
    }
}

// ---------------------------------------------------------------------------------------------
// Authorize

#[tokio::test]
async fn code_flow_redirects_with_code_state_and_username() {
    let fake = fake().await;
    let extra = [("response_type", "code"), ("state", "st-1")];
    let location = approve(&fake, CALLBACK, "vote,comment", &extra).await;
    assert!(
        location.starts_with(&format!("{CALLBACK}?code=")),
        "{location}"
    );
    assert_eq!(keys(&location), ["code", "state", "username"]);
    assert_eq!(value(&location, "state"), "st-1");
    assert_eq!(value(&location, "username"), "alice");
    assert_eq!(kind_of(&value(&location, "code")), "code");
    assert_eq!(fake.count(Endpoint::Authorize), 1);
}

#[tokio::test]
async fn implicit_flow_redirects_with_a_query_not_a_fragment() {
    let fake = fake().await;
    let location = approve(&fake, CALLBACK, "vote,comment", &[("state", "st-2")]).await;
    assert!(!location.contains('#'), "{location}");
    assert!(location.starts_with(&format!("{CALLBACK}?state=st-2&access_token=")));
    assert_eq!(
        keys(&location),
        ["state", "access_token", "expires_in", "username"]
    );
    assert_eq!(value(&location, "expires_in"), "604800");
    assert_eq!(kind_of(&value(&location, "access_token")), "posting");
}

#[tokio::test]
async fn scope_login_gives_a_login_token_and_offline_forces_the_code_flow() {
    let fake = fake().await;
    let login = approve(&fake, CALLBACK, "login", &[("state", "s")]).await;
    assert_eq!(kind_of(&value(&login, "access_token")), "login");

    let offline = approve(&fake, CALLBACK, "vote,offline", &[("state", "s")]).await;
    assert_eq!(keys(&offline), ["code", "state", "username"]);
    let code = value(&offline, "code");
    let body = json!({"code": code, "client_secret": SECRET});
    let access = token_field(&post_token(&fake, body).await.1, "access_token");
    assert_eq!(kind_of(&access), "posting");
}

#[tokio::test]
async fn an_empty_state_is_left_out() {
    let fake = fake().await;
    let implicit = approve(&fake, CALLBACK, "", &[("state", "")]).await;
    assert_eq!(keys(&implicit), ["access_token", "expires_in", "username"]);
    let code = approve(&fake, CALLBACK, "offline", &[]).await;
    assert_eq!(keys(&code), ["code", "username"]);
}

#[tokio::test]
async fn a_callback_with_a_query_gets_an_ampersand_or_a_second_question_mark() {
    let modern = fake().await;
    modern.register_app(APP, SECRET, &["http://127.0.0.1/cb?x=1"]);
    let location = approve(&modern, "http://127.0.0.1:9000/cb?x=1", "offline", &[]).await;
    assert!(
        location.starts_with("http://127.0.0.1:9000/cb?x=1&code="),
        "{location}"
    );

    let legacy = fake_with(FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        legacy_second_question_mark: true,
        ..FakeConfig::default()
    })
    .await;
    legacy.register_app(APP, SECRET, &["http://127.0.0.1:9000/cb?x=1"]);
    let location = approve(&legacy, "http://127.0.0.1:9000/cb?x=1", "offline", &[]).await;
    assert!(
        location.starts_with("http://127.0.0.1:9000/cb?x=1?code="),
        "{location}"
    );
}

#[tokio::test]
async fn an_unknown_app_or_redirect_uri_gets_a_bare_404() {
    let fake = fake().await;
    let unknown_app = fake.authorize_url(&[("client_id", "nobody"), ("redirect_uri", CALLBACK)]);
    let wrong_path = authorize_url(&fake, "http://127.0.0.1:4567/elsewhere", "", &[]);
    for url in [unknown_app, wrong_path] {
        let response = http().get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(response.headers().get(LOCATION).is_none());
        let body = response.text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    }
    assert_eq!(fake.count(Endpoint::Authorize), 2);
}

/// Whether the authorize page sends the browser back to `redirect`.
async fn accepted(fake: &FakeHivesigner, redirect: &str) -> bool {
    consent(&authorize_url(fake, redirect, "", &[]))
        .await
        .is_some()
}

#[tokio::test]
async fn modern_rules_allow_https_and_any_loopback_port_but_no_custom_scheme() {
    let fake = fake().await;
    fake.register_app(
        APP,
        SECRET,
        &[
            "http://127.0.0.1/callback",
            "https://app.example/cb",
            "http://app.example/cb",
            "authdeck://callback",
        ],
    );
    let cases = [
        ("http://127.0.0.1:1/callback", true),
        ("http://127.0.0.1:65000/callback", true),
        ("http://127.0.0.1:65000/other", false),
        ("http://localhost:65000/callback", false),
        ("https://app.example/cb", true),
        ("https://app.example/cb2", false),
        ("http://app.example/cb", false),
        ("authdeck://callback", false),
    ];
    for (redirect, expected) in cases {
        assert_eq!(accepted(&fake, redirect).await, expected, "{redirect}");
    }
}

#[tokio::test]
async fn legacy_rules_match_exactly_and_accept_custom_schemes() {
    let fake = fake_with(FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    })
    .await;
    fake.register_app(
        APP,
        SECRET,
        &["http://127.0.0.1:4567/callback", "authdeck://callback"],
    );
    let cases = [
        ("http://127.0.0.1:4567/callback", true),
        ("http://127.0.0.1:4568/callback", false),
        ("authdeck://callback", true),
        ("authdeck://callback/", false),
    ];
    for (redirect, expected) in cases {
        assert_eq!(accepted(&fake, redirect).await, expected, "{redirect}");
    }
}

#[tokio::test]
async fn either_generation_rules_accept_the_deep_link_and_any_loopback_port() {
    let fake = fake_with(FakeConfig {
        redirect_rules: RedirectRules::AnyGeneration,
        ..FakeConfig::default()
    })
    .await;
    fake.register_app(
        APP,
        SECRET,
        &["http://127.0.0.1/callback", "authdeck://callback"],
    );
    assert!(accepted(&fake, "authdeck://callback").await);
    assert!(accepted(&fake, "http://127.0.0.1:50123/callback").await);
    assert!(!accepted(&fake, "myapp://callback").await);
}

#[tokio::test]
async fn a_refused_request_sends_nothing_back() {
    let fake = fake().await;
    fake.set_consent(Consent::Deny);
    let url = authorize_url(&fake, CALLBACK, "offline", &[("state", "s")]);
    assert_eq!(consent(&url).await, None);
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(!response.text().await.unwrap().contains("code="));
}

#[tokio::test]
async fn the_consent_page_shows_the_request_and_approves_or_denies() {
    let fake = fake().await;
    fake.set_consent(Consent::Page);
    let state = "\"><script>x</script>";
    let url = authorize_url(&fake, CALLBACK, "offline", &[("state", state)]);
    assert_eq!(consent(&url).await, None, "the page waits for the user");
    let page = http().get(&url).send().await.unwrap().text().await.unwrap();
    for shown in [
        "@myapp",
        "offline",
        "value=\"alice\"",
        "Approve",
        "Deny",
        "/oauth2/authorize/decision",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    assert!(!page.contains("<script>"), "the state is escaped");

    let decide = |decision: &str, user: &str| {
        let form = [
            ("client_id", APP),
            ("redirect_uri", CALLBACK),
            ("scope", "offline"),
            ("response_type", ""),
            ("state", state),
            ("username", user),
            ("decision", decision),
        ];
        let url = format!("{}/oauth2/authorize/decision", fake.base_url());
        http().post(url).form(&form).send()
    };
    let approved = decide("approve", "bob").await.unwrap();
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = approved.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(keys(&location), ["code", "state", "username"]);
    assert_eq!(value(&location, "state"), state);
    assert_eq!(value(&location, "username"), "bob");

    let unknown = decide("approve", "mallory").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::OK);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("no account @mallory"));

    let denied = decide("deny", "bob").await.unwrap();
    assert_eq!(denied.status(), StatusCode::OK);
    assert!(denied.headers().get(LOCATION).is_none());
    assert!(denied.text().await.unwrap().contains("denied"));
}

#[tokio::test]
async fn shuffled_keys_come_in_varying_order() {
    let fake = fake_with(FakeConfig {
        shuffle_keys: true,
        ..FakeConfig::default()
    })
    .await;
    let mut orders = HashSet::new();
    for _ in 0..20 {
        let location = approve(&fake, CALLBACK, "", &[("state", "s")]).await;
        let mut sorted = keys(&location);
        orders.insert(sorted.clone());
        sorted.sort();
        assert_eq!(sorted, ["access_token", "expires_in", "state", "username"]);
    }
    assert!(orders.len() > 1, "{orders:?}");
}

// ---------------------------------------------------------------------------------------------
// Token endpoint

#[tokio::test]
async fn a_code_exchange_answers_exactly_the_four_fields() {
    let fake = fake().await;
    let code = code(&fake).await;
    let body = json!({
        "code": code, "client_secret": SECRET,
        "grant_type": "authorization_code", "client_id": "ignored", "redirect_uri": "x", "scope": "y",
    });
    let (status, body) = post_token(&fake, body).await;
    assert_eq!(status, StatusCode::OK);
    let fields: HashSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        HashSet::from(["access_token", "refresh_token", "expires_in", "username"])
    );
    assert_eq!(body["expires_in"], json!(604800));
    assert_eq!(body["username"], "alice");
    assert_eq!(kind_of(&token_field(&body, "access_token")), "posting");
    assert_eq!(kind_of(&token_field(&body, "refresh_token")), "refresh");
    assert_eq!(fake.count(Endpoint::CodeExchange), 1);
}

#[tokio::test]
async fn codes_can_be_exchanged_twice_and_old_refresh_tokens_keep_working() {
    let fake = fake().await;
    let code = code(&fake).await;
    for _ in 0..2 {
        let (status, _) = post_token(&fake, json!({"code": code, "client_secret": SECRET})).await;
        assert_eq!(status, StatusCode::OK);
    }
    let first = token_field(&exchange(&fake).await, "refresh_token");
    let refresh = json!({"refresh_token": first, "client_secret": SECRET});
    let (status, second) = post_token(&fake, refresh.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(token_field(&second, "refresh_token"), first);
    assert_eq!(post_token(&fake, refresh).await.0, StatusCode::OK);
    assert_eq!(fake.count(Endpoint::Refresh), 2);
    assert_eq!(fake.count(Endpoint::CodeExchange), 3);
}

#[tokio::test]
async fn the_token_endpoint_takes_a_form_and_a_trailing_slash() {
    let fake = fake().await;
    let code = code(&fake).await;
    let url = format!("{}/api/oauth2/token/", fake.base_url());
    let form = [("code", code.as_str()), ("client_secret", SECRET)];
    let (status, body) = answer(http().post(url).form(&form).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_grant() {
    let fake = fake().await;
    let code = code(&fake).await;
    let answer = post_token(&fake, json!({"code": code, "client_secret": "nope"})).await;
    let expected = error("invalid_grant", "The code or secret is not valid");
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, expected));
}

#[tokio::test]
async fn a_missing_secret_crashes_the_server_with_a_non_json_500() {
    let fake = fake().await;
    let code = code(&fake).await;
    let (status, body) = post_token(&fake, json!({"code": code})).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.is_string(), "not JSON: {body}");
}

#[tokio::test]
async fn an_authorization_header_on_the_token_call_is_read_as_the_token() {
    let fake = fake().await;
    let code = code(&fake).await;
    let access = fake.mint_token(TokenKind::Posting, APP, "alice");
    for header in [access.clone(), format!("Bearer {access}")] {
        let url = format!("{}/api/oauth2/token", fake.base_url());
        let request = http()
            .post(url)
            .header(AUTHORIZATION, header)
            .json(&json!({"code": code, "client_secret": SECRET}));
        let answer = answer(request.send().await.unwrap()).await;
        assert_eq!(answer, (StatusCode::UNAUTHORIZED, invalid_role()));
    }
}

#[tokio::test]
async fn access_tokens_are_not_grants() {
    let fake = fake().await;
    let access = fake.mint_token(TokenKind::Posting, APP, "alice");
    let answer = post_token(
        &fake,
        json!({"refresh_token": access, "client_secret": SECRET}),
    )
    .await;
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, invalid_role()));
}

// ---------------------------------------------------------------------------------------------
// /api/me

#[tokio::test]
async fn me_takes_a_raw_or_capital_bearer_header_only() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    for header in [token.clone(), format!("Bearer {token}")] {
        let (status, body) = me(&fake, &header).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&body["user"], &body["_id"], &body["name"]),
            (&json!("alice"), &json!("alice"), &json!("alice"))
        );
        assert_eq!(body["account"]["name"], "alice");
        assert_eq!(body["user_metadata"], json!({}));
    }
    let lowercase = me(&fake, &format!("bearer {token}")).await;
    assert_eq!(lowercase, (StatusCode::UNAUTHORIZED, invalid_role()));
    let url = format!("{}/api/me", fake.base_url());
    let no_header = answer(http().get(url).send().await.unwrap()).await;
    assert_eq!(no_header, (StatusCode::UNAUTHORIZED, invalid_role()));
    assert_eq!(fake.count(Endpoint::Me), 4);
}

#[tokio::test]
async fn me_reports_login_or_the_posting_operations_as_scope() {
    let fake = fake().await;
    let login = fake.mint_token(TokenKind::Login, APP, "alice");
    assert_eq!(me(&fake, &login).await.1["scope"], json!(["login"]));
    let posting = fake.mint_token(TokenKind::Posting, APP, "alice");
    let expected = json!([
        "vote",
        "comment",
        "delete_comment",
        "comment_options",
        "custom_json",
        "claim_reward_balance",
        "account_update2"
    ]);
    assert_eq!(me(&fake, &posting).await.1["scope"], expected);
    assert_eq!(json!(POSTING_OPERATIONS), expected);
}

// ---------------------------------------------------------------------------------------------
// /api/broadcast

#[tokio::test]
async fn a_broadcast_by_the_user_is_accepted_and_recorded() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let follow = json!(["custom_json", {"required_auths": [], "required_posting_auths": ["alice"], "id": "follow",
        "json": "[\"follow\",{\"follower\":\"alice\",\"following\":\"bob\",\"what\":[\"blog\"]}]"}]);
    let claim = json!(["claim_reward_balance", {"account": "alice", "reward_hive": "0.000 HIVE",
        "reward_hbd": "0.000 HBD", "reward_vests": "1.000000 VESTS"}]);
    let first = json!([vote("alice"), follow]);
    let second = json!([claim]);
    for operations in [&first, &second] {
        let (status, body) = broadcast(&fake, &token, operations.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "only result: {body}");
        assert!(is_hex(body["result"]["id"].as_str().unwrap(), 40), "{body}");
    }
    assert_eq!(fake.broadcasts(), vec![first, second]);
}

#[tokio::test]
async fn a_broadcast_outside_the_posting_scope_is_invalid_scope() {
    let fake = fake().await;
    let posting = fake.mint_token(TokenKind::Posting, APP, "alice");
    let transfer =
        json!(["transfer", {"from": "alice", "to": "bob", "amount": "1.000 HIVE", "memo": ""}]);
    let answer = broadcast(&fake, &posting, json!([vote("alice"), transfer])).await;
    let expected = "The access_token scope does not allow the following operation(s): transfer";
    assert_eq!(
        answer,
        (StatusCode::UNAUTHORIZED, error("invalid_scope", expected))
    );

    let login = fake.mint_token(TokenKind::Login, APP, "alice");
    let answer = broadcast(&fake, &login, json!([vote("alice")])).await;
    let expected = "The access_token scope does not allow the following operation(s): vote";
    assert_eq!(
        answer,
        (StatusCode::UNAUTHORIZED, error("invalid_scope", expected))
    );
    assert!(fake.broadcasts().is_empty());
}

#[tokio::test]
async fn a_broadcast_for_another_author_is_unauthorized_client() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let expected = error(
        "unauthorized_client",
        "This access_token allow you to broadcast transaction only for the account @alice",
    );
    let for_bob = [
        vote("bob"),
        json!(["comment", {"parent_author": "", "parent_permlink": "x", "author": "bob", "permlink": "p",
            "title": "t", "body": "b", "json_metadata": ""}]),
        json!(["delete_comment", {"author": "bob", "permlink": "p"}]),
        json!(["custom_json", {"required_auths": [], "required_posting_auths": ["bob"], "id": "follow", "json": "[]"}]),
        json!(["custom_json", {"required_auths": [], "required_posting_auths": [], "id": "follow", "json": "[]"}]),
        json!(["claim_reward_balance", {"account": "bob"}]),
    ];
    for operation in for_bob {
        let answer = broadcast(&fake, &token, json!([vote("alice"), operation])).await;
        assert_eq!(
            answer,
            (StatusCode::UNAUTHORIZED, expected.clone()),
            "{operation}"
        );
    }
    assert!(fake.broadcasts().is_empty());
}

#[tokio::test]
async fn a_broadcast_without_an_operations_array_is_a_server_error() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    for operations in [
        json!(null),
        json!([]),
        json!([["vote"]]),
        json!({"vote": {}}),
    ] {
        let (status, body) = broadcast(&fake, &token, operations).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "server_error");
    }
}

#[tokio::test]
async fn removed_authority_and_chain_refusals_fail_the_broadcast() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    fake.revoke_app_authority("alice", true);
    let expected = error(
        "unauthorized_client",
        "The app @myapp doesn't have permission to broadcast for @alice",
    );
    assert_eq!(
        broadcast(&fake, &token, json!([vote("alice")])).await,
        (StatusCode::UNAUTHORIZED, expected)
    );
    fake.revoke_app_authority("alice", false);

    let message = "Voting weight is too small, please accumulate more voting power or steem power.";
    fake.fail_chain_next(message);
    let (status, body) = broadcast(&fake, &token, json!([vote("alice")])).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        (&body["error"], &body["error_description"]),
        (&json!("server_error"), &json!(message))
    );
    assert!(body["response"].is_object(), "{body}");
    assert_eq!(
        broadcast(&fake, &token, json!([vote("alice")])).await.0,
        StatusCode::OK
    );
    assert_eq!(fake.broadcasts().len(), 1);
}

#[tokio::test]
async fn the_full_broadcast_result_has_the_documented_shape() {
    let fake = fake().await;
    fake.full_broadcast_result(true);
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let operations = json!([vote("alice")]);
    let (status, body) = broadcast(&fake, &token, operations.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.as_object().unwrap().contains_key("errors") && body["errors"].is_null());
    let result = &body["result"];
    assert!(is_hex(result["id"].as_str().unwrap(), 40));
    assert!(result["ref_block_num"].is_u64());
    assert_eq!(result["operations"], operations);
    assert_eq!(result["signatures"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Revocation

#[tokio::test]
async fn revoke_answers_success_and_changes_nothing_on_hivesigner() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let url = format!("{}/api/oauth2/token/revoke", fake.base_url());
    let answer = answer(
        http()
            .post(url)
            .header(AUTHORIZATION, &token)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer, (StatusCode::OK, json!({"success": true})));
    assert_eq!(me(&fake, &token).await.0, StatusCode::OK);
    assert_eq!(fake.count(Endpoint::Revoke), 1);

    let page = http()
        .get(format!("{}/revoke/{APP}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("@myapp"));
}

async fn revoke_call(
    fake: &FakeHivesigner,
    authorization: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let url = format!("{}/api/oauth2/token/revoke", fake.base_url());
    let mut request = http().post(url).json(&body);
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    answer(request.send().await.expect("revoke call")).await
}

#[tokio::test]
async fn revoke_reads_the_authorization_header_never_a_token_field() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let success = (StatusCode::OK, json!({"success": true}));
    let refused = (StatusCode::UNAUTHORIZED, invalid_role());

    assert_eq!(revoke_call(&fake, Some(&token), json!({})).await, success);
    let header_and_field = revoke_call(&fake, Some(&token), json!({"token": token})).await;
    assert_eq!(header_and_field, success);
    let bearer = format!("Bearer {token}");
    assert_eq!(revoke_call(&fake, Some(&bearer), json!({})).await, success);

    // What Authdeck used to send: the real server never reads `token`.
    assert_eq!(
        revoke_call(&fake, None, json!({"token": token})).await,
        refused
    );
    assert_eq!(revoke_call(&fake, None, json!({})).await, refused);
    let lowercase = format!("bearer {token}");
    assert_eq!(
        revoke_call(&fake, Some(&lowercase), json!({})).await,
        refused
    );
    // Where every route reads a token, revoke does too.
    let as_field = revoke_call(&fake, None, json!({"access_token": token})).await;
    assert_eq!(as_field, success);
    // A code is not an access token.
    let code = fake.mint_token(TokenKind::Code, APP, "alice");
    assert_eq!(revoke_call(&fake, Some(&code), json!({})).await, refused);
    assert_eq!(fake.count(Endpoint::Revoke), 8);
    // Nothing changed: Hivesigner keeps no token table.
    assert_eq!(me(&fake, &token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn me_reads_access_token_in_the_query_or_the_body_never_token() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let url = format!("{}/api/me", fake.base_url());

    let in_query = http()
        .get(&url)
        .query(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = answer(in_query).await;
    assert_eq!((status, &body["user"]), (StatusCode::OK, &json!("alice")));

    for body in [
        http().post(&url).json(&json!({"access_token": token})),
        http().post(&url).form(&[("access_token", token.as_str())]),
    ] {
        let (status, body) = answer(body.send().await.unwrap()).await;
        assert_eq!((status, &body["user"]), (StatusCode::OK, &json!("alice")));
    }

    let refused = (StatusCode::UNAUTHORIZED, invalid_role());
    let token_in_query = http().get(&url).query(&[("token", token.as_str())]);
    assert_eq!(answer(token_in_query.send().await.unwrap()).await, refused);
    let token_in_body = http().post(&url).json(&json!({"token": token}));
    assert_eq!(answer(token_in_body.send().await.unwrap()).await, refused);
    assert_eq!(fake.count(Endpoint::Me), 5);
}

#[tokio::test]
async fn every_route_takes_a_capital_bearer_or_basic_prefix_but_not_lowercase_bearer() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let vote =
        json!([["vote", {"voter": "alice", "author": "bob", "permlink": "p", "weight": 100}]]);
    for prefix in ["Bearer ", "Basic "] {
        let header = format!("{prefix}{token}");
        assert_eq!(me(&fake, &header).await.0, StatusCode::OK, "{prefix}");
        assert_eq!(
            broadcast(&fake, &header, vote.clone()).await.0,
            StatusCode::OK
        );
    }
    let refused = (StatusCode::UNAUTHORIZED, invalid_role());
    let lowercase = format!("bearer {token}");
    assert_eq!(me(&fake, &lowercase).await, refused);
    assert_eq!(broadcast(&fake, &lowercase, vote.clone()).await, refused);
    let basic_lowercase = format!("basic {token}");
    assert_eq!(me(&fake, &basic_lowercase).await, refused);

    // The broadcast body may carry the token too, as `access_token`, never as `token`.
    let url = format!("{}/api/broadcast", fake.base_url());
    let with_field = |field: &str| {
        http()
            .post(&url)
            .json(&json!({ "operations": vote, field: token }))
    };
    let accepted = answer(with_field("access_token").send().await.unwrap()).await;
    assert_eq!(accepted.0, StatusCode::OK);
    let refused_field = answer(with_field("token").send().await.unwrap()).await;
    assert_eq!(refused_field, refused);
    assert_eq!(fake.broadcasts().len(), 3);
}

#[tokio::test]
async fn the_token_endpoint_reads_grants_where_every_route_does() {
    let fake = fake().await;
    let code = code(&fake).await;
    // In the query string, the body carrying only the secret.
    let url = format!("{}/api/oauth2/token", fake.base_url());
    let in_query = http()
        .post(&url)
        .query(&[("code", code.as_str())])
        .json(&json!({"client_secret": SECRET}))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(in_query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A field named `token` is no grant.
    let (status, body) = post_token(&fake, json!({"token": code, "client_secret": SECRET})).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, invalid_role()));
}

// ---------------------------------------------------------------------------------------------
// Knobs

#[tokio::test]
async fn queued_failures_play_once_each_per_endpoint() {
    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    fake.fail_next(Endpoint::Me, Failure::ServerError);
    fake.fail_next(Endpoint::Me, Failure::NodeFailure);
    fake.fail_next(Endpoint::Broadcast, Failure::GarbageJson);

    let (status, body) = me(&fake, &token).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::INTERNAL_SERVER_ERROR, &json!("server_error"))
    );
    let (status, body) = me(&fake, &token).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert!(body["error_description"].is_string());
    assert_eq!(me(&fake, &token).await.0, StatusCode::OK);

    let (status, body) = broadcast(&fake, &token, json!([vote("alice")])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_string(), "not JSON: {body}");
    assert!(fake.broadcasts().is_empty());
    assert_eq!(
        (fake.count(Endpoint::Me), fake.count(Endpoint::Broadcast)),
        (3, 1)
    );
}

#[tokio::test]
async fn a_delay_answers_normally_afterwards() {
    let fake = fake().await;
    let code = code(&fake).await;
    fake.fail_next(
        Endpoint::CodeExchange,
        Failure::Delay(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let (status, _) = post_token(&fake, json!({"code": code, "client_secret": SECRET})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn expiry_is_enforced_only_when_asked_and_not_on_refresh_tokens() {
    let fake = fake().await;
    let tokens = exchange(&fake).await;
    let access = token_field(&tokens, "access_token");
    fake.expire_all_tokens();
    assert_eq!(
        me(&fake, &access).await.0,
        StatusCode::OK,
        "not enforced yet"
    );

    fake.enforce_expiry(true);
    let (status, body) = me(&fake, &access).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("invalid_grant"))
    );

    let refresh =
        json!({"refresh_token": token_field(&tokens, "refresh_token"), "client_secret": SECRET});
    let (status, renewed) = post_token(&fake, refresh).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me(&fake, &token_field(&renewed, "access_token")).await.0,
        StatusCode::OK
    );

    fake.set_expires_in(0);
    let fresh = fake.mint_token(TokenKind::Posting, APP, "alice");
    assert_eq!(
        me(&fake, &fresh).await.0,
        StatusCode::UNAUTHORIZED,
        "0 s lifetime"
    );
}

#[tokio::test]
async fn tokens_minted_in_the_past_expire_by_age() {
    let fake = fake().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let week_old = now - DEFAULT_EXPIRES_IN - 1;
    let old = fake.mint_token_at(TokenKind::Posting, APP, "alice", week_old);
    assert_eq!(decode(&old)["timestamp"], json!(week_old));
    assert_eq!(me(&fake, &old).await.0, StatusCode::OK, "not enforced yet");
    fake.enforce_expiry(true);
    assert_eq!(me(&fake, &old).await.0, StatusCode::UNAUTHORIZED);
    let young = fake.mint_token_at(TokenKind::Posting, APP, "alice", now - 60);
    assert_eq!(me(&fake, &young).await.0, StatusCode::OK);
}

#[tokio::test]
async fn expires_in_is_announced_as_set() {
    let fake = fake().await;
    assert_eq!(
        exchange(&fake).await["expires_in"],
        json!(DEFAULT_EXPIRES_IN)
    );
    fake.set_expires_in(3600);
    assert_eq!(exchange(&fake).await["expires_in"], json!(3600));
    let implicit = approve(&fake, CALLBACK, "", &[]).await;
    assert_eq!(value(&implicit, "expires_in"), "3600");
}

#[tokio::test]
async fn refused_refresh_is_invalid_grant_but_codes_still_work() {
    let fake = fake().await;
    let refresh = token_field(&exchange(&fake).await, "refresh_token");
    fake.refuse_refresh(true);
    let answer = post_token(
        &fake,
        json!({"refresh_token": refresh, "client_secret": SECRET}),
    )
    .await;
    assert_eq!(answer, (StatusCode::UNAUTHORIZED, invalid_role()));
    exchange(&fake).await;
}

#[tokio::test]
async fn the_server_stops_when_the_handle_is_dropped() {
    let fake = fake().await;
    let url = format!("{}/api/me", fake.base_url());
    assert!(http().get(&url).send().await.is_ok());
    drop(fake);
    let deadline = Instant::now() + Duration::from_secs(5);
    while http().get(&url).send().await.is_ok() {
        assert!(Instant::now() < deadline, "still answering after the drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Steemconnect v2 dialect

async fn steemconnect() -> FakeHivesigner {
    fake_with(FakeConfig {
        dialect: Dialect::SteemconnectV2,
        ..FakeConfig::default()
    })
    .await
}

async fn post_form(fake: &FakeHivesigner, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = format!("{}/api/oauth2/token/", fake.base_url());
    answer(http().post(url).form(form).send().await.unwrap()).await
}

/// The Steemconnect v2 form exchange of the code in `location`.
async fn steemconnect_exchange(fake: &FakeHivesigner, location: &str) -> (StatusCode, Value) {
    let code = value(location, "code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_id", APP),
        ("client_secret", SECRET),
    ];
    post_form(fake, &form).await
}

#[tokio::test]
async fn steemconnect_gives_a_refresh_token_only_for_offline() {
    let fake = steemconnect().await;
    let plain = approve(&fake, CALLBACK, "vote", &[("response_type", "code")]).await;
    let offline = approve(&fake, CALLBACK, "offline", &[]).await;
    let (status, body) = steemconnect_exchange(&fake, &plain).await;
    assert_eq!(status, StatusCode::OK);
    let fields: HashSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        HashSet::from(["access_token", "expires_in", "username"])
    );

    let (status, body) = steemconnect_exchange(&fake, &offline).await;
    assert_eq!(status, StatusCode::OK);
    let refresh = token_field(&body, "refresh_token");
    let form = [
        ("refresh_token", refresh.as_str()),
        ("client_id", APP),
        ("client_secret", SECRET),
        ("scope", "offline"),
    ];
    let (status, body) = post_form(&fake, &form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn steemconnect_checks_the_client_id_and_does_not_crash_without_a_secret() {
    let fake = steemconnect().await;
    let code = code(&fake).await;
    let expected = (
        StatusCode::UNAUTHORIZED,
        error("invalid_grant", "The code or secret is not valid"),
    );
    let wrong_client = [
        ("code", code.as_str()),
        ("client_id", "other"),
        ("client_secret", SECRET),
    ];
    assert_eq!(post_form(&fake, &wrong_client).await, expected);
    let no_secret = [("code", code.as_str()), ("client_id", APP)];
    assert_eq!(post_form(&fake, &no_secret).await, expected);
}

#[tokio::test]
async fn steemconnect_sorts_callback_keys_and_really_revokes() {
    let fake = steemconnect().await;
    let location = approve(&fake, CALLBACK, "", &[("state", "s")]).await;
    assert_eq!(
        keys(&location),
        ["access_token", "expires_in", "state", "username"]
    );
    let token = value(&location, "access_token");
    let url = format!("{}/api/oauth2/token/revoke", fake.base_url());
    let answer = answer(
        http()
            .post(url)
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer, (StatusCode::OK, json!({"success": true})));
    assert_eq!(
        me(&fake, &token).await,
        (StatusCode::UNAUTHORIZED, invalid_role())
    );
}
