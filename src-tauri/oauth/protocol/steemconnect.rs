//! The Steemconnect v2 dialect that SteemLogin kept: form token requests with `grant_type` and
//! `client_id`, the scope sent back on refresh, expiring JWTs that Authdeck does not read (a
//! statement, from a Hivesigner-style server behind it, is still checked for its app), and
//! API calls like Hivesigner's.

use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::hivesigner::{same_app, Hivesigner};
use super::{ClientCredentials, Dialect};
use crate::apps::App;
use crate::error::Result;
use crate::oauth::statement::{self, StatementFacts};

/// SteemLogin, and servers compatible with Steemconnect v2.
pub struct SteemconnectV2;

impl Dialect for SteemconnectV2 {
    fn exchange(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        code: &SecretString,
    ) -> RequestBuilder {
        request.form(&[
            ("grant_type", "authorization_code"),
            ("code", code.expose_secret()),
            ("client_id", client.client_id),
            ("client_secret", client.client_secret.expose_secret()),
        ])
    }

    fn refresh(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        refresh_token: &SecretString,
        scope: &str,
    ) -> RequestBuilder {
        request.form(&[
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", client.client_id),
            ("client_secret", client.client_secret.expose_secret()),
            ("scope", scope),
        ])
    }

    fn issued_to(&self, app: &App, token: &str) -> Result<Option<StatementFacts>> {
        statement::read(token)
            .map(|facts| same_app(app, facts))
            .transpose()
    }

    fn with_token(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
        Hivesigner.with_token(request, access_token)
    }

    fn revoke(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
        Hivesigner.revoke(request, access_token)
    }

    fn broadcast(
        &self,
        request: RequestBuilder,
        access_token: &SecretString,
        operations: &[Value],
    ) -> RequestBuilder {
        Hivesigner.broadcast(request, access_token, operations)
    }
}
