//! Test support: temp projects, a host with a file-system resolver, waiting for events.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use hotloop_plugin_host::{
    ConfigInput, HostEvent, HostOptions, PluginHost, ResolveAs, ResolvedConfig,
};

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A temp project with `files` (path relative to the root, text).
    pub fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = Project { dir };
        for (path, text) in files {
            p.write(path, text);
        }
        p
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonical root")
    }

    pub fn path(&self, rel: &str) -> String {
        self.root().join(rel).display().to_string()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// hotloop's resolver stand-in: relative specifiers against the importer's directory, when
/// the file exists; as a stylesheet, a bare specifier to `css:<specifier>` (so a test sees
/// which way it was asked).
pub fn fs_resolver() -> hotloop_plugin_host::Resolver {
    Arc::new(
        |specifier: &str, importer: Option<&str>, resolve_as: ResolveAs| {
            if resolve_as == ResolveAs::Stylesheet && !specifier.starts_with('.') {
                return Some(format!("css:{specifier}"));
            }
            let base = Path::new(importer?).parent()?;
            let path = base.join(specifier);
            path.exists().then(|| path.display().to_string())
        },
    )
}

pub fn options(p: &Project, config: &str) -> HostOptions {
    let mut o = HostOptions::new(p.root(), p.root().join(config), fs_resolver());
    o.scripts_dir = Some(std::env::temp_dir());
    o
}

/// Starts a host and loads `config` (a JS/ESM file of the project).
pub fn start(p: &Project, config: &str) -> (PluginHost, ResolvedConfig) {
    start_with(p, config, options(p, config))
}

pub fn start_with(p: &Project, config: &str, o: HostOptions) -> (PluginHost, ResolvedConfig) {
    let host = PluginHost::start(o).expect("host starts");
    let path = p.root().join(config);
    let code = std::fs::read_to_string(&path).expect("config");
    let resolved = host
        .load_config(ConfigInput {
            path,
            code,
            mode: None,
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("config loads: {e}"));
    (host, resolved)
}

/// Waits for an event matching `pred` (10 s), and returns it; panics listing what was seen.
pub fn wait_event(rx: &Receiver<HostEvent>, pred: impl Fn(&HostEvent) -> bool) -> HostEvent {
    wait_event_within(rx, Duration::from_secs(10), pred)
}

/// The host's workers ready: each imports the config's plugins (vite itself, often) in an
/// isolate of its own, which takes seconds on a loaded 2-core machine.
pub fn wait_workers(rx: &Receiver<HostEvent>) -> HostEvent {
    wait_event_within(rx, Duration::from_secs(60), |e| {
        matches!(e, HostEvent::WorkersReady { .. })
    })
}

pub fn wait_event_within(
    rx: &Receiver<HostEvent>,
    within: Duration,
    pred: impl Fn(&HostEvent) -> bool,
) -> HostEvent {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return e,
            Ok(e) => seen.push(e),
            Err(_) => panic!("no matching host event within {within:?}; seen: {seen:#?}"),
        }
    }
}

/// Waits (10 s at most) until process `pid` has exited, on a pidfd (no polling loop).
pub fn wait_gone(pid: u32) {
    // SAFETY: plain syscalls on an fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) } as i32;
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::ESRCH),
            "pidfd_open({pid}): {err}"
        );
        return;
    }
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = unsafe { libc::poll(&mut pfd, 1, 10_000) };
    unsafe { libc::close(fd) };
    assert_eq!(ready, 1, "process {pid} still runs after 10 s");
}

/// Whether process `pid` exists and has not exited.
pub fn running(pid: u32) -> bool {
    // SAFETY: plain syscalls on an fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) } as i32;
    if fd < 0 {
        return false;
    }
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
    unsafe { libc::close(fd) };
    ready == 0
}

pub fn npm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npm")
}

/// One `npm ci` at a time: the tests run on parallel threads, and two installs in one directory
/// remove each other's files.
static NPM_CI: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[path = "../../../../tests/support/plugin_packages.rs"]
mod plugin_packages;

/// The real packages (`tests/npm`), `npm ci` once (when the lock is newer than the install), like `tests/e2e.rs`.
pub fn ensure_npm_packages() -> PathBuf {
    let _one_at_a_time = NPM_CI.lock().unwrap_or_else(|p| p.into_inner());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    plugin_packages::plugin_packages(&repo)
}
