//! Round trips: encode families, decode the bytes with prost, compare with the families.

use super::otlp::{decode, export_request};
use super::otlp_proto::{Data, KeyValue};
use super::remote_write::{decompress, split, write_request, Label};
use super::*;
use crate::expfmt::parse_text;
use crate::metrics::{MetricFamily, Registry};

const TEXT: &str = "\
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method=\"GET\",code=\"200\"} 7
http_requests_total{method=\"POST\",code=\"500\"} 2
# HELP temp_celsius Temperature.
# TYPE temp_celsius gauge
temp_celsius{zone=\"a\"} 21.5
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{route=\"/\",le=\"0.1\"} 1
latency_seconds_bucket{route=\"/\",le=\"0.5\"} 3
latency_seconds_bucket{route=\"/\",le=\"+Inf\"} 4
latency_seconds_sum{route=\"/\"} 2.5
latency_seconds_count{route=\"/\"} 4
# HELP rpc_seconds RPC.
# TYPE rpc_seconds summary
rpc_seconds{quantile=\"0.5\"} 0.2
rpc_seconds{quantile=\"0.99\"} 0.9
rpc_seconds_sum 10
rpc_seconds_count 30
# TYPE odd untyped
odd 3 1700000000500
";

fn families() -> Vec<MetricFamily> {
    parse_text(TEXT).expect("test text parses")
}

fn label<'a>(labels: &'a [Label], name: &str) -> Option<&'a str> {
    labels.iter().find(|l| l.name == name).map(|l| l.value.as_str())
}

#[test]
fn remote_write_round_trip_has_every_sample_of_the_families() {
    let families = families();
    let options = RemoteWriteOptions {
        timestamp_ms: 1_700_000_000_000,
        external_labels: vec![("cluster".into(), "prod".into()), ("zone".into(), "ignored".into())],
        metadata: true,
    };
    let request = decompress(&encode_remote_write(&families, &options)).expect("decodes");
    let expected: usize = families.iter().map(|f| f.samples.len()).sum();
    assert_eq!(request.timeseries.len(), expected);
    let mut seen = Vec::new();
    for series in &request.timeseries {
        let names: Vec<&str> = series.labels.iter().map(|l| l.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "labels sorted by name");
        assert_eq!(label(&series.labels, "cluster"), Some("prod"));
        assert_eq!(series.samples.len(), 1);
        seen.push((label(&series.labels, "__name__").unwrap_or("").to_owned(), series.samples[0].clone()));
    }
    let find = |name: &str| seen.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone());
    assert_eq!(find("http_requests_total").map(|s| s.value), Some(7.0));
    assert_eq!(find("latency_seconds_sum").map(|s| s.value), Some(2.5));
    assert_eq!(find("latency_seconds_count").map(|s| s.value), Some(4.0));
    assert_eq!(find("rpc_seconds_count").map(|s| s.value), Some(30.0));
    assert_eq!(find("temp_celsius").map(|s| s.timestamp), Some(1_700_000_000_000));
    // A sample's own timestamp wins over the collection time.
    assert_eq!(find("odd").map(|s| s.timestamp), Some(1_700_000_000_500));
    // A series' own label wins over an external label of the same name.
    let temp = request.timeseries.iter().find(|s| label(&s.labels, "__name__") == Some("temp_celsius"));
    assert_eq!(temp.and_then(|s| label(&s.labels, "zone")), Some("a"));
    let buckets: Vec<_> = request
        .timeseries
        .iter()
        .filter(|s| label(&s.labels, "__name__") == Some("latency_seconds_bucket"))
        .map(|s| (label(&s.labels, "le").unwrap_or("").to_owned(), s.samples[0].value))
        .collect();
    assert_eq!(buckets, [("0.1".into(), 1.0), ("0.5".into(), 3.0), ("+Inf".into(), 4.0)]);

    let meta: Vec<(i32, &str, &str)> =
        request.metadata.iter().map(|m| (m.r#type, m.metric_family_name.as_str(), m.help.as_str())).collect();
    assert_eq!(
        meta,
        [
            (1, "http_requests_total", "Requests."),
            (2, "temp_celsius", "Temperature."),
            (3, "latency_seconds", "Latency."),
            (5, "rpc_seconds", "RPC."),
            (0, "odd", ""),
        ]
    );
}

#[test]
fn remote_write_from_a_registry_skips_created_and_can_leave_metadata_out() {
    let registry = Registry::new();
    let h = registry.histogram("h_seconds", "H.", &["k"], &[1.0]).expect("registers");
    h.labels(&["v"]).expect("labels").observe(0.5);
    let options = RemoteWriteOptions { metadata: false, ..Default::default() };
    let request = write_request(&registry.gather(), &options);
    let names: Vec<&str> = request.timeseries.iter().filter_map(|s| label(&s.labels, "__name__")).collect();
    assert_eq!(names, ["h_seconds_bucket", "h_seconds_bucket", "h_seconds_sum", "h_seconds_count"]);
    assert!(request.metadata.is_empty());
}

#[test]
fn split_bounds_samples_and_keeps_series_order() {
    let request = write_request(&families(), &Default::default());
    let all: Vec<_> = request.timeseries.clone();
    let parts = split(request, 3);
    assert!(parts.iter().all(|p| p.timeseries.len() <= 3));
    assert!(!parts[0].metadata.is_empty());
    assert!(parts[1..].iter().all(|p| p.metadata.is_empty()));
    let joined: Vec<_> = parts.into_iter().flat_map(|p| p.timeseries).collect();
    assert_eq!(joined, all);
}

#[test]
fn the_batch_encoder_makes_the_bytes_of_split_and_compress_and_reuses_its_buffers() {
    let mut families = families();
    // A series with a label named like an external one and a duplicated label name: the first wins.
    let mut odd = MetricFamily::gauge("odd_labels", "Odd.");
    odd.push(vec![("zone".into(), "mine".into()), ("a".into(), "1".into()), ("a".into(), "2".into())], 1.0);
    families.push(odd);
    let options = RemoteWriteOptions {
        timestamp_ms: 42,
        external_labels: vec![("zone".into(), "ext".into()), ("cluster".into(), "prod".into())],
        metadata: true,
    };
    let mut encoder = remote_write::RemoteWriteEncoder::new();
    for max in [1, 3, 5, 1000] {
        // Twice with the same encoder: reused buffers must not leak labels from one series to the next.
        for _ in 0..2 {
            let batches = encoder.encode(&families, &options, max);
            let expected: Vec<Vec<u8>> =
                split(write_request(&families, &options), max).iter().map(remote_write::compress).collect();
            let bodies: Vec<Vec<u8>> = batches.iter().map(|b| b.body.clone()).collect();
            assert_eq!(bodies, expected, "max {max}");
            let counts: Vec<u32> = batches
                .iter()
                .map(|b| decompress(&b.body).expect("decodes").timeseries.len() as u32)
                .collect();
            assert_eq!(batches.iter().map(|b| b.samples).collect::<Vec<_>>(), counts);
        }
    }
    let request = decompress(&encode_remote_write(&families, &options)).expect("decodes");
    let odd = request.timeseries.iter().find(|s| label(&s.labels, "__name__") == Some("odd_labels"));
    let labels: Vec<(&str, &str)> =
        odd.expect("odd series").labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
    assert_eq!(labels, [("__name__", "odd_labels"), ("a", "1"), ("cluster", "prod"), ("zone", "mine")]);
    // No families: one body, an empty request.
    let empty = encoder.encode(&[], &options, 10);
    assert_eq!(empty.len(), 1);
    assert_eq!(empty[0].samples, 0);
    assert_eq!(decompress(&empty[0].body).expect("decodes"), remote_write::WriteRequest::default());
}

#[test]
fn a_corrupt_remote_write_body_is_an_error_not_a_panic() {
    let body = encode_remote_write(&families(), &Default::default());
    for cut in [1, body.len() / 2, body.len() - 1] {
        assert!(decompress(&body[..cut]).is_err(), "cut at {cut}");
    }
    assert!(decompress(b"").is_err() || decompress(b"").is_ok_and(|r| r.timeseries.is_empty()));
}

fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.string_value.as_deref())
}

#[test]
fn otlp_round_trip_maps_kinds_temporality_attributes_and_values() {
    let options = OtlpOptions {
        timestamp_ms: 1_700_000_000_000,
        start_time_ms: 1_600_000_000_000,
        resource: vec![("service.name".into(), "srekit-exporter".into()), ("cluster".into(), "prod".into())],
        gzip: true,
        ..Default::default()
    };
    let body = encode_otlp(&families(), &options);
    assert_eq!(&body[..2], b"\x1f\x8b", "gzip magic");
    let request = decode(&body, true).expect("decodes");
    assert_eq!(request, export_request(&families(), &options));
    let resource = request.resource_metrics[0].resource.as_ref().expect("resource");
    assert_eq!(attr(&resource.attributes, "service.name"), Some("srekit-exporter"));
    assert_eq!(attr(&resource.attributes, "cluster"), Some("prod"));
    let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["http_requests", "temp_celsius", "latency_seconds", "rpc_seconds", "odd"]);

    let Some(Data::Sum(sum)) = &metrics[0].data else { panic!("counter is not a sum: {:?}", metrics[0]) };
    assert!(sum.is_monotonic);
    assert_eq!(sum.aggregation_temporality, super::otlp_proto::CUMULATIVE);
    assert_eq!(sum.data_points.len(), 2);
    assert_eq!(attr(&sum.data_points[1].attributes, "method"), Some("POST"));
    assert_eq!(sum.data_points[1].as_double, Some(2.0));
    assert_eq!(sum.data_points[0].time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(sum.data_points[0].start_time_unix_nano, 1_600_000_000_000_000_000);

    let Some(Data::Gauge(gauge)) = &metrics[1].data else { panic!("gauge") };
    assert_eq!(gauge.data_points[0].as_double, Some(21.5));
    assert_eq!(metrics[1].description, "Temperature.");

    let Some(Data::Histogram(histogram)) = &metrics[2].data else { panic!("histogram") };
    assert_eq!(histogram.aggregation_temporality, super::otlp_proto::CUMULATIVE);
    let point = &histogram.data_points[0];
    assert_eq!(point.explicit_bounds, [0.1, 0.5]);
    assert_eq!(point.bucket_counts, [1, 2, 1]);
    assert_eq!((point.count, point.sum), (4, Some(2.5)));
    assert_eq!(attr(&point.attributes, "route"), Some("/"));
    assert_eq!(attr(&point.attributes, "le"), None);

    let Some(Data::Summary(summary)) = &metrics[3].data else { panic!("summary") };
    let point = &summary.data_points[0];
    assert_eq!((point.count, point.sum), (30, 10.0));
    let quantiles: Vec<(f64, f64)> = point.quantile_values.iter().map(|q| (q.quantile, q.value)).collect();
    assert_eq!(quantiles, [(0.5, 0.2), (0.99, 0.9)]);
    assert!(point.attributes.is_empty());

    let Some(Data::Gauge(odd)) = &metrics[4].data else { panic!("untyped is a gauge") };
    assert_eq!(odd.data_points[0].time_unix_nano, 1_700_000_000_500_000_000);
}

#[test]
fn otlp_counter_start_time_comes_from_created() {
    let registry = Registry::new();
    registry
        .counter("jobs_total", "Jobs.", &[])
        .expect("registers")
        .labels(&[])
        .expect("labels")
        .inc_by(2.0)
        .expect("increments");
    let families = registry.gather();
    let created = families[0].samples.iter().find(|s| s.suffix == crate::metrics::Suffix::Created);
    let created = created.expect("registry counters have _created").value;
    let request = decode(&encode_otlp(&families, &Default::default()), false).expect("decodes");
    let metric = &request.resource_metrics[0].scope_metrics[0].metrics[0];
    let Some(Data::Sum(sum)) = &metric.data else { panic!("sum") };
    assert_eq!(sum.data_points.len(), 1);
    assert_eq!(sum.data_points[0].as_double, Some(2.0));
    assert_eq!(sum.data_points[0].start_time_unix_nano, (created * 1e3).round() as u64 * 1_000_000);
}

#[test]
fn a_corrupt_otlp_body_is_an_error_not_a_panic() {
    let body = encode_otlp(&families(), &OtlpOptions { gzip: true, ..Default::default() });
    assert!(decode(&body[..body.len() / 2], true).is_err());
    assert!(decode(&body, false).is_err());
}

#[test]
fn otlp_start_time_is_never_after_the_point_time() {
    let registry = Registry::new();
    registry.counter("jobs_total", "Jobs.", &[]).expect("registers").labels(&[]).expect("labels").inc();
    let families = registry.gather();
    let created = families[0].samples.iter().find(|s| s.suffix == crate::metrics::Suffix::Created);
    let created_ms = (created.expect("registry counters have _created").value * 1e3).round() as i64;
    // Stamped one millisecond before the series' (rounded) creation, as a collection in the same
    // millisecond can be.
    let options = OtlpOptions { timestamp_ms: created_ms - 1, ..Default::default() };
    let request = decode(&encode_otlp(&families, &options), false).expect("decodes");
    let Some(Data::Sum(sum)) = &request.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!("sum")
    };
    let point = &sum.data_points[0];
    assert_eq!(point.time_unix_nano, (created_ms - 1) as u64 * 1_000_000);
    assert_eq!(point.start_time_unix_nano, point.time_unix_nano);
}
