//! Custody for the newer provider kinds, checked from the outside as `tests/custody.rs` does
//! for Hivesigner: after a whole session on an OAuth 2.0 server (confidential clients over
//! both redirect paths, refresh with rotation, a refused sign-in, removal with revocation)
//! and on a token site (an authorize sign-in over both paths, a personal token, removal), no
//! token, code, PKCE verifier or client secret is in the app's data directory (the SQLite
//! files), in the log files (at trace level), or in any reply the window would get.
//!
//! Needs the test session's keyring: run it through `scripts/test.sh`, or
//! `scripts/session.sh cargo test --test custody_kinds -- --include-ignored`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use authdeck::accounts::AccountId;
use authdeck::catalog::RemovedAccount;
use authdeck::events::AppEvent;
use fake_hivesigner::consent;
use fake_hivesigner::oauth2::{AuthMethod, Endpoint, OAuth2Config};
use fake_hivesigner::token_site::TokenSiteConfig;
use secrecy::ExposeSecret;
use serde_json::json;
use support::kinds::{
    contains, files, query_value, Core, Delivered, OAuthDeck, SiteDeck, OAUTH_SECRET,
};

/// The log directory of this test binary: file logging at trace level, installed once for
/// both tests (the subscriber is global).
fn logs() -> &'static Path {
    static LOGS: OnceLock<PathBuf> = OnceLock::new();
    LOGS.get_or_init(|| {
        // Inside the test session's cache directory, which the session removes at its end.
        let parent = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = parent.join(format!(
            "authdeck-custody-kinds-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::env::set_var(authdeck::logging::LOG_FILTER_VAR, "trace");
        authdeck::logging::init(Some(&dir)).expect("file logging starts");
        dir
    })
}

/// A reply as the JSON the window would receive.
fn json<T: serde::Serialize>(reply: &T) -> String {
    serde_json::to_string(reply).unwrap()
}

/// What the session handled that must stay in the keyring (or nowhere), and what the window
/// was told.
#[derive(Default)]
struct Session {
    needles: BTreeSet<String>,
    replies: Vec<String>,
}

impl Session {
    /// Remembers a secret value (ignoring short ones no scan could tell from other text).
    fn secret(&mut self, value: impl Into<String>) {
        let value = value.into();
        assert!(value.len() >= 16, "a believable secret: {value:?}");
        self.needles.insert(value);
    }

    /// Remembers every token now in the core's keyring.
    fn keyring_tokens(&mut self, core: &Core) {
        for (_, stored) in core.account_entries() {
            for field in ["access_token", "refresh_token"] {
                if let Some(token) = stored[field].as_str() {
                    self.secret(token);
                }
            }
        }
    }

    fn reply<T: serde::Serialize>(&mut self, reply: &T) {
        self.replies.push(json(reply));
    }

    /// The sign-in progress the window was told, as it would receive it.
    fn progress(&mut self, core: &Core) {
        for event in core.events.all() {
            if let AppEvent::SignIn(progress) = event {
                self.reply(&progress);
            }
        }
    }

    /// Ends the session: the window's lists, the removal of `accounts` (their replies are
    /// returned), the list after and the sign-in progress. One account (the loopback one)
    /// must remain in the keyring for the scan.
    async fn remove(&mut self, core: &Core, accounts: &[AccountId]) -> Vec<RemovedAccount> {
        let catalog = core.core.catalog();
        self.reply(&catalog.list_apps().unwrap());
        self.reply(&catalog.list_accounts().unwrap());
        let mut removed = Vec::new();
        for id in accounts {
            let reply = catalog.remove_account(*id).await.unwrap();
            self.reply(&reply);
            removed.push(reply);
        }
        self.reply(&catalog.list_accounts().unwrap());
        self.progress(core);
        assert_eq!(
            core.account_entries().len(),
            1,
            "the loopback account remains"
        );
        removed
    }

    /// Scans the data directory, the logs and the replies for every needle (at least
    /// `at_least` of them, or the session did not handle what it meant to).
    fn scan(&self, core: &Core, at_least: usize) {
        assert!(
            self.needles.len() >= at_least,
            "{} needles: {:?}",
            self.needles.len(),
            self.needles
        );
        // The needles are the real values: what remains in the keyring is among them.
        let kept = core.keyring_entries();
        assert!(
            kept.iter()
                .any(|(_, value)| self.needles.iter().any(|needle| value.contains(needle))),
            "no needle is in the keyring: {:?}",
            kept.iter().map(|(key, _)| key).collect::<Vec<_>>()
        );
        let mut scanned = files(core.data.path());
        assert!(scanned
            .iter()
            .any(|(name, _)| name.contains("registry.sqlite3")));
        scanned.extend(files(logs()));
        assert!(
            scanned
                .iter()
                .any(|(name, bytes)| name.ends_with(".log") && !bytes.is_empty()),
            "the log file exists and was written: {:?}",
            scanned.iter().map(|(name, _)| name).collect::<Vec<_>>()
        );
        for (name, bytes) in &scanned {
            for needle in &self.needles {
                assert!(!contains(bytes, needle), "{needle} found in {name}");
            }
        }
        for reply in &self.replies {
            for needle in &self.needles {
                assert!(
                    !reply.contains(needle),
                    "{needle} found in a reply: {reply}"
                );
            }
        }
    }
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn no_token_code_or_secret_outside_the_keyring_after_an_oauth2_session() {
    logs();
    let deck = OAuthDeck::start(OAuth2Config {
        issuer_path: "/oauth".into(),
        ..OAuth2Config::default()
    })
    .await;
    let mut session = Session::default();
    session.secret(OAUTH_SECRET);

    let linked = deck
        .confidential_app(
            "custodylink",
            AuthMethod::ClientSecretBasic,
            "custom_scheme",
        )
        .await;
    session.reply(&linked);
    let looped = deck
        .confidential_app("custodyloop", AuthMethod::ClientSecretPost, "loopback")
        .await;
    session.reply(&looped);

    // The deep link.
    let (started, redirect) = deck.consent_redirect(&linked).await;
    session.reply(&started);
    session.secret(query_value(&redirect, "code").unwrap());
    let account = deck.deliver(&redirect).await.reply().unwrap();
    session.reply(&account);
    let exchanged = deck.fake.last_request(Endpoint::Token).unwrap();
    session.secret(exchanged.field("code_verifier").unwrap());
    session.keyring_tokens(&deck);
    let replayed = deck.deliver(&redirect).await.reply().unwrap_err();
    session.reply(&replayed);

    // The loopback listener, and the page the browser shows.
    let (started, redirect) = deck.consent_redirect(&looped).await;
    session.reply(&started);
    session.secret(query_value(&redirect, "code").unwrap());
    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200, "{page}");
    session.replies.push(page);
    let exchanged = deck.fake.last_request(Endpoint::Token).unwrap();
    session.secret(exchanged.field("code_verifier").unwrap());
    session.keyring_tokens(&deck);

    // A refused sign-in: the code was issued, the exchange failed.
    deck.fake_confidential_client("custodywrong", AuthMethod::ClientSecretBasic);
    let wrong = deck
        .register_json(deck.input(
            "custodywrong",
            "custom_scheme",
            json!({"clientSecret": "custody-wrong-secret-5e2f81", "clientAuth": "client_secret_basic"}),
        ))
        .await
        .unwrap();
    session.secret("custody-wrong-secret-5e2f81");
    session.reply(&wrong);
    let (_, redirect) = deck.consent_redirect(&wrong).await;
    session.secret(query_value(&redirect, "code").unwrap());
    let refused = deck.deliver(&redirect).await.reply().unwrap_err();
    assert_eq!(refused.code(), "client_rejected");
    session.reply(&refused);

    // Refresh (rotation), by a caller and by "refresh now".
    deck.advance(2_800);
    let token = deck.access_token(account.account.id).await.unwrap();
    session.secret(token.expose_secret());
    session.keyring_tokens(&deck);
    deck.core
        .tokens()
        .refresh_now(account.account.id)
        .await
        .unwrap();
    session.keyring_tokens(&deck);
    assert_eq!(
        deck.fake.calls(Endpoint::Token),
        5,
        "3 exchanges, 2 refreshes"
    );

    let removed = session.remove(&deck, &[account.account.id]).await;
    assert!(removed[0].revoked_at_provider);
    // 2 secrets, 3 codes, 2 verifiers, 4 refresh and 4 access tokens.
    session.scan(&deck, 15);
}

#[tokio::test]
#[ignore = "needs the test session's keyring: run scripts/test.sh"]
async fn no_token_outside_the_keyring_after_a_token_site_session() {
    logs();
    let deck = SiteDeck::start(TokenSiteConfig::default()).await;
    let mut session = Session::default();

    let linked = deck.app("custodysite", "custom_scheme").await;
    session.reply(&linked);
    let looped = deck.app("custodysiteloop", "loopback").await;
    session.reply(&looped);

    // The deep link, then the same answer again.
    let started = deck.start_sign_in(&linked).await;
    session.reply(&started);
    let redirect = consent(&started.authorize_url).await.unwrap();
    session.secret(query_value(&redirect, "token").unwrap());
    let account = deck.deliver(&redirect).await.reply().unwrap();
    session.reply(&account);
    let replayed = deck.deliver(&redirect).await.reply().unwrap_err();
    session.reply(&replayed);

    // The fixed loopback port, and the page the browser shows.
    let started = deck.start_sign_in(&looped).await;
    session.reply(&started);
    let redirect = consent(&started.authorize_url).await.unwrap();
    session.secret(query_value(&redirect, "token").unwrap());
    let Delivered::Loopback { status, page } = deck.deliver(&redirect).await else {
        unreachable!()
    };
    assert_eq!(status, 200, "{page}");
    session.replies.push(page);

    // A token the site refuses, and a personal token.
    let (_, redirect) = deck.consent_redirect(&linked).await;
    session.secret(query_value(&redirect, "token").unwrap());
    deck.fake.revoke_on_settings_page("alice", "custodysite");
    let refused = deck.deliver(&redirect).await.reply().unwrap_err();
    session.reply(&refused);
    let bad = "custody-unknown-site-token-77ab31";
    session.secret(bad);
    let refused = deck.paste_token(linked.id, bad).await.unwrap_err();
    session.reply(&refused);
    let personal = deck.fake.mint_personal_token("dave");
    session.secret(&personal);
    let pasted = deck.paste_token(linked.id, &personal).await.unwrap();
    session.reply(&pasted);
    session.keyring_tokens(&deck);

    session
        .remove(&deck, &[account.account.id, pasted.account.id])
        .await;
    // 3 redirect tokens, the unknown one and the personal one.
    session.scan(&deck, 5);
}
