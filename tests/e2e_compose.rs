//! End-to-end: voting from two accounts and replying through the real window, against the
//! fake Hivesigner; the fake receives exactly the operations the confirm step showed, and the
//! activity view lists all three broadcasts.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring).

mod support;

use fake_hivesigner::{Endpoint, Failure};
use serde_json::Value;
use support::app::exclusive;
use support::window::{
    account_id, cancel_is_focused, confirm_review, loopback_app, loopback_app_with_node,
    sent_in_activity, shot, sign_in, sorted,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn votes_from_two_accounts_and_a_reply_are_sent_as_confirmed_and_logged() {
    let _one_app = exclusive().await;
    let (fake, app, registered) = loopback_app("castapp", &[]).await;
    for user in ["alice", "bob"] {
        sign_in(&app, &fake, &registered["id"], user).await;
    }

    // Vote 50 % from both accounts.
    app.click("button[data-view=vote]").await;
    app.click("input[aria-label='Vote with @alice (@castapp)']")
        .await;
    app.click("input[aria-label='Vote with @bob (@castapp)']")
        .await;
    app.type_into("#vote-link", "https://peakd.com/hive-1/@carol/carols-post")
        .await;
    app.wait_for_text("#vote-link-result", "Post @carol/carols-post")
        .await;
    app.type_into("#vote-weight", "50").await;
    app.click("#vote-form [type=submit]").await;
    // The dialog opens on Cancel (Enter twice never sends) and says in words what is sent; the
    // two votes are one block.
    app.element("#review-dialog[open]").await;
    assert!(cancel_is_focused(&app).await, "the review opens on Cancel");
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice upvotes @carol/carols-post at 50 %",
    )
    .await;
    app.screenshot(&shot("review-vote.png")).await;
    let mut confirmed = confirm_review(&app, 1).await;
    assert_eq!(confirmed.len(), 2, "one vote per account: {confirmed:?}");
    app.wait_for_text("#vote-results", "2 of 2 sent").await;

    // Reply as alice.
    app.click("button[data-view=post]").await;
    app.select("#post-account", &account_id(&app, "alice").await)
        .await;
    app.type_into("#post-reply-to", "@carol/carols-post").await;
    app.type_into("#post-body", "Nice post, **carol**!").await;
    app.wait_for_text("#post-preview", "Nice post, carol!")
        .await;
    app.click("#post-form [type=submit]").await;
    confirmed.extend(confirm_review(&app, 1).await);
    app.wait_for_text("#post-results", "1 of 1 sent").await;
    // Published: the form is emptied (a second Send cannot publish a copy) and the new reply's
    // address on a front end is shown.
    app.wait_for_text(
        "#post-results .published",
        "https://hive.blog/@alice/re-carol-carols-post-",
    )
    .await;
    app.screenshot(&shot("post-published.png")).await;
    for field in ["#post-body", "#post-reply-to"] {
        let value = app.element(field).await.prop("value").await.unwrap();
        assert_eq!(value.as_deref(), Some(""), "{field} is emptied");
    }

    // The provider got exactly what was confirmed (the two votes in either order).
    let confirmed = sorted(confirmed);
    assert_eq!(sorted(fake.broadcasts()), confirmed);
    let votes: Vec<&Value> = confirmed.iter().filter(|ops| ops[0][0] == "vote").collect();
    assert_eq!(votes.len(), 2);
    assert!(
        votes.iter().all(|ops| ops[0][1]["weight"] == 5000),
        "{votes:?}"
    );
    let reply = confirmed.iter().find(|ops| ops[0][0] == "comment").unwrap();
    assert!(reply[0][1]["permlink"]
        .as_str()
        .unwrap()
        .starts_with("re-carol-carols-post-"));

    // All three are in the activity view.
    assert_eq!(
        sent_in_activity(&app, "reply to @carol/carols-post").await,
        3
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_retry_goes_through_the_review_and_marks_the_failure_resolved() {
    let _one_app = exclusive().await;
    let (node, fake, app, registered) = loopback_app_with_node("castapp", &[]).await;
    sign_in(&app, &fake, &registered["id"], "alice").await;

    // The provider's node fails the vote: a failure in the log.
    fake.fail_next(Endpoint::Broadcast, Failure::NodeFailure);
    app.click("button[data-view=vote]").await;
    app.click("input[aria-label='Vote with @alice (@castapp)']")
        .await;
    app.type_into("#vote-link", "@carol/carols-post").await;
    app.type_into("#vote-weight", "25").await;
    app.click("#vote-form [type=submit]").await;
    let first = confirm_review(&app, 1).await;
    app.wait_for_text("#vote-results", "0 of 1 sent").await;
    assert!(fake.broadcasts().is_empty());

    // Retry from the log opens the same review; nothing goes out before Confirm. (The post
    // card read the post's votes while the link was typed; the retry reads none.)
    let card_reads = node.count("condenser_api.get_active_votes");
    app.click("button[data-view=activity]").await;
    app.click("#activity-list .activity-failed button.retry")
        .await;
    app.element("#review-dialog[open]").await;
    assert!(
        cancel_is_focused(&app).await,
        "the retry's review opens on Cancel"
    );
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice upvotes @carol/carols-post at 25 %",
    )
    .await;
    assert!(fake.broadcasts().is_empty(), "a retry never sends at once");
    let again = confirm_review(&app, 1).await;
    assert_eq!(again, first, "the retry sends exactly what was logged");
    app.wait_for_text("#activity-results", "1 of 1 sent").await;
    assert_eq!(fake.broadcasts(), first);

    // The failure now says it was resolved, and "Errors only" no longer lists it.
    app.wait_for_text("#activity-list .activity-resolved", "Resolved")
        .await;
    app.screenshot(&shot("activity-resolved.png")).await;
    app.click("#activity-errors").await;
    app.wait_until_gone("#activity-list", "carols-post").await;
    assert_eq!(
        node.count("condenser_api.get_active_votes"),
        card_reads,
        "a plain failure needs no chain check"
    );
    app.stop().await;
}
