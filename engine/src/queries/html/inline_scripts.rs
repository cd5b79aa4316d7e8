//! A page's inline module scripts (`<script type="module">import { x } from './x.js'</script>`).
//!
//! Vite compiles each as a module of its own (`/index.html?html-proxy&index=0.js`), so that its
//! imports resolve as any module's (a bare specifier, TypeScript, a `.vue` file) and share the
//! app's module instances. hotloop does the same for a script that imports what the browser
//! could not load as written (a bare specifier, a relative or root path): it becomes one of the
//! page's entries, in document order (`files::html_script_path`). One that imports nothing, or
//! only plugins' `/@…` URLs and full URLs (what plugins inject: vite-plugin-pwa's registration,
//! vite-plugin-checker's runtime), runs natively, as the browser would run it.

use std::cell::RefCell;

use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};

/// One inline module script of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InlineScript {
    /// Its place among the page's inline module scripts (Vite's `index`).
    pub index: usize,
    /// Where its text starts in the page (bytes).
    pub offset: usize,
    pub text: String,
}

/// The inline module scripts of `html`, in document order.
pub(crate) fn inline_module_scripts(html: &str) -> Vec<InlineScript> {
    let scripts = RefCell::new(Vec::<InlineScript>::new());
    // Whether the script element being read is an inline module script.
    let open = RefCell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("script", |el| {
            let inline = is_inline_module(el);
            *open.borrow_mut() = inline;
            if inline {
                let mut scripts = scripts.borrow_mut();
                let index = scripts.len();
                scripts.push(InlineScript {
                    index,
                    offset: el.source_location().bytes().end,
                    text: String::new(),
                });
            }
            Ok(())
        }))
        .append_element_content_handler(text!("script", |chunk| {
            if *open.borrow()
                && let Some(last) = scripts.borrow_mut().last_mut()
            {
                last.text.push_str(chunk.as_str());
            }
            Ok(())
        }));
    if rewrite_str(html, settings.with_strict(false)).is_err() {
        return Vec::new();
    }
    scripts.into_inner()
}

fn is_inline_module(el: &Element<'_, '_>) -> bool {
    el.get_attribute("src").is_none()
        && el
            .get_attribute("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"))
}

/// Whether the script imports something the browser could not load as written: a specifier
/// (of `import … from`, a bare `import '…'`, `export … from` or `import('…')`) that is not a
/// plugin's `/@…` URL or a full URL.
pub(crate) fn needs_compiling(text: &str) -> bool {
    specifiers(text).any(|spec| {
        !(spec.starts_with("/@")
            || spec.starts_with("http://")
            || spec.starts_with("https://")
            || spec.starts_with("//")
            || spec.starts_with("data:")
            || spec.starts_with("blob:"))
    })
}

/// The string literals that follow `from`, or `import` (with or without a parenthesis), in
/// `text`: the specifiers of its imports, near enough (a comment or a string that reads like
/// an import counts too, which only compiles a script that did not need it).
fn specifiers(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let rest = &text[at..];
            let word = ["from", "import"]
                .into_iter()
                .filter_map(|w| rest.find(w).map(|i| (i, w)))
                .min_by_key(|(i, _)| *i)?;
            let start = at + word.0;
            at = start + word.1.len();
            let before = start.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
                continue;
            }
            let mut i = at;
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'(') {
                i += 1;
            }
            let Some(&quote) = bytes.get(i).filter(|b| matches!(b, b'\'' | b'"' | b'`')) else {
                continue;
            };
            let body = i + 1;
            let len = text[body..].find(quote as char)?;
            at = body + len + 1;
            return Some(&text[body..body + len]);
        }
        None
    })
}

/// An inline script's or style's `text`, which starts at `offset` in the page, at its place:
/// preceded by the page's lines before it (as empty lines) and its column (as spaces), so that
/// a diagnostic's line and column are the page's.
pub(crate) fn at_its_place(html: &str, offset: usize, text: &str) -> String {
    let before = &html[..offset.min(html.len())];
    let lines = before.matches('\n').count();
    let column = before.len() - before.rfind('\n').map_or(0, |nl| nl + 1);
    let mut out = String::with_capacity(lines + column + text.len());
    out.extend(std::iter::repeat_n('\n', lines));
    out.extend(std::iter::repeat_n(' ', column));
    out.push_str(text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_module_scripts_in_order_with_their_places() {
        let html = "<html><head>\n<script type=\"module\">import a from 'a'</script>\n\
                    <script>classic()</script><script type=\"module\" src=\"/m.js\"></script>\n\
                    <script type=module>\nwindow.x = 1\n</script></head></html>";
        let scripts = inline_module_scripts(html);
        let texts: Vec<(usize, &str)> = scripts.iter().map(|s| (s.index, &*s.text)).collect();
        assert_eq!(texts, [(0, "import a from 'a'"), (1, "\nwindow.x = 1\n")]);
        assert_eq!(&html[scripts[0].offset..scripts[0].offset + 6], "import");
        let placed = at_its_place(html, scripts[0].offset, &scripts[0].text);
        assert_eq!(placed, format!("\n{}import a from 'a'", " ".repeat(22)));
    }

    #[test]
    fn scripts_whose_imports_the_browser_cannot_load_as_written_are_compiled() {
        for (text, compiled) in [
            ("import { nanoid } from 'nanoid'", true),
            ("import { m } from './src/m.js'; m()", true),
            ("import '/src/main.ts'", true),
            ("const m = await import(\"../x.js\")", true),
            ("export { a } from './a.js'", true),
            (
                "import { x } from '/@vite-plugin-pwa/pwa-entry-point-loaded'",
                false,
            ),
            (
                "import 'https://cdn.example/x.js'; import('//cdn.example/y.js')",
                false,
            ),
            ("window.imported = 1; const from = 2", false),
            ("", false),
        ] {
            assert_eq!(needs_compiling(text), compiled, "{text}");
        }
    }
}
