//! `module_diagnostics`: every problem of one file: what the host said, plus one Resolve
//! diagnostic per import that does not resolve, pointing at the specifier with a code frame.
//!
//! Inside `node_modules`, an unresolved `require()` or `import()` is not reported: packages
//! probe optional dependencies that way (`try { require('encoding') } catch {}`), and the
//! runtime's `require` throws a catchable error for it all the same.

use std::sync::Arc;

use crate::db::Db;
use crate::inputs::{SourceFile, in_node_modules};
use crate::queries::imports::{module_imports, server_module_imports};
use crate::queries::parsed::{ParsedModule, file_id, parsed_module, server_parsed_module};
use crate::queries::resolve::{Resolution, ResolvedImport, resolved_imports, server_imports};
use crate::telemetry::Phase;
use crate::transform::{ImportKind, ImportRecord};
use hotloop_protocol::{Diagnostic, DiagnosticKind, code_frame};

#[salsa::tracked(returns(clone))]
pub fn module_diagnostics(db: &dyn Db, file: SourceFile) -> Arc<[Diagnostic]> {
    let _clock = db
        .clock()
        .enter_key(Phase::Emit, "module_diagnostics", file);
    let _span =
        tracing::trace_span!("module_diagnostics", file = %file.path(db).display()).entered();
    diagnostics_with(
        db,
        file,
        &parsed_module(db, file),
        &resolved_imports(db, file),
        module_imports,
    )
}

/// `module_diagnostics` of a module of the server's graph: its resolution is the server's.
#[salsa::tracked(returns(clone))]
pub fn server_module_diagnostics(db: &dyn Db, file: SourceFile) -> Arc<[Diagnostic]> {
    let _clock = db
        .clock()
        .enter_key(Phase::Emit, "server_module_diagnostics", file);
    diagnostics_with(
        db,
        file,
        &server_parsed_module(db, file),
        &server_imports(db, file),
        server_module_imports,
    )
}

fn diagnostics_with(
    db: &dyn Db,
    file: SourceFile,
    parsed: &ParsedModule,
    resolved: &[ResolvedImport],
    imports_of: fn(&dyn Db, SourceFile) -> Arc<[ImportRecord]>,
) -> Arc<[Diagnostic]> {
    let optional_allowed = in_node_modules(file.path(db));
    // `new URL('./x.png', import.meta.url)` of a file that is not there keeps its URL as
    // written (`transform::asset_url`), as under Vite.
    let reported = |r: &ResolvedImport| {
        matches!(r.resolution, Resolution::NotFound { .. })
            && r.kind != ImportKind::AssetUrl
            && !(optional_allowed && matches!(r.kind, ImportKind::Require | ImportKind::Dynamic))
    };
    let unresolved = resolved.iter().any(reported);
    if !unresolved {
        return parsed.diagnostics.clone();
    }
    let id = file_id(db, file);
    let text = file.contents(db).text().unwrap_or_default();
    let imports = imports_of(db, file);
    let mut out: Vec<Diagnostic> = parsed.diagnostics.to_vec();
    // A specifier once, at its first import: a barrel's five statements naming a deleted
    // `./Badge` printed five errors with their code frames (sweep 17); Vite's import analysis
    // stops at the first.
    let mut named: Vec<&str> = Vec::new();
    for (import, resolved) in imports.iter().zip(resolved.iter()) {
        if !reported(resolved) || named.contains(&&*import.specifier) {
            continue;
        }
        named.push(&import.specifier);
        if let Resolution::NotFound { message } = &resolved.resolution {
            out.push(Diagnostic {
                kind: DiagnosticKind::Resolve,
                file: id.to_string(),
                line: import.line,
                column: import.column,
                message: format!(
                    "Cannot resolve '{}' from {}: {message}",
                    import.specifier,
                    crate::files::message_id(&id)
                ),
                code_frame: code_frame(&text, import.line, import.column),
            });
        }
    }
    out.into()
}
