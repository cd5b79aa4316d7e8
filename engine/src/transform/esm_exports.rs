//! The export prologue swc's `common_js` writes at the top of every ES module, made one runtime
//! call. swc writes, per module,
//!
//! ```js
//! Object.defineProperty(exports, "__esModule", { value: true });
//! Object.defineProperty(exports, "v", { enumerable: true, get: function() { return v; } });
//! // or, for two exports and more, an inlined helper and its call:
//! function _export(target, all) { for (var name in all) Object.defineProperty(/* ... */); }
//! _export(exports, { get a () { return a; }, get b () { return b; } });
//! ```
//!
//! about 170 bytes for a module with one export, in every module of the page's chunk (a fifth of
//! a plain app's chunk). [`compact_esm_exports`] folds that run of statements into
//!
//! ```js
//! require.esm({ a: ()=>a, b: ()=>b });
//! ```
//!
//! where `require.esm` is the runtime's (`runtime/js/registry.js`): it marks the exports of the
//! module being evaluated (the factory's `exports`; this call is its first statement) as an ES
//! module's (`__esModule`, not enumerable) and defines each function as the getter of an
//! enumerable, live binding — what the statements it replaces did, in the same order and at the same place (the
//! top of the factory, before any import runs, so an import cycle sees the bindings). Anything
//! that is not exactly swc's prologue is left as it is. A binding whose local is written once
//! becomes a value the factory stores (`a: 0` and `exports.a = a;`, [`super::export_values`]).

use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::{
    ArrowExpr, ArrowFunctionBody, Callee, ComputedPropName, Decl, Expr, ExprOrSpread, FunctionBody,
    Id, Ident, IdentName, KeyValueProp, Lit, MemberProp, Module, ModuleItem, ObjectLit, Prop,
    PropName, PropOrSpread, ReturnStmt, Stmt, Str,
};
use swc_core::ecma::utils::ExprFactory;

use super::export_values::{StoreAt, bind_values};

/// The runtime's helper, as a member of the factory's `require` parameter.
const ESM: &str = "esm";

/// Folds the export prologue of a module `common_js` lowered (see the module docs).
/// `unresolved` is the context of unbound identifiers (`exports`, `require`, `Object`).
/// `es_module` false: a module whose exports are CommonJS's although it imports with ESM
/// syntax (no ESM export, `exports.x = ...`): its prologue, then only the `__esModule` mark,
/// goes, so importers read its exports as a CommonJS module's.
/// `node_interop`: the module's [`super::NodeInterop::flags`], a second argument when not 0
/// (`require.esm(0, 3)` without exports).
pub(crate) fn compact_esm_exports(
    module: &mut Module,
    unresolved: SyntaxContext,
    es_module: bool,
    node_interop: u8,
) {
    // swc makes `exports` unresolved and `Object` context-free; a binding the module declares
    // has the top level's context, never either.
    let is_global = |e: &Expr, name: &str| {
        matches!(e, Expr::Ident(i) if i.sym == *name
            && (i.ctxt == unresolved || i.ctxt == SyntaxContext::empty()))
    };
    let body = &mut module.body;
    let stmt = |i: usize| body.get(i).and_then(ModuleItem::as_stmt);
    let mut start = 0;
    while stmt(start).is_some_and(is_directive) {
        start += 1;
    }
    let Some(first) = stmt(start) else {
        return;
    };
    if !is_define_es_module(first, &is_global) {
        return;
    }
    let mut getters: Vec<PropOrSpread> = Vec::new();
    let mut export_helper: Option<Id> = None;
    let mut end = start + 1;
    while let Some(stmt) = stmt(end) {
        if let Some(prop) = single_export(stmt, &is_global) {
            getters.push(prop);
        } else if let Stmt::Decl(Decl::Fn(f)) = stmt
            && export_helper.is_none()
            && f.ident.sym == "_export"
            && f.ident.ctxt != unresolved
        {
            export_helper = Some(f.ident.to_id());
        } else if let Some(props) = helper_call(stmt, export_helper.as_ref(), &is_global) {
            getters.extend(props);
        } else {
            break;
        }
        end += 1;
    }
    // The helper declared but its call not seen (or the reverse): not swc's shape, keep it.
    if export_helper.is_some() && getters.is_empty() {
        return;
    }
    if !es_module && getters.is_empty() {
        body.drain(start..end);
        return;
    }
    let stores = bind_values(&mut getters, &body[end..], unresolved);
    let require = Ident::new("require".into(), DUMMY_SP, unresolved);
    let mut args = Vec::new();
    if !getters.is_empty() {
        args.push(
            ObjectLit {
                span: DUMMY_SP,
                props: getters,
            }
            .as_arg(),
        );
    }
    if node_interop != 0 {
        if args.is_empty() {
            args.push(Lit::from(0.0).as_arg());
        }
        args.push(Lit::from(f64::from(node_interop)).as_arg());
    }
    let call = require
        .make_member(IdentName::new(ESM.into(), DUMMY_SP))
        .as_call(DUMMY_SP, args)
        .into_stmt();
    if stores.is_empty() {
        body.splice(start..end, [ModuleItem::Stmt(call)]);
        return;
    }
    let rest = body.split_off(end);
    body.truncate(start);
    body.push(ModuleItem::Stmt(call));
    let mut stores = stores.into_iter().peekable();
    while let Some((_, store)) = stores.next_if(|(at, _)| *at == StoreAt::Prologue) {
        body.push(ModuleItem::Stmt(store));
    }
    for (i, item) in rest.into_iter().enumerate() {
        body.push(item);
        while let Some((_, store)) = stores.next_if(|(at, _)| *at == StoreAt::After(i)) {
            body.push(ModuleItem::Stmt(store));
        }
    }
}

fn is_directive(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(e) if matches!(&*e.expr, Expr::Lit(Lit::Str(_))))
}

/// `Object.defineProperty(exports, <a>, <b>)`'s two last arguments.
fn define_property_on_exports<'a>(
    stmt: &'a Stmt,
    is_global: &impl Fn(&Expr, &str) -> bool,
) -> Option<(&'a Expr, &'a Expr)> {
    let Stmt::Expr(e) = stmt else { return None };
    let Expr::Call(call) = &*e.expr else {
        return None;
    };
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Member(m) = &**callee else {
        return None;
    };
    let is_define = is_global(&m.obj, "Object")
        && matches!(&m.prop, MemberProp::Ident(p) if p.sym == "defineProperty");
    if !is_define || call.args.len() != 3 || call.args.iter().any(|a| a.spread.is_some()) {
        return None;
    }
    let [target, name, descriptor] = &call.args[..] else {
        return None;
    };
    if !is_global(&target.expr, "exports") {
        return None;
    }
    Some((&name.expr, &descriptor.expr))
}

fn is_define_es_module(stmt: &Stmt, is_global: &impl Fn(&Expr, &str) -> bool) -> bool {
    let Some((name, descriptor)) = define_property_on_exports(stmt, is_global) else {
        return false;
    };
    let Expr::Object(o) = descriptor else {
        return false;
    };
    matches!(name, Expr::Lit(Lit::Str(s)) if s.value == *"__esModule")
        && o.props.len() == 1
        && matches!(&o.props[0], PropOrSpread::Prop(p) if matches!(&**p,
            Prop::KeyValue(kv) if matches!(&kv.key, PropName::Ident(k) if k.sym == "value")
                && matches!(&*kv.value, Expr::Lit(Lit::Bool(b)) if b.value)))
}

/// `Object.defineProperty(exports, "v", { enumerable: true, get: function() { return v; } })` as
/// the binding `v: () => v`.
fn single_export(stmt: &Stmt, is_global: &impl Fn(&Expr, &str) -> bool) -> Option<PropOrSpread> {
    let (name, descriptor) = define_property_on_exports(stmt, is_global)?;
    let Expr::Lit(Lit::Str(name)) = name else {
        return None;
    };
    let Expr::Object(o) = descriptor else {
        return None;
    };
    let [PropOrSpread::Prop(enumerable), PropOrSpread::Prop(get)] = &o.props[..] else {
        return None;
    };
    let is_enumerable = matches!(&**enumerable, Prop::KeyValue(kv)
        if matches!(&kv.key, PropName::Ident(k) if k.sym == "enumerable")
            && matches!(&*kv.value, Expr::Lit(Lit::Bool(b)) if b.value));
    if !is_enumerable {
        return None;
    }
    let function = match &**get {
        Prop::KeyValue(kv) if matches!(&kv.key, PropName::Ident(k) if k.sym == "get") => {
            match &*kv.value {
                Expr::Fn(f) => &f.function,
                _ => return None,
            }
        }
        Prop::Method(m) if matches!(&m.key, PropName::Ident(k) if k.sym == "get") => &m.function,
        _ => return None,
    };
    if !function.params.is_empty() {
        return None;
    }
    Some(binding(export_key(name), function.body.clone()?))
}

/// The key of export `name`: an identifier where it is one.
fn export_key(name: &Str) -> PropName {
    match name.value.as_str() {
        Some(s) if swc_core::ecma::utils::is_valid_prop_ident(s) => {
            PropName::Ident(IdentName::new(s.into(), DUMMY_SP))
        }
        _ => PropName::Str(name.clone()),
    }
}

/// `name: () => local` (or the getter's whole body as the arrow's block). An export named
/// `__proto__` is a computed key: `__proto__: value` in a literal sets the prototype.
fn binding(key: PropName, body: FunctionBody) -> PropOrSpread {
    let is_proto = match &key {
        PropName::Ident(i) => i.sym == "__proto__",
        PropName::Str(s) => s.value == *"__proto__",
        _ => false,
    };
    let key = if is_proto {
        PropName::Computed(ComputedPropName {
            span: DUMMY_SP,
            expr: Box::new(Expr::Lit(Lit::Str(Str::from("__proto__")))),
        })
    } else {
        key
    };
    let body = match &body.stmts[..] {
        [Stmt::Return(ReturnStmt { arg: Some(arg), .. })] => ArrowFunctionBody::Expr(arg.clone()),
        _ => ArrowFunctionBody::FunctionBody(body),
    };
    PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
        key,
        value: Box::new(Expr::Arrow(ArrowExpr {
            body: Box::new(body),
            ..Default::default()
        })),
    })))
}

/// `_export(exports, { get a() {...}, ... })`, the call of the helper swc declared, as its
/// bindings.
fn helper_call(
    stmt: &Stmt,
    helper: Option<&Id>,
    is_global: &impl Fn(&Expr, &str) -> bool,
) -> Option<Vec<PropOrSpread>> {
    let helper = helper?;
    let Stmt::Expr(e) = stmt else { return None };
    let Expr::Call(call) = &*e.expr else {
        return None;
    };
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Ident(callee) = &**callee else {
        return None;
    };
    if callee.to_id() != *helper || call.args.len() != 2 {
        return None;
    }
    let [target, all]: &[ExprOrSpread] = &call.args[..] else {
        return None;
    };
    if target.spread.is_some() || all.spread.is_some() || !is_global(&target.expr, "exports") {
        return None;
    }
    let Expr::Object(o) = &*all.expr else {
        return None;
    };
    o.props
        .iter()
        .map(|p| match p {
            PropOrSpread::Prop(p) => match &**p {
                Prop::Getter(g) => Some(binding(g.key.clone(), g.function.body.clone()?)),
                _ => None,
            },
            PropOrSpread::Spread(_) => None,
        })
        .collect()
}
