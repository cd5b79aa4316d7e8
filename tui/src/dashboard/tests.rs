//! Dashboard tests: the `App` driven by `Msg` sequences, whole screens rendered on
//! `TestBackend` and compared as text (`UPDATE_EXPECT=1` regenerates), the event loop on a
//! test backend, and the log layer.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::unbounded;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use engine::{Control, Diagnostic, DiagnosticKind};
use engine::{
    EngineEvent, GraphStats, InvalidationProfile, MemoryStats, Phase, UpdateOutcome, UpdateReport,
};
use engine::{ModuleGraph, ModuleIndex};
use engine::{ReadyReport, ServerGraphStats, ServerUpdateReport};
use expect_test::{Expect, expect};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_micros(n * 100)
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn keys(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().filter_map(|c| app.update(key(c))).collect()
}

fn engine(app: &mut App, event: EngineEvent) {
    assert_eq!(app.update(Msg::Engine(event)), None);
}

fn stats() -> GraphStats {
    GraphStats {
        modules: 312,
        edges: 540,
        boundaries: 12,
        css: 4,
        assets: 3,
        node_modules: 120,
    }
}

fn ready() -> EngineEvent {
    EngineEvent::Ready(Box::new(ReadyReport {
        url: "http://127.0.0.1:3000/".into(),
        root: "/home/dev/app".into(),
        graph: stats(),
        cold_start: Duration::from_millis(41),
        from_cache: 0,
        last_page: Default::default(),
        first_render: None,
    }))
}

/// An update whose phases scale with `scale` (tenths of a millisecond).
fn report(revision: u32, file: &str, outcome: UpdateOutcome, scale: u64) -> EngineEvent {
    let phases: Vec<(Phase, Duration)> = Phase::ALL[..Phase::ALL.len() - 1]
        .iter()
        .enumerate()
        .filter(|(_, phase)| **phase != Phase::Graph || scale.is_multiple_of(2))
        .map(|(i, &phase)| (phase, ms(scale * (i as u64 + 1))))
        .collect();
    let server_total = phases.iter().map(|(_, d)| *d).sum();
    let id = format!("/{file}");
    // Only a hot update and a reload send a frame, with a revision of their own.
    let sent = matches!(
        outcome,
        UpdateOutcome::Hot { .. } | UpdateOutcome::FullReload { .. }
    );
    EngineEvent::Update(Box::new(UpdateReport {
        number: revision,
        revision: sent.then_some(revision),
        files: vec![file.to_owned()],
        outcome,
        phases,
        server_total,
        clients: 2,
        invalidation: InvalidationProfile {
            changed_inputs: vec![id.clone()],
            executed: vec![
                ("parsed_module".into(), id.clone()),
                ("emitted_module".into(), id.clone()),
                ("hot_meta".into(), id.clone()),
            ],
            reused: vec![
                ("module_imports".into(), id.clone()),
                ("parsed_module".into(), "/src/main.js".into()),
                ("parsed_module".into(), "/src/util.js".into()),
                ("module_graph".into(), "/index.html".into()),
            ],
        },
        invalidated: None,
    }))
}

fn hot(module: &str) -> UpdateOutcome {
    UpdateOutcome::Hot {
        modules: vec![module.into()],
        boundaries: vec![module.into()],
        css_only: false,
    }
}

fn applied(client: u64, revision: u32, e2e: u64) -> EngineEvent {
    EngineEvent::Applied {
        client,
        revision,
        ok: true,
        apply: ms(31),
        end_to_end: Some(ms(e2e)),
        error: None,
    }
}

fn log(level: tracing::Level, message: &str) -> EngineEvent {
    EngineEvent::Log {
        level,
        message: message.into(),
        plugins: false,
    }
}

/// `/index.js` → `/src/main.js` → `/src/App.jsx` (self-accepting) → `/src/counter.js` →
/// `/src/util.js`; `/src/main.js` also imports `/src/style.css` (self-accepting) and
/// `/src/config.js` (accepted by main).
fn graph() -> Arc<ModuleGraph> {
    Arc::new(engine::testing::graph(
        "/src/main.js: accept /src/config.js
         /src/App.jsx: self -> /src/counter.js
         /src/counter.js -> /src/util.js
         /src/util.js
         /src/style.css: self
         /src/config.js
         /src/main.js -> /src/App.jsx /src/style.css /src/config.js /src/util.js",
    ))
}

/// The screen as text, one line per row, trailing spaces trimmed.
fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| app.render(frame)).unwrap();
    buffer_text(terminal.backend().buffer())
}

fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[track_caller]
fn check_screen(app: &App, expect: Expect) {
    expect.assert_eq(&screen(app, 80, 24));
}

/// A dashboard that has seen the server start, two clients, and three updates.
fn busy_app() -> App {
    let mut app = App::default();
    app.update(Msg::Tick(Duration::from_secs(1)));
    engine(&mut app, ready());
    engine(
        &mut app,
        EngineEvent::ClientConnected {
            client: 1,
            user_agent: "Chrome/126".into(),
        },
    );
    app.update(Msg::Tick(Duration::from_secs(5)));
    engine(
        &mut app,
        EngineEvent::ClientConnected {
            client: 2,
            user_agent: "Firefox/127".into(),
        },
    );
    engine(
        &mut app,
        report(10, "src/counter.js", hot("/src/counter.js"), 2),
    );
    engine(&mut app, applied(1, 10, 94));
    engine(&mut app, report(11, "src/util.js", hot("/src/App.jsx"), 3));
    engine(&mut app, applied(2, 11, 120));
    engine(
        &mut app,
        report(
            12,
            "src/main.js",
            UpdateOutcome::FullReload {
                reason: "/src/main.js changed and no module accepts it".into(),
            },
            4,
        ),
    );
    app.update(Msg::Tick(Duration::from_secs(65)));
    app
}

#[test]
fn before_the_engine_is_ready_the_overview_says_so() {
    check_screen(
        &App::default(),
        expect![[r#"
             hotloop starting…                                      ● 0 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Overview ────────────────────────────────────────────────────────────────────┐
            │ Server      waiting for the engine…                                          │
            │ Graph       0 modules · 0 edges · 0 boundaries                               │
            │             0 CSS · 0 assets · 0 in node_modules                             │
            │ Clients     0 connected                                                      │
            │ Errors      none                                                             │
            │ Watcher     ok                                                               │
            │                                                                              │
            │ Last update none yet: save a file                                            │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
}

#[test]
fn overview_shows_the_server_the_graph_and_the_last_update() {
    let mut app = busy_app();
    engine(&mut app, applied(1, 12, 250));
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Overview ────────────────────────────────────────────────────────────────────┐
            │ Server      http://127.0.0.1:3000/  (cold start 41 ms)                       │
            │ Root        /home/dev/app                                                    │
            │ Graph       312 modules · 540 edges · 12 boundaries                          │
            │             4 CSS · 3 assets · 120 in node_modules                           │
            │ Clients     2 connected                                                      │
            │ Errors      none                                                             │
            │ Watcher     ok                                                               │
            │                                                                              │
            │ Last update #12 · src/main.js                                                │
            │ full reload r12: /src/main.js changed and no module accepts it               │
            │ server 18 ms · save→applied 25 ms                                            │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
}

/// `busy_app` with `--server`: the server graph, its process sampled, one server update acked.
fn app_with_a_server() -> App {
    let mut app = busy_app();
    engine(
        &mut app,
        EngineEvent::ServerGraph(ServerGraphStats {
            entry: "/src/server.ts".into(),
            modules: 42,
            externals: 3,
        }),
    );
    engine(
        &mut app,
        EngineEvent::ServerProcess {
            pid: 4242,
            rss_bytes: 51 << 20,
        },
    );
    engine(
        &mut app,
        EngineEvent::ServerUpdate(Box::new(ServerUpdateReport {
            revision: 3,
            files: vec!["src/api.ts".into()],
            outcome: hot("/src/server.ts"),
            prepare: ms(7),
        })),
    );
    engine(
        &mut app,
        EngineEvent::ServerApplied {
            revision: 3,
            ok: true,
            apply: ms(12),
            end_to_end: Some(ms(55)),
        },
    );
    app
}

/// What the plugins print (an inspector's URL at start-up) is in sight on the Overview, as in
/// Vite's terminal, not only in tab 6's log: their latest lines, hotloop's own left out.
#[test]
fn overview_shows_the_plugins_latest_lines() {
    let mut app = App::default();
    engine(&mut app, ready());
    let plugin = |message: &str, level| EngineEvent::Log {
        level,
        message: message.into(),
        plugins: true,
    };
    engine(
        &mut app,
        plugin("first line, out of sight", tracing::Level::INFO),
    );
    engine(&mut app, log(tracing::Level::WARN, "hotloop's own warning"));
    for i in 1..=5 {
        engine(
            &mut app,
            plugin(&format!("plugin line {i}"), tracing::Level::INFO),
        );
    }
    engine(
        &mut app,
        plugin(
            "  ➜  Inspector: http://localhost:5173/__inspect/",
            tracing::Level::WARN,
        ),
    );
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/           ⚠ 2 warnings  ● 0 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Overview ────────────────────────────────────────────────────────────────────┐
            │ Server      http://127.0.0.1:3000/  (cold start 41 ms)                       │
            │ Root        /home/dev/app                                                    │
            │ Graph       312 modules · 540 edges · 12 boundaries                          │
            │             4 CSS · 3 assets · 120 in node_modules                           │
            │ Clients     0 connected                                                      │
            │ Errors      none                                                             │
            │ Log         2 warnings (see tab 6: Clients & errors)                         │
            │ Watcher     ok                                                               │
            │                                                                              │
            │ Last update none yet: save a file                                            │
            │                                                                              │
            │ Plugins     latest lines; 1 earlier (see tab 6: Clients & errors)            │
            │ plugin line 1                                                                │
            │ plugin line 2                                                                │
            │ plugin line 3                                                                │
            │ plugin line 4                                                                │
            │ plugin line 5                                                                │
            │   ➜  Inspector: http://localhost:5173/__inspect/                             │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
}

#[test]
fn overview_shows_the_server_graph_and_the_app_servers_memory_and_apply_time() {
    let mut app = app_with_a_server();
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Overview ────────────────────────────────────────────────────────────────────┐
            │ Server      http://127.0.0.1:3000/  (cold start 41 ms)                       │
            │ Root        /home/dev/app                                                    │
            │ Graph       312 modules · 540 edges · 12 boundaries                          │
            │             4 CSS · 3 assets · 120 in node_modules                           │
            │ SSR graph   42 modules from /src/server.ts · 3 packages Node loads itself    │
            │ App server  pid 4242 · RSS 51.0 MiB                                          │
            │             server hot update r3: 1 module → /src/server.ts in 0.7 ms        │
            │             applied r3 in 1.2 ms (save→applied 5.5 ms)                       │
            │ Clients     2 connected                                                      │
            │ Errors      none                                                             │
            │ Watcher     ok                                                               │
            │                                                                              │
            │ Last update #12 · src/main.js                                                │
            │ full reload r12: /src/main.js changed and no module accepts it               │
            │ server 18 ms · the pages reload                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
    // A failed apply is said so; the sampled RSS moves; the Memory tab shows it too.
    engine(
        &mut app,
        EngineEvent::ServerApplied {
            revision: 4,
            ok: false,
            apply: ms(3),
            end_to_end: None,
        },
    );
    engine(
        &mut app,
        EngineEvent::ServerProcess {
            pid: 4250,
            rss_bytes: 60 << 20,
        },
    );
    let screen = screen(&app, 80, 24);
    assert!(
        screen.contains("pid 4250 · RSS 60.0 MiB")
            && screen.contains("r4 failed to apply: last good code kept"),
        "{screen}"
    );
    engine(&mut app, EngineEvent::Memory(MemoryStats::default()));
    keys(&mut app, "4");
    let memory = super::tests::screen(&app, 80, 24);
    assert!(
        memory.contains("App server  60.0 MiB  RSS of its Node process (pid 4250)"),
        "{memory}"
    );
}

#[test]
fn without_a_server_nothing_of_it_is_shown() {
    let app = busy_app();
    let text = screen(&app, 80, 24);
    assert!(
        !text.contains("SSR graph") && !text.contains("App server"),
        "{text}"
    );
}

#[test]
fn number_keys_and_tab_switch_tabs() {
    let mut app = App::default();
    assert_eq!(app.tab, Tab::Overview);
    assert_eq!(keys(&mut app, "2"), []);
    assert_eq!(app.tab, Tab::Latency);
    app.update(code(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Graph);
    keys(&mut app, "6");
    app.update(code(KeyCode::Tab));
    assert_eq!(app.tab, Tab::Overview, "Tab wraps around");
    app.update(code(KeyCode::BackTab));
    assert_eq!(app.tab, Tab::Clients, "Shift-Tab goes back");
    keys(&mut app, "7");
    assert_eq!(app.tab, Tab::Clients, "there is no tab 7");
    assert!(screen(&app, 80, 24).contains("┌ Clients & errors "));
}

#[test]
fn question_mark_toggles_the_help_popup() {
    let mut app = App::default();
    keys(&mut app, "?");
    assert_eq!(app.mode, Mode::Help);
    let text = screen(&app, 80, 24);
    assert!(text.contains("┌ Keys "), "{text}");
    assert!(text.contains("force a full reload of every page"), "{text}");
    keys(&mut app, "2");
    assert_eq!(app.tab, Tab::Overview, "keys under the popup do nothing");
    keys(&mut app, "?");
    assert_eq!(app.mode, Mode::Normal);
    assert!(!screen(&app, 80, 24).contains("┌ Keys "));
    keys(&mut app, "?");
    app.update(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal, "Esc closes it too");
}

#[test]
fn help_popup_screen() {
    let mut app = App::default();
    keys(&mut app, "?");
    check_screen(
        &app,
        expect![[r#"
             hotloop starting…                                      ● 0 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Overview ────────────────────────────────────────────────────────────────────┐
            │ Server      waiting for the engine…                                          │
            │ Graph     ┌ Keys ────────────────────────────────────────────────┐           │
            │           │ 1-6, Tab   switch tab (Shift-Tab: back)              │           │
            │ Clients   │ q, Ctrl-C  quit                                      │           │
            │ Errors    │ Ctrl-Z     suspend (fg resumes)                      │           │
            │ Watcher   │ r          force a full reload of every page         │           │
            │           │ o          open the page in the browser              │           │
            │ Last updat│ u          show the URL                              │           │
            │           │ c          clear the log                             │           │
            │           │ ?          toggle this help                          │           │
            │           │ /          Graph: search modules by id               │           │
            │           │ ↑↓ j k     Graph: select a module                    │           │
            │           │ Esc        Graph: clear the search                   │           │
            │           │ ←→ h l     Invalidation: earlier/later update        │           │
            │           │ Home End   Invalidation: oldest/newest update        │           │
            │           │ PgUp PgDn  log: scroll                               │           │
            │           │ End        log: follow the tail                      │           │
            │           └──────────────────────────────────────────────────────┘           │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             ?/Esc close help  q quit
        "#]],
    );
}

#[test]
fn q_and_ctrl_c_quit_r_reloads_c_clears_the_log() {
    let mut app = App::default();
    assert_eq!(keys(&mut app, "q"), [Effect::Quit]);
    assert_eq!(keys(&mut app, "r"), [Effect::Engine(Control::ForceReload)]);
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c.clone()), Some(Effect::Quit));

    engine(&mut app, log(tracing::Level::INFO, "one"));
    engine(&mut app, log(tracing::Level::WARN, "two"));
    assert_eq!(app.log.len(), 2);
    assert_eq!(keys(&mut app, "c"), [Effect::ClearLog]);
    assert!(app.log.is_empty());

    keys(&mut app, "?");
    assert_eq!(
        keys(&mut app, "q"),
        [Effect::Quit],
        "q quits from the help too"
    );
    app.update(code(KeyCode::Esc));
    keys(&mut app, "3/");
    assert_eq!(
        keys(&mut app, "qrc"),
        [],
        "while searching, letters are text"
    );
    assert_eq!(app.search.query, "qrc");
    assert_eq!(
        app.update(ctrl_c),
        Some(Effect::Quit),
        "Ctrl-C always quits"
    );
    let ctrl_z = Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
    assert_eq!(
        app.update(ctrl_z),
        Some(Effect::Suspend),
        "Ctrl-Z suspends, in a search too"
    );
}

#[test]
fn showing_and_leaving_the_memory_tab_tells_the_engine() {
    let mut app = App::default();
    let memory = Tab::ALL.iter().position(|t| *t == Tab::Memory).unwrap() + 1;
    let digit = char::from_digit(memory as u32, 10).unwrap();
    assert_eq!(
        keys(&mut app, &digit.to_string()),
        [Effect::Engine(Control::QueryMemory(true))]
    );
    assert_eq!(keys(&mut app, &digit.to_string()), [], "already shown");
    assert_eq!(
        keys(&mut app, "1"),
        [Effect::Engine(Control::QueryMemory(false))]
    );
    app.update(code(KeyCode::BackTab));
    let mut seen = Vec::new();
    for _ in 0..Tab::ALL.len() {
        seen.extend(app.update(code(KeyCode::Tab)));
    }
    assert_eq!(
        seen,
        [
            Effect::Engine(Control::QueryMemory(true)),
            Effect::Engine(Control::QueryMemory(false))
        ],
        "cycling through every tab enters and leaves Memory once"
    );
}

#[test]
fn search_filters_modules_and_moves_the_selection() {
    let mut app = busy_app();
    engine(&mut app, EngineEvent::GraphSnapshot(graph()));
    keys(&mut app, "3");
    assert_eq!(app.matches().len(), 6);
    keys(&mut app, "/");
    assert_eq!(app.mode, Mode::Search);
    keys(&mut app, "JS");
    assert_eq!(
        app.matches(),
        [
            "/src/App.jsx",
            "/src/config.js",
            "/src/counter.js",
            "/src/main.js",
            "/src/util.js"
        ],
        "case-insensitive substring, sorted"
    );
    for _ in 0..6 {
        app.update(code(KeyCode::Down));
    }
    assert_eq!(
        app.selected_module(),
        Some("/src/util.js"),
        "stops at the end"
    );
    app.update(code(KeyCode::Up));
    app.update(code(KeyCode::Up));
    app.update(code(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.selected_module(), Some("/src/counter.js"));
    keys(&mut app, "k");
    assert_eq!(app.selected_module(), Some("/src/config.js"));

    keys(&mut app, "/");
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    assert_eq!(app.search.query, "");
    assert_eq!(
        app.search.selected, 0,
        "editing the query resets the selection"
    );
    app.update(code(KeyCode::Esc));
    assert_eq!((app.mode, app.search.query.as_str()), (Mode::Normal, ""));
}

#[test]
fn search_works_from_event_ids_before_a_graph_snapshot() {
    let mut app = busy_app();
    keys(&mut app, "3/util");
    assert_eq!(app.matches(), ["/src/util.js"]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("no graph snapshot yet"), "{text}");
}

#[test]
fn graph_tab_explains_a_hot_boundary() {
    let mut app = busy_app();
    engine(&mut app, EngineEvent::GraphSnapshot(graph()));
    keys(&mut app, "3/counter");
    app.update(code(KeyCode::Enter));
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Graph ───────────────────────────────────────────────────────────────────────┐
            │ 312 modules · 540 edges           │ /src/counter.js                          │
            │ 12 boundaries · 120 node_modules  │ js · loaded                              │
            │┌ Search ─────────────────────────┐│ accepts nothing                          │
            ││counter                          ││ imports (1)                              │
            │└─────────────────────────────────┘│   /src/util.js                           │
            │ 1 match ──────────────────────────│ importers (1)                            │
            │▸ /src/counter.js                  │   /src/App.jsx                           │
            │                                   │ on edit                                  │
            │                                   │   hot update: 1 boundary                 │
            │                                   │   /src/counter.js                        │
            │                                   │   ← /src/App.jsx ✓ accepts itself        │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  1-6 tabs  / search  ↑↓ select  ? help
        "#]],
    );
}

#[test]
fn graph_tab_explains_a_full_reload() {
    let mut app = busy_app();
    engine(&mut app, EngineEvent::GraphSnapshot(graph()));
    keys(&mut app, "3/main");
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Graph ───────────────────────────────────────────────────────────────────────┐
            │ 312 modules · 540 edges           │ /src/main.js                             │
            │ 12 boundaries · 120 node_modules  │ js · loaded                              │
            │┌ Search ─────────────────────────┐│ accepts /src/config.js                   │
            ││main▏                            ││ imports (4)                              │
            │└─────────────────────────────────┘│   /src/App.jsx                           │
            │ 1 match ──────────────────────────│   /src/style.css                         │
            │▸ /src/main.js                     │   /src/config.js                         │
            │                                   │   /src/util.js                           │
            │                                   │ importers (0)                            │
            │                                   │ on edit                                  │
            │                                   │   full reload: /src/main.js changed and  │
            │                                   │no module accepts it                      │
            │                                   │   /src/main.js ✗ no importers            │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            │                                   │                                          │
            └──────────────────────────────────────────────────────────────────────────────┘
             type filter  Enter done  Esc clear  ↑↓ select
        "#]],
    );
}

#[test]
fn latency_tab_shows_every_phase_and_end_to_end() {
    let mut app = busy_app();
    for revision in 13..40 {
        let scale = u64::from(revision % 7) + 1;
        engine(
            &mut app,
            report(revision, "src/a.js", hot("/src/a.js"), scale),
        );
        engine(&mut app, applied(1, revision, 50 + scale * 10));
    }
    keys(&mut app, "2");
    assert_eq!(
        app.phase_summary(Phase::ClientApply).map(|s| s.samples),
        Some(29),
        "one apply sample per acked update"
    );
    let graph = app.phase_series(Phase::Graph);
    assert_eq!(graph.len(), app.updates.len(), "one column per update");
    assert!(
        graph.iter().any(Option::is_none),
        "updates without a graph phase are blanks"
    );
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Latency ─────────────────────────────────────────────────────────────────────┐
            │ phase        last 30 updates (ms)                          p50    p95    max │
            │ coalesce     ▁▂▃▅▁▁▂▃▄▄▅▁▁▂▃▄▄▅▁▁▂▃▄▄▅▁▁▂▃▄                0.4    0.7    0.7 │
            │ read         ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                0.8    1.4    1.4 │
            │ parse        ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                1.2    2.1    2.1 │
            │ resolve      ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                1.6    2.8    2.8 │
            │ emit         ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                2.0    3.5    3.5 │
            │ graph        ▂ ▅  ▂ ▅ █  ▂ ▅ █  ▂ ▅ █  ▂ ▅                 2.4    3.6    3.6 │
            │ plan         ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                2.8    4.9    4.9 │
            │ encode       ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                3.2    5.6    5.6 │
            │ send         ▂▃▄█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅▆█▁▂▃▄▅                3.6    6.3    6.3 │
            │ apply        ██ ███████████████████████████                3.1    3.1    3.1 │
            │ server       ▂▃▅█▁▂▃▅▅▇█▁▂▃▅▅▇█▁▂▃▅▅▇█▁▂▃▅▅               18.0   27.3   27.3 │
            │ save→applied ▆█ █▄▄▅▆▆▇█▄▄▅▆▆▇█▄▄▅▆▆▇█▄▄▅▆▆                9.0   12.0   12.0 │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
}

#[test]
fn memory_tab_shows_growth_since_the_first_sample() {
    let mut app = busy_app();
    for (i, rss) in [80u64, 82, 81, 85, 90].into_iter().enumerate() {
        app.update(Msg::Tick(Duration::from_secs(70 + 10 * i as u64)));
        engine(
            &mut app,
            EngineEvent::Memory(MemoryStats {
                rss_bytes: rss << 20,
                allocator_committed: 60 << 20,
                allocator_peak: 72 << 20,
                queries: vec![
                    ("parsed_module".into(), 312, 9 << 20),
                    ("emitted_module".into(), 312, 4 << 20),
                    ("module_imports".into(), 312, 300 << 10),
                ],
                emitted_code_bytes: (1 << 20) + (i as u64) * 4096,
                source_map_bytes: 2 << 20,
            }),
        );
    }
    keys(&mut app, "4");
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Memory ──────────────────────────────────────────────────────────────────────┐
            │ RSS         90.0 MiB  +10.0 MiB since the first sample, 40s ago              │
            │ ▄▅▄▆█                                                                        │
            │ █████                                                                        │
            │ █████                                                                        │
            │ █████                                                                        │
            │ Allocator   60.0 MiB committed (peak 72.0 MiB)  not memory in use            │
            │ Code        1.0 MiB  (+16.0 KiB)                                             │
            │ Source maps 2.0 MiB  (±0 B)                                                  │
            │                                                                              │
            │ Memos per query ─────────────────────────────────────────────────────────────│
            │ query                                                      memos        bytes│
            │ parsed_module                                                312      9.0 MiB│
            │ emitted_module                                               312      4.0 MiB│
            │ module_imports                                               312    300.0 KiB│
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  o open  c clear log  1-6/Tab tabs  ? help
        "#]],
    );
}

#[test]
fn invalidation_tab_browses_earlier_updates() {
    let mut app = busy_app();
    keys(&mut app, "5");
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(12));
    app.update(code(KeyCode::Left));
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(11));
    keys(&mut app, "hhh");
    assert_eq!(
        app.selected_update().map(|u| u.report.number),
        Some(10),
        "stops at the oldest"
    );
    app.update(code(KeyCode::Right));
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(11));
    engine(&mut app, report(13, "src/b.js", hot("/src/b.js"), 1));
    assert_eq!(
        app.selected_update().map(|u| u.report.number),
        Some(11),
        "a new update does not move the selection"
    );
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/                         ● 2 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Invalidation ────────────────────────────────────────────────────────────────┐
            │ Update      #11  (2 of 4, ←/→, End: the newest)                              │
            │ hot update r11: 1 module → 1 boundary (/src/App.jsx) in 12 ms, sent to 2     │
            │ clients                                                                      │
            │ Files       src/util.js                                                      │
            │ Changed     /src/util.js                                                     │
            │ 3 ran · 4 reused ────────────────────────────────────────────────────────────│
            │ query             ran  reused re-ran for                                     │
            │ emitted_module      1       0 /src/util.js                                   │
            │ hot_meta            1       0 /src/util.js                                   │
            │ module_graph        0       1                                                │
            │ module_imports      0       1                                                │
            │ parsed_module       1       2 /src/util.js                                   │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  1-6 tabs  ←→ update  End newest  ? help
        "#]],
    );
    keys(&mut app, "ll");
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(13));
}

#[test]
fn clients_tab_shows_acks_errors_and_the_log() {
    let mut app = busy_app();
    engine(
        &mut app,
        EngineEvent::Applied {
            client: 2,
            revision: 12,
            ok: false,
            apply: ms(5),
            end_to_end: None,
            error: Some("TypeError: x is undefined".into()),
        },
    );
    engine(
        &mut app,
        EngineEvent::Diagnostics(Arc::from([Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: "/src/a.js".into(),
            line: 3,
            column: 9,
            message: "Expected ';'".into(),
            code_frame: "  2 | let a = 1\n> 3 | let b = 2 3\n    |         ^".into(),
        }])),
    );
    for i in 0..30 {
        engine(&mut app, log(tracing::Level::INFO, &format!("line {i}")));
    }
    engine(&mut app, log(tracing::Level::WARN, "the last line"));
    keys(&mut app, "6");
    check_screen(
        &app,
        expect![[r#"
             hotloop http://127.0.0.1:3000/             ⚠ 1 warning  ● 2 clients  ✖ 1 error
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Clients & errors ────────────────────────────────────────────────────────────┐
            │ 2 clients ───────────────────────────────────────────────────────────────────│
            │ id   browser         since    lazy chunks     last ack                       │
            │ #1   Chrome 126      1m 04s   none            r10 in 3.1 ms                  │
            │ #2   Firefox 127     1m 00s   none            r12 failed: TypeError: x is und│
            │ 1 error ─────────────────────────────────────────────────────────────────────│
            │ error: /src/a.js:3:9: Expected ';'                                           │
            │   2 | let a = 1                                                              │
            │ > 3 | let b = 2 3                                                            │
            │     |         ^                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │ Log ─────────────────────────────────────────────────────────────────────────│
            │ info  line 28                                                                │
            │ info  line 29                                                                │
            │ warn  the last line                                                          │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  c clear log  1-6 tabs  PgUp/PgDn log  ? help
        "#]],
    );
}

#[test]
fn page_up_scrolls_the_log_and_end_follows_again() {
    let mut app = App::default();
    app.update(Msg::Resize {
        width: 80,
        height: 24,
    });
    for i in 0..100 {
        engine(&mut app, log(tracing::Level::INFO, &format!("line {i}")));
    }
    keys(&mut app, "6");
    app.update(code(KeyCode::PageUp));
    assert_eq!(app.log_scroll, 12, "half a screen");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("line 87") && !text.contains("line 88"),
        "{text}"
    );
    engine(&mut app, log(tracing::Level::INFO, "line 100"));
    assert_eq!(app.log_scroll, 13, "new lines do not move what is shown");
    for _ in 0..20 {
        app.update(code(KeyCode::PageUp));
    }
    assert_eq!(app.log_scroll, 100, "stops at the first line");
    app.update(code(KeyCode::PageDown));
    assert_eq!(app.log_scroll, 88);
    app.update(code(KeyCode::End));
    assert_eq!(app.log_scroll, 0);
    assert!(screen(&app, 80, 24).contains("line 100"));
}

#[test]
fn acks_attach_end_to_end_time_to_their_update() {
    let app = busy_app();
    let e2e: Vec<Option<Duration>> = app.updates.iter().map(|u| u.end_to_end).collect();
    assert_eq!(e2e, [Some(ms(94)), Some(ms(120)), None]);
    let client = &app.clients[&2];
    assert_eq!(client.connected_at, Duration::from_secs(5));
    assert_eq!(client.last_ack.as_ref().map(|ack| ack.revision), Some(11));
}

#[test]
fn an_ack_attaches_only_to_the_update_that_sent_its_revision() {
    let mut app = App::default();
    engine(&mut app, ready());
    engine(&mut app, report(1, "src/a.js", hot("/src/a.js"), 1));
    // Updates that sent nothing come after it: they have numbers, not revisions.
    engine(&mut app, report(2, "src/a.js", UpdateOutcome::NoChange, 1));
    engine(
        &mut app,
        report(3, "src/a.js", UpdateOutcome::Errors { count: 1 }, 1),
    );
    engine(&mut app, applied(1, 1, 90));
    let attached: Vec<(u32, Option<Duration>, usize)> = app
        .updates
        .iter()
        .map(|u| (u.report.number, u.end_to_end, u.acks))
        .collect();
    assert_eq!(attached, [(1, Some(ms(90)), 1), (2, None, 0), (3, None, 0)]);
    // An ack for a revision no update in the history sent attaches to none.
    engine(&mut app, applied(1, 7, 50));
    assert_eq!(app.updates.iter().map(|u| u.acks).sum::<usize>(), 1);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Last update #3 · src/a.js"), "{text}");
    assert!(
        text.contains("build failed: 1 error, the page keeps its last good state"),
        "no revision for an update that sent none: {text}"
    );
}

#[test]
fn warnings_in_the_log_are_counted_on_every_tab() {
    let mut app = App::default();
    engine(&mut app, ready());
    engine(
        &mut app,
        log(tracing::Level::INFO, "[flaky] config resolved"),
    );
    let text = screen(&app, 80, 24);
    assert!(!text.contains('⚠') && !text.contains("Log "), "{text}");
    engine(
        &mut app,
        log(
            tracing::Level::WARN,
            "[plugin flaky-transform] this file says WARN (in its `transform` hook)",
        ),
    );
    engine(
        &mut app,
        log(tracing::Level::WARN, "optimizeDeps.include is ignored"),
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("⚠ 2 warnings"), "the status bar: {text}");
    assert!(
        text.contains("Log         2 warnings (see tab 6: Clients & errors)"),
        "the Overview: {text}"
    );
    engine(
        &mut app,
        log(tracing::Level::ERROR, "the plugin host (Node.js) exited"),
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("⚠ 3 in the log"), "{text}");
    assert!(
        text.contains("Log         2 warnings, 1 error (see tab 6: Clients & errors)"),
        "{text}"
    );
    keys(&mut app, "c");
    assert!(!screen(&app, 80, 24).contains('⚠'), "cleared with the log");
}

#[test]
fn a_multi_line_log_message_keeps_its_lines_and_long_ones_wrap() {
    let mut app = App::default();
    keys(&mut app, "6");
    engine(&mut app, log(tracing::Level::INFO, "an older line"));
    engine(
        &mut app,
        log(
            tracing::Level::ERROR,
            "the plugin host (Node.js) exited with code 3; it restarts with the next module \
             that needs a plugin. The last lines it wrote to stderr, which need not say why:\n  \
             [flaky] config resolved",
        ),
    );
    check_screen(
        &app,
        expect![[r#"
             hotloop starting…                    ⚠ 1 logged error  ● 0 clients  ✖ 0 errors
              1 Overview  2 Latency  3 Graph  4 Memory  5 Invalidation  6 Clients & errors
            ┌ Clients & errors ────────────────────────────────────────────────────────────┐
            │ 0 clients ───────────────────────────────────────────────────────────────────│
            │ no browser connected                                                         │
            │                                                                              │
            │ 0 errors ────────────────────────────────────────────────────────────────────│
            │ the build is clean                                                           │
            │ Log ─────────────────────────────────────────────────────────────────────────│
            │ info  an older line                                                          │
            │ error the plugin host (Node.js) exited with code 3; it restarts with the     │
            │       next module that needs a plugin. The last lines it wrote to stderr,    │
            │       which need not say why:                                                │
            │         [flaky] config resolved                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            │                                                                              │
            └──────────────────────────────────────────────────────────────────────────────┘
             q quit  r reload  c clear log  1-6 tabs  PgUp/PgDn log  ? help
        "#]],
    );
}

/// Sweep 11: a `vite.config.ts` that no longer evaluated read "no change" on the Overview,
/// its error only on tab 6.
#[test]
fn the_overview_shows_the_error_of_a_failed_updates_file() {
    let mut app = App::default();
    engine(&mut app, ready());
    let error = |file: &str, message: &str| Diagnostic {
        kind: DiagnosticKind::Transform,
        file: file.into(),
        line: 24,
        column: 3,
        message: message.into(),
        code_frame: "  23 |   plugins: [\n> 24 |   x\n".into(),
    };
    engine(
        &mut app,
        EngineEvent::Diagnostics(Arc::from([
            error("/src/other.js", "Unexpected token"),
            error(
                "/vite.config.ts",
                "Expected ',', got 'ident' (the page keeps running with the config as it was \
                 before)",
            ),
        ])),
    );
    engine(
        &mut app,
        report(1, "vite.config.ts", UpdateOutcome::Errors { count: 2 }, 1),
    );
    let text = screen(&app, 100, 24);
    assert!(
        text.contains("build failed: 2 errors, the page keeps its last good state"),
        "{text}"
    );
    assert!(
        text.contains("error: /vite.config.ts:24:3: Expected ',', got 'ident' (the page keeps"),
        "{text}"
    );
    assert!(
        !text.contains("/src/other.js"),
        "only the update's own files' errors: {text}"
    );
}

/// Sweep 18: an error in a workspace package (outside the root) read
/// `/@fs/home/me/repo/packages/ui/src/Counter.tsx:4:3` on the errors tab, the overview and the
/// session summary, a path no editor opens; `--no-tui` printed it as its absolute path.
#[test]
fn an_error_outside_the_root_is_shown_by_its_absolute_path() {
    let mut app = App::default();
    engine(&mut app, ready());
    engine(
        &mut app,
        EngineEvent::Diagnostics(Arc::from([Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: "/@fs/repo/packages/ui/src/Counter.tsx".into(),
            line: 4,
            column: 3,
            message: "Expected ',', got 'return'".into(),
            code_frame: "> 4 |   return\n".into(),
        }])),
    );
    engine(
        &mut app,
        report(
            1,
            "@fs/repo/packages/ui/src/Counter.tsx",
            UpdateOutcome::Errors { count: 1 },
            1,
        ),
    );
    let shown = "error: /repo/packages/ui/src/Counter.tsx:4:3: Expected ',', got 'return'";
    let overview = screen(&app, 100, 24);
    assert!(overview.contains(shown), "{overview}");
    app.update(key('6'));
    let errors = screen(&app, 100, 24);
    assert!(errors.contains(shown), "{errors}");
    assert!(!errors.contains("/@fs"), "{errors}");
}

/// Sweep 11: each row had its own samples (column *i* a different update in each), rows
/// vanished at small heights, and times that all printed as 0.0 drew full bars.
#[test]
fn latency_rows_share_their_columns_and_none_vanish_unsaid() {
    let mut app = App::default();
    engine(&mut app, ready());
    // Two updates with a graph phase (even scale), one without, and one that sent nothing.
    engine(&mut app, report(1, "src/a.js", hot("/src/a.js"), 2));
    engine(&mut app, applied(1, 1, 90));
    engine(&mut app, report(2, "src/a.js", hot("/src/a.js"), 1));
    engine(&mut app, report(3, "src/a.js", UpdateOutcome::NoChange, 2));
    keys(&mut app, "2");
    let text = screen(&app, 60, 20);
    let row = |name: &str| -> String {
        text.lines()
            .find(|line| line.starts_with(&format!("│ {name} ")))
            .unwrap_or_else(|| panic!("no {name} row:\n{text}"))
            .chars()
            .skip(15)
            .take(3)
            .collect()
    };
    // Column 1: update 1 (graph ran, acked); 2: update 2 (no graph, no ack); 3: update 3.
    assert_eq!(row("graph").chars().nth(1), Some(' '), "{text}");
    assert_ne!(row("graph").chars().nth(2), Some(' '), "{text}");
    assert_ne!(row("apply").chars().next(), Some(' '), "{text}");
    assert_eq!(row("apply").chars().nth(1), Some(' '), "{text}");
    assert!(text.contains("save→applied"), "the label whole: {text}");
    assert!(text.contains("last 3 updates"), "{text}");

    // Times far below a millisecond draw low bars, not full ones.
    let tiny = |n: u32| {
        EngineEvent::Update(Box::new(UpdateReport {
            number: n,
            revision: None,
            files: vec!["src/a.js".into()],
            outcome: UpdateOutcome::NoChange,
            phases: vec![(Phase::Resolve, Duration::from_micros(u64::from(n)))],
            server_total: Duration::from_micros(40),
            clients: 0,
            invalidation: InvalidationProfile::default(),
            invalidated: None,
        }))
    };
    let mut app = App::default();
    for n in 1..=3 {
        engine(&mut app, tiny(n));
    }
    keys(&mut app, "2");
    let text = screen(&app, 60, 20);
    let resolve = text.lines().find(|l| l.starts_with("│ resolve")).unwrap();
    assert!(!resolve.contains('█'), "{resolve}");
    assert!(resolve.contains('▁'), "they ran: {resolve}");

    // A short terminal keeps the totals and says what it left out.
    let text = screen(&app, 60, 12);
    assert!(
        text.contains("│ server") && text.contains("│ save→applied"),
        "{text}"
    );
    assert!(text.contains("rows not shown: a taller terminal"), "{text}");
}

/// Sweep 11: a pinned update is kept by its number past the history's length (it moved to
/// another update once 120 were kept), End goes back to the newest, and query names are not
/// cut when there is room.
#[test]
fn an_update_pinned_on_the_invalidation_tab_stays_until_end() {
    let mut app = App::default();
    for n in 1..=5 {
        engine(&mut app, report(n, "src/a.js", hot("/src/a.js"), 1));
    }
    keys(&mut app, "5");
    keys(&mut app, "hh");
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(3));
    for n in 6..=(UPDATE_HISTORY as u32) {
        engine(&mut app, report(n, "src/a.js", hot("/src/a.js"), 1));
    }
    assert_eq!(app.updates.first().map(|u| u.report.number), Some(1));
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(3));
    for n in 0..3 {
        engine(
            &mut app,
            report(
                UPDATE_HISTORY as u32 + 1 + n,
                "src/a.js",
                hot("/src/a.js"),
                1,
            ),
        );
    }
    assert_eq!(
        app.selected_update().map(|u| u.report.number),
        None,
        "#3 is no longer kept: no other update stands in for it"
    );
    let text = screen(&app, 100, 24);
    assert!(text.contains("update #3 is no longer kept"), "{text}");
    app.update(code(KeyCode::End));
    assert_eq!(app.invalidation_pin, None);
    assert_eq!(
        app.selected_update().map(|u| u.report.number),
        Some(UPDATE_HISTORY as u32 + 3)
    );
    app.update(code(KeyCode::Home));
    assert_eq!(app.selected_update().map(|u| u.report.number), Some(4));
    // The newest again by → alone: then new updates are followed.
    for _ in 0..UPDATE_HISTORY {
        keys(&mut app, "l");
    }
    assert_eq!(app.invalidation_pin, None);

    let long = EngineEvent::Update(Box::new(UpdateReport {
        number: 500,
        revision: None,
        files: vec!["src/a.js".into()],
        outcome: UpdateOutcome::NoChange,
        phases: Vec::new(),
        server_total: ms(1),
        clients: 0,
        invalidation: InvalidationProfile {
            changed_inputs: Vec::new(),
            executed: vec![("react_ignores_jsx_source".into(), "/src/a.js".into())],
            reused: Vec::new(),
        },
        invalidated: None,
    }));
    engine(&mut app, long);
    let text = screen(&app, 100, 24);
    assert!(text.contains("react_ignores_jsx_source "), "{text}");
}

/// Sweep 11: at 80 columns node_modules' ids, cut at the end, all read
/// `/node_modules/react-dom/cjs/react`; they listed first and one was selected at the start.
#[test]
fn the_graph_tab_lists_the_projects_files_first_and_cuts_long_ids_at_the_start() {
    let mut app = App::default();
    engine(
        &mut app,
        EngineEvent::GraphSnapshot(Arc::new(engine::testing::graph(
            "/src/main.jsx: self -> /node_modules/react-dom/cjs/react-dom-client.development.js /node_modules/react-dom/cjs/react-dom.development.js
             /node_modules/react-dom/cjs/react-dom-client.development.js
             /node_modules/react-dom/cjs/react-dom.development.js",
        ))),
    );
    keys(&mut app, "3");
    assert_eq!(app.selected_module(), Some("/src/main.jsx"));
    let text = screen(&app, 80, 24);
    assert!(text.contains("▸ /src/main.jsx"), "{text}");
    assert!(
        text.contains("  …/react-dom-client.development.js")
            && text.contains("  …dom/cjs/react-dom.development.js"),
        "{text}"
    );
    // In the detail pane too, and the chain's end on a row of its own when it does not fit.
    let text = screen(&app, 60, 24);
    assert!(text.contains("│   …t-dom-client.development.js│"), "{text}");
    assert!(text.contains("│     ✓ accepts itself "), "{text}");
}

/// Sweep 11: `o` did nothing (only `--open` opened the page) and there was no key for the URL.
#[test]
fn o_opens_the_page_and_u_shows_its_url_until_the_next_key() {
    let mut app = App::default();
    assert_eq!(keys(&mut app, "o"), [], "no URL yet");
    assert!(screen(&app, 80, 10).contains("no URL yet"));
    engine(&mut app, ready());
    assert_eq!(
        keys(&mut app, "o"),
        [Effect::OpenBrowser("http://127.0.0.1:3000/".into())]
    );
    keys(&mut app, "u");
    let text = screen(&app, 80, 10);
    let footer = text.lines().last().unwrap();
    assert_eq!(
        footer.trim(),
        "http://127.0.0.1:3000/  (o opens it)",
        "{text}"
    );
    keys(&mut app, "2");
    assert!(
        !screen(&app, 80, 10).contains("(o opens it)"),
        "gone at the next key"
    );
    keys(&mut app, "?");
    let help = screen(&app, 80, 24);
    assert!(
        help.contains("open the page in the browser") && help.contains("show the URL"),
        "{help}"
    );
}

#[test]
fn clients_come_and_go_and_events_track_state() {
    let mut app = busy_app();
    engine(&mut app, EngineEvent::ClientDisconnected { client: 1 });
    assert_eq!(app.clients.keys().copied().collect::<Vec<_>>(), [2]);
    engine(
        &mut app,
        EngineEvent::ChangeDetected {
            files: vec!["src/a.js".into()],
        },
    );
    assert!(screen(&app, 80, 24).contains("⟳ 1 file"));
    engine(&mut app, report(13, "src/a.js", hot("/src/a.js"), 1));
    assert_eq!(
        app.pending_change, None,
        "the update ends the pending change"
    );
    engine(
        &mut app,
        EngineEvent::WatcherDegraded {
            message: "inotify limit reached".into(),
        },
    );
    engine(&mut app, EngineEvent::GraphChanged(GraphStats::default()));
    assert_eq!(app.graph_stats, GraphStats::default());
    app.update(Msg::EngineStopped);
    let text = screen(&app, 80, 24);
    assert!(text.contains("engine stopped"), "{text}");
    assert!(text.contains("⚠ watcher degraded"), "{text}");
    assert!(text.contains("degraded: inotify limit reached"), "{text}");
}

#[test]
fn a_tiny_terminal_does_not_panic() {
    let mut app = busy_app();
    engine(&mut app, EngineEvent::GraphSnapshot(graph()));
    keys(&mut app, "?");
    for tab in Tab::ALL {
        app.tab = tab;
        for (width, height) in [(1, 1), (10, 3), (20, 6), (200, 60)] {
            screen(&app, width, height);
        }
    }
}

/// Runs `event_loop` on a test backend on its own thread; fails instead of hanging when the
/// loop does not quit within 10 s.
fn run_loop(
    events: crossbeam_channel::Receiver<EngineEvent>,
    input: crossbeam_channel::Receiver<Msg>,
) -> (anyhow::Result<LoopStats>, Vec<Effect>, String, Duration) {
    let (done_tx, done_rx) = unbounded();
    std::thread::spawn(move || {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut commands = Vec::new();
        let started = std::time::Instant::now();
        let stats = event_loop(
            &mut terminal,
            &mut App::default(),
            &events,
            &input,
            &mut |c| commands.push(c),
        );
        let elapsed = started.elapsed();
        let text = buffer_text(terminal.backend().buffer());
        let _ = done_tx.send((stats, commands, text, elapsed));
    });
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the event loop did not quit")
}

#[test]
fn the_event_loop_draws_forwards_commands_and_quits() {
    let (event_tx, event_rx) = unbounded();
    let (input_tx, input_rx) = unbounded();
    event_tx.send(ready()).unwrap();
    for revision in 0..300 {
        event_tx
            .send(report(revision, "src/a.js", hot("/src/a.js"), 1))
            .unwrap();
    }
    // The keys come once the burst has been consumed, so the burst is what gets rate-limited.
    let keys = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !event_tx.is_empty() && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        for msg in [key('r'), key('c'), key('q'), key('r')] {
            // The last key may find the loop gone: it quit on `q`.
            let _ = input_tx.send(msg);
        }
    });
    let (stats, commands, text, elapsed) = run_loop(event_rx, input_rx);
    keys.join().unwrap();
    let stats = stats.unwrap();
    assert!(stats.messages >= 304, "{stats:?}");
    assert_eq!(
        commands,
        [
            Effect::Engine(Control::ForceReload),
            Effect::ClearLog,
            Effect::Quit
        ]
    );
    assert!(stats.frames >= 1, "the first frame is drawn at once");
    let allowed = (elapsed.as_millis() / 33) as usize + 2;
    assert!(
        stats.frames <= allowed,
        "{} frames for {} messages in {elapsed:?}: more than 30 fps",
        stats.frames,
        stats.messages
    );
    assert!(text.contains("hotloop"), "{text}");
}

#[test]
fn the_event_loop_keeps_running_after_the_engine_stops() {
    let (event_tx, event_rx) = unbounded::<EngineEvent>();
    let (input_tx, input_rx) = unbounded();
    event_tx.send(ready()).unwrap();
    drop(event_tx);
    let (stats, commands, text, _) = {
        // The engine's channel closes first; the loop keeps running until the quit key.
        let input_tx = input_tx.clone();
        let handle = std::thread::spawn(move || run_loop(event_rx, input_rx));
        input_tx.send(key('6')).unwrap();
        input_tx.send(key('1')).unwrap();
        input_tx.send(key('q')).unwrap();
        handle.join().unwrap()
    };
    let stats = stats.unwrap();
    assert!(stats.messages >= 5, "Ready, EngineStopped and three keys");
    assert_eq!(commands, [Effect::Quit]);
    assert!(stats.frames >= 1);
    assert!(text.contains("hotloop"), "{text}");
}

#[test]
fn the_log_layer_forwards_events_without_blocking() {
    use tracing_subscriber::layer::SubscriberExt;

    let (tx, rx) = crossbeam_channel::bounded(1);
    let subscriber = tracing_subscriber::registry().with(LogLayer::new(tx));
    tracing::subscriber::with_default(subscriber, || {
        tracing::warn!(file = "src/a.js", count = 3, "slow parse");
        tracing::info!("dropped: the channel is full");
    });
    let events: Vec<EngineEvent> = rx.try_iter().collect();
    assert_eq!(
        events,
        [EngineEvent::Log {
            level: tracing::Level::WARN,
            message: "slow parse file=src/a.js count=3".into(),
            plugins: false,
        }],
        "a user's line has no Rust target"
    );
    let (tx, rx) = crossbeam_channel::bounded(1);
    let subscriber = tracing_subscriber::registry().with(LogLayer::new(tx));
    tracing::subscriber::with_default(subscriber, || tracing::debug!("resolved"));
    assert_eq!(
        rx.try_iter().collect::<Vec<_>>(),
        [EngineEvent::Log {
            level: tracing::Level::DEBUG,
            message: "hotloop_tui::dashboard::tests: resolved".into(),
            plugins: false,
        }],
        "a developer's line (-v) keeps it"
    );
}

#[test]
fn explain_is_reachable_from_the_public_api() {
    let graph = graph();
    let util = graph.index_of("/src/util.js").unwrap();
    let Propagation::FullReload { reason, chain } = explain(&graph, util) else {
        panic!("util is also imported by main, which does not accept it");
    };
    assert_eq!(dead_end(&reason), "no importers");
    assert_eq!(chain, [util, ModuleIndex(0)]);
}

#[test]
fn the_clients_and_graph_tabs_show_which_lazy_modules_each_client_loaded() {
    let mut app = busy_app();
    engine(
        &mut app,
        EngineEvent::GraphSnapshot(Arc::new(engine::testing::graph(
            "/src/main.js -> /src/App.jsx
             /src/App.jsx: self
             /src/routes/A.jsx: self, unloaded -> /src/shared/label.js
             /src/routes/B.jsx: self, unloaded -> /src/shared/label.js
             /src/shared/label.js: unloaded",
        ))),
    );
    engine(
        &mut app,
        EngineEvent::ChunkLoaded {
            client: 2,
            chunk: "/src/routes/A.jsx".into(),
            modules: vec!["/src/routes/A.jsx".into(), "/src/shared/label.js".into()].into(),
        },
    );
    // A chunk loaded by a client that left is not shown.
    engine(
        &mut app,
        EngineEvent::ChunkLoaded {
            client: 9,
            chunk: "/src/routes/B.jsx".into(),
            modules: vec!["/src/routes/B.jsx".into()].into(),
        },
    );
    assert_eq!(app.loaded_by("/src/shared/label.js"), [2]);
    assert_eq!(app.loaded_by("/src/routes/B.jsx"), Vec::<u64>::new());
    keys(&mut app, "6");
    let clients = screen(&app, 80, 24);
    let rows: Vec<&str> = clients.lines().skip(4).take(3).collect();
    expect![[r#"
        [
            "│ id   browser         since    lazy chunks     last ack                       │",
            "│ #1   Chrome 126      1m 04s   none            r10 in 3.1 ms                  │",
            "│ #2   Firefox 127     1m 00s   1, 2 modules    r11 in 3.1 ms                  │",
        ]
    "#]]
    .assert_debug_eq(&rows);

    keys(&mut app, "3/label");
    app.update(code(KeyCode::Enter));
    let graph = screen(&app, 100, 24);
    assert!(
        graph.contains("js · lazy (import()), loaded by #2"),
        "{graph}"
    );
    keys(&mut app, "/");
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    app.update(code(KeyCode::Backspace));
    keys(&mut app, "B.jsx");
    app.update(code(KeyCode::Enter));
    let graph = screen(&app, 100, 24);
    assert!(
        graph.contains("js · lazy (import()), no client loaded it"),
        "{graph}"
    );
}

/// In a narrow terminal the status bar's counters give way to the URL rather than being drawn
/// over it (a link detector or a double-click copy would take a wrong URL).
#[test]
fn a_narrow_status_bar_keeps_the_url_whole() {
    let mut app = App::default();
    engine(&mut app, ready());
    let wide = screen(&app, 80, 10);
    let first = wide.lines().next().unwrap();
    assert!(
        first.contains("http://127.0.0.1:3000/") && first.contains("0 clients"),
        "{first}"
    );
    // The clients' counter gives way first, then the errors'.
    for (width, expected) in [
        (54, " hotloop http://127.0.0.1:3000/            ✖ 0 errors"),
        (45, " hotloop http://127.0.0.1:3000/   ✖ 0 errors"),
        (40, " hotloop http://127.0.0.1:3000/"),
    ] {
        let narrow = screen(&app, width, 10);
        let first = narrow.lines().next().unwrap();
        assert_eq!(first.trim_end(), expected, "{width}");
    }
}

/// While the engine builds, the status bar and the Overview show the address the server
/// already answers at, not "starting…".
#[test]
fn the_url_shows_while_the_first_build_runs() {
    let app = App {
        listening: Some("http://127.0.0.1:3000/".into()),
        ..App::default()
    };
    let text = screen(&app, 100, 10);
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("http://127.0.0.1:3000/  building…"),
        "{text}"
    );
    assert!(
        text.contains("Server      http://127.0.0.1:3000/  building: the page shows once"),
        "{text}"
    );
}

/// Errors that do not all fit with their code frames are each shown by their message, wrapped,
/// so that none is out of sight (a long hint at the end of one included).
#[test]
fn errors_that_do_not_fit_show_every_message_whole() {
    let mut app = App::default();
    engine(&mut app, ready());
    let diagnostics: Vec<Diagnostic> = (1..=5)
        .map(|i| Diagnostic {
            kind: DiagnosticKind::Resolve,
            file: format!("/src/file{i}.tsx"),
            line: i,
            column: 15,
            message: format!(
                "Cannot resolve 'missing-package-{i}' from /src/file{i}.tsx: package \
                 'missing-package-{i}' is not installed (run `npm install missing-package-{i}`)"
            ),
            code_frame: format!(
                "> {i} | import x from 'missing-package-{i}';\n    |               ^"
            ),
        })
        .collect();
    engine(&mut app, EngineEvent::Diagnostics(Arc::from(diagnostics)));
    keys(&mut app, "6");
    let flat = |text: &str| {
        text.lines()
            .map(|l| l.trim_start_matches('│').trim_end_matches('│').trim())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Room for every message, not for their frames too.
    let tall = screen(&app, 80, 32);
    for i in 1..=5 {
        assert!(
            flat(&tall).contains(&format!(
                "/src/file{i}.tsx:{i}:15: Cannot resolve 'missing-package-{i}'"
            )) && flat(&tall).contains(&format!("`npm install missing-package-{i}`)")),
            "error {i} is whole on screen:\n{tall}"
        );
    }
    assert!(!tall.contains("> 1 |"), "no room for the frames:\n{tall}");
    // Room for all: each with its frame.
    let taller = screen(&app, 80, 40);
    assert!(
        taller.contains("> 1 |") && taller.contains("> 5 |"),
        "{taller}"
    );
    // Fewer rows than messages: the ones that fit, whole, and how many are out of sight.
    let short = screen(&app, 80, 24);
    assert!(
        flat(&short).contains("`npm install missing-package-4`)")
            && flat(&short).contains("… 1 more error (the page's overlay"),
        "{short}"
    );
}

/// The last update's save→applied: waited for only where the pages ack (a hot update with a
/// page open); a reload says the pages reload, an update that sent nothing says nothing of it.
#[test]
fn save_to_applied_is_waited_for_only_where_a_page_acks() {
    let last = |outcome: UpdateOutcome, clients: bool| {
        let mut app = App::default();
        engine(&mut app, ready());
        if clients {
            engine(
                &mut app,
                EngineEvent::ClientConnected {
                    client: 1,
                    user_agent: "Chrome/126".into(),
                },
            );
        }
        engine(&mut app, report(1, "src/a.js", outcome, 1));
        screen(&app, 100, 20)
            .lines()
            .find(|l| l.contains("│ server "))
            .unwrap_or_default()
            .trim_matches(|c: char| c == '│' || c.is_whitespace())
            .to_owned()
    };
    let hot = || UpdateOutcome::Hot {
        modules: vec!["/src/a.js".into()],
        boundaries: vec!["/src/a.js".into()],
        css_only: false,
    };
    assert!(last(hot(), true).ends_with("save→applied: no ack yet"));
    assert!(last(hot(), false).ends_with("no page open"));
    assert!(
        last(UpdateOutcome::FullReload { reason: "x".into() }, true).ends_with("the pages reload")
    );
    let none = last(UpdateOutcome::NoChange, true);
    assert!(!none.contains('·'), "{none}");
}

/// The Overview sends the user to the errors by the words the tab bar shows (sweep 12: it
/// said "see tab 6" of a tab labelled "Clients").
#[test]
fn the_overview_names_the_errors_tab_as_the_tab_bar_does() {
    let mut app = busy_app();
    engine(
        &mut app,
        EngineEvent::Diagnostics(Arc::from([Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: "/src/a.js".into(),
            line: 3,
            column: 9,
            message: "Expected ';'".into(),
            code_frame: String::new(),
        }])),
    );
    let text = screen(&app, 80, 24);
    let tab_bar = text.lines().nth(1).unwrap();
    assert!(tab_bar.ends_with(" 6 Clients & errors"), "{tab_bar}");
    assert!(
        text.contains("Errors      1 error (see tab 6: Clients & errors)"),
        "{text}"
    );
    keys(&mut app, "6");
    assert!(screen(&app, 80, 24).contains("┌ Clients & errors "));
}

/// `hotloop demo` printed which file to edit before the dashboard took the screen: the
/// Overview says it until the first update.
#[test]
fn the_hint_shows_on_the_overview_until_the_first_update() {
    let mut app = App {
        hint: Some(
            "edit /tmp/demo/src/counter.js and save: the page updates without losing the count"
                .into(),
        ),
        ..App::default()
    };
    engine(&mut app, ready());
    let text = screen(&app, 120, 24);
    assert!(
        text.contains(
            "Last update none yet: edit /tmp/demo/src/counter.js and save: the page updates \
             without losing the count"
        ),
        "{text}"
    );
    engine(
        &mut app,
        report(1, "src/counter.js", hot("/src/counter.js"), 2),
    );
    let text = screen(&app, 120, 24);
    assert!(!text.contains("none yet"), "{text}");
    assert!(screen(&App::default(), 80, 24).contains("none yet: save a file"));
}

/// Every update is a line of the log pane, as `--no-tui` prints it (the pane showed nothing
/// of normal activity).
#[test]
fn every_update_is_a_line_of_the_log() {
    let mut app = App::default();
    engine(&mut app, ready());
    let updates = [
        report(1, "src/counter.js", hot("/src/counter.js"), 2),
        report(
            2,
            "src/main.js",
            UpdateOutcome::FullReload {
                reason: "/src/main.js changed and no module accepts it".into(),
            },
            2,
        ),
        report(3, "src/a.js", UpdateOutcome::Errors { count: 1 }, 2),
        report(4, "src/a.js", UpdateOutcome::NoChange, 2),
    ];
    for update in &updates {
        engine(&mut app, update.clone());
    }
    let logged: Vec<&str> = app.log.iter().map(|line| line.message.as_str()).collect();
    let expected: Vec<String> = updates
        .iter()
        .map(|event| match event {
            EngineEvent::Update(report) => crate::headless::update_line(report),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(logged, expected);
    assert!(logged[2].starts_with("build failed: 1 error"), "{logged:?}");
    assert!(
        app.log
            .iter()
            .all(|line| line.level == tracing::Level::INFO),
        "not counted as the log's warnings or errors"
    );
    assert_eq!(app.log_counts(), (0, 0));
    keys(&mut app, "6");
    let text = screen(&app, 100, 30);
    assert!(
        text.contains("info  hot update r1: 1 module → 1 boundary (/src/counter.js)")
            && text.contains("info  full reload r2: /src/main.js changed")
            && text.contains("info  build failed: 1 error"),
        "{text}"
    );
}

/// What is left in the terminal after quitting: where it served, for how long, the session's
/// updates, and the last error (said as fixed when it was).
#[test]
fn the_session_summary_says_where_what_and_the_last_error() {
    assert_eq!(
        App::default().session_summary(),
        Vec::<String>::new(),
        "nothing served, nothing to say"
    );
    let mut app = busy_app();
    assert_eq!(
        app.session_summary(),
        ["hotloop served http://127.0.0.1:3000/ for 1m 05s: 3 updates (2 hot, 1 full reload)"]
    );
    let error = Diagnostic {
        kind: DiagnosticKind::Syntax,
        file: "/src/a.js".into(),
        line: 3,
        column: 9,
        message: "Expected ';'\nmore".into(),
        code_frame: String::new(),
    };
    engine(
        &mut app,
        report(13, "src/a.js", UpdateOutcome::Errors { count: 1 }, 2),
    );
    engine(&mut app, EngineEvent::Diagnostics(Arc::from([error])));
    assert_eq!(
        app.session_summary(),
        [
            "hotloop served http://127.0.0.1:3000/ for 1m 05s: 4 updates (2 hot, 1 full reload, \
             1 failed)",
            "error at exit: /src/a.js:3:9: Expected ';'",
        ]
    );
    engine(&mut app, EngineEvent::Diagnostics(Arc::from([])));
    assert_eq!(
        app.session_summary()[1],
        "last error (fixed since): /src/a.js:3:9: Expected ';'"
    );

    let mut quiet = App {
        listening: Some("http://127.0.0.1:5173/".into()),
        ..App::default()
    };
    quiet.update(Msg::Tick(Duration::from_secs(12)));
    engine(&mut quiet, report(1, "src/a.js", hot("/src/a.js"), 2));
    assert_eq!(
        quiet.session_summary(),
        ["hotloop served http://127.0.0.1:5173/ for 12s: 1 update"]
    );
}
