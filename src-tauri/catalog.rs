//! [`Catalog`]: apps and accounts as the window sees them: registering, editing and removing
//! apps (their client secrets in the keyring), listing accounts, removing them (their tokens
//! through `Tokens`), moving keyring entries to their current names, and which provider pages
//! may be opened. Replies carry ids, names, scopes, expiry and health, never a token.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::accounts::{AccountId, AccountView};
use crate::apps::{App, AppId, AppInput, Flow, KindContext, RedirectMode, ScriptAccess};
use crate::error::{field, Error, Result};
use crate::events::AppEvent;
use crate::oauth::discovery;
use crate::provider::{
    OAuth2Settings, Preset, Protocol, ServerMetadata, TokenSiteSettings, SANDBOX_TOKEN_SITE_PORT,
};
use crate::shared::Shared;
use crate::tokens::Tokens;
use crate::vault;

/// The registry's `meta` key recording which keyring entry names this data folder uses.
const KEYRING_LAYOUT: &str = "keyring_layout";
/// Entries named by base URL, app and account (`account/<base URL>/<app>/<account>`).
const CURRENT_KEYRING_LAYOUT: &str = "by-base-url";

/// A registered app, for the window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    /// Its id.
    pub id: AppId,
    /// The preset's id.
    pub preset: &'static str,
    /// The provider, in words.
    pub provider_label: &'static str,
    /// The provider's base URL.
    pub base_url: String,
    /// The app's account name.
    pub client_id: String,
    /// The scopes it asks for.
    pub scopes: Vec<String>,
    /// Code (refresh) or implicit.
    pub flow: Flow,
    /// Loopback or custom scheme.
    pub redirect_mode: RedirectMode,
    /// The redirect URI to register at the provider (a token site's fixed port included).
    pub redirect_uri_to_register: String,
    /// Whether a client secret is stored (never the secret itself).
    pub secret_set: bool,
    /// How many accounts authorized it.
    pub account_count: usize,
    /// The provider's kind: `hivesigner`, `steemconnect`, `oauth2` or `token_site`.
    pub kind: &'static str,
    /// Whether the sign-in is protected by a `state` (a token site sends none back).
    pub state_protected: bool,
    /// An OAuth 2.0 server's endpoints and client authentication, as used.
    pub oauth2: Option<OAuth2Settings>,
    /// A token site's settings.
    pub token_site: Option<TokenSiteSettings>,
    /// Whether the in-app sandbox registered it (and removes it when the person leaves).
    pub sandbox: bool,
    /// What scripts on this computer may do with its tokens (`authdeck token`).
    pub script_access: ScriptAccess,
}

/// What removing an account did, and where to finish the job.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedAccount {
    /// The account name.
    pub username: String,
    /// Whether the provider accepted the revoke call (on Hivesigner it changes nothing).
    pub revoked_at_provider: bool,
    /// The page where the person takes the app's access away at the provider: the on-chain
    /// authority (Hivesigner, SteemLogin), a token site's apps page; none for an OAuth 2.0
    /// server, where the revocation is the real one.
    pub authority_removal_page: Option<String>,
}

/// What removing an app did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedApp {
    /// The app's account name.
    pub client_id: String,
    /// Its accounts, each removed as [`Authdeck::remove_account`] does.
    pub accounts: Vec<RemovedAccount>,
}

fn app_view(app: &App, account_count: usize, script_access: ScriptAccess) -> AppView {
    AppView {
        id: app.id,
        preset: app.provider.preset().id(),
        provider_label: app.provider.preset().label(),
        base_url: app.provider.base_url().to_owned(),
        client_id: app.client_id.clone(),
        scopes: app.scopes.names(),
        flow: app.flow(),
        redirect_mode: app.redirect,
        redirect_uri_to_register: app.registered_redirect_uri(),
        secret_set: app.secret_set,
        account_count,
        kind: app.provider.protocol().id(),
        state_protected: app.provider.token_site().is_none(),
        oauth2: app.provider.oauth2().cloned(),
        token_site: app.provider.token_site().cloned(),
        sandbox: app.sandbox,
        script_access,
    }
}

/// Apps and accounts: registering, editing and removing apps (their secrets in the keyring),
/// listing accounts, and removing them (through [`Tokens`], which owns their tokens).
pub struct Catalog {
    shared: Shared,
    tokens: Arc<Tokens>,
    /// Base URLs of providers whose apps were removed in this run (their pages stay known).
    removed_providers: Mutex<Vec<String>>,
}

impl Catalog {
    /// The catalog over `shared`, removing account tokens through `tokens`.
    pub fn new(shared: Shared, tokens: Arc<Tokens>) -> Self {
        Self {
            shared,
            tokens,
            removed_providers: Mutex::default(),
        }
    }

    /// Registers an app. Its secret, if given, goes to the keyring before the app is recorded
    /// (and is removed again if recording fails).
    pub async fn register_app(&self, input: AppInput) -> Result<AppView> {
        self.register(input, false).await
    }

    /// Registers an app as [`Self::register_app`] does, marked as the in-app sandbox's
    /// ([`crate::sandbox`]): shown as such, and removed when the person leaves the sandbox.
    pub async fn register_sandbox_app(&self, input: AppInput) -> Result<AppView> {
        self.register(input, true).await
    }

    async fn register(&self, input: AppInput, sandbox: bool) -> Result<AppView> {
        let context = self.kind_context(&input, None).await?;
        let valid = input.validate_registration(context)?;
        if self
            .shared
            .registry
            .find_app(&valid.provider, &valid.client_id)?
            .is_some()
        {
            return Err(Error::AppExists {
                client_id: valid.client_id,
            });
        }
        let key = vault::app_secret_key(&valid.provider, &valid.client_id);
        if let Some(secret) = &valid.client_secret {
            self.shared.vault.store_app_secret(&key, secret).await?;
        }
        let id = match self.shared.registry.insert_app_marked(
            &valid,
            valid.client_secret.is_some(),
            sandbox,
            self.shared.clock.now(),
        ) {
            Ok(id) => id,
            Err(err) => {
                if valid.client_secret.is_some() {
                    let _ = self.shared.vault.delete(&key).await;
                }
                return Err(err);
            }
        };
        self.shared.emit(AppEvent::AccountsChanged);
        self.app_view(id)
    }

    /// Changes an app's scopes, redirect mode and (if given) secret. Provider and client id
    /// identify the app and its keyring entries, so they cannot change: remove and re-add.
    pub async fn update_app(&self, id: AppId, input: AppInput) -> Result<AppView> {
        let app = self.shared.registry.app(id)?;
        let input = keep_stored_oauth2(input, &app);
        let context = self.kind_context(&input, Some(&app)).await?;
        let valid = input.validate_with(context)?;
        let same_provider = valid.provider.preset() == app.provider.preset()
            && valid.provider.base_url() == app.provider.base_url();
        if !same_provider || valid.client_id != app.client_id {
            return Err(Error::invalid(
                field::CLIENT_ID,
                "The provider and client id identify the app and cannot change; remove the app and register it again.",
            ));
        }
        if let Some(secret) = &valid.client_secret {
            let key = vault::app_secret_key(&app.provider, &app.client_id);
            self.shared.vault.store_app_secret(&key, secret).await?;
            self.shared.registry.set_secret_flag(id, true)?;
        }
        self.shared
            .registry
            .update_app(id, &valid, self.shared.clock.now())?;
        self.shared.emit(AppEvent::AccountsChanged);
        self.app_view(id)
    }

    /// What registering or editing `input` needs from outside the form: an OAuth 2.0
    /// server's metadata (discovered unless its endpoints are entered by hand), a token site's
    /// loopback port (kept from `existing`, the sandbox's registered one, or a free port chosen
    /// now, once for the app).
    async fn kind_context(&self, input: &AppInput, existing: Option<&App>) -> Result<KindContext> {
        let stored = existing.and_then(|app| Some((app, app.provider.oauth2()?)));
        let metadata = match (input.issuer_to_discover()?, stored) {
            // An edit keeps the endpoints in use unless new ones are entered.
            (Some(_), Some((app, settings))) => Some(stored_metadata(app, settings)),
            (Some(issuer), None) => {
                Some(discovery::discover(self.shared.provider_calls.http(), &issuer).await?)
            }
            (None, _) => None,
        };
        let loopback_port = match input.preset()? {
            preset if preset.protocol() != Protocol::TokenSite => None,
            _ if existing.and_then(|app| app.provider.token_site()).is_some() => existing
                .and_then(|app| app.provider.token_site())
                .map(|site| site.loopback_port),
            Preset::LocalTokenSiteSandbox => Some(SANDBOX_TOKEN_SITE_PORT),
            _ => Some(free_loopback_port()?),
        };
        Ok(KindContext {
            metadata,
            loopback_port,
        })
    }

    /// Removes an app: each of its accounts as [`Self::remove_account`] does, then its secret,
    /// then the app.
    pub async fn remove_app(&self, id: AppId) -> Result<RemovedApp> {
        let app = self.shared.registry.app(id)?;
        let mut removed = Vec::new();
        for account in self.accounts_of(id)? {
            removed.push(self.remove_account(account).await?);
        }
        self.shared
            .vault
            .delete(&vault::app_secret_key(&app.provider, &app.client_id))
            .await?;
        self.shared.registry.delete_app(id)?;
        // Its accounts' authority pages stay openable from the removal notice.
        self.removed_providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(app.provider.base_url().to_owned());
        self.shared.emit(AppEvent::AccountsChanged);
        Ok(RemovedApp {
            client_id: app.client_id,
            accounts: removed,
        })
    }

    /// Every app.
    pub fn list_apps(&self) -> Result<Vec<AppView>> {
        let accounts = self.shared.registry.accounts()?;
        let script_access = self.shared.registry.script_accesses()?;
        Ok(self
            .shared
            .registry
            .apps()?
            .iter()
            .map(|app| {
                let count = accounts.iter().filter(|a| a.app_id == app.id).count();
                let access = script_access.get(&app.id).copied().unwrap_or_default();
                app_view(app, count, access)
            })
            .collect())
    }

    /// Every account.
    pub fn list_accounts(&self) -> Result<Vec<AccountView>> {
        let apps = self.shared.registry.apps()?;
        self.shared
            .registry
            .accounts()?
            .into_iter()
            .map(|account| {
                let app = apps
                    .iter()
                    .find(|app| app.id == account.app_id)
                    .ok_or(Error::AppNotFound)?;
                Ok(AccountView::new(account, app))
            })
            .collect()
    }

    /// One app.
    pub fn app_view(&self, id: AppId) -> Result<AppView> {
        let app = self.shared.registry.app(id)?;
        let access = self.shared.registry.script_access(id)?;
        Ok(app_view(&app, self.accounts_of(id)?.len(), access))
    }

    /// Sets what scripts on this computer may do with app `id`'s tokens (the card's "Let
    /// scripts on this computer use tokens of this app" and "ask each time").
    pub fn set_script_access(&self, id: AppId, access: ScriptAccess) -> Result<AppView> {
        self.shared.registry.set_script_access(id, access)?;
        tracing::info!(
            app = id.0,
            allowed = access.allowed,
            confirm = access.confirm,
            "script access changed"
        );
        self.shared.emit(AppEvent::AccountsChanged);
        self.app_view(id)
    }

    /// One account.
    pub fn account_view(&self, id: AccountId) -> Result<AccountView> {
        self.shared.registry.account_view(id)
    }

    /// Removes an account: revokes the token at the provider (best effort: a provider that is
    /// down must not keep the tokens here), deletes its keyring entry, then its registry row.
    /// The reply names the page where the user removes the app's on-chain authority.
    pub async fn remove_account(&self, id: AccountId) -> Result<RemovedAccount> {
        let account = self.shared.registry.account(id)?;
        let app = self.shared.registry.app(account.app_id)?;
        let revoked = self.tokens.revoke_and_wipe(&account, &app).await?;
        self.shared.registry.delete_account(id)?;
        self.shared.emit(AppEvent::AccountsChanged);
        Ok(RemovedAccount {
            username: account.username,
            revoked_at_provider: revoked,
            authority_removal_page: app
                .provider
                .authority_removal_page(&app.client_id)
                .map(|page| page.to_string()),
        })
    }

    /// Moves keyring entries from their old names (by provider host, shared by apps on one host)
    /// to their names by base URL (see [`vault`]), then sets each app's "secret set" flag from
    /// what the keyring holds. Returns how many entries were written. Meant for every start,
    /// before anything reads the keyring. The moves run until one start completes them (the
    /// registry then records the current layout); after that a start costs one read per app,
    /// for its flag, however many accounts there are.
    ///
    /// For each registered app and account whose new entry is missing and whose old one
    /// exists, the old secret is written under the new name and read back; the old entry is
    /// deleted only once every new entry it maps to exists. Apps that shared an old entry
    /// (same host and client id) each get a copy of it. A failed move keeps the old entry, so
    /// the next start finishes the job.
    pub async fn migrate_keyring_entries(&self) -> Result<usize> {
        let apps = self.shared.registry.apps()?;
        let written = if self.shared.registry.meta(KEYRING_LAYOUT)?.as_deref()
            == Some(CURRENT_KEYRING_LAYOUT)
        {
            // Done at an earlier start: every entry since is written under its current name,
            // so the keyring is not searched once per account again (a Secret Service lookup
            // each, seconds of work at 1,000 accounts).
            0
        } else {
            let written = self.move_legacy_entries(&apps).await?;
            self.shared
                .registry
                .set_meta(KEYRING_LAYOUT, CURRENT_KEYRING_LAYOUT)?;
            written
        };
        let mut flags_changed = false;
        for app in &apps {
            let key = vault::app_secret_key(&app.provider, &app.client_id);
            let secret_set = self.shared.vault.app_secret(&key).await?.is_some();
            if secret_set != app.secret_set {
                self.shared.registry.set_secret_flag(app.id, secret_set)?;
                flags_changed = true;
            }
        }
        if written > 0 || flags_changed {
            tracing::info!(written, flags_changed, "keyring entries migrated");
            self.shared.emit(AppEvent::AccountsChanged);
        }
        Ok(written)
    }

    /// Moves every app's and account's entry from its old-style name to its current one.
    async fn move_legacy_entries(&self, apps: &[App]) -> Result<usize> {
        let mut moves: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for app in apps {
            moves
                .entry(vault::legacy_app_secret_key(&app.provider, &app.client_id))
                .or_default()
                .push(vault::app_secret_key(&app.provider, &app.client_id));
        }
        for account in self.shared.registry.accounts()? {
            let app = apps
                .iter()
                .find(|app| app.id == account.app_id)
                .ok_or(Error::AppNotFound)?;
            moves
                .entry(vault::legacy_account_key(
                    &app.provider,
                    &app.client_id,
                    &account.username,
                ))
                .or_default()
                .push(vault::account_key(
                    &app.provider,
                    &app.client_id,
                    &account.username,
                ));
        }
        let mut written = 0;
        for (old_key, new_keys) in moves {
            written += self.shared.vault.move_entry(&old_key, new_keys).await?;
        }
        Ok(written)
    }

    /// Checks that `url` is a page of a provider Authdeck knows (a preset or a registered
    /// app's provider), so the window can ask to open only those in the system browser.
    pub fn provider_page(&self, url: &str) -> Result<url::Url> {
        let refused = || {
            Error::invalid(
                field::URL,
                "Authdeck opens only pages of the providers you registered; copy the link instead.",
            )
        };
        let page = url::Url::parse(url).map_err(|_| refused())?;
        let registered = self.shared.registry.apps()?;
        // A token site's apps page may sit outside its base path.
        if registered
            .iter()
            .any(|app| app.provider.authority_removal_page(&app.client_id).as_ref() == Some(&page))
        {
            return Ok(page);
        }
        let removed = self
            .removed_providers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let known = registered
            .iter()
            .map(|app| app.provider.base_url().to_owned())
            .chain(removed)
            .chain(
                crate::provider::Preset::ALL
                    .iter()
                    .filter_map(|p| p.fixed_base_url())
                    .map(str::to_owned),
            );
        for base in known {
            let base = url::Url::parse(&base).map_err(|_| refused())?;
            if base.origin() == page.origin() && page.path().starts_with(base.path()) {
                return Ok(page);
            }
        }
        Err(refused())
    }

    fn accounts_of(&self, app_id: AppId) -> Result<Vec<AccountId>> {
        Ok(self
            .shared
            .registry
            .accounts()?
            .into_iter()
            .filter(|account| account.app_id == app_id)
            .map(|account| account.id)
            .collect())
    }
}

/// A free port on 127.0.0.1, chosen once for a token site app: the OS picks one, and the
/// listener lets it go at once (the sign-in binds it again while it waits).
fn free_loopback_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).map_err(|err| {
            Error::LoopbackUnavailable {
                detail: err.to_string(),
            }
        })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|err| Error::LoopbackUnavailable {
            detail: err.to_string(),
        })
}

/// An edit of an OAuth 2.0 app that leaves the client authentication on "automatic" keeps the
/// one in use (a stored secret is not sent with the form again).
fn keep_stored_oauth2(mut input: AppInput, app: &App) -> AppInput {
    let automatic = input
        .client_auth
        .as_deref()
        .is_none_or(|id| id.trim().is_empty());
    if let (true, Some(settings)) = (automatic, app.provider.oauth2()) {
        input.client_auth = Some(settings.client_auth.id().to_owned());
    }
    input
}

/// The endpoints and rules an OAuth 2.0 app uses, as metadata an edit validates against.
fn stored_metadata(app: &App, settings: &OAuth2Settings) -> ServerMetadata {
    ServerMetadata {
        issuer: app.provider.base_url().to_owned(),
        authorization_endpoint: settings.authorize.clone(),
        token_endpoint: settings.token.clone(),
        revocation_endpoint: settings.revocation.clone(),
        userinfo_endpoint: Some(settings.userinfo.clone()),
        token_endpoint_auth_methods_supported: Vec::new(),
        authorization_response_iss_parameter_supported: settings.iss_required,
        code_challenge_methods_supported: Vec::new(),
    }
}
