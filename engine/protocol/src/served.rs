//! The immutable snapshot of what the HTTP side serves, published by the engine thread after
//! every revision (through a `tokio::sync::watch`). The server reads it; it never reaches into
//! the engine or salsa.
//!
//! The engine publishes an `Arc<Served>` through a `tokio::sync::watch` after each revision and
//! broadcasts encoded messages (`Frame`s, encoded once) through a `tokio::sync::broadcast`. It
//! publishes a revision's snapshot *before* it broadcasts that revision's update or reload, so a
//! tab that reloads on the message never fetches the previous chunk. Before the first build the
//! snapshot is `Served::building` (the page only); every route that needs modules waits on the
//! watch channel for the built one.
//! Client messages (ack, invalidate, custom) reach the engine over a crossbeam channel.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use rustc_hash::FxBuildHasher;

use crate::ModuleKind;
use crate::diagnostic::Diagnostic;
use crate::frame::RecentFrames;
use crate::module_map::{MapSource, ModuleMap};

/// The chunk's define statements, `(module id, statement)` in chunk order. A persistent vector:
/// each revision's snapshot is an O(1) clone of the last, and an edited module an O(log N)
/// update, so publishing a revision costs the same in a project of any size.
pub type Parts = imbl::Vector<(Arc<str>, Statement)>;

/// One module's define statement in three parts: `head` (`__hotloop.define("<id>", {deps}, `),
/// the factory `code` and `tail` (`);` and a newline, with the count of static deps before it
/// when some dep is dynamic). The factory is the module's own emitted code, the same allocation
/// as [`ServedModule::code`] and the engine's memo of it: the chunk holds each module's code
/// once, not a copy per statement. Written with the code's trailing whitespace left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    head: Arc<str>,
    code: Arc<str>,
    tail: Cow<'static, str>,
}

impl Statement {
    pub fn new(head: impl Into<Arc<str>>, code: Arc<str>, tail: Cow<'static, str>) -> Statement {
        Statement {
            head: head.into(),
            code,
            tail,
        }
    }

    /// A statement given whole (a virtual module's, a test's): all of it is `head`.
    pub fn whole(text: impl Into<Arc<str>>) -> Statement {
        Statement {
            head: text.into(),
            ..Statement::default()
        }
    }

    /// Its text in order, as written.
    pub fn pieces(&self) -> [&str; 3] {
        [&self.head, self.code.trim_end(), &self.tail]
    }

    /// The factory code it shares (untrimmed).
    pub fn code(&self) -> &Arc<str> {
        &self.code
    }

    /// Bytes as written.
    pub fn len(&self) -> usize {
        self.pieces().iter().map(|p| p.len()).sum()
    }

    /// An empty statement: a module that never compiled keeps its place in the chunk.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes this statement holds apart from the shared code.
    pub fn own_len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Newlines as written.
    pub fn newlines(&self) -> usize {
        self.pieces()
            .iter()
            .map(|p| p.bytes().filter(|&b| b == b'\n').count())
            .sum()
    }

    pub fn push_to(&self, out: &mut String) {
        for piece in self.pieces() {
            out.push_str(piece);
        }
    }

    pub fn extend_bytes(&self, out: &mut Vec<u8>) {
        for piece in self.pieces() {
            out.extend_from_slice(piece.as_bytes());
        }
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces().iter().try_for_each(|p| f.write_str(p))
    }
}

/// The workers' chunks, `(worker file's module id, chunk)`.
pub type WorkerChunks = Arc<[(Arc<str>, Arc<Chunk>)]>;

/// Emitted modules by id; persistent for the same reason as [`Parts`]. Each value behind an
/// `Arc`: the map's nodes hold their entries inline, 32 slots a node, so a ~90-byte
/// `ServedModule` in each slot cost ~5 MB at 20,000 modules (against ~3.5 with the `Arc`s and
/// the modules themselves), and every node an insert copies copied them.
pub type ServedModules = imbl::GenericHashMap<
    Arc<str>,
    Arc<ServedModule>,
    FxBuildHasher,
    imbl::shared_ptr::DefaultSharedPtr,
>;

/// Everything served for one revision.
#[derive(Clone, Debug)]
pub struct Served {
    /// Random per process: a client that sees another id after reconnecting reloads.
    pub server_id: Arc<str>,
    pub revision: u32,
    /// The revision of the session's first built snapshot (the cold build's). A page whose
    /// WebSocket subscribed while the build ran has every frame after it queued, so its hello
    /// names this one, not whatever revision is current by the time the build is done.
    pub first_revision: u32,
    /// Counts every snapshot the engine publishes (several may share a revision: a lazy chunk
    /// compiled, an edit no open page needs). A page names the snapshot a lazy chunk came from
    /// (`wire::ClientMessage::Loaded`), so the engine can tell whether it has an edit it held
    /// back.
    pub snapshot: u32,
    /// The entry HTML with the runtime and chunk tags injected; `None` without an `index.html`.
    pub html: Option<Arc<str>>,
    pub chunk: Arc<Chunk>,
    /// One chunk per web worker, by the worker file's module id: served after the runtime as
    /// the worker's script (`/_hotloop/worker/<id>`).
    pub workers: WorkerChunks,
    /// Emitted modules by id: source maps at `/_hotloop/map/<id>`, CSS text for linked
    /// stylesheets.
    pub modules: ServedModules,
    /// Current build errors (empty when the project compiles).
    pub errors: Arc<[Diagnostic]>,
    /// The first build is still running: only `html` is real. Routes that need the chunk,
    /// modules or errors wait for the next snapshot (see [`Served::building`]).
    pub building: bool,
    /// While `building`: `chunk` is the page as the last session left it, read from disk
    /// (the engine's `last_page.rs`), so the page and its pieces are served at once while the
    /// cold build runs; everything else still waits for the build. The build's first snapshot
    /// names the same revision when it turns out the same, and another (the runtime's hello
    /// check reloads the page) when not.
    pub last_session: bool,
    /// The engine's `FullReload { ClientOutOfSync }` frame for this revision: what a session
    /// that fell behind the broadcast sends before it closes. The server never chooses a
    /// reload itself; empty only before the engine has published.
    pub resync: Arc<[u8]>,
    /// The frames of the last revisions up to `revision`: what a page that loaded an older
    /// revision's chunk is sent after its hello to catch up (`engine/server/src/ws.rs`).
    pub recent: RecentFrames,
    /// Canonical source directories outside the project root that modules live in (linked
    /// workspace packages): the only places `/@fs/<path>` requests may read from.
    pub source_roots: Arc<[std::path::PathBuf]>,
    /// How the server puts hotloop's client into HTML the app's server returns (server-side
    /// HMR), the same rewrite `index.html` gets. Does not depend on the modules: real while
    /// `building` too.
    pub injection: Arc<PageInjection>,
    /// The page's lazy chunks (see [`LazyChunks`]).
    pub lazy: Arc<LazyChunks>,
    /// A multi-page app's other pages that a browser opened (`ClientEvent::PageOpened`), by
    /// their module id (`/about.html`, `/nested/index.html`): each as served, with the chunk's
    /// tag as `html` has it (the same chunk; a `<meta name="hotloop-page-entries">` before it
    /// names the page's own entries, which the runtime starts, each from its lazy chunk).
    pub pages: Arc<[(Arc<str>, Arc<str>)]>,
}

/// The page's lazy chunks: one per `import()` target outside the page's chunk, by the target's
/// module id, served at `/_hotloop/lazy.js?id=<id>` (and its index map at
/// `/_hotloop/lazy.js.map?id=<id>`). A chunk holds the target's static closure less the page's
/// chunk: define statements only, which the runtime skips for modules it has. A target that
/// is not compiled yet is `pending`: the server asks the engine for it
/// (`ClientEvent::LazyChunkRequested`) and waits for a snapshot where it is `ready`.
#[derive(Debug, Default)]
pub struct LazyChunks {
    pub ready: rustc_hash::FxHashMap<Arc<str>, Arc<Chunk>>,
    pub pending: rustc_hash::FxHashSet<Arc<str>>,
}

/// Where a lazy chunk stands in one snapshot.
#[derive(Debug)]
pub enum LazyChunkState<'a> {
    Ready(&'a Arc<Chunk>),
    /// An `import()` target not compiled yet.
    Pending,
    /// Not an `import()` target of the page.
    Unknown,
}

impl LazyChunks {
    pub fn get(&self, id: &str) -> LazyChunkState<'_> {
        if let Some(chunk) = self.ready.get(id) {
            LazyChunkState::Ready(chunk)
        } else if self.pending.contains(id) {
            LazyChunkState::Pending
        } else {
            LazyChunkState::Unknown
        }
    }
}

/// hotloop's client as the server injects it into an HTML response of the app's server, as the
/// engine rewrites `index.html` (`engine/src/queries/html.rs`): `head_tags` first in `<head>`
/// (before the first script when there is none, at the end when there is no script either);
/// the first `<script type="module" src>` whose `src` is one of `entries` becomes `chunk_tag`,
/// the other entry scripts are removed; a page with no entry script gets `chunk_tag` at the end
/// of the document (the page still connects and hot-updates; the chunk starts `index.html`'s
/// entries there too).
///
/// The client entries are the ones `index.html` declares (Vite's SSR convention: the app's
/// server renders into that template, so its HTML names the same entry scripts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageInjection {
    /// The runtime's tag, then the embedded React Refresh runtime's when the project uses it.
    pub head_tags: Arc<str>,
    /// The chunk's tag (`<script defer src="/_hotloop/chunk.js">`).
    pub chunk_tag: Arc<str>,
    /// The `src` of each local module script of `index.html`, as a root-absolute path without
    /// query or fragment, percent-decoded (`/src/entry-client.tsx`).
    pub entries: Arc<[Arc<str>]>,
}

impl Served {
    /// Nothing to serve yet (before the first build is published).
    pub fn empty(server_id: Arc<str>) -> Served {
        Served {
            server_id,
            revision: 0,
            first_revision: 0,
            snapshot: 0,
            html: None,
            chunk: Arc::new(Chunk::default()),
            workers: Arc::new([]),
            modules: ServedModules::default(),
            errors: Arc::from([]),
            building: false,
            last_session: false,
            resync: Arc::from([]),
            recent: RecentFrames::default(),
            source_roots: Arc::from([]),
            injection: Arc::default(),
            lazy: Arc::default(),
            pages: Arc::from([]),
        }
    }

    /// What can be served while the cold build runs: the entry HTML (its runtime and chunk
    /// tags do not depend on the modules), so the browser navigates and loads the runtime
    /// while the modules compile; the chunk request then waits for the build.
    pub fn building(server_id: Arc<str>, html: Option<Arc<str>>, resync: Arc<[u8]>) -> Served {
        Served {
            html,
            building: true,
            resync,
            ..Served::empty(server_id)
        }
    }

    /// The served HTML of the other page whose file is module `id` (see [`Served::pages`]).
    pub fn page(&self, id: &str) -> Option<&Arc<str>> {
        self.pages
            .iter()
            .find_map(|(page, html)| (**page == *id).then_some(html))
    }

    /// The chunk of the worker whose file is module `id`.
    pub fn worker(&self, id: &str) -> Option<&Arc<Chunk>> {
        self.workers
            .iter()
            .find_map(|(worker, chunk)| (**worker == *id).then_some(chunk))
    }
}

/// One emitted module as the server needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedModule {
    pub kind: ModuleKind,
    /// The factory function expression.
    pub code: Arc<str>,
    pub map: Option<ModuleMap>,
    /// The text of `map`'s one source when `map` leaves `sourcesContent` out (the file's own
    /// text, read again from the file when asked for): the server puts it back into the map
    /// it serves.
    pub map_source: Option<MapSource>,
    /// For CSS: the stylesheet text (relative `url()`s made absolute), served at the module's
    /// own URL for `<link rel=stylesheet>`.
    pub stylesheet: Option<Arc<str>>,
}

/// The entry chunk: one `__hotloop.define(...)` statement per module, in dependency order,
/// then the start call. Bytes are concatenated lazily, on the first request.
#[derive(Debug, Default)]
pub struct Chunk {
    /// `(module id, define statement)`; each statement ends with a newline (or is empty: a
    /// module that has never compiled keeps its place).
    pub parts: Parts,
    /// `__hotloop.start([...entries], { revision, serverId });` and the sourceMappingURL line
    /// (`//# sourceMappingURL=…`, the last line, when there is one).
    pub trailer: String,
    bytes: OnceLock<Arc<[u8]>>,
}

impl Chunk {
    pub fn new(parts: Parts, trailer: String) -> Chunk {
        Chunk {
            parts,
            trailer,
            bytes: OnceLock::new(),
        }
    }

    /// The trailer without its sourceMappingURL line: the start statement.
    pub fn start(&self) -> &str {
        match self.trailer.find("//# sourceMappingURL=") {
            Some(at) => &self.trailer[..at],
            None => &self.trailer,
        }
    }

    /// The chunk's bytes, built once and kept as long as the chunk.
    pub fn bytes(&self) -> &Arc<[u8]> {
        self.bytes.get_or_init(|| self.concat_with("").into())
    }

    /// The chunk's bytes with `extra` before the trailer, built for this call and not kept: for
    /// a chunk that lives across many snapshots but is asked for about once per page load (a
    /// lazy chunk, which ends with the statement naming its snapshot), where keeping its bytes
    /// would hold a copy of its modules for the whole session.
    pub fn concat_with(&self, extra: &str) -> Vec<u8> {
        let len = self.parts.iter().map(|(_, s)| s.len()).sum::<usize>()
            + extra.len()
            + self.trailer.len();
        let mut out = Vec::with_capacity(len);
        for (_, part) in self.parts.iter() {
            part.extend_bytes(&mut out);
        }
        out.extend_from_slice(extra.as_bytes());
        out.extend_from_slice(self.trailer.as_bytes());
        out
    }
}
