//! The post preview: markdown rendered to HTML in Rust, then sanitised (no scripts, no event
//! handlers, no styles, links that cannot run code), so the window can show it as it is.
//!
//! Links keep only absolute `http` and `https` addresses: a relative (`/@a/p`) or
//! protocol-relative (`//host/x`) one would resolve against the app's own origin, so its
//! `href` is dropped and the text stays as plain text. Every link gets
//! `rel="noopener noreferrer nofollow"` and no `target`; the window opens links in the system
//! browser after a confirm, never in itself.

use pulldown_cmark::{html, Options, Parser};
use url::Url;

/// The `rel` of every link in the preview.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// Renders `markdown` the way Hive front ends broadly do (CommonMark with tables,
/// strikethrough and task lists) and returns sanitised HTML.
pub fn preview(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some(LINK_REL))
        .attribute_filter(|element, attribute, value| {
            if element == "a" && attribute == "href" && !is_web_address(value) {
                None
            } else {
                Some(value.into())
            }
        })
        .clean(&rendered)
        .to_string()
}

/// Whether a link's `href` is an absolute `http` or `https` address (nothing relative,
/// protocol-relative, `mailto:` or otherwise).
fn is_web_address(href: &str) -> bool {
    Url::parse(href).is_ok_and(|url| matches!(url.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let html = preview("# Title\n\nSome *emphasis* and a [link](https://peakd.com).\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains(r#"href="https://peakd.com""#), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    /// The one `<a …>` start tag in `html`.
    fn only_link(html: &str) -> &str {
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        let start = html.find("<a ").unwrap();
        let end = start + html[start..].find('>').unwrap();
        &html[start..=end]
    }

    #[test]
    fn https_links_are_kept_with_rel_and_without_target() {
        let html = preview(
            "[evil](https://evil.example/phish?x=1)\n\n<a href=\"http://peakd.com\" target=\"_blank\" rel=\"opener\">p</a>",
        );
        assert!(
            html.contains(r#"href="https://evil.example/phish?x=1""#),
            "{html}"
        );
        assert!(html.contains(r#"href="http://peakd.com""#), "{html}");
        assert_eq!(
            html.matches(r#"rel="noopener noreferrer nofollow""#)
                .count(),
            2,
            "{html}"
        );
        assert!(!html.contains("target"), "{html}");
        assert!(!html.contains(r#"rel="opener""#), "{html}");
    }

    #[test]
    fn relative_links_lose_their_address() {
        for markdown in [
            "[post](/@alice/a-post)",
            "[page](page.html)",
            "[top](#top)",
            "[q](?x=1)",
        ] {
            let html = preview(markdown);
            assert!(!only_link(&html).contains("href"), "{markdown}: {html}");
        }
    }

    #[test]
    fn protocol_relative_links_lose_their_address() {
        for markdown in [
            "[x](//evil.example/phish)",
            "<a href=\"//evil.example\">x</a>",
        ] {
            let html = preview(markdown);
            assert!(!html.contains("evil.example"), "{markdown}: {html}");
        }
    }

    #[test]
    fn links_that_are_not_web_addresses_lose_their_address() {
        for markdown in [
            "[x](javascript:alert(1))",
            "<a href=\" javascript:alert(1)\">x</a>",
            "[m](mailto:alice@example.com)",
            "[f](file:///etc/passwd)",
            "[t](tauri://localhost/index.html)",
        ] {
            let html = preview(markdown);
            assert!(!only_link(&html).contains("href"), "{markdown}: {html}");
        }
    }

    #[test]
    fn images_are_left_as_they_were() {
        let html = preview("![pic](/relative.png) ![pic](https://images.example/x.png)");
        assert!(html.contains(r#"src="/relative.png""#), "{html}");
        assert!(
            html.contains(r#"src="https://images.example/x.png""#),
            "{html}"
        );
    }

    #[test]
    fn removes_anything_that_could_run() {
        let html = preview(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n<a href=\"data:text/html,hi\">d</a>\n\n<iframe src=\"https://evil\"></iframe><style>body{}</style>",
        );
        for banned in [
            "<script",
            "onerror",
            "javascript:",
            "data:text",
            "<iframe",
            "<style",
        ] {
            assert!(!html.contains(banned), "{banned} in {html}");
        }
    }
}
