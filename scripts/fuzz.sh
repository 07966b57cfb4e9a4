#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ for the given number of seconds each (default 10), one
# after the other, and prints libFuzzer's final line (executions, coverage) for each.
# Inputs that once crashed a target are kept in fuzz/regressions/<target>/ and replayed first;
# the working corpus (fuzz/corpus/<target>/) is not committed.
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
# Ends with one line: `fuzz: N passed, N failed, N skipped` (a target passes when it ran its time
# without a crash).
# Usage: scripts/fuzz.sh [seconds per target] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/count.sh
secs=${1:-10}
shift || true
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (cargo install, once)"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
passed=0
failed=0
for t in "${targets[@]}"; do
  echo "== fuzz $t (${secs}s; the first run compiles the fuzz crate, which takes minutes)"
  mkdir -p "fuzz/corpus/$t"
  dirs=("fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  log=$(mktemp)
  if ! cargo fuzz run "$t" "${dirs[@]}" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz $t: FAILED (crashing input under fuzz/artifacts/$t/; copy it to fuzz/regressions/$t/ once fixed)"
    failed=$((failed + 1))
    rm -f "$log"
    continue
  fi
  passed=$((passed + 1))
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tr -s '\n\t ' ' '
  echo
  rm -f "$log"
done
record_counts fuzz "$passed" "$failed" 0
[ "$failed" -eq 0 ]
