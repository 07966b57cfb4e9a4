//! Runs the shared exposition-format vectors (tests/vectors/expfmt) against the Rust core.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;

use common::{family_to_vector, load_vectors, normalise, vector_float, without_created};
use serde_json::Value;
use srekit::expfmt::{negotiate_exposition, parse_text, Format};
use srekit::metrics::{CounterVec, GaugeVec, HistogramVec, Registry, SummaryVec};

enum Handle {
    Counter(CounterVec),
    Gauge(GaugeVec),
    Histogram(HistogramVec),
    Summary(SummaryVec),
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Applies one op; returns the error message if it failed.
fn apply(registry: &Registry, handles: &mut HashMap<String, Handle>, op: &Value) -> Result<(), String> {
    let kind = op["op"].as_str().unwrap_or_default();
    let label_list = strings(&op["labels"]);
    let labels: Vec<&str> = label_list.iter().map(String::as_str).collect();
    let value = op.get("value").map(vector_float);
    match kind {
        "counter" | "gauge" | "histogram" | "summary" => {
            let name = op["name"].as_str().unwrap_or_default();
            let help = op["help"].as_str().unwrap_or_default();
            let handle = match kind {
                "counter" => registry.counter(name, help, &labels).map(Handle::Counter),
                "gauge" => registry.gauge(name, help, &labels).map(Handle::Gauge),
                "summary" => registry.summary(name, help, &labels).map(Handle::Summary),
                _ => {
                    let buckets: Vec<f64> = op["buckets"]
                        .as_array()
                        .map(|b| b.iter().map(vector_float).collect())
                        .unwrap_or_default();
                    registry.histogram(name, help, &labels, &buckets).map(Handle::Histogram)
                }
            }
            .map_err(|e| e.to_string())?;
            handles.insert(name.to_string(), handle);
            Ok(())
        }
        _ => {
            let metric = op["metric"].as_str().unwrap_or_default();
            let handle = handles.get(metric).ok_or_else(|| format!("no metric {metric}"))?;
            match (kind, handle) {
                ("inc", Handle::Counter(c)) => {
                    let child = c.labels(&labels).map_err(|e| e.to_string())?;
                    match value {
                        Some(v) => child.inc_by(v).map_err(|e| e.to_string()),
                        None => {
                            child.inc();
                            Ok(())
                        }
                    }
                }
                ("inc" | "dec" | "set", Handle::Gauge(g)) => {
                    let child = g.labels(&labels).map_err(|e| e.to_string())?;
                    match kind {
                        "set" => child.set(value.unwrap_or_default()),
                        "inc" => child.add(value.unwrap_or(1.0)),
                        _ => child.sub(value.unwrap_or(1.0)),
                    }
                    Ok(())
                }
                ("observe", Handle::Histogram(h)) => {
                    h.labels(&labels).map_err(|e| e.to_string())?.observe(value.unwrap_or_default());
                    Ok(())
                }
                ("observe", Handle::Summary(s)) => {
                    s.labels(&labels).map_err(|e| e.to_string())?.observe(value.unwrap_or_default());
                    Ok(())
                }
                _ => Err(format!("op {kind} does not apply to {metric}")),
            }
        }
    }
}

#[test]
fn registry_vectors() {
    let cases = load_vectors("expfmt/registry.json");
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let registry = Registry::new();
        let mut handles = HashMap::new();
        for op in case["ops"].as_array().into_iter().flatten() {
            let result = apply(&registry, &mut handles, op);
            match (op.get("error").and_then(Value::as_str), result) {
                (Some(expected), Err(message)) => {
                    assert!(message.contains(expected), "{name}: error {message:?} lacks {expected:?}")
                }
                (Some(expected), Ok(())) => panic!("{name}: op {op} should fail with {expected:?}"),
                (None, Err(message)) => panic!("{name}: op {op} failed: {message}"),
                (None, Ok(())) => {}
            }
        }
        if let Some(text) = case["text"].as_str() {
            assert_eq!(registry.encode_to_string(Format::Text), text, "{name}: text");
        }
        if let Some(om) = case["openmetrics"].as_str() {
            assert_eq!(
                without_created(&registry.encode_to_string(Format::OpenMetrics)),
                om,
                "{name}: openmetrics"
            );
        }
        for expose in case["expose"].as_array().into_iter().flatten() {
            let accept = expose["accept"].as_str().unwrap_or("");
            let (body, content_type) = registry.expose(accept);
            assert_eq!(content_type, expose["content_type"].as_str().unwrap(), "{name}: {accept}");
            let body = without_created(&String::from_utf8(body).unwrap());
            assert_eq!(body, expose["body"].as_str().unwrap(), "{name}: expose({accept:?})");
        }
    }
}

#[test]
fn parse_vectors() {
    let cases = load_vectors("expfmt/parse.json");
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let input = case["input"].as_str().unwrap_or_default();
        match (parse_text(input), case.get("error")) {
            (Ok(families), None) => {
                let got: Vec<Value> = families.iter().map(family_to_vector).collect();
                assert_eq!(normalise(&Value::Array(got)), normalise(&case["families"]), "{name}");
            }
            (Err(err), Some(expected)) => {
                assert_eq!(err.line as u64, expected["line"].as_u64().unwrap_or(0), "{name}: line of {err}");
                assert_eq!(
                    err.column as u64,
                    expected["column"].as_u64().unwrap_or(0),
                    "{name}: column of {err}"
                );
                let contains = expected["contains"].as_str().unwrap_or_default();
                assert!(err.message.contains(contains), "{name}: {err} lacks {contains:?}");
            }
            (Ok(families), Some(_)) => panic!("{name}: expected an error, parsed {families:?}"),
            (Err(err), None) => panic!("{name}: unexpected error {err}"),
        }
    }
}

/// Everything the registry writes parses back to what `gather()` reports (text drops `_created`).
#[test]
fn registry_output_round_trips_through_the_parser() {
    let registry = Registry::new();
    let c = registry.counter("rt_requests_total", "Requests.", &["code", "path"]).unwrap();
    c.labels(&["200", "/a\"b"]).unwrap().inc_by(3.0).unwrap();
    let h = registry.histogram("rt_latency_seconds", "Latency.", &["code"], &[0.5, 1.0]).unwrap();
    h.labels(&["500"]).unwrap().observe(0.75);
    let gathered = registry.gather();
    let om = parse_text(&registry.encode_to_string(Format::OpenMetrics)).unwrap();
    assert_eq!(om, gathered);
    let text = parse_text(&registry.encode_to_string(Format::Text)).unwrap();
    let mut expected = gathered.clone();
    for family in &mut expected {
        family.samples.retain(|s| s.suffix != srekit::metrics::Suffix::Created);
    }
    assert_eq!(text, expected);
}

/// The negotiation vectors: an `Accept` header gives the format, escaping and `Content-Type` the
/// exporter answers with, and `Registry::expose` answers with that `Content-Type` and the body
/// `encode` writes in that format.
#[test]
fn negotiate_vectors() {
    let cases = load_vectors("expfmt/negotiate.json");
    assert!(cases.len() >= 10);
    let registry = Registry::new();
    let requests = registry.counter("requests_total", "Requests.", &["code"]).unwrap();
    requests.labels(&["200"]).unwrap().inc();
    for case in cases {
        let name = case["name"].as_str().unwrap_or_default();
        let accept = case["accept"].as_str().unwrap_or("");
        let format: Format = case["format"].as_str().unwrap().parse().unwrap();
        let exposition = negotiate_exposition(accept);
        assert_eq!(exposition.format, format, "{name}: format");
        assert_eq!(exposition.escaping.as_str(), case["escaping"].as_str().unwrap(), "{name}: escaping");
        let (body, content_type) = registry.expose(accept);
        assert_eq!(content_type, case["content_type"].as_str().unwrap(), "{name}: content type");
        let mut expected = Vec::new();
        registry.encode(format, &mut expected);
        assert_eq!(body, expected, "{name}: body");
    }
}
