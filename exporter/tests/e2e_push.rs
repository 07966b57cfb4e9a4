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
    // Lines written once the exporter follows the file: its first poll (on the pipeline's thread)
    // starts it at its end, and samples arriving at the receiver say nothing about that poll.
    wait_for_files_open(port, "app", 1);
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
    // For the rest of the outage the queue stays within its budget while the drops go on counting.
    let first_dropped = exporter_value(port, DROPPED).unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < until {
        let bytes = exporter_value(port, "srekit_push_queue_bytes{output=\"remote_write\"} ").unwrap();
        assert!(bytes > 0.0 && bytes <= 65536.0, "queue at {bytes} bytes");
        std::thread::sleep(Duration::from_millis(250));
    }
    let last_dropped = exporter_value(port, DROPPED).unwrap();
    assert!(last_dropped > first_dropped, "drops counted on: {first_dropped} then {last_dropped}");
    let on_disk: u64 = std::fs::read_dir(dir.path().join("queue"))
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    // Acknowledged-or-dropped records may linger in the segment being written, never more than a segment.
    assert!(on_disk <= 65536 + 16384, "{on_disk} bytes on disk");
}

/// A minimal HTTP/1.1 receiver (keep-alive, Content-Length bodies) answering 200 and keeping each
/// request's headers (lower-cased) and body.
fn start_http_receiver() -> (u16, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut stream = stream;
                loop {
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        head.push_str(&line.to_ascii_lowercase());
                    }
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let _ = sender.send((head, body));
                    if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, received)
}

#[test]
fn otlp_output_sends_sums_gauges_and_resource_attributes() {
    use srekit::push::otlp_proto::Data;
    let dir = tempfile::tempdir().unwrap();
    let (receiver_port, received) = start_http_receiver();
    let config = format!(
        r#"[web]
serve = false

[[outputs]]
kind = "otlp"
url = "http://127.0.0.1:{receiver_port}/v1/metrics"
interval = "500ms"
external_labels = {{ cluster = "e2e" }}
headers = {{ "X-Scope-OrgID" = "tenant-1" }}
[outputs.queue]
directory = "{queue}"
"#,
        queue = dir.path().join("queue").display()
    );
    let path = dir.path().join("srekit.toml");
    std::fs::write(&path, config).unwrap();
    let (_exporter, _) = spawn_exporter(&[&format!("--config.file={}", path.display())]);
    let (head, body) = received.recv_timeout(Duration::from_secs(60)).expect("a push arrives");
    assert!(head.starts_with("post /v1/metrics http/1.1"), "{head}");
    assert!(head.contains("content-type: application/x-protobuf"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("x-scope-orgid: tenant-1"), "{head}");
    let request = srekit::push::otlp::decode(&body, true).unwrap();
    let resource = request.resource_metrics[0].resource.as_ref().unwrap();
    let attribute = |key: &str| {
        resource.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()?.string_value)
    };
    assert_eq!(attribute("service.name").as_deref(), Some("srekit-exporter"));
    assert_eq!(attribute("cluster").as_deref(), Some("e2e"));
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
    assert_eq!(attribute("host.name"), Some(hostname));
    let metrics = &request.resource_metrics[0].scope_metrics[0].metrics;
    let find = |name: &str| metrics.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no {name}"));
    let Some(Data::Sum(cpu)) = &find("node_cpu_seconds").data else {
        panic!("node_cpu_seconds is not a sum")
    };
    assert!(cpu.is_monotonic && cpu.aggregation_temporality == srekit::push::otlp_proto::CUMULATIVE);
    assert!(cpu.data_points.iter().any(|p| p.attributes.iter().any(|kv| kv.key == "mode")));
    let Some(Data::Gauge(load)) = &find("node_load1").data else { panic!("node_load1 is not a gauge") };
    assert!(load.data_points[0].as_double.is_some_and(|v| v >= 0.0));
    let Some(Data::Histogram(_)) = &find("srekit_exporter_scrape_duration_seconds").data else {
        panic!("the scrape-duration histogram is not a histogram")
    };
}

#[test]
fn check_names_the_output_and_key_of_a_bad_setting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("srekit.toml");
    let cases = [
        ("url = \"http:// bad\"", "url"),
        (
            "url = \"http://x/\"\nbasic_auth = { username = \"u\", password_file = \"/nonexistent/pw\" }",
            "/nonexistent/pw",
        ),
        ("url = \"https://x/\"\ntls = { ca_file = \"/nonexistent/ca.pem\" }", "tls.ca_file"),
    ];
    for (body, expected) in cases {
        let queue = dir.path().join("q");
        std::fs::write(
            &path,
            format!(
                "[[outputs]]\nkind = \"remote_write\"\n{body}\n[outputs.queue]\ndirectory = \"{}\"\n",
                queue.display()
            ),
        )
        .unwrap();
        let output = Command::new(exporter_binary())
            .args(["check", &format!("--config.file={}", path.display())])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{body}: {stderr}");
        assert!(
            stderr.contains("[[outputs]] #1 (remote_write)") && stderr.contains(expected),
            "{body}: {stderr}"
        );
    }
    let queue = dir.path().join("q");
    let good = format!(
        "[[outputs]]\nkind = \"otlp\"\nurl = \"http://x/v1/metrics\"\n[outputs.queue]\ndirectory = \"{}\"\n",
        queue.display()
    );
    std::fs::write(&path, good).unwrap();
    let output = Command::new(exporter_binary())
        .args(["check", &format!("--config.file={}", path.display())])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("ok (0 inputs, 0 metrics, 1 outputs)"));
}
