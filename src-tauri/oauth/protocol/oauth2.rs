//! The standard OAuth 2.0 dialect (RFC 6749 with RFC 7636 PKCE, RFC 9207 `iss`, RFC 7009
//! revocation), built on the `oauth2` crate: the authorize URL, the code exchange, the
//! refresh, the userinfo request, the revocation, and RFC 6749 5.2 errors in plain words.
//!
//! The `oauth2` crate builds the authorize URL (PKCE S256, `state`, scopes), the token
//! requests (client authentication, form bodies) and parses the token and error answers; the
//! requests go out through [`fetch`] with Authdeck's HTTP client, which follows no redirect
//! (a token endpoint's 301 is reported, never followed: following it turns the POST into a
//! GET) and tells a request that never reached the server from one whose answer was lost.
//! The revocation request is built here with the same client authentication: the crate
//! refuses a revocation endpoint that is not https, and loopback test servers are http.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse, BasicTokenType};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, RevocationErrorResponseType, Scope, StandardErrorResponse, TokenResponse,
    TokenUrl,
};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, Result};
use crate::oauth::token::{
    decode, fetch, CallError, RawAnswer, TokenGrant, MAX_LIFETIME_SECONDS, MAX_RAW_BYTES,
};
use crate::provider::{ClientAuth, OAuth2Settings};
use crate::redact::redact;

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
    let oauth = token_client(client);
    let sender = Sender::new(http, &client.settings.token, Endpoint::Token);
    let answer = oauth
        .exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
        .set_redirect_uri(Cow::Owned(redirect))
        .request_async(&sender)
        .await;
    grant_from(answer.map_err(|err| sender.call_error(err))?)
}

/// Trades `refresh_token` for new tokens (the answer may carry a rotated refresh token).
pub async fn refresh(
    http: &reqwest::Client,
    client: Client<'_>,
    refresh_token: &SecretString,
) -> std::result::Result<TokenGrant, CallError> {
    let oauth = token_client(client);
    let sender = Sender::new(http, &client.settings.token, Endpoint::Token);
    let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
    let answer = oauth
        .exchange_refresh_token(&token)
        .request_async(&sender)
        .await;
    grant_from(answer.map_err(|err| sender.call_error(err))?)
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

/// An API call carrying `access_token` as `Authorization: Bearer`.
pub fn with_token(request: RequestBuilder, access_token: &SecretString) -> RequestBuilder {
    request.bearer_auth(access_token.expose_secret())
}

/// Whether `answer` is a 401 whose `WWW-Authenticate: Bearer` challenge says
/// `error="invalid_token"` (RFC 6750 3.1): worth one refresh and one retry.
pub fn says_invalid_token(answer: &RawAnswer) -> bool {
    answer.status == StatusCode::UNAUTHORIZED
        && bearer_param(&answer.headers, "error")
            .is_some_and(|error| error.eq_ignore_ascii_case("invalid_token"))
}

/// The error for the person: RFC 6749 5.2 codes in Authdeck's own words (never built on the
/// server's description), a lost or missing answer, an unreadable one.
pub fn into_error(err: CallError, provider: &str, client_id: &str) -> Error {
    let provider = provider.to_owned();
    match err {
        CallError::Unreachable(reason) => Error::ProviderUnreachable { provider, reason },
        CallError::AnswerLost(reason) => Error::ProviderUnreachable {
            provider,
            reason: format!("the request went out but its answer was lost: {reason}"),
        },
        CallError::BadResponse(problem) => Error::ProviderBadResponse { provider, problem },
        CallError::Refused { status, error, .. } => match error.as_str() {
            "invalid_grant" => Error::NeedsSignIn {
                reason: "the server no longer accepts this sign-in (invalid_grant)".into(),
            },
            "invalid_client" => Error::ClientRejected {
                provider,
                client_id: client_id.to_owned(),
            },
            code => Error::OAuthRefused {
                meaning: meaning(code, status),
                code: error,
                provider,
            },
        },
    }
}

/// What an RFC 6749 5.2 (or RFC 6750 3.1, RFC 7009 2.2.1) error code means and what to do,
/// in Authdeck's words; `status` for the codes Authdeck made from a bare HTTP status.
fn meaning(code: &str, status: u16) -> String {
    let words = match code {
        "invalid_request" => {
            "the server found the request malformed (a parameter missing, repeated or not \
             allowed): check that the app's redirect URI and client authentication method \
             are the ones registered at the server"
        }
        "invalid_scope" => {
            "the app asked for a scope the server does not grant to it: change the app's \
             scopes to ones the server lists"
        }
        "unauthorized_client" => {
            "the server does not let this app use this kind of grant (authorization code or \
             refresh token): allow it in the app's settings at the server"
        }
        "access_denied" => {
            "the account owner or the server refused the authorization: sign in again and \
             approve the app, or ask the server's administrator why it was refused"
        }
        "temporarily_unavailable" => {
            "the server is overloaded or down for maintenance: try again in a few minutes"
        }
        "unsupported_grant_type" => {
            "the server does not support this grant type (authorization code or refresh \
             token): check that the provider is set up as a standard OAuth 2.0 server and that \
             the grant is enabled for the app"
        }
        "unsupported_response_type" => {
            "the server does not hand out authorization codes to this app: enable the \
             authorization code flow for the app at the server"
        }
        "server_error" => {
            "the server failed while handling the request, which is on the server's side: try \
             again later"
        }
        "unsupported_token_type" => {
            "the server cannot revoke this kind of token: remove the app's access in the \
             account's settings at the provider"
        }
        "invalid_token" => {
            "the server does not accept the access token (expired, revoked or malformed): \
             sign in again"
        }
        "insufficient_scope" => {
            "the access token lacks a scope this request needs: add it to the app's scopes \
             and sign in again"
        }
        _ if code.starts_with("http_") && status >= 500 => {
            return format!(
                "the server failed with HTTP {status} without an OAuth 2.0 error, which is on \
                 the server's side: try again later"
            );
        }
        _ if code.starts_with("http_") => {
            return format!(
                "the server answered HTTP {status} without an OAuth 2.0 error: check the \
                 endpoint addresses in the provider's settings"
            );
        }
        _ => {
            "the server gave an error Authdeck does not know: check the app's settings at the \
             server, then try again"
        }
    };
    words.to_owned()
}

// ---------------------------------------------------------------------------------------------
// Client authentication

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
fn token_client(
    client: Client<'_>,
) -> BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
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

// ---------------------------------------------------------------------------------------------
// Sending oauth2's requests

/// Which endpoint a request went to, for the words of its errors.
#[derive(Clone, Copy)]
enum Endpoint {
    Token,
    Revocation,
    Userinfo,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Token => "token endpoint",
            Endpoint::Revocation => "revocation endpoint",
            Endpoint::Userinfo => "userinfo endpoint",
        }
    }

    fn requests(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Revocation => "revocation",
            Endpoint::Userinfo => "userinfo",
        }
    }
}

/// A failed call, kept whole through oauth2's `RequestTokenError::Request`. Its text says
/// nothing of the request (no URL, no body).
#[derive(Debug)]
struct Failed(CallError);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request to the OAuth 2.0 server failed")
    }
}

impl std::error::Error for Failed {}

/// What the last answer was, for the errors oauth2 reports without its status.
struct Seen {
    status: StatusCode,
    raw: String,
}

/// oauth2's HTTP client: sends its requests through [`fetch`] to `url` (the endpoint exactly
/// as configured), refuses redirects, and remembers the answer's status. Its futures own
/// what they use (`'static`), so the futures of its callers stay `Send` for any lifetime.
#[derive(Clone)]
struct Sender {
    http: reqwest::Client,
    url: Url,
    endpoint: Endpoint,
    seen: Arc<Mutex<Option<Seen>>>,
}

impl<'c> AsyncHttpClient<'c> for Sender {
    type Error = Failed;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<HttpResponse, Failed>> + Send + 'static>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let sender = self.clone();
        Box::pin(async move { sender.send(request).await })
    }
}

impl Sender {
    fn new(http: &reqwest::Client, url: &Url, endpoint: Endpoint) -> Self {
        Self {
            http: http.clone(),
            url: url.clone(),
            endpoint,
            seen: Arc::new(Mutex::new(None)),
        }
    }

    async fn send(&self, request: HttpRequest) -> std::result::Result<HttpResponse, Failed> {
        let (parts, body) = request.into_parts();
        let request = self
            .http
            .request(parts.method, self.url.clone())
            .headers(parts.headers)
            .body(body);
        let answer = fetch(request).await.map_err(Failed)?;
        if answer.status.is_redirection() {
            return Err(Failed(redirected(
                self.endpoint,
                &self.url,
                &answer.headers,
                answer.status,
            )));
        }
        let seen = Seen {
            status: answer.status,
            raw: raw_text(&answer.body),
        };
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen);
        let mut response = HttpResponse::new(answer.body);
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        Ok(response)
    }

    /// oauth2's error as a [`CallError`]: the call's own failure as it was, the server's RFC
    /// 6749 5.2 error as `Refused`, an error answer without one as `Refused` with
    /// `http_<status>`, an unreadable success as `BadResponse`.
    fn call_error(&self, err: RequestTokenError<Failed, BasicErrorResponse>) -> CallError {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match (err, seen) {
            (RequestTokenError::Request(Failed(err)), _) => err,
            (RequestTokenError::ServerResponse(answer), Some(seen)) => CallError::Refused {
                status: seen.status.as_u16(),
                error: error_code(answer.error().as_ref()),
                description: description(
                    answer.error_description().map(String::as_str),
                    seen.status,
                ),
                raw: seen.raw,
            },
            (_, Some(seen)) if !seen.status.is_success() => CallError::Refused {
                status: seen.status.as_u16(),
                error: format!("http_{}", seen.status.as_u16()),
                description: description(None, seen.status),
                raw: seen.raw,
            },
            (RequestTokenError::Parse(err, _), Some(seen)) => {
                // serde's message may quote a value; only a missing field's is quoted safely.
                let inner = err.inner().to_string();
                let detail = if inner.starts_with("missing field") {
                    inner
                        .split(" at line")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                } else {
                    format!("unexpected value at {}", err.path())
                };
                CallError::BadResponse(format!(
                    "its {} answered HTTP {} with a body that is not an OAuth 2.0 token \
                     answer ({})",
                    self.endpoint.name(),
                    seen.status.as_u16(),
                    redact(&detail)
                ))
            }
            (_, Some(seen)) => CallError::BadResponse(format!(
                "its {} answered HTTP {} with an empty body or one that is not JSON",
                self.endpoint.name(),
                seen.status.as_u16()
            )),
            (_, None) => CallError::BadResponse(format!(
                "the request to its {} could not be built (nothing was sent); check the \
                 endpoint's address",
                self.endpoint.name()
            )),
        }
    }
}

/// A 3xx from an endpoint: reported, never followed.
fn redirected(endpoint: Endpoint, url: &Url, headers: &HeaderMap, status: StatusCode) -> CallError {
    let location = headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let given = url.as_str();
    let slash_only = location.trim_end_matches('/') == given.trim_end_matches('/')
        && location.ends_with('/') != given.ends_with('/');
    let fix = match (slash_only, location.ends_with('/')) {
        (true, true) => "the address needs a trailing slash: add it to the endpoint",
        (true, false) => "the address must not end with a slash: remove it from the endpoint",
        (false, _) => "check the endpoint's address (for example a missing trailing slash)",
    };
    let to = if location.is_empty() {
        String::new()
    } else {
        let shown: String = location.chars().take(200).collect();
        format!(" to {}", redact(&shown))
    };
    CallError::BadResponse(format!(
        "its {} answered HTTP {} with a redirect{to}, and Authdeck does not follow redirects \
         for {} requests: {fix} in the provider's settings",
        endpoint.name(),
        status.as_u16(),
        endpoint.requests(),
    ))
}

/// A token answer as a [`TokenGrant`], refusing what the protocol does not allow.
fn grant_from(answer: BasicTokenResponse) -> std::result::Result<TokenGrant, CallError> {
    if *answer.token_type() != BasicTokenType::Bearer {
        // oauth2 compares token_type case-insensitively: "bearer", "Bearer", "BEARER".
        let shown: String = answer.token_type().as_ref().chars().take(32).collect();
        return Err(CallError::BadResponse(format!(
            "its token answer has token_type {:?}, not Bearer (the only kind Authdeck can use)",
            redact(&shown)
        )));
    }
    if answer.access_token().secret().is_empty() {
        return Err(CallError::BadResponse(
            "its token answer has an empty access_token".into(),
        ));
    }
    let expires_in = answer.expires_in().map(|lifetime| lifetime.as_secs());
    match expires_in {
        Some(0) => {
            return Err(CallError::BadResponse(
                "its token answer says the token expires at once (expires_in 0)".into(),
            ))
        }
        Some(seconds) if seconds > MAX_LIFETIME_SECONDS => {
            return Err(CallError::BadResponse(format!(
                "its expires_in ({seconds} seconds) is not a believable lifetime \
                 (at most {MAX_LIFETIME_SECONDS})"
            )))
        }
        _ => {}
    }
    let scope = answer
        .scopes()
        .map(|scopes| {
            scopes
                .iter()
                .flat_map(|scope| scope.split(' '))
                .filter(|scope| !scope.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|scopes| !scopes.is_empty());
    Ok(TokenGrant {
        access_token: SecretString::from(answer.access_token().secret().clone()),
        refresh_token: answer
            .refresh_token()
            .map(|token| token.secret())
            .filter(|token| !token.is_empty())
            .map(|token| SecretString::from(token.clone())),
        expires_in,
        username: None,
        scope,
    })
}

// ---------------------------------------------------------------------------------------------
// Revocation

/// One RFC 7009 request for `token` with its `hint`, authenticated as at the token endpoint.
async fn revoke_one(
    http: &reqwest::Client,
    client: Client<'_>,
    endpoint: &Url,
    token: &SecretString,
    hint: &str,
) -> std::result::Result<(), CallError> {
    let mut request = http
        .post(endpoint.clone())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token.expose_secret())
            .append_pair("token_type_hint", hint);
        match auth(client) {
            Auth::Public => {
                form.append_pair("client_id", client.client_id);
            }
            Auth::Basic(secret) => {
                request = request.header(AUTHORIZATION, basic_header(client.client_id, secret));
            }
            Auth::Post(secret) => {
                form.append_pair("client_id", client.client_id)
                    .append_pair("client_secret", secret.expose_secret());
            }
        }
        form.finish()
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

// ---------------------------------------------------------------------------------------------
// Refusals and challenges

/// The server's error code as kept: RFC 6749 codes are short ASCII words; anything else is
/// redacted and cut short.
fn error_code(code: &str) -> String {
    let shown: String = code.chars().take(64).collect();
    redact(&shown).into_owned()
}

/// The server's description (redacted; for the activity log, never for advice), or the
/// status's words.
fn description(given: Option<&str>, status: StatusCode) -> String {
    match given.filter(|text| !text.trim().is_empty()) {
        Some(text) => {
            let shown: String = text.chars().take(MAX_RAW_BYTES).collect();
            redact(&shown).into_owned()
        }
        None => format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("error")
        ),
    }
}

/// A refusal with the server's error `code`.
fn refused_with(answer: &RawAnswer, code: &str, given: Option<&str>) -> CallError {
    CallError::Refused {
        status: answer.status.as_u16(),
        error: error_code(code),
        description: description(given, answer.status),
        raw: raw_text(&answer.body),
    }
}

/// A refusal without an error code: `http_<status>`.
fn refused_plain(answer: &RawAnswer) -> CallError {
    CallError::Refused {
        status: answer.status.as_u16(),
        error: format!("http_{}", answer.status.as_u16()),
        description: description(None, answer.status),
        raw: raw_text(&answer.body),
    }
}

/// The start of an answer as text, redacted, for review.
fn raw_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_RAW_BYTES)]);
    redact(&text).into_owned()
}

/// The parameter `name` of the first `Bearer` challenge in the `WWW-Authenticate` headers
/// that has it.
fn bearer_param(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(challenges)
        .filter(|challenge| challenge.scheme.eq_ignore_ascii_case("bearer"))
        .find_map(|challenge| {
            challenge
                .params
                .into_iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        })
}

/// One RFC 9110 11.6.1 challenge: a scheme and its `name=value` parameters.
#[derive(Debug, PartialEq, Eq)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

/// A token's characters (RFC 9110 5.6.2 `tchar`).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The challenges of one `WWW-Authenticate` value: `Basic realm="a", Bearer error=x, ...`.
/// Parameters are `token=token` or `token="quoted \" string"`; a `token68` is skipped.
fn challenges(value: &str) -> Vec<Challenge> {
    let chars: Vec<char> = value.chars().collect();
    let mut at = 0;
    let mut out: Vec<Challenge> = Vec::new();
    let skip_spaces = |at: &mut usize| {
        while *at < chars.len() && matches!(chars[*at], ' ' | '\t') {
            *at += 1;
        }
    };
    let read_token = |at: &mut usize| {
        let start = *at;
        while *at < chars.len() && is_tchar(chars[*at]) {
            *at += 1;
        }
        chars[start..*at].iter().collect::<String>()
    };
    let skip_to_comma = |at: &mut usize| {
        while *at < chars.len() && chars[*at] != ',' {
            *at += 1;
        }
    };
    while at < chars.len() {
        while at < chars.len() && matches!(chars[at], ' ' | '\t' | ',') {
            at += 1;
        }
        let word = read_token(&mut at);
        if word.is_empty() {
            skip_to_comma(&mut at);
            continue;
        }
        skip_spaces(&mut at);
        if at < chars.len() && chars[at] == '=' {
            at += 1;
            skip_spaces(&mut at);
            let value = if at < chars.len() && chars[at] == '"' {
                at += 1;
                let mut text = String::new();
                while at < chars.len() && chars[at] != '"' {
                    if chars[at] == '\\' && at + 1 < chars.len() {
                        at += 1;
                    }
                    text.push(chars[at]);
                    at += 1;
                }
                at += 1;
                Some(text)
            } else {
                let token = read_token(&mut at);
                // `abc==` is a token68, not a parameter.
                (!token.is_empty()).then_some(token)
            };
            if let (Some(value), Some(current)) = (value, out.last_mut()) {
                current.params.push((word, value));
            }
            skip_to_comma(&mut at);
        } else {
            out.push(Challenge {
                scheme: word,
                params: Vec::new(),
            });
            // A token68 after the scheme (`Basic abc==`) has no parameters to read.
            let next = at;
            let token = read_token(&mut at);
            skip_spaces(&mut at);
            let is_param = !token.is_empty() && at < chars.len() && chars[at] == '=' && {
                let mut after = at + 1;
                while after < chars.len() && matches!(chars[after], ' ' | '\t') {
                    after += 1;
                }
                after < chars.len() && chars[after] != '=' && chars[after] != ','
            };
            if is_param {
                at = next;
            } else if !token.is_empty() {
                skip_to_comma(&mut at);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use fake_hivesigner::oauth2::{
        AuthMethod, Client as FakeClient, Endpoint as FakeEndpoint, Failure, FakeOAuth2,
        OAuth2Config,
    };

    use super::*;
    use crate::oauth::token::TokenClient;

    const PUBLIC: &str = "desktop";
    const CONF: &str = "server";
    const SECRET: &str = "s3cret-value";
    const CALLBACK: &str = "http://127.0.0.1:4567/callback";

    fn http() -> reqwest::Client {
        TokenClient::new(Duration::from_secs(10))
            .expect("an HTTP client")
            .http()
            .clone()
    }

    async fn fake_with(config: OAuth2Config) -> FakeOAuth2 {
        let fake = FakeOAuth2::start(config).await;
        fake.register_client(PUBLIC, FakeClient::public(&["http://127.0.0.1/callback"]));
        let methods = [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost];
        fake.register_client(
            CONF,
            FakeClient::confidential(SECRET, &methods, &[CALLBACK]),
        );
        fake
    }

    async fn fake() -> FakeOAuth2 {
        fake_with(OAuth2Config::default()).await
    }

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    fn settings(fake: &FakeOAuth2, client_auth: ClientAuth) -> OAuth2Settings {
        OAuth2Settings {
            authorize: url(&format!("{}/authorize", fake.issuer())),
            token: url(&fake.token_endpoint()),
            revocation: Some(url(&fake.revocation_endpoint())),
            userinfo: url(&fake.userinfo_endpoint()),
            iss_required: true,
            client_auth,
        }
    }

    fn public(settings: &OAuth2Settings) -> Client<'_> {
        Client {
            client_id: PUBLIC,
            secret: None,
            settings,
        }
    }

    fn confidential<'a>(settings: &'a OAuth2Settings, secret: &'a SecretString) -> Client<'a> {
        Client {
            client_id: CONF,
            secret: Some(secret),
            settings,
        }
    }

    fn scopes(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn query(url: &Url) -> HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    /// Opens the consent page (auto-approved) and returns the redirect's query fields.
    async fn consent(url: &Url) -> HashMap<String, String> {
        let response = http()
            .get(url.clone())
            .send()
            .await
            .expect("the consent page");
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "no redirect from {url}"
        );
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        query(&Url::parse(&location).unwrap())
    }

    /// A whole sign-in up to the code: the authorize URL, the consent, the redirect.
    async fn code_for(client: Client<'_>, names: &[&str]) -> (SecretString, SecretString) {
        let request = authorize_url(client, &scopes(names), CALLBACK, "st-1").unwrap();
        let answer = consent(&request.url).await;
        assert_eq!(answer["state"], "st-1");
        let code = answer.get("code").expect("a code in the redirect").clone();
        (SecretString::from(code), request.pkce_verifier)
    }

    async fn signed_in(client: Client<'_>, names: &[&str]) -> TokenGrant {
        let (code, verifier) = code_for(client, names).await;
        exchange(&http(), client, &code, &verifier, CALLBACK)
            .await
            .expect("the exchange")
    }

    const OFFLINE: &[&str] = &["openid", "offline_access"];

    /// A server on a free loopback port that answers every request with this answer.
    async fn canned(
        status: u16,
        headers: &[(&'static str, &'static str)],
        body: &'static str,
    ) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let headers = headers.to_vec();
        let app = axum::Router::new().fallback(move || {
            let headers = headers.clone();
            async move {
                let mut response = axum::response::Response::new(axum::body::Body::from(body));
                *response.status_mut() = StatusCode::from_u16(status).unwrap();
                for (name, value) in headers {
                    response
                        .headers_mut()
                        .insert(name, HeaderValue::from_static(value));
                }
                response
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url(&format!("http://{address}/token"))
    }

    const JSON: (&str, &str) = ("content-type", "application/json");

    /// Settings whose every endpoint is `at`.
    fn settings_at(at: &Url) -> OAuth2Settings {
        OAuth2Settings {
            authorize: at.clone(),
            token: at.clone(),
            revocation: Some(at.clone()),
            userinfo: at.clone(),
            iss_required: false,
            client_auth: ClientAuth::None,
        }
    }

    async fn refresh_at(at: &Url) -> std::result::Result<TokenGrant, CallError> {
        let settings = settings_at(at);
        refresh(&http(), public(&settings), &SecretString::from("rt-x")).await
    }

    fn answer(status: u16, challenges: &[&str]) -> RawAnswer {
        let mut headers = HeaderMap::new();
        for challenge in challenges {
            headers.append(
                reqwest::header::WWW_AUTHENTICATE,
                HeaderValue::from_str(challenge).unwrap(),
            );
        }
        RawAnswer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Vec::new(),
        }
    }

    fn refused_code(err: &CallError) -> (u16, &str) {
        match err {
            CallError::Refused { status, error, .. } => (*status, error.as_str()),
            other => panic!("not a refusal: {other:?}"),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Authorize URL

    #[test]
    fn authorize_url_has_pkce_state_scopes_and_the_exact_redirect() {
        let at = url("https://id.example/realms/x/protocol/openid-connect/auth");
        let settings = settings_at(&at);
        let request =
            authorize_url(public(&settings), &scopes(OFFLINE), CALLBACK, "st-42").unwrap();
        assert!(request.url.as_str().starts_with(at.as_str()));
        let fields = query(&request.url);
        assert_eq!(fields["response_type"], "code");
        assert_eq!(fields["client_id"], PUBLIC);
        assert_eq!(fields["state"], "st-42");
        assert_eq!(fields["redirect_uri"], CALLBACK);
        assert_eq!(fields["scope"], "openid offline_access");
        assert_eq!(fields["prompt"], "consent");
        assert_eq!(fields["code_challenge_method"], "S256");
        assert_eq!(fields["code_challenge"].len(), 43);
        let verifier = request.pkce_verifier.expose_secret();
        assert_eq!(verifier.len(), 43);
        assert_ne!(fields["code_challenge"], verifier);
        assert!(!request.url.as_str().contains(verifier));

        let request =
            authorize_url(public(&settings), &scopes(&["openid"]), CALLBACK, "s").unwrap();
        let fields = query(&request.url);
        assert!(!fields.contains_key("prompt"));
        let other = authorize_url(public(&settings), &scopes(&["openid"]), CALLBACK, "s").unwrap();
        assert_ne!(
            other.pkce_verifier.expose_secret(),
            request.pkce_verifier.expose_secret(),
            "a fresh verifier each time"
        );
    }

    // -----------------------------------------------------------------------------------------
    // Exchange and client authentication

    #[tokio::test]
    async fn public_client_exchanges_the_code_with_pkce() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let grant = signed_in(public(&settings), OFFLINE).await;
        assert!(grant.access_token.expose_secret().starts_with("at-"));
        assert!(grant
            .refresh_token
            .as_ref()
            .is_some_and(|token| token.expose_secret().starts_with("rt-")));
        assert_eq!(grant.expires_in, Some(3600));
        assert_eq!(grant.scope, Some(scopes(OFFLINE)));
        assert_eq!(grant.username, None);
        let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
        assert_eq!(recorded.method, "POST");
        assert_eq!(recorded.field("grant_type"), Some("authorization_code"));
        assert_eq!(recorded.field("client_id"), Some(PUBLIC));
        assert_eq!(recorded.field("redirect_uri"), Some(CALLBACK));
        assert!(recorded.field("code_verifier").is_some());
        assert_eq!(recorded.field("client_secret"), None);
        assert_eq!(recorded.header("authorization"), None);

        // Without offline_access: no prompt, no refresh token.
        let grant = signed_in(public(&settings), &["openid"]).await;
        assert!(grant.refresh_token.is_none());
    }

    #[tokio::test]
    async fn client_secret_basic_sends_the_header_only() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::Basic);
        let secret = SecretString::from(SECRET);
        let client = confidential(&settings, &secret);
        let grant = signed_in(client, OFFLINE).await;
        let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
        assert!(recorded
            .header("authorization")
            .is_some_and(|value| value.starts_with("Basic ")));
        assert_eq!(recorded.field("client_id"), None);
        assert_eq!(recorded.field("client_secret"), None);

        let refreshed = refresh(&http(), client, grant.refresh_token.as_ref().unwrap())
            .await
            .expect("the refresh");
        let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
        assert!(recorded.header("authorization").is_some());
        assert_eq!(recorded.field("client_secret"), None);

        let revoked = revoke(
            &http(),
            client,
            &refreshed.access_token,
            refreshed.refresh_token.as_ref(),
        )
        .await;
        assert_eq!(revoked, Ok(true));
        let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
        assert!(recorded.header("authorization").is_some());
        assert_eq!(recorded.field("client_id"), None);
        assert_eq!(recorded.field("client_secret"), None);
        assert_eq!(fake.grants_alive(), 0);
    }

    #[tokio::test]
    async fn client_secret_post_sends_the_body_only() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::Post);
        let secret = SecretString::from(SECRET);
        let client = confidential(&settings, &secret);
        let grant = signed_in(client, OFFLINE).await;
        let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
        assert_eq!(recorded.header("authorization"), None);
        assert_eq!(recorded.field("client_id"), Some(CONF));
        assert_eq!(recorded.field("client_secret"), Some(SECRET));

        let revoked = revoke(
            &http(),
            client,
            &grant.access_token,
            grant.refresh_token.as_ref(),
        )
        .await;
        assert_eq!(revoked, Ok(true));
        let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
        assert_eq!(recorded.header("authorization"), None);
        assert_eq!(recorded.field("client_id"), Some(CONF));
        assert_eq!(recorded.field("client_secret"), Some(SECRET));
    }

    #[tokio::test]
    async fn a_wrong_secret_is_invalid_client_and_the_app_is_rejected() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::Basic);
        let right = SecretString::from(SECRET);
        let (code, verifier) = code_for(confidential(&settings, &right), &["openid"]).await;
        let wrong = SecretString::from("not-the-secret");
        let err = exchange(
            &http(),
            confidential(&settings, &wrong),
            &code,
            &verifier,
            CALLBACK,
        )
        .await
        .err()
        .expect("refused");
        assert_eq!(refused_code(&err), (401, "invalid_client"));
        assert!(!format!("{err:?}").contains("not-the-secret"));
        assert!(matches!(
            into_error(err, "id.example", CONF),
            Error::ClientRejected { client_id, .. } if client_id == CONF
        ));
    }

    #[tokio::test]
    async fn a_wrong_pkce_verifier_is_invalid_grant_and_needs_a_sign_in() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let (code, _verifier) = code_for(public(&settings), &["openid"]).await;
        let forged = SecretString::from("x".repeat(43));
        let err = exchange(&http(), public(&settings), &code, &forged, CALLBACK)
            .await
            .err()
            .expect("refused");
        assert_eq!(refused_code(&err), (400, "invalid_grant"));
        let text = format!("{err:?}");
        assert!(!text.contains(code.expose_secret()), "{text}");
        assert!(matches!(
            into_error(err, "id.example", PUBLIC),
            Error::NeedsSignIn { reason } if reason.contains("invalid_grant")
        ));
    }

    #[tokio::test]
    async fn the_redirect_uri_is_sent_byte_identical() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let (code, verifier) = code_for(public(&settings), &["openid"]).await;
        let other = "http://127.0.0.1:4567/callback/";
        let err = exchange(&http(), public(&settings), &code, &verifier, other)
            .await
            .err()
            .expect("refused");
        assert_eq!(refused_code(&err), (400, "invalid_grant"));
        assert_eq!(
            fake.last_request(FakeEndpoint::Token)
                .unwrap()
                .field("redirect_uri"),
            Some(other)
        );
    }

    // -----------------------------------------------------------------------------------------
    // Refresh

    #[tokio::test]
    async fn refresh_rotates_and_a_replayed_refresh_token_is_invalid_grant() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let client = public(&settings);
        let first = signed_in(client, OFFLINE).await;
        let old = first.refresh_token.expect("a refresh token");
        let second = refresh(&http(), client, &old).await.expect("the refresh");
        let new = second.refresh_token.expect("a rotated refresh token");
        assert_ne!(new.expose_secret(), old.expose_secret());
        assert_ne!(
            second.access_token.expose_secret(),
            first.access_token.expose_secret()
        );
        let recorded = fake.last_request(FakeEndpoint::Token).unwrap();
        assert_eq!(recorded.field("grant_type"), Some("refresh_token"));
        assert_eq!(recorded.field("refresh_token"), Some(old.expose_secret()));
        assert_eq!(recorded.field("client_id"), Some(PUBLIC));
        assert_eq!(recorded.field("scope"), None);

        let err = refresh(&http(), client, &old).await.err().expect("refused");
        assert_eq!(refused_code(&err), (400, "invalid_grant"));
        assert!(matches!(
            into_error(err, "id.example", PUBLIC),
            Error::NeedsSignIn { .. }
        ));
        // Reuse detection killed the grant: the newest refresh token is dead too.
        assert_eq!(fake.grants_alive(), 0);
        let err = refresh(&http(), client, &new).await.err().expect("refused");
        assert_eq!(refused_code(&err), (400, "invalid_grant"));
    }

    #[tokio::test]
    async fn lowercase_token_type_and_no_expires_in_are_accepted() {
        let config = OAuth2Config {
            lowercase_token_type: true,
            omit_expires_in: true,
            ..OAuth2Config::default()
        };
        let fake = fake_with(config).await;
        let settings = settings(&fake, ClientAuth::None);
        let grant = signed_in(public(&settings), OFFLINE).await;
        assert_eq!(grant.expires_in, None);
        let refreshed = refresh(
            &http(),
            public(&settings),
            grant.refresh_token.as_ref().unwrap(),
        )
        .await
        .expect("the refresh");
        assert_eq!(refreshed.expires_in, None);
    }

    #[tokio::test]
    async fn token_type_is_case_insensitive_and_must_be_bearer() {
        for token_type in ["bearer", "Bearer", "BEARER"] {
            let body: &'static str = Box::leak(
                format!(r#"{{"access_token":"at-1","token_type":"{token_type}","expires_in":60}}"#)
                    .into_boxed_str(),
            );
            let grant = refresh_at(&canned(200, &[JSON], body).await).await;
            assert_eq!(grant.expect(token_type).expires_in, Some(60));
        }
        let body = r#"{"access_token":"at-1","token_type":"mac"}"#;
        let err = refresh_at(&canned(200, &[JSON], body).await)
            .await
            .err()
            .unwrap();
        assert!(matches!(&err, CallError::BadResponse(problem) if problem.contains("Bearer")));
    }

    #[tokio::test]
    async fn unbelievable_token_answers_are_refused() {
        let big = Box::leak(
            format!(
                r#"{{"access_token":"at-1","token_type":"Bearer","expires_in":{}}}"#,
                MAX_LIFETIME_SECONDS + 1
            )
            .into_boxed_str(),
        );
        for body in [
            r#"{"access_token":"at-1","token_type":"Bearer","expires_in":0}"#,
            &*big,
            r#"{"access_token":"","token_type":"Bearer"}"#,
            r#"{"token_type":"Bearer"}"#,
            r#"{"access_token":"at-1"}"#,
        ] {
            let err = refresh_at(&canned(200, &[JSON], body).await).await.err();
            assert!(
                matches!(&err, Some(CallError::BadResponse(_))),
                "{body}: {err:?}"
            );
        }
        // An empty refresh token is none; scope is split on spaces.
        let body =
            r#"{"access_token":"at-1","token_type":"Bearer","refresh_token":"","scope":"a b"}"#;
        let grant = refresh_at(&canned(200, &[JSON], body).await).await.unwrap();
        assert!(grant.refresh_token.is_none());
        assert_eq!(grant.scope, Some(scopes(&["a", "b"])));
    }

    // -----------------------------------------------------------------------------------------
    // Redirects are never followed

    #[tokio::test]
    async fn a_slashless_token_url_gets_a_301_that_is_not_followed() {
        let config = OAuth2Config {
            trailing_slash: true,
            ..OAuth2Config::default()
        };
        let fake = fake_with(config).await;
        let mut settings = settings(&fake, ClientAuth::None);
        assert!(settings.token.as_str().ends_with("/token/"));
        let slashed = settings.clone();
        settings.token = url(&format!("{}/token", fake.issuer()));
        let (code, verifier) = code_for(public(&settings), &["openid"]).await;
        let err = exchange(&http(), public(&settings), &code, &verifier, CALLBACK)
            .await
            .err()
            .expect("refused");
        let CallError::BadResponse(problem) = &err else {
            panic!("not a bad response: {err:?}");
        };
        assert!(problem.contains("redirect"), "{problem}");
        assert!(problem.contains("needs a trailing slash"), "{problem}");
        assert!(!problem.contains(code.expose_secret()), "{problem}");
        // The 301 came from the slashless route; nothing reached the token endpoint, and no
        // GET followed the redirect.
        assert_eq!(fake.calls(FakeEndpoint::Token), 0);
        assert_eq!(fake.wrong_method_calls(), 0);

        // The code was never used: with the slash it works.
        let grant = exchange(&http(), public(&slashed), &code, &verifier, CALLBACK)
            .await
            .expect("the exchange");
        assert!(grant.access_token.expose_secret().starts_with("at-"));
        assert_eq!(fake.calls(FakeEndpoint::Token), 1);
        assert_eq!(
            fake.last_request(FakeEndpoint::Token).unwrap().method,
            "POST"
        );
    }

    // -----------------------------------------------------------------------------------------
    // Userinfo

    #[tokio::test]
    async fn userinfo_names_preferred_username_then_sub() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let grant = signed_in(public(&settings), &["openid"]).await;
        let name = userinfo(&http(), &settings, &grant.access_token).await;
        assert_eq!(name.as_deref(), Ok("alice"));
        let recorded = fake.last_request(FakeEndpoint::Userinfo).unwrap();
        assert_eq!(recorded.method, "GET");
        assert!(recorded
            .header("authorization")
            .is_some_and(|value| value.starts_with("Bearer at-")));

        for (body, expected) in [
            (r#"{"sub":"s-1"}"#, Some("s-1")),
            (r#"{"sub":"s-1","preferred_username":""}"#, Some("s-1")),
            (r#"{"sub":"s-1","preferred_username":"bob"}"#, Some("bob")),
            (r#"{"sub":42}"#, None),
            (r#"{}"#, None),
        ] {
            let settings = settings_at(&canned(200, &[JSON], body).await);
            let got = userinfo(&http(), &settings, &SecretString::from("at-x")).await;
            match expected {
                Some(name) => assert_eq!(got.as_deref(), Ok(name), "{body}"),
                None => assert!(matches!(got, Err(CallError::BadResponse(_))), "{body}"),
            }
        }
    }

    #[tokio::test]
    async fn userinfo_401_is_refused_with_the_challenge_error() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let err = userinfo(&http(), &settings, &SecretString::from("at-forged"))
            .await
            .expect_err("refused");
        assert_eq!(refused_code(&err), (401, "invalid_token"));
        assert!(!format!("{err:?}").contains("at-forged"));

        let settings = settings_at(&canned(401, &[], "").await);
        let err = userinfo(&http(), &settings, &SecretString::from("at-x"))
            .await
            .err();
        assert_eq!(refused_code(&err.unwrap()), (401, "http_401"));
    }

    #[tokio::test]
    async fn says_invalid_token_reads_the_fakes_challenge() {
        let fake = fake().await;
        let request = with_token(
            http().get(fake.userinfo_endpoint()),
            &SecretString::from("at-forged"),
        );
        let answer = fetch(request).await.unwrap();
        assert!(says_invalid_token(&answer));
        // No token at all: a challenge without an error.
        let answer = fetch(http().get(fake.userinfo_endpoint())).await.unwrap();
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(!says_invalid_token(&answer));
    }

    // -----------------------------------------------------------------------------------------
    // Revocation

    #[tokio::test]
    async fn revoke_kills_the_grant_by_its_refresh_token() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let client = public(&settings);
        let grant = signed_in(client, OFFLINE).await;
        assert_eq!(fake.grants_alive(), 1);
        let revoked = revoke(
            &http(),
            client,
            &grant.access_token,
            grant.refresh_token.as_ref(),
        )
        .await;
        assert_eq!(revoked, Ok(true));
        assert_eq!(fake.grants_alive(), 0);
        assert_eq!(fake.calls(FakeEndpoint::Revoke), 1);
        let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
        assert_eq!(recorded.field("token_type_hint"), Some("refresh_token"));
        assert_eq!(recorded.field("client_id"), Some(PUBLIC));
        assert_eq!(recorded.header("authorization"), None);
        let err = refresh(&http(), client, grant.refresh_token.as_ref().unwrap()).await;
        assert_eq!(refused_code(&err.err().unwrap()), (400, "invalid_grant"));
    }

    #[tokio::test]
    async fn revoke_falls_back_to_the_access_token() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let client = public(&settings);
        // No refresh token: the access token is revoked.
        let grant = signed_in(client, &["openid"]).await;
        assert_eq!(
            revoke(&http(), client, &grant.access_token, None).await,
            Ok(true)
        );
        let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
        assert_eq!(recorded.field("token_type_hint"), Some("access_token"));
        assert_eq!(fake.grants_alive(), 0);

        // The refresh token's revocation fails: the access token is revoked instead.
        let grant = signed_in(client, OFFLINE).await;
        fake.fail_next(FakeEndpoint::Revoke, Failure::ServerError);
        let revoked = revoke(
            &http(),
            client,
            &grant.access_token,
            grant.refresh_token.as_ref(),
        )
        .await;
        assert_eq!(revoked, Ok(true));
        assert_eq!(fake.calls(FakeEndpoint::Revoke), 3);
        let recorded = fake.last_request(FakeEndpoint::Revoke).unwrap();
        assert_eq!(recorded.field("token_type_hint"), Some("access_token"));
        assert_eq!(fake.grants_alive(), 0);

        // Both fail: the refresh token's failure is the answer.
        let grant = signed_in(client, OFFLINE).await;
        fake.fail_next(FakeEndpoint::Revoke, Failure::ServerError);
        fake.fail_next(FakeEndpoint::Revoke, Failure::Delay(Duration::from_secs(3)));
        let impatient = TokenClient::new(Duration::from_millis(300)).unwrap();
        let refresh_token = grant.refresh_token.as_ref();
        let err = revoke(impatient.http(), client, &grant.access_token, refresh_token).await;
        assert_eq!(refused_code(&err.err().unwrap()), (500, "server_error"));
        assert_eq!(fake.calls(FakeEndpoint::Revoke), 5);
    }

    #[tokio::test]
    async fn revoke_without_an_endpoint_says_so() {
        let fake = fake().await;
        let mut settings = settings(&fake, ClientAuth::None);
        settings.revocation = None;
        let token = SecretString::from("at-x");
        assert_eq!(
            revoke(&http(), public(&settings), &token, None).await,
            Ok(false)
        );
        assert_eq!(fake.calls(FakeEndpoint::Revoke), 0);
    }

    #[tokio::test]
    async fn revoke_reports_a_refusal() {
        let body = r#"{"error":"unsupported_token_type"}"#;
        let settings = settings_at(&canned(400, &[JSON], body).await);
        let token = SecretString::from("at-x");
        let err = revoke(&http(), public(&settings), &token, Some(&token)).await;
        let err = err.expect_err("refused");
        assert_eq!(refused_code(&err), (400, "unsupported_token_type"));
    }

    // -----------------------------------------------------------------------------------------
    // Failures

    #[tokio::test]
    async fn failures_map_to_the_right_call_errors() {
        let fake = fake().await;
        let settings = settings(&fake, ClientAuth::None);
        let client = public(&settings);
        let grant = signed_in(client, OFFLINE).await;
        let token = grant.refresh_token.unwrap();

        fake.fail_next(FakeEndpoint::Token, Failure::ServerError);
        let err = refresh(&http(), client, &token).await.err().unwrap();
        assert_eq!(refused_code(&err), (500, "server_error"));
        assert!(err.is_transient());
        assert!(matches!(
            into_error(err, "id.example", PUBLIC),
            Error::OAuthRefused { code, .. } if code == "server_error"
        ));

        fake.fail_next(FakeEndpoint::Token, Failure::Garbage);
        let err = refresh(&http(), client, &token).await.err().unwrap();
        assert!(matches!(&err, CallError::BadResponse(_)), "{err:?}");

        fake.fail_next(FakeEndpoint::Token, Failure::Delay(Duration::from_secs(3)));
        let impatient = TokenClient::new(Duration::from_millis(300)).unwrap();
        let err = refresh(impatient.http(), client, &token)
            .await
            .err()
            .unwrap();
        assert!(matches!(&err, CallError::AnswerLost(_)), "{err:?}");
        let lost = into_error(err, "id.example", PUBLIC);
        assert!(matches!(
            &lost,
            Error::ProviderUnreachable { reason, .. } if reason.contains("lost")
        ));

        // Nothing listens there.
        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let settings = settings_at(&url(&format!("http://{closed}/token")));
        let err = refresh(&http(), public(&settings), &token)
            .await
            .err()
            .unwrap();
        assert!(matches!(&err, CallError::Unreachable(_)), "{err:?}");
        assert!(matches!(
            into_error(err, "id.example", PUBLIC),
            Error::ProviderUnreachable { .. }
        ));
    }

    #[tokio::test]
    async fn error_answers_without_an_oauth_error_are_http_status_refusals() {
        let html = ("content-type", "text/html");
        let err = refresh_at(&canned(502, &[html], "<html>bad gateway</html>").await).await;
        let err = err.err().unwrap();
        assert_eq!(refused_code(&err), (502, "http_502"));
        let Error::OAuthRefused { meaning, .. } = into_error(err, "id.example", PUBLIC) else {
            panic!("not an OAuth refusal");
        };
        assert!(meaning.contains("server's side"), "{meaning}");

        let err = refresh_at(&canned(404, &[], "").await).await.err().unwrap();
        assert_eq!(refused_code(&err), (404, "http_404"));

        // A description quoting a token is redacted; the code is kept.
        let body = r#"{"error":"invalid_request","error_description":"bad refresh_token=rt-0123456789abcdef0123456789abcdef"}"#;
        let err = refresh_at(&canned(400, &[JSON], body).await)
            .await
            .err()
            .unwrap();
        let text = format!("{err:?}");
        assert!(!text.contains("rt-0123456789abcdef"), "{text}");
        assert_eq!(refused_code(&err), (400, "invalid_request"));
    }

    // -----------------------------------------------------------------------------------------
    // Errors in Authdeck's words

    fn refused(error: &str, status: u16) -> CallError {
        CallError::Refused {
            status,
            error: error.into(),
            description: "The server's own words.".into(),
            raw: String::new(),
        }
    }

    #[test]
    fn into_error_puts_each_code_in_its_own_words() {
        assert!(matches!(
            into_error(refused("invalid_grant", 400), "id.example", PUBLIC),
            Error::NeedsSignIn { reason }
                if reason == "the server no longer accepts this sign-in (invalid_grant)"
        ));
        assert!(matches!(
            into_error(refused("invalid_client", 401), "id.example", PUBLIC),
            Error::ClientRejected { provider, client_id }
                if provider == "id.example" && client_id == PUBLIC
        ));
        let mut meanings = std::collections::HashSet::new();
        for (code, status) in [
            ("invalid_scope", 400),
            ("unauthorized_client", 400),
            ("access_denied", 400),
            ("temporarily_unavailable", 503),
            ("unsupported_grant_type", 400),
            ("invalid_request", 400),
            ("server_error", 500),
            ("unsupported_token_type", 400),
            ("invalid_token", 401),
            ("insufficient_scope", 403),
            ("http_503", 503),
            ("http_404", 404),
            ("something_new", 400),
        ] {
            match into_error(refused(code, status), "id.example", PUBLIC) {
                Error::OAuthRefused {
                    provider,
                    code: said,
                    meaning,
                } => {
                    assert_eq!(provider, "id.example");
                    assert_eq!(said, code);
                    assert!(!meaning.contains("own words"), "{code}: {meaning}");
                    assert!(meaning.contains(": "), "{code} says what to do: {meaning}");
                    assert!(meanings.insert(meaning), "{code}'s meaning is not its own");
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        let Error::OAuthRefused { meaning, .. } =
            into_error(refused("invalid_scope", 400), "id.example", PUBLIC)
        else {
            unreachable!()
        };
        assert!(meaning.contains("change the app's scopes"), "{meaning}");
        let Error::OAuthRefused { meaning, .. } =
            into_error(refused("http_503", 503), "id.example", PUBLIC)
        else {
            unreachable!()
        };
        assert!(meaning.contains("server's side"), "{meaning}");

        assert!(matches!(
            into_error(CallError::Unreachable("could not connect".into()), "h", PUBLIC),
            Error::ProviderUnreachable { reason, .. } if reason == "could not connect"
        ));
        assert!(matches!(
            into_error(CallError::AnswerLost("no answer in time".into()), "h", PUBLIC),
            Error::ProviderUnreachable { reason, .. }
                if reason.contains("lost") && reason.contains("no answer in time")
        ));
        assert!(matches!(
            into_error(CallError::BadResponse("odd".into()), "h", PUBLIC),
            Error::ProviderBadResponse { problem, .. } if problem == "odd"
        ));
    }

    #[test]
    fn says_invalid_token_parses_the_bearer_challenge() {
        for (status, challenges, expected) in [
            (
                401,
                &[r#"Bearer realm="x", error="invalid_token""#][..],
                true,
            ),
            (401, &[r#"Bearer error=invalid_token"#], true),
            (
                401,
                &[r#"bearer   error = "invalid_token" , error_description="x""#],
                true,
            ),
            (
                401,
                &[r#"BEARER realm="a, error=\"no\"", error="invalid_token""#],
                true,
            ),
            (
                401,
                &[r#"Basic realm="b", Bearer error="invalid_token""#],
                true,
            ),
            (
                401,
                &[r#"Basic realm="b""#, r#"Bearer error="invalid_token""#],
                true,
            ),
            (401, &[r#"Basic abc==, Bearer error="invalid_token""#], true),
            (401, &[r#"Bearer realm="x""#], false),
            (401, &[r#"Bearer error="insufficient_scope""#], false),
            (401, &[r#"Basic error="invalid_token""#], false),
            (401, &[r#"Bearer realm="error=invalid_token""#], false),
            (401, &[], false),
            (403, &[r#"Bearer error="invalid_token""#], false),
            (400, &[r#"Bearer error="invalid_token""#], false),
        ] {
            assert_eq!(
                says_invalid_token(&answer(status, challenges)),
                expected,
                "{status} {challenges:?}"
            );
        }
    }
}
