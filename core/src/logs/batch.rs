//! Whole-buffer parsing for logfmt and LTSV: one walk over a buffer validated as UTF-8 once, in which
//! the parser finds each line's end itself (no newline scan per line) and every 64-byte block is
//! classified once for all the lines in it. What it reports is what parsing the buffer's lines one by
//! one reports ([`Parser::parse_many`](super::Parser::parse_many)): same records, errors and numbers.

use super::error::LineError;
use super::logfmt::{slice, LogfmtWalker};
use super::ltsv::LtsvWalker;
use super::parser::{too_long, Parser};
use super::record::Record;
use super::scan::LTSV_TAB_OR_NEWLINE;

/// A format whose parser can walk a buffer of lines.
pub(crate) trait LineWalker<'d> {
    /// Parses the line starting at `start` into `record` (empty); returns the offset of its `\n` (or
    /// the end of the buffer). Error offsets are from `start`.
    fn parse_line(&mut self, start: usize, record: &mut Record<'d>) -> Result<usize, LineError>;

    /// Whether the lines parsed since the last call pushed a field that owns memory; resets.
    fn take_owned(&mut self) -> bool;

    /// Empties a record that may own memory, for the next line (the walker may keep its buffers).
    /// `untouched`: the record is as the walker's last `parse_line` left it (no field converted,
    /// replaced, added or removed since).
    #[inline(always)]
    fn clear(&mut self, record: &mut Record<'d>, untouched: bool) {
        let _ = untouched;
        record.clear();
    }
}

impl<'d> LineWalker<'d> for LogfmtWalker<'d> {
    #[inline(always)]
    fn parse_line(&mut self, start: usize, record: &mut Record<'d>) -> Result<usize, LineError> {
        LogfmtWalker::parse_line::<true>(self, start, record)
    }

    #[inline(always)]
    fn take_owned(&mut self) -> bool {
        LogfmtWalker::take_owned(self)
    }

    #[inline(always)]
    fn clear(&mut self, record: &mut Record<'d>, untouched: bool) {
        self.recycle(record, untouched);
    }
}

impl<'d> LineWalker<'d> for LtsvWalker<'d, LTSV_TAB_OR_NEWLINE> {
    #[inline(always)]
    fn parse_line(&mut self, start: usize, record: &mut Record<'d>) -> Result<usize, LineError> {
        LtsvWalker::parse_line(self, start, record)
    }

    /// LTSV values are always borrowed.
    #[inline(always)]
    fn take_owned(&mut self) -> bool {
        false
    }
}

/// Parses every line of `text` with `walker` into `record` (cleared for each line), calling `on_line`
/// with its 1-based number and result; empty lines (a lone `\r` included) are skipped but counted.
/// Returns the number of lines (for a text ending with `\n`, its newlines).
/// Lines over the parser's maximum length are errors, as the line-by-line path reports them.
///
/// `on_line` may read the record or take it (replace it); it must not put owned keys or values into
/// it in place (same length, same buffer): a record holding only fields borrowed from `text` is
/// emptied without looking at each field, and such values would leak.
#[inline(always)]
pub(crate) fn parse_lines<'d, W: LineWalker<'d>>(
    parser: &Parser,
    text: &'d str,
    mut walker: W,
    record: &mut Record<'d>,
    mut on_line: impl FnMut(usize, Result<(), LineError>, &mut Record<'d>),
) -> usize {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let max = parser.options().max_line_length;
    let mut start = 0;
    let mut line_no = 0;
    // Whether the record may hold fields that own memory (not known at first): then it is emptied
    // field by field; else its length is just set to 0 (the per-field check showed in profiles).
    let mut may_own = true;
    // Whether the record is as the walker left it (see [`LineWalker::clear`]); not known at first.
    let mut untouched = false;
    let types = !parser.options().types.is_empty();
    // Without types or a time key, finishing a record is nothing: not even a call per line.
    let finish = parser.finishes_records();
    while start < len {
        line_no += 1;
        match bytes.get(start) {
            Some(b'\n') => {
                start += 1;
                continue;
            }
            Some(b'\r') if matches!(bytes.get(start + 1), None | Some(b'\n')) => {
                start += 2;
                continue;
            }
            _ => {}
        }
        if may_own {
            walker.clear(record, untouched);
        } else {
            record.clear_borrowed();
        }
        let parsed = walker.parse_line(start, record);
        let end = match &parsed {
            Ok(end) => *end,
            Err(err) => {
                let from = start + err.offset;
                memchr::memchr(b'\n', bytes.get(from..).unwrap_or_default()).map_or(len, |i| from + i)
            }
        };
        let line = slice(text, start, end);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let result = if line.len() > max {
            record.fields.clear();
            Err(too_long(max, line.len()))
        } else {
            match parsed {
                Ok(_) if finish => parser.finish_record(line, record),
                other => other.map(drop),
            }
        };
        let (buffer, length) = (record.fields.as_ptr(), record.fields.len());
        on_line(line_no, result, record);
        let changed = buffer != record.fields.as_ptr() || length != record.fields.len();
        let owned = walker.take_owned();
        untouched = !types && !changed;
        may_own = types || changed || owned;
        start = end + 1;
    }
    line_no
}

/// Walks `text` with the parser's format when it has a buffer walker (logfmt, LTSV): the number of
/// lines (see [`parse_lines`]); `None` when it has none and the caller goes line by line.
#[inline(always)]
pub(crate) fn try_parse_lines<'d>(
    parser: &Parser,
    text: &'d str,
    record: &mut Record<'d>,
    on_line: impl FnMut(usize, Result<(), LineError>, &mut Record<'d>),
) -> Option<usize> {
    match parser.buffer_format() {
        Some(BufferFormat::Logfmt) => {
            Some(parse_lines(parser, text, LogfmtWalker::new(text), record, on_line))
        }
        Some(BufferFormat::Ltsv) => {
            Some(parse_lines(parser, text, LtsvWalker::<LTSV_TAB_OR_NEWLINE>::new(text), record, on_line))
        }
        None => None,
    }
}

/// The formats [`try_parse_lines`] walks buffers of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BufferFormat {
    Logfmt,
    Ltsv,
}

#[cfg(test)]
mod tests {
    use crate::logs::split::{LineSplitter, SplitBlock};
    use crate::logs::{LogFormat, Parser, ParserOptions};

    fn parser(format: LogFormat, max_line_length: usize) -> Parser {
        let mut options = ParserOptions::new(format);
        options.max_line_length = max_line_length;
        Parser::new(options).expect("parser")
    }

    #[test]
    fn a_walk_counts_the_newlines_of_its_buffer() {
        let data = "a=1\n\n\r\nb=\"x\nc=2 d=\"\\q\"\r\n\re=3\nfar too long a line=1\n  \nz=\"\\\"\"\n";
        let logfmt = parser(LogFormat::Logfmt, 12);
        let mut numbers = Vec::new();
        let counted = logfmt.parse_many_ref_counted(data.as_bytes(), |line_no, _| numbers.push(line_no));
        assert_eq!(counted, Some(data.matches('\n').count()));
        assert_eq!(numbers, [1, 4, 5, 6, 7, 8, 9]);
        let ltsv = parser(LogFormat::Ltsv, 100);
        assert_eq!(ltsv.parse_many_ref_counted(b"a:1\n\nb\tc\n", |_, _| {}), Some(3));
        // No walk: JSON, or a buffer that is not UTF-8; the caller counts.
        let json = parser(LogFormat::Json, 100);
        assert_eq!(json.parse_many_ref_counted(b"{}\n{}\n", |_, _| {}), None);
        assert_eq!(logfmt.parse_many_ref_counted(b"a=\xff\nb=1\n", |_, _| {}), None);
    }

    #[test]
    fn a_splitter_takes_the_count_its_reader_returns() {
        let logfmt = parser(LogFormat::Logfmt, 100);
        let chunks: [&[u8]; 3] = [b"a=1\n\nb=2\nc=", b"3\nd=4\ne=5\n\n", b"f=6\n"];
        let (mut counted, mut plain) = (LineSplitter::new(100), LineSplitter::new(100));
        let (mut seen_counted, mut seen_plain) = (Vec::new(), Vec::new());
        for chunk in chunks {
            counted.push_blocks_counted(chunk, |block| match block {
                SplitBlock::Lines { first_line, data } => {
                    seen_counted.push(first_line);
                    logfmt.parse_many_ref_counted(data, |_, _| {}).map(|n| n as u64)
                }
                SplitBlock::TooLong { .. } => None,
            });
            plain.push_blocks(chunk, |block| {
                if let SplitBlock::Lines { first_line, .. } = block {
                    seen_plain.push(first_line);
                }
            });
        }
        assert_eq!(seen_counted, [1, 4, 5, 8]);
        assert_eq!(seen_counted, seen_plain);
        assert_eq!((counted.lines_seen(), plain.lines_seen()), (8, 8));
    }
}
