//! Accounts written straight into a data folder's registry (display only: no tokens), for the
//! window tests that list many of them.

use std::path::Path;

use authdeck::accounts::{Health, NewAccount};
use authdeck::apps::{AppInput, Flow};
use authdeck::registry::Registry;
use serde_json::json;

/// Seeds `count` accounts `user00000`, `user00001`, … of one Hivesigner app `client_id`:
/// account `i` expires `expiry(i)` seconds from now, signed in by the implicit flow when
/// `implicit(i)` (else the code flow), and marked as needing a sign-in when `refused(i)`.
pub fn accounts(
    data_dir: &Path,
    client_id: &str,
    count: usize,
    expiry: impl Fn(usize) -> i64,
    implicit: impl Fn(usize) -> bool,
    refused: impl Fn(usize) -> bool,
) {
    let registry = Registry::open(&data_dir.join(authdeck::REGISTRY_FILE)).unwrap();
    let app: AppInput = serde_json::from_value(json!({
        "preset": "hivesigner",
        "clientId": client_id,
        "scopes": ["posting", "offline"],
    }))
    .unwrap();
    let app_id = registry
        .insert_app(&app.validate().unwrap(), true, 0)
        .unwrap();
    let now = authdeck::clock::Clock::now(&authdeck::clock::SystemClock);
    for index in 0..count {
        let id = registry
            .upsert_account(
                &NewAccount {
                    app_id,
                    username: format!("user{index:05}"),
                    scopes: vec!["vote".into(), "comment".into(), "custom_json".into()],
                    flow: if implicit(index) {
                        Flow::Implicit
                    } else {
                        Flow::Code
                    },
                    issued_at: now,
                    expires_at: Some(now + expiry(index)),
                },
                now,
            )
            .unwrap();
        if refused(index) {
            registry
                .set_health(
                    id,
                    Health::NeedsSignIn,
                    Some("The provider refused the grant."),
                )
                .unwrap();
        }
    }
}
