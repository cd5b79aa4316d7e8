//! Why an edit to a module hot-updates or reloads the page: the walk up its importers to the
//! modules that accept it, in the shapes the Graph tab renders. The walk itself is the
//! engine's planner (`engine::explain`): the dashboard never has a rule of its own.

use engine::{FullReloadReason, UpdatePlan};
use engine::{ModuleGraph, ModuleIndex};

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Every path up from the module meets a module that accepts it.
    Hot(Vec<Chain>),
    /// A path ends without a boundary: the page reloads. `chain` is that path, edited first.
    FullReload {
        /// The planner's reason, as the page and the log will show it.
        reason: FullReloadReason,
        chain: Vec<ModuleIndex>,
    },
}

/// How the chain of a full reload ends, in a few words (the Graph tab's marker).
pub fn dead_end(reason: &FullReloadReason) -> &'static str {
    match reason {
        FullReloadReason::NoBoundary { .. } => "no importers",
        FullReloadReason::InWorker { .. } => "runs in a worker",
        FullReloadReason::CircularInvalidate { .. } => "invalidates in a loop",
        FullReloadReason::HtmlChanged { .. }
        | FullReloadReason::ConfigChanged { .. }
        | FullReloadReason::ClientOutOfSync
        | FullReloadReason::Requested
        | FullReloadReason::ProtocolChanged
        | FullReloadReason::ServerRestarted
        | FullReloadReason::CycleUpdateFailed
        | FullReloadReason::ServerUpdated
        | FullReloadReason::EvalBlocked
        | FullReloadReason::FailedImportFixed => "reloads",
    }
}

/// Walks importers from `start` until every path meets a self-accepting module or an importer
/// that accepts the module below it: the engine's own planner (`engine::explain`), so
/// what the dashboard says is what an edit will do.
pub fn explain(graph: &ModuleGraph, start: ModuleIndex) -> Propagation {
    let engine::Explanation { plan, chains } = engine::explain(graph, start);
    match plan {
        UpdatePlan::FullReload(reason) => Propagation::FullReload {
            reason,
            chain: chains.into_iter().next().unwrap_or_default(),
        },
        UpdatePlan::Hot(hot) => Propagation::Hot(
            hot.boundaries
                .iter()
                .zip(chains)
                .map(|(boundary, path)| Chain {
                    path,
                    acceptance: match boundary.accepted_dep {
                        Some(dep) => Acceptance::AcceptsDep(dep),
                        None => Acceptance::SelfAccepting,
                    },
                })
                .collect(),
        ),
        UpdatePlan::Nothing => Propagation::Hot(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use engine::testing::graph;

    use super::*;

    /// `spec` is a graph in the engine's test DSL (`engine::testing::graph`).
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
            Propagation::FullReload { reason, chain } => {
                format!("reload {}: {}", dead_end(&reason), names(&chain))
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
        check(
            "main -> counter\ncounter: self",
            "counter",
            "counter (self)",
        );
    }

    #[test]
    fn the_walk_climbs_to_a_self_accepting_importer() {
        check(
            "main -> app\napp: self -> util\nutil",
            "util",
            "util <- app (self)",
        );
    }

    #[test]
    fn an_importer_accepting_the_dep_is_the_boundary() {
        check(
            "main: accept util -> util\nutil",
            "util",
            "util <- main (accepts util)",
        );
    }

    #[test]
    fn reaching_the_entry_without_a_boundary_reloads() {
        check(
            "main -> a b\na: self -> util\nb -> util\nutil",
            "util",
            "reload no importers: util <- b <- main",
        );
    }

    #[test]
    fn a_worker_module_reloads_and_says_so() {
        check("main -> a\na: worker", "a", "reload runs in a worker: a");
    }

    #[test]
    fn cycles_are_walked_once() {
        check(
            "main -> a\na -> b\nb: self -> a",
            "a",
            "reload no importers: a <- main",
        );
        check(
            "main: self -> a\na -> b\nb -> a",
            "b",
            "b <- a <- main (self)",
        );
    }

    #[test]
    fn a_lazily_imported_module_propagates_like_any_other() {
        check("main -> lazy\nlazy: unloaded, self", "lazy", "lazy (self)");
        check(
            "main -> lazy\nlazy: unloaded",
            "lazy",
            "reload no importers: lazy <- main",
        );
    }
}
