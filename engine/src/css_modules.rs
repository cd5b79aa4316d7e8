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
//! (`$meta.cssModule(text, names, composes)`), which injects the style and returns the
//! exports: `default` is the whole map, and each name is also its own export. A CSS module swaps
//! its style in place like any stylesheet; when an edit changes the names it exports, the
//! runtime invalidates it so its importers re-run with the new names.
//!
//! lightningcss is here for CSS Modules only: it costs ~25 s of a clean debug build and ~50 s
//! CPU of a release build (it brings its own cssparser and parcel_selectors), so plain
//! stylesheets do not go through it and their text is served as written. Its `sourcemap`
//! feature (parcel_sourcemap) is what composes a preprocessor's map with its own.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, RwLock};

use lightningcss::css_modules::{Config, CssModuleExports, CssModuleReference, Pattern};
use lightningcss::error::{ErrorLocation, ParserError, PrinterErrorKind};
use lightningcss::stylesheet::{ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Features, Targets};
use lightningcss::traits::ToCss as _;
use parcel_sourcemap::SourceMap;

use crate::css::{CompiledCss, line_col, rewrite};
use crate::js_literal::push_json_string;
use crate::transform::{ImportKind, ImportRecord, factory};
use hotloop_protocol::Diagnostic;

/// What the printer writes as the author did, where lightningcss would write newer syntax:
/// a media query's `max-width: 600px` (which it parses as a range) stays that, not
/// `width <= 600px`, which Safari before 16.4 drops. Vite's dev server never rewrites a CSS
/// Module's queries; a range the author wrote becomes the `min-`/`max-` form, which means the
/// same.
const PRINTED_AS_WRITTEN: Targets = Targets {
    browsers: None,
    include: Features::MediaRangeSyntax.union(Features::MediaIntervalSyntax),
    exclude: Features::empty(),
};

/// `[name]` is the file name with its dots as dashes (`App-module`), `[hash]` a hash of the id.
/// lightningcss needs `[local]` last to scope grid line names (`[a-start]`).
const SCOPED_NAME_PATTERN: &str = "[name]_[hash]_[local]";

/// Vite's `css.modules`, the parts hotloop honours.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CssModulesOptions {
    /// `css.modules: false`: a `*.module.css` file is a plain stylesheet.
    pub enabled: bool,
    /// `generateScopedName` as a lightningcss pattern (see [`scoped_name_pattern`]); `None`:
    /// hotloop's.
    pub pattern: Option<String>,
    /// `localsConvention`: the names a module exports besides (or instead of) those written.
    pub locals_convention: LocalsConvention,
    /// `globalModulePaths`: patterns (the `regex` crate's syntax) of files that are plain
    /// stylesheets though named like modules.
    pub global_module_paths: Arc<[String]>,
}

impl Default for CssModulesOptions {
    fn default() -> Self {
        CssModulesOptions {
            enabled: true,
            pattern: None,
            locals_convention: LocalsConvention::AsWritten,
            global_module_paths: Arc::new([]),
        }
    }
}

impl CssModulesOptions {
    /// Whether the stylesheet at `path` is compiled as a CSS module.
    pub fn applies_to(&self, path: &Path) -> bool {
        self.enabled
            && is_css_module(path)
            && !self.global_module_paths.iter().any(|pattern| {
                regex::Regex::new(pattern)
                    .is_ok_and(|re| re.is_match(&path.to_string_lossy().replace('\\', "/")))
            })
    }
}

/// postcss-modules' `localsConvention`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocalsConvention {
    AsWritten,
    /// `.foo-bar` exports `foo-bar` and `fooBar`.
    CamelCase,
    /// `fooBar` alone.
    CamelCaseOnly,
    /// Only dashes are camel-cased: `.foo-bar_baz` exports `foo-bar_baz` and `fooBar_baz`.
    Dashes,
    /// `fooBar_baz` alone.
    DashesOnly,
}

impl LocalsConvention {
    /// The names a class written `name` is exported as.
    fn names(self, name: &str) -> Vec<String> {
        let both = |other: String| {
            if other == name {
                vec![other]
            } else {
                vec![name.to_string(), other]
            }
        };
        match self {
            LocalsConvention::AsWritten => vec![name.to_string()],
            LocalsConvention::CamelCase => both(camel_case(name)),
            LocalsConvention::CamelCaseOnly => vec![camel_case(name)],
            LocalsConvention::Dashes => both(dashes_camel_case(name)),
            LocalsConvention::DashesOnly => vec![dashes_camel_case(name)],
        }
    }

    /// The name another module exports a class written `name` by (for `composes ... from`,
    /// whose modules follow the same convention).
    fn exported(self, name: &str) -> String {
        match self {
            LocalsConvention::CamelCaseOnly => camel_case(name),
            LocalsConvention::DashesOnly => dashes_camel_case(name),
            _ => name.to_string(),
        }
    }
}

/// lodash's `camelCase`, which postcss-modules uses: words split at anything not a letter or
/// digit, at a lower-to-upper case change, before the last capital of a run of capitals
/// followed by a small letter, and between letters and digits; the first word in lower case,
/// each other capitalised.
fn camel_case(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if let Some(prev) = word.chars().last() {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() != c.is_alphabetic())
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(|n| n.is_lowercase()));
            if boundary {
                words.push(std::mem::take(&mut word));
            }
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::with_capacity(name.len());
    for (i, word) in words.iter().enumerate() {
        let lower = word.to_lowercase();
        if i == 0 {
            out.push_str(&lower);
        } else {
            let mut chars = lower.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        }
    }
    out
}

/// postcss-modules' `dashesCamelCase`: `-+(\w)` → the character in upper case.
fn dashes_camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '-' {
            out.push(c);
            continue;
        }
        let mut dashes = String::from("-");
        while chars.peek() == Some(&'-') {
            dashes.push('-');
            chars.next();
        }
        match chars.peek() {
            Some(&w) if w.is_alphanumeric() || w == '_' => {
                out.extend(w.to_uppercase());
                chars.next();
            }
            _ => out.push_str(&dashes),
        }
    }
    out
}

/// postcss-modules' `generateScopedName` string (`[name]__[local]___[hash:base64:5]`) as a
/// lightningcss pattern: `[hash:...]` is lightningcss's `[hash]` (its own length and alphabet),
/// `[contenthash...]` its `[content-hash]`. An error names a placeholder it has no equal of
/// (`[path]`, `[folder]`, `[ext]`, `[emoji]`).
///
/// A pattern without `[local]` (`[hash:base64:6]`) names each class by a hash of the file and
/// the class in postcss-modules; lightningcss's `[hash]` is the file's alone, which would give
/// every class of a file the same name. Its hash is written as [`LOCAL_HASH_OPEN`], the length,
/// `_`, `[local]` and [`LOCAL_HASH_CLOSE`], which the compile replaces by a hash of the file
/// and the name of that length ([`compile_css_module`]).
pub fn scoped_name_pattern(generate_scoped_name: &str) -> Result<String, String> {
    let per_local = !generate_scoped_name.contains("[local]");
    let mut out = String::with_capacity(generate_scoped_name.len());
    let mut rest = generate_scoped_name;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find(']') else {
            return Err(format!(
                "'{generate_scoped_name}' has a '[' without its ']'"
            ));
        };
        let placeholder = &rest[start..start + end + 1];
        let mut parts = placeholder[1..placeholder.len() - 1].split(':');
        let name = parts.next().unwrap_or("");
        if per_local && name == "hash" {
            let length = parts
                .filter_map(|p| p.parse::<usize>().ok())
                .next()
                .unwrap_or(DEFAULT_LOCAL_HASH_LENGTH)
                .clamp(1, 32);
            let _ = write!(out, "{LOCAL_HASH_OPEN}{length}_[local]{LOCAL_HASH_CLOSE}");
            rest = &rest[start + end + 1..];
            continue;
        }
        out.push_str(match name {
            "name" => "[name]",
            "local" => "[local]",
            "hash" => "[hash]",
            "contenthash" | "content-hash" => "[content-hash]",
            _ => {
                return Err(format!(
                    "{placeholder} in '{generate_scoped_name}' is not one hotloop has \
                     ([name], [local], [hash] and [contenthash] are)"
                ));
            }
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Pattern::parse(&out).map_err(|e| format!("'{generate_scoped_name}': {e}"))?;
    Ok(out)
}

/// Where a pattern without `[local]` has its per-name hash ([`scoped_name_pattern`]): between
/// these, its length, `_` and the local name.
const LOCAL_HASH_OPEN: &str = "hlq7H";
const LOCAL_HASH_CLOSE: &str = "H7qlh";
/// postcss-modules' `[hash]` without a length.
const DEFAULT_LOCAL_HASH_LENGTH: usize = 6;

/// `text` with each per-name hash of a pattern without `[local]` (see [`scoped_name_pattern`])
/// made: a hash of the file `id` and the name, base64url, of the pattern's length, with `_` in
/// front when it would start with a digit or `-` (no valid class name does).
fn with_local_hashes(text: &str, id: &str) -> String {
    use base64::Engine as _;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(LOCAL_HASH_OPEN) {
        let after = &rest[open + LOCAL_HASH_OPEN.len()..];
        let Some(close) = after.find(LOCAL_HASH_CLOSE) else {
            break;
        };
        let Some((length, local)) = after[..close].split_once('_') else {
            break;
        };
        let Ok(length) = length.parse::<usize>() else {
            break;
        };
        out.push_str(&rest[..open]);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(id.as_bytes());
        hasher.update(&[0]);
        hasher.update(local.as_bytes());
        let digest = hasher.digest128().to_le_bytes();
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        let hash = &hash[..length.min(hash.len())];
        if hash.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            out.push('_');
        }
        out.push_str(hash);
        rest = &after[close + LOCAL_HASH_CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

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
/// So does one with broken syntax it would recover from by dropping what it cannot read (a
/// stray `{`, a declaration without its colon, a block left open at the end: a file being
/// typed), as Vite's PostCSS refuses it: the names of the dropped rules would vanish from the
/// module's exports and the page's elements lose their classes. An unknown selector drops only
/// its rule, as the browser would: reported without blocking the update.
pub fn compile_css_module(
    id: &str,
    text: &str,
    modules: &CssModulesOptions,
    root: Option<&std::path::Path>,
    prefix: &str,
    resolve_url: &dyn Fn(&str) -> Option<String>,
) -> CompiledCss {
    let warnings = Arc::new(RwLock::new(Vec::new()));
    let pattern_text = modules.pattern.as_deref().unwrap_or(SCOPED_NAME_PATTERN);
    let pattern = Pattern::parse(pattern_text)
        .unwrap_or_else(|_| Pattern::parse(SCOPED_NAME_PATTERN).expect("a valid pattern"));
    let options = ParserOptions {
        // The file's, without a plugin's query (a `.vue` file's `<style module>` block,
        // `App.vue?vue&type=style&index=0&lang.module.css`): the names it makes are valid
        // selectors (`App_<hash>_title`, not `App-vue?vue&type=…`).
        filename: id.split('?').next().unwrap_or(id).to_string(),
        css_modules: Some(Config {
            pattern,
            // Grid line names are scoped only where `[local]` ends the pattern (lightningcss
            // cannot otherwise); postcss-modules, Vite's default, never scopes them.
            grid: pattern_text.ends_with("[local]"),
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
    if let Some((offset, message)) = unclosed(text) {
        let (line, column) = line_col(text, offset);
        return failed(
            Some(ErrorLocation {
                filename: String::new(),
                line: line.saturating_sub(1),
                column,
            }),
            message.to_string(),
        );
    }
    let sheet = match StyleSheet::parse(text, options) {
        Ok(sheet) => sheet,
        Err(e) => return failed(e.loc, parser_message(&e.kind)),
    };
    let broken = warnings.read().ok().and_then(|w| {
        w.iter()
            .find(|e| breaks_the_sheet(&e.kind))
            .map(|e| (e.loc.clone(), parser_message(&e.kind)))
    });
    if let Some((location, message)) = broken {
        return failed(location, message);
    }
    // A text that ends with its map (a `*.module.scss` the plugin host compiled: the CSS →
    // the `.scss`) is printed with a map, which lightningcss composes with that one.
    let mut source_map = sheet
        .source_map_url(0)
        .is_some()
        .then(|| SourceMap::new("/"));
    let printed = match sheet.to_css(PrinterOptions {
        source_map: source_map.as_mut(),
        targets: PRINTED_AS_WRITTEN,
        ..PrinterOptions::default()
    }) {
        Ok(printed) => printed,
        Err(e) => return failed(e.loc, printer_message(&e.kind)),
    };
    let per_local_hash = pattern_text.contains(LOCAL_HASH_OPEN);
    let mut code = printed.code;
    if per_local_hash {
        code = with_local_hashes(&code, id);
    }
    // (The names are listed in the order the printed rules first use them: the map comment
    // is no rule.)
    let rules_end = code.len();
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
                    Diagnostic::syntax(id, text, line, column, parser_message(&e.kind))
                })
                .collect()
        })
        .unwrap_or_default();
    diagnostics.dedup();

    // The printed text is lightningcss's, not the author's: point imports at the source.
    let scoped = rewrite(id, &code, root, prefix, resolve_url);
    let mut imports = scoped.imports;
    let mut searched_to = 0;
    for import in &mut imports {
        (import.line, import.column, searched_to) = locate(text, &import.specifier, searched_to);
    }
    let mut exports = printed.exports.unwrap_or_default();
    if per_local_hash {
        for export in exports.values_mut() {
            export.name = with_local_hashes(&export.name, id);
            for composed in &mut export.composes {
                if let CssModuleReference::Local { name } = composed {
                    *name = with_local_hashes(name, id);
                }
            }
        }
    }
    let names = Names::of(&exports, modules.locals_convention, &code[..rules_end]);
    for specifier in &names.dependencies {
        if imports.iter().any(|i| *i.specifier == **specifier) {
            continue;
        }
        let (line, column, _) = locate(text, specifier, 0);
        imports.push(ImportRecord {
            specifier: specifier.as_str().into(),
            kind: ImportKind::Static,
            line,
            column,
        });
    }

    let mut body = scoped.requires;
    body.push_str("module.exports = $meta.cssModule(");
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
    /// compositions, in the order the stylesheet first uses them, as postcss-modules (Vite's
    /// default) lists them for `Object.keys(styles)`.
    object: String,
    /// `["button", require("./base.module.css"), "base"], ...`: compositions from other files,
    /// appended by the runtime once those modules have run.
    composed: String,
    /// The specifiers `composes ... from` names, in order, once each.
    dependencies: Vec<String>,
}

impl Names {
    /// `printed`: the scoped stylesheet's rules, which give the names' order.
    fn of(exports: &CssModuleExports, convention: LocalsConvention, printed: &str) -> Names {
        // (A later name of the same key, a convention's alias of another name, wins.)
        let mut values: Vec<(String, String)> = Vec::new();
        let mut names = Names {
            object: String::from("{"),
            composed: String::new(),
            dependencies: Vec::new(),
        };
        let mut keys: Vec<((u8, usize), &String)> = exports
            .iter()
            .map(|(key, export)| (first_use(printed, &export.name), key))
            .collect();
        keys.sort();
        for (_, key) in keys {
            let export = &exports[key];
            let mut value = export.name.clone();
            let exported = convention.names(key);
            for reference in &export.composes {
                match reference {
                    CssModuleReference::Local { name } | CssModuleReference::Global { name } => {
                        value.push(' ');
                        value.push_str(name);
                    }
                    CssModuleReference::Dependency { name, specifier } => {
                        for key in &exported {
                            let composed = &mut names.composed;
                            if !composed.is_empty() {
                                composed.push_str(", ");
                            }
                            composed.push('[');
                            push_json_string(composed, key);
                            composed.push_str(", require(");
                            push_json_string(composed, specifier);
                            composed.push_str("), ");
                            push_json_string(composed, &convention.exported(name));
                            composed.push(']');
                        }
                        if !names.dependencies.contains(specifier) {
                            names.dependencies.push(specifier.clone());
                        }
                    }
                }
            }
            for key in exported {
                match values.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, kept)) => *kept = value.clone(),
                    None => values.push((key, value.clone())),
                }
            }
        }
        for (i, (key, value)) in values.iter().enumerate() {
            if i > 0 {
                names.object.push_str(", ");
            }
            push_json_string(&mut names.object, key);
            names.object.push_str(": ");
            push_json_string(&mut names.object, value);
        }
        names.object.push('}');
        names
    }
}

/// Where the scoped name `name` comes in the order of a module's names, as postcss-modules
/// (Vite's default) lists them: first the names selectors use (`.x_btn`, `#x_main`), by their
/// first selector in `printed`, then the others (keyframes, grid lines) by their first use;
/// `(2, 0)` for a name `printed` does not use (one only another module's `composes` uses). A
/// use is a whole identifier (`x_btn` is not used by `.x_btn-primary`), written as lightningcss
/// escapes it (`a\{b`).
fn first_use(printed: &str, name: &str) -> (u8, usize) {
    let escaped: String = name
        .chars()
        .flat_map(|c| {
            let plain = c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii();
            (!plain).then_some('\\').into_iter().chain([c])
        })
        .collect();
    let ident = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii();
    let uses = || {
        printed.match_indices(escaped.as_str()).filter(|&(at, _)| {
            !printed[..at].chars().next_back().is_some_and(ident)
                && !printed[at + escaped.len()..]
                    .chars()
                    .next()
                    .is_some_and(ident)
        })
    };
    let in_selector =
        uses().find(|&(at, _)| matches!(printed[..at].chars().next_back(), Some('.' | '#')));
    match in_selector {
        Some((at, _)) => (0, at),
        None => uses().next().map_or((2, 0), |(at, _)| (1, at)),
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

/// Whether lightningcss recovered from `kind` by dropping more than one rule's selector: a
/// declaration or a rule it could not read at all.
fn breaks_the_sheet(kind: &ParserError<'_>) -> bool {
    matches!(
        kind,
        ParserError::UnexpectedToken(_)
            | ParserError::EndOfInput
            | ParserError::InvalidDeclaration
            | ParserError::QualifiedRuleInvalid
            | ParserError::InvalidNesting
            | ParserError::MaximumNestingDepth
    )
}

/// lightningcss's parse error as the author wrote the token (`Unexpected \`8px\``), where its
/// own text is the token's Rust form (`Dimension { has_sign: false, value: 8.0, ... }`).
fn parser_message(kind: &ParserError<'_>) -> String {
    match kind {
        ParserError::UnexpectedToken(token) => match token.to_css_string(PrinterOptions::default())
        {
            Ok(written) if !written.trim().is_empty() => {
                format!("Unexpected `{}`", written.trim())
            }
            _ => "Unexpected token".to_string(),
        },
        _ => kind.to_string(),
    }
}

/// The first place where `text`'s blocks, strings or comments do not close (the CSS syntax
/// closes them at the end of the file; PostCSS refuses them): the offset of the `{`, `(`, `[`,
/// quote or `/*` left open, or of a `}` that closes nothing, and what is wrong there.
fn unclosed(text: &str) -> Option<(usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(end) => i += end + 3,
                None => return Some((i, "Unclosed comment: a `/*` without its `*/`")),
            },
            quote @ (b'"' | b'\'') => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Some((start, "Unclosed string: a quote without its pair"));
                        }
                        Some(b'\\') => i += 1,
                        Some(&c) if c == quote => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            c @ (b'{' | b'(' | b'[') => open.push((i, c)),
            c @ (b'}' | b')' | b']') => {
                let wanted = match c {
                    b'}' => b'{',
                    b')' => b'(',
                    _ => b'[',
                };
                match open.last() {
                    Some(&(_, o)) if o == wanted => {
                        open.pop();
                    }
                    // A `)` or `]` the syntax does not pair is the browser's to ignore.
                    _ if c != b'}' => {}
                    Some(&(at, _)) => {
                        return Some((at, "Unclosed bracket: a `(` or `[` without its pair"));
                    }
                    None => return Some((i, "Unexpected `}`: it closes no block")),
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.last().map(|&(at, c)| {
        (
            at,
            if c == b'{' {
                "Unclosed block: a `{` without its `}`"
            } else {
                "Unclosed bracket: a `(` or `[` without its pair"
            },
        )
    })
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
