//! The rules' per-record fast paths: the fields the rules read, found once per record for all of them
//! ([`Fields`]); a series found from the label values as they are in the record, hashed and compared
//! against the series' label text without building that text ([`LabelShape`]); `match` / `exclude`
//! patterns that are a plain anchored prefix tested without the regex engine ([`Matcher`]); plain
//! decimal numbers read without the general float parser ([`fast_number`]); and the series hash of
//! label values, inline and seeded per rule ([`hash_values`]).

use std::borrow::Cow;
use std::hash::BuildHasher;
use std::mem::MaybeUninit;

use regex::Regex;

use crate::logs::record::Record;
use crate::logs::value::Value;
use crate::metrics::label_text::push_label;
use crate::short_eq::{half_at, same, word_at};

/// Not looked up yet for the current record.
const UNSEEN: u32 = u32::MAX;
/// No top-level field of that name, and the name is not a path into nested objects.
const ABSENT: u32 = u32::MAX - 1;
/// No top-level field of that name; the name may be a path (`a.b`): [`Record::get`] decides.
const PATH: u32 = u32::MAX - 2;

/// The field names the rules of a set read (labels, `match`, `exclude`, `value`, `exemplar`), each
/// looked up at most once per record whichever rules read it: the position of its last top-level
/// field, as [`Record::get`] finds it.
///
/// ```text
/// let mut fields = Fields::default();
/// let status = fields.intern("status");
/// fields.reset();
/// assert_eq!(fields.get(&record, status, "status").and_then(|v| v.as_str()), Some("200"));
/// ```
#[derive(Debug, Default)]
pub(super) struct Fields {
    names: Vec<String>,
    /// Per name: the [`Fields::record`] it was looked up for, and there a field index, or
    /// [`ABSENT`], [`PATH`] ([`UNSEEN`] before any lookup). An entry of another record is looked up
    /// again: forgetting a record's positions is one increment, not a fill (a call to `memset`).
    slots: Vec<(u32, u32)>,
    /// The number of the current record (wrapping; on wrap the entries are emptied).
    record: u32,
}

impl Fields {
    /// The slot of `name` (one per distinct name).
    pub(super) fn intern(&mut self, name: &str) -> usize {
        if let Some(slot) = self.names.iter().position(|n| n == name) {
            return slot;
        }
        self.names.push(name.to_owned());
        // Stamped with another record than the current one: looked up on first use.
        self.slots.push((self.record.wrapping_sub(1), UNSEEN));
        self.names.len() - 1
    }

    /// Forgets the previous record's positions (call before each record).
    #[inline]
    pub(super) fn reset(&mut self) {
        self.record = self.record.wrapping_add(1);
        if self.record == 0 {
            // Wrapped: entries of record 0 from 2^32 records ago would read as current.
            self.slots.fill((u32::MAX, UNSEEN));
        }
    }

    /// The value of the field in `slot` (named `name`) in `record`: the last top-level field of that
    /// name, else (for a dotted path or an empty name) what [`Record::get`] finds.
    #[inline(always)]
    pub(super) fn get<'r, 'a>(
        &mut self,
        record: &'r Record<'a>,
        slot: usize,
        name: &str,
    ) -> Option<&'r Value<'a>> {
        let current = self.record;
        let Some(entry) = self.slots.get_mut(slot) else { return record.get(name) };
        if entry.0 != current {
            *entry = (current, locate(record, name));
        }
        match entry.1 {
            ABSENT => None,
            PATH => record.get(name),
            index => record.fields.get(index as usize).map(|(_, value)| value),
        }
    }
}

/// Where `name` is in `record`: the index of its last top-level field (a reverse scan comparing
/// lengths and first bytes before whole names), or [`PATH`] / [`ABSENT`]. Out of line: once per name
/// and record, while [`Fields::get`] runs for every read.
#[inline(never)]
fn locate(record: &Record<'_>, name: &str) -> u32 {
    let wanted = name.as_bytes();
    let Some(&first) = wanted.first() else { return PATH };
    for (index, (key, _)) in record.fields.iter().enumerate().rev() {
        let key = key.as_bytes();
        if key.len() == wanted.len() && key.first() == Some(&first) && same(key, wanted) {
            // Records hold far fewer than 4 billion fields; a position beyond falls back to `get`.
            return u32::try_from(index).ok().filter(|&i| i < PATH).unwrap_or(PATH);
        }
    }
    if name.contains('.') {
        PATH
    } else {
        ABSENT
    }
}

/// The value of the last relabel target named `name` in `overlay` (checked before the record's fields).
#[inline(always)]
fn relabeled<'o>(overlay: &'o [(String, String)], name: &str) -> Option<&'o str> {
    if overlay.is_empty() {
        return None;
    }
    overlay.iter().rev().find(|(n, _)| n == name).map(|(_, value)| value.as_str())
}

/// A field's value as label text (a relabel target of that name first, the last one); `None` when
/// the field is missing.
#[inline]
pub(super) fn text_of<'r>(
    overlay: &'r [(String, String)],
    record: &'r Record<'_>,
    fields: &mut Fields,
    slot: usize,
    name: &str,
) -> Option<Cow<'r, str>> {
    if let Some(value) = relabeled(overlay, name) {
        return Some(Cow::Borrowed(value));
    }
    match fields.get(record, slot, name)? {
        Value::Str(text) => Some(Cow::Borrowed(text)),
        other => Some(other.to_label_string()),
    }
}

/// Up to this many field label values are gathered on the stack (more, or values that are not text
/// in the record, go through a `Vec`).
const INLINE_VALUES: usize = 8;

/// Calls `f` with the record's values of the fields `labels` (`(label, field)`, each field's
/// [`Fields`] slot in `slots`) as label text, in order, a missing field as empty text: each field is
/// read once per rule and record, for hashing and comparing alike.
///
/// ```text
/// let hash = gather_values(&overlay, &record, &mut fields, &labels, &slots, |values| hash_values(&hasher, values));
/// ```
#[inline(always)]
pub(super) fn gather_values<R>(
    overlay: &[(String, String)],
    record: &Record<'_>,
    fields: &mut Fields,
    labels: &[(String, String)],
    slots: &[usize],
    f: impl FnOnce(&[&str]) -> R,
) -> R {
    if labels.len() <= INLINE_VALUES && slots.len() >= labels.len() {
        // Left uninitialised (only the first `labels.len()` are written and read): filling the
        // array showed as a tenth of a rule's own cost.
        let mut values = [MaybeUninit::<&str>::uninit(); INLINE_VALUES];
        let mut written = 0;
        for (value, ((_, field), &slot)) in values.iter_mut().zip(labels.iter().zip(slots)) {
            match str_of(overlay, record, fields, slot, field) {
                Some(text) => {
                    value.write(text);
                    written += 1;
                }
                None => break,
            }
        }
        if written == labels.len() {
            // SAFETY: the first `written` elements were initialised just above (`written` counts the
            // writes, which go in order from the first), and `written <= INLINE_VALUES`.
            let values = unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<&str>(), written) };
            return f(values);
        }
    }
    let owned: Vec<Cow<'_, str>> = labels
        .iter()
        .zip(slots)
        .map(|((_, field), &slot)| text_of(overlay, record, fields, slot, field).unwrap_or(Cow::Borrowed("")))
        .collect();
    let values: Vec<&str> = owned.iter().map(AsRef::as_ref).collect();
    f(&values)
}

/// [`text_of`] when that borrows: the relabel target or the record's text, `""` for a missing field;
/// `None` for a value that is not text in the record (a number, a boolean, ...).
#[inline(always)]
fn str_of<'r>(
    overlay: &'r [(String, String)],
    record: &'r Record<'_>,
    fields: &mut Fields,
    slot: usize,
    name: &str,
) -> Option<&'r str> {
    if let Some(value) = relabeled(overlay, name) {
        return Some(value);
    }
    match fields.get(record, slot, name) {
        None => Some(""),
        Some(Value::Str(text)) => Some(text),
        Some(_) => None,
    }
}

/// Whether the field is present and its label text (as [`text_of`] gives it) matches `matcher`.
#[inline(always)]
pub(super) fn field_matches(
    overlay: &[(String, String)],
    record: &Record<'_>,
    fields: &mut Fields,
    slot: usize,
    name: &str,
    matcher: &Matcher,
) -> bool {
    if let Some(value) = relabeled(overlay, name) {
        return matcher.is_match(value);
    }
    match fields.get(record, slot, name) {
        None => false,
        Some(Value::Str(text)) => matcher.is_match(text),
        Some(other) => matcher.is_match(&other.to_label_string()),
    }
}

/// `text` after `prefix`, if it starts with it (see [`same`]).
#[inline(always)]
fn strip<'t>(text: &'t [u8], prefix: &[u8]) -> Option<&'t [u8]> {
    let (head, tail) = (text.get(..prefix.len())?, text.get(prefix.len()..)?);
    same(head, prefix).then_some(tail)
}

/// A field as a number (a relabel target is parsed as `str::parse` does, after trimming).
#[inline]
pub(super) fn number_of(
    overlay: &[(String, String)],
    record: &Record<'_>,
    fields: &mut Fields,
    slot: usize,
    name: &str,
) -> Option<f64> {
    if let Some(value) = relabeled(overlay, name) {
        return value.trim().parse().ok();
    }
    match fields.get(record, slot, name)? {
        Value::Str(text) => fast_number(text).or_else(|| text.parse().ok()),
        other => other.as_f64(),
    }
}

/// `text` as `f64` when it is a plain decimal (`-`? digits, optionally `.` digits; at most 15 digits
/// in all), computed exactly as `str::parse` rounds it: the digits as an integer below 2^53 and a
/// power of ten up to 10^15 are both exact in `f64`, so the one division is correctly rounded.
/// `None` for anything else (the caller then parses it in full).
///
/// ```text
/// assert_eq!(fast_number("1234"), Some(1234.0));
/// assert_eq!(fast_number("-0.25"), Some(-0.25));
/// assert_eq!(fast_number("1e3"), None);
/// ```
#[inline]
pub(super) fn fast_number(text: &str) -> Option<f64> {
    const POWERS: [f64; 16] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut fraction: Option<usize> = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            // A point with digits on both sides.
            b'.' if fraction.is_none() && i > 0 && i + 1 < digits.len() => {
                fraction = Some(digits.len() - i - 1)
            }
            _ => return None,
        }
    }
    if count > 15 {
        return None;
    }
    // Below 10^15 < 2^53: exact.
    let mut value = mantissa as f64;
    if let Some(places) = fraction {
        value /= *POWERS.get(places)?;
    }
    Some(if negative { -value } else { value })
}

/// A `match` / `exclude` pattern: the regex, or, when the pattern is `^` and plain literal text (no
/// regex syntax), that prefix, tested with `starts_with` (the same answer: without flags `^` anchors at
/// the start of the text only).
#[derive(Debug)]
pub(super) enum Matcher {
    /// `^literal`.
    Prefix(String),
    /// Anything else.
    Regex(Regex),
}

impl Matcher {
    /// The matcher of `pattern`, compiled as `regex` (already compiled, so errors are reported as before).
    pub(super) fn new(pattern: &str, regex: Regex) -> Matcher {
        const SYNTAX: &[char] = &['\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$', '#'];
        match pattern.strip_prefix('^') {
            Some(literal) if !literal.contains(SYNTAX) && !literal.chars().any(char::is_whitespace) => {
                Matcher::Prefix(literal.to_owned())
            }
            _ => Matcher::Regex(regex),
        }
    }

    /// Whether `text` matches.
    #[inline]
    pub(super) fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Prefix(prefix) => strip(text.as_bytes(), prefix.as_bytes()).is_some(),
            Matcher::Regex(regex) => regex.is_match(text),
        }
    }
}

/// The fixed parts of a rule's label text: before each field label's value, `name="` (after a comma
/// from the second on), and after the last, the const labels' text. A record's label values are
/// compared against a series' text through these, escaping on the fly.
#[derive(Debug, Default)]
pub(super) struct LabelShape {
    prefixes: Vec<Box<[u8]>>,
    suffix: Box<[u8]>,
}

impl LabelShape {
    /// The shape of field labels `names` followed by `const_labels`.
    pub(super) fn new<'n>(
        names: impl IntoIterator<Item = &'n str>,
        const_labels: &[(String, String)],
    ) -> Self {
        let prefixes: Vec<Box<[u8]>> = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let comma = if i > 0 { "," } else { "" };
                format!("{comma}{name}=\"").into_bytes().into_boxed_slice()
            })
            .collect();
        let mut suffix = Vec::new();
        for (name, value) in const_labels {
            push_label(&mut suffix, name, value);
        }
        if !prefixes.is_empty() && !suffix.is_empty() {
            suffix.insert(0, b',');
        }
        LabelShape { prefixes, suffix: suffix.into_boxed_slice() }
    }

    /// Whether `text` is the label text of field label `values` (as many as the shape has; missing
    /// ones are empty) with the const labels.
    #[inline]
    pub(super) fn matches<V: AsRef<str>>(&self, text: &[u8], values: &[V]) -> bool {
        let mut rest = text;
        for (i, prefix) in self.prefixes.iter().enumerate() {
            let value = values.get(i).map_or("", AsRef::as_ref);
            let Some(tail) = strip(rest, prefix) else { return false };
            let Some(tail) = strip_escaped(tail, value.as_bytes()) else { return false };
            let Some(tail) = tail.strip_prefix(b"\"") else { return false };
            rest = tail;
        }
        same(rest, &self.suffix)
    }
}

/// `text` after `value` as the label writer escapes it (`\\`, `\n`, `"`), if `text` starts with that.
#[inline]
fn strip_escaped<'t>(text: &'t [u8], value: &[u8]) -> Option<&'t [u8]> {
    if !value.iter().any(|&b| matches!(b, b'\\' | b'\n' | b'"')) {
        return strip(text, value);
    }
    let mut rest = text;
    for &b in value {
        let expected: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' => b"\\\"",
            _ => std::slice::from_ref(&b),
        };
        rest = rest.strip_prefix(expected)?;
    }
    Some(rest)
}

/// The seeds of a rule's series hash ([`hash_values`]): random per rule, drawn from a
/// `foldhash` random state once.
#[derive(Debug, Clone, Copy)]
pub(super) struct SeriesHasher {
    seeds: [u64; 3],
}

impl Default for SeriesHasher {
    fn default() -> Self {
        let state = foldhash::fast::RandomState::default();
        SeriesHasher { seeds: [state.hash_one(1u64), state.hash_one(2u64), state.hash_one(3u64)] }
    }
}

/// The folded multiply of `foldhash` (and of `ahash`): the high and low halves of the full product
/// xored.
#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let full = u128::from(x) * u128::from(y);
    (full as u64) ^ ((full >> 64) as u64)
}

/// The index hash of a series' field label values, in order (the const labels are the same for all
/// series of a rule): per value, one folded multiply of its first and last bytes (two overlapping
/// loads up to 16 bytes, as `foldhash` reads short input; longer values fold 16 bytes at a time
/// first), its length and the hash so far, so that values split otherwise hash otherwise. Inline,
/// with no hasher state: label values are short, and a general hasher's buffering cost more than the
/// mixing (a fifth of the rules' series lookup).
#[inline]
pub(super) fn hash_values<'v>(hasher: &SeriesHasher, values: impl IntoIterator<Item = &'v [u8]>) -> u64 {
    let [k0, k1, k2] = hasher.seeds;
    let mut hash = k2;
    for value in values {
        let len = value.len();
        let (a, b) = match len {
            0 => (0, 0),
            1..=3 => {
                let byte = |at: usize| u64::from(value.get(at).copied().unwrap_or_default());
                (byte(0) | byte(len / 2) << 8 | byte(len - 1) << 16, 0)
            }
            4..=7 => (u64::from(half_at(value, 0)), u64::from(half_at(value, len - 4))),
            8..=16 => (word_at(value, 0), word_at(value, len - 8)),
            _ => {
                let mut at = 0;
                while at + 16 < len {
                    hash = fold(word_at(value, at) ^ k0 ^ hash, word_at(value, at + 8) ^ k1);
                    at += 16;
                }
                (word_at(value, len - 16), word_at(value, len - 8))
            }
        };
        hash = fold(a ^ k0 ^ hash, b ^ k1 ^ len as u64);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::label_text::render_labels;

    #[test]
    fn same_agrees_with_slice_equality() {
        let text = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for n in 0..text.len() {
            for m in 0..text.len() {
                let (a, b) = (&text[..n], &text[m.min(n)..n]);
                assert_eq!(same(a, b), a == b);
                let mut c = a.to_vec();
                if let Some(last) = c.last_mut() {
                    *last ^= 1;
                }
                assert_eq!(same(a, &c), a == &c[..]);
                if let Some(first) = c.first_mut() {
                    *first ^= 2;
                }
                assert_eq!(same(a, &c), a == &c[..]);
            }
        }
    }

    #[test]
    fn fast_numbers_agree_with_the_parser() {
        for text in [
            "0",
            "-0",
            "1234",
            "00012",
            "999999999999999",
            "1.5",
            "-0.25",
            "3.14159",
            "0.1",
            "123456789.012345",
            "0.000000000000001",
            "9999999999999999",
            "1e3",
            "1.",
            ".5",
            "-",
            "",
            "1.2.3",
            "+1",
            "12a",
            "1_000",
        ] {
            if let Some(fast) = fast_number(text) {
                let parsed: f64 = text.parse().unwrap_or(f64::NAN);
                assert_eq!(fast.to_bits(), parsed.to_bits(), "{text}");
            }
        }
        assert_eq!(fast_number("1234"), Some(1234.0));
        assert_eq!(fast_number("-0").map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(fast_number("0.1"), Some(0.1));
        assert_eq!(fast_number("1e3"), None);
        assert_eq!(fast_number("9999999999999999"), None);
    }

    #[test]
    fn prefix_matchers_are_only_plain_anchored_literals() {
        let matcher = |p: &str| Matcher::new(p, Regex::new(p).unwrap_or_else(|_| Regex::new("x").unwrap()));
        assert!(matches!(matcher("^5"), Matcher::Prefix(p) if p == "5"));
        assert!(matches!(matcher("^5.."), Matcher::Regex(_)));
        assert!(matches!(matcher("5"), Matcher::Regex(_)));
        assert!(matches!(matcher("^a b"), Matcher::Regex(_)));
        for (pattern, text) in [("^5", "503"), ("^5", "200"), ("^", ""), ("^é", "été"), ("^ab", "a")] {
            assert_eq!(
                matcher(pattern).is_match(text),
                Regex::new(pattern).unwrap().is_match(text),
                "{pattern}"
            );
        }
    }

    #[test]
    fn shapes_match_the_rendered_label_text() {
        let names: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let consts = vec![("env".to_owned(), "p\"rod".to_owned())];
        let shape = LabelShape::new(names.iter().map(String::as_str), &consts);
        let all: Vec<String> = names.iter().cloned().chain(["env".into()]).collect();
        let values = ["x\"y", "", "back\\slash\nline"];
        let text = render_labels(&all, values.iter().copied().chain(["p\"rod"]));
        assert!(shape.matches(text.as_bytes(), &values));
        assert!(!shape.matches(text.as_bytes(), &["x\"y", "", "back"]));
        assert!(!shape.matches(text.as_bytes(), &["x", "", "back\\slash\nline"]));
        let bare = LabelShape::new([], &consts);
        assert!(bare.matches::<&str>(b"env=\"p\\\"rod\"", &[]));
        assert!(LabelShape::new([], &[]).matches::<&str>(b"", &[]));
        assert!(!LabelShape::new(["a"], &[]).matches(b"a=\"x\",", &["x"]));
        assert!(LabelShape::new(["a"], &[]).matches::<&str>(b"a=\"\"", &[]));
    }

    #[test]
    fn series_hashes_tell_values_apart_and_repeat() {
        let hasher = SeriesHasher::default();
        let hash = |values: &[&str]| hash_values(&hasher, values.iter().map(|v| v.as_bytes()));
        let long = "/api/v1/items/0123456789/details/more";
        let sets: Vec<Vec<&str>> = vec![
            vec![],
            vec![""],
            vec!["", ""],
            vec!["a"],
            vec!["ab", "c"],
            vec!["a", "bc"],
            vec!["abc"],
            vec!["GET", "200"],
            vec!["GET", "201"],
            vec!["POST", "200"],
            vec!["/api/v1/items/12"],
            vec!["/api/v1/items/13"],
            vec![long],
            vec![&long[..long.len() - 1]],
            vec!["x/api/v1/items/0123456789/details/more"],
            vec!["/api/v1/items/0123456789/detailz/more"],
        ];
        let hashes: Vec<u64> = sets.iter().map(|set| hash(set)).collect();
        for (i, a) in hashes.iter().enumerate() {
            assert_eq!(*a, hash(&sets[i]), "{:?} hashes the same again", sets[i]);
            for (j, b) in hashes.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?}", sets[i], sets[j]);
            }
        }
        // Another rule's seeds: other hashes.
        let other = SeriesHasher::default();
        assert_ne!(hash_values(&other, [b"GET".as_slice()]), hash(&["GET"]));
    }

    #[test]
    fn fields_are_found_as_record_get_finds_them() {
        let record = crate::logs::parse_json(r#"{"a":1,"b":"x","a":"last","n":{"m":2},"n.m":3}"#).unwrap();
        let mut fields = Fields::default();
        let names = ["a", "b", "n.m", "n", "zz", "q.r", ""];
        let slots: Vec<usize> = names.iter().map(|n| fields.intern(n)).collect();
        assert_eq!(fields.intern("a"), slots[0]);
        fields.reset();
        for (slot, name) in slots.iter().zip(names) {
            assert_eq!(fields.get(&record, *slot, name), record.get(name), "{name}");
            assert_eq!(fields.get(&record, *slot, name), record.get(name), "{name} again");
        }
    }
}
