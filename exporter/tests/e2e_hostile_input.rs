//! Hostile input the exporter must survive with bounded memory and valid output (issue 17 §2, §4):
//! a flood of 2,000 distinct 100 KB label values from logs (skipped by the rule's label length
//! limit), a 136 MB textfile (skipped on its size before reading), and textfile families forging the
//! exporter's own, a host collector's or a log rule's name, also once escaped (dropped; promtool
//! still passes). Peak
//! resident memory stays under 64 MB and returns to within 2x of idle.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

#[path = "../../tests/support/support.rs"]
mod support;

use std::io::Write;
use std::time::Duration;

use common::*;

/// The value of the first sample line starting with `prefix` in a scrape.
fn sample(port: u16, prefix: &str) -> Option<f64> {
    let text = http_get(port, "/metrics", &[]).ok()?.text();
    text.lines().find(|l| l.starts_with(prefix))?.rsplit(' ').next()?.parse().ok()
}

/// `VmHWM` (peak) or `VmRSS` (current) of a process, in MB.
fn memory_mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    let kb: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb / 1024.0
}

const BOUND_MB: f64 = 64.0;

/// The exporter over `root`: logs/ (the three rules below) and textfile/ (with `files` written first),
/// host collectors loadavg and textfile only.
fn start(root: &std::path::Path, files: &[(&str, &str)]) -> (Process, u16) {
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::create_dir_all(root.join("textfile")).unwrap();
    for (name, text) in files {
        std::fs::write(root.join("textfile").join(name), text).unwrap();
    }
    let config = format!(
        "[[inputs]]\nname = \"app\"\npaths = [\"{logs}/*.log\"]\nformat = \"logfmt\"\nread_from_head = true\n\n[[metrics]]\nname = \"app_by_blob_total\"\nhelp = \"By blob.\"\nkind = \"counter\"\nlabels = [\"blob\"]\n\n[[metrics]]\nname = \"app_lines_total\"\nhelp = \"Lines.\"\nkind = \"counter\"\n\n[[metrics]]\nname = \"app.dotted_total\"\nhelp = \"Lines, under a UTF-8 name.\"\nkind = \"counter\"\n",
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();
    start_exporter(&[
        &format!("--config.file={}", root.join("srekit.toml").display()),
        &format!("--collector.textfile.directory={}", root.join("textfile").display()),
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--collector.textfile",
    ])
}

#[test]
fn a_label_flood_and_a_136_mb_textfile_keep_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (exporter, port) = start(root, &[("ok.prom", "app_textfile_ok 1\n")]);
    let pid = exporter.child.id();
    for _ in 0..5 {
        assert_eq!(sample(port, "node_textfile_scrape_error"), Some(0.0));
    }
    let idle = memory_mb(pid, "VmRSS:");

    // 2,000 distinct 100 KB values of the `blob` label.
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(root.join("logs/flood.log")).unwrap());
        let blob = vec![b'x'; 100_000];
        for n in 0..2_000 {
            write!(file, "blob={n:05}").unwrap();
            file.write_all(&blob).unwrap();
            file.write_all(b"\n").unwrap();
        }
    }
    // A 136 MB textfile, over the 64 MiB default cap.
    {
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(root.join("textfile/huge.prom")).unwrap());
        let mut written = 0usize;
        let mut n = 0u64;
        while written < 136_000_000 {
            let line = format!("app_huge{{n=\"{n:020}\",pad=\"{}\"}} 1\n", "p".repeat(60));
            file.write_all(line.as_bytes()).unwrap();
            written += line.len();
            n += 1;
        }
    }
    wait_until(Duration::from_secs(120), || sample(port, "app_lines_total ") == Some(2_000.0)).unwrap();
    for _ in 0..5 {
        let text = http_get(port, "/metrics", &[]).unwrap().text();
        assert!(text.contains("node_textfile_scrape_error 1\n"));
        assert!(text.contains("app_textfile_ok 1\n") && !text.contains("app_huge"));
    }
    assert_eq!(
        sample(
            port,
            "srekit_log_records_skipped_total{metric=\"app_by_blob_total\",reason=\"label_too_long\"}"
        ),
        Some(2_000.0)
    );
    let text = http_get(port, "/metrics", &[]).unwrap().text();
    assert!(!text.lines().any(|l| l.starts_with("app_by_blob_total{")));

    let peak = memory_mb(pid, "VmHWM:");
    let after = memory_mb(pid, "VmRSS:");
    eprintln!("idle {idle:.1} MB, peak {peak:.1} MB, after {after:.1} MB");
    assert!(peak <= BOUND_MB, "peak resident memory {peak:.1} MB, bound {BOUND_MB} MB");
    assert!(after <= 2.0 * idle, "resident memory after {after:.1} MB, idle {idle:.1} MB");
}

#[test]
fn textfile_families_cannot_forge_the_exporters_host_or_rule_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let forged = "srekit_exporter_build_info{version=\"evil\"} 1\nnode_load1 999\napp_lines_total 5\nsrekit_exporter_http_requests_total{handler=\"x\",code=\"200\"} 1\napp_fine 2\napp_dotted_total 5\n";
    let utf8 = "{\"http.server.duration\"} 1\n";
    let (_exporter, port) = start(root, &[("forged.prom", forged), ("utf8.prom", utf8)]);
    let body = http_get(port, "/metrics", &[]).unwrap().body;
    let text = String::from_utf8(body.clone()).unwrap();
    // app_dotted_total: the rule app.dotted_total as a scraper without UTF-8 names sees it.
    for family in [
        "srekit_exporter_build_info",
        "node_load1",
        "app_lines_total",
        "srekit_exporter_http_requests_total",
        "app_dotted_total",
    ] {
        let types = text.lines().filter(|l| l.starts_with(&format!("# TYPE {family} "))).count();
        assert_eq!(types, 1, "{family} once:\n{text}");
    }
    assert!(!text.contains("evil") && !text.contains("node_load1 999") && !text.contains("http.server"));
    assert!(!text.contains("app_dotted_total 5"), "{text}");
    assert!(text.contains("app_fine 2\n") && text.contains("node_textfile_scrape_error 1\n"));
    support::assert_promtool(&body, support::Lint::Host);
}
