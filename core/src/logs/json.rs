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
        kind => format!("invalid JSON: {kind:?}"),
    };
    LineError::new(offset, message)
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
