//! mountstats (opt-in): NFS client statistics per mount from <procfs>/self/mountstats, as
//! node_exporter 1.5 (`node_mountstats_nfs_*{export,protocol,mountaddr}` plus `operation` for the
//! per-operation counters). `mountaddr` is the `addr=` super option of the same entry in
//! <procfs>/self/mountinfo (both files list mounts in the same order); a second mount of the same
//! export, protocol and address is skipped. Millisecond totals and idle times are taken modulo 2^53
//! as node_exporter does, so they stay exact in a float.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// 2^53, node_exporter's `float64Mantissa`.
const MANTISSA: u64 = 9_007_199_254_740_992;

/// `bytes:` columns: `(metric suffix, help)`.
const BYTES: [(&str, &str); 8] = [
    ("read_bytes_total", "Number of bytes read using the read() syscall."),
    ("write_bytes_total", "Number of bytes written using the write() syscall."),
    ("direct_read_bytes_total", "Number of bytes read using the read() syscall in O_DIRECT mode."),
    ("direct_write_bytes_total", "Number of bytes written using the write() syscall in O_DIRECT mode."),
    ("total_read_bytes_total", "Number of bytes read from the NFS server, in total."),
    ("total_write_bytes_total", "Number of bytes written to the NFS server, in total."),
    ("read_pages_total", "Number of pages read directly via mmap()'d files."),
    ("write_pages_total", "Number of pages written directly via mmap()'d files."),
];

/// `events:` columns (27; column 18, congestion wait, is not exported): `(column, suffix, help)`.
const EVENTS: [(usize, &str, &str); 26] = [
    (
        0,
        "event_inode_revalidate_total",
        "Number of times cached inode attributes are re-validated from the server.",
    ),
    (
        1,
        "event_dnode_revalidate_total",
        "Number of times cached dentry nodes are re-validated from the server.",
    ),
    (2, "event_data_invalidate_total", "Number of times an inode cache is cleared."),
    (3, "event_attribute_invalidate_total", "Number of times cached inode attributes are invalidated."),
    (4, "event_vfs_open_total", "Number of times cached inode attributes are invalidated."),
    (5, "event_vfs_lookup_total", "Number of times a directory lookup has occurred."),
    (6, "event_vfs_access_total", "Number of times permissions have been checked."),
    (7, "event_vfs_update_page_total", "Number of updates (and potential writes) to pages."),
    (8, "event_vfs_read_page_total", "Number of pages read directly via mmap()'d files."),
    (9, "event_vfs_read_pages_total", "Number of times a group of pages have been read."),
    (10, "event_vfs_write_page_total", "Number of pages written directly via mmap()'d files."),
    (11, "event_vfs_write_pages_total", "Number of times a group of pages have been written."),
    (12, "event_vfs_getdents_total", "Number of times directory entries have been read with getdents()."),
    (13, "event_vfs_setattr_total", "Number of times directory entries have been read with getdents()."),
    (
        14,
        "event_vfs_flush_total",
        "Number of pending writes that have been forcefully flushed to the server.",
    ),
    (15, "event_vfs_fsync_total", "Number of times fsync() has been called on directories and files."),
    (16, "event_vfs_lock_total", "Number of times locking has been attempted on a file."),
    (17, "event_vfs_file_release_total", "Number of times files have been closed and released."),
    (19, "event_truncation_total", "Number of times files have been truncated."),
    (
        20,
        "event_write_extension_total",
        "Number of times a file has been grown due to writes beyond its existing end.",
    ),
    (
        21,
        "event_silly_rename_total",
        "Number of times a file was removed while still open by another process.",
    ),
    (
        22,
        "event_short_read_total",
        "Number of times the NFS server gave less data than expected while reading.",
    ),
    (
        23,
        "event_short_write_total",
        "Number of times the NFS server wrote less data than expected while writing.",
    ),
    (
        24,
        "event_jukebox_delay_total",
        "Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.",
    ),
    (25, "event_pnfs_read_total", "Number of NFS v4.1+ pNFS reads."),
    (26, "event_pnfs_write_total", "Number of NFS v4.1+ pNFS writes."),
];

/// Transport columns in procfs' order (udp lines get zero connect/idle columns), with the exported
/// ones: `(column, suffix, help, is a counter)`.
const TRANSPORT: [(usize, &str, &str, bool); 10] = [
    (
        1,
        "transport_bind_total",
        "Number of times the client has had to establish a connection from scratch to the NFS server.",
        true,
    ),
    (
        2,
        "transport_connect_total",
        "Number of times the client has made a TCP connection to the NFS server.",
        true,
    ),
    (
        4,
        "transport_idle_time_seconds",
        "Duration since the NFS mount last saw any RPC traffic, in seconds.",
        false,
    ),
    (5, "transport_sends_total", "Number of RPC requests for this mount sent to the NFS server.", true),
    (
        6,
        "transport_receives_total",
        "Number of RPC responses for this mount received from the NFS server.",
        true,
    ),
    (
        7,
        "transport_bad_transaction_ids_total",
        "Number of times the NFS server sent a response with a transaction ID unknown to this client.",
        true,
    ),
    (9, "transport_backlog_queue_total", "Total number of items added to the RPC backlog queue.", true),
    (
        10,
        "transport_maximum_rpc_slots",
        "Maximum number of simultaneously active RPC requests ever used.",
        false,
    ),
    (
        11,
        "transport_sending_queue_total",
        "Total number of items added to the RPC transmission sending queue.",
        true,
    ),
    (
        12,
        "transport_pending_queue_total",
        "Total number of items added to the RPC transmission pending queue.",
        true,
    ),
];

/// Per-operation columns: `(column, suffix, help, milliseconds)`.
const OPERATIONS: [(usize, &str, &str, bool); 8] = [
    (0, "operations_requests_total", "Number of requests performed for a given operation.", false),
    (
        1,
        "operations_transmissions_total",
        "Number of times an actual RPC request has been transmitted for a given operation.",
        false,
    ),
    (2, "operations_major_timeouts_total", "Number of times a request has had a major timeout for a given operation.", false),
    (
        3,
        "operations_sent_bytes_total",
        "Number of bytes sent for a given operation, including RPC headers and payload.",
        false,
    ),
    (
        4,
        "operations_received_bytes_total",
        "Number of bytes received for a given operation, including RPC headers and payload.",
        false,
    ),
    (
        5,
        "operations_queue_time_seconds_total",
        "Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.",
        true,
    ),
    (
        6,
        "operations_response_time_seconds_total",
        "Duration all requests took to get a reply back after a request for a given operation was transmitted, in seconds.",
        true,
    ),
    (
        7,
        "operations_request_time_seconds_total",
        "Duration all requests took from when a request was enqueued to when it was completely handled for a given operation, in seconds.",
        true,
    ),
];

/// The statistics of one NFS mount.
#[derive(Debug, Default)]
struct NfsStats {
    age: f64,
    bytes: Vec<u64>,
    events: Vec<u64>,
    protocol: String,
    transport: Vec<u64>,
    operations: Vec<(String, Vec<u64>)>,
}

/// One `device ... mounted on ... with fstype ...` entry, with NFS statistics if it has any.
#[derive(Debug)]
struct Mount {
    device: String,
    stats: Option<NfsStats>,
}

/// Parses unsigned integers, all or nothing.
fn numbers(fields: &[&str], path: &Path) -> Result<Vec<u64>, CollectError> {
    fields
        .iter()
        .map(|f| parse_u64(f))
        .collect::<Option<_>>()
        .ok_or_else(|| CollectError::parse(path, "not a number"))
}

/// Parses /proc/<pid>/mountstats as procfs does.
fn parse_mountstats(text: &str, path: &Path) -> Result<Vec<Mount>, CollectError> {
    let bad = |reason| CollectError::parse(path, reason);
    let mut mounts = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let ss: Vec<&str> = line.split_ascii_whitespace().collect();
        if ss.first() != Some(&"device") {
            continue;
        }
        if ss.len() < 8 || ss[2] != "mounted" || ss[3] != "on" || ss[5] != "with" || ss[6] != "fstype" {
            return Err(bad("invalid device line"));
        }
        let mut mount = Mount { device: ss[1].to_string(), stats: None };
        if ss.len() > 8 {
            if ss[7] != "nfs" && ss[7] != "nfs4" {
                return Err(bad("statistics for a filesystem other than NFS"));
            }
            let version = ss[8].trim_start_matches("statvers=");
            mount.stats = Some(parse_nfs(&mut lines, version, path)?);
        }
        mounts.push(mount);
    }
    Ok(mounts)
}

/// Parses the statistics lines of one NFS mount, up to the blank line after its per-op statistics.
fn parse_nfs<'a>(
    lines: &mut impl Iterator<Item = &'a str>,
    version: &str,
    path: &Path,
) -> Result<NfsStats, CollectError> {
    let bad = |reason| CollectError::parse(path, reason);
    let mut stats = NfsStats::default();
    for line in lines.by_ref() {
        let ss: Vec<&str> = line.split_ascii_whitespace().collect();
        let Some(&key) = ss.first() else { break };
        match key {
            "age:" => stats.age = ss.get(1).and_then(|a| parse_f64(a)).ok_or_else(|| bad("bad age"))?,
            "bytes:" if ss.len() == 9 => stats.bytes = numbers(&ss[1..], path)?,
            "bytes:" => return Err(bad("bytes: wants 8 numbers")),
            "events:" if ss.len() == 28 => stats.events = numbers(&ss[1..], path)?,
            "events:" => return Err(bad("events: wants 27 numbers")),
            "xprt:" => {
                let (Some(protocol), values) = (ss.get(1), ss.get(2..).unwrap_or(&[])) else {
                    return Err(bad("xprt: without a protocol"));
                };
                let wanted = match (version, *protocol) {
                    ("1.0", "tcp") => 10,
                    ("1.0", "udp") => 7,
                    ("1.1", "tcp") => 13,
                    ("1.1", "udp") => 10,
                    _ => return Err(bad("unknown statistics version or transport protocol")),
                };
                if values.len() != wanted {
                    return Err(bad("xprt: with an unexpected number of columns"));
                }
                let mut columns = numbers(values, path)?;
                if *protocol == "udp" {
                    columns.splice(2..2, [0, 0, 0]);
                }
                columns.resize(13, 0);
                stats.protocol = protocol.to_string();
                stats.transport = columns;
            }
            "per-op" => break,
            _ => {}
        }
    }
    for line in lines.by_ref() {
        let ss: Vec<&str> = line.split_ascii_whitespace().collect();
        if ss.is_empty() {
            break;
        }
        if ss.len() < 9 {
            return Err(bad("per-op statistics with fewer than 8 numbers"));
        }
        stats.operations.push((ss[0].trim_end_matches(':').to_string(), numbers(&ss[1..], path)?));
    }
    if stats.bytes.is_empty() {
        stats.bytes = vec![0; 8];
    }
    if stats.events.is_empty() {
        stats.events = vec![0; 27];
    }
    if stats.transport.is_empty() {
        stats.transport = vec![0; 13];
    }
    Ok(stats)
}

/// The `addr=` super option of each mountinfo line, in order.
fn mount_addresses(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let Some((_, after)) = line.split_once(" - ") else { return String::new() };
            let options = after.split_ascii_whitespace().nth(2).unwrap_or("");
            options.split(',').find_map(|o| o.strip_prefix("addr=")).unwrap_or("").to_string()
        })
        .collect()
}

/// The mountstats collector.
pub(crate) struct MountStats {
    settings: Arc<Settings>,
    reader: FileReader,
}

/// The mountstats collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "mountstats",
    enabled_by_default: false,
    placement: Placement::Mounts,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(MountStats { settings, reader: FileReader::new() }),
};

impl Collector for MountStats {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("self/mountstats");
        let mounts = parse_mountstats(self.reader.read_str(&path)?, &path)?;
        let addresses = mount_addresses(self.reader.read_str(&self.settings.proc("self/mountinfo"))?);
        let mut seen = BTreeSet::new();
        for (index, mount) in mounts.iter().enumerate() {
            let Some(stats) = &mount.stats else { continue };
            let address = addresses.get(index).map_or("", String::as_str);
            if !seen.insert((mount.device.as_str(), stats.protocol.as_str(), address)) {
                continue;
            }
            let base = [
                ("export", mount.device.as_str()),
                ("protocol", stats.protocol.as_str()),
                ("mountaddr", address),
            ];
            let series = pairs(&base);
            let name = |suffix: &str| format!("node_mountstats_nfs_{suffix}");
            out.counter(
                &name("age_seconds_total"),
                "The age of the NFS mount in seconds.",
                series,
                stats.age,
            );
            for ((suffix, help), value) in BYTES.iter().zip(&stats.bytes) {
                out.counter(&name(suffix), help, series, *value as f64);
            }
            for (column, suffix, help, counter) in TRANSPORT {
                let mut value = stats.transport[column];
                if column == 4 {
                    value %= MANTISSA;
                }
                if counter {
                    out.counter(&name(suffix), help, series, value as f64);
                } else {
                    out.gauge(&name(suffix), help, series, value as f64);
                }
            }
            for (operation, values) in &stats.operations {
                let mut pairs = base.to_vec();
                pairs.push(("operation", operation));
                let op_series = labels(&pairs);
                for (column, suffix, help, milliseconds) in OPERATIONS {
                    let value = if milliseconds {
                        (values[column] % MANTISSA) as f64 / 1000.0
                    } else {
                        values[column] as f64
                    };
                    out.counter(&name(suffix), help, op_series.clone(), value);
                }
            }
            for (column, suffix, help) in EVENTS {
                out.counter(&name(suffix), help, series, stats.events[column] as f64);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_mountstats_are_errors_not_panics() {
        let path = Path::new("mountstats");
        assert!(parse_mountstats("device x mounted on /y with fstype ext4\n", path)
            .is_ok_and(|m| m[0].stats.is_none()));
        assert!(parse_mountstats("device x mounted at /y with fstype ext4\n", path).is_err());
        assert!(parse_mountstats("device x mounted on /y with fstype ext4 statvers=1.1\n", path).is_err());
        let nfs = "device a:/b mounted on /c with fstype nfs statvers=1.1\n\txprt:\ttcp 1 2\n";
        assert!(parse_mountstats(nfs, path).is_err());
        let ops =
            "device a:/b mounted on /c with fstype nfs statvers=1.1\n\tper-op statistics\n\tNULL: 1 2\n";
        assert!(parse_mountstats(ops, path).is_err());
        assert_eq!(mount_addresses("1 2 0:1 / /m rw - nfs a:/b rw,addr=10.0.0.1\nbad\n"), ["10.0.0.1", ""]);
    }
}
