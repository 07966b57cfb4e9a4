//! The real node_exporter (Debian's `prometheus-node-exporter`, installed by scripts/install-deps.sh)
//! for comparison tests: started on a free 127.0.0.1 port, scraped once with a plain HTTP/1.0
//! request, and killed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child process when dropped, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn binary() -> PathBuf {
    for candidate in ["/usr/bin/prometheus-node-exporter", "/usr/local/bin/node_exporter"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "node_exporter is not installed: this test needs Debian's prometheus-node-exporter \
         (run scripts/install-deps.sh or `apt-get install prometheus-node-exporter`)"
    );
}

/// One HTTP/1.0 GET; the body, or None if the server is not up yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then(|| body.to_string())
}

/// Starts node_exporter with `args` (and environment `env`), waits until it answers, and returns one
/// scrape of `/metrics` as text.
pub fn scrape(args: &[String], env: &[(&str, &str)]) -> String {
    let port =
        TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0").local_addr().expect("local addr").port();
    let child = Command::new(binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node_exporter");
    let _running = Killed(child);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if http_get(port, "/").is_some() {
            return http_get(port, "/metrics").expect("scrape node_exporter");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("node_exporter did not answer on 127.0.0.1:{port} within 15 s");
}
