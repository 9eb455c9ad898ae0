//! [`Sandbox`]: the offline sandbox inside the app ("Try it offline", `authdeck --sandbox`).
//!
//! Starting it serves the faithful fakes of `crates/fake-hivesigner` in this process, each on
//! a free 127.0.0.1 port: a Hivesigner, a standard OAuth 2.0 / OpenID Connect server and an
//! "apps tab" token site, each with its consent page for the system browser. Their demo apps
//! are registered at the fakes and, through the [`Catalog`], in Authdeck, in one step, marked
//! as the sandbox's (the registry's `sandbox` flag), so every view can say so. Leaving it
//! removes what it brought while the fakes still answer (its apps, their accounts, their
//! keyring entries, the accounts' activity entries), then stops the fakes. Apps still marked
//! at start-up come from a run that ended without leaving: [`Sandbox::forget_leftovers`]
//! removes them, as their fakes are gone.
//!
//! The fakes are compiled in with the `sandbox` cargo feature (on by default); a build
//! without it answers [`Error::SandboxUnavailable`] and still forgets leftovers.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Mutex;

use crate::accounts::AccountId;
use crate::apps::AppId;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::events::AppEvent;
use crate::shared::Shared;

/// The command-line argument that starts the sandbox: `authdeck --sandbox` (in the running
/// instance, when a second launch carries it).
pub const ARGUMENT: &str = "--sandbox";

/// Whether this build has the sandbox (the `sandbox` cargo feature).
pub const AVAILABLE: bool = cfg!(feature = "sandbox");

/// The Hivesigner demo app's client id (its secret is [`HIVESIGNER_SECRET`]).
pub const HIVESIGNER_CLIENT_ID: &str = "sandbox-app";
/// The Hivesigner demo app's client secret: a sandbox secret, fine to show.
pub const HIVESIGNER_SECRET: &str = "sandbox-secret";
/// The OAuth 2.0 demo app: a public client (PKCE, no secret), registered as native.
pub const OAUTH2_CLIENT_ID: &str = "authdeck-demo";
/// The scopes the OAuth 2.0 demo app asks for (`offline_access` brings refresh tokens).
pub const OAUTH2_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];
/// The token-site demo app's client id.
pub const TOKEN_SITE_CLIENT_ID: &str = "1";
/// The accounts the Hivesigner's consent page accepts (the others take any name).
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];

/// Why a build without the `sandbox` feature cannot start it.
const NOT_BUILT: &str = "this copy of Authdeck was built without it (the `sandbox` feature)";

/// Whether the command line `args` (a launch's, the program's path included) asks for the
/// sandbox.
pub fn requested<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> bool {
    args.into_iter().any(|arg| arg.as_ref() == ARGUMENT)
}

/// One provider of the running sandbox and the demo app registered for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxProvider {
    /// The provider's kind: `hivesigner`, `oauth2` or `token_site`.
    pub kind: &'static str,
    /// The fake's address (for the OAuth 2.0 server, its issuer).
    pub base_url: String,
    /// The demo app in Authdeck.
    pub app_id: AppId,
    /// The demo app's client id.
    pub client_id: String,
}

/// Whether the sandbox is offered and runs, and what it registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStatus {
    /// Whether this build has the sandbox.
    pub available: bool,
    /// Whether it runs now.
    pub running: bool,
    /// Its providers while it runs, each with its demo app.
    pub providers: Vec<SandboxProvider>,
    /// The accounts its Hivesigner's consent page accepts.
    pub users: Vec<String>,
}

/// What leaving the sandbox removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftSandbox {
    /// Apps removed (with their client secrets).
    pub apps: usize,
    /// Accounts removed (with their tokens).
    pub accounts: usize,
    /// Activity log entries of those accounts removed.
    pub activity_entries: usize,
}

/// A running sandbox: what it registered, and the fakes (they stop when this is dropped).
#[cfg_attr(not(feature = "sandbox"), allow(dead_code))]
struct Running {
    providers: Vec<SandboxProvider>,
    #[cfg(feature = "sandbox")]
    _fakes: fakes::Fakes,
}

/// The offline sandbox: starts the fakes and registers their demo apps, and removes all of it
/// again. One at a time; starting a running one changes nothing.
pub struct Sandbox {
    shared: Shared,
    catalog: Arc<Catalog>,
    running: Mutex<Option<Running>>,
}

impl Sandbox {
    /// The sandbox over `shared`, registering and removing its apps through `catalog`.
    pub fn new(shared: Shared, catalog: Arc<Catalog>) -> Self {
        Self {
            shared,
            catalog,
            running: Mutex::new(None),
        }
    }

    /// Whether it runs, and what it registered.
    pub async fn status(&self) -> SandboxStatus {
        status_of(self.running.lock().await.as_ref())
    }

    /// Starts the sandbox (when it is not running yet): forgets what an earlier run left,
    /// starts the fakes on free loopback ports and registers the demo apps at them and here.
    /// If a step fails, what was registered is removed again and the fakes stop.
    pub async fn start(&self) -> Result<SandboxStatus> {
        let mut running = self.running.lock().await;
        if running.is_none() {
            if !AVAILABLE {
                return Err(Error::SandboxUnavailable {
                    reason: NOT_BUILT.into(),
                });
            }
            self.forget_marked().await?;
            let started = self.launch().await?;
            tracing::info!(apps = started.providers.len(), "the sandbox started");
            *running = Some(started);
            self.shared.emit(AppEvent::AccountsChanged);
        }
        Ok(status_of(running.as_ref()))
    }

    /// Leaves the sandbox: removes every app marked as the sandbox's, as removing an app does
    /// (its accounts revoked at the fakes, which still answer, and their tokens and the app's
    /// secret deleted from the keyring), and the activity entries of those accounts; then
    /// stops the fakes. Leaving a sandbox that does not run removes what is still marked.
    pub async fn leave(&self) -> Result<LeftSandbox> {
        let mut running = self.running.lock().await;
        let left = self.forget_marked().await?;
        let was_running = running.take().is_some();
        tracing::info!(
            was_running,
            apps = left.apps,
            accounts = left.accounts,
            activity_entries = left.activity_entries,
            "left the sandbox"
        );
        self.shared.emit(AppEvent::AccountsChanged);
        if left.activity_entries > 0 {
            self.shared.emit(AppEvent::ActivityChanged);
        }
        Ok(left)
    }

    /// Removes apps marked as the sandbox's that no running sandbox owns (an earlier run that
    /// ended without leaving): their fakes are gone, so nothing of theirs can work. Meant for
    /// every start; with nothing marked it costs one read of the apps.
    pub async fn forget_leftovers(&self) -> Result<LeftSandbox> {
        let running = self.running.lock().await;
        if running.is_some() {
            return Ok(LeftSandbox::default());
        }
        let left = self.forget_marked().await?;
        if left.apps > 0 {
            tracing::info!(apps = left.apps, "forgot the sandbox of an earlier run");
            self.shared.emit(AppEvent::AccountsChanged);
            if left.activity_entries > 0 {
                self.shared.emit(AppEvent::ActivityChanged);
            }
        }
        Ok(left)
    }

    /// Removes every app marked as the sandbox's, its accounts and their activity entries.
    async fn forget_marked(&self) -> Result<LeftSandbox> {
        let apps: Vec<AppId> = self
            .shared
            .registry
            .apps()?
            .into_iter()
            .filter(|app| app.sandbox)
            .map(|app| app.id)
            .collect();
        if apps.is_empty() {
            return Ok(LeftSandbox::default());
        }
        let accounts: Vec<AccountId> = self
            .shared
            .registry
            .accounts()?
            .into_iter()
            .filter(|account| apps.contains(&account.app_id))
            .map(|account| account.id)
            .collect();
        let mut left = LeftSandbox::default();
        for app in apps {
            let removed = self.catalog.remove_app(app).await?;
            left.apps += 1;
            left.accounts += removed.accounts.len();
        }
        left.activity_entries = self.shared.registry.delete_activity_of(&accounts)?;
        Ok(left)
    }

    #[cfg(feature = "sandbox")]
    async fn launch(&self) -> Result<Running> {
        let fakes = fakes::Fakes::start()
            .await
            .map_err(|err| Error::SandboxUnavailable {
                reason: format!("its fake providers could not listen on 127.0.0.1 ({err})"),
            })?;
        let mut providers = Vec::new();
        if let Err(err) = fakes.register(&self.catalog, &mut providers).await {
            for provider in &providers {
                if let Err(undo) = self.catalog.remove_app(provider.app_id).await {
                    tracing::warn!("a sandbox app could not be removed again: {undo}");
                }
            }
            return Err(err);
        }
        Ok(Running {
            providers,
            _fakes: fakes,
        })
    }

    #[cfg(not(feature = "sandbox"))]
    async fn launch(&self) -> Result<Running> {
        Err(Error::SandboxUnavailable {
            reason: NOT_BUILT.into(),
        })
    }
}

fn status_of(running: Option<&Running>) -> SandboxStatus {
    SandboxStatus {
        available: AVAILABLE,
        running: running.is_some(),
        providers: running.map(|r| r.providers.clone()).unwrap_or_default(),
        users: USERS.iter().map(|user| user.to_string()).collect(),
    }
}

/// The fakes themselves, and registering the demo apps at them and in the catalog.
#[cfg(feature = "sandbox")]
mod fakes {
    use std::net::SocketAddr;

    use fake_hivesigner::oauth2::{Client, FakeOAuth2, OAuth2Config};
    use fake_hivesigner::token_site::{FakeTokenSite, TokenSiteConfig};
    use fake_hivesigner::{Consent, FakeConfig, FakeHivesigner, RedirectRules};
    use secrecy::SecretString;

    use super::{
        SandboxProvider, HIVESIGNER_CLIENT_ID, HIVESIGNER_SECRET, OAUTH2_CLIENT_ID, OAUTH2_SCOPES,
        TOKEN_SITE_CLIENT_ID, USERS,
    };
    use crate::apps::AppInput;
    use crate::catalog::Catalog;
    use crate::error::Result;

    /// The Hivesigner demo app's redirect URIs: loopback ones match any port, the deep link
    /// matches exactly.
    const HIVESIGNER_REDIRECT_URIS: [&str; 4] = [
        "http://127.0.0.1/callback",
        "http://localhost/callback",
        "http://[::1]/callback",
        "authdeck://callback",
    ];
    /// The OAuth 2.0 server's issuer path: an issuer with a path, as many real ones have.
    const OAUTH2_ISSUER_PATH: &str = "/oauth";
    /// The loopback URI matches any port (RFC 8252 7.3); the client is native, so the custom
    /// scheme is allowed.
    const OAUTH2_REDIRECT_URIS: [&str; 2] = ["http://127.0.0.1/callback", "authdeck://callback"];
    /// Access tokens of the OAuth 2.0 server live ten minutes, so refreshes can be watched.
    const OAUTH2_EXPIRES_IN: u64 = 600;

    /// The three fakes, each on a free loopback port; they stop when dropped.
    pub(super) struct Fakes {
        hivesigner: FakeHivesigner,
        oauth2: FakeOAuth2,
        token_site: FakeTokenSite,
    }

    fn any_loopback_port() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    impl Fakes {
        /// Starts the fakes, each with a consent page for the person to click.
        pub(super) async fn start() -> std::io::Result<Self> {
            let hivesigner = FakeHivesigner::try_start(FakeConfig {
                redirect_rules: RedirectRules::AnyGeneration,
                consent: Consent::Page,
                users: USERS.iter().map(|user| user.to_string()).collect(),
                bind: any_loopback_port(),
                ..FakeConfig::default()
            })
            .await?;
            hivesigner.register_app(
                HIVESIGNER_CLIENT_ID,
                HIVESIGNER_SECRET,
                &HIVESIGNER_REDIRECT_URIS,
            );
            let oauth2 = FakeOAuth2::try_start(OAuth2Config {
                issuer_path: OAUTH2_ISSUER_PATH.into(),
                consent: Consent::Page,
                expires_in: OAUTH2_EXPIRES_IN,
                real_time: true,
                bind: any_loopback_port(),
                ..OAuth2Config::default()
            })
            .await?;
            oauth2.register_client(
                OAUTH2_CLIENT_ID,
                Client::public(&OAUTH2_REDIRECT_URIS).native(),
            );
            let token_site = FakeTokenSite::try_start(TokenSiteConfig {
                consent: Consent::Page,
                bind: any_loopback_port(),
                ..TokenSiteConfig::default()
            })
            .await?;
            Ok(Self {
                hivesigner,
                oauth2,
                token_site,
            })
        }

        /// Registers the demo apps in `catalog` (marked as the sandbox's), one by one, each
        /// pushed to `registered` as soon as it is in (so a failure can remove those again).
        /// The token site registers one redirect URI per app, port included: the catalog
        /// chooses the app's fixed loopback port, and the site's app is registered with it.
        pub(super) async fn register(
            &self,
            catalog: &Catalog,
            registered: &mut Vec<SandboxProvider>,
        ) -> Result<()> {
            let hivesigner = AppInput {
                preset: "hivesigner_compatible".into(),
                base_url: Some(self.hivesigner.base_url()),
                client_id: HIVESIGNER_CLIENT_ID.into(),
                scopes: vec!["posting".into(), "offline".into()],
                redirect_mode: Some("loopback".into()),
                client_secret: Some(SecretString::from(HIVESIGNER_SECRET.to_owned())),
                ..AppInput::default()
            };
            let oauth2 = AppInput {
                preset: "oauth2".into(),
                base_url: Some(self.oauth2.issuer()),
                client_id: OAUTH2_CLIENT_ID.into(),
                scopes: OAUTH2_SCOPES
                    .iter()
                    .map(|scope| scope.to_string())
                    .collect(),
                redirect_mode: Some("loopback".into()),
                client_auth: Some("none".into()),
                ..AppInput::default()
            };
            let site_url = self.token_site.base_url();
            let token_site = AppInput {
                preset: "token_site".into(),
                base_url: Some(site_url.clone()),
                client_id: TOKEN_SITE_CLIENT_ID.into(),
                redirect_mode: Some("loopback".into()),
                apps_page: Some(format!("{site_url}/settings/apps")),
                ..AppInput::default()
            };
            for input in [hivesigner, oauth2, token_site] {
                let view = catalog.register_sandbox_app(input).await?;
                if view.kind == "token_site" {
                    self.token_site
                        .register_app(&view.client_id, &view.redirect_uri_to_register);
                }
                registered.push(SandboxProvider {
                    kind: view.kind,
                    base_url: view.base_url,
                    app_id: view.id,
                    client_id: view.client_id,
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_is_found_wherever_it_is() {
        assert!(requested(["/usr/bin/authdeck", "--sandbox"]));
        assert!(requested([
            "authdeck",
            "authdeck://callback?x=1",
            "--sandbox"
        ]));
        assert!(!requested(["/usr/bin/authdeck"]));
        assert!(!requested(["authdeck", "--sandboxes", "sandbox"]));
    }
}
