//! A series' label set kept as its exposition text, `a="x",b="y"` (values escaped as both formats
//! write them; empty without labels): the one copy of a series' label values, which encoders copy as is.
//! Here: writing that text, comparing it with label values without unescaping, and reading the values
//! back (for `gather`, `Debug`, checkpoints). Also [`SeriesIndex`], the hash index over series that
//! stores no key (a lookup compares against the series' own text).

use std::borrow::Cow;

use hashbrown::HashTable;

use crate::expfmt::write_label_value;

/// Appends the pair `name="value"` (value escaped) to `out`, after a comma when `out` already holds
/// pairs.
pub(crate) fn push_label(out: &mut Vec<u8>, name: &str, value: &str) {
    if !out.is_empty() {
        out.push(b',');
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    write_label_value(out, value);
    out.push(b'"');
}

/// The label text of `names` with `values` (in order).
pub(crate) fn render_labels<'v>(names: &[String], values: impl IntoIterator<Item = &'v str>) -> Box<str> {
    let mut out = Vec::new();
    for (name, value) in names.iter().zip(values) {
        push_label(&mut out, name, value);
    }
    // Built from `&str` pieces and ASCII punctuation: always UTF-8.
    String::from_utf8(out).unwrap_or_default().into_boxed_str()
}

/// Whether `text` is the label text of `names` with `values`, compared without building it.
pub(crate) fn labels_match(text: &str, names: &[String], values: &[&str]) -> bool {
    let mut rest = text.as_bytes();
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            let Some(tail) = rest.strip_prefix(b",") else { return false };
            rest = tail;
        }
        let Some(tail) = rest.strip_prefix(name.as_bytes()).and_then(|t| t.strip_prefix(b"=\"")) else {
            return false;
        };
        rest = tail;
        for &b in value.as_bytes() {
            let expected: &[u8] = match b {
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'"' => b"\\\"",
                _ => std::slice::from_ref(&b),
            };
            let Some(tail) = rest.strip_prefix(expected) else { return false };
            rest = tail;
        }
        let Some(tail) = rest.strip_prefix(b"\"") else { return false };
        rest = tail;
    }
    rest.is_empty()
}

/// The label values in `text` (unescaped), in order.
pub(crate) fn label_values(text: &str) -> Vec<Cow<'_, str>> {
    let mut values = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("=\"") {
        let body = &rest[start + 2..];
        let bytes = body.as_bytes();
        let mut end = 0;
        let mut escaped = false;
        while end < bytes.len() && bytes[end] != b'"' {
            escaped |= bytes[end] == b'\\';
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let raw = body.get(..end).unwrap_or(body);
        values.push(if escaped { Cow::Owned(unescape(raw)) } else { Cow::Borrowed(raw) });
        rest = body.get(end + 1..).unwrap_or("");
    }
    values
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A hash index over a list of series that stores, per series, only its position and 32 bits of its
/// key's hash (8 bytes): the key itself is the series' label text, compared by the caller. Growing the
/// index re-hashes the stored 32 bits, never the keys.
#[derive(Default)]
pub(crate) struct SeriesIndex {
    table: HashTable<Slot>,
}

#[derive(Clone, Copy)]
struct Slot {
    position: u32,
    hash: u32,
}

/// The table hash of a folded key hash (spread so hashbrown's tag bits vary).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn fold(hash: u64) -> u32 {
    (hash >> 32) as u32 ^ hash as u32
}

impl SeriesIndex {
    /// The position of the series whose key hashes to `hash` and for which `same` holds.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut same: impl FnMut(usize) -> bool) -> Option<usize> {
        let hash = fold(hash);
        self.table
            .find(spread(hash), |slot| slot.hash == hash && same(slot.position as usize))
            .map(|slot| slot.position as usize)
    }

    /// Indexes the series at `position` under `hash`. Positions fit in 32 bits (4 billion series would
    /// need hundreds of gigabytes); one beyond is not indexed, and `false` is returned.
    pub(crate) fn insert(&mut self, hash: u64, position: usize) -> bool {
        let Ok(position) = u32::try_from(position) else { return false };
        let hash = fold(hash);
        self.table.insert_unique(spread(hash), Slot { position, hash }, |slot| spread(slot.hash));
        true
    }

    /// Removes the series at `position` (key hash `hash`) from the index.
    pub(crate) fn remove(&mut self, hash: u64, position: usize) {
        let hash = fold(hash);
        if let Ok(entry) = self
            .table
            .find_entry(spread(hash), |slot| slot.hash == hash && slot.position as usize == position)
        {
            entry.remove();
        }
    }

    /// The series at `from` (key hash `hash`) moved to `to` (series expiry, in the log rules).
    #[cfg_attr(not(feature = "logs"), allow(dead_code))]
    pub(crate) fn moved(&mut self, hash: u64, from: usize, to: usize) {
        let hash = fold(hash);
        let (Ok(to), Some(slot)) = (
            u32::try_from(to),
            self.table.find_mut(spread(hash), |slot| slot.hash == hash && slot.position as usize == from),
        ) else {
            return;
        };
        slot.position = to;
    }

    /// Every series after `position` moved down by one (a removal from an ordered list).
    pub(crate) fn shift_down_after(&mut self, position: usize) {
        for slot in self.table.iter_mut() {
            if slot.position as usize > position {
                slot.position -= 1;
            }
        }
    }

    /// Forgets every series.
    pub(crate) fn clear(&mut self) {
        self.table.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_matches_values() {
        let names: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let values = ["x\"y", "", "back\\slash\nline"];
        let text = render_labels(&names, values);
        assert_eq!(&*text, r#"a="x\"y",b="",c="back\\slash\nline""#);
        assert!(labels_match(&text, &names, &values));
        assert!(!labels_match(&text, &names, &["x\"y", "", "back\\slash"]));
        assert!(!labels_match(&text, &names, &["x", "", "back\\slash\nline"]));
        assert_eq!(label_values(&text), values);
        assert!(labels_match("", &[], &[]));
        assert!(label_values("").is_empty());
    }

    #[test]
    fn index_finds_moves_and_forgets_positions() {
        let mut index = SeriesIndex::default();
        let keys = ["a", "b", "c"];
        for (position, _) in keys.iter().enumerate() {
            assert!(index.insert(position as u64 * 7919, position));
        }
        assert_eq!(index.find(7919, |p| keys[p] == "b"), Some(1));
        assert_eq!(index.find(7919, |p| keys[p] == "a"), None);
        index.remove(0, 0);
        index.moved(2 * 7919, 2, 0);
        assert_eq!(index.find(2 * 7919, |_| true), Some(0));
        assert_eq!(index.find(0, |_| true), None);
        index.shift_down_after(0);
        assert_eq!(index.find(7919, |_| true), Some(0));
        index.clear();
        assert_eq!(index.find(7919, |_| true), None);
    }
}
