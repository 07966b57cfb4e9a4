//! zoneinfo (opt-in): per NUMA node and memory zone page counts from /proc/zoneinfo as
//! `node_zoneinfo_*{node,zone}`, as node_exporter 1.5 (procfs' parser): the fields below are read
//! wherever they appear in a zone's block (so a node's "per-node stats" count for its first zone), a
//! later value of a field replaces an earlier one, and `protection: (a, b, ...)` becomes
//! `node_zoneinfo_protection_<i>`.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_int_prefixed, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(zoneinfo field, metric, help, is a counter)`.
const FIELDS: [(&str, &str, &str, bool); 34] = [
    ("nr_free_pages", "nr_free_pages", "Total number of free pages in the zone", false),
    ("min", "min_pages", "Zone watermark pages_min", false),
    ("low", "low_pages", "Zone watermark pages_low", false),
    ("high", "high_pages", "Zone watermark pages_high", false),
    ("scanned", "scanned_pages", "Pages scanned since last reclaim", false),
    ("spanned", "spanned_pages", "Total pages spanned by the zone, including holes", false),
    ("present", "present_pages", "Physical pages existing within the zone", false),
    ("managed", "managed_pages", "Present pages managed by the buddy system", false),
    ("nr_active_anon", "nr_active_anon_pages", "Number of anonymous pages recently more used", false),
    ("nr_inactive_anon", "nr_inactive_anon_pages", "Number of anonymous pages recently less used", false),
    ("nr_isolated_anon", "nr_isolated_anon_pages", "Temporary isolated pages from anon lru", false),
    ("nr_anon_pages", "nr_anon_pages", "Number of anonymous pages currently used by the system", false),
    (
        "nr_anon_transparent_hugepages",
        "nr_anon_transparent_hugepages",
        "Number of anonymous transparent huge pages currently used by the system",
        false,
    ),
    ("nr_active_file", "nr_active_file_pages", "Number of active pages with file-backing", false),
    ("nr_inactive_file", "nr_inactive_file_pages", "Number of inactive pages with file-backing", false),
    ("nr_isolated_file", "nr_isolated_file_pages", "Temporary isolated pages from file lru", false),
    ("nr_file_pages", "nr_file_pages", "Number of file pages", false),
    ("nr_slab_reclaimable", "nr_slab_reclaimable_pages", "Number of reclaimable slab pages", false),
    ("nr_slab_unreclaimable", "nr_slab_unreclaimable_pages", "Number of unreclaimable slab pages", false),
    ("nr_mlock_stack", "nr_mlock_stack_pages", "mlock()ed pages found and moved off LRU", false),
    ("nr_kernel_stack", "nr_kernel_stacks", "Number of kernel stacks", false),
    ("nr_mapped", "nr_mapped_pages", "Number of mapped pages", false),
    ("nr_dirty", "nr_dirty_pages", "Number of dirty pages", false),
    ("nr_writeback", "nr_writeback_pages", "Number of writeback pages", false),
    ("nr_unevictable", "nr_unevictable_pages", "Number of unevictable pages", false),
    ("nr_shmem", "nr_shmem_pages", "Number of shmem pages (included tmpfs/GEM pages)", false),
    ("nr_dirtied", "nr_dirtied_total", "Page dirtyings since bootup", true),
    ("nr_written", "nr_written_total", "Page writings since bootup", true),
    ("numa_hit", "numa_hit_total", "Allocated in intended node", true),
    ("numa_miss", "numa_miss_total", "Allocated in non intended node", true),
    ("numa_foreign", "numa_foreign_total", "Was intended here, hit elsewhere", true),
    ("numa_interleave", "numa_interleave_total", "Interleaver preferred this zone", true),
    ("numa_local", "numa_local_total", "Allocation from local node", true),
    ("numa_other", "numa_other_total", "Allocation from other node", true),
];

/// The zoneinfo collector.
pub(crate) struct ZoneInfo {
    settings: Arc<Settings>,
    reader: FileReader,
    /// The full metric names, built once.
    names: Vec<String>,
}

impl ZoneInfo {
    pub(crate) fn new(settings: Arc<Settings>) -> ZoneInfo {
        let names = FIELDS.iter().map(|(_, metric, _, _)| format!("node_zoneinfo_{metric}")).collect();
        ZoneInfo { settings, reader: FileReader::new(), names }
    }
}

/// The zoneinfo collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "zoneinfo",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(ZoneInfo::new(settings)),
};

/// `(node, zone)` of a `Node 0, zone   Normal` line (procfs' `(\d+), zone\s+(\w+)`).
fn node_and_zone(line: &str) -> Option<(&str, &str)> {
    let at = line.find(", zone")?;
    let digits = line[..at].bytes().rev().take_while(u8::is_ascii_digit).count();
    let rest = &line[at + ", zone".len()..];
    let trimmed = rest.trim_start();
    let word = trimmed.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
    (digits > 0 && trimmed.len() < rest.len() && word > 0).then(|| (&line[at - digits..at], &trimmed[..word]))
}

/// The values of a `protection: (0, 1, 2)` line, if all are integers.
fn protection(line: &str) -> Option<Vec<i64>> {
    let values = line.split_once(':')?.1.replacen('(', "", 1).replacen(')', "", 1);
    values.trim().split(", ").map(parse_int_prefixed).collect()
}

impl Collector for ZoneInfo {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("zoneinfo");
        let text = self.reader.read_str(&path)?;
        for block in text.split("\nNode") {
            let (mut node, mut zone) = ("", "");
            let mut values: [Option<i64>; FIELDS.len()] = [None; FIELDS.len()];
            let mut protections: Vec<i64> = Vec::new();
            for line in block.split('\n') {
                if let Some((n, z)) = node_and_zone(line) {
                    (node, zone) = (n, z);
                    continue;
                }
                let mut parts = line.split_ascii_whitespace();
                let (Some(key), Some(value)) = (parts.next(), parts.next()) else { continue };
                if key == "protection:" {
                    if let Some(list) = protection(line) {
                        protections = list;
                    }
                } else if let Some(i) = FIELDS.iter().position(|(field, _, _, _)| *field == key) {
                    values[i] = parse_int_prefixed(value);
                }
            }
            let series = labels(&[("node", node), ("zone", zone)]);
            for (i, value) in values.iter().enumerate() {
                let (Some(value), (_, _, help, counter)) = (value, FIELDS[i]) else { continue };
                if counter {
                    out.counter(&self.names[i], help, series.clone(), *value as f64);
                } else {
                    out.gauge(&self.names[i], help, series.clone(), *value as f64);
                }
            }
            for (i, value) in protections.iter().enumerate() {
                out.gauge(
                    &format!("node_zoneinfo_protection_{i}"),
                    &format!("Protection array {i}. field"),
                    series.clone(),
                    *value as f64,
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
    fn zone_headers_and_protection_lines_parse() {
        assert_eq!(node_and_zone("Node 0, zone   Normal"), Some(("0", "Normal")));
        assert_eq!(node_and_zone(" 12, zone DMA32"), Some(("12", "DMA32")));
        assert_eq!(node_and_zone("Node x, zone DMA"), None);
        assert_eq!(protection("        protection: (0, 2958, 23977)"), Some(vec![0, 2958, 23977]));
        assert_eq!(protection("protection: (0, x)"), None);
    }
}
