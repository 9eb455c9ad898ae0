//! Client authentication at the token and revocation endpoints (RFC 6749 2.3): exactly the
//! methods the client may use; basic and post at once is `invalid_request`.

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::answers::OAuthError;
use super::grants::Inner;
use super::AuthMethod;

/// The `Authorization: Basic` credentials, form-urldecoded (RFC 6749 2.3.1); `Err` when the
/// header is Basic but malformed.
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let parsed = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (id, secret) = text.split_once(':')?;
            let decode = |part: &str| {
                url::form_urlencoded::parse(format!("x={part}").as_bytes())
                    .next()
                    .map(|(_, value)| value.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    Some(parsed.ok_or(()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The authenticated (or, for a public client, identified) client's id.
pub(crate) fn authenticate(
    inner: &Inner,
    headers: &HeaderMap,
    fields: &[(String, String)],
) -> Result<String, OAuthError> {
    let form_id = field(fields, "client_id");
    let form_secret = field(fields, "client_secret");
    match basic_credentials(headers) {
        Some(_) if form_secret.is_some() => Err(OAuthError::request(
            "The request uses more than one client authentication method.",
        )),
        Some(Err(())) => Err(OAuthError::client(true)),
        Some(Ok((id, secret))) => {
            if form_id.is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::client(true));
            }
            check(inner, &id, Some(&secret), AuthMethod::ClientSecretBasic)
                .map_err(|()| OAuthError::client(true))
        }
        None => {
            let id = form_id.ok_or_else(|| OAuthError::client(false))?;
            let method = AuthMethod::ClientSecretPost;
            check(inner, id, form_secret, method).map_err(|()| OAuthError::client(false))
        }
    }
}

/// `secret: None` is a public client's request; a confidential client must use `method`.
fn check(inner: &Inner, id: &str, secret: Option<&str>, method: AuthMethod) -> Result<String, ()> {
    let client = inner.clients.get(id).ok_or(())?;
    match (&client.secret, secret) {
        (None, None) => Ok(id.into()),
        (Some(expected), Some(given))
            if expected == given && client.auth_methods.contains(&method) =>
        {
            Ok(id.into())
        }
        _ => Err(()),
    }
}
