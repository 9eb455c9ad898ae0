//! The one redaction rule: what must never reach a log line, a panic message or a notice.
//!
//! Everything Authdeck writes for humans to read passes through [`redact`] (the log writer in
//! `logging.rs` applies it to every line). It hides:
//! - the value of every URL query or fragment parameter (`?code=abc` becomes `?code=[redacted]`),
//!   keeping the keys, which are useful when reading a log;
//! - values of key/value pairs whose key names a secret: any key ending in `token`, `secret`,
//!   `password`, `passwd` or `api_key` in any case and with any prefix (`access_token`,
//!   `clientSecret`, `new_refresh_token`, `x-access-token`), in JSON, form, header or `Debug`
//!   style, quoted values up to their real closing quote (escaped quotes included);
//! - the whole value of an `Authorization` header (`Basic ...`, `Bearer ...`, anything), and the
//!   word after a bare `Bearer`, however short (an OAuth `code` is caught as a query value or as
//!   token-like);
//! - anything token-like: Hivesigner signed statements and JWTs (`eyJ...`, base64 of `{"`), and
//!   runs of 32 or more base64 (standard or URL alphabet, with padding) or hex characters
//!   (signatures, opaque tokens). Runs are cut at ASCII boundaries only, so a token glued to a
//!   non-ASCII letter or wrapped in `-` is still found; a run with `/` is only taken for a token
//!   when it does not read like a path (see [`looks_opaque`]).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex_lite::Regex;

/// What replaces a hidden value.
pub const MASK: &str = "[redacted]";

/// The shortest run of base64/hex characters taken for an opaque token.
const MIN_OPAQUE_RUN: usize = 32;

/// `?key=value` / `&key=value` / `#key=value` in URLs: keep the key, hide the value.
static QUERY_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"([?&#;][^=\s&#?"'<>]{1,64})=([^&#?\s"'<>]*)"#).unwrap());

/// A quoted value, up to its real closing quote (or the end of the text when it has none):
/// `\"...\"` as printed inside a `Debug` string, `"..."` and `'...'` with backslash escapes.
const QUOTED_VALUE: &str =
    r#"\\"(?:[^"\\]|\\\\\\"|\\[^"])*(?:\\")?|"(?:[^"\\]|\\(?s:.))*"?|'(?:[^'\\]|\\(?s:.))*'?"#;

/// After a key: an optional closing quote (maybe escaped), then `:` or `=`.
const KEY_END: &str = r#"(?:\\?["'])?\s*[:=]\s*"#;

/// `"access_token": "value"`, `clientSecret=value`, `x-access-token: value` and their kin: any
/// key that ends in one of these words (the prefix before it is kept as it is).
static SECRET_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)((?:token|secret|password|passwd|api[_\-]?key){KEY_END})(?:Bearer\s+|Some\()?(?:{QUOTED_VALUE}|[^\s,;&}}"']+)"#
    ))
    .unwrap()
});

/// `Authorization: <scheme> <credentials>` (and `Proxy-Authorization`): the whole value goes.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(authorization{KEY_END})(?:{QUOTED_VALUE}|[^\r\n,;&}}"']+)"#
    ))
    .unwrap()
});

/// `Bearer <token>` anywhere, whatever the token's length.
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"(?i)(bearer\s+)({QUOTED_VALUE}|[^\s,;&}}"']+)"#)).unwrap()
});

/// Replacements: the key (group 1) is kept, its value becomes [`MASK`].
static KEEP_QUERY_KEY: LazyLock<String> = LazyLock::new(|| format!("${{1}}={MASK}"));
static KEEP_KEY: LazyLock<String> = LazyLock::new(|| format!("${{1}}{MASK}"));

/// Hides the word after `Bearer`, unless it is a `key=value` field (`token_type=bearer
/// expires_in=3600`): a bearer token has `=` only at its end (RFC 6750), and a long one is
/// still caught as token-like.
fn mask_bearer(caps: &regex_lite::Captures<'_>) -> String {
    let word = caps.get(2).map_or("", |m| m.as_str());
    let quoted = word.starts_with(['"', '\'', '\\']);
    if !quoted && word.trim_end_matches('=').contains('=') {
        return caps[0].to_string();
    }
    format!("{}{MASK}", &caps[1])
}

/// Returns `text` with every secret-looking part replaced by [`MASK`].
///
/// Borrowed when nothing needed hiding, so calling it on every log line is cheap: each rule
/// first checks with a plain byte scan whether its key words can be there at all.
pub fn redact(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let has_equals = bytes.contains(&b'=');
    let has_pair = has_equals || bytes.contains(&b':');
    let mut out = Cow::Borrowed(text);
    if has_equals {
        out = replace_owned(out, &QUERY_VALUE, &KEEP_QUERY_KEY);
    }
    let keep_key = KEEP_KEY.as_str();
    if has_pair && contains_ignore_case(bytes, b"authorization") {
        out = replace_owned(out, &AUTHORIZATION, keep_key);
    }
    if has_pair
        && [&b"token"[..], b"secret", b"passw", b"key"]
            .iter()
            .any(|word| contains_ignore_case(bytes, word))
    {
        out = replace_owned(out, &SECRET_PAIR, keep_key);
    }
    if contains_ignore_case(bytes, b"bearer") {
        // `mask_bearer` may keep a match as it is: keep the text borrowed when nothing changed.
        let replaced = BEARER.replace_all(&out, mask_bearer);
        if replaced != out {
            out = Cow::Owned(replaced.into_owned());
        }
    }
    match out {
        Cow::Borrowed(borrowed) => mask_token_runs(borrowed),
        Cow::Owned(owned) => match mask_token_runs(&owned) {
            Cow::Borrowed(_) => Cow::Owned(owned),
            Cow::Owned(masked) => Cow::Owned(masked),
        },
    }
}

fn replace_owned<'a>(text: Cow<'a, str>, pattern: &Regex, replacement: &str) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(borrowed) => pattern.replace_all(borrowed, replacement),
        Cow::Owned(owned) => match pattern.replace_all(&owned, replacement) {
            Cow::Borrowed(_) => Cow::Owned(owned),
            Cow::Owned(replaced) => Cow::Owned(replaced),
        },
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// A byte that can be part of a token: base64 (both alphabets, padding), hex, JWT dots, and `%`
/// (a percent-encoded token). Every non-ASCII byte ends a run, so runs have ASCII boundaries.
fn is_run_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'%')
}

/// Replaces every token-like part of every run of [`is_run_byte`] bytes with [`MASK`].
fn mask_token_runs(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut changed = false;
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !is_run_byte(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_run_byte(bytes[at]) {
            at += 1;
        }
        for (from, to) in token_ranges(&bytes[start..at]) {
            // Run bytes are ASCII, so these offsets are always on character boundaries.
            out.push_str(&text[copied..start + from]);
            out.push_str(MASK);
            copied = start + to;
            changed = true;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The parts of one run to hide, in order, as byte ranges within it.
fn token_ranges(run: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    if run.len() < 3 + 8 {
        return ranges;
    }
    let is_cut = |byte: u8| matches!(byte, b'.' | b'=');
    // A signed statement or JWT: from the start of the base64 piece that holds `eyJ` (so no
    // prefix of the token survives) to the end of the run, dots and padding included.
    let statement = run
        .windows(3)
        .position(|window| window == b"eyJ")
        .filter(|&at| run.len() - at >= 3 + 8)
        .map(|at| {
            run[..at]
                .iter()
                .rposition(|&b| is_cut(b))
                .map_or(0, |cut| cut + 1)
        });
    let head_end = statement.unwrap_or(run.len());
    // Before it: pieces of base64/hex characters with their trailing padding, cut at `.` and at
    // an `=` that is not padding (`key=value`).
    let mut at = 0;
    while at < head_end {
        while at < head_end && is_cut(run[at]) {
            at += 1;
        }
        let piece_start = at;
        while at < head_end && !is_cut(run[at]) {
            at += 1;
        }
        while at < head_end && run[at] == b'=' {
            at += 1;
        }
        if at > piece_start && looks_opaque(&run[piece_start..at]) {
            ranges.push((piece_start, at));
        }
    }
    if let Some(from) = statement {
        ranges.push((from, run.len()));
    }
    ranges
}

/// Whether a piece of base64/hex characters (and trailing `=`) is an opaque token.
///
/// Any such piece of [`MIN_OPAQUE_RUN`] or more characters is, except that one with `/` or `%`
/// (and no `+` or padding, which paths do not have) must also not read like a path: it needs a
/// segment of [`MIN_OPAQUE_RUN`] characters, or the frequent switches between upper case, lower
/// case and digits of random text (paths have a few; base64 switches at most characters).
fn looks_opaque(piece: &[u8]) -> bool {
    if piece.len() < MIN_OPAQUE_RUN {
        return false;
    }
    let body_len = piece
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |at| at + 1);
    let body = &piece[..body_len];
    // Some letters or digits: a line of `-----` or `_-_-_` is not a token.
    if body.iter().filter(|b| b.is_ascii_alphanumeric()).count() < 8 {
        return false;
    }
    let is_separator = |b: &u8| matches!(b, b'/' | b'%');
    if !body.iter().any(is_separator) || body.contains(&b'+') || body_len < piece.len() {
        return true;
    }
    if body
        .split(is_separator)
        .any(|segment| segment.len() >= MIN_OPAQUE_RUN)
    {
        return true;
    }
    let class = |b: u8| {
        if b.is_ascii_uppercase() {
            1
        } else if b.is_ascii_lowercase() {
            2
        } else if b.is_ascii_digit() {
            3
        } else {
            0
        }
    };
    let switches = body
        .windows(2)
        .filter(|pair| {
            let (a, b) = (class(pair[0]), class(pair[1]));
            a != 0 && b != 0 && a != b
        })
        .count();
    switches * 4 >= body.len()
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

    /// 40 characters of a made-up opaque token (no `eyJ`, no `+` or `/`).
    const OPAQUE: &str = "Qw3rTy7uIoP9aSdF2gHjK4lZxC6vBnM8qWeR1tYu";

    #[test]
    fn hides_token_runs_next_to_non_ascii_letters() {
        for text in [
            format!("café{OPAQUE}"),
            format!("{OPAQUE}é"),
            format!("jeton: é{OPAQUE}ü fin"),
            format!("Ключ{OPAQUE}данные"),
        ] {
            let line = redact(&text);
            assert!(!line.contains(&OPAQUE[..20]), "{text} -> {line}");
            assert!(line.contains(MASK), "{text} -> {line}");
        }
    }

    #[test]
    fn hides_runs_that_start_or_end_with_a_dash() {
        let inner = &OPAQUE[..30];
        for text in [
            format!("sig -{inner}- end"),
            format!("sig -{inner}x end"),
            format!("sig x{inner}- end"),
            format!("sig --{}-- end", &OPAQUE[..28]),
        ] {
            assert_eq!(redact(&text), "sig [redacted] end", "{text}");
        }
    }

    #[test]
    fn hides_standard_base64_with_plus_and_slash_whole() {
        let hivesigner = "eyJzaWduZWRfbWVzc2FnZSI6eyJ0eXBl+IjoiY29k/ZSJ9fQ==";
        let opaque = "q3Vz9Tk2+abcDEF0123/4567XyZ8wQ7eR+tY5uI1oP8s/Zz==";
        let slashes_only = "Ab3dE/fG5hI7jK/lM9nO1pQ/rS3tU5vW/xY7zA9";
        for token in [hivesigner, opaque, slashes_only] {
            assert_eq!(
                redact(&format!("got {token} ok")),
                "got [redacted] ok",
                "{token}"
            );
            assert_eq!(redact(&format!("got \"{token}\"")), "got \"[redacted]\"");
        }
    }

    #[test]
    fn hides_a_statement_glued_to_other_base64_whole() {
        for text in [format!("x+{STATEMENT}"), format!("Ab9{STATEMENT}")] {
            assert_eq!(redact(&format!("got {text} ok")), "got [redacted] ok");
        }
        assert_eq!(
            redact(&format!("statement={STATEMENT} ok")),
            "statement=[redacted] ok"
        );
    }

    #[test]
    fn keeps_paths_and_urls_readable() {
        for text in [
            "log dir /home/alice/projects/authdeck/src-tauri/target/debug/build/logs",
            "opened https://hivesigner.com/api/oauth2/authorize/login/callback",
            "loaded /usr/share/icons/hicolor/128x128/apps/authdeck.png",
            "----------------------------------------  ======================================",
            "token_type=bearer expires_in=604800 (the refresh token lasts 7 days)",
        ] {
            let line = redact(text);
            assert!(matches!(line, Cow::Borrowed(_)), "{text} -> {line}");
        }
    }

    #[test]
    fn hides_camel_case_and_prefixed_secret_keys() {
        for text in [
            r#"{"clientSecret":"short1"}"#,
            r#"{"clientSecret": "short1", "accessToken": "short2"}"#,
            "accessToken=short2 ok",
            "refreshToken: short3 ok",
            "idToken=short4 ok",
            "new_refresh_token=short5 ok",
            "x-access-token: short6 ok",
            "X-Client-Secret: short7 ok",
            "Tokens { access_token: Some(\"short8\"), scope: \"login\" }",
        ] {
            let line = redact(text);
            for secret in [
                "short1", "short2", "short3", "short4", "short5", "short6", "short7",
            ] {
                assert!(!line.contains(secret), "{text} -> {line}");
            }
            assert!(!line.contains("short8"), "{text} -> {line}");
        }
        assert_eq!(
            redact("x-access-token: abc ok"),
            "x-access-token: [redacted] ok"
        );
        assert_eq!(
            redact(r#"{"clientSecret":"abc","scope":"login"}"#),
            r#"{"clientSecret":[redacted],"scope":"login"}"#
        );
    }

    #[test]
    fn hides_short_bearer_tokens_and_whole_authorization_values() {
        for (text, hidden) in [
            ("sent Bearer x with it", "x with"),
            ("sent bearer abc", "abc"),
            ("sent BEARER abc", "abc"),
            ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
            ("authorization: Token abc def", "abc def"),
            ("proxy-authorization=Digest u1 p2", "u1 p2"),
        ] {
            let line = redact(text);
            assert!(!line.contains(hidden), "{text} -> {line}");
        }
        assert_eq!(
            redact("sent Bearer x with it"),
            "sent Bearer [redacted] with it"
        );
        assert_eq!(
            redact("Authorization: Basic dXNlcjpwYXNz"),
            "Authorization: [redacted]"
        );
    }

    #[test]
    fn hides_quoted_values_with_escaped_quotes() {
        for (text, hidden) in [
            (r#"{"access_token":"ab\"cd9","n":1}"#, "cd9"),
            (r#"password='it\'s9'"#, "s9"),
            (r#"body="{\"refresh_token\":\"zz9\",\"n\":1}""#, "zz9"),
            (r#"body="{\"refresh_token\":\"a\\\"zz9\",\"n\":1}""#, "zz9"),
            (r#"{"access_token":"unterminated9"#, "unterminated9"),
        ] {
            let line = redact(text);
            assert!(!line.contains(hidden), "{text} -> {line}");
        }
        assert_eq!(
            redact(r#"{"access_token":"ab\"cd","n":1}"#),
            r#"{"access_token":[redacted],"n":1}"#
        );
        assert_eq!(
            redact(r#"body="{\"refresh_token\":\"zz\",\"n\":1}""#),
            r#"body="{\"refresh_token\":[redacted],\"n\":1}""#
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_lets_a_long_token_through(
            before in "\\PC{0,12}",
            token in "[A-Za-z0-9_\\-]{0,20}[A-Za-z0-9]{8}[A-Za-z0-9_\\-]{24,30}",
            after in "\\PC{0,12}",
        ) {
            let text = format!("{before}{token}{after}");
            let line = redact(&text);
            proptest::prop_assert!(!line.contains(&token), "{}", line);
            let again = redact(&line);
            proptest::prop_assert!(!again.contains(&token));
        }
    }
}
