//! One run of the app's server process and its threads (see the crate docs): the spawning
//! thread that waits for and reaps the child, the control socket's reader, the output readers.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use hotloop_process_guard::Guardian;

use crate::{
    AppServerError, AppServerEvent, AppServerOptions, CONNECT_TIMEOUT, LAST_WORDS, OutputStream,
};

/// Control frame kinds, process → hotloop.
const READY: u8 = 1;
const FRAME: u8 = 2;
const FAILURE: u8 = 3;
const RECOVERED: u8 = 4;

/// Lines of stderr kept for `Exited` (those of the last [`LAST_WORDS`] are its last words).
const STDERR_TAIL_LINES: usize = 40;
/// How long the reaper waits for the output readers to see the end of the pipes (a
/// grandchild that inherited them may keep them open).
const OUTPUT_DRAIN: Duration = Duration::from_secs(1);

/// The last lines of stderr, each with when it was read.
type Tail = Arc<Mutex<VecDeque<(Instant, String)>>>;
/// Largest control frame accepted from the process.
const MAX_FRAME: usize = 64 << 20;

pub(crate) struct Spawn<'a> {
    pub(crate) node: &'a Path,
    pub(crate) dir: &'a Path,
    pub(crate) generation: u64,
    pub(crate) options: &'a AppServerOptions,
    pub(crate) events: &'a Sender<AppServerEvent>,
}

/// What the threads of one run share.
struct Shared {
    /// The child until it is reaped; a kill takes this lock and so never signals a reused pid.
    child: Mutex<Option<Child>>,
    /// We asked it to stop: its exit is not reported.
    stopping: AtomicBool,
    /// It has exited: the control thread stops accepting, sends fail.
    exited: AtomicBool,
    /// The control socket once connected, to shut it down on stop.
    control: Mutex<Option<UnixStream>>,
}

impl Shared {
    fn child(&self) -> MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One running process.
pub(crate) struct Process {
    pub(crate) pid: u32,
    shared: Arc<Shared>,
    socket: PathBuf,
    /// Frames for the writer thread (`None` once stopping).
    frames: Option<Sender<Vec<u8>>>,
    reaper: Option<JoinHandle<()>>,
    /// Disconnected once the child has exited (before it is reaped).
    exit: Receiver<()>,
    reader: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
    /// Stops the process' group if hotloop dies of SIGKILL: node dies of `PR_SET_PDEATHSIG`,
    /// but the app's own subprocesses (a database, a worker it spawned) would live on.
    guardian: Option<Guardian>,
}

impl Process {
    pub(crate) fn spawn(spawn: Spawn<'_>) -> Result<Process, AppServerError> {
        let entry = spawn.options.entry.clone();
        let io = |what: String| {
            let entry = entry.clone();
            move |source| AppServerError::Io {
                entry,
                what,
                source,
            }
        };
        let socket = spawn.dir.join(format!("control-{}.sock", spawn.generation));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)
            .map_err(io(format!("cannot listen on {}", socket.display())))?;

        let mut command = Command::new(spawn.node);
        command
            .arg(spawn.dir.join("server.js"))
            .current_dir(&spawn.options.root)
            .envs(spawn.options.env.iter().map(|(k, v)| (k, v)))
            .env("HOTLOOP_CONTROL", &socket)
            .env("HOTLOOP_SERVER_PORT", spawn.options.port.to_string())
            .env("HOTLOOP_ROOT", &spawn.options.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // hotloop died before the prctl: do not start an orphan.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }

        let shared = Arc::new(Shared {
            child: Mutex::new(None),
            stopping: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            control: Mutex::new(None),
        });
        let (spawned_tx, spawned_rx) = crossbeam_channel::bounded(1);
        let (exit_tx, exit) = crossbeam_channel::bounded::<()>(0);
        let reaper = {
            let shared = shared.clone();
            let events = spawn.events.clone();
            let socket = socket.clone();
            std::thread::Builder::new()
                .name(format!("app-server-{}", spawn.generation))
                .spawn(move || {
                    // PR_SET_PDEATHSIG fires when the spawning thread ends: this thread lives
                    // until the child is reaped.
                    let mut child = match command.spawn() {
                        Ok(child) => child,
                        Err(error) => {
                            let _ = spawned_tx.send(Err(error));
                            return;
                        }
                    };
                    let pid = child.id();
                    let tail: Tail = Arc::new(Mutex::new(VecDeque::new()));
                    // Both readers hold a sender: disconnected once both streams ended.
                    let (output_done_tx, output_done) = crossbeam_channel::bounded::<()>(0);
                    if let Some(stdout) = child.stdout.take() {
                        let done = output_done_tx.clone();
                        lines(stdout, OutputStream::Stdout, events.clone(), None, done);
                    }
                    if let Some(stderr) = child.stderr.take() {
                        let tail = Some(tail.clone());
                        let done = output_done_tx.clone();
                        lines(stderr, OutputStream::Stderr, events.clone(), tail, done);
                    }
                    drop(output_done_tx);
                    *shared.child() = Some(child);
                    let _ = spawned_tx.send(Ok(pid));
                    wait_exit(pid);
                    let exited_at = Instant::now();
                    drop(exit_tx);
                    let status = shared.child().take().and_then(|mut c| c.wait().ok());
                    shared.exited.store(true, Ordering::SeqCst);
                    // Wake the control thread if the process never connected.
                    let _ = UnixStream::connect(&socket);
                    let _ = output_done.recv_timeout(OUTPUT_DRAIN);
                    if let Some(status) = status
                        && !shared.stopping.load(Ordering::SeqCst)
                    {
                        let last_words = last_words(&tail, exited_at);
                        tracing::debug!("the app's server process {pid} exited: {status}");
                        let _ = events.send(AppServerEvent::Exited { status, last_words });
                    }
                })
                .map_err(io("cannot start a thread".into()))?
        };
        let pid = match spawned_rx.recv() {
            Ok(Ok(pid)) => pid,
            Ok(Err(source)) => {
                let _ = reaper.join();
                return Err(AppServerError::Io {
                    entry,
                    what: format!("cannot run {}", spawn.node.display()),
                    source,
                });
            }
            Err(_) => {
                let _ = reaper.join();
                return Err(AppServerError::NotRunning { entry });
            }
        };

        let (connected_tx, connected) = crossbeam_channel::bounded::<UnixStream>(1);
        let (frames, queued) = crossbeam_channel::unbounded::<Vec<u8>>();
        let mut process = Process {
            pid,
            shared: shared.clone(),
            socket: socket.clone(),
            frames: Some(frames),
            reaper: Some(reaper),
            exit,
            reader: None,
            writer: None,
            guardian: Guardian::start(pid, crate::SHUTDOWN_GRACE),
        };
        let thread_failed = |source| AppServerError::Io {
            entry: entry.clone(),
            what: "cannot start a thread".into(),
            source,
        };
        let reader = {
            let shared = shared.clone();
            let events = spawn.events.clone();
            std::thread::Builder::new()
                .name(format!("app-server-control-{}", spawn.generation))
                .spawn(move || {
                    let accepted = listener.accept();
                    drop(listener);
                    let _ = std::fs::remove_file(&socket);
                    let Ok((stream, _)) = accepted else { return };
                    if shared.exited.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Ok(clone) = stream.try_clone() {
                        *shared.control.lock().unwrap_or_else(|p| p.into_inner()) = Some(clone);
                    }
                    if let Ok(writer) = stream.try_clone() {
                        let _ = connected_tx.send(writer);
                    }
                    read_control(stream, &events);
                })
        };
        process.reader = Some(reader.map_err(thread_failed)?);
        let writer = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(format!("app-server-writer-{}", spawn.generation))
                .spawn(move || write_control(&connected, &queued, &shared, pid))
        };
        process.writer = Some(writer.map_err(thread_failed)?);
        Ok(process)
    }

    /// Queues a framed message for the process; never blocks (a process stuck in a loop does
    /// not stall the caller). Fails once the process has exited.
    pub(crate) fn send(&self, frame: Vec<u8>) -> Result<(), ()> {
        if self.shared.exited.load(Ordering::SeqCst) {
            return Err(());
        }
        match &self.frames {
            Some(frames) => frames.send(frame).map_err(|_| ()),
            None => Err(()),
        }
    }

    /// Stops the process: SIGTERM to its group, up to `grace` for the child to exit, then
    /// SIGKILL; waits until the child is reaped and the control reader has finished. Reports
    /// no `Exited`.
    pub(crate) fn stop(&mut self, grace: Duration) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        self.frames = None;
        // The group first (the app's own subprocesses), then the child itself in case it left
        // the group. The control socket stays open meanwhile: `server.js` exits when it
        // closes, which would cut the app's own SIGTERM handler short.
        if self.signal(libc::SIGTERM) {
            let _ = self.exit.recv_timeout(grace);
            self.signal(libc::SIGKILL);
        }
        if let Some(control) = self
            .shared
            .control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = control.shutdown(Shutdown::Both);
        }
        if let Some(reaper) = self.reaper.take() {
            let _ = reaper.join();
        }
        // The app's subprocesses left in the group after the child exited by itself.
        // SAFETY: plain syscall; a process group id is not reused while the group has members.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
        }
        if let Some(guardian) = self.guardian.take() {
            guardian.stop();
        }
        for thread in [self.reader.take(), self.writer.take()]
            .into_iter()
            .flatten()
        {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.socket);
    }

    /// Sends `signal` to the process group and to the child while the child runs; false when
    /// it has exited already.
    fn signal(&self, signal: libc::c_int) -> bool {
        let mut child = self.shared.child();
        let Some(child) = child.as_mut() else {
            return false;
        };
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        // SAFETY: plain syscalls; the pid is not reaped while we hold the lock.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), signal);
            libc::kill(self.pid as libc::pid_t, signal);
        }
        true
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop(crate::SHUTDOWN_GRACE);
    }
}

/// The stderr lines read from [`LAST_WORDS`] before `exited_at` on, joined.
fn last_words(tail: &Tail, exited_at: Instant) -> String {
    let since = exited_at.checked_sub(LAST_WORDS).unwrap_or(exited_at);
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    let words: Vec<&str> = tail
        .iter()
        .filter(|(at, _)| *at >= since)
        .map(|(_, line)| line.as_str())
        .collect();
    words.join("\n")
}

/// The writer thread: waits for the process to connect (up to `CONNECT_TIMEOUT`; a process
/// that never does is killed, and its exit reported), then writes the queued frames in order
/// until the queue closes or the socket fails.
fn write_control(
    connected: &Receiver<UnixStream>,
    queued: &Receiver<Vec<u8>>,
    shared: &Shared,
    pid: u32,
) {
    let mut stream = match connected.recv_timeout(CONNECT_TIMEOUT) {
        Ok(stream) => stream,
        Err(RecvTimeoutError::Disconnected) => return,
        Err(RecvTimeoutError::Timeout) => {
            tracing::warn!(
                "the app's server process {pid} did not connect to hotloop within {} s: killed",
                CONNECT_TIMEOUT.as_secs()
            );
            let mut child = shared.child();
            if let Some(child) = child.as_mut()
                && matches!(child.try_wait(), Ok(None))
            {
                let _ = child.kill();
            }
            return;
        }
    };
    for frame in queued {
        if let Err(error) = stream.write_all(&frame) {
            tracing::debug!("the app's server's control socket closed: {error}");
            return;
        }
    }
}

/// Blocks until `pid` (our child) has exited, without reaping it.
fn wait_exit(pid: u32) {
    loop {
        // SAFETY: a zeroed siginfo_t is a valid out-parameter.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid on our own child, WNOWAIT leaves it to be reaped under the lock.
        let result = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
        {
            return;
        }
    }
}

/// Reads `stream` line by line into `Output` events on a thread of its own; stderr also keeps
/// its last lines in `tail`. `done` is dropped at the end of the stream.
fn lines(
    stream: impl Read + Send + 'static,
    which: OutputStream,
    events: Sender<AppServerEvent>,
    tail: Option<Tail>,
    done: Sender<()>,
) {
    let name = match which {
        OutputStream::Stdout => "app-server-stdout",
        OutputStream::Stderr => "app-server-stderr",
    };
    let spawned = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _done = done;
            let mut reader = BufReader::new(stream);
            let mut buffer = Vec::new();
            loop {
                buffer.clear();
                match reader.read_until(b'\n', &mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&buffer);
                let line = text.trim_end_matches(['\n', '\r']).to_owned();
                if let Some(tail) = &tail {
                    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back((Instant::now(), line.clone()));
                }
                let _ = events.send(AppServerEvent::Output {
                    stream: which,
                    line,
                });
            }
        });
    if let Err(error) = spawned {
        tracing::warn!("cannot read the app server's {name}: {error}");
    }
}

#[derive(serde::Deserialize)]
struct Ready {
    port: u16,
    #[serde(default)]
    eval_ms: f64,
    #[serde(default)]
    start_ms: f64,
}

#[derive(serde::Deserialize)]
struct Failure {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    request: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    stack: String,
}

#[derive(serde::Deserialize)]
struct Recovered {
    request: String,
}

/// Reads control frames until the socket closes.
fn read_control(stream: UnixStream, events: &Sender<AppServerEvent>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = [0u8; 4];
        if reader.read_exact(&mut length).is_err() {
            return;
        }
        let length = u32::from_le_bytes(length) as usize;
        if length == 0 || length > MAX_FRAME {
            tracing::warn!("the app's server sent a control frame of {length} bytes: ignored");
            return;
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let payload = &body[1..];
        let event = match body[0] {
            READY => match serde_json::from_slice::<Ready>(payload) {
                Ok(ready) => AppServerEvent::Ready {
                    port: ready.port,
                    eval: Duration::from_secs_f64(ready.eval_ms.max(0.0) / 1000.0),
                    start: Duration::from_secs_f64(ready.start_ms.max(0.0) / 1000.0),
                },
                Err(error) => {
                    tracing::warn!("bad READY frame from the app's server: {error}");
                    continue;
                }
            },
            FRAME => AppServerEvent::Frame(payload.to_vec()),
            FAILURE => match serde_json::from_slice::<Failure>(payload) {
                Ok(f) => AppServerEvent::Failure {
                    id: f.id,
                    context: f.context,
                    request: f.request,
                    message: f.message,
                    stack: f.stack,
                },
                Err(error) => {
                    tracing::warn!("bad FAILURE frame from the app's server: {error}");
                    continue;
                }
            },
            RECOVERED => match serde_json::from_slice::<Recovered>(payload) {
                Ok(r) => AppServerEvent::Recovered { request: r.request },
                Err(error) => {
                    tracing::warn!("bad RECOVERED frame from the app's server: {error}");
                    continue;
                }
            },
            kind => {
                tracing::warn!("unknown control frame kind {kind} from the app's server");
                continue;
            }
        };
        if events.send(event).is_err() {
            return;
        }
    }
}
