//! The one redaction rule: what must never reach a log line, a panic message or a notice.
//!
//! Everything Authdeck writes for humans to read passes through [`redact`] (the log writer in
//! `logging.rs` applies it to every line). It hides:
//! - the value of every URL query or fragment parameter (`?code=abc` becomes `?code=[redacted]`),
//!   keeping the keys, which are useful when reading a log;
//! - values of key/value pairs whose key names a secret (`access_token`, `refresh_token`,
//!   `client_secret`, `token`, `password`, `secret`, `authorization`), in JSON, form or header
//!   style (an OAuth `code` is caught as a query value or as token-like);
//! - anything token-like: Hivesigner signed statements (`eyJ...`), JWTs, and runs of 32 or more
//!   base64url or hex characters (signatures, opaque tokens).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What replaces a hidden value.
pub const MASK: &str = "[redacted]";

/// `?key=value` / `&key=value` / `#key=value` in URLs: keep the key, hide the value.
static QUERY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"([?&#;][^=\s&#?"'<>]{1,64})=([^&#?\s"'<>]*)"#).unwrap());

/// `"secret_key": "value"`, `secret_key=value`, `Authorization: value` and their kin.
static SECRET_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)("?\b(?:access_token|refresh_token|client_secret|id_token|token|password|secret|authorization)\b"?\s*[:=]\s*)(?:Bearer\s+)?("[^"]*"|'[^']*'|[^\s,;&}"']+)"#,
    )
    .unwrap()
});

/// Hivesigner statements and JWTs (both start with base64 of `{"`), and long opaque runs.
static TOKEN_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"eyJ[A-Za-z0-9_\-+/=.]{8,}|\b[A-Za-z0-9_\-]{32,}\b").unwrap());

/// Returns `text` with every secret-looking part replaced by [`MASK`].
///
/// Borrowed when nothing needed hiding, so calling it on every log line is cheap.
pub fn redact(text: &str) -> Cow<'_, str> {
    let step = QUERY_VALUE.replace_all(text, format!("${{1}}={MASK}"));
    let step = replace_owned(step, &SECRET_PAIR, &format!("${{1}}{MASK}"));
    replace_owned(step, &TOKEN_LIKE, MASK)
}

fn replace_owned<'a>(text: Cow<'a, str>, pattern: &Regex, replacement: &str) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(borrowed) => pattern.replace_all(borrowed, replacement),
        Cow::Owned(owned) => Cow::Owned(pattern.replace_all(&owned, replacement).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATEMENT: &str = "eyJzaWduZWRfbWVzc2FnZSI6eyJ0eXBlIjoiY29kZSIsImFwcCI6ImRlbW8ifX0.";

    #[test]
    fn hides_query_values_and_keeps_keys() {
        let line = redact("opened authdeck://callback?code=abc&state=xyz&username=alice");
        assert_eq!(
            line,
            "opened authdeck://callback?code=[redacted]&state=[redacted]&username=[redacted]"
        );
    }

    #[test]
    fn hides_second_question_mark_query() {
        let line = redact("http://127.0.0.1:4000/cb?x=1?code=abc&state=s");
        assert!(!line.contains("abc") && !line.contains("=s"), "{line}");
        assert!(line.contains("code=[redacted]"), "{line}");
    }

    #[test]
    fn hides_secret_pairs_in_json_form_and_headers() {
        for text in [
            r#"{"access_token": "short1", "refresh_token":"short2"}"#,
            "client_secret=short3 next",
            "Authorization: Bearer short4",
            "authorization: short5",
            "password='short6'",
        ] {
            let line = redact(text);
            for secret in ["short1", "short2", "short3", "short4", "short5", "short6"] {
                assert!(!line.contains(secret), "{text} -> {line}");
            }
        }
    }

    #[test]
    fn hides_token_like_runs() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
        let hex = "a".repeat(130);
        let text = format!("statement {STATEMENT} jwt {jwt} signature {hex} end");
        let line = redact(&text);
        assert!(!line.contains("eyJ"), "{line}");
        assert!(!line.contains(&hex), "{line}");
        assert!(line.starts_with("statement [redacted]") && line.ends_with(" end"));
    }

    #[test]
    fn leaves_ordinary_text_alone_and_borrowed() {
        let text = "window ready: Authdeck 0.1.0 at /home/alice/.local/share/app.authdeck/logs";
        assert!(matches!(redact(text), Cow::Borrowed(_)));
        assert_eq!(redact(text), text);
    }
}
