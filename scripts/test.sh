#!/usr/bin/env bash
# Sets up what the machine lacks and runs every check and test of Authdeck:
# formatting, clippy, the .deb bundle, unit and integration tests, and the real window over
# WebDriver. Tests always run in a session of their own: a private D-Bus session, a virtual
# display (Xvfb), an unlocked gnome-keyring and temporary XDG directories, all torn down at
# the end, so they never touch your desktop, your keyring or a running Authdeck.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if [ "${1:-}" != --inside-session ]; then
  scripts/setup.sh test
  session_home="$(mktemp -d -t authdeck-test.XXXXXX)"
  trap 'rm -rf "$session_home"' EXIT
  for dir in data config cache runtime; do mkdir -p "$session_home/$dir"; done
  chmod 700 "$session_home/runtime"
  export XDG_DATA_HOME="$session_home/data" XDG_CONFIG_HOME="$session_home/config"
  export XDG_CACHE_HOME="$session_home/cache" XDG_RUNTIME_DIR="$session_home/runtime"
  unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
  # The keyring daemon ends with the D-Bus session; Xvfb ends with xvfb-run.
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" sh -c \
    "printf '\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec scripts/test.sh --inside-session"
  exit $?
fi

step() { printf '\n== %s\n' "$*"; }
step "formatting (cargo fmt --check)"
cargo fmt --all -- --check
step "lints (cargo clippy --all-targets -D warnings)"
cargo clippy --all-targets --quiet -- -D warnings
step "the .deb bundle (tauri build --debug --bundles deb)"
tauri build --debug --bundles deb --ci
step "tests (unit, integration, end-to-end in the real window)"
cargo test --all-targets -- --include-ignored
