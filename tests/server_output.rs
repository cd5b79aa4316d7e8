//! `hotloop dev --no-tui --server` as a user sees it, with the real binary and a real `node`:
//! the app's stdout and stderr lines on hotloop's own stdout and stderr as the app wrote them
//! (ANSI colours as bytes, no log prefix); a crash told once (Node's report as Node wrote it,
//! then one line: restarted, with the new pid), its error in every tab's overlay and still
//! there after the restart; Ctrl-C stops the app with SIGTERM, so its handler runs and what it
//! prints is shown. Declared as a test of the `hotloop` package (tui/Cargo.toml) for
//! `CARGO_BIN_EXE_hotloop`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use engine::testing::TempProject;
use hotloop_protocol::wire::{ServerMessage, decode_server};

#[path = "support/stream_lines.rs"]
mod stream_lines;

use stream_lines::{Lines, WAIT};

const PROJECT: &str = r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
console.log('page');
//- /src/server.js
console.log('\x1b[32mstarted\x1b[0m on stdout');
console.error('said on stderr at start');
process.on('SIGTERM', () => {
  console.log('got SIGTERM');
  process.exit(0);
});
export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/crash') {
      setTimeout(() => {
        throw new Error('the app crashed');
      }, 0);
    }
    return new Response('ok ' + process.pid);
  },
};
"#;

fn get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
}

/// The errors a freshly connected tab is shown (sent right after `Hello`; the pong of a ping
/// sent then comes after them).
fn overlay_errors(port: u16) -> Vec<(String, String, String)> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = format!("ws://127.0.0.1:{port}/_hotloop/ws")
            .into_client_request()
            .unwrap();
        let origin = format!("http://127.0.0.1:{port}").parse().unwrap();
        request.headers_mut().insert("origin", origin);
        let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("handshake in time")
            .expect("handshake");
        ws.send(Message::Ping(b"probe".to_vec().into()))
            .await
            .unwrap();
        let mut errors = Vec::new();
        loop {
            match tokio::time::timeout(WAIT, ws.next()).await.expect("a pong") {
                Some(Ok(Message::Pong(_))) => return errors,
                Some(Ok(Message::Binary(bytes))) => {
                    if let Ok(ServerMessage::Errors { added, .. }) = decode_server(&bytes) {
                        errors.extend(added.into_iter().map(|d| (d.file, d.message, d.code_frame)));
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended before the pong: {other:?}"),
            }
        }
    })
}

/// hotloop, killed if the test fails before it stops it.
struct Hotloop(Child);

impl Drop for Hotloop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hotloop(project: &TempProject) -> Hotloop {
    let child = Command::new(env!("CARGO_BIN_EXE_hotloop"))
        .args(["dev", ".", "--port", "0", "--no-tui", "--no-cache"])
        .args(["--server", "src/server.js"])
        .current_dir(project.root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hotloop");
    Hotloop(child)
}

#[test]
fn the_app_s_output_a_crash_and_a_stop_as_the_terminal_shows_them() {
    let project = TempProject::new(PROJECT);
    let mut hotloop = hotloop(&project);
    let child = &mut hotloop.0;
    let mut out = Lines::of(child.stdout.take().unwrap());
    let mut err = Lines::of(child.stderr.take().unwrap());
    let port: u16 = out.wait_for("the ready line", |line| {
        let url = line.split("hotloop ready at http://127.0.0.1:").nth(1)?;
        url.split('/').next()?.parse().ok()
    });

    // As the app wrote them, each on the stream it was written to, colours as bytes.
    out.wait_for("the app's stdout", |line| {
        (line == "\x1b[32mstarted\x1b[0m on stdout").then_some(())
    });
    err.wait_for("the app's stderr", |line| {
        (line == "said on stderr at start").then_some(())
    });
    let reply = get(port, "/");
    let first_pid = reply.split("ok ").nth(1).expect("ok <pid>");
    let first_pid: String = first_pid.chars().take_while(char::is_ascii_digit).collect();

    // A crash: Node's report once, then one line saying it restarted, with the new pid.
    let _ = get(port, "/crash");
    let pid: String = err.wait_for("the restart line", |line| {
        let (_, pid) = line.split_once("restarted (pid ")?;
        Some(pid.trim_end_matches(')').to_owned())
    });
    assert_ne!(pid, first_pid);
    let restart_line = err.seen.last().unwrap().clone();
    assert!(
        restart_line.contains("the app's server exited (exit status: 1)"),
        "{restart_line}"
    );
    // (The first request may find it not listening yet: then the next waits for it.)
    let mut reply = get(port, "/");
    if reply.starts_with("HTTP/1.1 503") {
        reply = get(port, "/");
    }
    assert!(reply.contains(&format!("ok {pid}")), "{reply}");

    // Every tab's overlay shows it, located in server.js, and the restart did not clear it.
    let errors = overlay_errors(port);
    let crash = errors
        .iter()
        .find(|(_, message, _)| message.contains("the app crashed"))
        .unwrap_or_else(|| panic!("no crash in the overlay: {errors:?}"));
    assert_eq!(crash.0, "/src/server.js", "{crash:?}");
    assert_eq!(
        crash.1,
        "the app's server exited (exit status: 1): Error: the app crashed"
    );
    assert!(
        crash.2.contains("throw new Error('the app crashed')"),
        "{crash:?}"
    );

    // Ctrl-C: the app hears SIGTERM, and what its handler prints is shown.
    // SAFETY: a plain signal to our child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let out = out.rest();
    let err = err.rest();
    assert!(out.iter().any(|l| l == "got SIGTERM"), "{out:#?}");
    // Told once: Node's report is not repeated as "last words".
    let reports = err
        .iter()
        .filter(|l| *l == "Error: the app crashed")
        .count();
    assert_eq!(reports, 1, "{err:#?}");
    assert!(
        !err.iter()
            .any(|l| l.contains("WARN") && l.contains("said on stderr")),
        "the app's lines are not log records: {err:#?}"
    );
}
