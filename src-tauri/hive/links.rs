//! Post links people paste (front-end URLs and `@author/permlink`), and the permlinks Authdeck
//! makes for new posts and replies.
//!
//! A link's `#@replier/permlink` fragment, with which the front ends point at a comment on the
//! page of its root post, makes that comment the link's target. Authors and permlinks are
//! percent-decoded before they are checked: `@alice/caf%C3%A9` is the permlink `café`.

use std::fmt;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::hive::account_name;
use crate::hive::validate::{check_permlink, MAX_PERMLINK_BYTES};
use crate::provider::Chain;

/// The front ends whose post links are understood, without `www.`.
pub const SITES: [&str; 4] = ["hive.blog", "peakd.com", "ecency.com", "steemit.com"];

/// The longest part a title gives a permlink, in bytes: readable links, and room for the
/// `re-author-...-timestamp` permlinks of its replies.
pub const MAX_TITLE_SLUG_BYTES: usize = 100;

/// What works, told with every refusal.
const HINT: &str =
    "paste a post link such as https://peakd.com/hive-123/@alice/my-post or @alice/my-post";

/// A post or comment on the chain: `@author/permlink`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostRef {
    /// The author's account name.
    pub author: String,
    /// The post's permlink.
    pub permlink: String,
}

impl fmt::Display for PostRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}/{}", self.author, self.permlink)
    }
}

/// Why a pasted text is not a post link; every message is a sentence of its own (the form shows
/// it at the link's field, without a label) and ends with an example that works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Nothing was pasted.
    #[error("Nothing was pasted: {hint}.", hint = HINT)]
    Empty,
    /// The text is not shaped like a post link.
    #[error("This is not a post link; {hint}.", hint = HINT)]
    NotAPostLink,
    /// A link to a site that is not a known front end.
    #[error(
        "The site {host} is not a front end Authdeck knows (hive.blog, peakd.com, ecency.com, \
         steemit.com); {hint}.",
        hint = HINT
    )]
    UnknownSite {
        /// The link's host, without `www.`.
        host: String,
    },
    /// A link to an account's profile rather than to one of its posts.
    #[error("This links to @{author}'s profile, not to a post; {hint}.", hint = HINT)]
    Profile {
        /// The account.
        author: String,
    },
    /// The author part is not a valid account name.
    #[error("The author in this link is not an account name ({reason}); {hint}.", hint = HINT)]
    Author {
        /// What is wrong with the name.
        reason: String,
    },
    /// The permlink part cannot be a permlink.
    #[error("The permlink in this link is not valid ({reason}); {hint}.", hint = HINT)]
    Permlink {
        /// What is wrong with the permlink.
        reason: String,
    },
}

/// What a pasted link points at: the target, and the root post when the target is a comment on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostLink {
    /// The post or comment the link points at.
    pub target: PostRef,
    /// The post on whose page the link shows the target, when the target is a comment named
    /// by the link's `#@replier/permlink` fragment.
    pub on_post: Option<PostRef>,
}

impl PostLink {
    /// The link's post, or the comment its fragment names on that post (the same post named
    /// again in the fragment is just the post).
    fn new(post: PostRef, comment: Option<PostRef>) -> Self {
        match comment {
            Some(comment) if comment != post => Self {
                target: comment,
                on_post: Some(post),
            },
            _ => Self {
                target: post,
                on_post: None,
            },
        }
    }

    /// What the link points at, for people: `Post @author/post` or
    /// `Comment by @replier on @author/post`.
    pub fn describe(&self) -> String {
        match &self.on_post {
            None => format!("Post {}", self.target),
            Some(post) => format!("Comment by @{} on {post}", self.target.author),
        }
    }
}

/// A parsed link as the window shows it: the target, and a sentence saying what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    /// The target's author.
    pub author: String,
    /// The target's permlink.
    pub permlink: String,
    /// What the link points at, from [`PostLink::describe`].
    pub description: String,
}

impl From<PostLink> for LinkView {
    fn from(link: PostLink) -> Self {
        let description = link.describe();
        let PostRef { author, permlink } = link.target;
        Self {
            author,
            permlink,
            description,
        }
    }
}

/// Reads a pasted post link and returns its target: see [`parse_link`].
pub fn parse_post_link(input: &str) -> Result<PostRef, LinkError> {
    parse_link(input).map(|link| link.target)
}

/// Reads a pasted post link: `https://<site>/<category>/@author/permlink` or
/// `https://<site>/@author/permlink` on one of [`SITES`] (with or without `www.`, `http`,
/// the scheme, a trailing slash, a query or a fragment), or a bare `@author/permlink`
/// (with or without a query or a fragment).
///
/// A fragment that starts with `@` and holds a `/` names a comment, `#@replier/permlink`,
/// which becomes the target, with the post of the path as [`PostLink::on_post`]; it must be
/// valid like the post. Other fragments (`#comments`, `#`, `#@alice`) are ignored.
///
/// The author and the permlink are percent-decoded (the `/` between them is not: `%2F` stays
/// in the permlink, and is refused). The author is decoded, then lowercased, then checked
/// as an account name, so `%41lice` is `alice`. The permlink must be 1 to 255 bytes of
/// UTF-8 without spaces, control characters, `/` or `@`.
pub fn parse_link(input: &str) -> Result<PostLink, LinkError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(LinkError::Empty);
    }
    let (path, fragment) = if input.starts_with('@') {
        bare_parts(input)
    } else {
        site_parts(input)?
    };
    let post = post_ref(&path)?;
    let comment = match fragment {
        Some(fragment) => comment_ref(&fragment)?,
        None => None,
    };
    Ok(PostLink::new(post, comment))
}

/// The path and the fragment of a bare `@author/permlink[?query][#fragment]`.
fn bare_parts(input: &str) -> (String, Option<String>) {
    let (before, fragment) = match input.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment.to_owned())),
        None => (input, None),
    };
    let path = before.split('?').next().unwrap_or_default();
    (path.to_owned(), fragment)
}

/// The path and the fragment of a link on a known site.
fn site_parts(input: &str) -> Result<(String, Option<String>), LinkError> {
    let url = if input.contains("://") {
        Url::parse(input)
    } else if input
        .split('/')
        .next()
        .is_some_and(|host| host.contains('.'))
    {
        Url::parse(&format!("https://{input}"))
    } else {
        return Err(LinkError::NotAPostLink);
    }
    .map_err(|_| LinkError::NotAPostLink)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LinkError::NotAPostLink);
    }
    let host = url.host_str().ok_or(LinkError::NotAPostLink)?;
    let site = host.strip_prefix("www.").unwrap_or(host);
    if !SITES.contains(&site) {
        return Err(LinkError::UnknownSite {
            host: site.chars().take(64).collect(),
        });
    }
    Ok((url.path().to_owned(), url.fragment().map(str::to_owned)))
}

/// `[/<category>]/@author/permlink[/]` as a post.
fn post_ref(path: &str) -> Result<PostRef, LinkError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [author, permlink] | [_, author, permlink] if author.starts_with('@') => {
            checked_ref(&author[1..], permlink)
        }
        [author] | [_, author] if author.starts_with('@') => Err(LinkError::Profile {
            author: percent_decode_str(&author[1..])
                .decode_utf8_lossy()
                .chars()
                .take(32)
                .collect(),
        }),
        _ => Err(LinkError::NotAPostLink),
    }
}

/// The comment a fragment names, `@replier/permlink[/]`, or `None` for a fragment that names
/// a place on the page instead (`comments`, `top`, empty, an `@account` alone).
fn comment_ref(fragment: &str) -> Result<Option<PostRef>, LinkError> {
    let Some((author, permlink)) = fragment
        .strip_prefix('@')
        .and_then(|rest| rest.split_once('/'))
    else {
        return Ok(None);
    };
    let permlink = permlink.strip_suffix('/').unwrap_or(permlink);
    checked_ref(author, permlink).map(Some)
}

/// An author and a permlink as written in a link, percent-decoded and checked; the author is
/// lowercased after decoding.
fn checked_ref(author: &str, permlink: &str) -> Result<PostRef, LinkError> {
    Ok(PostRef {
        author: decoded(author, str::to_lowercase, account_name::check)
            .map_err(|reason| LinkError::Author { reason })?,
        permlink: decoded(permlink, str::to_owned, link_permlink)
            .map_err(|reason| LinkError::Permlink { reason })?,
    })
}

/// `raw` percent-decoded as UTF-8, made canonical by `tidy` and passed through `check`; a
/// refusal says when it comes from %-escapes.
fn decoded(
    raw: &str,
    tidy: fn(&str) -> String,
    check: fn(&str) -> Result<(), String>,
) -> Result<String, String> {
    let escaped = raw.contains('%');
    let text = percent_decode_str(raw).decode_utf8().map_err(|_| {
        format!(
            "its %-escapes do not decode to UTF-8 text ('{}')",
            raw.chars().take(40).collect::<String>()
        )
    })?;
    let text = tidy(&text);
    match check(&text) {
        Ok(()) => Ok(text),
        Err(reason) if escaped => Err(format!("{reason}, once its %-escapes are decoded")),
        Err(reason) => Err(reason),
    }
}

/// An existing post's permlink as it appears in a link: 1 to 255 bytes, no spaces, control
/// characters, `/` or `@`.
fn link_permlink(permlink: &str) -> Result<(), String> {
    check_permlink(permlink)?;
    match permlink
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '@'))
    {
        None => Ok(()),
        Some(bad) if bad.is_whitespace() => Err("a permlink has no spaces".into()),
        Some(bad) => Err(format!("a permlink has no '{}'", bad.escape_default())),
    }
}

/// The page of `post` on the chain's best-known front end: `https://hive.blog/@a/p` on Hive,
/// `https://steemit.com/@a/p` on Steem (the permlink percent-encoded where it needs it).
pub fn front_end_url(chain: Chain, post: &PostRef) -> String {
    let site = match chain {
        Chain::Hive => "hive.blog",
        Chain::Steem => "steemit.com",
    };
    let mut url = Url::parse(&format!("https://{site}/")).expect("a fixed site is a URL");
    url.path_segments_mut()
        .expect("an https URL has a path")
        .push(&format!("@{}", post.author))
        .push(&post.permlink);
    url.to_string()
}

/// `link` when it is a post's page on one of [`SITES`] over https (so the system browser may
/// open it), or why not.
pub fn checked_front_end_url(link: &str) -> Result<Url, LinkError> {
    let url = Url::parse(link.trim()).map_err(|_| LinkError::NotAPostLink)?;
    if url.scheme() != "https" {
        return Err(LinkError::NotAPostLink);
    }
    parse_link(url.as_str())?;
    Ok(url)
}

/// A new post's permlink from its title: lowercase, common accents folded to ASCII, every
/// other run of characters outside `a-z 0-9` turned into one `-`, at most
/// [`MAX_TITLE_SLUG_BYTES`], then `-` and `now_unix` in base 36 so that posts with the same
/// title differ (`My first post` at 2026-01-01 gives `my-first-post-t85s00`). A title with
/// nothing usable gives `post-<time>`.
pub fn permlink_from_title(title: &str, now_unix: i64) -> String {
    let mut slug = slug(title);
    cut_to(&mut slug, MAX_TITLE_SLUG_BYTES);
    let slug = slug.trim_end_matches('-');
    let stem = if slug.is_empty() { "post" } else { slug };
    format!("{stem}-{}", base36(now_unix.max(0).unsigned_abs()))
}

/// A reply's permlink by the front ends' convention:
/// `re-<parent_author>-<parent_permlink>-<UTC time like 20260101t000000000z>`, lowercased and
/// kept to `a-z 0-9 -`, with earlier reply timestamps dropped from the parent permlink (so
/// replies to replies do not grow) and the middle cut so the whole fits in 255 bytes.
/// Times outside years 1970 to 9999 are clamped.
pub fn reply_permlink(parent_author: &str, parent_permlink: &str, now_unix: i64) -> String {
    let parent = permlink_chars(parent_permlink);
    let mut head = format!(
        "re-{}-{}",
        permlink_chars(parent_author),
        REPLY_STAMP.replace_all(&parent, "")
    );
    let tail = format!("-{}", utc_stamp(now_unix));
    cut_to(&mut head, MAX_PERMLINK_BYTES - tail.len());
    head + &tail
}

/// A reply timestamp as front ends append it, with its leading `-`.
static REPLY_STAMP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-[0-9]{8}t[0-9]{9}z").expect("the pattern is valid"));

/// `text` lowercased with everything outside `a-z 0-9 -` removed.
fn permlink_chars(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .collect()
}

/// Cuts `text` to at most `max` bytes, on a character boundary.
fn cut_to(text: &mut String, max: usize) {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

/// `title` lowercased and folded to `a-z 0-9`, runs of anything else as one `-`, trimmed.
fn slug(title: &str) -> String {
    let mut slug = String::new();
    let mut gap = false;
    for c in title.chars().flat_map(char::to_lowercase) {
        match ascii_of(c) {
            Ascii::Keep(text) => {
                if gap && !slug.is_empty() {
                    slug.push('-');
                }
                gap = false;
                slug.push_str(text);
            }
            Ascii::Drop => {}
            Ascii::Gap => gap = true,
        }
    }
    slug
}

/// What a lowercase character becomes in a slug.
enum Ascii {
    /// These ASCII letters or digits.
    Keep(&'static str),
    /// Nothing, without separating words (apostrophes, combining accents).
    Drop,
    /// A word separator.
    Gap,
}

/// The characters a slug keeps as they are, which are also the base-36 digits.
const BASE36_DIGITS: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

fn ascii_of(c: char) -> Ascii {
    if let Some(index) = BASE36_DIGITS.find(c) {
        return Ascii::Keep(&BASE36_DIGITS[index..index + 1]);
    }
    match c {
        '\'' | '’' | '\u{0300}'..='\u{036f}' => Ascii::Drop,
        _ => fold(c).map_or(Ascii::Gap, Ascii::Keep),
    }
}

/// Common accented lowercase letters of Latin scripts, as ASCII.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// `n` in base 36 with lowercase letters.
fn base36(mut n: u64) -> String {
    let digits = BASE36_DIGITS.as_bytes();
    let mut out = Vec::new();
    loop {
        out.push(digits[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    out.into_iter().map(char::from).collect()
}

/// The last second of 9999-12-31 UTC.
const LAST_STAMP_SECOND: i64 = 253_402_300_799;

/// `now_unix` as `yyyymmddthhmmss000z` in UTC, clamped to years 1970 to 9999.
fn utc_stamp(now_unix: i64) -> String {
    let seconds = now_unix.clamp(0, LAST_STAMP_SECOND);
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y%m%dt%H%M%S000z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_end_urls_open_only_post_pages_of_known_sites() {
        let post = PostRef {
            author: "alice".into(),
            permlink: "café-1".into(),
        };
        let hive = front_end_url(Chain::Hive, &post);
        assert_eq!(hive, "https://hive.blog/@alice/caf%C3%A9-1");
        assert_eq!(parse_post_link(&hive).unwrap(), post, "it reads back");
        assert!(front_end_url(Chain::Steem, &post).starts_with("https://steemit.com/@alice/"));
        assert!(checked_front_end_url(&hive).is_ok());
        for refused in [
            "http://hive.blog/@alice/p",
            "https://evil.example/@alice/p",
            "https://hive.blog/@alice",
            "javascript:alert(1)",
        ] {
            assert!(checked_front_end_url(refused).is_err(), "{refused}");
        }
    }
    use crate::hive::validate::check_new_permlink;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    use proptest::prelude::*;

    fn post(author: &str, permlink: &str) -> PostRef {
        PostRef {
            author: author.into(),
            permlink: permlink.into(),
        }
    }

    #[test]
    fn reads_links_from_every_front_end() {
        let links = [
            "https://hive.blog/hive-123456/@alice/my-first-post",
            "https://peakd.com/hive-123456/@alice/my-first-post",
            "https://ecency.com/hive-123456/@alice/my-first-post",
            "https://steemit.com/steem/@alice/my-first-post",
            "https://www.peakd.com/hive-123456/@alice/my-first-post",
            "http://hive.blog/rust/@alice/my-first-post",
            "https://peakd.com/@alice/my-first-post",
            "https://peakd.com/hive-123456/@alice/my-first-post/",
            "https://ecency.com/hive-123456/@alice/my-first-post?referral=bob",
            "https://PEAKD.com/hive-123456/@alice/my-first-post?a=1#top",
            "peakd.com/hive-123456/@alice/my-first-post",
            "  @alice/my-first-post\n",
            "@alice/my-first-post/",
            "@alice/my-first-post?x=1",
            "@Alice/my-first-post",
        ];
        for link in links {
            assert_eq!(
                parse_post_link(link),
                Ok(post("alice", "my-first-post")),
                "{link}"
            );
        }
    }

    #[test]
    fn reads_real_looking_permlinks() {
        let cases = [
            (
                "https://peakd.com/hive-167922/@hive.blog/re-bob-bobs-post-20260101t000000000z",
                post("hive.blog", "re-bob-bobs-post-20260101t000000000z"),
            ),
            (
                "https://steemit.com/steemit/@steemitblog/steemit-update-1",
                post("steemitblog", "steemit-update-1"),
            ),
            (
                "https://hive.blog/@bob-1/Legacy_Permlink",
                post("bob-1", "Legacy_Permlink"),
            ),
        ];
        for (link, expected) in cases {
            assert_eq!(parse_post_link(link), Ok(expected), "{link}");
        }
    }

    #[test]
    fn refuses_everything_else_with_an_example() {
        let cases = [
            ("", LinkError::Empty),
            ("   ", LinkError::Empty),
            ("alice/my-post", LinkError::NotAPostLink),
            ("my-post", LinkError::NotAPostLink),
            ("https://peakd.com/", LinkError::NotAPostLink),
            (
                "https://peakd.com/trending/hive-123",
                LinkError::NotAPostLink,
            ),
            ("https://peakd.com/a/b/@alice/post", LinkError::NotAPostLink),
            (
                "https://peakd.com/@alice/post/extra",
                LinkError::NotAPostLink,
            ),
            ("ftp://peakd.com/@alice/post", LinkError::NotAPostLink),
            ("https://", LinkError::NotAPostLink),
            ("https://example.com/@alice/post", unknown("example.com")),
            (
                "https://peakd.com.evil.io/@alice/post",
                unknown("peakd.com.evil.io"),
            ),
            ("https://peakd.com/@alice", profile("alice")),
            ("https://peakd.com/hive-1/@alice", profile("alice")),
            ("@alice", profile("alice")),
        ];
        for (input, expected) in cases {
            let err = parse_post_link(input).unwrap_err();
            assert_eq!(err, expected, "{input}");
            assert!(err.to_string().contains(HINT), "{input}: {err}");
        }
    }

    fn unknown(host: &str) -> LinkError {
        LinkError::UnknownSite { host: host.into() }
    }

    fn profile(author: &str) -> LinkError {
        LinkError::Profile {
            author: author.into(),
        }
    }

    #[test]
    fn refuses_bad_authors_and_permlinks() {
        for input in ["@al/post", "https://peakd.com/@1alice/post", "@ali ce/post"] {
            let err = parse_post_link(input).unwrap_err();
            assert!(matches!(err, LinkError::Author { .. }), "{input}: {err}");
        }
        let long = format!("@alice/{}", "a".repeat(256));
        for input in [long.as_str(), "@alice/my post", "@alice/@bob"] {
            let err = parse_post_link(input).unwrap_err();
            assert!(matches!(err, LinkError::Permlink { .. }), "{input}: {err}");
        }
    }

    /// `link`'s target and root post, checked through both entry points.
    fn assert_link(link: &str, target: PostRef, on_post: Option<PostRef>, description: &str) {
        let parsed = parse_link(link).unwrap_or_else(|err| panic!("{link}: {err}"));
        assert_eq!(parsed.target, target, "{link}");
        assert_eq!(parsed.on_post, on_post, "{link}");
        assert_eq!(parsed.describe(), description, "{link}");
        assert_eq!(parse_post_link(link), Ok(target), "{link}");
    }

    /// `input`'s refusal, which must tell the example that works.
    fn refusal(input: &str) -> LinkError {
        let err = parse_post_link(input).unwrap_err();
        assert!(err.to_string().contains(HINT), "{input}: {err}");
        err
    }

    const REPLY: &str = "re-author-post-20261201t101010123z";

    #[test]
    fn comment_fragments_target_the_comment() {
        let links = [
            format!("https://hive.blog/hive-1/@author/post#@replier/{REPLY}"),
            format!("https://peakd.com/hive-1/@author/post#@replier/{REPLY}"),
            format!("https://ecency.com/hive-1/@author/post#@replier/{REPLY}"),
            format!("https://steemit.com/steem/@author/post#@replier/{REPLY}"),
            format!("https://www.peakd.com/@author/post/?ref=x#@Replier/{REPLY}/"),
            format!("@author/post#@replier/{REPLY}"),
            format!("@Author/post?x=1#@replier/{REPLY}"),
        ];
        for link in &links {
            assert_link(
                link,
                post("replier", REPLY),
                Some(post("author", "post")),
                "Comment by @replier on @author/post",
            );
        }
    }

    #[test]
    fn other_fragments_are_ignored() {
        let links = [
            "https://hive.blog/hive-1/@author/post#comments",
            "https://peakd.com/hive-1/@author/post#",
            "https://ecency.com/@author/post#top",
            "https://steemit.com/steem/@author/post#@replier",
            "@author/post#comments",
            "@author/post#",
            "@author/post#%40replier/re-x",
            "https://hive.blog/hive-1/@author/post#@author/post",
        ];
        for link in links {
            assert_link(link, post("author", "post"), None, "Post @author/post");
        }
    }

    #[test]
    fn refuses_bad_comment_fragments() {
        for input in [
            "https://hive.blog/hive-1/@author/post#@re/x",
            "https://peakd.com/@author/post#@1replier/x",
            "@author/post#@rep lier/x",
            "@author/post#@/x",
        ] {
            assert!(
                matches!(refusal(input), LinkError::Author { .. }),
                "{input}"
            );
        }
        for input in [
            "https://hive.blog/hive-1/@author/post#@replier/",
            "https://hive.blog/hive-1/@author/post#@replier/a/b",
            "https://ecency.com/@author/post#@replier/my%20reply",
            "@author/post#@replier/caf%FF",
            "@author/post#@replier/@x",
        ] {
            assert!(
                matches!(refusal(input), LinkError::Permlink { .. }),
                "{input}"
            );
        }
        assert!(matches!(
            refusal("@al/post#@replier/x"),
            LinkError::Author { .. }
        ));
    }

    #[test]
    fn permlinks_are_percent_decoded() {
        let cases = [
            ("https://peakd.com/@alice/caf%C3%A9", post("alice", "café")),
            (
                "https://peakd.com/hive-1/@alice/café",
                post("alice", "café"),
            ),
            ("@alice/caf%C3%A9", post("alice", "café")),
            ("@alice/caf%c3%a9/", post("alice", "café")),
            ("@alice/100%25-sure", post("alice", "100%-sure")),
            ("@alice/100%-sure", post("alice", "100%-sure")),
            ("@alice/%2541", post("alice", "%41")),
        ];
        for (link, expected) in cases {
            assert_eq!(parse_post_link(link), Ok(expected), "{link}");
        }
        assert_link(
            "https://hive.blog/hive-1/@alice/caf%C3%A9#@bob/re-caf%C3%A9",
            post("bob", "re-café"),
            Some(post("alice", "café")),
            "Comment by @bob on @alice/café",
        );
    }

    #[test]
    fn refuses_permlinks_that_decode_badly() {
        let cases = [
            ("my%20post", "no spaces"),
            ("my%2Fpost", "no '/'"),
            ("my%40post", "no '@'"),
            ("my%00post", "no '\\u{0}'"),
            ("my%0Apost", "no spaces"),
            ("caf%FF", "UTF-8"),
            ("caf%C3", "UTF-8"),
        ];
        for (permlink, reason) in cases {
            for input in [
                format!("https://peakd.com/hive-1/@alice/{permlink}"),
                format!("@alice/{permlink}"),
                format!("@alice/post#@bob/{permlink}"),
            ] {
                let err = refusal(&input);
                assert!(matches!(err, LinkError::Permlink { .. }), "{input}: {err}");
                assert!(err.to_string().contains(reason), "{input}: {err}");
            }
        }
        let err = refusal("https://peakd.com/@alice/post#@bob/");
        assert!(err.to_string().contains("not empty"), "{err}");
    }

    #[test]
    fn authors_are_decoded_then_lowercased_then_checked() {
        for link in [
            "@%41lice/post",
            "https://hive.blog/@%41LICE/post",
            "@bob/x#@%61lice/post",
        ] {
            assert_eq!(
                parse_post_link(link).map(|target| target.author),
                Ok("alice".into()),
                "{link}"
            );
        }
        for input in ["@al%20ice/post", "@%FFlice/post", "@ali%2Ece./post"] {
            let err = refusal(input);
            assert!(matches!(err, LinkError::Author { .. }), "{input}: {err}");
        }
        assert_eq!(refusal("@%41lice"), profile("Alice"));
    }

    #[test]
    fn link_views_for_the_window() {
        let view =
            |link: &str| serde_json::to_value(LinkView::from(parse_link(link).unwrap())).unwrap();
        assert_eq!(
            view("@author/post"),
            serde_json::json!({
                "author": "author",
                "permlink": "post",
                "description": "Post @author/post",
            })
        );
        assert_eq!(
            view("https://peakd.com/@author/post#@replier/re-x"),
            serde_json::json!({
                "author": "replier",
                "permlink": "re-x",
                "description": "Comment by @replier on @author/post",
            })
        );
    }

    #[test]
    fn messages_say_what_works() {
        assert_eq!(
            LinkError::NotAPostLink.to_string(),
            "This is not a post link; paste a post link such as \
             https://peakd.com/hive-123/@alice/my-post or @alice/my-post."
        );
        assert_eq!(
            LinkError::Empty.to_string(),
            "Nothing was pasted: paste a post link such as \
             https://peakd.com/hive-123/@alice/my-post or @alice/my-post."
        );
        assert_eq!(post("alice", "x").to_string(), "@alice/x");
    }

    #[test]
    fn permlinks_from_titles() {
        let now = 1_767_225_600; // 2026-01-01T00:00:00Z, "t85s00" in base 36
        let cases = [
            ("My first post", "my-first-post-t85s00"),
            ("  Hello, World!!  ", "hello-world-t85s00"),
            ("Crème brûlée à Paris", "creme-brulee-a-paris-t85s00"),
            ("Straße & Œuvre", "strasse-oeuvre-t85s00"),
            ("Alice’s post isn't late", "alices-post-isnt-late-t85s00"),
            ("İstanbul", "istanbul-t85s00"),
            ("Rust 2026 -- part 2", "rust-2026-part-2-t85s00"),
            ("", "post-t85s00"),
            ("日本語 🎉", "post-t85s00"),
        ];
        for (title, permlink) in cases {
            assert_eq!(permlink_from_title(title, now), permlink, "{title}");
        }
    }

    #[test]
    fn long_titles_are_cut_and_times_stay_unique() {
        let permlink = permlink_from_title(&"word ".repeat(100), 0);
        assert!(permlink.len() <= MAX_TITLE_SLUG_BYTES + 2, "{permlink}");
        assert!(permlink.ends_with("d-0"), "{permlink}");
        assert_ne!(permlink_from_title("x", 1), permlink_from_title("x", 2));
        assert_eq!(permlink_from_title("x", -5), "x-0");
        assert_eq!(permlink_from_title("x", 35), "x-z");
        assert_eq!(permlink_from_title("x", 36), "x-10");
        assert_eq!(permlink_from_title("x", i64::MAX), "x-1y2p0ij32e8e7");
    }

    #[test]
    fn reply_permlinks_follow_the_convention() {
        let now = 1_767_225_600;
        let cases = [
            ("bob", "bobs-post", "re-bob-bobs-post-20260101t000000000z"),
            (
                "hive.blog",
                "re-alice-my-post-20251231t235959000z",
                "re-hiveblog-re-alice-my-post-20260101t000000000z",
            ),
            (
                "bob",
                "Legacy_Post",
                "re-bob-legacypost-20260101t000000000z",
            ),
        ];
        for (author, parent, expected) in cases {
            assert_eq!(reply_permlink(author, parent, now), expected);
        }
    }

    #[test]
    fn long_reply_permlinks_keep_their_time() {
        let permlink = reply_permlink("bob", &"p".repeat(300), 1_767_225_600);
        assert_eq!(permlink.len(), MAX_PERMLINK_BYTES);
        assert!(permlink.starts_with("re-bob-ppp"));
        assert!(permlink.ends_with("p-20260101t000000000z"));
    }

    #[test]
    fn utc_stamps_are_computed_by_hand() {
        let cases = [
            (0, "19700101t000000000z"),
            (-1, "19700101t000000000z"),
            (951_782_400, "20000229t000000000z"),
            (1_709_251_199, "20240229t235959000z"),
            (1_767_225_600, "20260101t000000000z"),
            (4_102_444_800, "21000101t000000000z"),
            (i64::MAX, "99991231t235959000z"),
        ];
        for (seconds, stamp) in cases {
            assert_eq!(utc_stamp(seconds), stamp, "{seconds}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(input in ".*") {
            let _ = parse_post_link(&input);
        }

        #[test]
        fn parsing_link_like_text_never_panics(
            input in "(https?://)?(www\\.)?(peakd\\.com|hive\\.blog|x)?/?[a-zA-Z0-9@/?#.%é -]{0,60}\
                      (#@?[a-zA-Z0-9@/.%é -]{0,30})?"
        ) {
            let _ = parse_link(&input);
        }

        #[test]
        fn valid_links_round_trip(
            author in "[a-z][a-z0-9-]{1,13}[a-z0-9]",
            permlink in "[a-z0-9-]{1,80}",
            site in prop::sample::select(SITES.to_vec()),
        ) {
            let expected = post(&author, &permlink);
            let link = format!("https://{site}/hive-1/@{author}/{permlink}");
            prop_assert_eq!(parse_post_link(&link), Ok(expected.clone()));
            prop_assert_eq!(parse_post_link(&expected.to_string()), Ok(expected));
        }

        #[test]
        fn comment_links_round_trip(
            author in "[a-z][a-z0-9-]{1,13}[a-z0-9]",
            permlink in "[a-z0-9-]{1,80}",
            replier in "[a-z][a-z0-9-]{1,13}[a-z0-9]",
            reply in "[a-z0-9-]{1,80}",
            site in prop::sample::select(SITES.to_vec()),
        ) {
            let root = post(&author, &permlink);
            let comment = post(&replier, &reply);
            let expected = PostLink::new(root.clone(), Some(comment.clone()));
            for link in [
                format!("https://{site}/hive-1/{root}#{comment}"),
                format!("{root}#{comment}"),
            ] {
                prop_assert_eq!(parse_link(&link), Ok(expected.clone()));
            }
        }

        #[test]
        fn encoded_permlinks_decode_to_themselves(
            permlink in "[a-zA-Z0-9éß日🎉%#?._~+-]{1,60}",
            site in prop::sample::select(SITES.to_vec()),
        ) {
            // URLs resolve `.` and `..` (also as `%2E`) away, so no link can name them.
            prop_assume!(permlink != "." && permlink != "..");
            let encoded = utf8_percent_encode(&permlink, NON_ALPHANUMERIC).to_string();
            let expected = post("alice", &permlink);
            prop_assert_eq!(
                parse_post_link(&format!("https://{site}/@alice/{encoded}")),
                Ok(expected.clone())
            );
            prop_assert_eq!(
                parse_post_link(&format!("@bob/x#@alice/{encoded}")),
                Ok(expected)
            );
        }

        #[test]
        fn title_permlinks_pass_the_new_comment_rule(title in ".*", now in any::<i64>()) {
            let permlink = permlink_from_title(&title, now);
            prop_assert_eq!(check_new_permlink(&permlink), Ok(()), "{}", permlink);
        }

        #[test]
        fn reply_permlinks_pass_the_new_comment_rule(
            author in ".{0,40}",
            parent in ".{0,400}",
            now in any::<i64>(),
        ) {
            let permlink = reply_permlink(&author, &parent, now);
            prop_assert_eq!(check_new_permlink(&permlink), Ok(()), "{}", permlink);
        }
    }
}
