//! Parsers for flag values that clap cannot check alone: durations in Prometheus' syntax (`5s`,
//! `1m30s`, `250ms`; plain seconds such as `10` or `2.5` stay accepted), bounded to (0, 1 year] (a
//! re-check interval: 0, or up to 1 hour), and URL paths that must start with `/`. Each refuses bad
//! input with a message clap prints with the flag's name (exit 2), never a panic and never a silent
//! change of meaning.
use std::time::Duration;

/// A positive duration of at most a year (see [`srekit::duration::parse`]).
pub fn duration(text: &str) -> Result<Duration, String> {
    srekit::duration::parse(text)
}

/// The longest `--collector.absent-recheck`: a device that appears is reported within this.
pub const MAX_RECHECK: Duration = srekit::host::MAX_ABSENT_RECHECK;

/// A re-check interval: `0` (or `0s`) for none, else a duration (see [`duration`]) of at most
/// [`MAX_RECHECK`].
pub fn recheck(text: &str) -> Result<Duration, String> {
    if matches!(text, "0" | "0s") {
        return Ok(Duration::ZERO);
    }
    let interval = duration(text)?;
    if interval > MAX_RECHECK {
        return Err(format!("{text:?} is too long: at most 1h (or 0 to probe every time)"));
    }
    Ok(interval)
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
    fn recheck_intervals_are_zero_or_at_most_an_hour() {
        assert_eq!(recheck("0"), Ok(Duration::ZERO));
        assert_eq!(recheck("0s"), Ok(Duration::ZERO));
        assert_eq!(recheck("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(recheck("1h"), Ok(MAX_RECHECK));
        for (text, reason) in
            [("1h1s", "at most 1h"), ("1d", "at most 1h"), ("-1", "negative"), ("soon", "not a duration")]
        {
            let err = recheck(text).expect_err(text);
            assert!(err.contains(reason), "{text}: {err}");
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
