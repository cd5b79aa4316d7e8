//! The module graph as plain data: dense indices and CSR edge arrays, no object graph and no
//! salsa types, so the planner and the dashboard can read it without a database.

use std::sync::Arc;

use rustc_hash::FxHashMap;

pub use hotloop_protocol::ModuleKind;

/// Dense index of a module inside one `ModuleGraph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleIndex(pub u32);

impl ModuleIndex {
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// Per-module facts the planner needs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GraphModule {
    /// Module id (`/src/a.js`).
    pub id: Arc<str>,
    pub kind: ModuleKind,
    pub self_accepts: bool,
    pub declines: bool,
    /// Dependencies this module accepts with `hot.accept(dep, cb)`.
    pub accepted_deps: Box<[ModuleIndex]>,
    /// Reached from an entry through static imports (evaluated on page load). A module only
    /// reachable through `import()` may never have been loaded by a client.
    pub loaded: bool,
    /// Runs in a web worker: reachable from a worker root (`new Worker(...)`, `?worker`). A
    /// worker's code cannot be swapped in place, so an edit to such a module reloads the page.
    pub in_worker: bool,
}

/// The graph: `imports(i)` and `importers(i)` are slices into shared edge arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleGraph {
    pub modules: Vec<GraphModule>,
    pub entries: Vec<ModuleIndex>,
    import_offsets: Vec<u32>,
    import_edges: Vec<ModuleIndex>,
    importer_offsets: Vec<u32>,
    importer_edges: Vec<ModuleIndex>,
    by_id: FxHashMap<Arc<str>, ModuleIndex>,
}

impl ModuleGraph {
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    pub fn module(&self, index: ModuleIndex) -> &GraphModule {
        &self.modules[index.idx()]
    }

    pub fn index_of(&self, id: &str) -> Option<ModuleIndex> {
        self.by_id.get(id).copied()
    }

    pub fn imports(&self, index: ModuleIndex) -> &[ModuleIndex] {
        let i = index.idx();
        &self.import_edges[self.import_offsets[i] as usize..self.import_offsets[i + 1] as usize]
    }

    pub fn importers(&self, index: ModuleIndex) -> &[ModuleIndex] {
        let i = index.idx();
        &self.importer_edges
            [self.importer_offsets[i] as usize..self.importer_offsets[i + 1] as usize]
    }

    pub fn edge_count(&self) -> usize {
        self.import_edges.len()
    }

    pub fn indices(&self) -> impl Iterator<Item = ModuleIndex> + '_ {
        (0..self.modules.len() as u32).map(ModuleIndex)
    }
}

/// Builds a `ModuleGraph` from modules and their import lists.
#[derive(Default)]
pub struct GraphBuilder {
    modules: Vec<GraphModule>,
    imports: Vec<Vec<ModuleIndex>>,
    entries: Vec<ModuleIndex>,
}

impl GraphBuilder {
    pub fn add(&mut self, module: GraphModule) -> ModuleIndex {
        let index = ModuleIndex(self.modules.len() as u32);
        self.modules.push(module);
        self.imports.push(Vec::new());
        index
    }

    pub fn module_mut(&mut self, index: ModuleIndex) -> &mut GraphModule {
        &mut self.modules[index.idx()]
    }

    pub fn add_import(&mut self, from: ModuleIndex, to: ModuleIndex) {
        let list = &mut self.imports[from.idx()];
        if !list.contains(&to) {
            list.push(to);
        }
    }

    pub fn add_entry(&mut self, entry: ModuleIndex) {
        if !self.entries.contains(&entry) {
            self.entries.push(entry);
        }
    }

    pub fn finish(self) -> ModuleGraph {
        let n = self.modules.len();
        let mut import_offsets = Vec::with_capacity(n + 1);
        let mut import_edges = Vec::new();
        let mut importer_counts = vec![0u32; n];
        import_offsets.push(0);
        for list in &self.imports {
            for &to in list {
                import_edges.push(to);
                importer_counts[to.idx()] += 1;
            }
            import_offsets.push(import_edges.len() as u32);
        }
        let mut importer_offsets = Vec::with_capacity(n + 1);
        importer_offsets.push(0u32);
        for count in &importer_counts {
            let last = *importer_offsets.last().unwrap_or(&0);
            importer_offsets.push(last + count);
        }
        let mut fill = importer_offsets.clone();
        let mut importer_edges = vec![ModuleIndex(0); import_edges.len()];
        for (from, list) in self.imports.iter().enumerate() {
            for &to in list {
                let slot = &mut fill[to.idx()];
                importer_edges[*slot as usize] = ModuleIndex(from as u32);
                *slot += 1;
            }
        }
        let by_id = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), ModuleIndex(i as u32)))
            .collect();
        ModuleGraph {
            modules: self.modules,
            entries: self.entries,
            import_offsets,
            import_edges,
            importer_offsets,
            importer_edges,
            by_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(id: &str) -> GraphModule {
        GraphModule {
            id: id.into(),
            kind: ModuleKind::Js,
            self_accepts: false,
            declines: false,
            accepted_deps: Box::new([]),
            loaded: true,
            in_worker: false,
        }
    }

    #[test]
    fn importers_are_the_reverse_of_imports() {
        let mut b = GraphBuilder::default();
        let main = b.add(module("/main.js"));
        let a = b.add(module("/a.js"));
        let c = b.add(module("/c.js"));
        b.add_import(main, a);
        b.add_import(main, c);
        b.add_import(a, c);
        b.add_entry(main);
        let g = b.finish();
        assert_eq!(g.imports(main), &[a, c]);
        assert_eq!(g.importers(c), &[main, a]);
        assert_eq!(g.importers(main), &[] as &[ModuleIndex]);
        assert_eq!(g.index_of("/a.js"), Some(a));
        assert_eq!(g.edge_count(), 3);
    }
}
