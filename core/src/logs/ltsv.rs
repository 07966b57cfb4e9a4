//! LTSV (ltsv.org): TAB-separated `label:value` fields split at the first colon; the value is taken
//! verbatim (colons, spaces and quotes included) and always borrowed from the line.

use super::error::LineError;
use super::logfmt::slice;
use super::record::Record;
use super::scan::{Union, LTSV_COLON, LTSV_TAB, LTSV_TAB_OR_NEWLINE};

/// Parses one LTSV line into `record.fields` (appending, duplicates kept, in order). Empty fields are
/// skipped; a trailing CR is stripped; a field without a colon or with an empty label is an error.
pub(crate) fn parse_into<'a>(line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    LtsvWalker::<LTSV_TAB>::new(line).parse_line(0, record).map(drop)
}

/// The structural-byte walker of one text (field ends and colons, in one bitmap: the byte at each
/// stop tells which): a line (fields end at a tab, `ENDS` = [`LTSV_TAB`]) or a whole buffer of lines
/// (at a tab or a newline, `ENDS` = [`LTSV_TAB_OR_NEWLINE`]), kept across the lines of a buffer so that
/// each byte is classified once.
#[derive(Debug)]
pub(crate) struct LtsvWalker<'a, const ENDS: u8> {
    text: &'a str,
    stops: Union<'a, ENDS, LTSV_COLON>,
}

impl<'a, const ENDS: u8> LtsvWalker<'a, ENDS> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        LtsvWalker { text, stops: Union::new(bytes) }
    }

    /// Parses the line starting at `start` into `record.fields`; returns where the line ends (its `\n`
    /// in a buffer, else the end of the text). The line's trailing CR is not part of the last value: in
    /// a buffer, up to two (the `\r\n` line ending's, then the line's own, as [`parse_into`] strips one
    /// from a line that had its line ending trimmed). Error offsets are from `start`.
    #[inline(always)]
    pub(crate) fn parse_line(&mut self, start: usize, record: &mut Record<'a>) -> Result<usize, LineError> {
        let text = self.text;
        let bytes = text.as_bytes();
        let trailing_crs = if ENDS == LTSV_TAB_OR_NEWLINE { 2 } else { 1 };
        let mut cursor = self.stops.cursor(start);
        let mut field_start = start;
        // The field's first colon (`usize::MAX` before it): later ones are part of the value.
        let mut colon = usize::MAX;
        loop {
            let end = self.stops.next(&mut cursor);
            let stop = bytes.get(end).copied();
            if stop == Some(b':') {
                colon = colon.min(end);
                continue;
            }
            // A field end: a tab, the line's `\n` (only a stop in a buffer) or the end of the text.
            let last = stop.is_none_or(|b| b == b'\n');
            let mut field_end = end;
            if last {
                for _ in 0..trailing_crs {
                    if field_end > field_start && bytes.get(field_end - 1) == Some(&b'\r') {
                        field_end -= 1;
                    }
                }
            }
            if field_end > field_start {
                if colon >= field_end {
                    return Err(LineError::new(
                        field_start - start,
                        "field without ':' between label and value",
                    ));
                }
                if colon == field_start {
                    return Err(LineError::new(field_start - start, "empty label before ':'"));
                }
                record.push_borrowed(slice(text, field_start, colon), slice(text, colon + 1, field_end));
            }
            if last {
                return Ok(end);
            }
            field_start = end + 1;
            colon = usize::MAX;
        }
    }
}

/// Parses one LTSV line.
///
/// ```
/// let record = srekit::logs::parse_ltsv("time:2024-01-01T00:00:00Z\t\turi:/a?b=c d\r").unwrap();
/// assert_eq!(record.to_json(), serde_json::json!({"time": "2024-01-01T00:00:00Z", "uri": "/a?b=c d"}));
/// assert_eq!(srekit::logs::parse_ltsv("a:1\tnocolon").unwrap_err().offset, 4);
/// ```
pub fn parse_ltsv(line: &str) -> Result<Record<'_>, LineError> {
    let mut record = Record::with_capacity(16);
    parse_into(line, &mut record)?;
    Ok(record)
}
