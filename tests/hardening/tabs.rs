//! Many tabs: every update reaches every tab, and a tab that stops reading neither stalls the
//! others nor silently misses updates (it is closed; on reconnect its revision no longer
//! matches and it reloads). CI runs 20 tabs; `HOTLOOP_LONG_TESTS=1` runs 50.

use std::time::{Duration, Instant};

use hotloop_protocol::wire::ServerMessage;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{
    Client, Project, Server, WAIT, long_tests, revision_of, version_in, versioned_module,
};

fn tabs() -> usize {
    if long_tests() { 50 } else { 20 }
}

fn project(extra: &[(&str, &str)]) -> Project {
    let mut files: Vec<(&str, &str)> = vec![
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        ("src/main.js", "import './hot.js';\nimport './big.js';\n"),
    ];
    let hot = versioned_module("hot", 0);
    let big = big_module(0);
    files.push(("src/hot.js", &hot));
    files.push(("src/big.js", &big));
    files.extend_from_slice(extra);
    Project::from_files(&files)
}

/// A self-accepting module of about 256 KB: its updates fill a socket's buffers fast.
fn big_module(version: usize) -> String {
    let filler = "x".repeat(256 * 1024);
    format!(
        "export const value = \"big:v{version}\";\nexport const filler = \"{filler}\";\nif (import.meta.hot) import.meta.hot.accept();\n"
    )
}

/// Every tab reads until it has the update carrying `id` at `version`.
async fn all_receive(clients: &mut [Client], id: &str, name: &str, version: usize) {
    for (i, client) in clients.iter_mut().enumerate() {
        let got = tokio::time::timeout(
            WAIT,
            client.until_module(id, WAIT, |c| version_in(c, name) == Some(version)),
        )
        .await;
        assert!(got.is_ok(), "tab {i} never got {name} v{version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_reaches_every_tab() {
    let p = project(&[]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut clients = Vec::new();
    for _ in 0..tabs() {
        clients.push(server.client().await);
    }
    let edits = if long_tests() { 100 } else { 25 };
    for v in 1..=edits {
        p.write("src/hot.js", versioned_module("hot", v));
        // One tab at a time gets its turn; the others' frames wait in their sockets.
        all_receive(&mut clients, "/src/hot.js", "hot", v).await;
    }
    // Everyone saw the same revisions, in order, none missing.
    let revisions = |c: &Client| -> Vec<u32> {
        c.messages
            .iter()
            .filter(|m| matches!(m, ServerMessage::Update(_)))
            .map(revision_of)
            .collect()
    };
    let first = revisions(&clients[0]);
    assert_eq!(first.len(), edits, "{first:?}");
    assert!(first.windows(2).all(|w| w[1] == w[0] + 1), "{first:?}");
    for (i, c) in clients.iter().enumerate() {
        assert_eq!(revisions(c), first, "tab {i}");
    }
    server.assert_serving().await;
    eprintln!(
        "tabs: {edits} updates reached each of {} tabs",
        clients.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_stops_reading_does_not_stall_the_others() {
    let p = project(&[]);
    // The log's lines about connections (detail, not shown by default) say when the server
    // gave up on a tab.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hotloop"));
    command.env("HMR_LOG", "warn,hotloop::clients=debug");
    let mut server = Server::start_with(command, p.root(), &[]).await;

    // The stalled tab connects first (client 1) with a small receive buffer, reads Hello,
    // then stops reading.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(server.addr).await.expect("connect");
    let mut request = format!("ws://127.0.0.1:{}/_hotloop/ws", server.port())
        .into_client_request()
        .expect("request");
    let origin = format!("http://127.0.0.1:{}", server.port());
    request
        .headers_mut()
        .insert("origin", origin.parse().expect("origin"));
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .expect("handshake");
    let mut stalled = Client {
        ws,
        messages: Vec::new(),
        closed: None,
    };
    assert!(matches!(
        stalled.next(WAIT).await,
        Some(ServerMessage::Hello { .. })
    ));
    server
        .wait_line(0, WAIT, |l| l.contains("client 1 connected"))
        .await;

    let mut readers = Vec::new();
    for _ in 1..tabs() {
        readers.push(server.client().await);
    }
    // Updates of ~256 KB each: far more than the stalled socket's buffers hold.
    let edits = 40;
    let mut slowest = Duration::ZERO;
    for v in 1..=edits {
        let start = Instant::now();
        p.write("src/big.js", big_module(v));
        all_receive(&mut readers, "/src/big.js", "big", v).await;
        slowest = slowest.max(start.elapsed());
    }
    // The server gives up on the stalled tab (a send that cannot complete), without waiting
    // on it for anyone else.
    let mark = Instant::now();
    server
        .wait_line(0, Duration::from_secs(40), |l| {
            l.contains("client 1 disconnected")
        })
        .await;
    let dropped_after = mark.elapsed();
    // The others still get the next update.
    p.write("src/hot.js", versioned_module("hot", 1));
    all_receive(&mut readers, "/src/hot.js", "hot", 1).await;
    server.assert_serving().await;

    // What the stalled tab finds when it reads again: the updates in order, none skipped,
    // then the end of the connection (a close frame or a reset) or a reload request. On
    // reconnect its revision no longer matches `Hello` and the runtime reloads.
    let mut last = 0;
    loop {
        match stalled.next(WAIT).await {
            Some(ServerMessage::Update(u)) => {
                assert_eq!(u.revision, last + 1, "the stalled tab skipped an update");
                last = u.revision;
            }
            Some(ServerMessage::FullReload { .. }) | None => break,
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        (last as usize) < edits,
        "the stalled tab received everything ({last}); its buffers never filled"
    );
    let fresh = server.client().await;
    match fresh.messages.first() {
        Some(ServerMessage::Hello { revision, .. }) => assert!(*revision > last),
        other => panic!("expected Hello, got {other:?}"),
    }
    eprintln!(
        "tabs: {} reading tabs got each of {edits} 256 KB updates (slowest round {slowest:?}); \
         the stalled tab got {last} of them and was closed {dropped_after:?} after the last \
         one ({:?})",
        readers.len(),
        stalled.closed
    );
}
