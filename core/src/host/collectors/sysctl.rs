//! sysctl (opt-in): the sysctls named by `sysctl_include` (numbers, untyped `node_sysctl_<name>`;
//! several values get an `index` label, or with `name:k1,k2` one `node_sysctl_<name>_<k>` each) and
//! `sysctl_include_info` (strings, `node_sysctl_info{name,value,index}`), read from
//! `<procfs>/sys/<name with dots as slashes>` as node_exporter 1.5 does (one read of at most 128
//! bytes, split at whitespace).

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_int_prefixed, read_attribute};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use regex::Regex;
use std::sync::Arc;

/// One requested sysctl.
struct Sysctl {
    /// Numbers (`include`) or strings (`include-info`).
    numeric: bool,
    /// The dotted name, e.g. `fs.file-nr`.
    name: String,
    /// `node_sysctl_<sanitized name>`.
    metric: String,
    /// Names of the values (`name:k1,k2`), empty when not given.
    keys: Vec<String>,
}

/// The sysctl collector.
pub(crate) struct SysctlCollector {
    settings: Arc<Settings>,
    sysctls: Vec<Sysctl>,
}

impl SysctlCollector {
    pub(crate) fn new(settings: Arc<Settings>) -> SysctlCollector {
        // node_exporter's SanitizeMetricName; the pattern is a constant that compiles.
        let invalid = Regex::new("_*[^0-9A-Za-z_]+_*").ok();
        let mut sysctls = Vec::new();
        for (numeric, list) in [(true, &settings.sysctl_include), (false, &settings.sysctl_include_info)] {
            for entry in list.as_deref().unwrap_or("").split_ascii_whitespace() {
                let (name, keys) = match entry.split_once(':') {
                    Some((name, keys)) => (name, keys.split(',').map(str::to_string).collect()),
                    None => (entry, Vec::new()),
                };
                let sanitized = match &invalid {
                    Some(invalid) => invalid.replace_all(name, "_").into_owned(),
                    None => name.to_string(),
                };
                sysctls.push(Sysctl {
                    numeric,
                    name: name.to_string(),
                    metric: format!("node_sysctl_{sanitized}"),
                    keys,
                });
            }
        }
        SysctlCollector { settings, sysctls }
    }
}

/// The sysctl collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "sysctl",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(SysctlCollector::new(settings)),
};

impl Collector for SysctlCollector {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        for sysctl in &self.sysctls {
            let path = self.settings.proc("sys").join(sysctl.name.replace('.', "/"));
            let text = read_attribute(&path).map_err(|e| CollectError::io(&path, e))?;
            let values: Vec<&str> = text.split_ascii_whitespace().collect();
            if values.is_empty() {
                return Err(CollectError::parse(&path, "sysctl has no values"));
            }
            if values.len() == 1 && !sysctl.keys.is_empty() {
                return Err(CollectError::parse(&path, "sysctl has one value but keys were given"));
            }
            if values.len() > 1 && !sysctl.keys.is_empty() && values.len() != sysctl.keys.len() {
                return Err(CollectError::parse(&path, "sysctl has another number of values than keys"));
            }
            if !sysctl.numeric {
                if !sysctl.keys.is_empty() {
                    return Err(CollectError::parse(&path, "keys are not supported for string sysctls"));
                }
                for (index, value) in values.iter().enumerate() {
                    let index = index.to_string();
                    let series = labels(&[("name", &sysctl.name), ("value", value), ("index", &index)]);
                    out.gauge("node_sysctl_info", "sysctl info", series, 1.0);
                }
                continue;
            }
            let numbers: Vec<f64> = values
                .iter()
                .map(|v| parse_int_prefixed(v).map(|n| n as f64))
                .collect::<Option<_>>()
                .ok_or_else(|| CollectError::parse(&path, "a value is not an integer"))?;
            let help = format!("sysctl {}", sysctl.name);
            match (numbers.len(), sysctl.keys.is_empty()) {
                (1, _) => out.untyped(&sysctl.metric, &help, vec![], numbers[0]),
                (_, true) => {
                    for (index, number) in numbers.iter().enumerate() {
                        out.untyped(&sysctl.metric, &help, pairs(&[("index", &index.to_string())]), *number);
                    }
                }
                (_, false) => {
                    for (index, (number, key)) in numbers.iter().zip(&sysctl.keys).enumerate() {
                        let help = format!("sysctl {}, field {index}", sysctl.name);
                        out.untyped(&format!("{}_{key}", sysctl.metric), &help, vec![], *number);
                    }
                }
            }
        }
        Ok(())
    }
}
