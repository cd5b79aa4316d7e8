//! `module_graph`: the modules reachable from `index.html` (entry scripts and linked
//! stylesheets) over resolved imports, as a plain-data `ModuleGraph` plus the `SourceFile` of
//! each module. Deterministic: modules are numbered in breadth-first discovery order from the
//! entries, imports in source order.
//!
//! An aggregate over every module: the host only demands it when some module's resolved
//! imports or hot facts changed, the resolution epoch moved or the HTML changed; a body edit
//! never reaches it.
//!
//! # Lazy chunks
//!
//! In the page, the walk stops at `import()`: the target of a dynamic import (a literal
//! `import('./x')`, or an entry of a lazy `import.meta.glob`) that nothing reaches through static
//! imports is a **lazy target** (`ProjectGraph::lazy_targets`), not a module of the graph, and
//! nothing of it is compiled, until a page asks for it (`Project::lazy_roots`, set by
//! `EngineHost::request_lazy`): then the walk goes on through its static imports (and stops
//! at its own `import()`s in turn). What a worker or the server runs is walked whole, `import()`
//! included: they get one chunk each (a worker cannot take new code; Node has every file).
//!
//! A multi-page app's other pages (`Project::pages`, those a browser opened) are served with
//! the page's chunk: their module scripts are lazy targets too (no `import()` names them; the
//! runtime of their page loads them), and their linked stylesheets entries of the graph.
//!
//! The walk goes in phases: first what the entries reach (stopping at every `import()`), then
//! each requested target in `lazy_roots` order. So the modules of a target asked for later are
//! numbered after everything before it, and [`extend_with_lazy_roots`] can append a newly
//! requested target to the last graph, visiting only its new modules (a page's request costs
//! its own modules, not the app's), and get the graph `module_graph` would: the same modules,
//! indices and edges (`tests/lazy.rs` checks it).

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::db::Db;
use crate::environment::{EnvSet, EnvironmentKind};
use crate::graph::{Environment, GraphBuilder, GraphModule, ModuleGraph, ModuleIndex, ModuleKind};
use crate::inputs::{Project, SourceFile};
use crate::queries::hot::hot_meta_in;
use crate::queries::html::{html_entries, page_entries};
use crate::queries::parsed::{file_id, module_kind};
use crate::queries::resolve::{RefreshRuntime, Resolution, imports_in, refresh_runtime};
use crate::telemetry::Phase;
use crate::transform::ImportKind;

/// The graph and the file of each module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectGraph {
    /// `graph.entries`: the entry scripts, then the linked stylesheets (kind `Css`), in
    /// document order. Shared: the dashboard's snapshot of the graph is this one, not a copy.
    pub graph: Arc<ModuleGraph>,
    /// Index-aligned with `graph.modules`.
    pub files: Vec<SourceFile>,
    /// Entry scripts only (what the chunk starts).
    pub script_entries: Vec<ModuleIndex>,
    /// The app's own `react-refresh/runtime` (`RefreshRuntime::App`): a root of the graph that
    /// `start` installs before the entries.
    pub refresh_runtime: Option<ModuleIndex>,
    /// The server graph's npm packages and Node built-ins, by URL, in discovery order (see
    /// `emit::external_entry`); always empty for the page's graph.
    pub externals: Vec<Arc<str>>,
    /// Index-aligned with `graph.modules`: the static imports of each module (`graph.imports`
    /// less the `import()` edges), what chunks are made of.
    pub static_imports: Vec<Box<[ModuleIndex]>>,
    /// The page's `import()` targets outside its static closure, in discovery order: each is
    /// the root of a lazy chunk (see the module docs). Always empty for the server's graph.
    pub lazy_targets: Vec<LazyTarget>,
    by_file: FxHashMap<SourceFile, ModuleIndex>,
    /// What a later phase of the walk starts from (see [`extend_with_lazy_roots`]).
    resume: Resume,
}

/// The walk's state past its graph: the `import()`s met, those whose target is not in the
/// graph yet, and the modules whose `hot.accept(dep)` named a module not in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Resume {
    dynamic: Vec<(ModuleIndex, SourceFile)>,
    deferred: Vec<(ModuleIndex, SourceFile)>,
    partial_accepts: Vec<ModuleIndex>,
    /// The module scripts of the other pages (`Project::pages`): lazy targets that no
    /// `import()` names, loaded by the runtime of their page.
    page_scripts: Vec<SourceFile>,
}

/// The target of an `import()` that the page does not load with its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LazyTarget {
    pub id: Arc<str>,
    pub file: SourceFile,
    /// Its module in the graph once a page asked for it (or something else reached it); `None`
    /// while nothing of it is compiled.
    pub index: Option<ModuleIndex>,
}

/// A project graph reads as its module graph (`build.graph.module(i)`); the files, entries and
/// refresh runtime are what only the engine needs besides.
impl std::ops::Deref for ProjectGraph {
    type Target = ModuleGraph;

    fn deref(&self) -> &ModuleGraph {
        &self.graph
    }
}

impl ProjectGraph {
    pub fn index_of_file(&self, file: SourceFile) -> Option<ModuleIndex> {
        self.by_file.get(&file).copied()
    }

    pub fn file(&self, index: ModuleIndex) -> SourceFile {
        self.files[index.idx()]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The lazy target whose module id is `id`.
    pub fn lazy_target(&self, id: &str) -> Option<&LazyTarget> {
        self.lazy_targets.iter().find(|t| &*t.id == id)
    }
}

#[salsa::tracked(returns(clone))]
pub fn module_graph(db: &dyn Db, project: Project) -> Arc<ProjectGraph> {
    let _clock = db.clock().enter_key(Phase::Graph, "module_graph", project);
    let _span = tracing::trace_span!("module_graph").entered();
    let entries = html_entries(db, project);
    let mut walk = Walk::new(EnvironmentKind::Page);

    let mut script_entries = Vec::new();
    for entry in &entries.scripts {
        let index = walk.add(db, entry.file);
        walk.builder.add_entry(index);
        if !script_entries.contains(&index) {
            script_entries.push(index);
        }
    }
    for entry in &entries.stylesheets {
        let index = walk.add(db, entry.file);
        walk.builder.add_entry(index);
    }
    // The other pages a browser opened (a multi-page app's): their linked stylesheets are the
    // graph's as `index.html`'s are, their module scripts lazy targets that the runtime on
    // that page loads (see the module docs).
    let mut page_sheets = Vec::new();
    for &page in project.pages(db).iter() {
        let entries = page_entries(db, page);
        for entry in &entries.stylesheets {
            let index = walk.add(db, entry.file);
            walk.builder.add_entry(index);
            page_sheets.push(index);
        }
        for entry in &entries.scripts {
            if !walk.resume.page_scripts.contains(&entry.file) {
                walk.resume.page_scripts.push(entry.file);
            }
        }
    }
    // Scripts the page asked for by their URL at run time: lazy targets, as the other pages'.
    for &script in project.url_scripts(db).iter() {
        if !walk.resume.page_scripts.contains(&script) {
            walk.resume.page_scripts.push(script);
        }
    }
    // Scripts a browser asked for as workers by their URL (a service worker's).
    for &worker in project.workers(db).iter() {
        let to = walk.add(db, worker);
        if !walk.worker_roots.contains(&to) {
            walk.worker_roots.push(to);
        }
    }
    let refresh_root = match refresh_runtime(db, project) {
        RefreshRuntime::App(file) if entries.exists => Some(walk.add(db, file)),
        _ => None,
    };
    walk.run(db);
    walk.settle_dynamic(db);
    walk.walk_lazy_roots(db, project.lazy_roots(db));
    walk.hot_flags(db, 0..walk.files.len());

    // The page's environment starts where its runtime evaluates: the refresh runtime, then the
    // scripts. Linked stylesheets are the browser's, not the runtime's, but load with the page.
    let page_roots: Vec<ModuleIndex> = refresh_root
        .into_iter()
        .chain(script_entries.iter().copied())
        .collect();
    // `loaded`: what the page evaluates at load (static imports from its roots).
    let mut loaded_roots = page_roots.clone();
    loaded_roots.extend(
        entries
            .stylesheets
            .iter()
            .filter_map(|e| walk.by_file.get(&e.file).copied()),
    );
    loaded_roots.extend(page_sheets);
    walk.mark_loaded(loaded_roots);
    walk.collect_lazy_targets(db);

    walk.builder.add_environment(Environment {
        kind: EnvironmentKind::Page,
        name: "client".into(),
        roots: page_roots.into(),
    });
    for &root in &walk.worker_roots {
        let name = walk.builder.module_mut(root).id.clone();
        walk.builder.add_environment(Environment {
            kind: EnvironmentKind::Worker,
            name,
            roots: Box::new([root]),
        });
    }
    walk.finish(script_entries, refresh_root)
}

/// The graph `module_graph` gives once `lazy_roots` (the project's, in order) holds targets
/// that `prev` (the graph for the targets before them) does not: `prev` with the modules the new
/// targets reach appended. Demands the queries of the new modules only (their imports and hot
/// facts), never those of `prev`'s modules; the rest is plain data (the edge arrays are copied).
/// `None` when the new modules start a web worker (a new environment): then the whole graph
/// is walked again (`module_graph`).
pub fn extend_with_lazy_roots(
    db: &dyn Db,
    prev: &ProjectGraph,
    lazy_roots: &[SourceFile],
) -> Option<Arc<ProjectGraph>> {
    let _clock = db.clock().enter(Phase::Graph, "extend_with_lazy_roots");
    let _span = tracing::trace_span!("extend_with_lazy_roots").entered();
    let mut walk = Walk::resume(prev);
    let old_len = walk.files.len();
    let old_workers = walk.worker_roots.len();
    walk.walk_lazy_roots(db, lazy_roots);
    if walk.worker_roots.len() != old_workers {
        return None;
    }
    // New modules, and those whose `hot.accept(dep)` may name one of them.
    let mut hot: Vec<usize> = std::mem::take(&mut walk.resume.partial_accepts)
        .into_iter()
        .map(ModuleIndex::idx)
        .collect();
    hot.extend(old_len..walk.files.len());
    walk.hot_flags(db, hot);
    // New modules are behind an `import()`: none loads with the page, `loaded` stays as is.
    let ids: FxHashMap<SourceFile, Arc<str>> = prev
        .lazy_targets
        .iter()
        .map(|t| (t.file, t.id.clone()))
        .collect();
    walk.collect_lazy_targets_with(|target| {
        ids.get(&target)
            .cloned()
            .unwrap_or_else(|| file_id(db, target))
    });
    for env in &prev.graph.environments {
        walk.builder.add_environment(env.clone());
    }
    Some(walk.finish(prev.script_entries.clone(), prev.refresh_runtime))
}

/// The server's graph (server-side HMR): the modules the server entry reaches over
/// `server_imports`, in one environment of kind `Server`. Npm packages and Node built-ins are
/// not modules of it but `externals`. A module imported by the page too is the same input,
/// parsed once; only its resolution and deps map are the server's. Empty without an entry.
#[salsa::tracked(returns(clone))]
pub fn server_graph(db: &dyn Db, project: Project) -> Arc<ProjectGraph> {
    let _clock = db.clock().enter_key(Phase::Graph, "server_graph", project);
    let _span = tracing::trace_span!("server_graph").entered();
    let Some(entry) = project.options(db).server_entry.clone() else {
        return Arc::default();
    };
    let mut walk = Walk::new(EnvironmentKind::Server);
    let file = db.files().get_or_read(db, &entry);
    let root = walk.add(db, file);
    walk.builder.add_entry(root);
    walk.run(db);
    walk.hot_flags(db, 0..walk.files.len());
    // The entry takes any update no module below accepts: it is re-evaluated in place and
    // the process serves with its new handler (`server_update.rs`).
    walk.builder.module_mut(root).self_accepts = true;
    walk.mark_loaded(vec![root]);
    walk.builder.add_environment(Environment {
        kind: EnvironmentKind::Server,
        name: "server".into(),
        roots: Box::new([root]),
    });
    walk.finish(vec![root], None)
}

/// A breadth-first walk over one environment kind's resolutions.
struct Walk {
    env: EnvironmentKind,
    builder: GraphBuilder,
    files: Vec<SourceFile>,
    by_file: FxHashMap<SourceFile, ModuleIndex>,
    queue: VecDeque<ModuleIndex>,
    /// Edges that are only dynamic imports do not make their target load with the page.
    static_edges: Vec<Vec<ModuleIndex>>,
    worker_roots: Vec<ModuleIndex>,
    externals: Vec<Arc<str>>,
    /// `dynamic`: every `import()` the page's walk met, `(importer, target)`, in discovery
    /// order; `deferred`: those it stopped at, whose target is not in the graph (see
    /// `settle_dynamic`); `partial_accepts`: see `hot_flags`.
    resume: Resume,
    lazy_targets: Vec<LazyTarget>,
}

impl Walk {
    fn new(env: EnvironmentKind) -> Walk {
        Walk {
            env,
            builder: GraphBuilder::default(),
            files: Vec::new(),
            by_file: FxHashMap::default(),
            queue: VecDeque::new(),
            static_edges: Vec::new(),
            worker_roots: Vec::new(),
            externals: Vec::new(),
            resume: Resume::default(),
            lazy_targets: Vec::new(),
        }
    }

    /// The page's walk where `module_graph` (or the last extension) left it.
    fn resume(prev: &ProjectGraph) -> Walk {
        Walk {
            env: EnvironmentKind::Page,
            builder: GraphBuilder::from_graph(&prev.graph),
            files: prev.files.clone(),
            by_file: prev.by_file.clone(),
            queue: VecDeque::new(),
            static_edges: prev.static_imports.iter().map(|s| s.to_vec()).collect(),
            worker_roots: prev
                .graph
                .environments
                .iter()
                .filter(|env| env.kind == EnvironmentKind::Worker)
                .filter_map(|env| env.roots.first().copied())
                .collect(),
            externals: prev.externals.clone(),
            resume: prev.resume.clone(),
            lazy_targets: Vec::new(),
        }
    }

    /// Whether the walk stops at `import()` (the page's; see the module docs).
    fn stops_at_dynamic(&self) -> bool {
        self.env == EnvironmentKind::Page
    }

    fn add(&mut self, db: &dyn Db, file: SourceFile) -> ModuleIndex {
        if let Some(index) = self.by_file.get(&file) {
            return *index;
        }
        let index = self.builder.add(GraphModule {
            id: file_id(db, file),
            kind: module_kind(file.path(db), db.plugins().is_some()),
            self_accepts: false,
            accepted_deps: Box::new([]),
            loaded: false,
            environments: EnvSet::EMPTY,
            refresh_refused: None,
        });
        self.by_file.insert(file, index);
        self.files.push(file);
        self.static_edges.push(Vec::new());
        self.queue.push_back(index);
        index
    }

    fn run(&mut self, db: &dyn Db) {
        while let Some(index) = self.queue.pop_front() {
            db.unwind_if_revision_cancelled();
            let file = self.files[index.idx()];
            for import in imports_in(db, self.env, file).iter() {
                if import.kind == ImportKind::HotAccept {
                    continue;
                }
                let target = match &import.resolution {
                    Resolution::File(target) => *target,
                    Resolution::External { url } => {
                        if !self.externals.contains(url) {
                            self.externals.push(url.clone());
                        }
                        continue;
                    }
                    Resolution::Empty | Resolution::NotFound { .. } => continue,
                };
                if import.kind == ImportKind::Worker && !self.env.is_browser() {
                    continue;
                }
                if import.kind == ImportKind::Dynamic && self.stops_at_dynamic() {
                    self.resume.dynamic.push((index, target));
                    if !self.by_file.contains_key(&target) {
                        self.resume.deferred.push((index, target));
                        continue;
                    }
                }
                let to = self.add(db, target);
                if import.kind == ImportKind::Worker {
                    if !self.worker_roots.contains(&to) {
                        self.worker_roots.push(to);
                    }
                    continue;
                }
                self.builder.add_import(index, to);
                if import.kind != ImportKind::Dynamic
                    && !self.static_edges[index.idx()].contains(&to)
                {
                    self.static_edges[index.idx()].push(to);
                }
            }
        }
    }

    /// The `import()`s `run` stopped at: an edge where the target joined the graph after all
    /// (a static import met later); the target walked into when its importer runs in a
    /// worker (whose chunk holds everything); the rest stay deferred (lazy targets). Repeats
    /// until no worker reaches a new module.
    fn settle_dynamic(&mut self, db: &dyn Db) {
        loop {
            let in_worker = if self.worker_roots.is_empty() {
                Vec::new()
            } else {
                self.reached_from(&self.worker_roots.clone())
            };
            let mut grew = false;
            for (from, target) in std::mem::take(&mut self.resume.deferred) {
                if let Some(&to) = self.by_file.get(&target) {
                    self.builder.add_import(from, to);
                } else if in_worker.get(from.idx()).copied().unwrap_or(false) {
                    let to = self.add(db, target);
                    self.builder.add_import(from, to);
                    grew = true;
                } else {
                    self.resume.deferred.push((from, target));
                }
            }
            if !grew {
                break;
            }
            self.run(db);
        }
    }

    /// The later phases of the page's walk (see the module docs): each target of `roots` that
    /// some module of the graph `import()`s, in order, with what it reaches; again while a
    /// pass takes one in (a target may be `import()`ed only by one asked for after it).
    fn walk_lazy_roots(&mut self, db: &dyn Db, roots: &[SourceFile]) {
        loop {
            let mut grew = false;
            for &root in roots {
                if self.by_file.contains_key(&root)
                    || !(self.resume.deferred.iter().any(|&(_, t)| t == root)
                        || self.resume.page_scripts.contains(&root))
                {
                    continue;
                }
                self.add(db, root);
                self.run(db);
                self.settle_dynamic(db);
                grew = true;
            }
            if !grew {
                break;
            }
        }
    }

    /// Modules reachable from `roots` over every edge added so far.
    fn reached_from(&self, roots: &[ModuleIndex]) -> Vec<bool> {
        let mut seen = vec![false; self.files.len()];
        let mut stack = roots.to_vec();
        while let Some(index) = stack.pop() {
            if std::mem::replace(&mut seen[index.idx()], true) {
                continue;
            }
            stack.extend_from_slice(self.builder.imports_of(index));
        }
        seen
    }

    /// The page's `import()` targets that do not load with it (after `mark_loaded`).
    fn collect_lazy_targets(&mut self, db: &dyn Db) {
        self.collect_lazy_targets_with(|target| file_id(db, target));
    }

    /// [`Walk::collect_lazy_targets`], with the id of a target from `id`.
    fn collect_lazy_targets_with(&mut self, id: impl Fn(SourceFile) -> Arc<str>) {
        let mut seen = FxHashSet::default();
        let dynamic = self.resume.dynamic.iter().map(|&(_, target)| target);
        for target in dynamic.chain(self.resume.page_scripts.iter().copied()) {
            let index = self.by_file.get(&target).copied();
            if index.is_some_and(|i| self.builder.module(i).loaded) || !seen.insert(target) {
                continue;
            }
            self.lazy_targets.push(LazyTarget {
                id: id(target),
                file: target,
                index,
            });
        }
    }

    /// Hot facts and accepted deps (resolved through the module's own HotAccept imports) of
    /// the modules at `indices`. A module whose `hot.accept(dep)` names a module not in the
    /// graph (yet: one behind an `import()`) is kept in `partial_accepts`, to be looked at
    /// again when the graph grows.
    fn hot_flags(&mut self, db: &dyn Db, indices: impl IntoIterator<Item = usize>) {
        for i in indices {
            let file = self.files[i];
            let index = ModuleIndex(i as u32);
            let module = self.builder.module_mut(index);
            if module.kind == ModuleKind::Css {
                module.self_accepts = true;
                continue;
            }
            if module.kind != ModuleKind::Js {
                continue;
            }
            let hot = hot_meta_in(db, self.env, file);
            let resolved = if hot.accepted_deps.is_empty() {
                None
            } else {
                Some(imports_in(db, self.env, file))
            };
            let module = self.builder.module_mut(index);
            // In a page, a Fast Refresh boundary takes its own updates, and so does a module
            // that keeps state in `hot.data` (Bun's rule: it expects to be re-run in place).
            // A server has nothing to re-render, and its importers hold on to the exports a
            // re-run would replace: there such updates reach the importers (up to the entry,
            // which re-runs in place), and `hot.data` carries the state across.
            module.self_accepts = hot.self_accepts
                || (self.env.is_browser() && (hot.refresh_boundary || hot.uses_data));
            module.refresh_refused = hot.refresh_refused.as_deref().map(Arc::from);
            if let Some(resolved) = resolved {
                let mut accepted = Vec::new();
                let mut partial = false;
                for dep in &hot.accepted_deps {
                    let target = resolved.iter().find_map(|r| match r.resolution {
                        Resolution::File(target) if *r.specifier == **dep => Some(target),
                        _ => None,
                    });
                    match target.and_then(|t| self.by_file.get(&t)) {
                        Some(to) if !accepted.contains(to) => accepted.push(*to),
                        Some(_) => {}
                        None if target.is_some() => partial = true,
                        None => {}
                    }
                }
                module.accepted_deps = accepted.into_boxed_slice();
                if partial {
                    self.resume.partial_accepts.push(index);
                }
            }
        }
    }

    /// `loaded` = reachable from `roots` through non-dynamic edges.
    fn mark_loaded(&mut self, mut stack: Vec<ModuleIndex>) {
        while let Some(index) = stack.pop() {
            let module = self.builder.module_mut(index);
            if module.loaded {
                continue;
            }
            module.loaded = true;
            stack.extend(self.static_edges[index.idx()].iter().copied());
        }
    }

    fn finish(
        self,
        script_entries: Vec<ModuleIndex>,
        refresh_runtime: Option<ModuleIndex>,
    ) -> Arc<ProjectGraph> {
        Arc::new(ProjectGraph {
            graph: Arc::new(self.builder.finish()),
            files: self.files,
            script_entries,
            refresh_runtime,
            externals: self.externals,
            static_imports: self
                .static_edges
                .into_iter()
                .map(Vec::into_boxed_slice)
                .collect(),
            lazy_targets: self.lazy_targets,
            by_file: self.by_file,
            resume: self.resume,
        })
    }
}
