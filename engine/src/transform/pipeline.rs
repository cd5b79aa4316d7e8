//! The swc passes for one JS/TS module, in order: parse (decorators allowed) → resolver → `define`
//! (where one of its names is written) → decorators (legacy or standard, as the file's tsconfig
//! says; only in modules that have one) → TypeScript strip → class fields assigned, not defined
//! (`useDefineForClassFields: false`) → React (automatic or classic JSX runtime; Fast Refresh for
//! React's JSX only; `jsxDEV`'s source arguments dropped for React 19; not run on a module with
//! neither JSX nor Fast Refresh) → [`analyze`] → [`Rewrite`] → ESM-to-CommonJS with inlined helpers
//! → hygiene → fixer → codegen with a source map (printed compactly), wrapped into a factory
//! (an async one when the module uses top-level `await`). An npm package's CommonJS script
//! stops after the resolver: it is served as written, with text edits ([`verbatim`]). A fresh
//! `SourceMap`, `Globals` and helper set per call; nothing outlives the call.

use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::source_map::SourceMapGenConfig;
use swc_core::common::sync::Lrc;
use swc_core::common::{
    BytePos, FileName, GLOBALS, Globals, LineCol, Mark, SourceMap, Span, Spanned, SyntaxContext,
};
use swc_core::ecma::ast::{Decorator, EsVersion, JSXElement, JSXFragment, Program, Script};
use swc_core::ecma::codegen::{Emitter, text_writer::JsWriter};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax, lexer::Lexer};
use swc_core::ecma::transforms::base::helpers::{HELPERS, Helpers, inject_helpers};
use swc_core::ecma::transforms::base::{fixer::fixer, resolver};
use swc_core::ecma::transforms::module::common_js::{self, FeatureFlag};
use swc_core::ecma::transforms::module::path::Resolver;
use swc_core::ecma::transforms::proposal::{decorator_2022_03, decorators};
use swc_core::ecma::transforms::react;
use swc_core::ecma::transforms::typescript;
use swc_core::ecma::visit::{Visit, VisitMutWith, VisitWith};

use super::analyze::{analyze, line_col};
use super::class_fields::AssignClassFields;
use super::define::{self, Define};
use super::esm_exports::compact_esm_exports;
use super::esm_globals::HideCommonJsGlobals;
use super::interop::fold_interop;
use super::jsx_gaps;
use super::jsx_inject;
use super::jsx_source::drop_jsx_dev_source;
use super::rewrite::Rewrite;
use super::verbatim;
use super::{
    ASYNC_FACTORY_HEADER, CompiledModule, Decorators, ExportNames, FACTORY_HEADER, HotFacts,
    ImportElision, ImportNames, Jsx, PLAIN_ASYNC_FACTORY_HEADER, PLAIN_FACTORY_HEADER, SourceKind,
    TransformOptions, factory_with,
};
use hotloop_protocol::{Diagnostic, DiagnosticKind};

pub(crate) fn compile(
    id: &str,
    kind: SourceKind,
    text: &str,
    options: &TransformOptions,
) -> CompiledModule {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Custom(id.to_string())), text.to_string());
    let comments = SingleThreadedComments::default();

    let syntax = match kind {
        SourceKind::Ts => Syntax::Typescript(TsSyntax {
            decorators: true,
            ..Default::default()
        }),
        SourceKind::Tsx => Syntax::Typescript(TsSyntax {
            tsx: true,
            decorators: true,
            ..Default::default()
        }),
        // Bun (and most of the React ecosystem) accepts JSX in `.js`; CommonJS code may
        // `return` at the top level, which is valid inside the factory function.
        SourceKind::Js | SourceKind::Jsx => Syntax::Es(EsSyntax {
            jsx: true,
            allow_return_outside_function: true,
            decorators: true,
            decorators_before_export: true,
            ..Default::default()
        }),
    };
    let lexer = Lexer::new(
        syntax,
        EsVersion::latest(),
        StringInput::from(&*fm),
        Some(&comments),
    );
    let mut parser = Parser::new_from(lexer);
    let parsed = parser.parse_program();
    let mut errors = parser.take_errors();
    let mut program = match parsed {
        Ok(p) if errors.is_empty() => {
            if syntax.jsx()
                && let Some(gap) = jsx_gaps::dropped_jsx(&p, text, fm.start_pos)
            {
                let (at, message) = jsx_gaps::gap_error(&cm, syntax, text, fm.start_pos, gap);
                let (line, column) = line_col(&cm, Span::new(at, at));
                return CompiledModule {
                    diagnostics: vec![Diagnostic::syntax(id, text, line, column, message)],
                    ..Default::default()
                };
            }
            p
        }
        Ok(_) => return syntax_errors(id, text, &cm, syntax, fm.start_pos, errors),
        Err(e) => {
            errors.push(e);
            return syntax_errors(id, text, &cm, syntax, fm.start_pos, errors);
        }
    };
    // A shebang cannot sit inside the factory function.
    match &mut program {
        Program::Module(m) => m.shebang = None,
        Program::Script(s) => s.shebang = None,
    }
    if let Jsx::Preserve { import_source } = &options.script.jsx
        && let Some(span) = first_jsx(&program)
    {
        let (line, column) = line_col(&cm, span);
        return CompiledModule {
            diagnostics: vec![Diagnostic {
                kind: DiagnosticKind::Transform,
                ..Diagnostic::syntax(id, text, line, column, preserved_jsx_message(import_source))
            }],
            ..Default::default()
        };
    }
    if let Some(code) = &options.jsx_inject
        && let Err(message) = jsx_inject::inject(&mut program, code, fm.start_pos)
    {
        return CompiledModule {
            diagnostics: vec![Diagnostic {
                kind: DiagnosticKind::Transform,
                ..Diagnostic::syntax(
                    id,
                    text,
                    1,
                    1,
                    format!(
                        "the config's jsxInject ({code:?}), which Vite puts before every .jsx and \
                         .tsx module, does not parse: {message}; fix it in vite.config"
                    ),
                )
            }],
            ..Default::default()
        };
    }
    // `parse_program` makes a Script of code without import/export/import.meta/top-level await
    // (nor a `jsxInject` import).
    let commonjs = program.is_script();
    let is_ts = matches!(kind, SourceKind::Ts | SourceKind::Tsx);

    GLOBALS.set(&Globals::new(), || {
        HELPERS.set(&Helpers::new(false), || {
            let unresolved_mark = Mark::new();
            let top_level_mark = Mark::new();
            let unresolved = SyntaxContext::empty().apply_mark(unresolved_mark);

            let script = &options.script;
            let refresh = options.refresh();
            program.mutate(resolver(unresolved_mark, top_level_mark, is_ts));
            if options.verbatim_commonjs
                && kind == SourceKind::Js
                && !define::may_apply(text, &options.define)
                && let Program::Script(script) = &program
                && let Some(out) =
                    compile_verbatim(id, text, &cm, fm.start_pos, script, &comments, unresolved)
            {
                return out;
            }
            if define::may_apply(text, &options.define) {
                program.visit_mut_with(&mut Define::new(&options.define, unresolved));
            }
            // Before the TypeScript strip: legacy metadata reads the type annotations.
            if text.contains('@') && has_decorators(&program) {
                match script.decorators {
                    Decorators::Legacy { emit_metadata } => {
                        program.mutate(decorators::decorators(decorators::Config {
                            legacy: true,
                            emit_metadata,
                            use_define_for_class_fields: script.use_define_for_class_fields,
                        }))
                    }
                    Decorators::Standard => program.mutate(decorator_2022_03::decorator_2022_03()),
                }
            }
            let ts = typescript::Config {
                native_class_properties: script.use_define_for_class_fields,
                verbatim_module_syntax: script.imports == ImportElision::Verbatim,
                import_not_used_as_values: match script.imports {
                    ImportElision::UnusedBindings => typescript::ImportsNotUsedAsValues::Preserve,
                    _ => typescript::ImportsNotUsedAsValues::Remove,
                },
                ..Default::default()
            };
            match kind {
                SourceKind::Ts => {
                    program.mutate(typescript::typescript(ts, unresolved_mark, top_level_mark))
                }
                SourceKind::Tsx => program.mutate(typescript::tsx(
                    cm.clone(),
                    ts,
                    tsx_config(&script.jsx),
                    &comments,
                    unresolved_mark,
                    top_level_mark,
                )),
                SourceKind::Js | SourceKind::Jsx => {}
            }
            if is_ts && !script.use_define_for_class_fields {
                program.visit_mut_with(&mut AssignClassFields);
            }
            // Without JSX and without Fast Refresh (an npm package's module), the React pass
            // has nothing to do but walk the tree four times (`<` rules most files out unread).
            if refresh || (text.contains('<') && first_jsx(&program).is_some()) {
                program.mutate(react::react(
                    cm.clone(),
                    Some(&comments),
                    react_options(&script.jsx, refresh),
                    top_level_mark,
                    unresolved_mark,
                ));
            }
            if !options.jsx_dev_source
                && let Program::Module(module) = &mut program
            {
                drop_jsx_dev_source(module);
            }

            let analysis = analyze(&program, id, &cm, unresolved);
            let Analyzed {
                mut out,
                requires,
                asset_urls,
                top_level_await,
                hide_commonjs_globals,
            } = match analyzed(analysis, id, text, &cm, commonjs, refresh) {
                Ok(analyzed) => analyzed,
                Err(failed) => return *failed,
            };
            if hide_commonjs_globals {
                program.visit_mut_with(&mut HideCommonJsGlobals { unresolved });
            }
            // ESM syntax that exports through `module.exports` (see `analyzed`).
            let mixed = out.hot.commonjs && !commonjs;

            program.visit_mut_with(&mut Rewrite {
                unresolved,
                requires,
                asset_urls,
            });
            if !commonjs {
                program.mutate(common_js::common_js(
                    Resolver::Default,
                    unresolved_mark,
                    common_js::Config {
                        // `Rewrite` lowers `import()` to the runtime's `require.dynamic`, which
                        // waits for modules using top-level await.
                        ignore_dynamic: true,
                        ..Default::default()
                    },
                    FeatureFlag {
                        support_block_scoping: true,
                        support_arrow: true,
                    },
                ));
                if let Program::Module(module) = &mut program {
                    compact_esm_exports(
                        module,
                        unresolved,
                        !mixed,
                        options.script.node_interop.flags(),
                    );
                }
            }
            program.mutate(inject_helpers(unresolved_mark));
            if let Program::Module(module) = &mut program {
                fold_interop(module, unresolved);
            }
            super::hygiene::hygiene(&mut program, top_level_mark);
            program.mutate(fixer(Some(&comments)));

            match emit(&cm, &program, id) {
                Ok((body, map)) => {
                    // Only hotloop's own React Refresh registrations bind the refresh
                    // parameters: a plugin's (prefresh's) call the page's globals, and a module
                    // that registers nothing needs neither name.
                    let binds_refresh = refresh && body.contains("$Refresh");
                    let header = match (top_level_await, binds_refresh) {
                        (true, true) => ASYNC_FACTORY_HEADER,
                        (false, true) => FACTORY_HEADER,
                        (true, false) => PLAIN_ASYNC_FACTORY_HEADER,
                        (false, false) => PLAIN_FACTORY_HEADER,
                    };
                    out.code = Some(factory_with(header, &body).into());
                    out.map = Some(map.into());
                }
                Err(message) => out.diagnostics.push(Diagnostic {
                    kind: DiagnosticKind::Transform,
                    file: id.to_string(),
                    line: 1,
                    column: 1,
                    message,
                    code_frame: String::new(),
                }),
            }
            out
        })
    })
}

/// What the analysis of a module gives the rest of its compile.
struct Analyzed {
    /// The module's facts, without code yet.
    out: CompiledModule,
    /// What `Rewrite` replaces by `require(...)` and `require.u(...)`.
    requires: Vec<(Span, String)>,
    asset_urls: Vec<(Span, String, String)>,
    top_level_await: bool,
    /// Its free `module` and `exports` are to be hidden (see `super::esm_globals`).
    hide_commonjs_globals: bool,
}

/// The module's facts from its analysis, or the compile's result (boxed: it is the rare
/// case) when it has an early error.
fn analyzed(
    analysis: super::analyze::Analysis,
    id: &str,
    text: &str,
    cm: &SourceMap,
    commonjs: bool,
    refresh: bool,
) -> Result<Analyzed, Box<CompiledModule>> {
    // ESM in syntax only: imports (a plugin's inject, `@rollup/plugin-inject`, adds
    // them to CommonJS files) in a file that declares no ESM export and exports
    // through `exports`/`module.exports`. Its exports are CommonJS's (a default import
    // is `module.exports`), as esbuild's bundling, which Vite's dependency
    // pre-bundling uses, treats it.
    let mixed = !commonjs
        && analysis.exports_unknown
        && analysis.export_names.is_empty()
        && analysis.star_from.is_empty();
    // An ES module that exports through its ESM syntax and names `module`/`exports` too (a
    // UMD-style tail copied into it: `if (typeof module === 'object') module.exports = lib`):
    // neither is defined in an ES module, as in the browser, so its exports stay its own.
    let exports_esm = !analysis.export_names.is_empty() || !analysis.star_from.is_empty();
    let hide_commonjs_globals =
        !commonjs && analysis.commonjs_globals && !analysis.export_assignment && exports_esm;
    let exports_unknown = analysis.exports_unknown && !hide_commonjs_globals;
    let components = refresh && !commonjs && analysis.registers_component;
    let hot = HotFacts {
        refresh_boundary: components && analysis.exports_all_components,
        // (A generated file's reload says no more than that: its author is a tool, and the
        // advice to keep components and other exports apart is not the user's to follow.)
        refresh_refused: (components && !analysis.exports_all_components && !is_generated(text))
            .then(|| analysis.first_other_export.as_deref().map(Box::from))
            .flatten(),
        commonjs: commonjs || mixed,
        ..analysis.hot
    };
    let mut requires = analysis.worker_urls;
    let mut globs = Vec::with_capacity(analysis.globs.len());
    for (span, specifier, glob) in analysis.globs {
        requires.push((span, specifier));
        globs.push(glob);
    }
    let exports = (!commonjs && !exports_unknown)
        .then(|| ExportNames::new(analysis.export_names, analysis.star_from));
    let mut out = CompiledModule {
        imports: analysis.imports,
        globs,
        hot,
        import_names: ImportNames::from_entries(&analysis.import_names),
        exports,
        ..Default::default()
    };
    let early_error = analysis
        .redeclared
        .map(|(name, span)| (format!("`{name}` has already been declared"), span))
        .or(analysis.invalid_glob);
    if let Some((message, span)) = early_error {
        let (line, column) = line_col(cm, span);
        out.diagnostics
            .push(Diagnostic::syntax(id, text, line, column, message));
        return Err(Box::new(out));
    }
    Ok(Analyzed {
        out,
        requires,
        asset_urls: analysis.asset_urls,
        top_level_await: analysis.top_level_await.is_some(),
        hide_commonjs_globals,
    })
}

/// A CommonJS script compiled as written (see `verbatim`); `None` when it needs the whole
/// pipeline.
fn compile_verbatim(
    id: &str,
    text: &str,
    cm: &SourceMap,
    start: BytePos,
    script: &Script,
    comments: &SingleThreadedComments,
    unresolved: SyntaxContext,
) -> Option<CompiledModule> {
    let analysis = analyze(script, id, cm, unresolved);
    let analyzed = match analyzed(analysis, id, text, cm, true, false) {
        Ok(analyzed) => analyzed,
        Err(failed) => return Some(*failed),
    };
    if !analyzed.requires.is_empty() || !analyzed.asset_urls.is_empty() {
        return None;
    }
    let edited = {
        let (leading, trailing) = comments.borrow_all();
        let all = leading.values().chain(trailing.values()).flatten();
        verbatim::edited(
            text,
            start,
            script,
            all.map(|c| (c.span, c.text.as_str())),
            unresolved,
        )?
    };
    let lines = edited
        .body
        .trim_end_matches(['\n', '\r'])
        .split('\n')
        .count();
    let mut out = analyzed.out;
    out.code = Some(factory_with(PLAIN_FACTORY_HEADER, &edited.body).into());
    out.map = Some(verbatim::line_map(id, &edited.indents, lines).into());
    Some(out)
}

/// swc's React pass for the tsconfig's JSX. The automatic runtime is always the development
/// one (`jsxDEV` with sources, as Vite's dev server emits); the classic runtime adds `__source`
/// and `__self` only for React (with Fast Refresh), whose `createElement` expects them.
fn react_options(jsx: &Jsx, refresh: bool) -> react::Options {
    let refresh = refresh.then(react::RefreshOptions::default);
    match jsx {
        Jsx::Automatic { import_source } => react::Options {
            runtime: Some(react::Runtime::Automatic),
            import_source: Some((**import_source).into()),
            development: Some(true),
            refresh,
            ..Default::default()
        },
        // No JSX reaches the React pass (see `first_jsx`).
        Jsx::Preserve { import_source } => react::Options {
            runtime: Some(react::Runtime::Automatic),
            import_source: Some((**import_source).into()),
            ..Default::default()
        },
        Jsx::Classic {
            factory,
            fragment_factory,
        } => react::Options {
            runtime: Some(react::Runtime::Classic),
            pragma: Some(factory.to_string().into()),
            pragma_frag: Some(fragment_factory.to_string().into()),
            development: Some(refresh.is_some()),
            refresh,
            ..Default::default()
        },
    }
}

/// The TypeScript strip must know the classic factory: an import used only by JSX (`h`) is a
/// value import, not a type-only one to drop.
fn tsx_config(jsx: &Jsx) -> typescript::TsxConfig {
    match jsx {
        Jsx::Automatic { .. } | Jsx::Preserve { .. } => typescript::TsxConfig::default(),
        Jsx::Classic {
            factory,
            fragment_factory,
        } => typescript::TsxConfig {
            pragma: Some(factory.to_string().into()),
            pragma_frag: Some(fragment_factory.to_string().into()),
        },
    }
}

/// Where the first JSX element or fragment of the module is.
fn first_jsx(program: &Program) -> Option<Span> {
    struct Find(Option<Span>);
    impl Visit for Find {
        fn visit_jsx_element(&mut self, e: &JSXElement) {
            self.0.get_or_insert(e.span);
        }
        fn visit_jsx_fragment(&mut self, f: &JSXFragment) {
            self.0.get_or_insert(f.span);
        }
    }
    let mut find = Find(None);
    program.visit_with(&mut find);
    find.0
}

/// What to say about JSX that `jsx: preserve` leaves to a framework's Vite plugin.
fn preserved_jsx_message(import_source: &str) -> String {
    let plugin = match import_source {
        "solid-js" => "`vite-plugin-solid`",
        "preact" => "`@preact/preset-vite`",
        "vue" => "`@vitejs/plugin-vue-jsx`",
        _ => "the framework's Vite plugin",
    };
    format!(
        "this JSX is for {import_source}: the tsconfig says `\"jsx\": \"preserve\"` with \
         `\"jsxImportSource\": \"{import_source}\"`, so it is compiled by {plugin}: add it to \
         vite.config (hotloop runs the config's plugins)"
    )
}

/// Whether any decorator is written in the module (the decorator passes rewrite classes, so
/// they run only where there is something to lower).
fn has_decorators(program: &Program) -> bool {
    struct Find(bool);
    impl Visit for Find {
        fn visit_decorator(&mut self, _: &Decorator) {
            self.0 = true;
        }
    }
    let mut find = Find(false);
    program.visit_with(&mut find);
    find.0
}

/// Codegen of the module body and its map, whose lines are shifted by one for the factory
/// header the caller puts above the body. Printed compactly (swc's `minify` printing: no
/// comments, no indentation or line breaks; names and code unchanged): the page parses 9–14 %
/// fewer bytes, and DevTools shows the source through the map.
fn emit(cm: &Lrc<SourceMap>, program: &Program, id: &str) -> Result<(String, String), String> {
    let (body, mut mappings) =
        print_compact(cm, program, 4096).map_err(|e| format!("code generation failed: {e}"))?;
    let body = String::from_utf8(body).map_err(|e| format!("code generation failed: {e}"))?;
    for (_, lc) in &mut mappings {
        lc.line += 1;
    }
    let map = cm.build_source_map(&mappings, None, MapConfig { id });
    let mut json = Vec::new();
    map.to_writer(&mut json)
        .map_err(|e| format!("source map generation failed: {e}"))?;
    let json = String::from_utf8(json).map_err(|e| format!("source map generation failed: {e}"))?;
    Ok((body, json))
}

/// Generated positions of source positions, as swc's writer records them.
pub(super) type Mappings = Vec<(BytePos, LineCol)>;

/// `program` printed by swc's `minify` printing (no comments, indentation or line breaks;
/// names and code unchanged) and the mappings of its tokens that have a source position.
pub(super) fn print_compact(
    cm: &Lrc<SourceMap>,
    program: &Program,
    capacity: usize,
) -> Result<(Vec<u8>, Mappings), std::io::Error> {
    let mut code = Vec::with_capacity(capacity);
    let mut mappings = Mappings::new();
    {
        let mut emitter = Emitter {
            cfg: swc_core::ecma::codegen::Config::default()
                .with_target(EsVersion::latest())
                .with_minify(true),
            cm: cm.clone(),
            // What a comment says is in the source map's sources; the page needs none.
            comments: None,
            wr: JsWriter::new(cm.clone(), "\n", &mut code, Some(&mut mappings)),
        };
        emitter.emit_program(program)?;
    }
    mappings.retain(|(pos, _)| !pos.is_dummy());
    Ok((code, mappings))
}

struct MapConfig<'a> {
    id: &'a str,
}

impl SourceMapGenConfig for MapConfig<'_> {
    fn file_name_to_source(&self, _: &FileName) -> String {
        self.id.to_string()
    }

    /// The source's text is not copied into the map: the engine holds it already (the file's
    /// input) and the server puts it back into the maps it serves (`ParsedModule::map_source`).
    fn inline_sources_content(&self, _: &FileName) -> bool {
        false
    }
}

/// Whether a file says at its top that a tool wrote it (TanStack Router's `routeTree.gen.ts`:
/// "This file was automatically generated"; `@generated`, "DO NOT EDIT").
fn is_generated(text: &str) -> bool {
    let mut end = text.len().min(1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = text[..end].to_ascii_lowercase();
    [
        "automatically generated",
        "auto-generated",
        "autogenerated",
        "@generated",
        "do not edit",
    ]
    .iter()
    .any(|mark| head.contains(mark))
}

fn syntax_errors(
    id: &str,
    text: &str,
    cm: &SourceMap,
    syntax: Syntax,
    start: BytePos,
    errors: Vec<swc_core::ecma::parser::error::Error>,
) -> CompiledModule {
    // The first, as Vite's (oxc's) overlay shows it: the others are most often its cascade,
    // the fatal error among the recovered ones or a few characters or lines on (`<h1
    // title</h1>`: "Expression expected", then "Unterminated regexp literal"; a stray `<<div>`:
    // "Expected ',', got 'ident'" two lines below), and the next save shows what is left.
    let first = errors.into_iter().min_by_key(|e| e.span().lo);
    let diagnostics = first
        .map(|e| {
            let message = e.kind().msg().into_owned();
            // swc reports a mismatched closing tag inside JSX a line or more after it, as
            // "Expected '</'" (`jsx_gaps::mismatched_closing`): said where it is.
            let mismatched = (syntax.jsx() && message.starts_with("Expected '</'"))
                .then(|| {
                    jsx_gaps::mismatched_closing(cm, syntax, text, (e.span().lo - start).0 as usize)
                })
                .flatten();
            let (at, message) = match mismatched {
                Some((offset, message)) => (start + BytePos(offset as u32), message),
                None => (e.span().lo, message),
            };
            let (line, column) = line_col(cm, Span::new(at, at));
            Diagnostic::syntax(id, text, line, column, message)
        })
        .into_iter()
        .collect();
    CompiledModule {
        diagnostics,
        ..Default::default()
    }
}
