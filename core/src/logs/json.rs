//! JSON lines with simd-json: one object per line, values keep their JSON types. simd-json works on a
//! padded mutable copy (reused per thread); strings that came through unchanged are then borrowed from
//! the caller's line, so only strings with escapes are allocated.

use std::borrow::Cow;
use std::cell::RefCell;

use simd_json::{Buffers, Node, StaticNode, Tape};

use super::error::LineError;
use super::record::Record;
use super::value::Value;

/// Deepest nesting accepted (objects and arrays); deeper lines are errors, never a stack overflow.
pub const MAX_JSON_DEPTH: usize = 128;

/// Per-thread buffers reused across lines.
struct Scratch {
    input: Vec<u8>,
    buffers: Buffers,
    tape: Option<Tape<'static>>,
}

impl Scratch {
    fn new() -> Self {
        Scratch { input: Vec::new(), buffers: Buffers::with_max_depth(1024, MAX_JSON_DEPTH + 1), tape: None }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Parses one JSON line into `record.fields` (the top-level members, in order, duplicates kept).
pub(crate) fn parse_into<'a>(line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => parse_with(&mut scratch, line, record),
        Err(_) => parse_with(&mut Scratch::new(), line, record),
    })
}

fn parse_with<'a>(scratch: &mut Scratch, line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    let len = line.len();
    let Scratch { input, buffers, tape: kept_tape } = scratch;
    input.clear();
    input.extend_from_slice(line.as_bytes());
    input.resize(len + simd_json::INPUT_PADDING, 0);
    let base = input.as_ptr() as usize;
    let mut tape: Tape<'_> = kept_tape.take().map_or_else(Tape::null, Tape::reset);
    let result = match simd_json::fill_tape_padded(input, len, buffers, &mut tape) {
        Ok(()) => {
            let converter = Converter { line, base };
            converter.top_level(&tape.0, record)
        }
        Err(e) => Err(json_error(line, &e)),
    };
    *kept_tape = Some(tape.reset());
    result
}

fn json_error(line: &str, e: &simd_json::Error) -> LineError {
    let offset = e.index().min(line.len());
    let message = match e.error() {
        simd_json::ErrorType::DepthLimitExceeded => {
            format!("JSON nested deeper than {MAX_JSON_DEPTH} levels")
        }
        kind => format!("invalid JSON: {}", describe(kind, line, offset)),
    };
    LineError::new(offset, message)
}

/// simd-json's error kind as a sentence a user can act on (the bindings show the same words).
/// simd-json's structural kinds are coarse, so the sentence also looks at the line: where the error
/// is, the character before it, and whether the line's brackets close.
///
/// ```
/// let err = srekit::logs::parse_json("{\"a\":1,}").unwrap_err();
/// assert_eq!(err.message, "invalid JSON: expected a quoted key after '{' or ',', found '}'");
/// ```
fn describe(kind: &simd_json::ErrorType, line: &str, offset: usize) -> String {
    use simd_json::ErrorType as E;
    let found = match line.get(offset..).and_then(|rest| rest.chars().next()) {
        Some(c) => format!("{c:?}"),
        None if offset >= line.len() => "the end of the line".to_owned(),
        None => "a byte that does not start a character".to_owned(),
    };
    let before = line.get(..offset).and_then(|b| b.trim_end().chars().last());
    let sentence = match kind {
        E::ExpectedObjectKey | E::KeyMustBeAString | E::BadKeyType => {
            "expected a quoted key after '{' or ','"
        }
        E::ExpectedObjectContent if matches!(before, Some('{' | ',')) => {
            "expected a quoted key after '{' or ','"
        }
        E::ExpectedObjectColon => "expected ':' after an object key",
        E::ExpectedMapComma | E::ExpectedMapEnd | E::ExpectedObjectContent => {
            "expected ',' or '}' after an object member"
        }
        E::ExpectedArrayContent if matches!(before, Some('[' | ',')) => "expected a value after '[' or ','",
        E::ExpectedArrayComma | E::ExpectedArrayContent => "expected ',' or ']' after an array element",
        E::UnterminatedString => return "a string is not closed by '\"'".to_owned(),
        E::InvalidEscape => return "invalid escape sequence in a string".to_owned(),
        E::InvalidUnicodeEscape => return "invalid \\u escape in a string".to_owned(),
        E::InvalidUnicodeCodepoint => return "invalid \\u escape in a string".to_owned(),
        E::InvalidUtf8 => return "invalid UTF-8".to_owned(),
        E::InvalidNumber => return "invalid number (or one out of range)".to_owned(),
        E::InvalidExponent => return "invalid exponent in a number".to_owned(),
        E::ExpectedNull | E::ExpectedTrue | E::ExpectedFalse | E::ExpectedBoolean => {
            return "invalid literal (JSON has only true, false and null)".to_owned()
        }
        E::TrailingData => return "more text after the JSON value".to_owned(),
        _ => match shape(line) {
            Shape::Unclosed => {
                return "the line ends inside an object or array (a '}' or ']' is missing)".to_owned()
            }
            Shape::Trailing => return "more text after the JSON value".to_owned(),
            Shape::Closed if line.get(..offset).is_some_and(|b| b.trim().is_empty()) => {
                return "a JSON value starts with '{', '[', '\"', a digit, true, false or null".to_owned()
            }
            Shape::Closed if matches!(before, Some(':' | ',' | '[')) => "expected a value",
            Shape::Closed => "unexpected character",
        },
    };
    format!("{sentence}, found {found}")
}

/// Whether a line's brackets (outside strings) close, and whether text follows the first value.
enum Shape {
    Unclosed,
    Trailing,
    Closed,
}

fn shape(line: &str) -> Shape {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, byte) in line.bytes().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let rest = line.get(at + 1..).unwrap_or("");
                    return if rest.trim().is_empty() { Shape::Closed } else { Shape::Trailing };
                }
            }
            _ => {}
        }
    }
    if depth > 0 || in_string {
        Shape::Unclosed
    } else {
        Shape::Closed
    }
}

/// Turns tape nodes into [`Value`]s, borrowing strings from `line` when simd-json left them unchanged.
struct Converter<'a> {
    line: &'a str,
    /// Address of the scratch copy the tape's strings point into.
    base: usize,
}

impl<'a> Converter<'a> {
    fn top_level(&self, nodes: &[Node<'_>], record: &mut Record<'a>) -> Result<(), LineError> {
        let first = self.line.bytes().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        match nodes.first() {
            Some(Node::Object { len, .. }) => {
                let mut at = 1;
                record.fields.reserve(*len);
                for _ in 0..*len {
                    let Some(Node::String(raw_key)) = nodes.get(at) else {
                        return Err(LineError::new(0, "malformed JSON tape (object key is not a string)"));
                    };
                    at += 1;
                    // Scalars are built right in the record (the common case in log lines); only
                    // containers go through the recursive converter.
                    match nodes.get(at) {
                        Some(Node::String(raw_value)) => {
                            at += 1;
                            match (self.borrow(raw_key), self.borrow(raw_value)) {
                                (Some(key), Some(value)) => record.push_borrowed(key, value),
                                _ => record
                                    .fields
                                    .push((self.string(raw_key), Value::Str(self.string(raw_value)))),
                            }
                        }
                        Some(Node::Static(scalar)) => {
                            at += 1;
                            match self.borrow(raw_key) {
                                Some(key) => record.push_scalar(key, scalar),
                                None => record.fields.push((self.string(raw_key), static_value(scalar))),
                            }
                        }
                        _ => {
                            let value = self.value(nodes, &mut at, 1)?;
                            record.fields.push((self.string(raw_key), value));
                        }
                    }
                }
                Ok(())
            }
            Some(Node::Array { .. }) => Err(LineError::new(first, "not a JSON object (found an array)")),
            Some(Node::String(_)) => Err(LineError::new(first, "not a JSON object (found a string)")),
            Some(Node::Static(_)) => Err(LineError::new(first, "not a JSON object (found a scalar)")),
            None => Err(LineError::new(0, "empty JSON line")),
        }
    }

    fn key(&self, nodes: &[Node<'_>], at: &mut usize) -> Result<Cow<'a, str>, LineError> {
        match nodes.get(*at) {
            Some(Node::String(s)) => {
                *at += 1;
                Ok(self.string(s))
            }
            _ => Err(LineError::new(0, "malformed JSON tape (object key is not a string)")),
        }
    }

    fn value(&self, nodes: &[Node<'_>], at: &mut usize, depth: usize) -> Result<Value<'a>, LineError> {
        let node = nodes.get(*at).ok_or_else(|| LineError::new(0, "malformed JSON tape (truncated)"))?;
        *at += 1;
        Ok(match node {
            Node::String(s) => Value::Str(self.string(s)),
            Node::Static(s) => static_value(s),
            Node::Object { len, .. } => {
                self.check_depth(depth)?;
                let mut members = Vec::with_capacity(*len);
                for _ in 0..*len {
                    let key = self.key(nodes, at)?;
                    let value = self.value(nodes, at, depth + 1)?;
                    members.push((key, value));
                }
                Value::Object(members)
            }
            Node::Array { len, .. } => {
                self.check_depth(depth)?;
                let mut items = Vec::with_capacity(*len);
                for _ in 0..*len {
                    items.push(self.value(nodes, at, depth + 1)?);
                }
                Value::Array(items)
            }
        })
    }

    fn check_depth(&self, depth: usize) -> Result<(), LineError> {
        if depth >= MAX_JSON_DEPTH {
            Err(LineError::new(0, format!("JSON nested deeper than {MAX_JSON_DEPTH} levels")))
        } else {
            Ok(())
        }
    }

    /// The string borrowed from the caller's line when the bytes there are the same (no escapes), else
    /// an owned copy of the unescaped string.
    #[inline]
    fn string(&self, s: &str) -> Cow<'a, str> {
        match self.borrow(s) {
            Some(original) => Cow::Borrowed(original),
            None => Cow::Owned(s.to_owned()),
        }
    }

    /// The same string in the caller's line, if simd-json left it there unchanged.
    #[inline(always)]
    fn borrow(&self, s: &str) -> Option<&'a str> {
        let offset = (s.as_ptr() as usize).wrapping_sub(self.base);
        self.line.get(offset..offset.wrapping_add(s.len())).filter(|original| *original == s)
    }
}

impl<'a> Record<'a> {
    /// Appends a JSON scalar field, building it in place.
    #[inline(always)]
    fn push_scalar(&mut self, key: &'a str, node: &StaticNode) {
        let node = *node;
        self.push_with(|| (Cow::Borrowed(key), static_value(&node)));
    }
}

#[allow(unreachable_patterns)] // simd-json's `128bit` feature adds variants when another crate enables it.
#[inline(always)]
fn static_value<'a>(node: &StaticNode) -> Value<'a> {
    match *node {
        StaticNode::I64(i) => Value::Int(i),
        StaticNode::U64(u) => i64::try_from(u).map_or(Value::UInt(u), Value::Int),
        StaticNode::F64(f) => Value::Float(f),
        StaticNode::Bool(b) => Value::Bool(b),
        StaticNode::Null => Value::Null,
        _ => Value::Null,
    }
}

/// Parses one JSON object line.
///
/// ```
/// use srekit::logs::Value;
///
/// let record = srekit::logs::parse_json(r#"{"status":200,"ok":true,"msg":"a\"b","tags":["x"],"d":0.5}"#).unwrap();
/// assert_eq!(record.get("status"), Some(&Value::Int(200)));
/// assert_eq!(record.get("msg").and_then(|v| v.as_str()), Some("a\"b"));
/// assert_eq!(record.get("tags.0").and_then(|v| v.as_str()), Some("x"));
/// assert!(srekit::logs::parse_json("[1,2]").is_err());
/// ```
pub fn parse_json(line: &str) -> Result<Record<'_>, LineError> {
    let mut record = Record::default();
    parse_into(line, &mut record)?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::parse_json;

    /// Every error reads as a sentence (no simd-json kind names such as `ExpectedObjectKey`).
    #[test]
    fn json_errors_read_as_prose() {
        for (line, expected) in [
            ("{\"a\":1,}", "expected a quoted key after '{' or ',', found '}'"),
            ("{\"a\" 1}", "expected ':' after an object key, found '1'"),
            ("{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member, found '\"'"),
            ("{\"a\":[1 2]}", "expected ',' or ']' after an array element"),
            ("{'a':1}", "expected a quoted key after '{' or ',', found '\\''"),
            ("{\"a\":\"x", "the line ends inside an object or array"),
            ("{\"a\":tru}", "invalid literal"),
            ("{\"a\":1} x", "more text after the JSON value"),
            ("status=abc", "a JSON value starts with"),
            ("{\"a\":1", "the line ends inside an object or array"),
            ("{\"a\":1,", "the line ends inside an object or array"),
            ("{\"n\":1e400}", "invalid number"),
            ("{\"a\":}", "expected a value, found '}'"),
            ("{\"a\":NaN}", "invalid JSON: "),
            ("{\"a\":\"\\q\"}", "invalid escape sequence"),
        ] {
            let err = parse_json(line).expect_err(line);
            assert!(err.message.starts_with("invalid JSON: "), "{line}: {}", err.message);
            assert!(err.message.contains(expected), "{line}: {}", err.message);
            let words = err.message.trim_start_matches("invalid JSON: ");
            assert!(words.contains(' '), "{line}: a sentence, not a kind name: {}", err.message);
        }
    }
}
