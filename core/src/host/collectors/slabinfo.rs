//! slabinfo (opt-in): kernel slab caches from /proc/slabinfo (version 2.1) as
//! `node_slabinfo_{active_objects,objects,object_size_bytes,objects_per_slab,pages_per_slab}{slab}`,
//! as node_exporter 1.5. The file is readable by root only; elsewhere the collector fails. Its
//! generation takes the kernel's slab mutex and costs milliseconds, so it runs on the kernel lane.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(column of a slab line, metric, help)`.
const COLUMNS: [(usize, &str, &str); 5] = [
    (1, "node_slabinfo_active_objects", "The number of objects that are currently active (i.e., in use)."),
    (
        2,
        "node_slabinfo_objects",
        "The total number of allocated objects (i.e., objects that are both in use and not in use).",
    ),
    (3, "node_slabinfo_object_size_bytes", "The size of objects in this slab, in bytes."),
    (4, "node_slabinfo_objects_per_slab", "The number of objects stored in each slab."),
    (5, "node_slabinfo_pages_per_slab", "The number of pages allocated for each slab."),
];

/// The slabinfo collector.
pub(crate) struct SlabInfo {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl SlabInfo {
    pub(crate) fn new(settings: Arc<Settings>) -> SlabInfo {
        SlabInfo { settings, reader: FileReader::new() }
    }
}

/// The slabinfo collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "slabinfo",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(SlabInfo::new(settings)),
};

impl Collector for SlabInfo {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("slabinfo");
        let text = self.reader.read_str(&path)?;
        for line in text.lines() {
            if line.contains("slabinfo -") || line.contains("# name") {
                continue;
            }
            // procfs squeezes whitespace runs to one space and wants exactly 16 fields.
            let fields: Vec<&str> =
                line.split(|c: char| c.is_ascii_whitespace()).filter(|f| !f.is_empty()).collect();
            let edges = line.starts_with(|c: char| c.is_ascii_whitespace()) as usize
                + line.ends_with(|c: char| c.is_ascii_whitespace()) as usize;
            if fields.len() + edges != 16 {
                return Err(CollectError::parse(&path, "a slab line without 16 fields"));
            }
            let series = labels(&[("slab", fields[0])]);
            for (column, name, help) in COLUMNS {
                let value: i64 = fields[column]
                    .parse()
                    .map_err(|_| CollectError::parse(&path, "a slab count is not a number"))?;
                out.gauge(name, help, series.clone(), value as f64);
            }
        }
        Ok(())
    }
}
