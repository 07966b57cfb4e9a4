//! End to end: the exporter's process metrics carry client_golang's names, help texts and types (as
//! the real node_exporter serves them), and `--web.disable-exporter-metrics` drops them and the
//! `srekit_exporter_*` families while host metrics stay, as node_exporter's flag does.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;

fn sample_value(body: &str, name: &str) -> f64 {
    let line = body.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn process_metrics_match_node_exporters_names_help_and_types() {
    let (_exporter, port) = start_exporter(&["--collector.disable-defaults", "--collector.loadavg"]);
    let ours = http_get(port, "/metrics", &[]).unwrap().text();
    let (_node_exporter, ne_port) =
        start_node_exporter(&["--collector.disable-defaults", "--collector.loadavg"]);
    let theirs = http_get(ne_port, "/metrics", &[]).unwrap().text();
    let expected = metadata_lines(&theirs, "process_");
    assert_eq!(expected.len(), 14, "node_exporter's process collector: {expected:?}");
    assert_eq!(metadata_lines(&ours, "process_"), expected);
    // Values are this process's: the exporter has at least its listener and std streams open.
    assert!(sample_value(&ours, "process_open_fds") >= 4.0, "{ours}");
    assert!(sample_value(&ours, "process_resident_memory_bytes") > 0.0);
    assert!(sample_value(&ours, "process_max_fds") >= sample_value(&ours, "process_open_fds"));
}

#[test]
fn disable_exporter_metrics_drops_process_and_exporter_families_like_node_exporter() {
    let (_exporter, port) = start_exporter(&[
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--web.disable-exporter-metrics",
    ]);
    let ours = http_get(port, "/metrics", &[]).unwrap().text();
    assert!(ours.contains("\nnode_load1 "), "{ours}");
    for prefix in ["process_", "srekit_exporter_"] {
        assert!(metadata_lines(&ours, prefix).is_empty(), "{prefix}: {ours}");
    }
    let (_node_exporter, ne_port) = start_node_exporter(&[
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--web.disable-exporter-metrics",
    ]);
    let theirs = http_get(ne_port, "/metrics", &[]).unwrap().text();
    assert!(metadata_lines(&theirs, "process_").is_empty(), "node_exporter's flag does the same");
    // Without the flag the exporter's own families are there (the test above would pass vacuously
    // against an exporter that never wrote them).
    let (_exporter, port) = start_exporter(&["--collector.disable-defaults", "--collector.loadavg"]);
    let full = http_get(port, "/metrics", &[]).unwrap().text();
    assert!(!metadata_lines(&full, "srekit_exporter_").is_empty(), "{full}");
}
