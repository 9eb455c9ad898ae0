//! The read-only API node client (src-tauri/chain.rs) over real HTTP against fake API nodes
//! (`fake_hivesigner::node`): reading content and votes in the shapes real nodes answer,
//! sticky failover, errors that name each node, and whether a transaction is on chain.
//!
//! No keyring, no display: plain `cargo test --test chain_node`.

mod support;

use std::time::Duration;

use authdeck::chain::{ChainClient, NodeError, NodeList, OnChain};
use authdeck::error::Error;
use authdeck::provider::Chain;
use fake_hivesigner::node::{FakeNode, FIRST_BLOCK};
use serde_json::{json, Value};
use url::Url;

// ---------------------------------------------------------------------------------------------
// Helpers

/// A Hive client over `nodes`, in this order, with a short timeout.
fn client(nodes: &[&FakeNode]) -> ChainClient {
    client_over(
        nodes.iter().map(|node| node.url()).collect(),
        Duration::from_secs(5),
    )
}

fn client_over(urls: Vec<String>, timeout: Duration) -> ChainClient {
    let urls = urls
        .iter()
        .map(|url| Url::parse(url).expect("a test URL"))
        .collect();
    ChainClient::new(Chain::Hive, &NodeList::new(urls, Vec::new()), timeout)
        .expect("the client starts")
}

/// `127.0.0.1:PORT`: how errors name a fake.
fn name(node: &FakeNode) -> String {
    node.url().trim_start_matches("http://").to_owned()
}

fn vote(voter: &str, author: &str, permlink: &str, weight: i64) -> Value {
    json!(["vote", {"voter": voter, "author": author, "permlink": permlink, "weight": weight}])
}

fn post(author: &str, permlink: &str, body: &str) -> Value {
    json!(["comment", {"parent_author": "", "parent_permlink": "hive-123456", "author": author,
        "permlink": permlink, "title": "My first post", "body": body,
        "json_metadata": "{\"tags\":[\"hive-123456\"],\"app\":\"authdeck/0.1\"}"}])
}

fn reply(author: &str, permlink: &str, parent_author: &str, parent_permlink: &str) -> Value {
    json!(["comment", {"parent_author": parent_author, "parent_permlink": parent_permlink,
        "author": author, "permlink": permlink, "title": "", "body": "Nice!",
        "json_metadata": "{\"app\":\"authdeck/0.1\"}"}])
}

fn follow(follower: &str, following: &str) -> Value {
    let json = json!(["follow", {"follower": follower, "following": following, "what": ["blog"]}]);
    json!(["custom_json", {"required_auths": [], "required_posting_auths": [follower],
        "id": "follow", "json": json.to_string()}])
}

fn found(answer: OnChain) -> String {
    match answer {
        OnChain::Found { evidence } => evidence,
        other => panic!("expected Found, got {other:?}"),
    }
}

fn missing(answer: OnChain) -> String {
    match answer {
        OnChain::Missing { checked } => checked,
        other => panic!("expected Missing, got {other:?}"),
    }
}

/// A port where nothing listens.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// A server that accepts connections and never answers.
async fn silent_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

// ---------------------------------------------------------------------------------------------
// Reading

#[tokio::test]
async fn content_is_read_with_its_fields() {
    let node = FakeNode::start().await;
    node.add_post("alice", "my-post");
    node.apply(&json!([reply("bob", "re-my-post", "alice", "my-post")]));
    let chain = client(&[&node]);

    let content = chain
        .get_content("alice", "my-post")
        .await
        .unwrap()
        .expect("the post exists");
    assert_eq!(
        (content.author.as_str(), content.permlink.as_str()),
        ("alice", "my-post")
    );
    assert_eq!(content.title, "A post by @alice");
    assert!(!content.is_reply());
    assert_eq!(content.children, Some(1));
    let reply = chain
        .get_content("bob", "re-my-post")
        .await
        .unwrap()
        .unwrap();
    assert!(reply.is_reply());
    assert_eq!(reply.parent_author, "alice");
    assert_eq!(
        node.calls()[0],
        (
            "condenser_api.get_content".to_owned(),
            json!(["alice", "my-post"])
        )
    );
}

#[tokio::test]
async fn missing_content_is_none_and_not_a_node_failure() {
    let (first, second) = (FakeNode::start().await, FakeNode::start().await);
    let chain = client(&[&first, &second]);

    // Steem and older Hive nodes: a content object with an empty author.
    assert_eq!(chain.get_content("alice", "nope").await.unwrap(), None);
    // Hive's hivemind: a -32602 "Post alice/nope does not exist" error.
    first.missing_as_error(true);
    assert_eq!(chain.get_content("alice", "nope").await.unwrap(), None);
    assert_eq!(
        chain.get_active_votes("alice", "nope").await.unwrap(),
        Vec::new()
    );
    assert_eq!(first.count("condenser_api.get_content"), 2);
    assert_eq!(second.calls().len(), 0, "no failover for a missing post");
}

#[tokio::test]
async fn votes_read_with_number_and_string_percent() {
    let node = FakeNode::start().await;
    node.add_vote("bob", "post", "alice", 5000);
    node.add_vote("bob", "post", "carol", -2500);
    let chain = client(&[&node]);

    for as_string in [false, true] {
        node.percent_as_string(as_string);
        let votes = chain.get_active_votes("bob", "post").await.unwrap();
        let seen: Vec<(&str, i64)> = votes
            .iter()
            .map(|vote| (vote.voter.as_str(), vote.percent))
            .collect();
        assert_eq!(
            seen,
            [("alice", 5000), ("carol", -2500)],
            "as string: {as_string}"
        );
        assert_eq!(votes[0].rshares, Some(5_000_000_000));
    }
    assert_eq!(node.count("condenser_api.get_active_votes"), 2);
}

#[tokio::test]
async fn global_properties_follow_the_fake_chain() {
    let node = FakeNode::start().await;
    let chain = client(&[&node]);
    let before = chain.get_dynamic_global_properties().await.unwrap();
    assert_eq!(before.head_block_number, FIRST_BLOCK);
    assert_eq!(before.time.len(), "2026-01-01T00:00:00".len());
    node.add_post("alice", "p");
    let after = chain.get_dynamic_global_properties().await.unwrap();
    assert_eq!(after.head_block_number, FIRST_BLOCK + 1);
}

#[tokio::test]
async fn the_fake_speaks_the_call_form_and_refuses_unknown_methods() {
    let node = FakeNode::start().await;
    node.add_post("alice", "p");
    let http = reqwest::Client::new();
    let ask = |body: Value| {
        let request = http.post(node.url()).json(&body).send();
        async move { request.await.unwrap().json::<Value>().await.unwrap() }
    };

    let answer = ask(json!({"jsonrpc": "2.0", "method": "call",
        "params": ["condenser_api", "get_content", ["alice", "p"]], "id": 7}))
    .await;
    assert_eq!(
        (answer["id"].clone(), answer["result"]["author"].clone()),
        (json!(7), json!("alice"))
    );
    assert_eq!(node.count("condenser_api.get_content"), 1);

    let unknown = ask(
        json!({"jsonrpc": "2.0", "method": "condenser_api.get_nothing",
        "params": [], "id": 8}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32601);
    let unversioned =
        ask(json!({"method": "condenser_api.get_content", "params": [], "id": 9})).await;
    assert_eq!(unversioned["error"]["code"], -32600);
}

// ---------------------------------------------------------------------------------------------
// Failover

#[tokio::test]
async fn a_down_node_is_skipped_and_the_next_call_starts_where_the_answer_came_from() {
    let (first, second) = (FakeNode::start().await, FakeNode::start().await);
    first.add_post("alice", "p");
    second.add_post("alice", "p");
    first.set_down(true);
    let chain = client(&[&first, &second]);

    assert!(chain.get_content("alice", "p").await.unwrap().is_some());
    assert_eq!((first.calls().len(), second.calls().len()), (1, 1));
    assert_eq!(
        chain.preferred_node().map(Url::to_string),
        Some(format!("{}/", second.url()))
    );

    // Sticky: the next call goes to the second node directly, even with the first back up.
    first.set_down(false);
    chain.get_active_votes("alice", "p").await.unwrap();
    assert_eq!((first.calls().len(), second.calls().len()), (1, 2));

    // And it wraps around: the second down, the first answers and becomes preferred.
    second.set_down(true);
    chain.get_dynamic_global_properties().await.unwrap();
    assert_eq!((first.calls().len(), second.calls().len()), (2, 3));
    chain.get_dynamic_global_properties().await.unwrap();
    assert_eq!((first.calls().len(), second.calls().len()), (3, 3));
}

#[tokio::test]
async fn an_internal_error_of_a_node_fails_over() {
    let (first, second) = (FakeNode::start().await, FakeNode::start().await);
    second.add_vote("bob", "p", "alice", 10000);
    first.fail_next(1);
    let chain = client(&[&first, &second]);

    let votes = chain.get_active_votes("bob", "p").await.unwrap();
    assert_eq!(votes.len(), 1, "the second node's answer");
    assert_eq!(first.count("condenser_api.get_active_votes"), 1);
}

#[tokio::test]
async fn all_nodes_down_is_an_error_naming_each_node() {
    let (first, second) = (FakeNode::start().await, FakeNode::start().await);
    first.set_down(true);
    second.fail_next(1);
    let chain = client(&[&first, &second]);

    let err = chain.get_content("alice", "p").await.unwrap_err();
    let words = err.to_string();
    assert!(
        matches!(&err, NodeError::Unanswered { tried } if tried.len() == 2),
        "{err:?}"
    );
    assert_eq!(
        words,
        format!(
            "none of the API nodes answered ({}: HTTP 502 Bad Gateway; {}: answered the error \
             Internal Error (-32603))",
            name(&first),
            name(&second)
        )
    );
    let app_error = Error::from(err);
    assert_eq!(app_error.code(), "chain_unreadable");
    assert!(
        app_error.message().contains(&name(&first)),
        "{}",
        app_error.message()
    );
    assert!(app_error.message().contains("AUTHDECK_HIVE_NODES"));
}

#[tokio::test]
async fn silent_and_closed_nodes_are_skipped_in_bounded_time() {
    let node = FakeNode::start().await;
    node.add_post("alice", "p");
    let (silent, _server) = silent_server().await;
    let closed = closed_port().await;
    let chain = client_over(
        vec![silent.clone(), closed.clone(), node.url()],
        Duration::from_millis(300),
    );

    let started = std::time::Instant::now();
    assert!(chain.get_content("alice", "p").await.unwrap().is_some());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let dead = client_over(vec![silent, closed.clone()], Duration::from_millis(300));
    let words = dead
        .get_content("alice", "p")
        .await
        .unwrap_err()
        .to_string();
    assert!(words.contains(": timed out;"), "{words}");
    assert!(
        words.contains(&format!(
            "{}: could not connect",
            closed.trim_start_matches("http://")
        )),
        "{words}"
    );
}

#[tokio::test]
async fn no_nodes_is_an_error_naming_the_variable() {
    let chain = client_over(Vec::new(), Duration::from_secs(1));
    let err = chain.get_content("alice", "p").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no API node is configured (set AUTHDECK_HIVE_NODES)"
    );
}

// ---------------------------------------------------------------------------------------------
// Is it on chain?

#[tokio::test]
async fn a_vote_is_found_once_applied_at_the_same_weight() {
    let node = FakeNode::start().await;
    node.add_post("bob", "post");
    let chain = client(&[&node]);
    let operations = [vote("alice", "bob", "post", 5000)];

    let before = missing(chain.find_on_chain(&operations).await.unwrap());
    assert_eq!(
        before,
        format!(
            "the chain lists no vote by @alice on @bob/post ({})",
            name(&node)
        )
    );

    node.apply(&json!(operations));
    node.percent_as_string(true);
    let evidence = found(chain.find_on_chain(&operations).await.unwrap());
    assert_eq!(
        evidence,
        format!(
            "the chain lists @alice's vote at 50.00 % on @bob/post ({})",
            name(&node)
        )
    );
}

#[tokio::test]
async fn a_vote_at_another_weight_is_missing() {
    let node = FakeNode::start().await;
    node.add_vote("bob", "post", "alice", 2500);
    let chain = client(&[&node]);

    let checked = missing(
        chain
            .find_on_chain(&[vote("alice", "bob", "post", 5000)])
            .await
            .unwrap(),
    );
    assert!(checked.contains("at 25.00 %, not 50.00 %"), "{checked}");
}

#[tokio::test]
async fn a_vote_on_a_missing_post_is_missing_in_both_node_shapes() {
    let node = FakeNode::start().await;
    let chain = client(&[&node]);
    let operations = [vote("alice", "bob", "nope", 10000)];
    for as_error in [false, true] {
        node.missing_as_error(as_error);
        missing(chain.find_on_chain(&operations).await.unwrap());
    }
}

#[tokio::test]
async fn a_removed_vote_is_found_when_listed_at_zero() {
    let node = FakeNode::start().await;
    node.add_vote("bob", "post", "alice", 5000);
    let chain = client(&[&node]);
    let removal = [vote("alice", "bob", "post", 0)];

    missing(chain.find_on_chain(&removal).await.unwrap());
    node.apply(&json!(removal));
    let evidence = found(chain.find_on_chain(&removal).await.unwrap());
    assert!(
        evidence.contains("@alice's vote at 0.00 % on @bob/post"),
        "{evidence}"
    );

    // A voter who is not listed had nothing to remove: the removal is not on chain.
    missing(
        chain
            .find_on_chain(&[vote("dave", "bob", "post", 0)])
            .await
            .unwrap(),
    );
}

#[tokio::test]
async fn a_post_is_found_once_applied_with_its_options() {
    let node = FakeNode::start().await;
    let chain = client(&[&node]);
    let operations = [
        post("alice", "my-first-post", "Markdown body"),
        json!(["comment_options", {"author": "alice", "permlink": "my-first-post",
            "max_accepted_payout": "1000000.000 HBD", "percent_hbd": 10000, "allow_votes": true,
            "allow_curation_rewards": true, "extensions": []}]),
    ];

    let checked = missing(chain.find_on_chain(&operations).await.unwrap());
    assert_eq!(
        checked,
        format!("the chain has no @alice/my-first-post ({})", name(&node))
    );
    node.apply(&json!(operations));
    let evidence = found(chain.find_on_chain(&operations).await.unwrap());
    assert_eq!(
        evidence,
        format!(
            "the chain has the post @alice/my-first-post by @alice ({})",
            name(&node)
        )
    );
}

#[tokio::test]
async fn an_edit_that_did_not_land_is_missing() {
    let node = FakeNode::start().await;
    node.apply(&json!([post("alice", "my-first-post", "First version")]));
    let chain = client(&[&node]);

    let edit = [post("alice", "my-first-post", "Second version")];
    let checked = missing(chain.find_on_chain(&edit).await.unwrap());
    assert!(checked.contains("with another body"), "{checked}");
    node.apply(&json!(edit));
    found(chain.find_on_chain(&edit).await.unwrap());
}

#[tokio::test]
async fn a_reply_is_found_once_applied() {
    let node = FakeNode::start().await;
    node.add_post("bob", "bobs-post");
    node.missing_as_error(true);
    let chain = client(&[&node]);
    let operations = [reply(
        "alice",
        "re-bob-bobs-post-20260101t000000000z",
        "bob",
        "bobs-post",
    )];

    missing(chain.find_on_chain(&operations).await.unwrap());
    node.apply(&json!(operations));
    let evidence = found(chain.find_on_chain(&operations).await.unwrap());
    assert!(
        evidence.starts_with(
            "the chain has the reply @alice/re-bob-bobs-post-20260101t000000000z to \
             @bob/bobs-post by @alice"
        ),
        "{evidence}"
    );
}

#[tokio::test]
async fn a_custom_json_is_uncheckable_and_asks_no_node() {
    let node = FakeNode::start().await;
    let chain = client(&[&node]);

    let answer = chain
        .find_on_chain(&[follow("alice", "bob")])
        .await
        .unwrap();
    assert_eq!(
        answer,
        OnChain::Uncheckable {
            kind: "custom_json".into()
        }
    );
    let claim = json!(["claim_reward_balance", {"account": "alice", "reward_hive": "0.000 HIVE",
        "reward_hbd": "0.000 HBD", "reward_vests": "1.000000 VESTS"}]);
    let answer = chain
        .find_on_chain(&[follow("alice", "bob"), claim])
        .await
        .unwrap();
    assert_eq!(
        answer,
        OnChain::Uncheckable {
            kind: "custom_json, claim_reward_balance".into()
        }
    );
    assert!(node.calls().is_empty());
}

#[tokio::test]
async fn the_first_checkable_operation_decides() {
    let node = FakeNode::start().await;
    node.add_vote("bob", "post", "alice", 10000);
    let chain = client(&[&node]);

    let operations = [
        follow("alice", "bob"),
        vote("alice", "bob", "post", 10000),
        post("alice", "never-sent", "Body"),
    ];
    found(chain.find_on_chain(&operations).await.unwrap());
    assert_eq!(node.count("condenser_api.get_content"), 0);
}

#[tokio::test]
async fn find_on_chain_with_every_node_down_is_an_error() {
    let node = FakeNode::start().await;
    node.set_down(true);
    let chain = client(&[&node]);

    let err = chain
        .find_on_chain(&[vote("alice", "bob", "post", 10000)])
        .await
        .unwrap_err();
    assert!(matches!(err, NodeError::Unanswered { .. }), "{err:?}");
}
