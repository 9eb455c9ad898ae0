//! The API console ("Requests" view): through the real window over WebDriver against the fake
//! token site (a GET showing its JSON, a POST whose body and raw `Authorization` header reach
//! the site, a path naming another host refused at the field with nothing sent, the token
//! never in the page, the activity log and a re-run), and through the core against the fake
//! OAuth 2.0 server (one refresh and one retry of a GET refused for its token, never of a
//! POST) and against canned servers (an echoed token redacted, an error status logged, a lost
//! answer of a POST that may have been sent).
//!
//! They need the test session's keyring (and the window ones a display and the drivers): run
//! them through `scripts/test.sh`, or
//! `scripts/session.sh cargo test --test e2e_console -- --include-ignored`.
//! `AUTHDECK_SCREENSHOTS=docs` also writes the README's `docs/screenshots/api-console.png`.

mod support;

use std::path::{Path, PathBuf};

use authdeck::activity::{ActivityEntry, ActivityFilter};
use authdeck::console::{ApiReply, ApiRequest};
use authdeck::error::Error;
use fake_hivesigner::oauth2::{Endpoint, OAuth2Config};
use fake_hivesigner::token_site::{FakeTokenSite, HeaderForm, TokenSiteConfig};
use fantoccini::Locator;
use serde_json::{json, Value};
use support::app::{exclusive, poll_until, AppSession, UI_TIMEOUT};
use support::kinds::{site_app_input, test_settings, Canned, Core, OAuthDeck, SiteDeck};

/// Where the walk-through keeps its pictures for review (`target/screenshots/`).
fn shot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(name)
}

/// A request of the console's form, from its JSON (camelCase, as the window sends it).
fn request(fields: Value) -> ApiRequest {
    serde_json::from_value(fields).expect("a well-formed ApiRequest")
}

/// The text of `value` (a reply, a list), for "the token is not in it" checks.
fn text_of(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

/// A `POST /api/messages` as the account `id`, with `body` of `kind` (`json`, `form`).
fn post_message(id: i64, kind: &str, body: &str) -> ApiRequest {
    request(json!({
        "accountId": id, "method": "POST", "path": "/api/messages",
        "bodyKind": kind, "body": body,
    }))
}

/// The API requests in the activity log, newest first.
fn api_requests(core: &Core) -> Vec<ActivityEntry> {
    let only_requests = ActivityFilter {
        kind: Some("api_request".into()),
        ..ActivityFilter::default()
    };
    core.core
        .broadcaster()
        .list_activity(&only_requests)
        .unwrap()
}

/// The field an error names (panics for an error without one).
fn field_of(err: &Error) -> &'static str {
    match err {
        Error::InvalidInput { field, .. } => field,
        other => panic!("not a field error: {other:?}"),
    }
}

/// Registers the token-site app `client_id` at `base_url` in the window and adds `token` as a
/// personal token; returns the account's id.
async fn site_account(app: &AppSession, base_url: &str, client_id: &str, token: &str) -> Value {
    let input = site_app_input(base_url, client_id, "loopback");
    let registered = app
        .invoke("register_app", json!({ "input": input }))
        .await
        .expect("the token-site app registers");
    let added = app
        .invoke(
            "add_personal_token",
            json!({ "appId": registered["id"], "token": token }),
        )
        .await
        .expect("the personal token is taken");
    added["id"].clone()
}

/// Clicks the Re-run button of the recent request whose line contains `needle`.
async fn rerun(app: &AppSession, needle: &str) {
    let clicked = app
        .client
        .execute(
            "const [needle] = arguments;
             const line = [...document.querySelectorAll('#requests-recent li')]
               .find((li) => li.textContent.includes(needle));
             if (!line) return false;
             line.querySelector('button.rerun').click();
             return true;",
            vec![needle.into()],
        )
        .await
        .unwrap();
    assert_eq!(
        clicked,
        Value::Bool(true),
        "a recent request with {needle:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn the_requests_view_sends_as_the_account_and_never_shows_its_token() {
    let _one_app = exclusive().await;
    let site = FakeTokenSite::start(TokenSiteConfig::default()).await;
    let elsewhere = FakeTokenSite::start(TokenSiteConfig::default()).await;
    site.push_unread("alice", "Bob replied to your story");
    let token = site.mint_personal_token("alice");
    let app = AppSession::start().await;
    site_account(&app, &site.base_url(), "consoleapp", &token).await;

    // The form lists the account with its provider and app.
    app.click("button[data-view=requests]").await;
    app.wait_for_text(
        "#requests-account",
        "@alice at Token site (client consoleapp)",
    )
    .await;

    // GET /unread: 200 and the JSON body, as a tree and as text.
    app.select("#requests-method", "GET").await;
    app.type_into("#requests-path", "/unread").await;
    app.click("#requests-send").await;
    let status = app
        .wait_for_text("#requests-answer .answer-status", "200 OK")
        .await;
    assert!(status.contains(" ms"), "the time taken is shown: {status}");
    app.wait_for_text("#requests-answer .json-tree", "Bob replied to your story")
        .await;
    // Behind a closed disclosure: its text as it is, not as rendered.
    let raw = app
        .client
        .find(Locator::Css("#requests-answer .answer-raw pre"))
        .await
        .unwrap()
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default();
    let shown: Value = serde_json::from_str(&raw).expect("the body's text is the JSON");
    assert_eq!(
        shown,
        json!({"unread": [{"id": 1, "text": "Bob replied to your story"}]})
    );
    assert_eq!(site.calls("/unread"), 1);
    let seen = site.requests().pop().unwrap();
    assert_eq!(
        (seen.header_form, seen.user.as_deref()),
        (HeaderForm::Raw, Some("alice"))
    );
    app.screenshot(&shot("api-console.png")).await;
    if std::env::var("AUTHDECK_SCREENSHOTS").as_deref() == Ok("docs") {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(shot("api-console.png"), docs.join("api-console.png")).unwrap();
    }

    // POST /api/messages with a JSON body: 201, and the site got the body with the raw token.
    app.select("#requests-method", "POST").await;
    app.type_into("#requests-path", "/api/messages").await;
    app.select("#requests-body-kind", "json").await;
    app.type_into(
        "#requests-body",
        r#"{"to": "bob", "text": "hello from the console"}"#,
    )
    .await;
    app.click("#requests-send").await;
    app.wait_for_text("#requests-answer .answer-status", "201 Created")
        .await;
    app.wait_for_text("#requests-answer .json-tree", "hello from the console")
        .await;
    assert_eq!(
        site.last_message_body(),
        Some(json!({"to": "bob", "text": "hello from the console"}))
    );
    assert_eq!(site.last_authorization().as_deref(), Some(token.as_str()));
    assert_eq!(site.last_header_form(), Some(HeaderForm::Raw));

    // A path naming another host is refused at the path field, and nothing is sent anywhere.
    let before = site.requests().len();
    app.select("#requests-method", "GET").await;
    app.select("#requests-body-kind", "none").await;
    app.type_into(
        "#requests-path",
        &format!("{}/unread", elsewhere.base_url()),
    )
    .await;
    app.click("#requests-send").await;
    app.wait_for_text(
        "#requests-form [data-field=path] .field-error",
        "not an address",
    )
    .await;
    let invalid = app
        .element("#requests-path")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    assert!(
        elsewhere.requests().is_empty(),
        "nothing reached the other host"
    );
    assert_eq!(site.requests().len(), before, "nothing was sent at all");

    // Re-run the GET from the recent list.
    rerun(&app, "GET /unread").await;
    poll_until("the re-run to reach the site", UI_TIMEOUT, || async {
        (site.calls("/unread") == 2).then_some(())
    })
    .await;
    app.wait_for_text("#requests-answer .answer-status", "200 OK")
        .await;

    // The token is nowhere in the page, the replies or the log; the GET is logged.
    let page = app.client.source().await.unwrap();
    assert!(!page.contains(&token), "the page shows the token");
    let recent = app.invoke("list_recent_requests", json!({})).await.unwrap();
    assert_eq!(recent.as_array().unwrap().len(), 3, "{recent}");
    assert!(!recent.to_string().contains(&token));
    let logged = app
        .invoke(
            "list_activity",
            json!({ "filter": { "kind": "api_request" } }),
        )
        .await
        .unwrap();
    assert!(!logged.to_string().contains(&token));
    assert!(
        !logged.to_string().contains("hello from the console"),
        "no body in the log"
    );
    let summaries: Vec<&str> = logged
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries.len(), 3, "{summaries:?}");
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("GET /unread → 200 OK in ")),
        "{summaries:?}"
    );
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("POST /api/messages → 201 Created in ")),
        "{summaries:?}"
    );
    app.click("button[data-view=activity]").await;
    app.wait_for_text("#activity-list", "GET /unread → 200 OK")
        .await;
    let page = app.client.source().await.unwrap();
    assert!(!page.contains(&token), "the activity view shows the token");
    app.stop().await;
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn the_core_sends_to_a_token_site_and_refuses_other_hosts() {
    let deck = SiteDeck::start(TokenSiteConfig::default()).await;
    let app = deck.app("consoleapp", "loopback").await;
    let token = deck.fake.mint_personal_token("alice");
    let account = deck.paste_token(app.id, &token).await.unwrap();
    let id = account.account.id.0;
    let console = deck.core.console();

    let targets = console.targets().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].label, "@alice at Token site (client consoleapp)");
    assert_eq!(targets[0].api_base, format!("{}/", deck.fake.base_url()));
    assert_eq!(targets[0].token_header, "Authorization: <token>");

    let front = console
        .send(request(json!({
            "accountId": id, "method": "GET", "path": "/", "query": "sort=comments",
        })))
        .await
        .unwrap();
    assert_eq!(front.status, 200);
    assert_eq!(front.body.kind, "json");
    let body: Value = serde_json::from_str(&front.body.text).unwrap();
    assert_eq!(body["sort"], "comments");
    assert!(front
        .headers
        .iter()
        .any(|(name, value)| name == "content-type" && value == "application/json"));

    let hi = r#"{"to": "bob", "text": "hi"}"#;
    let sent = console.send(post_message(id, "json", hi)).await.unwrap();
    assert_eq!((sent.status, sent.retried_after_refresh), (201, false));
    assert_eq!(
        deck.fake.last_authorization().as_deref(),
        Some(token.as_str())
    );

    let before = deck.fake.requests().len();
    let mut refused: Vec<(Value, &str)> = [
        "https://evil.example/x",
        "//evil.example/x",
        "/..//evil",
        "\\\\evil",
        "http://127.0.0.1:1/x",
    ]
    .into_iter()
    .map(|path| {
        (
            json!({"accountId": id, "method": "GET", "path": path}),
            "path",
        )
    })
    .collect();
    refused.extend([
        (
            json!({"accountId": id, "method": "PATCH", "path": "/"}),
            "method",
        ),
        (
            json!({
                "accountId": id, "method": "POST", "path": "/api/messages",
                "bodyKind": "json", "body": "{oops",
            }),
            "requestBody",
        ),
        (json!({"method": "GET", "path": "/"}), "accountId"),
    ]);
    for (fields, field) in refused {
        let err = console.send(request(fields.clone())).await.unwrap_err();
        assert_eq!(field_of(&err), field, "{fields}");
    }
    assert_eq!(
        deck.fake.requests().len(),
        before,
        "nothing refused was sent"
    );

    let recent = console.recent();
    assert_eq!(recent.len(), 2, "only requests that went out are kept");
    assert_eq!(recent[0].request.method, "POST", "newest first");
    assert!(!text_of(&recent).contains(&token));
    let logged = api_requests(&deck);
    let summaries: Vec<&str> = logged.iter().map(|e| e.summary.as_str()).collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(
        summaries[1].starts_with("GET /?sort=[redacted] → 200 OK in "),
        "{summaries:?}"
    );
    assert!(
        summaries[0].starts_with("POST /api/messages → 201 Created in "),
        "{summaries:?}"
    );
    assert_eq!(
        logged[0].operations,
        r#"{"method":"POST","path":"/api/messages"}"#
    );
    assert_eq!(logged[0].outcome.status(), "sent");
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_get_refused_for_its_token_is_refreshed_and_retried_once_and_a_post_never() {
    let deck = OAuthDeck::start(OAuth2Config::default()).await;
    let app = deck.public_app("console", "custom_scheme").await;
    let account = deck.sign_in(&app).await.unwrap().account;
    let first_token = deck.stored("access_token");
    let console = deck.core.console();
    let targets = console.targets().unwrap();
    assert_eq!(targets[0].api_base, format!("{}/", deck.fake.base_url()));
    assert_eq!(targets[0].token_header, "Authorization: Bearer <token>");
    let me = || request(json!({"accountId": account.id.0, "method": "GET", "path": "/api/me"}));

    let fresh = console.send(me()).await.unwrap();
    assert_eq!((fresh.status, fresh.retried_after_refresh), (200, false));
    let body: Value = serde_json::from_str(&fresh.body.text).unwrap();
    assert_eq!(body["preferred_username"], "alice");
    let (api, token_calls) = (
        deck.fake.calls(Endpoint::Api),
        deck.fake.calls(Endpoint::Token),
    );

    // The server's clock passes the token's expiry, Authdeck's does not: the server says
    // invalid_token, and the GET is refreshed and sent once more.
    deck.fake.advance(3_601);
    let retried = console.send(me()).await.unwrap();
    assert_eq!((retried.status, retried.retried_after_refresh), (200, true));
    assert_eq!(deck.fake.calls(Endpoint::Api), api + 2);
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        token_calls + 1,
        "one refresh"
    );
    let second_token = deck.stored("access_token");
    assert_ne!(second_token, first_token);

    // A POST refused for its token is shown as it came: no refresh, no second send.
    deck.fake.advance(3_601);
    let (api, token_calls) = (
        deck.fake.calls(Endpoint::Api),
        deck.fake.calls(Endpoint::Token),
    );
    let note = console
        .send(request(json!({
            "accountId": account.id.0, "method": "POST", "path": "/api/notes",
            "bodyKind": "json", "body": "{\"text\": \"once\"}",
        })))
        .await
        .unwrap();
    assert_eq!((note.status, note.retried_after_refresh), (401, false));
    assert!(note
        .headers
        .iter()
        .any(|(name, _)| name == "www-authenticate"));
    assert_eq!(deck.fake.calls(Endpoint::Api), api + 1, "sent once");
    assert_eq!(deck.fake.calls(Endpoint::Token), token_calls, "no refresh");
    assert!(deck.fake.notes().is_empty());

    for reply in [&fresh, &retried, &note] {
        let text = text_of(reply);
        assert!(
            !text.contains(&first_token) && !text.contains(&second_token),
            "{text}"
        );
    }
    let logged = api_requests(&deck);
    assert_eq!(logged.len(), 3);
    assert_eq!(logged[0].outcome.status(), "failed", "the 401 is a failure");
    assert!(logged[0]
        .summary
        .starts_with("POST /api/notes → 401 Unauthorized"));
}

/// A core with a token-site app at `base_url` (identity `/@me`) and the personal token
/// `token` added; returns the core and the account's id.
async fn core_with_site_account(base_url: &str, token: &str) -> (Core, i64) {
    let core = Core::start(test_settings());
    let input = site_app_input(base_url, "cannedapp", "loopback");
    let app = core.register_json(input).await.unwrap();
    let account = core.paste_token(app.id, token).await.unwrap();
    (core, account.account.id.0)
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn an_echoed_token_is_redacted_and_an_error_status_is_logged_as_failed() {
    let token = "personal-token-7c1e9a4b2d6f";
    let canned = Canned::start(200, r#"{"username": "alice"}"#).await;
    let origin = canned.url().trim_end_matches("/token").to_owned();
    let (core, id) = core_with_site_account(&origin, token).await;
    let console = core.core.console();

    canned.set(
        200,
        &json!({
            "you_sent": format!("Authorization: {token}"),
            "token_again": token,
            "plain": format!("it was {token}!"),
        })
        .to_string(),
    );
    let echoed: ApiReply = console
        .send(request(
            json!({"accountId": id, "method": "GET", "path": "/echo"}),
        ))
        .await
        .unwrap();
    assert_eq!(echoed.status, 200);
    assert!(!text_of(&echoed).contains(token), "{}", echoed.body.text);
    let shown: Value = serde_json::from_str(&echoed.body.text).expect("still JSON");
    assert_eq!(shown["plain"], "it was [REDACTED]!");

    canned.set(500, r#"{"error": "boom"}"#);
    let failed = console
        .send(request(
            json!({"accountId": id, "method": "DELETE", "path": "/things/1"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        (failed.status, failed.status_text.as_str()),
        (500, "Internal Server Error")
    );
    let logged = api_requests(&core);
    assert_eq!(logged[0].outcome.status(), "failed");
    assert!(logged[0]
        .summary
        .starts_with("DELETE /things/1 → 500 Internal Server Error"));
    assert_eq!(logged[1].outcome.status(), "sent");
    assert!(!text_of(&logged).contains(token));
}

/// A server on 127.0.0.1 that answers `GET /@me` with `{"username": "alice"}` and hangs up
/// on every other request after reading it: the answer is lost.
async fn hang_up_server() -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0; 16 * 1024];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..read]);
                if head.starts_with("GET /@me ") {
                    let body = r#"{"username": "alice"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                }
                // Anything else: dropped without a word.
            });
        }
    });
    (origin, task)
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn a_lost_answer_of_a_post_may_have_been_sent_and_is_not_retried() {
    let (origin, server) = hang_up_server().await;
    let (core, id) = core_with_site_account(&origin, "personal-token-0b5d8e3f1a9c").await;
    let console = core.core.console();
    let form = post_message(id, "form", "to=bob\ntext=hi");
    let err = console.send(form).await.unwrap_err();
    assert!(
        err.message().contains("may have been sent"),
        "{}",
        err.message()
    );
    let logged = core
        .core
        .broadcaster()
        .list_activity(&ActivityFilter::default())
        .unwrap();
    assert_eq!(logged[0].kind, "api_request");
    assert_eq!(logged[0].outcome.status(), "unknown");
    assert_eq!(
        console.recent()[0].error.as_ref().map(Error::code),
        Some(err.code())
    );
    server.abort();
}
