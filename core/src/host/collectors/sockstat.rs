//! sockstat: socket counts from /proc/net/sockstat and /proc/net/sockstat6
//! (`node_sockstat_sockets_used`, `node_sockstat_<PROTO>_<state>`, `_mem_bytes` for page counts).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, path_in};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::fmt::Write;
use std::sync::Arc;

/// The sockstat collector.
pub(crate) struct SockStat {
    settings: Arc<Settings>,
    page_size: f64,
    /// Reused between collections: the path read, and names and help texts as they are built.
    path: std::path::PathBuf,
    name: String,
    help: String,
}

impl SockStat {
    pub(crate) fn new(settings: Arc<Settings>) -> SockStat {
        // SAFETY: sysconf has no preconditions; it returns -1 on error, handled below.
        let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let page_size = if page_size > 0 { page_size as f64 } else { 4096.0 };
        SockStat {
            settings,
            page_size,
            path: std::path::PathBuf::new(),
            name: String::new(),
            help: String::new(),
        }
    }

    /// The series of /proc/net/`file` (sockstat or sockstat6, shared with udp_queues).
    fn parse(&mut self, file: &str, out: &mut Emitter) -> Result<(), CollectError> {
        let page_size = self.page_size;
        let path = path_in(&mut self.path, &self.settings.procfs, &["net", file]);
        let settings = &self.settings;
        let (name, help) = (&mut self.name, &mut self.help);
        settings
            .sockstat_file(file)
            .read(path, settings.collection(), SOCKSTAT_TAKER, |text| emit(text, page_size, name, help, out))
    }
}

/// Sockstat's bit among the takers of the shared sockstat files (udp_queues' is 1).
const SOCKSTAT_TAKER: u32 = 0;

/// The series of a sockstat text, with `name` and `help` as room to build names and help texts.
fn emit(text: &str, page_size: f64, name: &mut String, help: &mut String, out: &mut Emitter) {
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(protocol) = fields.next().and_then(|p| p.strip_suffix(':')) else { continue };
        while let (Some(state), Some(value)) = (fields.next(), fields.next()) {
            let Some(value) = parse_f64(value) else { continue };
            name.clear();
            if protocol == "sockets" {
                let _ = write!(name, "node_sockstat_sockets_{state}");
                out.gauge(name, "Number of IPv4 sockets in use.", vec![], value);
                continue;
            }
            let _ = write!(name, "node_sockstat_{protocol}_{state}");
            help.clear();
            let _ = write!(help, "Number of {protocol} sockets in state {state}.");
            out.gauge(name, help, vec![], value);
            if state == "mem" {
                name.clear();
                let _ = write!(name, "node_sockstat_{protocol}_mem_bytes");
                help.clear();
                let _ = write!(help, "Number of {protocol} sockets in state mem_bytes.");
                out.gauge(name, help, vec![], value * page_size);
            }
        }
    }
}

/// The sockstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "sockstat",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(SockStat::new(settings)),
};

impl Collector for SockStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.parse("sockstat", out)?;
        match self.parse("sockstat6", out) {
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
