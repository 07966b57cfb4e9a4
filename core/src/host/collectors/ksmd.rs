//! ksmd (opt-in): kernel samepage merging from /sys/kernel/mm/ksm, one `node_ksmd_<file>` per file
//! as node_exporter 1.5 (`full_scans` a counter `_total`, `sleep_millisecs` as `sleep_seconds`).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The files node_exporter reads, in its order.
const FILES: [&str; 9] = [
    "full_scans",
    "merge_across_nodes",
    "pages_shared",
    "pages_sharing",
    "pages_to_scan",
    "pages_unshared",
    "pages_volatile",
    "run",
    "sleep_millisecs",
];

/// The ksmd collector.
pub(crate) struct Ksmd {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Ksmd {
    pub(crate) fn new(settings: Arc<Settings>) -> Ksmd {
        Ksmd { settings, reader: FileReader::new() }
    }
}

/// The ksmd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "ksmd",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Ksmd::new(settings)),
};

impl Collector for Ksmd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.settings.sys("kernel/mm/ksm");
        for file in FILES {
            let path = base.join(file);
            let value = parse_u64(self.reader.read_trimmed(&path)?)
                .ok_or_else(|| CollectError::parse(&path, "not an unsigned integer"))?
                as f64;
            let help = format!("ksmd '{file}' file.");
            match file {
                "full_scans" => out.counter("node_ksmd_full_scans_total", &help, vec![], value),
                "sleep_millisecs" => out.gauge("node_ksmd_sleep_seconds", &help, vec![], value / 1000.0),
                _ => out.gauge(&format!("node_ksmd_{file}"), &help, vec![], value),
            }
        }
        Ok(())
    }
}
