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
//! deduplicated and their kinds merged (`ChangeKind::merge`).
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

use std::collections::hash_map::Entry;
use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select, unbounded};
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, EventKindMask, RecommendedWatcher, RecursiveMode, Watcher as _};
use rustc_hash::FxHashMap;

mod poll;

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
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// The channel batches arrive on. It disconnects when the watcher is dropped.
    pub fn receiver(&self) -> Receiver<WatchEvent> {
        self.events.clone()
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
    let mut notify =
        RecommendedWatcher::new(handler, notify::Config::default().with_event_kinds(mask))
            .map_err(WatchError::Init)?;
    notify
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(|source| WatchError::Watch {
            path: root.clone(),
            source,
        })?;
    let filter = Filter::new(root.clone(), &config.ignored_root_dirs);
    let (events_tx, events_rx) = unbounded();
    let mut thread = WatchThread {
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
    let failed = !errors.is_empty();
    for message in errors {
        let _ = thread.out.send(WatchEvent::Error { message });
    }
    if failed {
        thread.start_polling();
    }
    let (stop_tx, stop_rx) = crossbeam_channel::bounded::<()>(0);
    let handle = std::thread::Builder::new()
        .name("hotloop-watcher".to_string())
        .spawn(move || thread.run(stop_rx))
        .map_err(WatchError::Thread)?;
    Ok(Watcher {
        events: events_rx,
        stop: Some(stop_tx),
        thread: Some(handle),
    })
}

/// Decides which paths are reported.
struct Filter {
    root: PathBuf,
    ignored_root_dirs: Vec<String>,
}

const IGNORED_ANYWHERE: [&str; 2] = [".git", ".hotloop"];
const NODE_MODULES: &str = "node_modules";

impl Filter {
    fn new(root: PathBuf, ignored_root_dirs: &[String]) -> Self {
        Filter {
            root,
            ignored_root_dirs: ignored_root_dirs.to_vec(),
        }
    }

    fn reports(&self, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(&self.root) else {
            // Not under the root (the root itself moved?): report, the engine decides.
            return true;
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
    fn reports_inside(&self, dir: &Path) -> bool {
        self.reports(&dir.join("file"))
    }
}

/// Names editors give their swap, backup, lock and temp files.
fn is_editor_temp(name: &str) -> bool {
    name == "4913"
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

/// One batch being collected. Pure bookkeeping: no IO, no clock.
#[derive(Debug)]
struct Collector {
    first: Instant,
    last: Instant,
    raw_events: usize,
    paths: Vec<ChangedPath>,
    index: FxHashMap<PathBuf, usize>,
    /// Files created or written whose `CLOSE_WRITE` has not arrived, with their first write.
    unclosed: FxHashMap<PathBuf, Instant>,
    /// The last relevant event finished a write (`CLOSE_WRITE` or a rename over the file).
    complete: bool,
    /// Directories that appeared (created or moved in).
    new_dirs: Vec<PathBuf>,
    /// Rename targets: directories or files, checked on the disk when sealing.
    renamed_in: Vec<PathBuf>,
    rescan: Option<String>,
    /// Events were lost in the kernel queue: the watches themselves must be rebuilt.
    overflowed: bool,
    errors: Vec<String>,
}

impl Collector {
    fn new(now: Instant) -> Self {
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
        }
    }

    fn record(&mut self, path: PathBuf, kind: ChangeKind) {
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
    fn absorb(
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

    fn apply(&mut self, kind: EventKind, path: PathBuf, tracks_close: bool, now: Instant) -> bool {
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

    fn renamed_in(&mut self, path: PathBuf) {
        // A rename target is complete: an atomic save.
        self.unclosed.remove(&path);
        if !self.renamed_in.contains(&path) {
            self.renamed_in.push(path.clone());
        }
        self.record(path, ChangeKind::Created);
    }

    fn count(&mut self, now: Instant) {
        self.raw_events += 1;
        self.last = now;
    }

    /// When the batch is to be sealed, given what has arrived so far.
    fn deadline(&self, config: &WatchConfig) -> Instant {
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

/// The watcher thread's state.
struct WatchThread {
    root: PathBuf,
    config: WatchConfig,
    filter: Filter,
    notify: RecommendedWatcher,
    raw: Receiver<notify::Result<notify::Event>>,
    out: Sender<WatchEvent>,
    tracks_close: bool,
    /// Set once some directory could not be watched.
    poll: Option<poll::Poller>,
}

impl WatchThread {
    fn run(mut self, stop: Receiver<()>) {
        let mut batch: Option<Collector> = None;
        loop {
            let poll_due = match &self.poll {
                Some(poller) => crossbeam_channel::at(poller.deadline()),
                None => crossbeam_channel::never(),
            };
            let event = match &batch {
                None => select! {
                    recv(stop) -> _ => return,
                    recv(poll_due) -> _ => {
                        self.poll_once();
                        continue;
                    }
                    recv(self.raw) -> event => event,
                },
                Some(collecting) => {
                    let now = Instant::now();
                    let deadline = collecting.deadline(&self.config);
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

    fn seal(&mut self, mut batch: Collector) {
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
    fn start_polling(&mut self) {
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
    fn poll_once(&mut self) {
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
        }));
    }

    /// Makes sure new directories are watched, then reports the files already in them.
    fn adopt_new_dirs(&mut self, batch: &mut Collector) {
        for dir in &batch.new_dirs {
            if dir.parent() == Some(self.root.as_path())
                && let Err(message) = self.watch_top_level_dir(dir, false)
            {
                batch.errors.push(message);
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
    fn watch_top_level(&mut self, rewatch: bool) -> Vec<String> {
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

    fn watch_top_level_dir(&mut self, dir: &Path, rewatch: bool) -> Result<(), String> {
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

/// Every reported file under `dir` (symlinks not followed).
fn files_under(dir: &Path, filter: &Filter) -> Vec<PathBuf> {
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
fn walk_reported(
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

#[cfg(test)]
mod tests {
    use notify::event::{DataChange, Flag, RemoveKind};

    use super::*;

    #[test]
    fn merging_kinds_keeps_before_of_the_first_and_after_of_the_last() {
        use ChangeKind::*;
        let table = [
            (Created, Modified, Created),
            (Created, Removed, Removed),
            (Removed, Created, Modified),
            (Modified, Removed, Removed),
            (Modified, Modified, Modified),
            (Removed, Modified, Modified),
            (Any, Removed, Removed),
            (Any, Created, Any),
            (Created, Any, Any),
        ];
        for (first, later, merged) in table {
            assert_eq!(first.merge(later), merged, "{first:?} then {later:?}");
        }
    }

    fn filter() -> Filter {
        Filter::new(
            PathBuf::from("/p"),
            &["target".to_string(), "dist".to_string()],
        )
    }

    #[test]
    fn the_filter_ignores_tool_dirs_and_editor_temp_files() {
        let f = filter();
        let table = [
            ("/p/src/a.js", true),
            ("/p/index.html", true),
            ("/p/packages/ui/dist/index.js", true),
            ("/p/node_modules", true),
            ("/p/node_modules/react", true),
            ("/p/node_modules/.package-lock.json", true),
            ("/p/node_modules/react/index.js", false),
            ("/p/packages/ui/node_modules/x", false),
            ("/p/.git/index", false),
            ("/p/src/.git", false),
            ("/p/.hotloop/cache", false),
            ("/p/target/debug/x", false),
            ("/p/dist/main.js", false),
            ("/p/src/.a.js.swp", false),
            ("/p/src/.a.js.swx", false),
            ("/p/src/a.js~", false),
            ("/p/src/4913", false),
            ("/p/src/.#a.js", false),
            ("/p/src/#a.js#", false),
            ("/p/src/a.js.tmp", false),
            ("/p/src/a.js___jb_tmp___", false),
            ("/p/src/#", true),
        ];
        for (path, reported) in table {
            assert_eq!(f.reports(Path::new(path)), reported, "{path}");
        }
    }

    fn event(kind: EventKind, paths: &[&str]) -> notify::Result<notify::Event> {
        let mut event = notify::Event::new(kind);
        for p in paths {
            event = event.add_path(PathBuf::from(p));
        }
        Ok(event)
    }

    fn collect(events: Vec<notify::Result<notify::Event>>) -> Collector {
        let now = Instant::now();
        let mut c = Collector::new(now);
        for e in events {
            c.absorb(e, &filter(), true, now);
        }
        c
    }

    fn kinds(c: &Collector) -> Vec<(String, ChangeKind)> {
        c.paths
            .iter()
            .map(|p| (p.path.display().to_string(), p.kind))
            .collect()
    }

    #[test]
    fn an_atomic_save_reports_the_rename_target_only() {
        let c = collect(vec![
            event(EventKind::Create(CreateKind::File), &["/p/src/a.js.tmp"]),
            event(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &["/p/src/a.js.tmp"],
            ),
            event(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &["/p/src/a.js.tmp"],
            ),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                &["/p/src/a.js.tmp"],
            ),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                &["/p/src/a.js"],
            ),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/p/src/a.js.tmp", "/p/src/a.js"],
            ),
        ]);
        assert_eq!(
            kinds(&c),
            vec![("/p/src/a.js".to_string(), ChangeKind::Created)]
        );
        assert_eq!(c.raw_events, 2);
        assert!(c.unclosed.is_empty());
        assert_eq!(c.renamed_in, vec![PathBuf::from("/p/src/a.js")]);
    }

    #[test]
    fn a_file_written_and_not_closed_holds_the_batch_open_for_at_most_close_wait() {
        let config = WatchConfig::default();
        let t0 = Instant::now();
        let mut c = Collector::new(t0);
        let f = filter();
        let modify = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/p/a.js"],
        );
        c.absorb(modify, &f, true, t0);
        assert_eq!(c.deadline(&config), t0 + config.close_wait);
        let close = event(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            &["/p/a.js"],
        );
        let t1 = t0 + Duration::from_millis(1);
        c.absorb(close, &f, true, t1);
        // The writer closed the file: the batch settles quickly instead of waiting out `quiet`.
        assert_eq!(c.deadline(&config), t1 + config.settle);
        assert_eq!(
            kinds(&c),
            vec![("/p/a.js".to_string(), ChangeKind::Modified)]
        );

        // Without close tracking (other backends) the quiet window alone decides.
        let mut c = Collector::new(t0);
        let modify = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/p/a.js"],
        );
        c.absorb(modify, &f, false, t0);
        assert_eq!(c.deadline(&config), t0 + config.quiet);
    }

    #[test]
    fn the_deadline_is_capped_by_max_wait_while_events_keep_coming() {
        let config = WatchConfig::default();
        let t0 = Instant::now();
        let mut c = Collector::new(t0);
        let f = filter();
        for ms in 0..30 {
            let path = format!("/p/{ms}.js");
            let e = event(EventKind::Remove(RemoveKind::File), &[path.as_str()]);
            c.absorb(e, &f, true, t0 + Duration::from_millis(ms));
        }
        assert_eq!(c.deadline(&config), t0 + config.max_wait);
    }

    #[test]
    fn overflow_and_errors_ask_for_a_rescan() {
        let overflow = Ok(notify::Event::new(EventKind::Other).set_flag(Flag::Rescan));
        let c = collect(vec![overflow]);
        assert!(c.rescan.is_some() && c.overflowed);
        let c = collect(vec![Err(notify::Error::generic("boom"))]);
        assert_eq!(c.errors, vec!["boom".to_string()]);
        assert!(c.rescan.as_deref().is_some_and(|r| r.contains("boom")));
        assert!(!c.overflowed);
    }

    #[test]
    fn ignored_events_do_not_start_a_batch() {
        let now = Instant::now();
        let mut c = Collector::new(now);
        let ignored = event(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            &["/p/.git/index", "/p/src/.a.js.swp"],
        );
        assert!(!c.absorb(ignored, &filter(), true, now));
        assert_eq!(c.raw_events, 0);
        assert!(c.paths.is_empty() && c.unclosed.is_empty());
    }
}
