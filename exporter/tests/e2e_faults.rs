//! Faults while serving: the log directory removed and re-created, a log file the exporter may not
//! read, and checkpoints that cannot be written (the state directory replaced by a file). The exporter keeps serving, counts the problem in
//! `srekit_log_errors_total{kind}`, and recovers when the fault goes.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::*;
use srekit::logs::pipeline_state::PipelineState;

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// The value of the first sample line starting with `prefix` in a scrape.
fn sample(port: u16, prefix: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find(|l| l.starts_with(prefix))?.rsplit(' ').next()?.parse().ok()
}

fn write_config(root: &Path) -> std::path::PathBuf {
    let config = format!(
        "[state]\ndirectory = \"{state}\"\n\n[[inputs]]\nname = \"app\"\npaths = [\"{logs}/*.log\"]\nformat = \"logfmt\"\n\n[[metrics]]\nname = \"app_events_total\"\nhelp = \"Events.\"\nkind = \"counter\"\nlabels = [\"kind\"]\n",
        state = root.join("state").display(),
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();
    root.join("srekit.toml")
}

/// Starts the exporter on the test config with its log (stderr) written to `root/exporter.log`; with
/// `as_uid`, through setpriv as that user and group (to meet permissions root would ignore).
fn start_logged(root: &Path, as_uid: Option<u32>) -> (Process, u16) {
    let config = write_config(root);
    let port = free_port();
    let mut command = match as_uid {
        Some(uid) => {
            let mut command = std::process::Command::new("setpriv");
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={uid}"))
                .args(["--clear-groups", "--"]);
            command.arg(exporter_binary());
            command
        }
        None => std::process::Command::new(exporter_binary()),
    };
    let child = command
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", config.display()))
        .args(["--collector.disable-defaults", "--collector.loadavg"])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(root.join("exporter.log")).unwrap())
        .spawn()
        .unwrap();
    let process = Process { child, name: "srekit-exporter" };
    wait_until(Duration::from_secs(20), || {
        http_get(port, "/healthz", &[]).map(|r| r.status == 200).unwrap_or(false)
    })
    .unwrap();
    (process, port)
}

/// The exporter's log so far.
fn exporter_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("exporter.log")).unwrap_or_default()
}

/// Appends the line `kind=<kind>` to logs/app.log and waits until it is counted. The poll that
/// counts it started after this call, so what earlier polls reported is counted by then: a failed
/// checkpoint write is reported by the poll after it (up to the 10 s idle interval later), which
/// may be the very poll that offered the next, successful, write.
fn count_a_marker_line(root: &Path, port: u16, kind: &str) {
    append(&root.join("logs/app.log"), &format!("kind={kind}\n"));
    let series = format!("app_events_total{{kind=\"{kind}\"}}");
    wait_until(Duration::from_secs(20), || sample(port, &series) == Some(1.0))
        .unwrap_or_else(|e| panic!("{series}: {e}"));
}

fn start(root: &Path) -> (Process, u16) {
    let config = write_config(root);
    start_exporter(&[
        &format!("--config.file={}", config.display()),
        "--collector.disable-defaults",
        "--collector.loadavg",
    ])
}

#[test]
fn log_directory_removed_and_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::write(root.join("logs/app.log"), "").unwrap();
    let (_exporter, port) = start(root);
    // The file is followed from its end as of the first poll, which runs after /healthz may answer.
    wait_for_files_open(port, "app", 1);
    append(&root.join("logs/app.log"), "kind=a\nkind=a\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"a\"}") == Some(2.0))
        .unwrap();

    std::fs::remove_dir_all(root.join("logs")).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(http_get(port, "/metrics", &[]).unwrap().status, 200, "still serving without the directory");
    assert_eq!(sample(port, "app_events_total{kind=\"a\"}"), Some(2.0));

    std::fs::create_dir_all(root.join("logs")).unwrap();
    append(&root.join("logs/app.log"), "kind=b\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"b\"}") == Some(1.0))
        .unwrap();
    assert_eq!(sample(port, "app_events_total{kind=\"a\"}"), Some(2.0), "nothing counted twice");
}

#[test]
fn unwritable_checkpoints_are_reported_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::write(root.join("logs/app.log"), "").unwrap();
    let (_exporter, port) = start_logged(root, None);
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
    let log = exporter_log(root);
    assert!(
        log.lines().any(|l| l.contains("level=warn")
            && l.contains("log pipeline")
            && l.contains(&*state.to_string_lossy())),
        "the problem is logged, naming the path: {log}"
    );

    // Repair it: checkpoints are written again and the error count stops growing.
    std::fs::remove_file(&state).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    // Retried at the next poll, up to the 10 s idle interval away.
    wait_until(Duration::from_secs(30), || state.join("checkpoint.json").exists()).unwrap();
    // The failure before the successful write may be counted just after it: settle, then sample.
    count_a_marker_line(root, port, "settle");
    let settled = sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}"), Some(settled));
}

/// A log file the exporter may not read: the error is counted (`kind="read"`) while the rest keeps
/// working, and the file is followed once its permissions are fixed. Root reads everything, so when the
/// test runs as root the exporter is started as `nobody` (setpriv, from util-linux).
#[test]
fn permission_denied_on_a_log_file() {
    use std::os::unix::fs::{chown, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(root.join("state")).unwrap();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o777)).unwrap();
    let secret = logs.join("secret.log");
    std::fs::write(&secret, "").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();

    let as_root =
        std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    const NOBODY: u32 = 65534;
    if as_root {
        chown(root.join("state"), Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let (_exporter, port) = start_logged(root, as_root.then_some(NOBODY));

    // The unreadable file is reported. Its report also says the tailer's first look at the directory
    // is done: a file there before it is followed from its end (`read_from_head` is off), so the
    // readable file is created only now, or its line could be skipped on a slow machine.
    wait_until(Duration::from_secs(20), || {
        sample(port, "srekit_log_errors_total{kind=\"read\"}").is_some_and(|v| v >= 1.0)
    })
    .unwrap();
    // A readable file beside it is followed as usual.
    let open = logs.join("open.log");
    append(&open, "kind=open\n");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"open\"}") == Some(1.0))
        .unwrap();
    let reported = sample(port, "srekit_log_errors_total{kind=\"read\"}").unwrap();
    let log = exporter_log(root);
    assert!(
        log.lines()
            .any(|l| l.contains("level=warn") && l.contains("secret.log") && l.contains("ermission denied")),
        "the problem is logged, naming the file: {log}"
    );
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(
        sample(port, "srekit_log_errors_total{kind=\"read\"}"),
        Some(reported),
        "a persistent fault is counted once, not at every poll"
    );

    // Fix the permissions: the file is followed and its new lines are counted.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    append(&secret, "kind=secret\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"secret\"}") == Some(1.0))
        .unwrap();
}

/// Unmounts a tmpfs when dropped (also when the test fails).
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Disk full while writing the checkpoint, for real: the state directory is a 64 KiB tmpfs that the
/// test fills up. Lines keep being counted, the failed writes are counted as `kind="checkpoint"`, and
/// once space is freed the checkpoint is written again, so a restart resumes exactly where it stopped.
/// Mounting needs root: the test is ignored by default and scripts/test-rust.sh runs it when root.
#[test]
#[ignore = "needs root to mount a tmpfs: scripts/test-rust.sh runs it with --ignored when root"]
fn disk_full_while_writing_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::create_dir_all(root.join("state")).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(root.join("state"))
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "cannot mount a tmpfs here (needs root)");
    let _mount = Mount(root.join("state"));
    let log = root.join("logs/app.log");
    std::fs::write(&log, "").unwrap();
    let (mut exporter, port) = start(root);
    wait_for_files_open(port, "app", 1);
    append(&log, "kind=a\n");
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"a\"}") == Some(1.0))
        .unwrap();

    // Fill the filesystem to the last byte.
    let filler = root.join("state/filler");
    {
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.write_all(&[0u8]);
    }
    append(&log, "kind=b\nkind=b\n");
    wait_until(Duration::from_secs(20), || {
        sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}").is_some_and(|v| v > 0.0)
    })
    .unwrap();
    assert_eq!(
        sample(port, "app_events_total{kind=\"b\"}"),
        Some(2.0),
        "lines are counted while the disk is full"
    );
    assert_eq!(http_get(port, "/metrics", &[]).unwrap().status, 200);

    // Free the space: checkpoints succeed again and the error count settles.
    std::fs::remove_file(&filler).unwrap();
    // Recovered once a checkpoint with all three lines is on disk (not after a fixed time).
    let stored_lines = || {
        PipelineState::load(&root.join("state/checkpoint.json"))
            .ok()
            .flatten()
            .map(|state| state.inputs.iter().map(|input| input.lines).sum::<u64>())
    };
    wait_until(Duration::from_secs(30), || stored_lines() == Some(3))
        .unwrap_or_else(|e| panic!("a checkpoint is written once space is freed: {e}; {:?}", stored_lines()));
    count_a_marker_line(root, port, "settle");
    let settled = sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}").unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(sample(port, "srekit_log_errors_total{kind=\"checkpoint\"}"), Some(settled));

    // A restart resumes at the checkpoint: its counts are restored and only lines written after it are
    // added.
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
    append(&log, "kind=c\n");
    let (_again, port) = start(root);
    wait_until(Duration::from_secs(20), || sample(port, "app_events_total{kind=\"c\"}") == Some(1.0))
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        sample(port, "app_events_total{kind=\"a\"}"),
        Some(1.0),
        "restored from the checkpoint, nothing counted again"
    );
    assert_eq!(
        sample(port, "app_events_total{kind=\"b\"}"),
        Some(2.0),
        "restored from the checkpoint, nothing counted again"
    );
}

/// Symlink loops under a `**` pattern (`ln -s . a; ln -s . b`) made the old glob walk exponential:
/// nothing was read and SIGTERM never ended the process. The walk enters each directory once.
#[test]
fn symlink_loops_under_double_star_neither_stall_reading_nor_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs/deep/er")).unwrap();
    for (link, target) in
        [("logs/a", "."), ("logs/b", "."), ("logs/deep/c", ".."), ("logs/deep/er/d", "../..")]
    {
        std::os::unix::fs::symlink(target, root.join(link)).unwrap();
    }
    std::fs::write(root.join("logs/deep/er/app.log"), "").unwrap();
    let config = format!(
        "[state]\ndirectory = \"{state}\"\n\n[[inputs]]\nname = \"app\"\npaths = [\"{logs}/**/*.log\"]\nformat = \"logfmt\"\n\n[[metrics]]\nname = \"app_events_total\"\nhelp = \"Events.\"\nkind = \"counter\"\nlabels = [\"kind\"]\n",
        state = root.join("state").display(),
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();
    let (mut exporter, port) = start_exporter(&[
        &format!("--config.file={}", root.join("srekit.toml").display()),
        "--collector.disable-defaults",
        "--collector.loadavg",
    ]);
    wait_for_files_open(port, "app", 1);
    append(&root.join("logs/deep/er/app.log"), "kind=a\nkind=a\n");
    wait_until(Duration::from_secs(10), || sample(port, "app_events_total{kind=\"a\"}") == Some(2.0))
        .expect("lines under the looping tree are counted once each");
    assert_eq!(exporter.terminate(Duration::from_secs(5)), Some(0), "SIGTERM ends the exporter within 5 s");
}
