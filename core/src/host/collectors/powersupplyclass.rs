//! powersupplyclass: the power supplies in /sys/class/power_supply (AC adapters, batteries, UPSes):
//! one `node_power_supply_<attribute>{power_supply}` gauge per numeric attribute present (µA, µV, µWh,
//! µAh and µW scaled to A, V, Wh, Ah and W; tenths of a degree to Celsius) and
//! `node_power_supply_info{power_supply,<string attributes>}` (value 1). As node_exporter's procfs:
//! an attribute the driver cannot report (EINVAL, ENODEV, EOPNOTSUPP) is left out, a numeric one
//! that does not parse fails the collector. A host without the class reports success 0.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_int_prefixed, read_attribute};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The powersupplyclass collector.
pub(crate) struct PowerSupplyClass {
    settings: Arc<Settings>,
    /// `class/power_supply`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl PowerSupplyClass {
    pub(crate) fn new(settings: Arc<Settings>) -> PowerSupplyClass {
        PowerSupplyClass { class: settings.sys("class/power_supply"), settings }
    }
}

/// What node_exporter does with a numeric attribute: its metric name (after `node_power_supply_`)
/// and the divisor to base units, or `None` for attributes it parses but does not export.
type Numeric = (&'static str, Option<(&'static str, f64)>);

/// Numeric attributes, sorted by file name.
const NUMERIC: &[Numeric] = &[
    ("authentic", Some(("authentic", 1.0))),
    ("calibrate", Some(("calibrate", 1.0))),
    ("capacity", Some(("capacity", 1.0))),
    ("capacity_alert_max", Some(("capacity_alert_max", 1.0))),
    ("capacity_alert_min", Some(("capacity_alert_min", 1.0))),
    ("charge_avg", None),
    ("charge_control_limit", Some(("charge_control_limit", 1e6))),
    ("charge_control_limit_max", Some(("charge_control_limit_max", 1e6))),
    ("charge_counter", Some(("charge_counter", 1e6))),
    ("charge_empty", Some(("charge_empty", 1e6))),
    ("charge_empty_design", Some(("charge_empty_design", 1e6))),
    ("charge_full", Some(("charge_full", 1e6))),
    ("charge_full_design", Some(("charge_full_design", 1e6))),
    ("charge_now", Some(("charge_ampere", 1e6))),
    ("charge_term_current", Some(("charge_term_current", 1e6))),
    ("constant_charge_current", Some(("constant_charge_current", 1e6))),
    ("constant_charge_current_max", Some(("constant_charge_current_max", 1e6))),
    ("constant_charge_voltage", Some(("constant_charge_voltage", 1e6))),
    ("constant_charge_voltage_max", Some(("constant_charge_voltage_max", 1e6))),
    ("current_avg", None),
    ("current_boot", Some(("current_boot", 1e6))),
    ("current_max", Some(("current_max", 1e6))),
    ("current_now", Some(("current_ampere", 1e6))),
    ("cycle_count", Some(("cyclecount", 1.0))),
    ("energy_avg", None),
    ("energy_empty", Some(("energy_empty", 1e6))),
    ("energy_empty_design", Some(("energy_empty_design", 1e6))),
    ("energy_full", Some(("energy_full", 1e6))),
    ("energy_full_design", Some(("energy_full_design", 1e6))),
    ("energy_now", Some(("energy_watthour", 1e6))),
    ("input_current_limit", Some(("input_current_limit", 1e6))),
    ("online", Some(("online", 1.0))),
    ("power_avg", None),
    ("power_now", Some(("power_watt", 1e6))),
    ("precharge_current", Some(("precharge_current", 1e6))),
    ("present", Some(("present", 1.0))),
    ("temp", Some(("temp_celsius", 10.0))),
    ("temp_alert_max", Some(("temp_alert_max_celsius", 10.0))),
    ("temp_alert_min", Some(("temp_alert_min_celsius", 10.0))),
    ("temp_ambient", Some(("temp_ambient_celsius", 10.0))),
    ("temp_ambient_max", Some(("temp_ambient_max_celsius", 10.0))),
    ("temp_ambient_min", Some(("temp_ambient_min_celsius", 10.0))),
    ("temp_max", Some(("temp_max_celsius", 10.0))),
    ("temp_min", Some(("temp_min_celsius", 10.0))),
    ("time_to_empty_avg", None),
    ("time_to_empty_now", Some(("time_to_empty_seconds", 1.0))),
    ("time_to_full_avg", None),
    ("time_to_full_now", Some(("time_to_full_seconds", 1.0))),
    ("voltage_avg", None),
    ("voltage_boot", Some(("voltage_boot", 1e6))),
    ("voltage_max", Some(("voltage_max", 1e6))),
    ("voltage_max_design", Some(("voltage_max_design", 1e6))),
    ("voltage_min", Some(("voltage_min", 1e6))),
    ("voltage_min_design", Some(("voltage_min_design", 1e6))),
    ("voltage_now", Some(("voltage_volt", 1e6))),
    ("voltage_ocv", Some(("voltage_ocv", 1e6))),
];

/// String attributes, which become labels of `node_power_supply_info` when not empty.
const STRINGS: &[&str] = &[
    "capacity_level",
    "charge_type",
    "health",
    "manufacturer",
    "model_name",
    "scope",
    "serial_number",
    "status",
    "technology",
    "type",
    "usb_type",
];

/// Reads an attribute; `None` when the driver cannot report it (as procfs skips those).
fn attribute(path: &Path) -> Result<Option<String>, CollectError> {
    match read_attribute(path) {
        Ok(value) => Ok(Some(value)),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENODEV | libc::EOPNOTSUPP)) =>
        {
            Ok(None)
        }
        Err(e) => Err(CollectError::io(path, e)),
    }
}

/// Emits one power supply (directory `dir`, named `name`).
fn supply(dir: &Path, name: &str, out: &mut Emitter) -> Result<(), CollectError> {
    let entries = std::fs::read_dir(dir).map_err(|e| CollectError::io(dir, e))?;
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    files.sort();
    let mut info = vec![("power_supply".to_string(), name.to_string())];
    let mut gauges = Vec::new();
    for file in &files {
        let path = dir.join(file);
        if let Ok(i) = NUMERIC.binary_search_by(|(n, _)| n.cmp(&file.as_str())) {
            let Some(text) = attribute(&path)? else { continue };
            let value =
                parse_int_prefixed(&text).ok_or_else(|| CollectError::parse(&path, "not an integer"))?;
            if let (_, Some((metric, divisor))) = NUMERIC[i] {
                gauges.push((metric, value as f64 / divisor));
            }
        } else if STRINGS.contains(&file.as_str()) {
            match attribute(&path)? {
                Some(text) if !text.is_empty() => info.push((file.clone(), text)),
                _ => {}
            }
        }
    }
    for (metric, value) in gauges {
        out.gauge(
            &format!("node_power_supply_{metric}"),
            &format!("{metric} value of /sys/class/power_supply/<power_supply>."),
            vec![("power_supply".to_string(), name.to_string())],
            value,
        );
    }
    info.sort();
    out.gauge("node_power_supply_info", "info of /sys/class/power_supply/<power_supply>.", info, 1.0);
    Ok(())
}

/// The powersupplyclass collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "powersupplyclass",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(PowerSupplyClass::new(settings)),
};

impl Collector for PowerSupplyClass {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.class.clone();
        for name in self.settings.absences.list_dir(&class)? {
            if self
                .settings
                .powersupply_ignored_supplies
                .as_ref()
                .is_some_and(|ignored| ignored.is_match(&name))
            {
                continue;
            }
            supply(&class.join(&name), &name, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_table_is_sorted_for_binary_search() {
        assert!(NUMERIC.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
