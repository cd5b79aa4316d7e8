//! Which paths the watcher reports: ignored directories, editor temp files, and the walks
//! over what a filter reports.

use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};

/// Decides which paths are reported.
pub(super) struct Filter {
    pub(super) root: PathBuf,
    pub(super) ignored_root_dirs: Vec<String>,
    /// Source directories outside the root the engine asked for (linked workspace packages):
    /// inside them `node_modules`, `.git` and editor temp files are not reported.
    pub(super) extra_roots: Vec<PathBuf>,
    /// The directory above the root a workspace's install writes to (`watcher::install_root`):
    /// of its entries only its `node_modules` is reported (deleted and installed again).
    pub(super) install_root: Option<PathBuf>,
}

pub(super) const IGNORED_ANYWHERE: [&str; 2] = [".git", ".hotloop"];
pub(super) const NODE_MODULES: &str = "node_modules";

impl Filter {
    pub(super) fn new(root: PathBuf, ignored_root_dirs: &[String]) -> Self {
        Filter {
            root,
            ignored_root_dirs: ignored_root_dirs.to_vec(),
            extra_roots: Vec::new(),
            install_root: None,
        }
    }

    pub(super) fn reports(&self, path: &Path) -> bool {
        if is_install_marker(&self.root, path) {
            return true;
        }
        let Ok(relative) = path.strip_prefix(&self.root) else {
            if let Some(relative) = self
                .extra_roots
                .iter()
                .find_map(|root| path.strip_prefix(root).ok())
            {
                return reports_in_package(relative);
            }
            if self.install_root.is_some() && path.parent() == self.install_root.as_deref() {
                return path.file_name() == Some(OsStr::new(NODE_MODULES));
            }
            // Beside a linked package's directory: its parent is watched for the package alone
            // (renamed away and back), not for its siblings (a repository cloned beside an
            // `npm link`ed one).
            if self.extra_roots.iter().any(|r| r.parent() == path.parent()) {
                return false;
            }
            // Not under the root (the root itself moved?): report, the engine decides; but
            // of a workspace's `node_modules` above the root (watched for its install
            // markers, taken above) only its packages.
            return reports_above_root(path);
        };
        let parts: Vec<&OsStr> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part),
                _ => None,
            })
            .collect();
        if let Some(first) = parts.first().and_then(|p| p.to_str())
            && self.ignored_root_dirs.iter().any(|d| d == first)
        {
            return false;
        }
        for (depth, part) in parts.iter().enumerate() {
            if IGNORED_ANYWHERE.iter().any(|d| *part == OsStr::new(d)) {
                return false;
            }
            // `node_modules` itself and its direct entries, only at the root.
            if *part == OsStr::new(NODE_MODULES) && (depth > 0 || parts.len() > 2) {
                return false;
            }
        }
        match parts.last().and_then(|p| p.to_str()) {
            Some(name) => !is_editor_temp(name),
            None => true,
        }
    }

    /// Whether files inside `dir` can be reported (else the directory is not watched).
    pub(super) fn reports_inside(&self, dir: &Path) -> bool {
        self.reports(&dir.join("file"))
    }
}

/// Files a package manager rewrites at the end of every install (npm, pnpm, yarn classic and
/// berry).
pub const INSTALL_MARKERS: [&str; 4] = [
    ".package-lock.json",
    ".modules.yaml",
    ".yarn-integrity",
    ".yarn-state.yml",
];

/// An install's marker: one of [`INSTALL_MARKERS`] in the `node_modules` of `root` or, in a
/// workspace, of a directory above it (where the install writes it).
pub fn is_install_marker(root: &Path, path: &Path) -> bool {
    path.parent()
        .filter(|dir| dir.file_name() == Some(OsStr::new(NODE_MODULES)))
        .and_then(Path::parent)
        .is_some_and(|dir| root.starts_with(dir))
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| INSTALL_MARKERS.contains(&n))
}

/// Outside the root and the linked packages: anything but what lies in a `node_modules` (a
/// workspace's, above the root), except its packages themselves. What tools write in its
/// dot-directories (Vite's `.vite-temp` as its `vite.config` is loaded, a linter's `.cache`)
/// came as files created, each a `change:` line and a rebuild for nothing.
fn reports_above_root(path: &Path) -> bool {
    let mut parts = path.components().filter_map(|c| match c {
        Component::Normal(part) => Some(part),
        _ => None,
    });
    if !parts.any(|part| part == OsStr::new(NODE_MODULES)) {
        return true;
    }
    match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(entry), None) => !entry.to_string_lossy().starts_with('.'),
        (Some(_), Some(_)) => false,
    }
}

/// Inside a linked package: anything but its `node_modules`, `.git` and editor temp files.
fn reports_in_package(relative: &Path) -> bool {
    let mut parts = relative.components().filter_map(|c| match c {
        Component::Normal(part) => Some(part),
        _ => None,
    });
    let ignored = |part: &OsStr| {
        part == OsStr::new(NODE_MODULES) || IGNORED_ANYWHERE.iter().any(|d| part == OsStr::new(d))
    };
    if parts.clone().any(ignored) {
        return false;
    }
    parts
        .next_back()
        .and_then(|name| name.to_str())
        .is_none_or(|name| !is_editor_temp(name))
}

/// Names editors give their swap, backup, lock and temp files (vim probes with `4913`, then
/// other numbers when that exists), and the compiled copies of the `vite.config` and its local
/// modules the plugin host imports for a moment (`vite.config.ts.timestamp-<n>-<r>.mjs`, as
/// Vite names its own). The one list: the engine ignores the same names.
pub fn is_editor_temp(name: &str) -> bool {
    (name.contains(".timestamp-") && name.ends_with(".mjs"))
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        || name.ends_with('~')
        || name.ends_with(".tmp")
        || name.starts_with(".#")
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swn", ".swx", ".kate-swp"]
            .iter()
            .any(|s| name.ends_with(s))
        || name.contains("___jb_tmp___")
        || name.contains("___jb_old___")
        || name.starts_with(".goutputstream-")
}

/// Every reported file under `dir` (symlinks not followed).
pub(super) fn files_under(dir: &Path, filter: &Filter) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk_reported(dir, filter, |entry, path| match entry.file_type() {
        Ok(t) if t.is_dir() => true,
        Ok(_) => {
            files.push(path.to_path_buf());
            false
        }
        Err(_) => false,
    });
    files.sort();
    files
}

/// Visits every entry under `dir` that `filter` reports, depth first, without following
/// symlinks; `visit` returns whether to enter the entry (a directory). Unreadable directories
/// are skipped: what disappears mid-walk is reported by the events or the next walk.
pub(super) fn walk_reported(
    dir: &Path,
    filter: &Filter,
    mut visit: impl FnMut(&std::fs::DirEntry, &Path) -> bool,
) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if filter.reports(&path) && visit(&entry, &path) {
                stack.push(path);
            }
        }
    }
}
