//! A project's `vite.config.*`: found (or named by `--config`), compiled with hotloop's own swc
//! (`engine::strip_types_to_esm`), evaluated with its plugins in the Node.js plugin host
//! (`hotloop-plugin-host`), and what it says applied to hotloop's own options. A project
//! without a config never starts Node, nor does one whose config is plain data naming only
//! plugins whose work hotloop does itself (`@vitejs/plugin-react` without options: the
//! starters' and most React apps' config), until a module needs a plugin after all.
//!
//! Honoured natively: `define`, `resolve.alias`, `envPrefix`, `envDir`, `publicDir`, `mode`,
//! `server.port`, `server.strictPort`, `server.host`, `server.open`, `server.proxy` (string
//! targets and `{ target, changeOrigin, ws }`; an entry with a RegExp key or code, `rewrite`,
//! `bypass`, `headers`, runs in the plugin host's `proxy.js`), `server.allowedHosts`, `server.cors`, `server.fs.allow`,
//! `server.fs.deny` (names, added to hotloop's own list); command-line flags win where both
//! say something. Every other option the config sets gets one warning naming it.
//!
//! A project without a config still starts the plugin host when its stylesheets need Vite's CSS
//! pipeline: a CSS preprocessor or PostCSS in its `package.json`, or a PostCSS config where Vite
//! finds one (`css_tools_without_config`). A config is evaluated again when it changes or a local
//! module it imports does (`config_deps.rs` compiles those). React's plugin factories it calls
//! only without options (`engine::default_plugin_factories`, `NATIVE_PLUGIN_PACKAGES`) are
//! named to the host, which leaves their transforms to hotloop. `hotloop: { server }`,
//! hotloop's own key, names the app's server entry.
//!
//! A restart does not wait for Node: the config's last answer (`config_memo.rs`), when
//! nothing it was evaluated from changed, is taken at once, and Node's evaluation follows
//! ([`follow_ahead`]).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use engine::{Alias, AliasFind, ProjectOptions};
use hotloop_plugin_host::{
    ConfigInput, HostError, HostEvent, HostOptions, NATIVE_PLUGIN_PACKAGES, Pattern, PluginHost,
    ResolvedConfig,
};
use hotloop_protocol::plugin::{PluginError, Plugins};
use hotloop_server::ProxyRule;

use crate::cli::ServeArgs;

/// The names Vite looks for, in its order.
const CONFIG_NAMES: [&str; 6] = [
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.ts",
    "vite.config.cjs",
    "vite.config.mts",
    "vite.config.cts",
];

/// The config this run uses: `--config FILE` (relative to the root), else the first of Vite's
/// names in the root.
pub fn find(root: &Path, explicit: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    if let Some(file) = explicit {
        let path = root.join(file);
        anyhow::ensure!(
            path.is_file(),
            "--config {}: no such file ({}); name the Vite config relative to the project root",
            file.display(),
            path.display()
        );
        return Ok(Some(path));
    }
    Ok(CONFIG_NAMES
        .iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file()))
}

/// Packages whose stylesheets need Vite's CSS pipeline (run in the plugin host) even in a
/// project without a `vite.config`: a preprocessor, or PostCSS with its plugins.
const CSS_TOOLS: [&str; 7] = [
    "sass",
    "sass-embedded",
    "less",
    "stylus",
    "postcss",
    "tailwindcss",
    "@tailwindcss/postcss",
];

/// Preprocessors Vite loads when a stylesheet of theirs is imported, found where Node finds
/// them: installed but not listed (a workspace's hoisted copy) counts.
const PREPROCESSORS: [&str; 4] = ["sass", "sass-embedded", "less", "stylus"];

/// The first CSS tool the project has, with the file that says so: one the root's
/// `package.json` or a workspace root's above it lists (`dependencies`/`devDependencies`), or
/// a preprocessor installed in the `node_modules` of the root or of a directory above it, as
/// Vite finds `less` when a `.less` file is imported. (PostCSS is only listed: every `vite`
/// installs it.)
fn listed_css_tool(root: &Path) -> Option<(&'static str, PathBuf)> {
    for dir in root.ancestors() {
        let file = dir.join("package.json");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let listed = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|field| json[field].get(name).is_some())
        };
        if let Some(tool) = CSS_TOOLS.into_iter().find(|tool| listed(tool)) {
            return Some((tool, file));
        }
    }
    PREPROCESSORS
        .into_iter()
        .find_map(|tool| installed(root, tool).map(|file| (tool, file)))
}

/// The `package.json` of `package` in the `node_modules` of `root` or of a directory above it.
fn installed(root: &Path, package: &str) -> Option<PathBuf> {
    root.ancestors()
        .map(|dir| dir.join("node_modules").join(package).join("package.json"))
        .find(|file| file.is_file())
}

/// Why a project without a config still needs the plugin host (its `package.json` lists a
/// CSS preprocessor or PostCSS, or it has a PostCSS config, as Vite finds one, and Vite is
/// installed to run them), or `None`.
pub fn css_tools_without_config(root: &Path) -> Option<String> {
    let needed_by = match listed_css_tool(root) {
        Some((tool, file)) => {
            let shown = file.strip_prefix(root).unwrap_or(&file);
            format!("{} (`{tool}`)", shown.display())
        }
        None => {
            let config = hotloop_plugin_host::postcss_config(root)?;
            let shown = config.strip_prefix(root).unwrap_or(&config);
            format!("{} (PostCSS's config)", shown.display())
        }
    };
    if installed(root, "vite").is_none() {
        tracing::warn!(
            "{needed_by}: the stylesheets need Vite's CSS pipeline, which hotloop runs from the \
             project's own `vite` package; install it (npm install -D vite)"
        );
        return None;
    }
    Some(needed_by)
}

/// The config `input` (its text `text`) honoured without Node: plain data
/// ([`engine::config_literal`]) whose plugins are all [`NATIVE_PLUGIN_PACKAGES`] without options
/// (installed: a missing one is the host's error to report, as Vite's), in a project that
/// lists no CSS tool (whose stylesheets go through Vite's pipeline in the host). `None`: the
/// host must evaluate it.
fn literal_config(root: &Path, input: &ConfigInput, text: &str) -> Option<ResolvedConfig> {
    let literal = engine::config_literal(&input.path.to_string_lossy(), text)?;
    let native = |p: &engine::PluginCall| {
        NATIVE_PLUGIN_PACKAGES.contains(&p.package.as_str())
            && installed(root, &p.package).is_some()
            && p.options
                .as_ref()
                .is_none_or(|o| o.as_object().is_some_and(|o| o.is_empty()))
    };
    if !literal.plugins.iter().all(native) || listed_css_tool(root).is_some() {
        return None;
    }
    ResolvedConfig::from_literal(root, input.mode.as_deref(), &literal.options)
}

/// The config at `path`: its text, what the host imports (compiled to ESM by swc, with the
/// local modules it imports: `config_deps.rs`) and the local files it read.
fn read_config(
    path: &Path,
    serve: &ServeArgs,
) -> anyhow::Result<(String, ConfigInput, Vec<PathBuf>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let compiled = crate::config_deps::compile(path, &text)?;
    let mode = (serve.mode != engine::DEFAULT_MODE).then(|| serve.mode.clone());
    let native_plugins =
        engine::default_plugin_factories(&path.to_string_lossy(), &text, &NATIVE_PLUGIN_PACKAGES);
    let input = ConfigInput {
        path: path.to_path_buf(),
        code: compiled.code,
        mode,
        native_plugins,
        modules: compiled.modules,
        stamp: compiled.stamp,
    };
    Ok((text, input, compiled.files))
}

/// Starts the plugin host with an empty config, for Vite's CSS pipeline alone.
pub fn load_without_config(
    root: &Path,
    needed_by: &str,
    serve: &ServeArgs,
) -> anyhow::Result<ViteConfig> {
    let resolver = Arc::new(engine::PageResolver::new(root));
    let mut options = HostOptions::new(root, root.join(needed_by), resolve_with(&resolver));
    options.node = node(serve);
    let host = PluginHost::start(options)?;
    // Not a file: the host writes the code beside this path to import it.
    let path = root.join("vite.config.mjs");
    let mode = (serve.mode != engine::DEFAULT_MODE).then(|| serve.mode.clone());
    let config = host.load_config(ConfigInput {
        path: path.clone(),
        code: "export default {};\n".into(),
        mode,
        ..Default::default()
    })?;
    tracing::info!("{needed_by}: stylesheets go through Vite's CSS pipeline (Node.js)");
    Ok(ViteConfig {
        path,
        host: Arc::new(host),
        config,
        files: Vec::new(),
        resolver,
        ahead: None,
    })
}

/// What the plugin host calls for a plugin's `this.resolve` after the plugins' `resolveId`,
/// and for `config.createResolver()`'s resolvers.
fn resolve_with(resolver: &Arc<engine::PageResolver>) -> hotloop_plugin_host::Resolver {
    let resolver = resolver.clone();
    Arc::new(move |specifier, importer, resolve_as| match resolve_as {
        hotloop_plugin_host::ResolveAs::Script => resolver.resolve(specifier, importer),
        hotloop_plugin_host::ResolveAs::Stylesheet => resolver.resolve_css(specifier, importer),
    })
}

/// The Node to run: `--node`, else `$HOTLOOP_NODE`, else `node` on `PATH` (`None`).
pub fn node(serve: &ServeArgs) -> Option<PathBuf> {
    serve
        .node
        .clone()
        .or_else(|| std::env::var_os("HOTLOOP_NODE").map(PathBuf::from))
}

/// The project's plugins, running, and its config as evaluated.
pub struct ViteConfig {
    pub path: PathBuf,
    pub host: Arc<PluginHost>,
    pub config: ResolvedConfig,
    /// The local files the config imports (`config_deps.rs`): an edit of one evaluates it again.
    pub files: Vec<PathBuf>,
    /// What the plugins' `this.resolve` falls back to, with the config's `resolve.*`.
    pub resolver: Arc<engine::PageResolver>,
    /// `config` is the last session's answer, and Node is evaluating the config meanwhile
    /// (see [`follow_ahead`]).
    pub ahead: Option<Ahead>,
}

/// A config taken ahead of its evaluation ([`load`]): what Node's will be compared with.
pub struct Ahead {
    evaluated: hotloop_plugin_host::Evaluation,
    memo: crate::config_memo::ConfigMemo,
}

/// Reads the config at `path` and evaluates it with its plugins in a new plugin host, or,
/// when it is plain data whose plugins hotloop serves itself, takes what it says without
/// starting Node (the host stays deferred until a request needs a plugin).
pub fn load(root: &Path, path: &Path, serve: &ServeArgs) -> anyhow::Result<ViteConfig> {
    let (text, input, files) = read_config(path, serve)?;
    let resolver = Arc::new(engine::PageResolver::new(root));
    let mut options = HostOptions::new(root, path, resolve_with(&resolver));
    options.node = node(serve);
    let file = path.file_name().unwrap_or_default().to_string_lossy();
    if let Some(config) = literal_config(root, &input, &text) {
        tracing::info!(
            "{file}: plain data; hotloop does its plugins' work itself (no Node.js process)"
        );
        let host = PluginHost::deferred(options, input, config.clone())?;
        return Ok(ViteConfig {
            path: path.to_path_buf(),
            host: Arc::new(host),
            config,
            files,
            resolver,
            ahead: None,
        });
    }
    let memo = if serve.no_cache {
        None
    } else {
        crate::config_memo::ConfigMemo::open(root, &input, options.node.as_deref())
    };
    // Only a config whose pages build without Node gains: with plugins that answer hooks
    // (a `.vue` file's), the build waits for Node's plugins anyway, and the page served
    // early only competed with Node's evaluation for the CPU (the vue-ts starter's restart:
    // 958 ms against 680).
    if let Some(config) = memo
        .as_ref()
        .and_then(|m| m.answer())
        .filter(hotloop_plugin_host::idle_after_load)
        && let Some(memo) = memo
    {
        let (host, evaluated) = PluginHost::ahead(options, input, config.clone())?;
        tracing::info!(
            "{file}: {}, as last session; Node.js evaluates it meanwhile",
            plugin_list(&config)
        );
        return Ok(ViteConfig {
            path: path.to_path_buf(),
            host,
            config,
            files,
            resolver,
            ahead: Some(Ahead { evaluated, memo }),
        });
    }
    let host = PluginHost::start(options)?;
    let config = host.load_config(input).map_err(config_failure)?;
    if let Some(memo) = &memo {
        memo.record(&config);
    }
    // Events sent while the config loaded (`configureServer`) have no page to go to yet.
    let _ = host.take_custom_events();
    tracing::info!("{file}: {}", plugin_list(&config));
    park(&host, root, &file);
    Ok(ViteConfig {
        path: path.to_path_buf(),
        host: Arc::new(host),
        config,
        files,
        resolver,
        ahead: None,
    })
}

/// `2 plugin(s): hotloop:css, vite:vue`.
fn plugin_list(config: &ResolvedConfig) -> String {
    format!(
        "{} plugin(s): {}",
        config.plugins.len(),
        config
            .plugins
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `vite` with Node's own answer of its config: a config [`load`] took ahead is waited for
/// (and its answer recorded).
pub fn settled(mut vite: ViteConfig) -> anyhow::Result<ViteConfig> {
    if let Some(Ahead { evaluated, memo }) = vite.ahead.take() {
        let config = evaluated
            .recv()
            .map_err(|_| anyhow::anyhow!("the plugin host stopped evaluating the config"))?;
        let config = config.map_err(config_failure)?;
        memo.record(&config);
        vite.config = config;
    }
    Ok(vite)
}

/// Waits, on a thread of its own, for Node's evaluation of a config [`load`] took ahead
/// (`vite.ahead`), and records it: the same as assumed, the host is parked if nothing needs
/// it; something else (or a failure), the engine takes it as a change of the config
/// (`Control::ConfigEvaluatedAnew`: evaluated again, the pages reloaded, an error shown as a
/// broken config's).
pub fn follow_ahead(
    vite: &mut ViteConfig,
    root: &Path,
    control: crossbeam_channel::Sender<engine::Control>,
) {
    let Some(Ahead { evaluated, memo }) = vite.ahead.take() else {
        return;
    };
    let host = vite.host.clone();
    let assumed = vite.config.clone();
    let root = root.to_path_buf();
    let file = vite
        .path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let spawned = std::thread::Builder::new()
        .name("hotloop-config-follow".into())
        .spawn(move || {
            let Ok(outcome) = evaluated.recv() else {
                return;
            };
            // Events sent while the config loaded (`configureServer`), as at a start.
            let _ = host.take_custom_events();
            match outcome {
                Ok(config) if config == assumed => {
                    memo.record(&config);
                    tracing::debug!("{file}: Node.js evaluated it as last session");
                    park(&host, &root, &file);
                }
                Ok(config) => {
                    memo.record(&config);
                    tracing::info!(
                        "{file}: evaluated to something else than last session; taken as a change"
                    );
                    let _ = control.send(engine::Control::ConfigEvaluatedAnew);
                }
                // Stopped while it evaluated (Ctrl-C at once): nothing was found out.
                Err(_) if host.stopped() => {}
                Err(e) => {
                    memo.forget();
                    tracing::debug!("{file}: the evaluation ahead failed: {e}");
                    let _ = control.send(engine::Control::ConfigEvaluatedAnew);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(
            "cannot follow the evaluation of {}: {e}",
            vite.path.display()
        );
    }
}

/// A config that failed to load, as the terminal and the overlay show a compile error of it:
/// `file:line:column: message`, its code frame below, when the host placed the error in the
/// file (an error thrown while its code ran, mapped through the copy's source map).
fn config_failure(e: HostError) -> anyhow::Error {
    match e {
        HostError::Config(PluginError {
            plugin,
            hook,
            id: Some(id),
            message,
            loc: Some((line, column)),
            frame,
        }) if plugin.is_empty() && hook == "config" => {
            let frame = frame.map(|f| format!("\n{f}")).unwrap_or_default();
            anyhow::anyhow!("{id}:{line}:{column}: {message}{frame}")
        }
        e => e.into(),
    }
}

/// Stops the host that evaluated a config if nothing of it runs past the config (a React
/// project's config that had to run: `PluginHost::park_if_idle`), in a project that lists no
/// CSS tool (whose stylesheets would start it again at once).
fn park(host: &PluginHost, root: &Path, file: &str) {
    if listed_css_tool(root).is_none() && host.park_if_idle() {
        tracing::info!(
            "{file}: its plugins need nothing past the config; the plugin host (Node.js) stopped \
             until a module needs it"
        );
    }
}

/// Reads the config at `path` again and has `host` take it: as plain data while no host
/// process runs and it still is (see [`load`]), else evaluated with its plugins' config-time
/// hooks in the host, replacing what it ran before.
pub fn evaluate(
    host: &PluginHost,
    root: &Path,
    path: &Path,
    serve: &ServeArgs,
) -> anyhow::Result<(ResolvedConfig, Vec<PathBuf>)> {
    let (text, input, files) = read_config(path, serve)?;
    if host.pid().is_none()
        && let Some(config) = literal_config(root, &input, &text)
    {
        host.use_config(input, config.clone());
        return Ok((config, files));
    }
    let config = host.load_config(input).map_err(config_failure)?;
    park(
        host,
        root,
        &path.file_name().unwrap_or_default().to_string_lossy(),
    );
    Ok((config, files))
}

/// What the engine calls when the config changes: evaluates it again in the running host and
/// makes the project options from the command line's (`cli`) and the new config. Options only
/// a restart can change (`server.*`) are named in a warning.
pub fn reloader(
    root: &Path,
    watched: &Path,
    vite: &ViteConfig,
    cli: ProjectOptions,
    serve: ServeArgs,
) -> engine::ReloadConfig {
    let root = root.to_path_buf();
    let watched = watched.to_path_buf();
    let host = vite.host.clone();
    let resolver = vite.resolver.clone();
    let path = vite.path.clone();
    let started_with = (vite.config.server.clone(), vite.config.base.clone());
    let cli_base = serve.base.clone();
    Box::new(move || {
        let (config, files) =
            evaluate(&host, &root, &path, &serve).map_err(|e| format!("{e:#}"))?;
        let _ = host.take_custom_events();
        if config.server != started_with.0 {
            tracing::warn!(
                "{}: server options changed; restart hotloop to apply them",
                path.display()
            );
        }
        if config.base != started_with.1 {
            tracing::warn!(
                "{}: base changed; restart hotloop to serve the app under it",
                path.display()
            );
        }
        let mut options = cli.clone();
        let mut serve = serve.clone();
        apply(&config, &root, &watched, &mut options, &mut serve);
        // The server keeps the base it started with (changing it takes a restart).
        options.base = if serve.given.base {
            cli_base.clone()
        } else {
            crate::cli::normalize_base(&started_with.1)
        };
        resolver.configure(&options.resolve);
        let mut options = options.with_process_env();
        options.plugins_fingerprint = host.fingerprint();
        Ok(engine::ReloadedConfig { options, files })
    })
}

/// What the log says when the plugin host dies: how it ended (its exit code or signal), then
/// the last lines it wrote to stderr, as context: they are what it said last, which need not be
/// why (a plugin's `console.log` from long before, when a plugin called `process.exit`). A
/// host killed by a signal usually wrote nothing, and then no empty lines are shown.
fn crash_message(stderr_tail: &str, status: Option<std::process::ExitStatus>) -> String {
    let mut message = format!(
        "the plugin host (Node.js) {}; it restarts with the next module that needs a plugin",
        hotloop_plugin_host::how_it_exited(status)
    );
    let tail = stderr_tail.trim_end();
    if tail.trim().is_empty() {
        message.push_str(" (it wrote nothing to stderr)");
    } else {
        message.push_str(". The last lines it wrote to stderr, which need not say why:");
        for line in tail.lines() {
            message.push_str("\n  ");
            message.push_str(line);
        }
    }
    message
}

/// Reports what the plugin host says on its own (crashes, restarts, plugins' warnings) in the
/// log, which the terminal and the dashboard show, and acts on it: custom events a plugin sent
/// on its own go to the engine (`Control::PluginEvents`) to reach the pages at once; a crashed
/// host whose plugins serve requests (`server.middlewares`) is started again at once, as no
/// module may need it soon. On a thread of its own until the host is gone.
pub fn report_events(host: &Arc<PluginHost>, control: crossbeam_channel::Sender<engine::Control>) {
    let events = host.events();
    let host = Arc::downgrade(host);
    let _ = std::thread::Builder::new()
        .name("hotloop-plugin-events".into())
        .spawn(move || {
            for event in events {
                match event {
                    HostEvent::Crashed {
                        stderr_tail,
                        status,
                    } => {
                        tracing::error!("{}", crash_message(&stderr_tail, status));
                        if let Some(host) = host.upgrade()
                            && host.config().is_some_and(|c| c.middlewares.is_some())
                            && let Err(error) = host.ensure_running()
                        {
                            tracing::error!("{error}");
                        }
                    }
                    HostEvent::CustomEventsWaiting | HostEvent::ModulesInvalidated => {
                        let _ = control.send(engine::Control::PluginEvents);
                    }
                    HostEvent::ReloadRequested => {
                        tracing::info!("a plugin asked the pages to reload");
                        let _ = control.send(engine::Control::PluginEvents);
                    }
                    HostEvent::TimedOut { method, id } => tracing::error!(
                        "a plugin took too long in `{method}`{}: the plugin host was restarted",
                        id.map(|id| format!(" for {id}")).unwrap_or_default()
                    ),
                    HostEvent::Restarted { pid } => {
                        tracing::warn!("the plugin host runs again (pid {pid})")
                    }
                    HostEvent::Started { pid } => {
                        tracing::info!("the plugin host (Node.js) started (pid {pid})")
                    }
                    // Logged by the host crate itself as they arrive.
                    HostEvent::Warning { .. } | HostEvent::WorkersReady { .. } => {}
                    // What the plugins say through Vite's logger, shown by default as Vite
                    // prints it (vite-plugin-checker's "[TypeScript] Found 0 errors", which it
                    // says with `logger.error`): the text alone, under the plugins' target.
                    HostEvent::Log { level, message } if level == "error" => {
                        tracing::error!(target: crate::dev::PLUGIN_LOG_TARGET, "{message}")
                    }
                    HostEvent::Log { level, message } if level == "warn" => {
                        tracing::warn!(target: crate::dev::PLUGIN_LOG_TARGET, "{message}")
                    }
                    HostEvent::Log { message, .. } => {
                        tracing::info!(target: crate::dev::PLUGIN_LOG_TARGET, "{message}")
                    }
                }
            }
        });
}

/// The project root `config` names (Vite's `root`, absolute from the host) for a config found
/// in `dir`: that directory when it is `dir` or below it; else `dir`, with a warning (hotloop
/// watches the directory it was started in).
pub fn project_root(config: &ResolvedConfig, dir: &Path) -> PathBuf {
    let named = match std::fs::canonicalize(&config.root) {
        Ok(named) => named,
        Err(e) => {
            tracing::warn!(
                "vite.config: root '{}' cannot be used ({e}); hotloop serves {}",
                config.root,
                dir.display()
            );
            return dir.to_path_buf();
        }
    };
    if named == dir {
        return named;
    }
    if !named.is_dir() || !named.starts_with(dir) {
        tracing::warn!(
            "vite.config: root '{}' is not a directory below {}; hotloop serves {} (run hotloop \
             in that directory, with --config naming this config, instead)",
            config.root,
            dir.display(),
            dir.display()
        );
        return dir.to_path_buf();
    }
    tracing::info!("vite.config: the app's root is {}", named.display());
    named
}

/// Options Vite's own dev server does not read (`vite build`'s, `vite preview`'s, vitest's):
/// not honouring them changes nothing, so they get no warning (a multi-page app's
/// `build.rollupOptions.input` was "not honoured" while every page worked).
const NOT_FOR_THE_DEV_SERVER: [&str; 3] = ["build", "preview", "test"];

/// Applies what hotloop honours of `config` to the project options and the server flags
/// (flags given on the command line win); warns once for every option it does not honour.
/// `watched`: the directory hotloop watches (the one given, which holds the project `root`).
/// Whether the project's files read a CommonJS default as Node does
/// (`ProjectOptions::node_cjs_interop`): with the Vite 8 it installed (config or not), unless
/// its config says `legacy.inconsistentCjsInterop` (`inconsistent`).
pub(crate) fn node_cjs_interop(root: &Path, inconsistent: bool) -> bool {
    !inconsistent && vite_major(root).is_some_and(|major| major >= 8)
}

/// The major version of the `vite` the project installed (where Node finds it from `root`).
fn vite_major(root: &Path) -> Option<u32> {
    let manifest = root
        .ancestors()
        .map(|dir| dir.join("node_modules/vite/package.json"))
        .find(|path| path.is_file())?;
    let text = std::fs::read_to_string(manifest).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?
        .as_str()?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// A plugin that makes a module of what it saw in every other module's `transform` (UnoCSS's
/// `unocss:global`, which returns nothing but gathers the utility classes `virtual:uno.css`
/// is made of): the plugins must see every module at the start, so none is served from the
/// plugins' outputs kept from the last session (`ProjectOptions::keep_plugin_outputs`).
fn gathers_from_transforms(config: &ResolvedConfig) -> bool {
    config
        .plugins
        .iter()
        .any(|plugin| plugin.name == "unocss:global")
}

pub fn apply(
    config: &ResolvedConfig,
    root: &Path,
    watched: &Path,
    options: &mut ProjectOptions,
    serve: &mut ServeArgs,
) {
    let file = "vite.config";
    // `--server` wins; a missing file stops `hotloop dev` before this (`server_entry`), and a
    // config changed to name one while running is an error in the log.
    if options.server_entry.is_none() {
        match server_entry(config, root) {
            Ok(entry) => options.server_entry = entry,
            Err(e) => tracing::error!("{e:#}"),
        }
    }
    let pairs = |define: &std::collections::BTreeMap<String, String>| {
        define
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
            .into()
    };
    options.keep_plugin_outputs = !gathers_from_transforms(config);
    options.define = pairs(&config.define);
    options.deps_define = pairs(&config.deps_define);
    options.deps_banner = config.deps_banner.as_deref().map(Into::into);
    options.csp_nonce = config.csp_nonce.as_deref().map(Into::into);
    options.error_overlay = config.server.hmr_overlay != Some(false);
    options.node_cjs_interop = node_cjs_interop(root, config.inconsistent_cjs_interop);
    let mut aliases = Vec::new();
    for alias in &config.resolve.alias {
        let find = match &alias.find {
            Pattern::String(find) => AliasFind::Exact(find.clone()),
            Pattern::RegExp { source, flags } => {
                let pattern = if flags.contains('i') {
                    format!("(?i){source}")
                } else {
                    source.clone()
                };
                if regex_compiles(&pattern) {
                    AliasFind::Pattern(pattern)
                } else {
                    tracing::warn!(
                        "{file}: resolve.alias /{source}/{flags} is a JavaScript pattern hotloop \
                         cannot run (lookbehind or backreferences); that alias is ignored"
                    );
                    continue;
                }
            }
        };
        aliases.push(Alias {
            find,
            replacement: alias.replacement.clone(),
        });
    }
    options.aliases = aliases.into();
    if serve.env_prefixes.is_empty() && !config.env_prefix.is_empty() {
        options.env_prefixes = config.env_prefix.clone();
    }
    if !serve.given.mode && config.mode != serve.mode {
        options.mode = config.mode.clone();
        serve.mode = config.mode.clone();
    }

    if let Some(app_type) = &config.app_type {
        match hotloop_server::AppType::from_config(app_type) {
            Some(app_type) => serve.app_type = app_type,
            None => tracing::warn!(
                "{file}: appType '{app_type}' is none of 'spa', 'mpa' and 'custom'; hotloop \
                 serves the app as 'spa'"
            ),
        }
    }
    let server = &config.server;
    if !serve.given.port
        && let Some(port) = server.port
    {
        serve.port = port;
    }
    if !serve.given.host
        && let Some(host) = &server.host
    {
        match host {
            serde_json::Value::Bool(true) => serve.host = IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            serde_json::Value::String(name) => match name.parse::<IpAddr>() {
                Ok(ip) => serve.host = ip,
                Err(_) if name == "localhost" => {}
                Err(_) => tracing::warn!(
                    "{file}: server.host '{name}' is not an IP address; hotloop binds addresses \
                     (use --host 0.0.0.0 to serve the network)"
                ),
            },
            _ => {}
        }
    }
    if let Some(serde_json::Value::Bool(true) | serde_json::Value::String(_)) = &server.open {
        serve.open = true;
    }
    if server.strict_port == Some(true) {
        serve.strict_port = true;
    }
    if let Some(proxy) = server.proxy.as_ref().and_then(|p| p.as_object()) {
        for (prefix, target) in proxy {
            let url = match target {
                serde_json::Value::String(url) => Some(url.clone()),
                serde_json::Value::Object(o) => {
                    o.get("target").and_then(|t| t.as_str()).map(str::to_string)
                }
                _ => None,
            };
            // Vite's `changeOrigin` (a string target is `{ target, changeOrigin: true }`).
            let change_origin = match target {
                serde_json::Value::Object(o) => o.get("changeOrigin") == Some(&true.into()),
                _ => true,
            };
            // (Entries with code or more options than these run in the plugin host: its
            // `proxy.js`; the host leaves them out of what it reports.)
            match url.map(|url| format!("{prefix}={url}").parse::<ProxyRule>()) {
                Some(Ok(mut rule)) if !serve.proxy.iter().any(|r| r.prefix == rule.prefix) => {
                    rule.change_origin = change_origin;
                    rule.set_in = Some(file.to_owned());
                    serve.proxy.push(rule)
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => tracing::warn!("{file}: server.proxy['{prefix}']: {e}"),
                None => tracing::warn!(
                    "{file}: server.proxy['{prefix}'] has no target URL hotloop can use"
                ),
            }
        }
    }
    match &server.allowed_hosts {
        Some(serde_json::Value::Bool(true)) => serve.allowed_hosts.push("*".into()),
        Some(serde_json::Value::Array(hosts)) => serve
            .allowed_hosts
            .extend(hosts.iter().filter_map(|h| h.as_str().map(str::to_string))),
        _ => {}
    }
    if serve.https_cert.is_none() {
        serve.https_from_config = server.https.clone();
    }
    if let Some(serde_json::Value::Bool(true)) = &server.cors {
        serve.allow_any_origin = true;
    }
    if let Some(serde_json::Value::Object(headers)) = &server.headers {
        serve.headers = headers
            .iter()
            .filter_map(|(name, value)| {
                let text = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                };
                let value = match value {
                    serde_json::Value::Array(values) => values
                        .iter()
                        .map(text)
                        .collect::<Option<Vec<_>>>()?
                        .join(", "),
                    value => text(value)?,
                };
                Some((name.clone(), value))
            })
            .collect();
    }
    for dir in &server.fs.allow {
        let dir = root.join(dir);
        if !dir.starts_with(root) {
            serve.fs_allow.push(dir);
        }
    }
    for glob in &server.fs.deny {
        match deny_segments(glob) {
            Some(patterns) => {
                for pattern in patterns {
                    if !serve.fs_deny.contains(&pattern) {
                        serve.fs_deny.push(pattern);
                    }
                }
            }
            None => tracing::warn!(
                "{file}: server.fs.deny '{glob}' names a path, not a file or directory name; \
                 hotloop denies by name (like '.env.*', '*.{{crt,pem}}', '**/secrets/**'), so it \
                 is not honoured"
            ),
        }
    }

    let canonical = |p: &str| std::fs::canonicalize(p).unwrap_or_else(|_| PathBuf::from(p));
    // `--base` wins; the host normalised the config's (a relative one is `/` in dev).
    if !serve.given.base && config.base != "/" {
        serve.base = crate::cli::normalize_base(&config.base);
    }
    options.base = serve.base.clone();
    let public_dir = match config.public_dir.as_deref().map(canonical) {
        None => engine::PublicDir::Off,
        Some(dir) if dir == root.join("public") => engine::PublicDir::InRoot,
        Some(dir) => engine::PublicDir::At(dir),
    };
    options.public_dir = public_dir.clone();
    serve.public_dir = public_dir;
    let env_dir = canonical(&config.env_dir);
    if !env_dir.starts_with(root) && !env_dir.starts_with(watched) {
        // Watching it would watch all below it (a monorepo's root: every package's
        // `node_modules` too).
        tracing::warn!(
            "{file}: envDir {} is outside the watched directory: its .env files are read at \
             start and when the config changes; an edit of one there takes a restart to show",
            env_dir.display()
        );
    }
    options.env_dir = (env_dir != root).then_some(env_dir);
    options.resolve = resolve_settings(config, file);
    options.json = json_options(config.json.as_ref(), file);
    options.jsx = config.jsx.as_ref().map(jsx_override);
    options.jsx_inject = config.jsx_inject.as_deref().map(Into::into);
    options.css_modules = css_modules_options(config.css_modules.as_ref(), file);
    // A file of a type hotloop does not compile is an asset already (its URL), which is what
    // `assetsInclude` asks for the `.gltf`s and `.glb`s it usually names; only a type hotloop
    // compiles (a script, a stylesheet, JSON, HTML) stays compiled.
    if !config.assets_include.is_empty() {
        tracing::warn!(
            "{file}: assetsInclude: files of a type hotloop does not compile are assets (their \
             URL) already; one it compiles (scripts, CSS, JSON, HTML) stays compiled"
        );
    }
    for name in &config.unsupported {
        if NOT_FOR_THE_DEV_SERVER
            .iter()
            .any(|key| name == key || name.starts_with(&format!("{key}.")))
        {
            tracing::debug!("{file}: {name} is not for a dev server (Vite's does not read it)");
        } else if name.starts_with("optimizeDeps.") {
            // Vite's pre-bundling of npm packages: hotloop compiles each module of a package
            // on its own, so most of it has nothing to act on (its defines are honoured).
            tracing::warn!(
                "{file}: {name} is not honoured by hotloop, which does not pre-bundle npm \
                 packages (it compiles their modules one by one; optimizeDeps' `define` applies \
                 to them)"
            );
        } else {
            tracing::warn!("{file}: {name} is not honoured by hotloop");
        }
    }
    if let Some(middlewares) = &config.middlewares {
        for (phase, list) in [("pre", &middlewares.pre), ("post", &middlewares.post)] {
            for m in list {
                tracing::debug!(
                    "[plugin {}] server.middlewares handler ({phase}) for {}",
                    m.plugin,
                    if m.route.is_empty() {
                        "every path"
                    } else {
                        &m.route
                    }
                );
            }
        }
    }
}

/// The config's `resolve.conditions` (the client environment's, after the plugins'
/// `configEnvironment` hooks), `resolve.extensions` and `resolve.dedupe` as the engine's
/// resolvers take them; an extension without its dot is left out, with a warning.
pub fn resolve_settings(config: &ResolvedConfig, file: &str) -> engine::ResolveSettings {
    let extensions = config.resolve.extensions.as_ref().map(|list| {
        list.iter()
            .filter(|e| {
                let dotted = e.starts_with('.') && e.len() > 1;
                if !dotted {
                    tracing::warn!(
                        "{file}: resolve.extensions '{e}' does not start with a dot; no file is \
                         found by it (in Vite neither): write '.{e}'"
                    );
                }
                dotted
            })
            .cloned()
            .collect()
    });
    engine::ResolveSettings {
        conditions: config.resolve.conditions.as_ref().map(|c| c.clone().into()),
        extensions,
        dedupe: config.resolve.dedupe.clone().into(),
    }
}

/// The config's `json` (`stringify: true | false | 'auto'`, `namedExports`); anything else in
/// it is named in a warning and left at Vite's default.
/// The engine's JSX for what the config's `oxc.jsx`/`esbuild` set (`JsxConfig`): the classic
/// runtime with its factories (React's by default), or the automatic one from its package.
pub fn jsx_override(jsx: &hotloop_plugin_host::JsxConfig) -> engine::Jsx {
    if jsx.classic {
        return engine::Jsx::Classic {
            factory: jsx
                .factory
                .as_deref()
                .unwrap_or("React.createElement")
                .into(),
            fragment_factory: jsx.fragment.as_deref().unwrap_or("React.Fragment").into(),
        };
    }
    engine::Jsx::Automatic {
        import_source: jsx.import_source.as_deref().unwrap_or("react").into(),
    }
}

pub fn json_options(json: Option<&serde_json::Value>, file: &str) -> engine::JsonOptions {
    use serde_json::Value;
    let mut options = engine::JsonOptions::default();
    let Some(json) = json else {
        return options;
    };
    let Some(json) = json.as_object() else {
        tracing::warn!("{file}: json must be an object; hotloop uses Vite's defaults");
        return options;
    };
    for (key, value) in json {
        match (key.as_str(), value) {
            ("stringify", Value::Bool(true)) => options.stringify = engine::JsonStringify::Always,
            ("stringify", Value::Bool(false)) => options.stringify = engine::JsonStringify::Never,
            ("stringify", Value::String(auto)) if auto == "auto" => {
                options.stringify = engine::JsonStringify::Auto
            }
            ("namedExports", Value::Bool(named)) => options.named_exports = *named,
            (_, Value::Null) => {}
            (key, value) => tracing::warn!(
                "{file}: json.{key} {value} is not honoured by hotloop (it knows \
                 stringify: true | false | 'auto' and namedExports: true | false)"
            ),
        }
    }
    options
}

/// The config's `css.modules` (`false`, or postcss-modules' options: `generateScopedName` as a
/// string, `localsConvention`, `globalModulePaths`, `scopeBehaviour: 'local'`); anything else
/// in it (a function, `scopeBehaviour: 'global'`, `hashPrefix`, `exportGlobals`, `getJSON`) is
/// named in a warning and left at hotloop's default.
pub fn css_modules_options(
    modules: Option<&serde_json::Value>,
    file: &str,
) -> engine::CssModulesOptions {
    use engine::LocalsConvention;
    use serde_json::Value;
    let mut options = engine::CssModulesOptions::default();
    let is_function = |v: &Value| v.get("$function").is_some();
    match modules {
        None | Some(Value::Null) => return options,
        Some(Value::Bool(false)) => {
            options.enabled = false;
            return options;
        }
        Some(Value::Object(_)) => {}
        Some(other) => {
            tracing::warn!(
                "{file}: css.modules {other} is neither false nor an object; hotloop uses its \
                 defaults"
            );
            return options;
        }
    }
    let Some(Value::Object(modules)) = modules else {
        return options;
    };
    let not_honoured = |key: &str, what: &str| {
        tracing::warn!("{file}: css.modules.{key} {what} is not honoured by hotloop");
    };
    for (key, value) in modules {
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("generateScopedName", Value::String(name)) => {
                match engine::scoped_name_pattern(name) {
                    Ok(pattern) => options.pattern = Some(pattern),
                    Err(e) => tracing::warn!(
                        "{file}: css.modules.generateScopedName {e}; hotloop scopes names its \
                         own way"
                    ),
                }
            }
            ("localsConvention", Value::String(convention)) => {
                options.locals_convention = match convention.as_str() {
                    "camelCase" => LocalsConvention::CamelCase,
                    "camelCaseOnly" => LocalsConvention::CamelCaseOnly,
                    "dashes" => LocalsConvention::Dashes,
                    "dashesOnly" => LocalsConvention::DashesOnly,
                    other => {
                        not_honoured(key, &format!("'{other}'"));
                        LocalsConvention::AsWritten
                    }
                }
            }
            ("globalModulePaths", Value::Array(patterns)) => {
                let mut paths = Vec::new();
                for pattern in patterns {
                    let source = pattern.get("source").and_then(Value::as_str);
                    let flags = pattern.get("flags").and_then(Value::as_str).unwrap_or("");
                    let translated = source.map(|source| {
                        if flags.contains('i') {
                            format!("(?i){source}")
                        } else {
                            source.to_string()
                        }
                    });
                    match translated {
                        Some(regex) if regex_compiles(&regex) => paths.push(regex),
                        _ => not_honoured(key, &format!("entry {pattern}")),
                    }
                }
                options.global_module_paths = paths.into();
            }
            ("scopeBehaviour", Value::String(scope)) if scope == "local" => {}
            ("exportGlobals", Value::Bool(false)) => {}
            (_, v) if is_function(v) => not_honoured(
                key,
                "as a function (hotloop cannot call it; a string pattern works for \
                 generateScopedName)",
            ),
            (key, value) => not_honoured(key, &value.to_string()),
        }
    }
    options
}

fn regex_compiles(pattern: &str) -> bool {
    // The engine compiles aliases with the `regex` crate; the binary only checks.
    engine::alias_pattern_compiles(pattern)
}

/// Where the plugins' `server.middlewares` handlers run, for the dev server (asked per
/// request: a restarted host listens on another port; a reloaded config may add or drop
/// handlers).
pub fn middlewares(config: &ViteConfig) -> hotloop_server::MiddlewareSource {
    let host = Arc::downgrade(&config.host);
    hotloop_server::MiddlewareSource::new(move || host.upgrade()?.middlewares())
}

/// What answers the page's `/@id/<id>` requests (a module a plugin makes the page fetch at
/// run time: the plugins' `resolveId`, `load` and `transform`), for the dev server.
pub fn module_by_id(config: &ViteConfig, root: &Path) -> hotloop_server::ModuleByIdSource {
    let host = Arc::downgrade(&config.host);
    let root = root.to_path_buf();
    hotloop_server::ModuleByIdSource::new(move |id| {
        let found = host.upgrade()?.module_by_id(&root, id)?;
        Some(hotloop_server::ModuleById {
            content_type: found.content_type,
            body: found.code,
            file: found.file,
            compiled_file: found.compiled_file,
        })
    })
}

/// The app's server entry the config names (`hotloop: { server: 'src/server.ts' }`, hotloop's
/// own key), canonical; `Ok(None)` when it names none. A file that is not there is an error
/// that names the config, the path and what to do.
pub fn server_entry(config: &ResolvedConfig, root: &Path) -> anyhow::Result<Option<PathBuf>> {
    let Some(entry) = &config.hotloop_server else {
        return Ok(None);
    };
    let path = root.join(entry);
    std::fs::canonicalize(&path)
        .ok()
        .filter(|p| p.is_file())
        .map(Some)
        .with_context(|| {
            format!(
                "vite.config: hotloop.server is '{entry}', but there is no file {}: fix the path \
                 (relative to the project root) or pass --server FILE",
                path.display()
            )
        })
}

/// A Vite `server.fs.deny` glob as the server's deny patterns (a path segment each, `*`
/// wildcard, `name/` a directory): a name (`.env.*`), braces expanded (`*.{crt,pem}`), a
/// directory anywhere (`**/.git/**`). `None` for a glob that names a path (`src/secret.ts`),
/// which the server's list cannot say. hotloop's own list stays (the config's adds to it).
fn deny_segments(glob: &str) -> Option<Vec<String>> {
    let glob = glob.trim();
    let (body, dir) = match glob.strip_prefix("**/") {
        Some(rest) => match rest.strip_suffix("/**") {
            Some(name) => (name, true),
            None => (rest, false),
        },
        None => (glob, false),
    };
    if body.is_empty() || body.contains(['/', '?', '[', '!']) || body.contains("**") {
        return None;
    }
    let names = match (body.find('{'), body.find('}')) {
        (Some(open), Some(close)) if open < close && !body[close + 1..].contains(['{', '}']) => {
            body[open + 1..close]
                .split(',')
                .map(|alt| format!("{}{alt}{}", &body[..open], &body[close + 1..]))
                .collect()
        }
        (None, None) => vec![body.to_string()],
        _ => return None,
    };
    Some(
        names
            .into_iter()
            .map(|name| if dir { format!("{name}/") } else { name })
            .collect(),
    )
}

/// The plugins as the engine takes them.
pub fn plugins(config: &ViteConfig) -> Arc<dyn Plugins> {
    config.host.clone()
}

#[cfg(test)]
mod tests {
    /// A config error the host placed reads as a compile error of the file: the engine's
    /// overlay takes its place from the start and its frame from the lines below.
    #[test]
    fn a_placed_config_error_reads_as_the_files_compile_error() {
        use hotloop_plugin_host::HostError;
        use hotloop_protocol::plugin::PluginError;
        let placed = PluginError {
            plugin: String::new(),
            hook: "config".into(),
            id: Some("/p/vite.config.ts".into()),
            message: "x is not defined".into(),
            loc: Some((5, 24)),
            frame: Some("5 | x()\n  | ^".into()),
        };
        assert_eq!(
            super::config_failure(HostError::Config(placed.clone())).to_string(),
            "/p/vite.config.ts:5:24: x is not defined\n5 | x()\n  | ^"
        );
        // Unplaced (or a plugin's), it says what the host said.
        let unplaced = PluginError {
            loc: None,
            ..placed
        };
        assert_eq!(
            super::config_failure(HostError::Config(unplaced.clone())).to_string(),
            unplaced.to_string()
        );
    }

    /// A CSS tool of a project without a config: listed by its `package.json` or a workspace
    /// root's above it, or a preprocessor installed there though no `package.json` lists it
    /// (a hoisted copy); PostCSS only when listed (every `vite` installs it).
    #[test]
    fn a_css_tool_is_found_listed_above_the_root_or_installed_where_node_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().canonicalize().unwrap();
        let app = repo.join("apps/web");
        std::fs::create_dir_all(&app).unwrap();
        std::fs::write(
            app.join("package.json"),
            r#"{"devDependencies":{"vite":"*"}}"#,
        )
        .unwrap();
        let write_pkg = |at: &std::path::Path| {
            std::fs::create_dir_all(at).unwrap();
            std::fs::write(at.join("package.json"), "{}").unwrap();
        };
        write_pkg(&repo.join("node_modules/postcss"));
        assert_eq!(
            super::listed_css_tool(&app),
            None,
            "postcss installed, not listed"
        );
        write_pkg(&repo.join("node_modules/less"));
        assert_eq!(
            super::listed_css_tool(&app),
            Some(("less", repo.join("node_modules/less/package.json")))
        );
        std::fs::write(
            repo.join("package.json"),
            r#"{"devDependencies":{"sass":"*"}}"#,
        )
        .unwrap();
        assert_eq!(
            super::listed_css_tool(&app),
            Some(("sass", repo.join("package.json")))
        );
        // Vite hoisted to the workspace root is found too.
        assert_eq!(super::css_tools_without_config(&app), None, "no vite yet");
        write_pkg(&repo.join("node_modules/vite"));
        assert_eq!(
            super::css_tools_without_config(&app).as_deref(),
            Some(format!("{} (`sass`)", repo.join("package.json").display()).as_str())
        );
    }

    /// Vite 8 reads a CommonJS default as Node does, unless the config says
    /// `legacy.inconsistentCjsInterop`; Vite 7 and no Vite do not.
    #[test]
    fn node_cjs_interop_comes_with_the_installed_vite_8() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().canonicalize().unwrap();
        let app = repo.join("apps/web");
        std::fs::create_dir_all(&app).unwrap();
        assert!(!super::node_cjs_interop(&app, false), "no vite");
        let vite = repo.join("node_modules/vite");
        std::fs::create_dir_all(&vite).unwrap();
        let version = |v: &str| {
            std::fs::write(vite.join("package.json"), format!(r#"{{"version":"{v}"}}"#)).unwrap()
        };
        version("7.3.1");
        assert!(!super::node_cjs_interop(&app, false));
        version("8.4.1");
        assert!(
            super::node_cjs_interop(&app, false),
            "hoisted to the workspace"
        );
        assert!(
            !super::node_cjs_interop(&app, true),
            "legacy.inconsistentCjsInterop"
        );
    }

    /// The config's `server.port`, `server.host` and `base` win over the flags' defaults, not
    /// over the flags given: `--port 5173` is 5173 though it is the default.
    #[test]
    fn flags_given_win_over_the_config_and_their_defaults_do_not() {
        use super::ResolvedConfig;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let config: ResolvedConfig = serde_json::from_value(serde_json::json!({
            "root": root, "base": "/app/", "publicDir": null, "mode": "development",
            "envDir": root, "envPrefix": ["VITE_"], "define": {},
            "resolve": { "alias": [], "conditions": null, "extensions": null, "dedupe": [] },
            "server": { "port": 3000, "host": "0.0.0.0", "strictPort": null, "open": null,
                "proxy": null, "allowedHosts": null, "cors": null, "fs": { "allow": [], "deny": [] } },
            "cssModules": null, "json": null, "assetsInclude": [], "plugins": [],
            "unsupported": [], "middlewares": null, "packageVersions": {}
        }))
        .unwrap();
        let served = |argv: &[&str]| {
            let argv = std::iter::once("hotloop").chain(argv.iter().copied());
            let mut serve = match crate::cli::Cli::parse_from_args(argv)
                .unwrap()
                .into_command()
            {
                crate::cli::Command::Dev(args) => args.serve,
                crate::cli::Command::Demo(args) => args.serve,
                command => panic!("{command:?}"),
            };
            let mut options = engine::ProjectOptions::default();
            super::apply(&config, &root, &root, &mut options, &mut serve);
            (serve.port, serve.host.to_string(), serve.base)
        };
        let config_says = (3000, "0.0.0.0".to_string(), "/app/".to_string());
        assert_eq!(served(&[]), config_says);
        assert_eq!(served(&["dev"]), config_says);
        let flags_say = (5173, "127.0.0.1".to_string(), "/".to_string());
        let flags = ["--port", "5173", "--host", "127.0.0.1", "--base", "/"];
        assert_eq!(served(&flags), flags_say);
        assert_eq!(served(&[&["dev"][..], &flags].concat()), flags_say);
        assert_eq!(served(&[&["demo"][..], &flags].concat()), flags_say);
    }

    /// `server.headers` as the host reports them (a string, a number, or a list of them):
    /// each one header line for the server to add.
    #[test]
    fn the_configs_headers_reach_the_server() {
        use super::ResolvedConfig;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let config: ResolvedConfig = serde_json::from_value(serde_json::json!({
            "root": root, "base": "/", "publicDir": null, "mode": "development",
            "envDir": root, "envPrefix": ["VITE_"], "define": {},
            "resolve": { "alias": [], "conditions": null, "extensions": null, "dedupe": [] },
            "server": { "port": null, "host": null, "strictPort": null, "open": null,
                "proxy": null, "allowedHosts": null, "cors": null, "fs": { "allow": [], "deny": [] },
                "headers": { "Cross-Origin-Opener-Policy": "same-origin", "X-Max-Age": 60,
                    "Vary": ["Origin", "Accept"] } },
            "cssModules": null, "json": null, "assetsInclude": [], "plugins": [],
            "unsupported": [], "middlewares": null, "packageVersions": {}
        }))
        .unwrap();
        let mut serve = match crate::cli::Cli::parse_from_args(["hotloop"])
            .unwrap()
            .into_command()
        {
            crate::cli::Command::Dev(args) => args.serve,
            command => panic!("{command:?}"),
        };
        super::apply(
            &config,
            &root,
            &root,
            &mut engine::ProjectOptions::default(),
            &mut serve,
        );
        let mut headers = serve.headers.clone();
        headers.sort();
        assert_eq!(
            headers,
            [
                (
                    "Cross-Origin-Opener-Policy".to_string(),
                    "same-origin".to_string()
                ),
                ("Vary".to_string(), "Origin, Accept".to_string()),
                ("X-Max-Age".to_string(), "60".to_string()),
            ]
        );
    }

    use super::crash_message;

    #[test]
    fn the_server_entry_comes_from_hotloop_server_and_a_missing_one_is_named() {
        use super::{ResolvedConfig, server_entry};
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join("src/server.ts"), "export default {}").unwrap();
        let mut config: ResolvedConfig = serde_json::from_value(serde_json::json!({
            "root": root, "base": "/", "publicDir": null, "mode": "development",
            "envDir": root, "envPrefix": ["VITE_"], "define": {},
            "resolve": { "alias": [], "conditions": null, "extensions": null, "dedupe": [] },
            "server": { "port": null, "host": null, "strictPort": null, "open": null,
                "proxy": null, "allowedHosts": null, "cors": null, "fs": { "allow": [], "deny": [] } },
            "cssModules": null, "json": null, "assetsInclude": [], "plugins": [],
            "unsupported": [], "middlewares": null, "packageVersions": {}
        }))
        .unwrap();
        assert_eq!(
            server_entry(&config, &root).unwrap(),
            None,
            "no key, no entry"
        );
        config.hotloop_server = Some("src/server.ts".into());
        assert_eq!(
            server_entry(&config, &root).unwrap(),
            Some(root.join("src/server.ts"))
        );

        // `--server` wins over the config.
        let mut options = engine::ProjectOptions {
            server_entry: Some(root.join("other.ts")),
            ..engine::ProjectOptions::default()
        };
        use clap::Parser as _;
        let mut serve = crate::cli::Cli::parse_from(["hotloop"]).dev.serve;
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(options.server_entry, Some(root.join("other.ts")));
        let mut options = engine::ProjectOptions::default();
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(options.server_entry, Some(root.join("src/server.ts")));

        // `envDir`: the root's own is no option; another is where the `.env` files are read.
        assert_eq!(options.env_dir, None);
        std::fs::create_dir(root.join("env")).unwrap();
        config.env_dir = root.join("env").display().to_string();
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(options.env_dir, Some(root.join("env")));

        // `server.strictPort: true`: a taken port is an error, as `--strict-port` makes it.
        assert!(!serve.strict_port);
        config.server.strict_port = Some(true);
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert!(serve.strict_port);

        // `appType`: a multi-page app's server answers a path no page is at with a 404; a value
        // Vite does not know leaves it as it was.
        assert_eq!(serve.app_type, hotloop_server::AppType::Spa);
        config.app_type = Some("mpa".into());
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(
            crate::dev::server_config_for_test(&root, &serve).app_type,
            hotloop_server::AppType::Mpa
        );
        config.app_type = Some("multi".into());
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(serve.app_type, hotloop_server::AppType::Mpa);

        // `publicDir`: another directory, or none.
        std::fs::create_dir(root.join("static")).unwrap();
        config.public_dir = Some(root.join("static").display().to_string());
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(
            options.public_dir,
            engine::PublicDir::At(root.join("static"))
        );
        let server = crate::dev::server_config_for_test(&root, &serve);
        assert_eq!(server.public_dir, Some(root.join("static")));
        config.public_dir = None;
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(options.public_dir, engine::PublicDir::Off);
        assert_eq!(
            crate::dev::server_config_for_test(&root, &serve).public_dir,
            None
        );

        // `server.fs.deny`: names the server refuses besides its own list; a path is not one.
        config.server.fs.deny = vec!["*.{crt,pem}".into(), "src/secret.ts".into()];
        super::apply(&config, &root, &root, &mut options, &mut serve);
        assert_eq!(serve.fs_deny, ["*.crt", "*.pem"]);
        let server = crate::dev::server_config_for_test(&root, &serve);
        assert!(
            server.fs_deny.iter().any(|p| p == ".env*"),
            "the own list stays"
        );
        assert!(server.fs_deny.iter().any(|p| p == "*.pem"));

        config.hotloop_server = Some("src/missing.ts".into());
        let error = format!("{:#}", server_entry(&config, &root).unwrap_err());
        assert!(
            error.contains("hotloop.server is 'src/missing.ts'")
                && error.contains(&root.join("src/missing.ts").display().to_string())
                && error.contains("--server"),
            "{error}"
        );
    }

    #[test]
    fn vite_fs_deny_globs_become_the_servers_name_patterns() {
        use super::deny_segments;
        let v = |globs: &[&str]| globs.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        assert_eq!(deny_segments(".env"), Some(v(&[".env"])));
        assert_eq!(deny_segments(".env.*"), Some(v(&[".env.*"])));
        assert_eq!(deny_segments("*.{crt,pem}"), Some(v(&["*.crt", "*.pem"])));
        assert_eq!(deny_segments("**/.git/**"), Some(v(&[".git/"])));
        assert_eq!(deny_segments("**/*.secret"), Some(v(&["*.secret"])));
        for path in [
            "src/secret.ts",
            "**/a/b/**",
            "file?.txt",
            "[ab].txt",
            "",
            "{a,b}{c,d}",
        ] {
            assert_eq!(deny_segments(path), None, "{path}");
        }
    }

    #[test]
    fn a_crash_says_how_the_host_ended_and_shows_its_last_lines_as_context() {
        use std::os::unix::process::ExitStatusExt;
        use std::process::ExitStatus;
        let killed = crash_message("\n", Some(ExitStatus::from_raw(9)));
        assert_eq!(
            killed,
            "the plugin host (Node.js) was killed by signal 9 (SIGKILL: killed from outside, or \
             out of memory); it restarts with the next module that needs a plugin (it wrote \
             nothing to stderr)"
        );
        let exited = crash_message(
            "[flaky] config resolved\n",
            Some(ExitStatus::from_raw(3 << 8)),
        );
        assert_eq!(
            exited,
            "the plugin host (Node.js) exited with code 3; it restarts with the next module \
             that needs a plugin. The last lines it wrote to stderr, which need not say why:\n  \
             [flaky] config resolved"
        );
        let unknown = crash_message("TypeError: x is not a function\n    at plugin.js:3\n", None);
        assert!(
            unknown.starts_with("the plugin host (Node.js) exited; "),
            "{unknown}"
        );
        assert!(
            unknown.ends_with(":\n  TypeError: x is not a function\n      at plugin.js:3"),
            "{unknown}"
        );
    }

    #[test]
    fn a_configs_jsx_as_the_engine_takes_it() {
        use hotloop_plugin_host::JsxConfig;
        assert_eq!(
            super::jsx_override(&JsxConfig {
                import_source: Some("@emotion/react".into()),
                ..Default::default()
            }),
            engine::Jsx::Automatic {
                import_source: "@emotion/react".into()
            }
        );
        assert_eq!(
            super::jsx_override(&JsxConfig {
                classic: true,
                ..Default::default()
            }),
            engine::Jsx::Classic {
                factory: "React.createElement".into(),
                fragment_factory: "React.Fragment".into()
            }
        );
    }

    #[test]
    fn json_options_as_vite_reads_them() {
        use engine::{JsonOptions, JsonStringify};
        let read = |v: serde_json::Value| super::json_options(Some(&v), "vite.config.ts");
        assert_eq!(super::json_options(None, "f"), JsonOptions::default());
        assert_eq!(
            read(serde_json::json!({"stringify": true, "namedExports": false})),
            JsonOptions {
                stringify: JsonStringify::Always,
                named_exports: false
            }
        );
        assert_eq!(
            read(serde_json::json!({"stringify": false})).stringify,
            JsonStringify::Never
        );
        assert_eq!(
            read(serde_json::json!({"stringify": "auto", "other": 1})),
            JsonOptions::default()
        );
    }

    #[test]
    fn css_modules_options_as_vite_reads_them() {
        use engine::{CssModulesOptions, LocalsConvention};
        let read = |v: serde_json::Value| super::css_modules_options(Some(&v), "vite.config.ts");
        assert_eq!(
            super::css_modules_options(None, "f"),
            CssModulesOptions::default()
        );
        assert!(!read(serde_json::json!(false)).enabled);
        let options = read(serde_json::json!({
            "generateScopedName": "[name]__[local]___[hash:base64:5]",
            "localsConvention": "camelCaseOnly",
            "globalModulePaths": [{"source": "vendor\\/", "flags": "i"}, {"source": "(?<=x)", "flags": ""}],
            "scopeBehaviour": "local",
            "getJSON": {"$function": true},
        }));
        assert_eq!(
            options,
            CssModulesOptions {
                enabled: true,
                pattern: Some("[name]__[local]___[hash]".into()),
                locals_convention: LocalsConvention::CamelCaseOnly,
                global_module_paths: ["(?i)vendor\\/".to_string()].into(),
            }
        );
        let kept = read(serde_json::json!({"generateScopedName": "[path]-[local]"}));
        assert_eq!(kept.pattern, None);
    }
}
