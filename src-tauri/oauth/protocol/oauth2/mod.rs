//! The standard OAuth 2.0 dialect (RFC 6749 with RFC 7636 PKCE, RFC 9207 `iss`, RFC 7009
//! revocation), built on the `oauth2` crate. This module owns the public face of the dialect:
//! the client's description ([`Client`]), the authorize URL, the code exchange, the refresh,
//! the userinfo request and the bearer header; the revocation and the errors in plain words
//! are re-exported from their own modules.
//!
//! The `oauth2` crate builds the authorize URL (PKCE S256, `state`, scopes), the token
//! requests (client authentication, form bodies) and parses the token and error answers; the
//! requests go out through [`fetch`] with Authdeck's HTTP client, which follows no redirect
//! (a token endpoint's 301 is reported, never followed: following it turns the POST into a
//! GET) and tells a request that never reached the server from one whose answer was lost.
//! The revocation request is built by hand with the same client authentication: the crate
//! refuses a revocation endpoint that is not https, and loopback test servers are http.
//!
//! Modules: `client_auth` (how the app authenticates), `http` (oauth2's HTTP client over
//! [`fetch`], redirects refused), `grant` (a token answer's rules), `revocation` (RFC 7009),
//! `errors` (refusals and RFC 6749 codes in Authdeck's words), `challenge` (reading
//! `WWW-Authenticate`).

mod challenge;
mod client_auth;
mod errors;
mod grant;
mod http;
mod revocation;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, Scope,
};
use reqwest::header::ACCEPT;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, Result};
use crate::oauth::token::{decode, fetch, CallError, TokenGrant};
use crate::provider::OAuth2Settings;

use challenge::bearer_param;
use client_auth::token_client;
use errors::{refused_plain, refused_with};
use http::{redirected, Endpoint, Sender};

pub use errors::{into_error, says_invalid_token};
pub use revocation::revoke;

/// The app as an OAuth 2.0 client of one server.
#[derive(Clone, Copy)]
pub struct Client<'a> {
    /// The client id the server gave the app.
    pub client_id: &'a str,
    /// The client secret, for a confidential client (`settings.client_auth` is not `None`).
    pub secret: Option<&'a SecretString>,
    /// The server's endpoints and rules.
    pub settings: &'a OAuth2Settings,
}

/// An authorize URL and the PKCE verifier that goes with it (kept by the attempt, sent only
/// to the token endpoint).
pub struct AuthorizeRequest {
    /// The consent page to open.
    pub url: Url,
    /// The PKCE code verifier.
    pub pkce_verifier: SecretString,
}

/// The consent page for `scopes`, redirecting to `redirect_uri`, with `state` and a fresh
/// PKCE S256 challenge.
pub fn authorize_url(
    client: Client<'_>,
    scopes: &[String],
    redirect_uri: &str,
    state: &str,
) -> Result<AuthorizeRequest> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|_| Error::Internal("the sign-in's redirect URI is not a URL".into()))?;
    let oauth = BasicClient::new(ClientId::new(client.client_id.to_owned()))
        .set_auth_uri(AuthUrl::from_url(client.settings.authorize.clone()))
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = oauth
        .authorize_url(|| CsrfToken::new(state.to_owned()))
        .add_scopes(
            scopes
                .iter()
                .filter(|scope| !scope.is_empty())
                .map(|scope| Scope::new(scope.clone())),
        )
        .set_pkce_challenge(challenge);
    if scopes.iter().any(|scope| scope == "offline_access") {
        // OpenID servers issue a refresh token only for offline_access with prompt=consent.
        request = request.add_extra_param("prompt", "consent");
    }
    let (url, _state) = request.url();
    Ok(AuthorizeRequest {
        url,
        pkce_verifier: SecretString::from(verifier.into_secret()),
    })
}

/// Exchanges `code` for tokens with the PKCE `verifier` and the byte-identical `redirect_uri`.
pub async fn exchange(
    http: &reqwest::Client,
    client: Client<'_>,
    code: &SecretString,
    verifier: &SecretString,
    redirect_uri: &str,
) -> std::result::Result<TokenGrant, CallError> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|_| {
        CallError::BadResponse("the sign-in's redirect URI is not a URL (nothing was sent)".into())
    })?;
    let sender = Sender::new(http, &client.settings.token, Endpoint::Token);
    let answer = token_client(client)
        .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
        .set_redirect_uri(Cow::Owned(redirect))
        .request_async(&sender)
        .await;
    sender.grant(answer)
}

/// Trades `refresh_token` for new tokens (the answer may carry a rotated refresh token).
pub async fn refresh(
    http: &reqwest::Client,
    client: Client<'_>,
    refresh_token: &SecretString,
) -> std::result::Result<TokenGrant, CallError> {
    let sender = Sender::new(http, &client.settings.token, Endpoint::Token);
    let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
    let answer = token_client(client)
        .exchange_refresh_token(&token)
        .request_async(&sender)
        .await;
    sender.grant(answer)
}

/// The account's name from the userinfo endpoint: `preferred_username`, else `sub`.
pub async fn userinfo(
    http: &reqwest::Client,
    settings: &OAuth2Settings,
    access_token: &SecretString,
) -> std::result::Result<String, CallError> {
    let request = http
        .get(settings.userinfo.clone())
        .header(ACCEPT, "application/json");
    let answer = fetch(with_token(request, access_token)).await?;
    if answer.status.is_redirection() {
        return Err(redirected(
            Endpoint::Userinfo,
            &settings.userinfo,
            &answer.headers,
            answer.status,
        ));
    }
    if matches!(answer.status.as_u16(), 401 | 403) {
        if let Some(error) = bearer_param(&answer.headers, "error") {
            let description = bearer_param(&answer.headers, "error_description");
            return Err(refused_with(&answer, &error, description.as_deref()));
        }
    }
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(refused_plain(&answer));
    }
    let info: serde_json::Value = decode(answer).map_err(|err| match err {
        CallError::BadResponse(_) => {
            CallError::BadResponse("its userinfo answer is not JSON".into())
        }
        other => other,
    })?;
    let name = |field: &str| {
        info.get(field)
            .and_then(serde_json::Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .map(str::to_owned)
    };
    name("preferred_username")
        .or_else(|| name("sub"))
        .ok_or_else(|| {
            CallError::BadResponse(
                "its userinfo answer names no account (no preferred_username and no sub)".into(),
            )
        })
}

/// An API call carrying `access_token` as `Authorization: Bearer`.
pub fn with_token(request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
    request.bearer_auth(access_token.expose_secret())
}
