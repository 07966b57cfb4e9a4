//! hwmon: hardware sensors from /sys/class/hwmon/hwmonN (and its `device/` directory), named as
//! node_exporter names them: `node_hwmon_<type>[_<element>]_<unit>` with labels `chip` and `sensor`
//! (`node_hwmon_temp_celsius`, `node_hwmon_temp_crit_celsius`, `node_hwmon_in_volts`,
//! `node_hwmon_fan_rpm`, `node_hwmon_power_average_watt`, `node_hwmon_energy_joule_total`, ...), plus
//! `node_hwmon_chip_names{chip,chip_name}` and `node_hwmon_sensor_label{chip,label,sensor}` (label as
//! the kernel writes it). The chip
//! label is `<bus>_<device>` of the `device` link (e.g. `platform_coretemp_0`), else the `name` file,
//! else the hwmon directory name, all lowercased with characters outside `[a-z0-9:_]` made `_`.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, read_trimmed, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::MetricType;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
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
    /// The chips of the last collection, in listing order.
    chips: Vec<Chip>,
    /// When the chips were last all planned afresh.
    planned_at: Option<Instant>,
    reader: FileReader,
    /// Scratch space kept between collections.
    reads: Vec<ElementRead>,
    label: String,
}

impl Hwmon {
    pub(crate) fn new(settings: Arc<Settings>) -> Hwmon {
        Hwmon {
            class: settings.sys("class/hwmon"),
            settings,
            chips: Vec::new(),
            planned_at: None,
            reader: FileReader::new(),
            reads: Vec::new(),
            label: String::new(),
        }
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

/// How an element's value is turned into the metric's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    /// As read.
    One,
    /// Times 0.001 (milli-units).
    Milli,
    /// Divided by 1,000,000 (micro-units).
    Micro,
}

impl Scale {
    fn apply(self, value: f64) -> f64 {
        match self {
            Scale::One => value,
            Scale::Milli => value * 0.001,
            Scale::Micro => value / 1_000_000.0,
        }
    }
}

/// `(metric, help, type, scale)` for one element of one sensor.
fn element_metric(kind: &str, element: &str, has_bare_value: bool) -> (String, String, MetricType, Scale) {
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
        (_, "fault" | "alarm") => (name, format!("Hardware sensor {element} status ({kind})"), gauge, Scale::One),
        (_, "beep") => (format!("{name}_enabled"), "Hardware monitor sensor has beeping enabled".into(), gauge, Scale::One),
        ("in" | "cpu", _) => (format!("{name}_volts"), format!("Hardware monitor for voltage ({element})"), gauge, Scale::Milli),
        ("temp", e) if e != "type" => {
            (format!("{name}_celsius"), format!("Hardware monitor for temperature ({element})"), gauge, Scale::Milli)
        }
        ("curr", _) => (format!("{name}_amps"), format!("Hardware monitor for current ({element})"), gauge, Scale::Milli),
        ("energy", _) => (
            format!("{name}_joule_total"),
            format!("Hardware monitor for joules used so far ({element})"),
            MetricType::Counter,
            Scale::Micro,
        ),
        ("power", "accuracy") => {
            (name, "Hardware monitor power meter accuracy, as a ratio".into(), gauge, Scale::Micro)
        }
        ("power", "average_interval" | "average_interval_min" | "average_interval_max") => (
            format!("{name}_seconds"),
            format!("Hardware monitor power usage update interval ({element})"),
            gauge,
            Scale::Milli,
        ),
        ("power", _) => (
            format!("{name}_watt"),
            format!("Hardware monitor for power usage in watts ({element})"),
            gauge,
            Scale::Micro,
        ),
        ("humidity", _) => (
            name,
            format!(
                "Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) ({element})"
            ),
            gauge,
            Scale::Micro,
        ),
        ("fan", "input" | "min" | "max" | "target") => {
            (format!("{name}_rpm"), format!("Hardware monitor for fan revolutions per minute ({element})"), gauge, Scale::One)
        }
        _ => (name, format!("Hardware monitor {kind} element {element}"), gauge, Scale::One),
    }
}

/// A chip's sensors, files and metric names, kept between collections (planned again when the
/// device list or the chip's directory changes, and at least every `absent_recheck`).
struct Chip {
    /// The hwmon directory entry (`hwmon0`).
    entry: String,
    /// The directory's (device, inode): a device made again under the same name is planned again.
    id: (u64, u64),
    /// The `chip` label.
    chip: String,
    /// `node_hwmon_chip_names`' `chip_name`, from the `name` file.
    chip_name: Option<String>,
    /// By sensor name as text (`temp1`, `temp10`, `temp2`), as node_exporter walks them.
    sensors: Vec<Sensor>,
}

/// One sensor (`temp1`) of a chip.
struct Sensor {
    name: String,
    /// The length of its type (`temp`) at the start of `name`.
    kind_len: usize,
    /// By element name (`""`, the bare value, first).
    elements: Vec<Element>,
}

/// One element (`input`, `crit_alarm`, `label`, `""`) of a sensor.
struct Element {
    property: String,
    /// The files giving it, in the order node_exporter reads them (the chip directory, then
    /// `device/`): the last one read wins.
    files: Vec<PathBuf>,
    /// Name, help, type and scale without and with a bare value, made when first needed.
    metrics: [Option<(String, String, MetricType, Scale)>; 2],
}

/// The sensors of the files of `dirs`, read in order (see [`Element::files`]).
fn plan_sensors(dirs: &[&Path]) -> Result<Vec<Sensor>, CollectError> {
    let mut sensors: BTreeMap<String, (usize, BTreeMap<String, Vec<PathBuf>>)> = BTreeMap::new();
    for dir in dirs {
        for file in list_dir(dir)? {
            let Some((kind, number, property)) = explode(&file) else { continue };
            if !SENSOR_TYPES.contains(&kind) {
                continue;
            }
            let (_, elements) =
                sensors.entry(format!("{kind}{number}")).or_insert((kind.len(), BTreeMap::new()));
            elements.entry(property.to_string()).or_default().push(dir.join(&file));
        }
    }
    Ok(sensors
        .into_iter()
        .map(|(name, (kind_len, elements))| Sensor {
            name,
            kind_len,
            elements: elements
                .into_iter()
                .map(|(property, files)| Element { property, files, metrics: [None, None] })
                .collect(),
        })
        .collect())
}

/// What a collection read of one element: nothing (no file could be read), or the text's number.
type ElementRead = Option<Option<f64>>;

impl Hwmon {
    /// The plan of the chip in `dir` (listed as `entry`, with directory id `id`).
    fn plan_chip(dir: &Path, entry: &str, id: (u64, u64)) -> Result<Chip, CollectError> {
        let device = dir.join("device");
        let sensors = if device.is_dir() { plan_sensors(&[dir, &device])? } else { plan_sensors(&[dir])? };
        Ok(Chip {
            entry: entry.to_string(),
            id,
            chip: chip_name(dir, entry),
            chip_name: read_trimmed(&dir.join("name")).ok().map(|name| clean(&name)),
            sensors,
        })
    }
}

/// Writes the samples of `chip`, reading its element files through `reader`; `reads` and `label`
/// are scratch space kept between collections.
fn emit_chip(
    chip: &mut Chip,
    reader: &mut FileReader,
    reads: &mut Vec<ElementRead>,
    label: &mut String,
    out: &mut Emitter,
) {
    let Chip { chip: chip_label, chip_name, sensors, .. } = chip;
    if let Some(name) = chip_name {
        out.gauge(
            "node_hwmon_chip_names",
            "Annotation metric for human-readable chip names",
            pairs(&[("chip", chip_label), ("chip_name", name)]),
            1.0,
        );
    }
    for sensor in sensors {
        let kind = &sensor.name[..sensor.kind_len];
        let (mut has_label, mut bare_is_one) = (false, false);
        reads.clear();
        for element in &sensor.elements {
            let mut read = None;
            for file in element.files.iter().rev() {
                let Ok(text) = reader.read_str_one_piece(file) else { continue };
                read = Some(text.trim().parse::<f64>().ok());
                match element.property.as_str() {
                    "label" => {
                        // As node_exporter: the text without its newline, blanks kept.
                        has_label = !text.trim().is_empty();
                        label.clear();
                        label.push_str(text.trim_end_matches('\n'));
                    }
                    "" => bare_is_one = text.trim_end() == "1",
                    _ => {}
                }
                break;
            }
            reads.push(read);
        }
        let series_pairs = [("chip", chip_label.as_str()), ("sensor", sensor.name.as_str())];
        let series = pairs(&series_pairs);
        // node_exporter 1.5 writes the label text as the kernel gives it (later versions clean it).
        if has_label {
            out.gauge(
                "node_hwmon_sensor_label",
                "Label for given chip and sensor",
                pairs(&[("chip", chip_label), ("label", label), ("sensor", &sensor.name)]),
                1.0,
            );
        }
        let bare: ElementRead = sensor
            .elements
            .iter()
            .zip(reads.iter())
            .find(|(e, _)| e.property.is_empty())
            .and_then(|(_, r)| *r);
        match kind {
            "beep_enable" => {
                let enabled = if bare.is_some() && bare_is_one { 1.0 } else { 0.0 };
                out.gauge("node_hwmon_beep_enabled", "Hardware beep enabled", series, enabled);
                continue;
            }
            "vrm" => {
                if let Some(Some(v)) = bare {
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
                if let Some(Some(v)) = bare {
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
        let with_bare = usize::from(bare.is_some());
        for (element, read) in sensor.elements.iter_mut().zip(reads.iter()) {
            let Some(Some(value)) = *read else { continue };
            if element.property == "label" {
                continue;
            }
            let property = element.property.as_str();
            let (name, help, metric_type, scale) = element.metrics[with_bare]
                .get_or_insert_with(|| element_metric(kind, property, with_bare == 1));
            out.sample(name, help, *metric_type, series, scale.apply(value));
        }
    }
}

/// The hwmon collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "hwmon",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Hwmon::new(settings)),
};

impl Collector for Hwmon {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let listing = self.settings.absences.list_dir(&self.class)?;
        let now = Instant::now();
        let recheck = self.settings.absences.recheck();
        let fresh = self.planned_at.is_some_and(|at| now.saturating_duration_since(at) < recheck);
        if !fresh {
            self.chips.clear();
            self.planned_at = Some(now);
        }
        let mut kept = std::mem::take(&mut self.chips);
        let mut last_error = None;
        for entry in &listing {
            let dir = self.class.join(entry);
            let Ok(meta) =
                std::fs::metadata(&dir).map_err(drop).and_then(|m| m.is_dir().then_some(m).ok_or(()))
            else {
                continue;
            };
            let id = (meta.dev(), meta.ino());
            let chip = match kept.iter().position(|c| c.entry == *entry && c.id == id) {
                Some(at) => kept.swap_remove(at),
                None => match Hwmon::plan_chip(&dir, entry, id) {
                    Ok(chip) => chip,
                    Err(error) => {
                        last_error = Some(error);
                        continue;
                    }
                },
            };
            self.chips.push(chip);
        }
        let Hwmon { chips, reader, reads, label, .. } = self;
        for chip in chips.iter_mut() {
            emit_chip(chip, reader, reads, label, out);
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
        let (name, _, _, scale) = element_metric("temp", "input", false);
        assert_eq!((name.as_str(), scale.apply(45000.0)), ("node_hwmon_temp_celsius", 45.0));
        let (name, _, _, _) = element_metric("temp", "input", true);
        assert_eq!(name, "node_hwmon_temp_input_celsius");
        let (name, _, _, _) = element_metric("temp", "crit_alarm", false);
        assert_eq!(name, "node_hwmon_temp_crit_alarm_celsius");
        let (name, _, kind, scale) = element_metric("energy", "input", false);
        let energy = (name.as_str(), kind, scale.apply(2_000_000.0));
        assert_eq!(energy, ("node_hwmon_energy_joule_total", MetricType::Counter, 2.0));
        let (name, _, _, scale) = element_metric("pwm", "", false);
        assert_eq!((name.as_str(), scale.apply(100.0)), ("node_hwmon_pwm", 100.0));
        let (name, _, _, _) = element_metric("temp", "alarm", false);
        assert_eq!(name, "node_hwmon_temp_alarm");
    }
}
