//! Discovery: expands an input's paths and glob patterns into the regular files that currently match,
//! each with its inode.
//!
//! The walk is our own, component by component, so that it is safe on hostile trees: a directory is
//! entered at most once per pattern position (symlink loops such as `ln -s . a` under `**` cannot make
//! it exponential or endless), and one scan visits at most [`MAX_SCAN_ENTRIES`] directory entries;
//! beyond that the scan stops and says so ([`Scan::truncated`]). Symlinked files are followed
//! (Kubernetes' `/var/log/containers` are symlinks), and so are symlinked directories, once each.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::identity::Inode;
use super::{stamp, FileStamp};

/// Directory entries one scan of an input's patterns visits at most.
pub const MAX_SCAN_ENTRIES: usize = 100_000;

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
    compiled: Vec<glob::Pattern>,
    max_entries: usize,
}

/// What one scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The regular files matching, in pattern order then path order, each file once.
    pub files: Vec<(PathBuf, Inode)>,
    /// True when the scan stopped at its bound on directory entries: some files may be missing.
    pub truncated: bool,
    /// The directories the scan looked into (where new matching files would appear).
    pub dirs: Vec<PathBuf>,
    /// Each file's size and modification time, as the scan saw them.
    pub(super) stamps: HashMap<Inode, FileStamp>,
}

impl Patterns {
    /// Checks every pattern (`glob` syntax: `*`, `?`, `[...]`, `**`); a plain path is a pattern too.
    ///
    /// ```
    /// assert!(srekit::logs::tail::Patterns::new(&["/var/log/[".to_owned()]).is_err());
    /// ```
    pub fn new(patterns: &[String]) -> Result<Patterns, glob::PatternError> {
        let compiled = patterns.iter().map(|p| glob::Pattern::new(p)).collect::<Result<Vec<_>, _>>()?;
        for pattern in patterns {
            for component in Path::new(pattern).components() {
                if let Component::Normal(part) = component {
                    glob::Pattern::new(&part.to_string_lossy())?;
                }
            }
        }
        Ok(Patterns { patterns: patterns.to_vec(), compiled, max_entries: MAX_SCAN_ENTRIES })
    }

    /// The same patterns with another bound on the directory entries one scan visits.
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/proc/*/status".to_owned()]).unwrap().with_max_entries(3);
    /// assert!(p.scan().truncated);
    /// ```
    pub fn with_max_entries(mut self, max_entries: usize) -> Patterns {
        self.max_entries = max_entries;
        self
    }

    /// Whether `path` matches one of the patterns (without touching the filesystem).
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/logs/*.log".to_owned()]).unwrap();
    /// assert!(p.matches_path(std::path::Path::new("/logs/a.log")));
    /// assert!(!p.matches_path(std::path::Path::new("/logs/a.log.1")));
    /// ```
    pub fn matches_path(&self, path: &std::path::Path) -> bool {
        self.compiled.iter().any(|p| p.matches_path(path))
    }

    /// The regular files matching now, in pattern order then path order, each file once.
    /// Unreadable directories and vanished files are skipped.
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/nonexistent-srekit/*.log".to_owned()]).unwrap();
    /// assert!(p.matching_files().is_empty());
    /// ```
    pub fn matching_files(&self) -> Vec<(PathBuf, Inode)> {
        self.scan().files
    }

    /// Like [`Patterns::matching_files`], and says whether the scan hit its bound.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::os::unix::fs::symlink(".", dir.path().join("loop")).unwrap();
    /// std::fs::write(dir.path().join("a.log"), "x\n").unwrap();
    /// let p = srekit::logs::tail::Patterns::new(&[format!("{}/**/*.log", dir.path().display())]).unwrap();
    /// let scan = p.scan();
    /// assert_eq!(scan.files.len(), 1);
    /// assert!(!scan.truncated);
    /// ```
    pub fn scan(&self) -> Scan {
        let mut walk = Walk {
            budget: self.max_entries,
            truncated: false,
            seen_files: HashSet::new(),
            dirs: Vec::new(),
            stamps: HashMap::new(),
        };
        let mut files = Vec::new();
        for pattern in &self.patterns {
            let (start, parts) = split_pattern(pattern);
            let mut entered = HashSet::new();
            walk.walk(&start, &parts, &mut entered, &mut files);
            if walk.truncated {
                break;
            }
        }
        Scan { files, truncated: walk.truncated, dirs: walk.dirs, stamps: walk.stamps }
    }

    /// The directory each pattern starts from (its literal prefix; for a plain path, the directory it
    /// is in), whether it exists or not.
    ///
    /// ```
    /// let p = srekit::logs::tail::Patterns::new(&["/var/log/pods/*/*/*.log".to_owned(), "/srv/app.log".to_owned()]).unwrap();
    /// assert_eq!(p.roots(), [std::path::PathBuf::from("/var/log/pods"), "/srv".into()]);
    /// ```
    pub fn roots(&self) -> Vec<PathBuf> {
        let root = |pattern: &String| {
            let (start, parts) = split_pattern(pattern);
            if parts.is_empty() {
                start.parent().map(Path::to_path_buf).unwrap_or(start)
            } else {
                start
            }
        };
        self.patterns.iter().map(root).collect()
    }
}

/// One pattern as a starting directory (its literal prefix) and the components still to match.
fn split_pattern(pattern: &str) -> (PathBuf, Vec<Part>) {
    let mut start = PathBuf::new();
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        match component {
            Component::Normal(name) => {
                let text = name.to_string_lossy();
                if parts.is_empty() && !has_glob_syntax(&text) {
                    start.push(name);
                } else if text == "**" {
                    parts.push(Part::AnyDirs);
                } else if has_glob_syntax(&text) {
                    // Checked in Patterns::new; a pattern that does not compile matches nothing.
                    parts.push(glob::Pattern::new(&text).map_or(Part::Nothing, Part::Glob));
                } else {
                    parts.push(Part::Literal(name.to_os_string()));
                }
            }
            other if parts.is_empty() => start.push(other.as_os_str()),
            other => parts.push(Part::Literal(other.as_os_str().to_os_string())),
        }
    }
    (start, parts)
}

fn has_glob_syntax(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

enum Part {
    Literal(std::ffi::OsString),
    Glob(glob::Pattern),
    AnyDirs,
    Nothing,
}

struct Walk {
    budget: usize,
    truncated: bool,
    seen_files: HashSet<Inode>,
    dirs: Vec<PathBuf>,
    stamps: HashMap<Inode, FileStamp>,
}

impl Walk {
    /// Matches `parts` below `dir`, adding the regular files found to `out`. `entered` holds the
    /// directories (with how many parts were left) already walked for this pattern.
    fn walk(
        &mut self,
        dir: &Path,
        parts: &[Part],
        entered: &mut HashSet<(Inode, usize)>,
        out: &mut Vec<(PathBuf, Inode)>,
    ) {
        if self.truncated {
            return;
        }
        let Some((first, rest)) = parts.split_first() else {
            self.add_file(dir, out);
            return;
        };
        if !self.enter(dir, parts.len(), entered) {
            return;
        }
        match first {
            Part::Nothing => {}
            Part::Literal(name) => {
                let path = dir.join(name);
                if rest.is_empty() {
                    self.add_file(&path, out);
                } else {
                    self.walk(&path, rest, entered, out);
                }
            }
            Part::Glob(pattern) => {
                for name in self.entries(dir) {
                    if pattern.matches(&name.to_string_lossy()) {
                        self.walk(&dir.join(&name), rest, entered, out);
                    }
                }
            }
            Part::AnyDirs => {
                // `**` matches no directory at all, or one more directory level and then `**` again.
                self.walk_rest(dir, rest, entered, out);
                for name in self.entries(dir) {
                    let path = dir.join(&name);
                    if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                        self.walk(&path, parts, entered, out);
                    }
                }
            }
        }
    }

    /// `rest` matched from `dir` itself (the parts after a `**` that matched no directory).
    fn walk_rest(
        &mut self,
        dir: &Path,
        rest: &[Part],
        entered: &mut HashSet<(Inode, usize)>,
        out: &mut Vec<(PathBuf, Inode)>,
    ) {
        if rest.is_empty() {
            return; // `dir/**` names directories, never files
        }
        self.walk(dir, rest, entered, out);
    }

    /// False when `dir` is not a directory or was already walked with this many parts left.
    fn enter(&mut self, dir: &Path, parts_left: usize, entered: &mut HashSet<(Inode, usize)>) -> bool {
        let meta = std::fs::metadata(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
        match meta {
            Ok(meta) if meta.is_dir() => {
                let first_time = entered.insert((Inode::of(&meta), parts_left));
                if first_time {
                    self.dirs.push(dir.to_path_buf());
                }
                first_time
            }
            _ => false,
        }
    }

    /// The names in `dir`, sorted, counted against the budget.
    fn entries(&mut self, dir: &Path) -> Vec<std::ffi::OsString> {
        let readable = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let Ok(reader) = std::fs::read_dir(readable) else { return Vec::new() };
        let mut names = Vec::new();
        for entry in reader.flatten() {
            if self.budget == 0 {
                self.truncated = true;
                break;
            }
            self.budget -= 1;
            names.push(entry.file_name());
        }
        names.sort();
        names
    }

    fn add_file(&mut self, path: &Path, out: &mut Vec<(PathBuf, Inode)>) {
        let Ok(meta) = std::fs::metadata(path) else { return };
        if !meta.is_file() {
            return;
        }
        let inode = Inode::of(&meta);
        if self.seen_files.insert(inode) {
            out.push((path.to_path_buf(), inode));
            self.stamps.insert(inode, stamp(&meta));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, Instant};

    fn patterns(root: &Path, pattern: &str) -> Patterns {
        Patterns::new(&[format!("{}/{pattern}", root.display())]).expect("pattern")
    }

    fn names(scan: &Scan, root: &Path) -> Vec<String> {
        scan.files
            .iter()
            .map(|(p, _)| p.strip_prefix(root).expect("under root").display().to_string())
            .collect()
    }

    #[test]
    fn symlink_loops_under_double_star_end_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("app/sub")).expect("mkdir");
        std::fs::write(root.join("app/a.log"), "x\n").expect("write");
        std::fs::write(root.join("app/sub/b.log"), "x\n").expect("write");
        symlink(".", root.join("app/a")).expect("symlink");
        symlink(".", root.join("app/b")).expect("symlink");
        symlink("..", root.join("app/sub/up")).expect("symlink");
        let started = Instant::now();
        let scan = patterns(root, "app/**/*.log").scan();
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
        assert!(!scan.truncated);
        assert_eq!(names(&scan, root), ["app/a.log", "app/sub/b.log"]);
    }

    #[test]
    fn symlinked_files_are_followed_like_kubelets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("pods/ns_pod_uid/app")).expect("mkdir");
        std::fs::create_dir_all(root.join("containers")).expect("mkdir");
        std::fs::write(root.join("pods/ns_pod_uid/app/0.log"), "x\n").expect("write");
        symlink(root.join("pods/ns_pod_uid/app/0.log"), root.join("containers/pod_ns_app-1.log"))
            .expect("symlink");
        symlink(root.join("nowhere.log"), root.join("containers/dangling.log")).expect("symlink");
        let scan = patterns(root, "containers/*.log").scan();
        assert_eq!(names(&scan, root), ["containers/pod_ns_app-1.log"]);
    }

    #[test]
    fn matches_like_glob_for_ordinary_trees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for file in ["a.log", "b.txt", "x/c.log", "x/y/d.log", "z/e.log", ".hidden.log"] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, "x\n").expect("write");
        }
        for pattern in
            ["*.log", "**/*.log", "x/**/*.log", "[ax]/*.log", "?.log", "x/y/d.log", "x/**", "nothing/*.log"]
        {
            let full = format!("{}/{pattern}", root.display());
            let mut expected: Vec<PathBuf> =
                glob::glob(&full).expect("glob").flatten().filter(|p| p.is_file()).collect();
            expected.sort();
            let mut ours: Vec<PathBuf> =
                patterns(root, pattern).scan().files.into_iter().map(|(p, _)| p).collect();
            ours.sort();
            assert_eq!(ours, expected, "pattern {pattern}");
        }
    }

    #[test]
    fn a_scan_stops_at_its_bound_and_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for i in 0..50 {
            std::fs::write(root.join(format!("{i:02}.log")), "x\n").expect("write");
        }
        let scan = patterns(root, "*.log").with_max_entries(10).scan();
        assert!(scan.truncated);
        assert!(scan.files.len() <= 10);
        let scan = patterns(root, "*.log").scan();
        assert!(!scan.truncated);
        assert_eq!(scan.files.len(), 50);
    }
}
