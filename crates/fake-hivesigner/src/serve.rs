//! Serving a fake: an axum router on a bound listener, in the background, until the handle
//! that holds the returned [`Stop`] is dropped.

use axum::Router;
use tokio::net::TcpListener;

/// Ends the server it came from when dropped.
pub(crate) type Stop = tokio::sync::oneshot::Sender<()>;

/// Serves `app` on `listener` in the background; the server stops when the returned sender is
/// dropped (with the fake's handle).
pub(crate) fn in_background(listener: TcpListener, app: Router) -> Stop {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let until_dropped = async {
            let _ = stopped.await;
        };
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(until_dropped)
            .await;
    });
    stop
}
