//! End to end: config reload. `POST /-/reload` (with `--web.enable-lifecycle`) and SIGHUP re-read the
//! config file: a changed rule shows up, an unchanged rule keeps its counts (through the checkpoint) and
//! no line is counted twice; a broken file changes nothing (the old rules keep serving) and sets
//! `srekit_exporter_config_last_reload_successful` to 0; without the flag the endpoint is 403.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A config with a state directory, one input and the rules given (TOML `[[metrics]]` tables).
fn write_config(dir: &Path, rules: &str) -> PathBuf {
    let state = format!("[state]\ndirectory = \"{}\"\n\n", dir.join("state").display());
    write_config_with(dir, &format!("{state}{rules}"))
}

/// A config with one input and `rest` (`[state]`, `[[metrics]]`).
fn write_config_with(dir: &Path, rest: &str) -> PathBuf {
    let path = dir.join("exporter.toml");
    let config = format!(
        "[[inputs]]\nname = \"app\"\npaths = [\"{log}\"]\nread_from_head = true\n\n{rest}",
        log = dir.join("app.log").display(),
    );
    std::fs::write(&path, config).unwrap();
    path
}

const REQUESTS: &str =
    "[[metrics]]\nname = \"app_requests_total\"\nkind = \"counter\"\nlabels = [\"status\"]\n";
const ERRORS: &str =
    "[[metrics]]\nname = \"app_errors_total\"\nkind = \"counter\"\nmatch = { status = \"^5\" }\n";

fn sample(port: u16, series: &str) -> Option<f64> {
    let body = http_get(port, "/metrics", &[]).ok()?.text();
    let line = body.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))?;
    line[series.len() + 1..].parse().ok()
}

fn wait_for(port: u16, series: &str, value: f64) {
    wait_until(Duration::from_secs(20), || sample(port, series) == Some(value))
        .unwrap_or_else(|e| panic!("{series} == {value}: {e}; now {:?}", sample(port, series)));
}

/// Waits until every `(series, value)` holds in one scrape, then checks each with the whole scrape in
/// the message. A poll counts a line in its rules before it adds the poll's lines to
/// `srekit_log_lines_total`, so a scrape can see a rule's new count and not yet the line total.
fn wait_for_all(port: u16, expected: &[(&str, f64)]) {
    let value = |text: &str, series: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))?;
        line[series.len() + 1..].parse().ok()
    };
    let holds = |text: &str| expected.iter().all(|(series, want)| value(text, series) == Some(*want));
    let _ = wait_until(Duration::from_secs(20), || {
        http_get(port, "/metrics", &[]).is_ok_and(|r| holds(&r.text()))
    });
    let text = http_get(port, "/metrics", &[]).unwrap().text();
    for (series, want) in expected {
        assert_eq!(value(&text, series), Some(*want), "{series} in\n{text}");
    }
}

/// The exporter (no host collectors) with `config` and `--web.enable-lifecycle`.
fn start_with_lifecycle(config: &Path) -> (Process, u16) {
    let config_flag = format!("--config.file={}", config.display());
    start_exporter(&["--collector.disable-defaults", "--web.enable-lifecycle", &config_flag])
}

fn reload(port: u16) -> HttpResponse {
    http_request(port, "POST", "/-/reload", &[]).unwrap()
}

#[test]
fn post_reload_applies_a_changed_rule_and_keeps_the_unchanged_ones_state() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, "status=200\nstatus=500\n");
    let config = write_config(dir.path(), REQUESTS);
    let (_exporter, port) = start_with_lifecycle(&config);
    wait_for(port, "app_requests_total{status=\"200\"}", 1.0);
    assert_eq!(sample(port, "srekit_exporter_config_last_reload_successful"), Some(1.0));
    assert!(sample(port, "app_errors_total").is_none());

    write_config(dir.path(), &format!("{REQUESTS}\n{ERRORS}"));
    let response = reload(port);
    assert_eq!(response.status, 200, "{}", response.text());
    append(&log, "status=503\n");
    // The unchanged rule kept its counts and the lines read before were not counted again.
    wait_for_all(
        port,
        &[
            ("app_errors_total", 1.0),
            ("app_requests_total{status=\"503\"}", 1.0),
            ("app_requests_total{status=\"200\"}", 1.0),
            ("app_requests_total{status=\"500\"}", 1.0),
            ("srekit_log_lines_total{input=\"app\"}", 3.0),
        ],
    );
    assert_eq!(sample(port, "srekit_exporter_config_last_reload_successful"), Some(1.0));
    assert!(
        sample(port, "srekit_exporter_config_last_reload_success_timestamp_seconds").is_some_and(|t| t > 1e9)
    );

    // Only POST and PUT.
    let get = http_get(port, "/-/reload", &[]).unwrap();
    assert_eq!(get.status, 405);
    assert_eq!(get.text(), "Only POST or PUT requests allowed\n");
}

#[test]
fn a_broken_config_keeps_the_old_one_running_and_sighup_reloads_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, "status=200\n");
    let config = write_config(dir.path(), REQUESTS);
    let (exporter, port) = start_with_lifecycle(&config);
    wait_for(port, "app_requests_total{status=\"200\"}", 1.0);

    for broken in ["[[metrics]\nname = ", "[[metrics]]\nname = \"x\"\nkind = \"counter\"\nnonsense = 1\n"] {
        std::fs::write(&config, broken).unwrap();
        let response = reload(port);
        assert_eq!(response.status, 500);
        assert!(response.text().starts_with("failed to reload config: "), "{}", response.text());
        assert!(response.text().contains("exporter.toml"), "the message names the file: {}", response.text());
        assert_eq!(sample(port, "srekit_exporter_config_last_reload_successful"), Some(0.0));
        // The old rules still count.
        append(&log, "status=200\n");
    }
    wait_for(port, "app_requests_total{status=\"200\"}", 3.0);

    // SIGHUP reloads a fixed file.
    write_config(dir.path(), &format!("{REQUESTS}\n{ERRORS}"));
    let pid = exporter.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_for(port, "srekit_exporter_config_last_reload_successful", 1.0);
    append(&log, "status=500\n");
    wait_for(port, "app_errors_total", 1.0);
    wait_for(port, "app_requests_total{status=\"200\"}", 3.0);
}

#[test]
fn the_lifecycle_endpoint_is_403_without_the_flag() {
    let (exporter, port) = start_exporter(&["--collector.disable-defaults"]);
    let response = reload(port);
    assert_eq!(response.status, 403);
    assert_eq!(response.text(), "Lifecycle API is not enabled.\n");
    // SIGHUP without a config file is harmless: it reloads (the web config, none) and the exporter
    // keeps serving. Waited for through the success timestamp, not for a fixed time; the timestamp
    // has whole seconds, so the signal goes once it can differ from the start's.
    let stamp = "srekit_exporter_config_last_reload_success_timestamp_seconds";
    let started = sample(port, stamp).expect("the start is a successful load");
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    wait_until(Duration::from_secs(5), || now() >= started + 1.0).unwrap();
    let pid = exporter.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_until(Duration::from_secs(20), || sample(port, stamp).is_some_and(|t| t > started))
        .unwrap_or_else(|e| panic!("the SIGHUP reload is done: {e}; {stamp} {:?}", sample(port, stamp)));
    assert_eq!(sample(port, "srekit_exporter_config_last_reload_successful"), Some(1.0));
}

#[test]
fn without_a_state_directory_a_reload_keeps_the_counts_too() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    append(&log, "status=200\nstatus=200\n");
    let config = write_config_with(dir.path(), REQUESTS);
    let (_exporter, port) = start_with_lifecycle(&config);
    wait_for(port, "app_requests_total{status=\"200\"}", 2.0);
    write_config_with(dir.path(), &format!("{REQUESTS}\n{ERRORS}"));
    assert_eq!(reload(port).status, 200);
    append(&log, "status=200\nstatus=502\n");
    wait_for_all(
        port,
        &[
            ("app_errors_total", 1.0),
            ("app_requests_total{status=\"200\"}", 3.0),
            ("srekit_log_lines_total{input=\"app\"}", 4.0),
        ],
    );
    assert!(!dir.path().join("state").exists());
}

fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn web_users(path: &Path, users: &[(&str, &str)]) {
    let mut yaml = String::from("basic_auth_users:\n");
    for (user, password) in users {
        yaml.push_str(&format!("  {user}: {}\n", bcrypt::hash(password, 4).unwrap()));
    }
    std::fs::write(path, yaml).unwrap();
}

fn status_as(port: u16, method: &str, path: &str, user: &str, password: &str) -> u16 {
    http_request(port, method, path, &[("Authorization", &basic_auth(user, password))]).unwrap().status
}

/// A reload re-reads the web config file: a changed password holds at once, the old one is refused,
/// a new user gets in; a web config that does not load fails the reload and the old users stay.
#[test]
fn reload_applies_a_changed_web_config_password() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web.yml");
    web_users(&web, &[("prometheus", "s3cret")]);
    let web_flag = format!("--web.config.file={}", web.display());
    let (mut exporter, port) = start_exporter(&[
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--web.enable-lifecycle",
        &web_flag,
    ]);
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "s3cret"), 200);
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "n3w"), 401);

    web_users(&web, &[("prometheus", "n3w"), ("grafana", "g0")]);
    // Before the reload the file on disk is not in force yet.
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "s3cret"), 200);
    assert_eq!(status_as(port, "POST", "/-/reload", "prometheus", "s3cret"), 200);
    assert_eq!(
        status_as(port, "GET", "/metrics", "prometheus", "s3cret"),
        401,
        "the old password is refused"
    );
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "n3w"), 200);
    assert_eq!(status_as(port, "GET", "/metrics", "grafana", "g0"), 200);

    // A broken web config: the reload fails, is counted, and the users in force stay.
    std::fs::write(&web, "basic_auth_users:\n  prometheus: plaintext\n").unwrap();
    let response =
        http_request(port, "POST", "/-/reload", &[("Authorization", &basic_auth("prometheus", "n3w"))])
            .unwrap();
    assert_eq!(response.status, 500, "{}", response.text());
    assert!(response.text().contains("basic_auth_users.prometheus"), "{}", response.text());
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "n3w"), 200);
    let body =
        http_get(port, "/metrics", &[("Authorization", &basic_auth("prometheus", "n3w"))]).unwrap().text();
    assert!(body.contains("\nsrekit_exporter_config_last_reload_successful 0\n"), "{body}");

    // SIGHUP re-reads it too.
    web_users(&web, &[("prometheus", "th1rd")]);
    let pid = exporter.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    wait_until(Duration::from_secs(20), || status_as(port, "GET", "/metrics", "prometheus", "th1rd") == 200)
        .unwrap_or_else(|e| panic!("SIGHUP applies the new password: {e}"));
    assert_eq!(status_as(port, "GET", "/metrics", "prometheus", "n3w"), 401);
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
}
