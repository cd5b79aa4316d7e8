//! The server graph's half of the host (server-side HMR, `ProjectOptions::server_entry`): its
//! build, its chunk (what the Node.js server process evaluates at start) and its modules'
//! code for update frames. The page's build (`build.rs`) and this one share the database: a
//! module both graphs reach is one input and one parse, with a deps map per environment.
//!
//! Unlike the page's build, this one looks at every module of the server graph each time
//! (salsa re-validates the memos of the graph's modules): O(server modules) per build.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::graph::{ModuleGraph, ModuleIndex};
use crate::inputs::SourceFile;
use crate::js_literal::push_json_string;
use crate::queries::diagnostics::server_module_diagnostics;
use crate::queries::emit::{
    emitted_module, external_entry, external_factory, server_chunk_entry, server_module_deps,
    static_dep_count,
};
use crate::queries::graph::{ProjectGraph, server_graph};
use hotloop_protocol::{Diagnostic, ModuleCode};

use super::EngineHost;

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
}

pub(super) struct ServerState {
    graph: Arc<ProjectGraph>,
    /// Index-aligned with the graph: each module's last good define statement.
    entries: Vec<Option<Arc<str>>>,
    diagnostics: Arc<[Diagnostic]>,
}

impl EngineHost {
    /// Whether the project has a server entry (`--server`).
    pub fn has_server(&self) -> bool {
        self.project.options(&self.db).server_entry.is_some()
    }

    /// Brings the server graph up to date; `None` without a server entry.
    pub fn build_server(&mut self) -> Option<ServerBuild> {
        if !self.has_server() {
            return None;
        }
        let _span = tracing::debug_span!("build_server").entered();
        let db = &self.db;
        let graph = server_graph(db, self.project);
        let prev = self.server.take();
        let mut old: FxHashMap<SourceFile, Option<Arc<str>>> = FxHashMap::default();
        let mut old_ids: Vec<(SourceFile, Arc<str>)> = Vec::new();
        if let Some(prev) = &prev {
            for (i, (file, entry)) in prev.graph.files.iter().zip(&prev.entries).enumerate() {
                old.insert(*file, entry.clone());
                old_ids.push((*file, prev.graph.modules[i].id.clone()));
            }
        }
        let mut entries = Vec::with_capacity(graph.len());
        let mut changed = Vec::new();
        let mut diagnostics = Vec::new();
        for (i, &file) in graph.files.iter().enumerate() {
            let previous = old.get(&file).cloned().flatten();
            // A module that stopped compiling keeps its last good code in the process.
            let entry = server_chunk_entry(db, file).or_else(|| previous.clone());
            if entry.is_some() && entry != previous {
                changed.push(ModuleIndex(i as u32));
            }
            diagnostics.extend(server_module_diagnostics(db, file).iter().cloned());
            entries.push(entry);
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
        let diagnostics: Arc<[Diagnostic]> = diagnostics.into();
        self.server = Some(ServerState {
            graph: graph.clone(),
            entries,
            diagnostics: diagnostics.clone(),
        });
        Some(ServerBuild {
            graph,
            changed,
            removed,
            diagnostics,
            graph_changed,
        })
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

    /// What the app's server process reported failing (a module or a request handler threw),
    /// or `None` once it runs cleanly again: every page's overlay shows it, pages loaded
    /// meanwhile included (the served snapshot carries it).
    pub fn set_server_failure(&mut self, failure: Option<Diagnostic>) {
        self.server_failure = failure;
    }

    /// The server's chunk as of the last server build: the externals' and the modules'
    /// define statements, then `__hotloop.start([entry], { server: true, revision, serverId })`.
    /// `None` before the first server build.
    pub fn server_chunk(&self, revision: u32, server_id: &str) -> Option<String> {
        let state = self.server.as_ref()?;
        let mut out = String::new();
        for url in &state.graph.externals {
            out.push_str(&external_entry(url));
        }
        for entry in state.entries.iter().flatten() {
            out.push_str(entry);
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
        out.push_str("});\n");
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

    /// A server module's factory code and its server deps map, for update frames.
    pub fn server_module_code(&self, index: ModuleIndex) -> Option<ModuleCode> {
        let state = self.server.as_ref()?;
        let file = *state.graph.files.get(index.idx())?;
        let code = emitted_module(&self.db, file)?;
        let deps = server_module_deps(&self.db, file);
        let module = state.graph.module(index);
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
