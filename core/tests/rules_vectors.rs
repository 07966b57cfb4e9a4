//! Runs the shared log -> metrics vectors (tests/vectors/rules/*.json): rules over parsed lines must
//! give exactly the expected text 0.0.4 exposition, and the expected OpenMetrics lines (exemplars).

use serde_json::Value as Json;
use srekit::expfmt::{self, Format};
use srekit::logs::config::RuleConfig;
use srekit::logs::rules::RuleSet;
use srekit::logs::{LogFormat, Parser, ParserOptions};
use srekit::metrics::Registry;

fn vectors() -> Vec<Json> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/rules");
    let mut all = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("vectors dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read vectors");
        let cases: Vec<Json> = serde_json::from_str(&text).expect("vectors are JSON");
        all.extend(cases);
    }
    all
}

#[test]
fn rules_vectors() {
    let cases = vectors();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let format = LogFormat::from_name(case["format"].as_str().expect("format")).expect("known format");
        let mut options = ParserOptions::new(format);
        options.time_key = case["time_key"].as_str().map(str::to_owned);
        let parser = Parser::new(options).expect("parser");
        let rules: Vec<RuleConfig> = serde_json::from_value(case["rules"].clone()).expect("rule configs");
        let registry = Registry::new();
        let mut rule_set = RuleSet::new(&rules, &registry).unwrap_or_else(|e| panic!("{name}: {e}"));
        let selection = rule_set.selection(case["input"].as_str().unwrap_or("app"));
        for line in case["lines"].as_array().expect("lines") {
            let line = line.as_str().expect("line");
            let record = parser.parse(line.as_bytes()).unwrap_or_else(|e| panic!("{name}: {line}: {e}"));
            rule_set.apply(&selection, &record);
        }
        let text = registry.encode_to_string(Format::Text);
        assert_eq!(text, case["expect_text"].as_str().expect("expect_text"), "vector {name:?}");
        assert!(!text.contains(" # {"), "{name}: no exemplars in text 0.0.4");
        if let Some(lines) = case["expect_openmetrics_lines"].as_array() {
            let open_metrics = registry.encode_to_string(Format::OpenMetrics);
            let gathered = expfmt::encode_to_string(&registry.gather(), Format::OpenMetrics);
            assert_eq!(
                without_created(&gathered),
                without_created(&open_metrics),
                "{name}: gather == encode"
            );
            for expected in lines {
                let expected = expected.as_str().expect("line");
                assert!(
                    open_metrics.lines().any(|l| l == expected),
                    "vector {name:?}: missing OpenMetrics line {expected:?} in\n{open_metrics}"
                );
            }
            expfmt::parse(&open_metrics, Format::OpenMetrics)
                .unwrap_or_else(|e| panic!("{name}: our OpenMetrics output does not parse: {e}"));
        }
    }
}

/// The exposition without its `_created` lines (whose values are creation times).
fn without_created(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.split([' ', '{']).next().is_some_and(|n| n.ends_with("_created"))).collect()
}
