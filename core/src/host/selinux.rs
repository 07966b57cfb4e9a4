//! selinux: `node_selinux_enabled` (and, when enabled, `node_selinux_current_mode`) from
//! /sys/fs/selinux.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::read::FileReader;
use std::sync::Arc;

/// The selinux collector.
pub(crate) struct Selinux {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Selinux {
    pub(crate) fn new(settings: Arc<Settings>) -> Selinux {
        Selinux { settings, reader: FileReader::new() }
    }
}

impl Collector for Selinux {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let enforce = self.settings.sys("fs/selinux/enforce");
        if !enforce.exists() {
            out.gauge("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", vec![], 0.0);
            return Ok(());
        }
        out.gauge("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", vec![], 1.0);
        let current = self.reader.read_f64(&enforce)?;
        out.gauge("node_selinux_current_mode", "Current SELinux enforcement mode", vec![], current);
        Ok(())
    }
}
