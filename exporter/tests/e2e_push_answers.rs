//! The exporter's `[[outputs]]` against a scripted receiver (a hyper server on 127.0.0.1 inside the
//! test): a 400 is dropped and counted, never retried; a 429's `Retry-After`, as delay-seconds and as
//! an HTTP-date, is waited out before the same body is sent again; a rotated `password_file` is used
//! without a restart.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use srekit::push::remote_write::decompress;

#[path = "../../tests/support/scripted_receiver.rs"]
mod scripted_receiver;

use scripted_receiver::{Answer, RetryAfter, ScriptedReceiver};

/// The scripted receiver (tests/support) and the runtime serving it.
struct Receiver {
    scripted: ScriptedReceiver,
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    fn start(script: &[Answer]) -> Receiver {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let (scripted, address) = runtime.block_on(ScriptedReceiver::start(script));
        Receiver { scripted, port: address.port(), _runtime: runtime }
    }

    fn got(&self) -> std::sync::MutexGuard<'_, Vec<scripted_receiver::Got>> {
        self.scripted.got()
    }

    fn wait_for_requests(&self, count: usize) {
        let arrived = wait_until(Duration::from_secs(60), || self.scripted.count() >= count);
        assert!(arrived.is_ok(), "{} of {count} requests arrived", self.scripted.count());
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
        let got = receiver.got();
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
    let got = receiver.got();
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
    assert_eq!(receiver.got()[0].header("authorization"), basic("first"));
    // Rotated by rename, as secret managers do.
    let staged = dir.path().join("password.new");
    std::fs::write(&staged, "second-longer\n").unwrap();
    std::fs::rename(&staged, &password_file).unwrap();
    let rotated = wait_until(Duration::from_secs(30), || {
        receiver.got().iter().any(|g| g.header("authorization") == basic("second-longer"))
    });
    assert!(rotated.is_ok(), "the new password is used");
    let got = receiver.got();
    let first_new = got.iter().position(|g| g.header("authorization") == basic("second-longer")).unwrap();
    assert!(
        got[first_new..].iter().all(|g| g.header("authorization") == basic("second-longer")),
        "never back to the old one"
    );
}
