//! watchdog (opt-in, from newer node_exporter releases): the hardware watchdogs of
//! /sys/class/watchdog: `node_watchdog_{bootstatus,fw_version,nowayout,timeleft_seconds,
//! timeout_seconds,pretimeout_seconds,access_cs0}{name}` for the attributes the driver has, and
//! `node_watchdog_info{name,options,identity,state,status,pretimeout_governor}`. No watchdog class
//! (no driver loaded) means nothing to report, successfully.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::read_attribute;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// `(attribute, metric, help)` of the numeric attributes.
const NUMBERS: [(&str, &str, &str); 7] = [
    ("bootstatus", "node_watchdog_bootstatus", "Value of /sys/class/watchdog/<watchdog>/bootstatus"),
    ("fw_version", "node_watchdog_fw_version", "Value of /sys/class/watchdog/<watchdog>/fw_version"),
    ("nowayout", "node_watchdog_nowayout", "Value of /sys/class/watchdog/<watchdog>/nowayout"),
    ("timeleft", "node_watchdog_timeleft_seconds", "Value of /sys/class/watchdog/<watchdog>/timeleft"),
    ("timeout", "node_watchdog_timeout_seconds", "Value of /sys/class/watchdog/<watchdog>/timeout"),
    ("pretimeout", "node_watchdog_pretimeout_seconds", "Value of /sys/class/watchdog/<watchdog>/pretimeout"),
    ("access_cs0", "node_watchdog_access_cs0", "Value of /sys/class/watchdog/<watchdog>/access_cs0"),
];

/// The text attributes of `node_watchdog_info`, in label order after `name`.
const TEXTS: [&str; 5] = ["options", "identity", "state", "status", "pretimeout_governor"];

/// The watchdog collector.
pub(crate) struct Watchdog {
    settings: Arc<Settings>,
}

/// The watchdog collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "watchdog",
    enabled_by_default: false,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Watchdog { settings }),
};

/// An attribute's text, `None` when the driver does not have it.
fn attribute(path: &Path) -> Result<Option<String>, CollectError> {
    match read_attribute(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CollectError::io(path, e)),
    }
}

impl Collector for Watchdog {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.settings.sys("class/watchdog");
        for name in self.settings.absences.list_dir_if_present(&class)? {
            let dir = class.join(&name);
            for (file, metric, help) in NUMBERS {
                let path = dir.join(file);
                if let Some(text) = attribute(&path)? {
                    let value: i64 =
                        text.parse().map_err(|_| CollectError::parse(&path, "not an integer"))?;
                    out.gauge(metric, help, pairs(&[("name", &name)]), value as f64);
                }
            }
            let mut texts = Vec::with_capacity(TEXTS.len());
            for file in TEXTS {
                texts.push(attribute(&dir.join(file))?.unwrap_or_default());
            }
            let mut pairs: Vec<(&str, &str)> = vec![("name", &name)];
            pairs.extend(TEXTS.iter().copied().zip(texts.iter().map(String::as_str)));
            out.gauge("node_watchdog_info", "Info of /sys/class/watchdog/<watchdog>", labels(&pairs), 1.0);
        }
        Ok(())
    }
}
