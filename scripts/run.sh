#!/usr/bin/env bash
# Sets up what the machine lacks, builds Authdeck and opens its window.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "Authdeck needs a desktop session to show its window (no DISPLAY or WAYLAND_DISPLAY set)." >&2
  echo "Run this from a terminal in your desktop, or try it headless: xvfb-run -a scripts/run.sh" >&2
  exit 1
fi
exec cargo run --quiet -- "$@"
