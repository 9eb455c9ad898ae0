//! The release packages `scripts/test.sh` builds (`tauri build --bundles deb,rpm`), and a
//! scratch root that dpkg installs the `.deb` into, so the tests never touch the machine's
//! own packages.
//!
//! `AUTHDECK_DEB` and `AUTHDECK_RPM` may name other packages to check.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The package's name (`Package:` in the `.deb`, `Name` in the `.rpm`).
pub const PACKAGE: &str = "authdeck";

/// The package's desktop entry (the bundler names it after the product).
pub const DESKTOP_ENTRY: &str = "usr/share/applications/Authdeck.desktop";

/// The files both packages must install (paths without the leading `/`).
pub const PACKAGED_FILES: [&str; 7] = [
    "usr/bin/authdeck",
    DESKTOP_ENTRY,
    "usr/share/doc/authdeck/copyright",
    "usr/share/icons/hicolor/48x48/apps/authdeck.png",
    "usr/share/icons/hicolor/64x64/apps/authdeck.png",
    "usr/share/icons/hicolor/128x128/apps/authdeck.png",
    "usr/share/icons/hicolor/scalable/apps/authdeck.svg",
];

/// The release `.deb`: `AUTHDECK_DEB`, else the newest under `target/release/bundle/deb`.
pub fn built_deb() -> PathBuf {
    built("AUTHDECK_DEB", "deb")
}

/// The release `.rpm`: `AUTHDECK_RPM`, else the newest under `target/release/bundle/rpm`.
pub fn built_rpm() -> PathBuf {
    built("AUTHDECK_RPM", "rpm")
}

fn built(variable: &str, kind: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/release/bundle")
        .join(kind);
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == kind))
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| {
            panic!(
                "no .{kind} in {}: build the release packages with \
                 `npx tauri build --bundles deb,rpm` (scripts/test.sh does)",
                dir.display()
            )
        })
}

/// Runs `command` and returns its output; panics (naming `what`) if it cannot start or fails.
pub fn run_ok(what: &str, command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{what} does not start: {err}"));
    assert!(
        output.status.success(),
        "{what} exited with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// One field of the `.deb`'s control file (`dpkg-deb -f`), empty when it is missing.
pub fn control_field(deb: &Path, field: &str) -> String {
    let output = run_ok(
        "dpkg-deb -f",
        Command::new("dpkg-deb").arg("-f").arg(deb).arg(field),
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The `.deb`'s files, unpacked (`dpkg-deb -x`) into a temporary directory.
pub fn unpack(deb: &Path) -> TempDir {
    let dir = tempfile::tempdir().expect("a directory to unpack the .deb in");
    run_ok(
        "dpkg-deb -x",
        Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir.path()),
    );
    dir
}

/// A root directory with its own, empty dpkg database, for `dpkg --root`: dpkg installs,
/// tracks and removes the package there as on a real system, without the machine's own
/// packages (so the package's dependencies are forced: the machine provides the libraries).
/// It holds none of the machine's packages, so no dpkg trigger runs there:
/// [`ScratchRoot::run_desktop_trigger`] does what desktop-file-utils' trigger does.
pub struct ScratchRoot {
    dir: TempDir,
}

/// dpkg's database, relative to the root.
const ADMIN_DIR: &str = "var/lib/dpkg";

impl ScratchRoot {
    /// An empty root with an empty dpkg database.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a scratch root");
        let admin = dir.path().join(ADMIN_DIR);
        for sub in ["info", "updates", "triggers"] {
            std::fs::create_dir_all(admin.join(sub)).expect("the dpkg database's directories");
        }
        for file in ["status", "available"] {
            std::fs::write(admin.join(file), "").expect("an empty dpkg database");
        }
        Self { dir }
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `path` (relative, as in a package listing) inside the root.
    pub fn join(&self, path: &str) -> PathBuf {
        self.path().join(path.trim_start_matches('/'))
    }

    /// Runs dpkg on this root with `args`, and panics when it fails.
    pub fn dpkg(&self, args: &[&str]) -> Output {
        let root = format!("--root={}", self.path().display());
        run_ok(
            &format!("dpkg {}", args.join(" ")),
            Command::new("dpkg")
                .arg(root)
                // The machine's dpkg log is no place for a test; --force-not-root lets a
                // person who is not root run the tests (the files are theirs then).
                .args(["--log=/dev/null", "--force-not-root"])
                .args(args)
                // dpkg wants ldconfig and start-stop-daemon on PATH, which lacks sbin for
                // most people who are not root.
                .env(
                    "PATH",
                    format!(
                        "{}:/usr/sbin:/sbin",
                        std::env::var("PATH").unwrap_or_default()
                    ),
                ),
        )
    }

    /// Installs `deb` (`dpkg --root -i`), then runs the desktop trigger.
    pub fn install(&self, deb: &Path) {
        let deb = deb.to_str().expect("a UTF-8 path to the .deb");
        self.dpkg(&["--force-depends", "-i", deb]);
        self.run_desktop_trigger();
    }

    /// Purges the package (`dpkg --root --purge`), then runs the desktop trigger.
    pub fn purge(&self) {
        self.dpkg(&["--purge", PACKAGE]);
        self.run_desktop_trigger();
    }

    /// The files dpkg says the installed package owns (`dpkg -L`), relative to the root.
    pub fn listed_files(&self) -> Vec<String> {
        let listing = self.dpkg(&["-L", PACKAGE]);
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .map(|line| line.trim_start_matches('/').to_owned())
            .filter(|path| self.join(path).is_file())
            .collect()
    }

    /// What desktop-file-utils' dpkg trigger does when a package adds or removes a file in
    /// `/usr/share/applications`: `update-desktop-database`, which writes the MIME cache that
    /// `xdg-mime` and GIO read the default opener of `authdeck://` links from.
    pub fn run_desktop_trigger(&self) {
        let applications = self.join("usr/share/applications");
        if applications.is_dir() {
            run_ok(
                "update-desktop-database (package desktop-file-utils)",
                Command::new("update-desktop-database").arg(&applications),
            );
        }
    }

    /// Every file under the root outside dpkg's database, relative to the root.
    pub fn files(&self) -> Vec<String> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(self.path(), &mut found);
        let admin = self.join(ADMIN_DIR);
        found
            .into_iter()
            .filter(|path| !path.starts_with(&admin))
            .map(|path| {
                path.strip_prefix(self.path())
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect()
    }
}

impl Default for ScratchRoot {
    fn default() -> Self {
        Self::new()
    }
}
