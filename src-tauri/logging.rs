//! Log set-up: `tracing` to stderr and to a daily rolling file, every line redacted first.
//!
//! The level comes from `AUTHDECK_LOG` (comma-separated `target=level` directives and a bare
//! level, such as `debug` or `debug,authdeck=trace`; read as a [`Targets`] filter), `info` by
//! default. Each formatted line passes through [`crate::redact::redact`] before it reaches any
//! writer, so no call site can leak a secret.
//!
//! The HTML parser behind the markdown preview (`html5ever`, via `ammonia`) quotes the document
//! it parses in its debug output, so those targets stay at `warn` (see [`QUIET_TARGETS`]) unless
//! `AUTHDECK_LOG` names one of them itself (`debug,html5ever=trace`).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{ParseError, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::redact::redact;

/// The environment variable that sets the log filter.
pub const LOG_FILTER_VAR: &str = "AUTHDECK_LOG";

/// The filter used when `AUTHDECK_LOG` is unset, empty or not understood.
pub const DEFAULT_LEVEL: &str = "info";

/// Targets that quote previewed post bodies when they log at debug or trace level: they are held
/// at `warn` (or lower, when the filter asks for less everywhere) unless named explicitly.
pub const QUIET_TARGETS: [&str; 3] = ["html5ever", "markup5ever", "ammonia"];

/// Log files are named `authdeck.<date>.log`; this many days are kept.
pub const KEPT_LOG_FILES: usize = 14;

/// Installs the global subscriber: stderr always, plus a rolling file in `log_dir` when it can
/// be created. Returns the directory the file logs go to, or `None` when only stderr is used.
/// Also routes panic messages through the log, so they are redacted like any other line.
/// Calling it a second time changes nothing and returns `None`.
pub fn init(log_dir: Option<&Path>) -> Option<PathBuf> {
    let wanted = std::env::var(LOG_FILTER_VAR).ok();
    let (filter, understood) = build_filter(wanted.as_deref());
    let filter = || {
        parse_targets(&filter)
            .or_else(|_| parse_targets(&filter_directives(None)))
            .unwrap_or_default()
    };
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
    if !understood {
        tracing::warn!(
            "{LOG_FILTER_VAR} was not understood; logging at {DEFAULT_LEVEL}. Give a level \
             (off, error, warn, info, debug, trace) or levels per target, such as \
             `info,authdeck=debug`"
        );
    }
    if let Some(err) = file_error {
        tracing::warn!("logging to stderr only: could not open the log directory: {err}");
        return None;
    }
    log_dir.map(Path::to_path_buf)
}

/// The filter directives for `wanted` (the value of `AUTHDECK_LOG`, if any): `wanted` itself, or
/// [`DEFAULT_LEVEL`], then `target=warn` for each of [`QUIET_TARGETS`] that it does not name.
/// When the filter's general level is `error` or `off`, the quiet targets get that level instead.
pub fn filter_directives(wanted: Option<&str>) -> String {
    let wanted = wanted.map(str::trim).filter(|w| !w.is_empty());
    let mut directives = wanted.unwrap_or(DEFAULT_LEVEL).to_string();
    let parts: Vec<&str> = directives.split(',').map(str::trim).collect();
    let named = |target: &str| {
        parts.iter().any(|part| {
            let name = part.split(['[', '=']).next().unwrap_or("").trim();
            name == target
        })
    };
    // The last bare level wins in `Targets`, as it does here.
    let general = parts
        .iter()
        .rev()
        .find_map(|part| {
            let level = part.to_ascii_lowercase();
            ["off", "error", "warn", "info", "debug", "trace"]
                .contains(&level.as_str())
                .then_some(level)
        })
        .unwrap_or_default();
    let quiet_level = match general.as_str() {
        "off" | "error" => general.as_str(),
        _ => "warn",
    };
    let added: Vec<String> = QUIET_TARGETS
        .iter()
        .filter(|target| !named(target))
        .map(|target| format!("{target}={quiet_level}"))
        .collect();
    for directive in added {
        directives.push(',');
        directives.push_str(&directive);
    }
    directives
}

/// The directives to use and whether `wanted` was understood (if not, the default is used).
fn build_filter(wanted: Option<&str>) -> (String, bool) {
    let directives = filter_directives(wanted);
    if parse_targets(&directives).is_ok() {
        (directives, true)
    } else {
        (filter_directives(None), false)
    }
}

/// Parses `directives` (comma-separated `target=level` and bare levels) into a [`Targets`]
/// filter. Blanks around a directive and empty directives are dropped first: `Targets` would
/// read `debug, authdeck=trace` as a target " authdeck", and an empty directive as "every
/// target at trace". Span and field filters (`target[span]=level`) are refused rather than
/// read as a target of that name (which would silence every other line).
fn parse_targets(directives: &str) -> Result<Targets, String> {
    let cleaned: Vec<&str> = directives
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .collect();
    let is_target_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.');
    if let Some(odd) = cleaned.iter().find(|directive| {
        let target = directive.split('=').next().unwrap_or_default();
        !target.chars().all(is_target_char)
    }) {
        return Err(format!("`{odd}` is not a level or a target=level"));
    }
    cleaned
        .join(",")
        .parse()
        .map_err(|err: ParseError| err.to_string())
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

    #[test]
    fn default_and_debug_filters_keep_the_html_parser_quiet() {
        let quiet = "html5ever=warn,markup5ever=warn,ammonia=warn";
        assert_eq!(filter_directives(None), format!("info,{quiet}"));
        assert_eq!(filter_directives(Some("  ")), format!("info,{quiet}"));
        assert_eq!(filter_directives(Some("debug")), format!("debug,{quiet}"));
        assert_eq!(
            filter_directives(Some("authdeck=trace")),
            format!("authdeck=trace,{quiet}")
        );
        assert_eq!(
            filter_directives(Some("debug,html5ever::tokenizer=trace")),
            format!("debug,html5ever::tokenizer=trace,{quiet}")
        );
        assert_eq!(
            filter_directives(Some("error")),
            "error,html5ever=error,markup5ever=error,ammonia=error"
        );
        assert_eq!(
            build_filter(Some("debug")),
            (format!("debug,{quiet}"), true)
        );
        assert_eq!(
            build_filter(Some("no such=level=x")),
            (format!("info,{quiet}"), false)
        );
    }

    #[test]
    fn html_parser_targets_named_explicitly_are_left_as_asked() {
        assert_eq!(
            filter_directives(Some("debug,html5ever=trace")),
            "debug,html5ever=trace,markup5ever=warn,ammonia=warn"
        );
        assert_eq!(
            filter_directives(Some("ammonia=debug,markup5ever[span]=info")),
            "ammonia=debug,markup5ever[span]=info,html5ever=warn"
        );
    }

    #[test]
    fn the_filter_reads_target_levels_bare_levels_and_blanks() {
        use tracing::Level;
        let targets = parse_targets(" debug , authdeck=trace ,, html5ever=warn,").unwrap();
        assert!(targets.would_enable("authdeck::tokens", &Level::TRACE));
        assert!(targets.would_enable("tauri::app", &Level::DEBUG));
        assert!(!targets.would_enable("tauri::app", &Level::TRACE));
        assert!(!targets.would_enable("html5ever::tokenizer", &Level::DEBUG));
        assert!(targets.would_enable("html5ever::tokenizer", &Level::WARN));
        // The last bare level wins.
        let targets = parse_targets("debug,error").unwrap();
        assert!(!targets.would_enable("authdeck", &Level::WARN));
        assert!(targets.would_enable("authdeck", &Level::ERROR));
        // Without a bare level only the named targets log.
        let targets = parse_targets("authdeck=info").unwrap();
        assert!(targets.would_enable("authdeck::vault", &Level::INFO));
        assert!(!targets.would_enable("tauri", &Level::ERROR));
        assert!(parse_targets("authdeck=loud").is_err());
        // A span filter is refused, not read as a target named `authdeck[span]` alone.
        assert!(parse_targets("authdeck[span]=debug").is_err());
        assert!(!build_filter(Some("debug,authdeck[refresh]=trace")).1);
        assert!(build_filter(Some("info,authdeck::tokens=debug,tao-x=warn")).1);
    }

    #[test]
    fn debug_logging_drops_the_html_parsers_debug_lines() {
        let captured = Captured::default();
        let (directives, _) = build_filter(Some("debug"));
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Redacting(captured.clone()))
                .with_filter(parse_targets(&directives).unwrap()),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "html5ever::tree_builder", "quoting the draft body");
            tracing::debug!(target: "markup5ever::interface", "quoting the draft body");
            tracing::trace!(target: "ammonia", "quoting the draft body");
            tracing::warn!(target: "html5ever::tokenizer", "parser warning kept");
            tracing::debug!(target: "authdeck::compose", "own debug line kept");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("draft body"), "{text}");
        assert!(text.contains("parser warning kept"), "{text}");
        assert!(text.contains("own debug line kept"), "{text}");
    }
}
