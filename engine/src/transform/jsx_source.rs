//! React 19's `jsxDEV(type, props, key, isStaticChildren)`: the `source` and `self` arguments
//! swc's development JSX adds (`{ fileName, lineNumber, columnNumber }, this`) are dropped,
//! because React 19 reads neither (owner stacks replaced `_source`; see
//! `TransformOptions::jsx_dev_source`). Runs right after the React pass, while the runtime's
//! import is still the `import { jsxDEV as _jsxDEV } from "<source>/jsx-dev-runtime"` that pass
//! added: only calls of that binding are touched.

use swc_core::ecma::ast::{
    CallExpr, Callee, Expr, Id, ImportDecl, ImportSpecifier, Module, ModuleDecl, ModuleExportName,
    ModuleItem,
};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// `jsxDEV`'s arguments React 19 reads.
const KEPT_ARGS: usize = 4;

/// Drops the last two arguments of every `jsxDEV` call of `module`.
pub(crate) fn drop_jsx_dev_source(module: &mut Module) {
    if let Some(local) = jsx_dev_binding(module) {
        module.visit_mut_with(&mut DropSource { local });
    }
}

/// The local name the JSX runtime's `jsxDEV` is imported as.
fn jsx_dev_binding(module: &Module) -> Option<Id> {
    module.body.iter().find_map(|item| {
        let ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
            src, specifiers, ..
        })) = item
        else {
            return None;
        };
        if !src
            .value
            .as_atom()
            .is_some_and(|s| s.ends_with("/jsx-dev-runtime"))
        {
            return None;
        }
        specifiers.iter().find_map(|specifier| match specifier {
            ImportSpecifier::Named(named) => {
                let imported = match &named.imported {
                    Some(ModuleExportName::Ident(ident)) => &*ident.sym,
                    Some(ModuleExportName::Str(_)) => return None,
                    None => &*named.local.sym,
                };
                (imported == "jsxDEV").then(|| named.local.to_id())
            }
            _ => None,
        })
    })
}

struct DropSource {
    local: Id,
}

impl VisitMut for DropSource {
    fn visit_mut_call_expr(&mut self, call: &mut CallExpr) {
        call.visit_mut_children_with(self);
        let Callee::Expr(callee) = &call.callee else {
            return;
        };
        if let Expr::Ident(ident) = &**callee
            && ident.to_id() == self.local
        {
            call.args.truncate(KEPT_ARGS);
        }
    }
}
