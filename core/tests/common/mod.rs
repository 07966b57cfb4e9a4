//! Helpers shared by the integration tests: locating the repository's test vectors and the
//! binding-level family shape that Python and Node return too.
#![allow(dead_code)]

pub mod dbus;
pub mod host_fixture;
pub mod node_exporter;

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use srekit::metrics::MetricFamily;

/// The repository root (core/ is one level below it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a JSON vector file under tests/vectors/.
pub fn load_vectors(relative: &str) -> Vec<Value> {
    let path = repo_root().join("tests/vectors").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value.as_array().cloned().unwrap_or_else(|| panic!("{} is not an array", path.display()))
}

/// A float from a vector: a number or one of "+Inf", "-Inf", "NaN".
pub fn vector_float(value: &Value) -> f64 {
    match value {
        Value::String(s) if s == "+Inf" => f64::INFINITY,
        Value::String(s) if s == "-Inf" => f64::NEG_INFINITY,
        Value::String(s) if s == "NaN" => f64::NAN,
        other => other.as_f64().unwrap_or_else(|| panic!("not a float: {other}")),
    }
}

/// A float as the vectors write it.
pub fn float_to_vector(value: f64) -> Value {
    if value.is_nan() {
        json!("NaN")
    } else if value == f64::INFINITY {
        json!("+Inf")
    } else if value == f64::NEG_INFINITY {
        json!("-Inf")
    } else if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The binding-level shape of a family: name, type, help, unit, samples with full names.
pub fn family_to_vector(family: &MetricFamily) -> Value {
    let samples: Vec<Value> = family
        .samples
        .iter()
        .map(|s| {
            let labels: Map<String, Value> = s.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            json!({
                "name": family.sample_name(s.suffix),
                "labels": labels,
                "value": float_to_vector(s.value),
                "timestamp": s.timestamp.map(float_to_vector).unwrap_or(Value::Null),
            })
        })
        .collect();
    json!({
        "name": family.name,
        "type": family.kind.as_str(),
        "help": family.help,
        "unit": family.unit,
        "samples": samples,
    })
}

/// Normalises numbers so `1` and `1.0` compare equal.
pub fn normalise(value: &Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map(float_to_vector).unwrap_or(value.clone()),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalise(v))).collect()),
        other => other.clone(),
    }
}

/// Drops the lines that carry creation times (not deterministic).
pub fn without_created(text: &str) -> String {
    text.lines().filter(|l| !l.contains("_created")).map(|l| format!("{l}\n")).collect()
}

/// Every series of `families` by family name and sorted labels, with its value.
pub type Series = std::collections::BTreeMap<(String, Vec<(String, String)>), f64>;

/// The series of the families `keep` accepts, comparable across two collections.
pub fn series(families: &[MetricFamily], keep: impl Fn(&MetricFamily) -> bool) -> Series {
    families
        .iter()
        .filter(|f| keep(f))
        .flat_map(|f| {
            f.samples.iter().map(move |s| {
                let mut labels = s.labels.clone();
                labels.sort();
                ((f.name.clone(), labels), s.value)
            })
        })
        .collect()
}

/// The label names used by any sample of `family`.
pub fn label_names(family: &MetricFamily) -> std::collections::BTreeSet<String> {
    family.samples.iter().flat_map(|s| s.labels.iter().map(|(k, _)| k.clone())).collect()
}

/// The samples of one family by sorted labels, with their values.
pub fn family_series(family: &MetricFamily) -> std::collections::BTreeMap<Vec<(String, String)>, f64> {
    family
        .samples
        .iter()
        .map(|s| {
            let mut labels = s.labels.clone();
            labels.sort();
            (labels, s.value)
        })
        .collect()
}

/// `node_scrape_collector_success` by collector.
pub fn successes(families: &[MetricFamily]) -> std::collections::BTreeMap<String, f64> {
    families
        .iter()
        .filter(|f| f.name == "node_scrape_collector_success")
        .flat_map(|f| f.samples.iter())
        .filter_map(|s| s.label("collector").map(|c| (c.to_string(), s.value)))
        .collect()
}

/// Sample lines by sample name and sorted labels, with their value text and the value it parses to.
pub type ValueTexts = std::collections::BTreeMap<(String, Vec<(String, String)>), (String, f64)>;

/// Each sample line's value text in a text 0.0.4 exposition, by sample name and sorted labels (so two
/// exporters' outputs compare whatever their label order), with the value it parses to.
pub fn value_texts(exposition: &str) -> ValueTexts {
    let mut texts = std::collections::BTreeMap::new();
    for line in exposition.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let series_end = line.rfind('}').map_or_else(|| line.find(' ').unwrap_or(line.len()), |i| i + 1);
        let value_text = line[series_end..].split_whitespace().next().unwrap_or_default();
        let Ok(families) = srekit::expfmt::parse_text(&format!("{line}\n")) else { continue };
        for family in families {
            for sample in family.samples {
                let mut labels = sample.labels.clone();
                labels.sort();
                let name = format!("{}{}", family.name, sample.suffix.as_str());
                texts.insert((name, labels), (value_text.to_string(), sample.value));
            }
        }
    }
    texts
}
