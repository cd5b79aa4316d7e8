//! swc's import interop, made runtime calls. For `import X from "./x"`, swc's `common_js` pass
//! writes
//!
//! ```js
//! function _interop_require_default(obj) { return obj && obj.__esModule ? obj : { default: obj }; }
//! const _x = /*#__PURE__*/ _interop_require_default(require("./x"));
//! ```
//!
//! the helper declared again in every module that has a default import (~80 bytes) and each
//! call marked pure (printed as a comment even in compact output: ~13 bytes). In a React app
//! nearly every component module has both (a tenth of the chunk's bytes at the benchmark's
//! React fixture). [`fold_interop`] drops the declaration and calls the runtime's
//! `require.d` instead (`runtime/js/registry.js`, the same function):
//!
//! ```js
//! const _x = require.d(require("./x"));
//! ```
//!
//! For `import * as ns from "./x"` (and a default import beside named ones: `import React,
//! { useState } from "react"`), swc declares `_interop_require_wildcard` and the
//! `_getRequireWildcardCache` it calls (~600 bytes, compact); those go the same way, to the
//! runtime's `require.w`. A declaration that is not exactly swc's helper (its parameters and
//! its first statement) is left as it is. The same walk forgets the pure marks of the calls
//! swc's passes made (a minifier's hint; the dev server never tree-shakes).

use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::{
    CallExpr, Decl, Expr, Function, Id, Ident, IdentName, Lit, Module, ModuleItem, Stmt,
};
use swc_core::ecma::utils::ExprFactory;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// swc's helpers this folds, each with the runtime's member of `require` that replaces it.
const DEFAULT: (&str, &str) = ("_interop_require_default", "d");
const WILDCARD: (&str, &str) = ("_interop_require_wildcard", "w");
/// The wildcard helper's cache, which only the wildcard helper calls.
const WILDCARD_CACHE: &str = "_getRequireWildcardCache";

/// Replaces swc's inlined interop helpers with the runtime's `require.d` and `require.w` and
/// forgets the pure marks of swc's calls (see the module docs), in one walk of the module.
/// `unresolved` is the context of unbound identifiers (`require`).
pub(crate) fn fold_interop(module: &mut Module, unresolved: SyntaxContext) {
    let mut helpers = Vec::new();
    if let Some(helper) = take_helper(module, DEFAULT.0, unresolved, is_default_helper) {
        helpers.push((helper, DEFAULT.1));
    }
    let has_cache = helper_at(module, WILDCARD_CACHE, unresolved, is_wildcard_cache).is_some();
    if has_cache
        && let Some(helper) = take_helper(module, WILDCARD.0, unresolved, is_wildcard_helper)
    {
        take_helper(module, WILDCARD_CACHE, unresolved, is_wildcard_cache);
        helpers.push((helper, WILDCARD.1));
    }
    module.visit_mut_with(&mut Fold {
        helpers,
        unresolved,
    });
}

/// Where the top-level declaration of the helper `name` is, when it has swc's shape.
fn helper_at(
    module: &Module,
    name: &str,
    unresolved: SyntaxContext,
    shape: fn(&Function) -> bool,
) -> Option<usize> {
    module.body.iter().position(|item| {
        matches!(item, ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f)))
            if f.ident.sym == name && f.ident.ctxt != unresolved && shape(&f.function))
    })
}

/// Removes the declaration of the helper `name` (see [`helper_at`]); its identifier.
fn take_helper(
    module: &mut Module,
    name: &str,
    unresolved: SyntaxContext,
    shape: fn(&Function) -> bool,
) -> Option<Id> {
    let at = helper_at(module, name, unresolved, shape)?;
    match module.body.remove(at) {
        ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f))) => Some(f.ident.to_id()),
        _ => unreachable!("helper_at found a function declaration"),
    }
}

/// The first statements of a helper's body, when it has `params` parameters.
fn body_of(function: &Function, params: usize) -> Option<&[Stmt]> {
    let body = function.body.as_ref()?;
    (function.params.len() == params && !function.is_async && !function.is_generator)
        .then_some(&body.stmts[..])
}

/// `function (obj) { return obj && obj.__esModule ? obj : { default: obj }; }`.
fn is_default_helper(function: &Function) -> bool {
    matches!(body_of(function, 1), Some([Stmt::Return(r)])
        if matches!(r.arg.as_deref(), Some(Expr::Cond(c)) if reads_es_module(&c.test)))
}

/// `function (obj, nodeInterop) { if (!nodeInterop && obj && obj.__esModule) return obj; ... }`.
fn is_wildcard_helper(function: &Function) -> bool {
    matches!(body_of(function, 2), Some([Stmt::If(first), ..])
        if reads_es_module(&first.test) && matches!(&*first.cons, Stmt::Return(_)))
}

/// `function (nodeInterop) { if (typeof WeakMap !== "function") return null; ... }`.
fn is_wildcard_cache(function: &Function) -> bool {
    matches!(body_of(function, 1), Some([Stmt::If(first), ..])
        if matches!(&*first.test, Expr::Bin(b) if matches!(&*b.right, Expr::Lit(Lit::Str(s)) if s.value == *"function")))
}

/// `… && obj.__esModule`.
fn reads_es_module(test: &Expr) -> bool {
    matches!(test, Expr::Bin(b) if matches!(&*b.right, Expr::Member(m)
        if m.prop.as_ident().is_some_and(|p| p.sym == "__esModule")))
}

/// The walk of [`fold_interop`]: each folded helper's identifier becomes its `require` member;
/// a call's pure mark (printed as `/*#__PURE__*/` even in compact output: swc's passes put one
/// on the interop calls, `_export_star`...; a minifier's hint, and the dev server never
/// tree-shakes) is forgotten.
struct Fold {
    helpers: Vec<(Id, &'static str)>,
    unresolved: SyntaxContext,
}

impl VisitMut for Fold {
    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        if let Expr::Ident(ident) = expr
            && let Some((_, member)) = self
                .helpers
                .iter()
                .find(|(id, _)| ident.sym == id.0 && ident.ctxt == id.1)
        {
            *expr = Ident::new("require".into(), DUMMY_SP, self.unresolved)
                .make_member(IdentName::new((*member).into(), DUMMY_SP))
                .into();
            return;
        }
        expr.visit_mut_children_with(self);
    }

    fn visit_mut_call_expr(&mut self, call: &mut CallExpr) {
        if call.span.lo.is_pure() {
            call.span = DUMMY_SP;
        }
        call.visit_mut_children_with(self);
    }
}
