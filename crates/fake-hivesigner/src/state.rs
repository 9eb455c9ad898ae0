//! The shared state: the fixed configuration, the knobs the handle turns, what the handlers
//! record, and the failures queued per endpoint.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use crate::errors::{api_error, invalid_role, server_error, Refusal};
use crate::tokens::{now_secs, Grant, Issued, Statement, TokenKind};
use crate::{Consent, FakeConfig};

/// The endpoints the fake counts and can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /oauth2/authorize`.
    Authorize,
    /// `POST /api/oauth2/token` without a `refresh_token` field in the body.
    CodeExchange,
    /// `POST /api/oauth2/token` with a `refresh_token` field in the body.
    Refresh,
    /// `/api/me`.
    Me,
    /// `POST /api/broadcast`.
    Broadcast,
    /// `POST /api/oauth2/token/revoke`.
    Revoke,
}

/// A one-shot failure queued with [`FakeHivesigner::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // `NodeFailure` is the name the tests were promised
pub enum Failure {
    /// 500 `{"error":"server_error",...}`.
    ServerError,
    /// Answer normally, after this delay.
    Delay(Duration),
    /// 200 with a body that is not JSON.
    GarbageJson,
    /// 501: the Hive node behind the service failed.
    NodeFailure,
    /// Broadcast: accept and broadcast the transaction, then never answer (the client's
    /// answer is lost; the operations are on chain all the same).
    LoseAnswer,
}

#[derive(Clone, Debug)]
pub(crate) struct App {
    pub(crate) secret: String,
    pub(crate) redirect_uris: Vec<String>,
}

/// Everything the knobs turn and the handlers record.
pub(crate) struct Inner {
    pub(crate) apps: HashMap<String, App>,
    pub(crate) consent: Consent,
    pub(crate) expires_in: u64,
    pub(crate) enforce_expiry: bool,
    pub(crate) refuse_refresh: bool,
    pub(crate) full_broadcast_result: bool,
    pub(crate) revoked_authority: HashSet<String>,
    pub(crate) chain_failures: VecDeque<String>,
    pub(crate) failures: HashMap<Endpoint, VecDeque<Failure>>,
    pub(crate) counts: HashMap<Endpoint, usize>,
    pub(crate) broadcasts: Vec<Value>,
    /// Issued tokens by signature: the fake's signature check.
    pub(crate) issued: HashMap<String, Issued>,
    /// Tokens and codes from the consent page name this app instead of the requesting one.
    pub(crate) issue_for_app: Option<String>,
    /// Called with the operations of every accepted broadcast (a fake chain listens here).
    pub(crate) on_broadcast: Option<BroadcastHook>,
}

/// See [`FakeHivesigner::on_broadcast`].
pub type BroadcastHook = Arc<dyn Fn(&Value) + Send + Sync>;

impl Inner {
    /// Issues a token now.
    pub(crate) fn mint(&mut self, kind: TokenKind, app: &str, user: &str, grant: Grant) -> String {
        self.sign(Statement::new(kind, app, user, now_secs()), grant)
    }

    /// Remembers the statement (the fake's signature) and returns it as a token.
    pub(crate) fn sign(&mut self, statement: Statement, grant: Grant) -> String {
        let token = statement.encode();
        let signature = statement.signature().unwrap_or_default().to_owned();
        let issued = Issued {
            statement,
            grant,
            expired: false,
        };
        self.issued.insert(signature, issued);
        token
    }

    /// The issued token this statement is, if it is one, untampered.
    pub(crate) fn lookup(&self, statement: &Statement) -> Option<Issued> {
        let issued = self.issued.get(statement.signature()?)?;
        (issued.statement == *statement).then(|| issued.clone())
    }

    pub(crate) fn is_expired(&self, issued: &Issued) -> bool {
        let age = now_secs().saturating_sub(issued.statement.timestamp);
        self.enforce_expiry
            && issued.kind().is_access()
            && (issued.expired || age >= self.expires_in)
    }
}

/// The fixed configuration and the mutable state, shared by the handle and the handlers.
pub(crate) struct Shared {
    pub(crate) config: FakeConfig,
    inner: Mutex<Inner>,
    /// The answer delay, the rate limit and the in-flight record (`pacing`).
    pub(crate) edge: Arc<crate::pacing::Edge>,
}

impl Shared {
    pub(crate) fn new(config: FakeConfig) -> Self {
        let inner = Inner {
            apps: HashMap::new(),
            consent: config.consent.clone(),
            expires_in: config.expires_in,
            enforce_expiry: false,
            refuse_refresh: false,
            full_broadcast_result: false,
            revoked_authority: HashSet::new(),
            chain_failures: VecDeque::new(),
            failures: HashMap::new(),
            counts: HashMap::new(),
            broadcasts: Vec::new(),
            issued: HashMap::new(),
            issue_for_app: None,
            on_broadcast: None,
        };
        Self {
            config,
            inner: Mutex::new(inner),
            edge: Arc::default(),
        }
    }

    /// The state; a panicked holder cannot have left it half-changed in a way that matters.
    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the request, then plays the failure queued for `endpoint`, if any. `Ok(true)`:
    /// answer nothing once the request is done ([`Failure::LoseAnswer`]).
    pub(crate) async fn enter(&self, endpoint: Endpoint) -> Result<bool, Refusal> {
        let failure = {
            let mut inner = self.inner();
            *inner.counts.entry(endpoint).or_default() += 1;
            inner
                .failures
                .get_mut(&endpoint)
                .and_then(VecDeque::pop_front)
        };
        match failure {
            None => Ok(false),
            // Played by the broadcast handler once the transaction is on chain.
            Some(Failure::LoseAnswer) => Ok(true),
            Some(Failure::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                Ok(false)
            }
            Some(Failure::ServerError) => Err(server_error("Internal Server Error")),
            Some(Failure::GarbageJson) => Err(Refusal::Garbage),
            Some(Failure::NodeFailure) => Err(api_error(
                StatusCode::NOT_IMPLEMENTED,
                "server_error",
                "Request to hived API failed",
            )),
        }
    }

    /// The issued, unexpired token of one of the `allowed` kinds.
    pub(crate) fn verify(
        &self,
        token: Option<&str>,
        allowed: &[TokenKind],
    ) -> Result<Issued, Refusal> {
        let statement = token.and_then(Statement::decode).ok_or_else(invalid_role)?;
        let inner = self.inner();
        let issued = inner
            .lookup(&statement)
            .filter(|issued| allowed.contains(&issued.kind()))
            .ok_or_else(invalid_role)?;
        if inner.is_expired(&issued) {
            return Err(api_error(
                StatusCode::UNAUTHORIZED,
                "invalid_grant",
                "The token has expired",
            ));
        }
        Ok(issued)
    }
}
