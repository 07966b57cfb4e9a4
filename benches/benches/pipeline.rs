//! Tail + parse + rules, end to end: a generated logfmt file (~220-byte realistic lines, 128 MiB by
//! default; `SREKIT_BENCH_PIPELINE_MB=500` for the 500 MB) read from the start by a pipeline
//! with three counter rules. Reports MB/s (decimal, file bytes per second) against the 300 MB/s budget,
//! once as a plain end-to-end run and then under criterion.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use srekit::expfmt::Format;
use srekit::logs::config::{InputConfig, LabelsConfig, PipelineConfig, RuleConfig, RuleKind, StateConfig};
use srekit::logs::pipeline::Pipeline;
use srekit::logs::ParserSpec;
use srekit_benches::cpu_time::process_cpu_time;

const BUDGET_MB_PER_S: f64 = 300.0;

fn line(i: u64, out: &mut String) {
    use std::fmt::Write as _;
    let method = ["GET", "GET", "GET", "POST", "PUT", "DELETE"][(i % 6) as usize];
    let status = ["200", "200", "200", "200", "201", "304", "404", "500", "503"][(i % 9) as usize];
    let _ = writeln!(
        out,
        "ts=2026-11-25T12:{:02}:{:02}.{:03}Z level=info method={method} path=/api/v1/items/{} status={status} \
         duration_ms={}.{} bytes={} trace_id={:032x} user_agent=\"Mozilla/5.0 (X11; Linux x86_64)\" msg=\"request served\"",
        (i / 60_000) % 60,
        (i / 1000) % 60,
        i % 1000,
        i % 50,
        i % 900,
        i % 10,
        1000 + i % 9000,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    );
}

fn generate(path: &Path, target_bytes: u64) -> (u64, u64) {
    let mut writer = BufWriter::with_capacity(1 << 20, File::create(path).expect("create bench log"));
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut text = String::new();
    while bytes < target_bytes {
        text.clear();
        line(lines, &mut text);
        writer.write_all(text.as_bytes()).expect("write bench log");
        bytes += text.len() as u64;
        lines += 1;
    }
    writer.flush().expect("flush bench log");
    (bytes, lines)
}

fn counter(name: &str, labels: &[&str]) -> RuleConfig {
    RuleConfig {
        name: name.to_owned(),
        help: format!("{name} from the benchmark log."),
        kind: RuleKind::Counter,
        inputs: Vec::new(),
        labels: LabelsConfig::List(labels.iter().map(|l| (*l).to_owned()).collect()),
        match_fields: Default::default(),
        exclude: Default::default(),
        value: None,
        scale: None,
        buckets: None,
        exemplar: None,
        max_series: None,
        max_label_value_length: None,
        max_series_bytes: None,
        relabel: Vec::new(),
        expire_after: None,
        const_labels: Default::default(),
    }
}

fn config(path: &Path) -> PipelineConfig {
    let requests = counter("http_requests_total", &["method", "status"]);
    let mut errors = counter("http_errors_total", &["path"]);
    errors.match_fields.insert("status".into(), "^5".into());
    let mut bytes = counter("http_response_bytes_total", &["method"]);
    bytes.value = Some("bytes".into());
    PipelineConfig {
        inputs: vec![InputConfig {
            name: "bench".into(),
            paths: vec![path.display().to_string()],
            parser: ParserSpec::new("logfmt"),
            read_from_head: true,
            rotate_wait: 5.0,
            max_open_files: 16,
            rotated_paths: Vec::new(),
            kubernetes: false,
            fields: Default::default(),
            path_field: None,
            exclude_paths: Vec::new(),
            ignore_older: None,
        }],
        metrics: vec![requests, errors, bytes],
        state: StateConfig { directory: None },
    }
}

/// Reads the whole file through a fresh pipeline; returns the lines it counted.
fn run_once(config: &PipelineConfig) -> u64 {
    let mut pipeline = Pipeline::new(config).expect("pipeline");
    let mut lines = 0;
    loop {
        let summary = pipeline.poll();
        assert!(summary.errors.is_empty(), "{:?}", summary.errors);
        lines += summary.lines;
        if !summary.more {
            break;
        }
    }
    lines
}

fn bench_pipeline(c: &mut Criterion) {
    let mb: u64 = std::env::var("SREKIT_BENCH_PIPELINE_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(128);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.log");
    let (bytes, lines) = generate(&path, mb << 20);
    let config = config(&path);

    // Warm the page cache, then plain end-to-end measurements: wall clock, and CPU time of this
    // process (on a shared machine the CPU-time figure is what one dedicated core would do), read
    // from the process CPU clock, which is exact at the read (a task's schedstat lags a tick).
    assert_eq!(run_once(&config), lines);
    let mut best_wall = f64::MAX;
    let mut best_cpu = f64::MAX;
    for _ in 0..3 {
        let cpu_before = process_cpu_time();
        let start = Instant::now();
        assert_eq!(run_once(&config), lines);
        best_wall = best_wall.min(start.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(process_cpu_time().saturating_sub(cpu_before).as_secs_f64());
    }
    let megabytes = bytes as f64 / 1e6;
    println!(
        "pipeline end-to-end: {megabytes:.1} MB ({lines} lines, {:.0} bytes/line); best of 3: \
         {best_wall:.3} s wall = {:.0} MB/s ({:.2}x the {BUDGET_MB_PER_S:.0} MB/s budget); \
         {best_cpu:.3} s CPU = {:.0} MB/s per CPU-second ({:.2}x)",
        bytes as f64 / lines as f64,
        megabytes / best_wall,
        megabytes / best_wall / BUDGET_MB_PER_S,
        megabytes / best_cpu,
        megabytes / best_cpu / BUDGET_MB_PER_S,
    );
    let mut check = Pipeline::new(&config).expect("pipeline");
    check.poll();
    let text = check.metrics().encode_to_string(Format::Text);
    assert!(text.contains("http_requests_total{method=\"GET\",status=\"200\"}"));

    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Bytes(bytes));
    group.bench_function("tail_logfmt_3_counter_rules", |b| b.iter(|| run_once(&config)));
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
