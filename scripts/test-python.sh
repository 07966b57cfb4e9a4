#!/usr/bin/env bash
# python test suite: not built yet (its issue adds it). Says so and exits 0.
echo "test-python: no python suite yet"
