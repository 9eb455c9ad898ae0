//! The core (no window) wired to real parts against the two newer provider kinds: a fake
//! OAuth 2.0 / OpenID Connect server ([`OAuthDeck`]) or a fake "apps tab" token site
//! ([`SiteDeck`]), over real HTTP, with a [`Core`] (a SQLite registry in a temporary
//! directory, the real OS keyring under a service name of its own, a manual clock and
//! recorded events) and what these tests ask of it. Also a
//! canned HTTP endpoint ([`Canned`]) that answers whatever a test tells it to, for the error
//! answers no fake gives.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authdeck::accounts::{AccountId, AccountView};
use authdeck::apps::{AppId, AppInput};
use authdeck::catalog::{AppView, RemovedAccount};
use authdeck::chain::NodeList;
use authdeck::error::Error;
use authdeck::service::Settings;
use authdeck::signin::SignInStarted;
use fake_hivesigner::consent;
use fake_hivesigner::oauth2::{AuthMethod, Client, FakeOAuth2, OAuth2Config};
use fake_hivesigner::token_site::{FakeTokenSite, TokenSiteConfig};
use secrecy::SecretString;
use serde_json::{json, Value};

pub use super::core::{contains, files, Core};

/// The client secret the fake OAuth 2.0 server and a confidential app share in these tests
/// (long and distinctive, so a scan for it cannot match by chance).
pub const OAUTH_SECRET: &str = "oauth-client-secret-9f4c1e7a2b6d";

/// The scopes an OAuth 2.0 app asks for by default: a refresh token comes only with
/// `offline_access` (and the `prompt=consent` the core adds for it).
pub const OFFLINE_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// Settings for tests: fast retries, a short HTTP timeout, and API nodes that are never
/// reached (nothing of these kinds broadcasts).
pub fn test_settings() -> Settings {
    let nowhere = url::Url::parse("http://127.0.0.1:9").unwrap();
    Settings {
        retry_first_delay: Duration::from_millis(10),
        http_timeout: Duration::from_secs(2),
        nodes: NodeList::new(vec![nowhere.clone()], vec![nowhere]),
        ..Settings::default()
    }
}

impl Core {
    /// Registers an app from the form's JSON (camelCase keys, as the window sends them).
    pub async fn register_json(&self, input: Value) -> Result<AppView, Error> {
        let input: AppInput = serde_json::from_value(input).expect("a well-formed AppInput");
        self.core.catalog().register_app(input).await
    }

    /// The one app secret entry (`app-secret/...`): its key and the secret.
    pub fn stored_app_secret(&self) -> (String, String) {
        let mut secrets: Vec<_> = self
            .keyring_entries()
            .into_iter()
            .filter(|(key, _)| key.starts_with("app-secret/"))
            .collect();
        assert_eq!(secrets.len(), 1, "one client secret in the keyring");
        secrets.remove(0)
    }

    /// The account entries (`account/...`), their JSON parsed.
    pub fn account_entries(&self) -> Vec<(String, Value)> {
        self.keyring_entries()
            .into_iter()
            .filter(|(key, _)| key.starts_with("account/"))
            .map(|(key, value)| {
                let parsed = serde_json::from_str(&value).expect("an account entry is JSON");
                (key, parsed)
            })
            .collect()
    }

    /// The one account entry's JSON (panics unless there is exactly one).
    pub fn account_entry(&self) -> Value {
        let mut entries = self.account_entries();
        assert_eq!(entries.len(), 1, "one account entry: {entries:?}");
        entries.remove(0).1
    }

    /// The account `id`, as the window shows it.
    pub fn account_view(&self, id: AccountId) -> AccountView {
        self.core.catalog().account_view(id).unwrap()
    }

    /// The accounts, as the window lists them.
    pub fn listed(&self) -> Vec<AccountView> {
        self.core.catalog().list_accounts().unwrap()
    }

    /// The token `field` (`access_token` or `refresh_token`) of the one account entry.
    pub fn stored(&self, field: &str) -> String {
        let entry = self.account_entry();
        entry[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} stored: {entry}"))
            .to_owned()
    }

    /// The access and the refresh token of the one account entry.
    pub fn stored_tokens(&self) -> (String, String) {
        (self.stored("access_token"), self.stored("refresh_token"))
    }

    /// Asserts `secret` is in no file of the data directory (the SQLite files).
    pub fn assert_not_in_data_dir(&self, secret: &str) {
        for (name, bytes) in files(self.data.path()) {
            assert!(!contains(&bytes, secret), "the secret is in {name}");
        }
    }

    /// Adds `token` as a personal token of the token-site app `app_id`, as pasted.
    pub async fn paste_token(&self, app_id: AppId, token: &str) -> Result<AccountView, Error> {
        self.core
            .sign_ins()
            .add_personal_token(app_id, SecretString::from(token.to_owned()))
            .await
    }

    /// Removes the account `id` as the window's Remove does (it must succeed).
    pub async fn remove_account(&self, id: AccountId) -> RemovedAccount {
        self.core
            .catalog()
            .remove_account(id)
            .await
            .expect("the account is removed")
    }

    /// Asserts the account `id` is gone: not listed, and asking for its token says so.
    pub async fn assert_account_gone(&self, id: AccountId) {
        let listed = self.listed();
        assert!(
            listed.iter().all(|view| view.account.id != id),
            "still listed: {listed:?}"
        );
        assert_eq!(
            self.access_token(id).await.unwrap_err(),
            Error::AccountNotFound
        );
    }

    /// Asserts nothing of an account was stored: no account row, no token in the keyring.
    pub fn assert_nothing_stored(&self) {
        let accounts = self.listed();
        assert!(accounts.is_empty(), "accounts were stored: {accounts:?}");
        let keys = self.keyring_keys();
        assert!(
            keys.iter().all(|key| key.starts_with("app-secret/")),
            "tokens were stored: {keys:?}"
        );
    }

    /// The one account, as listed.
    pub fn only_account(&self) -> AccountView {
        let mut accounts = self.listed();
        assert_eq!(accounts.len(), 1, "{accounts:?}");
        accounts.remove(0)
    }

    /// Starts a sign-in for `app`.
    pub async fn start_sign_in(&self, app: &AppView) -> SignInStarted {
        self.try_start_sign_in(app)
            .await
            .expect("the sign-in starts")
    }

    /// Tries to start a sign-in for `app`.
    pub async fn try_start_sign_in(&self, app: &AppView) -> Result<SignInStarted, Error> {
        self.core.sign_ins().start_sign_in(app.id, None).await
    }

    /// Starts a sign-in for `app` and plays the browser's consent: the sign-in and where
    /// the provider redirects.
    pub async fn consent_redirect(&self, app: &AppView) -> (SignInStarted, String) {
        let started = self.start_sign_in(app).await;
        let redirect = consent(&started.authorize_url)
            .await
            .expect("the provider redirects back");
        (started, redirect)
    }

    /// Completes a sign-in with `redirect` as the deep-link handler does.
    pub async fn complete(&self, redirect: &str) -> Result<AccountView, Error> {
        self.core.sign_ins().complete_sign_in(redirect).await
    }

    /// The account's access token, as a caller asks for it (refreshed when due).
    pub async fn access_token(&self, id: AccountId) -> Result<SecretString, Error> {
        self.core.tokens().access_token(id).await
    }

    /// Delivers `redirect` as the browser would: a deep link through [`Core::complete`]
    /// (as the deep-link handler does), a loopback address by a GET to the listener (whose
    /// page is then returned as the error's or the account's evidence).
    pub async fn deliver(&self, redirect: &str) -> Delivered {
        if redirect.starts_with("authdeck://") {
            return Delivered::DeepLink(self.complete(redirect).await);
        }
        assert!(
            redirect.starts_with("http://127.0.0.1:"),
            "not a redirect into Authdeck: {redirect}"
        );
        let page = reqwest::get(redirect)
            .await
            .expect("the loopback listener answers");
        let status = page.status().as_u16();
        Delivered::Loopback {
            status,
            page: page.text().await.unwrap(),
        }
    }
}

/// What delivering a redirect gave.
#[derive(Debug)]
pub enum Delivered {
    /// The deep-link path: the core's reply.
    DeepLink(Result<AccountView, Error>),
    /// The loopback path: the page the listener showed the browser.
    Loopback {
        /// Its HTTP status.
        status: u16,
        /// Its text.
        page: String,
    },
}

impl Delivered {
    /// The deep-link reply (panics for a loopback delivery).
    pub fn reply(self) -> Result<AccountView, Error> {
        match self {
            Delivered::DeepLink(reply) => reply,
            other => panic!("not a deep-link delivery: {other:?}"),
        }
    }
}

/// The query of `url` as pairs.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The value of `key` in the query of `url`.
pub fn query_value(url: &str, key: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value)
}

/// `url` with the query value of `key` replaced by `value` (added when absent), or removed
/// when `value` is `None`; the other pairs keep their order.
pub fn with_query_value(url: &str, key: &str, value: Option<&str>) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let mut pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let mut found = false;
    pairs.retain_mut(|(name, current)| {
        if name != key {
            return true;
        }
        found = true;
        match value {
            Some(value) => {
                *current = value.to_owned();
                true
            }
            None => false,
        }
    });
    if let (false, Some(value)) = (found, value) {
        pairs.push((key.to_owned(), value.to_owned()));
    }
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

// ---------------------------------------------------------------------------------------------
// A core and its fake

/// A fake provider a [`Deck`] starts: the fake OAuth 2.0 server or the fake token site.
pub trait Fake: Sized {
    /// What it starts with.
    type Config;

    /// Starts it on a free loopback port.
    fn start(config: Self::Config) -> impl Future<Output = Self>;
}

impl Fake for FakeOAuth2 {
    type Config = OAuth2Config;

    fn start(config: OAuth2Config) -> impl Future<Output = Self> {
        FakeOAuth2::start(config)
    }
}

impl Fake for FakeTokenSite {
    type Config = TokenSiteConfig;

    fn start(config: TokenSiteConfig) -> impl Future<Output = Self> {
        FakeTokenSite::start(config)
    }
}

/// A core and the fake provider it talks to: [`OAuthDeck`] or [`SiteDeck`].
pub struct Deck<F> {
    /// The core and its parts.
    pub deck: Core,
    /// The fake provider (the authorization server, or the site).
    pub fake: F,
}

impl<F> std::ops::Deref for Deck<F> {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.deck
    }
}

impl<F: Fake> Deck<F> {
    /// A deck against a fake started with `config`.
    pub async fn start(config: F::Config) -> Self {
        Self::start_with(config, test_settings()).await
    }

    /// A deck with its own settings.
    pub async fn start_with(config: F::Config, settings: Settings) -> Self {
        let fake = F::start(config).await;
        Self {
            deck: Core::start(settings),
            fake,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth 2.0

/// A core and the fake OAuth 2.0 server it talks to.
pub type OAuthDeck = Deck<FakeOAuth2>;

impl OAuthDeck {
    /// Moves both clocks (the core's and the fake's) forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.clock.advance(seconds as i64);
        self.fake.advance(seconds);
    }

    /// The redirect URIs every client of these tests registers at the fake: the loopback
    /// one (any port) and the deep link (the clients are native).
    pub fn redirect_uris() -> [&'static str; 2] {
        ["http://127.0.0.1/callback", "authdeck://callback"]
    }

    /// A public client at the fake.
    pub fn fake_public_client(&self, client_id: &str) {
        self.fake
            .register_client(client_id, Client::public(&Self::redirect_uris()).native());
    }

    /// A confidential client at the fake, allowed only `method`.
    pub fn fake_confidential_client(&self, client_id: &str, method: AuthMethod) {
        self.fake.register_client(
            client_id,
            Client::confidential(OAUTH_SECRET, &[method], &Self::redirect_uris()).native(),
        );
    }

    /// The form's JSON for an OAuth 2.0 app at the fake's issuer (discovered endpoints),
    /// with `extra` fields added or replacing the defaults.
    pub fn input(&self, client_id: &str, redirect_mode: &str, extra: Value) -> Value {
        let mut input = json!({
            "preset": "oauth2",
            "baseUrl": self.fake.issuer(),
            "clientId": client_id,
            "scopes": OFFLINE_SCOPES,
            "redirectMode": redirect_mode,
        });
        for (key, value) in extra.as_object().cloned().unwrap_or_default() {
            input[key] = value;
        }
        input
    }

    /// A public client (PKCE, no secret), registered at the fake and in the core.
    pub async fn public_app(&self, client_id: &str, redirect_mode: &str) -> AppView {
        self.fake_public_client(client_id);
        self.register_json(self.input(client_id, redirect_mode, json!({})))
            .await
            .expect("the public app registers")
    }

    /// A confidential client using `method`, registered at the fake and in the core with
    /// [`OAUTH_SECRET`].
    pub async fn confidential_app(
        &self,
        client_id: &str,
        method: AuthMethod,
        redirect_mode: &str,
    ) -> AppView {
        self.fake_confidential_client(client_id, method);
        let extra = json!({"clientSecret": OAUTH_SECRET, "clientAuth": method.name()});
        self.register_json(self.input(client_id, redirect_mode, extra))
            .await
            .expect("the confidential app registers")
    }

    /// Signs `app` in through its redirect path (deep link or loopback) and returns the
    /// account.
    pub async fn sign_in(&self, app: &AppView) -> Result<AccountView, Error> {
        let (_, redirect) = self.consent_redirect(app).await;
        match self.deliver(&redirect).await {
            Delivered::DeepLink(reply) => reply,
            Delivered::Loopback { status, page } => {
                assert_eq!(status, 200, "{page}");
                assert!(page.contains("is now in Authdeck"), "{page}");
                let accounts = self.listed();
                let newest = accounts
                    .into_iter()
                    .filter(|view| view.account.app_id == app.id)
                    .max_by_key(|view| view.account.issued_at)
                    .expect("the account is listed");
                Ok(newest)
            }
        }
    }

    /// What the fake recorded as the refresh token of its last token request.
    pub fn last_refresh_token_sent(&self) -> Option<String> {
        use fake_hivesigner::oauth2::Endpoint;
        self.fake
            .last_request(Endpoint::Token)
            .and_then(|request| request.field("refresh_token").map(str::to_owned))
    }

    /// Asserts the last token request carried `refresh_token` (a refresh, not an exchange).
    pub fn assert_last_refresh_sent(&self, refresh_token: &str) {
        assert_eq!(
            self.last_refresh_token_sent().as_deref(),
            Some(refresh_token),
            "the refresh token of the last token request"
        );
    }

    /// GETs the fake's userinfo endpoint with `access_token`: its HTTP status.
    pub async fn userinfo_status(&self, access_token: &str) -> u16 {
        reqwest::Client::new()
            .get(self.fake.userinfo_endpoint())
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

// ---------------------------------------------------------------------------------------------
// Token site

/// A core and the fake token site it talks to.
pub type SiteDeck = Deck<FakeTokenSite>;

/// The form's JSON for a token-site app at `base_url` (identity `/@me`, apps page
/// `{base_url}/settings/apps`), as the window sends it.
pub fn site_app_input(base_url: &str, client_id: &str, redirect_mode: &str) -> Value {
    json!({
        "preset": "token_site",
        "baseUrl": base_url,
        "clientId": client_id,
        "scopes": [],
        "redirectMode": redirect_mode,
        "appsPage": format!("{base_url}/settings/apps"),
    })
}

impl SiteDeck {
    /// The site's apps settings page.
    pub fn apps_page(&self) -> String {
        format!("{}/settings/apps", self.fake.base_url())
    }

    /// Registers a token-site app in the core (its apps page given), then at the site with
    /// the redirect URI the core says to register.
    pub async fn app(&self, client_id: &str, redirect_mode: &str) -> AppView {
        let input = site_app_input(&self.fake.base_url(), client_id, redirect_mode);
        let view = self
            .register_json(input)
            .await
            .expect("the token-site app registers");
        self.fake
            .register_app(client_id, &view.redirect_uri_to_register);
        view
    }
}

// ---------------------------------------------------------------------------------------------
// A canned endpoint

/// An HTTP endpoint on 127.0.0.1 that answers every request with the status and JSON body
/// it was told, and counts the requests; it stops when dropped.
pub struct Canned {
    url: String,
    answer: Arc<Mutex<(u16, String)>>,
    calls: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Canned {
    /// Starts it answering `status` with `body` (as `application/json`).
    pub async fn start(status: u16, body: &str) -> Self {
        use axum::http::{header, StatusCode};
        use axum::response::IntoResponse;

        let answer = Arc::new(Mutex::new((status, body.to_owned())));
        let calls = Arc::new(AtomicUsize::new(0));
        let router = {
            let answer = answer.clone();
            let calls = calls.clone();
            axum::Router::new().fallback(move || {
                let answer = answer.clone();
                let calls = calls.clone();
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = answer.lock().unwrap().clone();
                    (
                        StatusCode::from_u16(status).unwrap(),
                        [(header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                        .into_response()
                }
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            url,
            answer,
            calls,
            task,
        }
    }

    /// Its address (any path answers the same).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers `status` with `body` from now on.
    pub fn set(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned());
    }

    /// How many requests it received.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}
