#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ for the given number of seconds each (default 10).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for t in $(cargo fuzz list); do
  echo "== fuzz $t (${secs}s)"
  cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048
done
