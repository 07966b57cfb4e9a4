//! netstat: protocol counters from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6, selected by
//! the `netstat_fields` regex on `Protocol_Field`, as untyped `node_netstat_<Protocol>_<Field>`.

use crate::host::emit::{Emitter, FastMap};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::path::Path;
use std::sync::Arc;

/// The netstat collector.
pub(crate) struct NetStat {
    settings: Arc<Settings>,
    reader: FileReader,
    /// `Protocol_Field` -> `(metric, help)` when the field regex selects it; kept across scrapes so
    /// each of the ~300 fields is matched against the regex once.
    selected: FastMap<String, Option<(String, String)>>,
    key: String,
}

impl NetStat {
    pub(crate) fn new(settings: Arc<Settings>) -> NetStat {
        NetStat { settings, reader: FileReader::new(), selected: FastMap::default(), key: String::new() }
    }

    fn emit(&mut self, out: &mut Emitter, protocol: &str, field: &str, value: f64) {
        self.key.clear();
        self.key.push_str(protocol);
        self.key.push('_');
        self.key.push_str(field);
        if !self.selected.contains_key(&self.key) {
            let wanted = self.settings.netstat_fields.as_ref().is_none_or(|f| f.is_match(&self.key));
            let names = wanted
                .then(|| (format!("node_netstat_{}", self.key), format!("Statistic {protocol}{field}.")));
            self.selected.insert(self.key.clone(), names);
        }
        if let Some(Some((name, help))) = self.selected.get(&self.key) {
            out.untyped(name, help, vec![], value);
        }
    }

    /// Reads `<procfs>/net/<name>` and hands its text to `parse` (the reader is moved out meanwhile, so
    /// `parse` may use `self`).
    fn with_file(
        &mut self,
        name: &str,
        out: &mut Emitter,
        parse: fn(&mut NetStat, &str, &Path, &mut Emitter) -> Result<(), CollectError>,
    ) -> Result<(), CollectError> {
        let mut reader = std::mem::take(&mut self.reader);
        let path = self.settings.proc("net").join(name);
        let result = match reader.read_str(&path) {
            Ok(text) => parse(self, text, &path, out),
            Err(e) => Err(e),
        };
        self.reader = reader;
        result
    }

    /// Parses a file of header/value line pairs (`TcpExt: A B` then `TcpExt: 1 2`).
    fn paired(&mut self, text: &str, path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
        let mut lines = text.lines();
        while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
            let mut names = names.split_ascii_whitespace();
            let mut values = values.split_ascii_whitespace();
            let (Some(protocol), Some(check)) = (names.next(), values.next()) else {
                return Err(CollectError::parse(path, "empty line"));
            };
            if protocol != check {
                return Err(CollectError::parse(path, "header and value lines disagree"));
            }
            let protocol = protocol.trim_end_matches(':');
            for (field, value) in names.zip(values) {
                if let Some(value) = parse_f64(value) {
                    self.emit(out, protocol, field, value);
                }
            }
        }
        Ok(())
    }

    /// Parses /proc/net/snmp6 (`Ip6InReceives 12` lines; the protocol ends at its `6`).
    fn snmp6(&mut self, text: &str, _path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let (Some(key), Some(value)) = (fields.next(), fields.next().and_then(parse_f64)) else {
                continue;
            };
            let Some(six) = key.find('6') else { continue };
            let (protocol, field) = key.split_at(six + 1);
            self.emit(out, protocol, field, value);
        }
        Ok(())
    }
}

/// The netstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "netstat",
    enabled_by_default: true,
    placement: Placement::Inline,
    build: |settings| Box::new(NetStat::new(settings)),
};

impl Collector for NetStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.with_file("netstat", out, NetStat::paired)?;
        self.with_file("snmp", out, NetStat::paired)?;
        match self.with_file("snmp6", out, NetStat::snmp6) {
            // A kernel without IPv6 has no snmp6; node_exporter carries on without it.
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
