//! Durations as Prometheus writes them (`5s`, `1m30s`, `250ms`, `24h`; units `ms`, `s`, `m`, `h`, `d`,
//! `w`, `y`, largest first, each at most once) or plain seconds (`10`, `2.5`), bounded to (0, 1 year]:
//! the exporter's flags and the log pipeline's `timeout`, `expire_after` and `ignore_older` read them
//! the same way.
use std::time::Duration;

/// The longest duration accepted: one year.
///
/// ```
/// assert_eq!(srekit::duration::MAX_DURATION.as_secs(), 365 * 24 * 3600);
/// ```
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A positive duration of at most [`MAX_DURATION`]: Prometheus' syntax (units `ms`, `s`, `m`, `h`,
/// `d`, `w`, `y`, largest first, each at most once) or plain seconds. The error says why, quoting the
/// text.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(srekit::duration::parse("1m30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(srekit::duration::parse("2.5"), Ok(Duration::from_millis(2500)));
/// assert!(srekit::duration::parse("0s").unwrap_err().contains("more than zero"));
/// ```
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = if text.bytes().last().is_some_and(|b| b.is_ascii_alphabetic()) {
        prometheus_duration(text)?
    } else {
        let seconds: f64 = text
            .parse()
            .map_err(|_| format!("{text:?} is not a duration (e.g. 10s, 1m30s, 250ms, or seconds)"))?;
        if !seconds.is_finite() || seconds > MAX_DURATION.as_secs_f64() {
            return Err(format!("{text:?} is out of range (at most 1 year)"));
        }
        if seconds < 0.0 {
            return Err(format!("{text:?} is negative"));
        }
        Duration::from_secs_f64(seconds)
    };
    if parsed.is_zero() {
        return Err(format!("{text:?} must be more than zero"));
    }
    if parsed > MAX_DURATION {
        return Err(format!("{text:?} is out of range (at most 1 year)"));
    }
    Ok(parsed)
}

fn prometheus_duration(text: &str) -> Result<Duration, String> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3600 * 1000),
        ("w", 7 * 24 * 3600 * 1000),
        ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000),
        ("m", 60 * 1000),
        ("s", 1000),
        ("ms", 1),
    ];
    let bad = || format!("{text:?} is not a duration (e.g. 10s, 1m30s, 250ms, or seconds)");
    let mut rest = text;
    let mut next_unit = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let at =
            UNITS.iter().skip(next_unit).position(|(name, _)| *name == unit).ok_or_else(bad)? + next_unit;
        next_unit = at + 1;
        let add = number.checked_mul(UNITS[at].1).ok_or_else(|| format!("{text:?} is out of range"))?;
        millis = millis.checked_add(add).ok_or_else(|| format!("{text:?} is out of range"))?;
    }
    Ok(Duration::from_millis(millis))
}
