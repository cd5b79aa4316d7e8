//! Vite's `jsxInject` (`oxc.jsxInject`, earlier `esbuild.jsxInject`): code the config puts before
//! every `.jsx`/`.tsx` module of the project, most often the classic runtime's factory
//! (`import { h, Fragment } from 'preact'`). Vite prepends the text to the transform's output;
//! here its statements go before the module's own, spanned at the file's first character, so
//! that the file's lines and source map stay its own and an unresolved import the config added
//! is reported at the top of the file it was added to.

use swc_core::common::{BytePos, FileName, SourceMap, Span, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module, ModuleItem, Program};
use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, lexer::Lexer};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// Puts the statements of `code` before the program's own (a script becomes a module: the
/// injected code is most often an import). An error says what the text does not parse for.
pub(super) fn inject(program: &mut Program, code: &str, at: BytePos) -> Result<(), String> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom("jsxInject".into())),
        code.to_string(),
    );
    let lexer = Lexer::new(
        Syntax::Es(EsSyntax {
            jsx: true,
            ..Default::default()
        }),
        EsVersion::latest(),
        StringInput::from(&*fm),
        None,
    );
    let mut parser = Parser::new_from(lexer);
    let parsed = parser.parse_module();
    let mut injected = match (parsed, parser.take_errors().into_iter().next()) {
        (Ok(module), None) => module,
        (Ok(_), Some(error)) | (Err(error), _) => return Err(error.kind().msg().into_owned()),
    };
    injected.visit_mut_with(&mut SpanAt(Span::new(at, at)));
    let items = injected.body;
    match program {
        Program::Module(module) => {
            module.body.splice(0..0, items);
        }
        Program::Script(script) => {
            let mut body = items;
            body.extend(script.body.drain(..).map(ModuleItem::Stmt));
            *program = Program::Module(Module {
                span: script.span,
                body,
                shebang: None,
            });
        }
    }
    Ok(())
}

/// Every span at one place.
struct SpanAt(Span);

impl VisitMut for SpanAt {
    fn visit_mut_span(&mut self, span: &mut Span) {
        *span = self.0;
    }
}
