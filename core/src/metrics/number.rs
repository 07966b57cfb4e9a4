//! The text of a number exactly as client_golang writes it, so srekit's output diffs clean against
//! node_exporter's: Go's `strconv.FormatFloat(v, 'g', -1, 64)` (the shortest digits that parse back
//! to the same `f64`, in exponent form when the decimal exponent is below -4 or at least 6, with a
//! signed exponent of at least two digits: `2.095104e+06`, `1.305e-06`), and `0`, `1`, `-1`, `NaN`,
//! `+Inf`, `-Inf` special-cased (`-0` is `0`). OpenMetrics adds `.0` to a value with neither a `.` nor an
//! `e` (`1.0`, `42.0`), as client_golang's `writeOpenMetricsFloat` does. The digits come from `ryu`;
//! only their layout is done here. Re-exported as [`expfmt::write_float`](crate::expfmt::write_float).

use bytes::BufMut;

/// Below this an integral value is written by `itoa`: Go's `%g` writes integers under 10^6 the same way.
const PLAIN_INTEGER_LIMIT: f64 = 1e6;

/// Writes `value` as client_golang's text 0.0.4 encoder does (Go's `%g` with the shortest digits).
///
/// ```
/// let text = |v: f64| {
///     let mut buf = Vec::new();
///     srekit::expfmt::write_float(&mut buf, v);
///     String::from_utf8(buf).unwrap()
/// };
/// assert_eq!(text(0.1), "0.1");
/// assert_eq!(text(42.0), "42");
/// assert_eq!(text(2095104.0), "2.095104e+06");
/// assert_eq!(text(0.000001305), "1.305e-06");
/// assert_eq!(text(f64::INFINITY), "+Inf");
/// ```
#[inline]
pub fn write_float<B: BufMut>(buf: &mut B, value: f64) {
    write_go_float(buf, value, false);
}

/// Writes `value` as client_golang's OpenMetrics encoder does: [`write_float`]'s text, plus `.0` when it
/// has neither a `.` nor an exponent.
///
/// ```
/// let mut buf = Vec::new();
/// srekit::expfmt::write_openmetrics_float(&mut buf, 3.0);
/// buf.push(b' ');
/// srekit::expfmt::write_openmetrics_float(&mut buf, 2.5e7);
/// assert_eq!(buf, b"3.0 2.5e+07");
/// ```
#[inline]
pub fn write_openmetrics_float<B: BufMut>(buf: &mut B, value: f64) {
    write_go_float(buf, value, true);
}

/// Writes a whole count (a counter's or a bucket's): OpenMetrics writes it as an integer, text 0.0.4
/// as the float client_golang converts it to (`1.2e+07` from 12000000).
#[inline]
pub(crate) fn write_count<B: BufMut>(buf: &mut B, count: u64, openmetrics: bool) {
    if openmetrics || (count as f64) < PLAIN_INTEGER_LIMIT {
        let mut ints = itoa::Buffer::new();
        buf.put_slice(ints.format(count).as_bytes());
    } else {
        write_float(buf, count as f64);
    }
}

/// Writes a whole counter value as client_golang writes the float it converts it to (`3`, `3.0` in
/// OpenMetrics, `1.2e+07`), without the float round trip below 10^6.
#[inline(always)]
pub(crate) fn write_whole<B: BufMut>(buf: &mut B, whole: u64, openmetrics: bool) {
    if whole < PLAIN_INTEGER_LIMIT as u64 {
        let mut ints = itoa::Buffer::new();
        buf.put_slice(ints.format(whole).as_bytes());
        if openmetrics {
            buf.put_slice(b".0");
        }
    } else {
        write_go_float(buf, whole as f64, openmetrics);
    }
}

#[inline(always)]
fn write_go_float<B: BufMut>(buf: &mut B, value: f64, openmetrics: bool) {
    if value.fract() == 0.0 && value.abs() < PLAIN_INTEGER_LIMIT {
        // Covers 0, -0, 1 and -1 too: their special cases are what `itoa` writes.
        let mut ints = itoa::Buffer::new();
        buf.put_slice(ints.format(value as i64).as_bytes());
        if openmetrics {
            buf.put_slice(b".0");
        }
    } else {
        write_go_float_slow(buf, value, openmetrics);
    }
}

/// Everything but small integers: specials, and ryu's digits laid out Go's way.
#[inline(never)]
fn write_go_float_slow<B: BufMut>(buf: &mut B, value: f64, openmetrics: bool) {
    if value.is_nan() {
        buf.put_slice(b"NaN");
    } else if value.is_infinite() {
        buf.put_slice(if value > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        let mut text = [0u8; 32];
        let len = go_shortest_g(value, &mut text, openmetrics);
        buf.put_slice(&text[..len]);
    }
}

/// The shortest decimal digits of a finite, non-zero `value` (no leading or trailing zeros) and the
/// position of the decimal point relative to them (`dp`: value = 0.d1d2... x 10^dp), read from `ryu`'s
/// text (which may be `1234.5`, `0.00012`, `1e21` or `1.5e-7`).
struct Digits {
    digits: [u8; 17],
    count: usize,
    point: i32,
}

fn shortest_digits(value: f64) -> Digits {
    let mut ryu_text = ryu::Buffer::new();
    let text = ryu_text.format_finite(value.abs()).as_bytes();
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
        None => (text, 0),
    };
    let mut out = Digits { digits: [0; 17], count: 0, point: 0 };
    let mut integer_digits = 0i32;
    let mut seen_point = false;
    let mut leading_zeros = 0i32;
    for &b in mantissa {
        if b == b'.' {
            seen_point = true;
            continue;
        }
        if !seen_point {
            integer_digits += 1;
        }
        if out.count == 0 && b == b'0' {
            leading_zeros += 1;
        } else if out.count < out.digits.len() {
            out.digits[out.count] = b;
            out.count += 1;
        }
    }
    while out.count > 1 && out.digits[out.count - 1] == b'0' {
        out.count -= 1;
    }
    out.point = integer_digits + exponent - leading_zeros;
    out
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let magnitude = digits.iter().fold(0i32, |acc, &d| acc * 10 + i32::from(d.wrapping_sub(b'0')));
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Lays `value`'s shortest digits out as Go's `%g` does, into `out`; returns the length.
fn go_shortest_g(value: f64, out: &mut [u8; 32], openmetrics: bool) -> usize {
    let Digits { digits, count, point } = shortest_digits(value);
    let digits = &digits[..count];
    let mut len = 0;
    let mut push = |b: u8| {
        out[len] = b;
        len += 1;
    };
    if value < 0.0 {
        push(b'-');
    }
    let exponent = point - 1;
    if !(-4..6).contains(&exponent) {
        push(digits[0]);
        if digits.len() > 1 {
            push(b'.');
            digits[1..].iter().for_each(|&d| push(d));
        }
        push(b'e');
        push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude >= 100 {
            push(b'0' + (magnitude / 100) as u8);
        }
        push(b'0' + (magnitude / 10 % 10) as u8);
        push(b'0' + (magnitude % 10) as u8);
        return len;
    }
    if point <= 0 {
        push(b'0');
        push(b'.');
        (0..-point).for_each(|_| push(b'0'));
        digits.iter().for_each(|&d| push(d));
    } else {
        let point = point as usize;
        (0..point).for_each(|i| push(digits.get(i).copied().unwrap_or(b'0')));
        if digits.len() > point {
            push(b'.');
            digits[point..].iter().for_each(|&d| push(d));
        } else if openmetrics {
            push(b'.');
            push(b'0');
        }
    }
    len
}

/// `value` as a `String` in the text 0.0.4 form (for label values such as `le`).
pub(crate) fn float_text(value: f64) -> Box<str> {
    let mut text = Vec::new();
    write_float(&mut text, value);
    String::from_utf8_lossy(&text).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: f64) -> String {
        let mut buf = Vec::new();
        write_float(&mut buf, value);
        String::from_utf8(buf).unwrap()
    }

    fn openmetrics(value: f64) -> String {
        let mut buf = Vec::new();
        write_openmetrics_float(&mut buf, value);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn matches_go_on_node_exporter_values_and_edges() {
        let cases: &[(f64, &str)] = &[
            (2095104.0, "2.095104e+06"),
            (8.9991519156915e13, "8.9991519156915e+13"),
            (1.305e-06, "1.305e-06"),
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (-1234567.0, "-1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (123456789.0, "1.23456789e+08"),
            (9007199254740992.0, "9.007199254740992e+15"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (0.1, "0.1"),
            (123456.789, "123456.789"),
            (1700000000.123, "1.700000000123e+09"),
            (-0.5, "-0.5"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Inf"),
            (18446744073709551615.0, "1.8446744073709552e+19"),
        ];
        for (value, expected) in cases {
            assert_eq!(text(*value), *expected, "{value:e}");
        }
    }

    #[test]
    fn openmetrics_adds_a_point_to_plain_integers_only() {
        assert_eq!(openmetrics(0.0), "0.0");
        assert_eq!(openmetrics(-1.0), "-1.0");
        assert_eq!(openmetrics(999999.0), "999999.0");
        assert_eq!(openmetrics(1e6), "1e+06");
        assert_eq!(openmetrics(0.25), "0.25");
        assert_eq!(openmetrics(f64::INFINITY), "+Inf");
    }

    #[test]
    fn counts_follow_the_format() {
        let count = |c: u64, om: bool| {
            let mut buf = Vec::new();
            write_count(&mut buf, c, om);
            String::from_utf8(buf).unwrap()
        };
        assert_eq!(count(999_999, false), "999999");
        assert_eq!(count(12_000_000, false), "1.2e+07");
        assert_eq!(count(12_000_000, true), "12000000");
        let whole = |w: u64, om: bool| {
            let mut buf = Vec::new();
            write_whole(&mut buf, w, om);
            String::from_utf8(buf).unwrap()
        };
        assert_eq!((whole(3, false), whole(3, true)), ("3".to_string(), "3.0".to_string()));
        assert_eq!(whole(2_095_104, true), "2.095104e+06");
    }

    #[test]
    fn every_text_parses_back_to_the_same_value() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state);
            if !value.is_finite() {
                continue;
            }
            let written = text(value);
            assert_eq!(written.parse::<f64>().unwrap(), if value == 0.0 { 0.0 } else { value }, "{written}");
        }
    }
}
