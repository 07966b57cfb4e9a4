//! The serving process's resident memory (issue 22: RSS under load): how many threads collect
//! scrapes, glibc malloc's arena count and mmap threshold, set once at start, and the read-only file
//! pages (startup code, relocations) dropped from the resident set after the first scrape
//! ([`release_file_pages`]: 12.3 MB -> 10.8-11.3 MB after `wrk -c16`, file-backed 8.3 -> 6.9-7.2 MB).
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

/// Async worker threads of the HTTP server: one. It only accepts, parses requests and writes
/// responses; scrapes (and gzip, and bcrypt checks) run on the blocking pool ([`scrape_threads`]), so
/// `/healthz` and other connections are served while a scrape runs. A second worker only added
/// wake-ups: a task spawned on one worker woke the other to look for work (context switches per
/// sequential scrape 15.2 with two, 11.4 with one).
///
/// ```text
/// tokio::runtime::Builder::new_multi_thread().worker_threads(memory::ASYNC_WORKERS)
/// ```
pub const ASYNC_WORKERS: usize = 1;

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
/// microseconds, 16-65 us measured) on a thread of its own: [`TRIM_SOON`] later if the last trim is
/// [`TRIM_AFTER_IDLE`] old (so not before the response is written), else once no scrape has ended
/// for that long: an idle exporter holds only what it uses, while one
/// scraped back to back (a burst, or several scrapers) does not pay for a trim, and for faulting the
/// trimmed pages back in, after each scrape.
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
        static FIRST_DONE: std::sync::Once = std::sync::Once::new();
        FIRST_DONE.call_once(|| {
            let released = release_file_pages();
            log::debug!("released {} kB of read-only file mappings after the first scrape", released / 1024);
        });
        if SCRAPING.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            schedule_trim();
        }
    }
}

/// The least time between two trims, and how long the exporter goes without a scrape ending before
/// a trim put off is done. Sequential scrapes of one client come back within a few milliseconds;
/// without a trim after each, a scrape costs 6-7.5% less CPU (measured in issue 22).
pub const TRIM_AFTER_IDLE: std::time::Duration = std::time::Duration::from_millis(200);

/// The thread that trims the arenas once scrapes have stopped ending for [`TRIM_AFTER_IDLE`].
struct Trimmer {
    state: std::sync::Mutex<TrimState>,
    wake: std::sync::Condvar,
}

#[derive(Default)]
struct TrimState {
    /// When to trim, if no scrape ends before (`None`: nothing to trim).
    due: Option<std::time::Instant>,
    /// The thread waits for a due trim (it is woken by the next one only then, not at every scrape).
    parked: bool,
    /// When the last trim was done.
    last: Option<std::time::Instant>,
    /// Trims done so far.
    trims: u64,
    /// How far off the last scrape's end put its trim.
    #[cfg(test)]
    last_delay: Option<std::time::Duration>,
    /// The thread that did the last trim.
    #[cfg(test)]
    last_thread: Option<std::thread::ThreadId>,
}

/// The trimming thread, started at the first scrape's end; `None` if it could not be started.
fn trimmer() -> Option<&'static Trimmer> {
    static TRIMMER: std::sync::OnceLock<Option<&'static Trimmer>> = std::sync::OnceLock::new();
    *TRIMMER.get_or_init(|| {
        let trimmer: &'static Trimmer =
            Box::leak(Box::new(Trimmer { state: Default::default(), wake: std::sync::Condvar::new() }));
        let spawned = std::thread::Builder::new()
            .name("srekit-trim".into())
            .stack_size(64 * 1024)
            .spawn(move || trim_when_idle(trimmer));
        spawned.ok().map(|_| trimmer)
    })
}

/// Asks the trimming thread for a trim [`TRIM_SOON`] from now if the last trim is [`TRIM_AFTER_IDLE`]
/// old, else that long from now (a later scrape's end moves it on). Never trims on the scrape's own
/// thread: the scrape ends before its response is written, and a trim there (tens of microseconds,
/// plus the arena lock) would delay the response. Without a trimming thread, trims at once.
fn schedule_trim() {
    let Some(trimmer) = trimmer() else {
        trim_now();
        return;
    };
    let now = std::time::Instant::now();
    let mut state = trimmer.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let idle = state.last.is_none_or(|last| now.saturating_duration_since(last) >= TRIM_AFTER_IDLE);
    let delay = if idle { TRIM_SOON } else { TRIM_AFTER_IDLE };
    #[cfg(test)]
    {
        state.last_delay = Some(delay);
    }
    let due = now + delay;
    let sooner = state.due.is_some_and(|was| due < was);
    state.due = Some(due);
    if state.parked || sooner {
        trimmer.wake.notify_one();
    }
}

/// How long after the end of a scrape that follows an idle spell its trim is done: time for the
/// response to be written first.
const TRIM_SOON: std::time::Duration = std::time::Duration::from_millis(2);

/// The trimming thread's loop: waits for a due trim, then until it is due (a scrape ending
/// meanwhile moves it on), and trims if no scrape is running then.
fn trim_when_idle(trimmer: &Trimmer) {
    use std::sync::PoisonError;
    let mut state = trimmer.state.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let Some(due) = state.due else {
            state.parked = true;
            state = trimmer.wake.wait(state).unwrap_or_else(PoisonError::into_inner);
            state.parked = false;
            continue;
        };
        let now = std::time::Instant::now();
        if now < due {
            state = trimmer.wake.wait_timeout(state, due - now).unwrap_or_else(PoisonError::into_inner).0;
            continue;
        }
        state.due = None;
        // A scrape running now schedules a trim again when it ends.
        if SCRAPING.load(std::sync::atomic::Ordering::Acquire) == 0 {
            state.trims += 1;
            state.last = Some(now);
            #[cfg(test)]
            {
                state.last_thread = Some(std::thread::current().id());
            }
            drop(state);
            trim_now();
            state = trimmer.state.lock().unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// Hands the malloc arenas' free pages back to the system.
fn trim_now() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's arenas; thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The trimming thread's state, to look at.
#[cfg(test)]
fn trim_state<T>(look: impl FnOnce(&TrimState) -> T) -> Option<T> {
    let trimmer = trimmer()?;
    Some(look(&trimmer.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)))
}

/// Trims done so far by the trimming thread (0 before it started).
#[cfg(test)]
fn trims_done() -> u64 {
    trimmer()
        .map_or(0, |trimmer| trimmer.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).trims)
}

/// Drops this process's page-table entries of its read-only file mappings (the binary's code and
/// read-only data, the shared libraries') that hold no private copy: called once, after the first
/// scrape, so that what only ran at startup (argument and config parsing, relocation, TLS and
/// runtime setup, first-scrape discovery) no longer counts in the resident set. The pages stay in the
/// page cache; what runs again is mapped back on first use (with the kernel's fault-around, 64 kB at
/// a time). Returns the bytes of the mappings advised.
///
/// ```ignore
/// let bytes = memory::release_file_pages();
/// ```
pub fn release_file_pages() -> usize {
    #[cfg(target_os = "linux")]
    {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return 0 };
        let mut released = 0;
        for (start, end) in clean_file_mappings(&smaps) {
            // SAFETY: [start, end) is a private mapping of a file that cannot be written (no `w`)
            // and holds no anonymous (copied-on-write, e.g. relocated) page: every page is the
            // file's contents and no Rust object lives there, so dropping them loses nothing: the
            // next access maps the same contents back, as after the kernel reclaims clean file
            // pages under memory pressure.
            let answer =
                unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
            if answer == 0 {
                released += end - start;
            }
        }
        released
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// The address ranges of `smaps` (`/proc/self/smaps`) that are private, non-writable mappings of a
/// file (a path, not `[vdso]` and the like, not deleted) with no anonymous pages.
fn clean_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some(value) = line.strip_prefix("Anonymous:") {
            // Decided at the mapping's Anonymous line: it follows the header.
            if let Some(range) = current.take() {
                if value.trim() == "0 kB" {
                    ranges.push(range);
                }
            }
            continue;
        }
        if first.ends_with(':') {
            continue;
        }
        // A header: `start-end perms offset dev inode [path]`.
        current = None;
        let (Some(perms), Some(path)) = (fields.next(), fields.nth(3)) else { continue };
        if !perms.starts_with('r') || perms.as_bytes().get(1) != Some(&b'-') || !perms.ends_with('p') {
            continue;
        }
        if !path.starts_with('/') || fields.next().is_some() {
            continue;
        }
        let Some((start, end)) = first.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else {
            continue;
        };
        if start < end && start % 4096 == 0 {
            current = Some((start, end));
        }
    }
    ranges
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
    fn clean_file_mappings_are_private_read_only_files_without_anonymous_pages() {
        let smaps = "55d0a0000000-55d0a0100000 r--p 00000000 08:01 42 /usr/bin/x\n\
                     Rss: 100 kB\nAnonymous: 0 kB\n\
                     55d0a0100000-55d0a0800000 r-xp 00100000 08:01 42 /usr/bin/x\n\
                     Anonymous: 0 kB\n\
                     55d0a0800000-55d0a0900000 r--p 00800000 08:01 42 /usr/bin/x\n\
                     Anonymous: 8 kB\n\
                     55d0a0900000-55d0a0a00000 rw-p 00900000 08:01 42 /usr/bin/x\n\
                     Anonymous: 0 kB\n\
                     7f0000000000-7f0000100000 r-xs 00000000 08:01 43 /dev/shm/x\n\
                     Anonymous: 0 kB\n\
                     7f0000200000-7f0000300000 r-xp 00000000 08:01 42 /usr/bin/y (deleted)\n\
                     Anonymous: 0 kB\n\
                     7f0000400000-7f0000500000 r-xp 00000000 00:00 0 [vdso]\n\
                     Anonymous: 0 kB\n\
                     7f0000600000-7f0000700000 r--p 00000000 00:00 0\n\
                     Anonymous: 0 kB\n";
        assert_eq!(
            clean_file_mappings(smaps),
            vec![(0x55d0a0000000, 0x55d0a0100000), (0x55d0a0100000, 0x55d0a0800000)]
        );
        assert!(clean_file_mappings("garbage\nzz-yy r-xp 0 0 0 /usr/bin/x\nAnonymous: 0 kB\n").is_empty());
    }

    #[test]
    fn code_and_data_still_work_after_their_pages_are_released() {
        static TABLE: [u64; 4] = [1, 2, 3, 5];
        assert!(release_file_pages() > 0);
        // Code and read-only data of the test binary and libc, mapped back on use.
        assert_eq!(TABLE.iter().sum::<u64>(), 11);
        assert_eq!(format!("{:?}", clean_file_mappings("")), "[]");
        assert!((2..=4).contains(&scrape_threads()));
    }

    /// Tests that end scrapes run one at a time: each judges the trims the others would also cause.
    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
        SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[test]
    fn a_scrape_after_an_idle_spell_is_trimmed_soon_by_the_trimming_thread() {
        let _serial = one_at_a_time();
        let before = trims_done();
        // A trim another test scheduled is done first; then an idle spell follows the last trim.
        let waited = std::time::Instant::now();
        while trim_state(|state| state.due.is_some()) == Some(true) && waited.elapsed() < 20 * TRIM_AFTER_IDLE
        {
            std::thread::sleep(TRIM_SOON);
        }
        std::thread::sleep(TRIM_AFTER_IDLE);
        let after_idle = trims_done();
        drop(Scraping::start());
        // Put off by TRIM_SOON (so that the response is written first), not by the idle time.
        assert_eq!(trim_state(|state| state.last_delay), Some(Some(TRIM_SOON)));
        let waited = std::time::Instant::now();
        while trims_done() == after_idle && waited.elapsed() < 20 * TRIM_AFTER_IDLE {
            std::thread::sleep(TRIM_SOON);
        }
        assert!(trims_done() > after_idle.max(before), "trimmed after the scrape");
        // By the trimming thread, not by the thread that ended the scrape (which writes the response).
        let by = trim_state(|state| state.last_thread).flatten();
        assert!(by.is_some_and(|thread| thread != std::thread::current().id()), "trimmed by {by:?}");
    }

    #[test]
    fn the_arenas_are_trimmed_once_scrapes_stop_not_after_each() {
        let _serial = one_at_a_time();
        let before = trims_done();
        let started = std::time::Instant::now();
        for i in 0..10 {
            if i > 0 {
                std::thread::sleep(TRIM_AFTER_IDLE / 20);
            }
            drop(Scraping::start());
        }
        let burst = started.elapsed();
        let after_burst = trims_done();
        // Other tests' scrapes may end too; a burst shorter than the idle time trims at most once
        // (at its start, if the last trim is older than that).
        if burst < TRIM_AFTER_IDLE {
            assert!(after_burst <= before + 2, "no trim per scrape: {before} -> {after_burst}");
        }
        let waited = std::time::Instant::now();
        while trims_done() == after_burst && waited.elapsed() < 20 * TRIM_AFTER_IDLE {
            std::thread::sleep(TRIM_AFTER_IDLE / 4);
        }
        assert!(trims_done() > after_burst.max(before), "trimmed once idle");
    }

    #[test]
    fn scrapes_are_counted_in_and_out() {
        let _serial = one_at_a_time();
        let first = Scraping::start();
        let second = Scraping::start();
        assert!(SCRAPING.load(std::sync::atomic::Ordering::Acquire) >= 2);
        drop((first, second));
        let buffer = vec![3u8; 4096];
        assert_eq!(buffer[4095], 3);
    }
}
