//! A core (no window) over real stores for integration tests: a SQLite registry file in a
//! temporary directory, the real OS keyring under a service name of its own (cleared when the
//! [`Core`] is dropped), a manual clock and recorded events. [`super::deck::Deck`] (against the
//! fake Hivesigner) and [`super::kinds::Deck`] (against the newer provider kinds) are one of
//! these and their fake; also a look through a directory's files for a secret.

use std::path::Path;
use std::sync::Arc;

use authdeck::clock::{Clock, ManualClock, SystemClock};
use authdeck::events::RecordedEvents;
use authdeck::registry::Registry;
use authdeck::service::{Authdeck, Parts, Settings};
use authdeck::vault::{KeyringStore, Vault};
use tempfile::TempDir;

use super::keyring;

/// A core with its temporary data directory, keyring service, clock and events.
pub struct Core {
    /// The core under test.
    pub core: Arc<Authdeck>,
    /// "Now", for the core.
    pub clock: Arc<ManualClock>,
    /// What the core told the window.
    pub events: Arc<RecordedEvents>,
    /// The keyring service this core's entries live under.
    pub service: String,
    /// The app's data directory (the registry file lives here).
    pub data: TempDir,
}

impl Core {
    /// A fresh core with `settings`: a new data directory and keyring service, the clock at
    /// the real now.
    pub fn start(settings: Settings) -> Self {
        let data = tempfile::tempdir().unwrap();
        let service = format!("authdeck-test-{}", rand::random::<u64>());
        let clock = Arc::new(ManualClock::at(SystemClock.now()));
        let events = Arc::new(RecordedEvents::default());
        let core = open(data.path(), &service, &clock, &events, settings);
        Self {
            core,
            clock,
            events,
            service,
            data,
        }
    }

    /// Another core over the same registry file, keyring service and clock, as after a
    /// restart of the app (this one is left as it is).
    pub fn restarted(&self, settings: Settings) -> Arc<Authdeck> {
        open(
            self.data.path(),
            &self.service,
            &self.clock,
            &self.events,
            settings,
        )
    }

    /// "Now", as the core sees it.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The keyring entries under this core's service: `(key, secret)` pairs.
    pub fn keyring_entries(&self) -> Vec<(String, String)> {
        keyring::entries(&self.service)
    }

    /// The keys of this core's keyring entries.
    pub fn keyring_keys(&self) -> Vec<String> {
        keyring::keys(&self.service)
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        keyring::clear(&self.service);
    }
}

/// The core over the registry file in `data`, the OS keyring under `service`, `clock`,
/// `events` and `settings`.
fn open(
    data: &Path,
    service: &str,
    clock: &Arc<ManualClock>,
    events: &Arc<RecordedEvents>,
    settings: Settings,
) -> Arc<Authdeck> {
    Authdeck::new(Parts {
        registry: Registry::open(&data.join("registry.sqlite3")).unwrap(),
        vault: Vault::new(Arc::new(KeyringStore::new(service.to_owned()))),
        clock: clock.clone(),
        events: events.clone(),
        settings,
    })
    .unwrap()
}

/// Every file under `dir`, as `(path, bytes)`.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

/// Whether `haystack` holds the bytes of `needle`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}
