//! `module_graph`: the modules reachable from `index.html` (entry scripts and linked
//! stylesheets) over resolved imports, as a plain-data `ModuleGraph` plus the `SourceFile` of
//! each module. Deterministic: modules are numbered in breadth-first discovery order from the
//! entries, imports in source order.
//!
//! An aggregate over every module: the host only demands it when some module's resolved
//! imports or hot facts changed, the resolution epoch moved or the HTML changed; a body edit
//! never reaches it.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::db::Db;
use crate::environment::{EnvSet, EnvironmentKind};
use crate::graph::{Environment, GraphBuilder, GraphModule, ModuleGraph, ModuleIndex, ModuleKind};
use crate::inputs::{Project, SourceFile};
use crate::queries::hot::hot_meta;
use crate::queries::html::html_entries;
use crate::queries::parsed::{file_id, module_kind};
use crate::queries::resolve::{RefreshRuntime, Resolution, refresh_runtime, resolved_imports};
use crate::telemetry::Phase;
use crate::transform::ImportKind;

/// The graph and the file of each module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectGraph {
    /// `graph.entries`: the entry scripts, then the linked stylesheets (kind `Css`), in
    /// document order.
    pub graph: ModuleGraph,
    /// Index-aligned with `graph.modules`.
    pub files: Vec<SourceFile>,
    /// Entry scripts only (what the chunk starts).
    pub script_entries: Vec<ModuleIndex>,
    /// The app's own `react-refresh/runtime` (`RefreshRuntime::App`): a root of the graph that
    /// `start` installs before the entries.
    pub refresh_runtime: Option<ModuleIndex>,
    by_file: FxHashMap<SourceFile, ModuleIndex>,
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
}

#[salsa::tracked(returns(clone))]
pub fn module_graph(db: &dyn Db, project: Project) -> Arc<ProjectGraph> {
    let _clock = db.clock().enter_key(Phase::Graph, "module_graph", project);
    let _span = tracing::trace_span!("module_graph").entered();
    let entries = html_entries(db, project);
    let mut builder = GraphBuilder::default();
    let mut files: Vec<SourceFile> = Vec::new();
    let mut by_file: FxHashMap<SourceFile, ModuleIndex> = FxHashMap::default();
    let mut queue: VecDeque<ModuleIndex> = VecDeque::new();
    // Edges that are only dynamic imports do not make their target load with the page.
    let mut static_edges: Vec<Vec<ModuleIndex>> = Vec::new();

    let mut add = |file: SourceFile,
                   builder: &mut GraphBuilder,
                   files: &mut Vec<SourceFile>,
                   queue: &mut VecDeque<ModuleIndex>,
                   static_edges: &mut Vec<Vec<ModuleIndex>>| {
        if let Some(index) = by_file.get(&file) {
            return *index;
        }
        let kind = module_kind(file.path(db));
        let index = builder.add(GraphModule {
            id: file_id(db, file),
            kind,
            self_accepts: false,
            accepted_deps: Box::new([]),
            loaded: false,
            environments: EnvSet::EMPTY,
        });
        by_file.insert(file, index);
        files.push(file);
        static_edges.push(Vec::new());
        queue.push_back(index);
        index
    };

    let mut script_entries = Vec::new();
    for entry in &entries.scripts {
        let index = add(
            entry.file,
            &mut builder,
            &mut files,
            &mut queue,
            &mut static_edges,
        );
        builder.add_entry(index);
        if !script_entries.contains(&index) {
            script_entries.push(index);
        }
    }
    for entry in &entries.stylesheets {
        let index = add(
            entry.file,
            &mut builder,
            &mut files,
            &mut queue,
            &mut static_edges,
        );
        builder.add_entry(index);
    }
    let refresh_root = match refresh_runtime(db, project) {
        RefreshRuntime::App(file) if entries.exists => Some(add(
            file,
            &mut builder,
            &mut files,
            &mut queue,
            &mut static_edges,
        )),
        _ => None,
    };

    let mut worker_roots = Vec::new();
    while let Some(index) = queue.pop_front() {
        db.unwind_if_revision_cancelled();
        let file = files[index.idx()];
        for import in resolved_imports(db, file).iter() {
            if import.kind == ImportKind::HotAccept {
                continue;
            }
            let Resolution::File(target) = import.resolution else {
                continue;
            };
            let to = add(
                target,
                &mut builder,
                &mut files,
                &mut queue,
                &mut static_edges,
            );
            if import.kind == ImportKind::Worker {
                if !worker_roots.contains(&to) {
                    worker_roots.push(to);
                }
                continue;
            }
            builder.add_import(index, to);
            if import.kind != ImportKind::Dynamic && !static_edges[index.idx()].contains(&to) {
                static_edges[index.idx()].push(to);
            }
        }
    }

    // Flags: hot facts, accepted deps (resolved through the module's own HotAccept imports),
    // and `loaded` = reachable from an entry through non-dynamic edges.
    for (i, file) in files.iter().enumerate() {
        let index = ModuleIndex(i as u32);
        let module = builder.module_mut(index);
        if module.kind == ModuleKind::Css {
            module.self_accepts = true;
            continue;
        }
        if module.kind != ModuleKind::Js {
            continue;
        }
        let hot = hot_meta(db, *file);
        let resolved = if hot.accepted_deps.is_empty() {
            None
        } else {
            Some(resolved_imports(db, *file))
        };
        let module = builder.module_mut(index);
        module.self_accepts = hot.self_accepts || hot.refresh_boundary;
        if let Some(resolved) = resolved {
            let mut accepted = Vec::new();
            for dep in &hot.accepted_deps {
                let target = resolved.iter().find_map(|r| match r.resolution {
                    Resolution::File(target) if &*r.specifier == dep.as_str() => Some(target),
                    _ => None,
                });
                if let Some(to) = target.and_then(|t| by_file.get(&t))
                    && !accepted.contains(to)
                {
                    accepted.push(*to);
                }
            }
            module.accepted_deps = accepted.into_boxed_slice();
        }
    }
    // The page's environment starts where its runtime evaluates: the refresh runtime, then the
    // scripts. Linked stylesheets are the browser's, not the runtime's, but load with the page.
    let page_roots: Vec<ModuleIndex> = refresh_root
        .into_iter()
        .chain(script_entries.iter().copied())
        .collect();
    // `loaded`: what the page evaluates at load (static imports from its roots).
    let mut stack = page_roots.clone();
    stack.extend(
        entries
            .stylesheets
            .iter()
            .filter_map(|e| by_file.get(&e.file).copied()),
    );
    while let Some(index) = stack.pop() {
        let module = builder.module_mut(index);
        if module.loaded {
            continue;
        }
        module.loaded = true;
        stack.extend(static_edges[index.idx()].iter().copied());
    }

    builder.add_environment(Environment {
        kind: EnvironmentKind::Page,
        name: "client".into(),
        roots: page_roots.into(),
    });
    for &root in &worker_roots {
        let name = builder.module_mut(root).id.clone();
        builder.add_environment(Environment {
            kind: EnvironmentKind::Worker,
            name,
            roots: Box::new([root]),
        });
    }
    let graph = builder.finish();

    Arc::new(ProjectGraph {
        graph,
        files,
        script_entries,
        refresh_runtime: refresh_root,
        by_file,
    })
}
