//! logfmt, decoded as go-logfmt does: `key=value`, `key="quoted \"value\""`, `key=` (empty string) and a
//! bare `key` (boolean true), separated by blanks (any byte up to and including the space, as in
//! go-logfmt). Values without escapes are borrowed from the line. Also the encoder used for round trips.

use std::borrow::Cow;

use super::error::LineError;
use super::record::Record;
use super::scan::{find_logfmt_stop, find_quote_or_backslash};
use super::value::Value;

/// Parses one logfmt line into `record.fields` (appending, duplicates kept, in order).
pub(crate) fn parse_into<'a>(line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    let bytes = line.as_bytes();
    let len = bytes.len();
    let mut pos = 0;
    loop {
        while pos < len && bytes[pos] <= b' ' {
            pos += 1;
        }
        if pos >= len {
            return Ok(());
        }
        let key_start = pos;
        pos = find_logfmt_stop(bytes, pos);
        let stop = bytes.get(pos).copied();
        if pos == key_start {
            return Err(match stop {
                Some(b'=') => LineError::new(pos, "empty key before '='"),
                _ => LineError::new(pos, "unexpected '\"' in key"),
            });
        }
        let key = &line[key_start..pos];
        match stop {
            Some(b'=') => {}
            Some(b'"') => return Err(LineError::new(pos, "unexpected '\"' in key")),
            _ => {
                // A bare key (at a blank or the end of the line) means true.
                record.fields.push((Cow::Borrowed(key), Value::Bool(true)));
                continue;
            }
        }
        pos += 1; // past '='
        match bytes.get(pos) {
            None => {
                record.push_borrowed(key, "");
                return Ok(());
            }
            Some(&b) if b <= b' ' => record.push_borrowed(key, ""),
            Some(b'"') => {
                let content_start = pos + 1;
                let (end, has_escape) = closing_quote(bytes, pos)?;
                let raw = &line[content_start..end];
                if has_escape {
                    let value = unescape(raw, content_start)?;
                    record.fields.push((Cow::Borrowed(key), Value::Str(Cow::Owned(value))));
                } else {
                    record.push_borrowed(key, raw);
                }
                pos = end + 1;
            }
            Some(_) => {
                let value_start = pos;
                pos = find_logfmt_stop(bytes, pos);
                match bytes.get(pos) {
                    Some(b'=') => return Err(LineError::new(pos, "unexpected '=' in unquoted value")),
                    Some(b'"') => return Err(LineError::new(pos, "unexpected '\"' in unquoted value")),
                    _ => record.push_borrowed(key, &line[value_start..pos]),
                }
            }
        }
    }
}

/// Finds the closing quote of the quoted value opening at `quote`: its offset, and whether the value
/// has escapes.
#[inline(always)]
fn closing_quote(bytes: &[u8], quote: usize) -> Result<(usize, bool), LineError> {
    let mut pos = quote + 1;
    let mut has_escape = false;
    loop {
        match find_quote_or_backslash(bytes, pos) {
            None => return Err(LineError::new(quote, "unterminated quoted value")),
            Some(i) if bytes[i] == b'"' => return Ok((i, has_escape)),
            Some(i) => {
                has_escape = true;
                pos = i + 2;
                if pos > bytes.len() {
                    return Err(LineError::new(quote, "unterminated quoted value"));
                }
            }
        }
    }
}

/// Resolves the escapes of a quoted logfmt value (the JSON ones, plus `\'` as go-logfmt accepts);
/// `base` is the offset of `raw` in the line, for errors.
fn unescape(raw: &str, base: usize) -> Result<String, LineError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut copied = 0;
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'\\', &bytes[pos..]) {
        let backslash = pos + i;
        out.push_str(&raw[copied..backslash]);
        let escaped = bytes.get(backslash + 1).copied();
        let mut next = backslash + 2;
        match escaped {
            Some(b'"') => out.push('"'),
            Some(b'\\') => out.push('\\'),
            Some(b'/') => out.push('/'),
            Some(b'\'') => out.push('\''),
            Some(b'b') => out.push('\u{8}'),
            Some(b'f') => out.push('\u{c}'),
            Some(b'n') => out.push('\n'),
            Some(b'r') => out.push('\r'),
            Some(b't') => out.push('\t'),
            Some(b'u') => {
                let unit = hex4(bytes, backslash + 2).ok_or_else(|| {
                    LineError::new(base + backslash, "invalid \\u escape (expected 4 hex digits)")
                })?;
                next = backslash + 6;
                let ch = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate: valid only with a low one right after.
                    let low = if bytes.get(next) == Some(&b'\\') && bytes.get(next + 1) == Some(&b'u') {
                        hex4(bytes, next + 2).filter(|low| (0xDC00..0xE000).contains(low))
                    } else {
                        None
                    };
                    match low {
                        Some(low) => {
                            next += 6;
                            char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                                .unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        None => char::REPLACEMENT_CHARACTER,
                    }
                } else {
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
                };
                out.push(ch);
            }
            _ => return Err(LineError::new(base + backslash, "invalid escape in quoted value")),
        }
        pos = next;
        copied = next;
    }
    out.push_str(&raw[copied..]);
    Ok(out)
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let mut value = 0u32;
    for &d in digits {
        value = value * 16 + (d as char).to_digit(16)?;
    }
    Some(value)
}

/// Parses one logfmt line.
///
/// ```
/// let record = srekit::logs::parse_logfmt(r#"level=info msg="said \"hi\"" debug dur="#).unwrap();
/// assert_eq!(
///     record.to_json(),
///     serde_json::json!({"level": "info", "msg": "said \"hi\"", "debug": true, "dur": ""})
/// );
/// assert!(srekit::logs::parse_logfmt("=v").is_err());
/// ```
pub fn parse_logfmt(line: &str) -> Result<Record<'_>, LineError> {
    let mut record = Record::with_capacity(16);
    parse_into(line, &mut record)?;
    Ok(record)
}

/// Appends `fields` to `out` in logfmt: values quoted (with escapes) only when they need it, `true`
/// for booleans and `null` for null; key bytes that a key may not hold (blanks, `=`, `"`) become `_`
/// and an empty key becomes `_`. What this writes, [`parse_logfmt`] reads back (strings as strings).
///
/// ```
/// use srekit::logs::{encode_logfmt, parse_logfmt, Value};
///
/// let fields = vec![("msg".into(), Value::Str("a \"b\"\n".into())), ("n".into(), Value::Int(3))];
/// let mut line = String::new();
/// encode_logfmt(&fields, &mut line);
/// assert_eq!(line, r#"msg="a \"b\"\n" n=3"#);
/// assert_eq!(parse_logfmt(&line).unwrap().fields[0].1, fields[0].1);
/// ```
pub fn encode_logfmt(fields: &[(Cow<'_, str>, Value<'_>)], out: &mut String) {
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if key.is_empty() {
            out.push('_');
        }
        for ch in key.chars() {
            out.push(if (ch as u32) <= 0x20 || ch == '=' || ch == '"' { '_' } else { ch });
        }
        out.push('=');
        match value {
            Value::Str(s) => write_value(s, out),
            Value::Null => out.push_str("null"),
            other => write_value(&other.to_label_string(), out),
        }
    }
}

fn write_value(s: &str, out: &mut String) {
    let needs_quotes = s.is_empty() || s.bytes().any(|b| b <= b' ' || b == b'=' || b == b'"' || b == b'\\');
    if !needs_quotes {
        out.push_str(s);
        return;
    }
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
