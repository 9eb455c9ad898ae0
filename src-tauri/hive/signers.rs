//! Who an operation acts as: the accounts named as its signer (the voter, the author, the
//! claiming account, the `custom_json` auths and the follow plugin's actor), read from the
//! legacy JSON. Before anything goes out, each of them must be the account whose token signs.

use serde_json::Value;

/// The accounts `operation` (legacy JSON `[name, {fields}]`) acts as, in the order they
/// appear. An operation whose signer Authdeck cannot tell gives an empty list.
pub fn named_signers(operation: &Value) -> Vec<String> {
    let (Some(name), Some(body)) = (
        operation.get(0).and_then(Value::as_str),
        operation.get(1).filter(|body| body.is_object()),
    ) else {
        return Vec::new();
    };
    let fields: &[&str] = match name {
        "vote" => &["voter"],
        "comment" | "comment_options" | "delete_comment" => &["author"],
        "claim_reward_balance" | "account_update2" => &["account"],
        "transfer" | "transfer_to_vesting" | "transfer_to_savings" => &["from"],
        _ => &[],
    };
    let mut names: Vec<String> = fields
        .iter()
        .filter_map(|field| body.get(*field).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    if name == "custom_json" {
        for field in ["required_auths", "required_posting_auths"] {
            let listed = body.get(field).and_then(Value::as_array);
            names.extend(listed.into_iter().flatten().map(account_text));
        }
        names.extend(follow_plugin_actor(body));
    }
    names
}

/// The first account named by `operations` that is not `signer`, or `None` when every
/// operation names `signer` and only `signer`. An operation with no readable signer counts as
/// naming nobody, which is a mismatch too (reported as `"(nobody)"`).
pub fn first_other_signer(signer: &str, operations: &[Value]) -> Option<String> {
    operations.iter().find_map(|operation| {
        let names = named_signers(operation);
        if names.is_empty() {
            return Some("(nobody)".to_owned());
        }
        names.into_iter().find(|name| name != signer)
    })
}

fn account_text(value: &Value) -> String {
    value.as_str().unwrap_or("(not a name)").to_owned()
}

/// The follow plugin's payload names its actor again (`follower`, or `account` for a reblog).
fn follow_plugin_actor(body: &Value) -> Option<String> {
    if body.get("id").and_then(Value::as_str) != Some("follow") {
        return None;
    }
    let payload: Value = serde_json::from_str(body.get("json")?.as_str()?).ok()?;
    let fields = payload.get(1)?;
    ["follower", "account"]
        .iter()
        .find_map(|field| fields.get(*field))
        .map(account_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hive::ops::{CustomJson, Operation, What};
    use crate::provider::Chain;
    use serde_json::json;

    #[test]
    fn each_kind_names_its_signer_not_the_post_author() {
        let vote =
            json!(["vote", {"voter": "alice", "author": "bob", "permlink": "p", "weight": 1}]);
        assert_eq!(named_signers(&vote), ["alice"]);
        let reply =
            json!(["comment", {"parent_author": "bob", "author": "alice", "permlink": "r"}]);
        assert_eq!(named_signers(&reply), ["alice"]);
        let claim = json!(["claim_reward_balance", {"account": "alice"}]);
        assert_eq!(named_signers(&claim), ["alice"]);
        let follow = Operation::from(CustomJson::follow("alice", "bob", What::Blog));
        assert_eq!(
            named_signers(&follow.to_json(Chain::Hive)),
            ["alice", "alice"]
        );
        let reblog = Operation::from(CustomJson::reblog("alice", "bob", "p"));
        assert_eq!(
            named_signers(&reblog.to_json(Chain::Hive)),
            ["alice", "alice"]
        );
    }

    #[test]
    fn another_account_anywhere_is_found() {
        let ops = |voter: &str| vec![json!(["vote", {"voter": voter, "author": "bob"}])];
        assert_eq!(first_other_signer("alice", &ops("alice")), None);
        assert_eq!(
            first_other_signer("carol", &ops("alice")).as_deref(),
            Some("alice")
        );
        let forged = json!(["custom_json", {"required_auths": [], "required_posting_auths": ["alice"],
            "id": "follow", "json": "[\"follow\",{\"follower\":\"mallory\",\"following\":\"bob\",\"what\":[]}]"}]);
        assert_eq!(
            first_other_signer("alice", &[forged]).as_deref(),
            Some("mallory")
        );
        let unknown = json!(["witness_update", {"owner": "alice"}]);
        assert_eq!(
            first_other_signer("alice", &[unknown]).as_deref(),
            Some("(nobody)")
        );
        assert_eq!(
            first_other_signer("alice", &[json!("garbage")]).as_deref(),
            Some("(nobody)")
        );
    }
}
