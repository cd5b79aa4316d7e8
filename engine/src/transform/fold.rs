//! Tiny constant folding over the shapes that guard environment-specific code:
//! `process.env.NODE_ENV === "production"`, `!x`, `a && b`. Both the import scan (which skips
//! `require`s in dead branches) and the rewrite (which removes those branches) use it, so the
//! recorded imports always match the `require` calls the emitted code can run (a package's
//! script served as written keeps a decided `?:`'s dead branch: `super::verbatim`).

use swc_core::common::SyntaxContext;
use swc_core::ecma::ast::{BinaryOp, Expr, Lit, MemberExpr, MemberProp, UnaryOp};

/// The value `process.env.NODE_ENV` has in everything hotloop serves.
pub(crate) const NODE_ENV: &str = "development";

/// A statically known value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Const {
    Str(String),
    Bool(bool),
}

impl Const {
    fn truthy(&self) -> bool {
        match self {
            Const::Str(s) => !s.is_empty(),
            Const::Bool(b) => *b,
        }
    }
}

/// Folds `e` when it is made only of string/boolean literals, `process.env.NODE_ENV`
/// (with `process` unbound: `unresolved` is the context of global references), `!`,
/// `=== !== == !=` and `&& ||`.
pub(crate) fn eval(e: &Expr, unresolved: SyntaxContext) -> Option<Const> {
    match e {
        Expr::Paren(p) => eval(&p.expr, unresolved),
        Expr::Lit(Lit::Str(s)) => Some(Const::Str(s.value.as_atom()?.to_string())),
        Expr::Lit(Lit::Bool(b)) => Some(Const::Bool(b.value)),
        Expr::Tpl(t) if t.exprs.is_empty() && t.quasis.len() == 1 => Some(Const::Str(
            t.quasis[0].cooked.as_ref()?.as_atom()?.to_string(),
        )),
        Expr::Member(m) if is_node_env(m, unresolved) => Some(Const::Str(NODE_ENV.to_string())),
        Expr::Unary(u) if u.op == UnaryOp::Bang => {
            Some(Const::Bool(!eval(&u.arg, unresolved)?.truthy()))
        }
        Expr::Bin(b) => match b.op {
            BinaryOp::EqEqEq | BinaryOp::EqEq => Some(Const::Bool(
                eval(&b.left, unresolved)? == eval(&b.right, unresolved)?,
            )),
            BinaryOp::NotEqEq | BinaryOp::NotEq => Some(Const::Bool(
                eval(&b.left, unresolved)? != eval(&b.right, unresolved)?,
            )),
            BinaryOp::LogicalAnd => {
                let left = eval(&b.left, unresolved)?;
                if left.truthy() {
                    eval(&b.right, unresolved)
                } else {
                    Some(left)
                }
            }
            BinaryOp::LogicalOr => {
                let left = eval(&b.left, unresolved)?;
                if left.truthy() {
                    Some(left)
                } else {
                    eval(&b.right, unresolved)
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// `Some(true)` / `Some(false)` when the truthiness of `e` is known statically.
pub(crate) fn truthiness(e: &Expr, unresolved: SyntaxContext) -> Option<bool> {
    eval(e, unresolved).map(|c| c.truthy())
}

/// `process.env.NODE_ENV` or `process.env["NODE_ENV"]` with a global `process`.
pub(crate) fn is_node_env(m: &MemberExpr, unresolved: SyntaxContext) -> bool {
    if prop_name(&m.prop) != Some("NODE_ENV") {
        return false;
    }
    let Expr::Member(env) = &*m.obj else {
        return false;
    };
    if prop_name(&env.prop) != Some("env") {
        return false;
    }
    matches!(&*env.obj, Expr::Ident(p) if p.sym == "process" && p.ctxt == unresolved)
}

/// The name of `.name` or `["name"]`.
pub(crate) fn prop_name(p: &MemberProp) -> Option<&str> {
    match p {
        MemberProp::Ident(i) => Some(&i.sym),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => s.value.as_atom().map(|a| a.as_str()),
            _ => None,
        },
        _ => None,
    }
}
