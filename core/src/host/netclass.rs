//! netclass: interface properties from /sys/class/net/<iface>/ (`node_network_info`, `_up`,
//! `_mtu_bytes`, `_speed_bytes`, `_carrier`, `_flags`, ...). A property the kernel refuses to give
//! (e.g. `carrier` of a down interface) is left out, as node_exporter does.

use super::catalog::Collector;
use super::config::{device_selected, Settings};
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::{list_dir, parse_f64, parse_hex, FileReader};
use crate::metrics::MetricType;
use std::sync::Arc;

/// `(sysfs file, metric suffix, type)`: numeric properties, each `node_network_<suffix>`.
const PROPERTIES: [(&str, &str, MetricType); 16] = [
    ("addr_assign_type", "address_assign_type", MetricType::Gauge),
    ("carrier", "carrier", MetricType::Gauge),
    ("carrier_changes", "carrier_changes_total", MetricType::Counter),
    ("carrier_up_count", "carrier_up_changes_total", MetricType::Counter),
    ("carrier_down_count", "carrier_down_changes_total", MetricType::Counter),
    ("dev_id", "device_id", MetricType::Gauge),
    ("dormant", "dormant", MetricType::Gauge),
    ("flags", "flags", MetricType::Gauge),
    ("ifindex", "iface_id", MetricType::Gauge),
    ("iflink", "iface_link", MetricType::Gauge),
    ("link_mode", "iface_link_mode", MetricType::Gauge),
    ("mtu", "mtu_bytes", MetricType::Gauge),
    ("name_assign_type", "name_assign_type", MetricType::Gauge),
    ("netdev_group", "net_dev_group", MetricType::Gauge),
    ("tx_queue_len", "transmit_queue_length", MetricType::Gauge),
    ("type", "protocol_type", MetricType::Gauge),
];

/// The netclass collector.
pub(crate) struct NetClass {
    settings: Arc<Settings>,
    reader: FileReader,
    names: Vec<(String, String)>,
}

impl NetClass {
    pub(crate) fn new(settings: Arc<Settings>) -> NetClass {
        let names = PROPERTIES
            .iter()
            .map(|(_, suffix, _)| {
                (format!("node_network_{suffix}"), format!("Network device property: {suffix}"))
            })
            .collect();
        NetClass { settings, reader: FileReader::new(), names }
    }

    /// A sysfs attribute of `device` as trimmed text, or `None` when it cannot be read.
    fn attribute(&mut self, device: &str, file: &str) -> Option<String> {
        let path = self.settings.sys(&format!("class/net/{device}/{file}"));
        self.reader.read_str(&path).ok().map(|t| t.trim().to_string())
    }
}

/// A numeric sysfs value: decimal, negative, or `0x` hex (flags).
fn parse_value(text: &str) -> Option<f64> {
    match text.strip_prefix("0x") {
        Some(hex) => parse_hex(hex).map(|v| v as f64),
        None => parse_f64(text),
    }
}

impl Collector for NetClass {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.settings.sys("class/net");
        for device in list_dir(&class)? {
            if !class.join(&device).is_dir() {
                continue;
            }
            if !device_selected(
                &device,
                &self.settings.netclass_device_include,
                &self.settings.netclass_device_exclude,
            ) {
                continue;
            }
            let operstate = self.attribute(&device, "operstate").unwrap_or_default();
            out.gauge(
                "node_network_up",
                "Value is 1 if operstate is 'up', 0 otherwise.",
                labels(&[("device", &device)]),
                if operstate == "up" { 1.0 } else { 0.0 },
            );
            let address = self.attribute(&device, "address").unwrap_or_default();
            let broadcast = self.attribute(&device, "broadcast").unwrap_or_default();
            let duplex = self.attribute(&device, "duplex").unwrap_or_default();
            let ifalias = self.attribute(&device, "ifalias").unwrap_or_default();
            out.gauge(
                "node_network_info",
                "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
                labels(&[
                    ("address", &address),
                    ("broadcast", &broadcast),
                    ("device", &device),
                    ("duplex", &duplex),
                    ("ifalias", &ifalias),
                    ("operstate", &operstate),
                ]),
                1.0,
            );
            for (i, (file, _, kind)) in PROPERTIES.iter().enumerate() {
                let Some(value) = self.attribute(&device, file).and_then(|t| parse_value(&t)) else {
                    continue;
                };
                let (name, help) = &self.names[i];
                out.family(name, help, *kind).push(labels(&[("device", &device)]), value);
            }
            if let Some(speed) = self.attribute(&device, "speed").and_then(|t| parse_value(&t)) {
                if !(self.settings.netclass_ignore_invalid_speed && speed < 0.0) {
                    out.gauge(
                        "node_network_speed_bytes",
                        "Network device property: speed_bytes",
                        labels(&[("device", &device)]),
                        speed * 1000.0 * 1000.0 / 8.0,
                    );
                }
            }
        }
        Ok(())
    }
}
