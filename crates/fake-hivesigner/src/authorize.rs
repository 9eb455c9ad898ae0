//! The authorize flow: the request, which redirect URIs an app may use, approving, and the
//! `/oauth2/authorize` and consent-decision routes.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use rand::seq::SliceRandom;
use url::Url;

use crate::errors::{found, not_found};
use crate::pages::{consent_page, denied_page};
use crate::routes::parse_form;
use crate::state::{Endpoint, Shared};
use crate::tokens::{Grant, TokenKind};
use crate::{Consent, Dialect, RedirectRules};

/// The authorize page's query.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scope: String,
    response_type: String,
    state: String,
}

impl AuthRequest {
    fn from_params(params: &HashMap<String, String>) -> Self {
        let field = |name: &str| params.get(name).cloned().unwrap_or_default();
        Self {
            client_id: field("client_id"),
            redirect_uri: field("redirect_uri"),
            scope: field("scope"),
            response_type: field("response_type"),
            state: field("state"),
        }
    }

    /// The fields, to carry through the consent page's form.
    pub(crate) fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("response_type", &self.response_type),
            ("state", &self.state),
        ]
    }

    /// `offline` anywhere: posting and code flow; exactly `login`: identity; else posting.
    pub(crate) fn grant(&self) -> Grant {
        if self.scope.contains("offline") {
            return Grant::OFFLINE;
        }
        let access = if self.scope.trim() == "login" {
            TokenKind::Login
        } else {
            TokenKind::Posting
        };
        Grant {
            access,
            offline: false,
        }
    }

    pub(crate) fn code_flow(&self) -> bool {
        self.grant().offline || self.response_type == "code"
    }
}

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// Same scheme, host, path and query; the port may differ.
fn same_but_port(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && a.query() == b.query()
}

fn legacy_allows(registered: &[String], requested: &str) -> bool {
    registered.iter().any(|uri| uri == requested)
}

fn modern_allows(registered: &[String], requested: &str) -> bool {
    let Ok(url) = Url::parse(requested) else {
        return false;
    };
    match url.scheme() {
        "https" => legacy_allows(registered, requested),
        "http" if is_loopback(&url) => registered
            .iter()
            .filter_map(|uri| Url::parse(uri).ok())
            .any(|uri| same_but_port(&uri, &url)),
        _ => false,
    }
}

impl RedirectRules {
    fn allows(self, registered: &[String], requested: &str) -> bool {
        match self {
            RedirectRules::Legacy => legacy_allows(registered, requested),
            RedirectRules::Modern2026 => modern_allows(registered, requested),
            RedirectRules::AnyGeneration => {
                legacy_allows(registered, requested) || modern_allows(registered, requested)
            }
        }
    }
}

impl Shared {
    /// The app is known and this redirect URI is allowed for it.
    fn accepts(&self, request: &AuthRequest) -> bool {
        let inner = self.inner();
        inner.apps.get(&request.client_id).is_some_and(|app| {
            let rules = self.config.redirect_rules;
            rules.allows(&app.redirect_uris, &request.redirect_uri)
        })
    }

    fn knows_user(&self, user: &str) -> bool {
        self.config.users.iter().any(|known| known == user)
    }

    fn default_user(&self) -> &str {
        self.config.users.first().map_or("alice", String::as_str)
    }

    /// Issues what the request asks for and returns where the browser goes back to.
    fn approve(&self, request: &AuthRequest, user: &str) -> String {
        let grant = request.grant();
        let mut params: Vec<(&str, String)> = {
            let mut inner = self.inner();
            let app = &inner
                .issue_for_app
                .clone()
                .unwrap_or_else(|| request.client_id.clone());
            if request.code_flow() {
                let code = inner.mint(TokenKind::Code, app, user, grant);
                vec![
                    ("code", code),
                    ("state", request.state.clone()),
                    ("username", user.into()),
                ]
            } else {
                let token = inner.mint(grant.access, app, user, grant);
                vec![
                    ("state", request.state.clone()),
                    ("access_token", token),
                    ("expires_in", inner.expires_in.to_string()),
                    ("username", user.into()),
                ]
            }
        };
        params.retain(|(key, value)| *key != "state" || !value.is_empty());
        self.order_keys(&mut params);
        self.join_callback(&request.redirect_uri, &params)
    }

    fn order_keys(&self, params: &mut [(&str, String)]) {
        if self.config.dialect == Dialect::SteemconnectV2 {
            params.sort_by_key(|(key, _)| *key);
        }
        if self.config.shuffle_keys {
            params.shuffle(&mut rand::rng());
        }
    }

    /// `CALLBACK?query`; a callback with a query of its own gets `&` (or a second `?`).
    fn join_callback(&self, callback: &str, params: &[(&str, String)]) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let own_query = callback.contains('?');
        let separator = if own_query && !self.config.legacy_second_question_mark {
            '&'
        } else {
            '?'
        };
        format!("{callback}{separator}{query}")
    }
}

pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(failure) = shared.enter(Endpoint::Authorize).await {
        return failure.into_response();
    }
    let request = AuthRequest::from_params(&parse_form(query.unwrap_or_default().as_bytes()));
    if !shared.accepts(&request) {
        return not_found();
    }
    let consent = shared.inner().consent.clone();
    match consent {
        Consent::AutoApprove { user } => found(&shared.approve(&request, &user)),
        Consent::Deny => denied_page(&request).into_response(),
        Consent::Page => consent_page(&request, shared.default_user(), None).into_response(),
    }
}

/// The consent page's form: approve as an account the fake knows, or deny.
pub(crate) async fn decide(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = parse_form(&body);
    let request = AuthRequest::from_params(&form);
    if !shared.accepts(&request) {
        return not_found();
    }
    let user = form.get("username").map_or("", |name| name.trim());
    match form.get("decision").map(String::as_str) {
        Some("approve") if shared.knows_user(user) => found(&shared.approve(&request, user)),
        Some("approve") => {
            let known = shared.config.users.join(", ");
            let problem = format!("There is no account @{user} here. Known accounts: {known}.");
            consent_page(&request, user, Some(&problem)).into_response()
        }
        _ => denied_page(&request).into_response(),
    }
}
