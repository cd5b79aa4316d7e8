//! Exports that are values, not getters. An ES module's export is a live binding: swc's
//! `common_js` makes each one a getter on the exports object (`require.esm({ v: () => v })`,
//! see [`super::esm_exports`]). A getter is needed only where the binding can change after it
//! is initialized; most exports never do (`export const`, `export function`, `export class`,
//! `export default ...`). Defining a getter costs the page far more than storing a value: each
//! getter is a property of its own kind on its own object (V8 gives every such exports object
//! a map of its own), where values on objects of the same names share one shape. On a page of
//! 10,000 modules the getters were ~15–20 ms of the page's script time.
//!
//! [`bind_values`] turns the binding of an export whose local is written exactly once — its
//! declaration, at the module's top level — into a value: the prologue names it with `0`
//! (`require.esm({ v: 0 })`: the property exists from the start, in the namespace's order),
//! and `exports.v = v;` stores it where it gets its value: right after its declaration (a
//! `const`, `let`, `var` or `class`), or right after the prologue for a function declaration
//! (hoisted: its value exists before any import runs, as an import cycle needs). Anything else
//! — a local assigned or updated anywhere, declared twice, or not declared at the top level
//! (a re-export reads another module's binding), and an export named `__proto__` or
//! `__esModule` — keeps its getter.
//!
//! Before its declaration runs, such an export reads `undefined` where the getter threw (the
//! binding's temporal dead zone): only an import cycle can read it then.

use rustc_hash::FxHashMap;
use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::{
    AssignExpr, AssignOp, BindingIdent, ClassDecl, ComputedPropName, Decl, Expr, FnDecl, Id, Ident,
    IdentName, KeyValueProp, Lit, MemberExpr, MemberProp, ModuleItem, Prop, PropName, PropOrSpread,
    SimpleAssignTarget, Stmt, UpdateExpr,
};
use swc_core::ecma::utils::{ExprFactory, find_pat_ids};
use swc_core::ecma::visit::{Visit, VisitWith};

/// Where a value export is stored: after the prologue (a hoisted function) or after the
/// top-level statement at that index of the module's body.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum StoreAt {
    Prologue,
    After(usize),
}

/// Makes the bindings in `bindings` (`name: () => local`, the prologue's) whose local is
/// written once values (see the module docs): their value becomes `0` in place, and the
/// returned statements store them, each with where it goes. `body` is the module's body after
/// the prologue, its indices those of [`StoreAt::After`]; `unresolved` is the context of the
/// factory's `exports`.
pub(super) fn bind_values(
    bindings: &mut [PropOrSpread],
    body: &[ModuleItem],
    unresolved: SyntaxContext,
) -> Vec<(StoreAt, Stmt)> {
    let mut locals: FxHashMap<Id, u32> = bindings
        .iter()
        .filter_map(|b| getter_local(b).map(|(_, local)| (local.to_id(), 0)))
        .collect();
    if locals.is_empty() {
        return Vec::new();
    }
    let mut writes = Writes {
        counts: &mut locals,
    };
    for item in body {
        item.visit_with(&mut writes);
    }
    let declared = top_level_declarations(body, &locals);
    let mut stores = Vec::new();
    for binding in bindings.iter_mut() {
        let Some((key, local)) = getter_local(binding) else {
            continue;
        };
        let id = local.to_id();
        let (Some(1), Some(&at)) = (locals.get(&id), declared.get(&id)) else {
            continue;
        };
        let Some(target) = member_of_exports(key, unresolved) else {
            continue;
        };
        let store = AssignExpr {
            span: DUMMY_SP,
            op: AssignOp::Assign,
            left: target.into(),
            right: Box::new(Expr::Ident(local.clone())),
        }
        .into_stmt();
        stores.push((at, store));
        if let PropOrSpread::Prop(prop) = binding
            && let Prop::KeyValue(kv) = &mut **prop
        {
            *kv.value = Expr::Lit(Lit::from(0.0));
        }
    }
    // Stores at one place keep the namespace's (the prologue's) order.
    stores.sort_by_key(|(at, _)| *at);
    stores
}

/// `name: () => local`: the binding's key and local.
fn getter_local(binding: &PropOrSpread) -> Option<(&PropName, &Ident)> {
    let PropOrSpread::Prop(prop) = binding else {
        return None;
    };
    let Prop::KeyValue(KeyValueProp { key, value }) = &**prop else {
        return None;
    };
    let Expr::Arrow(arrow) = &**value else {
        return None;
    };
    let local = arrow.body.as_expr()?.as_ident()?;
    Some((key, local))
}

/// `exports.name` (or `exports["a-b"]`) for the binding's key; `None` for `__proto__`, whose
/// store would set the prototype, and `__esModule`, which the namespace's prototype holds
/// read-only (a store would throw; the getter is defined on the namespace itself).
fn member_of_exports(key: &PropName, unresolved: SyntaxContext) -> Option<SimpleAssignTarget> {
    let stored = |name: &str| name != "__proto__" && name != "__esModule";
    let prop = match key {
        PropName::Ident(i) if stored(&i.sym) => {
            MemberProp::Ident(IdentName::new(i.sym.clone(), DUMMY_SP))
        }
        PropName::Str(s) if s.value.as_str().is_some_and(stored) => {
            MemberProp::Computed(ComputedPropName {
                span: DUMMY_SP,
                expr: Box::new(Expr::Lit(Lit::Str(s.clone()))),
            })
        }
        _ => return None,
    };
    Some(SimpleAssignTarget::Member(MemberExpr {
        span: DUMMY_SP,
        obj: Box::new(Expr::Ident(Ident::new(
            "exports".into(),
            DUMMY_SP,
            unresolved,
        ))),
        prop,
    }))
}

/// Where each local of `locals` is declared at the top level of `body`.
fn top_level_declarations(
    body: &[ModuleItem],
    locals: &FxHashMap<Id, u32>,
) -> FxHashMap<Id, StoreAt> {
    let mut declared = FxHashMap::default();
    let mut note = |id: Id, at: StoreAt| {
        if locals.contains_key(&id) {
            declared.insert(id, at);
        }
    };
    for (i, item) in body.iter().enumerate() {
        let ModuleItem::Stmt(Stmt::Decl(decl)) = item else {
            continue;
        };
        match decl {
            Decl::Fn(FnDecl { ident, .. }) => note(ident.to_id(), StoreAt::Prologue),
            Decl::Class(ClassDecl { ident, .. }) => note(ident.to_id(), StoreAt::After(i)),
            Decl::Var(v) => {
                for id in find_pat_ids::<_, Id>(&v.decls) {
                    note(id, StoreAt::After(i));
                }
            }
            _ => {}
        }
    }
    declared
}

/// Counts, for each local it was given, the places that bind or write it: declarations,
/// assignment targets (destructuring included), `for (x of ...)` heads and `++`/`--`.
struct Writes<'a> {
    counts: &'a mut FxHashMap<Id, u32>,
}

impl Writes<'_> {
    fn note(&mut self, ident: &Ident) {
        if let Some(count) = self.counts.get_mut(&ident.to_id()) {
            *count += 1;
        }
    }

    /// An expression written to: an identifier, in parentheses or not.
    fn note_target(&mut self, expr: &Expr) {
        match expr {
            Expr::Ident(i) => self.note(i),
            Expr::Paren(p) => self.note_target(&p.expr),
            _ => {}
        }
    }
}

impl Visit for Writes<'_> {
    fn visit_binding_ident(&mut self, b: &BindingIdent) {
        self.note(&b.id);
    }

    fn visit_fn_decl(&mut self, f: &FnDecl) {
        self.note(&f.ident);
        f.function.visit_with(self);
    }

    fn visit_class_decl(&mut self, c: &ClassDecl) {
        self.note(&c.ident);
        c.class.visit_with(self);
    }

    fn visit_simple_assign_target(&mut self, target: &SimpleAssignTarget) {
        if let SimpleAssignTarget::Paren(p) = target {
            self.note_target(&p.expr);
        }
        target.visit_children_with(self);
    }

    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        self.note_target(&u.arg);
        u.arg.visit_with(self);
    }
}
