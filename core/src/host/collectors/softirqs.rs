//! softirqs (opt-in, from node_exporter 1.7; not in 1.5): `node_softirqs_functions_total{cpu,type}`,
//! softirq calls per CPU and type from /proc/softirqs, with the latest release's name, help and
//! labels. Only the ten types node_exporter knows are exported (`HI` ... `RCU`); `cpu` is the
//! column's position. (1.5's `--collector.stat.softirq` gives totals per vector instead.)

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The softirq types node_exporter exports, as /proc/softirqs names them.
const TYPES: [&str; 10] =
    ["HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU"];

/// The softirqs collector.
pub(crate) struct Softirqs {
    settings: Arc<Settings>,
    reader: FileReader,
    /// `"0"`, `"1"`, ...: the cpu label values, kept between collections.
    cpu_names: Vec<String>,
}

/// The softirqs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "softirqs",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Softirqs { settings, reader: FileReader::new(), cpu_names: Vec::new() }),
};

impl Collector for Softirqs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("softirqs");
        let text = self.reader.read_str(&path)?;
        let mut lines = text.lines();
        lines.next().ok_or_else(|| CollectError::parse(&path, "empty"))?;
        for line in lines {
            let mut parts = line.split_ascii_whitespace();
            let Some(kind) = parts.next().and_then(|name| name.strip_suffix(':')) else { continue };
            let Some(kind) = TYPES.iter().find(|known| **known == kind) else { continue };
            for (cpu, count) in parts.enumerate() {
                let count =
                    parse_u64(count).ok_or_else(|| CollectError::parse(&path, "a count is not a number"))?;
                while self.cpu_names.len() <= cpu {
                    self.cpu_names.push(self.cpu_names.len().to_string());
                }
                out.counter(
                    "node_softirqs_functions_total",
                    "Softirq counts per CPU.",
                    pairs(&[("cpu", &self.cpu_names[cpu]), ("type", kind)]),
                    count as f64,
                );
            }
        }
        Ok(())
    }
}
