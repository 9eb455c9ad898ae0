//! Reading Hivesigner tokens: self-contained signed statements, JSON in base64 with `+` -> `-`,
//! `/` -> `_` and the `=` padding written as `.`. Authdeck treats tokens as opaque and decodes
//! them only to read the account (`authors[0]`), the app it was issued to
//! (`signed_message.app`) and the issue time (`timestamp`).

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Deserialize;

use crate::clock::UnixSeconds;

/// What a statement says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFacts {
    /// The account the statement was signed for.
    pub author: String,
    /// When it was issued, in Unix seconds.
    pub issued_at: UnixSeconds,
    /// `login`, `posting`, `offline`, `code` or `refresh`.
    pub kind: String,
    /// The app (client id) it was issued to, when the statement names one.
    pub app: Option<String>,
}

#[derive(Deserialize)]
struct Statement {
    signed_message: SignedMessage,
    authors: Vec<String>,
    timestamp: UnixSeconds,
}

#[derive(Deserialize)]
struct SignedMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    app: Option<String>,
}

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);

/// Reads the facts of a Hivesigner token, or `None` if it is not a readable statement (a
/// Steemconnect JWT, say). Accepts the dot padding, plain base64 and unpadded input.
pub fn read(token: &str) -> Option<StatementFacts> {
    let normalised = token.trim().replace('.', "=");
    let bytes = URL_SAFE
        .decode(&normalised)
        .or_else(|_| STANDARD.decode(&normalised))
        .ok()?;
    let statement: Statement = serde_json::from_slice(&bytes).ok()?;
    Some(StatementFacts {
        author: statement.authors.into_iter().next()?,
        issued_at: statement.timestamp,
        kind: statement.signed_message.kind,
        app: statement.signed_message.app,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str, engine: &GeneralPurpose) -> String {
        engine.encode(json)
    }

    const JSON: &str = r#"{"signed_message":{"type":"code","app":"myapp"},"authors":["alice"],"timestamp":1700000000,"signatures":["00"]}"#;

    #[test]
    fn reads_dot_padded_plain_and_unpadded_statements() {
        let url_safe = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new());
        let dotted = encode(JSON, &url_safe).replace('=', ".");
        assert!(dotted.starts_with("eyJzaWduZWRfbWVzc2FnZSI6"));
        let plain = encode(JSON, &base64::engine::general_purpose::STANDARD);
        let unpadded = plain.trim_end_matches('=').to_owned();
        for token in [dotted, plain, unpadded] {
            let facts = read(&token).unwrap_or_else(|| panic!("unreadable: {token}"));
            assert_eq!(facts.author, "alice");
            assert_eq!(facts.issued_at, 1_700_000_000);
            assert_eq!(facts.kind, "code");
            assert_eq!(facts.app.as_deref(), Some("myapp"));
        }
    }

    #[test]
    fn unreadable_tokens_give_none() {
        for token in [
            "",
            "not base64 at all!",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
        ] {
            assert_eq!(read(token), None, "{token}");
        }
    }
}
