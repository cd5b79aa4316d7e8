//! Overview tab: where the server is, how big the graph is (and the server graph, with the
//! app's server process: its memory, its last update and apply time), who is connected, and
//! what the last update did and cost (and, when it failed, its files' errors).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{field, inset, theme};
use crate::dashboard::app::{App, AppServerInfo, Tab, module_id};
use crate::dashboard::format;
use crate::headless;

/// Errors of the last update's files shown under it.
const ERRORS_SHOWN: usize = 2;
/// The plugins' latest lines shown (what Vite's terminal shows of them: an inspector's URL,
/// a type checker's report; all of them are in tab 6's log).
const PLUGIN_LINES_SHOWN: usize = 6;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let mut lines = Vec::new();
    match &app.server {
        Some(server) => {
            lines.push(field(
                "Server",
                vec![
                    Span::styled(server.url.as_str(), theme::URL),
                    Span::styled(
                        format!("  (cold start {})", format::duration(server.cold_start)),
                        theme::DIM,
                    ),
                ],
            ));
            lines.push(field("Root", vec![Span::raw(server.root.as_str())]));
        }
        None => lines.push(field(
            "Server",
            match &app.listening {
                Some(url) => vec![
                    Span::styled(url.as_str(), theme::URL),
                    Span::styled(
                        "  building: the page shows once every module is compiled",
                        theme::DIM,
                    ),
                ],
                None => vec![Span::styled("waiting for the engine…", theme::DIM)],
            },
        )),
    }
    let graph = &app.graph_stats;
    lines.push(field(
        "Graph",
        vec![Span::raw(format!(
            "{} · {} · {}",
            format::count(graph.modules, "module", "modules"),
            format::count(graph.edges, "edge", "edges"),
            format::count(graph.boundaries, "boundary", "boundaries"),
        ))],
    ));
    lines.push(field(
        "",
        vec![Span::raw(format!(
            "{} CSS · {} · {} in node_modules",
            graph.css,
            format::count(graph.assets, "asset", "assets"),
            graph.node_modules,
        ))],
    ));
    if let Some(server) = &app.app_server {
        app_server_lines(server, &mut lines);
    }
    lines.push(field(
        "Clients",
        vec![Span::raw(format!("{} connected", app.clients.len()))],
    ));
    let errors = app.error_count();
    lines.push(field(
        "Errors",
        vec![if errors == 0 {
            Span::styled("none", theme::OK)
        } else {
            Span::styled(
                format!(
                    "{} {}",
                    format::count(errors, "error", "errors"),
                    see_errors_tab()
                ),
                theme::ERROR,
            )
        }],
    ));
    let (warnings, log_errors) = app.log_counts();
    if warnings + log_errors > 0 {
        let mut said = Vec::new();
        if warnings > 0 {
            said.push(format::count(warnings, "warning", "warnings"));
        }
        if log_errors > 0 {
            said.push(format::count(log_errors, "error", "errors"));
        }
        lines.push(field(
            "Log",
            vec![Span::styled(
                format!("{} {}", said.join(", "), see_errors_tab()),
                if log_errors > 0 {
                    theme::ERROR
                } else {
                    theme::WARN
                },
            )],
        ));
    }
    lines.push(field(
        "Watcher",
        vec![match &app.watcher_degraded {
            None => Span::styled("ok", theme::OK),
            Some(message) => Span::styled(format!("degraded: {message}"), theme::WARN),
        }],
    ));
    lines.push(Line::default());
    match app.last_update() {
        None => lines.push(field(
            "Last update",
            match &app.hint {
                Some(hint) => vec![
                    Span::styled("none yet: ", theme::DIM),
                    Span::styled(hint.as_str(), theme::URL),
                ],
                None => vec![Span::styled("none yet: save a file", theme::DIM)],
            },
        )),
        Some(record) => {
            let report = &record.report;
            let files = if report.files.is_empty() {
                "(no file: asked for)".to_owned()
            } else {
                report.files.join(", ")
            };
            lines.push(field(
                "Last update",
                vec![Span::raw(format!("#{} · {files}", report.number))],
            ));
            lines.push(Line::from(headless::update_line(report)));
            // Why it failed, when the files it is about have errors (a `vite.config.ts` that
            // no longer evaluates; a syntax error): their first lines, the rest on tab 6.
            let ids: Vec<String> = report.files.iter().map(|file| module_id(file)).collect();
            let theirs: Vec<&engine::Diagnostic> = app
                .diagnostics
                .iter()
                .filter(|d| ids.contains(&d.file))
                .collect();
            for diagnostic in theirs.iter().take(ERRORS_SHOWN) {
                lines.push(Line::from(vec![
                    Span::styled("error: ", theme::ERROR),
                    Span::raw(format!(
                        "{}:{}:{}: {}",
                        format::diagnostic_path(&diagnostic.file),
                        diagnostic.line,
                        diagnostic.column,
                        diagnostic.message.lines().next().unwrap_or_default()
                    )),
                ]));
            }
            if theirs.len() > ERRORS_SHOWN {
                lines.push(Line::from(Span::styled(
                    format!(
                        "… {} more {}",
                        theirs.len() - ERRORS_SHOWN,
                        see_errors_tab()
                    ),
                    theme::DIM,
                )));
            }
            // Only a hot update is applied by the pages, and acked.
            let e2e = match (&report.outcome, record.end_to_end) {
                (_, Some(e2e)) => format!(" · save→applied {}", format::duration(e2e)),
                (engine::UpdateOutcome::Hot { .. }, None) if app.clients.is_empty() => {
                    " · no page open".to_owned()
                }
                (engine::UpdateOutcome::Hot { .. }, None) => {
                    " · save→applied: no ack yet".to_owned()
                }
                (engine::UpdateOutcome::FullReload { .. }, None) => {
                    " · the pages reload".to_owned()
                }
                _ => String::new(),
            };
            lines.push(Line::from(Span::styled(
                format!("server {}{e2e}", format::duration(report.server_total)),
                theme::DIM,
            )));
        }
    }
    let (plugin_lines, more) = app.plugin_lines(PLUGIN_LINES_SHOWN);
    if !plugin_lines.is_empty() {
        lines.push(Line::default());
        let said = if more > 0 {
            format!("latest lines; {more} earlier {}", see_errors_tab())
        } else {
            "what they printed".to_owned()
        };
        lines.push(field("Plugins", vec![Span::styled(said, theme::DIM)]));
        for line in plugin_lines {
            let style = match line.level {
                tracing::Level::ERROR => theme::ERROR,
                tracing::Level::WARN => theme::WARN,
                _ => ratatui::style::Style::default(),
            };
            lines.push(Line::from(Span::styled(line.message.as_str(), style)));
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inset(area), buf);
}

/// `(see tab 6: Clients & errors)`: the tab with the errors and the log, named as the tab bar
/// names it.
fn see_errors_tab() -> String {
    let tab = Tab::Clients;
    format!("(see tab {}: {})", tab.index() + 1, tab.label())
}

/// The server graph and the app's server process (server-side HMR).
fn app_server_lines(server: &AppServerInfo, lines: &mut Vec<Line<'_>>) {
    let graph = &server.graph;
    lines.push(field(
        "SSR graph",
        vec![Span::raw(format!(
            "{} from {} · {} Node loads itself",
            format::count(graph.modules, "module", "modules"),
            graph.entry,
            format::count(graph.externals, "package", "packages"),
        ))],
    ));
    lines.push(field(
        "App server",
        match server.process {
            Some((pid, rss)) => vec![Span::raw(format!("pid {pid} · RSS {}", format::bytes(rss)))],
            None => vec![Span::styled("starting…", theme::DIM)],
        },
    ));
    if let Some(report) = &server.last_update {
        lines.push(field(
            "",
            vec![Span::styled(
                headless::server_update_line(report),
                theme::DIM,
            )],
        ));
    }
    match &server.last_ack {
        Some(ack) if ack.ok => {
            let mut text = format!(
                "applied r{} in {}",
                ack.revision,
                format::duration(ack.apply)
            );
            if let Some(e2e) = ack.end_to_end {
                text.push_str(&format!(" (save→applied {})", format::duration(e2e)));
            }
            lines.push(field("", vec![Span::styled(text, theme::DIM)]));
        }
        Some(ack) => lines.push(field(
            "",
            vec![Span::styled(
                format!("r{} failed to apply: last good code kept", ack.revision),
                theme::ERROR,
            )],
        )),
        None => {}
    }
}
