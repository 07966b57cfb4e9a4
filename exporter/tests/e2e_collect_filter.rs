//! End to end: `/metrics?collect[]=NAME` restricts a scrape to those host collectors and
//! `exclude[]=NAME` leaves them out, as node_exporter's query parameters do; a collector that does not
//! exist or is not enabled, or both parameters at once, is a 400 with node_exporter's message (the
//! unknown-collector message compared with the real node_exporter 1.5's).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use common::*;

/// The `collector` labels of `node_scrape_collector_success` in a scrape.
fn collectors_in(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter_map(|line| line.strip_prefix("node_scrape_collector_success{collector=\""))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

const FLAGS: [&str; 4] =
    ["--collector.disable-defaults", "--collector.cpu", "--collector.meminfo", "--collector.loadavg"];

#[test]
fn collect_and_exclude_select_collectors() {
    let (_exporter, port) = start_exporter(&FLAGS);
    let all = http_get(port, "/metrics", &[]).unwrap().text();
    assert_eq!(collectors_in(&all), BTreeSet::from(["cpu".into(), "loadavg".into(), "meminfo".into()]));

    let some = http_get(port, "/metrics?collect[]=cpu&collect[]=meminfo", &[]).unwrap();
    assert_eq!(some.status, 200);
    let some = some.text();
    assert_eq!(collectors_in(&some), BTreeSet::from(["cpu".into(), "meminfo".into()]));
    assert!(some.contains("\nnode_memory_MemTotal_bytes ") && some.contains("node_cpu_seconds_total{"));
    assert!(!some.contains("node_load1"), "loadavg did not run");
    assert!(some.contains("srekit_exporter_build_info"), "the exporter's own metrics stay");

    // As Prometheus sends `params: {collect[]: [loadavg]}`: percent-encoded brackets.
    let encoded = http_get(port, "/metrics?collect%5B%5D=loadavg", &[]).unwrap().text();
    assert_eq!(collectors_in(&encoded), BTreeSet::from(["loadavg".into()]));

    let excluded = http_get(port, "/metrics?exclude[]=cpu", &[]).unwrap().text();
    assert_eq!(collectors_in(&excluded), BTreeSet::from(["loadavg".into(), "meminfo".into()]));
}

#[test]
fn bad_selections_are_400_with_node_exporters_messages() {
    let (_exporter, port) = start_exporter(&FLAGS);
    let (_node_exporter, ne_port) = start_node_exporter(&FLAGS);
    let ours = http_get(port, "/metrics?collect[]=nope", &[]).unwrap();
    let theirs = http_get(ne_port, "/metrics?collect[]=nope", &[]).unwrap();
    assert_eq!((ours.status, theirs.status), (400, 400));
    assert_eq!(ours.text().trim_end(), theirs.text().trim_end());

    let disabled = http_get(port, "/metrics?collect[]=processes", &[]).unwrap();
    assert_eq!(disabled.status, 400);
    assert!(disabled.text().contains("disabled collector: processes"), "{}", disabled.text());

    let combined = http_get(port, "/metrics?collect[]=cpu&exclude[]=meminfo", &[]).unwrap();
    assert_eq!(combined.status, 400);
    assert_eq!(combined.text(), "Combined collect and exclude queries are not allowed.\n");
}

#[test]
fn prometheus_scrape_params_select_collectors() {
    let (_exporter, port) = start_exporter(&FLAGS);
    // As a Prometheus job sends them: `params: {collect[]: [loadavg]}`.
    let prometheus = Prometheus::start(&[port], "    params:\n      collect[]: [loadavg]\n");
    let limit = std::time::Duration::from_secs(60);
    prometheus.wait_for("up{job=\"srekit\"}", limit, |v| v == 1.0);
    prometheus.wait_for("count(node_scrape_collector_success{job=\"srekit\"})", limit, |v| v == 1.0);
    let collectors = prometheus.query("node_scrape_collector_success{job=\"srekit\"}");
    assert_eq!(collectors[0]["metric"]["collector"].as_str(), Some("loadavg"), "{collectors:?}");
    assert!(prometheus.query("node_cpu_seconds_total").is_empty(), "cpu did not run");
    assert!(prometheus.value("node_load1{job=\"srekit\"}").is_some());
}
