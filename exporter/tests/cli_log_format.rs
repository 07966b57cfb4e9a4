//! `--log.format` (logfmt | json) and `--log.level` (debug | info | warn | error), as node_exporter's
//! promlog flags: every stderr line parses in its format (logfmt with srekit's own parser, json with
//! serde_json) with the keys ts, caller, level and msg; the level filters; other values are usage errors.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::{Command, Output};

use common::exporter_binary;

/// `collect` with a procfs root that does not exist: a startup warning and a collector failure.
fn collect_logging(flags: &[&str]) -> Output {
    Command::new(exporter_binary())
        .args([
            "collect",
            "--collector.disable-defaults",
            "--collector.loadavg",
            "--path.procfs=/nonexistent-srekit",
        ])
        .args(flags)
        .output()
        .unwrap()
}

fn stderr_lines(out: &Output) -> Vec<String> {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stderr.clone()).unwrap().lines().map(str::to_owned).collect()
}

fn assert_timestamp(ts: &str) {
    // 2026-12-03T19:42:37.621Z
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.', "{ts}");
}

#[test]
fn logfmt_is_the_default_and_parses_with_our_parser() {
    let lines = stderr_lines(&collect_logging(&[]));
    assert!(lines.len() >= 2, "{lines:?}");
    let without_ts = |lines: &[String]| -> Vec<String> {
        lines.iter().map(|l| l.split_once(' ').map(|(_, rest)| rest.to_owned()).unwrap_or_default()).collect()
    };
    let explicit = stderr_lines(&collect_logging(&["--log.format=logfmt"]));
    assert_eq!(without_ts(&lines), without_ts(&explicit), "logfmt is the default");
    for line in &lines {
        let record = srekit::logs::parse_logfmt(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let json = record.to_json();
        assert_timestamp(json["ts"].as_str().unwrap());
        assert_eq!(json["level"], "warn", "{line}");
        assert!(json["caller"].as_str().unwrap().contains(".rs:"), "{line}");
        assert!(json["msg"].as_str().is_some_and(|m| !m.is_empty()), "{line}");
    }
    let record = srekit::logs::parse_logfmt(&lines[0]).unwrap().to_json();
    assert!(record["msg"]
        .as_str()
        .unwrap()
        .contains("--path.procfs=/nonexistent-srekit does not look right"));
}

#[test]
fn json_lines_are_objects_with_the_same_keys() {
    let lines = stderr_lines(&collect_logging(&["--log.format=json"]));
    assert!(lines.len() >= 2, "{lines:?}");
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["caller", "level", "msg", "ts"], "{line}");
        assert_timestamp(value["ts"].as_str().unwrap());
        assert_eq!(value["level"], "warn");
    }
}

#[test]
fn the_level_filters_and_bad_values_are_usage_errors() {
    assert!(stderr_lines(&collect_logging(&["--log.level=error"])).is_empty());
    assert!(!stderr_lines(&collect_logging(&["--log.level=warn"])).is_empty());
    for bad in ["--log.level=trace", "--log.level=verbose", "--log.format=text"] {
        let out = collect_logging(&[bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"), "{bad}");
    }
}

/// A collector of an optional subsystem that finds it absent is logged at debug level (node_exporter's
/// "collector returned no data"), one whose kernel file is missing (a wrong `--path.procfs`) is a
/// warning; both report success 0.
#[test]
fn an_absent_optional_subsystem_is_debug_and_a_missing_kernel_file_a_warning() {
    let empty = tempfile::tempdir().unwrap();
    let sysfs = format!("--path.sysfs={}", empty.path().display());
    let collect = |level: &str| {
        let out = Command::new(exporter_binary())
            .args(["collect", "--collector.disable-defaults", "--collector.loadavg", "--collector.nvme"])
            .args(["--path.procfs=/nonexistent-srekit", &sysfs, level])
            .output()
            .unwrap();
        let metrics = String::from_utf8(out.stdout.clone()).unwrap();
        for collector in ["loadavg", "nvme"] {
            let line = format!("node_scrape_collector_success{{collector=\"{collector}\"}} 0");
            assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
        }
        stderr_lines(&out)
    };
    let warnings = collect("--log.level=warn");
    assert!(warnings.iter().any(|l| l.contains("collector loadavg failed")), "{warnings:?}");
    assert!(!warnings.iter().any(|l| l.contains("nvme")), "{warnings:?}");
    let debug = collect("--log.level=debug");
    let nvme: Vec<&String> = debug.iter().filter(|l| l.contains("nvme")).collect();
    assert!(
        matches!(&nvme[..], [line] if line.contains("level=debug")
            && line.contains("collector nvme returned no data")
            && line.contains(&format!("{}/class/nvme", empty.path().display()))),
        "{debug:?}"
    );
}
