//! What the engine lets its hosts observe about itself, as plain data: which queries ran or
//! were reused (named by query and module), the timed frames of a trace, and salsa's memo
//! counts. Used by the dev loop's telemetry, `hotloop profile` and the tests; none of it
//! hands out the database.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Instant;

use super::EngineHost;
use super::build::BuildState;
use crate::db::{Db as _, EngineDb, QueryEvent, QueryEventKind};
use crate::inputs::SourceFile;
use crate::telemetry::Phase;

/// One query execution or memo reuse, named for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryRun {
    pub kind: QueryEventKind,
    /// The tracked function (`parsed_module`).
    pub query: Arc<str>,
    /// The module id of the file it ran for, or `project` for whole-project queries.
    pub module: String,
}

/// One timed frame of a trace (a query execution or a build step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSpan {
    pub phase: Phase,
    /// The query or build step (`parsed_module`, `build.full`).
    pub name: &'static str,
    /// The module id of the file it ran for, if it ran for one.
    pub module: Option<String>,
    pub thread: ThreadId,
    pub start: Instant,
    pub end: Instant,
}

impl EngineHost {
    /// Starts or stops recording which queries run (see [`EngineHost::take_query_runs`]);
    /// without recording only per-query counts are kept.
    pub fn record_queries(&self, on: bool) {
        self.db.log().set_recording(on);
    }

    /// The query runs recorded since the last call.
    pub fn take_query_runs(&self) -> Vec<QueryRun> {
        let events = self.db.log().take();
        self.name_runs(&events)
    }

    pub(crate) fn name_runs(&self, events: &[QueryEvent]) -> Vec<QueryRun> {
        let files = self.db.files();
        events
            .iter()
            .map(|event| QueryRun {
                kind: event.kind,
                query: event.query.clone(),
                module: match files.path_of(event.key) {
                    Some(path) => files.module_id(&path).to_string(),
                    None => "project".to_owned(),
                },
            })
            .collect()
    }

    /// Starts or stops keeping the timed frames of queries and build steps.
    pub fn record_trace(&self, on: bool) {
        self.db.clock().set_recording(on);
    }

    /// The frames kept since the last call.
    pub fn take_trace(&self) -> Vec<TraceSpan> {
        let files = self.db.files();
        self.db
            .clock()
            .take_spans()
            .into_iter()
            .map(|span| TraceSpan {
                phase: span.phase,
                name: span.name,
                module: span
                    .key
                    .and_then(|id| files.path_of(id))
                    .map(|path| files.module_id(&path).to_string()),
                thread: span.thread,
                start: span.start,
                end: span.end,
            })
            .collect()
    }

    /// salsa's memos per query and structs per kind: `(name, count, bytes)`, largest first.
    /// O(memos) and, like a write, needs the database to itself (see `memory::query_memory`).
    pub fn query_memory(&mut self) -> Vec<(String, usize, usize)> {
        crate::memory::query_memory(&mut self.db)
    }

    /// Hits and misses of the persistent compile cache so far.
    pub fn compile_cache_stats(&self) -> crate::cache::CacheStats {
        self.db.compile_cache().stats()
    }

    /// The source directories outside the project root that modules of the last build live in:
    /// linked workspace packages (`npm link`, `file:` and workspace deps whose real path is not
    /// inside a `node_modules`), each as its package directory (the nearest `package.json`
    /// above the module). The watcher must watch them: they are source code, edited like `src/`.
    /// Computed once per graph: the published snapshot's `source_roots` are the same list.
    pub fn source_dirs_outside_root(&mut self) -> Arc<[PathBuf]> {
        match &mut self.state {
            Some(state) => cached_source_dirs(&self.db, &self.root, state),
            None => Arc::from([]),
        }
    }

    /// Whether the file at `path` is a module of the last build's graph.
    pub fn is_in_graph(&self, path: &Path) -> bool {
        let graph = self.state.as_ref().map(|s| &s.graph);
        match (self.db.files().get(path), graph) {
            (Some(file), Some(graph)) => graph.index_of_file(file).is_some(),
            _ => false,
        }
    }
}

/// The source directories outside `root` of `state`'s graph, kept until the next full build;
/// a graph grown by lazy chunks (`ServedState::grew`) adds what its new modules bring:
/// O(new modules).
pub(super) fn cached_source_dirs(
    db: &EngineDb,
    root: &Path,
    state: &mut BuildState,
) -> Arc<[PathBuf]> {
    let files = &state.graph.files;
    match &state.served.source_roots {
        Some((dirs, scanned)) if *scanned == files.len() => dirs.clone(),
        known => {
            let (mut dirs, scanned) = known
                .as_ref()
                .map_or((Vec::new(), 0), |(dirs, scanned)| (dirs.to_vec(), *scanned));
            add_source_dirs_outside(db, root, &files[scanned.min(files.len())..], &mut dirs);
            let dirs: Arc<[PathBuf]> = dirs.into();
            state.served.source_roots = Some((dirs.clone(), files.len()));
            dirs
        }
    }
}

/// Adds to `dirs` (sorted; see [`EngineHost::source_dirs_outside_root`]) the package
/// directories of the modules of `files` that live outside `root` and outside any
/// `node_modules`. O(files).
fn add_source_dirs_outside(
    db: &EngineDb,
    root: &Path,
    files: &[SourceFile],
    dirs: &mut Vec<PathBuf>,
) {
    for &file in files {
        let path = file.path(db);
        if path.starts_with(root)
            || path
                .components()
                .any(|c| c.as_os_str() == std::ffi::OsStr::new("node_modules"))
            || dirs.iter().any(|dir| path.starts_with(dir))
        {
            continue;
        }
        let Some(parent) = path.parent() else {
            continue;
        };
        let package = parent
            .ancestors()
            .find(|dir| dir.join("package.json").is_file())
            .unwrap_or(parent);
        dirs.retain(|dir| !dir.starts_with(package));
        dirs.push(package.to_path_buf());
    }
    dirs.sort();
}
