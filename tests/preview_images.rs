//! Images in the post preview, against a fake image host on 127.0.0.1 (the allow-list pointed
//! at it): an allowed image becomes a `data:` URL; one too large, one that is not an image,
//! an SVG, one on a host not on the list and a redirect off the list are refused, each with
//! its reason; the page's HTML never carries a remote address as a `src`, before or after
//! "Show images"; and the command the page calls answers over IPC with the list taken from
//! `AUTHDECK_IMAGE_HOSTS`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use authdeck::images::{
    preview_with_images, ImageFetcher, ImageHosts, ImageLimits, Refusal, IMAGE_HOSTS_VAR,
};
use authdeck::markdown;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use base64::Engine;

/// The bytes the fake serves as a PNG (the preview does not decode them).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01fake-png";

/// A fake image host: its address and how many requests it got.
struct ImageHost {
    base: String,
    hits: Arc<AtomicUsize>,
    _server: tokio::task::JoinHandle<()>,
}

async fn image_host() -> ImageHost {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new()
        .route(
            "/ok.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
        )
        .route(
            "/big.jpg",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "image/jpeg")],
                    vec![0u8; 3 * 1024 * 1024],
                )
            }),
        )
        .route(
            "/page.png",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html>not a picture</html>",
                )
            }),
        )
        .route(
            "/drawing.svg",
            get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], "<svg/>") }),
        )
        .route(
            "/away.png",
            get(|| async {
                (
                    StatusCode::FOUND,
                    [(header::LOCATION, "https://tracker.example/pixel.png")],
                )
            }),
        )
        .route(
            "/moved.png",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/ok.png")],
                )
            }),
        )
        .route("/gone.png", get(|| async { StatusCode::NOT_FOUND }))
        .layer(axum::middleware::from_fn_with_state(
            counted,
            |State(hits): State<Arc<AtomicUsize>>,
             request: axum::extract::Request,
             next: axum::middleware::Next| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                next.run(request).await
            },
        ));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    ImageHost {
        base,
        hits,
        _server: server,
    }
}

fn fetcher_for(allowed: &ImageHost) -> ImageFetcher {
    ImageFetcher::new(ImageHosts::parse(&allowed.base), ImageLimits::default()).unwrap()
}

fn png_data_url() -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(PNG)
    )
}

/// No `src` in `html` names a web address.
fn assert_no_remote_src(html: &str) {
    for quote in ['"', '\''] {
        for scheme in ["http:", "https:", "//"] {
            let remote = format!("src={quote}{scheme}");
            assert!(!html.contains(&remote), "{remote} in {html}");
        }
    }
}

#[tokio::test]
async fn an_allowed_image_becomes_a_data_url() {
    let host = image_host().await;
    let fetcher = fetcher_for(&host);
    let address = format!("{}/ok.png", host.base);
    assert_eq!(&*fetcher.fetch(&address).await.unwrap(), png_data_url());

    // A redirect within the allowed host is followed.
    let moved = format!("{}/moved.png", host.base);
    assert_eq!(&*fetcher.fetch(&moved).await.unwrap(), png_data_url());
}

#[tokio::test]
async fn too_large_not_images_and_hosts_off_the_list_are_refused() {
    let host = image_host().await;
    let other = image_host().await;
    let fetcher = fetcher_for(&host);
    let two_mb = 2 * 1024 * 1024;

    let big = fetcher.fetch(&format!("{}/big.jpg", host.base)).await;
    assert_eq!(big, Err(Refusal::TooLarge { limit: two_mb }));
    let page = fetcher.fetch(&format!("{}/page.png", host.base)).await;
    assert_eq!(
        page,
        Err(Refusal::NotAnImage {
            content_type: "text/html".into()
        })
    );
    let svg = fetcher.fetch(&format!("{}/drawing.svg", host.base)).await;
    assert_eq!(svg, Err(Refusal::Svg));
    let gone = fetcher.fetch(&format!("{}/gone.png", host.base)).await;
    assert_eq!(gone, Err(Refusal::Status { status: 404 }));
    let away = fetcher.fetch(&format!("{}/away.png", host.base)).await;
    assert_eq!(
        away,
        Err(Refusal::RedirectedOff {
            host: "tracker.example".into()
        })
    );

    // A host not on the list is refused without a request.
    let elsewhere = fetcher.fetch(&format!("{}/ok.png", other.base)).await;
    let other_host = other.base.trim_start_matches("http://").to_owned();
    assert_eq!(elsewhere, Err(Refusal::HostNotAllowed { host: other_host }));
    assert_eq!(other.hits.load(Ordering::SeqCst), 0);

    // The same limit holds for a smaller cap.
    let small = ImageFetcher::new(
        ImageHosts::parse(&host.base),
        ImageLimits {
            max_bytes: PNG.len() - 1,
            ..ImageLimits::default()
        },
    )
    .unwrap();
    assert_eq!(
        small.fetch(&format!("{}/ok.png", host.base)).await,
        Err(Refusal::TooLarge {
            limit: PNG.len() - 1
        })
    );
}

#[tokio::test]
async fn the_preview_never_carries_a_remote_address_as_a_src() {
    let host = image_host().await;
    let other = image_host().await;
    let fetcher = fetcher_for(&host);
    let body = format!(
        "# Pictures\n\n![ok]({h}/ok.png)\n\n![big]({h}/big.jpg)\n\n<img src=\"{h}/page.png\" alt=\"page\">\n\n![elsewhere]({o}/ok.png)\n\n![again]({h}/ok.png)",
        h = host.base,
        o = other.base
    );

    // Before "Show images": no image has an address, and the note offers to show them.
    let plain = markdown::preview(&body);
    assert_no_remote_src(&plain);
    assert!(!plain.contains("src="), "{plain}");
    assert!(plain.contains("leaves out 4 images"), "{plain}");
    assert!(plain.contains("data-show-images"), "{plain}");
    assert_eq!(host.hits.load(Ordering::SeqCst), 0, "nothing fetched yet");

    // After: the allowed image is inline (both times it appears), the others are listed.
    let shown = preview_with_images(&body, &fetcher).await;
    assert_no_remote_src(&shown);
    let data = png_data_url();
    assert_eq!(
        shown.matches(&format!("src=\"{data}\"")).count(),
        2,
        "{shown}"
    );
    assert_eq!(shown.matches("src=").count(), 2, "{shown}");
    assert!(shown.contains("3 images not shown"), "{shown}");
    assert!(shown.contains("it is larger than 2 MB."), "{shown}");
    assert!(
        shown.contains("it is not an image (the host sent text/html)."),
        "{shown}"
    );
    assert!(
        shown.contains("is not one of the image hosts Authdeck loads from."),
        "{shown}"
    );
    assert_eq!(other.hits.load(Ordering::SeqCst), 0);

    // Rendered again as the person types: the fetched image comes from memory.
    let hits = host.hits.load(Ordering::SeqCst);
    let again = preview_with_images(&format!("![ok]({}/ok.png)", host.base), &fetcher).await;
    assert!(again.contains(&format!("src=\"{data}\"")), "{again}");
    assert_eq!(host.hits.load(Ordering::SeqCst), hits);
}

#[test]
fn the_page_asks_through_a_command_with_the_hosts_from_the_environment() {
    use authdeck::{configure, context, Integration, MAIN_WINDOW};
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
    use tauri::webview::InvokeRequest;
    use tauri::Manager;

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let host = runtime.block_on(image_host());
    // The only test here that builds the app, so the only reader of the variable.
    std::env::set_var(
        IMAGE_HOSTS_VAR,
        format!("{}, https://images.hive.blog", host.base),
    );
    let mut app = configure(mock_builder(), Integration::Headless)
        .build(context())
        .unwrap();
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let window = app.get_webview_window(MAIN_WINDOW).unwrap();
    let request = InvokeRequest {
        cmd: "preview_images".into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(serde_json::json!({
            "body": format!("![ok]({}/ok.png) ![t](https://tracker.example/t.png)", host.base)
        })),
        headers: HeaderMap::new(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    let html: String = get_ipc_response(&window, request)
        .expect("the command answers")
        .deserialize()
        .unwrap();
    assert_no_remote_src(&html);
    assert!(
        html.contains(&format!("src=\"{}\"", png_data_url())),
        "{html}"
    );
    assert!(
        html.contains("tracker.example is not one of the image hosts"),
        "{html}"
    );
}
