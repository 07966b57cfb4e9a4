//! tapestats: SCSI tape drive statistics from /sys/class/scsi_tape/stN/stats: `node_tape_io_now{device}`
//! and the `node_tape_*_total{device}` counters (I/O counts, bytes, times in seconds). Only `stN`
//! entries are read (not the `nstN`/`stNa` variants). As node_exporter 1.5: a missing statistics
//! file counts 0, an unreadable one fails the collector; a host without tapes reports success 0.
//! (Where node_exporter 1.5 crashes on an unparsable statistic, ours fails.)

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, parse_uint_prefixed, read_attribute};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The tapestats collector.
pub(crate) struct TapeStats {
    settings: Arc<Settings>,
    /// `class/scsi_tape`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl TapeStats {
    pub(crate) fn new(settings: Arc<Settings>) -> TapeStats {
        TapeStats { class: settings.sys("class/scsi_tape"), settings }
    }
}

/// The statistics: file in `stats/`, metric name, help, and the scale (nanoseconds to seconds).
const STATS: [(&str, &str, &str, f64); 10] = [
    ("in_flight", "node_tape_io_now", "The number of I/Os currently outstanding to this device.", 1.0),
    (
        "io_ns",
        "node_tape_io_time_seconds_total",
        "The amount of time spent waiting for all I/O to complete (including read and write). This includes tape movement commands such as seeking between file or set marks and implicit tape movement such as when rewind on close tape devices are used.",
        0.000000001,
    ),
    (
        "other_cnt",
        "node_tape_io_others_total",
        "The number of I/Os issued to the tape drive other than read or write commands. The time taken to complete these commands uses the following calculation io_time_seconds_total-read_time_seconds_total-write_time_seconds_total",
        1.0,
    ),
    ("read_byte_cnt", "node_tape_read_bytes_total", "The number of bytes read from the tape drive.", 1.0),
    ("read_cnt", "node_tape_reads_completed_total", "The number of read requests issued to the tape drive.", 1.0),
    (
        "read_ns",
        "node_tape_read_time_seconds_total",
        "The amount of time spent waiting for read requests to complete.",
        0.000000001,
    ),
    (
        "resid_cnt",
        "node_tape_residual_total",
        "The number of times during a read or write we found the residual amount to be non-zero. This should mean that a program is issuing a read larger thean the block size on tape. For write not all data made it to tape.",
        1.0,
    ),
    ("write_byte_cnt", "node_tape_written_bytes_total", "The number of bytes written to the tape drive.", 1.0),
    ("write_cnt", "node_tape_writes_completed_total", "The number of write requests issued to the tape drive.", 1.0),
    (
        "write_ns",
        "node_tape_write_time_seconds_total",
        "The amount of time spent waiting for write requests to complete.",
        0.000000001,
    ),
];

/// `stN`, with N one or more digits.
fn is_tape(name: &str) -> bool {
    name.strip_prefix("st").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The tapestats collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "tapestats",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(TapeStats::new(settings)),
};

impl Collector for TapeStats {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.class.clone();
        let ignored =
            |name: &str| self.settings.tapestats_ignored_devices.as_ref().is_some_and(|i| i.is_match(name));
        for tape in self.settings.absences.list_dir(&class)?.into_iter().filter(|n| is_tape(n) && !ignored(n))
        {
            let stats = class.join(&tape).join("stats");
            let mut values = [0u64; STATS.len()];
            for file in list_dir(&stats)? {
                let path = stats.join(&file);
                let text = read_attribute(&path).map_err(|e| CollectError::io(&path, e))?;
                if let Some(i) = STATS.iter().position(|s| s.0 == file) {
                    values[i] = parse_uint_prefixed(&text)
                        .ok_or_else(|| CollectError::parse(&path, "not a counter"))?;
                }
            }
            for ((_, metric, help, scale), value) in STATS.iter().zip(values) {
                let series = labels(&[("device", &tape)]);
                if *metric == "node_tape_io_now" {
                    out.gauge(metric, help, series, value as f64);
                } else {
                    out.counter(metric, help, series, value as f64 * scale);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_st_devices_are_tapes() {
        assert!(is_tape("st0") && is_tape("st12"));
        assert!(!is_tape("nst0") && !is_tape("st0a") && !is_tape("st") && !is_tape("st-1"));
    }
}
