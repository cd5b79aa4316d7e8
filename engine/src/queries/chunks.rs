//! `chunk`: the entry chunk's parts — one `(id, define statement)` per module reachable from
//! the entry scripts, in dependency order (post-order depth-first from the entries, imports in
//! source order; cycles are cut where they close) — and the entry ids that `__hotloop.start`
//! requires. The bytes are assembled by `served::Chunk`.

use std::sync::Arc;

use crate::db::Db;
use crate::graph::ModuleIndex;
use crate::inputs::Project;
use crate::queries::emit::{EMPTY_MODULE_ID, chunk_entry, empty_module_entry, module_deps};
use crate::queries::graph::module_graph;

/// `(module id, define statement)` pairs, as `served::Chunk` holds them.
pub type Parts = Arc<[(Arc<str>, Arc<str>)]>;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkParts {
    /// `(module id, define statement)`; modules that do not compile are left out. Starts with
    /// the virtual empty module when some module's import is remapped to `false`.
    pub parts: Parts,
    /// Every module the chunk covers, compiled or not, in the same order (indices into
    /// `module_graph`).
    pub order: Arc<[ModuleIndex]>,
    /// Ids of the entry scripts, in document order.
    pub entries: Arc<[Arc<str>]>,
    /// Id of the app's own `react-refresh/runtime`, passed to `start` as `refreshRuntime`.
    pub refresh_runtime: Option<Arc<str>>,
    pub uses_empty_module: bool,
}

#[salsa::tracked(returns(clone))]
pub fn chunk(db: &dyn Db, project: Project) -> Arc<ChunkParts> {
    let _span = tracing::trace_span!("chunk").entered();
    let project_graph = module_graph(db, project);
    let graph = &project_graph.graph;
    // The refresh runtime first: `start` installs it before the entries run.
    let roots: Vec<ModuleIndex> = project_graph
        .refresh_runtime
        .into_iter()
        .chain(project_graph.script_entries.iter().copied())
        .collect();
    let order = dependency_order(graph, &roots);
    let mut parts: Vec<(Arc<str>, Arc<str>)> = Vec::with_capacity(order.len() + 1);
    let mut uses_empty_module = false;
    for &index in &order {
        let file = project_graph.file(index);
        if let Some(entry) = chunk_entry(db, file) {
            parts.push((graph.module(index).id.clone(), entry));
        }
        uses_empty_module |= module_deps(db, file)
            .iter()
            .any(|d| d.id.as_deref() == Some(EMPTY_MODULE_ID));
    }
    if uses_empty_module {
        parts.insert(0, (EMPTY_MODULE_ID.into(), empty_module_entry()));
    }
    Arc::new(ChunkParts {
        parts: parts.into(),
        order: order.into(),
        entries: project_graph
            .script_entries
            .iter()
            .map(|&i| graph.module(i).id.clone())
            .collect(),
        refresh_runtime: project_graph
            .refresh_runtime
            .map(|i| graph.module(i).id.clone()),
        uses_empty_module,
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
