//! One Node.js child: finding and checking `node`, writing the host scripts, spawning (on the
//! owner's long-lived spawner thread, so `PR_SET_PDEATHSIG` fires only when hotloop dies),
//! the reader thread that dispatches frames, stderr to `tracing`, and kill + reap on drop. The
//! child leads a process group of its own, which is killed whole, and a guardian in it
//! (`hotloop-process-guard`) stops the group if hotloop dies of SIGKILL.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};
use hotloop_process_guard::Guardian;
use hotloop_protocol::ClientId;
use hotloop_protocol::plugin::CustomEvent;
use serde_json::Value;

use crate::protocol::{Frame, Kind};
use crate::{HostError, HostEvent, ResolveAs, Resolver};

/// The oldest Node.js major the host supports (Vite 7+ needs 20.19).
pub const MIN_NODE_MAJOR: u32 = 20;

/// Lines of the child's stderr kept for a crash report.
const STDERR_TAIL: usize = 40;

const SCRIPTS: [(&str, &str); 15] = [
    ("host.js", include_str!("../js/host.js")),
    ("protocol.js", include_str!("../js/protocol.js")),
    ("config.js", include_str!("../js/config.js")),
    ("sourcemap.js", include_str!("../js/sourcemap.js")),
    ("css.js", include_str!("../js/css.js")),
    ("middlewares.js", include_str!("../js/middlewares.js")),
    ("errors.js", include_str!("../js/errors.js")),
    ("tailwind.js", include_str!("../js/tailwind.js")),
    ("profile.js", include_str!("../js/profile.js")),
    ("script-step.js", include_str!("../js/script-step.js")),
    ("own-writes.js", include_str!("../js/own-writes.js")),
    ("module-graph.js", include_str!("../js/module-graph.js")),
    ("proxy.js", include_str!("../js/proxy.js")),
    ("page-server.js", include_str!("../js/page-server.js")),
    ("warm-up.js", include_str!("../js/warm-up.js")),
];

/// Checks `node --version` (≥ [`MIN_NODE_MAJOR`]); the error names `needed_by`. Run only
/// once a host failed to start or died before its config loaded (`PluginHost::diagnosed`):
/// before every start it was a process start of its own (~10–25 ms) on the way to the config.
pub(crate) fn check_node(node: &Path, needed_by: &Path) -> Result<(), HostError> {
    let out = Command::new(node)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|_| HostError::NodeMissing {
            needed_by: needed_by.to_path_buf(),
            node: node.to_path_buf(),
        })?;
    if !out.status.success() {
        // Node ran and refused (a flag in NODE_OPTIONS it does not know, say): its own words
        // say what to fix, where a version check would only say "unknown".
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(3)
            .collect::<Vec<_>>()
            .join(" / ");
        return Err(HostError::NodeFailed {
            needed_by: needed_by.to_path_buf(),
            node: node.to_path_buf(),
            message: if message.is_empty() {
                format!("it exited with {}", out.status)
            } else {
                message
            },
        });
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(m) if out.status.success() && m >= MIN_NODE_MAJOR => Ok(()),
        _ => Err(HostError::NodeTooOld {
            needed_by: needed_by.to_path_buf(),
            node: node.to_path_buf(),
            version,
        }),
    }
}

/// Writes the embedded host scripts into a directory named by their hash (once; atomically)
/// and returns the entry script's path and the scripts' hash.
pub(crate) fn write_scripts(parent: &Path) -> Result<(PathBuf, u64), HostError> {
    let mut hash = 0u64;
    for (name, text) in SCRIPTS {
        hash ^= xxhash_rust::xxh3::xxh3_64(name.as_bytes())
            .rotate_left(7)
            .wrapping_add(xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
    }
    let dir = parent.join(format!("hotloop-plugin-host-{hash:016x}"));
    let err = |source| HostError::Scripts {
        dir: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(err)?;
    for (name, text) in SCRIPTS {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|b| b == text.as_bytes()) {
            continue;
        }
        // Unique per writer (hosts start on several threads and in several processes).
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}.{n}", std::process::id()));
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, &path).map_err(err)?;
    }
    Ok((dir.join("host.js"), hash))
}

type SpawnJob = (Command, Sender<std::io::Result<Child>>);

/// A thread that lives as long as the plugin host and spawns every child: Linux's
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, so children are
/// never forked from a caller's (possibly short-lived) thread.
pub(crate) struct Spawner {
    jobs: Option<Sender<SpawnJob>>,
    thread: Option<JoinHandle<()>>,
}

impl Spawner {
    pub(crate) fn new() -> std::io::Result<Spawner> {
        let (tx, rx) = bounded::<SpawnJob>(0);
        let thread = std::thread::Builder::new()
            .name("hotloop-plugin-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })?;
        Ok(Spawner {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    fn spawn(&self, cmd: Command) -> std::io::Result<Child> {
        let (tx, rx) = bounded(1);
        let gone = || std::io::Error::other("the plugin host's spawner thread is gone");
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send((cmd, tx))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a request got back.
pub(crate) enum Reply {
    Ok(Option<Value>),
    /// The host's error body (Rollup's shape).
    Err(Value),
    /// The host exited before answering.
    Dead,
}

/// An answer as the reader thread hands it over: the body's JSON is parsed by the thread that
/// waits for it (`Proc::request`), so the reader only reads and dispatches and the host's pipe
/// is drained at once, whatever the size of the answers.
enum Answer {
    Response(Vec<u8>),
    Error(Vec<u8>),
    Dead,
}

/// A frame's body: `None` when empty (or not JSON).
fn parse(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        None
    } else {
        serde_json::from_slice(body).ok()
    }
}

/// What the reader thread and the requesters share.
struct Shared {
    stdin: Mutex<Option<ChildStdin>>,
    pending: Mutex<HashMap<u32, Sender<Answer>>>,
    dead: AtomicBool,
    /// Set before a deliberate kill: its end of stream is no crash.
    killing: AtomicBool,
    stderr_tail: Mutex<VecDeque<String>>,
    /// The child's pid, and how it ended once the reader saw a crash.
    pid: u32,
    exit: Mutex<Option<ExitStatus>>,
    events: Sender<HostEvent>,
    custom: CustomEvents,
    resolver: Resolver,
}

/// What the host sent for the engine to take: `server.ws.send` custom events, in the order the
/// host sent them (`Plugins::take_custom_events`), and the modules plugins updated themselves
/// (`Plugins::take_invalidated`).
pub(crate) type CustomEvents = Arc<Mutex<Outbox>>;

#[derive(Default)]
pub(crate) struct Outbox {
    pub(crate) custom: Vec<CustomEvent>,
    pub(crate) invalidated: Vec<String>,
    /// A plugin asked the pages to reload (`Plugins::take_reload_requested`).
    pub(crate) reload: bool,
}

impl Shared {
    fn write(&self, frame: &Frame) -> bool {
        let mut stdin = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        match stdin.as_mut() {
            Some(s) => frame.write_to(s).is_ok(),
            None => false,
        }
    }

    fn event(&self, e: HostEvent) {
        // Never block on a reader that does not drain: drop the event instead.
        let _ = self.events.try_send(e);
    }
}

/// A running host process.
pub(crate) struct Proc {
    child: Mutex<Child>,
    pub(crate) pid: u32,
    shared: Arc<Shared>,
    next_id: AtomicU32,
    reader: Mutex<Option<JoinHandle<()>>>,
    /// Stops the host's group if hotloop dies of SIGKILL: the host dies of
    /// `PR_SET_PDEATHSIG`, but what its plugins started (vite-plugin-checker's `tsc --watch`)
    /// would live on. Taken by [`Proc::kill`].
    guardian: Mutex<Option<Guardian>>,
}

impl Proc {
    pub(crate) fn start(
        spawner: &Spawner,
        node: &Path,
        script: &Path,
        root: &Path,
        events: Sender<HostEvent>,
        custom: CustomEvents,
        resolver: Resolver,
    ) -> Result<Arc<Proc>, HostError> {
        let mut cmd = Command::new(node);
        cmd.args(node_flags(
            available_cores(),
            std::env::var("NODE_OPTIONS").ok().as_deref(),
        ))
        .arg(script)
        // The host exits at once on an older Node (`js/host.js`); `check_node` then says why.
        .arg(format!("--min-node={MIN_NODE_MAJOR}"))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: a terminal's Ctrl-C (sent to the foreground group) reaches
        // hotloop, which ends the host itself, instead of killing the host first and being
        // reported as a crash on the way out.
        .process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent died before prctl took effect: nothing will kill us later.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = spawner.spawn(cmd).map_err(|source| HostError::Spawn {
            node: node.to_path_buf(),
            source,
        })?;
        let pid = child.id();
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(a), Some(b), Some(c)) => (a, b, c),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(HostError::Spawn {
                        node: node.to_path_buf(),
                        source: std::io::Error::other("the child's stdio was not piped"),
                    });
                }
            };
        widen_pipe(&stdout);
        let shared = Arc::new(Shared {
            stdin: Mutex::new(Some(stdin)),
            pending: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
            killing: AtomicBool::new(false),
            stderr_tail: Mutex::new(VecDeque::new()),
            pid,
            exit: Mutex::new(None),
            events,
            custom,
            resolver,
        });

        let (stderr_done_tx, stderr_done) = bounded::<()>(1);
        let tail = shared.clone();
        let stderr_thread = std::thread::Builder::new()
            .name("hotloop-plugin-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    // Blank lines (between the paragraphs of Sass's deprecation notice) say
                    // nothing in a log.
                    if line.trim().is_empty() {
                        continue;
                    }
                    // What the plugins print (`console.log`, `console.error`, Node's warnings),
                    // shown as Vite's terminal shows it: under the plugins' log target, which
                    // the binary shows by default, as the line alone, its colours left out
                    // (a log escapes them: UnoCSS's inspector's auth code was unreadable).
                    let line = plain_text(&line);
                    tracing::info!(target: "hotloop::plugins", "{line}");
                    let mut t = tail.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == STDERR_TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
                let _ = stderr_done_tx.send(());
            });
        let reader_shared = shared.clone();
        let reader = std::thread::Builder::new()
            .name("hotloop-plugin-reader".into())
            .spawn(move || read_loop(stdout, &reader_shared, stderr_done));
        let proc = Arc::new(Proc {
            child: Mutex::new(child),
            pid,
            shared,
            next_id: AtomicU32::new(1),
            reader: Mutex::new(reader.ok()),
            guardian: Mutex::new(Guardian::start(pid, hotloop_process_guard::GRACE)),
        });
        if stderr_thread.is_err() || proc.reader.lock().map(|r| r.is_none()).unwrap_or(true) {
            proc.kill();
            return Err(HostError::Spawn {
                node: node.to_path_buf(),
                source: std::io::Error::other("could not start the plugin host's threads"),
            });
        }
        Ok(proc)
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.shared.dead.load(Ordering::SeqCst)
    }

    /// Sends a notification (no answer). The host reads frames in order, so it hears it before
    /// any request sent after. False when the pipe is closed.
    pub(crate) fn notify(&self, method: &str, body: &Value) -> bool {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.shared
            .write(&Frame::new(Kind::Notification, 0, method, bytes))
    }

    /// Sends a request and waits for its answer; `None` when `timeout` passed first.
    pub(crate) fn request(&self, method: &str, body: &Value, timeout: Duration) -> Option<Reply> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = bounded(1);
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        // The reader may have failed every pending request before ours was inserted.
        if self.is_dead() {
            self.forget(id);
            return Some(Reply::Dead);
        }
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        if !self
            .shared
            .write(&Frame::new(Kind::Request, id, method, bytes))
        {
            // The pipe is closed: the child is gone, whether or not the reader saw it yet.
            self.shared.dead.store(true, Ordering::SeqCst);
            self.forget(id);
            return Some(Reply::Dead);
        }
        match rx.recv_timeout(timeout) {
            Ok(Answer::Response(body)) => Some(Reply::Ok(parse(&body))),
            Ok(Answer::Error(body)) => Some(Reply::Err(parse(&body).unwrap_or(Value::Null))),
            Ok(Answer::Dead) => Some(Reply::Dead),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                self.forget(id);
                None
            }
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                self.shared.dead.store(true, Ordering::SeqCst);
                Some(Reply::Dead)
            }
        }
    }

    fn forget(&self, id: u32) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// How the child ended, when it crashed and the reader reaped it.
    pub(crate) fn exit_status(&self) -> Option<ExitStatus> {
        *self.shared.exit.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn stderr_tail(&self) -> String {
        let t = self
            .shared
            .stderr_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        t.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Kills and reaps the child, and the processes the plugins started in its group (a
    /// `tsc --watch` vite-plugin-checker runs), and joins the reader (idempotent). Its end is
    /// no crash.
    pub(crate) fn kill(&self) {
        self.shared.killing.store(true, Ordering::SeqCst);
        // Closing stdin lets a healthy host exit by itself; the kill makes sure.
        self.shared
            .stdin
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        {
            let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
            if matches!(child.try_wait(), Ok(None)) {
                // The group (the host leads it: `process_group(0)`), then the child itself.
                // SAFETY: plain syscall; the child is not reaped while we hold the lock, so
                // its group id is not reused.
                unsafe {
                    libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // What the plugins started and left in the group after the host exited by itself.
        // SAFETY: plain syscall; a process group id is not reused while the group has members.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
        }
        let guardian = self
            .guardian
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(guardian) = guardian {
            guardian.stop();
        }
        let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = reader
            && r.thread().id() != std::thread::current().id()
        {
            let _ = r.join();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Makes the host's stdout pipe 1 MB (Linux's limit for an unprivileged process) instead of
/// 64 kB. Node writes to a pipe synchronously, and the answers of one turn of its event loop
/// (compiled modules with their maps) often exceed 64 kB: the host then sat in `write` until
/// the reader thread drained the pipe. Best effort: the default size still works.
fn widen_pipe(pipe: &impl std::os::fd::AsRawFd) {
    // SAFETY: fcntl on a file descriptor this process owns; no memory is passed.
    let size = unsafe { libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
    if size < 0 {
        tracing::debug!(target: "hotloop::plugin_host", "could not widen the plugin host's stdout pipe: {}", std::io::Error::last_os_error());
    }
}

/// The cores this process may use (1 when unknown): what the host's threads are sized by.
pub(crate) fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Node's own flags for the host on a machine of `cores`, given the user's `NODE_OPTIONS`
/// (theirs win where they name the same flag).
///
/// Below 4 cores, V8's platform pool gets one thread instead of Node's default four: while a
/// cold build sends every `.vue` file through the host, its main thread (the critical path)
/// shared two cores with four V8 threads (concurrent GC and compiles, ~1.3 s of CPU), hotloop's
/// compile threads and the browser, and waited ~0.55 s of a 2.4 s build in the run queue. With
/// one V8 thread: ~0.3 s, and the 1000-SFC app's build ready 12 % sooner (2428 → 2140 ms,
/// medians of 8 interleaved builds; two threads: no gain).
fn node_flags(cores: usize, node_options: Option<&str>) -> Vec<&'static str> {
    let theirs = |flag: &str| node_options.is_some_and(|o| o.contains(flag));
    let mut flags = Vec::new();
    if cores < 4 && !theirs("--v8-pool-size") {
        flags.push("--v8-pool-size=1");
    }
    flags
}

fn read_loop(stdout: std::process::ChildStdout, shared: &Arc<Shared>, stderr_done: Receiver<()>) {
    let mut r = BufReader::new(stdout);
    loop {
        match Frame::read_from(&mut r) {
            Ok(Some(frame)) => dispatch(frame, shared),
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(target: "hotloop::plugin_host", "bad frame from the plugin host: {e}");
                break;
            }
        }
    }
    // Read before the waiting requests hear of the end: one of them restarts the host at once,
    // and its kill of this (already dead) child must not make a crash look deliberate.
    let deliberate = shared.killing.load(Ordering::SeqCst);
    let mut drained = false;
    if !deliberate {
        // How it ended, for the requests' errors and the report: its stdout closed as it
        // exited, so this takes a moment at most.
        let status = exit_status(shared.pid, Duration::from_secs(1));
        *shared.exit.lock().unwrap_or_else(|p| p.into_inner()) = status;
        // The requests' errors quote its last words: stderr drains first, a moment at most
        // (it closed as the host exited), unless a grandchild holds it open (then the
        // report below waits longer for them).
        drained = stderr_done.recv_timeout(Duration::from_millis(250)).is_ok();
    }
    shared.dead.store(true, Ordering::SeqCst);
    let pending: Vec<_> = shared
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain()
        .collect();
    for (_, tx) in pending {
        let _ = tx.send(Answer::Dead);
    }
    if !deliberate {
        // Let stderr drain so the report has the host's last words (bounded: a grandchild
        // may hold the pipe open).
        if !drained {
            let _ = stderr_done.recv_timeout(Duration::from_secs(2));
        }
        let tail = shared
            .stderr_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        // (The binary reports it, from the event.)
        tracing::debug!(target: "hotloop::plugin_host", "the plugin host exited unexpectedly");
        let status = *shared.exit.lock().unwrap_or_else(|p| p.into_inner());
        shared.event(HostEvent::Crashed {
            stderr_tail: tail,
            status,
        });
    }
}

/// A plugin's warning as the log shows it: `[plugin name] message (in its `hook` hook)`, the
/// name not repeated when the message starts with it (`this.warn('name: ...')`).
fn warning_line(plugin: &str, hook: &str, message: &str) -> String {
    let message = message
        .strip_prefix(plugin)
        .and_then(|rest| rest.strip_prefix(": "))
        .filter(|_| !plugin.is_empty())
        .unwrap_or(message);
    let mut line = if plugin.is_empty() {
        message.to_owned()
    } else {
        format!("[plugin {plugin}] {message}")
    };
    if !hook.is_empty() {
        line.push_str(&format!(" (in its `{hook}` hook)"));
    }
    line
}

/// Child `pid`'s exit status once it exited, waiting up to `limit` (`None`: still running, or
/// reaped already). It is left a zombie (`WNOWAIT`): `Proc::kill` reaps it, and its pid (its
/// group's id) is not reused before.
fn exit_status(pid: u32, limit: Duration) -> Option<ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let deadline = std::time::Instant::now() + limit;
    loop {
        // SAFETY: `info` is a plain struct waitid fills; the pid is our own child's.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let found = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
            )
        };
        if found != 0 {
            return None;
        }
        // SAFETY: waitid filled `info` for a child that changed state (else `si_pid` is 0).
        let (child, status) = unsafe { (info.si_pid(), info.si_status()) };
        if child != 0 {
            // As `wait` encodes it: an exit code in the second byte, or the signal.
            let raw = match info.si_code {
                libc::CLD_EXITED => (status & 0xff) << 8,
                libc::CLD_DUMPED => status | 0x80,
                _ => status,
            };
            return Some(ExitStatus::from_raw(raw));
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How the host ended, for messages: `exited with code 3`, `was killed by signal 9 (SIGKILL)`,
/// or `exited` when that is not known.
pub fn how_it_exited(status: Option<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    let Some(status) = status else {
        return "exited".to_owned();
    };
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    match status.signal() {
        Some(signal) => {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL: killed from outside, or out of memory)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGINT => " (SIGINT)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGABRT => " (SIGABRT)",
                libc::SIGBUS => " (SIGBUS)",
                _ => "",
            };
            format!("was killed by signal {signal}{name}")
        }
        None => "exited".to_owned(),
    }
}

fn dispatch(frame: Frame, shared: &Arc<Shared>) {
    let body = || parse(&frame.body);
    match frame.kind {
        Kind::Response | Kind::Error => {
            let tx = shared
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&frame.id);
            if let Some(tx) = tx {
                let answer = if frame.kind == Kind::Response {
                    Answer::Response(frame.body)
                } else {
                    Answer::Error(frame.body)
                };
                let _ = tx.send(answer);
            }
        }
        Kind::Request => {
            // Answered on a thread of its own: the resolver may take its time (or even call
            // this host again) without holding up the answers this thread dispatches.
            let b = body().unwrap_or(Value::Null);
            let shared_for_thread = shared.clone();
            let answer_on_thread = move || answer_request(&frame, b, &shared_for_thread);
            if let Err(e) = std::thread::Builder::new()
                .name("hotloop-plugin-resolve".into())
                .spawn(answer_on_thread)
            {
                tracing::warn!(target: "hotloop::plugin_host", "could not start a thread to answer the plugin host: {e}");
            }
        }
        Kind::Notification => {
            let b = body().unwrap_or(Value::Null);
            let s = |k: &str| b[k].as_str().unwrap_or_default().to_string();
            match frame.method.as_str() {
                "warning" => {
                    // The one report of it (the engine logs a module's warnings again only at
                    // debug): the plugin's name once, as Vite's `[plugin name]`, and its hook.
                    tracing::warn!(target: "hotloop::plugin_host", "{}", warning_line(&s("plugin"), &s("hook"), &s("message")));
                    shared.event(HostEvent::Warning {
                        plugin: s("plugin"),
                        hook: s("hook"),
                        message: s("message"),
                    });
                }
                "custom" => {
                    let mut outbox = shared.custom.lock().unwrap_or_else(|p| p.into_inner());
                    let custom = &mut outbox.custom;
                    custom.push(CustomEvent {
                        event: s("event"),
                        data: b["data"].to_string(),
                        client: b["client"].as_u64().map(ClientId),
                    });
                    // One wake-up per batch: whoever takes the events takes them all (the
                    // engine right after a hot update, or on this event for one sent outside).
                    if custom.len() == 1 {
                        shared.event(HostEvent::CustomEventsWaiting);
                    }
                }
                "reload" => {
                    let mut outbox = shared.custom.lock().unwrap_or_else(|p| p.into_inner());
                    if !std::mem::replace(&mut outbox.reload, true) {
                        shared.event(HostEvent::ReloadRequested);
                    }
                }
                "invalidate" => {
                    let ids = b["ids"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|id| id.as_str().map(str::to_string));
                    let mut outbox = shared.custom.lock().unwrap_or_else(|p| p.into_inner());
                    let invalidated = &mut outbox.invalidated;
                    let was_empty = invalidated.is_empty();
                    invalidated.extend(ids);
                    if was_empty && !invalidated.is_empty() {
                        shared.event(HostEvent::ModulesInvalidated);
                    }
                }
                "log" => {
                    let message = plain_text(&s("message"));
                    tracing::debug!(target: "hotloop::plugin_host", level = %s("level"), "{message}");
                    shared.event(HostEvent::Log {
                        level: s("level"),
                        message,
                    });
                }
                "workers" => {
                    let workers = b["ready"].as_u64().unwrap_or(0) as usize;
                    tracing::debug!(target: "hotloop::plugin_host", workers, "plugin workers ready");
                    shared.event(HostEvent::WorkersReady { workers });
                }
                other => {
                    tracing::debug!(target: "hotloop::plugin_host", "unknown notification {other}")
                }
            }
        }
    }
}

/// Answers one request of the host (`resolve`: hotloop's own resolver).
fn answer_request(frame: &Frame, b: Value, shared: &Shared) {
    let answer = match frame.method.as_str() {
        "resolve" => {
            let specifier = b["specifier"].as_str().unwrap_or_default();
            let importer = b["importer"].as_str();
            let resolve_as = match b["as"].as_str() {
                Some("css") => ResolveAs::Stylesheet,
                _ => ResolveAs::Script,
            };
            let id = (shared.resolver)(specifier, importer, resolve_as);
            Frame::new(
                Kind::Response,
                frame.id,
                &frame.method,
                id.map(|id| serde_json::to_vec(&id).unwrap_or_default())
                    .unwrap_or_default(),
            )
        }
        other => Frame::new(
            Kind::Error,
            frame.id,
            other,
            serde_json::to_vec(&serde_json::json!({
                "message": format!("hotloop does not answer `{other}`")
            }))
            .unwrap_or_default(),
        ),
    };
    shared.write(&answer);
}

/// A plugin's terminal output as a log line shows it: without its ANSI escape sequences
/// (colours, styles), and without the blank lines around it.
pub(crate) fn plain_text(text: &str) -> String {
    anstream::adapter::strip_str(text)
        .to_string()
        .trim_matches(['\n', '\r'])
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::{SCRIPTS, node_flags, plain_text, warning_line};

    /// Sweep 11: `this.warn('flaky-transform: ...')` read `flaky-transform: flaky-transform:`.
    #[test]
    fn a_plugins_warning_names_it_once_with_its_hook() {
        assert_eq!(
            warning_line(
                "flaky-transform",
                "transform",
                "flaky-transform: this file says WARN"
            ),
            "[plugin flaky-transform] this file says WARN (in its `transform` hook)"
        );
        assert_eq!(
            warning_line("vite:oxc", "transform", "unused import"),
            "[plugin vite:oxc] unused import (in its `transform` hook)"
        );
        assert_eq!(warning_line("", "", "just text"), "just text");
    }

    /// UnoCSS's inspector prints its auth code in a coloured box: the log shows the text.
    #[test]
    fn a_plugins_coloured_output_is_logged_as_its_text() {
        let line =
            "\x1b[2m│\x1b[22m \x1b[2mauth code \x1b[22m  \x1b[32m\x1b[1m714330\x1b[22m\x1b[39m";
        assert_eq!(plain_text(line), "│ auth code   714330");
        assert_eq!(
            plain_text("\n[TypeScript] Found 0 errors.\n"),
            "[TypeScript] Found 0 errors."
        );
    }

    /// Every script of `js/` (but the tests) is written beside `host.js`: a module it imports
    /// and this list forgot is a host that dies at start.
    #[test]
    fn every_host_script_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".js"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SCRIPTS.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn a_small_machine_gives_v8_one_pool_thread_unless_node_options_says_otherwise() {
        assert_eq!(node_flags(2, None), vec!["--v8-pool-size=1"]);
        assert_eq!(
            node_flags(2, Some("--max-old-space-size=4096")),
            vec!["--v8-pool-size=1"]
        );
        assert!(node_flags(2, Some("--v8-pool-size=3")).is_empty());
        assert!(node_flags(4, None).is_empty());
        assert!(node_flags(16, None).is_empty());
    }
}
