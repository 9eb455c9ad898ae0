//! The post preview: markdown rendered to HTML in Rust, then sanitised (no scripts, no event
//! handlers, no styles, links that cannot run code), so the window can show it as it is.

use pulldown_cmark::{html, Options, Parser};

/// Renders `markdown` the way Hive front ends broadly do (CommonMark with tables,
/// strikethrough and task lists) and returns sanitised HTML.
pub fn preview(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
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
