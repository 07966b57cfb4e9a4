//! The CLI tells the truth (issue 21 §3): `parse --help` and `check --help` list only their own
//! options, `check FILE` works like `check --config.file FILE`, messages name what is wrong in words
//! (bad formats list the valid ones, JSON errors are sentences, a failed `--type` conversion is warned
//! about once per field with its line, the line limit is in the "too long" message), a missing
//! `[state]` directory is warned about by `check` and created with a log line by the exporter, and a
//! port in use ends the exporter with that error alone.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{exporter_binary, free_port, http_get, run_exporter, wait_until, Process};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A config file with one logfmt input under `dir` and the given `[state]` directory.
fn write_config(dir: &std::path::Path, state: &std::path::Path, format: &str) -> std::path::PathBuf {
    let path = dir.join("srekit-exporter.toml");
    std::fs::write(
        &path,
        format!(
            "[state]\ndirectory = {:?}\n\n[[inputs]]\nname = \"app\"\npaths = [{:?}]\nformat = {format:?}\n",
            state.display().to_string(),
            dir.join("*.log").display().to_string(),
        ),
    )
    .unwrap();
    path
}

#[test]
fn parse_and_check_help_list_only_their_own_options() {
    for (sub, own) in [("parse", "--format"), ("check", "--config.file")] {
        let out = run_exporter(&[sub, "--help"], b"");
        assert_eq!(out.status.code(), Some(0), "{sub}: {}", stderr(&out));
        let help = stdout(&out);
        assert!(help.contains(own), "{sub} --help shows {own}: {help}");
        for foreign in
            ["--path.procfs", "--web.listen-address", "--collector.cpu", "--collector.netdev.device-exclude"]
        {
            assert!(!help.contains(foreign), "{sub} --help does not show {foreign}: {help}");
        }
        assert!(help.lines().count() < 40, "{sub} --help is short: {help}");
    }
    assert!(!stdout(&run_exporter(&["parse", "--help"], b"")).contains("--config.file"));
    // The serving commands keep them.
    let help = stdout(&run_exporter(&["collect", "--help"], b""));
    assert!(help.contains("--path.procfs") && help.contains("--collector.cpu"), "{help}");
}

#[test]
fn a_host_flag_given_to_parse_or_check_is_a_usage_error() {
    let out = run_exporter(&["parse", "--format", "logfmt", "--path.procfs=/host/proc"], b"a=1\n");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--path.procfs does not apply to `parse`"), "{}", stderr(&out));
    let out = run_exporter(&["check", "--no-collector.hwmon", "x.toml"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--no-collector.hwmon does not apply to `check`"), "{}", stderr(&out));
}

#[test]
fn check_takes_the_file_as_an_argument_or_a_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), dir.path(), "logfmt");
    let config = config.to_str().unwrap();
    for args in [
        vec!["check", config],
        vec!["check", "--config.file", config],
        vec!["--config.file", config, "check"],
    ] {
        let out = run_exporter(&args, b"");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("ok (1 inputs, 0 metrics)"), "{args:?}: {}", stdout(&out));
    }
    let out = run_exporter(&["check"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("check FILE"), "{}", stderr(&out));
    let out = run_exporter(&["check", config, "--config.file", "/elsewhere.toml"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));
}

#[test]
fn bad_formats_list_the_valid_ones_regex_included() {
    let out = run_exporter(&["parse", "--format", "xml"], b"");
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    for name in ["logfmt", "ltsv", "json", "regex", "nginx", "syslog-rfc5424"] {
        assert!(message.contains(name), "{message}");
    }
    let out = run_exporter(&["collect", "--format", "xml"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"text\" or \"openmetrics\""), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), dir.path(), "xml");
    let out = run_exporter(&["check", config.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("unknown log format \"xml\""), "{message}");
    assert!(message.contains("json, regex, nginx"), "{message}");
}

#[test]
fn json_errors_read_as_sentences() {
    let out =
        run_exporter(&["parse", "--format", "json"], b"{\"a\":1,}\n{\"a\" 1}\nstatus=abc\n{\"ok\":true}\n");
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("line 1: byte 7: invalid JSON: expected a quoted key after '{' or ','"),
        "{message}"
    );
    assert!(message.contains("line 2: byte 5: invalid JSON: expected ':' after an object key"), "{message}");
    assert!(message.contains("line 3: byte 0: invalid JSON: a JSON value starts with"), "{message}");
    for kind in ["ExpectedObjectKey", "ExpectedObjectColon", "InternalError", "Syntax"] {
        assert!(!message.contains(kind), "{message}");
    }
    assert_eq!(stdout(&out).trim(), "{\"ok\":true}");
}

#[test]
fn a_failed_type_conversion_is_warned_about_once_per_field_with_its_line() {
    let out = run_exporter(
        &["parse", "--format", "logfmt", "--type", "status=int", "--type", "ms=float"],
        b"status=200 ms=1.5\nstatus=abc ms=2\nstatus=def ms=slow\nstatus=ghi\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let message = stderr(&out);
    assert_eq!(message.lines().count(), 2, "{message}");
    assert!(
        message.contains("<stdin>: line 2: warning: field \"status\" = \"abc\" is not an int"),
        "{message}"
    );
    assert!(
        message.contains("<stdin>: line 3: warning: field \"ms\" = \"slow\" is not a float"),
        "{message}"
    );
    let records: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records[0]["status"], 200);
    assert_eq!(records[1]["status"], "abc", "the text is kept, as in Fluent Bit");
}

#[test]
fn the_line_limit_is_in_the_too_long_message() {
    let mut input = b"a=".to_vec();
    input.extend(std::iter::repeat_n(b'x', (1 << 20) + 10));
    input.extend_from_slice(b"\nb=1\n");
    let out = run_exporter(&["parse", "--format", "logfmt"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("line 1: byte 1048576: line too long (1048588 bytes, maximum 1048576)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out).trim(), "{\"b\":\"1\"}");
}

#[test]
fn a_missing_state_directory_is_warned_about_by_check_and_created_by_the_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state/srekit");
    let config = write_config(dir.path(), &state, "logfmt");
    let out = run_exporter(&["check", config.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0), "a missing directory is not an error: {}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("[state] directory {} does not exist", state.display())),
        "{}",
        stderr(&out)
    );
    assert!(!state.exists(), "check changes nothing");

    let port = free_port();
    let child = Command::new(exporter_binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", config.display()))
        .args(["--collector.disable-defaults", "--collector.loadavg"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut exporter = Process { child, name: "srekit-exporter" };
    wait_until(Duration::from_secs(20), || {
        http_get(port, "/healthz", &[]).map(|r| r.status == 200).unwrap_or(false)
    })
    .unwrap();
    assert!(state.is_dir(), "the exporter created {}", state.display());
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
    let mut log = String::new();
    std::io::Read::read_to_string(&mut exporter.child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(log.contains(&format!("creating the [state] directory {}", state.display())), "{log}");

    let out = run_exporter(&["check", config.to_str().unwrap()], b"");
    assert!(!stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn a_port_in_use_ends_with_that_error_alone() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let out = Command::new(exporter_binary())
        .arg(format!("--web.listen-address={address}"))
        .args(["--collector.disable-defaults", "--collector.loadavg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    assert!(message.starts_with(&format!("srekit-exporter: cannot listen on {address}: ")), "{message}");
    assert!(message.contains("in use"), "{message}");
    assert!(!message.contains("shut down"), "{message}");
}
