//! The core (no window) wired to real parts for integration tests: a [`Core`] (a SQLite
//! registry file in a temporary directory, the real OS keyring under a service name of its
//! own, a manual clock, recorded events), a fake Hivesigner over real HTTP, and a fake API node
//! that sees what the fake Hivesigner broadcasts (the core's only node, for both chains).

use std::sync::Arc;
use std::time::Duration;

use authdeck::accounts::AccountId;
use authdeck::accounts::AccountView;
use authdeck::activity::{ActivityEntry, ActivityFilter};
use authdeck::catalog::AppView;
use authdeck::chain::NodeList;
use authdeck::error::Error;
use authdeck::service::Settings;

use super::core::Core;
use fake_hivesigner::node::FakeNode;
use fake_hivesigner::{consent, Consent, Dialect, FakeConfig, FakeHivesigner, RedirectRules};

/// The client secret the fake and the app share in these tests.
pub const SECRET: &str = "correct-horse-battery-staple";

/// A core, the fake it talks to, and the handles tests turn (the core's own, its clock,
/// events, keyring service and data directory, through [`Core`]).
pub struct Deck {
    /// The core and its parts.
    pub deck: Core,
    /// The provider.
    pub fake: FakeHivesigner,
    /// The chain, as its API node shows it.
    pub node: Arc<FakeNode>,
    /// The preset that speaks the fake's dialect.
    preset: &'static str,
}

impl std::ops::Deref for Deck {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.deck
    }
}

/// Settings for tests: fast retries, short HTTP timeout.
pub fn test_settings() -> Settings {
    Settings {
        retry_first_delay: Duration::from_millis(10),
        http_timeout: Duration::from_secs(2),
        ..Settings::default()
    }
}

impl Deck {
    /// The activity log's unresolved failures and unknowns (the "Errors only" view).
    pub fn open_failures(&self) -> Vec<ActivityEntry> {
        self.core
            .broadcaster()
            .list_activity(&ActivityFilter {
                errors_only: true,
                ..Default::default()
            })
            .unwrap()
    }

    /// A deck against a fake started with `config`.
    pub async fn start(config: FakeConfig) -> Self {
        Self::start_with(config, test_settings()).await
    }

    /// A deck with its own settings.
    pub async fn start_with(config: FakeConfig, mut settings: Settings) -> Self {
        let preset = match config.dialect {
            Dialect::Hivesigner => "hivesigner_compatible",
            Dialect::SteemconnectV2 => "steemconnect_compatible",
        };
        let fake = FakeHivesigner::start(config).await;
        let node = Arc::new(FakeNode::start().await);
        let chain = node.clone();
        fake.on_broadcast(Arc::new(move |operations| chain.apply(operations)));
        let node_url = url::Url::parse(&node.url()).unwrap();
        settings.nodes = NodeList::new(vec![node_url.clone()], vec![node_url]);
        Self {
            deck: Core::start(settings),
            fake,
            node,
            preset,
        }
    }

    /// A deck (legacy redirect rules) with `users` signed in to one deep-link app `client_id`;
    /// returns their account ids in order.
    pub async fn with_accounts(client_id: &str, users: &[&str]) -> (Self, Vec<AccountId>) {
        let deck = Self::start(FakeConfig {
            redirect_rules: RedirectRules::Legacy,
            ..FakeConfig::default()
        })
        .await;
        let app = deck.deep_link_app(client_id).await;
        let mut ids = Vec::new();
        for user in users {
            deck.fake.set_consent(Consent::AutoApprove {
                user: user.to_string(),
            });
            ids.push(deck.sign_in(&app).await.unwrap().account.id);
        }
        (deck, ids)
    }

    /// Registers `client_id` at the fake (with [`SECRET`] and `redirect_uris`) and in the core
    /// with `secret`, `scopes` and `redirect_mode`.
    pub async fn register(
        &self,
        client_id: &str,
        secret: Option<&str>,
        scopes: &[&str],
        redirect_mode: &str,
        redirect_uris: &[&str],
    ) -> AppView {
        self.fake.register_app(client_id, SECRET, redirect_uris);
        let input = serde_json::json!({
            "preset": self.preset,
            "baseUrl": self.fake.base_url(),
            "clientId": client_id,
            "scopes": scopes,
            "redirectMode": redirect_mode,
            "clientSecret": secret,
        });
        self.core
            .catalog()
            .register_app(serde_json::from_value(input).unwrap())
            .await
            .expect("the app registers")
    }

    /// A code-flow app using the deep link, registered with the right secret.
    pub async fn deep_link_app(&self, client_id: &str) -> AppView {
        self.register(
            client_id,
            Some(SECRET),
            &["posting", "offline"],
            "custom_scheme",
            &["authdeck://callback"],
        )
        .await
    }

    /// A code-flow app using the loopback listener, registered with the right secret.
    pub async fn loopback_app(&self, client_id: &str) -> AppView {
        self.register(
            client_id,
            Some(SECRET),
            &["posting", "offline"],
            "loopback",
            &["http://127.0.0.1/callback"],
        )
        .await
    }

    /// An implicit-flow app (posting, no refresh) using the deep link, without a secret.
    pub async fn implicit_app(&self, client_id: &str) -> AppView {
        self.register(
            client_id,
            None,
            &["posting"],
            "custom_scheme",
            &["authdeck://callback"],
        )
        .await
    }

    /// Starts a sign-in for `app` and plays the browser: returns where the provider redirects.
    pub async fn consent_redirect(&self, app: &AppView) -> String {
        let started = self
            .core
            .sign_ins()
            .start_sign_in(app.id, None)
            .await
            .expect("sign-in starts");
        consent(&started.authorize_url)
            .await
            .expect("the provider redirects back")
    }

    /// Signs `app` in through the deep-link path and returns the account.
    pub async fn sign_in(&self, app: &AppView) -> Result<AccountView, Error> {
        let redirect = self.consent_redirect(app).await;
        self.core.sign_ins().complete_sign_in(&redirect).await
    }

    /// Signs the app `app_id` in again and returns the account's id.
    pub async fn sign_in_app_id(
        &self,
        app_id: authdeck::apps::AppId,
    ) -> authdeck::accounts::AccountId {
        let app = self.core.catalog().app_view(app_id).unwrap();
        self.sign_in(&app).await.unwrap().account.id
    }
}
