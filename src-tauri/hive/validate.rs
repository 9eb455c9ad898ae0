//! The chain's rules for the operations in [`crate::hive::ops`], checked before anything is
//! sent, so a person reads one plain message per field instead of a chain assertion.
//!
//! Decisions where the shared `hive-operations.md` is silent:
//! - every [`Comment`] is checked as a NEW comment (permlink and parent permlink only
//!   `a-z 0-9 -`): edits keep their permlink, and the chain has enforced these characters for
//!   new comments since 2016;
//! - a vote of weight 0 is accepted only from [`crate::hive::ops::Vote::unvote`];
//! - a body of only white space is refused like an empty one;
//! - `comment_options` also needs `max_accepted_payout` in the dollar token and not negative,
//!   and each claimed reward in its own token, as the chain asserts;
//! - rules that need the chain's state (the same vote twice, rate limits, lowering payout
//!   options, deleting a comment with replies) are left to the chain.

use std::fmt;

use serde::de::IgnoredAny;
use serde::Serialize;

use crate::error::field;
use crate::hive::account_name;
use crate::hive::ops::{
    format_percent, Asset, Beneficiary, ClaimRewardBalance, Comment, CommentOptions, CustomJson,
    DeleteComment, Operation, Symbol, Vote, FULL_PERCENT,
};
use crate::provider::Chain;

/// The longest permlink, in bytes.
pub const MAX_PERMLINK_BYTES: usize = 255;
/// The longest title, in bytes.
pub const MAX_TITLE_BYTES: usize = 255;
/// The longest `custom_json` id, in bytes.
pub const MAX_CUSTOM_JSON_ID_BYTES: usize = 32;
/// The most beneficiaries a post can have.
pub const MAX_BENEFICIARIES: usize = 8;
/// The largest transaction, as JSON, in bytes (64 KiB).
pub const MAX_TRANSACTION_BYTES: usize = 64 * 1024;
/// Bytes kept for what a signed transaction adds around its operations (reference block,
/// expiration, extensions, one signature).
pub const ENVELOPE_RESERVE_BYTES: usize = 256;

/// What is wrong with one field, in plain words that also say what is right: a draft's
/// problem, `{field, message}` on the wire, with the same keys as
/// [`crate::error::Error::InvalidInput`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field: a key of [`field`]. An operation's field has the form's key where a form
    /// sends it under the same name (`weight`, `title`, `body`, `beneficiaries`,
    /// `maxAcceptedPayout`, `percentHbd`), else the operation's own name in camelCase
    /// (`permlink`, `parentPermlink`); `operations`, `signer`, `transaction` and `rewards`
    /// name rules over several fields.
    pub field: &'static str,
    /// The message for a person: a sentence that reads on its own, without the field's label.
    pub message: String,
}

/// The message alone, as [`crate::error::Error`] shows an input error.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One rule's outcome: the message when it fails.
type Rule = Result<(), String>;

/// Collects at most one message per field, each made a sentence.
#[derive(Default)]
struct Report {
    errors: Vec<FieldError>,
}

impl Report {
    fn field(&mut self, field: &'static str, rule: Rule) -> &mut Report {
        if let Err(message) = rule {
            if !self.errors.iter().any(|error| error.field == field) {
                self.errors.push(FieldError {
                    field,
                    message: sentence(message),
                });
            }
        }
        self
    }

    fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// Checks `op` against the chain's rules; every failing field gets one message.
pub fn check(op: &Operation) -> Result<(), Vec<FieldError>> {
    let mut report = Report::default();
    match op {
        Operation::Vote(op) => vote(op, &mut report),
        Operation::Comment(op) => comment(op, &mut report),
        Operation::CommentOptions(op) => comment_options(op, &mut report),
        Operation::CustomJson(op) => custom_json(op, &mut report),
        Operation::DeleteComment(op) => delete_comment(op, &mut report),
        Operation::ClaimRewardBalance(op) => claim_reward_balance(op, &mut report),
    }
    report.finish()
}

/// Checks each of `ops` (messages say which operation when there are several), that there is
/// at least one, that one account signs them all, and that the transaction fits in 64 KiB.
pub fn check_transaction(ops: &[Operation], chain: Chain) -> Result<(), Vec<FieldError>> {
    let mut report = Report::default();
    if ops.is_empty() {
        report.field(
            field::OPERATIONS,
            Err("a transaction holds at least one operation; this one has none".into()),
        );
        return report.finish();
    }
    for (index, op) in ops.iter().enumerate() {
        let Err(errors) = check(op) else { continue };
        report.errors.extend(
            errors
                .into_iter()
                .map(|error| in_operation(error, index, ops, op)),
        );
    }
    report
        .field(field::SIGNER, one_signer(ops))
        .field(field::TRANSACTION, fits(ops, chain));
    report.finish()
}

fn in_operation(error: FieldError, index: usize, ops: &[Operation], op: &Operation) -> FieldError {
    if ops.len() == 1 {
        return error;
    }
    FieldError {
        message: format!(
            "Operation {} of {} ({}): {}",
            index + 1,
            ops.len(),
            op.name(),
            lower_first(&error.message)
        ),
        ..error
    }
}

fn one_signer(ops: &[Operation]) -> Rule {
    let mut signers = ops.iter().map(Operation::author).filter(|a| !a.is_empty());
    let Some(first) = signers.next() else {
        return Ok(());
    };
    match signers.find(|other| *other != first) {
        None => Ok(()),
        Some(other) => Err(format!(
            "one account signs a whole transaction, but @{first} and @{other} sign here; \
             send their operations separately"
        )),
    }
}

fn fits(ops: &[Operation], chain: Chain) -> Rule {
    let operations: usize = ops.iter().map(|op| op.to_json_string(chain).len()).sum();
    let separators = ops.len() + 1; // the commas between operations, and `[` `]`
    let size = operations + separators + ENVELOPE_RESERVE_BYTES;
    if size <= MAX_TRANSACTION_BYTES {
        return Ok(());
    }
    let advice = if ops.iter().any(|op| matches!(op, Operation::Comment(_))) {
        "shorten the body"
    } else {
        "send fewer operations at once"
    };
    Err(format!(
        "a transaction is at most 64 KiB ({MAX_TRANSACTION_BYTES} bytes) as JSON, and this one \
         is about {size} bytes; {advice}"
    ))
}

/// A permlink of an existing comment: 1 to 255 bytes.
pub fn check_permlink(permlink: &str) -> Result<(), String> {
    if permlink.is_empty() {
        return Err(
            "a permlink is not empty: it is the last part of a post's link, such as \
             my-first-post"
                .into(),
        );
    }
    at_most(permlink, MAX_PERMLINK_BYTES, "a permlink")
}

/// A permlink for a NEW comment (also its parent permlink): 1 to 255 bytes of lowercase
/// letters `a-z`, digits and `-`.
pub fn check_new_permlink(permlink: &str) -> Result<(), String> {
    check_permlink(permlink)?;
    match permlink
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        None => Ok(()),
        Some(bad) => Err(format!(
            "a new permlink holds only lowercase letters a-z, digits and '-', such as \
             my-first-post (found '{bad}')"
        )),
    }
}

fn at_most(text: &str, max_bytes: usize, what: &str) -> Rule {
    if text.len() <= max_bytes {
        Ok(())
    } else {
        Err(format!(
            "{what} has at most {max_bytes} bytes (this one has {}); shorten it",
            text.len()
        ))
    }
}

/// `fragment` as a sentence: its first letter capitalised, a full stop at its end.
fn sentence(fragment: String) -> String {
    let mut chars = fragment.chars();
    let Some(first) = chars.next() else {
        return fragment;
    };
    let mut text: String = first.to_uppercase().chain(chars).collect();
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// `message` with its first letter in lowercase, to follow a colon (an abbreviation such as
/// `HBD` stays as it is).
fn lower_first(message: &str) -> String {
    let mut chars = message.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second) if !second.is_some_and(char::is_uppercase) => first
            .to_lowercase()
            .chain(message.chars().skip(1))
            .collect(),
        _ => message.to_owned(),
    }
}

/// `name` is an account name; `who` says whose name it is ("the voter").
fn account(who: &str, name: &str) -> Rule {
    account_name::check(name).map_err(|problem| format!("{who} is not an account name: {problem}"))
}

/// Every one of `names` is an account name; `list` names the list.
fn accounts(list: &str, names: &[String]) -> Rule {
    names
        .iter()
        .try_for_each(|name| account(&format!("an account in {list}"), name))
}

/// `text` is JSON; the error is the parser's words.
fn json(text: &str) -> Rule {
    serde_json::from_str::<IgnoredAny>(text)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

fn vote(op: &Vote, report: &mut Report) {
    report
        .field(field::VOTER, account("the voter", &op.voter))
        .field(field::AUTHOR, account("the author voted on", &op.author))
        .field(field::PERMLINK, check_permlink(&op.permlink))
        .field(field::WEIGHT, vote_weight(op));
}

fn vote_weight(op: &Vote) -> Rule {
    let full = i32::from(FULL_PERCENT);
    let weight = i32::from(op.weight);
    if !(-full..=full).contains(&weight) {
        return Err(format!(
            "a vote weight is -{full} to {full} (-100.00 % to 100.00 %); this one is {weight}"
        ));
    }
    match (weight, op.is_removal()) {
        (0, false) => Err(
            "a vote weight of 0 would remove your vote; choose 0.01 % to 100.00 % (negative to \
             downvote), or remove the vote on purpose"
                .into(),
        ),
        (0, true) | (_, false) => Ok(()),
        (_, true) => Err(format!(
            "removing a vote sends weight 0 (this one is {weight})"
        )),
    }
}

fn comment(op: &Comment, report: &mut Report) {
    let parent_author = if op.is_reply() {
        account("the author replied to", &op.parent_author)
    } else {
        Ok(())
    };
    let parent_permlink = check_new_permlink(&op.parent_permlink).map_err(|problem| {
        let what = if op.is_reply() {
            "the permlink replied to"
        } else {
            "the post's category (its first tag or its community)"
        };
        format!("{what} cannot be a parent permlink: {problem}")
    });
    report
        .field(field::PARENT_AUTHOR, parent_author)
        .field(field::PARENT_PERMLINK, parent_permlink)
        .field(field::AUTHOR, account("the author", &op.author))
        .field(field::PERMLINK, check_new_permlink(&op.permlink))
        .field(field::TITLE, title(op))
        .field(field::BODY, body(&op.body))
        .field(field::JSON_METADATA, json_metadata(&op.json_metadata));
}

fn title(op: &Comment) -> Rule {
    if op.is_reply() && !op.title.is_empty() {
        return Err("a reply has no title; leave the title empty".into());
    }
    at_most(&op.title, MAX_TITLE_BYTES, "a title")
}

fn body(body: &str) -> Rule {
    if body.trim().is_empty() {
        Err("the body is empty; write something to publish".into())
    } else {
        Ok(())
    }
}

fn json_metadata(text: &str) -> Rule {
    if text.is_empty() {
        Ok(())
    } else {
        json(text).map_err(|error| {
            format!(
                "the metadata (json_metadata) is not valid JSON ({error}); leave it empty or \
                 write valid JSON"
            )
        })
    }
}

fn comment_options(op: &CommentOptions, report: &mut Report) {
    report
        .field(field::AUTHOR, account("the author", &op.author))
        .field(field::PERMLINK, check_permlink(&op.permlink))
        .field(
            field::MAX_ACCEPTED_PAYOUT,
            max_payout(&op.max_accepted_payout),
        )
        .field(field::PERCENT_HBD, percent_hbd(op.percent_hbd))
        .field(field::BENEFICIARIES, beneficiaries(&op.beneficiaries));
}

fn max_payout(payout: &Asset) -> Rule {
    amount_in(payout, Symbol::Hbd, "the maximum payout")
}

fn percent_hbd(percent: u16) -> Rule {
    if percent <= FULL_PERCENT {
        Ok(())
    } else {
        Err(format!(
            "the share paid in the dollar token (HBD or SBD) is 0 to {FULL_PERCENT} \
             (0.00 % to 100.00 %); this one is {percent}"
        ))
    }
}

fn beneficiaries(list: &[Beneficiary]) -> Rule {
    if list.len() > MAX_BENEFICIARIES {
        return Err(format!(
            "a post has at most {MAX_BENEFICIARIES} beneficiaries (this one has {})",
            list.len()
        ));
    }
    list.iter().try_for_each(beneficiary)?;
    beneficiaries_in_order(list)?;
    let total: u32 = list.iter().map(|b| u32::from(b.weight)).sum();
    if total > u32::from(FULL_PERCENT) {
        return Err(format!(
            "beneficiaries share at most {FULL_PERCENT} (100.00 %) together; these share {total} \
             ({})",
            format_percent(i32::try_from(total).unwrap_or(i32::MAX))
        ));
    }
    Ok(())
}

fn beneficiary(b: &Beneficiary) -> Rule {
    account("a beneficiary", &b.account)?;
    if (1..=FULL_PERCENT).contains(&b.weight) {
        return Ok(());
    }
    Err(format!(
        "each beneficiary gets 1 to {FULL_PERCENT} (0.01 % to 100.00 %); @{} gets {}",
        b.account, b.weight
    ))
}

fn beneficiaries_in_order(list: &[Beneficiary]) -> Rule {
    let mut names: Vec<&str> = list.iter().map(|b| b.account.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(format!(
            "each beneficiary appears once; @{} appears more than once",
            pair[0]
        ));
    }
    match list
        .windows(2)
        .find(|pair| pair[0].account > pair[1].account)
    {
        None => Ok(()),
        Some(pair) => Err(format!(
            "beneficiaries are listed in alphabetical order of account: @{} goes before @{}",
            pair[1].account, pair[0].account
        )),
    }
}

fn custom_json(op: &CustomJson, report: &mut Report) {
    let posting = accounts("required_posting_auths", &op.required_posting_auths).and_then(|()| {
        if op.required_auths.is_empty() && op.required_posting_auths.is_empty() {
            Err("at least one account signs: name it in required_posting_auths".into())
        } else {
            Ok(())
        }
    });
    report
        .field(
            field::REQUIRED_AUTHS,
            accounts("required_auths", &op.required_auths),
        )
        .field(field::REQUIRED_POSTING_AUTHS, posting)
        .field(field::ID, custom_json_id(&op.id))
        .field(
            field::JSON,
            json(&op.json).map_err(|error| {
                format!("the custom_json's json is not valid JSON ({error}); write valid JSON")
            }),
        );
}

fn custom_json_id(id: &str) -> Rule {
    if id.len() <= MAX_CUSTOM_JSON_ID_BYTES {
        return Ok(());
    }
    Err(format!(
        "a custom_json's id has at most {MAX_CUSTOM_JSON_ID_BYTES} characters, such as follow (this one has \
         {})",
        id.len()
    ))
}

fn delete_comment(op: &DeleteComment, report: &mut Report) {
    report
        .field(field::AUTHOR, account("the author", &op.author))
        .field(field::PERMLINK, check_permlink(&op.permlink));
}

fn claim_reward_balance(op: &ClaimRewardBalance, report: &mut Report) {
    let rewards = [&op.reward_hive, &op.reward_hbd, &op.reward_vests];
    let nothing = if rewards.iter().all(|asset| asset.amount == 0) {
        Err("there is nothing to claim; at least one reward is more than 0".into())
    } else {
        Ok(())
    };
    report
        .field(field::ACCOUNT, account("the claiming account", &op.account))
        .field(
            field::REWARD_HIVE,
            amount_in(&op.reward_hive, Symbol::Hive, "the claimed reward_hive"),
        )
        .field(
            field::REWARD_HBD,
            amount_in(&op.reward_hbd, Symbol::Hbd, "the claimed reward_hbd"),
        )
        .field(
            field::REWARD_VESTS,
            amount_in(&op.reward_vests, Symbol::Vests, "the claimed reward_vests"),
        )
        .field(field::REWARDS, nothing);
}

/// `asset` is in `symbol` and not negative.
fn amount_in(asset: &Asset, symbol: Symbol, what: &str) -> Rule {
    if asset.symbol != symbol {
        return Err(format!(
            "{what} here is in {} (not {})",
            token_words(symbol),
            token_words(asset.symbol)
        ));
    }
    if asset.amount < 0 {
        return Err(format!(
            "{what} is 0 or more (this one is {})",
            asset.amount_text()
        ));
    }
    Ok(())
}

fn token_words(symbol: Symbol) -> String {
    let tickers = [Chain::Hive, Chain::Steem].map(|chain| symbol.ticker(chain));
    if tickers[0] == tickers[1] {
        tickers[0].to_owned()
    } else {
        tickers.join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hive::ops::examples::{
        beneficiary, claim, comment_options, delete_comment, doc_beneficiaries, post, reply,
        strings, vote,
    };
    use crate::hive::ops::What;

    /// The fields refused, each with its message.
    fn refusals(op: impl Into<Operation>) -> Vec<(&'static str, String)> {
        match check(&op.into()) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn accepted(op: impl Into<Operation>) {
        let op = op.into();
        assert_eq!(check(&op), Ok(()), "{op:?}");
    }

    /// `op` is refused on exactly `field`, with a message holding `needle`.
    fn refused(op: impl Into<Operation>, field: &str, needle: &str) {
        let found = refusals(op);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, field, "{found:?}");
        assert!(found[0].1.contains(needle), "{found:?} lacks {needle}");
    }

    fn custom(required_auths: &[&str], posting: &[&str], id: &str, json: &str) -> CustomJson {
        CustomJson {
            required_auths: strings(required_auths),
            required_posting_auths: strings(posting),
            id: id.into(),
            json: json.into(),
        }
    }

    #[test]
    fn votes_in_range_are_accepted() {
        for weight in [1, -1, 5000, 10000, -10000] {
            accepted(vote(weight));
        }
        accepted(Vote::unvote("alice", "bob", "bobs-post"));
    }

    #[test]
    fn votes_out_of_range_are_refused() {
        for weight in [10001, -10001, i16::MAX, i16::MIN] {
            refused(vote(weight), field::WEIGHT, "-10000 to 10000");
        }
    }

    #[test]
    fn weight_zero_needs_an_explicit_unvote() {
        refused(vote(0), field::WEIGHT, "remove your vote");
        let mut odd = Vote::unvote("alice", "bob", "bobs-post");
        odd.weight = 100;
        refused(odd, field::WEIGHT, "sends weight 0");
    }

    #[test]
    fn vote_names_and_permlink_are_checked() {
        let mut op = vote(100);
        op.voter = "Alice".into();
        refused(op, field::VOTER, "lowercase");
        let mut op = vote(100);
        op.author = "x".into();
        refused(op, field::AUTHOR, "3 to 16");
        let mut op = vote(100);
        op.permlink = String::new();
        refused(op, field::PERMLINK, "not empty");
        let mut op = vote(100);
        op.permlink = "Legacy_Permlink.2016".into();
        accepted(op);
    }

    #[test]
    fn one_message_per_field_for_every_failing_field() {
        let op = Vote::new("A", "", "", 0);
        let fields: Vec<_> = refusals(op).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [field::VOTER, field::AUTHOR, field::PERMLINK, field::WEIGHT]
        );
    }

    #[test]
    fn posts_and_replies_like_the_doc_are_accepted() {
        accepted(post());
        accepted(reply());
        let mut edge = post();
        edge.permlink = "a".repeat(255);
        edge.title = "é".repeat(127);
        edge.json_metadata = String::new();
        accepted(edge);
    }

    #[test]
    fn new_permlinks_hold_only_lowercase_digits_and_dashes() {
        for bad in ["My-Post", "my_post", "my post", "my.post", "ümlaut"] {
            let mut op = post();
            op.permlink = bad.into();
            refused(op, field::PERMLINK, "only lowercase letters a-z");
        }
        let mut op = post();
        op.permlink = "a".repeat(256);
        refused(op, field::PERMLINK, "at most 255 bytes");
        let mut op = post();
        op.permlink = String::new();
        refused(op, field::PERMLINK, "not empty");
    }

    #[test]
    fn parent_permlink_and_parent_author_are_checked() {
        let mut op = post();
        op.parent_permlink = "Hive_123".into();
        refused(op, field::PARENT_PERMLINK, "only lowercase");
        let mut op = post();
        op.parent_permlink = String::new();
        refused(op, field::PARENT_PERMLINK, "not empty");
        let mut op = reply();
        op.parent_author = "b".into();
        refused(op, field::PARENT_AUTHOR, "3 to 16");
    }

    #[test]
    fn titles_are_short_and_replies_have_none() {
        let mut op = post();
        op.title = "t".repeat(256);
        refused(op, field::TITLE, "at most 255 bytes");
        let mut op = post();
        op.title = "é".repeat(128);
        refused(op, field::TITLE, "(this one has 256)");
        let mut op = reply();
        op.title = "Re: hi".into();
        refused(op, field::TITLE, "leave the title empty");
    }

    #[test]
    fn bodies_are_not_empty() {
        for blank in ["", "  \n\t"] {
            let mut op = post();
            op.body = blank.into();
            refused(op, field::BODY, "empty");
        }
    }

    #[test]
    fn json_metadata_is_empty_or_valid_json() {
        for good in ["", "{}", "[1,2]", "\"text\""] {
            let mut op = post();
            op.json_metadata = good.into();
            accepted(op);
        }
        for bad in ["{", "{\"app\":}", "tags: rust", "{} {}"] {
            let mut op = post();
            op.json_metadata = bad.into();
            refused(op, field::JSON_METADATA, "not valid JSON");
        }
    }

    #[test]
    fn comment_options_like_the_doc_are_accepted() {
        accepted(comment_options(doc_beneficiaries()));
        accepted(comment_options(Vec::new()));
        let mut declined = comment_options(vec![beneficiary("bob", 10000)]);
        declined.max_accepted_payout = Asset::zero(Symbol::Hbd);
        declined.percent_hbd = 0;
        accepted(declined);
        let eight = (0..8)
            .map(|i| beneficiary(&format!("user{i}"), 1250))
            .collect();
        accepted(comment_options(eight));
    }

    #[test]
    fn percent_hbd_is_at_most_full() {
        let mut op = comment_options(Vec::new());
        op.percent_hbd = 10001;
        refused(op, field::PERCENT_HBD, "0 to 10000");
    }

    #[test]
    fn max_payout_is_dollars_and_not_negative() {
        let mut op = comment_options(Vec::new());
        op.max_accepted_payout = Asset::new(-1, Symbol::Hbd);
        refused(
            op,
            field::MAX_ACCEPTED_PAYOUT,
            "0 or more (this one is -0.001)",
        );
        let mut op = comment_options(Vec::new());
        op.max_accepted_payout = Asset::new(1000, Symbol::Hive);
        refused(
            op,
            field::MAX_ACCEPTED_PAYOUT,
            "in HBD or SBD (not HIVE or STEEM)",
        );
    }

    #[test]
    fn beneficiaries_follow_the_chain_rules() {
        let cases = [
            (
                vec![beneficiary("carol", 1), beneficiary("bob", 1)],
                "@bob goes before @carol",
            ),
            (
                vec![beneficiary("bob", 1), beneficiary("bob", 2)],
                "@bob appears more than once",
            ),
            (
                vec![
                    beneficiary("bob", 1),
                    beneficiary("carol", 1),
                    beneficiary("bob", 1),
                ],
                "appears more than once",
            ),
            (vec![beneficiary("bob", 0)], "1 to 10000"),
            (vec![beneficiary("bob", 10001)], "1 to 10000"),
            (
                vec![beneficiary("bob", 6000), beneficiary("carol", 5000)],
                "these share 11000 (110.00 %)",
            ),
            (
                vec![beneficiary("Bob", 100)],
                "A beneficiary is not an account name: an account name",
            ),
            (
                (0..9)
                    .map(|i| beneficiary(&format!("user{i}"), 1))
                    .collect(),
                "at most 8 beneficiaries",
            ),
        ];
        for (list, needle) in cases {
            refused(comment_options(list), field::BENEFICIARIES, needle);
        }
    }

    #[test]
    fn comment_options_names_are_checked() {
        let mut op = comment_options(Vec::new());
        op.author = "no".into();
        op.permlink = "p".repeat(300);
        let fields: Vec<_> = refusals(op).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [field::AUTHOR, field::PERMLINK]);
    }

    #[test]
    fn follow_and_reblog_are_accepted() {
        accepted(CustomJson::follow("alice", "bob", What::Blog));
        accepted(CustomJson::follow("alice", "bob", What::Nothing));
        accepted(CustomJson::reblog("alice", "bob", "bobs-post"));
        accepted(custom(&["alice"], &[], &"i".repeat(32), "{}"));
    }

    #[test]
    fn custom_json_needs_a_signer() {
        refused(
            custom(&[], &[], "follow", "{}"),
            field::REQUIRED_POSTING_AUTHS,
            "At least one account signs",
        );
        refused(
            custom(&[], &["Al"], "follow", "{}"),
            field::REQUIRED_POSTING_AUTHS,
            "3 to 16",
        );
        refused(
            custom(&["x"], &["alice"], "follow", "{}"),
            field::REQUIRED_AUTHS,
            "3 to 16",
        );
    }

    #[test]
    fn custom_json_id_is_short_and_json_valid() {
        refused(
            custom(&[], &["alice"], &"i".repeat(33), "{}"),
            field::ID,
            "at most 32",
        );
        for bad in ["", "[\"follow\"", "follow"] {
            refused(
                custom(&[], &["alice"], "follow", bad),
                field::JSON,
                "not valid JSON",
            );
        }
    }

    #[test]
    fn delete_comment_is_checked() {
        accepted(delete_comment());
        let mut op = delete_comment();
        op.permlink.clear();
        refused(op, field::PERMLINK, "not empty");
        let mut op = delete_comment();
        op.author = "-alice".into();
        refused(op, field::AUTHOR, "starts with a letter");
    }

    #[test]
    fn claims_need_something_and_nothing_negative() {
        accepted(claim(0, 0, 12_345_678));
        accepted(claim(1, 0, 0));
        accepted(claim(0, 1, 0));
        refused(claim(0, 0, 0), field::REWARDS, "nothing to claim");
        refused(
            claim(-1, 0, 5),
            field::REWARD_HIVE,
            "0 or more (this one is -0.001)",
        );
        refused(claim(0, -5, 5), field::REWARD_HBD, "0 or more");
        refused(
            claim(5, 0, -1),
            field::REWARD_VESTS,
            "this one is -0.000001",
        );
        let mut op = claim(5, 0, 0);
        op.account = String::new();
        refused(op, field::ACCOUNT, "3 to 16");
    }

    #[test]
    fn claims_use_each_reward_s_own_token() {
        let mut op = claim(5, 0, 0);
        op.reward_vests = Asset::new(1, Symbol::Hive);
        refused(op, field::REWARD_VESTS, "in VESTS (not HIVE or STEEM)");
    }

    #[test]
    fn transactions_of_valid_operations_by_one_signer_pass() {
        let ops: Vec<Operation> = vec![
            post().into(),
            comment_options(vec![beneficiary("bob", 500)]).into(),
            vote(10000).into(),
        ];
        assert_eq!(check_transaction(&ops, Chain::Hive), Ok(()));
        assert_eq!(check_transaction(&ops, Chain::Steem), Ok(()));
    }

    #[test]
    fn empty_transactions_are_refused() {
        let errors = check_transaction(&[], Chain::Hive).unwrap_err();
        assert_eq!(errors[0].field, field::OPERATIONS);
    }

    #[test]
    fn transaction_errors_say_which_operation() {
        let ops: Vec<Operation> = vec![post().into(), vote(0).into()];
        let errors = check_transaction(&ops, Chain::Hive).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, field::WEIGHT);
        assert!(errors[0]
            .message
            .starts_with("Operation 2 of 2 (vote): a vote weight of 0"));
        let single = check_transaction(&[vote(0).into()], Chain::Hive).unwrap_err();
        assert!(single[0].message.starts_with("A vote weight of 0"));
    }

    #[test]
    fn transactions_have_one_signer() {
        let ops: Vec<Operation> =
            vec![vote(100).into(), Vote::new("bob", "carol", "p", 100).into()];
        let errors = check_transaction(&ops, Chain::Hive).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, field::SIGNER);
        assert!(errors[0].message.contains("@alice and @bob"));
    }

    #[test]
    fn transactions_fit_in_64_kib() {
        let mut big = post();
        big.body = "x".repeat(MAX_TRANSACTION_BYTES);
        let errors = check_transaction(&[big.into()], Chain::Hive).unwrap_err();
        assert_eq!(errors[0].field, field::TRANSACTION);
        assert!(errors[0].message.contains("shorten the body"));

        let fixed = post();
        let base = Operation::from(fixed.clone())
            .to_json_string(Chain::Hive)
            .len()
            + 2;
        let mut just_fits = fixed;
        just_fits
            .body
            .push_str(&"x".repeat(MAX_TRANSACTION_BYTES - ENVELOPE_RESERVE_BYTES - base));
        assert_eq!(
            check_transaction(&[just_fits.clone().into()], Chain::Hive),
            Ok(())
        );
        just_fits.body.push('x');
        assert!(check_transaction(&[just_fits.into()], Chain::Hive).is_err());
    }

    #[test]
    fn escaped_bodies_count_their_escapes() {
        let mut quoted = post();
        quoted.body = "\"".repeat(MAX_TRANSACTION_BYTES / 2);
        assert!(check_transaction(&[quoted.into()], Chain::Hive).is_err());
    }

    #[test]
    fn permlink_rules_are_public() {
        assert_eq!(check_new_permlink("re-bob-x-20260101t000000000z"), Ok(()));
        assert!(check_new_permlink("Re-Bob").is_err());
        assert_eq!(check_permlink("Legacy_One"), Ok(()));
        assert!(check_permlink(&"a".repeat(256)).is_err());
    }

    #[test]
    fn field_errors_display_the_message_alone() {
        let error = FieldError {
            field: field::BODY,
            message: "The body is empty.".into(),
        };
        assert_eq!(error.to_string(), "The body is empty.");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({ "field": "body", "message": "The body is empty." })
        );
    }

    #[test]
    fn every_message_is_a_sentence_of_its_own() {
        let mut bad_claim = claim(-1, 0, 0);
        bad_claim.account = "X".into();
        let ops: Vec<Operation> = vec![
            Vote::new("A", "", "", 0).into(),
            Comment {
                title: "Re".into(),
                body: String::new(),
                json_metadata: "{".into(),
                parent_author: "b".into(),
                ..reply()
            }
            .into(),
            comment_options(vec![beneficiary("Bob", 0)]).into(),
            custom(&["x"], &[], &"i".repeat(40), "{").into(),
            bad_claim.into(),
        ];
        for op in ops {
            for error in check(&op).unwrap_err() {
                let message = &error.message;
                assert!(
                    message.starts_with(char::is_uppercase) && message.ends_with('.'),
                    "{}: {message}",
                    error.field
                );
                assert!(!message.starts_with(error.field), "{message}");
            }
        }
    }

    #[test]
    fn operation_fields_a_form_sends_use_the_form_s_keys() {
        let mut op = comment_options(vec![beneficiary("bob", 0)]);
        op.percent_hbd = 10001;
        op.max_accepted_payout = Asset::new(-1, Symbol::Hbd);
        let fields: Vec<_> = refusals(op).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["maxAcceptedPayout", "percentHbd", "beneficiaries"]);
    }

    #[test]
    fn sentences_and_what_follows_a_colon() {
        assert_eq!(sentence("the body is empty".into()), "The body is empty.");
        assert_eq!(
            sentence("at most 8 (this one has 9)".into()),
            "At most 8 (this one has 9)."
        );
        assert_eq!(sentence("Done.".into()), "Done.");
        assert_eq!(lower_first("A vote weight"), "a vote weight");
        assert_eq!(lower_first("HBD only"), "HBD only");
    }
}
