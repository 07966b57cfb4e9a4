//! End to end: the built exporter pushes to a real Prometheus (Debian's, started here on 127.0.0.1
//! with `--web.enable-remote-write-receiver`) through its disk queue. Host and log-derived series
//! arrive with the external labels; every sample of a 30 s receiver outage arrives once it is back;
//! after a SIGKILL of the exporter during an outage, the queued samples still arrive and none is
//! refused (a re-sent or out-of-order sample gets a 400); a long outage stays within `max_bytes`.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

/// A Prometheus that only receives remote writes, restartable on the same data directory and port.
struct Receiver {
    process: Option<Process>,
    port: u16,
    dir: PathBuf,
}

impl Receiver {
    fn start(dir: &Path) -> Receiver {
        let mut receiver = Receiver { process: None, port: free_port(), dir: dir.to_path_buf() };
        std::fs::write(dir.join("prometheus.yml"), "global:\n  scrape_interval: 1m\n").unwrap();
        receiver.up();
        receiver
    }

    fn up(&mut self) {
        let child = Command::new(if Path::new("/usr/bin/prometheus").exists() {
            "/usr/bin/prometheus"
        } else {
            "prometheus"
        })
        .arg(format!("--config.file={}", self.dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", self.dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
        .arg("--web.enable-remote-write-receiver")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus not found: install Debian's `prometheus` package (scripts/install-deps.sh does)");
        self.process = Some(Process { child, name: "prometheus" });
        wait_until(Duration::from_secs(60), || {
            http_get(self.port, "/-/ready", &[]).map(|r| r.status == 200).unwrap_or(false)
        })
        .expect("prometheus becomes ready");
    }

    fn down(&mut self) {
        if let Some(mut process) = self.process.take() {
            assert!(process.terminate(Duration::from_secs(30)).is_some(), "prometheus stops on SIGTERM");
        }
    }

    /// An instant query at `time` (now when None); the first result's value.
    fn value_at(&self, promql: &str, time: Option<f64>) -> Option<f64> {
        let mut path = format!("/api/v1/query?query={}", url_encode(promql));
        if let Some(time) = time {
            path.push_str(&format!("&time={time:.3}"));
        }
        let response = http_get(self.port, &path, &[]).ok()?;
        let json: serde_json::Value = serde_json::from_slice(&response.body).ok()?;
        json["data"]["result"].as_array()?.first()?["value"][1].as_str()?.parse().ok()
    }

    fn wait_value(&self, promql: &str, time: Option<f64>, check: impl Fn(f64) -> bool) -> f64 {
        let mut last = None;
        let met = wait_until(Duration::from_secs(90), || {
            last = self.value_at(promql, time);
            last.is_some_and(&check)
        });
        assert!(met.is_ok(), "{promql:?} at {time:?}: last value {last:?}");
        last.unwrap()
    }
}

fn write_config(dir: &Path, receiver_port: u16) -> PathBuf {
    let logs = dir.join("app.log");
    std::fs::write(&logs, "").unwrap();
    let config = format!(
        r#"[state]
directory = "{state}"

[[inputs]]
name = "app"
paths = ["{logs}"]
format = "logfmt"

[[metrics]]
name = "app_requests_total"
help = "Requests in the app's log."
kind = "counter"
inputs = ["app"]
labels = ["status"]

[[outputs]]
kind = "remote_write"
url = "http://127.0.0.1:{receiver_port}/api/v1/write"
interval = "1s"
timeout = "2s"
external_labels = {{ cluster = "e2e" }}
"#,
        state = dir.join("state").display(),
        logs = logs.display(),
    );
    let path = dir.join("srekit.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn exporter_value(port: u16, line_prefix: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find_map(|l| l.strip_prefix(line_prefix)).and_then(|v| v.trim().parse().ok())
}

const DROPPED: &str = "srekit_push_samples_total{output=\"remote_write\",result=\"dropped\"} ";
const LOAD: &str = "node_load1{cluster=\"e2e\",job=\"srekit\"}";

/// Samples of `LOAD` with timestamps in `(from, to]`, once they arrived: at least one per second
/// of the window but one (ticks drift), never more than one per second plus one.
fn assert_window_complete(receiver: &Receiver, from: f64, to: f64, what: &str) {
    let seconds = (to - from).floor();
    let query = format!("count_over_time({LOAD}[{}s])", seconds as u64);
    let count = receiver.wait_value(&query, Some(from + seconds), |v| v >= seconds - 1.0);
    assert!(count <= seconds + 1.0, "{what}: {count} samples in {seconds} s");
}

#[test]
fn pushes_survive_a_receiver_outage_and_an_exporter_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("prometheus")).unwrap();
    let mut receiver = Receiver::start(&dir.path().join("prometheus"));
    let config = write_config(dir.path(), receiver.port);
    let config_arg = format!("--config.file={}", config.display());
    let (mut exporter, port) = spawn_exporter(&[&config_arg]);

    // Host and log-derived series arrive with the external labels and the default job and instance.
    receiver.wait_value(LOAD, None, |v| v >= 0.0);
    // Lines written once the exporter follows the file.
    let mut log = std::fs::OpenOptions::new().append(true).open(dir.path().join("app.log")).unwrap();
    std::io::Write::write_all(&mut log, b"method=GET status=200\nmethod=GET status=500\n").unwrap();
    receiver
        .wait_value("app_requests_total{cluster=\"e2e\",job=\"srekit\",status=\"500\"}", None, |v| v == 1.0);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    receiver.wait_value(&format!("count(node_load1{{instance=\"{hostname}\"}})"), None, |v| v == 1.0);

    // Outage: 30 s without a receiver, then every sample of it arrives.
    receiver.down();
    let stopped = now();
    std::thread::sleep(Duration::from_secs(30));
    let restarted = now();
    receiver.up();
    assert_window_complete(&receiver, stopped, restarted, "after the outage");

    // Crash: SIGKILL the exporter during a second outage, start it again, then the receiver.
    receiver.down();
    let stopped = now();
    std::thread::sleep(Duration::from_secs(8));
    let _ = exporter.child.kill();
    let _ = exporter.child.wait();
    let killed = now();
    let (_exporter, port2) = spawn_exporter(&[&config_arg]);
    std::thread::sleep(Duration::from_secs(3));
    receiver.up();
    assert_window_complete(&receiver, stopped, killed, "after the crash");
    // Nothing re-sent or out of order (Prometheus answers those with 400) and nothing dropped.
    std::thread::sleep(Duration::from_secs(3));
    let bad = receiver
        .value_at("sum(prometheus_http_requests_total{handler=\"/api/v1/write\",code=~\"4..\"})", None);
    assert!(bad.is_none_or(|v| v == 0.0), "write requests refused: {bad:?}");
    assert_eq!(exporter_value(port2, DROPPED), Some(0.0));
    let sent = "srekit_push_samples_total{output=\"remote_write\",result=\"sent\"} ";
    assert!(exporter_value(port2, sent).is_some_and(|v| v > 0.0));
    let _ = port;
}

#[test]
fn a_long_outage_stays_within_max_bytes_and_counts_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let nobody = free_port();
    let config = format!(
        r#"[[outputs]]
kind = "remote_write"
url = "http://127.0.0.1:{nobody}/api/v1/write"
interval = "100ms"
timeout = "1s"
[outputs.queue]
directory = "{queue}"
max_bytes = "64KiB"
"#,
        queue = dir.path().join("queue").display()
    );
    let path = dir.path().join("srekit.toml");
    std::fs::write(&path, config).unwrap();
    let (_exporter, port) = start_exporter(&[&format!("--config.file={}", path.display())]);
    let dropped =
        wait_until(Duration::from_secs(60), || exporter_value(port, DROPPED).is_some_and(|v| v > 0.0));
    assert!(dropped.is_ok(), "a full queue drops and counts");
    let bytes = exporter_value(port, "srekit_push_queue_bytes{output=\"remote_write\"} ").unwrap();
    assert!(bytes > 0.0 && bytes <= 65536.0, "queue at {bytes} bytes");
    let on_disk: u64 = std::fs::read_dir(dir.path().join("queue"))
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    // Acknowledged-or-dropped records may linger in the segment being written, never more than a segment.
    assert!(on_disk <= 65536 + 16384, "{on_disk} bytes on disk");
}
