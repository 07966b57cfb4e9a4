//! Encoding benchmarks: the foundation issue's data set (10,000 counter series with 3 labels, plus
//! 50 histograms x 20 label sets x 12 buckets) encoded by srekit and by the `prometheus-client` crate in
//! the same run; and increments on a kept child vs. with a label lookup each time. The encoding group
//! runs twice: in wall time (`encode_10k_series`) and in the benchmark thread's CPU time
//! (`encode_10k_series_cpu_time`), whose ratios hold on a machine shared with other work.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prometheus_client::encoding::text::encode as pc_encode;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;
use srekit::expfmt::Format;
use srekit::metrics::{HistogramVec, Registry};
use srekit_benches::cpu_time::CpuTime;
use srekit_benches::metrics_data::{
    counter_labels, observation, srekit_registry, COUNTER_SERIES, HISTOGRAMS, HISTOGRAM_LABEL_SETS,
};

type Labels = Vec<(String, String)>;

fn prometheus_client_registry() -> prometheus_client::registry::Registry {
    let mut registry = prometheus_client::registry::Registry::default();
    let requests = Family::<Labels, PcCounter>::default();
    registry.register("http_requests", "HTTP requests served.", requests.clone());
    for i in 0..COUNTER_SERIES {
        let [m, c, p] = counter_labels(i);
        let labels = vec![("method".to_string(), m), ("code".to_string(), c), ("path".to_string(), p)];
        requests.get_or_create(&labels).inc_by((i % 97) as u64);
    }
    for h in 0..HISTOGRAMS {
        let hist = Family::<Labels, PcHistogram>::new_with_constructor(|| {
            PcHistogram::new(HistogramVec::DEFAULT_BUCKETS.iter().copied())
        });
        registry.register(format!("rpc_{h}_duration_seconds"), "RPC latency.", hist.clone());
        for s in 0..HISTOGRAM_LABEL_SETS {
            let child = hist.get_or_create(&vec![("service".to_string(), format!("svc-{s}"))]);
            for k in 0..=s {
                child.observe(observation(k));
            }
        }
    }
    registry
}

fn encode(c: &mut Criterion) {
    bench_encode(c, "encode_10k_series");
}

fn encode_cpu_time(c: &mut Criterion<CpuTime>) {
    bench_encode(c, "encode_10k_series_cpu_time");
}

fn bench_encode<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let ours = srekit_registry();
    let theirs = prometheus_client_registry();
    let mut size_probe = Vec::new();
    ours.encode(Format::Text, &mut size_probe);

    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(size_probe.len() as u64));
    group.measurement_time(Duration::from_secs(4)).sample_size(30);
    let mut buf = Vec::with_capacity(size_probe.len() * 2);
    group.bench_function("srekit_text", |b| {
        b.iter(|| {
            buf.clear();
            ours.encode(Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    group.bench_function("srekit_openmetrics", |b| {
        b.iter(|| {
            buf.clear();
            ours.encode(Format::OpenMetrics, &mut buf);
            black_box(buf.len())
        })
    });
    let mut text = String::with_capacity(size_probe.len() * 2);
    group.bench_function("prometheus_client_openmetrics", |b| {
        b.iter(|| {
            text.clear();
            pc_encode(&mut text, &theirs).expect("encodes");
            black_box(text.len())
        })
    });
    group.finish();
}

/// The exporter's own encoding work: one default host collection (systemd off, as the scrape
/// comparison runs), collected once and encoded as text again and again, the way `/metrics` encodes
/// it after every collection.
fn encode_host(c: &mut Criterion) {
    let mut config = srekit::host::HostConfig::default();
    if let Err(error) = config.disable("systemd") {
        panic!("systemd is a known collector: {error}");
    }
    let collector = match srekit::host::HostCollector::new(config) {
        Ok(collector) => collector,
        Err(error) => panic!("default host configuration must be valid: {error}"),
    };
    let families = collector.collect();
    let mut buf = Vec::new();
    srekit::expfmt::encode(&families, Format::Text, &mut buf);
    let mut group = c.benchmark_group("encode_host");
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.measurement_time(Duration::from_secs(3)).sample_size(30);
    group.bench_function("srekit_text", |b| {
        b.iter(|| {
            buf.clear();
            srekit::expfmt::encode(black_box(&families), Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    group.finish();
}

fn increment(c: &mut Criterion) {
    let ours = Registry::new();
    let counter = ours.counter("ops_total", "Ops.", &["method", "code", "path"]).expect("valid");
    let kept = counter.labels(&["GET", "200", "/api/v1/users"]).expect("3 labels");
    let theirs = Family::<Labels, PcCounter>::default();
    let their_labels: Labels = vec![
        ("method".into(), "GET".into()),
        ("code".into(), "200".into()),
        ("path".into(), "/api/v1/users".into()),
    ];
    let their_kept = theirs.get_or_create(&their_labels).clone();

    let mut group = c.benchmark_group("increment");
    group.measurement_time(Duration::from_secs(2)).sample_size(30);
    group.bench_function("srekit_kept_child", |b| b.iter(|| kept.inc()));
    group.bench_function("srekit_label_lookup", |b| {
        b.iter(|| counter.labels(black_box(&["GET", "200", "/api/v1/users"])).expect("3 labels").inc())
    });
    group.bench_function("prometheus_client_kept_child", |b| b.iter(|| their_kept.inc()));
    group.bench_function("prometheus_client_get_or_create", |b| {
        b.iter(|| theirs.get_or_create(black_box(&their_labels)).inc())
    });
    group.finish();
}

criterion_group!(benches, encode, encode_host, increment);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(CpuTime::default());
    targets = encode_cpu_time
}
criterion_main!(benches, cpu_benches);
