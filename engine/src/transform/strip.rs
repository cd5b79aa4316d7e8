//! TypeScript → ESM JavaScript for code that runs in Node, not in the page: a project's
//! `vite.config.ts`, which the plugin host imports. Types stripped, `import`/`export` kept,
//! no React, no factory, no source map. Parsed as `.ts` (or `.tsx`/`.js` by extension).

use swc_core::common::comments::SingleThreadedComments;
use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, GLOBALS, Globals, Mark, SourceMap, Spanned};
use swc_core::ecma::ast::EsVersion;
use swc_core::ecma::codegen::{Emitter, text_writer::JsWriter};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax, lexer::Lexer};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene, resolver};
use swc_core::ecma::transforms::typescript;

use super::SourceKind;
use super::analyze::line_col;
use hotloop_protocol::{Diagnostic, DiagnosticKind};

/// Strips TypeScript from `text` (the file at `path`) and keeps its ES modules syntax, for
/// Node to import: what Vite does with `vite.config.ts` before loading it. A syntax error is a
/// `Syntax` diagnostic naming `path`, line and column; a `.js`/`.mjs` file comes back
/// re-printed, unchanged in meaning.
pub fn strip_types_to_esm(path: &str, text: &str) -> Result<String, Diagnostic> {
    let kind = SourceKind::from_path(path).unwrap_or(SourceKind::Ts);
    super::guard::run_guarded(|| strip(path, kind, text)).unwrap_or_else(|message| {
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

fn strip(path: &str, kind: SourceKind, text: &str) -> Result<String, Diagnostic> {
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
    GLOBALS.set(&Globals::new(), || {
        let unresolved_mark = Mark::new();
        let top_level_mark = Mark::new();
        program.mutate(resolver(unresolved_mark, top_level_mark, is_ts));
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
    {
        let mut emitter = Emitter {
            cfg: swc_core::ecma::codegen::Config::default().with_target(EsVersion::latest()),
            cm: cm.clone(),
            comments: Some(&comments),
            wr: JsWriter::new(cm.clone(), "\n", &mut out, None),
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
    String::from_utf8(out).map_err(|e| Diagnostic {
        kind: DiagnosticKind::Transform,
        file: path.to_string(),
        line: 1,
        column: 1,
        message: format!("code generation failed: {e}"),
        code_frame: String::new(),
    })
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
