//! Discovery of a standard OAuth 2.0 server's endpoints from its issuer URL: the RFC 8414
//! authorization server metadata first, the OpenID Connect discovery document second, each at
//! the address its rule gives for an issuer with a path, and the answer believed only when it
//! names the same issuer (RFC 8414 3.3).
//!
//! The documents are read with serde, not openidconnect's `ProviderMetadata`: that type
//! demands the OpenID-only fields (`jwks_uri`, `subject_types_supported`, ...) that an RFC 8414
//! server does not publish, and Authdeck takes identity from the userinfo endpoint, so it
//! needs no ID-token keys.

use url::Url;

use crate::error::{field, Error, Result};
use crate::oauth::token::{decode, fetch, CallError};
pub use crate::provider::ServerMetadata;

/// The two documents' addresses for `issuer`, in the order they are tried: RFC 8414 puts its
/// well-known segment before the issuer's path (`https://h/.well-known/oauth-authorization-server/o`),
/// OpenID Connect appends its own (`https://h/o/.well-known/openid-configuration`).
pub fn metadata_urls(issuer: &Url) -> [Url; 2] {
    let path = issuer.path().trim_end_matches('/');
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut openid = issuer.clone();
    openid.set_path(&format!("{path}/.well-known/openid-configuration"));
    [rfc8414, openid]
}

/// Fetches and checks the metadata of `issuer` with `http` (which follows no redirects).
/// Problems are reported at the base URL field, saying what was tried.
pub async fn discover(http: &reqwest::Client, issuer: &Url) -> Result<ServerMetadata> {
    let mut tried = Vec::new();
    for url in metadata_urls(issuer) {
        match fetch_one(http, &url).await {
            Ok(metadata) => return check(issuer, metadata),
            Err(problem) => tried.push(format!("{url} ({problem})")),
        }
    }
    Err(Error::invalid(
        field::BASE_URL,
        format!(
            "Authdeck found no server metadata for this issuer: tried {}. Check the issuer URL, or enter the endpoints by hand.",
            tried.join(" and ")
        ),
    ))
}

async fn fetch_one(
    http: &reqwest::Client,
    url: &Url,
) -> std::result::Result<ServerMetadata, String> {
    let request = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json");
    match fetch(request).await.and_then(decode::<ServerMetadata>) {
        Ok(metadata) => Ok(metadata),
        Err(CallError::Unreachable(reason) | CallError::AnswerLost(reason)) => {
            Err(format!("no answer: {reason}"))
        }
        Err(CallError::Refused { status, .. }) => Err(format!("HTTP {status}")),
        Err(CallError::BadResponse(_)) => Err("not a metadata document".into()),
    }
}

/// `metadata` if it names `issuer` and can do what Authdeck needs (PKCE with S256).
fn check(issuer: &Url, metadata: ServerMetadata) -> Result<ServerMetadata> {
    let wanted = issuer.as_str().trim_end_matches('/');
    if metadata.issuer.trim_end_matches('/') != wanted {
        return Err(Error::invalid(
            field::BASE_URL,
            format!(
                "The server's metadata names another issuer ({}) than the one entered ({wanted}); Authdeck does not use metadata that names another issuer. Enter the issuer exactly as the server names it.",
                crate::redact::redact(&metadata.issuer)
            ),
        ));
    }
    let methods = &metadata.code_challenge_methods_supported;
    if !methods.is_empty() && !methods.iter().any(|m| m == "S256") {
        return Err(Error::invalid(
            field::BASE_URL,
            "The server does not offer PKCE with S256, which Authdeck uses on every sign-in (RFC 7636); it cannot sign in there safely.",
        ));
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_path_goes_after_the_rfc8414_segment_and_before_the_openid_one() {
        let [rfc8414, openid] = metadata_urls(&Url::parse("https://h.example/o").unwrap());
        assert_eq!(
            rfc8414.as_str(),
            "https://h.example/.well-known/oauth-authorization-server/o"
        );
        assert_eq!(
            openid.as_str(),
            "https://h.example/o/.well-known/openid-configuration"
        );
        let [rfc8414, openid] = metadata_urls(&Url::parse("https://h.example").unwrap());
        assert_eq!(
            rfc8414.as_str(),
            "https://h.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            openid.as_str(),
            "https://h.example/.well-known/openid-configuration"
        );
    }

    fn metadata(issuer: &str, pkce: &[&str]) -> ServerMetadata {
        ServerMetadata {
            issuer: issuer.into(),
            authorization_endpoint: Url::parse("https://h.example/o/authorize").unwrap(),
            token_endpoint: Url::parse("https://h.example/o/token").unwrap(),
            revocation_endpoint: None,
            userinfo_endpoint: None,
            token_endpoint_auth_methods_supported: Vec::new(),
            authorization_response_iss_parameter_supported: false,
            code_challenge_methods_supported: pkce.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn metadata_for_another_issuer_or_without_s256_is_refused() {
        let issuer = Url::parse("https://h.example/o").unwrap();
        assert!(check(&issuer, metadata("https://h.example/o", &["S256"])).is_ok());
        assert!(check(&issuer, metadata("https://h.example/o/", &[])).is_ok());
        let other = check(&issuer, metadata("https://evil.example/o", &[])).unwrap_err();
        assert!(other.to_string().contains("another issuer"), "{other}");
        let plain = check(&issuer, metadata("https://h.example/o", &["plain"])).unwrap_err();
        assert!(plain.to_string().contains("S256"), "{plain}");
    }
}
