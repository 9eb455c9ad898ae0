//! The built `.deb` declares the `authdeck://` handler correctly.
//!
//! Needs the bundle: `scripts/test.sh` builds it (`npx tauri build --debug --bundles deb`)
//! before the tests; `AUTHDECK_DEB` may name another `.deb` to check.

use std::path::{Path, PathBuf};
use std::process::Command;

fn built_deb() -> PathBuf {
    if let Some(path) = std::env::var_os("AUTHDECK_DEB") {
        return PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    ["debug", "release"]
        .iter()
        .map(|profile| root.join(profile).join("bundle/deb"))
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
        .max_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .expect("no .deb under target/*/bundle/deb: build it with `npx tauri build --debug --bundles deb`")
}

#[test]
#[ignore = "needs the built .deb: run scripts/test.sh"]
fn desktop_entry_opens_authdeck_links_with_the_url_argument() {
    let deb = built_deb();
    let unpacked = tempfile::tempdir().unwrap();
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(unpacked.path())
        .status()
        .expect("dpkg-deb runs");
    assert!(
        status.success(),
        "dpkg-deb could not unpack {}",
        deb.display()
    );

    let applications = unpacked.path().join("usr/share/applications");
    let entries: Vec<PathBuf> = std::fs::read_dir(&applications)
        .expect("the package installs a .desktop file")
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let text = std::fs::read_to_string(&entries[0]).unwrap();

    let exec = text
        .lines()
        .find(|line| line.starts_with("Exec="))
        .expect("an Exec line");
    assert!(exec.ends_with(" %u"), "Exec must pass the URL on: {exec}");
    assert!(exec.contains("authdeck"), "{exec}");
    let mime = text
        .lines()
        .find(|line| line.starts_with("MimeType="))
        .expect("a MimeType line");
    assert!(
        mime.split(['=', ';'])
            .any(|t| t == "x-scheme-handler/authdeck"),
        "{mime}"
    );

    let validate = Command::new("desktop-file-validate")
        .arg(&entries[0])
        .output()
        .expect("desktop-file-validate runs");
    assert!(
        validate.status.success(),
        "desktop-file-validate: {}",
        String::from_utf8_lossy(&validate.stdout)
    );

    let binary = unpacked.path().join("usr/bin/authdeck");
    assert!(binary.is_file(), "the package installs usr/bin/authdeck");
}
