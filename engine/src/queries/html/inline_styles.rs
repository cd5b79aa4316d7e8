//! A page's inline `<style>` elements that need the CSS pipeline.
//!
//! Vite sends every inline style through its CSS plugins (`/index.html?html-proxy&direct&index=0.css`)
//! and puts their output in its place. hotloop does so for a style the browser could not use as
//! written: one that `@import`s a local sheet or a package's (`@import "tailwindcss"`), or uses
//! a Tailwind CSS directive (`@apply`, `@tailwind`, `@theme`, ...). Such a style becomes a
//! stylesheet module of the page (`files::html_style_path`), linked in its place by a
//! `<link rel="stylesheet">` with the style's attributes, so its imported sheets and what the
//! tools make of it are swapped in place as any linked sheet's. Any other style (plain CSS, an
//! `@import` of a full URL such as a web font's) stays as written; so does one inside `<svg>`
//! or `<template>`, where a `<link>` would not apply.

use std::cell::{Cell, RefCell};

use lol_html::{RewriteStrSettings, element, rewrite_str, text};

/// One inline `<style>` of a page, outside `<svg>` and `<template>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InlineStyle {
    /// Its place among the page's `<style>` elements outside `<svg>` and `<template>`.
    pub index: usize,
    /// Where its text starts in the page (bytes).
    pub offset: usize,
    pub text: String,
}

/// The selector of the styles that are not the page's own (see the module docs).
pub(crate) const FOREIGN_STYLE: &str = "svg style, template style";

/// The inline styles of `html`, in document order.
pub(crate) fn inline_styles(html: &str) -> Vec<InlineStyle> {
    let styles = RefCell::new(Vec::<InlineStyle>::new());
    // Whether the style element being read is one of the page's own.
    let foreign = Cell::new(false);
    let open = Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!(FOREIGN_STYLE, |_el| {
            foreign.set(true);
            Ok(())
        }))
        .append_element_content_handler(element!("style", |el| {
            open.set(!foreign.replace(false));
            if open.get() {
                let mut styles = styles.borrow_mut();
                let index = styles.len();
                styles.push(InlineStyle {
                    index,
                    offset: el.source_location().bytes().end,
                    text: String::new(),
                });
            }
            Ok(())
        }))
        .append_element_content_handler(text!("style", |chunk| {
            if open.get()
                && let Some(last) = styles.borrow_mut().last_mut()
            {
                last.text.push_str(chunk.as_str());
            }
            Ok(())
        }));
    if rewrite_str(html, settings.with_strict(false)).is_err() {
        return Vec::new();
    }
    styles.into_inner()
}

/// Whether the style needs the CSS pipeline: an `@import` that is not of a full URL, or an
/// at-rule Tailwind CSS handles. Read from the text, near enough: such a word in a comment
/// counts too, which only sends a style through the pipeline that did not need it.
pub(crate) fn needs_processing(text: &str) -> bool {
    const TOOL_RULES: [&str; 10] = [
        "apply",
        "tailwind",
        "theme",
        "plugin",
        "source",
        "utility",
        "variant",
        "custom-variant",
        "config",
        "reference",
    ];
    at_rules(text).any(|(name, rest)| {
        if name.eq_ignore_ascii_case("import") {
            !imports_full_url(rest)
        } else {
            TOOL_RULES.iter().any(|r| name.eq_ignore_ascii_case(r))
        }
    })
}

/// Each `@name` in `text` with the text after the name.
fn at_rules(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.match_indices('@').filter_map(move |(at, _)| {
        let rest = &text[at + 1..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        (len > 0).then(|| (&rest[..len], &rest[len..]))
    })
}

/// Whether an `@import`'s URL (the text after `@import`) is a full URL the browser fetches as
/// it is (`url("https://fonts.googleapis.com/...")`, `"//cdn.example/x.css"`).
fn imports_full_url(after: &str) -> bool {
    let url = after.trim_start();
    let url = url
        .strip_prefix("url(")
        .map_or(url, str::trim_start)
        .trim_start_matches(['"', '\'']);
    ["http://", "https://", "//", "data:"]
        .iter()
        .any(|scheme| url.len() >= scheme.len() && url[..scheme.len()].eq_ignore_ascii_case(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_own_styles_in_order_with_their_places() {
        let html = "<html><head>\n<style>@import \"./a.css\";</style>\n\
                    <svg><style>.icon{}</style></svg><template><style>t{}</style></template>\
                    <style media=\"print\">\nbody { color: red }\n</style></head></html>";
        let styles = inline_styles(html);
        let texts: Vec<(usize, &str)> = styles.iter().map(|s| (s.index, &*s.text)).collect();
        assert_eq!(
            texts,
            [(0, "@import \"./a.css\";"), (1, "\nbody { color: red }\n")]
        );
        assert_eq!(&html[styles[0].offset..styles[0].offset + 7], "@import");
    }

    #[test]
    fn styles_with_a_local_import_or_a_tailwind_directive_are_processed() {
        for (text, processed) in [
            ("@import \"tailwindcss\";", true),
            ("@import './theme.css' layer(base);", true),
            ("@import url(/src/reset.css);", true),
            (".btn { @apply px-4 py-2; }", true),
            ("@tailwind base;", true),
            ("@theme { --color-brand: red; }", true),
            (
                "@import url('https://fonts.googleapis.com/css2?family=Inter');",
                false,
            ),
            ("@import \"//cdn.example/x.css\";", false),
            ("@media (min-width: 40em) { body { margin: 0 } }", false),
            ("a[href^='mailto:x@y.z'] { color: red }", false),
            ("body { margin: 0 }", false),
            ("", false),
        ] {
            assert_eq!(needs_processing(text), processed, "{text}");
        }
    }
}
