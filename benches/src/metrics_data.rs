//! The encoding benchmarks' metric data set (the foundation issue's): 10,000 counter series with 3
//! labels, plus 50 histograms x 20 label sets x 12 buckets, shared by the text and push benchmarks.

use srekit::metrics::{HistogramVec, Registry};

/// Counter series in the data set.
pub const COUNTER_SERIES: usize = 10_000;
/// Histograms in the data set.
pub const HISTOGRAMS: usize = 50;
/// Label sets per histogram.
pub const HISTOGRAM_LABEL_SETS: usize = 20;

/// The labels of counter series `i` (method, code, path).
pub fn counter_labels(i: usize) -> [String; 3] {
    [
        ["GET", "POST", "PUT"][i % 3].to_string(),
        ["200", "404", "500", "302"][i % 4].to_string(),
        format!("/api/v1/resource/{i}"),
    ]
}

/// The `i`th observation of a histogram.
pub fn observation(i: usize) -> f64 {
    (i % 37) as f64 * 0.031
}

/// The data set in a srekit registry.
pub fn srekit_registry() -> Registry {
    let registry = Registry::new();
    let requests = registry
        .counter("http_requests_total", "HTTP requests served.", &["method", "code", "path"])
        .expect("valid counter");
    for i in 0..COUNTER_SERIES {
        let [m, c, p] = counter_labels(i);
        requests.labels(&[&m, &c, &p]).expect("3 labels").inc_by((i % 97) as f64).expect("non-negative");
    }
    for h in 0..HISTOGRAMS {
        let hist = registry
            .histogram(
                &format!("rpc_{h}_duration_seconds"),
                "RPC latency.",
                &["service"],
                HistogramVec::DEFAULT_BUCKETS,
            )
            .expect("valid histogram");
        for s in 0..HISTOGRAM_LABEL_SETS {
            let child = hist.labels(&[&format!("svc-{s}")]).expect("1 label");
            for k in 0..=s {
                child.observe(observation(k));
            }
        }
    }
    registry
}
