//! meminfo_numa (opt-in): per NUMA node memory from /sys/devices/system/node/node<N>/meminfo
//! (`node_memory_numa_<Field>{node}`, bytes for kB fields, `Active(anon)` as `Active_anon`) and
//! numastat (`node_memory_numa_<field>_total{node}` counters), as node_exporter 1.5.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The meminfo_numa collector.
pub(crate) struct MeminfoNuma {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl MeminfoNuma {
    pub(crate) fn new(settings: Arc<Settings>) -> MeminfoNuma {
        MeminfoNuma { settings, reader: FileReader::new() }
    }
}

/// The meminfo_numa collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "meminfo_numa",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(MeminfoNuma::new(settings)),
};

/// `Active(anon)` -> `Active_anon` (node_exporter's `\((.*)\)` -> `_$1`).
fn field_name(raw: &str) -> String {
    match (raw.find('('), raw.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            format!("{}_{}{}", &raw[..open], &raw[open + 1..close], &raw[close + 1..])
        }
        _ => raw.to_string(),
    }
}

impl Collector for MeminfoNuma {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.settings.sys("devices/system/node");
        for entry in list_dir(&base)? {
            let Some(node) = entry.strip_prefix("node") else { continue };
            if node.is_empty() || !node.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let dir = base.join(&entry);
            let path = dir.join("meminfo");
            let text = self.reader.read_str(&path)?;
            for line in text.lines() {
                let parts: Vec<&str> = line.split_ascii_whitespace().collect();
                if parts.is_empty() {
                    continue;
                }
                let value = parts.get(3).and_then(|v| parse_f64(v));
                let value = match (value, parts.len(), parts.get(4)) {
                    (Some(v), 4, _) => v,
                    (Some(v), 5, Some(&"kB")) => v * 1024.0,
                    _ => return Err(CollectError::parse(&path, "invalid line")),
                };
                let field = field_name(parts[2].trim_end_matches(':'));
                out.gauge(
                    &format!("node_memory_numa_{field}"),
                    &format!("Memory information field {field}."),
                    pairs(&[("node", parts[1])]),
                    value,
                );
            }
            let path = dir.join("numastat");
            let text = self.reader.read_str(&path)?;
            for line in text.lines() {
                let parts: Vec<&str> = line.split_ascii_whitespace().collect();
                let (2, Some(value)) = (parts.len(), parts.get(1).and_then(|v| parse_f64(v))) else {
                    return Err(CollectError::parse(&path, "want `name value` lines"));
                };
                out.counter(
                    &format!("node_memory_numa_{}_total", parts[0]),
                    &format!("Memory information field {}_total.", parts[0]),
                    pairs(&[("node", node)]),
                    value,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::field_name;

    #[test]
    fn parenthesised_fields_get_an_underscore() {
        assert_eq!(field_name("Active(anon)"), "Active_anon");
        assert_eq!(field_name("MemTotal"), "MemTotal");
    }
}
