//! Metric and label name rules: validation of the legacy charset, the legacy form of a Prometheus 3
//! (UTF-8) name as scrapers without UTF-8 see it by default, and sanitizing of arbitrary text (log
//! field names, device names) into valid names.

use std::borrow::Cow;

use crate::expfmt::NameEscaping;

/// True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`, the classic Prometheus metric name charset.
///
/// ```
/// use srekit::metrics::is_valid_metric_name;
/// assert!(is_valid_metric_name("node_cpu_seconds_total"));
/// assert!(is_valid_metric_name("job:rate5m"));
/// assert!(!is_valid_metric_name("1abc"));
/// assert!(!is_valid_metric_name(""));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if !b.is_ascii_digit() => bytes.iter().fold(true, |ok, &b| ok & (name_byte(b) | (b == b':'))),
        _ => false,
    }
}

/// True for `[a-zA-Z0-9_]`, without branches, so that a check of a whole name compiles to a
/// vectorised pass (names are checked on every encode of a family list).
#[inline(always)]
fn name_byte(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'_')
}

/// True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`, the classic Prometheus label name charset.
///
/// ```
/// use srekit::metrics::is_valid_label_name;
/// assert!(is_valid_label_name("method"));
/// assert!(!is_valid_label_name("http.method"));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if !b.is_ascii_digit() => bytes.iter().fold(true, |ok, &b| ok & name_byte(b)),
        _ => false,
    }
}

/// The metric name a scraper that does not allow UTF-8 sees by default (underscores escaping):
/// where two registered names must not meet.
pub(crate) fn legacy_metric_name(name: &str) -> Cow<'_, str> {
    NameEscaping::Underscores.escape_metric_name(name)
}

/// The label name a scraper that does not allow UTF-8 sees by default (underscores escaping).
pub(crate) fn legacy_label_name(name: &str) -> Cow<'_, str> {
    NameEscaping::Underscores.escape_label_name(name)
}

fn sanitize(name: &str, allow_colon: bool) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    for (i, c) in name.chars().enumerate() {
        let ok =
            c.is_ascii_alphabetic() || c == '_' || (allow_colon && c == ':') || (i > 0 && c.is_ascii_digit());
        if ok {
            out.push(c);
        } else if i == 0 && c.is_ascii_digit() {
            out.push('_');
            out.push(c);
        } else {
            out.push('_');
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Replaces every byte outside the label charset with `_` (and prefixes `_` before a leading digit).
///
/// ```
/// assert_eq!(srekit::metrics::sanitize_label_name("http.status-code"), "http_status_code");
/// assert_eq!(srekit::metrics::sanitize_label_name("2xx"), "_2xx");
/// ```
pub fn sanitize_label_name(name: &str) -> String {
    sanitize(name, false)
}

/// Replaces every byte outside the metric-name charset with `_` (and prefixes `_` before a leading digit).
///
/// ```
/// assert_eq!(srekit::metrics::sanitize_metric_name("app.requests"), "app_requests");
/// ```
pub fn sanitize_metric_name(name: &str) -> String {
    sanitize(name, true)
}

#[cfg(test)]
mod tests {
    use super::{is_valid_label_name, is_valid_metric_name};

    /// The charsets as the data model states them, one byte at a time.
    fn reference(bytes: &[u8], colon: bool) -> bool {
        let allowed = |b: u8, first: bool| {
            b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':') || (!first && b.is_ascii_digit())
        };
        !bytes.is_empty() && bytes.iter().enumerate().all(|(i, &b)| allowed(b, i == 0))
    }

    #[test]
    fn branch_free_checks_agree_with_the_charsets_on_every_byte_pair_and_long_names() {
        for first in 0..=255u8 {
            for second in 0..=255u8 {
                let pair = [first, second];
                for bytes in [&pair[..1], &pair[..]] {
                    // Non-UTF-8 pairs cannot be a `&str`; their bytes alone are covered as single bytes.
                    let Ok(name) = std::str::from_utf8(bytes) else { continue };
                    assert_eq!(is_valid_metric_name(name), reference(bytes, true), "{bytes:?}");
                    assert_eq!(is_valid_label_name(name), reference(bytes, false), "{bytes:?}");
                }
            }
        }
        let long = "node_network_receive_bytes_total_with_a_name_longer_than_a_vector";
        assert!(is_valid_metric_name(long) && is_valid_label_name(long));
        for bad in ['.', '-', 'é', ' ', '\n'] {
            let name = format!("{long}{bad}{long}");
            assert!(!is_valid_metric_name(&name) && !is_valid_label_name(&name), "{name}");
        }
        assert!(is_valid_metric_name(&format!("{long}:x")) && !is_valid_label_name(&format!("{long}:x")));
        assert!(!is_valid_metric_name("") && !is_valid_label_name(""));
    }
}
