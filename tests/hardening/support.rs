//! Helpers for driving the real `hotloop` binary: a temp project (`engine::testing`'s), the
//! server process with its log lines, raw HTTP on 127.0.0.1, WebSocket clients that decode the
//! protocol, and RSS from `/proc`. Every wait has a time-out and reports what was seen.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hotloop_protocol::wire::{self as protocol, HotUpdate, ServerMessage};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(20);

/// `HOTLOOP_LONG_TESTS=1` runs the full-size storm, tabs and memory checks.
pub fn long_tests() -> bool {
    std::env::var("HOTLOOP_LONG_TESTS").is_ok_and(|v| v == "1")
}

// ---------------------------------------------------------------- project

/// A project in a temp dir (canonical path): the engine's test support.
pub use engine::testing::TempProject as Project;

/// A self-accepting module whose value names its file and version: `"<name>:v<version>"`.
pub fn versioned_module(name: &str, version: usize) -> String {
    format!(
        "export const value = \"{name}:v{version}\";\n\
         if (import.meta.hot) import.meta.hot.accept();\n"
    )
}

/// The version a module's code (or a chunk part) carries for `name`, if any.
pub fn version_in(code: &str, name: &str) -> Option<usize> {
    let marker = format!("\"{name}:v");
    let start = code.find(&marker)? + marker.len();
    let digits: String = code[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------- server process

struct Output {
    lines: Mutex<Vec<String>>,
    /// Bumped on every line and when a stream closes.
    changed: watch::Sender<usize>,
    closed: Mutex<usize>,
}

/// A running `hotloop dev --no-tui` on port 0.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Output>,
    /// The compile cache of this server alone (never the user's), unless one was given.
    _cache: Option<tempfile::TempDir>,
}

impl Server {
    pub async fn start(root: &Path, extra: &[&str]) -> Server {
        Server::start_with(Command::new(env!("CARGO_BIN_EXE_hotloop")), root, extra).await
    }

    /// Like `start`, with its compile cache in `cache_dir` (which outlives the server).
    pub async fn start_cached(root: &Path, cache_dir: &Path) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hotloop"));
        command.env("HOTLOOP_CACHE_DIR", cache_dir);
        Server::start_with(command, root, &[]).await
    }

    /// Starts `command` + `dev <root> --port 0 --no-tui <extra>` (the command may be a
    /// wrapper such as `unshare` whose last argument is the binary).
    pub async fn start_with(mut command: Command, root: &Path, extra: &[&str]) -> Server {
        let has_cache_dir = command
            .get_envs()
            .any(|(name, _)| name == "HOTLOOP_CACHE_DIR");
        let cache = (!has_cache_dir).then(|| tempfile::tempdir().expect("cache dir"));
        if let Some(cache) = &cache {
            command.env("HOTLOOP_CACHE_DIR", cache.path());
        }
        command
            .arg("dev")
            .arg(root)
            .args(["--port", "0", "--no-tui"])
            .args(extra)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn hotloop");
        let (changed, _) = watch::channel(0);
        let output = Arc::new(Output {
            lines: Mutex::new(Vec::new()),
            changed,
            closed: Mutex::new(0),
        });
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        spawn_reader(stdout, output.clone());
        spawn_reader(stderr, output.clone());
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            output,
            _cache: cache,
        };
        let ready = server
            .wait_line(0, Duration::from_secs(120), |l| {
                l.contains("ready at http://")
            })
            .await;
        let url = &ready[ready.find("http://").expect("url") + "http://".len()..];
        let authority = url.split('/').next().expect("authority");
        let port: u16 = authority
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {ready}"));
        server.addr = SocketAddr::from(([127, 0, 0, 1], port));
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn lines(&self) -> Vec<String> {
        self.output.lines.lock().expect("lines").clone()
    }

    pub fn log(&self) -> String {
        self.lines().join("\n")
    }

    /// Waits for a line at index `from` or later matching `pred`; panics with the whole log
    /// after `limit`, or when the process closed its output.
    pub async fn wait_line(
        &self,
        from: usize,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let mut changed = self.output.changed.subscribe();
        let deadline = Instant::now() + limit;
        loop {
            {
                let lines = self.output.lines.lock().expect("lines");
                if let Some(line) = lines.iter().skip(from).find(|l| pred(l)) {
                    return line.clone();
                }
            }
            if *self.output.closed.lock().expect("closed") == 2 {
                panic!("hotloop exited; log:\n{}", self.log());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if timeout(left, changed.changed()).await.is_err() {
                panic!(
                    "no matching log line within {limit:?}; log:\n{}",
                    self.log()
                );
            }
        }
    }

    /// Whether the process is still running.
    /// [`Server::stop`], and the whole log once it exited.
    pub async fn stop_with_log(self) -> (std::process::ExitStatus, String) {
        let output = self.output.clone();
        let status = self.stop().await;
        // Its output closed with it (both pipes read to the end).
        let deadline = Instant::now() + WAIT;
        while *output.closed.lock().expect("closed") < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let log = output.lines.lock().expect("lines").join("\n");
        (status, log)
    }

    /// Stops the server as Ctrl-C would (SIGTERM) and waits for it to exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let exited = tokio::time::timeout(WAIT, async {
            loop {
                if let Some(status) = self.child.try_wait().expect("try_wait") {
                    return status;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        exited.unwrap_or_else(|_| panic!("hotloop did not stop on SIGTERM; log:\n{}", self.log()))
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident set size from `/proc/<pid>/status`, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }

    /// `GET target` on 127.0.0.1 with `Host: 127.0.0.1:<port>`.
    pub async fn get(&self, target: &str) -> Reply {
        self.get_with(target, &[]).await
    }

    pub async fn get_with(&self, target: &str, extra: &[&str]) -> Reply {
        let mut request = format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port()
        );
        for line in extra {
            request.push_str(line);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        raw(self.addr, request.as_bytes()).await
    }

    /// Asserts the server is up and `GET /` answers 200.
    pub async fn assert_serving(&mut self) {
        assert!(self.alive(), "hotloop exited; log:\n{}", self.log());
        let r = self.get("/").await;
        assert_eq!(
            r.status,
            200,
            "GET / answered {}; log:\n{}",
            r.status,
            self.log()
        );
    }

    /// A WebSocket client with this server's own origin, past `Hello`.
    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_reader(stream: impl Read + Send + 'static, output: Arc<Output>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
                    if std::env::var_os("HOTLOOP_TEST_VERBOSE").is_some() {
                        eprintln!("[hotloop] {line}");
                    }
                    output.lines.lock().expect("lines").push(line);
                    output.changed.send_modify(|n| *n += 1);
                }
            }
        }
        *output.closed.lock().expect("closed") += 1;
        output.changed.send_modify(|n| *n += 1);
    });
}

// ---------------------------------------------------------------- HTTP

#[path = "../support/raw_http.rs"]
mod raw_http;
pub use raw_http::Reply;

/// Sends `request` byte for byte and reads the reply until the server closes.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    raw_http::raw(addr, request, WAIT).await
}

// ---------------------------------------------------------------- WebSocket

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client that decodes every frame and keeps them.
pub struct Client {
    pub ws: Ws,
    /// Every message received, in order.
    pub messages: Vec<ServerMessage>,
    /// The close frame, once the server closed: `(code, reason)`.
    pub closed: Option<(u16, String)>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let mut request = format!("ws://127.0.0.1:{}/_hotloop/ws", addr.port())
            .into_client_request()
            .expect("ws request");
        let origin = format!("http://127.0.0.1:{}", addr.port());
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("origin"));
        let (ws, _) = timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("WebSocket handshake timed out")
            .expect("WebSocket handshake failed");
        let mut client = Client {
            ws,
            messages: Vec::new(),
            closed: None,
        };
        match client.next(WAIT).await {
            Some(ServerMessage::Hello { .. }) => {}
            other => panic!("expected Hello first, got {other:?}"),
        }
        client
    }

    /// The next protocol message, `None` once the connection closed. Panics after `limit`.
    pub async fn next(&mut self, limit: Duration) -> Option<ServerMessage> {
        let message = timeout(limit, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Binary(bytes))) => {
                        return Some(protocol::decode_server(&bytes).expect("decodable frame"));
                    }
                    Some(Ok(Message::Close(frame))) => {
                        self.closed = Some(
                            frame
                                .map(|f| (u16::from(f.code), f.reason.to_string()))
                                .unwrap_or((1005, String::new())),
                        );
                        return None;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => {
                        self.closed.get_or_insert((1006, String::new()));
                        return None;
                    }
                }
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no WebSocket message within {limit:?}; last messages: {:#?}",
                self.messages.iter().rev().take(5).collect::<Vec<_>>()
            )
        });
        if let Some(m) = &message {
            self.messages.push(m.clone());
        }
        message
    }

    /// Reads until `pred` holds for a received message (returns it); panics after `limit`.
    pub async fn until(
        &mut self,
        limit: Duration,
        mut pred: impl FnMut(&ServerMessage) -> bool,
    ) -> ServerMessage {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "no matching message within {limit:?}; last: {:#?}",
                    self.messages.iter().rev().take(5).collect::<Vec<_>>()
                );
            }
            match self.next(left).await {
                Some(m) if pred(&m) => return m,
                Some(_) => {}
                None => panic!(
                    "the server closed the socket ({:?}) before a matching message; last: {:#?}",
                    self.closed,
                    self.messages.iter().rev().take(5).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits for an update carrying module `id` whose code satisfies `pred`.
    pub async fn until_module(
        &mut self,
        id: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> HotUpdate {
        match self
            .until(limit, |m| {
                matches!(m, ServerMessage::Update(u)
                    if u.modules.iter().any(|c| &*c.id == id && pred(&c.code)))
            })
            .await
        {
            ServerMessage::Update(update) => update,
            _ => unreachable!("until returns a matching message"),
        }
    }

    /// Waits for an `Errors` message with a diagnostic in `file` whose message satisfies
    /// `pred`; returns that message text.
    pub async fn until_error(
        &mut self,
        file: &str,
        limit: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        match self
            .until(limit, |m| {
                matches!(m, ServerMessage::Errors { added, .. }
                    if added.iter().any(|d| d.file == file && pred(&d.message)))
            })
            .await
        {
            ServerMessage::Errors { added, .. } => added
                .into_iter()
                .find(|d| d.file == file && pred(&d.message))
                .map(|d| d.message)
                .unwrap_or_default(),
            _ => unreachable!("until returns a matching message"),
        }
    }

    /// Waits for an `Errors` message that clears `file`.
    pub async fn until_cleared(&mut self, file: &str, limit: Duration) {
        self.until(limit, |m| {
            matches!(m, ServerMessage::Errors { cleared, .. } if cleared.iter().any(|f| f == file))
        })
        .await;
    }
}

/// The revision a message is for (0 for custom events and `ChunkSynced`).
pub fn revision_of(message: &ServerMessage) -> u32 {
    match message {
        ServerMessage::Hello { revision, .. }
        | ServerMessage::Errors { revision, .. }
        | ServerMessage::FullReload { revision, .. } => *revision,
        ServerMessage::Update(u) => u.revision,
        ServerMessage::Custom { .. } | ServerMessage::ChunkSynced { .. } => 0,
    }
}

/// RSS samples as a one-line report: `KiB at each mark and growth per interval`.
pub fn rss_report(samples: &[(usize, u64)]) -> String {
    let mut out = String::new();
    for pair in samples.windows(2) {
        let ((_, a), (n, b)) = (pair[0], pair[1]);
        out.push_str(&format!(
            "{n}: {} MiB ({:+} KiB); ",
            b / 1024,
            b as i64 - a as i64
        ));
    }
    out
}
