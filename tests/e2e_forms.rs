//! End-to-end: the Actions view (follow, unfollow, mute, reblog, delete, claim) and a reply
//! with beneficiaries, through the real window against the fake Hivesigner and a fake API node.
//! Each sends exactly the operations its review showed under "Show operations"; a deletion the
//! chain would refuse (the post has a reply) is refused at the form's field before any review,
//! and the claim form shows what each account has pending.
//!
//! Run by `scripts/test.sh` (it needs a display, the drivers and the session's keyring), or
//! `scripts/session.sh cargo test --test e2e_forms -- --include-ignored`.

mod support;

use std::sync::Arc;

use fake_hivesigner::node::{AccountState, FakeNode};
use fake_hivesigner::FakeHivesigner;
use serde_json::json;
use support::app::{exclusive, poll_until, AppSession, UI_TIMEOUT};
use support::window::{
    account_id, confirm_review, loopback_app_with_node, review_is_open, sent_in_activity, shot,
    sign_in, sorted,
};

/// A fake API node (what the fake Hivesigner broadcasts lands on it), the fake Hivesigner
/// with the app `castapp`, and the window reading the chain from the node, with `castapp`
/// registered and `users` signed in to it.
async fn castapp_with(users: &[&str]) -> (Arc<FakeNode>, FakeHivesigner, AppSession) {
    let (node, fake, app, registered) = loopback_app_with_node("castapp", &[]).await;
    for user in users {
        sign_in(&app, &fake, &registered["id"], user).await;
    }
    (node, fake, app)
}

/// Waits until the fake Hivesigner has received `count` broadcasts in all.
async fn wait_for_broadcasts(fake: &FakeHivesigner, count: usize) {
    poll_until(
        &format!("{count} broadcasts at the provider"),
        UI_TIMEOUT,
        || async { (fake.broadcasts().len() >= count).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn follow_unfollow_mute_and_reblog_send_exactly_what_the_review_showed() {
    let _one_app = exclusive().await;
    let (node, fake, app) = castapp_with(&["alice", "bob"]).await;
    node.add_post("carol", "carols-post");
    app.click("button[data-view=actions]").await;

    // Follow @carol from both accounts: one block, in words, the operations behind it.
    app.click("#follow-accounts input[data-username=alice]")
        .await;
    app.click("#follow-accounts input[data-username=bob]").await;
    app.type_into("#follow-target", "@carol").await;
    app.select("#follow-what", "blog").await;
    app.click("#follow-form [type=submit]").await;
    app.wait_for_text("#review-dialog .review-lines", "@alice follows @carol")
        .await;
    app.screenshot(&shot("review-follow.png")).await;
    let mut confirmed = confirm_review(&app, 1).await;
    assert_eq!(confirmed.len(), 2, "one follow per account: {confirmed:?}");
    wait_for_broadcasts(&fake, 2).await;
    app.wait_for_text("#follow-results", "2 of 2 sent").await;

    // Unfollow @carol from alice alone.
    app.click("#follow-accounts input[data-username=bob]").await;
    app.select("#follow-what", "none").await;
    app.click("#follow-form [type=submit]").await;
    app.wait_for_text("#review-dialog .review-lines", "@alice unfollows @carol")
        .await;
    confirmed.extend(confirm_review(&app, 1).await);
    wait_for_broadcasts(&fake, 3).await;
    app.wait_for_text("#follow-results", "1 of 1 sent").await;

    // Mute @dave from alice.
    app.type_into("#follow-target", "dave").await;
    app.select("#follow-what", "ignore").await;
    app.click("#follow-form [type=submit]").await;
    app.wait_for_text("#review-dialog .review-lines", "@alice mutes @dave")
        .await;
    confirmed.extend(confirm_review(&app, 1).await);
    wait_for_broadcasts(&fake, 4).await;
    app.wait_for_text("#follow-results", "1 of 1 sent").await;

    // A name that is no account is refused at its field, before any review.
    app.type_into("#follow-target", "No Such Name").await;
    app.click("#follow-form [type=submit]").await;
    app.wait_for_text(
        "#follow-form [data-field=target] .field-error",
        "This is not an account name",
    )
    .await;
    assert!(!review_is_open(&app).await, "no review for a bad name");

    // Reblog @carol/carols-post from bob; the link is read as it is typed.
    app.click("#reblog-accounts input[data-username=bob]").await;
    app.type_into(
        "#reblog-link",
        "https://peakd.com/hive-123456/@carol/carols-post",
    )
    .await;
    app.wait_for_text("#reblog-link-result", "Post @carol/carols-post")
        .await;
    app.click("#reblog-form [type=submit]").await;
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@bob reblogs @carol/carols-post",
    )
    .await;
    confirmed.extend(confirm_review(&app, 1).await);
    wait_for_broadcasts(&fake, 5).await;
    app.wait_for_text("#reblog-results", "1 of 1 sent").await;

    // The provider got exactly what the reviews showed, and nothing else.
    assert_eq!(sorted(fake.broadcasts()), sorted(confirmed.clone()));
    let payloads: Vec<String> = confirmed
        .iter()
        .map(|ops| {
            assert_eq!(ops.as_array().unwrap().len(), 1, "{ops}");
            assert_eq!(ops[0][0], "custom_json");
            assert_eq!(ops[0][1]["id"], "follow");
            ops[0][1]["json"].as_str().unwrap().to_owned()
        })
        .collect();
    for expected in [
        r#"["follow",{"follower":"alice","following":"carol","what":["blog"]}]"#,
        r#"["follow",{"follower":"bob","following":"carol","what":["blog"]}]"#,
        r#"["follow",{"follower":"alice","following":"carol","what":[]}]"#,
        r#"["follow",{"follower":"alice","following":"dave","what":["ignore"]}]"#,
        r#"["reblog",{"account":"bob","author":"carol","permlink":"carols-post"}]"#,
    ] {
        assert!(
            payloads.iter().any(|sent| sent == expected),
            "{expected} in {payloads:?}"
        );
    }

    // All five are in the activity log.
    assert_eq!(sent_in_activity(&app, "reblog @carol/carols-post").await, 5);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_deletion_is_refused_while_the_post_has_replies_and_sent_as_reviewed_without() {
    let _one_app = exclusive().await;
    let (node, fake, app) = castapp_with(&["alice"]).await;
    node.add_post("alice", "answered-post");
    node.apply(&json!(["comment", {"parent_author": "alice",
        "parent_permlink": "answered-post", "author": "bob", "permlink": "re-answered-post",
        "title": "", "body": "I answer.", "json_metadata": "{}"}]));
    node.add_post("alice", "quiet-post");
    app.click("button[data-view=actions]").await;
    app.select("#delete-account", &account_id(&app, "alice").await)
        .await;

    // The chain says it has a reply: refused at the link, no review, nothing sent.
    app.type_into("#delete-link", "@alice/answered-post").await;
    app.click("#delete-form [type=submit]").await;
    app.wait_for_text(
        "#delete-form [data-field=link] .field-error",
        "@alice/answered-post has 1 reply",
    )
    .await;
    assert!(
        !review_is_open(&app).await,
        "no review for a refused deletion"
    );
    assert!(fake.broadcasts().is_empty());
    assert!(
        node.count("condenser_api.get_content") >= 1,
        "the chain was asked"
    );

    // Someone else's post is refused too.
    app.type_into("#delete-link", "@bob/re-answered-post").await;
    app.click("#delete-form [type=submit]").await;
    app.wait_for_text(
        "#delete-form [data-field=link] .field-error",
        "can delete only its own",
    )
    .await;

    // A post without replies or votes: reviewed, then deleted exactly as shown.
    app.type_into(
        "#delete-link",
        "https://hive.blog/hive-123456/@alice/quiet-post",
    )
    .await;
    app.click("#delete-form [type=submit]").await;
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice deletes @alice/quiet-post",
    )
    .await;
    app.screenshot(&shot("review-delete.png")).await;
    let confirmed = confirm_review(&app, 1).await;
    wait_for_broadcasts(&fake, 1).await;
    app.wait_for_text("#delete-results", "1 of 1 sent").await;
    assert_eq!(fake.broadcasts(), confirmed);
    assert_eq!(
        confirmed,
        [json!([["delete_comment", {"author": "alice", "permlink": "quiet-post"}]])]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn the_claim_form_shows_what_is_pending_and_claims_exactly_that() {
    let _one_app = exclusive().await;
    let (node, fake, app) = castapp_with(&["alice", "bob"]).await;
    node.set_account(
        "alice",
        AccountState {
            reward_hbd_balance: "1.250 HBD".into(),
            reward_hive_balance: "0.500 HIVE".into(),
            reward_vesting_balance: "12.345678 VESTS".into(),
            ..AccountState::default()
        },
    );
    node.set_account("bob", AccountState::default());
    app.click("button[data-view=actions]").await;

    // What each account has pending, read from the chain.
    app.wait_for_text(
        "#claim-list li[data-username=alice] .claim-amounts",
        "1.250 HBD, 0.500 HIVE, 12.345678 VESTS",
    )
    .await;
    app.wait_for_text(
        "#claim-list li[data-username=bob] .claim-amounts",
        "nothing pending",
    )
    .await;
    app.screenshot(&shot("claim-pending.png")).await;

    // Bob has nothing to claim: refused, no review.
    app.click("#claim-list li[data-username=bob] button.claim-one")
        .await;
    app.wait_for_text(
        "#claim-form .field-error",
        "@bob has no pending rewards to claim",
    )
    .await;
    assert!(
        !review_is_open(&app).await,
        "no review for nothing to claim"
    );

    // "Claim all pending" claims alice's rewards, exactly as the review shows them.
    app.click("#claim-all").await;
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice claims 1.250 HBD, 0.500 HIVE and 12.345678 VESTS in rewards",
    )
    .await;
    let confirmed = confirm_review(&app, 1).await;
    wait_for_broadcasts(&fake, 1).await;
    app.wait_for_text("#claim-results", "1 of 1 sent").await;
    assert_eq!(fake.broadcasts(), confirmed);
    assert_eq!(
        confirmed,
        [
            json!([["claim_reward_balance", {"account": "alice", "reward_hive": "0.500 HIVE",
            "reward_hbd": "1.250 HBD", "reward_vests": "12.345678 VESTS"}]])
        ]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, the drivers and the keyring: run scripts/test.sh"]
async fn a_reply_with_beneficiaries_sends_its_payout_options_as_reviewed() {
    let _one_app = exclusive().await;
    let (node, fake, app) = castapp_with(&["alice"]).await;
    node.add_post("carol", "carols-post");
    app.click("button[data-view=post]").await;
    app.select("#post-account", &account_id(&app, "alice").await)
        .await;

    // Tags become the chips they are sent as while typing: lowercase, a-z 0-9 -, each once,
    // the first (the community here) the category.
    app.type_into("#post-community", "hive-123456").await;
    app.type_into("#post-tags", "Rust, #Hive rust Café").await;
    let chips = poll_until("the tag chips", UI_TIMEOUT, || async {
        let script = "return [...document.querySelectorAll('#post-tag-chips .tag-chip')]
            .map((chip) => chip.dataset.tag);";
        let tags = app.client.execute(script, vec![]).await.ok()?;
        (tags.as_array()?.len() == 4).then_some(tags)
    })
    .await;
    assert_eq!(chips, json!(["hive-123456", "rust", "hive", "cafe"]));
    app.wait_for_text("#post-tag-chips .tag-category", "hive-123456")
        .await;

    // The reply says what it answers, with the post's title from the chain.
    app.type_into(
        "#post-reply-to",
        "https://hive.blog/hive-123456/@carol/carols-post",
    )
    .await;
    app.wait_for_text(
        "#post-reply-target",
        "Replying to @carol/carols-post: A post by @carol",
    )
    .await;
    // Rewards are offered for a reply too.
    app.click("#post-add-beneficiary").await;
    app.type_into("#post-beneficiaries .beneficiary-account", "dave")
        .await;
    app.type_into("#post-beneficiaries .beneficiary-share", "10")
        .await;
    app.type_into("#post-payout", "50.000 HBD").await;
    app.type_into("#post-body", "Thanks, **carol**!").await;
    app.click("#post-form [type=submit]").await;
    app.wait_for_text(
        "#review-dialog .review-lines",
        "@alice replies to @carol/carols-post",
    )
    .await;
    app.wait_for_text("#review-dialog .review-lines", "beneficiary @dave 10 %")
        .await;
    app.screenshot(&shot("review-reply-beneficiaries.png"))
        .await;
    let confirmed = confirm_review(&app, 1).await;
    wait_for_broadcasts(&fake, 1).await;
    app.wait_for_text("#post-results", "1 of 1 sent").await;
    assert_eq!(fake.broadcasts(), confirmed);
    let ops = confirmed[0].as_array().unwrap();
    assert_eq!(ops.len(), 2, "the reply and its payout options: {ops:?}");
    let (reply, options) = (&ops[0], &ops[1]);
    assert_eq!(reply[0], "comment");
    assert_eq!(reply[1]["parent_author"], "carol");
    assert_eq!(reply[1]["title"], "");
    assert_eq!(options[0], "comment_options");
    assert_eq!(options[1]["permlink"], reply[1]["permlink"]);
    assert_eq!(options[1]["max_accepted_payout"], "50.000 HBD");
    assert_eq!(
        options[1]["extensions"],
        json!([[0, {"beneficiaries": [{"account": "dave", "weight": 1000}]}]])
    );
    app.stop().await;
}
