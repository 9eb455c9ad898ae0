#!/bin/sh
# Stands in for the person's browser in end-to-end tests (the app opens URLs with xdg-open,
# which runs $BROWSER when no desktop is set). It plays the person on the provider's consent
# page, then delivers the redirect the way the desktop would: an authdeck:// link launches the
# app binary ($AUTHDECK_APP) a second time; an http://127.0.0.1 address is fetched (the
# loopback listener). A denied consent sends nothing back, like the real provider.
set -eu
url="$1"
location="$(curl --silent --show-error --output /dev/null --write-out '%{redirect_url}' "$url")"
[ -n "$location" ] || exit 0
case "$location" in
  authdeck://*) exec "$AUTHDECK_APP" "$location" ;;
  http://127.0.0.1:*) exec curl --silent --show-error --output /dev/null "$location" ;;
  *) echo "browser stand-in: unexpected redirect to $location" >&2; exit 1 ;;
esac
