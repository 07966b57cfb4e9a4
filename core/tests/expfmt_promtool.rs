//! Every kind of encoder output is checked by the real `promtool check metrics` (Debian's prometheus
//! package; scripts/install-deps.sh installs it). Well-named metrics must draw no finding at all.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "../../tests/support/support.rs"]
mod support;

use srekit::expfmt::{encode_to_string, Format};
use srekit::metrics::{HistogramVec, MetricFamily, Registry};
use support::Lint;

fn assert_clean(text: &str) {
    support::assert_promtool(text.as_bytes(), Lint::Clean);
}

/// The benchmark data set: 10,000 counter series with 3 labels plus 50 histograms x 20 label sets.
fn benchmark_registry() -> Registry {
    let registry = Registry::new();
    let requests = registry
        .counter("http_requests_total", "HTTP requests served.", &["method", "code", "path"])
        .unwrap();
    for i in 0..10_000 {
        let code = ["200", "404", "500", "302"][i % 4];
        let method = ["GET", "POST", "PUT"][i % 3];
        let path = format!("/api/v1/resource/{i}");
        requests.labels(&[method, code, &path]).unwrap().inc_by((i % 97) as f64).unwrap();
    }
    for h in 0..50 {
        let hist = registry
            .histogram(
                &format!("rpc_{h}_duration_seconds"),
                "RPC latency.",
                &["service"],
                HistogramVec::DEFAULT_BUCKETS,
            )
            .unwrap();
        for s in 0..20 {
            let child = hist.labels(&[&format!("svc-{s}")]).unwrap();
            for k in 0..(s + 1) {
                child.observe(k as f64 * 0.037);
            }
        }
    }
    registry
}

#[test]
fn registry_benchmark_data_set_is_lint_clean() {
    assert_clean(&benchmark_registry().encode_to_string(Format::Text));
}

#[test]
fn every_metric_kind_from_the_registry_is_lint_clean() {
    let registry = Registry::new();
    registry
        .counter("jobs_processed_total", "Jobs processed.", &["queue"])
        .unwrap()
        .labels(&["a\"b\\c\nd"])
        .unwrap()
        .inc_by_with_exemplar(1.0, &[("trace_id", "abc")], Some(1.7e9))
        .unwrap();
    registry.gauge("queue_depth", "Queue depth.", &[]).unwrap().labels(&[]).unwrap().set(f64::NAN);
    registry
        .gauge("temperature_celsius", "Temperature.", &["room"])
        .unwrap()
        .labels(&["ü"])
        .unwrap()
        .set(-1.5e-7);
    registry
        .histogram("job_duration_seconds", "Job time.", &[], &[0.1, 1.0])
        .unwrap()
        .labels(&[])
        .unwrap()
        .observe_with_exemplar(0.5, &[("trace_id", "def")], None)
        .unwrap();
    registry
        .summary("payload_size_bytes", "Payload size.", &["kind"])
        .unwrap()
        .labels(&["x"])
        .unwrap()
        .observe(3.0);
    assert_clean(&registry.encode_to_string(Format::Text));
    // Exemplars are OpenMetrics-only: the text above has none, the OpenMetrics output carries both and
    // parses back with them.
    let open_metrics = registry.encode_to_string(Format::OpenMetrics);
    let parsed = srekit::expfmt::parse(&open_metrics, Format::OpenMetrics).unwrap();
    let exemplars: Vec<_> =
        parsed.iter().flat_map(|f| &f.samples).filter_map(|s| s.exemplar.as_ref()).collect();
    assert_eq!(exemplars.len(), 2, "{open_metrics}");
}

#[test]
fn families_in_node_exporter_style_are_lint_clean() {
    let mut cpu = MetricFamily::counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.");
    cpu.push(vec![("cpu".into(), "0".into()), ("mode".into(), "idle".into())], 12345.67);
    let mut mem =
        MetricFamily::gauge("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.");
    mem.push(vec![], 2.5e10);
    let mut info = MetricFamily::gauge(
        "node_uname_info",
        "Labeled system information as provided by the uname system call.",
    );
    info.push(vec![("nodename".into(), "host".into()), ("release".into(), "6.1".into())], 1.0);
    // node_exporter's own meminfo names are camelCase, which promtool's linter flags (it flags the real
    // node_exporter's output the same way); anything else would be our fault.
    let text = encode_to_string(&[cpu, mem, info], Format::Text);
    support::assert_promtool(text.as_bytes(), Lint::Host);
    assert!(
        support::promtool_check(text.as_bytes(), Lint::Clean).is_err(),
        "the camelCase name draws a finding"
    );
}

#[test]
fn promtool_really_rejects_bad_input() {
    // The check above is only meaningful if promtool fails on broken text.
    let parse_error = support::promtool_check(b"bad{a=\"1\" 1\n", Lint::Host).unwrap_err();
    assert!(parse_error.contains("could not parse"), "{parse_error}");
    let lint = support::promtool_check(b"# TYPE x counter\nx 1\n", Lint::Host);
    assert!(lint.is_err(), "a counter without _total and help draws findings the host policy does not allow");
}
