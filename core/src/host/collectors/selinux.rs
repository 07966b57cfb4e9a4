//! selinux: `node_selinux_enabled` (and, when enabled, `node_selinux_current_mode`) from
//! /sys/fs/selinux.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
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

/// The selinux collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "selinux",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Selinux::new(settings)),
};

impl Collector for Selinux {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let enforce = self.settings.sys("fs/selinux/enforce");
        if !self.settings.absences.exists(&enforce) {
            out.gauge("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", vec![], 0.0);
            return Ok(());
        }
        out.gauge("node_selinux_enabled", "SELinux is enabled, 1 is true, 0 is false", vec![], 1.0);
        let current = self.reader.read_f64(&enforce)?;
        out.gauge("node_selinux_current_mode", "Current SELinux enforcement mode", vec![], current);
        Ok(())
    }
}
