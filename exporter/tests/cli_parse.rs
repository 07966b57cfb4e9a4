//! CLI tests for `srekit-exporter parse`: NDJSON for good lines, bad lines on stderr with file and line
//! number (good lines around them kept), exit statuses 0 / 1 / 2.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Output;

use common::run_exporter;

fn parse_cmd(args: &[&str], stdin: &[u8]) -> Output {
    run_exporter(&[&["parse"], args].concat(), stdin)
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn good_logfmt_from_stdin_exits_zero() {
    let out = parse_cmd(
        &["--format", "logfmt", "--type", "status=int"],
        b"level=info status=200 msg=\"a \\\"b\\\"\"\r\nok\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["msg"], "a \"b\"");
    assert_eq!(lines[1]["ok"], true);
    assert!(out.stderr.is_empty());
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_good_lines_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, "a:1\tb:2\nno colon here\n\nc:3\n").unwrap();
    let out = parse_cmd(&["--format", "ltsv", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines, vec![serde_json::json!({"a": "1", "b": "2"}), serde_json::json!({"c": "3"})]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}: line 2:", path.display())), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn json_and_presets_and_user_regex() {
    let out = parse_cmd(&["--format", "json"], b"{\"http\":{\"status\":200},\"ok\":true}\n[1,2]\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["http"]["status"], 200);

    let nginx =
        b"203.0.113.9 - - [10/Oct/2023:13:55:36 +0000] \"GET /api HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"\n";
    let out = parse_cmd(&["--format", "nginx"], nginx);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let record = &json_lines(&out)[0];
    assert_eq!(record["path"], "/api");
    assert_eq!(record["code"], "200");

    let out = parse_cmd(
        &["--format", "regex", "--regex", r"^(?P<user>\w+) took (?P<ms>\d+)ms$"],
        b"alice took 42ms\n",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out)[0], serde_json::json!({"user": "alice", "ms": "42"}));
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(parse_cmd(&["--format", "yaml"], b"").status.code(), Some(2));
    assert_eq!(parse_cmd(&["--format", "regex"], b"").status.code(), Some(2));
    assert_eq!(parse_cmd(&["--format", "logfmt", "/nonexistent/file.log"], b"").status.code(), Some(2));
    assert_eq!(parse_cmd(&["--format", "logfmt", "--type", "x=decimal"], b"").status.code(), Some(2));
    assert_eq!(parse_cmd(&[], b"").status.code(), Some(2), "--format is required");
}

#[test]
fn parser_flags_are_checked_by_the_core_spec() {
    // A regex with another format was silently ignored before; now it is refused, as everywhere.
    let out = parse_cmd(&["--format", "json", "--regex", "^(?<a>.)$"], b"{}\n");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`regex` is only used with format \"regex\" (the format is \"json\")"),
        "{stderr}"
    );
    let out = parse_cmd(&["--format", "xml"], b"");
    assert!(String::from_utf8_lossy(&out.stderr).contains("(expected logfmt, ltsv, json, regex,"));
    // A preset name is accepted as the regex.
    let out = parse_cmd(
        &["--format", "regex", "--regex", "syslog-rfc5424"],
        b"<34>1 2003-10-11T22:14:15.003Z host su - ID47 - hello\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_lines(&out)[0]["message"], "hello");
}

#[test]
fn over_long_lines_are_reported_with_the_core_message() {
    let mut input = b"a=1\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
    input.extend_from_slice(b"\nb=2\n");
    let out = parse_cmd(&["--format", "logfmt"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out).len(), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "<stdin>: line 2: byte 1048576: line too long (1048586 bytes, maximum 1048576); skipped"
        ),
        "{stderr}"
    );
}

#[test]
fn container_envelopes_and_multiline_events() {
    let cri = b"2024-05-01T10:00:00Z stdout P {\"a\":\n2024-05-01T10:00:00Z stderr F Traceback (most recent call last):\n2024-05-01T10:00:01Z stdout F 1}\n2024-05-01T10:00:01Z stderr F   File \"x.py\", line 1\n2024-05-01T10:00:01Z stderr F KeyError: 'id'\nnot cri\n";
    let out = parse_cmd(&["--format", "raw", "--container", "cri", "--multiline-preset", "python"], cri);
    assert_eq!(out.status.code(), Some(1), "the bad envelope makes exit 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 6: byte 0: CRI log line"), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        serde_json::json!({"message": "{\"a\":1}", "stream": "stdout", "time": "2024-05-01T10:00:00Z"})
    );
    assert_eq!(
        lines[1]["message"],
        "Traceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'id'"
    );
    let out = parse_cmd(&["--format", "json", "--container", "podman"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown container format"));
}
