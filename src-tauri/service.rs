//! The core of Authdeck: assembles the services once from [`Parts`] and hands them out
//! ([`Catalog`], [`SignIns`], [`Tokens`], [`Drafts`], [`Broadcaster`], [`Console`], [`Desk`],
//! [`Sandbox`], [`ScriptTokens`]); it holds no logic of its own. The services are told what
//! they share ([`crate::shared::Shared`]) and which other service they use (Tokens for
//! sign-ins, the catalog, the broadcaster, the console and scripts; the broadcaster for drafts;
//! the catalog for the sandbox), never the core.

use std::sync::Arc;

use crate::broadcast::Broadcaster;
use crate::catalog::Catalog;
use crate::chain::{self, ChainClient};
use crate::clock::Clock;
use crate::compose::Drafts;
use crate::console::Console;
use crate::desk::Desk;
use crate::error::Result;
use crate::events::EventSink;
use crate::oauth::token::TokenClient;
use crate::provider::Chain;
use crate::registry::Registry;
use crate::sandbox::Sandbox;
use crate::scripts::ScriptTokens;
pub use crate::settings::{Settings, REFRESH_INTERVAL_VAR, SIGN_IN_TIMEOUT_VAR};
use crate::shared::Shared;
use crate::signin::SignIns;
use crate::tokens::Tokens;
use crate::vault::Vault;

/// What the core is built from.
pub struct Parts {
    /// Apps and accounts.
    pub registry: Registry,
    /// Tokens and secrets.
    pub vault: Vault,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Where events go.
    pub events: Arc<dyn EventSink>,
    /// Timeouts and intervals.
    pub settings: Settings,
}

/// The core: the services, each built once from [`Parts`] and handed out. Build it with
/// [`Authdeck::new`]; share it as `Arc<Authdeck>`.
pub struct Authdeck {
    catalog: Arc<Catalog>,
    sign_ins: Arc<SignIns>,
    tokens: Arc<Tokens>,
    drafts: Arc<Drafts>,
    broadcaster: Arc<Broadcaster>,
    console: Arc<Console>,
    desk: Arc<Desk>,
    sandbox: Arc<Sandbox>,
    scripts: Arc<ScriptTokens>,
}

impl Authdeck {
    /// Builds the core from its parts.
    pub fn new(parts: Parts) -> Result<Arc<Self>> {
        let interrupted = parts.registry.reset_refreshing()?;
        if interrupted > 0 {
            tracing::info!(
                interrupted,
                "refreshes interrupted by the last stop were reset"
            );
        }
        let shared = Shared {
            provider_calls: TokenClient::new(parts.settings.http_timeout)?,
            registry: Arc::new(parts.registry),
            vault: parts.vault,
            clock: parts.clock,
            events: parts.events,
            settings: parts.settings,
        };
        let nodes = |chain| ChainClient::new(chain, &shared.settings.nodes, chain::DEFAULT_TIMEOUT);
        let tokens = Arc::new(Tokens::new(shared.clone()));
        let catalog = Arc::new(Catalog::new(shared.clone(), tokens.clone()));
        let broadcaster = Arc::new(Broadcaster::new(
            shared.clone(),
            tokens.clone(),
            [nodes(Chain::Hive)?, nodes(Chain::Steem)?],
        ));
        Ok(Arc::new(Self {
            drafts: Arc::new(Drafts::new(shared.clone(), broadcaster.clone())),
            console: Arc::new(Console::new(shared.clone(), tokens.clone())),
            desk: Arc::new(Desk::new(
                shared.clone(),
                [nodes(Chain::Hive)?, nodes(Chain::Steem)?],
            )),
            sandbox: Arc::new(Sandbox::new(shared.clone(), catalog.clone())),
            scripts: Arc::new(ScriptTokens::new(shared.clone(), tokens.clone())),
            catalog,
            sign_ins: Arc::new(SignIns::new(shared, tokens.clone())),
            tokens,
            broadcaster,
        }))
    }

    /// Apps and accounts: registering, listing, removing.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Adding accounts.
    pub fn sign_ins(&self) -> &Arc<SignIns> {
        &self.sign_ins
    }

    /// Fresh tokens, the refresher and the health checker.
    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.tokens
    }

    /// Drafts of what the forms send.
    pub fn drafts(&self) -> &Arc<Drafts> {
        &self.drafts
    }

    /// Broadcasting, the chain check, and the activity log.
    pub fn broadcaster(&self) -> &Arc<Broadcaster> {
        &self.broadcaster
    }

    /// The API console: requests to an account's provider with its fresh token.
    pub fn console(&self) -> &Arc<Console> {
        &self.console
    }

    /// The curator's desk: post cards, account standing, authority and rewards, read from the
    /// chain.
    pub fn desk(&self) -> &Arc<Desk> {
        &self.desk
    }

    /// The offline sandbox: its fakes in this process, its demo apps, and leaving it.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Tokens for scripts on this computer (`authdeck token`, the session bus).
    pub fn scripts(&self) -> &Arc<ScriptTokens> {
        &self.scripts
    }
}
