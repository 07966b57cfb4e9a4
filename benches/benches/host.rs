//! host benchmarks: one full default collection on this host (every default collector, as
//! `HostCollector::collect` runs them for a scrape), and the same followed by text encoding (what an
//! exporter scrape costs). Compare with benches/compare/node_exporter_scrape.sh, run in the same session.

use criterion::{criterion_group, criterion_main, Criterion};
use srekit::expfmt::{encode, Format};
use srekit::host::{HostCollector, HostConfig};
use std::hint::black_box;
use std::time::Duration;

fn host_collection(c: &mut Criterion) {
    let collector = match HostCollector::new(HostConfig::default()) {
        Ok(collector) => collector,
        Err(error) => panic!("default host configuration must be valid: {error}"),
    };
    let mut group = c.benchmark_group("host");
    group.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("collect_default", |b| b.iter(|| black_box(collector.collect())));
    let mut buf = Vec::with_capacity(128 * 1024);
    group.bench_function("collect_and_encode_text", |b| {
        b.iter(|| {
            buf.clear();
            encode(&collector.collect(), Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    group.finish();
}

criterion_group!(benches, host_collection);
criterion_main!(benches);
