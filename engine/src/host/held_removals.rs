//! Modules a build dropped from the page's graph that the page keeps running: a deleted (or
//! renamed) file's module whose importer now fails (its import no longer resolves, so the
//! importer keeps its last good code in the page: [`EngineHost::has_code`]) stays in the page
//! with that code, which uses it (its styles, its exports), as under Vite, where the
//! importer's new code never loads. Deleting `Button.module.css` took the button's styles off
//! the page behind the overlay.
//!
//! A held module (and what only it imported, held with it) is removed from the page by the
//! first build in which no module holding it fails: the import deleted, or the importer
//! deleted too. It is forgotten, not removed, when its file comes back: the build compiles it
//! as a new module and sends it; with the code the page holds, it is no change (nothing runs
//! it again, `BuildResult::returned`), and goes along for the pages loaded since.

use std::sync::Arc;

use crate::graph::ModuleIndex;
use crate::inputs::SourceFile;
use crate::queries::graph::ProjectGraph;
use hotloop_protocol::Statement;

use super::EngineHost;
use super::build::ModuleState;

/// A module dropped from the graph and kept in the page, with the files that imported it in
/// the last graph that had it, and the code the page holds of it.
#[derive(Clone, Debug)]
pub(super) struct HeldRemoval {
    file: SourceFile,
    id: Arc<str>,
    holders: Vec<SourceFile>,
    entry: Option<Statement>,
}

/// The modules of `prev` (with its `modules`' states) that `graph` dropped, each with its
/// importers in `prev`.
pub(super) fn dropped(
    prev: &ProjectGraph,
    modules: &[ModuleState],
    graph: &ProjectGraph,
) -> Vec<HeldRemoval> {
    prev.files
        .iter()
        .enumerate()
        .filter(|(_, file)| graph.index_of_file(**file).is_none())
        .map(|(i, &file)| HeldRemoval {
            file,
            entry: modules.get(i).and_then(|m| m.entry.clone()),
            id: prev.graph.modules[i].id.clone(),
            holders: prev
                .graph
                .importers(ModuleIndex(i as u32))
                .iter()
                .map(|importer| prev.files[importer.idx()])
                .collect(),
        })
        .collect()
}

impl EngineHost {
    /// Whether `file`, back in the graph with the code `entry`, is a module held in the page
    /// with that very code: the page runs it still, so it is no change. Sent as new, it ran
    /// again: a component renamed while its importer still named the old file, then the
    /// import fixed, brought back the modules only it imported (a store module, the
    /// `@preact/signals` package, which hooks into Preact a second time: "Cycle detected").
    pub(super) fn held_with(&self, file: SourceFile, entry: Option<&Statement>) -> bool {
        entry.is_some()
            && self
                .held_removals
                .iter()
                .any(|held| held.file == file && held.entry.as_ref() == entry)
    }

    /// Of the modules the last build dropped (`dropped`) and those `held` before, the ids to
    /// remove from the page now, and the ones to hold on (see the module docs). Called once
    /// the build's state is in place (`has_code` looks at it).
    pub(super) fn removals(
        &self,
        held: Vec<HeldRemoval>,
        dropped: Vec<HeldRemoval>,
    ) -> (Vec<Arc<str>>, Vec<HeldRemoval>) {
        let Some(state) = self.state.as_ref() else {
            return (dropped.into_iter().map(|d| d.id).collect(), Vec::new());
        };
        let graph = &state.graph;
        let mut candidates: Vec<HeldRemoval> = held
            .into_iter()
            // Back in the graph: compiled anew and sent as a module of its own.
            .filter(|held| graph.index_of_file(held.file).is_none())
            .collect();
        for removal in dropped {
            if !candidates.iter().any(|c| c.file == removal.file) {
                candidates.push(removal);
            }
        }
        let failing = |file: SourceFile| {
            graph
                .index_of_file(file)
                .is_some_and(|index| !self.has_code(index))
        };
        let mut held = vec![false; candidates.len()];
        loop {
            let mut grew = false;
            for i in 0..candidates.len() {
                if held[i] {
                    continue;
                }
                let holds = |holder: &SourceFile| {
                    failing(*holder)
                        || candidates
                            .iter()
                            .zip(&held)
                            .any(|(c, &h)| h && c.file == *holder)
                };
                if candidates[i].holders.iter().any(holds) {
                    held[i] = true;
                    grew = true;
                }
            }
            if !grew {
                break;
            }
        }
        let mut removed = Vec::new();
        let mut still_held = Vec::new();
        for (candidate, held) in candidates.into_iter().zip(held) {
            if held {
                tracing::debug!(
                    "{} is gone from the graph; kept in the page while an importer fails",
                    candidate.id
                );
                still_held.push(candidate);
            } else {
                removed.push(candidate.id);
            }
        }
        (removed, still_held)
    }
}
