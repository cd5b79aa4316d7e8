//! What the engine tells the outside world while it works: one closed enum of events, sent on
//! a crossbeam channel to the headless log or the dashboard. The engine never blocks on it:
//! events are sent with `try_send` on a bounded channel and dropped when the reader lags.
//!
//! Among the events, `ChunkLoaded` says which lazy chunks each client loaded (the Clients and
//! Graph tabs); among the phases, `Phase::Lazy` is a lazy chunk's compile on a page's request,
//! not an update's phase.

use std::sync::Arc;
use std::time::Duration;

use crate::graph::ModuleGraph;
use hotloop_protocol::Diagnostic;

/// The phases of one update, in order. `ClientApply` comes from the client's ack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// First watcher event → batch sealed.
    Coalesce,
    /// Reading changed files and setting inputs.
    Read,
    /// Compiling a lazy chunk a page asked for (`import()`), before its modules join the
    /// graph: the wall time of that chunk's parallel pre-pass (its queries' own phases are
    /// charged on the pre-pass' threads). Not an update's phase (not in [`Phase::ALL`]).
    Lazy,
    /// Parse + transform (salsa `parsed_module` and projections).
    Parse,
    /// Import resolution.
    Resolve,
    /// Emitting chunk entries.
    Emit,
    /// Module graph (only when imports changed).
    Graph,
    /// Update planning.
    Plan,
    /// Encoding the protocol message.
    Encode,
    /// Handing the frame to the server's broadcast.
    Send,
    /// Browser: message received → update applied (from the ack).
    ClientApply,
}

impl Phase {
    /// The phases of an update, in order.
    pub const ALL: [Phase; 10] = [
        Phase::Coalesce,
        Phase::Read,
        Phase::Parse,
        Phase::Resolve,
        Phase::Emit,
        Phase::Graph,
        Phase::Plan,
        Phase::Encode,
        Phase::Send,
        Phase::ClientApply,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Coalesce => "coalesce",
            Phase::Read => "read",
            Phase::Lazy => "lazy",
            Phase::Parse => "parse",
            Phase::Resolve => "resolve",
            Phase::Emit => "emit",
            Phase::Graph => "graph",
            Phase::Plan => "plan",
            Phase::Encode => "encode",
            Phase::Send => "send",
            Phase::ClientApply => "apply",
        }
    }
}

/// Per-query execution counts for one revision: which queries re-ran and which were reused,
/// per file, and which inputs changed (the why).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvalidationProfile {
    /// Inputs set in this revision (module ids / paths).
    pub changed_inputs: Vec<String>,
    /// `(query, key)` that executed.
    pub executed: Vec<(String, String)>,
    /// `(query, key)` whose memo was validated and reused.
    pub reused: Vec<(String, String)>,
}

/// How an update ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Nothing the browser runs changed (identical bytes, type-only edit, ...).
    NoChange,
    Hot {
        /// Module ids whose code was sent.
        modules: Vec<String>,
        /// Boundary ids (`id` or `id accepts dep`).
        boundaries: Vec<String>,
        css_only: bool,
    },
    FullReload {
        reason: String,
    },
    /// The batch left errors: the browser keeps its last good state and shows the overlay.
    Errors {
        count: usize,
    },
}

/// One update, with its phase timings.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateReport {
    /// The update's number in the session, from 1: every update has one of its own (a
    /// revision does not: an update that sends nothing leaves the pages where they were).
    pub number: u32,
    /// The revision its frame carried, which the pages' acks name (`EngineEvent::Applied`);
    /// `None` when it sent none (no change, a failed build).
    pub revision: Option<u32>,
    /// Files in the batch (paths relative to the root).
    pub files: Vec<String>,
    pub outcome: UpdateOutcome,
    pub phases: Vec<(Phase, Duration)>,
    /// Sum of the server-side phases (watch event → frame handed to the server).
    pub server_total: Duration,
    /// Clients the frame was sent to (0 without a frame).
    pub clients: usize,
    pub invalidation: InvalidationProfile,
    /// For an update a page's `import.meta.hot.invalidate()` asked for: the module that
    /// invalidated itself and why (a CSS Module whose class names changed); its importers ran
    /// again with the code they had.
    pub invalidated: Option<Invalidated>,
}

/// A module that invalidated itself in a page (`import.meta.hot.invalidate(message)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalidated {
    /// Its module id (`/src/card.module.css`).
    pub module: String,
    /// The reason it gave, if any (`its class names changed`).
    pub message: Option<String>,
}

/// Module graph counts for the overview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphStats {
    pub modules: usize,
    pub edges: usize,
    pub boundaries: usize,
    pub css: usize,
    pub assets: usize,
    pub node_modules: usize,
}

/// The server graph's counts (server-side HMR, `--server`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerGraphStats {
    /// The server entry's module id (`/src/server.ts`).
    pub entry: String,
    pub modules: usize,
    /// npm packages and Node built-ins that Node loads itself.
    pub externals: usize,
}

/// One update of the server graph, as sent to the app's server process.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerUpdateReport {
    /// The server's own revision (its process counts its updates apart from the pages').
    pub revision: u32,
    /// Files in the batch (paths relative to the root).
    pub files: Vec<String>,
    /// `Hot`: applied in place; `FullReload`: the process restarts with a new chunk.
    pub outcome: UpdateOutcome,
    /// Building the server graph, planning and encoding its update.
    pub prepare: Duration,
}

/// Memory figures, sampled after each update and periodically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    pub rss_bytes: u64,
    /// mimalloc's committed bytes and their peak if available (0 otherwise): the address
    /// space it made usable, not memory in use (on Linux it gives pages back with
    /// `MADV_DONTNEED` and still counts them, so it can exceed the peak RSS).
    pub allocator_committed: u64,
    pub allocator_peak: u64,
    /// `(query or struct name, memo count, bytes)` from salsa's memory usage.
    pub queries: Vec<(String, usize, usize)>,
    pub emitted_code_bytes: u64,
    pub source_map_bytes: u64,
}

/// What the first build made of the page of the last session that was served while it ran
/// (`engine/src/last_page.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LastPageCheck {
    /// None was served (no record, or a file changed since).
    #[default]
    NotServed,
    /// The build made the same page: the pages that loaded it are current.
    Current,
    /// The build made another: pages that loaded the last session's must reload (their hello
    /// says so). Names the first module whose code differs (`None`: the start statement).
    Stale { module: Option<Arc<str>> },
}

/// The server is listening: what `EngineEvent::Ready` says.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadyReport {
    pub url: String,
    pub root: String,
    pub graph: GraphStats,
    pub cold_start: Duration,
    /// Scripts the cold build took from the persistent compile cache.
    pub from_cache: u64,
    /// Whether the page of the last session was served while the build ran, and current.
    pub last_page: LastPageCheck,
    /// A page rendered the last session's page this long after the engine began to wait for
    /// it, and the cold build ran after that (`devloop::first_render`).
    pub first_render: Option<Duration>,
}

/// Everything the engine reports. The telemetry channel is bounded and holds its slots from
/// the start (4096 of them in the binary), so a variant that is both big and rare (`Ready`, an
/// update's report) is boxed: the size of the common ones is what every slot costs.
#[derive(Clone, Debug, PartialEq)]
pub enum EngineEvent {
    /// The server is listening.
    Ready(Box<ReadyReport>),
    /// A batch of file changes arrived.
    ChangeDetected {
        files: Vec<String>,
    },
    Update(Box<UpdateReport>),
    /// Current build errors (complete set; empty = all fixed).
    Diagnostics(Arc<[Diagnostic]>),
    GraphChanged(GraphStats),
    /// The module graph itself (sent when it was rebuilt): lets the dashboard show a module's
    /// imports, importers and the chain up to its hot boundary. Plain data, shared, so sending
    /// it costs one `Arc` clone.
    GraphSnapshot(Arc<ModuleGraph>),
    ClientConnected {
        client: u64,
        user_agent: String,
    },
    ClientDisconnected {
        client: u64,
    },
    /// A page loaded the lazy chunk of the `import()` target `chunk` (its
    /// `ClientMessage::Loaded`): `modules` are the ids the chunk defines; the page gets their
    /// updates from now on.
    ChunkLoaded {
        client: u64,
        chunk: Arc<str>,
        modules: Arc<[Arc<str>]>,
    },
    /// A client applied an update: `apply` from its ack, `end_to_end` = first watcher event to
    /// ack received.
    Applied {
        client: u64,
        revision: u32,
        ok: bool,
        apply: Duration,
        end_to_end: Option<Duration>,
        error: Option<String>,
    },
    Memory(MemoryStats),
    /// The server graph (server-side HMR) as built: at start and whenever its modules change.
    ServerGraph(ServerGraphStats),
    /// An update of the server graph went to the app's server process (or restarts it).
    ServerUpdate(Box<ServerUpdateReport>),
    /// The app's server process applied a server update (its ack): the server's apply phase,
    /// and save → applied.
    ServerApplied {
        revision: u32,
        ok: bool,
        apply: Duration,
        end_to_end: Option<Duration>,
    },
    /// The app's server process, sampled by the binary that runs it: its pid and resident set
    /// (the Node process alone, from `/proc/<pid>/status`).
    ServerProcess {
        pid: u32,
        rss_bytes: u64,
    },
    /// Hot reloading is degraded (watcher failed / overflowed; a rescan ran).
    WatcherDegraded {
        message: String,
    },
    /// A log line for the dashboard's log pane.
    Log {
        level: tracing::Level,
        message: String,
        /// The project's plugins printed it (what Vite's terminal shows of them: an
        /// inspector's URL, a type checker's report); the Overview keeps their latest in sight.
        plugins: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::EngineEvent;

    /// Every slot of the bounded telemetry channel is one event wide, held for the session.
    #[test]
    fn an_event_is_small_enough_for_the_channel_s_preallocated_slots() {
        assert!(
            std::mem::size_of::<EngineEvent>() <= 80,
            "{} bytes: box the variant that grew",
            std::mem::size_of::<EngineEvent>()
        );
    }
}
