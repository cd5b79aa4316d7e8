//! TypeScript → ESM JavaScript for code that runs in Node, not in the page: a project's
//! `vite.config.ts`, which the plugin host imports. Types stripped, `import`/`export` kept,
//! no React, no factory, no source map. Parsed as `.ts` (or `.tsx`/`.js` by extension).
//!
//! As Vite's config bundling does, the file's own `__dirname`, `__filename` and
//! `import.meta.url` become its path (the host imports a copy beside it, as an ES module, where
//! Node defines no `__dirname`): `path.resolve(__dirname, 'src')` is the common alias.

use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, GLOBALS, Globals, Mark, SourceMap, Spanned};
use swc_core::ecma::ast::{
    CallExpr, Callee, EsVersion, Expr, KeyValueProp, Lit, MemberProp, MetaPropKind, ModuleDecl,
    NamedExport, Prop, PropName, Str,
};
use swc_core::ecma::codegen::{Emitter, text_writer::JsWriter};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax, lexer::Lexer};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene, resolver};
use swc_core::ecma::transforms::typescript;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use super::SourceKind;
use super::analyze::line_col;
use hotloop_protocol::{Diagnostic, DiagnosticKind};

/// Strips TypeScript from `text` (the file at `path`) and keeps its ES modules syntax, for
/// Node to import: what Vite does with `vite.config.ts` before loading it. A syntax error is a
/// `Syntax` diagnostic naming `path`, line and column; a `.js`/`.mjs` file comes back
/// re-printed, unchanged in meaning.
pub fn strip_types_to_esm(path: &str, text: &str) -> Result<String, Diagnostic> {
    strip_config_module(path, text, &mut |_| None).map(|m| m.code)
}

/// A module the config imports, compiled for Node (see [`strip_config_module`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigModule {
    pub code: String,
    /// It has `import`/`export` declarations or `import.meta`: an ES module. Otherwise Node
    /// had better load the file itself (CommonJS).
    pub is_esm: bool,
}

/// [`strip_types_to_esm`] for the config or a local module it imports, each import and export
/// specifier (and a literal `import()`'s) replaced by what `rewrite` answers for it, where it
/// answers: the caller points a local file's specifier at its compiled copy, as Vite's config
/// bundling inlines local files.
pub fn strip_config_module(
    path: &str,
    text: &str,
    rewrite: &mut (dyn FnMut(&str) -> Option<String> + Send),
) -> Result<ConfigModule, Diagnostic> {
    let kind = SourceKind::from_path(path).unwrap_or(SourceKind::Ts);
    super::guard::run_guarded(|| strip(path, kind, text, rewrite)).unwrap_or_else(|message| {
        Err(Diagnostic {
            kind: DiagnosticKind::Transform,
            file: path.to_string(),
            line: 1,
            column: 1,
            message: format!("internal error while compiling: {message}"),
            code_frame: String::new(),
        })
    })
}

fn strip(
    path: &str,
    kind: SourceKind,
    text: &str,
    rewrite: &mut (dyn FnMut(&str) -> Option<String> + Send),
) -> Result<ConfigModule, Diagnostic> {
    if let Some(d) = super::guard::check_nesting(path, text) {
        return Err(d);
    }
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom(path.to_string())),
        text.to_string(),
    );
    let comments = SingleThreadedComments::default();
    let syntax = match kind {
        SourceKind::Ts => Syntax::Typescript(TsSyntax::default()),
        SourceKind::Tsx => Syntax::Typescript(TsSyntax {
            tsx: true,
            ..Default::default()
        }),
        SourceKind::Js | SourceKind::Jsx => Syntax::Es(EsSyntax {
            jsx: matches!(kind, SourceKind::Jsx),
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
    let parsed = parser.parse_module();
    let mut errors = parser.take_errors();
    let module = match parsed {
        Ok(m) if errors.is_empty() => m,
        Ok(_) => return Err(first_error(path, text, &cm, errors)),
        Err(e) => {
            errors.push(e);
            return Err(first_error(path, text, &cm, errors));
        }
    };
    let mut program = swc_core::ecma::ast::Program::Module(module);
    let is_ts = matches!(kind, SourceKind::Ts | SourceKind::Tsx);
    let mut specifiers = Specifiers {
        rewrite,
        is_esm: false,
    };
    program.visit_mut_with(&mut specifiers);
    let is_esm = specifiers.is_esm;
    GLOBALS.set(&Globals::new(), || {
        let unresolved_mark = Mark::new();
        let top_level_mark = Mark::new();
        program.mutate(resolver(unresolved_mark, top_level_mark, is_ts));
        program.visit_mut_with(&mut FileGlobals::new(path, unresolved_mark));
        if is_ts {
            program.mutate(typescript::typescript(
                typescript::Config {
                    native_class_properties: true,
                    ..Default::default()
                },
                unresolved_mark,
                top_level_mark,
            ));
        }
        program.mutate(hygiene());
        program.mutate(fixer(Some(&comments)));
    });
    let mut out = Vec::with_capacity(text.len());
    let mut mappings = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: swc_core::ecma::codegen::Config::default().with_target(EsVersion::latest()),
            cm: cm.clone(),
            comments: Some(&comments),
            wr: JsWriter::new(cm.clone(), "\n", &mut out, Some(&mut mappings)),
        };
        emitter.emit_program(&program).map_err(|e| Diagnostic {
            kind: DiagnosticKind::Transform,
            file: path.to_string(),
            line: 1,
            column: 1,
            message: format!("code generation failed: {e}"),
            code_frame: String::new(),
        })?;
    }
    let mut code = String::from_utf8(out).map_err(|e| Diagnostic {
        kind: DiagnosticKind::Transform,
        file: path.to_string(),
        line: 1,
        column: 1,
        message: format!("code generation failed: {e}"),
        code_frame: String::new(),
    })?;
    push_inline_map(&mut code, &cm, &mappings, path);
    Ok(ConfigModule { code, is_esm })
}

/// The map of the compiled module, inline, so an error thrown while Node runs it is placed in
/// the file as written (the plugin host maps its stack: `host.js` `configErrorPlace`).
fn push_inline_map(
    code: &mut String,
    cm: &SourceMap,
    mappings: &[(
        swc_core::common::BytePos,
        swc_core::common::source_map::LineCol,
    )],
    path: &str,
) {
    use base64::Engine as _;
    let mut json = Vec::new();
    if cm
        .build_source_map(mappings, None, ConfigMap { path })
        .to_writer(&mut json)
        .is_err()
    {
        return;
    }
    if !code.ends_with('\n') {
        code.push('\n');
    }
    code.push_str("//# sourceMappingURL=data:application/json;base64,");
    code.push_str(&base64::engine::general_purpose::STANDARD.encode(json));
    code.push('\n');
}

/// The config's map names the file; its text is the file's, which the host reads.
struct ConfigMap<'a> {
    path: &'a str,
}

impl swc_core::common::source_map::SourceMapGenConfig for ConfigMap<'_> {
    fn file_name_to_source(&self, _: &FileName) -> String {
        self.path.to_string()
    }

    fn inline_sources_content(&self, _: &FileName) -> bool {
        false
    }
}

/// Rewrites import and export specifiers; notes whether the module is an ES module.
struct Specifiers<'a> {
    rewrite: &'a mut (dyn FnMut(&str) -> Option<String> + Send),
    is_esm: bool,
}

impl Specifiers<'_> {
    fn source(&mut self, src: &mut Str) {
        if let Some(to) = (self.rewrite)(&src.value.to_string_lossy()) {
            *src = Str::from(to);
        }
    }
}

impl VisitMut for Specifiers<'_> {
    fn visit_mut_module_decl(&mut self, decl: &mut ModuleDecl) {
        self.is_esm = true;
        match decl {
            ModuleDecl::Import(import) => self.source(&mut import.src),
            ModuleDecl::ExportAll(export) => self.source(&mut export.src),
            ModuleDecl::ExportNamed(NamedExport { src: Some(src), .. }) => self.source(src),
            _ => {}
        }
        decl.visit_mut_children_with(self);
    }

    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        match expr {
            Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta => self.is_esm = true,
            Expr::Call(CallExpr {
                callee: Callee::Import(_),
                args,
                ..
            }) => {
                if let Some(Expr::Lit(Lit::Str(src))) = args.first_mut().map(|a| &mut *a.expr) {
                    self.source(src);
                }
            }
            _ => {}
        }
        expr.visit_mut_children_with(self);
    }
}

/// `__dirname`, `__filename` (where the file does not declare them) and `import.meta.url` as
/// the file's own.
struct FileGlobals {
    dirname: String,
    filename: String,
    url: String,
    unresolved: Mark,
}

impl FileGlobals {
    fn new(path: &str, unresolved: Mark) -> FileGlobals {
        let file = std::path::Path::new(path);
        let dirname = file
            .parent()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let url = file_url(path);
        FileGlobals {
            dirname,
            filename: path.to_string(),
            url,
            unresolved,
        }
    }

    fn literal(value: &str) -> Expr {
        Expr::Lit(Lit::Str(Str::from(value.to_string())))
    }
}

/// The `file:` URL of an absolute path, as Node's `url.pathToFileURL` makes it.
pub fn file_url(path: &str) -> String {
    format!(
        "file://{}",
        percent_encoding::utf8_percent_encode(path, FILE_URL_PATH)
    )
}

/// What `url.pathToFileURL` escapes in a path (WHATWG's path percent-encode set, and `%`).
const FILE_URL_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl VisitMut for FileGlobals {
    fn visit_mut_prop(&mut self, prop: &mut Prop) {
        // `{ __dirname }`
        if let Prop::Shorthand(id) = prop
            && id.ctxt.outer() == self.unresolved
            && matches!(&*id.sym, "__dirname" | "__filename")
        {
            let mut value = Expr::Ident(id.clone());
            self.visit_mut_expr(&mut value);
            *prop = Prop::KeyValue(KeyValueProp {
                key: PropName::Ident(id.clone().into()),
                value: Box::new(value),
            });
            return;
        }
        prop.visit_mut_children_with(self);
    }

    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Ident(id) if id.ctxt.outer() == self.unresolved => {
                match &*id.sym {
                    "__dirname" => *expr = Self::literal(&self.dirname),
                    "__filename" => *expr = Self::literal(&self.filename),
                    _ => {}
                }
                return;
            }
            Expr::Member(member)
                if matches!(&*member.obj, Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta)
                    && matches!(&member.prop, MemberProp::Ident(p) if p.sym == "url") =>
            {
                *expr = Self::literal(&self.url);
                return;
            }
            _ => {}
        }
        expr.visit_mut_children_with(self);
    }
}

fn first_error(
    path: &str,
    text: &str,
    cm: &SourceMap,
    mut errors: Vec<swc_core::ecma::parser::error::Error>,
) -> Diagnostic {
    errors.sort_by_key(|e| e.span().lo);
    let e = &errors[0];
    let (line, column) = line_col(cm, e.span());
    Diagnostic::syntax(path, text, line, column, e.kind().msg().into_owned())
}

#[cfg(test)]
mod tests {
    use super::strip_types_to_esm;
    use hotloop_protocol::DiagnosticKind;

    #[test]
    fn the_files_own_dirname_filename_and_url_are_its_path() {
        let out = strip_types_to_esm(
            "/p/my app/vite.config.ts",
            "import path from 'node:path'\n\
             const a: string = path.resolve(__dirname, 'src')\n\
             export default { a, f: __filename, u: new URL('.', import.meta.url), d: import.meta.dirname, __dirname }\n",
        )
        .expect("compiles");
        assert!(out.contains("path.resolve(\"/p/my app\", 'src')"), "{out}");
        assert!(out.contains("f: \"/p/my app/vite.config.ts\""), "{out}");
        assert!(
            out.contains("new URL('.', \"file:///p/my%20app/vite.config.ts\")"),
            "{out}"
        );
        assert!(out.contains("d: import.meta.dirname"), "{out}");
        assert!(out.contains("__dirname: \"/p/my app\""), "{out}");
        // A config that makes its own keeps it.
        let own = strip_types_to_esm(
            "/p/vite.config.js",
            "import { fileURLToPath } from 'node:url'\n\
             const __dirname = fileURLToPath(new URL('.', import.meta.url))\n\
             export default { root: __dirname }\n",
        )
        .expect("compiles");
        assert!(own.contains("root: __dirname"), "{own}");
        assert!(
            own.contains(
                "const __dirname = fileURLToPath(new URL('.', \"file:///p/vite.config.js\"))"
            ),
            "{own}"
        );
    }

    #[test]
    fn local_specifiers_are_rewritten_and_esm_is_told_from_commonjs() {
        let mut seen = Vec::new();
        let out = super::strip_config_module(
            "/p/vite.config.ts",
            "import { a } from './build/a'\n\
             export * from '../shared/b.js'\n\
             export { c } from './c'\n\
             import vue from '@vitejs/plugin-vue'\n\
             const d = await import('./d')\n\
             export default { a, vue, d }\n",
            &mut |s: &str| {
                seen.push(s.to_string());
                s.starts_with('.')
                    .then(|| format!("file:///tmp{}", &s[1..]))
            },
        )
        .expect("compiles");
        assert!(out.is_esm);
        assert_eq!(
            seen,
            [
                "./build/a",
                "../shared/b.js",
                "./c",
                "@vitejs/plugin-vue",
                "./d"
            ]
        );
        assert!(
            out.code.contains("from \"file:///tmp/build/a\""),
            "{}",
            out.code
        );
        assert!(
            out.code.contains("import(\"file:///tmp/d\")"),
            "{}",
            out.code
        );
        assert!(
            out.code.contains("from '@vitejs/plugin-vue'"),
            "{}",
            out.code
        );
        let cjs = super::strip_config_module(
            "/p/build/c.js",
            "const path = require('path')\nmodule.exports = { dir: __dirname }\n",
            &mut |_| None,
        )
        .expect("compiles");
        assert!(!cjs.is_esm);
    }

    #[test]
    fn strips_types_and_keeps_esm() {
        let out = strip_types_to_esm(
            "/p/vite.config.ts",
            "import { defineConfig, type UserConfig } from 'vite'\n\
             import vue from '@vitejs/plugin-vue'\n\
             interface Extra { a: number }\n\
             const port: number = 3000 as number\n\
             export default defineConfig({ plugins: [vue()], server: { port } } satisfies UserConfig)\n",
        )
        .expect("compiles");
        assert!(out.contains("import { defineConfig } from 'vite'"), "{out}");
        assert!(
            out.contains("import vue from '@vitejs/plugin-vue'"),
            "{out}"
        );
        assert!(out.contains("export default defineConfig("), "{out}");
        assert!(!out.contains("interface"), "{out}");
        assert!(!out.contains(": number"), "{out}");
        assert!(!out.contains("satisfies"), "{out}");
        assert!(!out.contains("require("), "{out}");
    }

    #[test]
    fn a_type_only_import_is_dropped_and_a_value_import_kept() {
        let out = strip_types_to_esm(
            "/p/vite.config.mts",
            "import type { Plugin } from 'vite'\nimport { helper } from './helper'\nexport const p: Plugin[] = [helper()]\n",
        )
        .expect("compiles");
        assert!(!out.contains("from 'vite'"), "{out}");
        assert!(out.contains("import { helper } from './helper'"), "{out}");
        assert!(out.contains("export const p = ["), "{out}");
    }

    #[test]
    fn javascript_passes_through() {
        let out = strip_types_to_esm("/p/vite.config.js", "export default { base: '/app/' }\n")
            .expect("compiles");
        assert!(out.contains("export default {"), "{out}");
        assert!(out.contains("base: '/app/'"), "{out}");
    }

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let err = strip_types_to_esm("/p/vite.config.ts", "export default {\n  base: ,\n}\n")
            .expect_err("does not compile");
        assert_eq!(err.kind, DiagnosticKind::Syntax);
        assert_eq!(err.file, "/p/vite.config.ts");
        assert_eq!(err.line, 2);
        assert!(err.column > 1, "{err:?}");
        assert!(!err.code_frame.is_empty(), "{err:?}");
    }
}
