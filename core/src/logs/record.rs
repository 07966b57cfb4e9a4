//! [`Record`]: one parsed log line, whatever its format — ordered fields (duplicates kept) and an
//! optional timestamp.

use std::borrow::Cow;

use super::value::{lookup_path, members_to_json, Value};

/// One parsed line: its fields in input order (duplicate keys kept) and, when the parser was given a time
/// key, its timestamp in seconds since the Unix epoch.
///
/// ```
/// let record = srekit::logs::parse_logfmt("level=info status=200 level=warn").unwrap();
/// assert_eq!(record.fields.len(), 3);
/// assert_eq!(record.get("level").and_then(|v| v.as_str()), Some("warn"));
/// assert_eq!(record.to_json(), serde_json::json!({"level": "warn", "status": "200"}));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record<'a> {
    /// The fields in the order they appear in the line; keys may repeat.
    pub fields: Vec<(Cow<'a, str>, Value<'a>)>,
    /// Seconds since the Unix epoch, from the time key (if the parser has one).
    pub timestamp: Option<f64>,
}

impl<'a> Record<'a> {
    /// An empty record with room for `capacity` fields.
    ///
    /// ```
    /// let record = srekit::logs::Record::with_capacity(8);
    /// assert!(record.fields.is_empty() && record.timestamp.is_none());
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Record { fields: Vec::with_capacity(capacity), timestamp: None }
    }

    /// The value at `path`: a field name, or `a.b.c` into nested objects (and array indexes). A field
    /// whose name is exactly `path` (dots included) wins; the last duplicate wins.
    ///
    /// ```
    /// let record = srekit::logs::parse_json(r#"{"http":{"status":404,"path":"/x"},"a.b":1}"#).unwrap();
    /// assert_eq!(record.get("http.status").and_then(|v| v.as_f64()), Some(404.0));
    /// assert_eq!(record.get("a.b").and_then(|v| v.as_f64()), Some(1.0));
    /// assert!(record.get("http.nope").is_none());
    /// ```
    pub fn get(&self, path: &str) -> Option<&Value<'a>> {
        lookup_path(&self.fields, path)
    }

    /// The map view of the record as JSON: one member per key, the last duplicate winning, in the order
    /// keys were first seen. This is the `expect` of the shared test vectors.
    ///
    /// ```
    /// let record = srekit::logs::parse_ltsv("host:127.0.0.1\tstatus:200").unwrap();
    /// assert_eq!(record.to_json(), serde_json::json!({"host": "127.0.0.1", "status": "200"}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(members_to_json(&self.fields))
    }

    /// Appends a field. Written so the compiler stores the field straight into the vector's buffer (a
    /// plain `push` builds it on the stack and copies it, which stalls on store forwarding: this is the
    /// hot path of every parser).
    #[inline(always)]
    pub(crate) fn push_borrowed(&mut self, key: &'a str, value: &'a str) {
        self.push_with(|| (Cow::Borrowed(key), Value::Str(Cow::Borrowed(value))));
    }

    /// Appends the field `make` builds, after making room, so that it is built in the buffer.
    #[inline(always)]
    pub(crate) fn push_with(&mut self, make: impl FnOnce() -> (Cow<'a, str>, Value<'a>)) {
        if self.fields.len() == self.fields.capacity() {
            self.fields.reserve(16);
        }
        let len = self.fields.len();
        if let Some(slot) = self.fields.spare_capacity_mut().first_mut() {
            slot.write(make());
            // SAFETY: the slot at index `len` was just initialised, and `len < capacity`.
            unsafe { self.fields.set_len(len + 1) };
        }
    }

    /// Empties the record for the next line, keeping its buffer (see [`clear_fields`]).
    #[inline(always)]
    pub(crate) fn clear(&mut self) {
        clear_fields(&mut self.fields);
        self.timestamp = None;
    }

    /// Empties a record known to hold only fields that own nothing (borrowed keys and strings, numbers,
    /// booleans, null), without looking at each. Were one to own memory, it would leak (never worse).
    #[inline(always)]
    pub(crate) fn clear_borrowed(&mut self) {
        debug_assert!(self.fields.iter().all(|(key, value)| {
            matches!(key, Cow::Borrowed(_))
                && !matches!(value, Value::Str(Cow::Owned(_)) | Value::Array(_) | Value::Object(_))
        }));
        // SAFETY: length 0 is within the capacity; the fields are not dropped, which for fields that
        // own nothing (the caller's promise) leaks nothing.
        unsafe { self.fields.set_len(0) };
        self.timestamp = None;
    }

    /// Detaches the record from the line it borrows from.
    ///
    /// ```
    /// let owned = {
    ///     let line = String::from("a=1");
    ///     srekit::logs::parse_logfmt(&line).unwrap().into_owned()
    /// };
    /// assert_eq!(owned.get("a").and_then(|v| v.as_str()), Some("1"));
    /// ```
    pub fn into_owned(self) -> Record<'static> {
        Record {
            fields: self
                .fields
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
            timestamp: self.timestamp,
        }
    }
}

/// Empties `fields`, keeping the buffer. Fields borrowed from a line own nothing, so only owned keys and
/// values are dropped: clearing borrowed fields costs no call per field (a plain `clear` calls the
/// values' drop for each, which showed as a tenth of LTSV's parse time).
#[inline(always)]
pub(crate) fn clear_fields(fields: &mut Vec<(Cow<'_, str>, Value<'_>)>) {
    for (key, value) in fields.iter_mut() {
        let borrowed = matches!(key, Cow::Borrowed(_))
            && matches!(
                value,
                Value::Str(Cow::Borrowed(_))
                    | Value::Int(_)
                    | Value::UInt(_)
                    | Value::Float(_)
                    | Value::Bool(_)
                    | Value::Null
            );
        if !borrowed {
            *key = Cow::Borrowed("");
            *value = Value::Null;
        }
    }
    // SAFETY: length 0 is within the capacity, and no field left owns anything (what was owned was
    // replaced, and so dropped, above): not dropping them leaks nothing.
    unsafe { fields.set_len(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_drops_owned_fields_and_keeps_the_buffer() {
        let line = String::from("a=1");
        let mut record = Record::with_capacity(4);
        record.push_borrowed(&line[..1], &line[2..]);
        record.fields.push((Cow::Owned("k".into()), Value::Str(Cow::Owned("v".into()))));
        record.fields.push((Cow::Borrowed("n"), Value::Array(vec![Value::Str(Cow::Owned("x".into()))])));
        record.timestamp = Some(1.0);
        let capacity = record.fields.capacity();
        record.clear();
        assert!(record.fields.is_empty() && record.timestamp.is_none());
        assert_eq!(record.fields.capacity(), capacity);
        record.push_borrowed("b", "2");
        assert_eq!(record.to_json(), serde_json::json!({"b": "2"}));
    }

    #[test]
    fn clear_borrowed_empties_a_borrowed_record_and_keeps_the_buffer() {
        let mut record = Record::with_capacity(4);
        record.push_borrowed("a", "1");
        record.fields.push((Cow::Borrowed("n"), Value::Int(3)));
        record.timestamp = Some(1.0);
        let capacity = record.fields.capacity();
        record.clear_borrowed();
        assert!(record.fields.is_empty() && record.timestamp.is_none());
        assert_eq!(record.fields.capacity(), capacity);
    }
}
