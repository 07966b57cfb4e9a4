//! Helpers for the exporter's end-to-end tests: free loopback ports, child processes that are killed
//! when dropped, a minimal HTTP/1.0 GET over a TcpStream (tests need no HTTP crate), and a real
//! Prometheus server started on 127.0.0.1.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port()
}

/// A child process killed (SIGKILL) when dropped.
pub struct Process {
    pub child: Child,
    pub name: &'static str,
}

impl Process {
    /// Sends SIGTERM and waits up to `limit` for the process to exit; returns its exit code.
    pub fn terminate(&mut self, limit: Duration) -> Option<i32> {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The exporter binary built by cargo for this test.
pub fn exporter_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_srekit-exporter"))
}

/// Runs the exporter to its end with `args`, `stdin` written to it; its status and output.
pub fn run_exporter(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(exporter_binary())
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start srekit-exporter");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("srekit-exporter output")
}

/// Starts the exporter on a free port with extra arguments (does not wait for it).
pub fn spawn_exporter(args: &[&str]) -> (Process, u16) {
    let port = free_port();
    let child = Command::new(exporter_binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start srekit-exporter");
    (Process { child, name: "srekit-exporter" }, port)
}

/// Starts the exporter on a free port with extra arguments and waits until `/healthz` answers.
pub fn start_exporter(args: &[&str]) -> (Process, u16) {
    let (process, port) = spawn_exporter(args);
    wait_until(Duration::from_secs(20), || {
        http_get(port, "/healthz", &[]).map(|r| r.status == 200).unwrap_or(false)
    })
    .expect("exporter answers /healthz");
    (process, port)
}

/// A response: status, lower-cased headers and body.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `METHOD path HTTP/1.0` to 127.0.0.1:port and reads the whole response.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse { status, headers, body })
}

pub fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> std::io::Result<HttpResponse> {
    http_request(port, "GET", path, headers)
}

/// Polls `check` every 200 ms until it is true or `limit` passes.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> Result<(), String> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("condition not met within {limit:?}"))
}

/// The value of the sample line `series` (name and labels, exactly) in a scrape of the exporter on
/// `port`; None when the scrape fails or the series is absent.
pub fn scraped_value(port: u16, series: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Waits (up to 20 s) until the log pipeline's input `input` has `files` files open
/// (`srekit_log_files_open`), which it sets at the end of each poll. Without a checkpoint or
/// `read_from_head`, files present at the first poll are followed from their end, and that poll runs
/// on the pipeline's own thread, not before `/healthz` answers: a test appending to such a file must
/// wait for it first, or the lines appended before it are (rightly) never read.
pub fn wait_for_files_open(port: u16, input: &str, files: usize) {
    let series = format!("srekit_log_files_open{{input=\"{input}\"}}");
    let mut last = None;
    let opened = wait_until(Duration::from_secs(20), || {
        last = scraped_value(port, &series);
        last == Some(files as f64)
    });
    assert!(opened.is_ok(), "{series} never reached {files}; last {last:?}");
}

/// A real Prometheus server (Debian's `prometheus`) scraping `targets` every second.
pub struct Prometheus {
    pub process: Process,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    pub fn start(targets: &[u16], extra_scrape_config: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let target_list: Vec<String> = targets.iter().map(|p| format!("'127.0.0.1:{p}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: srekit\n    scrape_timeout: 1s\n{extra_scrape_config}    static_configs:\n      - targets: [{}]\n",
            target_list.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        let child = Command::new(prometheus_binary())
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "prometheus not found: install Debian's `prometheus` package (scripts/install-deps.sh does)",
            );
        let prometheus = Prometheus { process: Process { child, name: "prometheus" }, port, _dir: dir };
        wait_until(Duration::from_secs(60), || {
            http_get(port, "/-/ready", &[]).map(|r| r.status == 200).unwrap_or(false)
        })
        .expect("prometheus becomes ready");
        prometheus
    }

    /// Runs an instant PromQL query; returns the `data.result` array.
    pub fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let path = format!("/api/v1/query?query={}", url_encode(promql));
        let Ok(response) = http_get(self.port, &path, &[]) else { return Vec::new() };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&response.body) else { return Vec::new() };
        json["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// The single value of a query's first result, if any.
    pub fn value(&self, promql: &str) -> Option<f64> {
        let result = self.query(promql);
        result.first()?["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `promql` has a first value satisfying `check`; returns it.
    pub fn wait_for(&self, promql: &str, limit: Duration, check: impl Fn(f64) -> bool) -> f64 {
        let mut last = None;
        let found = wait_until(limit, || {
            last = self.value(promql);
            last.is_some_and(&check)
        });
        assert!(found.is_ok(), "query {promql:?} never satisfied the check; last value {last:?}");
        last.unwrap_or_default()
    }
}

fn prometheus_binary() -> &'static str {
    if Path::new("/usr/bin/prometheus").exists() {
        "/usr/bin/prometheus"
    } else {
        "prometheus"
    }
}

/// Percent-encodes a query parameter.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Starts the real node_exporter (Debian's `prometheus-node-exporter`) on a free port with `args` and
/// waits until it serves `/metrics`.
pub fn start_node_exporter(args: &[&str]) -> (Process, u16) {
    let port = free_port();
    let child = Command::new("prometheus-node-exporter")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-node-exporter (Debian package; scripts/install-deps.sh installs it)");
    let process = Process { child, name: "node_exporter" };
    wait_until(Duration::from_secs(20), || {
        http_get(port, "/metrics", &[]).map(|r| r.status == 200).unwrap_or(false)
    })
    .expect("node_exporter serves /metrics");
    (process, port)
}

/// The `# HELP` and `# TYPE` lines of a text-format body whose metric names start with `prefix`.
pub fn metadata_lines(body: &str, prefix: &str) -> std::collections::BTreeSet<String> {
    body.lines()
        .filter(|line| {
            line.strip_prefix("# HELP ")
                .or_else(|| line.strip_prefix("# TYPE "))
                .is_some_and(|rest| rest.starts_with(prefix))
        })
        .map(str::to_owned)
        .collect()
}
