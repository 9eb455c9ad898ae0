//! The fake "apps tab" token site over real HTTP: consent (the page, its form and the
//! `/_fake/...` links), a redirect with the token and no state, raw `Authorization` and the
//! recorded header forms, the identity path, personal tokens, messages, the settings page and
//! revoking there.

use std::collections::HashMap;

use fake_hivesigner::token_site::{Consent, FakeTokenSite, HeaderForm, TokenSiteConfig};
use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

/// A site whose consent is the page with its form.
async fn page_site() -> FakeTokenSite {
    site_with(TokenSiteConfig {
        consent: Consent::Page,
        ..TokenSiteConfig::default()
    })
    .await
}

/// GETs `url`, which must redirect to the app's callback with a query and no fragment, and
/// returns the query's fields.
async fn redirect_query(url: &str) -> Vec<(String, String)> {
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let url = url::Url::parse(location).unwrap();
    assert_eq!(url.fragment(), None);
    url.query_pairs().into_owned().collect()
}

/// Follows the consent redirect and returns its query fields.
async fn approve(site: &FakeTokenSite) -> HashMap<String, String> {
    redirect_query(&site.authorize_url(APP))
        .await
        .into_iter()
        .collect()
}

/// The token of `user`'s approval through the `/_fake/approve` link: the redirect's only field.
async fn approved_token(site: &FakeTokenSite, user: &str) -> String {
    let query = redirect_query(&site.approve_url(APP, user)).await;
    assert_eq!(query.len(), 1, "{query:?}");
    assert_eq!(query[0].0, "token");
    query[0].1.clone()
}

/// POSTs `body` as JSON to `/api/messages`, with `authorization` as the header if any.
async fn post_message(
    site: &FakeTokenSite,
    authorization: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = http()
        .post(format!("{}/api/messages", site.base_url()))
        .json(&body);
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// POSTs `form` to the consent form's `/authorize/`, as its buttons do.
async fn decide(site: &FakeTokenSite, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(format!("{}/authorize/", site.base_url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn get(site: &FakeTokenSite, path: &str, authorization: &str) -> (StatusCode, Value) {
    let response = http()
        .get(format!("{}{path}", site.base_url()))
        .header(AUTHORIZATION, authorization)
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
async fn the_token_param_is_configurable_and_state_never_comes_back() {
    let site = site_with(TokenSiteConfig {
        token_param: "access_token".into(),
        ..TokenSiteConfig::default()
    })
    .await;
    let query = approve(&site).await;
    assert!(query.contains_key("access_token"));
    assert!(!query.contains_key("token"));

    let url = format!(
        "{}&state=s1&redirect_uri=http://evil.test/",
        site.authorize_url(APP)
    );
    let query = redirect_query(&url).await;
    assert_eq!(query.len(), 1, "{query:?}");
    assert_eq!(query[0].0, "access_token");
}

#[tokio::test]
async fn consent_page_and_deny_and_unknown_apps() {
    let site = site_with(TokenSiteConfig::default()).await;
    site.set_consent(Consent::Page);
    let page = http().get(site.authorize_url(APP)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<form"));
    let approved = decide(&site, &[("client_id", APP), ("user", "bob")]).await;
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

#[tokio::test]
async fn approve_and_deny_links_work_whatever_the_consent() {
    let site = page_site().await;
    let token = approved_token(&site, "bob").await;
    assert!(site.is_authorized("bob", APP));
    let (status, me) = get(&site, "/@me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "bob");
    assert!(me["id"].is_u64());

    let denied = redirect_query(&site.deny_url(APP)).await;
    assert_eq!(denied, vec![("error".into(), "access_denied".into())]);
    let unknown = http().get(site.deny_url("nope")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let nobody = http().get(site.approve_url(APP, " ")).send().await.unwrap();
    assert_eq!(nobody.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_consent_forms_deny_button_redirects_with_access_denied() {
    let site = page_site().await;
    let page = http().get(site.authorize_url(APP)).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("value=deny") && html.contains("value=approve"),
        "{html}"
    );
    let response = decide(&site, &[("client_id", APP), ("decision", "deny")]).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert_eq!(location, format!("{CALLBACK}?error=access_denied"));
    assert!(!site.is_authorized("alice", APP));
}

#[tokio::test]
async fn messages_take_json_with_the_raw_token() {
    let site = site_with(TokenSiteConfig::default()).await;
    let token = approved_token(&site, "alice").await;
    let body = json!({"to": "bob", "text": "hello"});

    let (status, answer) = post_message(&site, None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["error"], "invalid_token");
    let bearer = format!("Bearer {token}");
    let (status, _) = post_message(&site, Some(&bearer), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(site.last_header_form(), Some(HeaderForm::Bearer));
    assert_eq!(site.last_message_body(), None);

    let (status, answer) = post_message(&site, Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        answer,
        json!({"id": 1, "from": "alice", "to": "bob", "text": "hello"})
    );
    assert_eq!(site.last_message_body(), Some(body));
    assert_eq!(site.last_header_form(), Some(HeaderForm::Raw));
    assert_eq!(site.messages(), vec![answer.clone()]);
    let (status, list) = get(&site, "/api/messages", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["messages"], json!([answer]));

    let (status, answer) = post_message(&site, Some(&token), json!({"to": "bob"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "invalid_request");
    assert_eq!(site.last_message_body(), Some(json!({"to": "bob"})));
    let form = http()
        .post(format!("{}/api/messages", site.base_url()))
        .header(AUTHORIZATION, &token)
        .form(&[("to", "bob"), ("text", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(site.messages().len(), 1);
}

#[tokio::test]
async fn require_bearer_applies_to_every_api() {
    let site = site_with(TokenSiteConfig {
        require_bearer: true,
        ..TokenSiteConfig::default()
    })
    .await;
    let token = approved_token(&site, "alice").await;
    let body = json!({"to": "bob", "text": "hello"});
    let (status, _) = post_message(&site, Some(&token), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = post_message(&site, Some(&format!("Bearer {token}")), body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        get(&site, "/unread", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn every_request_is_recorded_with_its_header_form() {
    let site = site_with(TokenSiteConfig::default()).await;
    assert_eq!(site.last_header_form(), None);
    let token = approved_token(&site, "alice").await;
    get(&site, "/@me", &token).await;
    get(&site, "/@me", &format!("bearer {token}")).await;
    get(&site, "/unread", "Token abc").await;
    http()
        .get(format!("{}/?sort=comments", site.base_url()))
        .send()
        .await
        .unwrap();
    let seen: Vec<_> = site
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.header_form, r.user))
        .collect();
    let alice = Some("alice".to_owned());
    assert_eq!(
        seen,
        vec![
            (
                "GET".into(),
                "/_fake/approve".into(),
                HeaderForm::Missing,
                None
            ),
            ("GET".into(), "/@me".into(), HeaderForm::Raw, alice),
            ("GET".into(), "/@me".into(), HeaderForm::Bearer, None),
            ("GET".into(), "/unread".into(), HeaderForm::Other, None),
            ("GET".into(), "/".into(), HeaderForm::Missing, None),
        ]
    );
    assert_eq!(site.last_authorization(), None);
    assert_eq!(site.calls("/@me"), 2);
}

#[tokio::test]
async fn a_revoked_app_answers_401_everywhere_until_approved_again() {
    let site = site_with(TokenSiteConfig::default()).await;
    let old = approved_token(&site, "alice").await;
    let bobs = approved_token(&site, "bob").await;
    site.revoke_on_settings_page("alice", APP);
    assert!(!site.is_authorized("alice", APP));
    assert!(site.is_authorized("bob", APP));
    for path in ["/@me", "/unread", "/api/messages"] {
        let (status, answer) = get(&site, path, &old).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer["error"], "invalid_token");
    }
    let body = json!({"to": "bob", "text": "hello"});
    assert_eq!(
        post_message(&site, Some(&old), body).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(get(&site, "/@me", &bobs).await.0, StatusCode::OK);
    let new = approved_token(&site, "alice").await;
    assert_ne!(new, old);
    assert_eq!(get(&site, "/@me", &new).await.0, StatusCode::OK);
}

#[tokio::test]
async fn identity_ids_are_stable_per_user() {
    let site = site_with(TokenSiteConfig::default()).await;
    let alice = site.mint_personal_token("alice");
    let bob = site.mint_personal_token("bob");
    let first = get(&site, "/@me", &alice).await.1["id"].clone();
    let other = get(&site, "/@me", &bob).await.1["id"].clone();
    let again = get(&site, "/@me", &alice).await.1["id"].clone();
    assert_eq!(first, again);
    assert_ne!(first, other);
}
