#!/usr/bin/env bash
# Node suite: builds the npm package `srekit` from source as a user would (npm ci, napi build through
# `npm run build`), then runs `node --test` over node/test. Needs only Rust (cargo) and Node >= 18 with
# npm. Exits non-zero when the build or any test fails.
set -euo pipefail
cd "$(dirname "$0")/../node"

for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "test-node: $tool is required" >&2; exit 1; }
done

npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
node --test test/
