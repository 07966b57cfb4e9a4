//! [`Value`]: one field's value, borrowed from the input line where no unescaping was needed, with the
//! JSON types (numbers, bools, null, arrays, objects) kept when the format has them.

use std::borrow::Cow;

/// The value of one field. Strings borrow from the parsed line when they could be taken verbatim.
///
/// ```
/// use srekit::logs::Value;
///
/// let status = Value::Str("503".into());
/// assert_eq!(status.as_f64(), Some(503.0));
/// assert_eq!(Value::Int(-3).to_label_string(), "-3");
/// assert_eq!(Value::Bool(true).to_json(), serde_json::json!(true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A string (logfmt, LTSV and regex fields are strings unless typed).
    Str(Cow<'a, str>),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A floating point number.
    Float(f64),
    /// A boolean (also a bare logfmt key, which means `true`).
    Bool(bool),
    /// JSON `null`.
    Null,
    /// A JSON array.
    Array(Vec<Value<'a>>),
    /// A JSON object: ordered members, duplicates kept (the last one wins in lookups).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The value as a number: numbers as they are, booleans as 0/1, and strings that parse as a number
    /// (`"12"`, `"0.25"`, `"1e3"`). This is what log -> metrics rules observe.
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// assert_eq!(Value::Str("0.25".into()).as_f64(), Some(0.25));
    /// assert_eq!(Value::UInt(u64::MAX).as_f64(), Some(u64::MAX as f64));
    /// assert_eq!(Value::Str("fast".into()).as_f64(), None);
    /// assert_eq!(Value::Null.as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Str(s) => s.parse::<f64>().ok(),
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// The string inside a [`Value::Str`], or `None` for other kinds.
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// assert_eq!(Value::Str("GET".into()).as_str(), Some("GET"));
    /// assert_eq!(Value::Int(1).as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// How the value reads as a Prometheus label value: strings verbatim, numbers in their shortest
    /// round-trip form (`NaN`, `+Inf`, `-Inf` for the special floats), booleans as `true`/`false`,
    /// `null` as the empty string, arrays and objects as compact JSON.
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// assert_eq!(Value::Str("/api".into()).to_label_string(), "/api");
    /// assert_eq!(Value::Float(0.5).to_label_string(), "0.5");
    /// assert_eq!(Value::Float(f64::INFINITY).to_label_string(), "+Inf");
    /// assert_eq!(Value::Null.to_label_string(), "");
    /// assert_eq!(Value::Array(vec![Value::Int(1), Value::Bool(false)]).to_label_string(), "[1,false]");
    /// ```
    pub fn to_label_string(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Int(i) => Cow::Owned(itoa::Buffer::new().format(*i).to_owned()),
            Value::UInt(u) => Cow::Owned(itoa::Buffer::new().format(*u).to_owned()),
            Value::Float(f) => Cow::Owned(format_float(*f)),
            Value::Bool(true) => Cow::Borrowed("true"),
            Value::Bool(false) => Cow::Borrowed("false"),
            Value::Null => Cow::Borrowed(""),
            Value::Array(_) | Value::Object(_) => Cow::Owned(self.to_json().to_string()),
        }
    }

    /// The value as a `serde_json::Value` (objects keep the last of duplicate keys; non-finite floats
    /// become `null`, as in JSON).
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// let obj = Value::Object(vec![("a".into(), Value::Int(1)), ("a".into(), Value::Int(2))]);
    /// assert_eq!(obj.to_json(), serde_json::json!({"a": 2}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::UInt(u) => serde_json::Value::from(*u),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Null => serde_json::Value::Null,
            Value::Array(items) => serde_json::Value::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(members) => serde_json::Value::Object(members_to_json(members)),
        }
    }

    /// Detaches the value from the input it borrows from.
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// let owned: Value<'static> = {
    ///     let text = String::from("kept");
    ///     Value::Str(text.as_str().into()).into_owned()
    /// };
    /// assert_eq!(owned.as_str(), Some("kept"));
    /// ```
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Int(i) => Value::Int(i),
            Value::UInt(u) => Value::UInt(u),
            Value::Float(f) => Value::Float(f),
            Value::Bool(b) => Value::Bool(b),
            Value::Null => Value::Null,
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
            Value::Object(members) => Value::Object(
                members.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned())).collect(),
            ),
        }
    }

    /// The member `key` of an object (the last one if the key is repeated), or the element at index
    /// `key` of an array; `None` for other kinds.
    ///
    /// ```
    /// use srekit::logs::Value;
    ///
    /// let arr = Value::Array(vec![Value::Int(7)]);
    /// assert_eq!(arr.child("0"), Some(&Value::Int(7)));
    /// ```
    pub fn child(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(members) => last_member(members, key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }
}

/// The last member named `key` (the map view of ordered fields with duplicates).
pub(crate) fn last_member<'m, 'a>(
    members: &'m [(Cow<'a, str>, Value<'a>)],
    key: &str,
) -> Option<&'m Value<'a>> {
    members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Resolves a dotted path (`a.b.c`) in ordered members: an exact member name wins over descending, so a
/// logfmt key `http.status` is found as such; otherwise the path is split at each dot in turn.
pub(crate) fn lookup_path<'m, 'a>(
    members: &'m [(Cow<'a, str>, Value<'a>)],
    path: &str,
) -> Option<&'m Value<'a>> {
    if let Some(v) = last_member(members, path) {
        return Some(v);
    }
    for (dot, _) in path.match_indices('.') {
        let (head, rest) = (&path[..dot], &path[dot + 1..]);
        if let Some(v) = last_member(members, head) {
            if let Some(found) = lookup_in_value(v, rest) {
                return Some(found);
            }
        }
    }
    None
}

fn lookup_in_value<'m, 'a>(value: &'m Value<'a>, path: &str) -> Option<&'m Value<'a>> {
    match value {
        Value::Object(members) => lookup_path(members, path),
        Value::Array(items) => {
            let (index, rest) = match path.split_once('.') {
                Some((i, r)) => (i, Some(r)),
                None => (path, None),
            };
            let item = items.get(index.parse::<usize>().ok()?)?;
            match rest {
                Some(r) => lookup_in_value(item, r),
                None => Some(item),
            }
        }
        _ => None,
    }
}

/// The map view of ordered members: later duplicates overwrite earlier ones, first-seen order kept.
pub(crate) fn members_to_json(
    members: &[(Cow<'_, str>, Value<'_>)],
) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::with_capacity(members.len());
    for (k, v) in members {
        map.insert(k.to_string(), v.to_json());
    }
    map
}

fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if f == f.trunc() && f.abs() < 1e15 {
        // Whole numbers read as integers in labels ("200", not "200.0").
        itoa::Buffer::new().format(f as i64).to_owned()
    } else {
        ryu::Buffer::new().format_finite(f).to_owned()
    }
}
