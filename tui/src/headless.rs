//! The headless log (`--no-tui`): the dashboard's facts as plain lines, one or two per engine
//! event, or one JSON object per event per line for `--log-format json`. Text carries no ANSI
//! codes unless `color` is set; JSON never does.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use crossbeam_channel::Receiver;
use engine::diagnostics::{Diagnostic, DiagnosticKind};
use engine::telemetry::{EngineEvent, GraphStats, UpdateOutcome, UpdateReport};
use serde::Serialize;

use crate::dashboard::format;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeadlessOptions {
    pub format: LogFormat,
    /// Text: add the per-phase breakdown of each update, graph and memory lines.
    pub verbose: bool,
    /// Text: colour the leading words with ANSI codes.
    pub color: bool,
}

/// Prints events until the channel closes. A `Diagnostics` event identical to the previous
/// one is not printed again (the engine re-sends the complete set), and an empty set is only
/// printed when it clears earlier errors.
pub fn run(
    events: Receiver<EngineEvent>,
    mut out: impl Write,
    opts: &HeadlessOptions,
) -> io::Result<()> {
    let mut last_diagnostics: Arc<[Diagnostic]> = Arc::from([]);
    for event in events {
        if let EngineEvent::Diagnostics(diagnostics) = &event {
            if *diagnostics == last_diagnostics {
                continue;
            }
            last_diagnostics = diagnostics.clone();
        }
        print_event(&mut out, &event, opts)?;
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
    let revision = report.revision;
    let total = format::duration(report.server_total);
    let sent = format::count(report.clients, "client", "clients");
    match &report.outcome {
        UpdateOutcome::NoChange => {
            format!("no change r{revision}: nothing the browser runs changed ({total})")
        }
        UpdateOutcome::Hot {
            modules, css_only, ..
        } if *css_only => format!(
            "css update r{revision}: {} ({}) in {total}, sent to {sent}",
            format::count(modules.len(), "stylesheet", "stylesheets"),
            list(modules, 3),
        ),
        UpdateOutcome::Hot {
            modules,
            boundaries,
            ..
        } => format!(
            "hot update r{revision}: {} → {} ({}) in {total}, sent to {sent}",
            format::count(modules.len(), "module", "modules"),
            format::count(boundaries.len(), "boundary", "boundaries"),
            list(boundaries, 3),
        ),
        UpdateOutcome::FullReload { reason } => format!("full reload r{revision}: {reason}"),
        UpdateOutcome::Errors { count } => format!(
            "build failed r{revision}: {}, the page keeps its last good state",
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

/// The first `n` items joined with `, `, then `, … (+k)`.
fn list(items: &[String], n: usize) -> String {
    let mut text = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
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
        EngineEvent::Ready {
            url,
            root,
            graph,
            cold_start,
        } => {
            let rest = format!(
                "hotloop ready at {url} ({}, {})",
                format::count(graph.modules, "module", "modules"),
                format::duration(*cold_start)
            );
            line(out, opts, Paint::Green, "  ➜  ", &rest)?;
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
                    diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.message
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
        EngineEvent::ClientConnected { client, user_agent } => {
            let agent: String = user_agent.chars().take(60).collect();
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
        EngineEvent::WatcherDegraded { message } => line(
            out,
            opts,
            Paint::Yellow,
            "warning:",
            &format!(" hot reloading degraded: {message}"),
        ),
        EngineEvent::Log { level, message } => {
            let paint = match *level {
                tracing::Level::ERROR => Paint::Red,
                tracing::Level::WARN => Paint::Yellow,
                _ => Paint::Dim,
            };
            let tag = format!("{}:", level_name(*level));
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
    },
    Change {
        files: &'a [String],
    },
    Update {
        revision: u32,
        files: &'a [String],
        outcome: JsonOutcome<'a>,
        /// Phase name → milliseconds.
        phases: BTreeMap<&'static str, f64>,
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

fn millis(duration: std::time::Duration) -> f64 {
    format::millis(duration)
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
            EngineEvent::Ready {
                url,
                root,
                graph,
                cold_start,
            } => JsonEvent::Ready {
                url,
                root,
                graph: graph.into(),
                cold_start_ms: millis(*cold_start),
            },
            EngineEvent::ChangeDetected { files } => JsonEvent::Change { files },
            EngineEvent::Update(report) => {
                let outcome = match &report.outcome {
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
                };
                let invalidation = &report.invalidation;
                let mut executed_by_query = BTreeMap::new();
                for (query, _) in &invalidation.executed {
                    *executed_by_query.entry(query.as_str()).or_insert(0) += 1;
                }
                JsonEvent::Update {
                    revision: report.revision,
                    files: &report.files,
                    outcome,
                    phases: report
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
            EngineEvent::WatcherDegraded { message } => JsonEvent::WatcherDegraded { message },
            EngineEvent::Log { level, message } => JsonEvent::Log {
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
