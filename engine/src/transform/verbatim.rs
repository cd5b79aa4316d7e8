//! An npm package's CommonJS script served as written: the text with the few edits hotloop's
//! rewrite would make (`process.env.NODE_ENV` as `"development"`, the `if` branches and the
//! right operands of `&&`/`||` that value decides cut out, `import()` as the runtime's
//! `require.dynamic(`, the shebang and the package's own `sourceMappingURL`/`sourceURL`
//! comments dropped), applied to the text instead of printing the syntax tree again. A
//! decided `a ? b : c` keeps both branches (the rewrite keeps one): cutting it could leave a
//! statement that starts with `(` or `{`; the dead one never runs, and the import scan does
//! not count its `require`s. A CommonJS script needs no module transform, so the tree's
//! printing (with its source map) and the passes before it were most of its compile:
//! `react-dom-client.development.js` (1.2 MB) is the longest single compile of a React app's
//! cold build. Every cut keeps the newlines it covers, so each line stays at its line; each
//! line's indentation is taken off (not inside a literal), and the map is one mapping per line,
//! to where that line starts in the file.
//!
//! [`edited`] answers `None` for anything it does not rewrite the same way (JSX, decorators, a
//! function declared as an `if`'s branch, an `import()` in a file that binds a `require` of its
//! own, HTML-like comments), and the pipeline does not ask it for a file that writes a `define` name or has
//! `import.meta.glob`/worker/asset URLs: that file takes the whole pipeline.

use swc_core::common::{BytePos, Span, Spanned, SyntaxContext};
use swc_core::ecma::ast::{
    BinaryOp, Callee, Decl, Decorator, Expr, Ident, IfStmt, JSXElement, JSXFragment, Script, Stmt,
    Str, Tpl,
};
use swc_core::ecma::visit::{Visit, VisitWith};

use super::fold::{NODE_ENV, is_node_env, truthiness};

/// A comment that points devtools elsewhere: the package's own map, which the page cannot
/// fetch from the chunk's URL, or a `sourceURL` that would rename the whole chunk.
fn is_magic_comment(text: &str) -> bool {
    let text = text.trim_start();
    [
        "# sourceMappingURL=",
        "@ sourceMappingURL=",
        "# sourceURL=",
        "@ sourceURL=",
    ]
    .iter()
    .any(|magic| text.starts_with(magic))
}

/// A script as [`edited`] serves it.
pub(crate) struct Edited {
    pub body: String,
    /// Per line: the indentation taken off its start (the source column of its first
    /// character).
    pub indents: Vec<u32>,
}

/// The script's text with the edits applied and each line's indentation taken off (a third of
/// React's development build is indentation, which the page would parse for nothing), or
/// `None` when it needs the whole pipeline. `start` is where `text` begins in the compile's
/// `SourceMap`; `comments` are the spans of its comments (with their text); `unresolved` the
/// context of global references.
pub(crate) fn edited<'c>(
    text: &str,
    start: BytePos,
    script: &Script,
    comments: impl Iterator<Item = (Span, &'c str)>,
    unresolved: SyntaxContext,
) -> Option<Edited> {
    // An HTML-like comment is a comment in a classic script but a syntax error in a module
    // worker's, where printing the tree again drops it.
    if text.contains("<!--") || text.contains("-->") {
        return None;
    }
    let mut edits = Edits {
        text,
        start,
        unresolved,
        edits: Vec::new(),
        multiline_literals: Vec::new(),
        bail: false,
        lowers_import: false,
        binds_require: false,
    };
    script.body.visit_with(&mut edits);
    // `function (require) { return import('./x') }`: the rewrite's `require.dynamic` would
    // call the local (the whole pipeline renames it apart).
    if edits.bail || (edits.lowers_import && edits.binds_require) {
        return None;
    }
    // (The compile has taken the shebang off the tree already.)
    if text.starts_with("#!") {
        let end = text.find('\n').unwrap_or(text.len());
        edits.edits.push((0, end as u32, String::new()));
    }
    for (span, comment) in comments {
        if is_magic_comment(comment) {
            edits.cut(span.lo, span.hi);
        }
    }
    let mut all = edits.edits;
    all.sort_by_key(|(lo, hi, _)| (*lo, *hi));
    let indents = dedent(text, &mut all, &edits.multiline_literals);
    Some(Edited {
        body: apply(text, all)?,
        indents,
    })
}

/// Adds a cut of each line's leading spaces and tabs to `edits` (sorted, and kept so), except
/// where the line starts inside a template or string literal (whose text they are) or inside
/// another edit; answers how much each line lost.
fn dedent(text: &str, edits: &mut Vec<(u32, u32, String)>, literals: &[(u32, u32)]) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut indents = Vec::new();
    let mut cuts = Vec::new();
    let (mut edit, mut literal) = (0, 0);
    let mut line_start = 0usize;
    loop {
        let width = bytes[line_start..]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let (lo, hi) = (line_start as u32, (line_start + width) as u32);
        while edit < edits.len() && edits[edit].1 <= lo {
            edit += 1;
        }
        while literal < literals.len() && literals[literal].1 <= lo {
            literal += 1;
        }
        let in_edit = edits.get(edit).is_some_and(|(at, ..)| *at < hi.max(lo + 1));
        let in_literal = literals.get(literal).is_some_and(|(at, _)| *at < lo);
        if width > 0 && !in_edit && !in_literal {
            cuts.push((lo, hi, String::new()));
            indents.push(width as u32);
        } else {
            indents.push(0);
        }
        match bytes[line_start..].iter().position(|b| *b == b'\n') {
            Some(at) => line_start += at + 1,
            None => break,
        }
    }
    edits.extend(cuts);
    edits.sort_by_key(|(lo, hi, _)| (*lo, *hi));
    indents
}

/// One mapping per line, each line's start to where it starts in the source (the same line,
/// after the indentation [`edited`] took off), below the factory's header line: the source map
/// of the first `lines` lines of a body made from `id`.
pub(crate) fn line_map(id: &str, indents: &[u32], lines: usize) -> String {
    let mut mappings = String::with_capacity(lines * 5 + 1);
    mappings.push(';');
    let mut column = 0i64;
    for (line, indent) in indents.iter().take(lines).enumerate() {
        if line > 0 {
            mappings.push(';');
        }
        // Generated column 0, source 0, source line +1 (but the first), source column.
        mappings.push('A');
        mappings.push('A');
        mappings.push(if line == 0 { 'A' } else { 'C' });
        vlq(&mut mappings, i64::from(*indent) - column);
        column = i64::from(*indent);
    }
    let sources = serde_json::to_string(&[id]).unwrap_or_else(|_| "[\"\"]".into());
    format!("{{\"version\":3,\"sources\":{sources},\"names\":[],\"mappings\":\"{mappings}\"}}")
}

/// A source map's base64 VLQ of `value`.
fn vlq(out: &mut String, value: i64) {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rest = (value.unsigned_abs() << 1) | u64::from(value < 0);
    loop {
        let digit = (rest & 31) as usize;
        rest >>= 5;
        out.push(DIGITS[digit | if rest > 0 { 32 } else { 0 }] as char);
        if rest == 0 {
            break;
        }
    }
}

/// The edits (sorted), applied; `None` if two overlap (a shape this module does not know).
fn apply(text: &str, edits: Vec<(u32, u32, String)>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for (lo, hi, replacement) in edits {
        let (lo, hi) = (lo as usize, hi as usize);
        if lo < at || hi > text.len() || !text.is_char_boundary(lo) || !text.is_char_boundary(hi) {
            return None;
        }
        out.push_str(&text[at..lo]);
        out.push_str(&replacement);
        at = hi;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// The newlines in `text`: what a cut leaves, so that every later line keeps its number.
fn newlines(text: &str) -> String {
    "\n".repeat(text.bytes().filter(|b| *b == b'\n').count())
}

struct Edits<'a> {
    text: &'a str,
    start: BytePos,
    unresolved: SyntaxContext,
    /// `(lo, hi, replacement)`, offsets into the text.
    edits: Vec<(u32, u32, String)>,
    /// Template and string literals that span lines, in text order: their lines keep their
    /// indentation, which is the literal's text.
    multiline_literals: Vec<(u32, u32)>,
    bail: bool,
    /// An `import()` became `require.dynamic(`.
    lowers_import: bool,
    /// Some binding of the script is named `require`.
    binds_require: bool,
}

impl Edits<'_> {
    fn offset(&self, pos: BytePos) -> u32 {
        pos.0.saturating_sub(self.start.0)
    }

    /// Replaces `lo..hi` by `with`, followed by the newlines it covered.
    fn replace(&mut self, lo: BytePos, hi: BytePos, with: &str) {
        let (lo, hi) = (self.offset(lo), self.offset(hi));
        let covered = self.text.get(lo as usize..hi as usize).unwrap_or_default();
        self.edits
            .push((lo, hi, format!("{with}{}", newlines(covered))));
    }

    /// Notes a literal whose text spans lines (visited in text order; a template inside
    /// another's `${}` lies within the outer one's range, so it need not be noted).
    fn literal(&mut self, span: Span) {
        let (lo, hi) = (self.offset(span.lo), self.offset(span.hi));
        let spans_lines = self
            .text
            .get(lo as usize..hi as usize)
            .is_some_and(|t| t.contains('\n'));
        let inside_last = self
            .multiline_literals
            .last()
            .is_some_and(|(_, end)| hi <= *end);
        if spans_lines && !inside_last {
            self.multiline_literals.push((lo, hi));
        }
    }

    /// Removes `lo..hi`, keeping its newlines.
    fn cut(&mut self, lo: BytePos, hi: BytePos) {
        self.replace(lo, hi, "");
    }
}

impl Visit for Edits<'_> {
    fn visit_stmt(&mut self, s: &Stmt) {
        let Stmt::If(IfStmt {
            span,
            test,
            cons,
            alt,
        }) = s
        else {
            return s.visit_children_with(self);
        };
        let Some(live) = truthiness(test, self.unresolved) else {
            return s.visit_children_with(self);
        };
        match if live { Some(&**cons) } else { alt.as_deref() } {
            // `if (x) function f() {}` (sloppy mode): the rewrite keeps it block-scoped.
            Some(Stmt::Decl(Decl::Fn(_) | Decl::Class(_))) => self.bail = true,
            // The live branch in braces: a block stands wherever the `if` stood (an `else`'s
            // or a loop's one statement too), and starts with no character that could
            // continue the statement before it.
            Some(branch) => {
                let inner = branch.span();
                self.replace(span.lo, inner.lo, "{");
                self.replace(inner.hi, span.hi, "}");
                branch.visit_with(self);
            }
            None => self.replace(span.lo, span.hi, ";"),
        }
    }

    fn visit_expr(&mut self, e: &Expr) {
        match e {
            Expr::Member(m) if is_node_env(m, self.unresolved) => {
                self.replace(m.span.lo, m.span.hi, &format!("\"{NODE_ENV}\""));
            }
            // `false && x` is `false`, `true || x` is `true`: the left operand alone, which
            // binds tighter than the operator, so it stands where the whole did.
            Expr::Bin(b)
                if matches!(b.op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr)
                    && truthiness(&b.left, self.unresolved)
                        .is_some_and(|t| t == (b.op == BinaryOp::LogicalOr)) =>
            {
                self.cut(b.left.span().hi, b.span.hi);
                b.left.visit_with(self);
            }
            Expr::Call(c) if matches!(c.callee, Callee::Import(_)) => {
                let Some(first) = c.args.first().filter(|a| a.spread.is_none()) else {
                    self.bail = true;
                    return;
                };
                let arg = first.expr.span();
                self.replace(c.span.lo, arg.lo, "require.dynamic(");
                self.lowers_import = true;
                if c.args.len() > 1 {
                    // The import attributes: the runtime takes the specifier alone.
                    self.replace(arg.hi, c.span.hi, ")");
                }
                first.expr.visit_with(self);
            }
            _ => e.visit_children_with(self),
        }
    }

    fn visit_tpl(&mut self, t: &Tpl) {
        self.literal(t.span);
        t.visit_children_with(self);
    }

    fn visit_str(&mut self, s: &Str) {
        self.literal(s.span);
    }

    fn visit_ident(&mut self, i: &Ident) {
        if i.sym == "require" && i.ctxt != self.unresolved {
            self.binds_require = true;
        }
    }

    fn visit_jsx_element(&mut self, _: &JSXElement) {
        self.bail = true;
    }

    fn visit_jsx_fragment(&mut self, _: &JSXFragment) {
        self.bail = true;
    }

    fn visit_decorator(&mut self, _: &Decorator) {
        self.bail = true;
    }
}
