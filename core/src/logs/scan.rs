//! Structural-byte bitmaps for the parsers' hot loops. A [`Stops`] walker classifies a window of a
//! line or buffer (up to 2 KiB) into two bitmaps at once, one bit per byte (AVX2 when the CPU has it,
//! SSE2 otherwise on x86_64, a plain loop elsewhere), in a tight loop of its own; then finding "the next
//! tab" or "the end of this key" is a few bit operations on a word of the bitmap instead of a scan.

/// LTSV's tab.
pub(crate) const LTSV_TAB: u8 = 0;
/// LTSV's colon.
pub(crate) const LTSV_COLON: u8 = 1;
/// What ends a logfmt key or unquoted value: any byte `<= b' '`, `=` and `"`.
pub(crate) const LOGFMT_TOKEN_END: u8 = 2;
/// What matters inside logfmt quotes: `"` and `\`, and `\n`, which ends a line of a buffer.
pub(crate) const LOGFMT_QUOTE_BACKSLASH_NEWLINE: u8 = 3;
/// What ends an LTSV field in a buffer of lines: a tab or a newline.
pub(crate) const LTSV_TAB_OR_NEWLINE: u8 = 4;

/// 64-bit words in a window: a window covers `64 * WORDS` bytes.
const WORDS: usize = 32;
/// Bytes in a window.
const WINDOW: usize = 64 * WORDS;

/// Whether `byte` is in byte class `CLASS` (one of the constants above): the portable classifier
/// and the tests' reference.
#[cfg(any(not(target_arch = "x86_64"), test))]
#[inline(always)]
fn contains<const CLASS: u8>(byte: u8) -> bool {
    match CLASS {
        LTSV_TAB => byte == b'\t',
        LTSV_COLON => byte == b':',
        LOGFMT_TOKEN_END => byte <= b' ' || byte == b'=' || byte == b'"',
        LTSV_TAB_OR_NEWLINE => byte == b'\t' || byte == b'\n',
        _ => byte == b'"' || byte == b'\\' || byte == b'\n',
    }
}

/// Walks the positions of two classes of a text's structural bytes (`FIRST` and `SECOND`, two of the
/// constants above), each in order, from bitmaps computed a window at a time. Both classes share the
/// window: walks are fastest forward, and a position before the window (a walk that ran ahead on a bad
/// line) starts the window over there. A parser walks class `FIRST` with a [`Cursor`] kept in its
/// locals ([`Stops::first_cursor`], [`Stops::next_first_at`]), class `SECOND` by position.
#[derive(Debug)]
pub(crate) struct Stops<'b, const FIRST: u8, const SECOND: u8> {
    bytes: &'b [u8],
    /// Offset of the window (a multiple of 64).
    base: usize,
    /// Words of the bitmaps filled for this window; bytes past the text have no bit set.
    filled: usize,
    /// Bit `i` of word `w` set when `bytes[base + 64 * w + i]` is in class `FIRST`.
    first: [u64; WORDS],
    /// The same for class `SECOND`.
    second: [u64; WORDS],
}

impl<'b, const FIRST: u8, const SECOND: u8> Stops<'b, FIRST, SECOND> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'b [u8]) -> Self {
        let mut stops = Stops { bytes, base: 0, filled: 0, first: [0; WORDS], second: [0; WORDS] };
        stops.fill(0);
        stops
    }

    /// The first byte of class `FIRST` at or after `from`, or `bytes.len()` (the tests' walk by
    /// position; parsers use a cursor).
    #[cfg(test)]
    pub(crate) fn next_first(&mut self, from: usize) -> usize {
        self.next::<false>(from)
    }

    /// A cursor over the stops of class `FIRST` at or after `from`, for [`Stops::next_first_at`]: a
    /// parser keeps it in locals for a line, so the walk stays off memory (a walk resumed from a
    /// position kept in the walker cost a compare, three loads and three stores per stop). Valid
    /// until the window moves by another walk ([`Stops::next_second`] past it).
    #[inline(always)]
    pub(crate) fn first_cursor(&mut self, from: usize) -> Cursor {
        Cursor::start(self, from)
    }

    /// The cursor's next stop of class `FIRST` (consumed), or `bytes.len()` when there is none left.
    #[inline(always)]
    pub(crate) fn next_first_at(&mut self, cursor: &mut Cursor) -> usize {
        cursor.next_stop(self)
    }

    /// The first byte of class `SECOND` at or after `from`, or `bytes.len()`.
    #[inline(always)]
    pub(crate) fn next_second(&mut self, from: usize) -> usize {
        self.next::<true>(from)
    }

    #[inline(always)]
    fn next<const SECOND_CLASS: bool>(&mut self, from: usize) -> usize {
        let mut rel = from.wrapping_sub(self.base);
        if rel >= 64 * self.filled {
            if from >= self.bytes.len() {
                return self.bytes.len();
            }
            self.fill(from & !63);
            rel = from - self.base;
        }
        let mut word = rel / 64;
        let mut bits = self.word::<SECOND_CLASS>(word) & (u64::MAX << (rel % 64));
        loop {
            if bits != 0 {
                return self.base + 64 * word + bits.trailing_zeros() as usize;
            }
            word += 1;
            if word >= self.filled {
                let next_base = self.base + 64 * self.filled;
                if next_base >= self.bytes.len() {
                    return self.bytes.len();
                }
                self.fill(next_base);
                word = 0;
            }
            bits = self.word::<SECOND_CLASS>(word);
        }
    }

    #[inline(always)]
    fn word<const SECOND_CLASS: bool>(&self, word: usize) -> u64 {
        let words = if SECOND_CLASS { &self.second } else { &self.first };
        words.get(word).copied().unwrap_or_default()
    }

    /// Classifies the window starting at `base` (a multiple of 64).
    #[inline(never)]
    fn fill(&mut self, base: usize) {
        self.base = base;
        self.filled =
            fill_window::<FIRST, SECOND, false>(self.bytes, base, &mut self.first, &mut self.second);
    }
}

/// One bitmap of the bytes in either of two classes (`FIRST` or `SECOND`), a window at a time, walked
/// with a [`Cursor`] that a parser keeps in locals for a whole line: for a parser that tells the
/// classes apart by the byte at each stop (LTSV: a colon or a field end), this halves the bitmaps'
/// work and keeps the walk off memory.
#[derive(Debug)]
pub(crate) struct Union<'b, const FIRST: u8, const SECOND: u8> {
    bytes: &'b [u8],
    /// Offset of the window (a multiple of 64).
    base: usize,
    /// Words of `words` filled for this window; bytes past the text have no bit set.
    filled: usize,
    /// Bit `i` of word `w` set when `bytes[base + 64 * w + i]` is in either class.
    words: [u64; WORDS],
}

/// Where a walk of a [`Union`] stands: the window word it is in and that word's stops not yet
/// returned. Valid until the union's window is moved by another cursor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    /// Offset of bit 0 of `bits`.
    at: usize,
    /// The window word `bits` came from.
    word: usize,
    bits: u64,
}

impl<'b, const FIRST: u8, const SECOND: u8> Union<'b, FIRST, SECOND> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'b [u8]) -> Self {
        let mut union = Union { bytes, base: 0, filled: 0, words: [0; WORDS] };
        union.fill(0);
        union
    }

    /// A cursor at `from`: its first stop is the first one at or after `from`.
    #[inline(always)]
    pub(crate) fn cursor(&mut self, from: usize) -> Cursor {
        Cursor::start(self, from)
    }

    /// The cursor's next stop (consumed), or `bytes.len()` when there is none left.
    #[inline(always)]
    pub(crate) fn next(&mut self, cursor: &mut Cursor) -> usize {
        cursor.next_stop(self)
    }

    /// Classifies the window starting at `base` (a multiple of 64).
    #[inline(never)]
    fn fill(&mut self, base: usize) {
        self.base = base;
        let mut unused = [0u64; WORDS];
        self.filled = fill_window::<FIRST, SECOND, true>(self.bytes, base, &mut self.words, &mut unused);
    }
}

/// A window of stop bitmaps that a [`Cursor`] walks: [`Stops`]' class `FIRST`, or a [`Union`].
trait CursorWindow {
    /// The length of the text.
    fn text_len(&self) -> usize;
    /// Offset of the window (a multiple of 64) and the words filled for it.
    fn window(&self) -> (usize, usize);
    /// Word `word` of the bitmap walked (zero past the filled words).
    fn walked_word(&self, word: usize) -> u64;
    /// Classifies the window starting at `base` (a multiple of 64).
    fn fill_at(&mut self, base: usize);
}

impl<const FIRST: u8, const SECOND: u8> CursorWindow for Stops<'_, FIRST, SECOND> {
    #[inline(always)]
    fn text_len(&self) -> usize {
        self.bytes.len()
    }
    #[inline(always)]
    fn window(&self) -> (usize, usize) {
        (self.base, self.filled)
    }
    #[inline(always)]
    fn walked_word(&self, word: usize) -> u64 {
        self.first.get(word).copied().unwrap_or_default()
    }
    #[inline(always)]
    fn fill_at(&mut self, base: usize) {
        self.fill(base);
    }
}

impl<const FIRST: u8, const SECOND: u8> CursorWindow for Union<'_, FIRST, SECOND> {
    #[inline(always)]
    fn text_len(&self) -> usize {
        self.bytes.len()
    }
    #[inline(always)]
    fn window(&self) -> (usize, usize) {
        (self.base, self.filled)
    }
    #[inline(always)]
    fn walked_word(&self, word: usize) -> u64 {
        self.words.get(word).copied().unwrap_or_default()
    }
    #[inline(always)]
    fn fill_at(&mut self, base: usize) {
        self.fill(base);
    }
}

impl Cursor {
    /// A cursor whose first stop is the first one at or after `from` (moving the window there if
    /// `from` is outside it).
    #[inline(always)]
    fn start<W: CursorWindow>(window: &mut W, from: usize) -> Cursor {
        let (mut base, filled) = window.window();
        let mut rel = from.wrapping_sub(base);
        if rel >= 64 * filled {
            if from >= window.text_len() {
                return Cursor::at_end(window);
            }
            window.fill_at(from & !63);
            base = window.window().0;
            rel = from - base;
        }
        let word = rel / 64;
        let bits = window.walked_word(word) & (u64::MAX << (rel % 64));
        Cursor { at: base + 64 * word, word, bits }
    }

    /// A cursor with no stop left (at the end of the text).
    #[cold]
    fn at_end<W: CursorWindow>(window: &mut W) -> Cursor {
        let (base, filled) = window.window();
        if base + 64 * filled < window.text_len() {
            window.fill_at(window.text_len().saturating_sub(1) & !63);
        }
        let (base, filled) = window.window();
        let word = filled.saturating_sub(1);
        Cursor { at: base + 64 * word, word, bits: 0 }
    }

    /// The next stop (consumed), or the text's length when there is none left.
    #[inline(always)]
    fn next_stop<W: CursorWindow>(&mut self, window: &mut W) -> usize {
        loop {
            if self.bits != 0 {
                let stop = self.at + self.bits.trailing_zeros() as usize;
                self.bits &= self.bits - 1;
                return stop;
            }
            if self.word + 1 < window.window().1 {
                self.word += 1;
                self.at += 64;
            } else {
                // Out of line, and given nothing of the cursor, which so stays in registers.
                let Some(next_base) = next_window(window) else { return window.text_len() };
                self.word = 0;
                self.at = next_base;
            }
            self.bits = window.walked_word(self.word);
        }
    }
}

/// Moves `window` to the next one: its offset, or `None` at the end of the text.
#[inline(never)]
fn next_window<W: CursorWindow>(window: &mut W) -> Option<usize> {
    let (base, filled) = window.window();
    let next_base = base + 64 * filled;
    if next_base >= window.text_len() {
        return None;
    }
    window.fill_at(next_base);
    Some(next_base)
}

/// Classifies the window of `bytes` starting at `base` (a multiple of 64) with [`fill_blocks`] into
/// `first` and `second` (with `UNION`, into `first` alone); returns the words filled. Bits past the
/// text are clear.
#[inline(always)]
fn fill_window<const FIRST: u8, const SECOND: u8, const UNION: bool>(
    bytes: &[u8],
    base: usize,
    first: &mut [u64; WORDS],
    second: &mut [u64; WORDS],
) -> usize {
    let rest = bytes.get(base..).unwrap_or_default();
    let window = &rest[..rest.len().min(WINDOW)];
    let (blocks, tail) = window.as_chunks::<64>();
    fill_blocks::<FIRST, SECOND, UNION>(blocks, first, second);
    if !tail.is_empty() {
        // The last partial block: padded with a byte in no class, its padding bits cleared.
        let mut block = [b'a'; 64];
        block[..tail.len()].copy_from_slice(tail);
        // Classified with the same vector code as the full blocks: a line shorter than the
        // window (the tailer's case: one line per call) would otherwise spend most of its scan
        // in the byte-at-a-time loop.
        let keep = u64::MAX >> (64 - tail.len());
        let (mut last_first, mut last_second) = ([0u64; WORDS], [0u64; WORDS]);
        fill_blocks::<FIRST, SECOND, UNION>(std::slice::from_ref(&block), &mut last_first, &mut last_second);
        if let Some(word) = first.get_mut(blocks.len()) {
            *word = last_first[0] & keep;
        }
        if let (false, Some(word)) = (UNION, second.get_mut(blocks.len())) {
            *word = last_second[0] & keep;
        }
    }
    window.len().div_ceil(64)
}

/// The bitmaps of both classes for each 64-byte block, into `first` and `second`; with `UNION`, the
/// bitmap of either class into `first` alone (`second` untouched).
#[inline(always)]
fn fill_blocks<const FIRST: u8, const SECOND: u8, const UNION: bool>(
    blocks: &[[u8; 64]],
    first: &mut [u64; WORDS],
    second: &mut [u64; WORDS],
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { x86::fill_avx2::<FIRST, SECOND, UNION>(blocks, first, second) };
        } else {
            // SAFETY: SSE2 is part of the x86_64 baseline.
            unsafe { x86::fill_sse2::<FIRST, SECOND, UNION>(blocks, first, second) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for ((block, first), second) in blocks.iter().zip(first.iter_mut()).zip(second.iter_mut()) {
        let (a, b) = classify_portable::<FIRST, SECOND>(block);
        if UNION {
            *first = a | b;
        } else {
            (*first, *second) = (a, b);
        }
    }
}

/// The two classes' bitmaps of one block, a byte at a time (the fallback off x86_64, and the tests'
/// reference for the vector code).
#[cfg(any(not(target_arch = "x86_64"), test))]
#[inline(always)]
fn classify_portable<const FIRST: u8, const SECOND: u8>(block: &[u8; 64]) -> (u64, u64) {
    block.iter().enumerate().fold((0, 0), |(first, second), (i, &b)| {
        (first | u64::from(contains::<FIRST>(b)) << i, second | u64::from(contains::<SECOND>(b)) << i)
    })
}

#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive<const CLASS: u8>(bytes: &[u8]) -> Vec<usize> {
        (0..bytes.len()).filter(|&i| contains::<CLASS>(bytes[i])).collect()
    }

    /// Every stop of both classes, walking the two interleaved (as the parsers do).
    fn walk<const FIRST: u8, const SECOND: u8>(bytes: &[u8]) -> (Vec<usize>, Vec<usize>) {
        let mut stops = Stops::<FIRST, SECOND>::new(bytes);
        let (mut first, mut second) = (Vec::new(), Vec::new());
        let (mut a, mut b) = (0, 0);
        while a < bytes.len() || b < bytes.len() {
            if a < bytes.len() {
                a = stops.next_first(a);
                if a < bytes.len() {
                    first.push(a);
                    a += 1;
                }
            }
            if b < bytes.len() && b <= a {
                b = stops.next_second(b);
                if b < bytes.len() {
                    second.push(b);
                    b += 1;
                }
            }
        }
        (first, second)
    }

    fn check<const FIRST: u8, const SECOND: u8>(bytes: &[u8]) -> Result<(), TestCaseError> {
        let (first, second) = walk::<FIRST, SECOND>(bytes);
        prop_assert_eq!(first, naive::<FIRST>(bytes));
        prop_assert_eq!(second, naive::<SECOND>(bytes));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn stops_visit_every_structural_byte_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\t'), Just(b':'), Just(b' '), Just(b'='),
                Just(b'"'), Just(b'\\'), Just(b'\n'), Just(0x80u8), Just(0xffu8), Just(0u8), Just(b'a'),
                Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a')], 0..2200),
        ) {
            check::<LTSV_TAB, LTSV_COLON>(&bytes)?;
            check::<LTSV_TAB_OR_NEWLINE, LTSV_COLON>(&bytes)?;
            check::<LOGFMT_TOKEN_END, LOGFMT_QUOTE_BACKSLASH_NEWLINE>(&bytes)?;
        }
    }

    /// Every stop of a [`Union`] from `from`, with a cursor made at each line start (as LTSV does).
    fn union_walk<const FIRST: u8, const SECOND: u8>(bytes: &[u8], from: usize) -> Vec<usize> {
        let mut union = Union::<FIRST, SECOND>::new(bytes);
        let mut cursor = union.cursor(from);
        let mut found = Vec::new();
        loop {
            let stop = union.next(&mut cursor);
            if stop >= bytes.len() {
                assert_eq!(union.next(&mut cursor), bytes.len(), "the end stays the end");
                return found;
            }
            found.push(stop);
            if bytes[stop] == b'\n' {
                cursor = union.cursor(stop + 1);
            }
        }
    }

    fn check_union<const FIRST: u8, const SECOND: u8>(
        bytes: &[u8],
        from: usize,
    ) -> Result<(), TestCaseError> {
        let from = from.min(bytes.len());
        let expected: Vec<usize> = (from..bytes.len())
            .filter(|&i| contains::<FIRST>(bytes[i]) || contains::<SECOND>(bytes[i]))
            .collect();
        prop_assert_eq!(union_walk::<FIRST, SECOND>(bytes, from), expected);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn union_visits_every_byte_of_either_class_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\t'), Just(b':'), Just(b'\n'), Just(0x80u8),
                Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a')], 0..4500),
            from in 0usize..4600,
        ) {
            check_union::<LTSV_TAB, LTSV_COLON>(&bytes, from)?;
            check_union::<LTSV_TAB_OR_NEWLINE, LTSV_COLON>(&bytes, from)?;
        }
    }

    /// The `FIRST` stops from `from` walked with a cursor, as logfmt walks them: at each `SECOND` stop
    /// right after a `FIRST` one, a walk of the other class to its next stop (which may move the
    /// window), then a new cursor past that stop; returns the `FIRST` stops seen and skipped ranges.
    fn cursor_walk<const FIRST: u8, const SECOND: u8>(bytes: &[u8], from: usize) -> (Vec<usize>, Vec<usize>) {
        let mut stops = Stops::<FIRST, SECOND>::new(bytes);
        let mut cursor = stops.first_cursor(from);
        let (mut found, mut skipped) = (Vec::new(), Vec::new());
        loop {
            let stop = stops.next_first_at(&mut cursor);
            if stop >= bytes.len() {
                assert_eq!(stops.next_first_at(&mut cursor), bytes.len(), "the end stays the end");
                return (found, skipped);
            }
            found.push(stop);
            if contains::<SECOND>(bytes[stop]) {
                let other = stops.next_second(stop + 1);
                skipped.push(other);
                if other >= bytes.len() {
                    return (found, skipped);
                }
                cursor = stops.first_cursor(other + 1);
            }
        }
    }

    fn check_cursor<const FIRST: u8, const SECOND: u8>(
        bytes: &[u8],
        from: usize,
    ) -> Result<(), TestCaseError> {
        let from = from.min(bytes.len());
        let (mut expected, mut skipped) = (Vec::new(), Vec::new());
        let mut i = from;
        while i < bytes.len() {
            if contains::<FIRST>(bytes[i]) {
                expected.push(i);
                if contains::<SECOND>(bytes[i]) {
                    let other =
                        (i + 1..bytes.len()).find(|&j| contains::<SECOND>(bytes[j])).unwrap_or(bytes.len());
                    skipped.push(other);
                    i = other;
                }
            }
            i += 1;
        }
        prop_assert_eq!(cursor_walk::<FIRST, SECOND>(bytes, from), (expected, skipped));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn cursors_visit_every_first_class_byte_across_windows(
            bytes in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'='), Just(b'"'), Just(b'\\'),
                Just(b'\n'), Just(0x80u8), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'),
                Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a'), Just(b'a')], 0..4500),
            from in 0usize..4600,
        ) {
            check_cursor::<LOGFMT_TOKEN_END, LOGFMT_QUOTE_BACKSLASH_NEWLINE>(&bytes, from)?;
        }
    }

    fn check_blocks<const FIRST: u8, const SECOND: u8>(block: &[u8; 64]) -> Result<(), TestCaseError> {
        let (a, b) = classify_portable::<FIRST, SECOND>(block);
        let (mut first, mut second) = ([0u64; WORDS], [0u64; WORDS]);
        fill_blocks::<FIRST, SECOND, false>(std::slice::from_ref(block), &mut first, &mut second);
        prop_assert_eq!((first[0], second[0]), (a, b));
        fill_blocks::<FIRST, SECOND, true>(std::slice::from_ref(block), &mut first, &mut [0u64; WORDS]);
        prop_assert_eq!(first[0], a | b);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn vector_classifiers_match_the_portable_one(bytes in proptest::collection::vec(any::<u8>(), 64)) {
            let mut block = [0u8; 64];
            block.copy_from_slice(&bytes);
            check_blocks::<LTSV_TAB, LTSV_COLON>(&block)?;
            check_blocks::<LTSV_TAB_OR_NEWLINE, LTSV_COLON>(&block)?;
            check_blocks::<LOGFMT_TOKEN_END, LOGFMT_QUOTE_BACKSLASH_NEWLINE>(&block)?;
        }
    }

    #[test]
    fn union_cursors_go_back_to_earlier_windows_and_stop_at_the_end() {
        let mut line = vec![b'a'; 5000];
        for at in [10, 2047, 2048, 4999] {
            line[at] = b':';
        }
        let mut union = Union::<LTSV_TAB, LTSV_COLON>::new(&line);
        let mut cursor = union.cursor(4000);
        assert_eq!(union.next(&mut cursor), 4999);
        assert_eq!(union.next(&mut cursor), 5000);
        let mut cursor = union.cursor(3);
        assert_eq!((union.next(&mut cursor), union.next(&mut cursor)), (10, 2047));
        assert_eq!(union.next(&mut cursor), 2048);
        let mut cursor = union.cursor(6000);
        assert_eq!(union.next(&mut cursor), 5000);
        let mut empty = Union::<LTSV_TAB, LTSV_COLON>::new(b"");
        let mut cursor = empty.cursor(0);
        assert_eq!(empty.next(&mut cursor), 0);
    }

    #[test]
    fn jumps_ahead_across_blocks_and_windows() {
        let mut line = vec![b'a'; 5000];
        for at in [10, 200, 2047, 2048, 4999] {
            line[at] = b'\t';
        }
        line[3000] = b':';
        let mut stops = Stops::<LTSV_TAB, LTSV_COLON>::new(&line);
        assert_eq!(stops.next_first(0), 10);
        assert_eq!(stops.next_first(150), 200);
        assert_eq!(stops.next_first(201), 2047);
        assert_eq!(stops.next_first(2048), 2048);
        assert_eq!(stops.next_second(2049), 3000);
        assert_eq!(stops.next_first(2049), 4999);
        assert_eq!(stops.next_first(5000), 5000);
        assert_eq!(stops.next_second(3001), 5000);
        // Back to an earlier window (after a walk ran ahead on a bad line): found again.
        assert_eq!(stops.next_first(5), 10);
        assert_eq!(stops.next_first(11), 200);
        assert_eq!(stops.next_second(0), 3000);
    }

    #[test]
    fn bytes_above_0x7f_are_not_blanks() {
        let line = "é\u{1}=x\"\u{7f}\u{80}ÿ\\".as_bytes();
        let mut ends = Stops::<LOGFMT_TOKEN_END, LOGFMT_QUOTE_BACKSLASH_NEWLINE>::new(line);
        let found: Vec<usize> =
            std::iter::successors(Some(ends.next_first(0)), |&p| Some(ends.next_first(p + 1)))
                .take_while(|&p| p < line.len())
                .collect();
        assert_eq!(found, [2, 3, 5]);
    }
}
