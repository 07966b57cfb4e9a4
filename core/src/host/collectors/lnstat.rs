//! lnstat (opt-in): the per-CPU network cache counters of every /proc/net/stat/<subsystem> file (a
//! header line, then one line of hex numbers per CPU) as `node_lnstat_<column>_total{subsystem,cpu}`,
//! as node_exporter 1.5.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The lnstat collector.
pub(crate) struct LnStat {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl LnStat {
    pub(crate) fn new(settings: Arc<Settings>) -> LnStat {
        LnStat { settings, reader: FileReader::new() }
    }
}

/// The lnstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "lnstat",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(LnStat::new(settings)),
};

impl Collector for LnStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let dir = self.settings.proc("net/stat");
        for subsystem in list_dir(&dir)? {
            let path = dir.join(&subsystem);
            let text = self.reader.read_str(&path)?;
            let mut lines = text.lines();
            let header: Vec<String> = lines
                .next()
                .unwrap_or("")
                .split_ascii_whitespace()
                .map(|column| format!("node_lnstat_{column}_total"))
                .collect();
            for (cpu, line) in lines.enumerate() {
                let cpu = cpu.to_string();
                for (column, value) in line.split_ascii_whitespace().enumerate() {
                    let value =
                        parse_hex(value).ok_or_else(|| CollectError::parse(&path, "not a hex number"))?;
                    let name = header
                        .get(column)
                        .ok_or_else(|| CollectError::parse(&path, "more values than columns"))?;
                    out.counter(
                        name,
                        "linux network cache stats",
                        pairs(&[("subsystem", &subsystem), ("cpu", &cpu)]),
                        value as f64,
                    );
                }
            }
        }
        Ok(())
    }
}
