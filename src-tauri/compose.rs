//! [`Drafts`]: composing what the forms send (a vote from several accounts, a post or a reply
//! from one, a follow, unfollow, mute or reblog from several, a deletion from one, a claim of
//! pending rewards from several, a retry of a logged failure).
//! Each is checked by the chain's rules and kept as a draft whose operations are exactly what
//! "Confirm" broadcasts (permlinks, timestamps and claimed amounts are fixed when the draft is
//! made). A deletion and a claim ask the chain first: whether the post can still be deleted,
//! and what is pending.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::Account;
use crate::accounts::AccountId;
use crate::activity::{ActivityId, Outcome, SendResult, Sender};
use crate::apps::App;
use crate::broadcast::{check_signer, Broadcaster, Outgoing};
use crate::chain::{self, ActiveVote, ChainAccount, ChainClient, Content};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::hive::account_name;
use crate::hive::describe;
use crate::hive::links::{self, PostRef};
use crate::hive::ops::{
    self, Asset, Beneficiary, ClaimRewardBalance, Comment, CommentOptions, CustomJson,
    DeleteComment, Operation, Symbol, Vote, What,
};
use crate::hive::validate::{self, FieldError};
use crate::provider::Chain;
use crate::shared::Shared;

/// Drafts older than this are gone; the person prepares again.
pub const DRAFT_LIFETIME_SECONDS: i64 = 15 * 60;

/// The most tags a post carries (its community, when it has one, counts as the first): what
/// the front ends show and keep.
pub const MAX_TAGS: usize = 10;

/// The `cashout_time` the chain reports for a post or comment that was paid out.
const PAID_OUT: &str = "1969-12-31T23:59:59";

/// A draft's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftId(pub u64);

/// A vote from several accounts, as the vote form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteRequest {
    /// Who votes.
    pub account_ids: Vec<AccountId>,
    /// A post link or `@author/permlink`.
    pub link: String,
    /// Basis points, -10000 (100 % down) to 10000 (100 % up).
    pub weight: i16,
}

/// A beneficiary as the post form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BeneficiaryRequest {
    /// The account paid.
    pub account: String,
    /// Its share in basis points.
    pub weight: u16,
}

/// A post or a reply, as the post form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostRequest {
    /// Who writes.
    pub account_id: AccountId,
    /// The post replied to (a link), or `None` for a new post.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The title (posts only).
    #[serde(default)]
    pub title: String,
    /// The markdown body.
    pub body: String,
    /// Tags, most important first.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The community (`hive-123456`), posts only.
    #[serde(default)]
    pub community: Option<String>,
    /// Who shares the author rewards.
    #[serde(default)]
    pub beneficiaries: Vec<BeneficiaryRequest>,
    /// The payout cap, such as `100.000 HBD`; `None` for no cap.
    #[serde(default)]
    pub max_accepted_payout: Option<String>,
    /// The share paid in HBD, basis points (default 10000: the usual 50/50 split).
    #[serde(default)]
    pub percent_hbd: Option<u16>,
}

/// What a follow operation sets, as the follow form sends it (`"blog"`, `"none"`, `"ignore"`,
/// the follow plugin's own words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FollowWhat {
    /// Follow (`"blog"`).
    #[serde(rename = "blog")]
    Follow,
    /// Unfollow, or unmute (`"none"`).
    #[serde(rename = "none")]
    Unfollow,
    /// Mute (`"ignore"`).
    #[serde(rename = "ignore")]
    Mute,
}

impl FollowWhat {
    fn what(self) -> What {
        match self {
            FollowWhat::Follow => What::Blog,
            FollowWhat::Unfollow => What::Nothing,
            FollowWhat::Mute => What::Ignore,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            FollowWhat::Follow => "follow",
            FollowWhat::Unfollow => "unfollow",
            FollowWhat::Mute => "mute",
        }
    }
}

/// A follow, unfollow or mute from several accounts, as the follow form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowRequest {
    /// Who follows, unfollows or mutes.
    pub account_ids: Vec<AccountId>,
    /// The account followed, unfollowed or muted (`bob` or `@bob`).
    pub target: String,
    /// What each account's relation to `target` becomes.
    pub what: FollowWhat,
}

/// A reblog from several accounts, as the reblog form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReblogRequest {
    /// Who reblogs.
    pub account_ids: Vec<AccountId>,
    /// The post: a link or `@author/permlink`.
    pub link: String,
}

/// A deletion of one's own post or comment, as the delete form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRequest {
    /// The author, who deletes.
    pub account_id: AccountId,
    /// The post or comment: a link or `@author/permlink`.
    pub link: String,
}

/// A claim of every pending reward of several accounts, as the claim form sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimRequest {
    /// Who claims (each its own rewards).
    pub account_ids: Vec<AccountId>,
}

/// An account's pending author and curation rewards, as the chain reports them: what a claim
/// moves into its balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// The liquid token (HIVE or STEEM).
    pub hive: Asset,
    /// The dollar token (HBD or SBD).
    pub hbd: Asset,
    /// Vesting shares.
    pub vests: Asset,
}

impl Pending {
    /// Whether there is anything to claim.
    pub fn is_empty(&self) -> bool {
        [self.hive, self.hbd, self.vests]
            .iter()
            .all(|asset| asset.amount <= 0)
    }
}

/// One account's part of a draft, for the confirm step.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftItem {
    /// The account.
    pub account_id: AccountId,
    /// Its name.
    pub username: String,
    /// Exactly what will be broadcast: the legacy JSON operations.
    pub operations: Vec<Value>,
    /// What the person should know before confirming (an earlier attempt of exactly these
    /// operations may have been sent).
    pub warning: Option<String>,
    /// One readable line per operation, in order (see [`describe::describe`]).
    pub lines: Vec<String>,
}

/// A prepared draft, or what must be fixed first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftView {
    /// The draft to confirm (`None` when there are problems).
    pub draft_id: Option<DraftId>,
    /// One line per account: what will be sent.
    pub items: Vec<DraftItem>,
    /// What is wrong, one message per field.
    pub problems: Vec<FieldError>,
    /// The post or reply's permlink, for the form to show.
    pub permlink: Option<String>,
    /// Where the post or reply will be read once published (a front end's page).
    pub post_url: Option<String>,
}

struct Draft {
    created_at: UnixSeconds,
    items: Vec<(AccountId, Outgoing)>,
}

/// Drafts: building what the forms send, checked by the chain's rules, and keeping it until
/// "Confirm" hands it to the [`Broadcaster`], once.
pub struct Drafts {
    shared: Shared,
    broadcaster: Arc<Broadcaster>,
    waiting: Mutex<HashMap<DraftId, Draft>>,
    last_id: Mutex<u64>,
    /// The read-only API node clients, Hive's then Steem's, made on first use.
    nodes: OnceLock<[ChainClient; 2]>,
}

impl Drafts {
    /// The draft service over `shared`, sending through `broadcaster`.
    pub fn new(shared: Shared, broadcaster: Arc<Broadcaster>) -> Self {
        Self {
            shared,
            broadcaster,
            waiting: Mutex::default(),
            last_id: Mutex::default(),
            nodes: OnceLock::new(),
        }
    }

    /// The read-only API node client of `chain`, over the configured nodes.
    fn chain_client(&self, chain: Chain) -> Result<&ChainClient> {
        if self.nodes.get().is_none() {
            let nodes = &self.shared.settings.nodes;
            let client = |chain| ChainClient::new(chain, nodes, chain::DEFAULT_TIMEOUT);
            // Another caller may have made them meanwhile: either pair will do.
            let _ = self
                .nodes
                .set([client(Chain::Hive)?, client(Chain::Steem)?]);
        }
        let nodes = self
            .nodes
            .get()
            .ok_or_else(|| Error::Internal("the API node clients were not made".into()))?;
        Ok(match chain {
            Chain::Hive => &nodes[0],
            Chain::Steem => &nodes[1],
        })
    }

    fn keep(&self, draft: Draft) -> DraftId {
        let mut last = self.last_id.lock().unwrap_or_else(|p| p.into_inner());
        *last += 1;
        let id = DraftId(*last);
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.retain(|_, kept| draft.created_at - kept.created_at < DRAFT_LIFETIME_SECONDS);
        waiting.insert(id, draft);
        id
    }

    fn take(&self, id: DraftId, now: UnixSeconds) -> Option<Draft> {
        let draft = self
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id)?;
        (now - draft.created_at < DRAFT_LIFETIME_SECONDS).then_some(draft)
    }
}

fn problem(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn outgoing(operations: &[Operation], chain: Chain) -> Outgoing {
    Outgoing {
        kind: operations
            .iter()
            .map(Operation::name)
            .collect::<Vec<_>>()
            .join("+"),
        summary: operations
            .first()
            .map(Operation::summary)
            .unwrap_or_default(),
        operations: operations.iter().map(|op| op.to_json(chain)).collect(),
    }
}

impl Drafts {
    /// Checks a vote from each account and keeps it as a draft.
    pub fn prepare_vote(&self, request: &VoteRequest) -> Result<DraftView> {
        let mut problems = Vec::new();
        if request.account_ids.is_empty() {
            problems.push(problem(
                field::ACCOUNT_IDS,
                "Choose at least one account to vote with.",
            ));
        }
        let post = links::parse_post_link(&request.link)
            .map_err(|err| problems.push(problem(field::LINK, err.to_string())))
            .ok();
        let mut items = Vec::new();
        for id in &unique(&request.account_ids) {
            let (username, chain) = self.signer(*id, field::ACCOUNT_IDS)?;
            let Some(post) = &post else { continue };
            let vote = Operation::from(Vote::new(
                &username,
                &post.author,
                &post.permlink,
                request.weight,
            ));
            items.push(self.checked(*id, username, vec![vote], chain, &mut problems));
        }
        Ok(self.draft(items, problems, None))
    }

    /// Checks a post or a reply and keeps it as a draft.
    pub fn prepare_post(&self, request: &PostRequest) -> Result<DraftView> {
        let (username, chain) = self.signer(request.account_id, field::ACCOUNT_ID)?;
        let now = self.shared.clock.now();
        let mut problems = Vec::new();
        let comment = match request
            .reply_to
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(link) => match links::parse_post_link(link) {
                Ok(parent) => Some(reply(&username, &parent, &request.body, now)),
                Err(err) => {
                    problems.push(problem(field::REPLY_TO, err.to_string()));
                    None
                }
            },
            None => Some(root_post(&username, request, now, &mut problems)),
        };
        let Some(comment) = comment else {
            return Ok(self.draft(Vec::new(), problems, None));
        };
        let permlink = comment.permlink.clone();
        let mut operations = vec![Operation::from(comment)];
        if let Some(options) = payout_options(&username, &permlink, request, chain, &mut problems) {
            operations.push(options.into());
        }
        let published = PostRef {
            author: username.clone(),
            permlink,
        };
        let item = self.checked(
            request.account_id,
            username,
            operations,
            chain,
            &mut problems,
        );
        Ok(self.draft(vec![item], problems, Some((chain, published))))
    }

    /// Checks a follow, unfollow or mute of one account from each of several and keeps it as
    /// a draft: one `custom_json` of the follow plugin per account.
    pub fn prepare_follow(&self, request: &FollowRequest) -> Result<DraftView> {
        let verb = request.what.verb();
        let mut problems = Vec::new();
        if request.account_ids.is_empty() {
            problems.push(problem(
                field::ACCOUNT_IDS,
                format!("Choose at least one account to {verb} with."),
            ));
        }
        let target = account_input(&request.target);
        let target = match account_name::check(&target) {
            Ok(()) => Some(target),
            Err(_) if target.is_empty() => {
                problems.push(problem(
                    field::TARGET,
                    format!("Name the account to {verb}, such as @bob."),
                ));
                None
            }
            Err(reason) => {
                problems.push(problem(
                    field::TARGET,
                    format!("This is not an account name: {reason}."),
                ));
                None
            }
        };
        let mut items = Vec::new();
        for id in &unique(&request.account_ids) {
            let (username, chain) = self.signer(*id, field::ACCOUNT_IDS)?;
            let Some(target) = &target else { continue };
            if *target == username {
                problems.push(problem(
                    field::TARGET,
                    format!(
                        "@{username} cannot {verb} itself: choose another account to {verb}, or \
                         leave @{username} out."
                    ),
                ));
                continue;
            }
            let follow = CustomJson::follow(&username, target, request.what.what());
            items.push(self.checked(*id, username, vec![follow.into()], chain, &mut problems));
        }
        Ok(self.draft(items, problems, None))
    }

    /// Checks a reblog of a post from each of several accounts and keeps it as a draft: one
    /// `custom_json` of the follow plugin per account. A comment, and one's own post, cannot
    /// be reblogged.
    pub fn prepare_reblog(&self, request: &ReblogRequest) -> Result<DraftView> {
        let mut problems = Vec::new();
        if request.account_ids.is_empty() {
            problems.push(problem(
                field::ACCOUNT_IDS,
                "Choose at least one account to reblog with.",
            ));
        }
        let post = match links::parse_link(&request.link) {
            Ok(link) => match link.on_post {
                None => Some(link.target),
                Some(post) => {
                    problems.push(problem(
                        field::LINK,
                        format!(
                            "This link names a comment by @{} on {post}; only posts are \
                             reblogged: paste the link of a post.",
                            link.target.author
                        ),
                    ));
                    None
                }
            },
            Err(err) => {
                problems.push(problem(field::LINK, err.to_string()));
                None
            }
        };
        let mut items = Vec::new();
        for id in &unique(&request.account_ids) {
            let (username, chain) = self.signer(*id, field::ACCOUNT_IDS)?;
            let Some(post) = &post else { continue };
            if post.author == username {
                problems.push(problem(
                    field::ACCOUNT_IDS,
                    format!(
                        "@{username} wrote {post} and cannot reblog its own post: leave \
                         @{username} out."
                    ),
                ));
                continue;
            }
            let reblog = CustomJson::reblog(&username, &post.author, &post.permlink);
            items.push(self.checked(*id, username, vec![reblog.into()], chain, &mut problems));
        }
        Ok(self.draft(items, problems, None))
    }

    /// Checks a deletion of the account's own post or comment with the chain (it deletes only
    /// what has no replies and no net positive votes, before its payout) and keeps it as a
    /// draft. `Err` when the chain cannot be read.
    pub async fn prepare_delete(&self, request: &DeleteRequest) -> Result<DraftView> {
        let (username, chain) = self.signer(request.account_id, field::ACCOUNT_ID)?;
        let refused =
            |message: String| Ok(self.draft(Vec::new(), vec![problem(field::LINK, message)], None));
        let target = match links::parse_post_link(&request.link) {
            Ok(target) => target,
            Err(err) => return refused(err.to_string()),
        };
        if target.author != username {
            return refused(format!(
                "@{username} can delete only its own posts and comments, and {target} is by \
                 @{}: choose @{}'s account, or another link.",
                target.author, target.author
            ));
        }
        let node = self.chain_client(chain)?;
        let Some(content) = node.get_content(&target.author, &target.permlink).await? else {
            return refused(format!(
                "The chain has no {target}: check the link (it may be deleted already)."
            ));
        };
        let votes = node
            .get_active_votes(&target.author, &target.permlink)
            .await?;
        if let Some(reason) = deletion_refused(&target, &content, &votes) {
            return refused(reason);
        }
        let delete = DeleteComment {
            author: target.author,
            permlink: target.permlink,
        };
        let mut problems = Vec::new();
        let item = self.checked(
            request.account_id,
            username,
            vec![delete.into()],
            chain,
            &mut problems,
        );
        Ok(self.draft(vec![item], problems, None))
    }

    /// The pending rewards of the accounts `names` on `chain`, by name; an account the chain
    /// does not have is left out.
    async fn pending_rewards(
        &self,
        chain: Chain,
        names: &[String],
    ) -> Result<Vec<(String, Pending)>> {
        let accounts = self.chain_client(chain)?.get_accounts(names).await?;
        accounts
            .into_iter()
            .filter(|account| names.contains(&account.name))
            .map(|account| {
                let pending = pending_of(&account, chain)?;
                Ok((account.name, pending))
            })
            .collect()
    }

    /// Reads each account's pending rewards from the chain and keeps a claim of all of them as
    /// a draft: one `claim_reward_balance` per account. An account with nothing pending is
    /// refused. `Err` when the chain cannot be read.
    pub async fn prepare_claim(&self, request: &ClaimRequest) -> Result<DraftView> {
        let mut problems = Vec::new();
        if request.account_ids.is_empty() {
            problems.push(problem(
                field::ACCOUNT_IDS,
                "Choose at least one account to claim its rewards.",
            ));
        }
        let mut signers = Vec::new();
        for id in &unique(&request.account_ids) {
            let (username, chain) = self.signer(*id, field::ACCOUNT_IDS)?;
            signers.push((*id, username, chain));
        }
        let mut pending = Vec::new();
        for chain in [Chain::Hive, Chain::Steem] {
            let names: Vec<String> = signers
                .iter()
                .filter(|(_, _, on)| *on == chain)
                .map(|(_, username, _)| username.clone())
                .collect();
            if names.is_empty() {
                continue;
            }
            for (name, rewards) in self.pending_rewards(chain, &names).await? {
                pending.push((chain, name, rewards));
            }
        }
        let mut items = Vec::new();
        for (id, username, chain) in signers {
            let rewards = pending
                .iter()
                .find(|(on, name, _)| *on == chain && *name == username)
                .map(|(_, _, rewards)| rewards);
            let Some(rewards) = rewards.filter(|rewards| !rewards.is_empty()) else {
                let message = match rewards {
                    None => format!("The chain has no account @{username}."),
                    Some(_) => format!(
                        "@{username} has no pending rewards to claim: leave it out, or claim \
                         once it has some."
                    ),
                };
                problems.push(problem(field::ACCOUNT_IDS, message));
                continue;
            };
            let claim = ClaimRewardBalance {
                account: username.clone(),
                reward_hive: rewards.hive,
                reward_hbd: rewards.hbd,
                reward_vests: rewards.vests,
            };
            items.push(self.checked(id, username, vec![claim.into()], chain, &mut problems));
        }
        Ok(self.draft(items, problems, None))
    }

    /// Broadcasts a draft exactly as prepared (once: a draft is used up by sending it).
    pub async fn send_draft(&self, id: DraftId) -> Result<Vec<SendResult>> {
        let draft = self.take(id, self.shared.clock.now()).ok_or_else(|| {
            Error::invalid(
                field::DRAFT_ID,
                "This draft was already sent or is older than 15 minutes; prepare it again.",
            )
        })?;
        Ok(self
            .broadcaster
            .send_batch_for(Some(id.0), draft.items)
            .await)
    }

    /// A logged failure (or an attempt whose answer was lost) as a new draft to review and
    /// confirm again, from the same account of the same app and provider. For a lost answer
    /// the chain is asked first: when it already has the operations, the entry is marked sent
    /// and nothing is drafted.
    pub async fn prepare_retry(&self, id: ActivityId) -> Result<DraftView> {
        let entry = self.shared.registry.activity_entry(id)?;
        if entry.kind == crate::activity::API_REQUEST_KIND {
            return Err(Error::invalid(
                field::ACTIVITY_ID,
                "This is an API console request, not a broadcast: re-run it from the Requests view.",
            ));
        }
        if entry.outcome.reached_chain() {
            return Err(Error::invalid(
                field::ACTIVITY_ID,
                "This was sent already; there is nothing to retry.",
            ));
        }
        if let Some(by) = entry.resolved_by {
            return Err(Error::invalid(
                field::ACTIVITY_ID,
                format!(
                    "This was sent since (activity entry {}); there is nothing to retry.",
                    by.0
                ),
            ));
        }
        let (account, app) = self.sender_account(&entry.sender)?;
        let operations: Vec<Value> = serde_json::from_str(&entry.operations)
            .map_err(|err| Error::Internal(format!("a logged entry is not JSON: {err}")))?;
        check_signer(&account.username, &operations)?;
        if matches!(entry.outcome, Outcome::Unknown { .. }) {
            if let Some(found) = self.broadcaster.settle(&entry, &app).await? {
                let Outcome::OnChain { evidence } = found.outcome else {
                    return Err(Error::Internal("a settled entry is not on chain".into()));
                };
                return Err(Error::AlreadyOnChain { evidence });
            }
        }
        let item = DraftItem {
            account_id: account.id,
            username: account.username,
            lines: operations.iter().map(describe::describe).collect(),
            operations: operations.clone(),
            warning: None,
        };
        let outgoing = Outgoing {
            kind: entry.kind,
            summary: entry.summary,
            operations,
        };
        Ok(self.draft(vec![(item, outgoing)], Vec::new(), None))
    }

    /// The account that sent a logged entry, if it is still the same account: the same id,
    /// name, app and provider (ids are never reused, and the names are checked all the same).
    fn sender_account(&self, sender: &Sender) -> Result<(Account, App)> {
        let gone = || {
            Error::invalid(
                field::ACTIVITY_ID,
                format!(
                    "@{} (app @{}) is no longer in Authdeck; sign it in again, then send anew.",
                    sender.username, sender.app_client_id
                ),
            )
        };
        let account = sender
            .account_id
            .and_then(|id| self.shared.registry.account(id).ok())
            .ok_or_else(gone)?;
        let app = self.shared.registry.app(account.app_id)?;
        let same = account.username == sender.username
            && app.client_id == sender.app_client_id
            && (sender.provider.is_empty() || app.provider.base_url() == sender.provider);
        if !same {
            return Err(gone());
        }
        Ok((account, app))
    }

    /// The account's name and chain; an account of a kind that signs no blockchain
    /// operations (an OAuth 2.0 server, a token site) is refused at `key`.
    fn signer(&self, id: AccountId, key: &'static str) -> Result<(String, Chain)> {
        let account = self.shared.registry.account(id)?;
        let app = self.shared.registry.app(account.app_id)?;
        let chain = app.provider.chain().ok_or_else(|| {
            Error::invalid(
                key,
                format!(
                    "{} at {} signs no blockchain operations; choose a Hivesigner or SteemLogin account.",
                    account.username,
                    app.provider.preset().label()
                ),
            )
        })?;
        Ok((account.username, chain))
    }

    fn checked(
        &self,
        account_id: AccountId,
        username: String,
        operations: Vec<Operation>,
        chain: Chain,
        problems: &mut Vec<FieldError>,
    ) -> (DraftItem, Outgoing) {
        if let Err(found) = validate::check_transaction(&operations, chain) {
            for found in found {
                if !problems.contains(&found) {
                    problems.push(found);
                }
            }
        }
        let outgoing = outgoing(&operations, chain);
        let item = DraftItem {
            account_id,
            username,
            operations: outgoing.operations.clone(),
            lines: outgoing.operations.iter().map(describe::describe).collect(),
            warning: None,
        };
        (item, outgoing)
    }

    /// The warning for a draft item whose exact operations an earlier attempt, with its answer
    /// lost, may already have sent.
    fn earlier_attempt(&self, id: AccountId, outgoing: &Outgoing) -> Option<String> {
        let registry = &self.shared.registry;
        let earlier = registry
            .open_unknown(&registry.sender(id).ok()?, &outgoing.operations_text())
            .inspect_err(|err| tracing::warn!("could not look for earlier attempts: {err}"))
            .ok()??;
        Some(format!(
            "an earlier attempt of exactly this (activity entry {}) may have been sent; \
             Authdeck asks the chain first and sends nothing if it is there",
            earlier.id.0
        ))
    }

    fn draft(
        &self,
        mut items: Vec<(DraftItem, Outgoing)>,
        problems: Vec<FieldError>,
        published: Option<(Chain, PostRef)>,
    ) -> DraftView {
        for (item, outgoing) in &mut items {
            item.warning = self.earlier_attempt(item.account_id, outgoing);
        }
        let draft_id = problems.is_empty().then(|| {
            self.keep(Draft {
                created_at: self.shared.clock.now(),
                items: items
                    .iter()
                    .map(|(item, outgoing)| (item.account_id, outgoing.clone()))
                    .collect(),
            })
        });
        DraftView {
            draft_id,
            items: items.into_iter().map(|(item, _)| item).collect(),
            problems,
            post_url: published
                .as_ref()
                .map(|(chain, post)| links::front_end_url(*chain, post)),
            permlink: published.map(|(_, post)| post.permlink),
        }
    }
}

fn reply(author: &str, parent: &PostRef, body: &str, now: UnixSeconds) -> Comment {
    Comment {
        parent_author: parent.author.clone(),
        parent_permlink: parent.permlink.clone(),
        author: author.to_owned(),
        permlink: links::reply_permlink(&parent.author, &parent.permlink, now),
        title: String::new(),
        body: body.to_owned(),
        json_metadata: ops::json_metadata_for_reply(ops::APP),
    }
}

fn root_post(
    author: &str,
    request: &PostRequest,
    now: UnixSeconds,
    problems: &mut Vec<FieldError>,
) -> Comment {
    let community = request
        .community
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let mut tags: Vec<String> = community.map(str::to_owned).into_iter().collect();
    let mut tag_problem = None;
    for tag in &request.tags {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if let Some(bad) = tag
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            tag_problem.get_or_insert(format!(
                "A tag holds only lowercase letters a-z, digits and '-' ('{tag}' holds '{bad}')."
            ));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        tag_problem.get_or_insert(format!(
            "A post has at most {MAX_TAGS} tags, its community included (this one has {}): \
             remove some.",
            tags.len()
        ));
    }
    if let Some(message) = tag_problem {
        problems.push(problem(field::TAGS, message));
    }
    if request.title.trim().is_empty() {
        problems.push(problem(field::TITLE, "A post needs a title."));
    }
    let category = tags.first().cloned().unwrap_or_default();
    if category.is_empty() {
        problems.push(problem(
            field::TAGS,
            "Give at least one tag (or a community): the first becomes the post's category.",
        ));
    }
    Comment {
        parent_author: String::new(),
        parent_permlink: category,
        author: author.to_owned(),
        permlink: links::permlink_from_title(&request.title, now),
        title: request.title.trim().to_owned(),
        body: request.body.clone(),
        json_metadata: ops::json_metadata_for_post(&tags, ops::APP),
    }
}

/// `ids` without repeats, in their order: an account ticked twice sends once.
fn unique(ids: &[AccountId]) -> Vec<AccountId> {
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if !seen.contains(id) {
            seen.push(*id);
        }
    }
    seen
}

/// An account name as a person types it: without spaces around it or a leading `@`, in
/// lowercase.
fn account_input(text: &str) -> String {
    text.trim().trim_start_matches('@').trim().to_lowercase()
}

/// What `account` has pending, read from the chain's strings (an empty one is nothing); `Err`
/// when a node sent an amount Authdeck cannot read, or in another token.
fn pending_of(account: &ChainAccount, chain: Chain) -> Result<Pending> {
    let read = |text: &str, symbol: Symbol| -> Result<Asset> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Asset::zero(symbol));
        }
        match Asset::parse(text, chain) {
            Ok(asset) if asset.symbol == symbol => Ok(asset),
            _ => Err(Error::ChainUnreadable {
                nodes: format!(
                    "the API node sent @{}'s pending rewards as '{}', which is not an amount \
                     of {}",
                    account.name,
                    text.chars().take(40).collect::<String>(),
                    symbol.ticker(chain)
                ),
            }),
        }
    };
    Ok(Pending {
        hive: read(&account.reward_hive_balance, Symbol::Hive)?,
        hbd: read(&account.reward_hbd_balance, Symbol::Hbd)?,
        vests: read(&account.reward_vesting_balance, Symbol::Vests)?,
    })
}

/// Why the chain would refuse to delete `target` (read as `content`, with its `votes`): it has
/// replies, it was paid out, or its votes add up to more than nothing. `None` when it may go.
fn deletion_refused(target: &PostRef, content: &Content, votes: &[ActiveVote]) -> Option<String> {
    let what = if content.is_reply() {
        "a comment"
    } else {
        "a post"
    };
    if let Some(replies) = content.children.filter(|count| *count > 0) {
        let replies = if replies == 1 {
            "1 reply".to_owned()
        } else {
            format!("{replies} replies")
        };
        return Some(format!(
            "{target} has {replies}, and the chain deletes {what} only while it has none: edit \
             it instead."
        ));
    }
    if content.cashout_time == PAID_OUT {
        return Some(format!(
            "{target} was paid out, and the chain keeps {what} once it is paid out: edit it \
             instead."
        ));
    }
    if net_positive(votes) {
        return Some(format!(
            "{target} has net positive votes, and the chain deletes {what} only when its votes \
             add up to nothing or less: edit it instead, or delete it once the votes are removed."
        ));
    }
    None
}

/// Whether `votes` add up to more than nothing, as the chain weighs them: by their reward
/// shares, or (when a node leaves those out) up against down.
fn net_positive(votes: &[ActiveVote]) -> bool {
    let shares = votes
        .iter()
        .try_fold(0_i64, |sum, vote| Some(sum.saturating_add(vote.rshares?)));
    match shares {
        Some(net) => net > 0,
        None => votes.iter().map(|vote| vote.percent.signum()).sum::<i64>() > 0,
    }
}

/// `comment_options` when the post asks for anything but the defaults.
fn payout_options(
    author: &str,
    permlink: &str,
    request: &PostRequest,
    chain: Chain,
    problems: &mut Vec<FieldError>,
) -> Option<CommentOptions> {
    let cap = request
        .max_accepted_payout
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let beneficiaries_given = !request.beneficiaries.is_empty();
    let default_percent = request.percent_hbd.is_none_or(|p| p == ops::FULL_PERCENT);
    if cap.is_none() && !beneficiaries_given && default_percent {
        return None;
    }
    let max_accepted_payout = match cap {
        None => Asset::new(1_000_000_000, Symbol::Hbd),
        Some(text) => Asset::parse(text, chain).unwrap_or_else(|message| {
            problems.push(problem(
                field::MAX_ACCEPTED_PAYOUT,
                format!("The maximum payout cannot be read: {message}."),
            ));
            Asset::zero(Symbol::Hbd)
        }),
    };
    let mut beneficiaries: Vec<Beneficiary> = request
        .beneficiaries
        .iter()
        .map(|b| Beneficiary {
            account: b.account.trim().trim_start_matches('@').to_owned(),
            weight: b.weight,
        })
        .collect();
    beneficiaries.sort_by(|a, b| a.account.cmp(&b.account));
    Some(CommentOptions {
        author: author.to_owned(),
        permlink: permlink.to_owned(),
        max_accepted_payout,
        percent_hbd: request.percent_hbd.unwrap_or(ops::FULL_PERCENT),
        allow_votes: true,
        allow_curation_rewards: true,
        beneficiaries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::NewAccount;
    use crate::apps::{AppInput, Flow};
    use crate::chain::{ChainClient, NodeList};
    use crate::clock::ManualClock;
    use crate::events::RecordedEvents;
    use crate::oauth::token::TokenClient;
    use crate::provider::Chain;
    use crate::registry::Registry;
    use crate::settings::Settings;
    use crate::tokens::Tokens;
    use crate::vault::{MemoryStore, Vault};
    use fake_hivesigner::node::{AccountState, FakeNode};
    use serde_json::json;

    const NOW: UnixSeconds = 1_767_225_600; // 2026-01-01T00:00:00Z

    /// Drafts over an in-memory registry with `users` signed in to one app (no provider is
    /// ever asked: drafting is local), and no API node.
    fn drafts_with(users: &[&str]) -> (Drafts, Vec<AccountId>) {
        drafts_over(users, NodeList::new(Vec::new(), Vec::new()))
    }

    /// [`drafts_with`], reading the chain from `node` (for both chains).
    fn drafts_on(users: &[&str], node: &FakeNode) -> (Drafts, Vec<AccountId>) {
        let url = url::Url::parse(&node.url()).unwrap();
        drafts_over(users, NodeList::new(vec![url.clone()], vec![url]))
    }

    fn drafts_over(users: &[&str], nodes: NodeList) -> (Drafts, Vec<AccountId>) {
        let registry = Registry::in_memory().unwrap();
        let app: AppInput = serde_json::from_value(serde_json::json!({
            "preset": "hivesigner", "clientId": "myapp", "scopes": ["posting", "offline"],
        }))
        .unwrap();
        let app_id = registry
            .insert_app(&app.validate().unwrap(), true, NOW)
            .unwrap();
        let ids = users
            .iter()
            .map(|user| {
                let account = NewAccount {
                    app_id,
                    username: user.to_string(),
                    scopes: vec!["vote".into()],
                    flow: Flow::Code,
                    issued_at: NOW,
                    expires_at: Some(NOW + 604_800),
                };
                registry.upsert_account(&account, NOW).unwrap()
            })
            .collect();
        let settings = Settings {
            nodes,
            ..Settings::default()
        };
        let shared = Shared {
            registry: Arc::new(registry),
            vault: Vault::new(Arc::new(MemoryStore::default())),
            clock: Arc::new(ManualClock::at(NOW)),
            events: Arc::new(RecordedEvents::default()),
            provider_calls: TokenClient::new(settings.http_timeout).unwrap(),
            settings,
        };
        let nodes = shared.settings.nodes.clone();
        let node = |chain| ChainClient::new(chain, &nodes, crate::chain::DEFAULT_TIMEOUT).unwrap();
        let tokens = Arc::new(Tokens::new(shared.clone()));
        let broadcaster = Broadcaster::new(
            shared.clone(),
            tokens,
            [node(Chain::Hive), node(Chain::Steem)],
        );
        (Drafts::new(shared, Arc::new(broadcaster)), ids)
    }

    fn fields(view: &DraftView) -> Vec<&str> {
        view.problems.iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_vote_draft_holds_one_exact_vote_per_account_and_says_it_in_words() {
        let (drafts, ids) = drafts_with(&["alice", "carol"]);
        let view = drafts
            .prepare_vote(&VoteRequest {
                account_ids: ids,
                link: "https://peakd.com/hive-123/@bob/bobs-post".into(),
                weight: 5_000,
            })
            .unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        assert_eq!(view.items.len(), 2);
        assert_eq!(
            Value::Array(view.items[1].operations.clone()).to_string(),
            r#"[["vote",{"voter":"carol","author":"bob","permlink":"bobs-post","weight":5000}]]"#
        );
        // And in words, for the review.
        assert_eq!(
            view.items[1].lines,
            ["@carol upvotes @bob/bobs-post at 50 %"]
        );
    }

    #[test]
    fn a_bad_vote_names_each_field_and_keeps_no_draft() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let view = drafts
            .prepare_vote(&VoteRequest {
                account_ids: ids,
                link: "https://example.com/whatever".into(),
                weight: 0,
            })
            .unwrap();
        assert_eq!(view.draft_id, None);
        assert!(fields(&view).contains(&"link"), "{:?}", view.problems);
        let empty = drafts
            .prepare_vote(&VoteRequest {
                account_ids: vec![],
                link: "@bob/bobs-post".into(),
                weight: 10_000,
            })
            .unwrap();
        assert_eq!(fields(&empty), [field::ACCOUNT_IDS]);
    }

    fn post(account_id: AccountId) -> PostRequest {
        PostRequest {
            account_id,
            reply_to: None,
            title: "My first post".into(),
            body: "Markdown body".into(),
            tags: vec!["rust".into()],
            community: Some("hive-123456".into()),
            beneficiaries: vec![],
            max_accepted_payout: None,
            percent_hbd: None,
        }
    }

    #[test]
    fn a_post_gets_its_category_metadata_and_options_only_when_asked() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let plain = drafts.prepare_post(&post(ids[0])).unwrap();
        assert!(plain.draft_id.is_some(), "{:?}", plain.problems);
        let ops = &plain.items[0].operations;
        assert_eq!(ops.len(), 1, "no comment_options without a reason");
        assert_eq!(ops[0][1]["parent_permlink"], "hive-123456");
        assert_eq!(
            ops[0][1]["json_metadata"],
            r#"{"tags":["hive-123456","rust"],"app":"authdeck/0.1","format":"markdown"}"#
        );
        assert!(plain.permlink.unwrap().starts_with("my-first-post-"));

        let shared = PostRequest {
            beneficiaries: vec![
                BeneficiaryRequest {
                    account: "carol".into(),
                    weight: 1_000,
                },
                BeneficiaryRequest {
                    account: "@bob".into(),
                    weight: 500,
                },
            ],
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&shared).unwrap();
        let options = &view.items[0].operations[1];
        assert_eq!(options[0], "comment_options");
        assert_eq!(
            options[1]["extensions"].to_string(),
            r#"[[0,{"beneficiaries":[{"account":"bob","weight":500},{"account":"carol","weight":1000}]}]]"#
        );
    }

    #[test]
    fn a_reply_follows_the_permlink_convention_and_has_no_title() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let request = PostRequest {
            reply_to: Some("@bob/bobs-post".into()),
            title: "ignored".into(),
            body: "Nice!".into(),
            tags: vec![],
            community: None,
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&request).unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        let comment = &view.items[0].operations[0][1];
        assert_eq!(comment["permlink"], "re-bob-bobs-post-20260101t000000000z");
        assert_eq!(comment["title"], "");
        assert_eq!(comment["parent_author"], "bob");
    }

    #[test]
    fn a_post_without_title_tags_or_body_names_each_field() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let request = PostRequest {
            title: " ".into(),
            body: "".into(),
            tags: vec![],
            community: None,
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&request).unwrap();
        let named = fields(&view);
        for field in ["title", "tags", "body"] {
            assert!(named.contains(&field), "{field} missing from {named:?}");
        }
        assert_eq!(view.draft_id, None);
    }

    /// The operations of a draft's items, one JSON text per account.
    fn operations_of(view: &DraftView) -> Vec<String> {
        view.items
            .iter()
            .map(|item| Value::Array(item.operations.clone()).to_string())
            .collect()
    }

    fn follow(account_ids: Vec<AccountId>, target: &str, what: FollowWhat) -> FollowRequest {
        FollowRequest {
            account_ids,
            target: target.into(),
            what,
        }
    }

    #[test]
    fn follow_unfollow_and_mute_are_one_custom_json_per_account_in_words() {
        let (drafts, ids) = drafts_with(&["alice", "carol"]);
        let view = drafts
            .prepare_follow(&follow(ids.clone(), " @Bob ", FollowWhat::Follow))
            .unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        assert_eq!(
            operations_of(&view),
            [
                r#"[["custom_json",{"required_auths":[],"required_posting_auths":["alice"],"id":"follow","json":"[\"follow\",{\"follower\":\"alice\",\"following\":\"bob\",\"what\":[\"blog\"]}]"}]]"#,
                r#"[["custom_json",{"required_auths":[],"required_posting_auths":["carol"],"id":"follow","json":"[\"follow\",{\"follower\":\"carol\",\"following\":\"bob\",\"what\":[\"blog\"]}]"}]]"#,
            ]
        );
        assert_eq!(view.items[1].lines, ["@carol follows @bob"]);
        assert_eq!(
            (view.permlink.as_ref(), view.post_url.as_ref()),
            (None, None)
        );

        let unfollow = drafts
            .prepare_follow(&follow(vec![ids[0]], "bob", FollowWhat::Unfollow))
            .unwrap();
        assert_eq!(unfollow.items[0].lines, ["@alice unfollows @bob"]);
        assert!(operations_of(&unfollow)[0].contains(r#"\"what\":[]"#));
        let mute = drafts
            .prepare_follow(&follow(vec![ids[0]], "bob", FollowWhat::Mute))
            .unwrap();
        assert_eq!(mute.items[0].lines, ["@alice mutes @bob"]);
        assert!(operations_of(&mute)[0].contains(r#"\"what\":[\"ignore\"]"#));
    }

    #[test]
    fn the_follow_form_sends_the_plugins_words() {
        let request: FollowRequest = serde_json::from_value(json!({
            "accountIds": [1], "target": "bob", "what": "none"
        }))
        .unwrap();
        assert_eq!(request.what, FollowWhat::Unfollow);
        for (word, what) in [("blog", FollowWhat::Follow), ("ignore", FollowWhat::Mute)] {
            let parsed: FollowWhat = serde_json::from_value(json!(word)).unwrap();
            assert_eq!(parsed, what);
        }
        assert!(serde_json::from_value::<FollowWhat>(json!("unfollow")).is_err());
    }

    #[test]
    fn a_follow_needs_accounts_and_another_account_name() {
        let (drafts, ids) = drafts_with(&["alice", "carol"]);
        let none = drafts
            .prepare_follow(&follow(vec![], "bob", FollowWhat::Follow))
            .unwrap();
        assert_eq!(fields(&none), [field::ACCOUNT_IDS]);
        let empty = drafts
            .prepare_follow(&follow(ids.clone(), " @ ", FollowWhat::Mute))
            .unwrap();
        assert_eq!(fields(&empty), [field::TARGET]);
        assert_eq!(
            empty.problems[0].message,
            "Name the account to mute, such as @bob."
        );
        let bad = drafts
            .prepare_follow(&follow(ids.clone(), "b", FollowWhat::Follow))
            .unwrap();
        assert_eq!(fields(&bad), [field::TARGET]);
        assert!(bad.problems[0]
            .message
            .starts_with("This is not an account name: "));
        assert!(bad.items.is_empty() && bad.draft_id.is_none());
        let itself = drafts
            .prepare_follow(&follow(ids, "carol", FollowWhat::Follow))
            .unwrap();
        assert_eq!(fields(&itself), [field::TARGET]);
        assert!(itself.problems[0]
            .message
            .contains("@carol cannot follow itself"));
        assert_eq!(
            itself.draft_id, None,
            "nothing is kept while a problem stands"
        );
    }

    #[test]
    fn a_reblog_is_one_custom_json_per_account_of_a_post_by_someone_else() {
        let (drafts, ids) = drafts_with(&["alice", "carol"]);
        let view = drafts
            .prepare_reblog(&ReblogRequest {
                account_ids: ids.clone(),
                link: "https://hive.blog/hive-1/@bob/bobs-post".into(),
            })
            .unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        assert_eq!(
            operations_of(&view)[0],
            r#"[["custom_json",{"required_auths":[],"required_posting_auths":["alice"],"id":"follow","json":"[\"reblog\",{\"account\":\"alice\",\"author\":\"bob\",\"permlink\":\"bobs-post\"}]"}]]"#
        );
        assert_eq!(view.items[1].lines, ["@carol reblogs @bob/bobs-post"]);

        let own = drafts
            .prepare_reblog(&ReblogRequest {
                account_ids: ids.clone(),
                link: "@carol/carols-post".into(),
            })
            .unwrap();
        assert_eq!(fields(&own), [field::ACCOUNT_IDS]);
        assert!(own.problems[0]
            .message
            .contains("@carol wrote @carol/carols-post"));
        assert_eq!(own.draft_id, None);

        let comment = drafts
            .prepare_reblog(&ReblogRequest {
                account_ids: ids,
                link: "https://peakd.com/hive-1/@bob/bobs-post#@dave/re-bobs-post".into(),
            })
            .unwrap();
        assert_eq!(fields(&comment), [field::LINK]);
        assert!(comment.problems[0].message.contains("a comment by @dave"));
    }

    fn delete(account_id: AccountId, link: &str) -> DeleteRequest {
        DeleteRequest {
            account_id,
            link: link.into(),
        }
    }

    #[tokio::test]
    async fn a_deletion_is_drafted_only_when_the_chain_would_allow_it() {
        let node = FakeNode::start().await;
        let (drafts, ids) = drafts_on(&["alice"], &node);
        let alice = ids[0];
        node.add_post("alice", "quiet-post");
        let view = drafts
            .prepare_delete(&delete(
                alice,
                "https://hive.blog/hive-123456/@alice/quiet-post",
            ))
            .await
            .unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        assert_eq!(
            operations_of(&view),
            [r#"[["delete_comment",{"author":"alice","permlink":"quiet-post"}]]"#]
        );
        assert_eq!(view.items[0].lines, ["@alice deletes @alice/quiet-post"]);

        // A reply under it: the chain keeps it.
        node.add_post("alice", "answered-post");
        node.apply(&json!(["comment", {"parent_author": "alice",
            "parent_permlink": "answered-post", "author": "bob", "permlink": "re-answered",
            "title": "", "body": "Hi", "json_metadata": "{}"}]));
        let answered = drafts
            .prepare_delete(&delete(alice, "@alice/answered-post"))
            .await
            .unwrap();
        assert_eq!(fields(&answered), [field::LINK]);
        assert!(
            answered.problems[0].message.contains("has 1 reply"),
            "{:?}",
            answered.problems
        );
        assert_eq!(answered.draft_id, None);

        // Votes that add up to more than nothing: kept too; a downvote that outweighs an
        // upvote does not keep it.
        node.add_post("alice", "liked-post");
        node.add_vote("alice", "liked-post", "bob", 5_000);
        let liked = drafts
            .prepare_delete(&delete(alice, "@alice/liked-post"))
            .await
            .unwrap();
        assert!(liked.problems[0].message.contains("net positive votes"));
        node.add_vote("alice", "liked-post", "carol", -10_000);
        let outweighed = drafts
            .prepare_delete(&delete(alice, "@alice/liked-post"))
            .await
            .unwrap();
        assert!(outweighed.draft_id.is_some(), "{:?}", outweighed.problems);
    }

    #[tokio::test]
    async fn a_deletion_of_someone_elses_or_a_missing_post_is_refused_at_the_link() {
        let node = FakeNode::start().await;
        let (drafts, ids) = drafts_on(&["alice"], &node);
        node.add_post("bob", "bobs-post");
        let other = drafts
            .prepare_delete(&delete(ids[0], "@bob/bobs-post"))
            .await
            .unwrap();
        assert_eq!(fields(&other), [field::LINK]);
        assert!(other.problems[0]
            .message
            .contains("@alice can delete only its own"));
        let missing = drafts
            .prepare_delete(&delete(ids[0], "@alice/never-written"))
            .await
            .unwrap();
        assert!(missing.problems[0]
            .message
            .contains("The chain has no @alice/never-written"));
        let garbage = drafts
            .prepare_delete(&delete(ids[0], "https://example.com/x"))
            .await
            .unwrap();
        assert_eq!(fields(&garbage), [field::LINK]);
        // Only the two valid links reached the chain, once each for the content.
        assert_eq!(node.count("condenser_api.get_content"), 1);
    }

    #[tokio::test]
    async fn a_deletion_when_the_chain_cannot_be_read_is_an_error() {
        let node = FakeNode::start().await;
        let (drafts, ids) = drafts_on(&["alice"], &node);
        node.set_down(true);
        let err = drafts
            .prepare_delete(&delete(ids[0], "@alice/a-post"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "chain_unreadable");
    }

    #[test]
    fn deletion_rules_read_the_content_and_its_votes() {
        let target = PostRef {
            author: "alice".into(),
            permlink: "p".into(),
        };
        let vote = |percent: i64, rshares: Option<i64>| ActiveVote {
            voter: "bob".into(),
            percent,
            weight: None,
            rshares,
            time: None,
        };
        let content = Content {
            author: "alice".into(),
            permlink: "p".into(),
            children: Some(0),
            cashout_time: "2026-01-08T00:00:00".into(),
            ..Content::default()
        };
        assert_eq!(deletion_refused(&target, &content, &[]), None);
        assert_eq!(
            deletion_refused(&target, &content, &[vote(0, Some(0))]),
            None
        );
        let up = [vote(100, Some(5)), vote(-100, Some(-3))];
        assert!(deletion_refused(&target, &content, &up).is_some());
        // Without reward shares, up against down.
        assert_eq!(
            deletion_refused(&target, &content, &[vote(100, None), vote(-50, None)]),
            None
        );
        let paid = Content {
            cashout_time: PAID_OUT.into(),
            ..content.clone()
        };
        assert!(deletion_refused(&target, &paid, &[])
            .unwrap()
            .contains("was paid out"));
        let replied = Content {
            parent_author: "bob".into(),
            children: Some(3),
            ..content
        };
        assert!(deletion_refused(&target, &replied, &[])
            .unwrap()
            .contains("has 3 replies, and the chain deletes a comment"));
    }

    #[test]
    fn a_reply_takes_beneficiaries_and_payout_options_too() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let request = PostRequest {
            reply_to: Some("https://peakd.com/hive-1/@bob/bobs-post".into()),
            title: String::new(),
            body: "Nice!".into(),
            tags: vec![],
            community: None,
            beneficiaries: vec![BeneficiaryRequest {
                account: "carol".into(),
                weight: 2_500,
            }],
            max_accepted_payout: Some("10.000 HBD".into()),
            percent_hbd: Some(0),
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&request).unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        let ops = &view.items[0].operations;
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0][1]["parent_author"], "bob");
        assert_eq!(ops[1][0], "comment_options");
        assert_eq!(ops[1][1]["permlink"], ops[0][1]["permlink"]);
        assert_eq!(ops[1][1]["max_accepted_payout"], "10.000 HBD");
        assert_eq!(ops[1][1]["percent_hbd"], 0);
        assert_eq!(
            ops[1][1]["extensions"].to_string(),
            r#"[[0,{"beneficiaries":[{"account":"carol","weight":2500}]}]]"#
        );
        assert_eq!(view.items[0].lines.len(), 2);
    }

    #[test]
    fn tags_are_a_z_0_9_and_dashes_and_at_most_ten() {
        let (drafts, ids) = drafts_with(&["alice"]);
        let odd = PostRequest {
            tags: vec!["#Rust".into(), "c++".into()],
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&odd).unwrap();
        assert_eq!(fields(&view), [field::TAGS]);
        assert!(view.problems[0].message.contains("'c++' holds '+'"));
        let many = PostRequest {
            tags: (1..=10).map(|n| format!("tag{n}")).collect(),
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&many).unwrap();
        assert_eq!(fields(&view), [field::TAGS]);
        assert!(view.problems[0].message.contains("at most 10 tags"));
        let ten = PostRequest {
            tags: (1..=9)
                .map(|n| format!("Tag{n}"))
                .chain(["tag1".into()])
                .collect(),
            ..post(ids[0])
        };
        let view = drafts.prepare_post(&ten).unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
    }

    #[tokio::test]
    async fn a_claim_takes_everything_pending_and_refuses_an_account_with_nothing() {
        let node = FakeNode::start().await;
        let (drafts, ids) = drafts_on(&["alice", "carol", "dave"], &node);
        node.set_account(
            "alice",
            AccountState {
                reward_hbd_balance: "1.250 HBD".into(),
                reward_vesting_balance: "12.345678 VESTS".into(),
                ..AccountState::default()
            },
        );
        node.set_account("carol", AccountState::default());
        let view = drafts
            .prepare_claim(&ClaimRequest {
                account_ids: vec![ids[0]],
            })
            .await
            .unwrap();
        assert!(view.draft_id.is_some(), "{:?}", view.problems);
        assert_eq!(
            operations_of(&view),
            [
                r#"[["claim_reward_balance",{"account":"alice","reward_hive":"0.000 HIVE","reward_hbd":"1.250 HBD","reward_vests":"12.345678 VESTS"}]]"#
            ]
        );
        assert_eq!(
            view.items[0].lines,
            ["@alice claims 1.250 HBD and 12.345678 VESTS in rewards"]
        );
        assert_eq!(node.count("condenser_api.get_accounts"), 1);

        // All at once: one read for all, and nothing is kept while one has nothing (carol) or
        // is not on the chain (dave).
        let all = drafts
            .prepare_claim(&ClaimRequest {
                account_ids: ids.clone(),
            })
            .await
            .unwrap();
        assert_eq!(all.draft_id, None);
        assert_eq!(fields(&all), [field::ACCOUNT_IDS, field::ACCOUNT_IDS]);
        assert!(all.problems[0]
            .message
            .starts_with("@carol has no pending rewards to claim"));
        assert_eq!(all.problems[1].message, "The chain has no account @dave.");
        assert_eq!(node.count("condenser_api.get_accounts"), 2);

        let none = drafts
            .prepare_claim(&ClaimRequest {
                account_ids: vec![],
            })
            .await
            .unwrap();
        assert_eq!(fields(&none), [field::ACCOUNT_IDS]);
    }

    #[tokio::test]
    async fn a_claim_of_amounts_a_node_garbles_is_an_error() {
        let node = FakeNode::start().await;
        let (drafts, ids) = drafts_on(&["alice"], &node);
        node.set_account(
            "alice",
            AccountState {
                reward_hbd_balance: "1.250 HIVE".into(),
                ..AccountState::default()
            },
        );
        let err = drafts
            .prepare_claim(&ClaimRequest { account_ids: ids })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "chain_unreadable");
        assert!(err.message().contains("not an amount of HBD"), "{err}");
    }
}
