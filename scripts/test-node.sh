#!/usr/bin/env bash
# node test suite: not built yet (its issue adds it). Says so and exits 0.
echo "test-node: no node suite yet"
