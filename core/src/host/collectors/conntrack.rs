//! conntrack: `node_nf_conntrack_entries`, `_entries_limit` from /proc/sys/net/netfilter and the
//! `node_nf_conntrack_stat_*` counters summed over CPUs from /proc/net/stat/nf_conntrack (hex).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(column in /proc/net/stat/nf_conntrack, metric, help)`.
const STATS: [(&str, &str, &str); 8] = [
    ("found", "node_nf_conntrack_stat_found", "Number of searched entries which were successful."),
    ("invalid", "node_nf_conntrack_stat_invalid", "Number of packets seen which can not be tracked."),
    (
        "ignore",
        "node_nf_conntrack_stat_ignore",
        "Number of packets seen which are already connected to a conntrack entry.",
    ),
    ("insert", "node_nf_conntrack_stat_insert", "Number of entries inserted into the list."),
    (
        "insert_failed",
        "node_nf_conntrack_stat_insert_failed",
        "Number of entries for which list insertion was attempted but failed.",
    ),
    ("drop", "node_nf_conntrack_stat_drop", "Number of packets dropped due to conntrack failure."),
    (
        "early_drop",
        "node_nf_conntrack_stat_early_drop",
        "Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.",
    ),
    (
        "search_restart",
        "node_nf_conntrack_stat_search_restart",
        "Number of conntrack table lookups which had to be restarted due to hashtable resizes.",
    ),
];

/// The conntrack collector.
pub(crate) struct Conntrack {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Conntrack {
    pub(crate) fn new(settings: Arc<Settings>) -> Conntrack {
        Conntrack { settings, reader: FileReader::new() }
    }
}

/// The conntrack collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "conntrack",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Conntrack::new(settings)),
};

impl Collector for Conntrack {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let entries = self.reader.read_f64(&self.settings.proc("sys/net/netfilter/nf_conntrack_count"))?;
        let limit = self.reader.read_f64(&self.settings.proc("sys/net/netfilter/nf_conntrack_max"))?;
        out.gauge(
            "node_nf_conntrack_entries",
            "Number of currently allocated flow entries for connection tracking.",
            vec![],
            entries,
        );
        out.gauge(
            "node_nf_conntrack_entries_limit",
            "Maximum size of connection tracking table.",
            vec![],
            limit,
        );
        let path = self.settings.proc("net/stat/nf_conntrack");
        let text = self.reader.read_str(&path)?;
        let mut lines = text.lines();
        let header: Vec<&str> =
            lines.next().map(|h| h.split_ascii_whitespace().collect()).unwrap_or_default();
        let mut sums = [0u64; STATS.len()];
        let columns: Vec<Option<usize>> =
            STATS.iter().map(|(column, _, _)| header.iter().position(|h| h == column)).collect();
        for line in lines {
            let values: Vec<&str> = line.split_ascii_whitespace().collect();
            for (sum, column) in sums.iter_mut().zip(&columns) {
                if let Some(v) = column.and_then(|c| values.get(c)).and_then(|v| parse_hex(v)) {
                    *sum = sum.wrapping_add(v);
                }
            }
        }
        for ((_, name, help), (sum, position)) in STATS.iter().zip(sums.iter().zip(&columns)) {
            if position.is_some() {
                out.gauge(name, help, vec![], *sum as f64);
            }
        }
        Ok(())
    }
}
