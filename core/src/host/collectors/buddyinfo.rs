//! buddyinfo (opt-in): free memory blocks per NUMA node, zone and order from /proc/buddyinfo as
//! `node_buddyinfo_blocks{node,zone,size}`, as node_exporter 1.5.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The buddyinfo collector.
pub(crate) struct BuddyInfo {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl BuddyInfo {
    pub(crate) fn new(settings: Arc<Settings>) -> BuddyInfo {
        BuddyInfo { settings, reader: FileReader::new() }
    }
}

/// The buddyinfo collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "buddyinfo",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(BuddyInfo::new(settings)),
};

impl Collector for BuddyInfo {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("buddyinfo");
        let text = self.reader.read_str(&path)?;
        let mut orders = None;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split_ascii_whitespace().collect();
            if parts.len() < 4 {
                return Err(CollectError::parse(&path, "fewer than 4 fields"));
            }
            let (node, zone) = (parts[1].trim_end_matches(','), parts[3].trim_end_matches(','));
            let counts = &parts[4..];
            if *orders.get_or_insert(counts.len()) != counts.len() {
                return Err(CollectError::parse(&path, "zones with different numbers of orders"));
            }
            for (size, count) in counts.iter().enumerate() {
                let count =
                    parse_f64(count).ok_or_else(|| CollectError::parse(&path, "count not a number"))?;
                let size = size.to_string();
                out.gauge(
                    "node_buddyinfo_blocks",
                    "Count of free blocks according to size.",
                    pairs(&[("node", node), ("zone", zone), ("size", &size)]),
                    count,
                );
            }
        }
        Ok(())
    }
}
