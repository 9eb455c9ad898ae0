//! [`Desk`]: the curator's desk, what the window shows before anything is sent: a pasted
//! post's card with each chosen account's standing on it (health, voting mana, the estimated
//! value of a full vote, the vote it already cast), the same standing without a post, an
//! account's posting authority (the app's grant and the provider broadcaster's grant), and
//! unclaimed rewards. It only reads: the registry for accounts and health, the API nodes
//! through [`ChainClient`] (a node that fails is skipped for the next one).
//!
//! Accounts of OAuth 2.0 servers and token sites sign nothing on chain and are left out of
//! every view. Values follow [`crate::hive::value`] and are estimates.
//!
//! # Node calls per view
//!
//! One JSON-RPC call each; nothing depends on how many accounts are chosen or how many votes
//! follow. "The economy" is `get_reward_fund ["post"]`, `get_current_median_history_price`
//! and `get_dynamic_global_properties`: asked at most once a minute per chain, shared by every
//! view (and by views asked at the same moment), so a view pays its 3 calls only when the
//! minute has passed.
//!
//! | view | calls |
//! | --- | --- |
//! | [`Desk::post_card`] | 1 `get_content` + 1 `get_active_votes` + 1 `get_accounts` (all chosen accounts of the post's chain at once; none without accounts) + the economy: 3 calls, 6 when the economy is read again |
//! | [`Desk::account_standing`] | per chain with chosen accounts: 1 `get_accounts` + the economy |
//! | [`Desk::authority`] | 1 `get_accounts` (the account and its app's account together) |
//! | [`Desk::pending_rewards`] | per chain with chosen accounts: 1 `get_accounts` |
//!
//! Per vote: none. The card is read once per pasted link, whatever the weight and however
//! many accounts vote; sending goes through the provider, which broadcasts (the broadcaster
//! asks a node only before resending a vote whose answer was lost: 1 `get_active_votes`).

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tokio::sync::Mutex as AsyncMutex;

use crate::accounts::{Account, AccountId, Health};
use crate::apps::{App, Flow};
use crate::chain::{ActiveVote, ChainAccount, ChainClient, Content, NodeError};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::hive::links::{self, PostRef};
use crate::hive::ops::format_percent;
use crate::hive::value::{self, Asset};
use crate::provider::{Chain, Preset, Protocol, Provider};
use crate::shared::Shared;
use crate::tokens;

/// How long the reward fund, the median price and the global properties are reused.
pub const ECONOMY_SECONDS: i64 = 60;

/// The reward fund posts and comments are paid from.
const POST_FUND: &str = "post";

// ---------------------------------------------------------------------------------------------
// What the window gets

/// A pasted post, and how each chosen account stands on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostCard {
    /// The post or comment.
    pub post: PostView,
    /// The chosen accounts that broadcast, in the order asked (each once).
    pub accounts: Vec<AccountStanding>,
}

/// A post or comment, for its card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    /// The chain it was read from.
    pub chain: Chain,
    /// Its author.
    pub author: String,
    /// Its permlink.
    pub permlink: String,
    /// Its title; for a comment, `RE: ` and the root post's title.
    pub title: String,
    /// Its category: the community (`hive-123456`) or first tag of the root post.
    pub community: String,
    /// When it was written (Unix seconds), when the node said.
    pub created: Option<UnixSeconds>,
    /// How old it is, in seconds.
    pub age_seconds: Option<i64>,
    /// When it pays out (Unix seconds); `None` once paid out or when not known.
    pub cashout_time: Option<UnixSeconds>,
    /// The payout it would get now, as the chain writes it (`1.234 HBD`).
    pub pending_payout: String,
    /// Whether a vote on it still counts.
    pub votable: bool,
    /// Why not, in words, when it is not votable.
    pub not_votable_reason: Option<String>,
    /// Whether it is a comment (a reply) rather than a root post.
    pub is_comment: bool,
    /// What a comment replies to.
    pub parent: Option<PostRef>,
    /// How many replies it has.
    pub children: i64,
    /// Upvotes minus downvotes.
    pub net_votes: i64,
    /// Its page on the chain's best-known front end.
    pub url: String,
}

/// How one account stands: whether it can vote now, its mana and what a full vote is worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountStanding {
    /// The account's id.
    pub account_id: AccountId,
    /// Its name on chain.
    pub username: String,
    /// The chain its provider signs for.
    pub chain: Chain,
    /// How its tokens are doing.
    pub health: Health,
    /// Whether it can vote now (on the post, for a card).
    pub can_vote: bool,
    /// Why not, in words, when it cannot.
    pub reason: Option<String>,
    /// Its voting mana now, 0 to 100 (two decimals), when the chain was read for it.
    pub mana_percent: Option<f64>,
    /// The estimated value of a 100 % upvote at its current mana (`2.790 HBD`, SBD on Steem;
    /// on a card, the post's last-12-hours reduction included).
    pub full_vote_value: Option<String>,
    /// The vote it already cast on the card's post, if any (a removed vote is none).
    pub already_voted: Option<VoteSeen>,
}

/// A vote already on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteSeen {
    /// Its weight in basis points, as the chain keeps it (5000 = 50 %, negative: a downvote).
    pub percent: i64,
    /// The weight in words: `50.00 %`.
    pub text: String,
}

/// An account's posting authority, and whether its app and the provider may sign with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorityView {
    /// The account's id.
    pub account_id: AccountId,
    /// Its name on chain.
    pub username: String,
    /// The app it authorized (its account name).
    pub app: String,
    /// The chain.
    pub chain: Chain,
    /// The weight the posting signatures must add up to.
    pub posting_threshold: u64,
    /// The accounts in its posting authority, with their weights: `[["myapp", 1]]`.
    pub account_auths: Vec<(String, u64)>,
    /// How many keys its posting authority lists.
    pub key_auths_count: usize,
    /// Whether the app's account is in its posting authority with enough weight to sign alone.
    pub app_has_authority: bool,
    /// The provider's broadcaster: the account the provider signs with (`hivesigner`).
    pub broadcaster: String,
    /// Whether the app's account gave the broadcaster posting authority (without it the
    /// provider refuses every broadcast for the app's users).
    pub broadcaster_granted: bool,
    /// What to do, in words, when something is missing.
    pub fix: Option<String>,
    /// The provider's page where the account takes the app's authority away on chain.
    pub revoke_page: Option<String>,
}

/// An account's unclaimed rewards, as the chain writes the amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRewards {
    /// The account's id.
    pub account_id: AccountId,
    /// Its name on chain.
    pub username: String,
    /// The chain.
    pub chain: Chain,
    /// Unclaimed HBD (SBD on Steem): `0.123 HBD`.
    pub reward_hbd: String,
    /// Unclaimed HIVE (STEEM on Steem): `0.000 HIVE`.
    pub reward_hive: String,
    /// Unclaimed vesting shares: `12.345678 VESTS`.
    pub reward_vests: String,
    /// Whether any of them is more than nothing (there is something to claim).
    pub has_rewards: bool,
}

// ---------------------------------------------------------------------------------------------
// The service

/// The reward pool and the price, read together; `pricing` is `None` when the node's numbers
/// could not be read (values are then left out, not guessed).
#[derive(Debug, Clone)]
struct Economy {
    read_at: UnixSeconds,
    pricing: Option<Pricing>,
    reserve_rate: i64,
}

#[derive(Debug, Clone)]
struct Pricing {
    reward_balance: Asset,
    recent_claims: u128,
    base: Asset,
    quote: Asset,
}

/// A chosen account that broadcasts, with its app.
struct Member {
    account: Account,
    app: App,
    chain: Chain,
}

/// What a card knows about the post for each account.
struct OnPost<'a> {
    votes: &'a [ActiveVote],
    seconds_left: Option<i64>,
    not_votable: Option<&'a str>,
    chain: Chain,
}

/// The curator's desk: post cards, standing, authority and rewards, read from the chain.
pub struct Desk {
    shared: Shared,
    /// The read-only API node clients, Hive's then Steem's.
    nodes: [ChainClient; 2],
    /// The economy last read, per chain (Hive's, Steem's); the lock makes one read at a time.
    economy: [AsyncMutex<Option<Economy>>; 2],
}

impl Desk {
    /// The desk over `shared`, asking `nodes` (Hive's, then Steem's).
    pub fn new(shared: Shared, nodes: [ChainClient; 2]) -> Self {
        Self {
            shared,
            nodes,
            economy: [AsyncMutex::new(None), AsyncMutex::new(None)],
        }
    }

    /// The card of the post or comment `link` points at, with the standing of each account of
    /// `account_ids` that broadcasts (see the module doc for the node calls). The post is read
    /// on the chain of the first such account (Hive without one); accounts of the other chain
    /// are listed as unable to vote on it.
    pub async fn post_card(&self, link: &str, account_ids: &[AccountId]) -> Result<PostCard> {
        let link =
            links::parse_link(link).map_err(|err| Error::invalid(field::LINK, err.to_string()))?;
        let members = self.members(account_ids)?;
        let chain = members.first().map_or(Chain::Hive, |member| member.chain);
        let client = self.client(chain);
        let target = &link.target;
        let names = names_on(&members, chain);
        let (content, votes, accounts, economy) = tokio::join!(
            client.get_content(&target.author, &target.permlink),
            client.get_active_votes(&target.author, &target.permlink),
            client.get_accounts(&names),
            self.economy(chain),
        );
        let content = content?.ok_or_else(|| {
            Error::invalid(
                field::LINK,
                format!(
                    "{} has no post or comment {target}: check the link (a post still being \
                     published takes a few seconds to show).",
                    chain_name(chain)
                ),
            )
        })?;
        let (votes, accounts, economy) = (votes?, by_name(accounts?), economy?);
        let now = self.shared.clock.now();
        let post = post_view(chain, target, &content, now);
        let on_post = OnPost {
            votes: &votes,
            seconds_left: post.cashout_time.map(|at| at - now),
            not_votable: post.not_votable_reason.as_deref(),
            chain,
        };
        let accounts = members
            .iter()
            .map(|member| {
                let on_chain = accounts.get(member.account.username.as_str());
                standing(member, on_chain, Some(&economy), now, Some(&on_post))
            })
            .collect();
        Ok(PostCard { post, accounts })
    }

    /// The standing of each account of `account_ids` that broadcasts (mana, the value of a
    /// full vote, whether it can vote), without a post: for the picker before a link is
    /// pasted.
    pub async fn account_standing(
        &self,
        account_ids: &[AccountId],
    ) -> Result<Vec<AccountStanding>> {
        let members = self.members(account_ids)?;
        let now = self.shared.clock.now();
        let mut read: [Option<(HashMap<String, ChainAccount>, Economy)>; 2] = [None, None];
        for chain in chains_of(&members) {
            let client = self.client(chain);
            let names = names_on(&members, chain);
            let (accounts, economy) =
                tokio::join!(client.get_accounts(&names), self.economy(chain));
            read[chain_index(chain)] = Some((by_name(accounts?), economy?));
        }
        Ok(members
            .iter()
            .map(|member| {
                let read = read[chain_index(member.chain)].as_ref();
                let on_chain =
                    read.and_then(|(accounts, _)| accounts.get(member.account.username.as_str()));
                standing(
                    member,
                    on_chain,
                    read.map(|(_, economy)| economy),
                    now,
                    None,
                )
            })
            .collect())
    }

    /// Account `id`'s posting authority: whether its app may sign for it, whether the app's
    /// account granted the provider's broadcaster, and what to do about what is missing.
    pub async fn authority(&self, id: AccountId) -> Result<AuthorityView> {
        let account = self.shared.registry.account(id)?;
        let app = self.shared.registry.app(account.app_id)?;
        let Some(chain) = app
            .provider
            .chain()
            .filter(|_| app.provider.protocol().broadcasts())
        else {
            return Err(Error::invalid(
                field::ACCOUNT_ID,
                format!(
                    "@{} signs in to {}, which keeps no authority on a chain: there is no posting \
                     authority to show.",
                    account.username,
                    app.provider.preset().label()
                ),
            ));
        };
        let mut names = vec![account.username.clone()];
        if app.client_id != account.username {
            names.push(app.client_id.clone());
        }
        let found = by_name(self.client(chain).get_accounts(&names).await?);
        let user = found.get(account.username.as_str()).ok_or_else(|| {
            Error::invalid(
                field::ACCOUNT_ID,
                format!(
                    "{} has no account @{}: check the name, or the API nodes in use.",
                    chain_name(chain),
                    account.username
                ),
            )
        })?;
        let app_account = found.get(app.client_id.as_str());
        let broadcaster = broadcaster_of(&app.provider).unwrap_or_default().to_owned();
        let app_has_authority = user.posting.lets_sign_alone(&app.client_id);
        let broadcaster_granted =
            app_account.is_some_and(|found| found.posting.lets_sign_alone(&broadcaster));
        let mut fixes = Vec::new();
        if !app_has_authority {
            fixes.push(app_fix(&account.username, &app, user));
        }
        if !broadcaster_granted {
            fixes.push(broadcaster_fix(&app, chain, app_account, &broadcaster));
        }
        Ok(AuthorityView {
            account_id: account.id,
            username: account.username.clone(),
            app: app.client_id.clone(),
            chain,
            posting_threshold: user.posting.weight_threshold,
            account_auths: user.posting.account_auths.clone(),
            key_auths_count: user.posting.key_auths.len(),
            app_has_authority,
            broadcaster,
            broadcaster_granted,
            fix: (!fixes.is_empty()).then(|| fixes.join(" ")),
            revoke_page: app
                .provider
                .authority_removal_page(&app.client_id)
                .map(String::from),
        })
    }

    /// The unclaimed rewards of each account of `account_ids` that broadcasts, as the chain
    /// writes the amounts (an account the chain does not know has nothing to claim).
    pub async fn pending_rewards(&self, account_ids: &[AccountId]) -> Result<Vec<PendingRewards>> {
        let members = self.members(account_ids)?;
        let mut read: [HashMap<String, ChainAccount>; 2] = [HashMap::new(), HashMap::new()];
        for chain in chains_of(&members) {
            let names = names_on(&members, chain);
            read[chain_index(chain)] = by_name(self.client(chain).get_accounts(&names).await?);
        }
        Ok(members
            .iter()
            .map(|member| {
                let on_chain =
                    read[chain_index(member.chain)].get(member.account.username.as_str());
                rewards_of(member, on_chain)
            })
            .collect())
    }

    /// The chosen accounts that broadcast, each once, in the order asked.
    fn members(&self, ids: &[AccountId]) -> Result<Vec<Member>> {
        let mut seen = HashSet::new();
        let mut members = Vec::new();
        for &id in ids {
            if !seen.insert(id) {
                continue;
            }
            let account = self.shared.registry.account(id)?;
            let app = self.shared.registry.app(account.app_id)?;
            if !app.provider.protocol().broadcasts() {
                continue;
            }
            let Some(chain) = app.provider.chain() else {
                continue;
            };
            members.push(Member {
                account,
                app,
                chain,
            });
        }
        Ok(members)
    }

    fn client(&self, chain: Chain) -> &ChainClient {
        &self.nodes[chain_index(chain)]
    }

    /// The reward pool, the price and the reserve rate of `chain`, read at most once a
    /// minute (the lock makes callers at the same moment share one read).
    async fn economy(&self, chain: Chain) -> Result<Economy, NodeError> {
        let mut cached = self.economy[chain_index(chain)].lock().await;
        let now = self.shared.clock.now();
        if let Some(economy) = cached
            .as_ref()
            .filter(|economy| (0..ECONOMY_SECONDS).contains(&(now - economy.read_at)))
        {
            return Ok(economy.clone());
        }
        let client = self.client(chain);
        let (fund, price, globals) = tokio::try_join!(
            client.get_reward_fund(POST_FUND),
            client.get_current_median_history_price(),
            client.get_dynamic_global_properties(),
        )?;
        let pricing = (|| {
            Some(Pricing {
                reward_balance: Asset::parse(&fund.reward_balance)?,
                recent_claims: fund.recent_claims.parse().ok()?,
                base: Asset::parse(&price.base)?,
                quote: Asset::parse(&price.quote)?,
            })
        })();
        if pricing.is_none() {
            tracing::warn!(
                ?chain,
                "the reward fund or the median price could not be read; vote values are left out"
            );
        }
        let economy = Economy {
            read_at: now,
            pricing,
            reserve_rate: globals
                .vote_power_reserve_rate
                .filter(|rate| *rate > 0)
                .unwrap_or(value::DEFAULT_VOTE_POWER_RESERVE_RATE),
        };
        *cached = Some(economy.clone());
        Ok(economy)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading what the chain said

fn chain_index(chain: Chain) -> usize {
    match chain {
        Chain::Hive => 0,
        Chain::Steem => 1,
    }
}

fn chain_name(chain: Chain) -> &'static str {
    match chain {
        Chain::Hive => "Hive",
        Chain::Steem => "Steem",
    }
}

/// The chains of `members`, Hive's first, each once.
fn chains_of(members: &[Member]) -> Vec<Chain> {
    [Chain::Hive, Chain::Steem]
        .into_iter()
        .filter(|chain| members.iter().any(|member| member.chain == *chain))
        .collect()
}

/// The names of the members on `chain`, each once.
fn names_on(members: &[Member], chain: Chain) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for member in members.iter().filter(|member| member.chain == chain) {
        if !names.contains(&member.account.username) {
            names.push(member.account.username.clone());
        }
    }
    names
}

fn by_name(accounts: Vec<ChainAccount>) -> HashMap<String, ChainAccount> {
    accounts
        .into_iter()
        .map(|account| (account.name.clone(), account))
        .collect()
}

/// The card's view of `content`, read on `chain` at `now`.
fn post_view(chain: Chain, target: &PostRef, content: &Content, now: UnixSeconds) -> PostView {
    let created = value::parse_chain_time(&content.created).filter(|at| *at > 0);
    let cashout = value::parse_chain_time(&content.cashout_time);
    let is_comment = content.is_reply();
    let what = if is_comment { "comment" } else { "post" };
    let closed = match cashout {
        // The chain's "never" (1969-12-31T23:59:59) or the epoch: it paid out.
        Some(at) if at <= 0 => true,
        Some(at) => at <= now,
        None => created.is_some_and(|at| at + value::PAYOUT_WINDOW_SECONDS <= now),
    };
    let not_votable_reason = if !content.allow_votes {
        Some(format!(
            "The author turned votes off for this {what} (allow_votes is false)."
        ))
    } else if closed {
        Some(format!(
            "This {what} is past its 7-day payout window (it has paid out), so votes no longer \
             count."
        ))
    } else {
        None
    };
    let title = if content.title.is_empty() && is_comment && !content.root_title.is_empty() {
        format!("RE: {}", content.root_title)
    } else {
        content.title.clone()
    };
    let community = if content.category.is_empty() && !is_comment {
        content.parent_permlink.clone()
    } else {
        content.category.clone()
    };
    PostView {
        chain,
        author: target.author.clone(),
        permlink: target.permlink.clone(),
        title,
        community,
        created,
        age_seconds: created.map(|at| (now - at).max(0)),
        cashout_time: cashout.filter(|at| *at > 0),
        pending_payout: content.pending_payout_value.clone(),
        votable: not_votable_reason.is_none(),
        not_votable_reason,
        is_comment,
        parent: is_comment.then(|| PostRef {
            author: content.parent_author.clone(),
            permlink: content.parent_permlink.clone(),
        }),
        children: content.children.unwrap_or_default(),
        net_votes: content.net_votes.unwrap_or_default(),
        url: links::front_end_url(chain, target),
    }
}

/// How `member` stands, from its account on chain (if found), the economy, and the post.
fn standing(
    member: &Member,
    on_chain: Option<&ChainAccount>,
    economy: Option<&Economy>,
    now: UnixSeconds,
    post: Option<&OnPost<'_>>,
) -> AccountStanding {
    let account = &member.account;
    let elsewhere = post.filter(|post| post.chain != member.chain);
    let on_chain = on_chain.filter(|_| elsewhere.is_none());
    let reason = health_reason(account, &member.app, now)
        .or_else(|| {
            elsewhere.map(|post| {
                format!(
                    "@{} is a {} account; this post was read on {}.",
                    account.username,
                    chain_name(member.chain),
                    chain_name(post.chain)
                )
            })
        })
        .or_else(|| {
            on_chain.is_none().then(|| {
                format!(
                    "{} has no account @{}.",
                    chain_name(member.chain),
                    account.username
                )
            })
        })
        .or_else(|| post.and_then(|post| post.not_votable).map(str::to_owned));
    let mana = on_chain.and_then(|found| mana_of(found, now));
    let full_vote_value = match (mana, economy) {
        (Some((mana, _)), Some(economy)) => economy.pricing.as_ref().and_then(|pricing| {
            let seconds_left = post.and_then(|post| post.seconds_left);
            let rshares =
                value::vote_rshares(mana, value::FULL_WEIGHT, economy.reserve_rate, seconds_left);
            value::vote_value(
                rshares,
                &pricing.reward_balance,
                pricing.recent_claims,
                &pricing.base,
                &pricing.quote,
            )
            .map(|value| value.to_string())
        }),
        _ => None,
    };
    let already_voted = post
        .filter(|_| elsewhere.is_none())
        .and_then(|post| {
            post.votes
                .iter()
                .find(|vote| vote.voter == account.username)
        })
        .filter(|vote| vote.percent != 0)
        .map(|vote| VoteSeen {
            percent: vote.percent,
            text: percent_text(vote.percent),
        });
    AccountStanding {
        account_id: account.id,
        username: account.username.clone(),
        chain: member.chain,
        health: account.health,
        can_vote: reason.is_none(),
        reason,
        mana_percent: mana.map(|(_, points)| points as f64 / 100.0),
        full_vote_value,
        already_voted,
    }
}

/// The account's voting mana at `now` and its basis points, from the chain's manabar and
/// vesting shares (`None` when they cannot be read).
fn mana_of(account: &ChainAccount, now: UnixSeconds) -> Option<(i128, i64)> {
    let max = match account.post_voting_power.as_deref() {
        Some(power) => value::voting_vests(power)?,
        None => value::effective_vests(
            &account.vesting_shares,
            &account.delegated_vesting_shares,
            &account.received_vesting_shares,
        )?,
    };
    let manabar = &account.voting_manabar;
    let mana = value::current_mana(
        manabar.current_mana.into(),
        manabar.last_update_time,
        max,
        now,
    );
    Some((mana, value::mana_basis_points(mana, max)))
}

fn percent_text(basis_points: i64) -> String {
    match i32::try_from(basis_points) {
        Ok(points) => format_percent(points),
        Err(_) => format!("{basis_points} basis points"),
    }
}

/// Why the account cannot vote because of its tokens, in words; `None` when it can.
fn health_reason(account: &Account, app: &App, now: UnixSeconds) -> Option<String> {
    let who = format!("@{}", account.username);
    let provider = app.provider.host();
    let detail = account
        .health_detail
        .as_deref()
        .map(|detail| format!(" ({})", detail.trim_end_matches('.')))
        .unwrap_or_default();
    match account.health {
        Health::NeedsSignIn => Some(format!(
            "{who} needs to sign in again{detail}: use Sign in on its row, then vote."
        )),
        Health::ProviderUnreachable => Some(format!(
            "{provider} could not be reached for {who}{detail}; Authdeck checks again by itself, \
             or use Refresh now on its row."
        )),
        Health::ProviderError => Some(format!(
            "{provider} answered {who}'s last refresh with an error{detail}; use Refresh now on \
             its row, or sign in again."
        )),
        Health::Fresh | Health::Refreshing
            if account.flow == Flow::Implicit && tokens::expired(account.expires_at, now) =>
        {
            Some(format!(
                "{who}'s sign-in ran out (an implicit sign-in lasts 7 days and cannot be \
                 refreshed): sign in again, then vote."
            ))
        }
        Health::Fresh | Health::Refreshing => None,
    }
}

/// The account the provider signs broadcasts with, the one an app's account must give
/// posting authority: `hivesigner` for Hivesigner (and the servers speaking its protocol; a
/// self-hosted one may be set up with another account), `steemlogin` for SteemLogin. `None`
/// for the kinds that sign nothing on chain.
pub fn broadcaster_of(provider: &Provider) -> Option<&'static str> {
    match provider.protocol() {
        Protocol::Hivesigner => Some("hivesigner"),
        Protocol::SteemconnectV2 => Some("steemlogin"),
        Protocol::OAuth2 | Protocol::TokenSite => None,
    }
}

/// What to do when the app cannot sign for `username`.
fn app_fix(username: &str, app: &App, user: &ChainAccount) -> String {
    let app_name = &app.client_id;
    match user.posting.weight_of(app_name) {
        Some(weight) => format!(
            "@{app_name} is in @{username}'s posting authority with weight {weight}, below its \
             threshold {}, so it cannot sign for @{username} alone: remove it on the revoke \
             page, then sign @{username} in again to grant it in full.",
            user.posting.weight_threshold
        ),
        None => format!(
            "@{username} has not given @{app_name} posting authority (or removed it), so {} \
             cannot vote or post for @{username} through @{app_name}: sign @{username} in \
             again, and approve the authority the consent page asks for.",
            app.provider.preset().label()
        ),
    }
}

/// What to do when the app's account has not granted the provider's broadcaster.
fn broadcaster_fix(
    app: &App,
    chain: Chain,
    app_account: Option<&ChainAccount>,
    broadcaster: &str,
) -> String {
    let app_name = &app.client_id;
    let Some(app_account) = app_account else {
        return format!(
            "{} has no account @{app_name}: the app's account must exist, and give \
             @{broadcaster} posting authority, before the provider can broadcast for its users.",
            chain_name(chain)
        );
    };
    let provider = app.provider.preset().label();
    let how = match app.provider.preset() {
        Preset::Hivesigner => format!(
            "sign in to Hivesigner's dashboard ({}/profile) as @{app_name} and save it as an \
             application, which adds @{broadcaster}, or add @{broadcaster} to @{app_name}'s \
             posting authority in a wallet (Hive Keychain, PeakD's keys and permissions) with \
             @{app_name}'s active key",
            app.provider.base_url()
        ),
        _ => format!(
            "add @{broadcaster} to @{app_name}'s posting authority with @{app_name}'s active key \
             (in a wallet, or the provider's app settings)"
        ),
    };
    format!(
        "The app account @{app_name} has not given @{broadcaster} posting authority, so {provider} \
         refuses every broadcast for its users (\"Broadcaster account doesn't have permission\"). \
         Whoever holds @{app_name}'s keys must {how}, with weight {} or more.",
        app_account.posting.weight_threshold.max(1)
    )
}

/// `member`'s unclaimed rewards, zero amounts of its chain's assets when nothing is known.
fn rewards_of(member: &Member, on_chain: Option<&ChainAccount>) -> PendingRewards {
    let (dollar, coin) = match member.chain {
        Chain::Hive => ("HBD", "HIVE"),
        Chain::Steem => ("SBD", "STEEM"),
    };
    let amount = |text: Option<&String>, decimals: u32, symbol: &str| {
        text.filter(|text| Asset::parse(text).is_some())
            .cloned()
            .unwrap_or_else(|| Asset::new(0, decimals, symbol).to_string())
    };
    let reward_hbd = amount(on_chain.map(|found| &found.reward_hbd_balance), 3, dollar);
    let reward_hive = amount(on_chain.map(|found| &found.reward_hive_balance), 3, coin);
    let reward_vests = amount(
        on_chain.map(|found| &found.reward_vesting_balance),
        value::VESTS_DECIMALS,
        "VESTS",
    );
    let has_rewards = [&reward_hbd, &reward_hive, &reward_vests]
        .iter()
        .any(|text| Asset::parse(text).is_some_and(|asset| asset.is_positive()));
    PendingRewards {
        account_id: member.account.id,
        username: member.account.username.clone(),
        chain: member.chain,
        reward_hbd,
        reward_hive,
        reward_vests,
        has_rewards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(created: &str, cashout: &str) -> Content {
        Content {
            author: "carol".into(),
            permlink: "p".into(),
            parent_permlink: "hive-123456".into(),
            title: "T".into(),
            created: created.into(),
            cashout_time: cashout.into(),
            ..Content::default()
        }
    }

    fn target() -> PostRef {
        PostRef {
            author: "carol".into(),
            permlink: "p".into(),
        }
    }

    #[test]
    fn without_a_cashout_time_the_seven_days_decide() {
        // Created 2026-01-01T00:00:00 (1767225600); the window closes 7 days later.
        let created = "2026-01-01T00:00:00";
        let open = post_view(
            Chain::Hive,
            &target(),
            &content(created, ""),
            1_767_225_600 + 60,
        );
        assert!(open.votable);
        assert_eq!(open.community, "hive-123456", "a root post's category");
        assert_eq!(open.cashout_time, None);
        let closed = post_view(
            Chain::Hive,
            &target(),
            &content(created, ""),
            1_767_225_600 + value::PAYOUT_WINDOW_SECONDS,
        );
        assert!(!closed.votable);
        // The chain's "never" means paid out, whatever the age.
        let paid = post_view(
            Chain::Steem,
            &target(),
            &content(created, "1969-12-31T23:59:59"),
            1_767_225_600 + 60,
        );
        assert!(!paid.votable);
        assert_eq!(paid.url, "https://steemit.com/@carol/p");
    }

    #[test]
    fn each_signer_kind_has_its_broadcaster() {
        let provider = |preset| Provider::new(preset, Some("https://signer.example.com")).unwrap();
        assert_eq!(
            broadcaster_of(&provider(Preset::Hivesigner)),
            Some("hivesigner")
        );
        assert_eq!(
            broadcaster_of(&provider(Preset::HivesignerCompatible)),
            Some("hivesigner")
        );
        assert_eq!(
            broadcaster_of(&provider(Preset::SteemLogin)),
            Some("steemlogin")
        );
    }
}
