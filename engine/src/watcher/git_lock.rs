//! Git's `index.lock`: git holds it while a checkout, a stash, a reset or a merge rewrites the
//! working tree, file by file, over tens or hundreds of milliseconds. A batch sealed in the
//! middle would build a tree that never existed (an importer whose import was just deleted,
//! before its own new text came: "does not exist" in the overlay for a moment, maybe a reload
//! of a half-switched app). So while the lock is held, the watcher thread keeps collecting
//! (`WatchConfig::git_wait` at most), and the whole operation arrives as one batch: once the
//! lock is gone, the batch still collects for `GIT_SETTLE` (`thread.rs`), since the events of
//! git's last writes may still be on their way through notify's thread.
//!
//! The lock lives in the repository's git directory, which the watcher ignores: it is checked
//! with a `stat` when a batch is due, not watched. A lock held past `git_wait` is taken as
//! stale (left by a git that crashed) and ignored until it changes: edits never wait on it again.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The `index.lock` of the repository holding the watched root.
pub(super) struct GitLock {
    path: PathBuf,
    /// The modification time of a lock found stale: ignored while it stays so.
    stale: Option<SystemTime>,
}

impl GitLock {
    /// The lock of the repository `root` is in (`.git` in it or above, a directory or a
    /// worktree's `gitdir:` file), if any.
    pub(super) fn find(root: &Path) -> Option<GitLock> {
        let dot_git = root
            .ancestors()
            .map(|dir| dir.join(".git"))
            .find(|p| p.exists())?;
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.strip_prefix("gitdir:")?.trim();
            dot_git.parent()?.join(target)
        };
        Some(GitLock {
            path: git_dir.join("index.lock"),
            stale: None,
        })
    }

    /// Whether a git operation holds the index now (a lock found stale does not count).
    pub(super) fn held(&mut self) -> bool {
        match std::fs::metadata(&self.path) {
            Ok(meta) => self.stale.is_none() || meta.modified().ok() != self.stale,
            Err(_) => {
                self.stale = None;
                false
            }
        }
    }

    /// The lock has been held too long to be a running operation's: ignored until it changes.
    pub(super) fn mark_stale(&mut self) {
        self.stale = std::fs::metadata(&self.path)
            .and_then(|meta| meta.modified())
            .ok();
        tracing::warn!(
            "{} has been held for a long time: changes are taken without waiting for git \
             (delete the file if no git command is running)",
            self.path.display()
        );
    }
}
