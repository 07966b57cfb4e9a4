//! The pipeline's checkpoint (offsets + rule state in one file): counts survive restarts and crashes
//! exactly, a changed rule starts afresh, version-1 checkpoints still load, and a corrupt checkpoint
//! (truncated, garbage, unknown version) is moved aside and reported while the inputs start by their
//! start policy.

use std::io::Write;
use std::path::{Path, PathBuf};

use srekit::expfmt::Format;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::{Pipeline, PipelineError};

const RULES: &str = "[[metrics]]\nname = \"hits_total\"\nkind = \"counter\"\nlabels = [\"code\"]\n\
    [[metrics]]\nname = \"latency_seconds\"\nkind = \"histogram\"\nvalue = \"ms\"\nscale = 0.001\nbuckets = [0.01, 0.1]\n\
    [[metrics]]\nname = \"last_ms\"\nkind = \"gauge\"\nvalue = \"ms\"\n";

fn config(dir: &Path, read_from_head: bool, rules: &str) -> PipelineConfig {
    toml::from_str(&format!(
        "[state]\ndirectory = \"{dir}/state\"\n[[inputs]]\nname = \"app\"\npaths = [\"{dir}/app.log\"]\nread_from_head = {read_from_head}\n{rules}",
        dir = dir.display()
    ))
    .expect("config")
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("open");
    file.write_all(text.as_bytes()).expect("write");
}

/// The value of the sample whose line starts with `series ` (0 when absent).
fn value(pipeline: &Pipeline, series: &str) -> f64 {
    let text = pipeline.metrics().encode_to_string(Format::Text);
    let prefix = format!("{series} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok()).unwrap_or(0.0)
}

fn lines(from: u64, to: u64) -> String {
    (from..to).map(|n| format!("n={n} code={} ms={}\n", 200 + n % 2, n % 150)).collect()
}

/// A temporary directory with `app.log` holding lines `0..count`.
fn with_lines(count: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    append(&log, &lines(0, count));
    (dir, log)
}

fn state_file(dir: &Path) -> PathBuf {
    dir.join("state/checkpoint.json")
}

/// The files in the state directory whose names contain `.corrupt-`.
fn moved_aside(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("state"))
        .expect("state dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".corrupt-"))
        .collect()
}

#[test]
fn counts_survive_a_crash_between_checkpoints_exactly() {
    let (dir, log) = with_lines(100);
    let mut first = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    first.poll();
    first.store_checkpoints().expect("store");
    append(&log, &lines(100, 140));
    first.poll();
    assert_eq!(value(&first, "srekit_log_lines_total{input=\"app\"}"), 140.0);
    drop(first); // a crash: the 40 lines after the checkpoint were counted but not checkpointed

    append(&log, &lines(140, 150));
    let mut second = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    let summary = second.poll();
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    assert_eq!(value(&second, "hits_total{code=\"200\"}"), 75.0);
    assert_eq!(value(&second, "hits_total{code=\"201\"}"), 75.0);
    assert_eq!(value(&second, "latency_seconds_count"), 150.0);
    let expected_fast = (0..150).filter(|n| n % 150 <= 10).count() as f64;
    assert_eq!(value(&second, "latency_seconds_bucket{le=\"0.01\"}"), expected_fast);
    let expected_sum: u64 = (0..150).map(|n| n % 150).sum();
    assert!((value(&second, "latency_seconds_sum") - expected_sum as f64 * 0.001).abs() < 1e-9);
    assert_eq!(value(&second, "last_ms"), 149.0);
    assert_eq!(value(&second, "srekit_log_lines_total{input=\"app\"}"), 150.0);
    assert_eq!(value(&second, "srekit_log_bytes_total{input=\"app\"}"), lines(0, 150).len() as f64);
    second.shutdown().expect("shutdown");

    let mut third = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    third.poll();
    assert_eq!(value(&third, "latency_seconds_count"), 150.0, "a clean restart neither repeats nor resets");
}

#[test]
fn a_changed_rule_starts_from_zero_and_says_so_while_the_others_keep_their_counts() {
    let (dir, _log) = with_lines(10);
    let mut first = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    first.poll();
    first.shutdown().expect("shutdown");

    let changed = RULES.replace("buckets = [0.01, 0.1]", "buckets = [0.05, 0.5]");
    let mut second = Pipeline::new(&config(dir.path(), true, &changed)).expect("pipeline");
    let summary = second.poll();
    let messages: Vec<String> = summary.errors.iter().map(ToString::to_string).collect();
    assert_eq!(messages, ["rule \"latency_seconds\": saved state discarded: its definition changed"]);
    assert!(matches!(summary.errors[0], PipelineError::StateDiscarded(_)));
    assert_eq!(value(&second, "latency_seconds_count"), 0.0, "never restored into another shape");
    assert_eq!(value(&second, "hits_total{code=\"200\"}"), 5.0);
    second.shutdown().expect("shutdown");

    let renamed_label = changed.replace("labels = [\"code\"]", "labels = { status = \"code\" }");
    let mut third = Pipeline::new(&config(dir.path(), true, &renamed_label)).expect("pipeline");
    let summary = third.poll();
    assert_eq!(summary.errors.len(), 1, "{:?}", summary.errors);
    assert!(summary.errors[0].to_string().contains("\"hits_total\""));
    assert_eq!(value(&third, "hits_total{status=\"200\"}"), 0.0);
}

#[test]
fn a_version_1_checkpoint_still_loads_and_is_replaced_by_the_state_file() {
    let (dir, log) = with_lines(10);
    // What version 1 wrote: one file per input, offsets only.
    let mut first = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    first.poll();
    first.shutdown().expect("shutdown");
    let state = srekit::logs::pipeline_state::PipelineState::load(&state_file(dir.path()))
        .expect("valid")
        .expect("exists");
    let v1 = srekit::logs::tail::Checkpoint {
        version: 1,
        input: "app".into(),
        files: state.inputs[0].files.clone(),
    };
    std::fs::remove_file(state_file(dir.path())).expect("remove");
    let legacy = dir.path().join("state/tail-app.json");
    std::fs::write(&legacy, serde_json::to_vec_pretty(&v1).expect("json")).expect("write v1");

    append(&log, &lines(10, 13));
    let mut second = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    let summary = second.poll();
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    assert_eq!(value(&second, "srekit_log_lines_total{input=\"app\"}"), 3.0, "resumed at the v1 offset");
    second.store_checkpoints().expect("store");
    assert!(state_file(dir.path()).exists());
    assert!(!legacy.exists(), "the v1 file is superseded");
}

/// Writes `contents` as the checkpoint, starts the pipeline and checks the corruption is handled.
fn check_corrupt(file: &str, contents: &[u8], read_from_head: bool) {
    let (dir, log) = with_lines(10);
    std::fs::create_dir_all(dir.path().join("state")).expect("mkdir");
    std::fs::write(dir.path().join("state").join(file), contents).expect("write");
    let mut pipeline = Pipeline::new(&config(dir.path(), read_from_head, RULES)).expect("not fatal");
    let summary = pipeline.poll();
    assert_eq!(summary.errors.len(), 1, "{file}: {:?}", summary.errors);
    let message = summary.errors[0].to_string();
    assert!(matches!(summary.errors[0], PipelineError::CorruptCheckpoint { .. }), "{message}");
    assert!(message.starts_with("corrupt checkpoint "), "{message}");
    assert!(
        message.contains(&format!("moved to {}", dir.path().join("state").join(file).display())),
        "{message}"
    );
    assert_eq!(moved_aside(dir.path()).len(), 1);
    assert!(!dir.path().join("state").join(file).exists());
    // The input starts by its start policy: from the head, or at the end.
    let want = if read_from_head { 10.0 } else { 0.0 };
    assert_eq!(value(&pipeline, "srekit_log_lines_total{input=\"app\"}"), want, "{file}: {message}");
    append(&log, &lines(10, 12));
    pipeline.poll();
    assert_eq!(value(&pipeline, "srekit_log_lines_total{input=\"app\"}"), want + 2.0);
    pipeline.store_checkpoints().expect("a fresh checkpoint is written");
    assert!(state_file(dir.path()).exists());
}

#[test]
fn a_corrupt_checkpoint_is_moved_aside_and_the_input_restarts_by_its_start_policy() {
    let good = br#"{"version":2,"inputs":[{"input":"app","files":[]}],"rules":[]}"#;
    check_corrupt("checkpoint.json", &good[..good.len() / 2], true); // truncated
    check_corrupt("checkpoint.json", b"\x00\xffgarbage", false);
    check_corrupt("checkpoint.json", br#"{"version":3,"inputs":[],"rules":[]}"#, true);
    check_corrupt("checkpoint.json", br#"{"version":1,"inputs":[],"rules":[]}"#, false);
    check_corrupt("checkpoint.json", b"", true);
    // Version-1 per-input files too.
    check_corrupt("tail-app.json", br#"{"version":1,"input":"app","files":[{"path":"#, true);
    check_corrupt("tail-app.json", br#"{"version":0,"input":"app","files":[]}"#, false);
}

#[test]
fn a_checkpoint_that_cannot_be_read_is_an_error_and_is_left_in_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(state_file(dir.path())).expect("a directory where the file should be");
    let err = Pipeline::new(&config(dir.path(), true, RULES)).expect_err("not a corrupt file: an I/O error");
    assert!(matches!(err, PipelineError::Checkpoint { .. }), "{err}");
    assert!(state_file(dir.path()).is_dir());
}

#[test]
fn an_unchanged_checkpoint_is_not_written_again() {
    use std::os::unix::fs::MetadataExt;
    let (dir, log) = with_lines(10);
    let mut pipeline = Pipeline::new(&config(dir.path(), true, RULES)).expect("pipeline");
    pipeline.poll();
    pipeline.store_checkpoints().expect("store");
    let inode = || std::fs::metadata(state_file(dir.path())).expect("stat").ino();
    let first = inode();
    pipeline.poll();
    pipeline.store_checkpoints().expect("store");
    assert_eq!(inode(), first, "nothing moved: not replaced");
    append(&log, "n=10 code=200 ms=1\n");
    pipeline.poll();
    pipeline.store_checkpoints().expect("store");
    assert_ne!(inode(), first, "a line was counted: replaced");
    let text = std::fs::read_to_string(state_file(dir.path())).expect("read");
    assert!(!text.contains('\n'), "compact JSON");
}

#[test]
fn a_spawned_pipeline_writes_its_checkpoints_in_the_background_and_at_shutdown() {
    let (dir, log) = with_lines(10);
    let handle = Pipeline::new(&config(dir.path(), true, RULES))
        .expect("pipeline")
        .spawn(|e| panic!("{e}"))
        .expect("spawn");
    let stored_lines = || {
        srekit::logs::pipeline_state::PipelineState::load(&state_file(dir.path()))
            .ok()
            .flatten()
            .map_or(0, |state| state.inputs[0].lines)
    };
    let started = std::time::Instant::now();
    while stored_lines() != 10 {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "no checkpoint while running");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    append(&log, &lines(10, 12));
    handle.shutdown().expect("shutdown");
    assert_eq!(stored_lines(), 12, "the last checkpoint is the one written at shutdown");
}
