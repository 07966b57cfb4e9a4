//! Timestamps from a time field (Fluent Bit's `Time_Key` / `Time_Format`): a strptime subset, or with no
//! format RFC 3339 / ISO 8601 text and epoch seconds. Results are seconds since the Unix epoch (UTC
//! when the text has no zone).

use super::error::LogError;
use super::value::Value;

/// One piece of a compiled time format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Literal text that must appear as is.
    Literal(u8),
    /// Whitespace in the format: matches any amount (zero or more) of whitespace.
    Space,
    Year4,
    Year2,
    Month,
    MonthName,
    Day,
    DayOfYear,
    Hour24,
    Hour12,
    AmPm,
    Minute,
    Second,
    /// Fraction of a second (`%L`, `%f`, `%N`): any number of digits.
    Fraction,
    /// `%z`: `Z`, `+hh`, `+hhmm`, `+hh:mm`.
    Offset,
    /// `%a`/`%A`: a weekday name, checked for shape only.
    WeekdayName,
    /// `%s`: seconds since the epoch, with an optional fraction.
    Epoch,
}

/// A compiled time format, or RFC 3339 / epoch auto-detection when none was given.
///
/// ```
/// use srekit::logs::{TimeFormat, Value};
///
/// let apache = TimeFormat::new(Some("%d/%b/%Y:%H:%M:%S %z")).unwrap();
/// assert_eq!(apache.parse(&Value::Str("10/Oct/2000:13:55:36 -0700".into())), Ok(971211336.0));
/// let auto = TimeFormat::new(None).unwrap();
/// assert_eq!(auto.parse(&Value::Str("2023-11-14T22:13:20.5Z".into())), Ok(1700000000.5));
/// assert_eq!(auto.parse(&Value::Int(1700000000)), Ok(1700000000.0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFormat {
    items: Option<Vec<Item>>,
}

impl TimeFormat {
    /// Compiles a strptime-style format: `%Y %y %m %b %h %B %d %e %j %H %I %p %M %S %L %f %N %z %Z %a %A
    /// %s %T %F %D %R %%`; a blank matches any run of blanks. `None` means auto-detection: RFC 3339 /
    /// ISO 8601 (`T` or space, optional fraction, `Z`/offset/none) or a number of epoch seconds.
    ///
    /// ```
    /// assert!(srekit::logs::TimeFormat::new(Some("%Y-%m-%d %Q")).is_err());
    /// ```
    pub fn new(format: Option<&str>) -> Result<TimeFormat, LogError> {
        let Some(format) = format else { return Ok(TimeFormat { items: None }) };
        let bad = |reason: &str| LogError::InvalidTimeFormat {
            format: format.to_owned(),
            reason: reason.to_owned(),
        };
        let mut items = Vec::new();
        let mut bytes = format.bytes();
        while let Some(b) = bytes.next() {
            if b != b'%' {
                items.push(if b.is_ascii_whitespace() { Item::Space } else { Item::Literal(b) });
                continue;
            }
            let directive = bytes.next().ok_or_else(|| bad("dangling '%' at the end"))?;
            match directive {
                b'Y' => items.push(Item::Year4),
                b'y' => items.push(Item::Year2),
                b'm' => items.push(Item::Month),
                b'b' | b'h' | b'B' => items.push(Item::MonthName),
                b'd' | b'e' => items.push(Item::Day),
                b'j' => items.push(Item::DayOfYear),
                b'H' | b'k' => items.push(Item::Hour24),
                b'I' | b'l' => items.push(Item::Hour12),
                b'p' => items.push(Item::AmPm),
                b'M' => items.push(Item::Minute),
                b'S' => items.push(Item::Second),
                b'L' | b'f' | b'N' => items.push(Item::Fraction),
                b'z' | b'Z' => items.push(Item::Offset),
                b'a' | b'A' => items.push(Item::WeekdayName),
                b's' => items.push(Item::Epoch),
                b'T' => items.extend([
                    Item::Hour24,
                    Item::Literal(b':'),
                    Item::Minute,
                    Item::Literal(b':'),
                    Item::Second,
                ]),
                b'F' => items.extend([
                    Item::Year4,
                    Item::Literal(b'-'),
                    Item::Month,
                    Item::Literal(b'-'),
                    Item::Day,
                ]),
                b'D' => items.extend([
                    Item::Month,
                    Item::Literal(b'/'),
                    Item::Day,
                    Item::Literal(b'/'),
                    Item::Year2,
                ]),
                b'R' => items.extend([Item::Hour24, Item::Literal(b':'), Item::Minute]),
                b'%' => items.push(Item::Literal(b'%')),
                _ => return Err(bad(&format!("unsupported directive %{}", directive as char))),
            }
        }
        Ok(TimeFormat { items: Some(items) })
    }

    /// The timestamp in `value` (seconds since the epoch), or why it could not be read.
    ///
    /// ```
    /// use srekit::logs::{TimeFormat, Value};
    ///
    /// let format = TimeFormat::new(Some("%Y-%m-%d %H:%M:%S.%L")).unwrap();
    /// assert_eq!(format.parse(&Value::Str("2023-11-14 22:13:20.25".into())), Ok(1700000000.25));
    /// assert!(format.parse(&Value::Str("yesterday".into())).is_err());
    /// ```
    pub fn parse(&self, value: &Value<'_>) -> Result<f64, String> {
        match (&self.items, value) {
            (None, Value::Str(s)) => parse_auto(s.trim()),
            (Some(items), Value::Str(s)) => parse_with(items, s.trim()),
            (_, Value::Int(_) | Value::UInt(_) | Value::Float(_)) => value
                .as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| "time is not a finite number".to_owned()),
            _ => Err("time field is not a string or a number".to_owned()),
        }
    }
}

/// Fields collected while matching a format.
#[derive(Debug, Default)]
struct Parts {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    day_of_year: Option<u32>,
    hour: u32,
    pm: Option<bool>,
    minute: u32,
    second: u32,
    fraction: f64,
    offset_seconds: i64,
    epoch: Option<f64>,
}

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn parse_with(items: &[Item], text: &str) -> Result<f64, String> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut parts = Parts::default();
    let mismatch =
        |what: &str, at: usize| format!("time {text:?} does not match the format ({what} at byte {at})");
    for item in items {
        match item {
            Item::Literal(b) => {
                if bytes.get(pos) != Some(b) {
                    return Err(mismatch(&format!("expected {:?}", *b as char), pos));
                }
                pos += 1;
            }
            Item::Space => {
                while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
                    pos += 1;
                }
            }
            Item::Year4 => {
                parts.year = Some(number(bytes, &mut pos, 4).ok_or_else(|| mismatch("year", pos))? as i64)
            }
            Item::Year2 => {
                let y = number(bytes, &mut pos, 2).ok_or_else(|| mismatch("year", pos))? as i64;
                parts.year = Some(if y < 69 { 2000 + y } else { 1900 + y });
            }
            Item::Month => {
                parts.month = Some(number(bytes, &mut pos, 2).ok_or_else(|| mismatch("month", pos))?)
            }
            Item::MonthName => {
                let word = alpha_word(bytes, &mut pos);
                let lower = word.to_ascii_lowercase();
                let index = MONTHS
                    .iter()
                    .position(|m| lower.len() >= 3 && lower.starts_with(m.as_bytes()))
                    .ok_or_else(|| mismatch("month name", pos))?;
                parts.month = Some(index as u32 + 1);
            }
            Item::Day => {
                skip_one_space(bytes, &mut pos);
                parts.day = Some(number(bytes, &mut pos, 2).ok_or_else(|| mismatch("day", pos))?);
            }
            Item::DayOfYear => {
                parts.day_of_year =
                    Some(number(bytes, &mut pos, 3).ok_or_else(|| mismatch("day of year", pos))?)
            }
            Item::Hour24 | Item::Hour12 => {
                skip_one_space(bytes, &mut pos);
                parts.hour = number(bytes, &mut pos, 2).ok_or_else(|| mismatch("hour", pos))?;
            }
            Item::AmPm => {
                let word = alpha_word(bytes, &mut pos).to_ascii_lowercase();
                parts.pm = match word.as_slice() {
                    b"am" => Some(false),
                    b"pm" => Some(true),
                    _ => return Err(mismatch("AM/PM", pos)),
                };
            }
            Item::Minute => {
                parts.minute = number(bytes, &mut pos, 2).ok_or_else(|| mismatch("minute", pos))?
            }
            Item::Second => {
                parts.second = number(bytes, &mut pos, 2).ok_or_else(|| mismatch("second", pos))?
            }
            Item::Fraction => {
                parts.fraction = fraction(bytes, &mut pos).ok_or_else(|| mismatch("fraction", pos))?
            }
            Item::Offset => {
                parts.offset_seconds = offset(bytes, &mut pos).ok_or_else(|| mismatch("zone offset", pos))?
            }
            Item::WeekdayName => {
                if alpha_word(bytes, &mut pos).len() < 3 {
                    return Err(mismatch("weekday name", pos));
                }
            }
            Item::Epoch => {
                let start = pos;
                if bytes.get(pos) == Some(&b'-') {
                    pos += 1;
                }
                while bytes.get(pos).is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
                    pos += 1;
                }
                parts.epoch =
                    Some(text[start..pos].parse::<f64>().map_err(|_| mismatch("epoch seconds", start))?);
            }
        }
    }
    if pos != bytes.len() {
        return Err(mismatch("unexpected trailing text", pos));
    }
    if let Some(epoch) = parts.epoch {
        return Ok(epoch + parts.fraction);
    }
    let year = match parts.year {
        Some(y) => y,
        None => current_year(),
    };
    let (month, day) = match (parts.month, parts.day, parts.day_of_year) {
        (None, None, Some(doy)) => {
            month_day_from_ordinal(year, doy).ok_or_else(|| mismatch("day of year", 0))?
        }
        (m, d, _) => (m.unwrap_or(1), d.unwrap_or(1)),
    };
    let hour = match parts.pm {
        Some(pm) if (1..=12).contains(&parts.hour) => parts.hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return Err(mismatch("12-hour clock hour", 0)),
        None => parts.hour,
    };
    civil_to_epoch(year, month, day, hour, parts.minute, parts.second)
        .map(|secs| secs as f64 - parts.offset_seconds as f64 + parts.fraction)
        .ok_or_else(|| format!("time {text:?} is not a valid date and time"))
}

/// RFC 3339 / ISO 8601 (`2023-11-14T22:13:20.5Z`, `2023-11-14 22:13:20+01:00`, no zone = UTC) or epoch
/// seconds.
fn parse_auto(text: &str) -> Result<f64, String> {
    if let Ok(number) = text.parse::<f64>() {
        if number.is_finite() {
            return Ok(number);
        }
    }
    let bytes = text.as_bytes();
    let mut pos = 0;
    let fail = || format!("time {text:?} is neither RFC 3339 nor epoch seconds");
    let year = number(bytes, &mut pos, 4).filter(|_| pos == 4).ok_or_else(fail)? as i64;
    let month = expect(bytes, &mut pos, b'-').and_then(|()| fixed2(bytes, &mut pos)).ok_or_else(fail)?;
    let day = expect(bytes, &mut pos, b'-').and_then(|()| fixed2(bytes, &mut pos)).ok_or_else(fail)?;
    match bytes.get(pos) {
        Some(b'T' | b't' | b' ') => pos += 1,
        _ => return Err(fail()),
    }
    let hour = fixed2(bytes, &mut pos).ok_or_else(fail)?;
    let minute = expect(bytes, &mut pos, b':').and_then(|()| fixed2(bytes, &mut pos)).ok_or_else(fail)?;
    let second = expect(bytes, &mut pos, b':').and_then(|()| fixed2(bytes, &mut pos)).ok_or_else(fail)?;
    let mut fraction_part = 0.0;
    if matches!(bytes.get(pos), Some(b'.' | b',')) {
        pos += 1;
        fraction_part = fraction(bytes, &mut pos).ok_or_else(fail)?;
    }
    let offset_seconds = if pos < bytes.len() { offset(bytes, &mut pos).ok_or_else(fail)? } else { 0 };
    if pos != bytes.len() {
        return Err(fail());
    }
    civil_to_epoch(year, month, day, hour, minute, second)
        .map(|secs| secs as f64 - offset_seconds as f64 + fraction_part)
        .ok_or_else(|| format!("time {text:?} is not a valid date and time"))
}

fn expect(bytes: &[u8], pos: &mut usize, b: u8) -> Option<()> {
    (bytes.get(*pos) == Some(&b)).then(|| *pos += 1)
}

fn fixed2(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let start = *pos;
    number(bytes, pos, 2).filter(|_| *pos - start == 2)
}

/// 1 to `max_digits` ASCII digits.
fn number(bytes: &[u8], pos: &mut usize, max_digits: usize) -> Option<u32> {
    let start = *pos;
    let mut value = 0u32;
    while *pos - start < max_digits {
        match bytes.get(*pos) {
            Some(d) if d.is_ascii_digit() => {
                value = value * 10 + u32::from(d - b'0');
                *pos += 1;
            }
            _ => break,
        }
    }
    (*pos > start).then_some(value)
}

fn skip_one_space(bytes: &[u8], pos: &mut usize) {
    if bytes.get(*pos) == Some(&b' ') {
        *pos += 1;
    }
}

fn alpha_word<'t>(bytes: &'t [u8], pos: &mut usize) -> &'t [u8] {
    let start = *pos;
    while bytes.get(*pos).is_some_and(u8::is_ascii_alphabetic) {
        *pos += 1;
    }
    &bytes[start..*pos]
}

/// Digits after a decimal point, as a fraction of a second.
fn fraction(bytes: &[u8], pos: &mut usize) -> Option<f64> {
    let start = *pos;
    let mut value = 0.0;
    let mut scale = 0.1;
    while let Some(d) = bytes.get(*pos).filter(|d| d.is_ascii_digit()) {
        value += f64::from(d - b'0') * scale;
        scale /= 10.0;
        *pos += 1;
    }
    // Summing digit by digit loses exactness for long fractions; parse the digits as one number instead.
    let digits = std::str::from_utf8(&bytes[start..*pos]).ok()?;
    if digits.is_empty() {
        return None;
    }
    let exact = format!("0.{digits}").parse::<f64>().unwrap_or(value);
    Some(exact)
}

/// `Z`, `UTC`, `GMT`, `+hh`, `+hhmm`, `+hh:mm` (and `-`), as seconds east of UTC.
fn offset(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    match bytes.get(*pos) {
        Some(b'Z' | b'z') => {
            *pos += 1;
            Some(0)
        }
        Some(b'U') if bytes.get(*pos..*pos + 3) == Some(b"UTC") => {
            *pos += 3;
            Some(0)
        }
        Some(b'G') if bytes.get(*pos..*pos + 3) == Some(b"GMT") => {
            *pos += 3;
            Some(0)
        }
        Some(&sign @ (b'+' | b'-')) => {
            *pos += 1;
            let hours = i64::from(fixed2(bytes, pos)?);
            if bytes.get(*pos) == Some(&b':') {
                *pos += 1;
            }
            let minutes = if bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                i64::from(fixed2(bytes, pos)?)
            } else {
                0
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            Some(if sign == b'-' { -seconds } else { seconds })
        }
        _ => None,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn month_day_from_ordinal(year: i64, ordinal: u32) -> Option<(u32, u32)> {
    let mut left = ordinal;
    for month in 1..=12 {
        let days = days_in_month(year, month);
        if left >= 1 && left <= days {
            return Some((month, left));
        }
        left = left.checked_sub(days)?;
    }
    None
}

/// Seconds since the epoch of a UTC civil date and time (Howard Hinnant's days-from-civil), or `None`
/// for an impossible date.
fn civil_to_epoch(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 24 || minute > 59 || second > 60 {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

/// The current UTC year, for formats without a year (RFC 3164 syslog), as Fluent Bit does.
fn current_year() -> i64 {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    // Inverse of days-from-civil, year part only.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is a failure report
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_epochs() {
        assert_eq!(civil_to_epoch(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(civil_to_epoch(2000, 2, 29, 0, 0, 0), Some(951_782_400));
        assert_eq!(civil_to_epoch(2023, 11, 14, 22, 13, 20), Some(1_700_000_000));
        assert_eq!(civil_to_epoch(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(civil_to_epoch(1969, 12, 31, 23, 59, 59), Some(-1));
    }

    #[test]
    fn current_year_is_plausible() {
        let year = current_year();
        assert!((2024..2200).contains(&year), "{year}");
    }

    #[test]
    fn syslog_without_year_uses_current_year() {
        let format = TimeFormat::new(Some("%b %d %H:%M:%S")).unwrap();
        let ts = format.parse(&Value::Str("Jan  2 03:04:05".into())).unwrap();
        let start_of_year = civil_to_epoch(current_year(), 1, 2, 3, 4, 5).unwrap() as f64;
        assert_eq!(ts, start_of_year);
    }

    #[test]
    fn twelve_hour_clock() {
        let format = TimeFormat::new(Some("%Y-%m-%d %I:%M:%S %p")).unwrap();
        assert_eq!(format.parse(&Value::Str("2023-11-14 10:13:20 PM".into())), Ok(1_700_000_000.0));
        assert_eq!(format.parse(&Value::Str("2023-11-15 12:00:00 AM".into())), Ok(1_700_006_400.0));
    }
}
