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

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::db::Db;
use crate::environment::EnvironmentKind;
use crate::inputs::{SourceFile, in_node_modules};
use crate::queries::parsed::{ParsedModule, file_id, parsed_module, server_parsed_module};
use crate::queries::resolve::{Resolution, ResolvedImport, imports_in};
use crate::transform::{ExportNames, ImportKind, ImportRecord};
use hotloop_protocol::{Diagnostic, DiagnosticKind, code_frame};

/// `file` as environment `env` compiles it (its `exports`, `import_names`, `imports`).
pub(crate) fn parsed_in(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Arc<ParsedModule> {
    match env {
        EnvironmentKind::Server => server_parsed_module(db, file),
        EnvironmentKind::Page | EnvironmentKind::Worker => parsed_module(db, file),
    }
}

/// What the build keeps of what `file` exports in `env`: a hash of it, to see it change, and
/// whether other modules' exports come through it (`export *`); `None` when unknown.
pub fn exports_seen(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Option<ExportsSeen> {
    let parsed = parsed_in(db, env, file);
    let exports = parsed.exports.as_ref()?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    exports.hash(&mut hasher);
    Some(ExportsSeen {
        hash: hasher.finish(),
        re_exports_all: !exports.star_from().is_empty(),
    })
}

/// See [`exports_seen`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportsSeen {
    pub hash: u64,
    pub re_exports_all: bool,
}

/// One diagnostic per name `file`'s imports take that their module does not export, in `env`
/// (none for a file in `node_modules`).
pub fn link_diagnostics(db: &dyn Db, env: EnvironmentKind, file: SourceFile) -> Vec<Diagnostic> {
    if in_node_modules(file.path(db)) {
        return Vec::new();
    }
    let parsed = parsed_in(db, env, file);
    if parsed.import_names.is_empty() {
        return Vec::new();
    }
    let missing = missing_exports(db, env, &parsed, &imports_in(db, env, file));
    if missing.is_empty() {
        return Vec::new();
    }
    let id = file_id(db, file);
    let text = file.contents(db).text().unwrap_or_default();
    missing
        .iter()
        .filter_map(|missing| {
            let import = parsed.imports.get(missing.import)?;
            Some(Diagnostic {
                kind: DiagnosticKind::Resolve,
                file: id.to_string(),
                line: import.line,
                column: import.column,
                message: missing_export_message(import, missing),
                code_frame: code_frame(&text, import.line, import.column),
            })
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
    pub exports: ExportNames,
    /// The modules asked for the name: the imported one, then those its `export *`s reach.
    pub through: Vec<SourceFile>,
}

/// The names the imports of `importer` (compiled for `env`; `resolved`: its resolutions,
/// index-aligned with its imports) take that their modules do not export.
pub fn missing_exports(
    db: &dyn Db,
    env: EnvironmentKind,
    importer: &ParsedModule,
    resolved: &[ResolvedImport],
) -> Vec<MissingExport> {
    let mut out = Vec::new();
    for (i, names) in importer.import_names.iter() {
        let (Some(import), Some(resolved)) = (importer.imports.get(i), resolved.get(i)) else {
            continue;
        };
        if !matches!(import.kind, ImportKind::Static | ImportKind::ReExport) {
            continue;
        }
        let Resolution::File(target) = resolved.resolution else {
            continue;
        };
        let parsed = parsed_in(db, env, target);
        let Some(exports) = parsed.exports.as_ref() else {
            continue;
        };
        for name in names {
            let mut seen = vec![target];
            if !provides(db, env, target, exports, name, &mut seen) {
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
    if exports.contains(name) {
        return true;
    }
    if exports.star_from().is_empty() || name == "default" {
        return false;
    }
    let resolved = imports_in(db, env, file);
    for star in exports.star_from() {
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
        let parsed = parsed_in(db, env, next);
        match parsed.exports.as_ref() {
            None => return true,
            Some(next_exports) => {
                if provides(db, env, next, next_exports, name, seen) {
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
        .names()
        .filter(|n| *n != "default")
        .collect();
    let has_default = missing.exports.contains("default");
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
    } else if names.is_empty() && !has_default && missing.exports.star_from().is_empty() {
        message.push_str(": it exports nothing");
    } else if !names.is_empty() {
        let mut list = quoted_list(&names, 8);
        if has_default {
            list.push_str(", and a default export");
        }
        message.push_str(&format!(": it exports {list}"));
        if !missing.exports.star_from().is_empty() {
            message.push_str(&format!(", and {}", star_list(missing.exports.star_from())));
        }
    } else if has_default && name != "default" && missing.exports.star_from().is_empty() {
        message.push_str(&format!(
            ": it has only a default export; did you mean `import {name} from '{spec}'`?"
        ));
    } else if !missing.exports.star_from().is_empty() {
        message.push_str(&format!(
            ": it exports only {}",
            star_list(missing.exports.star_from())
        ));
    }
    message
}

/// "what `export * from './a'` brings" (or of several modules, the first few named), for the
/// message.
fn star_list(star_from: &[Box<str>]) -> String {
    let modules: Vec<&str> = star_from.iter().map(|s| &**s).collect();
    format!("what `export * from {}` brings", quoted_list(&modules, 3))
}

/// `'a', 'b' and 3 more`: the first `shown` of `items`, quoted.
fn quoted_list(items: &[&str], shown: usize) -> String {
    let mut list = items
        .iter()
        .take(shown)
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > shown {
        list.push_str(&format!(" and {} more", items.len() - shown));
    }
    list
}
