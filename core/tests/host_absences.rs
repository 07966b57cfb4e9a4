//! Absences on the fixture tree: a subsystem found absent is remembered for `absent_recheck`, and
//! a lane whose collectors all find their devices absent is quiet (run by the collecting thread)
//! until then; either way, what appears is reported once the interval has passed.

use srekit::host::HostCollector;
use srekit::metrics::MetricFamily;

mod common;
use common::host_fixture::{copy_tree, find, fixture, fixture_config, success};

/// A probe that finds a subsystem absent is remembered for `absent_recheck` (no system call within
/// it); a subsystem or device that appears later is reported once the interval has passed.
#[test]
fn a_subsystem_that_appears_is_reported_after_the_absence_recheck_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    let nvme = dir.path().join("sys/class/nvme");
    let mdstat = dir.path().join("proc/mdstat");
    let aside = dir.path().join("aside");
    std::fs::create_dir(&aside).expect("mkdir");
    std::fs::rename(&nvme, aside.join("nvme")).expect("move nvme aside");
    std::fs::rename(&mdstat, aside.join("mdstat")).expect("move mdstat aside");
    let mut config = fixture_config(dir.path());
    let interval = std::time::Duration::from_millis(400);
    config.absent_recheck = interval;
    let collector = HostCollector::new(config).expect("valid config");
    let md_disks = |families: &[MetricFamily]| find(families, "node_md_disks").is_some();
    let nvme_info = |families: &[MetricFamily]| find(families, "node_nvme_info").is_some();
    let families = collector.collect();
    assert!(!md_disks(&families) && !nvme_info(&families), "both absent at first");
    let before = std::time::Instant::now();
    std::fs::rename(aside.join("nvme"), &nvme).expect("nvme appears");
    std::fs::rename(aside.join("mdstat"), &mdstat).expect("mdstat appears");
    let families = collector.collect();
    if before.elapsed() < interval / 2 {
        assert!(!md_disks(&families) && !nvme_info(&families), "within the interval: still taken as absent");
    }
    std::thread::sleep(interval);
    let families = collector.collect();
    assert!(md_disks(&families), "md RAID reported after the interval");
    assert!(nvme_info(&families), "NVMe devices reported after the interval");
    assert_eq!(success(&families, "mdadm"), Some(1.0));
    // With a zero interval, an appearance is seen by the very next collection.
    let mut config = fixture_config(dir.path());
    config.absent_recheck = std::time::Duration::ZERO;
    let collector = HostCollector::new(config).expect("valid config");
    std::fs::rename(&nvme, aside.join("nvme")).expect("nvme goes");
    assert!(!nvme_info(&collector.collect()));
    std::fs::rename(aside.join("nvme"), &nvme).expect("nvme back");
    assert!(nvme_info(&collector.collect()));
}

/// The default collectors of the hardware lane.
const HARDWARE: [&str; 11] = [
    "cpufreq",
    "dmi",
    "edac",
    "fibrechannel",
    "hwmon",
    "infiniband",
    "nvme",
    "powersupplyclass",
    "rapl",
    "tapestats",
    "thermal_zone",
];

/// A host without hardware sensors (most virtual machines): every collector of the hardware lane
/// finds its devices absent (dmi reads its labels once), so the lane is quiet and the collecting
/// thread runs it between rechecks. Its collectors report as the worker's first run did, and
/// devices that appear meanwhile (NVMe, a CPU's cpufreq) are reported once the interval has passed.
#[test]
fn a_host_without_hardware_sensors_reports_devices_that_appear_after_the_recheck_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    let aside = dir.path().join("aside");
    std::fs::create_dir(&aside).expect("mkdir");
    let moved = [
        "sys/class/hwmon",
        "sys/class/thermal",
        "sys/class/power_supply",
        "sys/class/powercap",
        "sys/class/fc_host",
        "sys/class/infiniband",
        "sys/class/scsi_tape",
        "sys/class/nvme",
        "sys/devices/system/edac",
        "sys/devices/system/cpu/cpu0/cpufreq",
        "sys/devices/system/cpu/cpu2/cpufreq",
    ];
    let away = |path: &str| aside.join(path.replace('/', "_"));
    for path in moved {
        std::fs::rename(dir.path().join(path), away(path)).expect("move aside");
    }
    let mut config = fixture_config(dir.path());
    let interval = std::time::Duration::from_millis(400);
    config.absent_recheck = interval;
    let collector = HostCollector::new(config).expect("valid config");
    let successes = |families: &[MetricFamily]| {
        HARDWARE.map(|name| success(families, name).unwrap_or_else(|| panic!("{name}")))
    };
    let nvme_info = |families: &[MetricFamily]| find(families, "node_nvme_info").is_some();
    let cpu0_hertz = |families: &[MetricFamily]| {
        find(families, "node_cpu_frequency_max_hertz")
            .is_some_and(|f| f.samples.iter().any(|s| s.label("cpu") == Some("0")))
    };
    let first = collector.collect();
    assert!(!nvme_info(&first) && !cpu0_hertz(&first), "no devices at first");
    assert!(find(&first, "node_dmi_info").is_some(), "dmi read its labels");
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let families = collector.collect();
        assert_eq!(successes(&families), successes(&first), "quiet runs report as the first run did");
        assert!(find(&families, "node_dmi_info").is_some(), "dmi keeps reporting its labels");
        assert!(!nvme_info(&families) && !cpu0_hertz(&families));
    }
    let before = std::time::Instant::now();
    for path in ["sys/class/nvme", "sys/devices/system/cpu/cpu0/cpufreq"] {
        std::fs::rename(away(path), dir.path().join(path)).expect("appears");
    }
    let families = collector.collect();
    if started.elapsed() < interval / 2 {
        assert!(
            !nvme_info(&families) && !cpu0_hertz(&families),
            "within the interval: still taken as absent"
        );
    }
    std::thread::sleep(interval.saturating_sub(before.elapsed()) + interval / 4);
    let families = collector.collect();
    assert!(nvme_info(&families), "NVMe devices reported after the interval");
    assert!(cpu0_hertz(&families), "cpu0's frequency reported after the interval");
    assert_eq!(success(&families, "nvme"), Some(1.0));
    assert_eq!(success(&families, "cpufreq"), Some(1.0));
}
