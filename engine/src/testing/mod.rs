//! The one place for test support: the `//- /path` fixture format and the temp project it
//! writes ([`TempProject`]), the graph DSL ([`graph()`]) with its renderings, and the
//! incremental suite's `check(fixture, edits, expect![..])` ([`check`]), whose snapshot is the
//! list of queries each edit executed and reused, plus what the edit produced; and the shape
//! of the generated module trees of the benchmark and the large-project tests ([`tree`]);
//! plugins that take no module ([`InertPlugins`]) or transform a few ([`TransformPlugins`]); watcher batches fed by hand ([`modified`]).
//!
//! It is a module of the engine, compiled for the engine's own tests (`cfg(test)`) and, behind
//! the `testing` cargo feature, for other crates' tests (`hotloop-engine = { features =
//! ["testing"] }` as a dev-dependency; the engine's own integration tests get it through a
//! dev-dependency of the crate on itself). It is not a separate support crate on purpose: the
//! engine's unit tests would then link a second copy of the engine (the support crate's), whose
//! `ModuleGraph`, `EngineHost`, ... are other types than the ones under test.

mod fixture;
mod graph;
mod incremental;
mod plugins;
pub mod tree;
mod watch;

pub use fixture::{FixtureFile, TempProject, parse_fixture};
pub use graph::{graph, indices, render_graph, render_plan};
#[cfg(test)]
pub(crate) use incremental::plan_of;
pub use incremental::{Incremental, check, id_set, sent_modules};
pub use plugins::{InertPlugins, TransformPlugins};
pub use watch::{created, modified};
