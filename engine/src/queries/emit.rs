//! `emitted_module`, `module_deps` and `chunk_entry`: a module as the runtime receives it — its
//! factory code, its deps map `{ specifier: id | null }`, and the two joined into the
//! `__hotloop.define(...)` statement of the chunk. All `Eq`, so an edit that leaves the emitted
//! code alone (a comment) stops here.
//!
//! # The registry format (engine → runtime)
//!
//! Every module is emitted as one **factory**, a JS function expression whose header sits alone on
//! the first line (so the per-module source map is the swc map shifted by one line):
//!
//! ```js
//! (function(module,exports,require,$meta){
//! ...module body...
//! })
//! ```
//! (`(async function...` when the module uses top-level `await`; see below; `$RefreshReg$,
//! $RefreshSig$` follow `$meta` where hotloop's React Refresh transform registered
//! something.) The body is swc's compact codegen (no comments, indentation or line breaks; the
//! source map has the source), so a body is one line.
//!
//! - ESM is lowered to CommonJS by swc's `common_js` transform (getter exports = live bindings,
//!   hoisted, so cycles work), its export prologue folded into one
//!   `require.esm({ name: () => local })` call (`transform/esm_exports.rs`); `import()`
//!   becomes `require.dynamic(spec)`, the runtime's promise of
//!   the module's namespace (CommonJS modules get `{ ...named, default: module.exports }`).
//! - `import.meta` is rewritten to `$meta` (the runtime gives `{ url, hot, env }`), so
//!   `import.meta.hot.accept()` calls the module's hot context.
//! - `process.env.NODE_ENV` is replaced by `"development"`.
//! - `require(spec)` is the literal specifier as written; the runtime maps it through the module's
//!   **deps map** `{ spec: id | 1 | null }` (1 = the specifier joined to the module's
//!   directory, see below; null = unresolved: `require` throws a clear error).
//!   Emitted code therefore never depends on resolution: moving a file re-resolves but does not
//!   re-emit.
//! - CSS modules: `require(...)` for each resolved `@import`, then `$meta.css(text)`
//!   (relative `url()`s rewritten to absolute URLs from the CSS file's own id).
//! - CSS Modules (`*.module.css`): the scoped text and the names,
//!   `module.exports = $meta.cssModule(text, {"button": "App-module_x1Yz_button"}[, composed])`;
//!   `composed` is `[name, require(spec), theirName]` per `composes: x from "spec"`. The runtime
//!   injects the style and returns `{ ...names, __esModule: true, default: names }`. Like every
//!   stylesheet a CSS Module accepts its own updates; when an edit changes its names (a class
//!   added, renamed or removed) the runtime calls `hot.invalidate()` on it, so its importers re-run
//!   with the new names (React components refresh, state kept). A file lightningcss cannot compile
//!   (`composes` in a nested rule) keeps its last good code; rules it recovers from are diagnostics.
//! - Assets: `module.exports = "/src/logo.png"` (Vite's URL), `"/src/logo.png?v=<hash>"` once the
//!   file was saved this session (a URL the page has not loaded). JSON: `module.exports = <value>`.
//! - `import.meta.glob(patterns, options)` (Vite's): the call becomes
//!   `require("./main.ts?glob=0")`, a module of its own per call (path `<importer>?glob=<n>`, id
//!   `/src/main.ts?glob=0`) whose code is the result object,
//!   `module.exports = { "./pages/a.tsx": () => require.dynamic("./pages/a.tsx"), ... }` (lazy) or
//!   `require.namespace(spec)` entries (eager; with `import: "x"`, that export). The importer's own
//!   code never depends on the listing: `queries::glob::glob_matches` lists the files (under the
//!   resolution epoch, so a file created or deleted re-lists; equal results backdate), and an
//!   added or deleted match changes only the glob module, whose update propagates to the importer
//!   as any edited import does. Patterns and options must be literals; anything else is an error
//!   at the call's line. Keys are relative to the importer (or `base`), or root-relative for `/`
//!   patterns; `node_modules` and dot directories are skipped unless `exhaustive`.
//! - A variable `import()` (Vite's dynamic-import-vars: a template literal or `+` chain whose
//!   literal start is `./` or `../`, e.g. `` import(`./locales/${lang}.json`) ``) is a lazy glob
//!   call of its own, each substitution one `*` (`./locales/*.json`; a `?raw`/`?url` suffix becomes
//!   the glob's query): it becomes `require.dynamic(path, require("./i18n.ts?glob=1"))`, and the
//!   runtime loads the glob module's entry whose key is `path` (query ignored) or rejects with
//!   `Unknown variable dynamic import` listing the candidates. Any other non-literal `import(x)`
//!   stays `require.dynamic(x)`: an `http(s):`, `data:` or `blob:` URL goes to the browser's own
//!   `import()`, anything else is the usual "Cannot find module" rejection.
//! - `?raw` / `?url` imports (Vite's): a module of its own per file and query, at the virtual path
//!   `<file>?raw` (id `/src/notes.md?raw`), read from the file itself: `module.exports = "<text>"`
//!   or the file's asset URL. The compiler re-reads a file's variants whenever the watcher reports
//!   the file, so an edit updates them (and, as assets, propagates to their importers). `?inline`
//!   likewise: a stylesheet's text as it would be served (relative `url()`s absolute, a CSS
//!   Module's names scoped as its plain import's are), never injected; any other file a
//!   `data:<type>;base64,` URL, made when the file is read (so the input's contents are the URL
//!   and no query reads the disk). `./add.wasm?init` exports Vite's `init(imports)`, which
//!   instantiates the file at its URL (`transform::wasm_init_module`). Other Vite queries
//!   (`?no-inline`, `?react`, ...) are a resolution error naming the importer's line, never
//!   silently the plain module.
//! - `new URL('./tex.png', import.meta.url)` of an asset file (`transform/asset_url.rs`): the
//!   literal becomes `require.u("./tex.png?url", "./tex.png")`, the `?url` module's versioned
//!   URL (an import of kind `AssetUrl`: a graph edge, never a static dep, never an error when
//!   the file is missing), or the literal when the deps map says null.
//! - Web workers (`transform/worker.rs`): `./w.ts?worker`, `?sharedworker` and `?worker&url` are
//!   variant modules like `?raw` (but never read the file: their code depends only on its id;
//!   `&inline` is the same module, as Vite inlines workers only in a build):
//!   `module.exports = function WorkerWrapper(options) { return new Worker("/_hotloop/worker/src/w.ts", options); }`
//!   (`SharedWorker` likewise; `?worker&url` exports the string). `new Worker(new URL('./w.ts',
//!   import.meta.url), ...)` (or `SharedWorker`, with a literal relative specifier and the global
//!   constructor) is rewritten to `new URL(require("./w.ts?worker&url"), import.meta.url)`, so
//!   both forms are one path. A variant's one import has kind `ImportKind::Worker`: the graph
//!   adds the worker file as a **worker root** (`ProjectGraph::worker_roots`) without an edge, so
//!   the page's chunk never holds a worker-only module and propagation never crosses into the page.
//!   Everything a worker root reaches is `in_worker`; an edit that reaches such a module plans a
//!   full reload (`FullReloadReason::InWorker`: a running worker cannot take new code, the reload
//!   restarts it). `ChunkLayout::workers` orders each worker's modules; `Served::workers` holds
//!   their define statements plus `__hotloop.start([id], { worker: true, env, mode })`, and
//!   `GET /_hotloop/worker/<id>` answers the runtime followed by that chunk (one script, so it
//!   works as a classic or a module worker), with an index map at `/_hotloop/worker-map/<id>`
//!   offset by the runtime's lines. In worker mode the runtime only evaluates the entry:
//!   no WebSocket, no overlay, no React Refresh, `import.meta.hot` undefined, and an entry's error
//!   is rethrown uncaught so the page's `worker.onerror` sees it.
//!
//! The chunk is `__hotloop.define(id,depsMap,factory[,staticDeps[,1]]);` per module followed
//! by `__hotloop.start([entry ids])`. The deps map lists static imports first (source order),
//! then `import()`, `require()` and `hot.accept` specifiers; `staticDeps` counts the static ones
//! and is left out when all are (the common case costs no bytes); a `1` after it says some dep
//! is a URL the browser loads (`define_statement`). A relative specifier whose target is
//! the specifier joined to the module's directory maps to `1` rather than the id (`deps_json`;
//! most of an app's own imports, ~17 bytes each), and the runtime joins it the same way; an
//! update's deps (`wire.rs`) always name their ids. The runtime's `define` only stores the
//! factory; `start` requires each entry in order. A lazy chunk (`queries::chunks`) is the same
//! define statements with no start call: `import()` evaluates its target, and `define` skips a
//! module the page already has.

use std::borrow::Cow;
use std::sync::Arc;

use hotloop_protocol::Statement;

use crate::db::Db;
use crate::inputs::SourceFile;
use crate::js_literal::push_json_string;
use crate::queries::parsed::{file_id, parsed_module, server_differs, server_parsed_module};
use crate::queries::resolve::{Resolution, ResolvedImport, resolved_imports, server_imports};
use crate::telemetry::Phase;
use crate::transform::ImportKind;
use crate::transform::{ASYNC_FACTORY_HEADER, FACTORY_FOOTER, FACTORY_HEADER};

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
    deps_of(db, &resolved_imports(db, file))
}

/// `module_deps` in the server's graph: its resolutions, externals by their URL (the id of
/// their [`external_entry`]).
#[salsa::tracked(returns(clone))]
pub fn server_module_deps(db: &dyn Db, file: SourceFile) -> Arc<[ModuleDep]> {
    let _clock = db
        .clock()
        .enter_key(Phase::Emit, "server_module_deps", file);
    deps_of(db, &server_imports(db, file))
}

fn deps_of(db: &dyn Db, resolved: &[ResolvedImport]) -> Arc<[ModuleDep]> {
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
            Resolution::External { url } => Some(url.clone()),
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

/// `{"./a.js":1,"x":null,"y":"/src/y.js"}`, on one line: the deps map of module `importer`.
/// A relative specifier whose target is the specifier joined to the importer's directory (almost
/// every one written in an app's own code) is `1`, which the runtime joins the same way where
/// it looks the dep up (`joinRelative` in `runtime/js/registry.js`, the same rule as
/// [`join_relative`]); every other target is written out.
pub fn deps_json(importer: &str, deps: &[ModuleDep]) -> String {
    let mut out = String::with_capacity(2 + deps.len() * 24);
    out.push('{');
    for (i, dep) in deps.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, &dep.specifier);
        out.push(':');
        match dep.id.as_deref() {
            Some(id)
                if join_relative(importer, &dep.specifier).is_some_and(|joined| joined == id) =>
            {
                out.push('1')
            }
            Some(id) => push_json_string(&mut out, id),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

/// `spec` (`./x` or `../x`) joined to the directory of the module id `importer`, segment by
/// segment (`.` skipped, `..` drops one; an empty segment, or `..` past the root, is `None`).
/// The runtime's `joinRelative` is the same rule: the deps map says `1` only where this gives
/// the target's id exactly, so both sides agree on what `1` means.
pub fn join_relative(importer: &str, spec: &str) -> Option<String> {
    if !spec.starts_with("./") && !spec.starts_with("../") {
        return None;
    }
    let (dir, _) = importer.rsplit_once('/')?;
    let mut segments: Vec<&str> = dir.split('/').collect();
    for segment in spec.split('/') {
        match segment {
            "." => {}
            ".." => {
                if segments.len() < 2 {
                    return None;
                }
                segments.pop();
            }
            "" => return None,
            segment => segments.push(segment),
        }
    }
    Some(segments.join("/"))
}

/// `__hotloop.define("<id>",{<deps>},<factory>[,<static deps>[,1]]);\n`, with the define
/// call, the deps map and the factory header on the same first line (per-module source maps
/// shift by one line only inside the factory). The count of leading static deps follows the
/// factory only when some dep is not static or a `1` follows (the common all-static case costs
/// no bytes); the `1` says a dep is a URL ([`is_url_target`]), which the runtime then makes a
/// module of its own (so it need not look through every deps map). `None` when the module does
/// not compile.
#[salsa::tracked(returns(clone))]
pub fn chunk_entry(db: &dyn Db, file: SourceFile) -> Option<Statement> {
    let _clock = db.clock().enter_key(Phase::Emit, "chunk_entry", file);
    let _span = tracing::trace_span!("chunk_entry", file = %file.path(db).display()).entered();
    let code = emitted_module(db, file)?;
    let deps = module_deps(db, file);
    Some(define_statement(&file_id(db, file), &deps, code))
}

/// `emitted_module` of the app's server's compile (`server_parsed_module`): the page's own
/// unless plugins compile the module for the server apart.
#[salsa::tracked(returns(clone))]
pub fn server_emitted_module(db: &dyn Db, file: SourceFile) -> Option<Arc<str>> {
    if !server_differs(db, file) {
        return emitted_module(db, file);
    }
    server_parsed_module(db, file).code.clone()
}

/// `chunk_entry` in the server's graph: the server's factory and deps map.
#[salsa::tracked(returns(clone))]
pub fn server_chunk_entry(db: &dyn Db, file: SourceFile) -> Option<Statement> {
    let _clock = db
        .clock()
        .enter_key(Phase::Emit, "server_chunk_entry", file);
    let code = server_emitted_module(db, file)?;
    let deps = server_module_deps(db, file);
    Some(define_statement(&file_id(db, file), &deps, code))
}

/// The define statement for one module; it shares `code`, the module's emitted factory.
pub fn define_statement(id: &str, deps: &[ModuleDep], code: Arc<str>) -> Statement {
    let mut head = String::with_capacity(id.len() + deps.len() * 40 + 32);
    head.push_str("__hotloop.define(");
    push_json_string(&mut head, id);
    head.push(',');
    head.push_str(&deps_json(id, deps));
    head.push(',');
    let static_deps = static_dep_count(deps);
    let urls = deps
        .iter()
        .any(|d| d.id.as_deref().is_some_and(is_url_target));
    let tail = if urls {
        Cow::Owned(format!(",{static_deps},1);\n"))
    } else if static_deps < deps.len() {
        Cow::Owned(format!(",{static_deps});\n"))
    } else {
        Cow::Borrowed(");\n")
    };
    Statement::new(head, code, tail)
}

/// A dep target the browser loads itself (`https://esm.sh/x`, `data:...`): the runtime's
/// rule for a URL in a deps map (`setFactory` in `runtime/js/registry.js`): a module id starts
/// with one `/`.
fn is_url_target(id: &str) -> bool {
    !id.starts_with('/') || id.starts_with("//")
}

/// The define statement of a server graph's external (`node:fs`, `file:///…/react/index.js`):
/// an async module that Node's own `import()` fills, so CommonJS and ESM-only packages load
/// alike and importers wait for it as for top-level await. Its exports are the namespace's
/// (`default` is a CommonJS package's `module.exports`), marked `__esModule` (not enumerable,
/// as a namespace lists its exports only) so that the importers' interop takes `default` as
/// written.
pub fn external_entry(url: &str) -> Statement {
    define_statement(url, &[], external_factory(url).into())
}

/// The factory of [`external_entry`].
pub fn external_factory(url: &str) -> String {
    let mut out = String::from(ASYNC_FACTORY_HEADER);
    out.push_str("\nconst namespace = await import(");
    push_json_string(&mut out, url);
    out.push_str(
        ");\nmodule.exports = Object.defineProperty(Object.assign({}, namespace), \"__esModule\", { value: true });\n",
    );
    out.push_str(FACTORY_FOOTER);
    out
}

/// The define statement of the virtual empty module.
pub fn empty_module_entry() -> Statement {
    define_statement(
        EMPTY_MODULE_ID,
        &[],
        format!("{FACTORY_HEADER}\n}})").into(),
    )
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
        let statement = define_statement("/src/a.js", &deps, code.into());
        assert_eq!(
            statement.to_string(),
            format!(
                "__hotloop.define(\"/src/a.js\",{{\"./b\":\"/src/b.js\",\"x\\\"y\":null}},\
                 {FACTORY_HEADER}\nmodule.exports = 1;\n}}),1);\n"
            )
        );
    }

    #[test]
    fn a_define_says_when_a_dep_is_a_url() {
        let dep = |id: &str| ModuleDep {
            specifier: id.into(),
            id: Some(id.into()),
            is_static: true,
        };
        let tail = |ids: &[&str]| {
            let deps: Vec<ModuleDep> = ids.iter().map(|id| dep(id)).collect();
            let statement = define_statement("/src/a.js", &deps, "(function(){})".into());
            // What follows the factory.
            let text = statement.to_string();
            text.split_once("(function(){})").unwrap().1.to_owned()
        };
        assert_eq!(tail(&["/src/b.js"]), ");\n");
        assert_eq!(tail(&["/src/b.js", "https://esm.sh/x"]), ",2,1);\n");
        assert_eq!(tail(&["data:text/javascript,export default 1"]), ",1,1);\n");
        assert_eq!(tail(&["//cdn.example/x.js"]), ",1,1);\n");
    }

    #[test]
    fn a_relative_dep_that_joins_to_its_target_is_written_as_one() {
        let dep = |specifier: &str, id: Option<&str>| ModuleDep {
            specifier: specifier.into(),
            id: id.map(Into::into),
            is_static: true,
        };
        let deps = [
            dep("./b.js", Some("/src/b.js")),
            dep("../lib/c.ts", Some("/lib/c.ts")),
            // Extension and index resolution, bare specifiers, another directory: written out.
            dep("./d", Some("/src/d.ts")),
            dep("react", Some("/node_modules/react/index.js")),
            dep("./e.js", Some("/elsewhere/e.js")),
            dep("./gone.js", None),
        ];
        assert_eq!(
            deps_json("/src/a.js", &deps),
            "{\"./b.js\":1,\"../lib/c.ts\":1,\"./d\":\"/src/d.ts\",\
             \"react\":\"/node_modules/react/index.js\",\"./e.js\":\"/elsewhere/e.js\",\
             \"./gone.js\":null}"
        );
    }

    /// The cases the runtime's `joinRelative` is tested on too (`runtime/tests/core-registry.test.mjs`).
    #[test]
    fn join_relative_agrees_with_the_shared_cases() {
        let cases: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/data/join-relative.json")).unwrap();
        for case in cases["cases"].as_array().unwrap() {
            let [importer, spec, joined] = case.as_array().unwrap().as_slice() else {
                panic!("a case is [importer, specifier, joined]: {case}");
            };
            assert_eq!(
                join_relative(importer.as_str().unwrap(), spec.as_str().unwrap()).as_deref(),
                joined.as_str(),
                "{case}"
            );
        }
    }
}
