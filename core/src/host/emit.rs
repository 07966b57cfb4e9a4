//! The output side of a collector: an [`Emitter`] gathers samples into metric families by name, and
//! [`finish`] puts families in node_exporter's order (by name, samples by label values).

use crate::metrics::{Label, MetricFamily, MetricType, Sample, Suffix};

/// A hash map with a fast (non-DoS-resistant) hasher: keys are metric names the kernel gives us.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Collects the families one collector produces; a family is created on its first sample.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    families: Vec<MetricFamily>,
    index: FastMap<String, usize>,
}

impl Emitter {
    /// An empty emitter.
    pub(crate) fn new() -> Emitter {
        Emitter::default()
    }

    /// The family named `name` (exposition name, e.g. `node_cpu_seconds_total`), created if needed.
    pub(crate) fn family(&mut self, name: &str, help: &str, kind: MetricType) -> &mut MetricFamily {
        let position = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.families.push(MetricFamily::new(name, help, kind));
                self.index.insert(name.to_string(), self.families.len() - 1);
                self.families.len() - 1
            }
        };
        &mut self.families[position]
    }

    /// Adds a gauge sample.
    pub(crate) fn gauge(&mut self, name: &str, help: &str, labels: Vec<Label>, value: f64) {
        self.family(name, help, MetricType::Gauge).push(labels, value);
    }

    /// Adds a counter sample (`name` ends in `_total`).
    pub(crate) fn counter(&mut self, name: &str, help: &str, labels: Vec<Label>, value: f64) {
        self.family(name, help, MetricType::Counter).push(labels, value);
    }

    /// Adds an untyped sample.
    pub(crate) fn untyped(&mut self, name: &str, help: &str, labels: Vec<Label>, value: f64) {
        self.family(name, help, MetricType::Unknown).push(labels, value);
    }

    /// Adds a whole family (from the textfile collector), merging samples into one of the same name.
    pub(crate) fn add_family(&mut self, family: MetricFamily) {
        let key = exposition_name(&family);
        match self.index.get(&key) {
            Some(&i) => self.families[i].samples.extend(family.samples),
            None => {
                self.families.push(family);
                self.index.insert(key, self.families.len() - 1);
            }
        }
    }

    /// The families gathered so far.
    pub(crate) fn into_families(self) -> Vec<MetricFamily> {
        self.families
    }
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
pub(crate) fn finish(mut families: Vec<MetricFamily>) -> Vec<MetricFamily> {
    families.sort_by(compare_exposition_names);
    let mut merged: Vec<MetricFamily> = Vec::with_capacity(families.len());
    for family in families {
        match merged.last_mut() {
            Some(previous) if compare_exposition_names(previous, &family).is_eq() => {
                previous.samples.extend(family.samples)
            }
            _ => merged.push(family),
        }
    }
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
    fn counters_sort_by_their_total_name() {
        let mut out = Emitter::new();
        out.gauge("node_network_carrier_changes", "x", vec![], 1.0);
        out.counter("node_network_carrier_total", "x", vec![], 1.0);
        let families = finish(out.into_families());
        assert_eq!(exposition_name(&families[0]), "node_network_carrier_changes");
    }
}
