//! A fake Hive API node over real HTTP: JSON-RPC 2.0 POSTs to `/` for
//! `condenser_api.get_active_votes`, `condenser_api.get_content`,
//! `condenser_api.get_dynamic_global_properties`, `condenser_api.get_accounts`,
//! `condenser_api.get_reward_fund` and `condenser_api.get_current_median_history_price`, in
//! the shapes real nodes answer (also in the older `call` form), over a small chain state the
//! test controls.
//!
//! ```ignore
//! let node = FakeNode::start().await;
//! node.apply(&json!([["vote", {"voter": "alice", "author": "bob", "permlink": "post", "weight": 5000}]]));
//! // POST {"jsonrpc":"2.0","method":"condenser_api.get_active_votes","params":["bob","post"],"id":1}
//! // answers [{"voter":"alice","percent":5000,...}]
//! assert_eq!(node.count("condenser_api.get_active_votes"), 1);
//! ```
//!
//! Missing content is answered as Steem nodes (and older Hive nodes) do, a content object with
//! an empty `author` (and no votes), or with [`FakeNode::missing_as_error`] as Hive's hivemind
//! does, a `-32602` error "Post author/permlink does not exist". An unknown method is a
//! `-32601` error. Knobs: [`FakeNode::set_down`] (HTTP 502), [`FakeNode::fail_next`] (a JSON-RPC
//! internal error), [`FakeNode::percent_as_string`]. The server stops when its [`FakeNode`] is
//! dropped.
//!
//! What the curator's desk reads is set directly: accounts ([`FakeNode::set_account`] with an
//! [`AccountState`]: vesting, delegations, manabar, posting authority, unclaimed rewards), the
//! reward fund ([`FakeNode::set_reward_fund`]), the median price
//! ([`FakeNode::set_median_price`]), the global properties ([`FakeNode::set_global`]) and a
//! post's card fields ([`FakeNode::set_post`] with [`PostFields`]). An account that was never
//! set does not exist (real nodes leave unknown names out of `get_accounts`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The head block number before anything was applied.
pub const FIRST_BLOCK: u64 = 90_000_000;

/// Seven days: how long after creation a post pays out.
const PAYOUT_WINDOW_SECS: i64 = 7 * 24 * 60 * 60;

/// An account as the fake chain keeps it, for `condenser_api.get_accounts`. Amounts are the
/// chain's strings (`1000.000000 VESTS`, `0.123 HBD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    /// The vesting shares it owns.
    pub vesting_shares: String,
    /// The vesting shares it delegated away.
    pub delegated_vesting_shares: String,
    /// The vesting shares delegated to it.
    pub received_vesting_shares: String,
    /// `post_voting_power`, sent only when set (as Hive nodes do; older ones do not).
    pub post_voting_power: Option<String>,
    /// The voting manabar's mana at its last update (micro-VESTS).
    pub current_mana: i64,
    /// When the manabar was last updated (Unix seconds).
    pub last_update_time: i64,
    /// The posting authority's weight threshold.
    pub posting_threshold: u32,
    /// The accounts in the posting authority, with their weights.
    pub posting_account_auths: Vec<(String, u32)>,
    /// The keys in the posting authority, with their weights.
    pub posting_key_auths: Vec<(String, u32)>,
    /// Unclaimed HBD.
    pub reward_hbd_balance: String,
    /// Unclaimed HIVE.
    pub reward_hive_balance: String,
    /// Unclaimed VESTS.
    pub reward_vesting_balance: String,
}

impl Default for AccountState {
    /// No vesting shares, an empty manabar, a posting authority of one key (threshold 1), no
    /// rewards.
    fn default() -> Self {
        Self {
            vesting_shares: "0.000000 VESTS".into(),
            delegated_vesting_shares: "0.000000 VESTS".into(),
            received_vesting_shares: "0.000000 VESTS".into(),
            post_voting_power: None,
            current_mana: 0,
            last_update_time: 0,
            posting_threshold: 1,
            posting_account_auths: Vec::new(),
            posting_key_auths: vec![(FAKE_POSTING_KEY.into(), 1)],
            reward_hbd_balance: "0.000 HBD".into(),
            reward_hive_balance: "0.000 HIVE".into(),
            reward_vesting_balance: "0.000000 VESTS".into(),
        }
    }
}

/// A public key in the chain's format, for posting authorities (no one holds its private key).
pub const FAKE_POSTING_KEY: &str = "STM5fakePostingKeyNobodyHoldsAnyPrivateKeyFor1111111111";

/// What a test sets on a post for its card; `None` keeps what the chain state says (the title
/// of its `comment`, created when first seen, paid out 7 days later, votes allowed, replies
/// and net votes counted, no pending payout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostFields {
    /// The title.
    pub title: Option<String>,
    /// When it was created (Unix seconds); the default payout follows it.
    pub created: Option<i64>,
    /// When it pays out (Unix seconds); -1 is the chain's "paid out" (`1969-12-31T23:59:59`).
    pub cashout_time: Option<i64>,
    /// Whether it accepts votes.
    pub allow_votes: Option<bool>,
    /// How many replies the node says it has.
    pub children: Option<i64>,
    /// Upvotes minus downvotes, as the node says.
    pub net_votes: Option<i64>,
    /// The pending payout (`1.234 HBD`).
    pub pending_payout_value: Option<String>,
}

/// The global properties a test may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalState {
    /// `vote_power_reserve_rate` (10 on Hive).
    pub vote_power_reserve_rate: i64,
    /// The head block's time (Unix seconds); `None`: the real time.
    pub time: Option<i64>,
}

impl Default for GlobalState {
    fn default() -> Self {
        Self {
            vote_power_reserve_rate: 10,
            time: None,
        }
    }
}

/// A running fake node. Every knob is thread-safe and may be turned while it serves.
pub struct FakeNode {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// Dropping it (with the handle) ends the server.
    _shutdown: crate::serve::Stop,
}

impl FakeNode {
    /// Starts a node on 127.0.0.1 on a free port; panics when it cannot bind (a set-up failure).
    pub async fn start() -> FakeNode {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("the fake node binds 127.0.0.1");
        let addr = listener.local_addr().expect("the fake node has an address");
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/", post(rpc))
            .with_state(Arc::clone(&shared));
        let shutdown = crate::serve::in_background(listener, app);
        FakeNode {
            shared,
            addr,
            _shutdown: shutdown,
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Applies a transaction's operations (`[[name, {...}], ...]`, or one `[name, {...}]`) as
    /// the chain would: a `vote` sets (or replaces) the voter's percent on the post, creating
    /// the post's record if it is missing; a `comment` creates the post or reply (or edits it).
    /// Every other operation changes nothing here. Each call is one more block.
    pub fn apply(&self, operations: &Value) {
        let single = operations.get(0).is_some_and(Value::is_string);
        let list = match operations.as_array() {
            Some(_) if single => std::slice::from_ref(operations),
            Some(list) => list.as_slice(),
            None => &[],
        };
        let mut state = self.shared.state();
        for operation in list {
            state.apply(operation);
        }
        state.head_block += 1;
    }

    /// Adds a root post `@author/permlink` in `hive-123456`, without votes.
    pub fn add_post(&self, author: &str, permlink: &str) {
        self.apply(&json!(["comment", {
            "parent_author": "", "parent_permlink": "hive-123456", "author": author,
            "permlink": permlink, "title": format!("A post by @{author}"),
            "body": format!("Written by @{author}."), "json_metadata": "{}",
        }]));
    }

    /// Records `voter`'s vote at `percent` basis points on `@author/permlink` (see [`Self::apply`]).
    pub fn add_vote(&self, author: &str, permlink: &str, voter: &str, percent: i64) {
        self.apply(&json!(["vote", {
            "voter": voter, "author": author, "permlink": permlink, "weight": percent,
        }]));
    }

    /// Every request received, failed ones included: the method (`condenser_api.get_content`,
    /// also for the `call` form) and its parameters.
    pub fn calls(&self) -> Vec<(String, Value)> {
        self.shared.state().calls.clone()
    }

    /// How many requests asked for `method`, failed ones included.
    pub fn count(&self, method: &str) -> usize {
        let state = self.shared.state();
        state
            .calls
            .iter()
            .filter(|(name, _)| name == method)
            .count()
    }

    /// While on, every request gets HTTP 502 (a proxy in front of a dead node).
    pub fn set_down(&self, down: bool) {
        self.shared.state().down = down;
    }

    /// The next `n` requests get a JSON-RPC `-32603` "Internal Error" (HTTP 200).
    pub fn fail_next(&self, n: usize) {
        self.shared.state().failures = n;
    }

    /// While on, votes carry `percent` as a string (`"5000"`), as some nodes send it.
    pub fn percent_as_string(&self, on: bool) {
        self.shared.state().percent_as_string = on;
    }

    /// While on, missing posts get hivemind's `-32602` error "Post a/p does not exist" instead
    /// of an empty content object or an empty vote list.
    pub fn missing_as_error(&self, on: bool) {
        self.shared.state().missing_as_error = on;
    }

    /// Creates (or replaces) the account `name` for `get_accounts`.
    pub fn set_account(&self, name: &str, account: AccountState) {
        self.shared
            .state()
            .accounts
            .insert(name.to_owned(), account);
    }

    /// Sets the `post` reward fund: what is in it (`800000.000 HIVE`) and its recent claims
    /// (digits; sent as a string, as nodes do).
    pub fn set_reward_fund(&self, reward_balance: &str, recent_claims: &str) {
        let mut state = self.shared.state();
        state.reward_balance = reward_balance.to_owned();
        state.recent_claims = recent_claims.to_owned();
    }

    /// Sets the median price: `base` (`0.250 HBD`) for `quote` (`1.000 HIVE`).
    pub fn set_median_price(&self, base: &str, quote: &str) {
        let mut state = self.shared.state();
        state.median = (base.to_owned(), quote.to_owned());
    }

    /// Sets the global properties the desk reads.
    pub fn set_global(&self, global: GlobalState) {
        self.shared.state().global = global;
    }

    /// Sets card fields of `@author/permlink` (created as a root post when missing); fields
    /// left `None` keep their earlier setting.
    pub fn set_post(&self, author: &str, permlink: &str, fields: PostFields) {
        let mut state = self.shared.state();
        let post = state.post_entry((author.to_owned(), permlink.to_owned()));
        let set = &mut post.fields;
        set.title = fields.title.or(set.title.take());
        set.created = fields.created.or(set.created);
        set.cashout_time = fields.cashout_time.or(set.cashout_time);
        set.allow_votes = fields.allow_votes.or(set.allow_votes);
        set.children = fields.children.or(set.children);
        set.net_votes = fields.net_votes.or(set.net_votes);
        set.pending_payout_value = fields
            .pending_payout_value
            .or(set.pending_payout_value.take());
    }
}

// ---------------------------------------------------------------------------------------------
// State

#[derive(Default)]
struct Shared(Mutex<ChainState>);

impl Shared {
    fn state(&self) -> MutexGuard<'_, ChainState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type PostKey = (String, String);

struct ChainState {
    posts: BTreeMap<PostKey, Post>,
    calls: Vec<(String, Value)>,
    down: bool,
    failures: usize,
    percent_as_string: bool,
    missing_as_error: bool,
    head_block: u64,
    next_id: u64,
    accounts: BTreeMap<String, AccountState>,
    reward_balance: String,
    recent_claims: String,
    median: (String, String),
    global: GlobalState,
}

impl Default for ChainState {
    fn default() -> Self {
        Self {
            posts: BTreeMap::new(),
            calls: Vec::new(),
            down: false,
            failures: 0,
            percent_as_string: false,
            missing_as_error: false,
            head_block: FIRST_BLOCK,
            next_id: 1,
            accounts: BTreeMap::new(),
            reward_balance: "800000.000 HIVE".into(),
            recent_claims: "1000000000000000".into(),
            median: ("0.250 HBD".into(), "1.000 HIVE".into()),
            global: GlobalState::default(),
        }
    }
}

#[derive(Clone, Default)]
struct Post {
    id: u64,
    parent_author: String,
    parent_permlink: String,
    title: String,
    body: String,
    json_metadata: String,
    created: i64,
    votes: Vec<Vote>,
    fields: PostFields,
}

impl Post {
    /// The title the node shows: the one set by [`FakeNode::set_post`], else the comment's.
    fn shown_title(&self) -> String {
        self.fields
            .title
            .clone()
            .unwrap_or_else(|| self.title.clone())
    }
}

#[derive(Clone)]
struct Vote {
    voter: String,
    percent: i64,
    time: i64,
}

fn text(body: &Value, field: &str) -> String {
    body.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn integer(value: Option<&Value>) -> i64 {
    match value {
        Some(Value::Number(number)) => number.as_i64().unwrap_or_default(),
        Some(Value::String(digits)) => digits.parse().unwrap_or_default(),
        _ => 0,
    }
}

impl ChainState {
    fn apply(&mut self, operation: &Value) {
        let (Some(name), Some(body)) = (operation.get(0).and_then(Value::as_str), operation.get(1))
        else {
            return;
        };
        let key = (text(body, "author"), text(body, "permlink"));
        match name {
            "vote" => {
                let vote = Vote {
                    voter: text(body, "voter"),
                    percent: integer(body.get("weight")),
                    time: now(),
                };
                let votes = &mut self.post_entry(key).votes;
                match votes.iter_mut().find(|listed| listed.voter == vote.voter) {
                    Some(listed) => *listed = vote,
                    None => votes.push(vote),
                }
            }
            "comment" => {
                let post = self.post_entry(key);
                post.parent_author = text(body, "parent_author");
                post.parent_permlink = text(body, "parent_permlink");
                post.title = text(body, "title");
                post.body = text(body, "body");
                post.json_metadata = text(body, "json_metadata");
            }
            _ => {}
        }
    }

    /// The post's record, created (as a root post) when it is missing.
    fn post_entry(&mut self, key: PostKey) -> &mut Post {
        let next_id = &mut self.next_id;
        self.posts.entry(key).or_insert_with(|| {
            let id = *next_id;
            *next_id += 1;
            Post {
                id,
                parent_permlink: "hive-123456".into(),
                created: now(),
                ..Post::default()
            }
        })
    }

    /// The root post above `key` and how deep `key` is (bounded, in case of a loop).
    fn root_of(&self, key: &PostKey) -> (PostKey, u64) {
        let (mut root, mut depth) = (key.clone(), 0);
        while let Some(post) = self
            .posts
            .get(&root)
            .filter(|post| !post.parent_author.is_empty())
        {
            if depth >= 255 {
                break;
            }
            root = (post.parent_author.clone(), post.parent_permlink.clone());
            depth += 1;
        }
        (root, depth)
    }

    fn vote_json(&self, vote: &Vote) -> Value {
        let percent = if self.percent_as_string {
            json!(vote.percent.to_string())
        } else {
            json!(vote.percent)
        };
        json!({
            "voter": vote.voter,
            "weight": vote.percent.unsigned_abs() * 31,
            "rshares": vote.percent * 1_000_000,
            "percent": percent,
            "reputation": 0,
            "time": timestamp(vote.time),
        })
    }

    /// `get_content`'s object; for a missing post the all-empty object of the same shape.
    fn content_json(&self, key: &PostKey) -> Value {
        let blank = Post::default();
        let (post, (author, permlink)) = match self.posts.get(key) {
            Some(post) => (post, key.clone()),
            None => (&blank, (String::new(), String::new())),
        };
        let ((root_author, root_permlink), depth) = self.root_of(key);
        let root = self
            .posts
            .get(&(root_author.clone(), root_permlink.clone()));
        let category = root
            .map(|root| root.parent_permlink.clone())
            .unwrap_or_default();
        let root_title = root.map(Post::shown_title).unwrap_or_default();
        let children = post.fields.children.unwrap_or_else(|| {
            let replies = self
                .posts
                .values()
                .filter(|reply| reply.parent_author == author && reply.parent_permlink == permlink)
                .count();
            i64::try_from(replies).unwrap_or(i64::MAX)
        });
        let votes: Vec<Value> = post.votes.iter().map(|vote| self.vote_json(vote)).collect();
        let net_votes = post.fields.net_votes.unwrap_or_else(|| {
            post.votes
                .iter()
                .map(|vote| vote.percent.signum())
                .sum::<i64>()
        });
        let created = post.fields.created.unwrap_or(post.created);
        let rshares = post
            .votes
            .iter()
            .map(|vote| vote.percent * 1_000_000)
            .sum::<i64>();
        let (cashout, url) = if author.is_empty() {
            ("1969-12-31T23:59:59".to_owned(), String::new())
        } else {
            let url = format!("/{category}/@{root_author}/{root_permlink}");
            let cashout = post
                .fields
                .cashout_time
                .unwrap_or(created + PAYOUT_WINDOW_SECS);
            (timestamp(cashout), url)
        };
        let mut content = json!({
            "id": post.id,
            "author": author,
            "permlink": permlink,
            "category": category,
            "parent_author": post.parent_author,
            "parent_permlink": if author.is_empty() { "" } else { post.parent_permlink.as_str() },
            "title": post.shown_title(),
            "body": post.body,
            "json_metadata": post.json_metadata,
            "last_update": timestamp(created),
            "created": timestamp(created),
            "active": timestamp(created),
            "last_payout": "1970-01-01T00:00:00",
            "depth": depth,
            "children": children,
            "net_rshares": rshares,
            "abs_rshares": rshares.abs(),
            "vote_rshares": rshares,
        });
        // Two halves: one `json!` this long exceeds the default macro recursion limit.
        let payout = json!({
            "children_abs_rshares": 0,
            "cashout_time": cashout,
            "max_cashout_time": "1969-12-31T23:59:59",
            "total_vote_weight": 0,
            "reward_weight": 10000,
            "total_payout_value": "0.000 HBD",
            "curator_payout_value": "0.000 HBD",
            "author_rewards": 0,
            "net_votes": net_votes,
            "root_author": if author.is_empty() { "" } else { root_author.as_str() },
            "root_permlink": if author.is_empty() { "" } else { root_permlink.as_str() },
            "max_accepted_payout": "1000000.000 HBD",
            "percent_hbd": 10000,
            "allow_replies": true,
            "allow_votes": post.fields.allow_votes.unwrap_or(true),
            "allow_curation_rewards": true,
            "beneficiaries": [],
            "url": url,
            "root_title": root_title,
            "pending_payout_value": post
                .fields
                .pending_payout_value
                .clone()
                .unwrap_or_else(|| "0.000 HBD".to_owned()),
            "total_pending_payout_value": "0.000 HIVE",
            "active_votes": votes,
            "replies": [],
            "author_reputation": 0,
            "promoted": "0.000 HBD",
            "body_length": 0,
            "reblogged_by": [],
        });
        if let (Some(content), Value::Object(payout)) = (content.as_object_mut(), payout) {
            content.extend(payout);
        }
        content
    }

    fn global_properties(&self) -> Value {
        json!({
            "id": 0,
            "head_block_number": self.head_block,
            "head_block_id": format!("{:08x}{}", self.head_block, "0".repeat(32)),
            "time": timestamp(self.global.time.unwrap_or_else(now)),
            "current_witness": "fakewitness",
            "total_pow": 514415,
            "num_pow_witnesses": 172,
            "current_supply": "400000000.000 HIVE",
            "current_hbd_supply": "30000000.000 HBD",
            "last_irreversible_block_num": self.head_block.saturating_sub(20),
            "maximum_block_size": 65536,
            "current_aslot": self.head_block + 100,
            "participation_count": 128,
            "hbd_interest_rate": 2000,
            "hbd_print_rate": 10000,
            "vote_power_reserve_rate": self.global.vote_power_reserve_rate,
            "total_vesting_fund_hive": "150000000.000 HIVE",
            "total_vesting_shares": "300000000000.000000 VESTS",
            "downvote_pool_percent": 2500,
        })
    }

    /// One `get_accounts` entry, in the shape hived's condenser API answers (the fields the
    /// desk reads, and enough of the rest to look real).
    fn account_json(name: &str, account: &AccountState) -> Value {
        let auths = |list: &[(String, u32)]| -> Vec<Value> {
            list.iter()
                .map(|(who, weight)| json!([who, weight]))
                .collect()
        };
        let key_only = json!({"weight_threshold": 1, "account_auths": [],
            "key_auths": [[FAKE_POSTING_KEY, 1]]});
        let mut entry = json!({
            "id": 1,
            "name": name,
            "owner": key_only,
            "active": key_only,
            "posting": {
                "weight_threshold": account.posting_threshold,
                "account_auths": auths(&account.posting_account_auths),
                "key_auths": auths(&account.posting_key_auths),
            },
            "memo_key": FAKE_POSTING_KEY,
            "json_metadata": "",
            "posting_json_metadata": "",
            "created": "2020-03-20T14:00:00",
            "can_vote": true,
            "voting_manabar": {
                "current_mana": account.current_mana.to_string(),
                "last_update_time": account.last_update_time,
            },
            "downvote_manabar": {
                "current_mana": (account.current_mana / 4).to_string(),
                "last_update_time": account.last_update_time,
            },
            "voting_power": 0,
            "balance": "0.000 HIVE",
            "hbd_balance": "0.000 HBD",
            "reward_hbd_balance": account.reward_hbd_balance,
            "reward_hive_balance": account.reward_hive_balance,
            "reward_vesting_balance": account.reward_vesting_balance,
            "reward_vesting_hive": "0.000 HIVE",
            "vesting_shares": account.vesting_shares,
            "delegated_vesting_shares": account.delegated_vesting_shares,
            "received_vesting_shares": account.received_vesting_shares,
            "vesting_withdraw_rate": "0.000000 VESTS",
        });
        if let (Some(entry), Some(power)) = (entry.as_object_mut(), &account.post_voting_power) {
            entry.insert("post_voting_power".into(), json!(power));
        }
        entry
    }

    /// The method's answer: `Ok(result)` or `Err(JSON-RPC error object)`.
    fn answer(&self, method: &str, params: &Value) -> Result<Value, Value> {
        match method {
            "condenser_api.get_active_votes" => {
                let key = post_params(params)?;
                match self.posts.get(&key) {
                    Some(post) => Ok(post.votes.iter().map(|v| self.vote_json(v)).collect()),
                    None if self.missing_as_error => Err(does_not_exist(&key)),
                    None => Ok(json!([])),
                }
            }
            "condenser_api.get_content" => {
                let key = post_params(params)?;
                if self.missing_as_error && !self.posts.contains_key(&key) {
                    return Err(does_not_exist(&key));
                }
                Ok(self.content_json(&key))
            }
            "condenser_api.get_dynamic_global_properties" => Ok(self.global_properties()),
            "condenser_api.get_accounts" => {
                let names = names_params(params)?;
                Ok(names
                    .iter()
                    .filter_map(|name| {
                        let account = self.accounts.get(name)?;
                        Some(Self::account_json(name, account))
                    })
                    .collect())
            }
            "condenser_api.get_reward_fund" => match params.as_array().map(Vec::as_slice) {
                Some([Value::String(name)]) if name == "post" => Ok(json!({
                    "id": 0,
                    "name": "post",
                    "reward_balance": self.reward_balance,
                    "recent_claims": self.recent_claims,
                    "last_update": timestamp(now()),
                    "content_constant": "2000000000000",
                    "percent_curation_rewards": 5000,
                    "percent_content_rewards": 10000,
                    "author_reward_curve": "linear",
                    "curation_reward_curve": "linear",
                })),
                _ => Err(json!({"code": -32602, "message": "Invalid parameters",
                                "data": "reward fund name must be \"post\""})),
            },
            "condenser_api.get_current_median_history_price" => {
                Ok(json!({"base": self.median.0, "quote": self.median.1}))
            }
            _ => Err(json!({"code": -32601, "message": "Method not found", "data": method})),
        }
    }
}

/// `[author, permlink]`, or hivemind's refusal.
fn post_params(params: &Value) -> Result<PostKey, Value> {
    match params.as_array().map(Vec::as_slice) {
        Some([Value::String(author), Value::String(permlink)]) => {
            Ok((author.clone(), permlink.clone()))
        }
        _ => Err(json!({"code": -32602, "message": "Invalid parameters",
                        "data": "expected 2 params"})),
    }
}

/// `[[name, ...]]`, or the node's refusal.
fn names_params(params: &Value) -> Result<Vec<String>, Value> {
    let refused = || {
        json!({"code": -32602, "message": "Invalid parameters",
               "data": "expected one array of account names"})
    };
    match params.as_array().map(Vec::as_slice) {
        Some([Value::Array(names)]) => names
            .iter()
            .map(|name| name.as_str().map(str::to_owned).ok_or_else(refused))
            .collect(),
        _ => Err(refused()),
    }
}

fn does_not_exist((author, permlink): &PostKey) -> Value {
    json!({"code": -32602, "message": "Invalid parameters",
           "data": format!("Post {author}/{permlink} does not exist")})
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// `(method, params)` of a request, the `call` form unwrapped to `api.method`.
fn method_and_params(request: &Value) -> Option<(String, Value)> {
    let method = request.get("method")?.as_str()?;
    let params = request.get("params").cloned().unwrap_or_else(|| json!([]));
    if method != "call" {
        return Some((method.to_owned(), params));
    }
    match params.as_array().map(Vec::as_slice) {
        Some([Value::String(api), Value::String(name), args]) => {
            Some((format!("{api}.{name}"), args.clone()))
        }
        Some([Value::String(api), Value::String(name)]) => {
            Some((format!("{api}.{name}"), json!([])))
        }
        _ => None,
    }
}

async fn rpc(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return reply(
            Value::Null,
            Err(json!({"code": -32700, "message": "Parse error"})),
        );
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    // Like hived: a JSON-RPC 2.0 request object with an id and a method, or nothing.
    let versioned = request.get("jsonrpc") == Some(&json!("2.0")) && !id.is_null();
    let Some((method, params)) = method_and_params(&request).filter(|_| versioned) else {
        return reply(
            id,
            Err(json!({"code": -32600, "message": "Invalid Request"})),
        );
    };
    let mut state = shared.state();
    state.calls.push((method.clone(), params.clone()));
    if state.down {
        return (
            StatusCode::BAD_GATEWAY,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response();
    }
    if state.failures > 0 {
        state.failures -= 1;
        return reply(
            id,
            Err(json!({"code": -32603, "message": "Internal Error"})),
        );
    }
    reply(id, state.answer(&method, &params))
}

fn reply(id: Value, answer: Result<Value, Value>) -> Response {
    let body = match answer {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err(error) => json!({"jsonrpc": "2.0", "error": error, "id": id}),
    };
    Json(body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Time

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-01-01T00:00:00`, the chain's UTC time format, for Unix seconds.
fn timestamp(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}
