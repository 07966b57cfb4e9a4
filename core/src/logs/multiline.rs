//! Multi-line events: lines grouped into one event by a start regex (a line matching it starts a new
//! event, others continue the current one) or by a preset that knows how Java, Python and Go print
//! stack traces. An event ends when the next one starts, when it reaches `max_lines`, when no line has
//! come for `timeout`, or at the end of the stream. [`MultilineSpec`] is how users write it (TOML
//! `[inputs.multiline]`, Python / Node `multiline=`), [`Multiline`] the compiled form, [`Grouper`] the
//! per-stream state.

use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::error::LogError;

/// Lines per event unless `max_lines` says otherwise.
pub const DEFAULT_MAX_LINES: usize = 1000;

/// How lines are grouped, as users write it.
///
/// ```
/// let spec: srekit::logs::MultilineSpec = toml::from_str("preset = \"java\"").unwrap();
/// assert_eq!((spec.max_lines, spec.timeout.as_str()), (1000, "1s"));
/// assert!(spec.compile().is_ok());
/// let both = srekit::logs::MultilineSpec { start: Some("^x".into()), ..spec };
/// assert!(both.compile().unwrap_err().to_string().contains("either `start` or `preset`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultilineSpec {
    /// A line matching this regex (Rust regex syntax, unanchored) starts a new event.
    #[serde(default)]
    pub start: Option<String>,
    /// `java`, `python` or `go`: stack traces as those runtimes print them continue the event before.
    #[serde(default)]
    pub preset: Option<String>,
    /// Most lines in one event (default 1000); the event is emitted when it has this many.
    #[serde(default = "default_max_lines")]
    pub max_lines: usize,
    /// An event with no new line for this long is emitted (default `1s`).
    #[serde(default = "default_timeout")]
    pub timeout: String,
}

impl Default for MultilineSpec {
    fn default() -> Self {
        MultilineSpec { start: None, preset: None, max_lines: DEFAULT_MAX_LINES, timeout: default_timeout() }
    }
}

fn default_max_lines() -> usize {
    DEFAULT_MAX_LINES
}

fn default_timeout() -> String {
    "1s".to_owned()
}

impl MultilineSpec {
    /// Checks and compiles the spec.
    ///
    /// ```
    /// let spec = srekit::logs::MultilineSpec { preset: Some("cobol".into()), ..Default::default() };
    /// assert!(spec.compile().unwrap_err().to_string().contains("java, python or go"));
    /// ```
    pub fn compile(&self) -> Result<Multiline, LogError> {
        let invalid = |message: String| LogError::InvalidMultiline(message);
        let mode = match (&self.start, self.preset.as_deref()) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(invalid("give either `start` or `preset`".to_owned()))
            }
            (Some(start), None) => {
                Mode::Start(Regex::new(start).map_err(|e| invalid(format!("invalid `start` regex: {e}")))?)
            }
            (None, Some("java")) => Mode::Java(Presets::new()),
            (None, Some("python")) => Mode::Python(Presets::new()),
            (None, Some("go")) => Mode::Go(Presets::new()),
            (None, Some(other)) => {
                return Err(invalid(format!("unknown preset {other:?} (expected java, python or go)")))
            }
        };
        if self.max_lines == 0 {
            return Err(invalid("`max_lines` must be at least 1".to_owned()));
        }
        let timeout =
            crate::duration::parse(&self.timeout).map_err(|e| invalid(format!("`timeout`: {e}")))?;
        Ok(Multiline { mode, max_lines: self.max_lines, timeout })
    }
}

/// The regexes the presets use, compiled once per spec.
#[derive(Debug, Clone)]
struct Presets {
    java_exception: Regex,
    python_exception: Regex,
    go_frame: Regex,
}

impl Presets {
    fn new() -> Presets {
        // Constant patterns: they compile (the unit tests build every preset).
        let build = |pattern: &str| Regex::new(pattern).unwrap_or_else(|_| unreachable!("bad preset regex"));
        Presets {
            java_exception: build(
                r"^(?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|$)|^(?:Caused by|Suppressed): |^\.\.\. \d+ (?:more|common frames omitted)",
            ),
            python_exception: build(r"^[A-Za-z_][\w.]*(?::|$)"),
            go_frame: build(
                r"^(?:goroutine \d+ \[|created by |\[signal |exit status \d|[^\s(]+\(.*\)$|runtime\.|\s)",
            ),
        }
    }
}

#[derive(Debug, Clone)]
enum Mode {
    Start(Regex),
    Java(Presets),
    Python(Presets),
    Go(Presets),
}

/// A compiled [`MultilineSpec`].
///
/// ```
/// let multiline = srekit::logs::MultilineSpec { start: Some(r"^\d{4}-".into()), ..Default::default() }.compile().unwrap();
/// assert_eq!(multiline.timeout(), std::time::Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct Multiline {
    mode: Mode,
    max_lines: usize,
    timeout: Duration,
}

impl Multiline {
    /// How long an event waits for its next line.
    ///
    /// ```
    /// let spec = srekit::logs::MultilineSpec { preset: Some("go".into()), timeout: "250ms".into(), ..Default::default() };
    /// assert_eq!(spec.compile().unwrap().timeout().as_millis(), 250);
    /// ```
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether `line` starts a new event (given the trace state, which it updates). Lines are
    /// classified by their valid UTF-8 prefix (the bytes are kept as they are).
    fn starts_event(&self, state: &mut TraceState, line: &[u8]) -> bool {
        match &self.mode {
            Mode::Start(regex) => regex.is_match(valid_prefix(line)),
            Mode::Java(presets) => match line.first() {
                // Decided by the first byte, without a UTF-8 check or a regex: an indented line (a
                // frame) continues the event; a line starting with an ASCII byte that cannot begin an
                // exception's name, `Caused by: ` or `... n more` (a timestamp, say) starts one.
                Some(b' ' | b'\t') | None => false,
                Some(&first) if first.is_ascii() && !may_start_java_exception(first) => true,
                Some(_) => {
                    let text = valid_prefix(line);
                    !(text.is_empty() || presets.java_exception.is_match(text))
                }
            },
            Mode::Python(presets) => {
                let line = valid_prefix(line);
                let indented = line.starts_with([' ', '\t']);
                if line.starts_with("Traceback (most recent call last):") {
                    *state = TraceState::InTrace;
                    return false;
                }
                if indented || line.is_empty() {
                    return false;
                }
                if line.starts_with("During handling of the above exception")
                    || line.starts_with("The above exception was the direct cause")
                {
                    return false;
                }
                if *state == TraceState::InTrace && presets.python_exception.is_match(line) {
                    *state = TraceState::Outside;
                    return false;
                }
                *state = TraceState::Outside;
                true
            }
            Mode::Go(presets) => {
                let line = valid_prefix(line);
                let indented = line.starts_with([' ', '\t']);
                if line.starts_with("panic: ") || line.starts_with("fatal error: ") {
                    *state = TraceState::InTrace;
                    return true;
                }
                if line.is_empty() || indented {
                    return false;
                }
                if *state == TraceState::InTrace && presets.go_frame.is_match(line) {
                    return false;
                }
                *state = TraceState::Outside;
                true
            }
        }
    }
}

/// Whether a line starting with the ASCII byte `first` can match the Java preset's exception regex
/// (every alternative starts with a letter, `_`, `$` or `.`).
fn may_start_java_exception(first: u8) -> bool {
    first.is_ascii_alphabetic() || matches!(first, b'_' | b'$' | b'.')
}

/// The longest valid UTF-8 prefix of `line` (all of it, checked fast, in the common case).
fn valid_prefix(line: &[u8]) -> &str {
    if let Ok(text) = simdutf8::basic::from_utf8(line) {
        return text;
    }
    match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&line[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// Where a preset is in a stack trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum TraceState {
    #[default]
    Outside,
    InTrace,
}

/// An event being grouped.
///
/// ```
/// let event = srekit::logs::GroupedEvent { line: 1, offset: 0, time: "", text: b"a\nb" };
/// assert_eq!(event.text.split(|&b| b == b'\n').count(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupedEvent<'a> {
    /// Line number of the event's first line.
    pub line: u64,
    /// Byte offset of the event's first line.
    pub offset: u64,
    /// The first line's container time (empty without an envelope).
    pub time: &'a str,
    /// The lines, joined with `\n`.
    pub text: &'a [u8],
}

/// One stream's event being grouped: lines join it until the next event starts, it is full, or it times
/// out. Events over `max_length` bytes are reported as errors (length) instead.
///
/// ```
/// use std::time::Instant;
/// use srekit::logs::{Grouper, MultilineSpec};
///
/// let multiline = MultilineSpec { preset: Some("java".into()), ..Default::default() }.compile().unwrap();
/// let mut grouper = Grouper::default();
/// let mut events = Vec::new();
/// let now = Instant::now();
/// for (n, line) in ["ERROR boom", "java.lang.IllegalStateException: x", "\tat A.b(A.java:1)", "INFO ok"].iter().enumerate() {
///     grouper.push(&multiline, usize::MAX, n as u64 + 1, 0, "", line.as_bytes(), now, |e| events.push(e.map(|e| String::from_utf8_lossy(e.text).into_owned())));
/// }
/// grouper.finish(usize::MAX, |e| events.push(e.map(|e| String::from_utf8_lossy(e.text).into_owned())));
/// assert_eq!(events, [Ok("ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)".to_owned()), Ok("INFO ok".to_owned())]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Grouper {
    open: bool,
    text: Vec<u8>,
    time: String,
    lines: usize,
    length: usize,
    line: u64,
    offset: u64,
    last: Option<Instant>,
    state: TraceState,
}

/// The length of an event over the maximum (reported instead of the event).
pub type TooLongEvent = (u64, u64, usize);

impl Grouper {
    /// Whether an event is open.
    ///
    /// ```
    /// assert!(!srekit::logs::Grouper::default().is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Line number of the open event's first line.
    pub(crate) fn first_line(&self) -> u64 {
        self.line
    }

    /// Adds a line (`time` is its container time, or empty). `on_event` gets the events it ends: `Ok`
    /// with the event, or `Err((line, offset, length))` for one over `max_length`.
    #[allow(clippy::too_many_arguments)] // the line and where it is, the limits and the sink
    pub fn push(
        &mut self,
        multiline: &Multiline,
        max_length: usize,
        line: u64,
        offset: u64,
        time: &str,
        text: &[u8],
        now: Instant,
        mut on_event: impl FnMut(Result<GroupedEvent<'_>, TooLongEvent>),
    ) {
        let starts = multiline.starts_event(&mut self.state, text);
        if self.open && starts {
            self.emit(max_length, &mut on_event);
        }
        if !self.open {
            self.open = true;
            self.text.clear();
            self.time.clear();
            self.time.push_str(time);
            (self.lines, self.length, self.line, self.offset) = (0, 0, line, offset);
        } else {
            self.length = self.length.saturating_add(1);
            if self.length <= max_length {
                self.text.push(b'\n');
            }
        }
        self.lines += 1;
        self.length = self.length.saturating_add(text.len());
        if self.length <= max_length {
            self.text.extend_from_slice(text);
        } else if !self.text.is_empty() {
            self.text = Vec::new();
        }
        self.last = Some(now);
        if self.lines >= multiline.max_lines {
            self.emit(max_length, &mut on_event);
        }
    }

    /// Emits the open event if no line came for the timeout by `now`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let multiline = srekit::logs::MultilineSpec { start: Some("^S".into()), ..Default::default() }.compile().unwrap();
    /// let mut grouper = srekit::logs::Grouper::default();
    /// let start = Instant::now();
    /// grouper.push(&multiline, 100, 1, 0, "", b"S one", start, |_| unreachable!());
    /// let mut n = 0;
    /// grouper.flush_idle(&multiline, 100, start + Duration::from_millis(999), |_| n += 1);
    /// grouper.flush_idle(&multiline, 100, start + Duration::from_secs(1), |_| n += 1);
    /// assert_eq!(n, 1);
    /// ```
    pub fn flush_idle(
        &mut self,
        multiline: &Multiline,
        max_length: usize,
        now: Instant,
        mut on_event: impl FnMut(Result<GroupedEvent<'_>, TooLongEvent>),
    ) {
        if self.open && self.last.is_some_and(|last| now.saturating_duration_since(last) >= multiline.timeout)
        {
            self.emit(max_length, &mut on_event);
        }
    }

    /// Emits the open event (end of the stream).
    pub fn finish(
        &mut self,
        max_length: usize,
        mut on_event: impl FnMut(Result<GroupedEvent<'_>, TooLongEvent>),
    ) {
        if self.open {
            self.emit(max_length, &mut on_event);
        }
    }

    fn emit(&mut self, max_length: usize, on_event: &mut impl FnMut(Result<GroupedEvent<'_>, TooLongEvent>)) {
        self.open = false;
        if self.length > max_length {
            on_event(Err((self.line, self.offset, self.length)));
        } else {
            on_event(Ok(GroupedEvent {
                line: self.line,
                offset: self.offset,
                time: &self.time,
                text: &self.text,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(preset: &str, lines: &[&str]) -> Vec<String> {
        let multiline =
            MultilineSpec { preset: Some(preset.into()), ..Default::default() }.compile().unwrap();
        let mut grouper = Grouper::default();
        let mut out = Vec::new();
        let now = Instant::now();
        for (n, line) in lines.iter().enumerate() {
            grouper.push(&multiline, usize::MAX, n as u64, 0, "", line.as_bytes(), now, |e| {
                out.push(String::from_utf8_lossy(e.unwrap().text).into_owned())
            });
        }
        grouper.finish(usize::MAX, |e| out.push(String::from_utf8_lossy(e.unwrap().text).into_owned()));
        out
    }

    #[test]
    fn java_lines_decided_by_their_first_byte_or_the_regex() {
        let multiline =
            MultilineSpec { preset: Some("java".into()), ..Default::default() }.compile().unwrap();
        let starts = |line: &[u8]| multiline.starts_event(&mut TraceState::Outside, line);
        for line in [&b"2024-05-01 ERROR x"[..], b"[main] INFO", b"ERROR boom", "é not a class".as_bytes()] {
            assert!(starts(line), "{}", String::from_utf8_lossy(line));
        }
        for line in [
            &b""[..],
            b"\tat A.b(A.java:1)",
            b"  at A.b",
            b"java.lang.IllegalStateException: x",
            b"com.example.FooError",
            b"$Proxy.BarException: y",
            b"_x.Throwable: z",
            b"Caused by: java.io.IOException",
            b"Suppressed: a.B",
            b"... 12 more",
            b"\xff\xfe invalid from the first byte",
            b"java.lang.Exception\xff the valid prefix decides",
        ] {
            assert!(!starts(line), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn python_traceback_is_one_event() {
        let lines = [
            "ERROR:root:failed",
            "Traceback (most recent call last):",
            "  File \"x.py\", line 1, in <module>",
            "    main()",
            "ValueError: boom",
            "INFO:root:next",
        ];
        assert_eq!(group("python", &lines), [lines[..5].join("\n"), lines[5].to_owned()]);
    }

    #[test]
    fn go_panic_is_one_event() {
        let lines = [
            "panic: runtime error: index out of range [5] with length 3",
            "",
            "goroutine 1 [running]:",
            "main.main()",
            "\t/app/main.go:8 +0x1d",
            "exit status 2",
            "level=info msg=restarted",
        ];
        assert_eq!(group("go", &lines), [lines[..6].join("\n"), lines[6].to_owned()]);
    }

    #[test]
    fn max_lines_and_max_length() {
        let multiline =
            MultilineSpec { start: Some("^S".into()), max_lines: 2, ..Default::default() }.compile().unwrap();
        let mut grouper = Grouper::default();
        let mut out = Vec::new();
        let now = Instant::now();
        for (n, line) in ["S a", " b", " c", "S dddddddddd", " e"].iter().enumerate() {
            grouper.push(&multiline, 8, n as u64 + 1, 0, "", line.as_bytes(), now, |e| {
                out.push(e.map(|e| String::from_utf8_lossy(e.text).into_owned()))
            });
        }
        grouper.finish(8, |e| out.push(e.map(|e| String::from_utf8_lossy(e.text).into_owned())));
        assert_eq!(out, [Ok("S a\n b".to_owned()), Ok(" c".to_owned()), Err((4, 0, 15))]);
    }
}
