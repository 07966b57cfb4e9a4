//! rapl: energy counters of the powercap zones in /sys/class/powercap (Intel RAPL and others):
//! `node_rapl_<name>_joules_total{index,path}` from each zone's `energy_uj`. A zone name `package-0`
//! gives `package` with index 0; a name without a numeric suffix gets the count of earlier zones of
//! that name as index. With [`rapl_zone_label`](crate::host::HostConfig::rapl_zone_label), every
//! zone goes into one `node_rapl_joules_total{index,path,rapl_zone}` family instead, as node_exporter's
//! `--collector.rapl.enable-zone-label` does. Entries without a `name` file (the `intel-rapl` control type) are skipped; an
//! unreadable energy or range file fails the collector, as in node_exporter (recent kernels make
//! `energy_uj` readable by root only). A host without powercap reports success 0.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, read_trimmed};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The rapl collector.
pub(crate) struct Rapl {
    settings: Arc<Settings>,
    /// `class/powercap`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl Rapl {
    pub(crate) fn new(settings: Arc<Settings>) -> Rapl {
        Rapl { class: settings.sys("class/powercap"), settings }
    }
}

/// A file holding one unsigned decimal integer (surrounding whitespace allowed).
fn read_uint(path: &Path) -> Result<u64, CollectError> {
    let text = read_trimmed(path)?;
    parse_u64(text.trim()).ok_or_else(|| CollectError::parse(path, "not an unsigned integer"))
}

/// Index and name of a zone, as node_exporter's procfs: `name-N` with N an integer gives (N, name),
/// anything else (name, times the name was seen before).
fn index_and_name(seen: &HashMap<String, i64>, name: &str) -> (i64, String) {
    let mut parts = name.split('-');
    if let (Some(base), Some(suffix), None) = (parts.next(), parts.next(), parts.next()) {
        if let Ok(index) = suffix.parse::<i64>() {
            return (index, base.to_string());
        }
    }
    (seen.get(name).copied().unwrap_or(0), name.to_string())
}

/// node_exporter's `SanitizeMetricName`: every run of characters outside `[0-9A-Za-z_]`, with the
/// underscores around it, becomes one `_`.
fn sanitize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && chars[j] == '_' {
            j += 1;
        }
        if j < chars.len() && !valid(chars[j]) {
            while j < chars.len() && !valid(chars[j]) {
                j += 1;
            }
            while j < chars.len() && chars[j] == '_' {
                j += 1;
            }
            out.push('_');
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The rapl collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "rapl",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Rapl::new(settings)),
};

impl Collector for Rapl {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.class.clone();
        let mut seen: HashMap<String, i64> = HashMap::new();
        let mut zones = Vec::new();
        for entry in self.settings.absences.list_dir(&base)? {
            let dir = base.join(&entry);
            let Ok(raw) = std::fs::read(dir.join("name")) else { continue };
            let (index, name) = index_and_name(&seen, String::from_utf8_lossy(&raw).trim());
            read_uint(&dir.join("max_energy_range_uj"))?;
            seen.insert(name.clone(), index.wrapping_add(1));
            zones.push((index, name, dir));
        }
        for (index, name, dir) in zones {
            let microjoules = read_uint(&dir.join("energy_uj"))?;
            let (index, path) = (index.to_string(), dir.to_string_lossy());
            if self.settings.rapl_zone_label {
                out.counter(
                    "node_rapl_joules_total",
                    "Current RAPL value in joules",
                    pairs(&[("index", &index), ("path", &path), ("rapl_zone", &name)]),
                    microjoules as f64 / 1e6,
                );
            } else {
                out.counter(
                    &format!("node_rapl_{}", sanitize(&format!("{name}_joules_total"))),
                    &format!("Current RAPL {name} value in joules"),
                    pairs(&[("index", &index), ("path", &path)]),
                    microjoules as f64 / 1e6,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names_split_like_node_exporter() {
        let mut seen = HashMap::new();
        assert_eq!(index_and_name(&seen, "package-1"), (1, "package".to_string()));
        assert_eq!(index_and_name(&seen, "dram"), (0, "dram".to_string()));
        seen.insert("dram".to_string(), 1);
        assert_eq!(index_and_name(&seen, "dram"), (1, "dram".to_string()));
        assert_eq!(index_and_name(&seen, "a-b-1"), (0, "a-b-1".to_string()));
        assert_eq!(index_and_name(&seen, "x-y"), (0, "x-y".to_string()));
    }

    #[test]
    fn names_are_sanitized_like_node_exporter() {
        assert_eq!(sanitize("package_joules_total"), "package_joules_total");
        assert_eq!(sanitize("a_-_-b"), "a__b");
        assert_eq!(sanitize("x y__z"), "x_y__z");
        assert_eq!(sanitize("é"), "_");
    }
}
