//! Runs the shared host report vectors (tests/vectors/host/report.json): which collectors fail, which
//! of those failures are only "no data" (an absent optional subsystem), the warnings and some family
//! names; the Python and Node tests run the same cases through their bindings.

use serde_json::Value as Json;
use srekit::host::{HostCollector, HostConfig};
use std::path::{Path, PathBuf};

fn cases() -> Vec<Json> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/host/report.json");
    let text = std::fs::read_to_string(&path).expect("read the host report vectors");
    let vectors: Json = serde_json::from_str(&text).expect("the vectors are JSON");
    vectors["cases"].as_array().expect("cases").clone()
}

fn strings(value: &Json) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// "empty" is a fresh empty directory under `scratch`, "host" the real one.
fn root(kind: &str, host: &str, scratch: &Path) -> PathBuf {
    match kind {
        "empty" => {
            let dir = scratch.join(host.trim_start_matches('/'));
            std::fs::create_dir_all(&dir).expect("create an empty root");
            dir
        }
        "host" => PathBuf::from(host),
        other => panic!("unknown root kind {other:?}"),
    }
}

#[test]
fn host_report_vectors() {
    let cases = cases();
    assert!(cases.len() >= 3);
    for case in cases {
        let name = case["case"].as_str().expect("case name");
        let scratch = tempfile::tempdir().expect("tempdir");
        let procfs = root(case["procfs"].as_str().expect("procfs"), "/proc", scratch.path());
        let sysfs = root(case["sysfs"].as_str().expect("sysfs"), "/sys", scratch.path());
        let mut config = HostConfig::with_roots(procfs, sysfs, "/");
        config.disable_defaults();
        for collector in strings(&case["collectors"]) {
            config.enable(&collector).expect("a known collector");
        }
        if let Some(files) = case["textfiles"].as_object() {
            let dir = scratch.path().join("textfiles");
            std::fs::create_dir_all(&dir).expect("textfile dir");
            for (file, content) in files {
                std::fs::write(dir.join(file), content.as_str().expect("textfile text"))
                    .expect("write textfile");
            }
            config.textfile_directory = Some(dir);
        }
        let report = HostCollector::new(config).expect("collector").collect_report();

        let mut failed: Vec<&str> = report.failures.iter().map(|(collector, _)| *collector).collect();
        failed.sort_unstable();
        assert_eq!(failed, strings(&case["failed"]), "{name}: failed collectors {:?}", report.failures);
        let mut no_data = report.no_data();
        no_data.sort_unstable();
        assert_eq!(no_data, strings(&case["no_data"]), "{name}: no-data collectors");
        let expected_warnings = strings(&case["warnings"]);
        assert_eq!(report.warnings.len(), expected_warnings.len(), "{name}: warnings {:?}", report.warnings);
        for (warning, part) in report.warnings.iter().zip(&expected_warnings) {
            assert!(warning.contains(part.as_str()), "{name}: warning {warning:?} lacks {part:?}");
        }
        for family in strings(&case["families"]) {
            assert!(report.families.iter().any(|f| f.name == family), "{name}: no family {family}");
        }
    }
}
