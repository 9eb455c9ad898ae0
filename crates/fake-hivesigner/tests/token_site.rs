//! The fake "apps tab" token site over real HTTP: consent, a redirect with the token and no
//! state, raw `Authorization`, the identity path, personal tokens, the settings page.

use std::collections::HashMap;

use fake_hivesigner::token_site::{Consent, FakeTokenSite, TokenSiteConfig};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;

const APP: &str = "authdeck";
const CALLBACK: &str = "http://127.0.0.1:4567/cb";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn site_with(config: TokenSiteConfig) -> FakeTokenSite {
    let site = FakeTokenSite::start(config).await;
    site.register_app(APP, CALLBACK);
    site
}

/// Follows the consent redirect and returns its query fields.
async fn approve(site: &FakeTokenSite) -> HashMap<String, String> {
    let response = http().get(site.authorize_url(APP)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

async fn get(site: &FakeTokenSite, path: &str, authorization: &str) -> (StatusCode, Value) {
    let response = http()
        .get(format!("{}{path}", site.base_url()))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn consent_redirects_with_the_token_and_no_state() {
    let site = site_with(TokenSiteConfig::default()).await;
    let query = approve(&site).await;
    assert_eq!(query.len(), 1, "{query:?}");
    assert!(!query["token"].is_empty());
    assert!(!query.contains_key("state"));
    assert_eq!(site.calls("/authorize/"), 1);
}

#[tokio::test]
async fn the_token_param_can_be_access_token() {
    let config = TokenSiteConfig {
        token_param: "access_token".into(),
        ..TokenSiteConfig::default()
    };
    let site = site_with(config).await;
    let query = approve(&site).await;
    assert!(query.contains_key("access_token"));
    assert!(!query.contains_key("token"));
}

#[tokio::test]
async fn consent_page_and_deny_and_unknown_apps() {
    let site = site_with(TokenSiteConfig::default()).await;
    site.set_consent(Consent::Page);
    let page = http().get(site.authorize_url(APP)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<form"));
    let approved = http()
        .post(format!("{}/authorize/", site.base_url()))
        .form(&[("client_id", APP), ("user", "bob")])
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::FOUND);
    let location = approved.headers()[LOCATION].to_str().unwrap();
    let token = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .next()
        .unwrap()
        .1
        .into_owned();
    let (_, me) = get(&site, "/@me", &token).await;
    assert_eq!(me["username"], "bob");

    site.set_consent(Consent::Deny);
    let denied = http().get(site.authorize_url(APP)).send().await.unwrap();
    assert_eq!(denied.status(), StatusCode::OK);
    let unknown = http().get(site.authorize_url("nope")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let slashless = http()
        .get(format!("{}/authorize?client_id={APP}", site.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(slashless.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        slashless.headers()[LOCATION],
        format!("/authorize/?client_id={APP}").as_str()
    );
}

#[tokio::test]
async fn raw_authorization_is_the_token_and_bearer_is_not() {
    let site = site_with(TokenSiteConfig::default()).await;
    let token = approve(&site).await["token"].clone();
    let (status, me) = get(&site, "/@me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(site.last_authorization().as_deref(), Some(token.as_str()));
    let (status, _) = get(&site, "/@me", &format!("Bearer {token}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(&site, "/@me", "forged").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn require_bearer_knob_and_identity_path() {
    let config = TokenSiteConfig {
        require_bearer: true,
        identity_path: "/api/me".into(),
        ..TokenSiteConfig::default()
    };
    let site = site_with(config).await;
    let token = approve(&site).await["token"].clone();
    let (status, me) = get(&site, "/api/me", &format!("Bearer {token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    let (status, _) = get(&site, "/api/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(&site, "/@me", &format!("Bearer {token}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn personal_tokens_front_page_unread_and_settings() {
    let site = site_with(TokenSiteConfig::default()).await;
    let token = site.mint_personal_token("carol");
    site.push_unread("carol", "you have a reply");
    let (status, me) = get(&site, "/@me", &token).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("carol"))
    );
    let (status, unread) = get(&site, "/unread", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unread["unread"][0]["text"], "you have a reply");
    let (status, _) = get(&site, "/unread", "forged").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, front) = get(&site, "/?sort=comments", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(front["sort"], "comments");
    assert!(front["items"].as_array().unwrap().len() > 1);
    let settings = http()
        .get(format!("{}/settings/apps", site.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::OK);
    assert!(settings
        .text()
        .await
        .unwrap()
        .contains("Authorized applications"));
}

#[tokio::test]
async fn revoking_on_the_settings_page_kills_the_apps_tokens_only() {
    let site = site_with(TokenSiteConfig::default()).await;
    let app_token = approve(&site).await["token"].clone();
    let personal = site.mint_personal_token("alice");
    site.revoke_on_settings_page("alice", APP);
    assert_eq!(
        get(&site, "/@me", &app_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&site, "/@me", &personal).await.0, StatusCode::OK);
}
