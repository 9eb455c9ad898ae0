//! Reading the Secret Service from the outside, with its own client (`secret-tool`), so tests
//! check what really is in the keyring rather than what the code under test says.

use std::process::Command;

/// The entries stored under `service`: `(key, secret)` pairs, sorted.
pub fn entries(service: &str) -> Vec<(String, String)> {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", service])
        .output()
        .expect("secret-tool runs (package libsecret-tools)");
    // Secrets go to stdout and attributes to stderr, item by item in the same order.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let secrets = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("secret = "));
    let keys = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("attribute.username = "));
    let mut entries: Vec<(String, String)> = keys
        .zip(secrets)
        .map(|(key, secret)| (key.to_owned(), secret.to_owned()))
        .collect();
    entries.sort();
    entries
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
