//! The parallel pre-pass of full builds (the cold build and epoch moves): compiles and resolves
//! everything reachable from the HTML entries on all cores, so that `module_graph`, which walks
//! the same modules on one thread, finds them memoized; likewise the server graph from the
//! server entry (`warm_up_server`, for `server_graph`: its queries, Node's resolution, every
//! `import()` included: the server has one chunk). Like the page's graph, it stops at `import()`
//! unless the target is one a page asked for (`Project::lazy_roots`): what sits behind an
//! `import()` is compiled when a page asks for it (`warm_up_lazy`, the same pre-pass from
//! the requested targets, stopping at what the graph has: a request visits its new modules
//! only).
//!
//! One shared work list and no level barrier: a worker that has resolved a module's imports
//! queues them at once. One big file (a 1 MB `react-dom` development build) therefore occupies
//! one core while the others go on with the rest of the graph, instead of every other core
//! idling until the slowest file of its level is done.
//!
//! `warm_up_in_background`: once the page has rendered, the dev loop compiles the lazy chunks no
//! page asked for yet on one thread of their own (so a first navigation finds them compiled),
//! with a database handle of its own. Any input change cancels it (salsa's cancellation: the
//! setter waits until this handle is dropped, which happens as soon as the query running on it
//! unwinds), so it never holds up an update; what it finished stays memoized. It runs at the
//! lowest CPU priority (nice 19, Linux; elsewhere as it is): it never competes with the
//! browser's first render or an update for a core. The cost is a priority inversion while a
//! write waits for it to unwind: under full CPU contention the query it is in finishes at
//! that priority, so a write waits for the rest of one query (normally a millisecond or two
//! of compile) stretched by the contention.
//!
//! `warm_up_modules`: an update's modules, when there are several (the sheets one Sass partial
//! feeds), compiled side by side before the build looks at them in turn.

use std::sync::{Condvar, Mutex, MutexGuard};

use rustc_hash::FxHashSet;

use crate::db::{Db, EngineDb};
use crate::inputs::{Project, SourceFile};
use crate::queries::diagnostics::{module_diagnostics, server_module_diagnostics};
use crate::queries::emit::{chunk_entry, server_chunk_entry};
use crate::queries::graph::ProjectGraph;
use crate::queries::hot::{hot_meta, server_hot_meta};
use crate::queries::html::html_entries;
use crate::queries::resolve::{Resolution, resolved_imports, server_imports};
use crate::transform::ImportKind;

/// Warms the queries of every module reachable from the entries. Each worker holds its own
/// database handle, dropped before this returns. A query that panics in a worker panics again
/// when the graph walk demands it, on the caller's thread.
pub(crate) fn warm_up(db: &EngineDb, project: Project) {
    let entries = html_entries(db, project);
    let roots: Vec<SourceFile> = entries
        .scripts
        .iter()
        .chain(&entries.stylesheets)
        .map(|e| e.file)
        .collect();
    warm_up_from(db, roots, lazy_roots(db, project), visit);
}

/// Warms the static closures of the `import()` targets `roots` (a page asked for them), less
/// what is in `graph` already (compiled, and its imports are too): only the new modules are
/// visited.
pub(crate) fn warm_up_lazy(
    db: &EngineDb,
    project: Project,
    roots: Vec<SourceFile>,
    graph: &ProjectGraph,
) {
    warm_up_from_skipping(
        db,
        roots,
        lazy_roots(db, project),
        visit,
        &|file| graph.index_of_file(file).is_some(),
        usize::MAX,
    );
}

/// [`warm_up`] for the server graph, from the server entry.
pub(crate) fn warm_up_server(db: &EngineDb, entry: SourceFile) {
    warm_up_from(db, vec![entry], FxHashSet::default(), visit_server);
}

fn lazy_roots(db: &EngineDb, project: Project) -> FxHashSet<SourceFile> {
    project.lazy_roots(db).iter().copied().collect()
}

/// What one module needs warmed; pushes the modules it leads to onto `found`.
type Visit = fn(&EngineDb, SourceFile, &FxHashSet<SourceFile>, &mut Vec<SourceFile>);

/// Compiles `files`, an update's modules (the edited ones and those whose plugins watched an
/// edited file), on all cores before the build looks at them in turn, and nothing they import:
/// a Sass settings file that fourteen Vuetify sheets `@use` compiled the sheets one after
/// another, each a round trip to the plugin host, whose compiler takes them at once. Nothing to
/// do for one file (an ordinary edit), which the build compiles on its own thread.
pub(crate) fn warm_up_modules(db: &EngineDb, files: Vec<SourceFile>) {
    if files.len() < 2 {
        return;
    }
    let cap = files.len();
    warm_up_from_skipping(
        db,
        files,
        FxHashSet::default(),
        visit_module,
        &|_| false,
        cap,
    );
}

fn warm_up_from(
    db: &EngineDb,
    roots: Vec<SourceFile>,
    lazy_roots: FxHashSet<SourceFile>,
    visit: Visit,
) {
    warm_up_from_skipping(db, roots, lazy_roots, visit, &|_| false, usize::MAX);
}

/// [`warm_up_from`], not visiting the files for which `skip` is true, on at most `cap`
/// threads.
fn warm_up_from_skipping(
    db: &EngineDb,
    roots: Vec<SourceFile>,
    lazy_roots: FxHashSet<SourceFile>,
    visit: Visit,
    skip: &(dyn Fn(SourceFile) -> bool + Sync),
    cap: usize,
) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = warm_up_threads(cores, db.plugins().is_some()).min(cap);
    if threads < 2 {
        return;
    }
    let _span = tracing::debug_span!("warm_up", threads).entered();
    let lazy_roots = &lazy_roots;
    let mut seen = FxHashSet::default();
    let queue: Vec<SourceFile> = roots.into_iter().filter(|f| seen.insert(*f)).collect();
    let work = WorkList {
        state: Mutex::new(Work {
            queue,
            seen,
            active: 0,
            waiting: 0,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let db = db.clone();
            let work = &work;
            // Big stacks so swc runs in place (see `transform::assume_big_stack`). A worker
            // that cannot start leaves its share to the others.
            let _ = std::thread::Builder::new()
                .name("hotloop-warm-up".to_string())
                .stack_size(crate::transform::COMPILE_STACK)
                .spawn_scoped(scope, move || {
                    crate::transform::assume_big_stack();
                    let mut found = Vec::new();
                    while let Some(job) = work.next() {
                        visit(&db, job.file, lazy_roots, &mut found);
                        found.retain(|&file| !skip(file));
                        job.done(&mut found);
                    }
                });
        }
    });
}

/// How many threads the pre-pass runs on: one per core (at most 8); with plugins, at least
/// [`PLUGIN_WARM_UP_THREADS`]. A module the plugins touch spends most of its compile waiting on
/// the plugin host (one Node.js thread that answers requests in turn): with one thread per
/// core, on 2 cores, the host sat idle for half the 1000-SFC app's cold build, every thread
/// busy with its share of hotloop's own compile (or waiting for a core) while no request was
/// in flight. Threads waiting on the host cost no CPU, and more of them keep its queue full.
pub(crate) fn warm_up_threads(cores: usize, with_plugins: bool) -> usize {
    let threads = cores.min(8);
    if with_plugins {
        threads.max(PLUGIN_WARM_UP_THREADS)
    } else {
        threads
    }
}

/// The pre-pass's threads when plugins run (see [`warm_up_threads`]): the 1000-SFC Vue app's
/// cold build on 2 cores left the plugin host with no request in flight 35–45% of the time
/// with 2 threads, ~25% with 4, 13–18% with 16, and took the least time with 16.
pub(crate) const PLUGIN_WARM_UP_THREADS: usize = 16;

/// Compiles everything `roots` reach, `import()` included, on this thread, with `db` (a handle
/// of its own, dropped before this returns), one root's closure after the other in the order
/// given (the graph's: the order the page's modules import them, which is a router's order of
/// routes, so the first routes a user is likely to visit are compiled first). True when it
/// finished; false when an input change cancelled it.
///
/// Lowers the calling thread's priority first (call it on a thread of its own).
pub(crate) fn warm_up_in_background(db: EngineDb, roots: Vec<SourceFile>) -> bool {
    lower_this_thread_priority();
    let _span = tracing::debug_span!("warm_up_in_background", roots = roots.len()).entered();
    let walk = std::panic::AssertUnwindSafe(|| {
        let mut seen: FxHashSet<SourceFile> = roots.iter().copied().collect();
        // Depth first from a stack: the first root on top.
        let mut stack: Vec<SourceFile> = roots.into_iter().rev().collect();
        let mut found = Vec::new();
        while let Some(file) = stack.pop() {
            for import in resolved_imports(&db, file).iter() {
                if let Resolution::File(target) = import.resolution {
                    found.push(target);
                }
            }
            hot_meta(&db, file);
            chunk_entry(&db, file);
            module_diagnostics(&db, file);
            stack.extend(found.drain(..).filter(|f| seen.insert(*f)));
        }
    });
    let finished = salsa::Cancelled::catch(walk).is_ok();
    drop(db);
    finished
}

/// The nice value of the background warm-up's thread: the lowest priority, which the
/// scheduler serves only when nothing else wants the core.
pub(crate) const BACKGROUND_NICE: i32 = 19;

/// Sets the calling thread's nice value to `BACKGROUND_NICE` (Linux, where a nice value is per
/// thread: `setpriority(PRIO_PROCESS, <thread id>)` changes that thread alone); elsewhere does
/// nothing. A failure only costs the priority: it is logged at debug level.
pub(crate) fn lower_this_thread_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: two system calls about this thread, with no pointers.
        let result = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, BACKGROUND_NICE)
        };
        if result != 0 {
            tracing::debug!(
                "cannot lower the background warm-up's priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Everything the build needs of one module, computed now.
fn visit(
    db: &EngineDb,
    file: SourceFile,
    lazy_roots: &FxHashSet<SourceFile>,
    found: &mut Vec<SourceFile>,
) {
    for import in resolved_imports(db, file).iter() {
        if let Resolution::File(target) = import.resolution
            && (import.kind != ImportKind::Dynamic || lazy_roots.contains(&target))
        {
            found.push(target);
        }
    }
    hot_meta(db, file);
    chunk_entry(db, file);
    module_diagnostics(db, file);
}

/// What the build needs of one module of an update (`warm_up_modules`); none of its imports.
fn visit_module(
    db: &EngineDb,
    file: SourceFile,
    _lazy_roots: &FxHashSet<SourceFile>,
    _found: &mut Vec<SourceFile>,
) {
    resolved_imports(db, file);
    hot_meta(db, file);
    chunk_entry(db, file);
    module_diagnostics(db, file);
}

struct Work {
    /// Discovered, not yet taken.
    queue: Vec<SourceFile>,
    /// Ever queued.
    seen: FxHashSet<SourceFile>,
    /// Taken and not yet done: while any is, more work may come.
    active: usize,
    /// Workers waiting for work: a finished job wakes them only if there are any (a wake-up
    /// is a system call even when nobody waits; the cold build finishes one job per module).
    waiting: usize,
}

struct WorkList {
    state: Mutex<Work>,
    changed: Condvar,
}

impl WorkList {
    fn lock(&self) -> MutexGuard<'_, Work> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next file to visit; `None` once the queue is empty and no worker can add to it.
    fn next(&self) -> Option<Job<'_>> {
        let mut work = self.lock();
        loop {
            if let Some(file) = work.queue.pop() {
                work.active += 1;
                return Some(Job { list: self, file });
            }
            if work.active == 0 {
                return None;
            }
            work.waiting += 1;
            work = self
                .changed
                .wait(work)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work.waiting -= 1;
        }
    }
}

/// A taken file. Dropping it (also while a panicking query unwinds) marks it done, so the
/// other workers never wait for a job that will not finish.
struct Job<'a> {
    list: &'a WorkList,
    file: SourceFile,
}

impl Job<'_> {
    /// Queues the imports `found` (draining it) and finishes the job.
    fn done(self, found: &mut Vec<SourceFile>) {
        let mut work = self.list.lock();
        for file in found.drain(..) {
            if work.seen.insert(file) {
                work.queue.push(file);
            }
        }
    }
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        let mut work = self.list.lock();
        work.active -= 1;
        let waiting = work.waiting > 0;
        drop(work);
        if waiting {
            self.list.changed.notify_all();
        }
    }
}

/// What the server graph's build needs of one module (every import: the server has one chunk).
fn visit_server(
    db: &EngineDb,
    file: SourceFile,
    _lazy_roots: &FxHashSet<SourceFile>,
    found: &mut Vec<SourceFile>,
) {
    for import in server_imports(db, file).iter() {
        if let Resolution::File(target) = import.resolution {
            found.push(target);
        }
    }
    server_hot_meta(db, file);
    server_chunk_entry(db, file);
    server_module_diagnostics(db, file);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn this_thread_nice() -> i32 {
        // SAFETY: as in `lower_this_thread_priority`.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::getpriority(libc::PRIO_PROCESS, tid)
        }
    }

    #[test]
    fn plugins_get_threads_enough_to_keep_the_host_busy() {
        assert_eq!(warm_up_threads(2, false), 2);
        assert_eq!(warm_up_threads(1, false), 1, "one core: no pre-pass");
        assert_eq!(warm_up_threads(32, false), 8);
        assert_eq!(warm_up_threads(2, true), PLUGIN_WARM_UP_THREADS);
        assert_eq!(warm_up_threads(1, true), PLUGIN_WARM_UP_THREADS);
        assert_eq!(warm_up_threads(32, true), PLUGIN_WARM_UP_THREADS.max(8));
    }

    #[test]
    fn the_background_thread_lowers_its_own_priority_only() {
        let before = this_thread_nice();
        let nice = std::thread::spawn(|| {
            lower_this_thread_priority();
            this_thread_nice()
        })
        .join()
        .expect("thread");
        assert_eq!(nice, BACKGROUND_NICE);
        assert_eq!(
            this_thread_nice(),
            before,
            "the caller's thread is untouched"
        );
    }
}
