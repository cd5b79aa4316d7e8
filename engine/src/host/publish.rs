//! Assembling the `Served` snapshot from the build state. Both of its big collections are
//! persistent, so a revision that changed k modules costs O(k log N), whatever the project's
//! size; after a full build, O(N) reusing every module's `Arc`s. A lazy chunk taken in adds its
//! modules and its chunk to the last snapshot's (`ServedState::grew`): O(its modules).
//!
//! The collections are `imbl`'s: copying a plain list and map cost 3.4 ms per edit at 50,000
//! modules. A requested lazy chunk is published at the same revision (`DevLoop::on_lazy_request`):
//! no page needs anything else.

use std::sync::Arc;

use crate::db::EngineDb;
use crate::environment::EnvironmentKind;
use crate::graph::ModuleIndex;
use crate::inputs::{DEFAULT_MODE, ProjectOptions};
use crate::js_literal::{push_json_object, push_json_string};
use crate::queries::emit::{EMPTY_MODULE_ID, empty_module_entry};
use crate::queries::graph::ProjectGraph;
use crate::queries::html::{ClientTags, entry_html, html_entries, page_injection};
use crate::queries::parsed::parsed_module;
use hotloop_protocol::served::{
    Chunk, LazyChunks, Parts, Served, ServedModule, ServedModules, WorkerChunks,
};

/// What `served()` has built from this state, and what it must bring up to date. Both
/// collections are persistent, so handing them to a snapshot is O(1) and a revision that changed
/// k modules costs O(k log N), whatever the project's size.
use super::EngineHost;
use super::build::BuildState;
use super::observe::cached_source_dirs;
use super::stylesheets::{Memo, served_stylesheet, with_importing_stylesheets};

#[derive(Default)]
pub(super) struct ServedState {
    /// Chunk parts, one per module of `chunk.order` (after the empty module when it is used);
    /// `None` = build from `chunk.order` and the module entries.
    pub(super) parts: Option<Parts>,
    /// Where each module of the graph sits in `parts` (`NOT_IN_CHUNK`: not reachable from an
    /// entry), filled with `parts`.
    pub(super) positions: Vec<u32>,
    /// Modules whose entry changed since `parts` was brought up to date.
    pub(super) stale_parts: Vec<ModuleIndex>,
    /// `None` = build every module.
    pub(super) modules: Option<ServedModules>,
    /// Modules to refresh in `modules`.
    pub(super) stale_modules: Vec<ModuleIndex>,
    pub(super) chunk: Option<(Arc<str>, u32, Arc<Chunk>)>,
    /// The workers' chunks; `None` = build them (after a full build, or an edit to a module
    /// that runs in a worker).
    pub(super) workers: Option<WorkerChunks>,
    /// The page's lazy chunks; `None` = build them (after a full build, or an edit to a
    /// module outside the page's chunk).
    pub(super) lazy: Option<Arc<LazyChunks>>,
    /// Lazy chunks were added to the layout since `lazy` was built (see [`ServedState::grew`]):
    /// build those and keep the others.
    pub(super) lazy_grew: bool,
    /// Modules outside the page's chunk whose entry changed since `lazy` was built: their
    /// statements go into the lazy chunks that hold them.
    pub(super) stale_lazy: Vec<ModuleIndex>,
    /// The source directories outside the root (see `EngineHost::source_dirs_outside_root`),
    /// and how many of the graph's modules they were found from (the first ones: lazy chunks
    /// append theirs); `None` = compute them (after a full build).
    pub(super) source_roots: Option<(Arc<[std::path::PathBuf]>, usize)>,
    /// Bytes the define statements in `parts` hold besides the factories they share.
    pub(super) parts_bytes: u64,
    /// Bytes of code and maps in `modules`, kept up to date as entries change.
    pub(super) module_bytes: HeldBytes,
}

/// Bytes of emitted code and source maps the host holds for serving (see
/// [`EngineHost::held_bytes`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeldBytes {
    /// Factory code of every served module plus the heads and tails of the chunk's define
    /// statements (which share the factories).
    pub code: u64,
    /// Per-module source maps.
    pub maps: u64,
}

/// `(factory code, source map)` bytes of one served module.
fn served_module_bytes(module: &ServedModule) -> (u64, u64) {
    (
        module.code.len() as u64,
        module.map.as_ref().map_or(0, |m| m.held_bytes() as u64),
    )
}

impl ServedState {
    /// The graph grew from `old_len` to `new_len` modules by lazy chunks taken in (none in the
    /// page's chunk or a worker's): the new modules go into `modules` and their chunks into
    /// `lazy` at the next snapshot; the rest is kept. O(new modules).
    pub(super) fn grew(&mut self, old_len: usize, new_len: usize) {
        if !self.positions.is_empty() {
            self.positions.resize(new_len, NOT_IN_CHUNK);
        }
        self.stale_modules
            .extend((old_len..new_len).map(|i| ModuleIndex(i as u32)));
        // A new module may live in a linked package outside the root: `cached_source_dirs`
        // looks at the new ones.
        self.lazy_grew = true;
    }
}

/// A module's place in the served chunk when it is not in the chunk.
pub(super) const NOT_IN_CHUNK: u32 = u32::MAX;

/// `parts` and `served.positions` from scratch: O(modules), after a full build.
fn build_parts(state: &mut BuildState) -> Parts {
    let layout = state.chunk.clone();
    let (order, uses_empty_module) = layout.page().map_or((&[][..], false), |page| {
        (&page.order[..], page.uses_empty_module)
    });
    let parts = define_parts(state, order, uses_empty_module);
    let served = &mut state.served;
    served.positions = vec![NOT_IN_CHUNK; state.modules.len()];
    let first = u32::from(uses_empty_module);
    for (position, &index) in (first..).zip(order.iter()) {
        served.positions[index.idx()] = position;
    }
    served.parts_bytes = parts.iter().map(|(_, s)| s.own_len() as u64).sum();
    served.stale_parts.clear();
    parts
}

/// The define statements of the modules of `order` (after the empty module's, when used). A
/// module that never compiled keeps its place with an empty statement, so one that starts
/// compiling later is an update in place, not an insertion.
fn define_parts(state: &BuildState, order: &[ModuleIndex], uses_empty_module: bool) -> Parts {
    let mut parts = Parts::new();
    if uses_empty_module {
        parts.push_back((EMPTY_MODULE_ID.into(), empty_module_entry()));
    }
    for &index in order {
        let entry = state.modules[index.idx()].entry.clone();
        let id = state.graph.module(index).id.clone();
        parts.push_back((id, entry.unwrap_or_default()));
    }
    parts
}

/// The workers' chunks: each worker environment's modules in its chunk's order, then
/// `__hotloop.start([id], { worker: true, ... })`. O(modules the workers reach).
fn worker_chunks(state: &BuildState, options: &ProjectOptions) -> WorkerChunks {
    state
        .chunk
        .environments
        .iter()
        .filter(|env| env.kind == EnvironmentKind::Worker)
        .map(|worker| {
            let parts = define_parts(state, &worker.order, worker.uses_empty_module);
            let mut trailer = String::from("__hotloop.start([");
            push_json_string(&mut trailer, &worker.name);
            trailer.push_str("], {");
            trailer.push_str(worker.kind.start_option().unwrap_or_default());
            push_start_env(&mut trailer, options, state);
            trailer.push_str("});\n//# sourceMappingURL=");
            trailer.push_str(&crate::transform::worker_map_url(&worker.name));
            trailer.push('\n');
            (worker.name.clone(), Arc::new(Chunk::new(parts, trailer)))
        })
        .collect()
}

/// The chunk's trailer: the config's `define` set on `globalThis` (as Vite's client sets it,
/// `BuildState::define_globals`), the start statement (`__hotloop.start([entries], {
/// revision, serverId, ... })`) and the chunk's map line. `buildErrors`: the build has errors,
/// which the server sends right after its hello; the runtime holds a start failure on a module
/// the page lacks (one that did not compile) until then, so the overlay names the build
/// error, not its consequence.
pub(super) fn start_trailer(
    state: &BuildState,
    options: &ProjectOptions,
    root: &std::path::Path,
    revision: u32,
    server_id: &str,
) -> String {
    let mut trailer = String::from(&*state.define_globals);
    trailer.push_str("__hotloop.start([");
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
    if !state.diagnostics.is_empty() {
        trailer.push_str(",\"buildErrors\":true");
    }
    // With plugins: the page names a module to them as Vite does, by its file's path
    // (`window.__getReactRefreshIgnoredExports({ id })`, `runtime/js/react-refresh.js`).
    if options.plugins_fingerprint != 0 {
        trailer.push_str(",\"root\":");
        push_json_string(&mut trailer, &root.to_string_lossy());
    }
    push_start_env(&mut trailer, options, state);
    trailer.push_str("});\n//# sourceMappingURL=chunk.js.map\n");
    trailer
}

/// The start call's `mode` and `base` (unless they are the defaults), `overlay: false` (the
/// config's `server.hmr.overlay`) and `.env` variables (with the config's `import.meta.env.*`
/// defines).
fn push_start_env(trailer: &mut String, options: &ProjectOptions, state: &BuildState) {
    if !options.error_overlay {
        trailer.push_str(",\"overlay\":false");
    }
    push_import_meta_env(trailer, options, state);
}

/// The start call's `mode` and `base` (unless they are the defaults) and `.env` variables
/// (with the config's `import.meta.env.*` defines): `import.meta.env` on a page, and in the
/// app's server, as Vite's SSR gives it the same variables.
pub(super) fn push_import_meta_env(
    trailer: &mut String,
    options: &ProjectOptions,
    state: &BuildState,
) {
    if options.mode != DEFAULT_MODE {
        trailer.push_str(",\"mode\":");
        push_json_string(trailer, &options.mode);
    }
    if options.base != "/" {
        trailer.push_str(",\"base\":");
        push_json_string(trailer, &options.base);
    }
    // The config's `import.meta.env.NAME` defines join the variables, as under Vite (a function
    // of them: the values are code).
    let defined = &*state.env_defines;
    let env = &state.env;
    if !env.vars.is_empty() || !defined.is_empty() {
        trailer.push_str(",\"env\":");
        if !defined.is_empty() {
            trailer.push('(');
            trailer.push_str(defined);
            trailer.push_str(")(");
        }
        push_json_object(
            trailer,
            env.vars.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))),
        );
        if !defined.is_empty() {
            trailer.push(')');
        }
    }
}

/// The page's lazy chunks: each one's define statements, then its map's URL; and the
/// targets not compiled yet. O(modules of the lazy chunks), after a full build; given the last
/// ones (`prev`), O(modules of the chunks added since), plus `stale` (sorted: modules whose
/// entry changed since `prev`) put into the kept chunks that hold them (`patch_ready`).
fn lazy_chunks(state: &BuildState, prev: Option<&LazyChunks>, stale: &[ModuleIndex]) -> LazyChunks {
    let mut lazy = LazyChunks::default();
    if let Some(prev) = prev {
        lazy.ready = prev.ready.clone();
        patch_ready(state, &mut lazy.ready, stale);
    }
    for chunk in state.chunk.lazy.iter() {
        if lazy.ready.contains_key(&chunk.root) {
            continue;
        }
        let parts = define_parts(state, &chunk.order, chunk.uses_empty_module);
        let mut trailer = String::from("//# sourceMappingURL=lazy.js.map?id=");
        trailer.extend(percent_encoding::utf8_percent_encode(
            &chunk.root,
            percent_encoding::NON_ALPHANUMERIC,
        ));
        trailer.push('\n');
        lazy.ready
            .insert(chunk.root.clone(), Arc::new(Chunk::new(parts, trailer)));
    }
    for target in &state.graph.lazy_targets {
        if target.index.is_none() {
            lazy.pending.insert(target.id.clone());
        }
    }
    lazy
}

/// Puts the statements of the modules in `stale` (sorted) into the chunks of `ready` that hold
/// them (a chunk that holds none stays shared): O(lazy chunks × their modules) of index
/// look-ups, plus O(log modules) per statement put, where building the chunks anew took
/// O(their modules) of statements (2.5 ms for a leaf edit in a route of the 10,000-component
/// lazy-routes app).
fn patch_ready(
    state: &BuildState,
    ready: &mut rustc_hash::FxHashMap<Arc<str>, Arc<Chunk>>,
    stale: &[ModuleIndex],
) {
    if stale.is_empty() {
        return;
    }
    for layout in state.chunk.lazy.iter() {
        let Some(chunk) = ready.get_mut(&layout.root) else {
            continue;
        };
        let first = usize::from(layout.uses_empty_module);
        let mut parts: Option<Parts> = None;
        for (position, index) in layout.order.iter().enumerate() {
            if stale.binary_search(index).is_err() {
                continue;
            }
            let Some(entry) = state.modules[index.idx()].entry.clone() else {
                continue;
            };
            let id = state.graph.module(*index).id.clone();
            parts
                .get_or_insert_with(|| chunk.parts.clone())
                .set(first + position, (id, entry));
        }
        if let Some(parts) = parts {
            *chunk = Arc::new(Chunk::new(parts, chunk.trailer.clone()));
        }
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
            // In a lazy chunk (or a worker's, rebuilt whole: `served.workers`).
            served.stale_lazy.push(index);
            continue;
        }
        let Some(entry) = state.modules[index.idx()].entry.clone() else {
            continue;
        };
        let added = entry.own_len() as u64;
        let id = state.graph.module(index).id.clone();
        let (_, old) = parts.set(position as usize, (id, entry));
        served.parts_bytes = (served.parts_bytes + added).saturating_sub(old.own_len() as u64);
    }
}

impl EngineHost {
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
        let options = self.project.options(db);
        let Some(state) = self.state.as_mut() else {
            unreachable!("build() always leaves a state")
        };
        let workers = match &state.served.workers {
            Some(workers) => workers.clone(),
            None => {
                let workers = worker_chunks(state, options);
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
        let mut stale_lazy = std::mem::take(&mut state.served.stale_lazy);
        stale_lazy.sort_unstable();
        stale_lazy.dedup();
        let lazy = match &state.served.lazy {
            Some(lazy) if !state.served.lazy_grew && stale_lazy.is_empty() => lazy.clone(),
            prev => {
                let lazy = Arc::new(lazy_chunks(state, prev.as_deref(), &stale_lazy));
                state.served.lazy = Some(lazy.clone());
                state.served.lazy_grew = false;
                lazy
            }
        };
        state.served.parts = Some(parts.clone());
        // After a full build every module goes in; after an update, the changed ones.
        let (mut modules, refresh) = match state.served.modules.take() {
            Some(map) => (map, std::mem::take(&mut state.served.stale_modules)),
            None => {
                state.served.module_bytes = HeldBytes::default();
                state.served.stale_modules.clear();
                (ServedModules::default(), state.graph.indices().collect())
            }
        };
        let mut sheets = Memo::default();
        for index in with_importing_stylesheets(&state.graph, refresh) {
            insert_served_module(
                db,
                &state.graph,
                index,
                &mut modules,
                &mut state.served.module_bytes,
                &mut sheets,
            );
            self.published_sheets.record(
                db,
                &state.graph,
                index,
                modules.get(&state.graph.module(index).id).map(|m| &**m),
            );
        }
        state.served.modules = Some(modules.clone());
        let source_roots = cached_source_dirs(db, &self.root, state);
        let chunk = match &state.served.chunk {
            Some((id, rev, chunk))
                if id == server_id && *rev == revision && chunk.parts.ptr_eq(&parts) =>
            {
                chunk.clone()
            }
            _ => {
                let trailer = start_trailer(state, options, &self.root, revision, server_id);
                let chunk = Arc::new(Chunk::new(parts, trailer));
                state.served.chunk = Some((server_id.clone(), revision, chunk.clone()));
                chunk
            }
        };
        Served {
            server_id: server_id.clone(),
            revision,
            snapshot: 0,
            html: Some(state.html.clone()),
            chunk,
            workers,
            modules,
            errors: super::server::with_server_diagnostics(
                self.server.as_ref(),
                [self.config_error.as_ref(), self.server_failure.as_ref()],
                &state.diagnostics,
            ),
            building: false,
            last_session: false,
            first_revision: revision,
            resync: encode_resync(revision),
            recent: Default::default(),
            source_roots,
            injection: state.injection.clone(),
            lazy,
            pages: state
                .pages
                .iter()
                .map(|page| (page.id.clone(), page.html.clone()))
                .collect(),
        }
    }

    /// The snapshot to serve while the cold build runs: the entry HTML only (see
    /// [`Served::building`]). Cheap: reads `index.html`, compiles nothing.
    pub fn building(&self, server_id: &Arc<str>) -> Served {
        let html = entry_html(&self.db, self.project);
        let entries = html_entries(&self.db, self.project);
        let tags = ClientTags::of(&self.db, self.project);
        let injection = Arc::new(page_injection(&self.root, &entries, &html, &tags));
        Served {
            injection,
            ..Served::building(server_id.clone(), Some(html), encode_resync(0))
        }
    }

    /// [`EngineHost::building`] with the page of the last session as its chunk and its
    /// stylesheets as its modules (`Served::last_session`: the page, its pieces and its linked
    /// sheets served at once), when there is one to use (`last_session.rs`); read once, before
    /// the first build (~20 ms at 10,000 modules: the record's bytes and a stat per file).
    pub fn last_session_page(&mut self, server_id: &Arc<str>) -> Option<Served> {
        let building = self.building(server_id);
        let (chunk, sheets) = self.last_session_chunk(building.html.as_deref()?, server_id)?;
        // Only the stylesheets: what a `<link rel=stylesheet>` asks for while the build runs.
        let modules = sheets
            .into_iter()
            .map(|(id, text)| {
                let sheet = ServedModule {
                    kind: hotloop_protocol::ModuleKind::Css,
                    code: Arc::from(""),
                    map: None,
                    map_source: None,
                    stylesheet: Some(text),
                };
                (id, Arc::new(sheet))
            })
            .collect();
        Some(Served {
            last_session: true,
            first_revision: 0,
            chunk,
            modules,
            ..building
        })
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
}

fn insert_served_module(
    db: &EngineDb,
    graph: &ProjectGraph,
    index: ModuleIndex,
    map: &mut ServedModules,
    bytes: &mut HeldBytes,
    sheets: &mut Memo,
) {
    let module = graph.graph.module(index);
    let parsed = parsed_module(db, graph.file(index));
    let old = match &parsed.code {
        Some(code) => {
            let new = ServedModule {
                kind: module.kind,
                code: code.clone(),
                map: parsed.map.clone(),
                map_source: parsed.map_source.clone(),
                stylesheet: served_stylesheet(db, graph, index, sheets),
            };
            let (code, maps) = served_module_bytes(&new);
            bytes.code += code;
            bytes.maps += maps;
            map.insert(module.id.clone(), Arc::new(new))
        }
        None => map.remove(&module.id),
    };
    if let Some(old) = old {
        let (code, maps) = served_module_bytes(&old);
        bytes.code = bytes.code.saturating_sub(code);
        bytes.maps = bytes.maps.saturating_sub(maps);
    }
}

/// The reload a tab gets when its session fell behind the broadcast, as revision `revision`
/// (published in every snapshot; the server sends it, never choosing a reason itself).
fn encode_resync(revision: u32) -> Arc<[u8]> {
    let reason = crate::plan::client_out_of_sync();
    hotloop_protocol::wire::encode(&hotloop_protocol::ServerMessage::full_reload(
        revision, &reason,
    ))
    .into()
}
