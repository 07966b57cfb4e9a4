//! hwmon: hardware sensors from /sys/class/hwmon/hwmonN: temperatures, voltages, currents, power and
//! fan speeds (`node_hwmon_temp_celsius`, `node_hwmon_in_volts`, `node_hwmon_curr_amps`,
//! `node_hwmon_power_*_watt`, `node_hwmon_fan_rpm`, ...), with `node_hwmon_chip_names` and
//! `node_hwmon_sensor_label`. The chip label follows node_exporter: `<bus>_<device>` of the `device`
//! link, else the `name` file, else the hwmon directory name.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::{list_dir, parse_f64, read_trimmed};
use std::path::Path;
use std::sync::Arc;

/// `(sensor type, unit suffix, scale, human name)`.
const TYPES: [(&str, &str, f64, &str); 7] = [
    ("temp", "celsius", 0.001, "temperature"),
    ("in", "volts", 0.001, "voltage"),
    ("curr", "amps", 0.001, "current"),
    ("power", "watt", 0.000_001, "power"),
    ("energy", "joule", 0.000_001, "energy"),
    ("fan", "rpm", 1.0, "fan speed"),
    ("humidity", "ratio", 0.001, "humidity"),
];

/// The hwmon collector.
pub(crate) struct Hwmon {
    settings: Arc<Settings>,
}

impl Hwmon {
    pub(crate) fn new(settings: Arc<Settings>) -> Hwmon {
        Hwmon { settings }
    }
}

/// Lowercases and turns anything outside `[a-z0-9_]` into `_` (node_exporter's cleanMetricName).
fn clean(name: &str) -> String {
    let cleaned: String =
        name.trim().to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
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

/// Splits `temp1_input` into `("temp", "temp1", "input")`.
fn split_sensor_file(file: &str) -> Option<(&str, &str, &str)> {
    let (sensor, property) = file.split_once('_')?;
    let digits = sensor.find(|c: char| c.is_ascii_digit())?;
    let kind = &sensor[..digits];
    if kind.is_empty() || !sensor[digits..].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((kind, sensor, property))
}

impl Collector for Hwmon {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.settings.sys("class/hwmon");
        for entry in list_dir(&base)? {
            let dir = base.join(&entry);
            let chip = chip_name(&dir, &entry);
            if let Ok(name) = read_trimmed(&dir.join("name")) {
                out.gauge(
                    "node_hwmon_chip_names",
                    "Annotation metric for human-readable chip names",
                    labels(&[("chip", &chip), ("chip_name", &name)]),
                    1.0,
                );
            }
            let Ok(files) = list_dir(&dir) else { continue };
            for file in &files {
                let Some((kind, sensor, property)) = split_sensor_file(file) else { continue };
                if property == "label" {
                    if let Ok(label) = read_trimmed(&dir.join(file)) {
                        out.gauge(
                            "node_hwmon_sensor_label",
                            "Label for given chip and sensor",
                            labels(&[("chip", &chip), ("label", &label), ("sensor", sensor)]),
                            1.0,
                        );
                    }
                    continue;
                }
                let Some((_, unit, scale, human)) = TYPES.iter().find(|(t, ..)| *t == kind) else { continue };
                let Ok(raw) = read_trimmed(&dir.join(file)) else { continue };
                let Some(value) = parse_f64(raw.trim()) else { continue };
                let (name, value) = match property {
                    "input" => (format!("node_hwmon_{kind}_{unit}"), value * scale),
                    "alarm" | "fault" | "beep" | "enable" => (format!("node_hwmon_{kind}_{property}"), value),
                    "min" | "max" | "crit" | "lcrit" | "emergency" | "lowest" | "highest" | "average"
                    | "crit_alarm" | "max_alarm" | "min_alarm" | "target" => {
                        (format!("node_hwmon_{kind}_{property}_{unit}"), value * scale)
                    }
                    _ => continue,
                };
                let help = format!("Hardware monitor for {human} ({property})");
                out.gauge(&name, &help, labels(&[("chip", &chip), ("sensor", sensor)]), value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensor_files_split() {
        assert_eq!(split_sensor_file("temp1_input"), Some(("temp", "temp1", "input")));
        assert_eq!(split_sensor_file("fan12_min"), Some(("fan", "fan12", "min")));
        assert_eq!(split_sensor_file("name"), None);
        assert_eq!(split_sensor_file("uevent_x"), None);
        assert_eq!(clean("Core 0!"), "core_0");
    }
}
