//! The shape check for `authdeck://` links that reach the app from the browser or the desktop.
//!
//! Links arrive from outside (a second launch, the URL handler, a web page), so nothing here
//! trusts them: the check refuses anything that is not an `authdeck://callback` link carrying a
//! query, never panics, and the accepted [`CallbackLink`] hides its query values when printed.

use std::fmt;

use url::Url;

/// The URL scheme Authdeck registers with the desktop.
pub const SCHEME: &str = "authdeck";

/// The one link target Authdeck understands: the provider's redirect after consent.
pub const CALLBACK_TARGET: &str = "callback";

/// Longer links are refused before parsing (a redirect carries a few hundred bytes).
pub const MAX_LINK_BYTES: usize = 8 * 1024;

/// How many query keys a notice or a log line names at most.
const MAX_KEYS_SHOWN: usize = 8;

/// A link that passed the shape check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// `authdeck://callback?...`: a provider's redirect back after the consent page.
    Callback(CallbackLink),
}

/// An `authdeck://callback?...` link. Its query holds a code or token, so `Debug` shows only keys.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackLink {
    url: Url,
}

impl CallbackLink {
    /// The whole URL, for the callback parser. Never log or display it.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The names of the query parameters (not their values), printable and shortened, for
    /// notices and logs. Keys that are not plain identifiers are shown as `?`.
    pub fn query_keys(&self) -> Vec<String> {
        self.url
            .query_pairs()
            .take(MAX_KEYS_SHOWN)
            .map(|(key, _)| displayable_key(&key))
            .collect()
    }
}

impl fmt::Debug for CallbackLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackLink")
            .field("query_keys", &self.query_keys())
            .finish()
    }
}

/// Why a link was refused; each message says what was wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkError {
    /// The link is longer than [`MAX_LINK_BYTES`].
    #[error("the link is {0} bytes long; Authdeck links are at most {MAX_LINK_BYTES} bytes")]
    TooLong(usize),
    /// The text is not a URL at all.
    #[error("the link is not a valid URL")]
    NotAUrl,
    /// A URL of another scheme (`https:`, `file:`, ...).
    #[error("the link starts with '{0}:', but Authdeck only opens 'authdeck://' links")]
    WrongScheme(String),
    /// User name, password or port in the link: Authdeck links never carry them.
    #[error("the link carries a user name, password or port, which Authdeck links never have")]
    UnexpectedAuthority,
    /// An `authdeck://` link to something other than `callback`.
    #[error("the link asks for '{0}', but Authdeck only understands 'authdeck://callback'")]
    UnknownTarget(String),
    /// `authdeck://callback` with a path after it.
    #[error("the link has a path after 'authdeck://callback'; the provider's redirect has none")]
    UnexpectedPath,
    /// A callback without a query: the provider always sends its answer in the query.
    #[error("the sign-in link carries no answer from the provider (it has no '?...' part)")]
    EmptyCallback,
    /// A fragment (`#...`): Hivesigner and SteemLogin answer in the query, never a fragment.
    #[error("the sign-in link carries its answer after '#', which the providers never do")]
    UnexpectedFragment,
}

/// Checks that `raw` is an `authdeck://callback?...` link and returns it typed.
pub fn check(raw: &str) -> Result<DeepLink, DeepLinkError> {
    if raw.len() > MAX_LINK_BYTES {
        return Err(DeepLinkError::TooLong(raw.len()));
    }
    let url = Url::parse(raw.trim()).map_err(|_| DeepLinkError::NotAUrl)?;
    if url.scheme() != SCHEME {
        return Err(DeepLinkError::WrongScheme(shorten(url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(DeepLinkError::UnexpectedAuthority);
    }
    match url.host_str() {
        Some(CALLBACK_TARGET) => {}
        Some(other) => return Err(DeepLinkError::UnknownTarget(shorten(other))),
        None => return Err(DeepLinkError::UnknownTarget(shorten(url.path()))),
    }
    if !matches!(url.path(), "" | "/") {
        return Err(DeepLinkError::UnexpectedPath);
    }
    if url.fragment().is_some() {
        return Err(DeepLinkError::UnexpectedFragment);
    }
    if url.query().is_none_or(str::is_empty) {
        return Err(DeepLinkError::EmptyCallback);
    }
    Ok(DeepLink::Callback(CallbackLink { url }))
}

/// Cuts untrusted text for a message: at most 40 printable characters.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        short.push('…');
    }
    short
}

fn displayable_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 32
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        key.to_owned()
    } else {
        "?".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(raw: &str) -> Vec<String> {
        match check(raw) {
            Ok(DeepLink::Callback(link)) => link.query_keys(),
            Err(err) => panic!("{raw} refused: {err}"),
        }
    }

    #[test]
    fn accepts_callback_links_in_the_shapes_providers_send() {
        assert_eq!(
            keys("authdeck://callback?code=abc&state=xyz"),
            ["code", "state"]
        );
        assert_eq!(
            keys("authdeck://callback/?state=s&code=c&username=alice"),
            ["state", "code", "username"]
        );
        assert_eq!(
            keys("authdeck://callback?access_token=t&expires_in=604800&username=u&state=s"),
            ["access_token", "expires_in", "username", "state"]
        );
        assert_eq!(keys("  authdeck://callback?code=c\n"), ["code"]);
    }

    #[test]
    fn refuses_other_shapes_with_their_own_reason() {
        let cases = [
            ("", DeepLinkError::NotAUrl),
            ("callback?code=1", DeepLinkError::NotAUrl),
            (
                "https://callback?code=1",
                DeepLinkError::WrongScheme("https".into()),
            ),
            (
                "authdeck://settings?x=1",
                DeepLinkError::UnknownTarget("settings".into()),
            ),
            (
                "authdeck:callback?code=1",
                DeepLinkError::UnknownTarget("callback".into()),
            ),
            (
                "authdeck://user:pw@callback?code=1",
                DeepLinkError::UnexpectedAuthority,
            ),
            (
                "authdeck://callback:8080?code=1",
                DeepLinkError::UnexpectedAuthority,
            ),
            (
                "authdeck://callback/extra?code=1",
                DeepLinkError::UnexpectedPath,
            ),
            ("authdeck://callback", DeepLinkError::EmptyCallback),
            ("authdeck://callback?", DeepLinkError::EmptyCallback),
            (
                "authdeck://callback#access_token=t",
                DeepLinkError::UnexpectedFragment,
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(check(raw), Err(expected), "{raw}");
        }
    }

    #[test]
    fn refuses_overlong_links_before_parsing() {
        let raw = format!("authdeck://callback?code={}", "a".repeat(MAX_LINK_BYTES));
        assert_eq!(check(&raw), Err(DeepLinkError::TooLong(raw.len())));
    }

    #[test]
    fn debug_output_and_keys_never_show_values() {
        let DeepLink::Callback(link) = check("authdeck://callback?code=SECRETCODE&<b>=x").unwrap();
        let printed = format!("{link:?}");
        assert!(!printed.contains("SECRETCODE"), "{printed}");
        assert_eq!(link.query_keys(), ["code", "?"]);
    }

    #[test]
    fn messages_shorten_untrusted_text() {
        let long_target = format!("authdeck://{}?x=1", "t".repeat(300));
        let message = check(&long_target).unwrap_err().to_string();
        assert!(message.len() < 140, "{message}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(raw in ".{0,300}") {
            let _ = check(&raw);
        }

        #[test]
        fn never_panics_on_callback_like_text(query in "[a-z=&?#%0-9]{0,80}") {
            if let Ok(DeepLink::Callback(link)) = check(&format!("authdeck://callback?{query}")) {
                proptest::prop_assert!(link.query_keys().len() <= MAX_KEYS_SHOWN);
            }
        }
    }
}
