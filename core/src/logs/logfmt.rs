//! logfmt, decoded as go-logfmt does: `key=value`, `key="quoted \"value\""`, `key=` (empty string) and a
//! bare `key` (boolean true), separated by blanks (any byte up to and including the space, as in
//! go-logfmt). Values without escapes are borrowed from the line. Also the encoder used for round trips.

use std::borrow::Cow;

use super::error::LineError;
use super::record::Record;
use super::scan::{Stops, LOGFMT_QUOTE_BACKSLASH_NEWLINE, LOGFMT_TOKEN_END};
use super::value::Value;

/// Parses one logfmt line into `record.fields` (appending, duplicates kept, in order).
pub(crate) fn parse_into<'a>(line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    LogfmtWalker::new(line).parse_line::<false>(0, record).map(drop)
}

/// The structural-byte walker of one text (a line, or a whole buffer of lines): token ends, and what
/// matters inside quotes. Kept across the lines of a buffer, so that each byte is classified once.
#[derive(Debug)]
pub(crate) struct LogfmtWalker<'a> {
    text: &'a str,
    stops: Stops<'a, LOGFMT_TOKEN_END, LOGFMT_QUOTE_BACKSLASH_NEWLINE>,
    /// Whether a value with escapes (an owned string) was pushed since [`LogfmtWalker::take_owned`].
    owned: bool,
    /// Emptied strings whose buffers the next escaped values reuse (see [`LogfmtWalker::recycle`]).
    pool: Vec<String>,
    /// Indexes in the record of the owned values pushed since the last [`LogfmtWalker::recycle`]: a
    /// record left as the walker filled it is emptied by visiting these alone.
    owned_at: Vec<usize>,
    /// The backslashes [`LogfmtWalker::closing_quote`] found in the last quoted value (the first
    /// [`ESCAPES_MAX`]), which [`LogfmtWalker::unescape`] then visits without walking the bitmap again.
    escapes: [usize; ESCAPES_MAX],
    /// How many backslashes that value has (more than [`ESCAPES_MAX`]: unescaping walks the bitmap).
    escape_count: usize,
}

/// Most backslashes of one quoted value [`LogfmtWalker::closing_quote`] records.
const ESCAPES_MAX: usize = 8;

/// Most strings [`LogfmtWalker::recycle`] keeps (a line rarely has more escaped values).
const POOL_MAX: usize = 32;

impl<'a> LogfmtWalker<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        LogfmtWalker {
            text,
            stops: Stops::new(bytes),
            owned: false,
            pool: Vec::new(),
            owned_at: Vec::new(),
            escapes: [0; ESCAPES_MAX],
            escape_count: 0,
        }
    }

    /// Parses the line starting at `start` into `record.fields`; returns where the line ends. With
    /// `NEWLINE_ENDS` a `\n` ends the line (the text is a buffer of lines); without, the line runs to the
    /// end of the text and a `\n` in it is a blank, as any byte up to the space. Error offsets are from
    /// `start`.
    #[inline(always)]
    pub(crate) fn parse_line<const NEWLINE_ENDS: bool>(
        &mut self,
        start: usize,
        record: &mut Record<'a>,
    ) -> Result<usize, LineError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let len = bytes.len();
        let at = |pos: usize, message: &'static str| LineError::new(pos - start, message);
        let mut pos = start;
        // The stops of the line, walked in order with a cursor kept in locals: every stop up to `pos`
        // is consumed (a quoted value, walked on the other bitmap, sets it again past its end).
        let mut cursor = self.stops.first_cursor(start);
        loop {
            // The key runs to the next stop: when that is `pos` itself, the byte there is a blank
            // (skipped), the end of the line, or an error.
            let key_start = pos;
            pos = self.stops.next_first_at(&mut cursor);
            let stop = bytes.get(pos).copied();
            if pos == key_start {
                match stop {
                    None => return Ok(len),
                    Some(b'\n') if NEWLINE_ENDS => return Ok(pos),
                    Some(b) if b <= b' ' => {
                        pos += 1;
                        continue;
                    }
                    Some(b'=') => return Err(at(pos, "empty key before '='")),
                    Some(_) => return Err(at(pos, "unexpected '\"' in key")),
                }
            }
            let key = slice(text, key_start, pos);
            match stop {
                Some(b'=') => {}
                Some(b'"') => return Err(at(pos, "unexpected '\"' in key")),
                _ => {
                    // A bare key (at a blank or the end of the line) means true; the blank is skipped.
                    record.push_with(|| (Cow::Borrowed(key), Value::Bool(true)));
                    match stop {
                        None => return Ok(len),
                        Some(b'\n') if NEWLINE_ENDS => return Ok(pos),
                        _ => pos += 1,
                    }
                    continue;
                }
            }
            // The value starts past '='. Its end is the next stop: when that is further on, the value
            // is unquoted and its first byte no stop byte, told by the bitmap without reading it; a
            // stop right at the start is a quote, an empty value (a blank or the end) or an error.
            let value_start = pos + 1;
            pos = self.stops.next_first_at(&mut cursor);
            if pos > value_start {
                let value = slice(text, value_start, pos);
                let stop = bytes.get(pos).copied();
                // A space, the usual end, first: the next key may start right after it.
                if stop == Some(b' ') {
                    record.push_borrowed(key, value);
                    pos += 1;
                    continue;
                }
                match stop {
                    Some(b'=') => return Err(at(pos, "unexpected '=' in unquoted value")),
                    Some(b'"') => return Err(at(pos, "unexpected '\"' in unquoted value")),
                    None => {
                        record.push_borrowed(key, value);
                        return Ok(len);
                    }
                    Some(b'\n') if NEWLINE_ENDS => {
                        record.push_borrowed(key, value);
                        return Ok(pos);
                    }
                    Some(_) => {
                        // Another blank.
                        record.push_borrowed(key, value);
                        pos += 1;
                    }
                }
                continue;
            }
            match bytes.get(pos) {
                None => {
                    record.push_borrowed(key, "");
                    return Ok(len);
                }
                Some(b'\n') if NEWLINE_ENDS => {
                    record.push_borrowed(key, "");
                    return Ok(pos);
                }
                // A blank (skipped, as the key loop would): an empty value.
                Some(&b) if b <= b' ' => {
                    record.push_borrowed(key, "");
                    pos += 1;
                }
                Some(b'"') => {
                    let content_start = pos + 1;
                    let (end, has_escape) = self
                        .closing_quote::<NEWLINE_ENDS>(pos)
                        .map_err(|()| at(pos, "unterminated quoted value"))?;
                    let raw = slice(text, content_start, end);
                    if has_escape {
                        let value = self.unescape(content_start, end, content_start - start)?;
                        self.owned = true;
                        self.owned_at.push(record.fields.len());
                        record.push_with(|| (Cow::Borrowed(key), Value::Str(Cow::Owned(value))));
                    } else {
                        record.push_borrowed(key, raw);
                    }
                    pos = end + 1;
                    // The space that usually follows is skipped here, as the key loop would skip it
                    // (a blank where a key starts): one pass through that loop less per quoted value.
                    if bytes.get(pos) == Some(&b' ') {
                        pos += 1;
                    }
                    cursor = self.stops.first_cursor(pos);
                }
                // '=' where a value starts.
                Some(_) => return Err(at(pos, "unexpected '=' in unquoted value")),
            }
        }
    }

    /// Whether the lines parsed since the last call pushed an owned value (one with escapes); resets.
    #[inline(always)]
    pub(crate) fn take_owned(&mut self) -> bool {
        std::mem::take(&mut self.owned)
    }

    /// Empties `record` (as [`Record::clear`]), keeping the buffers of its owned string values for
    /// the next escaped values: a caller that lends each record and then parses the next line into it
    /// pays no allocation per escaped value. `untouched` says that the record is as the walker left it
    /// (same buffer and length, no value converted or replaced since): then only the fields the walker
    /// made owned are visited, instead of every field twice.
    #[inline(always)]
    pub(crate) fn recycle(&mut self, record: &mut Record<'a>, untouched: bool) {
        if record.fields.is_empty() {
            // A record taken by the callback (replaced by an empty one): nothing to keep.
            record.timestamp = None;
            self.owned_at.clear();
        } else if untouched {
            self.recycle_owned(record);
        } else {
            self.recycle_fields(record);
        }
    }

    /// [`LogfmtWalker::recycle`] of a record as the walker left it: its owned values are at
    /// `owned_at`, and every other field owns nothing.
    #[inline(always)]
    fn recycle_owned(&mut self, record: &mut Record<'a>) {
        for &index in &self.owned_at {
            if let Some((_, value)) = record.fields.get_mut(index) {
                if let Value::Str(Cow::Owned(mut string)) = std::mem::replace(value, Value::Null) {
                    if self.pool.len() < POOL_MAX {
                        string.clear();
                        self.pool.push(string);
                    }
                }
            }
        }
        self.owned_at.clear();
        record.clear_borrowed();
    }

    /// [`LogfmtWalker::recycle`] of a record with fields, out of line (cold for `parse_many`).
    #[inline(never)]
    fn recycle_fields(&mut self, record: &mut Record<'a>) {
        self.owned_at.clear();
        for (_, value) in record.fields.iter_mut() {
            if let Value::Str(Cow::Owned(string)) = value {
                if self.pool.len() < POOL_MAX {
                    let mut string = std::mem::take(string);
                    string.clear();
                    self.pool.push(string);
                }
            }
        }
        record.clear();
    }

    /// Resolves the escapes of the quoted value `text[from..end]` (its escapes checked to be complete
    /// by [`LogfmtWalker::closing_quote`]): the JSON ones, plus `\\'` as go-logfmt accepts. The
    /// backslashes are the ones `closing_quote` recorded (or, past [`ESCAPES_MAX`], found again with the
    /// walker's bitmap), and the output reuses a pooled buffer when there is one. `base` is the offset of
    /// `from` in the line, for errors.
    #[inline]
    fn unescape(&mut self, from: usize, end: usize, base: usize) -> Result<String, LineError> {
        let text = self.text;
        let bytes = text.as_bytes().get(..end).unwrap_or_default();
        let mut out = match self.pool.pop() {
            Some(mut pooled) => {
                pooled.reserve(end - from + PIECE_COPY);
                pooled
            }
            None => String::with_capacity(end - from + PIECE_COPY),
        };
        let mut copied = from;
        let mut pos = from;
        let mut recorded = 0;
        loop {
            let backslash = self.next_escape(pos, end, &mut recorded);
            if backslash >= end {
                break;
            }
            push_piece(&mut out, text, copied, backslash);
            let mut next = backslash + 2;
            match bytes.get(backslash + 1).copied() {
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
                    let (ch, after) = unicode_escape(bytes, backslash).ok_or_else(|| {
                        LineError::new(base + backslash - from, "invalid \\u escape (expected 4 hex digits)")
                    })?;
                    next = after;
                    out.push(ch);
                }
                _ => return Err(LineError::new(base + backslash - from, "invalid escape in quoted value")),
            }
            pos = next;
            copied = next;
        }
        push_piece(&mut out, text, copied, end);
        Ok(out)
    }

    /// The first escaping backslash at or after `pos` in the quoted value ending at `end` (or `end`):
    /// from the ones [`LogfmtWalker::closing_quote`] recorded (`recorded` of them visited so far), or
    /// from the bitmap when it found more than it records.
    #[inline(always)]
    fn next_escape(&mut self, mut pos: usize, end: usize, recorded: &mut usize) -> usize {
        if self.escape_count <= ESCAPES_MAX {
            while let Some(&backslash) = self.escapes.get(*recorded).filter(|_| *recorded < self.escape_count)
            {
                *recorded += 1;
                // A `\u` surrogate pair is read as one escape: its second backslash is skipped.
                if backslash >= pos {
                    return backslash;
                }
            }
            return end;
        }
        let bytes = self.text.as_bytes();
        loop {
            let stop = self.stops.next_second(pos);
            if stop >= end || bytes.get(stop) == Some(&b'\\') {
                return stop;
            }
            // A raw newline of a one-line value (a quote here is escaped, so skipped over).
            pos = stop + 1;
        }
    }

    /// Finds the closing quote of the quoted value opening at `quote`: its offset, and whether the
    /// value has escapes (recorded for [`LogfmtWalker::unescape`]); `Err` when the line ends first.
    #[inline(always)]
    fn closing_quote<const NEWLINE_ENDS: bool>(&mut self, quote: usize) -> Result<(usize, bool), ()> {
        let bytes = self.text.as_bytes();
        let mut pos = quote + 1;
        let mut has_escape = false;
        self.escape_count = 0;
        loop {
            let next = self.stops.next_second(pos);
            match bytes.get(next) {
                None => return Err(()),
                Some(b'"') => return Ok((next, has_escape)),
                Some(b'\n') if NEWLINE_ENDS => return Err(()),
                Some(b'\n') => pos = next + 1,
                _ => {
                    // A backslash: it escapes the next byte, which must be in the line.
                    has_escape = true;
                    if let Some(slot) = self.escapes.get_mut(self.escape_count) {
                        *slot = next;
                    }
                    self.escape_count += 1;
                    pos = next + 2;
                    if pos > bytes.len() || (NEWLINE_ENDS && bytes.get(next + 1) == Some(&b'\n')) {
                        return Err(());
                    }
                }
            }
        }
    }
}

/// The bytes [`push_piece`] copies at once: [`LogfmtWalker::unescape`] reserves this much more than
/// the value's length (which its output never exceeds), so a piece of the value fits in one copy.
const PIECE_COPY: usize = 32;

/// Appends `text[from..to]` (both at character boundaries) to `out`: a short piece with one copy of
/// [`PIECE_COPY`] bytes (no call to `memcpy`, which showed in profiles of escaped values) when `text`
/// has that many bytes from `from` and `out` room for them; any other with `push_str`.
#[inline(always)]
fn push_piece(out: &mut String, text: &str, from: usize, to: usize) {
    let len = to.saturating_sub(from);
    let source = text.as_bytes().get(from..from + PIECE_COPY);
    match source {
        Some(source) if len <= PIECE_COPY && out.capacity() - out.len() >= PIECE_COPY => {
            // SAFETY: `source` is `PIECE_COPY` readable bytes, and `out` has room for `PIECE_COPY` more
            // (checked just above), so the copy stays within both buffers. The string's length then
            // grows by `len` alone: what it adds is `text[from..to]`, a `str` cut at character
            // boundaries (the caller's promise, as for [`slice`]), so `out` stays UTF-8; the bytes
            // copied past it are in the spare capacity, which is no part of the string.
            unsafe {
                let vec = out.as_mut_vec();
                let end = vec.len();
                std::ptr::copy_nonoverlapping(source.as_ptr(), vec.as_mut_ptr().add(end), PIECE_COPY);
                vec.set_len(end + len);
            }
        }
        _ => out.push_str(slice(text, from, to)),
    }
}

/// `text[start..end]`, both offsets known to be at an ASCII separator or an end of the text.
#[inline(always)]
pub(crate) fn slice(text: &str, start: usize, end: usize) -> &str {
    debug_assert!(start <= end && text.is_char_boundary(start) && text.is_char_boundary(end));
    // SAFETY: the parser only cuts before or after ASCII bytes (separators, quotes) or at the ends of
    // the text, which are character boundaries, and never past its end (checked above in debug builds).
    unsafe { text.get_unchecked(start..end) }
}

/// The character of the `\\u` escape at `backslash` in `bytes` (a surrogate pair read as one; a lone
/// surrogate or invalid code point read as U+FFFD), and the offset after it; `None` without 4 hex digits.
fn unicode_escape(bytes: &[u8], backslash: usize) -> Option<(char, usize)> {
    let unit = hex4(bytes, backslash + 2)?;
    let mut next = backslash + 6;
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
    Some((ch, next))
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

#[cfg(test)]
mod tests {
    use super::{push_piece, ESCAPES_MAX, PIECE_COPY};

    #[test]
    fn push_piece_appends_exactly_the_piece_with_or_without_room() {
        let text = "héllo \"wörld\" and a long tail past the copy size, then more and more";
        for (from, to) in
            [(0, 0), (0, 6), (1, 3), (7, 14), (0, 33), (3, text.len()), (text.len() - 4, text.len())]
        {
            for capacity in [0, 4, PIECE_COPY, 100] {
                let mut out = String::with_capacity(capacity);
                out.push('<');
                push_piece(&mut out, text, from, to);
                push_piece(&mut out, text, to, to);
                out.push('>');
                assert_eq!(out, format!("<{}>", &text[from..to]), "{from}..{to} with capacity {capacity}");
            }
        }
    }
    use crate::logs::{FieldType, LogFormat, Parser, ParserOptions};

    /// What `parser` reports for each line of `data`, through the buffer walk and line by line.
    fn both_ways(parser: &Parser, data: &str) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
        let show = |result: Result<&crate::logs::Record<'_>, &crate::logs::LineError>| match result {
            Ok(record) => record.to_json(),
            Err(err) => serde_json::json!(err.to_string()),
        };
        let mut walked = Vec::new();
        parser.parse_many_ref(data.as_bytes(), |_, result| walked.push(show(result)));
        let by_line = data.lines().map(|line| show(parser.parse(line.as_bytes()).as_ref())).collect();
        (walked, by_line)
    }

    #[test]
    fn values_with_more_escapes_than_recorded_and_typed_records_are_recycled_right() {
        let many = "a\\\"".repeat(ESCAPES_MAX + 3);
        let data = format!(
            "m=\"{many}\" k\nx=\"\\ud83d\\ude00\\\\\" y=\"\\\"\"\nm=\"{many}\\q\" z=1\nk=\"\\n\" m=\"{many}\"\n"
        );
        let plain = Parser::new(ParserOptions::new(LogFormat::Logfmt)).expect("logfmt parser");
        let (walked, by_line) = both_ways(&plain, &data);
        assert_eq!(walked, by_line);
        let unescaped = "a\"".repeat(ESCAPES_MAX + 3);
        assert_eq!(walked[0], serde_json::json!({"m": unescaped, "k": true}));
        assert_eq!(walked[1], serde_json::json!({"x": "😀\\", "y": "\""}));
        assert_eq!(
            walked[2],
            serde_json::json!(format!("byte {}: invalid escape in quoted value", 3 + many.len()))
        );
        assert_eq!(walked[3], serde_json::json!({"k": "\n", "m": unescaped}));
        // A typed record (a bare key turned into an owned string in place) is emptied field by field.
        let mut options = ParserOptions::new(LogFormat::Logfmt);
        options.types.push(("k".into(), FieldType::String));
        let typed = Parser::new(options).expect("typed logfmt parser");
        let (walked, by_line) = both_ways(&typed, &data);
        assert_eq!(walked, by_line);
        assert_eq!(walked[0], serde_json::json!({"m": unescaped, "k": "true"}));
    }

    #[test]
    fn escaped_values_reuse_pooled_buffers_with_the_right_contents() {
        let parser = Parser::new(ParserOptions::new(LogFormat::Logfmt)).expect("logfmt parser");
        let data = "a=\"x\\\"long value here\\\"\" b=\"\\\\\"\nc=\"\\u00e9\\ud83d\\ude00\" d=\"q\\n\"\n\
                    e=\"bad \\x\"\nf=\"\\\"\" g=plain h=\"\\t\"\n";
        let mut seen = Vec::new();
        parser.parse_many_ref(data.as_bytes(), |line_no, result| match result {
            Ok(record) => seen.push((line_no, record.to_json())),
            Err(err) => seen.push((line_no, serde_json::json!(err.to_string()))),
        });
        assert_eq!(
            seen,
            [
                (1, serde_json::json!({"a": "x\"long value here\"", "b": "\\"})),
                (2, serde_json::json!({"c": "é😀", "d": "q\n"})),
                (3, serde_json::json!("byte 7: invalid escape in quoted value")),
                (4, serde_json::json!({"f": "\"", "g": "plain", "h": "\t"})),
            ]
        );
    }
}
