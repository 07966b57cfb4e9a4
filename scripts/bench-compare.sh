#!/usr/bin/env bash
# Runs every peer-comparison script under benches/compare/ (each prints its own figures).
set -euo pipefail
cd "$(dirname "$0")/.."
for f in benches/compare/*.sh; do
  [ -e "$f" ] || continue
  echo "== $f"
  bash "$f"
done
