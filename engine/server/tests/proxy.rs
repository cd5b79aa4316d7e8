//! `--proxy` end to end: a real backend (axum on 127.0.0.1:0) behind a real hotloop server,
//! requests written on raw TCP and a real WebSocket client. Every wait has a time-out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message as BackendMessage, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use hotloop_protocol::Served;
use hotloop_server::{self as server, ProxyRule, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(10);

#[path = "../../../tests/support/raw_http.rs"]
mod raw_http;
use raw_http::Reply;

mod tls_client;

/// The app's backend: what it saw of each request, an echo, a base-path route, a WebSocket
/// echo.
async fn backend() -> SocketAddr {
    let header = |headers: &HeaderMap, name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned()
    };
    let app = Router::new()
        .route(
            "/api/hello",
            get(move |headers: HeaderMap, uri: Uri| async move {
                format!(
                    "hello host={} fwd={} proto={} uri={}",
                    header(&headers, "host"),
                    header(&headers, "x-forwarded-host"),
                    header(&headers, "x-forwarded-proto"),
                    uri
                )
            }),
        )
        .route(
            "/api/echo",
            post(|body: String| async move {
                (
                    StatusCode::CREATED,
                    [("x-backend", "yes")],
                    format!("echo {body}"),
                )
            }),
        )
        .route("/v1/api/hello", get(|| async { "from the base path" }))
        .route(
            "/api/ws",
            get(|ws: WebSocketUpgrade| async {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(message)) = socket.recv().await {
                        if let BackendMessage::Text(text) = message {
                            let reply = format!("echo {}", text.as_str());
                            if socket
                                .send(BackendMessage::Text(reply.into()))
                                .await
                                .is_err()
                            {
                                break;
                            }
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

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

struct Hotloop {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

async fn hotloop(rules: &[String]) -> Hotloop {
    hotloop_with(rules, None).await
}

async fn hotloop_with(rules: &[String], tls: Option<server::Tls>) -> Hotloop {
    let rules = rules
        .iter()
        .map(|r| r.parse::<ProxyRule>().unwrap())
        .collect();
    hotloop_with_rules(rules, tls).await
}

async fn hotloop_with_rules(rules: Vec<ProxyRule>, tls: Option<server::Tls>) -> Hotloop {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.port = 0;
    config.tls = tls;
    config.proxy = rules;
    let bound = server::bind(config).await.unwrap();
    let addr = bound.local_addr();
    let (_served_tx, served_rx) = watch::channel(Arc::new(Served::empty("test".into())));
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

async fn request(h: &Hotloop, method: &str, target: &str, body: &str) -> Reply {
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        h.addr.port(),
        body.len()
    );
    raw_http::raw(h.addr, request.as_bytes(), WAIT).await
}

#[tokio::test]
async fn requests_under_a_prefix_reach_the_backend_with_their_method_and_body() {
    let backend = backend().await;
    let h = hotloop(&[format!("/api=http://{backend}")]).await;

    let r = request(&h, "GET", "/api/hello?x=1", "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        format!(
            "hello host={backend} fwd=localhost:{} proto=http uri=/api/hello?x=1",
            h.addr.port()
        )
    );

    let r = request(&h, "POST", "/api/echo", "ping").await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("x-backend"), Some("yes"));
    assert_eq!(r.text(), "echo ping");

    // Everything else is hotloop's, which still refuses other methods.
    let r = request(&h, "POST", "/other", "ping").await;
    assert_eq!(r.status, 405);
    let r = request(&h, "GET", "/apix", "").await;
    assert_ne!(r.status, 200, "{}", r.text());
}

/// The page over HTTPS: the backend is told so (`X-Forwarded-Proto`), as it builds URLs.
#[tokio::test]
async fn a_page_served_over_https_is_forwarded_as_https() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let backend = backend().await;
    let h = hotloop_with(&[format!("/api=http://{backend}")], Some(tls_client::tls())).await;
    let mut tls = tls_client::connect(h.addr, WAIT).await;
    let request = format!(
        "GET /api/hello HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        h.addr.port()
    );
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(WAIT, tls.read_to_end(&mut bytes))
        .await
        .expect("no reply over TLS")
        .unwrap();
    let r = raw_http::parse_reply(&bytes);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(" proto=https "), "{}", r.text());
}

#[tokio::test]
async fn a_target_path_is_prepended() {
    let backend = backend().await;
    let h = hotloop(&[format!("/api=http://{backend}/v1/")]).await;
    let r = request(&h, "GET", "/api/hello", "").await;
    assert_eq!((r.status, r.text().as_str()), (200, "from the base path"));
}

#[tokio::test]
async fn websocket_upgrades_are_forwarded_from_the_pages_origin_only() {
    let backend = backend().await;
    let h = hotloop(&[format!("/api=http://{backend}")]).await;
    let connect = |origin: String| {
        let mut request = format!("ws://127.0.0.1:{}/api/ws", h.addr.port())
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        timeout(WAIT, tokio_tungstenite::connect_async(request))
    };

    let (mut ws, _) = connect(format!("http://localhost:{}", h.addr.port()))
        .await
        .expect("handshake timed out")
        .expect("upgrade accepted");
    for text in ["one", "two"] {
        ws.send(Message::Text(text.into())).await.unwrap();
        let reply = timeout(WAIT, ws.next())
            .await
            .expect("no reply within the time-out")
            .expect("stream open")
            .unwrap();
        assert_eq!(reply, Message::Text(format!("echo {text}").into()));
    }

    let refused = connect("http://evil.example".into())
        .await
        .expect("handshake timed out");
    assert!(refused.is_err(), "a foreign origin was let through");
}

#[tokio::test]
async fn an_unreachable_backend_is_a_502_that_says_what_to_do() {
    let port = closed_port().await;
    let h = hotloop(&[format!("/api=http://127.0.0.1:{port}")]).await;
    let r = request(&h, "GET", "/api/hello", "").await;
    assert_eq!(r.status, 502);
    let text = r.text();
    assert!(
        text.contains(&format!(
            "the proxy for /api could not reach http://127.0.0.1:{port}/api/hello"
        )) && text.contains("Is the backend running")
            && text.contains("or change --proxy."),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_backend_of_the_vite_configs_proxy_names_the_config_to_change() {
    let port = closed_port().await;
    let mut rule = format!("/api=http://127.0.0.1:{port}")
        .parse::<ProxyRule>()
        .unwrap();
    rule.set_in = Some("vite.config".into());
    let h = hotloop_with_rules(vec![rule], None).await;
    let r = request(&h, "GET", "/api/hello", "").await;
    assert_eq!(r.status, 502);
    let text = r.text();
    assert!(
        text.contains("Start it, or change server.proxy['/api'] in the vite.config."),
        "{text}"
    );
}
