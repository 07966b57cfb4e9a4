//! nvme: `node_nvme_info{device,firmware_revision,model,serial,state}` (value 1) for each NVMe
//! controller in /sys/class/nvme. A host without NVMe reports success 0, as node_exporter does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::read_trimmed;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The nvme collector.
pub(crate) struct Nvme {
    settings: Arc<Settings>,
    /// `class/nvme`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl Nvme {
    pub(crate) fn new(settings: Arc<Settings>) -> Nvme {
        Nvme { class: settings.sys("class/nvme"), settings }
    }
}

/// The nvme collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "nvme",
    enabled_by_default: true,
    placement: Placement::Hardware,
    build: |settings| Box::new(Nvme::new(settings)),
};

impl Collector for Nvme {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.class.clone();
        for device in self.settings.absences.list_dir(&class)? {
            let dir = class.join(&device);
            let read = |file: &str| read_trimmed(&dir.join(file)).map(|v| v.trim().to_string());
            let (firmware, model, serial, state) =
                (read("firmware_rev")?, read("model")?, read("serial")?, read("state")?);
            out.gauge(
                "node_nvme_info",
                "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
                pairs(&[
                    ("device", &device),
                    ("firmware_revision", &firmware),
                    ("model", &model),
                    ("serial", &serial),
                    ("state", &state),
                ]),
                1.0,
            );
        }
        Ok(())
    }
}
