//! `GET {issuer}/authorize` (RFC 6749 4.1.1): client and exact redirect URI checks (RFC 8252
//! loopback ports, custom schemes for native clients only), PKCE S256 (RFC 7636; `plain`
//! refused, required for public clients), consent, and the redirect with `state` and `iss`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::answers::{failure, page};
use super::grants::{random, Code, Shared, CODE_LIFETIME};
use super::{Client, Consent, Endpoint};

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

/// The authorization endpoint.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    if let Some(failed) = shared
        .enter(Endpoint::Authorize, &Method::GET, &headers, &fields)
        .await
    {
        return failure(failed);
    }
    let get = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let issuer = shared.issuer.clone();
    let mut inner = shared.inner();

    // Errors about the client or redirect URI are never redirected (4.1.2.1).
    let Some(client_id) = get("client_id") else {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: client_id is missing",
        );
    };
    let Some(client) = inner.clients.get(client_id).cloned() else {
        return page(StatusCode::BAD_REQUEST, "invalid_client: unknown client_id");
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: redirect_uri is missing",
        );
    };
    if !redirect_allowed(&client, redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            "invalid_request: redirect_uri is not registered",
        );
    }
    let state = get("state");
    let answer = |params: &[(&str, &str)]| {
        let mut all = params.to_vec();
        if let Some(state) = state {
            all.push(("state", state));
        }
        all.push(("iss", &issuer));
        redirect(redirect_uri, &all)
    };
    let refuse = |error: &str, description: &str| {
        answer(&[("error", error), ("error_description", description)])
    };

    if get("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    let challenge = get("code_challenge");
    match (challenge, get("code_challenge_method")) {
        (None, None) if client.secret.is_none() => {
            return refuse(
                "invalid_request",
                "PKCE (code_challenge, S256) is required.",
            );
        }
        (None, None) => {}
        (Some(challenge), Some("S256")) if is_pkce_value(challenge) => {}
        (Some(_), None) | (Some(_), Some("plain")) => {
            return refuse(
                "invalid_request",
                "code_challenge_method plain is not allowed.",
            );
        }
        _ => {
            return refuse(
                "invalid_request",
                "Invalid code_challenge or code_challenge_method.",
            )
        }
    }

    let user = match &inner.knobs.consent {
        Consent::AutoApprove { user } => user.clone(),
        Consent::Deny => return refuse("access_denied", "The resource owner denied the request."),
        Consent::Page => {
            return page(
                StatusCode::OK,
                &format!("{client_id} asks for your consent."),
            );
        }
    };
    let scope = get("scope").unwrap_or("").to_owned();
    let offline = scope.split(' ').any(|s| s == "offline_access")
        && get("prompt").is_some_and(|prompt| prompt.split(' ').any(|p| p == "consent"));
    let grant = inner.new_grant(client_id, &user, &scope, offline);
    let code = format!("ac-{}", random(32));
    let record = Code {
        client_id: client_id.into(),
        redirect_uri: redirect_uri.into(),
        challenge: challenge.map(str::to_owned),
        grant,
        expires_at: inner.clock + CODE_LIFETIME,
        used: false,
    };
    inner.codes.insert(code.clone(), record);
    answer(&[("code", &code)])
}
