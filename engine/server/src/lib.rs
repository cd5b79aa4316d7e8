//! The dev server: axum on tokio. It serves the latest `Served` snapshot (HTML, chunk, maps,
//! linked stylesheets), files from the project root and `public/`, and one WebSocket per tab
//! that forwards the engine's encoded broadcast frames and reports client messages back.
//!
//! - `http.rs`: the routes; `ws.rs`: WebSocket sessions; `security.rs`: Host/Origin/method
//!   checks in front of every route; `proxy.rs`: `--proxy` prefixes forwarded to the app's
//!   backend; `app_server.rs`: what hotloop does not answer goes to the app's own server
//!   (server-side HMR), its HTML with the client injected; `fs.rs`: request path → file, safely; `sourcemap.rs`: the chunk's index source
//!   map; `pieces.rs`: the page's chunk as content-addressed pieces (parallel compile, cached
//!   across reloads).
//! - `pages.rs`: a multi-page app's other pages; `factory_script.rs`: an update's module as a
//!   script for a page whose CSP forbids `eval`; `middlewares.rs`: the project's Vite plugins'
//!   `server.middlewares`, run by the plugin host; `by_id.rs`: `/@id/<id>` through the plugin
//!   host; `base.rs`: Vite's `base`; `open_in_editor.rs`: Vite's `/__open-in-editor`;
//!   `tls.rs`: `server.https` on the same port.
//! - Every accepted connection gets `TCP_NODELAY`: a streamed, forwarded body would otherwise
//!   wait out the client's delayed ACK (`no_delay`).
//! - The server never touches the engine: it reads `Served` from a `watch`, subscribes to the
//!   `broadcast` of encoded frames, and sends `ClientEvent`s on a crossbeam channel.
//!
//! ```ignore
//! let bound = server::bind(ServerConfig::new(root)).await?;
//! println!("http://{}", bound.local_addr());
//! bound.run(served_rx, updates_tx, client_events_tx, shutdown).await?;
//! ```

mod app_server;
mod base;
mod by_id;
mod factory_script;
mod fs;
mod http;
mod middlewares;
mod open_in_editor;
mod pages;
mod pieces;
mod proxy;
mod security;
mod sourcemap;
mod tls;
mod ws;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::http::uri::Authority;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{any, get};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

pub use by_id::{ModuleById, ModuleByIdSource};
pub use fs::DEFAULT_FS_DENY;
pub use middlewares::{MAX_BODY as MAX_MIDDLEWARE_BODY, MiddlewareSource};
pub use proxy::{ProxyRule, ProxyRuleError};
pub use tls::{Tls, TlsError};

use hotloop_protocol::Served;
use hotloop_protocol::served::Chunk;
pub use hotloop_protocol::{ClientEvent, ClientId};

/// Default port (`--port`); 0 picks a free one.
pub const DEFAULT_PORT: u16 = 5173;

/// Largest client frame accepted; a bigger one closes that socket (close code 1009).
pub const MAX_CLIENT_MESSAGE: usize = 1 << 20;

/// How the server listens and what it lets through. Every security default is on; each field
/// says how to relax it.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Interface to bind; `127.0.0.1` by default. Binding `0.0.0.0` exposes the project to the
    /// network (requests by IP literal pass the Host check).
    pub host: IpAddr,
    pub port: u16,
    /// Fail when `port` is taken (Vite's `server.strictPort`); by default the next free one
    /// of the [`PORT_TRIES`] after it is taken instead, as Vite does.
    pub strict_port: bool,
    /// The project root; canonicalized by `bind`. Files outside it are never served, but for
    /// `public_dir` and `fs_allow`.
    pub root: PathBuf,
    /// Where `/name` is looked for before the root (Vite's `publicDir`); `ROOT/public` by
    /// default, `None` for none. Canonicalized by `bind` when it exists.
    pub public_dir: Option<PathBuf>,
    /// Extra `Host` names (and WebSocket `Origin` hosts) to accept besides `localhost`,
    /// `*.localhost` and IP literals: `dev.example.com` exactly, `.example.com` for it and its
    /// subdomains, `*` for any host (turns DNS-rebinding protection off; WebSocket origins
    /// still have to be loopback, the page's own host or a named entry).
    pub allowed_hosts: Vec<String>,
    /// Accept WebSocket upgrades from any Origin (or none), answer with
    /// `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`, and
    /// stop refusing cross-site `<script>` loads. Lets any website read your sources.
    pub allow_any_origin: bool,
    /// Headers added to every response (Vite's `server.headers`: `Cross-Origin-Opener-Policy`
    /// and `Cross-Origin-Embedder-Policy` for `SharedArrayBuffer`), over hotloop's own. One
    /// that is no valid HTTP header is left out with a warning.
    pub headers: Vec<(String, String)>,
    /// Directories outside the root that may be served too (e.g. a monorepo's packages that
    /// `node_modules` symlinks point to). Canonicalized by `bind`.
    pub fs_allow: Vec<PathBuf>,
    /// File and directory names never served (matched against every path segment,
    /// case-insensitively; `*` wildcard). Defaults to `DEFAULT_FS_DENY`; clear it to serve
    /// everything under the root.
    pub fs_deny: Vec<String>,
    /// Vite's `appType`: what an HTML navigation no file answers gets (see [`AppType`]).
    pub app_type: AppType,
    /// Largest client WebSocket message, in bytes.
    pub max_client_message: usize,
    /// Path prefixes forwarded to another server (the app's backend), first match wins.
    pub proxy: Vec<ProxyRule>,
    /// The port of the app's own server on 127.0.0.1 (server-side HMR, `--server`): what
    /// hotloop does not answer itself (and `/`) goes there, any method; its HTML gets the client
    /// injected (`app_server.rs`).
    pub app_server: Option<u16>,
    /// How long a request waits for the app's server to listen while it starts or restarts,
    /// before it is answered 503.
    pub app_server_wait: std::time::Duration,
    /// Set (by whoever runs the app's server) while it stays stopped because it kept
    /// exiting, until the next edit starts it: a request is answered 503 at once, saying so.
    pub app_server_stopped: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Where the project's Vite plugins' `server.middlewares` handlers run (the plugin
    /// host's loopback port and their routes), asked per request; `None` (a project without
    /// handlers) costs nothing. See `middlewares.rs` for where they run and what they answer.
    pub middlewares: Option<MiddlewareSource>,
    /// The runtime script `/_hotloop/runtime.js` answers (and web workers' scripts start with).
    pub runtime: RuntimeScript,
    /// Vite's `base` (starts and ends with `/`): the app is served under it (`base.rs`).
    pub base: String,
    /// What answers `/@id/<id>` requests nothing else answers (`by_id.rs`); `None`: a 404.
    pub module_by_id: Option<ModuleByIdSource>,
    /// Serve HTTPS (and the WebSocket as WSS) with this certificate (`tls.rs`); `None`: HTTP.
    pub tls: Option<Tls>,
}

/// `ServerConfig::headers` as HTTP headers; one that is not valid is named in a warning.
fn valid_headers(headers: &[(String, String)]) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            match (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                (Ok(name), Ok(value)) => Some((name, value)),
                _ => {
                    tracing::warn!("server.headers['{name}'] is no valid HTTP header: left out");
                    None
                }
            }
        })
        .collect()
}

/// The browser runtime as served: `hotloop_runtime::compact()` (the default), or the readable
/// `RUNTIME_JS` while the compact files are out of date, or what a test sets.
#[derive(Clone, Debug)]
pub struct RuntimeScript {
    /// The script; ends with a newline.
    pub code: Bytes,
    /// Makes its source map (JSON), served at `/_hotloop/runtime.js.map`; made on the first
    /// request (DevTools asks), not held before.
    pub map: Option<fn() -> Bytes>,
}

impl RuntimeScript {
    /// The compact runtime when its files are current, else [`RuntimeScript::readable`].
    pub fn served() -> RuntimeScript {
        match runtime::compact() {
            Some(compact) => RuntimeScript {
                code: Bytes::from_static(compact.code.as_bytes()),
                map: Some(compact_runtime_map),
            },
            None => {
                tracing::debug!(
                    "runtime/compact/ is out of date with runtime/js: serving the readable runtime"
                );
                RuntimeScript::readable()
            }
        }
    }

    /// `hotloop_runtime::RUNTIME_JS` as written: comments and all, no map.
    pub fn readable() -> RuntimeScript {
        RuntimeScript {
            code: Bytes::from_static(runtime::RUNTIME_JS.as_bytes()),
            map: None,
        }
    }

    /// The version of the client scripts as served (this runtime, and the embedded React
    /// Refresh runtime): 16 hex digits of a hash of both. The page names it in their URLs
    /// (`ProjectOptions::client_version`, `?v=`), which are then answered `immutable`: a
    /// reload takes them from the browser's cache without asking.
    pub fn client_version(&self) -> String {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&self.body());
        hasher.update(runtime::REACT_REFRESH_JS.as_bytes());
        format!("{:016x}", hasher.digest())
    }

    /// What `/_hotloop/runtime.js` answers: the script, then the comment naming its map.
    fn body(&self) -> Bytes {
        match &self.map {
            None => self.code.clone(),
            Some(_) => {
                let mut body = Vec::with_capacity(self.code.len() + 64);
                body.extend_from_slice(&self.code);
                body.extend_from_slice(b"//# sourceMappingURL=runtime.js.map\n");
                Bytes::from(body)
            }
        }
    }
}

/// The compact runtime's map with the readable runtime put back as its source's content.
fn compact_runtime_map() -> Bytes {
    let Some(compact) = runtime::compact() else {
        return Bytes::new();
    };
    let mut map: serde_json::Value = match serde_json::from_str(compact.map) {
        Ok(map) => map,
        Err(_) => return Bytes::new(),
    };
    if let Some(fields) = map.as_object_mut() {
        fields.insert(
            "sourcesContent".into(),
            serde_json::json!([runtime::RUNTIME_JS]),
        );
    }
    Bytes::from(map.to_string())
}

/// Vite's `appType`: how HTML navigations that no file answers are served.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppType {
    /// A single-page app: `/about` is `about.html` if there is one, `/nested/`
    /// `nested/index.html`, and any other extensionless path `index.html` (the app's router
    /// takes it).
    #[default]
    Spa,
    /// A multi-page app: the same HTML fallback, and a 404 for what it does not find.
    Mpa,
    /// Neither: an HTML file is served at its own path only (the app's own server routes).
    Custom,
}

impl AppType {
    /// The config's `appType` value, or `None` for one Vite does not know.
    pub fn from_config(value: &str) -> Option<AppType> {
        match value {
            "spa" => Some(AppType::Spa),
            "mpa" => Some(AppType::Mpa),
            "custom" => Some(AppType::Custom),
            _ => None,
        }
    }
}

impl ServerConfig {
    /// Secure defaults: `127.0.0.1:5173`, no extra hosts, the default deny list.
    pub fn new(root: impl Into<PathBuf>) -> ServerConfig {
        let root = root.into();
        ServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            strict_port: false,
            public_dir: Some(root.join("public")),
            root,
            allowed_hosts: Vec::new(),
            allow_any_origin: false,
            headers: Vec::new(),
            fs_allow: Vec::new(),
            fs_deny: DEFAULT_FS_DENY.iter().map(|s| (*s).to_owned()).collect(),
            app_type: AppType::Spa,
            max_client_message: MAX_CLIENT_MESSAGE,
            proxy: Vec::new(),
            app_server: None,
            app_server_wait: std::time::Duration::from_secs(10),
            app_server_stopped: Default::default(),
            middlewares: None,
            runtime: RuntimeScript::served(),
            base: "/".into(),
            module_by_id: None,
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    // (The causes are `source`s: `{:#}` prints them after the message, once.)
    #[error("project root {path} is not accessible")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server failed")]
    Serve(#[source] std::io::Error),
}

/// State shared by every handler.
pub(crate) struct AppState {
    pub(crate) hosts: security::HostPolicy,
    /// `ServerConfig::headers`.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) fs: fs::FsPolicy,
    pub(crate) proxy: proxy::Proxy,
    /// `127.0.0.1:<ServerConfig::app_server>`.
    pub(crate) app_server: Option<Authority>,
    /// The app's server did not answer the last connection (or has not yet): the next
    /// request waits for it to listen (`app_server::forward`).
    pub(crate) app_server_down: std::sync::atomic::AtomicBool,
    pub(crate) app_server_wait: std::time::Duration,
    /// `ServerConfig::app_server_stopped`.
    pub(crate) app_server_stopped: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The plugins' `server.middlewares` handlers (`middlewares.rs`).
    pub(crate) middlewares: Option<MiddlewareSource>,
    /// `/@id/<id>` (`by_id.rs`).
    pub(crate) module_by_id: Option<ModuleByIdSource>,
    pub(crate) app_type: AppType,
    /// The page is served over TLS (`ServerConfig::tls`): what `X-Forwarded-Proto` says.
    pub(crate) https: bool,
    /// `base` without its trailing slash (`base.rs`); `None` for `/`.
    pub(crate) base_prefix: Option<String>,
    pub(crate) max_client_message: usize,
    pub(crate) served: watch::Receiver<Arc<Served>>,
    pub(crate) updates: broadcast::Sender<hotloop_protocol::Frame>,
    pub(crate) client_events: crossbeam_channel::Sender<ClientEvent>,
    pub(crate) shutdown: watch::Receiver<bool>,
    next_client: AtomicU64,
    /// The ETag and index source map of the latest chunk, computed once per chunk.
    pub(crate) chunk_cache: Mutex<Option<http::ChunkCache>>,
    /// The page's chunk pieces of the last few snapshots.
    pieces: Mutex<pieces::PieceCache>,
    /// The runtime script (`ServerConfig::runtime`), `/_hotloop/runtime.js`'s body and its ETag,
    /// its source map once asked for.
    pub(crate) runtime: RuntimeScript,
    pub(crate) runtime_body: Bytes,
    pub(crate) runtime_etag: String,
    pub(crate) runtime_map: OnceLock<Bytes>,
    pub(crate) react_refresh_etag: OnceLock<String>,
    /// [`RuntimeScript::client_version`] of `runtime`.
    pub(crate) client_version: String,
}

impl AppState {
    /// The snapshot to serve now.
    pub(crate) fn served(&self) -> Arc<Served> {
        self.served.borrow().clone()
    }

    /// The snapshot to serve once the first build is published (at once after that). Used by
    /// every route that needs the chunk, the modules or the errors; while the cold build runs
    /// only the page and the runtime are answered, and what the last session's page has
    /// ([`AppState::page_ready`]: its pieces and linked sheets).
    pub(crate) async fn built(&self) -> Arc<Served> {
        self.first_where(|s| !s.building).await
    }

    /// [`AppState::built`] for a request: while the cold build runs, the engine hears that a
    /// request waits for it (`ClientEvent::BuildAwaited`), so a build that waits for the last
    /// session's page to render starts now rather than keep this request waiting for a render
    /// that may never come (a script, not a browser) or that this answer holds up.
    pub(crate) async fn built_for_request(&self) -> Arc<Served> {
        if self.served.borrow().building {
            let _ = self.client_events.try_send(ClientEvent::BuildAwaited);
        }
        self.built().await
    }

    /// The first snapshot that has the page's code: the last session's page (published just
    /// after the server binds, when there is one: `Served::last_session`) or the build's.
    pub(crate) async fn page_ready(&self) -> Arc<Served> {
        self.first_where(|s| s.last_session || !s.building).await
    }

    /// The current snapshot once `wanted` holds for it (at once when it does now). Should the
    /// engine go before publishing one, what there is.
    async fn first_where(&self, wanted: impl Fn(&Served) -> bool) -> Arc<Served> {
        let current = self.served();
        if wanted(&current) {
            return current;
        }
        let mut served = self.served.clone();
        let ready = served.wait_for(|s| wanted(s)).await.map(|s| s.clone());
        ready.unwrap_or_else(|_| self.served())
    }

    /// The first snapshot, the current one or a later one, where `wanted` holds, if one comes
    /// within `within` (a request waiting for the engine to take in what it asked for).
    pub(crate) async fn first_within(
        &self,
        within: std::time::Duration,
        wanted: impl FnMut(&Arc<Served>) -> bool,
    ) -> Option<Arc<Served>> {
        let mut served = self.served.clone();
        match tokio::time::timeout(within, served.wait_for(wanted)).await {
            Ok(Ok(snapshot)) => Some(snapshot.clone()),
            _ => None,
        }
    }

    /// The pieces of `served`'s chunk (see `pieces.rs`).
    pub(crate) fn pieces_of(&self, served: &Arc<Served>) -> Arc<[pieces::Piece]> {
        self.pieces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pieces_of(served)
    }

    /// The parts of the lazy chunk `chunk` of `served`, or `None` when it is served whole.
    pub(crate) fn lazy_parts_of(
        &self,
        served: &Served,
        chunk: &Arc<Chunk>,
    ) -> Option<Arc<[pieces::Piece]>> {
        self.pieces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .lazy_parts_of(&served.modules, chunk)
    }

    /// The piece named `hash` of a recent snapshot's page or lazy chunk.
    pub(crate) fn find_piece(&self, hash: &str) -> Option<pieces::Found> {
        self.pieces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .find(hash)
    }

    pub(crate) fn next_client_id(&self) -> ClientId {
        ClientId(self.next_client.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

/// A server bound to its port, not yet serving.
pub struct BoundServer {
    listener: TcpListener,
    config: ServerConfig,
    local_addr: SocketAddr,
}

/// How many ports after a taken one `bind` tries unless `ServerConfig::strict_port`.
pub const PORT_TRIES: u16 = 20;

/// Canonicalizes the root, binds the listener (port 0 = any free port; a taken port: the next
/// free one, unless `strict_port`).
pub async fn bind(mut config: ServerConfig) -> Result<BoundServer, ServerError> {
    let root_public = config.root.join("public");
    config.root = std::fs::canonicalize(&config.root).map_err(|source| ServerError::Root {
        path: config.root.clone(),
        source,
    })?;
    config.public_dir = config.public_dir.map(|dir| {
        // `ROOT/public` follows the root to its canonical path (also while it does not exist).
        let dir = if dir == root_public {
            config.root.join("public")
        } else {
            dir
        };
        std::fs::canonicalize(&dir).unwrap_or(dir)
    });
    config.fs_allow = config
        .fs_allow
        .iter()
        .filter_map(|dir| match std::fs::canonicalize(dir) {
            Ok(dir) => Some(dir),
            Err(e) => {
                tracing::warn!("ignoring fs_allow entry {}: {e}", dir.display());
                None
            }
        })
        .collect();
    let addr = SocketAddr::new(config.host, config.port);
    let mut listener = TcpListener::bind(addr).await;
    if !config.strict_port && config.port != 0 {
        let mut port = config.port;
        while let Err(e) = &listener
            && e.kind() == std::io::ErrorKind::AddrInUse
            && port < config.port.saturating_add(PORT_TRIES)
        {
            // (The binary says which port it took instead, once: `BoundServer::local_addr`.)
            tracing::debug!("port {port} is in use, trying {}", port + 1);
            port += 1;
            listener = TcpListener::bind(SocketAddr::new(config.host, port)).await;
        }
    }
    let listener = listener.map_err(|source| ServerError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    Ok(BoundServer {
        listener,
        config,
        local_addr,
    })
}

impl BoundServer {
    /// The address actually bound (the real port when the config said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://localhost:<port>/` for loopback binds, `http://<ip>:<port>/` otherwise
    /// (`https://` with `ServerConfig::tls`).
    pub fn url(&self) -> String {
        let scheme = self.scheme();
        match self.local_addr.ip() {
            ip if ip.is_loopback() || ip.is_unspecified() => {
                format!("{scheme}://localhost:{}/", self.local_addr.port())
            }
            IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{}/", self.local_addr.port()),
            IpAddr::V4(ip) => format!("{scheme}://{ip}:{}/", self.local_addr.port()),
        }
    }

    /// `https` with `ServerConfig::tls`, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.config.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// Serves until `shutdown` resolves; then every WebSocket is closed with 1001 (going away)
    /// and in-flight requests finish.
    pub async fn run(
        self,
        served: watch::Receiver<Arc<Served>>,
        updates: broadcast::Sender<hotloop_protocol::Frame>,
        client_events: crossbeam_channel::Sender<ClientEvent>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let config = self.config;
        let runtime_body = config.runtime.body();
        let state = Arc::new(AppState {
            hosts: security::HostPolicy::new(&config.allowed_hosts, config.allow_any_origin),
            headers: valid_headers(&config.headers),
            fs: fs::FsPolicy {
                root: config.root,
                public: config.public_dir,
                allow: config.fs_allow,
                deny: config.fs_deny,
            },
            proxy: proxy::Proxy::new(config.proxy),
            app_server: config
                .app_server
                .and_then(|port| Authority::try_from(format!("127.0.0.1:{port}")).ok()),
            app_type: config.app_type,
            https: config.tls.is_some(),
            base_prefix: base::prefix(&config.base),
            max_client_message: config.max_client_message,
            served,
            updates,
            client_events,
            shutdown: stop_rx,
            next_client: AtomicU64::new(0),
            app_server_down: std::sync::atomic::AtomicBool::new(true),
            app_server_wait: config.app_server_wait,
            app_server_stopped: config.app_server_stopped,
            middlewares: config.middlewares,
            module_by_id: config.module_by_id,
            chunk_cache: Mutex::new(None),
            pieces: Mutex::default(),
            runtime_etag: http::content_etag(&runtime_body),
            runtime_body,
            client_version: config.runtime.client_version(),
            runtime: config.runtime,
            runtime_map: OnceLock::new(),
            react_refresh_etag: OnceLock::new(),
        });
        tracing::info!("serving {} on {}", state.fs.root.display(), self.local_addr);
        {
            // With the last session's page served while the cold build runs, the build's page
            // is cut as soon as it is published: when it is the same page, the record's pieces
            // (a copy of every module's code) are dropped then (`PieceCache::pieces_of`).
            let state = state.clone();
            tokio::spawn(async move {
                if state.page_ready().await.last_session {
                    let built = state.built().await;
                    state.pieces_of(&built);
                }
            });
        }
        // Layers that must run before routing wrap the router: `base` is stripped before it,
        // and the plugins' handlers may rewrite the URL that is routed.
        let app = tower_layer::Layer::layer(
            &axum::middleware::from_fn_with_state(state.clone(), middlewares::layer),
            router(state.clone()),
        );
        let app = tower_layer::Layer::layer(
            &axum::middleware::from_fn_with_state(state.clone(), security::guard),
            app,
        );
        let app = tower_layer::Layer::layer(
            &axum::middleware::from_fn_with_state(state.clone(), base::strip),
            app,
        );
        let app = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
        let shutdown = async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        };
        let listener = no_delay(self.listener);
        match &config.tls {
            Some(tls) => {
                let listener = tls::TlsListener::new(listener, tls).map_err(ServerError::Serve)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        }
        .map_err(ServerError::Serve)
    }
}

/// The listener with `TCP_NODELAY` set on every accepted connection. A response whose body
/// streams (one forwarded from the app's server or `--proxy`) goes out in several small
/// writes: with Nagle's algorithm on, each after the first waits for the client's ACK of the
/// previous, which a client delays up to 40 ms (delayed ACK), so every forwarded request took
/// ~44 ms on loopback (`benches/server/`).
fn no_delay(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt as _;
    fn set(tcp: &mut tokio::net::TcpStream) {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a connection: {error}");
        }
    }
    listener.tap_io(set)
}

/// `bind` then `run`.
pub async fn serve(
    config: ServerConfig,
    served: watch::Receiver<Arc<Served>>,
    updates: broadcast::Sender<hotloop_protocol::Frame>,
    client_events: crossbeam_channel::Sender<ClientEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    bind(config)
        .await?
        .run(served, updates, client_events, shutdown)
        .await
}

fn router(state: Arc<AppState>) -> Router {
    // With an app server, `/` is the app's page (any method); `/index.html` stays hotloop's.
    let root = match state.app_server {
        Some(_) => any(http::app_root),
        None => get(http::index),
    };
    Router::new()
        .route("/", root)
        .route("/index.html", get(http::index))
        .route("/_hotloop/runtime.js", get(http::runtime_js))
        .route("/_hotloop/runtime.js.map", get(http::runtime_map))
        .route("/_hotloop/react-refresh.js", get(http::react_refresh_js))
        .route("/_hotloop/chunk.js", get(http::chunk_js))
        .route("/_hotloop/chunk.js.map", get(http::chunk_map))
        .route("/_hotloop/piece/{name}", get(http::piece))
        .route("/_hotloop/map/{*id}", get(http::module_map))
        .route("/_hotloop/lazy.js", get(http::lazy_js))
        .route("/_hotloop/lazy.js.map", get(http::lazy_map))
        .route("/_hotloop/factory.js", get(factory_script::factory_js))
        .route("/_hotloop/worker/{*id}", get(http::worker_js))
        .route("/_hotloop/worker-map/{*id}", get(http::worker_map))
        .route("/_hotloop/ws", get(ws::upgrade))
        .route("/@vite/client", get(http::vite_client))
        .route("/__open-in-editor", get(open_in_editor::open))
        .fallback(http::fallback)
        // Vite's order: the plugins' own handlers (`run` wraps the router in them, after the
        // Host/Origin guard) before its proxy and its serving.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            proxy::layer,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_small_writes_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut listener = no_delay(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (accepted, _) = axum::serve::Listener::accept(&mut listener).await;
        assert!(accepted.nodelay().expect("TCP_NODELAY readable"));
    }
}
