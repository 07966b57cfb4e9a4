//! Relabel steps on a record's fields before a rule takes its labels, with the semantics of
//! Prometheus' `relabel_configs`: the values of `source_fields` joined by `separator` are matched
//! against `regex` (fully anchored); `replace` writes `replacement` (with `$1`, `${name}`) to `target`
//! when it matches, `keep` / `drop` keep or drop the record, `lowercase` / `uppercase` write the joined
//! value's case-mapped form to `target`. Targets are new fields seen by later steps and by the rule.

use std::borrow::Cow;

use regex::Regex;
use serde::Deserialize;

use super::{field_text, Rule, RuleError};
use crate::logs::config::RuleConfig;
use crate::logs::record::Record;
use crate::metrics::Counter;

/// What a relabel step does.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct A { action: srekit::logs::rules::RelabelAction }
/// assert_eq!(toml::from_str::<A>("action = \"drop\"").unwrap().action, srekit::logs::rules::RelabelAction::Drop);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RelabelAction {
    /// Writes the expanded `replacement` to `target` when `regex` matches (the default).
    #[default]
    Replace,
    /// Drops the record unless `regex` matches.
    Keep,
    /// Drops the record when `regex` matches.
    Drop,
    /// Writes the joined value in lower case to `target`.
    Lowercase,
    /// Writes the joined value in upper case to `target`.
    Uppercase,
}

/// One relabel step as a rule's `relabel` list writes it.
///
/// ```
/// let step: srekit::logs::rules::RelabelConfig =
///     toml::from_str("source_fields = [\"status\"]\nregex = \"(\\\\d)\\\\d\\\\d\"\ntarget = \"class\"\nreplacement = \"${1}xx\"").unwrap();
/// assert_eq!(step.separator, ";");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    /// Fields whose values are joined (a missing field is the empty string).
    #[serde(default)]
    pub source_fields: Vec<String>,
    /// What joins them (default `;`).
    #[serde(default = "default_separator")]
    pub separator: String,
    /// Matched against the joined value, anchored at both ends (default `(.*)`).
    #[serde(default = "default_regex")]
    pub regex: String,
    /// The field written by `replace`, `lowercase` and `uppercase`.
    #[serde(default)]
    pub target: Option<String>,
    /// What `replace` writes (default `$1`).
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// The action (default `replace`).
    #[serde(default)]
    pub action: RelabelAction,
}

fn default_separator() -> String {
    ";".to_owned()
}

fn default_regex() -> String {
    "(.*)".to_owned()
}

fn default_replacement() -> String {
    "$1".to_owned()
}

#[derive(Debug, Clone)]
struct Step {
    sources: Vec<String>,
    separator: String,
    regex: Regex,
    target: String,
    replacement: String,
    action: RelabelAction,
}

/// A rule's compiled relabel steps.
///
/// ```
/// use std::borrow::Cow;
/// use srekit::logs::rules::{RelabelConfig, Relabeler};
///
/// let steps: Vec<RelabelConfig> = vec![
///     toml::from_str("source_fields = [\"status\"]\nregex = \"(\\\\d)\\\\d\\\\d\"\ntarget = \"class\"\nreplacement = \"${1}xx\"").unwrap(),
///     toml::from_str("source_fields = [\"path\"]\nregex = \"/health.*\"\naction = \"drop\"").unwrap(),
/// ];
/// let relabeler = Relabeler::new(&steps).unwrap();
/// let mut out = Vec::new();
/// let fields = |status: &'static str, path: &'static str| move |name: &str| match name {
///     "status" => Some(Cow::Borrowed(status)),
///     "path" => Some(Cow::Borrowed(path)),
///     _ => None,
/// };
/// assert!(relabeler.run(fields("503", "/api"), &mut out));
/// assert_eq!(out, [("class".to_owned(), "5xx".to_owned())]);
/// assert!(!relabeler.run(fields("200", "/healthz"), &mut out));
/// ```
#[derive(Debug, Clone)]
pub struct Relabeler {
    steps: Vec<Step>,
}

impl Relabeler {
    /// Compiles the steps; the error says which step (1-based) is wrong and why.
    ///
    /// ```
    /// let bad: srekit::logs::rules::RelabelConfig = toml::from_str("source_fields = [\"a\"]").unwrap();
    /// let err = srekit::logs::rules::Relabeler::new(&[bad]).unwrap_err();
    /// assert_eq!(err, "relabel step 1: action replace needs `target`");
    /// ```
    pub fn new(configs: &[RelabelConfig]) -> Result<Relabeler, String> {
        let steps = configs
            .iter()
            .enumerate()
            .map(|(index, config)| {
                let bad = |message: String| format!("relabel step {}: {message}", index + 1);
                let regex = Regex::new(&format!("^(?:{})$", config.regex))
                    .map_err(|e| bad(format!("invalid regex: {e}")))?;
                let needs_target = matches!(
                    config.action,
                    RelabelAction::Replace | RelabelAction::Lowercase | RelabelAction::Uppercase
                );
                let target = match (&config.target, needs_target) {
                    (Some(target), true) if !target.is_empty() => target.clone(),
                    (_, true) => {
                        let action = format!("{:?}", config.action).to_lowercase();
                        return Err(bad(format!("action {action} needs `target`")));
                    }
                    (Some(_), false) => return Err(bad("`target` is not used by keep and drop".to_owned())),
                    (None, false) => String::new(),
                };
                if config.source_fields.is_empty() && config.action != RelabelAction::Replace {
                    return Err(bad("`source_fields` must name at least one field".to_owned()));
                }
                Ok(Step {
                    sources: config.source_fields.clone(),
                    separator: config.separator.clone(),
                    regex,
                    target,
                    replacement: config.replacement.clone(),
                    action: config.action,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Relabeler { steps })
    }

    /// Runs the steps on a record whose fields `field` looks up; targets are written to `out` (cleared
    /// first; later entries win) and seen by later steps. Returns whether the record is kept.
    pub fn run<'r>(
        &self,
        field: impl Fn(&str) -> Option<Cow<'r, str>>,
        out: &mut Vec<(String, String)>,
    ) -> bool {
        out.clear();
        let mut joined = String::new();
        for step in &self.steps {
            joined.clear();
            for (index, source) in step.sources.iter().enumerate() {
                if index > 0 {
                    joined.push_str(&step.separator);
                }
                match out.iter().rev().find(|(name, _)| name == source) {
                    Some((_, value)) => joined.push_str(value),
                    None => joined.push_str(field(source).as_deref().unwrap_or("")),
                }
            }
            let value = match step.action {
                RelabelAction::Keep | RelabelAction::Drop => {
                    if step.regex.is_match(&joined) != (step.action == RelabelAction::Keep) {
                        return false;
                    }
                    continue;
                }
                RelabelAction::Lowercase => joined.to_lowercase(),
                RelabelAction::Uppercase => joined.to_uppercase(),
                RelabelAction::Replace => {
                    let Some(captures) = step.regex.captures(&joined) else { continue };
                    let mut value = String::new();
                    captures.expand(&step.replacement, &mut value);
                    value
                }
            };
            out.push((step.target.clone(), value));
        }
        true
    }
}

impl Rule {
    /// Sets the options beyond the rule's core: `relabel`, `const_labels` and `expire_after`.
    pub(super) fn add_options(
        &mut self,
        config: &RuleConfig,
        series_expired: Option<&super::CounterVec>,
    ) -> Result<(), RuleError> {
        let invalid = |message: String| RuleError::Invalid { rule: self.name.clone(), message };
        if !config.relabel.is_empty() {
            self.relabel = Some(Relabeler::new(&config.relabel).map_err(invalid)?);
        }
        self.const_labels = config.const_labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if let (Some(after), Some(series_expired)) = (&config.expire_after, series_expired) {
            let after = crate::duration::parse(after).map_err(|e| invalid(format!("expire_after: {e}")))?;
            let counter: Counter = series_expired
                .labels(&[&self.name])
                .map_err(|source| RuleError::Metric { rule: self.name.clone(), source })?;
            self.expiry = Some((super::Expiry::new(after), counter));
        }
        Ok(())
    }

    /// Runs the relabel steps on `record` (their targets kept for this record); false drops it.
    pub(super) fn relabelled(&mut self, record: &Record<'_>) -> bool {
        self.overlay.clear();
        let Some(relabel) = &self.relabel else { return true };
        let mut overlay = std::mem::take(&mut self.overlay);
        let keep = relabel.run(|name| field_text(&[], record, name), &mut overlay);
        self.overlay = overlay;
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(toml: &str) -> Relabeler {
        #[derive(Deserialize)]
        struct S {
            relabel: Vec<RelabelConfig>,
        }
        Relabeler::new(&toml::from_str::<S>(toml).unwrap().relabel).unwrap()
    }

    #[test]
    fn prometheus_semantics() {
        let relabeler = steps(
            r#"relabel = [
                { source_fields = ["ns", "pod"], separator = "/", target = "workload" },
                { source_fields = ["workload"], regex = "(?<ns>[^/]+)/(.*)-[a-z0-9]+", target = "app", replacement = "${ns}:$2" },
                { source_fields = ["level"], action = "uppercase", target = "level" },
                { source_fields = ["level"], regex = "DEBUG", action = "drop" },
                { source_fields = ["missing"], regex = "x", target = "never" },
            ]"#,
        );
        let mut out = Vec::new();
        let record = |level: &'static str| {
            move |name: &str| match name {
                "ns" => Some(Cow::Borrowed("shop")),
                "pod" => Some(Cow::Borrowed("web-7d4b9")),
                "level" => Some(Cow::Borrowed(level)),
                _ => None,
            }
        };
        assert!(relabeler.run(record("info"), &mut out));
        let expected = [("workload", "shop/web-7d4b9"), ("app", "shop:web"), ("level", "INFO")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()));
        assert_eq!(out, expected);
        assert!(!relabeler.run(record("debug"), &mut out));
    }

    #[test]
    fn anchored_regex_and_bad_steps() {
        let relabeler = steps(r#"relabel = [{ source_fields = ["a"], regex = "b", action = "keep" }]"#);
        assert!(!relabeler.run(|_| Some(Cow::Borrowed("abc")), &mut Vec::new()));
        assert!(relabeler.run(|_| Some(Cow::Borrowed("b")), &mut Vec::new()));
        let bad = |toml: &str| {
            #[derive(Deserialize)]
            struct S {
                relabel: Vec<RelabelConfig>,
            }
            Relabeler::new(&toml::from_str::<S>(toml).unwrap().relabel).unwrap_err()
        };
        assert!(bad(r#"relabel = [{ source_fields = ["a"], regex = "(", target = "x" }]"#)
            .contains("invalid regex"));
        assert!(bad(r#"relabel = [{ source_fields = ["a"], action = "drop", target = "x" }]"#)
            .contains("not used"));
        assert!(bad(r#"relabel = [{ action = "keep" }]"#).contains("source_fields"));
    }
}
