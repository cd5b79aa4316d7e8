//! The queries, one module per phase: `parsed` (compile a file) → `imports`/`hot` (Eq
//! projections that backdate) → `resolve` (and `glob`, the files an `import.meta.glob` call
//! matches) → `diagnostics`/`emit` (per module) → `html`, `graph`, `chunks`, `env` (per
//! project). Every query takes `db: &dyn Db` first, does no IO except resolution and glob
//! listing (see `resolve`; it also creates the inputs of the files it finds, through `Files`),
//! and returns errors as data.
//!
//! `exports` is no query: the names an import takes that its module does not export, checked by
//! the build itself (untracked, to hold no dependency edge per import).
//!
//! The per-project queries (`module_graph`, `chunk`) are aggregates over every module: the
//! `EngineHost` demands them only for structural changes, never after a body edit.

pub mod chunks;
pub mod diagnostics;
pub mod emit;
pub mod env;
pub mod exports;
pub mod glob;
pub mod graph;
pub mod hot;
pub mod html;
pub mod imports;
pub mod parsed;
pub mod plugin_pass;
pub mod resolve;
