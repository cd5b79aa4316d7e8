//! Bringing the compiled state up to date with the inputs.
//!
//! The performance invariant lives here: after an edit that leaves every module's resolved
//! imports and hot facts alone (a function body), `build` looks only at the changed files. It
//! keeps the previous graph `Arc` and, per module, the last chunk entry, resolved imports, hot
//! facts and diagnostics, and never demands `module_graph` or `chunk` — deep-validating an
//! aggregate query over N inputs costs O(N) even when nothing changed. Those are demanded only
//! when some changed file's resolved imports or hot facts differ, the resolution epoch moved,
//! or the HTML changed.
//!
//! A page's request for a lazy chunk costs that chunk's modules too: the graph is extended
//! (`queries::graph::extend_with_lazy_roots`), the layout gets the new chunk
//! (`queries::chunks::extend_layout`), only the new modules' queries are demanded, and the
//! served snapshot adds them and that chunk to the last one (`add_lazy_modules`); nothing of
//! the page's chunk is looked at again.
//!
//! A file a module's plugins watched (`this.addWatchFile`: a Sass partial, a source file
//! Tailwind CSS scanned for class names) touches that module too: the build keeps the reverse
//! map (`BuildState::watchers`), so an edit of `App.tsx` also recompiles the stylesheet whose
//! Tailwind scan read it, in the same update, and a partial's edit recompiles only the sheets
//! that use it. A file created where such a module's plugins scan (no module imports it, the
//! plugin never named it) reaches the module through `change.rs`'s `touch_scanners_of`.
//!
//! A module that stops compiling keeps its last good code, imports, hot facts and exports, so a
//! syntax error never drops it from the page. An edit that keeps a module's export names looks
//! at no importer: `recheck_importers` runs for modules whose exports changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::db::Db as _;
use crate::environment::EnvIndex;
use crate::environment::EnvironmentKind;
use crate::files::glob_module_of_path;
use crate::graph::{ModuleGraph, ModuleIndex};
use crate::inputs::SourceFile;
use crate::queries::chunks::{ChunkLayout, chunk, extend_layout};
use crate::queries::diagnostics::module_diagnostics;
use crate::queries::emit::chunk_entry;
use crate::queries::env::{PublicEnv, public_env};
use crate::queries::exports::{ExportsSeen, exports_seen, link_diagnostics, with_links};
use crate::queries::graph::{ProjectGraph, extend_with_lazy_roots, module_graph};
use crate::queries::hot::hot_meta;
use crate::queries::html::{
    ClientTags, HtmlEntries, INDEX_HTML_ID, entry_html, html_entries, page_injection,
};
use crate::queries::parsed::parsed_module;
use crate::queries::resolve::{ResolvedImport, resolved_imports};
use crate::telemetry::Phase;
use crate::timing::PhaseTimes;
use crate::transform::HotFacts;
use crate::warm_up::{warm_up, warm_up_lazy, warm_up_modules};
use hotloop_protocol::{Diagnostic, DiagnosticKind, PageInjection, Statement};

use super::EngineHost;
use super::publish::ServedState;

/// The outcome of one `build`.
#[derive(Clone, Debug)]
pub struct BuildResult {
    /// The module graph. The same `Arc` as the previous build's when its structure did not
    /// change.
    pub(crate) graph: Arc<ProjectGraph>,
    /// Modules whose chunk entry (code or deps map) changed since the last build, including
    /// new modules; on the first build, every module. Sorted.
    pub changed: Vec<ModuleIndex>,
    /// Of `changed`, the modules of the last build's graph that had never compiled (see
    /// `plan::Changes::first_compiled`). Sorted.
    pub first_compiled: Vec<ModuleIndex>,
    /// Modules back in the graph with the code the page holds of them, kept there for a
    /// failing importer (`held_removals.rs`): not changed, so nothing runs them again, but
    /// sent with the update for the pages loaded since, which lack them. Sorted.
    pub returned: Vec<ModuleIndex>,
    /// Ids of modules that left the graph since the last build.
    pub removed: Vec<Arc<str>>,
    /// Every current diagnostic: `index.html` first, then modules in graph order.
    pub diagnostics: Arc<[Diagnostic]>,
    /// The served HTML changed since the last build (never on the first build).
    pub html_changed: bool,
    /// The pages whose served HTML changed (or that were deleted), by module id: `/index.html`,
    /// a multi-page app's other pages. Empty unless `html_changed`.
    pub changed_pages: Vec<Arc<str>>,
    /// When only other pages than `index.html` changed: the lazy chunks of their entries, whose
    /// tabs the reload is for (`pages::reload_only_for`); `None`: every tab.
    pub reload_only_for: Option<Vec<Arc<str>>>,
    /// A config file that changes how every module resolves or what the page gets
    /// (`tsconfig.json`, a `.env` file, the vite.config) changed since the last build: the
    /// pages reload.
    pub config_changed: Option<Arc<str>>,
    /// A `package.json` or an install (its marker, `node_modules/.package-lock.json`) changed
    /// since the last build: what resolves differently is built again and the pages get it as
    /// an edit's update (no reload for a script added to `package.json` or a package installed
    /// that nothing imports yet, as under Vite), but the app's server restarts (Node loads its
    /// packages itself).
    pub packages_changed: Option<Arc<str>>,
    /// Where the build's time went (exclusive time per phase; see `timing`).
    pub phases: PhaseTimes,
}

impl BuildResult {
    /// The module graph of this build (plain data: ids, kinds, edges, HMR facts).
    pub fn graph(&self) -> &ModuleGraph {
        &self.graph.graph
    }

    /// Whether the graph's structure changed since `other` (cheap: the build keeps the `Arc`
    /// when it did not).
    pub fn same_graph(&self, other: &BuildResult) -> bool {
        Arc::ptr_eq(&self.graph, &other.graph)
    }
}

#[derive(Clone)]
pub(super) struct ModuleState {
    pub(super) entry: Option<Statement>,
    pub(super) resolved: Arc<[ResolvedImport]>,
    pub(super) hot: HotFacts,
    pub(super) diagnostics: Arc<[Diagnostic]>,
    /// What it exports, as a hash: when that changes, its importers' diagnostics are looked
    /// at again (see `recheck_importers`).
    pub(super) exports: Option<ExportsSeen>,
    /// The files its plugins watched (see the module docs).
    pub(super) watched: Arc<[SourceFile]>,
}

/// Every diagnostic of `file` in the page's graph: its own (`module_diagnostics`), then the
/// names its imports take that are not exported (untracked: `queries::exports`).
fn page_diagnostics(db: &dyn crate::db::Db, file: SourceFile) -> Arc<[Diagnostic]> {
    with_links(
        module_diagnostics(db, file),
        link_diagnostics(db, EnvironmentKind::Page, file),
    )
}

impl ModuleState {
    /// What the build sees of `file` now.
    fn of(db: &dyn crate::db::Db, file: SourceFile) -> ModuleState {
        ModuleState {
            entry: chunk_entry(db, file),
            resolved: resolved_imports(db, file),
            hot: hot_meta(db, file).clone(),
            diagnostics: page_diagnostics(db, file),
            exports: exports_seen(db, EnvironmentKind::Page, file),
            watched: parsed_module(db, file).watched.clone(),
        }
    }
}

pub(super) struct BuildState {
    pub(super) graph: Arc<ProjectGraph>,
    pub(super) modules: Vec<ModuleState>,
    pub(super) chunk: Arc<ChunkLayout>,
    pub(super) html: Arc<str>,
    /// The other pages as served (`EngineHost::open_pages`).
    pub(super) pages: Vec<super::pages::OpenPage>,
    /// The HTML pages' diagnostics (an entry script that does not exist), `index.html`'s
    /// first (`EngineHost::html_diagnostics`).
    pub(super) html_diagnostics: Vec<Diagnostic>,
    pub(super) html_entries: Arc<HtmlEntries>,
    /// The client as the server injects it into the app server's HTML (from `html` and
    /// `html_entries`).
    pub(super) injection: Arc<PageInjection>,
    /// `import.meta.env` additions from `.env` files, passed to `start`.
    pub(super) env: Arc<PublicEnv>,
    /// The config's `define` set on `globalThis`, the chunk trailer's first statement
    /// (`transform::global_assignments`; the options change only with the epoch).
    pub(super) define_globals: Arc<str>,
    /// The config's `import.meta.env.NAME` defines as a function of the `.env` variables, for
    /// `start`'s `env` (`transform::env_assignments`); empty when it has none.
    pub(super) env_defines: Arc<str>,
    /// Modules with diagnostics, in index order.
    pub(super) with_diagnostics: BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
    pub(super) diagnostics: Arc<[Diagnostic]>,
    pub(super) served: ServedState,
    /// A watched file → the modules whose plugins watched it (the reverse of
    /// `ModuleState::watched`).
    pub(super) watchers: FxHashMap<SourceFile, Vec<ModuleIndex>>,
}

impl EngineHost {
    /// Brings the compiled state up to date with the inputs (see the module docs for what it
    /// costs).
    pub fn build(&mut self) -> BuildResult {
        let _span = tracing::debug_span!("build").entered();
        // Time spent in queries outside a build (served snapshots, module code) is not the
        // build's.
        let _ = self.db.clock().take();
        let config_changed = self.pending.config_changed.take();
        let packages_changed = self.pending.packages_changed.take();
        // The server graph's build (`server.rs`) looks at what this one did.
        self.server_pending.epoch_moved |= self.pending.epoch_moved || config_changed.is_some();
        for &file in &self.pending.dirty {
            self.server_pending.mark(file);
        }
        let mut result = self.build_inner();
        result.config_changed = config_changed;
        result.packages_changed = packages_changed;
        result.phases = self.db.clock().take();
        result
    }

    /// The cold build is over (the page's, and the server graph's first when there is one):
    /// reports the compile cache's reuse and prunes the entries this session did not use; with
    /// nothing behind an `import()` left to compile, drops the path caches (see
    /// `drop_path_caches`).
    pub(super) fn cold_build_done(&self) {
        let cache = self.db.compile_cache();
        if let Some(dir) = cache.dir() {
            let stats = cache.stats();
            let kept = match self.db.plugin_confirmations().len() {
                0 => String::new(),
                n => format!(
                    ", {n} plugin output{} kept from the last session (the plugins confirm \
                     them once a page has rendered)",
                    if n == 1 { "" } else { "s" }
                ),
            };
            tracing::info!(
                "compile cache: {} of {} scripts reused{kept} from {}",
                stats.hits,
                stats.hits + stats.misses,
                dir.display()
            );
            // What only lazy chunks use is not compiled yet: pruning waits until it is
            // (`prune_compile_cache`, after the background warm-up), or when nothing is behind
            // an `import()`.
            if self.pending_lazy_targets().is_empty() {
                cache.prune_unused();
            }
        }
        if self.pending_lazy_targets().is_empty() {
            self.drop_path_caches();
        }
    }

    fn build_inner(&mut self) -> BuildResult {
        let pending = std::mem::take(&mut self.pending);
        let Some(prev) = self.state.take() else {
            warm_up(&self.db, self.project);
            let result = self.full_build(None);
            // With a server graph, its first build (`build_server`) reads the cache too: the
            // prune waits for it, or it would delete every server-only module's entry.
            if !self.has_server() {
                self.cold_build_done();
            }
            return result;
        };
        if pending.epoch_moved || pending.html_changed || pending.pages_changed {
            if pending.epoch_moved {
                warm_up(&self.db, self.project);
            } else if !pending.lazy_added.is_empty() {
                // A page opened: its entries' lazy chunks, on all cores.
                let _clock = self.db.clock().enter(Phase::Lazy, "build.page");
                warm_up_lazy(&self.db, self.project, pending.lazy_added, &prev.graph);
            }
            return self.full_build(Some(prev));
        }
        if !pending.lazy_added.is_empty() {
            // A page asked for a lazy chunk: compile its modules (on all cores), then append
            // them to the graph. Only the new modules' queries are demanded (see the module
            // docs); with an edit in the same batch, or a new worker, the graph is walked anew.
            // Not for what the background warm-up compiled (and no file changed since): the
            // build finds it memoized, and the lazy compile phase stays empty.
            let cold: Vec<SourceFile> = pending
                .lazy_added
                .iter()
                .copied()
                .filter(|&file| !self.lazy_target_warm(file))
                .collect();
            if !cold.is_empty() {
                let _clock = self.db.clock().enter(Phase::Lazy, "build.lazy");
                warm_up_lazy(&self.db, self.project, cold, &prev.graph);
            }
            if pending.dirty.is_empty() {
                let roots = self.project.lazy_roots(&self.db);
                if let Some(graph) = extend_with_lazy_roots(&self.db, &prev.graph, roots) {
                    return self.add_lazy_modules(prev, graph);
                }
            }
            return self.full_build(Some(prev));
        }
        let db = &self.db;
        let check = db.clock().enter(Phase::Resolve, "build.check_structure");
        let mut touched: Vec<(ModuleIndex, SourceFile)> = Vec::new();
        // The edited modules, and those whose plugins watched an edited file (see the module
        // docs). A file in neither is no module's: only a change in some module's imports can
        // bring it in, and that module is dirty itself.
        let mut candidates: Vec<(ModuleIndex, SourceFile)> = Vec::new();
        for &file in &pending.dirty {
            if let Some(index) = prev.graph.index_of_file(file) {
                candidates.push((index, file));
                // Its `import.meta.glob` modules: their code is made from its calls (a pattern
                // edited lists other files), not from a text of their own. Not while it does
                // not compile: its calls are unknown then, and the glob modules keep their code.
                let path = file.path(db);
                let globs: Vec<(ModuleIndex, SourceFile)> = prev
                    .graph
                    .graph
                    .imports(index)
                    .iter()
                    .map(|&import| (import, prev.graph.files[import.idx()]))
                    .filter(|(_, glob)| {
                        glob_module_of_path(glob.path(db)).is_some_and(|(of, _)| *of == **path)
                    })
                    .collect();
                if !globs.is_empty() && chunk_entry(db, file).is_some() {
                    candidates.extend(globs);
                }
            }
            for &index in prev.watchers.get(&file).into_iter().flatten() {
                candidates.push((index, prev.graph.files[index.idx()]));
            }
        }
        candidates.sort_by_key(|&(index, _)| index);
        candidates.dedup_by_key(|&mut (index, _)| index);
        drop(check);
        {
            // Several modules that only watched the edited files (the sheets one Sass partial
            // feeds): compiled at once, then looked at in turn. Not when an edited file is a
            // module itself: its compile may leave plugin state that the others are made from
            // (plugin-vue's `<i18n>` block from the `.vue` file's descriptor, vanilla-extract's
            // sheets from the `.css.ts` files they evaluate), so all compile in graph order,
            // below, as the plugins expect; nor one another candidate imports.
            let _clock = db.clock().enter(Phase::Parse, "build.warm_up_modules");
            let edited_module = candidates
                .iter()
                .any(|(_, file)| pending.dirty.contains(file));
            let imported_by_another = |index: ModuleIndex| {
                prev.graph
                    .graph
                    .importers(index)
                    .iter()
                    .any(|importer| candidates.iter().any(|&(c, _)| c == *importer))
            };
            if !edited_module {
                warm_up_modules(
                    db,
                    candidates
                        .iter()
                        .filter(|&&(index, _)| !imported_by_another(index))
                        .map(|&(_, file)| file)
                        .collect(),
                );
            }
        }
        let check = db.clock().enter(Phase::Resolve, "build.check_structure");
        for (index, file) in candidates {
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
        let mut result = self.update_modules(prev, &touched);
        // A module held in the page for a failing importer goes once none fails, also when
        // that takes no change of the graph (the importer's other import compiles now).
        if !self.held_removals.is_empty() {
            let held_before = std::mem::take(&mut self.held_removals);
            let (removed, held) = self.removals(held_before, Vec::new());
            self.held_removals = held;
            result.removed = removed;
        }
        result
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
        let mut first_compiled = Vec::new();
        let mut diagnostics_changed = false;
        let mut exports_changed = Vec::new();
        for &(index, file) in touched {
            let entry = chunk_entry(db, file);
            let diagnostics = page_diagnostics(db, file);
            let watched = parsed_module(db, file).watched.clone();
            let exports = exports_seen(db, EnvironmentKind::Page, file);
            let module = &mut state.modules[index.idx()];
            // A module that stopped compiling keeps its last good exports, as its code.
            if entry.is_some() && exports != module.exports {
                module.exports = exports;
                exports_changed.push(index);
            }
            if watched != module.watched {
                for old in module.watched.iter() {
                    if let Some(list) = state.watchers.get_mut(old) {
                        list.retain(|&i| i != index);
                    }
                }
                for &new in watched.iter() {
                    state.watchers.entry(new).or_default().push(index);
                }
                module.watched = watched;
            }
            // A module that stopped compiling keeps its last good entry (see `build`).
            if entry.is_some() && entry != module.entry {
                if module.entry.is_none() {
                    first_compiled.push(index);
                }
                module.entry = entry;
                changed.push(index);
                state.served.stale_parts.push(index);
                state.served.stale_modules.push(index);
                if !state
                    .graph
                    .graph
                    .module(index)
                    .environments
                    .iter()
                    .all(|env| env == EnvIndex::PAGE)
                {
                    state.served.workers = None;
                }
            }
            diagnostics_changed |= update_diagnostics(
                &mut module.diagnostics,
                &mut state.with_diagnostics,
                index,
                diagnostics,
            );
        }
        diagnostics_changed |= recheck_importers(
            &state.graph,
            &mut state.modules,
            &mut state.with_diagnostics,
            &exports_changed,
            |file| page_diagnostics(db, file),
        );
        if diagnostics_changed {
            state.diagnostics =
                collect_diagnostics(&state.html_diagnostics, &state.env, &state.with_diagnostics);
        }
        changed.sort();
        first_compiled.sort();
        let result = BuildResult {
            graph: state.graph.clone(),
            changed,
            first_compiled,
            returned: Vec::new(),
            removed: Vec::new(),
            diagnostics: state.diagnostics.clone(),
            html_changed: false,
            changed_pages: Vec::new(),
            reload_only_for: None,
            config_changed: None,
            packages_changed: None,
            phases: PhaseTimes::default(),
        };
        self.state = Some(state);
        result
    }

    /// A page's lazy request: `graph` is `state`'s graph with the requested chunks' modules
    /// appended (`extend_with_lazy_roots`). Looks at the new modules only; the served snapshot
    /// takes them in and builds only the new lazy chunks (`ServedState::grew`).
    fn add_lazy_modules(&mut self, mut state: BuildState, graph: Arc<ProjectGraph>) -> BuildResult {
        let _span = tracing::debug_span!("add_lazy_modules").entered();
        let db = &self.db;
        let _clock = db.clock().enter(Phase::Graph, "build.add_lazy_modules");
        let layout = extend_layout(db, &state.chunk, &graph);
        let old_len = state.modules.len();
        // Exactly: a page's lazy chunks come one at a time, and a doubled capacity would hold
        // up to one empty `ModuleState` per module on top of the graph (~200 bytes each).
        state
            .modules
            .reserve_exact(graph.files.len().saturating_sub(old_len));
        let mut changed = Vec::new();
        let mut diagnostics_changed = false;
        for (i, &file) in graph.files.iter().enumerate().skip(old_len) {
            let index = ModuleIndex(i as u32);
            let module = ModuleState::of(db, file);
            for &watched in module.watched.iter() {
                state.watchers.entry(watched).or_default().push(index);
            }
            if !module.diagnostics.is_empty() {
                state
                    .with_diagnostics
                    .insert(index, module.diagnostics.clone());
                diagnostics_changed = true;
            }
            state.modules.push(module);
            changed.push(index);
        }
        if diagnostics_changed {
            state.diagnostics =
                collect_diagnostics(&state.html_diagnostics, &state.env, &state.with_diagnostics);
        }
        tracing::debug!(
            modules = graph.len(),
            added = changed.len(),
            "took lazy modules in"
        );
        state.served.grew(old_len, graph.len());
        state.graph = graph.clone();
        state.chunk = layout;
        let result = BuildResult {
            graph,
            changed,
            first_compiled: Vec::new(),
            returned: Vec::new(),
            removed: Vec::new(),
            diagnostics: state.diagnostics.clone(),
            html_changed: false,
            changed_pages: Vec::new(),
            reload_only_for: None,
            config_changed: None,
            packages_changed: None,
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
        let pages = self.open_pages();
        let env = public_env(db, project);
        let define_globals: Arc<str> =
            crate::transform::global_assignments(&project.options(db).define).into();
        let env_defines: Arc<str> =
            crate::transform::env_assignments(&project.options(db).define).into();

        let mut old: FxHashMap<SourceFile, ModuleState> = FxHashMap::default();
        let mut changed_pages: Vec<Arc<str>> = Vec::new();
        let mut reload_only_for = None;
        if let Some(prev) = &prev {
            if prev.html != html {
                changed_pages.push(Arc::from(INDEX_HTML_ID));
            }
            // A page opened since is no change; one edited or deleted is.
            for page in &prev.pages {
                if pages
                    .iter()
                    .find(|new| new.id == page.id)
                    .is_none_or(|new| new.html != page.html)
                {
                    changed_pages.push(page.id.clone());
                }
            }
            if !changed_pages.is_empty() {
                reload_only_for =
                    super::pages::reload_only_for(&changed_pages, &prev.pages, &prev.graph);
            }
            for (file, module) in prev.graph.files.iter().zip(&prev.modules) {
                old.insert(*file, module.clone());
            }
        }
        let mut modules = Vec::with_capacity(graph.len());
        let mut changed = Vec::new();
        let mut first_compiled = Vec::new();
        let mut returned = Vec::new();
        let mut with_diagnostics = BTreeMap::new();
        let mut watchers: FxHashMap<SourceFile, Vec<ModuleIndex>> = FxHashMap::default();
        for (i, &file) in graph.files.iter().enumerate() {
            let index = ModuleIndex(i as u32);
            let mut state = ModuleState::of(db, file);
            for &watched in state.watched.iter() {
                watchers.entry(watched).or_default().push(index);
            }
            match old.get(&file) {
                Some(o) if o.entry == state.entry => {}
                // A module that stopped compiling keeps its last good entry and exports, as in
                // `update_modules`: the page runs that code, and its fix is an update of it, not
                // a first compile (which nothing in the page would accept: a stylesheet whose
                // deleted `@import` came back reloaded the page).
                Some(o) if state.entry.is_none() && o.entry.is_some() => {
                    state.entry = o.entry.clone();
                    state.exports = o.exports;
                }
                Some(o) => {
                    if o.entry.is_none() {
                        first_compiled.push(index);
                    }
                    changed.push(index);
                }
                // (The same code as the page holds of a module kept for a failing importer
                // is no change: see `held_with`.)
                None if self.held_with(file, state.entry.as_ref()) => returned.push(index),
                None => changed.push(index),
            }
            if !state.diagnostics.is_empty() {
                with_diagnostics.insert(index, state.diagnostics.clone());
            }
            modules.push(state);
        }
        let dropped = match &prev {
            Some(prev) => super::held_removals::dropped(&prev.graph, &prev.modules, &graph),
            None => Vec::new(),
        };
        // Keep the previous graph `Arc` when the structure came out the same.
        let graph = match &prev {
            Some(prev) if prev.graph == graph => prev.graph.clone(),
            _ => graph,
        };
        let html_diagnostics = self.html_diagnostics(&entries);
        let diagnostics = collect_diagnostics(&html_diagnostics, &env, &with_diagnostics);
        let injection = match &prev {
            Some(prev) if prev.html == html && prev.html_entries == entries => {
                prev.injection.clone()
            }
            _ => Arc::new(page_injection(
                &self.root,
                &entries,
                &html,
                &ClientTags::of(&self.db, self.project),
            )),
        };
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
            pages,
            html_diagnostics,
            html_entries: entries,
            injection,
            env,
            define_globals,
            env_defines,
            with_diagnostics,
            diagnostics: diagnostics.clone(),
            watchers,
        });
        let held_before = std::mem::take(&mut self.held_removals);
        let (removed, held) = self.removals(held_before, dropped);
        self.held_removals = held;
        BuildResult {
            graph,
            changed,
            first_compiled,
            returned,
            removed,
            diagnostics,
            html_changed: !changed_pages.is_empty(),
            changed_pages,
            reload_only_for,
            config_changed: None,
            packages_changed: None,
            phases: PhaseTimes::default(),
        }
    }
}

/// What `recheck_importers` reads and writes of a module's last build state (the page's
/// `ModuleState`, the server graph's `ServerModule`).
pub(super) trait ExportsAndDiagnostics {
    fn exports(&self) -> Option<ExportsSeen>;
    fn diagnostics_mut(&mut self) -> &mut Arc<[Diagnostic]>;
}

impl ExportsAndDiagnostics for ModuleState {
    fn exports(&self) -> Option<ExportsSeen> {
        self.exports
    }
    fn diagnostics_mut(&mut self) -> &mut Arc<[Diagnostic]> {
        &mut self.diagnostics
    }
}

/// Looks again at the diagnostics of the modules `importers_to_check` names for
/// `exports_changed` (`diagnostics_of`: a module's own and its imports' missing names, in the
/// graph's environment); true when some changed.
pub(super) fn recheck_importers<M: ExportsAndDiagnostics>(
    graph: &ProjectGraph,
    modules: &mut [M],
    with_diagnostics: &mut BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
    exports_changed: &[ModuleIndex],
    diagnostics_of: impl Fn(SourceFile) -> Arc<[Diagnostic]>,
) -> bool {
    let importers = importers_to_check(&graph.graph, exports_changed, |i| {
        modules[i.idx()].exports().is_some_and(|e| e.re_exports_all)
    });
    let mut changed = false;
    for index in importers {
        changed |= update_diagnostics(
            modules[index.idx()].diagnostics_mut(),
            with_diagnostics,
            index,
            diagnostics_of(graph.files[index.idx()]),
        );
    }
    changed
}

/// The modules whose diagnostics may change when the exports of `changed` did (an import of a
/// name they no longer export, or now do): their importers, and, through a module that
/// `re_exports_all` (`export * from`), its importers too. Without `changed`, none: a body edit
/// looks at no other module.
fn importers_to_check(
    graph: &ModuleGraph,
    changed: &[ModuleIndex],
    re_exports_all: impl Fn(ModuleIndex) -> bool,
) -> Vec<ModuleIndex> {
    let mut out: Vec<ModuleIndex> = Vec::new();
    let mut seen: FxHashSet<ModuleIndex> = changed.iter().copied().collect();
    let mut stack = changed.to_vec();
    while let Some(index) = stack.pop() {
        for &importer in graph.importers(index) {
            if !seen.insert(importer) {
                continue;
            }
            out.push(importer);
            if re_exports_all(importer) {
                stack.push(importer);
            }
        }
    }
    out
}

/// Records a module's new `diagnostics` in its state and in the index of modules with
/// diagnostics (the page's build and the server graph's keep the same two); true when they
/// changed.
pub(super) fn update_diagnostics(
    held: &mut Arc<[Diagnostic]>,
    with_diagnostics: &mut BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
    index: ModuleIndex,
    diagnostics: Arc<[Diagnostic]>,
) -> bool {
    if diagnostics == *held {
        return false;
    }
    *held = diagnostics.clone();
    if diagnostics.is_empty() {
        with_diagnostics.remove(&index);
    } else {
        with_diagnostics.insert(index, diagnostics);
    }
    true
}

fn collect_diagnostics(
    html: &[Diagnostic],
    env: &PublicEnv,
    modules: &BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
) -> Arc<[Diagnostic]> {
    let mut seen: FxHashSet<&Diagnostic> = FxHashSet::default();
    let mut plugin_failed: FxHashSet<&str> = FxHashSet::default();
    html.iter()
        .chain(&env.diagnostics)
        .chain(modules.values().flat_map(|d| d.iter()))
        // One problem once: a plugin's failure in one file can fail the modules it makes from
        // that file too (vite-plugin-qwik's segments of a component that does not parse; a
        // `.vue` file vite-plugin-vue-inspector cannot parse, and its blocks plugin-vue then
        // cannot load; a `.svelte` file that does not compile, whose style module
        // vite-plugin-svelte then has nothing for): a file's first plugin failure stands for
        // them (its query sub-modules' included), as under Vite, where the page never asks for
        // the rest.
        .filter(|d| seen.insert(*d))
        .filter(|d| {
            let file = d.file.split('?').next().unwrap_or(&d.file);
            d.kind != DiagnosticKind::Transform || plugin_failed.insert(file)
        })
        .cloned()
        .collect()
}
