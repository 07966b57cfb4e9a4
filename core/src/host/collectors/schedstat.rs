//! schedstat: per-CPU scheduler statistics from /proc/schedstat
//! (`node_schedstat_running_seconds_total`, `_waiting_seconds_total`, `_timeslices_total` by `cpu`).

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::sync::Arc;

/// The schedstat collector.
pub(crate) struct SchedStat {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl SchedStat {
    pub(crate) fn new(settings: Arc<Settings>) -> SchedStat {
        SchedStat { settings, reader: FileReader::new() }
    }
}

/// The schedstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "schedstat",
    enabled_by_default: true,
    placement: Placement::Inline,
    build: |settings| Box::new(SchedStat::new(settings)),
};

impl Collector for SchedStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("schedstat");
        let text = self.settings.absences.read_str(&mut self.reader, &path)?;
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let Some(cpu) = fields.next().and_then(|f| f.strip_prefix("cpu")) else { continue };
            let values: Vec<u64> = fields.map(|f| parse_u64(f).unwrap_or(0)).collect();
            if values.len() < 9 {
                return Err(CollectError::parse(&path, "cpu line with fewer than 9 values"));
            }
            let cpu = labels(&[("cpu", cpu)]);
            out.counter(
                "node_schedstat_running_seconds_total",
                "Number of seconds CPU spent running a process.",
                cpu.clone(),
                values[6] as f64 / 1e9,
            );
            out.counter(
                "node_schedstat_waiting_seconds_total",
                "Number of seconds spent by processing waiting for this CPU.",
                cpu.clone(),
                values[7] as f64 / 1e9,
            );
            out.counter(
                "node_schedstat_timeslices_total",
                "Number of timeslices executed by CPU.",
                cpu,
                values[8] as f64,
            );
        }
        Ok(())
    }
}
