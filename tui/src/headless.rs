//! The headless log (`--no-tui`): the dashboard's facts as plain lines, one or two per engine
//! event, or one JSON object per event per line for `--log-format json`. Text carries no ANSI
//! codes unless `color` is set; JSON never does.
//!
//! With `-v`, also a line per page connection and per lazy chunk a client loads.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crossbeam_channel::Receiver;
use engine::{Diagnostic, DiagnosticKind};
use engine::{
    EngineEvent, GraphStats, LastPageCheck, ReadyReport, ServerGraphStats, ServerUpdateReport,
    UpdateOutcome, UpdateReport,
};
use serde::Serialize;

use crate::dashboard::format;

/// How log lines are written (`--log-format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The `tracing` target whose debug level turns the lines about connections on without `-v`
/// (`HMR_LOG=hotloop::clients=debug`).
pub const CONNECTIONS_TARGET: &str = "hotloop::clients";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeadlessOptions {
    pub format: LogFormat,
    /// Text: add the per-phase breakdown of each update, graph and memory lines.
    pub verbose: bool,
    /// Text: a line per page that connects or disconnects and per lazy chunk a page loads
    /// (`-v`, or [`CONNECTIONS_TARGET`] at debug level): every page load says them, and Vite
    /// prints nothing per page load, so they are detail, not news. JSON has every event.
    pub connections: bool,
    /// Text: colour the leading words with ANSI codes.
    pub color: bool,
    /// Text: the keyboard shortcuts are read (`crate::shortcuts`): the ready line is followed
    /// by how to list them, as Vite's.
    pub shortcuts: bool,
}

/// Prints events until the channel closes. A `Diagnostics` event identical to the previous
/// one is not printed again (the engine re-sends the complete set), and an empty set is only
/// printed when it clears earlier errors. Each event's lines are written at once (the app's
/// own output, `--server`, shares the stream).
pub fn run(
    events: Receiver<EngineEvent>,
    mut out: impl Write,
    opts: &HeadlessOptions,
) -> io::Result<()> {
    let mut last_diagnostics: Arc<[Diagnostic]> = Arc::from([]);
    for event in events {
        // Ctrl-C: what the work it cut short reports (a plugin request ended by the stop, the
        // ready line of a build it interrupted) is no news.
        if crate::dev::stopping() {
            continue;
        }
        if let EngineEvent::Diagnostics(diagnostics) = &event {
            if *diagnostics == last_diagnostics {
                continue;
            }
            last_diagnostics = diagnostics.clone();
        }
        let mut lines = Vec::new();
        print_event(&mut lines, &event, opts)?;
        out.write_all(&lines)?;
        out.flush()?;
    }
    Ok(())
}

/// Writes the line(s) for one event (nothing for events only shown with `verbose`).
pub fn print_event(
    out: &mut impl Write,
    event: &EngineEvent,
    opts: &HeadlessOptions,
) -> io::Result<()> {
    match opts.format {
        LogFormat::Json => {
            serde_json::to_writer(&mut *out, &JsonEvent::from(event))?;
            writeln!(out)
        }
        LogFormat::Text => print_text(out, event, opts),
    }
}

/// The one-line summary of an update, without colour: `hot update r12: 1 module → 1 boundary
/// (/src/counter.js) in 1.8 ms, sent to 2 clients`.
pub fn update_line(report: &UpdateReport) -> String {
    // Only an update that sent a frame names a revision (the one the pages' acks name): one
    // that sent nothing leaves the pages at the last.
    let revision = report
        .revision
        .map_or_else(String::new, |revision| format!(" r{revision}"));
    let total = format::duration(report.server_total);
    let sent = format::count(report.clients, "client", "clients");
    match &report.outcome {
        UpdateOutcome::NoChange => {
            format!("no change{revision}: nothing the browser runs changed ({total})")
        }
        UpdateOutcome::Hot {
            modules, css_only, ..
        } if *css_only => format!(
            "css update{revision}: {} ({}) in {total}, sent to {sent}",
            format::count(modules.len(), "stylesheet", "stylesheets"),
            list(modules, 3),
        ),
        // (A fix back to the code the page kept: the revision moves, nothing runs again.)
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } if modules.is_empty() && boundaries.is_empty() => {
            format!("update{revision}: nothing runs again in {total}, sent to {sent}")
        }
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } => {
            // What was updated: the modules sent; or, for a module's `invalidate()` (a CSS
            // Module whose class names changed), that module and why: nothing new is sent, its
            // importers run again (Vite's "hmr invalidate"). "0 modules" said nothing.
            let what = match &report.invalidated {
                Some(invalidated) if modules.is_empty() => format!(
                    "{} invalidated{}",
                    engine::display_id(&invalidated.module),
                    invalidated
                        .message
                        .as_deref()
                        .map_or_else(String::new, |message| format!(" ({message})")),
                ),
                _ => format::count(modules.len(), "module", "modules"),
            };
            format!(
                "hot update{revision}: {what} → {} ({}) in {total}, sent to {sent}",
                format::count(boundaries.len(), "boundary", "boundaries"),
                list(boundaries, 3),
            )
        }
        UpdateOutcome::FullReload { reason } => format!("full reload{revision}: {reason}"),
        UpdateOutcome::Errors { count } => format!(
            "build failed{revision}: {}, the page keeps its last good state",
            format::count(*count, "error", "errors"),
        ),
    }
}

/// `server graph: 12 modules from /src/server.ts, 3 packages Node loads itself`.
pub fn server_graph_line(graph: &ServerGraphStats) -> String {
    format!(
        "graph: {} from {}, {} Node loads itself",
        format::count(graph.modules, "module", "modules"),
        graph.entry,
        format::count(graph.externals, "package", "packages"),
    )
}

/// `server hot update r3: 1 module → /src/server.ts in 0.8 ms` (the app's server process
/// applies it in place), or `server restart r4: <reason>`.
pub fn server_update_line(report: &ServerUpdateReport) -> String {
    let revision = report.revision;
    let prepare = format::duration(report.prepare);
    match &report.outcome {
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } => format!(
            "server hot update r{revision}: {} → {} in {prepare}",
            format::count(modules.len(), "module", "modules"),
            list(boundaries, 3),
        ),
        UpdateOutcome::FullReload { reason } => {
            format!("server restart r{revision}: {reason} ({prepare})")
        }
        UpdateOutcome::NoChange => format!("server no change r{revision} ({prepare})"),
        UpdateOutcome::Errors { count, .. } => format!(
            "server build failed r{revision}: {}, it keeps its last good code",
            format::count(*count, "error", "errors"),
        ),
    }
}

/// `coalesce 2.0 read 0.1 parse 0.9 ...` (milliseconds), in the order the engine reported.
pub fn phase_line(report: &UpdateReport) -> String {
    let mut line = String::new();
    for (phase, duration) in &report.phases {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(phase.name());
        line.push(' ');
        line.push_str(&format::millis_short(*duration));
    }
    line
}

/// The first `n` module ids joined with `, ` (as `engine::display_id` shows them), then
/// `, … (+k)`.
fn list(items: &[String], n: usize) -> String {
    let mut text = items
        .iter()
        .take(n)
        .map(|id| engine::display_id(id))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > n {
        text.push_str(&format!(", … (+{})", items.len() - n));
    }
    text
}

fn graph_line(graph: &GraphStats) -> String {
    format!(
        "graph: {}, {}, {}, {} css, {}, {} in node_modules",
        format::count(graph.modules, "module", "modules"),
        format::count(graph.edges, "edge", "edges"),
        format::count(graph.boundaries, "boundary", "boundaries"),
        graph.css,
        format::count(graph.assets, "asset", "assets"),
        graph.node_modules,
    )
}

#[derive(Clone, Copy)]
enum Paint {
    Green,
    Yellow,
    Red,
    Cyan,
    Dim,
}

/// Writes `tag` (coloured when asked) followed by `rest`, then a newline.
fn line(
    out: &mut impl Write,
    opts: &HeadlessOptions,
    paint: Paint,
    tag: &str,
    rest: &str,
) -> io::Result<()> {
    if opts.color {
        let code = match paint {
            Paint::Green => "32",
            Paint::Yellow => "33",
            Paint::Red => "1;31",
            Paint::Cyan => "36",
            Paint::Dim => "2",
        };
        writeln!(out, "\x1b[{code}m{tag}\x1b[0m{rest}")
    } else {
        writeln!(out, "{tag}{rest}")
    }
}

fn print_text(out: &mut impl Write, event: &EngineEvent, opts: &HeadlessOptions) -> io::Result<()> {
    match event {
        EngineEvent::Ready(ready) => {
            let ReadyReport {
                url,
                root,
                graph,
                cold_start,
                from_cache,
                last_page,
                first_render,
            } = &**ready;
            let cached = match from_cache {
                0 => String::new(),
                n => format!(", {n} from the compile cache"),
            };
            let page = match (last_page, first_render) {
                (LastPageCheck::Current, Some(after)) => format!(
                    "; the page of the last session was served meanwhile (a page rendered it \
                     in {}, then the build ran)",
                    format::duration(*after)
                ),
                (LastPageCheck::Current, None) => {
                    "; the page of the last session was served meanwhile".to_owned()
                }
                _ => String::new(),
            };
            let rest = format!(
                "hotloop ready at {url} ({}, {}{cached}){page}",
                format::count(graph.modules, "module", "modules"),
                format::duration(*cold_start)
            );
            line(out, opts, Paint::Green, "  ➜  ", &rest)?;
            if opts.shortcuts {
                line(
                    out,
                    opts,
                    Paint::Dim,
                    "  ➜  ",
                    "press h + enter to show help",
                )?;
            }
            if let LastPageCheck::Stale { module } = last_page {
                let what = module.as_deref().unwrap_or("its start statement");
                let rest = format!(
                    "the page of the last session, served meanwhile, was out of date ({what} \
                     changed): pages that loaded it reload"
                );
                line(out, opts, Paint::Yellow, "     ", &rest)?;
            }
            if opts.verbose {
                line(out, opts, Paint::Dim, "     root: ", root)?;
                line(out, opts, Paint::Dim, "     ", &graph_line(graph))?;
            }
            Ok(())
        }
        EngineEvent::ChangeDetected { files } => {
            line(out, opts, Paint::Cyan, "change: ", &list(files, 5))
        }
        EngineEvent::Update(report) => {
            let text = update_line(report);
            let (paint, split) = match report.outcome {
                UpdateOutcome::NoChange => (Paint::Dim, "no change".len()),
                UpdateOutcome::Hot { css_only, .. } => (
                    Paint::Green,
                    if css_only { "css update" } else { "hot update" }.len(),
                ),
                UpdateOutcome::FullReload { .. } => (Paint::Yellow, "full reload".len()),
                UpdateOutcome::Errors { .. } => (Paint::Red, "build failed".len()),
            };
            let (tag, rest) = text.split_at(split);
            line(out, opts, paint, tag, rest)?;
            if opts.verbose && !report.phases.is_empty() {
                line(out, opts, Paint::Dim, "  ", &phase_line(report))?;
            }
            Ok(())
        }
        EngineEvent::Diagnostics(diagnostics) => {
            if diagnostics.is_empty() {
                return line(out, opts, Paint::Green, "errors cleared", "");
            }
            for diagnostic in diagnostics.iter() {
                let rest = format!(
                    " {}:{}:{}: {}",
                    format::diagnostic_path(&diagnostic.file),
                    diagnostic.line,
                    diagnostic.column,
                    diagnostic.message
                );
                line(out, opts, Paint::Red, "error:", &rest)?;
                for frame_line in diagnostic.code_frame.lines() {
                    writeln!(out, "{frame_line}")?;
                }
            }
            Ok(())
        }
        EngineEvent::GraphChanged(graph) if opts.verbose => {
            line(out, opts, Paint::Dim, "", &graph_line(graph))
        }
        EngineEvent::GraphChanged(_) | EngineEvent::GraphSnapshot(_) => Ok(()),
        EngineEvent::ClientConnected { .. }
        | EngineEvent::ClientDisconnected { .. }
        | EngineEvent::ChunkLoaded { .. }
            if !opts.connections =>
        {
            Ok(())
        }
        EngineEvent::ClientConnected { client, user_agent } => {
            let agent = crate::user_agent::describe(user_agent);
            let rest = format!(" {client} connected ({agent})");
            line(out, opts, Paint::Cyan, "client", &rest)
        }
        EngineEvent::ClientDisconnected { client } => line(
            out,
            opts,
            Paint::Cyan,
            "client",
            &format!(" {client} disconnected"),
        ),
        EngineEvent::ChunkLoaded {
            client,
            chunk,
            modules,
        } => line(
            out,
            opts,
            Paint::Cyan,
            "client",
            &format!(
                " {client} loaded the lazy chunk of {chunk} ({})",
                format::count(modules.len(), "module", "modules")
            ),
        ),
        EngineEvent::Applied {
            client,
            revision,
            ok: true,
            apply,
            end_to_end,
            ..
        } => {
            let mut rest = format!(" r{revision} in {}", format::duration(*apply));
            if let Some(e2e) = end_to_end {
                rest.push_str(&format!(" (save→applied {})", format::duration(*e2e)));
            }
            if opts.verbose {
                rest.push_str(&format!(" on client {client}"));
            }
            line(out, opts, Paint::Green, "applied", &rest)
        }
        EngineEvent::Applied {
            client,
            revision,
            error,
            ..
        } => {
            let reason = error.as_deref().unwrap_or("unknown error");
            let rest = format!(" client {client} failed to apply r{revision}: {reason}");
            line(out, opts, Paint::Red, "error:", &rest)
        }
        EngineEvent::Memory(memory) if opts.verbose => {
            let rest = format!(
                "rss {}, allocator {} (peak {}), code {}, source maps {}",
                format::bytes(memory.rss_bytes),
                format::bytes(memory.allocator_committed),
                format::bytes(memory.allocator_peak),
                format::bytes(memory.emitted_code_bytes),
                format::bytes(memory.source_map_bytes),
            );
            line(out, opts, Paint::Dim, "memory: ", &rest)
        }
        EngineEvent::Memory(_) => Ok(()),
        EngineEvent::ServerGraph(graph) => line(
            out,
            opts,
            Paint::Cyan,
            "server",
            &format!(" {}", server_graph_line(graph)),
        ),
        EngineEvent::ServerUpdate(report) => {
            let text = server_update_line(report);
            let paint = match report.outcome {
                UpdateOutcome::FullReload { .. } => Paint::Yellow,
                UpdateOutcome::Errors { .. } => Paint::Red,
                UpdateOutcome::NoChange => Paint::Dim,
                UpdateOutcome::Hot { .. } => Paint::Green,
            };
            let (tag, rest) = text.split_at("server".len());
            line(out, opts, paint, tag, rest)
        }
        EngineEvent::ServerApplied {
            revision,
            ok,
            apply,
            end_to_end,
        } => {
            let mut rest = format!(" r{revision} in {}", format::duration(*apply));
            if let Some(e2e) = end_to_end {
                rest.push_str(&format!(" (save→applied {})", format::duration(*e2e)));
            }
            if *ok {
                line(out, opts, Paint::Green, "server applied", &rest)
            } else {
                let rest = format!(
                    " r{revision} failed to apply: the app's server keeps its last good code \
                     (the error is in the overlay)"
                );
                line(out, opts, Paint::Red, "server", &rest)
            }
        }
        EngineEvent::ServerProcess { pid, rss_bytes } if opts.verbose => {
            let rest = format!("pid {pid}, rss {}", format::bytes(*rss_bytes));
            line(out, opts, Paint::Dim, "app server: ", &rest)
        }
        EngineEvent::ServerProcess { .. } => Ok(()),
        EngineEvent::WatcherDegraded { message } => line(
            out,
            opts,
            Paint::Yellow,
            "warning:",
            &format!(" hot reloading degraded: {message}"),
        ),
        EngineEvent::Log { level, message, .. } => {
            let paint = match *level {
                tracing::Level::ERROR => Paint::Red,
                tracing::Level::WARN => Paint::Yellow,
                _ => Paint::Dim,
            };
            // (As hotloop's log records on stderr say it: `warning:`, `error:`.)
            let tag = match *level {
                tracing::Level::WARN => "warning:".to_owned(),
                level => format!("{}:", level_name(level)),
            };
            line(out, opts, paint, &tag, &format!(" {message}"))
        }
    }
}

/// The JSON shape of every event: `{"event": "<snake_case name>", ...}`. Field names are
/// stable; durations are milliseconds as floats (`*_ms`), sizes are bytes.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum JsonEvent<'a> {
    Ready {
        url: &'a str,
        root: &'a str,
        graph: JsonGraph,
        cold_start_ms: f64,
        from_cache: u64,
        /// `"current"`, `"stale"` or `null` (none served).
        last_page: Option<&'static str>,
        /// The first module whose code differs, when `"stale"`.
        #[serde(skip_serializing_if = "Option::is_none")]
        last_page_changed: Option<&'a str>,
        /// ms from the wait's start to the last session's page rendered, before the build.
        #[serde(skip_serializing_if = "Option::is_none")]
        first_render_ms: Option<f64>,
    },
    ChangeDetected {
        files: &'a [String],
    },
    Update {
        /// The update's number in the session.
        update: u32,
        /// The revision its frame carried; null when it sent none.
        revision: Option<u32>,
        files: &'a [String],
        outcome: JsonOutcome<'a>,
        /// Phase name → milliseconds.
        phases_ms: BTreeMap<&'static str, f64>,
        server_total_ms: f64,
        clients: usize,
        invalidation: JsonInvalidation<'a>,
    },
    Diagnostics {
        diagnostics: Vec<JsonDiagnostic<'a>>,
    },
    GraphChanged {
        graph: JsonGraph,
    },
    GraphSnapshot {
        modules: usize,
        edges: usize,
        entries: usize,
    },
    ClientConnected {
        client: u64,
        user_agent: &'a str,
    },
    ClientDisconnected {
        client: u64,
    },
    ChunkLoaded {
        client: u64,
        chunk: &'a str,
        modules: Vec<&'a str>,
    },
    Applied {
        client: u64,
        revision: u32,
        ok: bool,
        apply_ms: f64,
        end_to_end_ms: Option<f64>,
        error: Option<&'a str>,
    },
    Memory {
        rss_bytes: u64,
        allocator_committed_bytes: u64,
        allocator_peak_bytes: u64,
        emitted_code_bytes: u64,
        source_map_bytes: u64,
        queries: Vec<JsonQueryMemory<'a>>,
    },
    ServerGraph {
        entry: &'a str,
        modules: usize,
        externals: usize,
    },
    ServerUpdate {
        revision: u32,
        files: &'a [String],
        outcome: JsonOutcome<'a>,
        prepare_ms: f64,
    },
    ServerApplied {
        revision: u32,
        ok: bool,
        apply_ms: f64,
        end_to_end_ms: Option<f64>,
    },
    ServerProcess {
        pid: u32,
        rss_bytes: u64,
    },
    WatcherDegraded {
        message: &'a str,
    },
    Log {
        level: &'static str,
        message: &'a str,
    },
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum JsonOutcome<'a> {
    NoChange,
    Hot {
        modules: &'a [String],
        boundaries: &'a [String],
        css_only: bool,
    },
    FullReload {
        reason: &'a str,
    },
    Errors {
        count: usize,
    },
}

#[derive(Serialize)]
struct JsonGraph {
    modules: usize,
    edges: usize,
    boundaries: usize,
    css: usize,
    assets: usize,
    node_modules: usize,
}

#[derive(Serialize)]
struct JsonInvalidation<'a> {
    changed_inputs: &'a [String],
    executed: usize,
    reused: usize,
    /// Query name → executions.
    executed_by_query: BTreeMap<&'a str, usize>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    kind: &'static str,
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    code_frame: &'a str,
}

#[derive(Serialize)]
struct JsonQueryMemory<'a> {
    name: &'a str,
    count: usize,
    bytes: usize,
}

/// Milliseconds with microsecond precision (`0.3`, not `0.30000000000000004`).
fn millis(duration: std::time::Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

impl<'a> From<&'a UpdateOutcome> for JsonOutcome<'a> {
    fn from(outcome: &'a UpdateOutcome) -> Self {
        match outcome {
            UpdateOutcome::NoChange => JsonOutcome::NoChange,
            UpdateOutcome::Hot {
                modules,
                boundaries,
                css_only,
            } => JsonOutcome::Hot {
                modules,
                boundaries,
                css_only: *css_only,
            },
            UpdateOutcome::FullReload { reason } => JsonOutcome::FullReload { reason },
            UpdateOutcome::Errors { count } => JsonOutcome::Errors { count: *count },
        }
    }
}

impl From<&GraphStats> for JsonGraph {
    fn from(graph: &GraphStats) -> Self {
        JsonGraph {
            modules: graph.modules,
            edges: graph.edges,
            boundaries: graph.boundaries,
            css: graph.css,
            assets: graph.assets,
            node_modules: graph.node_modules,
        }
    }
}

impl<'a> From<&'a EngineEvent> for JsonEvent<'a> {
    fn from(event: &'a EngineEvent) -> Self {
        match event {
            EngineEvent::Ready(ready) => JsonEvent::Ready {
                url: &ready.url,
                root: &ready.root,
                graph: (&ready.graph).into(),
                cold_start_ms: millis(ready.cold_start),
                from_cache: ready.from_cache,
                last_page: match &ready.last_page {
                    LastPageCheck::NotServed => None,
                    LastPageCheck::Current => Some("current"),
                    LastPageCheck::Stale { .. } => Some("stale"),
                },
                last_page_changed: match &ready.last_page {
                    LastPageCheck::Stale { module } => module.as_deref(),
                    _ => None,
                },
                first_render_ms: ready.first_render.map(millis),
            },
            EngineEvent::ChangeDetected { files } => JsonEvent::ChangeDetected { files },
            EngineEvent::Update(report) => {
                let outcome = JsonOutcome::from(&report.outcome);
                let invalidation = &report.invalidation;
                let mut executed_by_query = BTreeMap::new();
                for (query, _) in &invalidation.executed {
                    *executed_by_query.entry(query.as_str()).or_insert(0) += 1;
                }
                JsonEvent::Update {
                    update: report.number,
                    revision: report.revision,
                    files: &report.files,
                    outcome,
                    phases_ms: report
                        .phases
                        .iter()
                        .map(|(phase, duration)| (phase.name(), millis(*duration)))
                        .collect(),
                    server_total_ms: millis(report.server_total),
                    clients: report.clients,
                    invalidation: JsonInvalidation {
                        changed_inputs: &invalidation.changed_inputs,
                        executed: invalidation.executed.len(),
                        reused: invalidation.reused.len(),
                        executed_by_query,
                    },
                }
            }
            EngineEvent::Diagnostics(diagnostics) => JsonEvent::Diagnostics {
                diagnostics: diagnostics
                    .iter()
                    .map(|d| JsonDiagnostic {
                        kind: kind_name(d.kind),
                        file: &d.file,
                        line: d.line,
                        column: d.column,
                        message: &d.message,
                        code_frame: &d.code_frame,
                    })
                    .collect(),
            },
            EngineEvent::GraphChanged(graph) => JsonEvent::GraphChanged {
                graph: graph.into(),
            },
            EngineEvent::GraphSnapshot(graph) => JsonEvent::GraphSnapshot {
                modules: graph.len(),
                edges: graph.edge_count(),
                entries: graph.entries.len(),
            },
            EngineEvent::ClientConnected { client, user_agent } => JsonEvent::ClientConnected {
                client: *client,
                user_agent,
            },
            EngineEvent::ClientDisconnected { client } => {
                JsonEvent::ClientDisconnected { client: *client }
            }
            EngineEvent::ChunkLoaded {
                client,
                chunk,
                modules,
            } => JsonEvent::ChunkLoaded {
                client: *client,
                chunk,
                modules: modules.iter().map(|m| &**m).collect(),
            },
            EngineEvent::Applied {
                client,
                revision,
                ok,
                apply,
                end_to_end,
                error,
            } => JsonEvent::Applied {
                client: *client,
                revision: *revision,
                ok: *ok,
                apply_ms: millis(*apply),
                end_to_end_ms: end_to_end.map(millis),
                error: error.as_deref(),
            },
            EngineEvent::Memory(memory) => JsonEvent::Memory {
                rss_bytes: memory.rss_bytes,
                allocator_committed_bytes: memory.allocator_committed,
                allocator_peak_bytes: memory.allocator_peak,
                emitted_code_bytes: memory.emitted_code_bytes,
                source_map_bytes: memory.source_map_bytes,
                queries: memory
                    .queries
                    .iter()
                    .map(|(name, count, bytes)| JsonQueryMemory {
                        name,
                        count: *count,
                        bytes: *bytes,
                    })
                    .collect(),
            },
            EngineEvent::ServerGraph(graph) => JsonEvent::ServerGraph {
                entry: &graph.entry,
                modules: graph.modules,
                externals: graph.externals,
            },
            EngineEvent::ServerUpdate(report) => JsonEvent::ServerUpdate {
                revision: report.revision,
                files: &report.files,
                outcome: JsonOutcome::from(&report.outcome),
                prepare_ms: millis(report.prepare),
            },
            EngineEvent::ServerApplied {
                revision,
                ok,
                apply,
                end_to_end,
            } => JsonEvent::ServerApplied {
                revision: *revision,
                ok: *ok,
                apply_ms: millis(*apply),
                end_to_end_ms: end_to_end.map(millis),
            },
            EngineEvent::ServerProcess { pid, rss_bytes } => JsonEvent::ServerProcess {
                pid: *pid,
                rss_bytes: *rss_bytes,
            },
            EngineEvent::WatcherDegraded { message } => JsonEvent::WatcherDegraded { message },
            EngineEvent::Log { level, message, .. } => JsonEvent::Log {
                level: level_name(*level),
                message,
            },
        }
    }
}

fn kind_name(kind: DiagnosticKind) -> &'static str {
    match kind {
        DiagnosticKind::Syntax => "syntax",
        DiagnosticKind::Resolve => "resolve",
        DiagnosticKind::Transform => "transform",
        DiagnosticKind::Io => "io",
        DiagnosticKind::Runtime => "runtime",
    }
}

/// `error`, `warn`, `info`, `debug`, `trace`.
pub fn level_name(level: tracing::Level) -> &'static str {
    match level {
        tracing::Level::ERROR => "error",
        tracing::Level::WARN => "warn",
        tracing::Level::INFO => "info",
        tracing::Level::DEBUG => "debug",
        tracing::Level::TRACE => "trace",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_outside_the_root_is_shown_by_its_absolute_path() {
        use crate::dashboard::format::diagnostic_path;
        assert_eq!(
            diagnostic_path("/@fs/repo/packages/ui/Button.tsx"),
            "/repo/packages/ui/Button.tsx"
        );
        assert_eq!(diagnostic_path("/src/App.tsx"), "/src/App.tsx");
        assert_eq!(diagnostic_path("/@fsx.js"), "/@fsx.js");
    }

    use std::time::Duration;

    use engine::GraphBuilder;
    use engine::{InvalidationProfile, MemoryStats, Phase};
    use expect_test::{Expect, expect};

    use super::*;

    fn ms(tenths: u64) -> Duration {
        Duration::from_micros(tenths * 100)
    }

    fn update(revision: u32, outcome: UpdateOutcome) -> EngineEvent {
        let sent = matches!(
            outcome,
            UpdateOutcome::Hot { .. } | UpdateOutcome::FullReload { .. }
        );
        EngineEvent::Update(Box::new(UpdateReport {
            number: revision,
            revision: sent.then_some(revision),
            files: vec!["src/counter.js".into()],
            outcome,
            phases: vec![
                (Phase::Coalesce, ms(20)),
                (Phase::Read, ms(1)),
                (Phase::Parse, ms(9)),
                (Phase::Emit, ms(4)),
                (Phase::Plan, ms(1)),
                (Phase::Send, ms(2)),
            ],
            server_total: ms(18),
            clients: 2,
            invalidation: InvalidationProfile {
                changed_inputs: vec!["/src/counter.js".into()],
                executed: vec![
                    ("parsed_module".into(), "/src/counter.js".into()),
                    ("emitted_module".into(), "/src/counter.js".into()),
                ],
                reused: vec![("module_imports".into(), "/src/counter.js".into())],
            },
            invalidated: None,
        }))
    }

    /// One of every event.
    fn every_event() -> Vec<EngineEvent> {
        let diagnostic = Diagnostic {
            kind: DiagnosticKind::Syntax,
            file: "/src/a.js".into(),
            line: 3,
            column: 9,
            message: "Expected ';'".into(),
            code_frame: "  2 | let a = 1\n> 3 | let b = 2 3\n    |         ^".into(),
        };
        vec![
            EngineEvent::Ready(Box::new(ReadyReport {
                url: "http://127.0.0.1:3000/".into(),
                root: "/home/dev/app".into(),
                graph: GraphStats {
                    modules: 312,
                    edges: 540,
                    boundaries: 12,
                    css: 4,
                    assets: 1,
                    node_modules: 120,
                },
                cold_start: Duration::from_micros(41_200),
                from_cache: 300,
                last_page: LastPageCheck::Current,
                first_render: None,
            })),
            EngineEvent::ClientConnected {
                client: 1,
                user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/126".into(),
            },
            EngineEvent::ChangeDetected {
                files: vec!["src/counter.js".into()],
            },
            update(
                12,
                UpdateOutcome::Hot {
                    modules: vec!["/src/counter.js".into()],
                    boundaries: vec!["/src/counter.js".into()],
                    css_only: false,
                },
            ),
            EngineEvent::Applied {
                client: 1,
                revision: 12,
                ok: true,
                apply: ms(31),
                end_to_end: Some(ms(94)),
                error: None,
            },
            update(
                13,
                UpdateOutcome::Hot {
                    // (UnoCSS's `/__uno.css`, not on disk, is named as Vite names it.)
                    modules: vec!["/src/app.css".into(), "/@id/__x2f____uno.css".into()],
                    boundaries: vec!["/src/app.css".into()],
                    css_only: true,
                },
            ),
            update(
                14,
                UpdateOutcome::FullReload {
                    reason: "/src/main.js changed and no module accepts it".into(),
                },
            ),
            update(15, UpdateOutcome::NoChange),
            update(16, UpdateOutcome::Errors { count: 1 }),
            EngineEvent::Diagnostics(Arc::from([diagnostic])),
            EngineEvent::Applied {
                client: 1,
                revision: 17,
                ok: false,
                apply: ms(5),
                end_to_end: None,
                error: Some("TypeError: x is undefined".into()),
            },
            EngineEvent::Diagnostics(Arc::from([])),
            EngineEvent::GraphChanged(GraphStats {
                modules: 313,
                edges: 541,
                ..GraphStats::default()
            }),
            EngineEvent::GraphSnapshot(Arc::new(GraphBuilder::default().finish())),
            EngineEvent::Memory(MemoryStats {
                rss_bytes: 84 << 20,
                allocator_committed: 60 << 20,
                allocator_peak: 72 << 20,
                queries: vec![("parsed_module".into(), 312, 9 << 20)],
                emitted_code_bytes: 1 << 20,
                source_map_bytes: 2 << 20,
            }),
            EngineEvent::WatcherDegraded {
                message: "inotify watch limit reached; rescanned".into(),
            },
            EngineEvent::Log {
                level: tracing::Level::WARN,
                message: "hotloop_engine::watcher: event queue overflowed".into(),
                plugins: false,
            },
            EngineEvent::ServerGraph(ServerGraphStats {
                entry: "/src/server.ts".into(),
                modules: 42,
                externals: 3,
            }),
            EngineEvent::ServerProcess {
                pid: 4242,
                rss_bytes: 51 << 20,
            },
            EngineEvent::ServerUpdate(Box::new(ServerUpdateReport {
                revision: 3,
                files: vec!["src/api.ts".into()],
                outcome: UpdateOutcome::Hot {
                    modules: vec!["/src/api.ts".into()],
                    boundaries: vec!["/src/server.ts".into()],
                    css_only: false,
                },
                prepare: ms(7),
            })),
            EngineEvent::ServerApplied {
                revision: 3,
                ok: true,
                apply: ms(12),
                end_to_end: Some(ms(55)),
            },
            EngineEvent::ServerApplied {
                revision: 4,
                ok: false,
                apply: ms(3),
                end_to_end: None,
            },
            EngineEvent::ServerUpdate(Box::new(ServerUpdateReport {
                revision: 5,
                files: vec!["package.json".into()],
                outcome: UpdateOutcome::FullReload {
                    reason: "package.json changed".into(),
                },
                prepare: ms(40),
            })),
            EngineEvent::ChunkLoaded {
                client: 1,
                chunk: "/src/routes/A.jsx".into(),
                modules: vec!["/src/routes/A.jsx".into(), "/src/shared/label.js".into()].into(),
            },
            EngineEvent::ClientDisconnected { client: 1 },
        ]
    }

    #[track_caller]
    fn check(opts: HeadlessOptions, expect: Expect) {
        let mut out = Vec::new();
        for event in every_event() {
            print_event(&mut out, &event, &opts).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        if !opts.color {
            assert!(!text.contains('\x1b'), "no ANSI codes unless asked");
        }
        expect.assert_eq(&text);
    }

    #[test]
    fn text_lines_for_every_event() {
        check(
            HeadlessOptions::default(),
            expect![[r#"
                  ➜  hotloop ready at http://127.0.0.1:3000/ (312 modules, 41 ms, 300 from the compile cache); the page of the last session was served meanwhile
                change: src/counter.js
                hot update r12: 1 module → 1 boundary (/src/counter.js) in 1.8 ms, sent to 2 clients
                applied r12 in 3.1 ms (save→applied 9.4 ms)
                css update r13: 2 stylesheets (/src/app.css, /__uno.css) in 1.8 ms, sent to 2 clients
                full reload r14: /src/main.js changed and no module accepts it
                no change: nothing the browser runs changed (1.8 ms)
                build failed: 1 error, the page keeps its last good state
                error: /src/a.js:3:9: Expected ';'
                  2 | let a = 1
                > 3 | let b = 2 3
                    |         ^
                error: client 1 failed to apply r17: TypeError: x is undefined
                errors cleared
                warning: hot reloading degraded: inotify watch limit reached; rescanned
                warning: hotloop_engine::watcher: event queue overflowed
                server graph: 42 modules from /src/server.ts, 3 packages Node loads itself
                server hot update r3: 1 module → /src/server.ts in 0.7 ms
                server applied r3 in 1.2 ms (save→applied 5.5 ms)
                server r4 failed to apply: the app's server keeps its last good code (the error is in the overlay)
                server restart r5: package.json changed (4.0 ms)
            "#]],
        );
    }

    /// A page load is no news (Vite prints nothing for it): its lines are detail, asked for
    /// with `-v` or `HMR_LOG=hotloop::clients=debug`; errors and updates are always said.
    #[test]
    fn connection_lines_only_when_asked_for() {
        let opts = HeadlessOptions {
            connections: true,
            ..HeadlessOptions::default()
        };
        let mut out = Vec::new();
        for event in every_event() {
            let mut with = Vec::new();
            print_event(&mut with, &event, &opts).unwrap();
            let mut without = Vec::new();
            print_event(&mut without, &event, &HeadlessOptions::default()).unwrap();
            if with != without {
                assert!(without.is_empty(), "{}", String::from_utf8_lossy(&without));
                out.extend(with);
            }
        }
        expect![[r#"
            client 1 connected (Chrome 126 on Linux)
            client 1 loaded the lazy chunk of /src/routes/A.jsx (2 modules)
            client 1 disconnected
        "#]]
        .assert_eq(&String::from_utf8(out).unwrap());
    }

    #[test]
    fn an_update_that_runs_nothing_again_says_so() {
        let event = update(
            7,
            UpdateOutcome::Hot {
                modules: Vec::new(),
                boundaries: Vec::new(),
                css_only: false,
            },
        );
        let mut out = Vec::new();
        print_event(&mut out, &event, &HeadlessOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "update r7: nothing runs again in 1.8 ms, sent to 2 clients\n"
        );
    }

    /// Session 50: a CSS Module's class names changed, the page invalidated it and its
    /// importer ran again: the line read "hot update r3: 0 modules → 1 boundary".
    #[test]
    fn an_invalidation_names_the_module_and_why() {
        let mut event = update(
            3,
            UpdateOutcome::Hot {
                modules: Vec::new(),
                boundaries: vec!["/src/App.tsx".into()],
                css_only: false,
            },
        );
        if let EngineEvent::Update(report) = &mut event {
            report.invalidated = Some(engine::Invalidated {
                module: "/src/App.module.css".into(),
                message: Some("its class names changed".into()),
            });
        }
        let mut out = Vec::new();
        print_event(&mut out, &event, &HeadlessOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "hot update r3: /src/App.module.css invalidated (its class names changed) → 1 boundary \
             (/src/App.tsx) in 1.8 ms, sent to 2 clients\n"
        );
    }

    #[test]
    fn a_stale_page_of_the_last_session_is_said_under_the_ready_line() {
        let mut out = Vec::new();
        let mut ready = every_event().remove(0);
        if let EngineEvent::Ready(ready) = &mut ready {
            ready.last_page = LastPageCheck::Stale {
                module: Some("/src/b.ts".into()),
            };
        }
        print_event(&mut out, &ready, &HeadlessOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  ➜  hotloop ready at http://127.0.0.1:3000/ (312 modules, 41 ms, 300 from the \
             compile cache)\n     the page of the last session, served meanwhile, was out of \
             date (/src/b.ts changed): pages that loaded it reload\n"
        );
        let json = serde_json::to_string(&JsonEvent::from(&ready)).unwrap();
        assert!(
            json.contains(r#""last_page":"stale","last_page_changed":"/src/b.ts""#),
            "{json}"
        );
    }

    #[test]
    fn a_page_that_rendered_before_the_build_is_said_in_the_ready_line() {
        let mut out = Vec::new();
        let mut ready = every_event().remove(0);
        if let EngineEvent::Ready(ready) = &mut ready {
            ready.first_render = Some(Duration::from_millis(612));
        }
        print_event(&mut out, &ready, &HeadlessOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  ➜  hotloop ready at http://127.0.0.1:3000/ (312 modules, 41 ms, 300 from the \
             compile cache); the page of the last session was served meanwhile (a page \
             rendered it in 612 ms, then the build ran)\n"
        );
        let json = serde_json::to_string(&JsonEvent::from(&ready)).unwrap();
        assert!(
            json.contains(r#""last_page":"current","first_render_ms":612.0"#),
            "{json}"
        );
    }

    #[test]
    fn verbose_adds_phases_graph_and_memory() {
        check(
            HeadlessOptions {
                verbose: true,
                connections: true,
                ..HeadlessOptions::default()
            },
            expect![[r#"
                  ➜  hotloop ready at http://127.0.0.1:3000/ (312 modules, 41 ms, 300 from the compile cache); the page of the last session was served meanwhile
                     root: /home/dev/app
                     graph: 312 modules, 540 edges, 12 boundaries, 4 css, 1 asset, 120 in node_modules
                client 1 connected (Chrome 126 on Linux)
                change: src/counter.js
                hot update r12: 1 module → 1 boundary (/src/counter.js) in 1.8 ms, sent to 2 clients
                  coalesce 2.0 read 0.1 parse 0.9 emit 0.4 plan 0.1 send 0.2
                applied r12 in 3.1 ms (save→applied 9.4 ms) on client 1
                css update r13: 2 stylesheets (/src/app.css, /__uno.css) in 1.8 ms, sent to 2 clients
                  coalesce 2.0 read 0.1 parse 0.9 emit 0.4 plan 0.1 send 0.2
                full reload r14: /src/main.js changed and no module accepts it
                  coalesce 2.0 read 0.1 parse 0.9 emit 0.4 plan 0.1 send 0.2
                no change: nothing the browser runs changed (1.8 ms)
                  coalesce 2.0 read 0.1 parse 0.9 emit 0.4 plan 0.1 send 0.2
                build failed: 1 error, the page keeps its last good state
                  coalesce 2.0 read 0.1 parse 0.9 emit 0.4 plan 0.1 send 0.2
                error: /src/a.js:3:9: Expected ';'
                  2 | let a = 1
                > 3 | let b = 2 3
                    |         ^
                error: client 1 failed to apply r17: TypeError: x is undefined
                errors cleared
                graph: 313 modules, 541 edges, 0 boundaries, 0 css, 0 assets, 0 in node_modules
                memory: rss 84.0 MiB, allocator 60.0 MiB (peak 72.0 MiB), code 1.0 MiB, source maps 2.0 MiB
                warning: hot reloading degraded: inotify watch limit reached; rescanned
                warning: hotloop_engine::watcher: event queue overflowed
                server graph: 42 modules from /src/server.ts, 3 packages Node loads itself
                app server: pid 4242, rss 51.0 MiB
                server hot update r3: 1 module → /src/server.ts in 0.7 ms
                server applied r3 in 1.2 ms (save→applied 5.5 ms)
                server r4 failed to apply: the app's server keeps its last good code (the error is in the overlay)
                server restart r5: package.json changed (4.0 ms)
                client 1 loaded the lazy chunk of /src/routes/A.jsx (2 modules)
                client 1 disconnected
            "#]],
        );
    }

    #[test]
    fn json_is_one_object_per_event() {
        let opts = HeadlessOptions {
            format: LogFormat::Json,
            color: true,
            ..HeadlessOptions::default()
        };
        let mut out = Vec::new();
        for event in every_event() {
            print_event(&mut out, &event, &opts).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('\x1b'), "JSON is never coloured");
        let names: Vec<String> = text
            .lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                value["event"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(names.len(), every_event().len(), "one line per event");
        expect!["ready client_connected change_detected update applied update update update update diagnostics applied diagnostics graph_changed graph_snapshot memory watcher_degraded log server_graph server_process server_update server_applied server_applied server_update chunk_loaded client_disconnected"].assert_eq(&names.join(" "));
        // The server's apply phase, as a tool reads it.
        let applied: serde_json::Value = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .find(|value| value["event"] == "server_applied")
            .unwrap();
        assert_eq!(
            applied,
            serde_json::json!({"event": "server_applied", "revision": 3, "ok": true,
                "apply_ms": 1.2, "end_to_end_ms": 5.5})
        );
        // The full shape of the two richest events.
        let update = text.lines().nth(3).unwrap();
        let update: serde_json::Value = serde_json::from_str(update).unwrap();
        expect![[r#"
            {
              "event": "update",
              "update": 12,
              "revision": 12,
              "files": [
                "src/counter.js"
              ],
              "outcome": {
                "kind": "hot",
                "modules": [
                  "/src/counter.js"
                ],
                "boundaries": [
                  "/src/counter.js"
                ],
                "css_only": false
              },
              "phases_ms": {
                "coalesce": 2.0,
                "emit": 0.4,
                "parse": 0.9,
                "plan": 0.1,
                "read": 0.1,
                "send": 0.2
              },
              "server_total_ms": 1.8,
              "clients": 2,
              "invalidation": {
                "changed_inputs": [
                  "/src/counter.js"
                ],
                "executed": 2,
                "reused": 1,
                "executed_by_query": {
                  "emitted_module": 1,
                  "parsed_module": 1
                }
              }
            }"#]]
        .assert_eq(&serde_json::to_string_pretty(&update).unwrap());
        let applied: serde_json::Value =
            serde_json::from_str(text.lines().nth(4).unwrap()).unwrap();
        expect![[r#"{"event":"applied","client":1,"revision":12,"ok":true,"apply_ms":3.1,"end_to_end_ms":9.4,"error":null}"#]].assert_eq(&applied.to_string());
    }

    #[test]
    fn color_paints_only_the_leading_words() {
        let opts = HeadlessOptions {
            color: true,
            ..HeadlessOptions::default()
        };
        let mut out = Vec::new();
        print_event(&mut out, &every_event()[3], &opts).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\x1b[32mhot update\x1b[0m r12: 1 module → 1 boundary (/src/counter.js) in 1.8 ms, \
             sent to 2 clients\n"
        );
    }

    #[test]
    fn run_skips_repeated_diagnostics_and_stops_when_the_channel_closes() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let diagnostics = |message: &str| {
            EngineEvent::Diagnostics(Arc::from([Diagnostic {
                kind: DiagnosticKind::Resolve,
                file: "/src/a.js".into(),
                line: 1,
                column: 1,
                message: message.into(),
                code_frame: String::new(),
            }]))
        };
        for event in [
            EngineEvent::Diagnostics(Arc::from([])),
            diagnostics("cannot resolve './b'"),
            diagnostics("cannot resolve './b'"),
            diagnostics("cannot resolve './c'"),
            EngineEvent::Diagnostics(Arc::from([])),
            EngineEvent::Diagnostics(Arc::from([])),
        ] {
            tx.send(event).unwrap();
        }
        drop(tx);
        let mut out = Vec::new();
        run(rx, &mut out, &HeadlessOptions::default()).unwrap();
        expect![[r#"
            error: /src/a.js:1:1: cannot resolve './b'
            error: /src/a.js:1:1: cannot resolve './c'
            errors cleared
        "#]]
        .assert_eq(&String::from_utf8(out).unwrap());
    }
}
