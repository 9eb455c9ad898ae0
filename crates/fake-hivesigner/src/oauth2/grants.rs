//! The fake OAuth 2.0 server's state: registered clients, codes, grants and their tokens, the
//! test clock, the knobs, the failures queued per endpoint, what each endpoint recorded and
//! the protected API's notes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use rand::distr::{Alphanumeric, SampleString};
use serde_json::Value;

use super::{Client, Endpoint, Failure, OAuth2Config, Recorded};

/// How long an authorization code lives, in test-clock seconds (RFC 6749 4.1.2: short).
pub(crate) const CODE_LIFETIME: u64 = 60;

/// The test clock's first reading (any value; tokens only compare against it).
const CLOCK_START: u64 = 1_000_000;

/// A code handed out by the authorize endpoint, waiting for its exchange.
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: Option<String>,
    pub(crate) grant: u64,
    pub(crate) expires_at: u64,
    pub(crate) used: bool,
}

/// One authorization: everything issued from one approval, killed together.
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) user: String,
    pub(crate) scope: String,
    pub(crate) offline: bool,
    pub(crate) alive: bool,
}

pub(crate) struct Access {
    pub(crate) grant: u64,
    pub(crate) expires_at: u64,
    pub(crate) revoked: bool,
}

pub(crate) struct Refresh {
    pub(crate) grant: u64,
    pub(crate) used: bool,
}

/// Everything the knobs turn and the handlers record.
pub(crate) struct Inner {
    pub(crate) knobs: OAuth2Config,
    pub(crate) clients: HashMap<String, Client>,
    pub(crate) codes: HashMap<String, Code>,
    pub(crate) grants: HashMap<u64, Grant>,
    pub(crate) access: HashMap<String, Access>,
    pub(crate) refresh: HashMap<String, Refresh>,
    pub(crate) next_grant: u64,
    /// The test clock; read it with [`Inner::now`] (which adds wall time when `real_time`).
    pub(crate) clock: u64,
    pub(crate) started: Instant,
    pub(crate) notes: Vec<Value>,
    pub(crate) failures: HashMap<Endpoint, VecDeque<Failure>>,
    pub(crate) counts: HashMap<Endpoint, usize>,
    pub(crate) last: HashMap<Endpoint, Recorded>,
    pub(crate) wrong_method: usize,
}

/// A random token-ish string.
pub(crate) fn random(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

impl Inner {
    /// The clock's reading: the test clock, plus the seconds run when `real_time` is on.
    pub(crate) fn now(&self) -> u64 {
        let run = if self.knobs.real_time {
            self.started.elapsed().as_secs()
        } else {
            0
        };
        self.clock + run
    }

    /// Counts the request and keeps it as `endpoint`'s last, without playing a failure.
    pub(crate) fn record(&mut self, endpoint: Endpoint, recorded: Recorded) {
        *self.counts.entry(endpoint).or_default() += 1;
        self.last.insert(endpoint, recorded);
    }

    pub(crate) fn new_grant(
        &mut self,
        client_id: &str,
        user: &str,
        scope: &str,
        offline: bool,
    ) -> u64 {
        self.next_grant += 1;
        let grant = Grant {
            client_id: client_id.into(),
            user: user.into(),
            scope: scope.into(),
            offline,
            alive: true,
        };
        self.grants.insert(self.next_grant, grant);
        self.next_grant
    }

    /// Issues an access token (and a refresh token for an offline grant) for `grant`.
    pub(crate) fn issue(&mut self, grant: u64) -> (String, Option<String>) {
        let access = format!("at-{}", random(32));
        let expires_at = self.now() + self.knobs.expires_in;
        let record = Access {
            grant,
            expires_at,
            revoked: false,
        };
        self.access.insert(access.clone(), record);
        let offline = self.grants.get(&grant).is_some_and(|g| g.offline);
        let refresh = offline.then(|| {
            let token = format!("rt-{}", random(32));
            let record = Refresh { grant, used: false };
            self.refresh.insert(token.clone(), record);
            token
        });
        (access, refresh)
    }

    /// Kills the grant and every token and code issued from it.
    pub(crate) fn revoke_grant(&mut self, grant: u64) {
        if let Some(record) = self.grants.get_mut(&grant) {
            record.alive = false;
        }
        for access in self.access.values_mut().filter(|a| a.grant == grant) {
            access.revoked = true;
        }
        for refresh in self.refresh.values_mut().filter(|r| r.grant == grant) {
            refresh.used = true;
        }
        for code in self.codes.values_mut().filter(|c| c.grant == grant) {
            code.used = true;
        }
    }

    /// Revokes every access token of `grant` but `keep`.
    pub(crate) fn revoke_access_except(&mut self, grant: u64, keep: &str) {
        for (token, access) in self.access.iter_mut() {
            if access.grant == grant && token != keep {
                access.revoked = true;
            }
        }
    }

    /// The grant an unexpired, unrevoked access token belongs to.
    pub(crate) fn live_access(&self, token: &str) -> Option<&Grant> {
        let access = self.access.get(token)?;
        let grant = self.grants.get(&access.grant)?;
        (!access.revoked && grant.alive && self.now() < access.expires_at).then_some(grant)
    }
}

/// The state behind a mutex, shared by the handle and the handlers.
pub(crate) struct Shared {
    /// The issuer identifier, e.g. `http://127.0.0.1:PORT/realms/test`.
    pub(crate) issuer: String,
    inner: Mutex<Inner>,
}

impl Shared {
    pub(crate) fn new(issuer: String, config: OAuth2Config) -> Self {
        let inner = Inner {
            knobs: config,
            clients: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            next_grant: 0,
            clock: CLOCK_START,
            started: Instant::now(),
            notes: Vec::new(),
            failures: HashMap::new(),
            counts: HashMap::new(),
            last: HashMap::new(),
            wrong_method: 0,
        };
        Self {
            issuer,
            inner: Mutex::new(inner),
        }
    }

    /// The state; a panicked holder cannot have left it half-changed in a way that matters.
    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts and records the request, then plays the failure queued for `endpoint`:
    /// `Some(failure)` to answer instead (a delay has already been slept, and a lost answer
    /// marked to be held once the request is handled: both give `None`).
    pub(crate) async fn enter(&self, endpoint: Endpoint, recorded: Recorded) -> Option<Failure> {
        let failure = {
            let mut inner = self.inner();
            inner.record(endpoint, recorded);
            inner
                .failures
                .get_mut(&endpoint)
                .and_then(VecDeque::pop_front)
        };
        match failure {
            Some(Failure::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                None
            }
            Some(Failure::LoseAnswer) => {
                super::lost::lose_this_answer();
                None
            }
            other => other,
        }
    }
}
