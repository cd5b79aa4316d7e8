//! The file watcher: notify (inotify on Linux) delivers raw events to a thread of ours, which
//! filters them, coalesces a burst into one `ChangeBatch` and sends it to the engine over a
//! crossbeam channel. When events may have been lost (queue overflow, watcher errors) it says
//! so with `WatchEvent::Rescan` instead of missing a change silently.
//!
//! What is watched. The root itself non-recursively, each top-level directory recursively
//! (notify's recursive mode, which also watches directories created later), except the
//! ignored ones, so a large `node_modules`, `.git` or `target` never costs inotify watches:
//! - `.git`, `.hotloop` and `node_modules` at any depth, `target` and `dist` at the root
//!   (`WatchConfig::ignored_root_dirs`). Nested `dist` folders stay watched: a workspace
//!   package's build output is what the app imports.
//! - `node_modules` at the root is watched one level deep (one inotify watch): a package
//!   appearing or disappearing, and npm's `node_modules/.package-lock.json` (rewritten by
//!   every install), are reported so the engine can re-resolve. Edits inside a package,
//!   including its `package.json`, are not reported.
//! - editor temp files: `*.swp`/`*.swo`/`*.swn`/`*.swx`, `*~`, vim's `4913` probe, `.#*` and
//!   `#*#` (emacs), `*.tmp`, JetBrains' `___jb_tmp___`/`___jb_old___`, `*.kate-swp`,
//!   `.goutputstream-*`. An atomic save writes such a file and renames it over the real one:
//!   the rename's target is reported (as `Created`), the temp name never is.
//!
//! Coalescing. After the first relevant event the thread keeps collecting until no event
//! arrived for `quiet` (2 ms), or `max_wait` (20 ms) passed since the first; paths are
//! deduplicated and their kinds merged (`ChangeKind::merge`). While git holds the repository's
//! `index.lock` (a checkout rewriting the tree), a due batch waits for its release, so the
//! whole operation is one batch (`git_lock.rs`).
//!
//! The truncate-then-write race. An editor's plain save truncates the file, then writes it;
//! reading between the two gives an empty or half-written module. On inotify the watcher also
//! subscribes to `CLOSE_WRITE` (notify's `Access(Close(Write))`) and remembers each file that
//! was created or written but not yet closed; a batch is not sealed while such a file is open,
//! for at most `close_wait` (50 ms) after its first write, after which it is sealed anyway (a
//! process holding a file open must not stall updates) and the late close arrives as a new
//! batch. Cost: a normal save's `MODIFY`, `MODIFY`, `CLOSE_WRITE` arrive together, so the
//! seal happens `quiet` after the close, as without the tracking; only a writer that pauses
//! between truncating and closing delays the batch, by up to its own pause (capped at
//! `close_wait`). Other backends report no closes and skip the tracking.
//!
//! New directories. notify installs watches for new nested directories only after it has
//! delivered their creation, and reports the directories found by its walk but not the
//! files. So when a batch holds new directories the thread first makes one round trip through
//! notify's event loop (after which those watches exist), then walks the new directories and
//! reports every file found as `Created`: files written before the watch existed are found by
//! the walk, files written after by inotify. A directory moved in with its contents is
//! covered the same way. A directory removed or moved out is reported once, as `Removed`:
//! its files are gone too.
//!
//! When a directory cannot be watched (inotify's per-user watch limit, most often), the thread
//! says so (`WatchEvent::Error`) and falls back to polling: it walks the project every
//! `poll_interval` (`poll.rs`) and reports what changed, so edits in unwatched directories
//! still arrive, later.
//!
//! `ChangeKind` is a hint. The engine reads the disk for each reported path to learn the
//! truth; the start-up order is: spawn the watcher, then scan the project, so nothing written
//! in between is missed.
//!
//! Symlinks are not followed: a directory reached through a link (a workspace package linked
//! into `node_modules`) is watched where it lives, as an extra root the engine sends once its
//! graph reaches it (`thread.rs`; the dev loop's `watch_outside_sources`). Its parent is
//! watched by itself, so that the directory renamed away and back is watched again; a new
//! directory at its top (a `dist` its build wrote again) is watched as it comes. Of a
//! workspace's `node_modules` above the root only the install's markers and the packages
//! themselves are reported, not what tools write in its dot-directories.

use std::collections::hash_map::Entry;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};
use notify::{EventKindMask, RecommendedWatcher, RecursiveMode, Watcher as _};

mod collector;
mod filter;
mod git_lock;
mod poll;
#[cfg(test)]
mod tests;
mod thread;

use collector::Collector;
use filter::{Filter, NODE_MODULES, files_under, walk_reported};
pub use filter::{INSTALL_MARKERS, is_editor_temp, is_install_marker};
use thread::WatchThread;

/// Tuning of the watcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchConfig {
    /// A batch is sealed once no event arrived for this long.
    pub quiet: Duration,
    /// ... or, when every file written in the batch has been closed by its writer and the last
    /// event was that close (or an atomic save's rename), once no event arrived for this long:
    /// the writer said it is done, so the batch need not wait out `quiet` (inotify only).
    pub settle: Duration,
    /// ... or once this long passed since its first event.
    pub max_wait: Duration,
    /// How long a batch may wait for a file written but not yet closed (inotify only).
    pub close_wait: Duration,
    /// Directory names ignored directly under the root (besides `.git`, `.hotloop` and
    /// `node_modules`, ignored at any depth).
    pub ignored_root_dirs: Vec<String>,
    /// How often the project is walked when some directory could not be watched.
    pub poll_interval: Duration,
    /// How long a batch waits, at most, while git holds its `index.lock` (a checkout
    /// rewriting the working tree: `git_lock.rs`).
    pub git_wait: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            quiet: Duration::from_millis(2),
            settle: Duration::from_micros(250),
            max_wait: Duration::from_millis(20),
            close_wait: Duration::from_millis(50),
            ignored_root_dirs: vec!["target".to_string(), "dist".to_string()],
            poll_interval: Duration::from_millis(500),
            git_wait: Duration::from_secs(5),
        }
    }
}

/// What happened to a path in one batch. A hint: the engine reads the disk for the truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Did not exist before the batch, exists after (also the target of a rename).
    Created,
    /// Existed before and after.
    Modified,
    /// Does not exist after the batch (or did not exist before or after: a transient file).
    Removed,
    /// Unknown: check the disk.
    Any,
}

impl ChangeKind {
    /// (existed before, exists after), `None` when unknown.
    fn states(self) -> (Option<bool>, Option<bool>) {
        match self {
            ChangeKind::Created => (Some(false), Some(true)),
            ChangeKind::Modified => (Some(true), Some(true)),
            ChangeKind::Removed => (Some(true), Some(false)),
            ChangeKind::Any => (None, None),
        }
    }

    /// The kind of `self` followed by `later` within one batch: "before" from the first,
    /// "after" from the second.
    pub fn merge(self, later: ChangeKind) -> ChangeKind {
        let (before, _) = self.states();
        let (_, after) = later.states();
        match (before, after) {
            (_, Some(false)) => ChangeKind::Removed,
            (Some(false), Some(true)) => ChangeKind::Created,
            (Some(true), Some(true)) => ChangeKind::Modified,
            _ => ChangeKind::Any,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedPath {
    pub path: PathBuf,
    pub kind: ChangeKind,
}

/// The changes of one burst, each path once, in the order first seen.
#[derive(Clone, Debug)]
pub struct ChangeBatch {
    pub paths: Vec<ChangedPath>,
    /// When the watcher thread received the batch's first event.
    pub first_event_at: Instant,
    /// When the batch was sealed and sent.
    pub coalesced_at: Instant,
    /// notify events that went into the batch (after filtering).
    pub raw_events: usize,
    /// Files written whose writer had not closed them when the batch was sealed (inotify only):
    /// a read may catch them between a truncate and the write. Their close comes in a later
    /// batch.
    pub open_for_writing: Vec<PathBuf>,
}

#[derive(Clone, Debug)]
pub enum WatchEvent {
    Batch(ChangeBatch),
    /// Events may have been lost: re-scan the whole project.
    Rescan {
        reason: String,
    },
    /// A problem worth showing (a directory that cannot be watched, a watcher error). When
    /// events may have been lost as a result, a `Rescan` follows.
    Error {
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {}: not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("cannot watch {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the file watcher")]
    Init(#[source] notify::Error),
    #[error("cannot watch {}", path.display())]
    Watch {
        path: PathBuf,
        #[source]
        source: notify::Error,
    },
    #[error("cannot start the watcher thread")]
    Thread(#[source] io::Error),
}

/// A running watcher. Dropping it stops the thread (and notify's).
pub struct Watcher {
    events: Receiver<WatchEvent>,
    roots: Sender<PathBuf>,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// The channel batches arrive on. It disconnects when the watcher is dropped.
    pub fn receiver(&self) -> Receiver<WatchEvent> {
        self.events.clone()
    }

    /// Where to send source directories outside the root to watch as well (linked workspace
    /// packages, `npm link`): the engine sends each once it finds modules there. Inside such a
    /// directory everything but `node_modules`, `.git` and editor temp files is reported.
    pub fn extra_roots(&self) -> Sender<PathBuf> {
        self.roots.clone()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the watcher thread panicked");
        }
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher").finish_non_exhaustive()
    }
}

/// The directory above `root` where a workspace's package manager installs (its lockfile or
/// `pnpm-workspace.yaml` beside a `node_modules`): the nearest such, if any.
pub fn install_root(root: &Path) -> Option<PathBuf> {
    const MARKS: [&str; 5] = [
        "pnpm-workspace.yaml",
        "package-lock.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lock",
    ];
    root.ancestors()
        .skip(1)
        .find(|dir| {
            dir.join(NODE_MODULES).is_dir() && MARKS.iter().any(|mark| dir.join(mark).is_file())
        })
        .map(Path::to_path_buf)
}

/// Starts watching `root` (made absolute; reported paths are under it as given).
pub fn spawn_watcher(root: &Path, config: WatchConfig) -> Result<Watcher, WatchError> {
    let root = std::path::absolute(root).map_err(|source| WatchError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !root.is_dir() {
        return Err(WatchError::NotADirectory { path: root });
    }
    let (raw_tx, raw_rx) = unbounded();
    // No OPEN / CLOSE_NOWRITE: the engine's own reads would come back as events.
    let mask = EventKindMask::CREATE
        | EventKindMask::REMOVE
        | EventKindMask::MODIFY_DATA
        | EventKindMask::MODIFY_META
        | EventKindMask::MODIFY_NAME
        | EventKindMask::ACCESS_CLOSE;
    let handler = move |event: notify::Result<notify::Event>| {
        // Only fails once our thread is gone, when nobody needs the event.
        let _ = raw_tx.send(event);
    };
    // A recursive watch does not go through symlinks: a linked package (`node_modules/pkg` →
    // `../../packages/pkg`) is watched where it lives (`Watcher::extra_roots`), and a second path
    // to the same directories would report its files under the link, inside `node_modules`.
    let mut notify = RecommendedWatcher::new(
        handler,
        notify::Config::default()
            .with_event_kinds(mask)
            .with_follow_symlinks(false),
    )
    .map_err(WatchError::Init)?;
    notify
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(|source| WatchError::Watch {
            path: root.clone(),
            source,
        })?;
    let filter = Filter::new(root.clone(), &config.ignored_root_dirs);
    let (events_tx, events_rx) = unbounded();
    let git_lock = git_lock::GitLock::find(&root);
    let mut thread = WatchThread {
        git_lock,
        tracks_close: RecommendedWatcher::kind() == notify::WatcherKind::Inotify,
        root,
        config,
        filter,
        notify,
        raw: raw_rx,
        out: events_tx,
        poll: None,
    };
    let errors = thread.watch_top_level(false);
    // A workspace's install writes its markers in the `node_modules` of the directory above
    // (`npm install` in a workspace, `pnpm install`): watched too, by itself (its entries),
    // and that directory by itself, to see its `node_modules` come back after an `rm -rf`
    // (`WatchThread::adopt_new_dirs` watches it again).
    if let Some(dir) = install_root(&thread.root) {
        for watched in [dir.join(NODE_MODULES), dir.clone()] {
            if let Err(error) = thread.notify.watch(&watched, RecursiveMode::NonRecursive) {
                tracing::debug!("cannot watch {}: {error}", watched.display());
            }
        }
        thread.filter.install_root = Some(dir);
    }
    let failed = !errors.is_empty();
    for message in errors {
        let _ = thread.out.send(WatchEvent::Error { message });
    }
    if failed {
        thread.start_polling();
    }
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
    let (roots_tx, roots_rx) = unbounded();
    let handle = std::thread::Builder::new()
        .name("hotloop-watcher".to_string())
        .spawn(move || thread.run(stop_rx, roots_rx))
        .map_err(WatchError::Thread)?;
    Ok(Watcher {
        events: events_rx,
        roots: roots_tx,
        stop: Some(stop_tx),
        thread: Some(handle),
    })
}
