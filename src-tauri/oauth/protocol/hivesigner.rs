//! Hivesigner's dialect (see the protocol page): JSON token requests carrying `client_secret`
//! and never an `Authorization` header (the server reads a header token before the body);
//! tokens are signed statements that name their account and their app; API calls, revoke
//! included, carry the raw token in the `Authorization` header, as the official SDKs send it.

use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::{ClientCredentials, Dialect};
use crate::apps::App;
use crate::error::{Error, Result};
use crate::oauth::statement::{self, StatementFacts};

/// Hivesigner, and servers compatible with it.
pub struct Hivesigner;

impl Dialect for Hivesigner {
    fn exchange(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        code: &SecretString,
    ) -> RequestBuilder {
        request.json(&json!({
            "code": code.expose_secret(),
            "client_secret": client.client_secret.expose_secret(),
        }))
    }

    fn refresh(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        refresh_token: &SecretString,
        _scope: &str,
    ) -> RequestBuilder {
        request.json(&json!({
            "refresh_token": refresh_token.expose_secret(),
            "client_secret": client.client_secret.expose_secret(),
        }))
    }

    fn issued_to(&self, app: &App, token: &str) -> Result<Option<StatementFacts>> {
        let Some(facts) = statement::read(token) else {
            return Err(Error::SignInAnswerInvalid {
                problem: "its code or token is not one this provider issues (it names no app)"
                    .into(),
            });
        };
        same_app(app, facts).map(Some)
    }

    fn with_token(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
        request.header(reqwest::header::AUTHORIZATION, access_token.expose_secret())
    }

    /// The token in the `Authorization` header, where Hivesigner reads it (it never reads a
    /// field named `token`; without the header the answer is 401 "The token has invalid
    /// role"). The `{"token": ...}` body is harmless and what older servers read.
    fn revoke(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
        let request = request.json(&json!({ "token": access_token.expose_secret() }));
        self.with_token(request, access_token)
    }

    fn broadcast(
        &self,
        request: RequestBuilder,
        access_token: &SecretString,
        operations: &[Value],
    ) -> RequestBuilder {
        self.with_token(
            request.json(&json!({ "operations": operations })),
            access_token,
        )
    }
}

/// `facts` when the statement names `app`, or the error naming the app it does name.
pub fn same_app(app: &App, facts: StatementFacts) -> Result<StatementFacts> {
    match &facts.app {
        Some(issued_to) if *issued_to == app.client_id => Ok(facts),
        Some(issued_to) => Err(Error::TokenForOtherApp {
            client_id: app.client_id.clone(),
            issued_to: issued_to.clone(),
        }),
        None => Err(Error::SignInAnswerInvalid {
            problem: "its code or token does not say which app it was issued to".into(),
        }),
    }
}
