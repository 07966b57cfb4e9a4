//! netdev: per-interface counters from /proc/net/dev (`node_network_{receive,transmit}_*_total`),
//! plus `receive_nohandler` from sysfs, with node_exporter's default `^lo$` device exclusion and a
//! user include/exclude regex (e.g. to drop `veth.*` churn).

use super::catalog::Collector;
use super::config::{device_selected, Settings};
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::{parse_u64, FileReader};
use std::sync::Arc;

/// /proc/net/dev columns after the interface name, in order.
const COLUMNS: [&str; 16] = [
    "receive_bytes",
    "receive_packets",
    "receive_errs",
    "receive_drop",
    "receive_fifo",
    "receive_frame",
    "receive_compressed",
    "receive_multicast",
    "transmit_bytes",
    "transmit_packets",
    "transmit_errs",
    "transmit_drop",
    "transmit_fifo",
    "transmit_colls",
    "transmit_carrier",
    "transmit_compressed",
];

/// The netdev collector.
pub(crate) struct NetDev {
    settings: Arc<Settings>,
    reader: FileReader,
    names: Vec<(String, String)>,
}

impl NetDev {
    pub(crate) fn new(settings: Arc<Settings>) -> NetDev {
        let names = COLUMNS
            .iter()
            .chain(std::iter::once(&"receive_nohandler"))
            .map(|c| (format!("node_network_{c}_total"), format!("Network device statistic {c}.")))
            .collect();
        NetDev { settings, reader: FileReader::new(), names }
    }
}

impl Collector for NetDev {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/dev");
        let text = self.reader.read_str(&path)?.to_string();
        for line in text.lines().skip(2) {
            let Some((device, values)) = line.split_once(':') else { continue };
            let device = device.trim();
            if !device_selected(
                device,
                &self.settings.netdev_device_include,
                &self.settings.netdev_device_exclude,
            ) {
                continue;
            }
            let values: Vec<u64> =
                values.split_ascii_whitespace().map(|v| parse_u64(v).unwrap_or(0)).collect();
            if values.len() < COLUMNS.len() {
                return Err(CollectError::parse(&path, "fewer than 16 counters"));
            }
            for ((name, help), value) in self.names.iter().zip(&values) {
                out.counter(name, help, labels(&[("device", device)]), *value as f64);
            }
            let nohandler = self.settings.sys(&format!("class/net/{device}/statistics/rx_nohandler"));
            let nohandler = self.reader.read_str(&nohandler).ok().and_then(|t| parse_u64(t.trim()));
            if let (Some(value), Some((name, help))) = (nohandler, self.names.last()) {
                out.counter(name, help, labels(&[("device", device)]), value as f64);
            }
        }
        Ok(())
    }
}
