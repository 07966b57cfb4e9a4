//! Parsers for flag values that clap cannot check alone: durations in Prometheus' syntax (`5s`,
//! `1m30s`, `250ms`; plain seconds such as `10` or `2.5` stay accepted), bounded to (0, 1 year], and
//! URL paths that must start with `/`. Each refuses bad input with a message clap prints with the
//! flag's name (exit 2), never a panic and never a silent change of meaning.
use std::time::Duration;

/// The longest duration a flag takes: one year.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// A positive duration of at most [`MAX_DURATION`]: Prometheus' syntax (units `ms`, `s`, `m`, `h`,
/// `d`, `w`, `y`, largest first, each at most once) or plain seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
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

/// A URL path: starts with `/` and holds no space or control character.
pub fn url_path(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err(format!("{text:?} must start with / (e.g. /{})", text.trim_start_matches('/')));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{text:?} must not contain spaces or control characters"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_durations_and_plain_seconds() {
        let ok = [
            ("5s", 5_000),
            ("1m30s", 90_000),
            ("250ms", 250),
            ("1h", 3_600_000),
            ("2d", 172_800_000),
            ("1w", 604_800_000),
            ("1y", 31_536_000_000),
            ("10", 10_000),
            ("2.5", 2_500),
            (" 3s ", 3_000),
        ];
        for (text, millis) in ok {
            assert_eq!(duration(text), Ok(Duration::from_millis(millis)), "{text}");
        }
    }

    #[test]
    fn bad_durations_are_refused_with_a_reason() {
        for (text, reason) in [
            ("inf", "not a duration"),
            ("NaN", "not a duration"),
            ("1e300", "out of range"),
            ("-5", "negative"),
            ("0", "more than zero"),
            ("0s", "more than zero"),
            ("5x", "not a duration"),
            ("s", "not a duration"),
            ("30s1m", "not a duration"),
            ("1s1s", "not a duration"),
            ("2y", "out of range"),
            ("99999999999999y", "not a duration"),
            ("", "not a duration"),
        ] {
            let err = duration(text).expect_err(text);
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn paths_start_with_a_slash() {
        assert_eq!(url_path("/metrics").as_deref(), Ok("/metrics"));
        assert!(url_path("metrics").expect_err("no slash").contains("/metrics"));
        assert!(url_path("/a b").is_err());
    }
}
