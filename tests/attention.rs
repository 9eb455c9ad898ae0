//! Attention without the window, on Tauri's mock runtime with a fake Hivesigner over real HTTP
//! (in-memory stores, so no keyring is needed): an account that needs a sign-in, and one whose
//! token runs out within a day without a refresh token, each raise exactly one notification
//! (seen through the test hook, a recording notifier installed before the app is built), and
//! not again on the next check; a click on a notification shows its account in the window.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authdeck::accounts::{AccountId, Health};
use authdeck::attention::{Message, Need, RecordedNotifications};
use authdeck::catalog::AppView;
use authdeck::events::SHOW_ACCOUNT;
use authdeck::service::Authdeck;
use authdeck::{
    check_attention, configure, context, notification_action, CoreState, Integration, NotifierHook,
};
use fake_hivesigner::{consent, FakeConfig, FakeHivesigner, RedirectRules};
use serde_json::json;
use tauri::test::{mock_builder, MockRuntime};
use tauri::{App, Listener, Manager};

const SECRET: &str = "attention-test-secret";

/// The app on the mock runtime with `notifications` as its notifier, after its set-up ran.
fn app(notifications: Arc<RecordedNotifications>) -> App<MockRuntime> {
    let mut app = configure(
        mock_builder().manage(NotifierHook(notifications)),
        Integration::Headless,
    )
    .build(context())
    .expect("the app builds on the mock runtime");
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    app
}

fn core(app: &App<MockRuntime>) -> Arc<Authdeck> {
    app.state::<CoreState>()
        .0
        .clone()
        .expect("the core started")
}

/// A fake Hivesigner (legacy redirect rules: the deep link is accepted) on `runtime`.
fn fake(runtime: &tokio::runtime::Runtime) -> FakeHivesigner {
    runtime.block_on(FakeHivesigner::start(FakeConfig {
        redirect_rules: RedirectRules::Legacy,
        ..FakeConfig::default()
    }))
}

/// Registers `client_id` at the fake and in the core: with refresh tokens (`posting` +
/// `offline`, the secret), or implicit (`posting` alone, no secret).
async fn register(core: &Authdeck, fake: &FakeHivesigner, client_id: &str, code: bool) -> AppView {
    fake.register_app(client_id, SECRET, &["authdeck://callback"]);
    let input = json!({
        "preset": "hivesigner_compatible",
        "baseUrl": fake.base_url(),
        "clientId": client_id,
        "scopes": if code { json!(["posting", "offline"]) } else { json!(["posting"]) },
        "redirectMode": "custom_scheme",
        "clientSecret": if code { json!(SECRET) } else { json!(null) },
    });
    core.catalog()
        .register_app(serde_json::from_value(input).unwrap())
        .await
        .expect("the app registers")
}

/// Signs `app` in (the fake approves as alice) and returns the account.
async fn sign_in(core: &Authdeck, app: &AppView) -> AccountId {
    let started = core
        .sign_ins()
        .start_sign_in(app.id, None)
        .await
        .expect("the sign-in starts");
    let redirect = consent(&started.authorize_url)
        .await
        .expect("the fake redirects back");
    core.sign_ins()
        .complete_sign_in(&redirect)
        .await
        .expect("the sign-in completes")
        .account
        .id
}

/// Waits (up to 10 s) until `notifications` holds at least `count` notifications.
fn wait_for(notifications: &RecordedNotifications, count: usize) -> Vec<Message> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let all = notifications.all();
        if all.len() >= count || Instant::now() >= deadline {
            return all;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Gives the background checks time to run after the events so far.
fn settle() {
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn an_account_that_needs_a_sign_in_is_notified_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let notifications = Arc::new(RecordedNotifications::default());
    let app = app(notifications.clone());
    let core = core(&app);
    let fake = fake(&runtime);
    let alice = runtime.block_on(async {
        let registered = register(&core, &fake, "attentionapp", true).await;
        sign_in(&core, &registered).await
    });
    settle();
    assert!(
        notifications.all().is_empty(),
        "a fresh account with refresh tokens needs nothing: {:?}",
        notifications.all()
    );

    // The provider refuses the grant: the account needs a sign-in, and the event that says
    // so makes the app look.
    fake.refuse_refresh(true);
    let refused = runtime.block_on(core.tokens().refresh_now(alice));
    assert!(refused.is_err());
    assert_eq!(
        core.catalog().account_view(alice).unwrap().account.health,
        Health::NeedsSignIn
    );
    let told = wait_for(&notifications, 1);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].account_id, alice);
    assert_eq!(told[0].alerts.len(), 1);
    assert_eq!(told[0].alerts[0].need, Need::SignIn);
    assert_eq!(told[0].title, "@alice needs to sign in again");
    assert!(told[0].body.contains("@attentionapp"), "{}", told[0].body);

    // Not again: neither on the next check, nor after another refused try (which passes
    // through "refreshing" and sends more events).
    assert!(check_attention(app.handle()).is_empty());
    let _ = runtime.block_on(core.tokens().refresh_now(alice));
    settle();
    assert!(check_attention(app.handle()).is_empty());
    assert_eq!(notifications.all().len(), 1, "{:?}", notifications.all());
}

#[test]
fn a_token_without_refresh_running_out_within_a_day_is_notified_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let notifications = Arc::new(RecordedNotifications::default());
    let app = app(notifications.clone());
    let core = core(&app);
    let fake = fake(&runtime);
    fake.set_expires_in(6 * 60 * 60);
    let alice = runtime.block_on(async {
        let registered = register(&core, &fake, "implicitapp", false).await;
        sign_in(&core, &registered).await
    });

    let told = wait_for(&notifications, 1);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].account_id, alice);
    assert_eq!(told[0].alerts[0].need, Need::RunsOutSoon);
    assert_eq!(told[0].title, "@alice's sign-in runs out soon");
    assert!(
        told[0].body.contains("runs out in about 6 hours"),
        "{}",
        told[0].body
    );

    assert!(check_attention(app.handle()).is_empty(), "not again");
    settle();
    assert_eq!(notifications.all().len(), 1, "{:?}", notifications.all());
}

#[test]
fn a_click_on_a_notification_shows_its_account() {
    let app = app(Arc::new(RecordedNotifications::default()));
    let shown = Arc::new(Mutex::new(Vec::new()));
    let seen = shown.clone();
    app.listen_any(SHOW_ACCOUNT, move |event| {
        seen.lock().unwrap().push(event.payload().to_owned());
    });
    // What the notification plugin reports for a click on the notification itself.
    let tap: tauri_plugin_notification::ActionPerformed = serde_json::from_value(json!({
        "actionId": "tap",
        "notification": { "id": 7, "title": "@alice needs to sign in again", "extra": { "accountId": 7 } },
    }))
    .unwrap();
    assert_eq!(notification_action(app.handle(), &tap), Some(AccountId(7)));
    let button: tauri_plugin_notification::ActionPerformed =
        serde_json::from_value(json!({ "actionId": "other", "notification": { "id": 7 } }))
            .unwrap();
    assert_eq!(notification_action(app.handle(), &button), None);

    let deadline = Instant::now() + Duration::from_secs(5);
    while shown.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*shown.lock().unwrap(), [r#"{"accountId":7}"#]);
}
