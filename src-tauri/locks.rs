//! Refresh locks shared by every Authdeck process of the person: one lock file per account in
//! the app's data folder (`locks/account-<id>.lock`, beside the registry), held exclusively
//! around a refresh. The app, `authdeck token` with no app running, and a second
//! `authdeck token` at the same moment thus never refresh one account at once: whoever holds
//! the lock refreshes, the others wait for it and then read the fresh tokens from the keyring
//! ([`crate::tokens`] does both).
//!
//! On Unix the lock is `flock(2)` on the file (released by the kernel when the holder exits,
//! even by a crash); on Windows the file opened without sharing. The files stay in place
//! (removing a lock file races with a process about to lock it) and hold nothing; account ids
//! are never reused, so a file only ever stands for one account.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::accounts::AccountId;
use crate::error::{Error, Result};

/// The folder of the lock files, inside the app's data folder.
pub const LOCK_DIR: &str = "locks";

/// How long a process waits for another one's refresh of the same account before giving up:
/// longer than a refresh with every retry can take.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(150);

/// How often a waiting process looks again.
const POLL: Duration = Duration::from_millis(20);

/// The per-account refresh locks in one folder.
#[derive(Debug, Clone)]
pub struct RefreshLocks {
    dir: PathBuf,
    wait: Duration,
}

/// A held lock; dropping it lets the next process in.
#[derive(Debug)]
pub struct RefreshLock {
    _file: File,
}

impl RefreshLocks {
    /// The locks in `dir` (created when first needed), waiting at most [`DEFAULT_WAIT`].
    pub fn new(dir: PathBuf) -> Self {
        Self::with_wait(dir, DEFAULT_WAIT)
    }

    /// The locks in `dir`, waiting at most `wait` for another holder.
    pub fn with_wait(dir: PathBuf, wait: Duration) -> Self {
        Self { dir, wait }
    }

    /// The lock file of account `id`.
    pub fn path_of(&self, id: AccountId) -> PathBuf {
        self.dir.join(format!("account-{}.lock", id.0))
    }

    /// Takes account `id`'s lock, waiting while another process (or task) holds it. The
    /// folder is made when the lock file cannot be opened for want of it (the first lock, or
    /// after someone removed it), not before every lock.
    pub async fn acquire(&self, id: AccountId) -> Result<RefreshLock> {
        let path = self.path_of(id);
        let started = Instant::now();
        loop {
            let tried = match try_acquire(&path) {
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    create_dir(&self.dir).map_err(|err| storage(&self.dir, &err))?;
                    try_acquire(&path)
                }
                other => other,
            };
            match tried {
                Ok(Some(file)) => return Ok(RefreshLock { _file: file }),
                Ok(None) if started.elapsed() < self.wait => tokio::time::sleep(POLL).await,
                Ok(None) => {
                    return Err(Error::Storage {
                        detail: format!(
                            "another Authdeck process has been refreshing this account's token for over {} seconds (lock {}); try again later",
                            self.wait.as_secs(),
                            path.display()
                        ),
                    })
                }
                Err(err) => return Err(storage(&path, &err)),
            }
        }
    }
}

fn storage(path: &Path, err: &io::Error) -> Error {
    Error::Storage {
        detail: format!("cannot use the refresh lock {}: {err}", path.display()),
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// The open, locked file, or `None` while someone else holds the lock.
#[cfg(unix)]
fn try_acquire(path: &Path) -> io::Result<Option<File>> {
    use rustix::fs::{flock, FlockOperation};
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(file)),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The file opened without sharing, or `None` while another process has it open.
#[cfg(windows)]
fn try_acquire(path: &Path) -> io::Result<Option<File>> {
    use std::os::windows::fs::OpenOptionsExt;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .share_mode(0)
        .open(path)
    {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.raw_os_error() == Some(ERROR_SHARING_VIOLATION) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Elsewhere: the file only (no lock across processes).
#[cfg(not(any(unix, windows)))]
fn try_acquire(path: &Path) -> io::Result<Option<File>> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_holder_at_a_time_and_a_bounded_wait() {
        let dir = tempfile::tempdir().unwrap();
        let locks = RefreshLocks::with_wait(dir.path().join(LOCK_DIR), Duration::from_millis(200));
        let held = locks.acquire(AccountId(7)).await.unwrap();
        assert!(locks.path_of(AccountId(7)).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(LOCK_DIR))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "the folder is the person's alone");
        }

        // Another account is free; the same one waits, and gives up after the wait.
        let other = locks.acquire(AccountId(8)).await.unwrap();
        let err = locks.acquire(AccountId(7)).await.unwrap_err();
        assert_eq!(err.code(), "storage");
        assert!(err.message().contains("refreshing"), "{}", err.message());

        // Released: the waiter gets in.
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.acquire(AccountId(7)).await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        waiter.await.unwrap().unwrap();
        drop(other);

        // A folder removed meanwhile is made again.
        std::fs::remove_dir_all(dir.path().join(LOCK_DIR)).unwrap();
        locks.acquire(AccountId(9)).await.unwrap();
        assert!(locks.path_of(AccountId(9)).exists());
    }
}
