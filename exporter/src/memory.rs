//! The serving process's resident memory (issue 22: RSS under load): how many threads collect
//! scrapes, and glibc malloc's arena count and mmap threshold, set once at start.
//!
//! glibc gives each thread that meets contention an arena of its own (up to 8 per CPU), and every
//! arena keeps the high-water mark of the scrapes that ran in it; the threshold above which a block
//! is mapped on its own also rises to the largest block ever freed, so scrape-sized buffers stay in
//! the arenas after use. Measured on 2 CPUs under `wrk -c16` (benches/compare/exporter_vs_node_exporter.sh):
//! anonymous memory 7.0 MB with glibc's defaults and 4 scrape threads, 3.9-4.1 MB with 2 threads,
//! 2 arenas and a fixed 64 KiB threshold, at the same requests/s per CPU second.

/// Threads the scrapes (and other blocking work) run on: one per CPU, at least 2 (a bcrypt check on
/// one leaves the other to scrapes), at most 4. Collection is CPU-bound, so more threads than CPUs
/// add no throughput, only stacks and arenas.
///
/// ```ignore
/// let threads = memory::scrape_threads(); // 2 on a 2-CPU host
/// ```
pub fn scrape_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4)
}

/// Caps glibc malloc at [`scrape_threads`] arenas and maps blocks of 64 KiB and more on their own
/// (returned to the system when freed). Call before any thread starts. A no-op on other C libraries.
///
/// ```ignore
/// memory::tune_malloc(); // first thing in main
/// ```
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arenas = libc::c_int::try_from(scrape_threads()).unwrap_or(2);
        // SAFETY: mallopt only sets allocator parameters (under glibc's own lock, so it is sound
        // with threads running too); a value glibc rejects leaves its default (return value 0).
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 64 * 1024);
        }
    }
}

/// Scrapes running now; the last one to finish hands the arenas' free pages back ([`Scraping`]).
static SCRAPING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Held while a scrape request is served (waiting for a slot, collecting, encoding). When the last
/// one finishes, the free pages of the malloc arenas go back to the system (`malloc_trim`, tens of
/// microseconds): an exporter between scrapes holds only what it uses, while one with scrapes
/// queued (a burst) does not pay for a trim after each.
///
/// ```ignore
/// let _scraping = memory::Scraping::start();
/// let body = scraper.scrape(format);
/// ```
pub struct Scraping(());

impl Scraping {
    /// Counts a scrape in until the value is dropped.
    pub fn start() -> Scraping {
        SCRAPING.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Scraping(())
    }
}

impl Drop for Scraping {
    fn drop(&mut self) {
        if SCRAPING.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: malloc_trim only releases free memory of glibc's arenas; thread-safe.
            unsafe {
                libc::malloc_trim(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_threads_stay_between_two_and_four() {
        assert!((2..=4).contains(&scrape_threads()));
    }

    #[test]
    fn tuned_malloc_still_allocates_small_and_large_blocks() {
        tune_malloc();
        let small = Box::new([1u8; 100]);
        let large = vec![2u8; 1 << 20];
        assert_eq!(small.iter().map(|&b| b as usize).sum::<usize>(), 100);
        assert_eq!(large.len(), 1 << 20);
    }

    #[test]
    fn scrapes_are_counted_in_and_out() {
        let first = Scraping::start();
        let second = Scraping::start();
        assert!(SCRAPING.load(std::sync::atomic::Ordering::Acquire) >= 2);
        drop((first, second));
        let buffer = vec![3u8; 4096];
        assert_eq!(buffer[4095], 3);
    }
}
