//! vmstat: the /proc/vmstat fields selected by the `vmstat_fields` regex (node_exporter's default
//! `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped `node_vmstat_<field>`.

use crate::host::emit::{Emitter, FastMap};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::sync::Arc;

/// The vmstat collector.
pub(crate) struct VmStat {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Field -> `(metric, help)` when the field regex selects it, kept across scrapes.
    selected: FastMap<String, Option<(String, String)>>,
}

impl VmStat {
    pub(crate) fn new(settings: Arc<Settings>) -> VmStat {
        VmStat { settings, reader: FileReader::new(), selected: FastMap::default() }
    }
}

/// The vmstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "vmstat",
    enabled_by_default: true,
    placement: Placement::Inline,
    build: |settings| Box::new(VmStat::new(settings)),
};

impl Collector for VmStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("vmstat");
        let text = self.reader.read_str(&path)?;
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let (Some(key), Some(value)) = (fields.next(), fields.next().and_then(parse_f64)) else {
                continue;
            };
            if !self.selected.contains_key(key) {
                let wanted = self.settings.vmstat_fields.as_ref().is_none_or(|f| f.is_match(key));
                let names = wanted.then(|| {
                    (format!("node_vmstat_{key}"), format!("/proc/vmstat information field {key}."))
                });
                self.selected.insert(key.to_string(), names);
            }
            if let Some(Some((name, help))) = self.selected.get(key) {
                out.untyped(name, help, vec![], value);
            }
        }
        Ok(())
    }
}
