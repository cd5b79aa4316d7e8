//! CSS Modules (`*.module.css`, and `*.module.scss`/`.less`/... once the plugin host compiled
//! them to CSS), as Vite serves them (pure: no salsa, no IO). lightningcss scopes
//! every class, id, `@keyframes` (and grid, container, counter-style) name of the file
//! (`.button` → `.App-module_x1Yz_button`, the hash taken from the module id, so names are
//! stable across edits) and resolves `composes`; the module's exports are the map from each name as written to its scoped name(s).
//! The scoped text then goes through the plain-CSS rewrite (`css::rewrite`: local `@import`s
//! become `require`s, `url()`s absolute). A text that ends with its map (the plugin host's
//! `*.module.scss`: the CSS → the `.scss`) is printed with lightningcss's map composed with
//! that one, which ends the scoped text in turn: devtools show the `.scss` line of a rule.
//!
//! The factory hands the text and the names to the runtime
//! (`__hotloop_meta.cssModule(text, names, composes)`), which injects the style and returns the
//! exports: `default` is the whole map, and each name is also its own export. A CSS module swaps
//! its style in place like any stylesheet; when an edit changes the names it exports, the
//! runtime invalidates it so its importers re-run with the new names.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, RwLock};

use lightningcss::css_modules::{Config, CssModuleExports, CssModuleReference, Pattern};
use lightningcss::error::{ErrorLocation, PrinterErrorKind};
use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};
use parcel_sourcemap::SourceMap;

use crate::css::{CompiledCss, line_col, rewrite};
use crate::js_literal::push_json_string;
use crate::transform::{ImportKind, ImportRecord, factory};
use hotloop_protocol::Diagnostic;

/// `[name]` is the file name with its dots as dashes (`App-module`), `[hash]` a hash of the id.
/// lightningcss needs `[local]` last to scope grid line names (`[a-start]`).
const SCOPED_NAME_PATTERN: &str = "[name]_[hash]_[local]";

/// `x.module.css`, `x.module.scss`, ...: the names Vite treats as CSS modules (its
/// `cssModuleRE`). hotloop compiles `.css` itself; the other languages reach it as CSS from
/// the plugin host's preprocessors (`engine/plugin-host/js/css.js`, which leaves the scoping to
/// this pass).
pub fn is_css_module(path: &Path) -> bool {
    const LANGS: [&str; 9] = [
        "css", "less", "sass", "scss", "styl", "stylus", "pcss", "postcss", "sss",
    ];
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        let Some((stem, lang)) = n.rsplit_once('.') else {
            return false;
        };
        LANGS.contains(&lang) && stem.len() > ".module".len() && stem.ends_with(".module")
    })
}

/// Compiles the CSS module `text` whose module id is `id`. A file lightningcss cannot parse or
/// print (say `composes` inside a nested rule) has no code: the page keeps its last good version.
/// Rules it recovers from (an invalid selector drops its rule, as the browser would) are
/// reported without blocking the update.
pub fn compile_css_module(id: &str, text: &str) -> CompiledCss {
    let warnings = Arc::new(RwLock::new(Vec::new()));
    let options = ParserOptions {
        filename: id.to_string(),
        css_modules: Some(Config {
            pattern: Pattern::parse(SCOPED_NAME_PATTERN).expect("a valid pattern"),
            // lightningcss's defaults, as Vite's `css.transformer: "lightningcss"` uses them:
            // classes, ids, keyframes, grid lines and areas, other custom idents (which is how
            // `animation` finds its scoped keyframes), container names; `--custom-props` stay.
            ..Config::default()
        }),
        error_recovery: true,
        warnings: Some(warnings.clone()),
        ..ParserOptions::default()
    };
    let failed = |location: Option<ErrorLocation>, message: String| {
        let (line, column) = line_column(location.as_ref());
        CompiledCss {
            imports: Vec::new(),
            code: None,
            stylesheet: None,
            style: None,
            stylesheet_imports: Vec::new(),
            diagnostics: vec![Diagnostic::syntax(id, text, line, column, message)],
        }
    };
    let sheet = match StyleSheet::parse(text, options) {
        Ok(sheet) => sheet,
        Err(e) => return failed(e.loc, e.kind.to_string()),
    };
    // A text that ends with its map (a `*.module.scss` the plugin host compiled: the CSS →
    // the `.scss`) is printed with a map, which lightningcss composes with that one.
    let mut source_map = sheet
        .source_map_url(0)
        .is_some()
        .then(|| SourceMap::new("/"));
    let printed = match sheet.to_css(PrinterOptions {
        source_map: source_map.as_mut(),
        ..PrinterOptions::default()
    }) {
        Ok(printed) => printed,
        Err(e) => return failed(e.loc, printer_message(&e.kind)),
    };
    let mut code = printed.code;
    if let Some(comment) = source_map.as_mut().and_then(map_comment) {
        code.push('\n');
        code.push_str(&comment);
        code.push('\n');
    }
    let mut diagnostics: Vec<_> = warnings
        .read()
        .map(|w| {
            w.iter()
                .map(|e| {
                    let (line, column) = line_column(e.loc.as_ref());
                    Diagnostic::syntax(id, text, line, column, e.kind.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    diagnostics.dedup();

    // The printed text is lightningcss's, not the author's: point imports at the source.
    let scoped = rewrite(id, &code);
    let mut imports = scoped.imports;
    let mut searched_to = 0;
    for import in &mut imports {
        (import.line, import.column, searched_to) = locate(text, &import.specifier, searched_to);
    }
    let exports = printed.exports.unwrap_or_default();
    let names = Names::of(&exports);
    for specifier in &names.dependencies {
        if imports.iter().any(|i| &i.specifier == specifier) {
            continue;
        }
        let (line, column, _) = locate(text, specifier, 0);
        imports.push(ImportRecord {
            specifier: specifier.clone(),
            kind: ImportKind::Static,
            line,
            column,
        });
    }

    let mut body = scoped.requires;
    body.push_str("module.exports = __hotloop_meta.cssModule(");
    push_json_string(&mut body, &scoped.inline);
    body.push_str(", ");
    body.push_str(&names.object);
    if !names.composed.is_empty() {
        let _ = write!(body, ", [{}]", names.composed);
    }
    body.push_str(");");

    CompiledCss {
        imports,
        code: Some(factory(&body).into()),
        stylesheet: Some(scoped.stylesheet.into()),
        style: Some(scoped.inline.into()),
        stylesheet_imports: scoped.stylesheet_imports,
        diagnostics,
    }
}

/// The exports of a CSS module as JS source.
struct Names {
    /// `{"button": "App-module_x1Yz_button base"}`: each name with its local and global
    /// compositions, keys sorted.
    object: String,
    /// `["button", require("./base.module.css"), "base"], ...`: compositions from other files,
    /// appended by the runtime once those modules have run.
    composed: String,
    /// The specifiers `composes ... from` names, in order, once each.
    dependencies: Vec<String>,
}

impl Names {
    fn of(exports: &CssModuleExports) -> Names {
        let mut keys: Vec<&String> = exports.keys().collect();
        keys.sort();
        let mut names = Names {
            object: String::from("{"),
            composed: String::new(),
            dependencies: Vec::new(),
        };
        for (i, key) in keys.into_iter().enumerate() {
            let export = &exports[key];
            let mut value = export.name.clone();
            for reference in &export.composes {
                match reference {
                    CssModuleReference::Local { name } | CssModuleReference::Global { name } => {
                        value.push(' ');
                        value.push_str(name);
                    }
                    CssModuleReference::Dependency { name, specifier } => {
                        let composed = &mut names.composed;
                        if !composed.is_empty() {
                            composed.push_str(", ");
                        }
                        composed.push('[');
                        push_json_string(composed, key);
                        composed.push_str(", require(");
                        push_json_string(composed, specifier);
                        composed.push_str("), ");
                        push_json_string(composed, name);
                        composed.push(']');
                        if !names.dependencies.contains(specifier) {
                            names.dependencies.push(specifier.clone());
                        }
                    }
                }
            }
            if i > 0 {
                names.object.push_str(", ");
            }
            push_json_string(&mut names.object, key);
            names.object.push_str(": ");
            push_json_string(&mut names.object, &value);
        }
        names.object.push('}');
        names
    }
}

/// The printed module's map as the comment that ends the served CSS (`None` when it has no
/// mappings: the input map mapped none of its rules). The map was made relative to `/`, as
/// lightningcss's `SourceMap::new("/")` does; its sources are root-relative ids (`/src/x.scss`)
/// again.
fn map_comment(map: &mut SourceMap) -> Option<String> {
    use base64::Engine as _;
    if map.get_mappings().is_empty() {
        return None;
    }
    let json = map.to_json(None).ok()?;
    let mut map = swc_sourcemap::SourceMap::from_slice(json.as_bytes()).ok()?;
    for index in 0..map.get_source_count() {
        if let Some(source) = map.get_source(index)
            && !source.starts_with('/')
        {
            let absolute = format!("/{source}");
            map.set_source(index, absolute.into());
        }
    }
    let mut out = Vec::new();
    map.to_writer(&mut out).ok()?;
    let mut comment = String::from("/*# sourceMappingURL=data:application/json;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(&out, &mut comment);
    comment.push_str(" */");
    Some(comment)
}

/// lightningcss's printer errors, with what to do for the ones an author can cause.
fn printer_message(kind: &PrinterErrorKind) -> String {
    match kind {
        PrinterErrorKind::InvalidComposesSelector => "`composes` only works in a rule whose \
            selector is a single class: move it into a `.name { composes: other; }` rule"
            .to_string(),
        PrinterErrorKind::InvalidComposesNesting => "`composes` cannot be used inside a nested \
            rule: move it into a top-level `.name { composes: other; }` rule"
            .to_string(),
        other => other.to_string(),
    }
}

/// 1-based line and column of a lightningcss error (its lines count from 0), or the file's start.
fn line_column(location: Option<&ErrorLocation>) -> (u32, u32) {
    location.map_or((1, 1), |l| (l.line + 1, l.column.max(1)))
}

/// Line and column of the first `needle` in `text` at or after byte `from`, and the byte after
/// it (to search the next one from); `(1, 1, from)` when it is not there.
fn locate(text: &str, needle: &str, from: usize) -> (u32, u32, usize) {
    match text.get(from..).and_then(|rest| rest.find(needle)) {
        Some(at) => {
            let (line, column) = line_col(text, from + at);
            (line, column, from + at + needle.len())
        }
        None => (1, 1, from),
    }
}

#[cfg(test)]
mod tests;
