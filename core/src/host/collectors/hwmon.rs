//! hwmon: hardware sensors from /sys/class/hwmon/hwmonN (and its `device/` directory), named as
//! node_exporter names them: `node_hwmon_<type>[_<element>]_<unit>` with labels `chip` and `sensor`
//! (`node_hwmon_temp_celsius`, `node_hwmon_temp_crit_celsius`, `node_hwmon_in_volts`,
//! `node_hwmon_fan_rpm`, `node_hwmon_power_average_watt`, `node_hwmon_energy_joule_total`, ...), plus
//! `node_hwmon_chip_names{chip,chip_name}` and `node_hwmon_sensor_label{chip,label,sensor}` (label as
//! the kernel writes it). The chip
//! label is `<bus>_<device>` of the `device` link (e.g. `platform_coretemp_0`), else the `name` file,
//! else the hwmon directory name, all lowercased with characters outside `[a-z0-9:_]` made `_`.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, read_trimmed};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use crate::metrics::MetricType;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Sensor file prefixes node_exporter reads.
const SENSOR_TYPES: [&str; 13] = [
    "vrm",
    "beep_enable",
    "update_interval",
    "in",
    "cpu",
    "fan",
    "pwm",
    "temp",
    "curr",
    "power",
    "energy",
    "humidity",
    "intrusion",
];

/// The hwmon collector.
pub(crate) struct Hwmon {
    settings: Arc<Settings>,
    /// `class/hwmon`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl Hwmon {
    pub(crate) fn new(settings: Arc<Settings>) -> Hwmon {
        Hwmon { class: settings.sys("class/hwmon"), settings }
    }
}

/// node_exporter's cleanMetricName: lowercase, `[^a-z0-9:_]` to `_`, `_` trimmed at both ends.
fn clean(name: &str) -> String {
    let cleaned: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == ':' || c == '_' { c } else { '_' })
        .collect();
    cleaned.trim_matches('_').to_string()
}

/// The chip label of a hwmon directory.
fn chip_name(dir: &Path, fallback: &str) -> String {
    if let Ok(device) = std::fs::canonicalize(dir.join("device")) {
        let name = device.file_name().map(|n| clean(&n.to_string_lossy())).unwrap_or_default();
        let bus = device
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| clean(&n.to_string_lossy()))
            .unwrap_or_default();
        if !bus.is_empty() && !name.is_empty() {
            return format!("{bus}_{name}");
        }
        if !name.is_empty() {
            return name;
        }
    }
    if let Ok(name) = read_trimmed(&dir.join("name")) {
        let name = clean(&name);
        if !name.is_empty() {
            return name;
        }
    }
    clean(fallback)
}

/// Splits a sensor file name as node_exporter's `^([^0-9]+)([0-9]*)?(_(.+))?$` does:
/// `temp1_crit_alarm` is `("temp", 1, "crit_alarm")`, `pwm1` is `("pwm", 1, "")`.
fn explode(file: &str) -> Option<(&str, u64, &str)> {
    let type_end = file.find(|c: char| c.is_ascii_digit()).unwrap_or(file.len());
    let (kind, rest) = file.split_at(type_end);
    if kind.is_empty() {
        return None;
    }
    let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let (digits, tail) = rest.split_at(digits_end);
    let number = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let property = match tail {
        "" => "",
        _ => tail.strip_prefix('_').filter(|p| !p.is_empty())?,
    };
    Some((kind, number, property))
}

/// Reads the sensor files of `dir` into `sensor -> element -> value`.
fn collect_sensor_data(
    dir: &Path,
    data: &mut BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(), CollectError> {
    for file in list_dir(dir)? {
        let Some((kind, number, property)) = explode(&file) else { continue };
        if !SENSOR_TYPES.contains(&kind) {
            continue;
        }
        let Ok(value) = read_trimmed(&dir.join(&file)) else { continue };
        data.entry(format!("{kind}{number}")).or_default().insert(property.to_string(), value);
    }
    Ok(())
}

/// `(metric, help, type, value)` for one element of one sensor, or `None` to skip it.
fn element_metric(
    kind: &str,
    element: &str,
    has_bare_value: bool,
    value: f64,
) -> (String, String, MetricType, f64) {
    let mut name = format!("node_hwmon_{kind}");
    if element == "input" {
        if has_bare_value {
            name.push_str("_input");
        }
    } else if !element.is_empty() {
        name.push('_');
        name.push_str(&clean(element));
    }
    let gauge = MetricType::Gauge;
    match (kind, element) {
        (_, "fault" | "alarm") => (name, format!("Hardware sensor {element} status ({kind})"), gauge, value),
        (_, "beep") => (format!("{name}_enabled"), "Hardware monitor sensor has beeping enabled".into(), gauge, value),
        ("in" | "cpu", _) => (format!("{name}_volts"), format!("Hardware monitor for voltage ({element})"), gauge, value * 0.001),
        ("temp", e) if e != "type" => {
            (format!("{name}_celsius"), format!("Hardware monitor for temperature ({element})"), gauge, value * 0.001)
        }
        ("curr", _) => (format!("{name}_amps"), format!("Hardware monitor for current ({element})"), gauge, value * 0.001),
        ("energy", _) => (
            format!("{name}_joule_total"),
            format!("Hardware monitor for joules used so far ({element})"),
            MetricType::Counter,
            value / 1_000_000.0,
        ),
        ("power", "accuracy") => {
            (name, "Hardware monitor power meter accuracy, as a ratio".into(), gauge, value / 1_000_000.0)
        }
        ("power", "average_interval" | "average_interval_min" | "average_interval_max") => (
            format!("{name}_seconds"),
            format!("Hardware monitor power usage update interval ({element})"),
            gauge,
            value * 0.001,
        ),
        ("power", _) => (
            format!("{name}_watt"),
            format!("Hardware monitor for power usage in watts ({element})"),
            gauge,
            value / 1_000_000.0,
        ),
        ("humidity", _) => (
            name,
            format!(
                "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) ({element})"
            ),
            gauge,
            value / 1_000_000.0,
        ),
        ("fan", "input" | "min" | "max" | "target") => {
            (format!("{name}_rpm"), format!("Hardware monitor for fan revolutions per minute ({element})"), gauge, value)
        }
        _ => (name, format!("Hardware monitor {kind} element {element}"), gauge, value),
    }
}

impl Hwmon {
    fn update_chip(&self, dir: &Path, entry: &str, out: &mut Emitter) -> Result<(), CollectError> {
        let chip = chip_name(dir, entry);
        if let Ok(name) = read_trimmed(&dir.join("name")) {
            out.gauge(
                "node_hwmon_chip_names",
                "Annotation metric for human-readable chip names",
                pairs(&[("chip", &chip), ("chip_name", &clean(&name))]),
                1.0,
            );
        }
        let mut data = BTreeMap::new();
        collect_sensor_data(dir, &mut data)?;
        let device = dir.join("device");
        if device.is_dir() {
            collect_sensor_data(&device, &mut data)?;
        }
        for (sensor, elements) in &data {
            let Some((kind, _, _)) = explode(sensor) else { continue };
            let series = labels(&[("chip", &chip), ("sensor", sensor)]);
            // node_exporter 1.5 writes the label text as the kernel gives it (later versions clean it).
            if let Some(label) = elements.get("label").map(|l| l.trim()).filter(|l| !l.is_empty()) {
                out.gauge(
                    "node_hwmon_sensor_label",
                    "Label for given chip and sensor",
                    pairs(&[("chip", &chip), ("label", label), ("sensor", sensor)]),
                    1.0,
                );
            }
            let bare = elements.get("");
            match kind {
                "beep_enable" => {
                    let enabled = if bare.map(String::as_str) == Some("1") { 1.0 } else { 0.0 };
                    out.gauge("node_hwmon_beep_enabled", "Hardware beep enabled", series, enabled);
                    continue;
                }
                "vrm" => {
                    if let Some(v) = bare.and_then(|v| v.trim().parse::<f64>().ok()) {
                        out.gauge(
                            "node_hwmon_voltage_regulator_version",
                            "Hardware voltage regulator",
                            series,
                            v,
                        );
                    }
                    continue;
                }
                "update_interval" => {
                    if let Some(v) = bare.and_then(|v| v.trim().parse::<f64>().ok()) {
                        out.gauge(
                            "node_hwmon_update_interval_seconds",
                            "Hardware monitor update interval",
                            series,
                            v * 0.001,
                        );
                    }
                    continue;
                }
                _ => {}
            }
            for (element, raw) in elements {
                if element == "label" {
                    continue;
                }
                let Ok(value) = raw.trim().parse::<f64>() else { continue };
                let (name, help, kind_of_metric, value) =
                    element_metric(kind, element, bare.is_some(), value);
                out.sample(&name, &help, kind_of_metric, series.clone(), value);
            }
        }
        Ok(())
    }
}

/// The hwmon collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "hwmon",
    enabled_by_default: true,
    placement: Placement::Hardware,
    build: |settings| Box::new(Hwmon::new(settings)),
};

impl Collector for Hwmon {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.class.clone();
        let mut last_error = None;
        for entry in self.settings.absences.list_dir(&base)? {
            let dir = base.join(&entry);
            if !dir.is_dir() {
                continue;
            }
            if let Err(error) = self.update_chip(&dir, &entry, out) {
                last_error = Some(error);
            }
        }
        last_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_files_split_like_node_exporter() {
        assert_eq!(explode("temp1_input"), Some(("temp", 1, "input")));
        assert_eq!(explode("temp1_crit_alarm"), Some(("temp", 1, "crit_alarm")));
        assert_eq!(explode("fan12_min"), Some(("fan", 12, "min")));
        assert_eq!(explode("pwm1"), Some(("pwm", 1, "")));
        assert_eq!(explode("beep_enable"), Some(("beep_enable", 0, "")));
        assert_eq!(explode("1abc"), None);
        assert_eq!(explode("temp1_"), None);
        assert_eq!(clean("Core 0!"), "core_0");
        assert_eq!(clean("0000:00:18.3"), "0000:00:18_3");
    }

    #[test]
    fn elements_get_node_exporter_names_and_units() {
        let (name, _, _, value) = element_metric("temp", "input", false, 45000.0);
        assert_eq!((name.as_str(), value), ("node_hwmon_temp_celsius", 45.0));
        let (name, _, _, _) = element_metric("temp", "crit_alarm", false, 0.0);
        assert_eq!(name, "node_hwmon_temp_crit_alarm_celsius");
        let (name, _, kind, value) = element_metric("energy", "input", false, 2_000_000.0);
        assert_eq!((name.as_str(), kind, value), ("node_hwmon_energy_joule_total", MetricType::Counter, 2.0));
        let (name, _, _, _) = element_metric("pwm", "", false, 100.0);
        assert_eq!(name, "node_hwmon_pwm");
        let (name, _, _, _) = element_metric("temp", "alarm", false, 0.0);
        assert_eq!(name, "node_hwmon_temp_alarm");
    }
}
