//! The btrfs collector on a real Btrfs filesystem: the test makes a 200 MB image with mkfs.btrfs
//! (Debian's btrfs-progs, installed by scripts/install-deps.sh), mounts it on a loop device, and
//! requires our `node_btrfs_*` series and values — including the per-device ones that come from the
//! filesystem's ioctls — to equal those of the real node_exporter 1.5 scraped at the same moment.
//! Mounting needs root and loop devices: the test is ignored by default (counted as ignored) and
//! scripts/test-rust.sh runs it with `--ignored` when root, where a failure to mount fails it.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use srekit::expfmt::parse_text;
use srekit::host::{HostCollector, HostConfig};
use srekit::metrics::MetricFamily;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Unmounts (lazily, so a failed test cannot leave it busy) when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn run(command: &mut Command) -> bool {
    command.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

type Series = BTreeMap<(String, Vec<(String, String)>), f64>;

/// The `node_btrfs_*` series of one filesystem (others on the host are ignored).
fn btrfs_series(families: &[MetricFamily], uuid: &str) -> Series {
    let mut out = BTreeMap::new();
    for family in families.iter().filter(|f| f.name.starts_with("node_btrfs_")) {
        for sample in family.samples.iter().filter(|s| s.label("uuid") == Some(uuid)) {
            let mut labels = sample.labels.clone();
            labels.sort();
            out.insert((family.name.clone(), labels), sample.value);
        }
    }
    out
}

#[test]
#[ignore = "needs root and loop devices: scripts/test-rust.sh runs it with --ignored when root"]
fn btrfs_on_a_loop_device_matches_node_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("btrfs.img");
    let mount_point = dir.path().join("mnt");
    std::fs::create_dir_all(&mount_point).unwrap();
    std::fs::File::create(&image).unwrap().set_len(200 << 20).unwrap();
    let mkfs = Path::new("/usr/sbin/mkfs.btrfs");
    assert!(mkfs.exists(), "needs Debian's btrfs-progs for mkfs.btrfs (run scripts/install-deps.sh)");
    assert!(run(Command::new(mkfs).args(["-q", "-L", "srekit-test"]).arg(&image)), "mkfs.btrfs failed");
    assert!(
        run(Command::new("mount").args(["-o", "loop"]).arg(&image).arg(&mount_point)),
        "cannot loop-mount a Btrfs image here (needs root and loop devices)"
    );
    let _mounted = Mounted(mount_point.clone());
    // Some data, so the usage figures are not all zero.
    std::fs::write(mount_point.join("data"), vec![7u8; 3 << 20]).unwrap();
    assert!(run(&mut Command::new("sync")));

    let uuid = std::fs::read_dir("/sys/fs/btrfs")
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| {
            std::fs::read_to_string(format!("/sys/fs/btrfs/{name}/label"))
                .is_ok_and(|l| l.trim() == "srekit-test")
        })
        .expect("the new filesystem is in /sys/fs/btrfs");

    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("btrfs").unwrap();
    let ours = HostCollector::new(config).unwrap().collect();
    let theirs = parse_text(&common::node_exporter::scrape(
        &["--collector.disable-defaults".into(), "--collector.btrfs".into()],
        &[],
    ))
    .unwrap();
    let ours = btrfs_series(&ours, &uuid);
    let theirs = btrfs_series(&theirs, &uuid);
    // The ioctl part answered: per-device error counters with the device's own uuid.
    assert!(
        ours.keys().any(|(name, labels)| name == "node_btrfs_device_errors"
            && labels.iter().any(|(k, _)| k == "btrfs_dev_uuid")),
        "no ioctl device series in {ours:?}"
    );
    assert_eq!(ours, theirs, "ours (left) vs node_exporter (right)");
}
