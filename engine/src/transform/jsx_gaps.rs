//! JSX the parser dropped without a word. swc's parser (47) reads an element's children until
//! one fails to parse and then drops that child and its error (`parse_jsx_children`): in
//! `<div><span>hi</div></div>` the `<span>`'s mismatched closing tag fails, the loop stops, and
//! the outer `</div>` closes the `<div>`, which comes out empty. The page rendered an empty
//! `<div>` and no error said why; Vite's overlay says "Expected corresponding JSX closing tag
//! for 'span'".
//!
//! [`dropped_jsx`] finds that: an element's children cover the source between its opening and
//! its closing tag, text nodes included, so source between them that no child covers (and that
//! is not whitespace) is what the parser dropped. The error to show is the one that part makes
//! when parsed alone ([`gap_error`]): the mismatched tag, at its place.

use swc_core::common::{BytePos, Span, Spanned};
use swc_core::ecma::ast::{JSXElement, JSXElementChild, JSXFragment, Program};
use swc_core::ecma::visit::{Visit, VisitWith};

/// The first stretch of source inside a JSX element or fragment that none of its children
/// covers (a child the parser dropped), as byte positions; `None` for well-formed JSX.
pub(crate) fn dropped_jsx(program: &Program, text: &str, start: BytePos) -> Option<Span> {
    let mut find = Find {
        text,
        start,
        found: None,
    };
    program.visit_with(&mut find);
    find.found
}

struct Find<'a> {
    text: &'a str,
    start: BytePos,
    found: Option<Span>,
}

impl Find<'_> {
    /// Checks the stretches between `open` (the opening tag's end), the children and `close`
    /// (the closing tag's start).
    fn check(&mut self, open: BytePos, children: &[JSXElementChild], close: BytePos) {
        if self.found.is_some() {
            return;
        }
        let mut at = open;
        for child in children {
            let span = child.span();
            self.gap(at, span.lo);
            at = at.max(span.hi);
        }
        self.gap(at, close);
    }

    fn gap(&mut self, lo: BytePos, hi: BytePos) {
        if self.found.is_some() || hi <= lo || lo < self.start {
            return;
        }
        let from = (lo - self.start).0 as usize;
        let to = (hi - self.start).0 as usize;
        if self
            .text
            .get(from..to)
            .is_some_and(|gap| !gap.trim().is_empty())
        {
            self.found = Some(Span::new(lo, hi));
        }
    }
}

impl Visit for Find<'_> {
    fn visit_jsx_element(&mut self, e: &JSXElement) {
        if let Some(closing) = &e.closing {
            self.check(e.opening.span.hi, &e.children, closing.span.lo);
        }
        e.visit_children_with(self);
    }

    fn visit_jsx_fragment(&mut self, f: &JSXFragment) {
        self.check(f.opening.span.hi, &f.children, f.closing.span.lo);
        f.visit_children_with(self);
    }
}

/// The first error of `part` parsed alone as an expression with `syntax`: its offset in
/// `part` and its message.
fn first_error(
    cm: &swc_core::common::SourceMap,
    syntax: swc_core::ecma::parser::Syntax,
    part: &str,
) -> Option<(usize, String)> {
    use swc_core::common::FileName;
    use swc_core::common::sync::Lrc;
    use swc_core::ecma::ast::EsVersion;
    use swc_core::ecma::parser::{Parser, StringInput, lexer::Lexer};

    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom("(a part of the file)".into())),
        part.to_string(),
    );
    let lexer = Lexer::new(syntax, EsVersion::latest(), StringInput::from(&*fm), None);
    let mut parser = Parser::new_from(lexer);
    let parsed = parser.parse_expr();
    let mut errors = parser.take_errors();
    if let Err(error) = parsed {
        errors.push(error);
    }
    let first = errors.into_iter().min_by_key(|e| e.span().lo)?;
    Some((
        (first.span().lo - fm.start_pos).0 as usize,
        first.kind().msg().into_owned(),
    ))
}

/// How many elements before a mismatched closing tag [`mismatched_closing`] tries.
const MAX_CANDIDATES: usize = 64;

/// The mismatched closing tag behind a parse that failed at `failed` (a file offset) with
/// "Expected '</'": the elements around the dropped child (see the module docs) each expected
/// their closing tag there, right after the child's mismatched one, and the last of them is the
/// error swc reports, a line or more after the mistake. When the file has a closing tag just
/// before `failed` and an element before it that this tag does not close, that is the error, at
/// the tag: where it is (a file offset) and what to say.
pub(crate) fn mismatched_closing(
    cm: &swc_core::common::SourceMap,
    syntax: swc_core::ecma::parser::Syntax,
    text: &str,
    failed: usize,
) -> Option<(usize, String)> {
    let before = text.get(..failed)?;
    let close = before.rfind("</")?;
    let tag = before[close + 2..].trim_end();
    let name = tag.strip_suffix('>')?.trim_end();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | ':' | '-' | '_' | '$'))
    {
        return None;
    }
    let name_at = close + 2;
    let mut tried = 0;
    for (at, _) in before[..close].rmatch_indices('<') {
        if !before[at + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        {
            continue;
        }
        tried += 1;
        if tried > MAX_CANDIDATES {
            break;
        }
        if let Some((offset, message)) = first_error(cm, syntax, &before[at..])
            && at + offset == name_at
            && message.starts_with("Expected corresponding JSX closing tag")
        {
            return Some((name_at, message));
        }
    }
    None
}

/// The error the dropped stretch `gap` of the file in `cm` makes when parsed alone with
/// `syntax`: where it is in the file, and its message (a plain one at the stretch when it
/// parses alone, which it should not).
pub(crate) fn gap_error(
    cm: &swc_core::common::SourceMap,
    syntax: swc_core::ecma::parser::Syntax,
    text: &str,
    start: BytePos,
    gap: Span,
) -> (BytePos, String) {
    let from = (gap.lo - start).0 as usize;
    let to = (gap.hi - start).0 as usize;
    let part = text.get(from..to).unwrap_or_default();
    match first_error(cm, syntax, part) {
        Some((offset, message)) => (gap.lo + BytePos(offset as u32), message),
        None => (
            gap.lo,
            "this JSX does not parse: is each element closed by its own closing tag?".into(),
        ),
    }
}
