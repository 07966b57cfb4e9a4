//! node_exporter's `collect[]` and `exclude[]` query parameters of `/metrics`: which of the enabled
//! host collectors one scrape runs. The exporter's own, process and log-derived metrics are served
//! whatever the selection, as node_exporter serves its own metrics with a filtered scrape.

use srekit::host::all_collectors;

/// The host collectors one scrape runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every enabled collector (no `collect[]` or `exclude[]` given).
    All,
    /// These enabled collectors only.
    Only(Vec<&'static str>),
}

/// Reads `collect[]=NAME` and `exclude[]=NAME` from a request's query string (percent-encoded or not)
/// against the `enabled` collectors. The errors are node_exporter's 400 messages: a `collect[]` name
/// that is no collector or not enabled, or both parameters at once.
///
/// For example `collect%5B%5D=cpu` with cpu, loadavg and meminfo enabled selects `Only(["cpu"])`, and
/// `exclude[]=cpu` selects `Only(["loadavg", "meminfo"])` (the tests below run these).
pub fn select(query: Option<&str>, enabled: &[&'static str]) -> Result<Selection, String> {
    let mut collect = Vec::new();
    let mut exclude = Vec::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "collect[]" => collect.push(value.into_owned()),
            "exclude[]" => exclude.push(value.into_owned()),
            _ => {}
        }
    }
    match (collect.is_empty(), exclude.is_empty()) {
        (true, true) => Ok(Selection::All),
        (false, false) => Err("Combined collect and exclude queries are not allowed.".to_string()),
        (false, true) => {
            let mut only = Vec::with_capacity(collect.len());
            for name in &collect {
                let problem = match enabled.iter().find(|enabled| *enabled == name) {
                    Some(found) => {
                        only.push(*found);
                        continue;
                    }
                    None if all_collectors().contains(&name.as_str()) => "disabled collector",
                    None => "missing collector",
                };
                return Err(format!(
                    "Couldn't create filtered metrics handler: couldn't create collector: {problem}: {name}"
                ));
            }
            Ok(Selection::Only(only))
        }
        (true, false) => Ok(Selection::Only(
            enabled.iter().copied().filter(|name| !exclude.iter().any(|excluded| excluded == name)).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENABLED: [&str; 3] = ["cpu", "loadavg", "meminfo"];

    #[test]
    fn collect_selects_and_exclude_removes_enabled_collectors() {
        assert_eq!(select(None, &ENABLED), Ok(Selection::All));
        assert_eq!(select(Some("foo=bar"), &ENABLED), Ok(Selection::All));
        assert_eq!(
            select(Some("collect[]=cpu&collect%5B%5D=meminfo"), &ENABLED),
            Ok(Selection::Only(vec!["cpu", "meminfo"]))
        );
        assert_eq!(
            select(Some("exclude[]=cpu&exclude[]=nonexistent"), &ENABLED),
            Ok(Selection::Only(vec!["loadavg", "meminfo"]))
        );
    }

    #[test]
    fn unknown_disabled_and_combined_are_node_exporters_errors() {
        assert_eq!(
            select(Some("collect[]=nope"), &ENABLED).unwrap_err(),
            "Couldn't create filtered metrics handler: couldn't create collector: missing collector: nope"
        );
        let disabled = select(Some("collect[]=processes"), &ENABLED).unwrap_err();
        assert!(disabled.ends_with("disabled collector: processes"), "{disabled}");
        assert_eq!(
            select(Some("collect[]=cpu&exclude[]=meminfo"), &ENABLED).unwrap_err(),
            "Combined collect and exclude queries are not allowed."
        );
    }
}
