//! Flags never panic and never silently change meaning: bad durations, numbers and paths end with
//! exit 2 and a message naming the flag; Prometheus' duration syntax is accepted (checked by `collect`,
//! which parses every flag and exits).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::exporter_binary;

fn collect_with(flag: &str) -> (Option<i32>, String) {
    let out = Command::new(exporter_binary())
        .args(["collect", "--collector.disable-defaults", "--collector.loadavg", flag])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_flag_values_exit_2_with_the_flag_named() {
    for (flag, name, reason) in [
        ("--web.read-timeout=inf", "--web.read-timeout", "not a duration"),
        ("--web.read-timeout=1e300", "--web.read-timeout", "out of range"),
        ("--web.read-timeout=-5", "--web.read-timeout", "negative"),
        ("--web.read-timeout=0", "--web.read-timeout", "more than zero"),
        ("--web.write-timeout=soon", "--web.write-timeout", "not a duration"),
        ("--collector.timeout=inf", "--collector.timeout", "not a duration"),
        ("--collector.absent-recheck=2h", "--collector.absent-recheck", "at most 1h"),
        ("--collector.absent-recheck=-5", "--collector.absent-recheck", "negative"),
        ("--web.max-requests=18446744073709551615", "--web.max-requests", ""),
        ("--web.max-connections=0", "--web.max-connections", ""),
        ("--web.telemetry-path=metrics", "--web.telemetry-path", "must start with /"),
    ] {
        let (code, stderr) = collect_with(flag);
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(reason), "{flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{flag}: {stderr}");
    }
}

#[test]
fn prometheus_durations_and_plain_seconds_are_accepted() {
    for flag in [
        "--web.read-timeout=5s",
        "--web.read-timeout=1m30s",
        "--web.write-timeout=250ms",
        "--collector.timeout=2.5",
        "--collector.absent-recheck=0",
        "--collector.absent-recheck=30s",
    ] {
        let (code, stderr) = collect_with(flag);
        assert_eq!(code, Some(0), "{flag}: {stderr}");
    }
}

#[test]
fn a_wrong_procfs_root_is_warned_about_at_startup() {
    let (code, stderr) = collect_with("--path.procfs=/nonexistent-srekit-proc");
    assert_eq!(code, Some(0), "collect still answers: {stderr}");
    assert!(stderr.contains("--path.procfs=/nonexistent-srekit-proc does not look right"), "{stderr}");
    let (_, stderr) = collect_with("--path.procfs=/proc");
    assert!(!stderr.contains("does not look right"), "{stderr}");
}
