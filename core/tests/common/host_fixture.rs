//! The captured host fixture tree (tests/fixtures/host/basic) and helpers to read collections of it,
//! shared by host_fixtures.rs and host_absences.rs.

use srekit::host::HostConfig;
use srekit::metrics::MetricFamily;
use std::path::{Path, PathBuf};

pub fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/host/basic")
}

/// The fixture configuration: all roots in the tree; collectors that read the running kernel through
/// system calls (time, timex, uname) are left out: the comparison test covers them; so is systemd,
/// which asks a running systemd over D-Bus: host_systemd.rs tests it against a fake one on a real bus.
pub fn fixture_config(root: &Path) -> HostConfig {
    let mut config = HostConfig::with_roots(root.join("proc"), root.join("sys"), root.join("root"));
    config.udev_data = root.join("udev");
    config.textfile_directory = Some(root.join("textfile"));
    for name in ["time", "timex", "uname", "systemd"] {
        config.disable(name).expect("known collector");
    }
    config
}

pub fn find<'a>(families: &'a [MetricFamily], name: &str) -> Option<&'a MetricFamily> {
    families.iter().find(|f| f.name == name)
}

pub fn value(families: &[MetricFamily], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    find(families, name)?
        .samples
        .iter()
        .find(|s| labels.iter().all(|(k, v)| s.label(k) == Some(v)))
        .map(|s| s.value)
}

pub fn success(families: &[MetricFamily], collector: &str) -> Option<f64> {
    value(families, "node_scrape_collector_success", &[("collector", collector)])
}

/// Copies a directory tree (symlinks are recreated as symlinks, as sysfs has them).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("file type");
        if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("read_link");
            std::os::unix::fs::symlink(link, &target).expect("symlink");
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
