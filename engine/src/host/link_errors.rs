//! Updates held while a module imports a name another does not export (`queries::exports`).
//!
//! The browser would refuse to link the new code (Vite's update fails in the console); the
//! registry would run it with `undefined` for the name. Instead, an edited module that takes
//! part in such an import (the importer, the module it names, or a module that module's
//! `export *`s reach) is *withheld*: not sent, while the overlay shows the error at the import,
//! so the page keeps its last good state. The next edit's update sends the withheld modules
//! with its own once nothing they take part in is missing any more, whichever file the fix
//! was made in (the importer's import, or the export put back).

use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::environment::EnvironmentKind;
use crate::graph::ModuleIndex;
use crate::inputs::in_node_modules;
use crate::queries::exports::{missing_exports, parsed_in};
use crate::queries::graph::ProjectGraph;
use crate::queries::resolve::imports_in;

use super::EngineHost;

impl EngineHost {
    /// The modules of the last build that take part in an import of a name that is not
    /// exported (see the module docs). Looks only at modules with diagnostics.
    pub fn link_error_modules(&self) -> FxHashSet<ModuleIndex> {
        self.state
            .as_ref()
            .map_or_else(FxHashSet::default, |state| {
                taking_part(
                    &self.db,
                    EnvironmentKind::Page,
                    &state.graph,
                    state.with_diagnostics.keys().copied(),
                )
            })
    }

    /// Holds `modules` (ids) until a later update can send them (`take_withheld`).
    pub fn withhold(&mut self, modules: impl IntoIterator<Item = Arc<str>>) {
        for id in modules {
            if !self.withheld.contains(&id) {
                self.withheld.push(id);
            }
        }
    }

    /// The modules withheld so far, taken: the caller sends them or withholds them again.
    pub fn take_withheld(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.withheld)
    }
}

/// The modules among `candidates` (modules of `graph`, in `env`) that take part in an import of
/// a name not exported: the importer, the module it names, and those its `export *`s reach.
pub(super) fn taking_part(
    db: &dyn crate::db::Db,
    env: EnvironmentKind,
    graph: &ProjectGraph,
    candidates: impl IntoIterator<Item = ModuleIndex>,
) -> FxHashSet<ModuleIndex> {
    let mut out = FxHashSet::default();
    for index in candidates {
        let Some(&file) = graph.files.get(index.idx()) else {
            continue;
        };
        if in_node_modules(file.path(db)) {
            continue;
        }
        let parsed = parsed_in(db, env, file);
        let resolved = imports_in(db, env, file);
        for missing in missing_exports(db, env, &parsed, &resolved) {
            out.insert(index);
            out.extend(
                missing
                    .through
                    .iter()
                    .filter_map(|&f| graph.index_of_file(f)),
            );
        }
    }
    out
}
