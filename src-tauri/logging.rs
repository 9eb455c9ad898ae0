//! Log set-up: `tracing` to stderr and to a daily rolling file, every line redacted first.
//!
//! The level comes from `AUTHDECK_LOG` (an `EnvFilter` directive such as `debug` or
//! `authdeck=trace`), `info` by default. Each formatted line passes through
//! [`crate::redact::redact`] before it reaches any writer, so no call site can leak a secret.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::redact::redact;

/// The environment variable that sets the log filter.
pub const LOG_FILTER_VAR: &str = "AUTHDECK_LOG";

/// Log files are named `authdeck.<date>.log`; this many days are kept.
pub const KEPT_LOG_FILES: usize = 14;

/// Installs the global subscriber: stderr always, plus a rolling file in `log_dir` when it can
/// be created. Returns the directory the file logs go to, or `None` when only stderr is used.
/// Also routes panic messages through the log, so they are redacted like any other line.
/// Calling it a second time changes nothing and returns `None`.
pub fn init(log_dir: Option<&Path>) -> Option<PathBuf> {
    let filter =
        || EnvFilter::try_from_env(LOG_FILTER_VAR).unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_ansi(io::stderr().is_terminal())
        .with_writer(Redacting(io::stderr))
        .with_filter(filter());
    let (file, file_error) = match log_dir.map(open_rolling_file) {
        Some(Ok(appender)) => (Some(appender), None),
        Some(Err(err)) => (None, Some(err)),
        None => (None, None),
    };
    let file_layer = file.map(|appender| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(Redacting(appender))
            .with_filter(filter())
    });
    let installed = tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .try_init()
        .is_ok();
    if !installed {
        return None;
    }
    install_panic_hook();
    if let Some(err) = file_error {
        tracing::warn!("logging to stderr only: could not open the log directory: {err}");
        return None;
    }
    log_dir.map(Path::to_path_buf)
}

fn open_rolling_file(dir: &Path) -> Result<RollingFileAppender, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("authdeck")
        .filename_suffix("log")
        .max_log_files(KEPT_LOG_FILES)
        .build(dir)?;
    Ok(appender)
}

/// Panics go to the log (redacted) instead of raw stderr: a panic message may quote a value.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(target: "authdeck::panic", "{info}");
    }));
}

/// A [`MakeWriter`] whose writers collect one formatted line and write it redacted on drop.
#[derive(Debug, Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            pending: Vec::new(),
            inner: self.0.make_writer(),
        }
    }
}

/// Buffers what the formatter writes and hands it on, redacted, when dropped or flushed.
pub struct RedactingWriter<W: Write> {
    pending: Vec<u8>,
    inner: W,
}

impl<W: Write> RedactingWriter<W> {
    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending);
        let result = self.inner.write_all(redact(&text).as_bytes());
        self.pending.clear();
        result
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn log_lines_are_redacted_before_they_are_written() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(Redacting(captured.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                url = "authdeck://callback?code=abc123&state=xyz",
                "link arrived"
            );
            tracing::warn!("refresh_token=short-secret kept");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("link arrived") && text.contains("kept"),
            "{text}"
        );
        for secret in ["abc123", "xyz", "short-secret"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
}
