//! Memory per log-derived series (issue 22, goal 5): a counting allocator in its own test binary
//! measures the heap bytes a rule's series keep live (index, registry child, label values, the text the
//! encoder caches) and the extra memory a scrape needs besides its body. Prints the figures and asserts
//! the budget: at most 150 bytes per series plus the label bytes, and a scrape's extra memory at most
//! the body's size.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use srekit::expfmt::Format;
use srekit::logs::config::RuleConfig;
use srekit::logs::parse_logfmt;
use srekit::logs::rules::RuleSet;
use srekit::metrics::Registry;

/// Counts the bytes and allocations live, and the highest byte mark since the last reset.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static LIVE_ALLOCATIONS: AtomicIsize = AtomicIsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes as isize, Ordering::Relaxed) + bytes as isize;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed unchanged to the system allocator; only counters are updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        grew(layout.size());
        // SAFETY: the caller's guarantees for this call are the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        LIVE_ALLOCATIONS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for this call are the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as the copy it may be: old and new live together for a moment.
        grew(new_size);
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for this call are the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERIES: usize = 100_000;
const LABEL_BYTES: usize = 8;
/// The budget per series besides its label bytes.
const BUDGET: usize = 150;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Builds `SERIES` series of one counter rule with 8-byte label values; returns the registry, the rules
/// and the heap bytes they grew by.
fn fill(extra: &str) -> (Registry, RuleSet, usize, usize) {
    let config: RuleConfig = toml::from_str(&format!(
        "name = \"hits_total\"\nkind = \"counter\"\nlabels = [\"user\"]\nmax_series = {SERIES}\n{extra}"
    ))
    .unwrap();
    let registry = Registry::new();
    let mut rules = RuleSet::new(&[config], &registry).unwrap();
    let lines: Vec<String> = (0..SERIES).map(|i| format!("user=u{i:07}")).collect();
    assert_eq!(lines[0].len(), "user=".len() + LABEL_BYTES);
    let before = live();
    let live_allocations = LIVE_ALLOCATIONS.load(Ordering::Relaxed);
    for line in &lines {
        let record = parse_logfmt(line).unwrap();
        rules.apply_all(&record);
    }
    let grown = (live() - before) as usize;
    let allocations = LIVE_ALLOCATIONS.load(Ordering::Relaxed) - live_allocations;
    (registry, rules, grown, allocations as usize)
}

/// One test, so no other test's allocations land in the counts.
#[test]
fn series_cost_and_scrape_extra_memory_stay_within_budget() {
    for (what, extra) in [("counter", ""), ("counter with expire_after", "expire_after = \"1h\"")] {
        let (registry, rules, grown, allocations) = fill(extra);
        // The first encodings render and keep each series' label text: part of the series' cost.
        let before_scrape = live();
        let mut body = Vec::new();
        registry.encode(Format::OpenMetrics, &mut body);
        let body_len = body.len();
        body.clear();
        registry.encode(Format::Text, &mut body);
        let kept = (live() - before_scrape) as usize - body.capacity();
        let per_series = (grown + kept) as f64 / SERIES as f64;
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.contains("hits_total{user=\"u0099999\"} 1\n"));

        // A scrape into a reused buffer: the extra memory is what it allocates besides that buffer.
        body.clear();
        let base = live();
        PEAK.store(base, Ordering::Relaxed);
        registry.encode(Format::OpenMetrics, &mut body);
        let extra = (PEAK.load(Ordering::Relaxed) - base) as usize;
        // A scrape into a fresh buffer: what it needs besides the body it returns.
        drop(std::mem::take(&mut body));
        let base = live();
        PEAK.store(base, Ordering::Relaxed);
        let fresh = registry.encode_to_string(Format::OpenMetrics);
        let fresh_extra = (PEAK.load(Ordering::Relaxed) - base) as usize - fresh.len();
        println!(
            "{what}: {per_series:.1} B/series live ({} B label values; {:.2} live allocations/series), \
             OpenMetrics body {body_len} B, scrape extra {extra} B into a reused buffer, \
             {fresh_extra} B into a fresh one",
            LABEL_BYTES,
            allocations as f64 / SERIES as f64
        );
        assert!(
            per_series <= (BUDGET + LABEL_BYTES) as f64,
            "{what}: {per_series:.1} B per series, over {BUDGET} B + {LABEL_BYTES} B of label values"
        );
        assert!(extra <= body_len / 100, "{what}: a scrape into a reused buffer allocated {extra} B");
        assert!(fresh_extra <= fresh.len(), "{what}: a scrape needed {fresh_extra} B besides its body");
        drop(rules);
    }
}
