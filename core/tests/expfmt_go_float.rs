//! srekit writes numbers exactly as client_golang does: 300,000 f64s (random bit patterns, random
//! integers up to 2^53, random short decimals at every scale, and edge cases: subnormals, powers of ten
//! around the exponent switch, ±0, ±1, NaN, ±Inf) are formatted by `write_float` and
//! `write_openmetrics_float` and by real Go (tests/support/gofloat, `go run`), and must be the same text.
//!
//! Go must be installed (scripts/install-deps.sh installs Debian's golang-go); the test fails otherwise.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// xorshift64: a fixed, dependency-free sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn values() -> Vec<f64> {
    let mut values = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        5e-324,
        f64::from_bits(0x000F_FFFF_FFFF_FFFF), // the largest subnormal
        9007199254740992.0,
        9007199254740993.0,
        123456789.0,
        1.305e-06,
        2095104.0,
        8.9991519156915e13,
    ];
    for exponent in -30..=30 {
        let power = 10f64.powi(exponent);
        values.extend([power, -power, power * 1.5, power - power * 1e-16, 999999.0 * power]);
    }
    let mut rng = Rng(0x5EED_F10A7);
    while values.len() < 300_000 {
        let r = rng.next();
        let value = match r % 4 {
            0 => f64::from_bits(rng.next()),
            1 => (rng.next() >> 11) as f64 * if r & 16 == 0 { 1.0 } else { -1.0 },
            2 => (rng.next() % 1_000_000) as f64 * 10f64.powi((rng.next() % 60) as i32 - 35),
            _ => f64::from_bits(rng.next() & 0x000F_FFFF_FFFF_FFFF), // subnormal
        };
        values.push(value);
    }
    values
}

fn go_reference(values: &[f64]) -> Vec<(String, String)> {
    let program = common::repo_root().join("tests/support/gofloat/main.go");
    let cache = std::env::temp_dir().join("srekit-gofloat-cache");
    let mut child = Command::new("go")
        .arg("run")
        .arg(&program)
        .env("GOCACHE", &cache)
        .env("GOFLAGS", "-mod=mod")
        .env("GO111MODULE", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("`go` runs (scripts/install-deps.sh installs golang-go)");
    let mut input = String::with_capacity(values.len() * 17);
    for value in values {
        input.push_str(&format!("{:016x}\n", value.to_bits()));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "go run failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (text, om) = line.split_once('\t').unwrap();
            (text.to_string(), om.to_string())
        })
        .collect()
}

#[test]
fn numbers_are_written_exactly_as_client_golang_writes_them() {
    let values = values();
    let reference = go_reference(&values);
    assert_eq!(reference.len(), values.len(), "one Go line per value");
    let mut mismatches = Vec::new();
    let mut buf = Vec::new();
    for (value, (go_text, go_om)) in values.iter().zip(&reference) {
        buf.clear();
        srekit::expfmt::write_float(&mut buf, *value);
        let ours = std::str::from_utf8(&buf).unwrap().to_string();
        buf.clear();
        srekit::expfmt::write_openmetrics_float(&mut buf, *value);
        let ours_om = std::str::from_utf8(&buf).unwrap();
        if &ours != go_text || ours_om != go_om {
            mismatches.push(format!(
                "{:016x}: {ours} / {ours_om} (ours) vs {go_text} / {go_om} (Go)",
                value.to_bits()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        values.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}
