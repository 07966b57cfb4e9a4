//! The sender and the output loop against a local HTTP receiver that answers from a script:
//! 2xx taken, 400 dropped and not retried, 429 + Retry-After honoured, 5xx and refused retried.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use srekit::metrics::{MetricFamily, Registry};
use srekit::push::remote_write::decompress;
use srekit_push::{Endpoint, Kind, Outcome, Output, PushMetrics, QueueOptions, TlsOptions};

/// A request the receiver got: when, headers of interest, body.
struct Got {
    at: Instant,
    encoding: String,
    version: String,
    org: String,
    body: Bytes,
}

/// A status to answer with and an optional `Retry-After`.
type Answer = (u16, Option<&'static str>);

#[derive(Clone, Default)]
struct Receiver {
    /// Statuses to answer with, in order (then 200), with an optional Retry-After.
    script: Arc<Mutex<VecDeque<Answer>>>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(script: &[Answer]) -> (Receiver, SocketAddr) {
        let receiver =
            Receiver { script: Arc::new(Mutex::new(script.iter().copied().collect())), ..Default::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let shared = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| shared.clone().answer(request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (receiver, address)
    }

    async fn answer(self, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let header = |name: &str| {
            request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
        };
        let (encoding, version, org) = (
            header("content-encoding"),
            header("x-prometheus-remote-write-version"),
            header("x-scope-orgid"),
        );
        let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        self.got.lock().expect("lock").push(Got { at: Instant::now(), encoding, version, org, body });
        let (status, retry_after) = self.script.lock().expect("lock").pop_front().unwrap_or((200, None));
        let mut response = Response::builder().status(status);
        if let Some(after) = retry_after {
            response = response.header("retry-after", after);
        }
        Ok(response.body(Full::new(Bytes::from_static(b"scripted"))).expect("response"))
    }

    fn count(&self) -> usize {
        self.got.lock().expect("lock").len()
    }
}

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
    let (_receiver, address) =
        Receiver::start(&[(400, None), (429, Some("3")), (503, None), (200, None)]).await;
    let mut endpoint = endpoint(address);
    let body = || Bytes::from_static(b"x");
    assert!(matches!(endpoint.post(body(), &[]).await, Outcome::Rejected { status: 400, .. }));
    assert!(
        matches!(endpoint.post(body(), &[]).await, Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(3))
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
    let n = Arc::new(Mutex::new(0.0));
    Arc::new(move || {
        let mut n = n.lock().expect("lock");
        *n += 1.0;
        let mut family = MetricFamily::counter("ticks_total", "Ticks.");
        family.push(vec![], *n);
        vec![family]
    })
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
    srekit_push::start(output(address, dir.path()), counting_collect(), metrics).expect("start");
    wait_for("6 requests", || receiver.count() >= 6).await;
    let got = receiver.got.lock().expect("lock");
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
    assert!(got.iter().all(|g| g.encoding == "snappy" && g.version == "0.1.0" && g.org == "tenant-1"));
    drop(got);
    assert_eq!(sample_count(&registry, "retried"), 2.0);
    assert_eq!(sample_count(&registry, "dropped"), 1.0);
    assert!(sample_count(&registry, "sent") >= 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let (receiver, address) = Receiver::start(&[(429, Some("1"))]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::new();
    let metrics = PushMetrics::register(&registry).expect("metrics");
    srekit_push::start(output(address, dir.path()), counting_collect(), metrics).expect("start");
    wait_for("2 requests", || receiver.count() >= 2).await;
    let got = receiver.got.lock().expect("lock");
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
    srekit_push::start(settings, collect, metrics).expect("start");
    wait_for("all 12 series at value 5", || {
        let got = receiver.got.lock().expect("lock");
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
    let got = receiver.got.lock().expect("lock");
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
