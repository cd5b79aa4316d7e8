//! The app's own server behind hotloop (server-side HMR) end to end: a real backend (axum on
//! 127.0.0.1:0) standing in for the app's server process, a real hotloop server over a temp
//! root, requests written on raw TCP and a real WebSocket client. Every wait has a time-out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message as BackendMessage, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, get};
use futures_util::{SinkExt, StreamExt};
use hotloop_protocol::{Diagnostic, DiagnosticKind, PageInjection, Served};
use hotloop_server::{self as server, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(10);
const RUNTIME_TAG: &str = r#"<script src="/_hotloop/runtime.js"></script>"#;
/// The head tags as the app's pages get them: the server-rendered mark (the page host reads
/// it), then the runtime.
const HEAD_TAGS: &str = r#"<script>__hotloop_server_rendered=true</script><script src="/_hotloop/runtime.js"></script>"#;
const CHUNK_TAG: &str = r#"<script defer src="/_hotloop/chunk.js"></script>"#;
const ENTRY: &str = "/src/entry-client.tsx";
/// What the app renders: Vite's SSR template with the app's HTML in it.
const PAGE: &str = "<!doctype html><html><head><title>ssr</title>\
    <script type=\"module\" src=\"/src/entry-client.tsx\"></script></head>\
    <body><div id=\"app\">rendered</div></body></html>";

#[path = "../../../tests/support/raw_http.rs"]
mod raw_http;
use raw_http::Reply;

/// The app's server: pages, an API, a file path it would answer too, a WebSocket echo.
async fn app() -> SocketAddr {
    let page = |status: StatusCode| {
        (
            status,
            [
                ("content-type", "text/html; charset=utf-8"),
                ("set-cookie", "session=1; HttpOnly"),
                ("x-app", "yes"),
            ],
            PAGE,
        )
    };
    let app = Router::new()
        .route("/", get(move || async move { page(StatusCode::OK) }))
        .route(
            "/missing",
            get(move || async move { page(StatusCode::NOT_FOUND) }),
        )
        .route(
            "/api/echo",
            any(
                |method: axum::http::Method, headers: HeaderMap, body: String| async move {
                    let host = headers
                        .get("host")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_owned();
                    (
                        StatusCode::CREATED,
                        [("content-type", "application/json")],
                        format!(
                            "{{\"method\":\"{method}\",\"body\":\"{body}\",\"host\":\"{host}\"}}"
                        ),
                    )
                },
            ),
        )
        .route(
            "/api/text",
            get(|| async { ([("content-type", "text/plain")], PAGE) }),
        )
        .route("/src/app.js", get(|| async { "the app's answer" }))
        .route(
            "/cached",
            get(|| async { (StatusCode::NOT_MODIFIED, [("content-type", "text/html")]) }),
        )
        .route(
            "/live",
            get(|ws: WebSocketUpgrade| async {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(BackendMessage::Text(text))) = socket.recv().await {
                        let reply = format!("app {}", text.as_str());
                        if socket
                            .send(BackendMessage::Text(reply.into()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                })
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

struct Hotloop {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

async fn hotloop(app_port: u16) -> Hotloop {
    hotloop_waiting(app_port, Duration::from_millis(200)).await
}

/// hotloop forwarding to `app_port`, a request waiting `wait` for it to listen.
async fn hotloop_waiting(app_port: u16, wait: Duration) -> Hotloop {
    hotloop_with(app_port, wait, Arc::new([])).await
}

/// [`hotloop_waiting`], its snapshot holding `errors`.
async fn hotloop_with(app_port: u16, wait: Duration, errors: Arc<[Diagnostic]>) -> Hotloop {
    hotloop_told(app_port, wait, errors, Arc::default()).await
}

/// [`hotloop_with`], `stopped` shared with it as `ServerConfig::app_server_stopped`.
async fn hotloop_told(
    app_port: u16,
    wait: Duration,
    errors: Arc<[Diagnostic]>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
) -> Hotloop {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html>hotloop's page",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/app.js"), "export const onDisk = 1;\n").unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.port = 0;
    config.app_server = Some(app_port);
    config.app_server_wait = wait;
    config.app_server_stopped = stopped;
    let bound = server::bind(config).await.unwrap();
    let addr = bound.local_addr();
    let served = Served {
        html: Some(Arc::from("<!doctype html>hotloop's page")),
        injection: Arc::new(PageInjection {
            head_tags: Arc::from(RUNTIME_TAG),
            chunk_tag: Arc::from(CHUNK_TAG),
            entries: Arc::from([Arc::from(ENTRY)]),
        }),
        errors,
        ..Served::empty("test".into())
    };
    let (_served_tx, served_rx) = watch::channel(Arc::new(served));
    let (updates, _) = tokio::sync::broadcast::channel(4);
    let (events, _) = crossbeam_channel::unbounded();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(bound.run(served_rx, updates, events, async move {
        let _ = stopped.await;
    }));
    Hotloop {
        addr,
        _dir: dir,
        _stop: stop,
    }
}

async fn request(h: &Hotloop, method: &str, target: &str, accept: &str, body: &str) -> Reply {
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost:{}\r\nAccept: {accept}\r\n\
         Accept-Encoding: gzip, br\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        h.addr.port(),
        body.len()
    );
    raw_http::raw(h.addr, request.as_bytes(), WAIT).await
}

/// A port nothing listens on while the socket lives: bound, not listening, so connections are
/// refused and no other test can take the port (`listen` makes it the app's server's).
fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

#[tokio::test]
async fn the_apps_html_gets_the_client_with_its_status_and_headers_kept() {
    let app = app().await;
    let h = hotloop(app.port()).await;
    let expected = format!(
        "<!doctype html><html><head>{HEAD_TAGS}<title>ssr</title>{CHUNK_TAG}</head>\
         <body><div id=\"app\">rendered</div></body></html>"
    );
    for (path, status) in [("/", 200), ("/missing", 404)] {
        let r = request(&h, "GET", path, "text/html", "").await;
        assert_eq!(r.status, status, "{path}: {}", r.text());
        assert_eq!(r.text(), expected, "{path}");
        assert_eq!(r.header("x-app"), Some("yes"));
        assert_eq!(r.header("set-cookie"), Some("session=1; HttpOnly"));
        if let Some(length) = r.header("content-length") {
            assert_eq!(length, r.body.len().to_string(), "a stale Content-Length");
        }
    }
    // Nothing to inject into a body that is not there.
    let r = request(&h, "GET", "/cached", "text/html", "").await;
    assert_eq!((r.status, r.body.len()), (304, 0));
    // hotloop's own page is still there by name.
    let r = request(&h, "GET", "/index.html", "text/html", "").await;
    assert_eq!(r.text(), "<!doctype html>hotloop's page");
}

#[tokio::test]
async fn what_hotloop_does_not_serve_reaches_the_app_with_method_body_and_host() {
    let app = app().await;
    let h = hotloop(app.port()).await;
    let page_host = format!("localhost:{}", h.addr.port());
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let body = if method == "GET" { "" } else { "payload" };
        let r = request(&h, method, "/api/echo", "*/*", body).await;
        assert_eq!(r.status, 201, "{method}: {}", r.text());
        assert_eq!(
            r.text(),
            format!("{{\"method\":\"{method}\",\"body\":\"{body}\",\"host\":\"{page_host}\"}}")
        );
    }
    // Not HTML: byte for byte, entry script and all.
    let r = request(&h, "GET", "/api/text", "*/*", "").await;
    assert_eq!((r.status, r.text().as_str()), (200, PAGE));
}

#[tokio::test]
async fn a_file_under_the_root_is_still_served_by_hotloop() {
    let app = app().await;
    let h = hotloop(app.port()).await;
    let r = request(&h, "GET", "/src/app.js", "*/*", "").await;
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "export const onDisk = 1;\n")
    );
    // Hotloop's own routes answer GET only; the rest is not the app's either.
    let r = request(&h, "POST", "/_hotloop/chunk.js", "*/*", "x").await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn websocket_upgrades_reach_the_app() {
    let app = app().await;
    let h = hotloop(app.port()).await;
    let mut request = format!("ws://127.0.0.1:{}/live", h.addr.port())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "origin",
        format!("http://localhost:{}", h.addr.port())
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("handshake timed out")
        .expect("upgrade accepted");
    ws.send(Message::Text("hi".into())).await.unwrap();
    let reply = timeout(WAIT, ws.next())
        .await
        .expect("no reply within the time-out")
        .expect("stream open")
        .unwrap();
    assert_eq!(reply, Message::Text("app hi".into()));
}

/// An app that streams its page: the shell at once, the rest when `release` fires.
async fn streaming_app(release: oneshot::Receiver<()>) -> SocketAddr {
    let release = Arc::new(std::sync::Mutex::new(Some(release)));
    let app = Router::new().route(
        "/stream",
        get(move || {
            let release = release.lock().unwrap().take();
            async move {
                let parts = futures_util::stream::unfold((0u8, release), |(step, release)| async move {
                    match step {
                        0 => Some((
                            Ok::<_, std::io::Error>(
                                "<!doctype html><html><head><title>s</title></head><body><p>shell</p>",
                            ),
                            (1, release),
                        )),
                        1 => {
                            if let Some(release) = release {
                                let _ = release.await;
                            }
                            Some((
                                Ok("<p>late</p><script type=\"module\" \
                                    src=\"/src/entry-client.tsx\"></script></body></html>"),
                                (2, None),
                            ))
                        }
                        _ => None,
                    }
                });
                (
                    [("content-type", "text/html")],
                    axum::body::Body::from_stream(parts),
                )
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn a_streamed_page_is_injected_as_it_streams() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (release, released) = oneshot::channel();
    let app = streaming_app(released).await;
    let h = hotloop(app.port()).await;
    let mut stream = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let request = format!(
        "GET /stream HTTP/1.1\r\nHost: localhost:{}\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
        h.addr.port()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    // The shell, with the runtime in its head, arrives while the app still holds the rest.
    while !String::from_utf8_lossy(&seen).contains("shell") {
        let n = timeout(WAIT, stream.read(&mut buffer))
            .await
            .expect("the shell did not arrive before the rest: the page was buffered")
            .unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains(RUNTIME_TAG));
    release.send(()).unwrap();
    timeout(WAIT, stream.read_to_end(&mut seen))
        .await
        .expect("the rest did not arrive")
        .unwrap();
    let text = dechunk(&String::from_utf8_lossy(&seen));
    assert_eq!(
        text,
        format!(
            "<!doctype html><html><head>{HEAD_TAGS}<title>s</title></head><body><p>shell</p>\
             <p>late</p>{CHUNK_TAG}</body></html>"
        )
    );
}

/// The body of a chunked HTTP/1.1 response.
fn dechunk(response: &str) -> String {
    let (_, mut rest) = response.split_once("\r\n\r\n").expect("a head");
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

#[tokio::test]
async fn a_request_made_while_the_app_server_starts_waits_for_it() {
    // Refused until it listens (a port closed and bound again later could be taken meanwhile).
    let (socket, port) = closed_port();
    let h = hotloop_waiting(port, Duration::from_secs(10)).await;
    // The app's server starts listening a moment after the request arrives.
    let (listening_tx, listening) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = socket.listen(1024).unwrap();
        let _ = listening_tx.send(());
        let app =
            axum::Router::new().route("/late", axum::routing::get(|| async { "late but here" }));
        axum::serve(listener, app).await.unwrap();
    });
    let r = request(&h, "GET", "/late", "*/*", "").await;
    listening.await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "late but here");
}

/// What the app's server last threw is in the build's errors: a page it cannot answer (it
/// crashed at every start, say) shows them, having no overlay of its own.
#[tokio::test]
async fn an_app_server_that_is_down_shows_what_it_threw() {
    let (_closed, port) = closed_port();
    let thrown = Diagnostic {
        kind: DiagnosticKind::Runtime,
        file: "/src/server.ts".into(),
        line: 7,
        column: 5,
        message: "the app's server threw: boom <at start>".into(),
        code_frame: "> 7 | setTimeout(() => { throw new Error('boom') })".into(),
    };
    let h = hotloop_with(port, Duration::from_millis(200), Arc::new([thrown])).await;
    let r = request(&h, "GET", "/", "text/html", "").await;
    assert_eq!(r.status, 503);
    let text = r.text();
    assert!(
        text.contains(
            "<h2>Errors</h2><pre>/src/server.ts:7:5: the app's server threw: boom &lt;at start&gt;"
        ),
        "{text}"
    );
    assert!(text.contains("throw new Error("), "{text}");
    // The runtime starts on it as on an error page: the overlay shows them, and follows the fix.
    assert!(
        text.ends_with(&format!(
            "{RUNTIME_TAG}<script>__hotloop_error_page=true</script>{CHUNK_TAG}"
        )),
        "{text}"
    );
    let r = request(&h, "GET", "/api/x", "*/*", "").await;
    assert!(
        r.text()
            .contains("/src/server.ts:7:5: the app's server threw: boom <at start>")
    );
}

/// An app's server that kept exiting waits for the next edit: the 503 says so, at once (no
/// wait for it to listen).
#[tokio::test]
async fn an_app_server_that_kept_exiting_is_a_503_that_says_it_waits_for_an_edit() {
    let (_closed, port) = closed_port();
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let h = hotloop_told(port, Duration::from_secs(60), Arc::new([]), stopped).await;
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        request(&h, "GET", "/api/x", "*/*", ""),
    )
    .await
    .expect("answered without waiting for the app's server to listen");
    assert_eq!(r.status, 503);
    let text = r.text();
    assert!(
        text.contains("is not running: it keeps exiting, and starts again with the next edit")
            && !text.contains("is starting"),
        "{text}"
    );
    let r = request(&h, "GET", "/", "text/html", "").await;
    assert!(r.text().contains("starts again with the next edit"));
}

#[tokio::test]
async fn an_app_server_that_is_down_is_a_503_page_that_waits_for_it() {
    let (_closed, port) = closed_port();
    let h = hotloop(port).await;
    let r = request(&h, "GET", "/", "text/html", "").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    let text = r.text();
    assert!(
        text.contains(&format!(
            "the app's server (http://127.0.0.1:{port}) is not running"
        )) && text.contains("reloads when it answers again")
            && text.contains("location.reload()"),
        "{text}"
    );
    let r = request(&h, "POST", "/api/echo", "*/*", "x").await;
    assert_eq!(r.status, 503);
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{:?}",
        r.headers
    );
    // Files are served all the same.
    let r = request(&h, "GET", "/src/app.js", "*/*", "").await;
    assert_eq!(r.status, 200);
}
