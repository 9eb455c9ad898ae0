//! The read-only Hive/Steem API node client: which nodes to ask ([`NodeList`]), asking them in
//! turn with failover ([`ChainClient`]), and the one question the rest of Authdeck needs
//! answered after a lost broadcast answer: is this transaction already on chain
//! ([`ChainClient::find_on_chain`])? Also the typed reads the curator's desk needs: posts and
//! their votes, accounts (mana, vesting, posting authority, unclaimed rewards), the reward
//! fund, the median price and the global properties.
//!
//! It speaks JSON-RPC 2.0 (`condenser_api.*`) over the app's one HTTP stack (reqwest) and never
//! writes anything. Nodes are tried in order, starting with the one that answered last; a node
//! that does not answer, times out, answers a non-2xx status, something that is not JSON-RPC,
//! or a JSON-RPC error of its own (internal, unknown method, ...) is skipped for the next one.
//! An answer saying the content does not exist is an answer, not a failure; a refusal of the
//! request's parameters ends the call (every node would say the same).

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use url::Url;

use crate::error::Error;
use crate::hive::links::PostRef;
use crate::hive::ops::format_percent;
use crate::provider::Chain;
use crate::redact::redact;

/// Environment variable overriding the Hive API nodes: comma-separated http(s) URLs.
pub const HIVE_NODES_VAR: &str = "AUTHDECK_HIVE_NODES";
/// Environment variable overriding the Steem API nodes: comma-separated http(s) URLs.
pub const STEEM_NODES_VAR: &str = "AUTHDECK_STEEM_NODES";

/// The public Hive API nodes asked when nothing else is configured, in this order.
pub const DEFAULT_HIVE_NODES: [&str; 4] = [
    "https://api.hive.blog",
    "https://api.deathwing.me",
    "https://hive-api.arcange.eu",
    "https://api.openhive.network",
];
/// The public Steem API nodes asked when nothing else is configured, in this order.
pub const DEFAULT_STEEM_NODES: [&str; 2] = ["https://api.steemit.com", "https://api.justyy.com"];

/// How long one node may take to answer one call, body included, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

/// The longest answer read from a node; a bigger one counts as garbage (a popular post's
/// votes are a few hundred KiB).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The JSON-RPC code for "invalid parameters": the request's fault, so no other node is asked
/// (hivemind also says "Post a/p does not exist" with it).
const INVALID_PARAMS: i64 = -32602;

/// Hivemind's code for "Post a/p was deleted N time(s)".
const POST_DELETED: i64 = -31999;

// ---------------------------------------------------------------------------------------------
// Node list

/// The API node URLs per chain, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeList {
    hive: Vec<Url>,
    steem: Vec<Url>,
}

impl Default for NodeList {
    /// [`DEFAULT_HIVE_NODES`] and [`DEFAULT_STEEM_NODES`].
    fn default() -> Self {
        Self {
            hive: default_nodes(&DEFAULT_HIVE_NODES),
            steem: default_nodes(&DEFAULT_STEEM_NODES),
        }
    }
}

impl NodeList {
    /// Exactly these nodes (tests, settings).
    pub fn new(hive: Vec<Url>, steem: Vec<Url>) -> Self {
        Self { hive, steem }
    }

    /// The defaults, with [`HIVE_NODES_VAR`] and [`STEEM_NODES_VAR`] applied when they name
    /// at least one usable node (see [`parse_nodes`]).
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] reading variables through `lookup` (tests pass a map).
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let defaults = Self::default();
        let from = |name: &str, fallback: Vec<Url>| {
            let Some(value) = lookup(name) else {
                return fallback;
            };
            let nodes = parse_nodes(name, &value);
            if nodes.is_empty() {
                if !value.trim().is_empty() {
                    tracing::warn!("{name} names no usable API node; using the default nodes");
                }
                return fallback;
            }
            nodes
        };
        Self {
            hive: from(HIVE_NODES_VAR, defaults.hive),
            steem: from(STEEM_NODES_VAR, defaults.steem),
        }
    }

    /// The nodes of `chain`, in the order they are tried.
    pub fn nodes(&self, chain: Chain) -> &[Url] {
        match chain {
            Chain::Hive => &self.hive,
            Chain::Steem => &self.steem,
        }
    }
}

/// The http(s) URLs in a comma-separated `list`; every other entry is skipped with a warning
/// naming `source` (the variable or setting it came from). Empty entries are ignored silently.
pub fn parse_nodes(source: &str, list: &str) -> Vec<Url> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| match node_url(entry) {
            Ok(url) => Some(url),
            Err(problem) => {
                tracing::warn!("ignoring the API node {entry:?} in {source}: {problem}");
                None
            }
        })
        .collect()
}

fn node_url(entry: &str) -> Result<Url, String> {
    let url = Url::parse(entry).map_err(|err| format!("not a URL ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https are used, not {}",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

fn default_nodes(list: &[&str]) -> Vec<Url> {
    list.iter().filter_map(|url| Url::parse(url).ok()).collect()
}

/// How a node is named to people and in logs: its host, and its port when one is given.
fn node_name(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.as_str().to_owned(),
    }
}

fn chain_var(chain: Chain) -> &'static str {
    match chain {
        Chain::Hive => HIVE_NODES_VAR,
        Chain::Steem => STEEM_NODES_VAR,
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a node gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFailure {
    /// The node's host (and port).
    pub node: String,
    /// What went wrong, in words: `timed out`, `HTTP 502 Bad Gateway`, ...
    pub reason: String,
}

impl fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.node, self.reason)
    }
}

/// Why the chain could not be read, saying which nodes were tried and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// The node list for the chain is empty.
    #[error("no API node is configured (set {variable})")]
    NoNodes {
        /// The variable that configures the chain's nodes.
        variable: &'static str,
    },
    /// Every node was tried and none gave a usable answer.
    #[error("none of the API nodes answered ({})", join_failures(.tried))]
    Unanswered {
        /// Each node tried, in order, and why it failed.
        tried: Vec<NodeFailure>,
    },
    /// A node refused the request's parameters; any other node would too.
    #[error("{node} refused the request: {message}")]
    Refused {
        /// The node's host (and port).
        node: String,
        /// The node's words, redacted.
        message: String,
    },
}

fn join_failures(tried: &[NodeFailure]) -> String {
    let parts: Vec<String> = tried.iter().map(NodeFailure::to_string).collect();
    parts.join("; ")
}

impl From<NodeError> for Error {
    fn from(err: NodeError) -> Self {
        Error::ChainUnreadable {
            nodes: err.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the nodes answer

/// One entry of `condenser_api.get_active_votes`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActiveVote {
    /// Who voted.
    pub voter: String,
    /// The vote's weight in basis points (10000 = 100.00 %, negative for a downvote, 0 for a
    /// removed vote). Nodes send it as a number or as a string.
    #[serde(deserialize_with = "integer")]
    pub percent: i64,
    /// The curation weight, when the node sent a readable one.
    #[serde(default, deserialize_with = "lenient_integer")]
    pub weight: Option<i64>,
    /// The reward shares the vote added, when the node sent a readable number.
    #[serde(default, deserialize_with = "lenient_integer")]
    pub rshares: Option<i64>,
    /// When the vote was cast or last changed (`2026-01-01T00:00:00`, UTC), if sent.
    #[serde(default)]
    pub time: Option<String>,
}

/// A post or comment as `condenser_api.get_content` answers it (the fields worth keeping).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Content {
    /// The author; empty in the answer for content that does not exist.
    pub author: String,
    /// The permlink.
    pub permlink: String,
    /// The parent's author: empty for a root post.
    pub parent_author: String,
    /// The parent's permlink: the category (first tag or community) for a root post.
    pub parent_permlink: String,
    /// The title (empty for replies).
    pub title: String,
    /// The body as last written.
    pub body: String,
    /// When it was created (`2026-01-01T00:00:00`, UTC).
    pub created: String,
    /// Whether it accepts votes.
    pub allow_votes: bool,
    /// When its payout happens (`1969-12-31T23:59:59` once paid out).
    pub cashout_time: String,
    /// Upvotes minus downvotes.
    #[serde(deserialize_with = "lenient_integer")]
    pub net_votes: Option<i64>,
    /// How many replies it has.
    #[serde(deserialize_with = "lenient_integer")]
    pub children: Option<i64>,
    /// The payout it would get now (`1.234 HBD`).
    pub pending_payout_value: String,
    /// The category: the root post's first tag or community (`hive-123456`).
    pub category: String,
    /// How deep it is: 0 for a root post, 1 for a reply to it, ...
    #[serde(deserialize_with = "lenient_integer")]
    pub depth: Option<i64>,
    /// The front ends' path to it: `/category/@root_author/root_permlink#@author/permlink`.
    pub url: String,
    /// The root post's title (a reply's own title is empty).
    pub root_title: String,
}

impl Default for Content {
    fn default() -> Self {
        Self {
            author: String::new(),
            permlink: String::new(),
            parent_author: String::new(),
            parent_permlink: String::new(),
            title: String::new(),
            body: String::new(),
            created: String::new(),
            allow_votes: true,
            cashout_time: String::new(),
            net_votes: None,
            children: None,
            pending_payout_value: String::new(),
            category: String::new(),
            depth: None,
            url: String::new(),
            root_title: String::new(),
        }
    }
}

impl Content {
    /// Whether it is a reply (it has a parent author) rather than a root post.
    pub fn is_reply(&self) -> bool {
        !self.parent_author.is_empty()
    }
}

/// The part of `condenser_api.get_dynamic_global_properties` Authdeck reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GlobalProperties {
    /// The newest block's number.
    #[serde(deserialize_with = "unsigned")]
    pub head_block_number: u64,
    /// The newest block's time (`2026-01-01T00:00:00`, UTC).
    pub time: String,
    /// The newest irreversible block, when the node sent it.
    #[serde(default, deserialize_with = "lenient_integer")]
    pub last_irreversible_block_num: Option<i64>,
    /// The witness that produced the newest block.
    #[serde(default)]
    pub current_witness: String,
    /// How many full votes a day keep the voting mana level (10 on Hive and Steem): a vote's
    /// mana is divided by this times the 5-day regeneration, when the node sent it.
    #[serde(default, deserialize_with = "lenient_integer")]
    pub vote_power_reserve_rate: Option<i64>,
}

/// A manabar as the chain keeps it: the mana at the last update, and when that was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Manabar {
    /// The mana at `last_update_time`, in the chain's integer units (micro-VESTS).
    #[serde(deserialize_with = "integer")]
    pub current_mana: i64,
    /// When it was last updated (Unix seconds).
    #[serde(deserialize_with = "integer")]
    pub last_update_time: i64,
}

/// An authority: who may sign, with what weight, and the weight a signature needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Authority {
    /// The weight the signatures must add up to.
    #[serde(deserialize_with = "unsigned")]
    pub weight_threshold: u64,
    /// Other accounts that may sign, with their weights (`[["hivesigner", 1]]`).
    #[serde(default)]
    pub account_auths: Vec<(String, u64)>,
    /// Public keys that may sign, with their weights.
    #[serde(default)]
    pub key_auths: Vec<(String, u64)>,
}

impl Authority {
    /// The weight `account` has in it, if it is listed.
    pub fn weight_of(&self, account: &str) -> Option<u64> {
        self.account_auths
            .iter()
            .find(|(name, _)| name == account)
            .map(|(_, weight)| *weight)
    }

    /// Whether `account` may sign alone: it is listed with at least the threshold's weight.
    pub fn lets_sign_alone(&self, account: &str) -> bool {
        self.weight_of(account)
            .is_some_and(|weight| weight >= self.weight_threshold)
    }
}

/// An account as `condenser_api.get_accounts` answers it (the fields the desk reads). Assets
/// are the chain's strings (`1.234 HBD`, `12.345678 VESTS`); Steem's names
/// (`reward_sbd_balance`, `reward_steem_balance`) are read into the Hive ones.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChainAccount {
    /// The account name.
    pub name: String,
    /// The upvote mana.
    #[serde(default)]
    pub voting_manabar: Manabar,
    /// The vesting shares it owns.
    #[serde(default)]
    pub vesting_shares: String,
    /// The vesting shares it delegated to others.
    #[serde(default)]
    pub delegated_vesting_shares: String,
    /// The vesting shares others delegated to it.
    #[serde(default)]
    pub received_vesting_shares: String,
    /// The vesting shares its votes count with, when the node sends it (Hive): owned minus
    /// delegated plus received, minus what a power down is about to take.
    #[serde(default)]
    pub post_voting_power: Option<String>,
    /// The posting authority.
    #[serde(default)]
    pub posting: Authority,
    /// Unclaimed author and curation rewards in HBD (SBD on Steem).
    #[serde(default, alias = "reward_sbd_balance")]
    pub reward_hbd_balance: String,
    /// Unclaimed rewards in HIVE (STEEM on Steem).
    #[serde(default, alias = "reward_steem_balance")]
    pub reward_hive_balance: String,
    /// Unclaimed rewards in VESTS.
    #[serde(default)]
    pub reward_vesting_balance: String,
}

/// A reward fund as `condenser_api.get_reward_fund` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RewardFund {
    /// What is in the pool (`800000.000 HIVE`).
    pub reward_balance: String,
    /// The reward shares claimed recently (a decaying sum), as digits: the pool is shared out
    /// in proportion to it.
    #[serde(deserialize_with = "digits")]
    pub recent_claims: String,
}

/// The witnesses' median price of the chain's coin: `base` (`0.250 HBD`) buys `quote`
/// (`1.000 HIVE`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MedianPrice {
    /// The dollar side (`0.250 HBD`, `0.200 SBD`).
    pub base: String,
    /// The coin side (`1.000 HIVE`, `1.000 STEEM`).
    pub quote: String,
}

/// An integer sent as a JSON number or as a string of digits (nodes do both).
fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    as_integer(&value).ok_or_else(|| D::Error::custom(format!("{value} is not an integer")))
}

fn unsigned<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = integer(deserializer)?;
    u64::try_from(number).map_err(|_| D::Error::custom(format!("{number} is negative")))
}

/// A non-negative integer of any size (`recent_claims` is a 128-bit number), sent as a JSON
/// number or as a string of digits, kept as its digits.
fn digits<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let text = match &value {
        Value::Number(number) if number.is_u64() => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        _ => String::new(),
    };
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(D::Error::custom(format!("{value} is not a whole number")));
    }
    Ok(text)
}

/// Fields nothing depends on: a shape Authdeck cannot read is `None`, not a broken answer.
fn lenient_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(as_integer(&Value::deserialize(deserializer)?))
}

// ---------------------------------------------------------------------------------------------
// One node's answer

/// What a node's answer means for the call.
#[derive(Debug, PartialEq)]
enum Reply {
    /// The `result`.
    Result(Value),
    /// A JSON-RPC error saying the post or comment does not exist (or was deleted).
    NoSuchContent,
    /// A JSON-RPC error refusing the request's parameters.
    Refused(String),
}

/// Reads a node's JSON-RPC answer to the request with `id`; `Err` is the node's fault.
fn read_answer(body: &[u8], id: u64) -> Result<Reply, String> {
    let garbage = || "answered something that is not JSON-RPC".to_owned();
    let answer: Value = serde_json::from_slice(body).map_err(|_| garbage())?;
    let answer = answer.as_object().ok_or_else(garbage)?;
    if answer
        .get("id")
        .is_some_and(|answered| answered != &json!(id))
    {
        return Err("answered another request (its id does not match)".into());
    }
    if let Some(error) = answer.get("error").filter(|error| !error.is_null()) {
        return read_error(error);
    }
    answer
        .get("result")
        .cloned()
        .map(Reply::Result)
        .ok_or_else(garbage)
}

/// Sorts a JSON-RPC `error` object: content missing, our parameters refused, or the node's
/// own failure (`Err`). Only hivemind's codes with its words count as "no such post": a node
/// that says "does not exist" about anything else (a table, a method) is broken, and taking
/// that for a missing post would wrongly make a sent transaction look unsent.
fn read_error(error: &Value) -> Result<Reply, String> {
    let code = error.get("code").and_then(as_integer);
    let text = |field: &str| error.get(field).map(describe).unwrap_or_default();
    let (message, data) = (text("message"), text("data"));
    let words = match (message.is_empty(), data.is_empty()) {
        (false, false) => format!("{message}: {data}"),
        (false, true) => message,
        (true, false) => data,
        (true, true) => "an error without a message".to_owned(),
    };
    let lower = words.to_lowercase();
    let post_missing = lower.contains("post ")
        && (lower.contains("does not exist") || lower.contains("was deleted"));
    if post_missing && matches!(code, Some(INVALID_PARAMS | POST_DELETED)) {
        return Ok(Reply::NoSuchContent);
    }
    let words = shorten(&redact(&words), 200);
    match code {
        Some(INVALID_PARAMS) => Ok(Reply::Refused(words)),
        Some(code) => Err(format!("answered the error {words} ({code})")),
        None => Err(format!("answered the error {words}")),
    }
}

/// A JSON value as text: a string as is, anything else (hived's `data` objects) as JSON.
fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

fn transport_failure(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "could not connect".into()
    } else {
        // Without the URL: a node's URL may carry an API key in its query.
        let words = err.without_url().to_string();
        format!("the connection failed ({})", redact(&words))
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of the body.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_failure)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "answered more than {} MiB",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

// ---------------------------------------------------------------------------------------------
// The client

/// A value and the node that gave it.
struct Answered<T> {
    node: String,
    value: T,
}

/// What a node that answered said.
enum Answer<T> {
    /// The value asked for.
    Value(T),
    /// It refused the request's parameters, in these words.
    Refused(String),
}

/// A read-only JSON-RPC client for one chain's API nodes, with sticky failover. Share it by
/// reference (`&self` everywhere); it is `Send + Sync`.
#[derive(Debug)]
pub struct ChainClient {
    http: reqwest::Client,
    chain: Chain,
    nodes: Vec<Url>,
    timeout: Duration,
    /// The index of the node that answered last: tried first next time.
    preferred: AtomicUsize,
    next_id: AtomicU64,
}

impl ChainClient {
    /// A client for `chain` over the nodes of `list`, with its own HTTP client; each call to
    /// one node gives up after `timeout`.
    pub fn new(chain: Chain, list: &NodeList, timeout: Duration) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Authdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| Error::Internal(format!("the HTTP client could not start: {err}")))?;
        Ok(Self::with_http(http, chain, list, timeout))
    }

    /// A client for `chain` over the nodes of `list` that sends through `http`; each call to
    /// one node gives up after `timeout`, whatever `http`'s own limits are.
    pub fn with_http(
        http: reqwest::Client,
        chain: Chain,
        list: &NodeList,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            chain,
            nodes: list.nodes(chain).to_vec(),
            timeout,
            preferred: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    /// The chain whose nodes this client asks.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// The nodes, in the configured order.
    pub fn nodes(&self) -> &[Url] {
        &self.nodes
    }

    /// The node asked first by the next call: the one that answered last.
    pub fn preferred_node(&self) -> Option<&Url> {
        self.nodes.get(self.preferred.load(Ordering::Relaxed))
    }

    /// `condenser_api.get_active_votes [author, permlink]`: the votes on a post, removed ones
    /// (percent 0) included. Empty when the post does not exist.
    pub async fn get_active_votes(
        &self,
        author: &str,
        permlink: &str,
    ) -> Result<Vec<ActiveVote>, NodeError> {
        Ok(self.active_votes(author, permlink).await?.value)
    }

    /// `condenser_api.get_content [author, permlink]`: the post or comment, or `None` when it
    /// does not exist (an empty `author`, a `null` result, or a "does not exist" error).
    pub async fn get_content(
        &self,
        author: &str,
        permlink: &str,
    ) -> Result<Option<Content>, NodeError> {
        Ok(self.content(author, permlink).await?.value)
    }

    /// `condenser_api.get_dynamic_global_properties`: the head block and the chain's time.
    pub async fn get_dynamic_global_properties(&self) -> Result<GlobalProperties, NodeError> {
        let answered = self
            .call(
                "condenser_api.get_dynamic_global_properties",
                json!([]),
                None,
            )
            .await?;
        Ok(answered.value)
    }

    /// `condenser_api.get_accounts [names]`: the accounts that exist among `names`, in one
    /// call however many are asked for (none for an empty list, without asking).
    pub async fn get_accounts(&self, names: &[String]) -> Result<Vec<ChainAccount>, NodeError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let answered = self
            .call("condenser_api.get_accounts", json!([names]), None)
            .await?;
        Ok(answered.value)
    }

    /// `condenser_api.get_reward_fund [name]`: the reward pool named `name` (`post`).
    pub async fn get_reward_fund(&self, name: &str) -> Result<RewardFund, NodeError> {
        let answered = self
            .call("condenser_api.get_reward_fund", json!([name]), None)
            .await?;
        Ok(answered.value)
    }

    /// `condenser_api.get_current_median_history_price`: the witnesses' median price.
    pub async fn get_current_median_history_price(&self) -> Result<MedianPrice, NodeError> {
        let answered = self
            .call(
                "condenser_api.get_current_median_history_price",
                json!([]),
                None,
            )
            .await?;
        Ok(answered.value)
    }

    /// Whether the transaction with these `operations` (legacy JSON, `["vote", {...}]`) is on
    /// chain, judged by its first operation that can be checked:
    /// - a `vote` is on chain when `get_active_votes` of the post lists the voter with the
    ///   vote's weight as `percent`. A removal (weight 0) is on chain when the voter is listed
    ///   with percent 0: Hive keeps a removed vote in the list at 0 %, and a voter who is not
    ///   listed has no vote the removal could have removed (the chain refuses such a removal,
    ///   so resending it is harmless);
    /// - a `comment` (post or reply) is on chain when `get_content` of `@author/permlink`
    ///   exists with that author and, when the operation has a body, with that body (so an
    ///   edit that did not land is not taken for its older version).
    ///
    /// `custom_json`, `comment_options`, `delete_comment`, `claim_reward_balance` and other
    /// operations cannot be checked this way: a transaction of only those is
    /// [`OnChain::Uncheckable`].
    pub async fn find_on_chain(&self, operations: &[Value]) -> Result<OnChain, NodeError> {
        match operations.iter().find_map(Check::from_operation) {
            Some(Check::Vote(vote)) => self.check_vote(&vote).await,
            Some(Check::Comment(comment)) => self.check_comment(&comment).await,
            None => Ok(OnChain::Uncheckable {
                kind: operation_kinds(operations),
            }),
        }
    }

    async fn active_votes(
        &self,
        author: &str,
        permlink: &str,
    ) -> Result<Answered<Vec<ActiveVote>>, NodeError> {
        let params = json!([author, permlink]);
        self.call("condenser_api.get_active_votes", params, Some(Vec::new()))
            .await
    }

    async fn content(
        &self,
        author: &str,
        permlink: &str,
    ) -> Result<Answered<Option<Content>>, NodeError> {
        let params = json!([author, permlink]);
        let answered = self
            .call::<Option<Content>>("condenser_api.get_content", params, Some(None))
            .await?;
        Ok(Answered {
            node: answered.node,
            value: answered.value.filter(|content| !content.author.is_empty()),
        })
    }

    async fn check_vote(&self, vote: &VoteCheck) -> Result<OnChain, NodeError> {
        let answered = self
            .active_votes(&vote.post.author, &vote.post.permlink)
            .await?;
        let listed = answered
            .value
            .iter()
            .find(|listed| listed.voter == vote.voter);
        let (voter, post, node) = (&vote.voter, &vote.post, &answered.node);
        Ok(match listed {
            Some(listed) if listed.percent == vote.weight => OnChain::Found {
                evidence: format!(
                    "the chain lists @{voter}'s vote at {} on {post} ({node})",
                    percent(vote.weight)
                ),
            },
            Some(listed) => OnChain::Missing {
                checked: format!(
                    "the chain lists @{voter}'s vote on {post} at {}, not {} ({node})",
                    percent(listed.percent),
                    percent(vote.weight)
                ),
            },
            None => OnChain::Missing {
                checked: format!("the chain lists no vote by @{voter} on {post} ({node})"),
            },
        })
    }

    async fn check_comment(&self, comment: &CommentCheck) -> Result<OnChain, NodeError> {
        let answered = self
            .content(&comment.post.author, &comment.post.permlink)
            .await?;
        let (post, node) = (&comment.post, &answered.node);
        let content = answered
            .value
            .filter(|content| content.author == comment.post.author);
        Ok(match content {
            None => OnChain::Missing {
                checked: format!("the chain has no {post} ({node})"),
            },
            Some(content)
                if comment
                    .body
                    .as_ref()
                    .is_some_and(|body| *body != content.body) =>
            {
                OnChain::Missing {
                    checked: format!(
                        "the chain has {post} but with another body, so this version is not \
                         on chain ({node})"
                    ),
                }
            }
            Some(content) => {
                let what = if content.is_reply() {
                    format!(
                        "the reply {post} to @{}/{}",
                        content.parent_author, content.parent_permlink
                    )
                } else {
                    format!("the post {post}")
                };
                OnChain::Found {
                    evidence: format!("the chain has {what} by @{} ({node})", post.author),
                }
            }
        })
    }

    /// Calls `method` on the nodes in turn, from the preferred one, until one answers.
    /// `if_missing` is the value when a node says the content does not exist; `None` makes
    /// such an answer the node's failure (for questions that always have an answer).
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        mut if_missing: Option<T>,
    ) -> Result<Answered<T>, NodeError> {
        if self.nodes.is_empty() {
            return Err(NodeError::NoNodes {
                variable: chain_var(self.chain),
            });
        }
        let first = self.preferred.load(Ordering::Relaxed) % self.nodes.len();
        let mut tried = Vec::new();
        for index in (0..self.nodes.len()).map(|step| (first + step) % self.nodes.len()) {
            let url = &self.nodes[index];
            let node = node_name(url);
            let answer = match self.ask(url, method, &params).await {
                Ok(Reply::Result(result)) => serde_json::from_value(result)
                    .map(Answer::Value)
                    .map_err(|err| format!("answered a {method} Authdeck cannot read ({err})")),
                Ok(Reply::NoSuchContent) => if_missing
                    .take()
                    .map(Answer::Value)
                    .ok_or_else(|| "said the chain's state does not exist".to_owned()),
                Ok(Reply::Refused(message)) => Ok(Answer::Refused(message)),
                Err(reason) => Err(reason),
            };
            match answer {
                Ok(answer) => {
                    self.preferred.store(index, Ordering::Relaxed);
                    return match answer {
                        Answer::Value(value) => Ok(Answered { node, value }),
                        Answer::Refused(message) => Err(NodeError::Refused { node, message }),
                    };
                }
                Err(reason) => {
                    tracing::warn!(%node, method, "API node failed: {reason}");
                    tried.push(NodeFailure { node, reason });
                }
            }
        }
        Err(NodeError::Unanswered { tried })
    }

    /// One request to one node; `Err` is the node's failure, in words.
    async fn ask(&self, url: &Url, method: &str, params: &Value) -> Result<Reply, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let response = self
            .http
            .post(url.clone())
            .timeout(self.timeout)
            .json(&request)
            .send()
            .await
            .map_err(transport_failure)?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!(
                "HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("error")
            ));
        }
        read_answer(&read_body(response).await?, id)
    }
}

fn percent(basis_points: i64) -> String {
    match i32::try_from(basis_points) {
        Ok(basis_points) => format_percent(basis_points),
        Err(_) => format!("{basis_points} basis points"),
    }
}

// ---------------------------------------------------------------------------------------------
// Is it on chain?

/// Whether a transaction is on chain, as far as the nodes can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnChain {
    /// Its first checkable operation is on chain.
    Found {
        /// What the chain shows, as a sentence: "the chain lists @alice's vote at 50.00 % on
        /// @bob/post (api.hive.blog)".
        evidence: String,
    },
    /// Its first checkable operation is not on chain (yet).
    Missing {
        /// What was checked and seen, as a sentence.
        checked: String,
    },
    /// None of its operations can be checked this way.
    Uncheckable {
        /// The operations' names: `custom_json`, `claim_reward_balance`, ...
        kind: String,
    },
}

/// The checkable operations.
enum Check {
    Vote(VoteCheck),
    Comment(CommentCheck),
}

struct VoteCheck {
    voter: String,
    post: PostRef,
    weight: i64,
}

struct CommentCheck {
    post: PostRef,
    body: Option<String>,
}

impl Check {
    /// The check for one legacy operation `[name, {...}]`, if it has one and its fields read.
    fn from_operation(operation: &Value) -> Option<Check> {
        let (name, body) = split_operation(operation)?;
        let text = |field: &str| body.get(field)?.as_str().map(str::to_owned);
        let post = || {
            Some(PostRef {
                author: text("author")?,
                permlink: text("permlink")?,
            })
        };
        match name {
            "vote" => Some(Check::Vote(VoteCheck {
                voter: text("voter")?,
                post: post()?,
                weight: as_integer(body.get("weight")?)?,
            })),
            "comment" => Some(Check::Comment(CommentCheck {
                post: post()?,
                body: text("body"),
            })),
            _ => None,
        }
    }
}

fn split_operation(operation: &Value) -> Option<(&str, &Value)> {
    match operation.as_array()?.as_slice() {
        [Value::String(name), body @ Value::Object(_)] => Some((name.as_str(), body)),
        _ => None,
    }
}

/// The operations' names, each once, in order: what an uncheckable transaction holds.
fn operation_kinds(operations: &[Value]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for operation in operations {
        let name = split_operation(operation).map_or("an unreadable operation", |(name, _)| name);
        if !kinds.contains(&name) {
            kinds.push(name);
        }
    }
    if kinds.is_empty() {
        return "no operation".into();
    }
    kinds.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(json: Value) -> Vec<ActiveVote> {
        serde_json::from_value(json).expect("the votes parse")
    }

    fn content(result: Value) -> Option<Content> {
        let content: Option<Content> = serde_json::from_value(result).expect("the content parses");
        content.filter(|content| !content.author.is_empty())
    }

    #[test]
    fn percent_reads_as_number_or_string() {
        let list = votes(json!([
            {"voter": "alice", "weight": 123, "rshares": 456789, "percent": 5000,
             "reputation": 0, "time": "2026-01-01T00:00:00"},
            {"voter": "bob", "weight": "12", "rshares": "-42", "percent": "-2500",
             "reputation": "123456", "time": "2026-01-01T00:00:03"},
            {"voter": "carol", "percent": 0, "rshares": 1e30}
        ]));
        assert_eq!(list[0].percent, 5000);
        assert_eq!(list[0].rshares, Some(456_789));
        assert_eq!(list[1].percent, -2500);
        assert_eq!(list[1].weight, Some(12));
        assert_eq!(list[1].rshares, Some(-42));
        assert_eq!((list[2].percent, list[2].rshares), (0, None));
    }

    #[test]
    fn a_vote_without_a_readable_percent_is_a_broken_answer() {
        for bad in [json!("fifty"), json!(null), json!(50.5), json!({})] {
            let parsed =
                serde_json::from_value::<Vec<ActiveVote>>(json!([{"voter": "a", "percent": bad}]));
            assert!(parsed.is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn content_with_an_empty_author_does_not_exist() {
        let empty = json!({"id": 0, "author": "", "permlink": "", "category": "",
            "parent_author": "", "body": "", "created": "1970-01-01T00:00:00",
            "net_votes": 0, "children": 0, "active_votes": []});
        assert_eq!(content(empty), None);
        assert_eq!(content(json!({})), None);
        assert_eq!(content(Value::Null), None);
    }

    #[test]
    fn content_keeps_the_useful_fields() {
        let found = content(json!({"id": 7, "author": "alice", "permlink": "re-post",
            "parent_author": "bob", "parent_permlink": "post", "title": "", "body": "Nice!",
            "created": "2026-01-01T00:00:00", "allow_votes": true,
            "cashout_time": "2026-01-08T00:00:00", "net_votes": "3", "children": 0,
            "pending_payout_value": "0.120 HBD", "active_votes": [], "json_metadata": "{}"}))
        .expect("it exists");
        assert_eq!(found.author, "alice");
        assert!(found.is_reply());
        assert_eq!(found.net_votes, Some(3));
        assert_eq!(found.pending_payout_value, "0.120 HBD");
        assert_eq!((found.category.as_str(), found.depth), ("", None));
        let reply = content(json!({"author": "alice", "permlink": "re-post",
            "parent_author": "bob", "parent_permlink": "post", "category": "hive-123456",
            "depth": 1, "url": "/hive-123456/@bob/post#@alice/re-post",
            "root_title": "Bob's post"}))
        .expect("it exists");
        assert_eq!(reply.category, "hive-123456");
        assert_eq!(reply.depth, Some(1));
        assert_eq!(reply.root_title, "Bob's post");
        assert_eq!(reply.url, "/hive-123456/@bob/post#@alice/re-post");
    }

    #[test]
    fn global_properties_parse() {
        let props: GlobalProperties = serde_json::from_value(json!({
            "head_block_number": 90_000_123, "time": "2026-01-01T00:00:00",
            "last_irreversible_block_num": "90000100", "current_witness": "someone",
            "head_block_id": "055d4a7b"}))
        .expect("they parse");
        assert_eq!(props.head_block_number, 90_000_123);
        assert_eq!(props.last_irreversible_block_num, Some(90_000_100));
        assert_eq!(props.vote_power_reserve_rate, None);
        let props: GlobalProperties = serde_json::from_value(json!({
            "head_block_number": 1, "time": "2026-01-01T00:00:00",
            "vote_power_reserve_rate": 10}))
        .expect("they parse");
        assert_eq!(props.vote_power_reserve_rate, Some(10));
    }

    #[test]
    fn accounts_parse_with_hive_or_steem_names() {
        let hive: Vec<ChainAccount> = serde_json::from_value(json!([{
            "name": "alice", "voting_manabar": {"current_mana": "600000000000",
                "last_update_time": 1_767_182_400},
            "vesting_shares": "1500000.000000 VESTS",
            "delegated_vesting_shares": "600000.000000 VESTS",
            "received_vesting_shares": "100000.000000 VESTS",
            "post_voting_power": "1000000.000000 VESTS",
            "posting": {"weight_threshold": 1, "account_auths": [["myapp", 1]],
                "key_auths": [["STM5key", 1]]},
            "reward_hbd_balance": "1.234 HBD", "reward_hive_balance": "0.000 HIVE",
            "reward_vesting_balance": "12.345678 VESTS", "balance": "5.000 HIVE"}]))
        .expect("a Hive account parses");
        let alice = &hive[0];
        assert_eq!(alice.voting_manabar.current_mana, 600_000_000_000);
        assert_eq!(alice.voting_manabar.last_update_time, 1_767_182_400);
        assert_eq!(
            alice.post_voting_power.as_deref(),
            Some("1000000.000000 VESTS")
        );
        assert_eq!(alice.posting.weight_of("myapp"), Some(1));
        assert!(alice.posting.lets_sign_alone("myapp"));
        assert!(!alice.posting.lets_sign_alone("hivesigner"));
        assert_eq!(alice.reward_hbd_balance, "1.234 HBD");

        let steem: Vec<ChainAccount> = serde_json::from_value(json!([{
            "name": "bob", "voting_manabar": {"current_mana": 5, "last_update_time": 7},
            "vesting_shares": "1.000000 VESTS", "delegated_vesting_shares": "0.000000 VESTS",
            "received_vesting_shares": "0.000000 VESTS",
            "posting": {"weight_threshold": 2, "account_auths": [["steemlogin", 1]],
                "key_auths": []},
            "reward_sbd_balance": "0.500 SBD", "reward_steem_balance": "0.001 STEEM",
            "reward_vesting_balance": "0.000000 VESTS"}]))
        .expect("a Steem account parses");
        let bob = &steem[0];
        assert_eq!(bob.reward_hbd_balance, "0.500 SBD");
        assert_eq!(bob.reward_hive_balance, "0.001 STEEM");
        assert_eq!(bob.post_voting_power, None);
        // Listed, but below the threshold: it cannot sign alone.
        assert!(!bob.posting.lets_sign_alone("steemlogin"));
    }

    #[test]
    fn the_fund_and_the_price_parse() {
        let fund: RewardFund = serde_json::from_value(json!({"id": 0, "name": "post",
            "reward_balance": "800000.000 HIVE", "recent_claims": "594937046467353651818",
            "content_constant": "2000000000000"}))
        .expect("the fund parses");
        // More than 64 bits: kept as digits.
        assert_eq!(fund.recent_claims, "594937046467353651818");
        let fund: RewardFund =
            serde_json::from_value(json!({"reward_balance": "1.000 STEEM", "recent_claims": 123}))
                .expect("a number parses too");
        assert_eq!(fund.recent_claims, "123");
        let broken = serde_json::from_value::<RewardFund>(json!({"reward_balance": "1.000 HIVE",
                "recent_claims": "-5"}));
        assert!(broken.is_err());
        let price: MedianPrice =
            serde_json::from_value(json!({"base": "0.250 HBD", "quote": "1.000 HIVE"}))
                .expect("the price parses");
        assert_eq!(
            (price.base.as_str(), price.quote.as_str()),
            ("0.250 HBD", "1.000 HIVE")
        );
    }

    #[test]
    fn answers_are_sorted_into_results_missing_refused_and_faults() {
        let read = |answer: Value| read_answer(answer.to_string().as_bytes(), 1);
        assert_eq!(
            read(json!({"jsonrpc": "2.0", "result": [], "id": 1})),
            Ok(Reply::Result(json!([])))
        );
        // Hivemind's words for a missing and for a deleted post.
        let missing = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602,
            "message": "Invalid parameters", "data": "Post alice/nope does not exist"}});
        assert_eq!(read(missing), Ok(Reply::NoSuchContent));
        let deleted = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -31999,
            "message": "Invalid parameters", "data": "Post alice/gone was deleted 1 time(s)"}});
        assert_eq!(read(deleted), Ok(Reply::NoSuchContent));
        let refused = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32602,
            "message": "Invalid parameters", "data": "invalid account name length: `a`"}});
        assert!(
            matches!(read(refused), Ok(Reply::Refused(words)) if words.contains("invalid account"))
        );
        // The node's own failures.
        let internal = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "Internal Error"}});
        assert_eq!(
            read(internal),
            Err("answered the error Internal Error (-32603)".into())
        );
        let hived = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000,
            "message": "Unable to acquire database lock", "data": {"code": 4, "stack": []}}});
        assert!(read(hived).is_err_and(|reason| reason.contains("database lock")));
        let unknown = json!({"id": 1, "error": {"code": -32601, "message": "Method not found"}});
        assert!(read(unknown).is_err());
        let broken = json!({"id": 1, "error": {"code": -32603, "message": "Internal Error",
            "data": "relation \"hive_posts\" does not exist"}});
        assert!(read(broken).is_err(), "a broken node is not a missing post");
    }

    #[test]
    fn garbage_and_foreign_answers_are_the_nodes_fault() {
        assert!(read_answer(b"<html>502 Bad Gateway</html>", 1).is_err());
        assert!(read_answer(b"[1, 2]", 1).is_err());
        assert!(read_answer(br#"{"jsonrpc":"2.0","id":1}"#, 1).is_err());
        assert!(read_answer(br#"{"jsonrpc":"2.0","result":[],"id":2}"#, 1).is_err());
        // An answer without an id is accepted (some proxies drop it).
        assert!(read_answer(br#"{"result":null}"#, 1).is_ok());
    }

    #[test]
    fn node_lists_keep_http_and_https_only() {
        let nodes = parse_nodes(
            "test",
            " https://api.example.com , ftp://x.example, not a url,, http://127.0.0.1:8090/rpc,https://",
        );
        let names: Vec<String> = nodes.iter().map(node_name).collect();
        assert_eq!(names, ["api.example.com", "127.0.0.1:8090"]);
        let defaults = NodeList::default();
        assert_eq!(defaults.nodes(Chain::Hive).len(), DEFAULT_HIVE_NODES.len());
        assert_eq!(
            node_name(&defaults.nodes(Chain::Steem)[0]),
            "api.steemit.com"
        );
    }

    #[test]
    fn the_environment_overrides_a_chain_only_with_usable_nodes() {
        let lookup = |hive: &'static str, steem: Option<&'static str>| {
            move |name: &str| match name {
                HIVE_NODES_VAR => Some(hive.to_owned()),
                STEEM_NODES_VAR => steem.map(str::to_owned),
                _ => None,
            }
        };
        let list = NodeList::from_lookup(lookup("http://127.0.0.1:8090, ftp://nope", None));
        let hive: Vec<String> = list.nodes(Chain::Hive).iter().map(node_name).collect();
        assert_eq!(hive, ["127.0.0.1:8090"]);
        assert_eq!(
            list.nodes(Chain::Steem),
            NodeList::default().nodes(Chain::Steem)
        );
        let list = NodeList::from_lookup(lookup("ftp://nope", Some("")));
        assert_eq!(list, NodeList::default());
    }

    #[test]
    fn errors_name_every_node_and_what_to_do() {
        let err = NodeError::Unanswered {
            tried: vec![
                NodeFailure {
                    node: "api.hive.blog".into(),
                    reason: "timed out".into(),
                },
                NodeFailure {
                    node: "api.deathwing.me".into(),
                    reason: "HTTP 502 Bad Gateway".into(),
                },
            ],
        };
        assert_eq!(
            err.to_string(),
            "none of the API nodes answered (api.hive.blog: timed out; api.deathwing.me: HTTP \
             502 Bad Gateway)"
        );
        let app_error = Error::from(err);
        assert_eq!(app_error.code(), "chain_unreadable");
        assert!(app_error.message().contains(HIVE_NODES_VAR));
    }

    #[test]
    fn checkable_operations_are_votes_and_comments() {
        let vote =
            json!(["vote", {"voter": "alice", "author": "bob", "permlink": "p", "weight": "5000"}]);
        assert!(matches!(Check::from_operation(&vote), Some(Check::Vote(v)) if v.weight == 5000));
        let comment = json!(["comment", {"parent_author": "", "parent_permlink": "hive-1",
            "author": "alice", "permlink": "p", "title": "T", "body": "B", "json_metadata": ""}]);
        assert!(matches!(
            Check::from_operation(&comment),
            Some(Check::Comment(_))
        ));
        let others = [
            json!(["custom_json", {"id": "follow", "json": "[]", "required_auths": [],
                "required_posting_auths": ["alice"]}]),
            json!(["comment_options", {"author": "alice", "permlink": "p"}]),
            json!(["vote", {"voter": "alice"}]),
            json!("vote"),
        ];
        assert!(others.iter().all(|op| Check::from_operation(op).is_none()));
        assert_eq!(
            operation_kinds(&others),
            "custom_json, comment_options, vote, an unreadable operation"
        );
        assert_eq!(operation_kinds(&[]), "no operation");
    }
}
