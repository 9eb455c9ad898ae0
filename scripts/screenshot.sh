#!/usr/bin/env bash
# Refreshes docs/screenshot.png: the accounts window with a few accounts of the fake
# Hivesigner, as the end-to-end walk-through leaves it (tests/e2e_accounts.rs), taken on a
# virtual display in a private session.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
scripts/session.sh cargo test --quiet --test e2e_accounts -- --ignored --exact \
  the_accounts_window_from_registration_to_removal
cp target/screenshots/accounts-window.png docs/screenshot.png
echo "wrote docs/screenshot.png"
