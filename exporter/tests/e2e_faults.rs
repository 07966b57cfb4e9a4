//! Faults while serving: the log directory removed and re-created, and checkpoints that cannot be
//! written (the state directory replaced by a file). The exporter keeps serving, counts the problem in
//! `srekit_log_errors_total{kind}`, and recovers when the fault goes.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::*;

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The value of the first sample line starting with `prefix` in a scrape.
fn sample(port: u16, prefix: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find(|l| l.starts_with(prefix))?.rsplit(' ').next()?.parse().ok()
}

fn start(root: &Path) -> (Process, u16) {
    let config = format!(
        "[state]\ndirectory = \"{state}\"\n\n[[inputs]]\nname = \"app\"\npaths = [\"{logs}/*.log\"]\nformat = \"logfmt\"\n\n[[metrics]]\nname = \"app_events_total\"\nhelp = \"Events.\"\nkind = \"counter\"\nlabels = [\"kind\"]\n",
        state = root.join("state").display(),
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();
    start_exporter(&[&format!("--config.file={}", root.join("srekit.toml").display()), "--collector.disable-defaults", "--collector.loadavg"])
}

#[test]
fn log_directory_removed_and_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::write(root.join("logs/app.log"), "").unwrap();
    let (_exporter, port) = start(root);
    append(&root.join("logs/app.log"), "kind=a\nkind=a\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"a\"}") == Some(2.0)).unwrap();

    std::fs::remove_dir_all(root.join("logs")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(http_get(port, "/metrics", &[]).unwrap().status, 200, "still serving without the directory");
    assert_eq!(sample(port, "app_events_total{kind=\"a\"}"), Some(2.0));

    std::fs::create_dir_all(root.join("logs")).unwrap();
    append(&root.join("logs/app.log"), "kind=b\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"b\"}") == Some(1.0)).unwrap();
    assert_eq!(sample(port, "app_events_total{kind=\"a\"}"), Some(2.0), "nothing counted twice");
}

#[test]
fn unwritable_checkpoints_are_reported_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::write(root.join("logs/app.log"), "").unwrap();
    let (_exporter, port) = start(root);
    let state = root.join("state");
    wait_until(Duration::from_secs(10), || std::fs::read_dir(&state).map(|d| d.count() > 0).unwrap_or(false))
        .unwrap();

    // Break the state directory: checkpoint writes now fail (ENOTDIR), whatever the user's privileges.
    std::fs::remove_dir_all(&state).unwrap();
    std::fs::write(&state, "not a directory").unwrap();
    append(&root.join("logs/app.log"), "kind=x\n");
    wait_until(Duration::from_secs(20), || {
        sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}").is_some_and(|v| v > 0.0)
    })
    .unwrap();
    assert_eq!(sample(port, "app_events_total{kind=\"x\"}"), Some(1.0), "lines are still counted");

    // Repair it: checkpoints are written again and the error count stops growing.
    std::fs::remove_file(&state).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    wait_until(Duration::from_secs(20), || std::fs::read_dir(&state).map(|d| d.count() > 0).unwrap_or(false))
        .unwrap();
    let settled = sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}"), Some(settled));
}
