//! [`Drafts`]: composing what the forms send (a vote from several accounts, a post or a reply
//! from one, a retry of a logged failure).
//! Each is checked by the chain's rules and kept as a draft whose operations are exactly what
//! "Confirm" broadcasts (permlinks and timestamps are fixed when the draft is made).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::Account;
use crate::accounts::AccountId;
use crate::activity::{ActivityId, Outcome, SendResult, Sender};
use crate::apps::App;
use crate::broadcast::{check_signer, sender_of, Broadcaster, Outgoing};
use crate::clock::UnixSeconds;
use crate::error::{field, Error, Result};
use crate::hive::describe;
use crate::hive::links::{self, PostRef};
use crate::hive::ops::{
    self, Asset, Beneficiary, Comment, CommentOptions, Operation, Symbol, Vote,
};
use crate::hive::validate::{self, FieldError};
use crate::provider::Chain;
use crate::shared::Shared;

/// Drafts older than this are gone; the person prepares again.
pub const DRAFT_LIFETIME_SECONDS: i64 = 15 * 60;

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
}

impl Drafts {
    /// The draft service over `shared`, sending through `broadcaster`.
    pub fn new(shared: Shared, broadcaster: Arc<Broadcaster>) -> Self {
        Self {
            shared,
            broadcaster,
            waiting: Mutex::default(),
            last_id: Mutex::default(),
        }
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
        for id in &request.account_ids {
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
        let account = self.shared.registry.account(id).ok()?;
        let app = self.shared.registry.app(account.app_id).ok()?;
        let earlier = self
            .shared
            .registry
            .open_unknown(&sender_of(&account, &app), &outgoing.operations_text())
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
    for tag in &request.tags {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
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

    const NOW: UnixSeconds = 1_767_225_600; // 2026-01-01T00:00:00Z

    /// Drafts over an in-memory registry with `users` signed in to one app (no provider is
    /// ever asked: drafting is local).
    fn drafts_with(users: &[&str]) -> (Drafts, Vec<AccountId>) {
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
        let settings = Settings::default();
        let shared = Shared {
            registry: Arc::new(registry),
            vault: Vault::new(Arc::new(MemoryStore::default())),
            clock: Arc::new(ManualClock::at(NOW)),
            events: Arc::new(RecordedEvents::default()),
            provider_calls: TokenClient::new(settings.http_timeout).unwrap(),
            settings,
        };
        let nodes = NodeList::new(Vec::new(), Vec::new());
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
}
