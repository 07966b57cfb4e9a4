//! processes (opt-in): process and thread counts by state from every /proc/<pid>/stat and
//! /proc/<pid>/task/<tid>/stat, and the kernel's limits (`kernel/threads-max`, `kernel/pid_max`):
//! `node_processes_{threads,max_threads,pids,max_processes}`, `node_processes_state{state}` and
//! `node_processes_threads_state{thread_state}`, as node_exporter 1.5. A process or thread that
//! exits while it is read is skipped.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// The processes collector.
pub(crate) struct Processes {
    settings: Arc<Settings>,
    reader: FileReader,
    buf: Vec<u8>,
}

impl Processes {
    pub(crate) fn new(settings: Arc<Settings>) -> Processes {
        Processes { settings, reader: FileReader::new(), buf: Vec::with_capacity(1024) }
    }
}

/// The processes collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "processes",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Processes::new(settings)),
};

/// Whether an error only means the process or thread exited meanwhile (node_exporter ignores
/// `ENOENT` and `ESRCH`).
fn vanished(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::NotFound || error.raw_os_error() == Some(libc::ESRCH)
}

/// Reads a per-process file without keeping it open (there are thousands); `Ok(false)` when the
/// process is gone.
fn read_gone_ok(path: &Path, buf: &mut Vec<u8>) -> Result<bool, CollectError> {
    buf.clear();
    let result = std::fs::File::open(path).and_then(|mut file| file.read_to_end(buf));
    match result {
        Ok(_) => Ok(true),
        Err(e) if vanished(&e) => Ok(false),
        Err(e) => Err(CollectError::io(path, e)),
    }
}

/// The state letter and thread count from the text of a `stat` file (fields after the command,
/// which is in parentheses and may hold anything).
fn state_and_threads(stat: &[u8]) -> Option<(String, u64)> {
    let close = memchr::memrchr(b')', stat)?;
    let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.to_string();
    let threads = fields.nth(16)?.parse().ok()?;
    Some((state, threads))
}

/// Names of the entries of `dir` that are numbers (process or thread ids).
fn numbered_entries(dir: &Path) -> Result<Vec<String>, CollectError> {
    let mut entries = list_dir(dir)?;
    entries.retain(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()));
    Ok(entries)
}

impl Collector for Processes {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let (mut pids, mut threads) = (0u64, 0u64);
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        let mut thread_states: BTreeMap<String, u64> = BTreeMap::new();
        let proc = self.settings.procfs.clone();
        for pid in numbered_entries(&proc)? {
            let path = proc.join(&pid).join("stat");
            if !read_gone_ok(&path, &mut self.buf)? {
                continue;
            }
            let (state, count) =
                state_and_threads(&self.buf).ok_or_else(|| CollectError::parse(&path, "not a stat line"))?;
            pids += 1;
            threads += count;
            *states.entry(state.clone()).or_default() += 1;
            let tasks = proc.join(&pid).join("task");
            let tids = match numbered_entries(&tasks) {
                Ok(tids) => tids,
                Err(CollectError::Io { source, .. }) if vanished(&source) => continue,
                Err(e) => return Err(e),
            };
            for tid in tids {
                if tid == pid {
                    *thread_states.entry(state.clone()).or_default() += 1;
                    continue;
                }
                let path = tasks.join(&tid).join("stat");
                if !read_gone_ok(&path, &mut self.buf)? {
                    continue;
                }
                let (thread_state, _) = state_and_threads(&self.buf)
                    .ok_or_else(|| CollectError::parse(&path, "not a stat line"))?;
                *thread_states.entry(thread_state).or_default() += 1;
            }
        }
        let max_threads = self.reader.read_f64(&self.settings.proc("sys/kernel/threads-max"))?;
        let max_processes = self.reader.read_f64(&self.settings.proc("sys/kernel/pid_max"))?;
        out.gauge("node_processes_threads", "Allocated threads in system", vec![], threads as f64);
        out.gauge("node_processes_max_threads", "Limit of threads in the system", vec![], max_threads);
        for (state, count) in states {
            out.gauge(
                "node_processes_state",
                "Number of processes in each state.",
                pairs(&[("state", &state)]),
                count as f64,
            );
        }
        for (state, count) in thread_states {
            out.gauge(
                "node_processes_threads_state",
                "Number of threads in each state.",
                pairs(&[("thread_state", &state)]),
                count as f64,
            );
        }
        out.gauge("node_processes_pids", "Number of PIDs", vec![], pids as f64);
        out.gauge("node_processes_max_processes", "Number of max PIDs limit", vec![], max_processes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::state_and_threads;

    #[test]
    fn stat_lines_with_odd_commands_parse() {
        let line = b"42 (a) b (c) S 1 2 3 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 7 0 100 0 0";
        assert_eq!(state_and_threads(line), Some(("S".to_string(), 7)));
        assert_eq!(state_and_threads(b"42 (no close"), None);
        assert_eq!(state_and_threads(b"42 (x) R 1"), None);
    }
}
