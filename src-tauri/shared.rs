//! What every service is given: the stores, "now", where events go, the settings and the
//! provider client. Built once by the core (`service.rs`) and cloned into each service.

use std::sync::Arc;

use crate::clock::Clock;
use crate::events::{AppEvent, EventSink};
use crate::oauth::token::TokenClient;
use crate::registry::Registry;
use crate::settings::Settings;
use crate::vault::Vault;

/// What every service shares: the stores, "now", where events go and the settings.
#[derive(Clone)]
pub struct Shared {
    /// Apps, accounts and the activity log.
    pub registry: Arc<Registry>,
    /// The keyring.
    pub vault: Vault,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// Where events go.
    pub events: Arc<dyn EventSink>,
    /// Timeouts and intervals.
    pub settings: Settings,
    /// The provider client (no redirects, bounded time).
    pub provider_calls: TokenClient,
}

impl Shared {
    /// Sends `event` to the window.
    pub fn emit(&self, event: AppEvent) {
        self.events.emit(event);
    }
}
