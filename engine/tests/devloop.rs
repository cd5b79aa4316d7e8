//! The engine thread (`DevLoop`) on a real temp project with real channels, fed watcher events
//! by hand: what happens when the watcher fails or loses events, and that old revisions'
//! code is released. Every wait has a time-out.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use hotloop_engine::compiler::Compiler;
use hotloop_engine::devloop::{Control, DevLoop, Inputs, Outputs};
use hotloop_engine::inputs::ProjectOptions;
use hotloop_engine::protocol::{self, ServerMessage};
use hotloop_engine::served::Served;
use hotloop_engine::telemetry::EngineEvent;
use hotloop_engine::watcher::{ChangeBatch, ChangeKind, ChangedPath, WatchEvent};
use tokio::sync::{broadcast, watch};

const WAIT: Duration = Duration::from_secs(10);

struct Harness {
    _dir: tempfile::TempDir,
    root: PathBuf,
    watcher: Sender<WatchEvent>,
    control: Sender<Control>,
    telemetry: Receiver<EngineEvent>,
    updates: broadcast::Receiver<Arc<[u8]>>,
    served: watch::Receiver<Arc<Served>>,
    engine: Option<JoinHandle<()>>,
    _clients: Sender<hotloop_engine::server::ClientEvent>,
    seen: Vec<String>,
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

impl Harness {
    fn new(files: &[(&str, &str)]) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        for (rel, text) in files {
            write(&root, rel, text);
        }
        let compiler = Compiler::new(&root, ProjectOptions::default()).expect("compiler");
        let server_id: Arc<str> = Arc::from("test");
        let (served_tx, served) = watch::channel(Arc::new(Served::empty(server_id.clone())));
        let (updates_tx, updates) = broadcast::channel(64);
        let (telemetry_tx, telemetry) = crossbeam_channel::unbounded();
        let (devloop, _) = DevLoop::start(
            compiler,
            server_id,
            Outputs {
                served: served_tx,
                updates: updates_tx,
                telemetry: telemetry_tx,
            },
        );
        let (watcher, watcher_rx) = crossbeam_channel::unbounded();
        let (clients, clients_rx) = crossbeam_channel::unbounded();
        let (control, control_rx) = crossbeam_channel::unbounded();
        let engine = std::thread::spawn(move || {
            devloop.run(Inputs {
                watcher: watcher_rx,
                clients: clients_rx,
                control: control_rx,
            })
        });
        Harness {
            _dir: dir,
            root,
            watcher,
            control,
            telemetry,
            updates,
            served,
            engine: Some(engine),
            _clients: clients,
            seen: Vec::new(),
        }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        write(&self.root, rel, text)
    }

    fn send(&self, event: WatchEvent) {
        self.watcher.send(event).expect("engine thread alive");
    }

    fn batch(&self, paths: &[PathBuf]) {
        let now = Instant::now();
        self.send(WatchEvent::Batch(ChangeBatch {
            paths: paths
                .iter()
                .map(|p| ChangedPath {
                    path: p.clone(),
                    kind: ChangeKind::Modified,
                })
                .collect(),
            first_event_at: now,
            coalesced_at: now,
            raw_events: paths.len(),
        }));
    }

    /// Waits for a telemetry event matching `pred`; panics with every event seen.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&EngineEvent) -> bool) -> EngineEvent {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.telemetry.recv_timeout(left) {
                Ok(event) if pred(&event) => return event,
                Ok(event) => self
                    .seen
                    .push(format!("{event:?}").chars().take(200).collect()),
                Err(_) => panic!("no {what} within {WAIT:?}; saw:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Every update frame broadcast so far, decoded.
    fn broadcast(&mut self) -> Vec<ServerMessage> {
        let mut out = Vec::new();
        while let Ok(frame) = self.updates.try_recv() {
            out.push(protocol::decode_server(&frame).expect("decodable"));
        }
        out
    }

    fn chunk(&self) -> String {
        String::from_utf8_lossy(self.served.borrow().chunk.bytes()).into_owned()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Shutdown);
        if let Some(engine) = self.engine.take() {
            let _ = engine.join();
        }
    }
}

fn app() -> Harness {
    Harness::new(&[
        (
            "index.html",
            "<!doctype html><script type=module src=/src/main.js></script>",
        ),
        (
            "src/main.js",
            "import { a } from './a.js';\nimport { b } from './b.js';\nconsole.log(a, b);\n",
        ),
        (
            "src/a.js",
            "export const a = 'a:v0';\nif (import.meta.hot) import.meta.hot.accept();\n",
        ),
    ])
}

#[test]
fn a_watcher_failure_is_reported_and_a_rescan_picks_up_what_was_missed() {
    let mut h = app();
    // b.js is missing at start: an error.
    assert!(
        h.served
            .borrow()
            .errors
            .iter()
            .any(|d| d.message.contains("./b.js")),
        "{:?}",
        h.served.borrow().errors
    );
    // During the outage: an edit and a new file, with no events.
    h.write(
        "src/a.js",
        "export const a = 'a:v1';\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    h.write("src/b.js", "export const b = 'b:v0';\n");
    h.send(WatchEvent::Error {
        message: "cannot watch src: OS file watch limit reached".into(),
    });
    match h.wait_for("degraded after the error", |e| {
        matches!(e, EngineEvent::WatcherDegraded { .. })
    }) {
        EngineEvent::WatcherDegraded { message } => {
            assert!(message.contains("watch limit"), "{message}")
        }
        _ => unreachable!(),
    }
    h.send(WatchEvent::Rescan {
        reason: "the file watcher lost events (kernel queue overflow)".into(),
    });
    match h.wait_for("degraded after the rescan", |e| {
        matches!(e, EngineEvent::WatcherDegraded { .. })
    }) {
        EngineEvent::WatcherDegraded { message } => {
            assert!(message.contains("lost events"), "{message}");
            assert!(message.contains("rescanned"), "{message}");
        }
        _ => unreachable!(),
    }
    h.wait_for("the update of the rescan", |e| {
        matches!(e, EngineEvent::Update(_))
    });
    // What the tabs got: the errors cleared and the new code (a reload: main's deps changed).
    let messages = h.broadcast();
    assert!(
        messages.iter().any(
            |m| matches!(m, ServerMessage::Errors { cleared, .. } if cleared.iter().any(|f| f == "/src/main.js"))
        ),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| matches!(
            m,
            ServerMessage::FullReload { .. } | ServerMessage::Update(_)
        )),
        "{messages:?}"
    );
    let chunk = h.chunk();
    assert!(chunk.contains("a:v1"), "the rescan missed the edit");
    assert!(chunk.contains("b:v0"), "the rescan missed the new file");
    assert!(h.served.borrow().errors.is_empty());
}

#[test]
fn old_revisions_code_is_released() {
    let mut h = app();
    h.write("src/b.js", "export const b = 'b:v0';\n");
    h.send(WatchEvent::Rescan {
        reason: "start clean".into(),
    });
    h.wait_for("the first build", |e| matches!(e, EngineEvent::Update(_)));
    let old_chunk: Weak<_> = Arc::downgrade(&h.served.borrow().chunk);
    let old_code: Weak<str> = {
        let served = h.served.borrow();
        Arc::downgrade(&served.modules.get("/src/a.js").expect("a.js served").code)
    };
    for v in 1..=3 {
        let a = h.write(
            "src/a.js",
            &format!(
                "export const a = 'a:v{v}';\nif (import.meta.hot) import.meta.hot.accept();\n"
            ),
        );
        h.batch(&[a]);
        h.wait_for("an update", |e| matches!(e, EngineEvent::Update(_)));
    }
    h.broadcast();
    assert!(h.chunk().contains("a:v3"));
    assert!(
        old_chunk.upgrade().is_none(),
        "a previous revision's chunk is still held"
    );
    assert!(
        old_code.upgrade().is_none(),
        "a previous revision's emitted code is still held"
    );
}
