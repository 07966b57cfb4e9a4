//! The order of a collection's families: [`finish`] merges families of one name and sorts families by
//! exposition name and samples by label values, as node_exporter (client_golang) writes them.
//! [`FamilyOrder`] keeps what the last collection found, so a collection that wrote the same families
//! and label sets as the one before (the steady state of a scrape loop) applies the kept order
//! without comparing names or label values again.

use crate::metrics::{MetricFamily, MetricType, Sample, Suffix};

/// What one collection of an [`Emitter`](super::emit::Emitter) kept of its collection before, as
/// [`Emitter::steadiness`](super::emit::Emitter::steadiness) reports it after the collection. The
/// default claims nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Steadiness {
    /// Which collection of the emitter this was (counted from 1; 0: not from an emitter).
    pub(crate) run: u64,
    /// The emitter wrote the same families (names and types, in the same order) as in its collection
    /// before.
    pub(crate) same_families: bool,
    /// Bit `i`: family `i` (of the 64 first) has a sample whose label names or values differ from
    /// those the recycled sample at its position held, or a sample added. A family without its bit
    /// has its samples in the order the finish of a collection left them (a recycled family comes
    /// from [`finish`]).
    pub(crate) relabelled: u64,
    /// Families past the 64th are taken as relabelled (when there are any).
    pub(crate) relabelled_past_64: bool,
}

impl Default for Steadiness {
    fn default() -> Steadiness {
        Steadiness { run: 0, same_families: false, relabelled: u64::MAX, relabelled_past_64: true }
    }
}

impl Steadiness {
    /// Whether family `position` kept the label sets of its recycled samples.
    pub(crate) fn kept_labels(&self, position: usize) -> bool {
        match family_bit(position) {
            Some(bit) => self.relabelled & bit == 0,
            None => !self.relabelled_past_64,
        }
    }
}

/// Family `position`'s bit in [`Steadiness::relabelled`]; `None` past the 64th.
pub(crate) fn family_bit(position: usize) -> Option<u64> {
    u32::try_from(position).ok().and_then(|bit| 1u64.checked_shl(bit))
}

/// The name a family's main samples are written under (`_total` for counters).
pub(crate) fn exposition_name(family: &MetricFamily) -> String {
    match family.kind {
        MetricType::Counter => family.sample_name(Suffix::Total),
        MetricType::Info => family.sample_name(Suffix::Info),
        _ => family.name.clone(),
    }
}

/// Merges families of the same name, then sorts families by exposition name and each family's samples
/// by label values, as node_exporter (client_golang) writes them.
#[cfg(test)]
pub(crate) fn finish(families: Vec<MetricFamily>) -> Vec<MetricFamily> {
    finish_in_order(families, &mut FamilyOrder::default())
}

/// The order [`finish`] put the families of the last collection in, where they came from, and scratch
/// room to apply it: a collection mostly lists the same families in the same order as the one
/// before, so checking that the last order still sorts them (one comparison per family) saves
/// sorting them anew, and when every source of families says it wrote the same families and label
/// sets as in the last collection, even the checks are skipped.
///
/// A collection calls [`begin`](FamilyOrder::begin), then [`add_source`](FamilyOrder::add_source)
/// for each run of families in the order it lists them, then [`finish_in_order`].
#[derive(Debug, Default)]
pub(crate) struct FamilyOrder {
    /// `order[k]` is the position before sorting of the family that went to position `k`.
    order: Vec<usize>,
    /// Which positions [`permute`] has placed.
    placed: Vec<bool>,
    /// `order` sorted the last collection's families strictly: no two had one name (none merged).
    strict: bool,
    /// This collection's runs of families: (source, its [`Steadiness::run`], how many families).
    sources: Vec<(usize, u64, usize)>,
    /// The last collection's, as `sources`.
    last_sources: Vec<(usize, u64, usize)>,
    /// Every source added in this collection wrote the same families as in its collection before.
    same_families: bool,
    /// By position before sorting: the family's samples are as a finished collection left them.
    known_sorted: Vec<bool>,
}

impl FamilyOrder {
    /// Starts listing the sources of a collection's families.
    pub(crate) fn begin(&mut self) {
        self.sources.clear();
        self.known_sorted.clear();
        self.same_families = true;
    }

    /// Adds the next `families` families of the collection, written by `source` (a collector index,
    /// or any number that names the writer the same way in every collection) as `steadiness` says.
    pub(crate) fn add_source(&mut self, source: usize, steadiness: Steadiness, families: usize) {
        self.sources.push((source, steadiness.run, families));
        self.same_families &= steadiness.same_families;
        self.known_sorted.extend((0..families).map(|position| steadiness.kept_labels(position)));
    }

    /// The families of this collection have the names, in the same order, as the last collection's:
    /// every source wrote the same families as in its collection before, that collection was the one
    /// the last finish listed (its run follows), and the sources come in the same order.
    fn same_names_as_last(&self) -> bool {
        self.same_families
            && self.sources.len() == self.last_sources.len()
            && self.sources.iter().zip(&self.last_sources).all(
                |(&(source, run, count), &(last, last_run, last_count))| {
                    source == last && count == last_count && run != 0 && run == last_run.wrapping_add(1)
                },
            )
    }

    /// Ends a collection: its sources become the last ones, and nothing listed is trusted again.
    fn end(&mut self) {
        std::mem::swap(&mut self.sources, &mut self.last_sources);
        self.sources.clear();
        self.known_sorted.clear();
        self.same_families = false;
    }
}

/// Like [`finish`], reusing (and updating) the order of the last collection in `cache`: without any
/// comparison when the sources added since [`FamilyOrder::begin`] say the names are the last
/// collection's, and without checking a family's samples when its source says its label sets are
/// those the last finish sorted.
pub(crate) fn finish_in_order(mut families: Vec<MetricFamily>, cache: &mut FamilyOrder) -> Vec<MetricFamily> {
    let strictly_sorted_by = |order: &[usize], families: &[MetricFamily]| {
        order.windows(2).all(|w| compare_exposition_names(&families[w[0]], &families[w[1]]).is_lt())
    };
    let count = families.len();
    let listed = cache.known_sorted.len() == count;
    // The last order sorted the same names strictly: it still does, and no two families share a name.
    let steady = listed && cache.strict && cache.order.len() == count && cache.same_names_as_last();
    // Stable sort of the positions, so that families of the same name stay in their order (and are
    // merged in it below); a strictly sorted result is the one and only sorted order, whatever gave it.
    let reused = steady || (cache.order.len() == count && strictly_sorted_by(&cache.order, &families));
    if !reused {
        cache.order.clear();
        cache.order.extend(0..count);
        if !families.is_sorted_by(|a, b| compare_exposition_names(a, b).is_le()) {
            cache.order.sort_by(|&a, &b| compare_exposition_names(&families[a], &families[b]));
        }
    }
    permute(&mut families, &cache.order, &mut cache.placed);
    if !steady {
        // `dedup_by` hands the later family first: its samples go to the end of the earlier one's.
        families.dedup_by(|later, earlier| {
            let same = compare_exposition_names(earlier, later).is_eq();
            if same {
                earlier.samples.append(&mut later.samples);
            }
            same
        });
    }
    let merged = families.len() != count;
    cache.strict = !merged;
    for (k, family) in families.iter_mut().enumerate() {
        // Positions shift when families merge: then every family is checked.
        if listed && !merged && cache.order.get(k).is_some_and(|&from| cache.known_sorted[from]) {
            continue;
        }
        for sample in &mut family.samples {
            if !sample.labels.windows(2).all(|w| w[0].0 <= w[1].0) {
                sample.labels.sort_by(|x, y| x.0.cmp(&y.0));
            }
        }
        if !family.samples.windows(2).all(|w| compare_samples(&w[0], &w[1]).is_le()) {
            family.samples.sort_by(compare_samples);
        }
    }
    cache.end();
    families
}

/// Rearranges `items` so that `items[k]` becomes the item at `order[k]` (`order` is a permutation of
/// the positions), in place, by following its cycles; `placed` is scratch room.
fn permute<T>(items: &mut [T], order: &[usize], placed: &mut Vec<bool>) {
    if order.iter().enumerate().all(|(k, &from)| k == from) {
        return;
    }
    placed.clear();
    placed.resize(items.len(), false);
    for start in 0..items.len() {
        let mut k = start;
        while !placed[k] {
            placed[k] = true;
            let from = order[k];
            if from == start {
                break;
            }
            items.swap(k, from);
            k = from;
        }
    }
}

/// Orders families by [`exposition_name`] without building the names: the names are compared with
/// `memcmp` and the suffixes only when one name is a prefix of the other.
fn compare_exposition_names(a: &MetricFamily, b: &MetricFamily) -> std::cmp::Ordering {
    let suffix = |f: &MetricFamily| match f.kind {
        MetricType::Counter => Suffix::Total.as_str(),
        MetricType::Info => Suffix::Info.as_str(),
        _ => "",
    };
    let (x, y) = (a.name.as_bytes(), b.name.as_bytes());
    let common = x.len().min(y.len());
    match x[..common].cmp(&y[..common]) {
        std::cmp::Ordering::Equal => {
            let rest_a = x[common..].iter().chain(suffix(a).as_bytes());
            rest_a.cmp(y[common..].iter().chain(suffix(b).as_bytes()))
        }
        order => order,
    }
}

/// Orders samples (labels already sorted by name) by their label values (client_golang's order).
fn compare_samples(a: &Sample, b: &Sample) -> std::cmp::Ordering {
    for (x, y) in a.labels.iter().zip(b.labels.iter()) {
        let order = x.1.cmp(&y.1);
        if order != std::cmp::Ordering::Equal {
            return order;
        }
    }
    a.labels.len().cmp(&b.labels.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::emit::{labels, Emitter};
    use crate::host::recycle::FamilyPool;
    use std::sync::Arc;

    #[test]
    fn finish_sorts_families_and_samples() {
        let mut out = Emitter::new();
        out.gauge("b", "B.", labels(&[("cpu", "1")]), 1.0);
        out.gauge("b", "B.", labels(&[("cpu", "0")]), 0.0);
        out.counter("a_total", "A.", vec![], 3.0);
        let families = finish(out.into_families());
        assert_eq!(families[0].name, "a");
        assert_eq!(families[1].samples[0].label("cpu"), Some("0"));
    }

    #[test]
    fn permute_gathers_by_order() {
        let mut placed = Vec::new();
        for order in [vec![2, 0, 1], vec![0, 1, 2], vec![1, 0, 3, 2], vec![3, 2, 1, 0], vec![1, 2, 3, 0]] {
            let mut items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            permute(&mut items, &order, &mut placed);
            let expected: Vec<usize> = order.iter().map(|i| i * 10).collect();
            assert_eq!(items, expected, "{order:?}");
        }
    }

    #[test]
    fn a_kept_order_gives_the_same_result_as_sorting_anew() {
        let build = |names: &[&str]| {
            let mut out = Emitter::new();
            for (i, name) in names.iter().enumerate() {
                out.gauge(name, "H.", labels(&[("i", &i.to_string())]), i as f64);
            }
            out.into_families()
        };
        let mut cache = FamilyOrder::default();
        for names in [
            &["c", "a", "b"][..],
            &["c", "a", "b"],
            &["a", "c", "b"],
            &["b", "a", "b"],
            &["b", "a", "c"],
            &["c", "b", "a"],
            &["c", "b", "a"],
        ] {
            let cached = finish_in_order(build(names), &mut cache);
            let fresh = finish(build(names));
            assert_eq!(cached, fresh, "{names:?}");
        }
    }

    #[test]
    fn counters_sort_by_their_total_name() {
        let mut out = Emitter::new();
        out.gauge("node_network_carrier_changes", "x", vec![], 1.0);
        out.counter("node_network_carrier_total", "x", vec![], 1.0);
        let families = finish(out.into_families());
        assert_eq!(exposition_name(&families[0]), "node_network_carrier_changes");
    }

    /// One source's families for a round: (name, label values of its samples in emission order).
    type Plan = Vec<(String, Vec<String>)>;

    /// A small deterministic generator (xorshift) for the rounds below.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Mostly the last round's plan again (the steady case), sometimes with samples swapped, a
    /// label value changed, a sample or a family added, removed or renamed, or a family another
    /// source also writes (merged at the finish).
    fn vary(plan: &mut Plan, state: &mut u64) {
        let roll = next(state) % 16;
        let pick = |state: &mut u64, len: usize| (next(state) % len.max(1) as u64) as usize;
        match roll {
            0 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                let samples = &mut plan[f].1;
                if samples.len() > 1 {
                    let (a, b) = (pick(state, samples.len()), pick(state, samples.len()));
                    samples.swap(a, b);
                }
            }
            1 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                let value = format!("v{}", next(state) % 7);
                let samples = &mut plan[f].1;
                let at = pick(state, samples.len());
                if !samples.contains(&value) && at < samples.len() {
                    samples[at] = value;
                }
            }
            2 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                let value = format!("v{}", next(state) % 7);
                if !plan[f].1.contains(&value) {
                    plan[f].1.push(value);
                }
            }
            3 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                plan[f].1.pop();
            }
            4 => {
                let name = format!("f{}", next(state) % 6);
                if !plan.iter().any(|(n, _)| *n == name) {
                    plan.push((name, vec!["v1".into(), "v0".into()]));
                }
            }
            5 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                plan.remove(f);
            }
            6 if !plan.is_empty() => {
                let f = pick(state, plan.len());
                let name = format!("f{}", next(state) % 6);
                if !plan.iter().any(|(n, _)| *n == name) {
                    plan[f].0 = name;
                }
            }
            _ => {}
        }
    }

    fn emit(out: &mut Emitter, plan: &Plan) {
        for (name, values) in plan {
            for value in values {
                out.gauge(name, "H.", labels(&[("k", value)]), 1.0);
            }
        }
    }

    #[test]
    fn a_kept_order_and_kept_labels_give_what_sorting_anew_gives_over_many_rounds() {
        let pool = Arc::new(FamilyPool::default());
        let mut emitters: Vec<Emitter> = (0..3).map(|i| Emitter::recycling(Arc::clone(&pool), i)).collect();
        let mut plans: Vec<Plan> = vec![
            vec![("f1".into(), vec!["v0".into(), "v2".into()]), ("f0".into(), vec!["v1".into()])],
            vec![("f3".into(), vec!["v2".into(), "v1".into()])],
            vec![("f5".into(), vec!["v0".into()]), ("f4".into(), vec!["v3".into(), "v4".into()])],
        ];
        let mut order = FamilyOrder::default();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let mut steady_rounds = 0;
        for round in 0..3000 {
            order.begin();
            let mut families = Vec::new();
            for (source, (out, plan)) in emitters.iter_mut().zip(plans.iter_mut()).enumerate() {
                // Now and then a source also runs for a concurrent collection, which finishes its
                // families in an order of its own.
                if next(&mut state).is_multiple_of(29) {
                    vary(plan, &mut state);
                    out.begin();
                    emit(out, plan);
                    pool.keep(finish(out.take_families()));
                }
                vary(plan, &mut state);
                out.begin();
                emit(out, plan);
                let written = out.take_families();
                let steadiness = out.steadiness();
                // Now and then a source's result is dropped (a failed or late collector).
                if next(&mut state).is_multiple_of(23) {
                    continue;
                }
                steady_rounds += usize::from(steadiness.same_families && steadiness.relabelled == 0);
                order.add_source(source, steadiness, written.len());
                families.extend(written);
            }
            let fresh = finish(families.clone());
            let kept = finish_in_order(families, &mut order);
            assert_eq!(kept, fresh, "round {round}");
            pool.keep(kept);
        }
        assert!(steady_rounds > 1000, "the steady case was exercised: {steady_rounds} source rounds");
    }

    #[test]
    fn a_steady_collection_is_not_checked_again() {
        // Sources that claim to have written what the last finish sorted are trusted: the claim is
        // what saves the comparisons, so a false one shows (an emitter never makes one).
        let family = |values: &[&str]| {
            let mut out = Emitter::new();
            for value in values {
                out.gauge("f", "H.", labels(&[("k", value)]), 1.0);
            }
            out.into_families()
        };
        let steady = |run| Steadiness { run, same_families: true, relabelled: 0, relabelled_past_64: false };
        let mut order = FamilyOrder::default();
        order.begin();
        order.add_source(0, steady(1), 1);
        let first = finish_in_order(family(&["a", "b"]), &mut order);
        assert_eq!(first[0].samples[0].label("k"), Some("a"));
        order.begin();
        order.add_source(0, steady(2), 1);
        let trusted = finish_in_order(family(&["b", "a"]), &mut order);
        assert_eq!(trusted[0].samples[0].label("k"), Some("b"), "a steady family is not sorted again");
        order.begin();
        order.add_source(0, Steadiness { relabelled: 1, ..steady(3) }, 1);
        let checked = finish_in_order(family(&["b", "a"]), &mut order);
        assert_eq!(checked[0].samples[0].label("k"), Some("a"), "a relabelled family is sorted");
        order.begin();
        order.add_source(0, steady(5), 1);
        let skipped_run = finish_in_order(family(&["b", "a"]), &mut order);
        assert_eq!(skipped_run[0].samples[0].label("k"), Some("b"), "labels kept: trusted");
        let unlisted = finish_in_order(family(&["b", "a"]), &mut order);
        assert_eq!(unlisted[0].samples[0].label("k"), Some("a"), "a finish without sources checks all");
    }

    #[test]
    fn an_emitter_reports_what_it_rewrote() {
        let pool = Arc::new(FamilyPool::default());
        let mut out = Emitter::recycling(Arc::clone(&pool), 0);
        let round = |out: &mut Emitter, plan: &[(&str, &[&str])]| {
            out.begin();
            for (name, values) in plan {
                for value in *values {
                    out.gauge(name, "H.", labels(&[("k", value)]), 1.0);
                }
            }
            let families = out.take_families();
            let steadiness = out.steadiness();
            pool.keep(finish(families));
            steadiness
        };
        let first = round(&mut out, &[("b", &["1", "2"]), ("a", &["1"])]);
        assert!(!first.same_families && first.relabelled == 0b11, "{first:?}");
        let again = round(&mut out, &[("b", &["1", "2"]), ("a", &["1"])]);
        assert_eq!((again.run, again.same_families, again.relabelled), (2, true, 0));
        let swapped = round(&mut out, &[("b", &["2", "1"]), ("a", &["1"])]);
        assert_eq!((swapped.same_families, swapped.relabelled), (true, 0b01), "only b's labels moved");
        let grown = round(&mut out, &[("b", &["1", "2"]), ("a", &["1", "3"])]);
        // b was sorted by the last finish, so writing it sorted again moves nothing.
        assert_eq!((grown.same_families, grown.relabelled), (true, 0b10), "a sample added to a");
        let renamed = round(&mut out, &[("b", &["1", "2"]), ("c", &["1"])]);
        assert!(!renamed.same_families, "{renamed:?}");
        let fewer = round(&mut out, &[("b", &["1", "2"])]);
        assert!(!fewer.same_families && fewer.relabelled == u64::MAX, "{fewer:?}");
    }

    #[test]
    fn families_past_the_64th_are_taken_as_relabelled() {
        let steadiness =
            Steadiness { run: 1, same_families: true, relabelled: 1 << 63, relabelled_past_64: true };
        assert!(steadiness.kept_labels(0) && !steadiness.kept_labels(63) && !steadiness.kept_labels(64));
        assert!(!Steadiness::default().kept_labels(0));
    }
}
