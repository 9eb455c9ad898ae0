//! The one-shot loopback listener (RFC 8252): `http://127.0.0.1:<ephemeral port>/callback`.
//!
//! It binds only 127.0.0.1, answers the browser with a small page, and closes after one
//! callback that ends the sign-in (or when its owner drops it, at the attempt's deadline).
//! Requests that do not end the sign-in (a forged state, `/favicon.ico`) get an answer and
//! leave it listening. Only `GET /callback` reaches the handler: `HEAD` and other methods
//! are refused without consuming the sign-in.
//!
//! Any local process can connect, so connections are bounded (see [`Limits`]): each serves
//! one request (no keep-alive), must deliver its request head within
//! [`Limits::header_read`], and lives at most [`Limits::connection_lifetime`]. At most
//! [`Limits::max_connections`] are open at once; a new connection beyond that evicts the
//! oldest one that has not sent a request yet, so idle or trickling connections cannot
//! crowd out the browser's redirect. When the listener closes, every connection still
//! waiting for its request is closed at once and those being answered get
//! [`Limits::shutdown_grace`] to finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{OriginalUri, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper::body::Incoming;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};

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

/// Bounds on the connections a listener accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to deliver its request line and headers.
    pub header_read: Duration,
    /// How long a connection may stay open at all, answer included. The handler runs on its
    /// own task, so a sign-in still completes if its connection is cut.
    pub connection_lifetime: Duration,
    /// How many connections may be open at once (at least 1).
    pub max_connections: usize,
    /// When the listener closes, how long connections that are being answered may take to
    /// finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    /// A browser sends its request at once and opens a handful of connections per origin;
    /// the lifetime leaves room for a slow token exchange before the final page.
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(5),
            connection_lifetime: Duration::from_secs(60),
            max_connections: 16,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

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
/// is finished or the returned [`Loopback`] is dropped, with the default [`Limits`]. Must
/// run inside a Tokio runtime.
pub async fn listen(handler: Handler) -> std::io::Result<Loopback> {
    listen_with(handler, Limits::default()).await
}

/// [`listen`] on a fixed `port` (a token site redirects to the one URI registered there, port
/// included); fails when the port is taken.
pub async fn listen_at(port: u16, handler: Handler) -> std::io::Result<Loopback> {
    bind(port, handler, Limits::default()).await
}

/// [`listen`] with explicit connection limits.
pub async fn listen_with(handler: Handler, limits: Limits) -> std::io::Result<Loopback> {
    bind(0, handler, limits).await
}

async fn bind(port: u16, handler: Handler, limits: Limits) -> std::io::Result<Loopback> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let port = listener.local_addr()?.port();
    let (sender, closed) = oneshot::channel();
    let close = Arc::new(Mutex::new(Some(sender)));
    let shared = Shared {
        handler,
        close: close.clone(),
    };
    let router = Router::new()
        .route(CALLBACK_PATH, get(callback).head(head))
        .fallback(not_found)
        .with_state(shared);
    tokio::spawn(serve(listener, router, limits, closed));
    Ok(Loopback { port, close })
}

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The accept loop: runs until `closed` fires, then drops the socket and tells every
/// connection to end.
async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut closed: oneshot::Receiver<()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .keep_alive(false);
    let http = Arc::new(http);
    let registry = Arc::new(Registry::default());
    // Dropped when this loop ends: every connection's receiver then reports the shutdown.
    let (shutdown, shutdown_rx) = watch::channel(());
    loop {
        let stream = tokio::select! {
            _ = &mut closed => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::debug!("the loopback listener could not accept: {err}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Some(slot) = registry.admit(limits.max_connections.max(1)) else {
            tracing::debug!("loopback connection refused: every slot is serving a request");
            continue;
        };
        tokio::spawn(connection(
            stream,
            Registered {
                registry: registry.clone(),
                slot,
            },
            router.clone(),
            http.clone(),
            limits,
            shutdown_rx.clone(),
        ));
    }
    drop(listener);
    drop(shutdown);
}

/// Serves one connection until it is done, evicted, too old, or the listener closes.
async fn connection(
    stream: TcpStream,
    registered: Registered,
    router: Router,
    http: Arc<hyper::server::conn::http1::Builder>,
    limits: Limits,
    mut shutdown: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let slot = registered.slot.clone();
    let service = service_fn(move |request: Request<Incoming>| {
        let admitted = slot.start_request();
        let router = router.clone();
        async move {
            if !admitted {
                // Evicted just as its request arrived: the connection is going away.
                return Ok::<_, Infallible>(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
            TowerToHyperService::new(router).call(request).await
        }
    });
    let served = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    let lifetime = tokio::time::sleep(limits.connection_lifetime);
    tokio::pin!(lifetime);
    tokio::select! {
        result = &mut served => {
            if let Err(err) = result {
                tracing::debug!("loopback connection ended: {err}");
            }
            return;
        }
        () = &mut lifetime => return,
        () = registered.slot.evicted.notified() => return,
        _ = shutdown.changed() => {}
    }
    // The listener closed: a connection without a request is simply dropped; one being
    // answered (the finishing callback itself) may finish its page.
    if !registered.slot.has_request() {
        return;
    }
    served.as_mut().graceful_shutdown();
    tokio::select! {
        _ = &mut served => {}
        () = &mut lifetime => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
}

/// A connection's place among the open ones.
struct Slot {
    /// One of `WAITING`, `REQUESTED`, `EVICTED`.
    state: AtomicU8,
    evicted: Notify,
}

/// No request head yet: may be evicted.
const WAITING: u8 = 0;
/// A request was handed to the router: never evicted.
const REQUESTED: u8 = 1;
/// Told to close to make room.
const EVICTED: u8 = 2;

impl Slot {
    /// Marks the connection as serving a request, unless it was evicted first.
    fn start_request(&self) -> bool {
        match self
            .state
            .compare_exchange(WAITING, REQUESTED, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(state) => state == REQUESTED,
        }
    }

    fn has_request(&self) -> bool {
        self.state.load(Ordering::Acquire) == REQUESTED
    }

    fn evict(&self) -> bool {
        let evicted = self
            .state
            .compare_exchange(WAITING, EVICTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if evicted {
            // Stores a permit if the connection task is not waiting yet.
            self.evicted.notify_one();
        }
        evicted
    }
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    slots: Mutex<Vec<Arc<Slot>>>,
}

impl Registry {
    /// A slot for a new connection: a free one, or the oldest one still waiting for its
    /// request, evicted. `None` when every slot is serving a request.
    fn admit(&self, max: usize) -> Option<Arc<Slot>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= max {
            let oldest_waiting = slots.iter().position(|slot| slot.evict())?;
            slots.remove(oldest_waiting);
        }
        let slot = Arc::new(Slot {
            state: AtomicU8::new(WAITING),
            evicted: Notify::new(),
        });
        slots.push(slot.clone());
        Some(slot)
    }

    fn remove(&self, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|other| !Arc::ptr_eq(other, slot));
    }
}

/// Frees its slot when the connection task ends.
struct Registered {
    registry: Arc<Registry>,
    slot: Arc<Slot>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.remove(&self.slot);
    }
}

async fn callback(State(shared): State<Shared>, OriginalUri(uri): OriginalUri) -> Response {
    // On its own task: the sign-in completes (and the listener closes) even if the browser
    // or a connection limit cuts this connection meanwhile.
    let handling = tokio::spawn(async move {
        let reply = (shared.handler)(uri.to_string()).await;
        if reply.finished {
            close(&shared.close);
        }
        reply
    });
    match handling.await {
        Ok(reply) => page(StatusCode::OK, &reply.title, &reply.message),
        Err(err) => {
            tracing::warn!("the loopback handler failed: {err}");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Authdeck could not handle this answer. Start the sign-in again from Authdeck.",
            )
        }
    }
}

/// `HEAD /callback` (link checkers, prefetchers) must not consume the sign-in.
async fn head() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET")]).into_response()
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

    // --- Limits, methods and shutdown, over real TCP to 127.0.0.1 ---

    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// Small limits so the tests stay quick.
    fn quick(max_connections: usize) -> Limits {
        Limits {
            header_read: Duration::from_millis(1000),
            connection_lifetime: Duration::from_secs(20),
            max_connections,
            shutdown_grace: Duration::from_millis(500),
        }
    }

    async fn connect(listener: &Loopback) -> TcpStream {
        TcpStream::connect((Ipv4Addr::LOCALHOST, listener.port()))
            .await
            .unwrap()
    }

    /// Reads until the server closes the connection (EOF or a reset); `None` if it is still
    /// open after `limit`. Returns what the server sent before closing.
    async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<String> {
        let mut received = Vec::new();
        let reading = async {
            let mut buf = [0u8; 1024];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        tokio::time::timeout(limit, reading).await.ok()?;
        Some(String::from_utf8_lossy(&received).into_owned())
    }

    #[tokio::test]
    async fn a_trickling_connection_is_closed_within_the_header_read_limit() {
        let calls = Arc::new(AtomicUsize::new(0));
        let limits = quick(16);
        let listener = listen_with(handler(calls.clone()), limits).await.unwrap();
        let stream = connect(&listener).await;
        let (mut read, mut write) = stream.into_split();
        let started = Instant::now();
        let trickle = tokio::spawn(async move {
            write.write_all(b"GET /callback?").await?;
            for byte in b"state=good&code=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n".iter() {
                tokio::time::sleep(Duration::from_millis(500)).await;
                write.write_all(&[*byte]).await?;
            }
            Ok::<_, std::io::Error>(())
        });
        let bound = limits.header_read + Duration::from_millis(1500);
        let mut received = Vec::new();
        let reading = async {
            let mut buf = [0u8; 1024];
            loop {
                match read.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        let closed = tokio::time::timeout(bound, reading).await.is_ok();
        let elapsed = started.elapsed();
        trickle.abort();
        assert!(closed, "still open after {elapsed:?}");
        assert!(elapsed < bound, "closed only after {elapsed:?}");
        let received = String::from_utf8_lossy(&received);
        assert!(
            !received.contains(" 200 "),
            "no page for a trickle: {received}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn beyond_the_cap_idle_connections_are_closed_and_a_genuine_get_is_answered() {
        let calls = Arc::new(AtomicUsize::new(0));
        let cap = 4;
        let mut limits = quick(cap);
        limits.header_read = Duration::from_secs(15);
        let listener = listen_with(handler(calls.clone()), limits).await.unwrap();
        let mut idle = Vec::new();
        for i in 0..3 * cap {
            let mut stream = connect(&listener).await;
            if i % 2 == 1 {
                stream.write_all(b"GET /callback?sta").await.unwrap();
            }
            idle.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;

        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(3),
            get(&format!("{}?state=forged", listener.redirect_uri())),
        )
        .await
        .expect("the genuine request is answered at once")
        .unwrap();
        assert_eq!(answer.0, 200);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let mut open = 0;
        for stream in &mut idle {
            if closed_within(stream, Duration::from_millis(100))
                .await
                .is_none()
            {
                open += 1;
            }
        }
        assert!(open < cap, "{open} idle connections are still open");
    }

    #[tokio::test]
    async fn while_every_slot_serves_a_request_new_connections_are_closed_at_once() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let calls = Arc::new(AtomicUsize::new(0));
        let gated: Handler = {
            let (gate, calls) = (gate.clone(), calls.clone());
            Arc::new(move |_target: String| {
                let (gate, calls) = (gate.clone(), calls.clone());
                Box::pin(async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let _permit = gate.acquire().await;
                    Reply {
                        finished: false,
                        title: "Refused".into(),
                        message: "later".into(),
                    }
                })
            })
        };
        let listener = listen_with(gated, quick(2)).await.unwrap();
        let mut busy = Vec::new();
        for _ in 0..2 {
            let mut stream = connect(&listener).await;
            stream
                .write_all(b"GET /callback?state=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .await
                .unwrap();
            busy.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let mut extra = connect(&listener).await;
        assert!(
            closed_within(&mut extra, Duration::from_millis(500))
                .await
                .is_some(),
            "a connection beyond the cap is closed"
        );

        gate.add_permits(2);
        for stream in &mut busy {
            let page = closed_within(stream, Duration::from_secs(2)).await.unwrap();
            assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        }
    }

    #[tokio::test]
    async fn head_and_other_methods_do_not_call_the_handler() {
        let calls = Arc::new(AtomicUsize::new(0));
        let listener = listen_with(handler(calls.clone()), quick(16))
            .await
            .unwrap();
        let uri = format!("{}?state=good", listener.redirect_uri());
        let client = reqwest::Client::new();
        let head = client.head(&uri).send().await.unwrap();
        assert_eq!(head.status().as_u16(), 405);
        let post = client.post(&uri).send().await.unwrap();
        assert_eq!(post.status().as_u16(), 405);
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        let (status, body) = get(&uri).await.unwrap();
        assert_eq!((status, body.contains("Signed in")), (200, true));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn when_the_sign_in_ends_connections_opened_before_are_closed() {
        let listener = listen_with(handler(Arc::default()), quick(16))
            .await
            .unwrap();
        let mut idle = connect(&listener).await;
        let mut partial = connect(&listener).await;
        partial.write_all(b"GET /callback?sta").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;

        let (_, body) = get(&format!("{}?state=good", listener.redirect_uri()))
            .await
            .unwrap();
        assert!(
            body.contains("Signed in"),
            "the finishing page is delivered"
        );
        for stream in [&mut idle, &mut partial] {
            assert!(
                closed_within(stream, Duration::from_millis(400))
                    .await
                    .is_some(),
                "closed with the listener"
            );
        }
    }

    #[tokio::test]
    async fn dropping_the_handle_closes_connections_opened_before() {
        let listener = listen_with(handler(Arc::default()), quick(16))
            .await
            .unwrap();
        let mut idle = connect(&listener).await;
        let mut partial = connect(&listener).await;
        partial.write_all(b"GET /callback?sta").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(listener);
        for stream in [&mut idle, &mut partial] {
            assert!(closed_within(stream, Duration::from_millis(400))
                .await
                .is_some());
        }
    }
}
