//! netstat: protocol counters from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6, selected by
//! the `netstat_fields` regex on `Protocol_Field`, as untyped `node_netstat_<Protocol>_<Field>`.

use crate::host::emit::{same, Emitter};
use crate::host::error::CollectError;
use crate::host::keyed_lines::{emit_selected, KeptKeys};
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The netstat collector.
pub(crate) struct NetStat {
    settings: Arc<Settings>,
    reader: FileReader,
    /// `<procfs>/net/{netstat,snmp,snmp6}`.
    paths: [PathBuf; 3],
    /// What each header line of netstat and snmp selected last time, by file and line pair: the
    /// kernel writes the same headers every time, so a header equal to the kept one (one `memcmp`)
    /// needs no field matching.
    headers: [Vec<Header>; 2],
    /// snmp6's `(key, selection)` by line, for the same reason.
    snmp6_keys: KeptKeys,
    key: String,
}

/// `(metric, help)` when the `netstat_fields` regex selects a field.
type Selection = Option<(String, String)>;

/// One header line of a paired file and the selection of each of its fields (after the protocol).
#[derive(Default)]
struct Header {
    /// Whether `line` was parsed (an empty kept line is no header).
    parsed: bool,
    line: String,
    protocol: String,
    fields: Vec<Selection>,
}

impl NetStat {
    pub(crate) fn new(settings: Arc<Settings>) -> NetStat {
        let net = settings.proc("net");
        let paths = [net.join("netstat"), net.join("snmp"), net.join("snmp6")];
        NetStat {
            settings,
            reader: FileReader::new(),
            paths,
            headers: Default::default(),
            snmp6_keys: Vec::new(),
            key: String::new(),
        }
    }

    /// The selection of field `field` of `protocol`.
    fn select(&mut self, protocol: &str, field: &str) -> Selection {
        self.key.clear();
        self.key.push_str(protocol);
        self.key.push('_');
        self.key.push_str(field);
        let wanted = self.settings.netstat_fields.as_ref().is_none_or(|f| f.is_match(&self.key));
        wanted.then(|| (format!("node_netstat_{}", self.key), format!("Statistic {protocol}{field}.")))
    }

    /// Reads file `which` of [`paths`](NetStat::paths) and hands its text to `parse` (the reader is
    /// moved out meanwhile, so `parse` may use `self`).
    fn with_file(
        &mut self,
        which: usize,
        out: &mut Emitter,
        parse: fn(&mut NetStat, usize, &str, &Path, &mut Emitter) -> Result<(), CollectError>,
    ) -> Result<(), CollectError> {
        let mut reader = std::mem::take(&mut self.reader);
        let path = std::mem::take(&mut self.paths[which]);
        let result = match reader.read_str_one_piece(&path) {
            Ok(text) => parse(self, which, text, &path, out),
            Err(e) => Err(e),
        };
        self.paths[which] = path;
        self.reader = reader;
        result
    }

    /// Parses a file of header/value line pairs (`TcpExt: A B` then `TcpExt: 1 2`).
    fn paired(
        &mut self,
        which: usize,
        text: &str,
        path: &Path,
        out: &mut Emitter,
    ) -> Result<(), CollectError> {
        let mut headers = std::mem::take(&mut self.headers[which]);
        let result = self.paired_with(&mut headers, text, path, out);
        self.headers[which] = headers;
        result
    }

    fn paired_with(
        &mut self,
        headers: &mut Vec<Header>,
        text: &str,
        path: &Path,
        out: &mut Emitter,
    ) -> Result<(), CollectError> {
        let mut lines = text.lines();
        let mut pair = 0;
        while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
            if headers.len() <= pair {
                headers.push(Header::default());
            }
            let header = &mut headers[pair];
            pair += 1;
            if !header.parsed || !same(&header.line, names) {
                header.parsed = false;
                let mut fields = names.split_ascii_whitespace();
                let Some(protocol) = fields.next() else {
                    return Err(CollectError::parse(path, "empty line"));
                };
                header.line.clear();
                header.line.push_str(names);
                header.protocol.clear();
                header.protocol.push_str(protocol);
                let protocol = protocol.trim_end_matches(':');
                header.fields.clear();
                for field in fields {
                    let selection = self.select(protocol, field);
                    header.fields.push(selection);
                }
                header.parsed = true;
            }
            let mut values = values.split_ascii_whitespace();
            let Some(check) = values.next() else {
                return Err(CollectError::parse(path, "empty line"));
            };
            if !same(&header.protocol, check) {
                return Err(CollectError::parse(path, "header and value lines disagree"));
            }
            for (selection, value) in header.fields.iter().zip(values) {
                if let Some((name, help)) = selection {
                    if let Some(value) = parse_f64(value) {
                        out.untyped(name, help, vec![], value);
                    }
                }
            }
        }
        Ok(())
    }

    /// Parses /proc/net/snmp6 (`Ip6InReceives 12` lines; the protocol ends at its `6`).
    fn snmp6(
        &mut self,
        _which: usize,
        text: &str,
        _path: &Path,
        out: &mut Emitter,
    ) -> Result<(), CollectError> {
        let mut keys = std::mem::take(&mut self.snmp6_keys);
        emit_selected(
            text,
            &mut keys,
            |key| {
                let (protocol, field) = key.split_at(key.find('6')? + 1);
                self.select(protocol, field)
            },
            out,
        );
        self.snmp6_keys = keys;
        Ok(())
    }
}

/// The netstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "netstat",
    enabled_by_default: true,
    placement: Placement::Parallel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(NetStat::new(settings)),
};

impl Collector for NetStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.with_file(0, out, NetStat::paired)?;
        self.with_file(1, out, NetStat::paired)?;
        match self.with_file(2, out, NetStat::snmp6) {
            // A kernel without IPv6 has no snmp6; node_exporter carries on without it.
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
