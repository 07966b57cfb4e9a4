//! Relabel steps on a record's fields before a rule takes its labels, with the semantics of
//! Prometheus' `relabel_configs`: the values of `source_fields` joined by `separator` are matched
//! against `regex` (fully anchored); `replace` writes `replacement` (with `$1`, `${name}`) to `target`
//! when it matches, `keep` / `drop` keep or drop the record, `lowercase` / `uppercase` write the joined
//! value's case-mapped form to `target`. Targets are new fields seen by later steps and by the rule.

use std::borrow::Cow;
use std::collections::HashMap;

use regex::Regex;
use serde::Deserialize;

use super::{Rule, RuleError};
use crate::logs::config::RuleConfig;
use crate::logs::record::Record;
use crate::logs::value::Value;
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
    memo: Memo,
}

/// Most joined inputs one step remembers the effect of (see [`Memo`]).
const MEMO_MAX_ENTRIES: usize = 1024;
/// Most bytes (inputs and written values) one step's memo holds.
const MEMO_MAX_BYTES: usize = 64 * 1024;

/// What a step does for one joined input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Effect {
    /// Nothing written, the record kept (`keep` / `drop` passed it, `replace` did not match).
    Pass,
    /// The record is dropped.
    DropRecord,
    /// The value written to the step's target.
    Write(Box<str>),
}

/// The fields the steps wrote for the current record: the first `used` entries of a vector whose
/// strings are reused from record to record.
struct Overlay<'o> {
    entries: &'o mut Vec<(String, String)>,
    used: usize,
}

impl Overlay<'_> {
    /// The value the steps so far wrote to `name` (the last one).
    fn get(&self, name: &str) -> Option<&str> {
        let written = &self.entries[..self.used];
        written.iter().rev().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }

    /// Applies a step's effect; false drops the record.
    fn apply(&mut self, effect: &Effect, target: &str) -> bool {
        match effect {
            Effect::Pass => true,
            Effect::DropRecord => false,
            Effect::Write(value) => {
                match self.entries.get_mut(self.used) {
                    Some((field, old)) => {
                        field.clear();
                        field.push_str(target);
                        old.clear();
                        old.push_str(value);
                    }
                    None => self.entries.push((target.to_owned(), value.to_string())),
                }
                self.used += 1;
                true
            }
        }
    }
}

/// A step's effects by joined input. A step is a pure function of its joined input and most records
/// repeat a few values, so its regex runs once per distinct value. Bounded by [`MEMO_MAX_ENTRIES`] and
/// [`MEMO_MAX_BYTES`]: when an effect does not fit, the memo starts over. When it filled up with fewer
/// hits than entries (ever-new values, as a hostile log writes them), it is not used for the next
/// [`MEMO_BYPASS_RECORDS`] records, so such a log costs little more than a regex run per record.
#[derive(Debug, Clone, Default)]
struct Memo {
    effects: HashMap<Box<str>, Effect, foldhash::fast::RandomState>,
    bytes: usize,
    /// Lookups answered since the memo last started over.
    hits: usize,
    /// Records left to run without the memo.
    bypass: usize,
}

/// Records run without the memo after it filled up mostly unused.
const MEMO_BYPASS_RECORDS: usize = 8 * MEMO_MAX_ENTRIES;

impl Memo {
    fn remember(&mut self, input: &str, effect: Effect) {
        let bytes = input.len() + if let Effect::Write(value) = &effect { value.len() } else { 0 };
        if bytes > MEMO_MAX_BYTES {
            return;
        }
        if self.effects.len() >= MEMO_MAX_ENTRIES || self.bytes + bytes > MEMO_MAX_BYTES {
            if self.hits < self.effects.len() {
                self.bypass = MEMO_BYPASS_RECORDS;
            }
            self.effects.clear();
            (self.bytes, self.hits) = (0, 0);
            if self.bypass > 0 {
                return;
            }
        }
        self.bytes += bytes;
        self.effects.insert(input.into(), effect);
    }
}

impl Step {
    /// Runs the step on its joined input, writing its target into `overlay`; false drops the record.
    fn run(&mut self, joined: &str, overlay: &mut Overlay<'_>) -> bool {
        if self.memo.bypass > 0 {
            self.memo.bypass -= 1;
            return overlay.apply(&self.compute(joined), &self.target);
        }
        if let Some(effect) = self.memo.effects.get(joined) {
            self.memo.hits += 1;
            return overlay.apply(effect, &self.target);
        }
        let effect = self.compute(joined);
        let keep = overlay.apply(&effect, &self.target);
        self.memo.remember(joined, effect);
        keep
    }

    fn compute(&self, joined: &str) -> Effect {
        match self.action {
            RelabelAction::Keep | RelabelAction::Drop => {
                if self.regex.is_match(joined) == (self.action == RelabelAction::Keep) {
                    Effect::Pass
                } else {
                    Effect::DropRecord
                }
            }
            RelabelAction::Lowercase => Effect::Write(joined.to_lowercase().into()),
            RelabelAction::Uppercase => Effect::Write(joined.to_uppercase().into()),
            RelabelAction::Replace => match self.regex.captures(joined) {
                Some(captures) => {
                    let mut value = String::new();
                    captures.expand(&self.replacement, &mut value);
                    Effect::Write(value.into())
                }
                None => Effect::Pass,
            },
        }
    }
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
/// let mut relabeler = Relabeler::new(&steps).unwrap();
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
    /// The current step's joined input, reused.
    joined: String,
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
                    memo: Memo::default(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Relabeler { steps, joined: String::new() })
    }

    /// Runs the steps on a record whose fields `field` looks up; targets are written to `out` (cleared
    /// first; later entries win) and seen by later steps. Returns whether the record is kept.
    pub fn run<'r>(
        &mut self,
        field: impl Fn(&str) -> Option<Cow<'r, str>>,
        out: &mut Vec<(String, String)>,
    ) -> bool {
        self.run_appending(
            |name, joined| {
                if let Some(value) = field(name) {
                    joined.push_str(&value);
                }
            },
            out,
        )
    }

    /// [`Relabeler::run`] with a lookup that appends a field's text (nothing when missing) to `joined`,
    /// so a number is formatted without an allocation. `out` keeps its strings from the last record.
    fn run_appending(
        &mut self,
        mut append_field: impl FnMut(&str, &mut String),
        out: &mut Vec<(String, String)>,
    ) -> bool {
        let Relabeler { steps, joined } = self;
        let mut overlay = Overlay { entries: out, used: 0 };
        let mut keep = true;
        for step in steps {
            joined.clear();
            for (index, source) in step.sources.iter().enumerate() {
                if index > 0 {
                    joined.push_str(&step.separator);
                }
                match overlay.get(source) {
                    Some(value) => joined.push_str(value),
                    None => append_field(source, joined),
                }
            }
            if !step.run(joined, &mut overlay) {
                keep = false;
                break;
            }
        }
        let used = overlay.used;
        out.truncate(used);
        keep
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
        let Some(relabel) = &mut self.relabel else {
            self.overlay.clear();
            return true;
        };
        let append = |name: &str, joined: &mut String| match field_value(record, name) {
            Some(Value::Int(i)) => joined.push_str(itoa::Buffer::new().format(*i)),
            Some(Value::UInt(u)) => joined.push_str(itoa::Buffer::new().format(*u)),
            Some(value) => joined.push_str(&value.to_label_string()),
            None => {}
        };
        relabel.run_appending(append, &mut self.overlay)
    }
}

/// [`Record::get`] with a fast path for top-level fields (the common case): a reverse scan comparing
/// lengths and first bytes before whole names, so the last duplicate still wins. Nested paths fall back
/// to [`Record::get`].
#[inline]
fn field_value<'r, 'a>(record: &'r Record<'a>, path: &str) -> Option<&'r Value<'a>> {
    let wanted = path.as_bytes();
    let Some(&first) = wanted.first() else { return record.get(path) };
    for (key, value) in record.fields.iter().rev() {
        let key = key.as_bytes();
        if key.len() == wanted.len() && key.first() == Some(&first) && key == wanted {
            return Some(value);
        }
    }
    if path.contains('.') {
        record.get(path)
    } else {
        None
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
        let mut relabeler = steps(
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
        let mut relabeler = steps(r#"relabel = [{ source_fields = ["a"], regex = "b", action = "keep" }]"#);
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

    fn first_digit() -> Relabeler {
        steps(
            r#"relabel = [{ source_fields = ["v"], regex = '(\d)\d*', target = "first", replacement = "${1}x" }]"#,
        )
    }

    fn run_on(relabeler: &mut Relabeler, value: &str, out: &mut Vec<(String, String)>) -> bool {
        relabeler.run(|_| Some(Cow::Borrowed(value)), out)
    }

    #[test]
    fn memo_is_bounded_by_entries_and_bytes() {
        let mut out = Vec::new();
        // Ever-new values (a hostile log): never more than the bounds, results unchanged.
        let mut relabeler = first_digit();
        for n in 0..(3 * MEMO_MAX_ENTRIES as u64) {
            let value = format!("{n}");
            assert!(run_on(&mut relabeler, &value, &mut out));
            assert_eq!(out, [("first".to_owned(), format!("{}x", &value[..1]))]);
            let memo = &relabeler.steps[0].memo;
            assert!(memo.effects.len() <= MEMO_MAX_ENTRIES && memo.bytes <= MEMO_MAX_BYTES);
        }
        assert!(relabeler.steps[0].memo.bypass > 0, "a memo that filled up unused is set aside");
        // Long values: bounded by bytes long before the entry count is reached.
        let mut relabeler = first_digit();
        let mut most = 0;
        for n in 0..200 {
            let value = format!("{n}{}", "0".repeat(1000));
            assert!(run_on(&mut relabeler, &value, &mut out));
            let memo = &relabeler.steps[0].memo;
            assert!(memo.bytes <= MEMO_MAX_BYTES);
            most = most.max(memo.effects.len());
        }
        assert!((60..70).contains(&most), "{most}");
        // A value larger than the whole budget is not remembered, but still relabelled.
        let mut relabeler = first_digit();
        let huge = "7".repeat(MEMO_MAX_BYTES + 1);
        assert!(run_on(&mut relabeler, &huge, &mut out));
        assert_eq!(out, [("first".to_owned(), "7x".to_owned())]);
        assert!(relabeler.steps[0].memo.effects.is_empty());
        // A remembered non-match writes nothing, as the first time.
        for _ in 0..2 {
            assert!(run_on(&mut relabeler, "abc", &mut out));
            assert!(out.is_empty());
        }
    }

    #[test]
    fn memo_answers_repeated_values_and_comes_back_after_a_flood() {
        let mut out = Vec::new();
        let mut relabeler = first_digit();
        for round in 0..1000 {
            let value = format!("{}00", round % 10);
            assert!(run_on(&mut relabeler, &value, &mut out));
            assert_eq!(out, [("first".to_owned(), format!("{}x", round % 10))]);
        }
        let memo = &relabeler.steps[0].memo;
        assert_eq!((memo.effects.len(), memo.hits, memo.bypass), (10, 990, 0));
        // A flood of new values: once the memo is full of them, it is set aside.
        let mut flood = 0;
        while relabeler.steps[0].memo.bypass == 0 {
            run_on(&mut relabeler, &format!("9{flood}"), &mut out);
            flood += 1;
        }
        assert_eq!((flood, relabeler.steps[0].memo.bypass), (MEMO_MAX_ENTRIES - 10 + 1, MEMO_BYPASS_RECORDS));
        // ... and used again afterwards.
        for _ in 0..=MEMO_BYPASS_RECORDS {
            assert!(run_on(&mut relabeler, "500", &mut out));
            assert_eq!(out, [("first".to_owned(), "5x".to_owned())]);
        }
        let memo = &relabeler.steps[0].memo;
        assert_eq!((memo.bypass, memo.effects.len()), (0, 1));
    }

    #[test]
    fn remembered_drop_and_overlay_reuse() {
        let mut relabeler = steps(
            r#"relabel = [
                { source_fields = ["level"], action = "lowercase", target = "level" },
                { source_fields = ["level"], regex = "debug", action = "drop" },
                { source_fields = ["level", "n"], separator = "-", target = "tag" },
            ]"#,
        );
        let mut out = Vec::new();
        for round in 0..3 {
            let n = round.to_string();
            let fields = |level: &'static str| {
                let n = n.clone();
                move |name: &str| match name {
                    "level" => Some(Cow::Borrowed(level)),
                    "n" => Some(Cow::Owned(n.clone())),
                    _ => None,
                }
            };
            assert!(!relabeler.run(fields("DEBUG"), &mut out), "round {round}");
            assert!(relabeler.run(fields("WARN"), &mut out));
            let expected = [("level", "warn".to_owned()), ("tag", format!("warn-{round}"))]
                .map(|(a, b)| (a.to_owned(), b));
            assert_eq!(out, expected);
        }
    }
}
