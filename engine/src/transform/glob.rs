//! `import.meta.glob(patterns, options)` (Vite's): the call's literal arguments, read
//! statically, and the code of the module a call becomes.
//!
//! The transform replaces each call by `require("./<file>?glob=<n>")`, the importer's `n`th glob
//! module: a virtual module of its own (`files::glob_module_path`) whose code [`glob_module`]
//! writes once the engine has listed the matching files (`queries::glob`). The importer's own
//! code therefore never depends on the file system; a file created or deleted changes only the
//! glob module, and the update propagates from it to the importer like any edited dependency.
//!
//! A variable `import()` (`./locales/${lang}.json`) is read here too, as a lazy glob of the
//! files it can name ([`variable_import`]).

use std::fmt::Write as _;
use std::sync::Arc;

use globset::GlobBuilder;
use serde::{Deserialize, Serialize};
use swc_core::ecma::ast::{
    BinaryOp, Expr, ExprOrSpread, Lit, MemberProp, MetaPropKind, Prop, PropName, PropOrSpread,
};

use super::analyze::string_literal;
use super::{CompiledModule, ImportKind, ImportRecord, factory};
use crate::js_literal::push_json_string;

/// One `import.meta.glob(...)` call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GlobImport {
    /// The patterns as written (`./pages/*.tsx`, `/src/**/*.md`); a leading `!` excludes.
    pub patterns: Vec<String>,
    /// `eager: true`: the matched modules load with the importer and the entries are their
    /// namespaces, instead of functions returning `import()` promises.
    pub eager: bool,
    /// `import: "default"` (or another export's name): each entry is that export.
    pub import: Option<String>,
    /// `query: "?raw"`, `"?react"`, `{ w: 200 }` (as `"?w=200"`): appended to every matched
    /// file's specifier, which then loads as that import would (hotloop's own queries, or the
    /// plugin that takes it: svgr's `?react`, vite-imagetools' sizes).
    pub query: Option<String>,
    /// `base`: the directory relative patterns and the keys start from (default: the
    /// importer's); `./`/`../` from the importer or `/` from the project root.
    pub base: Option<String>,
    /// `exhaustive: true`: also match inside `node_modules` and dot directories.
    pub exhaustive: bool,
    /// 1-based position of the call, for diagnostics.
    pub line: u32,
    pub column: u32,
}

/// One matched file of a glob module: the key of the result object (`./pages/a.tsx`) and the
/// specifier the glob module imports it by (relative to the importer, query included).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GlobMatch {
    pub key: Arc<str>,
    pub specifier: Arc<str>,
}

/// The specifier a call is rewritten to: `./main.ts?glob=0` for the first call in `/src/main.ts`
/// (relative, so it resolves from the importer's directory to the importer's glob module).
pub fn glob_specifier(id: &str, index: usize) -> String {
    let name = id.rsplit('/').next().unwrap_or(id);
    format!("./{name}?glob={index}")
}

/// True for the callee `import.meta.glob`.
pub(crate) fn is_glob_callee(callee: &Expr) -> bool {
    let Expr::Member(member) = callee else {
        return false;
    };
    matches!(&member.prop, MemberProp::Ident(i) if i.sym == "glob")
        && matches!(&*member.obj, Expr::MetaProp(m) if m.kind == MetaPropKind::ImportMeta)
}

/// The call's arguments as a [`GlobImport`] (position left at 0), or what is wrong with them.
pub(crate) fn parse_call(args: &[ExprOrSpread]) -> Result<GlobImport, String> {
    if args.is_empty() || args.len() > 2 || args.iter().any(|a| a.spread.is_some()) {
        return Err(
            "import.meta.glob() takes a pattern (or an array of patterns) and an \
                    optional options object"
                .into(),
        );
    }
    let patterns = match &*args[0].expr {
        Expr::Array(array) => array
            .elems
            .iter()
            .map(|e| match e {
                Some(e) if e.spread.is_none() => literal_string(&e.expr),
                _ => None,
            })
            .collect::<Option<Vec<_>>>(),
        e => literal_string(e).map(|p| vec![p]),
    }
    .ok_or(
        "import.meta.glob() patterns must be string literals: the files are listed \
            before the code runs",
    )?;
    if !patterns.iter().any(|p| !p.starts_with('!')) {
        return Err(
            "import.meta.glob() needs at least one pattern that is not a `!` exclusion".into(),
        );
    }
    for pattern in &patterns {
        check_pattern(pattern.strip_prefix('!').unwrap_or(pattern), "pattern")?;
    }
    let mut glob = GlobImport {
        patterns,
        eager: false,
        import: None,
        query: None,
        base: None,
        exhaustive: false,
        line: 0,
        column: 0,
    };
    if let Some(options) = args.get(1) {
        read_options(&options.expr, &mut glob)?;
    }
    Ok(glob)
}

/// `import(\`./locales/${lang}.json\`)` or `import('./locales/' + lang + '.json')` (Vite's
/// dynamic-import-vars): the glob of the files it can load, each substitution standing for one
/// path segment's worth of name (`./locales/*.json`); a root-absolute one
/// (`import(\`/src/pages/${name}.tsx\`)`, which Vite serves the browser as it asks) likewise,
/// the root's files it can name (a path none names, a `public/` file, is the browser's to
/// load). `None` when the argument is not such a
/// pattern (a wholly variable specifier, a URL, an alias): the runtime resolves those when the
/// call runs. A query after the last substitution (`?raw`, svgr's `?react`) becomes the glob's
/// query.
pub(crate) fn variable_import(arg: &Expr) -> Option<Result<GlobImport, String>> {
    let mut parts = Vec::new();
    if !template_parts(arg, &mut parts) {
        return None;
    }
    // (Only literals in it, `./lang/${'en'}.js`: a glob of that one file.)
    let Some(Some(first)) = parts.first() else {
        return None;
    };
    let absolute = first.starts_with('/') && !first.starts_with("//");
    if !(first.starts_with("./") || first.starts_with("../") || absolute) {
        return None;
    }
    let mut query = None;
    if let Some(Some(last)) = parts.last_mut()
        && let Some(at) = last.find('?')
    {
        query = Some(last.split_off(at));
    }
    let mut pattern = String::new();
    for part in &parts {
        match part {
            Some(text) => pattern.push_str(&globset::escape(text)),
            // `${a}${b}` is one name, not `**`.
            None if pattern.ends_with('*') => {}
            None => pattern.push('*'),
        }
    }
    let query = query.as_deref().and_then(normal_query);
    Some(Ok(GlobImport {
        patterns: vec![pattern],
        eager: false,
        import: None,
        query,
        base: None,
        exhaustive: false,
        line: 0,
        column: 0,
    }))
}

/// The literal text (`Some`) and substitutions (`None`) of a template literal or a `+` chain of
/// strings and expressions, in order; false when `e` is neither (or a `+` chain starts with a
/// non-string, which could be a number addition).
fn template_parts(e: &Expr, parts: &mut Vec<Option<String>>) -> bool {
    match e {
        Expr::Paren(p) => template_parts(&p.expr, parts),
        Expr::Lit(Lit::Str(s)) => match s.value.as_atom() {
            Some(text) => {
                push_text(parts, text);
                true
            }
            None => false,
        },
        Expr::Tpl(t) => {
            for (i, quasi) in t.quasis.iter().enumerate() {
                let Some(cooked) = quasi.cooked.as_ref().and_then(|c| c.as_atom()) else {
                    return false;
                };
                push_text(parts, cooked);
                if let Some(e) = t.exprs.get(i)
                    && !template_parts(e, parts)
                {
                    parts.push(None);
                }
            }
            true
        }
        Expr::Bin(b) if b.op == BinaryOp::Add => {
            template_parts(&b.left, parts)
                && matches!(parts.first(), Some(Some(_)))
                && (template_parts(&b.right, parts) || {
                    parts.push(None);
                    true
                })
        }
        _ => false,
    }
}

fn push_text(parts: &mut Vec<Option<String>>, text: &str) {
    match parts.last_mut() {
        Some(Some(last)) => last.push_str(text),
        _ => parts.push(Some(text.to_string())),
    }
}

fn read_options(options: &Expr, glob: &mut GlobImport) -> Result<(), String> {
    let Expr::Object(object) = options else {
        return Err("import.meta.glob() options must be an object literal".into());
    };
    let mut as_type = None;
    for prop in &object.props {
        let PropOrSpread::Prop(prop) = prop else {
            return Err("import.meta.glob() options cannot be spread".into());
        };
        let Prop::KeyValue(kv) = &**prop else {
            return Err("import.meta.glob() options must be `key: value` pairs".into());
        };
        let name = match &kv.key {
            PropName::Ident(i) => i.sym.to_string(),
            PropName::Str(s) => match s.value.as_atom() {
                Some(name) => name.to_string(),
                None => return Err("import.meta.glob() option names must be plain names".into()),
            },
            _ => return Err("import.meta.glob() option names must be plain names".into()),
        };
        let string = || {
            literal_string(&kv.value)
                .ok_or_else(|| format!("import.meta.glob() option `{name}` must be a string"))
        };
        let boolean = || match &*kv.value {
            Expr::Lit(Lit::Bool(b)) => Ok(b.value),
            _ => Err(format!(
                "import.meta.glob() option `{name}` must be true or false"
            )),
        };
        match name.as_str() {
            "eager" => glob.eager = boolean()?,
            "exhaustive" => glob.exhaustive = boolean()?,
            "import" => glob.import = Some(string()?),
            "base" => {
                let base = string()?;
                check_pattern(&base, "`base`")?;
                glob.base = Some(base);
            }
            "query" => glob.query = query_option(&kv.value)?,
            "as" => as_type = Some(string()?),
            other => {
                return Err(format!(
                    "import.meta.glob() has no option `{other}` (it takes eager, import, \
                     query, base, exhaustive)"
                ));
            }
        }
    }
    // Vite's deprecated `as: 'raw'` is `query: '?raw', import: 'default'`.
    if let Some(as_type) = as_type {
        glob.query = normal_query(&as_type);
        glob.import.get_or_insert_with(|| "default".into());
    }
    Ok(())
}

/// A query as Vite appends it: with its `?` (`"raw"` is `"?raw"`); `None` for an empty one.
fn normal_query(query: &str) -> Option<String> {
    let query = query.trim_start_matches('?');
    (!query.is_empty()).then(|| format!("?{query}"))
}

/// The `query` option: a string (`'?raw'`, `'?react'`), or an object of strings, numbers and
/// booleans (`{ w: 200, format: 'webp' }`), written as Vite's `stringifyQuery` (ufo's) writes
/// it: `?w=200&format=webp`, a key alone for an empty string.
fn query_option(value: &Expr) -> Result<Option<String>, String> {
    if let Some(query) = literal_string(value) {
        return Ok(normal_query(&query));
    }
    let shape = || {
        "import.meta.glob() `query` must be a string ('?raw', '?url', a plugin's query) or an \
         object literal of strings, numbers and booleans"
            .to_string()
    };
    let Expr::Object(object) = value else {
        return Err(shape());
    };
    let mut query = String::new();
    for prop in &object.props {
        let PropOrSpread::Prop(prop) = prop else {
            return Err(shape());
        };
        let Prop::KeyValue(kv) = &**prop else {
            return Err(shape());
        };
        let key = match &kv.key {
            PropName::Ident(i) => i.sym.to_string(),
            PropName::Str(s) => s.value.as_atom().ok_or_else(shape)?.to_string(),
            _ => return Err(shape()),
        };
        let value = match &*kv.value {
            Expr::Lit(Lit::Num(n)) => n.value.to_string(),
            Expr::Lit(Lit::Bool(b)) => b.value.to_string(),
            e => literal_string(e).ok_or_else(shape)?,
        };
        query.push(if query.is_empty() { '?' } else { '&' });
        push_query_part(&mut query, &key);
        if !value.is_empty() {
            query.push('=');
            push_query_part(&mut query, &value);
        }
    }
    Ok((!query.is_empty()).then_some(query))
}

/// `text` percent-encoded as ufo's `encodeQueryValue` leaves it: what `encodeURI` keeps stays
/// (`;`, `,`, `:`), except the query's own separators (`&`, `#`, `+`, `/`, `=`); a space is `+`.
fn push_query_part(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => out.push(byte as char),
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' | b';' | b',' | b':'
            | b'@' | b'$' | b'?' => out.push(byte as char),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// Whether a glob pattern starts with `./`, `../` or `/`: anything else must start with a
/// `resolve.alias` (`@/pages/*.ts`, replaced when the files are listed: `queries::glob`).
pub fn is_rooted_pattern(pattern: &str) -> bool {
    pattern.starts_with("./") || pattern.starts_with("../") || pattern.starts_with('/')
}

/// What a pattern (or `base`) that no alias makes rooted is told.
pub fn unrooted_pattern_message(pattern: &str, what: &str) -> String {
    format!(
        "import.meta.glob() {what} '{pattern}' must start with './', '../' (from this file), \
         '/' (from the project root) or a resolve.alias of the config"
    )
}

/// A pattern must be a glob hotloop can match; `base` must be relative to the importer or to
/// the project root. (A pattern's alias is replaced when the files are listed.)
fn check_pattern(pattern: &str, what: &str) -> Result<(), String> {
    if what != "pattern" && !is_rooted_pattern(pattern) {
        return Err(unrooted_pattern_message(pattern, what));
    }
    if what == "pattern" {
        GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                format!(
                    "import.meta.glob() pattern '{pattern}' is not a valid glob: {}",
                    e.kind()
                )
            })?;
    }
    Ok(())
}

/// A string literal or a template literal without substitutions.
fn literal_string(e: &Expr) -> Option<String> {
    string_literal(e).map(|(text, _)| text.to_string())
}

/// The glob module: `module.exports = { "<key>": <entry>, ... }`, an entry being
/// `() => require.dynamic(spec)` (lazy) or `require.namespace(spec)` (eager), or that module's
/// `import` export. Its imports are the matched files (static when eager).
pub fn glob_module(glob: &GlobImport, matches: &[GlobMatch]) -> CompiledModule {
    let mut body = String::with_capacity(32 + matches.len() * 96);
    body.push_str("module.exports = {");
    let import = glob.import.as_deref().map(|name| {
        let mut access = String::from("[");
        push_json_string(&mut access, name);
        access.push(']');
        access
    });
    for m in matches {
        body.push_str("\n  ");
        push_json_string(&mut body, &m.key);
        body.push_str(": ");
        let mut spec = String::new();
        push_json_string(&mut spec, &m.specifier);
        match (glob.eager, &import) {
            (true, None) => {
                let _ = write!(body, "require.namespace({spec})");
            }
            (true, Some(access)) => {
                let _ = write!(body, "require.namespace({spec}){access}");
            }
            (false, None) => {
                let _ = write!(body, "() => require.dynamic({spec})");
            }
            (false, Some(access)) => {
                let _ = write!(body, "() => require.dynamic({spec}).then((m) => m{access})");
            }
        }
        body.push(',');
    }
    body.push_str(if matches.is_empty() { "};" } else { "\n};" });
    let kind = if glob.eager {
        ImportKind::Static
    } else {
        ImportKind::Dynamic
    };
    CompiledModule {
        imports: matches
            .iter()
            .map(|m| ImportRecord {
                specifier: m.specifier.clone(),
                kind,
                line: glob.line,
                column: glob.column,
            })
            .collect(),
        code: Some(factory(&body).into()),
        ..Default::default()
    }
}
