//! One read-only walk over a module (after the TypeScript and React passes, before any
//! rewriting) that collects the facts the engine needs: its imports in source order, what it
//! says to `import.meta.hot`, its export names (for the React Refresh boundary rule), whether
//! React Refresh registered a component, and whether it uses top-level `await`.

use rustc_hash::FxHashSet;
use swc_core::common::{SourceMap, Span, SyntaxContext};
use swc_core::ecma::ast::{
    ArrowExpr, AwaitExpr, BinExpr, BinaryOp, CallExpr, Callee, ClassDecl, CondExpr, Decl,
    DefaultDecl, ExportAll, ExportDecl, ExportDefaultDecl, ExportDefaultExpr, ExportSpecifier,
    Expr, ForOfStmt, Function, Id, Ident, IfStmt, ImportDecl, ImportSpecifier, Lit, MemberExpr,
    MemberProp, MetaPropKind, ModuleExportName, NamedExport, NewExpr, OptCall, OptChainBase, Pat,
    Str, TsExportAssignment, TsImportEqualsDecl, TsModuleName, UsingDecl, VarDecl, VarDeclKind,
};
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{Visit, VisitWith};

use super::asset_url;
use super::fold::truthiness;
use super::glob::{self, GlobImport};
use super::worker;
use super::{HotFacts, ImportKind, ImportRecord};

/// What [`analyze`] found.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub imports: Vec<ImportRecord>,
    pub hot: HotFacts,
    /// At least one export exists and every exported name is PascalCase.
    pub exports_all_components: bool,
    /// The first exported name that is not PascalCase (`*` for `export * from`).
    pub first_other_export: Option<String>,
    /// Every export name the module declares (`default` included), in source order, and the
    /// specifiers of its `export * from`.
    pub export_names: Vec<String>,
    pub star_from: Vec<String>,
    /// The names each import takes, by its index in `imports` (see `ImportNames`).
    pub import_names: Vec<(usize, Vec<String>)>,
    /// What it exports cannot be read from its ESM syntax: TypeScript's `export =`, or it
    /// refers to a free `module` or `exports` (a UMD wrapper, `module.exports = ...`).
    pub exports_unknown: bool,
    /// It refers to a free `module` or `exports`.
    pub commonjs_globals: bool,
    /// TypeScript's `export =`.
    pub export_assignment: bool,
    /// React Refresh emitted at least one `$RefreshReg$(..)`.
    pub registers_component: bool,
    /// Span of the first top-level `await` (a factory function cannot contain one).
    pub top_level_await: Option<Span>,
    /// The first `let`/`const`/`class` binding declared twice in one scope (an early error
    /// the parser does not report, but the browser would when evaluating the factory).
    pub redeclared: Option<(String, Span)>,
    /// The `import.meta.glob(...)` calls, in source order: the call's span and the specifier
    /// of its glob module (`Rewrite` replaces the call by `require(<specifier>)`).
    pub globs: Vec<(Span, String, GlobImport)>,
    /// The first `import.meta.glob(...)` call whose arguments hotloop cannot read.
    pub invalid_glob: Option<(String, Span)>,
    /// `'./w.ts'` in `new Worker(new URL('./w.ts', import.meta.url))`: the literal's span and
    /// the specifier of the worker's `?worker&url` module (`Rewrite` replaces the literal by
    /// `require(<specifier>)`).
    pub worker_urls: Vec<(Span, String)>,
    /// `'./tex.png'` in `new URL('./tex.png', import.meta.url)`: the literal's span, the
    /// specifier of the file's `?url` module and the literal's text (`Rewrite` replaces the
    /// literal by `require.u(<specifier>, <text>)`; see `super::asset_url`).
    pub asset_urls: Vec<(Span, String, String)>,
}

pub(crate) fn analyze<'a, N: for<'x> VisitWith<Analyzer<'x>>>(
    node: &N,
    id: &'a str,
    cm: &'a SourceMap,
    unresolved: SyntaxContext,
) -> Analysis {
    let mut a = Analyzer {
        id,
        cm,
        unresolved,
        out: Analysis::default(),
        exports: Exports::None,
        fn_depth: 0,
        lexical: FxHashSet::default(),
    };
    node.visit_with(&mut a);
    let mut out = a.out;
    out.exports_all_components = matches!(a.exports, Exports::AllPascal);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exports {
    None,
    AllPascal,
    Other,
}

pub(crate) struct Analyzer<'a> {
    /// The module id (names the module's glob modules).
    id: &'a str,
    cm: &'a SourceMap,
    unresolved: SyntaxContext,
    out: Analysis,
    exports: Exports,
    fn_depth: u32,
    /// Lexically declared bindings seen so far (the resolver gives each scope its own context).
    lexical: FxHashSet<Id>,
}

impl Analyzer<'_> {
    fn record(&mut self, s: &Str, kind: ImportKind) {
        if let Some(spec) = s.value.as_atom() {
            self.record_spec(spec, s.span, kind);
        }
    }

    fn record_spec(&mut self, spec: &str, span: Span, kind: ImportKind) {
        let (line, column) = line_col(self.cm, span);
        self.out.imports.push(ImportRecord {
            specifier: spec.into(),
            kind,
            line,
            column,
        });
    }

    /// The names the import just recorded takes (see `ImportRecord::names`).
    fn names_of_last(&mut self, names: Vec<String>) {
        if let Some(index) = self.out.imports.len().checked_sub(1)
            && !names.is_empty()
        {
            self.out.import_names.push((index, names));
        }
    }

    /// Records an export name (see `export_names`); `export_name` also judges it for the
    /// Refresh boundary.
    fn exported(&mut self, name: &ModuleExportName) {
        if let Some(name) = module_export_name(name) {
            self.out.export_names.push(name);
        }
    }

    fn export_name(&mut self, name: &str) {
        if !is_pascal_case(name) && self.out.first_other_export.is_none() {
            self.out.first_other_export = Some(name.to_string());
        }
        self.exports = match self.exports {
            Exports::None | Exports::AllPascal if is_pascal_case(name) => Exports::AllPascal,
            _ => Exports::Other,
        };
    }

    fn declare_lexical(&mut self, ident: &Ident) {
        if !self.lexical.insert(ident.to_id()) && self.out.redeclared.is_none() {
            self.out.redeclared = Some((ident.sym.to_string(), ident.span));
        }
    }

    /// `import.meta.glob(args)`: a `Glob` import of the module's next glob module.
    fn glob_call(&mut self, span: Span, args: &[swc_core::ecma::ast::ExprOrSpread]) {
        self.glob(span, glob::parse_call(args));
    }

    /// A glob call or variable `import()` at `span`: a `Glob` import of the module's next glob
    /// module, or the error that the call is.
    fn glob(&mut self, span: Span, call: Result<GlobImport, String>) {
        match call {
            Ok(mut call) => {
                (call.line, call.column) = line_col(self.cm, span);
                let spec = glob::glob_specifier(self.id, self.out.globs.len());
                self.record_spec(&spec, span, ImportKind::Glob);
                self.out.globs.push((span, spec, call));
            }
            Err(message) => {
                self.out.invalid_glob.get_or_insert((message, span));
            }
        }
    }

    fn export_other(&mut self) {
        self.out
            .first_other_export
            .get_or_insert_with(|| "*".to_string());
        self.exports = Exports::Other;
    }

    /// `import.meta.hot.<method>(args)`, called directly or through `?.`.
    fn hot_call(&mut self, callee: &Expr, args: &[swc_core::ecma::ast::ExprOrSpread]) {
        let Some(method) = hot_method(callee) else {
            return;
        };
        let first = args
            .first()
            .filter(|a| a.spread.is_none())
            .map(|a| &*a.expr);
        match method {
            "accept" => match first.map(unparen) {
                Some(Expr::Lit(Lit::Str(s))) => self.accept_dep(s),
                Some(Expr::Array(arr)) => {
                    for e in arr.elems.iter().flatten() {
                        if let (None, Expr::Lit(Lit::Str(s))) = (e.spread, unparen(&e.expr)) {
                            self.accept_dep(s);
                        }
                    }
                }
                _ => self.out.hot.self_accepts = true,
            },
            // Vite's partial self-accept (Svelte 5 writes `acceptExports(["default"], cb)` for
            // a component with a `<script module>` export, every mdsvex page): a boundary, as
            // the runtime takes it. (Vite also re-runs an importer that reads an export not
            // listed; here such an importer keeps the value it read.)
            "acceptExports" => self.out.hot.self_accepts = true,
            "dispose" => self.out.hot.has_dispose = true,
            "prune" => self.out.hot.has_prune = true,
            "invalidate" => self.out.hot.uses_invalidate = true,
            _ => {}
        }
    }

    fn accept_dep(&mut self, s: &Str) {
        let Some(spec) = s.value.as_atom() else {
            return;
        };
        let hot = &mut self.out.hot;
        if !hot.accepted_deps.iter().any(|d| &**d == spec.as_str()) {
            let mut deps = std::mem::take(&mut hot.accepted_deps).into_vec();
            deps.push(spec.as_str().into());
            hot.accepted_deps = deps.into_boxed_slice();
        }
        self.record(s, ImportKind::HotAccept);
    }

    /// The specifier of `import(x)` / `require(x)` when `x` is a string literal or a template
    /// literal without substitutions. (`import()` may take a second, options argument.)
    fn specifier_arg<'e>(
        &self,
        args: &'e [swc_core::ecma::ast::ExprOrSpread],
    ) -> Option<(&'e str, Span)> {
        let first = args.first().filter(|a| a.spread.is_none())?;
        string_literal(unparen(&first.expr))
    }
}

/// An export's or import's name as written (`x`, or `"a b"` in `export { x as "a b" }`).
fn module_export_name(name: &ModuleExportName) -> Option<String> {
    match name {
        ModuleExportName::Ident(i) => Some(i.sym.to_string()),
        ModuleExportName::Str(s) => s.value.as_atom().map(|a| a.to_string()),
    }
}

/// The text of a string literal or of a template literal without substitutions, and its span.
pub(crate) fn string_literal(e: &Expr) -> Option<(&str, Span)> {
    match e {
        Expr::Lit(Lit::Str(s)) => Some((s.value.as_atom()?.as_str(), s.span)),
        Expr::Tpl(t) if t.exprs.is_empty() && t.quasis.len() == 1 => {
            let cooked = t.quasis[0].cooked.as_ref()?.as_atom()?;
            Some((cooked.as_str(), t.span))
        }
        _ => None,
    }
}

impl Visit for Analyzer<'_> {
    fn visit_import_decl(&mut self, n: &ImportDecl) {
        if !n.type_only {
            self.record(&n.src, ImportKind::Static);
            let names = n
                .specifiers
                .iter()
                .filter_map(|s| match s {
                    ImportSpecifier::Named(s) if !s.is_type_only => match &s.imported {
                        Some(imported) => module_export_name(imported),
                        None => Some(s.local.sym.to_string()),
                    },
                    ImportSpecifier::Default(_) => Some("default".to_string()),
                    _ => None,
                })
                .collect();
            self.names_of_last(names);
        }
    }

    fn visit_export_all(&mut self, n: &ExportAll) {
        if !n.type_only {
            self.record(&n.src, ImportKind::ReExport);
            if let Some(spec) = n.src.value.as_atom() {
                self.out.star_from.push(spec.to_string());
            }
            // Unknown names: never a Refresh boundary.
            self.export_other();
        }
    }

    fn visit_named_export(&mut self, n: &NamedExport) {
        if n.type_only {
            return;
        }
        if let Some(src) = &n.src {
            self.record(src, ImportKind::ReExport);
            let names = n
                .specifiers
                .iter()
                .filter_map(|s| match s {
                    ExportSpecifier::Named(s) if !s.is_type_only => module_export_name(&s.orig),
                    ExportSpecifier::Default(_) => Some("default".to_string()),
                    _ => None,
                })
                .collect();
            self.names_of_last(names);
        }
        for s in &n.specifiers {
            if matches!(s, ExportSpecifier::Named(n) if n.is_type_only) {
                continue;
            }
            match s {
                ExportSpecifier::Named(s) => self.exported(s.exported.as_ref().unwrap_or(&s.orig)),
                ExportSpecifier::Namespace(s) => self.exported(&s.name),
                ExportSpecifier::Default(s) => {
                    self.out.export_names.push(s.exported.sym.to_string())
                }
            }
            match s {
                ExportSpecifier::Named(s) => {
                    // A component under another name is still one (`export { Index as
                    // component }`, TanStack Router's split route modules): the refresh
                    // runtime checks the exported values when the update applies.
                    let name = match (&s.orig, &s.exported) {
                        (ModuleExportName::Ident(orig), Some(_)) if is_pascal_case(&orig.sym) => {
                            &s.orig
                        }
                        (orig, exported) => exported.as_ref().unwrap_or(orig),
                    };
                    match name {
                        ModuleExportName::Ident(i) => self.export_name(&i.sym),
                        _ => self.export_other(),
                    }
                }
                ExportSpecifier::Namespace(_) | ExportSpecifier::Default(_) => self.export_other(),
            }
        }
    }

    fn visit_export_decl(&mut self, n: &ExportDecl) {
        let names: Vec<Id> = match &n.decl {
            Decl::Fn(f) => vec![f.ident.to_id()],
            Decl::Class(c) => vec![c.ident.to_id()],
            Decl::Var(v) => find_pat_ids(&v.decls),
            Decl::TsEnum(e) => vec![e.id.to_id()],
            Decl::TsModule(m) => match &m.id {
                TsModuleName::Ident(i) => vec![i.to_id()],
                TsModuleName::Str(_) => Vec::new(),
            },
            Decl::Using(u) => find_pat_ids(&u.decls),
            Decl::TsInterface(_) | Decl::TsTypeAlias(_) => Vec::new(),
        };
        self.out
            .export_names
            .extend(names.into_iter().map(|(sym, _)| sym.to_string()));
        match &n.decl {
            Decl::Fn(f) => self.export_name(&f.ident.sym),
            Decl::Class(c) => self.export_name(&c.ident.sym),
            Decl::Var(v) => {
                for d in &v.decls {
                    match &d.name {
                        Pat::Ident(i) => self.export_name(&i.id.sym),
                        _ => self.export_other(),
                    }
                }
            }
            // Types leave no runtime export; anything else (enums, namespaces) is a value.
            Decl::TsInterface(_) | Decl::TsTypeAlias(_) => {}
            _ => self.export_other(),
        }
        n.visit_children_with(self);
    }

    fn visit_export_default_decl(&mut self, n: &ExportDefaultDecl) {
        if !matches!(n.decl, DefaultDecl::TsInterfaceDecl(_)) {
            self.out.export_names.push("default".to_string());
        }
        match &n.decl {
            DefaultDecl::Fn(f) => match &f.ident {
                Some(i) => self.export_name(&i.sym),
                None => self.export_other(),
            },
            DefaultDecl::Class(c) => match &c.ident {
                Some(i) => self.export_name(&i.sym),
                None => self.export_other(),
            },
            DefaultDecl::TsInterfaceDecl(_) => {}
        }
        n.visit_children_with(self);
    }

    fn visit_export_default_expr(&mut self, n: &ExportDefaultExpr) {
        self.out.export_names.push("default".to_string());
        match unparen(&n.expr) {
            Expr::Ident(i) => self.export_name(&i.sym),
            _ => self.export_other(),
        }
        n.visit_children_with(self);
    }

    fn visit_ts_export_assignment(&mut self, n: &TsExportAssignment) {
        self.out.exports_unknown = true;
        self.out.export_assignment = true;
        self.export_other();
        n.visit_children_with(self);
    }

    fn visit_ts_import_equals_decl(&mut self, n: &TsImportEqualsDecl) {
        if n.is_export {
            self.out.export_names.push(n.id.sym.to_string());
            self.export_other();
        }
        n.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, n: &CallExpr) {
        match &n.callee {
            Callee::Import(_) => {
                if let Some((spec, span)) = self.specifier_arg(&n.args) {
                    self.record_spec(spec, span, ImportKind::Dynamic);
                } else if let Some(first) = n.args.first().filter(|a| a.spread.is_none())
                    && let Some(call) = glob::variable_import(&first.expr)
                {
                    self.glob(n.span, call);
                }
            }
            Callee::Expr(callee) if glob::is_glob_callee(callee) => {
                self.glob_call(n.span, &n.args);
            }
            Callee::Expr(callee) => {
                if let Expr::Ident(i) = &**callee {
                    if i.sym == "require" && i.ctxt == self.unresolved && n.args.len() == 1 {
                        if let Some((spec, span)) = self.specifier_arg(&n.args) {
                            self.record_spec(spec, span, ImportKind::Require);
                        }
                    } else if i.sym == "$RefreshReg$" {
                        self.out.registers_component = true;
                    }
                }
                self.hot_call(callee, &n.args);
            }
            Callee::Super(_) => {}
        }
        n.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, n: &NewExpr) {
        if let Some((span, spec)) = worker::worker_url_argument(n, self.unresolved) {
            let spec = worker::worker_url_specifier(spec);
            self.record_spec(&spec, span, ImportKind::Static);
            self.out.worker_urls.push((span, spec));
        } else if let Some((span, spec)) = asset_url::asset_url_argument(n, self.unresolved)
            && !self.out.worker_urls.iter().any(|(at, _)| *at == span)
        {
            let required = asset_url::asset_url_specifier(spec);
            self.record_spec(&required, span, ImportKind::AssetUrl);
            self.out.asset_urls.push((span, required, spec.to_string()));
        }
        n.visit_children_with(self);
    }

    fn visit_opt_call(&mut self, n: &OptCall) {
        self.hot_call(&n.callee, &n.args);
        n.visit_children_with(self);
    }

    fn visit_ident(&mut self, n: &Ident) {
        if n.ctxt == self.unresolved && (n.sym == "module" || n.sym == "exports") {
            self.out.exports_unknown = true;
            self.out.commonjs_globals = true;
        }
    }

    fn visit_member_expr(&mut self, n: &MemberExpr) {
        if is_prop(&n.prop, "data") && is_import_meta_hot(&n.obj) {
            self.out.hot.uses_data = true;
        }
        n.visit_children_with(self);
    }

    fn visit_if_stmt(&mut self, n: &IfStmt) {
        match truthiness(&n.test, self.unresolved) {
            Some(true) => n.cons.visit_with(self),
            Some(false) => n.alt.visit_with(self),
            None => n.visit_children_with(self),
        }
    }

    fn visit_cond_expr(&mut self, n: &CondExpr) {
        match truthiness(&n.test, self.unresolved) {
            Some(true) => n.cons.visit_with(self),
            Some(false) => n.alt.visit_with(self),
            None => n.visit_children_with(self),
        }
    }

    fn visit_bin_expr(&mut self, n: &BinExpr) {
        let skip_right = match n.op {
            BinaryOp::LogicalAnd => truthiness(&n.left, self.unresolved) == Some(false),
            BinaryOp::LogicalOr => truthiness(&n.left, self.unresolved) == Some(true),
            _ => false,
        };
        if skip_right {
            n.left.visit_with(self);
        } else {
            n.visit_children_with(self);
        }
    }

    fn visit_function(&mut self, n: &Function) {
        self.fn_depth += 1;
        n.visit_children_with(self);
        self.fn_depth -= 1;
    }

    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        self.fn_depth += 1;
        n.visit_children_with(self);
        self.fn_depth -= 1;
    }

    fn visit_await_expr(&mut self, n: &AwaitExpr) {
        if self.fn_depth == 0 && self.out.top_level_await.is_none() {
            self.out.top_level_await = Some(n.span);
        }
        n.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, n: &ForOfStmt) {
        if n.is_await && self.fn_depth == 0 && self.out.top_level_await.is_none() {
            self.out.top_level_await = Some(n.span);
        }
        n.visit_children_with(self);
    }

    fn visit_var_decl(&mut self, n: &VarDecl) {
        if n.kind != VarDeclKind::Var {
            for d in &n.decls {
                for ident in find_pat_ids::<_, Ident>(&d.name) {
                    self.declare_lexical(&ident);
                }
            }
        }
        n.visit_children_with(self);
    }

    fn visit_class_decl(&mut self, n: &ClassDecl) {
        self.declare_lexical(&n.ident);
        n.visit_children_with(self);
    }

    fn visit_using_decl(&mut self, n: &UsingDecl) {
        for d in &n.decls {
            for ident in find_pat_ids::<_, Ident>(&d.name) {
                self.declare_lexical(&ident);
            }
        }
        if n.is_await && self.fn_depth == 0 && self.out.top_level_await.is_none() {
            self.out.top_level_await = Some(n.span);
        }
        n.visit_children_with(self);
    }
}

/// 1-based line and column (in characters) of the start of `span`; `(1, 1)` for a synthetic
/// node (such as the `react/jsx-dev-runtime` import the JSX pass adds).
pub(crate) fn line_col(cm: &SourceMap, span: Span) -> (u32, u32) {
    if span.lo.is_dummy() {
        return (1, 1);
    }
    let loc = cm.lookup_char_pos(span.lo);
    (loc.line as u32, loc.col.0 as u32 + 1)
}

/// `Foo`, `FooBar`, `App2`: what React Refresh treats as a component name.
pub(crate) fn is_pascal_case(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// `(x)`, `x!`, `x as T`, `x satisfies T`, `x as const` → `x`.
pub(super) fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        Expr::TsNonNull(t) => unparen(&t.expr),
        Expr::TsAs(t) => unparen(&t.expr),
        Expr::TsSatisfies(t) => unparen(&t.expr),
        Expr::TsConstAssertion(t) => unparen(&t.expr),
        _ => e,
    }
}

fn is_prop(p: &MemberProp, name: &str) -> bool {
    matches!(p, MemberProp::Ident(i) if i.sym == name)
}

/// `import.meta.hot`, `import.meta?.hot`, `(import.meta).hot`.
fn is_import_meta_hot(e: &Expr) -> bool {
    let member = match unparen(e) {
        Expr::Member(m) => m,
        Expr::OptChain(o) => match &*o.base {
            OptChainBase::Member(m) => m,
            OptChainBase::Call(_) => return false,
        },
        _ => return false,
    };
    is_prop(&member.prop, "hot")
        && matches!(unparen(&member.obj), Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta)
}

/// `method` when `callee` is `import.meta.hot.method` or `import.meta.hot?.method`.
fn hot_method(callee: &Expr) -> Option<&str> {
    let member = match unparen(callee) {
        Expr::Member(m) => m,
        Expr::OptChain(o) => match &*o.base {
            OptChainBase::Member(m) => m,
            OptChainBase::Call(_) => return None,
        },
        _ => return None,
    };
    match &member.prop {
        MemberProp::Ident(i) if is_import_meta_hot(&member.obj) => Some(&i.sym),
        _ => None,
    }
}
