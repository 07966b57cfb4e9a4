//! A real crash: a child process runs the pipeline (checkpoint every second) and is killed with SIGKILL
//! at an arbitrary moment; the restarted pipeline must resume from a valid checkpoint at a line
//! boundary with the counts it had at that checkpoint, so every line is counted exactly once.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use srekit::expfmt::Format;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::Pipeline;
use srekit::logs::pipeline_state::PipelineState;

const CHILD_ENV: &str = "SREKIT_TAIL_KILL_CHILD_DIR";

fn config(dir: &Path) -> PipelineConfig {
    toml::from_str(&format!(
        "[state]\ndirectory = \"{dir}/state\"\n[[inputs]]\nname = \"app\"\npaths = [\"{dir}/app.log\"]\nread_from_head = true\n\
         [[metrics]]\nname = \"lines_total\"\nkind = \"counter\"\n",
        dir = dir.display()
    ))
    .expect("config")
}

fn counted(pipeline: &Pipeline) -> u64 {
    let text = pipeline.metrics().encode_to_string(Format::Text);
    text.lines().find_map(|l| l.strip_prefix("lines_total ")?.parse().ok()).unwrap_or(0)
}

fn append_lines(path: &Path, from: u64, to: u64) {
    let text: String = (from..to).map(|n| format!("n={n} msg=\"some log line\"\n")).collect();
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open")
        .write_all(text.as_bytes())
        .expect("write");
}

/// The child: polls forever, printing its count after every poll.
fn child(dir: &Path) {
    let mut pipeline = Pipeline::new(&config(dir)).expect("pipeline");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        pipeline.poll();
        println!("counted {}", counted(&pipeline));
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killed_between_checkpoints_resumes_without_skipping() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    append_lines(&log, 0, 5000);
    let mut process = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "killed_between_checkpoints_resumes_without_skipping",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut reports = BufReader::new(process.stdout.take().expect("stdout")).lines();
    let mut wait_for = |want: u64| loop {
        let line = reports.next().expect("child still reporting").expect("read");
        if line.strip_prefix("counted ").and_then(|n| n.parse::<u64>().ok()) == Some(want) {
            return;
        }
    };
    wait_for(5000);
    std::thread::sleep(Duration::from_millis(1100)); // at least one checkpoint with all 5000
    append_lines(&log, 5000, 8000);
    wait_for(8000);
    std::thread::sleep(Duration::from_millis(350)); // somewhere between two checkpoints
    process.kill().expect("SIGKILL");
    process.wait().expect("reaped");

    let state =
        PipelineState::load(&dir.path().join("state/checkpoint.json")).expect("valid").expect("exists");
    let offset = state.inputs[0].files[0].offset as usize;
    let content = std::fs::read(&log).expect("read log");
    assert!(offset <= content.len());
    assert!(offset == 0 || content[offset - 1] == b'\n', "the checkpoint is at a line boundary");
    let lines_before_offset = content[..offset].iter().filter(|b| **b == b'\n').count() as u64;
    assert!(lines_before_offset >= 5000, "the checkpoint taken after the first 5000 lines was kept");
    assert_eq!(state.inputs[0].lines, lines_before_offset, "the counts stored are those of the offsets");
    assert_eq!(state.rules[0].series[0].value, Some(lines_before_offset as f64));

    append_lines(&log, 8000, 8100);
    let mut restarted = Pipeline::new(&config(dir.path())).expect("pipeline");
    restarted.poll();
    // The restart goes on from the checkpoint's counts and reads everything after its offsets: every
    // line counted exactly once, and the counter did not reset.
    assert_eq!(counted(&restarted), 8100);
    restarted.shutdown().expect("shutdown");
    let mut again = Pipeline::new(&config(dir.path())).expect("pipeline");
    again.poll();
    assert_eq!(counted(&again), 8100, "after a clean shutdown nothing is repeated or lost");
}
