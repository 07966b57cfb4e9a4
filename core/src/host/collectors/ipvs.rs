//! ipvs: IP Virtual Server (kernel load balancer) statistics, as node_exporter's ipvs collector reports
//! them. Totals from /proc/net/ip_vs_stats (hex columns): `node_ipvs_connections_total`,
//! `_incoming_packets_total`, `_outgoing_packets_total`, `_incoming_bytes_total`,
//! `_outgoing_bytes_total`; per virtual/real server pair from /proc/net/ip_vs:
//! `node_ipvs_backend_connections_active`, `_inactive` and `node_ipvs_backend_weight` labelled
//! `local_address`, `local_port`, `remote_address`, `remote_port`, `proto`, `local_mark` (pairs with
//! equal labels are summed). A kernel without IPVS has neither file: the collector fails (success 0).

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

/// The ipvs collector.
pub(crate) struct Ipvs {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Ipvs {
    pub(crate) fn new(settings: Arc<Settings>) -> Ipvs {
        Ipvs { settings, reader: FileReader::new() }
    }
}

/// Backend label values in node_exporter's order: local_address, local_port, remote_address,
/// remote_port, proto, local_mark.
type BackendKey = [String; 6];

/// Summed gauges of one backend label set: active connections, inactive connections, weight.
#[derive(Default)]
struct BackendSums {
    active: u64,
    inactive: u64,
    weight: u64,
}

/// The ipvs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "ipvs",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Ipvs::new(settings)),
};

impl Collector for Ipvs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let stats_path = self.settings.proc("net/ip_vs_stats");
        let totals =
            parse_stats(self.settings.absences.read_str(&mut self.reader, &stats_path)?, &stats_path)?;
        let names = [
            ("node_ipvs_connections_total", "The total number of connections made."),
            ("node_ipvs_incoming_packets_total", "The total number of incoming packets."),
            ("node_ipvs_outgoing_packets_total", "The total number of outgoing packets."),
            ("node_ipvs_incoming_bytes_total", "The total amount of incoming data."),
            ("node_ipvs_outgoing_bytes_total", "The total amount of outgoing data."),
        ];
        for ((name, help), value) in names.iter().zip(totals) {
            out.counter(name, help, vec![], value as f64);
        }

        let backends_path = self.settings.proc("net/ip_vs");
        let backends = parse_backends(self.reader.read_str(&backends_path)?, &backends_path)?;
        for (key, sums) in &backends {
            let pairs = [
                ("local_address", key[0].as_str()),
                ("local_port", key[1].as_str()),
                ("remote_address", key[2].as_str()),
                ("remote_port", key[3].as_str()),
                ("proto", key[4].as_str()),
                ("local_mark", key[5].as_str()),
            ];
            out.gauge(
                "node_ipvs_backend_connections_active",
                "The current active connections by local and remote address.",
                labels(&pairs),
                sums.active as f64,
            );
            out.gauge(
                "node_ipvs_backend_connections_inactive",
                "The current inactive connections by local and remote address.",
                labels(&pairs),
                sums.inactive as f64,
            );
            out.gauge(
                "node_ipvs_backend_weight",
                "The current backend weight by local and remote address.",
                labels(&pairs),
                sums.weight as f64,
            );
        }
        Ok(())
    }
}

/// The five hex totals on the third line of ip_vs_stats (after two header lines).
fn parse_stats(text: &str, path: &Path) -> Result<[u64; 5], CollectError> {
    let line = text.lines().nth(2).ok_or_else(|| CollectError::parse(path, "too short"))?;
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    if fields.len() != 5 {
        return Err(CollectError::parse(path, "expected 5 totals on the third line"));
    }
    let mut totals = [0u64; 5];
    for (total, field) in totals.iter_mut().zip(&fields) {
        *total = parse_hex(field).ok_or_else(|| CollectError::parse(path, "a total is not hexadecimal"))?;
    }
    Ok(totals)
}

/// Backends of /proc/net/ip_vs, summed by label set. A service line (`TCP`/`UDP` with `ADDR:PORT`, or
/// `FWM` with a mark) is followed by its `->` real-server lines (`ADDR:PORT Forward Weight ActiveConn
/// InActConn`).
fn parse_backends(text: &str, path: &Path) -> Result<BTreeMap<BackendKey, BackendSums>, CollectError> {
    let mut sums: BTreeMap<BackendKey, BackendSums> = BTreeMap::new();
    let (mut proto, mut local_address, mut local_port, mut local_mark) =
        (String::new(), String::new(), String::from("0"), String::new());
    for line in text.lines() {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        match fields.as_slice() {
            [] | ["IP", ..] | ["Prot", ..] | [_, "RemoteAddress:Port", ..] => {}
            [p @ ("TCP" | "UDP" | "SCTP"), address, ..] => {
                let (ip, port) =
                    parse_address(address).ok_or_else(|| CollectError::parse(path, "bad service address"))?;
                (proto, local_address, local_port, local_mark) =
                    (p.to_string(), ip, port.to_string(), String::new());
            }
            ["FWM", mark, ..] => {
                (proto, local_address, local_port, local_mark) =
                    ("FWM".to_string(), String::new(), "0".to_string(), mark.to_string());
            }
            ["->", address, _forward, weight, active, inactive, ..] => {
                let (ip, port) = parse_address(address)
                    .ok_or_else(|| CollectError::parse(path, "bad real server address"))?;
                let number = |text: &str| {
                    text.parse::<u64>()
                        .map_err(|_| CollectError::parse(path, "a real server count is not a number"))
                };
                let key: BackendKey = [
                    local_address.clone(),
                    local_port.clone(),
                    ip,
                    port.to_string(),
                    proto.clone(),
                    local_mark.clone(),
                ];
                let entry = sums.entry(key).or_default();
                entry.weight += number(weight)?;
                entry.active += number(active)?;
                entry.inactive += number(inactive)?;
            }
            _ => {}
        }
    }
    Ok(sums)
}

/// `0A000001:0050` (IPv4 in hex) or `[2001:0db8:...:0001]:0050` (IPv6) -> (address text, port).
fn parse_address(text: &str) -> Option<(String, u16)> {
    let (address, port) = text.rsplit_once(':')?;
    let port = u16::try_from(parse_hex(port)?).ok()?;
    let address = if let Some(v6) = address.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
        v6.parse::<Ipv6Addr>().ok()?.to_string()
    } else if address.len() == 8 {
        Ipv4Addr::from(u32::try_from(parse_hex(address)?).ok()?).to_string()
    } else if address.len() == 32 {
        Ipv6Addr::from(u128::from_str_radix(address, 16).ok()?).to_string()
    } else {
        return None;
    };
    Some((address, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_both_families() {
        assert_eq!(parse_address("C0A80016:0CEA"), Some(("192.168.0.22".into(), 3306)));
        assert_eq!(
            parse_address("[2620:0000:0000:0000:0000:0000:0000:0001]:0050"),
            Some(("2620::1".into(), 80))
        );
        assert_eq!(parse_address("C0A800:0CEA"), None);
        assert_eq!(parse_address("nonsense"), None);
    }
}
