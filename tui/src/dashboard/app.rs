//! The dashboard's model: everything it knows, built only from `Msg`s (engine events, keys, the
//! clock), and `update`, the one place it changes. No IO here; `ui` renders it and `run` wires
//! it to the terminal.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use engine::{Control, Diagnostic};
use engine::{EngineEvent, GraphStats, MemoryStats, Phase, UpdateOutcome, UpdateReport};
use engine::{ModuleGraph, ModuleIndex};
use engine::{ReadyReport, ServerGraphStats, ServerUpdateReport};

use super::format;
use super::history::{Ring, Summary};

/// Updates kept for the latency sparklines and the invalidation browser.
pub const UPDATE_HISTORY: usize = 120;
/// Memory samples kept for the RSS sparkline.
pub const MEMORY_HISTORY: usize = 240;
/// Log lines kept for the log pane.
pub const LOG_HISTORY: usize = 2000;

/// Everything that can change the dashboard.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Engine(EngineEvent),
    Key(KeyEvent),
    /// The clock advanced: time since the dashboard started. Events are stamped with the
    /// latest tick, so `run` sends one before each engine event.
    Tick(Duration),
    Resize {
        width: u16,
        height: u16,
    },
    /// The engine's event channel closed.
    EngineStopped,
    /// Leave: a signal asked hotloop to stop (the dashboard's own keys are Ctrl-C and `q`).
    Quit,
}

/// What the wiring should do after an update: leave, note the log pane was cleared, open the page in the
/// browser (`o`, as `--open` does), or pass a command to the engine thread (`r` reloads every
/// tab; the Memory tab shown or left turns the costly O(memos) measurement of salsa's memos on
/// or off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Ctrl-Z: give the terminal back and stop the process until the shell continues it
    /// (done by the event loop, which holds the terminal; never passed on).
    Suspend,
    /// The log pane was cleared (there is no log file to truncate: nothing to do for now).
    ClearLog,
    /// Open this URL in the browser.
    OpenBrowser(String),
    Engine(Control),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Latency,
    Graph,
    Memory,
    Invalidation,
    Clients,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Latency,
        Tab::Graph,
        Tab::Memory,
        Tab::Invalidation,
        Tab::Clients,
    ];

    /// The label on the tab bar, and the title over the tab's body: the same words, so that
    /// a hint elsewhere ("see tab 6") names what the tab bar shows.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Latency => "Latency",
            Tab::Graph => "Graph",
            Tab::Memory => "Memory",
            Tab::Invalidation => "Invalidation",
            Tab::Clients => "Clients & errors",
        }
    }

    /// The title over the tab's body.
    pub fn title(self) -> &'static str {
        self.label()
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|&tab| tab == self).unwrap_or(0)
    }

    fn cycle(self, step: isize) -> Tab {
        let n = Tab::ALL.len() as isize;
        Tab::ALL[(self.index() as isize + step).rem_euclid(n) as usize]
    }
}

/// What keys mean right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing into the graph search box.
    Search,
    /// The help popup is open.
    Help,
}

/// The server, once it is listening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub url: String,
    pub root: String,
    pub cold_start: Duration,
}

/// One update and what the clients said about it.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateRecord {
    pub report: UpdateReport,
    pub at: Duration,
    /// From the latest ack for the revision it sent: until the last page applied it.
    pub end_to_end: Option<Duration>,
    /// The slowest page's apply time, from the acks.
    pub apply: Option<Duration>,
    pub acks: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub revision: u32,
    pub ok: bool,
    pub apply: Duration,
    pub end_to_end: Option<Duration>,
    pub error: Option<String>,
    pub at: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    pub user_agent: String,
    pub connected_at: Duration,
    pub last_ack: Option<Ack>,
    /// The lazy chunks it loaded (by `import()` target) and the modules each defines: what
    /// it gets updates for besides the page's own modules.
    pub chunks: BTreeMap<Arc<str>, Arc<[Arc<str>]>>,
}

impl ClientInfo {
    /// The modules its lazy chunks defined (a module two chunks share counts once).
    pub fn lazy_modules(&self) -> usize {
        self.chunks
            .values()
            .flat_map(|modules| modules.iter())
            .collect::<BTreeSet<_>>()
            .len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: tracing::Level,
    pub message: String,
    /// The project's plugins printed it (see `EngineEvent::Log`).
    pub plugins: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemorySample {
    pub at: Duration,
    pub stats: MemoryStats,
}

/// The app's server (server-side HMR, `--server`), as its events told.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppServerInfo {
    pub graph: ServerGraphStats,
    /// `(pid, resident bytes)` of its Node process, as last sampled.
    pub process: Option<(u32, u64)>,
    pub last_update: Option<ServerUpdateReport>,
    /// Its last ack: the server's apply phase.
    pub last_ack: Option<ServerAck>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAck {
    pub revision: u32,
    pub ok: bool,
    pub apply: Duration,
    pub end_to_end: Option<Duration>,
}

/// Counts over the whole session (the update history keeps the last [`UPDATE_HISTORY`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    pub hot: usize,
    pub full_reloads: usize,
    pub failed: usize,
    pub no_change: usize,
    /// The last error the build reported (`file:line:col: message`, its first line), also
    /// once fixed.
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// Index into the current matches (clamped when they shrink).
    pub selected: usize,
}

/// The dashboard state.
#[derive(Clone, Debug)]
pub struct App {
    pub tab: Tab,
    pub mode: Mode,
    /// Time since the dashboard started, as of the last tick.
    pub now: Duration,
    pub size: (u16, u16),
    /// The address the server answers at, from the start: it serves (the page waits for the
    /// cold build) before the engine is ready.
    pub listening: Option<String>,
    pub server: Option<ServerInfo>,
    pub engine_stopped: bool,
    pub graph_stats: GraphStats,
    pub graph: Option<Arc<ModuleGraph>>,
    /// Module ids mentioned by events, for search before any graph snapshot arrives.
    pub seen_modules: BTreeSet<String>,
    pub search: Search,
    /// Files of a batch that is being processed (cleared by its update).
    pub pending_change: Option<Vec<String>>,
    pub updates: Ring<UpdateRecord>,
    /// Invalidation tab: the update shown, by number; `None` follows the newest.
    pub invalidation_pin: Option<u32>,
    pub memory: Ring<MemorySample>,
    pub memory_first: Option<MemorySample>,
    pub clients: BTreeMap<u64, ClientInfo>,
    pub diagnostics: Arc<[Diagnostic]>,
    pub watcher_degraded: Option<String>,
    /// `None` without `--server`.
    pub app_server: Option<AppServerInfo>,
    pub log: Ring<LogLine>,
    /// Log pane: lines scrolled up from the bottom (`0` = following the tail).
    pub log_scroll: usize,
    /// A line in place of the key hints until the next key (`u`: the URL; `o`: opening it).
    pub notice: Option<String>,
    /// What the session did, for the lines left in the terminal after quitting.
    pub session: Session,
    /// What to try first, shown until the first update (`hotloop demo`: which file to edit;
    /// what it printed before the dashboard took the screen is out of sight).
    pub hint: Option<String>,
}

impl Default for App {
    fn default() -> Self {
        App {
            tab: Tab::Overview,
            mode: Mode::Normal,
            now: Duration::ZERO,
            size: (80, 24),
            listening: None,
            server: None,
            engine_stopped: false,
            graph_stats: GraphStats::default(),
            graph: None,
            seen_modules: BTreeSet::new(),
            search: Search::default(),
            pending_change: None,
            updates: Ring::new(UPDATE_HISTORY),
            invalidation_pin: None,
            memory: Ring::new(MEMORY_HISTORY),
            memory_first: None,
            clients: BTreeMap::new(),
            diagnostics: Arc::from([]),
            watcher_degraded: None,
            app_server: None,
            log: Ring::new(LOG_HISTORY),
            log_scroll: 0,
            notice: None,
            session: Session::default(),
            hint: None,
        }
    }
}

impl App {
    pub fn update(&mut self, msg: Msg) -> Option<Effect> {
        match msg {
            Msg::Engine(event) => {
                self.on_engine(event);
                None
            }
            Msg::Key(key) => self.on_key(key),
            Msg::Tick(now) => {
                self.now = self.now.max(now);
                None
            }
            Msg::Resize { width, height } => {
                self.size = (width, height);
                None
            }
            Msg::EngineStopped => {
                self.engine_stopped = true;
                None
            }
            Msg::Quit => Some(Effect::Quit),
        }
    }

    fn on_engine(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Ready(ready) => {
                let ReadyReport {
                    url,
                    root,
                    graph,
                    cold_start,
                    ..
                } = *ready;
                self.server = Some(ServerInfo {
                    url,
                    root,
                    cold_start,
                });
                self.graph_stats = graph;
            }
            EngineEvent::ChangeDetected { files } => self.pending_change = Some(files),
            EngineEvent::Update(report) => self.on_update(*report),
            EngineEvent::Diagnostics(diagnostics) => {
                self.seen_modules
                    .extend(diagnostics.iter().map(|d| d.file.clone()));
                if let Some(first) = diagnostics.first() {
                    self.session.last_error = Some(format!(
                        "{}:{}:{}: {}",
                        format::diagnostic_path(&first.file),
                        first.line,
                        first.column,
                        first.message.lines().next().unwrap_or_default()
                    ));
                }
                self.diagnostics = diagnostics;
            }
            EngineEvent::GraphChanged(stats) => self.graph_stats = stats,
            EngineEvent::GraphSnapshot(graph) => self.graph = Some(graph),
            EngineEvent::ClientConnected { client, user_agent } => {
                self.clients.insert(
                    client,
                    ClientInfo {
                        user_agent: crate::user_agent::describe(&user_agent),
                        connected_at: self.now,
                        last_ack: None,
                        chunks: BTreeMap::new(),
                    },
                );
            }
            EngineEvent::ClientDisconnected { client } => {
                self.clients.remove(&client);
            }
            EngineEvent::ChunkLoaded {
                client,
                chunk,
                modules,
            } => {
                if let Some(info) = self.clients.get_mut(&client) {
                    info.chunks.insert(chunk, modules);
                }
            }
            EngineEvent::Applied {
                client,
                revision,
                ok,
                apply,
                end_to_end,
                error,
            } => {
                if ok {
                    // Only the update that sent `revision` has it: one that sent nothing has none.
                    if let Some(record) = self
                        .updates
                        .iter_mut()
                        .rev()
                        .find(|record| record.report.revision == Some(revision))
                    {
                        record.acks += 1;
                        record.end_to_end = end_to_end.or(record.end_to_end);
                        record.apply = record.apply.max(Some(apply));
                    }
                }
                let ack = Ack {
                    revision,
                    ok,
                    apply,
                    end_to_end,
                    error,
                    at: self.now,
                };
                if let Some(info) = self.clients.get_mut(&client) {
                    info.last_ack = Some(ack);
                }
            }
            EngineEvent::Memory(stats) => {
                let sample = MemorySample {
                    at: self.now,
                    stats,
                };
                if self.memory_first.is_none() {
                    self.memory_first = Some(sample.clone());
                }
                self.memory.push(sample);
            }
            EngineEvent::ServerGraph(graph) => self.app_server().graph = graph,
            EngineEvent::ServerUpdate(report) => {
                self.seen_modules
                    .extend(report.files.iter().map(|file| module_id(file)));
                self.app_server().last_update = Some(*report);
            }
            EngineEvent::ServerApplied {
                revision,
                ok,
                apply,
                end_to_end,
            } => {
                self.app_server().last_ack = Some(ServerAck {
                    revision,
                    ok,
                    apply,
                    end_to_end,
                });
            }
            EngineEvent::ServerProcess { pid, rss_bytes } => {
                self.app_server().process = Some((pid, rss_bytes));
            }
            EngineEvent::WatcherDegraded { message } => self.watcher_degraded = Some(message),
            EngineEvent::Log {
                level,
                message,
                plugins,
            } => self.push_log(LogLine {
                level,
                message,
                plugins,
            }),
        }
    }

    fn push_log(&mut self, line: LogLine) {
        self.log.push(line);
        if self.log_scroll > 0 {
            // Keep the lines the user scrolled to in place.
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }

    /// The lines left in the terminal after quitting (the dashboard's screen goes with it), as
    /// Vite leaves its lines: where it served, what the session's updates were, the last
    /// error.
    pub fn session_summary(&self) -> Vec<String> {
        let Some(url) = self.url() else {
            return Vec::new();
        };
        let session = &self.session;
        let updates = session.hot + session.full_reloads + session.failed + session.no_change;
        let mut kinds = Vec::new();
        if session.hot > 0 {
            kinds.push(format!("{} hot", session.hot));
        }
        if session.full_reloads > 0 {
            kinds.push(format::count(
                session.full_reloads,
                "full reload",
                "full reloads",
            ));
        }
        if session.failed > 0 {
            kinds.push(format!("{} failed", session.failed));
        }
        if session.no_change > 0 {
            kinds.push(format!("{} with no change", session.no_change));
        }
        let kinds = if updates == session.hot {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        };
        let mut lines = vec![format!(
            "hotloop served {url} for {}: {}{kinds}",
            format::clock(self.now),
            format::count(updates, "update", "updates"),
        )];
        match (&session.last_error, self.diagnostics.len()) {
            (None, _) => {}
            (Some(error), 0) => lines.push(format!("last error (fixed since): {error}")),
            (Some(error), 1) => lines.push(format!("error at exit: {error}")),
            (Some(error), n) => {
                lines.push(format!("{n} errors at exit, the last reported: {error}"))
            }
        }
        lines
    }

    fn app_server(&mut self) -> &mut AppServerInfo {
        self.app_server.get_or_insert_with(AppServerInfo::default)
    }

    fn on_update(&mut self, report: UpdateReport) {
        self.pending_change = None;
        match report.outcome {
            UpdateOutcome::Hot { .. } => self.session.hot += 1,
            UpdateOutcome::FullReload { .. } => self.session.full_reloads += 1,
            UpdateOutcome::Errors { .. } => self.session.failed += 1,
            UpdateOutcome::NoChange => self.session.no_change += 1,
        }
        // The log pane says what `--no-tui` says of it, one line.
        self.push_log(LogLine {
            level: tracing::Level::INFO,
            message: crate::headless::update_line(&report),
            plugins: false,
        });
        self.seen_modules
            .extend(report.files.iter().map(|file| module_id(file)));
        if let UpdateOutcome::Hot { modules, .. } = &report.outcome {
            self.seen_modules.extend(modules.iter().cloned());
        }
        let keys = report.invalidation.executed.iter();
        let keys = keys.chain(&report.invalidation.reused);
        self.seen_modules.extend(
            keys.map(|(_, key)| key)
                .filter(|key| key.starts_with('/'))
                .cloned(),
        );
        self.updates.push(UpdateRecord {
            report,
            at: self.now,
            end_to_end: None,
            apply: None,
            acks: 0,
        });
    }

    fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        self.notice = None;
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(Effect::Quit);
        }
        // The terminal's own Ctrl-Z does nothing in raw mode: the dashboard suspends itself,
        // as a shell's job control would (`fg` brings it back).
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('z') {
            return Some(Effect::Suspend);
        }
        match self.mode {
            Mode::Help => match key.code {
                KeyCode::Char('?') | KeyCode::Esc => {
                    self.mode = Mode::Normal;
                    None
                }
                KeyCode::Char('q') => Some(Effect::Quit),
                _ => None,
            },
            Mode::Search => {
                self.on_search_key(key);
                None
            }
            Mode::Normal => self.on_normal_key(key),
        }
    }

    fn on_search_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char(c) => {
                self.search.query.push(c);
                self.search.selected = 0;
            }
            KeyCode::Backspace => {
                self.search.query.pop();
                self.search.selected = 0;
            }
            KeyCode::Enter => self.mode = Mode::Normal,
            KeyCode::Esc => {
                self.search = Search::default();
                self.mode = Mode::Normal;
            }
            KeyCode::Up => self.move_selection(-1),
            KeyCode::Down => self.move_selection(1),
            _ => {}
        }
    }

    fn on_normal_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let was_memory = self.tab == Tab::Memory;
        let command = self.on_normal_key_inner(key);
        let is_memory = self.tab == Tab::Memory;
        command
            .or((was_memory != is_memory)
                .then_some(Effect::Engine(Control::QueryMemory(is_memory))))
    }

    fn on_normal_key_inner(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Char('q') => return Some(Effect::Quit),
            KeyCode::Char('r') => return Some(Effect::Engine(Control::ForceReload)),
            KeyCode::Char('o') => match self.url().map(str::to_owned) {
                Some(url) => {
                    self.notice = Some(format!("opening {url} in the browser"));
                    return Some(Effect::OpenBrowser(url));
                }
                None => self.notice = Some("no URL yet: the server is starting".to_owned()),
            },
            KeyCode::Char('u') => {
                self.notice = Some(match self.url() {
                    Some(url) => format!("{url}  (o opens it)"),
                    None => "no URL yet: the server is starting".to_owned(),
                });
            }
            KeyCode::Char('c') => {
                self.log.clear();
                self.log_scroll = 0;
                return Some(Effect::ClearLog);
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char(digit @ '1'..='6') => {
                let index = digit as usize - '1' as usize;
                self.tab = Tab::ALL[index];
            }
            KeyCode::Tab => self.tab = self.tab.cycle(1),
            KeyCode::BackTab => self.tab = self.tab.cycle(-1),
            KeyCode::PageUp => self.scroll_log(self.log_page() as isize),
            KeyCode::PageDown => self.scroll_log(-(self.log_page() as isize)),
            // (On the Invalidation tab, which shows no log, End goes to the newest update.)
            KeyCode::End if self.tab != Tab::Invalidation => self.log_scroll = 0,
            code => match self.tab {
                Tab::Graph => match code {
                    KeyCode::Char('/') => self.mode = Mode::Search,
                    KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
                    KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
                    KeyCode::Esc => self.search = Search::default(),
                    _ => {}
                },
                Tab::Invalidation => match code {
                    KeyCode::Left | KeyCode::Char('h') => self.step_update(-1),
                    KeyCode::Right | KeyCode::Char('l') => self.step_update(1),
                    KeyCode::End => self.invalidation_pin = None,
                    KeyCode::Home => {
                        self.invalidation_pin = self.updates.first().map(|u| u.report.number);
                    }
                    _ => {}
                },
                _ => {}
            },
        }
        None
    }

    /// Shows the update `step` places later (earlier when negative) than the one shown, kept
    /// within the history; reaching the newest follows new ones again.
    fn step_update(&mut self, step: isize) {
        let Some(last) = self.updates.len().checked_sub(1) else {
            return;
        };
        let current = self.update_position().unwrap_or(last);
        let next = (current as isize + step).clamp(0, last as isize) as usize;
        self.invalidation_pin = (next < last)
            .then(|| self.updates.iter().nth(next).map(|u| u.report.number))
            .flatten();
    }

    /// Where the shown update is in the history (0 = oldest kept); `None` when a pinned one
    /// is no longer kept.
    pub fn update_position(&self) -> Option<usize> {
        match self.invalidation_pin {
            None => self.updates.len().checked_sub(1),
            Some(number) => self.updates.iter().position(|u| u.report.number == number),
        }
    }

    /// The address the server answers at, once it listens.
    pub fn url(&self) -> Option<&str> {
        self.server
            .as_ref()
            .map(|server| server.url.as_str())
            .or(self.listening.as_deref())
    }

    fn log_page(&self) -> usize {
        (self.size.1 / 2).max(1) as usize
    }

    fn scroll_log(&mut self, lines: isize) {
        let max = self.log.len().saturating_sub(1) as isize;
        self.log_scroll = (self.log_scroll as isize + lines).clamp(0, max) as usize;
    }

    fn move_selection(&mut self, step: isize) {
        let n = self.matches().len();
        if n == 0 {
            self.search.selected = 0;
            return;
        }
        let current = self.search.selected.min(n - 1) as isize;
        self.search.selected = (current + step).clamp(0, n as isize - 1) as usize;
    }

    /// Module ids matching the search (case-insensitive substring), the project's files first,
    /// each group sorted: from the graph snapshot when there is one, otherwise from the ids
    /// events mentioned.
    pub fn matches(&self) -> Vec<&str> {
        let needle = self.search.query.to_lowercase();
        let is_match = |id: &str| needle.is_empty() || id.to_lowercase().contains(&needle);
        let mut ids: Vec<&str> = match &self.graph {
            Some(graph) => graph
                .modules
                .iter()
                .map(|module| &*module.id)
                .filter(|id| is_match(id))
                .collect(),
            None => self
                .seen_modules
                .iter()
                .map(String::as_str)
                .filter(|id| is_match(id))
                .collect(),
        };
        // The project's own files first (where a search usually is), then the packages'.
        ids.sort_unstable_by_key(|id| (id.contains("/node_modules/"), *id));
        ids
    }

    /// The clients that loaded a lazy chunk defining module `id`, in id order.
    pub fn loaded_by(&self, id: &str) -> Vec<u64> {
        self.clients
            .iter()
            .filter(|(_, info)| {
                info.chunks
                    .values()
                    .any(|modules| modules.iter().any(|m| &**m == id))
            })
            .map(|(&client, _)| client)
            .collect()
    }

    /// The selected search match.
    pub fn selected_module(&self) -> Option<&str> {
        let matches = self.matches();
        let last = matches.len().checked_sub(1)?;
        Some(matches[self.search.selected.min(last)])
    }

    /// The selected module's index in the graph snapshot, if both exist.
    pub fn selected_index(&self) -> Option<(&ModuleGraph, ModuleIndex)> {
        let graph = self.graph.as_deref()?;
        let index = graph.index_of(self.selected_module()?)?;
        Some((graph, index))
    }

    /// The update the invalidation tab shows: the newest, or the pinned one (`None` once the
    /// history no longer keeps it).
    pub fn selected_update(&self) -> Option<&UpdateRecord> {
        self.update_position()
            .and_then(|i| self.updates.iter().nth(i))
    }

    pub fn last_update(&self) -> Option<&UpdateRecord> {
        self.updates.last()
    }

    /// One phase over the update history, one entry per update (oldest first): `None` where
    /// it did not run. `ClientApply` is the slowest page's apply, from the acks.
    pub fn phase_series(&self, phase: Phase) -> Vec<Option<Duration>> {
        self.updates
            .iter()
            .map(|record| {
                if phase == Phase::ClientApply {
                    return record.apply;
                }
                let phases = &record.report.phases;
                phases.iter().find(|(p, _)| *p == phase).map(|(_, d)| *d)
            })
            .collect()
    }

    /// p50/p95/max of one phase over the updates where it ran.
    pub fn phase_summary(&self, phase: Phase) -> Option<Summary> {
        Summary::of(self.phase_series(phase).into_iter().flatten())
    }

    /// Whether the current screen shows a clock that a tick advances.
    pub fn shows_clock(&self) -> bool {
        matches!(self.tab, Tab::Memory | Tab::Clients)
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.len()
    }

    /// Warning and error lines in the log pane (since it was last cleared): what a plugin, the
    /// config or the watcher said, which the build's errors do not count.
    /// The project's plugins' latest `n` lines of the log, oldest first, and how many more
    /// they printed.
    pub fn plugin_lines(&self, n: usize) -> (Vec<&LogLine>, usize) {
        let all: Vec<&LogLine> = self.log.iter().filter(|line| line.plugins).collect();
        let more = all.len().saturating_sub(n);
        (all[more..].to_vec(), more)
    }

    pub fn log_counts(&self) -> (usize, usize) {
        self.log
            .iter()
            .fold((0, 0), |(warnings, errors), line| match line.level {
                tracing::Level::WARN => (warnings + 1, errors),
                tracing::Level::ERROR => (warnings, errors + 1),
                _ => (warnings, errors),
            })
    }
}

/// A project-relative path as a module id: `src/a.js` → `/src/a.js`.
pub(crate) fn module_id(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}
