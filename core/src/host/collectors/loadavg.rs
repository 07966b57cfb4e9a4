//! loadavg: `node_load1`, `node_load5`, `node_load15` from /proc/loadavg.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The loadavg collector.
pub(crate) struct LoadAvg {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl LoadAvg {
    pub(crate) fn new(settings: Arc<Settings>) -> LoadAvg {
        LoadAvg { settings, reader: FileReader::new() }
    }
}

/// The loadavg collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "loadavg",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(LoadAvg::new(settings)),
};

impl Collector for LoadAvg {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("loadavg");
        let text = self.reader.read_str_one_piece(&path)?;
        let mut fields = text.split_ascii_whitespace();
        let mut loads = [0.0; 3];
        for load in &mut loads {
            *load = fields
                .next()
                .and_then(parse_f64)
                .ok_or_else(|| CollectError::parse(&path, "want 3 loads"))?;
        }
        out.gauge("node_load1", "1m load average.", vec![], loads[0]);
        out.gauge("node_load5", "5m load average.", vec![], loads[1]);
        out.gauge("node_load15", "15m load average.", vec![], loads[2]);
        Ok(())
    }
}
