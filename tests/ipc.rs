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
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::default(),
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

    let reply = invoke(&window, "take_notices").unwrap();
    let texts = notice_texts(&reply);
    assert_eq!(texts.len(), 2, "{reply}");
    assert!(
        texts[0].contains("authdeck://callback with code, state"),
        "{reply}"
    );
    assert_eq!(reply[1]["level"], "warning");
    assert!(
        texts[1].contains("only opens 'authdeck://' links"),
        "{reply}"
    );
    let whole = reply.to_string();
    assert!(
        !whole.contains("abc123") && !whole.contains("xyz789"),
        "{whole}"
    );

    assert_eq!(invoke(&window, "take_notices"), Ok(Value::Array(vec![])));
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
