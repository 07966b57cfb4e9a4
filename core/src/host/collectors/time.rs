//! time: `node_time_seconds` (wall clock), `node_time_zone_offset_seconds{time_zone}` (local zone from
//! localtime_r) and the clocksources in /sys/devices/system/clocksource
//! (`node_time_clocksource_available_info`, `node_time_clocksource_current_info`).

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{DirLister, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::ffi::CStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The time collector.
pub(crate) struct Time {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Lists /sys/devices/system/clocksource, kept open between collections.
    lister: DirLister,
}

impl Time {
    pub(crate) fn new(settings: Arc<Settings>) -> Time {
        Time { settings, reader: FileReader::new(), lister: DirLister::keeping() }
    }
}

/// The local time zone's abbreviation and offset from UTC in seconds at `unix_seconds`.
fn local_zone(unix_seconds: i64) -> Option<(String, f64)> {
    let t = unix_seconds as libc::time_t;
    let mut tm = std::mem::MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe variant.
    let result = unsafe { libc::localtime_r(&t, tm.as_mut_ptr()) };
    if result.is_null() {
        return None;
    }
    // SAFETY: localtime_r succeeded and filled tm.
    let tm = unsafe { tm.assume_init() };
    let name = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: tm_zone points to a NUL-terminated static string owned by libc's tz data.
        unsafe { CStr::from_ptr(tm.tm_zone) }.to_string_lossy().into_owned()
    };
    Some((name, tm.tm_gmtoff as f64))
}

/// Clocksource lists longer than this are written in their own order (see [`by_name`]).
const MAX_SORTED_SOURCES: usize = 64;

/// `items` in ascending order, each once, without allocating (a repeated minimum: a clocksource list
/// has a handful of entries; one over [`MAX_SORTED_SOURCES`] is passed through as it is). The output
/// sorts them so, and written in that order a steady collection rewrites no label.
fn by_name<'a>(items: impl Iterator<Item = &'a str> + Clone) -> impl Iterator<Item = &'a str> {
    let sorted = items.clone().nth(MAX_SORTED_SOURCES).is_none();
    let mut last: Option<&'a str> = None;
    let mut plain = items.clone();
    std::iter::from_fn(move || {
        if !sorted {
            return plain.next();
        }
        let next = items.clone().filter(|item| last.is_none_or(|last| *item > last)).min()?;
        last = Some(next);
        Some(next)
    })
}

/// The time collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "time",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Time::new(settings)),
};

impl Collector for Time {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        out.gauge("node_time_seconds", "System time in seconds since epoch (1970).", vec![], now);
        if let Some((zone, offset)) = local_zone(now as i64) {
            out.gauge(
                "node_time_zone_offset_seconds",
                "System time zone offset in seconds.",
                pairs(&[("time_zone", &zone)]),
                offset,
            );
        }
        let base = self.settings.sys("devices/system/clocksource");
        for entry in self.lister.list(&base)? {
            let Some(device) = entry.strip_prefix("clocksource") else { continue };
            let dir = base.join(entry);
            let available = self.reader.read_trimmed(&dir.join("available_clocksource"))?;
            for source in by_name(available.split_ascii_whitespace()) {
                out.gauge(
                    "node_time_clocksource_available_info",
                    "Available clocksources read from '/sys/devices/system/clocksource'.",
                    pairs(&[("clocksource", source), ("device", device)]),
                    1.0,
                );
            }
            let current = self.reader.read_trimmed(&dir.join("current_clocksource"))?;
            out.gauge(
                "node_time_clocksource_current_info",
                "Current clocksource read from '/sys/devices/system/clocksource'.",
                pairs(&[("clocksource", current.trim()), ("device", device)]),
                1.0,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocksources_come_sorted_once_and_long_lists_as_they_are() {
        let sorted: Vec<&str> = by_name("tsc kvm-clock acpi_pm tsc".split_ascii_whitespace()).collect();
        assert_eq!(sorted, ["acpi_pm", "kvm-clock", "tsc"]);
        assert_eq!(by_name("".split_ascii_whitespace()).count(), 0);
        let long: Vec<String> = (0..=MAX_SORTED_SOURCES).rev().map(|i| format!("s{i:03}")).collect();
        let passed: Vec<&str> = by_name(long.iter().map(String::as_str)).collect();
        assert_eq!(passed, long, "a list over the bound keeps its order");
    }
}
