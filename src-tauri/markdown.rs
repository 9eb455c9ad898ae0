//! The post preview: markdown rendered to HTML in Rust, then sanitised (no scripts, no event
//! handlers, no styles, links that cannot run code), so the window can show it as it is.
//!
//! Links keep only absolute `http` and `https` addresses: a relative (`/@a/p`) or
//! protocol-relative (`//host/x`) one would resolve against the app's own origin, so its
//! `href` is dropped and the text stays as plain text. Every link gets
//! `rel="noopener noreferrer nofollow"` and no `target`; the window opens links in the system
//! browser after a confirm, never in itself.
//!
//! Images never load from the page: every `<img>` leaves here without its remote `src` (its
//! `alt` text stands in), and the preview starts with a note and a "Show images" button
//! (`data-show-images`). Pressed, the page asks for [`crate::images::preview_with_images`],
//! which fetches the images in Rust from the allowed hosts and renders the same markdown
//! again through [`preview_showing`], with each fetched image as a `data:` URL and a list of
//! those that were not shown, and why.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pulldown_cmark::{html, Options, Parser};
use url::Url;

/// The `rel` of every link in the preview.
const LINK_REL: &str = "noopener noreferrer nofollow";

/// The attribute of the "Show images" button the preview's note carries.
pub const SHOW_IMAGES_ATTRIBUTE: &str = "data-show-images";

/// Renders `markdown` the way Hive front ends broadly do (CommonMark with tables,
/// strikethrough and task lists) and returns sanitised HTML, its images without their
/// addresses and, when it has any, a note with the "Show images" button first.
pub fn preview(markdown: &str) -> String {
    let found = Arc::new(Mutex::new(Vec::new()));
    let recorder = found.clone();
    let body = sanitise(markdown, move |address| {
        recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(address.to_owned());
        None
    });
    let count = distinct(&found.lock().unwrap_or_else(|p| p.into_inner())).len();
    if count == 0 {
        return body;
    }
    let images = if count == 1 {
        "1 image".to_owned()
    } else {
        format!("{count} images")
    };
    format!(
        "<p class=\"preview-images-note\">This preview leaves out {images}: Authdeck loads images only when you ask, and only from the image hosts Hive and Steem front ends use. <button type=\"button\" {SHOW_IMAGES_ATTRIBUTE}>Show images</button></p>\n{body}"
    )
}

/// The web addresses of the images in `markdown` that would survive sanitising, in order of
/// appearance and each once (a protocol-relative `//host/x` read as `https://host/x`).
pub fn image_addresses(markdown: &str) -> Vec<String> {
    let found = Arc::new(Mutex::new(Vec::new()));
    let recorder = found.clone();
    sanitise(markdown, move |address| {
        recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(address.to_owned());
        None
    });
    let found = found.lock().unwrap_or_else(|p| p.into_inner());
    distinct(&found)
}

/// An image of the preview that was not shown: its address (as text, never as a `src`) and
/// why, in words that complete "Not shown: ADDRESS: ...".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotShown {
    /// The image's address.
    pub address: String,
    /// Why it was not shown.
    pub reason: String,
}

/// [`preview`] with images: each image whose address is a key of `data_urls` gets that
/// `data:` URL as its `src` (nothing else ever becomes a `src`), the others stay without one;
/// `not_shown` is listed first, with reasons.
pub fn preview_showing(
    markdown: &str,
    data_urls: HashMap<String, Arc<str>>,
    not_shown: &[NotShown],
) -> String {
    let data_urls = Arc::new(data_urls);
    let body = sanitise(markdown, move |address| {
        data_urls.get(address).map(|data| data.to_string())
    });
    if not_shown.is_empty() {
        return body;
    }
    let items: String = not_shown
        .iter()
        .map(|image| {
            format!(
                "<li><span class=\"preview-image-address\">{}</span>: {}</li>",
                escape_text(&image.address),
                escape_text(&image.reason)
            )
        })
        .collect();
    let count = not_shown.len();
    format!(
        "<div class=\"preview-images-note\"><p>{count} image{} not shown:</p><ul>{items}</ul></div>\n{body}",
        if count == 1 { "" } else { "s" }
    )
}

/// `text` safe as HTML text and inside a quoted attribute.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// `addresses` without repeats, in order.
fn distinct(addresses: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    addresses
        .iter()
        .filter(|address| seen.insert(address.as_str()))
        .cloned()
        .collect()
}

/// Renders and sanitises `markdown`; every image's web address goes through `image_src`,
/// whose answer becomes its `src` (`None`: no `src`).
fn sanitise(
    markdown: &str,
    image_src: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some(LINK_REL))
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                ("a", "href") if !is_web_address(value) => None,
                ("img", "src") => image_address(value)
                    .and_then(|address| image_src(&address))
                    .map(Into::into),
                _ => Some(value.into()),
            },
        )
        .clean(&rendered)
        .to_string()
}

/// An image `src` as a web address: absolute `http`/`https` as it is, protocol-relative
/// (`//host/x`, which front ends load over https) with `https:`; anything else is `None`.
fn image_address(src: &str) -> Option<String> {
    let src = src.trim();
    let absolute = match src.strip_prefix("//") {
        Some(rest) => format!("https://{rest}"),
        None => src.to_owned(),
    };
    is_web_address(&absolute).then_some(absolute)
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
    fn images_lose_their_address_and_the_preview_offers_to_show_them() {
        let markdown = "![pic](/relative.png) ![pic](https://images.example/x.png)\n\n<img src=\"//images.example/y.png\" alt=\"y\"> <img src=\"https://images.example/x.png\"> <img src=\"data:image/png;base64,AAAA\">";
        let html = preview(markdown);
        assert!(!html.contains("src="), "{html}");
        assert!(html.contains(r#"alt="pic""#), "{html}");
        assert!(html.contains("leaves out 2 images"), "{html}");
        assert!(
            html.contains(r#"<button type="button" data-show-images>Show images</button>"#),
            "{html}"
        );
        assert_eq!(
            image_addresses(markdown),
            [
                "https://images.example/x.png",
                "https://images.example/y.png"
            ]
        );
        assert!(!preview("no pictures").contains("data-show-images"));
    }

    #[test]
    fn only_the_given_data_urls_become_a_src() {
        let markdown = "![a](https://images.example/a.png) ![b](https://other.example/b.png) <img src=\"data:image/png;base64,BBBB\">";
        let data = HashMap::from([(
            "https://images.example/a.png".to_owned(),
            Arc::<str>::from("data:image/png;base64,AAAA"),
        )]);
        let html = preview_showing(
            markdown,
            data,
            &[NotShown {
                address: "https://other.example/b.png".into(),
                reason: "other.example is not <allowed>".into(),
            }],
        );
        assert_eq!(html.matches("src=").count(), 1, "{html}");
        assert!(
            html.contains(r#"src="data:image/png;base64,AAAA""#),
            "{html}"
        );
        assert!(!html.contains("BBBB"), "{html}");
        assert!(html.contains("1 image not shown"), "{html}");
        assert!(html.contains("not &lt;allowed&gt;"), "{html}");
        assert!(!html.contains(r#"src="https"#), "{html}");
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
