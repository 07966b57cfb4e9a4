//! End to end: the built exporter serves host metrics that a real Prometheus (started here on
//! 127.0.0.1) scrapes every second; HTTP behaviour (negotiation, gzip, methods, limits, shutdown);
//! `collect` output checked by promtool against the real node_exporter's own findings.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../tests/support/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::process::Command;
use std::time::Duration;

use common::*;
use srekit::expfmt::parse_text;

fn meminfo_total_bytes() -> f64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() * 1024.0
}

fn online_cpus() -> usize {
    let stat = std::fs::read_to_string("/proc/stat").unwrap();
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count()
}

#[test]
fn prometheus_scrapes_host_metrics() {
    let (_exporter, port) = start_exporter(&[]);
    let prometheus = Prometheus::start(&[port], "");
    let limit = Duration::from_secs(60);
    prometheus.wait_for("up{job=\"srekit\"}", limit, |v| v == 1.0);
    prometheus.wait_for("scrape_samples_scraped{job=\"srekit\"}", limit, |v| v > 200.0);
    // rate() needs two scrapes of the same series: the counters really move and parse as counters.
    prometheus.wait_for("count(rate(node_cpu_seconds_total{job=\"srekit\"}[5s]))", limit, |v| v > 0.0);
    let cpus = prometheus.wait_for("count(node_cpu_seconds_total{mode=\"idle\"})", limit, |v| v > 0.0);
    assert_eq!(cpus as usize, online_cpus());
    let mem = prometheus.wait_for("node_memory_MemTotal_bytes", limit, |v| v > 0.0);
    assert_eq!(mem, meminfo_total_bytes());
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    let uname = prometheus.query("node_uname_info");
    assert_eq!(uname.len(), 1, "{uname:?}");
    assert_eq!(uname[0]["metric"]["nodename"].as_str(), Some(hostname.as_str()));
    // The exporter's own scrape-duration histogram is scraped too.
    prometheus.wait_for("srekit_exporter_scrape_duration_seconds_count", limit, |v| v >= 1.0);
}

#[test]
fn negotiates_openmetrics_and_gzip() {
    let (_exporter, port) = start_exporter(&[]);
    let om = http_get(
        port,
        "/metrics",
        &[("Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5")],
    )
    .unwrap();
    assert_eq!(om.status, 200);
    assert_eq!(om.header("content-type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    let om_text = om.text();
    assert!(om_text.ends_with("# EOF\n"));
    assert!(om_text.contains("node_cpu_seconds_total{"));
    let families = parse_text(&om_text).unwrap();
    assert!(families.iter().any(|f| f.name == "node_cpu_seconds"));

    let plain = http_get(port, "/metrics", &[]).unwrap();
    assert_eq!(plain.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    assert!(!plain.text().contains("# EOF"));
    parse_text(&plain.text()).unwrap();

    let zipped = http_get(port, "/metrics", &[("Accept-Encoding", "gzip")]).unwrap();
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&zipped.body[..]).read_to_string(&mut unzipped).unwrap();
    let families = parse_text(&unzipped).unwrap();
    assert!(families.iter().any(|f| f.name == "node_load1"));
    assert!(zipped.body.len() * 3 < unzipped.len(), "gzip should shrink the body");
}

#[test]
fn http_edges_get_the_right_status() {
    let (_exporter, port) = start_exporter(&[]);
    assert_eq!(http_request(port, "POST", "/metrics", &[]).unwrap().status, 405);
    assert_eq!(http_request(port, "DELETE", "/", &[]).unwrap().status, 405);
    assert_eq!(http_get(port, "/no/such/path", &[]).unwrap().status, 404);
    let landing = http_get(port, "/", &[]).unwrap();
    assert_eq!(landing.status, 200);
    assert!(landing.text().contains("href=\"/metrics\""));
    let head = http_request(port, "HEAD", "/metrics", &[]).unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    let huge = "x".repeat(32 * 1024);
    let oversized = http_get(port, "/metrics", &[("X-Huge", &huge)]).unwrap();
    assert_eq!(oversized.status, 431, "oversized headers are refused");
    // The server is still healthy afterwards.
    assert_eq!(http_get(port, "/healthz", &[]).unwrap().status, 200);
}

#[test]
fn custom_telemetry_path_and_sigterm() {
    let (mut exporter, port) = start_exporter(&[
        "--web.telemetry-path=/custom",
        "--collector.disable-defaults",
        "--collector.loadavg",
    ]);
    let response = http_get(port, "/custom", &[]).unwrap();
    assert_eq!(response.status, 200);
    let families = parse_text(&response.text()).unwrap();
    let names: BTreeSet<&str> = families.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains("node_load1"));
    assert!(!names.contains("node_cpu_seconds"), "cpu was disabled: {names:?}");
    assert_eq!(http_get(port, "/metrics", &[]).unwrap().status, 404);
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0), "clean exit on SIGTERM");
}

#[test]
fn collect_output_passes_promtool_like_node_exporter() {
    let out = Command::new(exporter_binary()).arg("collect").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    support::assert_promtool(&out.stdout, support::Lint::Host);
    let ours = support::promtool_findings(&out.stdout).1;

    // The real node_exporter's output draws lint findings for its own names (camelCase meminfo names,
    // `_bits`); ours may draw those and no others.
    let (_node_exporter, port) = start_node_exporter(&[]);
    let theirs = support::promtool_findings(&http_get(port, "/metrics", &[]).unwrap().body).1;
    let extra: Vec<&String> = ours.difference(&theirs).collect();
    assert!(extra.is_empty(), "findings node_exporter does not have: {extra:?}");
}
