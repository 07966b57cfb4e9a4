//! Shared data-set generators for the benchmarks.

pub mod logs_corpus;
