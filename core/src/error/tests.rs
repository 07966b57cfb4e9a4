//! Every error variant of the crate has a code from the documented set, each code is documented in the
//! module table and reached by some variant, and codes stay within their type's families (so one code
//! never means two unrelated things).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use super::{codes, ErrorCode, MetricError, ParseError, UnknownFormatError};
use crate::host::{CollectError, HostError};
use crate::logs::pipeline::PipelineError;
use crate::logs::rules::RuleError;
use crate::logs::{LineError, LogError};

fn io_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "gone")
}

/// One value of every variant, with the code families its type may use. (`code()` matches
/// exhaustively, so a new variant without a code does not compile; add it here too.)
fn samples() -> Vec<(&'static str, &'static [&'static str], Box<dyn ErrorCode>)> {
    let metric = || MetricError::Duplicate("m".into());
    let metrics: Vec<MetricError> = vec![
        MetricError::InvalidMetricName("1x".into()),
        MetricError::InvalidLabelName { metric: "m".into(), label: "__x".into(), reason: "reserved" },
        metric(),
        MetricError::EscapesAlike { name: "a.b".into(), existing: "a_b".into(), escaped: "a_b".into() },
        MetricError::LabelCount { metric: "m".into(), expected: 1, got: 0 },
        MetricError::UnknownLabel { metric: "m".into(), label: "l".into() },
        MetricError::InvalidBuckets { metric: "m".into(), reason: "empty" },
        MetricError::NegativeIncrement("m".into()),
        MetricError::InvalidExemplar { metric: "m".into(), reason: "too long".into() },
    ];
    let logs = vec![
        LogError::InvalidRegex("(".into()),
        LogError::RegexWithoutNames,
        LogError::UnknownType { field: "f".into(), type_name: "t".into() },
        LogError::InvalidTimeFormat { format: "%Q".into(), reason: "unknown".into() },
        LogError::InvalidMaxLineLength,
        LogError::UnknownFormat("xml".into()),
        LogError::MissingRegex,
        LogError::RegexWithoutRegexFormat("logfmt".into()),
    ];
    let rules = vec![
        RuleError::InvalidRegex { rule: "r".into(), field: "f".into(), message: "bad".into() },
        RuleError::MissingValue { rule: "r".into(), kind: "gauge" },
        RuleError::Invalid { rule: "r".into(), message: "bad".into() },
        RuleError::Metric { rule: "r".into(), source: metric() },
    ];
    let pattern =
        glob::Pattern::new("[").err().map(|source| PipelineError::Pattern { input: "a".into(), source });
    let pipeline = vec![
        PipelineError::Parser { input: "a".into(), source: LogError::RegexWithoutNames },
        PipelineError::InvalidInput { input: "a".into(), message: "bad".into() },
        PipelineError::DuplicateInput("a".into()),
        PipelineError::UnknownInput { rule: "r".into(), input: "b".into() },
        PipelineError::Rule(RuleError::MissingValue { rule: "r".into(), kind: "gauge" }),
        PipelineError::Metric(metric()),
        PipelineError::Checkpoint { path: PathBuf::from("/s"), source: io_error() },
        PipelineError::Read { input: "a".into(), path: PathBuf::from("/f"), source: io_error() },
        PipelineError::ThreadPanicked,
    ];
    let host = vec![
        HostError::UnknownCollector("x".into()),
        HostError::InvalidRegex { option: "o", message: "bad".into() },
        HostError::InvalidValue { option: "perf_cpus", message: "bad".into() },
        HostError::UnknownOption("x".into()),
        HostError::OptionType { option: "o", expected: "a boolean" },
        HostError::ZeroTimeout,
        HostError::ZeroBytes { option: "textfile_max_file_bytes" },
        HostError::Spawn { collector: "c", message: "no threads".into() },
    ];
    let collect = vec![
        CollectError::Io { path: PathBuf::from("/p"), source: io_error() },
        CollectError::Parse { path: PathBuf::from("/p"), reason: "bad" },
        CollectError::Syscall { call: "adjtimex", source: io_error() },
        CollectError::Bus { what: "connect", message: "refused".into() },
        CollectError::Timeout(Duration::from_secs(1)),
        CollectError::Stuck,
        CollectError::WorkerGone,
    ];

    let mut all: Vec<(&'static str, &'static [&'static str], Box<dyn ErrorCode>)> = Vec::new();
    let mut add = |name, families, err: Box<dyn ErrorCode>| all.push((name, families, err));
    for err in metrics {
        add("MetricError", &["metric"], Box::new(err));
    }
    add("ParseError", &["exposition"], Box::new(ParseError { line: 1, column: 1, message: "x".into() }));
    add("UnknownFormatError", &["exposition"], Box::new(UnknownFormatError("xml".into())));
    #[cfg(feature = "push")]
    add("PushError", &["exposition"], Box::new(crate::push::PushError::Decode("snappy: bad".into())));
    #[cfg(feature = "push")]
    add("PushError", &["exposition"], Box::new(crate::push::PushError::UnknownFormat("xml".into())));
    add("LineError", &["log"], Box::new(LineError::new(0, "x")));
    for err in logs {
        add("LogError", &["log"], Box::new(err));
    }
    for err in rules {
        add("RuleError", &["config"], Box::new(err));
    }
    for err in pattern.into_iter().chain(pipeline) {
        add("PipelineError", &["log", "config", "metric", "internal"], Box::new(err));
    }
    for err in host {
        add("HostError", &["host"], Box::new(err));
    }
    for err in collect {
        add("CollectError", &["host", "internal"], Box::new(err));
    }
    all
}

#[test]
fn every_variant_has_a_documented_code_of_its_family() {
    let known: BTreeSet<&str> = codes::ALL.iter().copied().collect();
    assert_eq!(known.len(), codes::ALL.len(), "codes::ALL has a duplicate");
    for (type_name, families, err) in samples() {
        let code = err.code();
        assert!(known.contains(code), "{type_name} ({err}) has code {code:?}, which is not in codes::ALL");
        let family = code.split_once('.').map(|(family, _)| family).unwrap_or(code);
        assert!(families.contains(&family), "{type_name} ({err}) has code {code:?} outside {families:?}");
    }
}

#[test]
fn every_code_is_used_documented_and_well_formed() {
    let used: BTreeSet<&str> = samples().iter().map(|(_, _, err)| err.code()).collect();
    let docs = include_str!("../error.rs");
    for code in codes::ALL {
        assert!(used.contains(code), "{code:?} is in codes::ALL but no error returns it");
        assert!(
            docs.contains(&format!("//! | `{code}` |")),
            "{code:?} is missing from the table in error.rs"
        );
        let (family, kind) = code.split_once('.').unwrap_or_default();
        let lower_snake =
            |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        assert!(lower_snake(family) && lower_snake(kind), "{code:?} is not family.kind in lower_snake_case");
    }
}

#[test]
fn a_code_is_shared_only_by_errors_that_mean_the_same() {
    // Which types return each code; a code returned by several types must be one of these shares.
    let mut by_code: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (type_name, _, err) in samples() {
        by_code.entry(err.code()).or_default().insert(type_name);
    }
    let allowed_shares: BTreeMap<&str, &[&str]> = BTreeMap::from([
        (codes::CONFIG_INVALID, &["PipelineError", "RuleError"][..]),
        (codes::LOG_CONFIG, &["LogError", "PipelineError"][..]),
        (codes::METRIC_DUPLICATE, &["MetricError", "PipelineError"][..]),
        (codes::HOST_IO, &["CollectError", "HostError"][..]),
        (codes::INTERNAL_PANIC, &["CollectError", "PipelineError"][..]),
        // A push body that does not decode is exposition that does not parse, in protobuf.
        (codes::EXPOSITION_PARSE, &["ParseError", "PushError"][..]),
        (codes::EXPOSITION_UNKNOWN_FORMAT, &["PushError", "UnknownFormatError"][..]),
    ]);
    for (code, types) in by_code {
        if types.len() > 1 {
            let allowed: BTreeSet<&str> =
                allowed_shares.get(code).copied().unwrap_or_default().iter().copied().collect();
            assert_eq!(types, allowed, "code {code:?} is returned by {types:?}");
        }
    }
}

#[test]
fn format_names_parse_with_one_message() {
    use crate::expfmt::Format;
    for name in ["text", "TEXT", "prometheus", "0.0.4", "text/plain"] {
        assert_eq!(name.parse::<Format>(), Ok(Format::Text), "{name}");
    }
    for name in ["openmetrics", "OpenMetrics", "om", "application/openmetrics-text"] {
        assert_eq!(name.parse::<Format>(), Ok(Format::OpenMetrics), "{name}");
    }
    let err = "xml".parse::<Format>().unwrap_err();
    assert_eq!(err.to_string(), "unknown exposition format \"xml\" (expected \"text\" or \"openmetrics\")");
    assert_eq!(err.code(), codes::EXPOSITION_UNKNOWN_FORMAT);
}

#[test]
fn the_binding_error_vectors_use_core_codes() {
    // tests/vectors/errors is run by the Python and Node tests; its codes must be the core's.
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/vectors/errors/errors.json")).expect("valid JSON");
    let cases = vectors["cases"].as_array().expect("a cases array");
    assert!(!cases.is_empty());
    for case in cases {
        let code = case["code"].as_str().expect("a code");
        assert!(codes::ALL.contains(&code), "{code:?} is not a core code");
    }
}
