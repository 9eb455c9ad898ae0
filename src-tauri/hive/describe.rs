//! Operations in words: one readable line per operation for the person about to sign it, such
//! as "@alice upvotes @bob/bobs-post at 50 %".
//!
//! It reads the legacy JSON (`[name, {fields}]`), not the typed [`crate::hive::ops::Operation`],
//! because an operation resent from the activity log exists only as JSON; it knows the Hive and
//! the Steem field names. Every JSON value gets a line: what it cannot read, it says so and
//! points to the exact JSON instead of guessing.

use serde_json::{Map, Value};

use crate::hive::ops::{Asset, Symbol, FULL_PERCENT};
use crate::provider::Chain;

/// The chain's default payout cap (`1000000.000 HBD`): the line says nothing about it.
const DEFAULT_MAX_PAYOUT: i64 = 1_000_000_000;

/// The longest account name, id or tag shown (longer ones end with `…`).
const NAME_CHARS: usize = 32;

/// The longest permlink or title shown (longer ones end with `…`).
const TEXT_CHARS: usize = 80;

/// The most tags a post's line lists before "and N more".
const TAGS_SHOWN: usize = 8;

/// One readable line for `operation`, a legacy operation `[name, {fields}]` on Hive or Steem.
///
/// Never fails: an operation it does not know, or one whose fields it cannot read, gets a line
/// that says so and sends the reader to the exact JSON.
pub fn describe(operation: &Value) -> String {
    let parts = operation.as_array().map(Vec::as_slice);
    let Some(name) = parts.and_then(<[Value]>::first).and_then(Value::as_str) else {
        return "An operation Authdeck cannot read (check the exact JSON)".to_owned();
    };
    let name_shown = clean(name, NAME_CHARS);
    let Some(describer) = describer(name) else {
        return if name_shown.is_empty() {
            "An operation without a name (check the exact JSON)".to_owned()
        } else {
            format!(
                "{name_shown}: Authdeck does not put this operation into words \
                 (check the exact JSON)"
            )
        };
    };
    let line = match parts {
        Some([_, Value::Object(fields)]) => describer(&Fields(fields)),
        _ => None,
    };
    line.unwrap_or_else(|| {
        format!("{name_shown}, in a form Authdeck cannot read (check the exact JSON)")
    })
}

/// Puts one kind of operation into words from its fields; `None` when they are not readable.
type Describer = fn(&Fields) -> Option<String>;

/// The describer of the operation `name`, if this module knows it.
fn describer(name: &str) -> Option<Describer> {
    Some(match name {
        "vote" => vote,
        "comment" => comment,
        "comment_options" => comment_options,
        "custom_json" => custom_json,
        "delete_comment" => delete_comment,
        "claim_reward_balance" => claim_reward_balance,
        _ => return None,
    })
}

/// An operation's fields, read leniently: a missing or mistyped field gives `None`.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn text(&self, key: &str) -> Option<&'a str> {
        self.0.get(key)?.as_str()
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.0.get(key)?.as_i64()
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.0.get(key)?.as_bool()
    }

    /// The account in `key` as `@name`; an empty name is not readable.
    fn account(&self, key: &str) -> Option<String> {
        account(self.text(key)?)
    }

    /// `@author/permlink` from the two fields.
    fn post(&self, author: &str, permlink: &str) -> Option<String> {
        post_ref(self.text(author)?, self.text(permlink)?)
    }

    /// The asset in `key`, with `chain`'s tickers.
    fn asset(&self, key: &str, chain: Chain) -> Option<Asset> {
        Asset::parse(self.text(key)?, chain).ok()
    }
}

fn vote(fields: &Fields) -> Option<String> {
    let voter = fields.account("voter")?;
    let target = fields.post("author", "permlink")?;
    let weight = fields.int("weight")?;
    let strength = percent(weight.unsigned_abs(), 2);
    Some(match weight {
        0 => format!("{voter} removes their vote on {target}"),
        w if w < 0 => format!("{voter} downvotes {target} at {strength}"),
        _ => format!("{voter} upvotes {target} at {strength}"),
    })
}

fn comment(fields: &Fields) -> Option<String> {
    let author = fields.account("author")?;
    let parent_author = fields.text("parent_author")?;
    let parent_permlink = fields.text("parent_permlink")?;
    if !parent_author.is_empty() {
        let parent = post_ref(parent_author, parent_permlink)?;
        return Some(format!("{author} replies to {parent}"));
    }
    let link = fields.post("author", "permlink")?;
    let title = clean(fields.text("title")?, TEXT_CHARS);
    let mut line = if title.is_empty() {
        format!("{author} publishes a post without a title ({link})")
    } else {
        format!("{author} publishes the post \"{title}\" ({link})")
    };
    let category = clean(parent_permlink, NAME_CHARS);
    if !category.is_empty() {
        line.push_str(&format!(" in {category}"));
    }
    let tags = fields
        .text("json_metadata")
        .map(|metadata| tags_besides(metadata, parent_permlink))
        .unwrap_or_default();
    match tags.as_slice() {
        [] => {}
        [tag] => line.push_str(&format!(" with the tag {tag}")),
        _ => line.push_str(&format!(" with tags {}", list(&tags, TAGS_SHOWN))),
    }
    Some(line)
}

/// The readable tags of `metadata` (JSON text) other than the post's `category`.
fn tags_besides(metadata: &str, category: &str) -> Vec<String> {
    let Ok(metadata) = serde_json::from_str::<Value>(metadata) else {
        return Vec::new();
    };
    let Some(tags) = metadata.get("tags").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut kept: Vec<String> = Vec::new();
    for tag in tags.iter().filter_map(Value::as_str) {
        let tag = clean(tag, NAME_CHARS);
        if !tag.is_empty() && tag != category && !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    kept
}

fn comment_options(fields: &Fields) -> Option<String> {
    let target = fields.post("author", "permlink")?;
    let (chain, percent_key) = if fields.has("percent_steem_dollars") {
        (Chain::Steem, "percent_steem_dollars")
    } else {
        (Chain::Hive, "percent_hbd")
    };
    let cap = fields.asset("max_accepted_payout", chain)?;
    let dollars = fields
        .int(percent_key)
        .filter(|p| (0..=i64::from(FULL_PERCENT)).contains(p))?;
    let mut parts = Vec::new();
    if cap.amount == 0 {
        parts.push("no payout (declined)".to_owned());
    } else {
        if cap != Asset::new(DEFAULT_MAX_PAYOUT, Symbol::Hbd) {
            parts.push(format!("at most {} in all", cap.format(chain)));
        }
        parts.push(reward_split(dollars.unsigned_abs(), chain));
    }
    parts.push(voting(
        fields.flag("allow_votes")?,
        fields.flag("allow_curation_rewards")?,
    ));
    let beneficiaries = beneficiaries(fields.0.get("extensions"))?;
    match beneficiaries.as_slice() {
        [] => {}
        [one] => parts.push(format!("beneficiary {one}")),
        all => parts.push(format!("beneficiaries {}", and_list(all))),
    }
    Some(format!("Payout options for {target}: {}", parts.join("; ")))
}

/// How the author rewards are paid: `percent_hbd` (basis points) is the share of the liquid
/// half paid in the dollar token; the rest is vested.
fn reward_split(percent_dollars: u64, chain: Chain) -> String {
    let power = match chain {
        Chain::Hive => "Hive Power",
        Chain::Steem => "Steem Power",
    };
    if percent_dollars == 0 {
        return format!("author rewards paid 100 % in {power}");
    }
    // Half of `percent_dollars` basis points, in thousandths of a percent.
    let dollar_share = percent_dollars * 5;
    let line = format!(
        "author rewards paid {} in {} and {} in {power}",
        percent(dollar_share, 3),
        Symbol::Hbd.ticker(chain),
        percent(100_000 - dollar_share, 3),
    );
    if percent_dollars == u64::from(FULL_PERCENT) {
        format!("{line} (the usual split)")
    } else {
        line
    }
}

fn voting(allow_votes: bool, allow_curation: bool) -> String {
    match (allow_votes, allow_curation) {
        (true, true) => "votes and curation rewards allowed",
        (true, false) => "votes allowed but no curation rewards",
        (false, true) => "no votes allowed (curation rewards left on)",
        (false, false) => "no votes and no curation rewards",
    }
    .to_owned()
}

/// `@account share` for each beneficiary in `extensions`: an empty list without them, `None`
/// when an extension is not a readable beneficiaries list. Both the legacy form
/// `[0, {"beneficiaries": [...]}]` and the object form `{"type": ..., "value": {...}}` read.
fn beneficiaries(extensions: Option<&Value>) -> Option<Vec<String>> {
    let Some(extensions) = extensions else {
        return Some(Vec::new());
    };
    let mut shares = Vec::new();
    for extension in extensions.as_array()? {
        let body = match extension {
            Value::Array(pair) if pair.len() == 2 && pair[0] == 0 => &pair[1],
            Value::Object(tagged)
                if tagged.get("type").and_then(Value::as_str)
                    == Some("comment_payout_beneficiaries") =>
            {
                tagged.get("value")?
            }
            _ => return None,
        };
        for beneficiary in body.get("beneficiaries")?.as_array()? {
            let beneficiary = Fields(beneficiary.as_object()?);
            let name = beneficiary.account("account")?;
            let weight = beneficiary.int("weight")?;
            shares.push(format!(
                "{name} {}",
                percent(u64::try_from(weight).ok()?, 2)
            ));
        }
    }
    Some(shares)
}

fn custom_json(fields: &Fields) -> Option<String> {
    let id = clean(fields.text("id")?, NAME_CHARS);
    let posting = auths(fields, "required_posting_auths")?;
    let active = auths(fields, "required_auths")?;
    if id == "follow" {
        if let Some(line) = fields.text("json").and_then(follow_plugin) {
            return Some(line);
        }
    }
    Some(match (posting.first(), active.first()) {
        (Some(signer), _) => format!("{signer} sends custom_json \"{id}\""),
        (None, Some(signer)) => format!("{signer} sends custom_json \"{id}\" with the active key"),
        (None, None) => format!("custom_json \"{id}\" without any signing account"),
    })
}

/// The accounts in `key`, each as `@name`.
fn auths(fields: &Fields, key: &str) -> Option<Vec<String>> {
    fields
        .0
        .get(key)?
        .as_array()?
        .iter()
        .map(|name| account(name.as_str()?))
        .collect()
}

/// The `follow` plugin's `["follow", {...}]` and `["reblog", {...}]` payloads, as JSON text.
fn follow_plugin(json: &str) -> Option<String> {
    let payload: Value = serde_json::from_str(json).ok()?;
    let [kind, body] = payload.as_array()?.as_slice() else {
        return None;
    };
    let body = Fields(body.as_object()?);
    match kind.as_str()? {
        "follow" => {
            let follower = body.account("follower")?;
            let following = body.account("following")?;
            let what = body.0.get("what")?.as_array()?;
            let verb = match what.as_slice() {
                [] => "unfollows",
                [one] if one == "blog" => "follows",
                [one] if one == "ignore" => "mutes",
                _ => return None,
            };
            Some(format!("{follower} {verb} {following}"))
        }
        "reblog" => {
            let account = body.account("account")?;
            let target = body.post("author", "permlink")?;
            if body.has("delete") {
                Some(format!("{account} removes their reblog of {target}"))
            } else {
                Some(format!("{account} reblogs {target}"))
            }
        }
        _ => None,
    }
}

fn delete_comment(fields: &Fields) -> Option<String> {
    let author = fields.account("author")?;
    let target = fields.post("author", "permlink")?;
    Some(format!("{author} deletes {target}"))
}

fn claim_reward_balance(fields: &Fields) -> Option<String> {
    let account = fields.account("account")?;
    let (chain, liquid, dollars) = if fields.has("reward_steem") {
        (Chain::Steem, "reward_steem", "reward_sbd")
    } else {
        (Chain::Hive, "reward_hive", "reward_hbd")
    };
    let mut claimed = Vec::new();
    for key in [dollars, liquid, "reward_vests"] {
        let asset = fields.asset(key, chain)?;
        if asset.amount != 0 {
            claimed.push(asset.format(chain));
        }
    }
    if claimed.is_empty() {
        return Some(format!("{account} claims no rewards (every amount is 0)"));
    }
    Some(format!(
        "{account} claims {} in rewards",
        and_list(&claimed)
    ))
}

/// `@name`, on one line and at most [`NAME_CHARS`]; `None` for an empty name.
fn account(name: &str) -> Option<String> {
    let name = clean(name, NAME_CHARS);
    (!name.is_empty()).then(|| format!("@{name}"))
}

/// `@author/permlink`; `None` when either is empty.
fn post_ref(author: &str, permlink: &str) -> Option<String> {
    let permlink = clean(permlink, TEXT_CHARS);
    if permlink.is_empty() {
        return None;
    }
    Some(format!("{}/{permlink}", account(author)?))
}

/// `amount` with `decimals` implied decimals as a percentage without needless zeros:
/// `percent(5000, 2)` is `50 %`, `percent(50, 2)` is `0.5 %`, `percent(1234, 2)` is `12.34 %`.
fn percent(amount: u64, decimals: u32) -> String {
    let scale = 10_u64.pow(decimals);
    let (whole, fraction) = (amount / scale, amount % scale);
    if fraction == 0 {
        return format!("{whole} %");
    }
    let width = decimals as usize;
    let fraction = format!("{fraction:0width$}");
    format!("{whole}.{} %", fraction.trim_end_matches('0'))
}

/// `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `a, b, c`, or the first `shown` and how many more.
fn list(items: &[String], shown: usize) -> String {
    if items.len() <= shown {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..shown].join(", "),
        items.len() - shown
    )
}

/// `text` on one line (control characters become spaces), trimmed, at most `max_chars`
/// characters with `…` when cut.
fn clean(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= max_chars {
        return flat.to_owned();
    }
    let mut cut: String = flat.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::describe;
    use crate::hive::ops::examples::*;
    use crate::hive::ops::{
        json_metadata_for_post, Asset, Comment, CustomJson, Operation, Symbol, Vote, What, APP,
    };
    use crate::provider::Chain;
    use serde_json::json;

    fn on(chain: Chain, op: impl Into<Operation>) -> String {
        describe(&op.into().to_json(chain))
    }

    /// The line of an operation whose JSON is the same on Hive and Steem (checked).
    fn on_both(op: impl Into<Operation>) -> String {
        let op = op.into();
        let hive = on(Chain::Hive, op.clone());
        assert_eq!(on(Chain::Steem, op), hive);
        hive
    }

    fn post_tagged(tags: &[&str]) -> Comment {
        Comment {
            json_metadata: json_metadata_for_post(&strings(tags), APP),
            ..post()
        }
    }

    #[test]
    fn votes_say_who_votes_which_way_and_how_strongly() {
        let cases = [
            (vote(5000), "@alice upvotes @bob/bobs-post at 50 %"),
            (vote(10000), "@alice upvotes @bob/bobs-post at 100 %"),
            (vote(50), "@alice upvotes @bob/bobs-post at 0.5 %"),
            (vote(1234), "@alice upvotes @bob/bobs-post at 12.34 %"),
            (vote(-2500), "@alice downvotes @bob/bobs-post at 25 %"),
            (vote(-1), "@alice downvotes @bob/bobs-post at 0.01 %"),
            (
                Vote::unvote("alice", "bob", "bobs-post"),
                "@alice removes their vote on @bob/bobs-post",
            ),
        ];
        for (op, line) in cases {
            assert_eq!(on_both(op), line);
        }
    }

    #[test]
    fn a_post_names_its_title_link_category_and_tags() {
        assert_eq!(
            on_both(post()),
            "@alice publishes the post \"My first post\" (@alice/my-first-post) in hive-123456 \
             with the tag rust"
        );
        assert_eq!(
            on_both(post_tagged(&["hive-123456", "rust", "hive"])),
            "@alice publishes the post \"My first post\" (@alice/my-first-post) in hive-123456 \
             with tags rust, hive"
        );
        let many: Vec<String> = (0..10).map(|i| format!("tag{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(on_both(post_tagged(&many)).ends_with(
            "in hive-123456 with tags tag0, tag1, tag2, tag3, tag4, tag5, tag6, tag7 and 2 more"
        ));
    }

    #[test]
    fn a_post_without_title_or_readable_metadata_still_reads() {
        let bare = Comment {
            title: String::new(),
            json_metadata: "not json".into(),
            ..post()
        };
        assert_eq!(
            on_both(bare),
            "@alice publishes a post without a title (@alice/my-first-post) in hive-123456"
        );
        let long = Comment {
            title: format!("Line one\nline two {}", "x".repeat(200)),
            ..post()
        };
        let line = on_both(long);
        assert!(line.starts_with("@alice publishes the post \"Line one line two xx"));
        assert!(line.contains("x…\" (@alice/my-first-post)"), "{line}");
    }

    #[test]
    fn a_reply_names_the_comment_it_answers() {
        assert_eq!(on_both(reply()), "@alice replies to @bob/bobs-post");
    }

    #[test]
    fn payout_options_with_beneficiaries_on_hive_and_steem() {
        let options = comment_options(doc_beneficiaries());
        assert_eq!(
            on(Chain::Hive, options.clone()),
            "Payout options for @alice/my-first-post: author rewards paid 50 % in HBD and \
             50 % in Hive Power (the usual split); votes and curation rewards allowed; \
             beneficiaries @bob 5 % and @carol 10 %"
        );
        assert_eq!(
            on(Chain::Steem, options),
            "Payout options for @alice/my-first-post: author rewards paid 50 % in SBD and \
             50 % in Steem Power (the usual split); votes and curation rewards allowed; \
             beneficiaries @bob 5 % and @carol 10 %"
        );
    }

    #[test]
    fn payout_options_say_the_cap_the_split_votes_and_curation() {
        let mut options = comment_options(vec![beneficiary("bob", 550)]);
        options.max_accepted_payout = Asset::new(100_000, Symbol::Hbd);
        options.percent_hbd = 0;
        options.allow_curation_rewards = false;
        let prefix = "Payout options for @alice/my-first-post: ";
        assert_eq!(
            on(Chain::Hive, options.clone()),
            format!(
                "{prefix}at most 100.000 HBD in all; author rewards paid 100 % in Hive Power; \
                 votes allowed but no curation rewards; beneficiary @bob 5.5 %"
            )
        );
        assert_eq!(
            on(Chain::Steem, options.clone()),
            format!(
                "{prefix}at most 100.000 SBD in all; author rewards paid 100 % in Steem Power; \
                 votes allowed but no curation rewards; beneficiary @bob 5.5 %"
            )
        );

        let mut options = comment_options(Vec::new());
        options.percent_hbd = 5000;
        options.allow_votes = false;
        assert_eq!(
            on(Chain::Hive, options.clone()),
            format!(
                "{prefix}author rewards paid 25 % in HBD and 75 % in Hive Power; \
                 no votes allowed (curation rewards left on)"
            )
        );
        options.percent_hbd = 1;
        options.allow_curation_rewards = false;
        assert_eq!(
            on(Chain::Steem, options),
            format!(
                "{prefix}author rewards paid 0.005 % in SBD and 99.995 % in Steem Power; \
                 no votes and no curation rewards"
            )
        );
    }

    #[test]
    fn a_declined_payout_says_so_instead_of_the_split() {
        let mut options = comment_options(Vec::new());
        options.max_accepted_payout = Asset::zero(Symbol::Hbd);
        let line = "Payout options for @alice/my-first-post: no payout (declined); \
                    votes and curation rewards allowed";
        assert_eq!(on(Chain::Hive, options.clone()), line);
        assert_eq!(on(Chain::Steem, options), line);
    }

    #[test]
    fn beneficiaries_read_in_the_object_form_too() {
        let op = json!(["comment_options", {
            "author": "alice", "permlink": "p", "max_accepted_payout": "1000000.000 HBD",
            "percent_hbd": 10000, "allow_votes": true, "allow_curation_rewards": true,
            "extensions": [{"type": "comment_payout_beneficiaries",
                            "value": {"beneficiaries": [{"account": "bob", "weight": 10000}]}}],
        }]);
        assert!(describe(&op).ends_with("; beneficiary @bob 100 %"));
    }

    #[test]
    fn follow_plugin_operations_say_what_changes() {
        let cases = [
            (
                CustomJson::follow("alice", "bob", What::Blog),
                "@alice follows @bob",
            ),
            (
                CustomJson::follow("alice", "bob", What::Nothing),
                "@alice unfollows @bob",
            ),
            (
                CustomJson::follow("alice", "bob", What::Ignore),
                "@alice mutes @bob",
            ),
            (
                CustomJson::reblog("alice", "bob", "bobs-post"),
                "@alice reblogs @bob/bobs-post",
            ),
        ];
        for (op, line) in cases {
            assert_eq!(on_both(op), line);
        }
        let mut undo = CustomJson::reblog("alice", "bob", "bobs-post");
        undo.json = r#"["reblog",{"account":"alice","author":"bob","permlink":"bobs-post","delete":"delete"}]"#.into();
        assert_eq!(
            on_both(undo),
            "@alice removes their reblog of @bob/bobs-post"
        );
    }

    #[test]
    fn other_custom_json_names_its_id_and_signer() {
        let mut other = CustomJson {
            required_auths: Vec::new(),
            required_posting_auths: strings(&["alice"]),
            id: "community".into(),
            json: r#"["subscribe",{"community":"hive-123456"}]"#.into(),
        };
        assert_eq!(
            on_both(other.clone()),
            "@alice sends custom_json \"community\""
        );
        other.required_auths = std::mem::take(&mut other.required_posting_auths);
        assert_eq!(
            on_both(other.clone()),
            "@alice sends custom_json \"community\" with the active key"
        );
        other.required_auths.clear();
        assert_eq!(
            on_both(other),
            "custom_json \"community\" without any signing account"
        );
        let mut odd_follow = CustomJson::follow("alice", "bob", What::Blog);
        odd_follow.json =
            r#"["follow",{"follower":"alice","following":"bob","what":["x"]}]"#.into();
        assert_eq!(on_both(odd_follow), "@alice sends custom_json \"follow\"");
    }

    #[test]
    fn a_deletion_names_the_comment() {
        assert_eq!(
            on_both(delete_comment()),
            "@alice deletes @alice/my-first-post"
        );
    }

    #[test]
    fn a_claim_lists_only_what_it_claims() {
        assert_eq!(
            on(Chain::Hive, claim(2_000, 1_000, 12_345_678)),
            "@alice claims 1.000 HBD, 2.000 HIVE and 12.345678 VESTS in rewards"
        );
        assert_eq!(
            on(Chain::Steem, claim(2_000, 1_000, 12_345_678)),
            "@alice claims 1.000 SBD, 2.000 STEEM and 12.345678 VESTS in rewards"
        );
        assert_eq!(
            on(Chain::Hive, claim(0, 0, 12_345_678)),
            "@alice claims 12.345678 VESTS in rewards"
        );
        assert_eq!(
            on(Chain::Steem, claim(0, 5, 0)),
            "@alice claims 0.005 SBD in rewards"
        );
        assert_eq!(
            on(Chain::Hive, claim(0, 0, 0)),
            "@alice claims no rewards (every amount is 0)"
        );
    }

    #[test]
    fn unreadable_operations_send_the_reader_to_the_json() {
        let cases = [
            (
                json!(null),
                "An operation Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!([]),
                "An operation Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!({"vote": {}}),
                "An operation Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["vote"]),
                "vote, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["vote", {"voter": "alice", "author": "bob", "permlink": "p", "weight": 0.5}]),
                "vote, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["vote", {"voter": "", "author": "bob", "permlink": "p", "weight": 1}]),
                "vote, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["claim_reward_balance", {"account": "alice", "reward_hive": "-1.000 HIVE",
                        "reward_hbd": "0.000 HBD", "reward_vests": "0.000000 VESTS"}]),
                "claim_reward_balance, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["comment_options", {"author": "alice", "permlink": "p",
                        "max_accepted_payout": "1.000 HBD", "percent_hbd": 20000,
                        "allow_votes": true, "allow_curation_rewards": true, "extensions": []}]),
                "comment_options, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["comment_options", {"author": "alice", "permlink": "p",
                        "max_accepted_payout": "1.000 HBD", "percent_hbd": 10000,
                        "allow_votes": true, "allow_curation_rewards": true,
                        "extensions": [[1, {"votable_assets": []}]]}]),
                "comment_options, in a form Authdeck cannot read (check the exact JSON)",
            ),
            (
                json!(["transfer", {"from": "alice", "to": "bob", "amount": "1.000 HIVE"}]),
                "transfer: Authdeck does not put this operation into words (check the exact JSON)",
            ),
            (
                json!(["", {}]),
                "An operation without a name (check the exact JSON)",
            ),
            (
                json!(["evil\nname", {}]),
                "evil name: Authdeck does not put this operation into words (check the exact JSON)",
            ),
        ];
        for (op, line) in cases {
            assert_eq!(describe(&op), line, "{op}");
        }
    }

    #[test]
    fn names_from_the_json_stay_on_one_short_line() {
        let op = json!(["vote", {"voter": "al\nice", "author": "b".repeat(100),
                                 "permlink": "p\u{7}", "weight": i64::MIN}]);
        let line = describe(&op);
        assert_eq!(
            line,
            format!(
                "@al ice downvotes @{}…/p at 92233720368547758.08 %",
                "b".repeat(31)
            )
        );
    }

    proptest::proptest! {
        #[test]
        fn any_json_gets_one_line(text in "\\PC{0,200}", weight: i64, flag: bool) {
            let inputs = [
                json!(["vote", {"voter": text, "author": text, "permlink": text, "weight": weight}]),
                json!(["comment", {"parent_author": "", "parent_permlink": text, "author": "a",
                                   "permlink": "p", "title": text, "json_metadata": text}]),
                json!(["custom_json", {"required_auths": [], "required_posting_auths": [text],
                                       "id": "follow", "json": text}]),
                json!(["comment_options", {"author": "a", "permlink": "p",
                        "max_accepted_payout": text, "percent_hbd": weight,
                        "allow_votes": flag, "allow_curation_rewards": flag, "extensions": text}]),
                json!([text, {}]),
                json!(text),
            ];
            for op in inputs {
                let line = describe(&op);
                proptest::prop_assert!(!line.is_empty());
                proptest::prop_assert!(!line.contains('\n'), "{}", line);
            }
        }
    }
}
