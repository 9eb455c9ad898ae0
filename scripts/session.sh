#!/usr/bin/env bash
# Runs a command inside a private desktop session and tears the session down afterwards:
# a D-Bus session that starts no services on demand (test-session-bus.conf), a virtual display
# (Xvfb), an unlocked gnome-keyring holding nothing, and temporary XDG directories. Nothing of
# the person's desktop, keyring or a running Authdeck is visible inside.
#   scripts/session.sh COMMAND [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || { echo "usage: scripts/session.sh COMMAND [ARGS...]" >&2; exit 2; }

session_home="$(mktemp -d -t authdeck-session.XXXXXX)"
trap 'rm -rf "$session_home"' EXIT
for dir in data config cache runtime; do mkdir -p "$session_home/$dir"; done
chmod 700 "$session_home/runtime"
export XDG_DATA_HOME="$session_home/data" XDG_CONFIG_HOME="$session_home/config"
export XDG_CACHE_HOME="$session_home/cache" XDG_RUNTIME_DIR="$session_home/runtime"
export NO_AT_BRIDGE=1 MESA_SHADER_CACHE_DISABLE=true
# Nothing in a test session reads the public Hive or Steem API nodes: a test that needs a node
# starts a fake and names it; anything else finds this closed loopback port.
export AUTHDECK_HIVE_NODES="${AUTHDECK_HIVE_NODES:-http://127.0.0.1:9}"
export AUTHDECK_STEEM_NODES="${AUTHDECK_STEEM_NODES:-http://127.0.0.1:9}"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

# The keyring daemon ends with the D-Bus session; Xvfb ends with xvfb-run.
# shellcheck disable=SC2016 # "$@" is expanded by the inner shell.
dbus-run-session --config-file=scripts/test-session-bus.conf -- \
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp -noreset" sh -c \
  'printf "\n" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' \
  session "$@"
