//! `EngineHost`: the engine's one handle on the salsa database, owned by the engine thread
//! (rust-analyzer's `AnalysisHost`). Every other part of the engine is reached through it:
//!
//! - [`change`]: applying a batch of changed paths to the inputs (the only file reads besides
//!   resolution; an input is set only when its bytes differ);
//! - [`build`]: bringing the compiled state up to date, incrementally;
//! - [`publish`]: assembling the `Served` snapshot the server reads.
//!
//! The database never leaves this module's type: callers get plain data (`BuildResult`,
//! `ModuleGraph`, `Served`, protocol messages).

mod build;
mod change;
mod held_removals;
mod last_session;
mod link_errors;
mod node_maps;
mod observe;
mod pages;
mod plugin_graph;
mod publish;
mod server;
mod stylesheets;
mod workers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use salsa::Durability;

use crate::cache::CompileCache;
use crate::db::{Db as _, EngineDb};
use crate::environment::EnvIndex;
use crate::graph::ModuleIndex;
use crate::inputs::{Project, ProjectOptions, SourceFile};
use crate::queries::emit::{ModuleDep, emitted_module, module_deps};
use crate::queries::graph::ProjectGraph;
use crate::queries::resolve::{Resolution, resolved_imports};
use crate::resolver::ResolveSettings;
use crate::transform::ImportKind;
use hotloop_protocol::ClientId;
use hotloop_protocol::Diagnostic;
use hotloop_protocol::plugin::{CustomEvent, Plugins};
use salsa::Setter as _;

pub use build::BuildResult;
pub use change::AppliedChanges;
pub use observe::{QueryRun, TraceSpan};
pub use pages::PageOpen;
pub use publish::HeldBytes;
pub use server::ServerBuild;
pub(crate) use stylesheets::linked_roots;

use crate::queries::emit::static_dep_count;
use build::BuildState;
use hotloop_protocol::ModuleCode;

/// Why an `EngineHost` could not be created.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("project root {} does not exist", path.display())]
    RootNotFound { path: PathBuf },
    #[error("project root {} is not a directory", path.display())]
    RootNotADirectory { path: PathBuf },
    #[error("cannot read project root {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The engine for one project root.
pub struct EngineHost {
    db: EngineDb,
    project: Project,
    root: PathBuf,
    epoch: u64,
    /// The batch being applied changed what a package's imports resolve to (a file in
    /// `node_modules` came or went, a config file changed): its epoch move is
    /// `Project::package_epoch`'s too.
    packages_moved: bool,
    pending: Pending,
    /// Existing paths the watcher reported that no query has referenced: a second event for
    /// one of them is an edit, not a creation, and does not move the resolution epoch.
    seen: FxHashSet<PathBuf>,
    /// Paths the watcher saw modified (not created) in the batch being applied
    /// (`EngineHost::note_modified`): a file no module reads, edited for the first time, is a
    /// change to the plugins, not a new file.
    modified: FxHashSet<PathBuf>,
    /// Hashes of config files (`package.json`, ...) that are not inputs, to tell real changes.
    config_hashes: FxHashMap<PathBuf, u64>,
    state: Option<BuildState>,
    /// The stylesheet texts of the last published snapshot: what CSS patches are computed
    /// from (see `stylesheets.rs`).
    published_sheets: stylesheets::PublishedSheets,
    /// The server graph's build (server-side HMR); `None` before its first build.
    server: Option<server::ServerState>,
    /// What changed since the last server build (`build` hands its pending files on; a moved
    /// resolution epoch or a changed config file is `epoch_moved`).
    server_pending: Pending,
    /// Set during `apply_watched_changes`: a file that turned empty is deferred, not set.
    defer_emptied: bool,
    /// The project's `vite.config.*` and how to evaluate it again (see `watch_vite_config`).
    vite_config: Option<(PathBuf, ReloadConfig)>,
    /// The local files the config imports: a change to one is a change of the config.
    vite_config_files: Vec<PathBuf>,
    /// Why the config could not be evaluated the last time it changed: shown with the build's
    /// diagnostics until a change evaluates.
    config_error: Option<Diagnostic>,
    /// What the app's server process last reported failing (server-side HMR), shown with the
    /// build's diagnostics until the dev loop clears it.
    server_failure: Option<Diagnostic>,
    /// The lazy chunks (by `import()` target) that open pages have loaded, as the dev loop
    /// counts them; `None`: every module counts as loaded (`hotloop profile`, tests).
    open_chunks: Option<FxHashSet<Arc<str>>>,
    /// The page of the last session (`last_session.rs`).
    last_page: last_session::LastPage,
    /// The last batch's `AppliedChanges::left_out`, which its update leaves out.
    left_out: FxHashSet<Arc<str>>,
    /// Modules whose new code an update left out (`left_out`) and no update sent since.
    unsent: FxHashSet<Arc<str>>,
    /// Of those, the ones a plugin updated itself since (`server.reloadModule` after the
    /// edit's batch): the next edit's update sends them, changed or not.
    resend: Vec<Arc<str>>,
    /// Query sub-modules a plugin reloaded before the watcher told of their file's edit
    /// (`recompile_into`), by file: they compile with that edit's batch, after its plugins'
    /// hot update, and update though its answer leaves them out.
    reloaded_ahead: FxHashMap<PathBuf, Vec<Arc<str>>>,
    /// Edited modules not sent while they take part in an import of a missing export
    /// (`link_errors`).
    withheld: Vec<Arc<str>>,
    /// Modules gone from the graph that the page keeps while an importer fails
    /// (`held_removals`).
    held_removals: Vec<held_removals::HeldRemoval>,
    /// The server graph's modules not sent to the app's server while their new code waits
    /// (`EngineHost::server_waits`), by id.
    server_withheld: Vec<Arc<str>>,
    /// The revision whose page was recorded last (`record_page`), or found current.
    recorded_revision: Option<u32>,
    /// The `import()` targets the background warm-up compiled through, and the files'
    /// revision it started at (`warm_up_lazy_chunks`; see [`LazyWarmth`]).
    lazy_warmth: LazyWarmth,
}

/// What the background warm-up of lazy chunks left compiled. A request for one of its targets
/// while no file has changed since it started needs no parallel pre-pass
/// (`warm_up::warm_up_lazy`): every query its build asks for is memoized, and valid by
/// durability (`files::durability_for`). Only speed depends on it: a query that is not
/// memoized after all is computed by the build when it asks.
#[derive(Debug, Default)]
struct LazyWarmth {
    /// The warm-up running: its targets, and the files' revision when it started.
    running: Option<(salsa::Revision, Vec<SourceFile>)>,
    /// The files' revision all of `targets` were compiled at, once a warm-up finished.
    at: Option<salsa::Revision>,
    targets: FxHashSet<SourceFile>,
}

/// Evaluates the project's `vite.config.*` again (with its plugins) and returns the project
/// options it makes, or the error to show (file, line, what to do).
pub type ReloadConfig = Box<dyn FnMut() -> Result<ReloadedConfig, String> + Send>;

/// What evaluating the `vite.config` again made: the project's options, and the local files it
/// imports now (watched with it: an edit of one evaluates it again).
#[derive(Clone, Debug)]
pub struct ReloadedConfig {
    pub options: ProjectOptions,
    pub files: Vec<PathBuf>,
}

#[derive(Default)]
struct Pending {
    dirty: Vec<SourceFile>,
    dirty_set: FxHashSet<SourceFile>,
    epoch_moved: bool,
    html_changed: bool,
    /// The first config file (`tsconfig.json`, a `.env` file, the vite.config) that changed.
    config_changed: Option<Arc<str>>,
    /// The first `package.json` or install marker that changed (`BuildResult::packages_changed`).
    packages_changed: Option<Arc<str>>,
    /// `import()` targets a page asked for since the last build (`request_lazy`).
    lazy_added: Vec<SourceFile>,
    /// A browser opened another page (`open_page`).
    pages_changed: bool,
}

impl Pending {
    fn mark(&mut self, file: SourceFile) {
        if self.dirty_set.insert(file) {
            self.dirty.push(file);
        }
    }
}

impl EngineHost {
    /// A host for the project at `root` (made canonical). Reads `index.html` if present;
    /// nothing is compiled until `build`.
    pub fn new(root: &Path, options: ProjectOptions) -> Result<EngineHost, HostError> {
        let root = match std::fs::canonicalize(root) {
            Ok(root) => root,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(HostError::RootNotFound {
                    path: root.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(HostError::Io {
                    path: root.to_path_buf(),
                    source,
                });
            }
        };
        if !root.is_dir() {
            return Err(HostError::RootNotADirectory { path: root });
        }
        let mut db = EngineDb::new(root.clone());
        if options.resolve != ResolveSettings::default() {
            db.reconfigure_resolvers(&root, &options.resolve);
        }
        let index_html = db.files().get_or_read(&db, &root.join("index.html"));
        let project = Project::builder(
            root.clone(),
            index_html,
            0,
            0,
            options,
            0,
            Arc::from([]),
            Arc::from([]),
            Arc::from([]),
            Arc::from([]),
        )
        .durability(Durability::HIGH)
        .lazy_roots_durability(Durability::LOW)
        .pages_durability(Durability::LOW)
        .workers_durability(Durability::LOW)
        .url_scripts_durability(Durability::LOW)
        .new(&db);
        Ok(EngineHost {
            db,
            project,
            root,
            epoch: 0,
            packages_moved: false,
            pending: Pending::default(),
            server_pending: Pending::default(),
            seen: FxHashSet::default(),
            modified: FxHashSet::default(),
            config_hashes: FxHashMap::default(),
            state: None,
            published_sheets: stylesheets::PublishedSheets::default(),
            server: None,
            defer_emptied: false,
            vite_config: None,
            vite_config_files: Vec::new(),
            config_error: None,
            server_failure: None,
            open_chunks: None,
            lazy_warmth: LazyWarmth::default(),
            last_page: Default::default(),
            recorded_revision: None,
            left_out: FxHashSet::default(),
            unsent: FxHashSet::default(),
            resend: Vec::new(),
            reloaded_ahead: FxHashMap::default(),
            withheld: Vec::new(),
            held_removals: Vec::new(),
            server_withheld: Vec::new(),
        })
    }

    /// Compiles scripts through the persistent `cache` (see [`crate::cache`]). Call before the
    /// first build.
    pub fn use_compile_cache(&mut self, cache: CompileCache) {
        self.db.set_compile_cache(cache);
    }

    /// Runs the project's Vite plugins (see `hotloop_protocol::plugin`) from now on. Call
    /// before the first build; `fingerprint` is what their answers depend on besides a
    /// module's text (the config, the plugin packages' versions).
    pub fn use_plugins(&mut self, plugins: Arc<dyn Plugins>) {
        let fingerprint = plugins.fingerprint();
        self.db.set_plugins(plugins);
        let mut options = self.project.options(&self.db).clone();
        options.plugins_fingerprint = fingerprint;
        self.project.set_options(&mut self.db).to(options);
        self.move_epoch();
    }

    /// The modules plugins updated themselves (`Plugins::take_invalidated`), as module paths
    /// to compile again.
    pub fn take_plugin_invalidations(&self) -> Vec<PathBuf> {
        let Some(plugins) = self.db.plugins() else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = plugins
            .take_invalidated()
            .iter()
            .map(|id| crate::files::path_of_plugin_id(&self.root, id))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// A page's `import.meta.hot.send(event, data)`, for the plugins' `server.ws.on`.
    pub fn client_event(&self, client: ClientId, event: &str, data: &str) {
        if let Some(plugins) = self.db.plugins() {
            plugins.client_event(client, event, data);
        }
    }

    /// A page rendered for the first time since the start: the plugins' idle work may begin.
    pub fn page_rendered(&self) {
        if let Some(plugins) = self.db.plugins() {
            plugins.page_rendered();
        }
    }

    /// A page disconnected, for the plugins' `server.ws.clients`.
    pub fn client_gone(&self, client: ClientId) {
        if let Some(plugins) = self.db.plugins() {
            plugins.client_gone(client);
        }
    }

    /// Whether the plugins were stopped: the dev server is shutting down (`Plugins::stopped`).
    pub fn plugins_stopped(&self) -> bool {
        self.db.plugins().is_some_and(|plugins| plugins.stopped())
    }

    /// Whether a plugin asked the pages to reload and no edit took the request yet
    /// (`Plugins::take_reload_requested`).
    pub fn take_plugin_reload(&self) -> bool {
        self.db
            .plugins()
            .is_some_and(|plugins| plugins.take_reload_requested())
    }

    /// The custom events the plugins sent to the pages (`server.ws.send`) that no edit has
    /// taken yet: sent on their own (from a timer, a middleware), in order.
    pub fn take_plugin_events(&self) -> Vec<CustomEvent> {
        self.db
            .plugins()
            .map(|plugins| plugins.take_custom_events())
            .unwrap_or_default()
    }

    /// Watches the project's `vite.config.*` at `path` and the local `files` it imports: when
    /// one changes, `reload` evaluates it again; the options it returns replace the project's
    /// (every module is looked at again, and the planner reloads the pages naming the config);
    /// an error is shown as a diagnostic of the config until a later change evaluates.
    pub fn watch_vite_config(&mut self, path: PathBuf, files: Vec<PathBuf>, reload: ReloadConfig) {
        self.vite_config = Some((path, reload));
        self.vite_config_files = files;
    }

    /// Whether `path` is the `vite.config` or a local file it imports.
    fn is_vite_config(&self, path: &Path) -> bool {
        self.vite_config.as_ref().is_some_and(|(p, _)| p == path)
            || self.vite_config_files.iter().any(|f| f == path)
    }

    /// The canonical project root (watch this path).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The database, for the engine's own code and tests; hosts get plain data instead.
    pub(crate) fn db(&self) -> &EngineDb {
        &self.db
    }

    /// The project input, for tests that demand queries themselves.
    #[cfg(test)]
    pub(crate) fn project(&self) -> Project {
        self.project
    }

    /// The chunk layout of the last build.
    #[cfg(test)]
    pub(crate) fn chunk_layout(&self) -> Arc<crate::queries::chunks::ChunkLayout> {
        self.state
            .as_ref()
            .map(|s| s.chunk.clone())
            .unwrap_or_default()
    }

    /// The input of a path the engine knows (referenced by some query or the HTML).
    #[cfg(test)]
    pub(crate) fn file(&self, path: &Path) -> Option<SourceFile> {
        self.db.files().get(path)
    }

    /// The graph of the last build.
    pub fn graph(&self) -> Option<&Arc<ProjectGraph>> {
        self.state.as_ref().map(|s| &s.graph)
    }

    /// Every diagnostic of the last build.
    pub fn diagnostics(&self) -> Arc<[Diagnostic]> {
        self.state.as_ref().map_or_else(
            || Arc::new([]) as Arc<[Diagnostic]>,
            |s| s.diagnostics.clone(),
        )
    }

    /// The current resolution epoch.
    pub fn resolution_epoch(&self) -> u64 {
        self.epoch
    }
}

/// What [`EngineHost::request_lazy`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazyRequest {
    /// No `import()` of the page's graph targets that module: nothing to compile.
    Unknown,
    /// Its chunk is in the graph already (the last snapshot serves it).
    Ready,
    /// Added to the graph: the next `build` compiles its modules (and only those).
    Added,
}

impl EngineHost {
    /// A page asked for the lazy chunk of the `import()` target `id` (see
    /// `queries::graph`): from the next `build` on, the graph goes on through its static
    /// imports. Call between builds (the dev loop builds every batch at once), then `build`:
    /// the modules that build reports as changed are only the new ones, which no page has,
    /// so there is nothing to plan.
    pub fn request_lazy(&mut self, id: &str) -> LazyRequest {
        let Some(state) = &self.state else {
            return LazyRequest::Unknown;
        };
        let file = match state.graph.lazy_target(id) {
            Some(target) if target.index.is_some() => return LazyRequest::Ready,
            Some(target) => target.file,
            // A module the page has: no chunk of its own, nothing to compile.
            None if state.graph.index_of(id).is_some() => return LazyRequest::Unknown,
            None => match self.url_script(id) {
                Some(file) => file,
                None => return LazyRequest::Unknown,
            },
        };
        let roots = self.project.lazy_roots(&self.db);
        if !roots.contains(&file) {
            let roots: Arc<[SourceFile]> = roots.iter().copied().chain([file]).collect();
            self.project
                .set_lazy_roots(&mut self.db)
                .with_durability(Durability::LOW)
                .to(roots);
        }
        if !self.pending.lazy_added.contains(&file) {
            self.pending.lazy_added.push(file);
        }
        LazyRequest::Added
    }

    /// The lazy chunks (by their `import()` target's id) that the open pages have loaded: from
    /// now on an edit to a module only other lazy chunks hold is not planned (see
    /// [`EngineHost::lazy_holders`]).
    pub fn set_open_chunks(&mut self, chunks: FxHashSet<Arc<str>>) {
        self.open_chunks = Some(chunks);
    }

    /// Which pages need an edit of module `m` of the last build. `None`: any page may hold it
    /// (the page's own modules, a worker's, or anything while `set_open_chunks` was never
    /// called). Otherwise only lazy chunks hold it, and these are the roots of those an open
    /// page loaded: the pages that loaded one of them get the update (`update::prepare`'s
    /// `for_chunks`); none: no open page has it, its edit is held back and a page gets the new
    /// code with the chunk.
    pub fn lazy_holders(&self, m: ModuleIndex) -> Option<Vec<Arc<str>>> {
        let (Some(open), Some(state)) = (&self.open_chunks, &self.state) else {
            return None;
        };
        let module = state.graph.graph.module(m);
        if module.loaded || module.environments.iter().any(|e| e != EnvIndex::PAGE) {
            return None;
        }
        let mut in_lazy = false;
        let mut loaded = Vec::new();
        for chunk in state.chunk.lazy.iter() {
            if chunk.order.contains(&m) {
                in_lazy = true;
                if open.contains(&chunk.root) {
                    loaded.push(chunk.root.clone());
                }
            }
        }
        in_lazy.then_some(loaded)
    }

    /// The modules no open page runs: what [`EngineHost::lazy_holders`] says no open page
    /// holds, all at once (`plan::Changes::not_running`: one pass over the lazy chunks for a
    /// walk that may ask about many modules). Empty while `set_open_chunks` was never called.
    pub fn not_running(&self) -> FxHashSet<ModuleIndex> {
        let (Some(open), Some(state)) = (&self.open_chunks, &self.state) else {
            return FxHashSet::default();
        };
        let mut running = FxHashSet::default();
        let mut closed = FxHashSet::default();
        for chunk in state.chunk.lazy.iter() {
            let set = if open.contains(&chunk.root) {
                &mut running
            } else {
                &mut closed
            };
            set.extend(chunk.order.iter().copied());
        }
        closed.retain(|&m| {
            let module = state.graph.graph.module(m);
            !running.contains(&m)
                && !module.loaded
                && module.environments.iter().all(|e| e == EnvIndex::PAGE)
        });
        closed
    }

    /// The ids of the modules the lazy chunk of `root` defines (empty for no such chunk).
    pub fn lazy_chunk_modules(&self, root: &str) -> Vec<Arc<str>> {
        let Some(state) = &self.state else {
            return Vec::new();
        };
        state
            .chunk
            .lazy
            .iter()
            .find(|c| &*c.root == root)
            .map_or_else(Vec::new, |c| {
                c.order
                    .iter()
                    .map(|&m| state.graph.module(m).id.clone())
                    .collect()
            })
    }

    /// Compiles the lazy chunks of `targets` (from [`EngineHost::pending_lazy_targets`]) and
    /// everything they reach, `import()` included, on a thread of its own (see
    /// `warm_up::warm_up_in_background`); `done` hears whether it finished (false: an input
    /// change cancelled it, which never waits for more than the query it was in). A request
    /// for one of those chunks then finds its modules compiled.
    pub fn warm_up_lazy_chunks(
        &mut self,
        targets: &[Arc<str>],
        done: crossbeam_channel::Sender<bool>,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        let files: Vec<SourceFile> = self.state.as_ref().map_or_else(Vec::new, |state| {
            state
                .graph
                .lazy_targets
                .iter()
                .filter(|t| targets.contains(&t.id))
                .map(|t| t.file)
                .collect()
        });
        self.lazy_warmth.running = Some((self.files_revision(), files.clone()));
        let db = self.db.clone();
        std::thread::Builder::new()
            .name("hotloop-lazy-warm-up".to_string())
            .stack_size(crate::transform::COMPILE_STACK)
            .spawn(move || {
                crate::transform::assume_big_stack();
                let _ = done.send(crate::warm_up::warm_up_in_background(db, files));
            })
    }

    /// The background warm-up started by the last [`EngineHost::warm_up_lazy_chunks`] finished
    /// (`done` heard true): if no file changed since it started, a request for one of its
    /// targets skips the build's parallel pre-pass.
    pub fn lazy_warm_up_finished(&mut self) {
        let Some((started_at, files)) = self.lazy_warmth.running.take() else {
            return;
        };
        if started_at != self.files_revision() {
            return;
        }
        let warmth = &mut self.lazy_warmth;
        if warmth.at != Some(started_at) {
            warmth.targets.clear();
        }
        warmth.at = Some(started_at);
        warmth.targets.extend(files);
    }

    /// Whether the background warm-up compiled what `target` reaches and no file changed
    /// since (see [`LazyWarmth`]).
    pub(super) fn lazy_target_warm(&self, target: SourceFile) -> bool {
        self.lazy_warmth.at == Some(self.files_revision())
            && self.lazy_warmth.targets.contains(&target)
    }

    /// The last revision in which a file (or anything else the compiles read: every input
    /// but the page's requests, which are `LOW`) changed.
    fn files_revision(&self) -> salsa::Revision {
        use salsa::plumbing::ZalsaDatabase as _;
        self.db.zalsa().last_changed_revision(Durability::MEDIUM)
    }

    /// Every lazy chunk is compiled (a warm-up finished): the persistent compile cache keeps
    /// what this session used, the lazy chunks' modules included, and drops the rest.
    pub fn prune_compile_cache(&self) {
        self.db.compile_cache().prune_unused();
    }

    /// Every module the project reaches is compiled (the cold build with no lazy chunk left,
    /// or the background warm-up finished): forgets the paths the resolvers and the tsconfig
    /// finder cached (`oxc_resolver` keeps an entry for every path it looked at: 3–4 MB at 10k
    /// modules). Every input and resolution is a memo by now, so the
    /// caches would only speed up a later lookup: a new import or a created file, which then
    /// reads the directories it needs again (as after a file is created or deleted, when the
    /// resolution epoch moves and the caches are cleared anyway).
    pub fn drop_path_caches(&self) {
        self.db.resolvers().clear_cache();
        self.db.files().tsconfigs().clear_cache();
    }

    /// The build that read them is published: drops the texts of the files read since the
    /// last call (a query that needs one later reads its file again; see `SourceText`).
    /// Returns the bytes dropped. O(files read since).
    pub fn release_texts(&self) -> usize {
        self.db.files().release_texts()
    }

    /// How many modules the lazy chunk of the `import()` target `id` would add to the graph,
    /// when every one of them compiles and resolves without a diagnostic (else, or when `id` is
    /// no lazy target, `None`): read from the memos the background warm-up left (what it did
    /// not compute is computed now). A chunk is built ahead of its request only then
    /// (`DevLoop::build_ahead`): an error in a route no page asked for stays out of the overlay
    /// until one does, as it would without the build ahead. (An import of a name its module
    /// does not export is found by the build, not here.)
    pub fn clean_lazy_chunk_modules(&self, id: &str) -> Option<usize> {
        use crate::queries::diagnostics::module_diagnostics;
        use crate::queries::resolve::{Resolution, resolved_imports};
        use crate::transform::ImportKind;
        let state = self.state.as_ref()?;
        let target = state.graph.lazy_target(id)?;
        let mut seen = FxHashSet::default();
        let mut adds = 0;
        let mut stack = vec![target.file];
        while let Some(file) = stack.pop() {
            if !seen.insert(file) || state.graph.index_of_file(file).is_some() {
                continue;
            }
            if !module_diagnostics(&self.db, file).is_empty() {
                return None;
            }
            adds += 1;
            for import in resolved_imports(&self.db, file).iter() {
                if import.kind != ImportKind::Dynamic
                    && let Resolution::File(next) = import.resolution
                {
                    stack.push(next);
                }
            }
        }
        Some(adds)
    }

    /// The ids of the `import()` targets of the last build that are not compiled yet.
    pub fn pending_lazy_targets(&self) -> Vec<Arc<str>> {
        self.state.as_ref().map_or_else(Vec::new, |state| {
            state
                .graph
                .lazy_targets
                .iter()
                .filter(|t| t.index.is_none())
                .map(|t| t.id.clone())
                .collect()
        })
    }
}

impl EngineHost {
    /// A module's factory code and deps map, for update messages. `None` for an index outside
    /// the last build's graph or a module that does not compile.
    pub fn module_code(&self, index: ModuleIndex) -> Option<ModuleCode> {
        module_code_in(
            &self.db,
            &self.state.as_ref()?.graph,
            index,
            emitted_module,
            module_deps,
        )
    }

    /// The modules the last batch's hot update left out of its answer
    /// (`AppliedChanges::left_out`), which the edit's update does not send. Taken: one update.
    pub fn take_left_out(&mut self) -> FxHashSet<Arc<str>> {
        std::mem::take(&mut self.left_out)
    }

    /// What an update did with the modules that changed: `left_out` ones kept their old code
    /// in the pages, `sent` ones went out (see [`EngineHost::take_resend`]).
    pub fn note_sent(&mut self, left_out: &[Arc<str>], sent: &[Arc<str>]) {
        for id in sent {
            self.unsent.remove(id);
        }
        self.unsent.extend(left_out.iter().cloned());
    }

    /// The modules a plugin updated itself (`server.reloadModule`) whose new code an earlier
    /// update left out: sent with this update, though they did not change since. Taken.
    pub fn take_resend(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.resend)
    }

    /// Whether module `index` of the last build has code to send: a module that stopped
    /// compiling, or one of whose static imports does not resolve (Vite's import analysis
    /// fails its transform) or names a module that never compiled (a plugin's `load` failed
    /// on a new import: unplugin-icons' icon that does not exist), keeps its last good code in
    /// the browser and is not sent; the overlay shows why, and the fix (or the file coming
    /// back) sends it. So does one of the project's whose `import('./x')` does not resolve
    /// (Vite's import analysis fails it too): sent, its new code's import() rejected in the
    /// page, and preact-iso's `lazy()` route kept that rejection: a deleted route file that
    /// came back left the page on its old route, with no message.
    pub fn has_code(&self, index: ModuleIndex) -> bool {
        let Some(state) = self.state.as_ref() else {
            return false;
        };
        let compiled = |file| emitted_module(&self.db, file).is_some();
        state.graph.files.get(index.idx()).is_some_and(|&file| {
            compiled(file)
                && !unresolved_dynamic_import(&self.db, file)
                && module_deps(&self.db, file)
                    .iter()
                    .filter(|dep| dep.is_static)
                    .all(|dep| match &dep.id {
                        None => false,
                        Some(id) => state
                            .graph
                            .graph
                            .index_of(id)
                            .and_then(|dep| state.graph.files.get(dep.idx()))
                            .is_none_or(|&dep| compiled(dep)),
                    })
        })
    }

    /// Whether module `index` compiled but has no code to send because a static import of it
    /// does not compile ([`EngineHost::has_code`]): its new code waits for that import.
    pub fn waits_on_an_import(&self, index: ModuleIndex) -> bool {
        let Some(state) = self.state.as_ref() else {
            return false;
        };
        state
            .graph
            .files
            .get(index.idx())
            .is_some_and(|&file| emitted_module(&self.db, file).is_some())
            && !self.has_code(index)
    }

    /// Whether module `index` compiled but is not sent because a static import of it names a
    /// part of a file that is gone (a `?query` sub-module of a deleted or renamed file, which
    /// no plugin loads: see [`EngineHost::has_code`]). The page still runs its last good code,
    /// whose import of that part the batch that deleted the file removed from the page.
    pub fn imports_a_part_of_a_gone_file(&self, index: ModuleIndex) -> bool {
        let Some(state) = self.state.as_ref() else {
            return false;
        };
        let compiled = |file| emitted_module(&self.db, file).is_some();
        let Some(&file) = state.graph.files.get(index.idx()) else {
            return false;
        };
        compiled(file)
            && module_deps(&self.db, file)
                .iter()
                .filter(|dep| dep.is_static)
                .filter_map(|dep| state.graph.graph.index_of(dep.id.as_ref()?))
                .filter_map(|dep| state.graph.files.get(dep.idx()).copied())
                .any(|dep| {
                    !compiled(dep)
                        && crate::queries::plugin_pass::gone_file_of_part(
                            &self.db,
                            Path::new(&crate::files::plugin_id(&self.root, dep.path(&self.db))),
                        )
                        .is_some()
                })
    }
}

/// Module `index` of `graph` as an update frame carries it: its factory (`code_of`: the
/// page's `emitted_module` or the server's `server_emitted_module`) and the deps map `deps_of`
/// gives it (the page's `module_deps` or the server's `server_module_deps`).
pub(super) fn module_code_in(
    db: &EngineDb,
    graph: &ProjectGraph,
    index: ModuleIndex,
    code_of: fn(&dyn crate::db::Db, SourceFile) -> Option<Arc<str>>,
    deps_of: fn(&dyn crate::db::Db, SourceFile) -> Arc<[ModuleDep]>,
) -> Option<ModuleCode> {
    let file = *graph.files.get(index.idx())?;
    let code = code_of(db, file)?;
    let deps = deps_of(db, file);
    let module = graph.module(index);
    Some(ModuleCode {
        id: module.id.clone(),
        kind: module.kind,
        static_deps: static_dep_count(&deps) as u32,
        deps: deps
            .iter()
            .map(|d| (d.specifier.clone(), d.id.clone()))
            .collect(),
        code,
    })
}

/// Whether one of `file`'s literal `import()`s does not resolve where that is an error (the
/// project's code: a package's optional `import()` is not; `queries/diagnostics.rs`).
fn unresolved_dynamic_import(db: &EngineDb, file: SourceFile) -> bool {
    !crate::inputs::in_node_modules(file.path(db))
        && resolved_imports(db, file).iter().any(|r| {
            r.kind == ImportKind::Dynamic && matches!(r.resolution, Resolution::NotFound { .. })
        })
}
