//! Bounded memory under hostile log input: a 100 MB line (skipped and counted, never buffered whole)
//! and a label with 200,000 distinct values (the rule's series cap holds) keep the exporter's peak
//! resident memory under 64 MB. `benches/compare/memory_bounds.sh` measures the release build with a
//! 10-million-line file as well.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;

/// The value of the first sample line starting with `prefix` in a scrape.
fn sample(port: u16, prefix: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find(|l| l.starts_with(prefix))?.rsplit(' ').next()?.parse().ok()
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

const BOUND_MB: f64 = 64.0;

#[test]
fn a_100_mb_line_and_a_series_cap_breach_keep_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    let config = format!(
        "[state]\ndirectory = \"{state}\"\n\n[[inputs]]\nname = \"app\"\npaths = [\"{logs}/*.log\"]\nformat = \"logfmt\"\nread_from_head = true\n\n[[metrics]]\nname = \"app_events_total\"\nhelp = \"Events.\"\nkind = \"counter\"\nlabels = [\"kind\"]\n\n[[metrics]]\nname = \"app_by_id_total\"\nhelp = \"Events by id.\"\nkind = \"counter\"\nlabels = [\"id\"]\nmax_series = 1000\n",
        state = root.join("state").display(),
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();

    // The huge line sits between two good ones, which must both be counted.
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(root.join("logs/huge.log")).unwrap());
        file.write_all(b"kind=before id=0\n").unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\nkind=after id=0\n").unwrap();
    }
    // 200,000 distinct ids against a cap of 1,000 series.
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(root.join("logs/ids.log")).unwrap());
        for id in 0..200_000 {
            writeln!(file, "kind=id id={id}").unwrap();
        }
    }

    let (exporter, port) = start_exporter(&[
        &format!("--config.file={}", root.join("srekit.toml").display()),
        "--collector.disable-defaults",
        "--collector.loadavg",
    ]);
    // A poll adds its skipped lines after its line total: wait for every count, then check each.
    let expected = [
        ("srekit_log_lines_total{input=\"app\"}", 200_003.0),
        ("app_events_total{kind=\"before\"}", 1.0),
        ("app_events_total{kind=\"after\"}", 1.0),
        ("srekit_log_lines_skipped_total{input=\"app\",reason=\"too_long\"}", 1.0),
        ("app_events_total{kind=\"id\"}", 200_000.0),
    ];
    let _ = wait_until(Duration::from_secs(120), || {
        expected.iter().all(|(series, value)| sample(port, series) == Some(*value))
    });
    for (series, value) in expected {
        assert_eq!(sample(port, series), Some(value), "{series}");
    }
    // 1,000 series kept, the 2 lines of huge.log (id=0) fall in an existing or a new one.
    let dropped =
        sample(port, "srekit_log_series_dropped_total{metric=\"app_by_id_total\",reason=\"max_series\"}")
            .unwrap();
    assert!((198_999.0..=199_001.0).contains(&dropped), "dropped {dropped}");
    let text = http_get(port, "/metrics", &[]).unwrap().text();
    let kept = text.lines().filter(|l| l.starts_with("app_by_id_total{")).count();
    assert_eq!(kept, 1000);

    let peak = peak_rss_mb(exporter.child.id());
    eprintln!("peak resident memory: {peak:.1} MB");
    assert!(peak < BOUND_MB, "peak resident memory {peak:.1} MB, bound {BOUND_MB} MB");
}
