//! nvme: `node_nvme_info{device,firmware_revision,model,serial,state}` (value 1) for each NVMe
//! controller in /sys/class/nvme. A host without NVMe reports success 0, as node_exporter does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{Dir, DirLister};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The attribute files of `node_nvme_info`'s labels, in label order after `device`.
const ATTRIBUTES: [(&CStr, &str); 4] =
    [(c"firmware_rev", "firmware_revision"), (c"model", "model"), (c"serial", "serial"), (c"state", "state")];

/// The nvme collector. A storage server has dozens of controllers: listing them and reading their
/// attributes reuses the lister, the buffers and the label strings, so a collection allocates
/// nothing per controller.
pub(crate) struct Nvme {
    settings: Arc<Settings>,
    /// `class/nvme`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
    lister: DirLister,
    /// Reused: an attribute's path relative to the class directory, the page read, the values.
    relative: Vec<u8>,
    buf: Box<[u8; 4096]>,
    values: [String; 4],
}

impl Nvme {
    pub(crate) fn new(settings: Arc<Settings>) -> Nvme {
        Nvme {
            class: settings.sys("class/nvme"),
            settings,
            lister: DirLister::keeping(),
            relative: Vec::new(),
            buf: Box::new([0; 4096]),
            values: Default::default(),
        }
    }
}

/// The nvme collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "nvme",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Nvme::new(settings)),
};

impl Collector for Nvme {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let Some(devices) = self.settings.absences.list_devices(&mut self.lister, &self.class)? else {
            return Ok(());
        };
        let class = Dir::open(&self.class)?;
        for device in devices {
            for ((file, _), value) in ATTRIBUTES.iter().zip(self.values.iter_mut()) {
                let Some(text) = class.entry_attribute(device, file, &mut self.relative, &mut self.buf)
                else {
                    let path = self.class.join(device).join(file.to_string_lossy().as_ref());
                    return Err(CollectError::parse(&path, "cannot be read"));
                };
                value.clear();
                value.push_str(text);
            }
            let [firmware, model, serial, state] = &self.values;
            out.gauge(
                "node_nvme_info",
                "Non-numeric data from /sys/class/nvme/<device>, value is always 1.",
                pairs(&[
                    ("device", device),
                    (ATTRIBUTES[0].1, firmware),
                    (ATTRIBUTES[1].1, model),
                    (ATTRIBUTES[2].1, serial),
                    (ATTRIBUTES[3].1, state),
                ]),
                1.0,
            );
        }
        Ok(())
    }
}
