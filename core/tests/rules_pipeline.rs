//! The pipeline end to end: config -> tail -> parse -> rules -> exposition, built-in metrics, clean
//! restarts and crashes through the checkpoint files, the background runner's latency, and promtool on
//! the output.

#[path = "../../tests/support/support.rs"]
mod support;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use srekit::expfmt::Format;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::{Pipeline, PipelineError};

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open")
        .write_all(text.as_bytes())
        .expect("write");
}

fn config(dir: &Path, extra_rules: &str) -> PipelineConfig {
    let text = format!(
        r#"
        [state]
        directory = "{dir}/state"

        [[inputs]]
        name = "api"
        paths = ["{dir}/api*.log"]
        format = "logfmt"
        read_from_head = true
        time_key = "ts"
        max_line_length = 200
        rotate_wait = 0

        [[metrics]]
        name = "api_requests_total"
        help = "API requests by status."
        kind = "counter"
        labels = ["status"]
        exemplar = "trace_id"

        [[metrics]]
        name = "api_request_duration_seconds"
        help = "API latency."
        kind = "histogram"
        inputs = ["api"]
        value = "ms"
        scale = 0.001
        buckets = [0.1, 1]
        exemplar = "trace_id"
        {extra_rules}
        "#,
        dir = dir.display()
    );
    toml::from_str(&text).expect("config parses")
}

/// The value of the sample line starting with `series ` in a text exposition.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn lines_become_metrics_with_built_in_counters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("api.log");
    append(&log, "ts=1700000000 status=200 ms=20 trace_id=t1\nts=1700000001 status=500 ms=1200\n");
    append(&log, "this is = not logfmt \"\n");
    append(&log, &format!("status=200 blob={}\n", "x".repeat(300)));
    append(&log, "status=200 ms=fast\n");
    let mut pipeline = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    pipeline.poll();
    let text = pipeline.metrics().encode_to_string(Format::Text);
    assert_eq!(value(&text, "api_requests_total{status=\"200\"}"), Some(2.0));
    assert_eq!(value(&text, "api_requests_total{status=\"500\"}"), Some(1.0));
    assert_eq!(value(&text, "api_request_duration_seconds_count"), Some(2.0));
    assert_eq!(value(&text, "srekit_log_lines_total{input=\"api\"}"), Some(5.0));
    let bytes = std::fs::metadata(&log).expect("stat").len() as f64;
    assert_eq!(value(&text, "srekit_log_bytes_total{input=\"api\"}"), Some(bytes));
    assert_eq!(value(&text, "srekit_log_parse_errors_total{input=\"api\"}"), Some(1.0));
    assert_eq!(value(&text, "srekit_log_lines_skipped_total{input=\"api\",reason=\"too_long\"}"), Some(1.0));
    assert_eq!(
        value(
            &text,
            "srekit_log_records_skipped_total{metric=\"api_request_duration_seconds\",reason=\"value\"}"
        ),
        Some(1.0),
        "ms=fast (the over-long and the unparsable lines never reach the rules)"
    );
    let open_metrics = pipeline.metrics().encode_to_string(Format::OpenMetrics);
    // Numbers as client_golang writes OpenMetrics: floats with `.0` or an exponent, counts as integers.
    assert!(open_metrics.contains("api_requests_total{status=\"200\"} 2.0 # {trace_id=\"t1\"} 1.0 1.7e+09\n"));
    assert!(open_metrics
        .contains("api_request_duration_seconds_bucket{le=\"0.1\"} 1 # {trace_id=\"t1\"} 0.02 1.7e+09\n"));
    assert!(open_metrics.ends_with("# EOF\n"));
    srekit::expfmt::parse(&open_metrics, Format::OpenMetrics).expect("OpenMetrics output parses");
}

#[test]
fn clean_restarts_and_crashes_neither_skip_nor_repeat_and_counters_go_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("api.log");
    let lines = |from: u32, to: u32| (from..to).map(|n| format!("status=200 n={n}\n")).collect::<String>();
    let count = |pipeline: &Pipeline| {
        value(&pipeline.metrics().encode_to_string(Format::Text), "api_requests_total{status=\"200\"}")
            .unwrap_or(0.0)
    };

    append(&log, &lines(0, 100));
    let mut first = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    first.poll();
    assert_eq!(count(&first), 100.0);
    append(&log, &lines(100, 110)); // read by the final poll of shutdown
    append(&log, "status=200 n=11"); // torn: not counted, not lost
    first.shutdown().expect("clean shutdown");

    append(&log, "0\n");
    append(&log, &lines(111, 150)); // written while stopped
    let mut second = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    second.poll();
    // The counter goes on from the checkpoint (100 + the 10 read at shutdown): 110..150 added exactly,
    // the torn line once, nothing repeated.
    assert_eq!(count(&second), 150.0, "110..150 exactly: the torn line once, nothing repeated");
    second.store_checkpoints().expect("checkpoint");
    append(&log, &lines(150, 170));
    second.poll();
    assert_eq!(count(&second), 170.0);
    drop(second); // a crash: 150..170 were counted but not checkpointed

    let mut third = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    third.poll();
    // The checkpoint holds the count (150) with the offsets: 150..170 are read again and counted once.
    assert_eq!(count(&third), 170.0, "every line counted exactly once across the crash");
}

#[test]
fn background_runner_picks_up_new_files_and_lines_within_a_second_or_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipeline = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    let handle = pipeline.spawn(|e| panic!("pipeline error: {e}")).expect("spawn");
    let metrics = handle.metrics();
    let wait_for = |series: &str, want: f64| {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            if value(&metrics.encode_to_string(Format::Text), series) == Some(want) {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{series} did not reach {want} within 3 s");
    };
    append(&dir.path().join("api-2.log"), "status=201\n");
    let new_file = wait_for("api_requests_total{status=\"201\"}", 1.0);
    assert!(new_file <= Duration::from_secs(2), "new file seen after {new_file:?}");
    append(&dir.path().join("api-2.log"), "status=201\n");
    let new_line = wait_for("api_requests_total{status=\"201\"}", 2.0);
    assert!(new_line <= Duration::from_secs(1), "new line seen after {new_line:?}");
    handle.shutdown().expect("shutdown");
    assert!(dir.path().join("state/checkpoint.json").exists());
}

#[test]
fn config_errors_are_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unknown_input =
        config(dir.path(), "[[metrics]]\nname = \"x_total\"\nkind = \"counter\"\ninputs = [\"web\"]");
    let err = Pipeline::new(&unknown_input).expect_err("error");
    assert_eq!(err.to_string(), "rule \"x_total\" refers to unknown input \"web\"");
    let duplicate = config(dir.path(), "[[metrics]]\nname = \"api_requests_total\"\nkind = \"counter\"");
    let err = Pipeline::new(&duplicate).expect_err("error");
    assert!(matches!(err, PipelineError::Rule(_)), "{err}");
    assert!(err.to_string().contains("already registered"), "{err}");
    let clash: PipelineConfig = toml::from_str(&format!(
        "state = {{ directory = \"{}\" }}\n[[inputs]]\nname = \"a/b\"\npaths = []\n[[inputs]]\nname = \"a_b\"\npaths = []",
        dir.path().display()
    ))
    .expect("config");
    let err = Pipeline::new(&clash).expect_err("error");
    assert!(err.to_string().contains("clashes with input \"a/b\""), "{err}");
    let bad_type: Result<PipelineConfig, _> = toml::from_str("[[metrics]]\nname = \"a\"\nkind = \"summary\"");
    assert!(bad_type.is_err());
    let typo: Result<PipelineConfig, _> =
        toml::from_str("[[metrics]]\nname = \"a\"\nkind = \"counter\"\nlabel = [\"x\"]");
    assert!(typo.unwrap_err().to_string().contains("unknown field `label`"));
}

#[test]
fn text_output_passes_promtool() {
    let dir = tempfile::tempdir().expect("tempdir");
    append(&dir.path().join("api.log"), "status=200 ms=5 trace_id=a\nstatus=404 ms=250\n");
    let mut pipeline = Pipeline::new(&config(dir.path(), "")).expect("pipeline");
    pipeline.poll();
    let text = pipeline.metrics().encode_to_string(Format::Text);
    support::assert_promtool(text.as_bytes(), support::Lint::Clean);
}
