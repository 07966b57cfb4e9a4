//! Container runtime envelopes: the CRI log format (`<RFC3339Nano time> <stdout|stderr> <P|F> <message>`,
//! written by containerd and CRI-O) and docker's json-file driver (`{"log":"...\n","stream":"stdout",
//! "time":"..."}`), unwrapped into the message the application wrote. Runtimes split long lines into
//! partial pieces (CRI tag `P`, or a docker `log` without a trailing newline); a [`Joiner`] joins them per
//! stream until the final piece, bounded by a maximum length (a longer message is skipped whole).

use std::borrow::Cow;

use serde::Deserialize;

use super::error::LineError;

/// Which envelope an input's lines are wrapped in.
///
/// ```
/// use srekit::logs::ContainerFormat;
/// assert_eq!(ContainerFormat::from_name("cri"), Some(ContainerFormat::Cri));
/// assert_eq!(ContainerFormat::from_name("auto").map(|c| c.name()), Some("auto"));
/// assert_eq!(ContainerFormat::from_name("podman"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerFormat {
    /// The CRI format (containerd, CRI-O; kubelet's `/var/log/pods`).
    Cri,
    /// docker's json-file logging driver.
    Docker,
    /// Decided per file from its first line: a line starting with `{` is docker, any other CRI.
    Auto,
}

/// Every container format name, as error messages list them.
pub const CONTAINER_NAMES: &str = "cri, docker, auto";

impl ContainerFormat {
    /// The format called `name` (`cri`, `docker`, `auto`).
    ///
    /// ```
    /// assert_eq!(srekit::logs::ContainerFormat::from_name("docker"), Some(srekit::logs::ContainerFormat::Docker));
    /// ```
    pub fn from_name(name: &str) -> Option<ContainerFormat> {
        Some(match name {
            "cri" => ContainerFormat::Cri,
            "docker" => ContainerFormat::Docker,
            "auto" => ContainerFormat::Auto,
            _ => return None,
        })
    }

    /// The format's name.
    ///
    /// ```
    /// assert_eq!(srekit::logs::ContainerFormat::Cri.name(), "cri");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ContainerFormat::Cri => "cri",
            ContainerFormat::Docker => "docker",
            ContainerFormat::Auto => "auto",
        }
    }

    /// The concrete format of a file whose first line is `first_line` (`Auto` decides; others stay).
    ///
    /// ```
    /// use srekit::logs::ContainerFormat;
    /// assert_eq!(ContainerFormat::Auto.resolve(b"{\"log\":\"x\\n\"}"), ContainerFormat::Docker);
    /// assert_eq!(ContainerFormat::Auto.resolve(b"2024-01-01T00:00:00Z stdout F x"), ContainerFormat::Cri);
    /// ```
    pub fn resolve(self, first_line: &[u8]) -> ContainerFormat {
        match self {
            ContainerFormat::Auto if first_line.trim_ascii_start().starts_with(b"{") => {
                ContainerFormat::Docker
            }
            ContainerFormat::Auto => ContainerFormat::Cri,
            concrete => concrete,
        }
    }
}

/// The output stream a piece was written to.
///
/// ```
/// assert_eq!(srekit::logs::Stream::Stderr.as_str(), "stderr");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`.
    ///
    /// ```
    /// assert_eq!(srekit::logs::Stream::Stdout.as_str(), "stdout");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn parse(name: &[u8]) -> Option<Stream> {
        match name {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// One line of a container log, unwrapped.
///
/// ```
/// let piece = srekit::logs::Piece::parse_cri(b"2024-05-01T10:00:00.123456789Z stderr P half a ").unwrap();
/// assert_eq!((piece.time.as_ref(), piece.stream.as_str(), piece.partial), ("2024-05-01T10:00:00.123456789Z", "stderr", true));
/// assert_eq!(piece.message.as_ref(), b"half a ");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    /// The runtime's timestamp, as written (RFC 3339 with nanoseconds).
    pub time: Cow<'a, str>,
    /// The stream.
    pub stream: Stream,
    /// Whether more of the message follows in the next piece of the same stream.
    pub partial: bool,
    /// The message bytes (without the line's newline).
    pub message: Cow<'a, [u8]>,
}

#[derive(Deserialize)]
struct DockerLine<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
    #[serde(borrow, default)]
    stream: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    time: Option<Cow<'a, str>>,
}

impl<'a> Piece<'a> {
    /// Parses a CRI line: `<time> <stream> <tag>[:<more tags>] <message>` (the message may be empty).
    ///
    /// ```
    /// use srekit::logs::Piece;
    /// assert_eq!(Piece::parse_cri(b"2024-05-01T10:00:00Z stdout F").unwrap().message.as_ref(), b"");
    /// let err = Piece::parse_cri(b"2024-05-01T10:00:00Z stdboth F x").unwrap_err();
    /// assert_eq!(err.to_string(), "byte 21: CRI log line: stream must be stdout or stderr");
    /// ```
    pub fn parse_cri(line: &'a [u8]) -> Result<Piece<'a>, LineError> {
        let bad = |offset: usize, what: &str| LineError::new(offset, format!("CRI log line: {what}"));
        let time_end = memchr::memchr(b' ', line).ok_or_else(|| bad(0, "no space after the time"))?;
        let time = cri_time(&line[..time_end]).ok_or_else(|| bad(0, "the time is not RFC 3339"))?;
        let stream_start = time_end + 1;
        // The common line, ` stdout F ` / ` stderr P `, is read byte by byte; anything else (more
        // tags, a missing message, a bad line) takes the general path below, which names what is wrong.
        let after_time = &line[stream_start..];
        let stream = match after_time.get(..7) {
            Some(b"stdout ") => Some(Stream::Stdout),
            Some(b"stderr ") => Some(Stream::Stderr),
            _ => None,
        };
        if let (Some(stream), Some(&tag), Some(&b' ')) = (stream, after_time.get(7), after_time.get(8)) {
            if tag == b'P' || tag == b'F' {
                let message = &after_time[9..];
                return Ok(Piece {
                    time: Cow::Borrowed(time),
                    stream,
                    partial: tag == b'P',
                    message: Cow::Borrowed(message),
                });
            }
        }
        let stream_end = memchr::memchr(b' ', after_time)
            .map(|i| stream_start + i)
            .ok_or_else(|| bad(stream_start, "no tag after the stream"))?;
        let stream = Stream::parse(&line[stream_start..stream_end])
            .ok_or_else(|| bad(stream_start, "stream must be stdout or stderr"))?;
        let tag_start = stream_end + 1;
        let tag_end = memchr::memchr(b' ', &line[tag_start..]).map_or(line.len(), |i| tag_start + i);
        let tags = &line[tag_start..tag_end];
        let partial = match tags.split(|&b| b == b':').next() {
            Some(b"P") => true,
            Some(b"F") => false,
            _ => return Err(bad(tag_start, "tag must be P or F")),
        };
        let message = line.get(tag_end + 1..).unwrap_or_default();
        Ok(Piece { time: Cow::Borrowed(time), stream, partial, message: Cow::Borrowed(message) })
    }

    /// Parses a docker json-file line; a `log` ending in `\n` is a final piece (the newline removed),
    /// any other a partial one.
    ///
    /// ```
    /// use srekit::logs::Piece;
    /// let piece = Piece::parse_docker(br#"{"log":"a \"b\"\n","stream":"stdout","time":"2024-05-01T10:00:00.5Z"}"#).unwrap();
    /// assert_eq!((piece.message.as_ref(), piece.partial), (&b"a \"b\""[..], false));
    /// assert!(Piece::parse_docker(br#"{"log":"no newline","stream":"stdout","time":"t"}"#).unwrap().partial);
    /// assert!(Piece::parse_docker(b"{\"stream\":\"stdout\"}").unwrap_err().to_string().contains("docker log line"));
    /// ```
    pub fn parse_docker(line: &'a [u8]) -> Result<Piece<'a>, LineError> {
        let parsed: DockerLine<'a> = serde_json::from_slice(line).map_err(|e| {
            let offset = line_column_offset(line, e.line(), e.column());
            LineError::new(offset, format!("docker log line: {e}"))
        })?;
        let stream = match parsed.stream.as_deref() {
            None | Some("stdout") => Stream::Stdout,
            Some("stderr") => Stream::Stderr,
            Some(_) => return Err(LineError::new(0, "docker log line: stream must be stdout or stderr")),
        };
        let time = parsed.time.unwrap_or(Cow::Borrowed(""));
        let (message, partial) = match parsed.log {
            Cow::Borrowed(log) => match log.strip_suffix('\n') {
                Some(whole) => (Cow::Borrowed(whole.as_bytes()), false),
                None => (Cow::Borrowed(log.as_bytes()), true),
            },
            Cow::Owned(mut log) => {
                let partial = !log.ends_with('\n');
                if !partial {
                    log.pop();
                }
                (Cow::Owned(log.into_bytes()), partial)
            }
        };
        Ok(Piece { time, stream, partial, message })
    }

    /// Parses a line in the concrete `format` (`Auto` is read as CRI; resolve it first).
    ///
    /// ```
    /// use srekit::logs::{ContainerFormat, Piece};
    /// assert!(Piece::parse(ContainerFormat::Docker, b"{\"log\":\"x\\n\"}").is_ok());
    /// ```
    pub fn parse(format: ContainerFormat, line: &'a [u8]) -> Result<Piece<'a>, LineError> {
        match format {
            ContainerFormat::Docker => Piece::parse_docker(line),
            ContainerFormat::Cri | ContainerFormat::Auto => Piece::parse_cri(line),
        }
    }
}

/// A CRI time field as text, if it looks like RFC 3339 (`YYYY-MM-DDT...`, at least 20 bytes).
fn cri_time(time: &[u8]) -> Option<&str> {
    if time.len() < 20 || time[4] != b'-' || time[10] != b'T' {
        return None;
    }
    if time.is_ascii() {
        // SAFETY: ASCII bytes are UTF-8. (Checking ASCII inline spares a call to the UTF-8 validator
        // on every line, which showed in the CRI profile.)
        return Some(unsafe { std::str::from_utf8_unchecked(time) });
    }
    std::str::from_utf8(time).ok()
}

/// The byte offset of serde_json's 1-based line and column (column 0 means "before the line").
fn line_column_offset(data: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize =
        data.split_inclusive(|&b| b == b'\n').take(line.saturating_sub(1)).map(<[u8]>::len).sum();
    (line_start + column.saturating_sub(1)).min(data.len())
}

/// A message whose pieces are being joined.
#[derive(Debug, Clone, Default)]
struct Pending {
    /// Whether a message is open (its first piece seen).
    open: bool,
    /// The joined bytes so far (emptied once the message is over the limit).
    message: Vec<u8>,
    /// The first piece's time.
    time: String,
    /// The first piece's line number and byte offset.
    line: u64,
    offset: u64,
    /// Total length of the pieces, counted even once they are no longer kept.
    length: usize,
}

/// A whole message: its pieces joined.
///
/// ```
/// use srekit::logs::{Joined, Stream};
/// let joined = Joined { line: 1, offset: 0, time: "t", stream: Stream::Stdout, message: b"hi" };
/// assert_eq!(joined.message, b"hi");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined<'a> {
    /// Line number of the first piece.
    pub line: u64,
    /// Byte offset of the first piece.
    pub offset: u64,
    /// The first piece's time.
    pub time: &'a str,
    /// The stream.
    pub stream: Stream,
    /// The message.
    pub message: &'a [u8],
}

/// Joins partial pieces per stream into whole messages of at most `max_length` bytes; a longer one is
/// reported as an error (at its first piece) and skipped.
///
/// ```
/// use srekit::logs::{Joiner, Piece};
///
/// let mut joiner = Joiner::new(100);
/// let mut out = Vec::new();
/// for (n, line) in [&b"2024-05-01T10:00:00Z stdout P hel"[..], b"2024-05-01T10:00:01Z stderr F oops", b"2024-05-01T10:00:02Z stdout F lo"].iter().enumerate() {
///     let piece = Piece::parse_cri(line).unwrap();
///     joiner.push(n as u64 + 1, 0, piece, |joined| {
///         let joined = joined.unwrap();
///         out.push(format!("{}:{}:{}", joined.line, joined.stream.as_str(), String::from_utf8_lossy(joined.message)))
///     });
/// }
/// assert_eq!(out, ["2:stderr:oops", "1:stdout:hello"]);
/// ```
#[derive(Debug, Clone)]
pub struct Joiner {
    max_length: usize,
    pending: [Pending; 2],
}

impl Joiner {
    /// A joiner for messages of at most `max_length` bytes.
    ///
    /// ```
    /// assert!(!srekit::logs::Joiner::new(10).has_pending());
    /// ```
    pub fn new(max_length: usize) -> Joiner {
        Joiner { max_length, pending: Default::default() }
    }

    /// Whether a partial message waits for its next piece.
    ///
    /// ```
    /// let mut joiner = srekit::logs::Joiner::new(10);
    /// let piece = srekit::logs::Piece::parse_cri(b"2024-05-01T10:00:00Z stdout P a").unwrap();
    /// joiner.push(1, 0, piece, |_| {});
    /// assert!(joiner.has_pending());
    /// ```
    pub fn has_pending(&self) -> bool {
        self.pending.iter().any(|p| p.open)
    }

    /// Adds the piece at `line` / `offset`; `on_message` gets the message it completes (or the error of
    /// one over the limit).
    ///
    /// ```
    /// let mut joiner = srekit::logs::Joiner::new(3);
    /// let mut errors = Vec::new();
    /// for line in [&b"2024-05-01T10:00:00Z stdout P ab"[..], b"2024-05-01T10:00:00Z stdout F cd"] {
    ///     let piece = srekit::logs::Piece::parse_cri(line).unwrap();
    ///     joiner.push(1, 0, piece, |joined| if let Err(e) = joined { errors.push(e.to_string()) });
    /// }
    /// assert_eq!(errors, ["line 1: byte 3: line too long (4 bytes, maximum 3); skipped"]);
    /// ```
    pub fn push(
        &mut self,
        line: u64,
        offset: u64,
        piece: Piece<'_>,
        mut on_message: impl FnMut(Result<Joined<'_>, JoinError>),
    ) {
        let max = self.max_length;
        let pending = &mut self.pending[piece.stream.index()];
        if !pending.open && !piece.partial {
            // The common case: a whole message in one piece, never copied.
            if piece.message.len() > max {
                on_message(Err(JoinError { line, offset, length: piece.message.len(), max }));
            } else {
                on_message(Ok(Joined {
                    line,
                    offset,
                    time: &piece.time,
                    stream: piece.stream,
                    message: &piece.message,
                }));
            }
            return;
        }
        if !pending.open {
            pending.open = true;
            pending.message.clear();
            pending.time.clear();
            pending.time.push_str(&piece.time);
            (pending.line, pending.offset, pending.length) = (line, offset, 0);
        }
        pending.length = pending.length.saturating_add(piece.message.len());
        if pending.length <= max {
            pending.message.extend_from_slice(&piece.message);
        } else {
            pending.message = Vec::new(); // over the limit: nothing more is kept
        }
        if !piece.partial {
            pending.open = false;
            emit(pending, max, piece.stream, &mut on_message);
        }
    }

    /// Ends the stream: messages still waiting for a final piece are emitted as they are.
    ///
    /// ```
    /// let mut joiner = srekit::logs::Joiner::new(10);
    /// joiner.push(1, 0, srekit::logs::Piece::parse_cri(b"2024-05-01T10:00:00Z stdout P a").unwrap(), |_| {});
    /// let mut last = Vec::new();
    /// joiner.finish(|joined| last.push(joined.unwrap().message.to_vec()));
    /// assert_eq!(last, [b"a".to_vec()]);
    /// ```
    pub fn finish(&mut self, mut on_message: impl FnMut(Result<Joined<'_>, JoinError>)) {
        let max = self.max_length;
        let mut open: Vec<(usize, Stream)> = [Stream::Stdout, Stream::Stderr]
            .into_iter()
            .filter(|s| self.pending[s.index()].open)
            .map(|s| (s.index(), s))
            .collect();
        open.sort_by_key(|&(i, _)| self.pending[i].line);
        for (index, stream) in open {
            let pending = &mut self.pending[index];
            pending.open = false;
            emit(pending, max, stream, &mut on_message);
        }
    }
}

fn emit(
    pending: &Pending,
    max: usize,
    stream: Stream,
    on_message: &mut impl FnMut(Result<Joined<'_>, JoinError>),
) {
    if pending.length > max {
        on_message(Err(JoinError {
            line: pending.line,
            offset: pending.offset,
            length: pending.length,
            max,
        }));
    } else {
        on_message(Ok(Joined {
            line: pending.line,
            offset: pending.offset,
            time: &pending.time,
            stream,
            message: &pending.message,
        }));
    }
}

/// A joined message over the maximum length, skipped.
///
/// ```
/// let err = srekit::logs::JoinError { line: 3, offset: 40, length: 9, max: 8 };
/// assert_eq!(err.line_error().message, "line too long (9 bytes, maximum 8); skipped");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}", self.line_error())]
pub struct JoinError {
    /// Line number of the first piece.
    pub line: u64,
    /// Byte offset of the first piece.
    pub offset: u64,
    /// The joined length.
    pub length: usize,
    /// The maximum.
    pub max: usize,
}

impl JoinError {
    /// The error as a parser reports an over-long line.
    ///
    /// ```
    /// let err = srekit::logs::JoinError { line: 1, offset: 0, length: 5, max: 4 };
    /// assert_eq!(err.line_error().offset, 4);
    /// ```
    pub fn line_error(&self) -> LineError {
        super::parser::too_long(self.max, self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_tags_and_bad_lines() {
        let piece =
            Piece::parse_cri(b"2024-05-01T10:00:00.000000001+02:00 stdout F:extra  two spaces").unwrap();
        assert_eq!(piece.message.as_ref(), b" two spaces");
        assert!(!piece.partial);
        for (line, offset) in [
            (&b"nospace"[..], 0),
            (b"notatime stdout F x", 0),
            (b"2024-05-01T10:00:00Z stdout", 21),
            (b"2024-05-01T10:00:00Z stdout X x", 28),
        ] {
            assert_eq!(Piece::parse_cri(line).unwrap_err().offset, offset, "{line:?}");
        }
    }

    #[test]
    fn cri_common_lines_and_their_near_misses() {
        let t = "2024-05-01T10:00:00.123456789Z";
        for (rest, stream, partial, message) in [
            ("stdout F {\"a\":1}", Stream::Stdout, false, "{\"a\":1}"),
            ("stderr P half", Stream::Stderr, true, "half"),
            ("stdout F ", Stream::Stdout, false, ""),
            ("stdout F", Stream::Stdout, false, ""),
            ("stderr P:x y", Stream::Stderr, true, "y"),
            ("stdout F  lead", Stream::Stdout, false, " lead"),
        ] {
            let line = format!("{t} {rest}");
            let piece = Piece::parse_cri(line.as_bytes()).unwrap();
            assert_eq!((piece.time.as_ref(), piece.stream, piece.partial), (t, stream, partial), "{line}");
            assert_eq!(piece.message.as_ref(), message.as_bytes(), "{line}");
        }
        for (rest, offset) in [("stdout  F x", 38), ("stdout X x", 38), ("stdouts F x", 31), ("stdout", 31)] {
            let line = format!("{t} {rest}");
            assert_eq!(Piece::parse_cri(line.as_bytes()).unwrap_err().offset, offset, "{line}");
        }
        let non_ascii = "2024-05-01T10:00:00Zé stdout F x";
        assert_eq!(Piece::parse_cri(non_ascii.as_bytes()).unwrap().time, "2024-05-01T10:00:00Zé");
        assert!(Piece::parse_cri(b"2024-05-01T10:00:00Z\xff stdout F x").is_err());
    }

    #[test]
    fn docker_escapes_and_errors() {
        let piece =
            Piece::parse_docker(br#"{"log":"caf\u00e9 \\ x\n","stream":"stderr","time":"t"}"#).unwrap();
        assert_eq!((piece.message.as_ref(), piece.stream), ("café \\ x".as_bytes(), Stream::Stderr));
        assert!(Piece::parse_docker(br#"{"log":"x","stream":"nope"}"#).is_err());
        let err = Piece::parse_docker(b"{\"log\": 1}").unwrap_err();
        assert!(err.message.starts_with("docker log line: invalid type"), "{err}");
    }

    #[test]
    fn oversized_joined_message_is_skipped_and_the_next_one_kept() {
        let mut joiner = Joiner::new(4);
        let mut out = Vec::new();
        let lines = [
            &b"2024-05-01T10:00:00Z stdout P abc"[..],
            b"2024-05-01T10:00:00Z stdout P def",
            b"2024-05-01T10:00:00Z stdout F g",
            b"2024-05-01T10:00:00Z stdout F ok",
        ];
        for (n, line) in lines.iter().enumerate() {
            joiner.push(n as u64 + 1, 0, Piece::parse_cri(line).unwrap(), |j| {
                out.push(j.map(|j| j.message.to_vec()).map_err(|e| (e.line, e.length)))
            });
        }
        assert_eq!(out, [Err((1, 7)), Ok(b"ok".to_vec())]);
    }
}
