//! hotloop's engine: the salsa query database that turns a project into executable chunks and
//! a set of changed files into the smallest correct hot update, the planner, the watcher and
//! the engine thread's loop. See ARCHITECTURE.md for the map.
//!
//! The crate's whole public surface is this file: the [`EngineHost`] façade (it owns the
//! database; nothing else can reach it), the [`DevLoop`] that runs it on the engine thread, the
//! [`watcher`], and plain data. Every other module is private, so a host (the binary, the
//! profiler, the dashboard) cannot touch salsa even by accident.
//!
//! Layers, lowest first; a module imports only from its own layer or below, and no modules
//! import each other in a cycle (checked by `tests/layers.rs`, whose `LAYERS` is the list):
//! 1. plain data and pure helpers: `environment`, `graph`, `telemetry`, `timing`, `dotenv`,
//!    `js_literal`; `watcher`, which only reports paths
//! 2. pure compilers: `transform`, `css`, `css_diff`, `css_modules` (no salsa, no IO)
//! 3. the database: `inputs`, `source_text`, `files`, `resolver`, `tsconfig`, `package_type`,
//!    `cache`, `plugin_cache`, `last_page`, `db`, `memory`
//! 4. `queries/` (salsa tracked functions)
//! 5. `host/` (the façade), `plan`, `warm_up`
//! 6. `update`, `server_update`
//! 7. `devloop`
//! 8. `testing` (compiled for tests and behind the `testing` feature only): it drives the
//!    façade and reads the planner.

mod cache;
mod css;
mod css_diff;
mod css_modules;
mod db;
mod devloop;
mod dotenv;
mod environment;
mod files;
mod graph;
mod host;
mod inputs;
mod js_literal;
mod last_page;
mod memory;
mod package_type;
mod plan;
mod plugin_cache;
mod queries;
mod resolver;
mod server_update;
mod source_text;
mod telemetry;
mod timing;
mod transform;
mod tsconfig;
mod update;
mod warm_up;
pub mod watcher;

#[cfg(test)]
mod tests;

/// Test support shared by every crate's tests (the `testing` feature); see its docs.
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use cache::{CacheStats, CompileCache};
pub use css_modules::{CssModulesOptions, LocalsConvention, scoped_name_pattern};
pub use db::QueryEventKind;
pub use devloop::{
    Control, DevLoop, EngineChannels, FirstRender, FirstRenderWait, Publishers, ServerOutput,
    wait_for_first_render,
};
pub use environment::{EnvIndex, EnvSet, EnvironmentKind, UpdateRule};
pub use files::display_id;
pub use graph::{Environment, GraphBuilder, GraphModule, ModuleGraph, ModuleIndex, ModuleKind};
pub use host::{
    AppliedChanges, BuildResult, EngineHost, HeldBytes, HostError, LazyRequest, PageOpen, QueryRun,
    ReloadConfig, ReloadedConfig, ServerBuild, TraceSpan,
};
pub use hotloop_protocol::{Diagnostic, DiagnosticKind, FullReloadReason};
pub use inputs::{Alias, AliasFind, DEFAULT_MODE, ProjectOptions, PublicDir};
pub use memory::{AllocatorProbe, AllocatorStats, MemoryRelease, rss_bytes, rss_bytes_of};
pub use plan::{Explanation, UpdatePlan, explain};
pub use resolver::ResolveSettings;
pub use server_update::{PreparedServerUpdate, ServerAction, prepare_server};
pub use telemetry::{
    EngineEvent, GraphStats, Invalidated, InvalidationProfile, LastPageCheck, MemoryStats, Phase,
    ReadyReport, ServerGraphStats, ServerUpdateReport, UpdateOutcome, UpdateReport,
};
pub use transform::{
    COMPILE_STACK as ENGINE_STACK, CompactScript, ConfigLiteral, ConfigModule, PluginCall,
    assume_big_stack, compact_script, config_literal, default_plugin_factories, file_url,
    strip_config_module, strip_types_to_esm,
};
pub use transform::{JsonOptions, JsonStringify, Jsx};
pub use update::{Cause, PreparedUpdate, prepare};

/// swc alone on one plain `.js` module with the default options (parse, transform, codegen):
/// the factory code, or `None` when it does not compile. No database, no cache: what a script
/// costs before any of the engine's work (the engine bench compares the two).
pub fn compile_js(id: &str, text: &str) -> Option<std::sync::Arc<str>> {
    let options = transform::TransformOptions::default();
    transform::compile_module(id, transform::SourceKind::Js, text, &options).code
}

/// hotloop's own resolution as the page does it, outside any project database: a specifier
/// and its importer's path (`None`: the root) → the absolute path it names. What a plugin's
/// `this.resolve` falls back to after the plugins' `resolveId` hooks (the plugin host calls
/// it on threads of its own). Made before the config is read; `configure` gives it the
/// config's `resolve.*` once it is (and again when it changes).
pub struct PageResolver {
    root: std::path::PathBuf,
    resolvers: std::sync::RwLock<std::sync::Arc<resolver::Resolvers>>,
}

impl PageResolver {
    pub fn new(root: &std::path::Path) -> PageResolver {
        PageResolver {
            root: root.to_path_buf(),
            resolvers: std::sync::RwLock::new(std::sync::Arc::new(resolver::Resolvers::new(
                root,
                &ResolveSettings::default(),
            ))),
        }
    }

    /// Resolves with `settings` from now on.
    pub fn configure(&self, settings: &ResolveSettings) {
        let mut resolvers = self.resolvers.write().unwrap_or_else(|e| e.into_inner());
        *resolvers = std::sync::Arc::new(resolvers.reconfigured(&self.root, settings));
    }

    /// The absolute path `specifier` names from `importer` (`None` or not a path: the root).
    pub fn resolve(&self, specifier: &str, importer: Option<&str>) -> Option<String> {
        let importer = self.importer_path(importer);
        self.resolvers()
            .resolve(&importer, specifier, transform::ImportKind::Static)
            .ok()
            .map(|path| path.to_string_lossy().into_owned())
    }

    /// [`resolve`](Self::resolve) as Vite's CSS resolver: a stylesheet's `@import` (`.css`,
    /// the `style` field and condition, no index files).
    pub fn resolve_css(&self, specifier: &str, importer: Option<&str>) -> Option<String> {
        let importer = self.importer_path(importer);
        self.resolvers()
            .resolve_css(&importer, specifier)
            .ok()
            .map(|path| path.to_string_lossy().into_owned())
    }

    fn importer_path(&self, importer: Option<&str>) -> std::path::PathBuf {
        importer
            .filter(|i| i.starts_with('/'))
            .map(|i| std::path::PathBuf::from(i.split('?').next().unwrap_or(i)))
            .unwrap_or_else(|| self.root.join("index.html"))
    }

    fn resolvers(&self) -> std::sync::Arc<resolver::Resolvers> {
        self.resolvers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Whether a `resolve.alias` pattern (JS RegExp source, `(?i)` for the `i` flag) compiles as
/// the engine runs it.
pub fn alias_pattern_compiles(pattern: &str) -> bool {
    regex::Regex::new(pattern).is_ok()
}
