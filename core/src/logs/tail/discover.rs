//! Discovery: expands an input's paths and glob patterns into the regular files that currently match,
//! each with its inode.

use std::collections::HashSet;
use std::path::PathBuf;

use super::identity::Inode;

/// The patterns of one input, compiled once.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.log"), "x\n").unwrap();
/// std::fs::write(dir.path().join("b.txt"), "x\n").unwrap();
/// let patterns = srekit::logs::tail::Patterns::new(&[format!("{}/*.log", dir.path().display())]).unwrap();
/// let found = patterns.matching_files();
/// assert_eq!(found.len(), 1);
/// assert!(found[0].0.ends_with("a.log"));
/// ```
#[derive(Debug, Clone)]
pub struct Patterns {
    patterns: Vec<String>,
}

impl Patterns {
    /// Checks every pattern (`glob` syntax: `*`, `?`, `[...]`, `**`); a plain path is a pattern too.
    ///
    /// ```
    /// assert!(srekit::logs::tail::Patterns::new(&["/var/log/[".to_owned()]).is_err());
    /// ```
    pub fn new(patterns: &[String]) -> Result<Patterns, glob::PatternError> {
        for pattern in patterns {
            glob::Pattern::new(pattern)?;
        }
        Ok(Patterns { patterns: patterns.to_vec() })
    }

    /// Whether `path` matches one of the patterns (without touching the filesystem).
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/logs/*.log".to_owned()]).unwrap();
    /// assert!(p.matches_path(std::path::Path::new("/logs/a.log")));
    /// assert!(!p.matches_path(std::path::Path::new("/logs/a.log.1")));
    /// ```
    pub fn matches_path(&self, path: &std::path::Path) -> bool {
        self.patterns.iter().any(|p| glob::Pattern::new(p).is_ok_and(|p| p.matches_path(path)))
    }

    /// The regular files matching now, in pattern order then path order, each file once.
    /// Unreadable directories and vanished files are skipped.
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/nonexistent-srekit/*.log".to_owned()]).unwrap();
    /// assert!(p.matching_files().is_empty());
    /// ```
    pub fn matching_files(&self) -> Vec<(PathBuf, Inode)> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for pattern in &self.patterns {
            let Ok(paths) = glob::glob(pattern) else { continue };
            for path in paths.flatten() {
                let Ok(meta) = std::fs::metadata(&path) else { continue };
                if !meta.is_file() {
                    continue;
                }
                let inode = Inode::of(&meta);
                if seen.insert(inode) {
                    found.push((path, inode));
                }
            }
        }
        found
    }
}
