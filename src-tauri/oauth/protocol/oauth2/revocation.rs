//! RFC 7009 token revocation: which token is revoked first, the request (built here, with
//! the client authentication of the token endpoint: the `oauth2` crate refuses a revocation
//! endpoint that is not https, and loopback test servers are http) and its answer.

use oauth2::{RevocationErrorResponseType, StandardErrorResponse};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::client_auth::authenticate;
use super::errors::{refused_plain, refused_with};
use super::http::{redirected, Endpoint};
use super::Client;
use crate::oauth::token::{fetch, CallError};

/// Revokes the grant per RFC 7009: the refresh token first (`token_type_hint=refresh_token`),
/// then the access token when there is no refresh token or its revocation failed. `Ok(false)`
/// when the server has no revocation endpoint.
pub async fn revoke(
    http: &reqwest::Client,
    client: Client<'_>,
    access_token: &SecretString,
    refresh_token: Option<&SecretString>,
) -> std::result::Result<bool, CallError> {
    let Some(endpoint) = client.settings.revocation.as_ref() else {
        return Ok(false);
    };
    let mut first_failure = None;
    if let Some(refresh_token) = refresh_token {
        match revoke_one(http, client, endpoint, refresh_token, "refresh_token").await {
            Ok(()) => return Ok(true),
            Err(err) => first_failure = Some(err),
        }
    }
    match revoke_one(http, client, endpoint, access_token, "access_token").await {
        Ok(()) => Ok(true),
        // The refresh token's failure says why the grant may still be alive.
        Err(err) => Err(first_failure.unwrap_or(err)),
    }
}

/// One RFC 7009 request for `token` with its `hint`, authenticated as at the token endpoint.
async fn revoke_one(
    http: &reqwest::Client,
    client: Client<'_>,
    endpoint: &Url,
    token: &SecretString,
    hint: &str,
) -> std::result::Result<(), CallError> {
    let request = http
        .post(endpoint.clone())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    // The form is not `Send`: it must be gone before the await.
    let (request, body) = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token.expose_secret())
            .append_pair("token_type_hint", hint);
        let request = authenticate(client, request, &mut form);
        (request, form.finish())
    };
    let answer = fetch(request.body(body)).await?;
    if answer.status.is_success() {
        // RFC 7009 2.2: 200, the body (usually empty) means nothing.
        return Ok(());
    }
    if answer.status.is_redirection() {
        return Err(redirected(
            Endpoint::Revocation,
            endpoint,
            &answer.headers,
            answer.status,
        ));
    }
    let parsed =
        serde_json::from_slice::<StandardErrorResponse<RevocationErrorResponseType>>(&answer.body);
    Err(match parsed {
        Ok(refusal) => refused_with(
            &answer,
            refusal.error().as_ref(),
            refusal.error_description().map(String::as_str),
        ),
        Err(_) => refused_plain(&answer),
    })
}
