//! Reading the Secret Service from the outside, with its own client (`secret-tool`), so tests
//! check what really is in the keyring rather than what the code under test says.

use std::process::Command;

/// One Secret Service item, as `secret-tool` shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// Its `username` attribute: the entry's key.
    pub key: String,
    /// What a keyring manager shows for it.
    pub label: String,
    /// The secret.
    pub secret: String,
}

/// The items stored under `service`, sorted by key.
pub fn items(service: &str) -> Vec<Item> {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", service])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    // Labels and secrets go to stdout and attributes to stderr, item by item in the same order.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let field = |text: &str, prefix: &str| -> Vec<String> {
        text.lines()
            .filter_map(|line| line.strip_prefix(prefix))
            .map(str::to_owned)
            .collect()
    };
    let labels = field(&stdout, "label = ");
    let secrets = field(&stdout, "secret = ");
    let keys = field(&stderr, "attribute.username = ");
    let mut items: Vec<Item> = keys
        .into_iter()
        .zip(labels.into_iter().zip(secrets))
        .map(|(key, (label, secret))| Item { key, label, secret })
        .collect();
    items.sort();
    items
}

/// The entries stored under `service`: `(key, secret)` pairs, sorted.
pub fn entries(service: &str) -> Vec<(String, String)> {
    items(service)
        .into_iter()
        .map(|item| (item.key, item.secret))
        .collect()
}

/// The keys stored under `service`.
pub fn keys(service: &str) -> Vec<String> {
    entries(service).into_iter().map(|(key, _)| key).collect()
}

/// Deletes every entry under `service`.
pub fn clear(service: &str) {
    let _ = Command::new("secret-tool")
        .args(["clear", "service", service])
        .status();
}
