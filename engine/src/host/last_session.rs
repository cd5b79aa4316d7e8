//! The page of the last session (`crate::last_page`) on the host's side: read before the cold
//! build ([`EngineHost::last_session_page`]), checked against the build's first snapshot
//! ([`EngineHost::settle_last_page`]), recorded when the session ends
//! ([`EngineHost::record_page`]).
//!
//! Only for a page hotloop compiled alone: no Vite plugin hook was asked anything in the
//! session (their outputs may depend on what no manifest of files shows; a React project whose
//! plugin-react hotloop does itself asks none), no app's server (it renders `/` itself), and
//! with the compile cache on (the record lives in its directory). A session whose plugins did
//! answer, or whose page did not compile, removes the record it would have replaced.

use std::hash::Hash as _;
use std::path::PathBuf;
use std::sync::Arc;

use hotloop_protocol::served::{Chunk, Served};
use xxhash_rust::xxh3::Xxh3;

use super::EngineHost;
use super::publish::start_trailer;
use crate::db::Db as _;
use crate::last_page::{self, NotUsed, PageRecord, SERVER_ID_PLACEHOLDER, Sheets};
use crate::telemetry::LastPageCheck;

/// Where the page of the last session stands in this session.
#[derive(Default)]
pub(super) enum LastPage {
    /// Not looked at yet.
    #[default]
    Unread,
    /// Read and served while the cold build runs: the chunk and the stylesheets served.
    Served(Arc<Chunk>, Sheets),
    /// No record could be used, or the first build settled it.
    Done,
}

impl EngineHost {
    /// The key a record must carry to be used: this binary, this root, these options; `None`
    /// when this project does not keep one (see the module docs).
    fn last_page_key(&self) -> Option<(PathBuf, u128)> {
        let dir = self.db.compile_cache().dir()?.to_path_buf();
        let options = self.project.options(&self.db);
        if options.server_entry.is_some() || self.plugins_answered() {
            return None;
        }
        let mut hasher = Xxh3::new();
        hasher.update(&crate::cache::binary_salt()?.to_le_bytes());
        hasher.update(self.root.as_os_str().as_encoded_bytes());
        options.hash(&mut hasher);
        Some((dir, hasher.digest128()))
    }

    fn plugins_answered(&self) -> bool {
        self.db
            .plugins()
            .is_some_and(|plugins| plugins.hooks_answered())
    }

    /// The chunk of the last session's page for `html`, to serve while the cold build runs,
    /// with `server_id` in its start statement, and its stylesheets; read once.
    pub(super) fn last_session_chunk(
        &mut self,
        html: &str,
        server_id: &str,
    ) -> Option<(Arc<Chunk>, Sheets)> {
        if !matches!(self.last_page, LastPage::Unread) {
            return None;
        }
        self.last_page = LastPage::Done;
        let (dir, key) = self.last_page_key()?;
        let started = std::time::Instant::now();
        match last_page::load(&dir, key, html, server_id) {
            Ok(last_page::RecordedPage { chunk, sheets }) => {
                let chunk = Arc::new(chunk);
                tracing::info!(
                    "serving the page of the last session ({} modules, read in {:.1?}) while \
                     the build runs",
                    chunk.parts.len(),
                    started.elapsed()
                );
                self.last_page = LastPage::Served(chunk.clone(), sheets.clone());
                Some((chunk, sheets))
            }
            Err(NotUsed::Changed(path)) => {
                tracing::debug!(
                    "the last session's page is out of date: {} changed",
                    path.display()
                );
                None
            }
            Err(why) => {
                tracing::debug!("no page of the last session to serve: {why:?}");
                None
            }
        }
    }

    /// Compares the first build's snapshot (revision 0) with the page of the last session that
    /// was served while it ran. On [`LastPageCheck::Stale`] the caller publishes another
    /// revision, so the hello those pages get tells them to reload.
    pub fn settle_last_page(&mut self, served: &Served) -> LastPageCheck {
        let LastPage::Served(recorded, sheets) =
            std::mem::replace(&mut self.last_page, LastPage::Done)
        else {
            return LastPageCheck::NotServed;
        };
        // A stylesheet the build serves otherwise (or no longer) counts like a statement.
        let other_sheet = sheets.iter().find(|(id, text)| {
            served
                .modules
                .get(id)
                .and_then(|m| m.stylesheet.as_ref())
                .is_none_or(|now| now != text)
        });
        let check = match last_page::first_difference(&recorded.parts, &served.chunk.parts) {
            Some(module) => LastPageCheck::Stale {
                module: Some(module),
            },
            None if other_sheet.is_some() => LastPageCheck::Stale {
                module: other_sheet.map(|(id, _)| id.clone()),
            },
            None if recorded.trailer != served.chunk.trailer => {
                LastPageCheck::Stale { module: None }
            }
            None => LastPageCheck::Current,
        };
        match &check {
            LastPageCheck::Stale { module } => tracing::info!(
                "the last session's page was out of date ({} changed): pages that loaded it reload",
                module.as_deref().unwrap_or("its start statement")
            ),
            _ => tracing::debug!("the last session's page is current"),
        }
        if check == LastPageCheck::Current {
            self.recorded_revision = Some(served.revision);
        }
        check
    }

    /// Records `served`'s page for the next session, when the session ends (nothing when the
    /// project keeps no record, the snapshot has no page, or it is the page the session
    /// started with). Not earlier: writing it reads every file, and a thread that did so
    /// while the session ran left its memory resident (+6 to +12 MB RSS at 10,000 modules)
    /// and competed with the browser's first load for the cores.
    pub fn record_page(&mut self, served: &Served) {
        if served.building || self.recorded_revision == Some(served.revision) {
            return;
        }
        // A page that does not compile is not one to show before the build: without the
        // record, the page waits for the build and gets its errors with the hello.
        if (self.plugins_answered() || !served.errors.is_empty())
            && let Some(dir) = self.db.compile_cache().dir()
        {
            last_page::forget(dir);
            self.recorded_revision = Some(served.revision);
            return;
        }
        let (Some((dir, key)), Some(html), Some(state)) = (
            self.last_page_key(),
            served.html.as_deref(),
            self.state.as_ref(),
        ) else {
            return;
        };
        self.recorded_revision = Some(served.revision);
        let options = self.project.options(&self.db);
        let trailer = start_trailer(state, options, &self.root, 0, SERVER_ID_PLACEHOLDER);
        let files = self.db.files().files_on_disk();
        // `index.html`'s: the other pages of a multi-page app are not open when the next
        // session starts (their sheets would make its page look out of date).
        let other_pages = self.other_pages_sheets();
        let sheets = served
            .modules
            .iter()
            .filter(|(id, _)| !other_pages.contains(&**id))
            .filter_map(|(id, m)| Some((&**id, &**m.stylesheet.as_ref()?)))
            .collect();
        let record = PageRecord {
            key,
            html,
            parts: &served.chunk.parts,
            trailer: &trailer,
            sheets,
        };
        match last_page::save(&dir, &record, &files) {
            Ok(bytes) => tracing::debug!("recorded the page ({bytes} bytes) for the next session"),
            Err(e) => tracing::debug!("could not record the page in {}: {e}", dir.display()),
        }
    }
}
