//! thermal_zone: `node_thermal_zone_temp{zone,type}` (Celsius) from /sys/class/thermal/thermal_zoneN
//! and `node_cooling_device_{cur,max}_state{name,type}` from /sys/class/thermal/cooling_deviceN.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{Dir, DirLister};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The thermal_zone collector. A server with ACPI processor cooling lists one cooling device per
/// CPU (64 on a 64-CPU host): listing them and reading their attributes reuses the lister, the
/// buffers and the type label, so a collection allocates nothing per zone or device.
pub(crate) struct ThermalZone {
    settings: Arc<Settings>,
    /// `class/thermal`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
    lister: DirLister,
    /// Reused: an attribute's path relative to the class directory, the page read, the `type`.
    relative: Vec<u8>,
    buf: Box<[u8; 4096]>,
    kind: String,
}

impl ThermalZone {
    pub(crate) fn new(settings: Arc<Settings>) -> ThermalZone {
        ThermalZone {
            class: settings.sys("class/thermal"),
            settings,
            lister: DirLister::keeping(),
            relative: Vec::new(),
            buf: Box::new([0; 4096]),
            kind: String::new(),
        }
    }
}

/// The thermal_zone collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "thermal_zone",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(ThermalZone::new(settings)),
};

/// A cooling device's state files, each with its family and help (a file that cannot be read is
/// left out).
const COOLING_STATES: [(&CStr, &str, &str); 2] = [
    (c"cur_state", "node_cooling_device_cur_state", "Current throttle state of the cooling device"),
    (c"max_state", "node_cooling_device_max_state", "Maximum throttle state of the cooling device"),
];

/// Reads `<entry>/<file>` of the class directory as a number; `None` when unreadable or not one.
fn number(
    class: &Dir,
    entry: &str,
    file: &CStr,
    relative: &mut Vec<u8>,
    buf: &mut [u8; 4096],
) -> Option<f64> {
    class.entry_attribute(entry, file, relative, buf)?.parse::<f64>().ok()
}

impl Collector for ThermalZone {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let Some(entries) = self.settings.absences.list_devices(&mut self.lister, &self.class)? else {
            return Ok(());
        };
        let class = Dir::open(&self.class)?;
        let (relative, buf, kind) = (&mut self.relative, &mut *self.buf, &mut self.kind);
        for entry in entries {
            let Some(name) =
                entry.strip_prefix("thermal_zone").or_else(|| entry.strip_prefix("cooling_device"))
            else {
                continue;
            };
            // A device whose type or sensor fails to read (EIO, ENODATA) is skipped, as node_exporter does.
            let Some(text) = class.entry_attribute(entry, c"type", relative, buf) else { continue };
            kind.clear();
            kind.push_str(text);
            if entry.starts_with("thermal_zone") {
                let Some(temp) = number(&class, entry, c"temp", relative, buf) else { continue };
                out.gauge(
                    "node_thermal_zone_temp",
                    "Zone temperature in Celsius",
                    pairs(&[("type", kind), ("zone", name)]),
                    temp / 1000.0,
                );
                continue;
            }
            for (file, family, help) in COOLING_STATES {
                if let Some(state) = number(&class, entry, file, relative, buf) {
                    out.gauge(family, help, pairs(&[("name", name), ("type", kind)]), state);
                }
            }
        }
        Ok(())
    }
}
