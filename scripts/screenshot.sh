#!/usr/bin/env bash
# Takes docs/screenshot.png: the Authdeck window on a virtual display, in a private session.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
output="${SCREENSHOT:-docs/screenshot.png}"

if [ "${1:-}" != --inside-session ]; then
  scripts/setup.sh test
  cargo build --quiet
  exec scripts/session.sh scripts/screenshot.sh --inside-session
fi

target/debug/authdeck >/dev/null 2>&1 &
app=$!
trap 'kill -TERM "$app" 2>/dev/null; wait "$app" 2>/dev/null || true' EXIT
window="$(timeout 30 xdotool search --sync --onlyvisible --name '^Authdeck$' | head -n 1)"
sleep "${SCREENSHOT_SETTLE_SECONDS:-2}"  # let the page render its first frame
mkdir -p "$(dirname "$output")"
/usr/bin/import -window "$window" "$output"
echo "wrote $output"
