//! thermal_zone: `node_thermal_zone_temp{zone,type}` (Celsius) from /sys/class/thermal/thermal_zoneN
//! and `node_cooling_device_{cur,max}_state{name,type}` from /sys/class/thermal/cooling_deviceN.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{read_f64, read_trimmed};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The thermal_zone collector.
pub(crate) struct ThermalZone {
    settings: Arc<Settings>,
    /// `class/thermal`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl ThermalZone {
    pub(crate) fn new(settings: Arc<Settings>) -> ThermalZone {
        ThermalZone { class: settings.sys("class/thermal"), settings }
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

impl Collector for ThermalZone {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.class.clone();
        for entry in self.settings.absences.list_dir(&base)? {
            let dir = base.join(&entry);
            if let Some(zone) = entry.strip_prefix("thermal_zone") {
                // A zone whose sensor fails to read (EIO, ENODATA) is skipped, as node_exporter does.
                let (Ok(kind), Ok(temp)) = (read_trimmed(&dir.join("type")), read_f64(&dir.join("temp")))
                else {
                    continue;
                };
                out.gauge(
                    "node_thermal_zone_temp",
                    "Zone temperature in Celsius",
                    pairs(&[("type", &kind), ("zone", zone)]),
                    temp / 1000.0,
                );
            } else if let Some(name) = entry.strip_prefix("cooling_device") {
                let Ok(kind) = read_trimmed(&dir.join("type")) else { continue };
                if let Ok(current) = read_f64(&dir.join("cur_state")) {
                    out.gauge(
                        "node_cooling_device_cur_state",
                        "Current throttle state of the cooling device",
                        pairs(&[("name", name), ("type", &kind)]),
                        current,
                    );
                }
                if let Ok(max) = read_f64(&dir.join("max_state")) {
                    out.gauge(
                        "node_cooling_device_max_state",
                        "Maximum throttle state of the cooling device",
                        pairs(&[("name", name), ("type", &kind)]),
                        max,
                    );
                }
            }
        }
        Ok(())
    }
}
