//! The watcher's polling fallback. When the OS cannot watch every directory (inotify's watch
//! limit, a file system without events), the watcher thread also walks the project every
//! `WatchConfig::poll_interval` and reports what changed since the previous walk — files by
//! size and modification time, directories by appearing or disappearing — so no save is lost:
//! slower, and said so in the log, but never silent.
//!
//! The walk reports what `Filter` reports; inside the root's `node_modules` it looks at the
//! packages (their directories), not into them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use rustc_hash::FxHashMap;

use super::{ChangeKind, ChangedPath, Filter, NODE_MODULES, walk_reported};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dir: bool,
    len: u64,
    modified: Option<SystemTime>,
}

pub(super) struct Poller {
    interval: Duration,
    next: Instant,
    seen: FxHashMap<PathBuf, Stamp>,
}

impl Poller {
    /// Takes the first picture of the project; changes after it are reported by `poll`.
    pub(super) fn new(root: &Path, filter: &Filter, interval: Duration) -> Poller {
        Poller {
            interval,
            next: Instant::now() + interval,
            seen: walk(root, filter),
        }
    }

    /// When the next walk is due.
    pub(super) fn deadline(&self) -> Instant {
        self.next
    }

    /// Walks the project and returns what changed since the last walk, sorted by path.
    pub(super) fn poll(&mut self, root: &Path, filter: &Filter) -> Vec<ChangedPath> {
        let now = walk(root, filter);
        let mut changed = Vec::new();
        for (path, stamp) in &now {
            match self.seen.get(path) {
                None => changed.push(ChangedPath {
                    path: path.clone(),
                    kind: ChangeKind::Created,
                }),
                Some(old) if !stamp.dir && old != stamp => changed.push(ChangedPath {
                    path: path.clone(),
                    kind: ChangeKind::Modified,
                }),
                Some(_) => {}
            }
        }
        for path in self.seen.keys() {
            if !now.contains_key(path) {
                changed.push(ChangedPath {
                    path: path.clone(),
                    kind: ChangeKind::Removed,
                });
            }
        }
        changed.sort_by(|a, b| a.path.cmp(&b.path));
        self.seen = now;
        self.next = Instant::now() + self.interval;
        changed
    }
}

/// Every reported file and directory under `root` with its stamp (symlinks not followed).
fn walk(root: &Path, filter: &Filter) -> FxHashMap<PathBuf, Stamp> {
    let node_modules = root.join(NODE_MODULES);
    let mut seen = FxHashMap::default();
    walk_reported(root, filter, |entry, path| {
        let Ok(meta) = entry.metadata() else {
            return false;
        };
        let dir = meta.is_dir();
        seen.insert(
            path.to_path_buf(),
            Stamp {
                dir,
                len: meta.len(),
                modified: meta.modified().ok(),
            },
        );
        dir && dir_is_walked(path, &node_modules)
    });
    seen
}

/// The root's `node_modules` is listed, its packages are not entered.
fn dir_is_walked(dir: &Path, node_modules: &Path) -> bool {
    dir.parent() != Some(node_modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn a_walk_reports_created_modified_and_removed_paths() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        write(&root.join("src/a.js"), "a");
        write(&root.join("src/b.js"), "b");
        write(&root.join("node_modules/pkg/index.js"), "pkg");
        write(&root.join(".git/HEAD"), "ref");
        let filter = Filter::new(root.clone(), &["dist".to_string()]);
        let mut poller = Poller::new(&root, &filter, Duration::from_millis(10));
        assert!(poller.poll(&root, &filter).is_empty());

        write(&root.join("src/a.js"), "a, longer");
        std::fs::remove_file(root.join("src/b.js")).expect("remove");
        write(&root.join("src/new/c.js"), "c");
        write(&root.join("node_modules/other/index.js"), "other");
        write(
            &root.join("node_modules/pkg/index.js"),
            "pkg, edited inside a package",
        );
        write(&root.join(".git/HEAD"), "ref, moved");
        write(&root.join("dist/out.js"), "built");
        let changed: Vec<(String, ChangeKind)> = poller
            .poll(&root, &filter)
            .into_iter()
            .map(|c| {
                let rel = c.path.strip_prefix(&root).expect("under root");
                (rel.display().to_string(), c.kind)
            })
            .collect();
        assert_eq!(
            changed,
            [
                ("node_modules/other".to_string(), ChangeKind::Created),
                ("src/a.js".to_string(), ChangeKind::Modified),
                ("src/b.js".to_string(), ChangeKind::Removed),
                ("src/new".to_string(), ChangeKind::Created),
                ("src/new/c.js".to_string(), ChangeKind::Created),
            ]
        );
        assert!(poller.poll(&root, &filter).is_empty());
    }
}
