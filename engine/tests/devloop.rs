//! The engine thread (`DevLoop`) on a real temp project with real channels, fed watcher events
//! by hand: what happens when the watcher fails or loses events, and that old revisions'
//! code is released. Every wait has a time-out.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use hotloop_engine::testing::{TempProject, created, modified};
use hotloop_engine::watcher::WatchEvent;
use hotloop_engine::{
    Control, DevLoop, EngineChannels, EngineEvent, EngineHost, GraphStats, ProjectOptions,
    Publishers,
};
use hotloop_protocol::wire::{self as protocol, ServerMessage};
use hotloop_protocol::{ClientEvent, Served};
use tokio::sync::{broadcast, watch};

const WAIT: Duration = Duration::from_secs(10);

struct Harness {
    project: TempProject,
    watcher: Sender<WatchEvent>,
    control: Sender<Control>,
    telemetry: Receiver<EngineEvent>,
    updates: broadcast::Receiver<hotloop_protocol::Frame>,
    served: watch::Receiver<Arc<Served>>,
    engine: Option<JoinHandle<()>>,
    _clients: Sender<ClientEvent>,
    seen: Vec<String>,
}

impl Harness {
    /// The engine thread on the project `fixture` describes (see `hotloop_engine::testing`).
    fn new(fixture: &str) -> Harness {
        Harness::in_dir(fixture, "")
    }

    /// The engine thread on the project in `dir` of the files `fixture` describes (an app of a
    /// workspace, whose packages are outside its root).
    fn in_dir(fixture: &str, dir: &str) -> Harness {
        Harness::with_stats(fixture, dir).0
    }

    /// [`Harness::in_dir`], and the graph's counts its first build gave.
    fn with_stats(fixture: &str, dir: &str) -> (Harness, GraphStats) {
        let project = TempProject::new(fixture);
        let root = project.root().join(dir);
        let host = EngineHost::new(&root, ProjectOptions::default()).expect("host");
        let server_id: Arc<str> = Arc::from("test");
        let (served_tx, served) = watch::channel(Arc::new(Served::empty(server_id.clone())));
        let (updates_tx, updates) = broadcast::channel(64);
        let (telemetry_tx, telemetry) = crossbeam_channel::unbounded();
        let (devloop, stats) = DevLoop::start(
            host,
            server_id,
            Publishers {
                served: served_tx,
                updates: updates_tx,
                telemetry: telemetry_tx,
                server: None,
            },
        );
        let (watcher, watcher_rx) = crossbeam_channel::unbounded();
        let (clients, clients_rx) = crossbeam_channel::unbounded();
        let (control, control_rx) = crossbeam_channel::unbounded();
        let engine = std::thread::spawn(move || {
            devloop.run(EngineChannels {
                watcher: watcher_rx,
                clients: clients_rx,
                control: control_rx,
            })
        });
        let harness = Harness {
            project,
            watcher,
            control,
            telemetry,
            updates,
            served,
            engine: Some(engine),
            _clients: clients,
            seen: Vec::new(),
        };
        (harness, stats)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        self.project.write(rel, text)
    }

    fn send(&self, event: WatchEvent) {
        self.watcher.send(event).expect("engine thread alive");
    }

    fn batch(&self, paths: &[PathBuf]) {
        self.send(modified(paths));
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
            out.push(protocol::decode_server(&frame.bytes).expect("decodable"));
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
    Harness::new(
        r#"
//- /index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /src/main.js
import { a } from './a.js';
import { b } from './b.js';
console.log(a, b);
//- /src/a.js
export const a = 'a:v0';
if (import.meta.hot) import.meta.hot.accept();
"#,
    )
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
fn the_change_names_the_files_saved_not_the_modules_they_changed() {
    let mut h = Harness::new(
        r#"
//- /index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /src/main.js
import { a } from './a.js';
import text from './a.js?raw';
console.log(a, text);
//- /src/a.js
export const a = 'a:v0';
"#,
    );
    let a = h.write("src/a.js", "export const a = 'a:v1';\n");
    // An atomic save: the temporary file the editor wrote is gone, renamed over a.js.
    let temp = h.project.root().join("src/.a.js.swp-tmp");
    h.batch(&[temp, a.clone()]);
    // Two modules changed (the script and its `?raw` text); one file was saved.
    match h.wait_for("the change", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, ["src/a.js"]),
        _ => unreachable!(),
    }
    // A module deleted is named though it is gone.
    std::fs::remove_file(&a).unwrap();
    h.batch(&[a]);
    match h.wait_for("the deletion", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, ["src/a.js"]),
        _ => unreachable!(),
    }
}

#[test]
fn a_deleted_file_of_a_linked_package_is_named_by_its_path() {
    let mut h = Harness::in_dir(
        r#"
//- /apps/web/index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /apps/web/src/main.js
import { card } from '../../../packages/ui/src/card.js';
console.log(card);
//- /packages/ui/src/card.js
export const card = 'card:v0';
"#,
        "apps/web",
    );
    let card = h.write(
        "packages/ui/src/card.js",
        "export const card = 'card:v1';\n",
    );
    h.batch(std::slice::from_ref(&card));
    let shown = card.to_string_lossy().into_owned();
    match h.wait_for("the change", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, [shown.as_str()]),
        _ => unreachable!(),
    }
    // Gone: named as it was while it was there, not as its module (`@fs/…`).
    std::fs::remove_file(&card).unwrap();
    h.batch(&[card]);
    match h.wait_for("the deletion", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, [shown.as_str()]),
        _ => unreachable!(),
    }
    // Its directory moved away (one event, for the directory): its files are named.
    let back = h.write(
        "packages/ui/src/card.js",
        "export const card = 'card:v2';\n",
    );
    h.batch(&[back]);
    h.wait_for("the file back", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    });
    let src = h.project.root().join("packages/ui/src");
    std::fs::rename(&src, h.project.root().join("packages/ui/lib")).unwrap();
    h.batch(&[src]);
    match h.wait_for("the move", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, [shown.as_str()]),
        _ => unreachable!(),
    }
}

#[test]
fn an_error_in_a_linked_package_names_its_files_by_their_paths() {
    let h = Harness::in_dir(
        r#"
//- /apps/web/index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /apps/web/src/main.js
import { card } from '../../../packages/ui/src/index.js';
console.log(card);
//- /packages/ui/src/index.js
export { card } from './card.js';
"#,
        "apps/web",
    );
    let index = h.project.root().join("packages/ui/src/index.js");
    let served = h.served.borrow();
    let messages: Vec<&str> = served.errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [format!(
            "Cannot resolve './card.js' from {}: no such file",
            index.display()
        )],
    );
}

/// `rm -rf node_modules && npm install` in a workspace: the packages it hoists above the
/// root are read again at the install's marker, whatever the watcher said of their files.
#[test]
fn an_install_in_a_workspace_reads_the_packages_it_hoisted_again() {
    let mut h = Harness::in_dir(
        r#"
//- /package-lock.json
{}
//- /node_modules/.package-lock.json
{}
//- /apps/web/index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /apps/web/src/main.js
import { dep } from 'dep';
console.log(dep);
//- /node_modules/dep/package.json
{ "name": "dep", "type": "module", "exports": "./index.js" }
//- /node_modules/dep/index.js
export const dep = 'dep:v1';
"#,
        "apps/web",
    );
    let modules = h.project.root().join("node_modules");
    let index = modules.join("dep/index.js");
    std::fs::remove_file(&index).unwrap();
    h.batch(std::slice::from_ref(&index));
    h.wait_for("the failed build", |e| matches!(e, EngineEvent::Update(_)));
    assert!(!h.served.borrow().errors.is_empty());
    // The install writes the package again (its files' events lost with the directory's
    // watch), then its marker.
    std::fs::write(&index, "export const dep = 'dep:v2';\n").unwrap();
    let marker = h.write("node_modules/.package-lock.json", "{ \"v\": 2 }\n");
    h.batch(&[marker]);
    h.wait_for("the install's update", |e| {
        matches!(e, EngineEvent::Update(_))
    });
    let served = h.served.borrow();
    assert!(served.errors.is_empty(), "{:?}", served.errors);
    drop(served);
    assert!(h.chunk().contains("dep:v2"), "{}", h.chunk());
}

#[test]
fn the_packages_a_workspace_hoisted_above_the_root_count_as_in_node_modules() {
    let (_h, stats) = Harness::with_stats(
        r#"
//- /apps/web/index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /apps/web/src/main.js
import { dep } from 'dep';
import { local } from 'local';
console.log(dep, local);
//- /apps/web/node_modules/local/package.json
{ "name": "local", "type": "module", "exports": "./index.js" }
//- /apps/web/node_modules/local/index.js
export const local = 'local';
//- /node_modules/dep/package.json
{ "name": "dep", "type": "module", "exports": "./index.js" }
//- /node_modules/dep/index.js
export const dep = 'dep';
"#,
        "apps/web",
    );
    assert_eq!((stats.modules, stats.node_modules), (3, 2), "{stats:?}");
}

#[test]
fn a_directory_that_came_is_named_when_no_file_is() {
    let mut h = Harness::in_dir(
        r#"
//- /apps/web/index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /apps/web/src/main.js
console.log('main');
"#,
        "apps/web",
    );
    // (A package a workspace's install adds comes so: a directory, no file in it yet.)
    let dir = h.project.root().join("node_modules/dep");
    std::fs::create_dir_all(&dir).unwrap();
    h.send(created(std::slice::from_ref(&dir)));
    let shown = dir.to_string_lossy().into_owned();
    match h.wait_for("the change", |e| {
        matches!(e, EngineEvent::ChangeDetected { .. })
    }) {
        EngineEvent::ChangeDetected { files } => assert_eq!(files, [shown.as_str()]),
        _ => unreachable!(),
    }
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

/// The next `Update` report from the engine thread.
fn next_report(h: &mut Harness) -> hotloop_engine::UpdateReport {
    match h.wait_for("an update report", |e| matches!(e, EngineEvent::Update(_))) {
        EngineEvent::Update(report) => *report,
        _ => unreachable!(),
    }
}

/// The `FullReload` frames broadcast so far: `(reason code, reason)`.
fn reloads(h: &mut Harness) -> Vec<(u8, String)> {
    h.broadcast()
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::FullReload {
                reason_code,
                reason,
                ..
            } => Some((reason_code, reason)),
            _ => None,
        })
        .collect()
}

fn invalidate(h: &Harness, id: &str) {
    h._clients
        .send(ClientEvent::Message {
            client_id: hotloop_protocol::ClientId(1),
            message: hotloop_protocol::ClientMessage::Invalidate {
                id: id.into(),
                message: Some("test".into()),
            },
        })
        .expect("engine thread alive");
}

#[test]
fn invalidate_runs_the_update_path_and_a_loop_back_is_a_circular_invalidate_reload() {
    let mut h = Harness::new(
        r#"
//- /index.html
<!doctype html><script type=module src=/src/main.js></script>
//- /src/main.js
import { a } from './a.js';
console.log(a);
if (import.meta.hot) import.meta.hot.accept();
//- /src/a.js
export const a = 1;
"#,
    );
    // a.js invalidates itself: its importer main.js accepts itself, a hot update, whose
    // report says why.
    invalidate(&h, "/src/a.js");
    let report = next_report(&mut h);
    assert_eq!(
        report.invalidated,
        Some(hotloop_engine::Invalidated {
            module: "/src/a.js".into(),
            message: Some("test".into()),
        })
    );
    assert!(
        matches!(&report.outcome, hotloop_engine::UpdateOutcome::Hot { boundaries, .. } if boundaries == &["/src/main.js"]),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.files, ["src/a.js"]);
    assert!(reloads(&mut h).is_empty());
    // main.js re-ran and invalidates too; the walk from main.js reaches no boundary.
    // a.js again, with no edit between: it already invalidated in this chain.
    invalidate(&h, "/src/a.js");
    next_report(&mut h);
    let code = hotloop_engine::FullReloadReason::CircularInvalidate {
        module: String::new(),
    }
    .code();
    assert_eq!(
        reloads(&mut h),
        [(code, "/src/a.js invalidated itself in a loop".to_owned())]
    );
    // An edit starts a new chain: the same invalidation is a hot update again.
    let a = h.write("src/a.js", "export const a = 2;\n");
    h.batch(&[a]);
    next_report(&mut h);
    h.broadcast();
    invalidate(&h, "/src/a.js");
    next_report(&mut h);
    assert!(reloads(&mut h).is_empty());
}

#[test]
fn a_requested_reload_and_a_config_change_are_planned_reloads() {
    let mut h = app();
    h.control.send(Control::ForceReload).expect("engine alive");
    let report = next_report(&mut h);
    assert_eq!(
        report.outcome,
        hotloop_engine::UpdateOutcome::FullReload {
            reason: "reload requested".into()
        }
    );
    assert_eq!(
        reloads(&mut h),
        [(
            hotloop_engine::FullReloadReason::Requested.code(),
            "reload requested".to_owned()
        )]
    );
    let config = h.write(
        "tsconfig.json",
        "{\"compilerOptions\":{\"jsx\":\"react\"}}\n",
    );
    h.batch(&[config]);
    next_report(&mut h);
    let code = hotloop_engine::FullReloadReason::ConfigChanged {
        file: String::new(),
    }
    .code();
    assert_eq!(
        reloads(&mut h),
        [(code, "/tsconfig.json changed".to_owned())]
    );
    // A `package.json` changes what resolves, built again as an edit is: nothing here reads
    // it, so nothing reloads (`npm install` of a package no module imports yet).
    let manifest = h.write("package.json", "{\"name\":\"app\"}\n");
    h.batch(&[manifest]);
    next_report(&mut h);
    assert!(reloads(&mut h).is_empty());
}

/// The server half (server-side HMR): the app's server process gets its chunk at start, then
/// an update frame per edit of a server module; its ack makes every page hear
/// `hotloop:server-update`; a restart of the process gets the current chunk again; a server
/// module that stops compiling shows in the pages' errors, and the fix clears them.
#[test]
fn the_server_process_gets_its_chunk_updates_and_its_acks_reach_the_pages() {
    use hotloop_engine::ServerOutput;
    use hotloop_protocol::ClientId;
    use hotloop_protocol::wire::ClientMessage;

    let project = TempProject::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/client.js\"></script>\n\
         //- /src/client.js\nimport.meta.hot.on('hotloop:server-update', () => {});\n\
         //- /src/server.js\nimport { greeting } from './greeting.js';\n\
         export default { fetch: () => new Response(greeting) };\n\
         //- /src/greeting.js\nexport const greeting = 'hello';\n",
    );
    let root = std::fs::canonicalize(project.root()).unwrap();
    let options = ProjectOptions {
        server_entry: Some(root.join("src/server.js")),
        ..ProjectOptions::default()
    };
    let host = EngineHost::new(&root, options).expect("host");
    let (served_tx, _served) = watch::channel(Arc::new(Served::empty(Arc::from("test"))));
    let (updates_tx, mut updates) = broadcast::channel(64);
    let (telemetry_tx, _telemetry) = crossbeam_channel::unbounded();
    let (server_tx, server_rx) = crossbeam_channel::unbounded();
    let (devloop, _) = DevLoop::start(
        host,
        Arc::from("test"),
        Publishers {
            served: served_tx,
            updates: updates_tx,
            telemetry: telemetry_tx,
            server: Some(server_tx),
        },
    );
    let (watcher, watcher_rx) = crossbeam_channel::unbounded();
    let (clients, clients_rx) = crossbeam_channel::unbounded();
    let (control, control_rx) = crossbeam_channel::unbounded();
    let engine = std::thread::spawn(move || {
        devloop.run(EngineChannels {
            watcher: watcher_rx,
            clients: clients_rx,
            control: control_rx,
        })
    });
    let next = || {
        server_rx
            .recv_timeout(WAIT)
            .expect("a message for the server process")
    };

    let ServerOutput::Start {
        revision, chunk, ..
    } = next()
    else {
        panic!("the process starts first");
    };
    assert_eq!(revision, 1);
    assert!(
        chunk.contains("\"hello\"") && chunk.contains("\"server\":true"),
        "{chunk}"
    );

    let edit = |rel: &str, text: &str| {
        let path = project.write(rel, text);
        watcher.send(modified(&[path])).unwrap();
    };
    edit(
        "src/greeting.js",
        "export const greeting = 'hello again';\n",
    );
    let ServerOutput::Update { revision, frame } = next() else {
        panic!("an update in place");
    };
    assert_eq!(revision, 2);
    let ServerMessage::Update(update) = protocol::decode_server(&frame).unwrap() else {
        panic!("an update frame");
    };
    assert_eq!(update.boundaries, [(Arc::from("/src/server.js"), None)]);

    clients
        .send(ClientEvent::Message {
            client_id: ClientId::SERVER_PROCESS,
            message: ClientMessage::Ack {
                revision: 2,
                ok: true,
                apply_ms: 1.0,
                error: None,
            },
        })
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let custom = loop {
        assert!(Instant::now() < deadline, "no hotloop:server-update frame");
        match updates.try_recv() {
            Ok(frame) => {
                if let ServerMessage::Custom { event, data } =
                    protocol::decode_server(&frame.bytes).unwrap()
                {
                    break (event, data);
                }
            }
            Err(broadcast::error::TryRecvError::Empty) => {
                std::thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(custom.0, "hotloop:server-update");
    assert_eq!(custom.1, r#"{"revision":2,"modules":["/src/greeting.js"]}"#);

    control.send(Control::ServerRestarted).unwrap();
    let ServerOutput::Start {
        revision, chunk, ..
    } = next()
    else {
        panic!("a restarted process gets the chunk again");
    };
    assert_eq!(revision, 2);
    assert!(chunk.contains("\"hello again\""), "{chunk}");

    edit("src/greeting.js", "export const greeting = ;\n");
    let deadline = Instant::now() + WAIT;
    let errors = loop {
        assert!(Instant::now() < deadline, "no errors frame");
        match updates.try_recv() {
            Ok(frame) => {
                if let ServerMessage::Errors { added, .. } =
                    protocol::decode_server(&frame.bytes).unwrap()
                    && !added.is_empty()
                {
                    break added;
                }
            }
            Err(broadcast::error::TryRecvError::Empty) => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(errors[0].file, "/src/greeting.js");

    control.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}
