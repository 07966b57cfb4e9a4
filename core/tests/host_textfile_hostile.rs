//! The textfile collector against hostile files (issue 17 §2 and §4): size caps per file and per
//! collection checked before reading, names the text format 0.0.4 cannot carry, and families forging
//! another collector's or a reserved name. Each is skipped or dropped with
//! `node_textfile_scrape_error 1` and a warning naming the file; the output never holds two families
//! of one name.

use srekit::expfmt::{encode_to_string, Format};
use srekit::host::{HostCollector, HostConfig, HostOption};
use srekit::metrics::MetricFamily;
use std::path::Path;

#[path = "../../tests/support/support.rs"]
mod support;

/// loadavg and textfile over `dir`, with the given caps.
fn collector(dir: &Path, max_file: u64, max_total: u64) -> HostCollector {
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("loadavg").expect("known").enable("textfile").expect("known");
    config.textfile_directory = Some(dir.to_path_buf());
    config.set_option("textfile_max_file_bytes", HostOption::Bytes(max_file)).expect("option");
    config.set_option("textfile_max_total_bytes", HostOption::Bytes(max_total)).expect("option");
    HostCollector::new(config).expect("valid config")
}

fn value(families: &[MetricFamily], name: &str) -> Option<f64> {
    families.iter().find(|f| f.name == name)?.samples.first().map(|s| s.value)
}

fn names(families: &[MetricFamily]) -> Vec<&str> {
    families.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn a_file_over_the_size_cap_is_skipped_by_its_metadata_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a_small.prom"), "app_small 1\n").expect("write");
    std::fs::write(dir.path().join("big.prom"), format!("app_big 1\n# {}\n", "x".repeat(200)))
        .expect("write");
    let report = collector(dir.path(), 100, 1 << 20).collect_report();
    assert_eq!(value(&report.families, "app_small"), Some(1.0));
    assert_eq!(value(&report.families, "app_big"), None);
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(1.0));
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("big.prom") && report.warnings[0].contains("100-byte file limit"));
}

#[test]
fn files_past_the_per_collection_total_are_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a", "b", "c"] {
        std::fs::write(dir.path().join(format!("{name}.prom")), format!("app_{name} 1\n")).expect("write");
    }
    // Each file is 8 bytes; 20 bytes in total admit the first two.
    let report = collector(dir.path(), 100, 20).collect_report();
    assert_eq!(value(&report.families, "app_a"), Some(1.0));
    assert_eq!(value(&report.families, "app_b"), Some(1.0));
    assert_eq!(value(&report.families, "app_c"), None);
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(1.0));
    assert!(report.warnings.iter().any(|w| w.contains("c.prom") && w.contains("per-scrape limit")));
}

#[test]
fn default_caps_are_64_and_256_mib_and_zero_is_refused() {
    let config = HostConfig::default();
    assert_eq!((config.textfile_max_file_bytes, config.textfile_max_total_bytes), (64 << 20, 256 << 20));
    let mut zero = HostConfig::default();
    zero.set_option("textfile_max_file_bytes", HostOption::Bytes(0)).expect("option");
    let err = HostCollector::new(zero).unwrap_err();
    assert_eq!(err.to_string(), "textfile_max_file_bytes must be at least 1 byte");
}

#[test]
fn families_forging_a_collectors_or_a_reserved_name_are_dropped_and_the_output_stays_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("forged.prom"),
        "# TYPE node_load1 gauge\nnode_load1 999\n# TYPE srekit_exporter_build_info gauge\nsrekit_exporter_build_info{version=\"evil\"} 1\nnode_scrape_collector_success{collector=\"x\"} 1\napp_ok 3\n",
    )
    .expect("write");
    let collector = collector(dir.path(), 1 << 20, 1 << 20);
    collector.reserve_names(["srekit_exporter_build_info"]);
    let report = collector.collect_report();
    let all = names(&report.families);
    assert_eq!(all.iter().filter(|n| **n == "node_load1").count(), 1);
    assert_ne!(value(&report.families, "node_load1"), Some(999.0));
    assert!(!all.contains(&"srekit_exporter_build_info"));
    assert_eq!(value(&report.families, "app_ok"), Some(3.0));
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(1.0));
    assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
    assert!(report.warnings.iter().all(|w| w.contains("forged.prom")));
    let success = report.families.iter().find(|f| f.name == "node_scrape_collector_success").expect("family");
    assert!(success.samples.iter().all(|s| s.label("collector") != Some("x")));
    support::assert_promtool(
        encode_to_string(&report.families, Format::Text).as_bytes(),
        support::Lint::Host,
    );
}

#[test]
fn a_file_naming_the_collectors_own_metrics_is_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("own.prom"), "node_textfile_scrape_error 0\n").expect("write");
    let report = collector(dir.path(), 1 << 20, 1 << 20).collect_report();
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(1.0));
    let error = report.families.iter().find(|f| f.name == "node_textfile_scrape_error").expect("family");
    assert_eq!(error.samples.len(), 1);
    assert!(report.warnings[0].contains("own.prom"));
}

#[test]
fn utf8_names_are_taken_and_escaped_for_scrapers_that_do_not_allow_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("name.prom"), "{\"http.server.duration\"} 1\n").expect("write");
    std::fs::write(dir.path().join("label.prom"), "app_requests{\"k8s.pod\"=\"a\"} 1\n").expect("write");
    std::fs::write(dir.path().join("ok.prom"), "app_ok 1\n").expect("write");
    let report = collector(dir.path(), 1 << 20, 1 << 20).collect_report();
    assert_eq!(value(&report.families, "app_ok"), Some(1.0));
    assert_eq!(value(&report.families, "http.server.duration"), Some(1.0));
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(0.0), "{:?}", report.warnings);
    let text = encode_to_string(&report.families, Format::Text);
    assert!(
        text.contains("\nhttp_server_duration 1\n") && text.contains("\napp_requests{k8s_pod=\"a\"} 1\n"),
        "{text}"
    );
    assert!(!text.contains("http.server.duration") && !text.contains("k8s.pod"), "{text}");
    support::assert_promtool(text.as_bytes(), support::Lint::Host);
    let mut utf8 = Vec::new();
    srekit::expfmt::encode_body_with(
        &report.families,
        Format::Text,
        srekit::expfmt::NameEscaping::AllowUtf8,
        &mut utf8,
    );
    let utf8 = String::from_utf8(utf8).expect("UTF-8");
    assert!(
        utf8.contains("\n{\"http.server.duration\"} 1\n")
            && utf8.contains("app_requests{\"k8s.pod\"=\"a\"} 1\n"),
        "{utf8}"
    );
    assert_eq!(srekit::expfmt::parse_text(&utf8).expect("parses").len(), report.families.len());
}

/// The `# TYPE` names of `families` written for a scraper asking for `escaping`, with those written
/// more than once.
fn written_twice(families: &[MetricFamily], escaping: srekit::expfmt::NameEscaping) -> Vec<String> {
    let mut text = Vec::new();
    srekit::expfmt::encode_body_with(families, Format::Text, escaping, &mut text);
    let text = String::from_utf8(text).expect("UTF-8");
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.rsplit_once(' ').map(|(name, _)| name.to_owned()))
        .filter(|name| !seen.insert(name.clone()))
        .collect()
}

/// A textfile family written like a host family, a reserved (log rule) name or another textfile's
/// family once a scrape escapes names (underscores, dots or values) is dropped and named, so no
/// scheme ever writes one name twice; the first of two textfile families wins.
#[test]
fn families_written_alike_once_escaped_are_dropped_under_every_scheme() {
    use srekit::expfmt::NameEscaping;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.prom"),
        concat!(
            "{\"node.load1\"} 999\n", // node_load1 once escaped with underscores
            "{\"app-rule\"} 1\n",     // the log rule app.rule, underscores
            "U__app_2e_values 2\n",   // the log rule app.values, values
            "app_dot_dots 3\n",       // the log rule app.dots, dots
            "# TYPE \"app.hits\" counter\n{\"app.hits_total\"} 4\n", // the rule gauge app_hits_total
            "{\"web.requests\"} 5\n", // kept: first of two textfile families
            "{\"node.textfile.scrape_error\"} 0\n", // the collector's own, once escaped
            "app_ok 6\n",
        ),
    )
    .expect("write");
    std::fs::write(dir.path().join("b.prom"), "web_requests 7\n").expect("write");
    let collector = collector(dir.path(), 1 << 20, 1 << 20);
    collector.reserve_names(["app.rule", "app.values", "app.dots", "app_hits_total"]);
    let report = collector.collect_report();
    let all = names(&report.families);
    for dropped in ["node.load1", "app-rule", "U__app_2e_values", "app_dot_dots", "app.hits", "web_requests"]
    {
        assert!(!all.contains(&dropped), "{dropped} kept: {all:?}");
        assert!(
            report.warnings.iter().any(|w| w.contains(&format!("dropped family {dropped} "))),
            "{dropped}: {:?}",
            report.warnings
        );
    }
    assert!(!all.contains(&"node.textfile.scrape_error"), "{all:?}");
    assert_eq!(value(&report.families, "web.requests"), Some(5.0));
    assert_eq!(value(&report.families, "app_ok"), Some(6.0));
    assert_ne!(value(&report.families, "node_load1"), Some(999.0));
    assert_eq!(value(&report.families, "node_textfile_scrape_error"), Some(1.0));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.contains("b.prom") && w.contains("textfile family web.requests")));
    for scheme in
        [NameEscaping::AllowUtf8, NameEscaping::Underscores, NameEscaping::Dots, NameEscaping::Values]
    {
        assert_eq!(written_twice(&report.families, scheme), Vec::<String>::new(), "{scheme:?}");
    }
}

/// Families strictly sorted by the name their samples are written under, each family's samples by
/// label values (labels by name), as node_exporter writes them.
fn assert_in_node_exporters_order(families: &[MetricFamily], round: usize) {
    use srekit::metrics::MetricType;
    let written = |f: &MetricFamily| match f.kind {
        MetricType::Counter => format!("{}_total", f.name),
        MetricType::Info => format!("{}_info", f.name),
        _ => f.name.clone(),
    };
    for pair in families.windows(2) {
        assert!(
            written(&pair[0]) < written(&pair[1]),
            "round {round}: {} then {}",
            pair[0].name,
            pair[1].name
        );
    }
    for family in families {
        let values = |s: &srekit::metrics::Sample| {
            assert!(s.labels.windows(2).all(|w| w[0].0 < w[1].0), "round {round}: labels of {}", family.name);
            s.labels.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()
        };
        for pair in family.samples.windows(2) {
            assert!(values(&pair[0]) <= values(&pair[1]), "round {round}: samples of {}", family.name);
        }
    }
}

#[test]
fn recycled_collections_stay_in_order_as_textfile_families_come_forged_and_go() {
    // Each round's file, collected twice (the second collection writes what the first did): samples
    // out of order, a forged family dropped before or after the others, families renamed or gone.
    let rounds = [
        "app_b{k=\"2\"} 1\napp_b{k=\"1\"} 1\napp_a{z=\"1\",a=\"2\"} 1\n",
        "# TYPE node_load1 gauge\nnode_load1 9\napp_b{k=\"2\"} 1\napp_b{k=\"1\"} 1\napp_a{z=\"1\",a=\"2\"} 1\n",
        "app_b{k=\"2\"} 1\napp_b{k=\"1\"} 1\napp_a{z=\"1\",a=\"2\"} 1\n",
        "app_c{k=\"1\"} 1\napp_b{k=\"3\"} 1\napp_b{k=\"0\"} 1\n",
        "app_b{k=\"0\"} 1\napp_b{k=\"3\"} 1\n# TYPE node_load1 gauge\nnode_load1 9\n",
        "",
        "app_b{k=\"2\"} 1\napp_b{k=\"1\"} 1\n",
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let collector = collector(dir.path(), 1 << 20, 1 << 20);
    for (round, text) in rounds.iter().enumerate() {
        std::fs::write(dir.path().join("app.prom"), text).expect("write");
        for again in 0..2 {
            let families = collector.collect();
            assert_in_node_exporters_order(&families, round * 2 + again);
            assert_eq!(names(&families).iter().filter(|n| **n == "node_load1").count(), 1);
            collector.recycle(families);
        }
    }
}
