//! `hotloop dev`: the wiring. Starts the watcher, runs the cold build, binds the server, spawns
//! the engine thread and then runs the foreground: the dashboard on a terminal, plain log lines
//! otherwise. Nothing here decides anything; the engine and the server do.

use std::io::{IsTerminal, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use crossbeam_channel::{Receiver, Sender};
use engine::CompileCache;
use engine::EngineHost;
use engine::ProjectOptions;
use engine::watcher::{WatchConfig, spawn_watcher};
use engine::{Control, DevLoop, EngineChannels, FirstRender, FirstRenderWait, Publishers};
use engine::{EngineEvent, ReadyReport};
use hotloop_server::{self as server, RuntimeScript, ServerConfig};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::{DevArgs, LogFormat, ServeArgs};
use crate::dashboard::{self, LogLayer};
use crate::headless::{self, HeadlessOptions};
use crate::{app_server, vite_config};

/// Telemetry is bounded: a reader that falls behind loses events, the engine never waits.
const TELEMETRY_CAPACITY: usize = 4096;
/// Update frames buffered per client before it counts as lagging (and is told to reload).
const UPDATE_QUEUE: usize = 256;
/// swc's parser recurses; deeply nested input needs a big stack on the engine thread.
const ENGINE_STACK: usize = engine::ENGINE_STACK;

pub fn run_dev(args: DevArgs) -> anyhow::Result<()> {
    run_dev_with_hint(args, None)
}

/// [`run_dev`], with what to try first shown on the dashboard until the first update
/// (`hotloop demo`'s file to edit).
pub fn run_dev_with_hint(args: DevArgs, hint: Option<String>) -> anyhow::Result<()> {
    let root = std::fs::canonicalize(&args.root).with_context(|| {
        format!(
            "project root {} does not exist: pass the directory that holds index.html \
             (or a command: dev, demo, profile; see hotloop --help)",
            args.root.display()
        )
    })?;
    anyhow::ensure!(
        root.is_dir(),
        "project root {} is not a directory: pass the directory that holds index.html",
        root.display()
    );
    let mut args = args;
    // Vite's `--force`: nothing from the last session.
    args.serve.no_cache |= args.force;
    let mut serve_args = args.serve.clone();
    let serve = &args.serve;
    let use_tui = !serve.no_tui && std::io::stdout().is_terminal();
    let (telemetry_tx, telemetry_rx) = crossbeam_channel::bounded(TELEMETRY_CAPACITY);
    init_logging(
        serve.verbose,
        serve.log_format,
        use_tui.then(|| telemetry_tx.clone()),
    );

    // The watcher starts before the first scan, so nothing written in between is missed.
    let watcher = spawn_watcher(&root, WatchConfig::default())
        .with_context(|| format!("failed to watch {}", root.display()))?;

    let started = Instant::now();
    // The project's vite.config and its plugins (Node.js starts only when there is one).
    let mut vite = match vite_config::find(&root, serve.config.as_deref())? {
        Some(path) => Some(vite_config::load(&root, &path, serve)?),
        None => match vite_config::css_tools_without_config(&root) {
            Some(needed_by) => Some(vite_config::load_without_config(&root, &needed_by, serve)?),
            None => None,
        },
    };
    // Vite's `root`: the config (in the directory given) may name the app's directory below
    // it, the project root from here on. The watcher, on the directory given, sees it; that
    // directory stays servable, as Vite's workspace root is.
    let config_dir = root.clone();
    let root = match &vite {
        Some(vite) => vite_config::project_root(&vite.config, &config_dir),
        None => config_dir.clone(),
    };
    if root != config_dir {
        serve_args.fs_allow.push(config_dir.clone());
    }
    let mut options = ProjectOptions::default();
    if !serve.env_prefixes.is_empty() {
        options.env_prefixes = serve.env_prefixes.clone();
    }
    options.mode = serve.mode.clone();
    options.base = serve.base.clone();
    if let Some(entry) = &serve.server {
        let path = root.join(entry);
        let entry = std::fs::canonicalize(&path)
            .ok()
            .filter(|p| p.is_file())
            .with_context(|| {
                format!(
                    "--server {}: no such file ({}); pass the app's server entry relative to \
                     the project root, e.g. --server src/server.ts",
                    entry.display(),
                    path.display()
                )
            })?;
        options.server_entry = Some(entry);
    }
    // The page names the client scripts by their version: a reload takes them from the cache.
    options.client_version = Some(RuntimeScript::served().client_version());
    // Vite 8's CommonJS interop when it is the project's Vite (its config may say otherwise).
    options.node_cjs_interop = vite_config::node_cjs_interop(&root, false);
    let cli_options = options.clone();
    let cli_serve = serve_args.clone();
    if let Some(vite) = &vite {
        if options.server_entry.is_none() {
            // A config that names a server entry that is not there stops here.
            options.server_entry = vite_config::server_entry(&vite.config, &root)?;
        }
        vite_config::apply(
            &vite.config,
            &root,
            &config_dir,
            &mut options,
            &mut serve_args,
        );
        vite.resolver.configure(&options.resolve);
    }
    // Vite's default `server.fs.allow`, its workspace root: where a workspace's package manager
    // installs above the root, whose hoisted packages' fonts and images (named by their CSS)
    // are served by their absolute path.
    if let Some(workspace) = engine::watcher::install_root(&root)
        && !serve_args
            .fs_allow
            .iter()
            .any(|dir| workspace.starts_with(dir))
    {
        serve_args.fs_allow.push(workspace);
    }
    let serve = &serve_args;
    let options_server_entry = options.server_entry.clone();
    let mut host = EngineHost::new(&root, options.with_process_env())
        .with_context(|| format!("failed to load the project at {}", root.display()))?;
    let (control_tx, control_rx) = crossbeam_channel::unbounded();
    if let Some(vite) = &mut vite {
        vite_config::report_events(&vite.host, control_tx.clone());
        vite_config::follow_ahead(vite, &config_dir, control_tx.clone());
        host.use_plugins(vite_config::plugins(vite));
        if vite.path.is_file() {
            // A local module of the config outside the watched directory (a monorepo's shared
            // `vite.base.ts`) is watched where it is.
            let roots = watcher.extra_roots();
            let outside = vite.files.iter().filter(|f| !f.starts_with(&config_dir));
            for dir in outside.filter_map(|f| f.parent()) {
                let _ = roots.send(dir.to_path_buf());
            }
            host.watch_vite_config(
                vite.path.clone(),
                vite.files.clone(),
                vite_config::reloader(&root, &config_dir, vite, cli_options, cli_serve),
            );
        }
    }
    if !serve.no_cache
        && let Some(cache) = CompileCache::for_project(&root)
    {
        host.use_compile_cache(cache);
    }
    let server_id: Arc<str> = Arc::from(new_server_id());
    // The page is answered while the cold build runs: the page of the last session whole when
    // it can be used, else the browser navigates and loads the runtime meanwhile, and its
    // chunk request waits for the build. The server binds first, with the page alone (a
    // request streams it up to the chunk's tag, the rest once the record is read: reading it
    // and checking its files took 20–40 ms at 10k modules, and more while a browser started).
    let (served_tx, served_rx) = tokio::sync::watch::channel(Arc::new(host.building(&server_id)));
    let (updates_tx, _) = tokio::sync::broadcast::channel(UPDATE_QUEUE);
    let (clients_tx, clients_rx) = crossbeam_channel::unbounded();
    let clients_tx_for_server = clients_tx.clone();

    // `--server`: the app's server process, on a port of its own for the session.
    let app_server = match &options_server_entry {
        Some(entry) => Some(app_server::start(&root, entry, vite_config::node(serve))?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hotloop-server")
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let mut config = server_config(&root, serve);
    config.app_server = app_server.as_ref().map(|server| server.port());
    let app_server_stopped = config.app_server_stopped.clone();
    config.middlewares = vite.as_ref().map(vite_config::middlewares);
    config.module_by_id = vite
        .as_ref()
        .map(|vite| vite_config::module_by_id(vite, &root));
    config.tls = tls(serve, vite.as_ref().map(|vite| vite.path.as_path()))?;
    let bound = runtime
        .block_on(server::bind(config))
        .map_err(|error| bind_error(error, serve))?;
    // Another port than asked for: said once, as a line of the log (the dashboard's log pane),
    // not as a log record.
    if let Some(message) = port_fallback(serve.port, bound.local_addr().port()) {
        let _ = telemetry_tx.try_send(EngineEvent::Log {
            level: tracing::Level::WARN,
            message,
            plugins: false,
        });
    }
    for warning in exposure_warnings(&root, serve, bound.local_addr()) {
        tracing::warn!("{warning}");
    }
    let addr = bound.local_addr();
    // The plugins' `server.httpServer` listens with it.
    if let Some(vite) = &vite {
        vite.host.listening(addr.port(), bound.scheme() == "https");
    }
    // Bound to every interface: the URL that opens on this machine.
    let local = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    };
    let url = format!("{}://{local}{}", bound.scheme(), serve.base);
    if !use_tui {
        // The cold build of a large project takes seconds: say what is happening.
        let _ = writeln!(
            std::io::stderr(),
            "hotloop: building {}; {url} is served and shows the page once every module is \
             compiled",
            root.display()
        );
    }
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(
        bound.run(served_rx, updates_tx.clone(), clients_tx, async move {
            let _ = shutdown_rx.await;
        }),
    );

    // The record is read on a thread of its own: its copy of the page is freed by the engine
    // once the build confirms it, and mimalloc gives back memory freed into an exited thread's
    // heap, where the main thread's (which allocates next to nothing for the rest of the
    // session) would stay resident.
    let last_page = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("hotloop-last-page".into())
            .spawn_scoped(scope, || host.last_session_page(&server_id))
            .ok()
            .and_then(|reader| reader.join().ok())
            .flatten()
    });
    // The cold build then waits for that page to render first (it only confirms the page;
    // `engine::wait_for_first_render`), unless the page comes from the app's server, which
    // needs the build to start.
    let wait_for_render = last_page.is_some() && options_server_entry.is_none();
    if let Some(page) = last_page {
        let _ = served_tx.send(Arc::new(page));
    }
    let outputs = Publishers {
        served: served_tx,
        updates: updates_tx,
        telemetry: telemetry_tx.clone(),
        server: None,
    };
    let mut outputs = outputs;
    // Joined at the end: the bridge drops the app's server (its process killed and reaped, its
    // temp dir removed) once the engine's outputs close.
    let mut bridge = None;
    if let Some(server) = app_server {
        let (server_tx, server_rx) = crossbeam_channel::unbounded();
        outputs.server = Some(server_tx);
        let clients = clients_tx_for_server.clone();
        let control = control_tx.clone();
        let telemetry = telemetry_tx.clone();
        bridge = Some(
            std::thread::Builder::new()
                .name("hotloop-app-server".into())
                .spawn(move || {
                    let stopped = app_server_stopped;
                    app_server::bridge(server, server_rx, clients, control, telemetry, stopped)
                })
                .context("failed to start the app server's thread")?,
        );
    }
    let watcher_rx = watcher.receiver();
    let extra_roots = watcher.extra_roots();
    let ready = {
        let telemetry = telemetry_tx.clone();
        let url = url.clone();
        let root = root.display().to_string();
        move |graph, cold_start, from_cache, last_page, first_render| {
            let _ = telemetry.send(EngineEvent::Ready(Box::new(ReadyReport {
                url,
                root,
                graph,
                cold_start,
                from_cache,
                last_page,
                first_render,
            })));
        }
    };
    drop(telemetry_tx);
    let engine = std::thread::Builder::new()
        .name("hotloop-engine".into())
        .stack_size(ENGINE_STACK)
        .spawn(move || {
            // ENGINE_STACK is at least the compile stack: swc runs in place on this thread.
            engine::assume_big_stack();
            let channels = EngineChannels {
                watcher: watcher_rx,
                clients: clients_rx,
                control: control_rx,
            };
            let first_render = if wait_for_render {
                engine::wait_for_first_render(&channels, FirstRenderWait::default())
            } else {
                FirstRender::default()
            };
            crate::alloc_stats::purge_later();
            let (mut devloop, stats) = DevLoop::start(host, server_id, outputs);
            devloop.set_allocator_probe(crate::alloc_stats::mimalloc_stats);
            devloop.set_memory_release(crate::alloc_stats::release_free_memory);
            devloop.watch_outside_sources(extra_roots);
            ready(
                stats,
                // The build's own time: not the wait for the first render before it.
                started.elapsed().saturating_sub(first_render.waited),
                devloop.compile_cache_stats().hits,
                devloop.last_page().clone(),
                first_render.rendered_after,
            );
            // From here a stop is heard between two updates, and ends in order.
            ENGINE_STARTED.store(true, std::sync::atomic::Ordering::SeqCst);
            // After the ready line: what a page's render starts (the lazy chunks' warm-up)
            // is no part of the build.
            devloop.replay(first_render.events);
            crate::alloc_stats::release_free_memory();
            crate::alloc_stats::purge_at_once();
            devloop.run(channels)
        })
        .context("failed to start the engine thread")?;

    // Ctrl-C / SIGTERM (SIGINT and SIGTERM from outside while the dashboard is up, whose
    // terminal turns Ctrl-C into a key) stop the engine and the dashboard; the headless loop
    // ends when its channel closes. The plugin host stops at once: a build waiting on a plugin
    // (seconds of Sass) ends now.
    let (dashboard_stop_tx, dashboard_stop) = crossbeam_channel::bounded::<()>(1);
    {
        let control = control_tx.clone();
        let plugin_host = vite.as_ref().map(|vite| vite.host.clone());
        runtime.spawn(async move {
            wait_for_signal().await;
            STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = control.send(Control::Shutdown);
            if let Some(host) = plugin_host {
                host.stop();
            }
            // (The dashboard restores the terminal on its way out.)
            let _ = dashboard_stop_tx.try_send(());
            exit_if_the_first_build_runs_on(use_tui).await;
        });
    }

    if serve.open {
        open_browser(&url);
    }

    let result = if use_tui {
        let control = control_tx.clone();
        let plugin_host = vite.as_ref().map(|vite| vite.host.clone());
        let runtime = runtime.handle().clone();
        dashboard::run(
            telemetry_rx,
            url.clone(),
            hint,
            dashboard_stop,
            move |effect| match effect {
                dashboard::Effect::Quit => {
                    let _ = control.send(Control::Shutdown);
                    if let Some(host) = &plugin_host {
                        host.stop();
                    }
                    // `q` or Ctrl-C (a key here) during the first build: as a signal's stop.
                    if !ENGINE_STARTED.load(std::sync::atomic::Ordering::SeqCst) {
                        runtime.spawn(exit_if_the_first_build_runs_on(false));
                    }
                }
                // (The event loop suspends itself: never passed on.)
                dashboard::Effect::ClearLog | dashboard::Effect::Suspend => {}
                dashboard::Effect::OpenBrowser(url) => open_browser(&url),
                dashboard::Effect::Engine(command) => {
                    let _ = control.send(command);
                }
            },
        )
    } else {
        let shortcuts = serve.log_format == LogFormat::Text && crate::shortcuts::wanted();
        if shortcuts {
            bind_shortcuts(
                control_tx.clone(),
                vite.as_ref().map(|vite| vite.host.clone()),
                runtime.handle().clone(),
                url.clone(),
            );
        }
        run_headless(telemetry_rx, serve.verbose > 0, serve.log_format, shortcuts)
    };
    let _ = control_tx.send(Control::Shutdown);
    drop(control_tx);
    let engine = engine.join();
    if let Some(bridge) = bridge {
        let _ = bridge.join();
    }
    drop(watcher);
    let _ = shutdown_tx.send(());
    let _ = runtime.block_on(server);
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    anyhow::ensure!(
        engine.is_ok(),
        "hotloop's engine stopped on an internal error (the panic message is above); \
         please report it with the file that triggered it"
    );
    result
}

/// `port 5173 is in use: serving on 5174 instead` when the server took another port than the
/// one asked for (`None` for the port asked for, or any port: `--port 0`).
pub(crate) fn port_fallback(asked: u16, bound: u16) -> Option<String> {
    if asked == 0 || asked == bound {
        return None;
    }
    let taken = if bound == asked + 1 {
        format!("port {asked} is in use")
    } else {
        format!("ports {asked} to {} are in use", bound - 1)
    };
    Some(format!(
        "{taken}: serving on {bound} instead (pass --strict-port to stop instead)"
    ))
}

/// What a failed bind tells the user: a taken port once (not the OS error twice), with what to
/// do about it; other failures with their causes.
pub(crate) fn bind_error(error: server::ServerError, serve: &ServeArgs) -> anyhow::Error {
    let in_use = matches!(
        &error,
        server::ServerError::Bind { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse
    );
    let (host, port) = (serve.host, serve.port);
    match (in_use, port) {
        (true, port) if serve.strict_port => anyhow::anyhow!(
            "port {port} on {host} is in use, and --strict-port (or the config's \
             server.strictPort) keeps hotloop from taking the next one: stop the server that \
             listens there, pass another --port, or drop --strict-port"
        ),
        (true, port) if port != 0 => anyhow::anyhow!(
            "ports {port} to {} on {host} are all in use: stop a server that listens there, or \
             pass --port 0 to take any free port",
            port.saturating_add(server::PORT_TRIES)
        ),
        (_, 0) => anyhow::Error::new(error).context(format!("failed to listen on {host}")),
        _ => anyhow::Error::new(error).context(format!("failed to listen on {host}:{port}")),
    }
}

/// The server's settings from the flags: the secure defaults, relaxed only as asked.
#[cfg(test)]
pub(crate) fn server_config_for_test(root: &Path, serve: &ServeArgs) -> ServerConfig {
    server_config(root, serve)
}

fn server_config(root: &Path, serve: &ServeArgs) -> ServerConfig {
    let mut config = ServerConfig::new(root);
    config.host = serve.host;
    config.port = serve.port;
    config.strict_port = serve.strict_port;
    config.public_dir = serve.public_dir.dir(root);
    config.allowed_hosts = serve.allowed_hosts.clone();
    config.allow_any_origin = serve.allow_any_origin;
    config.headers = serve.headers.clone();
    config.fs_allow = serve.fs_allow.clone();
    if serve.no_fs_deny {
        config.fs_deny.clear();
    }
    config.fs_deny.extend(serve.fs_deny.iter().cloned());
    for rule in &serve.proxy {
        tracing::info!("proxy {rule}");
    }
    config.proxy = serve.proxy.clone();
    config.base = serve.base.clone();
    config.app_type = serve.app_type;
    config
}

/// The certificate to serve HTTPS with: `--https-cert/--https-key`, else the config's
/// `server.https`; each problem names where the certificate came from.
fn tls(serve: &ServeArgs, config: Option<&Path>) -> anyhow::Result<Option<server::Tls>> {
    if let (Some(cert), Some(key)) = (&serve.https_cert, &serve.https_key) {
        let read = |path: &Path, flag: &str| {
            std::fs::read(path)
                .with_context(|| format!("{flag} {}: cannot read it", path.display()))
        };
        let (cert_pem, key_pem) = (read(cert, "--https-cert")?, read(key, "--https-key")?);
        return server::Tls::from_pem(&cert_pem, &key_pem)
            .map(Some)
            .with_context(|| {
                format!(
                    "--https-cert {} with --https-key {} cannot serve HTTPS",
                    cert.display(),
                    key.display()
                )
            });
    }
    let Some(https) = &serve.https_from_config else {
        return Ok(None);
    };
    let config = config.map_or_else(|| "vite.config".into(), |p| p.display().to_string());
    let (Some(cert), Some(key)) = (&https.cert, &https.key) else {
        anyhow::bail!(
            "{config}: server.https is on but gives no {}: set server.https to {{ cert, key }} \
             (PEM text, e.g. fs.readFileSync('cert.pem')), add @vitejs/plugin-basic-ssl for a \
             self-signed certificate, or remove server.https to serve http",
            if https.cert.is_none() && https.key.is_none() {
                "cert and key"
            } else if https.cert.is_none() {
                "cert"
            } else {
                "key"
            }
        );
    };
    server::Tls::from_pem(cert.as_bytes(), key.as_bytes())
        .map(Some)
        .with_context(|| format!("{config}: server.https cannot serve HTTPS"))
}

/// One line per relaxed default, naming what it exposes and to whom.
pub fn exposure_warnings(root: &Path, serve: &ServeArgs, addr: SocketAddr) -> Vec<String> {
    let mut warnings = Vec::new();
    if !addr.ip().is_loopback() {
        let everywhere = if addr.ip().is_unspecified() {
            " (every network interface of this machine)"
        } else {
            ""
        };
        warnings.push(format!(
            "listening on {addr}{everywhere}: anyone who can reach this address can read every \
             file under {} (sources, node_modules, public/) and the live updates over the \
             WebSocket; bind 127.0.0.1 (the default) to serve this machine only",
            root.display()
        ));
    }
    if serve.allowed_hosts.iter().any(|h| h.trim() == "*") {
        warnings.push(
            "--allowed-host '*': requests naming any Host are served, so a website can reach \
             this server through DNS rebinding"
                .to_owned(),
        );
    }
    if serve.allow_any_origin {
        warnings.push(
            "--allow-any-origin: any website open in your browser can read the project's \
             source code and the live updates"
                .to_owned(),
        );
    }
    // (A directory above the root is Vite's own default, its workspace root: the directory of
    // a config whose `root` names the app below it, a monorepo's root.)
    for dir in serve.fs_allow.iter().filter(|dir| !root.starts_with(dir)) {
        warnings.push(format!(
            "--fs-allow: every file under {} is served too",
            dir.display()
        ));
    }
    if serve.no_fs_deny {
        warnings.push(
            "--no-fs-deny: .env files, keys, certificates and .git/ under the root are served"
                .to_owned(),
        );
    }
    warnings
}

/// `--no-tui`'s keyboard shortcuts (`crate::shortcuts`), each done here: `q` stops as Ctrl-C
/// does (the engine, the plugin host at once, the process after the grace if the first build
/// still runs).
fn bind_shortcuts(
    control: Sender<Control>,
    plugin_host: Option<Arc<hotloop_plugin_host::PluginHost>>,
    runtime: tokio::runtime::Handle,
    url: String,
) {
    use crate::shortcuts::Shortcut;
    crate::shortcuts::spawn(move |shortcut| {
        let mut out = std::io::stdout().lock();
        match shortcut {
            Shortcut::Reload => {
                let _ = control.send(Control::ForceReload);
            }
            Shortcut::Url => {
                let _ = writeln!(out, "  ➜  Local:   {url}");
            }
            Shortcut::Open => open_browser(&url),
            Shortcut::Clear => {
                let _ = write!(out, "\x1b[2J\x1b[3J\x1b[H");
                let _ = out.flush();
            }
            Shortcut::Help => {
                for line in crate::shortcuts::help_lines() {
                    let _ = writeln!(out, "{line}");
                }
            }
            Shortcut::Quit => {
                STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
                let _ = control.send(Control::Shutdown);
                if let Some(host) = &plugin_host {
                    host.stop();
                }
                runtime.spawn(exit_if_the_first_build_runs_on(false));
                return false;
            }
        }
        true
    });
}

/// `shortcuts`: the keyboard shortcuts are read (`crate::shortcuts`): the ready line says how to
/// list them.
fn run_headless(
    events: Receiver<EngineEvent>,
    verbose: bool,
    format: LogFormat,
    shortcuts: bool,
) -> anyhow::Result<()> {
    let options = HeadlessOptions {
        format,
        verbose,
        shortcuts,
        connections: verbose
            || tracing::enabled!(target: headless::CONNECTIONS_TARGET, tracing::Level::DEBUG),
        // On a terminal that takes colours, unless NO_COLOR or CLICOLOR=0 says otherwise
        // (CLICOLOR_FORCE colours a pipe too).
        color: format == LogFormat::Text
            && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
    };
    // Not locked for the session: the app's own output (`--server`) shares hotloop's stdout.
    headless::run(events, std::io::stdout(), &options).context("failed to write the log")
}

/// The target of what the project's plugins log (`config.logger.info`, `this.info`), shown at
/// info level by default as Vite shows it.
pub const PLUGIN_LOG_TARGET: &str = "hotloop::plugins";

/// The log filter for `-v`'s count: warnings (and the plugins' own lines) by default; `-v`
/// hotloop's detail, without salsa's line per query run (hundreds at a start: `-vv` has them).
fn default_filter(verbose: u8) -> String {
    match verbose {
        0 => format!("warn,{PLUGIN_LOG_TARGET}=info"),
        1 => "info,hotloop_engine=debug,salsa=warn".to_string(),
        _ => "debug,hotloop_engine=trace".to_string(),
    }
}

/// Logs go to stderr, or into the dashboard's log pane while it is up. `HMR_LOG` (an env
/// filter such as `hotloop_engine=debug`) overrides `-v`.
fn init_logging(verbose: u8, format: LogFormat, dashboard: Option<Sender<EngineEvent>>) {
    let default = default_filter(verbose);
    let (from_env, env_error) = match log_filter_from_env(std::env::var("HMR_LOG").ok()) {
        Ok(filter) => (filter, None),
        Err(error) => (None, Some(error)),
    };
    let plain = verbose == 0 && from_env.is_none();
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(default));
    // The app's own output (`--server`) is shown whatever the verbosity.
    let filter = match format!("{}=info", app_server::APP_OUTPUT).parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = match (dashboard, format) {
        (Some(events), _) => registry.with(LogLayer::new(events)).try_init(),
        (None, LogFormat::Json) => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        // What the plugins print reads as under Vite: the line alone, not a log record. What
        // the app prints is written as it wrote it (`app_server::RawOutput`). hotloop's own
        // warnings read as a compiler's (`warning: ...`), unless `-v` or `HMR_LOG` asked for
        // the detail, where the time and the module that logged help.
        (None, LogFormat::Text) => registry
            .with(plain.then(|| {
                tracing_subscriber::fmt::layer()
                    .event_format(PlainLines)
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(filter_fn(is_hotloops_own))
            }))
            .with((!plain).then(|| {
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(filter_fn(is_hotloops_own))
            }))
            .with(app_server::RawOutput)
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal())
                    .without_time()
                    .with_level(false)
                    .with_target(false)
                    .with_filter(filter_fn(|meta| meta.target() == PLUGIN_LOG_TARGET)),
            )
            .try_init(),
    };
    let _ = result;
    if let Some(error) = env_error {
        tracing::warn!("{error}");
    }
}

/// `HMR_LOG`'s filter: none when it is not set or empty (`HMR_LOG= hotloop`: an empty filter
/// would show errors alone, the plugins' lines hidden); an error saying what is wrong when it
/// does not parse, so a typo is not silently the default.
fn log_filter_from_env(value: Option<String>) -> Result<Option<EnvFilter>, String> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    EnvFilter::try_new(&value).map(Some).map_err(|e| {
        format!(
            "HMR_LOG={value:?} is not a log filter ({e}); the default log is used. Write \
             directives such as `hotloop_engine=debug` or `info`"
        )
    })
}

/// A record of hotloop's own, not what the plugins or the app print.
fn is_hotloops_own(meta: &tracing::Metadata<'_>) -> bool {
    meta.target() != PLUGIN_LOG_TARGET && !meta.target().starts_with(app_server::APP_OUTPUT)
}

/// A log record as a line a user reads: `warning: port ...`, `error: ...` (the level as a
/// compiler says it, coloured on a terminal, then the message and its fields), without the
/// time and the Rust module that logged it.
pub(crate) struct PlainLines;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for PlainLines
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let (tag, colour) = match *event.metadata().level() {
            tracing::Level::ERROR => ("error", "1;31"),
            tracing::Level::WARN => ("warning", "33"),
            tracing::Level::INFO => ("info", "2"),
            tracing::Level::DEBUG => ("debug", "2"),
            tracing::Level::TRACE => ("trace", "2"),
        };
        if writer.has_ansi_escapes() {
            write!(writer, "\x1b[{colour}m{tag}:\x1b[0m ")?;
        } else {
            write!(writer, "{tag}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Set once the engine finished its first build and runs its loop (see `run`'s signal task).
static ENGINE_STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How long a stop waits for the engine's first build to end (see `run`'s signal task).
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Once hotloop is stopping: the engine hears the stop between builds, and the first build of
/// a large app runs on for seconds (Ctrl-C took 7–20 s at 12,000 modules). Past
/// [`STOP_GRACE`] with that build still running, or at a second signal, hotloop exits without
/// it: its Node children die with it (`PR_SET_PDEATHSIG`), and the compile cache keeps what it
/// wrote (an entry cut short reads as damaged and is compiled again). Once the engine runs its
/// loop, the stop ends in order (the last session's page is written), however long that
/// takes. `restore_terminal`: the dashboard may still be up (a second signal before it left).
async fn exit_if_the_first_build_runs_on(restore_terminal: bool) {
    let forced = tokio::select! {
        _ = tokio::time::sleep(STOP_GRACE) => {
            !ENGINE_STARTED.load(std::sync::atomic::Ordering::SeqCst)
        }
        _ = wait_for_signal() => true,
    };
    if forced {
        if restore_terminal {
            ratatui::restore();
        }
        eprintln!("hotloop: stopped (the build in progress was cut short)");
        std::process::exit(0);
    }
}

/// Set when a signal asked hotloop to stop ([`stopping`]).
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a signal asked hotloop to stop: the log shows nothing of the work cut short.
pub fn stopping() -> bool {
    STOPPING.load(std::sync::atomic::Ordering::SeqCst)
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A random-enough id per process: a page built by another process reloads on reconnect.
fn new_server_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}-{:x}", std::process::id(), nanos)
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        tracing::warn!("could not open {url} with {opener}: {error}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_hmr_log_is_unset_and_a_bad_one_says_why() {
        assert!(super::log_filter_from_env(None).unwrap().is_none());
        assert!(
            super::log_filter_from_env(Some(String::new()))
                .unwrap()
                .is_none()
        );
        assert!(
            super::log_filter_from_env(Some("  ".into()))
                .unwrap()
                .is_none()
        );
        let filter = super::log_filter_from_env(Some("hotloop_engine=debug".into())).unwrap();
        assert_eq!(filter.unwrap().to_string(), "hotloop_engine=debug");
        let error = super::log_filter_from_env(Some("hotloop=loud".into())).unwrap_err();
        assert!(
            error.starts_with("HMR_LOG=\"hotloop=loud\" is not a log filter"),
            "{error}"
        );
    }

    use clap::Parser as _;
    use hotloop_plugin_host::HttpsOptions;

    const CERT: &str = include_str!("../../engine/server/tests/fixtures/tls/cert.pem");
    const KEY: &str = include_str!("../../engine/server/tests/fixtures/tls/key.pem");

    fn message(result: anyhow::Result<Option<hotloop_server::Tls>>) -> String {
        format!("{:#}", result.expect_err("an error"))
    }

    /// `-v` shows hotloop's detail, not salsa's line per query run (sweep 13: 389 of 403 lines
    /// at a start); `-vv` has them.
    #[test]
    fn one_v_leaves_salsas_query_lines_out() {
        use tracing_subscriber::layer::SubscriberExt as _;
        let enabled = |verbose: u8, target: &'static str, level: tracing::Level| {
            let filter = tracing_subscriber::EnvFilter::new(super::default_filter(verbose));
            let subscriber = tracing_subscriber::registry().with(filter);
            tracing::subscriber::with_default(subscriber, || match (target, level) {
                ("salsa", tracing::Level::INFO) => {
                    tracing::enabled!(target: "salsa::function::execute", tracing::Level::INFO)
                }
                ("hotloop_engine", tracing::Level::DEBUG) => {
                    tracing::enabled!(target: "hotloop_engine", tracing::Level::DEBUG)
                }
                _ => unreachable!(),
            })
        };
        assert!(!enabled(1, "salsa", tracing::Level::INFO));
        assert!(enabled(1, "hotloop_engine", tracing::Level::DEBUG));
        assert!(enabled(2, "salsa", tracing::Level::INFO));
    }

    /// hotloop's warnings on stderr read as a compiler's, not as log records with a time and
    /// a Rust module path (sweep 12: `2026-...Z  WARN hotloop_server: port 5401 is in use`).
    #[test]
    fn a_warning_is_a_plain_line() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt as _;

        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .event_format(super::PlainLines)
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("--allow-any-origin: any website can read the source");
            tracing::error!(file = "a.js", "the watcher stopped");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "warning: --allow-any-origin: any website can read the source\n\
             error: the watcher stopped file=\"a.js\"\n"
        );
    }

    /// A directory above the root (a config's directory whose `root` names the app below it;
    /// Vite's workspace root) is served without a word; one beside it is named.
    #[test]
    fn only_directories_beside_the_root_served_too_are_warned_about() {
        let mut serve = crate::cli::Cli::parse_from(["hotloop"]).dev.serve;
        serve.fs_allow = vec!["/repo".into(), "/elsewhere/shared".into()];
        let addr = "127.0.0.1:3000".parse().unwrap();
        let warnings = super::exposure_warnings(std::path::Path::new("/repo/src"), &serve, addr);
        assert_eq!(
            warnings,
            ["--fs-allow: every file under /elsewhere/shared is served too"]
        );
    }

    #[test]
    fn the_certificate_comes_from_the_flags_else_the_config_and_each_problem_names_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("vite.config.ts");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, CERT).unwrap();
        std::fs::write(&key, KEY).unwrap();

        let mut serve = crate::cli::Cli::parse_from(["hotloop"]).dev.serve;
        assert!(
            super::tls(&serve, Some(&config)).unwrap().is_none(),
            "http by default"
        );

        // The config's `server.https` without a certificate: what to do, not a server no
        // browser can talk to.
        serve.https_from_config = Some(HttpsOptions::default());
        let error = message(super::tls(&serve, Some(&config)));
        assert!(
            error.starts_with(&format!("{}: server.https", config.display()))
                && error.contains("no cert and key")
                && error.contains("@vitejs/plugin-basic-ssl"),
            "{error}"
        );
        serve.https_from_config = Some(HttpsOptions {
            cert: Some(KEY.into()),
            key: Some(KEY.into()),
        });
        let error = message(super::tls(&serve, Some(&config)));
        assert!(error.contains("the cert holds no certificate"), "{error}");
        serve.https_from_config = Some(HttpsOptions {
            cert: Some(CERT.into()),
            key: Some(KEY.into()),
        });
        assert!(super::tls(&serve, Some(&config)).unwrap().is_some());

        // The flags win over the config; a file that is not there is named.
        let flags = |cert: &std::path::Path, key: &std::path::Path| {
            let mut serve = crate::cli::Cli::parse_from([
                "hotloop".as_ref(),
                "--https-cert".as_ref(),
                cert.as_os_str(),
                "--https-key".as_ref(),
                key.as_os_str(),
            ])
            .dev
            .serve;
            serve.https_from_config = Some(HttpsOptions::default());
            super::tls(&serve, Some(&config))
        };
        assert!(flags(&cert, &key).unwrap().is_some());
        let missing = dir.path().join("missing.pem");
        let error = message(flags(&cert, &missing));
        assert!(
            error.starts_with(&format!(
                "--https-key {}: cannot read it",
                missing.display()
            )),
            "{error}"
        );
        let error = message(flags(&key, &key));
        assert!(
            error.contains("--https-cert") && error.contains("the cert holds no certificate"),
            "{error}"
        );
    }
}
