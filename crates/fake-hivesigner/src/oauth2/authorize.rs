//! `GET {issuer}/authorize` (RFC 6749 4.1.1): client and exact redirect URI checks (RFC 8252
//! loopback ports, custom schemes for native clients only), PKCE S256 (RFC 7636; `plain`
//! refused, required for public clients), consent, and the redirect with `state` and `iss`
//! (RFC 9207, as the `iss_parameter` knob says). With `Consent::Page` the user decides on a
//! form that POSTs to `{issuer}/authorize/consent`, checked again in full.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::answers::{failure, page};
use super::consent_page::consent_page;
use super::grants::{random, Code, Inner, Shared, CODE_LIFETIME};
use super::{Client, Consent, Endpoint, IssParameter, Recorded};

fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1") | Some("[::1]"))
}

/// Whether `given` is one of the client's redirect URIs: byte-exact, or a loopback URI that
/// differs from a registered portless one only by its port.
pub(crate) fn redirect_allowed(client: &Client, given: &str) -> bool {
    let Ok(url) = Url::parse(given) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") && !client.native {
        return false;
    }
    client.redirect_uris.iter().any(|registered| {
        if registered == given {
            return true;
        }
        let Ok(registered) = Url::parse(registered) else {
            return false;
        };
        let mut portless = url.clone();
        is_loopback(&url)
            && registered.port().is_none()
            && portless.set_port(None).is_ok()
            && portless == registered
    })
}

/// `redirect_uri` plus these parameters (after any query it already has).
fn redirect(to: &str, params: &[(&str, &str)]) -> Response {
    let mut url = Url::parse(to).expect("an allowed redirect URI parses");
    url.query_pairs_mut().extend_pairs(params);
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

fn is_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// An authorize request whose client and redirect URI passed (errors from here on go back
/// to the client), and, once [`check`] returns it, everything else too.
pub(crate) struct Checked {
    /// The request's own parameters, in order (the consent page carries them on).
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    pub(crate) challenge: Option<String>,
    pub(crate) scope: String,
    /// `offline_access` asked with `prompt=consent`: the grant gets a refresh token.
    pub(crate) offline: bool,
}

/// The redirect back to the client with `params`, `state` and `iss` (per the knob).
fn back(inner: &Inner, issuer: &str, request: &Checked, params: &[(&str, &str)]) -> Response {
    let mut all = params.to_vec();
    if let Some(state) = &request.state {
        all.push(("state", state));
    }
    match &inner.knobs.iss_parameter {
        IssParameter::Issuer => all.push(("iss", issuer)),
        IssParameter::Omitted => {}
        IssParameter::Wrong(wrong) => all.push(("iss", wrong)),
    }
    redirect(&request.redirect_uri, &all)
}

/// Every check of an authorize request, in the order a server makes them. `Err`: the page
/// (client or redirect URI errors are never redirected, RFC 6749 4.1.2.1) or the error
/// redirect to answer instead.
fn check(
    inner: &Inner,
    issuer: &str,
    fields: Vec<(String, String)>,
) -> Result<Checked, Box<Response>> {
    let bad = |text: &str| Box::new(page(StatusCode::BAD_REQUEST, text));
    let Some(client_id) = field(&fields, "client_id") else {
        return Err(bad("invalid_request: client_id is missing"));
    };
    let Some(client) = inner.clients.get(client_id) else {
        return Err(bad("invalid_client: unknown client_id"));
    };
    let Some(redirect_uri) = field(&fields, "redirect_uri") else {
        return Err(bad("invalid_request: redirect_uri is missing"));
    };
    if !redirect_allowed(client, redirect_uri) {
        return Err(bad("invalid_request: redirect_uri is not registered"));
    }
    let scope = field(&fields, "scope").unwrap_or("").to_owned();
    let offline = scope.split(' ').any(|s| s == "offline_access")
        && field(&fields, "prompt").is_some_and(|prompt| prompt.split(' ').any(|p| p == "consent"));
    let request = Checked {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: field(&fields, "state").map(str::to_owned),
        challenge: field(&fields, "code_challenge").map(str::to_owned),
        scope,
        offline,
        fields: fields.clone(),
    };
    let refuse = |error: &str, description: &str| {
        let params = [("error", error), ("error_description", description)];
        Box::new(back(inner, issuer, &request, &params))
    };
    if field(&fields, "response_type") != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    let challenge = request.challenge.as_deref();
    match (challenge, field(&fields, "code_challenge_method")) {
        (None, None) if client.secret.is_none() => Err(refuse(
            "invalid_request",
            "PKCE (code_challenge, S256) is required.",
        )),
        (None, None) => Ok(()),
        (Some(challenge), Some("S256")) if is_pkce_value(challenge) => Ok(()),
        (Some(_), None) | (Some(_), Some("plain")) => Err(refuse(
            "invalid_request",
            "code_challenge_method plain is not allowed.",
        )),
        _ => Err(refuse(
            "invalid_request",
            "Invalid code_challenge or code_challenge_method.",
        )),
    }?;
    Ok(request)
}

/// The user approved as `user`: a grant, its code, and the redirect with it.
fn approve(inner: &mut Inner, issuer: &str, request: &Checked, user: &str) -> Response {
    let grant = inner.new_grant(&request.client_id, user, &request.scope, request.offline);
    let code = format!("ac-{}", random(32));
    let record = Code {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        challenge: request.challenge.clone(),
        grant,
        expires_at: inner.now() + CODE_LIFETIME,
        used: false,
    };
    inner.codes.insert(code.clone(), record);
    back(inner, issuer, request, &[("code", &code)])
}

fn deny(inner: &Inner, issuer: &str, request: &Checked) -> Response {
    let params = [
        ("error", "access_denied"),
        (
            "error_description",
            "The resource owner denied the request.",
        ),
    ];
    back(inner, issuer, request, &params)
}

/// The authorization endpoint.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let recorded = Recorded::of(&Method::GET, &uri, &headers, &fields, &[]);
    if let Some(failed) = shared.enter(Endpoint::Authorize, recorded).await {
        return failure(failed);
    }
    let issuer = shared.issuer.as_str();
    let mut inner = shared.inner();
    let request = match check(&inner, issuer, fields) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    match inner.knobs.consent.clone() {
        Consent::AutoApprove { user } => approve(&mut inner, issuer, &request, &user),
        Consent::Deny => deny(&inner, issuer, &request),
        Consent::Page => consent_page(&inner.knobs.issuer_path, &request, None),
    }
}

/// `POST {issuer}/authorize/consent`: the consent page's Approve or Deny. The request's
/// parameters ride along and are checked again; `decision` is `approve` or `deny`, `username`
/// the account approving. Not counted as an [`Endpoint::Authorize`] call.
pub(crate) async fn decide(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let mut fields = super::token::form_fields(&body);
    let take = |fields: &mut Vec<(String, String)>, name: &str| {
        // The last one: the form's own fields come after the request's.
        let at = fields.iter().rposition(|(key, _)| key == name)?;
        Some(fields.remove(at).1)
    };
    let decision = take(&mut fields, "decision");
    let user = take(&mut fields, "username").unwrap_or_default();
    let user = user.trim();
    let issuer = shared.issuer.as_str();
    let mut inner = shared.inner();
    let request = match check(&inner, issuer, fields) {
        Ok(request) => request,
        Err(answer) => return *answer,
    };
    match decision.as_deref() {
        Some("approve") if user.is_empty() => consent_page(
            &inner.knobs.issuer_path,
            &request,
            Some("Type the account to approve as."),
        ),
        Some("approve") => approve(&mut inner, issuer, &request, user),
        _ => deny(&inner, issuer, &request),
    }
}
