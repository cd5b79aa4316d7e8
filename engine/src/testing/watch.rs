//! Watcher batches as a test feeds them to a dev loop by hand.

use std::path::PathBuf;
use std::time::Instant;

use crate::watcher::{ChangeBatch, ChangeKind, ChangedPath, WatchEvent};

/// One batch saying each of `paths` was modified, coalesced now.
pub fn modified(paths: &[PathBuf]) -> WatchEvent {
    batch(paths, ChangeKind::Modified)
}

/// One batch saying each of `paths` was created, coalesced now.
pub fn created(paths: &[PathBuf]) -> WatchEvent {
    batch(paths, ChangeKind::Created)
}

fn batch(paths: &[PathBuf], kind: ChangeKind) -> WatchEvent {
    let now = Instant::now();
    WatchEvent::Batch(ChangeBatch {
        paths: paths
            .iter()
            .map(|path| ChangedPath {
                path: path.clone(),
                kind,
            })
            .collect(),
        first_event_at: now,
        coalesced_at: now,
        raw_events: paths.len(),
        open_for_writing: Vec::new(),
    })
}
