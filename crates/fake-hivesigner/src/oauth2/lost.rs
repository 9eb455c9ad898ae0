//! [`Failure::LoseAnswer`](super::Failure::LoseAnswer): the request is handled in full, then
//! its answer is held for [`LOST_ANSWER_HOLD`]. A layer around every route
//! ([`hold_lost_answers`]) gives each request a mark; [`lose_this_answer`], called where the
//! queued failure is played, sets it; the layer holds the handler's answer when it is set.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::LOST_ANSWER_HOLD;

tokio::task_local! {
    /// The mark of the request being handled: set when its answer is to be lost.
    static LOSE: Arc<AtomicBool>;
}

/// Marks the answer of the request being handled as lost (its handler still runs in full).
pub(crate) fn lose_this_answer() {
    LOSE.with(|mark| mark.store(true, Ordering::SeqCst));
}

/// The layer: runs the handler, then holds its answer when [`lose_this_answer`] was called.
pub(crate) async fn hold_lost_answers(request: Request, next: Next) -> Response {
    let mark = Arc::new(AtomicBool::new(false));
    let response = LOSE.scope(Arc::clone(&mark), next.run(request)).await;
    if mark.load(Ordering::SeqCst) {
        tokio::time::sleep(LOST_ANSWER_HOLD).await;
    }
    response
}
