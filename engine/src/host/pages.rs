//! A multi-page app's other pages: the HTML files besides `index.html` that a browser opened
//! (`Project::pages`). Each is served with the page's chunk and its own entry scripts, which
//! are lazy targets of the page's graph (`queries::graph`); opening one compiles its entries'
//! lazy chunks and its linked stylesheets at once, in the build that follows, so the page's
//! first request waits for one build and its chunks' requests for none.

use std::sync::Arc;

use rustc_hash::FxHashSet;
use salsa::{Durability, Setter as _};

use crate::db::Db as _;
use crate::inputs::SourceFile;
use crate::queries::graph::ProjectGraph;
use crate::queries::html::{HtmlEntries, html_entries, page_entries, page_html};
use crate::queries::parsed::file_id;
use hotloop_protocol::Diagnostic;

use super::EngineHost;

/// Another page as the last build served it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct OpenPage {
    pub(super) id: Arc<str>,
    pub(super) html: Arc<str>,
    /// The module ids of its entry scripts.
    pub(super) entries: Vec<Arc<str>>,
}

/// Which tabs the reload for an edit of `changed` pages (module ids; `/index.html` among them
/// or not) is for, as `PreparedUpdate::for_chunks` says it: `None` for every tab (`index.html`
/// changed, or a page none of whose entries is a lazy chunk of `prev`); else the lazy chunks
/// of the changed pages' entries as `prev` served them (the ones their tabs loaded).
pub(super) fn reload_only_for(
    changed: &[Arc<str>],
    prev: &[OpenPage],
    prev_graph: &ProjectGraph,
) -> Option<Vec<Arc<str>>> {
    let mut chunks = Vec::new();
    for id in changed {
        let page = prev.iter().find(|page| page.id == *id)?;
        let before = chunks.len();
        chunks.extend(
            page.entries
                .iter()
                .filter(|entry| prev_graph.lazy_target(entry).is_some())
                .cloned(),
        );
        if chunks.len() == before {
            return None;
        }
    }
    Some(chunks)
}

/// What [`EngineHost::open_page`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageOpen {
    /// Not an HTML file of the project other than `index.html`: nothing to do.
    NotAPage,
    /// The page is served already.
    Known,
    /// Taken in: the next `build` compiles what it loads and the snapshot after it serves it.
    Added,
}

impl EngineHost {
    /// A browser asked for the page whose module id is `id` (`/about.html`,
    /// `/nested/index.html`). Call between builds, then `build`.
    pub fn open_page(&mut self, id: &str) -> PageOpen {
        let relative = id.trim_start_matches('/');
        let path = self.root.join(relative);
        let is_html = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("html"));
        if !is_html || relative.split('/').any(|s| s == ".." || s.is_empty()) {
            return PageOpen::NotAPage;
        }
        let mut file = self.db.files().get_or_read(&self.db, &path);
        if !file.contents(&self.db).exists() && path.is_file() {
            // Created just now: the server found it before the watcher's event came.
            self.apply_changes(std::slice::from_ref(&path));
            file = self.db.files().get_or_read(&self.db, &path);
        }
        if file == self.project.index_html(&self.db) || !file.contents(&self.db).exists() {
            return PageOpen::NotAPage;
        }
        let pages = self.project.pages(&self.db);
        if pages.contains(&file) {
            return PageOpen::Known;
        }
        let pages: Arc<[_]> = pages.iter().copied().chain([file]).collect();
        self.project
            .set_pages(&mut self.db)
            .with_durability(Durability::LOW)
            .to(pages);
        // Its entry scripts are about to be asked for: they are lazy roots from now on, and
        // the next build compiles them (on all cores, `warm_up_lazy`).
        let entries = page_entries(&self.db, file);
        let roots = self.project.lazy_roots(&self.db);
        let added: Vec<_> = entries
            .scripts
            .iter()
            .map(|entry| entry.file)
            .filter(|file| !roots.contains(file))
            .collect();
        if !added.is_empty() {
            let roots: Arc<[_]> = roots.iter().copied().chain(added.iter().copied()).collect();
            self.project
                .set_lazy_roots(&mut self.db)
                .with_durability(Durability::LOW)
                .to(roots);
        }
        for file in added {
            if !self.pending.lazy_added.contains(&file) {
                self.pending.lazy_added.push(file);
            }
        }
        self.pending.pages_changed = true;
        tracing::debug!("opened the page {id}");
        PageOpen::Added
    }

    /// The page `file` was deleted: it is no page any more (its tabs reload, and get what the
    /// server has at its URL now).
    pub(super) fn close_page(&mut self, file: SourceFile) {
        let pages: Arc<[_]> = self
            .project
            .pages(&self.db)
            .iter()
            .copied()
            .filter(|&page| page != file)
            .collect();
        self.project
            .set_pages(&mut self.db)
            .with_durability(Durability::LOW)
            .to(pages);
    }

    /// The other pages as served, in the order opened.
    pub(super) fn open_pages(&self) -> Vec<OpenPage> {
        self.project
            .pages(&self.db)
            .iter()
            .map(|&page| OpenPage {
                id: file_id(&self.db, page),
                html: page_html(&self.db, page),
                entries: page_entries(&self.db, page)
                    .scripts
                    .iter()
                    .map(|entry| file_id(&self.db, entry.file))
                    .collect(),
            })
            .collect()
    }

    /// The module ids of the stylesheets the other pages link and `index.html` does not.
    pub(super) fn other_pages_sheets(&self) -> FxHashSet<Arc<str>> {
        let index: FxHashSet<SourceFile> = html_entries(&self.db, self.project)
            .stylesheets
            .iter()
            .map(|entry| entry.file)
            .collect();
        self.project
            .pages(&self.db)
            .iter()
            .flat_map(|&page| page_entries(&self.db, page).stylesheets.clone())
            .filter(|entry| !index.contains(&entry.file))
            .map(|entry| file_id(&self.db, entry.file))
            .collect()
    }

    /// The diagnostics of the HTML pages (an entry script that does not exist): `index`'s
    /// (`index.html`'s entries), then the other pages'. A multi-page app without an
    /// `index.html` is no error while another page is open (that page's overlay would show
    /// it); `/` still says so.
    pub(super) fn html_diagnostics(&self, index: &HtmlEntries) -> Vec<Diagnostic> {
        let pages = self.project.pages(&self.db);
        let index_diagnostics = if !index.exists && !pages.is_empty() {
            &[][..]
        } else {
            &index.diagnostics[..]
        };
        index_diagnostics
            .iter()
            .cloned()
            .chain(
                pages
                    .iter()
                    .flat_map(|&page| page_entries(&self.db, page).diagnostics.clone()),
            )
            .collect()
    }
}
