//! [`HostCollectorCache`]: a few started [`HostCollector`]s kept by their configuration, so one-shot
//! calls (Python's `collect_host`, Node's `collectHost`) reuse a collector's threads and buffers
//! instead of starting them on every call. [`shared_host_collector`] uses one process-wide cache.

use super::config::HostConfig;
use super::error::HostError;
use super::HostCollector;
use std::sync::{Arc, Mutex, PoisonError};

/// How many collectors the process-wide cache keeps (each holds up to four worker threads).
pub const SHARED_HOST_COLLECTORS: usize = 16;

/// A bounded cache of started collectors keyed by their [`HostConfig`]: a hit moves the entry to the
/// front; when full, the least recently used collector is dropped (its threads end). A collector is
/// only used in the process that started it: after `fork()` a child starts its own.
///
/// ```
/// use srekit::host::{HostCollectorCache, HostConfig};
/// let cache = HostCollectorCache::new(2);
/// let mut config = HostConfig::default();
/// config.disable_defaults();
/// config.enable("loadavg")?;
/// let first = cache.get_or_start(&config)?;
/// let again = cache.get_or_start(&config)?;
/// assert!(std::sync::Arc::ptr_eq(&first, &again));
/// # Ok::<(), srekit::host::HostError>(())
/// ```
#[derive(Debug)]
pub struct HostCollectorCache {
    capacity: usize,
    /// Most recently used last.
    entries: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    config: HostConfig,
    pid: u32,
    collector: Arc<HostCollector>,
}

impl HostCollectorCache {
    /// An empty cache keeping at most `capacity` collectors (at least one).
    ///
    /// ```
    /// let cache = srekit::host::HostCollectorCache::new(4);
    /// assert_eq!(cache.len(), 0);
    /// ```
    pub const fn new(capacity: usize) -> HostCollectorCache {
        let capacity = if capacity == 0 { 1 } else { capacity };
        HostCollectorCache { capacity, entries: Mutex::new(Vec::new()) }
    }

    /// The collector for `config`, started on first use (and again in a forked child). Fails as
    /// [`HostCollector::new`] does; a failure is not cached.
    ///
    /// ```
    /// let cache = srekit::host::HostCollectorCache::new(4);
    /// let mut config = srekit::host::HostConfig::default();
    /// config.netdev_device_exclude = Some("(".into());
    /// assert!(cache.get_or_start(&config).is_err());
    /// ```
    pub fn get_or_start(&self, config: &HostConfig) -> Result<Arc<HostCollector>, HostError> {
        let pid = std::process::id();
        {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            entries.retain(|entry| entry.pid == pid);
            if let Some(index) = entries.iter().position(|entry| entry.config == *config) {
                let entry = entries.remove(index);
                let collector = Arc::clone(&entry.collector);
                entries.push(entry);
                return Ok(collector);
            }
        }
        // Started without the lock: starting takes a while, and other configurations may be asked
        // for meanwhile. Two callers racing for one configuration may both start one; the later wins.
        let collector = Arc::new(HostCollector::new(config.clone())?);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|entry| entry.config != *config);
        if entries.len() >= self.capacity {
            entries.remove(0);
        }
        entries.push(Entry { config: config.clone(), pid, collector: Arc::clone(&collector) });
        Ok(collector)
    }

    /// How many collectors are kept.
    ///
    /// ```
    /// assert_eq!(srekit::host::HostCollectorCache::new(1).len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no collector is kept.
    ///
    /// ```
    /// assert!(srekit::host::HostCollectorCache::new(1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The process-wide cached collector for `config` (at most [`SHARED_HOST_COLLECTORS`] are kept),
/// for one-shot collection functions.
///
/// ```
/// let mut config = srekit::host::HostConfig::default();
/// config.disable_defaults();
/// config.enable("uname")?;
/// let collector = srekit::host::shared_host_collector(&config)?;
/// assert_eq!(collector.collectors(), vec!["uname"]);
/// # Ok::<(), srekit::host::HostError>(())
/// ```
pub fn shared_host_collector(config: &HostConfig) -> Result<Arc<HostCollector>, HostError> {
    static SHARED: HostCollectorCache = HostCollectorCache::new(SHARED_HOST_COLLECTORS);
    SHARED.get_or_start(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(name: &str) -> HostConfig {
        let mut config = HostConfig::default();
        config.disable_defaults();
        config.enable(name).expect("known collector");
        config
    }

    #[test]
    fn the_least_recently_used_collector_is_dropped_when_full() {
        let cache = HostCollectorCache::new(2);
        let loadavg = cache.get_or_start(&only("loadavg")).expect("starts");
        cache.get_or_start(&only("uname")).expect("starts");
        // loadavg is used again, so uname is the least recently used when time comes in.
        assert!(Arc::ptr_eq(&loadavg, &cache.get_or_start(&only("loadavg")).expect("cached")));
        cache.get_or_start(&only("time")).expect("starts");
        assert_eq!(cache.len(), 2);
        assert!(Arc::ptr_eq(&loadavg, &cache.get_or_start(&only("loadavg")).expect("cached")));
        let entries = cache.entries.lock().expect("not poisoned");
        let kept: Vec<Vec<&str>> = entries.iter().map(|e| e.config.enabled()).collect();
        assert_eq!(kept, vec![vec!["time"], vec!["loadavg"]]);
    }

    #[test]
    fn different_options_get_different_collectors() {
        let cache = HostCollectorCache::new(4);
        let mut other = only("loadavg");
        other.cpu_guest = false;
        let first = cache.get_or_start(&only("loadavg")).expect("starts");
        let second = cache.get_or_start(&other).expect("starts");
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn a_collector_from_another_process_is_not_reused() {
        let cache = HostCollectorCache::new(4);
        let first = cache.get_or_start(&only("loadavg")).expect("starts");
        cache.entries.lock().expect("not poisoned")[0].pid = std::process::id().wrapping_add(1);
        let second = cache.get_or_start(&only("loadavg")).expect("starts");
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(cache.len(), 1);
    }
}
