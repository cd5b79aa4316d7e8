//! `chunk`: the entry chunk's layout — every module reachable from the entry scripts, in
//! dependency order (post-order depth-first from the entries, imports in source order; cycles
//! are cut where they close) — and the entry ids that `__hotloop.start` requires. The host
//! keeps the define statements in that order (`EngineHost::served`, a persistent vector updated
//! per edited module); the bytes are assembled by `served::Chunk`. Every environment gets a
//! chunk of its own over what its roots reach: the page's, and each web worker's (see
//! `transform::worker`).

use std::sync::Arc;

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::graph::ModuleIndex;
use crate::inputs::Project;
use crate::queries::emit::{EMPTY_MODULE_ID, module_deps};
use crate::queries::graph::module_graph;
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
    let uses_empty_module = |order: &[ModuleIndex]| {
        order.iter().any(|&index| {
            module_deps(db, project_graph.file(index))
                .iter()
                .any(|d| d.id.as_deref() == Some(EMPTY_MODULE_ID))
        })
    };
    let environments = graph
        .environments
        .iter()
        .map(|env| {
            let order = dependency_order(graph, &env.roots);
            EnvironmentChunk {
                kind: env.kind,
                name: env.name.clone(),
                uses_empty_module: uses_empty_module(&order),
                order: order.into(),
            }
        })
        .collect();
    Arc::new(ChunkLayout {
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

/// Post-order depth-first walk from `entries` over every import edge: dependencies before
/// their importers, each module once.
pub fn dependency_order(
    graph: &crate::graph::ModuleGraph,
    entries: &[ModuleIndex],
) -> Vec<ModuleIndex> {
    let mut state = vec![0u8; graph.len()]; // 0 new, 1 on the stack, 2 done
    let mut order = Vec::with_capacity(graph.len());
    let mut stack: Vec<(ModuleIndex, usize)> = Vec::new();
    for &entry in entries {
        if state[entry.idx()] != 0 {
            continue;
        }
        state[entry.idx()] = 1;
        stack.push((entry, 0));
        while let Some((index, next)) = stack.last_mut() {
            let imports = graph.imports(*index);
            if let Some(&dep) = imports.get(*next) {
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
