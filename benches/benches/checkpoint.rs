//! The periodic checkpoint write with 10,000 series (issue 17 section 6 budget: <= 5 ms and <= 4 MB):
//! one pipeline whose counter rule holds 10,000 series, one whose histogram rule (11 buckets) holds
//! 10,000. Each iteration is what the pipeline does every second: gather the offsets and every rule's
//! state, serialise it and replace `checkpoint.json` atomically (write, fsync, rename, fsync of the
//! directory). Prints the file size before measuring.

use std::io::Write;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::Pipeline;

const SERIES: u64 = 10_000;
const BUDGET_BYTES: u64 = 4 << 20;

fn pipeline(dir: &std::path::Path, rule: &str) -> Pipeline {
    let log = dir.join("app.log");
    let mut file = std::fs::File::create(&log).expect("create bench log");
    let text: String =
        (0..SERIES).map(|i| format!("path=/api/v1/items/{i} status=200 ms={}\n", i % 700)).collect();
    file.write_all(text.as_bytes()).expect("write bench log");
    let config: PipelineConfig = toml::from_str(&format!(
        "[state]\ndirectory = \"{dir}/state\"\n[[inputs]]\nname = \"app\"\npaths = [\"{log}\"]\nread_from_head = true\n{rule}",
        dir = dir.display(),
        log = log.display()
    ))
    .expect("bench config");
    let mut pipeline = Pipeline::new(&config).expect("bench pipeline");
    while pipeline.poll().more {}
    pipeline
}

fn bench_checkpoint(c: &mut Criterion) {
    let rules = [
        ("counter", "[[metrics]]\nname = \"requests_total\"\nkind = \"counter\"\nlabels = [\"path\", \"status\"]\n"),
        (
            "histogram",
            "[[metrics]]\nname = \"request_seconds\"\nkind = \"histogram\"\nvalue = \"ms\"\nscale = 0.001\nlabels = [\"path\"]\n",
        ),
    ];
    let mut group = c.benchmark_group("checkpoint_10k_series");
    for (kind, rule) in rules {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut pipeline = pipeline(dir.path(), rule);
        let started = Instant::now();
        pipeline.store_checkpoints().expect("store");
        let size = std::fs::metadata(dir.path().join("state/checkpoint.json")).expect("stat").len();
        println!(
            "checkpoint with {SERIES} {kind} series: {size} bytes (budget {BUDGET_BYTES}: {}), first write {:?}",
            if size <= BUDGET_BYTES { "within" } else { "OVER" },
            started.elapsed()
        );
        group.bench_function(kind, |b| b.iter(|| pipeline.store_checkpoints().expect("store")));
        group.bench_function(format!("{kind}_gather_and_serialise"), |b| {
            b.iter(|| serde_json::to_vec(&pipeline.state()).expect("serialise").len())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_checkpoint);
criterion_main!(benches);
