//! Pure CSS handling (no salsa, no IO): finds `@import` rules and `url()` references with
//! cssparser's tokenizer and splices the text. A stylesheet becomes a registry factory (one
//! `require` per local `@import`, then `$meta.css(text)`) and a standalone version for
//! `<link>`; in both, relative `url()`s are made absolute from the stylesheet's own id, because
//! the text ends up in a `<style>` element whose base is the page.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use cssparser::{ParseError, Parser, ParserInput, Token, serialize_string};

use crate::transform::{ImportKind, ImportRecord, factory};
use hotloop_protocol::Diagnostic;

/// The result of compiling one stylesheet. Always has code: CSS is error-tolerant, so
/// `diagnostics` (unterminated strings and `url(`s) are reported but do not block the update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledCss {
    /// The local `@import` specifiers as written, in order, kind `Static`. `@import`s of
    /// external URLs (`http:`, `https:`, `//`, `data:`) are not modules: they stay in the text.
    pub imports: Vec<ImportRecord>,
    /// The factory: `require("<spec>");` per local `@import`, then
    /// `$meta.css("<stylesheet without those @import rules>");`. Always there for a
    /// plain stylesheet; `None` for a CSS module that does not parse (`css_modules.rs`).
    pub code: Option<Arc<str>>,
    /// The stylesheet to serve for a `<link>`: `@import`s kept, their URLs and every relative
    /// `url()` made absolute (`None` with `code`).
    pub stylesheet: Option<Arc<str>>,
    /// The text the factory injects (`$meta.css(text)`): what a `<style>` holds, and
    /// what the CSS patches of its edits are computed from (`None` with `code`).
    pub style: Option<Arc<str>>,
    /// Where each local `@import`'s URL is in `stylesheet` (the bytes between its quotes) and
    /// its specifier as written: the engine writes the imported sheet's own URL there (a
    /// package's, an alias's target) with `?v=<version of that sheet>` when it serves the sheet,
    /// so a browser that re-fetches a `<link>`ed sheet re-fetches exactly the imported sheets
    /// that changed.
    pub stylesheet_imports: Vec<(Range<usize>, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Blocks nested deeper than this are not searched for `url()` (the tokenizer skips them
/// without recursion), so hostile nesting cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Compiles the stylesheet `text` whose module id (its URL path) is `id`.
#[cfg(test)]
pub fn compile_css(id: &str, text: &str) -> CompiledCss {
    compile_css_in(id, text, None, "", &|_| None)
}

/// [`compile_css`] of a stylesheet of the project at `root`: a relative `url()` that leads
/// above the root (Tailwind's rebased `../../node_modules/…` of a workspace's hoisted package)
/// becomes that file's `/@fs/` URL rather than being cut at the root; one `resolve_url`
/// answers (an alias's, a package's file) is its answer. `prefix` (Vite's `base` without its
/// trailing `/`: `ProjectOptions::url_prefix`) goes before every root-absolute URL, the ones
/// the stylesheet wrote too, as Vite's dev server writes them.
pub fn compile_css_in(
    id: &str,
    text: &str,
    root: Option<&std::path::Path>,
    prefix: &str,
    resolve_url: &dyn Fn(&str) -> Option<String>,
) -> CompiledCss {
    let rewritten = rewrite(id, text, root, prefix, resolve_url);
    let css_arg = serde_json::to_string(&rewritten.inline).unwrap_or_else(|_| "\"\"".to_string());
    let body = format!("{}$meta.css({css_arg});", rewritten.requires);
    CompiledCss {
        imports: rewritten.imports,
        code: Some(factory(&body).into()),
        stylesheet: Some(rewritten.stylesheet.into()),
        style: Some(rewritten.inline.into()),
        stylesheet_imports: rewritten.stylesheet_imports,
        diagnostics: rewritten.diagnostics,
    }
}

/// A stylesheet with its local `@import`s taken out and its `url()`s made absolute: the parts
/// both plain stylesheets and CSS modules (`css_modules.rs`) are built from.
pub(crate) struct Rewritten {
    /// The local `@import` specifiers, in order (see [`CompiledCss::imports`]).
    pub imports: Vec<ImportRecord>,
    /// `require("<spec>");` per local `@import`, one per line.
    pub requires: String,
    /// The text to inject: local `@import` rules removed, relative `url()`s made absolute.
    pub inline: String,
    /// The text to serve for a `<link>` (see [`CompiledCss::stylesheet`]).
    pub stylesheet: String,
    /// See [`CompiledCss::stylesheet_imports`].
    pub stylesheet_imports: Vec<(Range<usize>, String)>,
    pub diagnostics: Vec<Diagnostic>,
}

pub(crate) fn rewrite(
    id: &str,
    text: &str,
    root: Option<&std::path::Path>,
    prefix: &str,
    resolve_url: &dyn Fn(&str) -> Option<String>,
) -> Rewritten {
    // A root-absolute URL under the base; one written so already, or not root-absolute, as it is.
    let based = |url: String| -> String {
        if prefix.is_empty()
            || !url.starts_with('/')
            || url.starts_with("//")
            || url.starts_with(&format!("{prefix}/"))
        {
            url
        } else {
            format!("{prefix}{url}")
        }
    };
    let written_root_absolute = |url: &str| {
        (!prefix.is_empty() && url.starts_with('/') && !url.starts_with("//"))
            .then(|| url.to_string())
    };
    let mut scan = Scan::default();
    let mut input = ParserInput::new(text);
    let mut parser = Parser::new(&mut input);
    scan_block(&mut parser, 0, &mut scan);

    let dir = &id[..id.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };

    // Edits for the standalone stylesheet: every url() and every @import URL made absolute.
    let mut link_edits: Vec<(Range<usize>, String)> = Vec::new();
    // Edits for the injected text: local @import rules removed, url()s made absolute.
    let mut inline_edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut imports = Vec::new();
    let mut requires = String::new();

    for url in &scan.urls {
        // A URL no relative path reads (`@/assets/bg.svg`, `@fontsource/…`): its file's URL.
        let resolved = (!url.value.starts_with(['.', '/', '#']) && !has_scheme(&url.value))
            .then(|| resolve_url(&url.value))
            .flatten();
        let abs = resolved
            .or_else(|| absolute(dir, &url.value, root))
            .or_else(|| written_root_absolute(&url.value));
        if let Some(abs) = abs.map(based) {
            let replacement = quoted_url(&abs);
            link_edits.push((url.range.clone(), replacement.clone()));
            let in_removed_import = scan.imports.iter().any(|i| {
                is_local(&i.spec) && i.rule.start <= url.range.start && url.range.end <= i.rule.end
            });
            if !in_removed_import {
                inline_edits.push((url.range.clone(), replacement));
            }
        }
    }
    // Local `@import` URLs, always written out canonically so that the end of each is known.
    let mut local_import_edits: Vec<(usize, String)> = Vec::new();
    for import in &scan.imports {
        let abs = absolute(dir, &import.spec, root);
        if abs.is_some() || is_local(&import.spec) {
            let url = based(abs.unwrap_or_else(|| import.spec.clone()));
            let replacement = if import.is_url_function {
                quoted_url(&url)
            } else {
                quoted(&url)
            };
            if is_local(&import.spec) {
                local_import_edits.push((link_edits.len(), import.spec.clone()));
            }
            link_edits.push((import.spec_range.clone(), replacement));
        }
        if is_local(&import.spec) {
            inline_edits.push((import.rule.clone(), String::new()));
            let (line, column) = line_col(text, import.spec_range.start);
            imports.push(ImportRecord {
                specifier: import.spec.as_str().into(),
                kind: ImportKind::Static,
                line,
                column,
            });
            let spec = serde_json::to_string(&import.spec).unwrap_or_default();
            let _ = writeln!(requires, "require({spec});");
        }
    }

    let diagnostics = scan
        .errors
        .iter()
        .map(|(offset, message)| {
            let (line, column) = line_col(text, *offset);
            Diagnostic::syntax(id, text, line, column, message.clone())
        })
        .collect();

    let (stylesheet, starts) = splice_tracked(text, &link_edits);
    let stylesheet_imports = local_import_edits
        .into_iter()
        .filter_map(|(edit, spec)| {
            let start = starts[edit]?;
            let replacement = &link_edits[edit].1;
            // Between the quotes: after `"` or `url("`, before `"` or `")`.
            let (head, tail) = if replacement.ends_with(')') {
                (5, 2)
            } else {
                (1, 1)
            };
            Some((start + head..start + replacement.len() - tail, spec))
        })
        .collect();
    Rewritten {
        imports,
        requires,
        inline: splice(text, inline_edits),
        stylesheet,
        stylesheet_imports,
        diagnostics,
    }
}

/// `stylesheet` with each local `@import` URL (`imports` from
/// [`CompiledCss::stylesheet_imports`]) versioned: `version` answers per specifier with the
/// URL to write (the imported sheet's, `None` to keep the one there) and its version, added
/// as `?v=<version>`; `None` leaves the import as it is.
pub fn version_imports(
    stylesheet: &str,
    imports: &[(Range<usize>, String)],
    mut version: impl FnMut(&str) -> Option<(Option<String>, String)>,
) -> String {
    let mut out = String::with_capacity(stylesheet.len() + imports.len() * 12);
    let mut at = 0;
    for (range, spec) in imports {
        let Some((url, v)) = version(spec) else {
            continue;
        };
        if range.start < at || range.end > stylesheet.len() || range.start > range.end {
            continue;
        }
        out.push_str(&stylesheet[at..range.start]);
        let url = url.unwrap_or_else(|| stylesheet[range.clone()].to_string());
        out.push_str(&url);
        out.push(if url.contains('?') { '&' } else { '?' });
        out.push_str("v=");
        out.push_str(&v);
        at = range.end;
    }
    out.push_str(&stylesheet[at..]);
    out
}

#[derive(Default)]
struct Scan {
    urls: Vec<UrlRef>,
    imports: Vec<ImportRule>,
    /// (byte offset, message)
    errors: Vec<(usize, String)>,
}

/// A `url(x)` / `url("x")` reference: its whole byte range and its (unescaped) value.
struct UrlRef {
    range: Range<usize>,
    value: String,
}

struct ImportRule {
    /// From `@import` to after its `;` (or the end of the prelude).
    rule: Range<usize>,
    spec: String,
    /// The string or `url(...)` token holding `spec`.
    spec_range: Range<usize>,
    is_url_function: bool,
}

type NoError = ParseError<'static, ()>;

fn scan_block(p: &mut Parser<'_, '_>, depth: usize, scan: &mut Scan) {
    scan_tokens(p, depth, scan, false);
}

/// [`scan_block`]'s walk; `image_set`: the arguments of an `image-set()`, whose strings are
/// URLs (`image-set("a.png" 1x, "a@2x.png" 2x)`), as Vite rewrites them.
fn scan_tokens(p: &mut Parser<'_, '_>, depth: usize, scan: &mut Scan, image_set: bool) {
    loop {
        let start = p.position().byte_index();
        let token = match p.next_including_whitespace_and_comments() {
            Ok(t) => t.clone(),
            Err(_) => return,
        };
        match token {
            Token::AtKeyword(ref name) if depth == 0 && name.eq_ignore_ascii_case("import") => {
                scan_import(p, start, scan);
            }
            Token::UnquotedUrl(value) => scan.urls.push(UrlRef {
                range: start..p.position().byte_index(),
                value: value.to_string(),
            }),
            Token::Function(ref name) if name.eq_ignore_ascii_case("url") => {
                if let Some(value) = url_function_value(p, scan) {
                    scan.urls.push(UrlRef {
                        range: start..p.position().byte_index(),
                        value,
                    });
                }
            }
            Token::QuotedString(ref value) if image_set => scan.urls.push(UrlRef {
                range: start..p.position().byte_index(),
                value: value.to_string(),
            }),
            Token::Function(ref name)
                if depth < MAX_DEPTH
                    && (name.eq_ignore_ascii_case("image-set")
                        || name.eq_ignore_ascii_case("-webkit-image-set")) =>
            {
                let _ = p.parse_nested_block(|nested| {
                    scan_tokens(nested, depth + 1, scan, true);
                    Ok::<(), NoError>(())
                });
            }
            Token::Function(_)
            | Token::ParenthesisBlock
            | Token::SquareBracketBlock
            | Token::CurlyBracketBlock
                if depth < MAX_DEPTH =>
            {
                let _ = p.parse_nested_block(|nested| {
                    scan_block(nested, depth + 1, scan);
                    Ok::<(), NoError>(())
                });
            }
            Token::BadUrl(_) => scan
                .errors
                .push((start, "unterminated or invalid url()".to_string())),
            Token::BadString(_) => scan.errors.push((start, "unterminated string".to_string())),
            _ => {}
        }
    }
}

/// The string inside `url("...")`, right after its `url(` function token was read.
fn url_function_value(p: &mut Parser<'_, '_>, scan: &mut Scan) -> Option<String> {
    let start = p.position().byte_index();
    p.parse_nested_block(|nested| {
        let mut value = None;
        while let Ok(token) = nested.next() {
            match token {
                Token::QuotedString(s) if value.is_none() => value = Some(s.to_string()),
                Token::BadString(_) => {
                    scan.errors.push((start, "unterminated string".to_string()));
                    value = None;
                    break;
                }
                _ => {
                    value = None;
                    break;
                }
            }
        }
        Ok::<_, NoError>(value)
    })
    .ok()
    .flatten()
}

/// The prelude of an `@import` rule (the at-keyword already read at `start`), up to and
/// including its `;`.
fn scan_import(p: &mut Parser<'_, '_>, start: usize, scan: &mut Scan) {
    let mut found: Option<(String, Range<usize>, bool)> = None;
    loop {
        let token_start = p.position().byte_index();
        let token = match p.next_including_whitespace_and_comments() {
            Ok(t) => t.clone(),
            Err(_) => break,
        };
        match token {
            Token::Semicolon => break,
            // `@import "x" { ... }` is invalid; stop at the block, leave it to the caller.
            Token::CurlyBracketBlock => return,
            Token::QuotedString(s) if found.is_none() => {
                found = Some((s.to_string(), token_start..p.position().byte_index(), false));
            }
            Token::UnquotedUrl(s) if found.is_none() => {
                found = Some((s.to_string(), token_start..p.position().byte_index(), true));
            }
            Token::Function(ref name) if found.is_none() && name.eq_ignore_ascii_case("url") => {
                if let Some(value) = url_function_value(p, scan) {
                    found = Some((value, token_start..p.position().byte_index(), true));
                }
            }
            Token::BadString(_) => scan
                .errors
                .push((token_start, "unterminated string".to_string())),
            Token::BadUrl(_) => scan
                .errors
                .push((token_start, "unterminated or invalid url()".to_string())),
            _ => {}
        }
    }
    let end = p.position().byte_index();
    match found {
        Some((spec, spec_range, is_url_function)) if !spec.is_empty() => {
            scan.imports.push(ImportRule {
                rule: start..end,
                spec,
                spec_range,
                is_url_function,
            })
        }
        _ => scan
            .errors
            .push((start, "@import without a URL".to_string())),
    }
}

/// A module `@import` (to be `require`d), as opposed to an external stylesheet URL.
fn is_local(spec: &str) -> bool {
    !(has_scheme(spec) || spec.starts_with("//"))
}

/// `http:`, `data:`, `blob:`...
fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = &url[..colon];
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `url` joined to `dir` (which ends in `/`) and normalized, or `None` when `url` is already
/// absolute (`/x`, `//host/x`, `scheme:`), a fragment (`#x`) or empty. A `/@fs/` directory
/// keeps its prefix; a root-relative one that `..` leads above: the file's `/@fs/` URL under
/// `root` (the project's absolute path), else cut at the root.
fn absolute(dir: &str, url: &str, root: Option<&std::path::Path>) -> Option<String> {
    if url.is_empty() || url.starts_with('/') || url.starts_with('#') || has_scheme(url) {
        return None;
    }
    let split = url.find(['?', '#']).unwrap_or(url.len());
    let (path, suffix) = url.split_at(split);
    let (prefix, dir) = match dir.strip_prefix("/@fs/") {
        Some(rest) => ("/@fs", rest),
        None => ("", dir),
    };
    let mut segments: Vec<&str> = Vec::new();
    let mut above = 0;
    for segment in dir.split('/').chain(path.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    above += 1;
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(dir.len() + url.len());
    out.push_str(prefix);
    if above > 0
        && prefix.is_empty()
        && let Some(base) = root.and_then(|root| root.ancestors().nth(above))
    {
        out.push_str("/@fs");
        out.push_str(base.to_string_lossy().trim_end_matches('/'));
    }
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty()
        || path.ends_with('/')
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last == "." || last == "..")
    {
        out.push('/');
    }
    out.push_str(suffix);
    Some(out)
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let _ = serialize_string(s, &mut out);
    out
}

fn quoted_url(s: &str) -> String {
    format!("url({})", quoted(s))
}

/// Applies non-overlapping `edits` to `text`, and says where each replacement starts in the
/// result (`None` for an edit dropped because it overlapped an earlier one).
fn splice_tracked(text: &str, edits: &[(Range<usize>, String)]) -> (String, Vec<Option<usize>>) {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| edits[i].0.start);
    let mut starts = vec![None; edits.len()];
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for i in order {
        let (range, replacement) = &edits[i];
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        starts[i] = Some(out.len());
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, starts)
}

/// Applies non-overlapping `edits` to `text`.
fn splice(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    (line, before[line_start..].chars().count() as u32 + 1)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// Renders the standalone stylesheet, the injected text and the imports.
    #[track_caller]
    fn check(id: &str, text: &str, expect: Expect) {
        let out = compile_css(id, text);
        let (stylesheet, code) = (out.stylesheet.unwrap(), out.code.unwrap());
        let mut actual = format!("stylesheet:\n{stylesheet}\n");
        actual.push_str(&format!("code:\n{code}\n"));
        for i in &out.imports {
            actual.push_str(&format!("import {} {}:{}\n", i.specifier, i.line, i.column));
        }
        for d in &out.diagnostics {
            actual.push_str(&format!("error {}:{} {}\n", d.line, d.column, d.message));
        }
        expect.assert_eq(&actual);
    }

    /// A relative `url()` that leads above the root (Tailwind's rebased path into a workspace's
    /// hoisted `node_modules`) is that file's `/@fs/` URL; without the root's path it is cut at
    /// the root, as before; a `/@fs/` stylesheet's own `..` stay under `/@fs/`.
    #[test]
    fn a_url_above_the_root_is_its_fs_url() {
        let root = std::path::Path::new("/repo/apps/web");
        let url = |id: &str, arg: &str, root| {
            let css = compile_css_in(id, &format!("a{{b:url({arg})}}"), root, "", &|_| None)
                .stylesheet
                .unwrap();
            css[css.find("url(").unwrap()..].to_string()
        };
        let font = "../../../node_modules/@fontsource/geist/files/g.woff2";
        assert_eq!(
            url("/src/tw.css", font, Some(root)),
            "url(\"/@fs/repo/node_modules/@fontsource/geist/files/g.woff2\")}"
        );
        assert_eq!(
            url("/src/tw.css", font, None),
            "url(\"/node_modules/@fontsource/geist/files/g.woff2\")}"
        );
        assert_eq!(
            url("/src/tw.css", "../img/a.png", Some(root)),
            "url(\"/img/a.png\")}",
            "inside the root: root-relative, as before"
        );
        assert_eq!(
            url(
                "/@fs/repo/node_modules/pkg/css/a.css",
                "../fonts/f.woff",
                Some(root)
            ),
            "url(\"/@fs/repo/node_modules/pkg/fonts/f.woff\")}"
        );
    }

    /// The rewritten url of `url(<arg>)` in a stylesheet at `id`.
    fn rewritten(id: &str, arg: &str) -> String {
        let stylesheet = compile_css(id, &format!("a{{b:url({arg})}}"))
            .stylesheet
            .unwrap();
        stylesheet
            .strip_prefix("a{b:")
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(&stylesheet)
            .to_string()
    }

    #[test]
    fn url_rewriting() {
        let cases = [
            // (id, url() argument, expected url())
            ("/src/a/b.css", "x.png", r#"url("/src/a/x.png")"#),
            ("/src/a/b.css", "./x.png", r#"url("/src/a/x.png")"#),
            ("/src/a/b.css", "../img/x.png", r#"url("/src/img/x.png")"#),
            ("/src/a/b.css", "'../img/x.png'", r#"url("/src/img/x.png")"#),
            (
                "/src/a/b.css",
                r#""../img/x.png""#,
                r#"url("/src/img/x.png")"#,
            ),
            ("/src/a/b.css", "../../../../x.png", r#"url("/x.png")"#),
            (
                "/src/a/b.css",
                "sub/./dir/../x.svg#icon",
                r#"url("/src/a/sub/x.svg#icon")"#,
            ),
            (
                "/src/a/b.css",
                "font.woff2?v=3#x",
                r#"url("/src/a/font.woff2?v=3#x")"#,
            ),
            (
                "/src/a/b.css",
                "'with space.png'",
                r#"url("/src/a/with space.png")"#,
            ),
            (
                "/src/a/b.css",
                r#""quote\"d.png""#,
                r#"url("/src/a/quote\"d.png")"#,
            ),
            ("/b.css", "x.png", r#"url("/x.png")"#),
            // Left alone.
            ("/src/a/b.css", "/abs/x.png", "url(/abs/x.png)"),
            (
                "/src/a/b.css",
                "data:image/png;base64,AAAA",
                "url(data:image/png;base64,AAAA)",
            ),
            (
                "/src/a/b.css",
                "'data:image/svg+xml;utf8,<svg/>'",
                "url('data:image/svg+xml;utf8,<svg/>')",
            ),
            (
                "/src/a/b.css",
                "http://cdn.test/x.png",
                "url(http://cdn.test/x.png)",
            ),
            (
                "/src/a/b.css",
                "https://cdn.test/x.png",
                "url(https://cdn.test/x.png)",
            ),
            ("/src/a/b.css", "//cdn.test/x.png", "url(//cdn.test/x.png)"),
            ("/src/a/b.css", "#filter", "url(#filter)"),
            ("/src/a/b.css", "''", "url('')"),
        ];
        for (id, arg, expected) in cases {
            assert_eq!(rewritten(id, arg), expected, "url({arg}) in {id}");
        }
    }

    #[test]
    fn urls_in_nested_blocks_and_at_rules_are_rewritten() {
        check(
            "/src/styles/main.css",
            "@font-face { src: url(../fonts/a.woff2) format('woff2'), url(\"b.woff\"); }\n\
             @media (min-width: 1px) { .x { background: image-set(url(x.png) 1x); } }\n\
             .y { content: 'url(not-a-url.png)'; /* url(comment.png) */ }\n",
            expect![[r#"
                stylesheet:
                @font-face { src: url("/src/fonts/a.woff2") format('woff2'), url("/src/styles/b.woff"); }
                @media (min-width: 1px) { .x { background: image-set(url("/src/styles/x.png") 1x); } }
                .y { content: 'url(not-a-url.png)'; /* url(comment.png) */ }

                code:
                (function(module,exports,require,$meta){
                $meta.css("@font-face { src: url(\"/src/fonts/a.woff2\") format('woff2'), url(\"/src/styles/b.woff\"); }\n@media (min-width: 1px) { .x { background: image-set(url(\"/src/styles/x.png\") 1x); } }\n.y { content: 'url(not-a-url.png)'; /* url(comment.png) */ }\n");
                })
            "#]],
        );
    }

    /// `image-set()`'s plain strings are URLs (Vite rewrites them too); a `type()` inside it
    /// and a string elsewhere are not.
    #[test]
    fn image_set_strings_are_urls() {
        check(
            "/src/styles/hero.css",
            ".h { background-image: image-set(\"a.png\" 1x, './a@2x.png' 2x type(\"image/png\")); }\n\
             .w { background: -webkit-image-set(\"../img/b.avif\" 1x); content: \"a.png\"; }\n",
            expect![[r#"
                stylesheet:
                .h { background-image: image-set(url("/src/styles/a.png") 1x, url("/src/styles/a@2x.png") 2x type("image/png")); }
                .w { background: -webkit-image-set(url("/src/img/b.avif") 1x); content: "a.png"; }

                code:
                (function(module,exports,require,$meta){
                $meta.css(".h { background-image: image-set(url(\"/src/styles/a.png\") 1x, url(\"/src/styles/a@2x.png\") 2x type(\"image/png\")); }\n.w { background: -webkit-image-set(url(\"/src/img/b.avif\") 1x); content: \"a.png\"; }\n");
                })
            "#]],
        );
    }

    #[test]
    fn imports_become_requires_and_stay_in_the_linked_stylesheet() {
        check(
            "/src/app.css",
            "@charset \"utf-8\";\n\
             @import \"./base.css\";\n\
             @import url(theme/dark.css) screen;\n\
             @IMPORT url('../shared/reset.css');\n\
             @import url(https://fonts.test/css?family=X);\n\
             body { color: red }\n",
            expect![[r#"
                stylesheet:
                @charset "utf-8";
                @import "/src/base.css";
                @import url("/src/theme/dark.css") screen;
                @IMPORT url("/shared/reset.css");
                @import url(https://fonts.test/css?family=X);
                body { color: red }

                code:
                (function(module,exports,require,$meta){
                require("./base.css");
                require("theme/dark.css");
                require("../shared/reset.css");
                $meta.css("@charset \"utf-8\";\n\n\n\n@import url(https://fonts.test/css?family=X);\nbody { color: red }\n");
                })
                import ./base.css 2:9
                import theme/dark.css 3:9
                import ../shared/reset.css 4:9
            "#]],
        );
    }

    #[test]
    fn broken_css_never_panics_and_reports_unterminated_tokens() {
        for text in [
            "a { b: url(",
            "a { b: url('x.png",
            "@import",
            "@import 'x.css",
            "@import url(",
            "a { b: url(x y.png) }",
            "}}}}))]]",
            "\u{0}\u{1}\u{fffd}",
            "a{b:url(\"\\",
        ] {
            let out = compile_css("/src/x.css", text);
            assert!(
                out.code
                    .is_some_and(|c| c.starts_with(crate::transform::PLAIN_FACTORY_HEADER)),
                "{text:?}"
            );
        }
        check(
            "/src/x.css",
            "a { b: 'x\n}\nc { d: url(a b) }\n@import;\n",
            expect![[r#"
                stylesheet:
                a { b: 'x
                }
                c { d: url(a b) }
                @import;

                code:
                (function(module,exports,require,$meta){
                $meta.css("a { b: 'x\n}\nc { d: url(a b) }\n@import;\n");
                })
                error 1:8 unterminated string
                error 3:8 unterminated or invalid url()
                error 4:1 @import without a URL
            "#]],
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = format!("{}url(x.png){}", "a{".repeat(100_000), "}".repeat(100_000));
        let out = compile_css("/src/x.css", &text);
        assert!(out.stylesheet.unwrap().len() >= text.len());
        let shallow = format!("{}url(x.png){}", "a{".repeat(10), "}".repeat(10));
        assert!(
            compile_css("/src/x.css", &shallow)
                .stylesheet
                .unwrap()
                .contains("/src/x.png")
        );
    }

    #[test]
    fn local_import_urls_get_the_imported_sheets_versions_in_the_served_text() {
        let text = "@import \"./a.css\";\n@import url(b.css?x=1) screen;\n@import \"/src/c.css\";\n\
                    @import \"https://example.com/f.css\";\np { color: red }\n";
        let out = compile_css("/src/main.css", text);
        let specs: Vec<&str> = out
            .stylesheet_imports
            .iter()
            .map(|(_, s)| s.as_str())
            .collect();
        assert_eq!(specs, ["./a.css", "b.css?x=1", "/src/c.css"]);
        let stylesheet = out.stylesheet.unwrap();
        let versioned = version_imports(&stylesheet, &out.stylesheet_imports, |spec| {
            (spec != "/src/c.css").then(|| (None, format!("v{}", spec.len())))
        });
        expect![[r#"
            @import "/src/a.css?v=v7";
            @import url("/src/b.css?x=1&v=v9") screen;
            @import "/src/c.css";
            @import "https://example.com/f.css";
            p { color: red }
        "#]]
        .assert_eq(&versioned);
    }
}
