//! Vite's `define`: global names and member chains (`__APP_VERSION__`, `process.env.API`,
//! `import.meta.env.FLAG`, `globalThis.__DEV__`) replaced by the code the config gives for them,
//! in every module (`node_modules` too, as Vite's dependency pre-bundling does: Vue's feature
//! flags are defines). Only unbound names match: a local `__APP_VERSION__` stays itself.
//! Runs after swc's `resolver` (which marks what is unbound) and before hotloop's own rewrites.

use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, SourceMap, SyntaxContext};
use swc_core::ecma::ast::{EsVersion, Expr, MemberProp, MetaPropKind};
use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_expr};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// The parsed entries of a `define` map: (the key's segments, the replacement).
pub(crate) struct Define {
    entries: Vec<(Vec<String>, Box<Expr>)>,
    unresolved: SyntaxContext,
}

impl Define {
    /// Parses each value as an expression; a value that is not one is skipped with a warning
    /// (the config's error, named once per compile of a module that could use it).
    pub(crate) fn new(define: &[(String, String)], unresolved: SyntaxContext) -> Define {
        let cm: Lrc<SourceMap> = Default::default();
        let mut entries = Vec::with_capacity(define.len());
        for (key, value) in define {
            let fm = cm.new_source_file(
                Lrc::new(FileName::Custom(format!("define[{key}]"))),
                value.clone(),
            );
            let parsed = parse_file_as_expr(
                &fm,
                Syntax::Es(EsSyntax::default()),
                EsVersion::latest(),
                None,
                &mut Vec::new(),
            );
            match parsed {
                Ok(expr) => entries.push((key.split('.').map(str::to_string).collect(), expr)),
                Err(_) => tracing::warn!(
                    "vite.config `define`: the value of `{key}` is not a JavaScript expression \
                     ({value:?}); write it as code, e.g. JSON.stringify(...)"
                ),
            }
        }
        Define {
            entries,
            unresolved,
        }
    }

    /// The segments of `expr` when it is a global name or a chain of static member accesses
    /// on one (or on `import.meta`): `process.env.API` → `["process", "env", "API"]`.
    fn segments(&self, expr: &Expr, out: &mut Vec<String>) -> bool {
        match expr {
            Expr::Ident(ident) if ident.ctxt == self.unresolved => {
                out.push(ident.sym.to_string());
                true
            }
            Expr::MetaProp(meta) if meta.kind == MetaPropKind::ImportMeta => {
                out.push("import".into());
                out.push("meta".into());
                true
            }
            Expr::Member(member) => {
                if !self.segments(&member.obj, out) {
                    return false;
                }
                match &member.prop {
                    MemberProp::Ident(name) => {
                        out.push(name.sym.to_string());
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

impl VisitMut for Define {
    fn visit_mut_expr(&mut self, expr: &mut Expr) {
        if matches!(expr, Expr::Ident(_) | Expr::Member(_) | Expr::MetaProp(_)) {
            let mut segments = Vec::new();
            if self.segments(expr, &mut segments)
                && let Some((_, value)) = self.entries.iter().find(|(key, _)| *key == segments)
            {
                *expr = (**value).clone();
                return;
            }
        }
        expr.visit_mut_children_with(self);
    }
}
