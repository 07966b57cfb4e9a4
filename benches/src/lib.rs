//! Shared data-set generators for the benchmarks.
