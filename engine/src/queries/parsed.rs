//! `parsed_module`: one file's text → everything compiled from it (imports, hot facts, factory
//! code, source map, stylesheet, diagnostics), by file class: JS/TS through swc, CSS, JSON, or an
//! asset URL module. The only expensive query; everything else projects from it.
//!
//! The app's server (server-side HMR) gets a variant of its own, `server_parsed_module`,
//! memoized apart: a module the project's plugins compile differently for `ssr` is compiled
//! again from their `ssr` output; any other module is the page's result itself.

use std::path::Path;
use std::sync::Arc;

use crate::db::Db;
use crate::files::{self, FileClass, ImportQuery, MAX_MODULE_BYTES, needed_tool, split_query};
use crate::graph::ModuleKind;
use crate::inputs::{FileContents, Project, SourceFile, in_node_modules};
use crate::queries::glob;
use crate::queries::plugin_pass::{self, Lang, PluginPass};
use crate::queries::resolve::react_ignores_jsx_source;
use crate::source_text::SourceText;
use crate::telemetry::Phase;
use crate::transform::{
    self, CompiledModule, ExportNames, GlobImport, HotFacts, ImportNames, ImportRecord,
    TransformOptions, compile_json, string_module,
};
use crate::{css, css_modules};
use hotloop_protocol::plugin::PluginEnv;
use hotloop_protocol::{Diagnostic, DiagnosticKind, MapSource, ModuleMap, code_frame};

/// What `parsed_module` produces. Collections are `Arc`s so the projections below share them
/// instead of copying.
#[derive(Debug)]
pub struct ParsedModule {
    pub imports: Arc<[ImportRecord]>,
    /// The module's `import.meta.glob(...)` calls (JS/TS only).
    pub globs: Arc<[GlobImport]>,
    pub hot: HotFacts,
    /// The names its imports take (see `transform::ImportNames`).
    pub import_names: ImportNames,
    /// What it exports, when it is an ES module swc compiled (see `transform::ExportNames`).
    pub exports: Option<ExportNames>,
    /// The factory expression; `None` when the file does not compile.
    pub code: Option<Arc<str>>,
    pub map: Option<ModuleMap>,
    /// The text of `map`'s one source when `map` leaves `sourcesContent` out: the text swc
    /// compiled (the file's own, read from it again when devtools ask: see `SourceText`). The
    /// server puts it back into the map it serves, so no module's source is held for its map.
    pub map_source: Option<MapSource>,
    /// A stylesheet's texts (CSS only; boxed: one memo per module, most are scripts).
    pub css: Option<Box<ParsedCss>>,
    pub diagnostics: Arc<[Diagnostic]>,
    /// Other files this compile read through the plugins (`this.addWatchFile`: a Sass partial,
    /// a source Tailwind CSS scanned): an edit of one compiles this module again, and the
    /// build finds the module from the file (`host/build.rs`).
    pub watched: Arc<[SourceFile]>,
}

/// What a stylesheet's compile made besides its factory.
#[derive(Debug)]
pub struct ParsedCss {
    /// The stylesheet text served for `<link rel=stylesheet>`.
    pub stylesheet: Option<Arc<str>>,
    /// The text its factory injects into the page's `<style>` (see `css::CompiledCss::style`).
    pub style: Option<Arc<str>>,
    /// Where each local `@import` URL ends in `stylesheet`, and its specifier (see
    /// `css::CompiledCss::stylesheet_imports`).
    pub stylesheet_imports: Box<[(std::ops::Range<usize>, String)]>,
}

impl ParsedModule {
    /// The stylesheet text served for `<link rel=stylesheet>` (CSS only).
    pub fn stylesheet(&self) -> Option<&Arc<str>> {
        self.css.as_ref()?.stylesheet.as_ref()
    }

    /// The text its factory injects into the page's `<style>` (CSS only).
    pub fn style(&self) -> Option<&Arc<str>> {
        self.css.as_ref()?.style.as_ref()
    }

    /// Where each local `@import` URL ends in the stylesheet, and its specifier (CSS only).
    pub fn stylesheet_imports(&self) -> &[(std::ops::Range<usize>, String)] {
        self.css.as_ref().map_or(&[], |css| &css.stylesheet_imports)
    }

    fn from_compiled(compiled: CompiledModule) -> ParsedModule {
        ParsedModule {
            imports: compiled.imports.into(),
            globs: compiled.globs.into(),
            hot: compiled.hot,
            import_names: compiled.import_names,
            exports: compiled.exports,
            code: compiled.code,
            map: compiled.map,
            map_source: None,
            css: None,
            diagnostics: compiled.diagnostics.into(),
            watched: Arc::new([]),
        }
    }

    fn failed(diagnostic: Diagnostic) -> ParsedModule {
        ParsedModule {
            imports: Arc::new([]),
            globs: Arc::new([]),
            hot: HotFacts::default(),
            import_names: ImportNames::default(),
            exports: None,
            code: None,
            map: None,
            map_source: None,
            css: None,
            diagnostics: Arc::new([diagnostic]),
            watched: Arc::new([]),
        }
    }
}

/// The module kind of a path: by extension, or for what plugins make (a `.vue` file, a
/// virtual module, a query sub-module), by whether its id asks for a stylesheet. A file of a
/// type nobody knows is the plugins' script when there are plugins (`has_plugins`).
pub fn module_kind(path: &Path, has_plugins: bool) -> ModuleKind {
    match FileClass::of(path) {
        FileClass::Unknown if has_plugins => ModuleKind::Js,
        FileClass::Unknown => ModuleKind::Asset,
        FileClass::Script(_)
        | FileClass::Glob
        | FileClass::Worker(_)
        | FileClass::HtmlScript
        | FileClass::DepsBanner => ModuleKind::Js,
        FileClass::Foreign | FileClass::SubModule | FileClass::Virtual => {
            if plugin_pass::is_css_request(&path.to_string_lossy()) {
                ModuleKind::Css
            } else {
                ModuleKind::Js
            }
        }
        FileClass::Css | FileClass::HtmlStyle => ModuleKind::Css,
        FileClass::Json => ModuleKind::Json,
        FileClass::Html
        | FileClass::Asset
        | FileClass::Env
        | FileClass::Raw
        | FileClass::Url
        | FileClass::WasmInit
        | FileClass::Inline => ModuleKind::Asset,
    }
}

/// The module id of a file (`/src/a.js`), shared (see `SourceFile::id`).
pub fn file_id(db: &dyn Db, file: SourceFile) -> Arc<str> {
    file.id(db).clone()
}

/// Compiles one file.
///
/// `no_eq`: the result holds freshly generated code and source maps, so comparing old and new
/// would cost as much as it could save, and it never compares equal after a real edit anyway.
/// Backdating happens one level up, in the `Eq` projections (`module_imports`, `hot_meta`,
/// `emitted_module`, ...), which is where it cuts invalidation short.
#[salsa::tracked(returns(clone), no_eq)]
pub fn parsed_module(db: &dyn Db, file: SourceFile) -> Arc<ParsedModule> {
    let _clock = db.clock().enter_key(Phase::Parse, "parsed_module", file);
    let _span = tracing::trace_span!("parsed_module", file = %file.path(db).display()).entered();
    parse(db, file, PluginEnv::Client)
}

/// `parsed_module` as the app's server gets it (server-side HMR): a module a project's plugins
/// load or transform is compiled again from their `ssr` variant (`{ ssr: true }`,
/// `this.environment.name === 'ssr'`: a `.vue` file's server render function), memoized apart
/// from the page's; every other module is `parsed_module`'s result itself (one parse for both
/// graphs). The server's projections (`server_import_specifiers`, `server_hot_meta`,
/// `server_emitted_module`) read this.
#[salsa::tracked(returns(clone), no_eq)]
pub fn server_parsed_module(db: &dyn Db, file: SourceFile) -> Arc<ParsedModule> {
    if !server_differs(db, file) {
        return parsed_module(db, file);
    }
    let path = file.path(db);
    let _clock = db
        .clock()
        .enter_key(Phase::Parse, "server_parsed_module", file);
    let _span = tracing::trace_span!("server_parsed_module", file = %path.display()).entered();
    parse(db, file, PluginEnv::Ssr)
}

/// Whether the app's server gets a compile of `file` of its own (some plugin may load or
/// transform it); else the server's projections are the page's own memos.
pub fn server_differs(db: &dyn Db, file: SourceFile) -> bool {
    let path = file.path(db);
    match file.contents(db) {
        // (Without plugins, no text is read: it was released when the page's compile ran.)
        FileContents::Text(text)
            if db.plugins().is_some()
                && (plugin_passed(FileClass::of(path)) || inline_stylesheet(path)) =>
        {
            plugin_pass::touches(db, path, &text.text())
        }
        _ => false,
    }
}

/// The classes of files the plugins' `load`/`transform` run on (the rest are hotloop's alone).
fn plugin_passed(class: FileClass) -> bool {
    matches!(
        class,
        FileClass::Script(_)
            | FileClass::Css
            | FileClass::HtmlStyle
            | FileClass::Json
            | FileClass::Foreign
            | FileClass::SubModule
            | FileClass::Virtual
            | FileClass::Unknown
    )
}

/// A stylesheet imported with `?inline`: it goes through the plugins too (PostCSS, Sass,
/// Tailwind CSS), as under Vite, and exports what they made as a string.
fn inline_stylesheet(path: &Path) -> bool {
    FileClass::of(path) == FileClass::Inline
        && ImportQuery::of_path(path).is_some_and(|(real, _)| files::is_stylesheet(&real))
}

fn parse(db: &dyn Db, file: SourceFile, env: PluginEnv) -> Arc<ParsedModule> {
    if FileClass::of(file.path(db)) == FileClass::HtmlStyle {
        return inline_style(db, file, env);
    }
    let contents = file.contents(db);
    let parsed = parse_contents(db, file, env, contents);
    // Compiled: its text is needed again only by a compile that follows a change (which reads
    // the file again), so its memory goes back to the allocator now, for the next file's
    // text, rather than after the whole build (see `SourceText`).
    if let FileContents::Text(text) = contents {
        text.release();
    }
    parsed
}

/// An inline style of a page (`FileClass::HtmlStyle`): its text in the page, at its place
/// there, through the plugins and the stylesheet compile as a file's; its diagnostics are the
/// page's, at their line there.
fn inline_style(db: &dyn Db, file: SourceFile, env: PluginEnv) -> Arc<ParsedModule> {
    let id = file_id(db, file);
    let Some(mut style) = crate::queries::html::inline_style_code(db, file.path(db)) else {
        return Arc::new(ParsedModule::failed(Diagnostic {
            kind: DiagnosticKind::Io,
            file: id.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "{id} is an inline style that its page no longer has: reload the page"
            ),
            code_frame: String::new(),
        }));
    };
    let code = std::mem::take(&mut style.code);
    let parsed = parse_contents(db, file, env, &FileContents::Text(code.into()));
    if parsed.diagnostics.iter().all(|d| d.file != *id) {
        return parsed;
    }
    // (A compile's module is its own, so this unwraps; were it shared, its diagnostics would
    // stay the module's.)
    let mut parsed = match Arc::try_unwrap(parsed) {
        Ok(parsed) => parsed,
        Err(shared) => return shared,
    };
    parsed.diagnostics = in_the_page(&parsed.diagnostics, &id, &style);
    Arc::new(parsed)
}

/// The diagnostics of an inline script's or style's module `id` as the page's, at their line
/// there (its code keeps the page's lines); others as they are.
fn in_the_page(
    diagnostics: &[Diagnostic],
    id: &str,
    inline: &crate::queries::html::InlineScriptCode,
) -> Arc<[Diagnostic]> {
    diagnostics
        .iter()
        .map(|d| {
            if d.file != id {
                return d.clone();
            }
            Diagnostic {
                file: inline.page_id.clone(),
                code_frame: code_frame(&inline.page_text, d.line, d.column),
                ..d.clone()
            }
        })
        .collect()
}

fn parse_contents(
    db: &dyn Db,
    file: SourceFile,
    env: PluginEnv,
    contents: &FileContents,
) -> Arc<ParsedModule> {
    let path = file.path(db);
    let id = file_id(db, file);
    let class = FileClass::of(path);
    let problem = |message: String| Diagnostic {
        kind: DiagnosticKind::Io,
        file: id.to_string(),
        line: 1,
        column: 1,
        message,
        code_frame: String::new(),
    };
    // A stylesheet's `?inline` goes through the plugins too (PostCSS, Sass, Tailwind CSS), as
    // under Vite, and exports what they made as a string.
    let inline_stylesheet = inline_stylesheet(path);
    let pass = match contents {
        FileContents::Text(text) if inline_stylesheet || plugin_passed(class) => {
            plugin_pass::run(db, file, &id, &text.text(), env)
        }
        // An asset a plugin's `load` answers for (vite-plugin-wasm's `.wasm`; vite-imagetools'
        // `img.png?w=100&format=webp`, a binary file under a plugin's query): its code.
        FileContents::Text(_) | FileContents::Binary { .. } if class == FileClass::Asset => {
            plugin_pass::run_for_asset(db, path, &id, env)
        }
        FileContents::Binary { .. } if class == FileClass::SubModule => {
            plugin_pass::run_for_asset(db, path, &id, env)
        }
        _ => PluginPass::Untouched,
    };
    match pass {
        PluginPass::Untouched => {}
        // JSON text from the plugins (a `load`, a `pre` transform: Vite's JSON plugin comes
        // after those) is compiled as JSON; code they made of it (@intlify/unplugin-vue-i18n's
        // precompiled messages) as a script, below.
        PluginPass::Code {
            code,
            lang: Lang::Unnamed,
            watched,
            ..
        } if class == FileClass::Json
            && serde_json::from_str::<serde::de::IgnoredAny>(&code).is_ok() =>
        {
            return Arc::new(ParsedModule {
                watched: watched.into(),
                ..json_module(db, &id, &code)
            });
        }
        PluginPass::Failed {
            diagnostic,
            watched,
        } => {
            return Arc::new(ParsedModule {
                watched: watched.into(),
                ..ParsedModule::failed(diagnostic)
            });
        }
        PluginPass::Code {
            code,
            map,
            lang: lang @ (Lang::Script(_) | Lang::Unnamed),
            watched,
        } => {
            let (kind, keep_imports) = match lang {
                Lang::Script(kind) => (kind, false),
                _ => (transform::SourceKind::Ts, true),
            };
            let mut parsed = compile_script(db, file, path, &id, kind, keep_imports, &code.into());
            // What the compile of the plugin's output names is put at its place in the file
            // through the plugin's map: an import that does not resolve (an `.mdx` page's),
            // and a syntax error in code the plugin copied from the file (a Vue 2 `<script>`),
            // framed in the file's text (a query sub-module's error keeps the output's frame).
            if let Some(plugin_map) = map.as_deref() {
                let split = split_query(path);
                let in_query_module = split.is_some();
                let source = split.map_or_else(|| path.to_path_buf(), |(source, _)| source);
                let place = |line, column| {
                    plugin_pass::original_position(plugin_map, &source, line, column)
                };
                parsed.imports = parsed
                    .imports
                    .iter()
                    .map(|import| {
                        let (line, column) = place(import.line, import.column)
                            .unwrap_or((import.line, import.column));
                        transform::ImportRecord {
                            line,
                            column,
                            ..import.clone()
                        }
                    })
                    .collect();
                if !parsed.diagnostics.is_empty()
                    && !in_query_module
                    && let FileContents::Text(original) = file.contents(db)
                {
                    parsed.diagnostics = parsed
                        .diagnostics
                        .iter()
                        .map(|d| match place(d.line, d.column) {
                            Some((line, column)) if d.file == *id => Diagnostic {
                                line,
                                column,
                                code_frame: code_frame(&original.text(), line, column),
                                ..d.clone()
                            },
                            _ => d.clone(),
                        })
                        .collect();
                }
            }
            if let (Some(plugin_map), Some(ours)) =
                (map, parsed.map.as_ref().and_then(ModuleMap::text))
                && let Some(chained) =
                    plugin_pass::chain_map(&ours, &plugin_map, db.files().root(), path)
            {
                // Its sources and their text are the plugin's.
                parsed.map = Some(chained.into());
                parsed.map_source = None;
            }
            parsed.watched = watched.into();
            return Arc::new(parsed);
        }
        PluginPass::Code {
            code,
            lang: Lang::Css,
            watched,
            ..
        } if inline_stylesheet => {
            let real = ImportQuery::of_path(path).map_or_else(|| path.to_path_buf(), |(r, _)| r);
            let compiled = compile_stylesheet(db, &real, variant_of(&id), &code);
            return Arc::new(ParsedModule {
                diagnostics: compiled.diagnostics.into(),
                watched: watched.into(),
                ..ParsedModule::from_compiled(string_module(
                    compiled.stylesheet.as_deref().unwrap_or(""),
                ))
            });
        }
        PluginPass::Code {
            code,
            map,
            lang: Lang::Css,
            watched,
        } => {
            // The plugin's map (the compiled CSS → the `.scss`) rides at the end of the
            // text, which the plain-CSS rewrite keeps line for line; a CSS Module's pass
            // (lightningcss) reads it there and ends its own text with the two composed.
            let comment =
                map.and_then(|map| plugin_pass::css_map_comment(&map, db.files().root(), path));
            let code = match comment {
                Some(comment) => format!("{}\n{comment}\n", code.trim_end()),
                None => code,
            };
            let compiled = compile_stylesheet(db, path, &id, &code);
            return Arc::new(ParsedModule {
                watched: watched.into(),
                ..parsed_stylesheet(compiled)
            });
        }
    }
    let parsed = match (class, contents) {
        // What no plugin took (or a project without plugins): its URL, as an asset's.
        (FileClass::Unknown, FileContents::Text(_) | FileContents::Binary { .. }) => {
            ParsedModule::from_compiled(string_module(&asset_url(db, file, path, &id, contents)))
        }
        (FileClass::HtmlScript, _) => match crate::queries::html::inline_script_code(db, path) {
            Some(script) => {
                let code = SourceText::given(script.code.as_str());
                let mut parsed =
                    compile_script(db, file, path, &id, transform::SourceKind::Js, false, &code);
                parsed.diagnostics = in_the_page(&parsed.diagnostics, &id, &script);
                parsed
            }
            None => ParsedModule::failed(problem(format!(
                "{id} is an inline module script that its page no longer has: reload the page"
            ))),
        },
        (FileClass::DepsBanner, _) => {
            match Project::try_get(db).and_then(|p| p.options(db).deps_banner.clone()) {
                Some(code) => compile_script(
                    db,
                    file,
                    path,
                    &id,
                    transform::SourceKind::Js,
                    false,
                    &code.into(),
                ),
                None => ParsedModule::failed(problem(format!(
                    "{id} is optimizeDeps' banner, which the config no longer has: reload the page"
                ))),
            }
        }
        (FileClass::Glob, _) => match glob::compile_glob_module(db, file) {
            Ok(compiled) => ParsedModule::from_compiled(compiled),
            Err(message) => ParsedModule::failed(problem(message)),
        },
        (FileClass::Worker(query), _) => {
            // `/src/w.ts?worker` → the worker script of `/src/w.ts`.
            let real_id = variant_of(&id);
            let file_name = real_id.rsplit('/').next().unwrap_or(real_id);
            let prefix = url_prefix(db);
            ParsedModule::from_compiled(transform::worker_module(query, prefix, real_id, file_name))
        }
        (_, FileContents::Missing) => ParsedModule::failed(problem(format!(
            "{} does not exist",
            files::message_id(&id)
        ))),
        // A binary file under a query no plugin loads: the file's URL, as Vite's asset plugin
        // answers (`img.png?v=2`).
        (FileClass::SubModule, FileContents::Binary { .. }) => {
            let real =
                files::split_query(path).map_or_else(|| path.to_path_buf(), |(real, _)| real);
            let real_id = db.files().module_id(&real);
            ParsedModule::from_compiled(string_module(&asset_url(
                db, file, &real, &real_id, contents,
            )))
        }
        (FileClass::Html | FileClass::Asset | FileClass::Env, contents) => {
            ParsedModule::from_compiled(string_module(&asset_url(db, file, path, &id, contents)))
        }
        (FileClass::WasmInit, contents) => {
            // `/src/add.wasm?init` → `init(imports)`, instantiating the file at its URL.
            let real_id = variant_of(&id);
            let real = ImportQuery::of_path(path).map_or_else(|| path.to_path_buf(), |(r, _)| r);
            let url = asset_url(db, file, &real, real_id, contents);
            ParsedModule::from_compiled(transform::wasm_init_module(&url))
        }
        (FileClass::Url, contents) => {
            // `/src/logo.png?url` → the URL the server answers the file itself at.
            let real_id = variant_of(&id);
            let real = ImportQuery::of_path(path).map_or_else(|| path.to_path_buf(), |(r, _)| r);
            ParsedModule::from_compiled(string_module(&asset_url(
                db, file, &real, real_id, contents,
            )))
        }
        (_, FileContents::Binary { len, .. }) => {
            let message = if *len > MAX_MODULE_BYTES
                && matches!(
                    class,
                    FileClass::Script(_) | FileClass::Raw | FileClass::Inline
                ) {
                format!(
                    "{id} is too large to compile ({:.1} MB; the limit is {} MB)",
                    *len as f64 / (1024.0 * 1024.0),
                    MAX_MODULE_BYTES / (1024 * 1024)
                )
            } else {
                format!("{id} is not valid UTF-8")
            };
            ParsedModule::failed(problem(message))
        }
        (FileClass::Script(source_kind), FileContents::Text(text)) => {
            compile_script(db, file, path, &id, source_kind, false, text)
        }
        (FileClass::Css | FileClass::HtmlStyle, FileContents::Text(text)) => {
            parsed_stylesheet(compile_stylesheet(db, path, &id, &text.text()))
        }
        (FileClass::Foreign | FileClass::SubModule | FileClass::Virtual, _) => {
            ParsedModule::failed(Diagnostic {
                kind: DiagnosticKind::Transform,
                message: no_plugin_message(&id, path),
                ..problem(String::new())
            })
        }
        (FileClass::Json, FileContents::Text(text)) => json_module(db, &id, &text.text()),
        (FileClass::Raw, FileContents::Text(text)) => {
            ParsedModule::from_compiled(string_module(&text.text()))
        }
        (FileClass::Inline, FileContents::Text(text)) => {
            let real_id = variant_of(&id);
            let real =
                ImportQuery::of_path(path).map_or_else(|| path.to_path_buf(), |(real, _)| real);
            if let Some((ext, tool)) = needed_tool(&real).filter(|_| files::is_stylesheet(&real)) {
                // Sass/Less/... with no plugin (no `vite.config`, no preprocessor installed).
                ParsedModule::failed(Diagnostic {
                    kind: DiagnosticKind::Transform,
                    message: format!(
                        "`.{ext}` files need {tool}; no plugin of this project compiles {id}"
                    ),
                    ..problem(String::new())
                })
            } else if FileClass::of(&real) == FileClass::Css {
                // The stylesheet as it would be served (relative `url()`s made absolute; a
                // CSS Module's names scoped), as a string: nothing is injected.
                let compiled = compile_stylesheet(db, &real, real_id, &text.text());
                ParsedModule {
                    diagnostics: compiled.diagnostics.into(),
                    ..ParsedModule::from_compiled(string_module(
                        compiled.stylesheet.as_deref().unwrap_or(""),
                    ))
                }
            } else {
                // The `data:` URL the file was read as.
                ParsedModule::from_compiled(string_module(&text.text()))
            }
        }
    };
    Arc::new(parsed)
}

/// An asset's URL: its id with a version from its bytes, so an edit makes the page fetch it
/// again.
/// The id of the file a query variant's id (`/src/a.css?inline`) stands for; any other id itself.
fn variant_of(id: &str) -> &str {
    ImportQuery::split(id).map_or(id, |(real, _)| real)
}

/// A script through swc (and the compile cache), with the settings of the tsconfig that
/// applies to `file`.
fn compile_script(
    db: &dyn Db,
    file: SourceFile,
    path: &Path,
    id: &str,
    kind: transform::SourceKind,
    keep_imports: bool,
    text: &SourceText,
) -> ParsedModule {
    let script = match file.tsconfig(db) {
        // The tsconfig that applies does not parse: the file cannot be compiled as the
        // project says (the diagnostic names the tsconfig).
        Err(message) => {
            return ParsedModule::failed(Diagnostic {
                kind: DiagnosticKind::Transform,
                file: id.to_string(),
                line: 1,
                column: 1,
                message: message.to_string(),
                code_frame: String::new(),
            });
        }
        Ok(script) => script.clone(),
    };
    let mut script = script;
    if keep_imports {
        script.imports = transform::ImportElision::Verbatim;
    }
    if !in_node_modules(path)
        && !Project::try_get(db).is_some_and(|p| p.options(db).node_cjs_interop)
    {
        script.node_interop = transform::NodeInterop::default();
    }
    if !in_node_modules(path)
        && let Some(jsx) = Project::try_get(db).and_then(|p| p.options(db).jsx.clone())
    {
        script.jsx = jsx;
    }
    // npm packages rarely ship JSX, and a React upgrade then re-parses the project's own files
    // only (as for React Refresh).
    let jsx_dev_source = in_node_modules(path)
        || !(script.jsx.is_automatic_react()
            && Project::try_get(db).is_some_and(|p| react_ignores_jsx_source(db, p)));
    let options = TransformOptions {
        react_refresh: project_options_refresh(db) && !in_node_modules(path),
        define: if in_node_modules(path) {
            deps_define(db)
        } else {
            project_define(db)
        },
        script,
        jsx_dev_source,
        verbatim_commonjs: in_node_modules(path),
        jsx_inject: if matches!(
            kind,
            transform::SourceKind::Jsx | transform::SourceKind::Tsx
        ) && !in_node_modules(path)
        {
            Project::try_get(db).and_then(|p| p.options(db).jsx_inject.clone())
        } else {
            None
        },
    };
    let compiled = db
        .compile_cache()
        .compile_script(id, kind, text, &options, |text| {
            transform::compile_module(id, kind, text, &options)
        });
    let map_source = compiled.map.is_some().then(|| text.map_source());
    ParsedModule {
        map_source,
        ..ParsedModule::from_compiled(compiled)
    }
}

fn parsed_stylesheet(compiled: css::CompiledCss) -> ParsedModule {
    ParsedModule {
        imports: compiled.imports.into(),
        globs: Arc::new([]),
        hot: HotFacts::default(),
        import_names: ImportNames::default(),
        exports: None,
        code: compiled.code,
        map: None,
        map_source: None,
        css: Some(Box::new(ParsedCss {
            stylesheet: compiled.stylesheet,
            style: compiled.style,
            stylesheet_imports: compiled.stylesheet_imports.into(),
        })),
        diagnostics: compiled.diagnostics.into(),
        watched: Arc::new([]),
    }
}

/// Why a module only a plugin could make has no code.
fn no_plugin_message(id: &str, path: &Path) -> String {
    if let Some((ext, tool)) = needed_tool(path) {
        return format!(
            "`.{ext}` files need {tool}; no plugin of this project compiles {id} (hotloop \
             compiles JS, TS, JSX, CSS, CSS Modules and JSON itself)"
        );
    }
    // Vite's own queries hotloop does not have are not a missing plugin.
    let query = split_query(path).map(|(_, q)| q.split('&').next().unwrap_or(q));
    if let Some(query @ ("init" | "no-inline")) = query {
        return format!(
            "`?{query}` imports are a Vite feature hotloop does not have yet ({id}); it supports \
             `?raw`, `?url`, `?inline`, `?worker`, `?sharedworker`, `?worker&url`, \
             `?worker&inline` and `.wasm?init`"
        );
    }
    format!("no plugin of this project loads or transforms {id}")
}

/// A stylesheet file: a CSS Module (`*.module.css`, as the config's `css.modules` says) or a
/// plain one.
fn compile_stylesheet(db: &dyn Db, path: &Path, id: &str, text: &str) -> css::CompiledCss {
    let project = Project::try_get(db);
    let default = css_modules::CssModulesOptions::default();
    let modules = project.map_or(&default, |p| &p.options(db).css_modules);
    let root = project.map(|p| p.root(db).as_path());
    let prefix = url_prefix(db);
    let resolve_url = |url: &str| crate::queries::resolve::css_url(db, path, url);
    if modules.applies_to(path) {
        css_modules::compile_css_module(id, text, modules, root, prefix, &resolve_url)
    } else {
        css::compile_css_in(id, text, root, prefix, &resolve_url)
    }
}

/// An asset's URL: under Vite's `base` (`ProjectOptions::url_prefix`), as Vite writes it
/// (`/src/logo.svg`); once `file` (the asset, or its `?url` variant) was saved during the
/// session, with its version (`?v=`): the hot update re-runs the importers with a URL the
/// browser has not loaded, and the page shows the new file (Vite adds the asset's last hot
/// update's time, `?t=`, for the same reason).
fn asset_url(
    db: &dyn Db,
    file: SourceFile,
    path: &Path,
    id: &str,
    contents: &FileContents,
) -> String {
    let prefix = url_prefix(db);
    // The public directory (`publicDir`, `ROOT/public` by default) is served at the root, as
    // is: its files keep their URL (Vite's rule).
    let public_dir = crate::queries::resolve::public_dir(db);
    if let Some(rest) =
        public_dir.and_then(|dir| path.strip_prefix(dir).ok().map(Path::to_path_buf))
    {
        return format!("{prefix}/{}", rest.to_string_lossy().replace('\\', "/"));
    }
    if !file.edited(db) {
        return format!("{prefix}{id}");
    }
    format!("{prefix}{id}?v={:08x}", contents.content_hash() >> 32)
}

/// The config's `define`, shared by every module's compile (an `Arc` clone each).
/// What the URLs the page asks for start with (`ProjectOptions::url_prefix`: Vite's `base`).
fn url_prefix(db: &dyn Db) -> &str {
    Project::try_get(db).map_or("", |p| p.options(db).url_prefix())
}

fn project_define(db: &dyn Db) -> Arc<[(String, String)]> {
    Project::try_get(db).map_or_else(
        || Arc::new([]) as Arc<[_]>,
        |p| p.options(db).define.clone(),
    )
}

/// JSON text as a module, with the config's `json` options.
fn json_module(db: &dyn Db, id: &str, text: &str) -> ParsedModule {
    let options = Project::try_get(db).map(|p| p.options(db).json);
    ParsedModule::from_compiled(compile_json(id, text, &options.unwrap_or_default()))
}

/// What is replaced in an npm package: `define`, then `optimizeDeps`' (which win); `define`
/// itself (an `Arc` clone) when the config sets no `optimizeDeps` define.
fn deps_define(db: &dyn Db) -> Arc<[(String, String)]> {
    let Some(project) = Project::try_get(db) else {
        return Arc::new([]);
    };
    let options = project.options(db);
    if options.deps_define.is_empty() {
        return options.define.clone();
    }
    merged_deps_define(db, project)
}

/// [`deps_define`]'s merge, made once per change of the options rather than once per npm
/// module compiled.
#[salsa::tracked(returns(clone))]
fn merged_deps_define(db: &dyn Db, project: Project) -> Arc<[(String, String)]> {
    let options = project.options(db);
    options
        .define
        .iter()
        .filter(|(key, _)| !options.deps_define.iter().any(|(k, _)| k == key))
        .chain(options.deps_define.iter())
        .cloned()
        .collect()
}

fn project_options_refresh(db: &dyn Db) -> bool {
    Project::try_get(db).is_some_and(|p| p.options(db).react_refresh)
}
