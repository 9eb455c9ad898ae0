//! The rules a token answer must meet before Authdeck keeps it: a `Bearer` token that is not
//! empty, a believable lifetime, and the scopes and refresh token read as RFC 6749 5.1 says.

use oauth2::basic::{BasicTokenResponse, BasicTokenType};
use oauth2::TokenResponse;
use secrecy::SecretString;

use crate::oauth::token::{CallError, TokenGrant, MAX_LIFETIME_SECONDS};
use crate::redact::redact;
/// A token answer as a [`TokenGrant`], refusing what the protocol does not allow.
pub(super) fn grant_from(answer: BasicTokenResponse) -> std::result::Result<TokenGrant, CallError> {
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
