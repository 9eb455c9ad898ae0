//! End-to-end: the real window under Xvfb, driven over WebDriver.
//!
//! Run by `scripts/test.sh` (they are `#[ignore]`d for a bare `cargo test`, which has no
//! display, D-Bus session or drivers).

mod support;

use std::time::Duration;

use fantoccini::Locator;
use support::app::{exclusive, AppSession};

#[tokio::test]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn window_heading_reads_authdeck() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;

    let heading = app.client.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Authdeck");
    assert_eq!(app.client.title().await.unwrap(), "Authdeck");

    app.stop().await;
}

#[tokio::test]
#[ignore = "needs a display and drivers: run scripts/test.sh"]
async fn second_launch_hands_its_link_to_the_running_window_and_exits() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;

    let status = app.launch_again(
        &["authdeck://callback?code=abc&state=xyz"],
        Duration::from_secs(5),
    );
    let status = status.expect("the second instance exits within 5 s");
    assert!(status.success(), "the second instance exited with {status}");

    // No sign-in was waiting, so the running window refuses the answer and says why.
    let notice = app
        .wait_for_text(".notice-text", "Authdeck did not start this sign-in")
        .await;
    assert!(
        !notice.contains("abc") && !notice.contains("xyz"),
        "the notice shows query values: {notice}"
    );

    let status = app.launch_again(&["authdeck://settings?x=1"], Duration::from_secs(5));
    assert!(status.expect("second launch exits").success());
    app.wait_for_text(
        ".notice-warning .notice-text",
        "only understands 'authdeck://callback'",
    )
    .await;

    app.stop().await;
}
