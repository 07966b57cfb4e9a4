#!/usr/bin/env bash
# Node suite: builds the npm package `srekit` from source as a user would (npm ci, napi build through
# `npm run build`), then runs `node --test` over node/test: dots on the terminal (failures in full at the
# end), TAP kept in a file for the counts. Needs only Rust (cargo) and Node >= 18 with npm.
# Ends with one line: `test-node: N passed, N failed, N skipped`; exits non-zero when the build or any
# test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/count.sh
cd node

for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "test-node: $tool is required" >&2; exit 1; }
done

echo "test-node: npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "test-node: napi build (a release build, minutes)"
npm run build --silent
tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
status=0
node --test --test-reporter=dot --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" test/ || status=$?
echo
count() { grep -E "^# $1 [0-9]+$" "$tap" | tail -1 | grep -oE '[0-9]+$' || echo 0; }
passed=$(count pass); failed=$(count fail); skipped=$(( $(count skipped) + $(count todo) ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
record_counts test-node "$passed" "$failed" "$skipped"
exit "$status"
