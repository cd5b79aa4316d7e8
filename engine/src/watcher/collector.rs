//! One batch being collected: the coalescing rules (quiet window, max wait, files still open
//! for writing), as pure bookkeeping with no IO and no clock.

use std::path::PathBuf;
use std::time::Instant;

use notify::EventKind;
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use rustc_hash::FxHashMap;

use super::*;

/// One batch being collected. Pure bookkeeping: no IO, no clock.
#[derive(Debug)]
pub(super) struct Collector {
    pub(super) first: Instant,
    pub(super) last: Instant,
    pub(super) raw_events: usize,
    pub(super) paths: Vec<ChangedPath>,
    pub(super) index: FxHashMap<PathBuf, usize>,
    /// Files created or written whose `CLOSE_WRITE` has not arrived, with their first write.
    pub(super) unclosed: FxHashMap<PathBuf, Instant>,
    /// The last relevant event finished a write (`CLOSE_WRITE` or a rename over the file).
    pub(super) complete: bool,
    /// Directories that appeared (created or moved in).
    pub(super) new_dirs: Vec<PathBuf>,
    /// Rename targets: directories or files, checked on the disk when sealing.
    pub(super) renamed_in: Vec<PathBuf>,
    pub(super) rescan: Option<String>,
    /// Events were lost in the kernel queue: the watches themselves must be rebuilt.
    pub(super) overflowed: bool,
    pub(super) errors: Vec<String>,
    /// The batch was due while git held its index (see `git_lock.rs`).
    pub(super) waited_for_git: bool,
    /// When the watcher found git's lock released, having waited for it.
    pub(super) git_released: Option<Instant>,
}

impl Collector {
    pub(super) fn new(now: Instant) -> Self {
        Collector {
            first: now,
            last: now,
            raw_events: 0,
            paths: Vec::new(),
            index: FxHashMap::default(),
            unclosed: FxHashMap::default(),
            complete: false,
            new_dirs: Vec::new(),
            renamed_in: Vec::new(),
            rescan: None,
            overflowed: false,
            errors: Vec::new(),
            waited_for_git: false,
            git_released: None,
        }
    }

    pub(super) fn record(&mut self, path: PathBuf, kind: ChangeKind) {
        match self.index.entry(path) {
            Entry::Occupied(slot) => {
                let changed = &mut self.paths[*slot.get()];
                changed.kind = changed.kind.merge(kind);
            }
            Entry::Vacant(slot) => {
                let path = slot.key().clone();
                slot.insert(self.paths.len());
                self.paths.push(ChangedPath { path, kind });
            }
        }
    }

    /// Takes in one notify event; returns false when nothing in it is reported.
    pub(super) fn absorb(
        &mut self,
        event: notify::Result<notify::Event>,
        filter: &Filter,
        tracks_close: bool,
        now: Instant,
    ) -> bool {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                let message = error.to_string();
                self.rescan
                    .get_or_insert_with(|| format!("the file watcher failed: {message}"));
                self.errors.push(message);
                self.count(now);
                return true;
            }
        };
        if event.need_rescan() {
            self.rescan = Some("the file watcher lost events (kernel queue overflow)".to_string());
            self.overflowed = true;
            self.count(now);
            return true;
        }
        let mut relevant = false;
        if let EventKind::Modify(ModifyKind::Name(RenameMode::Both)) = event.kind {
            // `paths` = [from, to].
            for (i, path) in event.paths.into_iter().enumerate() {
                if filter.reports(&path) {
                    relevant = true;
                    if i == 0 {
                        self.unclosed.remove(&path);
                        self.record(path, ChangeKind::Removed);
                    } else {
                        self.renamed_in(path);
                    }
                }
            }
        } else {
            for path in event.paths {
                if !filter.reports(&path) {
                    continue;
                }
                relevant |= self.apply(event.kind, path, tracks_close, now);
            }
        }
        if relevant {
            self.count(now);
        }
        relevant
    }

    pub(super) fn apply(
        &mut self,
        kind: EventKind,
        path: PathBuf,
        tracks_close: bool,
        now: Instant,
    ) -> bool {
        let finishes_a_write = tracks_close
            && matches!(
                kind,
                EventKind::Access(AccessKind::Close(AccessMode::Write))
                    | EventKind::Modify(ModifyKind::Name(RenameMode::To))
            );
        match kind {
            EventKind::Create(CreateKind::Folder) => {
                self.new_dirs.push(path.clone());
                self.record(path, ChangeKind::Created);
            }
            EventKind::Create(_) => {
                if tracks_close {
                    self.unclosed.entry(path.clone()).or_insert(now);
                }
                self.record(path, ChangeKind::Created);
            }
            EventKind::Modify(ModifyKind::Data(_)) => {
                if tracks_close {
                    self.unclosed.entry(path.clone()).or_insert(now);
                }
                self.record(path, ChangeKind::Modified);
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
                self.unclosed.remove(&path);
                self.record(path, ChangeKind::Removed);
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::To)) => self.renamed_in(path),
            EventKind::Modify(ModifyKind::Name(_)) => self.record(path, ChangeKind::Any),
            EventKind::Modify(_) => self.record(path, ChangeKind::Modified),
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                self.unclosed.remove(&path);
                self.record(path, ChangeKind::Modified);
            }
            EventKind::Access(_) => return false,
            EventKind::Any | EventKind::Other => self.record(path, ChangeKind::Any),
        }
        self.complete = finishes_a_write;
        true
    }

    pub(super) fn renamed_in(&mut self, path: PathBuf) {
        // A rename target is complete: an atomic save.
        self.unclosed.remove(&path);
        if !self.renamed_in.contains(&path) {
            self.renamed_in.push(path.clone());
        }
        self.record(path, ChangeKind::Created);
    }

    pub(super) fn count(&mut self, now: Instant) {
        self.raw_events += 1;
        self.last = now;
    }

    /// When the batch is to be sealed, given what has arrived so far.
    pub(super) fn deadline(&self, config: &WatchConfig) -> Instant {
        let quiet = if self.complete && self.unclosed.is_empty() {
            config.settle
        } else {
            config.quiet
        };
        let normal = (self.last + quiet).min(self.first + config.max_wait);
        // Wait for unclosed files, each for at most `close_wait` after its first write.
        let closes = self
            .unclosed
            .values()
            .map(|&since| since + config.close_wait)
            .max();
        match closes {
            Some(closes) => {
                normal.max(closes.min(self.first + config.max_wait + config.close_wait))
            }
            None => normal,
        }
    }
}
