//! Test helpers shared by the Rust suites, as Python and Node share them: the one promtool policy
//! (tests/support/promtool-check says it) and the list of volatile metrics. Included by the
//! integration tests of core and exporter with `#[path]`, so every suite checks exposition text the
//! same way. promtool is required; a missing promtool fails the test with the command that installs it.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Which lint findings a text may draw.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lint {
    /// None: what srekit names itself must be lint-clean.
    Clean,
    /// Only those node_exporter's own names draw too (camelCase fields, `_bits`).
    Host,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/support/promtool-check")
}

/// Checks `text` by the policy; `Err` holds what promtool-check printed.
pub fn promtool_check(text: &[u8], lint: Lint) -> Result<(), String> {
    let mut command = Command::new(script());
    if lint == Lint::Host {
        command.arg("--host");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tests/support/promtool-check");
    child.stdin.take().expect("stdin").write_all(text).expect("feed promtool-check");
    let out = child.wait_with_output().expect("promtool-check output");
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => panic!("{report}"),
        _ => Err(report),
    }
}

/// Asserts that `text` passes the policy, showing promtool's findings and the text otherwise.
pub fn assert_promtool(text: &[u8], lint: Lint) {
    if let Err(report) = promtool_check(text, lint) {
        panic!("{report}\n--- input ---\n{}", String::from_utf8_lossy(text));
    }
}

/// promtool's raw findings for `text` (exit code and the set of finding lines), for tests that
/// compare them with another exporter's.
pub fn promtool_findings(text: &[u8]) -> (i32, BTreeSet<String>) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool not found: run scripts/install-deps.sh (Debian's prometheus package)");
    child.stdin.take().expect("stdin").write_all(text).expect("feed promtool");
    let out = child.wait_with_output().expect("promtool output");
    let report = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        report.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect(),
    )
}

/// The families whose values depend on the machine running the test (tests/support/volatile-metrics.txt).
pub fn volatile_metrics() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/support/volatile-metrics.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}
