//! btrfs: Btrfs filesystem statistics from /sys/fs/btrfs/<uuid>/, as node_exporter's btrfs collector
//! reads them from sysfs: `node_btrfs_info{uuid,label}`, `node_btrfs_global_rsv_size_bytes`,
//! `node_btrfs_reserved_bytes{block_group_type}`, per allocation layout
//! `node_btrfs_{used,size}_bytes` and `node_btrfs_allocation_ratio{block_group_type,mode}`, and
//! `node_btrfs_device_size_bytes{device}`. As in node_exporter, a missing value file reads as 0 and an
//! unparsable one as 0; a missing directory fails the collector. node_exporter additionally asks
//! mounted filesystems for per-device error counters with ioctls; that part is not implemented here.
//! A host without Btrfs has no such directories: success with nothing to report.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::list_dir;
use std::path::Path;
use std::sync::Arc;

/// Linux counts device sizes in 512-byte sectors whatever the device's block size.
const SECTOR_SIZE: f64 = 512.0;

/// The block group types under `allocation/`.
const BLOCK_GROUP_TYPES: [&str; 3] = ["data", "metadata", "system"];

/// The btrfs collector.
pub(crate) struct Btrfs {
    settings: Arc<Settings>,
}

impl Btrfs {
    pub(crate) fn new(settings: Arc<Settings>) -> Btrfs {
        Btrfs { settings }
    }
}

/// One allocation layout (`single`, `dup`, `raid1`, ...) of a block group type.
struct Layout {
    mode: String,
    used: f64,
    size: f64,
    ratio: f64,
}

/// What one filesystem's directory holds, read before anything is emitted.
struct Filesystem {
    uuid: String,
    label: String,
    global_rsv_size: f64,
    /// Per block group type: reserved bytes and layouts.
    groups: Vec<(&'static str, f64, Vec<Layout>)>,
    /// Device name and size in bytes.
    devices: Vec<(String, f64)>,
}

impl Collector for Btrfs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let root = self.settings.sys("fs/btrfs");
        let names = match list_dir(&root) {
            Ok(names) => names,
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(())
            }
            Err(err) => return Err(err),
        };
        let mut filesystems = Vec::new();
        for name in names.into_iter().filter(|n| n.contains('-')) {
            filesystems.push(read_filesystem(&root.join(&name), name)?);
        }
        for fs in &filesystems {
            let uuid = fs.uuid.as_str();
            out.gauge(
                "node_btrfs_info",
                "Filesystem information",
                labels(&[("uuid", uuid), ("label", &fs.label)]),
                1.0,
            );
            out.gauge(
                "node_btrfs_global_rsv_size_bytes",
                "Size of global reserve.",
                labels(&[("uuid", uuid)]),
                fs.global_rsv_size,
            );
            for (group, reserved, layouts) in &fs.groups {
                out.gauge(
                    "node_btrfs_reserved_bytes",
                    "Amount of space reserved for a data type",
                    labels(&[("uuid", uuid), ("block_group_type", group)]),
                    *reserved,
                );
                for layout in layouts {
                    let pairs = [("uuid", uuid), ("block_group_type", group), ("mode", layout.mode.as_str())];
                    out.gauge(
                        "node_btrfs_used_bytes",
                        "Amount of used space by a layout/data type",
                        labels(&pairs),
                        layout.used,
                    );
                    out.gauge(
                        "node_btrfs_size_bytes",
                        "Amount of space allocated for a layout/data type",
                        labels(&pairs),
                        layout.size,
                    );
                    out.gauge(
                        "node_btrfs_allocation_ratio",
                        "Data allocation ratio for a layout/data type",
                        labels(&pairs),
                        layout.ratio,
                    );
                }
            }
            for (device, size) in &fs.devices {
                out.gauge(
                    "node_btrfs_device_size_bytes",
                    "Size of a device that is part of the filesystem.",
                    labels(&[("uuid", uuid), ("device", device)]),
                    *size,
                );
            }
        }
        Ok(())
    }
}

fn read_filesystem(dir: &Path, name: String) -> Result<Filesystem, CollectError> {
    let mut devices = Vec::new();
    for device in list_dir(&dir.join("devices"))? {
        let size = read_number(&dir.join("devices").join(&device).join("size"))? * SECTOR_SIZE;
        devices.push((device, size));
    }
    list_dir(&dir.join("features"))?; // node_exporter requires it, though it exports nothing from it
    let uuid = read_text(&dir.join("metadata_uuid"))?.filter(|u| !u.is_empty()).unwrap_or(name);
    let label = read_text(&dir.join("label"))?.unwrap_or_default();
    let global_rsv_size = read_number(&dir.join("allocation/global_rsv_size"))?;
    let mut groups = Vec::new();
    for group in BLOCK_GROUP_TYPES {
        let group_dir = dir.join("allocation").join(group);
        let reserved = read_number(&group_dir.join("bytes_reserved"))?;
        let mut layouts = Vec::new();
        for mode in list_dir(&group_dir)? {
            let layout_dir = group_dir.join(&mode);
            if !layout_dir.is_dir() {
                continue;
            }
            let ratio = allocation_ratio(&mode, devices.len());
            layouts.push(Layout {
                used: read_number(&layout_dir.join("used_bytes"))?,
                size: read_number(&layout_dir.join("total_bytes"))?,
                ratio,
                mode,
            });
        }
        groups.push((group, reserved, layouts));
    }
    Ok(Filesystem { uuid, label, global_rsv_size, groups, devices })
}

/// Bytes of raw disk per byte stored, by RAID profile (RAID5/6 depend on the number of devices).
fn allocation_ratio(mode: &str, devices: usize) -> f64 {
    let devices = devices as f64;
    match mode {
        "single" | "raid0" => 1.0,
        "dup" | "raid1" | "raid10" => 2.0,
        "raid5" => devices / (devices - 1.0),
        "raid6" => devices / (devices - 2.0),
        _ => 0.0,
    }
}

/// A file's trimmed text, `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, CollectError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CollectError::io(path, e)),
    }
}

/// A file's unsigned integer; 0 when the file is missing or does not hold one (node_exporter's rule).
fn read_number(path: &Path) -> Result<f64, CollectError> {
    Ok(read_text(path)?.and_then(|t| t.parse::<u64>().ok()).map_or(0.0, |v| v as f64))
}
