//! Files that break the build in unusual ways: each gives a clear error naming the file (or
//! correct behaviour), never a crash — the process stays up and `GET /` answers — and the
//! server recovers when the file is fixed.

use hotloop_protocol::wire::ServerMessage;

use crate::support::{Client, Project, Server, WAIT, version_in, versioned_module};

/// `index.html` → `/src/main.js`, which imports `./a.js` (self-accepting, version 0) and
/// `extra` imports.
fn app(extra_imports: &[&str], files: &[(&str, &str)]) -> Project {
    let mut main = String::from("import { value } from './a.js';\n");
    for spec in extra_imports {
        main.push_str(&format!("import '{spec}';\n"));
    }
    main.push_str("console.log(value);\n");
    let a = versioned_module("a", 0);
    let mut all: Vec<(&str, &str)> = vec![
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        ("src/main.js", &main),
        ("src/a.js", &a),
    ];
    all.extend_from_slice(files);
    Project::from_files(&all)
}

/// Writes a good `a.js` at `version` and waits until the server is healthy again: the served
/// chunk carries that version (checked after each update or reload the tab receives) and a
/// fresh tab is shown no errors.
async fn recover(p: &Project, server: &mut Server, client: &mut Client, version: usize) {
    p.write("src/a.js", versioned_module("a", version));
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let chunk = server.get("/_hotloop/chunk.js").await;
        assert_eq!(chunk.status, 200);
        if version_in(&chunk.text(), "a") == Some(version) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the served chunk still has a stale a.js; log:\n{}",
            server.log()
        );
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let waited = tokio::time::timeout(left, async {
            loop {
                match client.next(WAIT).await {
                    Some(ServerMessage::Update(_) | ServerMessage::FullReload { .. }) | None => {
                        break;
                    }
                    Some(_) => {}
                }
            }
        })
        .await;
        assert!(
            waited.is_ok() && client.closed.is_none(),
            "no update or reload carrying a.js v{version}; messages: {:#?}\nlog:\n{}",
            client.messages,
            server.log()
        );
    }
    server.assert_serving().await;
    let errors = current_errors(server).await;
    assert!(errors.is_empty(), "errors remain after the fix: {errors:?}");
}

/// The errors a freshly connected tab is shown. The server sends them right after `Hello`,
/// before it first reads the socket; a ping's pong therefore comes after them.
async fn current_errors(server: &Server) -> Vec<String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let mut fresh = server.client().await;
    fresh
        .ws
        .send(Message::Ping(b"probe".to_vec().into()))
        .await
        .expect("send ping");
    let mut errors = Vec::new();
    loop {
        let message = tokio::time::timeout(WAIT, fresh.ws.next())
            .await
            .expect("no pong within the time-out");
        match message {
            Some(Ok(Message::Pong(_))) => return errors,
            Some(Ok(Message::Binary(bytes))) => {
                if let Ok(ServerMessage::Errors { added, .. }) =
                    hotloop_protocol::wire::decode_server(&bytes)
                {
                    errors.extend(
                        added
                            .into_iter()
                            .map(|d| format!("{}: {}", d.file, d.message)),
                    );
                }
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended before the pong: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_mid_edit() {
    let p = app(&[], &[]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;

    // Written, then deleted before the watcher settles.
    p.write("src/a.js", versioned_module("a", 1));
    std::fs::remove_file(p.path("src/a.js")).unwrap();
    let message = client
        .until_error("/src/main.js", WAIT, |m| m.contains("a.js"))
        .await;
    assert!(message.contains("./a.js"), "{message}");
    server.assert_serving().await;
    recover(&p, &mut server, &mut client, 2).await;

    // Deleted, then written again at once: the last state on disk wins.
    std::fs::remove_file(p.path("src/a.js")).unwrap();
    p.write("src/a.js", versioned_module("a", 3));
    client
        .until_module("/src/a.js", WAIT, |c| version_in(c, "a") == Some(3))
        .await;
    server.assert_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_renamed_away_and_back() {
    let p = app(&[], &[]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    std::fs::rename(p.path("src/a.js"), p.path("src/a.renamed")).unwrap();
    client
        .until_error("/src/main.js", WAIT, |m| m.contains("a.js"))
        .await;
    server.assert_serving().await;
    std::fs::rename(p.path("src/a.renamed"), p.path("src/a.js")).unwrap();
    client.until_cleared("/src/main.js", WAIT).await;
    server.assert_serving().await;
    recover(&p, &mut server, &mut client, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_by_a_directory() {
    let p = app(&[], &[]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    std::fs::remove_file(p.path("src/a.js")).unwrap();
    std::fs::create_dir(p.path("src/a.js")).unwrap();
    p.write("src/a.js/inner.js", "export const inner = 1;\n");
    client
        .until_error("/src/main.js", WAIT, |m| m.contains("a.js"))
        .await;
    server.assert_serving().await;
    assert_eq!(server.get("/src/a.js").await.status, 404);
    std::fs::remove_dir_all(p.path("src/a.js")).unwrap();
    recover(&p, &mut server, &mut client, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_bytes_and_invalid_utf8_in_a_module() {
    let p = app(
        &["./style.css"],
        &[("src/style.css", "body { color: red; }\n")],
    );
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;

    // A PNG header and NULs where JavaScript should be.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10".to_vec();
    png.extend((0..=255u8).cycle().take(4096));
    p.write("src/a.js", &png);
    let message = client
        .until_error("/src/a.js", WAIT, |m| m.contains("UTF-8"))
        .await;
    assert!(message.contains("/src/a.js"), "{message}");
    server.assert_serving().await;
    recover(&p, &mut server, &mut client, 1).await;

    // Valid text with one invalid byte.
    p.write(
        "src/a.js",
        b"export const value = \"a:v2 \xff\";\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    client
        .until_error("/src/a.js", WAIT, |m| m.contains("UTF-8"))
        .await;
    recover(&p, &mut server, &mut client, 3).await;

    // Same for a stylesheet.
    p.write("src/style.css", b"body { color: \xc0\xae; }\n");
    client
        .until_error("/src/style.css", WAIT, |m| m.contains("UTF-8"))
        .await;
    server.assert_serving().await;
    p.write("src/style.css", "body { color: blue; }\n");
    client.until_cleared("/src/style.css", WAIT).await;
    server.assert_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_40_mb_module() {
    let p = app(&[], &[]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    let mut big = versioned_module("a", 1);
    let line = "// padding padding padding padding padding padding padding padding\n";
    while big.len() < 40 * 1024 * 1024 {
        big.push_str(line);
    }
    p.write("src/a.js", &big);
    let message = client
        .until_error("/src/a.js", WAIT, |m| {
            m.contains("too large") && m.contains("(40")
        })
        .await;
    assert!(message.contains("limit is 32 MB"), "{message}");
    server.assert_serving().await;
    recover(&p, &mut server, &mut client, 2).await;
}

/// `c0 → c1 → … → c99 → c0`, imported by main; each module self-accepts when `accepting`.
fn cycle_module(i: usize, n: usize, version: usize, accepting: bool) -> String {
    let mut text = format!(
        "import {{ value as next }} from './c{}.js';\nexport const value = \"c{i}:v{version}\";\nexport const read = () => next;\n",
        (i + 1) % n
    );
    if accepting {
        text.push_str("if (import.meta.hot) import.meta.hot.accept();\n");
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_cycle_of_100_modules() {
    const N: usize = 100;
    let modules: Vec<(String, String)> = (0..N)
        .map(|i| (format!("src/cycle/c{i}.js"), cycle_module(i, N, 0, false)))
        .collect();
    let files: Vec<(&str, &str)> = modules
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let p = app(&["./cycle/c0.js"], &files);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    let chunk = server.get("/_hotloop/chunk.js").await.text();
    for i in [0, 50, 99] {
        assert_eq!(
            version_in(&chunk, &format!("c{i}")),
            Some(0),
            "c{i} missing"
        );
    }
    assert!(current_errors(&server).await.is_empty());

    // An edit inside the cycle with no accepting module: a full reload (no boundary), decided
    // without walking the cycle forever.
    p.write("src/cycle/c50.js", cycle_module(50, N, 1, false));
    match client
        .until(WAIT, |m| {
            matches!(
                m,
                ServerMessage::FullReload { .. } | ServerMessage::Update(_)
            )
        })
        .await
    {
        ServerMessage::FullReload { reason, .. } => assert!(!reason.is_empty()),
        ServerMessage::Update(u) => panic!("no module accepts c50, yet a hot update: {u:?}"),
        _ => unreachable!(),
    }
    server.assert_serving().await;
    assert_eq!(
        version_in(&server.get("/_hotloop/chunk.js").await.text(), "c50"),
        Some(1)
    );

    // Self-accepting modules in the cycle update hot.
    p.write("src/cycle/c70.js", cycle_module(70, N, 2, true));
    client
        .until(WAIT, |m| {
            matches!(
                m,
                ServerMessage::FullReload { .. } | ServerMessage::Update(_)
            )
        })
        .await;
    p.write("src/cycle/c70.js", cycle_module(70, N, 3, true));
    client
        .until_module("/src/cycle/c70.js", WAIT, |c| {
            version_in(c, "c70") == Some(3)
        })
        .await;
    server.assert_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_that_imports_itself() {
    let selfish = |v: usize| {
        format!(
            "import * as me from './self.js';\nexport const value = \"self:v{v}\";\nexport const again = () => me.value;\nif (import.meta.hot) import.meta.hot.accept();\n"
        )
    };
    let p = app(&["./self.js"], &[("src/self.js", &selfish(0))]);
    let mut server = Server::start(p.root(), &[]).await;
    let mut client = server.client().await;
    assert_eq!(
        version_in(&server.get("/_hotloop/chunk.js").await.text(), "self"),
        Some(0)
    );
    assert!(current_errors(&server).await.is_empty());
    p.write("src/self.js", selfish(1));
    client
        .until_module("/src/self.js", WAIT, |c| version_in(c, "self") == Some(1))
        .await;
    server.assert_serving().await;
    recover(&p, &mut server, &mut client, 1).await;
}
