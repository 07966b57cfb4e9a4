//! Push encoding benchmarks: the expfmt benchmark's data set (10,000 counter series with 3 labels,
//! plus 50 histograms x 20 label sets x 12 buckets) gathered once, then encoded as a remote-write
//! body (protobuf + snappy) and as an OTLP body (protobuf, and protobuf + gzip). Throughput is in
//! samples (series values sent; `_created` samples are not sent by remote write).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use srekit::metrics::{MetricFamily, Suffix};
use srekit::push::{encode_otlp, encode_remote_write, OtlpOptions, RemoteWriteOptions};

fn families() -> Vec<MetricFamily> {
    srekit_benches::metrics_data::srekit_registry().gather()
}

fn push(c: &mut Criterion) {
    let families = families();
    let samples =
        families.iter().flat_map(|f| &f.samples).filter(|s| s.suffix != Suffix::Created).count() as u64;
    let mut group = c.benchmark_group("push");
    group.throughput(Throughput::Elements(samples));
    let rw = RemoteWriteOptions {
        timestamp_ms: 1_700_000_000_000,
        external_labels: vec![("cluster".into(), "prod".into()), ("instance".into(), "host-1".into())],
        metadata: true,
    };
    group
        .bench_function("remote_write_snappy", |b| b.iter(|| black_box(encode_remote_write(&families, &rw))));
    let otlp = OtlpOptions { timestamp_ms: 1_700_000_000_000, ..Default::default() };
    group.bench_function("otlp", |b| b.iter(|| black_box(encode_otlp(&families, &otlp))));
    let otlp_gzip = OtlpOptions { gzip: true, ..otlp.clone() };
    group.bench_function("otlp_gzip", |b| b.iter(|| black_box(encode_otlp(&families, &otlp_gzip))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = push
}
criterion_main!(benches);
