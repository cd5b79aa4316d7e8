//! Names imported that their module does not export: [`missing_exports`] finds them (from
//! each import's names and the module's `ParsedModule::exports`), [`link_diagnostics`] says
//! them at the import.
//!
//! A browser refuses to link such a module (`SyntaxError: The requested module './b.js' does
//! not provide an export named 'foo'`: Vite's page stays blank); the registry format would
//! hand the importer `undefined`, silently. The overlay shows each one at its import instead,
//! and the build withholds the edits involved (`host/link_errors.rs`).
//!
//! A module whose exports cannot be known lets every name through: CommonJS, `export =`, a
//! module that touches a free `module`/`exports`, JSON, stylesheets, assets, what does not
//! compile, an empty (`browser: false`) module, an external of the server's graph. `export *
//! from` chains are followed, cycles included; `default` never comes through `*`. Importers
//! inside `node_modules` are not checked: a package is its authors' to fix, and their bundler
//! may have accepted it.
//!
//! Not tracked queries, on purpose: as one, each module's check would hold a dependency edge
//! per import (and a memo per module for its exports), a few megabytes at 20,000 modules
//! (measured: +6 MiB on the lazy-routes app). The build runs the check itself, untracked, where
//! it can change: for a module it compiled again, and for the importers of a module whose
//! exports changed (`host/build.rs`, `recheck_importers`).

use std::sync::Arc;

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::inputs::{SourceFile, in_node_modules};
use crate::queries::imports::{module_imports, server_module_imports};
use crate::queries::parsed::{file_id, parsed_module, server_parsed_module};
use crate::queries::resolve::{Resolution, ResolvedImport, imports_in};
use crate::transform::{ExportNames, ImportKind, ImportRecord};
use hotloop_protocol::{Diagnostic, DiagnosticKind, code_frame};

/// What `file` exports as environment `env` compiles it; `None` when that cannot be known.
pub fn exports_in(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Option<Arc<ExportNames>> {
    match env {
        EnvironmentKind::Server => server_parsed_module(db, file).exports.clone(),
        EnvironmentKind::Page | EnvironmentKind::Worker => parsed_module(db, file).exports.clone(),
    }
}

/// One diagnostic per name `file`'s imports take that their module does not export, in `env`
/// (none for a file in `node_modules`).
pub fn link_diagnostics(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Vec<Diagnostic> {
    if in_node_modules(file.path(db)) {
        return Vec::new();
    }
    let imports = match env {
        EnvironmentKind::Server => server_module_imports(db, file),
        EnvironmentKind::Page | EnvironmentKind::Worker => module_imports(db, file),
    };
    if imports.iter().all(|i| i.names.is_empty()) {
        return Vec::new();
    }
    let missing = missing_exports(db, env, &imports, &imports_in(db, env, file));
    if missing.is_empty() {
        return Vec::new();
    }
    let id = file_id(db, file);
    let text = file.contents(db).text().cloned().unwrap_or_default();
    missing
        .iter()
        .map(|missing| {
            let import = &imports[missing.import];
            Diagnostic {
                kind: DiagnosticKind::Resolve,
                file: id.to_string(),
                line: import.line,
                column: import.column,
                message: missing_export_message(import, missing),
                code_frame: code_frame(&text, import.line, import.column),
            }
        })
        .collect()
}

/// `diagnostics` (a module's own, `module_diagnostics`) followed by `links`
/// ([`link_diagnostics`]); the same `Arc` when there are none.
pub fn with_links(diagnostics: Arc<[Diagnostic]>, links: Vec<Diagnostic>) -> Arc<[Diagnostic]> {
    if links.is_empty() {
        return diagnostics;
    }
    diagnostics.iter().cloned().chain(links).collect()
}

/// One name an import takes that its module does not export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingExport {
    /// Index into the importer's imports.
    pub import: usize,
    pub name: String,
    /// The module's own export names (for the message).
    pub exports: Arc<ExportNames>,
    /// The modules asked for the name: the imported one, then those its `export *`s reach.
    pub through: Vec<SourceFile>,
}

/// The names `imports` (the importer's, index-aligned with `resolved`) take that their
/// modules do not export, in `env`.
pub fn missing_exports(
    db: &dyn Db,
    env: EnvironmentKind,
    imports: &[ImportRecord],
    resolved: &[ResolvedImport],
) -> Vec<MissingExport> {
    let mut out = Vec::new();
    for (i, (import, resolved)) in imports.iter().zip(resolved).enumerate() {
        if import.names.is_empty()
            || !matches!(import.kind, ImportKind::Static | ImportKind::ReExport)
        {
            continue;
        }
        let Resolution::File(target) = resolved.resolution else {
            continue;
        };
        let Some(exports) = exports_in(db, env, target) else {
            continue;
        };
        for name in import.names.iter() {
            let mut seen = vec![target];
            if !provides(db, env, target, &exports, name, &mut seen) {
                out.push(MissingExport {
                    import: i,
                    name: name.to_string(),
                    exports: exports.clone(),
                    through: seen,
                });
            }
        }
    }
    out
}

/// Whether `file` (whose exports are `exports`) exports `name`, itself or through its
/// `export *`s; `seen` holds the modules already asked (a cycle adds nothing).
fn provides(
    db: &dyn Db,
    env: EnvironmentKind,
    file: SourceFile,
    exports: &ExportNames,
    name: &str,
    seen: &mut Vec<SourceFile>,
) -> bool {
    if exports
        .names
        .binary_search_by(|n| n.as_str().cmp(name))
        .is_ok()
    {
        return true;
    }
    if exports.star_from.is_empty() || name == "default" {
        return false;
    }
    let resolved = imports_in(db, env, file);
    for star in &exports.star_from {
        let Some(import) = resolved
            .iter()
            .find(|r| r.kind == ImportKind::ReExport && *r.specifier == **star)
        else {
            return true;
        };
        let Resolution::File(next) = import.resolution else {
            // Unresolved (reported at that import), empty, or Node's own: unknown names.
            return true;
        };
        if seen.contains(&next) {
            continue;
        }
        seen.push(next);
        match exports_in(db, env, next) {
            None => return true,
            Some(next_exports) => {
                if provides(db, env, next, &next_exports, name, seen) {
                    return true;
                }
            }
        }
    }
    false
}

/// The message for `missing`, taken by `import`: what the browser would say, and what the
/// module does export.
pub fn missing_export_message(import: &ImportRecord, missing: &MissingExport) -> String {
    let spec = &import.specifier;
    let name = &missing.name;
    let mut message =
        format!("The requested module '{spec}' does not provide an export named '{name}'");
    let names: Vec<&str> = missing
        .exports
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "default")
        .collect();
    let has_default = missing.exports.names.iter().any(|n| n == "default");
    let similar = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name) || (name == "default" && names.len() == 1));
    if let Some(similar) = similar {
        if name == "default" {
            message.push_str(&format!(
                ": it has no default export; did you mean `import {{ {similar} }} from '{spec}'`?"
            ));
        } else {
            message.push_str(&format!(": did you mean '{similar}'?"));
        }
    } else if names.is_empty() && !has_default && missing.exports.star_from.is_empty() {
        message.push_str(": it exports nothing");
    } else if !names.is_empty() {
        const SHOWN: usize = 8;
        let mut list = names
            .iter()
            .take(SHOWN)
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > SHOWN {
            list.push_str(&format!(" and {} more", names.len() - SHOWN));
        }
        if has_default {
            list.push_str(", and a default export");
        }
        message.push_str(&format!(": it exports {list}"));
        if !missing.exports.star_from.is_empty() {
            message.push_str(&format!(", and {}", star_list(&missing.exports.star_from)));
        }
    } else if has_default && name != "default" && missing.exports.star_from.is_empty() {
        message.push_str(&format!(
            ": it has only a default export; did you mean `import {name} from '{spec}'`?"
        ));
    } else if !missing.exports.star_from.is_empty() {
        message.push_str(&format!(
            ": it exports only {}",
            star_list(&missing.exports.star_from)
        ));
    }
    message
}

/// "what `export * from './a'` brings" (or of several modules, the first few named), for the
/// message.
fn star_list(star_from: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut modules = star_from
        .iter()
        .take(SHOWN)
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if star_from.len() > SHOWN {
        modules.push_str(&format!(" and {} more", star_from.len() - SHOWN));
    }
    format!("what `export * from {modules}` brings")
}
