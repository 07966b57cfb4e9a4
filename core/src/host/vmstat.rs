//! vmstat: the /proc/vmstat fields selected by the `vmstat_fields` regex (node_exporter's default
//! `^(oom_kill|pgpg|pswp|pg.*fault).*`) as untyped `node_vmstat_<field>`.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::read::{parse_f64, FileReader};
use std::sync::Arc;

/// The vmstat collector.
pub(crate) struct VmStat {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl VmStat {
    pub(crate) fn new(settings: Arc<Settings>) -> VmStat {
        VmStat { settings, reader: FileReader::new() }
    }
}

impl Collector for VmStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("vmstat");
        let text = self.reader.read_str(&path)?;
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let (Some(key), Some(value)) = (fields.next(), fields.next().and_then(parse_f64)) else {
                continue;
            };
            if let Some(filter) = &self.settings.vmstat_fields {
                if !filter.is_match(key) {
                    continue;
                }
            }
            let name = format!("node_vmstat_{key}");
            let help = format!("/proc/vmstat information field {key}.");
            out.untyped(&name, &help, vec![], value);
        }
        Ok(())
    }
}
