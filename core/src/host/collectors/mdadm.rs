//! mdadm: software RAID state from /proc/mdstat, parsed as node_exporter 1.5 (procfs) parses it:
//! `node_md_state{device,state}`, `node_md_disks{device,state}`, `node_md_disks_required`,
//! `node_md_blocks` and `node_md_blocks_synced`. A host without md (no /proc/mdstat) reports
//! success 0, as node_exporter does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use regex::Regex;
use std::path::Path;
use std::sync::Arc;

/// One md device.
#[derive(Debug, Clone, PartialEq)]
struct MdStat {
    name: String,
    activity: String,
    disks_active: u64,
    disks_total: u64,
    disks_failed: u64,
    disks_spare: u64,
    blocks_total: u64,
    blocks_synced: u64,
}

/// The compiled patterns of procfs' mdstat parser.
struct Patterns {
    status: Regex,
    recovery_blocks: Regex,
}

/// The mdadm collector.
pub(crate) struct Mdadm {
    settings: Arc<Settings>,
    reader: FileReader,
    patterns: Option<Patterns>,
}

impl Mdadm {
    pub(crate) fn new(settings: Arc<Settings>) -> Mdadm {
        let patterns =
            match (Regex::new(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]"), Regex::new(r"\((\d+)/\d+\)")) {
                (Ok(status), Ok(recovery_blocks)) => Some(Patterns { status, recovery_blocks }),
                _ => None,
            };
        Mdadm { settings, reader: FileReader::new(), patterns }
    }
}

/// Parses /proc/mdstat text; any malformed device block is an error (node_exporter fails too).
fn parse_mdstat(text: &str, patterns: &Patterns, path: &Path) -> Result<Vec<MdStat>, CollectError> {
    let bad = |reason| CollectError::parse(path, reason);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut devices = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty()
            || line.starts_with(' ')
            || line.starts_with("Personalities")
            || line.starts_with("unused")
        {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 3 {
            return Err(bad("md line with fewer than 3 fields"));
        }
        if lines.len() <= i + 3 {
            return Err(bad("too few lines for md device"));
        }
        let mut activity = fields[2].to_string();
        let failed = line.matches("(F)").count() as u64;
        let spare = line.matches("(S)").count() as u64;
        let status_line = lines[i + 1];
        let size: u64 = status_line
            .split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("status line without a block count"))?;
        let (active, total) = if line.contains("raid0") || line.contains("linear") {
            let total = line.matches('[').count() as u64;
            (total, total)
        } else if line.contains("inactive") {
            (0, 0)
        } else {
            let captures =
                patterns.status.captures(status_line).ok_or_else(|| bad("status line without [n/m] [UU]"))?;
            let number = |i: usize| captures.get(i).and_then(|m| m.as_str().parse::<u64>().ok());
            match (number(2), number(3)) {
                (Some(total), Some(active)) => (active, total),
                _ => return Err(bad("status line counts are not numbers")),
            }
        };
        let mut sync_index = i + 2;
        if lines[i + 2].contains("bitmap") {
            sync_index += 1;
        }
        let sync_line = lines.get(sync_index).copied().unwrap_or("");
        let mut synced = size;
        let recovering = sync_line.contains("recovery");
        let resyncing = sync_line.contains("resync");
        let checking = sync_line.contains("check");
        if recovering || resyncing || checking {
            activity = if recovering {
                "recovering"
            } else if checking {
                "checking"
            } else {
                "resyncing"
            }
            .to_string();
            if sync_line.contains("PENDING") || sync_line.contains("DELAYED") {
                synced = 0;
            } else {
                synced = patterns
                    .recovery_blocks
                    .captures(sync_line)
                    .and_then(|c| c.get(1))
                    .and_then(|m| m.as_str().parse().ok())
                    .ok_or_else(|| bad("sync line without (done/total) blocks"))?;
            }
        }
        devices.push(MdStat {
            name: fields[0].to_string(),
            activity,
            disks_active: active,
            disks_total: total,
            disks_failed: failed,
            disks_spare: spare,
            blocks_total: size,
            blocks_synced: synced,
        });
    }
    Ok(devices)
}

/// The mdadm collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "mdadm",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Mdadm::new(settings)),
};

impl Collector for Mdadm {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("mdstat");
        let text = self.settings.absences.read_str(&mut self.reader, &path)?;
        let Some(patterns) = &self.patterns else {
            return Err(CollectError::parse(&path, "mdstat patterns failed to compile"));
        };
        for md in parse_mdstat(text, patterns, &path)? {
            let device = md.name.as_str();
            out.gauge(
                "node_md_disks_required",
                "Total number of disks of device.",
                pairs(&[("device", device)]),
                md.disks_total as f64,
            );
            for (state, count) in
                [("active", md.disks_active), ("failed", md.disks_failed), ("spare", md.disks_spare)]
            {
                out.gauge(
                    "node_md_disks",
                    "Number of active/failed/spare disks of device.",
                    pairs(&[("device", device), ("state", state)]),
                    count as f64,
                );
            }
            for (state, activity) in [
                ("active", "active"),
                ("inactive", "inactive"),
                ("recovering", "recovering"),
                ("resync", "resyncing"),
                ("check", "checking"),
            ] {
                out.gauge(
                    "node_md_state",
                    "Indicates the state of md-device.",
                    pairs(&[("device", device), ("state", state)]),
                    if md.activity == activity { 1.0 } else { 0.0 },
                );
            }
            out.gauge(
                "node_md_blocks",
                "Total number of blocks on device.",
                pairs(&[("device", device)]),
                md.blocks_total as f64,
            );
            out.gauge(
                "node_md_blocks_synced",
                "Number of blocks synced on device.",
                pairs(&[("device", device)]),
                md.blocks_synced as f64,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_mdstat_is_an_error_not_a_panic() {
        let settings = Arc::new(crate::host::HostConfig::default().compile().expect("test setup"));
        let collector = Mdadm::new(settings);
        let patterns = collector.patterns.as_ref().expect("patterns compile");
        let path = Path::new("/proc/mdstat");
        assert!(parse_mdstat("md0 : active\n", patterns, path).is_err());
        assert!(parse_mdstat("md0 : active raid1 sda1[0]\n   x blocks\n\n\n", patterns, path).is_err());
        assert!(parse_mdstat("md0 : active raid1 sda1[0]\n   10 blocks [2/1]\n\n\n", patterns, path).is_err());
        let ok = parse_mdstat("Personalities : [raid1]\nunused devices: <none>\n", patterns, path);
        assert_eq!(ok.expect("no devices is fine"), Vec::new());
    }
}
