//! The security defaults of the binary and the flag that relaxes each one.

use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::{Project, Server};

const ENV_SECRET: &str = "API_KEY=hunter2";
const OUTSIDE_SECRET: &str = "TOP-SECRET-OUTSIDE";

fn project() -> (Project, std::path::PathBuf) {
    let p = Project::from_files(&[
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        ("src/main.js", "export const main = 1;\n"),
        (".env", ENV_SECRET),
    ]);
    let outside = p.path("../outside-of-root");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), OUTSIDE_SECRET).unwrap();
    let outside = std::fs::canonicalize(outside).unwrap();
    std::os::unix::fs::symlink(&outside, p.path("link")).unwrap();
    (p, outside)
}

async fn ws_status(server: &Server, origin: &str) -> u16 {
    let mut request = format!("ws://127.0.0.1:{}/_hotloop/ws", server.port())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((_, response)) => response.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("WebSocket handshake to {origin}: {e}"),
    }
}

#[tokio::test]
async fn binding_every_interface_warns_and_names_what_becomes_reachable() {
    let (p, _outside) = project();
    // Loopback (the default): no warning.
    let mut local = Server::start(p.root(), &[]).await;
    local.assert_serving().await;
    assert!(
        !local.log().contains("listening on"),
        "unexpected warning:\n{}",
        local.log()
    );
    drop(local);

    // 0.0.0.0 is bound here, but traffic only ever goes to 127.0.0.1.
    let mut exposed = Server::start(p.root(), &["--host", "0.0.0.0"]).await;
    let warning = exposed
        .wait_line(0, crate::support::WAIT, |l| {
            l.contains("listening on 0.0.0.0:")
        })
        .await;
    let port = exposed.port();
    for needed in [
        format!("0.0.0.0:{port}"),
        "every network interface".to_owned(),
        p.root().display().to_string(),
        "node_modules".to_owned(),
        "WebSocket".to_owned(),
        "127.0.0.1".to_owned(),
    ] {
        assert!(
            warning.contains(&needed),
            "`{needed}` missing from: {warning}"
        );
    }
    let ready = exposed
        .wait_line(0, crate::support::WAIT, |l| l.contains("ready at"))
        .await;
    assert!(
        ready.contains(&format!("http://127.0.0.1:{port}/")),
        "the ready line should give a URL that opens here: {ready}"
    );
    exposed.assert_serving().await;
}

#[tokio::test]
async fn every_default_holds_until_its_flag_relaxes_it() {
    let (p, outside) = project();
    let mut strict = Server::start(p.root(), &[]).await;
    strict.assert_serving().await;
    assert_eq!(strict.get("/.env").await.status, 403);
    let r = strict.get("/link/secret.txt").await;
    assert_eq!(r.status, 403);
    assert!(!r.text().contains(OUTSIDE_SECRET));
    let r = strict
        .get_with("/src/main.js", &["Origin: http://evil.example"])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(
        r.header("cross-origin-resource-policy"),
        Some("same-origin")
    );
    let theft = [
        "Sec-Fetch-Site: cross-site",
        "Sec-Fetch-Mode: no-cors",
        "Sec-Fetch-Dest: script",
    ];
    assert_eq!(strict.get_with("/src/main.js", &theft).await.status, 403);
    assert_eq!(ws_status(&strict, "http://evil.example").await, 403);
    assert_eq!(ws_status(&strict, "http://203.0.113.7").await, 403);
    let foreign = crate::support::raw(
        strict.addr,
        b"GET / HTTP/1.1\r\nHost: dev.example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(foreign.status, 403);
    drop(strict);

    let outside_arg = outside.display().to_string();
    let relaxed = Server::start(
        p.root(),
        &[
            "--no-fs-deny",
            "--fs-allow",
            &outside_arg,
            "--allow-any-origin",
            "--allowed-host",
            "dev.example.com",
        ],
    )
    .await;
    let r = relaxed.get("/.env").await;
    assert_eq!((r.status, r.text().as_str()), (200, ENV_SECRET));
    let r = relaxed.get("/link/secret.txt").await;
    assert_eq!((r.status, r.text().as_str()), (200, OUTSIDE_SECRET));
    let r = relaxed
        .get_with("/src/main.js", &["Origin: http://evil.example"])
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("cross-origin-resource-policy"),
        Some("cross-origin")
    );
    assert_eq!(relaxed.get_with("/src/main.js", &theft).await.status, 200);
    assert_eq!(ws_status(&relaxed, "http://evil.example").await, 101);
    let named = crate::support::raw(
        relaxed.addr,
        b"GET / HTTP/1.1\r\nHost: dev.example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(named.status, 200);
    // Each relaxation says what it exposes.
    let log = relaxed.log();
    for flag in ["--no-fs-deny", "--fs-allow", "--allow-any-origin"] {
        assert!(
            log.lines()
                .any(|l| l.starts_with("warning: ") && l.contains(flag)),
            "no warning for {flag}:\n{log}"
        );
    }
    assert!(log.contains(&outside_arg), "{log}");
}
