//! The text served for a stylesheet's own URL (what a `<link rel=stylesheet>` and the browser's
//! `@import` fetch): its `@import` URLs carry `?v=<version>` of the sheet they import, where a
//! version is a hash of that sheet's own served text (so, recursively, of everything it
//! imports). When any sheet of a `<link>`ed chain changes, the page swaps the linked root
//! (`css_links`); the browser fetches the root again, and through the new versions exactly the
//! imported sheets that changed, while the unchanged ones come from its cache.
//!
//! The last published texts are also the bases of an update's CSS patches: a patch names the
//! version (`css_version`) and the rule count it applies to (`crate::css_diff`), and a page whose
//! sheet is at another version takes the whole text.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::css::version_imports;
use crate::css_diff;
use crate::db::EngineDb;
use crate::graph::{ModuleGraph, ModuleIndex, ModuleKind};
use crate::queries::emit::module_deps;
use crate::queries::graph::ProjectGraph;
use crate::queries::parsed::parsed_module;
use hotloop_protocol::served::ServedModule;
use hotloop_protocol::wire::{CssPatch, CssTarget, css_version};

use super::EngineHost;

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
    let text = parsed.stylesheet()?.clone();
    if parsed.stylesheet_imports().is_empty() {
        return Some(text);
    }
    memo.insert(index, None);
    let deps = module_deps(db, graph.file(index));
    let prefix = crate::inputs::Project::get(db)
        .options(db)
        .url_prefix()
        .to_string();
    // Each URL is the imported sheet's own (a package's `@import "animate.css"`, an alias's
    // `@import "@/x.css"`: not the specifier made absolute as a path beside this sheet).
    let versioned: Arc<str> = version_imports(&text, parsed.stylesheet_imports(), |spec| {
        let id = deps.iter().find(|d| &*d.specifier == spec)?.id.clone()?;
        let imported = graph.index_of(&id)?;
        let sheet = served_stylesheet(db, graph, imported, memo)?;
        let version = format!("{:08x}", xxhash_rust::xxh3::xxh3_64(sheet.as_bytes()) >> 32);
        Some((Some(format!("{prefix}{id}")), version))
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

/// The stylesheet texts of the last published snapshot, by module id: the `<style>` text
/// (what the factory injects) and the `<link>` text (the served sheet). An up-to-date page
/// holds exactly these (every snapshot is published before its frame is broadcast, and a page
/// that missed a frame reloads), so a CSS patch goes from them to the new texts; a page whose
/// sheet is at another version finds out from the patch's `base` and takes the whole text.
/// Kept across full builds (ids, not indices), refreshed exactly where the served modules are.
#[derive(Default)]
pub(super) struct PublishedSheets(FxHashMap<Arc<str>, PublishedSheet>);

#[derive(Default)]
struct PublishedSheet {
    style: Option<Arc<str>>,
    link: Option<Arc<str>>,
}

impl PublishedSheets {
    /// Records module `index` as `served` publishes it (`None`: not served, nothing known).
    pub(super) fn record(
        &mut self,
        db: &EngineDb,
        graph: &ProjectGraph,
        index: ModuleIndex,
        served: Option<&ServedModule>,
    ) {
        let id = &graph.module(index).id;
        match served {
            Some(served) if served.kind == ModuleKind::Css => {
                let style = parsed_module(db, graph.file(index)).style().cloned();
                self.0.insert(
                    id.clone(),
                    PublishedSheet {
                        style,
                        link: served.stylesheet.clone(),
                    },
                );
            }
            _ => {
                self.0.remove(id);
            }
        }
    }
}

impl EngineHost {
    /// The CSS patches of an update that sends the stylesheet modules among `sent` (their
    /// `<style>`s) and swaps the linked sheets `links`, from the last published texts to the
    /// current ones, and each linked sheet's new version (for `CssLink::version`). A sheet
    /// without a published text, or whose change is not small (`css_diff::diff`), gets no
    /// patch: the update's full form serves it.
    pub(crate) fn css_patches(
        &self,
        sent: &[ModuleIndex],
        links: &[ModuleIndex],
    ) -> (Vec<CssPatch>, Vec<u32>) {
        let Some(state) = self.state.as_ref() else {
            return (Vec::new(), vec![0; links.len()]);
        };
        let graph = &state.graph;
        let mut patches = Vec::new();
        let patch = |target, id: &Arc<str>, old: Option<&Arc<str>>, new: &str| {
            let old = old?;
            let (rules, edits) = css_diff::diff(old, new)?;
            Some(CssPatch {
                target,
                id: id.clone(),
                base: css_version(old),
                version: css_version(new),
                rules,
                edits,
            })
        };
        // Only modules in the page's chunk have a `<style>`.
        let in_chunk = |index: ModuleIndex| {
            state
                .served
                .positions
                .get(index.idx())
                .is_some_and(|&p| p != super::publish::NOT_IN_CHUNK)
        };
        for &index in sent {
            if graph.graph.module(index).kind != ModuleKind::Css || !in_chunk(index) {
                continue;
            }
            let id = &graph.module(index).id;
            let parsed = parsed_module(&self.db, graph.file(index));
            let Some(new) = parsed.style().map(|s| &**s) else {
                continue;
            };
            let old = self
                .published_sheets
                .0
                .get(id)
                .and_then(|s| s.style.as_ref());
            patches.extend(patch(CssTarget::Style, id, old, new));
        }
        let mut memo = Memo::default();
        let mut versions = Vec::with_capacity(links.len());
        for &index in links {
            let id = &graph.module(index).id;
            let Some(new) = served_stylesheet(&self.db, graph, index, &mut memo) else {
                versions.push(0);
                continue;
            };
            versions.push(css_version(&new));
            let old = self
                .published_sheets
                .0
                .get(id)
                .and_then(|s| s.link.as_ref());
            patches.extend(patch(CssTarget::Link, id, old, &new));
        }
        (patches, versions)
    }
}
