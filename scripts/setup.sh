#!/usr/bin/env bash
# Installs what Authdeck needs on a Debian 12 machine. Idempotent: installs only what is missing.
#   scripts/setup.sh app    what building and running the app needs
#   scripts/setup.sh test   that, plus the test session (Xvfb, D-Bus, keyring) and WebDriver tools
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-app}"
case "$mode" in app|test) ;; *) echo "usage: scripts/setup.sh [app|test]" >&2; exit 2 ;; esac

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# Debian packages: building (webkit2gtk), running (keyring, D-Bus, xdg tools) and testing.
packages=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev
          dbus gnome-keyring libsecret-tools xdg-utils desktop-file-utils)
if [ "$mode" = test ]; then
  packages+=(xvfb xauth webkit2gtk-driver imagemagick xdotool curl lintian rpm)
fi
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

# The Tauri CLI (prebuilt, from npm) for bundling; versions pinned by package-lock.json.
if [ ! -x node_modules/.bin/tauri ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` refuses this lock: npm records only this platform's optional CLI binary in it.
  say "installing the Tauri CLI (npm install --no-save)"
  npm install --no-save --no-audit --no-fund --loglevel=error
fi

# tauri-driver: the WebDriver front for the real window in end-to-end tests.
if [ "$mode" = test ] && ! command -v tauri-driver >/dev/null 2>&1; then
  say "installing tauri-driver (cargo install)"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
say "ready ($mode)"
