//! Low-level writers shared by the encoders: escaping of help text and label values, metric/label
//! names (quoted when outside the legacy charset), integers and timestamps. Float formatting is the
//! metric model's (`le` label values use it too) and is re-exported here as [`write_float`] and
//! [`write_openmetrics_float`].

use std::mem::MaybeUninit;

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

/// Appends `src` as `buf.put_slice(src)` does, with the copy of a text up to 64 bytes long (a sample
/// line's name, label text, created time) done inline when the buffer has room: at most two fixed-size
/// overlapping copies, instead of a call to the C library's `memmove` (~30% of encoding time went to
/// those calls, for copies of 2 to 60 bytes).
#[inline(always)]
pub(crate) fn put_short<B: BufMut>(buf: &mut B, src: &[u8]) {
    let len = src.len();
    let chunk = buf.chunk_mut();
    if len > 64 || chunk.len() < len {
        buf.put_slice(src);
        return;
    }
    match len {
        32..=64 => copy_two::<32>(chunk, src),
        16..=31 => copy_two::<16>(chunk, src),
        8..=15 => copy_two::<8>(chunk, src),
        4..=7 => copy_two::<4>(chunk, src),
        2..=3 => copy_two::<2>(chunk, src),
        1 => chunk.write_byte(0, src[0]),
        _ => {}
    }
    // SAFETY: bytes `0..len` of the chunk were written just above, and `len <= chunk.len()`.
    unsafe { buf.advance_mut(len) }
}

/// Copies `src` (`N <= src.len() <= 2N`, `src.len() <= dst.len()`) to the start of `dst` as two
/// copies of `N` bytes, the first at the start and the second ending at `src.len()` (they overlap when
/// `src.len() < 2N`): fixed-size copies, which compile to a few vector moves.
#[inline(always)]
fn copy_two<const N: usize>(dst: &mut bytes::buf::UninitSlice, src: &[u8]) {
    let len = src.len();
    let (Some(head), Some(tail)) = (src.first_chunk::<N>(), src.last_chunk::<N>()) else { return };
    dst[..N].copy_from_slice(head);
    dst[len - N..len].copy_from_slice(tail);
}

/// Room for a number and the `\n` after it: a float's text is at most 24 bytes (`-2.2250738585072014e-308`),
/// an integer's at most 20 digits, then `.0` in OpenMetrics.
pub(crate) const NUMBER_ROOM: usize = 32;

/// Writes into a buffer's spare room, whose size is checked once, in [`Room::new`], for a run of writes
/// (a series' lines): each write is then a copy at a position held in a register, with no capacity
/// check and no store of the buffer's length, which [`Room::done`] advances once. Writes to a `Vec`
/// through `BufMut` reload and store its length around every byte written (a byte store may alias it).
pub(crate) struct Room<'a, B: BufMut> {
    buf: &'a mut B,
    start: *mut u8,
    len: usize,
    /// The room checked for (the writes must stay within it).
    need: usize,
}

impl<'a, B: BufMut> Room<'a, B> {
    /// The buffer's spare room when it has `need` bytes, `None` otherwise (write through `BufMut` then).
    #[inline(always)]
    pub(crate) fn new(buf: &'a mut B, need: usize) -> Option<Self> {
        let chunk = buf.chunk_mut();
        if chunk.len() < need {
            return None;
        }
        let start = chunk.as_mut_ptr();
        Some(Room { buf, start, len: 0, need })
    }

    /// Appends `src`: texts up to 64 bytes as at most two fixed-size overlapping copies (see
    /// [`put_short`]), longer ones by `memcpy`.
    #[inline(always)]
    pub(crate) fn put(&mut self, src: &[u8]) {
        let len = src.len();
        debug_assert!(self.len + len <= self.need, "{} + {len} > {}", self.len, self.need);
        // SAFETY: the caller's `need` covers every write, so `self.len + len <= need <= ` the spare
        // room's length (checked in `new`); `src` cannot overlap the spare room (nothing borrows it).
        unsafe { self.append(src.as_ptr(), len) }
    }

    /// How many bytes were written so far (an offset for [`Room::repeat`]).
    #[inline(always)]
    pub(crate) fn written(&self) -> usize {
        self.len
    }

    /// Appends again the `len` bytes this room wrote at offset `from` (a histogram series' bucket
    /// line opening, written once and repeated for each bucket): no source outside the room to keep.
    #[inline(always)]
    pub(crate) fn repeat(&mut self, from: usize, len: usize) {
        assert!(from.checked_add(len).is_some_and(|end| end <= self.len), "repeats only what was written");
        debug_assert!(self.len + len <= self.need, "{} + {len} > {}", self.len, self.need);
        // SAFETY: bytes `from..from + len` were written by this room (checked just above: they end
        // at or before `self.len`), so they are initialised and end where the copy's destination
        // starts (no overlap); the destination is within the room as in `put`.
        unsafe { self.append(self.start.add(from), len) }
    }

    /// Copies `len` bytes from `src` to the end of what was written.
    ///
    /// # Safety
    /// `src` must be readable for `len` bytes and must not overlap `self.len..self.len + len` of the
    /// room, and `self.len + len` must be within the room (`<= need`).
    #[inline(always)]
    unsafe fn append(&mut self, s: *const u8, len: usize) {
        // SAFETY: the caller's contract: both ranges are valid and do not overlap.
        unsafe {
            let dst = self.start.add(self.len);
            match len {
                32..=64 => copy_pair::<32>(s, dst, len),
                16..=31 => copy_pair::<16>(s, dst, len),
                8..=15 => copy_pair::<8>(s, dst, len),
                4..=7 => copy_pair::<4>(s, dst, len),
                2..=3 => copy_pair::<2>(s, dst, len),
                1 => dst.write(*s),
                0 => {}
                _ => std::ptr::copy_nonoverlapping(s, dst, len),
            }
        }
        self.len += len;
    }

    /// Appends `N` bytes given by value (one store for `N` up to 8).
    #[inline(always)]
    pub(crate) fn put_array<const N: usize>(&mut self, bytes: [u8; N]) {
        debug_assert!(self.len + N <= self.need, "{} + {N} > {}", self.len, self.need);
        // SAFETY: as in `put`: `self.len + N <= need <=` the spare room's length.
        unsafe { self.start.add(self.len).cast::<[u8; N]>().write_unaligned(bytes) };
        self.len += N;
    }

    /// Appends `n` in decimal (as `write_integer`).
    #[inline(always)]
    pub(crate) fn integer(&mut self, n: u64) {
        let digit = |d: u64| b'0' + (d % 10) as u8;
        match n {
            0..=9 => self.put_array([digit(n)]),
            10..=99 => self.put_array([digit(n / 10), digit(n)]),
            100..=999 => self.put_array([digit(n / 100), digit(n / 10), digit(n)]),
            1000..=9999 => self.put_array([digit(n / 1000), digit(n / 100), digit(n / 10), digit(n)]),
            _ => self.put(itoa::Buffer::new().format(n).as_bytes()),
        }
    }

    /// Appends a whole counter value as [`write_whole`] does.
    #[inline(always)]
    pub(crate) fn whole(&mut self, whole: u64, openmetrics: bool) {
        if whole < 1_000_000 {
            self.integer(whole);
            if openmetrics {
                self.put_array(*b".0");
            }
        } else {
            self.value(whole as f64, openmetrics);
        }
    }

    /// Appends a count as [`write_count`] does.
    #[inline(always)]
    pub(crate) fn count(&mut self, count: u64, openmetrics: bool) {
        if openmetrics || count < 1_000_000 {
            self.integer(count);
        } else {
            self.value(count as f64, false);
        }
    }

    /// Appends a value as [`write_value`] does (at most 24 bytes), formatted out of line straight into
    /// the room (the room must have [`NUMBER_ROOM`] bytes left, which each line's bound gives a number).
    #[inline(always)]
    pub(crate) fn value(&mut self, value: f64, openmetrics: bool) {
        debug_assert!(self.len + NUMBER_ROOM <= self.need, "{} + {NUMBER_ROOM} > {}", self.len, self.need);
        // SAFETY: `self.len + NUMBER_ROOM <= need <=` the spare room's length (as in `put`), and
        // nothing else borrows the spare room while the slice lives.
        let window = unsafe {
            std::slice::from_raw_parts_mut(self.start.add(self.len).cast::<MaybeUninit<u8>>(), NUMBER_ROOM)
        };
        let len = value_into(window, value, openmetrics);
        // `value_into` wrote `len <= NUMBER_ROOM` bytes at the start of the window.
        self.len += len.min(NUMBER_ROOM);
    }

    /// Advances the buffer past what was written.
    #[inline(always)]
    pub(crate) fn done(self) {
        // SAFETY: bytes `0..len` of the spare room were written (every write is contiguous from the
        // start), and `len <= need <=` the spare room's length.
        unsafe { self.buf.advance_mut(self.len) }
    }
}

/// Writes a value's text as [`write_value`] does at the start of `window` and returns its length:
/// out of line, so a [`Room`] writing it stays in registers, and straight into the room (a text made
/// on the stack and copied out was read back before its stores landed).
#[inline(never)]
fn value_into(window: &mut [MaybeUninit<u8>], value: f64, openmetrics: bool) -> usize {
    let room = window.len();
    let mut rest = window;
    write_value(&mut rest, value, openmetrics);
    room - rest.len()
}

/// Copies `len` bytes (`N <= len <= 2N`) from `src` to `dst` as two copies of `N` bytes, the second
/// ending at `len` (see [`copy_two`]).
///
/// # Safety
/// `src` must be readable and `dst` writable for `len` bytes, and they must not overlap.
#[inline(always)]
unsafe fn copy_pair<const N: usize>(src: *const u8, dst: *mut u8, len: usize) {
    // SAFETY: `N <= len`, so both `N`-byte ranges lie within the `len` bytes the caller vouches for.
    unsafe {
        dst.cast::<[u8; N]>().write_unaligned(src.cast::<[u8; N]>().read_unaligned());
        dst.add(len - N)
            .cast::<[u8; N]>()
            .write_unaligned(src.add(len - N).cast::<[u8; N]>().read_unaligned());
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
    if !needs_escaping(bytes, escape_quote) {
        put_short(buf, bytes);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if escape_quote => b"\\\"",
            _ => continue,
        };
        put_short(buf, &bytes[start..i]);
        buf.put_slice(escaped);
        start = i + 1;
    }
    put_short(buf, &bytes[start..]);
}

/// True when `bytes` hold a character [`write_escaped`] escapes: a backslash, a newline, or (with
/// `quote`) a double quote. A branch-free pass over every byte, which the compiler vectorises: help
/// texts and label values are short, and nearly all need no escaping.
#[inline]
pub(crate) fn needs_escaping(bytes: &[u8], quote: bool) -> bool {
    let quote_byte = if quote { b'"' } else { b'\\' };
    bytes.iter().fold(false, |found, &b| found | (b == b'\\') | (b == b'\n') | (b == quote_byte))
}

/// Writes a label name: bare when it is a legacy name (or `escaping` makes it one), quoted otherwise.
pub(crate) fn write_label_name<B: BufMut>(buf: &mut B, name: &str, escaping: NameEscaping) {
    if is_valid_label_name(name) {
        put_short(buf, name.as_bytes());
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
/// keep their text in OpenMetrics too (see the registry encoder's `le_tails`). `name_is_valid` is
/// `is_valid_metric_name(name)`, checked once per family by the caller instead of once per sample.
pub(crate) fn write_series<B: BufMut>(
    buf: &mut B,
    name: &str,
    name_is_valid: bool,
    suffix: &str,
    labels: &[(String, String)],
    escaping: NameEscaping,
) {
    let mut legacy = name_is_valid;
    let escaped;
    let mut name = name;
    if !legacy {
        escaped = escaping.escape_metric_name(name);
        name = &escaped;
        legacy = is_valid_metric_name(name);
    }
    let mut first = true;
    if legacy {
        put_short(buf, name.as_bytes());
        put_short(buf, suffix.as_bytes());
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

#[cfg(test)]
mod tests {
    use super::{put_short, write_count, write_value, write_whole, Room, NUMBER_ROOM};
    use bytes::BufMut;

    #[test]
    fn room_writes_what_bufmut_writes_and_only_when_there_is_room() {
        let source: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(29).wrapping_add(3)).collect();
        let numbers = [0u64, 7, 42, 999, 1000, 9999, 10_000, 999_999, 1_000_000, 12_000_000, u64::MAX];
        let floats = [0.0, -0.0, 0.031, -2.5, 1e21, f64::NAN, f64::NEG_INFINITY, -2.2250738585072014e-308];
        for openmetrics in [false, true] {
            let mut room_buf = b"head".to_vec();
            room_buf.reserve(16 * 1024);
            let mut expected = b"head".to_vec();
            let mut room = Room::new(&mut room_buf, 16 * 1024).expect("reserved");
            for len in 0..=source.len() {
                room.put(&source[..len]);
                expected.put_slice(&source[..len]);
            }
            room.put_array(*b"} ");
            expected.put_slice(b"} ");
            for n in numbers {
                room.integer(n);
                room.whole(n, openmetrics);
                room.count(n, openmetrics);
                expected.put_slice(itoa::Buffer::new().format(n).as_bytes());
                write_whole(&mut expected, n, openmetrics);
                write_count(&mut expected, n, openmetrics);
            }
            for value in floats {
                room.value(value, openmetrics);
                write_value(&mut expected, value, openmetrics);
                let mut text = Vec::new();
                write_value(&mut text, value, openmetrics);
                assert!(text.len() < NUMBER_ROOM, "{value:e}");
            }
            room.done();
            assert_eq!(room_buf, expected, "openmetrics {openmetrics}");
        }
        let mut full = b"head".to_vec();
        full.shrink_to_fit();
        assert!(Room::new(&mut full, 65).is_none(), "a full Vec offers 64 bytes of room");
        repeat_copies_what_the_room_wrote(&source);
        let mut fixed = [0u8; 8];
        let mut slice = &mut fixed[..];
        assert!(Room::new(&mut slice, 9).is_none());
        let mut room = Room::new(&mut slice, 8).expect("8 bytes");
        room.put(b"12345678");
        room.done();
        assert_eq!(&fixed, b"12345678");
    }

    /// `Room::repeat` of every range of every length up to 100 written by the room (after bytes
    /// already in the buffer), against the same bytes appended by `BufMut`.
    fn repeat_copies_what_the_room_wrote(source: &[u8]) {
        for len in 0..=source.len() {
            for from in [0, 1, len / 2] {
                let mut room_buf = b"head".to_vec();
                room_buf.reserve(1024);
                let mut room = Room::new(&mut room_buf, 1024).expect("reserved");
                room.put(b"<");
                let at = room.written();
                room.put(&source[..len]);
                room.put_array(*b"|");
                let from = from.min(len);
                room.repeat(at + from, len - from);
                room.repeat(at, len);
                room.done();
                let mut expected = b"head<".to_vec();
                expected.extend_from_slice(&source[..len]);
                expected.push(b'|');
                expected.extend_from_slice(&source[from..len]);
                expected.extend_from_slice(&source[..len]);
                assert_eq!(room_buf, expected, "len {len} from {from}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "repeats only what was written")]
    fn repeat_refuses_bytes_not_written() {
        let mut buf = Vec::with_capacity(64);
        let mut room = Room::new(&mut buf, 64).expect("reserved");
        room.put(b"abc");
        room.repeat(2, 2);
    }

    #[test]
    fn put_short_appends_every_length_as_put_slice_does() {
        let source: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        for len in 0..=source.len() {
            let src = &source[..len];
            // A buffer with room, one that is exactly full (put_short must make room or fall back),
            // and a `BytesMut`; each after some bytes already written.
            let mut roomy = Vec::with_capacity(256);
            roomy.extend_from_slice(b"head");
            put_short(&mut roomy, src);
            put_short(&mut roomy, b"!");
            let mut full = b"head".to_vec();
            full.shrink_to_fit();
            put_short(&mut full, src);
            let mut bytes = bytes::BytesMut::new();
            put_short(&mut bytes, b"head");
            put_short(&mut bytes, src);
            let mut expected = b"head".to_vec();
            expected.extend_from_slice(src);
            assert_eq!(full, expected, "len {len}");
            assert_eq!(&bytes[..], &expected[..], "len {len}");
            expected.push(b'!');
            assert_eq!(roomy, expected, "len {len}");
        }
    }
}
