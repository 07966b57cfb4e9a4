//! End to end: Prometheus 3 (UTF-8) names from a textfile are written quoted only to a scraper whose
//! `Accept` header allows them (`escaping=allow-utf-8`, as Prometheus 3 sends), escaped by the
//! negotiated scheme otherwise (underscores by default), so Debian's Prometheus 2.42 scrapes the
//! target (up) and queries the escaped name. Every shared negotiation vector gets its `Content-Type`.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../tests/support/support.rs"]
mod support;

use std::time::Duration;

use common::*;

const UTF8_TEXTFILE: &str =
    "# HELP \"http.server.duration\" Seconds.\n# TYPE \"http.server.duration\" gauge\n{\"http.server.duration\",\"url.scheme\"=\"https\"} 3\n";

fn start_with_utf8_textfile(dir: &std::path::Path) -> (Process, u16) {
    std::fs::write(dir.join("utf8.prom"), UTF8_TEXTFILE).unwrap();
    start_exporter(&[
        &format!("--collector.textfile.directory={}", dir.display()),
        "--collector.disable-defaults",
        "--collector.textfile",
    ])
}

#[test]
fn utf8_names_are_quoted_only_for_scrapers_that_allow_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_exporter, port) = start_with_utf8_textfile(dir.path());

    let accept = "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5";
    let utf8 = http_get(port, "/metrics", &[("Accept", accept)]).unwrap();
    assert_eq!(
        utf8.header("content-type"),
        Some("text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8")
    );
    let text = utf8.text();
    assert!(text.contains("\n{\"http.server.duration\",\"url.scheme\"=\"https\"} 3\n"), "{text}");
    assert!(text.contains("node_textfile_scrape_error 0\n"), "{text}");
    let families = srekit::expfmt::parse_text(&text).unwrap();
    assert!(families.iter().any(|f| f.name == "http.server.duration"));

    // Prometheus 3's default header prefers OpenMetrics.
    let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    let om = http_get(port, "/metrics", &[("Accept", accept)]).unwrap().text();
    assert!(
        om.contains("\n{\"http.server.duration\",\"url.scheme\"=\"https\"} 3.0\n") && om.ends_with("# EOF\n"),
        "{om}"
    );

    let dots = http_get(port, "/metrics", &[("Accept", "text/plain;version=1.0.0;escaping=dots")]).unwrap();
    let text = dots.text();
    assert!(text.contains("\nhttp_dot_server_dot_duration{url_dot_scheme=\"https\"} 3\n"), "{text}");

    let plain = http_get(port, "/metrics", &[]).unwrap();
    assert_eq!(plain.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = plain.text();
    assert!(
        text.contains("# TYPE http_server_duration gauge\nhttp_server_duration{url_scheme=\"https\"} 3\n"),
        "{text}"
    );
    assert!(!text.contains("http.server"), "{text}");
    support::assert_promtool(&plain.body, support::Lint::Host);
}

#[test]
fn prometheus_2_scrapes_the_escaped_names() {
    let dir = tempfile::tempdir().unwrap();
    let (_exporter, port) = start_with_utf8_textfile(dir.path());
    let prometheus = Prometheus::start(&[port], "");
    let limit = Duration::from_secs(60);
    prometheus.wait_for("up{job=\"srekit\"}", limit, |v| v == 1.0);
    let value = prometheus.wait_for("http_server_duration{url_scheme=\"https\"}", limit, |v| v == 3.0);
    assert_eq!(value, 3.0);
}

/// The shared negotiation vectors (tests/vectors/expfmt/negotiate.json, which the bindings'
/// `Registry.expose` answers the same way): each `Accept` header gets the vector's `Content-Type`, and
/// the UTF-8 textfile name is quoted only where the vector's escaping is `allow-utf-8`.
#[test]
fn every_negotiation_vector_gets_its_content_type() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/expfmt/negotiate.json");
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() >= 10);
    let dir = tempfile::tempdir().unwrap();
    let (_exporter, port) = start_with_utf8_textfile(dir.path());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let headers: Vec<(&str, &str)> =
            case["accept"].as_str().map(|a| vec![("Accept", a)]).unwrap_or_default();
        let response = http_get(port, "/metrics", &headers).unwrap();
        assert_eq!(response.status, 200, "{name}");
        assert_eq!(response.header("content-type"), case["content_type"].as_str(), "{name}");
        let body = response.text();
        let quoted = body.contains("\n{\"http.server.duration\",\"url.scheme\"=\"https\"} 3");
        assert_eq!(quoted, case["escaping"] == "allow-utf-8", "{name}: {body}");
        assert_eq!(body.ends_with("# EOF\n"), case["format"] == "openmetrics", "{name}");
    }
}

#[test]
fn log_rule_utf8_names_follow_the_negotiated_escaping() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("app.log");
    std::fs::write(&logs, "msg=request service=api\nmsg=request service=api\n").unwrap();
    let config = format!(
        "[[inputs]]\nname = \"app\"\npaths = [\"{}\"]\nformat = \"logfmt\"\nread_from_head = true\n\n[[metrics]]\nname = \"http.requests\"\nhelp = \"Requests.\"\nkind = \"counter\"\nlabels = {{ \"service.name\" = \"service\" }}\n",
        logs.display()
    );
    std::fs::write(dir.path().join("srekit.toml"), config).unwrap();
    let (_exporter, port) = start_exporter(&[
        &format!("--config.file={}", dir.path().join("srekit.toml").display()),
        "--collector.disable-defaults",
        "--collector.loadavg",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let accept = "text/plain;version=1.0.0;escaping=allow-utf-8";
    loop {
        let text = http_get(port, "/metrics", &[("Accept", accept)]).unwrap().text();
        if text.contains("{\"http.requests_total\",\"service.name\"=\"api\"} 2\n") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no quoted rule series:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let dots =
        http_get(port, "/metrics", &[("Accept", "text/plain;version=1.0.0;escaping=dots")]).unwrap().text();
    assert!(dots.contains("\nhttp_dot_requests_total{service_dot_name=\"api\"} 2\n"), "{dots}");
    let plain = http_get(port, "/metrics", &[]).unwrap();
    let text = plain.text();
    assert!(text.contains("\nhttp_requests_total{service_name=\"api\"} 2\n"), "{text}");
    // (the rule's name stays a label value of the srekit_log_* series, which is fine)
    assert!(!text.contains("{\"http.requests") && !text.contains("service.name"), "{text}");
    support::assert_promtool(&plain.body, support::Lint::Host);
}
