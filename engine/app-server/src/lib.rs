//! The app's server process (server-side HMR): `node server.js` with hotloop's Node runtime
//! (`hotloop_runtime::NODE_SERVER_FILES`, written to a private temp dir), talking to hotloop
//! over a Unix socket (`HOTLOOP_CONTROL`) and serving the app on `127.0.0.1:<port>`
//! (`HOTLOOP_SERVER_PORT`).
//!
//! - The control channel carries frames `[u32 LE length][kind u8][payload]` (the length counts
//!   the kind byte). hotloop → process: 1 = CHUNK (the server chunk's text), 2 = UPDATE (an
//!   encoded update frame). Process → hotloop: 1 = READY `{"port":N,"eval_ms":X,"start_ms":Y}`, 2 = FRAME (the runtime's
//!   protocol frames: acks, invalidations), 3 = FAILURE `{id, context, message, stack}`.
//! - Everything the process says arrives as [`AppServerEvent`]s on one crossbeam channel: its
//!   control frames, each line of its stdout and stderr (`Output`), and its exit when it was
//!   not asked to stop (`Exited`, with the last lines of stderr). The caller restarts it
//!   ([`AppServer::restart`]) and sends a fresh chunk; the port stays the same.
//! - **No process outlives hotloop**: the child gets `PR_SET_PDEATHSIG(SIGKILL)` (set in the
//!   thread that spawned it, which lives exactly as long as the child: Linux sends the signal
//!   when the spawning *thread* ends), runs in its own process group (the terminal's Ctrl-C
//!   reaches hotloop only; stopping kills the whole group, so the app's own subprocesses go
//!   too), is killed and reaped on `restart` and on drop, and exits by itself when the control
//!   socket closes (`server.js`).
//! - Output lines are read on threads that are not joined (a subprocess of the app may hold
//!   the pipes): a line the old process printed just before a restart may arrive after it.
//! - Threads per process: one spawns, waits for and reaps the child (`waitid(WNOWAIT)`, then
//!   the reap under the same lock a kill takes, so a kill never reaches a reused pid), one
//!   accepts and reads the control socket, one per output stream.
//!
//! - Stacks (failures', an uncaught exception's in `stderr_tail`, the app's own logs) name the
//!   original `.ts` files and lines: `server.js` turns on Node's source-map support and the
//!   engine's chunk and update factories carry inline maps (`engine/src/host/node_maps.rs`).

mod node;
mod process;

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

pub use node::MIN_NODE_MAJOR;

/// How long a just-started process has to connect its control socket; one that does not is
/// killed (and its exit reported).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
        message: String,
        stack: String,
    },
    /// One line the app printed (without its newline).
    Output { stream: OutputStream, line: String },
    /// The process exited without being asked to (a crash, `process.exit`, a signal from
    /// outside); `stderr_tail` holds its last lines of stderr. Restart it.
    Exited {
        status: ExitStatus,
        stderr_tail: String,
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
        let dir = tempfile::Builder::new()
            .prefix("hotloop-app-server-")
            .tempdir()
            .map_err(io("cannot create a temporary directory"))?;
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

    /// Kills the process (and its process group), waits for it, and starts a new one on the
    /// same port. The caller sends a fresh chunk next.
    pub fn restart(&mut self) -> Result<(), AppServerError> {
        self.stop();
        self.spawn()
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

    fn stop(&mut self) {
        // Dropping a process kills its group and reaps it.
        drop(self.process.take());
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
        self.stop();
    }
}
