//! The app's server process (server-side HMR): `node server.js` with hotloop's Node runtime
//! (`hotloop_runtime::NODE_SERVER_FILES`, written to a private temp dir: see "The private
//! directory" below), talking to hotloop
//! over a Unix socket (`HOTLOOP_CONTROL`) and serving the app on `127.0.0.1:<port>`
//! (`HOTLOOP_SERVER_PORT`).
//!
//! - The control channel carries frames `[u32 LE length][kind u8][payload]` (the length counts
//!   the kind byte). hotloop → process: 1 = CHUNK (the server chunk's text), 2 = UPDATE (an
//!   encoded update frame). Process → hotloop: 1 = READY `{"port":N,"eval_ms":X,"start_ms":Y}`, 2 = FRAME (the runtime's
//!   protocol frames: acks, invalidations), 3 = FAILURE `{id, context, request, message,
//!   stack}`, 4 = RECOVERED `{request}`.
//! - Everything the process says arrives as [`AppServerEvent`]s on one crossbeam channel: its
//!   control frames, each line of its stdout and stderr (`Output`), and its exit when it was
//!   not asked to stop (`Exited`, with its last words: the stderr it wrote in the
//!   [`LAST_WORDS`] before it exited, so the crash's own output and not the stale lines of a
//!   request long past). The caller restarts it ([`AppServer::restart`]) and sends a fresh
//!   chunk; the port stays the same.
//! - **Stopping is graceful, then forced**: SIGTERM to the process group (the app's
//!   `process.on('SIGTERM')` and, if it exits by itself then, `'exit'` handlers run), then
//!   SIGKILL after a grace ([`RESTART_GRACE`] on a restart, [`SHUTDOWN_GRACE`] on drop); a
//!   process that exits at once costs no wait (the wait is on its exit, not a timer).
//! - **No process outlives hotloop**: the child gets `PR_SET_PDEATHSIG(SIGKILL)` (set in the
//!   thread that spawned it, which lives exactly as long as the child: Linux sends the signal
//!   when the spawning *thread* ends), runs in its own process group (the terminal's Ctrl-C
//!   reaches hotloop only; stopping signals the whole group, so the app's own subprocesses go
//!   too), is stopped and reaped on `restart` and on drop, and exits by itself when the control
//!   socket closes (`server.js`). A guardian in its group (`hotloop-process-guard`) stops the
//!   group when hotloop dies of SIGKILL, so the app's own subprocesses do not outlive it
//!   either.
//! - **The private directory** (`$TMPDIR/hotloop-app-server-XXXX`, mode 0700, removed on
//!   drop) holds an `owner.lock` its `AppServer` keeps `flock`ed for its life. A hotloop
//!   killed with SIGKILL cannot remove it, so every start first removes the directories of
//!   this user whose lock it can take: their owner is dead (the kernel drops a lock with its
//!   last holder, whatever killed it; a live owner's lock is never free, in any pid
//!   namespace). The lock is taken under a temporary name and then renamed into place, so a
//!   directory is never seen with a free `owner.lock` while its owner is alive. The control
//!   socket is removed as soon as the process connected.
//! - Output lines are read on threads that are not joined (a subprocess of the app may hold
//!   the pipes): a line the old process printed just before a restart may arrive after it.
//! - Threads per process: one spawns, waits for and reaps the child (`waitid(WNOWAIT)`, then
//!   the reap under the same lock a kill takes, so a kill never reaches a reused pid), one
//!   accepts and reads the control socket, one per output stream.
//!
//! - Stacks (failures', an uncaught exception's in `last_words`, the app's own logs) name the
//!   original `.ts` files and lines: `server.js` turns on Node's source-map support and the
//!   engine's chunk and update factories carry inline maps (`engine/src/host/node_maps.rs`).

mod node;
mod process;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

pub use node::MIN_NODE_MAJOR;

/// How long a just-started process has to connect its control socket; one that does not is
/// killed (and its exit reported).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a restart waits for the process to exit after SIGTERM before it is killed.
pub const RESTART_GRACE: Duration = Duration::from_millis(300);
/// How long dropping the server (hotloop's exit) waits after SIGTERM before it kills.
pub const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// The stderr an exit reports as its last words: the lines read from this long before the
/// exit on.
pub const LAST_WORDS: Duration = Duration::from_millis(500);

/// The private directories' names start with this.
const DIR_PREFIX: &str = "hotloop-app-server-";
/// The lock file its owner holds in each private directory.
const OWNER_LOCK: &str = "owner.lock";

/// Control frame kinds, hotloop → process.
const CHUNK: u8 = 1;
const UPDATE: u8 = 2;

/// How the app's server runs.
#[derive(Clone, Debug)]
pub struct AppServerOptions {
    /// The `node` executable; `None` = the first `node` on `PATH`. Node.js 20 or newer.
    pub node: Option<PathBuf>,
    /// The server entry as the user named it (`src/server.ts`): errors name it.
    pub entry: String,
    /// The process' working directory (the project root).
    pub root: PathBuf,
    /// The port it serves on (127.0.0.1); 0 = pick a free one now and keep it for the session.
    pub port: u16,
    /// Extra environment variables (the process inherits hotloop's own environment too).
    pub env: Vec<(String, String)>,
}

/// Which output stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// What the app's server process reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppServerEvent {
    /// The chunk ran and the HTTP server listens. `eval`: evaluating the chunk (the modules'
    /// defines, then its `start` call: the entry and what it imports, as far as it runs
    /// synchronously); `start`: then waiting for the rest (externals Node imports, top-level
    /// `await`).
    Ready {
        port: u16,
        eval: Duration,
        start: Duration,
    },
    /// A protocol frame from the runtime (an ack of an update, an invalidation), as the pages
    /// send them over their WebSocket.
    Frame(Vec<u8>),
    /// A module threw while starting or re-evaluating, or a request handler failed. `stack`
    /// as Node formats it (source-mapped where the code carries a map).
    Failure {
        id: Option<String>,
        context: Option<String>,
        /// A request handler's failure: the request (`GET /api/todos?page=2`).
        request: Option<String>,
        message: String,
        stack: String,
    },
    /// A request whose handler failed was answered again without failing (below 500).
    Recovered { request: String },
    /// One line the app printed (without its newline).
    Output { stream: OutputStream, line: String },
    /// The process exited without being asked to (a crash, `process.exit`, a signal from
    /// outside); `last_words`: what it wrote to stderr in the [`LAST_WORDS`] before it exited
    /// (an uncaught exception's report, as Node printed it). Restart it.
    Exited {
        status: ExitStatus,
        last_words: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum AppServerError {
    #[error(
        "cannot run the server entry {entry}: there is no `node` on PATH. Install Node.js \
         {MIN_NODE_MAJOR} or newer (https://nodejs.org) and put it on PATH"
    )]
    NodeNotFound { entry: String },
    #[error(
        "cannot run the server entry {entry}: {} is Node.js {version}, and the server runtime \
         needs Node.js {MIN_NODE_MAJOR} or newer. Install a newer Node.js (https://nodejs.org)",
        node.display()
    )]
    NodeTooOld {
        entry: String,
        node: PathBuf,
        version: String,
    },
    #[error(
        "cannot run the server entry {entry}: {} does not run as Node.js ({why}). Install \
         Node.js {MIN_NODE_MAJOR} or newer (https://nodejs.org)",
        node.display()
    )]
    NodeUnusable {
        entry: String,
        node: PathBuf,
        why: String,
    },
    #[error("cannot start the server entry {entry}: {what}: {source}")]
    Io {
        entry: String,
        what: String,
        source: std::io::Error,
    },
    #[error(
        "the server process of {entry} is not running (it exited; the Exited event says why): \
         restart it"
    )]
    NotRunning { entry: String },
}

/// The app's server process, restarted in place; killed and reaped on drop.
pub struct AppServer {
    node: PathBuf,
    options: AppServerOptions,
    /// The runtime's files and the control sockets; removed on drop.
    dir: tempfile::TempDir,
    /// `owner.lock` in `dir`, locked for the server's life (see the crate docs).
    _owner: File,
    events_tx: Sender<AppServerEvent>,
    events_rx: Receiver<AppServerEvent>,
    generation: u64,
    process: Option<process::Process>,
}

impl AppServer {
    /// Checks `node`, writes the runtime's files, picks the port and starts the process. The
    /// caller then sends the server chunk ([`AppServer::send_chunk`]) and waits for `Ready`.
    pub fn start(mut options: AppServerOptions) -> Result<AppServer, AppServerError> {
        let node = node::find(options.node.as_deref(), &options.entry)?;
        if let Err(source) = std::fs::read_dir(&options.root) {
            return Err(AppServerError::Io {
                entry: options.entry.clone(),
                what: format!(
                    "the project root {} is not a readable directory",
                    options.root.display()
                ),
                source,
            });
        }
        let io = |what: &str| {
            let entry = options.entry.clone();
            let what = what.to_owned();
            move |source| AppServerError::Io {
                entry,
                what,
                source,
            }
        };
        let parent = std::env::temp_dir();
        remove_dead_owners_dirs(&parent);
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir_in(&parent)
            .map_err(io("cannot create a temporary directory"))?;
        let owner = lock_owner(dir.path()).map_err(io(&format!(
            "cannot lock {}",
            dir.path().join(OWNER_LOCK).display()
        )))?;
        for (name, text) in runtime::NODE_SERVER_FILES {
            let path = dir.path().join(name);
            std::fs::write(&path, text).map_err(io(&format!("cannot write {}", path.display())))?;
        }
        if options.port == 0 {
            let probe = std::net::TcpListener::bind(("127.0.0.1", 0))
                .map_err(io("cannot find a free port on 127.0.0.1"))?;
            options.port = probe
                .local_addr()
                .map_err(io("cannot find a free port on 127.0.0.1"))?
                .port();
        }
        let (events_tx, events_rx) = crossbeam_channel::unbounded();
        let mut server = AppServer {
            node,
            options,
            dir,
            _owner: owner,
            events_tx,
            events_rx,
            generation: 0,
            process: None,
        };
        server.spawn()?;
        Ok(server)
    }

    /// The events of this and every later process (restarts keep the channel).
    pub fn events(&self) -> &Receiver<AppServerEvent> {
        &self.events_rx
    }

    /// The port the app serves on (the same across restarts).
    pub fn port(&self) -> u16 {
        self.options.port
    }

    /// The private directory of the runtime's files (removed on drop).
    pub fn runtime_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id of the running process (`None` after a failed restart).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.pid)
    }

    /// Sends the server chunk: the process evaluates it and then listens (`Ready`). Sends are
    /// queued for a writer thread and never block; they fail once the process has exited.
    pub fn send_chunk(&mut self, chunk: &str) -> Result<(), AppServerError> {
        self.send(CHUNK, chunk.as_bytes())
    }

    /// Sends an encoded protocol frame (hello, update, errors, custom): the same bytes the
    /// pages get. The runtime acks updates with a `Frame` event.
    pub fn send_frame(&mut self, frame: &[u8]) -> Result<(), AppServerError> {
        self.send(UPDATE, frame)
    }

    /// Stops the process (SIGTERM to its process group, SIGKILL after [`RESTART_GRACE`]),
    /// waits for it, and starts a new one on the same port. The caller sends a fresh chunk
    /// next.
    pub fn restart(&mut self) -> Result<(), AppServerError> {
        self.stop(RESTART_GRACE);
        self.spawn()
    }

    /// Stops the process as dropping the server does (SIGTERM, SIGKILL after
    /// [`SHUTDOWN_GRACE`]) and waits for it; what it printed meanwhile is on
    /// [`AppServer::events`].
    pub fn shutdown(&mut self) {
        self.stop(SHUTDOWN_GRACE);
    }

    fn spawn(&mut self) -> Result<(), AppServerError> {
        self.generation += 1;
        let process = process::Process::spawn(process::Spawn {
            node: &self.node,
            dir: self.dir.path(),
            generation: self.generation,
            options: &self.options,
            events: &self.events_tx,
        })?;
        self.process = Some(process);
        Ok(())
    }

    fn stop(&mut self, grace: Duration) {
        if let Some(mut process) = self.process.take() {
            process.stop(grace);
        }
    }

    fn send(&mut self, kind: u8, payload: &[u8]) -> Result<(), AppServerError> {
        let entry = &self.options.entry;
        let Ok(length) = u32::try_from(payload.len() + 1) else {
            return Err(AppServerError::Io {
                entry: entry.clone(),
                what: "cannot send a frame of 4 GiB or more".into(),
                source: std::io::ErrorKind::InvalidInput.into(),
            });
        };
        let mut frame = Vec::with_capacity(payload.len() + 5);
        frame.extend_from_slice(&length.to_le_bytes());
        frame.push(kind);
        frame.extend_from_slice(payload);
        match &self.process {
            Some(process) if process.send(frame).is_ok() => Ok(()),
            _ => Err(AppServerError::NotRunning {
                entry: entry.clone(),
            }),
        }
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        self.stop(SHUTDOWN_GRACE);
    }
}

/// Creates `owner.lock` in `dir` and locks it: under a temporary name first, so no one ever
/// sees the file unlocked while this owner lives.
fn lock_owner(dir: &Path) -> std::io::Result<File> {
    let temporary = dir.join(format!(".{OWNER_LOCK}"));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    file.try_lock().map_err(std::io::Error::from)?;
    std::fs::rename(&temporary, dir.join(OWNER_LOCK))?;
    Ok(file)
}

/// Removes the private directories in `parent` that this user's hotloops left when they were
/// killed (SIGKILL): those whose `owner.lock` is free. Never one whose owner lives (it holds
/// the lock), one without a lock, another user's, or a symlink. Returns how many it removed.
pub fn remove_dead_owners_dirs(parent: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    // SAFETY: plain syscall.
    let uid = unsafe { libc::geteuid() };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(DIR_PREFIX) {
            continue;
        }
        let path = entry.path();
        // (symlink_metadata: a symlink is not a directory here, and is never followed.)
        let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == uid);
        if !ours {
            continue;
        }
        let Ok(lock) = File::options()
            .read(true)
            .write(true)
            .open(path.join(OWNER_LOCK))
        else {
            continue;
        };
        if lock.try_lock().is_err() {
            continue;
        }
        // Held while removing: a second cleaner waits for it, then finds nothing.
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                removed += 1;
                tracing::debug!("removed {}: its hotloop was killed", path.display());
            }
            Err(error) => tracing::debug!("cannot remove {}: {error}", path.display()),
        }
        drop(lock);
    }
    removed
}
