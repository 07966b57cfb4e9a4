//! A push receiver for tests: a hyper HTTP/1.1 server on 127.0.0.1 that answers each request from a
//! script (a status and an optional `Retry-After`, as delay-seconds or as an HTTP-date some seconds
//! on), then 200, and keeps every request (arrival time, headers, body). Shared by the push crate's
//! sender tests and the exporter's end-to-end push tests with `#[path]` (both depend on hyper,
//! hyper-util, http-body-util, tokio, bytes and httpdate).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// How a scripted answer says when to come back.
#[derive(Debug, Clone, Copy)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this many seconds after the answer.
    DateIn(u64),
}

/// A status to answer with and an optional `Retry-After`.
pub type Answer = (u16, Option<RetryAfter>);

/// One request as received.
pub struct Got {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    /// A header's value, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// The receiver's script and what it got; clones share both.
#[derive(Clone, Default)]
pub struct ScriptedReceiver {
    script: Arc<Mutex<VecDeque<Answer>>>,
    got: Arc<Mutex<Vec<Got>>>,
}

impl ScriptedReceiver {
    /// Listens on a free 127.0.0.1 port, serving on the current tokio runtime.
    pub async fn start(script: &[Answer]) -> (ScriptedReceiver, SocketAddr) {
        let receiver = ScriptedReceiver {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            ..Default::default()
        };
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
        let headers = request.headers().clone();
        let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        self.got.lock().expect("lock").push(Got { at: Instant::now(), headers, body });
        let (status, retry_after) = self.script.lock().expect("lock").pop_front().unwrap_or((200, None));
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
        Ok(response.body(Full::new(Bytes::from_static(b"scripted"))).expect("response"))
    }

    /// The requests so far, oldest first.
    pub fn got(&self) -> MutexGuard<'_, Vec<Got>> {
        self.got.lock().expect("lock")
    }

    /// How many requests arrived.
    pub fn count(&self) -> usize {
        self.got().len()
    }
}
