//! qdisc (opt-in): statistics of each network device's root queueing discipline,
//! `node_qdisc_*{device,kind}`, as node_exporter 1.5 reports them: from an `RTM_GETQDISC` rtnetlink
//! dump (the current network namespace), or with `--collector.qdisc.fixtures=<dir>` from
//! `<dir>/results.json`, node_exporter's test fixture (a JSON array of its `QdiscInfo` records:
//! `IfaceName`, `Parent`, `Kind`, `Bytes`, `Packets`, `Drops`, `Requeues`, `Overlimits`, `Qlen`,
//! `Backlog`; keys matched without regard to case, as Go's `encoding/json` does). Only root qdiscs
//! (parent 0, which netlink's `TC_H_ROOT` becomes) are exported. A qdisc whose interface vanished
//! between the two dumps is skipped.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::netlink::{attributes, u32_at, Dumper, LinkDumper, NETLINK_ROUTE};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::MetricType;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const RTM_NEWQDISC: u16 = 36;
const RTM_GETQDISC: u16 = 38;
/// `struct tcmsg`: family, padding, ifindex, handle, parent, info.
const TCMSG: usize = 20;
const TCA_KIND: u16 = 1;
const TCA_STATS: u16 = 3;
const TCA_STATS2: u16 = 7;
const TCA_STATS_BASIC: u16 = 1;
const TCA_STATS_QUEUE: u16 = 3;
/// `TC_H_ROOT`: the parent of a root qdisc.
const TC_H_ROOT: u32 = u32::MAX;

/// One qdisc, with node_exporter's fields.
#[derive(Debug, Default, Clone, PartialEq)]
struct QdiscInfo {
    device: String,
    parent: u32,
    kind: String,
    bytes: u64,
    packets: u32,
    drops: u32,
    requeues: u32,
    overlimits: u32,
    qlen: u32,
    backlog: u32,
}

/// The qdisc collector.
pub(crate) struct Qdisc {
    settings: Arc<Settings>,
    qdiscs: Dumper,
    links: LinkDumper,
}

/// The qdisc collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "qdisc",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| {
        Box::new(Qdisc { settings, qdiscs: Dumper::new(NETLINK_ROUTE), links: LinkDumper::new() })
    },
};

impl Collector for Qdisc {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let qdiscs = match &self.settings.qdisc_fixtures {
            Some(dir) => read_fixture(&dir.join("results.json"))?,
            None => self.dump()?,
        };
        const FAMILIES: [(&str, &str, MetricType); 7] = [
            ("node_qdisc_bytes_total", "Number of bytes sent.", MetricType::Counter),
            ("node_qdisc_packets_total", "Number of packets sent.", MetricType::Counter),
            ("node_qdisc_drops_total", "Number of packets dropped.", MetricType::Counter),
            (
                "node_qdisc_requeues_total",
                "Number of packets dequeued, not transmitted, and requeued.",
                MetricType::Counter,
            ),
            ("node_qdisc_overlimits_total", "Number of overlimit packets.", MetricType::Counter),
            (
                "node_qdisc_current_queue_length",
                "Number of packets currently in queue to be sent.",
                MetricType::Gauge,
            ),
            ("node_qdisc_backlog", "Number of bytes currently in queue to be sent.", MetricType::Gauge),
        ];
        for qdisc in qdiscs.iter().filter(|q| q.parent == 0) {
            let values = [
                qdisc.bytes as f64,
                f64::from(qdisc.packets),
                f64::from(qdisc.drops),
                f64::from(qdisc.requeues),
                f64::from(qdisc.overlimits),
                f64::from(qdisc.qlen),
                f64::from(qdisc.backlog),
            ];
            for ((name, help, kind), value) in FAMILIES.iter().zip(values) {
                let pairs = labels(&[("device", &qdisc.device), ("kind", &qdisc.kind)]);
                out.sample(name, help, *kind, pairs, value);
            }
        }
        Ok(())
    }
}

impl Qdisc {
    /// Every qdisc of the current network namespace, named by its interface.
    fn dump(&mut self) -> Result<Vec<QdiscInfo>, CollectError> {
        let names: HashMap<u32, String> =
            self.links.dump()?.iter().map(|link| (link.index as u32, link.name.clone())).collect();
        let mut qdiscs = Vec::new();
        self.qdiscs.dump(RTM_GETQDISC, &[0u8; TCMSG], &mut |kind, message| {
            if kind == RTM_NEWQDISC {
                qdiscs.extend(parse_qdisc(message, &names));
            }
        })?;
        Ok(qdiscs)
    }
}

/// A `RTM_NEWQDISC` message as node_exporter's qdisc library reads it: the legacy `TCA_STATS`
/// (which the kernel sends after `TCA_STATS2`) overrides what both carry.
fn parse_qdisc(message: &[u8], names: &HashMap<u32, String>) -> Option<QdiscInfo> {
    let device = names.get(&u32_at(message, 4)?)?.clone();
    let parent = match u32_at(message, 12)? {
        TC_H_ROOT => 0,
        parent => parent,
    };
    let mut info = QdiscInfo { device, parent, ..QdiscInfo::default() };
    let u64_at = |data: &[u8], at: usize| {
        data.get(at..at + 8).map(|b| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])))
    };
    for (kind, value) in attributes(message.get(TCMSG..)?) {
        match kind {
            TCA_KIND => {
                info.kind =
                    String::from_utf8_lossy(value.split(|b| *b == 0).next().unwrap_or(&[])).into_owned()
            }
            TCA_STATS2 => {
                for (nested, data) in attributes(value) {
                    match nested {
                        TCA_STATS_BASIC => {
                            info.bytes = u64_at(data, 0).unwrap_or(0);
                            info.packets = u32_at(data, 8).unwrap_or(0);
                        }
                        TCA_STATS_QUEUE => {
                            info.qlen = u32_at(data, 0).unwrap_or(0);
                            info.backlog = u32_at(data, 4).unwrap_or(0);
                            info.drops = u32_at(data, 8).unwrap_or(0);
                            info.requeues = u32_at(data, 12).unwrap_or(0);
                            info.overlimits = u32_at(data, 16).unwrap_or(0);
                        }
                        _ => {}
                    }
                }
            }
            TCA_STATS if value.len() >= 36 => {
                info.bytes = u64_at(value, 0).unwrap_or(0);
                info.packets = u32_at(value, 8).unwrap_or(0);
                info.drops = u32_at(value, 12).unwrap_or(0);
                info.overlimits = u32_at(value, 16).unwrap_or(0);
                info.qlen = u32_at(value, 28).unwrap_or(0);
                info.backlog = u32_at(value, 32).unwrap_or(0);
            }
            _ => {}
        }
    }
    Some(info)
}

/// node_exporter's fixture: a JSON array of `QdiscInfo` objects. Missing fields are 0 (or empty); a
/// value of the wrong type or out of its field's range fails the collection, as it fails
/// node_exporter's.
fn read_fixture(path: &Path) -> Result<Vec<QdiscInfo>, CollectError> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectError::io(path, e))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| CollectError::parse(path, "not JSON"))?;
    let records = match json {
        serde_json::Value::Array(records) => records,
        serde_json::Value::Null => Vec::new(),
        _ => return Err(CollectError::parse(path, "not a JSON array of qdiscs")),
    };
    let mut qdiscs = Vec::with_capacity(records.len());
    for record in &records {
        let serde_json::Value::Object(fields) = record else {
            return Err(CollectError::parse(path, "a qdisc is not a JSON object"));
        };
        let mut info = QdiscInfo::default();
        for (key, value) in fields {
            let wrong = || CollectError::parse(path, "a qdisc field has the wrong type or range");
            let number = |max: u64| value.as_u64().filter(|n| *n <= max).ok_or_else(wrong);
            let small = || number(u64::from(u32::MAX)).map(|n| n as u32);
            match key.to_ascii_lowercase().as_str() {
                "ifacename" => info.device = value.as_str().ok_or_else(wrong)?.to_string(),
                "kind" => info.kind = value.as_str().ok_or_else(wrong)?.to_string(),
                "parent" => info.parent = small()?,
                "bytes" => info.bytes = number(u64::MAX)?,
                "packets" => info.packets = small()?,
                "drops" => info.drops = small()?,
                "requeues" => info.requeues = small()?,
                "overlimits" => info.overlimits = small()?,
                "qlen" => info.qlen = small()?,
                "backlog" => info.backlog = small()?,
                _ => {}
            }
        }
        qdiscs.push(info);
    }
    Ok(qdiscs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_records_keys_in_any_case_and_bad_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("results.json");
        std::fs::write(&path, r#"[{"ifacename": "eth0", "KIND": "fq", "Bytes": 83, "Other": [1]}]"#)
            .expect("write");
        let qdiscs = read_fixture(&path).expect("valid fixture");
        assert_eq!(qdiscs[0].device, "eth0");
        assert_eq!((qdiscs[0].kind.as_str(), qdiscs[0].bytes, qdiscs[0].packets), ("fq", 83, 0));
        for bad in [
            r#"[{"Packets": 4294967296}]"#,
            r#"[{"Bytes": -1}]"#,
            r#"{"IfaceName": "x"}"#,
            "[",
            r#"[{"Kind": 3}]"#,
        ] {
            std::fs::write(&path, bad).expect("write");
            assert!(read_fixture(&path).is_err(), "{bad} is refused");
        }
        std::fs::write(&path, "null").expect("write");
        assert_eq!(read_fixture(&path).ok(), Some(Vec::new()));
    }

    #[test]
    fn netlink_message_with_both_statistics() {
        let mut message = vec![0u8; TCMSG];
        message[4..8].copy_from_slice(&2u32.to_ne_bytes());
        message[12..16].copy_from_slice(&TC_H_ROOT.to_ne_bytes());
        let attribute = |kind: u16, value: &[u8]| {
            let mut out = Vec::new();
            out.extend_from_slice(&((4 + value.len()) as u16).to_ne_bytes());
            out.extend_from_slice(&kind.to_ne_bytes());
            out.extend_from_slice(value);
            out.resize((out.len() + 3) & !3, 0);
            out
        };
        message.extend(attribute(TCA_KIND, b"fq_codel\0"));
        let basic: Vec<u8> =
            [1000u64.to_ne_bytes().to_vec(), 10u32.to_ne_bytes().to_vec(), vec![0; 4]].concat();
        let queue: Vec<u8> = [1u32, 2, 3, 4, 5].iter().flat_map(|n| n.to_ne_bytes()).collect();
        message.extend(attribute(
            TCA_STATS2,
            &[attribute(TCA_STATS_BASIC, &basic), attribute(TCA_STATS_QUEUE, &queue)].concat(),
        ));
        let names = HashMap::from([(2u32, "eth0".to_string())]);
        let info = parse_qdisc(&message, &names).expect("a qdisc");
        let expected = QdiscInfo {
            device: "eth0".into(),
            parent: 0,
            kind: "fq_codel".into(),
            bytes: 1000,
            packets: 10,
            qlen: 1,
            backlog: 2,
            drops: 3,
            requeues: 4,
            overlimits: 5,
        };
        assert_eq!(info, expected);
        assert_eq!(parse_qdisc(&message, &HashMap::new()), None, "an interface that is gone");
        assert_eq!(parse_qdisc(&message[..10], &names), None, "a short message");
    }
}
