//! CLI test for `srekit-exporter collect --format`: an unknown format is refused with the same message
//! the Python and Node bindings give (the core's `Format` parser), exit status 2.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::exporter_binary;

#[test]
fn an_unknown_format_is_refused_with_the_core_message() {
    let out = Command::new(exporter_binary()).args(["collect", "--format", "xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "srekit-exporter: unknown exposition format \"xml\" (expected \"text\" or \"openmetrics\")"
    );
}

#[test]
fn format_names_are_those_of_the_core() {
    for (name, marker) in [("openmetrics", "# EOF\n"), ("OM", "# EOF\n"), ("prometheus", "# TYPE ")] {
        let out = Command::new(exporter_binary()).args(["collect", "--format", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains(marker), "{name}");
    }
}
