//! meminfo: one gauge per /proc/meminfo field, `node_memory_<Field>_bytes` for fields in kB and
//! `node_memory_<Field>` for counts, with `Active(anon)` written `Active_anon` as node_exporter does.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::read::{parse_u64, FileReader};
use std::sync::Arc;

/// The meminfo collector.
pub(crate) struct MemInfo {
    settings: Arc<Settings>,
    reader: FileReader,
    name: String,
    help: String,
}

impl MemInfo {
    pub(crate) fn new(settings: Arc<Settings>) -> MemInfo {
        MemInfo { settings, reader: FileReader::new(), name: String::new(), help: String::new() }
    }
}

impl Collector for MemInfo {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("meminfo");
        let text = self.reader.read_str(&path)?;
        let mut found = 0;
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let (Some(key), Some(value)) = (fields.next(), fields.next().and_then(parse_u64)) else {
                continue;
            };
            let Some(key) = key.strip_suffix(':') else { continue };
            let in_kb = fields.next().is_some();
            self.name.clear();
            self.name.push_str("node_memory_");
            for c in key.chars() {
                match c {
                    '(' => self.name.push('_'),
                    ')' => {}
                    c if c.is_ascii_alphanumeric() || c == '_' => self.name.push(c),
                    _ => self.name.push('_'),
                }
            }
            let value = if in_kb {
                self.name.push_str("_bytes");
                value as f64 * 1024.0
            } else {
                value as f64
            };
            self.help.clear();
            self.help.push_str("Memory information field ");
            self.help.push_str(&self.name["node_memory_".len()..]);
            self.help.push('.');
            out.gauge(&self.name, &self.help, vec![], value);
            found += 1;
        }
        if found == 0 {
            return Err(CollectError::parse(&path, "no fields"));
        }
        Ok(())
    }
}
