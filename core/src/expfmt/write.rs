//! Low-level writers shared by the encoders: escaping of help text and label values, metric/label
//! names (quoted when outside the legacy charset), integers and timestamps. Float formatting is the
//! metric model's (`le` label values use it too) and is re-exported here as [`write_float`] and
//! [`write_openmetrics_float`].

use bytes::BufMut;

use super::NameEscaping;
pub(crate) use crate::metrics::number::{write_count, write_whole};
pub use crate::metrics::number::{write_float, write_openmetrics_float};
use crate::metrics::{is_valid_label_name, is_valid_metric_name};

/// Writes a sample value in the format's number form (client_golang's `writeFloat` or
/// `writeOpenMetricsFloat`).
#[inline]
pub(crate) fn write_value<B: BufMut>(buf: &mut B, value: f64, openmetrics: bool) {
    if openmetrics {
        write_openmetrics_float(buf, value);
    } else {
        write_float(buf, value);
    }
}

/// Writes a label value with `\\`, `\"` and `\n` escaped (the same rule in both text formats).
///
/// ```
/// let mut buf = Vec::new();
/// srekit::expfmt::write_label_value(&mut buf, "a\"b\\c\nd");
/// assert_eq!(buf, br#"a\"b\\c\nd"#);
/// ```
#[inline]
pub fn write_label_value<B: BufMut>(buf: &mut B, value: &str) {
    write_escaped(buf, value.as_bytes(), true);
}

/// Writes help text escaped for the given format: `\\` and `\n` in text 0.0.4, plus `\"` in OpenMetrics.
///
/// ```
/// let mut buf = Vec::new();
/// srekit::expfmt::write_help(&mut buf, "say \"hi\"\\", false);
/// assert_eq!(buf, br#"say "hi"\\"#);
/// ```
#[inline]
pub fn write_help<B: BufMut>(buf: &mut B, help: &str, openmetrics: bool) {
    write_escaped(buf, help.as_bytes(), openmetrics);
}

fn write_escaped<B: BufMut>(buf: &mut B, bytes: &[u8], escape_quote: bool) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if escape_quote => b"\\\"",
            _ => continue,
        };
        buf.put_slice(&bytes[start..i]);
        buf.put_slice(escaped);
        start = i + 1;
    }
    buf.put_slice(&bytes[start..]);
}

/// Writes a metric name in a metadata line (`# TYPE <name> ...`): bare when it is a legacy name (or
/// `escaping` makes it one), quoted and escaped otherwise (Prometheus 3 UTF-8 names).
pub(crate) fn write_metadata_name<B: BufMut>(buf: &mut B, name: &str, escaping: NameEscaping) {
    let name = escaping.escape_metric_name(name);
    if is_valid_metric_name(&name) {
        buf.put_slice(name.as_bytes());
    } else {
        buf.put_u8(b'"');
        write_label_value(buf, &name);
        buf.put_u8(b'"');
    }
}

/// Writes a label name: bare when it is a legacy name (or `escaping` makes it one), quoted otherwise.
pub(crate) fn write_label_name<B: BufMut>(buf: &mut B, name: &str, escaping: NameEscaping) {
    if is_valid_label_name(name) {
        buf.put_slice(name.as_bytes());
        return;
    }
    let name = escaping.escape_label_name(name);
    if is_valid_label_name(&name) {
        buf.put_slice(name.as_bytes());
    } else {
        buf.put_u8(b'"');
        write_label_value(buf, &name);
        buf.put_u8(b'"');
    }
}

/// Writes `name{l1="v1",...}` (or `{"name",l1="v1"}` for a UTF-8 name the scraper allows; names it does
/// not allow are escaped by `escaping`). Label values are written as they are: `le` and `quantile`
/// keep their text in OpenMetrics too (see the registry encoder's `write_prefix`).
pub(crate) fn write_series<B: BufMut>(
    buf: &mut B,
    name: &str,
    suffix: &str,
    labels: &[(String, String)],
    escaping: NameEscaping,
) {
    let mut legacy = is_valid_metric_name(name);
    let escaped;
    let mut name = name;
    if !legacy {
        escaped = escaping.escape_metric_name(name);
        name = &escaped;
        legacy = is_valid_metric_name(name);
    }
    let mut first = true;
    if legacy {
        buf.put_slice(name.as_bytes());
        buf.put_slice(suffix.as_bytes());
    } else {
        buf.put_slice(b"{\"");
        write_label_value(buf, name);
        write_label_value(buf, suffix);
        buf.put_u8(b'"');
        first = false;
    }
    if legacy && !labels.is_empty() {
        buf.put_u8(b'{');
    }
    for (k, v) in labels {
        if !first {
            buf.put_u8(b',');
        }
        first = false;
        write_label_name(buf, k, escaping);
        buf.put_slice(b"=\"");
        write_label_value(buf, v);
        buf.put_u8(b'"');
    }
    if !legacy || !labels.is_empty() {
        buf.put_u8(b'}');
    }
}

/// Writes an OpenMetrics timestamp (seconds) or a text 0.0.4 timestamp (integer milliseconds),
/// preceded by a space.
pub(crate) fn write_timestamp<B: BufMut>(buf: &mut B, seconds: f64, openmetrics: bool) {
    buf.put_u8(b' ');
    if openmetrics {
        write_openmetrics_float(buf, seconds);
    } else {
        let millis = (seconds * 1000.0).round();
        if millis.is_finite() && millis.abs() < 9.0e15 {
            let mut ints = itoa::Buffer::new();
            buf.put_slice(ints.format(millis as i64).as_bytes());
        } else {
            write_float(buf, millis);
        }
    }
}

/// The longest tail [`write_count_tail`] writes: `} `, 20 digits, `.0`, `\n`.
const TAIL_CAPACITY: usize = 32;

/// Appends `bytes[..len]` with one copy of the whole fixed-size array when the buffer has room for it
/// (a constant-size copy the compiler inlines, where a `put_slice` of a short, variable length is a
/// `memmove` call: a third of encoding time went to those), with `put_slice` otherwise.
#[inline(always)]
fn put_fixed<B: BufMut, const N: usize>(buf: &mut B, bytes: &[u8; N], len: usize) {
    debug_assert!(len <= N);
    let chunk = buf.chunk_mut();
    if chunk.len() >= N {
        chunk[..N].copy_from_slice(bytes);
        // SAFETY: the first N >= len bytes of the chunk were initialised just above, and
        // `advance_mut` asks no more than that.
        unsafe { buf.advance_mut(len) }
    } else {
        buf.put_slice(&bytes[..len]);
    }
}

/// Appends the end of a sample line holding a whole count: `open` (`} ` or ` `, at most 2 bytes), the
/// count's digits, `.0` when `point` (an OpenMetrics float that is whole), and `\n` when `newline` (an
/// exemplar may follow the value otherwise) — built on the stack and appended with one fixed-size
/// copy. (`itoa` only writes into its own buffer, whose text would then be copied again.)
#[inline(always)]
pub(crate) fn write_count_tail<B: BufMut>(buf: &mut B, open: &[u8], count: u64, point: bool, newline: bool) {
    let mut tail = [0u8; TAIL_CAPACITY];
    let open = &open[..open.len().min(2)];
    tail[..open.len()].copy_from_slice(open);
    let digits = count.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut rest = count;
    for slot in tail[open.len()..open.len() + digits].iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut len = open.len() + digits;
    if point {
        tail[len..len + 2].copy_from_slice(b".0");
        len += 2;
    }
    if newline {
        tail[len] = b'\n';
        len += 1;
    }
    put_fixed(buf, &tail, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_tails_are_what_itoa_and_put_slice_write() {
        for count in [0u64, 7, 10, 99, 100, 999_999, 1_000_000, 12_345_678_901, u64::MAX] {
            for (open, point, newline) in
                [(&b"} "[..], false, true), (b" ", true, false), (b"", false, false)]
            {
                let mut expected = open.to_vec();
                expected.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
                if point {
                    expected.extend_from_slice(b".0");
                }
                if newline {
                    expected.push(b'\n');
                }
                let mut vec = b"x".to_vec();
                write_count_tail(&mut vec, open, count, point, newline);
                assert_eq!(vec[1..], expected[..], "{count}");
                // A buffer without room for the whole array takes the `put_slice` path.
                let mut small = [0u8; 26];
                let mut window = &mut small[..expected.len()];
                write_count_tail(&mut window, open, count, point, newline);
                assert!(window.is_empty(), "{count}: wrote exactly the tail");
                assert_eq!(small[..expected.len()], expected[..], "{count}");
            }
        }
    }
}
