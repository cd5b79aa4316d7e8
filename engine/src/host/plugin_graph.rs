//! The page's module graph as the project's Vite plugins see it: their `server.moduleGraph`
//! gets the import edges (`importedModules`, `importers`) from hotloop's graph, which resolves
//! most imports without them (`Plugins::module_graph`). The whole graph goes to a plugin host
//! that has none (it started, restarted or loaded its config again); after that, only when a
//! build changed the graph's structure, and only what changed. A project without plugins pays
//! one `None` check per build.
//!
//! Modules are named by their URLs on the page (module ids), as Vite's `ModuleNode.url`. The
//! module an `import.meta.glob(...)` call becomes is hotloop's own: its importer imports the
//! matched files directly, as under Vite.

use std::path::Path;

use hotloop_protocol::plugin::GraphEdges;

use crate::db::Db as _;
use crate::files::glob_module_of_path;
use crate::graph::{ModuleGraph, ModuleIndex};

use super::EngineHost;

impl EngineHost {
    /// After a build: tells the plugins what changed from `old` (the last build's graph) to
    /// `new`, or all of `new` when they have none.
    pub(crate) fn tell_plugins_graph(&self, old: &ModuleGraph, new: &ModuleGraph) {
        let Some(plugins) = self.db.plugins() else {
            return;
        };
        let whole = plugins.wants_whole_graph();
        if !whole && std::ptr::eq(old, new) {
            return;
        }
        let edges = graph_edges((!whole).then_some(old), new);
        if whole || !edges.is_empty() {
            plugins.module_graph(&edges);
        }
    }
}

/// What changed from `old` to `new` (`None`: everything in `new`).
pub(crate) fn graph_edges(old: Option<&ModuleGraph>, new: &ModuleGraph) -> GraphEdges {
    let mut edges = GraphEdges::default();
    for index in new.indices() {
        let id = &*new.module(index).id;
        if is_glob_module(id) {
            continue;
        }
        let imports = imports_of(new, index);
        let unchanged = old
            .and_then(|old| old.index_of(id).map(|at| imports_of(old, at) == imports))
            .unwrap_or(false);
        if !unchanged {
            let imports = imports.into_iter().map(str::to_owned).collect();
            edges.modules.push((id.to_owned(), imports));
        }
    }
    if let Some(old) = old {
        edges.removed = old
            .modules
            .iter()
            .map(|m| &*m.id)
            .filter(|id| !is_glob_module(id) && new.index_of(id).is_none())
            .map(str::to_owned)
            .collect();
    }
    edges
}

/// The ids `index` imports, a glob module's files in its place, each once.
fn imports_of(graph: &ModuleGraph, index: ModuleIndex) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::with_capacity(graph.imports(index).len());
    for &dep in graph.imports(index) {
        let id = &*graph.module(dep).id;
        if is_glob_module(id) {
            for &file in graph.imports(dep) {
                let file = &*graph.module(file).id;
                if !ids.contains(&file) {
                    ids.push(file);
                }
            }
        } else if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn is_glob_module(id: &str) -> bool {
    id.contains("?glob=") && glob_module_of_path(Path::new(id)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::graph;

    fn owned(modules: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        modules
            .iter()
            .map(|(id, imports)| {
                let imports = imports.iter().map(|s| s.to_string()).collect();
                (id.to_string(), imports)
            })
            .collect()
    }

    #[test]
    fn the_first_graph_is_sent_whole_then_what_changed() {
        let before = graph("/main.js -> /a.js /b.js; /a.js -> /b.js");
        let whole = graph_edges(None, &before);
        assert_eq!(
            whole.modules,
            owned(&[
                ("/main.js", &["/a.js", "/b.js"]),
                ("/a.js", &["/b.js"]),
                ("/b.js", &[]),
            ])
        );
        assert!(whole.removed.is_empty());
        let after = graph("/main.js -> /a.js /c.js; /a.js -> /b.js");
        let changed = graph_edges(Some(&before), &after);
        assert_eq!(
            changed.modules,
            owned(&[("/main.js", &["/a.js", "/c.js"]), ("/c.js", &[])])
        );
        assert!(changed.removed.is_empty(), "b.js is still imported by a.js");
        let gone = graph("/main.js -> /a.js; /a.js");
        let changed = graph_edges(Some(&after), &gone);
        assert_eq!(
            changed.modules,
            owned(&[("/main.js", &["/a.js"]), ("/a.js", &[])])
        );
        assert_eq!(changed.removed, ["/c.js", "/b.js"]);
        assert!(graph_edges(Some(&gone), &gone).is_empty());
    }

    #[test]
    fn a_glob_modules_files_are_its_importers_imports() {
        let g = graph("/main.js -> /main.js?glob=0 /a.js; /main.js?glob=0 -> /p/x.js /a.js");
        assert_eq!(
            graph_edges(None, &g).modules,
            owned(&[
                ("/main.js", &["/p/x.js", "/a.js"]),
                ("/a.js", &[]),
                ("/p/x.js", &[]),
            ])
        );
    }
}
