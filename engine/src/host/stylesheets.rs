//! The text served for a stylesheet's own URL (what a `<link rel=stylesheet>` and the browser's
//! `@import` fetch): its `@import` URLs carry `?v=<version>` of the sheet they import, where a
//! version is a hash of that sheet's own served text (so, recursively, of everything it
//! imports). When any sheet of a `<link>`ed chain changes, the page swaps the linked root
//! (`css_links`); the browser fetches the root again, and through the new versions exactly the
//! imported sheets that changed, while the unchanged ones come from its cache.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::css::version_imports;
use crate::db::EngineDb;
use crate::graph::{ModuleGraph, ModuleIndex, ModuleKind};
use crate::queries::emit::module_deps;
use crate::queries::graph::ProjectGraph;
use crate::queries::parsed::parsed_module;

/// Versioned texts computed during one publish (`None` while a sheet is being computed: an
/// `@import` cycle back to it stays unversioned).
pub(super) type Memo = FxHashMap<ModuleIndex, Option<Arc<str>>>;

/// The served stylesheet of CSS module `index` (`None` for other modules and sheets that do not
/// compile).
pub(super) fn served_stylesheet(
    db: &EngineDb,
    graph: &ProjectGraph,
    index: ModuleIndex,
    memo: &mut Memo,
) -> Option<Arc<str>> {
    if let Some(done) = memo.get(&index) {
        return done.clone();
    }
    let parsed = parsed_module(db, graph.file(index));
    let text = parsed.stylesheet.clone()?;
    if parsed.stylesheet_imports.is_empty() {
        return Some(text);
    }
    memo.insert(index, None);
    let deps = module_deps(db, graph.file(index));
    let versioned: Arc<str> = version_imports(&text, &parsed.stylesheet_imports, |spec| {
        let id = deps.iter().find(|d| &*d.specifier == spec)?.id.clone()?;
        let imported = graph.index_of(&id)?;
        let sheet = served_stylesheet(db, graph, imported, memo)?;
        Some(format!(
            "{:08x}",
            xxhash_rust::xxh3::xxh3_64(sheet.as_bytes()) >> 32
        ))
    })
    .into();
    memo.insert(index, Some(versioned.clone()));
    Some(versioned)
}

/// `changed` and every stylesheet that imports one of them, directly or through other
/// stylesheets: their served texts name the changed sheets' versions.
pub(super) fn with_importing_stylesheets(
    graph: &ModuleGraph,
    changed: Vec<ModuleIndex>,
) -> Vec<ModuleIndex> {
    let mut seen: FxHashSet<ModuleIndex> = changed.iter().copied().collect();
    let mut out = changed;
    let mut at = 0;
    while at < out.len() {
        let index = out[at];
        at += 1;
        if graph.module(index).kind != ModuleKind::Css {
            continue;
        }
        for &importer in graph.importers(index) {
            if graph.module(importer).kind == ModuleKind::Css && seen.insert(importer) {
                out.push(importer);
            }
        }
    }
    out
}

/// The `<link>`ed stylesheets (entries nobody imports) whose `@import` chain reaches CSS module
/// `index`, itself included: what the page must swap when `index` changes.
pub fn linked_roots(graph: &ModuleGraph, index: ModuleIndex) -> Vec<ModuleIndex> {
    if graph.module(index).kind != ModuleKind::Css {
        return Vec::new();
    }
    with_importing_stylesheets(graph, vec![index])
        .into_iter()
        .filter(|&sheet| graph.importers(sheet).is_empty() && graph.entries.contains(&sheet))
        .collect()
}
