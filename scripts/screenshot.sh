#!/usr/bin/env bash
# Refreshes docs/screenshot.png (the accounts window with a few accounts of the fake
# Hivesigner, as tests/e2e_accounts.rs leaves it) and docs/screenshots/ (the vote desk from
# tests/e2e_desk.rs, the API console from tests/e2e_console.rs), taken on a virtual display in
# a private session.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
scripts/session.sh cargo test --quiet --test e2e_accounts -- --ignored --exact \
  the_accounts_window_from_registration_to_removal
cp target/screenshots/accounts-window.png docs/screenshot.png
scripts/session.sh cargo test --quiet --test e2e_desk --test e2e_console -- --ignored
mkdir -p docs/screenshots
cp target/screenshots/desk-post-card.png docs/screenshots/vote-desk.png
cp target/screenshots/api-console.png docs/screenshots/api-console.png
echo "wrote docs/screenshot.png and docs/screenshots/"
