//! The watcher thread: notify's raw events in, coalesced batches out; new directories walked,
//! overflow turned into a rescan, the polling fallback when a directory cannot be watched.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, select};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use super::*;

/// How often a due batch looks again whether git still holds its index.
const GIT_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// How long a batch that waited for git's lock still collects once the lock is gone: git
/// deletes it right after its last write, whose event may still be on its way from the kernel
/// through notify's thread (on a loaded machine, some milliseconds), and belongs to the batch.
const GIT_SETTLE: std::time::Duration = std::time::Duration::from_millis(50);

/// The watcher thread's state.
pub(super) struct WatchThread {
    pub(super) root: PathBuf,
    pub(super) config: WatchConfig,
    pub(super) filter: Filter,
    pub(super) notify: RecommendedWatcher,
    pub(super) raw: Receiver<notify::Result<notify::Event>>,
    pub(super) out: Sender<WatchEvent>,
    pub(super) tracks_close: bool,
    /// Set once some directory could not be watched.
    pub(super) poll: Option<poll::Poller>,
    /// Held while git rewrites the working tree: a batch waits for its release.
    pub(super) git_lock: Option<git_lock::GitLock>,
}

impl WatchThread {
    pub(super) fn run(mut self, stop: Receiver<()>, roots: Receiver<PathBuf>) {
        let mut batch: Option<Collector> = None;
        // `Some` while someone may still send extra roots.
        let mut roots = Some(roots);
        loop {
            let extra = roots.clone().unwrap_or_else(crossbeam_channel::never);
            let poll_due = match &self.poll {
                Some(poller) => crossbeam_channel::at(poller.deadline()),
                None => crossbeam_channel::never(),
            };
            let event = match &mut batch {
                None => select! {
                    recv(stop) -> _ => return,
                    recv(extra) -> dir => {
                        match dir {
                            Ok(dir) => self.add_root(dir),
                            Err(_) => roots = None,
                        }
                        continue;
                    }
                    recv(poll_due) -> _ => {
                        self.poll_once();
                        continue;
                    }
                    recv(self.raw) -> event => event,
                },
                Some(collecting) => {
                    let now = Instant::now();
                    let mut deadline = collecting.deadline(&self.config);
                    // Due, but git is rewriting the working tree (or just finished): look
                    // again shortly.
                    if now >= deadline
                        && let Some(later) = self.hold_for_git(collecting, now)
                    {
                        deadline = later;
                    }
                    // Past the deadline, events already queued (the thread was late) still
                    // join the batch, until `max_wait`.
                    if now >= deadline && now >= collecting.first + self.config.max_wait {
                        if let Some(collected) = batch.take() {
                            self.seal(collected);
                        }
                        continue;
                    }
                    select! {
                        recv(stop) -> _ => return,
                        recv(poll_due) -> _ => {
                            self.poll_once();
                            continue;
                        }
                        recv(self.raw) -> event => event,
                        default(deadline.saturating_duration_since(now)) => {
                            let now = Instant::now();
                            if let Some(collecting) = &mut batch
                                && self.hold_for_git(collecting, now).is_some()
                            {
                                continue;
                            }
                            if let Some(collected) = batch.take() {
                                self.seal(collected);
                            }
                            continue;
                        }
                    }
                }
            };
            let Ok(event) = event else {
                let _ = self.out.send(WatchEvent::Error {
                    message: "the file watcher stopped".to_string(),
                });
                return;
            };
            tracing::trace!(?event, "watcher event");
            let now = Instant::now();
            match &mut batch {
                Some(collecting) => {
                    collecting.absorb(event, &self.filter, self.tracks_close, now);
                }
                None => {
                    let mut collecting = Collector::new(now);
                    if collecting.absorb(event, &self.filter, self.tracks_close, now) {
                        batch = Some(collecting);
                    }
                }
            }
        }
    }

    /// When a due batch looks again instead of being sealed, for git: while git holds the
    /// index, shortly; once it let go (the batch waited for it), after `GIT_SETTLE`, so that
    /// the events of its last writes still on their way join the batch. `None`: seal it.
    fn hold_for_git(&mut self, collecting: &mut Collector, now: Instant) -> Option<Instant> {
        if self.git_busy(collecting.first, now) {
            collecting.waited_for_git = true;
            return Some(now + GIT_POLL);
        }
        if !collecting.waited_for_git {
            return None;
        }
        let released = *collecting.git_released.get_or_insert(now);
        (now < released + GIT_SETTLE).then_some(released + GIT_SETTLE)
    }

    /// Whether git holds the index (a checkout in progress) and the batch that started at
    /// `first` may wait for it still; past `git_wait` the lock is taken as stale.
    fn git_busy(&mut self, first: Instant, now: Instant) -> bool {
        let Some(lock) = &mut self.git_lock else {
            return false;
        };
        if !lock.held() {
            return false;
        }
        if now >= first + self.config.git_wait {
            lock.mark_stale();
            return false;
        }
        true
    }

    pub(super) fn seal(&mut self, mut batch: Collector) {
        for path in std::mem::take(&mut batch.renamed_in) {
            if path.is_dir() && !batch.new_dirs.contains(&path) {
                batch.new_dirs.push(path);
            }
        }
        if !batch.new_dirs.is_empty() {
            self.adopt_new_dirs(&mut batch);
        }
        if batch.overflowed {
            batch.errors.extend(self.watch_top_level(true));
        }
        if !batch.errors.is_empty() && self.poll.is_none() {
            // Some directory may be unwatched (a failed watch, a watcher error).
            self.start_polling();
        }
        for message in batch.errors.drain(..) {
            tracing::warn!("file watcher: {message}");
            let _ = self.out.send(WatchEvent::Error { message });
        }
        if let Some(reason) = batch.rescan {
            tracing::info!("file watcher: {reason}; re-scanning");
            let _ = self.out.send(WatchEvent::Rescan { reason });
            return;
        }
        if !batch.unclosed.is_empty() {
            tracing::debug!(
                files = batch.unclosed.len(),
                "sealing a batch with files still open for writing"
            );
        }
        let sealed = ChangeBatch {
            paths: batch.paths,
            first_event_at: batch.first,
            coalesced_at: Instant::now(),
            raw_events: batch.raw_events,
            open_for_writing: batch.unclosed.into_keys().collect(),
        };
        tracing::debug!(
            paths = sealed.paths.len(),
            raw_events = sealed.raw_events,
            coalesce_us = (sealed.coalesced_at - sealed.first_event_at).as_micros() as u64,
            "watcher batch"
        );
        let _ = self.out.send(WatchEvent::Batch(sealed));
    }

    /// Falls back to polling the whole project (on top of whatever is still watched).
    pub(super) fn start_polling(&mut self) {
        if self.poll.is_some() {
            return;
        }
        let interval = self.config.poll_interval;
        let message = format!(
            "some directories cannot be watched: checking the project for changes every {} ms \
             instead (raise the limit with `sysctl fs.inotify.max_user_watches=524288`)",
            interval.as_millis()
        );
        tracing::warn!("file watcher: {message}");
        let _ = self.out.send(WatchEvent::Error { message });
        self.poll = Some(poll::Poller::new(&self.root, &self.filter, interval));
    }

    /// One polling walk; what changed goes out as its own batch.
    pub(super) fn poll_once(&mut self) {
        let Some(poller) = &mut self.poll else {
            return;
        };
        let paths = poller.poll(&self.root, &self.filter);
        if paths.is_empty() {
            return;
        }
        let now = Instant::now();
        tracing::debug!(paths = paths.len(), "polling found changes");
        let raw_events = paths.len();
        let _ = self.out.send(WatchEvent::Batch(ChangeBatch {
            paths,
            first_event_at: now,
            coalesced_at: now,
            raw_events,
            open_for_writing: Vec::new(),
        }));
    }

    /// Makes sure new directories are watched, then reports the files already in them.
    pub(super) fn adopt_new_dirs(&mut self, batch: &mut Collector) {
        for dir in &batch.new_dirs {
            if dir.parent() == Some(self.root.as_path())
                && let Err(message) = self.watch_top_level_dir(dir, false)
            {
                batch.errors.push(message);
            }
            // A workspace's `node_modules` above the root, installed again: its markers.
            if let Some(install_root) = &self.filter.install_root
                && dir.parent() == Some(install_root.as_path())
                && let Err(error) = self.notify.watch(dir, RecursiveMode::NonRecursive)
                && dir.exists()
            {
                batch
                    .errors
                    .push(format!("cannot watch {}: {error}", dir.display()));
            }
            // A source directory outside the root, back where it was (watched again: its
            // watches are keyed by its path).
            if self.filter.extra_roots.contains(dir) {
                let dir = dir.clone();
                self.watch_outside_root(&dir, &mut batch.errors);
            }
            // A new directory at the top of one (a package's `dist` its build's clean step
            // removed and wrote again): the package's own directory is watched by itself,
            // which watches nothing new in it.
            if dir
                .parent()
                .is_some_and(|parent| self.filter.extra_roots.iter().any(|r| r == parent))
                && self.filter.reports_inside(dir)
                && let Err(error) = self.notify.watch(dir, RecursiveMode::Recursive)
                && dir.exists()
            {
                batch
                    .errors
                    .push(format!("cannot watch {}: {error}", dir.display()));
            }
        }
        // notify installs watches for new nested directories after delivering their events;
        // any later request through its event loop is answered after that.
        if let Err(error) = self.notify.watched_paths() {
            tracing::debug!("watcher barrier failed: {error}");
        }
        let dirs = std::mem::take(&mut batch.new_dirs);
        for dir in &dirs {
            for file in files_under(dir, &self.filter) {
                batch.record(file, ChangeKind::Created);
            }
        }
    }

    /// Watches every top-level directory (recursively; `node_modules` one level). With
    /// `rewatch`, existing watches are dropped and rebuilt (after lost events, some nested
    /// directories may have been created unseen). Returns the errors.
    /// Watches `dir` (a source directory outside the root) too: itself and every directory in
    /// it the filter reports, recursively; a failure is reported, not fatal.
    fn add_root(&mut self, dir: PathBuf) {
        if dir.starts_with(&self.root) || self.filter.extra_roots.iter().any(|r| dir.starts_with(r))
        {
            return;
        }
        tracing::debug!("watching {} too", dir.display());
        // Its parent too, by itself (its entries): the directory renamed away and back (a
        // rename undone, a branch switched back) is seen coming back (`adopt_new_dirs`); its
        // own watches went with it, reporting its files under the name they had last.
        if let Some(parent) = dir.parent()
            && !parent.starts_with(&self.root)
            && !self
                .filter
                .extra_roots
                .iter()
                .any(|r| parent.starts_with(r))
            && let Err(error) = self.notify.watch(parent, RecursiveMode::NonRecursive)
        {
            tracing::debug!("cannot watch {}: {error}", parent.display());
        }
        self.filter.extra_roots.push(dir.clone());
        let mut errors = Vec::new();
        self.watch_outside_root(&dir, &mut errors);
        for message in errors {
            let _ = self.out.send(WatchEvent::Error { message });
        }
    }

    /// Watches `dir` itself and, recursively, each directory in it the filter reports (not a
    /// symlink: what it points to is watched where it lives, if asked). The one that holds the
    /// project root (a monorepo's root, added for the `vite.config`'s `../../vite.base.ts`) is
    /// gone into the same way instead: the root is watched already, and a recursive watch of
    /// it would take in its `node_modules` and the packages linked there (their events then
    /// came under the link, which the filter drops: edits of a workspace package went unseen).
    fn watch_outside_root(&mut self, dir: &Path, errors: &mut Vec<String>) {
        if let Err(error) = self.notify.watch(dir, RecursiveMode::NonRecursive) {
            errors.push(format!("cannot watch {}: {error}", dir.display()));
        }
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|t| t.is_dir()) || path == self.root {
                continue;
            }
            if self.root.starts_with(&path) {
                self.watch_outside_root(&path, errors);
            } else if self.filter.reports_inside(&path)
                && let Err(error) = self.notify.watch(&path, RecursiveMode::Recursive)
            {
                errors.push(format!("cannot watch {}: {error}", path.display()));
            }
        }
    }

    pub(super) fn watch_top_level(&mut self, rewatch: bool) -> Vec<String> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(error) => return vec![format!("cannot list {}: {error}", self.root.display())],
        };
        let mut errors = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir()
                && let Err(message) = self.watch_top_level_dir(&path, rewatch)
            {
                errors.push(message);
            }
        }
        errors
    }

    pub(super) fn watch_top_level_dir(&mut self, dir: &Path, rewatch: bool) -> Result<(), String> {
        let is_node_modules = dir.file_name() == Some(OsStr::new(NODE_MODULES));
        if !is_node_modules && !self.filter.reports_inside(dir) {
            return Ok(());
        }
        if rewatch {
            let _ = self.notify.unwatch(dir);
        }
        let mode = if is_node_modules {
            RecursiveMode::NonRecursive
        } else {
            RecursiveMode::Recursive
        };
        match self.notify.watch(dir, mode) {
            Ok(()) => Ok(()),
            // Gone already: its removal is (or will be) in a batch.
            Err(_) if !dir.exists() => Ok(()),
            Err(error) => Err(format!("cannot watch {}: {error}", dir.display())),
        }
    }
}
