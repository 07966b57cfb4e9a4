//! A deterministic corpus of realistic ~200-byte application log lines (timestamp, level, a quoted
//! message with escaped quotes, method, path, status, bytes, duration, user agent), rendered as logfmt,
//! LTSV and JSON lines from the same records, for the log-parsing benchmarks.

/// One generated log event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// A message that contains double quotes.
    pub message: String,
    /// HTTP method.
    pub method: &'static str,
    /// Request path.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Response bytes.
    pub bytes: u32,
    /// Duration in seconds (3 decimals).
    pub duration_ms: u32,
    /// User agent.
    pub user_agent: &'static str,
}

/// A small fast deterministic PRNG (splitmix64), so every run benchmarks the same bytes.
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const LEVELS: [&str; 4] = ["info", "info", "warn", "error"];
const METHODS: [&str; 4] = ["GET", "GET", "POST", "PUT"];
const RESOURCES: [&str; 6] = ["users", "orders", "items", "carts", "sessions", "invoices"];
const MESSAGES: [&str; 4] = [
    "request \"completed\" for client",
    "upstream \"checkout\" answered slowly",
    "cache miss on key \"user-profile\"",
    "retrying call to \"payments\" service",
];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "curl/8.4.0",
    "Go-http-client/2.0",
    "python-requests/2.31.0",
];
const STATUSES: [u16; 6] = [200, 200, 200, 201, 404, 503];

/// `count` events from `seed`.
pub fn events(count: usize, seed: u64) -> Vec<Event> {
    let mut rng = SplitMix::new(seed);
    let mut timestamp_ms = 1_700_000_000_000u64;
    (0..count)
        .map(|_| {
            timestamp_ms += rng.below(50);
            Event {
                timestamp_ms,
                level: rng.pick(&LEVELS),
                message: format!("{} {}", rng.pick(&MESSAGES), rng.below(10_000)),
                method: rng.pick(&METHODS),
                path: format!("/api/v1/{}/{}", rng.pick(&RESOURCES), rng.below(100_000)),
                status: rng.pick(&STATUSES),
                bytes: rng.below(200_000) as u32,
                duration_ms: rng.below(5_000) as u32,
                user_agent: rng.pick(&AGENTS),
            }
        })
        .collect()
}

fn rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

fn duration(e: &Event) -> String {
    format!("{}.{:03}", e.duration_ms / 1000, e.duration_ms % 1000)
}

/// The event as one logfmt line (no newline).
pub fn logfmt_line(e: &Event) -> String {
    format!(
        "ts={} level={} msg=\"{}\" method={} path={} status={} bytes={} duration={} ua=\"{}\"",
        rfc3339_ms(e.timestamp_ms),
        e.level,
        e.message.replace('"', "\\\""),
        e.method,
        e.path,
        e.status,
        e.bytes,
        duration(e),
        e.user_agent
    )
}

/// The event as one LTSV line (no newline).
pub fn ltsv_line(e: &Event) -> String {
    format!(
        "ts:{}\tlevel:{}\tmsg:{}\tmethod:{}\tpath:{}\tstatus:{}\tbytes:{}\tduration:{}\tua:{}",
        rfc3339_ms(e.timestamp_ms),
        e.level,
        e.message,
        e.method,
        e.path,
        e.status,
        e.bytes,
        duration(e),
        e.user_agent
    )
}

/// The event as one JSON line (no newline).
pub fn json_line(e: &Event) -> String {
    format!(
        "{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":\"{}\",\"method\":\"{}\",\"path\":\"{}\",\"status\":{},\"bytes\":{},\"duration\":{},\"ua\":\"{}\"}}",
        rfc3339_ms(e.timestamp_ms),
        e.level,
        e.message.replace('"', "\\\""),
        e.method,
        e.path,
        e.status,
        e.bytes,
        duration(e),
        e.user_agent
    )
}

/// `count` lines rendered by `render`, each followed by `\n`.
pub fn corpus(count: usize, seed: u64, render: fn(&Event) -> String) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 220);
    for event in events(count, seed) {
        out.extend_from_slice(render(&event).as_bytes());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_realistic() {
        let a = corpus(1000, 7, logfmt_line);
        assert_eq!(a, corpus(1000, 7, logfmt_line));
        let average = a.len() / 1000;
        assert!((150..260).contains(&average), "average line length {average}");
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
