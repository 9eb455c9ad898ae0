//! Which pages the window may load: the app's own pages (served by Tauri's `tauri` protocol,
//! under each of the addresses the webview engines use for it, and by the dev server when the
//! configuration names one) and `about:blank`. The navigation guard in `lib.rs` refuses
//! everything else, so neither a link nor a script can take the window to a remote page.
//! Also which addresses a link in the window may hand to the system browser instead
//! ([`external_link`]).

use url::Url;

/// Where the app's own pages come from: `tauri://localhost` (Linux, macOS) and the
/// `http(s)://tauri.localhost` forms of it (Windows, Android), as `(scheme, host)`.
const APP_ORIGINS: &[(&str, &str)] = &[
    ("tauri", "localhost"),
    ("http", "tauri.localhost"),
    ("https", "tauri.localhost"),
];

/// Whether the window may load `url`: one of the app's own pages, the dev server's
/// (`dev_server`, the configuration's `devUrl` in development builds; `None` otherwise), or
/// `about:blank`. Origins are compared as scheme, host and port, so look-alikes such as
/// `http://tauri.localhost.evil.example` or `http://tauri.localhost@evil.example` are refused.
pub fn is_app_page(url: &Url, dev_server: Option<&Url>) -> bool {
    if url.scheme() == "about" {
        return url.path() == "blank";
    }
    // `Url` drops a scheme's default port (`http://tauri.localhost:80`), so any port left
    // is another server.
    let own = APP_ORIGINS.iter().any(|&(scheme, host)| {
        url.scheme() == scheme && url.host_str() == Some(host) && url.port().is_none()
    });
    own || dev_server.is_some_and(|dev| same_origin(url, dev))
}

/// Where `url` points, for the log: its scheme and host, never its path, query or fragment
/// (they may carry anything: tokens, personal data).
pub fn origin_for_log(url: &Url) -> String {
    match url.host_str() {
        Some(host) => format!("{}://{host}", url.scheme()),
        None => format!("{}:", url.scheme()),
    }
}

/// `raw` as an address for the system browser, if it is an absolute `http` or `https` URL;
/// otherwise why not.
pub fn external_link(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|err| format!("not an absolute address ({err})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "only http and https addresses open in the browser, not {other}:"
        )),
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_apps_own_pages_load() {
        for page in [
            "tauri://localhost",
            "tauri://localhost/index.html",
            "tauri://localhost/index.html#post",
            "http://tauri.localhost/",
            "https://tauri.localhost/index.html",
            "http://tauri.localhost:80/",
            "about:blank",
        ] {
            assert!(is_app_page(&url(page), None), "{page} is refused");
        }
    }

    #[test]
    fn remote_pages_and_look_alikes_are_refused() {
        for page in [
            "https://evil.example/",
            "https://evil.example/phish?token=secret",
            "http://tauri.localhost.evil.example/",
            "http://tauri.localhost@evil.example/",
            "https://tauri.localhost:8443/",
            "tauri://localhost.evil.example/",
            "tauri://localhost:1234/",
            "tauri://evil.example/",
            "http://localhost/",
            "file:///etc/passwd",
            "data:text/html,hi",
            "javascript:alert(1)",
            "about:srcdoc",
            "about:config",
        ] {
            assert!(!is_app_page(&url(page), None), "{page} is allowed");
        }
    }

    #[test]
    fn the_dev_server_loads_only_when_configured() {
        let dev = url("http://localhost:1420/");
        assert!(is_app_page(
            &url("http://localhost:1420/index.html"),
            Some(&dev)
        ));
        assert!(!is_app_page(&url("http://localhost:1420/"), None));
        assert!(!is_app_page(&url("http://localhost:1421/"), Some(&dev)));
        assert!(!is_app_page(&url("https://localhost:1420/"), Some(&dev)));
        assert!(!is_app_page(&url("https://evil.example/"), Some(&dev)));
    }

    #[test]
    fn only_absolute_web_addresses_go_to_the_browser() {
        let kept = external_link("https://evil.example/phish?x=1").unwrap();
        assert_eq!(kept.as_str(), "https://evil.example/phish?x=1");
        assert!(external_link("http://peakd.com/@a/p").is_ok());
        for refused in [
            "/@a/p",
            "//evil.example/x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "mailto:a@example.com",
            "tauri://localhost/",
            "",
        ] {
            assert!(external_link(refused).is_err(), "{refused} is accepted");
        }
    }

    #[test]
    fn the_log_sees_only_scheme_and_host() {
        assert_eq!(
            origin_for_log(&url("https://evil.example:8443/phish?token=secret#frag")),
            "https://evil.example"
        );
        assert_eq!(origin_for_log(&url("data:text/html,secret")), "data:");
    }
}
