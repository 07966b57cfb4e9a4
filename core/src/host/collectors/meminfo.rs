//! meminfo: one gauge per /proc/meminfo field, `node_memory_<Field>_bytes` for fields in kB and
//! `node_memory_<Field>` for counts, with `Active(anon)` written `Active_anon` as node_exporter does.

use crate::host::emit::{Emitter, FastMap};
use crate::host::error::CollectError;
use crate::host::keyed_lines::{after_kept, lines};
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The meminfo collector.
pub(crate) struct MemInfo {
    reader: FileReader,
    /// /proc/meminfo key -> `(metric, help)`, for fields in kB and for counts, kept across scrapes.
    names: [FastMap<String, (String, String)>; 2],
    /// By line: the key field (with its `:`) found there last time, whether it was in kB, and its
    /// `(metric, help)`: the kernel writes the same keys in the same order, so a line starting with
    /// the kept key needs neither splitting at the key nor a lookup.
    lines: Vec<(String, bool, (String, String))>,
    path: std::path::PathBuf,
}

impl MemInfo {
    pub(crate) fn new(settings: Arc<Settings>) -> MemInfo {
        let path = settings.proc("meminfo");
        MemInfo {
            reader: FileReader::new(),
            names: [FastMap::default(), FastMap::default()],
            lines: Vec::new(),
            path,
        }
    }
}

/// node_exporter's name and help for a meminfo key: `Active(anon)` becomes `Active_anon`, and kB
/// fields get `_bytes`.
fn metric_name(key: &str, in_kb: bool) -> (String, String) {
    let mut field = String::with_capacity(key.len() + 6);
    for c in key.chars() {
        match c {
            '(' => field.push('_'),
            ')' => {}
            c if c.is_ascii_alphanumeric() || c == '_' => field.push(c),
            _ => field.push('_'),
        }
    }
    if in_kb {
        field.push_str("_bytes");
    }
    (format!("node_memory_{field}"), format!("Memory information field {field}."))
}

/// The meminfo collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "meminfo",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(MemInfo::new(settings)),
};

impl Collector for MemInfo {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let text = self.reader.read_str_one_piece(&self.path)?;
        let mut found = 0;
        for (number, line) in lines(text).enumerate() {
            if self.lines.len() <= number {
                self.lines.resize_with(number + 1, Default::default);
            }
            let (kept, kept_in_kb, (kept_name, kept_help)) = &mut self.lines[number];
            if let Some(rest) = after_kept(line, kept) {
                let mut fields = rest.split_ascii_whitespace();
                let Some(value) = fields.next().and_then(parse_u64) else { continue };
                let in_kb = fields.next().is_some();
                if in_kb == *kept_in_kb {
                    let value = if in_kb { value as f64 * 1024.0 } else { value as f64 };
                    out.gauge(kept_name, kept_help, vec![], value);
                    found += 1;
                    continue;
                }
            }
            let mut fields = line.split_ascii_whitespace();
            let (Some(field), Some(value)) = (fields.next(), fields.next().and_then(parse_u64)) else {
                continue;
            };
            let Some(key) = field.strip_suffix(':') else { continue };
            let in_kb = fields.next().is_some();
            let names = &mut self.names[usize::from(in_kb)];
            if !names.contains_key(key) {
                names.insert(key.to_string(), metric_name(key, in_kb));
            }
            let Some((name, help)) = names.get(key) else { continue };
            kept.clear();
            kept.push_str(field);
            *kept_in_kb = in_kb;
            kept_name.clone_from(name);
            kept_help.clone_from(help);
            let value = if in_kb { value as f64 * 1024.0 } else { value as f64 };
            out.gauge(name, help, vec![], value);
            found += 1;
        }
        if found == 0 {
            return Err(CollectError::parse(&self.path, "no fields"));
        }
        Ok(())
    }
}
