//! netstat: protocol counters from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6, selected by
//! the `netstat_fields` regex on `Protocol_Field`, as untyped `node_netstat_<Protocol>_<Field>`.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::read::{parse_f64, FileReader};
use std::path::Path;
use std::sync::Arc;

/// The netstat collector.
pub(crate) struct NetStat {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl NetStat {
    pub(crate) fn new(settings: Arc<Settings>) -> NetStat {
        NetStat { settings, reader: FileReader::new() }
    }

    fn emit(&self, out: &mut Emitter, protocol: &str, field: &str, value: f64) {
        let key = format!("{protocol}_{field}");
        if let Some(filter) = &self.settings.netstat_fields {
            if !filter.is_match(&key) {
                return;
            }
        }
        let help = format!("Statistic {protocol}{field}.");
        out.untyped(&format!("node_netstat_{key}"), &help, vec![], value);
    }

    /// Reads a file of header/value line pairs (`TcpExt: A B` then `TcpExt: 1 2`).
    fn paired(&mut self, path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
        let text = self.reader.read_str(path)?.to_string();
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

    /// Reads /proc/net/snmp6 (`Ip6InReceives 12` lines; the protocol ends at its `6`).
    fn snmp6(&mut self, path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
        let text = self.reader.read_str(path)?.to_string();
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

impl Collector for NetStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.paired(&self.settings.proc("net/netstat"), out)?;
        self.paired(&self.settings.proc("net/snmp"), out)?;
        let snmp6 = self.settings.proc("net/snmp6");
        match self.snmp6(&snmp6, out) {
            // A kernel without IPv6 has no snmp6; node_exporter carries on without it.
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}
