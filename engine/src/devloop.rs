//! The engine thread: the one owner of the `EngineHost` (so of the salsa database). It turns
//! watcher batches, client messages and commands into revisions: apply changes → build → plan →
//! encode once → publish the served snapshot → broadcast the frame → report telemetry. Every
//! cause (an edit, an `invalidate()`, a requested reload) goes through `update::prepare` (build →
//! plan → encode, shared with `hotloop profile`); the snapshot is published before the frame is
//! broadcast, so a tab that reloads on it fetches the new revision. One `select!` loop over
//! closed enums; nothing here blocks on the server or the dashboard.
//!
//! Lazy chunks: the dev loop keeps, per page, the lazy chunks it loaded (`ClientMessage::Loaded`)
//! and, per module only lazy chunks hold, the snapshot that serves its last edit. An update of
//! such modules alone is a `Frame::only` for the pages that loaded one of their chunks (the
//! engine picks the pages, the sessions only pick the bytes); a page that loads a chunk from a
//! snapshot older than an edit to its modules is sent that edit, alone (`Cause::Resend`): the
//! race of a request in flight while the edit lands ends with the new code too.
//!
//! The loop also reads a file that came empty again once its writer is done (`RECHECK_DELAY`),
//! holds an edit's new resolve errors for `LINK_ERROR_GRACE` before the pages hear of them (the
//! other half of a change that spans files usually follows), sends the watcher the source
//! directories outside the root that the graph reaches (linked workspace packages), turns acks
//! into telemetry, and, once a page rendered, runs the background warm-up and builds its lazy
//! chunks one per idle moment, up to a budget of modules (`build_ahead`). Its server half is
//! `app_server.rs`.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::db::QueryEventKind;
use crate::graph::ModuleKind;
use crate::host::QueryRun;
use crate::host::{BuildResult, EngineHost, LazyRequest, PageOpen};
use crate::memory::{self, AllocatorProbe, MemoryRelease};
use hotloop_protocol::Diagnostic;

use crate::queries::graph::ProjectGraph;
use crate::telemetry::{
    EngineEvent, GraphStats, Invalidated, InvalidationProfile, LastPageCheck, MemoryStats, Phase,
    UpdateOutcome, UpdateReport,
};
use crate::update::{self, Cause};
use crate::watcher::{ChangeBatch, WatchEvent};
use hotloop_protocol::plugin::CustomEvent;
use hotloop_protocol::served::Served;
use hotloop_protocol::wire::{self as protocol, ClientMessage, ServerMessage};
use hotloop_protocol::{ClientEvent, ClientId, Frame, RecentFrames};

/// Commands from the user interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// Reload every tab (the dashboard's key; a plugin's `full-reload`).
    ForceReload,
    /// The app's server process was started again on new code after it kept exiting: send
    /// it the current chunk.
    ServerRestarted,
    /// The app's server process exited without being asked to (a crash, `process.exit`, a
    /// kill): every page's overlay shows `message` and `stack` (its last words) until an
    /// update applies cleanly or new code starts it. `restarted`: it runs again (send it the
    /// current chunk); else it kept exiting and waits for the next edit.
    ServerExited {
        message: String,
        stack: String,
        restarted: bool,
    },
    /// The app's server process reported a failure: a module threw while evaluating, or a
    /// request handler threw. Every page's overlay shows it until the server's next update
    /// applies cleanly, the process restarts, or (a handler's) the same request is answered.
    ServerFailed {
        /// The module that threw (its id), when known.
        module: Option<String>,
        /// A handler's failure: the request it failed (`GET /api/todos`).
        request: Option<String>,
        message: String,
        stack: String,
    },
    /// The app's server answered `request` again without failing: the overlay lets that
    /// request's failure go (a flaky backend, a database that came back).
    ServerRecovered {
        request: String,
    },
    /// The plugins sent custom events on their own (`server.ws.send` from a timer or a
    /// middleware, not during an edit's hot update): send them to every page now.
    PluginEvents,
    /// The `vite.config` evaluated to something else than the session started with (the last
    /// session's answer, taken ahead of Node's): apply it as a change of the file.
    ConfigEvaluatedAnew,
    /// Include salsa's memo counts in memory samples (the dashboard shows them) or stop. When
    /// turned on, a sample is sent at once.
    QueryMemory(bool),
    Shutdown,
}

/// Where the engine thread publishes what it produces.
pub struct Publishers {
    pub served: tokio::sync::watch::Sender<Arc<Served>>,
    pub updates: tokio::sync::broadcast::Sender<Frame>,
    pub telemetry: Sender<EngineEvent>,
    /// The app's server process (server-side HMR), when the project has a server entry.
    pub server: Option<Sender<ServerOutput>>,
}

/// What the engine thread listens to.
pub struct EngineChannels {
    pub watcher: Receiver<WatchEvent>,
    pub clients: Receiver<ClientEvent>,
    pub control: Receiver<Control>,
}

/// A file that read as empty right after a change is read again once it has not been
/// modified for this long (and then taken as it is): an editor's truncate-then-write finishes
/// well within it, and a burst of saves keeps pushing it back. Well above the watcher's
/// longest hold of a batch (`max_wait` + `close_wait`, 70 ms): when the batch that was read
/// had the file closed and its writer truncated it again and was descheduled before writing,
/// the watcher's next batch (the file open for writing) must arrive before the file is taken
/// as empty. With 50 ms, a storm of saves on a loaded 2-core machine took a truncated file as
/// an empty module (a full reload). Deliberately emptying a file is rare; it waits this long.
const RECHECK_DELAY: Duration = Duration::from_millis(200);
/// ... but no longer than this after it was first deferred.
const RECHECK_LIMIT: Duration = Duration::from_secs(1);

/// A file that read as empty right after a change (see `RECHECK_DELAY`).
#[derive(Debug)]
struct Deferred {
    path: PathBuf,
    since: Instant,
    /// Its writer had not closed it when the watcher sealed the batch: the write is still to
    /// come (its close arrives in a later batch, which re-reads the file anyway).
    open: bool,
}

/// Whether a deferred empty file is taken as it is now: once nobody has modified it for
/// `RECHECK_DELAY` (an editor's truncate-then-write is done by then), unless its writer still
/// has it open (a descheduled writer can pause longer than that between truncate and write);
/// and in any case after `RECHECK_LIMIT`, so a file really emptied is never held back for long.
fn takes_empty_file(quiet: bool, open: bool, waited: Duration) -> bool {
    (quiet && !open) || waited >= RECHECK_LIMIT
}

/// An edit whose only new diagnostics name another file (an import whose file or export is not
/// there: `DiagnosticKind::Resolve`) has them held back this long before the pages and the log
/// hear of them: the other half of a change that spans files (a rename refactor's "save all",
/// a new file and its import, a `git checkout`) usually arrives within it, in the watcher's
/// next batch, and clears them. Shown at once, they flashed the overlay for ~100 ms. The page
/// loses nothing meanwhile: a module importing a name not exported is withheld until fixed
/// (`host/link_errors.rs`), and a page loaded meanwhile gets them with its snapshot.
pub(crate) const LINK_ERROR_GRACE: Duration = Duration::from_millis(150);

/// How many recent revisions remember when their first watcher event happened, so that a late
/// ack can still be turned into a save-to-applied time.
const REMEMBERED_REVISIONS: usize = 64;

pub struct DevLoop {
    host: EngineHost,
    server_id: Arc<str>,
    revision: u32,
    /// Updates reported so far (`UpdateReport::number` of the last one).
    updates: u32,
    /// While an update runs that no change of the user's asked for (`recompile`: a module a
    /// plugin marked stale, a kept plugin output found different): one that changes nothing
    /// is not reported.
    unasked: bool,
    /// While a batch's update runs whose saves changed no file a module reads, only the
    /// modules a plugin failed on compiled again (`AppliedChanges::retried`): the same errors
    /// again are no failed build of its own.
    saved_nothing: bool,
    publishers: Publishers,
    /// Diagnostics as last sent to the clients.
    errors: Arc<[Diagnostic]>,
    /// An edit's diagnostics held back for [`LINK_ERROR_GRACE`] (see there), and when they go
    /// out.
    held_errors: Option<(Instant, Arc<[Diagnostic]>)>,
    /// The report of the update whose errors are held: it goes out after them, or not at all
    /// when a later update's comes first (a rename refactor's second save fixed them).
    held_report: Option<Box<UpdateReport>>,
    /// [`LINK_ERROR_GRACE`] (longer in tests that must not see it run out).
    link_error_grace: Duration,
    /// `(revision, first watcher event of its batch)`.
    started: VecDeque<(u32, Instant)>,
    clients: FxHashMap<ClientId, String>,
    /// The graph of the last build, to report when it changes.
    graph: Arc<ProjectGraph>,
    allocator: Option<AllocatorProbe>,
    release_memory: Option<MemoryRelease>,
    /// Measure salsa's memos in memory samples (while the dashboard shows them).
    query_memory_wanted: bool,
    /// salsa's memo counts as last measured.
    query_memory: Vec<(String, usize, usize)>,
    /// Files that read as empty right after a change, each with when it was first deferred and
    /// whether its writer still had it open; they are looked at again at the instant given.
    recheck: Option<(Instant, Vec<Deferred>)>,
    /// Modules that called `hot.invalidate()` since the last edit: an invalidation that comes
    /// back to one of them is a loop, which the planner turns into a full reload.
    invalidated: Vec<Arc<str>>,
    /// Where to ask the watcher to watch source directories outside the root, and those asked.
    extra_roots: Option<(Sender<PathBuf>, Vec<PathBuf>)>,
    /// The server graph's half (server-side HMR).
    app_server: app_server::AppServerState,
    /// The number of the last published snapshot (`Served::snapshot`).
    snapshot: u32,
    /// The frames of the last revisions, published with each snapshot (`Served::recent`).
    recent: RecentFrames,
    /// The cold build's revision (`Served::first_revision`): 1 when the page of the last
    /// session turned out stale, else 0.
    first_revision: u32,
    /// The lazy chunks each open page loaded, with the snapshot each came from.
    open_chunks: FxHashMap<ClientId, FxHashMap<Arc<str>, u32>>,
    /// Modules only lazy chunks hold whose code changed (`PreparedUpdate::lazy_edited`: their
    /// edit was held back, or sent only to the pages that had loaded them), with the snapshot
    /// that serves their last edit: a page that loads one of their chunks from an older
    /// snapshot is sent them (`Cause::Resend`, to that page only).
    lazy_edits: FxHashMap<Arc<str>, u32>,
    /// The background compile of the lazy chunks no page asked for yet.
    warm_up: LazyWarmUp,
    /// What the first build made of the page of the last session.
    last_page: LastPageCheck,
    /// The confirmation of plugin outputs taken from the compile cache (`plugin_cache.rs`).
    confirming: Confirming,
}

/// The thread that confirms the plugin outputs a build took from the compile cache: it starts
/// once a page has rendered (the plugins' work would take a core from the first render) and
/// says when it is done; what it found changed waits in `Confirmations::take_changed`.
struct Confirming {
    running: bool,
    done_tx: crossbeam_channel::Sender<()>,
    done: crossbeam_channel::Receiver<()>,
}

impl Default for Confirming {
    fn default() -> Self {
        let (done_tx, done) = crossbeam_channel::unbounded();
        Confirming {
            running: false,
            done_tx,
            done,
        }
    }
}

/// The loop's wait for an idle moment when nothing is to be built ahead: it only wakes the
/// loop, which finds nothing to do.
const NOTHING_AHEAD: Duration = Duration::from_secs(3600);

/// How many modules the chunks built ahead may add to the page's graph in a session
/// (`LazyWarmUp::ahead_modules`): at the lazy-routes benchmark's 10k components (eight routes
/// of ~1,000) all of them, for ~12 MB of RSS.
const AHEAD_MODULES: usize = 10_000;

/// The lazy chunks' background compile (`EngineHost::warm_up_lazy_chunks`): it starts once a
/// page has rendered (`ClientMessage::Rendered`: its first idle moment after its entries ran,
/// so the framework's first render is done) and after every update while
/// some lazy target was never compiled through; an input change cancels it and the next idle
/// moment starts it again.
struct LazyWarmUp {
    /// A page said it rendered (`ClientMessage::Rendered`).
    page_rendered: bool,
    /// The targets of the running warm-up; `None` when none runs.
    running: Option<Vec<Arc<str>>>,
    /// Targets a warm-up went through to the end.
    done: FxHashSet<Arc<str>>,
    /// Targets a warm-up went through whose chunks no page asked for yet: their chunks are
    /// built one per idle moment of the loop (`build_ahead`), so that a first navigation's
    /// request finds its chunk served instead of waiting for a build (~10 ms for a route of
    /// 1,000 modules at 10k).
    ahead: VecDeque<Arc<str>>,
    /// The modules the chunks built ahead added to the page's graph, against
    /// `ahead_budget`: a chunk built ahead stays in the snapshot (its modules parsed and their
    /// code held) until the session ends, visited or not, so an app of many routes keeps only
    /// its first routes' (in the router's order) ready; the rest wait for their request as
    /// without the build ahead.
    ahead_modules: usize,
    ahead_budget: usize,
    /// The compile cache was pruned (after every lazy target was compiled once).
    pruned: bool,
    started: Instant,
    finished_tx: crossbeam_channel::Sender<bool>,
    finished: crossbeam_channel::Receiver<bool>,
}

impl Default for LazyWarmUp {
    fn default() -> Self {
        let (finished_tx, finished) = crossbeam_channel::unbounded();
        LazyWarmUp {
            page_rendered: false,
            running: None,
            done: FxHashSet::default(),
            ahead: VecDeque::new(),
            ahead_modules: 0,
            ahead_budget: AHEAD_MODULES,
            pruned: false,
            started: Instant::now(),
            finished_tx,
            finished,
        }
    }
}

impl DevLoop {
    /// Runs the cold build and publishes the first snapshot. Returns the loop and the graph
    /// statistics for the ready line.
    pub fn start(
        mut host: EngineHost,
        server_id: Arc<str>,
        publishers: Publishers,
    ) -> (DevLoop, GraphStats) {
        let mut build = host.build();
        // Modules the plugins updated themselves while the first build ran (UnoCSS's CSS, once
        // the modules it scans brought their classes) compile again before the first page is
        // served: a page loading it would start one update behind and reload ("missed
        // updates"). Bounded: a plugin that keeps doing it gets its updates as edits.
        for _ in 0..3 {
            let invalidated = host.take_plugin_invalidations();
            if invalidated.is_empty() {
                break;
            }
            host.recompile(&invalidated);
            build = host.build();
        }
        let stats = graph_stats(&build);
        // Only lazy chunks an open page loaded get updates (none are, yet).
        host.set_open_chunks(Default::default());
        let mut served = host.served(&server_id, 0);
        // A page served from the last session's record while the build ran names revision 0:
        // when the build made another page, the first revision is 1, and their hello says so.
        let mut revision = 0;
        let last_page = host.settle_last_page(&served);
        if let LastPageCheck::Stale { .. } = last_page {
            revision = 1;
            served = host.served(&server_id, revision);
        }
        served.snapshot = 1;
        if host.plugins_stopped() {
            // Ctrl-C during the cold build: the plugins' requests it cut short are no errors of
            // the project for a page that opens meanwhile.
            served.errors = Arc::from([]);
        }
        let _ = publishers.served.send(Arc::new(served));
        host.release_texts();
        let _ = publishers
            .telemetry
            .try_send(EngineEvent::GraphSnapshot(build.graph.graph.clone()));
        let errors = build.diagnostics.clone();
        if !errors.is_empty() {
            let _ = publishers
                .telemetry
                .try_send(EngineEvent::Diagnostics(errors.clone()));
        }
        let devloop = DevLoop {
            host,
            server_id,
            revision,
            updates: 0,
            unasked: false,
            saved_nothing: false,
            last_page,
            publishers,
            errors,
            started: VecDeque::new(),
            clients: FxHashMap::default(),
            graph: build.graph.clone(),
            allocator: None,
            release_memory: None,
            query_memory_wanted: false,
            query_memory: Vec::new(),
            recheck: None,
            invalidated: Vec::new(),
            extra_roots: None,
            app_server: Default::default(),
            snapshot: 1,
            recent: RecentFrames::default(),
            first_revision: revision,
            open_chunks: FxHashMap::default(),
            lazy_edits: FxHashMap::default(),
            warm_up: LazyWarmUp::default(),
            confirming: Confirming::default(),
            held_errors: None,
            held_report: None,
            link_error_grace: LINK_ERROR_GRACE,
        };
        let mut devloop = devloop;
        devloop
            .host
            .tell_plugins_graph(&build.graph.graph, &build.graph.graph);
        devloop.update_server(&[], None, None);
        if devloop.host.has_server() {
            let errors = devloop.with_server_diagnostics(&build.diagnostics);
            devloop.send_errors(&errors);
            // The first snapshot did not know the server graph's errors yet.
            devloop.publish();
        }
        (devloop, stats)
    }

    /// What the first build made of the page of the last session served while it ran.
    pub fn last_page(&self) -> &LastPageCheck {
        &self.last_page
    }

    /// Hits and misses of the persistent compile cache so far.
    pub fn compile_cache_stats(&self) -> crate::cache::CacheStats {
        self.host.compile_cache_stats()
    }

    /// Installs the function that reads the global allocator's figures for `Memory` samples
    /// (without one they are reported as 0).
    pub fn set_allocator_probe(&mut self, probe: AllocatorProbe) {
        self.allocator = Some(probe);
    }

    /// Installs the function that returns freed memory to the OS (see
    /// [`MemoryRelease`]).
    pub fn set_memory_release(&mut self, release: MemoryRelease) {
        self.release_memory = Some(release);
    }

    fn release_memory(&self) {
        if let Some(release) = self.release_memory {
            release();
        }
    }

    /// Sends every source directory outside the root that the graph reaches (linked workspace
    /// packages) to `roots`, now and whenever the graph changes, so edits there are seen.
    pub fn watch_outside_sources(&mut self, roots: Sender<PathBuf>) {
        self.extra_roots = Some((roots, Vec::new()));
        self.send_extra_roots();
    }

    fn send_extra_roots(&mut self) {
        let Some((roots, sent)) = &mut self.extra_roots else {
            return;
        };
        for dir in self.host.source_dirs_outside_root().iter() {
            if !sent.contains(dir) {
                tracing::info!(
                    "watching {} (source outside the project root)",
                    dir.display()
                );
                let _ = roots.send(dir.clone());
                sent.push(dir.clone());
            }
        }
    }

    /// Takes the client events read before the loop ran, in order ([`wait_for_first_render`]'s).
    pub fn replay(&mut self, events: Vec<ClientEvent>) {
        for event in events {
            self.on_client(event);
        }
    }

    /// Serves events until every input closes or `Control::Shutdown` arrives.
    pub fn run(mut self, channels: EngineChannels) {
        self.sample_memory();
        loop {
            let recheck = match &self.recheck {
                Some((at, _)) => crossbeam_channel::at(*at),
                None => crossbeam_channel::never(),
            };
            let warm_up_finished = self.warm_up.finished.clone();
            let confirmed = self.confirming.done.clone();
            let held_errors = match &self.held_errors {
                Some((at, _)) => crossbeam_channel::at(*at),
                None => crossbeam_channel::never(),
            };
            // Built ahead only when nothing else waits (and no warm-up runs, which a build's
            // new lazy roots would cancel).
            let idle = if self.warm_up.ahead.is_empty() || self.warm_up.running.is_some() {
                NOTHING_AHEAD
            } else {
                Duration::ZERO
            };
            select! {
                recv(recheck) -> _ => self.on_recheck(),
                recv(held_errors) -> _ => {
                    if let Some((_, errors)) = self.held_errors.take() {
                        self.send_errors(&errors);
                    }
                    if let Some(report) = self.held_report.take() {
                        self.report_update(report);
                    }
                }
                recv(confirmed) -> done => {
                    if done.is_ok() {
                        self.confirming.running = false;
                        self.confirm_in_background();
                    }
                }
                recv(warm_up_finished) -> finished => {
                    if let Ok(finished) = finished {
                        self.on_warm_up_finished(finished);
                    }
                }
                recv(channels.watcher) -> event => match event {
                    Ok(WatchEvent::Batch(batch)) => self.on_batch(batch),
                    Ok(WatchEvent::Rescan { reason }) => {
                        self.telemetry(EngineEvent::WatcherDegraded {
                            message: format!("{reason}; rescanned the project"),
                        });
                        let now = Instant::now();
                        self.host.rescan();
                        self.invalidated.clear();
                        self.update(Cause::Edit { files: &[] }, now, vec![(Phase::Read, now.elapsed())]);
                    }
                    Ok(WatchEvent::Error { message }) => {
                        self.telemetry(EngineEvent::WatcherDegraded { message });
                    }
                    Err(_) => break,
                },
                recv(channels.clients) -> event => match event {
                    Ok(event) => self.on_client(event),
                    Err(_) => break,
                },
                recv(channels.control) -> command => match command {
                    Ok(Control::ForceReload) => {
                        let now = Instant::now();
                        self.update(Cause::Reload, now, Vec::new());
                    }
                    Ok(Control::ServerRestarted) => self.start_server_process(false),
                    Ok(Control::ServerFailed { module, request, message, stack }) => {
                        let message = format!("the app's server threw: {message}");
                        self.on_server_failed(module, message, stack);
                        self.app_server.failed_request = request;
                    }
                    Ok(Control::ServerRecovered { request }) => self.on_server_recovered(&request),
                    Ok(Control::ServerExited { message, stack, restarted }) => {
                        self.on_server_exited(message, stack, restarted)
                    }
                    Ok(Control::PluginEvents) => {
                        let events = self.host.take_plugin_events();
                        self.send_plugin_events(events);
                        // Modules a plugin updated itself: compiled again, sent as an edit.
                        let invalidated = self.host.take_plugin_invalidations();
                        let reload_moot = !invalidated.is_empty() && self.recompile(invalidated);
                        // A reload a plugin asked for outside an edit (an edit's hot update
                        // takes its own: `AppliedChanges::reload_requested`), unless the
                        // update of the modules it invalidated with it reloaded the pages
                        // (vite-plugin-pages' routes module when a page file comes).
                        if self.host.take_plugin_reload() && !reload_moot {
                            self.update(Cause::Reload, Instant::now(), Vec::new());
                        }
                    }
                    Ok(Control::ConfigEvaluatedAnew) => self.on_config_evaluated_anew(),
                    Ok(Control::QueryMemory(on)) => {
                        self.query_memory_wanted = on;
                        if on {
                            self.sample_memory();
                        }
                    }
                    Ok(Control::Shutdown) | Err(_) => break,
                },
                default(idle) => self.build_ahead(),
            }
        }
        // The page as it is now is what the next session serves while it builds.
        let last = self.publishers.served.borrow().clone();
        self.host.record_page(&last);
    }

    /// Plugins' custom events to every page, or to the one a `server.ws.on` listener
    /// answered (`import.meta.hot.on`), in order.
    fn send_plugin_events(&self, events: Vec<CustomEvent>) {
        for CustomEvent {
            event,
            data,
            client,
        } in events
        {
            let frame = protocol::encode(&ServerMessage::Custom { event, data });
            let frame = match client {
                Some(client) => Frame::to(frame, Arc::from([client])),
                None => Frame::everyone(frame),
            };
            let _ = self.publishers.updates.send(frame);
        }
    }

    /// Numbers an update's report and sends it to the log and the dashboard.
    fn report_update(&mut self, mut report: Box<UpdateReport>) {
        self.updates += 1;
        report.number = self.updates;
        self.telemetry(EngineEvent::Update(report));
    }

    fn telemetry(&self, event: EngineEvent) {
        // Never block the engine on a slow reader.
        let _ = self.publishers.telemetry.try_send(event);
    }

    /// Reads the files deferred as maybe mid-write again and takes them as they are, once
    /// nobody has modified them for `RECHECK_DELAY`; the others wait on.
    fn on_recheck(&mut self) {
        let Some((_, waiting)) = self.recheck.take() else {
            return;
        };
        let now = Instant::now();
        let (ready, busy): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|deferred| {
            let quiet = std::fs::metadata(&deferred.path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_none_or(|age| age >= RECHECK_DELAY);
            takes_empty_file(quiet, deferred.open, now.duration_since(deferred.since))
        });
        if !busy.is_empty() {
            self.recheck = Some((now + RECHECK_DELAY, busy));
        }
        if ready.is_empty() {
            return;
        }
        let batch = ChangeBatch {
            paths: ready
                .into_iter()
                .map(|deferred| crate::watcher::ChangedPath {
                    path: deferred.path,
                    kind: crate::watcher::ChangeKind::Modified,
                })
                .collect(),
            first_event_at: now,
            coalesced_at: now,
            raw_events: 0,
            open_for_writing: Vec::new(),
        };
        self.apply_batch(batch, true);
    }

    /// `Control::ConfigEvaluatedAnew`: the config counts as saved (`EngineHost::
    /// config_evaluated_anew`), and its update reloads the pages, as a save's would.
    fn on_config_evaluated_anew(&mut self) {
        let applied = self.host.config_evaluated_anew();
        let files = applied.saved_names();
        if files.is_empty() {
            return;
        }
        self.telemetry(EngineEvent::ChangeDetected {
            files: files.clone(),
        });
        self.invalidated.clear();
        self.update(Cause::Edit { files: &files }, Instant::now(), Vec::new());
    }

    fn on_batch(&mut self, batch: ChangeBatch) {
        self.apply_batch(batch, false);
    }

    /// `settled`: the paths were read once already; take empty files as they are.
    fn apply_batch(&mut self, batch: ChangeBatch, settled: bool) {
        let paths: Vec<PathBuf> = batch.paths.iter().map(|p| p.path.clone()).collect();
        let coalesce = batch
            .coalesced_at
            .saturating_duration_since(batch.first_event_at);
        let read_start = Instant::now();
        self.host.note_modified(
            batch
                .paths
                .iter()
                .filter(|p| p.kind == crate::watcher::ChangeKind::Modified)
                .map(|p| p.path.clone()),
        );
        let mut applied = if settled {
            self.host.apply_changes(&paths)
        } else {
            self.host.apply_watched_changes(&paths)
        };
        let read = read_start.elapsed();
        if !settled && let Some((_, waiting)) = &mut self.recheck {
            // Read again just now: whatever it held is taken or deferred anew.
            waiting.retain(|d| !paths.contains(&d.path) || applied.deferred.contains(&d.path));
        }
        if !applied.deferred.is_empty() {
            let now = Instant::now();
            let (_, waiting) = self
                .recheck
                .get_or_insert_with(|| (now + RECHECK_DELAY, Vec::new()));
            for path in applied.deferred.drain(..) {
                let open = batch.open_for_writing.contains(&path);
                match waiting.iter_mut().find(|d| d.path == path) {
                    Some(deferred) => deferred.open = open,
                    None => waiting.push(Deferred {
                        path,
                        since: now,
                        open,
                    }),
                }
            }
        }
        if self.recheck.as_ref().is_some_and(|(_, w)| w.is_empty()) {
            self.recheck = None;
        }
        if applied.is_empty() {
            tracing::debug!(
                "{} path(s) changed on disk, no tracked content changed",
                paths.len()
            );
            // What the plugins said hearing of them goes out all the same: i18next-hmr's
            // `handleHotUpdate` forwards a `public/locales` file's edit as a custom event, and
            // a plugin may ask for a reload for a file no module reads.
            let events = std::mem::take(&mut applied.plugin_events);
            self.send_plugin_events(events);
            if applied.reload_requested {
                self.update(Cause::Reload, Instant::now(), Vec::new());
            }
            return;
        }
        // Before this batch's update, as plugins expect (plugin-vue's `file-changed`).
        let events = std::mem::take(&mut applied.plugin_events);
        self.send_plugin_events(events);
        let files = applied.saved_names();
        // The log names the files saved, as the user knows them: not the modules they changed
        // (a `.vue` file's style and custom-block modules, or the virtual module a plugin
        // makes of a locale file), and files no module reads that came or went (a new icon a
        // plugin reads) too.
        // A path that is gone is named only when a module was made of it (a deleted module),
        // not an atomic save's temporary file renamed over the one saved; a directory that
        // came is not a file saved (its files are named).
        let root = self.host.root();
        let mut named: Vec<String> = Vec::with_capacity(paths.len());
        for path in &paths {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned();
            // (A file outside the root, in a linked package, is the module `/@fs/<path>`.)
            let id = crate::files::module_id(root, path);
            let module_file =
                |f: &String| f.split(['?', '#']).next() == Some(id.trim_start_matches('/'));
            // A tool's dot-directory (TanStack Router's `.tanstack/tmp`, where it writes
            // `routeTree.gen.ts` before renaming it) or what is in it, no module read: the
            // user did not save it. (A `.env` file is a file, named as the config it is.)
            // (Under the root only: a linked package's path may run through one of its own.)
            let in_dot_dir = path.strip_prefix(root).is_ok_and(|rel| {
                let dirs = if path.is_dir() {
                    Some(rel)
                } else {
                    rel.parent()
                };
                dirs.is_some_and(|dirs| {
                    dirs.components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
                })
            });
            let unsaved = in_dot_dir && !files.iter().any(module_file);
            if (path.is_file() || files.iter().any(module_file))
                && !unsaved
                && !named.contains(&shown)
            {
                named.push(shown);
            }
        }
        if named.is_empty() {
            // The modules, named as their files are (a directory moved away: the files in
            // it; one outside the root by its path, not as `@fs/<path>`).
            let fs = crate::files::FS_PREFIX.trim_start_matches('/');
            named = files
                .iter()
                .map(|f| match f.strip_prefix(fs) {
                    Some(path) if path.starts_with('/') => path.to_owned(),
                    _ => f.clone(),
                })
                .collect();
        }
        if named.is_empty() {
            // No file and no module (a directory that came or went, which moved the
            // resolution): the paths as they came; an empty `change: ` line said nothing.
            named = paths
                .iter()
                .map(|path| path.strip_prefix(root).unwrap_or(path))
                .map(|path| path.to_string_lossy().into_owned())
                .collect();
        }
        self.telemetry(EngineEvent::ChangeDetected { files: named });
        self.invalidated.clear();
        self.saved_nothing = !applied.html_changed
            && applied.config_changed.is_empty()
            && applied
                .changed_files
                .iter()
                .all(|id| applied.retried.contains(id));
        let reload_moot = self.update(
            Cause::Edit { files: &files },
            batch.first_event_at,
            vec![(Phase::Coalesce, coalesce), (Phase::Read, read)],
        );
        self.saved_nothing = false;
        // A plugin asked for a reload with this edit: one, with the edit's modules compiled.
        if applied.reload_requested && !reload_moot {
            self.update(Cause::Reload, Instant::now(), Vec::new());
        }
    }

    /// Builds, plans and sends one update: the one path for a batch of edits, an
    /// `invalidate()` and a requested reload. `phases` holds what the cause cost before the
    /// build (coalescing and reading a batch). True when a reload right after it would be moot:
    /// it reloaded every page, or it left errors (the pages keep their last good state and
    /// show them; the fix's update reloads them).
    fn update(
        &mut self,
        cause: Cause<'_>,
        started: Instant,
        phases: Vec<(Phase, Duration)>,
    ) -> bool {
        self.update_for(cause, None, started, phases)
    }

    /// `update`, its frame for the page `only` (a `Cause::Resend` to the page that loaded a
    /// chunk older than some edits) or for the pages that need it (`PreparedUpdate::for_chunks`).
    fn update_for(
        &mut self,
        cause: Cause<'_>,
        only: Option<ClientId>,
        started: Instant,
        mut phases: Vec<(Phase, Duration)>,
    ) -> bool {
        let update = update::prepare(&mut self.host, cause, self.revision);
        if self.host.plugins_stopped() {
            // Ctrl-C while the plugins worked on it: their requests ended with "the dev server
            // is shutting down", which no page should show as its code's error.
            tracing::debug!("update abandoned: the dev server is shutting down");
            return true;
        }
        // Before the pages hear of it: a plugin asked about the graph after the update sees it.
        self.host
            .tell_plugins_graph(&self.graph.graph, &update.build.graph.graph);
        let reload_moot = match update.outcome {
            UpdateOutcome::FullReload { .. } => {
                update.frame.is_some() && only.is_none() && update.for_chunks.is_none()
            }
            UpdateOutcome::Errors { .. } => true,
            _ => false,
        };
        if let Cause::Edit { files } = cause {
            // (The app's server restarts for a package change too: Node loads its packages.)
            let restart = update
                .build
                .config_changed
                .as_deref()
                .or(update.build.packages_changed.as_deref());
            self.update_server(files, restart, Some(started));
        }
        let errors = self.with_server_diagnostics(&update.build.diagnostics);
        let errors_changed = !Arc::ptr_eq(&errors, &self.errors) && self.errors[..] != errors[..];
        self.hold_or_send_errors(&errors, matches!(cause, Cause::Edit { .. }));
        // Code that changed but that no page was sent (what the plugins' hot update said
        // they handled, or left out) is what a page that loads from now on runs; so are new
        // errors (the snapshot carries them). With a frame, the snapshot is published below.
        let unsent_code = !update.build.changed.is_empty();
        if (errors_changed || unsent_code) && update.frame.is_none() {
            self.publish();
        }
        phases.extend(update.phases.iter().copied());
        let published = update.frame.is_some() || errors_changed || unsent_code;
        let mut sent_to = self.publishers.updates.receiver_count();
        let sent = update.frame.as_ref().map(|(revision, _)| *revision);
        if let Some((revision, frame)) = update.frame {
            self.revision = revision;
            let send_start = Instant::now();
            let clients: Option<Arc<[ClientId]>> = match (only, &update.for_chunks) {
                (Some(client), _) => Some(Arc::from([client])),
                (None, Some(chunks)) => Some(self.clients_with(chunks)),
                (None, None) => None,
            };
            let frame = match clients {
                Some(clients) => {
                    sent_to = clients.len();
                    Frame::only(frame, revision, clients)
                }
                None => Frame::everyone(frame),
            };
            // With the snapshot: a page that loaded an older chunk catches up from there.
            self.recent = self.recent.with(revision, frame.clone());
            // A tab that reloads on this frame must get the new snapshot: publish first.
            self.publish();
            let _ = self.publishers.updates.send(frame);
            phases.push((Phase::Send, send_start.elapsed()));
        }
        if !update.lazy_edited.is_empty() {
            // The next page to load their chunk gets the new code from this snapshot on.
            if !published {
                self.publish();
            }
            for id in &update.lazy_edited {
                self.lazy_edits.insert(id.clone(), self.snapshot);
            }
        }
        let build = &update.build;
        if !Arc::ptr_eq(&build.graph, &self.graph) {
            self.graph = build.graph.clone();
            self.send_extra_roots();
            self.telemetry(EngineEvent::GraphChanged(graph_stats(build)));
            self.telemetry(EngineEvent::GraphSnapshot(build.graph.graph.clone()));
        }
        // A build that failed again with the errors the log and the pages already have and
        // sent nothing is no news when nothing the user saved compiled (only the modules a
        // plugin failed on, compiled again with every batch: an atomic save of
        // `public/data.json` in a Solid app) or nobody asked for it: the log printed the same
        // "build failed" line on every unrelated save.
        let failed_again = sent.is_none()
            && !errors_changed
            && self.held_errors.is_none()
            && matches!(update.outcome, UpdateOutcome::Errors { .. })
            && (self.unasked || self.saved_nothing);
        // A compile no change of the user's asked for that changed nothing is no news (the log
        // said "no change" under no change line of its own).
        let unasked_nothing = self.unasked
            && sent.is_none()
            && !errors_changed
            && (matches!(update.outcome, UpdateOutcome::NoChange) || failed_again)
            && !self.host.config_failed();
        if unasked_nothing {
            tracing::debug!(files = ?update.files, "compiled again on the plugins' word: no change");
            self.sample_memory();
            self.warm_up_when_idle();
            self.confirm_in_background();
            return reload_moot;
        }
        let invalidation = invalidation_profile(update.files.clone(), &update.queries);
        let report = UpdateReport {
            number: 0,
            revision: sent,
            files: update.files,
            outcome: match update.outcome {
                // The saved file changed nothing a module reads, as when nothing failed.
                UpdateOutcome::Errors { .. } if failed_again => UpdateOutcome::NoChange,
                // The build's own errors make a build that sent nothing a failed one
                // (`update::prepare`); so does a `vite.config.*` that no longer evaluates (the
                // pages keep the config as it was, and their overlays show why).
                UpdateOutcome::NoChange if self.host.config_failed() => UpdateOutcome::Errors {
                    count: errors.len(),
                },
                outcome => outcome,
            },
            phases,
            server_total: started.elapsed(),
            clients: if sent.is_some() { sent_to } else { 0 },
            invalidation,
            invalidated: match cause {
                Cause::Invalidate {
                    module, message, ..
                } => Some(Invalidated {
                    module: module.to_owned(),
                    message: message.map(str::to_owned),
                }),
                _ => None,
            },
        };
        if let Some(revision) = sent {
            self.remember(revision, started);
        }
        // A build that failed only for errors held back says so once they show: its "build
        // failed" line came before them, or alone when the rename's second save fixed them
        // before the grace ran out.
        self.held_report = None;
        if self.held_errors.is_some() && matches!(report.outcome, UpdateOutcome::Errors { .. }) {
            self.held_report = Some(Box::new(report));
        } else {
            self.report_update(Box::new(report));
        }
        self.sample_memory();
        self.warm_up_when_idle();
        self.confirm_in_background();
        reload_moot
    }

    /// Starts confirming the plugin outputs taken from the compile cache, once a page has
    /// rendered, when some wait and no confirmation runs.
    fn confirm_in_background(&mut self) {
        // What a confirmation found changed (the thread's, or one during the last build or
        // edit) is compiled again first.
        let changed = self.host.take_confirmed_changes();
        if !changed.is_empty() {
            let _ = self.recompile(changed);
        }
        if self.confirming.running || !self.warm_up.page_rendered {
            return;
        }
        let Some(confirmer) = self.host.confirmer() else {
            return;
        };
        let done = self.confirming.done_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("hotloop-plugin-confirm".into())
            .spawn(move || {
                let started = Instant::now();
                confirmer.run();
                tracing::debug!(
                    "confirmed the plugin outputs kept from the last session in {:.0?}",
                    started.elapsed()
                );
                let _ = done.send(());
            });
        self.confirming.running = spawned.is_ok();
    }

    /// Compiles the modules at `paths` again and sends what changed, as for an edit of them.
    /// Compiles `paths` again and sends what changed as an edit would; true when that update
    /// makes a reload moot (see `update`).
    fn recompile(&mut self, paths: Vec<PathBuf>) -> bool {
        let now = Instant::now();
        let applied = self.host.recompile(&paths);
        let files: Vec<String> = applied
            .changed_files
            .iter()
            .map(|id| id.trim_start_matches('/').to_owned())
            .collect();
        if files.is_empty() {
            return false;
        }
        self.invalidated.clear();
        let asked = std::mem::replace(&mut self.unasked, true);
        let reload_moot = self.update(Cause::Edit { files: &files }, now, Vec::new());
        self.unasked = asked;
        reload_moot
    }

    /// Starts the lazy chunks' background compile if a page has rendered, none runs and some
    /// lazy target was never compiled through.
    fn warm_up_when_idle(&mut self) {
        if !self.warm_up.page_rendered || self.warm_up.running.is_some() {
            return;
        }
        let targets: Vec<Arc<str>> = self
            .host
            .pending_lazy_targets()
            .into_iter()
            .filter(|t| !self.warm_up.done.contains(t))
            .collect();
        if targets.is_empty() {
            return;
        }
        let done = self.warm_up.finished_tx.clone();
        match self.host.warm_up_lazy_chunks(&targets, done) {
            Ok(_) => {
                tracing::info!("compiling {} lazy chunks in the background", targets.len());
                self.warm_up.started = Instant::now();
                self.warm_up.running = Some(targets);
            }
            Err(err) => {
                tracing::debug!("cannot start compiling lazy chunks in the background: {err}")
            }
        }
    }

    /// Builds the chunk of one lazy target the warm-up compiled and no page asked for yet, as
    /// a page's request would (the loop calls it when idle, one target per idle moment, so an
    /// edit or a request waits for one such build at most). Skips a target whose modules have
    /// a diagnostic (`EngineHost::clean_lazy_chunk_modules`), and one whose modules would take
    /// the chunks built ahead past their budget (`LazyWarmUp::ahead_modules`).
    fn build_ahead(&mut self) {
        let Some(id) = self.warm_up.ahead.pop_front() else {
            return;
        };
        let Some(adds) = self.host.clean_lazy_chunk_modules(&id) else {
            tracing::debug!("the lazy chunk of {id} is not built ahead: it has errors");
            return;
        };
        if self.warm_up.ahead_modules + adds > self.warm_up.ahead_budget {
            tracing::debug!(
                "the lazy chunk of {id} is not built ahead: its {adds} modules are past the \
                 budget ({} of {} taken)",
                self.warm_up.ahead_modules,
                self.warm_up.ahead_budget
            );
            return;
        }
        self.warm_up.ahead_modules += adds;
        let started = Instant::now();
        if self.host.request_lazy(&id) == LazyRequest::Added {
            self.build_what_a_page_asked_for(started, &format!("the lazy chunk of {id}, ahead"));
        }
    }

    fn on_warm_up_finished(&mut self, finished: bool) {
        let Some(targets) = self.warm_up.running.take() else {
            return;
        };
        if finished {
            self.host.lazy_warm_up_finished();
            tracing::info!(
                "compiled {} lazy chunks in the background in {:?}",
                targets.len(),
                self.warm_up.started.elapsed()
            );
            self.warm_up.ahead.extend(targets.iter().cloned());
            self.warm_up.done.extend(targets);
            let all_done = self
                .host
                .pending_lazy_targets()
                .iter()
                .all(|t| self.warm_up.done.contains(t));
            if all_done && !self.warm_up.pruned {
                self.warm_up.pruned = true;
                self.host.prune_compile_cache();
                self.host.drop_path_caches();
            }
            self.host.release_texts();
            self.release_memory();
        } else {
            tracing::info!(
                "the background compile of {} lazy chunks was cancelled by a change after {:?}; \
                 it goes on when the server is idle",
                targets.len(),
                self.warm_up.started.elapsed()
            );
        }
        // Cancelled by an edit, or new targets since: go on now that the loop is idle.
        self.warm_up_when_idle();
    }

    /// Sends a `Memory` sample (at start, after each update, and when asked): RSS, the
    /// allocator's figures, bytes held, and salsa's memo counts.
    ///
    /// The memo counts come from salsa's `memory_usage`, which walks every memo and, like a
    /// write, needs `&mut` on the database: O(memos), `hotloop profile` measured 1.1 ms at 1k
    /// modules and 89 ms at 10k (release build). So it runs only while the dashboard shows the
    /// Memory tab (`Control::QueryMemory`); otherwise the last counts are repeated.
    fn sample_memory(&mut self) {
        if self.query_memory_wanted {
            self.query_memory = self.host.query_memory();
        }
        let allocator = self.allocator.map(|probe| probe()).unwrap_or_default();
        let held = self.host.held_bytes();
        self.telemetry(EngineEvent::Memory(MemoryStats {
            rss_bytes: memory::rss_bytes(),
            allocator_committed: allocator.committed,
            allocator_peak: allocator.peak,
            queries: self.query_memory.clone(),
            emitted_code_bytes: held.code,
            source_map_bytes: held.maps,
        }));
    }

    fn publish(&mut self) {
        let mut served = self.host.served(&self.server_id, self.revision);
        self.snapshot += 1;
        served.snapshot = self.snapshot;
        served.first_revision = self.first_revision;
        served.recent = self.recent.clone();
        let _ = self.publishers.served.send(Arc::new(served));
        let released = self.host.release_texts();
        if released > 0 {
            tracing::trace!("released {released} bytes of source texts");
        }
    }

    /// Holds `errors` back when they only add errors naming other files (see
    /// [`LINK_ERROR_GRACE`]): from now when `edit` starts the change, else only while an
    /// edit's are held (for the rest of its grace). Otherwise sends them.
    fn hold_or_send_errors(&mut self, errors: &Arc<[Diagnostic]>, edit: bool) {
        if (edit || self.held_errors.is_some()) && only_link_errors_added(&self.errors, errors) {
            let at = self
                .held_errors
                .as_ref()
                .map_or_else(|| Instant::now() + self.link_error_grace, |(at, _)| *at);
            self.held_errors = Some((at, errors.clone()));
        } else {
            self.send_errors(errors);
        }
    }

    /// Sends the difference between the last reported diagnostics and `current`, per file
    /// (which supersedes any held back).
    fn send_errors(&mut self, current: &Arc<[Diagnostic]>) {
        self.held_errors = None;
        if Arc::ptr_eq(current, &self.errors) || self.errors[..] == current[..] {
            return;
        }
        let old = diagnostics_by_file(&self.errors);
        let new = diagnostics_by_file(current);
        let mut cleared: Vec<String> = Vec::new();
        let mut added: Vec<Diagnostic> = Vec::new();
        for (file, diags) in &old {
            if new.get(file) != Some(diags) {
                cleared.push((*file).to_owned());
            }
        }
        for d in current.iter() {
            if old.get(d.file.as_str()) != new.get(d.file.as_str()) {
                added.push(d.clone());
            }
        }
        cleared.sort();
        let frame = protocol::encode(&ServerMessage::Errors {
            revision: self.revision,
            added,
            cleared,
        });
        let _ = self.publishers.updates.send(Frame::everyone(frame));
        self.errors = current.clone();
        self.telemetry(EngineEvent::Diagnostics(current.clone()));
        // The failed build whose errors these are (sent at the grace's end, or by a lazy
        // chunk's build that brought errors of its own) says so after them.
        if let Some(report) = self.held_report.take() {
            self.report_update(report);
        }
    }

    /// When the update that carried `revision` began (its batch's first watcher event), for
    /// the save→applied time of its acks.
    fn remember(&mut self, revision: u32, first_event_at: Instant) {
        self.started.push_back((revision, first_event_at));
        if self.started.len() > REMEMBERED_REVISIONS {
            self.started.pop_front();
        }
    }

    fn on_client(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Connected {
                client_id,
                user_agent,
            } => {
                let agent = user_agent.unwrap_or_default();
                self.clients.insert(client_id, agent.clone());
                self.telemetry(EngineEvent::ClientConnected {
                    client: client_id.0,
                    user_agent: agent,
                });
            }
            ClientEvent::Disconnected { client_id } => {
                self.clients.remove(&client_id);
                self.host.client_gone(client_id);
                if self.open_chunks.remove(&client_id).is_some() {
                    self.count_open_chunks();
                }
                self.telemetry(EngineEvent::ClientDisconnected {
                    client: client_id.0,
                });
            }
            ClientEvent::LazyChunkRequested { id } => self.on_lazy_request(&id),
            ClientEvent::PageOpened { id } => self.on_page_opened(&id),
            ClientEvent::WorkerRequested { id } => self.on_worker_requested(&id),
            // Only the first build's wait for a render looks at them.
            ClientEvent::PageRequested | ClientEvent::BuildAwaited => {}
            ClientEvent::Message { client_id, message } => match message {
                ClientMessage::Ack {
                    revision,
                    ok,
                    apply_ms,
                    ..
                } if client_id == ClientId::SERVER_PROCESS => {
                    self.on_server_applied(revision, ok, apply_ms);
                }
                ClientMessage::Ack {
                    revision,
                    ok,
                    apply_ms,
                    error,
                } => {
                    let end_to_end = self
                        .started
                        .iter()
                        .find(|(r, _)| *r == revision)
                        .map(|(_, t)| t.elapsed());
                    self.telemetry(EngineEvent::Applied {
                        client: client_id.0,
                        revision,
                        ok,
                        apply: Duration::from_secs_f64(apply_ms.max(0.0) / 1000.0),
                        end_to_end,
                        error,
                    });
                }
                ClientMessage::Invalidate { id, message } => self.on_invalidate(&id, message),
                ClientMessage::Loaded { chunk, snapshot } => {
                    self.on_chunk_loaded(client_id, Arc::from(chunk), snapshot)
                }
                // To the plugins' `server.ws.on` listeners; their answers come back as plugin
                // events (`Control::PluginEvents`).
                ClientMessage::Custom { event, data } => {
                    tracing::debug!("{client_id} sent custom event {event}");
                    self.host.client_event(client_id, &event, &data);
                }
                // Behind a page's first render, compile what its `import()`s may ask for. Not
                // at its connect: its entries ran then, but the framework's render they
                // scheduled had not, and the warm-up took a core from it.
                ClientMessage::Rendered => {
                    if !self.warm_up.page_rendered {
                        self.warm_up.page_rendered = true;
                        self.host.page_rendered();
                        self.warm_up_when_idle();
                        self.confirm_in_background();
                    }
                }
            },
        }
    }

    /// A page loaded the lazy chunk of `chunk` from snapshot `snapshot`: its modules get
    /// updates from now on, and those edited after that snapshot (held back, or sent only to
    /// the pages that had them, or sent while this page's request was on its way) are sent to
    /// it now, then `ChunkSynced` (the page evaluates nothing of the chunk before it). Said
    /// again after a reconnect, with the chunk's first snapshot: a page that already has later
    /// edits is then sent them once more (a redundant hot update).
    fn on_chunk_loaded(&mut self, client: ClientId, chunk: Arc<str>, snapshot: u32) {
        self.open_chunks
            .entry(client)
            .or_default()
            .insert(chunk.clone(), snapshot);
        self.count_open_chunks();
        let modules = self.host.lazy_chunk_modules(&chunk);
        let stale: Vec<Arc<str>> = modules
            .iter()
            .filter(|id| self.lazy_edits.get(*id).is_some_and(|&at| at > snapshot))
            .cloned()
            .collect();
        self.telemetry(EngineEvent::ChunkLoaded {
            client: client.0,
            chunk: chunk.clone(),
            modules: modules.into(),
        });
        if !stale.is_empty() {
            tracing::debug!("{client} loaded {chunk} before edits to {stale:?}: sending them");
            self.update_for(
                Cause::Resend { modules: &stale },
                Some(client),
                Instant::now(),
                Vec::new(),
            );
        }
        // The page holds the `import()` until it hears this (after the edits, if any).
        let synced = protocol::encode(&ServerMessage::ChunkSynced {
            chunk: chunk.to_string(),
        });
        let _ = self
            .publishers
            .updates
            .send(Frame::to(synced, Arc::from([client])));
    }

    /// The pages that loaded one of `chunks`.
    fn clients_with(&self, chunks: &[Arc<str>]) -> Arc<[ClientId]> {
        let mut clients: Vec<ClientId> = self
            .open_chunks
            .iter()
            .filter(|(_, open)| chunks.iter().any(|c| open.contains_key(c)))
            .map(|(&client, _)| client)
            .collect();
        clients.sort();
        clients.into()
    }

    fn count_open_chunks(&mut self) {
        let open = self
            .open_chunks
            .values()
            .flat_map(|chunks| chunks.keys().cloned())
            .collect();
        self.host.set_open_chunks(open);
    }

    /// A page asked for the lazy chunk of `id` (see `queries::graph`): compile its modules,
    /// then publish a snapshot that serves it, at the same revision (no page needs anything
    /// else: the new modules are the only ones the build reports). A request for a chunk that
    /// is ready, or for no `import()` target, republishes so that the waiting request sees
    /// the current state.
    fn on_lazy_request(&mut self, id: &str) {
        let started = Instant::now();
        if self.host.request_lazy(id) != LazyRequest::Added {
            self.publish();
            return;
        }
        self.build_what_a_page_asked_for(started, &format!("the lazy chunk of {id}"));
    }

    /// A browser asked for the project's HTML page `id` other than `index.html` (a multi-page
    /// app's): its stylesheets and entries are compiled, and the snapshot serves it.
    fn on_page_opened(&mut self, id: &str) {
        let started = Instant::now();
        if self.host.open_page(id) != PageOpen::Added {
            self.publish();
            return;
        }
        tracing::info!("{id}: another page of the app, opened");
        self.build_what_a_page_asked_for(started, &format!("the page {id}"));
    }

    fn on_worker_requested(&mut self, id: &str) {
        let started = Instant::now();
        if !self.host.open_worker(id) {
            self.publish();
            return;
        }
        tracing::info!("{id}: asked for as a worker by its URL");
        self.build_what_a_page_asked_for(started, &format!("the worker {id}"));
    }

    /// The build after a lazy chunk's request or a page's opening: only new modules, which no
    /// page has, so there is nothing to plan; their errors go out, and the snapshot serves them.
    fn build_what_a_page_asked_for(&mut self, started: Instant, what: &str) {
        let build = self.host.build();
        let built = started.elapsed();
        let errors = self.with_server_diagnostics(&build.diagnostics);
        // (Errors an edit holds back stay held: the new page of a rename is compiled ahead
        // while the routes module still names the old one.)
        self.hold_or_send_errors(&errors, false);
        self.publish();
        tracing::debug!(
            "compiled {what} ({} modules new) in {:?} (the build {built:?})",
            build.changed.len(),
            started.elapsed()
        );
        self.host
            .tell_plugins_graph(&self.graph.graph, &build.graph.graph);
        if !Arc::ptr_eq(&build.graph, &self.graph) {
            self.graph = build.graph.clone();
            self.send_extra_roots();
            self.telemetry(EngineEvent::GraphChanged(graph_stats(&build)));
            self.telemetry(EngineEvent::GraphSnapshot(build.graph.graph.clone()));
        }
        self.release_memory();
        self.sample_memory();
        self.warm_up_when_idle();
        self.confirm_in_background();
    }

    fn on_invalidate(&mut self, id: &str, message: Option<String>) {
        // The update's line says it with its reason, as Vite's `hmr invalidate` line does
        // (`UpdateReport::invalidated`): why an edit of a component's file re-ran its importers
        // (React Refresh's "Could not Fast Refresh (new export …)").
        tracing::debug!(
            "{id} invalidated itself{}",
            message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        let already = std::mem::take(&mut self.invalidated);
        self.update(
            Cause::Invalidate {
                module: id,
                already: &already,
                message: message.as_deref(),
            },
            Instant::now(),
            Vec::new(),
        );
        self.invalidated = already;
        self.invalidated.push(Arc::from(id));
    }
}

fn diagnostics_by_file(diagnostics: &[Diagnostic]) -> FxHashMap<&str, Vec<&Diagnostic>> {
    let mut map: FxHashMap<&str, Vec<&Diagnostic>> = FxHashMap::default();
    for d in diagnostics {
        map.entry(d.file.as_str()).or_default().push(d);
    }
    map
}

/// Names what re-ran and what was reused, by query and file.
pub fn invalidation_profile(changed_inputs: Vec<String>, runs: &[QueryRun]) -> InvalidationProfile {
    let of_kind = |kind: QueryEventKind| {
        runs.iter()
            .filter(|run| run.kind == kind)
            .map(|run| (run.query.to_string(), run.module.clone()))
            .collect()
    };
    InvalidationProfile {
        changed_inputs,
        executed: of_kind(QueryEventKind::Executed),
        reused: of_kind(QueryEventKind::Reused),
    }
}

/// Counts for the overview.
pub fn graph_stats(build: &BuildResult) -> GraphStats {
    let graph = &build.graph.graph;
    let mut stats = GraphStats {
        modules: graph.len(),
        edges: graph.edge_count(),
        ..GraphStats::default()
    };
    for module in &graph.modules {
        if module.self_accepts || !module.accepted_deps.is_empty() {
            stats.boundaries += 1;
        }
        match module.kind {
            ModuleKind::Css => stats.css += 1,
            ModuleKind::Asset => stats.assets += 1,
            ModuleKind::Js | ModuleKind::Json => {}
        }
        // (A workspace's packages are hoisted above the root: `/@fs/<ws>/node_modules/…`.)
        if module.id.contains("/node_modules/") {
            stats.node_modules += 1;
        }
    }
    stats
}

/// Whether going from the diagnostics `sent` to `current` only adds diagnostics that name
/// another file (`DiagnosticKind::Resolve`): no file's are all gone (a fix goes out at once),
/// and every file whose diagnostics change has only that kind in `current`.
fn only_link_errors_added(sent: &[Diagnostic], current: &[Diagnostic]) -> bool {
    if sent == current {
        return false;
    }
    let old = diagnostics_by_file(sent);
    let new = diagnostics_by_file(current);
    old.keys().all(|file| new.contains_key(file))
        && new.iter().all(|(file, diags)| {
            old.get(file) == Some(diags)
                || diags
                    .iter()
                    .all(|d| d.kind == hotloop_protocol::DiagnosticKind::Resolve)
        })
}

mod app_server;
mod first_render;
pub use first_render::{FirstRender, FirstRenderWait, wait_for_first_render};
#[cfg(test)]
mod tests;

pub use app_server::ServerOutput;
