//! `Compiler`: the host-facing facade over the database, owned by the engine thread. It reads
//! changed files from disk (the only IO besides resolution), sets inputs when bytes differ, and
//! turns the queries' results into what the host needs: the module graph, the modules whose
//! chunk entry changed, the current diagnostics, and `Served` snapshots.
//!
//! The performance invariant lives here: after an edit that leaves every module's resolved
//! imports and hot facts alone (a function body), `build` looks only at the changed files. It
//! keeps the previous graph `Arc` and, per module, the last chunk entry, resolved imports, hot
//! facts and diagnostics, and never demands `module_graph` or `chunk` — deep-validating an
//! aggregate query over N inputs costs O(N) even when nothing changed. Those are demanded only
//! when some changed file's resolved imports or hot facts differ, the resolution epoch moved,
//! or the HTML changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use salsa::{Durability, Setter as _};

use crate::cache::CompileCache;
use crate::db::{Db as _, EngineDb};
use crate::diagnostics::Diagnostic;
use crate::files::{ImportQuery, read_contents};
use crate::graph::{ModuleIndex, ModuleKind};
use crate::inputs::{
    DEFAULT_MODE, FileContents, Project, ProjectOptions, SourceFile, content_hash,
};
use crate::queries::chunks::{ChunkLayout, chunk};
use crate::queries::diagnostics::module_diagnostics;
use crate::queries::emit::{
    ModuleDep, chunk_entry, emitted_module, empty_module_entry, module_deps, push_json_string,
};
use crate::queries::env::{PublicEnv, is_env_file_of, public_env};
use crate::queries::graph::{ProjectGraph, module_graph};
use crate::queries::hot::hot_meta;
use crate::queries::html::{HtmlEntries, entry_html, html_entries};
use crate::queries::parsed::parsed_module;
use crate::queries::resolve::{ResolvedImport, resolved_imports};
use crate::served::{Chunk, Parts, Served, ServedModule, ServedModules, WorkerChunks};
use crate::telemetry::Phase;
use crate::timing::PhaseTimes;
use crate::transform::HotFacts;
use crate::warm_up::warm_up;

/// Why a `Compiler` could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CompilerError {
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

/// What one `apply_changes` call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Module ids of the files whose contents changed (their inputs were set), in batch order.
    pub changed_files: Vec<Arc<str>>,
    /// `index.html` changed.
    pub html_changed: bool,
    /// Module ids of `package.json` / `tsconfig.json` / `jsconfig.json` files that changed.
    pub config_changed: Vec<Arc<str>>,
    /// A file appeared or disappeared, or a config file changed: resolution re-runs.
    pub epoch_moved: bool,
    /// Files that had contents and now read as empty, left as they were
    /// (`apply_watched_changes` only): maybe caught between an editor's truncate and its
    /// write. Re-read them a little later with `apply_changes`, which takes them as they are.
    pub deferred: Vec<PathBuf>,
}

impl Applied {
    /// Nothing the engine tracks changed.
    pub fn is_empty(&self) -> bool {
        self.changed_files.is_empty()
            && !self.html_changed
            && self.config_changed.is_empty()
            && !self.epoch_moved
    }
}

/// The outcome of one `build`.
#[derive(Clone, Debug)]
pub struct BuildResult {
    /// The module graph. The same `Arc` as the previous build's when its structure did not
    /// change.
    pub graph: Arc<ProjectGraph>,
    /// Modules whose chunk entry (code or deps map) changed since the last build, including
    /// new modules; on the first build, every module. Sorted.
    pub changed: Vec<ModuleIndex>,
    /// Ids of modules that left the graph since the last build.
    pub removed: Vec<Arc<str>>,
    /// Every current diagnostic: `index.html` first, then modules in graph order.
    pub diagnostics: Arc<[Diagnostic]>,
    /// The served HTML changed since the last build (never on the first build).
    pub html_changed: bool,
    /// Where the build's time went (exclusive time per phase; see `timing`).
    pub phases: PhaseTimes,
}

/// One module as an update message carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleCode {
    pub id: Arc<str>,
    pub kind: ModuleKind,
    /// The factory expression.
    pub code: Arc<str>,
    /// The deps map (`specifier → id | null`).
    pub deps: Arc<[ModuleDep]>,
}

/// The compiler for one project root.
pub struct Compiler {
    db: EngineDb,
    project: Project,
    root: PathBuf,
    epoch: u64,
    pending: Pending,
    /// Existing paths the watcher reported that no query has referenced: a second event for
    /// one of them is an edit, not a creation, and does not move the resolution epoch.
    seen: FxHashSet<PathBuf>,
    /// Hashes of config files (`package.json`, ...) that are not inputs, to tell real changes.
    config_hashes: FxHashMap<PathBuf, u64>,
    state: Option<BuildState>,
    /// Set during `apply_watched_changes`: a file that turned empty is deferred, not set.
    defer_emptied: bool,
}

#[derive(Default)]
struct Pending {
    dirty: Vec<SourceFile>,
    dirty_set: FxHashSet<SourceFile>,
    epoch_moved: bool,
    html_changed: bool,
}

impl Pending {
    fn mark(&mut self, file: SourceFile) {
        if self.dirty_set.insert(file) {
            self.dirty.push(file);
        }
    }
}

#[derive(Clone)]
struct ModuleState {
    entry: Option<Arc<str>>,
    resolved: Arc<[ResolvedImport]>,
    hot: HotFacts,
    diagnostics: Arc<[Diagnostic]>,
}

struct BuildState {
    graph: Arc<ProjectGraph>,
    modules: Vec<ModuleState>,
    chunk: Arc<ChunkLayout>,
    html: Arc<str>,
    html_entries: Arc<HtmlEntries>,
    /// `import.meta.env` additions from `.env` files, passed to `start`.
    env: Arc<PublicEnv>,
    /// Modules with diagnostics, in index order.
    with_diagnostics: BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
    diagnostics: Arc<[Diagnostic]>,
    served: ServedState,
}

/// What `served()` has built from this state, and what it must bring up to date. Both
/// collections are persistent, so handing them to a snapshot is O(1) and a revision that changed
/// k modules costs O(k log N), whatever the project's size.
#[derive(Default)]
struct ServedState {
    /// Chunk parts, one per module of `chunk.order` (after the empty module when it is used);
    /// `None` = build from `chunk.order` and the module entries.
    parts: Option<Parts>,
    /// Where each module of the graph sits in `parts` (`NOT_IN_CHUNK`: not reachable from an
    /// entry), filled with `parts`.
    positions: Vec<u32>,
    /// Modules whose entry changed since `parts` was brought up to date.
    stale_parts: Vec<ModuleIndex>,
    /// `None` = build every module.
    modules: Option<ServedModules>,
    /// Modules to refresh in `modules`.
    stale_modules: Vec<ModuleIndex>,
    chunk: Option<(Arc<str>, u32, Arc<Chunk>)>,
    /// The workers' chunks; `None` = build them (after a full build, or an edit to a module
    /// that runs in a worker).
    workers: Option<WorkerChunks>,
    /// Bytes of the define statements in `parts`.
    parts_bytes: u64,
    /// Bytes of code and maps in `modules`, kept up to date as entries change.
    module_bytes: HeldBytes,
}

/// Bytes of emitted code and source maps the compiler holds for serving (see
/// [`Compiler::held_bytes`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeldBytes {
    /// Factory code of every served module plus the chunk's define statements.
    pub code: u64,
    /// Per-module source maps.
    pub maps: u64,
}

/// `(factory code, source map)` bytes of one served module.
fn served_module_bytes(module: &ServedModule) -> (u64, u64) {
    (
        module.code.len() as u64,
        module.map.as_ref().map_or(0, |m| m.len() as u64),
    )
}

/// A module's place in the served chunk when it is not in the chunk.
const NOT_IN_CHUNK: u32 = u32::MAX;

/// `parts` and `served.positions` from scratch: O(modules), after a full build.
fn build_parts(state: &mut BuildState) -> Parts {
    let chunk = state.chunk.clone();
    let parts = define_parts(state, &chunk.order, chunk.uses_empty_module);
    let served = &mut state.served;
    served.positions = vec![NOT_IN_CHUNK; state.modules.len()];
    let first = u32::from(chunk.uses_empty_module);
    for (position, &index) in (first..).zip(chunk.order.iter()) {
        served.positions[index.idx()] = position;
    }
    served.parts_bytes = parts.iter().map(|(_, s)| s.len() as u64).sum();
    served.stale_parts.clear();
    parts
}

/// The define statements of the modules of `order` (after the empty module's, when used). A
/// module that never compiled keeps its place with an empty statement, so one that starts
/// compiling later is an update in place, not an insertion.
fn define_parts(state: &BuildState, order: &[ModuleIndex], uses_empty_module: bool) -> Parts {
    let mut parts = Parts::new();
    if uses_empty_module {
        parts.push_back((
            crate::queries::emit::EMPTY_MODULE_ID.into(),
            empty_module_entry(),
        ));
    }
    let never_compiled: Arc<str> = Arc::from("");
    for &index in order {
        let entry = state.modules[index.idx()].entry.clone();
        let id = state.graph.graph.module(index).id.clone();
        parts.push_back((id, entry.unwrap_or_else(|| never_compiled.clone())));
    }
    parts
}

/// The workers' chunks: each worker's modules in its layout's order, then
/// `__hotloop.start([id], { worker: true, ... })`. O(modules the workers reach).
fn worker_chunks(state: &BuildState, mode: &str) -> WorkerChunks {
    state
        .chunk
        .workers
        .iter()
        .map(|worker| {
            let parts = define_parts(state, &worker.order, worker.uses_empty_module);
            let mut trailer = String::from("__hotloop.start([");
            push_json_string(&mut trailer, &worker.id);
            trailer.push_str("], {\"worker\":true");
            push_start_env(&mut trailer, mode, &state.env);
            trailer.push_str("});\n//# sourceMappingURL=");
            trailer.push_str(&crate::transform::worker_map_url(&worker.id));
            trailer.push('\n');
            (worker.id.clone(), Arc::new(Chunk::new(parts, trailer)))
        })
        .collect()
}

/// The start call's `mode` (unless it is the default) and `.env` variables.
fn push_start_env(trailer: &mut String, mode: &str, env: &PublicEnv) {
    if mode != DEFAULT_MODE {
        trailer.push_str(",\"mode\":");
        push_json_string(trailer, mode);
    }
    if !env.vars.is_empty() {
        trailer.push_str(",\"env\":");
        crate::queries::emit::push_json_object(
            trailer,
            env.vars.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))),
        );
    }
}

/// Puts the changed modules' statements into `parts`: O(changed × log modules).
fn update_parts(state: &mut BuildState, parts: &mut Parts) {
    let served = &mut state.served;
    for index in served.stale_parts.drain(..) {
        let position = served
            .positions
            .get(index.idx())
            .copied()
            .unwrap_or(NOT_IN_CHUNK);
        if position == NOT_IN_CHUNK {
            continue;
        }
        let Some(entry) = state.modules[index.idx()].entry.clone() else {
            continue;
        };
        let added = entry.len() as u64;
        let id = state.graph.graph.module(index).id.clone();
        let (_, old) = parts.set(position as usize, (id, entry));
        served.parts_bytes = (served.parts_bytes + added).saturating_sub(old.len() as u64);
    }
}

/// Config files that change resolution.
fn is_config_file(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("package.json" | "tsconfig.json" | "jsconfig.json")
    )
}

/// The `.env` files the mode reads, in the project root (their change reloads the page with the
/// new variables).
fn is_env_file(root: &Path, path: &Path, mode: &str) -> bool {
    path.parent() == Some(root)
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| is_env_file_of(n, mode))
}

/// Files a package manager rewrites at the end of every install (npm, pnpm, yarn classic and
/// berry). The watcher does not look inside packages (too many watches), so one of these
/// changing is how an `npm install` is noticed: every known `node_modules` file is re-read.
fn is_install_marker(root: &Path, path: &Path) -> bool {
    path.parent() == Some(root.join("node_modules").as_path())
        && matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some(".package-lock.json" | ".modules.yaml" | ".yarn-integrity" | ".yarn-state.yml")
        )
}

/// Editor droppings and tool caches: never imported, so their creation cannot change what
/// resolves (vim's `4913` probe, `*.swp`, `*~`, anything under a dot-directory).
fn is_ignorable(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    if rel
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || (!name.is_empty() && name.chars().all(|c| c.is_ascii_digit()))
}

impl Compiler {
    /// A compiler for the project at `root` (made canonical). Reads `index.html` if present;
    /// nothing is compiled until `build`.
    pub fn new(root: &Path, options: ProjectOptions) -> Result<Compiler, CompilerError> {
        let root = match std::fs::canonicalize(root) {
            Ok(root) => root,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(CompilerError::RootNotFound {
                    path: root.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(CompilerError::Io {
                    path: root.to_path_buf(),
                    source,
                });
            }
        };
        if !root.is_dir() {
            return Err(CompilerError::RootNotADirectory { path: root });
        }
        let db = EngineDb::new(root.clone());
        let index_html = db.files().get_or_read(&db, &root.join("index.html"));
        let project = Project::builder(root.clone(), index_html, 0, options)
            .durability(Durability::HIGH)
            .new(&db);
        Ok(Compiler {
            db,
            project,
            root,
            epoch: 0,
            pending: Pending::default(),
            seen: FxHashSet::default(),
            config_hashes: FxHashMap::default(),
            state: None,
            defer_emptied: false,
        })
    }

    /// Compiles scripts through the persistent `cache` (see [`crate::cache`]). Call before the
    /// first build.
    pub fn use_compile_cache(&mut self, cache: CompileCache) {
        self.db.set_compile_cache(cache);
    }

    /// The canonical project root (watch this path).
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn project(&self) -> Project {
        self.project
    }

    /// The database, for profiling (`memory_usage`) and tests.
    pub fn db(&self) -> &EngineDb {
        &self.db
    }

    /// Mutable access for salsa calls that need it (`memory_usage`). Setting inputs through it
    /// bypasses the compiler's bookkeeping: don't.
    pub fn db_mut(&mut self) -> &mut EngineDb {
        &mut self.db
    }

    /// The input of a path the engine knows (referenced by some query or the HTML).
    pub fn file(&self, path: &Path) -> Option<SourceFile> {
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

    fn normalize(&self, path: &Path) -> PathBuf {
        let path = if path.is_relative() {
            self.root.join(path)
        } else {
            path.to_path_buf()
        };
        if path.starts_with(&self.root) {
            return path;
        }
        // The watcher may report through a symlinked spelling of the root.
        match (path.parent().map(std::fs::canonicalize), path.file_name()) {
            (Some(Ok(parent)), Some(name)) => parent.join(name),
            _ => path,
        }
    }

    /// Reads `paths` from disk and updates the inputs whose bytes changed. Paths nothing
    /// references are ignored cheaply, unless they could change what resolves: a created
    /// (first seen) or deleted file or directory, or a `package.json`/`tsconfig.json`, moves
    /// the resolution epoch.
    pub fn apply_changes(&mut self, paths: &[PathBuf]) -> Applied {
        let _span = tracing::debug_span!("apply_changes", paths = paths.len()).entered();
        let mut applied = Applied::default();
        let mut batch: FxHashSet<PathBuf> = FxHashSet::default();
        for path in paths {
            let path = self.normalize(path);
            if !batch.insert(path.clone()) {
                continue;
            }
            // Its `?raw`/`?url` modules read this file too.
            for query in ImportQuery::ALL.into_iter().filter(|q| q.reads_file()) {
                if let Some(file) = self.db.files().get(&query.path_of(&path)) {
                    self.refresh(file, &mut applied);
                }
            }
            if is_install_marker(&self.root, &path) {
                let node_modules = self.root.join("node_modules");
                self.refresh_under(&node_modules, &mut applied);
                self.config_changed(&path, &mut applied);
                continue;
            }
            let config = is_config_file(&path)
                || is_env_file(&self.root, &path, &self.project.options(&self.db).mode);
            if let Some(file) = self.db.files().get(&path) {
                let changed = self.refresh(file, &mut applied);
                if config && changed {
                    self.config_changed(&path, &mut applied);
                }
                continue;
            }
            if config {
                let hash = match std::fs::read(&path) {
                    Ok(bytes) => content_hash(&bytes),
                    Err(_) => 0,
                };
                if self.config_hashes.insert(path.clone(), hash) != Some(hash) {
                    self.config_changed(&path, &mut applied);
                }
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(meta) => {
                    if meta.is_dir() && self.db.files().is_known_dir(&path) {
                        // Moved or re-created: its known files may have come (back).
                        self.refresh_under(&path, &mut applied);
                        continue;
                    }
                    if self.seen.contains(&path) || is_ignorable(&self.root, &path) {
                        continue;
                    }
                    // A path we have not seen before: created (or first edited) since the
                    // resolver last looked.
                    self.seen.insert(path.clone());
                    applied.epoch_moved = true;
                    if meta.is_dir() {
                        self.refresh_under(&path, &mut applied);
                    }
                }
                Err(_) => {
                    self.seen.remove(&path);
                    if self.db.files().is_known_dir(&path) {
                        // A directory went away, maybe without events for the files in it.
                        self.refresh_under(&path, &mut applied);
                    }
                }
            }
        }
        if applied.epoch_moved {
            self.move_epoch();
        }
        tracing::debug!(
            changed = applied.changed_files.len(),
            epoch_moved = applied.epoch_moved,
            html = applied.html_changed,
            "applied changes"
        );
        applied
    }

    /// `apply_changes` for paths the watcher just reported: a file that had contents and now
    /// reads as empty is not taken yet but listed in `Applied::deferred` — the reader may have
    /// come between an editor's truncate and its write (the empty module would be a wrong,
    /// often reload-causing update). The caller re-reads deferred files after a short delay
    /// with `apply_changes`, which takes an empty file as a real edit.
    pub fn apply_watched_changes(&mut self, paths: &[PathBuf]) -> Applied {
        self.defer_emptied = true;
        let applied = self.apply_changes(paths);
        self.defer_emptied = false;
        applied
    }

    /// Re-reads every known file (after the watcher lost events) and moves the epoch.
    pub fn rescan(&mut self) -> Applied {
        let _span = tracing::debug_span!("rescan").entered();
        let mut applied = Applied::default();
        self.seen.clear();
        self.config_hashes.clear();
        let root = PathBuf::from("/");
        self.refresh_under(&root, &mut applied);
        applied.epoch_moved = true;
        self.move_epoch();
        applied
    }

    fn refresh_under(&mut self, dir: &Path, applied: &mut Applied) {
        for (_, file) in self.db.files().under(dir) {
            self.refresh(file, applied);
        }
    }

    /// Re-reads one known file; sets its input if the contents differ. Returns whether it did.
    fn refresh(&mut self, file: SourceFile, applied: &mut Applied) -> bool {
        let path = file.path(&self.db).clone();
        let new = read_contents(&path);
        let old = file.contents(&self.db);
        if *old == new {
            return false;
        }
        let empty = |c: &FileContents| match c {
            FileContents::Text(text) => text.is_empty(),
            FileContents::Binary { len, .. } => *len == 0,
            FileContents::Missing => false,
        };
        if self.defer_emptied && empty(&new) && old.exists() && !empty(old) {
            tracing::debug!(file = %path.display(), "read as empty right after a change; re-reading later");
            applied.deferred.push(path);
            return false;
        }
        if old.exists() != new.exists() {
            applied.epoch_moved = true;
        }
        tracing::trace!(file = %path.display(), "contents changed");
        file.set_contents(&mut self.db).to(new);
        applied.changed_files.push(self.db.files().module_id(&path));
        if file == self.project.index_html(&self.db) {
            applied.html_changed = true;
            self.pending.html_changed = true;
        }
        self.pending.mark(file);
        true
    }

    fn config_changed(&mut self, path: &Path, applied: &mut Applied) {
        applied.config_changed.push(self.db.files().module_id(path));
        applied.epoch_moved = true;
    }

    fn move_epoch(&mut self) {
        self.epoch += 1;
        self.db.resolvers().clear_cache();
        self.project
            .set_resolution_epoch(&mut self.db)
            .with_durability(Durability::HIGH)
            .to(self.epoch);
        self.pending.epoch_moved = true;
    }

    /// Brings the compiled state up to date with the inputs (see the module docs for what it
    /// costs).
    pub fn build(&mut self) -> BuildResult {
        let _span = tracing::debug_span!("build").entered();
        // Time spent in queries outside a build (served snapshots, module code) is not the
        // build's.
        let _ = self.db.clock().take();
        let mut result = self.build_inner();
        result.phases = self.db.clock().take();
        result
    }

    fn build_inner(&mut self) -> BuildResult {
        let pending = std::mem::take(&mut self.pending);
        let Some(prev) = self.state.take() else {
            warm_up(&self.db, self.project);
            let result = self.full_build(None);
            let cache = self.db.compile_cache();
            if let Some(dir) = cache.dir() {
                let stats = cache.stats();
                tracing::info!(
                    "compile cache: {} of {} scripts reused from {}",
                    stats.hits,
                    stats.hits + stats.misses,
                    dir.display()
                );
                cache.prune_unused();
            }
            return result;
        };
        if pending.epoch_moved || pending.html_changed {
            if pending.epoch_moved {
                warm_up(&self.db, self.project);
            }
            return self.full_build(Some(prev));
        }
        let db = &self.db;
        let check = db.clock().enter(Phase::Resolve, "build.check_structure");
        let mut touched: Vec<(ModuleIndex, SourceFile)> = Vec::new();
        for &file in &pending.dirty {
            let Some(index) = prev.graph.index_of_file(file) else {
                // Not in the graph: only a change in some module's imports can bring it in,
                // and that module is dirty itself.
                continue;
            };
            let module = &prev.modules[index.idx()];
            // A module that stopped compiling keeps its last good code, imports and hot facts
            // (the browser keeps running that code): a syntax error is not a structural change,
            // so the modules only it imports stay in the graph and in the page.
            let broken = module.entry.is_some() && chunk_entry(db, file).is_none();
            let structural = !broken
                && (resolved_imports(db, file) != module.resolved
                    || *hot_meta(db, file) != module.hot);
            if structural {
                tracing::debug!(file = %file.path(db).display(), "imports or hot facts changed");
                drop(check);
                return self.full_build(Some(prev));
            }
            touched.push((index, file));
        }
        drop(check);
        self.update_modules(prev, &touched)
    }

    /// The hot path: only `touched` modules (whose imports and hot facts are unchanged).
    fn update_modules(
        &mut self,
        mut state: BuildState,
        touched: &[(ModuleIndex, SourceFile)],
    ) -> BuildResult {
        let db = &self.db;
        let _clock = db.clock().enter(Phase::Emit, "build.update_modules");
        let mut changed = Vec::new();
        let mut diagnostics_changed = false;
        for &(index, file) in touched {
            let entry = chunk_entry(db, file);
            let diagnostics = module_diagnostics(db, file);
            let module = &mut state.modules[index.idx()];
            // A module that stopped compiling keeps its last good entry (see `build`).
            if entry.is_some() && entry != module.entry {
                module.entry = entry;
                changed.push(index);
                state.served.stale_parts.push(index);
                state.served.stale_modules.push(index);
                if state.graph.graph.module(index).in_worker {
                    state.served.workers = None;
                }
            }
            if diagnostics != module.diagnostics {
                module.diagnostics = diagnostics.clone();
                diagnostics_changed = true;
                if diagnostics.is_empty() {
                    state.with_diagnostics.remove(&index);
                } else {
                    state.with_diagnostics.insert(index, diagnostics);
                }
            }
        }
        if diagnostics_changed {
            state.diagnostics =
                collect_diagnostics(&state.html_entries, &state.env, &state.with_diagnostics);
        }
        changed.sort();
        let result = BuildResult {
            graph: state.graph.clone(),
            changed,
            removed: Vec::new(),
            diagnostics: state.diagnostics.clone(),
            html_changed: false,
            phases: PhaseTimes::default(),
        };
        self.state = Some(state);
        result
    }

    /// Demands the graph and looks at every module: O(N), for structural changes.
    fn full_build(&mut self, prev: Option<BuildState>) -> BuildResult {
        let _span = tracing::debug_span!("full_build").entered();
        let db = &self.db;
        let _clock = db.clock().enter(Phase::Graph, "build.full");
        let project = self.project;
        let graph = module_graph(db, project);
        let layout = chunk(db, project);
        let entries = html_entries(db, project);
        let html = entry_html(db, project);
        let env = public_env(db, project);

        let mut old: FxHashMap<SourceFile, ModuleState> = FxHashMap::default();
        let mut old_ids: Vec<(SourceFile, Arc<str>)> = Vec::new();
        let mut html_changed = false;
        if let Some(prev) = &prev {
            html_changed = prev.html != html;
            for (i, (file, module)) in prev.graph.files.iter().zip(&prev.modules).enumerate() {
                old.insert(*file, module.clone());
                old_ids.push((*file, prev.graph.graph.modules[i].id.clone()));
            }
        }
        let mut modules = Vec::with_capacity(graph.len());
        let mut changed = Vec::new();
        let mut with_diagnostics = BTreeMap::new();
        for (i, &file) in graph.files.iter().enumerate() {
            let index = ModuleIndex(i as u32);
            let state = ModuleState {
                entry: chunk_entry(db, file),
                resolved: resolved_imports(db, file),
                hot: hot_meta(db, file).clone(),
                diagnostics: module_diagnostics(db, file),
            };
            if old.get(&file).is_none_or(|o| o.entry != state.entry) {
                changed.push(index);
            }
            if !state.diagnostics.is_empty() {
                with_diagnostics.insert(index, state.diagnostics.clone());
            }
            modules.push(state);
        }
        let removed = old_ids
            .into_iter()
            .filter(|(file, _)| graph.index_of_file(*file).is_none())
            .map(|(_, id)| id)
            .collect();
        // Keep the previous graph `Arc` when the structure came out the same.
        let graph = match &prev {
            Some(prev) if prev.graph == graph => prev.graph.clone(),
            _ => graph,
        };
        let diagnostics = collect_diagnostics(&entries, &env, &with_diagnostics);
        tracing::debug!(
            modules = graph.len(),
            changed = changed.len(),
            diagnostics = diagnostics.len(),
            "built"
        );
        self.state = Some(BuildState {
            graph: graph.clone(),
            modules,
            served: ServedState::default(),
            chunk: layout,
            html,
            html_entries: entries,
            env,
            with_diagnostics,
            diagnostics: diagnostics.clone(),
        });
        BuildResult {
            graph,
            changed,
            removed,
            diagnostics,
            html_changed,
            phases: PhaseTimes::default(),
        }
    }

    /// The snapshot the server serves: HTML, chunk (with the start trailer), emitted modules,
    /// errors. After an update that kept the graph it costs O(changed modules × log modules)
    /// (persistent collections, shared with the previous snapshot); after a full build,
    /// O(modules), reusing every module's `Arc`s. Touches no query except for modules that
    /// changed. Builds first if nothing was built yet.
    pub fn served(&mut self, server_id: &Arc<str>, revision: u32) -> Served {
        let _span = tracing::debug_span!("served", revision).entered();
        if self.state.is_none() {
            self.build();
        }
        let db = &self.db;
        let mode = &self.project.options(db).mode;
        let Some(state) = self.state.as_mut() else {
            unreachable!("build() always leaves a state")
        };
        let workers = match &state.served.workers {
            Some(workers) => workers.clone(),
            None => {
                let workers = worker_chunks(state, mode);
                state.served.workers = Some(workers.clone());
                workers
            }
        };
        let parts = match state.served.parts.take() {
            Some(mut parts) => {
                update_parts(state, &mut parts);
                parts
            }
            None => build_parts(state),
        };
        state.served.parts = Some(parts.clone());
        // After a full build every module goes in; after an update, the changed ones.
        let (mut modules, refresh) = match state.served.modules.take() {
            Some(map) => (map, std::mem::take(&mut state.served.stale_modules)),
            None => {
                state.served.module_bytes = HeldBytes::default();
                state.served.stale_modules.clear();
                (
                    ServedModules::default(),
                    state.graph.graph.indices().collect(),
                )
            }
        };
        for index in refresh {
            insert_served_module(
                db,
                &state.graph,
                index,
                &mut modules,
                &mut state.served.module_bytes,
            );
        }
        state.served.modules = Some(modules.clone());
        let chunk = match &state.served.chunk {
            Some((id, rev, chunk))
                if id == server_id && *rev == revision && chunk.parts.ptr_eq(&parts) =>
            {
                chunk.clone()
            }
            _ => {
                let mut trailer = String::from("__hotloop.start([");
                for (i, entry) in state.chunk.entries.iter().enumerate() {
                    if i > 0 {
                        trailer.push(',');
                    }
                    push_json_string(&mut trailer, entry);
                }
                trailer.push_str(&format!("], {{\"revision\":{revision},\"serverId\":"));
                push_json_string(&mut trailer, server_id);
                if let Some(id) = &state.chunk.refresh_runtime {
                    trailer.push_str(",\"refreshRuntime\":");
                    push_json_string(&mut trailer, id);
                }
                push_start_env(&mut trailer, mode, &state.env);
                trailer.push_str("});\n//# sourceMappingURL=/_hotloop/chunk.js.map\n");
                let chunk = Arc::new(Chunk::new(parts, trailer));
                state.served.chunk = Some((server_id.clone(), revision, chunk.clone()));
                chunk
            }
        };
        Served {
            server_id: server_id.clone(),
            revision,
            html: Some(state.html.clone()),
            chunk,
            workers,
            modules,
            errors: state.diagnostics.clone(),
            building: false,
        }
    }

    /// The snapshot to serve while the cold build runs: the entry HTML only (see
    /// [`Served::building`]). Cheap: reads `index.html`, compiles nothing.
    pub fn building(&self, server_id: &Arc<str>) -> Served {
        let html = entry_html(&self.db, self.project);
        Served::building(server_id.clone(), Some(html))
    }

    /// Bytes of emitted code and source maps held for serving, as of the last `served` call:
    /// O(1), the counts are kept up to date as modules change. The lazily assembled chunk
    /// bytes (a copy of the define statements, made on the first page request) are not
    /// included.
    pub fn held_bytes(&self) -> HeldBytes {
        self.state
            .as_ref()
            .map_or_else(HeldBytes::default, |state| HeldBytes {
                code: state.served.parts_bytes + state.served.module_bytes.code,
                maps: state.served.module_bytes.maps,
            })
    }

    /// A module's factory code and deps map, for update messages. `None` for an index outside
    /// the last build's graph or a module that does not compile.
    pub fn module_code(&self, index: ModuleIndex) -> Option<ModuleCode> {
        let state = self.state.as_ref()?;
        let file = *state.graph.files.get(index.idx())?;
        let code = emitted_module(&self.db, file)?;
        Some(ModuleCode {
            id: state.graph.graph.module(index).id.clone(),
            kind: state.graph.graph.module(index).kind,
            code,
            deps: module_deps(&self.db, file),
        })
    }
}

fn insert_served_module(
    db: &EngineDb,
    graph: &ProjectGraph,
    index: ModuleIndex,
    map: &mut ServedModules,
    bytes: &mut HeldBytes,
) {
    let module = graph.graph.module(index);
    let parsed = parsed_module(db, graph.file(index));
    let old = match &parsed.code {
        Some(code) => {
            let new = ServedModule {
                kind: module.kind,
                code: code.clone(),
                map: parsed.map.clone(),
                stylesheet: parsed.stylesheet.clone(),
            };
            let (code, maps) = served_module_bytes(&new);
            bytes.code += code;
            bytes.maps += maps;
            map.insert(module.id.clone(), new)
        }
        None => map.remove(&module.id),
    };
    if let Some(old) = old {
        let (code, maps) = served_module_bytes(&old);
        bytes.code = bytes.code.saturating_sub(code);
        bytes.maps = bytes.maps.saturating_sub(maps);
    }
}

fn collect_diagnostics(
    entries: &HtmlEntries,
    env: &PublicEnv,
    modules: &BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
) -> Arc<[Diagnostic]> {
    entries
        .diagnostics
        .iter()
        .chain(&env.diagnostics)
        .chain(modules.values().flat_map(|d| d.iter()))
        .cloned()
        .collect()
}
