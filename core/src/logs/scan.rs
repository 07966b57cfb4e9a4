//! Structural-byte bitmaps for the parsers' hot loops: for each 64-byte block of a line or buffer,
//! which bytes are separators (SSE2 on x86_64, a plain loop elsewhere). Walking the bitmaps finds "the next tab" or
//! "the end of this key" with a few bit operations instead of a scan or a call into memchr.

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

/// Whether `byte` is in byte class `CLASS` (one of the constants above).
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

/// Walks the positions of one class of a line's structural bytes in order, from a bitmap computed 64
/// bytes at a time (SSE2 on x86_64): finding the next separator costs a few bit operations instead of
/// a scan. Each class gets its own walker, so that one running ahead never hides bytes from another.
#[derive(Debug)]
pub(crate) struct Stops<'b, const CLASS: u8> {
    bytes: &'b [u8],
    /// Offset of the 64-byte block `mask` describes.
    base: usize,
    /// Bit i set when `bytes[base + i]` is in the class.
    mask: u64,
}

impl<'b, const CLASS: u8> Stops<'b, CLASS> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'b [u8]) -> Self {
        Stops { bytes, base: 0, mask: block_mask::<CLASS>(bytes) }
    }

    /// The first byte of the class at or after `from`, or `bytes.len()`. Walks are fastest forward;
    /// a `from` before the current block (a walker that ran ahead on a bad line) starts over there.
    #[inline(always)]
    pub(crate) fn next_from(&mut self, from: usize) -> usize {
        if from < self.base {
            self.base = from & !63;
            self.mask = block_mask::<CLASS>(self.bytes.get(self.base..).unwrap_or_default());
        }
        loop {
            let shift = from.saturating_sub(self.base);
            if shift < 64 {
                let remaining = self.mask & (u64::MAX << shift);
                if remaining != 0 {
                    return self.base + remaining.trailing_zeros() as usize;
                }
            }
            let next_base = (self.base + 64).max(from & !63);
            if next_base >= self.bytes.len() {
                return self.bytes.len();
            }
            self.base = next_base;
            self.mask = block_mask::<CLASS>(self.bytes.get(next_base..).unwrap_or_default());
        }
    }
}

/// The bitmap of class bytes among the first 64 bytes of `rest`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask<const CLASS: u8>(rest: &[u8]) -> u64 {
    // SAFETY: SSE2 is part of the x86_64 baseline, so the target feature is always available.
    unsafe { sse2::block_mask::<CLASS>(rest) }
}

/// The bitmap of class bytes among the first 64 bytes of `rest`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_mask<const CLASS: u8>(rest: &[u8]) -> u64 {
    rest.iter().take(64).enumerate().fold(0, |mask, (i, &b)| mask | (u64::from(contains::<CLASS>(b)) << i))
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    use super::{contains, LOGFMT_TOKEN_END, LTSV_COLON, LTSV_TAB, LTSV_TAB_OR_NEWLINE};

    #[target_feature(enable = "sse2")]
    #[inline]
    fn load(chunk: &[u8; 16]) -> __m128i {
        // SAFETY: `chunk` is 16 readable bytes, and an unaligned load has no alignment requirement.
        unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) }
    }

    #[target_feature(enable = "sse2")]
    #[inline]
    fn chunk_mask<const CLASS: u8>(chunk: &[u8; 16]) -> u64 {
        let x = load(chunk);
        let eq = |byte: u8| _mm_cmpeq_epi8(x, _mm_set1_epi8(byte as i8));
        let hits = match CLASS {
            LTSV_TAB => eq(b'\t'),
            LTSV_COLON => eq(b':'),
            LOGFMT_TOKEN_END => {
                let blank = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(b' ' as i8)), x);
                _mm_or_si128(_mm_or_si128(blank, eq(b'=')), eq(b'"'))
            }
            LTSV_TAB_OR_NEWLINE => _mm_or_si128(eq(b'\t'), eq(b'\n')),
            _ => _mm_or_si128(_mm_or_si128(eq(b'"'), eq(b'\\')), eq(b'\n')),
        };
        u64::from(_mm_movemask_epi8(hits) as u16)
    }

    /// 16 bytes at a time with SSE2, the last partial chunk byte by byte.
    #[target_feature(enable = "sse2")]
    pub(super) fn block_mask<const CLASS: u8>(rest: &[u8]) -> u64 {
        if let Some(block) = rest.first_chunk::<64>() {
            // A whole block (all but a text's last): four chunks, no bounds to look at.
            let (chunks, _) = block.as_chunks::<16>();
            return chunks
                .iter()
                .enumerate()
                .fold(0, |mask, (i, chunk)| mask | chunk_mask::<CLASS>(chunk) << (16 * i));
        }
        let len = rest.len().min(64);
        let mut mask = 0;
        let mut i = 0;
        while i + 16 <= len {
            if let Some(chunk) = rest.get(i..).and_then(<[u8]>::first_chunk::<16>) {
                mask |= chunk_mask::<CLASS>(chunk) << i;
            }
            i += 16;
        }
        if i < len {
            // The last partial chunk: re-read the final 16 bytes (overlapping what is done) and keep
            // the new part; only a line shorter than 16 bytes goes byte by byte.
            let tail = len - i;
            match len
                .checked_sub(16)
                .and_then(|start| rest.get(start..len))
                .and_then(<[u8]>::first_chunk::<16>)
            {
                Some(last) => mask |= (chunk_mask::<CLASS>(last) >> (16 - tail)) << i,
                None => {
                    for (j, &b) in rest.iter().enumerate().take(len).skip(i) {
                        mask |= u64::from(contains::<CLASS>(b)) << j;
                    }
                }
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive<const CLASS: u8>(bytes: &[u8]) -> Vec<usize> {
        (0..bytes.len()).filter(|&i| contains::<CLASS>(bytes[i])).collect()
    }

    fn walk<const CLASS: u8>(bytes: &[u8]) -> Vec<usize> {
        let mut stops = Stops::<CLASS>::new(bytes);
        let mut got = Vec::new();
        let mut pos = 0;
        loop {
            let next = stops.next_from(pos);
            if next >= bytes.len() {
                return got;
            }
            got.push(next);
            pos = next + 1;
        }
    }

    proptest! {
        #[test]
        fn stops_visit_every_structural_byte_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\t'), Just(b':'), Just(b' '), Just(b'='),
                Just(b'"'), Just(b'\\'), Just(b'\n'), Just(0x80u8), Just(0xffu8), Just(0u8), Just(b'a')], 0..300),
        ) {
            prop_assert_eq!(walk::<LTSV_TAB>(&bytes), naive::<LTSV_TAB>(&bytes));
            prop_assert_eq!(walk::<LTSV_COLON>(&bytes), naive::<LTSV_COLON>(&bytes));
            prop_assert_eq!(walk::<LOGFMT_TOKEN_END>(&bytes), naive::<LOGFMT_TOKEN_END>(&bytes));
            prop_assert_eq!(walk::<LOGFMT_QUOTE_BACKSLASH_NEWLINE>(&bytes), naive::<LOGFMT_QUOTE_BACKSLASH_NEWLINE>(&bytes));
            prop_assert_eq!(walk::<LTSV_TAB_OR_NEWLINE>(&bytes), naive::<LTSV_TAB_OR_NEWLINE>(&bytes));
        }
    }

    #[test]
    fn jumps_ahead_across_blocks() {
        let mut line = vec![b'a'; 300];
        line[10] = b'\t';
        line[200] = b'\t';
        line[299] = b'\t';
        let mut tabs = Stops::<LTSV_TAB>::new(&line);
        assert_eq!(tabs.next_from(0), 10);
        assert_eq!(tabs.next_from(150), 200);
        assert_eq!(tabs.next_from(201), 299);
        assert_eq!(tabs.next_from(300), 300);
        // Back to an earlier block (after a walker ran ahead on a bad line): found again.
        assert_eq!(tabs.next_from(5), 10);
        assert_eq!(tabs.next_from(11), 200);
    }

    #[test]
    fn bytes_above_0x7f_are_not_blanks() {
        let line = "é\u{1}=x\"\u{7f}\u{80}ÿ\\".as_bytes();
        let mut ends = Stops::<LOGFMT_TOKEN_END>::new(line);
        let found: Vec<usize> =
            std::iter::successors(Some(ends.next_from(0)), |&p| Some(ends.next_from(p + 1)))
                .take_while(|&p| p < line.len())
                .collect();
        assert_eq!(found, [2, 3, 5]);
    }
}
