//! arp: `node_arp_entries{device}`, the number of ARP table entries per device in /proc/net/arp,
//! for the devices `--collector.arp.device-include` / `device-exclude` select.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::{device_selected, Settings};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The arp collector.
pub(crate) struct Arp {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Arp {
    pub(crate) fn new(settings: Arc<Settings>) -> Arp {
        Arp { settings, reader: FileReader::new() }
    }
}

/// The arp collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "arp",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Arp::new(settings)),
};

impl Collector for Arp {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/arp");
        let text = self.reader.read_str(&path)?;
        let mut per_device: BTreeMap<&str, u64> = BTreeMap::new();
        for line in text.lines().skip(1) {
            if let Some(device) = line.split_ascii_whitespace().nth(5) {
                *per_device.entry(device).or_insert(0) += 1;
            }
        }
        let (include, exclude) = (&self.settings.arp_device_include, &self.settings.arp_device_exclude);
        for (device, count) in
            per_device.into_iter().filter(|(device, _)| device_selected(device, include, exclude))
        {
            out.gauge(
                "node_arp_entries",
                "ARP entries by device",
                pairs(&[("device", device)]),
                count as f64,
            );
        }
        Ok(())
    }
}
