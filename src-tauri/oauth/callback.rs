//! The one parser for the provider's redirect back, whichever way it arrives (the
//! `authdeck://callback` deep link or the loopback listener's request).
//!
//! It copes with what the providers really send: any key order, unknown keys (ignored), a
//! callback URL that already had a query joined with a second `?` (the older Hivesigner UI:
//! `/cb?x=1?code=...`), `expires_in` as a string. It refuses a missing `state` and repeated
//! keys, and keeps the code or token in a [`SecretString`].

use secrecy::SecretString;

use crate::oauth::token::MAX_LIFETIME_SECONDS;

/// Longest redirect accepted.
pub const MAX_CALLBACK_BYTES: usize = 8 * 1024;

/// What the redirect carries.
#[derive(Debug)]
pub enum Answer {
    /// Code flow: a code to exchange.
    Code(SecretString),
    /// Implicit flow: the access token itself.
    Token {
        /// The access token.
        access_token: SecretString,
        /// Its advertised lifetime in seconds.
        expires_in: u64,
    },
    /// A standard OAuth2 error redirect (`error=access_denied`).
    Refused {
        /// The `error` code.
        error: String,
        /// The `error_description`, if any.
        description: Option<String>,
    },
}

/// A parsed redirect.
#[derive(Debug)]
pub struct Callback {
    /// The `state` Authdeck sent (matched against pending attempts).
    pub state: String,
    /// The account name the provider put in the redirect, if it did.
    pub username: Option<String>,
    /// The `iss` parameter (RFC 9207), if the redirect carries one.
    pub issuer: Option<String>,
    /// The code, token or error.
    pub answer: Answer,
}

/// Why a redirect could not be read; each says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Longer than [`MAX_CALLBACK_BYTES`].
    #[error("the redirect is too long")]
    TooLong,
    /// No `state`: the redirect cannot be matched to a sign-in Authdeck started.
    #[error("it carries no state")]
    MissingState,
    /// A key that appears twice: refused rather than guessing which one counts.
    #[error("it repeats the key '{0}'")]
    RepeatedKey(String),
    /// Neither a code, a token nor an error.
    #[error("it carries neither a code nor an access token")]
    NoAnswer,
    /// Both a code and a token.
    #[error("it carries both a code and an access token")]
    Ambiguous,
    /// `expires_in` that is not a positive whole number.
    #[error("its expires_in is not a number of seconds")]
    BadExpiresIn,
    /// `expires_in` beyond [`crate::oauth::token::MAX_LIFETIME_SECONDS`].
    #[error("its expires_in ({0} seconds) is not a believable lifetime")]
    UnbelievableExpiresIn(u64),
}

/// Keys whose repetition would make the redirect ambiguous.
const KEYS: [&str; 8] = [
    "state",
    "code",
    "access_token",
    "expires_in",
    "username",
    "error",
    "error_description",
    "iss",
];

/// Parses a full redirect URL, or a request target such as `/callback?code=...`.
pub fn parse(redirect: &str) -> Result<Callback, CallbackError> {
    if redirect.len() > MAX_CALLBACK_BYTES {
        return Err(CallbackError::TooLong);
    }
    let query = redirect.split_once('?').map_or("", |(_, rest)| rest);
    let query = query.split('#').next().unwrap_or_default();
    // The older UI joins its query to one already in the callback with a second '?'.
    let query = query.replace('?', "&");

    let mut found: [Option<String>; KEYS.len()] = Default::default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some(index) = KEYS.iter().position(|known| *known == key) {
            if found[index].replace(value.into_owned()).is_some() {
                return Err(CallbackError::RepeatedKey(KEYS[index].to_owned()));
            }
        }
    }
    let [state, code, access_token, expires_in, username, error, description, issuer] = found;

    let state = state
        .filter(|state| !state.is_empty())
        .ok_or(CallbackError::MissingState)?;
    let answer = match (code, access_token, error) {
        (Some(_), Some(_), _) => return Err(CallbackError::Ambiguous),
        (Some(code), None, _) if !code.is_empty() => Answer::Code(code.into()),
        (None, Some(token), _) if !token.is_empty() => Answer::Token {
            access_token: token.into(),
            expires_in: parse_expires_in(expires_in.as_deref())?,
        },
        (None, None, Some(error)) => Answer::Refused { error, description },
        _ => return Err(CallbackError::NoAnswer),
    };
    Ok(Callback {
        state,
        username: username.filter(|name| !name.is_empty()),
        issuer,
        answer,
    })
}

/// Hivesigner sends `expires_in` as a string in the redirect; absent means its 7 days. More
/// than [`MAX_LIFETIME_SECONDS`] is refused: no real token lives that long, and an expiry
/// computed from it could overflow.
fn parse_expires_in(raw: Option<&str>) -> Result<u64, CallbackError> {
    let Some(text) = raw else {
        return Ok(crate::oauth::token::DEFAULT_LIFETIME_SECONDS);
    };
    let seconds = text
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|seconds| *seconds > 0)
        .ok_or(CallbackError::BadExpiresIn)?;
    if seconds > MAX_LIFETIME_SECONDS {
        return Err(CallbackError::UnbelievableExpiresIn(seconds));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn code_of(callback: &Callback) -> &str {
        match &callback.answer {
            Answer::Code(code) => code.expose_secret(),
            other => panic!("expected a code, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_code_flow_in_any_key_order() {
        for redirect in [
            "authdeck://callback?code=C1&state=S1&username=alice",
            "http://127.0.0.1:41234/callback?username=alice&state=S1&code=C1",
            "/callback?state=S1&code=C1&username=alice",
        ] {
            let callback = parse(redirect).unwrap();
            assert_eq!(callback.state, "S1");
            assert_eq!(code_of(&callback), "C1");
            assert_eq!(callback.username.as_deref(), Some("alice"));
        }
    }

    #[test]
    fn reads_the_second_question_mark_of_the_older_ui() {
        let callback = parse("http://127.0.0.1:9/cb?x=1?code=C2&state=S2").unwrap();
        assert_eq!((callback.state.as_str(), code_of(&callback)), ("S2", "C2"));
    }

    #[test]
    fn reads_the_implicit_flow_with_expires_in_as_a_string() {
        let callback =
            parse("authdeck://callback?state=S&access_token=T&expires_in=604800&username=bob")
                .unwrap();
        match callback.answer {
            Answer::Token {
                access_token,
                expires_in,
            } => {
                assert_eq!(access_token.expose_secret(), "T");
                assert_eq!(expires_in, 604_800);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decodes_percent_encoding_and_ignores_unknown_keys() {
        let callback = parse("authdeck://callback?state=a%2Bb%3D&code=eyJ.x%3D&utm=1").unwrap();
        assert_eq!(callback.state, "a+b=");
        assert_eq!(code_of(&callback), "eyJ.x=");
    }

    #[test]
    fn reads_standard_error_redirects() {
        let callback = parse("authdeck://callback?state=S&error=access_denied").unwrap();
        assert!(
            matches!(callback.answer, Answer::Refused { ref error, .. } if error == "access_denied")
        );
    }

    #[test]
    fn refuses_what_cannot_be_trusted() {
        let cases = [
            ("authdeck://callback?code=C", CallbackError::MissingState),
            (
                "authdeck://callback?code=C&state=",
                CallbackError::MissingState,
            ),
            (
                "authdeck://callback?code=C&state=S&state=T",
                CallbackError::RepeatedKey("state".into()),
            ),
            (
                "authdeck://callback?code=C&state=S&code=D",
                CallbackError::RepeatedKey("code".into()),
            ),
            ("authdeck://callback?state=S", CallbackError::NoAnswer),
            ("authdeck://callback?state=S&code=", CallbackError::NoAnswer),
            (
                "authdeck://callback?state=S&code=C&access_token=T",
                CallbackError::Ambiguous,
            ),
            (
                "authdeck://callback?state=S&access_token=T&expires_in=soon",
                CallbackError::BadExpiresIn,
            ),
            ("no query at all", CallbackError::MissingState),
        ];
        for (redirect, expected) in cases {
            assert_eq!(parse(redirect).err(), Some(expected), "{redirect}");
        }
        let long = format!("/callback?state=S&code={}", "c".repeat(MAX_CALLBACK_BYTES));
        assert_eq!(parse(&long).err(), Some(CallbackError::TooLong));
    }

    #[test]
    fn refuses_unbelievable_lifetimes_without_panicking() {
        let redirect = "authdeck://callback?state=S&access_token=T&expires_in=9223372036854775807";
        let error = parse(redirect).err();
        assert_eq!(
            error,
            Some(CallbackError::UnbelievableExpiresIn(
                9_223_372_036_854_775_807
            ))
        );
        assert_eq!(
            error.unwrap().to_string(),
            "its expires_in (9223372036854775807 seconds) is not a believable lifetime"
        );
        let past_the_cap = format!(
            "authdeck://callback?state=S&access_token=T&expires_in={}",
            MAX_LIFETIME_SECONDS + 1
        );
        assert!(matches!(
            parse(&past_the_cap).err(),
            Some(CallbackError::UnbelievableExpiresIn(_))
        ));
        // Beyond u64 altogether: not a number of seconds at all.
        let huge = "authdeck://callback?state=S&access_token=T&expires_in=99999999999999999999";
        assert_eq!(parse(huge).err(), Some(CallbackError::BadExpiresIn));
        let at_the_cap =
            format!("authdeck://callback?state=S&access_token=T&expires_in={MAX_LIFETIME_SECONDS}");
        assert!(matches!(
            parse(&at_the_cap).unwrap().answer,
            Answer::Token { expires_in, .. } if expires_in == MAX_LIFETIME_SECONDS
        ));
    }

    #[test]
    fn debug_output_hides_the_code() {
        let callback = parse("authdeck://callback?code=VERYSECRET&state=S").unwrap();
        assert!(!format!("{callback:?}").contains("VERYSECRET"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(redirect in ".{0,400}") {
            let _ = parse(&redirect);
        }

        #[test]
        fn never_panics_on_query_like_input(query in "[a-z_=&?#%+0-9A-F]{0,200}") {
            let _ = parse(&format!("authdeck://callback?{query}"));
        }
    }
}
