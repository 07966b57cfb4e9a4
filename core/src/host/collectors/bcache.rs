//! bcache: block-cache statistics from /sys/fs/bcache/<uuid>/ (cache sets), as node_exporter's bcache
//! collector reports them: `node_bcache_*{uuid}` for the set, `{uuid,backing_device}` for each
//! `bdevN` (dirty data, writeback controller, hit/miss totals) and `{uuid,cache_device}` for each
//! `cacheN` (io errors, bytes written, and with `--collector.bcache.priorityStats` the unused and
//! metadata percentages of its `priority_stats`, which the kernel computes by walking every bucket). bcache prints sizes the way its
//! `bch_hprint` does (`20.4G`, `427.5k`, with a fraction in 1/1024ths); they are read back exactly as
//! node_exporter reads them. A host without bcache has no cache sets: success with nothing to report.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, parse_u64};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// The bcache collector.
pub(crate) struct Bcache {
    settings: Arc<Settings>,
}

impl Bcache {
    pub(crate) fn new(settings: Arc<Settings>) -> Bcache {
        Bcache { settings }
    }
}

/// Files of a `stats_total` (or `stats_five_minute`) directory, with node_exporter's metric and help.
const PERIOD_STATS: &[(&str, &str, &str)] = &[
    (
        "bypassed",
        "node_bcache_bypassed_bytes_total",
        "Amount of IO (both reads and writes) that has bypassed the cache.",
    ),
    ("cache_hits", "node_bcache_cache_hits_total", "Hits counted per individual IO as bcache sees them."),
    (
        "cache_misses",
        "node_bcache_cache_misses_total",
        "Misses counted per individual IO as bcache sees them.",
    ),
    ("cache_bypass_hits", "node_bcache_cache_bypass_hits_total", "Hits for IO intended to skip the cache."),
    (
        "cache_bypass_misses",
        "node_bcache_cache_bypass_misses_total",
        "Misses for IO intended to skip the cache.",
    ),
    (
        "cache_miss_collisions",
        "node_bcache_cache_miss_collisions_total",
        "Instances where data insertion from cache miss raced with write (data already present).",
    ),
    ("cache_readaheads", "node_bcache_cache_readaheads_total", "Count of times readahead occurred."),
];

/// The bcache collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "bcache",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Bcache::new(settings)),
};

impl Collector for Bcache {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let root = self.settings.sys("fs/bcache");
        for uuid in self.settings.absences.list_dir_if_present(&root)?.into_iter().filter(|n| n.contains('-'))
        {
            collect_cache_set(&root.join(&uuid), &uuid, self.settings.bcache_priority_stats, out)?;
        }
        Ok(())
    }
}

/// Emits one cache set. Any unreadable file fails the collector, and the runner then drops what was
/// emitted, as node_exporter reports nothing from a failed collector.
fn collect_cache_set(
    dir: &Path,
    uuid: &str,
    priority_stats: bool,
    out: &mut Emitter,
) -> Result<(), CollectError> {
    let value = |relative: &str| read_value(&dir.join(relative));
    let set = labels(&[("uuid", uuid)]);
    let gauges = [
        ("node_bcache_average_key_size_sectors", "Average data per key in the btree (sectors).", value("average_key_size")?),
        ("node_bcache_btree_cache_size_bytes", "Amount of memory currently used by the btree cache.", value("btree_cache_size")?),
        (
            "node_bcache_cache_available_percent",
            "Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).",
            value("cache_available_percent")?,
        ),
        ("node_bcache_congested", "Congestion.", value("congested")?),
        (
            "node_bcache_root_usage_percent",
            "Percentage of the root btree node in use (tree depth increases if too high).",
            value("root_usage_percent")?,
        ),
        ("node_bcache_tree_depth", "Depth of the btree.", value("tree_depth")?),
        (
            "node_bcache_active_journal_entries",
            "Number of journal entries that are newer than the index.",
            value("internal/active_journal_entries")?,
        ),
        ("node_bcache_btree_nodes", "Total nodes in the btree.", value("internal/btree_nodes")?),
        // The file holds microseconds; node_exporter scales it as nanoseconds. Kept for compatibility.
        (
            "node_bcache_btree_read_average_duration_seconds",
            "Average btree read duration.",
            value("internal/btree_read_average_duration_us")? * 1e-9,
        ),
    ];
    for (name, help, value) in gauges {
        out.gauge(name, help, set.clone(), value);
    }
    out.counter(
        "node_bcache_cache_read_races_total",
        "Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.",
        set,
        value("internal/cache_read_races")?,
    );
    // node_exporter requires the set's period statistics to be readable, though it exports none of them.
    for period in ["stats_five_minute", "stats_total"] {
        for (file, _, _) in PERIOD_STATS {
            value(&format!("{period}/{file}"))?;
        }
    }
    let children = list_dir(dir)?;
    let numbered = |prefix: &'static str| {
        children.iter().filter(move |n| {
            n.strip_prefix(prefix).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
    };
    for device in numbered("bdev") {
        let bdev = dir.join(device);
        let pairs = labels(&[("uuid", uuid), ("backing_device", device)]);
        let debug = read_writeback_debug(&bdev.join("writeback_rate_debug"))?;
        let gauges = [
            (
                "node_bcache_dirty_data_bytes",
                "Amount of dirty data for this backing device in the cache.",
                read_value(&bdev.join("dirty_data"))?,
            ),
            (
                "node_bcache_dirty_target_bytes",
                "Current dirty data target threshold for this backing device in bytes.",
                debug.target,
            ),
            (
                "node_bcache_writeback_rate",
                "Current writeback rate for this backing device in bytes.",
                debug.rate,
            ),
            (
                "node_bcache_writeback_rate_proportional_term",
                "Current result of proportional controller, part of writeback rate",
                debug.proportional,
            ),
            (
                "node_bcache_writeback_rate_integral_term",
                "Current result of integral controller, part of writeback rate",
                debug.integral,
            ),
            (
                "node_bcache_writeback_change",
                "Last writeback rate change step for this backing device.",
                debug.change,
            ),
        ];
        for (name, help, value) in gauges {
            out.gauge(name, help, pairs.clone(), value);
        }
        for (file, _, _) in PERIOD_STATS {
            read_value(&bdev.join("stats_five_minute").join(file))?;
        }
        for (file, name, help) in PERIOD_STATS {
            out.counter(name, help, pairs.clone(), read_value(&bdev.join("stats_total").join(file))?);
        }
    }
    for device in numbered("cache") {
        let cache = dir.join(device);
        let pairs = labels(&[("uuid", uuid), ("cache_device", device)]);
        out.gauge(
            "node_bcache_io_errors",
            "Number of errors that have occurred, decayed by io_error_halflife.",
            pairs.clone(),
            read_value(&cache.join("io_errors"))?,
        );
        out.counter(
            "node_bcache_metadata_written_bytes_total",
            "Sum of all non data writes (btree writes and all other metadata).",
            pairs.clone(),
            read_value(&cache.join("metadata_written"))?,
        );
        out.counter(
            "node_bcache_written_bytes_total",
            "Sum of all data that has been written to the cache.",
            pairs.clone(),
            read_value(&cache.join("written"))?,
        );
        if priority_stats {
            let (unused, metadata) = read_priority_stats(&cache.join("priority_stats"))?;
            out.gauge(
                "node_bcache_priority_stats_unused_percent",
                "The percentage of the cache that doesn't contain any data.",
                pairs.clone(),
                unused,
            );
            out.gauge(
                "node_bcache_priority_stats_metadata_percent",
                "Bcache's metadata overhead.",
                pairs,
                metadata,
            );
        }
    }
    Ok(())
}

/// The `Unused:` and `Metadata:` percentages of a cache device's `priority_stats` (0 when absent,
/// as node_exporter reads them).
fn read_priority_stats(path: &Path) -> Result<(f64, f64), CollectError> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectError::io(path, e))?;
    let (mut unused, mut metadata) = (0.0, 0.0);
    for line in text.lines() {
        let slot = if line.starts_with("Unused:") {
            &mut unused
        } else if line.starts_with("Metadata:") {
            &mut metadata
        } else {
            continue;
        };
        let value = line.split_ascii_whitespace().last().unwrap_or("").trim_end_matches('%');
        *slot =
            parse_u64(value).ok_or_else(|| CollectError::parse(path, "a percentage is not a number"))? as f64;
    }
    Ok((unused, metadata))
}

/// The controller terms of a backing device's `writeback_rate_debug`.
#[derive(Default)]
struct WritebackDebug {
    rate: f64,
    target: f64,
    proportional: f64,
    integral: f64,
    change: f64,
}

fn read_writeback_debug(path: &Path) -> Result<WritebackDebug, CollectError> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectError::io(path, e))?;
    let mut debug = WritebackDebug::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim().trim_end_matches("/sec");
        let slot = match key.trim() {
            "rate" => &mut debug.rate,
            "target" => &mut debug.target,
            "proportional" => &mut debug.proportional,
            "integral" => &mut debug.integral,
            "change" => &mut debug.change,
            _ => continue,
        };
        *slot = dehumanize(value).ok_or_else(|| CollectError::parse(path, "a value is not a bcache size"))?;
    }
    Ok(debug)
}

fn read_value(path: &Path) -> Result<f64, CollectError> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectError::io(path, e))?;
    dehumanize(text.trim_end_matches('\n')).ok_or_else(|| CollectError::parse(path, "not a bcache size"))
}

/// Reads a number printed by bcache's `bch_hprint`: an integer, or a mantissa with a one-letter
/// binary multiplier (`k`, `M`, `G`, ... powers of 1024) whose fraction counts 1/1024ths printed as
/// tenths (`20.4G` is 20 + 4/10.24 GiB). The result is truncated to a whole number, keeping the sign.
fn dehumanize(text: &str) -> Option<f64> {
    let last = *text.as_bytes().last()?;
    if last.is_ascii_digit() {
        return text.parse::<f64>().ok().map(f64::trunc);
    }
    let multiplier = match last {
        b'k' => 1u64 << 10,
        b'M' => 1 << 20,
        b'G' => 1 << 30,
        b'T' => 1 << 40,
        b'P' => 1 << 50,
        b'E' => 1 << 60,
        _ => return None,
    } as f64;
    let mantissa = &text[..text.len() - 1];
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let value = match mantissa.split_once('.') {
        None => mantissa.parse::<f64>().ok()?,
        Some((whole, fraction)) => whole.parse::<f64>().ok()? + fraction.parse::<f64>().ok()? / 10.24,
    };
    let value = (value * multiplier).trunc();
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::{dehumanize, read_priority_stats};

    #[test]
    fn priority_stats_percentages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("priority_stats");
        std::fs::write(&path, "Unused:\t\t37%\nClean:\t\t60%\nMetadata:\t3%\nAverage:\t10473\n")
            .expect("write");
        assert_eq!(read_priority_stats(&path).ok(), Some((37.0, 3.0)));
        std::fs::write(&path, "Unused:\t\tmany%\n").expect("write");
        assert!(read_priority_stats(&path).is_err(), "a bad percentage fails the collection");
        assert!(read_priority_stats(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn bch_hprint_numbers() {
        assert_eq!(dehumanize("0"), Some(0.0));
        assert_eq!(dehumanize("546"), Some(546.0));
        assert_eq!(dehumanize("2.5k"), Some(2548.0));
        assert_eq!(dehumanize("20.4G"), Some(21894266880.0));
        assert_eq!(dehumanize("-790.0k"), Some(-808960.0));
        assert_eq!(dehumanize("1.1M"), Some(1150976.0));
        assert_eq!(dehumanize("12x"), None);
        assert_eq!(dehumanize(""), None);
    }
}
