//! The swc pipeline: one pure function from a file's text to everything the engine needs to
//! know about it. No salsa, no IO: `parsed_module` calls it and stores the result.
//!
//! - [`compile_module`]: JS/TS/JSX/TSX → imports, hot facts, registry factory + source map.
//!   `pipeline` runs the swc passes, `analyze` reads the facts, `rewrite` applies hotloop's own
//!   rewrites (`import.meta`, `NODE_ENV`, dead branches), `hygiene` is a linear-time variant of
//!   swc's, `guard` keeps bad input from crashing the process.
//! - [`compile_json`], [`string_module`]: the factories of JSON files, and of assets (their
//!   URL) and `?raw` imports (their text).
//! - [`strip_types_to_esm`]: TS → ESM for Node (a project's `vite.config.ts`, for the plugin
//!   host); [`config_literal`]: the same config read as data when it is plain data (no
//!   Node.js needed to know what it says); [`default_plugin_factories`]: which plugin
//!   factories a config that must run still calls only without options.
//! - CSS lives in [`crate::css`].

mod analyze;
mod asset_url;
mod class_fields;
mod compact;
mod config_literal;
mod default_plugins;
mod define;
mod esm_exports;
mod esm_globals;
mod export_values;
mod fold;
mod glob;
mod guard;
mod hygiene;
mod interop;
mod jsx_gaps;
mod jsx_inject;
mod jsx_source;
mod names;
mod pipeline;
mod rewrite;
mod strip;
#[cfg(test)]
mod tests;
mod verbatim;
mod worker;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use asset_url::VITE_ASSET_TYPES;
pub use compact::{CompactScript, compact_script};
pub use config_literal::{ConfigLiteral, PluginCall, config_literal};
pub use default_plugins::default_plugin_factories;
pub use define::{env_assignments, global_assignments};
pub use glob::{GlobImport, GlobMatch, glob_module, is_rooted_pattern, unrooted_pattern_message};
pub use guard::{STACK_SIZE as COMPILE_STACK, assume_big_stack};
pub use names::{ExportNames, ImportNames};
pub use strip::{ConfigModule, file_url, strip_config_module, strip_types_to_esm};
pub use worker::{WorkerQuery, worker_map_url, worker_module};

use hotloop_protocol::{Diagnostic, DiagnosticKind, ModuleMap};

/// First line of the factory of a module hotloop's React Refresh transform registered
/// components or hook signatures in, alone on its line (see `queries/emit.rs`, "The registry
/// format"): `$RefreshReg$`/`$RefreshSig$` are bound to the module's registrar.
pub const FACTORY_HEADER: &str =
    "(function(module,exports,require,$meta,$RefreshReg$,$RefreshSig$){";

/// First line of the factory of a module that uses top-level `await`: the runtime awaits the
/// promise it returns before its importers run (see `runtime/js/async-modules.js`).
pub const ASYNC_FACTORY_HEADER: &str =
    "(async function(module,exports,require,$meta,$RefreshReg$,$RefreshSig$){";

/// First line of every other factory: a module that registers nothing, and one that mentions
/// `$RefreshReg$`/`$RefreshSig$` but that hotloop's React Refresh transform did not compile
/// (non-React JSX, dependencies): those names are not bound, so a plugin's output that calls
/// them (prefresh's, `@vitejs/plugin-react`'s Babel output) reaches the page's globals
/// (`self.$RefreshReg$`) as it does under Vite, not hotloop's React registrar.
pub const PLAIN_FACTORY_HEADER: &str = "(function(module,exports,require,$meta){";

/// [`PLAIN_FACTORY_HEADER`] for a module that uses top-level `await`.
pub const PLAIN_ASYNC_FACTORY_HEADER: &str = "(async function(module,exports,require,$meta){";

/// Last line of every factory.
pub const FACTORY_FOOTER: &str = "})";

/// Which source language a path is, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// `.js .mjs .cjs`
    Js,
    /// `.jsx`
    Jsx,
    /// `.ts .mts .cts`
    Ts,
    /// `.tsx`
    Tsx,
}

impl SourceKind {
    pub fn from_path(path: &str) -> Option<SourceKind> {
        SourceKind::from_extension(path.rsplit_once('.')?.1)
    }

    /// By a file's extension (`tsx`, no dot; lowercase).
    pub fn from_extension(ext: &str) -> Option<SourceKind> {
        Some(match ext {
            "js" | "mjs" | "cjs" => SourceKind::Js,
            "jsx" => SourceKind::Jsx,
            "ts" | "mts" | "cts" => SourceKind::Ts,
            "tsx" => SourceKind::Tsx,
            _ => return None,
        })
    }
}

/// How one script is compiled. Hashed into the persistent compile cache's key (`cache.rs`):
/// every field changes the output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransformOptions {
    /// Emit React Fast Refresh registrations (`$RefreshReg$`, `$RefreshSig$`). Only honoured
    /// when the JSX is React's ([`Jsx::is_react`]).
    pub react_refresh: bool,
    /// Vite's `define`: (global name or member chain, replacement code); see `define`.
    pub define: Arc<[(String, String)]>,
    /// What the `tsconfig.json` that applies to the file says (see `crate::tsconfig`).
    pub script: ScriptConfig,
    /// `jsxDEV` calls keep their `source` and `self` arguments (`{ fileName, lineNumber,
    /// columnNumber }, this`). React 19 ignores both (owner stacks replaced `_source`), so for
    /// its automatic runtime they are left out: ~70 bytes per JSX element the page need not
    /// parse (`queries::resolve::react_ignores_jsx_source`). Other runtimes (Preact's
    /// `preact/debug` reads `__source`) and older React keep them.
    pub jsx_dev_source: bool,
    /// A CommonJS script is served as written, with text edits only, not printed again (see
    /// `verbatim`): for npm packages' files, whose compact printing nobody reads.
    pub verbatim_commonjs: bool,
    /// Vite's `jsxInject`: code put before the module's own (a `.jsx`/`.tsx` file of the
    /// project's; see `jsx_inject`).
    pub jsx_inject: Option<Arc<str>>,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions {
            react_refresh: true,
            define: Arc::new([]),
            script: ScriptConfig::default(),
            jsx_dev_source: true,
            verbatim_commonjs: false,
            jsx_inject: None,
        }
    }
}

impl TransformOptions {
    /// Fast Refresh registrations are emitted: asked for, and the JSX is React's.
    pub fn refresh(&self) -> bool {
        self.react_refresh && self.script.jsx.is_react()
    }
}

/// The compiler options of a file's `tsconfig.json` that change what Vite's transform emits
/// (`jsx`, `jsxImportSource`, `jsxFactory`, `jsxFragmentFactory`, `experimentalDecorators`,
/// `emitDecoratorMetadata`, `useDefineForClassFields`), already resolved to what to do. The
/// default is a file no tsconfig applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScriptConfig {
    pub jsx: Jsx,
    pub decorators: Decorators,
    /// Class fields are defined (`[[Define]]`, native fields) rather than assigned in the
    /// constructor (TypeScript's `useDefineForClassFields: false`). TypeScript files only.
    pub use_define_for_class_fields: bool,
    /// Which imports the TypeScript strip removes. TypeScript files only.
    pub imports: ImportElision,
    /// How the file's imports read a CommonJS module's default: Node's way when the file is an
    /// ES module by Node's rules (see [`NodeInterop`]).
    pub node_interop: NodeInterop,
}

/// Whether a file is an ES module by Node's rules (an `.mjs`/`.mts` file, one in a package whose
/// `package.json` says `"type": "module"`, a `\0` virtual module), which makes its default import
/// of a CommonJS module that module's `module.exports`, as Node does, not its `exports.default`
/// when it sets `__esModule` (Babel's way). Vite 8 reads the project's own files so
/// (`legacy.inconsistentCjsInterop` turns it off), and rolldown and esbuild have read packages'
/// files so all along (Vite's pre-bundling); the runtime's `require.esm(bindings, flags)` takes
/// it ([`NodeInterop::flags`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeInterop {
    /// For `import x from` and `import * as ns from` (Vite's `isFilePathESM`).
    pub static_imports: bool,
    /// For `import()`: the file's format is explicit, `"type": "commonjs"` and `.cjs` included
    /// (Vite's `isFilePathFormatExplicit`).
    pub dynamic_imports: bool,
}

impl NodeInterop {
    /// The runtime's flags: 1 static imports, 2 `import()`.
    pub fn flags(self) -> u8 {
        u8::from(self.static_imports) | (u8::from(self.dynamic_imports) << 1)
    }
}

impl Default for ScriptConfig {
    fn default() -> Self {
        ScriptConfig {
            jsx: Jsx::default(),
            decorators: Decorators::Standard,
            use_define_for_class_fields: true,
            imports: ImportElision::Unused,
            node_interop: NodeInterop::default(),
        }
    }
}

/// Which imports of a TypeScript file go away with its types, as `tsc` (and Vite's transform)
/// decides from the tsconfig.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ImportElision {
    /// An import none of whose bindings is used as a value (TypeScript's default).
    #[default]
    Unused,
    /// Only the unused bindings; the import itself stays for its side effects
    /// (`importsNotUsedAsValues: "preserve"`/`"error"`).
    UnusedBindings,
    /// Only what is written as a type (`import type`, `import { type X }`): every other import
    /// is kept as written (`verbatimModuleSyntax`, `preserveValueImports`; create-vite's
    /// TypeScript starters set the first). Also a plugin's output whose id names no language
    /// (a `.vue` or `.mdx` file's, a virtual module's), which Vite runs no TS transform on.
    Verbatim,
}

/// How JSX becomes JavaScript. Always the development flavour (`jsxDEV`, `__source`), as in
/// Vite's dev server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Jsx {
    /// `jsx: react-jsx | react-jsxdev` (and hotloop's default): `<import_source>/jsx-dev-runtime`.
    Automatic { import_source: Arc<str> },
    /// `jsx: react`: calls to `factory` (`React.createElement`, `h`) and `fragment_factory`,
    /// which the module itself must have in scope.
    Classic {
        factory: Arc<str>,
        fragment_factory: Arc<str>,
    },
    /// `jsx: preserve` with a framework's `jsxImportSource` (`solid-js`): under Vite the JSX is
    /// compiled by that framework's plugin (vite-plugin-solid) in vite.config,
    /// so a module with JSX is a diagnostic at its first element naming that plugin.
    Preserve { import_source: Arc<str> },
}

impl Default for Jsx {
    fn default() -> Self {
        Jsx::Automatic {
            import_source: "react".into(),
        }
    }
}

/// Automatic JSX runtimes that are React's own, wrapped (`@emotion/react`'s `jsx` adds the
/// `css` prop and renders React elements): Fast Refresh applies to their components too.
const REACT_WRAPPING_RUNTIMES: &[&str] = &["@emotion/react", "theme-ui", "@theme-ui/core"];

impl Jsx {
    /// The JSX is React's: the automatic runtime from `react` (or a wrapper of it, Emotion's),
    /// or `React.createElement`. Fast Refresh applies only then.
    pub fn is_react(&self) -> bool {
        match self {
            Jsx::Automatic { import_source } => {
                &**import_source == "react" || REACT_WRAPPING_RUNTIMES.contains(&&**import_source)
            }
            Jsx::Classic { factory, .. } => factory.starts_with("React."),
            Jsx::Preserve { .. } => false,
        }
    }

    /// React's automatic runtime (`react/jsx-dev-runtime`).
    pub fn is_automatic_react(&self) -> bool {
        matches!(self, Jsx::Automatic { import_source } if &**import_source == "react")
    }
}

/// Which decorators the source uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decorators {
    /// TC39 standard decorators (TypeScript 5 without `experimentalDecorators`; the 2022-03
    /// semantics TypeScript implements).
    Standard,
    /// `experimentalDecorators`: TypeScript's legacy decorators, with
    /// `emitDecoratorMetadata`'s `design:*` metadata when asked.
    Legacy { emit_metadata: bool },
}

/// How a module refers to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportKind {
    /// `import x from 's'`, `import 's'`
    Static,
    /// `export { x } from 's'`, `export * from 's'`
    ReExport,
    /// `import('s')` with a literal specifier
    Dynamic,
    /// `require('s')` with a literal specifier
    Require,
    /// `import.meta.hot.accept('s', ...)`: not an import, but resolved the same way
    HotAccept,
    /// `import.meta.glob(...)`: the specifier names the importer's glob module
    /// (`./main.ts?glob=0`), which imports the matched files. Loads with the importer, like a
    /// static import.
    Glob,
    /// `new URL('./tex.png', import.meta.url)` of an asset file: the file's `?url` module, whose
    /// versioned URL the expression takes (`transform::asset_url`), so a replaced file reaches
    /// the page like an edited import. Loads with the importer, like `require`; a file that is
    /// not there is no error (the URL stays as written, as under Vite).
    AssetUrl,
    /// The worker file a worker variant module (`./w.ts?worker`) runs in a worker: part of the
    /// project, but a root of its own chunk, never loaded by the page.
    Worker,
}

/// One import as written in the source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportRecord {
    /// Shared with `import_specifiers` and what resolution and emit make of it: one
    /// allocation per specifier, not one per projection.
    pub specifier: Arc<str>,
    pub kind: ImportKind,
    /// 1-based line and column of the specifier, for "cannot resolve" diagnostics.
    pub line: u32,
    pub column: u32,
}

/// What the module says about hot updates, found statically.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HotFacts {
    /// `import.meta.hot.accept()` / `accept(cb)`. (A page also re-runs in place a module that
    /// uses `import.meta.hot.data`: see `queries::graph`.)
    pub self_accepts: bool,
    /// Specifiers passed to `accept(dep, cb)` / `accept([deps], cb)`. (Boxed slices: a copy of
    /// these facts is kept per module in several places, most with none.)
    pub accepted_deps: Box<[Box<str>]>,
    pub has_dispose: bool,
    pub has_prune: bool,
    pub uses_invalidate: bool,
    pub uses_data: bool,
    /// Every export is a React component (PascalCase) and the module registered at least one:
    /// a Fast Refresh boundary, treated as self-accepting.
    pub refresh_boundary: bool,
    /// A module that registered React components but is no Fast Refresh boundary: its first
    /// export that is not a component (`helper`, React Router's `loader`), for the reload's
    /// reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_refused: Option<Box<str>>,
    /// The module is CommonJS (no ESM syntax, or ESM imports in a file that exports through
    /// `exports`/`module.exports` and declares no ESM export).
    pub commonjs: bool,
}

/// The result of compiling one JS/TS module. Never an `Err`: a syntax error produces
/// `diagnostics` and no `code`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompiledModule {
    pub imports: Vec<ImportRecord>,
    /// The `import.meta.glob(...)` calls, indexed like the `?glob=<n>` modules.
    pub globs: Vec<GlobImport>,
    pub hot: HotFacts,
    /// The names its imports take (see [`ImportNames`]).
    pub import_names: ImportNames,
    /// What the module exports, when it is an ES module of known shape (see [`ExportNames`]).
    pub exports: Option<ExportNames>,
    /// The factory function expression (see `queries/emit.rs`, "The registry format"); `None`
    /// when the module does not compile.
    pub code: Option<Arc<str>>,
    /// Source map v3 JSON for `code` (header line already accounted for). swc's leave
    /// `sourcesContent` out: their one source is the compiled text, which the engine holds
    /// already (see `queries::parsed::ParsedModule::map_source`). A compile's is its text; a
    /// compile cache hit's is the entry's, read when asked for (`ModuleMap::Stored`).
    pub map: Option<ModuleMap>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles one module. `id` is the module id used in diagnostics and as the map's source name.
///
/// Runs the swc pipeline on a dedicated thread with a large stack (swc recurses on nesting),
/// turns any panic into a `Transform` diagnostic, and refuses input nested deeper than
/// [`MAX_NESTING`] brackets with a `Syntax` diagnostic instead of overflowing the stack.
pub fn compile_module(
    id: &str,
    kind: SourceKind,
    text: &str,
    options: &TransformOptions,
) -> CompiledModule {
    compile_module_with(id, text, || pipeline::compile(id, kind, text, options))
}

/// The guards around a compile: nesting pre-check, big-stack thread, panic → diagnostic.
fn compile_module_with(
    id: &str,
    text: &str,
    compile: impl FnOnce() -> CompiledModule + Send,
) -> CompiledModule {
    if let Some(d) = guard::check_nesting(id, text) {
        return CompiledModule {
            diagnostics: vec![d],
            ..Default::default()
        };
    }
    guard::run_guarded(compile).unwrap_or_else(|message| CompiledModule {
        diagnostics: vec![Diagnostic {
            kind: DiagnosticKind::Transform,
            file: id.to_string(),
            line: 1,
            column: 1,
            message: format!("internal error while compiling: {message}"),
            code_frame: String::new(),
        }],
        ..Default::default()
    })
}

/// Vite's `json` options: how a `.json` module is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JsonOptions {
    /// Write the value as `JSON.parse("...")`, which V8 parses faster than an object literal
    /// of a big file.
    pub stringify: JsonStringify,
    /// Named imports read the top-level keys (`import { version } from './package.json'`);
    /// `false`: the module has its default export alone.
    pub named_exports: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            stringify: JsonStringify::Auto,
            named_exports: true,
        }
    }
}

/// `json.stringify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonStringify {
    Never,
    Always,
    /// Vite's default: a file over 10 kB.
    Auto,
}

/// Above this many bytes, `JsonStringify::Auto` writes `JSON.parse` (Vite's 10 kB).
const JSON_STRINGIFY_ABOVE: usize = 10_000;

/// Compiles a `.json` file: a factory whose body is `module.exports = <text>;` (or
/// `JSON.parse("<text>")`, and `exports.default` alone, as `options` say). Invalid JSON gives
/// a `Syntax` diagnostic (with serde_json's line and column) and no code.
pub fn compile_json(id: &str, text: &str, options: &JsonOptions) -> CompiledModule {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        let (line, column) = (e.line().max(1) as u32, e.column().max(1) as u32);
        return CompiledModule {
            diagnostics: vec![Diagnostic::syntax(
                id,
                text,
                line,
                column,
                format!("invalid JSON: {}", json_message(&e)),
            )],
            ..Default::default()
        };
    }
    let target = if options.named_exports {
        "module.exports"
    } else {
        "Object.defineProperty(exports, \"__esModule\", { value: true });\nexports.default"
    };
    let stringify = match options.stringify {
        JsonStringify::Never => false,
        JsonStringify::Always => true,
        JsonStringify::Auto => text.len() > JSON_STRINGIFY_ABOVE,
    };
    if stringify {
        // One line: the map points it at the file's first line.
        let literal = serde_json::to_string(text.trim()).unwrap_or_else(|_| "\"null\"".into());
        let body = format!("{target} = JSON.parse({literal});");
        let first = if options.named_exports {
            ";AAAA"
        } else {
            ";;AAAA"
        };
        return CompiledModule {
            code: Some(factory(&body).into()),
            map: Some(json_map(id, text, first).into()),
            ..Default::default()
        };
    }
    let body = format!("{target} = {};", text.trim_end());
    // Line i of the JSON is line i + 1 of the factory (i + 2 after the `__esModule` line);
    // the first line is shifted right by the `module.exports = ` prefix, which maps to the
    // start of the value.
    let lines = text.trim_end().lines().count().max(1);
    let mut mappings = String::from(if options.named_exports {
        ";AAAA"
    } else {
        ";;AAAA"
    });
    for _ in 1..lines {
        mappings.push_str(";AACA");
    }
    CompiledModule {
        code: Some(factory(&body).into()),
        map: Some(json_map(id, text, &mappings).into()),
        ..Default::default()
    }
}

/// A JSON module's source map with `mappings`.
fn json_map(id: &str, text: &str, mappings: &str) -> String {
    serde_json::json!({
        "version": 3,
        "sources": [id],
        "sourcesContent": [text],
        "names": [],
        "mappings": mappings,
    })
    .to_string()
}

/// A factory exporting one string: an asset's URL (image, font, `?url`) or a `?raw` file's
/// text. Imported as `default` through the CommonJS interop.
pub fn string_module(value: &str) -> CompiledModule {
    let value = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    CompiledModule {
        code: Some(factory(&format!("module.exports = {value};")).into()),
        ..Default::default()
    }
}

/// The module of `./x.wasm?init` whose file is served at `url`: Vite's `init(imports)`, a
/// promise of the `WebAssembly.Instance` (streamed when the server says `application/wasm`).
pub fn wasm_init_module(url: &str) -> CompiledModule {
    let url = serde_json::to_string(url).unwrap_or_else(|_| "\"\"".to_string());
    let body = format!(
        "module.exports = async function init(imports) {{\n  \
         const response = fetch({url});\n  \
         if (typeof WebAssembly.instantiateStreaming === 'function') {{\n    \
         try {{ return (await WebAssembly.instantiateStreaming(response, imports)).instance; }}\n    \
         catch (e) {{ if (!/mime|content-type/i.test(String(e && e.message))) throw e; }}\n  \
         }}\n  \
         const bytes = await (await fetch({url})).arrayBuffer();\n  \
         return (await WebAssembly.instantiate(bytes, imports)).instance;\n}};"
    );
    CompiledModule {
        code: Some(factory(&body).into()),
        ..Default::default()
    }
}

/// Wraps a module body that registers nothing with React Refresh (a stylesheet, an asset, JSON)
/// into the factory function expression.
pub fn factory(body: &str) -> String {
    factory_with(PLAIN_FACTORY_HEADER, body)
}

/// Wraps a module body into a factory with the given header line.
fn factory_with(header: &str, body: &str) -> String {
    let body = body.trim_end_matches(['\n', '\r']);
    let mut out = String::with_capacity(header.len() + body.len() + 8);
    out.push_str(header);
    out.push('\n');
    out.push_str(body);
    out.push('\n');
    out.push_str(FACTORY_FOOTER);
    out
}

/// serde_json's message without its " at line L column C" suffix (the diagnostic has them).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
