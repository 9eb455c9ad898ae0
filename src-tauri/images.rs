//! Images for the post preview: fetched in Rust, only from the image hosts Hive and Steem
//! front ends use, and handed to the page as `data:` URLs.
//!
//! Why this way: the window's content security policy stays as strict as it is (`img-src
//! 'self' data:`, which already allows `data:`; nothing was added), so the page itself never
//! loads a remote image: a post cannot make the window call out to a tracker, learn the
//! person's address, or load anything from a host nobody chose. Rust fetches instead, on
//! demand only (the person presses "Show images" in the preview), and only what passes every
//! check below; the page gets the bytes inline. A proxy (a custom protocol serving the images)
//! would have needed a new `img-src` source and a second way for content into the window.
//!
//! The checks, each refusing with a reason the preview shows ([`Refusal`]):
//! - the address is an absolute `https` (or `http`, upgraded to https) address on an allowed
//!   host ([`ImageHosts`]: [`DEFAULT_IMAGE_HOSTS`], replaced by [`IMAGE_HOSTS_VAR`]);
//! - a redirect is followed only to an allowed host, at most [`ImageLimits::max_redirects`]
//!   times;
//! - the answer is a success whose `Content-Type` is `image/*` (SVG excepted: a document
//!   format, not a picture, and nothing a post needs here);
//! - at most [`ImageLimits::max_bytes`] (2 MB) an image, read as a stream and stopped as soon
//!   as it is larger, within [`ImageLimits::timeout`];
//! - at most [`ImageLimits::max_images`] images and [`ImageLimits::max_total_bytes`] a preview.
//!
//! Fetched images are kept in memory for a while ([`ImageLimits::cache_bytes`]), so the
//! preview can be rendered again as the person types without fetching them again.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use url::Url;

use crate::error::Error;
use crate::markdown::{self, NotShown};

/// The image hosts of the front ends (Hive's, PeakD's, Ecency's, Steemit's) and Imgur.
pub const DEFAULT_IMAGE_HOSTS: &[&str] = &[
    "https://images.hive.blog",
    "https://files.peakd.com",
    "https://images.ecency.com",
    "https://cdn.steemitimages.com",
    "https://steemitimages.com",
    "https://i.imgur.com",
];

/// Replaces the allowed image hosts: origins separated by commas
/// (`https://images.example,https://cdn.example:8443`). Plain `http` is taken only for
/// loopback hosts (tests, a local mirror). A value naming no usable origin is ignored.
pub const IMAGE_HOSTS_VAR: &str = "AUTHDECK_IMAGE_HOSTS";

/// An allowed origin: scheme, host, port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(url: &Url) -> Option<Self> {
        Some(Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

/// The hosts images are fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHosts(Vec<Origin>);

impl Default for ImageHosts {
    fn default() -> Self {
        Self::parse(&DEFAULT_IMAGE_HOSTS.join(","))
    }
}

impl ImageHosts {
    /// The origins in `list` (comma-separated); entries that are not an `https` origin (or an
    /// `http` one on a loopback host) are skipped with a warning.
    pub fn parse(list: &str) -> Self {
        let origins = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .filter_map(|entry| {
                let origin = parse_origin(entry);
                if origin.is_none() {
                    tracing::warn!("ignoring the image host {entry:?}: not an https origin");
                }
                origin
            })
            .collect();
        Self(origins)
    }

    /// [`DEFAULT_IMAGE_HOSTS`], or those of [`IMAGE_HOSTS_VAR`] when it names at least one.
    pub fn from_env() -> Self {
        match std::env::var(IMAGE_HOSTS_VAR) {
            Ok(value) => {
                let hosts = Self::parse(&value);
                if hosts.0.is_empty() {
                    tracing::warn!(
                        "{IMAGE_HOSTS_VAR} names no usable image host; using the default ones"
                    );
                    Self::default()
                } else {
                    hosts
                }
            }
            Err(_) => Self::default(),
        }
    }

    /// Whether `url` is on an allowed origin.
    pub fn allows(&self, url: &Url) -> bool {
        Origin::of(url).is_some_and(|origin| self.0.contains(&origin))
    }

    /// The address to fetch for the image `address`: itself when its origin is allowed, its
    /// `https` form when it is plain `http` on an allowed https host, else why not.
    pub fn address_to_fetch(&self, address: &str) -> Result<Url, Refusal> {
        let url = Url::parse(address).map_err(|_| Refusal::NotAWebAddress)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Refusal::NotAWebAddress);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::NotAWebAddress);
        }
        if self.allows(&url) {
            return Ok(url);
        }
        if url.scheme() == "http" && url.port().is_none() {
            let mut secure = url.clone();
            if secure.set_scheme("https").is_ok() && self.allows(&secure) {
                return Ok(secure);
            }
        }
        Err(Refusal::HostNotAllowed {
            host: host_of(&url),
        })
    }
}

/// An origin from `entry`: `https://host[:port]` (a trailing `/` allowed), or `http://` on a
/// loopback host.
fn parse_origin(entry: &str) -> Option<Origin> {
    let url = Url::parse(entry).ok()?;
    let bare = matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    let secure = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    if !bare || (!secure && !is_loopback(&url)) {
        return None;
    }
    Origin::of(&url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The host (and port, when it is not the scheme's own) of `url`, for messages.
fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => url.as_str().to_owned(),
    }
}

/// How much the preview may fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// The largest image, in bytes.
    pub max_bytes: usize,
    /// All images of one preview together, in bytes.
    pub max_total_bytes: usize,
    /// Images fetched for one preview (the rest are listed as not shown).
    pub max_images: usize,
    /// How long one image may take, connection and body included.
    pub timeout: Duration,
    /// Redirects followed for one image (each to an allowed host).
    pub max_redirects: usize,
    /// Fetched images kept in memory, in bytes of their `data:` URLs.
    pub cache_bytes: usize,
    /// Images fetched at the same time.
    pub parallel: usize,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024,
            max_total_bytes: 16 * 1024 * 1024,
            max_images: 40,
            timeout: Duration::from_secs(15),
            max_redirects: 3,
            cache_bytes: 48 * 1024 * 1024,
            parallel: 4,
        }
    }
}

/// Why an image was not shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not an absolute web address.
    #[error("it is not a web address Authdeck can load")]
    NotAWebAddress,
    /// Its host is not on the list.
    #[error("{host} is not one of the image hosts Authdeck loads from")]
    HostNotAllowed {
        /// The host (and port).
        host: String,
    },
    /// A redirect pointed off the list.
    #[error(
        "the host sent it on to {host}, which is not one of the image hosts Authdeck loads from"
    )]
    RedirectedOff {
        /// Where the redirect pointed.
        host: String,
    },
    /// Redirect after redirect.
    #[error("the host redirected too many times")]
    TooManyRedirects,
    /// Larger than [`ImageLimits::max_bytes`].
    #[error("it is larger than {}", megabytes(*.limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The answer was not an image.
    #[error("it is not an image (the host sent {content_type})")]
    NotAnImage {
        /// What the host said it sent.
        content_type: String,
    },
    /// An SVG drawing.
    #[error("SVG drawings are not shown in the preview")]
    Svg,
    /// The host answered with an error.
    #[error("the host answered {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// No answer in time.
    #[error("the host did not answer in time")]
    TimedOut,
    /// No answer at all.
    #[error("the host could not be reached")]
    Unreachable,
    /// Past [`ImageLimits::max_images`].
    #[error("only the first {limit} images of a post are shown")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// Past [`ImageLimits::max_total_bytes`].
    #[error("the preview already shows {} of images", megabytes(*.limit))]
    PreviewFull {
        /// The limit, in bytes.
        limit: usize,
    },
}

fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// An image as the page gets it: `data:<type>;base64,<bytes>`.
pub type DataUrl = Arc<str>;

/// Fetched `data:` URLs, kept until they fill [`ImageLimits::cache_bytes`] (then all go).
#[derive(Default)]
struct Cache {
    urls: HashMap<String, DataUrl>,
    bytes: usize,
}

/// Fetches preview images under [`ImageHosts`] and [`ImageLimits`].
pub struct ImageFetcher {
    hosts: Arc<ImageHosts>,
    limits: ImageLimits,
    http: reqwest::Client,
    cache: Mutex<Cache>,
}

impl ImageFetcher {
    /// A fetcher for `hosts` within `limits`.
    pub fn new(hosts: ImageHosts, limits: ImageLimits) -> Result<Self, Error> {
        let hosts = Arc::new(hosts);
        let allowed = hosts.clone();
        let max_redirects = limits.max_redirects;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                attempt.stop()
            } else if allowed.allows(attempt.url()) {
                attempt.follow()
            } else {
                // The redirect itself comes back, and is refused with where it pointed.
                attempt.stop()
            }
        });
        let http = reqwest::Client::builder()
            .redirect(redirects)
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("Authdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| Error::Internal(format!("the HTTP client could not start: {err}")))?;
        Ok(Self {
            hosts,
            limits,
            http,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// A fetcher for [`ImageHosts::from_env`] with the default limits.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(ImageHosts::from_env(), ImageLimits::default())
    }

    /// The image at `address` as a `data:` URL, or why not.
    pub async fn fetch(&self, address: &str) -> Result<DataUrl, Refusal> {
        let url = self.hosts.address_to_fetch(address)?;
        if let Some(cached) = self.cached(url.as_str()) {
            return Ok(cached);
        }
        let fetched = fetch_one(&self.http, &self.hosts, &self.limits, url.clone()).await?;
        self.keep(url.as_str(), &fetched);
        Ok(fetched)
    }

    /// Each of `addresses` (in order, each once) as a `data:` URL or why not, within the
    /// per-preview limits; several at a time.
    pub async fn fetch_all(&self, addresses: &[String]) -> Vec<(String, Result<DataUrl, Refusal>)> {
        let mut seen = HashSet::new();
        let addresses: Vec<&String> = addresses.iter().filter(|a| seen.insert(*a)).collect();
        let mut results: Vec<Option<Result<DataUrl, Refusal>>> = vec![None; addresses.len()];
        let gate = Arc::new(tokio::sync::Semaphore::new(self.limits.parallel.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, address) in addresses.iter().enumerate() {
            if index >= self.limits.max_images {
                results[index] = Some(Err(Refusal::TooMany {
                    limit: self.limits.max_images,
                }));
                continue;
            }
            let url = match self.hosts.address_to_fetch(address) {
                Ok(url) => url,
                Err(refusal) => {
                    results[index] = Some(Err(refusal));
                    continue;
                }
            };
            if let Some(cached) = self.cached(url.as_str()) {
                results[index] = Some(Ok(cached));
                continue;
            }
            let (http, hosts, limits, gate) = (
                self.http.clone(),
                self.hosts.clone(),
                self.limits,
                gate.clone(),
            );
            tasks.spawn(async move {
                let _turn = gate.acquire_owned().await;
                let fetched = fetch_one(&http, &hosts, &limits, url.clone()).await;
                (index, url, fetched)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let Ok((index, url, fetched)) = done else {
                continue;
            };
            if let Ok(data) = &fetched {
                self.keep(url.as_str(), data);
            }
            results[index] = Some(fetched);
        }
        let mut total = 0usize;
        addresses
            .into_iter()
            .zip(results)
            .map(|(address, result)| {
                let result = result
                    .unwrap_or(Err(Refusal::Unreachable))
                    .and_then(|data| {
                        total = total.saturating_add(data.len());
                        if total > self.limits.max_total_bytes {
                            Err(Refusal::PreviewFull {
                                limit: self.limits.max_total_bytes,
                            })
                        } else {
                            Ok(data)
                        }
                    });
                (address.clone(), result)
            })
            .collect()
    }

    fn cached(&self, url: &str) -> Option<DataUrl> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.urls.get(url).cloned()
    }

    fn keep(&self, url: &str, data: &DataUrl) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.urls.contains_key(url) {
            return;
        }
        if cache.bytes + data.len() > self.limits.cache_bytes {
            *cache = Cache::default();
        }
        if data.len() <= self.limits.cache_bytes {
            cache.bytes += data.len();
            cache.urls.insert(url.to_owned(), data.clone());
        }
    }
}

/// One image from `url` (already on an allowed host) under `limits`.
async fn fetch_one(
    http: &reqwest::Client,
    hosts: &ImageHosts,
    limits: &ImageLimits,
    url: Url,
) -> Result<DataUrl, Refusal> {
    let mut response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "image/*")
        .send()
        .await
        .map_err(|err| transport_refusal(&err))?;
    let status = response.status();
    if status.is_redirection() {
        let target = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|location| response.url().join(location).ok());
        return Err(match target {
            Some(target) if !hosts.allows(&target) => Refusal::RedirectedOff {
                host: host_of(&target),
            },
            _ => Refusal::TooManyRedirects,
        });
    }
    if !status.is_success() {
        return Err(Refusal::Status {
            status: status.as_u16(),
        });
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("no content type")
        .to_owned();
    let mime = image_type(&content_type)?;
    let too_large = Refusal::TooLarge {
        limit: limits.max_bytes,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limits.max_bytes as u64)
    {
        return Err(too_large);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| transport_refusal(&err))?
    {
        if bytes.len() + chunk.len() > limits.max_bytes {
            return Err(too_large);
        }
        bytes.extend_from_slice(&chunk);
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{encoded}").into())
}

/// The media type of an image answer's `Content-Type` (`image/png`), or why it is refused.
fn image_type(content_type: &str) -> Result<String, Refusal> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let subtype = essence.strip_prefix("image/").unwrap_or_default();
    let plain = !subtype.is_empty()
        && subtype
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'));
    if !plain {
        return Err(Refusal::NotAnImage {
            content_type: content_type.chars().take(80).collect(),
        });
    }
    if subtype.starts_with("svg") {
        return Err(Refusal::Svg);
    }
    Ok(essence)
}

fn transport_refusal(err: &reqwest::Error) -> Refusal {
    if err.is_timeout() {
        Refusal::TimedOut
    } else {
        Refusal::Unreachable
    }
}

/// The post preview with its images: [`markdown::preview`]'s HTML, with each image fetched
/// by `fetcher` as a `data:` URL, and the images that were not shown listed first with why.
pub async fn preview_with_images(markdown_text: &str, fetcher: &ImageFetcher) -> String {
    let addresses = markdown::image_addresses(markdown_text);
    let mut shown = HashMap::new();
    let mut not_shown = Vec::new();
    for (address, result) in fetcher.fetch_all(&addresses).await {
        match result {
            Ok(data) => {
                shown.insert(address, data);
            }
            Err(refusal) => {
                tracing::info!(reason = %refusal, "a preview image was not shown");
                not_shown.push(NotShown {
                    address,
                    reason: format!("{refusal}."),
                });
            }
        }
    }
    markdown::preview_showing(markdown_text, shown, &not_shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_hosts_are_the_front_ends_image_hosts() {
        let hosts = ImageHosts::default();
        for allowed in [
            "https://images.hive.blog/DQmabc/pic.png",
            "https://files.peakd.com/file/peakd-hive/alice/x.jpg",
            "https://images.ecency.com/DQmxyz/a.gif",
            "https://cdn.steemitimages.com/DQm/b.webp",
            "https://i.imgur.com/abc.jpg",
        ] {
            assert!(hosts.address_to_fetch(allowed).is_ok(), "{allowed}");
        }
        assert_eq!(
            hosts
                .address_to_fetch("http://i.imgur.com/abc.jpg")
                .unwrap()
                .as_str(),
            "https://i.imgur.com/abc.jpg",
            "plain http is upgraded"
        );
        for (refused, why) in [
            (
                "https://evil.example/x.png",
                Refusal::HostNotAllowed {
                    host: "evil.example".into(),
                },
            ),
            (
                "https://images.hive.blog.evil.example/x.png",
                Refusal::HostNotAllowed {
                    host: "images.hive.blog.evil.example".into(),
                },
            ),
            (
                "https://i.imgur.com:8443/x.png",
                Refusal::HostNotAllowed {
                    host: "i.imgur.com:8443".into(),
                },
            ),
            ("/relative.png", Refusal::NotAWebAddress),
            ("https://user:pw@i.imgur.com/x.png", Refusal::NotAWebAddress),
            ("ftp://i.imgur.com/x.png", Refusal::NotAWebAddress),
        ] {
            assert_eq!(hosts.address_to_fetch(refused), Err(why), "{refused}");
        }
    }

    #[test]
    fn the_list_takes_https_origins_and_loopback_http_only() {
        let hosts = ImageHosts::parse(
            "https://a.example, http://127.0.0.1:9000 ,http://b.example,https://c.example/path,https://d.example/,ftp://e.example,",
        );
        let allowed = |url: &str| hosts.allows(&Url::parse(url).unwrap());
        assert!(allowed("https://a.example/x.png"));
        assert!(allowed("http://127.0.0.1:9000/x.png"));
        assert!(!allowed("http://127.0.0.1:9001/x.png"));
        assert!(
            !allowed("http://b.example/x.png"),
            "plain http off loopback"
        );
        assert!(!allowed("https://c.example/path/x.png"), "not an origin");
        assert!(allowed("https://d.example/x.png"));
        assert_eq!(hosts.0.len(), 3);
    }

    #[test]
    fn only_plain_image_types_pass() {
        assert_eq!(image_type("image/png").unwrap(), "image/png");
        assert_eq!(image_type("Image/JPEG; charset=x").unwrap(), "image/jpeg");
        assert_eq!(image_type("image/svg+xml"), Err(Refusal::Svg));
        for refused in [
            "text/html",
            "image/",
            "application/octet-stream",
            "image/p\"ng",
        ] {
            assert!(
                matches!(image_type(refused), Err(Refusal::NotAnImage { .. })),
                "{refused}"
            );
        }
    }

    #[test]
    fn refusals_read_as_reasons() {
        assert_eq!(
            Refusal::TooLarge {
                limit: 2 * 1024 * 1024
            }
            .to_string(),
            "it is larger than 2 MB"
        );
        assert_eq!(
            Refusal::HostNotAllowed {
                host: "evil.example".into()
            }
            .to_string(),
            "evil.example is not one of the image hosts Authdeck loads from"
        );
    }
}
