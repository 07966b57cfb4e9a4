//! The output side of a collector: an [`Emitter`] gathers samples into metric families by name, and
//! [`finish`] puts families in node_exporter's order (by name, samples by label values).

use super::recycle::{FamilyPool, Slots};
use crate::metrics::{Label, MetricFamily, MetricType, Sample, Suffix};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// A hash map with a fast (non-DoS-resistant) hasher: keys are metric names the kernel gives us.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Collects the families one collector produces; a family is created on its first sample.
///
/// An emitter with a [`FamilyPool`] lives as long as its collector: each collection takes the families
/// handed back after the previous one and overwrites their samples and label strings in place, so a
/// collection that writes what the previous one wrote allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    families: Vec<MetricFamily>,
    /// How many samples of each family this collection wrote (the rest are last collection's);
    /// [`UNTOUCHED`] for a family taken from the pool before this collection asked for it.
    filled: Vec<usize>,
    /// The families (base name, type) of the last collection, taken from the pool in one go, and
    /// their slots in the pool.
    last: Vec<(String, MetricType)>,
    slots: Slots,
    /// Whether this collection's list of families differs from the one [`begin`](Emitter::begin)
    /// took (one created, one not taken from the pool or not written): `last` must be written again.
    changed: bool,
    /// Hash of the name a family was asked for -> its position (checked against the name); built on
    /// the first request the cursor does not answer (`indexed`), so a collection that asks for its
    /// families in last collection's order hashes no name.
    index: FastMap<u64, usize>,
    indexed: bool,
    /// The position [`position`](Emitter::position) returned last (`usize::MAX` before the first
    /// request of a collection). A collector asks for its families in the same order every collection,
    /// several samples in a row, so the family asked for is mostly this one or the next.
    cursor: usize,
    /// The order the last [`finish_families`](Emitter::finish_families) put families in.
    order: FamilyOrder,
    names: foldhash::fast::FixedState,
    pool: Option<(Arc<FamilyPool>, usize)>,
}

/// `filled` of a family taken from the pool at [`Emitter::begin`] that this collection has not written.
const UNTOUCHED: usize = usize::MAX;

/// Label pairs an emitter copies into a sample: borrowed pairs (`&[("cpu", "0")]`, which allocate
/// nothing when a reused sample has the room) or an owned `Vec<Label>`.
pub(crate) trait LabelPairs {
    /// Overwrites `target` with these pairs, reusing its strings.
    fn write_into(self, target: &mut Vec<Label>);
    /// The pairs as a new vector.
    fn into_labels(self) -> Vec<Label>;
}

impl LabelPairs for Vec<Label> {
    fn write_into(self, target: &mut Vec<Label>) {
        if target.capacity() == 0 {
            *target = self;
            return;
        }
        overwrite(target, self.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    fn into_labels(self) -> Vec<Label> {
        self
    }
}

impl LabelPairs for &[(&str, &str)] {
    fn write_into(self, target: &mut Vec<Label>) {
        overwrite(target, self.iter().copied());
    }
    fn into_labels(self) -> Vec<Label> {
        labels(self)
    }
}

impl<const N: usize> LabelPairs for &[(&str, &str); N] {
    fn write_into(self, target: &mut Vec<Label>) {
        overwrite(target, self.iter().copied());
    }
    fn into_labels(self) -> Vec<Label> {
        labels(self)
    }
}

/// Overwrites `target` with `pairs`, reusing the strings it holds.
fn overwrite<'a>(target: &mut Vec<Label>, pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)>) {
    target.truncate(pairs.len());
    for (i, (name, value)) in pairs.enumerate() {
        match target.get_mut(i) {
            Some((n, v)) => {
                assign(n, name);
                assign(v, value);
            }
            None => target.push((name.to_string(), value.to_string())),
        }
    }
}

/// Whether `a` and `b` hold the same text, compared inline ([`crate::short_eq::same`]).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    crate::short_eq::same(a.as_bytes(), b.as_bytes())
}

/// Sets `target` to `text`, keeping its allocation.
fn assign(target: &mut String, text: &str) {
    if !same(target, text) {
        target.clear();
        target.push_str(text);
    }
}

/// The suffix of a family's main samples (`_total` for counters, `_info` for info metrics).
fn main_suffix(kind: MetricType) -> Suffix {
    match kind {
        MetricType::Counter => Suffix::Total,
        MetricType::Info => Suffix::Info,
        _ => Suffix::None,
    }
}

/// The base name of a family whose main samples are named `name`.
fn base_name(name: &str, kind: MetricType) -> &str {
    let suffix = main_suffix(kind).as_str();
    match name.len().checked_sub(suffix.len()) {
        Some(base) if !suffix.is_empty() && name.is_char_boundary(base) && same(&name[base..], suffix) => {
            &name[..base]
        }
        _ => name,
    }
}

impl Emitter {
    /// An empty emitter.
    pub(crate) fn new() -> Emitter {
        Emitter::default()
    }

    /// An emitter for collector `index` that reuses the families handed back to `pool`.
    pub(crate) fn recycling(pool: Arc<FamilyPool>, index: usize) -> Emitter {
        Emitter { pool: Some((pool, index)), ..Emitter::default() }
    }

    /// Starts a collection: takes the list kept for this collector and, in one go, the families it
    /// wrote last time, when they were handed back.
    pub(crate) fn begin(&mut self) {
        self.index.clear();
        self.indexed = false;
        self.cursor = usize::MAX;
        self.filled.clear();
        self.changed = true;
        let Some((pool, index)) = &self.pool else { return };
        if self.families.capacity() == 0 {
            self.families = pool.list(*index);
        }
        self.families.clear();
        pool.take_all(&self.last, &mut self.slots, &mut self.families);
        self.changed = self.families.len() != self.last.len();
        self.filled.resize(self.families.len(), UNTOUCHED);
    }

    /// Builds the name index of the families so far, if not built yet in this collection.
    fn ensure_index(&mut self) {
        if self.indexed {
            return;
        }
        self.indexed = true;
        for position in 0..self.families.len() {
            let key = self.key(&self.families[position].name, self.families[position].kind);
            self.index.entry(key).or_insert(position);
        }
    }

    /// The position of the family of base name `base` and type `kind` if it is at the cursor, right
    /// after it or right before it (names are unique among the families, so this is the family the
    /// index would find).
    fn near_cursor(&self, base: &str, kind: MetricType) -> Option<usize> {
        let suffix = main_suffix(kind);
        [self.cursor, self.cursor.wrapping_add(1), self.cursor.wrapping_sub(1)].into_iter().find(|&i| {
            self.families.get(i).is_some_and(|f| main_suffix(f.kind) == suffix && same(&f.name, base))
        })
    }

    /// Ends a collection: drops the families taken at [`begin`](Emitter::begin) that it did not
    /// write, truncates the others to what it wrote and remembers their names for the next one.
    fn end(&mut self) {
        if self.filled.contains(&UNTOUCHED) {
            self.changed = true;
            let mut position = 0;
            let filled = &self.filled;
            self.families.retain(|_| {
                position += 1;
                filled[position - 1] != UNTOUCHED
            });
            self.filled.retain(|&filled| filled != UNTOUCHED);
        }
        for (family, &filled) in self.families.iter_mut().zip(&self.filled) {
            family.samples.truncate(filled);
        }
        if self.changed {
            self.slots.clear();
            self.last.truncate(self.families.len());
            for (i, family) in self.families.iter().enumerate() {
                match self.last.get_mut(i) {
                    Some((name, kind)) => {
                        assign(name, &family.name);
                        *kind = family.kind;
                    }
                    None => self.last.push((family.name.clone(), family.kind)),
                }
            }
        }
        self.filled.clear();
        self.index.clear();
        self.indexed = false;
    }

    /// The key of the family of base name `base` and type `kind` in `index`: the hash of its
    /// exposition name.
    fn key(&self, base: &str, kind: MetricType) -> u64 {
        let mut hasher = self.names.build_hasher();
        hasher.write(base.as_bytes());
        hasher.write(main_suffix(kind).as_str().as_bytes());
        hasher.finish()
    }

    /// The position of the family of base name `base` and type `kind` with key `key`, if present.
    fn find(&self, key: u64, base: &str, kind: MetricType) -> Option<usize> {
        let &i = self.index.get(&key)?;
        let matches = |f: &MetricFamily| f.name == base && main_suffix(f.kind) == main_suffix(kind);
        if matches(&self.families[i]) {
            Some(i)
        } else {
            self.families.iter().position(matches)
        }
    }

    /// The position of the family named `name` (exposition name, e.g. `node_cpu_seconds_total`),
    /// created (or taken from the pool) if needed.
    fn position(&mut self, name: &str, help: &str, kind: MetricType) -> usize {
        let base = base_name(name, kind);
        let found = match self.near_cursor(base, kind) {
            Some(i) => Some(i),
            None => {
                self.ensure_index();
                self.find(self.key(base, kind), base, kind)
            }
        };
        if let Some(i) = found {
            if self.filled[i] == UNTOUCHED {
                self.filled[i] = 0;
                assign(&mut self.families[i].help, help);
                self.families[i].unit.clear();
            }
            self.cursor = i;
            return i;
        }
        let family = match self.pool.as_ref().and_then(|(pool, _)| pool.take(base, kind)) {
            Some(mut family) => {
                assign(&mut family.help, help);
                family.unit.clear();
                family
            }
            None => MetricFamily {
                name: base.to_string(),
                help: help.to_string(),
                unit: String::new(),
                kind,
                samples: Vec::new(),
            },
        };
        self.families.push(family);
        self.filled.push(0);
        self.changed = true;
        let position = self.families.len() - 1;
        let key = self.key(base, kind);
        self.index.entry(key).or_insert(position);
        self.cursor = position;
        position
    }

    /// Adds a sample with `kind`'s main suffix to the family named `name`, created if needed.
    pub(crate) fn sample(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: impl LabelPairs,
        value: f64,
    ) {
        let position = self.position(name, help, kind);
        let suffix = main_suffix(kind);
        let family = &mut self.families[position];
        let filled = &mut self.filled[position];
        match family.samples.get_mut(*filled) {
            Some(sample) => {
                sample.suffix = suffix;
                sample.value = value;
                sample.timestamp = None;
                sample.exemplar = None;
                labels.write_into(&mut sample.labels);
            }
            None => family.samples.push(Sample::new(suffix, labels.into_labels(), value)),
        }
        *filled += 1;
    }

    /// Adds a gauge sample.
    pub(crate) fn gauge(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Gauge, labels, value);
    }

    /// Adds a counter sample (`name` ends in `_total`).
    pub(crate) fn counter(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Counter, labels, value);
    }

    /// Adds an untyped sample.
    pub(crate) fn untyped(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Unknown, labels, value);
    }

    /// Adds a whole family (from the textfile collector), merging samples into one of the same name.
    pub(crate) fn add_family(&mut self, family: MetricFamily) {
        self.ensure_index();
        let key = self.key(&family.name, family.kind);
        match self.find(key, &family.name, family.kind) {
            Some(i) if self.filled[i] == UNTOUCHED => {
                self.families[i] = family;
                self.filled[i] = self.families[i].samples.len();
            }
            Some(i) => {
                self.families[i].samples.truncate(self.filled[i]);
                self.families[i].samples.extend(family.samples);
                self.filled[i] = self.families[i].samples.len();
            }
            None => {
                self.changed = true;
                self.filled.push(family.samples.len());
                self.families.push(family);
                self.index.entry(key).or_insert(self.families.len() - 1);
            }
        }
    }

    /// The families gathered in this collection (the emitter keeps its bookkeeping for the next).
    pub(crate) fn take_families(&mut self) -> Vec<MetricFamily> {
        self.end();
        std::mem::take(&mut self.families)
    }

    /// Moves the families gathered in this collection to the end of `target`, keeping the list.
    pub(crate) fn drain_into(&mut self, target: &mut Vec<MetricFamily>) {
        self.end();
        target.append(&mut self.families);
    }

    /// [`finish`] of `families` (a whole collection), reusing the order this emitter's last call
    /// found when it still sorts them.
    pub(crate) fn finish_families(&mut self, families: Vec<MetricFamily>) -> Vec<MetricFamily> {
        finish_in_order(families, &mut self.order)
    }

    /// The families gathered so far.
    pub(crate) fn into_families(mut self) -> Vec<MetricFamily> {
        self.take_families()
    }
}

/// Borrowed label pairs for an emitter (which copies them into reused strings), typed so that
/// `&String` values coerce: `out.gauge(name, help, pairs(&[("device", &device)]), 1.0)`.
pub(crate) fn pairs<'a, 'b>(pairs: &'a [(&'b str, &'b str)]) -> &'a [(&'b str, &'b str)] {
    pairs
}

/// Label pairs from `(&str, &str)` tuples.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> Vec<Label> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
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

/// The order [`finish`] put the families of the last collection in, and scratch room to apply it:
/// a collection mostly lists the same families in the same order as the one before, so checking
/// that the last order still sorts them (one comparison per family) saves sorting them anew.
#[derive(Debug, Default)]
pub(crate) struct FamilyOrder {
    /// `order[k]` is the position before sorting of the family that went to position `k`.
    order: Vec<usize>,
    /// Which positions [`permute`] has placed.
    placed: Vec<bool>,
}

/// Like [`finish`], reusing (and updating) the order of the last collection in `order`.
pub(crate) fn finish_in_order(mut families: Vec<MetricFamily>, cache: &mut FamilyOrder) -> Vec<MetricFamily> {
    let strictly_sorted_by = |order: &[usize], families: &[MetricFamily]| {
        order.windows(2).all(|w| compare_exposition_names(&families[w[0]], &families[w[1]]).is_lt())
    };
    // Stable sort of the positions, so that families of the same name stay in their order (and are
    // merged in it below); a strictly sorted result is the one and only sorted order, whatever gave it.
    let reused = cache.order.len() == families.len() && strictly_sorted_by(&cache.order, &families);
    if !reused {
        cache.order.clear();
        cache.order.extend(0..families.len());
        if !families.is_sorted_by(|a, b| compare_exposition_names(a, b).is_le()) {
            cache.order.sort_by(|&a, &b| compare_exposition_names(&families[a], &families[b]));
        }
    }
    permute(&mut families, &cache.order, &mut cache.placed);
    // `dedup_by` hands the later family first: its samples go to the end of the earlier one's.
    families.dedup_by(|later, earlier| {
        let same = compare_exposition_names(earlier, later).is_eq();
        if same {
            earlier.samples.append(&mut later.samples);
        }
        same
    });
    let mut merged = families;
    for family in &mut merged {
        for sample in &mut family.samples {
            if !sample.labels.windows(2).all(|w| w[0].0 <= w[1].0) {
                sample.labels.sort_by(|x, y| x.0.cmp(&y.0));
            }
        }
        if !family.samples.windows(2).all(|w| compare_samples(&w[0], &w[1]).is_le()) {
            family.samples.sort_by(compare_samples);
        }
    }
    merged
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
    fn same_compares_bytes() {
        let texts = [
            "",
            "a",
            "node_load1",
            "node_load5",
            "node_scrape_collector_success",
            "node_scrape_collector_successX",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
        assert!(!same("node_scrape_collector_duration_secondz", "node_scrape_collector_duration_seconds"));
        assert!(!same("xode_scrape_collector_duration_seconds", "node_scrape_collector_duration_seconds"));
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
}
