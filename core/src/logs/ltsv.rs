//! LTSV (ltsv.org): TAB-separated `label:value` fields split at the first colon; the value is taken
//! verbatim (colons, spaces and quotes included) and always borrowed from the line.

use super::error::LineError;
use super::record::Record;
use super::scan::find_byte;

/// Parses one LTSV line into `record.fields` (appending, duplicates kept, in order). Empty fields are
/// skipped; a trailing CR is stripped; a field without a colon or with an empty label is an error.
pub(crate) fn parse_into<'a>(line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let bytes = line.as_bytes();
    let len = bytes.len();
    let mut start = 0;
    while start < len {
        let end = find_byte(bytes, start, b'\t').unwrap_or(len);
        if end > start {
            match find_byte(&bytes[..end], start, b':') {
                Some(colon) if colon == start => return Err(LineError::new(start, "empty label before ':'")),
                Some(colon) => record.push_borrowed(&line[start..colon], &line[colon + 1..end]),
                None => return Err(LineError::new(start, "field without ':' between label and value")),
            }
        }
        start = end + 1;
    }
    Ok(())
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
