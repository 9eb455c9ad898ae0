//! The release packages hold what a distribution expects: the `.deb`'s desktop entry declares
//! the `authdeck://` handler correctly, the control file names a maintainer, the libraries
//! the binary links and a keyring to recommend, the copyright file and changelog are Debian's,
//! the icons come in the usual sizes, and the `.rpm` installs the same files.
//!
//! Needs the packages: `scripts/test.sh` builds them (`npx tauri build --bundles deb,rpm`)
//! before the tests (and runs lintian on the `.deb`); `AUTHDECK_DEB` / `AUTHDECK_RPM` may
//! name others to check. `tests/package_install.rs` installs the `.deb` and uses it.

mod support;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use support::package::{
    built_deb, built_rpm, control_field, run_ok, unpack, DESKTOP_ENTRY, PACKAGED_FILES,
};

/// The `Recommends:` of the `.deb`: the Secret Service keyrings the tokens can live in.
const RECOMMENDED_KEYRINGS: &str = "gnome-keyring | keepassxc | kwalletmanager";

#[test]
#[ignore = "needs the release .deb: run scripts/test.sh"]
fn desktop_entry_opens_authdeck_links_with_the_url_argument() {
    let unpacked = unpack(&built_deb());

    let applications = unpacked.path().join("usr/share/applications");
    let entries: Vec<PathBuf> = std::fs::read_dir(&applications)
        .expect("the package installs a .desktop file")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(entries, [unpacked.path().join(DESKTOP_ENTRY)]);
    let text = std::fs::read_to_string(&entries[0]).unwrap();

    let exec = text
        .lines()
        .find(|line| line.starts_with("Exec="))
        .expect("an Exec line");
    assert_eq!(exec, "Exec=authdeck %u", "Exec must pass the URL on");
    let mime = text
        .lines()
        .find(|line| line.starts_with("MimeType="))
        .expect("a MimeType line");
    assert!(
        mime.split(['=', ';'])
            .any(|t| t == "x-scheme-handler/authdeck"),
        "{mime}"
    );
    assert!(text.contains("\nIcon=authdeck\n"), "{text}");

    let validate = Command::new("desktop-file-validate")
        .arg(&entries[0])
        .output()
        .expect("desktop-file-validate runs (package desktop-file-utils)");
    assert!(
        validate.status.success() && validate.stdout.is_empty(),
        "desktop-file-validate: {}",
        String::from_utf8_lossy(&validate.stdout)
    );

    let binary = unpacked.path().join("usr/bin/authdeck");
    assert!(binary.is_file(), "the package installs usr/bin/authdeck");
}

#[test]
#[ignore = "needs the release .deb: run scripts/test.sh"]
fn the_deb_names_its_maintainer_and_ships_copyright_changelog_and_icons() {
    let deb = built_deb();
    let maintainer = control_field(&deb, "Maintainer");
    assert!(
        maintainer.contains(" <") && maintainer.ends_with('>') && maintainer.contains('@'),
        "Maintainer must be a name and an address: {maintainer:?}"
    );
    assert_eq!(control_field(&deb, "Recommends"), RECOMMENDED_KEYRINGS);
    assert_eq!(control_field(&deb, "Section"), "utils");
    let version = control_field(&deb, "Version");
    assert_eq!(
        version,
        app_version(),
        "the .deb's version is tauri.conf.json's"
    );

    let unpacked = unpack(&deb);
    let copyright =
        std::fs::read_to_string(unpacked.path().join("usr/share/doc/authdeck/copyright"))
            .expect("the package installs its copyright file");
    assert!(
        copyright.starts_with(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        ),
        "the copyright file is not machine-readable:\n{copyright}"
    );
    assert!(copyright.contains("\nLicense: MIT\n"), "{copyright}");

    // Debian's changelog, whose newest entry is this version (lintian checks the format).
    let changelog = unpacked.path().join("usr/share/doc/authdeck/changelog.gz");
    let text = run_ok("gzip -dc", Command::new("gzip").arg("-dc").arg(&changelog)).stdout;
    let text = String::from_utf8_lossy(&text).into_owned();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/changelog");
    assert_eq!(
        text,
        std::fs::read_to_string(source).unwrap(),
        "packaging/changelog.gz is not packaging/changelog: run `gzip -9nkf packaging/changelog`"
    );
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("authdeck ({version}) ")),
        "the changelog's newest entry is not {version}: {first:?} (edit packaging/changelog)"
    );

    for size in [32, 48, 64, 128] {
        let icon = unpacked.path().join(format!(
            "usr/share/icons/hicolor/{size}x{size}/apps/authdeck.png"
        ));
        let png = std::fs::read(&icon).unwrap_or_else(|_| panic!("no {}", icon.display()));
        assert_eq!(png_size(&png), (size, size), "{}", icon.display());
    }
    let svg = unpacked
        .path()
        .join("usr/share/icons/hicolor/scalable/apps/authdeck.svg");
    let svg = std::fs::read_to_string(svg).expect("the package installs a scalable icon");
    assert!(
        svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
}

#[test]
#[ignore = "needs the release .deb: run scripts/test.sh"]
fn the_deb_depends_on_every_library_its_binary_links() {
    let deb = built_deb();
    let unpacked = unpack(&deb);
    let needed = shlibs_depends(&unpacked.path().join("usr/bin/authdeck"));
    assert!(needed.iter().any(|(name, _)| name == "libc6"), "{needed:?}");

    let declared = relations(&control_field(&deb, "Depends"));
    let installed = installed_depends();
    // Everything the declared dependencies bring along, through the machine's dpkg database
    // (the machine that built the binary has every library it links).
    let mut reached: HashSet<String> = HashSet::new();
    let mut todo: Vec<String> = declared.iter().map(|(name, _)| name.clone()).collect();
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            todo.extend(installed.get(&name).into_iter().flatten().cloned());
        }
    }
    for (name, wanted) in &needed {
        assert!(
            reached.contains(name),
            "the binary links a library of {name}, which the .deb's Depends ({declared:?}) \
             does not bring: add it to bundle.linux.deb.depends in tauri.conf.json"
        );
        let direct = declared.iter().find(|(declared, _)| declared == name);
        if let (Some((_, Some(have))), Some(wanted)) = (direct, wanted) {
            let enough = Command::new("dpkg")
                .args(["--compare-versions", have, "ge", wanted])
                .status()
                .expect("dpkg runs");
            assert!(
                enough.success(),
                "Depends has {name} (>= {have}), the binary needs {wanted}"
            );
        }
    }
}

#[test]
#[ignore = "needs the release .rpm: run scripts/test.sh"]
fn the_rpm_installs_the_files_of_the_deb() {
    let rpm = built_rpm();
    let listing = run_ok(
        "rpm -qlp (package rpm)",
        Command::new("rpm").arg("-qlp").arg(&rpm),
    );
    let rpm_files: BTreeSet<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|line| line.trim_start_matches('/').to_owned())
        .collect();
    for file in PACKAGED_FILES {
        assert!(
            rpm_files.contains(file),
            "the .rpm has no /{file}: {rpm_files:?}"
        );
    }

    let unpacked = unpack(&built_deb());
    let deb_files: BTreeSet<String> = files_under(unpacked.path())
        .into_iter()
        // Debian's changelog and nothing else is for the .deb alone.
        .filter(|file| file != "usr/share/doc/authdeck/changelog.gz")
        .collect();
    assert_eq!(
        rpm_files, deb_files,
        "the .rpm and the .deb install different files"
    );

    let info = run_ok(
        "rpm -qp",
        Command::new("rpm")
            .args(["-qp", "--queryformat", "%{NAME} %{VERSION} %{LICENSE}\\n"])
            .arg(&rpm),
    );
    assert_eq!(
        String::from_utf8_lossy(&info.stdout).trim(),
        format!("authdeck {} MIT", app_version())
    );
    let recommends = run_ok(
        "rpm -qp --recommends",
        Command::new("rpm").args(["-qp", "--recommends"]).arg(&rpm),
    );
    let recommends = String::from_utf8_lossy(&recommends.stdout);
    assert!(
        recommends.contains("gnome-keyring or keepassxc"),
        "{recommends}"
    );
}

/// The app's version in `tauri.conf.json`.
fn app_version() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tauri.conf.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    config["version"].as_str().expect("a version").to_owned()
}

/// Width and height from a PNG's header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24,
        "not a PNG"
    );
    let word = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// The packages (with their minimum version) whose libraries `binary` links, as
/// `dpkg-shlibdeps` (package dpkg-dev) works them out from the machine's dpkg database.
fn shlibs_depends(binary: &Path) -> Vec<(String, Option<String>)> {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("debian")).unwrap();
    std::fs::write(
        work.path().join("debian/control"),
        "Source: authdeck\n\nPackage: authdeck\nArchitecture: any\n",
    )
    .unwrap();
    let output = run_ok(
        "dpkg-shlibdeps (package dpkg-dev)",
        Command::new("dpkg-shlibdeps")
            .args(["-O", "-e"])
            .arg(binary)
            .current_dir(work.path()),
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("shlibs:Depends="))
        .unwrap_or_else(|| panic!("no shlibs:Depends from dpkg-shlibdeps: {text}"));
    relations(line)
}

/// The first alternative of each relation in a `Depends:` value, as `(package, minimum
/// version)`.
fn relations(field: &str) -> Vec<(String, Option<String>)> {
    field
        .split(',')
        .map(str::trim)
        .filter(|relation| !relation.is_empty())
        .map(|relation| {
            let first = relation.split('|').next().unwrap().trim();
            let name = first.split([' ', '(']).next().unwrap();
            let name = name.split(':').next().unwrap().to_owned();
            let version = first
                .split_once("(>=")
                .map(|(_, rest)| rest.trim_end_matches(')').trim().to_owned());
            (name, version)
        })
        .collect()
}

/// Every installed package's dependencies (every alternative), by package name.
fn installed_depends() -> HashMap<String, Vec<String>> {
    let output = run_ok(
        "dpkg-query",
        Command::new("dpkg-query").args(["-W", "-f", "${Package}\t${Pre-Depends}, ${Depends}\n"]),
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(package, depends)| {
            let names = depends
                .split([',', '|'])
                .filter_map(|relation| relation.split_whitespace().next())
                .map(|name| name.split(':').next().unwrap().to_owned())
                .collect();
            (package.to_owned(), names)
        })
        .collect()
}

/// The files under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                found.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, dir, &mut found);
    found
}
