//! Lookups over the collectors' specs (`collectors::ALL`): the public name lists and finding one
//! collector by name.

use super::collectors::ALL;
use super::spec::CollectorSpec;
use std::sync::OnceLock;

/// Every collector srekit implements, sorted by name.
///
/// ```
/// let all = srekit::host::all_collectors();
/// assert!(all.contains(&"cpu") && all.contains(&"netclass") && all.contains(&"timex"));
/// ```
pub fn all_collectors() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ALL.iter().map(|spec| spec.name).collect())
}

/// The collectors enabled by default. All of srekit's collectors are enabled by default in
/// node_exporter 1.5 on Linux as Debian builds it (systemd included), so today this is
/// [`all_collectors`].
///
/// ```
/// assert!(srekit::host::default_collectors().contains(&"meminfo"));
/// ```
pub fn default_collectors() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ALL.iter().filter(|spec| spec.enabled_by_default).map(|spec| spec.name).collect())
}

/// The spec of collector `name`, if it exists.
pub(crate) fn lookup(name: &str) -> Option<&'static CollectorSpec> {
    ALL.iter().find(|spec| spec.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::spec::Placement;

    #[test]
    fn lookup_finds_every_collector_and_nothing_else() {
        for name in all_collectors() {
            assert_eq!(lookup(name).map(|spec| spec.name), Some(*name));
        }
        assert!(lookup("bogus").is_none());
        assert_eq!(lookup("systemd").map(|spec| spec.placement), Some(Placement::Systemd));
        assert_eq!(lookup("loadavg").map(|spec| spec.placement), Some(Placement::Inline));
    }
}
