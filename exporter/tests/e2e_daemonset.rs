//! The Kubernetes example (examples/sre-stack/daemonset.yaml) as deployed: the exporter runs with the
//! ConfigMap's config exactly as written there, against a fixture laid out as a node's /var/log —
//! kubelet's /var/log/containers symlinks pointing into /var/log/pods (CRI files) and
//! /var/lib/docker/containers (docker json-file). The fixture is bind-mounted over /var/log and
//! /var/lib in a private mount namespace (root only), so the absolute paths of the config and of the
//! symlinks are the real ones.

#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{exporter_binary, free_port, http_get, wait_for_files_open, wait_until, Process};

const ID_WEB: &str = "1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const ID_API: &str = "aa11bb22cc33dd44ee55ff6600aa11bb22cc33dd44ee55ff6600aa11bb22cc33";
const ID_SELF: &str = "5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f";

/// The ConfigMap's `srekit-exporter.toml`, taken from the manifest.
fn configmap_toml() -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sre-stack/daemonset.yaml");
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut lines = text.lines().skip_while(|l| l.trim() != "srekit-exporter.toml: |").skip(1);
    let mut toml = String::new();
    for line in lines.by_ref() {
        if !line.is_empty() && !line.starts_with("    ") {
            break;
        }
        toml.push_str(line.strip_prefix("    ").unwrap_or(line));
        toml.push('\n');
    }
    assert!(toml.contains("container = \"auto\"") && toml.contains("kubernetes = true"), "{toml}");
    toml
}

#[test]
fn the_configmap_config_passes_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("srekit-exporter.toml");
    std::fs::write(&config, configmap_toml()).unwrap();
    let output = Command::new(exporter_binary())
        .arg("check")
        .arg(format!("--config.file={}", config.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

fn cri(stream: &str, tag: &str, message: &str) -> String {
    format!("2024-05-01T10:00:00.000000001Z {stream} {tag} {message}\n")
}

/// A node's /var/log and /var/lib under `root`; returns the CRI file of pod `web-…`, the docker file of
/// pod `api-…` and the exporter's own log (excluded by the config).
fn lay_out_node(root: &Path) -> [PathBuf; 3] {
    let containers = root.join("var/log/containers");
    let web_dir = root.join("var/log/pods/shop_web-6d4f8b7c9-x2x7z_0c0a-11/app");
    let self_dir = root.join("var/log/pods/monitoring_srekit-exporter-abcde_77aa-12/srekit-exporter");
    let docker_dir = root.join(format!("var/lib/docker/containers/{ID_API}"));
    for dir in [&containers, &web_dir, &self_dir, &docker_dir] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let web = web_dir.join("0.log");
    let own = self_dir.join("0.log");
    let api = docker_dir.join(format!("{ID_API}-json.log"));
    for file in [&web, &own, &api] {
        std::fs::write(file, "").unwrap();
    }
    // kubelet's symlinks, absolute as kubelet writes them.
    let link = |target: PathBuf, name: String| {
        let absolute = Path::new("/").join(target.strip_prefix(root).unwrap());
        std::os::unix::fs::symlink(absolute, containers.join(name)).unwrap();
    };
    link(web.clone(), format!("web-6d4f8b7c9-x2x7z_shop_app-{ID_WEB}.log"));
    link(api.clone(), format!("api-0_shop_api-{ID_API}.log"));
    link(own.clone(), format!("srekit-exporter-abcde_monitoring_srekit-exporter-{ID_SELF}.log"));
    [web, api, own]
}

/// The value of the sample line starting with `series` in a scrape's `text`.
fn series_value(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series))?.rsplit(' ').next()?.parse().ok()
}

/// Needs root for a private mount namespace with bind mounts.
#[test]
#[ignore = "needs root to bind-mount the fixture over /var/log: scripts/test-rust.sh runs it with --ignored when root"]
fn the_daemonset_config_reads_a_node_log_tree() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let [web, api, own] = lay_out_node(root);
    let config = root.join("srekit-exporter.toml");
    std::fs::write(&config, configmap_toml()).unwrap();
    let port = free_port();
    let script = r#"mount --bind "$1/var/log" /var/log && mount --bind "$1/var/lib" /var/lib && exec "$2" --config.file="$3" --web.listen-address=127.0.0.1:"$4" --collector.disable-defaults"#;
    let child = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .arg(root)
        .arg(exporter_binary())
        .arg(&config)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("unshare");
    let _exporter = Process { child, name: "srekit-exporter (unshare)" };
    wait_until(Duration::from_secs(20), || http_get(port, "/healthz", &[]).is_ok_and(|r| r.status == 200))
        .expect("the exporter starts in the namespace (needs root)");
    // The files are followed from their end as of the first poll, on the pipeline's own thread: wait
    // for it (the web and api files; the exporter's own is excluded), not for a fixed time.
    wait_for_files_open(port, "containers", 2);

    append(&web, &cri("stdout", "F", "GET /cart 200"));
    append(&web, &cri("stderr", "P", "ERROR payment declined, a very long line the runtime "));
    append(&web, &cri("stderr", "F", "split in two"));
    append(&api, "{\"log\":\"started\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T10:00:00Z\"}\n");
    append(&api, "{\"log\":\"panic: nil map\\n\",\"stream\":\"stderr\",\"time\":\"2024-05-01T10:00:01Z\"}\n");
    append(&own, &cri("stdout", "F", "error: my own log must not be read"));

    let expected = [
        (
            r#"container_log_lines_total{container="app",namespace="shop",pod="web-6d4f8b7c9-x2x7z",stream="stdout"}"#,
            1.0,
        ),
        (
            r#"container_log_lines_total{container="app",namespace="shop",pod="web-6d4f8b7c9-x2x7z",stream="stderr"}"#,
            1.0,
        ),
        (r#"container_log_lines_total{container="api",namespace="shop",pod="api-0",stream="stdout"}"#, 1.0),
        (r#"container_log_lines_total{container="api",namespace="shop",pod="api-0",stream="stderr"}"#, 1.0),
        (
            r#"container_log_errors_total{container="app",namespace="shop",workload="web",source="container-logs"}"#,
            1.0,
        ),
        (
            r#"container_log_errors_total{container="api",namespace="shop",workload="api-0",source="container-logs"}"#,
            1.0,
        ),
    ];
    // The appends above may straddle one of the exporter's polls: wait for every line, then check them
    // all (a wrong value fails below with the whole scrape; it does not pass by waiting).
    let counted =
        |text: &str| expected.iter().all(|(series, value)| series_value(text, series) == Some(*value));
    let _ = wait_until(Duration::from_secs(10), || {
        http_get(port, "/metrics", &[]).is_ok_and(|r| counted(&r.text()))
    });
    let text = http_get(port, "/metrics", &[]).unwrap().text();
    for (series, value) in expected {
        assert_eq!(series_value(&text, series), Some(value), "{series} in\n{text}");
    }
    assert!(!text.contains("monitoring"), "the exporter's own log was read:\n{text}");
    assert!(text.contains("srekit_log_parse_errors_total{input=\"containers\"} 0"), "{text}");
    // The state hostPath is writable: the checkpoint appears there.
    wait_until(Duration::from_secs(20), || root.join("var/lib/srekit-exporter/checkpoint.json").exists())
        .expect("checkpoint written to the state directory");
}
