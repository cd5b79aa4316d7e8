//! The app's server process with a real `node`: chunks in the registry format the engine emits,
//! update frames encoded by `hotloop-protocol`, real HTTP on 127.0.0.1. Every wait is on an
//! event (or a pidfd) with a time-out.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotloop_app_server::{AppServer, AppServerEvent, AppServerOptions, OutputStream};
use hotloop_protocol::wire::{self, ClientMessage, HotUpdate, ModuleCode, ServerMessage};
use hotloop_protocol::{ModuleKind, PROTOCOL_VERSION};

const WAIT: Duration = Duration::from_secs(10);
const ENTRY: &str = "/src/server.js";
const HEADER: &str = "(function (module, exports, require, $meta, $RefreshReg$, $RefreshSig$) {";
/// Set in the environment of this test binary when it runs as the owner of an `AppServer`
/// (see `killing_the_owner_kills_its_node`).
const OWNER_ROLE: &str = "HOTLOOP_APP_SERVER_TEST_OWNER";

/// The entry's factory: a fetch handler answering `label pid`, `/spin` blocks the event loop,
/// `/child` starts a `sleep` of its own (in its process group) and prints `child PID`.
fn handler(label: &str) -> String {
    format!(
        "{HEADER}\nObject.defineProperty(exports, \"__esModule\", {{ value: true }});\n\
         console.log(\"evaluated {label}\");\n\
         exports.default = {{ fetch(request) {{\n\
           if (new URL(request.url).pathname === \"/spin\") {{ console.log(\"spinning\"); for (;;) {{}} }}\n\
           if (new URL(request.url).pathname === \"/child\") {{\n\
             const child = process.getBuiltinModule(\"node:child_process\").spawn(\"sleep\", [\"1000\"], {{ stdio: \"ignore\" }});\n\
             console.log(\"child \" + child.pid);\n\
           }}\n\
           return new Response(\"{label} \" + process.pid, {{ headers: {{ \"content-type\": \"text/plain\" }} }});\n\
         }} }};\n}})"
    )
}

fn chunk(label: &str) -> String {
    format!(
        "__hotloop.define({ENTRY:?}, {{}}, {});\n\
         __hotloop.start([{ENTRY:?}], {{\"server\":true,\"revision\":1,\"serverId\":\"s1\"}});\n",
        handler(label)
    )
}

/// The server and its root (removed when dropped).
fn start() -> (AppServer, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let server = AppServer::start(AppServerOptions {
        node: None,
        entry: "src/server.js".into(),
        root: root.path().to_path_buf(),
        port: 0,
        env: vec![("HOTLOOP_TEST_VAR".into(), "1".into())],
    })
    .expect("node ≥ 20 on PATH");
    (server, root)
}

/// Waits for the first event `pick` accepts; panics with every event seen after `WAIT`.
fn wait_for<T>(server: &AppServer, mut pick: impl FnMut(&AppServerEvent) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match server.events().recv_timeout(left) {
            Ok(event) => {
                if let Some(found) = pick(&event) {
                    return found;
                }
                seen.push(event);
            }
            Err(_) => panic!("no matching event within {WAIT:?}; seen: {seen:#?}"),
        }
    }
}

fn ready(server: &AppServer) -> u16 {
    wait_for(server, |e| match e {
        AppServerEvent::Ready { port, .. } => Some(*port),
        _ => None,
    })
}

/// `GET path` → (status line, body).
fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    // Chunked or not, the body's text is in there.
    (status, body.to_owned())
}

/// True once `pid` has exited (a pidfd becomes readable), false after `timeout`.
fn gone_within(pid: u32, timeout: Duration) -> bool {
    // SAFETY: plain syscalls on a pid and the fd they return.
    unsafe {
        let fd = libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) as libc::c_int;
        if fd < 0 {
            return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        }
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ready = libc::poll(&mut poll, 1, timeout.as_millis() as libc::c_int);
        libc::close(fd);
        ready == 1
    }
}

#[test]
fn a_fetch_handler_is_served_and_its_stdout_arrives_as_output() {
    let (mut server, _root) = start();
    server.send_chunk(&chunk("one")).unwrap();
    // The two arrive on different channels (stdout, the control socket), in either order.
    let (mut port, mut line, mut timings) = (None, None, None);
    wait_for(&server, |e| {
        match e {
            AppServerEvent::Ready {
                port: p,
                eval,
                start,
            } => {
                port = Some(*p);
                timings = Some((*eval, *start));
            }
            AppServerEvent::Output {
                stream: OutputStream::Stdout,
                line: l,
            } => line = Some(l.clone()),
            _ => {}
        }
        (port.is_some() && line.is_some()).then_some(())
    });
    assert_eq!(port, Some(server.port()));
    assert_eq!(line.as_deref(), Some("evaluated one"));
    // How long the chunk's text and the entry took: what `hotloop dev` logs at start.
    let (eval, start) = timings.expect("timings");
    assert!(
        eval > Duration::ZERO && start > Duration::ZERO,
        "{eval:?} {start:?}"
    );
    let (status, body) = get(server.port(), "/anything");
    assert!(status.contains("200"), "{status}");
    assert!(
        body.contains(&format!("one {}", server.pid().unwrap())),
        "{body}"
    );
}

#[test]
fn an_update_frame_is_applied_in_place_and_acked() {
    let (mut server, _root) = start();
    server.send_chunk(&chunk("one")).unwrap();
    ready(&server);
    let pid = server.pid().unwrap();
    server
        .send_frame(&wire::encode(&ServerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            server_id: "s1".into(),
            revision: 1,
        }))
        .unwrap();
    let id: Arc<str> = Arc::from(ENTRY);
    server
        .send_frame(&wire::encode(&ServerMessage::Update(HotUpdate {
            revision: 2,
            modules: vec![ModuleCode {
                id: id.clone(),
                kind: ModuleKind::Js,
                deps: Vec::new(),
                static_deps: 0,
                code: handler("two").into(),
            }],
            invalidate: vec![id.clone()],
            boundaries: vec![(id, None)],
            ..HotUpdate::default()
        })))
        .unwrap();
    let ack = wait_for(&server, |e| match e {
        AppServerEvent::Frame(bytes) => Some(wire::decode_client(bytes).unwrap()),
        _ => None,
    });
    assert!(
        matches!(
            ack,
            ClientMessage::Ack {
                revision: 2,
                ok: true,
                ..
            }
        ),
        "{ack:?}"
    );
    let (_, body) = get(server.port(), "/");
    assert!(body.contains(&format!("two {pid}")), "{body}");
    assert_eq!(server.pid(), Some(pid));
}

#[test]
fn a_killed_process_is_reported_and_restarted_on_the_same_port() {
    let (mut server, _root) = start();
    server.send_chunk(&chunk("one")).unwrap();
    let port = ready(&server);
    let first = server.pid().unwrap();
    // SAFETY: signals our own child.
    unsafe { libc::kill(first as libc::pid_t, libc::SIGKILL) };
    let status = wait_for(&server, |e| match e {
        AppServerEvent::Exited { status, .. } => Some(*status),
        _ => None,
    });
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert!(matches!(
        server.send_chunk(&chunk("x")),
        Err(hotloop_app_server::AppServerError::NotRunning { .. })
    ));

    server.restart().unwrap();
    server.send_chunk(&chunk("again")).unwrap();
    assert_eq!(ready(&server), port);
    let second = server.pid().unwrap();
    assert_ne!(first, second);
    let (_, body) = get(port, "/");
    assert!(body.contains(&format!("again {second}")), "{body}");
}

/// Its last words are the crash's own stderr: not what it wrote to stderr long before.
#[test]
fn a_crash_names_its_stderr_and_only_the_crash_s() {
    let (mut server, _root) = start();
    let crash = format!(
        "__hotloop.define({ENTRY:?}, {{}}, {HEADER}\n\
         Object.defineProperty(exports, \"__esModule\", {{ value: true }});\n\
         console.error(\"old words\");\n\
         exports.default = {{ fetch() {{\n\
           setTimeout(() => {{ throw new Error(\"the app crashed\"); }}, 0);\n\
           return new Response(\"crashing\");\n\
         }} }};\n}}));\n\
         __hotloop.start([{ENTRY:?}], {{\"server\":true,\"revision\":1,\"serverId\":\"s1\"}});\n"
    );
    server.send_chunk(&crash).unwrap();
    // The two arrive on different channels (stderr, the control socket), in either order.
    let (mut port, mut old) = (None, false);
    wait_for(&server, |e| {
        match e {
            AppServerEvent::Ready { port: p, .. } => port = Some(*p),
            AppServerEvent::Output { line, .. } if line == "old words" => old = true,
            _ => {}
        }
        (port.is_some() && old).then_some(())
    });
    let port = port.unwrap();
    // Time passing is the subject here: the old line is older than the last words' window.
    std::thread::sleep(hotloop_app_server::LAST_WORDS + Duration::from_millis(100));
    get(port, "/");
    let (status, last_words) = wait_for(&server, |e| match e {
        AppServerEvent::Exited { status, last_words } => Some((*status, last_words.clone())),
        _ => None,
    });
    assert!(!status.success());
    assert!(last_words.contains("the app crashed"), "{last_words}");
    assert!(!last_words.contains("old words"), "{last_words}");
}

/// A chunk whose module says which signal it got and when `exit` runs; `then_exit`: its
/// SIGTERM handler exits (else it ignores the signal, as a handler that forgets to exit does).
fn signal_logger(then_exit: bool) -> String {
    let exit = if then_exit { "process.exit(0);" } else { "" };
    format!(
        "__hotloop.define({ENTRY:?}, {{}}, {HEADER}\n\
         Object.defineProperty(exports, \"__esModule\", {{ value: true }});\n\
         process.on(\"SIGTERM\", () => {{ console.log(\"got SIGTERM\"); {exit} }});\n\
         process.on(\"exit\", (code) => console.log(\"exit handler \" + code));\n\
         exports.default = {{ fetch() {{ return new Response(\"ok\"); }} }};\n}}));\n\
         __hotloop.start([{ENTRY:?}], {{\"server\":true,\"revision\":1,\"serverId\":\"s1\"}});\n"
    )
}

/// What the process printed on stdout up to now.
fn stdout_so_far(server: &AppServer) -> Vec<String> {
    server
        .events()
        .try_iter()
        .filter_map(|e| match e {
            AppServerEvent::Output {
                stream: OutputStream::Stdout,
                line,
            } => Some(line),
            _ => None,
        })
        .collect()
}

#[test]
fn stopping_sends_sigterm_first_so_the_app_s_handlers_run() {
    let (mut server, _root) = start();
    server.send_chunk(&signal_logger(true)).unwrap();
    ready(&server);
    let pid = server.pid().unwrap();
    let started = Instant::now();
    server.shutdown();
    let took = started.elapsed();
    assert!(gone_within(pid, Duration::ZERO), "node {pid} still runs");
    let printed = stdout_so_far(&server);
    assert!(
        printed.iter().any(|l| l == "got SIGTERM") && printed.iter().any(|l| l == "exit handler 0"),
        "{printed:?}"
    );
    // It exited at once: the stop did not wait out the grace.
    assert!(
        took < hotloop_app_server::SHUTDOWN_GRACE / 2,
        "the stop took {took:?}"
    );

    // A restart too, and the next process serves.
    let (mut server, _root) = start();
    server.send_chunk(&signal_logger(true)).unwrap();
    ready(&server);
    server.restart().unwrap();
    let printed = stdout_so_far(&server);
    assert!(printed.iter().any(|l| l == "got SIGTERM"), "{printed:?}");
    server.send_chunk(&chunk("again")).unwrap();
    ready(&server);
}

#[test]
fn a_process_that_ignores_sigterm_is_killed_after_the_grace() {
    let (mut server, _root) = start();
    server.send_chunk(&signal_logger(false)).unwrap();
    ready(&server);
    let pid = server.pid().unwrap();
    let started = Instant::now();
    server.restart().unwrap();
    let took = started.elapsed();
    assert!(gone_within(pid, Duration::ZERO), "node {pid} still runs");
    assert!(took >= hotloop_app_server::RESTART_GRACE, "{took:?}");
    let printed = stdout_so_far(&server);
    assert!(printed.iter().any(|l| l == "got SIGTERM"), "{printed:?}");
    // SIGKILL runs no `exit` handler.
    assert!(
        !printed.iter().any(|l| l.starts_with("exit handler")),
        "{printed:?}"
    );
}

#[test]
fn drop_kills_and_reaps_node() {
    let (mut server, _root) = start();
    server.send_chunk(&chunk("one")).unwrap();
    ready(&server);
    let pid = server.pid().unwrap();
    assert!(!gone_within(pid, Duration::ZERO));
    drop(server);
    assert!(gone_within(pid, WAIT), "node {pid} outlived its AppServer");
}

/// Runs this test binary again as the owner of an `AppServer` whose node started a subprocess
/// and then got busy (its event loop spinning, so it cannot notice the control socket
/// closing), kills the owner with SIGKILL, and waits for node to die of PR_SET_PDEATHSIG and
/// for the subprocess to be stopped by the group's guardian.
#[test]
fn killing_the_owner_kills_its_node() {
    if std::env::var_os(OWNER_ROLE).is_some() {
        let (mut server, _root) = start();
        server.send_chunk(&chunk("owned")).unwrap();
        let port = ready(&server);
        get(port, "/child");
        let child = wait_for(&server, |e| match e {
            AppServerEvent::Output { line, .. } => line.strip_prefix("child ").map(str::to_owned),
            _ => None,
        });
        let mut spin = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(spin, "GET /spin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        wait_for(&server, |e| match e {
            AppServerEvent::Output { line, .. } if line == "spinning" => Some(()),
            _ => None,
        });
        let mut out = std::io::stdout();
        writeln!(out, "NODE_PID {} {child}", server.pid().unwrap()).unwrap();
        out.flush().unwrap();
        // Hold everything until killed.
        let _ = std::io::stdin().read(&mut [0u8; 1]);
        return;
    }
    let mut owner = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "killing_the_owner_kills_its_node",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OWNER_ROLE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = owner.stdout.take().unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // libtest prints `test name ... ` without a newline before the test runs.
            if let Some((_, pids)) = line.split_once("NODE_PID ") {
                let pids: Vec<u32> = pids
                    .split_whitespace()
                    .map(|p| p.parse().unwrap())
                    .collect();
                let _ = tx.send((pids[0], pids[1]));
            }
        }
    });
    let (node, sleep) = rx
        .recv_timeout(WAIT * 2)
        .expect("the owner never reported its node");
    assert!(!gone_within(node, Duration::ZERO));
    assert!(!gone_within(sleep, Duration::ZERO));
    owner.kill().unwrap();
    owner.wait().unwrap();
    let node_gone = gone_within(node, WAIT);
    // The app's own subprocess: its guardian stops the group (SIGTERM, which `sleep` obeys).
    let sleep_gone = gone_within(sleep, WAIT);
    for (pid, gone) in [(node, node_gone), (sleep, sleep_gone)] {
        if !gone {
            // SAFETY: a plain signal; no orphan left behind by a failing test.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    }
    assert!(node_gone, "node {node} outlived the process that owned it");
    assert!(
        sleep_gone,
        "the app's subprocess {sleep} outlived the process that owned hotloop's node"
    );
}

#[test]
fn a_missing_root_is_named() {
    let error = AppServer::start(AppServerOptions {
        node: None,
        entry: "src/server.js".into(),
        root: "/nonexistent/hotloop-root".into(),
        port: 0,
        env: Vec::new(),
    })
    .err()
    .expect("no process without a root");
    let text = error.to_string();
    assert!(
        text.contains("src/server.js") && text.contains("/nonexistent/hotloop-root"),
        "{text}"
    );
}

#[test]
fn sends_to_a_stuck_process_never_block_and_stop_still_kills_it() {
    let (mut server, _root) = start();
    let stuck = format!(
        "__hotloop.define({ENTRY:?}, {{}}, {HEADER}\nconsole.log(\"stuck\");\nfor (;;) {{}}\n}}));\n\
         __hotloop.start([{ENTRY:?}], {{\"server\":true,\"revision\":1,\"serverId\":\"s1\"}});\n"
    );
    server.send_chunk(&stuck).unwrap();
    wait_for(&server, |e| match e {
        AppServerEvent::Output { line, .. } if line == "stuck" => Some(()),
        _ => None,
    });
    let pid = server.pid().unwrap();
    // Far more than a socket buffer holds: a blocking write would never return.
    let (done_tx, done) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let big = vec![0u8; 8 << 20];
        let sent = (0..4).all(|_| server.send_frame(&big).is_ok());
        let _ = done_tx.send(sent);
        drop(server);
    });
    assert_eq!(done.recv_timeout(WAIT), Ok(true), "a send blocked");
    assert!(gone_within(pid, WAIT), "node {pid} outlived its AppServer");
}

/// Runs this test binary again as the owner of a running `AppServer` with `TMPDIR=tmp`;
/// returns it with its private directory, once it is ready.
fn spawn_owner(test: &str, tmp: &std::path::Path) -> (std::process::Child, std::path::PathBuf) {
    let mut owner = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(OWNER_ROLE, "1")
        .env("TMPDIR", tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = owner.stdout.take().unwrap();
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, dir)) = line.split_once("RUNTIME_DIR ") {
                let _ = tx.send(std::path::PathBuf::from(dir.trim()));
            }
        }
    });
    let dir = rx
        .recv_timeout(WAIT * 2)
        .expect("the owner never reported its directory");
    (owner, dir)
}

/// A hotloop killed with SIGKILL cannot remove its private directory: the next start does,
/// and never a live owner's.
#[test]
fn a_killed_owner_s_directory_is_removed_by_the_next_start() {
    const TEST: &str = "a_killed_owner_s_directory_is_removed_by_the_next_start";
    if std::env::var_os(OWNER_ROLE).is_some() {
        let (mut server, _root) = start();
        server.send_chunk(&chunk("owned")).unwrap();
        ready(&server);
        let mut out = std::io::stdout();
        writeln!(out, "RUNTIME_DIR {}", server.runtime_dir().display()).unwrap();
        out.flush().unwrap();
        let _ = std::io::stdin().read(&mut [0u8; 1]);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut first, first_dir) = spawn_owner(TEST, tmp.path());
    assert!(first_dir.starts_with(tmp.path()), "{}", first_dir.display());
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(first_dir.is_dir(), "SIGKILL left nothing to clean");

    let (mut second, second_dir) = spawn_owner(TEST, tmp.path());
    assert!(!first_dir.exists(), "the dead owner's directory is left");
    assert!(second_dir.is_dir());
    // While its owner lives, no cleaner removes it.
    assert_eq!(hotloop_app_server::remove_dead_owners_dirs(tmp.path()), 0);
    assert!(second_dir.is_dir(), "a live owner's directory was removed");

    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(hotloop_app_server::remove_dead_owners_dirs(tmp.path()), 1);
    assert!(!second_dir.exists());
}
