//! The operations Authdeck broadcasts, typed, and their exact legacy JSON on Hive and on Steem.
//!
//! An [`Operation`] serialises as `[name, {fields}]` with the fields in the chain's order and
//! assets as strings (`"1.000 HIVE"`). Field names, tickers and key order come from
//! the shared `hive-operations.md`; the chain's rules live in [`crate::hive::validate`].
//!
//! `serde_json` is built with `preserve_order`, so a [`serde_json::Value`] keeps the chain's
//! key order too: [`Operation::to_json`], [`Operation::to_json_string`] and serialising
//! [`Operation::legacy`] all give the exact bytes the chain and the activity log see.

use serde::ser::{SerializeMap, SerializeTuple};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::provider::Chain;

/// The `app` Authdeck writes into a comment's `json_metadata`.
pub const APP: &str = "authdeck/0.1";

/// 100.00 % in the chain's basis points.
pub const FULL_PERCENT: u16 = 10_000;

/// A token: what an [`Asset`]'s amount counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// The liquid token: HIVE on Hive, STEEM on Steem.
    Hive,
    /// The dollar token: HBD on Hive, SBD on Steem.
    Hbd,
    /// Vesting shares (Hive Power / Steem Power): VESTS on both.
    Vests,
}

impl Symbol {
    /// Every symbol, in the order the chain lists rewards.
    pub const ALL: [Symbol; 3] = [Symbol::Hive, Symbol::Hbd, Symbol::Vests];

    /// How many decimals the amount has: 3, or 6 for VESTS.
    pub fn precision(self) -> u32 {
        match self {
            Symbol::Hive | Symbol::Hbd => 3,
            Symbol::Vests => 6,
        }
    }

    /// The ticker written after the amount on `chain`.
    pub fn ticker(self, chain: Chain) -> &'static str {
        match (self, chain) {
            (Symbol::Hive, Chain::Hive) => "HIVE",
            (Symbol::Hive, Chain::Steem) => "STEEM",
            (Symbol::Hbd, Chain::Hive) => "HBD",
            (Symbol::Hbd, Chain::Steem) => "SBD",
            (Symbol::Vests, _) => "VESTS",
        }
    }

    /// The symbol whose ticker on `chain` is `ticker` (any letter case).
    pub fn from_ticker(ticker: &str, chain: Chain) -> Option<Symbol> {
        Symbol::ALL
            .into_iter()
            .find(|symbol| symbol.ticker(chain).eq_ignore_ascii_case(ticker))
    }

    fn scale(self) -> i64 {
        10_i64.pow(self.precision())
    }
}

/// An amount of a token, in its smallest unit (`1.000 HIVE` is 1000, `1.000000 VESTS` 1000000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Asset {
    /// The amount in the smallest unit (thousandths, or millionths for VESTS).
    pub amount: i64,
    /// The token.
    pub symbol: Symbol,
}

impl Asset {
    /// `amount` smallest units of `symbol`.
    pub fn new(amount: i64, symbol: Symbol) -> Asset {
        Asset { amount, symbol }
    }

    /// Nothing of `symbol`.
    pub fn zero(symbol: Symbol) -> Asset {
        Asset::new(0, symbol)
    }

    /// The amount with its decimals and no ticker, such as `-1.500` or `12.345678`.
    pub fn amount_text(&self) -> String {
        let scale = self.symbol.scale().unsigned_abs();
        let sign = if self.amount < 0 { "-" } else { "" };
        let magnitude = self.amount.unsigned_abs();
        let width = self.symbol.precision() as usize;
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
    }

    /// The asset as the chain writes it on `chain`, such as `1000000.000 HBD` or `0.000 SBD`.
    pub fn format(&self, chain: Chain) -> String {
        format!("{} {}", self.amount_text(), self.symbol.ticker(chain))
    }

    /// Reads what a person types, such as `1000000.000 HBD`, `5 hive` or `0.5 STEEM`, with the
    /// tickers of `chain`; at most the symbol's decimals, no sign. The error says what works.
    pub fn parse(text: &str, chain: Chain) -> Result<Asset, String> {
        let mut words = text.split_whitespace();
        let (Some(amount), Some(ticker), None) = (words.next(), words.next(), words.next()) else {
            return Err(format!(
                "write an amount and a token, such as \"1.000 {}\" ('{}' is not)",
                Symbol::Hive.ticker(chain),
                shorten(text.trim(), 24)
            ));
        };
        let symbol = Symbol::from_ticker(ticker, chain).ok_or_else(|| {
            let tickers: Vec<&str> = Symbol::ALL.iter().map(|s| s.ticker(chain)).collect();
            format!(
                "the token is one of {} ('{}' is not)",
                tickers.join(", "),
                shorten(ticker, 16)
            )
        })?;
        let amount = parse_amount(amount, symbol)?;
        Ok(Asset { amount, symbol })
    }
}

/// `digits[.digits]` with at most `symbol`'s decimals, as smallest units.
fn parse_amount(text: &str, symbol: Symbol) -> Result<i64, String> {
    let precision = symbol.precision() as usize;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(format!(
            "an amount is written with digits and at most one '.', such as 1.000 ('{}' is not)",
            shorten(text, 24)
        ));
    }
    if fraction.len() > precision {
        return Err(format!(
            "this token has at most {precision} decimals ('{}' has {})",
            shorten(text, 24),
            fraction.len()
        ));
    }
    let padded = format!("{fraction:0<precision$}");
    let too_large = || format!("the amount '{}' is too large", shorten(text, 24));
    let whole: i64 = whole.parse().map_err(|_| too_large())?;
    let fraction: i64 = padded.parse().map_err(|_| too_large())?;
    whole
        .checked_mul(symbol.scale())
        .and_then(|units| units.checked_add(fraction))
        .ok_or_else(too_large)
}

/// A vote, or an explicit removal of one. Build it with [`Vote::new`] or [`Vote::unvote`]:
/// a weight of 0 removes a vote on the chain, so [`crate::hive::validate`] accepts 0 only from
/// a vote built by [`Vote::unvote`], never by accident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vote {
    /// Who votes (and signs).
    pub voter: String,
    /// The post's author.
    pub author: String,
    /// The post's permlink.
    pub permlink: String,
    /// Basis points: 10000 is a 100.00 % upvote, -10000 a 100.00 % downvote.
    pub weight: i16,
    #[serde(skip)]
    removal: bool,
}

impl Vote {
    /// `voter` votes `weight` basis points (-10000..=10000, not 0) on `@author/permlink`.
    pub fn new(voter: &str, author: &str, permlink: &str, weight: i16) -> Vote {
        Vote {
            voter: voter.to_owned(),
            author: author.to_owned(),
            permlink: permlink.to_owned(),
            weight,
            removal: false,
        }
    }

    /// `voter` removes their vote on `@author/permlink` (weight 0).
    pub fn unvote(voter: &str, author: &str, permlink: &str) -> Vote {
        Vote {
            removal: true,
            ..Vote::new(voter, author, permlink, 0)
        }
    }

    /// Whether this vote was built by [`Vote::unvote`] to remove an existing vote.
    pub fn is_removal(&self) -> bool {
        self.removal
    }
}

/// A new post (no `parent_author`), a reply, or an edit of either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// Empty for a post; the replied-to author for a reply.
    pub parent_author: String,
    /// The post's category (first tag), or the replied-to permlink.
    pub parent_permlink: String,
    /// Who writes (and signs).
    pub author: String,
    /// This comment's permlink.
    pub permlink: String,
    /// The title; empty for a reply.
    pub title: String,
    /// The Markdown body.
    pub body: String,
    /// JSON text, see [`json_metadata_for_post`] and [`json_metadata_for_reply`].
    pub json_metadata: String,
}

impl Comment {
    /// Whether this answers another comment rather than starting a post.
    pub fn is_reply(&self) -> bool {
        !self.parent_author.is_empty()
    }
}

/// One account that gets a share of a post's author rewards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Beneficiary {
    /// The account paid.
    pub account: String,
    /// Its share in basis points (500 is 5.00 %).
    pub weight: u16,
}

/// A post's payout options: cap, dollar share, votes, curation and beneficiaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentOptions {
    /// The post's author (who signs).
    pub author: String,
    /// The post's permlink.
    pub permlink: String,
    /// The most the post may earn, in the dollar token; 0 declines the payout.
    pub max_accepted_payout: Asset,
    /// The share of the payout paid in the dollar token, basis points
    /// (`percent_steem_dollars` on Steem).
    pub percent_hbd: u16,
    /// Whether the post can be voted on.
    pub allow_votes: bool,
    /// Whether voters earn curation rewards.
    pub allow_curation_rewards: bool,
    /// Who shares the author rewards, sorted by account.
    pub beneficiaries: Vec<Beneficiary>,
}

/// A `custom_json` operation: an app-defined payload signed by some accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomJson {
    /// Accounts that sign with their active key.
    pub required_auths: Vec<String>,
    /// Accounts that sign with their posting key.
    pub required_posting_auths: Vec<String>,
    /// The app's id, such as `follow`.
    pub id: String,
    /// The payload, as JSON text.
    pub json: String,
}

/// What a follow operation sets `follower`'s relation to `following` to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum What {
    /// Follow (`"what":["blog"]`).
    Blog,
    /// Neither follow nor mute: unfollow or unmute (`"what":[]`).
    Nothing,
    /// Mute (`"what":["ignore"]`).
    Ignore,
}

impl What {
    fn keywords(self) -> &'static [&'static str] {
        match self {
            What::Blog => &["blog"],
            What::Nothing => &[],
            What::Ignore => &["ignore"],
        }
    }
}

#[derive(Serialize)]
struct FollowPayload<'a> {
    follower: &'a str,
    following: &'a str,
    what: &'a [&'a str],
}

#[derive(Serialize)]
struct ReblogPayload<'a> {
    account: &'a str,
    author: &'a str,
    permlink: &'a str,
}

impl CustomJson {
    /// The `follow` plugin's operation: `follower` follows, unfollows or mutes `following`.
    pub fn follow(follower: &str, following: &str, what: What) -> CustomJson {
        let payload = FollowPayload {
            follower,
            following,
            what: what.keywords(),
        };
        CustomJson::follow_plugin(follower, &("follow", payload))
    }

    /// The `follow` plugin's reblog: `account` reblogs `@author/permlink` to its blog.
    pub fn reblog(account: &str, author: &str, permlink: &str) -> CustomJson {
        let payload = ReblogPayload {
            account,
            author,
            permlink,
        };
        CustomJson::follow_plugin(account, &("reblog", payload))
    }

    fn follow_plugin(signer: &str, payload: &impl Serialize) -> CustomJson {
        CustomJson {
            required_auths: Vec::new(),
            required_posting_auths: vec![signer.to_owned()],
            id: "follow".to_owned(),
            json: json_text(payload),
        }
    }
}

/// Deletes a comment (only possible with no replies and no net positive votes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteComment {
    /// The comment's author (who signs).
    pub author: String,
    /// The comment's permlink.
    pub permlink: String,
}

/// Moves pending rewards into the account's balances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRewardBalance {
    /// Who claims (and signs).
    pub account: String,
    /// Liquid token to claim (`reward_steem` on Steem).
    pub reward_hive: Asset,
    /// Dollar token to claim (`reward_sbd` on Steem).
    pub reward_hbd: Asset,
    /// Vesting shares to claim.
    pub reward_vests: Asset,
}

/// One operation Authdeck can broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `vote`.
    Vote(Vote),
    /// `comment`.
    Comment(Comment),
    /// `comment_options`.
    CommentOptions(CommentOptions),
    /// `custom_json`.
    CustomJson(CustomJson),
    /// `delete_comment`.
    DeleteComment(DeleteComment),
    /// `claim_reward_balance`.
    ClaimRewardBalance(ClaimRewardBalance),
}

macro_rules! operation_from {
    ($($variant:ident),*) => {$(
        impl From<$variant> for Operation {
            fn from(op: $variant) -> Operation {
                Operation::$variant(op)
            }
        }
    )*};
}

operation_from!(
    Vote,
    Comment,
    CommentOptions,
    CustomJson,
    DeleteComment,
    ClaimRewardBalance
);

impl Operation {
    /// The chain's name for the operation, such as `vote` (the same on Hive and Steem).
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Vote(_) => "vote",
            Operation::Comment(_) => "comment",
            Operation::CommentOptions(_) => "comment_options",
            Operation::CustomJson(_) => "custom_json",
            Operation::DeleteComment(_) => "delete_comment",
            Operation::ClaimRewardBalance(_) => "claim_reward_balance",
        }
    }

    /// The account that must sign: the voter, the author, the claiming account, or for
    /// `custom_json` the first posting auth (else the first active auth, else empty).
    pub fn author(&self) -> &str {
        match self {
            Operation::Vote(op) => &op.voter,
            Operation::Comment(op) => &op.author,
            Operation::CommentOptions(op) => &op.author,
            Operation::CustomJson(op) => op
                .required_posting_auths
                .iter()
                .chain(&op.required_auths)
                .next()
                .map_or("", String::as_str),
            Operation::DeleteComment(op) => &op.author,
            Operation::ClaimRewardBalance(op) => &op.account,
        }
    }

    /// The operation in its legacy form on `chain`, ready to serialise byte for byte.
    pub fn legacy(&self, chain: Chain) -> Legacy<'_> {
        Legacy { op: self, chain }
    }

    /// The legacy JSON as a value, in the chain's key order (`serde_json` preserves it).
    pub fn to_json(&self, chain: Chain) -> Value {
        serde_json::to_value(self.legacy(chain))
            .expect("legacy operations hold only strings, integers and booleans")
    }

    /// The exact legacy JSON text, such as `["vote",{"voter":"alice",...}]`.
    pub fn to_json_string(&self, chain: Chain) -> String {
        json_text(&self.legacy(chain))
    }

    /// One line for an activity log, such as `vote 50.00 % on @bob/bobs-post`.
    pub fn summary(&self) -> String {
        match self {
            Operation::Vote(op) => vote_summary(op),
            Operation::Comment(op) if op.is_reply() => {
                format!(
                    "reply to {}",
                    post_ref(&op.parent_author, &op.parent_permlink)
                )
            }
            Operation::Comment(op) if op.title.trim().is_empty() => {
                format!("post {}", post_ref(&op.author, &op.permlink))
            }
            Operation::Comment(op) => format!("post \"{}\"", one_line(&op.title, 80)),
            Operation::CommentOptions(op) => options_summary(op),
            Operation::CustomJson(op) => custom_json_summary(op),
            Operation::DeleteComment(op) => {
                format!("delete {}", post_ref(&op.author, &op.permlink))
            }
            Operation::ClaimRewardBalance(op) => format!("claim rewards for @{}", op.account),
        }
    }
}

/// `basis_points` as a percentage with two decimals, such as `50.00 %` or `-0.01 %`.
pub fn format_percent(basis_points: i32) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let magnitude = basis_points.unsigned_abs();
    format!("{sign}{}.{:02} %", magnitude / 100, magnitude % 100)
}

fn post_ref(author: &str, permlink: &str) -> String {
    format!("@{}/{}", one_line(author, 32), one_line(permlink, 80))
}

fn vote_summary(vote: &Vote) -> String {
    let target = post_ref(&vote.author, &vote.permlink);
    match vote.weight {
        0 => format!("remove vote on {target}"),
        w if w < 0 => format!("downvote {} on {target}", format_percent(-i32::from(w))),
        w => format!("vote {} on {target}", format_percent(i32::from(w))),
    }
}

fn options_summary(options: &CommentOptions) -> String {
    let target = post_ref(&options.author, &options.permlink);
    let mut line = if options.max_accepted_payout.amount == 0 {
        format!("decline payout on {target}")
    } else {
        format!("set payout options on {target}")
    };
    match options.beneficiaries.len() {
        0 => {}
        1 => line.push_str(" with 1 beneficiary"),
        n => line.push_str(&format!(" with {n} beneficiaries")),
    }
    line
}

fn custom_json_summary(op: &CustomJson) -> String {
    let payload: Option<Value> = serde_json::from_str(&op.json).ok();
    let known = match (op.id.as_str(), payload) {
        ("follow", Some(payload)) => follow_plugin_summary(&payload),
        _ => None,
    };
    known.unwrap_or_else(|| format!("custom_json \"{}\"", one_line(&op.id, 32)))
}

/// Summarises the `follow` plugin's `["follow", ...]` and `["reblog", ...]` payloads.
fn follow_plugin_summary(payload: &Value) -> Option<String> {
    let kind = payload.get(0)?.as_str()?;
    let body = payload.get(1)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    match kind {
        "follow" => {
            let following = one_line(text("following")?, 32);
            let what = body.get("what")?.as_array()?;
            let verb = match what.first().and_then(Value::as_str) {
                None => "unfollow",
                Some("blog") => "follow",
                Some("ignore") => "mute",
                Some(_) => return None,
            };
            Some(format!("{verb} @{following}"))
        }
        "reblog" => Some(format!(
            "reblog {}",
            post_ref(text("author")?, text("permlink")?)
        )),
        _ => None,
    }
}

/// At most `max_chars` characters of `text` on one line (control characters become spaces).
fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    shorten(flat.trim(), max_chars)
}

/// At most `max_chars` characters of `text`, with `…` when cut.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[derive(Serialize)]
struct PostMetadata<'a> {
    tags: Vec<String>,
    app: &'a str,
    format: &'static str,
}

#[derive(Serialize)]
struct ReplyMetadata<'a> {
    app: &'a str,
}

/// A post's `json_metadata`: `{"tags":[...],"app":"<app>","format":"markdown"}`. Tags are
/// trimmed and lowercased; empty and repeated tags are dropped, the first one kept in place
/// (the first tag is the post's category).
pub fn json_metadata_for_post(tags: &[String], app: &str) -> String {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags.iter().map(|tag| tag.trim().to_lowercase()) {
        if !tag.is_empty() && !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    json_text(&PostMetadata {
        tags: kept,
        app,
        format: "markdown",
    })
}

/// A reply's `json_metadata`: `{"app":"<app>"}`.
pub fn json_metadata_for_reply(app: &str) -> String {
    json_text(&ReplyMetadata { app })
}

/// JSON text of a value made only of strings, integers, booleans, sequences and structs,
/// which `serde_json` always serialises.
fn json_text(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("plain data always serialises to JSON")
}

/// An [`Operation`] in its legacy JSON form on one chain: `[name, {fields}]`.
#[derive(Debug, Clone, Copy)]
pub struct Legacy<'a> {
    op: &'a Operation,
    chain: Chain,
}

impl Serialize for Legacy<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut pair = serializer.serialize_tuple(2)?;
        pair.serialize_element(self.op.name())?;
        match self.op {
            Operation::Vote(op) => pair.serialize_element(op)?,
            Operation::Comment(op) => pair.serialize_element(op)?,
            Operation::CommentOptions(op) => pair.serialize_element(&on(self.chain, op))?,
            Operation::CustomJson(op) => pair.serialize_element(op)?,
            Operation::DeleteComment(op) => pair.serialize_element(op)?,
            Operation::ClaimRewardBalance(op) => pair.serialize_element(&on(self.chain, op))?,
        }
        pair.end()
    }
}

/// A value whose legacy JSON depends on the chain (field names, tickers).
struct OnChain<'a, T> {
    chain: Chain,
    value: &'a T,
}

fn on<T>(chain: Chain, value: &T) -> OnChain<'_, T> {
    OnChain { chain, value }
}

/// The field names that differ between Hive and Steem.
struct FieldNames {
    percent_dollars: &'static str,
    reward_liquid: &'static str,
    reward_dollars: &'static str,
}

fn field_names(chain: Chain) -> FieldNames {
    match chain {
        Chain::Hive => FieldNames {
            percent_dollars: "percent_hbd",
            reward_liquid: "reward_hive",
            reward_dollars: "reward_hbd",
        },
        Chain::Steem => FieldNames {
            percent_dollars: "percent_steem_dollars",
            reward_liquid: "reward_steem",
            reward_dollars: "reward_sbd",
        },
    }
}

impl Serialize for OnChain<'_, Asset> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.value.format(self.chain))
    }
}

#[derive(Serialize)]
struct BeneficiariesExtension<'a> {
    beneficiaries: &'a [Beneficiary],
}

impl Serialize for OnChain<'_, CommentOptions> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let op = self.value;
        let names = field_names(self.chain);
        let extensions: Vec<(u8, BeneficiariesExtension<'_>)> = if op.beneficiaries.is_empty() {
            Vec::new()
        } else {
            vec![(
                0,
                BeneficiariesExtension {
                    beneficiaries: &op.beneficiaries,
                },
            )]
        };
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("author", &op.author)?;
        map.serialize_entry("permlink", &op.permlink)?;
        map.serialize_entry(
            "max_accepted_payout",
            &on(self.chain, &op.max_accepted_payout),
        )?;
        map.serialize_entry(names.percent_dollars, &op.percent_hbd)?;
        map.serialize_entry("allow_votes", &op.allow_votes)?;
        map.serialize_entry("allow_curation_rewards", &op.allow_curation_rewards)?;
        map.serialize_entry("extensions", &extensions)?;
        map.end()
    }
}

impl Serialize for OnChain<'_, ClaimRewardBalance> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let op = self.value;
        let names = field_names(self.chain);
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("account", &op.account)?;
        map.serialize_entry(names.reward_liquid, &on(self.chain, &op.reward_hive))?;
        map.serialize_entry(names.reward_dollars, &on(self.chain, &op.reward_hbd))?;
        map.serialize_entry("reward_vests", &on(self.chain, &op.reward_vests))?;
        map.end()
    }
}

/// The example operations of the shared `hive-operations.md`, for the tests of `hive`.
#[cfg(test)]
pub(crate) mod examples {
    use super::*;

    /// `items` as owned strings.
    pub fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| item.to_string()).collect()
    }

    /// Alice votes `weight` on `@bob/bobs-post`.
    pub fn vote(weight: i16) -> Vote {
        Vote::new("alice", "bob", "bobs-post", weight)
    }

    /// The doc's root post.
    pub fn post() -> Comment {
        Comment {
            parent_author: String::new(),
            parent_permlink: "hive-123456".into(),
            author: "alice".into(),
            permlink: "my-first-post".into(),
            title: "My first post".into(),
            body: "Markdown body".into(),
            json_metadata: json_metadata_for_post(&strings(&["hive-123456", "rust"]), APP),
        }
    }

    /// The doc's reply.
    pub fn reply() -> Comment {
        Comment {
            parent_author: "bob".into(),
            parent_permlink: "bobs-post".into(),
            permlink: "re-bob-bobs-post-20260101t000000000z".into(),
            title: String::new(),
            body: "Nice!".into(),
            json_metadata: json_metadata_for_reply(APP),
            ..post()
        }
    }

    /// `account` gets `weight` basis points.
    pub fn beneficiary(account: &str, weight: u16) -> Beneficiary {
        Beneficiary {
            account: account.into(),
            weight,
        }
    }

    /// The doc's beneficiaries: bob 5 %, carol 10 %.
    pub fn doc_beneficiaries() -> Vec<Beneficiary> {
        vec![beneficiary("bob", 500), beneficiary("carol", 1000)]
    }

    /// The doc's payout options for the root post, with `beneficiaries`.
    pub fn comment_options(beneficiaries: Vec<Beneficiary>) -> CommentOptions {
        CommentOptions {
            author: "alice".into(),
            permlink: "my-first-post".into(),
            max_accepted_payout: Asset::new(1_000_000_000, Symbol::Hbd),
            percent_hbd: 10000,
            allow_votes: true,
            allow_curation_rewards: true,
            beneficiaries,
        }
    }

    /// The doc's deletion of the root post.
    pub fn delete_comment() -> DeleteComment {
        DeleteComment {
            author: "alice".into(),
            permlink: "my-first-post".into(),
        }
    }

    /// Alice claims these smallest units of HIVE, HBD and VESTS.
    pub fn claim(hive: i64, hbd: i64, vests: i64) -> ClaimRewardBalance {
        ClaimRewardBalance {
            account: "alice".into(),
            reward_hive: Asset::new(hive, Symbol::Hive),
            reward_hbd: Asset::new(hbd, Symbol::Hbd),
            reward_vests: Asset::new(vests, Symbol::Vests),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::examples::*;
    use super::*;

    fn hive(op: impl Into<Operation>) -> String {
        op.into().to_json_string(Chain::Hive)
    }

    fn steem(op: impl Into<Operation>) -> String {
        op.into().to_json_string(Chain::Steem)
    }

    #[test]
    fn vote_is_the_docs_json() {
        assert_eq!(
            hive(vote(10000)),
            r#"["vote",{"voter":"alice","author":"bob","permlink":"bobs-post","weight":10000}]"#
        );
    }

    #[test]
    fn unvote_sends_weight_zero_and_downvotes_are_negative() {
        assert_eq!(
            hive(Vote::unvote("alice", "bob", "bobs-post")),
            r#"["vote",{"voter":"alice","author":"bob","permlink":"bobs-post","weight":0}]"#
        );
        assert_eq!(
            steem(vote(-2500)),
            r#"["vote",{"voter":"alice","author":"bob","permlink":"bobs-post","weight":-2500}]"#
        );
    }

    #[test]
    fn post_is_the_docs_json() {
        assert_eq!(
            hive(post()),
            r#"["comment",{"parent_author":"","parent_permlink":"hive-123456","author":"alice","permlink":"my-first-post","title":"My first post","body":"Markdown body","json_metadata":"{\"tags\":[\"hive-123456\",\"rust\"],\"app\":\"authdeck/0.1\",\"format\":\"markdown\"}"}]"#
        );
    }

    #[test]
    fn reply_is_the_docs_json() {
        assert_eq!(
            hive(reply()),
            r#"["comment",{"parent_author":"bob","parent_permlink":"bobs-post","author":"alice","permlink":"re-bob-bobs-post-20260101t000000000z","title":"","body":"Nice!","json_metadata":"{\"app\":\"authdeck/0.1\"}"}]"#
        );
    }

    #[test]
    fn comment_options_is_the_docs_json() {
        assert_eq!(
            hive(comment_options(doc_beneficiaries())),
            r#"["comment_options",{"author":"alice","permlink":"my-first-post","max_accepted_payout":"1000000.000 HBD","percent_hbd":10000,"allow_votes":true,"allow_curation_rewards":true,"extensions":[[0,{"beneficiaries":[{"account":"bob","weight":500},{"account":"carol","weight":1000}]}]]}]"#
        );
    }

    #[test]
    fn comment_options_without_beneficiaries_has_empty_extensions() {
        assert_eq!(
            hive(comment_options(Vec::new())),
            r#"["comment_options",{"author":"alice","permlink":"my-first-post","max_accepted_payout":"1000000.000 HBD","percent_hbd":10000,"allow_votes":true,"allow_curation_rewards":true,"extensions":[]}]"#
        );
    }

    #[test]
    fn comment_options_on_steem_uses_steem_names() {
        assert_eq!(
            steem(comment_options(Vec::new())),
            r#"["comment_options",{"author":"alice","permlink":"my-first-post","max_accepted_payout":"1000000.000 SBD","percent_steem_dollars":10000,"allow_votes":true,"allow_curation_rewards":true,"extensions":[]}]"#
        );
    }

    #[test]
    fn follow_unfollow_and_mute_are_the_docs_json() {
        assert_eq!(
            hive(CustomJson::follow("alice", "bob", What::Blog)),
            r#"["custom_json",{"required_auths":[],"required_posting_auths":["alice"],"id":"follow","json":"[\"follow\",{\"follower\":\"alice\",\"following\":\"bob\",\"what\":[\"blog\"]}]"}]"#
        );
        assert_eq!(
            CustomJson::follow("alice", "bob", What::Nothing).json,
            r#"["follow",{"follower":"alice","following":"bob","what":[]}]"#
        );
        assert_eq!(
            CustomJson::follow("alice", "bob", What::Ignore).json,
            r#"["follow",{"follower":"alice","following":"bob","what":["ignore"]}]"#
        );
    }

    #[test]
    fn reblog_is_the_docs_json() {
        assert_eq!(
            hive(CustomJson::reblog("alice", "bob", "bobs-post")),
            r#"["custom_json",{"required_auths":[],"required_posting_auths":["alice"],"id":"follow","json":"[\"reblog\",{\"account\":\"alice\",\"author\":\"bob\",\"permlink\":\"bobs-post\"}]"}]"#
        );
    }

    #[test]
    fn delete_comment_is_the_docs_json() {
        assert_eq!(
            hive(delete_comment()),
            r#"["delete_comment",{"author":"alice","permlink":"my-first-post"}]"#
        );
    }

    #[test]
    fn claim_reward_balance_is_the_docs_json() {
        assert_eq!(
            hive(claim(0, 0, 12_345_678)),
            r#"["claim_reward_balance",{"account":"alice","reward_hive":"0.000 HIVE","reward_hbd":"0.000 HBD","reward_vests":"12.345678 VESTS"}]"#
        );
    }

    #[test]
    fn claim_reward_balance_on_steem_uses_steem_names() {
        assert_eq!(
            steem(claim(0, 0, 12_345_678)),
            r#"["claim_reward_balance",{"account":"alice","reward_steem":"0.000 STEEM","reward_sbd":"0.000 SBD","reward_vests":"12.345678 VESTS"}]"#
        );
    }

    #[test]
    fn to_json_is_the_same_data_as_the_exact_text() {
        let ops: Vec<Operation> = vec![
            vote(10000).into(),
            post().into(),
            comment_options(doc_beneficiaries()).into(),
            CustomJson::follow("alice", "bob", What::Blog).into(),
            claim(0, 0, 12_345_678).into(),
        ];
        for op in &ops {
            for chain in [Chain::Hive, Chain::Steem] {
                let parsed: Value = serde_json::from_str(&op.to_json_string(chain)).unwrap();
                assert_eq!(op.to_json(chain), parsed, "{}", op.name());
            }
        }
        assert_eq!(ops[0].to_json(Chain::Hive)[1]["weight"], 10000);
    }

    #[test]
    fn special_characters_are_escaped() {
        let mut op = post();
        op.title = "Quotes \" and \\ and\nnew line".into();
        let parsed: Value = serde_json::from_str(&hive(op.clone())).unwrap();
        assert_eq!(parsed[1]["title"], op.title.as_str());
    }

    #[test]
    fn assets_show_their_decimals_per_chain() {
        let cases = [
            (Asset::new(1_000, Symbol::Hive), Chain::Hive, "1.000 HIVE"),
            (Asset::new(1_000, Symbol::Hive), Chain::Steem, "1.000 STEEM"),
            (Asset::new(5, Symbol::Hbd), Chain::Hive, "0.005 HBD"),
            (Asset::new(5, Symbol::Hbd), Chain::Steem, "0.005 SBD"),
            (Asset::new(-1_500, Symbol::Hbd), Chain::Hive, "-1.500 HBD"),
            (Asset::new(1, Symbol::Vests), Chain::Steem, "0.000001 VESTS"),
            (Asset::zero(Symbol::Vests), Chain::Hive, "0.000000 VESTS"),
            (
                Asset::new(i64::MIN, Symbol::Hive),
                Chain::Hive,
                "-9223372036854775.808 HIVE",
            ),
        ];
        for (asset, chain, text) in cases {
            assert_eq!(asset.format(chain), text);
        }
    }

    #[test]
    fn parses_what_people_type() {
        let cases = [
            ("1000000.000 HBD", Chain::Hive, 1_000_000_000, Symbol::Hbd),
            ("  5 hive ", Chain::Hive, 5_000, Symbol::Hive),
            ("0.5 STEEM", Chain::Steem, 500, Symbol::Hive),
            ("1.25 sbd", Chain::Steem, 1_250, Symbol::Hbd),
            ("12.345678 VESTS", Chain::Hive, 12_345_678, Symbol::Vests),
            ("7. VESTS", Chain::Hive, 7_000_000, Symbol::Vests),
        ];
        for (text, chain, amount, symbol) in cases {
            assert_eq!(
                Asset::parse(text, chain),
                Ok(Asset::new(amount, symbol)),
                "{text}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_asset() {
        let cases = [
            ("", Chain::Hive, "such as \"1.000 HIVE\""),
            ("1.000", Chain::Hive, "such as \"1.000 HIVE\""),
            ("1.000 HBD extra", Chain::Hive, "amount and a token"),
            ("1.000 SBD", Chain::Hive, "HIVE, HBD, VESTS"),
            ("1.000 HIVE", Chain::Steem, "STEEM, SBD, VESTS"),
            ("1.0001 HIVE", Chain::Hive, "at most 3 decimals"),
            ("-1.000 HIVE", Chain::Hive, "digits"),
            ("1,5 HIVE", Chain::Hive, "digits"),
            (".5 HIVE", Chain::Hive, "digits"),
            ("1.2.3 HIVE", Chain::Hive, "digits"),
            ("99999999999999999 HIVE", Chain::Hive, "too large"),
        ];
        for (text, chain, needle) in cases {
            let err = Asset::parse(text, chain).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn asset_text_round_trips() {
        for asset in [
            Asset::new(0, Symbol::Hive),
            Asset::new(123_456, Symbol::Hbd),
            Asset::new(i64::MAX, Symbol::Vests),
        ] {
            for chain in [Chain::Hive, Chain::Steem] {
                assert_eq!(Asset::parse(&asset.format(chain), chain), Ok(asset));
            }
        }
    }

    #[test]
    fn names_and_signing_authors() {
        let cases: [(Operation, &str, &str); 6] = [
            (Vote::new("alice", "bob", "p", 1).into(), "vote", "alice"),
            (reply().into(), "comment", "alice"),
            (
                comment_options(Vec::new()).into(),
                "comment_options",
                "alice",
            ),
            (
                CustomJson::reblog("carol", "bob", "p").into(),
                "custom_json",
                "carol",
            ),
            (delete_comment().into(), "delete_comment", "alice"),
            (
                claim(0, 0, 12_345_678).into(),
                "claim_reward_balance",
                "alice",
            ),
        ];
        for (op, name, author) in cases {
            assert_eq!(op.name(), name);
            assert_eq!(op.author(), author, "{name}");
        }
    }

    #[test]
    fn custom_json_author_falls_back_to_active_auths() {
        let mut op = CustomJson {
            required_auths: strings(&["erin"]),
            required_posting_auths: Vec::new(),
            id: "x".into(),
            json: "{}".into(),
        };
        assert_eq!(Operation::from(op.clone()).author(), "erin");
        op.required_auths.clear();
        assert_eq!(Operation::from(op).author(), "");
    }

    #[test]
    fn summaries_read_like_an_activity_log() {
        let cases: Vec<(Operation, &str)> = vec![
            (vote(5000).into(), "vote 50.00 % on @bob/bobs-post"),
            (vote(-1).into(), "downvote 0.01 % on @bob/bobs-post"),
            (
                Vote::unvote("alice", "bob", "bobs-post").into(),
                "remove vote on @bob/bobs-post",
            ),
            (reply().into(), "reply to @bob/bobs-post"),
            (post().into(), "post \"My first post\""),
            (
                comment_options(doc_beneficiaries()).into(),
                "set payout options on @alice/my-first-post with 2 beneficiaries",
            ),
            (
                CustomJson::follow("alice", "bob", What::Blog).into(),
                "follow @bob",
            ),
            (
                CustomJson::follow("alice", "bob", What::Nothing).into(),
                "unfollow @bob",
            ),
            (
                CustomJson::follow("alice", "bob", What::Ignore).into(),
                "mute @bob",
            ),
            (
                CustomJson::reblog("alice", "bob", "bobs-post").into(),
                "reblog @bob/bobs-post",
            ),
            (delete_comment().into(), "delete @alice/my-first-post"),
            (claim(0, 0, 12_345_678).into(), "claim rewards for @alice"),
        ];
        for (op, summary) in cases {
            assert_eq!(op.summary(), summary);
        }
    }

    #[test]
    fn summaries_of_unusual_operations_stay_on_one_short_line() {
        let mut declined = comment_options(vec![beneficiary("bob", 1)]);
        declined.max_accepted_payout = Asset::zero(Symbol::Hbd);
        assert_eq!(
            Operation::from(declined).summary(),
            "decline payout on @alice/my-first-post with 1 beneficiary"
        );
        let mut untitled = post();
        untitled.title.clear();
        assert_eq!(
            Operation::from(untitled).summary(),
            "post @alice/my-first-post"
        );
        let mut long = post();
        long.title = format!("Line one\nline two {}", "x".repeat(200));
        let summary = Operation::from(long).summary();
        assert!(!summary.contains('\n'));
        assert!(summary.chars().count() < 100, "{summary}");
        let other = CustomJson {
            required_auths: Vec::new(),
            required_posting_auths: strings(&["alice"]),
            id: "community".into(),
            json: "not json".into(),
        };
        assert_eq!(
            Operation::from(other).summary(),
            "custom_json \"community\""
        );
    }

    #[test]
    fn metadata_for_posts_and_replies() {
        assert_eq!(
            json_metadata_for_post(&strings(&[" Hive-123456", "rust", "", "RUST"]), APP),
            r#"{"tags":["hive-123456","rust"],"app":"authdeck/0.1","format":"markdown"}"#
        );
        assert_eq!(
            json_metadata_for_post(&[], "other/2"),
            r#"{"tags":[],"app":"other/2","format":"markdown"}"#
        );
        assert_eq!(json_metadata_for_reply(APP), r#"{"app":"authdeck/0.1"}"#);
    }

    #[test]
    fn percentages_have_two_decimals() {
        assert_eq!(format_percent(10000), "100.00 %");
        assert_eq!(format_percent(5), "0.05 %");
        assert_eq!(format_percent(-2550), "-25.50 %");
        assert_eq!(format_percent(i32::MIN), "-21474836.48 %");
    }
}
