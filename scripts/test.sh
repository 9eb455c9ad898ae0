#!/usr/bin/env bash
# Sets up what the machine lacks and runs every check and test of Authdeck: formatting,
# clippy, the release .deb and .rpm (with lintian), unit and integration tests, the installed
# package, and the real window over WebDriver.
# The tests run inside a private session (scripts/session.sh): they never touch your desktop,
# your keyring or an Authdeck you have open.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if [ "${1:-}" != --inside-session ]; then
  scripts/setup.sh test
  exec scripts/session.sh scripts/test.sh --inside-session
fi

# A full run builds three sets of dependencies (lints, the bundle, the test feature) and
# two dozen test binaries: incremental caches would only add gigabytes that no rerun uses.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n== %s\n' "$*"; }
step "formatting (cargo fmt --check)"
cargo fmt --all -- --check
step "lints (cargo clippy --all-targets -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "the minimal build, without the offline sandbox (cargo check --no-default-features)"
cargo check --no-default-features --quiet
step "the release packages (tauri build --bundles deb,rpm)"
tauri build --bundles deb,rpm --ci
step "lintian on the release .deb (no errors)"
lintian --fail-on error target/release/bundle/deb/*.deb
# tests/bundle_desktop_entry.rs checks both packages' files and metadata and
# tests/package_install.rs installs the .deb in a scratch root and opens links with it.
step "tests (unit, integration, the release packages, end-to-end in the real window)"
cargo test --workspace --all-targets -- --include-ignored

step "disk used by the build (target/)"
du -sh target
