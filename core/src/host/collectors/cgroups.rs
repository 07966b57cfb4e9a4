//! cgroups (opt-in): per cgroup v1 controller, the number of cgroups and whether it is enabled, from
//! /proc/cgroups: `node_cgroups_cgroups{subsys_name}` and `node_cgroups_enabled{subsys_name}` (with
//! node_exporter 1.5's help text, the same for both).

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The cgroups collector.
pub(crate) struct Cgroups {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Cgroups {
    pub(crate) fn new(settings: Arc<Settings>) -> Cgroups {
        Cgroups { settings, reader: FileReader::new() }
    }
}

/// The cgroups collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "cgroups",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Cgroups::new(settings)),
};

impl Collector for Cgroups {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("cgroups");
        let text = self.reader.read_str(&path)?;
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let [name, hierarchy, cgroups, enabled] = fields[..] else {
                return Err(CollectError::parse(&path, "a line without 4 fields"));
            };
            let numbers = [hierarchy, cgroups, enabled].map(parse_u64);
            let [Some(_), Some(cgroups), Some(enabled)] = numbers else {
                return Err(CollectError::parse(&path, "a count is not a number"));
            };
            let series = labels(&[("subsys_name", name)]);
            let help = "Current cgroup number of the subsystem.";
            out.gauge("node_cgroups_cgroups", help, series.clone(), cgroups as f64);
            out.gauge("node_cgroups_enabled", help, series, enabled as f64);
        }
        Ok(())
    }
}
