//! The wire dialects, one module per dialect ([`hivesigner`], [`steemconnect`]), each answering
//! the same questions ([`Dialect`]): the token request and how the client authenticates, the
//! token response, what a sign-in's code or token says about the app it was issued to, how a
//! token rides on API calls, the revoke request and the broadcast request. [`dialect`] is the
//! one place that picks the module from the provider's protocol. The authorize parameters are
//! the same for both (the oauth2 crate builds them in `authorize.rs`), and a standard OAuth 2.0
//! kind is one more module here.

pub mod hivesigner;
pub mod oauth2;
pub mod steemconnect;
pub mod token_site;

use reqwest::RequestBuilder;
use secrecy::SecretString;
use serde_json::Value;

use crate::apps::App;
use crate::error::Result;
use crate::oauth::statement::StatementFacts;
use crate::provider::Protocol;

/// The app's credentials, as a dialect sends them.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    /// The app's account name.
    pub client_id: &'a str,
    /// The secret the app owner chose.
    pub client_secret: &'a SecretString,
}

/// What a dialect answers. Requests come in with their method and URL set; each function adds
/// what the dialect puts in them.
pub trait Dialect: Sync {
    /// The code exchange: the code and the client's credentials, as the dialect sends them.
    fn exchange(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        code: &SecretString,
    ) -> RequestBuilder;

    /// The refresh: the refresh token, the credentials and the scope the app asked for.
    fn refresh(
        &self,
        request: RequestBuilder,
        client: ClientCredentials<'_>,
        refresh_token: &SecretString,
        scope: &str,
    ) -> RequestBuilder;

    /// What a sign-in's code or access token says about itself: `Ok(Some)` with its facts when
    /// it is a readable statement issued to `app`, `Ok(None)` when the dialect's tokens say
    /// nothing readable (then only `/api/me` vouches for it), an error when it names another
    /// app or none where the dialect always names one.
    fn issued_to(&self, app: &App, token: &str) -> Result<Option<StatementFacts>>;

    /// An API call (`/api/me`, broadcast, revoke) carrying `access_token`.
    fn with_token(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder;

    /// The revoke request for `access_token`.
    fn revoke(&self, request: RequestBuilder, access_token: &SecretString) -> RequestBuilder;

    /// The broadcast of one transaction's `operations` (legacy JSON), signed by the token's
    /// account.
    fn broadcast(
        &self,
        request: RequestBuilder,
        access_token: &SecretString,
        operations: &[Value],
    ) -> RequestBuilder;
}

/// The dialect of a Hivesigner-style `protocol`. The OAuth 2.0 and token-site kinds have
/// modules of their own ([`oauth2`], [`token_site`]) with their own shapes: their sign-ins,
/// refreshes and revocations are not Hivesigner's with other field names.
pub fn dialect(protocol: Protocol) -> &'static dyn Dialect {
    match protocol {
        Protocol::Hivesigner | Protocol::OAuth2 | Protocol::TokenSite => &hivesigner::Hivesigner,
        Protocol::SteemconnectV2 => &steemconnect::SteemconnectV2,
    }
}

/// An API call to `provider` carrying `access_token` in the header form its kind reads: the
/// raw token for Hivesigner, Steemconnect and raw token sites, `Bearer` for OAuth 2.0 servers
/// and Bearer token sites.
pub fn with_api_token(
    provider: &crate::provider::Provider,
    request: RequestBuilder,
    access_token: &SecretString,
) -> RequestBuilder {
    match provider.kind() {
        crate::provider::KindSettings::Signer => {
            dialect(provider.protocol()).with_token(request, access_token)
        }
        crate::provider::KindSettings::OAuth2(_) => oauth2::with_token(request, access_token),
        crate::provider::KindSettings::TokenSite(site) => {
            token_site::with_token(request, site.header, access_token)
        }
    }
}
