//! End-to-end: the vote form as a curator's desk, through the real window: the weight's presets,
//! slider keys and errors in percent; the post card and "already voted" for a post the fake
//! node knows, and an account that needs sign-in kept from being ticked; a vote through the
//! review that sends exactly what the review showed, its results at the top with the block
//! explorer's link, and the failed one sent again through the same review.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use fake_hivesigner::node::AccountState;
use fake_hivesigner::{Endpoint, Failure};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;
use support::app::{exclusive, poll_until, AppSession, UI_TIMEOUT};
use support::window::{
    cancel_is_focused, confirm_review, loopback_app_with_node, script, shot, sign_in, sorted,
};

/// Now, in Unix seconds.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An account on the fake chain with 1,000,000 VESTS and `mana_percent` of its voting mana.
fn voter(mana_percent: i64) -> AccountState {
    let vests: i64 = 1_000_000_000_000; // 1,000,000.000000 VESTS in micro-VESTS
    AccountState {
        vesting_shares: "1000000.000000 VESTS".into(),
        current_mana: vests / 100 * mana_percent,
        last_update_time: now(),
        ..AccountState::default()
    }
}

/// The `value` property of the element matching `css`.
async fn value_of(app: &AppSession, css: &str) -> String {
    app.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|err| panic!("{css}: {err}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Waits until the `value` of the element matching `css` is `expected`.
async fn wait_for_value(app: &AppSession, css: &str, expected: &str) {
    let last = support::app::LastSeen::default();
    poll_until(
        &format!("{css} to hold {expected:?}"),
        UI_TIMEOUT,
        || async {
            let value = value_of(app, css).await;
            last.set(format!("value {value:?}"));
            (value == expected).then_some(())
        },
    )
    .await
}

/// Waits until nothing matches `css`.
async fn wait_for_none(app: &AppSession, css: &str) {
    poll_until(&format!("no '{css}'"), UI_TIMEOUT, || async {
        let found = app
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default();
        found.is_empty().then_some(())
    })
    .await
}

/// The attribute `name` of the displayed element matching `css`.
async fn attr_of(app: &AppSession, css: &str, name: &str) -> Option<String> {
    app.element(css).await.attr(name).await.unwrap()
}

/// The weight preset button for `percent`.
fn preset(percent: &str) -> String {
    format!("#vote-weight-presets button[data-weight='{percent}']")
}

/// Waits until the weight field holds `field`, then checks the slider holds `slider`.
async fn assert_weight(app: &AppSession, field: &str, slider: &str) {
    wait_for_value(app, "#vote-weight", field).await;
    assert_eq!(value_of(app, "#vote-weight-slider").await, slider);
}

/// Sends `keys` to the weight slider.
async fn press_on_slider(app: &AppSession, keys: &str) {
    app.element("#vote-weight-slider")
        .await
        .send_keys(keys)
        .await
        .unwrap();
}

/// The checkbox of `user` in the vote form's account picker.
fn tick_of(user: &str) -> String {
    format!("input[aria-label='Vote with @{user} (@deskapp)']")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and the drivers: run scripts/test.sh"]
async fn weight_presets_slider_keys_and_errors_speak_percent() {
    let _one_app = exclusive().await;
    let app = AppSession::start().await;
    app.click("button[data-view=vote]").await;

    // A preset sets the field (0.01 % precision) and the slider.
    app.click(&preset("75")).await;
    assert_weight(&app, "75.00", "75").await;
    let pressed = attr_of(&app, &preset("75"), "aria-pressed").await;
    assert_eq!(pressed.as_deref(), Some("true"));

    // An arrow key on the slider moves it 1 %; the field follows with two decimals.
    press_on_slider(&app, &Key::Right).await;
    assert_weight(&app, "76.00", "76").await;
    let spoken = attr_of(&app, "#vote-weight-slider", "aria-valuetext").await;
    assert_eq!(spoken.as_deref(), Some("76 %"));
    press_on_slider(&app, &format!("{}{}", Key::Left, Key::Left)).await;
    wait_for_value(&app, "#vote-weight", "74.00").await;

    // The fill is drawn from the centre: from 50 % to the value's place.
    let fill = script(
        &app,
        "const s = document.querySelector('#vote-weight-slider');
         return [s.style.getPropertyValue('--fill-from'), s.style.getPropertyValue('--fill-to')];",
    )
    .await;
    assert_eq!(fill, json!(["50%", "87%"]));

    // -100 %: a full downvote, filled from the centre to the left end.
    app.click(&preset("-100")).await;
    assert_weight(&app, "-100.00", "-100").await;
    let fill = script(
        &app,
        "const s = document.querySelector('#vote-weight-slider');
         return [s.style.getPropertyValue('--fill-from'), s.style.getPropertyValue('--fill-to'),
                 s.classList.contains('downvote'), s.getAttribute('aria-valuetext')];",
    )
    .await;
    assert_eq!(fill, json!(["0%", "50%", true, "downvote 100 %"]));

    // Out of range: the error says so in percent at the weight field, and clears once fixed.
    app.type_into("#vote-weight", "150").await;
    let error = app.wait_for_text("#vote-weight-error", "150 %").await;
    assert!(error.contains("-100 % to 100 %"), "{error}");
    assert!(!error.contains("15000"), "no basis points: {error}");
    let invalid = attr_of(&app, "#vote-weight", "aria-invalid").await;
    assert_eq!(invalid.as_deref(), Some("true"));
    app.type_into("#vote-weight", "60").await;
    wait_for_none(&app, "#vote-weight-error").await;
    wait_for_value(&app, "#vote-weight-slider", "60").await;
    let invalid = attr_of(&app, "#vote-weight", "aria-invalid").await;
    assert_eq!(invalid, None);

    // 0.01 % precision is kept; finer is refused in percent, and 0 % on Review.
    app.type_into("#vote-weight", "12.345").await;
    app.wait_for_text("#vote-weight-error", "0.01 %").await;
    app.type_into("#vote-weight", "12.34").await;
    wait_for_none(&app, "#vote-weight-error").await;
    app.type_into("#vote-weight", "0").await;
    app.click("#vote-form [type=submit]").await;
    app.wait_for_text("#vote-weight-error", "0 %").await;
    let focused = script(
        &app,
        "return document.activeElement === document.querySelector('#vote-weight');",
    )
    .await;
    assert_eq!(
        focused,
        json!(true),
        "the field with the error takes the focus"
    );
    app.click(&preset("10")).await;
    wait_for_none(&app, "#vote-weight-error").await;
    wait_for_value(&app, "#vote-weight", "10.00").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn the_post_card_shows_the_post_and_who_voted_already() {
    let _one_app = exclusive().await;
    let (node, fake, app, registered) =
        loopback_app_with_node("deskapp", &[("AUTHDECK_REFRESH_INTERVAL_SECS", "1")]).await;
    node.add_post("carol", "carols-post");
    node.add_vote("carol", "carols-post", "alice", 5000);
    node.set_account("alice", voter(100));
    node.set_account("bob", voter(50));
    node.apply(&json!(["comment", {
        "parent_author": "carol", "parent_permlink": "carols-post", "author": "dave",
        "permlink": "re-carols-post", "title": "", "body": "Nice.", "json_metadata": "{}",
    }]));
    for user in ["alice", "bob"] {
        sign_in(&app, &fake, &registered["id"], user).await;
    }
    // Erin's tokens last 12 s and the provider refuses to renew them: she needs to sign in.
    fake.set_expires_in(12);
    fake.refuse_refresh(true);
    sign_in(&app, &fake, &registered["id"], "erin").await;

    app.click("button[data-view=vote]").await;
    app.click(&tick_of("alice")).await;
    app.click(&tick_of("bob")).await;
    app.type_into(
        "#vote-link",
        "https://peakd.com/hive-123456/@carol/carols-post",
    )
    .await;
    app.wait_for_text("#vote-link-result", "Post @carol/carols-post")
        .await;

    // The card: its title, author, community, age, payout, and that it can be voted on.
    let card = app
        .wait_for_text("#vote-post-card .post-card-title", "A post by @carol")
        .await;
    assert!(!card.is_empty());
    let meta = app
        .wait_for_text("#vote-post-card .post-card-meta", "@carol")
        .await;
    assert!(meta.contains("hive-123456"), "{meta}");
    assert!(meta.contains("pending payout"), "{meta}");
    app.wait_for_text("#vote-post-card .post-card-votable", "Open for votes")
        .await;

    // Alice voted 50 % already: said for her (ticked), not for Bob; at 50 % again it is the
    // same weight the chain refuses, said before anything is sent.
    app.wait_for_text("#vote-already-voted", "Already voted by @alice at 50 %")
        .await;
    app.wait_until_gone("#vote-already-voted", "@bob").await;
    app.click(&preset("50")).await;
    app.wait_for_text("#vote-already-voted .already-voted-same", "@alice")
        .await;
    app.wait_for_text(
        ".account-choice[data-username='alice'] .choice-voted",
        "voted 50 %",
    )
    .await;
    // Each account's mana now and the estimated value of this vote at the chosen weight.
    let alice = app
        .wait_for_text(".account-choice[data-username='alice']", "mana 100 %")
        .await;
    assert!(
        alice.contains("≈ ") && alice.contains("HBD (estimate)"),
        "{alice}"
    );
    let bob = app
        .wait_for_text(".account-choice[data-username='bob']", "mana 50 %")
        .await;
    assert!(bob.contains("HBD (estimate)"), "{bob}");
    app.click(&preset("-100")).await;
    app.wait_for_text(".account-choice[data-username='bob']", "removes ≈ ")
        .await;
    app.click(&preset("50")).await;
    app.screenshot(&shot("desk-post-card.png")).await;

    // Erin needs sign-in: her box cannot be ticked, and the row says why.
    app.wait_for_text(
        ".account-choice[data-username='erin'] .badge",
        "Needs sign-in",
    )
    .await;
    let erin_disabled = script(
        &app,
        "return document.querySelector(\"input[aria-label='Vote with @erin (@deskapp)']\").disabled;",
    )
    .await;
    assert_eq!(erin_disabled, json!(true));
    let reason = app
        .element(".account-choice[data-username='erin'] .choice-reason")
        .await
        .text()
        .await
        .unwrap();
    assert!(!reason.is_empty());

    // Select all ticks the accounts that can vote, and only those; none unticks them all.
    app.click("#vote-select-none").await;
    app.wait_for_text("#vote-chosen-count", "0 of 2 accounts chosen")
        .await;
    app.click("#vote-select-all").await;
    app.wait_for_text("#vote-chosen-count", "2 of 2 accounts chosen")
        .await;

    // A comment's card says whose comment on which post.
    app.type_into("#vote-link", "@dave/re-carols-post").await;
    app.wait_for_text(
        "#vote-post-card .post-card-title",
        "Comment by @dave on @carol/carols-post",
    )
    .await;
    app.wait_until_gone("#vote-post-card", "Already voted")
        .await;

    // The ticks are remembered by account id (and nothing else) across a reload.
    let stored = script(
        &app,
        "return localStorage.getItem('authdeck.vote.accounts');",
    )
    .await;
    let ids: Vec<i64> = serde_json::from_str(stored.as_str().unwrap()).unwrap();
    assert_eq!(ids.len(), 2, "{stored}");
    app.client.refresh().await.unwrap();
    app.element("body[data-ready]").await;
    app.click("button[data-view=vote]").await;
    for user in ["alice", "bob"] {
        let checked = app
            .element(&tick_of(user))
            .await
            .prop("checked")
            .await
            .unwrap();
        assert_eq!(checked.as_deref(), Some("true"), "@{user} stays ticked");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_vote_sends_what_the_review_showed_and_the_results_lead_with_explorer_links() {
    let _one_app = exclusive().await;
    let (node, fake, app, registered) = loopback_app_with_node("deskapp", &[]).await;
    node.add_post("carol", "carols-post");
    node.set_account("alice", voter(100));
    node.set_account("bob", voter(100));
    for user in ["alice", "bob"] {
        sign_in(&app, &fake, &registered["id"], user).await;
    }

    app.click("button[data-view=vote]").await;
    app.click(&tick_of("alice")).await;
    app.click(&tick_of("bob")).await;
    app.type_into("#vote-link", "@carol/carols-post").await;
    app.wait_for_text("#vote-post-card .post-card-title", "A post by @carol")
        .await;
    app.click(&preset("25")).await;

    // One of the two broadcasts fails at the provider's node.
    fake.fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    app.click("#vote-form [type=submit]").await;
    app.element("#review-dialog[open]").await;
    assert!(cancel_is_focused(&app).await, "the review opens on Cancel");
    app.wait_for_text("#review-dialog h2", "Vote 25 % from 2 accounts")
        .await;
    let mut confirmed = confirm_review(&app, 1).await;
    assert_eq!(confirmed.len(), 2, "{confirmed:?}");
    let status = app.wait_for_text("#vote-results", "1 of 2 sent").await;
    assert!(status.contains("1 not sent"), "{status}");

    // The results lead the view: above the form, the focus on their summary.
    let layout = script(
        &app,
        "const results = document.querySelector('#vote-results');
         const form = document.querySelector('#vote-form');
         return [Boolean(results.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING),
                 results.contains(document.activeElement),
                 results.getAttribute('aria-live')];",
    )
    .await;
    assert_eq!(layout, json!([true, true, "polite"]));
    app.element("#vote-results .result-bar .result-bar-sent")
        .await;
    app.element("#vote-results .result-bar .result-bar-failed")
        .await;

    // The sent one links its transaction on the default explorer (opened by the app, never in
    // the window); the failed one says why, in words.
    let sent = app.element("#vote-results .result-sent a.tx-link").await;
    let id = sent.text().await.unwrap();
    let href = sent.attr("href").await.unwrap().unwrap();
    assert_eq!(href, format!("https://hivehub.dev/tx/{id}"));
    let failed = app
        .element("#vote-results .result-failed")
        .await
        .text()
        .await
        .unwrap();
    assert!(failed.contains("not sent"), "{failed}");
    let failed_user = attr_of(&app, "#vote-results .result-failed", "data-username")
        .await
        .unwrap();
    app.screenshot(&shot("desk-results.png")).await;

    // Another explorer, chosen in the settings and remembered: here an address of the fake
    // provider's, so that the browser stand-in opening it reaches nothing outside.
    let template = format!("{}/tx/{{id}}", fake.base_url());
    app.click("#vote-explorer summary").await;
    app.select("#vote-explorer-hive", "custom").await;
    app.type_into("#vote-explorer-hive-custom", &template).await;
    app.wait_for_text("#vote-explorer-hive-note", "Saved").await;
    let stored = script(
        &app,
        "return localStorage.getItem('authdeck.explorer.hive');",
    )
    .await;
    assert_eq!(stored, json!(template));

    // Sending the failed one again goes through the review, for that account only.
    let before = fake.broadcasts().len();
    assert_eq!(before, 1);
    app.click("#vote-results button.retry-failed").await;
    app.element("#review-dialog[open]").await;
    assert!(cancel_is_focused(&app).await, "the review opens on Cancel");
    app.wait_for_text(
        "#review-dialog .review-lines",
        &format!("@{failed_user} upvotes @carol/carols-post at 25 %"),
    )
    .await;
    assert_eq!(fake.broadcasts().len(), before, "nothing sent before Send");
    let again = confirm_review(&app, 1).await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0][0][1]["voter"], failed_user.as_str());
    app.wait_for_text("#vote-results", "1 of 1 sent").await;
    let retried = app.element("#vote-results .result-sent a.tx-link").await;
    let id = retried.text().await.unwrap();
    assert_eq!(
        retried.attr("href").await.unwrap().unwrap(),
        template.replace("{id}", &id)
    );
    // A click opens it through the app (in the system browser), never in the window.
    retried.click().await.unwrap();
    let location = script(&app, "return location.href;").await;
    assert!(
        !location.as_str().unwrap().contains("/tx/"),
        "the window stays on Authdeck: {location}"
    );
    app.element("#vote-form").await;

    // The provider got exactly what the reviews showed: the first vote that went through and
    // the one sent again (the failed attempt never reached it).
    let failed_attempt = confirmed
        .iter()
        .position(|ops| ops == &again[0])
        .expect("the retry sends what the first review showed for that account");
    confirmed.remove(failed_attempt);
    confirmed.extend(again);
    let received = sorted(fake.broadcasts());
    assert_eq!(received, sorted(confirmed));
    assert!(
        received.iter().all(|ops| ops[0][1]["weight"] == 2500),
        "{received:?}"
    );

    // And the post card now shows both as voted at 25 %.
    app.wait_for_text("#vote-already-voted", "Already voted by @alice at 25 %")
        .await;
    app.wait_for_text("#vote-already-voted", "Already voted by @bob at 25 %")
        .await;
    app.stop().await;
}
