//! The hotloop-specific rewrites, applied after [`super::analyze`] has read the module:
//! `import.meta` becomes the factory parameter `$meta`, `process.env.NODE_ENV` becomes
//! `"development"`, branches that are statically dead under that value are removed (so React's
//! `index.js` only requires its development build), `import()` becomes the runtime's
//! `require.dynamic()` (in modules and CommonJS scripts alike), `import.meta.glob(...)`
//! becomes `require()` of the module's glob module, and a variable `import(path)` becomes
//! `require.dynamic(path, require(<its glob module>))`.

use swc_core::common::util::take::Take;
use swc_core::common::{DUMMY_SP, Span, SyntaxContext};
use swc_core::ecma::ast::{
    BinaryOp, BlockStmt, Callee, Decl, EmptyStmt, Expr, ExprOrSpread, Ident, IdentName, Lit,
    MetaPropKind, ModuleItem, Stmt, Str, VarDeclKind,
};
use swc_core::ecma::utils::{ExprFactory, StmtLike};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use super::fold::{NODE_ENV, is_node_env, truthiness};

/// The factory parameter `import.meta` is rewritten to: short, as every module that accepts
/// its own updates spells it three times. A binding of the module's own named so is renamed
/// (`hygiene.rs`); a global named so is shadowed inside the module, as `module`, `exports` and
/// `require` are.
pub(crate) const META: &str = "$meta";

pub(crate) struct Rewrite {
    /// Context of unbound (global) identifiers: `process`, `require`, the factory parameters.
    pub unresolved: SyntaxContext,
    /// Expressions (by span) that become `require(<specifier>)`: `import.meta.glob(...)` calls
    /// (their glob module; a variable `import(path)` keeps `path`, see `visit_mut_expr`) and the
    /// specifier literal of `new Worker(new URL('./w.ts', import.meta.url))` (the worker's
    /// `?worker&url` module).
    pub requires: Vec<(Span, String)>,
    /// Specifier literals (by span) of `new URL('./tex.png', import.meta.url)` that become
    /// `require.u(<specifier>, <literal>)` (see `super::asset_url`).
    pub asset_urls: Vec<(Span, String, String)>,
}

impl Rewrite {
    fn global(&self, name: &str) -> Ident {
        Ident::new(name.into(), DUMMY_SP, self.unresolved)
    }

    /// `require.dynamic(spec)`: the runtime's `import()`, a promise of the module's namespace
    /// that waits for modules using top-level await (an import-attributes argument is dropped).
    /// `candidates`, for a variable `import()`, is the glob module of the files it can load.
    fn lower_import(
        &self,
        span: Span,
        mut args: Vec<ExprOrSpread>,
        candidates: Option<Expr>,
    ) -> Expr {
        args.truncate(1);
        args.extend(candidates.map(|c| c.as_arg()));
        self.global("require")
            .make_member(IdentName::new("dynamic".into(), DUMMY_SP))
            .as_call(span, args)
    }

    /// The live branch of `if (<constant>) ...`, `None` when the statement is not such an `if`
    /// (`Some(None)`: the test is false and there is no `else`).
    fn live_branch(&self, s: &mut Stmt) -> Option<Option<Stmt>> {
        let Stmt::If(i) = s else {
            return None;
        };
        let live = truthiness(&i.test, self.unresolved)?;
        Some(if live {
            Some(*i.cons.take())
        } else {
            i.alt.take().map(|a| *a)
        })
    }

    /// Replaces statically decided `if`s in a statement list by the statements of their live
    /// branch; a block is spliced in when that changes no scoping (no lexical declarations).
    fn fold_list<T: StmtLike + VisitMutWith<Self>>(&mut self, items: &mut Vec<T>) {
        let foldable = |item: &T| {
            item.as_stmt().is_some_and(
                |s| matches!(s, Stmt::If(i) if truthiness(&i.test, self.unresolved).is_some()),
            )
        };
        if items.iter().any(foldable) {
            let old = std::mem::take(items);
            for item in old {
                match item.try_into_stmt() {
                    Ok(stmt) => self.push_live(stmt, items),
                    Err(item) => items.push(item),
                }
            }
        }
        for item in items.iter_mut() {
            item.visit_mut_with(self);
        }
    }

    fn push_live<T: StmtLike>(&self, mut stmt: Stmt, out: &mut Vec<T>) {
        match self.live_branch(&mut stmt) {
            Some(Some(live)) => self.push_live(live, out),
            Some(None) => {}
            None => match stmt {
                Stmt::Block(b) if !b.stmts.iter().any(is_lexical_decl) => {
                    for s in b.stmts {
                        self.push_live(s, out);
                    }
                }
                stmt => out.push(T::from(stmt)),
            },
        }
    }
}

fn is_lexical_decl(s: &Stmt) -> bool {
    match s {
        Stmt::Decl(Decl::Var(v)) => v.kind != VarDeclKind::Var,
        Stmt::Decl(_) => true,
        _ => false,
    }
}

impl VisitMut for Rewrite {
    fn visit_mut_module_items(&mut self, items: &mut Vec<ModuleItem>) {
        self.fold_list(items);
    }

    fn visit_mut_stmts(&mut self, stmts: &mut Vec<Stmt>) {
        self.fold_list(stmts);
    }

    fn visit_mut_expr(&mut self, e: &mut Expr) {
        let span = match e {
            Expr::Call(c) => Some(c.span),
            Expr::Lit(Lit::Str(s)) => Some(s.span),
            _ => None,
        };
        if let Some(span) = span
            && let Some((_, spec)) = self.requires.iter().find(|(at, _)| *at == span)
        {
            // `import.meta.glob(...)` → `require("./main.ts?glob=0")` (see `super::glob`),
            // `"./w.ts"` → `require("./w.ts?worker&url")` (see `super::worker`).
            let arg = Lit::Str(Str {
                span: DUMMY_SP,
                value: spec.as_str().into(),
                raw: None,
            });
            let required = self.global("require").as_call(span, vec![arg.as_arg()]);
            let Expr::Call(c) = e else {
                *e = required;
                return;
            };
            if matches!(c.callee, Callee::Import(_)) {
                // A variable `import(path)` → `require.dynamic(path, require("./main.ts?glob=1"))`:
                // the runtime looks `path` up among the files the glob module lists.
                c.args.visit_mut_with(self);
                *e = self.lower_import(c.span, c.args.take(), Some(required));
            } else {
                *e = required;
            }
            return;
        }
        if let Expr::Lit(Lit::Str(s)) = e
            && let Some((_, spec, written)) = self.asset_urls.iter().find(|(at, ..)| *at == s.span)
        {
            let str_arg = |text: &str| {
                Lit::Str(Str {
                    span: DUMMY_SP,
                    value: text.into(),
                    raw: None,
                })
                .as_arg()
            };
            let callee = self
                .global("require")
                .make_member(IdentName::new("u".into(), DUMMY_SP));
            *e = callee.as_call(s.span, vec![str_arg(spec), str_arg(written)]);
            return;
        }
        match e {
            Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta => {
                *e = Ident::new(META.into(), m.span, self.unresolved).into();
                return;
            }
            Expr::Member(m) if is_node_env(m, self.unresolved) => {
                *e = Lit::Str(Str {
                    span: m.span,
                    value: NODE_ENV.into(),
                    raw: None,
                })
                .into();
                return;
            }
            Expr::Cond(c) => {
                if let Some(live) = truthiness(&c.test, self.unresolved) {
                    *e = *if live { c.cons.take() } else { c.alt.take() };
                    self.visit_mut_expr(e);
                    return;
                }
            }
            Expr::Bin(b) if matches!(b.op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr) => {
                let short_circuits = truthiness(&b.left, self.unresolved)
                    .is_some_and(|t| t == (b.op == BinaryOp::LogicalOr));
                if short_circuits {
                    *e = *b.left.take();
                    self.visit_mut_expr(e);
                    return;
                }
            }
            Expr::Call(c) if matches!(c.callee, Callee::Import(_)) => {
                c.args.visit_mut_with(self);
                *e = self.lower_import(c.span, c.args.take(), None);
                return;
            }
            _ => {}
        }
        e.visit_mut_children_with(self);
    }

    /// A statically decided `if` in single-statement position (`else if`, loop body, label).
    fn visit_mut_stmt(&mut self, s: &mut Stmt) {
        let span = swc_core::common::Spanned::span(&*s);
        if let Some(branch) = self.live_branch(s) {
            *s = match branch {
                // `if (x) function f() {}` (sloppy mode): keep the declaration block-scoped.
                Some(Stmt::Decl(d)) => BlockStmt {
                    span,
                    stmts: vec![Stmt::Decl(d)],
                    ..Default::default()
                }
                .into(),
                Some(branch) => branch,
                None => EmptyStmt { span }.into(),
            };
            self.visit_mut_stmt(s);
            return;
        }
        s.visit_mut_children_with(self);
    }
}
