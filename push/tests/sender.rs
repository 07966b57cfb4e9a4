//! The sender and the output loop against a local HTTP receiver that answers from a script:
//! 2xx taken, 400 dropped and not retried, 429 + Retry-After honoured, 5xx and refused retried.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use srekit::metrics::{MetricFamily, Registry};
use srekit::push::remote_write::decompress;
use srekit_push::{Endpoint, Kind, Outcome, Output, PushMetrics, QueueOptions, TlsOptions};

#[path = "../../tests/support/scripted_receiver.rs"]
mod scripted_receiver;

use scripted_receiver::{Answer, RetryAfter, ScriptedReceiver as Receiver};

fn endpoint(address: SocketAddr) -> Endpoint {
    let headers = [("X-Scope-OrgID".to_owned(), "tenant-1".to_owned())];
    Endpoint::new(
        &format!("http://{address}/api/v1/write"),
        &headers,
        &TlsOptions::default(),
        Duration::from_secs(2),
    )
    .expect("endpoint")
}

#[tokio::test]
async fn answers_are_classified_for_the_retry_policy() {
    let script = [
        (400, None),
        (429, Some(RetryAfter::Seconds(3))),
        (429, Some(RetryAfter::DateIn(5))),
        (503, None),
        (200, None),
    ];
    let (_receiver, address) = Receiver::start(&script).await;
    let mut endpoint = endpoint(address);
    let body = || Bytes::from_static(b"x");
    assert!(matches!(endpoint.post(body(), &[]).await, Outcome::Rejected { status: 400, .. }));
    assert!(
        matches!(endpoint.post(body(), &[]).await, Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(3))
    );
    // An HTTP-date 5 s on, in whole seconds: between 4 and 5 s from now.
    let after_date = endpoint.post(body(), &[]).await;
    assert!(
        matches!(after_date, Outcome::Retry { after: Some(d), .. } if d > Duration::from_secs(3) && d <= Duration::from_secs(5)),
        "{after_date:?}"
    );
    assert!(matches!(endpoint.post(body(), &[]).await, Outcome::Retry { after: None, .. }));
    assert_eq!(endpoint.post(body(), &[]).await, Outcome::Sent);
    // Nobody listening: a network error, retried.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let nobody = closed.local_addr().expect("address");
    drop(closed);
    assert!(matches!(self::endpoint(nobody).post(body(), &[]).await, Outcome::Retry { .. }));
}

fn output(address: SocketAddr, dir: &std::path::Path) -> Output {
    Output {
        name: "test".into(),
        kind: Kind::RemoteWrite,
        endpoint: endpoint(address),
        interval: Duration::from_millis(200),
        external_labels: vec![("cluster".into(), "prod".into())],
        resource: Vec::new(),
        gzip: false,
        queue: QueueOptions::new(dir.to_path_buf()),
        max_samples_per_request: 1000,
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        shards: 1,
    }
}

/// A counter that goes up by one per collection, so the order of arrival shows.
fn counting_collect() -> srekit_push::Collect {
    counting_from(0.0)
}

fn sample_count(registry: &Registry, result: &str) -> f64 {
    let text = registry.encode_to_string(srekit::expfmt::Format::Text);
    let prefix = format!("srekit_push_samples_total{{output=\"test\",result=\"{result}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|v| v.parse().ok()).unwrap_or(-1.0)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_retries_5xx_in_order_drops_400_and_counts_both() {
    let (receiver, address) = Receiver::start(&[(503, None), (503, None), (400, None)]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    let _running =
        srekit_push::start(output(address, dir.path()), counting_collect(), metrics).expect("start");
    wait_for("6 requests", || receiver.count() >= 6).await;
    let got = receiver.got();
    let values: Vec<f64> = got
        .iter()
        .map(|g| {
            let request = decompress(&g.body).expect("a remote-write body");
            let series = &request.timeseries[0];
            assert!(series.labels.iter().any(|l| l.name == "cluster" && l.value == "prod"));
            series.samples[0].value
        })
        .collect();
    // 503, 503 are retried with the same body; the 400 body (still value 1) is dropped, not retried.
    assert_eq!(&values[..4], [1.0, 1.0, 1.0, 2.0], "got {values:?}");
    assert!(values[4..].windows(2).all(|w| w[0] < w[1]), "in order: {values:?}");
    assert!(got.iter().all(|g| g.header("content-encoding") == "snappy"
        && g.header("x-prometheus-remote-write-version") == "0.1.0"
        && g.header("x-scope-orgid") == "tenant-1"));
    drop(got);
    assert_eq!(sample_count(&registry, "retried"), 2.0);
    assert_eq!(sample_count(&registry, "dropped"), 1.0);
    assert!(sample_count(&registry, "sent") >= 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let (receiver, address) = Receiver::start(&[(429, Some(RetryAfter::Seconds(1)))]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    let _running =
        srekit_push::start(output(address, dir.path()), counting_collect(), metrics).expect("start");
    wait_for("2 requests", || receiver.count() >= 2).await;
    let got = receiver.got();
    let waited = got[1].at.duration_since(got[0].at);
    assert!(waited >= Duration::from_millis(950), "retried after {waited:?}");
    assert_eq!(got[0].body, got[1].body, "the same body is retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_send_in_parallel_and_keep_each_series_in_order() {
    let script: Vec<Answer> = vec![(503, None); 5];
    let (receiver, address) = Receiver::start(&script).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    let mut settings = output(address, dir.path());
    settings.shards = 3;
    let n = Arc::new(Mutex::new(0.0));
    let collect: srekit_push::Collect = Arc::new(move || {
        let mut n = n.lock().expect("lock");
        *n += 1.0;
        let mut family = MetricFamily::gauge("tick", "Ticks.");
        for series in 0..12 {
            family.push(vec![("series".into(), series.to_string())], *n);
        }
        vec![family]
    });
    let _running = srekit_push::start(settings, collect, metrics).expect("start");
    wait_for("all 12 series at value 5", || {
        let got = receiver.got();
        let mut at_five = std::collections::BTreeSet::new();
        for g in got.iter() {
            for s in decompress(&g.body).expect("body").timeseries {
                if s.samples[0].value >= 5.0 {
                    at_five.extend(s.labels.iter().filter(|l| l.name == "series").map(|l| l.value.clone()));
                }
            }
        }
        at_five.len() == 12
    })
    .await;
    let got = receiver.got();
    let mut last: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    let mut requests_per_series_set = std::collections::BTreeSet::new();
    for (i, g) in got.iter().enumerate() {
        let request = decompress(&g.body).expect("body");
        let names: Vec<String> = request
            .timeseries
            .iter()
            .flat_map(|s| s.labels.iter().filter(|l| l.name == "series").map(|l| l.value.clone()))
            .collect();
        requests_per_series_set.insert(names.len());
        for series in request.timeseries {
            let key = series.labels.iter().find(|l| l.name == "series").expect("label").value.clone();
            let value = series.samples[0].value;
            if let Some(&(previous, at)) = last.get(&key) {
                // A retried body repeats its values; otherwise each series only goes up.
                assert!(
                    value > previous || (value == previous && got[at].body == g.body),
                    "{key}: {previous} then {value}"
                );
            }
            last.insert(key, (value, i));
        }
    }
    assert!(
        requests_per_series_set.iter().all(|&n| n < 12),
        "series are spread over shards: {requests_per_series_set:?}"
    );
    let shard_dirs = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(shard_dirs, 2, "shards 1 and 2 queue below the output's directory");
}

/// The counter values of every request `receiver` got, in order of arrival.
fn values(receiver: &Receiver) -> Vec<f64> {
    receiver
        .got()
        .iter()
        .flat_map(|g| decompress(&g.body).expect("a remote-write body").timeseries)
        .map(|series| series.samples[0].value)
        .collect()
}

/// A counter counting up from `from` (1 more per collection).
fn counting_from(from: f64) -> srekit_push::Collect {
    let n = Arc::new(Mutex::new(from));
    Arc::new(move || {
        let mut n = n.lock().expect("lock");
        *n += 1.0;
        let mut family = MetricFamily::counter("ticks_total", "Ticks.");
        family.push(vec![], *n);
        vec![family]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_output_pushes_no_more_and_a_restart_on_its_queue_sends_nothing_twice() {
    let (receiver, address) = Receiver::start(&[]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    let running =
        srekit_push::start(output(address, dir.path()), counting_from(0.0), metrics.clone()).expect("start");
    wait_for("3 requests", || receiver.count() >= 3).await;
    let started = Instant::now();
    running.stop(Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(2), "a healthy output stops at once");
    let before = values(&receiver);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(values(&receiver), before, "nothing is pushed after the stop");
    // Everything was acknowledged: a restart on the same queue sends only new collections.
    let again = srekit_push::start(output(address, dir.path()), counting_from(1000.0), metrics)
        .expect("restart on the same queue");
    assert_eq!(again.report().replayed, 0, "the stop flushed the queue");
    wait_for("new requests", || values(&receiver).iter().any(|&v| v > 1000.0)).await;
    again.stop(Duration::from_secs(5)).await;
    let after = values(&receiver);
    assert_eq!(after[..before.len()], before[..]);
    assert!(after[before.len()..].iter().all(|&v| v > 1000.0), "sent twice: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_is_bounded_and_unacknowledged_requests_stay_queued() {
    // Every request fails: the stop gives up at its bound and keeps the requests for the next start.
    let (receiver, address) = Receiver::start(&[(503, None); 1000]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    let running =
        srekit_push::start(output(address, dir.path()), counting_from(0.0), metrics.clone()).expect("start");
    wait_for("2 requests", || receiver.count() >= 2).await;
    let started = Instant::now();
    running.stop(Duration::from_millis(300)).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(2), "stopped in {took:?}");
    let count = receiver.count();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.count(), count, "no retry after the stop");
    let (_queue, report) = srekit_push::DiskQueue::open(QueueOptions::new(dir.path().to_path_buf()))
        .expect("the queue was closed and opens again");
    assert!(report.replayed >= 1, "unacknowledged requests stay queued: {report:?}");
}
