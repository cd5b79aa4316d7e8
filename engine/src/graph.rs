//! The module graph as plain data: dense indices and CSR edge arrays, no object graph and no
//! salsa types, so the planner and the dashboard can read it without a database.
//!
//! Per module it holds the HMR facts the planner reads and the set of environments the module
//! runs in; each `Environment` is a kind, a name and its roots (`crate::environment`).

use std::sync::Arc;

use rustc_hash::FxHashMap;

pub use hotloop_protocol::ModuleKind;

use crate::environment::{EnvIndex, EnvSet, EnvironmentKind, UpdateRule};

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
    /// Dependencies this module accepts with `hot.accept(dep, cb)`.
    pub accepted_deps: Box<[ModuleIndex]>,
    /// Reached from an entry through static imports (evaluated on page load). A module only
    /// reachable through `import()` may never have been loaded by a client.
    pub loaded: bool,
    /// The environments it runs in: those whose roots reach it (`GraphBuilder::finish` fills
    /// this in; `import()` counts, it loads in the same environment).
    pub environments: EnvSet,
    /// Why a module that registered React components is no Fast Refresh boundary: its first
    /// export that is not a component (`HotFacts::refresh_refused`).
    pub refresh_refused: Option<Arc<str>>,
}

/// One environment of the project's graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Environment {
    pub kind: EnvironmentKind,
    /// `client` for the page; a worker's root module id.
    pub name: Arc<str>,
    /// Where evaluation starts (the page: its refresh runtime and its scripts; a worker: its
    /// file).
    pub roots: Box<[ModuleIndex]>,
}

/// The graph: `imports(i)` and `importers(i)` are slices into shared edge arrays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleGraph {
    pub modules: Vec<GraphModule>,
    pub entries: Vec<ModuleIndex>,
    /// The page first ([`EnvIndex::PAGE`]), then every web worker.
    pub environments: Vec<Environment>,
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

    pub fn environment(&self, env: EnvIndex) -> &Environment {
        &self.environments[env.0 as usize]
    }

    /// The first environment of `index` whose running code cannot take an update in place.
    pub fn reloading_environment(&self, index: ModuleIndex) -> Option<&Environment> {
        self.module(index)
            .environments
            .iter()
            .filter_map(|env| self.environments.get(env.0 as usize))
            .find(|env| env.kind.update_rule() == UpdateRule::ReloadPage)
    }
}

/// Builds a `ModuleGraph` from modules and their import lists.
#[derive(Default)]
pub struct GraphBuilder {
    modules: Vec<GraphModule>,
    imports: Vec<Vec<ModuleIndex>>,
    entries: Vec<ModuleIndex>,
    environments: Vec<Environment>,
}

impl GraphBuilder {
    /// A builder holding `graph`'s modules, edges and entries (not its environments: add them
    /// again), to append to: O(modules + edges) of plain data, no query.
    pub fn from_graph(graph: &ModuleGraph) -> GraphBuilder {
        GraphBuilder {
            modules: graph
                .modules
                .iter()
                .map(|m| GraphModule {
                    environments: EnvSet::EMPTY,
                    ..m.clone()
                })
                .collect(),
            imports: graph.indices().map(|i| graph.imports(i).to_vec()).collect(),
            entries: graph.entries.clone(),
            environments: Vec::new(),
        }
    }

    pub fn add(&mut self, module: GraphModule) -> ModuleIndex {
        let index = ModuleIndex(self.modules.len() as u32);
        self.modules.push(module);
        self.imports.push(Vec::new());
        index
    }

    pub fn module_mut(&mut self, index: ModuleIndex) -> &mut GraphModule {
        &mut self.modules[index.idx()]
    }

    pub fn module(&self, index: ModuleIndex) -> &GraphModule {
        &self.modules[index.idx()]
    }

    /// The imports added so far from `from`.
    pub fn imports_of(&self, from: ModuleIndex) -> &[ModuleIndex] {
        &self.imports[from.idx()]
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

    /// Adds an environment; the first one added must be the page's. Without any, `finish`
    /// makes the page's from the entries.
    pub fn add_environment(&mut self, environment: Environment) -> EnvIndex {
        self.environments.push(environment);
        EnvIndex((self.environments.len() - 1) as u8)
    }

    pub fn finish(mut self) -> ModuleGraph {
        if self.environments.is_empty() {
            self.environments.push(Environment {
                kind: EnvironmentKind::Page,
                name: "client".into(),
                roots: self.entries.clone().into(),
            });
        }
        // Membership: everything an environment's roots reach, `import()` included.
        for (i, env) in self.environments.iter().enumerate() {
            let index = EnvIndex(i as u8);
            let mut stack: Vec<ModuleIndex> = env.roots.to_vec();
            while let Some(module) = stack.pop() {
                if self.modules[module.idx()].environments.insert(index) {
                    stack.extend_from_slice(&self.imports[module.idx()]);
                }
            }
        }
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
            environments: self.environments,
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
            accepted_deps: Box::new([]),
            loaded: true,
            environments: EnvSet::EMPTY,
            refresh_refused: None,
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

    #[test]
    fn a_module_runs_in_every_environment_whose_roots_reach_it() {
        let mut b = GraphBuilder::default();
        let main = b.add(module("/main.js"));
        let shared = b.add(module("/shared.js"));
        let worker = b.add(module("/worker.js"));
        let lazy = b.add(module("/lazy.js"));
        b.add_import(main, shared);
        b.add_import(main, lazy);
        b.add_import(worker, shared);
        b.add_entry(main);
        let page = b.add_environment(Environment {
            kind: EnvironmentKind::Page,
            name: "client".into(),
            roots: Box::new([main]),
        });
        let in_worker = b.add_environment(Environment {
            kind: EnvironmentKind::Worker,
            name: "/worker.js".into(),
            roots: Box::new([worker]),
        });
        let g = b.finish();
        let envs = |m: ModuleIndex| g.module(m).environments.iter().collect::<Vec<_>>();
        assert_eq!(envs(main), [page]);
        assert_eq!(envs(lazy), [page]);
        assert_eq!(envs(shared), [page, in_worker]);
        assert_eq!(envs(worker), [in_worker]);
        assert_eq!(g.reloading_environment(main), None);
        assert_eq!(
            g.reloading_environment(shared).map(|e| &*e.name),
            Some("/worker.js")
        );
    }
}
