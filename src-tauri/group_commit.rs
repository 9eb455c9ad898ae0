//! [`GroupCommit`]: registry writes that finish together committed in one transaction (a
//! group commit). Each writer adds its item and waits for its turn; whoever has the turn
//! commits every item waiting, in one transaction, and tells each writer its outcome. A writer
//! alone is one transaction, as it would be anyway; many at once (a batch's broadcasts, a
//! burst of refreshes) share a few. Nobody returns before its own item is committed, so what a
//! writer reports afterwards is on disk.

use std::sync::Mutex;

use tokio::sync::{oneshot, Mutex as AsyncMutex};

use crate::error::{Error, Result};

/// An item waiting for its commit, and where its outcome goes.
struct Waiting<T, R> {
    item: T,
    done: oneshot::Sender<Result<R>>,
}

/// Items of type `T` committed in groups; each writer gets back its own `R`.
pub struct GroupCommit<T, R> {
    waiting: Mutex<Vec<Waiting<T, R>>>,
    turn: AsyncMutex<()>,
}

impl<T, R> Default for GroupCommit<T, R> {
    fn default() -> Self {
        Self {
            waiting: Mutex::new(Vec::new()),
            turn: AsyncMutex::new(()),
        }
    }
}

impl<T, R> GroupCommit<T, R> {
    /// Commits `item` with whatever other items are waiting, through `write`: it gets the
    /// items in the order they came, writes them in one transaction, and returns one outcome
    /// per item in the same order (or one error for all: then none was written). Returns once
    /// `item` is committed, with its outcome.
    pub async fn commit(&self, item: T, write: impl FnOnce(&[T]) -> Result<Vec<R>>) -> Result<R> {
        let (done, outcome) = oneshot::channel();
        self.lock_waiting().push(Waiting { item, done });
        {
            let _turn = self.turn.lock().await;
            let group = std::mem::take(&mut *self.lock_waiting());
            if !group.is_empty() {
                let (items, writers): (Vec<T>, Vec<_>) =
                    group.into_iter().map(|w| (w.item, w.done)).unzip();
                let written = write(&items).and_then(|outcomes| {
                    if outcomes.len() == writers.len() {
                        Ok(outcomes)
                    } else {
                        Err(Error::Internal(
                            "a group commit answered for a different number of items".into(),
                        ))
                    }
                });
                match written {
                    Ok(outcomes) => {
                        for (writer, outcome) in writers.into_iter().zip(outcomes) {
                            let _ = writer.send(Ok(outcome));
                        }
                    }
                    Err(err) => {
                        for writer in writers {
                            let _ = writer.send(Err(err.clone()));
                        }
                    }
                }
            }
        }
        outcome.await.unwrap_or_else(|_| {
            Err(Error::Internal(
                "a registry write was lost before its commit".into(),
            ))
        })
    }

    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, Vec<Waiting<T, R>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_at_once_share_transactions_and_each_gets_its_own_outcome() {
        let group: Arc<GroupCommit<usize, usize>> = Arc::default();
        let transactions = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(Mutex::new(Vec::new()));
        let mut writers = tokio::task::JoinSet::new();
        for item in 0..200 {
            let (group, transactions, written) =
                (group.clone(), transactions.clone(), written.clone());
            writers.spawn(async move {
                let outcome = group
                    .commit(item, |items| {
                        transactions.fetch_add(1, Ordering::SeqCst);
                        // Slow enough that others arrive while this one commits.
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        written.lock().unwrap().extend_from_slice(items);
                        Ok(items.iter().map(|item| item * 10).collect())
                    })
                    .await;
                // Committed before the writer hears of it.
                assert!(written.lock().unwrap().contains(&item));
                (item, outcome)
            });
        }
        while let Some(joined) = writers.join_next().await {
            let (item, outcome) = joined.unwrap();
            assert_eq!(outcome.unwrap(), item * 10);
        }
        let mut all = written.lock().unwrap().clone();
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<_>>(), "each item written once");
        let transactions = transactions.load(Ordering::SeqCst);
        assert!(
            transactions < 200,
            "200 writers at once took {transactions} transactions"
        );
    }

    #[tokio::test]
    async fn a_failed_write_fails_every_item_of_its_group_and_the_next_starts_afresh() {
        let group: GroupCommit<&str, ()> = GroupCommit::default();
        let failed = group
            .commit("a", |_| {
                Err(Error::Storage {
                    detail: "disk full".into(),
                })
            })
            .await;
        assert_eq!(
            failed.unwrap_err(),
            Error::Storage {
                detail: "disk full".into()
            }
        );
        let short = group.commit("b", |_| Ok(Vec::new())).await;
        assert!(matches!(short, Err(Error::Internal(_))));
        assert_eq!(
            group
                .commit("c", |items| {
                    assert_eq!(items, ["c"]);
                    Ok(vec![()])
                })
                .await,
            Ok(())
        );
    }
}
