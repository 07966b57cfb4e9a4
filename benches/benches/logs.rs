//! Log-parsing throughput on the same generated records in logfmt, LTSV and JSON (about 200 bytes a
//! line), all in one run: the memchr newline scan (the floor), srekit's parsers through
//! `Parser::parse_many` (and `parse_many_ref`, which reuses one record buffer), and the JSON peers
//! per line: `serde_json::Value`, simd-json's owned and borrowed values (buffers reused) and
//! `sonic_rs::Value`.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::Measurement;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sonic_rs::JsonContainerTrait as _;
use srekit::logs::{LogFormat, Parser, ParserOptions};
use srekit_benches::cpu_time::CpuTime;
use srekit_benches::logs_corpus::{corpus, json_line, logfmt_line, ltsv_line};

const LINES: usize = 50_000;
const SEED: u64 = 42;

fn parser(format: LogFormat) -> Parser {
    Parser::new(ParserOptions::new(format)).expect("built-in format")
}

/// Like [`parse_all`] through `parse_many_ref`, which lends each record and reuses its buffer.
fn parse_all_ref(parser: &Parser, data: &[u8]) -> usize {
    let mut fields = 0;
    parser.parse_many_ref(data, |_, result| {
        if let Ok(record) = result {
            fields += record.fields.len();
        }
    });
    fields
}

/// Parses every line and sums the field counts, so nothing is optimised away.
fn parse_all(parser: &Parser, data: &[u8]) -> usize {
    let mut fields = 0;
    parser.parse_many(data, |_, result| {
        if let Ok(record) = result {
            fields += record.fields.len();
        }
    });
    fields
}

/// Everything, in one group named `group_name`, timed by `c`'s measurement.
fn bench_logs<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let logfmt = corpus(LINES, SEED, logfmt_line);
    let ltsv = corpus(LINES, SEED, ltsv_line);
    let json = corpus(LINES, SEED, json_line);

    let mut group = c.benchmark_group(group_name);
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(20);

    group.throughput(Throughput::Bytes(logfmt.len() as u64));
    group.bench_function("newline_scan_floor/logfmt", |b| b.iter(|| memchr_count(black_box(&logfmt))));
    let logfmt_parser = parser(LogFormat::Logfmt);
    assert_eq!(parse_all(&logfmt_parser, &logfmt), LINES * 9, "every logfmt line parses");
    group.bench_function("srekit/logfmt", |b| b.iter(|| parse_all(&logfmt_parser, black_box(&logfmt))));
    group.bench_function("srekit_ref/logfmt", |b| {
        b.iter(|| parse_all_ref(&logfmt_parser, black_box(&logfmt)))
    });

    group.throughput(Throughput::Bytes(ltsv.len() as u64));
    let ltsv_parser = parser(LogFormat::Ltsv);
    assert_eq!(parse_all(&ltsv_parser, &ltsv), LINES * 9, "every LTSV line parses");
    group.bench_function("srekit/ltsv", |b| b.iter(|| parse_all(&ltsv_parser, black_box(&ltsv))));
    group.bench_function("srekit_ref/ltsv", |b| b.iter(|| parse_all_ref(&ltsv_parser, black_box(&ltsv))));

    group.throughput(Throughput::Bytes(json.len() as u64));
    let json_parser = parser(LogFormat::Json);
    assert_eq!(parse_all(&json_parser, &json), LINES * 9, "every JSON line parses");
    group.bench_function("srekit/json", |b| b.iter(|| parse_all(&json_parser, black_box(&json))));
    group.bench_function("srekit_ref/json", |b| b.iter(|| parse_all_ref(&json_parser, black_box(&json))));
    group.bench_function("serde_json_value/json", |b| {
        b.iter(|| {
            let mut fields = 0;
            for line in srekit::logs::lines(black_box(&json)) {
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line)
                {
                    fields += map.len();
                }
            }
            fields
        })
    });
    // simd-json with its buffers and a padded input copy reused across lines, as it recommends.
    group.bench_function("simd_json_owned_value/json", |b| {
        simd_json_lines(b, &json, |line, buffers| {
            match simd_json::to_owned_value_with_buffers(line, buffers) {
                Ok(simd_json::OwnedValue::Object(map)) => map.len(),
                _ => 0,
            }
        })
    });
    group.bench_function("simd_json_borrowed_value/json", |b| {
        simd_json_lines(b, &json, |line, buffers| {
            match simd_json::to_borrowed_value_with_buffers(line, buffers) {
                Ok(simd_json::BorrowedValue::Object(map)) => map.len(),
                _ => 0,
            }
        })
    });
    group.bench_function("sonic_rs_value/json", |b| {
        b.iter(|| {
            let mut fields = 0;
            for line in srekit::logs::lines(black_box(&json)) {
                if let Ok(value) = sonic_rs::from_slice::<sonic_rs::Value>(line) {
                    fields += value.as_object().map_or(0, |map| map.len());
                }
            }
            fields
        })
    });
    group.finish();
}

/// Times `parse` (a line's field count) over every line of `data`, each copied into one reused
/// scratch buffer, with one set of simd-json buffers reused across lines.
fn simd_json_lines<M: Measurement>(
    b: &mut criterion::Bencher<'_, M>,
    data: &[u8],
    mut parse: impl FnMut(&mut Vec<u8>, &mut simd_json::Buffers) -> usize,
) {
    let mut buffers = simd_json::Buffers::default();
    let mut scratch = Vec::new();
    b.iter(|| {
        let mut fields = 0;
        for line in srekit::logs::lines(black_box(data)) {
            scratch.clear();
            scratch.extend_from_slice(line);
            fields += parse(&mut scratch, &mut buffers);
        }
        fields
    })
}

fn memchr_count(data: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', data).count()
}

fn wall_time(c: &mut Criterion) {
    bench_logs(c, "logs");
}

fn cpu_time(c: &mut Criterion<CpuTime>) {
    bench_logs(c, "logs_cpu_time");
}

criterion_group!(wall_benches, wall_time);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(CpuTime::default());
    targets = cpu_time
}
criterion_main!(wall_benches, cpu_benches);
