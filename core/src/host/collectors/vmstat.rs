//! vmstat: the /proc/vmstat fields selected by the `vmstat_fields` regex (node_exporter's default
//! `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped `node_vmstat_<field>`.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::keyed_lines::{key_value, lines, KeyValue};
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
        for (number, line) in lines(text).enumerate() {
            if self.lines.len() <= number {
                self.lines.resize_with(number + 1, || (String::new(), None));
            }
            let (kept, selection) = &mut self.lines[number];
            let value = match key_value(line, kept, selection.is_some()) {
                KeyValue::Kept(value) => value,
                KeyValue::New(key, value) => {
                    kept.clear();
                    kept.push_str(key);
                    let wanted = self.settings.vmstat_fields.as_ref().is_none_or(|f| f.is_match(key));
                    *selection = wanted.then(|| {
                        (format!("node_vmstat_{key}"), format!("/proc/vmstat information field {key}."))
                    });
                    Some(value)
                }
                KeyValue::Short => None,
            };
            if let (Some((name, help)), Some(value)) = (selection.as_ref(), value.and_then(parse_f64)) {
                out.untyped(name, help, vec![], value);
            }
        }
        Ok(())
    }
}
