//! Log-derived counts across crashes and bad state: the exporter is killed with SIGKILL at 20 random
//! moments (during startup, while reading a backlog, between checkpoints) while a writer appends lines,
//! and restarted each time; in the end every count equals the lines written, and no restart exposed a
//! value below the checkpoint it restored (no reset). A corrupt checkpoint is moved aside, counted in
//! `srekit_log_errors_total{kind="checkpoint_corrupt"}` and logged, and host metrics stay up.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use srekit::logs::pipeline_state::PipelineState;

fn write_config(root: &Path) -> std::path::PathBuf {
    let config = format!(
        "[state]\ndirectory = \"{state}\"\n\n[[inputs]]\nname = \"app\"\npaths = [\"{logs}/*.log\"]\nread_from_head = true\n\n\
         [[metrics]]\nname = \"app_events_total\"\nhelp = \"Events.\"\nkind = \"counter\"\nlabels = [\"kind\"]\n\n\
         [[metrics]]\nname = \"app_latency_seconds\"\nhelp = \"Latency.\"\nkind = \"histogram\"\nvalue = \"ms\"\nscale = 0.001\nbuckets = [0.005, 0.05]\n",
        state = root.join("state").display(),
        logs = root.join("logs").display()
    );
    std::fs::write(root.join("srekit.toml"), config).unwrap();
    root.join("srekit.toml")
}

/// Starts the exporter with its log (stderr) appended to `root/exporter.log`; does not wait.
fn spawn(root: &Path) -> (Process, u16) {
    let port = free_port();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(root.join("exporter.log")).unwrap();
    let child = std::process::Command::new(exporter_binary())
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--config.file={}", root.join("srekit.toml").display()))
        .args(["--collector.disable-defaults", "--collector.loadavg"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    (Process { child, name: "srekit-exporter" }, port)
}

fn healthy(port: u16) -> bool {
    http_get(port, "/healthz", &[]).map(|r| r.status == 200).unwrap_or(false)
}

/// The sum of the samples whose line starts with `prefix`; None when the scrape fails.
fn total(port: u16, prefix: &str) -> Option<f64> {
    let response = http_get(port, "/metrics", &[]).ok().filter(|r| r.status == 200)?;
    let text = response.text();
    Some(
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum(),
    )
}

/// xorshift64*: enough randomness for kill times, reproducible from the printed seed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn sigkill_at_20_random_moments_while_writing_counts_every_line_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    write_config(&root);
    let seed = std::env::var("SREKIT_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("kill seed {seed} (SREKIT_KILL_SEED={seed} repeats it)");
    let mut random = Random(seed);

    // The writer: batches of 100 lines every 10 ms (about 10,000 lines/s) until told to stop.
    let written = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (written, stop, path) = (written.clone(), stop.clone(), root.join("logs/app.log"));
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let batch: String = (n..n + 100)
                    .map(|i| format!("kind={} ms={} seq={i}\n", ["a", "b", "c"][(i % 3) as usize], i % 100))
                    .collect();
                file.write_all(batch.as_bytes()).unwrap();
                n += 100;
                written.store(n, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };

    let state_file = root.join("state/checkpoint.json");
    for round in 0..20 {
        let restored = PipelineState::load(&state_file).unwrap().map_or(0.0, |state| {
            state
                .rules
                .iter()
                .filter(|r| r.name == "app_events_total")
                .flat_map(|r| &r.series)
                .filter_map(|s| s.value)
                .sum()
        });
        let (mut exporter, port) = spawn(&root);
        let during_startup = random.below(4) == 0;
        if during_startup {
            std::thread::sleep(Duration::from_millis(random.below(300)));
        } else {
            wait_until(Duration::from_secs(30), || healthy(port)).unwrap();
            let first = total(port, "app_events_total{").unwrap();
            assert!(
                first >= restored,
                "round {round}: exposed {first} below the restored checkpoint {restored}"
            );
            std::thread::sleep(Duration::from_millis(100 + random.below(1900)));
        }
        exporter.child.kill().unwrap();
        exporter.child.wait().unwrap();
        let text = std::fs::read(&state_file).unwrap_or_default();
        assert!(
            text.is_empty() || PipelineState::from_slice(&text).is_ok(),
            "round {round}: the checkpoint left by SIGKILL is valid"
        );
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let lines = written.load(Ordering::Relaxed);

    let (_exporter, port) = spawn(&root);
    wait_until(Duration::from_secs(30), || healthy(port)).unwrap();
    let started = Instant::now();
    let result = wait_until(Duration::from_secs(120), || {
        total(port, "srekit_log_lines_total{").is_some_and(|n| n >= lines as f64)
    });
    let events = total(port, "app_events_total{").unwrap();
    let observed = total(port, "app_latency_seconds_count").unwrap();
    let read = total(port, "srekit_log_lines_total{").unwrap();
    result.unwrap_or_else(|e| panic!("{e}: read {read} of {lines} lines"));
    std::thread::sleep(Duration::from_millis(600)); // anything counted twice would show up by now
    eprintln!("{lines} lines written, caught up {:?} after the last start", started.elapsed());
    assert_eq!(total(port, "srekit_log_lines_total{").unwrap(), lines as f64, "seed {seed}");
    assert_eq!(events, lines as f64, "seed {seed}: every line counted exactly once");
    assert_eq!(total(port, "app_events_total{").unwrap(), lines as f64, "seed {seed}");
    assert_eq!(observed, lines as f64, "seed {seed}: histogram count");
    assert_eq!(total(port, "app_events_total{kind=\"a\"}").unwrap(), lines.div_ceil(3) as f64);
    let fast = (0..lines).filter(|i| i % 100 <= 5).count() as f64;
    assert_eq!(total(port, "app_latency_seconds_bucket{le=\"0.005\"}").unwrap(), fast, "seed {seed}");
}

#[test]
fn a_corrupt_checkpoint_is_moved_aside_counted_and_logged_and_host_metrics_stay_up() {
    for (case, contents) in [
        ("truncated", &br#"{"version":2,"inputs":[{"input":"app","fi"#[..]),
        ("garbage", &b"\x7fELF\x00\x01garbage"[..]),
        ("wrong version", &br#"{"version":99,"inputs":[],"rules":[]}"#[..]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::create_dir_all(root.join("state")).unwrap();
        std::fs::write(root.join("logs/app.log"), "kind=old ms=1\n").unwrap();
        std::fs::write(root.join("state/checkpoint.json"), contents).unwrap();
        write_config(root);
        let (_exporter, port) = spawn(root);
        wait_until(Duration::from_secs(30), || healthy(port)).unwrap_or_else(|e| {
            panic!("{case}: {e}: {}", std::fs::read_to_string(root.join("exporter.log")).unwrap_or_default())
        });
        wait_until(Duration::from_secs(20), || {
            total(port, "srekit_log_errors_total{kind=\"checkpoint_corrupt\"}") == Some(1.0)
        })
        .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(total(port, "node_load1").is_some_and(|v| v >= 0.0), "{case}: host metrics are served");
        let body = http_get(port, "/metrics", &[]).unwrap().text();
        assert!(body.contains("node_load1 "), "{case}");
        // read_from_head = true: the input starts from the head of its file.
        wait_until(Duration::from_secs(20), || total(port, "app_events_total{kind=\"old\"}") == Some(1.0))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let aside: Vec<String> = std::fs::read_dir(root.join("state"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("checkpoint.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{case}: moved aside: {aside:?}");
        assert_eq!(
            std::fs::read(root.join("state").join(&aside[0])).unwrap(),
            contents,
            "{case}: kept as found"
        );
        let log = std::fs::read_to_string(root.join("exporter.log")).unwrap();
        assert!(
            log.lines().any(|l| l.contains("level=warn")
                && l.contains("corrupt checkpoint")
                && l.contains(&aside[0])),
            "{case}: a warning names the file: {log}"
        );
        assert!(!log.contains("--config.file"), "{case}: not reported as a config error: {log}");
        wait_until(Duration::from_secs(20), || {
            PipelineState::load(&root.join("state/checkpoint.json")).is_ok_and(|s| s.is_some())
        })
        .unwrap_or_else(|e| panic!("{case}: a fresh checkpoint is written: {e}"));
    }
}
