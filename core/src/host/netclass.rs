//! netclass: interface properties from /sys/class/net/<iface>/ (`node_network_info`, `_up`,
//! `_mtu_bytes`, `_speed_bytes`, `_carrier`, `_flags`, ...). A property the kernel refuses to give
//! (e.g. `carrier` of a down interface) is left out, as node_exporter does.

use super::catalog::Collector;
use super::config::{device_selected, Settings};
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::{list_dir, parse_f64, parse_hex, Dir};
use crate::metrics::MetricType;
use std::ffi::CStr;
use std::sync::Arc;

/// `(sysfs file, metric suffix, type)`: numeric properties, each `node_network_<suffix>`.
const PROPERTIES: [(&CStr, &str, MetricType); 16] = [
    (c"addr_assign_type", "address_assign_type", MetricType::Gauge),
    (c"carrier", "carrier", MetricType::Gauge),
    (c"carrier_changes", "carrier_changes_total", MetricType::Counter),
    (c"carrier_up_count", "carrier_up_changes_total", MetricType::Counter),
    (c"carrier_down_count", "carrier_down_changes_total", MetricType::Counter),
    (c"dev_id", "device_id", MetricType::Gauge),
    (c"dormant", "dormant", MetricType::Gauge),
    (c"flags", "flags", MetricType::Gauge),
    (c"ifindex", "iface_id", MetricType::Gauge),
    (c"iflink", "iface_link", MetricType::Gauge),
    (c"link_mode", "iface_link_mode", MetricType::Gauge),
    (c"mtu", "mtu_bytes", MetricType::Gauge),
    (c"name_assign_type", "name_assign_type", MetricType::Gauge),
    (c"netdev_group", "net_dev_group", MetricType::Gauge),
    (c"tx_queue_len", "transmit_queue_length", MetricType::Gauge),
    (c"type", "protocol_type", MetricType::Gauge),
];

/// The netclass collector.
pub(crate) struct NetClass {
    settings: Arc<Settings>,
    buf: Box<[u8; 4096]>,
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
        NetClass { settings, buf: Box::new([0; 4096]), names }
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
            if !device_selected(
                &device,
                &self.settings.netclass_device_include,
                &self.settings.netclass_device_exclude,
            ) {
                continue;
            }
            // Entries that are not directories (bonding_masters) fail here and are skipped.
            let Ok(dir) = Dir::open(&class.join(&device)) else { continue };
            let buf = &mut self.buf;
            let mut text = |name: &CStr| dir.attribute(name, buf).unwrap_or_default().to_string();
            let operstate = text(c"operstate");
            let address = text(c"address");
            let broadcast = text(c"broadcast");
            let duplex = text(c"duplex");
            let ifalias = text(c"ifalias");
            out.gauge(
                "node_network_up",
                "Value is 1 if operstate is 'up', 0 otherwise.",
                labels(&[("device", &device)]),
                if operstate == "up" { 1.0 } else { 0.0 },
            );
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
                let Some(value) = dir.attribute(file, &mut self.buf).and_then(parse_value) else { continue };
                let (name, help) = &self.names[i];
                out.family(name, help, *kind).push(labels(&[("device", &device)]), value);
            }
            if let Some(speed) = dir.attribute(c"speed", &mut self.buf).and_then(parse_value) {
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
