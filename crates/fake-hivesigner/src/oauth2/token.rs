//! `POST {issuer}/token` (RFC 6749 3.2, 4.1.3, 6): the code exchange (single use, exact
//! `redirect_uri`, PKCE verifier), refresh with rotation and reuse detection, and the success
//! and error answers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::answers::{failure, ok_json, OAuthError};
use super::client_auth::authenticate;
use super::grants::{Inner, Shared};
use super::incoming::Incoming;
use super::Endpoint;

/// A form body's fields, in order.
pub(crate) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Counts and records the request, plays a queued failure, and refuses anything but a form
/// POST. `Err`: the answer to give instead.
pub(crate) async fn enter_post(
    shared: &Shared,
    endpoint: Endpoint,
    request: &Incoming,
) -> Result<Vec<(String, String)>, Response> {
    let fields = form_fields(&request.body);
    if let Some(failed) = shared.enter(endpoint, request.recorded(&fields)).await {
        return Err(failure(failed));
    }
    if request.method != Method::POST {
        shared.inner().wrong_method += 1;
        let mut refusal = OAuthError::request("The endpoint accepts POST only.");
        refusal.status = StatusCode::METHOD_NOT_ALLOWED;
        return Err(refusal.into_response());
    }
    let is_form = request
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        let refusal = OAuthError::request("The body must be application/x-www-form-urlencoded.");
        return Err(refusal.into_response());
    }
    Ok(fields)
}

/// The token endpoint.
pub(crate) async fn token(State(shared): State<Arc<Shared>>, request: Incoming) -> Response {
    let fields = match enter_post(&shared, Endpoint::Token, &request).await {
        Ok(fields) => fields,
        Err(answer) => return answer,
    };
    let mut inner = shared.inner();
    let result =
        authenticate(&inner, &request.headers, &fields).and_then(|client_id| {
            match field(&fields, "grant_type") {
                None => Err(OAuthError::request("grant_type is missing.")),
                Some("authorization_code") => exchange_code(&mut inner, &client_id, &fields),
                Some("refresh_token") => refresh(&mut inner, &client_id, &fields),
                Some(_) => Err(OAuthError::new(
                    "unsupported_grant_type",
                    "The grant type is not supported.",
                )),
            }
        });
    match result {
        Ok(body) => ok_json(body),
        Err(refusal) => refusal.into_response(),
    }
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn exchange_code(
    inner: &mut Inner,
    client_id: &str,
    fields: &[(String, String)],
) -> Result<Value, OAuthError> {
    let code = field(fields, "code").ok_or_else(|| OAuthError::request("code is missing."))?;
    let clock = inner.now();
    let record = inner.codes.get_mut(code).ok_or_else(OAuthError::grant)?;
    if record.client_id != client_id {
        return Err(OAuthError::grant());
    }
    let grant = record.grant;
    if record.used {
        // RFC 6749 4.1.2: a code used twice revokes what it led to.
        inner.revoke_grant(grant);
        return Err(OAuthError::grant());
    }
    record.used = true;
    let verifier = field(fields, "code_verifier");
    let pkce_ok = match (&record.challenge, verifier) {
        (Some(challenge), Some(verifier)) => *challenge == s256(verifier),
        (None, None) => true,
        _ => false,
    };
    let exact_redirect = field(fields, "redirect_uri") == Some(record.redirect_uri.as_str());
    if clock >= record.expires_at || !pkce_ok || !exact_redirect {
        return Err(OAuthError::grant());
    }
    Ok(issue(inner, grant, None))
}

fn refresh(
    inner: &mut Inner,
    client_id: &str,
    fields: &[(String, String)],
) -> Result<Value, OAuthError> {
    let token = field(fields, "refresh_token")
        .ok_or_else(|| OAuthError::request("refresh_token is missing."))?;
    let record = inner.refresh.get_mut(token).ok_or_else(OAuthError::grant)?;
    let grant_id = record.grant;
    let Some(grant) = inner.grants.get(&grant_id) else {
        return Err(OAuthError::grant());
    };
    if grant.client_id != client_id {
        return Err(OAuthError::grant());
    }
    if record.used {
        // Reuse detection: a rotated-away refresh token kills the whole grant.
        inner.revoke_grant(grant_id);
        return Err(OAuthError::grant());
    }
    if !grant.alive {
        return Err(OAuthError::grant());
    }
    if let Some(asked) = field(fields, "scope") {
        let granted: Vec<&str> = grant.scope.split(' ').collect();
        if !asked.split(' ').all(|scope| granted.contains(&scope)) {
            return Err(OAuthError::new(
                "invalid_scope",
                "The requested scope exceeds the grant.",
            ));
        }
    }
    record.used = true;
    let scope = field(fields, "scope").map(str::to_owned);
    let body = issue(inner, grant_id, scope);
    if inner.knobs.revoke_previous_access {
        let fresh = body["access_token"].as_str().unwrap_or_default().to_owned();
        inner.revoke_access_except(grant_id, &fresh);
    }
    Ok(body)
}

/// Issues tokens for `grant` and answers RFC 6749 5.1's JSON.
fn issue(inner: &mut Inner, grant: u64, scope: Option<String>) -> Value {
    let (access, refresh) = inner.issue(grant);
    let scope = scope.unwrap_or_else(|| inner.grants[&grant].scope.clone());
    let token_type = if inner.knobs.lowercase_token_type {
        "bearer"
    } else {
        "Bearer"
    };
    let mut body = json!({"access_token": access, "token_type": token_type});
    if !inner.knobs.omit_expires_in {
        body["expires_in"] = json!(inner.knobs.expires_in);
    }
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    body["scope"] = json!(scope);
    body
}
