//! Issue 18's budgets, measured against their baselines in one run:
//! - CRI envelope + JSON payload (through `Feed::parse`, which lends each record) vs plain JSON lines
//!   (`parse_many_ref`), per record: the envelope should keep >= 80% of plain JSON's throughput. Plain
//!   JSON through `Feed::parse` is measured too, to tell the feed's own cost (line numbers and offsets)
//!   from the envelope's, and both through the exporter's per-file path (`FileContexts::line`);
//! - multi-line joining of Java stack traces (format `raw`, preset `java`): >= 500 MB/s;
//! - a rule with one relabel step vs the same rule without, per record: the step costs <= 100 ns. The
//!   same step on a field whose every value is new (timestamps: a log that defeats the step's memo) is
//!   measured too.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use std::time::Instant;

use srekit::logs::config::{InputConfig, RuleConfig};
use srekit::logs::rules::RuleSet;
use srekit::logs::sources::{FileContexts, SourceItem};
use srekit::logs::{Feed, ParserSpec};
use srekit::metrics::Registry;
use srekit_benches::logs_corpus::{corpus, json_line};

const LINES: usize = 50_000;
const SEED: u64 = 42;

/// The corpus's lines wrapped as CRI `F` lines, every tenth split into a `P` and an `F` piece.
fn cri_corpus(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plain.len() * 3 / 2);
    for (n, line) in plain.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
        let stream = if n % 3 == 0 { "stderr" } else { "stdout" };
        if n % 10 == 0 {
            let (head, tail) = line.split_at(line.len() / 2);
            for (tag, piece) in [("P", head), ("F", tail)] {
                out.extend_from_slice(format!("2024-05-01T10:00:00.123456789Z {stream} {tag} ").as_bytes());
                out.extend_from_slice(piece);
                out.push(b'\n');
            }
        } else {
            out.extend_from_slice(format!("2024-05-01T10:00:00.123456789Z {stream} F ").as_bytes());
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// Java log output: an error line and a 25-frame trace with a cause, then four info lines.
fn java_corpus(events: usize) -> Vec<u8> {
    let mut out = String::new();
    for n in 0..events {
        out.push_str(&format!(
            "2024-05-01 10:00:{:02} ERROR [worker-{n}] c.e.Service - request {n} failed\n",
            n % 60
        ));
        out.push_str("java.lang.IllegalStateException: connection reset by peer\n");
        for frame in 0..20 {
            out.push_str(&format!(
                "\tat com.example.service.Handler{frame}.handle(Handler{frame}.java:{})\n",
                10 + frame
            ));
        }
        out.push_str("Caused by: java.io.IOException: broken pipe\n");
        for frame in 0..4 {
            out.push_str(&format!(
                "\tat java.base/sun.nio.ch.SocketDispatcher.write(SocketDispatcher.java:{frame})\n"
            ));
        }
        out.push_str("\t... 12 more\n");
        for info in 0..4 {
            out.push_str(&format!(
                "2024-05-01 10:00:{:02} INFO  [worker-{n}] c.e.Service - ok {info}\n",
                n % 60
            ));
        }
    }
    out.into_bytes()
}

fn feed_count(parser: &srekit::logs::Parser, data: &[u8]) -> usize {
    let mut feed = Feed::for_parser(parser);
    let mut records = 0;
    feed.parse(parser, data, |item| records += usize::from(item.result.is_ok()));
    feed.finish_parse(parser, |item| records += usize::from(item.result.is_ok()));
    records
}

/// Records from `data` through the exporter's per-file path ([`FileContexts::line`], which reuses one
/// record buffer), one line at a time.
fn exporter_path_count(input: &InputConfig, parser: &srekit::logs::Parser, data: &[u8]) -> usize {
    let mut contexts = FileContexts::new(input);
    let path = Path::new("/var/log/containers/web-7d4b9_shop_app-0123456789abcdef.log");
    let (now, mut records, mut start) = (Instant::now(), 0, 0);
    for end in memchr::memchr_iter(b'\n', data) {
        contexts.line(parser, path, &data[start..end], now, |item| {
            records += usize::from(matches!(item, SourceItem::Record(_)))
        });
        start = end + 1;
    }
    contexts.finish(parser, |item| records += usize::from(matches!(item, SourceItem::Record(_))));
    records
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("containers");
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1)).sample_size(20);

    let json = corpus(LINES, SEED, json_line);
    let cri = cri_corpus(&json);
    let plain_parser = ParserSpec::new("json").build().expect("json");
    let cri_parser =
        ParserSpec { container: Some("cri".into()), ..ParserSpec::new("json") }.build().expect("cri");
    assert_eq!(feed_count(&cri_parser, &cri), LINES, "every CRI record parses");
    group.throughput(Throughput::Elements(LINES as u64));
    group.bench_function("plain_json/records", |b| {
        b.iter(|| {
            let mut records = 0;
            plain_parser.parse_many_ref(black_box(&json), |_, r| records += usize::from(r.is_ok()));
            records
        })
    });
    group.bench_function("cri_json/records", |b| b.iter(|| feed_count(&cri_parser, black_box(&cri))));
    group.bench_function("plain_json_feed/records", |b| {
        b.iter(|| feed_count(&plain_parser, black_box(&json)))
    });
    let plain_input: InputConfig =
        toml::from_str("name = \"a\"\npaths = []\nformat = \"json\"").expect("input");
    let cri_input: InputConfig =
        toml::from_str("name = \"a\"\npaths = []\nformat = \"json\"\ncontainer = \"cri\"").expect("input");
    assert_eq!(exporter_path_count(&cri_input, &cri_parser, &cri), LINES, "every CRI record parses");
    group.bench_function("exporter_plain_json/records", |b| {
        b.iter(|| exporter_path_count(&plain_input, &plain_parser, black_box(&json)))
    });
    group.bench_function("exporter_cri_json/records", |b| {
        b.iter(|| exporter_path_count(&cri_input, &cri_parser, black_box(&cri)))
    });

    let java = java_corpus(5_000);
    let multiline = srekit::logs::MultilineSpec { preset: Some("java".into()), ..Default::default() };
    let java_parser =
        ParserSpec { multiline: Some(multiline), ..ParserSpec::new("raw") }.build().expect("java");
    assert_eq!(feed_count(&java_parser, &java), 5_000 * 5, "one event per trace plus the info lines");
    group.throughput(Throughput::Bytes(java.len() as u64));
    group.bench_function("multiline_java/bytes", |b| b.iter(|| feed_count(&java_parser, black_box(&java))));

    let records: Vec<_> = json
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .take(10_000)
        .map(|l| plain_parser.parse(l).expect("json line").into_owned())
        .collect();
    let plain_rule: RuleConfig =
        toml::from_str("name = \"a_total\"\nkind = \"counter\"\nlabels = [\"status\"]").expect("rule");
    let relabel_rule: RuleConfig = toml::from_str(
        "name = \"b_total\"\nkind = \"counter\"\nlabels = [\"class\"]\nrelabel = [{ source_fields = [\"status\"], regex = \"(\\\\d)\\\\d\\\\d\", target = \"class\", replacement = \"${1}xx\" }]",
    )
    .expect("rule");
    group.throughput(Throughput::Elements(records.len() as u64));
    // Every record's `ts` is new: the relabel memo misses every time.
    let unique_rule: RuleConfig = toml::from_str(
        "name = \"c_total\"\nkind = \"counter\"\nlabels = [\"class\"]\nrelabel = [{ source_fields = [\"ts\"], regex = \"(\\\\d)\\\\d.*\", target = \"class\", replacement = \"${1}xx\" }]",
    )
    .expect("rule");
    for (name, rule) in [
        ("rule_without_relabel/records", plain_rule),
        ("rule_with_relabel/records", relabel_rule),
        ("rule_relabel_unique_values/records", unique_rule),
    ] {
        let mut rules = RuleSet::new(&[rule], &Registry::new()).expect("rules");
        group.bench_function(name, |b| {
            b.iter(|| {
                for record in &records {
                    black_box(rules.apply_all(record));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
