//! nfsd: NFS server statistics from /proc/net/rpc/nfsd: reply cache, stale file handles, disk bytes,
//! threads, read-ahead cache, packets and connections, RPC counts and errors, and
//! `node_nfsd_requests_total{proto,method}` for NFSv2 and v3 procedures and NFSv4 operations. As
//! node_exporter 1.5: every series is reported (0 when its line is absent), an unknown or malformed
//! line fails the collector, and a host without the NFS server (no file) reports success 0.

use super::nfs::{exactly, label_and_fields, numbers, procedures, V2, V3};
use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// The nfsd collector.
pub(crate) struct Nfsd {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Nfsd {
    pub(crate) fn new(settings: Arc<Settings>) -> Nfsd {
        Nfsd { settings, reader: FileReader::new() }
    }
}

/// The NFSv4 operations node_exporter 1.5 reports, with their position in the `proc4ops` values
/// (after the count; positions 0-2 are unused operation numbers, 23-24 PUTPUBFH/PUTROOTFH are read
/// but not reported).
const V4_OPS: [(&str, usize); 33] = [
    ("Access", 3),
    ("Close", 4),
    ("Commit", 5),
    ("Create", 6),
    ("DelegPurge", 7),
    ("DelegReturn", 8),
    ("GetAttr", 9),
    ("GetFH", 10),
    ("Link", 11),
    ("Lock", 12),
    ("Lockt", 13),
    ("Locku", 14),
    ("Lookup", 15),
    ("LookupRoot", 16),
    ("Nverify", 17),
    ("Open", 18),
    ("OpenAttr", 19),
    ("OpenConfirm", 20),
    ("OpenDgrd", 21),
    ("PutFH", 22),
    ("Read", 25),
    ("ReadDir", 26),
    ("ReadLink", 27),
    ("Remove", 28),
    ("Rename", 29),
    ("Renew", 30),
    ("RestoreFH", 31),
    ("SaveFH", 32),
    ("SecInfo", 33),
    ("SetAttr", 34),
    ("Verify", 35),
    ("Write", 36),
    ("RelLockOwner", 37),
];

/// Server statistics, zero where the file has no line.
struct Stats {
    reply_cache: [u64; 3],
    file_handles: [u64; 5],
    io: [u64; 2],
    threads: [u64; 2],
    read_ahead: [u64; 12],
    network: [u64; 4],
    rpc: [u64; 5],
    v2: [u64; 18],
    v3: [u64; 22],
    v4_ops: [u64; 39],
}

fn parse(text: &str, path: &Path) -> Result<Stats, CollectError> {
    let mut stats = Stats {
        reply_cache: [0; 3],
        file_handles: [0; 5],
        io: [0; 2],
        threads: [0; 2],
        read_ahead: [0; 12],
        network: [0; 4],
        rpc: [0; 5],
        v2: [0; 18],
        v3: [0; 22],
        v4_ops: [0; 39],
    };
    for line in text.lines() {
        let (label, rest) = label_and_fields(line, path)?;
        // The thread line ends in a histogram of floats (always 0 since Linux 4.x): only the first
        // two values count.
        let rest = if label == "th" {
            rest.get(..2).ok_or_else(|| CollectError::parse(path, "short th line"))?
        } else {
            &rest
        };
        let values = numbers(rest).ok_or_else(|| CollectError::parse(path, "not a number"))?;
        match label {
            "rc" => exactly(&values, &mut stats.reply_cache, path)?,
            "fh" => exactly(&values, &mut stats.file_handles, path)?,
            "io" => exactly(&values, &mut stats.io, path)?,
            "th" => exactly(&values, &mut stats.threads, path)?,
            "ra" => exactly(&values, &mut stats.read_ahead, path)?,
            "net" => exactly(&values, &mut stats.network, path)?,
            "rpc" => exactly(&values, &mut stats.rpc, path)?,
            "proc2" => procedures(&values, 18, &mut stats.v2, path)?,
            "proc3" => procedures(&values, 22, &mut stats.v3, path)?,
            // NULL and COMPOUND counts: checked, not reported.
            "proc4" if matches!(values.as_slice(), [2, _, _]) => {}
            "proc4" => return Err(CollectError::parse(path, "proc4 needs 2 values")),
            "proc4ops" => procedures(&values, 39, &mut stats.v4_ops, path)?,
            _ => return Err(CollectError::parse(path, "unknown line")),
        }
    }
    Ok(stats)
}

/// The nfsd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "nfsd",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Nfsd::new(settings)),
};

impl Collector for Nfsd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/rpc/nfsd");
        let s = parse(self.settings.absences.read_str(&mut self.reader, &path)?, &path)?;
        let none = Vec::new;
        out.counter(
            "node_nfsd_reply_cache_hits_total",
            "Total number of NFSd Reply Cache hits (client lost server response).",
            none(),
            s.reply_cache[0] as f64,
        );
        out.counter(
            "node_nfsd_reply_cache_misses_total",
            "Total number of NFSd Reply Cache an operation that requires caching (idempotent).",
            none(),
            s.reply_cache[1] as f64,
        );
        out.counter(
            "node_nfsd_reply_cache_nocache_total",
            "Total number of NFSd Reply Cache non-idempotent operations (rename/delete/\u{2026}).",
            none(),
            s.reply_cache[2] as f64,
        );
        out.counter(
            "node_nfsd_file_handles_stale_total",
            "Total number of NFSd stale file handles",
            none(),
            s.file_handles[0] as f64,
        );
        out.counter("node_nfsd_disk_bytes_read_total", "Total NFSd bytes read.", none(), s.io[0] as f64);
        out.counter(
            "node_nfsd_disk_bytes_written_total",
            "Total NFSd bytes written.",
            none(),
            s.io[1] as f64,
        );
        out.gauge(
            "node_nfsd_server_threads",
            "Total number of NFSd kernel threads that are running.",
            none(),
            s.threads[0] as f64,
        );
        out.gauge(
            "node_nfsd_read_ahead_cache_size_blocks",
            "How large the read ahead cache is in blocks.",
            none(),
            s.read_ahead[0] as f64,
        );
        out.counter(
            "node_nfsd_read_ahead_cache_not_found_total",
            "Total number of NFSd read ahead cache not found.",
            none(),
            s.read_ahead[11] as f64,
        );
        let packets = "Total NFSd network packets (sent+received) by protocol type.";
        out.counter("node_nfsd_packets_total", packets, pairs(&[("proto", "udp")]), s.network[1] as f64);
        out.counter("node_nfsd_packets_total", packets, pairs(&[("proto", "tcp")]), s.network[2] as f64);
        out.counter(
            "node_nfsd_connections_total",
            "Total number of NFSd TCP connections.",
            none(),
            s.network[3] as f64,
        );
        let errors = "Total number of NFSd RPC errors by error type.";
        for (error, value) in [("fmt", s.rpc[2]), ("auth", s.rpc[3]), ("cInt", s.rpc[4])] {
            out.counter("node_nfsd_rpc_errors_total", errors, pairs(&[("error", error)]), value as f64);
        }
        out.counter("node_nfsd_server_rpcs_total", "Total number of NFSd RPCs.", none(), s.rpc[0] as f64);
        let help = "Total number NFSd Requests by method and protocol.";
        let mut request = |proto: &str, method: &str, value: u64| {
            out.counter(
                "node_nfsd_requests_total",
                help,
                pairs(&[("method", method), ("proto", proto)]),
                value as f64,
            )
        };
        // NULL procedures are not reported.
        for (method, value) in V2.iter().zip(s.v2).skip(1) {
            request("2", method, value);
        }
        for (method, value) in V3.iter().zip(s.v3).skip(1) {
            request("3", method, value);
        }
        for (method, index) in V4_OPS {
            request("4", method, s.v4_ops[index]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_like_node_exporter() {
        let path = Path::new("nfsd");
        let stats = parse("th 8 0 0.000 0.000\nproc4 2 1 2\nrpc 1 2 3 4 5\n", path).expect("valid");
        assert_eq!(stats.threads, [8, 0]);
        assert_eq!(stats.rpc, [1, 2, 3, 4, 5]);
        assert!(parse("", path).is_ok());
        assert!(parse("th 8\n", path).is_err());
        assert!(parse("proc4 3 1 2 3\n", path).is_err());
        assert!(parse("proc4ops 2 1 2\n", path).is_err(), "fewer than 39 operations");
        assert!(parse("rc 1 2\n", path).is_err());
        assert!(parse("wdeleg_getattr 0\n", path).is_err());
    }
}
