//! The exporter's `[[outputs]]` against a scripted receiver (a hyper server on 127.0.0.1 inside the
//! test): a 400 is dropped and counted, never retried; a 429's `Retry-After`, as delay-seconds and as
//! an HTTP-date, is waited out before the same body is sent again; a rotated `password_file` is used
//! without a restart.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use srekit::push::remote_write::decompress;

/// How a scripted answer says when to come back.
#[derive(Clone, Copy)]
enum RetryAfter {
    Seconds(u64),
    /// An HTTP-date this many seconds after the answer.
    DateIn(u64),
}

/// A status to answer with and an optional `Retry-After`.
type Answer = (u16, Option<RetryAfter>);

/// One request as received.
struct Got {
    at: Instant,
    authorization: String,
    body: Bytes,
}

/// A receiver answering from a script (status and optional `Retry-After`), then 200.
#[derive(Clone)]
struct Receiver {
    script: Arc<Mutex<VecDeque<Answer>>>,
    got: Arc<Mutex<Vec<Got>>>,
    port: u16,
    _runtime: Arc<tokio::runtime::Runtime>,
}

impl Receiver {
    fn start(script: &[Answer]) -> Receiver {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            got: Arc::default(),
            port,
            _runtime: Arc::new(runtime),
        };
        let shared = receiver.clone();
        receiver._runtime.spawn(async move {
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
        receiver
    }

    async fn answer(self, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        self.got.lock().unwrap().push(Got { at: Instant::now(), authorization, body });
        let (status, retry_after) = self.script.lock().unwrap().pop_front().unwrap_or((200, None));
        let mut response = Response::builder().status(status);
        match retry_after {
            Some(RetryAfter::Seconds(seconds)) => {
                response = response.header("retry-after", seconds.to_string())
            }
            Some(RetryAfter::DateIn(seconds)) => {
                let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(seconds));
                response = response.header("retry-after", date);
            }
            None => {}
        }
        Ok(response.body(Full::new(Bytes::from_static(b"scripted"))).unwrap())
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    fn wait_for_requests(&self, count: usize) {
        let arrived = wait_until(Duration::from_secs(60), || self.count() >= count);
        assert!(arrived.is_ok(), "{} of {count} requests arrived", self.count());
    }
}

/// A remote-write output to `receiver` pushing every 300 ms, `extra` appended to its table.
fn start_pushing(dir: &Path, receiver: &Receiver, extra: &str) -> (Process, u16) {
    let config = format!(
        r#"[[outputs]]
kind = "remote_write"
url = "http://127.0.0.1:{port}/api/v1/write"
interval = "300ms"
timeout = "5s"
{extra}
[outputs.queue]
directory = "{queue}"
"#,
        port = receiver.port,
        queue = dir.join("queue").display(),
    );
    let path = dir.join("srekit.toml");
    std::fs::write(&path, config).unwrap();
    start_exporter(&[&format!("--config.file={}", path.display())])
}

/// `srekit_push_samples_total{output="remote_write",result=...}` as the exporter serves it.
fn samples(port: u16, result: &str) -> Option<f64> {
    let prefix = format!("srekit_push_samples_total{{output=\"remote_write\",result=\"{result}\"}} ");
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|v| v.trim().parse().ok())
}

fn series_in(body: &[u8]) -> f64 {
    decompress(body).expect("a remote-write body").timeseries.len() as f64
}

#[test]
fn a_400_is_dropped_and_counted_never_retried() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&[(400, None), (400, None), (400, None)]);
    let (_exporter, port) = start_pushing(dir.path(), &receiver, "");
    receiver.wait_for_requests(5);
    let rejected: f64 = {
        let got = receiver.got.lock().unwrap();
        // Each rejected body is sent once: the next request carries the next collection.
        assert!(got[0].body != got[1].body && got[1].body != got[2].body, "a rejected body was sent again");
        got[..3].iter().map(|g| series_in(&g.body)).sum()
    };
    let counted = wait_until(Duration::from_secs(10), || samples(port, "sent").is_some_and(|v| v > 0.0));
    assert!(counted.is_ok(), "later requests are sent");
    assert_eq!(samples(port, "dropped"), Some(rejected), "every rejected sample is counted as dropped");
    assert_eq!(samples(port, "retried"), Some(0.0));
}

#[test]
fn retry_after_as_seconds_and_as_an_http_date_is_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let receiver =
        Receiver::start(&[(429, Some(RetryAfter::Seconds(2))), (429, Some(RetryAfter::DateIn(3)))]);
    let (_exporter, port) = start_pushing(dir.path(), &receiver, "");
    receiver.wait_for_requests(3);
    let got = receiver.got.lock().unwrap();
    let after_seconds = got[1].at.duration_since(got[0].at);
    // The date has whole seconds: 3 s from the answer is between 2 and 3 s away.
    let after_date = got[2].at.duration_since(got[1].at);
    assert!(
        after_seconds >= Duration::from_millis(1950) && after_seconds < Duration::from_secs(4),
        "Retry-After: 2 waited {after_seconds:?}"
    );
    assert!(
        after_date >= Duration::from_millis(1950) && after_date < Duration::from_secs(5),
        "Retry-After: <date 3 s on> waited {after_date:?}"
    );
    assert!(got[0].body == got[1].body && got[1].body == got[2].body, "the same body is retried");
    let retried = 2.0 * series_in(&got[0].body);
    drop(got);
    assert_eq!(samples(port, "retried"), Some(retried));
    assert_eq!(samples(port, "dropped"), Some(0.0));
}

#[test]
fn a_rotated_password_file_is_used_without_a_restart() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "first\n").unwrap();
    let receiver = Receiver::start(&[]);
    let extra =
        format!("basic_auth = {{ username = \"pusher\", password_file = \"{}\" }}", password_file.display());
    let (_exporter, _port) = start_pushing(dir.path(), &receiver, &extra);
    let basic = |password: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("pusher:{password}")))
    };
    receiver.wait_for_requests(1);
    assert_eq!(receiver.got.lock().unwrap()[0].authorization, basic("first"));
    // Rotated by rename, as secret managers do.
    let staged = dir.path().join("password.new");
    std::fs::write(&staged, "second-longer\n").unwrap();
    std::fs::rename(&staged, &password_file).unwrap();
    let rotated = wait_until(Duration::from_secs(30), || {
        receiver.got.lock().unwrap().iter().any(|g| g.authorization == basic("second-longer"))
    });
    assert!(rotated.is_ok(), "the new password is used");
    let got = receiver.got.lock().unwrap();
    let first_new = got.iter().position(|g| g.authorization == basic("second-longer")).unwrap();
    assert!(
        got[first_new..].iter().all(|g| g.authorization == basic("second-longer")),
        "never back to the old one"
    );
}
