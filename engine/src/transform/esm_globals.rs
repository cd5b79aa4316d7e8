//! An ES module's free `module` and `exports`: not defined in an ES module (the browser's
//! `typeof module` is `"undefined"`), but the factory every module is compiled into binds
//! both. In an ES module that exports through its ESM syntax they become `void 0`, so a
//! UMD-style tail copied into it (`if (typeof module === 'object' && module.exports)
//! module.exports = lib`) leaves its exports alone, as under Vite. Runs before the CommonJS
//! pass, whose own `exports` it never sees.

use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::{Expr, Lit, Number, UnaryExpr, UnaryOp};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// Replaces the free (`unresolved`) `module` and `exports` of the program by `void 0`.
pub(crate) struct HideCommonJsGlobals {
    pub unresolved: SyntaxContext,
}

impl VisitMut for HideCommonJsGlobals {
    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        if let Expr::Ident(ident) = expr
            && ident.ctxt == self.unresolved
            && (ident.sym == "module" || ident.sym == "exports")
        {
            *expr = Expr::Unary(UnaryExpr {
                span: ident.span,
                op: UnaryOp::Void,
                arg: Box::new(Expr::Lit(Lit::Num(Number {
                    span: DUMMY_SP,
                    value: 0.0,
                    raw: None,
                }))),
            });
            return;
        }
        expr.visit_mut_children_with(self);
    }
}
