//! The pipeline on a node's log layout: CRI and docker files under /var/log/pods (and docker's
//! directory) reached through kubelet's /var/log/containers symlinks, with `container = "auto"`,
//! `kubernetes = true`, constant fields, the path field, exclusions, multi-line events flushed by the
//! poll's timeout, and a file rotated in the middle of a partial CRI line.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use srekit::expfmt::Format;
use srekit::logs::{config::PipelineConfig, pipeline::Pipeline};

const ID_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ID_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const ID_C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn cri(stream: &str, tag: &str, message: &str) -> String {
    format!("2024-05-01T10:00:00.000000001Z {stream} {tag} {message}\n")
}

fn config(root: &Path, extra: &str) -> PipelineConfig {
    toml::from_str(&format!(
        r#"
        [[inputs]]
        name = "containers"
        paths = ["{root}/var/log/containers/*.log"]
        exclude_paths = ["{root}/var/log/containers/*_kube-system_*"]
        format = "logfmt"
        container = "auto"
        kubernetes = true
        read_from_head = true
        rotate_wait = 0
        fields = {{ cluster = "test" }}
        path_field = "file"
        {extra}

        [[metrics]]
        name = "requests_total"
        kind = "counter"
        labels = {{ namespace = "kubernetes.namespace", pod = "kubernetes.pod", container = "kubernetes.container", stream = "stream", cluster = "cluster", status = "status" }}
        match = {{ msg = "^request$" }}
        "#,
        root = root.display()
    ))
    .unwrap()
}

/// Lays out pods `web` (CRI), `api` (docker json-file) and a kube-system pod (excluded).
fn node(root: &Path) -> [std::path::PathBuf; 2] {
    let containers = root.join("var/log/containers");
    std::fs::create_dir_all(&containers).unwrap();
    let web_dir = root.join("var/log/pods/shop_web-1_uid-1/app");
    let docker_dir = root.join(format!("var/lib/docker/containers/{ID_B}"));
    let system_dir = root.join("var/log/pods/kube-system_dns-1_uid-3/dns");
    for dir in [&web_dir, &docker_dir, &system_dir] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let web = web_dir.join("0.log");
    let api = docker_dir.join(format!("{ID_B}-json.log"));
    let system = system_dir.join("0.log");
    append(&web, &cri("stdout", "F", "msg=request status=200"));
    append(
        &api,
        "{\"log\":\"msg=request status=500\\n\",\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:00Z\"}\n",
    );
    append(&system, &cri("stdout", "F", "msg=request status=200"));
    std::os::unix::fs::symlink(&web, containers.join(format!("web-1_shop_app-{ID_A}.log"))).unwrap();
    std::os::unix::fs::symlink(&api, containers.join(format!("api-1_shop_api-{ID_B}.log"))).unwrap();
    std::os::unix::fs::symlink(&system, containers.join(format!("dns-1_kube-system_dns-{ID_C}.log")))
        .unwrap();
    [web, api]
}

#[test]
fn container_logs_through_symlinks_get_kubernetes_labels() {
    let dir = tempfile::tempdir().unwrap();
    let [web, _api] = node(dir.path());
    let mut pipeline = Pipeline::new(&config(dir.path(), "")).unwrap();
    pipeline.poll();
    // A partial piece waits for its final piece, across polls.
    append(&web, &cri("stdout", "P", "msg=req"));
    pipeline.poll();
    append(&web, &cri("stderr", "F", "msg=request status=503"));
    append(&web, &cri("stdout", "F", "uest status=200"));
    pipeline.poll();
    let text = pipeline.metrics().encode_to_string(Format::Text);
    // (a label map is ordered by label name)
    let web_200 = r#"requests_total{cluster="test",container="app",namespace="shop",pod="web-1",status="200",stream="stdout"} 2"#;
    let web_503 = r#"requests_total{cluster="test",container="app",namespace="shop",pod="web-1",status="503",stream="stderr"} 1"#;
    let api_500 = r#"requests_total{cluster="test",container="api",namespace="shop",pod="api-1",status="500",stream="stderr"} 1"#;
    for wanted in [web_200, web_503, api_500] {
        assert!(text.contains(wanted), "missing {wanted} in\n{text}");
    }
    assert!(!text.contains("kube-system"), "excluded path was read:\n{text}");
    assert!(text.contains("srekit_log_parse_errors_total{input=\"containers\"} 0"), "{text}");
}

#[test]
fn a_file_rotated_in_the_middle_of_a_partial_cri_line_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let [web, _api] = node(dir.path());
    let mut pipeline = Pipeline::new(&config(dir.path(), "")).unwrap();
    pipeline.poll();
    append(&web, &cri("stdout", "P", "msg=requ"));
    pipeline.poll();
    // kubelet rotates: 0.log -> 0.log.<time>, a new 0.log gets the rest of the line.
    std::fs::rename(&web, web.with_extension("log.20240501-100000")).unwrap();
    append(&web, &cri("stdout", "F", "est status=201"));
    for _ in 0..3 {
        pipeline.poll();
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = pipeline.metrics().encode_to_string(Format::Text);
    assert!(text.contains(r#"pod="web-1",status="201",stream="stdout"} 1"#), "{text}");
}

#[test]
fn multiline_events_are_emitted_by_the_poll_after_their_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let [web, _api] = node(dir.path());
    let extra = "[inputs.multiline]\nstart = \"^msg=\"\ntimeout = \"100ms\"";
    let mut pipeline = Pipeline::new(&config(dir.path(), extra)).unwrap();
    pipeline.poll();
    append(&web, &cri("stdout", "F", "msg=request status=404"));
    append(&web, &cri("stdout", "F", "  detail line"));
    pipeline.poll();
    let before = pipeline.metrics().encode_to_string(Format::Text);
    assert!(!before.contains("status=\"404\""), "emitted before its timeout:\n{before}");
    std::thread::sleep(Duration::from_millis(150));
    pipeline.poll();
    let after = pipeline.metrics().encode_to_string(Format::Text);
    assert!(after.contains(r#"status="404",stream="stdout"} 1"#), "not emitted after its timeout:\n{after}");
}

#[test]
fn bad_ignore_older_and_exclude_patterns_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Pipeline::validate(&config(dir.path(), "ignore_older = \"soon\"")).unwrap_err().to_string();
    assert!(err.contains("ignore_older") && err.contains("not a duration"), "{err}");
    let mut bad = config(dir.path(), "");
    bad.inputs[0].exclude_paths = vec!["[".into()];
    assert!(Pipeline::validate(&bad).unwrap_err().to_string().contains("invalid path pattern"));
}

#[test]
fn ignore_older_skips_idle_files() {
    let dir = tempfile::tempdir().unwrap();
    let [web, api] = node(dir.path());
    let old = std::time::SystemTime::now() - Duration::from_secs(3 * 3600);
    std::fs::File::options().append(true).open(&api).unwrap().set_modified(old).unwrap();
    let mut pipeline = Pipeline::new(&config(dir.path(), "ignore_older = \"1h\"")).unwrap();
    pipeline.poll();
    let text = pipeline.metrics().encode_to_string(Format::Text);
    assert!(text.contains(r#"pod="web-1""#) && !text.contains(r#"pod="api-1""#), "{text}");
    drop(web);
}

#[test]
fn max_line_length_bounds_the_unwrapped_message_not_the_envelope() {
    // The tailer decides as the bindings' feeds do: a CRI line whose envelope takes it past
    // max_line_length is kept when its message fits; a message beyond it is skipped and counted.
    let dir = tempfile::tempdir().unwrap();
    let [web, _api] = node(dir.path());
    let mut pipeline = Pipeline::new(&config(dir.path(), "max_line_length = 40")).unwrap();
    pipeline.poll();
    let fits = "msg=request status=202"; // 22 bytes; 53 with the envelope
    let too_long = format!("msg=request status=203 pad={}", "x".repeat(40));
    append(&web, &cri("stdout", "F", fits));
    append(&web, &cri("stdout", "F", &too_long));
    append(&web, &cri("stdout", "F", "msg=request status=204"));
    pipeline.poll();
    let text = pipeline.metrics().encode_to_string(Format::Text);
    assert!(text.contains(r#"pod="web-1",status="202",stream="stdout"} 1"#), "{text}");
    assert!(text.contains(r#"pod="web-1",status="204",stream="stdout"} 1"#), "{text}");
    assert!(!text.contains(r#"status="203""#), "{text}");
    let skipped = r#"srekit_log_lines_skipped_total{input="containers",reason="too_long"} 1"#;
    assert!(text.contains(skipped), "{text}");
}
