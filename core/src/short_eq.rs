//! [`same`]: byte equality for the short texts of the hot paths (host collection's family names,
//! helps, label values and kept lines; the log rules' keys and label values), compared inline with a
//! few word loads. A call of the C library's `memcmp` per comparison cost more than the comparison:
//! a tenth of a host collection, and a tenth of the log pipeline.

/// Whether `a` and `b` hold the same bytes: up to 16 bytes with two overlapping loads, longer texts
/// by their last eight bytes first (names mostly differ at their end), then eight bytes at a time.
///
/// ```text
/// same(b"node_load1", b"node_load1") == true; same(b"node_load1", b"node_load5") == false
/// ```
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=8 => half_at(a, 0) == half_at(b, 0) && half_at(a, n - 4) == half_at(b, n - 4),
        9..=16 => word_at(a, 0) == word_at(b, 0) && word_at(a, n - 8) == word_at(b, n - 8),
        _ => {
            // The last word overlaps the whole words before it, which covers any length.
            if word_at(a, n - 8) != word_at(b, n - 8) {
                return false;
            }
            let mut at = 0;
            while at + 8 < n {
                if word_at(a, at) != word_at(b, at) {
                    return false;
                }
                at += 8;
            }
            true
        }
    }
}

/// The 8 bytes of `bytes` at `at` as a word (native byte order), 0 when they are not all there.
#[inline(always)]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes.get(at..at + 8).unwrap_or(&[0; 8]));
    u64::from_ne_bytes(word)
}

/// The 4 bytes of `bytes` at `at` as a half word (native byte order), 0 when they are not all there.
#[inline(always)]
pub(crate) fn half_at(bytes: &[u8], at: usize) -> u32 {
    let mut half = [0u8; 4];
    half.copy_from_slice(bytes.get(at..at + 4).unwrap_or(&[0; 4]));
    u32::from_ne_bytes(half)
}
