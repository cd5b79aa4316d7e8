//! `module_imports` and `import_specifiers`: the imports of one file, as `Eq` projections of
//! `parsed_module`. An edit that leaves the imports alone (a function body) re-parses the file
//! but backdates these, so resolution and the graph do not re-run.

use std::sync::Arc;

use crate::db::Db;
use crate::inputs::SourceFile;
use crate::queries::parsed::{parsed_module, server_differs, server_parsed_module};
use crate::telemetry::Phase;
use crate::transform::{ImportKind, ImportRecord};

/// Every import of the file as written, with positions (for diagnostics).
#[salsa::tracked(returns(clone))]
pub fn module_imports(db: &dyn Db, file: SourceFile) -> Arc<[ImportRecord]> {
    let _clock = db.clock().enter_key(Phase::Parse, "module_imports", file);
    let _span = tracing::trace_span!("module_imports", file = %file.path(db).display()).entered();
    parsed_module(db, file).imports.clone()
}

/// One import without its position.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImportSpec {
    pub specifier: Arc<str>,
    pub kind: ImportKind,
}

/// The imports without positions, index-aligned with `module_imports`: what resolution reads,
/// so adding a line above an import does not re-resolve it.
#[salsa::tracked(returns(clone))]
pub fn import_specifiers(db: &dyn Db, file: SourceFile) -> Arc<[ImportSpec]> {
    let _clock = db
        .clock()
        .enter_key(Phase::Parse, "import_specifiers", file);
    let _span =
        tracing::trace_span!("import_specifiers", file = %file.path(db).display()).entered();
    specs_of(&module_imports(db, file))
}

/// `module_imports` of the app's server's compile (`server_parsed_module`): the page's own
/// unless plugins compile the module for the server apart.
#[salsa::tracked(returns(clone))]
pub fn server_module_imports(db: &dyn Db, file: SourceFile) -> Arc<[ImportRecord]> {
    if !server_differs(db, file) {
        return module_imports(db, file);
    }
    server_parsed_module(db, file).imports.clone()
}

/// `import_specifiers` of the app's server's compile.
#[salsa::tracked(returns(clone))]
pub fn server_import_specifiers(db: &dyn Db, file: SourceFile) -> Arc<[ImportSpec]> {
    if !server_differs(db, file) {
        return import_specifiers(db, file);
    }
    specs_of(&server_module_imports(db, file))
}

fn specs_of(imports: &[ImportRecord]) -> Arc<[ImportSpec]> {
    imports
        .iter()
        .map(|import| ImportSpec {
            specifier: import.specifier.clone(),
            kind: import.kind,
        })
        .collect()
}
