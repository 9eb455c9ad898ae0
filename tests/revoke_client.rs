//! The core's token client against the fake Hivesigner: a revoke goes out in the
//! `Authorization` header and is understood by both dialects. (Moved from the fake's own tests,
//! `crates/fake-hivesigner/tests/fake_hivesigner.rs`, which cannot depend on the core.)

use std::time::Duration;

use fake_hivesigner::{Dialect, Endpoint, FakeConfig, FakeHivesigner, TokenKind, TOKEN_PREFIX};
use reqwest::header::AUTHORIZATION;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const APP: &str = "myapp";
const SECRET: &str = "app-secret";

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

async fn steemconnect() -> FakeHivesigner {
    fake_with(FakeConfig {
        dialect: Dialect::SteemconnectV2,
        ..FakeConfig::default()
    })
    .await
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn me(fake: &FakeHivesigner, authorization: &str) -> (StatusCode, Value) {
    let url = format!("{}/api/me", fake.base_url());
    let request = http().post(url).header(AUTHORIZATION, authorization);
    answer(request.send().await.expect("me call")).await
}

fn invalid_role() -> Value {
    json!({"error": "invalid_grant", "error_description": "The token has invalid role"})
}

#[tokio::test]
async fn the_client_revokes_at_the_fake_with_the_authorization_header() {
    use authdeck::oauth::token::TokenClient;
    use authdeck::provider::{Preset, Provider};
    use secrecy::SecretString;

    let fake = fake().await;
    let token = fake.mint_token(TokenKind::Posting, APP, "alice");
    let provider = Provider::new(Preset::HivesignerCompatible, Some(&fake.base_url())).unwrap();
    let client = TokenClient::new(Duration::from_secs(10)).unwrap();
    let access = SecretString::from(token.clone());
    client.revoke(&provider, &access).await.expect("revoked");
    assert_eq!(fake.count(Endpoint::Revoke), 1);
    // A token the fake never issued is refused, as by the real server.
    let forged = SecretString::from(format!("{TOKEN_PREFIX}forged"));
    let refused = client.revoke(&provider, &forged).await.unwrap_err();
    assert!(
        matches!(&refused, authdeck::oauth::token::CallError::Refused { status: 401, error, .. } if error == "invalid_grant"),
        "{refused:?}"
    );

    // SteemLogin's dialect keeps working with the same call.
    let steem = steemconnect().await;
    let token = steem.mint_token(TokenKind::Posting, APP, "alice");
    let provider = Provider::new(Preset::SteemconnectCompatible, Some(&steem.base_url())).unwrap();
    client
        .revoke(&provider, &SecretString::from(token.clone()))
        .await
        .expect("revoked on steemconnect");
    assert_eq!(
        me(&steem, &token).await,
        (StatusCode::UNAUTHORIZED, invalid_role())
    );
}
