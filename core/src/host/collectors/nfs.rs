//! nfs: NFS client RPC statistics from /proc/net/rpc/nfs: `node_nfs_packets_total{protocol}`,
//! `node_nfs_connections_total`, `node_nfs_rpcs_total`, `node_nfs_rpc_retransmissions_total`,
//! `node_nfs_rpc_authentication_refreshes_total` and `node_nfs_requests_total{proto,method}` for
//! NFSv2, v3 and v4 procedures. As node_exporter 1.5: every known procedure is reported (0 when its
//! line is absent; a short v4 line is padded with zeros), an unknown or malformed line fails the
//! collector, and a host without the NFS client module (no file) reports success 0.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// The nfs collector.
pub(crate) struct Nfs {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Nfs {
    pub(crate) fn new(settings: Arc<Settings>) -> Nfs {
        Nfs { settings, reader: FileReader::new() }
    }
}

/// NFSv2 procedures, in the kernel's order (node_exporter's method names).
pub(crate) const V2: [&str; 18] = [
    "Null", "GetAttr", "SetAttr", "Root", "Lookup", "ReadLink", "Read", "WrCache", "Write", "Create",
    "Remove", "Rename", "Link", "SymLink", "MkDir", "RmDir", "ReadDir", "FsStat",
];

/// NFSv3 procedures, in the kernel's order.
pub(crate) const V3: [&str; 22] = [
    "Null",
    "GetAttr",
    "SetAttr",
    "Lookup",
    "Access",
    "ReadLink",
    "Read",
    "Write",
    "Create",
    "MkDir",
    "SymLink",
    "MkNod",
    "Remove",
    "RmDir",
    "Rename",
    "Link",
    "ReadDir",
    "ReadDirPlus",
    "FsStat",
    "FsInfo",
    "PathConf",
    "Commit",
];

/// The NFSv4 client operations node_exporter 1.5 maps, in the order of the `proc4` values (later
/// kernel additions are ignored).
const V4: [&str; 59] = [
    "Null",
    "Read",
    "Write",
    "Commit",
    "Open",
    "OpenConfirm",
    "OpenNoattr",
    "OpenDowngrade",
    "Close",
    "Setattr",
    "FsInfo",
    "Renew",
    "SetClientID",
    "SetClientIDConfirm",
    "Lock",
    "Lockt",
    "Locku",
    "Access",
    "Getattr",
    "Lookup",
    "LookupRoot",
    "Remove",
    "Rename",
    "Link",
    "Symlink",
    "Create",
    "Pathconf",
    "StatFs",
    "ReadLink",
    "ReadDir",
    "ServerCaps",
    "DelegReturn",
    "GetACL",
    "SetACL",
    "FsLocations",
    "ReleaseLockowner",
    "Secinfo",
    "FsidPresent",
    "ExchangeID",
    "CreateSession",
    "DestroySession",
    "Sequence",
    "GetLeaseTime",
    "ReclaimComplete",
    "LayoutGet",
    "GetDeviceInfo",
    "LayoutCommit",
    "LayoutReturn",
    "SecinfoNoName",
    "TestStateID",
    "FreeStateID",
    "GetDeviceList",
    "BindConnToSession",
    "DestroyClientID",
    "Seek",
    "Allocate",
    "DeAllocate",
    "LayoutStats",
    "Clone",
];

/// A line's label and the fields after it; an empty line, or one without values, is an error.
pub(crate) fn label_and_fields<'l>(
    line: &'l str,
    path: &Path,
) -> Result<(&'l str, Vec<&'l str>), CollectError> {
    let mut fields = line.split_whitespace();
    let label = fields.next().ok_or_else(|| CollectError::parse(path, "empty line"))?;
    let rest: Vec<&str> = fields.collect();
    if rest.is_empty() {
        return Err(CollectError::parse(path, "line without values"));
    }
    Ok((label, rest))
}

/// Copies `values` into `into` when they are exactly as many.
pub(crate) fn exactly(values: &[u64], into: &mut [u64], path: &Path) -> Result<(), CollectError> {
    if values.len() != into.len() {
        return Err(CollectError::parse(path, "wrong number of values"));
    }
    into.copy_from_slice(values);
    Ok(())
}

/// The numbers after a line's label (decimal, digits only), or `None` if one is not a number.
pub(crate) fn numbers(fields: &[&str]) -> Option<Vec<u64>> {
    fields.iter().map(|f| if f.bytes().all(|b| b.is_ascii_digit()) { f.parse().ok() } else { None }).collect()
}

/// Copies a `procN` line (`count v1 .. vcount`) into `into`: the count must match the values and be
/// at least `minimum`; values beyond `into` are ignored, missing ones stay 0.
pub(crate) fn procedures(
    values: &[u64],
    minimum: usize,
    into: &mut [u64],
    path: &Path,
) -> Result<(), CollectError> {
    let (count, rest) = values.split_first().ok_or_else(|| CollectError::parse(path, "empty line"))?;
    if *count != rest.len() as u64 || rest.len() < minimum {
        return Err(CollectError::parse(path, "procedure count does not match"));
    }
    for (slot, value) in into.iter_mut().zip(rest) {
        *slot = *value;
    }
    Ok(())
}

/// Client statistics, zero where the file has no line.
struct Stats {
    network: [u64; 4],
    rpc: [u64; 3],
    v2: [u64; 18],
    v3: [u64; 22],
    v4: [u64; 59],
}

fn parse(text: &str, path: &Path) -> Result<Stats, CollectError> {
    let mut stats = Stats { network: [0; 4], rpc: [0; 3], v2: [0; 18], v3: [0; 22], v4: [0; 59] };
    for line in text.lines() {
        let (label, rest) = label_and_fields(line, path)?;
        let values = numbers(&rest).ok_or_else(|| CollectError::parse(path, "not a number"))?;
        match label {
            "net" => exactly(&values, &mut stats.network, path)?,
            "rpc" => exactly(&values, &mut stats.rpc, path)?,
            "proc2" => procedures(&values, 18, &mut stats.v2, path)?,
            "proc3" => procedures(&values, 22, &mut stats.v3, path)?,
            "proc4" => procedures(&values, 0, &mut stats.v4, path)?,
            _ => return Err(CollectError::parse(path, "unknown line")),
        }
    }
    Ok(stats)
}

/// The nfs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "nfs",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Nfs::new(settings)),
};

impl Collector for Nfs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/rpc/nfs");
        let stats = parse(self.settings.absences.read_str(&mut self.reader, &path)?, &path)?;
        let packets = "Total NFSd network packets (sent+received) by protocol type.";
        out.counter(
            "node_nfs_packets_total",
            packets,
            pairs(&[("protocol", "udp")]),
            stats.network[1] as f64,
        );
        out.counter(
            "node_nfs_packets_total",
            packets,
            pairs(&[("protocol", "tcp")]),
            stats.network[2] as f64,
        );
        out.counter(
            "node_nfs_connections_total",
            "Total number of NFSd TCP connections.",
            vec![],
            stats.network[3] as f64,
        );
        out.counter("node_nfs_rpcs_total", "Total number of RPCs performed.", vec![], stats.rpc[0] as f64);
        out.counter(
            "node_nfs_rpc_retransmissions_total",
            "Number of RPC transmissions performed.",
            vec![],
            stats.rpc[1] as f64,
        );
        out.counter(
            "node_nfs_rpc_authentication_refreshes_total",
            "Number of RPC authentication refreshes performed.",
            vec![],
            stats.rpc[2] as f64,
        );
        let procedures: [(&str, &[&str], &[u64]); 3] =
            [("2", &V2, &stats.v2), ("3", &V3, &stats.v3), ("4", &V4, &stats.v4)];
        for (proto, names, values) in procedures {
            for (method, value) in names.iter().zip(values) {
                out.counter(
                    "node_nfs_requests_total",
                    "Number of NFS procedures invoked.",
                    pairs(&[("method", method), ("proto", proto)]),
                    *value as f64,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_like_node_exporter() {
        let path = Path::new("nfs");
        let stats = parse("net 1 2 3 4\nrpc 5 6 7\nproc4 2 8 9\n", path).expect("valid");
        assert_eq!(stats.network, [1, 2, 3, 4]);
        assert_eq!((stats.v4[0], stats.v4[1], stats.v4[2]), (8, 9, 0));
        assert!(parse("", path).is_ok());
        assert!(parse("net 1 2 3\n", path).is_err());
        assert!(parse("proc3 2 1 2\n", path).is_err(), "fewer than 22 NFSv3 procedures");
        assert!(parse("proc4 3 1 2\n", path).is_err(), "count does not match");
        assert!(parse("rpc 1 2 +3\n", path).is_err());
        assert!(parse("\n", path).is_err());
        assert!(parse("wdeleg 1\n", path).is_err());
    }
}
