//! vmstat: the /proc/vmstat fields selected by the `vmstat_fields` regex (node_exporter's default
//! `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped `node_vmstat_<field>`.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::keyed_lines::{emit_selected, KeptKeys};
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
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
    lines: KeptKeys,
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
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(VmStat::new(settings)),
};

impl Collector for VmStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let text = self.reader.read_str(&self.path)?;
        let fields = &self.settings.vmstat_fields;
        emit_selected(
            text,
            &mut self.lines,
            |key| {
                let wanted = fields.as_ref().is_none_or(|f| f.is_match(key));
                wanted
                    .then(|| (format!("node_vmstat_{key}"), format!("/proc/vmstat information field {key}.")))
            },
            out,
        );
        Ok(())
    }
}
