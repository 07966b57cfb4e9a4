//! The x86_64 classifiers of the scan windows (see `scan.rs`): both class bitmaps of each 64-byte
//! block, 32 bytes at a time with AVX2 or 16 with SSE2 (the x86_64 baseline).

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
    _mm256_or_si256, _mm256_set1_epi8, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8,
    _mm_or_si128, _mm_set1_epi8,
};

use super::{LOGFMT_TOKEN_END, LTSV_COLON, LTSV_TAB, LTSV_TAB_OR_NEWLINE, WORDS};

/// One classifier per vector width: `$fill` writes both bitmaps of every block, `$width` bytes
/// at a time, with `$hits` (a class's matching bytes in one vector).
macro_rules! classifier {
    ($fill:ident, $hits:ident, $feature:literal, $width:literal, $vector:ty, $bits:ty,
     $load:ident, $cmpeq:ident, $set1:ident, $min:ident, $or:ident, $movemask:ident) => {
        /// Both bitmaps of every block.
        #[target_feature(enable = $feature)]
        pub(super) fn $fill<const FIRST: u8, const SECOND: u8, const UNION: bool>(
            blocks: &[[u8; 64]],
            first: &mut [u64; WORDS],
            second: &mut [u64; WORDS],
        ) {
            for ((block, first), second) in blocks.iter().zip(first.iter_mut()).zip(second.iter_mut()) {
                let (chunks, _) = block.as_chunks::<$width>();
                let (mut a, mut b) = (0u64, 0u64);
                for (i, chunk) in chunks.iter().enumerate() {
                    // SAFETY: `chunk` is `$width` readable bytes, and an unaligned load has no
                    // alignment requirement.
                    let x = unsafe { $load(chunk.as_ptr().cast()) };
                    if UNION {
                        let either = $or($hits::<FIRST>(x), $hits::<SECOND>(x));
                        a |= u64::from($movemask(either) as $bits) << ($width * i);
                    } else {
                        a |= u64::from($movemask($hits::<FIRST>(x)) as $bits) << ($width * i);
                        b |= u64::from($movemask($hits::<SECOND>(x)) as $bits) << ($width * i);
                    }
                }
                *first = a;
                if !UNION {
                    *second = b;
                }
            }
        }

        #[target_feature(enable = $feature)]
        #[inline]
        fn $hits<const CLASS: u8>(x: $vector) -> $vector {
            let eq = |byte: u8| $cmpeq(x, $set1(byte as i8));
            match CLASS {
                LTSV_TAB => eq(b'\t'),
                LTSV_COLON => eq(b':'),
                LOGFMT_TOKEN_END => {
                    let blank = $cmpeq($min(x, $set1(b' ' as i8)), x);
                    $or($or(blank, eq(b'=')), eq(b'"'))
                }
                LTSV_TAB_OR_NEWLINE => $or(eq(b'\t'), eq(b'\n')),
                _ => $or($or(eq(b'"'), eq(b'\\')), eq(b'\n')),
            }
        }
    };
}

classifier!(
    fill_avx2,
    hits256,
    "avx2",
    32,
    __m256i,
    u32,
    _mm256_loadu_si256,
    _mm256_cmpeq_epi8,
    _mm256_set1_epi8,
    _mm256_min_epu8,
    _mm256_or_si256,
    _mm256_movemask_epi8
);
classifier!(
    fill_sse2,
    hits128,
    "sse2",
    16,
    __m128i,
    u16,
    _mm_loadu_si128,
    _mm_cmpeq_epi8,
    _mm_set1_epi8,
    _mm_min_epu8,
    _mm_or_si128,
    _mm_movemask_epi8
);
