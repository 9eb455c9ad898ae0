//! The one-shot loopback listener (RFC 8252): `http://127.0.0.1:<ephemeral port>/callback`.
//!
//! It binds only 127.0.0.1, answers the browser with a small page, and closes after one
//! callback that ends the sign-in (or when its owner drops it, at the attempt's deadline).
//! Requests that do not end the sign-in (a forged state, `/favicon.ico`) get an answer and
//! leave it listening.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::extract::{OriginalUri, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::oneshot;

/// The path the provider redirects to.
pub const CALLBACK_PATH: &str = "/callback";

/// What the listener tells the browser, and whether the sign-in is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The sign-in ended (success or failure): close the listener.
    pub finished: bool,
    /// The page's heading.
    pub title: String,
    /// One or two sentences for the person.
    pub message: String,
}

/// Handles one callback request target (`/callback?...`).
pub type Handler = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A running listener; dropping it closes it.
pub struct Loopback {
    port: u16,
    close: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

impl Loopback {
    /// The port the OS chose.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send to the provider.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        close(&self.close);
    }
}

fn close(sender: &Mutex<Option<oneshot::Sender<()>>>) {
    if let Some(sender) = sender.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let _ = sender.send(());
    }
}

#[derive(Clone)]
struct Shared {
    handler: Handler,
    close: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

/// Binds `127.0.0.1:0` and serves `/callback` with `handler` until a reply says the sign-in
/// is finished or the returned [`Loopback`] is dropped. Must run inside a Tokio runtime.
pub async fn listen(handler: Handler) -> std::io::Result<Loopback> {
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let port = listener.local_addr()?.port();
    let (sender, closed) = oneshot::channel();
    let close = Arc::new(Mutex::new(Some(sender)));
    let shared = Shared {
        handler,
        close: close.clone(),
    };
    let router = Router::new()
        .route(CALLBACK_PATH, get(callback))
        .fallback(not_found)
        .with_state(shared);
    tokio::spawn(async move {
        let serving = axum::serve(listener, router).with_graceful_shutdown(async {
            let _ = closed.await;
        });
        if let Err(err) = serving.await {
            tracing::warn!("the loopback listener stopped: {err}");
        }
    });
    Ok(Loopback { port, close })
}

async fn callback(State(shared): State<Shared>, OriginalUri(uri): OriginalUri) -> Response {
    let reply = (shared.handler)(uri.to_string()).await;
    if reply.finished {
        close(&shared.close);
    }
    page(StatusCode::OK, &reply.title, &reply.message)
}

async fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not here",
        "This address only receives Authdeck's sign-in answers.",
    )
}

/// A self-contained page: no scripts, no remote assets, not cached, no referrer.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authdeck: {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}\
         h1{{border-left:.3rem solid #e31337;padding-left:.6rem}}</style></head>\
         <body><h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(title),
        message = escape(message),
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn handler(calls: Arc<AtomicUsize>) -> Handler {
        Arc::new(move |target: String| {
            let calls = calls.clone();
            Box::pin(async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let finished = target.contains("state=good");
                Reply {
                    finished,
                    title: if finished { "Signed in" } else { "Refused" }.into(),
                    message: format!("<b>{}</b>", target.len()),
                }
            })
        })
    }

    async fn get(url: &str) -> Result<(u16, String), reqwest::Error> {
        let response = reqwest::get(url).await?;
        Ok((response.status().as_u16(), response.text().await?))
    }

    #[tokio::test]
    async fn answers_until_a_callback_finishes_the_sign_in_then_closes() {
        let calls = Arc::new(AtomicUsize::new(0));
        let listener = listen(handler(calls.clone())).await.unwrap();
        let uri = listener.redirect_uri();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));

        let (status, body) = get(&format!("{uri}?state=forged")).await.unwrap();
        assert_eq!((status, body.contains("Refused")), (200, true));
        assert!(body.contains("&lt;b&gt;"), "the message is escaped: {body}");
        let (status, _) = get(&uri.replace("/callback", "/favicon.ico"))
            .await
            .unwrap();
        assert_eq!(status, 404);

        let (_, body) = get(&format!("{uri}?state=good")).await.unwrap();
        assert!(body.contains("Signed in"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            get(&format!("{uri}?state=good")).await.is_err(),
            "closed after finishing"
        );
        drop(listener);
    }

    #[tokio::test]
    async fn dropping_the_handle_closes_the_port() {
        let listener = listen(handler(Arc::default())).await.unwrap();
        let uri = listener.redirect_uri();
        drop(listener);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(get(&uri).await.is_err());
    }
}
