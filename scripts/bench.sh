#!/usr/bin/env bash
# Measures Authdeck against its baselines and prints the report (issue 14): sets up what the
# machine lacks (as scripts/test.sh does), builds the release binaries of Authdeck and of the
# empty Tauri app (benches/empty-app) in one cargo invocation and their .deb packages, runs
# the broadcast and refresh benchmarks and the startup benchmark (inside a private session:
# scripts/session.sh), then prints every row as one markdown table and writes it to
# target/bench/report.md. A report, never a pass/fail test.
#   scripts/bench.sh            10 rounds per app in the startup benchmark (about 8 minutes
#                               after the build)
#   scripts/bench.sh --quick    3 rounds (AUTHDECK_BENCH_ROUNDS overrides either)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

quick=false
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done
if [ "$quick" = true ]; then
  export AUTHDECK_BENCH_ROUNDS="${AUTHDECK_BENCH_ROUNDS:-3}"
fi

step() { printf '\n== %s\n' "$*"; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
bench_dir="$target/bench"
rows_dir="$bench_dir/rows"

scripts/setup.sh test

step "release binaries of Authdeck and of the empty app (one cargo invocation, custom protocol)"
# One invocation: the tauri crates are built once, with the same (unified) features, for both.
cargo build --release -p authdeck -p empty-app \
  --features authdeck/custom-protocol,empty-app/custom-protocol

step "their .deb packages (tauri bundle, from the binaries just built)"
rm -f "$target"/release/bundle/deb/Authdeck_*.deb "$target"/release/bundle/deb/empty-app_*.deb
tauri bundle --bundles deb --ci
(cd benches/empty-app && tauri bundle --bundles deb --ci)

# `cargo bench` rebuilds the package's binary into target/release with the benches' features:
# the startup benchmark measures copies of what was just built.
mkdir -p "$bench_dir/bin"
rm -rf "$rows_dir"
mkdir -p "$rows_dir"
cp "$target/release/authdeck" "$target/release/empty-app" "$bench_dir/bin/"
newest() { find "$target/release/bundle/deb" -maxdepth 1 -name "$1" -printf '%T@ %p\n' 2>/dev/null \
  | sort -n | tail -n 1 | cut -d' ' -f2-; }
app_deb="$(newest 'Authdeck_*.deb')"
empty_deb="$(newest 'empty-app_*.deb')"
[ -n "$app_deb" ] && cp "$app_deb" "$bench_dir/bin/authdeck.deb"
[ -n "$empty_deb" ] && cp "$empty_deb" "$bench_dir/bin/empty-app.deb"

has_bench() {
  [ -f "benches/$1.rs" ] && grep -Eq "^name = \"$1\"" Cargo.toml
}
for bench in broadcast refresh; do
  if has_bench "$bench"; then
    step "cargo bench --bench $bench"
    cargo bench --bench "$bench"
  else
    step "cargo bench --bench $bench: skipped (no such benchmark in this checkout yet)"
  fi
done

step "the startup benchmark (inside a private session)"
export AUTHDECK_BENCH_APP="$bench_dir/bin/authdeck" AUTHDECK_BENCH_EMPTY="$bench_dir/bin/empty-app"
[ -n "$app_deb" ] && export AUTHDECK_BENCH_APP_DEB="$bench_dir/bin/authdeck.deb"
[ -n "$empty_deb" ] && export AUTHDECK_BENCH_EMPTY_DEB="$bench_dir/bin/empty-app.deb"
scripts/session.sh cargo bench --bench startup

step "the report ($bench_dir/report.md)"
{
  printf '| measure | Authdeck | baseline | ratio | goal |\n'
  printf '| --- | --- | --- | --- | --- |\n'
  # The issue's order first (startup, refresh, broadcast), then any other benchmark's rows.
  for file in "$rows_dir"/startup.tsv "$rows_dir"/refresh.tsv "$rows_dir"/broadcast.tsv \
      $(find "$rows_dir" -name '*.tsv' ! -name startup.tsv ! -name refresh.tsv \
        ! -name broadcast.tsv | sort); do
    [ -f "$file" ] || continue
    awk -F '\t' '{
      ratio = ($4 == "NaN" || $4 == "nan" || $4 == "inf") ? "—" : $4 "x"
      printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, ratio, $5
    }' "$file"
  done
} > "$bench_dir/report.md"
cat "$bench_dir/report.md"
