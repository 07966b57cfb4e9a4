//! End to end: every metric name the examples' Grafana dashboard and alert rules query
//! (examples/sre-stack/grafana-dashboard.json, alerts.yml) is in the exporter's output, with the host
//! collectors on the fixture tree (tests/fixtures/host/basic) and the example exporter config tailing
//! the example log generator's output. Names are taken from the PromQL roughly: identifiers that are
//! not functions, keywords, label names (inside `{}` and `by (...)`), durations or variables.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

const KEYWORDS: [&str; 11] =
    ["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"];
/// Series Prometheus makes itself for every target.
const SYNTHETIC: [&str; 1] = ["up"];

/// Removes what PromQL brackets hold that is not a metric name: `{...}` (matchers), `[...]` (ranges),
/// strings, and the label lists after `by`, `without`, `on`, `ignoring`, `group_left`, `group_right`.
fn strip_non_names(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        let close = match c {
            '{' => Some('}'),
            '[' => Some(']'),
            '"' | '\'' | '`' => Some(c),
            _ => None,
        };
        match close {
            Some(close) => {
                for inner in chars.by_ref() {
                    if inner == close {
                        break;
                    }
                }
                out.push(' ');
            }
            None => out.push(c),
        }
    }
    // Label lists of grouping modifiers: `by (a, b)` and friends.
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find('(') {
        let before = &rest[..at];
        result.push_str(before);
        let word =
            before.trim_end().rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
        if ["by", "without", "on", "ignoring", "group_left", "group_right"].contains(&word) {
            // The modifier goes too, so an aggregation (`sum by (le) (...)`) reads as a call.
            let kept = result.trim_end().len() - word.len();
            result.truncate(kept);
            let end = rest[at..].find(')').map_or(rest.len(), |e| at + e + 1);
            rest = &rest[end..];
        } else {
            result.push('(');
            rest = &rest[at + 1..];
        }
    }
    result.push_str(rest);
    result
}

/// The metric names one PromQL expression reads.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let text = strip_non_names(expr);
    let bytes = text.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let word_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b':';
        if c.is_ascii_digit() || c == b'$' {
            // A number or duration (`0.99`, `1e9`, `1h`) or a Grafana variable.
            while i < bytes.len() && (word_char(bytes[i]) || bytes[i] == b'.' || bytes[i] == b'$') {
                i += 1;
            }
        } else if word_char(c) {
            let start = i;
            while i < bytes.len() && word_char(bytes[i]) {
                i += 1;
            }
            let word = &text[start..i];
            let next = text[i..].trim_start().chars().next();
            if next != Some('(') && !KEYWORDS.contains(&word) && !SYNTHETIC.contains(&word) {
                names.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Every PromQL string under a `key` in a JSON or YAML document.
fn queries(value: &serde_json::Value, key: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match v.as_str() {
                    Some(text) if k == key => found.push(text.to_owned()),
                    _ => queries(v, key, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| queries(v, key, found)),
        _ => {}
    }
}

/// The names the dashboard and the alert rules query.
fn queried_names() -> BTreeSet<String> {
    let dir = repo().join("examples/sre-stack");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("grafana-dashboard.json")).unwrap()).unwrap();
    let alerts: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(dir.join("alerts.yml")).unwrap()).unwrap();
    let mut exprs = Vec::new();
    queries(&dashboard, "expr", &mut exprs);
    queries(&alerts, "expr", &mut exprs);
    // Template variables: `label_values(metric, label)` reads `metric`.
    let mut variables = Vec::new();
    queries(&dashboard, "query", &mut variables);
    for variable in variables {
        if let Some(args) = variable.strip_prefix("label_values(") {
            if let Some((metric, _)) = args.split_once(',') {
                exprs.push(metric.to_owned());
            }
        }
    }
    assert!(exprs.len() >= 10, "the dashboard and rules were read: {exprs:?}");
    exprs.iter().flat_map(|expr| metric_names(expr)).collect()
}

/// The sample names of a text-format scrape.
fn sample_names(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// The example exporter config with its log and state paths moved under `dir`.
fn example_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/sre-stack/srekit-exporter.toml")).unwrap();
    assert!(text.contains("/var/log/") && text.contains("/var/lib/srekit"));
    let text = text
        .replace("/var/log/", &format!("{}/", dir.join("logs").display()))
        .replace("/var/lib/srekit", &dir.join("state").display().to_string());
    let path = dir.join("srekit-exporter.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_rough_parser_finds_names_and_skips_the_rest() {
    let expr = r#"sum by (instance, le) (rate(a_bucket{le="0.5",job=~"$job"}[5m])) / on (instance) group_left b_total > 0.9 and c offset 1h"#;
    assert_eq!(metric_names(expr), BTreeSet::from(["a_bucket".into(), "b_total".into(), "c".into()]));
    assert_eq!(metric_names("up{job=\"node\"} == 0"), BTreeSet::new());
}

#[test]
fn every_metric_the_dashboard_and_alerts_query_is_served() {
    let wanted = queried_names();
    for name in ["node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "myapp1_requests_total"] {
        assert!(wanted.contains(name), "{name} is among the queried names: {wanted:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = repo().join("tests/fixtures/host/basic");
    let config = example_config(dir.path());
    let flags = [
        format!("--path.procfs={}", fixture.join("proc").display()),
        format!("--path.sysfs={}", fixture.join("sys").display()),
        format!("--path.rootfs={}", fixture.join("root").display()),
        format!("--path.udev.data={}", fixture.join("udev").display()),
        format!("--collector.textfile.directory={}", fixture.join("textfile").display()),
        format!("--config.file={}", config.display()),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // The log files exist, empty, before the start, and the generator appends to them once the
    // pipeline's first poll (on its own thread) follows them: files that appeared only after the
    // start would be read from their beginning, but the generator could beat that first poll, and
    // files present at it are followed from their end.
    for app in ["myapp1", "myapp2", "myapp3"] {
        std::fs::create_dir_all(dir.path().join("logs").join(app)).unwrap();
        std::fs::write(dir.path().join("logs").join(app).join("app.log"), "").unwrap();
    }
    let (_exporter, port) = start_exporter(&flags);
    for app in ["myapp1", "myapp2", "myapp3"] {
        wait_for_files_open(port, app, 1);
    }
    let generated = Command::new("python3")
        .arg(repo().join("examples/sre-stack/generate_logs.py"))
        .arg(dir.path().join("logs"))
        .args(["--lines-per-second", "200", "--seconds", "1", "--malformed-every", "7"])
        .status()
        .expect("python3 runs the example's log generator");
    assert!(generated.success());
    let mut missing = wanted.clone();
    let _ = wait_until(Duration::from_secs(20), || {
        let served = http_get(port, "/metrics", &[]).map(|r| sample_names(&r.text())).unwrap_or_default();
        missing = wanted.difference(&served).cloned().collect();
        missing.is_empty()
    });
    assert!(missing.is_empty(), "queried by the examples but not served: {missing:?}");
}
