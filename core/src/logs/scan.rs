//! Byte scanning eight bytes at a time (SWAR on `u64` words) for the parsers' hot loops: short
//! searches like "the next tab" or "the end of this key" are faster inline than a call into memchr.
//!
//! Each mask function sets the high bit of every byte that matches, with one caveat: a borrow can set
//! a false bit *above* a true match, never below one, so only the lowest set bit is meaningful, which
//! is all a "find the first" search needs.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn splat(byte: u8) -> u64 {
    ONES * u64::from(byte)
}

/// High bit set in the lowest byte of `word` equal to `byte` (and possibly in later ones).
#[inline(always)]
fn eq_mask(word: u64, byte: u8) -> u64 {
    let x = word ^ splat(byte);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// High bit set in the lowest byte of `word` below `bound` (`bound` <= 128).
#[inline(always)]
fn lt_mask(word: u64, bound: u8) -> u64 {
    word.wrapping_sub(splat(bound)) & !word & HIGHS
}

#[inline(always)]
fn word_at(bytes: &[u8], pos: usize) -> Option<u64> {
    bytes.get(pos..).and_then(<[u8]>::first_chunk::<8>).map(|chunk| u64::from_le_bytes(*chunk))
}

#[inline(always)]
fn first_set_byte(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Index of the first `byte` at or after `from`, or `None`.
#[inline(always)]
pub(crate) fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    let mut pos = from;
    while let Some(word) = word_at(bytes, pos) {
        let mask = eq_mask(word, byte);
        if mask != 0 {
            return Some(pos + first_set_byte(mask));
        }
        pos += 8;
    }
    bytes.get(pos..)?.iter().position(|&b| b == byte).map(|i| pos + i)
}

/// Index of the first byte at or after `from` that is `<= b' '`, `=` or `"` (what ends a logfmt key
/// or unquoted value), or `bytes.len()` when there is none.
#[inline(always)]
pub(crate) fn find_logfmt_stop(bytes: &[u8], from: usize) -> usize {
    let mut pos = from;
    while let Some(word) = word_at(bytes, pos) {
        let mask = lt_mask(word, b' ' + 1) | eq_mask(word, b'=') | eq_mask(word, b'"');
        if mask != 0 {
            return pos + first_set_byte(mask);
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if b <= b' ' || b == b'=' || b == b'"' {
            return pos;
        }
        pos += 1;
    }
    bytes.len()
}

/// Index of the first `"` or `\` at or after `from`, or `None`.
#[inline(always)]
pub(crate) fn find_quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while let Some(word) = word_at(bytes, pos) {
        let mask = eq_mask(word, b'"') | eq_mask(word, b'\\');
        if mask != 0 {
            return Some(pos + first_set_byte(mask));
        }
        pos += 8;
    }
    bytes.get(pos..)?.iter().position(|&b| b == b'"' || b == b'\\').map(|i| pos + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_stop(bytes: &[u8], from: usize) -> usize {
        (from..bytes.len())
            .find(|&i| bytes[i] <= b' ' || bytes[i] == b'=' || bytes[i] == b'"')
            .unwrap_or(bytes.len())
    }

    proptest! {
        #[test]
        fn swar_matches_naive(bytes in proptest::collection::vec(any::<u8>(), 0..64), from in 0usize..70, byte in any::<u8>()) {
            let from = from.min(bytes.len());
            prop_assert_eq!(find_byte(&bytes, from, byte), (from..bytes.len()).find(|&i| bytes[i] == byte));
            prop_assert_eq!(find_logfmt_stop(&bytes, from), naive_stop(&bytes, from));
            prop_assert_eq!(
                find_quote_or_backslash(&bytes, from),
                (from..bytes.len()).find(|&i| bytes[i] == b'"' || bytes[i] == b'\\')
            );
        }
    }

    #[test]
    fn high_bytes_and_borrows_do_not_fool_the_masks() {
        let bytes = "aé\u{1}=x\"\u{7f}\u{80}ÿ==".as_bytes();
        for from in 0..bytes.len() {
            assert_eq!(find_logfmt_stop(bytes, from), naive_stop(bytes, from), "from {from}");
        }
        assert_eq!(find_byte(b"\x00\x01:\x00aaaaaaaa:", 0, b':'), Some(2));
        assert_eq!(find_byte(b"aaaaaaaa\x80\x3a", 0, b':'), Some(9));
    }
}
