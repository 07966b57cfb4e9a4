//! btrfs: Btrfs filesystem statistics from /sys/fs/btrfs/<uuid>/, as node_exporter's btrfs collector
//! reads them from sysfs: `node_btrfs_info{uuid,label}`, `node_btrfs_global_rsv_size_bytes`,
//! `node_btrfs_reserved_bytes{block_group_type}`, per allocation layout
//! `node_btrfs_{used,size}_bytes` and `node_btrfs_allocation_ratio{block_group_type,mode}`, and
//! `node_btrfs_device_size_bytes{device}`. As in node_exporter, a missing value file reads as 0 and an
//! unparsable one as 0; a missing directory fails the collector. For each Btrfs filesystem mounted
//! (per /proc/1/mounts, under the rootfs), the device list comes instead from the filesystem's ioctls
//! (BTRFS_IOC_FS_INFO, _DEV_INFO, _GET_DEV_STATS), as node_exporter does:
//! `node_btrfs_device_size_bytes`, `node_btrfs_device_unused_bytes` and
//! `node_btrfs_device_errors_total{type}`, labelled `device` and `btrfs_dev_uuid`. A mount that cannot
//! be opened or queried falls back to the sysfs device sizes. A host without Btrfs has no such
//! directories: success with nothing to report.

use super::filesystem::parse_mounts;
use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, DirLister};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;

/// Linux counts device sizes in 512-byte sectors whatever the device's block size.
const SECTOR_SIZE: f64 = 512.0;

/// The block group types under `allocation/`.
const BLOCK_GROUP_TYPES: [&str; 3] = ["data", "metadata", "system"];

/// The btrfs collector.
pub(crate) struct Btrfs {
    settings: Arc<Settings>,
    /// Lists /sys/fs/btrfs, kept open between collections once it was found there.
    lister: DirLister,
}

impl Btrfs {
    pub(crate) fn new(settings: Arc<Settings>) -> Btrfs {
        Btrfs { settings, lister: DirLister::keeping() }
    }

    /// The entries of /sys/fs/btrfs (`root`): through the directory kept open since it was last
    /// listed, else probed through the absences (an absent or empty directory remembered as such)
    /// and, when it has entries, listed again to be kept open.
    fn list(&mut self, root: &Path) -> Result<&[String], CollectError> {
        if !self.lister.keeps(root) && self.settings.absences.list_dir_if_present(root)?.is_empty() {
            return Ok(&[]);
        }
        self.lister.list_if_present(root)
    }
}

/// The btrfs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "btrfs",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Btrfs::new(settings)),
};

impl Collector for Btrfs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let root = self.settings.sys("fs/btrfs");
        // Asked once per collection, and only when there is a filesystem to match it with.
        let mut ioctl_devices = None;
        let settings = Arc::clone(&self.settings);
        for name in self.list(&root)?.iter().filter(|n| n.contains('-')) {
            let ioctl_devices = ioctl_devices.get_or_insert_with(|| ioctl_device_stats(&settings));
            collect_filesystem(&root.join(name), name.clone(), ioctl_devices, out)?;
        }
        Ok(())
    }
}

/// Emits one filesystem. A missing directory fails the collector (the runner then drops what was
/// emitted), as in node_exporter.
fn collect_filesystem(
    dir: &Path,
    name: String,
    ioctl_devices: &HashMap<[u8; 16], Vec<IoctlDevice>>,
    out: &mut Emitter,
) -> Result<(), CollectError> {
    let mut devices = Vec::new();
    for device in list_dir(&dir.join("devices"))? {
        let size = read_number(&dir.join("devices").join(&device).join("size"))? * SECTOR_SIZE;
        devices.push((device, size));
    }
    list_dir(&dir.join("features"))?; // node_exporter requires it, though it exports nothing from it
    let uuid = read_text(&dir.join("metadata_uuid"))?.filter(|u| !u.is_empty()).unwrap_or(name);
    let uuid = uuid.as_str();
    let label = read_text(&dir.join("label"))?.unwrap_or_default();
    out.gauge("node_btrfs_info", "Filesystem information", pairs(&[("uuid", uuid), ("label", &label)]), 1.0);
    out.gauge(
        "node_btrfs_global_rsv_size_bytes",
        "Size of global reserve.",
        pairs(&[("uuid", uuid)]),
        read_number(&dir.join("allocation/global_rsv_size"))?,
    );
    for group in BLOCK_GROUP_TYPES {
        let group_dir = dir.join("allocation").join(group);
        out.gauge(
            "node_btrfs_reserved_bytes",
            "Amount of space reserved for a data type",
            pairs(&[("uuid", uuid), ("block_group_type", group)]),
            read_number(&group_dir.join("bytes_reserved"))?,
        );
        for mode in list_dir(&group_dir)? {
            let layout_dir = group_dir.join(&mode);
            if !layout_dir.is_dir() {
                continue;
            }
            let pairs = labels(&[("uuid", uuid), ("block_group_type", group), ("mode", &mode)]);
            out.gauge(
                "node_btrfs_used_bytes",
                "Amount of used space by a layout/data type",
                pairs.clone(),
                read_number(&layout_dir.join("used_bytes"))?,
            );
            out.gauge(
                "node_btrfs_size_bytes",
                "Amount of space allocated for a layout/data type",
                pairs.clone(),
                read_number(&layout_dir.join("total_bytes"))?,
            );
            out.gauge(
                "node_btrfs_allocation_ratio",
                "Data allocation ratio for a layout/data type",
                pairs,
                allocation_ratio(&mode, devices.len()),
            );
        }
    }
    match parse_uuid(uuid).and_then(|id| ioctl_devices.get(&id)) {
        Some(devices) => emit_ioctl_devices(out, uuid, devices),
        None => {
            for (device, size) in &devices {
                out.gauge(
                    "node_btrfs_device_size_bytes",
                    "Size of a device that is part of the filesystem.",
                    pairs(&[("uuid", uuid), ("device", device)]),
                    *size,
                );
            }
        }
    }
    Ok(())
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

/// One device of a mounted filesystem as its ioctls describe it.
struct IoctlDevice {
    /// The device node's file name (`/dev/sda` -> `sda`).
    name: String,
    uuid: String,
    bytes_used: u64,
    total_bytes: u64,
    /// write, read, flush, corruption and generation errors, in the kernel's order.
    errors: [u64; 5],
}

/// The kernel's names for the five device error counters, in `btrfs_dev_stat_values` order.
const ERROR_TYPES: [&str; 5] = ["write", "read", "flush", "corruption", "generation"];

fn emit_ioctl_devices(out: &mut Emitter, uuid: &str, devices: &[IoctlDevice]) {
    for device in devices {
        let pairs =
            [("uuid", uuid), ("device", device.name.as_str()), ("btrfs_dev_uuid", device.uuid.as_str())];
        out.gauge(
            "node_btrfs_device_size_bytes",
            "Size of a device that is part of the filesystem.",
            labels(&pairs),
            device.total_bytes as f64,
        );
        out.gauge(
            "node_btrfs_device_unused_bytes",
            "Unused bytes unused on a device that is part of the filesystem.",
            labels(&pairs),
            device.total_bytes.saturating_sub(device.bytes_used) as f64,
        );
        for (kind, count) in ERROR_TYPES.iter().zip(device.errors) {
            let pairs = [
                ("uuid", uuid),
                ("type", kind),
                ("device", device.name.as_str()),
                ("btrfs_dev_uuid", device.uuid.as_str()),
            ];
            out.counter(
                "node_btrfs_device_errors_total",
                "Errors reported for the device",
                labels(&pairs),
                count as f64,
            );
        }
    }
}

/// Devices of every mounted Btrfs filesystem that answers its ioctls, by filesystem id. Mounts that
/// cannot be opened or queried are left out (their filesystems fall back to sysfs), as node_exporter
/// does; a device already seen through another mount point is not queried again.
fn ioctl_device_stats(settings: &Settings) -> HashMap<[u8; 16], Vec<IoctlDevice>> {
    let text = std::fs::read_to_string(settings.proc("1/mounts"))
        .or_else(|_| std::fs::read_to_string(settings.proc("mounts")))
        .unwrap_or_default();
    let mut by_fsid = HashMap::new();
    let mut devices_done = std::collections::HashSet::new();
    for mount in parse_mounts(&text) {
        if mount.fs_type != "btrfs" || devices_done.contains(&mount.device) {
            continue;
        }
        let Ok(dir) = std::fs::File::open(settings.root(&mount.mount_point)) else { continue };
        let Some((fsid, devices)) = query_filesystem(&dir) else { continue };
        devices_done.insert(mount.device.clone());
        by_fsid.entry(fsid).or_insert(devices);
    }
    by_fsid
}

/// The ioctl request numbers: `_IOR(0x94, 31, 1024)`, `_IOWR(0x94, 30, 4096)`, `_IOWR(0x94, 52, 1032)`.
const BTRFS_IOC_FS_INFO: u64 = 0x8400_941F;
const BTRFS_IOC_DEV_INFO: u64 = 0xD000_941E;
const BTRFS_IOC_GET_DEV_STATS: u64 = 0xC408_9434;

/// Sizes of the kernel's argument structs for the three ioctls.
const FS_INFO_SIZE: usize = 1024;
const DEV_INFO_SIZE: usize = 4096;
const DEV_STATS_SIZE: usize = 1032;

/// Calls one ioctl on `file` with an argument buffer of 8-byte words (the kernel structs are made of
/// u64s and byte arrays, so u64 alignment is right for all three).
fn ioctl(file: &std::fs::File, request: u64, args: &mut [u64]) -> Result<(), std::io::Error> {
    // SAFETY: `args` is a live, writable buffer at least as large as the struct `request` names (the
    // callers size it from the constants above), and the fd is open for the duration of the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), request as _, args.as_mut_ptr()) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Reads native-endian bytes of an argument buffer.
fn bytes_of(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The filesystem id and its devices, or `None` when the mount does not answer as Btrfs.
fn query_filesystem(dir: &std::fs::File) -> Option<([u8; 16], Vec<IoctlDevice>)> {
    let mut info = vec![0u64; FS_INFO_SIZE / 8];
    ioctl(dir, BTRFS_IOC_FS_INFO, &mut info).ok()?;
    let (max_id, num_devices) = (info[0], info[1]);
    let mut fsid = [0u8; 16];
    fsid.copy_from_slice(&bytes_of(&info[2..4]));
    let mut devices = Vec::new();
    for devid in 0..=max_id {
        let mut dev = vec![0u64; DEV_INFO_SIZE / 8];
        dev[0] = devid;
        match ioctl(dir, BTRFS_IOC_DEV_INFO, &mut dev) {
            Ok(()) => {}
            // Device ids need not start at 0 nor be contiguous.
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => continue,
            Err(_) => return None,
        }
        let mut stats = vec![0u64; DEV_STATS_SIZE / 8];
        stats[0] = devid;
        stats[1] = ERROR_TYPES.len() as u64;
        ioctl(dir, BTRFS_IOC_GET_DEV_STATS, &mut stats).ok()?;
        let raw = bytes_of(&dev);
        let path_bytes = &raw[DEV_INFO_SIZE - 1024..];
        let path_len = path_bytes.iter().position(|b| *b == 0).unwrap_or(path_bytes.len());
        let path = String::from_utf8_lossy(&path_bytes[..path_len]).into_owned();
        let mut errors = [0u64; 5];
        errors.copy_from_slice(&stats[3..8]);
        devices.push(IoctlDevice {
            name: path.rsplit('/').next().unwrap_or_default().to_string(),
            uuid: format_uuid(&raw[8..24]),
            bytes_used: dev[3],
            total_bytes: dev[4],
            errors,
        });
        if devices.len() as u64 == num_devices {
            break;
        }
    }
    Some((fsid, devices))
}

/// `8-4-4-4-12` lowercase hex.
fn format_uuid(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if hex.len() != 32 {
        return hex;
    }
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The 16 bytes of a textual uuid (dashes ignored), if it is one.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_round_trip() {
        let text = "64b90051-8699-417e-806c-10f870e4d969";
        let bytes = parse_uuid(text).expect("a uuid");
        assert_eq!(format_uuid(&bytes), text);
        assert_eq!(parse_uuid("not-a-uuid"), None);
    }

    #[test]
    fn ioctl_numbers_are_the_kernels() {
        // _IOC(dir, type, nr, size) = dir << 30 | size << 16 | type << 8 | nr
        let ioc = |dir: u64, nr: u64, size: usize| dir << 30 | (size as u64) << 16 | 0x94 << 8 | nr;
        assert_eq!(BTRFS_IOC_FS_INFO, ioc(2, 31, FS_INFO_SIZE));
        assert_eq!(BTRFS_IOC_DEV_INFO, ioc(3, 30, DEV_INFO_SIZE));
        assert_eq!(BTRFS_IOC_GET_DEV_STATS, ioc(3, 52, DEV_STATS_SIZE));
    }
}
