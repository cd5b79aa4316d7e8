//! The Node.js plugin host: runs a project's `vite.config.*` and its Vite plugins in one Node
//! child process, and implements [`hotloop_protocol::plugin::Plugins`] for the engine.
//!
//! ```text
//! let host = PluginHost::start(HostOptions::new(root, config_path, resolver))?;
//! let config: ResolvedConfig = host.load_config(ConfigInput { path, code, mode })?;
//! let plugins: Arc<dyn Plugins> = Arc::new(host);          // the engine's seam
//! host.events()                                            // crashes, restarts, warnings
//! ```
//!
//! - [`PluginHost::start`] finds `node` (the explicit path the caller got from `--node` /
//!   `HOTLOOP_NODE`, else `node` on `PATH`), writes the embedded host scripts (`js/`, no npm
//!   dependencies) into a directory named by their hash under the temp dir, and starts the
//!   child with the project root as its working directory. It requires Node ≥ 20: the host
//!   exits at once on an older one (`--min-node`), and a Node that is missing, too old or
//!   refuses to run is then one [`HostError`] naming the file that needs it and what to install
//!   (`node --version` is asked only then, not before every start).
//! - [`PluginHost::deferred`] is a host whose config the caller already knows without Node
//!   (a plain-data config whose plugins hotloop serves itself): no process, and no Node
//!   looked for, until a request needs one; then it starts and evaluates the config itself.
//! - [`PluginHost::ahead`] is a host that takes the last session's answer of the config at
//!   once while Node evaluates it on a thread of its own: filters and the fingerprint go by
//!   that answer, hook calls and the plugins' notifications wait for Node's (a page rendered
//!   meanwhile is told after), and the caller gets Node's answer to compare.
//! - [`PluginHost::load_config`] takes the config's path and its text already compiled to ESM
//!   (`hotloop_engine::strip_types_to_esm`); the host writes it next to the config as
//!   `<config>.timestamp-<ms>-<rand>.mjs` (so relative and bare imports resolve from there),
//!   imports and deletes it, then runs the plugins' `config`, `configResolved`, `options`,
//!   `configureServer` and `buildStart` hooks and answers with a [`ResolvedConfig`].
//! - A module's specifiers that `resolveId` filters admit go in one request (`resolveIds`,
//!   [`Plugins::resolve_ids_in`]): the host runs each one's chain concurrently, as Vite's
//!   import analysis does, and answers each with its own result or error.
//! - A module a `load` filter admits gets its `load` and `transform` chains in one request
//!   (`loadTransform`, [`Plugins::load_and_transform_in`]): the `transform` filters that look
//!   at the code are checked by the host on what `load` answered.
//! - A module whose transform just ran here (a `.vue` file) sends its text with its
//!   `resolveIds`, and its own query sub-modules (its `<style>` block's) come back with their
//!   `load` and `transform` already run, kept until their own `loadTransform` takes them
//!   without a round trip (`preload.rs`: only for the same text, once, never across a
//!   restart, a config load, changed files or a hot update).
//! - Every call is synchronous for its caller and many are in flight at once (request ids; a
//!   reader thread dispatches answers and answers the host's own requests: `this.resolve`
//!   falls back to the [`Resolver`] callback, called on the reader thread).
//! - Workers ([`Workers`], `js/host.js`'s header): once `load`/`transform` requests have named
//!   `after` distinct files, the host starts `count` `worker_threads`, each loading the same
//!   config into plugins of its own (`config`, `configResolved`, `configureServer` with
//!   middlewares that are never served, `buildStart`). Each file first seen after that is
//!   owned by one worker (a stable hash of its path without the query): its `load`,
//!   `transform` (its query sub-modules' too) and `hotUpdate` run there, where the plugins'
//!   state of it is (plugin-vue's descriptor cache). The main thread keeps the files it saw
//!   first, `resolveId`, `transformIndexHtml`, the middlewares and `server.ws`, and carries
//!   the workers' frames. A worker that dies ends the host process and a hung one times out
//!   like any request: either way the whole host is restarted (config reloaded, workers
//!   started again when needed), and threads cannot outlive their process.
//! - A request that takes longer than [`HostOptions::timeout`] kills the host and starts a new
//!   one at once; a host that died is started again by the next request. Either way the
//!   config is loaded again before that request runs, and a [`HostEvent`] says what happened.
//!   The host's stderr goes to `tracing` (target `hotloop::plugin_host`).
//!
//! Invariants: this crate never touches salsa (it depends on `hotloop-protocol` only), and no
//! process it starts outlives hotloop: children are started with `PR_SET_PDEATHSIG` (SIGKILL)
//! from a spawner thread that lives as long as the [`PluginHost`], each in a process group of
//! its own that is killed whole and reaped when it is dropped, times out or restarts; a guardian
//! in the group (`hotloop-process-guard`) stops what the plugins started when hotloop dies of
//! SIGKILL (`tests/owner_killed.rs`).
//!
//! The framed stdio protocol is [`protocol`], mirrored by `js/protocol.js`.
//!
//! Known limits (each reported, never silent, where a plugin meets it):
//! - Only the config file itself is compiled (by the caller); a `vite.config.ts` that imports
//!   other `.ts` files needs a Node that strips types itself (22.6+), where Vite bundles them.
//! - `config.env` holds `MODE`, `DEV`, `PROD`, `BASE_URL`, `SSR`, not the `.env` files' vars.
//! - `server.middlewares.use` handlers run in the host on a loopback HTTP port
//!   ([`PluginHost::middlewares`]; the dev server forwards to them, see
//!   `hotloop_protocol::plugin::Middlewares`); only function handlers (not a connect app);
//!   handlers added after the config loaded are run only where a route given at load time
//!   takes the path; `server.transformIndexHtml(url, html)` runs the plugins'
//!   `transformIndexHtml` hooks (hotloop's client is injected by the dev server into the HTML a
//!   handler answers with); `server.watcher` is a stub; `this.emitFile`, `server.restart`,
//!   `server.reloadModule` warn; any other unknown property of `this`, `server`,
//!   `server.ws`, `server.middlewares`, `server.watcher` or `this.environment` warns when read.
//! - `this.parse` is the project's own vite's `parseAst` (imported with the config; without
//!   an installed `vite` it throws an error saying to install it).
//! - Transform maps are chained by composing mappings (`js/sourcemap.js`), assuming each
//!   step's map describes the previous step's output; a hook that returns code without a map
//!   is taken as keeping positions; `{ mappings: '' }` drops the map, as in Vite.
//! - `hotUpdate` runs for the client environment only. `applyToEnvironment` is asked for the
//!   client and the ssr environments (`this.environment.name`): the page's requests run the
//!   client's plugins ([`ResolvedConfig::plugins`]), the app's server's (`PluginEnv::Ssr`)
//!   the ssr's ([`ResolvedConfig::ssr_plugins`]), each with its own filters; a plugin both
//!   leave out runs no hook but `configureServer` (as in Vite), with one warning naming it.
//!
//! ## Files
//!
//! | file | concern |
//! |---|---|
//! | `src/lib.rs` | `PluginHost` (`start`, `load_config`, `events`, the `Plugins` impl), `HostOptions`, `ConfigInput`, `HostEvent`, `HostError`; restart after a crash or a time-out, config loaded again |
//! | `src/process.rs` | finding and checking `node` (≥ 20), writing the embedded scripts (a directory named by their hash), the spawner thread, one child (its stdout pipe widened to 1 MB): request ids, the reader thread (answers handed over unparsed, the host's `resolve` requests, notifications), stderr → `tracing` |
//! | `src/protocol.rs` | the length-prefixed frames (request, response, error, notification) |
//! | `src/by_id.rs` | a module by its plugin id (`/@id/<id>`, a plugin's `/@...` URL the page fetches): `resolveId`, then `load` and `transform`, for the server's `by_id.rs` |
//! | `src/preload.rs` | query sub-modules' `load`+`transform` answers that came with their importer's `resolveIds`, until their own request takes them |
//! | `src/filter.rs`, `src/config.rs` | hook filters in Rust (three-valued: a "maybe" is re-checked by the host); `ResolvedConfig` |
//! | `js/host.js` | the host: config import (a `.timestamp-*.mjs` next to the config), plugin hooks with Rollup's context (`this.parse`: the project's vite's `parseAst`), the client and ssr environments' plugins (`applyToEnvironment`), a minimal dev server, `transformIndexHtml` (`@vitejs/plugin-react`'s preamble left to hotloop), `hotUpdate`/`handleHotUpdate` with `transformRequest`; the worker threads (the same script: routing by file, forwarding their frames; see [`Workers`]) |
//! | `js/config.js`, `js/sourcemap.js`, `js/protocol.js` | flattening/ordering plugins, `applyToEnvironment`, `mergeConfig`, filters; chaining transform maps; the frames (`FrameWriter`: the frames of one event-loop turn in one pipe write) |
//! | `js/css.js` | the `hotloop:css` plugin where Vite has `vite:css`: Sass/Less/Stylus/PostCSS by the project's own vite (`preprocessCSS`), partials and PostCSS dependencies as watch files, the map with its sources' text, CSS Modules left to hotloop's pass, a partial's error named by the partial |
//! | `js/script-step.js` | Vite's own TS/JSX transform (`vite:oxc`, `vite:esbuild` before Vite 8: the project's `transformWithOxc`/`transformWithEsbuild` with the config's options, Oxc's refresh left to hotloop) run in a module's `transform` chain before its first plugin that is not `pre`, so the normal and `post` plugins get JavaScript as under Vite; its output says `moduleType: 'js'` |
//! | `js/tailwind.js` | Tailwind CSS v4's source scanner (`@tailwindcss/oxide`'s `Scanner`) kept across a stylesheet's recompiles when the sources are the same, and brought up to date from hotloop's `filesChanged` (only the changed sources extracted; a walk when files came or went): a component or stylesheet edit costs Tailwind's compile, not a walk of every source (patched before the config imports Tailwind) |
//! | `js/proxy.js` | `server.proxy` entries hotloop's own proxy cannot express (a RegExp key; `rewrite`, `bypass`, `headers`, `auth`, `xfwd`, `secure: false`) as a `pre` middleware after the plugins' own, forwarding with node's `http`/`https`; the others are left to `engine/server/src/proxy.rs` |
//! | `js/module-graph.js` | Vite's module graph as plugins read it (`ModuleNode`s by id, URL and file), with the page's import edges hotloop sends (`Plugins::module_graph`: all of them to a new process or config, then what changed; a worker gets the primary's when it is ready) |
//! | `js/page-server.js` | `server.httpServer` as plugins use it: `listening`/`address()` once hotloop's server listens (`PluginHost::listening`), the WebSocket upgrades hotloop does not take itself emitted as its `upgrade` events (vite-plugin-mock-dev-server's file watching and WebSocket mocks) |
//! | `js/own-writes.js` | the plugins' own writes told apart from the user's: a file written while the plugins heard of it is not told back to them (a `watchChange` that appends to a log in the root no longer loops) |
//! | `js/profile.js` | the host's own CPU profile (`HOTLOOP_PLUGIN_HOST_PROFILE=DIR`: a `.cpuprofile` per burst of requests, written after 2 s without one, and its frame and pipe-write counts on stderr) |
//! | `js/warm-up.js` | Vue's compiler warmed once a page rendered (`pageRendered`, never during the cold build): up to 3 of the project's SFCs compiled 12 times more through the compiler the plugin resolved, never through its hooks or caches, stopped by any request and resumed after 300 ms of quiet (`HOTLOOP_PLUGIN_WARM_UP=0`: off, `=<ms>`: that quiet); the first edits ran compiler-sfc unoptimised |
//! | `js/middlewares.js`, `js/errors.js` | `server.middlewares` handlers run connect-style on a loopback HTTP server (`pre`/`post`, the contract with `engine/server/src/middlewares.rs` in its header; the `pre` ones asked first for a page's virtual module at its `/@id/` URL, as Vite serves it, their answer `fromMiddleware`); a message's own code frame split off (one frame per error) |
//! | `tests/` | `host.rs` (inline plugins, failures, restarts, workers: routing, a crash or hang in one), `vue.rs` (real `@vitejs/plugin-vue`, `npm ci` into `tests/npm/node_modules`), `css.rs` (real vite + sass through `js/css.js`), `owner_killed.rs`, `js.rs` (`node --test js/tests/`) |

// `PluginError` (the `Plugins` trait's error) is large but rare, next to a process round trip.
#![allow(clippy::result_large_err)]

mod by_id;
mod config;
mod filter;
mod preload;
mod process;
pub mod protocol;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use hotloop_protocol::ClientId;
use hotloop_protocol::plugin::{
    CustomEvent, FileChanges, GraphEdges, LoadTransform, Middlewares, Output, PluginEnv,
    PluginError, Plugins, Resolved,
};
use serde_json::{Value, json};

pub use by_id::ById;
pub use config::{
    Alias, FsOptions, HookFilter, HttpsOptions, JsxConfig, MiddlewareRoute, MiddlewareRoutes,
    Pattern, PatternFilter, PluginInfo, ResolveOptions, ResolvedConfig, ServerOptions,
    postcss_config,
};
pub use filter::Verdict;
pub use process::{MIN_NODE_MAJOR, how_it_exited};

use filter::CompiledFilter;
use process::{Proc, Reply, Spawner};

/// hotloop's own resolver, for `this.resolve` after the plugins' `resolveId` hooks and for
/// the resolvers of `config.createResolver()`: a specifier, its importer's id and how to
/// resolve it → a resolved id (an absolute path), or `None`. Called on a thread of its own per
/// request, never while the host waits on its caller.
pub type Resolver = Arc<dyn Fn(&str, Option<&str>, ResolveAs) -> Option<String> + Send + Sync>;

/// How the host asks hotloop's resolver to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveAs {
    /// As the page's scripts import: the config's `resolve.*`.
    Script,
    /// As Vite's CSS resolver (a stylesheet's `@import` of a package): `.css`, the `style`
    /// field and condition, no index files. What `config.createResolver()` is asked with those
    /// options (@tailwindcss/vite's) answers.
    Stylesheet,
}

/// How to start the host.
#[derive(Clone)]
pub struct HostOptions {
    /// The project root: the child's working directory.
    pub root: PathBuf,
    /// The file that needs Node (the vite.config), named by the "Node missing/too old" error.
    pub needed_by: PathBuf,
    /// An explicit `node` (from `--node` or `HOTLOOP_NODE`); `None`: `node` on `PATH`.
    pub node: Option<PathBuf>,
    /// How long one request may take before the host is killed and restarted.
    pub timeout: Duration,
    pub resolver: Resolver,
    /// Where the host scripts are written (a directory named by their hash is made inside);
    /// `None`: the system's temp dir.
    pub scripts_dir: Option<PathBuf>,
    /// The worker threads that run per-module hooks once many files need plugins.
    pub workers: Workers,
}

/// The plugin host's worker threads (`js/host.js`): once `load`/`transform` requests have
/// named `after` distinct files, `count` workers start, each with the config's plugins of its
/// own, and take the files seen from then on (a file and its query sub-modules always in the
/// same one). `count: 0`: every hook runs on the host's main thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Workers {
    pub count: usize,
    pub after: usize,
}

impl Workers {
    /// After 64 files (a project with a few components never starts one): half the cores'
    /// worth of workers, at most 4, and none below 4 cores. `HOTLOOP_PLUGIN_WORKERS`
    /// overrides the count.
    ///
    /// Why none on 2 cores: each worker is a V8 isolate of its own that imports the config's
    /// plugins (~0.7 s) and warms its JIT up on their compiler again; on 2 cores the
    /// 1000-SFC app's plugin work took ~35% more CPU with 2 workers and its cold start got
    /// slower, not faster (`benches/vue/run.mjs --baseline HOTLOOP_PLUGIN_WORKERS=0`).
    pub fn from_env() -> Workers {
        let cores = process::available_cores();
        let count = std::env::var("HOTLOOP_PLUGIN_WORKERS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(if cores < 4 { 0 } else { (cores / 2).min(4) });
        Workers { count, after: 64 }
    }
}

impl HostOptions {
    /// Node from `PATH`, a 30 s time-out, scripts under the temp dir.
    pub fn new(
        root: impl Into<PathBuf>,
        needed_by: impl Into<PathBuf>,
        resolver: Resolver,
    ) -> Self {
        HostOptions {
            root: root.into(),
            needed_by: needed_by.into(),
            node: None,
            timeout: Duration::from_secs(30),
            resolver,
            scripts_dir: None,
            workers: Workers::from_env(),
        }
    }
}

/// The config to load: its path and its text compiled to ESM JavaScript.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigInput {
    pub path: PathBuf,
    pub code: String,
    /// `--mode`; `None`: `development`.
    pub mode: Option<String>,
    /// Packages of [`NATIVE_PLUGIN_PACKAGES`] whose factories the config calls only without
    /// options (`engine::default_plugin_factories`): their plugins' transforms are hotloop's
    /// own, so the host leaves them out.
    pub native_plugins: Vec<String>,
    /// The local modules the config imports, compiled: where the host writes each for the
    /// config's import (the code names them there), and its code. Removed after the import.
    pub modules: Vec<(PathBuf, String)>,
    /// The text in the modules' paths (and the URLs the code imports them from) that the host
    /// makes unique for each import: Node keeps a module per URL, and each evaluation of the
    /// config (each worker thread's too) gets modules of its own.
    pub stamp: String,
}

/// Packages whose plugins, made without options, transform only as hotloop does natively
/// (React's JSX transform and Fast Refresh): the host runs their config-time hooks and leaves
/// their `transform` out when [`ConfigInput::native_plugins`] names them.
pub const NATIVE_PLUGIN_PACKAGES: [&str; 2] = ["@vitejs/plugin-react", "@vitejs/plugin-react-swc"];

/// What the host reports on its own, for the binary to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// The host exited without being asked to: how (`None`: not known), and its last stderr
    /// lines (what it wrote last, which need not be why).
    Crashed {
        stderr_tail: String,
        status: Option<std::process::ExitStatus>,
    },
    /// A request took longer than the time-out; the host was killed.
    TimedOut { method: String, id: Option<String> },
    /// A new host process runs (after a crash or a time-out), config loaded again.
    Restarted { pid: u32 },
    /// A [deferred](PluginHost::deferred) or [parked](PluginHost::park_if_idle) host's process
    /// runs, config loaded: a request needed a plugin after all.
    Started { pid: u32 },
    /// A plugin used something the host does not support, called `this.warn` or
    /// `config.logger.warn`.
    Warning {
        plugin: String,
        hook: String,
        message: String,
    },
    /// `config.logger.info/error` and `this.info`.
    Log { level: String, message: String },
    /// A plugin sent custom events (`server.ws.send`) that nobody has taken yet: take them
    /// with [`Plugins::take_custom_events`] and send them to the pages. Sent when the queue
    /// goes from empty to not empty, so once per batch; events sent during a hot update are
    /// usually taken by the engine before this arrives (and then the queue is empty).
    CustomEventsWaiting,
    /// The host's worker threads ([`Workers`]) loaded the config and take new files now.
    WorkersReady { workers: usize },
    /// A plugin updated modules of its own without an edit (`server.ws.send({ type: 'update'
    /// })`: UnoCSS's CSS once a file brought new classes): take them with
    /// [`Plugins::take_invalidated`] and compile them again. Sent when the queue goes from
    /// empty to not empty.
    ModulesInvalidated,
    /// A plugin asked every page to reload (`server.ws.send({ type: 'full-reload' })`:
    /// vite-plugin-full-reload when a server template it watches changed): take it with
    /// [`Plugins::take_reload_requested`] (an edit's hot update may have taken it already).
    /// Sent when the request goes from not asked to asked.
    ReloadRequested,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "{needed_by} needs Node.js {MIN_NODE_MAJOR} or later to run its Vite plugins, but `{node}` could not be run: install Node.js {MIN_NODE_MAJOR}+ (https://nodejs.org), or name it with --node PATH or HOTLOOP_NODE",
        needed_by = needed_by.display(), node = node.display()
    )]
    NodeMissing { needed_by: PathBuf, node: PathBuf },
    #[error(
        "{needed_by} needs Node.js {MIN_NODE_MAJOR} or later to run its Vite plugins, but `{node}` is {version}: install Node.js {MIN_NODE_MAJOR}+ (https://nodejs.org), or name a newer one with --node PATH or HOTLOOP_NODE",
        needed_by = needed_by.display(), node = node.display(), version = if version.is_empty() { "unknown" } else { version }
    )]
    NodeTooOld {
        needed_by: PathBuf,
        node: PathBuf,
        version: String,
    },
    #[error(
        "{needed_by} needs Node.js to run its Vite plugins, but `{node} --version` failed: {message}. Fix what Node reports (often a flag in NODE_OPTIONS), or name another Node with --node PATH or HOTLOOP_NODE",
        needed_by = needed_by.display(), node = node.display()
    )]
    NodeFailed {
        needed_by: PathBuf,
        node: PathBuf,
        message: String,
    },
    #[error("could not start the plugin host (`{node}`): {source}", node = node.display())]
    Spawn {
        node: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write the plugin host's scripts into {dir}: {source}", dir = dir.display())]
    Scripts {
        dir: PathBuf,
        source: std::io::Error,
    },
    /// The config failed to load, or a plugin failed in a config-time hook.
    #[error("{0}")]
    Config(PluginError),
}

struct Loaded {
    input: ConfigInput,
    config: ResolvedConfig,
    /// `config.middlewares` as the dev server takes it, made once per load.
    middlewares: Option<Arc<Middlewares>>,
    /// Per environment (client, ssr), per plugin of its list (in order): (resolveId, load,
    /// transform) filters, `None` without the hook.
    filters: [Vec<[Option<CompiledFilter>; 3]>; 2],
    fingerprint: u64,
    /// Nothing past the config needs a process ([`PluginHost::park_if_idle`]).
    idle: bool,
}

/// The hooks hotloop calls after the config loaded.
const RUN_TIME_HOOKS: [&str; 7] = [
    "resolveId",
    "load",
    "transform",
    "transformIndexHtml",
    "handleHotUpdate",
    "hotUpdate",
    "watchChange",
];

/// Plugins whose run-time hooks take only ids few projects have, so a host is worth parking
/// with them: `@vitejs/plugin-react`'s and `-swc`'s `/@react-refresh` and preamble modules
/// (hotloop's own refresh runtime replaces them), and the host's own CSS pipeline
/// (`hotloop:css`: preprocessor stylesheets; the caller parks only a project that lists no
/// CSS tool).
const ON_DEMAND: [&str; 4] = [
    "vite:react-refresh",
    "vite:react-virtual-preamble",
    "vite:react-swc:resolve-runtime",
    "hotloop:css",
];

/// Whether a host that loaded `config` has nothing to do after it until a module needs a
/// plugin ([`PluginHost::park_if_idle`]): no `server.middlewares`, no listener of the pages, and
/// no plugin with a run-time hook but the ones in [`ON_DEMAND`]. Such a config's pages build
/// without Node, so a restart gains by taking its last answer ahead ([`PluginHost::ahead`]).
pub fn idle_after_load(config: &ResolvedConfig) -> bool {
    config.middlewares.is_none()
        && !config.listens_to_pages
        && config.plugins.iter().chain(&config.ssr_plugins).all(|p| {
            ON_DEMAND.contains(&p.name.as_str())
                || !RUN_TIME_HOOKS.iter().any(|hook| p.has_hook(hook))
        })
}

const RESOLVE: usize = 0;
const LOAD: usize = 1;
const TRANSFORM: usize = 2;
const HOOKS: [&str; 3] = ["resolveId", "load", "transform"];

struct Current {
    proc: Option<Arc<Proc>>,
    loaded: Option<Arc<Loaded>>,
    /// The process and config that have the page's module graph (`Plugins::module_graph`): a
    /// new process, or a config loaded again, starts with none.
    graph_sent: Option<(u32, std::sync::Weak<Loaded>)>,
    /// `loaded` is the last session's answer and `proc` is evaluating the config now
    /// ([`PluginHost::ahead`]): hook calls wait for it (`PluginHost::settled`).
    ahead: bool,
    /// A page rendered while `ahead`: the plugins hear of it once they are made.
    rendered_while_ahead: bool,
}

/// Where [`PluginHost::ahead`] answers with Node's evaluation of the config.
pub type Evaluation = Receiver<Result<ResolvedConfig, HostError>>;

/// The plugin host. Cheap to share behind an `Arc`; dropping the last handle kills the child.
pub struct PluginHost {
    node: PathBuf,
    script: PathBuf,
    root: PathBuf,
    /// The file that needs Node, named when it is missing.
    needed_by: PathBuf,
    timeout: Duration,
    resolver: Resolver,
    workers: Workers,
    current: Mutex<Current>,
    /// Signalled when an evaluation ahead ([`PluginHost::ahead`]) ends.
    evaluated: Condvar,
    events_tx: Sender<HostEvent>,
    events_rx: Receiver<HostEvent>,
    custom: process::CustomEvents,
    round_trips: AtomicU64,
    /// Hook requests sent so far (`Plugins::hooks_answered`).
    hook_calls: AtomicU64,
    /// Where the dev server listens (`PluginHost::listening`): the port, and whether over TLS.
    listening: Mutex<Option<(u16, bool)>>,
    /// Query sub-modules' answers that came with their importer's `resolveIds` (`preload.rs`).
    preloads: preload::Preloads,
    /// Part of the fingerprint: a new host may answer differently.
    scripts_hash: u64,
    /// [`PluginHost::stop`] was called: no child starts again.
    stopped: AtomicBool,
    // Dropped last: the children are killed (in `current`) before their spawner thread ends.
    spawner: Spawner,
}

impl PluginHost {
    /// Writes the host scripts and starts the child (no config loaded yet). A Node that is
    /// missing fails here; one that is too old or refuses to run fails the first
    /// [`PluginHost::load_config`] (the host exits at once): either way with the error that
    /// says so ([`HostError::NodeMissing`], [`HostError::NodeTooOld`], [`HostError::NodeFailed`]).
    pub fn start(options: HostOptions) -> Result<PluginHost, HostError> {
        let host = PluginHost::new(options)?;
        let proc = host.spawn().map_err(|e| host.diagnosed(e))?;
        host.lock().proc = Some(proc);
        Ok(host)
    }

    /// What went wrong with Node when a host could not start or died before its config
    /// loaded: `node --version`'s verdict (missing, too old, refusing to run) when it has one,
    /// else `error` (a plugin's or the config's own failure). Asked only then, not before
    /// every start.
    fn diagnosed(&self, error: HostError) -> HostError {
        self.node_verdict().unwrap_or(error)
    }

    /// `node --version`'s verdict on this host's Node: `None` when it is fit.
    fn node_verdict(&self) -> Option<HostError> {
        process::check_node(&self.node, &self.needed_by).err()
    }

    /// The verdict on Node when `proc` died (before its config loaded): `None` while it runs
    /// or when Node is fit (the failure is then the config's or a plugin's own).
    fn verdict_if_dead(&self, proc: &Proc) -> Option<HostError> {
        proc.is_dead().then(|| self.node_verdict()).flatten()
    }

    /// A host whose config is known without Node: `config` is what `input` evaluates to (a
    /// plain-data config whose plugins hotloop serves itself, [`ResolvedConfig::from_literal`]).
    /// No process runs, and Node is not even looked for, until a request needs one (then Node
    /// is checked and started and evaluates `input` itself, its answer replacing `config`) or
    /// [`PluginHost::load_config`] is called.
    pub fn deferred(
        options: HostOptions,
        input: ConfigInput,
        config: ResolvedConfig,
    ) -> Result<PluginHost, HostError> {
        let host = PluginHost::new(options)?;
        host.use_config(input, config);
        Ok(host)
    }

    /// A host that takes `assumed` (what `input` evaluated to in the last session) at once,
    /// while Node evaluates `input` on a thread of its own: filters, the fingerprint and the
    /// config go by `assumed` meanwhile, and hook calls wait for the evaluation (they run on
    /// the plugins it made). The receiver gets its outcome once it replaced `assumed`; after
    /// a failure no process runs (the next call starts one and evaluates again, failing as a
    /// broken config does).
    pub fn ahead(
        options: HostOptions,
        input: ConfigInput,
        assumed: ResolvedConfig,
    ) -> Result<(Arc<PluginHost>, Evaluation), HostError> {
        let host = Arc::new(PluginHost::new(options)?);
        host.use_config(input.clone(), assumed);
        let proc = host.spawn().map_err(|e| host.diagnosed(e))?;
        {
            let mut cur = host.lock();
            cur.proc = Some(proc.clone());
            cur.ahead = true;
        }
        host.event(HostEvent::Started { pid: proc.pid });
        let (tx, rx) = bounded(1);
        let evaluating = host.clone();
        let spawned = std::thread::Builder::new()
            .name("hotloop-config-ahead".into())
            .spawn(move || {
                let host = evaluating;
                let loaded = host.evaluate_on(&proc, input);
                let outcome = {
                    let mut cur = host.lock();
                    cur.ahead = false;
                    match loaded {
                        Ok(loaded) => {
                            let config = loaded.config.clone();
                            cur.loaded = Some(Arc::new(loaded));
                            if std::mem::take(&mut cur.rendered_while_ahead) {
                                proc.notify("pageRendered", &json!({}));
                            }
                            Ok(config)
                        }
                        Err(e) => {
                            cur.rendered_while_ahead = false;
                            if cur.proc.as_ref().is_some_and(|p| Arc::ptr_eq(p, &proc)) {
                                cur.proc = None;
                            }
                            proc.kill();
                            Err(e)
                        }
                    }
                };
                host.preloads.invalidate();
                host.evaluated.notify_all();
                let _ = tx.send(outcome);
            });
        if let Err(source) = spawned {
            // No evaluation will come: no process runs without its config.
            let mut cur = host.lock();
            cur.ahead = false;
            if let Some(proc) = cur.proc.take() {
                proc.kill();
            }
            drop(cur);
            return Err(HostError::Spawn {
                node: host.node.clone(),
                source,
            });
        }
        Ok((host, rx))
    }

    fn new(options: HostOptions) -> Result<PluginHost, HostError> {
        let node = options
            .node
            .clone()
            .unwrap_or_else(|| PathBuf::from("node"));
        let scripts_dir = options
            .scripts_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        let (script, scripts_hash) = process::write_scripts(&scripts_dir)?;
        let spawner = Spawner::new().map_err(|source| HostError::Spawn {
            node: node.clone(),
            source,
        })?;
        let (events_tx, events_rx) = bounded(1024);
        Ok(PluginHost {
            node,
            script,
            root: options.root,
            needed_by: options.needed_by,
            timeout: options.timeout,
            resolver: options.resolver,
            workers: options.workers,
            current: Mutex::new(Current {
                proc: None,
                loaded: None,
                graph_sent: None,
                ahead: false,
                rendered_while_ahead: false,
            }),
            evaluated: Condvar::new(),
            events_tx,
            events_rx,
            custom: Default::default(),
            round_trips: AtomicU64::new(0),
            listening: Mutex::new(None),
            hook_calls: AtomicU64::new(0),
            preloads: Default::default(),
            scripts_hash,
            stopped: AtomicBool::new(false),
            spawner,
        })
    }

    /// Stops the host process if the config loaded needs nothing of it past loading: no
    /// `server.middlewares`, and no plugin with a run-time hook (`transform`, `hotUpdate`, ...)
    /// but the ones in [`ON_DEMAND`] (a React project whose config must run, e.g. for an alias
    /// computed with `path.resolve`: Node's ~80 MB are given back). Like a
    /// [deferred](PluginHost::deferred) host, a request that needs a plugin after all starts it
    /// again, and the config is evaluated again there. Returns whether it stopped.
    pub fn park_if_idle(&self) -> bool {
        let mut cur = self.settled();
        if !cur.loaded.as_ref().is_some_and(|l| l.idle) {
            return false;
        }
        match cur.proc.take() {
            Some(proc) => {
                proc.kill();
                self.preloads.invalidate();
                true
            }
            None => false,
        }
    }

    /// Stops the child for good (the dev server is shutting down): a request in flight ends
    /// at once with an error instead of waiting for the plugin (a Sass rebuild of seconds kept
    /// Ctrl-C waiting), and no request starts a child again.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        if let Some(proc) = self.lock().proc.take() {
            proc.kill();
        }
    }

    /// Takes `config` as what `input` evaluates to, without asking Node (see
    /// [`PluginHost::deferred`]); a running host is left running, and a host started later
    /// evaluates `input` itself.
    pub fn use_config(&self, input: ConfigInput, config: ResolvedConfig) {
        let loaded = self.loaded_from(input, config);
        self.lock().loaded = Some(Arc::new(loaded));
        self.preloads.invalidate();
    }

    /// Loads (or reloads) the config: evaluates it and runs the config-time hooks of its
    /// plugins. Replaces the previous config; a restarted host loads this one again.
    pub fn load_config(&self, input: ConfigInput) -> Result<ResolvedConfig, HostError> {
        let mut cur = self.settled();
        let proc = self.alive(&mut cur, false).map_err(HostError::Config)?;
        let loaded = self.evaluate_on(&proc, input)?;
        let config = loaded.config.clone();
        cur.loaded = Some(Arc::new(loaded));
        self.preloads.invalidate();
        Ok(config)
    }

    /// The events channel (crashes, restarts, warnings, custom events). Bounded: events are
    /// dropped, never waited for, when nobody drains it.
    pub fn events(&self) -> Receiver<HostEvent> {
        self.events_rx.clone()
    }

    /// The config last loaded.
    pub fn config(&self) -> Option<ResolvedConfig> {
        self.lock().loaded.as_ref().map(|l| l.config.clone())
    }

    /// Where the plugins' `server.middlewares` handlers run now, for the dev server to forward
    /// requests to; `None` when the config added none, or while the host is down (its next
    /// hook call starts it again, config reloaded, handlers on a new port).
    pub fn middlewares(&self) -> Option<Arc<Middlewares>> {
        let cur = self.lock();
        if cur.proc.as_ref().is_none_or(|p| p.is_dead()) {
            return None;
        }
        cur.loaded.as_ref()?.middlewares.clone()
    }

    /// The dev server listens on `port` of 127.0.0.1 (`https`: over TLS): the plugins'
    /// `server.httpServer` emits `listening` and answers `address()`, `server.resolvedUrls`
    /// names the page (`js/page-server.js`). Told to the running host now and to every host
    /// started later with its config.
    pub fn listening(&self, port: u16, https: bool) {
        *self.listening.lock().unwrap_or_else(|p| p.into_inner()) = Some((port, https));
        let proc = self.lock().proc.clone();
        if let Some(proc) = proc.filter(|p| !p.is_dead()) {
            proc.notify("listening", &json!({ "port": port, "https": https }));
        }
    }

    /// Starts the host again (config reloaded) if it died; a no-op while it runs. The engine's
    /// hook calls do this themselves; a project whose plugins serve requests
    /// ([`PluginHost::middlewares`]) or send events on their own needs it called when the
    /// host crashes, since no hook call may come.
    pub fn ensure_running(&self) -> Result<(), PluginError> {
        let mut cur = self.settled();
        self.alive(&mut cur, false).map(drop)
    }

    /// The pid of the running child, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.lock()
            .proc
            .as_ref()
            .filter(|p| !p.is_dead())
            .map(|p| p.pid)
    }

    /// Requests sent to the host so far (tests count round trips with it).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`PluginHost::lock`], once no evaluation ahead runs ([`PluginHost::ahead`]).
    fn settled(&self) -> std::sync::MutexGuard<'_, Current> {
        let mut cur = self.lock();
        while cur.ahead {
            cur = self.evaluated.wait(cur).unwrap_or_else(|p| p.into_inner());
        }
        cur
    }

    fn loaded(&self) -> Option<Arc<Loaded>> {
        self.lock().loaded.clone()
    }

    fn spawn(&self) -> Result<Arc<Proc>, HostError> {
        Proc::start(
            &self.spawner,
            &self.node,
            &self.script,
            &self.root,
            self.events_tx.clone(),
            self.custom.clone(),
            self.resolver.clone(),
        )
    }

    fn event(&self, e: HostEvent) {
        let _ = self.events_tx.try_send(e);
    }

    /// The running child, started again (config reloaded) when it died or `force`.
    fn alive(&self, cur: &mut Current, force: bool) -> Result<Arc<Proc>, PluginError> {
        if self.stopped.load(Ordering::SeqCst) {
            return Err(host_error("start", None, "the dev server is shutting down"));
        }
        if let Some(p) = &cur.proc
            && !p.is_dead()
            && !force
        {
            return Ok(p.clone());
        }
        let first = cur.proc.is_none();
        if let Some(old) = cur.proc.take() {
            old.kill();
        }
        // The plugins' state (a file's `.vue` descriptor) goes with the old process.
        self.preloads.invalidate();
        // A deferred host meets Node here first: what is wrong with it, if anything, is said
        // when it fails to start or to load the config (`diagnosed`).
        let proc = self
            .spawn()
            .map_err(|e| host_error("start", None, self.diagnosed(e).to_string()))?;
        cur.proc = Some(proc.clone());
        if let Some(loaded) = cur.loaded.clone() {
            let reloaded = self.load_on(&proc, loaded.input.clone()).map_err(|e| {
                match self.verdict_if_dead(&proc) {
                    Some(node) => host_error("start", None, node.to_string()),
                    None => e,
                }
            })?;
            cur.loaded = Some(Arc::new(reloaded));
        }
        self.event(if first {
            HostEvent::Started { pid: proc.pid }
        } else {
            HostEvent::Restarted { pid: proc.pid }
        });
        Ok(proc)
    }

    /// [`PluginHost::load_on`], a failure said as Node's own when `proc` died of it (missing,
    /// too old), else as the config's.
    fn evaluate_on(&self, proc: &Proc, input: ConfigInput) -> Result<Loaded, HostError> {
        self.load_on(proc, input)
            .map_err(|e| self.verdict_if_dead(proc).unwrap_or(HostError::Config(e)))
    }

    fn load_on(&self, proc: &Proc, input: ConfigInput) -> Result<Loaded, PluginError> {
        let body = json!({
            "root": self.root,
            "configFile": input.path,
            "code": input.code,
            "mode": input.mode,
            "nativePlugins": input.native_plugins,
            "modules": input.modules,
            "stamp": input.stamp,
            "workers": { "count": self.workers.count, "after": self.workers.after },
            "listening": self
                .listening
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map(|(port, https)| json!({ "port": port, "https": https })),
        });
        let path = input.path.display().to_string();
        let value = self
            .round_trip(proc, "loadConfig", Some(&path), &body)?
            .ok_or_else(|| host_error("loadConfig", Some(&path), "the host returned no config"))?;
        let config: ResolvedConfig = serde_json::from_value(value).map_err(|e| {
            host_error(
                "loadConfig",
                Some(&path),
                format!("unexpected config from the host: {e}"),
            )
        })?;
        Ok(self.loaded_from(input, config))
    }

    /// What the host keeps of a loaded config: its filters compiled, its fingerprint.
    fn loaded_from(&self, input: ConfigInput, config: ResolvedConfig) -> Loaded {
        let compile = |plugins: &[PluginInfo]| {
            plugins
                .iter()
                .map(|p| {
                    HOOKS.map(|h| {
                        p.has_hook(h).then(|| {
                            p.filters
                                .get(h)
                                .map(CompiledFilter::new)
                                .unwrap_or_default()
                        })
                    })
                })
                .collect()
        };
        let filters = [compile(&config.plugins), compile(&config.ssr_plugins)];
        let mut fp = xxhash_rust::xxh3::Xxh3::new();
        fp.update(&self.scripts_hash.to_le_bytes());
        fp.update(input.code.as_bytes());
        // The tsconfigs beside the config: Vite's TS step inside the plugins (plugin-vue's
        // `transformWithOxc` of a `<script lang="ts">`) compiles by them, so what the plugins
        // made under other ones is not theirs to keep (`plugin_cache.rs`).
        for text in tsconfig_texts(&input.path) {
            fp.update(text.as_bytes());
        }
        // The env files the mode reads: the plugins see them (`config.env`, a config's
        // `loadEnv` feeding a plugin's options), so what they made under others is not theirs
        // to keep either. Without them, a `.env` edit's reload served the outputs made under
        // the old values, and the confirmation's hot update followed.
        for text in env_texts(Path::new(&config.env_dir), &config.mode) {
            fp.update(&[0]);
            fp.update(text.as_deref().unwrap_or("\u{0}none").as_bytes());
        }
        fp.update(
            serde_json::to_string(&config)
                .unwrap_or_default()
                .as_bytes(),
        );
        let idle = idle_after_load(&config);
        Loaded {
            idle,
            fingerprint: fp.digest(),
            middlewares: config
                .middlewares
                .as_ref()
                .map(|m| Arc::new(m.to_middlewares())),
            input,
            config,
            filters,
        }
    }

    /// One request on `proc`; a time-out kills it (the caller restarts).
    fn round_trip(
        &self,
        proc: &Proc,
        method: &str,
        id: Option<&str>,
        body: &Value,
    ) -> Result<Option<Value>, PluginError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        match proc.request(method, body, self.timeout) {
            Some(Reply::Ok(v)) => Ok(v.filter(|v| !v.is_null())),
            Some(Reply::Err(e)) => Err(plugin_error(&e, method, id)),
            Some(Reply::Dead) => Err(host_error(method, id, dead_message(proc))),
            None => {
                proc.kill();
                self.event(HostEvent::TimedOut {
                    method: method.to_string(),
                    id: id.map(str::to_string),
                });
                Err(host_error(
                    method,
                    id,
                    format!(
                        "no answer after {:.1} s: the plugin host was restarted",
                        self.timeout.as_secs_f64()
                    ),
                ))
            }
        }
    }

    /// A hook request on the current child (started again first when it died); a time-out
    /// restarts it at once.
    fn call(
        &self,
        method: &str,
        id: Option<&str>,
        body: Value,
    ) -> Result<Option<Value>, PluginError> {
        self.hook_calls.fetch_add(1, Ordering::Relaxed);
        let proc = {
            let mut cur = self.settled();
            self.alive(&mut cur, false)?
        };
        let started = std::time::Instant::now();
        let result = self.round_trip(&proc, method, id, &body);
        if self.stopped.load(Ordering::SeqCst) {
            // Killed by `stop`: not a failure of the plugin's.
            return result.map_err(|_| host_error(method, id, "the dev server is shutting down"));
        }
        tracing::debug!(
            "plugin host: {method} {} in {:.2} ms",
            id.unwrap_or(""),
            started.elapsed().as_secs_f64() * 1000.0
        );
        if proc.is_dead() {
            let mut cur = self.settled();
            // Restart only the child that failed (another thread may have done it already).
            if cur.proc.as_ref().is_some_and(|p| Arc::ptr_eq(p, &proc)) {
                let _ = self.alive(&mut cur, true);
            }
        }
        result
    }

    /// [`PluginHost::selection`] for `transform` before the code is known (it is what `load`
    /// will answer): a plugin whose filter looks at the code is re-checked in JS.
    fn transform_selection_before_load(
        &self,
        env: PluginEnv,
        id: &str,
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let loaded = self.loaded()?;
        let filters = match env {
            PluginEnv::Client => &loaded.filters[0],
            PluginEnv::Ssr => &loaded.filters[1],
        };
        let mut run = Vec::new();
        let mut recheck = Vec::new();
        for (i, f) in filters.iter().enumerate() {
            let Some(f) = &f[TRANSFORM] else { continue };
            match f.verdict(id, None) {
                Verdict::No => {}
                Verdict::Yes if !f.has_code() => run.push(i),
                Verdict::Yes | Verdict::Maybe => {
                    run.push(i);
                    recheck.push(i);
                }
            }
        }
        Some((run, recheck))
    }

    /// Indices of `env`'s plugins whose `hook` filter may pass, and those to re-check in JS.
    fn selection(
        &self,
        env: PluginEnv,
        hook: usize,
        id: &str,
        code: Option<&str>,
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let loaded = self.loaded()?;
        let mut run = Vec::new();
        let mut recheck = Vec::new();
        let (filters, plugins) = match env {
            PluginEnv::Client => (&loaded.filters[0], &loaded.config.plugins),
            PluginEnv::Ssr => (&loaded.filters[1], &loaded.config.ssr_plugins),
        };
        // Vite's JSON plugin comes right after the `pre` plugins: the others transform the
        // module it made (`export default {...}`), which hotloop makes natively after them.
        let json = hook == TRANSFORM && is_json_request(id);
        for (i, f) in filters.iter().enumerate() {
            let Some(f) = &f[hook] else { continue };
            if json && plugins.get(i).and_then(|p| p.enforce.as_deref()) != Some("pre") {
                continue;
            }
            match f.verdict(id, code) {
                Verdict::No => {}
                Verdict::Yes => run.push(i),
                Verdict::Maybe => {
                    run.push(i);
                    recheck.push(i);
                }
            }
        }
        Some((run, recheck))
    }
}

/// A `.json` file without a query: what Vite's JSON plugin makes a module of.
fn is_json_request(id: &str) -> bool {
    !id.contains('?') && id.ends_with(".json")
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        if let Some(p) = self.lock().proc.take() {
            p.kill();
        }
    }
}

/// What a dead host's stderr says in one line: the error Node died of (`TypeError: …`,
/// `Error [ERR_MODULE_NOT_FOUND]: …`), else its last line that is not Node's version banner.
/// A request's error when the host died under it: how it ended, then the line of its stderr
/// that names an error (else its last), as what it said last rather than as the cause.
fn dead_message(proc: &Proc) -> String {
    let how = how_it_exited(proc.exit_status());
    let tail = proc.stderr_tail();
    if tail.trim().is_empty() {
        format!("the plugin host (Node.js) {how}; it restarts with the next request")
    } else {
        format!(
            "the plugin host (Node.js) {how}; it restarts with the next request (its last \
             output: {})",
            last_line(&tail)
        )
    }
}

fn last_line(s: &str) -> &str {
    let error = s.lines().map(str::trim).find(|l| {
        let name = l.split([':', ' ']).next().unwrap_or("");
        name.ends_with("Error")
            && name.chars().all(|c| c.is_ascii_alphanumeric())
            && l.contains(':')
    });
    error.unwrap_or_else(|| {
        s.lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("Node.js v"))
            .unwrap_or("no output")
    })
}

fn host_error(hook: &str, id: Option<&str>, message: impl Into<String>) -> PluginError {
    PluginError {
        plugin: String::new(),
        hook: hook.to_string(),
        id: id.map(str::to_string),
        message: message.into(),
        loc: None,
        frame: None,
    }
}

/// A Rollup-shaped error body from the host.
fn plugin_error(e: &Value, method: &str, id: Option<&str>) -> PluginError {
    let s = |k: &str| e[k].as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let loc = e["loc"]["line"].as_u64().map(|line| {
        // Rollup's `loc.column` is 0-based; ours is 1-based.
        (
            line as u32,
            e["loc"]["column"].as_u64().unwrap_or(0) as u32 + 1,
        )
    });
    PluginError {
        plugin: s("plugin").unwrap_or_default(),
        hook: s("hook").unwrap_or_else(|| method.to_string()),
        id: s("id").or_else(|| id.map(str::to_string)),
        message: s("message").unwrap_or_else(|| "unknown error".to_string()),
        loc,
        frame: s("frame"),
    }
}

/// A request for the app's server carries `"ssr": true` (the host passes `{ ssr: true }` and
/// the `ssr` environment to the hooks); the page's requests are as they always were.
fn with_env(body: &mut Value, env: PluginEnv) {
    if env == PluginEnv::Ssr {
        body["ssr"] = Value::Bool(true);
    }
}

/// A `resolveId` answer (`{ id, external }`), `None` for anything else (`null`: no plugin).
fn resolved(v: &Value) -> Option<Resolved> {
    Some(Resolved {
        id: v["id"].as_str()?.to_string(),
        external: v["external"].as_bool().unwrap_or(false),
    })
}

/// A `loadTransform` answer (`{ loaded, transformed, transformError }`) for `id`.
fn load_transform_answer(mut answer: Value, id: &str) -> LoadTransform {
    let mut part = |k: &str| Some(answer[k].take()).filter(|v| !v.is_null());
    let loaded = part("loaded").map(output);
    LoadTransform {
        loaded,
        transformed: match part("transformError") {
            Some(e) => Err(plugin_error(&e, "transform", Some(id))),
            None => Ok(part("transformed").map(output)),
        },
    }
}

fn output(v: Value) -> Output {
    let strings = |k: &str| -> Vec<String> {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    Output {
        code: v["code"].as_str().unwrap_or_default().to_string(),
        map: v["map"].as_str().map(str::to_string),
        watch_files: strings("watchFiles")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        warnings: strings("warnings"),
        module_type: v["moduleType"].as_str().map(str::to_string),
        from_middleware: v["fromMiddleware"].as_bool().unwrap_or(false),
    }
}

impl Plugins for PluginHost {
    fn fingerprint(&self) -> u64 {
        self.loaded().map_or(0, |l| l.fingerprint)
    }

    fn hooks_answered(&self) -> bool {
        self.hook_calls.load(Ordering::Relaxed) > 0
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn take_custom_events(&self) -> Vec<CustomEvent> {
        std::mem::take(&mut self.custom.lock().unwrap_or_else(|p| p.into_inner()).custom)
    }

    fn take_invalidated(&self) -> Vec<String> {
        std::mem::take(
            &mut self
                .custom
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .invalidated,
        )
    }

    fn take_reload_requested(&self) -> bool {
        std::mem::take(&mut self.custom.lock().unwrap_or_else(|p| p.into_inner()).reload)
    }

    fn client_event(&self, client: ClientId, event: &str, data: &str) {
        // Only a running host has listeners (`server.ws.on` runs in `configureServer`, which
        // an evaluation ahead has yet to run: waited for).
        let proc = {
            let cur = self.settled();
            match (&cur.proc, &cur.loaded) {
                (Some(p), Some(_)) if !p.is_dead() => p.clone(),
                _ => return,
            }
        };
        let body = json!({ "client": client.0, "event": event, "data": data });
        if !proc.notify("clientEvent", &body) {
            tracing::debug!("the plugin host's pipe is closed: {event} from {client} not sent");
        }
    }

    fn client_gone(&self, client: ClientId) {
        let proc = {
            let cur = self.settled();
            match (&cur.proc, &cur.loaded) {
                (Some(p), Some(_)) if !p.is_dead() => p.clone(),
                _ => return,
            }
        };
        if !proc.notify("clientGone", &json!({ "client": client.0 })) {
            tracing::debug!("the plugin host's pipe is closed: {client}'s disconnect not sent");
        }
    }

    fn middleware_takes(&self, path: &str) -> bool {
        self.middlewares().is_some_and(|m| m.pre_takes(path))
    }

    fn wants_whole_graph(&self) -> bool {
        let cur = self.lock();
        // (While the config is evaluated ahead, the plugins are not made yet: the graph goes
        // to them after, with the next update's.)
        if cur.ahead {
            return false;
        }
        match (&cur.proc, &cur.loaded) {
            (Some(p), Some(l)) if !p.is_dead() && !l.config.plugins.is_empty() => {
                !cur.graph_sent.as_ref().is_some_and(|(pid, sent)| {
                    *pid == p.pid && std::sync::Weak::ptr_eq(sent, &Arc::downgrade(l))
                })
            }
            _ => false,
        }
    }

    fn module_graph(&self, edges: &GraphEdges) {
        let proc = {
            let mut cur = self.lock();
            if cur.ahead {
                return;
            }
            let (proc, loaded) = match (&cur.proc, &cur.loaded) {
                (Some(p), Some(l)) if !p.is_dead() && !l.config.plugins.is_empty() => {
                    (p.clone(), Arc::downgrade(l))
                }
                _ => return,
            };
            cur.graph_sent = Some((proc.pid, loaded));
            proc
        };
        if edges.is_empty() {
            return;
        }
        let body = json!({ "modules": edges.modules, "removed": edges.removed });
        if !proc.notify("moduleGraph", &body) {
            tracing::debug!("the plugin host's pipe is closed: moduleGraph not sent");
        }
    }

    fn files_changed(&self, changes: &FileChanges) {
        self.preloads.invalidate();
        // Only a running host has state to bring up to date: a host (re)started later scans
        // from scratch. (One evaluating its config ahead hears of them once it has.)
        let proc = {
            let cur = self.settled();
            match (&cur.proc, &cur.loaded) {
                (Some(p), Some(_)) if !p.is_dead() => p.clone(),
                _ => return,
            }
        };
        let body = json!({
            "changed": changes.changed,
            "created": changes.created,
            "removed": changes.removed,
            "structural": changes.structural,
        });
        if !proc.notify("filesChanged", &body) {
            tracing::debug!("the plugin host's pipe is closed: filesChanged not sent");
        }
    }

    fn settle(&self) {
        // Only a running host heard of the files (`files_changed`), and only one whose plugins
        // listen to the watcher has anything to settle.
        let listening = self.lock().proc.as_ref().is_some_and(|p| !p.is_dead())
            && self.loaded().is_some_and(|l| {
                l.config.listens_to_pages
                    || l.config.plugins.iter().any(|p| p.has_hook("watchChange"))
            });
        if listening && let Err(e) = self.call("settled", None, json!({})) {
            tracing::debug!("plugin host: settled failed: {e}");
        }
    }

    fn page_rendered(&self) {
        let proc = {
            let mut cur = self.lock();
            if cur.ahead {
                // Told once the evaluation ahead made the plugins (`PluginHost::ahead`).
                cur.rendered_while_ahead = true;
                return;
            }
            cur.proc.clone()
        };
        if let Some(proc) = proc.filter(|p| !p.is_dead())
            && !proc.notify("pageRendered", &json!({}))
        {
            tracing::debug!("the plugin host's pipe is closed: pageRendered not sent");
        }
    }

    fn wants_resolve(&self, specifier: &str) -> bool {
        self.wants_resolve_in(PluginEnv::Client, specifier)
    }

    fn wants_resolve_in(&self, env: PluginEnv, specifier: &str) -> bool {
        self.selection(env, RESOLVE, specifier, None)
            .is_some_and(|(run, _)| !run.is_empty())
    }

    fn resolve_id(
        &self,
        specifier: &str,
        importer: Option<&str>,
    ) -> Result<Option<Resolved>, PluginError> {
        self.resolve_id_in(PluginEnv::Client, specifier, importer)
    }

    fn resolve_id_in(
        &self,
        env: PluginEnv,
        specifier: &str,
        importer: Option<&str>,
    ) -> Result<Option<Resolved>, PluginError> {
        let Some((run, recheck)) = self.selection(env, RESOLVE, specifier, None) else {
            return Ok(None);
        };
        if run.is_empty() {
            return Ok(None);
        }
        let mut body = json!({ "specifier": specifier, "importer": importer, "plugins": run, "recheck": recheck });
        with_env(&mut body, env);
        Ok(self
            .call("resolveId", importer, body)?
            .and_then(|v| resolved(&v)))
    }

    /// One round trip (`resolveIds`) for all of them: the host runs each specifier's
    /// `resolveId` chain concurrently and answers each with its own result or error.
    fn resolve_ids_in(
        &self,
        env: PluginEnv,
        specifiers: &[&str],
        importer: Option<&str>,
    ) -> Vec<Result<Option<Resolved>, PluginError>> {
        let mut answers: Vec<Result<Option<Resolved>, PluginError>> =
            specifiers.iter().map(|_| Ok(None)).collect();
        // The specifiers some plugin's filter admits, with that selection; the rest are `None`.
        let mut asked = Vec::new();
        let mut items = Vec::new();
        for (i, specifier) in specifiers.iter().enumerate() {
            let Some((run, recheck)) = self.selection(env, RESOLVE, specifier, None) else {
                continue;
            };
            if run.is_empty() {
                continue;
            }
            asked.push(i);
            items.push(json!({ "specifier": specifier, "plugins": run, "recheck": recheck }));
        }
        if asked.is_empty() {
            return answers;
        }
        let mut body = json!({ "importer": importer, "specifiers": items });
        // The importer's transform just ran here: its own query sub-modules come answered.
        let preloading = importer.and_then(|id| self.preloads.text_of(env, id));
        if let Some((code, _)) = &preloading {
            body["subModules"] = json!({ "code": code });
        }
        with_env(&mut body, env);
        let results = match self.call("resolveIds", importer, body) {
            Ok(v) => v.and_then(|mut v| match v["results"].take() {
                Value::Array(results) => Some(results),
                _ => None,
            }),
            Err(e) => {
                for &i in &asked {
                    answers[i] = Err(e.clone());
                }
                return answers;
            }
        };
        let mut results = results.unwrap_or_default();
        if let Some((code, generation)) = &preloading {
            for r in &mut results {
                let Some(preload) = r.get_mut("preload").map(Value::take) else {
                    continue;
                };
                let Some(id) = r["id"].as_str().filter(|_| !preload.is_null()) else {
                    continue;
                };
                let answer = match &preload["loadError"] {
                    Value::Null => Ok(load_transform_answer(preload, id)),
                    e => Err(plugin_error(e, "loadTransform", Some(id))),
                };
                self.preloads.keep(env, id, code, *generation, answer);
            }
        }
        for (n, &i) in asked.iter().enumerate() {
            answers[i] = match results.get(n) {
                Some(r) if !r["error"].is_null() => {
                    Err(plugin_error(&r["error"], "resolveId", importer))
                }
                Some(r) => Ok(resolved(r)),
                None => Err(host_error(
                    "resolveIds",
                    importer,
                    format!(
                        "the plugin host answered {} of {} specifiers",
                        results.len(),
                        asked.len()
                    ),
                )),
            };
        }
        answers
    }

    fn wants_load(&self, id: &str) -> bool {
        self.wants_load_in(PluginEnv::Client, id)
    }

    fn wants_load_in(&self, env: PluginEnv, id: &str) -> bool {
        self.selection(env, LOAD, id, None)
            .is_some_and(|(run, _)| !run.is_empty())
    }

    fn load(&self, id: &str) -> Result<Option<Output>, PluginError> {
        self.load_in(PluginEnv::Client, id)
    }

    fn load_in(&self, env: PluginEnv, id: &str) -> Result<Option<Output>, PluginError> {
        let Some((run, recheck)) = self.selection(env, LOAD, id, None) else {
            return Ok(None);
        };
        if run.is_empty() {
            return Ok(None);
        }
        let mut body = json!({ "id": id, "plugins": run, "recheck": recheck });
        with_env(&mut body, env);
        Ok(self.call("load", Some(id), body)?.map(output))
    }

    fn wants_transform(&self, id: &str, code: &str) -> bool {
        self.wants_transform_in(PluginEnv::Client, id, code)
    }

    fn wants_transform_in(&self, env: PluginEnv, id: &str, code: &str) -> bool {
        self.selection(env, TRANSFORM, id, Some(code))
            .is_some_and(|(run, _)| !run.is_empty())
    }

    fn transform(&self, id: &str, code: &str) -> Result<Option<Output>, PluginError> {
        self.transform_in(PluginEnv::Client, id, code)
    }

    fn transform_in(
        &self,
        env: PluginEnv,
        id: &str,
        code: &str,
    ) -> Result<Option<Output>, PluginError> {
        let Some((run, recheck)) = self.selection(env, TRANSFORM, id, Some(code)) else {
            return Ok(None);
        };
        if run.is_empty() {
            return Ok(None);
        }
        let mut body = json!({ "id": id, "code": code, "plugins": run, "recheck": recheck });
        with_env(&mut body, env);
        let output = self.call("transform", Some(id), body)?.map(output);
        if let Some(o) = &output {
            self.preloads.transformed(env, id, code, &o.code);
        }
        Ok(output)
    }

    /// One round trip (`loadTransform`): the host runs the `load` chain, then the `transform`
    /// chain on its answer (or on `code`), as two requests would.
    fn load_and_transform_in(
        &self,
        env: PluginEnv,
        id: &str,
        code: &str,
        transform_unloaded: bool,
    ) -> Result<LoadTransform, PluginError> {
        // Answered already, with the resolveIds that found it (`preload.rs`).
        if transform_unloaded && let Some(answer) = self.preloads.take(env, id, code) {
            return answer;
        }
        let nothing = LoadTransform {
            loaded: None,
            transformed: Ok(None),
        };
        let Some((load, load_recheck)) = self.selection(env, LOAD, id, None) else {
            return Ok(nothing);
        };
        if load.is_empty() {
            if !transform_unloaded || !self.wants_transform_in(env, id, code) {
                return Ok(nothing);
            }
            return Ok(LoadTransform {
                loaded: None,
                transformed: self.transform_in(env, id, code),
            });
        }
        let (transform, transform_recheck) = self
            .transform_selection_before_load(env, id)
            .unwrap_or_default();
        let mut body = json!({
            "id": id,
            "code": code,
            "transformUnloaded": transform_unloaded,
            "load": { "plugins": load, "recheck": load_recheck },
            "transform": { "plugins": transform, "recheck": transform_recheck },
        });
        with_env(&mut body, env);
        let Some(answer) = self.call("loadTransform", Some(id), body)? else {
            return Ok(nothing);
        };
        Ok(load_transform_answer(answer, id))
    }

    /// Runs the plugins' `transformIndexHtml` hooks on `html` (served at `url_path`, read
    /// from `filename`). `None` when no plugin has the hook or none changed anything.
    fn transform_index_html(
        &self,
        url_path: &str,
        filename: &str,
        html: &str,
    ) -> Result<Option<String>, PluginError> {
        let any = self.loaded().is_some_and(|l| {
            l.config
                .plugins
                .iter()
                .any(|p| p.has_hook("transformIndexHtml"))
        });
        if !any {
            return Ok(None);
        }
        let body = json!({ "path": url_path, "filename": filename, "html": html });
        let answer = self.call("transformIndexHtml", Some(filename), body)?;
        Ok(answer.and_then(|v| v["html"].as_str().map(str::to_string)))
    }

    fn hot_update(
        &self,
        file: &str,
        modules: &[String],
        importers: &[String],
        text: Option<&str>,
    ) -> Result<Option<Vec<String>>, PluginError> {
        let any = self.loaded().is_some_and(|l| {
            l.config
                .plugins
                .iter()
                .any(|p| p.has_hook("handleHotUpdate") || p.has_hook("hotUpdate"))
        });
        self.preloads.invalidate();
        if !any {
            return Ok(None);
        }
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let body = json!({
            "file": file,
            "modules": modules,
            "importers": importers,
            "timestamp": timestamp,
            "text": text,
        });
        Ok(self.call("hotUpdate", Some(file), body)?.map(|v| {
            v["modules"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }
}

/// Whether `path` names a Vite config file (`vite.config.{ts,mts,cts,js,mjs,cjs}`).
pub fn is_vite_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vite.config."))
        .is_some_and(|ext| matches!(ext, "ts" | "mts" | "cts" | "js" | "mjs" | "cjs"))
}

/// The texts of the `tsconfig*.json` and `jsconfig.json` files in the directory of the config
/// at `config`, in name order (unreadable ones left out).
fn tsconfig_texts(config: &Path) -> Vec<String> {
    let Some(dir) = config.parent() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == "jsconfig.json" || (n.starts_with("tsconfig") && n.ends_with(".json"))
            })
        })
        .collect();
    names.sort();
    names
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// The texts of the env files Vite loads for `mode` from `env_dir` (`.env`, `.env.local`,
/// `.env.[mode]`, `.env.[mode].local`), `None` for one that is not there.
pub fn env_texts(env_dir: &Path, mode: &str) -> [Option<String>; 4] {
    [
        ".env".to_owned(),
        ".env.local".to_owned(),
        format!(".env.{mode}"),
        format!(".env.{mode}.local"),
    ]
    .map(|name| std::fs::read_to_string(env_dir.join(name)).ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_dead_hosts_last_words_are_the_error_it_died_of() {
        let tail = "file:///tmp/host.js:3\n  import x from './x.js';\n  ^\n\n\
                    Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/tmp/x.js' imported from /tmp/host.js\n    \
                    at finalizeResolution (node:internal/modules/esm/resolve:283:11) {\n  \
                    code: 'ERR_MODULE_NOT_FOUND'\n}\n\nNode.js v20.20.2\n";
        assert_eq!(
            super::last_line(tail),
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/tmp/x.js' imported from /tmp/host.js"
        );
        assert_eq!(
            super::last_line("TypeError: x is not a function\n    at y\n"),
            "TypeError: x is not a function"
        );
        assert_eq!(super::last_line("killed\n\nNode.js v20.20.2\n"), "killed");
        assert_eq!(super::last_line(""), "no output");
    }

    use super::is_vite_config;
    use std::path::Path;

    #[test]
    fn vite_config_names() {
        for name in [
            "vite.config.ts",
            "vite.config.mts",
            "vite.config.cjs",
            "/p/vite.config.js",
        ] {
            assert!(is_vite_config(Path::new(name)), "{name}");
        }
        for name in [
            "vite.config.json",
            "vitest.config.ts",
            "my.vite.config.ts",
            "vite.config.ts.timestamp-1-a.mjs",
        ] {
            assert!(!is_vite_config(Path::new(name)), "{name}");
        }
    }
}
