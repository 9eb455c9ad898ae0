//! The app on Tauri's mock runtime: commands over IPC, the capability file, link routing.

use authdeck::{configure, context, Integration, MAIN_WINDOW};
use serde_json::Value;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

/// The app on the mock runtime, after its set-up ran (windows created, links routed).
fn app() -> App<MockRuntime> {
    let mut app = configure(mock_builder(), Integration::Headless)
        .build(context())
        .expect("the app builds on the mock runtime");
    // One turn of the (mock) event loop runs the set-up, as `run` would.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    app
}

fn invoke(window: &tauri::WebviewWindow<MockRuntime>, cmd: &str) -> Result<Value, Value> {
    invoke_with(window, cmd, Value::Object(Default::default()))
}

fn invoke_with(
    window: &tauri::WebviewWindow<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}

fn notice_texts(reply: &Value) -> Vec<String> {
    reply
        .as_array()
        .expect("take_notices answers a list")
        .iter()
        .map(|notice| notice["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn links_reach_the_window_as_notices_without_their_values() {
    let app = app();
    let window = app
        .get_webview_window(MAIN_WINDOW)
        .expect("the main window");
    assert_eq!(invoke(&window, "take_notices"), Ok(Value::Array(vec![])));

    // The same event the deep-link plugin emits for a second launch or the URL handler.
    app.emit(
        "deep-link://new-url",
        vec!["authdeck://callback?code=abc123&state=xyz789"],
    )
    .unwrap();
    authdeck::receive_link(app.handle(), "mailto:someone@example.com");

    // The refused link is noted at once; the sign-in answer after the core looked at it.
    let mut notices = Vec::new();
    for _ in 0..100 {
        let reply = invoke(&window, "take_notices").unwrap();
        notices.extend(reply.as_array().unwrap().iter().cloned());
        if notices.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let reply = Value::Array(notices);
    let texts = notice_texts(&reply);
    assert_eq!(texts.len(), 2, "{reply}");
    // Both are warnings; their order depends on how fast the core answers.
    assert!(reply
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["level"] == "warning"));
    for expected in [
        "only opens 'authdeck://' links",
        "Authdeck did not start this sign-in",
    ] {
        assert!(texts.iter().any(|t| t.contains(expected)), "{reply}");
    }
    let whole = reply.to_string();
    assert!(
        !whole.contains("abc123") && !whole.contains("xyz789"),
        "{whole}"
    );

    assert_eq!(invoke(&window, "take_notices"), Ok(Value::Array(vec![])));
}

#[test]
fn apps_register_over_ipc_without_the_secret_ever_coming_back() {
    let app = app();
    let window = app.get_webview_window(MAIN_WINDOW).unwrap();
    let input = serde_json::json!({ "input": {
        "preset": "hivesigner",
        "clientId": "myapp",
        "scopes": ["posting", "offline"],
        "clientSecret": "the-secret-value",
    }});
    let registered = invoke_with(&window, "register_app", input.clone()).unwrap();
    assert_eq!(registered["clientId"], "myapp");
    assert_eq!(registered["secretSet"], true);
    assert_eq!(
        registered["redirectUriToRegister"],
        "http://127.0.0.1/callback"
    );
    let listed = invoke(&window, "list_apps").unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let duplicate = invoke_with(&window, "register_app", input).unwrap_err();
    assert_eq!(duplicate["code"], "app_exists", "{duplicate}");
    for reply in [registered, listed, duplicate] {
        assert!(!reply.to_string().contains("the-secret-value"), "{reply}");
    }
}

#[test]
fn bad_input_comes_back_as_code_and_message() {
    let app = app();
    let window = app.get_webview_window(MAIN_WINDOW).unwrap();
    let input = serde_json::json!({ "input": {
        "preset": "hivesigner", "clientId": "No Such App", "scopes": ["posting"],
    }});
    let err = invoke_with(&window, "register_app", input).unwrap_err();
    assert_eq!(err["code"], "invalid_input");
    assert_eq!(err["field"], "clientId", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("The client id is not an account name:"),
        "{err}"
    );
    let missing =
        invoke_with(&window, "start_sign_in", serde_json::json!({ "appId": 42 })).unwrap_err();
    assert_eq!(missing["code"], "app_not_found");
}

#[test]
fn only_the_main_window_may_call_commands() {
    let app = app();
    let other = WebviewWindowBuilder::new(&app, "other", WebviewUrl::default())
        .build()
        .unwrap();
    let refused = invoke(&other, "take_notices").expect_err("the capability covers main only");
    assert!(refused.to_string().contains("not allowed"), "{refused}");
}

#[test]
fn unknown_commands_are_refused() {
    let app = app();
    let window = app.get_webview_window(MAIN_WINDOW).unwrap();
    assert!(invoke(&window, "read_tokens").is_err());
}
