//! Log-parsing throughput on the same generated records in logfmt, LTSV and JSON (about 200 bytes a
//! line), all in one run: the memchr newline scan (the floor), srekit's parsers through
//! `Parser::parse_many`, and `serde_json::from_slice::<Value>` per line as the JSON peer.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use srekit::logs::{LogFormat, Parser, ParserOptions};
use srekit_benches::logs_corpus::{corpus, json_line, logfmt_line, ltsv_line};

const LINES: usize = 50_000;
const SEED: u64 = 42;

fn parser(format: LogFormat) -> Parser {
    Parser::new(ParserOptions::new(format)).expect("built-in format")
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

fn bench_logs(c: &mut Criterion) {
    let logfmt = corpus(LINES, SEED, logfmt_line);
    let ltsv = corpus(LINES, SEED, ltsv_line);
    let json = corpus(LINES, SEED, json_line);

    let mut group = c.benchmark_group("logs");
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(20);

    group.throughput(Throughput::Bytes(logfmt.len() as u64));
    group.bench_function("newline_scan_floor/logfmt", |b| {
        b.iter(|| memchr_count(black_box(&logfmt)))
    });
    let logfmt_parser = parser(LogFormat::Logfmt);
    assert_eq!(parse_all(&logfmt_parser, &logfmt), LINES * 9, "every logfmt line parses");
    group.bench_function("srekit/logfmt", |b| b.iter(|| parse_all(&logfmt_parser, black_box(&logfmt))));

    group.throughput(Throughput::Bytes(ltsv.len() as u64));
    let ltsv_parser = parser(LogFormat::Ltsv);
    assert_eq!(parse_all(&ltsv_parser, &ltsv), LINES * 9, "every LTSV line parses");
    group.bench_function("srekit/ltsv", |b| b.iter(|| parse_all(&ltsv_parser, black_box(&ltsv))));

    group.throughput(Throughput::Bytes(json.len() as u64));
    let json_parser = parser(LogFormat::Json);
    assert_eq!(parse_all(&json_parser, &json), LINES * 9, "every JSON line parses");
    group.bench_function("srekit/json", |b| b.iter(|| parse_all(&json_parser, black_box(&json))));
    group.bench_function("serde_json_value/json", |b| {
        b.iter(|| {
            let mut fields = 0;
            for line in srekit::logs::lines(black_box(&json)) {
                if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(line) {
                    fields += map.len();
                }
            }
            fields
        })
    });
    group.finish();
}

fn memchr_count(data: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', data).count()
}

criterion_group!(benches, bench_logs);
criterion_main!(benches);
