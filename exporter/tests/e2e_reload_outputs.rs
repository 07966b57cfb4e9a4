//! End to end: a reload applies `[[outputs]]` changes. Scripted receivers (hyper servers on
//! 127.0.0.1 inside the test) stand for the old and the new remote-write endpoint: after a reload
//! that moves an output to the new URL with new external labels, the new receiver gets the new labels
//! and the old one gets nothing more, no request reaches both, and an unchanged output is not
//! restarted; a removed output stops and an added one starts; SIGTERM stops them. A bad
//! `[[outputs]]` table fails the reload (500, last_reload_successful 0) and the running output keeps
//! pushing. An output added to a config that had none starts, with its self metrics.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use srekit::push::remote_write::decompress;

#[path = "../../tests/support/scripted_receiver.rs"]
mod scripted_receiver;

use scripted_receiver::ScriptedReceiver;

/// Receivers answering 200, served by a runtime of the test's own.
struct Receivers {
    runtime: tokio::runtime::Runtime,
}

impl Receivers {
    fn new() -> Receivers {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        Receivers { runtime }
    }

    fn start(&self) -> (ScriptedReceiver, u16) {
        let (receiver, address) = self.runtime.block_on(ScriptedReceiver::start(&[]));
        (receiver, address.port())
    }
}

/// The values of label `name` in every series `receiver` got.
fn label_values(receiver: &ScriptedReceiver, name: &str) -> BTreeSet<String> {
    receiver
        .got()
        .iter()
        .flat_map(|g| decompress(&g.body).expect("a remote-write body").timeseries)
        .flat_map(|series| series.labels.into_iter().filter(|l| l.name == name).map(|l| l.value))
        .collect()
}

/// A remote-write output table pushing every 300 ms.
fn output(name: &str, port: u16, stage: &str, queue: &Path) -> String {
    format!(
        r#"[[outputs]]
name = "{name}"
kind = "remote_write"
url = "http://127.0.0.1:{port}/api/v1/write"
interval = "300ms"
timeout = "2s"
external_labels = {{ stage = "{stage}" }}
[outputs.queue]
directory = "{queue}"

"#,
        queue = queue.display()
    )
}

/// The exporter (no host collectors, `--web.enable-lifecycle`) with `config`, its log in `log`.
fn start(config: &Path, log: &Path) -> (Process, u16) {
    let port = free_port();
    let child = Command::new(exporter_binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .args(["--collector.disable-defaults", "--web.enable-lifecycle"])
        .arg(format!("--config.file={}", config.display()))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start srekit-exporter");
    let process = Process { child, name: "srekit-exporter" };
    wait_until(Duration::from_secs(20), || {
        http_get(port, "/healthz", &[]).map(|r| r.status == 200).unwrap_or(false)
    })
    .expect("exporter answers /healthz");
    (process, port)
}

/// The value of `series` on the exporter's `/metrics`.
fn metric(port: u16, series: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

fn reload_successful(port: u16) -> Option<f64> {
    metric(port, "srekit_exporter_config_last_reload_successful")
}

fn wait_for_label(receiver: &ScriptedReceiver, value: &str) {
    let arrived = wait_until(Duration::from_secs(30), || label_values(receiver, "stage").contains(value));
    assert!(arrived.is_ok(), "stage={value} arrives; got {:?}", label_values(receiver, "stage"));
}

#[test]
fn reload_restarts_a_changed_output_keeps_an_unchanged_one_stops_a_removed_one_starts_an_added_one() {
    let dir = tempfile::tempdir().unwrap();
    let receivers = Receivers::new();
    let (old, old_port) = receivers.start();
    let (new, new_port) = receivers.start();
    let (kept, kept_port) = receivers.start();
    let kept_table = output("kept", kept_port, "steady", &dir.path().join("queue-kept"));
    let moving_queue = dir.path().join("queue-moving");
    let config: PathBuf = dir.path().join("srekit.toml");
    std::fs::write(&config, format!("{kept_table}{}", output("moving", old_port, "one", &moving_queue)))
        .unwrap();
    let log = dir.path().join("exporter.log");
    let (mut exporter, port) = start(&config, &log);
    wait_for_label(&old, "one");
    wait_for_label(&kept, "steady");

    std::fs::write(&config, format!("{kept_table}{}", output("moving", new_port, "two", &moving_queue)))
        .unwrap();
    let response = http_request(port, "POST", "/-/reload", &[]).unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let old_count = old.count();
    let last_success = metric(port, "srekit_push_last_success_timestamp_seconds{output=\"moving\"}");
    assert!(
        last_success.is_some_and(|v| v > 0.0),
        "a restarted output keeps its last success: {last_success:?}"
    );
    wait_for_label(&new, "two");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(old.count(), old_count, "the old URL gets nothing after the reload");
    assert_eq!(label_values(&new, "stage"), BTreeSet::from(["two".to_owned()]));
    let old_bodies: BTreeSet<_> = old.got().iter().map(|g| g.body.clone()).collect();
    assert!(new.got().iter().all(|g| !old_bodies.contains(&g.body)), "a request was pushed twice");
    let kept_before = kept.count();
    wait_until(Duration::from_secs(10), || kept.count() > kept_before + 2).expect("kept keeps pushing");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("output moving: stopping"), "{text}");
    assert!(!text.contains("output kept: stopping"), "the unchanged output was restarted: {text}");

    // Removed: "kept" stops; added: "added" starts (pushing to the old URL again).
    let moving_table = output("moving", new_port, "two", &moving_queue);
    let added_table = output("added", old_port, "three", &dir.path().join("queue-added"));
    std::fs::write(&config, format!("{moving_table}{added_table}")).unwrap();
    let response = http_request(port, "POST", "/-/reload", &[]).unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let kept_count = kept.count();
    wait_for_label(&old, "three");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(kept.count(), kept_count, "a removed output pushes no more");
    let body = http_get(port, "/metrics", &[]).unwrap().text();
    assert!(!body.contains("output=\"kept\""), "a removed output's series go");
    assert!(body.contains("srekit_push_queue_bytes{output=\"added\"}"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("output kept: stopping"), "{text}");
    assert_eq!(text.matches("output moving: stopping").count(), 1, "unchanged this time: {text}");
    // SIGTERM stops (and flushes) the outputs before the process exits.
    assert_eq!(exporter.terminate(Duration::from_secs(15)), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("output added stopped") && text.contains("output moving stopped"), "{text}");
}

#[test]
fn a_bad_outputs_table_fails_the_reload_and_the_old_output_keeps_pushing() {
    let dir = tempfile::tempdir().unwrap();
    let receivers = Receivers::new();
    let (receiver, receiver_port) = receivers.start();
    let queue = dir.path().join("queue");
    let config = dir.path().join("srekit.toml");
    std::fs::write(&config, output("main", receiver_port, "one", &queue)).unwrap();
    let (_exporter, port) = start(&config, &dir.path().join("exporter.log"));
    wait_for_label(&receiver, "one");

    let bad = output("main", receiver_port, "two", &queue).replace("http://127.0.0.1", "ftp://127.0.0.1");
    std::fs::write(&config, bad).unwrap();
    let response = http_request(port, "POST", "/-/reload", &[]).unwrap();
    assert_eq!(response.status, 500);
    assert!(response.text().contains("[[outputs]] #1 (main)"), "{}", response.text());
    assert_eq!(reload_successful(port), Some(0.0));
    let count = receiver.count();
    wait_until(Duration::from_secs(10), || receiver.count() > count + 2)
        .expect("the old output keeps pushing");
    assert_eq!(label_values(&receiver, "stage"), BTreeSet::from(["one".to_owned()]));

    // Fixed, it applies.
    std::fs::write(&config, output("main", receiver_port, "two", &queue)).unwrap();
    let response = http_request(port, "POST", "/-/reload", &[]).unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(reload_successful(port), Some(1.0));
    wait_for_label(&receiver, "two");
}

#[test]
fn an_output_added_to_a_config_without_outputs_starts_with_its_self_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let receivers = Receivers::new();
    let (receiver, receiver_port) = receivers.start();
    let config = dir.path().join("srekit.toml");
    std::fs::write(&config, "").unwrap();
    let (_exporter, port) = start(&config, &dir.path().join("exporter.log"));
    assert!(!http_get(port, "/metrics", &[]).unwrap().text().contains("srekit_push_"));

    std::fs::write(&config, output("first", receiver_port, "one", &dir.path().join("queue"))).unwrap();
    let response = http_request(port, "POST", "/-/reload", &[]).unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    wait_for_label(&receiver, "one");
    let sent = wait_until(Duration::from_secs(10), || {
        metric(port, "srekit_push_samples_total{output=\"first\",result=\"sent\"}").is_some_and(|v| v > 0.0)
    });
    assert!(sent.is_ok(), "the added output counts what it sends");
}
