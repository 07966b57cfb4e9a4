//! Recycled column memory: the value, offset and byte vectors of a batch that was written out (as IPC
//! bytes) and dropped come back here, and the next batch's columns grow into them. A column of a
//! large batch is megabytes of fresh memory otherwise, and the kernel faults in and zeroes every page
//! of it on every call: most of a Node `parseColumns` call's time before this pool. One pool per
//! element type, shared by all threads, bounded in count and bytes. The IPC bytes, which leave for
//! the caller, are fresh memory: [`prefault`] faults them in with one call.

use std::mem::MaybeUninit;
use std::sync::Mutex;

use arrow_array::{Array, ArrayRef};
use arrow_buffer::{ArrowNativeType, Buffer};
use arrow_schema::DataType;

/// Vectors kept per element type.
const KEPT: usize = 32;
/// Bytes kept per element type, at most (a larger vector is freed): the pools hold at most 192 MiB
/// in all (the string bytes of about 100 MB of logfmt input fit in 64 MiB).
const MAX_KEPT_BYTES: usize = 64 << 20;

/// An element type with a pool.
pub(super) trait Recycled: ArrowNativeType {
    fn pool() -> &'static Mutex<Vec<Vec<Self>>>;
}

macro_rules! recycled {
    ($($t:ty => $pool:ident),*) => {$(
        static $pool: Mutex<Vec<Vec<$t>>> = Mutex::new(Vec::new());
        impl Recycled for $t {
            fn pool() -> &'static Mutex<Vec<Vec<Self>>> {
                &$pool
            }
        }
    )*};
}

recycled!(u8 => BYTES, i32 => OFFSETS, i64 => INTS);

/// Makes room for `more` elements in `items`: in a pooled vector (its contents copied over) when
/// `items` must grow and the pool has one large enough, else by growing `items`.
///
/// ```text
/// grow(&mut offsets, rows) // offsets.capacity() >= offsets.len() + rows
/// ```
pub(super) fn grow<T: Recycled>(items: &mut Vec<T>, more: usize) {
    let wanted = items.len().saturating_add(more);
    if items.capacity() >= wanted {
        return;
    }
    let pooled = T::pool().lock().ok().and_then(|mut pool| {
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= wanted)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)?;
        Some(pool.swap_remove(best))
    });
    match pooled {
        Some(mut pooled) => {
            pooled.clear();
            pooled.extend_from_slice(items);
            *items = pooled;
        }
        None => items.reserve(more),
    }
}

/// Gives the vector of `buffer` back to its pool, if `buffer` is its only owner and was a `Vec<T>`.
fn give<T: Recycled>(buffer: Buffer) {
    let Ok(items) = buffer.into_vec::<T>() else { return };
    let bytes = items.capacity() * std::mem::size_of::<T>();
    if bytes == 0 || bytes > MAX_KEPT_BYTES {
        return;
    }
    if let Ok(mut pool) = T::pool().lock() {
        pool.push(items);
        let mut total: usize = pool.iter().map(|v| v.capacity() * std::mem::size_of::<T>()).sum();
        // Over the bounds: drop the smallest first (the large ones save the most page faults).
        while pool.len() > KEPT || total > MAX_KEPT_BYTES {
            let Some(smallest) = pool.iter().enumerate().min_by_key(|(_, v)| v.capacity()).map(|(i, _)| i)
            else {
                break;
            };
            total -= pool.swap_remove(smallest).capacity() * std::mem::size_of::<T>();
        }
    }
}

/// Returns the memory of `arrays` (utf8 and int64 columns this module's builder made) to the pools;
/// arrays still shared elsewhere keep theirs.
pub(super) fn recycle(arrays: Vec<ArrayRef>) {
    for array in arrays {
        let data = array.to_data();
        drop(array);
        let kind = data.data_type().clone();
        let buffers = data.buffers().to_vec();
        drop(data);
        let mut buffers = buffers.into_iter();
        match kind {
            DataType::Utf8 => {
                if let (Some(offsets), Some(bytes)) = (buffers.next(), buffers.next()) {
                    give::<i32>(offsets);
                    give::<u8>(bytes);
                }
            }
            DataType::Int64 => {
                if let Some(values) = buffers.next() {
                    give::<i64>(values);
                }
            }
            _ => {}
        }
    }
}

/// Faults in `out` (page-aligned, from 1 MiB up) with one `MADV_POPULATE_WRITE` (Linux 5.14 and
/// later; elsewhere nothing happens) instead of one page fault per 4 KiB as a writer fills it: 6-7% of
/// a Node `parseColumns` call of 100,000 logfmt lines (18 MB of IPC bytes). Memory whose last page is
/// resident already (reused heap memory, not fresh pages) is left alone. True when pages were
/// populated; on failure the pages fault in as they are written, as before.
///
/// ```text
/// let mut out = Vec::with_capacity(32 << 20);
/// prefault(&mut out.spare_capacity_mut()[..18 << 20]);
/// ```
pub(super) fn prefault(out: &mut [MaybeUninit<u8>]) -> bool {
    #[cfg(target_os = "linux")]
    {
        let page = page_size();
        if out.len() < 1 << 20 {
            return false;
        }
        let start = out.as_mut_ptr() as usize;
        let (Some(first), Some(end)) = (start.checked_next_multiple_of(page), start.checked_add(out.len()))
        else {
            return false;
        };
        let end = end - end % page;
        if end <= first {
            return false;
        }
        let mut last_resident = 0u8;
        // SAFETY: [first, end) lies inside `out`, which is borrowed mutably here; mincore only reports
        // the last page's residency into `last_resident`, and populating only faults the pages in and
        // leaves their contents (not yet initialised) as they are.
        unsafe {
            let probed = libc::mincore((end - page) as *mut libc::c_void, page, &mut last_resident);
            if probed == 0 && last_resident & 1 == 1 {
                return false;
            }
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_POPULATE_WRITE) == 0
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = out;
        false
    }
}

/// The system's page size (4 KiB on x86-64; 16 or 64 KiB on some arm64 kernels), which `madvise`
/// ranges must start on.
#[cfg(target_os = "linux")]
fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).ok().filter(|size| size.is_power_of_two()).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array};

    #[cfg(target_os = "linux")]
    use super::page_size;
    use super::{grow, prefault, recycle, INTS};

    #[test]
    fn a_recycled_column_is_grown_into_and_keeps_the_values() {
        // A capacity no other test uses, so this test finds its own vector in the shared pool.
        let capacity = 1_234_567;
        let mut values: Vec<i64> = Vec::with_capacity(capacity);
        values.extend(0..10);
        let array: ArrayRef = Arc::new(Int64Array::from(values));
        recycle(vec![array]);
        assert!(INTS.lock().unwrap().iter().any(|v| v.capacity() == capacity));
        let mut items = vec![7i64, 8, 9];
        grow(&mut items, capacity - 3);
        assert_eq!(items, [7, 8, 9]);
        assert!(items.capacity() >= capacity);
        // A shared array keeps its memory.
        let shared: ArrayRef = Arc::new(Int64Array::from(vec![1i64; 99_991]));
        let kept = Arc::clone(&shared);
        recycle(vec![shared]);
        assert!(!INTS.lock().unwrap().iter().any(|v| v.capacity() == 99_991));
        assert_eq!(kept.len(), 99_991);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn prefaulted_spare_capacity_is_resident_and_still_writable() {
        let page = page_size();
        // 8 MiB: glibc maps a block this large on its own, so its pages start out not resident.
        let mut out: Vec<u8> = Vec::with_capacity(8 << 20);
        let resident = |out: &mut Vec<u8>, from: usize, to: usize| -> usize {
            let spare = out.spare_capacity_mut();
            let start = (spare.as_mut_ptr() as usize).next_multiple_of(page) + from;
            let pages = (to - from) / page;
            let mut flags = vec![0u8; pages];
            // SAFETY: [start, start + pages * page) lies inside `out`'s allocation; mincore only
            // reports residency into `flags`, which has one byte per page.
            let status =
                unsafe { libc::mincore(start as *mut libc::c_void, pages * page, flags.as_mut_ptr()) };
            assert_eq!(status, 0, "mincore: {}", std::io::Error::last_os_error());
            flags.iter().filter(|flag| **flag & 1 == 1).count()
        };
        // The block may be reused heap memory that is resident already: drop its pages first.
        let spare = out.spare_capacity_mut();
        let first = (spare.as_mut_ptr() as usize).next_multiple_of(page);
        // SAFETY: the range lies inside `out`'s spare capacity, which holds nothing yet; dropped
        // pages read back as zeros.
        let dropped =
            unsafe { libc::madvise(first as *mut libc::c_void, (8 << 20) - 2 * page, libc::MADV_DONTNEED) };
        assert_eq!(dropped, 0);
        let before = resident(&mut out, 0, 4 << 20);
        assert_eq!(before, 0);
        assert!(
            prefault(&mut out.spare_capacity_mut()[..4 << 20]),
            "MADV_POPULATE_WRITE: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(resident(&mut out, 0, (4 << 20) - page), (4 << 20) / page - 1);
        // Resident memory (its last page, here all of it) is not asked for again.
        assert!(!prefault(&mut out.spare_capacity_mut()[..2 << 20]));
        // Well past the length asked for (beyond any 2 MiB huge page the last populated page may sit
        // in), nothing was faulted in.
        assert_eq!(resident(&mut out, (6 << 20) + page, (8 << 20) - page), 0);
        out.extend((0..5 << 20).map(|i| i as u8));
        assert_eq!(out[(4 << 20) + 1], 1);
        // Below 1 MiB nothing is asked.
        assert!(!prefault(Vec::<u8>::with_capacity(1 << 19).spare_capacity_mut()));
    }
}
