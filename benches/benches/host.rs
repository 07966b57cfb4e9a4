//! host benchmarks: not written yet (their issue adds them).
fn main() {}
