//! Prometheus 3 (UTF-8) metric and label names in the registry and the log rules: accepted, written
//! quoted only to a scraper that allows UTF-8 and escaped by the negotiated scheme for every other one
//! (underscores by default), and the escaped text passes the real `promtool check metrics` (Debian's
//! Prometheus is 2.42, which cannot read quoted names, so no Prometheus 3 end-to-end here).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

#[path = "../../tests/support/support.rs"]
mod support;

use srekit::error::MetricError;
use srekit::expfmt::{parse_text, Format, NameEscaping};
use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
use srekit::metrics::Registry;
use support::Lint;

/// A counter `http.requests{service.name}` and a histogram `http.latency{service.name}`.
fn utf8_registry() -> Registry {
    let registry = Registry::new();
    let requests = registry.counter("http.requests", "Requests.", &["service.name"]).unwrap();
    requests.labels(&["api"]).unwrap().inc();
    let latency = registry.histogram("http.latency", "Latency.", &["service.name"], &[0.5]).unwrap();
    latency.labels(&["api"]).unwrap().observe(0.25);
    registry
}

fn expose(registry: &Registry, accept: &str) -> String {
    String::from_utf8(registry.expose(accept).0).unwrap()
}

#[test]
fn each_escaping_scheme_writes_the_names_as_prometheus_common_does() {
    let registry = utf8_registry();
    let cases = [
        (
            "underscores",
            "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n\
             http_requests_total{service_name=\"api\"} 1\n\
             # HELP http_latency Latency.\n# TYPE http_latency histogram\n\
             http_latency_bucket{service_name=\"api\",le=\"0.5\"} 1\n\
             http_latency_bucket{service_name=\"api\",le=\"+Inf\"} 1\n\
             http_latency_sum{service_name=\"api\"} 0.25\nhttp_latency_count{service_name=\"api\"} 1\n",
        ),
        (
            "dots",
            "# HELP http_dot_requests_total Requests.\n# TYPE http_dot_requests_total counter\n\
             http_dot_requests_total{service_dot_name=\"api\"} 1\n\
             # HELP http_dot_latency Latency.\n# TYPE http_dot_latency histogram\n\
             http_dot_latency_bucket{service_dot_name=\"api\",le=\"0.5\"} 1\n\
             http_dot_latency_bucket{service_dot_name=\"api\",le=\"+Inf\"} 1\n\
             http_dot_latency_sum{service_dot_name=\"api\"} 0.25\nhttp_dot_latency_count{service_dot_name=\"api\"} 1\n",
        ),
        (
            "values",
            "# HELP U__http_2e_requests_total Requests.\n# TYPE U__http_2e_requests_total counter\n\
             U__http_2e_requests_total{U__service_2e_name=\"api\"} 1\n\
             # HELP U__http_2e_latency Latency.\n# TYPE U__http_2e_latency histogram\n\
             U__http_2e_latency_bucket{U__service_2e_name=\"api\",le=\"0.5\"} 1\n\
             U__http_2e_latency_bucket{U__service_2e_name=\"api\",le=\"+Inf\"} 1\n\
             U__http_2e_latency_sum{U__service_2e_name=\"api\"} 0.25\nU__http_2e_latency_count{U__service_2e_name=\"api\"} 1\n",
        ),
        (
            "allow-utf-8",
            "# HELP \"http.requests_total\" Requests.\n# TYPE \"http.requests_total\" counter\n\
             {\"http.requests_total\",\"service.name\"=\"api\"} 1\n\
             # HELP \"http.latency\" Latency.\n# TYPE \"http.latency\" histogram\n\
             {\"http.latency_bucket\",\"service.name\"=\"api\",le=\"0.5\"} 1\n\
             {\"http.latency_bucket\",\"service.name\"=\"api\",le=\"+Inf\"} 1\n\
             {\"http.latency_sum\",\"service.name\"=\"api\"} 0.25\n{\"http.latency_count\",\"service.name\"=\"api\"} 1\n",
        ),
    ];
    for (scheme, expected) in cases {
        let accept = format!("text/plain;version=1.0.0;escaping={scheme}");
        assert_eq!(expose(&registry, &accept), expected, "{scheme}");
        let escaping = NameEscaping::from_name(scheme).unwrap();
        let mut body = Vec::new();
        registry.encode_body_with(Format::Text, escaping, &mut body);
        assert_eq!(String::from_utf8(body).unwrap(), expected, "{scheme}: encode_body_with");
    }
    // No escaping named (Prometheus 2, curl): underscores, as client_golang.
    assert_eq!(expose(&registry, ""), expose(&registry, "text/plain;version=1.0.0;escaping=underscores"));
    assert_eq!(registry.encode_to_string(Format::Text), expose(&registry, ""));
}

#[test]
fn openmetrics_quotes_utf8_names_only_when_allowed() {
    let registry = utf8_registry();
    let om = expose(&registry, "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8");
    assert!(
        om.contains(
            "# TYPE \"http.requests\" counter\n{\"http.requests_total\",\"service.name\"=\"api\"} 1.0\n"
        ),
        "{om}"
    );
    assert!(om.contains("{\"http.requests_created\",\"service.name\"=\"api\"} "), "{om}");
    assert!(om.ends_with("# EOF\n"));
    let escaped = expose(&registry, "application/openmetrics-text;version=1.0.0");
    assert!(
        escaped.contains("# TYPE http_requests counter\nhttp_requests_total{service_name=\"api\"} 1.0\n"),
        "{escaped}"
    );
    assert!(!escaped.contains("{\""), "no quoted name: {escaped}");
}

#[test]
fn escaped_output_passes_promtool_and_quoted_output_parses_back() {
    let registry = utf8_registry();
    for accept in ["", "text/plain;version=1.0.0;escaping=dots", "text/plain;version=1.0.0;escaping=values"] {
        support::assert_promtool(expose(&registry, accept).as_bytes(), Lint::Clean);
    }
    // promtool 2.42 reads OpenMetrics as text 0.0.4 (`_created` draws findings): our parser checks it.
    let om = parse_text(&expose(&registry, "application/openmetrics-text;version=1.0.0")).unwrap();
    assert_eq!((om[0].name.as_str(), om[1].name.as_str()), ("http_requests", "http_latency"));
    for accept in [
        "text/plain;version=1.0.0;escaping=allow-utf-8",
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
    ] {
        let families = parse_text(&expose(&registry, accept)).unwrap();
        assert_eq!(families[0].name, "http.requests", "{accept}");
        assert_eq!(families[0].samples[0].labels, vec![("service.name".to_string(), "api".to_string())]);
        assert_eq!(families[1].name, "http.latency", "{accept}");
    }
}

#[test]
fn registry_refuses_empty_reserved_and_colliding_names() {
    let registry = Registry::new();
    assert_eq!(registry.gauge("", "x", &[]).unwrap_err(), MetricError::InvalidMetricName(String::new()));
    for (labels, reason) in [
        (&[""][..], "must not be empty"),
        (&["__name__"][..], "reserved"),
        (&["service.name", "service_name"][..], "escapes to the same name"),
        (&["k8s pod", "k8s-pod"][..], "escapes to the same name"),
    ] {
        let err = registry.gauge("g", "x", labels).unwrap_err().to_string();
        assert!(err.contains(reason), "{labels:?}: {err}");
    }
    registry.counter("http.requests", "x", &[]).unwrap();
    let err = registry.counter("http_requests_total", "x", &[]).unwrap_err();
    assert_eq!(
        err,
        MetricError::EscapesAlike {
            name: "http_requests".into(),
            existing: "http.requests".into(),
            escaped: "http_requests".into()
        }
    );
    assert_eq!(err.code(), "metric.duplicate");
    // Names in any script are accepted; the escaped form is what a legacy scraper sees.
    registry.gauge("温度", "Temperature.", &["部屋"]).unwrap().labels(&["台所"]).unwrap().set(21.0);
    let text = registry.encode_to_string(Format::Text);
    assert!(text.ends_with("# HELP __ Temperature.\n# TYPE __ gauge\n__{__=\"台所\"} 21\n"), "{text}");
    let utf8 = expose(&registry, "text/plain;version=1.0.0;escaping=allow-utf-8");
    assert!(utf8.ends_with("{\"温度\",\"部屋\"=\"台所\"} 21\n"), "{utf8}");
}

#[test]
fn rules_take_utf8_metric_and_label_names() {
    let rule: RuleConfig = toml::from_str(
        "name = \"http.requests\"\nhelp = \"Requests.\"\nkind = \"counter\"\nlabels = { \"service.name\" = \"service\" }\nconst_labels = { \"deployment.environment\" = \"prod\" }",
    )
    .unwrap();
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[rule], &registry).unwrap();
    for line in ["service=api", "service=api", "service=web"] {
        rules.apply_all(&parse_logfmt(line).unwrap());
    }
    let text = registry.encode_to_string(Format::Text);
    assert!(
        text.contains("http_requests_total{service_name=\"api\",deployment_environment=\"prod\"} 2\n"),
        "{text}"
    );
    // The rule's own bookkeeping names the rule by its configured name, as a label value.
    assert!(
        text.contains("srekit_log_records_skipped_total{metric=\"http.requests\",reason=\"value\"} 0\n"),
        "{text}"
    );
    support::assert_promtool(text.as_bytes(), Lint::Clean);
    let utf8 = expose(&registry, "text/plain;version=1.0.0;escaping=allow-utf-8");
    assert!(
        utf8.contains(
            "{\"http.requests_total\",\"service.name\"=\"web\",\"deployment.environment\"=\"prod\"} 1\n"
        ),
        "{utf8}"
    );
    // Still refused: an empty name, a reserved `__` label, and a list label is still sanitized.
    for (config, expected) in [
        ("name = \"\"\nkind = \"counter\"", "must not be empty"),
        ("name = \"a.b\"\nkind = \"counter\"\nlabels = { \"__x\" = \"f\" }", "reserved"),
    ] {
        let rule: RuleConfig = toml::from_str(config).unwrap();
        let Err(err) = RuleSet::new(&[rule], &Registry::new()) else { panic!("{config}: accepted") };
        let err = err.to_string();
        assert!(err.contains(expected), "{config}: {err}");
    }
    let rule: RuleConfig =
        toml::from_str("name = \"hits\"\nkind = \"counter\"\nlabels = [\"http.method\"]").unwrap();
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[rule], &registry).unwrap();
    rules.apply_all(&parse_logfmt("http.method=GET").unwrap());
    assert!(registry.encode_to_string(Format::Text).contains("hits_total{http_method=\"GET\"} 1\n"));
}

/// The `MetricFamily` encoder (textfile collector, parsed input) names a UTF-8 counter in its
/// metadata exactly as its samples under every escaping scheme: the escaped base name, then `_total`.
#[test]
fn family_encoder_metadata_names_the_sample_family_under_every_scheme() {
    use srekit::expfmt::encode_body_with;
    use srekit::metrics::{MetricFamily, Sample, Suffix};
    let mut requests = MetricFamily::counter("http.requests", "Requests.");
    requests.samples.push(Sample::new(Suffix::Total, vec![("service.name".into(), "api".into())], 2.0));
    for (escaping, expected) in [
        (NameEscaping::Underscores, "http_requests"),
        (NameEscaping::Dots, "http_dot_requests"),
        (NameEscaping::Values, "U__http_2e_requests"),
    ] {
        let mut body = Vec::new();
        encode_body_with(std::slice::from_ref(&requests), Format::Text, escaping, &mut body);
        support::assert_promtool(&body, Lint::Clean);
        let text = String::from_utf8(body).unwrap();
        let families = parse_text(&text).unwrap();
        assert_eq!(families.len(), 1, "{escaping:?}: TYPE and samples name one family:\n{text}");
        assert_eq!(families[0].name, expected, "{escaping:?}");
        assert_eq!(families[0].kind, srekit::metrics::MetricType::Counter, "{escaping:?}");
        assert_eq!(families[0].samples.len(), 1, "{escaping:?}");
        assert_eq!(families[0].samples[0].suffix, Suffix::Total, "{escaping:?}");
    }
}
