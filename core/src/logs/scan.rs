//! Structural-byte bitmaps for the parsers' hot loops: for each 64-byte block of a line, which bytes
//! are separators (SSE2 on x86_64, a plain loop elsewhere). Walking the bitmaps finds "the next tab" or
//! "the end of this key" with a few bit operations instead of a scan or a call into memchr.

/// Which bytes a [`Stops`] walker stops at: two classes per format, walked independently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopSet {
    /// LTSV: class 0 is the tab, class 1 the colon.
    Ltsv,
    /// logfmt: class 0 ends a key or unquoted value (any byte `<= b' '`, `=`, `"`), class 1 matters
    /// inside quotes (`"` and `\`).
    Logfmt,
}

/// Class 0 of a [`StopSet`].
pub(crate) const PRIMARY: usize = 0;
/// Class 1 of a [`StopSet`].
pub(crate) const SECONDARY: usize = 1;

impl StopSet {
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn contains(self, class: usize, byte: u8) -> bool {
        match (self, class) {
            (StopSet::Ltsv, PRIMARY) => byte == b'\t',
            (StopSet::Ltsv, _) => byte == b':',
            (StopSet::Logfmt, PRIMARY) => byte <= b' ' || byte == b'=' || byte == b'"',
            (StopSet::Logfmt, _) => byte == b'"' || byte == b'\\',
        }
    }
}

/// Walks the positions of one class of a line's structural bytes in order, from a bitmap computed 64
/// bytes at a time (SSE2 on x86_64): finding the next separator costs a few bit operations instead of
/// a scan. Each class gets its own walker, so that one running ahead never hides bytes from another.
#[derive(Debug)]
pub(crate) struct Stops<'b> {
    bytes: &'b [u8],
    set: StopSet,
    class: usize,
    /// Offset of the 64-byte block `mask` describes.
    base: usize,
    /// Bit i set when `bytes[base + i]` is in the class.
    mask: u64,
}

impl<'b> Stops<'b> {
    #[inline(always)]
    pub(crate) fn new(bytes: &'b [u8], set: StopSet, class: usize) -> Self {
        Stops { bytes, set, class, base: 0, mask: block_mask(bytes, 0, set, class) }
    }

    /// The first byte of the class at or after `from`, or `bytes.len()`. Walks only go forward: `from`
    /// must not lie before the block of an earlier answer.
    #[inline(always)]
    pub(crate) fn next_from(&mut self, from: usize) -> usize {
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
            self.mask = block_mask(self.bytes, next_base, self.set, self.class);
        }
    }
}

/// The bitmap of `class` bytes in `bytes[base..base + 64]` (bits past the end are clear).
#[inline(always)]
fn block_mask(bytes: &[u8], base: usize, set: StopSet, class: usize) -> u64 {
    let rest = bytes.get(base..).unwrap_or_default();
    let mut block = [b'a'; 64]; // 'a' is in no class
    let block: &[u8; 64] = match rest.first_chunk::<64>() {
        Some(full) => full,
        None => {
            block[..rest.len()].copy_from_slice(rest);
            &block
        }
    };
    block_mask_64(block, set, class)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_mask_64(block: &[u8; 64], set: StopSet, class: usize) -> u64 {
    // SAFETY: SSE2 is part of the x86_64 baseline, so the target feature is always available.
    unsafe { sse2::block_mask_64(block, set, class) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_mask_64(block: &[u8; 64], set: StopSet, class: usize) -> u64 {
    block.iter().enumerate().fold(0, |mask, (i, &b)| mask | (u64::from(set.contains(class, b)) << i))
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
    };

    use super::{StopSet, PRIMARY};

    #[target_feature(enable = "sse2")]
    fn load(chunk: &[u8; 16]) -> __m128i {
        let (lo, hi) = chunk.split_at(8);
        let lo = lo.first_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
        let hi = hi.first_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
        _mm_set_epi64x(hi as i64, lo as i64)
    }

    #[target_feature(enable = "sse2")]
    fn chunk_mask(chunk: &[u8; 16], set: StopSet, class: usize) -> u64 {
        let x = load(chunk);
        let eq = |byte: u8| _mm_cmpeq_epi8(x, _mm_set1_epi8(byte as i8));
        let hits = match (set, class) {
            (StopSet::Ltsv, PRIMARY) => eq(b'\t'),
            (StopSet::Ltsv, _) => eq(b':'),
            (StopSet::Logfmt, PRIMARY) => {
                let blank = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(b' ' as i8)), x);
                _mm_or_si128(_mm_or_si128(blank, eq(b'=')), eq(b'"'))
            }
            (StopSet::Logfmt, _) => _mm_or_si128(eq(b'"'), eq(b'\\')),
        };
        u64::from(_mm_movemask_epi8(hits) as u16)
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn block_mask_64(block: &[u8; 64], set: StopSet, class: usize) -> u64 {
        let mut mask = 0;
        for (i, chunk) in block.chunks_exact(16).enumerate() {
            if let Some(chunk) = chunk.first_chunk::<16>() {
                mask |= chunk_mask(chunk, set, class) << (16 * i);
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stops_visit_every_structural_byte_in_order(
            bytes in proptest::collection::vec(prop_oneof![Just(b'\t'), Just(b':'), Just(b' '), Just(b'='),
                Just(b'"'), Just(b'\\'), Just(0x80u8), Just(0xffu8), Just(0u8), Just(b'a')], 0..300),
            ltsv in any::<bool>(),
            class in 0usize..2,
        ) {
            let set = if ltsv { StopSet::Ltsv } else { StopSet::Logfmt };
            let expected: Vec<usize> = (0..bytes.len()).filter(|&i| set.contains(class, bytes[i])).collect();
            let mut stops = Stops::new(&bytes, set, class);
            let mut got = Vec::new();
            let mut pos = 0;
            loop {
                let next = stops.next_from(pos);
                if next >= bytes.len() {
                    break;
                }
                got.push(next);
                pos = next + 1;
            }
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn jumps_ahead_across_blocks() {
        let mut line = vec![b'a'; 300];
        line[10] = b'\t';
        line[200] = b'\t';
        line[299] = b'\t';
        let mut tabs = Stops::new(&line, StopSet::Ltsv, PRIMARY);
        assert_eq!(tabs.next_from(0), 10);
        assert_eq!(tabs.next_from(150), 200);
        assert_eq!(tabs.next_from(201), 299);
        assert_eq!(tabs.next_from(300), 300);
    }

    #[test]
    fn bytes_above_0x7f_are_not_blanks() {
        let line = "é\u{1}=x\"\u{7f}\u{80}ÿ\\".as_bytes();
        let mut ends = Stops::new(line, StopSet::Logfmt, PRIMARY);
        let found: Vec<usize> =
            std::iter::successors(Some(ends.next_from(0)), |&p| Some(ends.next_from(p + 1)))
                .take_while(|&p| p < line.len())
                .collect();
        assert_eq!(found, [2, 3, 5]);
    }
}
