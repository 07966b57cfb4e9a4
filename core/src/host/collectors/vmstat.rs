//! vmstat: the /proc/vmstat fields selected by the `vmstat_fields` regex (node_exporter's default
//! `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped `node_vmstat_<field>`.

use crate::host::emit::{same, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::path::PathBuf;
use std::sync::Arc;

/// The vmstat collector.
pub(crate) struct VmStat {
    settings: Arc<Settings>,
    reader: FileReader,
    /// The path of /proc/vmstat.
    path: PathBuf,
    /// `(field, (metric, help) when the field regex selects it)` by line, kept across scrapes: the
    /// kernel writes the same fields in the same order, so a field equal to the kept one at its line
    /// (one `memcmp`) needs no lookup, and the value of a field not selected is not parsed.
    lines: Vec<(String, Option<(String, String)>)>,
}

impl VmStat {
    pub(crate) fn new(settings: Arc<Settings>) -> VmStat {
        let path = settings.proc("vmstat");
        VmStat { settings, reader: FileReader::new(), path, lines: Vec::new() }
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
        let text = self.reader.read_str(&self.path)?;
        for (number, line) in text.lines().enumerate() {
            let mut fields = line.split_ascii_whitespace();
            let (Some(key), Some(value)) = (fields.next(), fields.next()) else {
                continue;
            };
            if self.lines.len() <= number {
                self.lines.resize_with(number + 1, || (String::new(), None));
            }
            let (kept, selection) = &mut self.lines[number];
            if !same(kept, key) {
                kept.clear();
                kept.push_str(key);
                let wanted = self.settings.vmstat_fields.as_ref().is_none_or(|f| f.is_match(key));
                *selection = wanted.then(|| {
                    (format!("node_vmstat_{key}"), format!("/proc/vmstat information field {key}."))
                });
            }
            if let (Some((name, help)), Some(value)) = (selection.as_ref(), parse_f64(value)) {
                out.untyped(name, help, vec![], value);
            }
        }
        Ok(())
    }
}
