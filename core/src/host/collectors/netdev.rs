//! netdev: per-interface counters (`node_network_{receive,transmit}_*_total`) from an rtnetlink dump
//! on the live host (as node_exporter 1.5 does, with /proc/net/dev's sums of error kinds), or from
//! /proc/net/dev plus sysfs `rx_nohandler` for a mounted procfs; node_exporter's default `^lo$`
//! device exclusion and a user include/exclude regex (e.g. to drop `veth.*` churn). The dump is the
//! one netclass made in the same collection when it ran (see `SharedLinks`).

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::netlink::{Link, STATS_FIELDS};
use crate::host::read::{parse_u64, path_in, FileReader};
use crate::host::settings::{device_selected, Settings};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::PathBuf;
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

/// netdev's bit among the takers of the shared link dump.
const LINK_TAKER: u32 = 1;

/// The netdev collector.
pub(crate) struct NetDev {
    settings: Arc<Settings>,
    reader: FileReader,
    names: Vec<(String, String)>,
    /// Reused between collections: /proc/net/dev's text and the paths read.
    text: String,
    path: PathBuf,
    nohandler: PathBuf,
}

impl NetDev {
    pub(crate) fn new(settings: Arc<Settings>) -> NetDev {
        let names = COLUMNS
            .iter()
            .chain(std::iter::once(&"receive_nohandler"))
            .map(|c| (format!("node_network_{c}_total"), format!("Network device statistic {c}.")))
            .collect();
        NetDev {
            settings,
            reader: FileReader::new(),
            names,
            text: String::new(),
            path: PathBuf::new(),
            nohandler: PathBuf::new(),
        }
    }
}

/// The [`COLUMNS`] values (plus `receive_nohandler`) of a netlink link, summed as /proc/net/dev sums
/// them (net/core/net-procfs.c), which is what node_exporter 1.5 exports from netlink too.
fn netlink_counters(link: &Link) -> Option<[u64; 17]> {
    if link.stats.len() < STATS_FIELDS {
        return None;
    }
    let s = &link.stats;
    Some([
        s[2],                                                              // receive_bytes
        s[0],                                                              // receive_packets
        s[4],                                                              // receive_errs
        s[6].wrapping_add(s[15]), // receive_drop = rx_dropped + rx_missed_errors
        s[14],                    // receive_fifo
        s[10].wrapping_add(s[11]).wrapping_add(s[12]).wrapping_add(s[13]), // receive_frame
        s[21],                    // receive_compressed
        s[8],                     // receive_multicast
        s[3],                     // transmit_bytes
        s[1],                     // transmit_packets
        s[5],                     // transmit_errs
        s[7],                     // transmit_drop
        s[18],                    // transmit_fifo
        s[9],                     // transmit_colls
        s[16].wrapping_add(s[17]).wrapping_add(s[19]).wrapping_add(s[20]), // transmit_carrier
        s[22],                    // transmit_compressed
        s[23],                    // receive_nohandler
    ])
}

impl NetDev {
    fn update_from_netlink(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let (include, exclude) = (&self.settings.netdev_device_include, &self.settings.netdev_device_exclude);
        let names = &self.names;
        self.settings.links.read(self.settings.collection(), LINK_TAKER, |links| {
            for link in links.iter().filter(|l| device_selected(&l.name, include, exclude)) {
                let Some(counters) = netlink_counters(link) else { continue };
                for ((name, help), value) in names.iter().zip(counters) {
                    out.counter(name, help, pairs(&[("device", &link.name)]), value as f64);
                }
            }
        })
    }
}

/// The netdev collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "netdev",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(NetDev::new(settings)),
};

impl Collector for NetDev {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        if self.settings.use_netlink {
            return self.update_from_netlink(out);
        }
        let path = path_in(&mut self.path, &self.settings.procfs, &["net/dev"]);
        self.reader.read_to(path, &mut self.text)?;
        for line in self.text.lines().skip(2) {
            let Some((device, values)) = line.split_once(':') else { continue };
            let device = device.trim();
            if !device_selected(
                device,
                &self.settings.netdev_device_include,
                &self.settings.netdev_device_exclude,
            ) {
                continue;
            }
            let mut counters = [0u64; COLUMNS.len()];
            let mut found = 0;
            for (slot, value) in counters.iter_mut().zip(values.split_ascii_whitespace()) {
                *slot = parse_u64(value).unwrap_or(0);
                found += 1;
            }
            if found < COLUMNS.len() {
                return Err(CollectError::parse(&self.path, "fewer than 16 counters"));
            }
            for ((name, help), value) in self.names.iter().zip(counters) {
                out.counter(name, help, pairs(&[("device", device)]), value as f64);
            }
            let statistic = ["class/net", device, "statistics/rx_nohandler"];
            let nohandler = path_in(&mut self.nohandler, &self.settings.sysfs, &statistic);
            let nohandler = self.reader.read_str(nohandler).ok().and_then(|t| parse_u64(t.trim()));
            if let (Some(value), Some((name, help))) = (nohandler, self.names.last()) {
                out.counter(name, help, pairs(&[("device", device)]), value as f64);
            }
        }
        Ok(())
    }
}
