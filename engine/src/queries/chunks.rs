//! `chunk`: the entry chunk's layout — every module the entry scripts reach through static
//! imports, in dependency order (post-order depth-first from the entries, imports in source
//! order; cycles are cut where they close) — and the entry ids that `__hotloop.start` requires.
//! The host keeps the define statements in that order (`EngineHost::served`, a persistent
//! vector updated per edited module); the bytes are assembled by `served::Chunk`. Every
//! environment gets a chunk of its own: the page's, and each web worker's over everything its
//! root reaches, `import()` included (see `transform::worker`).
//!
//! Each `import()` target of the page outside its chunk is the root of a **lazy chunk**
//! (`ChunkLayout::lazy`): the target's static closure less the page's chunk, in the same order,
//! once the target is in the graph (`queries::graph`'s lazy targets). Two lazy chunks may
//! share modules; the runtime defines a module it already has only once.

use std::sync::Arc;

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::graph::ModuleIndex;
use crate::inputs::Project;
use crate::queries::emit::{EMPTY_MODULE_ID, module_deps};
use crate::queries::graph::{ProjectGraph, module_graph};
use crate::telemetry::Phase;

/// The chunks of every environment, in `ModuleGraph::environments` order (the page's first),
/// plus what the page's start call names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkLayout {
    pub environments: Arc<[EnvironmentChunk]>,
    /// Ids of the page's entry scripts, in document order.
    pub entries: Arc<[Arc<str>]>,
    /// Id of the app's own `react-refresh/runtime`, passed to `start` as `refreshRuntime`.
    pub refresh_runtime: Option<Arc<str>>,
    /// The page's lazy chunks, in `ProjectGraph::lazy_targets` order: one per target in the
    /// graph (the others are not compiled yet).
    pub lazy: Arc<[LazyChunk]>,
}

/// The modules a lazy chunk defines: its root's static closure less the page's chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LazyChunk {
    /// The `import()` target's module id.
    pub root: Arc<str>,
    pub order: Arc<[ModuleIndex]>,
    pub uses_empty_module: bool,
}

impl ChunkLayout {
    /// The page's chunk.
    pub fn page(&self) -> Option<&EnvironmentChunk> {
        self.environments.first()
    }
}

/// One environment's chunk: the modules its roots reach, in dependency order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentChunk {
    pub kind: EnvironmentKind,
    /// `client` for the page; a worker's file id (the one entry its start call requires).
    pub name: Arc<str>,
    /// Every module the chunk covers, compiled or not, in chunk order (indices into
    /// `module_graph`). The chunk starts with the virtual empty module before them when
    /// `uses_empty_module`.
    pub order: Arc<[ModuleIndex]>,
    pub uses_empty_module: bool,
}

#[salsa::tracked(returns(clone))]
pub fn chunk(db: &dyn Db, project: Project) -> Arc<ChunkLayout> {
    let _clock = db.clock().enter_key(Phase::Graph, "chunk", project);
    let _span = tracing::trace_span!("chunk").entered();
    let project_graph = module_graph(db, project);
    let graph = &project_graph.graph;
    let environments: Arc<[EnvironmentChunk]> = graph
        .environments
        .iter()
        .map(|env| {
            let order = if env.kind == EnvironmentKind::Page {
                dependency_order(graph.len(), &env.roots, |m| {
                    &project_graph.static_imports[m.idx()]
                })
            } else {
                dependency_order(graph.len(), &env.roots, |m| graph.imports(m))
            };
            EnvironmentChunk {
                kind: env.kind,
                name: env.name.clone(),
                uses_empty_module: uses_empty_module(db, &project_graph, &order),
                order: order.into(),
            }
        })
        .collect();
    let lazy = lazy_chunks(db, &project_graph, environments.first(), |_| None);
    Arc::new(ChunkLayout {
        lazy,
        environments,
        entries: project_graph
            .script_entries
            .iter()
            .map(|&i| graph.module(i).id.clone())
            .collect(),
        refresh_runtime: project_graph
            .refresh_runtime
            .map(|i| graph.module(i).id.clone()),
    })
}

/// The layout `chunk` gives for `graph`, a graph that only grew from `prev`'s by lazy targets
/// taken in (`graph::extend_with_lazy_roots`): the environments' chunks and the lazy chunks
/// `prev` had are the same (what a module statically reaches is already in the graph when it
/// joins), so only the new targets' chunks are computed, from their modules' queries.
pub fn extend_layout(db: &dyn Db, prev: &ChunkLayout, graph: &ProjectGraph) -> Arc<ChunkLayout> {
    let _clock = db.clock().enter(Phase::Graph, "extend_layout");
    let lazy = lazy_chunks(db, graph, prev.page(), |root| {
        prev.lazy.iter().find(|c| c.root == *root).cloned()
    });
    Arc::new(ChunkLayout {
        lazy,
        ..prev.clone()
    })
}

/// One chunk per lazy target in the graph, in `lazy_targets` order: `known` when it gives one,
/// else the target's static closure less the page's chunk (`page`).
fn lazy_chunks(
    db: &dyn Db,
    project_graph: &ProjectGraph,
    page: Option<&EnvironmentChunk>,
    known: impl Fn(&Arc<str>) -> Option<LazyChunk>,
) -> Arc<[LazyChunk]> {
    let graph = &project_graph.graph;
    let mut in_page: Option<Vec<bool>> = None;
    project_graph
        .lazy_targets
        .iter()
        .filter_map(|target| {
            let root = target.index?;
            if let Some(chunk) = known(&target.id) {
                return Some(chunk);
            }
            let in_page = in_page.get_or_insert_with(|| {
                let mut in_page = vec![false; graph.len()];
                for &index in page.map_or(&[][..], |p| &p.order[..]) {
                    in_page[index.idx()] = true;
                }
                in_page
            });
            let order: Vec<ModuleIndex> = dependency_order(graph.len(), &[root], |m| {
                &project_graph.static_imports[m.idx()]
            })
            .into_iter()
            .filter(|m| !in_page[m.idx()])
            .collect();
            Some(LazyChunk {
                root: target.id.clone(),
                uses_empty_module: uses_empty_module(db, project_graph, &order),
                order: order.into(),
            })
        })
        .collect()
}

/// Whether a module of `order` imports the virtual empty module.
fn uses_empty_module(db: &dyn Db, project_graph: &ProjectGraph, order: &[ModuleIndex]) -> bool {
    order.iter().any(|&index| {
        module_deps(db, project_graph.file(index))
            .iter()
            .any(|d| d.id.as_deref() == Some(EMPTY_MODULE_ID))
    })
}

/// Post-order depth-first walk from `entries` over the edges `imports` gives, in a graph of
/// `len` modules: dependencies before their importers, each module once.
pub fn dependency_order<'g>(
    len: usize,
    entries: &[ModuleIndex],
    imports: impl Fn(ModuleIndex) -> &'g [ModuleIndex],
) -> Vec<ModuleIndex> {
    let mut state = vec![0u8; len]; // 0 new, 1 on the stack, 2 done
    let mut order = Vec::new();
    let mut stack: Vec<(ModuleIndex, usize)> = Vec::new();
    for &entry in entries {
        if state[entry.idx()] != 0 {
            continue;
        }
        state[entry.idx()] = 1;
        stack.push((entry, 0));
        while let Some((index, next)) = stack.last_mut() {
            if let Some(&dep) = imports(*index).get(*next) {
                *next += 1;
                if state[dep.idx()] == 0 {
                    state[dep.idx()] = 1;
                    stack.push((dep, 0));
                }
            } else {
                state[index.idx()] = 2;
                order.push(*index);
                stack.pop();
            }
        }
    }
    order
}
