//! Shared data-set generators for the benchmarks.

pub mod cpu_time;
pub mod logs_corpus;
pub mod metrics_data;
