//! The server graph's half of the host (server-side HMR, `ProjectOptions::server_entry`): its
//! build, its chunk (what the Node.js server process evaluates at start) and its modules'
//! code for update frames. The page's build (`build.rs`) and this one share the database: a
//! module both graphs reach is one input and one parse, with a deps map per environment.
//!
//! Like the page's build (`build.rs`), an edit that leaves every module's server imports and
//! hot facts alone looks only at the edited files (`server_pending`, filled by `build`): the
//! previous graph `Arc` and each module's last define statement, server imports, hot facts and
//! diagnostics are kept, and `server_graph` is not demanded (deep-validating it costs O(server
//! modules) even when nothing changed). It is demanded when an edited module's server imports
//! or hot facts differ, the resolution epoch moved or a config file changed.
//!
//! A server module waits instead of going to the app's server while a static import of it would
//! fail there or it takes part in an import of a name not exported (`server_waits`): the process
//! keeps its last good code and the overlay says why.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::environment::EnvironmentKind;
use crate::graph::{ModuleGraph, ModuleIndex};
use crate::inputs::SourceFile;
use crate::js_literal::push_json_string;
use crate::queries::diagnostics::server_module_diagnostics;
use crate::queries::emit::{
    external_entry, external_factory, server_chunk_entry, server_emitted_module, server_module_deps,
};
use crate::queries::exports::{ExportsSeen, exports_seen, link_diagnostics, with_links};
use crate::queries::graph::{ProjectGraph, server_graph};
use crate::queries::hot::server_hot_meta;
use crate::queries::parsed::server_parsed_module;
use crate::queries::resolve::{ResolvedImport, server_imports};
use crate::transform::HotFacts;
use hotloop_protocol::{Diagnostic, ModuleCode, ModuleMap, Statement};

use super::EngineHost;
use super::build::{ExportsAndDiagnostics, recheck_importers, update_diagnostics};
use super::node_maps::{ChunkMap, with_inline_map};
use crate::db::Db as _;
use crate::warm_up::warm_up_server;

/// The outcome of one server build.
#[derive(Clone, Debug)]
pub struct ServerBuild {
    pub(crate) graph: Arc<ProjectGraph>,
    /// Modules whose entry (code or deps map) changed since the last server build, including
    /// new modules; on the first build, every module. Sorted.
    pub changed: Vec<ModuleIndex>,
    /// Ids of modules that left the server graph.
    pub removed: Vec<Arc<str>>,
    /// Every diagnostic of the server graph's modules, in graph order.
    pub diagnostics: Arc<[Diagnostic]>,
    /// The graph's structure or its externals changed (a new chunk is due to a process that
    /// restarts; running ones take the update).
    pub graph_changed: bool,
}

impl ServerBuild {
    /// The server's module graph.
    pub fn graph(&self) -> &ModuleGraph {
        &self.graph.graph
    }

    /// The server entry's module id; `None` when it is not a module (missing).
    pub fn entry_id(&self) -> Option<&Arc<str>> {
        let entry = *self.graph.script_entries.first()?;
        Some(&self.graph.graph.module(entry).id)
    }

    /// How many npm packages and Node built-ins Node loads itself.
    pub fn externals(&self) -> usize {
        self.graph.externals.len()
    }
}

pub(super) struct ServerState {
    graph: Arc<ProjectGraph>,
    /// Index-aligned with the graph.
    modules: Vec<ServerModule>,
    /// Modules with diagnostics, in index order.
    with_diagnostics: BTreeMap<ModuleIndex, Arc<[Diagnostic]>>,
    diagnostics: Arc<[Diagnostic]>,
}

/// What the last server build saw of one module.
#[derive(Clone)]
struct ServerModule {
    /// The last good define statement.
    entry: Option<Statement>,
    /// The source map of `entry`'s factory.
    map: Option<ModuleMap>,
    resolved: Arc<[ResolvedImport]>,
    hot: HotFacts,
    diagnostics: Arc<[Diagnostic]>,
    /// What it exports (see `build::recheck_importers`).
    exports: Option<ExportsSeen>,
}

/// Every diagnostic of `file` in the server's graph (see `build::page_diagnostics`).
fn server_diagnostics(db: &dyn crate::db::Db, file: SourceFile) -> Arc<[Diagnostic]> {
    with_links(
        server_module_diagnostics(db, file),
        link_diagnostics(db, EnvironmentKind::Server, file),
    )
}

impl ExportsAndDiagnostics for ServerModule {
    fn exports(&self) -> Option<ExportsSeen> {
        self.exports
    }
    fn diagnostics_mut(&mut self) -> &mut Arc<[Diagnostic]> {
        &mut self.diagnostics
    }
}

impl EngineHost {
    /// Whether the project has a server entry (`--server`).
    pub fn has_server(&self) -> bool {
        self.project.options(&self.db).server_entry.is_some()
    }

    /// Whether `path` is a module of the server graph as of its last build.
    pub fn is_in_server_graph(&self, path: &Path) -> bool {
        match (self.db.files().get(path), &self.server) {
            (Some(file), Some(state)) => state.graph.index_of_file(file).is_some(),
            _ => false,
        }
    }

    /// Brings the server graph up to date; `None` without a server entry. See the module docs
    /// for what it costs.
    pub fn build_server(&mut self) -> Option<ServerBuild> {
        if !self.has_server() {
            return None;
        }
        let _span = tracing::debug_span!("build_server").entered();
        let pending = std::mem::take(&mut self.server_pending);
        let Some(prev) = self.server.take() else {
            self.warm_up_server();
            let build = self.full_server_build(None);
            self.cold_build_done();
            return Some(build);
        };
        if pending.epoch_moved {
            self.warm_up_server();
            return Some(self.full_server_build(Some(prev)));
        }
        let db = &self.db;
        let mut touched: Vec<(ModuleIndex, SourceFile)> = Vec::new();
        for &file in &pending.dirty {
            let Some(index) = prev.graph.index_of_file(file) else {
                // Only a change in some module's imports brings it in, and that one is dirty.
                continue;
            };
            let module = &prev.modules[index.idx()];
            // A module that stopped compiling keeps its last good code, imports and hot facts.
            let broken = module.entry.is_some() && server_chunk_entry(db, file).is_none();
            let structural = !broken
                && (server_imports(db, file) != module.resolved
                    || *server_hot_meta(db, file) != module.hot);
            if structural {
                tracing::debug!(file = %file.path(db).display(), "server imports or hot facts changed");
                return Some(self.full_server_build(Some(prev)));
            }
            touched.push((index, file));
        }
        Some(self.update_server_modules(prev, &touched))
    }

    /// Compiles and resolves the server graph on all cores before `server_graph` walks it on
    /// one (`warm_up.rs`): the cold build, and full builds after the resolution epoch moved.
    fn warm_up_server(&self) {
        let Some(entry) = self.project.options(&self.db).server_entry.clone() else {
            return;
        };
        let entry = self.db.files().get_or_read(&self.db, &entry);
        warm_up_server(&self.db, entry);
    }

    /// The hot path: only `touched` modules (whose server imports and hot facts are unchanged).
    fn update_server_modules(
        &mut self,
        mut state: ServerState,
        touched: &[(ModuleIndex, SourceFile)],
    ) -> ServerBuild {
        let db = &self.db;
        let mut changed = Vec::new();
        let mut diagnostics_changed = false;
        let mut exports_changed = Vec::new();
        for &(index, file) in touched {
            let entry = server_chunk_entry(db, file);
            let diagnostics = server_diagnostics(db, file);
            let exports = exports_seen(db, EnvironmentKind::Server, file);
            let module = &mut state.modules[index.idx()];
            // A module that stopped compiling keeps its last good exports, as its code.
            if entry.is_some() && exports != module.exports {
                module.exports = exports;
                exports_changed.push(index);
            }
            if entry.is_some() && entry != module.entry {
                module.entry = entry;
                module.map = server_parsed_module(db, file).map.clone();
                changed.push(index);
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
            |file| server_diagnostics(db, file),
        );
        if diagnostics_changed {
            state.diagnostics = collect_diagnostics(&state.with_diagnostics);
        }
        changed.sort();
        let build = ServerBuild {
            graph: state.graph.clone(),
            changed,
            removed: Vec::new(),
            diagnostics: state.diagnostics.clone(),
            graph_changed: false,
        };
        self.server = Some(state);
        build
    }

    /// Demands the server graph and looks at every module: O(server modules), for the first
    /// build and structural changes.
    fn full_server_build(&mut self, prev: Option<ServerState>) -> ServerBuild {
        let db = &self.db;
        let graph = server_graph(db, self.project);
        let mut old: FxHashMap<SourceFile, &ServerModule> = FxHashMap::default();
        let mut old_ids: Vec<(SourceFile, Arc<str>)> = Vec::new();
        if let Some(prev) = &prev {
            for (i, (file, module)) in prev.graph.files.iter().zip(&prev.modules).enumerate() {
                old.insert(*file, module);
                old_ids.push((*file, prev.graph.modules[i].id.clone()));
            }
        }
        let mut modules = Vec::with_capacity(graph.len());
        let mut changed = Vec::new();
        let mut with_diagnostics = BTreeMap::new();
        for (i, &file) in graph.files.iter().enumerate() {
            let index = ModuleIndex(i as u32);
            let previous = old.get(&file);
            let previous_entry = previous.and_then(|m| m.entry.clone());
            // A module that stopped compiling keeps its last good code (and map) in the process.
            let (entry, map) = match server_chunk_entry(db, file) {
                Some(entry) => (Some(entry), server_parsed_module(db, file).map.clone()),
                None => (previous_entry.clone(), previous.and_then(|m| m.map.clone())),
            };
            if entry.is_some() && entry != previous_entry {
                changed.push(index);
            }
            let diagnostics = server_diagnostics(db, file);
            if !diagnostics.is_empty() {
                with_diagnostics.insert(index, diagnostics.clone());
            }
            modules.push(ServerModule {
                entry,
                map,
                resolved: server_imports(db, file),
                hot: server_hot_meta(db, file).clone(),
                diagnostics,
                exports: exports_seen(db, EnvironmentKind::Server, file),
            });
        }
        let removed = old_ids
            .into_iter()
            .filter(|(file, _)| graph.index_of_file(*file).is_none())
            .map(|(_, id)| id)
            .collect();
        let (graph, graph_changed) = match &prev {
            Some(prev) if prev.graph == graph => (prev.graph.clone(), false),
            _ => (graph, true),
        };
        let diagnostics = collect_diagnostics(&with_diagnostics);
        self.server = Some(ServerState {
            graph: graph.clone(),
            modules,
            with_diagnostics,
            diagnostics: diagnostics.clone(),
        });
        ServerBuild {
            graph,
            changed,
            removed,
            diagnostics,
            graph_changed,
        }
    }

    /// `page` (the page's diagnostics) followed by the server graph's that are not among
    /// them (a module both graphs reach reports its syntax error once): what every tab's
    /// overlay shows.
    pub fn all_diagnostics(&self, page: &Arc<[Diagnostic]>) -> Arc<[Diagnostic]> {
        with_server_diagnostics(
            self.server.as_ref(),
            [self.config_error.as_ref(), self.server_failure.as_ref()],
            page,
        )
    }

    /// Whether the last change of `vite.config.*` failed to evaluate (its error is among
    /// [`all_diagnostics`](Self::all_diagnostics) until a change evaluates).
    pub fn config_failed(&self) -> bool {
        self.config_error.is_some()
    }

    /// What the app's server process reported failing (a module or a request handler threw),
    /// or `None` once it runs cleanly again: every page's overlay shows it, pages loaded
    /// meanwhile included (the served snapshot carries it).
    pub fn set_server_failure(&mut self, failure: Option<Diagnostic>) {
        self.server_failure = failure;
    }

    /// The overlay's diagnostic for what the app's server process reported failing (`message`
    /// as the overlay shows it: "the app's server threw: ..."), or its crash: placed at
    /// the first frame of its (source-mapped, `node_maps.rs`) stack that is a project file
    /// outside `node_modules`, with that line's code frame above the stack; else at `module`
    /// (the module that threw, or the entry), line 1.
    pub fn server_failure_diagnostic(
        &self,
        module: Option<String>,
        message: &str,
        stack: &str,
    ) -> Diagnostic {
        let located = stack_frames(stack).find_map(|(path, line, column)| {
            let rel = Path::new(path).strip_prefix(&self.root).ok()?;
            if rel.components().any(|c| c.as_os_str() == "node_modules") {
                return None;
            }
            Some((Path::new(path), line, column))
        });
        let message = message.to_owned();
        match located {
            Some((path, line, column)) => {
                let text = self
                    .db
                    .files()
                    .get(path)
                    .and_then(|f| f.contents(&self.db).text());
                let frame = text
                    .map(|t| hotloop_protocol::code_frame(&t[..], line, column))
                    .unwrap_or_default();
                Diagnostic {
                    kind: hotloop_protocol::DiagnosticKind::Runtime,
                    file: crate::files::module_id(&self.root, path).to_string(),
                    line,
                    column,
                    message,
                    code_frame: if frame.is_empty() {
                        stack.to_owned()
                    } else {
                        format!("{frame}\n\n{stack}")
                    },
                }
            }
            None => Diagnostic {
                kind: hotloop_protocol::DiagnosticKind::Runtime,
                file: module.unwrap_or_else(|| "(the app's server)".to_string()),
                line: 1,
                column: 1,
                message,
                code_frame: stack.to_owned(),
            },
        }
    }

    /// The server's chunk as of the last server build: the externals' and the modules'
    /// define statements, then `__hotloop.start([entry], { server: true, revision, serverId })`
    /// (with the page's `import.meta.env` options: `.env`'s exposed variables, as under Vite's
    /// SSR)
    /// and the modules' maps flattened into one for Node (`node_maps.rs`).
    /// `None` before the first server build.
    pub fn server_chunk(&self, revision: u32, server_id: &str) -> Option<String> {
        let state = self.server.as_ref()?;
        let _span = tracing::debug_span!("server_chunk").entered();
        let mut out = String::new();
        let mut map = ChunkMap::new();
        for url in &state.graph.externals {
            let start = out.len();
            external_entry(url).push_to(&mut out);
            map.push(&out[start..], None, Path::new(""));
        }
        for (file, module) in state.graph.files.iter().zip(&state.modules) {
            if let Some(entry) = &module.entry {
                let start = out.len();
                entry.push_to(&mut out);
                let text = module.map.as_ref().and_then(ModuleMap::text);
                map.push(&out[start..], text.as_deref(), file.path(&self.db));
            }
        }
        out.push_str("__hotloop.start([");
        for (i, &entry) in state.graph.script_entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_string(&mut out, &state.graph.module(entry).id);
        }
        out.push_str("], {\"server\":true,\"revision\":");
        out.push_str(&revision.to_string());
        out.push_str(",\"serverId\":");
        push_json_string(&mut out, server_id);
        if let Some(page) = &self.state {
            super::publish::push_import_meta_env(&mut out, self.project.options(&self.db), page);
        }
        out.push_str("});\n");
        out.push_str(&map.into_comment());
        Some(out)
    }

    /// The externals of the last server build that `previous` did not have: a frame that
    /// starts using a package carries its module (`server_external_code`).
    pub fn new_server_externals(&self, previous: &ServerBuild) -> Vec<Arc<str>> {
        let Some(state) = self.server.as_ref() else {
            return Vec::new();
        };
        state
            .graph
            .externals
            .iter()
            .filter(|url| !previous.graph.externals.contains(url))
            .cloned()
            .collect()
    }

    /// Whether server module `index` of the last server build waits instead of going to the
    /// app's server: a static import of it does not resolve or names a module that never
    /// compiled (the process would throw "Cannot find module"), or it takes part in an import
    /// of a name not exported (`link_errors.rs`: the process would call `undefined`). The
    /// process keeps its last good code, the overlay says why, and the fix sends it
    /// (`withhold_server`). Only a module with diagnostics, or one importing such a module,
    /// waits; `involved` is [`EngineHost::server_link_error_modules`].
    pub fn server_waits(&self, index: ModuleIndex, involved: &FxHashSet<ModuleIndex>) -> bool {
        if involved.contains(&index) {
            return true;
        }
        let Some(state) = self.server.as_ref() else {
            return false;
        };
        let Some(&file) = state.graph.files.get(index.idx()) else {
            return false;
        };
        let graph = &state.graph.graph;
        server_module_deps(&self.db, file)
            .iter()
            .filter(|dep| dep.is_static)
            .any(|dep| match &dep.id {
                None => true,
                Some(id) => graph.index_of(id).is_some_and(|dep| {
                    state
                        .modules
                        .get(dep.idx())
                        .is_none_or(|m| m.entry.is_none())
                }),
            })
    }

    /// The server modules that take part in an import of a name not exported (the server's
    /// `link_error_modules`). Looks only at modules with diagnostics.
    pub fn server_link_error_modules(&self) -> FxHashSet<ModuleIndex> {
        self.server
            .as_ref()
            .map_or_else(FxHashSet::default, |state| {
                super::link_errors::taking_part(
                    &self.db,
                    EnvironmentKind::Server,
                    &state.graph,
                    state.with_diagnostics.keys().copied(),
                )
            })
    }

    /// Holds server modules (ids) until a later server update can send them.
    pub fn withhold_server(&mut self, modules: impl IntoIterator<Item = Arc<str>>) {
        for id in modules {
            if !self.server_withheld.contains(&id) {
                self.server_withheld.push(id);
            }
        }
    }

    /// The server modules withheld so far, taken: the caller sends them or withholds them
    /// again.
    pub fn take_server_withheld(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.server_withheld)
    }

    /// An external's module (see `emit::external_entry`), for update frames.
    pub fn server_external_code(url: &Arc<str>) -> ModuleCode {
        ModuleCode {
            id: url.clone(),
            kind: hotloop_protocol::ModuleKind::Js,
            static_deps: 0,
            deps: Vec::new(),
            code: external_factory(url).into(),
        }
    }

    /// A server module's factory code (its map inline, for Node: `node_maps.rs`) and its
    /// server deps map, for update frames.
    pub fn server_module_code(&self, index: ModuleIndex) -> Option<ModuleCode> {
        let graph = &self.server.as_ref()?.graph;
        let mut code = super::module_code_in(
            &self.db,
            graph,
            index,
            server_emitted_module,
            server_module_deps,
        )?;
        let file = graph.file(index);
        let parsed = server_parsed_module(&self.db, file);
        let map = parsed.map.as_ref().and_then(ModuleMap::text);
        code.code = with_inline_map(&code.code, map.as_deref(), file.path(&self.db)).into();
        Some(code)
    }
}

/// The `(path, line, column)` of each frame of a V8 stack (`    at f (/a/b.ts:3:7)`,
/// `    at /a/b.ts:3:7`), top first; frames without a line and column are skipped.
fn stack_frames(stack: &str) -> impl Iterator<Item = (&str, u32, u32)> {
    stack.lines().filter_map(|line| {
        let at = line.trim_start().strip_prefix("at ")?;
        let place = match at.strip_suffix(')') {
            // The location is in the last balanced parentheses (a path may hold some).
            Some(inner) => {
                let mut depth = 0usize;
                let open = inner.char_indices().rev().find_map(|(i, c)| {
                    match c {
                        ')' => depth += 1,
                        '(' if depth == 0 => return Some(i),
                        '(' => depth -= 1,
                        _ => {}
                    }
                    None
                })?;
                &inner[open + 1..]
            }
            None => at,
        };
        let mut parts = place.rsplitn(3, ':');
        let column = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        Some((parts.next()?, line, column))
    })
}

/// Every module's diagnostics, in graph order.
fn collect_diagnostics(modules: &BTreeMap<ModuleIndex, Arc<[Diagnostic]>>) -> Arc<[Diagnostic]> {
    modules.values().flat_map(|d| d.iter()).cloned().collect()
}

/// See [`EngineHost::all_diagnostics`].
/// (and the host's own: the config's evaluation error, when the last change of `vite.config.*`
/// failed; what the app's server process last reported failing).
pub(super) fn with_server_diagnostics(
    server: Option<&ServerState>,
    own: [Option<&Diagnostic>; 2],
    page: &Arc<[Diagnostic]>,
) -> Arc<[Diagnostic]> {
    let server = server.map_or(&[][..], |s| &s.diagnostics[..]);
    if server.is_empty() && own.iter().all(Option::is_none) {
        return page.clone();
    }
    let [config_error, failure] = own;
    config_error
        .into_iter()
        .chain(page.iter())
        .chain(server.iter().filter(|d| !page.contains(d)))
        .chain(failure)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::stack_frames;

    #[test]
    fn stack_frames_read_both_forms_and_skip_the_rest() {
        let stack = "Error: boom\n    at handler (/p/src/api.ts:3:9)\n    at /p/src/server.ts:10:2\n    \
                     at new Promise (<anonymous>)\n    at node:internal/x:1:2\n    at f (C:\\x (1).js:4:5)";
        let frames: Vec<_> = stack_frames(stack).collect();
        assert_eq!(
            frames,
            [
                ("/p/src/api.ts", 3, 9),
                ("/p/src/server.ts", 10, 2),
                ("node:internal/x", 1, 2),
                ("C:\\x (1).js", 4, 5),
            ]
        );
    }
}
