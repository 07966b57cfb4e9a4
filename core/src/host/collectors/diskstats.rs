//! diskstats: per-device I/O counters from /proc/diskstats (`node_disk_*`, sectors turned into bytes,
//! milliseconds into seconds; discards and flushes where the kernel has them) and, from udev's database
//! (`--path.udev.data`), `node_disk_info` with model/serial/path/wwn/revision, `node_disk_filesystem_info`
//! (`ID_FS_*`), `node_disk_ata_*` and `node_disk_device_mapper_info`. Devices are filtered with node_exporter's default exclusion
//! (partitions, ram, loop, fd).

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, path_in, FileReader};
use crate::host::settings::{device_selected, Settings};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::MetricType;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Bytes per /proc/diskstats sector (always 512, whatever the device's sector size).
const SECTOR: f64 = 512.0;

/// `(metric, help, type, scale)` for /proc/diskstats columns 4.. in order.
const COLUMNS: [(&str, &str, MetricType, f64); 17] = [
    (
        "node_disk_reads_completed_total",
        "The total number of reads completed successfully.",
        MetricType::Counter,
        1.0,
    ),
    ("node_disk_reads_merged_total", "The total number of reads merged.", MetricType::Counter, 1.0),
    (
        "node_disk_read_bytes_total",
        "The total number of bytes read successfully.",
        MetricType::Counter,
        SECTOR,
    ),
    (
        "node_disk_read_time_seconds_total",
        "The total number of seconds spent by all reads.",
        MetricType::Counter,
        0.001,
    ),
    (
        "node_disk_writes_completed_total",
        "The total number of writes completed successfully.",
        MetricType::Counter,
        1.0,
    ),
    ("node_disk_writes_merged_total", "The number of writes merged.", MetricType::Counter, 1.0),
    (
        "node_disk_written_bytes_total",
        "The total number of bytes written successfully.",
        MetricType::Counter,
        SECTOR,
    ),
    (
        "node_disk_write_time_seconds_total",
        "This is the total number of seconds spent by all writes.",
        MetricType::Counter,
        0.001,
    ),
    ("node_disk_io_now", "The number of I/Os currently in progress.", MetricType::Gauge, 1.0),
    ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", MetricType::Counter, 0.001),
    (
        "node_disk_io_time_weighted_seconds_total",
        "The weighted # of seconds spent doing I/Os.",
        MetricType::Counter,
        0.001,
    ),
    (
        "node_disk_discards_completed_total",
        "The total number of discards completed successfully.",
        MetricType::Counter,
        1.0,
    ),
    ("node_disk_discards_merged_total", "The total number of discards merged.", MetricType::Counter, 1.0),
    (
        "node_disk_discarded_sectors_total",
        "The total number of sectors discarded successfully.",
        MetricType::Counter,
        1.0,
    ),
    (
        "node_disk_discard_time_seconds_total",
        "This is the total number of seconds spent by all discards.",
        MetricType::Counter,
        0.001,
    ),
    (
        "node_disk_flush_requests_total",
        "The total number of flush requests completed successfully",
        MetricType::Counter,
        1.0,
    ),
    (
        "node_disk_flush_requests_time_seconds_total",
        "This is the total number of seconds spent by all flush requests.",
        MetricType::Counter,
        0.001,
    ),
];

/// udev properties for `node_disk_info`, as `(udev key, label)`.
const UDEV_LABELS: [(&str, &str); 5] = [
    ("ID_MODEL", "model"),
    ("ID_PATH", "path"),
    ("ID_REVISION", "revision"),
    ("ID_SERIAL_SHORT", "serial"),
    ("ID_WWN", "wwn"),
];

/// `(udev key, metric, help)` of the ATA gauges node_exporter derives from udev.
const ATA_GAUGES: [(&str, &str, &str); 3] = [
    (
        "ID_ATA_ROTATION_RATE_RPM",
        "node_disk_ata_rotation_rate_rpm",
        "ATA disk rotation rate in RPMs (0 for SSDs).",
    ),
    ("ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."),
    (
        "ID_ATA_WRITE_CACHE_ENABLED",
        "node_disk_ata_write_cache_enabled",
        "ATA disk has its write cache enabled.",
    ),
];

/// `node_disk_filesystem_info` (when udev found a filesystem, `ID_FS_TYPE`), `node_disk_ata_*` (for
/// ATA disks, `ID_ATA=1`) and `node_disk_device_mapper_info` (when udev names a device-mapper
/// device) from udev properties.
fn emit_udev_extras(out: &mut Emitter, device: &str, udev: &str) {
    let get = |key: &str| udev_property(udev, key);
    if let Some(fs_type) = get("ID_FS_TYPE").filter(|t| !t.is_empty()) {
        out.gauge(
            "node_disk_filesystem_info",
            "Info about disk filesystem.",
            pairs(&[
                ("device", device),
                ("type", fs_type),
                ("usage", get("ID_FS_USAGE").unwrap_or("")),
                ("uuid", get("ID_FS_UUID").unwrap_or("")),
                ("version", get("ID_FS_VERSION").unwrap_or("")),
            ]),
            1.0,
        );
    }
    let ata = get("ID_ATA") == Some("1");
    for (key, name, help) in ATA_GAUGES.iter().filter(|_| ata) {
        if let Some(value) = get(key).and_then(|v| v.parse::<f64>().ok()) {
            out.gauge(name, help, pairs(&[("device", device)]), value);
        }
    }
    if let Some(dm_name) = get("DM_NAME") {
        out.gauge(
            "node_disk_device_mapper_info",
            "Info about disk device mapper.",
            pairs(&[
                ("device", device),
                ("lv_layer", get("DM_LV_LAYER").unwrap_or("")),
                ("lv_name", get("DM_LV_NAME").unwrap_or("")),
                ("name", dm_name),
                ("uuid", get("DM_UUID").unwrap_or("")),
                ("vg_name", get("DM_VG_NAME").unwrap_or("")),
            ]),
            1.0,
        );
    }
}

/// The value of `E:key=value` in a udev database entry, if it has one.
fn udev_property<'a>(udev: &'a str, key: &str) -> Option<&'a str> {
    udev.lines().find_map(|line| line.strip_prefix("E:")?.strip_prefix(key)?.strip_prefix('='))
}

/// The diskstats collector.
pub(crate) struct DiskStats {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Reads udev's database (kept apart: its text is used while /proc/diskstats' is walked).
    udev: FileReader,
    /// Reused between collections: /proc/diskstats' text and the paths read.
    text: String,
    path: PathBuf,
    udev_path: PathBuf,
    udev_name: String,
}

impl DiskStats {
    pub(crate) fn new(settings: Arc<Settings>) -> DiskStats {
        DiskStats {
            settings,
            reader: FileReader::new(),
            udev: FileReader::new(),
            text: String::new(),
            path: PathBuf::new(),
            udev_path: PathBuf::new(),
            udev_name: String::new(),
        }
    }
}

/// The diskstats collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "diskstats",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(DiskStats::new(settings)),
};

impl Collector for DiskStats {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = path_in(&mut self.path, &self.settings.procfs, &["diskstats"]);
        self.reader.read_to(path, &mut self.text)?;
        for line in self.text.lines() {
            let mut fields = [""; 3 + COLUMNS.len()];
            let mut found = 0;
            for (slot, field) in fields.iter_mut().zip(line.split_ascii_whitespace()) {
                *slot = field;
                found += 1;
            }
            if found < 14 {
                continue;
            }
            let (major, minor, device) = (fields[0], fields[1], fields[2]);
            if !device_selected(
                device,
                &self.settings.diskstats_device_include,
                &self.settings.diskstats_device_exclude,
            ) {
                continue;
            }
            self.udev_name.clear();
            let _ = write!(self.udev_name, "b{major}:{minor}");
            let udev_path = path_in(&mut self.udev_path, &self.settings.udev_data, &[&self.udev_name]);
            // A device udev knows nothing about has no entry: empty properties.
            let udev = self.settings.absences.try_read_str(&mut self.udev, udev_path).unwrap_or("");
            // The serial is ID_SERIAL_SHORT, as in node_exporter 1.5 (later releases prefer
            // SCSI_IDENT_SERIAL when udev has it).
            let udev_label = |key| udev_property(udev, key).unwrap_or("");
            let [model, path, revision, serial, wwn] = UDEV_LABELS.map(|(key, _)| udev_label(key));
            let info = [
                ("device", device),
                ("major", major),
                ("minor", minor),
                (UDEV_LABELS[0].1, model),
                (UDEV_LABELS[1].1, path),
                (UDEV_LABELS[2].1, revision),
                (UDEV_LABELS[3].1, serial),
                (UDEV_LABELS[4].1, wwn),
            ];
            out.gauge("node_disk_info", "Info of /sys/block/<block_device>.", &info, 1.0);
            emit_udev_extras(out, device, udev);
            for ((name, help, kind, scale), value) in COLUMNS.iter().zip(&fields[3..found]) {
                let Some(value) = parse_u64(value) else { continue };
                out.sample(name, help, *kind, pairs(&[("device", device)]), value as f64 * scale);
            }
        }
        Ok(())
    }
}
