//! What the WebSocket sessions report to the engine thread.

use std::fmt;

use crate::wire::ClientMessage;

/// One WebSocket session (a browser tab), numbered from 1 per server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(pub u64);

impl ClientId {
    /// The app's server process (server-side HMR): its acks come back as this client's.
    pub const SERVER_PROCESS: ClientId = ClientId(0);
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client#{}", self.0)
    }
}

/// What the sessions report to the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientEvent {
    Connected {
        client_id: ClientId,
        user_agent: Option<String>,
    },
    Disconnected {
        client_id: ClientId,
    },
    Message {
        client_id: ClientId,
        message: ClientMessage,
    },
    /// A page requested the lazy chunk of the `import()` target `id` that the snapshot has as
    /// pending (`served::LazyChunks`): the engine compiles its modules and publishes a snapshot
    /// where it is ready (or, if it is no longer a target, where it is unknown).
    LazyChunkRequested {
        id: std::sync::Arc<str>,
    },
    /// A browser navigated to the page while the cold build runs: a page is on its way (its
    /// WebSocket opens once its entries ran). The engine's first build waits for its render
    /// while the last session's page is served (`devloop/first_render.rs`).
    PageRequested,
    /// A request waits for the first build's snapshot while the cold build runs (the chunk, a
    /// source map, a module the served page lacks, a worker's script): the build must not wait
    /// for a page's render (`devloop/first_render.rs`), which that answer may be holding up.
    BuildAwaited,
    /// A browser asked for the project's HTML page `id` (`/about.html`, `/nested/index.html`),
    /// one other than `index.html` that the snapshot does not serve yet (`Served::pages`): the
    /// engine takes it in (its stylesheets and entry scripts compiled) and publishes a snapshot
    /// that serves it.
    PageOpened {
        id: std::sync::Arc<str>,
    },
    /// A browser asked for the script `id` (`/src/sw.ts`) by its URL to run as a worker (a
    /// service worker's registration, `new Worker('/src/w.ts')`), one the snapshot has no
    /// worker chunk of (`Served::workers`): the engine takes it in as a worker root and
    /// publishes a snapshot that serves it.
    WorkerRequested {
        id: std::sync::Arc<str>,
    },
}
