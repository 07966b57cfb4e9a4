//! Prometheus 3 names: how a metric or label name outside the legacy charset (`http.server.duration`)
//! is written for a scraper, chosen by the `escaping=` parameter of its `Accept` header. Only a
//! scraper that sends `escaping=allow-utf-8` gets such names quoted (`{"http.server.duration"}`);
//! every other one gets them escaped, by default with underscores, so its parser never sees text it
//! cannot read. The rules are prometheus/common's `model.EscapeName`; names in the legacy charset are
//! written unchanged under every scheme, as client_golang's `EscapeMetricFamily` leaves them.

use std::borrow::Cow;

use crate::metrics::{is_valid_label_name, is_valid_metric_name};

/// How names outside the legacy charset are written (the `escaping=` values of Prometheus 3).
///
/// ```
/// use srekit::expfmt::NameEscaping;
/// assert_eq!(NameEscaping::default(), NameEscaping::Underscores);
/// assert_eq!(NameEscaping::from_name("allow-utf-8"), Some(NameEscaping::AllowUtf8));
/// assert_eq!(NameEscaping::Dots.escape_metric_name("http.server_duration"), "http_dot_server__duration");
/// assert_eq!(NameEscaping::Underscores.escape_metric_name("node_load1"), "node_load1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NameEscaping {
    /// `allow-utf-8`: names are written as they are, quoted when outside the legacy charset.
    AllowUtf8,
    /// `underscores` (the default): every character outside the legacy charset becomes `_`.
    #[default]
    Underscores,
    /// `dots`: `.` becomes `_dot_`, `_` becomes `__`, any other character outside the charset `__`.
    Dots,
    /// `values`: `U__` and then `_` as `__`, any character outside the charset as `_<hex code>_`.
    Values,
}

impl NameEscaping {
    /// Looks a scheme up by its `escaping=` value.
    ///
    /// ```
    /// assert_eq!(srekit::expfmt::NameEscaping::from_name("values"), Some(srekit::expfmt::NameEscaping::Values));
    /// assert_eq!(srekit::expfmt::NameEscaping::from_name("utf8"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<NameEscaping> {
        match name {
            "allow-utf-8" => Some(NameEscaping::AllowUtf8),
            "underscores" => Some(NameEscaping::Underscores),
            "dots" => Some(NameEscaping::Dots),
            "values" => Some(NameEscaping::Values),
            _ => None,
        }
    }

    /// The scheme's `escaping=` value.
    ///
    /// ```
    /// assert_eq!(srekit::expfmt::NameEscaping::AllowUtf8.as_str(), "allow-utf-8");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NameEscaping::AllowUtf8 => "allow-utf-8",
            NameEscaping::Underscores => "underscores",
            NameEscaping::Dots => "dots",
            NameEscaping::Values => "values",
        }
    }

    /// `name` as a metric name under this scheme: unchanged when it is in the legacy charset or the
    /// scheme allows UTF-8, escaped otherwise.
    ///
    /// ```
    /// use srekit::expfmt::NameEscaping;
    /// assert_eq!(NameEscaping::Underscores.escape_metric_name("http.server.duration"), "http_server_duration");
    /// assert_eq!(NameEscaping::Values.escape_metric_name("http.server"), "U__http_2e_server");
    /// assert_eq!(NameEscaping::AllowUtf8.escape_metric_name("http.server"), "http.server");
    /// ```
    pub fn escape_metric_name(self, name: &str) -> Cow<'_, str> {
        if self == NameEscaping::AllowUtf8 || name.is_empty() || is_valid_metric_name(name) {
            return Cow::Borrowed(name);
        }
        Cow::Owned(self.escape(name, true))
    }

    /// `name` as a label name under this scheme (as [`escape_metric_name`](Self::escape_metric_name),
    /// but `:`, which label names may not hold, is escaped too).
    ///
    /// ```
    /// assert_eq!(srekit::expfmt::NameEscaping::Underscores.escape_label_name("k8s.pod:name"), "k8s_pod_name");
    /// ```
    pub fn escape_label_name(self, name: &str) -> Cow<'_, str> {
        if self == NameEscaping::AllowUtf8 || name.is_empty() || is_valid_label_name(name) {
            return Cow::Borrowed(name);
        }
        Cow::Owned(self.escape(name, false))
    }

    fn escape(self, name: &str, colon_allowed: bool) -> String {
        let legacy = |c: char, i: usize| {
            c.is_ascii_alphabetic()
                || c == '_'
                || (c == ':' && colon_allowed)
                || (c.is_ascii_digit() && i > 0)
        };
        let mut out = String::with_capacity(name.len() + 8);
        match self {
            NameEscaping::AllowUtf8 => out.push_str(name),
            NameEscaping::Underscores => {
                for (i, c) in name.char_indices() {
                    out.push(if legacy(c, i) { c } else { '_' });
                }
            }
            NameEscaping::Dots => {
                for (i, c) in name.char_indices() {
                    match c {
                        '_' => out.push_str("__"),
                        '.' => out.push_str("_dot_"),
                        c if legacy(c, i) => out.push(c),
                        _ => out.push_str("__"),
                    }
                }
            }
            NameEscaping::Values => {
                out.push_str("U__");
                for (i, c) in name.char_indices() {
                    match c {
                        '_' => out.push_str("__"),
                        c if legacy(c, i) => out.push(c),
                        c => {
                            out.push('_');
                            out.push_str(&format!("{:x}", u32::from(c)));
                            out.push('_');
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::NameEscaping::{self, *};

    #[test]
    fn schemes_escape_as_prometheus_common_does() {
        let cases: &[(NameEscaping, &str, &str)] = &[
            (Underscores, "http.server.duration", "http_server_duration"),
            (Underscores, "1st.metric", "_st_metric"),
            (Underscores, "名前", "__"),
            (Dots, "http.server_duration", "http_dot_server__duration"),
            (Dots, "a-b", "a__b"),
            (Values, "http.server_duration", "U__http_2e_server__duration"),
            (Values, "温度", "U___6e29__5ea6_"),
            (Values, "1a", "U___31_a"),
            (AllowUtf8, "http.server", "http.server"),
        ];
        for (scheme, name, expected) in cases {
            assert_eq!(scheme.escape_metric_name(name), *expected, "{scheme:?} {name}");
        }
        for scheme in [Underscores, Dots, Values, AllowUtf8] {
            assert_eq!(scheme.escape_metric_name("job:rate_5m"), "job:rate_5m", "legacy names stay");
            assert_eq!(scheme.escape_label_name("method"), "method");
        }
        assert_eq!(Underscores.escape_label_name("a:b"), "a_b");
    }
}
