//! The dev server end to end: a real server on 127.0.0.1:0 over a real temp project, requests
//! written by hand on raw TCP (so attacks reach the server exactly as sent, not normalised by a
//! client library), and tokio-tungstenite as the WebSocket client. Every wait has a time-out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hotloop_protocol::Diagnostic;
use hotloop_protocol::served::{
    Chunk, LazyChunks, Parts, Served, ServedModule, ServedModules, Statement,
};
use hotloop_protocol::wire::{self as protocol, ClientMessage, ServerMessage};
use hotloop_protocol::{ModuleKind, ModuleMap};
use hotloop_server::{self as server, ClientEvent, ClientId, ServerConfig, ServerError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(10);
const SECRET: &str = "TOP-SECRET-OUTSIDE";
const ENV_SECRET: &str = "API_KEY=hunter2";

// ---------------------------------------------------------------- fixture

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    outside: PathBuf,
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::canonicalize(dir.path()).unwrap();
    let root = base.join("app");
    let outside = base.join("outside");
    write(&outside.join("secret.txt"), SECRET);
    write(&root.join("src/app.js"), "export const app = 1;\n");
    write(&root.join("src/env.js"), "export const env = 'dev';\n");
    write(&root.join("src/my file.js"), "export const spaced = 1;\n");
    write(&root.join("src/..foo.js"), "export const dots = 1;\n");
    write(
        &root.join("src/style.css"),
        "/* the disk copy, not served */\n",
    );
    write(&root.join("src/main.ts"), "const x: number = 1;\n");
    write(
        &root.join("public/favicon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    write(
        &root.join("about.html"),
        "<!doctype html><body class=\"x\"><script type=\"module\" src=\"/src/about.ts\"></script></body>",
    );
    write(
        &root.join("docs/plain.html"),
        "<!doctype html><p>no scripts</p>",
    );
    write(
        &root.join("public/static.html"),
        "<!doctype html><script type=\"module\" src=\"/x.js\"></script>",
    );
    write(
        &root.join("node_modules/pkg/index.js"),
        "module.exports = 'pkg';\n",
    );
    write(&root.join(".env"), ENV_SECRET);
    write(&root.join(".env.local"), ENV_SECRET);
    write(&root.join("certs/server.pem"), ENV_SECRET);
    write(&root.join(".git/config"), ENV_SECRET);
    std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("src/leak.js")).unwrap();
    std::os::unix::fs::symlink(root.join("src/app.js"), root.join("src/inside-link.js")).unwrap();
    std::os::unix::fs::symlink(root.join(".env"), root.join("public/env-link.txt")).unwrap();
    Project {
        _dir: dir,
        root,
        outside,
    }
}

const HTML: &str = "<!doctype html><script src=\"/_hotloop/runtime.js\"></script>\
                    <script src=\"/_hotloop/chunk.js\"></script>";
const MAP_A: &str = r#"{"version":3,"sources":["/src/a.js"],"names":[],"mappings":";AAAA;AACA"}"#;
const MAP_B: &str = r#"{"version":3,"sources":["/src/b.js"],"names":[],"mappings":";AAAA"}"#;
/// `/src/a.js`'s text, which the engine leaves out of `MAP_A` (`ServedModule::map_source`).
const SOURCE_A: &str = "import './b.js';\nconsole.log(\"a\");\n";

/// `MAP_A` as served: with `SOURCE_A` as its `sourcesContent`.
fn served_map_a() -> serde_json::Value {
    let mut map: serde_json::Value = serde_json::from_str(MAP_A).unwrap();
    map["sourcesContent"] = serde_json::json!([SOURCE_A]);
    map
}
const STYLESHEET: &str = "body { color: red; }\n";

fn module(kind: ModuleKind, map: Option<&str>, stylesheet: Option<&str>) -> ServedModule {
    ServedModule {
        kind,
        code: Arc::from("(function () {\n})"),
        map: map.map(ModuleMap::from),
        map_source: None,
        stylesheet: stylesheet.map(Arc::from),
    }
}

/// A worker whose chunk is `/src/b.js`, then its start call.
fn worker_chunk() -> Chunk {
    let header = "(function (module, exports, require, $meta, $RefreshReg$, $RefreshSig$) {";
    Chunk::new(
        Parts::from(vec![(
            Arc::from("/src/b.js"),
            Statement::whole(format!(
                "__hotloop.define(\"/src/b.js\", {{}}, {header}\nexports.b = 1;\n}}));\n"
            )),
        )]),
        "__hotloop.start([\"/src/b.js\"], {\"worker\":true});\n".into(),
    )
}

fn served(revision: u32, html: Option<&str>, body_line: &str) -> Arc<Served> {
    let header = "(function (module, exports, require, $meta, $RefreshReg$, $RefreshSig$) {";
    let parts: Vec<(Arc<str>, Statement)> = vec![
        (
            Arc::from("/src/a.js"),
            Statement::whole(format!(
                "__hotloop.define(\"/src/a.js\", {{\"./b.js\": \"/src/b.js\"}}, {header}\nrequire(\"./b.js\");\n{body_line}\n}}));\n"
            )),
        ),
        (
            Arc::from("/src/b.js"),
            Statement::whole(format!(
                "__hotloop.define(\"/src/b.js\", {{}}, {header}\nexports.b = 1;\n}}));\n"
            )),
        ),
        (
            Arc::from("/src/style.css"),
            Statement::whole(format!(
                "__hotloop.define(\"/src/style.css\", {{}}, {header}\n$meta.css(\"body{{}}\");\n}}));\n"
            )),
        ),
    ];
    let chunk = Chunk::new(
        Parts::from(parts),
        "__hotloop.start([\"/src/a.js\"]);\n//# sourceMappingURL=/_hotloop/chunk.js.map\n".into(),
    );
    let mut modules = ServedModules::default();
    modules.insert(
        Arc::from("/src/a.js"),
        Arc::new(ServedModule {
            map_source: Some(SOURCE_A.into()),
            ..module(ModuleKind::Js, Some(MAP_A), None)
        }),
    );
    modules.insert(
        Arc::from("/src/b.js"),
        Arc::new(module(ModuleKind::Js, Some(MAP_B), None)),
    );
    modules.insert(
        Arc::from("/src/style.css"),
        Arc::new(module(ModuleKind::Css, None, Some(STYLESHEET))),
    );
    Arc::new(Served {
        server_id: Arc::from("test-server-ü"),
        revision,
        snapshot: revision,
        html: html.map(Arc::from),
        chunk: Arc::new(chunk),
        workers: Arc::new([(Arc::from("/src/w.js"), Arc::new(worker_chunk()))]),
        modules,
        errors: Arc::from(Vec::<Diagnostic>::new()),
        building: false,
        last_session: false,
        first_revision: revision,
        // What the engine publishes: its reload for a session that fell behind.
        resync: protocol::encode(&ServerMessage::full_reload(
            revision,
            &hotloop_protocol::FullReloadReason::ClientOutOfSync,
        ))
        .into(),
        recent: Default::default(),
        source_roots: Arc::from([]),
        injection: Arc::default(),
        lazy: Arc::new(lazy_chunks(&["/src/lazy.js"], &["/src/later.js"])),
        pages: Arc::from([]),
    })
}

/// Lazy chunks: `ready` ones define `/src/b.js` again (as chunks that share it do), then
/// their root; `pending` ones are not compiled yet.
fn lazy_chunks(ready: &[&str], pending: &[&str]) -> LazyChunks {
    let header = "(function (module, exports, require, $meta, $RefreshReg$, $RefreshSig$) {";
    let mut lazy = LazyChunks::default();
    for id in ready {
        let parts = Parts::from(vec![
            (
                Arc::from("/src/b.js"),
                Statement::whole(format!(
                    "__hotloop.define(\"/src/b.js\", {{}}, {header}\nexports.b = 1;\n}}));\n"
                )),
            ),
            (
                Arc::from(*id),
                Statement::whole(format!(
                    "__hotloop.define({id:?}, {{}}, {header}\nexports.lazy = 1;\n}}));\n"
                )),
            ),
        ]);
        lazy.ready
            .insert(Arc::from(*id), Arc::new(Chunk::new(parts, String::new())));
    }
    lazy.pending = pending.iter().map(|id| Arc::from(*id)).collect();
    lazy
}

// ---------------------------------------------------------------- harness

struct Harness {
    addr: SocketAddr,
    served: watch::Sender<Arc<Served>>,
    updates: broadcast::Sender<hotloop_protocol::Frame>,
    events: crossbeam_channel::Receiver<ClientEvent>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
    project: Project,
}

impl Harness {
    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn publish(&self, snapshot: Arc<Served>) {
        self.served.send_replace(snapshot);
    }

    fn broadcast(&self, frame: &[u8]) {
        self.updates
            .send(hotloop_protocol::Frame::everyone(frame))
            .unwrap();
    }

    async fn next_event(&self) -> ClientEvent {
        let rx = self.events.clone();
        tokio::task::spawn_blocking(move || rx.recv_timeout(WAIT))
            .await
            .unwrap()
            .expect("no client event within the time-out")
    }

    /// Stops the server and waits for `run` to return.
    async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(WAIT, &mut self.task)
            .await
            .expect("server did not stop")
            .unwrap()
    }
}

async fn start_with(
    configure: impl FnOnce(&mut ServerConfig, &Project),
    capacity: usize,
) -> Harness {
    let project = project();
    let mut config = ServerConfig::new(&project.root);
    config.port = 0;
    configure(&mut config, &project);
    let bound = server::bind(config).await.unwrap();
    let addr = bound.local_addr();
    assert_ne!(addr.port(), 0);
    let (served_tx, served_rx) = watch::channel(served(1, Some(HTML), "console.log('a');"));
    let (updates, _) = broadcast::channel(capacity);
    let (events_tx, events) = crossbeam_channel::unbounded();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(
        bound.run(served_rx, updates.clone(), events_tx, async move {
            let _ = stop_rx.await;
        }),
    );
    Harness {
        addr,
        served: served_tx,
        updates,
        events,
        stop: Some(stop_tx),
        task,
        project,
    }
}

async fn start() -> Harness {
    start_with(|_, _| {}, 64).await
}

// ---------------------------------------------------------------- raw HTTP

#[path = "../../../tests/support/raw_http.rs"]
mod raw_http;
use raw_http::Reply;

/// Sends `request` byte for byte and reads the reply until the server closes.
async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    raw_http::raw(addr, request, WAIT).await
}

/// Sends `request` and reads only the status line and headers (for upgrades that stay open).
async fn raw_head(addr: SocketAddr, request: &[u8]) -> Reply {
    raw_http::raw_head(addr, request, WAIT).await
}

/// `GET target` with a valid Host and `extra` header lines (`Name: value`).
async fn get_with(h: &Harness, target: &str, extra: &[&str]) -> Reply {
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n",
        h.port()
    );
    for line in extra {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    raw(h.addr, request.as_bytes()).await
}

async fn get(h: &Harness, target: &str) -> Reply {
    get_with(h, target, &[]).await
}

async fn request_with_host(h: &Harness, host_lines: &str, target: &str) -> Reply {
    let request = format!("GET {target} HTTP/1.1\r\n{host_lines}Connection: close\r\n\r\n");
    raw(h.addr, request.as_bytes()).await
}

// ---------------------------------------------------------------- WebSocket

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn ws_connect(
    h: &Harness,
    origin: Option<&str>,
    agent: &str,
) -> Result<Ws, tungstenite::Error> {
    ws_connect_to(h, "/_hotloop/ws", origin, agent).await
}

/// `ws_connect` to `path` (with a query, say).
async fn ws_connect_to(
    h: &Harness,
    path: &str,
    origin: Option<&str>,
    agent: &str,
) -> Result<Ws, tungstenite::Error> {
    let mut request = format!("ws://127.0.0.1:{}{path}", h.port())
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    request
        .headers_mut()
        .insert("user-agent", agent.parse().unwrap());
    timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("WebSocket handshake timed out")
        .map(|(ws, _)| ws)
}

async fn ws_ok(h: &Harness, agent: &str) -> Ws {
    let origin = format!("http://localhost:{}", h.port());
    ws_connect(h, Some(&origin), agent).await.unwrap()
}

/// The next data or close message (pings are skipped); `None` when the stream ended.
async fn next_message(ws: &mut Ws) -> Option<Result<Message, tungstenite::Error>> {
    timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("no WebSocket message within the time-out")
}

async fn next_binary(ws: &mut Ws) -> Vec<u8> {
    match next_message(ws).await {
        Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

async fn expect_close(ws: &mut Ws, code: u16) {
    match next_message(ws).await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(
                u16::from(frame.code),
                code,
                "close reason: {}",
                frame.reason
            )
        }
        other => panic!("expected a close frame with code {code}, got {other:?}"),
    }
}

fn hello_of(bytes: &[u8]) -> (String, u32) {
    match protocol::decode_server(bytes).unwrap() {
        ServerMessage::Hello {
            protocol,
            server_id,
            revision,
        } => {
            assert_eq!(protocol, protocol::PROTOCOL_VERSION);
            (server_id, revision)
        }
        other => panic!("expected Hello, got {other:?}"),
    }
}

// ---------------------------------------------------------------- routes

/// A multi-page app's other page (`about.html`, asked for as `/about`): its first request asks
/// the engine to take it in and waits for the snapshot that serves it, then is the engine's
/// page with the chunk's pieces where its tag was; served from then on without asking. A
/// nested page answers `/docs/plain.html` and `/docs/plain`; HTML of `public/` is a file like
/// any other at its public URL (a page at its path under the root), and a path no page answers
/// is `index.html` (the SPA fallback).
#[tokio::test]
async fn another_html_page_is_taken_in_by_the_engine_then_served_with_the_chunks_pieces() {
    let h = start().await;
    h.publish(served_with_page(1, "console.log('one');", false));
    let (addr, port) = (h.addr, h.port());
    let html_request = move |path: &'static str| async move {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        );
        raw(addr, request.as_bytes()).await
    };
    let request = tokio::spawn(html_request("/about"));
    assert_eq!(
        h.next_event().await,
        ClientEvent::PageOpened {
            id: Arc::from("/about.html")
        }
    );
    const ABOUT: &str = "<!doctype html><body><meta name=\"hotloop-page-entries\" content=\"[&quot;/src/about.ts&quot;]\">";
    let with_pages = |pages: &[&str]| {
        let mut next = (*served_with_page(1, "console.log('one');", false)).clone();
        next.pages = pages
            .iter()
            .map(|id| {
                (
                    Arc::from(*id),
                    Arc::from(format!("{ABOUT}{CHUNK_TAG}</body>")),
                )
            })
            .collect();
        Arc::new(next)
    };
    h.publish(with_pages(&["/about.html"]));
    let about = timeout(WAIT, request).await.unwrap().unwrap();
    assert_eq!(about.status, 200, "{}", about.text());
    let text = about.text();
    assert!(text.starts_with(ABOUT), "{text}");
    assert!(!text.contains(CHUNK_TAG), "{text}");
    assert_eq!(piece_urls(&text).len(), 2, "{text}");
    assert_eq!(get(&h, "/about.html").await.text(), text);
    assert!(h.events.try_recv().is_err(), "served without asking again");

    // A page asked for at `path` is opened as `id`, then served once a snapshot has `pages`.
    let opens = |path: &'static str, id: &'static str, pages: &'static [&'static str]| {
        let h = &h;
        async move {
            let request = tokio::spawn(html_request(path));
            assert_eq!(
                h.next_event().await,
                ClientEvent::PageOpened { id: Arc::from(id) }
            );
            h.publish(with_pages(pages));
            let page = timeout(WAIT, request).await.unwrap().unwrap();
            assert!(page.text().starts_with(ABOUT), "{}", page.text());
        }
    };
    opens(
        "/docs/plain",
        "/docs/plain.html",
        &["/about.html", "/docs/plain.html"],
    )
    .await;

    assert_eq!(
        get(&h, "/static.html").await.text(),
        "<!doctype html><script type=\"module\" src=\"/x.js\"></script>"
    );
    // The same file at its path under the root is a page, as Vite's HTML middleware serves it
    // (vite-plugin-html's history rewrite of `/` to the template `public/index.html`).
    opens(
        "/public/static.html",
        "/public/static.html",
        &["/about.html", "/docs/plain.html", "/public/static.html"],
    )
    .await;
    let spa = html_request("/settings/profile").await;
    assert!(
        spa.text().starts_with("<!doctype html><head>"),
        "{}",
        spa.text()
    );
    // Clients other than browsers (curl: `*/*`; none at all; axios, as `wait-on` sends it) get
    // the page at a route too, as from Vite; a missing file with an extension stays a 404.
    for accept in [
        &["Accept: */*"][..],
        &[],
        &["Accept: application/json, text/plain, */*"],
    ] {
        let route = get_with(&h, "/settings/profile", accept).await;
        assert_eq!(route.status, 200, "{accept:?}: {}", route.text());
        assert!(
            route.text().starts_with("<!doctype html><head>"),
            "{accept:?}"
        );
    }
    let image = get_with(&h, "/img/missing.png", &["Accept: image/webp,*/*;q=0.8"]).await;
    assert_eq!(image.status, 404, "{}", image.text());
    let data = get_with(&h, "/api/items", &["Accept: application/json"]).await;
    assert_eq!(data.status, 404, "{}", data.text());
    assert!(h.events.try_recv().is_err());
}

/// Vite's `appType`: a multi-page app (`mpa`) answers a path no page is at with a 404, not
/// `index.html`, and still finds `/about` at `about.html`; a `custom` one serves HTML files at
/// their own paths only.
#[tokio::test]
async fn a_multi_page_app_type_has_no_spa_fallback_and_a_custom_one_no_html_fallback() {
    for app_type in [server::AppType::Mpa, server::AppType::Custom] {
        let h = start_with(|config, _| config.app_type = app_type, 64).await;
        let r = get_with(&h, "/settings/profile", &["Accept: text/html"]).await;
        assert_eq!(r.status, 404, "{app_type:?}: {}", r.text());
        let (addr, port) = (h.addr, h.port());
        let about = tokio::spawn(async move {
            let request = format!(
                "GET /about HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
            );
            raw(addr, request.as_bytes()).await
        });
        if app_type == server::AppType::Mpa {
            assert_eq!(
                h.next_event().await,
                ClientEvent::PageOpened {
                    id: Arc::from("/about.html")
                }
            );
            about.abort();
        } else {
            let r = timeout(WAIT, about).await.unwrap().unwrap();
            assert_eq!(r.status, 404, "{}", r.text());
            assert!(h.events.try_recv().is_err());
        }
        h.stop().await.unwrap();
    }
}

#[tokio::test]
async fn index_html_has_an_etag_and_answers_304() {
    let h = start().await;
    let page = get(&h, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), HTML);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let etag = page.header("etag").unwrap().to_owned();
    assert_eq!(get(&h, "/index.html").await.text(), HTML);

    let again = get_with(&h, "/", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let other = get_with(&h, "/", &["If-None-Match: \"nope\""]).await;
    assert_eq!(other.status, 200);

    h.publish(served(2, None, ""));
    let missing = get(&h, "/").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("no index.html"),
        "{}",
        missing.text()
    );
    assert!(
        missing
            .text()
            .contains(&h.project.root.display().to_string())
    );
}

#[tokio::test]
async fn runtime_js_is_the_embedded_runtime_compacted_with_its_map() {
    let h = start().await;
    let r = get(&h, "/_hotloop/runtime.js").await;
    assert_eq!(r.status, 200);
    let compact = runtime::compact().expect("runtime/compact/ is current (tests/chunk_node.rs)");
    assert_eq!(
        r.text(),
        format!("{}//# sourceMappingURL=runtime.js.map\n", compact.code)
    );
    let map: serde_json::Value =
        serde_json::from_str(&get(&h, "/_hotloop/runtime.js.map").await.text()).unwrap();
    assert_eq!(map["sourcesContent"][0], runtime::RUNTIME_JS);
    assert_eq!(map["sources"][0], "/_hotloop/runtime-source.js");
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = r.header("etag").unwrap().to_owned();
    let again = get_with(
        &h,
        "/_hotloop/runtime.js",
        &[&format!("If-None-Match: {etag}")],
    )
    .await;
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn the_client_scripts_at_the_pages_versioned_urls_are_immutable_and_other_urls_revalidate() {
    let h = start().await;
    let version = server::RuntimeScript::served().client_version();
    assert_eq!(version.len(), 16, "{version}");
    for script in ["runtime.js", "react-refresh.js"] {
        let plain = get(&h, &format!("/_hotloop/{script}")).await;
        let versioned = get(&h, &format!("/_hotloop/{script}?v={version}")).await;
        assert_eq!(versioned.status, 200);
        assert_eq!(versioned.text(), plain.text(), "{script}: the same bytes");
        assert_eq!(
            versioned.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{script}"
        );
        assert_eq!(
            versioned.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        // Another version (a page of an older binary) and the plain URL revalidate.
        for url in [
            format!("/_hotloop/{script}?v=0000000000000000"),
            format!("/_hotloop/{script}"),
        ] {
            let r = get(&h, &url).await;
            assert_ne!(
                r.header("cache-control"),
                Some("public, max-age=31536000, immutable"),
                "{url}"
            );
            assert!(r.header("etag").is_some(), "{url}");
        }
    }
    // Another runtime is another version.
    let other = server::RuntimeScript {
        code: "globalThis.other=1;\n".into(),
        map: None,
    };
    assert_ne!(other.client_version(), version);
}

#[tokio::test]
async fn a_runtime_names_its_map_and_the_readable_one_has_none() {
    let h = start_with(
        |config, _| config.runtime = server::RuntimeScript::readable(),
        64,
    )
    .await;
    assert_eq!(
        get(&h, "/_hotloop/runtime.js").await.text(),
        runtime::RUNTIME_JS
    );
    assert_eq!(get(&h, "/_hotloop/runtime.js.map").await.status, 404);

    let h = start_with(
        |config, _| {
            config.runtime = server::RuntimeScript {
                code: "globalThis.compact=1;\n".into(),
                map: Some(|| r#"{"version":3,"sources":["/_hotloop/runtime-source.js"]}"#.into()),
            };
        },
        64,
    )
    .await;
    let r = get(&h, "/_hotloop/runtime.js").await;
    assert_eq!(
        r.text(),
        "globalThis.compact=1;\n//# sourceMappingURL=runtime.js.map\n"
    );
    let map = get(&h, "/_hotloop/runtime.js.map").await;
    assert_eq!(map.status, 200);
    assert!(map.text().contains("runtime-source.js"), "{}", map.text());
}

#[tokio::test]
async fn react_refresh_js_is_the_embedded_refresh_runtime() {
    let h = start().await;
    let r = get(&h, "/_hotloop/react-refresh.js").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), runtime::REACT_REFRESH_JS);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = r.header("etag").unwrap().to_owned();
    assert_ne!(
        etag,
        get(&h, "/_hotloop/runtime.js")
            .await
            .header("etag")
            .unwrap()
    );
    let again = get_with(
        &h,
        "/_hotloop/react-refresh.js",
        &[&format!("If-None-Match: {etag}")],
    )
    .await;
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn chunk_js_is_cached_by_content_until_a_new_chunk_is_published() {
    let h = start().await;
    let first = get(&h, "/_hotloop/chunk.js").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body, h.served.borrow().chunk.bytes().to_vec());
    assert_eq!(
        first.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let etag = first.header("etag").unwrap().to_owned();
    let if_match = format!("If-None-Match: {etag}");

    assert_eq!(
        get_with(&h, "/_hotloop/chunk.js", &[&if_match])
            .await
            .status,
        304
    );
    assert_eq!(
        get_with(&h, "/_hotloop/chunk.js", &["If-None-Match: W/\"x\", *"])
            .await
            .status,
        304
    );

    // Same bytes in a new snapshot: same ETag. Different bytes: a new one.
    h.publish(served(2, Some(HTML), "console.log('a');"));
    assert_eq!(
        get_with(&h, "/_hotloop/chunk.js", &[&if_match])
            .await
            .status,
        304
    );
    h.publish(served(3, Some(HTML), "console.log('changed');"));
    let changed = get_with(&h, "/_hotloop/chunk.js", &[&if_match]).await;
    assert_eq!(changed.status, 200);
    assert!(changed.text().contains("changed"));
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

/// Waits until `n` receivers watch the snapshot channel: the harness's own plus one per
/// request parked in `AppState::built`.
async fn wait_for_receivers(h: &Harness, n: usize) {
    timeout(WAIT, async {
        while h.served.receiver_count() < n {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the request never started waiting for the build");
}

#[tokio::test]
async fn fs_paths_serve_files_of_the_published_source_roots_and_nothing_wider() {
    let h = start().await;
    // A linked workspace package outside the root, and a sibling dir that is not one.
    let outside = tempfile::tempdir().expect("temp dir");
    let base = outside.path().canonicalize().expect("canonical");
    let package = base.join("packages/ui");
    std::fs::create_dir_all(package.join("assets")).unwrap();
    std::fs::write(package.join("assets/logo.svg"), "<svg/>").unwrap();
    std::fs::write(package.join(".env"), "SECRET=1").unwrap();
    std::fs::write(base.join("secret.txt"), "no").unwrap();
    let url = |path: &std::path::Path| format!("/@fs{}", path.display());
    // Before the engine publishes the package as a source root, nothing under /@fs is served.
    assert_ne!(
        get(&h, &url(&package.join("assets/logo.svg"))).await.status,
        200
    );
    let mut snapshot = (*served(1, Some(HTML), "console.log('a');")).clone();
    snapshot.source_roots = Arc::from([package.clone()]);
    h.publish(Arc::new(snapshot));
    let logo = get(&h, &url(&package.join("assets/logo.svg"))).await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.text(), "<svg/>");
    assert_ne!(
        get(&h, &url(&base.join("secret.txt"))).await.status,
        200,
        "outside every source root"
    );
    assert_eq!(
        get(&h, &url(&package.join(".env"))).await.status,
        403,
        "the deny list applies"
    );
}

#[tokio::test]
async fn during_the_cold_build_the_page_is_served_and_the_chunk_waits_for_the_build() {
    let h = start().await;
    h.publish(Arc::new(Served::building(
        Arc::from("test-server-ü"),
        Some(Arc::from(HTML)),
        Arc::from([]),
    )));
    // The page and the runtime answer at once.
    let page = get(&h, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), HTML);
    assert_eq!(get(&h, "/_hotloop/runtime.js").await.status, 200);

    // The chunk, its map, a module map, a linked stylesheet and the WebSocket hello park until
    // the build is published, then answer from it (never from the placeholder).
    let base = h.served.receiver_count();
    let mut ws = ws_ok(&h, "during-build").await;
    let addr = h.addr;
    let port = h.port();
    let pending: Vec<_> = [
        "/_hotloop/chunk.js",
        "/_hotloop/chunk.js.map",
        "/_hotloop/map/src/a.js",
        "/src/style.css",
    ]
    .into_iter()
    .map(|target| {
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
        tokio::spawn(async move { raw(addr, request.as_bytes()).await })
    })
    .collect();
    wait_for_receivers(&h, base + 1 + pending.len()).await;
    assert!(pending.iter().all(|p| !p.is_finished()));

    let built = served(7, Some(HTML), "console.log('built');");
    h.publish(built.clone());
    let replies: Vec<Reply> = futures_util::future::join_all(pending)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(replies[0].body, built.chunk.bytes().to_vec());
    assert!(replies[0].text().contains("console.log('built');"));
    assert!(replies[1].text().contains("\"sections\""));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&replies[2].body).unwrap(),
        served_map_a()
    );
    assert_eq!(replies[3].text(), STYLESHEET);
    assert_eq!(
        hello_of(&next_binary(&mut ws).await),
        ("test-server-ü".to_string(), 7)
    );
}

#[tokio::test]
async fn chunk_map_is_an_index_map_of_the_module_maps() {
    let h = start().await;
    let r = get(&h, "/_hotloop/chunk.js.map").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let map: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let a = served_map_a();
    let b: serde_json::Value = serde_json::from_str(MAP_B).unwrap();
    // a.js spans lines 0-3 of the chunk, b.js starts on line 4; style.css has no map.
    assert_eq!(
        map,
        serde_json::json!({
            "version": 3,
            "file": "chunk.js",
            "sections": [
                {"offset": {"line": 0, "column": 0}, "map": a},
                {"offset": {"line": 4, "column": 0}, "map": b}
            ]
        })
    );
    let chunk = get(&h, "/_hotloop/chunk.js").await.text();
    assert!(
        chunk
            .lines()
            .nth(4)
            .unwrap()
            .starts_with("__hotloop.define(\"/src/b.js\"")
    );
}

#[tokio::test]
async fn an_updated_module_is_served_as_a_script_for_its_revision_only() {
    let h = start().await;
    // Revision 1 is the current snapshot's: its code, handed to `__hotloop.factory`, with the
    // module's own map.
    let r = get(&h, "/_hotloop/factory.js?id=%2Fsrc%2Fb.js&v=1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.text(),
        "__hotloop.factory(\"/src/b.js\", 1, (function () {\n})\n);\n\
         //# sourceMappingURL=map/src/b.js?v=1\n"
    );
    // An older revision's code is gone (a newer update replaced it): the page must reload.
    h.publish(served(2, Some(HTML), "console.log('a');"));
    let r = get(&h, "/_hotloop/factory.js?id=%2Fsrc%2Fb.js&v=1").await;
    assert_eq!(r.status, 409);
    assert!(
        r.text().contains("/src/b.js is at revision 2, not 1"),
        "{}",
        r.text()
    );
    let r = get(&h, "/_hotloop/factory.js?id=%2Fsrc%2Fnope.js&v=2").await;
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("revision 2 has no module /src/nope.js"),
        "{}",
        r.text()
    );
    let r = get(&h, "/_hotloop/factory.js?id=%2Fsrc%2Fb.js").await;
    assert_eq!(r.status, 400);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_lazy_chunk_is_served_with_its_map_and_a_pending_one_is_compiled_first() {
    let h = start().await;
    let r = get(&h, "/_hotloop/lazy.js?id=%2Fsrc%2Flazy.js").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        r.text()
            .starts_with("//# allFunctionsCalledOnLoad\n__hotloop.define(\"/src/b.js\""),
        "V8's compile hint, then the statements: {}",
        r.text()
    );
    assert!(r.text().contains("__hotloop.define(\"/src/lazy.js\""));
    // Its last statement names the snapshot (the page loads it with a `<script>` element).
    let snapshot = r.header("x-hotloop-snapshot").unwrap().to_owned();
    assert!(
        r.text().ends_with(&format!(
            "__hotloop.served(\"/src/lazy.js\", {snapshot});\n"
        )),
        "{}",
        r.text()
    );
    let map: serde_json::Value = serde_json::from_slice(
        &get(&h, "/_hotloop/lazy.js.map?id=%2Fsrc%2Flazy.js")
            .await
            .body,
    )
    .unwrap();
    assert_eq!(
        map["sections"][0]["map"],
        serde_json::from_str::<serde_json::Value>(MAP_B).unwrap()
    );
    assert_eq!(map["sections"][0]["offset"]["line"], 1, "after the hint");

    // Pending: the request asks the engine and waits for the snapshot that has it.
    let addr = h.addr;
    let port = h.port();
    let request = tokio::spawn(async move {
        let request = format!(
            "GET /_hotloop/lazy.js?id=/src/later.js HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        );
        raw(addr, request.as_bytes()).await
    });
    assert_eq!(
        h.next_event().await,
        ClientEvent::LazyChunkRequested {
            id: Arc::from("/src/later.js")
        }
    );
    let mut next = (*served(1, Some(HTML), "console.log('a');")).clone();
    next.lazy = Arc::new(lazy_chunks(&["/src/lazy.js", "/src/later.js"], &[]));
    h.publish(Arc::new(next));
    let r = timeout(WAIT, request).await.unwrap().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("__hotloop.define(\"/src/later.js\""));

    // No `import()` names it: a 404 that says so, without asking the engine.
    let r = get(&h, "/_hotloop/lazy.js?id=%2Fsrc%2Fnope.js").await;
    assert_eq!(r.status, 404);
    assert!(
        r.text()
            .contains("no module of this page loads /src/nope.js with import()"),
        "{}",
        r.text()
    );
    assert!(h.events.try_recv().is_err());
    let r = get(&h, "/_hotloop/lazy.js").await;
    assert_eq!(r.status, 400);
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_big_lazy_chunk_is_answered_by_its_parts_which_hold_its_statements_in_order() {
    let h = start().await;
    let header = "(function (module, exports, require, $meta, $RefreshReg$, $RefreshSig$) {";
    let statements: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                "__hotloop.define(\"/src/big/m{i}.js\", {{}}, {header}\nexports.v = {:?};\n}}));\n",
                "x".repeat(120)
            )
        })
        .collect();
    let parts = Parts::from(
        statements
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    Arc::from(format!("/src/big/m{i}.js")),
                    Statement::whole(s.clone()),
                )
            })
            .collect::<Vec<_>>(),
    );
    let mut next = (*served(1, Some(HTML), "console.log('a');")).clone();
    let mut lazy = lazy_chunks(&["/src/lazy.js"], &[]);
    lazy.ready.insert(
        Arc::from("/src/big.js"),
        Arc::new(Chunk::new(parts, String::new())),
    );
    next.lazy = Arc::new(lazy);
    next.snapshot = 7;
    h.publish(Arc::new(next));
    let r = get(&h, "/_hotloop/lazy.js?id=%2Fsrc%2Fbig.js").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-hotloop-snapshot"), Some("7"));
    let text = r.text();
    let urls = text
        .strip_prefix("__hotloop.served(\"/src/big.js\", 7, ")
        .and_then(|rest| rest.strip_suffix(");\n"))
        .unwrap_or_else(|| panic!("the list of its parts: {text}"));
    let urls: Vec<String> = serde_json::from_str(urls).unwrap();
    assert!((2..=5).contains(&urls.len()), "{urls:?}");
    let mut joined = String::new();
    for url in &urls {
        assert!(url.starts_with("/_hotloop/piece/"), "{url}");
        let part = get(&h, url).await;
        assert_eq!(part.status, 200);
        assert_eq!(
            part.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        let body = part.text();
        let body = body
            .strip_prefix("//# allFunctionsCalledOnLoad\n")
            .expect("V8's compile hint first");
        let name = url.rsplit('/').next().unwrap();
        let (statements, map_line) = body.rsplit_once("//# sourceMappingURL=").unwrap();
        assert_eq!(map_line, format!("{name}.map\n"));
        joined.push_str(statements);
        let map = get(&h, &format!("{url}.map")).await;
        assert_eq!(map.status, 200, "{url}.map");
        let map: serde_json::Value = serde_json::from_slice(&map.body).unwrap();
        assert!(map["sections"].is_array());
    }
    assert_eq!(
        joined,
        statements.concat(),
        "every statement once, in order"
    );
    // The small chunk stays one script.
    let r = get(&h, "/_hotloop/lazy.js?id=%2Fsrc%2Flazy.js").await;
    assert!(r.text().contains("__hotloop.define(\"/src/lazy.js\""));
    h.stop().await.unwrap();
}

#[tokio::test]
async fn a_workers_script_is_the_runtime_then_its_chunk_with_a_map_after_the_runtime() {
    let h = start().await;
    let r = get(&h, "/_hotloop/worker/src/w.js").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let body = r.text();
    let runtime = runtime::compact().expect("current").code;
    assert!(body.starts_with(runtime));
    assert_eq!(
        &body[runtime.len()..],
        String::from_utf8(worker_chunk().bytes().to_vec()).unwrap()
    );
    let etag = r.header("etag").expect("etag").to_string();
    let again = get_with(
        &h,
        "/_hotloop/worker/src/w.js",
        &[&format!("If-None-Match: {etag}")],
    )
    .await;
    assert_eq!(again.status, 304);

    // The module's map starts where its define statement does: after the runtime's lines.
    let map: serde_json::Value =
        serde_json::from_slice(&get(&h, "/_hotloop/worker-map/src/w.js").await.body).unwrap();
    let runtime_lines = runtime.lines().count();
    assert_eq!(
        map["sections"],
        serde_json::json!([{
            "offset": {"line": runtime_lines, "column": 0},
            "map": serde_json::from_str::<serde_json::Value>(MAP_B).unwrap()
        }])
    );
    assert!(
        body.lines()
            .nth(runtime_lines)
            .unwrap()
            .starts_with("__hotloop.define(\"/src/b.js\"")
    );

    let missing = get(&h, "/_hotloop/worker/src/nope.js").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("no web worker runs /src/nope.js"),
        "{}",
        missing.text()
    );
}

/// A script of the project asked for by its URL as a worker (a service worker registered at
/// `/src/app.js`): the engine takes it in as one, and the answer is its worker script; the same
/// URL fetched otherwise is the file, and a worker's request for a file that is not there asks
/// the engine nothing.
#[tokio::test]
async fn a_script_asked_for_as_a_worker_is_taken_in_and_answered_with_its_worker_script() {
    let h = start().await;
    let (addr, port) = (h.addr, h.port());
    let request = tokio::spawn(async move {
        let request = format!(
            "GET /src/app.js HTTP/1.1\r\nHost: localhost:{port}\r\nSec-Fetch-Dest: serviceworker\r\nConnection: close\r\n\r\n"
        );
        raw(addr, request.as_bytes()).await
    });
    assert_eq!(
        h.next_event().await,
        ClientEvent::WorkerRequested {
            id: Arc::from("/src/app.js")
        }
    );
    let mut next = (*served(1, Some(HTML), "console.log('one');")).clone();
    next.workers = Arc::new([
        (Arc::from("/src/w.js"), Arc::new(worker_chunk())),
        (Arc::from("/src/app.js"), Arc::new(worker_chunk())),
    ]);
    h.publish(Arc::new(next));
    let r = timeout(WAIT, request).await.unwrap().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let runtime = runtime::compact().expect("current").code;
    assert!(r.text().starts_with(runtime));
    assert_eq!(
        get(&h, "/src/app.js").await.text(),
        "export const app = 1;\n"
    );
    let missing = get_with(&h, "/src/gone.js", &["Sec-Fetch-Dest: worker"]).await;
    assert_eq!(missing.status, 404);
    assert!(h.events.try_recv().is_err(), "nothing more asked");

    // The engine did not take one in (no script it compiles): its next snapshot says so, and
    // the request is a 404 at once, not at the end of the wait.
    let (addr, port) = (h.addr, h.port());
    let request = tokio::spawn(async move {
        let request = format!(
            "GET /src/env.js HTTP/1.1\r\nHost: localhost:{port}\r\nSec-Fetch-Dest: worker\r\nConnection: close\r\n\r\n"
        );
        raw(addr, request.as_bytes()).await
    });
    assert_eq!(
        h.next_event().await,
        ClientEvent::WorkerRequested {
            id: Arc::from("/src/env.js")
        }
    );
    let mut next = (*served(2, Some(HTML), "console.log('two');")).clone();
    next.snapshot = 2;
    h.publish(Arc::new(next));
    let r = timeout(WAIT, request).await.unwrap().unwrap();
    assert_eq!(r.status, 404, "{}", r.text());
}

#[tokio::test]
async fn module_maps_by_id() {
    let h = start().await;
    let r = get(&h, "/_hotloop/map/src/a.js").await;
    assert_eq!(r.status, 200);
    // The module's text goes back into its map as served.
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        served_map_a()
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    let missing = get(&h, "/_hotloop/map/src/nope.js").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "no source map for /src/nope.js");
}

#[tokio::test]
async fn css_modules_are_served_as_linked_stylesheets() {
    let h = start().await;
    let r = get(&h, "/src/style.css?v=123").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), STYLESHEET);
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    let etag = r.header("etag").unwrap().to_owned();
    let again = get_with(&h, "/src/style.css", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn a_stylesheet_asked_for_at_a_version_is_served_only_at_that_version() {
    let h = start().await;
    let current = format!("{:08x}", hotloop_protocol::css_version(STYLESHEET));
    let r = get(&h, &format!("/src/style.css?hotloop-v={current}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), STYLESHEET);
    let stale = get(&h, "/src/style.css?v=1&hotloop-v=0000beef").await;
    assert_eq!(stale.status, 404);
    assert_eq!(
        stale.text(),
        "/src/style.css is no longer at version 0000beef: the page loads the current one with the next update"
    );
}

/// A page's inline style is a linked sheet whose module id has a query (Vite's
/// `/index.html?html-proxy&direct&index=0.css`): asked for with it (and at a version), it is
/// the sheet; the page with another query is still the page.
#[tokio::test]
async fn an_inline_styles_sheet_is_served_at_its_id_with_the_query() {
    const ID: &str = "/index.html?html-proxy&direct&index=0.css";
    let h = start().await;
    let mut next = (*served(2, Some(HTML), "")).clone();
    next.modules.insert(
        Arc::from(ID),
        Arc::new(module(ModuleKind::Css, None, Some(".inline {}\n"))),
    );
    h.publish(Arc::new(next));
    let sheet = get(&h, ID).await;
    assert_eq!(sheet.status, 200);
    assert_eq!(sheet.text(), ".inline {}\n");
    assert_eq!(
        sheet.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    let version = format!("{:08x}", hotloop_protocol::css_version(".inline {}\n"));
    let swapped = get(&h, &format!("{ID}&hotloop-v={version}")).await;
    assert_eq!(swapped.text(), ".inline {}\n");
    let page = get(&h, "/index.html?utm_source=x").await;
    assert_eq!(page.text(), HTML);
}

#[tokio::test]
async fn files_from_the_root_public_and_node_modules() {
    let h = start().await;
    let cases = [
        (
            "/src/app.js",
            "export const app = 1;\n",
            "text/javascript; charset=utf-8",
        ),
        (
            "/favicon.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "image/svg+xml",
        ),
        (
            "/node_modules/pkg/index.js",
            "module.exports = 'pkg';\n",
            "text/javascript; charset=utf-8",
        ),
        (
            "/src/my%20file.js",
            "export const spaced = 1;\n",
            "text/javascript; charset=utf-8",
        ),
        (
            "/src/..foo.js",
            "export const dots = 1;\n",
            "text/javascript; charset=utf-8",
        ),
        (
            "/src/main.ts",
            "const x: number = 1;\n",
            "text/plain; charset=utf-8",
        ),
        (
            "/src/app.js?import&t=1",
            "export const app = 1;\n",
            "text/javascript; charset=utf-8",
        ),
    ];
    for (path, body, content_type) in cases {
        let r = get(&h, path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.text(), body, "{path}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
    }

    let r = get(&h, "/src/app.js").await;
    let etag = r.header("etag").unwrap().to_owned();
    let same = get_with(&h, "/src/app.js", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    // An edit changes size and mtime, so the ETag.
    write(
        &h.project.root.join("src/app.js"),
        "export const app = 22;\n",
    );
    let edited = get_with(&h, "/src/app.js", &[&format!("If-None-Match: {etag}")]).await;
    assert_eq!(edited.status, 200);
    assert_eq!(edited.text(), "export const app = 22;\n");

    let head = raw(
        h.addr,
        format!(
            "HEAD /src/env.js HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            h.port()
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("26"));
}

/// A missing file fetched (a script's, a stylesheet's, `fetch()`'s `*/*`) is a 404; a navigation
/// to a path no file answers is the page, as under Vite, whatever its last segment looks like:
/// a route of an email, a domain or a file name (`/users/a@b.com`, `/tags/node.js`).
#[tokio::test]
async fn a_missing_file_is_a_404_and_a_navigation_the_page() {
    let h = start().await;
    for path in [
        "/missing.js",
        "/src/nope.css",
        "/src/app.js/x.js",
        "/users/a@b.com",
    ] {
        for accept in ["*/*", "text/css,*/*;q=0.1"] {
            let r = get_with(&h, path, &[&format!("Accept: {accept}")]).await;
            assert_eq!(r.status, 404, "{path} {accept}");
            assert_eq!(r.text(), format!("not found: {path}"));
            assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        }
    }
    // hotloop's own URLs never are the page.
    for path in ["/_hotloop/nope.js", "/_hotloop/"] {
        let r = get_with(&h, path, &["Accept: text/html"]).await;
        assert_eq!(r.status, 404, "{path}");
    }
    for route in [
        "/settings/profile",
        "/users/john.doe",
        "/releases/v1.2",
        "/users/a@b.com",
        "/sites/example.org",
        "/tags/node.js",
        "/docs/report.pdf",
        "/missing.js",
    ] {
        let nav = get_with(
            &h,
            route,
            &["Accept: text/html,application/xhtml+xml,*/*;q=0.8"],
        )
        .await;
        assert_eq!(nav.status, 200, "{route}");
        assert_eq!(nav.text(), HTML, "{route}");
    }
}

#[tokio::test]
async fn methods_other_than_get_and_head_are_405() {
    let h = start().await;
    for (method, path) in [
        ("POST", "/"),
        ("PUT", "/src/app.js"),
        ("DELETE", "/_hotloop/chunk.js"),
        ("OPTIONS", "/"),
        ("PATCH", "/x"),
    ] {
        let r = raw(
            h.addr,
            format!(
                "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
}

// ---------------------------------------------------------------- path security

fn assert_refused(r: &Reply, what: &str) {
    assert!(
        matches!(r.status, 400 | 403 | 404),
        "{what}: status {} body {}",
        r.status,
        r.text()
    );
    let body = r.text();
    assert!(
        !body.contains(SECRET) && !body.contains(ENV_SECRET) && !body.contains("root:"),
        "{what} leaked: {body}"
    );
}

#[tokio::test]
async fn traversal_is_refused_in_every_encoding() {
    let h = start().await;
    let outside = h.project.outside.join("secret.txt");
    let absolute = outside.display().to_string();
    let attacks = vec![
        "/../outside/secret.txt".to_owned(),
        "/src/../../outside/secret.txt".to_owned(),
        "/%2e%2e/outside/secret.txt".to_owned(),
        "/%2E%2E/outside/secret.txt".to_owned(),
        "/%2e%2e%2foutside%2fsecret.txt".to_owned(),
        "/..%2foutside%2fsecret.txt".to_owned(),
        "/src/%2e%2e/%2e%2e/outside/secret.txt".to_owned(),
        "/.%2e/outside/secret.txt".to_owned(),
        "/%252e%252e/outside/secret.txt".to_owned(),
        "/%25252e%25252e/outside/secret.txt".to_owned(),
        "/%252e%252e%252foutside%252fsecret.txt".to_owned(),
        "/%c0%ae%c0%ae/outside/secret.txt".to_owned(),
        "/%e0%80%ae%e0%80%ae/outside/secret.txt".to_owned(),
        "/%c0%af..%c0%afoutside/secret.txt".to_owned(),
        "/..\\outside\\secret.txt".to_owned(),
        "/src%5c..%5c..%5coutside%5csecret.txt".to_owned(),
        "/src%255c..%255c..%255coutside%255csecret.txt".to_owned(),
        "/src/app.js%00/../../../outside/secret.txt".to_owned(),
        "/.env%00.js".to_owned(),
        "/src/app.js%23/../../.env".to_owned(),
        "/.env?raw".to_owned(),
        "/.env?import&raw??".to_owned(),
        "/.env%3Fraw".to_owned(),
        format!("/{absolute}"),
        format!("//{absolute}"),
        format!("/%2f{}", absolute.trim_start_matches('/')),
        "/%2fetc%2fpasswd".to_owned(),
        "//etc/passwd".to_owned(),
        "/../../../../../../etc/passwd".to_owned(),
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd".to_owned(),
    ];
    for attack in &attacks {
        let r = get(&h, attack).await;
        assert_refused(&r, attack);
    }
    // The query never takes part in the lookup: the file checked is the file served.
    for trick in [
        "/src/app.js?/../../.env",
        "/src/app.js?raw??/../.env",
        "/src/app.js??.env",
    ] {
        let r = get(&h, trick).await;
        assert_eq!(r.status, 200, "{trick}");
        assert_eq!(r.text(), "export const app = 1;\n", "{trick}");
    }
    // Absolute-form request target.
    let r = raw(
        h.addr,
        format!(
            "GET http://localhost:{}/../.env HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            h.port(),
            h.port()
        )
        .as_bytes(),
    )
    .await;
    assert_refused(&r, "absolute-form ..");
    // The server still serves legitimate files afterwards.
    assert_eq!(get(&h, "/src/app.js").await.status, 200);
    assert_eq!(get(&h, "/src/..foo.js").await.status, 200);
}

#[tokio::test]
async fn symlinks_leading_outside_the_root_are_refused() {
    let h = start().await;
    for path in ["/link/secret.txt", "/src/leak.js"] {
        let r = get(&h, path).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(
            r.text(),
            format!("hotloop: refused {path}: the path leads outside the project root")
        );
    }
    let inside = get(&h, "/src/inside-link.js").await;
    assert_eq!(inside.status, 200);
    assert_eq!(inside.text(), "export const app = 1;\n");

    // Relaxed: `fs_allow` admits the outside directory.
    let relaxed = start_with(|c, p| c.fs_allow.push(p.outside.clone()), 16).await;
    // (that server has its own project; its `link` points to its own outside dir)
    let r = get(&relaxed, "/link/secret.txt").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), SECRET);
    // And its files by their absolute path too (`/@fs/`: a font that package CSS in a
    // workspace's hoisted `node_modules` names), as Vite's `server.fs.allow` does; a file of
    // no allowed directory stays refused.
    let outside = relaxed.project.outside.canonicalize().unwrap();
    let r = get(&relaxed, &format!("/@fs{}/secret.txt", outside.display())).await;
    assert_eq!((r.status, r.text()), (200, SECRET.to_string()));
    let elsewhere = tempfile::tempdir().unwrap();
    let other = elsewhere.path().canonicalize().unwrap().join("other.txt");
    std::fs::write(&other, "no").unwrap();
    assert_eq!(
        get(&relaxed, &format!("/@fs{}", other.display()))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn sensitive_files_are_denied() {
    let h = start().await;
    for path in [
        "/.env",
        "/.ENV",
        "/.env.local",
        "/%2eenv",
        "/certs/server.pem",
        "/.git/config",
        "/env-link.txt",
    ] {
        let r = get(&h, path).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text());
        assert!(
            r.text().contains("matches the deny list"),
            "{path}: {}",
            r.text()
        );
        assert_refused(&r, path);
    }
    assert_eq!(get(&h, "/src/env.js").await.status, 200);

    let relaxed = start_with(|c, _| c.fs_deny.clear(), 16).await;
    let r = get(&relaxed, "/.env").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), ENV_SECRET);
}

// ---------------------------------------------------------------- Host, Origin, cross-site

#[tokio::test]
async fn foreign_and_missing_hosts_are_refused() {
    let h = start().await;
    let refused = request_with_host(&h, "Host: evil.com\r\n", "/").await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.text(),
        "hotloop: Host header 'evil.com' is not allowed; add it with --allowed-host"
    );
    for (host_lines, target) in [
        ("Host: evil.com:5173\r\n", "/src/app.js"),
        ("Host: localhost.evil.com\r\n", "/_hotloop/chunk.js"),
        ("Host: 127.0.0.1.nip.io\r\n", "/_hotloop/ws"),
        ("Host: evil.com\r\n", "/missing.js"),
        ("", "/"),
        ("Host: \r\n", "/"),
        ("Host: local host\r\n", "/"),
        ("Host: localhost:abc\r\n", "/"),
        ("Host: localhost\r\nHost: evil.com\r\n", "/"),
    ] {
        let r = request_with_host(&h, host_lines, target).await;
        assert_eq!(r.status, 403, "{host_lines:?} {target}: {}", r.text());
        assert!(r.text().starts_with("hotloop: "), "{}", r.text());
        assert_refused(&r, host_lines);
    }
    // Bytes that are not text, and absurdly long names, fail closed without a crash.
    let long = format!("Host: {}\r\n", "a".repeat(70_000));
    for host_lines in [
        &b"Host: \xff\xfe\r\n"[..],
        b"Host: localhost\xc0\xae\r\n",
        b"Host: [::1\r\n",
        b"Host: localhost:99999999\r\n",
        long.as_bytes(),
    ] {
        let mut request = b"GET / HTTP/1.1\r\n".to_vec();
        request.extend_from_slice(host_lines);
        request.extend_from_slice(b"Connection: close\r\n\r\n");
        let r = raw(h.addr, &request).await;
        assert!(
            matches!(r.status, 400 | 403 | 431),
            "{:?}: {}",
            String::from_utf8_lossy(host_lines),
            r.status
        );
    }
    let port = h.port();
    for origin in [
        &b"\xff\xfe"[..],
        b"http://localhost\xc0\xae",
        b"http://",
        b"http://[::1",
    ] {
        let mut request = format!(
            "GET /_hotloop/ws HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: "
        )
        .into_bytes();
        request.extend_from_slice(origin);
        request.extend_from_slice(b"\r\n\r\n");
        assert_eq!(
            raw(h.addr, &request).await.status,
            403,
            "{:?}",
            String::from_utf8_lossy(origin)
        );
    }
    assert_eq!(get(&h, "/").await.status, 200, "the server still serves");
    // HTTP/1.0 without any Host.
    let r = raw(h.addr, b"GET / HTTP/1.0\r\n\r\n").await;
    assert_eq!(r.status, 403);
    // Absolute-form target naming a foreign host.
    let r = request_with_host(&h, "Host: localhost\r\n", "http://evil.com/").await;
    assert_eq!(r.status, 403);

    let port = h.port();
    for host in [
        format!("localhost:{port}"),
        "localhost".to_owned(),
        format!("app.localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "LOCALHOST".to_owned(),
    ] {
        let r = request_with_host(&h, &format!("Host: {host}\r\n"), "/").await;
        assert_eq!(r.status, 200, "{host}");
    }

    let relaxed = start_with(|c, _| c.allowed_hosts.push("dev.example.com".into()), 16).await;
    let r = request_with_host(&relaxed, "Host: dev.example.com\r\n", "/").await;
    assert_eq!(r.status, 200);
    let r = request_with_host(&relaxed, "Host: other.example.com\r\n", "/").await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn no_cors_headers_and_same_origin_resource_policy() {
    let h = start().await;
    for path in [
        "/",
        "/_hotloop/chunk.js",
        "/_hotloop/chunk.js.map",
        "/_hotloop/runtime.js",
        "/_hotloop/map/src/a.js",
        "/src/style.css",
        "/src/app.js",
        "/missing.js",
    ] {
        let r = get_with(&h, path, &["Origin: http://evil.com"]).await;
        assert!(r.header("access-control-allow-origin").is_none(), "{path}");
        assert_eq!(
            r.header("cross-origin-resource-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn cross_site_script_loads_are_refused() {
    let h = start().await;
    let theft = [
        "Sec-Fetch-Site: cross-site",
        "Sec-Fetch-Mode: no-cors",
        "Sec-Fetch-Dest: script",
    ];
    for path in [
        "/_hotloop/chunk.js",
        "/_hotloop/runtime.js",
        "/src/app.js",
        "/node_modules/pkg/index.js",
    ] {
        let r = get_with(&h, path, &theft).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.text(), "hotloop: cross-site script requests are refused");
        assert_refused(&r, path);
        // The page's own script load works.
        let own = get_with(
            &h,
            path,
            &[
                "Sec-Fetch-Site: same-origin",
                "Sec-Fetch-Mode: no-cors",
                "Sec-Fetch-Dest: script",
            ],
        )
        .await;
        assert_eq!(own.status, 200, "{path}");
    }
    // A cross-site link that navigates to the page is fine.
    let nav = get_with(
        &h,
        "/",
        &[
            "Sec-Fetch-Site: cross-site",
            "Sec-Fetch-Mode: navigate",
            "Sec-Fetch-Dest: document",
        ],
    )
    .await;
    assert_eq!(nav.status, 200);
}

#[tokio::test]
async fn websocket_upgrades_need_an_allowed_origin() {
    let h = start().await;
    let port = h.port();
    for origin in [
        None,
        Some("null".to_owned()),
        Some("http://evil.com".to_owned()),
        Some(format!("http://localhost.evil.com:{port}")),
        Some("file://".to_owned()),
    ] {
        match ws_connect(&h, origin.as_deref(), "attacker").await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "{origin:?}");
                assert!(
                    response
                        .headers()
                        .get("access-control-allow-origin")
                        .is_none()
                );
            }
            other => panic!("{origin:?}: expected a 403, got {other:?}"),
        }
    }
    // Any website served from an IP literal is a foreign origin, even though IP literals pass
    // the Host check (cross-site WebSocket hijacking from http://203.0.113.7/).
    // Another app on this machine (a page from another local dev server) is another origin.
    let other_port = if port == 5173 { 5174 } else { 5173 };
    for origin in [
        format!("http://localhost:{other_port}"),
        format!("http://127.0.0.1:{other_port}"),
        "http://localhost".to_owned(),
        "https://app.localhost".to_owned(),
    ] {
        match ws_connect(&h, Some(&origin), "other-local-app").await {
            Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("{origin}: expected a 403, got {other:?}"),
        }
    }
    for origin in [
        "http://203.0.113.7",
        "http://192.168.1.21:8080",
        "http://[2001:db8::1]",
    ] {
        match ws_connect(&h, Some(origin), "attacker").await {
            Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
            other => panic!("{origin}: expected a 403, got {other:?}"),
        }
    }
    // The page's own origin is accepted, whatever address it was reached by (bound to 0.0.0.0
    // and opened from another machine as http://192.168.1.20:<port>/).
    let own_lan = format!(
        "GET /_hotloop/ws HTTP/1.1\r\nHost: 192.168.1.20:{port}\r\nOrigin: http://192.168.1.20:{port}\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    assert_eq!(raw_head(h.addr, own_lan.as_bytes()).await.status, 101);
    let other_lan = own_lan.replace("Origin: http://192.168.1.20", "Origin: http://192.168.1.66");
    assert_eq!(raw_head(h.addr, other_lan.as_bytes()).await.status, 403);
    let other_port = own_lan.replace(
        &format!("Origin: http://192.168.1.20:{port}"),
        "Origin: http://192.168.1.20:9999",
    );
    assert_eq!(raw_head(h.addr, other_port.as_bytes()).await.status, 403);
    // Foreign Host on the upgrade itself (raw request, so the Host is exactly as written).
    let upgrade = format!(
        "GET /_hotloop/ws HTTP/1.1\r\nHost: evil.com\r\nOrigin: http://localhost:{port}\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    assert_eq!(raw(h.addr, upgrade.as_bytes()).await.status, 403);

    for origin in [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
        format!("http://app.localhost:{port}"),
    ] {
        let mut ws = ws_connect(&h, Some(&origin), "legit").await.unwrap();
        let (server_id, revision) = hello_of(&next_binary(&mut ws).await);
        assert_eq!((server_id.as_str(), revision), ("test-server-ü", 1));
    }

    let relaxed = start_with(|c, _| c.allow_any_origin = true, 16).await;
    let mut ws = ws_connect(&relaxed, Some("null"), "anything")
        .await
        .unwrap();
    hello_of(&next_binary(&mut ws).await);
}

/// The config's `server.headers` (here COOP and COEP, what `SharedArrayBuffer` needs) are on
/// every response: the page, a module, a 404; a `Cross-Origin-Resource-Policy` of theirs wins
/// over hotloop's; an invalid one is left out.
#[tokio::test]
async fn the_configs_headers_are_on_every_response() {
    let h = start_with(
        |c, _| {
            c.headers = vec![
                ("Cross-Origin-Opener-Policy".into(), "same-origin".into()),
                ("Cross-Origin-Embedder-Policy".into(), "require-corp".into()),
                ("Cross-Origin-Resource-Policy".into(), "cross-origin".into()),
                ("bad name".into(), "x".into()),
            ]
        },
        16,
    )
    .await;
    for target in ["/", "/src/app.js", "/missing.png"] {
        let reply = get(&h, target).await;
        assert_eq!(
            reply.header("cross-origin-opener-policy"),
            Some("same-origin"),
            "{target}"
        );
        assert_eq!(
            reply.header("cross-origin-embedder-policy"),
            Some("require-corp"),
            "{target}"
        );
        assert_eq!(
            reply.header("cross-origin-resource-policy"),
            Some("cross-origin"),
            "{target}"
        );
    }
}

// ---------------------------------------------------------------- sessions

/// A tab that subscribed while the cold build ran has every frame after the build's snapshot
/// queued: its hello names the build's revision even when a later one is current by the time
/// its session runs, so it is not told it missed the update that waits in its queue.
#[tokio::test]
async fn a_hello_subscribed_during_the_build_names_the_builds_revision() {
    let h = start().await;
    h.publish(served_with_page(0, "console.log('building');", true));
    let mut ws = ws_ok(&h, "agent").await;
    assert!(matches!(
        h.next_event().await,
        ClientEvent::Connected { .. }
    ));
    // The build's snapshot, then at once an edit's: its snapshot before its frame.
    h.publish(served(0, Some(HTML), ""));
    let mut edited = (*served(1, Some(HTML), "")).clone();
    edited.first_revision = 0;
    h.publish(Arc::new(edited));
    h.broadcast(b"the edit's frame");
    assert_eq!(
        hello_of(&next_binary(&mut ws).await),
        ("test-server-ü".to_owned(), 0)
    );
    assert_eq!(next_binary(&mut ws).await, b"the edit's frame");
}

/// A page that loaded revision 5's chunk while revisions 6 and 7 went out (edits saved while it
/// reloaded) says so when it connects: its hello names revision 5 and the frames of 6 (what
/// every tab got) and 7 (an update for another tab's lazy chunk: this one hears only that the
/// revision moved) follow, each once although 7's is still queued behind the subscription. A
/// page further back than the frames kept, or of another server, is told the current revision
/// (and reloads), as is one that does not say.
#[tokio::test]
async fn a_page_behind_the_snapshot_hears_its_own_revision_and_the_frames_it_missed() {
    let h = start().await;
    let update = |revision: u32| {
        protocol::encode(&ServerMessage::Update(protocol::HotUpdate {
            revision,
            ..Default::default()
        }))
    };
    let six = hotloop_protocol::Frame::everyone(update(6));
    let seven = hotloop_protocol::Frame::only(update(7), 7, Arc::from([ClientId(99)]));
    let mut at_seven = (*served(7, Some(HTML), "")).clone();
    at_seven.recent = hotloop_protocol::RecentFrames::default()
        .with(6, six)
        .with(7, seven.clone());
    h.publish(Arc::new(at_seven));
    let origin = format!("http://localhost:{}", h.port());
    let path = |query: &str| format!("/_hotloop/ws?server=test-server-%C3%BC{query}");

    let mut behind = ws_connect_to(&h, &path("&rev=5"), Some(&origin), "behind")
        .await
        .unwrap();
    // 7's frame, broadcast after the snapshot, waits in the session's queue too.
    h.updates.send(seven).unwrap();
    assert_eq!(
        hello_of(&next_binary(&mut behind).await),
        ("test-server-ü".to_owned(), 5)
    );
    assert_eq!(next_binary(&mut behind).await, update(6));
    assert_eq!(
        protocol::decode_server(&next_binary(&mut behind).await),
        Ok(ServerMessage::Errors {
            revision: 7,
            added: Vec::new(),
            cleared: Vec::new(),
        })
    );
    let later = protocol::encode(&ServerMessage::Custom {
        event: "later".into(),
        data: "1".into(),
    });
    h.broadcast(&later);
    assert_eq!(next_binary(&mut behind).await, later, "7's frame not twice");

    for (query, why) in [
        ("&rev=4", "revision 5's frame is not kept"),
        ("&rev=7", "not behind"),
        ("", "the page does not say"),
    ] {
        let mut ws = ws_connect_to(&h, &path(query), Some(&origin), "other")
            .await
            .unwrap();
        assert_eq!(
            hello_of(&next_binary(&mut ws).await),
            ("test-server-ü".to_owned(), 7),
            "{why}"
        );
    }
    let mut elsewhere = ws_connect_to(&h, "/_hotloop/ws?server=old&rev=5", Some(&origin), "old")
        .await
        .unwrap();
    assert_eq!(
        hello_of(&next_binary(&mut elsewhere).await),
        ("test-server-ü".to_owned(), 7),
        "a page of another server"
    );
}

#[tokio::test]
async fn hello_comes_first_and_broadcasts_reach_every_client_or_the_tabs_they_are_for() {
    let h = start().await;
    h.publish(served(7, Some(HTML), ""));
    let mut one = ws_ok(&h, "agent-one").await;
    let mut two = ws_ok(&h, "agent-two").await;
    assert_eq!(
        hello_of(&next_binary(&mut one).await),
        ("test-server-ü".to_owned(), 7)
    );
    assert_eq!(
        hello_of(&next_binary(&mut two).await),
        ("test-server-ü".to_owned(), 7)
    );

    let mut connected = Vec::new();
    for _ in 0..2 {
        match h.next_event().await {
            ClientEvent::Connected {
                client_id,
                user_agent,
            } => connected.push((client_id, user_agent.unwrap())),
            other => panic!("expected Connected, got {other:?}"),
        }
    }
    connected.sort();
    assert_eq!(
        connected,
        vec![
            (ClientId(1), "agent-one".to_owned()),
            (ClientId(2), "agent-two".to_owned())
        ]
    );

    let frame = protocol::encode(&ServerMessage::Custom {
        event: "e".into(),
        data: "[1]".into(),
    });
    h.broadcast(&frame);
    assert_eq!(next_binary(&mut one).await, frame);
    assert_eq!(next_binary(&mut two).await, frame);

    // A frame for one tab (an update only a lazy chunk it loaded holds): the other hears only
    // that the revision moved, then both get the next frame for every tab.
    let update = protocol::encode(&ServerMessage::Update(protocol::HotUpdate {
        revision: 8,
        ..Default::default()
    }));
    // `one` is client 1 (the ids above).
    h.updates
        .send(hotloop_protocol::Frame::only(
            update.clone(),
            8,
            Arc::from([ClientId(1)]),
        ))
        .unwrap();
    h.broadcast(&frame);
    assert_eq!(next_binary(&mut one).await, update);
    assert_eq!(next_binary(&mut one).await, frame);
    assert_eq!(
        protocol::decode_server(&next_binary(&mut two).await),
        Ok(ServerMessage::Errors {
            revision: 8,
            added: Vec::new(),
            cleared: Vec::new(),
        })
    );
    assert_eq!(next_binary(&mut two).await, frame);
}

#[tokio::test]
async fn client_messages_arrive_as_events() {
    let h = start().await;
    let mut ws = ws_ok(&h, "acker").await;
    hello_of(&next_binary(&mut ws).await);
    let ClientEvent::Connected { client_id, .. } = h.next_event().await else {
        panic!("expected Connected");
    };
    let ack = ClientMessage::Ack {
        revision: 1,
        ok: true,
        apply_ms: 3.5,
        error: None,
    };
    let invalidate = ClientMessage::Invalidate {
        id: "/src/a.js".into(),
        message: Some("why".into()),
    };
    for message in [ack, invalidate] {
        ws.send(Message::binary(protocol::encode_client(&message)))
            .await
            .unwrap();
        assert_eq!(
            h.next_event().await,
            ClientEvent::Message { client_id, message }
        );
    }
    ws.close(None).await.unwrap();
    assert_eq!(
        h.next_event().await,
        ClientEvent::Disconnected { client_id }
    );
}

#[tokio::test]
async fn a_bad_frame_closes_only_that_socket() {
    let h = start().await;
    let mut good = ws_ok(&h, "good").await;
    hello_of(&next_binary(&mut good).await);

    let mut garbage = ws_ok(&h, "garbage").await;
    hello_of(&next_binary(&mut garbage).await);
    garbage
        .send(Message::binary(vec![0xff, 1, 2, 3]))
        .await
        .unwrap();
    expect_close(&mut garbage, 1007).await;

    let mut truncated = ws_ok(&h, "truncated").await;
    hello_of(&next_binary(&mut truncated).await);
    truncated
        .send(Message::binary(vec![0x81, 1, 0]))
        .await
        .unwrap();
    expect_close(&mut truncated, 1007).await;

    let mut text = ws_ok(&h, "text").await;
    hello_of(&next_binary(&mut text).await);
    text.send(Message::text("{\"type\":\"ack\"}"))
        .await
        .unwrap();
    expect_close(&mut text, 1003).await;

    let mut huge = ws_ok(&h, "huge").await;
    hello_of(&next_binary(&mut huge).await);
    let mut big = vec![0x83u8];
    big.resize(server::MAX_CLIENT_MESSAGE + 1, b' ');
    let _ = huge.send(Message::binary(big)).await;
    // The server refuses it at the frame header: a 1009 close, or a reset if the unread
    // payload is still in flight. Either way that socket ends.
    match next_message(&mut huge).await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(frame.code, CloseCode::Size);
            assert_eq!(frame.reason.as_str(), "hotloop: message too big");
        }
        None | Some(Err(_)) => {}
        other => panic!("expected the oversized client to be closed, got {other:?}"),
    }

    // The server keeps serving: the good client gets the next broadcast, HTTP still works,
    // and new clients connect.
    let frame = protocol::encode(&ServerMessage::Custom {
        event: "still".into(),
        data: "true".into(),
    });
    h.broadcast(&frame);
    assert_eq!(next_binary(&mut good).await, frame);
    assert_eq!(get(&h, "/src/app.js").await.status, 200);
    let mut late = ws_ok(&h, "late").await;
    hello_of(&next_binary(&mut late).await);
}

#[tokio::test]
async fn a_lagging_client_gets_a_full_reload_and_is_closed() {
    // Current-thread runtime: the session cannot run while the frames below are sent, so it
    // falls behind a broadcast of capacity 4 deterministically.
    let h = start_with(|_, _| {}, 4).await;
    let mut ws = ws_ok(&h, "slow").await;
    hello_of(&next_binary(&mut ws).await);
    for i in 0..20u8 {
        h.broadcast(&protocol::encode(&ServerMessage::Custom {
            event: format!("e{i}"),
            data: "0".into(),
        }));
    }
    match protocol::decode_server(&next_binary(&mut ws).await).unwrap() {
        ServerMessage::FullReload {
            revision,
            reason_code,
            reason,
        } => {
            assert_eq!(revision, 1);
            assert_eq!(
                reason_code,
                hotloop_protocol::FullReloadReason::ClientOutOfSync.code()
            );
            assert_eq!(reason, "the page missed updates");
        }
        other => panic!("expected FullReload, got {other:?}"),
    }
    expect_close(&mut ws, 4000).await;
    // Others are unaffected: a new client connects and receives updates.
    let mut fresh = ws_ok(&h, "fresh").await;
    hello_of(&next_binary(&mut fresh).await);
    let frame = protocol::encode(&ServerMessage::Custom {
        event: "ok".into(),
        data: "1".into(),
    });
    h.broadcast(&frame);
    assert_eq!(next_binary(&mut fresh).await, frame);
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away_and_run_returns() {
    let h = start().await;
    let mut ws = ws_ok(&h, "tab").await;
    hello_of(&next_binary(&mut ws).await);
    let addr = h.addr;
    let stopping = tokio::spawn(h.stop());
    expect_close(&mut ws, 1001).await;
    timeout(WAIT, stopping).await.unwrap().unwrap().unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
}

// ---------------------------------------------------------------- the page's chunk pieces

const CHUNK_TAG: &str = "<script defer src=\"/_hotloop/chunk.js\"></script>";
const PIECES_HTML: &str = "<!doctype html><head><script src=\"/_hotloop/runtime.js\"></script></head>\
                           <body><div id=app></div><script defer src=\"/_hotloop/chunk.js\"></script></body>";

/// `served` with the engine's page: its chunk tag where the entry script was.
fn served_with_page(revision: u32, body_line: &str, building: bool) -> Arc<Served> {
    let mut snapshot = (*served(revision, Some(PIECES_HTML), body_line)).clone();
    snapshot.injection = Arc::new(hotloop_protocol::served::PageInjection {
        chunk_tag: Arc::from(CHUNK_TAG),
        ..Default::default()
    });
    snapshot.building = building;
    Arc::new(snapshot)
}

/// The piece URLs the page at `/` lists, in order.
fn piece_urls(page: &str) -> Vec<String> {
    page.split("<script defer src=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn the_page_lists_its_chunk_pieces_which_are_immutable_and_outlive_their_snapshot() {
    let h = start().await;
    h.publish(served_with_page(1, "console.log('one');", false));
    let page = get(&h, "/").await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(!text.contains(CHUNK_TAG), "{text}");
    assert!(text.starts_with("<!doctype html><head><script src=\"/_hotloop/runtime.js\">"));
    assert!(text.ends_with("</script></body>"), "{text}");
    let urls = piece_urls(&text);
    assert_eq!(
        urls.len(),
        2,
        "the statements, then the start piece: {urls:?}"
    );

    // The pieces, in order, are the chunk's statements and its start statement.
    let mut joined = String::new();
    for url in &urls {
        let piece = get(&h, url).await;
        assert_eq!(piece.status, 200, "{url}");
        assert_eq!(
            piece.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(
            piece.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        joined.push_str(&piece.text());
    }
    let chunk = h.served.borrow().chunk.clone();
    let statements: String = chunk.parts.iter().map(|(_, s)| s.to_string()).collect();
    assert_eq!(
        joined,
        format!(
            "//# allFunctionsCalledOnLoad\n{statements}//# sourceMappingURL={}.map\n{}",
            // (Relative to the piece's own URL.)
            urls[0].rsplit('/').next().unwrap(),
            chunk.start()
        ),
        "V8's compile hint, then the statements"
    );
    // A piece's map is the index map of its own modules, its first after the hint's line.
    let map = get(&h, &format!("{}.map", urls[0])).await;
    assert_eq!(map.status, 200);
    let map: serde_json::Value = serde_json::from_slice(&map.body).unwrap();
    let sections = map["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["offset"]["line"], 1, "{map}");

    // An edit: the page names new pieces; a page that got the old HTML still loads its own.
    h.publish(served_with_page(2, "console.log('two');", false));
    let new_urls = piece_urls(&get(&h, "/").await.text());
    assert_ne!(new_urls, urls);
    for url in &urls {
        assert_eq!(get(&h, url).await.status, 200, "{url} of the last snapshot");
    }
    let missing = get(&h, "/_hotloop/piece/0123456789abcdef.js").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("reload"), "{}", missing.text());

    // A service worker's fetch of the page (to keep a copy it serves later) gets the page that
    // names the one chunk, always the current build's; a navigation gets the pieces.
    let kept = get_with(&h, "/", &["Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty"]).await;
    assert_eq!(kept.status, 200);
    assert!(kept.text().contains(CHUNK_TAG), "{}", kept.text());
    assert_eq!(piece_urls(&kept.text()), ["/_hotloop/chunk.js"]);
    let navigated = get_with(&h, "/", &["Sec-Fetch-Mode: navigate"]).await;
    assert_eq!(piece_urls(&navigated.text()), new_urls);
}

/// `GET /` while the cold build runs, read until the page's head (up to its chunk's tag) has
/// arrived: the connection, and what it read.
async fn page_head_during_the_build(h: &Harness) -> (TcpStream, Vec<u8>) {
    let mut stream = TcpStream::connect(h.addr).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        h.port()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = &PIECES_HTML[..PIECES_HTML.find(CHUNK_TAG).unwrap()];
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(head) {
        let n = timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("the page's head arrives at once")
            .unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    (stream, got)
}

#[tokio::test]
async fn during_the_cold_build_the_page_streams_up_to_its_chunk_and_names_the_pieces_once_built() {
    let h = start().await;
    h.publish(served_with_page(0, "console.log('building');", true));
    // At once: the page up to its chunk's tag (the runtime's tag in it), so the browser runs
    // the runtime meanwhile; the rest waits for the build.
    let (mut stream, mut got) = page_head_during_the_build(&h).await;
    assert!(
        !String::from_utf8_lossy(&got).contains("</body>"),
        "the rest waits for the build"
    );
    h.publish(served_with_page(5, "console.log('built');", false));
    timeout(WAIT, stream.read_to_end(&mut got))
        .await
        .expect("the rest arrives once built")
        .unwrap();
    let page = String::from_utf8_lossy(&got).into_owned();
    assert!(page.contains("</body>"), "{page}");
    assert!(
        !page.contains("/_hotloop/chunk.js"),
        "the pieces instead of the one chunk: {page}"
    );
    let urls = piece_urls(&page);
    assert_eq!(urls.len(), 2, "{page}");
    let mut joined = String::new();
    for url in &urls {
        joined.push_str(&get(&h, url).await.text());
    }
    assert!(joined.contains("console.log('built');"));
    assert!(joined.contains("__hotloop.start("));
    // Once built, the page is whole at once, with the same pieces.
    let again = get(&h, "/").await.text();
    assert_eq!(piece_urls(&again), urls);
}

#[tokio::test]
async fn a_page_asked_for_before_the_last_sessions_page_is_read_names_its_pieces_once_it_is() {
    // The binary binds with the page alone and publishes the record once read: a request in
    // between streams the head at once and the last session's pieces then, not at the build.
    let h = start().await;
    h.publish(served_with_page(0, "console.log('building');", true));
    let (mut stream, mut got) = page_head_during_the_build(&h).await;
    // So does a linked stylesheet it asks for meanwhile (it blocks the page's render, which
    // the build waits for).
    let addr = h.addr;
    let sheet_request = format!(
        "GET /src/style.css HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        h.port()
    );
    let base = h.served.receiver_count();
    let sheet = tokio::spawn(async move { raw(addr, sheet_request.as_bytes()).await });
    wait_for_receivers(&h, base + 1).await;
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    h.publish(Arc::new(last));
    timeout(WAIT, stream.read_to_end(&mut got))
        .await
        .expect("the rest arrives with the last session's page, the build still running")
        .unwrap();
    let sheet = timeout(WAIT, sheet)
        .await
        .expect("the sheet answers before the build")
        .unwrap();
    assert_eq!(
        (
            sheet.status,
            String::from_utf8_lossy(&sheet.body).into_owned()
        ),
        (200, STYLESHEET.to_owned())
    );
    let page = String::from_utf8_lossy(&got).into_owned();
    let urls = piece_urls(&page);
    assert_eq!(urls.len(), 2, "{page}");
    let mut joined = String::new();
    for url in &urls {
        joined.push_str(&get(&h, url).await.text());
    }
    assert!(joined.contains("console.log('last');"), "{joined}");
}

#[tokio::test]
async fn the_last_sessions_page_and_its_pieces_are_served_during_the_cold_build_and_maps_wait() {
    let h = start().await;
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    h.publish(Arc::new(last));
    // The page and its pieces answer at once, while the build runs; the engine hears a page
    // is on its way (its first build waits for that page's render).
    let page = get(&h, "/").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("x-hotloop-page"), Some("last-session"));
    assert_eq!(h.next_event().await, ClientEvent::PageRequested);
    let urls = piece_urls(&page.text());
    assert_eq!(urls.len(), 2, "{}", page.text());
    let mut joined = String::new();
    for url in &urls {
        let piece = get(&h, url).await;
        assert_eq!(piece.status, 200, "{url}");
        joined.push_str(&piece.text());
    }
    assert!(joined.contains("console.log('last');"), "{joined}");
    // So does a stylesheet it has (a `<link rel=stylesheet>` blocks the first render).
    let sheet = get(&h, "/src/style.css").await;
    assert_eq!((sheet.status, sheet.text()), (200, STYLESHEET.to_owned()));
    // And a file no build makes, from `public/` or the root: the page may wait for it before it
    // renders (a top-level `await fetch('/data.json')`), which that build waits for.
    let public = get(&h, "/favicon.svg").await;
    assert_eq!(public.status, 200);
    assert!(public.text().starts_with("<svg"), "{}", public.text());

    // A piece's map (it needs the modules) and the WebSocket hello wait for the build; so
    // does a path that is neither a module nor a file (a browser's `/favicon.ico`).
    let base = h.served.receiver_count();
    let missing = format!(
        "GET /favicon.ico HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        h.port()
    );
    let addr = h.addr;
    let missing = tokio::spawn(async move { raw(addr, missing.as_bytes()).await });
    wait_for_receivers(&h, base + 1).await;
    let mut ws = ws_ok(&h, "last-session").await;
    let request = format!(
        "GET {}.map HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        urls[0],
        h.port()
    );
    let addr = h.addr;
    let map = tokio::spawn(async move { raw(addr, request.as_bytes()).await });
    wait_for_receivers(&h, base + 3).await;
    assert!(!map.is_finished());
    // The missing file and the page's WebSocket wait without a word; the map's request says it
    // waits for the build, which then starts without waiting for a page to render.
    assert!(matches!(
        h.next_event().await,
        ClientEvent::Connected { .. }
    ));
    assert_eq!(h.next_event().await, ClientEvent::BuildAwaited);

    // The build made the same page: the same pieces, and the map answers from its modules.
    h.publish(served_with_page(0, "console.log('last');", false));
    let map = map.await.unwrap();
    assert_eq!(map.status, 200);
    assert_eq!(missing.await.unwrap().status, 404);
    let map: serde_json::Value = serde_json::from_slice(&map.body).unwrap();
    assert_eq!(map["sections"].as_array().unwrap().len(), 2, "{map}");
    assert_eq!(
        hello_of(&next_binary(&mut ws).await),
        ("test-server-ü".to_string(), 0)
    );
    let page = get(&h, "/").await;
    assert_eq!(page.header("x-hotloop-page"), None);
    assert_eq!(piece_urls(&page.text()), urls);
}

#[tokio::test]
async fn a_tab_of_the_last_sessions_page_holds_none_of_its_code_once_the_build_is_out() {
    // The record's chunk is a copy of every module's code (~5 MB at 10,000 modules): once the
    // build made the same page, neither the tab that loaded it nor the piece cache keeps it.
    let h = start().await;
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    let record = Arc::downgrade(&last.chunk);
    h.publish(Arc::new(last));
    let page = get(&h, "/").await;
    for url in piece_urls(&page.text()) {
        assert_eq!(get(&h, &url).await.status, 200, "{url}");
    }
    let mut ws = ws_ok(&h, "last-session").await;
    h.publish(served_with_page(0, "console.log('last');", false));
    assert_eq!(
        hello_of(&next_binary(&mut ws).await),
        ("test-server-ü".to_string(), 0)
    );
    timeout(WAIT, async {
        while record.strong_count() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the last session's chunk is dropped while its tab stays connected");
    drop(ws);
}

#[tokio::test]
async fn a_page_of_the_last_session_is_heard_before_its_hello_while_the_build_runs() {
    // The engine waits for such a page's `Rendered` before it builds: the session must read
    // the page's frames while its hello waits for the build.
    let h = start().await;
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    h.publish(Arc::new(last));
    let mut ws = ws_ok(&h, "last-session").await;
    let ClientEvent::Connected { client_id, .. } = h.next_event().await else {
        panic!("expected Connected");
    };
    ws.send(Message::binary(protocol::encode_client(
        &ClientMessage::Rendered,
    )))
    .await
    .unwrap();
    assert_eq!(
        h.next_event().await,
        ClientEvent::Message {
            client_id,
            message: ClientMessage::Rendered
        }
    );
    // Then the build: the hello.
    h.publish(served_with_page(0, "console.log('last');", false));
    assert_eq!(
        hello_of(&next_binary(&mut ws).await),
        ("test-server-ü".to_string(), 0)
    );
    // A malformed frame meanwhile closes the socket, as after the hello.
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    let h = start().await;
    h.publish(Arc::new(last));
    let mut ws = ws_ok(&h, "last-session").await;
    ws.send(Message::binary(vec![0xff, 1, 2, 3])).await.unwrap();
    assert!(matches!(
        ws.next().await,
        Some(Ok(Message::Close(Some(frame)))) if u16::from(frame.code) == 1007
    ));
}

#[tokio::test]
async fn a_tab_of_another_server_is_told_at_once_during_the_build_and_none_of_its_frames_go_on() {
    // A tab left open across a restart reconnects while the cold build runs: it hears this
    // server's id at once (and reloads into the page served meanwhile), and the engine hears
    // its connect and close, none of its frames (its runtime says `Rendered` on every connect).
    let h = start().await;
    let mut last = (*served_with_page(0, "console.log('last');", true)).clone();
    last.last_session = true;
    h.publish(Arc::new(last));
    let origin = format!("http://localhost:{}", h.port());
    let mut stale = ws_connect_to(
        &h,
        "/_hotloop/ws?server=an%20old%20one",
        Some(&origin),
        "old",
    )
    .await
    .unwrap();
    stale
        .send(Message::binary(protocol::encode_client(
            &ClientMessage::Rendered,
        )))
        .await
        .unwrap();
    assert_eq!(
        hello_of(&next_binary(&mut stale).await),
        ("test-server-ü".to_string(), 0)
    );
    assert!(matches!(
        next_message(&mut stale).await,
        Some(Ok(Message::Close(Some(frame)))) if u16::from(frame.code) == 1001
    ));
    let ClientEvent::Connected {
        client_id: old,
        user_agent,
    } = h.next_event().await
    else {
        panic!("expected Connected");
    };
    assert_eq!(user_agent.as_deref(), Some("old"));
    assert_eq!(
        h.next_event().await,
        ClientEvent::Disconnected { client_id: old },
        "nothing it said in between"
    );
    // A page of this server (or one that does not say) waits for the build.
    let path = format!(
        "/_hotloop/ws?server={}",
        percent_encoding::utf8_percent_encode("test-server-ü", percent_encoding::NON_ALPHANUMERIC)
    );
    let mut current = ws_connect_to(&h, &path, Some(&origin), "current")
        .await
        .unwrap();
    let ClientEvent::Connected { user_agent, .. } = h.next_event().await else {
        panic!("expected Connected");
    };
    assert_eq!(user_agent.as_deref(), Some("current"));
    h.publish(served_with_page(0, "console.log('last');", false));
    assert_eq!(
        hello_of(&next_binary(&mut current).await),
        ("test-server-ü".to_string(), 0)
    );
}

#[tokio::test]
async fn without_the_last_sessions_page_a_tab_of_another_server_waits_for_the_build() {
    // Told at once, it would reload into a page that cannot render before the build: it keeps
    // showing what it has until the build's hello.
    let h = start().await;
    h.publish(served_with_page(0, "console.log('building');", true));
    let origin = format!("http://localhost:{}", h.port());
    let mut stale = ws_connect_to(&h, "/_hotloop/ws?server=old", Some(&origin), "old")
        .await
        .unwrap();
    assert!(matches!(
        h.next_event().await,
        ClientEvent::Connected { .. }
    ));
    h.publish(served_with_page(3, "console.log('built');", false));
    assert_eq!(
        hello_of(&next_binary(&mut stale).await),
        ("test-server-ü".to_string(), 3),
        "the build's hello, the first it hears"
    );
}

#[tokio::test]
async fn a_taken_port_gives_the_next_free_one_unless_the_port_is_strict() {
    let project = project();
    // A port someone else listens on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = ServerConfig::new(&project.root);
    config.port = port;
    let bound = server::bind(config.clone())
        .await
        .expect("the next free port");
    let got = bound.local_addr().port();
    assert!(
        got > port && got <= port + server::PORT_TRIES,
        "{port} -> {got}"
    );
    drop(bound);

    config.strict_port = true;
    match server::bind(config).await {
        Err(error @ server::ServerError::Bind { .. }) => {
            // The OS error is said once in the chain a user reads (`{:#}`): as the source,
            // not also in the message.
            let mut chain = vec![error.to_string()];
            let mut cause = std::error::Error::source(&error);
            while let Some(next) = cause {
                chain.push(next.to_string());
                cause = next.source();
            }
            assert_eq!(chain.len(), 2, "{chain:?}");
            assert_eq!(chain[0], format!("cannot listen on 127.0.0.1:{port}"));
            let server::ServerError::Bind { addr, source } = error else {
                unreachable!()
            };
            assert_eq!(addr.port(), port);
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse);
        }
        Err(other) => panic!("{other}"),
        Ok(bound) => panic!("bound {} though the port is strict", bound.local_addr()),
    }
}

#[tokio::test]
async fn the_public_dir_may_be_another_directory_outside_the_root_or_none() {
    // Vite's `publicDir: '../static'`: its files at the root's URLs, the rest not served.
    let h = start_with(
        |config, project| {
            let dir = project.outside.join("static");
            write(&dir.join("logo.txt"), "from static\n");
            config.public_dir = Some(dir);
        },
        64,
    )
    .await;
    let logo = get(&h, "/logo.txt").await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.body, b"from static\n");
    // `ROOT/public` is no public directory now: its file is not at `/favicon.svg`.
    assert_eq!(get(&h, "/favicon.svg").await.status, 404);
    assert_eq!(get(&h, "/public/favicon.svg").await.status, 200);
    // The public directory's siblings outside the root stay unserved.
    assert_eq!(get(&h, "/secret.txt").await.status, 404);

    // `publicDir: false`: no public directory.
    let h = start_with(|config, _| config.public_dir = None, 64).await;
    assert_eq!(get(&h, "/favicon.svg").await.status, 404);
    assert_eq!(get(&h, "/src/app.js").await.status, 200);
}

/// Vite's `base`: the page and the files under it, its own address without it redirected
/// there (query kept), hotloop's and base-less URLs still served.
#[tokio::test]
async fn the_app_is_served_under_the_base() {
    let h = start_with(|config, _| config.base = "/app/".into(), 64).await;
    for (target, location) in [
        ("/", "/app/"),
        ("/index.html", "/app/"),
        ("/app", "/app/"),
        ("/app?x=1", "/app/?x=1"),
    ] {
        let reply = get(&h, target).await;
        assert_eq!(reply.status, 302, "{target}");
        assert_eq!(reply.header("location"), Some(location), "{target}");
    }
    let page = get(&h, "/app/").await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("/_hotloop/chunk.js"));
    // An SPA route under the base is the page too.
    assert_eq!(
        get_with(&h, "/app/settings", &["Accept: text/html"])
            .await
            .status,
        200
    );
    for target in [
        "/app/favicon.svg",
        "/favicon.svg",
        "/app/src/app.js",
        "/_hotloop/runtime.js",
        "/app/_hotloop/runtime.js",
    ] {
        assert_eq!(get(&h, target).await.status, 200, "{target}");
    }
    // A path that only starts like the base is not under it.
    assert_eq!(get(&h, "/application.js").await.status, 404);
    h.stop().await.unwrap();
}

/// `/@id/<id>` requests nothing else answers go to the binary's source (the plugins), the id
/// unwrapped as Vite does; a file it names outside the served directories is refused.
#[tokio::test]
async fn module_ids_are_answered_by_the_plugins() {
    let h = start_with(
        |config, project| {
            let outside = project.outside.join("secret.txt");
            let inside = project.root.join("src/app.js");
            config.module_by_id = Some(server::ModuleByIdSource::new(move |id| match id {
                "virtual:a/sheet.css" => Some(server::ModuleById {
                    content_type: "text/css",
                    body: ".a{}".into(),
                    file: Some(inside.clone()),
                    compiled_file: false,
                }),
                "\0virtual:b?x=1" => Some(server::ModuleById {
                    content_type: "text/javascript",
                    body: "window.b = 1".into(),
                    file: None,
                    compiled_file: false,
                }),
                "virtual:leak" => Some(server::ModuleById {
                    content_type: "text/javascript",
                    body: "secret".into(),
                    file: Some(outside.clone()),
                    compiled_file: false,
                }),
                _ => None,
            }));
        },
        64,
    )
    .await;
    let sheet = get(&h, "/@id/virtual:a/sheet.css").await;
    assert_eq!(sheet.status, 200);
    assert_eq!(sheet.header("content-type"), Some("text/css"));
    assert_eq!(sheet.body, b".a{}");
    let script = get(&h, "/@id/__x00__virtual:b?x=1").await;
    assert_eq!(script.status, 200);
    assert_eq!(script.header("content-type"), Some("text/javascript"));
    assert_eq!(get(&h, "/@id/virtual:leak").await.status, 403);
    assert_eq!(get(&h, "/@id/virtual:nothing").await.status, 404);
    h.stop().await.unwrap();
}

// ---------------------------------------------------------------- HTTPS

mod tls_client;
use tls_client::{TLS_CERT, TLS_KEY};

async fn tls_connect(h: &Harness) -> tokio_rustls::client::TlsStream<TcpStream> {
    tls_client::connect(h.addr, WAIT).await
}

#[tokio::test]
async fn with_a_certificate_the_page_and_the_websocket_are_served_over_tls() {
    let h = start_with(
        |c, _| {
            c.tls = Some(server::Tls::from_pem(TLS_CERT.as_bytes(), TLS_KEY.as_bytes()).unwrap())
        },
        64,
    )
    .await;
    // A client that connects and says nothing holds up no one (handshakes run on their own).
    let _silent = TcpStream::connect(h.addr).await.unwrap();

    let mut tls = tls_connect(&h).await;
    let request = format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        h.port()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    timeout(WAIT, tls.read_to_end(&mut bytes))
        .await
        .expect("no reply over TLS")
        .unwrap();
    let page = raw_http::parse_reply(&bytes);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains("/_hotloop/runtime.js"),
        "{}",
        page.text()
    );

    // The live updates as WSS on the same port: the hello first, then a broadcast.
    let mut request = format!("wss://localhost:{}/_hotloop/ws", h.port())
        .into_client_request()
        .unwrap();
    let origin = format!("https://localhost:{}", h.port());
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    let (mut ws, _) = timeout(
        WAIT,
        tokio_tungstenite::client_async(request, tls_connect(&h).await),
    )
    .await
    .expect("WSS handshake timed out")
    .expect("WSS handshake");
    let first = timeout(WAIT, ws.next())
        .await
        .expect("no hello")
        .unwrap()
        .unwrap();
    let Message::Binary(hello) = first else {
        panic!("expected the hello, got {first:?}")
    };
    let (server_id, _) = hello_of(&hello);
    assert!(!server_id.is_empty());

    // Plain HTTP to the port is told to use https://, in plain HTTP.
    let plain = get(&h, "/").await;
    assert_eq!(plain.status, 400);
    assert!(plain.text().contains("https://"), "{}", plain.text());
    h.stop().await.unwrap();
}

#[test]
fn a_certificate_and_key_that_cannot_serve_say_which_part_is_wrong() {
    let other_key = include_str!("fixtures/tls/other-key.pem");
    let error = |cert: &str, key: &str| {
        server::Tls::from_pem(cert.as_bytes(), key.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert!(error(TLS_KEY, TLS_KEY).contains("the cert holds no certificate"));
    assert!(error(TLS_CERT, TLS_CERT).contains("the key holds no private key"));
    assert!(error(TLS_CERT, "").contains("the key holds no private key"));
    assert!(
        error(TLS_CERT, other_key).contains("do not work together"),
        "{}",
        error(TLS_CERT, other_key)
    );
    // One text holding both (what @vitejs/plugin-basic-ssl passes as cert and key) serves.
    let both = format!("{TLS_KEY}{TLS_CERT}");
    assert!(server::Tls::from_pem(both.as_bytes(), both.as_bytes()).is_ok());
}
