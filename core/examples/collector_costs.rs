//! Profiling aid: runs the default host collection many times and prints each collector's mean
//! duration (from `node_scrape_collector_duration_seconds`), most expensive first.
//!
//! `cargo run --release -p srekit --example collector_costs -- 2000`

use srekit::host::{HostCollector, HostConfig};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() -> Result<(), srekit::host::HostError> {
    let rounds: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(2000).max(1);
    let collector = HostCollector::new(HostConfig::default())?;
    for _ in 0..rounds / 10 {
        collector.collect();
    }
    let mut seconds: BTreeMap<String, f64> = BTreeMap::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for family in collector.collect() {
            if family.name != "node_scrape_collector_duration_seconds" {
                continue;
            }
            for sample in family.samples {
                let name = sample.label("collector").unwrap_or("?").to_string();
                *seconds.entry(name).or_default() += sample.value;
            }
        }
    }
    let per_round = |s: f64| s * 1e6 / rounds as f64;
    println!("one collection (wall): {:.1} us", per_round(started.elapsed().as_secs_f64()));
    let mut costs: Vec<(String, f64)> = seconds.into_iter().collect();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("sum of collector durations: {:.1} us", per_round(costs.iter().map(|c| c.1).sum()));
    for (name, total) in costs {
        println!("{name:20} {:8.1} us", per_round(total));
    }
    Ok(())
}
