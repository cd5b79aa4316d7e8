//! `emitted_module`, `module_deps` and `chunk_entry`: a module as the runtime receives it — its
//! factory code, its deps map `{ specifier: id | null }`, and the two joined into the
//! `__hotloop.define(...)` statement of the chunk. All `Eq`, so an edit that leaves the emitted
//! code alone (a comment) stops here.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::db::Db;
use crate::inputs::SourceFile;
use crate::js_literal::{push_json_object, push_json_string};
use crate::queries::parsed::{file_id, parsed_module};
use crate::queries::resolve::{Resolution, resolved_imports};
use crate::telemetry::Phase;
use crate::transform::FACTORY_HEADER;
use crate::transform::ImportKind;

/// Id of the virtual empty module that `browser: { "x": false }` remaps resolve to. The chunk
/// defines it when some module uses it.
pub const EMPTY_MODULE_ID: &str = "/@hotloop/empty";

/// The factory code; `None` when the module does not compile.
#[salsa::tracked(returns(clone))]
pub fn emitted_module(db: &dyn Db, file: SourceFile) -> Option<Arc<str>> {
    let _clock = db.clock().enter_key(Phase::Emit, "emitted_module", file);
    let _span = tracing::trace_span!("emitted_module", file = %file.path(db).display()).entered();
    parsed_module(db, file).code.clone()
}

/// One entry of a deps map.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleDep {
    pub specifier: Arc<str>,
    /// The module id the specifier resolves to; `None` when it does not resolve (the runtime's
    /// `require` throws a clear error for it).
    pub id: Option<Arc<str>>,
    /// A static `import`/`export ... from` (evaluated before the module, in source order), as
    /// opposed to `import()`, `require()` and `hot.accept` deps.
    pub is_static: bool,
}

/// The deps map of a module: every distinct specifier (imports, requires, `import()`s and
/// `hot.accept` deps), the static imports first, each group in source order. The runtime
/// evaluates the static ones ahead of a module that waits for top-level await.
#[salsa::tracked(returns(clone))]
pub fn module_deps(db: &dyn Db, file: SourceFile) -> Arc<[ModuleDep]> {
    let _clock = db.clock().enter_key(Phase::Emit, "module_deps", file);
    let _span = tracing::trace_span!("module_deps", file = %file.path(db).display()).entered();
    let resolved = resolved_imports(db, file);
    let is_static = |kind: ImportKind| {
        matches!(
            kind,
            ImportKind::Static | ImportKind::ReExport | ImportKind::Glob
        )
    };
    let mut deps: Vec<ModuleDep> = Vec::with_capacity(resolved.len());
    for import in resolved.iter() {
        if let Some(dep) = deps.iter_mut().find(|d| d.specifier == import.specifier) {
            dep.is_static |= is_static(import.kind);
            continue;
        }
        let id = match &import.resolution {
            Resolution::File(target) => Some(file_id(db, *target)),
            Resolution::Empty => Some(EMPTY_MODULE_ID.into()),
            Resolution::NotFound { .. } => None,
        };
        deps.push(ModuleDep {
            specifier: import.specifier.clone(),
            id,
            is_static: is_static(import.kind),
        });
    }
    // Stable: each group keeps source order.
    deps.sort_by_key(|d| !d.is_static);
    deps.into()
}

/// How many deps lead the list as static imports.
pub fn static_dep_count(deps: &[ModuleDep]) -> usize {
    deps.iter().take_while(|d| d.is_static).count()
}

/// `{"./a.js":"/src/a.js","x":null}`, on one line.
pub fn deps_json(deps: &[ModuleDep]) -> String {
    let mut out = String::with_capacity(2 + deps.len() * 32);
    push_json_object(
        &mut out,
        deps.iter().map(|dep| (&*dep.specifier, dep.id.as_deref())),
    );
    out
}

/// `__hotloop.define("<id>", {<deps>}, <factory>[, <static deps>]);\n`, with the define call,
/// the deps map and the factory header on the same first line (per-module source maps shift by
/// one line only inside the factory). The count of leading static deps follows the factory only
/// when some dep is not static (the common all-static case costs no bytes). `None` when the
/// module does not compile.
#[salsa::tracked(returns(clone))]
pub fn chunk_entry(db: &dyn Db, file: SourceFile) -> Option<Arc<str>> {
    let _clock = db.clock().enter_key(Phase::Emit, "chunk_entry", file);
    let _span = tracing::trace_span!("chunk_entry", file = %file.path(db).display()).entered();
    let code = emitted_module(db, file)?;
    let deps = module_deps(db, file);
    Some(define_statement(&file_id(db, file), &deps, &code).into())
}

/// The define statement for one module.
pub fn define_statement(id: &str, deps: &[ModuleDep], code: &str) -> String {
    let code = code.trim_end();
    let mut out = String::with_capacity(code.len() + id.len() + deps.len() * 40 + 32);
    out.push_str("__hotloop.define(");
    push_json_string(&mut out, id);
    out.push_str(", ");
    out.push_str(&deps_json(deps));
    out.push_str(", ");
    out.push_str(code);
    let static_deps = static_dep_count(deps);
    if static_deps < deps.len() {
        let _ = write!(out, ", {static_deps}");
    }
    out.push_str(");\n");
    out
}

/// The define statement of the virtual empty module.
pub fn empty_module_entry() -> Arc<str> {
    define_statement(EMPTY_MODULE_ID, &[], &format!("{FACTORY_HEADER}\n}})")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn define_keeps_the_factory_header_on_the_first_line() {
        let deps = [
            ModuleDep {
                specifier: "./b".into(),
                id: Some("/src/b.js".into()),
                is_static: true,
            },
            ModuleDep {
                specifier: "x\"y".into(),
                id: None,
                is_static: false,
            },
        ];
        let code = format!("{FACTORY_HEADER}\nmodule.exports = 1;\n}})\n");
        let statement = define_statement("/src/a.js", &deps, &code);
        assert_eq!(
            statement,
            format!(
                "__hotloop.define(\"/src/a.js\", {{\"./b\":\"/src/b.js\",\"x\\\"y\":null}}, \
                 {FACTORY_HEADER}\nmodule.exports = 1;\n}}), 1);\n"
            )
        );
    }
}
