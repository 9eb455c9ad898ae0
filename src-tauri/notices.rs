//! Short messages for the window about things that happened outside it (a link arrived, a link
//! was refused), queued until the window takes them, so none is lost before the page loads.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// How many notices wait at most; older ones are dropped first.
pub const MAX_WAITING: usize = 20;

/// How much a notice matters to the person reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something happened; nothing to do.
    Info,
    /// Something was refused or went wrong; the text says what to do.
    Warning,
}

/// One message for the window. Its text never holds a query value or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// How much it matters.
    pub level: Level,
    /// What happened, in plain words.
    pub text: String,
}

/// The queue of notices the window has not taken yet.
#[derive(Debug, Default)]
pub struct Notices {
    waiting: Mutex<VecDeque<Notice>>,
}

impl Notices {
    /// Queues a notice, dropping the oldest when [`MAX_WAITING`] are already waiting.
    pub fn push(&self, notice: Notice) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if waiting.len() == MAX_WAITING {
            waiting.pop_front();
        }
        waiting.push_back(notice);
    }

    /// Takes every waiting notice, oldest first.
    pub fn take(&self) -> Vec<Notice> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(n: usize) -> Notice {
        Notice {
            level: Level::Info,
            text: n.to_string(),
        }
    }

    #[test]
    fn take_returns_oldest_first_and_empties_the_queue() {
        let notices = Notices::default();
        notices.push(notice(1));
        notices.push(notice(2));
        assert_eq!(notices.take(), [notice(1), notice(2)]);
        assert!(notices.take().is_empty());
    }

    #[test]
    fn keeps_only_the_newest_when_full() {
        let notices = Notices::default();
        (0..MAX_WAITING + 5).for_each(|n| notices.push(notice(n)));
        let taken = notices.take();
        assert_eq!(taken.len(), MAX_WAITING);
        assert_eq!(taken[0], notice(5));
    }
}
