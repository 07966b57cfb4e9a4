//! kernel_hung (opt-in, from newer node_exporter releases): how many tasks the kernel's hung-task
//! detector has reported since boot, from /proc/sys/kernel/hung_task_detect_count (Linux 6.12+), as
//! `node_kernel_hung_task_detect_count` (node_exporter's name and help). node_exporter types it a
//! counter without the `_total` suffix, which srekit's model always writes for counters, so it is
//! untyped here; the name and value are node_exporter's.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The kernel_hung collector.
pub(crate) struct KernelHung {
    settings: Arc<Settings>,
    reader: FileReader,
}

/// The kernel_hung collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "kernel_hung",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(KernelHung { settings, reader: FileReader::new() }),
};

impl Collector for KernelHung {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("sys/kernel/hung_task_detect_count");
        let count = parse_u64(self.reader.read_trimmed(&path)?)
            .ok_or_else(|| CollectError::parse(&path, "not an unsigned integer"))?;
        out.untyped(
            "node_kernel_hung_task_detect_count",
            "Total number of interrupts serviced.",
            vec![],
            count as f64,
        );
        Ok(())
    }
}
