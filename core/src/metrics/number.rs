//! The canonical text of a number, as both exposition formats write sample values and as histograms
//! write their `le` label values: `+Inf`, `-Inf`, `NaN`, integers without a fraction, everything else
//! as the shortest text that parses back to the same `f64`. Re-exported as
//! [`expfmt::write_float`](crate::expfmt::write_float).

use bytes::BufMut;

/// Writes `value` as the exposition formats want it: `+Inf`, `-Inf`, `NaN`, integers without a
/// fraction, everything else as the shortest text that parses back to the same `f64`.
///
/// ```
/// let mut buf = Vec::new();
/// srekit::expfmt::write_float(&mut buf, 0.1);
/// buf.push(b' ');
/// srekit::expfmt::write_float(&mut buf, f64::INFINITY);
/// buf.push(b' ');
/// srekit::expfmt::write_float(&mut buf, 42.0);
/// assert_eq!(buf, b"0.1 +Inf 42");
/// ```
#[inline]
pub fn write_float<B: BufMut>(buf: &mut B, value: f64) {
    if value.is_nan() {
        buf.put_slice(b"NaN");
    } else if value.is_infinite() {
        buf.put_slice(if value > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        let mut ints = itoa::Buffer::new();
        buf.put_slice(ints.format(value as i64).as_bytes());
    } else {
        let mut floats = ryu::Buffer::new();
        buf.put_slice(floats.format_finite(value).as_bytes());
    }
}

/// `value` as a `String` in the same form (for label values such as `le`).
pub(crate) fn float_text(value: f64) -> Box<str> {
    let mut text = Vec::new();
    write_float(&mut text, value);
    String::from_utf8_lossy(&text).into()
}
