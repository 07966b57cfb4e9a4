//! End to end with logs: the exporter tails three applications' logs (logfmt, LTSV, JSON) and a real
//! Prometheus scrapes it every second; the test appends lines (some malformed) and asserts exact counts,
//! label values, histogram buckets and parse-error counts through PromQL. Then a clean restart from the
//! checkpoint neither repeats nor skips lines; `check` validates configs.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let config = format!(
        r#"
[state]
directory = "{state}"

[[inputs]]
name = "a"
paths = ["{dir}/a/*.log"]
format = "logfmt"
types = {{ status = "int", duration_ms = "float" }}

[[inputs]]
name = "b"
paths = ["{dir}/b.log"]
format = "ltsv"

[[inputs]]
name = "c"
paths = ["{dir}/c.log"]
format = "json"

[[metrics]]
name = "a_requests_total"
help = "Requests in a's log."
kind = "counter"
inputs = ["a"]
labels = ["method", "status"]

[[metrics]]
name = "a_request_duration_seconds"
help = "Latency in a's log."
kind = "histogram"
inputs = ["a"]
value = "duration_ms"
scale = 0.001
buckets = [0.01, 0.1, 1]

[[metrics]]
name = "b_requests_total"
help = "Requests in b's log."
kind = "counter"
inputs = ["b"]
labels = ["status"]
match = {{ level = "^(info|error)$" }}

[[metrics]]
name = "c_requests_total"
help = "Requests in c's log."
kind = "counter"
inputs = ["c"]
labels = {{ code = "http.status" }}

[[metrics]]
name = "c_bytes_total"
help = "Bytes in c's log."
kind = "counter"
inputs = ["c"]
value = "bytes"
"#,
        state = dir.join("state").display(),
        dir = dir.display()
    );
    let path = dir.join("srekit.toml");
    std::fs::write(&path, config).unwrap();
    path
}

#[test]
fn prometheus_sees_exact_counts_from_three_log_formats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("a")).unwrap();
    for file in ["a/app.log", "b.log", "c.log"] {
        std::fs::write(root.join(file), "").unwrap();
    }
    let config = write_config(root);
    let config_arg = format!("--config.file={}", config.display());
    let (mut exporter, port) = start_exporter(&[&config_arg]);
    let prometheus = Prometheus::start(&[port], "");
    // The files are followed from their end as of the pipeline's first poll (on its own thread).
    for input in ["a", "b", "c"] {
        wait_for_files_open(port, input, 1);
    }

    append(
        &root.join("a/app.log"),
        "method=GET status=200 duration_ms=5\nmethod=GET status=200 duration_ms=50\nmethod=POST status=500 duration_ms=500\nbad=\"unterminated\nmethod=GET status=200 duration_ms=2000\n",
    );
    append(
        &root.join("b.log"),
        "level:info\tstatus:200\nlevel:debug\tstatus:200\nno colon here\nlevel:error\tstatus:503\n",
    );
    append(
        &root.join("c.log"),
        "{\"http\":{\"status\":404},\"bytes\":100}\n[1,2]\n{\"http\":{\"status\":404},\"bytes\":50}\n{\"http\":{\"status\":200}}\n{bad json\n",
    );

    let limit = Duration::from_secs(60);
    let exact = |query: &str, expected: f64| {
        let got = prometheus.wait_for(query, limit, |v| v == expected);
        assert_eq!(got, expected, "{query}");
    };
    exact("up{job=\"srekit\"}", 1.0);
    exact("a_requests_total{method=\"GET\",status=\"200\"}", 3.0);
    exact("a_requests_total{method=\"POST\",status=\"500\"}", 1.0);
    exact("a_request_duration_seconds_bucket{le=\"0.01\"}", 1.0);
    exact("a_request_duration_seconds_bucket{le=\"0.1\"}", 2.0);
    exact("a_request_duration_seconds_bucket{le=\"1\"}", 3.0);
    exact("a_request_duration_seconds_bucket{le=\"+Inf\"}", 4.0);
    exact("a_request_duration_seconds_count", 4.0);
    let sum = prometheus.wait_for("a_request_duration_seconds_sum", limit, |v| (v - 2.555).abs() < 1e-9);
    assert!((sum - 2.555).abs() < 1e-9);
    exact("b_requests_total{status=\"200\"}", 1.0);
    exact("b_requests_total{status=\"503\"}", 1.0);
    exact("c_requests_total{code=\"404\"}", 2.0);
    exact("c_requests_total{code=\"200\"}", 1.0);
    exact("c_bytes_total", 150.0);
    exact("srekit_log_records_skipped_total{metric=\"c_bytes_total\",reason=\"value\"}", 1.0);
    exact("srekit_log_parse_errors_total{input=\"a\"}", 1.0);
    exact("srekit_log_parse_errors_total{input=\"b\"}", 1.0);
    exact("srekit_log_parse_errors_total{input=\"c\"}", 2.0);
    exact("srekit_log_lines_total{input=\"a\"}", 5.0);
    // The debug line was filtered by `match`: exactly the two series above exist for b.
    assert_eq!(prometheus.query("b_requests_total").len(), 2);
    // Host metrics are on the same endpoint, and counters move.
    prometheus.wait_for("count(rate(node_cpu_seconds_total[5s]))", limit, |v| v > 0.0);

    // Clean shutdown writes the checkpoint (offsets and counts); a restart resumes exactly there and the
    // counters go on from their values.
    assert_eq!(exporter.terminate(Duration::from_secs(15)), Some(0));
    let checkpoints: Vec<_> = std::fs::read_dir(root.join("state")).unwrap().collect();
    assert!(!checkpoints.is_empty(), "checkpoint files are written on shutdown");
    append(&root.join("a/app.log"), "method=GET status=200 duration_ms=1\n"); // written while stopped
    let (_again, port) = start_exporter(&[&config_arg]);
    append(&root.join("a/app.log"), "method=PUT status=201 duration_ms=1\n");
    let series = |text: &str, needle: &str| {
        text.lines().find(|l| l.starts_with(needle)).and_then(|l| l.rsplit(' ').next()).map(String::from)
    };
    // A poll counts its lines in the rules before it adds them to srekit_log_lines_total: wait for
    // every expected value, then check each (a wrong one fails below with the whole scrape).
    let expected = [
        ("a_requests_total{method=\"PUT\",status=\"201\"}", "1", "the line written after the restart"),
        (
            "a_requests_total{method=\"GET\",status=\"200\"}",
            "4",
            "3 before the restart, 1 written while stopped",
        ),
        ("srekit_log_lines_total{input=\"a\"}", "7", "5 before the restart, 2 after"),
    ];
    let _ = wait_until(limit, || {
        http_get(port, "/metrics", &[]).is_ok_and(|r| {
            let text = r.text();
            expected.iter().all(|(needle, want, _)| series(&text, needle).as_deref() == Some(*want))
        })
    });
    let text = http_get(port, "/metrics", &[]).unwrap().text();
    for (needle, want, why) in expected {
        assert_eq!(series(&text, needle).as_deref(), Some(want), "{needle}: {why}:\n{text}");
    }
}

#[test]
fn check_validates_configs_and_names_the_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_config(dir.path());
    let run = |path: &Path| {
        Command::new(exporter_binary())
            .arg("check")
            .arg(format!("--config.file={}", path.display()))
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (3 inputs, 5 metrics)"));

    let sre_stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sre-stack/srekit-exporter.toml");
    assert_eq!(run(&sre_stack).status.code(), Some(0), "the example config is valid");

    let cases = [
        ("[[inputs]]\nname = \"a\"\npaths = [\"/x\"]\nformt = \"logfmt\"\n", "formt"),
        ("[[metrics]]\nname = \"m_total\"\nkind = \"counter\"\ninputs = [\"missing\"]\n", "missing"),
        ("[[metrics]]\nname = \"h\"\nkind = \"histogram\"\nvalue = \"v\"\nbuckets = [2, 1]\n", "increasing"),
        ("[[inputs]]\nname = \"a\"\npaths = [\"/x\"]\nformat = \"regex\"\nregex = \"(?P<x\"\n", "\"a\""),
        ("[web]\nconfig_file = \"nope.yml\"\n", "nope.yml"),
        ("[state\n", "line 1"),
    ];
    for (text, needle) in cases {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, text).unwrap();
        let out = run(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{text}: {stderr}");
        assert!(stderr.contains(needle), "{text}: message {stderr:?} should name {needle:?}");
    }
}
