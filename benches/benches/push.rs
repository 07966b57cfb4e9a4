//! Push encoding benchmarks: the expfmt benchmark's data set (10,000 counter series with 3 labels,
//! plus 50 histograms x 20 label sets x 12 buckets) gathered once, then encoded as a remote-write
//! body (protobuf + snappy) and as an OTLP body (protobuf, and protobuf + gzip). Throughput is in
//! samples (series values sent; `_created` samples are not sent by remote write).
//!
//! `remote_write_snappy` is `encode_remote_write` (a fresh encoder per call); `remote_write_encoder`
//! reuses one `RemoteWriteEncoder` (2000-sample batches, as the exporter pushes);
//! `remote_write_struct` builds the whole `WriteRequest` of owned strings first, then compresses it
//! (how `encode_remote_write` worked before the encoder, kept as the reference). The `push_cpu_time`
//! group runs the same with thread CPU time instead of wall time (per core, on a shared machine).

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use srekit::metrics::{MetricFamily, Suffix};
use srekit::push::remote_write::{compress, write_request, RemoteWriteEncoder};
use srekit::push::{encode_otlp, encode_remote_write, OtlpOptions, RemoteWriteOptions};
use srekit_benches::cpu_time::CpuTime;

fn families() -> Vec<MetricFamily> {
    srekit_benches::metrics_data::srekit_registry().gather()
}

fn push<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let families = families();
    let samples =
        families.iter().flat_map(|f| &f.samples).filter(|s| s.suffix != Suffix::Created).count() as u64;
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(samples));
    let rw = RemoteWriteOptions {
        timestamp_ms: 1_700_000_000_000,
        external_labels: vec![("cluster".into(), "prod".into()), ("instance".into(), "host-1".into())],
        metadata: true,
    };
    group
        .bench_function("remote_write_snappy", |b| b.iter(|| black_box(encode_remote_write(&families, &rw))));
    let mut encoder = RemoteWriteEncoder::new();
    group.bench_function("remote_write_encoder", |b| {
        b.iter(|| black_box(encoder.encode(&families, &rw, 2000)))
    });
    group.bench_function("remote_write_struct", |b| {
        b.iter(|| black_box(compress(&write_request(&families, &rw))))
    });
    let otlp = OtlpOptions { timestamp_ms: 1_700_000_000_000, ..Default::default() };
    group.bench_function("otlp", |b| b.iter(|| black_box(encode_otlp(&families, &otlp))));
    let otlp_gzip = OtlpOptions { gzip: true, ..otlp.clone() };
    group.bench_function("otlp_gzip", |b| b.iter(|| black_box(encode_otlp(&families, &otlp_gzip))));
    group.finish();
}

fn wall_time(c: &mut Criterion) {
    push(c, "push");
}

fn cpu_time(c: &mut Criterion<CpuTime>) {
    push(c, "push_cpu_time");
}

criterion_group! {
    name = wall_benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = wall_time
}
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(CpuTime::default()).sample_size(20).measurement_time(Duration::from_secs(3));
    targets = cpu_time
}
criterion_main!(wall_benches, cpu_benches);
