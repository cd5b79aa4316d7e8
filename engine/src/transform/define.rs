//! Vite's `define`: global names and member chains (`__APP_VERSION__`, `process.env.API`,
//! `import.meta.env.FLAG`, `globalThis.__DEV__`) replaced by the code the config gives for them,
//! in every module (`node_modules` too, as Vite's dependency pre-bundling does: Vue's feature
//! flags are defines). Only unbound names match: a local `__APP_VERSION__` stays itself. A
//! TypeScript ambient declaration (`declare const __APP_VERSION__: string`) binds no value, so a
//! name declared only that way at the top level still matches, as under Vite (esbuild/oxc).
//! Runs after swc's `resolver` (which marks what is unbound) and before hotloop's own rewrites.

use std::collections::HashSet;

use swc_core::common::sync::Lrc;
use swc_core::common::{FileName, SourceMap, SyntaxContext};
use swc_core::ecma::ast::{
    Decl, EsVersion, Expr, Id, MemberProp, MetaPropKind, Module, ModuleDecl, ModuleItem, Pat,
    Script, Stmt,
};
use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_expr};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// Whether any entry of `define` may match in `text`: the last segment of some key (`__DEV__`,
/// `FOO` of `process.env.FOO`) is written in it. Every match is written as that identifier
/// (the pass matches names and static member chains only), so when none is, the pass (a walk
/// of the whole tree) is skipped.
pub(crate) fn may_apply(text: &str, define: &[(String, String)]) -> bool {
    define.iter().any(|(key, _)| {
        key.rsplit('.')
            .next()
            .is_some_and(|last| text.contains(last))
    })
}

/// A statement that sets each entry of `define` on `globalThis` (`process.env.API` as
/// `globalThis.process.env.API`), as Vite's client does in development (`/@vite/env`), so that
/// code hotloop does not compile (a module a plugin serves at its URL, a `public/` script) and
/// code that reads `globalThis.__APP_VERSION__` see the values too. `import.meta.*` keys are
/// left out, as Vite leaves `import.meta.env.*` out, and so is a value that is not an
/// expression (the pass warns of it); each value is evaluated on its own, and one that throws
/// sets nothing. Empty when no entry is left.
pub fn global_assignments(define: &[(String, String)]) -> String {
    let mut sets = String::new();
    for (key, value) in define {
        let segments: Vec<&str> = key.split('.').collect();
        if key.starts_with("import.meta.") || segments.iter().any(|s| s.is_empty()) {
            continue;
        }
        let Some(code) = parse_value(key, value).and_then(|expr| printed(&expr)) else {
            continue;
        };
        sets.push_str("s([");
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                sets.push(',');
            }
            crate::js_literal::push_json_string(&mut sets, segment);
        }
        sets.push_str("],function(){return (");
        sets.push_str(&code);
        sets.push_str(")});");
    }
    if sets.is_empty() {
        return sets;
    }
    format!(
        "(function(s){{{sets}}})(function(k,v){{try{{var t=globalThis;for(var i=0;i<k.length-1;i++)\
         t=t[k[i]]||(t[k[i]]={{}});t[k[k.length-1]]=v()}}catch(e){{}}}});\n"
    )
}

/// A function that sets each `import.meta.env.NAME` entry of `define` on the object it is given
/// and returns it, as Vite's dev server puts them in the `import.meta.env` object it gives every
/// module, so that `import.meta.env['NAME']`, `(import.meta.env as any).NAME` and `'NAME' in
/// import.meta.env` see them too (the pass replaces `import.meta.env.NAME` as written). Each
/// value is evaluated on its own, and one that throws sets nothing; empty when `define` has no
/// such entry.
pub fn env_assignments(define: &[(String, String)]) -> String {
    let mut sets = String::new();
    for (key, value) in define {
        let Some(name) = key
            .strip_prefix("import.meta.env.")
            .filter(|name| !name.is_empty() && !name.contains('.'))
        else {
            continue;
        };
        let Some(code) = parse_value(key, value).and_then(|expr| printed(&expr)) else {
            continue;
        };
        sets.push_str("try{e[");
        crate::js_literal::push_json_string(&mut sets, name);
        sets.push_str("]=(");
        sets.push_str(&code);
        sets.push_str(")}catch(_){}");
    }
    if sets.is_empty() {
        return sets;
    }
    format!("function(e){{{sets}return e}}")
}

/// The expression `value` is (the code the config gives for `key`), or `None`.
fn parse_value(key: &str, value: &str) -> Option<Box<Expr>> {
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(
        Lrc::new(FileName::Custom(format!("define[{key}]"))),
        value.to_owned(),
    );
    parse_file_as_expr(
        &fm,
        Syntax::Es(EsSyntax::default()),
        EsVersion::latest(),
        None,
        &mut Vec::new(),
    )
    .ok()
}

/// `expr` printed on one line without comments: an expression whatever the value's text held
/// around it.
fn printed(expr: &Expr) -> Option<String> {
    use swc_core::ecma::codegen::{Config, Emitter, Node as _, text_writer::JsWriter};
    let cm: Lrc<SourceMap> = Default::default();
    let mut code = Vec::new();
    {
        let mut emitter = Emitter {
            cfg: Config::default()
                .with_target(EsVersion::latest())
                .with_minify(true),
            cm: cm.clone(),
            comments: None,
            wr: JsWriter::new(cm, "\n", &mut code, None),
        };
        expr.emit_with(&mut emitter).ok()?;
    }
    String::from_utf8(code).ok()
}

/// The parsed entries of a `define` map: (the key's segments, the replacement).
pub(crate) struct Define {
    entries: Vec<(Vec<String>, Box<Expr>)>,
    unresolved: SyntaxContext,
    /// The top-level names bound only by `declare` (collected when the visit starts).
    ambient: HashSet<Id>,
}

impl Define {
    /// Parses each value as an expression; a value that is not one is skipped with a warning
    /// (the config's error, named once per compile of a module that could use it).
    pub(crate) fn new(define: &[(String, String)], unresolved: SyntaxContext) -> Define {
        let mut entries = Vec::with_capacity(define.len());
        for (key, value) in define {
            match parse_value(key, value) {
                Some(expr) => entries.push((key.split('.').map(str::to_string).collect(), expr)),
                None => tracing::warn!(
                    "vite.config `define`: the value of `{key}` is not a JavaScript expression \
                     ({value:?}); write it as code, e.g. JSON.stringify(...)"
                ),
            }
        }
        Define {
            entries,
            unresolved,
            ambient: HashSet::new(),
        }
    }

    /// Notes the names a top-level `declare const/let/var/function/class` binds.
    fn note_ambient<'a>(&mut self, decls: impl Iterator<Item = &'a Decl>) {
        for decl in decls {
            match decl {
                Decl::Var(var) if var.declare => {
                    for d in &var.decls {
                        if let Pat::Ident(name) = &d.name {
                            self.ambient.insert(name.id.to_id());
                        }
                    }
                }
                Decl::Fn(f) if f.declare => {
                    self.ambient.insert(f.ident.to_id());
                }
                Decl::Class(c) if c.declare => {
                    self.ambient.insert(c.ident.to_id());
                }
                _ => {}
            }
        }
    }

    /// The segments of `expr` when it is a global name or a chain of static member accesses
    /// on one (or on `import.meta`): `process.env.API` → `["process", "env", "API"]`.
    fn segments(&self, expr: &Expr, out: &mut Vec<String>) -> bool {
        match expr {
            Expr::Ident(ident)
                if ident.ctxt == self.unresolved || self.ambient.contains(&ident.to_id()) =>
            {
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
    fn visit_mut_module(&mut self, module: &mut Module) {
        self.note_ambient(module.body.iter().filter_map(|item| match item {
            ModuleItem::Stmt(Stmt::Decl(decl)) => Some(decl),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(export)) => Some(&export.decl),
            _ => None,
        }));
        module.visit_mut_children_with(self);
    }

    fn visit_mut_script(&mut self, script: &mut Script) {
        self.note_ambient(script.body.iter().filter_map(|stmt| match stmt {
            Stmt::Decl(decl) => Some(decl),
            _ => None,
        }));
        script.visit_mut_children_with(self);
    }

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
