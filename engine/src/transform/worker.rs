//! Web workers (Vite's forms): `import MyWorker from './w.ts?worker'` (a constructor),
//! `'./w.ts?sharedworker'`, `'./w.ts?worker&url'` (the script's URL) and
//! `new Worker(new URL('./w.ts', import.meta.url), options)`.
//!
//! A worker runs in its own global scope, so its modules cannot come from the page's chunk: the
//! server answers [`worker_script_url`] with the runtime plus a chunk of the worker's own module
//! graph (`queries::chunks`). Each query form is a variant module of the worker file
//! (`files::ImportQuery::Worker`) whose code only names that URL, and whose one import, of kind
//! [`ImportKind::Worker`], brings the worker file into the project's graph as a worker root
//! without making the page load it. The `new URL(...)` form is rewritten to use the `?worker&url`
//! module, so both forms share one path.

use swc_core::common::{Span, SyntaxContext};
use swc_core::ecma::ast::{Expr, Lit, MemberProp, MetaPropKind, NewExpr};

use super::{CompiledModule, ImportKind, ImportRecord, factory};
use crate::js_literal::push_json_string;

/// Prefix of the URL the server answers a worker script at: `/_hotloop/worker/src/w.ts`.
pub const WORKER_SCRIPT_PREFIX: &str = "/_hotloop/worker";

/// Prefix of the URL of a worker script's source map: `/_hotloop/worker-map/src/w.ts`.
pub const WORKER_MAP_PREFIX: &str = "/_hotloop/worker-map";

/// What a worker import gives the importer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkerQuery {
    /// `?worker`: a function that constructs a `Worker` running the file.
    Dedicated,
    /// `?sharedworker`: the same for a `SharedWorker`.
    Shared,
    /// `?worker&url`: the worker script's URL.
    Url,
}

/// The URL of the script that runs module `id` as a worker.
pub fn worker_script_url(id: &str) -> String {
    format!("{WORKER_SCRIPT_PREFIX}{id}")
}

/// The URL of the source map of [`worker_script_url`]`(id)`.
pub fn worker_map_url(id: &str) -> String {
    format!("{WORKER_MAP_PREFIX}{id}")
}

/// The variant module of worker file `id` (file name `file_name`) for `query`: its code, and
/// its import of the worker file. The script's URL is under `prefix` (Vite's `base`).
pub fn worker_module(
    query: WorkerQuery,
    prefix: &str,
    id: &str,
    file_name: &str,
) -> CompiledModule {
    let mut url = String::new();
    push_json_string(&mut url, &format!("{prefix}{}", worker_script_url(id)));
    let body = match query {
        WorkerQuery::Url => format!("module.exports = {url};"),
        WorkerQuery::Dedicated => format!(
            "module.exports = function WorkerWrapper(options) {{\n  \
             return new Worker({url}, options);\n}};"
        ),
        WorkerQuery::Shared => format!(
            "module.exports = function SharedWorkerWrapper(options) {{\n  \
             return new SharedWorker({url}, options);\n}};"
        ),
    };
    CompiledModule {
        imports: vec![ImportRecord {
            specifier: format!("./{file_name}").into(),
            kind: ImportKind::Worker,
            line: 1,
            column: 1,
        }],
        code: Some(factory(&body).into()),
        ..Default::default()
    }
}

/// `new Worker(new URL('./w.ts', import.meta.url), ...)` or the same with `SharedWorker`
/// (`Worker` unbound, so the global): the specifier literal's span and text. Only relative
/// specifiers without a query are compiled: `/worker.js` (a `public/` file, say) and URLs load
/// as the browser finds them.
pub(crate) fn worker_url_argument(n: &NewExpr, unresolved: SyntaxContext) -> Option<(Span, &str)> {
    let Expr::Ident(callee) = &*n.callee else {
        return None;
    };
    if !(callee.sym == "Worker" || callee.sym == "SharedWorker") || callee.ctxt != unresolved {
        return None;
    }
    let first = n.args.as_ref()?.first().filter(|a| a.spread.is_none())?;
    let Expr::New(url) = &*first.expr else {
        return None;
    };
    module_relative_url(url, unresolved)
}

/// `new URL('./x', import.meta.url)` (`URL` the global): the specifier literal's span and text,
/// when it is relative and has no query or hash.
pub(crate) fn module_relative_url(
    url: &NewExpr,
    unresolved: SyntaxContext,
) -> Option<(Span, &str)> {
    let (span, spec) = module_url_literal(url, unresolved)?;
    let relative = spec.starts_with("./") || spec.starts_with("../");
    relative.then_some((span, spec))
}

/// `new URL('x', import.meta.url)` (`URL` the global): the specifier literal's span and text,
/// when it has no query or hash.
pub(crate) fn module_url_literal(url: &NewExpr, unresolved: SyntaxContext) -> Option<(Span, &str)> {
    let Expr::Ident(url_callee) = &*url.callee else {
        return None;
    };
    if url_callee.sym != "URL" || url_callee.ctxt != unresolved {
        return None;
    }
    let [spec, base] = url.args.as_deref()? else {
        return None;
    };
    if spec.spread.is_some() || base.spread.is_some() || !is_import_meta_url(&base.expr) {
        return None;
    }
    let Expr::Lit(Lit::Str(s)) = &*spec.expr else {
        return None;
    };
    let spec = s.value.as_atom()?.as_str();
    (!spec.contains(['?', '#'])).then_some((s.span, spec))
}

fn is_import_meta_url(e: &Expr) -> bool {
    let Expr::Member(m) = e else {
        return false;
    };
    matches!(&m.prop, MemberProp::Ident(i) if i.sym == "url")
        && matches!(&*m.obj, Expr::MetaProp(p) if p.kind == MetaPropKind::ImportMeta)
}

/// The specifier the `new URL(...)` form imports: the worker file's `?worker&url` module.
pub(crate) fn worker_url_specifier(spec: &str) -> String {
    format!("{spec}?worker&url")
}
