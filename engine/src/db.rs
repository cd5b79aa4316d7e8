//! The salsa database: `EngineDb` (storage, the `Files` side-table, the module resolvers, an
//! `ExecutionLog` fed by salsa's events and the `PhaseClock` the queries time themselves with)
//! and the `Db` trait the queries take.
//!
//! With recording switched on the log keeps every query execution and reuse, which is what the
//! incrementality tests and `hotloop profile` read; off (the dev server), it keeps nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use rustc_hash::FxHashMap;
use salsa::{EventKind, IngredientIndex};

use hotloop_protocol::plugin::Plugins;

use crate::cache::CompileCache;
use crate::files::Files;
use crate::plugin_cache::{Confirmations, Confirmer};
use crate::resolver::{ResolveSettings, Resolvers};
use crate::timing::PhaseClock;
use crate::tsconfig::Tsconfigs;

/// What the queries need beyond salsa itself.
#[salsa::db]
pub trait Db: salsa::Database {
    fn files(&self) -> &Files;
    fn resolvers(&self) -> &Resolvers;
    /// Where build time goes, by phase (see `timing`).
    fn clock(&self) -> &PhaseClock;
    /// The persistent compile cache (disabled unless the host opened one).
    fn compile_cache(&self) -> &CompileCache;
    /// The project's Vite plugins, when it has a config with some. Their answers depend only
    /// on the module's text and `ProjectOptions::plugins_fingerprint`, which the host sets with
    /// them: that is what keeps the queries that call them memoizable.
    fn plugins(&self) -> Option<&dyn Plugins>;
    /// The plugin outputs this session took from the compile cache, not yet confirmed by the
    /// plugins (`plugin_cache.rs`).
    fn plugin_confirmations(&self) -> &Confirmations;
}

/// The engine's database. `Clone` gives another handle on the same storage (one per thread).
#[salsa::db]
#[derive(Clone)]
pub struct EngineDb {
    storage: salsa::Storage<Self>,
    files: Arc<Files>,
    resolvers: Arc<Resolvers>,
    log: Arc<ExecutionLog>,
    clock: Arc<PhaseClock>,
    compile_cache: Arc<CompileCache>,
    plugins: Option<Arc<dyn Plugins>>,
    confirmations: Arc<Confirmations>,
}

#[salsa::db]
impl salsa::Database for EngineDb {}

#[salsa::db]
impl Db for EngineDb {
    fn files(&self) -> &Files {
        &self.files
    }

    fn resolvers(&self) -> &Resolvers {
        &self.resolvers
    }

    fn clock(&self) -> &PhaseClock {
        &self.clock
    }

    fn compile_cache(&self) -> &CompileCache {
        &self.compile_cache
    }

    fn plugins(&self) -> Option<&dyn Plugins> {
        self.plugins.as_deref()
    }

    fn plugin_confirmations(&self) -> &Confirmations {
        &self.confirmations
    }
}

impl EngineDb {
    /// A database for the project at `root` (canonical, absolute).
    pub fn new(root: PathBuf) -> EngineDb {
        let log = Arc::new(ExecutionLog::default());
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            match event.kind {
                EventKind::WillExecute { database_key } => {
                    sink.note(QueryEventKind::Executed, database_key)
                }
                EventKind::DidValidateMemoizedValue { database_key } => {
                    sink.note(QueryEventKind::Reused, database_key)
                }
                _ => {}
            }
        })));
        let resolvers = Resolvers::new(&root, &ResolveSettings::default());
        let tsconfigs = Tsconfigs::sharing_cache_of(&resolvers);
        EngineDb {
            storage,
            resolvers: Arc::new(resolvers),
            files: Arc::new(Files::new(root, tsconfigs)),
            log,
            clock: Arc::new(PhaseClock::default()),
            compile_cache: Arc::default(),
            plugins: None,
            confirmations: Arc::default(),
        }
    }

    /// Runs the project's plugins from now on (before the first build: the host sets the
    /// fingerprint input with them).
    pub fn set_plugins(&mut self, plugins: Arc<dyn Plugins>) {
        self.plugins = Some(plugins);
    }

    /// Resolves with `settings` (the config's `resolve.*`) from now on, on the same cache.
    /// Queries that resolved before do not know: the caller moves the resolution epoch.
    pub fn reconfigure_resolvers(&mut self, root: &Path, settings: &ResolveSettings) {
        self.resolvers = Arc::new(self.resolvers.reconfigured(root, settings));
    }

    /// Compiles scripts through `cache` from now on. A hit is exactly what compiling returns,
    /// so memoized results stay valid.
    pub fn set_compile_cache(&mut self, cache: CompileCache) {
        self.compile_cache = Arc::new(cache);
    }

    pub fn log(&self) -> &ExecutionLog {
        &self.log
    }

    /// What a thread confirming the plugin outputs taken from the compile cache needs
    /// (`plugin_cache::Confirmations::run`); `None` without plugins or with nothing to confirm.
    pub(crate) fn confirmer(&self) -> Option<Confirmer> {
        let plugins = self.plugins.clone()?;
        (!self.confirmations.is_empty()).then(|| Confirmer {
            plugins,
            cache: self.compile_cache.clone(),
            confirmations: self.confirmations.clone(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryEventKind {
    /// The query function ran (`WillExecute`).
    Executed,
    /// A memoized value was validated and reused (`DidValidateMemoizedValue`).
    Reused,
}

/// One recorded salsa event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryEvent {
    pub kind: QueryEventKind,
    /// The tracked function's name (`parsed_module`).
    pub query: Arc<str>,
    /// The salsa id of the key (a `SourceFile`, the `Project`, ...).
    pub key: salsa::Id,
    /// The key as salsa prints it (`parsed_module(Id(3))`).
    pub key_debug: String,
}

/// Fed by salsa's event callback. Not recording (the default), it does nothing: an event costs
/// one atomic load, not a lock the cold build's warm-up threads would queue on.
#[derive(Default)]
pub struct ExecutionLog {
    recording: AtomicBool,
    inner: Mutex<LogInner>,
}

#[derive(Default)]
struct LogInner {
    events: Vec<QueryEvent>,
    names: FxHashMap<IngredientIndex, Arc<str>>,
}

impl ExecutionLog {
    fn lock(&self) -> MutexGuard<'_, LogInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note(&self, kind: QueryEventKind, key: salsa::DatabaseKeyIndex) {
        if !self.recording.load(Relaxed) {
            return;
        }
        let mut inner = self.lock();
        // Salsa prints a key as `name(Id(..))` while a database is attached, which is always
        // the case inside the event callback.
        let key_debug = format!("{key:?}");
        let query = inner
            .names
            .entry(key.ingredient_index())
            .or_insert_with(|| key_debug.split('(').next().unwrap_or("?").into())
            .clone();
        inner.events.push(QueryEvent {
            kind,
            query,
            key: key.key_index(),
            key_debug,
        });
    }

    /// Keep every event (tests, profiling) or nothing (the default: no growth).
    pub fn set_recording(&self, on: bool) {
        let mut inner = self.lock();
        self.recording.store(on, Relaxed);
        if !on {
            inner.events = Vec::new();
        }
    }

    /// The recorded events since the last call.
    pub fn take(&self) -> Vec<QueryEvent> {
        std::mem::take(&mut self.lock().events)
    }
}
