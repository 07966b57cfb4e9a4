//! Walking the `key value` lines of a procfs file (/proc/vmstat, /proc/net/snmp6) quickly: the lines
//! are found with `memchr`, and a line whose key is the one kept for its line number last time (the
//! kernel writes the same keys in the same order) is recognised with one comparison, without
//! splitting it into fields. Same results as `str::lines` and `split_ascii_whitespace`, faster on
//! files of a few hundred short lines of which a collector wants a handful.

use super::emit::Emitter;
use super::read::parse_f64;

/// The lines of `text` as [`str::lines`] gives them (without `\n` or `\r\n`), found with `memchr`.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', rest.as_bytes()) {
            // `\n` is ASCII, so both sides of it are char boundaries.
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            // A last line without `\n` keeps a `\r` it ends with, as with `str::lines`.
            None => Some(std::mem::take(&mut rest)),
        }
    })
}

/// The rest of `line` after its first field when that field is `kept` (not empty) at the start of
/// the line, found with one comparison; `None` otherwise (the first field may still be `kept` when
/// the line starts with whitespace).
pub(crate) fn after_kept<'a>(line: &'a str, kept: &str) -> Option<&'a str> {
    let bytes = line.as_bytes();
    // A non-empty kept key holds no whitespace (it was a field), so a line that starts with it
    // followed by whitespace has it as its first field.
    let at = kept.len();
    if !kept.is_empty()
        && bytes.len() > at
        && bytes[at].is_ascii_whitespace()
        && &bytes[..at] == kept.as_bytes()
    {
        // After an ASCII byte, so a char boundary.
        line.get(at..)
    } else {
        None
    }
}

/// What [`key_value`] found in a line.
pub(crate) enum KeyValue<'a> {
    /// The line's first field is the kept key; its second field, if any.
    Kept(Option<&'a str>),
    /// Another key (first field) and its value (second field).
    New(&'a str, &'a str),
    /// The line has fewer than two fields.
    Short,
}

/// The first two whitespace-separated fields of `line`, telling whether the first is `kept` without
/// splitting the line when it is (then the second is only looked for when `want_value`).
pub(crate) fn key_value<'a>(line: &'a str, kept: &str, want_value: bool) -> KeyValue<'a> {
    if let Some(rest) = after_kept(line, kept) {
        return KeyValue::Kept(if want_value { rest.split_ascii_whitespace().next() } else { None });
    }
    let mut fields = line.split_ascii_whitespace();
    match (fields.next(), fields.next()) {
        (Some(key), Some(value)) => KeyValue::New(key, value),
        _ => KeyValue::Short,
    }
}

/// Per line number of a `key value` file: the key found there last time and the `(metric, help)`
/// a collector selected for it (`None`: the key is not exported).
pub(crate) type KeptKeys = Vec<(String, Option<(String, String)>)>;

/// Emits every `key value` line of `text` whose key is selected as an untyped sample, keeping each
/// line's key and selection in `kept` for the next collection: `select` runs only for a key that is
/// not the one kept for its line (vmstat, /proc/net/snmp6).
pub(crate) fn emit_selected(
    text: &str,
    kept: &mut KeptKeys,
    mut select: impl FnMut(&str) -> Option<(String, String)>,
    out: &mut Emitter,
) {
    for (number, line) in lines(text).enumerate() {
        if kept.len() <= number {
            kept.resize_with(number + 1, || (String::new(), None));
        }
        let (key_kept, selection) = &mut kept[number];
        let value = match key_value(line, key_kept, selection.is_some()) {
            KeyValue::Kept(value) => value,
            KeyValue::New(key, value) => {
                key_kept.clear();
                key_kept.push_str(key);
                *selection = select(key);
                Some(value)
            }
            KeyValue::Short => None,
        };
        if let (Some((name, help)), Some(value)) = (selection.as_ref(), value.and_then(parse_f64)) {
            out.untyped(name, help, vec![], value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_of_str_lines() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\nx y\n", "é\nü z\r", "a\rb\n"] {
            assert_eq!(lines(text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }

    /// The first two fields `split_ascii_whitespace` gives.
    fn expected(line: &str) -> (Option<&str>, Option<&str>) {
        let mut fields = line.split_ascii_whitespace();
        (fields.next(), fields.next())
    }

    #[test]
    fn key_value_agrees_with_splitting() {
        let cases = [
            ("pgfault 12", "pgfault"),
            ("pgfault 12", "pgfaul"),
            ("pgfault 12", "pgfault2"),
            ("pgfault\t \t12 kB", "pgfault"),
            ("pgfault", "pgfault"),
            ("pgfault   ", "pgfault"),
            ("  pgfault 12", "pgfault"),
            (" x 1", ""),
            ("", ""),
            ("Ip6InReceives                   \t7", "Ip6InReceives"),
            ("é 1", "é"),
        ];
        for (line, kept) in cases {
            let (key, value) = expected(line);
            match key_value(line, kept, true) {
                KeyValue::Kept(found) => {
                    assert_eq!(key, Some(kept), "{line:?} {kept:?}");
                    assert_eq!(found, value, "{line:?} {kept:?}");
                }
                KeyValue::New(k, v) => {
                    assert_eq!((Some(k), Some(v)), (key, value), "{line:?} {kept:?}");
                    let indented = line.starts_with(|c: char| c.is_ascii_whitespace());
                    assert!(k != kept || indented, "a kept key at the start is recognised: {line:?}");
                }
                KeyValue::Short => {
                    assert!(value.is_none(), "{line:?} {kept:?}");
                }
            }
        }
        assert!(matches!(key_value("pgfault 12", "pgfault", false), KeyValue::Kept(None)));
    }
}
