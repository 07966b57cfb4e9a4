//! [`append`]: appending a short byte string (a log value, a label) to a vector inline, with two
//! overlapping loads and stores, instead of a call to the C library's `memcpy` per value: the calls
//! were a fifth of a columnar parse's time (`logs::columnar`, 1.1 million values of 3-30 bytes in
//! 100,000 logfmt lines).

/// Appends `text` to `bytes`, as `bytes.extend_from_slice(text)` does. Up to 32 bytes, when the
/// vector has room for 32 more, are copied inline; anything else goes to `extend_from_slice`.
///
/// ```text
/// let mut bytes = b"level=".to_vec(); append(&mut bytes, b"info"); // bytes == b"level=info"
/// ```
#[inline(always)]
pub(crate) fn append(bytes: &mut Vec<u8>, text: &[u8]) {
    let len = text.len();
    if len > 32 || bytes.capacity() - bytes.len() < 32 {
        bytes.extend_from_slice(text);
        return;
    }
    let start = bytes.len();
    let src = text.as_ptr();
    // SAFETY: `bytes` has at least 32 bytes of spare capacity after `start` and `len <= 32`, so
    // every store below is within `start..start + len` of its allocation; every load is within
    // `text` (each pair of loads overlaps in the middle for lengths between the powers of two).
    // Stores and loads are unaligned, and `text` cannot overlap `bytes`' spare capacity (it is
    // borrowed while `bytes` is borrowed mutably). After the stores, `start..start + len` holds
    // `text`, so the new length covers initialised bytes only.
    unsafe {
        let dst = bytes.as_mut_ptr().add(start);
        match len {
            16.. => head_and_tail::<[u8; 16]>(src, dst, len),
            8.. => head_and_tail::<u64>(src, dst, len),
            4.. => head_and_tail::<u32>(src, dst, len),
            1.. => {
                // 1-3 bytes: the first, the middle and the last (some the same byte).
                *dst = *src;
                *dst.add(len / 2) = *src.add(len / 2);
                *dst.add(len - 1) = *src.add(len - 1);
            }
            0 => {}
        }
        bytes.set_len(start + len);
    }
}

/// Copies `len` bytes from `src` to `dst` as the first and the last `T` (overlapping when `len` is
/// below twice `T`'s size).
///
/// # Safety
/// `size_of::<T>() <= len`, `src..src + len` readable, `dst..dst + len` writable.
#[inline(always)]
unsafe fn head_and_tail<T: Copy>(src: *const u8, dst: *mut u8, len: usize) {
    let at = len - std::mem::size_of::<T>();
    // SAFETY: both words lie within the first `len` bytes of `src` and of `dst` (the caller's
    // contract), read and written unaligned.
    unsafe {
        let head = src.cast::<T>().read_unaligned();
        let tail = src.add(at).cast::<T>().read_unaligned();
        dst.cast::<T>().write_unaligned(head);
        dst.add(at).cast::<T>().write_unaligned(tail);
    }
}

#[cfg(test)]
mod tests {
    use super::append;

    #[test]
    fn appends_every_length_as_extend_from_slice_does() {
        let source: Vec<u8> = (0..80u8).map(|b| b.wrapping_mul(37).wrapping_add(1)).collect();
        for prefix in [0usize, 1, 7, 31] {
            for len in 0..=40 {
                for capacity_spare in [0usize, 1, 16, 31, 32, 33, 64] {
                    let mut bytes = Vec::with_capacity(prefix + capacity_spare);
                    bytes.extend_from_slice(&source[40..40 + prefix]);
                    let text = &source[3..3 + len];
                    let mut expected = bytes.clone();
                    expected.extend_from_slice(text);
                    append(&mut bytes, text);
                    assert_eq!(bytes, expected, "prefix {prefix}, len {len}, spare {capacity_spare}");
                }
            }
        }
    }

    #[test]
    fn repeated_appends_keep_every_value() {
        let mut bytes = Vec::with_capacity(64);
        let mut expected = Vec::new();
        for i in 0..1000usize {
            let text = format!("v{i}-{}", "x".repeat(i % 37));
            append(&mut bytes, text.as_bytes());
            expected.extend_from_slice(text.as_bytes());
        }
        assert_eq!(bytes, expected);
    }
}
