//! perf tracepoints for the perf collector (`--collector.perf.tracepoint subsystem:event`, repeated):
//! each is resolved once, when the configuration is compiled, to the kernel's tracepoint id read from
//! tracefs, and counted per CPU like the other perf events as node_exporter 1.5 exports it:
//! `node_perf_<subsystem>_<event>{cpu}`, a counter without `_total`, help
//! `Perf tracepoint <subsystem>:<event>`.
//!
//! node_exporter reads the ids under `/sys/kernel/debug/tracing/events` (debugfs' view of tracefs);
//! srekit reads `<--path.sysfs>/kernel/debug/tracing/events` and, when debugfs is not mounted there,
//! tracefs' own mount point `<--path.sysfs>/kernel/tracing/events`. A tracepoint that is in neither
//! is a configuration error naming the paths tried, as node_exporter refuses to start.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The most tracepoints one configuration may name (each opens one descriptor per CPU).
pub(crate) const MAX_TRACEPOINTS: usize = 256;

/// One tracepoint to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tracepoint {
    /// `subsystem:event`, as the flag names it.
    pub(crate) name: String,
    /// `node_perf_<subsystem>_<event>`.
    pub(crate) metric: String,
    /// `Perf tracepoint <subsystem>:<event>`.
    pub(crate) help: String,
    /// The kernel's tracepoint id (perf_event_attr.config of a PERF_TYPE_TRACEPOINT event).
    pub(crate) id: u64,
}

/// Where tracepoint ids are looked up under `sysfs`, in order.
fn event_roots(sysfs: &Path) -> [PathBuf; 2] {
    [sysfs.join("kernel/debug/tracing/events"), sysfs.join("kernel/tracing/events")]
}

/// A subsystem or event name: what tracefs names its directories with.
fn is_trace_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Resolves `list` (`subsystem:event` entries separated by whitespace) to tracepoints with their ids.
/// An error names the bad entry, or the tracepoint and the paths tried.
///
/// ```text
/// "sched:sched_switch syscalls:sys_enter_read" -> node_perf_sched_sched_switch, node_perf_syscalls_sys_enter_read
/// ```
pub(crate) fn resolve(list: &str, sysfs: &Path) -> Result<Vec<Tracepoint>, String> {
    let entries: Vec<&str> = list.split_whitespace().collect();
    if entries.len() > MAX_TRACEPOINTS {
        return Err(format!("{} tracepoints named; at most {MAX_TRACEPOINTS}", entries.len()));
    }
    let mut tracepoints: Vec<Tracepoint> = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some((subsystem, event)) =
            entry.split_once(':').filter(|(s, e)| is_trace_name(s) && is_trace_name(e))
        else {
            return Err(format!(
                "{entry:?} is not a tracepoint: expected subsystem:event (e.g. sched:sched_switch)"
            ));
        };
        if tracepoints.iter().any(|t| t.name == entry) {
            continue;
        }
        let id = read_id(subsystem, event, sysfs)?;
        tracepoints.push(Tracepoint {
            name: entry.to_string(),
            metric: format!("node_perf_{subsystem}_{event}").replace('-', "_"),
            help: format!("Perf tracepoint {entry}"),
            id,
        });
    }
    Ok(tracepoints)
}

/// The id of `subsystem:event` from the first events directory that has it.
fn read_id(subsystem: &str, event: &str, sysfs: &Path) -> Result<u64, String> {
    let roots = event_roots(sysfs);
    for root in &roots {
        let path = root.join(subsystem).join(event).join("id");
        let Ok(file) = std::fs::File::open(&path) else { continue };
        let mut text = String::new();
        file.take(64).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
        return text
            .trim()
            .parse()
            .map_err(|_| format!("{}: {:?} is not a tracepoint id", path.display(), text.trim()));
    }
    Err(format!(
        "tracepoint {subsystem}:{event} not found in {} or {} (is debugfs or tracefs mounted, and does the kernel have this tracepoint?)",
        roots[0].display(),
        roots[1].display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(ids: &[(&str, &str, &str)], root: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (subsystem, event, id) in ids {
            let path = dir.path().join(root).join(subsystem).join(event);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::write(path.join("id"), id).unwrap();
        }
        dir
    }

    #[test]
    fn entries_resolve_to_node_exporters_names_and_the_kernels_ids() {
        let sysfs = tree(
            &[("sched", "sched_switch", "316\n"), ("irq", "softirq-entry", "12\n")],
            "kernel/debug/tracing/events",
        );
        let got =
            resolve(" sched:sched_switch\tirq:softirq-entry sched:sched_switch ", sysfs.path()).unwrap();
        assert_eq!(got.len(), 2, "a repeated entry is counted once");
        assert_eq!(got[0].metric, "node_perf_sched_sched_switch");
        assert_eq!(got[0].help, "Perf tracepoint sched:sched_switch");
        assert_eq!(got[0].id, 316);
        assert_eq!(got[1].metric, "node_perf_irq_softirq_entry");
        assert_eq!(got[1].id, 12);
        assert!(resolve("", sysfs.path()).unwrap().is_empty());
    }

    #[test]
    fn tracefs_own_mount_point_is_the_fallback() {
        let sysfs = tree(&[("sched", "sched_switch", "7")], "kernel/tracing/events");
        assert_eq!(resolve("sched:sched_switch", sysfs.path()).unwrap()[0].id, 7);
    }

    #[test]
    fn bad_entries_and_missing_tracepoints_are_errors_naming_them() {
        let sysfs = tree(&[("sched", "sched_switch", "not a number")], "kernel/debug/tracing/events");
        for (list, expected) in [
            ("sched_switch", "\"sched_switch\" is not a tracepoint"),
            ("sched:", "is not a tracepoint"),
            ("../../etc:passwd", "is not a tracepoint"),
            ("sched:sched_wakeup", "tracepoint sched:sched_wakeup not found in"),
            ("sched:sched_switch", "is not a tracepoint id"),
        ] {
            let error = resolve(list, sysfs.path()).unwrap_err();
            assert!(error.contains(expected), "{list}: {error}");
        }
        let many = vec!["a:b"; MAX_TRACEPOINTS + 1].join(" ");
        assert!(resolve(&many, sysfs.path()).unwrap_err().contains("at most 256"));
    }
}
