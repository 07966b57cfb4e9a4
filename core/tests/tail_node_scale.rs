//! At node scale: more files than `max_open_files` are read in turn (none starved, none counted twice,
//! all in the checkpoint, a gauge and a warning say how many wait), and a spawned pipeline wakes on
//! inotify: a new line is counted within a second though the idle poll interval is much longer, also
//! when the file is reached through a symlink into another directory (kubelet's layout).
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use srekit::expfmt::Format;
use srekit::logs::pipeline::{Pipeline, PipelineError, PipelineMetrics};
use srekit::logs::tail::{TailEvent, TailOptions, Tailer};

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).create(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn config(glob: &str, state: &Path, max_open_files: usize) -> srekit::logs::config::PipelineConfig {
    toml::from_str(&format!(
        r#"
        [state]
        directory = "{state}"

        [[inputs]]
        name = "node"
        paths = ["{glob}"]
        format = "logfmt"
        read_from_head = true
        max_open_files = {max_open_files}

        [[metrics]]
        name = "events_total"
        kind = "counter"
        labels = {{ file = "file" }}
        "#,
        state = state.display()
    ))
    .unwrap()
}

/// The value of the sample whose name and labels start `prefix` (e.g. `srekit_log_files_waiting{`).
fn sample(metrics: &PipelineMetrics, prefix: &str) -> Option<f64> {
    let text = metrics.encode_to_string(Format::Text);
    text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

#[test]
fn files_beyond_max_open_files_are_read_in_turn_and_none_is_starved() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for i in 0..24 {
        append(&logs.join(format!("{i:02}.log")), &format!("file={i:02} n=0\n"));
    }
    let glob = format!("{}/*.log", logs.display());
    let state = dir.path().join("state");
    let mut pipeline = Pipeline::new(&config(&glob, &state, 8)).unwrap();
    pipeline.set_poll_interval(Duration::from_millis(20));
    let mut warnings = Vec::new();
    for _ in 0..4 {
        let summary = pipeline.poll();
        for error in summary.errors {
            assert!(
                matches!(error, PipelineError::FilesWaiting { waiting: 16, max_open_files: 8, .. }),
                "{error}"
            );
            warnings.push(error.to_string());
        }
    }
    assert_eq!(warnings.len(), 1, "reported once, not at every poll: {warnings:?}");
    assert!(warnings[0].contains("16 files wait"), "{}", warnings[0]);
    let metrics = pipeline.metrics();
    assert_eq!(sample(&metrics, "srekit_log_lines_total{input=\"node\"}"), Some(24.0));
    assert_eq!(sample(&metrics, "srekit_log_files_open{input=\"node\"}"), Some(8.0));
    assert_eq!(sample(&metrics, "srekit_log_files_waiting{input=\"node\"}"), Some(16.0));

    // Running: a line appended to the last file (never among the first 8 opened) is counted.
    let handle = pipeline.spawn(|_| {}).unwrap();
    let metrics = handle.metrics();
    append(&logs.join("23.log"), "file=23 n=1\n");
    let last = "events_total{file=\"23\"}";
    wait_for("the last file's new line", Duration::from_secs(5), || sample(&metrics, last) == Some(2.0));
    // Every file written at once: each gets its turn, each line counted once.
    for i in 0..24 {
        append(&logs.join(format!("{i:02}.log")), &format!("file={i:02} n=2\n"));
    }
    wait_for("a line in every file", Duration::from_secs(5), || {
        sample(&metrics, "srekit_log_lines_total{input=\"node\"}") == Some(49.0)
    });
    assert_eq!(sample(&metrics, last), Some(3.0));
    assert_eq!(sample(&metrics, "events_total{file=\"00\"}"), Some(2.0));
    assert_eq!(sample(&metrics, "srekit_log_files_open{input=\"node\"}"), Some(8.0));
    assert_eq!(sample(&metrics, "srekit_log_files_waiting{input=\"node\"}"), Some(16.0));
    handle.shutdown().unwrap();

    // The closed files are in the checkpoint: a restart repeats nothing and misses nothing.
    let text = std::fs::read_to_string(state.join("checkpoint.json")).unwrap();
    assert_eq!(text.matches("\"offset\"").count(), 24, "{text}");
    append(&logs.join("17.log"), "file=17 n=3\n");
    let mut pipeline = Pipeline::new(&config(&glob, &state, 8)).unwrap();
    for _ in 0..4 {
        pipeline.poll();
    }
    let metrics = pipeline.metrics();
    assert_eq!(sample(&metrics, "srekit_log_lines_total{input=\"node\"}"), Some(50.0));
    assert_eq!(sample(&metrics, "events_total{file=\"17\"}"), Some(3.0));
}

#[test]
fn a_parked_file_renamed_away_is_finished_and_its_successor_read() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.log", "b.log"] {
        append(&dir.path().join(name), "x=1\n");
    }
    let mut options = TailOptions::new("t", vec![format!("{}/*.log", dir.path().display())]);
    options.read_from_head = true;
    options.max_open_files = 1;
    options.rotate_wait = Duration::ZERO;
    let mut tailer = Tailer::new(options, None).unwrap();
    let mut lines = Vec::new();
    let poll = |tailer: &mut Tailer, lines: &mut Vec<String>| {
        tailer.poll(|e| {
            if let TailEvent::Line(l) = e {
                lines.push(String::from_utf8(l.to_vec()).unwrap())
            }
        })
    };
    for _ in 0..3 {
        poll(&mut tailer, &mut lines);
    }
    assert_eq!(lines.len(), 2);
    assert_eq!(tailer.waiting_files(), 1);
    // Whichever file is parked: written, renamed away, replaced.
    let parked = tailer
        .checkpoint()
        .files
        .iter()
        .map(|f| f.path.clone())
        .find(|p| !tailer.open_files().contains(&p.as_path()));
    let parked = parked.unwrap();
    append(&parked, "late=1\n");
    std::fs::rename(&parked, dir.path().join("rotated.1")).unwrap();
    append(&parked, "new=1\n");
    for _ in 0..4 {
        poll(&mut tailer, &mut lines);
    }
    lines.sort();
    assert_eq!(lines, ["late=1", "new=1", "x=1", "x=1"]);
}

#[test]
fn a_spawned_pipeline_wakes_on_inotify_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    // kubelet's layout: the matched path is a symlink into another directory, written there.
    let containers = dir.path().join("containers");
    let pod = dir.path().join("pods/ns_pod_uid/app");
    std::fs::create_dir_all(&containers).unwrap();
    std::fs::create_dir_all(&pod).unwrap();
    append(&pod.join("0.log"), "file=app\n");
    std::os::unix::fs::symlink(pod.join("0.log"), containers.join("pod_ns_app-1.log")).unwrap();
    let glob = format!("{}/*.log", containers.display());
    let mut pipeline = Pipeline::new(&config(&glob, &dir.path().join("state"), 1024)).unwrap();
    pipeline.set_poll_interval(Duration::from_millis(50));
    // Without a wake-up, the next poll would be a minute away.
    pipeline.set_idle_poll_interval(Duration::from_secs(60));
    let handle = pipeline.spawn(|e| panic!("{e}")).unwrap();
    let metrics = handle.metrics();
    let lines = "srekit_log_lines_total{input=\"node\"}";
    wait_for("the first line", Duration::from_secs(5), || sample(&metrics, lines) == Some(1.0));
    let watched = sample(&metrics, "srekit_log_watched_directories").unwrap();
    assert!(watched >= 2.0, "the pattern's directory and the symlink target's: {watched}");
    std::thread::sleep(Duration::from_millis(300)); // idle: waiting on inotify
    append(&pod.join("0.log"), "file=app\n");
    let took = wait_for("a new line", Duration::from_secs(1), || sample(&metrics, lines) == Some(2.0));
    // A new file in the watched directory is found as quickly.
    std::thread::sleep(Duration::from_millis(300));
    append(&containers.join("other.log"), "file=other\n");
    wait_for("a new file's line", Duration::from_secs(1), || sample(&metrics, lines) == Some(3.0));
    handle.shutdown().unwrap();
    eprintln!("new line counted after {took:?}");
}

#[test]
fn a_partial_cri_line_survives_its_file_waiting_for_a_turn() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    append(&a, "2024-05-01T10:00:00.000000001Z stdout P file=a part=\n");
    append(&b, "2024-05-01T10:00:00.000000001Z stdout F file=b\n");
    let glob = format!("{}/*.log", dir.path().display());
    let mut config = config(&glob, &dir.path().join("state"), 1);
    config.inputs[0].parser.container = Some("cri".into());
    let mut pipeline = Pipeline::new(&config).unwrap();
    let metrics = pipeline.metrics();
    for n in 0..6 {
        // Both files have news at every poll, so each gives its slot up in turn.
        append(&b, &format!("2024-05-01T10:00:00.000000001Z stdout F file=b n={n}\n"));
        pipeline.poll();
    }
    append(&a, "2024-05-01T10:00:00.000000001Z stdout F one\n");
    for _ in 0..4 {
        append(&b, "2024-05-01T10:00:00.000000001Z stdout F file=b\n");
        pipeline.poll();
    }
    assert_eq!(sample(&metrics, "events_total{file=\"a\"}"), Some(1.0), "P + F joined: one record");
    assert_eq!(sample(&metrics, "events_total{file=\"b\"}"), Some(11.0));
    assert_eq!(sample(&metrics, "srekit_log_parse_errors_total{input=\"node\"}"), Some(0.0));
}
