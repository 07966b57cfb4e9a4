//! Field typing on request (Fluent Bit's `Types`): `status = "int"`, `duration = "float"`, `ok = "bool"`.
//! A value that does not convert keeps its original value, as in Fluent Bit.

use std::borrow::Cow;

use super::value::Value;

/// The type a field is converted to.
///
/// ```
/// use srekit::logs::FieldType;
///
/// assert_eq!(FieldType::parse("integer"), Some(FieldType::Int));
/// assert_eq!(FieldType::parse("float"), Some(FieldType::Float));
/// assert_eq!(FieldType::parse("decimal"), None);
/// assert_eq!(FieldType::Bool.name(), "bool");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A 64-bit integer (`"200"` -> 200; `u64` values above `i64::MAX` stay unsigned).
    Int,
    /// A 64-bit float (`"0.25"` -> 0.25).
    Float,
    /// A boolean (`"true"`/`"false"`, any case, and `"1"`/`"0"`).
    Bool,
    /// A string (numbers and booleans are written out, e.g. JSON `200` -> `"200"`).
    String,
}

impl FieldType {
    /// Reads a type name: `int`/`integer`, `float`/`double`, `bool`/`boolean`, `string`/`str` (any case).
    ///
    /// ```
    /// assert_eq!(srekit::logs::FieldType::parse("BOOL"), Some(srekit::logs::FieldType::Bool));
    /// ```
    pub fn parse(name: &str) -> Option<FieldType> {
        match name.to_ascii_lowercase().as_str() {
            "int" | "integer" => Some(FieldType::Int),
            "float" | "double" => Some(FieldType::Float),
            "bool" | "boolean" => Some(FieldType::Bool),
            "string" | "str" => Some(FieldType::String),
            _ => None,
        }
    }

    /// The canonical name (`int`, `float`, `bool`, `string`).
    ///
    /// ```
    /// assert_eq!(srekit::logs::FieldType::Int.name(), "int");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Int => "int",
            FieldType::Float => "float",
            FieldType::Bool => "bool",
            FieldType::String => "string",
        }
    }

    /// Converts `value` to this type; a value that does not convert is returned unchanged.
    ///
    /// ```
    /// use srekit::logs::{FieldType, Value};
    ///
    /// assert_eq!(FieldType::Int.convert(Value::Str("404".into())), Value::Int(404));
    /// assert_eq!(FieldType::Float.convert(Value::Int(2)), Value::Float(2.0));
    /// assert_eq!(FieldType::Bool.convert(Value::Str("TRUE".into())), Value::Bool(true));
    /// assert_eq!(FieldType::String.convert(Value::Float(0.5)), Value::Str("0.5".into()));
    /// assert_eq!(FieldType::Int.convert(Value::Str("fast".into())), Value::Str("fast".into()));
    /// ```
    pub fn convert(self, value: Value<'_>) -> Value<'_> {
        match (self, value) {
            (FieldType::Int, Value::Str(s)) => parse_int(&s).unwrap_or(Value::Str(s)),
            (FieldType::Int, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 => {
                Value::Int(f as i64)
            }
            (FieldType::Int, Value::Bool(b)) => Value::Int(i64::from(b)),
            (FieldType::Float, Value::Str(s)) => s.trim().parse::<f64>().map_or(Value::Str(s), Value::Float),
            (FieldType::Float, Value::Int(i)) => Value::Float(i as f64),
            (FieldType::Float, Value::UInt(u)) => Value::Float(u as f64),
            (FieldType::Bool, Value::Str(s)) => parse_bool(&s).map_or(Value::Str(s), Value::Bool),
            (FieldType::Bool, Value::Int(i)) if i == 0 || i == 1 => Value::Bool(i == 1),
            (FieldType::String, Value::Str(s)) => Value::Str(s),
            (FieldType::String, v @ (Value::Array(_) | Value::Object(_))) => v,
            (FieldType::String, v) => Value::Str(Cow::Owned(v.to_label_string().into_owned())),
            (_, v) => v,
        }
    }
}

fn parse_int(s: &str) -> Option<Value<'static>> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::Int(i));
    }
    s.parse::<u64>().ok().map(Value::UInt)
}

fn parse_bool(s: &str) -> Option<bool> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}
