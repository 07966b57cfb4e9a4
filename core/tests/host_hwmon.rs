//! hwmon on a generated sysfs tree of three chips with the odd cases (a `device` link naming the chip,
//! elements in `device/`, a bare value beside `_enable`, an unparsable value, labels with blanks,
//! `beep_enable`, `vrm`, `update_interval`, power, energy, current, humidity, intrusion, a chip named
//! only by its directory), against the real node_exporter (hwmon alone) on the same tree; then
//! repeated collections over recycled families, and values, files and chips that change between them.

mod common;

use common::Series;
use srekit::expfmt::parse_text;
use srekit::host::{HostCollector, HostConfig};
use srekit::metrics::MetricFamily;
use std::path::Path;
use std::time::Duration;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
    std::fs::write(path, text).expect("write");
}

/// The tree: sys/class/hwmon/hwmon{0,1,2} (hwmon0's `device` links to sys/devices/platform/coretemp.0).
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let sys = dir.path().join("sys");
    let platform = sys.join("devices/platform/coretemp.0");
    std::fs::create_dir_all(&platform).expect("device dir");
    let hwmon0 = sys.join("class/hwmon/hwmon0");
    std::fs::create_dir_all(&hwmon0).expect("hwmon0");
    std::os::unix::fs::symlink(&platform, hwmon0.join("device")).expect("device link");
    for (file, text) in [
        ("name", "coretemp\n"),
        ("temp1_input", "45000\n"),
        ("temp1_crit", "100000\n"),
        ("temp1_crit_alarm", "0\n"),
        ("temp1_label", "Package id 0\n"),
        ("temp2_input", "junk\n"),
        ("temp2_label", "Core 0\n"),
        ("temp10_input", "51000\n"),
        ("temp10_label", "  Core 8  \n"),
        ("in0_input", "1180\n"),
        ("fan1_input", "1200\n"),
        ("fan1_min", "300\n"),
        ("pwm1", "128\n"),
        ("pwm1_enable", "2\n"),
    ] {
        write(&hwmon0.join(file), text);
    }
    write(&platform.join("temp3_crit_alarm"), "1\n");
    write(&platform.join("temp1_max"), "90000\n");
    let hwmon1 = sys.join("class/hwmon/hwmon1");
    for (file, text) in [
        ("name", "nct6775\n"),
        ("beep_enable", "1\n"),
        ("vrm", "9.0\n"),
        ("update_interval", "1000\n"),
        ("power1_average", "12500000\n"),
        ("power1_average_interval", "1000\n"),
        ("power1_accuracy", "950000\n"),
        ("energy1_input", "2000000\n"),
        ("curr1_input", "1500\n"),
        ("humidity1_input", "450000\n"),
        ("intrusion0_alarm", "1\n"),
        ("cpu0_vid", "1200\n"),
        ("in1_input", "900\n"),
        ("in1_label", "Vcore  \n"),
        ("fan2_target", "900\n"),
        ("fan2_input", "880\n"),
        ("temp5_type", "4\n"),
        ("temp5_input", "30000\n"),
    ] {
        write(&hwmon1.join(file), text);
    }
    write(&sys.join("class/hwmon/hwmon2/temp1_input"), "20000\n");
    dir
}

fn collector(root: &Path, recheck: Option<Duration>) -> HostCollector {
    let mut config = HostConfig::with_roots(root.join("proc"), root.join("sys"), root.join("root"));
    config.disable_defaults();
    config.enable("hwmon").expect("hwmon");
    if let Some(recheck) = recheck {
        config.absent_recheck = recheck;
    }
    HostCollector::new(config).expect("config")
}

/// Every hwmon series with its value (label pairs sorted).
fn series(families: &[MetricFamily]) -> Series {
    common::series(families, |f| f.name.starts_with("node_hwmon"))
}

fn collect(collector: &HostCollector) -> Series {
    let families = collector.collect();
    let found = series(&families);
    collector.recycle(families);
    found
}

#[test]
fn hwmon_matches_node_exporter_on_the_same_tree() {
    let dir = tree();
    let root = dir.path().canonicalize().expect("tree");
    let flags = vec![
        format!("--path.sysfs={}", root.join("sys").display()),
        format!("--path.procfs={}", root.join("proc").display()),
        "--collector.disable-defaults".to_string(),
        "--collector.hwmon".to_string(),
    ];
    let text = common::node_exporter::scrape(&flags, &[]);
    let theirs = series(&parse_text(&text).expect("node_exporter output parses"));
    assert!(theirs.len() > 25, "node_exporter read the tree: {theirs:?}");
    let ours = collector(&root, None);
    for round in 0..3 {
        let mine = collect(&ours);
        let missing: Vec<_> = theirs.iter().filter(|(k, v)| mine.get(*k) != Some(*v)).collect();
        let extra: Vec<_> = mine.keys().filter(|k| !theirs.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "round {round}: missing or different {missing:?}, extra {extra:?}"
        );
    }
}

#[test]
fn values_files_and_chips_that_change_are_followed() {
    let dir = tree();
    let root = dir.path().canonicalize().expect("tree");
    let sys = root.join("sys/class/hwmon");
    let temp = |series: &Series, chip: &str, sensor: &str| {
        let key = (
            "node_hwmon_temp_celsius".to_string(),
            vec![("chip".to_string(), chip.to_string()), ("sensor".to_string(), sensor.to_string())],
        );
        series.get(&key).copied()
    };
    // With the default recheck interval: values are read at every collection, new chips are
    // planned at once.
    let ours = collector(&root, None);
    let first = collect(&ours);
    assert_eq!(temp(&first, "platform_coretemp_0", "temp1"), Some(45.0));
    write(&sys.join("hwmon0/temp1_input"), "47000\n");
    write(&sys.join("hwmon3/temp1_input"), "33000\n");
    let second = collect(&ours);
    assert_eq!(temp(&second, "platform_coretemp_0", "temp1"), Some(47.0));
    assert_eq!(temp(&second, "hwmon3", "temp1"), Some(33.0));
    // A file removed is left out at once; a chip removed too.
    std::fs::remove_file(sys.join("hwmon0/temp10_input")).expect("remove");
    std::fs::remove_dir_all(sys.join("hwmon3")).expect("remove");
    let third = collect(&ours);
    assert_eq!(temp(&third, "platform_coretemp_0", "temp10"), None);
    assert_eq!(temp(&third, "hwmon3", "temp1"), None);
    assert_eq!(third.len(), second.len() - 2, "only those two series went");
    // A file added to a known chip is found once the plan is made again: at every collection with
    // a zero recheck interval.
    let eager = collector(&root, Some(Duration::ZERO));
    collect(&eager);
    write(&sys.join("hwmon0/temp11_input"), "52000\n");
    assert_eq!(temp(&collect(&eager), "platform_coretemp_0", "temp11"), Some(52.0));
}
