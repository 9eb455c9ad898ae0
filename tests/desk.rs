//! The curator's desk (src-tauri/desk.rs) over real HTTP against a fake Hivesigner and fake
//! API nodes (`fake_hivesigner::node`): the post card with each account's standing (health,
//! mana, a full vote's value, the vote already cast), posts that take no votes, accounts that
//! cannot vote and why, the authority panel (the app's grant and the @hivesigner grant),
//! pending rewards, failover to the next node, and how many node calls a card makes.
//!
//! The core keeps its tokens in an in-memory store, so no keyring and no display are needed:
//! plain `cargo test --test desk`. The clock stands still, so every mana and value below is
//! pinned and computed by hand in the comments.

use std::sync::Arc;
use std::time::Duration;

use authdeck::accounts::{AccountId, Health};
use authdeck::catalog::AppView;
use authdeck::chain::NodeList;
use authdeck::clock::{Clock, ManualClock, SystemClock};
use authdeck::desk::{AccountStanding, PostCard};
use authdeck::error::Error;
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{MemoryStore, Vault};
use fake_hivesigner::node::{AccountState, FakeNode, PostFields};
use fake_hivesigner::token_site::{FakeTokenSite, TokenSiteConfig};
use fake_hivesigner::{consent, Consent, FakeConfig, FakeHivesigner, RedirectRules};
use secrecy::SecretString;
use serde_json::{json, Value};
use url::Url;

/// The client secret the fake and the app share.
const SECRET: &str = "desk-secret-horse-battery";
/// The app every account here authorized.
const APP: &str = "deskapp";

const GET_CONTENT: &str = "condenser_api.get_content";
const GET_VOTES: &str = "condenser_api.get_active_votes";
const GET_ACCOUNTS: &str = "condenser_api.get_accounts";
const GET_FUND: &str = "condenser_api.get_reward_fund";
const GET_PRICE: &str = "condenser_api.get_current_median_history_price";
const GET_GLOBALS: &str = "condenser_api.get_dynamic_global_properties";
/// Every node call behind a card, in this order wherever they are counted.
const CALLS: [&str; 6] = [
    GET_CONTENT,
    GET_VOTES,
    GET_ACCOUNTS,
    GET_FUND,
    GET_PRICE,
    GET_GLOBALS,
];

/// A core over a fake Hivesigner and the given API nodes, its clock standing still.
struct Desk {
    core: Arc<Authdeck>,
    fake: FakeHivesigner,
    clock: Arc<ManualClock>,
    app: AppView,
}

impl Desk {
    /// A core asking `nodes` in this order (for both chains).
    async fn over(nodes: &[&FakeNode]) -> Desk {
        let urls: Vec<Url> = nodes
            .iter()
            .map(|node| Url::parse(&node.url()).unwrap())
            .collect();
        let fake = FakeHivesigner::start(FakeConfig {
            redirect_rules: RedirectRules::Legacy,
            ..FakeConfig::default()
        })
        .await;
        let clock = Arc::new(ManualClock::at(SystemClock.now()));
        let settings = Settings {
            retry_first_delay: Duration::from_millis(10),
            http_timeout: Duration::from_secs(2),
            nodes: NodeList::new(urls.clone(), urls),
            ..Settings::default()
        };
        let core = Authdeck::new(Parts {
            registry: Registry::in_memory().unwrap(),
            vault: Vault::new(Arc::new(MemoryStore::default())),
            clock: clock.clone(),
            events: Arc::new(RecordedEvents::default()),
            settings,
        })
        .unwrap();
        fake.register_app(APP, SECRET, &["authdeck://callback"]);
        let input = json!({
            "preset": "hivesigner_compatible",
            "baseUrl": fake.base_url(),
            "clientId": APP,
            "scopes": ["posting", "offline"],
            "redirectMode": "custom_scheme",
            "clientSecret": SECRET,
        });
        let app = core
            .catalog()
            .register_app(serde_json::from_value(input).unwrap())
            .await
            .expect("the app registers");
        Desk {
            core,
            fake,
            clock,
            app,
        }
    }

    /// Signs `user` in to the app and returns the account's id.
    async fn sign_in(&self, user: &str) -> AccountId {
        self.fake
            .set_consent(Consent::AutoApprove { user: user.into() });
        let started = self
            .core
            .sign_ins()
            .start_sign_in(self.app.id, None)
            .await
            .expect("the sign-in starts");
        let redirect = consent(&started.authorize_url)
            .await
            .expect("the provider redirects back");
        self.core
            .sign_ins()
            .complete_sign_in(&redirect)
            .await
            .expect("the sign-in completes")
            .account
            .id
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The card of `link` for `ids`, or why it is refused.
    async fn try_card(&self, link: &str, ids: &[AccountId]) -> Result<PostCard, Error> {
        self.core.desk().post_card(link, ids).await
    }

    async fn card(&self, link: &str, ids: &[AccountId]) -> PostCard {
        self.try_card(link, ids).await.expect("the card is read")
    }

    /// Why the card of `link` for `ids` is refused.
    async fn card_error(&self, link: &str, ids: &[AccountId]) -> Error {
        self.try_card(link, ids)
            .await
            .expect_err("the card is refused")
    }

    /// How the accounts `ids` stand, without a post.
    async fn account_standing(&self, ids: &[AccountId]) -> Vec<AccountStanding> {
        self.core
            .desk()
            .account_standing(ids)
            .await
            .expect("the standing is read")
    }
}

/// @alice: 1,500,000 VESTS owned - 600,000 delegated + 100,000 received = 1,000,000 VESTS,
/// so her maximum mana is 10^12. She had 60 % (6 * 10^11) 12 hours ago and regained
/// 10^12 * 43200 / 432000 = 10^11 since: 70 % now.
///
/// Her full vote spends 7 * 10^11 / 50 = 1.4 * 10^10 mana; minus the dust 5 * 10^7 that is
/// 13,950,000,000 rshares. Against the pool of 800,000.000 HIVE for 10^15 recent claims at
/// 0.250 HBD per HIVE: 13.95 * 10^9 / 10^15 * 800,000 = 11.16 HIVE = 2.790 HBD.
fn alice(now: i64) -> AccountState {
    AccountState {
        vesting_shares: "1500000.000000 VESTS".into(),
        delegated_vesting_shares: "600000.000000 VESTS".into(),
        received_vesting_shares: "100000.000000 VESTS".into(),
        current_mana: 600_000_000_000,
        last_update_time: now - 43_200,
        posting_account_auths: vec![(APP.into(), 1)],
        ..AccountState::default()
    }
}

/// @bob: 500,000 VESTS, his mana last empty 5 days ago, so full (5 * 10^11, 100 %). His full
/// vote: 5 * 10^11 / 50 = 10^10 - 5 * 10^7 = 9,950,000,000 rshares
/// = 9.95 * 10^9 / 10^15 * 800,000 = 7.96 HIVE = 1.990 HBD.
fn bob(now: i64) -> AccountState {
    AccountState {
        vesting_shares: "500000.000000 VESTS".into(),
        current_mana: 0,
        last_update_time: now - 432_000,
        posting_account_auths: vec![(APP.into(), 1)],
        ..AccountState::default()
    }
}

/// The economy both cards use: the numbers of the comments above.
fn economy(node: &FakeNode) {
    node.set_reward_fund("800000.000 HIVE", "1000000000000000");
    node.set_median_price("0.250 HBD", "1.000 HIVE");
}

/// @carol/winter-trip, an hour old, in hive-123456, with @alice's vote at 50 %.
fn winter_trip(node: &FakeNode, now: i64) {
    node.add_post("carol", "winter-trip");
    node.set_post(
        "carol",
        "winter-trip",
        PostFields {
            title: Some("Winter trip".into()),
            created: Some(now - 3600),
            pending_payout_value: Some("1.234 HBD".into()),
            ..PostFields::default()
        },
    );
    node.add_vote("carol", "winter-trip", "alice", 5000);
}

/// A desk over one node with @alice and @bob signed in and set on chain, and the post.
async fn alice_and_bob() -> (Desk, FakeNode, AccountId, AccountId) {
    let node = FakeNode::start().await;
    let desk = Desk::over(&[&node]).await;
    let (alice_id, bob_id) = (desk.sign_in("alice").await, desk.sign_in("bob").await);
    node.set_account("alice", alice(desk.now()));
    node.set_account("bob", bob(desk.now()));
    economy(&node);
    winter_trip(&node, desk.now());
    (desk, node, alice_id, bob_id)
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// An account's mana now and the value of its full vote, as the card writes them.
fn mana_and_value(account: &AccountStanding) -> (Option<f64>, Option<&str>) {
    (account.mana_percent, account.full_vote_value.as_deref())
}

fn standing<'a>(card: &'a [AccountStanding], username: &str) -> &'a AccountStanding {
    card.iter()
        .find(|account| account.username == username)
        .unwrap_or_else(|| panic!("@{username} is listed"))
}

// ---------------------------------------------------------------------------------------------
// The card

#[tokio::test]
async fn a_post_card_shows_the_post_and_how_each_account_stands() {
    let (desk, _node, alice_id, bob_id) = alice_and_bob().await;

    let card = desk
        .card(
            "https://peakd.com/hive-123456/@carol/winter-trip",
            &[alice_id, bob_id, alice_id],
        )
        .await;

    let post = &card.post;
    assert_eq!(
        (post.author.as_str(), post.permlink.as_str()),
        ("carol", "winter-trip")
    );
    assert_eq!(post.title, "Winter trip");
    assert_eq!(post.community, "hive-123456");
    assert_eq!(post.created, Some(desk.now() - 3600));
    assert_eq!(post.age_seconds, Some(3600));
    // The fake pays out 7 days after creation.
    assert_eq!(post.cashout_time, Some(desk.now() - 3600 + 7 * 86_400));
    assert_eq!(post.pending_payout, "1.234 HBD");
    assert!(post.votable && post.not_votable_reason.is_none());
    assert!(!post.is_comment && post.parent.is_none());
    assert_eq!(post.net_votes, 1);
    assert_eq!(post.url, "https://hive.blog/@carol/winter-trip");

    // Each account once, in the order asked.
    let names: Vec<&str> = card.accounts.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);

    // Already voted by @alice at 50 %; mana and value as computed at `alice()`.
    let alice = standing(&card.accounts, "alice");
    assert_eq!(alice.account_id, alice_id);
    assert_eq!(alice.health, Health::Fresh);
    assert!(alice.can_vote && alice.reason.is_none(), "{alice:?}");
    let voted = alice.already_voted.as_ref().expect("@alice voted");
    assert_eq!((voted.percent, voted.text.as_str()), (5000, "50.00 %"));
    assert_eq!(mana_and_value(alice), (Some(70.0), Some("2.790 HBD")));

    // @bob has not voted; full mana, the value of `bob()`.
    let bob = standing(&card.accounts, "bob");
    assert!(bob.can_vote);
    assert_eq!(bob.already_voted, None);
    assert_eq!(mana_and_value(bob), (Some(100.0), Some("1.990 HBD")));

    // The exact shape the window reads.
    let json = serde_json::to_value(&card).unwrap();
    assert_eq!(keys(&json), ["accounts", "post"]);
    assert_eq!(
        keys(&json["post"]),
        [
            "ageSeconds",
            "author",
            "cashoutTime",
            "chain",
            "children",
            "community",
            "created",
            "isComment",
            "netVotes",
            "notVotableReason",
            "parent",
            "pendingPayout",
            "permlink",
            "title",
            "url",
            "votable",
        ]
    );
    assert_eq!(
        keys(&json["accounts"][0]),
        [
            "accountId",
            "alreadyVoted",
            "canVote",
            "chain",
            "fullVoteValue",
            "health",
            "manaPercent",
            "reason",
            "username",
        ]
    );
    assert_eq!(json["post"]["chain"], "hive");
    assert_eq!(
        json["accounts"][0]["alreadyVoted"],
        json!({"percent": 5000, "text": "50.00 %"})
    );
    assert_eq!(json["accounts"][0]["manaPercent"], json!(70.0));
    assert_eq!(json["accounts"][1]["alreadyVoted"], Value::Null);
    assert_eq!(json["accounts"][0]["health"], "fresh");
}

#[tokio::test]
async fn a_card_costs_three_node_calls_and_the_economy_once_a_minute() {
    let (desk, node, alice_id, bob_id) = alice_and_bob().await;
    let counts = |node: &FakeNode| CALLS.map(|method| node.count(method));
    assert_eq!(counts(&node), [0; 6]);

    // The first card: one of each, whatever the number of accounts.
    desk.card("@carol/winter-trip", &[alice_id, bob_id]).await;
    assert_eq!(counts(&node), [1, 1, 1, 1, 1, 1]);
    let asked = node.calls();
    let (_, accounts) = asked
        .iter()
        .find(|(method, _)| method == GET_ACCOUNTS)
        .unwrap();
    assert_eq!(
        accounts,
        &json!([["alice", "bob"]]),
        "one call for all accounts"
    );

    // Within the minute the economy is reused: 3 calls per card.
    desk.clock.advance(30);
    desk.card("@carol/winter-trip", &[alice_id, bob_id]).await;
    assert_eq!(counts(&node), [2, 2, 2, 1, 1, 1]);

    // A minute later it is read again.
    desk.clock.advance(31);
    desk.card("@carol/winter-trip", &[alice_id]).await;
    assert_eq!(counts(&node), [3, 3, 3, 2, 2, 2]);

    // Without accounts: the post and its votes only (the economy is still fresh).
    desk.card("@carol/winter-trip", &[]).await;
    assert_eq!(counts(&node), [4, 4, 3, 2, 2, 2]);

    // The standing without a post: one get_accounts, the economy still fresh.
    desk.account_standing(&[alice_id, bob_id]).await;
    assert_eq!(counts(&node), [4, 4, 4, 2, 2, 2]);
}

#[tokio::test]
async fn standing_without_a_post_has_the_same_mana_and_value() {
    let (desk, _node, alice_id, bob_id) = alice_and_bob().await;
    let standing = desk.account_standing(&[bob_id, alice_id]).await;
    let names: Vec<&str> = standing.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["bob", "alice"]);
    assert_eq!(
        mana_and_value(&standing[1]),
        (Some(70.0), Some("2.790 HBD"))
    );
    assert_eq!(standing[1].already_voted, None);
    assert!(standing.iter().all(|account| account.can_vote));

    // 12 hours later @alice has regained another 10 %: 80 %, so her full vote spends
    // 8 * 10^11 / 50 = 1.6 * 10^10 - 5 * 10^7 = 15,950,000,000 rshares
    // = 15.95 * 10^9 / 10^15 * 800,000 = 12.76 HIVE = 3.190 HBD.
    desk.clock.advance(43_200);
    let later = desk.account_standing(&[alice_id]).await;
    assert_eq!(mana_and_value(&later[0]), (Some(80.0), Some("3.190 HBD")));
}

#[tokio::test]
async fn post_voting_power_is_used_when_the_node_sends_it() {
    let (desk, node, _, bob_id) = alice_and_bob().await;
    // The node says @bob votes with 250,000 VESTS (a power down under way): full mana is
    // 2.5 * 10^11, a full vote 2.5 * 10^11 / 50 = 5 * 10^9 - 5 * 10^7 = 4,950,000,000 rshares
    // = 4.95 * 10^9 / 10^15 * 800,000 = 3.96 HIVE = 0.990 HBD.
    node.set_account(
        "bob",
        AccountState {
            post_voting_power: Some("250000.000000 VESTS".into()),
            ..bob(desk.now())
        },
    );
    let standing = desk.account_standing(&[bob_id]).await;
    assert_eq!(
        mana_and_value(&standing[0]),
        (Some(100.0), Some("0.990 HBD"))
    );
}

#[tokio::test]
async fn a_vote_in_the_last_twelve_hours_counts_for_less() {
    let (desk, node, alice_id, _) = alice_and_bob().await;
    // Payout in 6 hours: half of 13,950,000,000 rshares = 6,975,000,000 = 1.395 HBD.
    node.set_post(
        "carol",
        "winter-trip",
        PostFields {
            cashout_time: Some(desk.now() + 21_600),
            ..PostFields::default()
        },
    );
    let card = desk.card("@carol/winter-trip", &[alice_id]).await;
    assert!(card.post.votable);
    assert_eq!(
        card.accounts[0].full_vote_value.as_deref(),
        Some("1.395 HBD")
    );
}

#[tokio::test]
async fn a_comment_is_named_as_one() {
    let (desk, node, alice_id, _) = alice_and_bob().await;
    node.apply(
        &json!(["comment", {"parent_author": "carol", "parent_permlink": "winter-trip",
        "author": "dave", "permlink": "re-winter-trip", "title": "", "body": "Lovely!",
        "json_metadata": "{}"}]),
    );

    let card = desk
        .card(
            "https://hive.blog/hive-123456/@carol/winter-trip#@dave/re-winter-trip",
            &[alice_id],
        )
        .await;
    assert_eq!(card.post.author, "dave");
    assert!(card.post.is_comment);
    assert_eq!(card.post.title, "RE: Winter trip");
    assert_eq!(card.post.community, "hive-123456");
    let parent = card.post.parent.as_ref().expect("a comment has a parent");
    assert_eq!(
        (parent.author.as_str(), parent.permlink.as_str()),
        ("carol", "winter-trip")
    );
    assert_eq!(
        card.accounts[0].already_voted, None,
        "@alice voted on the post, not on it"
    );
}

// ---------------------------------------------------------------------------------------------
// What cannot be voted, and who cannot vote

#[tokio::test]
async fn a_post_past_its_payout_or_closed_to_votes_is_not_votable() {
    let (desk, node, alice_id, bob_id) = alice_and_bob().await;

    // Paid out: the chain's "never" as its cashout time.
    node.add_post("carol", "old-news");
    node.set_post(
        "carol",
        "old-news",
        PostFields {
            created: Some(desk.now() - 8 * 86_400),
            cashout_time: Some(-1),
            ..PostFields::default()
        },
    );
    let card = desk.card("@carol/old-news", &[alice_id, bob_id]).await;
    assert!(!card.post.votable);
    assert_eq!(card.post.cashout_time, None);
    let reason = card.post.not_votable_reason.clone().expect("a reason");
    assert!(reason.contains("payout window"), "{reason}");
    for account in &card.accounts {
        assert!(!account.can_vote);
        assert_eq!(account.reason.as_deref(), Some(reason.as_str()));
        // Mana and value are still shown.
        assert!(account.mana_percent.is_some() && account.full_vote_value.is_some());
    }

    // A cashout time already past counts the same.
    node.set_post(
        "carol",
        "old-news",
        PostFields {
            cashout_time: Some(desk.now() - 60),
            ..PostFields::default()
        },
    );
    let card = desk.card("@carol/old-news", &[alice_id]).await;
    assert!(!card.post.votable);

    // Votes turned off by the author.
    node.add_post("carol", "no-votes");
    node.set_post(
        "carol",
        "no-votes",
        PostFields {
            allow_votes: Some(false),
            ..PostFields::default()
        },
    );
    let card = desk.card("@carol/no-votes", &[alice_id]).await;
    assert!(!card.post.votable);
    let reason = card.post.not_votable_reason.as_deref().unwrap();
    assert!(reason.contains("turned votes off"), "{reason}");
    assert!(!card.accounts[0].can_vote);
}

#[tokio::test]
async fn an_account_that_needs_to_sign_in_cannot_vote_and_says_why() {
    let (desk, _node, alice_id, bob_id) = alice_and_bob().await;
    desk.fake.refuse_refresh(true);
    desk.core
        .tokens()
        .refresh_now(bob_id)
        .await
        .expect_err("the provider refuses the refresh");

    let card = desk.card("@carol/winter-trip", &[alice_id, bob_id]).await;
    let bob = standing(&card.accounts, "bob");
    assert_eq!(bob.health, Health::NeedsSignIn);
    assert!(!bob.can_vote);
    let reason = bob.reason.as_deref().expect("a reason");
    assert!(
        reason.starts_with("@bob needs to sign in again"),
        "{reason}"
    );
    // The chain's numbers are still shown.
    assert_eq!(bob.full_vote_value.as_deref(), Some("1.990 HBD"));
    assert!(standing(&card.accounts, "alice").can_vote);
    let json = serde_json::to_value(&card).unwrap();
    assert_eq!(json["accounts"][1]["health"], "needs_sign_in");
}

#[tokio::test]
async fn an_account_the_chain_does_not_know_cannot_vote() {
    let (desk, _node, alice_id, _) = alice_and_bob().await;
    let erin = desk.sign_in("erin").await;
    let card = desk.card("@carol/winter-trip", &[alice_id, erin]).await;
    let erin = standing(&card.accounts, "erin");
    assert!(!erin.can_vote);
    assert_eq!(erin.reason.as_deref(), Some("Hive has no account @erin."));
    assert_eq!(mana_and_value(erin), (None, None));
}

#[tokio::test]
async fn accounts_that_do_not_broadcast_are_left_out() {
    let (desk, _node, alice_id, _) = alice_and_bob().await;
    let site = FakeTokenSite::start(TokenSiteConfig::default()).await;
    let input = json!({
        "preset": "token_site",
        "baseUrl": site.base_url(),
        "clientId": "readerapp",
        "scopes": [],
        "redirectMode": "loopback",
        "appsPage": format!("{}/settings/apps", site.base_url()),
    });
    let reader = desk
        .core
        .catalog()
        .register_app(serde_json::from_value(input).unwrap())
        .await
        .expect("the token-site app registers");
    let token = site.mint_personal_token("frank");
    let frank = desk
        .core
        .sign_ins()
        .add_personal_token(reader.id, SecretString::from(token))
        .await
        .expect("the personal token is taken")
        .account
        .id;

    let card = desk.card("@carol/winter-trip", &[frank, alice_id]).await;
    let names: Vec<&str> = card.accounts.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(names, ["alice"]);
    let rewards = desk.core.desk().pending_rewards(&[frank]).await.unwrap();
    assert!(rewards.is_empty());
    let err = desk.core.desk().authority(frank).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[tokio::test]
async fn a_missing_post_or_a_bad_link_is_the_links_fault() {
    let (desk, _node, alice_id, _) = alice_and_bob().await;
    let field_of = |err: &Error| serde_json::to_value(err).unwrap()["field"].clone();

    let missing = desk.card_error("@carol/never-written", &[alice_id]).await;
    assert_eq!(field_of(&missing), "link");
    assert!(
        missing.message().contains("@carol/never-written"),
        "{}",
        missing.message()
    );

    let bad = desk
        .card_error("https://example.com/@carol/winter-trip", &[alice_id])
        .await;
    assert_eq!(field_of(&bad), "link");

    let unknown = desk
        .card_error("@carol/winter-trip", &[AccountId(999)])
        .await;
    assert_eq!(unknown.code(), "account_not_found");
}

// ---------------------------------------------------------------------------------------------
// Authority and rewards

#[tokio::test]
async fn the_authority_panel_names_a_missing_hivesigner_grant() {
    let (desk, node, alice_id, bob_id) = alice_and_bob().await;
    // The app's account exists but never gave @hivesigner posting authority.
    node.set_account(APP, AccountState::default());

    let panel = desk.core.desk().authority(alice_id).await.unwrap();
    assert_eq!(panel.username, "alice");
    assert_eq!(panel.app, APP);
    assert_eq!(panel.posting_threshold, 1);
    assert_eq!(panel.account_auths, [(APP.to_owned(), 1)]);
    assert_eq!(panel.key_auths_count, 1);
    assert!(panel.app_has_authority);
    assert_eq!(panel.broadcaster, "hivesigner");
    assert!(!panel.broadcaster_granted);
    let fix = panel.fix.as_deref().expect("what to do");
    assert!(
        fix.contains("@deskapp has not given @hivesigner posting authority"),
        "{fix}"
    );
    assert!(
        fix.contains("Broadcaster account doesn't have permission"),
        "{fix}"
    );
    assert_eq!(
        panel.revoke_page.as_deref(),
        Some(format!("{}/revoke/{APP}", desk.fake.base_url()).as_str())
    );
    let json = serde_json::to_value(&panel).unwrap();
    assert_eq!(
        keys(&json),
        [
            "accountAuths",
            "accountId",
            "app",
            "appHasAuthority",
            "broadcaster",
            "broadcasterGranted",
            "chain",
            "fix",
            "keyAuthsCount",
            "postingThreshold",
            "revokePage",
            "username",
        ]
    );
    assert_eq!(json["accountAuths"], json!([[APP, 1]]));

    // Once the app's account grants @hivesigner, nothing is left to fix.
    node.set_account(
        APP,
        AccountState {
            posting_account_auths: vec![("hivesigner".into(), 1)],
            ..AccountState::default()
        },
    );
    let panel = desk.core.desk().authority(alice_id).await.unwrap();
    assert!(panel.broadcaster_granted && panel.app_has_authority);
    assert_eq!(panel.fix, None);

    // @bob removed the app from his posting authority.
    node.set_account(
        "bob",
        AccountState {
            posting_account_auths: vec![("someotherapp".into(), 1)],
            ..bob(desk.now())
        },
    );
    let panel = desk.core.desk().authority(bob_id).await.unwrap();
    assert!(!panel.app_has_authority);
    let fix = panel.fix.as_deref().unwrap();
    assert!(
        fix.contains("@bob has not given @deskapp posting authority"),
        "{fix}"
    );

    // Listed below the threshold is not enough either.
    node.set_account(
        "bob",
        AccountState {
            posting_threshold: 2,
            posting_account_auths: vec![(APP.into(), 1)],
            ..bob(desk.now())
        },
    );
    let panel = desk.core.desk().authority(bob_id).await.unwrap();
    assert!(!panel.app_has_authority);
    assert!(panel.fix.unwrap().contains("below its threshold 2"));

    // The one call it makes: both accounts at once.
    let asked = node.calls();
    let (_, last) = asked.iter().rev().find(|(m, _)| m == GET_ACCOUNTS).unwrap();
    assert_eq!(last, &json!([["bob", APP]]));
}

#[tokio::test]
async fn a_missing_app_account_is_named_in_the_fix() {
    let (desk, _node, alice_id, _) = alice_and_bob().await;
    let panel = desk.core.desk().authority(alice_id).await.unwrap();
    assert!(!panel.broadcaster_granted);
    let fix = panel.fix.unwrap();
    assert!(fix.contains("Hive has no account @deskapp"), "{fix}");
}

#[tokio::test]
async fn pending_rewards_are_the_chains_amounts() {
    let (desk, node, alice_id, bob_id) = alice_and_bob().await;
    node.set_account(
        "alice",
        AccountState {
            reward_hbd_balance: "1.234 HBD".into(),
            reward_vesting_balance: "12.345678 VESTS".into(),
            ..alice(desk.now())
        },
    );
    let rewards = desk
        .core
        .desk()
        .pending_rewards(&[alice_id, bob_id])
        .await
        .unwrap();
    assert_eq!(node.count(GET_ACCOUNTS), 1);
    let json = serde_json::to_value(&rewards).unwrap();
    assert_eq!(
        json,
        json!([
            {"accountId": alice_id.0, "username": "alice", "chain": "hive",
             "rewardHbd": "1.234 HBD", "rewardHive": "0.000 HIVE",
             "rewardVests": "12.345678 VESTS", "hasRewards": true},
            {"accountId": bob_id.0, "username": "bob", "chain": "hive",
             "rewardHbd": "0.000 HBD", "rewardHive": "0.000 HIVE",
             "rewardVests": "0.000000 VESTS", "hasRewards": false},
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// Failover

#[tokio::test]
async fn when_the_first_node_is_down_the_next_answers() {
    let down = FakeNode::start().await;
    let up = FakeNode::start().await;
    down.set_down(true);
    let desk = Desk::over(&[&down, &up]).await;
    let alice_id = desk.sign_in("alice").await;
    up.set_account("alice", alice(desk.now()));
    economy(&up);
    winter_trip(&up, desk.now());

    let card = desk.card("@carol/winter-trip", &[alice_id]).await;
    assert_eq!(card.post.title, "Winter trip");
    assert_eq!(
        card.accounts[0].full_vote_value.as_deref(),
        Some("2.790 HBD")
    );
    assert_eq!(
        card.accounts[0].already_voted.as_ref().map(|v| v.percent),
        Some(5000)
    );
    // The dead node was tried (each of the six calls went to it first at the same moment),
    // the next one answered every call.
    assert!(down.count(GET_CONTENT) >= 1);
    for method in CALLS {
        assert_eq!(up.count(method), 1, "{method}");
    }

    // The node that answered is asked first from then on.
    let before = down.calls().len();
    desk.card("@carol/winter-trip", &[alice_id]).await;
    assert_eq!(
        down.calls().len(),
        before,
        "the dead node is not asked again"
    );

    // With every node down the card says which nodes failed.
    up.set_down(true);
    let err = desk.card_error("@carol/winter-trip", &[alice_id]).await;
    assert_eq!(err.code(), "chain_unreadable");
    assert!(err.message().contains("HTTP 502"), "{}", err.message());
}
