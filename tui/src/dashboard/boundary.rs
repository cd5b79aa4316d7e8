//! Why an edit to a module hot-updates or reloads the page: the walk up its importers to the
//! modules that accept it (Vite's `propagateUpdate`), over the plain-data `ModuleGraph`. For
//! display only: the engine's planner decides the real update.

use engine::graph::{ModuleGraph, ModuleIndex};

/// How a path ends in a module that accepts the edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// The last module of the path calls `import.meta.hot.accept()` with no deps.
    SelfAccepting,
    /// The last module accepts this dependency (the module before it on the path).
    AcceptsDep(ModuleIndex),
}

/// One path from the edited module up to a boundary, edited module first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub path: Vec<ModuleIndex>,
    pub acceptance: Acceptance,
}

/// Why a walk found no boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadEnd {
    /// The last module of the chain has no importers (an entry) and does not accept itself.
    NoImporters,
    /// The last module of the chain calls `import.meta.hot.decline()`.
    Declined,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Every path up from the module meets a module that accepts it.
    Hot(Vec<Chain>),
    /// A path ends without a boundary: the page reloads. `chain` is that path, edited first.
    FullReload {
        dead_end: DeadEnd,
        chain: Vec<ModuleIndex>,
    },
    /// No client evaluated this module yet (only reachable through `import()`): an edit has
    /// nothing to update.
    NotLoaded,
}

/// Walks importers from `start` until every path meets a self-accepting module or an importer
/// that accepts the module below it. Each module is walked once; an importer already on the
/// current path (a cycle) is skipped, as Vite does.
pub fn explain(graph: &ModuleGraph, start: ModuleIndex) -> Propagation {
    if !graph.module(start).loaded {
        return Propagation::NotLoaded;
    }
    let mut walk = Walk {
        graph,
        traversed: vec![false; graph.len()],
        chain: Vec::new(),
        found: Vec::new(),
    };
    match walk.visit(start) {
        Ok(()) => Propagation::Hot(walk.found),
        Err((dead_end, chain)) => Propagation::FullReload { dead_end, chain },
    }
}

struct Walk<'g> {
    graph: &'g ModuleGraph,
    traversed: Vec<bool>,
    chain: Vec<ModuleIndex>,
    found: Vec<Chain>,
}

impl Walk<'_> {
    fn visit(&mut self, node: ModuleIndex) -> Result<(), (DeadEnd, Vec<ModuleIndex>)> {
        if std::mem::replace(&mut self.traversed[node.idx()], true) {
            return Ok(());
        }
        self.chain.push(node);
        let module = self.graph.module(node);
        if module.declines {
            return Err((DeadEnd::Declined, self.chain.clone()));
        }
        if module.self_accepts {
            self.found.push(Chain {
                path: self.chain.clone(),
                acceptance: Acceptance::SelfAccepting,
            });
            self.chain.pop();
            return Ok(());
        }
        let importers = self.graph.importers(node);
        if importers.is_empty() {
            return Err((DeadEnd::NoImporters, self.chain.clone()));
        }
        for &importer in importers {
            let importer_module = self.graph.module(importer);
            if !importer_module.loaded || self.chain.contains(&importer) {
                continue;
            }
            if importer_module.accepted_deps.contains(&node) {
                let mut path = self.chain.clone();
                path.push(importer);
                self.found.push(Chain {
                    path,
                    acceptance: Acceptance::AcceptsDep(node),
                });
                continue;
            }
            self.visit(importer)?;
        }
        self.chain.pop();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use engine::graph::{GraphBuilder, GraphModule, ModuleKind};

    use super::*;

    /// `spec` lines: `id [self] [decline] [lazy] [accepts=dep,dep] -> import import`.
    fn graph(spec: &str) -> ModuleGraph {
        let lines: Vec<(&str, &str)> = spec
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| line.split_once("->").unwrap_or((line, "")))
            .collect();
        let mut builder = GraphBuilder::default();
        let ids: Vec<&str> = lines
            .iter()
            .map(|(head, _)| head.split_whitespace().next().unwrap_or(""))
            .collect();
        for (head, _) in &lines {
            let mut words = head.split_whitespace();
            let id = words.next().unwrap_or("");
            let flags: Vec<&str> = words.collect();
            builder.add(GraphModule {
                id: id.into(),
                kind: ModuleKind::Js,
                self_accepts: flags.contains(&"self"),
                declines: flags.contains(&"decline"),
                accepted_deps: Box::new([]),
                loaded: !flags.contains(&"lazy"),
            });
        }
        let index = |id: &str| ModuleIndex(ids.iter().position(|it| *it == id).unwrap() as u32);
        for (i, (head, imports)) in lines.iter().enumerate() {
            let from = ModuleIndex(i as u32);
            for to in imports.split_whitespace() {
                builder.add_import(from, index(to));
            }
            let accepted: Vec<ModuleIndex> = head
                .split_whitespace()
                .filter_map(|flag| flag.strip_prefix("accepts="))
                .flat_map(|deps| deps.split(','))
                .map(index)
                .collect();
            builder.module_mut(from).accepted_deps = accepted.into();
        }
        builder.add_entry(ModuleIndex(0));
        builder.finish()
    }

    #[track_caller]
    fn check(spec: &str, start: &str, expected: &str) {
        let graph = graph(spec);
        let names = |path: &[ModuleIndex]| {
            path.iter()
                .map(|&i| graph.module(i).id.to_string())
                .collect::<Vec<_>>()
                .join(" <- ")
        };
        let start = graph.index_of(start).unwrap();
        let actual = match explain(&graph, start) {
            Propagation::NotLoaded => "not loaded".to_owned(),
            Propagation::FullReload { dead_end, chain } => {
                format!("reload {dead_end:?}: {}", names(&chain))
            }
            Propagation::Hot(chains) => chains
                .iter()
                .map(|chain| match chain.acceptance {
                    Acceptance::SelfAccepting => format!("{} (self)", names(&chain.path)),
                    Acceptance::AcceptsDep(dep) => {
                        format!("{} (accepts {})", names(&chain.path), graph.module(dep).id)
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        };
        assert_eq!(actual, expected);
    }

    #[test]
    fn a_self_accepting_module_is_its_own_boundary() {
        check("main -> counter\ncounter self", "counter", "counter (self)");
    }

    #[test]
    fn the_walk_climbs_to_a_self_accepting_importer() {
        check(
            "main -> app\napp self -> util\nutil",
            "util",
            "util <- app (self)",
        );
    }

    #[test]
    fn an_importer_accepting_the_dep_is_the_boundary() {
        check(
            "main accepts=util -> util\nutil",
            "util",
            "util <- main (accepts util)",
        );
    }

    #[test]
    fn reaching_the_entry_without_a_boundary_reloads() {
        check(
            "main -> a b\na self -> util\nb -> util\nutil",
            "util",
            "reload NoImporters: util <- b <- main",
        );
    }

    #[test]
    fn a_declining_module_reloads() {
        check("main -> a\na decline", "a", "reload Declined: a");
    }

    #[test]
    fn cycles_are_walked_once() {
        check(
            "main -> a\na -> b\nb self -> a",
            "a",
            "reload NoImporters: a <- main",
        );
        check(
            "main self -> a\na -> b\nb -> a",
            "b",
            "b <- a <- main (self)",
        );
    }

    #[test]
    fn a_module_never_loaded_has_nothing_to_update() {
        check("main\nlazy lazy", "lazy", "not loaded");
    }
}
