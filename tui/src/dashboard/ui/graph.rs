//! Graph tab: counts, a module search, and for the selected module its imports, importers,
//! what it accepts and the chain up to its hot boundary: why an edit to it hot-updates or
//! reloads the page; for a module behind an `import()`, the clients that loaded it (the ones
//! its edits go to). The project's own files list first; module ids too long for their row
//! are cut at the start (their end tells node_modules' files apart).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListState, Paragraph, StatefulWidget, Widget, Wrap};

use super::theme;
use crate::dashboard::app::{App, Mode};
use crate::dashboard::boundary::{self, Acceptance, Propagation};
use crate::dashboard::format;
use engine::{EnvIndex, ModuleGraph, ModuleIndex, ModuleKind};

/// Imports/importers listed before `… and N more`.
const LIST_LIMIT: usize = 6;
/// Boundary chains listed.
const CHAIN_LIMIT: usize = 3;
/// Chain steps shown before the middle is elided.
const CHAIN_STEPS: usize = 5;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let [left, right] = area.layout(&Layout::horizontal([
        Constraint::Percentage(45),
        Constraint::Fill(1),
    ]));
    let [stats, search, list] = left.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Fill(1),
    ]));

    let graph = &app.graph_stats;
    Paragraph::new(vec![
        Line::from(format!(
            " {} · {}",
            format::count(graph.modules, "module", "modules"),
            format::count(graph.edges, "edge", "edges")
        )),
        Line::from(Span::styled(
            format!(
                " {} · {} node_modules",
                format::count(graph.boundaries, "boundary", "boundaries"),
                graph.node_modules
            ),
            theme::DIM,
        )),
    ])
    .render(stats, buf);

    let searching = app.mode == Mode::Search;
    let query = if searching {
        Line::from(vec![
            Span::raw(app.search.query.as_str()),
            Span::styled("▏", theme::KEY),
        ])
    } else if app.search.query.is_empty() {
        Line::from(Span::styled("press / to search", theme::DIM))
    } else {
        Line::from(app.search.query.as_str())
    };
    let search_block = Block::bordered()
        .title(" Search ")
        .border_style(if searching { theme::KEY } else { theme::DIM });
    Paragraph::new(query)
        .block(search_block)
        .render(search, buf);

    let matches = app.matches();
    let title = format!(" {} ", format::count(matches.len(), "match", "matches"));
    // Cut at the start: the end of a path tells node_modules' files apart.
    let room = (list.width as usize).saturating_sub(2);
    let items: Vec<Line> = matches.iter().map(|id| Line::from(fit(id, room))).collect();
    let mut state = ListState::default();
    if !matches.is_empty() {
        state.select(Some(app.search.selected.min(matches.len() - 1)));
    }
    StatefulWidget::render(
        List::new(items)
            .block(Block::new().borders(Borders::TOP).title(title))
            .highlight_style(theme::selected(theme::no_color()))
            .highlight_symbol("▸ "),
        list,
        buf,
        &mut state,
    );

    let detail_block = Block::new().borders(Borders::LEFT);
    let detail_area = detail_block.inner(right);
    detail_block.render(right, buf);
    Paragraph::new(detail(app, detail_area.width as usize))
        .wrap(Wrap { trim: false })
        .render(detail_area, buf);
}

/// `id` in at most `width` columns: whole, or its end after `…`.
fn fit(id: &str, width: usize) -> String {
    let count = id.chars().count();
    if count <= width {
        return id.to_owned();
    }
    let keep = width.saturating_sub(1);
    let tail: String = id.chars().skip(count - keep).collect();
    format!("…{tail}")
}

/// The detail pane's lines, `width` columns wide: module ids in the lists and chains cut at
/// the start to fit their row.
fn detail(app: &App, width: usize) -> Vec<Line<'_>> {
    let Some(id) = app.selected_module() else {
        return vec![Line::from(Span::styled(" no module selected", theme::DIM))];
    };
    let mut lines = vec![Line::from(Span::styled(format!(" {id}"), theme::LABEL))];
    let Some(graph) = app.graph.as_deref() else {
        lines.push(Line::from(Span::styled(
            " no graph snapshot yet: imports unknown",
            theme::DIM,
        )));
        return lines;
    };
    let Some(index) = graph.index_of(id) else {
        lines.push(Line::from(Span::styled(
            " not in the current graph",
            theme::DIM,
        )));
        return lines;
    };
    let module = graph.module(index);
    let kind = match module.kind {
        ModuleKind::Js => "js",
        ModuleKind::Css => "css",
        ModuleKind::Asset => "asset",
        ModuleKind::Json => "json",
    };
    // A lazy module reaches the clients that loaded one of its chunks (they get its updates).
    let loaded = if module.loaded {
        "loaded".to_owned()
    } else {
        let clients: Vec<String> = app
            .loaded_by(id)
            .into_iter()
            .map(|c| format!("#{c}"))
            .collect();
        if clients.is_empty() {
            "lazy (import()), no client loaded it".to_owned()
        } else {
            format!("lazy (import()), loaded by {}", clients.join(" "))
        }
    };
    // The environments besides the page (web workers) it runs in.
    let workers: Vec<&str> = module
        .environments
        .iter()
        .filter(|&env| env != EnvIndex::PAGE)
        .map(|env| &*graph.environment(env).name)
        .collect();
    let runs_in = if workers.is_empty() {
        String::new()
    } else {
        format!(" · in worker {}", workers.join(", "))
    };
    lines.push(Line::from(Span::styled(
        format!(" {kind} · {loaded}{runs_in}"),
        theme::DIM,
    )));
    lines.push(Line::from(vec![
        Span::styled(" accepts ", theme::LABEL),
        Span::raw(accepts(graph, index)),
    ]));
    push_list(&mut lines, "imports", graph, graph.imports(index), width);
    push_list(
        &mut lines,
        "importers",
        graph,
        graph.importers(index),
        width,
    );
    lines.push(Line::from(Span::styled(" on edit", theme::LABEL)));
    lines.extend(propagation(graph, index, width));
    lines
}

fn accepts(graph: &ModuleGraph, index: ModuleIndex) -> String {
    let module = graph.module(index);
    let mut parts = Vec::new();
    if module.self_accepts {
        parts.push("itself".to_owned());
    }
    parts.extend(
        module
            .accepted_deps
            .iter()
            .map(|&dep| graph.module(dep).id.to_string()),
    );
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join(", ")
    }
}

fn push_list(
    lines: &mut Vec<Line<'_>>,
    label: &str,
    graph: &ModuleGraph,
    items: &[ModuleIndex],
    width: usize,
) {
    lines.push(Line::from(vec![
        Span::styled(format!(" {label} "), theme::LABEL),
        Span::styled(format!("({})", items.len()), theme::DIM),
    ]));
    for &item in items.iter().take(LIST_LIMIT) {
        let id = fit(&graph.module(item).id, width.saturating_sub(3));
        lines.push(Line::from(format!("   {id}")));
    }
    if items.len() > LIST_LIMIT {
        lines.push(Line::from(Span::styled(
            format!("   … and {} more", items.len() - LIST_LIMIT),
            theme::DIM,
        )));
    }
}

fn propagation(graph: &ModuleGraph, index: ModuleIndex, width: usize) -> Vec<Line<'static>> {
    match boundary::explain(graph, index) {
        Propagation::FullReload { reason, chain } => {
            let why = format!("✗ {}", boundary::dead_end(&reason));
            let mut lines = vec![Line::from(Span::styled(
                format!("   full reload: {reason}"),
                theme::WARN,
            ))];
            lines.extend(chain_lines(
                graph,
                &chain,
                Span::styled(why, theme::WARN),
                width,
            ));
            lines
        }
        Propagation::Hot(chains) => {
            let mut lines = vec![Line::from(Span::styled(
                format!(
                    "   hot update: {}",
                    format::count(chains.len(), "boundary", "boundaries")
                ),
                theme::OK,
            ))];
            for chain in chains.iter().take(CHAIN_LIMIT) {
                let how = match chain.acceptance {
                    Acceptance::SelfAccepting => "✓ accepts itself",
                    Acceptance::AcceptsDep(_) => "✓ accepts it",
                };
                lines.extend(chain_lines(
                    graph,
                    &chain.path,
                    Span::styled(how, theme::OK),
                    width,
                ));
            }
            if chains.len() > CHAIN_LIMIT {
                lines.push(Line::from(Span::styled(
                    format!("   … and {} more", chains.len() - CHAIN_LIMIT),
                    theme::DIM,
                )));
            }
            lines
        }
    }
}

/// One module per line, edited module first, each importer prefixed with `←`; `end` follows
/// the last module, or goes on a row of its own, indented, when both do not fit in `width`.
/// Long chains keep their two ends; ids are cut at the start to fit their row.
fn chain_lines(
    graph: &ModuleGraph,
    path: &[ModuleIndex],
    end: Span<'static>,
    width: usize,
) -> Vec<Line<'static>> {
    let shown: Vec<Option<ModuleIndex>> = if path.len() > CHAIN_STEPS {
        let mut shown: Vec<Option<ModuleIndex>> = path[..2].iter().copied().map(Some).collect();
        shown.push(None);
        shown.extend(path[path.len() - 2..].iter().copied().map(Some));
        shown
    } else {
        path.iter().copied().map(Some).collect()
    };
    let last = shown.len() - 1;
    let mut lines = Vec::new();
    for (n, step) in shown.into_iter().enumerate() {
        let arrow = if n == 0 { "   " } else { "   ← " };
        let room = width.saturating_sub(arrow.chars().count());
        let mut spans = vec![match step {
            Some(module) => Span::raw(format!("{arrow}{}", fit(&graph.module(module).id, room))),
            None => Span::styled(format!("{arrow}… {} more", path.len() - 4), theme::DIM),
        }];
        if n == last {
            let used: usize = spans.iter().map(Span::width).sum();
            if used + 1 + end.width() <= width {
                spans.push(Span::raw(" "));
                spans.push(end.clone());
            } else {
                lines.push(Line::from(spans));
                spans = vec![Span::raw("     "), end.clone()];
            }
        }
        lines.push(Line::from(spans));
    }
    lines
}
