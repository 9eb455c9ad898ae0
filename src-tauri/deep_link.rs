//! `authdeck://` links: the shape check for links that reach the app from the browser or the
//! desktop, and the development builds' registration of the scheme with a Linux desktop.
//!
//! Links arrive from outside (a second launch, the URL handler, a web page), so nothing here
//! trusts them: the check refuses anything that is not an `authdeck://callback` link carrying a
//! query, never panics, and the accepted [`CallbackLink`] hides its query values when printed.
//!
//! Installed packages declare the scheme in their own `.desktop` file. A development build is
//! not installed, so it writes a handler entry for the current user ([`HANDLER_FILE`], see
//! [`register_development_handler`]) when [`should_register`] says so. The entry is written here
//! rather than by the deep-link plugin: the plugin always quotes the `Exec` path, and the
//! generic `xdg-open` (no GNOME or KDE: i3, sway, bare X) cannot start a quoted command.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use url::Url;

/// The URL scheme Authdeck registers with the desktop.
pub const SCHEME: &str = "authdeck";

/// The one link target Authdeck understands: the provider's redirect after consent.
pub const CALLBACK_TARGET: &str = "callback";

/// Longer links are refused before parsing (a redirect carries a few hundred bytes).
pub const MAX_LINK_BYTES: usize = 8 * 1024;

/// How many query keys a notice or a log line names at most.
const MAX_KEYS_SHOWN: usize = 8;

/// A link that passed the shape check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    /// `authdeck://callback?...`: a provider's redirect back after the consent page.
    Callback(CallbackLink),
}

/// An `authdeck://callback?...` link. Its query holds a code or token, so `Debug` shows only keys.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackLink {
    url: Url,
}

impl CallbackLink {
    /// The whole URL, for the callback parser. Never log or display it.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The names of the query parameters (not their values), printable and shortened, for
    /// notices and logs. Keys that are not plain identifiers are shown as `?`.
    pub fn query_keys(&self) -> Vec<String> {
        self.url
            .query_pairs()
            .take(MAX_KEYS_SHOWN)
            .map(|(key, _)| displayable_key(&key))
            .collect()
    }
}

impl fmt::Debug for CallbackLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackLink")
            .field("query_keys", &self.query_keys())
            .finish()
    }
}

/// Why a link was refused; each message says what was wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeepLinkError {
    /// The link is longer than [`MAX_LINK_BYTES`].
    #[error("the link is {0} bytes long; Authdeck links are at most {MAX_LINK_BYTES} bytes")]
    TooLong(usize),
    /// The text is not a URL at all.
    #[error("the link is not a valid URL")]
    NotAUrl,
    /// A URL of another scheme (`https:`, `file:`, ...).
    #[error("the link starts with '{0}:', but Authdeck only opens 'authdeck://' links")]
    WrongScheme(String),
    /// User name, password or port in the link: Authdeck links never carry them.
    #[error("the link carries a user name, password or port, which Authdeck links never have")]
    UnexpectedAuthority,
    /// An `authdeck://` link to something other than `callback`.
    #[error("the link asks for '{0}', but Authdeck only understands 'authdeck://callback'")]
    UnknownTarget(String),
    /// `authdeck://callback` with a path after it.
    #[error("the link has a path after 'authdeck://callback'; the provider's redirect has none")]
    UnexpectedPath,
    /// A callback without a query: the provider always sends its answer in the query.
    #[error("the sign-in link carries no answer from the provider (it has no '?...' part)")]
    EmptyCallback,
    /// A fragment (`#...`): Hivesigner and SteemLogin answer in the query, never a fragment.
    #[error("the sign-in link carries its answer after '#', which the providers never do")]
    UnexpectedFragment,
}

/// Checks that `raw` is an `authdeck://callback?...` link and returns it typed.
pub fn check(raw: &str) -> Result<DeepLink, DeepLinkError> {
    if raw.len() > MAX_LINK_BYTES {
        return Err(DeepLinkError::TooLong(raw.len()));
    }
    let url = Url::parse(raw.trim()).map_err(|_| DeepLinkError::NotAUrl)?;
    if url.scheme() != SCHEME {
        return Err(DeepLinkError::WrongScheme(shorten(url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(DeepLinkError::UnexpectedAuthority);
    }
    match url.host_str() {
        Some(CALLBACK_TARGET) => {}
        Some(other) => return Err(DeepLinkError::UnknownTarget(shorten(other))),
        None => return Err(DeepLinkError::UnknownTarget(shorten(url.path()))),
    }
    if !matches!(url.path(), "" | "/") {
        return Err(DeepLinkError::UnexpectedPath);
    }
    if url.fragment().is_some() {
        return Err(DeepLinkError::UnexpectedFragment);
    }
    if url.query().is_none_or(str::is_empty) {
        return Err(DeepLinkError::EmptyCallback);
    }
    Ok(DeepLink::Callback(CallbackLink { url }))
}

/// Cuts untrusted text for a message: at most 40 printable characters.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        short.push('…');
    }
    short
}

fn displayable_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 32
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        key.to_owned()
    } else {
        "?".to_owned()
    }
}

/// The file name of the development handler entry, in `$XDG_DATA_HOME/applications`.
pub const HANDLER_FILE: &str = "authdeck-handler.desktop";

/// The MIME type a desktop uses to pick the opener of `authdeck://` links.
pub const SCHEME_MIME_TYPE: &str = "x-scheme-handler/authdeck";

/// Where installed copies live (the `.deb` puts the app in `/usr/bin`). An executable under one
/// of them never writes the development handler.
const INSTALLED_PREFIXES: [&str; 2] = ["/usr/", "/opt/"];

/// The characters for which the Desktop Entry spec requires an `Exec` argument to be quoted.
const RESERVED_IN_EXEC: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// Why the development handler could not be written or made the default.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The executable's path cannot be written in a desktop entry (not UTF-8, or a control
    /// character the format has no escape for).
    #[error("the path {0:?} cannot be written in a desktop entry")]
    UnsupportedPath(PathBuf),
    /// Neither `XDG_DATA_HOME` nor `HOME` names a directory.
    #[error("neither XDG_DATA_HOME nor HOME is set, so there is no applications directory")]
    NoDataHome,
    /// The entry could not be written.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file or directory that could not be written.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// `xdg-mime` ran but did not make the entry the default handler.
    #[error("xdg-mime could not make {HANDLER_FILE} the opener of authdeck:// links: {0}")]
    DefaultHandler(String),
}

/// Whether this executable should register itself as the `authdeck://` handler at start-up:
/// only development (debug) builds, and never an installed copy (under `/usr/` or `/opt/`),
/// which has its package's entry, even when the package was built in debug mode.
pub fn should_register(exe: &Path, debug_build: bool) -> bool {
    debug_build
        && !INSTALLED_PREFIXES
            .iter()
            .any(|prefix| exe.starts_with(prefix))
}

/// Writes the development handler entry for `exe` to `$XDG_DATA_HOME/applications` (default
/// `~/.local/share/applications`) and makes it the default opener of `authdeck://` links with
/// `xdg-mime` (after refreshing the MIME cache with `update-desktop-database`). A missing tool
/// is logged as a warning, not an error. Returns the entry's path.
pub fn register_development_handler(exe: &Path) -> Result<PathBuf, HandlerError> {
    let data_home = data_home(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
        .ok_or(HandlerError::NoDataHome)?;
    let applications = data_home.join("applications");
    let entry = write_handler(&applications, exe)?;

    // The cache is only an optimisation: a failure there is not worth more than a warning.
    if let Err(problem) = run_tool(Command::new("update-desktop-database").arg(&applications)) {
        tracing::warn!("update-desktop-database: {problem}");
    }
    match run_tool(Command::new("xdg-mime").args(["default", HANDLER_FILE, SCHEME_MIME_TYPE])) {
        Ok(()) => Ok(entry),
        Err(ToolProblem::Missing) => {
            tracing::warn!(
                "xdg-mime is not installed (package xdg-utils): the authdeck:// handler was \
                 written but not made the default"
            );
            Ok(entry)
        }
        Err(problem) => Err(HandlerError::DefaultHandler(problem.to_string())),
    }
}

/// Writes the development handler entry for `exe` into `applications` (created if missing),
/// atomically: readers see the old entry or the new one, never half a file. Returns its path.
fn write_handler(applications: &Path, exe: &Path) -> Result<PathBuf, HandlerError> {
    let content = handler_entry(exe)?;
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| HandlerError::Write { path, source }
    };
    std::fs::create_dir_all(applications).map_err(failed(applications))?;
    let target = applications.join(HANDLER_FILE);
    let partial = applications.join(format!(".{HANDLER_FILE}.{}.partial", std::process::id()));
    let written = std::fs::File::create(&partial)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, &target));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(&target)(source));
    }
    Ok(target)
}

/// The development handler entry for `exe`: a hidden application that opens `authdeck://`
/// links with the link as its one argument.
pub fn handler_entry(exe: &Path) -> Result<String, HandlerError> {
    Ok(format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Name=Authdeck (development)\n\
         Exec={exec}\n\
         Terminal=false\n\
         NoDisplay=true\n\
         MimeType={SCHEME_MIME_TYPE};\n",
        exec = exec_value(exe)?,
    ))
}

/// The `Exec` value that starts `exe` with one URL (`%u`), in the Desktop Entry spec's syntax.
///
/// The path is quoted only when it holds a reserved character: Debian's `xdg-open` in its
/// generic mode (no desktop detected) splits `Exec` on spaces and cannot start a quoted command
/// ("Permission denied"). A path that needs quotes gets the spec's form, which `gio open` (GLib)
/// reads correctly but the generic `xdg-open` may still not: keep development checkouts in
/// paths without spaces or shell characters on such desktops.
///
/// Three layers of escaping, innermost first, as the spec orders them: inside the quotes `"`,
/// `` ` ``, `$` and `\` get a backslash; a literal `%` is doubled (`%%`, not a field code); and
/// the value as a whole gets the string escapes (`\\`, `\t`, `\n`, `\r`), so a literal
/// backslash in a quoted path is written as four.
fn exec_value(exe: &Path) -> Result<String, HandlerError> {
    let unsupported = || HandlerError::UnsupportedPath(exe.to_owned());
    let path = exe.to_str().ok_or_else(unsupported)?;
    if path.is_empty()
        || path
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(unsupported());
    }
    let argument = if path.contains(RESERVED_IN_EXEC) {
        let mut quoted = String::with_capacity(path.len() + 2);
        quoted.push('"');
        for c in path.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        path.to_owned()
    };
    let exec = format!("{} %u", argument.replace('%', "%%"));
    let mut value = String::with_capacity(exec.len());
    for c in exec.chars() {
        match c {
            '\\' => value.push_str("\\\\"),
            '\t' => value.push_str("\\t"),
            '\n' => value.push_str("\\n"),
            '\r' => value.push_str("\\r"),
            c => value.push(c),
        }
    }
    Ok(value)
}

/// `$XDG_DATA_HOME` when it is an absolute path (the Base Directory spec ignores relative ones),
/// else `$HOME/.local/share`.
fn data_home(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    xdg_data_home
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            home.filter(|home| !home.is_empty())
                .map(|home| PathBuf::from(home).join(".local/share"))
        })
}

/// Why a desktop tool did not do its job.
#[derive(Debug)]
enum ToolProblem {
    /// The tool is not installed.
    Missing,
    /// It could not be started, or it exited with a failure (with what it printed).
    Failed(String),
}

impl fmt::Display for ToolProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolProblem::Missing => f.write_str("not installed"),
            ToolProblem::Failed(detail) => f.write_str(detail),
        }
    }
}

/// Runs a desktop tool to its end, with its output captured (for the error, not the terminal).
fn run_tool(command: &mut Command) -> Result<(), ToolProblem> {
    let output = match command.output() {
        Ok(output) => output,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(ToolProblem::Missing),
        Err(err) => return Err(ToolProblem::Failed(err.to_string())),
    };
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    Err(ToolProblem::Failed(format!(
        "{}: {}",
        output.status,
        shorten(said.trim())
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(raw: &str) -> Vec<String> {
        match check(raw) {
            Ok(DeepLink::Callback(link)) => link.query_keys(),
            Err(err) => panic!("{raw} refused: {err}"),
        }
    }

    #[test]
    fn accepts_callback_links_in_the_shapes_providers_send() {
        assert_eq!(
            keys("authdeck://callback?code=abc&state=xyz"),
            ["code", "state"]
        );
        assert_eq!(
            keys("authdeck://callback/?state=s&code=c&username=alice"),
            ["state", "code", "username"]
        );
        assert_eq!(
            keys("authdeck://callback?access_token=t&expires_in=604800&username=u&state=s"),
            ["access_token", "expires_in", "username", "state"]
        );
        assert_eq!(keys("  authdeck://callback?code=c\n"), ["code"]);
    }

    #[test]
    fn refuses_other_shapes_with_their_own_reason() {
        let cases = [
            ("", DeepLinkError::NotAUrl),
            ("callback?code=1", DeepLinkError::NotAUrl),
            (
                "https://callback?code=1",
                DeepLinkError::WrongScheme("https".into()),
            ),
            (
                "authdeck://settings?x=1",
                DeepLinkError::UnknownTarget("settings".into()),
            ),
            (
                "authdeck:callback?code=1",
                DeepLinkError::UnknownTarget("callback".into()),
            ),
            (
                "authdeck://user:pw@callback?code=1",
                DeepLinkError::UnexpectedAuthority,
            ),
            (
                "authdeck://callback:8080?code=1",
                DeepLinkError::UnexpectedAuthority,
            ),
            (
                "authdeck://callback/extra?code=1",
                DeepLinkError::UnexpectedPath,
            ),
            ("authdeck://callback", DeepLinkError::EmptyCallback),
            ("authdeck://callback?", DeepLinkError::EmptyCallback),
            (
                "authdeck://callback#access_token=t",
                DeepLinkError::UnexpectedFragment,
            ),
        ];
        for (raw, expected) in cases {
            assert_eq!(check(raw), Err(expected), "{raw}");
        }
    }

    #[test]
    fn refuses_overlong_links_before_parsing() {
        let raw = format!("authdeck://callback?code={}", "a".repeat(MAX_LINK_BYTES));
        assert_eq!(check(&raw), Err(DeepLinkError::TooLong(raw.len())));
    }

    #[test]
    fn debug_output_and_keys_never_show_values() {
        let DeepLink::Callback(link) = check("authdeck://callback?code=SECRETCODE&<b>=x").unwrap();
        let printed = format!("{link:?}");
        assert!(!printed.contains("SECRETCODE"), "{printed}");
        assert_eq!(link.query_keys(), ["code", "?"]);
    }

    #[test]
    fn messages_shorten_untrusted_text() {
        let long_target = format!("authdeck://{}?x=1", "t".repeat(300));
        let message = check(&long_target).unwrap_err().to_string();
        assert!(message.len() < 140, "{message}");
    }

    #[test]
    fn exec_line_leaves_a_plain_path_unquoted() {
        let exe = Path::new("/home/me/authdeck/target/debug/authdeck");
        let entry = handler_entry(exe).unwrap();
        assert!(
            entry
                .lines()
                .any(|line| line == "Exec=/home/me/authdeck/target/debug/authdeck %u"),
            "{entry}"
        );
    }

    #[test]
    fn exec_line_quotes_and_escapes_a_path_with_reserved_characters() {
        let exec = |path: &str| exec_value(Path::new(path)).unwrap();
        assert_eq!(
            exec("/home/me/my projects/authdeck"),
            r#""/home/me/my projects/authdeck" %u"#
        );
        // Quoting escapes `"`, `$`, `` ` `` and `\`; the string escape then doubles every `\`.
        assert_eq!(
            exec(r#"/home/me/a "b" $c `d` \e/authdeck"#),
            r#""/home/me/a \\"b\\" \\$c \\`d\\` \\\\e/authdeck" %u"#
        );
        assert_eq!(exec("/tmp/50%/authdeck"), "/tmp/50%%/authdeck %u");
        assert_eq!(exec("/tmp/a\tb/authdeck"), r#""/tmp/a\tb/authdeck" %u"#);
        for reserved in RESERVED_IN_EXEC {
            let value = exec(&format!("/tmp/x{reserved}y/authdeck"));
            assert!(
                value.starts_with('"'),
                "{reserved:?} left unquoted: {value}"
            );
        }
        assert!(matches!(
            exec_value(Path::new("/tmp/a\u{7}b")),
            Err(HandlerError::UnsupportedPath(_))
        ));
    }

    #[test]
    fn only_debug_builds_outside_install_prefixes_register() {
        let checkout = Path::new("/home/me/authdeck/target/debug/authdeck");
        assert!(should_register(checkout, true));
        assert!(!should_register(checkout, false));
        for installed in [
            "/usr/bin/authdeck",
            "/usr/local/bin/authdeck",
            "/opt/authdeck/authdeck",
        ] {
            assert!(!should_register(Path::new(installed), true), "{installed}");
        }
        // Component-wise: a directory merely starting with "usr" is no install prefix.
        assert!(should_register(Path::new("/usrdata/authdeck"), true));
    }

    #[test]
    fn handler_file_declares_the_scheme_and_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let applications = dir.path().join("applications");
        let exe = Path::new("/home/me/authdeck/target/debug/authdeck");
        let path = write_handler(&applications, Path::new("/old/authdeck")).unwrap();
        assert_eq!(write_handler(&applications, exe).unwrap(), path);
        assert_eq!(path, applications.join(HANDLER_FILE));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[Desktop Entry]\n\
             Type=Application\n\
             Name=Authdeck (development)\n\
             Exec=/home/me/authdeck/target/debug/authdeck %u\n\
             Terminal=false\n\
             NoDisplay=true\n\
             MimeType=x-scheme-handler/authdeck;\n"
        );
        let names: Vec<_> = std::fs::read_dir(&applications)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [HANDLER_FILE], "no partial file is left behind");
    }

    #[test]
    fn data_home_follows_the_base_directory_spec() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(
            data_home(os("/x/data"), os("/home/me")),
            Some(PathBuf::from("/x/data"))
        );
        assert_eq!(
            data_home(os("relative"), os("/home/me")),
            Some(PathBuf::from("/home/me/.local/share"))
        );
        assert_eq!(
            data_home(None, os("/home/me")),
            Some(PathBuf::from("/home/me/.local/share"))
        );
        assert_eq!(data_home(None, None), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(raw in ".{0,300}") {
            let _ = check(&raw);
        }

        #[test]
        fn never_panics_on_callback_like_text(query in "[a-z=&?#%0-9]{0,80}") {
            if let Ok(DeepLink::Callback(link)) = check(&format!("authdeck://callback?{query}")) {
                proptest::prop_assert!(link.query_keys().len() <= MAX_KEYS_SHOWN);
            }
        }
    }
}
