//! How the app authenticates to the server (RFC 6749 2.3): one way, picked from the app's
//! settings and secret, for the token requests the `oauth2` crate builds ([`token_client`])
//! and for the revocation request built by hand ([`authenticate`]).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, TokenUrl};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use url::form_urlencoded::Serializer;

use super::Client;
use crate::provider::ClientAuth;

/// The `oauth2` crate's client with only its token endpoint set.
pub(super) type TokenEndpointClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// How the app authenticates, from `settings.client_auth` and the secret: one way, never
/// two at once. A confidential method without a secret goes as a public client (the server
/// then answers `invalid_client`); a public client's secret is never sent.
enum Auth<'a> {
    /// `client_id` in the form body, nothing else.
    Public,
    /// `client_secret_basic`: `Authorization: Basic`, nothing in the body.
    Basic(&'a SecretString),
    /// `client_secret_post`: `client_id` and `client_secret` in the body, no header.
    Post(&'a SecretString),
}

fn auth(client: Client<'_>) -> Auth<'_> {
    match (client.settings.client_auth, client.secret) {
        (ClientAuth::Basic, Some(secret)) => Auth::Basic(secret),
        (ClientAuth::Post, Some(secret)) => Auth::Post(secret),
        _ => Auth::Public,
    }
}

/// The oauth2 client for the token endpoint, authenticating as [`auth`] says.
pub(super) fn token_client(client: Client<'_>) -> TokenEndpointClient {
    let oauth = BasicClient::new(ClientId::new(client.client_id.to_owned()))
        .set_token_uri(TokenUrl::from_url(client.settings.token.clone()));
    let secret = |secret: &SecretString| ClientSecret::new(secret.expose_secret().to_owned());
    match auth(client) {
        // Without a secret, oauth2 puts client_id in the body and sends no header.
        Auth::Public => oauth.set_auth_type(AuthType::RequestBody),
        Auth::Basic(key) => oauth
            .set_client_secret(secret(key))
            .set_auth_type(AuthType::BasicAuth),
        Auth::Post(key) => oauth
            .set_client_secret(secret(key))
            .set_auth_type(AuthType::RequestBody),
    }
}

/// Authenticates a hand-built form request as [`auth`] says, exactly as oauth2 does at the
/// token endpoint: the `Basic` header, or `client_id` (and `client_secret`) in `form`.
pub(super) fn authenticate(
    client: Client<'_>,
    request: RequestBuilder,
    form: &mut Serializer<'_, String>,
) -> RequestBuilder {
    match auth(client) {
        Auth::Public => {
            form.append_pair("client_id", client.client_id);
            request
        }
        Auth::Basic(secret) => {
            request.header(AUTHORIZATION, basic_header(client.client_id, secret))
        }
        Auth::Post(secret) => {
            form.append_pair("client_id", client.client_id)
                .append_pair("client_secret", secret.expose_secret());
            request
        }
    }
}

/// RFC 6749 2.3.1's `Basic` credentials: the id and the secret each form-urlencoded first.
fn basic_header(client_id: &str, secret: &SecretString) -> HeaderValue {
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let key: String =
        url::form_urlencoded::byte_serialize(secret.expose_secret().as_bytes()).collect();
    let encoded = BASE64.encode(format!("{id}:{key}"));
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a valid header value");
    value.set_sensitive(true);
    value
}
