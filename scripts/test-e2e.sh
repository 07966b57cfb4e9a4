#!/usr/bin/env bash
# e2e test suite: not built yet (its issue adds it). Says so and exits 0.
echo "test-e2e: no e2e suite yet"
