//! The page of the last session (`crate::last_page`) on the host's side: read while the cold
//! build starts (`building`), checked against the build's first snapshot
//! ([`EngineHost::settle_last_page`]), recorded after it and when a session ends
//! ([`EngineHost::record_page`]).
//!
//! Only for a page hotloop compiled alone: no Vite plugin hook was asked anything in the
//! session (their outputs may depend on what no manifest of files shows; a React project whose
//! plugin-react hotloop does itself asks none), no app's server (it renders `/` itself), and
//! with the compile cache on (the record lives in its directory). A session whose plugins did
//! answer removes the record it would have replaced.

use std::hash::Hash as _;
use std::path::PathBuf;
use std::sync::Arc;

use hotloop_protocol::served::{Chunk, Served};
use xxhash_rust::xxh3::Xxh3;

use super::EngineHost;
use super::publish::start_trailer;
use crate::db::Db as _;
use crate::last_page::{self, NotUsed, PageRecord, SERVER_ID_PLACEHOLDER};
use crate::telemetry::LastPageCheck;

/// Where the page of the last session stands in this session.
#[derive(Default)]
pub(super) enum LastPage {
    /// Not looked at yet.
    #[default]
    Unread,
    /// Read and served while the cold build runs: the chunk that was served.
    Served(Arc<Chunk>),
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
    /// with `server_id` in its start statement; read once.
    pub(super) fn last_session_chunk(&mut self, html: &str, server_id: &str) -> Option<Arc<Chunk>> {
        if !matches!(self.last_page, LastPage::Unread) {
            return None;
        }
        self.last_page = LastPage::Done;
        let (dir, key) = self.last_page_key()?;
        let started = std::time::Instant::now();
        match last_page::load(&dir, key, html, server_id) {
            Ok(chunk) => {
                let chunk = Arc::new(chunk);
                tracing::info!(
                    "serving the page of the last session ({} modules, read in {:.1?}) while \
                     the build runs",
                    chunk.parts.len(),
                    started.elapsed()
                );
                self.last_page = LastPage::Served(chunk.clone());
                Some(chunk)
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
        let LastPage::Served(recorded) = std::mem::replace(&mut self.last_page, LastPage::Done)
        else {
            return LastPageCheck::NotServed;
        };
        let check = match last_page::first_difference(&recorded.parts, &served.chunk.parts) {
            Some(module) => LastPageCheck::Stale {
                module: Some(module),
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

    /// Records `served`'s page for the next session (nothing when the project keeps no record,
    /// the snapshot has no page, or its revision is the one recorded last). `wait`: written
    /// before this returns (the end of a session); else on a thread of its own.
    pub fn record_page(&mut self, served: &Served, wait: bool) {
        if served.building || self.recorded_revision == Some(served.revision) {
            return;
        }
        if self.plugins_answered()
            && let Some(dir) = self.db.compile_cache().dir()
        {
            last_page::forget(dir);
            return;
        }
        let (Some((dir, key)), Some(html), Some(state)) = (
            self.last_page_key(),
            served.html.clone(),
            self.state.as_ref(),
        ) else {
            return;
        };
        self.recorded_revision = Some(served.revision);
        let mode = &self.project.options(&self.db).mode;
        let trailer = start_trailer(state, mode, 0, SERVER_ID_PLACEHOLDER);
        let parts = served.chunk.parts.clone();
        let files = self.db.files().files_on_disk();
        let write = move || {
            let record = PageRecord {
                key,
                html: &html,
                parts: &parts,
                trailer: &trailer,
            };
            match last_page::save(&dir, &record, &files) {
                Ok(bytes) => {
                    tracing::debug!("recorded the page ({bytes} bytes) for the next session")
                }
                Err(e) => tracing::debug!("could not record the page in {}: {e}", dir.display()),
            }
        };
        // One record at a time, in order: the last one written is the last page.
        if let Some(earlier) = self.record_thread.take() {
            let _ = earlier.join();
        }
        if wait {
            write();
            return;
        }
        match std::thread::Builder::new()
            .name("hotloop-last-page".into())
            .spawn(write)
        {
            Ok(thread) => self.record_thread = Some(thread),
            Err(e) => tracing::debug!("could not record the page: {e}"),
        }
    }
}
