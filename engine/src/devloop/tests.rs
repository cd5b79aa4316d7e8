//! The engine thread on a temp project, fed a watcher batch by hand: the phases each update
//! reports and the memory samples that follow it.

use crossbeam_channel::{Receiver, unbounded};

use super::*;
use crate::inputs::ProjectOptions;
use crate::memory::AllocatorStats;
use crate::testing::{TempProject, TransformPlugins, modified};
use hotloop_protocol::plugin::{Output, PluginError};

const WAIT: Duration = Duration::from_secs(30);

/// The next event that `pick` accepts (others are skipped), or a panic after `WAIT`.
fn next<T>(
    events: &Receiver<EngineEvent>,
    what: &str,
    pick: impl Fn(EngineEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn memory(event: EngineEvent) -> Option<MemoryStats> {
    match event {
        EngineEvent::Memory(stats) => Some(stats),
        _ => None,
    }
}

/// The ends a test drives a dev loop with: what it publishes to (the snapshots, frames and
/// events a test reads) and what it listens to (the senders a test writes).
struct Wiring {
    publishers: Publishers,
    snapshots: tokio::sync::watch::Receiver<Arc<Served>>,
    frames: tokio::sync::broadcast::Receiver<Frame>,
    events: Receiver<EngineEvent>,
    watcher_tx: crossbeam_channel::Sender<WatchEvent>,
    clients_tx: crossbeam_channel::Sender<ClientEvent>,
    control_tx: crossbeam_channel::Sender<Control>,
    /// What the dev loop runs on (the senders above feed it).
    channels: EngineChannels,
}

/// A dev loop's channels, its first snapshot `first`.
fn wiring(first: Arc<Served>) -> Wiring {
    let (served, snapshots) = tokio::sync::watch::channel(first);
    let (updates, frames) = tokio::sync::broadcast::channel(16);
    let (telemetry, events) = unbounded();
    let (watcher_tx, watcher) = unbounded();
    let (clients_tx, clients) = unbounded();
    let (control_tx, control) = unbounded();
    Wiring {
        publishers: Publishers {
            served,
            updates,
            telemetry,
            server: None,
        },
        snapshots,
        frames,
        events,
        watcher_tx,
        clients_tx,
        control_tx,
        channels: EngineChannels {
            watcher,
            clients,
            control,
        },
    }
}

/// A project whose `index.html` starts `/src/main.js`, with `modules` (fixture text: the
/// `//- /src/main.js` file and the others), and a host on it.
fn app(modules: &str) -> (TempProject, EngineHost) {
    let project = TempProject::new(&format!(
        "//- /index.html\n\
         <!doctype html><html><body><script type=\"module\" src=\"/src/main.js\"></script></body></html>\n\
         {modules}"
    ));
    let host = EngineHost::new(project.root(), ProjectOptions::default()).expect("host");
    (project, host)
}

fn probe() -> AllocatorStats {
    AllocatorStats {
        committed: 7,
        peak: 9,
    }
}

#[test]
fn updates_report_build_phases_and_memory_follows_each_update() {
    let leaf_text = "export const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n";
    let (project, host) = app(&format!(
        "//- /src/main.js\nimport {{ v }} from './leaf.js';\nconsole.log(v);\n\
         //- /src/leaf.js\n{leaf_text}"
    ));
    let leaf = project.path("src/leaf.js");
    let Wiring {
        publishers,
        snapshots: _snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (mut devloop, _) = DevLoop::start(host, "t".into(), publishers);
    devloop.set_allocator_probe(probe);
    let engine = std::thread::spawn(move || devloop.run(channels));

    let first = next(&events, "the first memory sample", memory);
    assert!(first.rss_bytes > 0, "{first:?}");
    assert_eq!((first.allocator_committed, first.allocator_peak), (7, 9));
    assert!(
        first.queries.is_empty(),
        "memos are measured only on request"
    );
    assert!(
        first.emitted_code_bytes > 0 && first.source_map_bytes > 0,
        "{first:?}"
    );

    control_tx.send(Control::QueryMemory(true)).unwrap();
    let detailed = next(&events, "a sample with memo counts", memory);
    let memos = |name: &str| {
        detailed
            .queries
            .iter()
            .find(|(q, _, _)| q == name)
            .map(|q| q.1)
    };
    assert_eq!(memos("parsed_module"), Some(2), "{:?}", detailed.queries);

    project.write("src/leaf.js", leaf_text.replace("= 1", "= 2"));
    watcher_tx
        .send(modified(std::slice::from_ref(&leaf)))
        .unwrap();
    let report = next(&events, "the update", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    let phases: Vec<&str> = report.phases.iter().map(|(p, _)| p.name()).collect();
    assert_eq!(
        phases,
        [
            "coalesce", "read", "parse", "resolve", "emit", "plan", "encode", "send"
        ],
        "a body edit: no graph phase"
    );
    assert_eq!(report.revision, Some(1));
    assert!(
        report
            .invalidation
            .executed
            .contains(&("parsed_module".into(), "/src/leaf.js".into())),
        "{:?}",
        report.invalidation
    );
    let frame = frames.try_recv().expect("the update frame was broadcast");
    assert!(matches!(
        protocol::decode_server(&frame.bytes),
        Ok(ServerMessage::Update(update)) if update.revision == 1
    ));
    let after = next(&events, "the sample after the update", memory);
    assert!(
        !after.queries.is_empty(),
        "still measured while the tab is shown"
    );

    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
}

#[test]
fn every_update_has_its_own_number_and_only_one_that_sent_a_frame_has_a_revision() {
    let leaf_text = "export const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n";
    let (project, host) = app(&format!(
        "//- /src/main.js\nimport {{ v }} from './leaf.js';\nconsole.log(v);\n\
         //- /src/leaf.js\n{leaf_text}"
    ));
    let leaf = project.path("src/leaf.js");
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    let save = |text: String| {
        project.write("src/leaf.js", text);
        watcher_tx
            .send(modified(std::slice::from_ref(&leaf)))
            .unwrap();
        next(&events, "an update", |event| match event {
            EngineEvent::Update(report) => Some(report),
            _ => None,
        })
    };
    let hot = save(leaf_text.replace("= 1", "= 2"));
    let comment = save(format!("// a comment\n{}", leaf_text.replace("= 1", "= 2")));
    let broken = save("export const v = ;\n".to_owned());
    assert_eq!((hot.number, hot.revision), (1, Some(1)));
    assert_eq!(comment.outcome, UpdateOutcome::NoChange);
    assert_eq!((comment.number, comment.revision), (2, None));
    assert!(matches!(broken.outcome, UpdateOutcome::Errors { .. }));
    assert_eq!((broken.number, broken.revision), (3, None));

    // The ack of revision 1, after updates that sent nothing, is timed from revision 1's save.
    clients_tx
        .send(ClientEvent::Message {
            client_id: ClientId(1),
            message: ClientMessage::Ack {
                revision: 1,
                ok: true,
                apply_ms: 2.0,
                error: None,
            },
        })
        .unwrap();
    let (revision, end_to_end) = next(&events, "the ack", |event| match event {
        EngineEvent::Applied {
            revision,
            end_to_end,
            ..
        } => Some((revision, end_to_end)),
        _ => None,
    });
    assert_eq!(revision, 1);
    assert!(end_to_end.is_some());
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
}

/// Sweep 11: a `vite.config.ts` edit that does not evaluate was reported as "no change".
#[test]
fn a_config_edit_that_does_not_evaluate_is_a_failed_update() {
    let (project, mut host) =
        app("//- /src/main.js\nconsole.log(1);\n//- /vite.config.ts\nexport default {}\n");
    let config = project.path("vite.config.ts");
    host.watch_vite_config(
        config.clone(),
        Vec::new(),
        Box::new(|| Err("Expected ',', got 'ident'".to_owned())),
    );
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    project.write("vite.config.ts", "export default { plugins: [] x }\n");
    watcher_tx
        .send(modified(std::slice::from_ref(&config)))
        .unwrap();
    let report = next(&events, "the update", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    assert_eq!(report.outcome, UpdateOutcome::Errors { count: 1 });
    assert_eq!(report.revision, None);
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
}

#[test]
fn an_emptied_file_still_open_for_writing_waits_for_its_writer() {
    let short = RECHECK_DELAY;
    // Quiet and closed: the truncate-then-write is over, the file really is empty.
    assert!(takes_empty_file(true, false, short));
    // Written to lately: wait.
    assert!(!takes_empty_file(false, false, short));
    // Quiet but its writer still has it open (descheduled between truncate and write): wait
    // for the close, which comes in a later batch.
    assert!(!takes_empty_file(true, true, short));
    // Never held back for longer than the limit.
    assert!(takes_empty_file(false, true, RECHECK_LIMIT));
}

#[test]
fn an_emptied_file_is_rechecked_only_after_the_watcher_could_report_its_writer() {
    // The watcher's next batch (the file truncated again, open for writing) arrives within its
    // longest hold; the recheck must come later, with room for a descheduled watcher thread.
    let watcher = crate::watcher::WatchConfig::default();
    assert!(RECHECK_DELAY >= 2 * (watcher.max_wait + watcher.close_wait));
    assert!(RECHECK_DELAY < RECHECK_LIMIT);
}

#[test]
fn a_lazy_chunk_request_publishes_it_at_the_same_revision_with_its_errors_and_no_update() {
    let (_project, host) = app(
        "//- /src/main.js\nexport const load = () => [import('./route.js'), import('./broken.js')];\n\
         //- /src/route.js\nexport const route = 1;\n\
         //- /src/broken.js\nexport const broken = ;\n",
    );
    let Wiring {
        publishers,
        mut snapshots,
        mut frames,
        events,
        watcher_tx: _watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let first = snapshots.borrow_and_update().clone();
    assert!(matches!(
        first.lazy.get("/src/route.js"),
        hotloop_protocol::served::LazyChunkState::Pending
    ));
    assert!(
        first.errors.is_empty(),
        "nothing behind import() is compiled"
    );
    let engine = std::thread::spawn(move || devloop.run(channels));
    // The snapshot is published before the graph's change is reported.
    let wait_for = |snapshots: &mut tokio::sync::watch::Receiver<Arc<Served>>, id: &str| {
        next(
            &events,
            &format!("the graph with {id}"),
            |event| match event {
                EngineEvent::GraphChanged(_) => Some(()),
                _ => None,
            },
        );
        snapshots.borrow_and_update().clone()
    };
    clients_tx
        .send(ClientEvent::LazyChunkRequested {
            id: "/src/route.js".into(),
        })
        .unwrap();
    let served = wait_for(&mut snapshots, "/src/route.js");
    assert_eq!(served.revision, 0, "no page needs anything new");
    let hotloop_protocol::served::LazyChunkState::Ready(chunk) = served.lazy.get("/src/route.js")
    else {
        panic!("not ready");
    };
    assert_eq!(chunk.parts.len(), 1);
    assert!(frames.try_recv().is_err(), "nothing is broadcast");

    // A route that does not compile: its error goes to the pages when it is asked for.
    clients_tx
        .send(ClientEvent::LazyChunkRequested {
            id: "/src/broken.js".into(),
        })
        .unwrap();
    let served = wait_for(&mut snapshots, "/src/broken.js");
    assert!(
        served.errors.iter().any(|d| d.file == "/src/broken.js"),
        "{:?}",
        served.errors
    );
    let frame = frames.try_recv().expect("the errors frame");
    assert!(matches!(
        hotloop_protocol::wire::decode_server(&frame.bytes),
        Ok(ServerMessage::Errors { ref added, .. }) if added.iter().any(|d| d.file == "/src/broken.js")
    ));
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// Errors an edit holds back (an import of a file that is not there: the other half of a
/// rename usually follows) stay held while a page's lazy chunk compiles meanwhile (the renamed
/// route, compiled ahead): the pages do not hear of them before their grace runs out.
#[test]
fn errors_an_edit_holds_back_stay_held_while_a_lazy_chunk_compiles() {
    let (project, host) = app(
        "//- /src/main.js\nimport { a } from './a.js';\nexport const load = () => import('./route.js');\nconsole.log(a);\n\
         //- /src/a.js\nexport const a = 1;\n\
         //- /src/route.js\nexport const route = 1;\n",
    );
    let Wiring {
        publishers,
        snapshots: _snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (mut devloop, _) = DevLoop::start(host, "t".into(), publishers);
    devloop.link_error_grace = Duration::from_secs(600);
    let engine = std::thread::spawn(move || devloop.run(channels));
    project.write(
        "src/main.js",
        "import { a } from './a.js';\nimport { b } from './b.js';\nexport const load = () => import('./route.js');\nconsole.log(a, b);\n",
    );
    watcher_tx
        .send(modified(&[project.path("src/main.js")]))
        .unwrap();
    // (The dev loop builds the batch before it takes the request below.)
    next(&events, "the edit", |event| match event {
        EngineEvent::ChangeDetected { .. } => Some(()),
        _ => None,
    });
    clients_tx
        .send(ClientEvent::LazyChunkRequested {
            id: "/src/route.js".into(),
        })
        .unwrap();
    next(&events, "the route compiled", |event| match event {
        EngineEvent::GraphChanged(_) => Some(()),
        _ => None,
    });
    assert!(frames.try_recv().is_err(), "the error is held back");
    // So is the edit's "build failed" report, which goes after the error.
    assert!(
        !events
            .try_iter()
            .any(|event| matches!(event, EngineEvent::Update(_))),
        "the report is held back"
    );
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

#[test]
fn an_edit_no_open_page_needs_is_held_back_and_sent_to_a_page_whose_chunk_predates_it() {
    let (project, host) = app(
        "//- /src/main.js\nexport const load = () => import('./route.js');\n\
         //- /src/route.js\nexport const route = 1;\nimport.meta.hot.accept();\n",
    );
    let route = project.path("src/route.js");
    let Wiring {
        publishers,
        mut snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    let reported = |what: &str| {
        next(&events, what, |event| match event {
            EngineEvent::Update(report) => Some(report),
            _ => None,
        })
    };
    clients_tx
        .send(ClientEvent::LazyChunkRequested {
            id: "/src/route.js".into(),
        })
        .unwrap();
    next(&events, "the route compiled", |event| match event {
        EngineEvent::GraphChanged(_) => Some(()),
        _ => None,
    });
    let served_chunk = snapshots.borrow_and_update().snapshot;

    // Edited before any page says it loaded the route: nothing is sent, the next snapshot
    // serves the new code.
    project.write(
        "src/route.js",
        "export const route = 2;\nimport.meta.hot.accept();\n",
    );
    watcher_tx.send(modified(&[route])).unwrap();
    reported("the held-back edit");
    assert!(frames.try_recv().is_err(), "nothing is broadcast");
    assert!(snapshots.borrow_and_update().snapshot > served_chunk);

    // A page says it loaded the route's chunk from the snapshot before the edit: it gets it.
    clients_tx
        .send(ClientEvent::Message {
            client_id: ClientId(1),
            message: ClientMessage::Loaded {
                chunk: "/src/route.js".into(),
                snapshot: served_chunk,
            },
        })
        .unwrap();
    let report = reported("the resend");
    assert_eq!(report.revision, Some(1));
    let frame = frames.try_recv().expect("the update frame");
    let Ok(ServerMessage::Update(hot)) = hotloop_protocol::wire::decode_server(&frame.bytes) else {
        panic!("not an update");
    };
    assert_eq!(hot.modules.len(), 1);
    assert!(
        hot.modules[0].code.contains("route=2"),
        "{}",
        hot.modules[0].code
    );
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// The custom events (`event`, JSON data, the clients it is only for) of the frames sent so far.
fn custom_frames(
    frames: &mut tokio::sync::broadcast::Receiver<Frame>,
) -> Vec<(String, String, Option<Vec<ClientId>>)> {
    let mut got = Vec::new();
    while let Ok(frame) = frames.try_recv() {
        if let Ok(ServerMessage::Custom { event, data }) = protocol::decode_server(&frame.bytes) {
            let only = frame.only.as_ref().map(|only| only.clients.to_vec());
            got.push((event, data, only));
        }
    }
    got
}

#[test]
fn custom_events_plugins_send_on_their_own_go_to_the_pages_at_once_in_order() {
    let (_project, mut host) = app("//- /src/main.js\nconsole.log(1);\n");
    let plugins = Arc::new(crate::testing::InertPlugins::default());
    host.use_plugins(plugins.clone());
    let Wiring {
        publishers,
        snapshots: _snapshots,
        mut frames,
        events,
        watcher_tx: _watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    next(&events, "the first memory sample", memory);

    let event = |n: u32, client: Option<ClientId>| hotloop_protocol::plugin::CustomEvent {
        event: "api:called".to_string(),
        data: format!(r#"{{"n":{n}}}"#),
        client,
    };
    // The second answers one page (`client.send` in a `server.ws.on` listener).
    plugins
        .events
        .lock()
        .unwrap()
        .extend([event(1, None), event(2, Some(ClientId(7)))]);
    control_tx.send(Control::PluginEvents).unwrap();
    // Control messages are served in order: once the loop has ended, the frames are out.
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
    let got = custom_frames(&mut frames);
    assert_eq!(
        got,
        [
            ("api:called".to_string(), r#"{"n":1}"#.to_string(), None),
            (
                "api:called".to_string(),
                r#"{"n":2}"#.to_string(),
                Some(vec![ClientId(7)])
            ),
        ]
    );
    assert!(plugins.events.lock().unwrap().is_empty(), "taken");
}

/// A file no module reads, edited: what the plugins send hearing of it (i18next-hmr forwards
/// a `public/locales` file as a custom event) goes to the pages, though nothing else changed.
#[test]
fn custom_events_of_a_hot_update_of_a_file_no_module_reads_reach_the_pages() {
    let (project, mut host) =
        app("//- /src/main.js\nconsole.log(1);\n//- /public/locales/en.json\n{ \"hi\": \"hi\" }\n");
    let plugins = Arc::new(crate::testing::InertPlugins::default());
    plugins
        .announce_hot_updates
        .store(true, std::sync::atomic::Ordering::Relaxed);
    host.use_plugins(plugins.clone());
    let Wiring {
        publishers,
        snapshots: _snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    next(&events, "the first memory sample", memory);

    let locale = project.write("public/locales/en.json", "{ \"hi\": \"hello\" }\n");
    watcher_tx.send(modified(&[locale])).unwrap();
    // The batch is served before the shutdown: once the loop has ended, the frames are out.
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
    let got = custom_frames(&mut frames);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "hot");
    assert!(got[0].1.ends_with("/public/locales/en.json\""), "{got:?}");
}

#[test]
fn an_edit_in_a_lazy_chunk_goes_to_the_pages_that_loaded_it_and_a_late_loader_gets_it_alone() {
    let (project, host) = app(
        "//- /src/main.js\nexport const load = () => import('./route.js');\nimport.meta.hot.accept();\n\
         //- /src/route.js\nexport const route = 1;\nimport.meta.hot.accept();\n",
    );
    let route = project.path("src/route.js");
    let main = project.path("src/main.js");
    let Wiring {
        publishers,
        mut snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    let reported = |what: &str| {
        next(&events, what, |event| match event {
            EngineEvent::Update(report) => Some(report),
            _ => None,
        })
    };
    let save = |path: &std::path::PathBuf, rel: &str, text: &str| {
        project.write(rel, text);
        watcher_tx
            .send(modified(std::slice::from_ref(path)))
            .unwrap();
    };
    let loaded = |client: u64, snapshot: u32| {
        clients_tx
            .send(ClientEvent::Message {
                client_id: ClientId(client),
                message: ClientMessage::Loaded {
                    chunk: "/src/route.js".into(),
                    snapshot,
                },
            })
            .unwrap();
    };
    let update_of = |bytes: &[u8]| match hotloop_protocol::wire::decode_server(bytes) {
        Ok(ServerMessage::Update(hot)) => hot,
        other => panic!("not an update: {other:?}"),
    };
    clients_tx
        .send(ClientEvent::LazyChunkRequested {
            id: "/src/route.js".into(),
        })
        .unwrap();
    next(&events, "the route compiled", |event| match event {
        EngineEvent::GraphChanged(_) => Some(()),
        _ => None,
    });
    let first = snapshots.borrow_and_update().snapshot;
    // Page 1 loaded the route, page 2 did not (yet).
    loaded(1, first);
    let chunk = next(&events, "page 1 loaded the route", |event| match event {
        EngineEvent::ChunkLoaded {
            client,
            chunk,
            modules,
        } => Some((client, chunk, modules)),
        _ => None,
    });
    assert_eq!(
        (chunk.0, &*chunk.1, &chunk.2[..]),
        (1, "/src/route.js", &[Arc::from("/src/route.js")][..])
    );
    chunk_synced(&mut frames, 1);

    save(
        &route,
        "src/route.js",
        "export const route = 2;\nimport.meta.hot.accept();\n",
    );
    let report = reported("the route's edit");
    assert_eq!(
        (report.revision, report.clients),
        (Some(1), 1),
        "sent to page 1"
    );
    let frame = frames.try_recv().expect("the update frame");
    assert!(frame.is_for(ClientId(1)) && !frame.is_for(ClientId(2)));
    assert!(
        update_of(frame.bytes_for(ClientId(1))).modules[0]
            .code
            .contains("route=2")
    );
    assert_eq!(
        hotloop_protocol::wire::decode_server(frame.bytes_for(ClientId(2))),
        Ok(ServerMessage::Errors {
            revision: 1,
            added: Vec::new(),
            cleared: Vec::new(),
        }),
        "page 2 hears only that the revision moved"
    );

    // Page 2's request for the chunk was served before the edit: it is sent the edit, alone.
    loaded(2, first);
    let report = reported("the resend to page 2");
    assert_eq!(report.revision, Some(2));
    let frame = frames.try_recv().expect("the resend frame");
    assert!(frame.is_for(ClientId(2)) && !frame.is_for(ClientId(1)));
    assert!(
        update_of(frame.bytes_for(ClientId(2))).modules[0]
            .code
            .contains("route=2")
    );
    // Then the answer the page holds its `import()` for.
    chunk_synced(&mut frames, 2);

    // A page that loads the chunk from the current snapshot needs nothing.
    let current = snapshots.borrow_and_update().snapshot;
    loaded(3, current);
    next(&events, "page 3 loaded the route", |event| match event {
        EngineEvent::ChunkLoaded { client: 3, .. } => Some(()),
        _ => None,
    });
    chunk_synced(&mut frames, 3);

    // An edit of the page's own module goes to every page.
    save(
        &main,
        "src/main.js",
        "export const load = () => import('./route.js');\nimport.meta.hot.accept();\nexport const v = 2;\n",
    );
    let report = reported("the page module's edit");
    assert_eq!(report.revision, Some(3), "nothing was sent to page 3");
    let frame = frames.try_recv().expect("the update frame");
    assert!(frame.only.is_none(), "{frame:?}");
    assert!(frames.try_recv().is_err());
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// The next frame is `ChunkSynced` for the route's chunk, for `client` alone (the other tabs
/// get nothing). Waits for it (the engine sends it after the `ChunkLoaded` event).
fn chunk_synced(
    frames: &mut tokio::sync::broadcast::Receiver<hotloop_protocol::Frame>,
    client: u64,
) {
    let deadline = Instant::now() + WAIT;
    let frame = loop {
        match frames.try_recv() {
            Ok(frame) => break frame,
            Err(tokio::sync::broadcast::error::TryRecvError::Empty)
                if Instant::now() < deadline =>
            {
                std::thread::yield_now();
            }
            Err(e) => panic!("no ChunkSynced for client {client}: {e:?}"),
        }
    };
    assert!(frame.is_for(ClientId(client)), "{frame:?}");
    assert!(
        frame.bytes_for(ClientId(client + 100)).is_empty(),
        "the others get nothing"
    );
    assert_eq!(
        hotloop_protocol::wire::decode_server(frame.bytes_for(ClientId(client))),
        Ok(ServerMessage::ChunkSynced {
            chunk: "/src/route.js".into()
        })
    );
}

/// The background warm-up waits for a page's first render, not its connect: a page connects
/// right after its entries ran, before the render they scheduled, which the warm-up would
/// compete with for a core.
/// The plugins hear of the first render once (the plugin host warms Vue's compiler up then).
#[test]
fn the_background_warm_up_starts_when_a_page_rendered_not_when_it_connected() {
    let (_project, mut host) = app(
        "//- /src/main.js\nexport const load = () => import('./route.js');\n\
         //- /src/route.js\nexport const route = 1;\n",
    );
    let plugins = Arc::new(crate::testing::InertPlugins::default());
    host.use_plugins(plugins.clone());
    let rendered = || plugins.rendered.load(std::sync::atomic::Ordering::Relaxed);
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events: _events,
        ..
    } = wiring(Arc::new(Served::empty("t".into())));
    let (mut devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let page = ClientId(1);
    devloop.on_client(ClientEvent::Connected {
        client_id: page,
        user_agent: None,
    });
    assert!(
        devloop.warm_up.running.is_none(),
        "a connect alone starts no warm-up"
    );
    assert_eq!(rendered(), 0);
    devloop.on_client(ClientEvent::Message {
        client_id: page,
        message: ClientMessage::Rendered,
    });
    assert_eq!(rendered(), 1, "the plugins heard of the render");
    assert_eq!(
        devloop.warm_up.running.as_deref(),
        Some(&[Arc::<str>::from("/src/route.js")][..]),
        "the page rendered: its lazy chunk compiles in the background"
    );
    let finished = devloop
        .warm_up
        .finished
        .recv_timeout(WAIT)
        .expect("the warm-up finishes");
    assert!(finished, "nothing cancelled it");
    devloop.on_warm_up_finished(finished);
    // Said again (a reconnect): nothing left to compile, nothing starts.
    devloop.on_client(ClientEvent::Message {
        client_id: page,
        message: ClientMessage::Rendered,
    });
    assert!(devloop.warm_up.running.is_none());
    assert_eq!(rendered(), 1, "once");
}

/// A dev loop on the page `modules` make (`app`) whose page rendered and whose background
/// warm-up went through, its chunks waiting to be built ahead; `ahead_budget` the modules they
/// may add. Holds what must stay alive with it.
struct WarmedUp {
    devloop: DevLoop,
    snapshots: tokio::sync::watch::Receiver<Arc<Served>>,
    _project: TempProject,
    _frames: tokio::sync::broadcast::Receiver<Frame>,
    _events: Receiver<EngineEvent>,
}

fn warmed_up(modules: &str, ahead_budget: Option<usize>) -> WarmedUp {
    let (project, host) = app(modules);
    let Wiring {
        publishers,
        snapshots,
        frames,
        events,
        ..
    } = wiring(Arc::new(Served::empty("t".into())));
    let (mut devloop, _) = DevLoop::start(host, "t".into(), publishers);
    if let Some(budget) = ahead_budget {
        devloop.warm_up.ahead_budget = budget;
    }
    devloop.on_client(ClientEvent::Message {
        client_id: ClientId(1),
        message: ClientMessage::Rendered,
    });
    let finished = devloop
        .warm_up
        .finished
        .recv_timeout(WAIT)
        .expect("the warm-up finishes");
    devloop.on_warm_up_finished(finished);
    WarmedUp {
        devloop,
        snapshots,
        _project: project,
        _frames: frames,
        _events: events,
    }
}

/// Once the warm-up went through, the loop builds the warmed chunks ahead, one per idle
/// moment: a first navigation's request then finds its chunk served. A chunk with an error is
/// left for its request, so that the error of a route no page asked for stays out of the
/// overlay.
#[test]
fn after_the_warm_up_the_lazy_chunks_are_built_ahead_except_one_with_an_error() {
    use hotloop_protocol::served::LazyChunkState;
    let WarmedUp {
        mut devloop,
        snapshots,
        ..
    } = warmed_up(
        "//- /src/main.js\nexport const load = () => [import('./route.js'), import('./broken.js')];\n\
         //- /src/route.js\nimport { leaf } from './leaf.js';\nexport const route = leaf;\n\
         //- /src/leaf.js\nexport const leaf = 1;\n\
         //- /src/broken.js\nexport const broken = ;\n",
        None,
    );
    assert!(
        matches!(
            snapshots.borrow().lazy.get("/src/route.js"),
            LazyChunkState::Pending
        ),
        "compiled, not built yet"
    );
    assert_eq!(devloop.warm_up.ahead.len(), 2);
    devloop.build_ahead();
    devloop.build_ahead();
    assert!(devloop.warm_up.ahead.is_empty());
    let served = snapshots.borrow().clone();
    let LazyChunkState::Ready(chunk) = served.lazy.get("/src/route.js") else {
        panic!("the chunk of /src/route.js is built ahead");
    };
    let ids: Vec<&str> = chunk.parts.iter().map(|(id, _)| &**id).collect();
    assert_eq!(ids, ["/src/leaf.js", "/src/route.js"]);
    assert!(
        matches!(served.lazy.get("/src/broken.js"), LazyChunkState::Pending),
        "left for its request"
    );
    assert!(devloop.errors.is_empty(), "{:?}", devloop.errors);
}

/// The chunks built ahead stay in the snapshot, so they stop at a budget of modules: a chunk
/// that would take them past it is left for its request, a smaller one after it still fits.
#[test]
fn the_chunks_built_ahead_stop_at_their_budget_of_modules() {
    use hotloop_protocol::served::LazyChunkState;
    let WarmedUp {
        mut devloop,
        snapshots,
        ..
    } = warmed_up(
        "//- /src/main.js\nexport const load = () => [import('./big.js'), import('./small.js')];\n\
         //- /src/big.js\nimport { a } from './a.js';\nimport { b } from './b.js';\nexport const big = a + b;\n\
         //- /src/a.js\nexport const a = 1;\n\
         //- /src/b.js\nexport const b = 2;\n\
         //- /src/small.js\nexport const small = 3;\n",
        Some(2),
    );
    devloop.build_ahead();
    devloop.build_ahead();
    assert!(devloop.warm_up.ahead.is_empty());
    let served = snapshots.borrow().clone();
    assert!(
        matches!(served.lazy.get("/src/big.js"), LazyChunkState::Pending),
        "three modules are past a budget of two: left for its request"
    );
    assert!(
        matches!(served.lazy.get("/src/small.js"), LazyChunkState::Ready(_)),
        "one module fits"
    );
    assert_eq!(devloop.warm_up.ahead_modules, 1);
}

/// One session of the dev loop on `project` with the compile cache in `cache`: starts it (the
/// snapshot served while it builds, then the first one), applies `edit` (a path and its new
/// text) if any, and shuts it down. Returns the two snapshots.
fn session(
    project: &TempProject,
    cache: &std::path::Path,
    edit: Option<(&str, &str)>,
) -> (Arc<Served>, Arc<Served>) {
    let mut host = EngineHost::new(project.root(), ProjectOptions::default()).expect("host");
    host.use_compile_cache(crate::cache::CompileCache::open(cache).expect("cache"));
    // What `/` gets while the build runs, as the binary publishes it.
    let building = Arc::new(
        host.last_session_page(&"s".into())
            .unwrap_or_else(|| host.building(&"s".into())),
    );
    let Wiring {
        publishers,
        snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(building.clone());
    let (devloop, _) = DevLoop::start(host, "s".into(), publishers);
    let first = snapshots.borrow().clone();

    let engine = std::thread::spawn(move || devloop.run(channels));
    if let Some((path, text)) = edit {
        let path = project.write(path, text);
        watcher_tx.send(modified(&[path])).unwrap();
        next(&events, "the update", |event| match event {
            EngineEvent::Update(report) => Some(report),
            _ => None,
        });
    }
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().expect("engine thread");
    (building, first)
}

#[test]
fn a_session_leaves_its_last_page_to_the_next_which_serves_it_and_reloads_it_when_stale() {
    let project = TempProject::new(
        "//- /index.html\n\
         <!doctype html><script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport { v } from './leaf';\nconsole.log(v);\n\
         //- /src/leaf.ts\nexport const v: number = 1;\n",
    );
    let cache = TempProject::empty();
    let (building, first) = session(
        &project,
        cache.root(),
        Some(("src/leaf.ts", "export const v: number = 22;\n")),
    );
    assert!(!building.last_session);
    assert_eq!(first.revision, 0);

    // The next session serves the page the last one ended with (the edit in it), and the build
    // confirms it: the first snapshot names the revision that page's start statement does.
    let (building, first) = session(&project, cache.root(), None);
    assert!(building.last_session);
    let text = String::from_utf8(building.chunk.bytes().to_vec()).unwrap();
    assert!(text.contains("22"), "{text}");
    assert_eq!(building.chunk.bytes(), first.chunk.bytes());
    assert_eq!(first.revision, 0);

    // A change no file of the record shows (`./leaf` now finds leaf.js, before .ts): that page
    // is served, and the build's first snapshot names another revision, so its hello reloads
    // the pages that loaded it.
    project.write("src/leaf.js", "export const v = 333;\n");
    let (building, first) = session(&project, cache.root(), None);
    assert!(building.last_session);
    assert_eq!(first.revision, 1);
    assert!(
        String::from_utf8(first.chunk.bytes().to_vec())
            .unwrap()
            .contains("333")
    );
    assert!(
        first.chunk.trailer.contains(r#""revision":1"#),
        "{}",
        first.chunk.trailer
    );
}

/// An entry importing `made` from `/src/tokens.js`, which a test's plugins make (as UnoCSS
/// makes its stylesheet from what it scanned).
const TOKENS_APP: &str = "//- /src/main.js\nimport { made } from './tokens.js';\nconsole.log(made);\n\
     //- /src/tokens.js\nexport const kind = 'tokens';\n";

/// UnoCSS's way: a plugin marks its stylesheet module stale while the first build transforms
/// the modules it scans (`server.ws.send({ type: 'update' })`). The first page served is then
/// compiled with it: no update follows the start (a page loading then would reload, one update
/// behind).
#[test]
fn what_plugins_mark_stale_during_the_first_build_is_in_the_first_page() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    // `/src/tokens.js` exports how many times it was transformed; the first transform of
    // `/src/main.js` marks it stale (once).
    let made = Arc::new(AtomicUsize::new(0));
    let marked = AtomicBool::new(false);
    let counted = made.clone();
    let plugins = Arc::new(TransformPlugins::new(
        &["/src/tokens.js", "/src/main.js"],
        move |plugins, id, code| {
            if id.ends_with("/src/main.js") {
                if !marked.swap(true, Ordering::SeqCst) {
                    plugins.mark_stale(id.replace("/src/main.js", "/src/tokens.js"));
                }
                return Ok(None);
            }
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Some(Output {
                code: format!("{code}export const made = {n};\n"),
                ..Output::default()
            }))
        },
    ));

    let (_project, mut host) = app(TOKENS_APP);
    host.use_plugins(plugins.clone());
    let Wiring {
        publishers,
        snapshots,
        mut frames,
        events: _events,
        watcher_tx: _watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    assert_eq!(
        made.load(Ordering::SeqCst),
        2,
        "compiled again in the start"
    );
    assert_eq!(snapshots.borrow().revision, 0);
    let engine = std::thread::spawn(move || devloop.run(channels));
    // The plugin host's notification of the stale module, handled after the start.
    control_tx.send(Control::PluginEvents).unwrap();
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
    assert!(frames.try_recv().is_err(), "no update after the start");
    assert_eq!(made.load(Ordering::SeqCst), 2);
}

#[test]
fn an_error_naming_another_file_waits_for_the_rest_of_the_change_and_goes_out_if_it_stays() {
    let (project, host) = app(
        "//- /src/main.js\nimport { a } from './a.js';\nconsole.log(a);\n\
         //- /src/a.js\nexport const a = 1;\n",
    );
    let Wiring {
        publishers,
        snapshots: _snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));

    // A rename refactor's two saves, in two batches: between them `main.js` imports a name
    // `a.js` no longer exports. The dev loop takes the second batch before the grace ends.
    project.write("src/a.js", "export const b = 1;\n");
    project.write(
        "src/main.js",
        "import { b } from './a.js';\nconsole.log(b);\n",
    );
    watcher_tx
        .send(modified(&[project.path("src/a.js")]))
        .unwrap();
    watcher_tx
        .send(modified(&[project.path("src/main.js")]))
        .unwrap();
    // The log says nothing of the passing error: the first batch's "build failed" (no error
    // line ever under it) gave way to the second's update (sweep 17).
    let report = next(&events, "an update", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    assert!(
        !matches!(report.outcome, UpdateOutcome::Errors { .. }),
        "{:?}",
        report.outcome
    );
    assert!(
        report.files.iter().any(|f| f.ends_with("main.js")),
        "{report:?}"
    );
    assert_eq!(report.number, 1, "{report:?}");
    // Half a change that stays: its error goes out once the grace is over, and then the
    // build's "build failed" line.
    project.write("src/a.js", "export const c = 1;\n");
    watcher_tx
        .send(modified(&[project.path("src/a.js")]))
        .unwrap();
    let (shown, report) = next(&events, "the diagnostics", |event| match event {
        EngineEvent::Diagnostics(errors) => Some((errors, None)),
        EngineEvent::Update(report) => Some((Arc::from([]), Some(report))),
        _ => None,
    });
    assert!(report.is_none(), "the update before its errors: {report:?}");
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].message.contains("export named 'b'"), "{shown:?}");
    let report = next(&events, "the failed build's update", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    assert_eq!(report.outcome, UpdateOutcome::Errors { count: 1 });
    assert_eq!(report.number, 2, "{report:?}");
    // The pages heard of that one only: nothing of the first change's passing error.
    let mut errors_frames = Vec::new();
    while let Ok(frame) = frames.try_recv() {
        if let Ok(ServerMessage::Errors { added, .. }) = protocol::decode_server(&frame.bytes) {
            errors_frames.push(added);
        }
    }
    assert_eq!(errors_frames.len(), 1, "{errors_frames:?}");
    assert!(
        errors_frames[0][0].message.contains("export named 'b'"),
        "{errors_frames:?}"
    );

    // An error in the file itself (a syntax error) goes out at once: no grace.
    project.write("src/a.js", "export const c = ;\n");
    watcher_tx
        .send(modified(&[project.path("src/a.js")]))
        .unwrap();
    let shown = next(&events, "the syntax error", |event| match event {
        EngineEvent::Diagnostics(errors) => Some(errors),
        _ => None,
    });
    assert!(
        shown
            .iter()
            .any(|d| d.kind == hotloop_protocol::DiagnosticKind::Syntax),
        "{shown:?}"
    );
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

#[test]
fn only_errors_naming_another_file_are_held() {
    let diagnostic = |file: &str, kind| Diagnostic {
        kind,
        file: file.into(),
        line: 1,
        column: 1,
        message: "m".into(),
        code_frame: String::new(),
    };
    use hotloop_protocol::DiagnosticKind::{Resolve, Syntax};
    let link = diagnostic("/src/main.js", Resolve);
    let syntax = diagnostic("/src/b.js", Syntax);
    assert!(only_link_errors_added(&[], std::slice::from_ref(&link)));
    assert!(only_link_errors_added(
        std::slice::from_ref(&syntax),
        &[syntax.clone(), link.clone()]
    ));
    assert!(!only_link_errors_added(&[], std::slice::from_ref(&syntax)));
    assert!(
        !only_link_errors_added(std::slice::from_ref(&syntax), std::slice::from_ref(&link)),
        "a fix goes out at once"
    );
    assert!(!only_link_errors_added(
        std::slice::from_ref(&link),
        std::slice::from_ref(&link)
    ));
}

/// A plugin's hot update that answers `[]` (it handled the edit: analog's custom events) sends
/// the page nothing, but the snapshot a page loads from then on has the new code (a reload
/// kept the old one until the next update).
#[test]
fn code_a_plugin_said_it_handled_is_what_a_page_loads_after() {
    let (project, mut host) = app(
        "//- /src/main.js\nimport { view } from './view.js';\nconsole.log(view);\n\
         //- /src/view.js\nexport const view = 'first';\n",
    );
    let plugins = crate::testing::InertPlugins::default();
    plugins.handles.lock().unwrap().push("/src/view.js".into());
    host.use_plugins(Arc::new(plugins));
    let Wiring {
        publishers,
        mut snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    let before = snapshots.borrow_and_update().snapshot;
    project.write("src/view.js", "export const view = 'second';\n");
    watcher_tx
        .send(modified(&[project.path("src/view.js")]))
        .unwrap();
    next(&events, "the edit's report", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    assert!(frames.try_recv().is_err(), "nothing is broadcast");
    let served = snapshots.borrow_and_update().clone();
    assert!(served.snapshot > before, "a new snapshot");
    let chunk = String::from_utf8(served.chunk.bytes().to_vec()).unwrap();
    assert!(chunk.contains("second"), "{chunk}");
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// The texts of the files a build read are dropped once its snapshot is published (the first
/// build's, an edit's): the engine holds a file's text only while a build needs it.
#[test]
fn the_texts_a_build_read_are_released_once_its_snapshot_is_published() {
    let (project, host) = app(
        "//- /src/main.js\nimport { v } from './leaf.js';\nconsole.log(v);\n\
         //- /src/leaf.js\nexport const v = 1;\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    let wiring = wiring(Arc::new(Served::empty("t".into())));
    let mut snapshots = wiring.snapshots.clone();
    let (mut devloop, _) = DevLoop::start(host, "t".into(), wiring.publishers);
    assert_eq!(
        devloop.host.release_texts(),
        0,
        "released with the first snapshot"
    );
    assert_eq!(snapshots.borrow_and_update().snapshot, 1);

    let leaf = project.write(
        "src/leaf.js",
        "export const v = 2;\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    let WatchEvent::Batch(batch) = modified(&[leaf]) else {
        unreachable!()
    };
    devloop.on_batch(batch);
    assert!(
        snapshots.has_changed().unwrap(),
        "the update published a snapshot"
    );
    assert_eq!(
        devloop.host.release_texts(),
        0,
        "released with the update's snapshot"
    );
    // What is served is unchanged by it: the edited module's map still gets its source.
    let served = snapshots.borrow().clone();
    let source = served.modules["/src/leaf.js"]
        .map_source
        .as_ref()
        .and_then(|source| source.text());
    assert!(source.is_some_and(|text| text.contains("v = 2")));
}

/// Ctrl-C while the plugins work on an edit: the host is stopped and their requests end with
/// "the dev server is shutting down". No page hears of that as its code's error (an overlay
/// left in every tab, naming each module of the edit, after hotloop exited).
#[test]
fn an_update_the_stopped_plugins_cut_short_sends_the_pages_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    // Transforms `/src/main.js`; the second time the host is stopped meanwhile.
    let transforms = AtomicUsize::new(0);
    let plugins = TransformPlugins::new(&["/src/main.js"], move |plugins, id, _| {
        if transforms.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(None);
        }
        plugins.stopped.store(true, Ordering::SeqCst);
        Err(Box::new(PluginError {
            plugin: "plugin host".into(),
            hook: "transform".into(),
            id: Some(id.into()),
            message: "the dev server is shutting down".into(),
            loc: None,
            frame: None,
        }))
    });

    let (project, mut host) = app("//- /src/main.js\nconsole.log(1);\n");
    host.use_plugins(Arc::new(plugins));
    let Wiring {
        publishers,
        snapshots,
        mut frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    project.write("src/main.js", "console.log(2);\n");
    watcher_tx
        .send(modified(&[project.path("src/main.js")]))
        .unwrap();
    // Its update follows at once, on the engine's thread, before the next message.
    next(&events, "the change", |event| match event {
        EngineEvent::ChangeDetected { .. } => Some(()),
        _ => None,
    });
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
    assert!(frames.try_recv().is_err(), "no frame for the pages");
    assert!(snapshots.borrow().errors.is_empty());
}

/// The log's "change:" line names the files saved: a directory that came with a new file in
/// it (a component folder created by the editor with its first file) is not one ("change:
/// src/widgets, src/views/Home.vue, src/widgets/WidgetBox.vue").
#[test]
fn a_new_directory_is_not_named_among_the_files_changed() {
    let (project, host) = app("//- /src/main.js\nconsole.log(1);\n");
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    project.write("src/widgets/box.js", "export const box = 1;\n");
    project.write(
        "src/main.js",
        "import { box } from './widgets/box.js';\nconsole.log(box);\n",
    );
    watcher_tx
        .send(modified(&[
            project.path("src/widgets"),
            project.path("src/main.js"),
            project.path("src/widgets/box.js"),
        ]))
        .unwrap();
    let files = next(&events, "the change", |event| match event {
        EngineEvent::ChangeDetected { files } => Some(files),
        _ => None,
    });
    assert_eq!(files, ["src/main.js", "src/widgets/box.js"]);
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// A compile no change of the user's asked for (a module a plugin marked stale, the kept
/// outputs of the last session found different) that changes nothing the pages run is not
/// reported: the log said "no change" under no change line of its own (after
/// `components.d.ts`'s, when unplugin-vue-components rewrote it; after the start).
#[test]
fn a_plugins_recompile_that_changes_nothing_is_not_reported() {
    // `/src/tokens.js` gets a line of its own, the same each time; each transform is told.
    let (transformed_tx, transformed) = std::sync::mpsc::channel();
    let plugins = Arc::new(TransformPlugins::new(
        &["/src/tokens.js"],
        move |_, _, code| {
            let _ = transformed_tx.send(());
            Ok(Some(Output {
                code: format!("{code}export const made = 1;\n"),
                ..Output::default()
            }))
        },
    ));

    let (project, mut host) = app(TOKENS_APP);
    host.use_plugins(plugins.clone());
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    // (The start's compile of it.)
    while transformed.try_recv().is_ok() {}
    plugins.mark_stale(project.path("src/tokens.js").to_string_lossy());
    control_tx.send(Control::PluginEvents).unwrap();
    transformed
        .recv_timeout(WAIT)
        .expect("the stale module compiled again");
    // An edit after it (the loop handles it once that compile's update is done): its update
    // is the first reported.
    project.write(
        "src/main.js",
        "import { made } from './tokens.js';\nconsole.log(made, 2);\n",
    );
    watcher_tx
        .send(modified(&[project.path("src/main.js")]))
        .unwrap();
    let files = next(&events, "an update", |event| match event {
        EngineEvent::Update(report) => Some(report.files.clone()),
        _ => None,
    });
    assert_eq!(files, ["src/main.js"]);
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// Sweep 16: TanStack Router's generator makes `.tanstack/tmp` at the root to write
/// `routeTree.gen.ts` through; the log said "change: .tanstack, src/routeTree.gen.ts".
#[test]
fn the_change_line_leaves_out_a_tools_dot_directory() {
    let (project, host) = app("//- /src/main.js\nconsole.log(1);\n");
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    project.write(".tanstack/tmp/routeTree.gen.ts.1", "x");
    project.write("src/main.js", "console.log(2);\n");
    watcher_tx
        .send(modified(&[
            project.path(".tanstack"),
            project.path(".tanstack/tmp"),
            project.path(".tanstack/tmp/routeTree.gen.ts.1"),
            project.path("src/main.js"),
        ]))
        .unwrap();
    let files = next(&events, "the change", |event| match event {
        EngineEvent::ChangeDetected { files } => Some(files),
        _ => None,
    });
    assert_eq!(files, ["src/main.js"]);
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// Session 50: with a module a plugin fails on, an atomic save of a file no module reads
/// (`public/data.json` in a Solid app) moves the resolution epoch, and the plugin's pass over
/// that module runs again and fails the same way; the log printed the same "build failed"
/// line again on every such save. It is a save that changed nothing.
#[test]
fn the_same_plugin_failure_again_after_an_unrelated_save_is_not_reported_as_a_failed_build() {
    let (transformed_tx, transformed) = std::sync::mpsc::channel();
    let plugins = Arc::new(TransformPlugins::new(
        &["/src/tokens.js"],
        move |_, id, code| {
            let _ = transformed_tx.send(());
            if !code.contains("broken") {
                return Ok(None);
            }
            Err(Box::new(PluginError {
                plugin: "tokens".into(),
                hook: "transform".into(),
                id: Some(id.into()),
                message: "cannot compile the tokens".into(),
                loc: None,
                frame: None,
            }))
        },
    ));
    let (project, mut host) = app(
        "//- /src/main.js\nimport { kind } from './tokens.js';\nconsole.log(kind);\n\
         //- /src/tokens.js\nexport const kind = 'tokens';\n\
         //- /public/data.json\n{}\n",
    );
    host.use_plugins(plugins);
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx,
        clients_tx: _clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    let update = |what: &str| {
        next(&events, what, |event| match event {
            EngineEvent::Update(report) => Some(report),
            _ => None,
        })
    };

    project.write("src/tokens.js", "export const kind = 'broken';\n");
    watcher_tx
        .send(modified(&[project.path("src/tokens.js")]))
        .unwrap();
    let failed = update("the failed build");
    assert_eq!(failed.outcome, UpdateOutcome::Errors { count: 1 });
    while transformed.try_recv().is_ok() {}

    let data = project.write_atomic("public/data.json", "{\"a\": 1}\n");
    watcher_tx
        .send(modified(&[
            PathBuf::from(format!("{}.tmp", data.display())),
            data,
        ]))
        .unwrap();
    let report = update("the save's update");
    transformed
        .try_recv()
        .expect("the plugin failed on the module again");
    assert_eq!(report.outcome, UpdateOutcome::NoChange, "{report:?}");
    assert_eq!(report.number, 2, "{report:?}");
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}

/// Session 50: a page invalidates a CSS Module whose class names changed; its importer runs
/// again with the code it has. The report names the module and why (the log read
/// "hot update r3: 0 modules → 1 boundary").
#[test]
fn an_invalidation_is_reported_with_the_module_and_its_reason() {
    let (_project, host) = app("//- /src/main.js\nimport './view.js';\n\
         //- /src/view.js\nimport styles from './card.module.css';\nconsole.log(styles.card);\n\
         if (import.meta.hot) import.meta.hot.accept();\n\
         //- /src/card.module.css\n.card { color: red; }\n");
    let Wiring {
        publishers,
        snapshots: _snapshots,
        frames: _frames,
        events,
        watcher_tx: _watcher_tx,
        clients_tx,
        control_tx,
        channels,
    } = wiring(Arc::new(Served::empty("t".into())));
    let (devloop, _) = DevLoop::start(host, "t".into(), publishers);
    let engine = std::thread::spawn(move || devloop.run(channels));
    clients_tx
        .send(ClientEvent::Message {
            client_id: ClientId(1),
            message: ClientMessage::Invalidate {
                id: "/src/card.module.css".into(),
                message: Some("its class names changed".into()),
            },
        })
        .unwrap();
    let report = next(&events, "the update", |event| match event {
        EngineEvent::Update(report) => Some(report),
        _ => None,
    });
    assert_eq!(
        report.outcome,
        UpdateOutcome::Hot {
            modules: Vec::new(),
            boundaries: vec!["/src/view.js".into()],
            css_only: false,
        }
    );
    assert_eq!(
        report.invalidated,
        Some(Invalidated {
            module: "/src/card.module.css".into(),
            message: Some("its class names changed".into()),
        })
    );
    control_tx.send(Control::Shutdown).unwrap();
    engine.join().unwrap();
}
