//! Clients & errors tab: connected browsers, the lazy chunks each loaded (and their modules:
//! the Graph tab names the clients of each) and their last ack, the current diagnostics with
//! code frames, and the scrollable log pane (every update, one line as `--no-tui` prints it,
//! and what is logged).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::theme;
use crate::dashboard::app::{App, LogLine};
use crate::dashboard::format;
use crate::headless;

/// Client rows shown before the table scrolls off.
const CLIENT_ROWS: usize = 5;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let client_rows = app.clients.len().clamp(1, CLIENT_ROWS) as u16;
    // Errors take the room an empty log leaves them.
    let (diagnostics, log_rows) = match (app.diagnostics.is_empty(), app.log.is_empty()) {
        (true, _) => (Constraint::Length(2), Constraint::Fill(1)),
        (false, true) => (Constraint::Fill(1), Constraint::Length(2)),
        (false, false) => (Constraint::Percentage(60), Constraint::Fill(1)),
    };
    let [clients_area, diagnostics_area, log_area] = area.layout(&Layout::vertical([
        Constraint::Length(client_rows + 2),
        diagnostics,
        log_rows,
    ]));
    clients(app, clients_area, buf);
    errors(app, diagnostics_area, buf);
    log(app, log_area, buf);
}

fn clients(app: &App, area: Rect, buf: &mut Buffer) {
    let title = format!(
        " {} ",
        format::count(app.clients.len(), "client", "clients")
    );
    let block = Block::new().borders(Borders::TOP).title(title);
    if app.clients.is_empty() {
        Paragraph::new(Span::styled(" no browser connected", theme::DIM))
            .block(block)
            .render(area, buf);
        return;
    }
    let rows = app.clients.iter().map(|(id, client)| {
        let ack = match &client.last_ack {
            None => Span::styled("no ack yet", theme::DIM),
            Some(ack) if ack.ok => Span::styled(
                format!("r{} in {}", ack.revision, format::duration(ack.apply)),
                theme::OK,
            ),
            Some(ack) => Span::styled(
                format!(
                    "r{} failed: {}",
                    ack.revision,
                    ack.error.as_deref().unwrap_or("unknown error")
                ),
                theme::ERROR,
            ),
        };
        let lazy = if client.chunks.is_empty() {
            Span::styled("none", theme::DIM)
        } else {
            Span::raw(format!(
                "{}, {}",
                client.chunks.len(),
                format::count(client.lazy_modules(), "module", "modules")
            ))
        };
        Row::new(vec![
            Cell::from(format!(" #{id}")),
            Cell::from(client.user_agent.as_str()),
            Cell::from(format::clock(app.now.saturating_sub(client.connected_at))),
            Cell::from(lazy),
            Cell::from(ack),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Fill(1),
            Constraint::Length(8),
            Constraint::Length(15),
            Constraint::Percentage(40),
        ],
    )
    .header(
        Row::new(vec![" id", "browser", "since", "lazy chunks", "last ack"]).style(theme::HEADER),
    )
    .block(block)
    .render(area, buf);
}

fn errors(app: &App, area: Rect, buf: &mut Buffer) {
    let title = format!(
        " {} ",
        format::count(app.diagnostics.len(), "error", "errors")
    );
    let block = Block::new().borders(Borders::TOP).title(title);
    if app.diagnostics.is_empty() {
        Paragraph::new(Span::styled(" the build is clean", theme::OK))
            .block(block)
            .render(area, buf);
        return;
    }
    // Each error whole (its message wrapped, then its code frame); when they do not all fit,
    // every error's message alone, so that none is out of sight (the overlay and `--no-tui`
    // have the frames).
    let message = |diagnostic: &engine::Diagnostic| {
        Line::from(vec![
            Span::styled(" error: ", theme::ERROR),
            Span::raw(format!(
                "{}:{}:{}: {}",
                format::diagnostic_path(&diagnostic.file),
                diagnostic.line,
                diagnostic.column,
                diagnostic.message
            )),
        ])
    };
    let mut lines = Vec::new();
    for diagnostic in app.diagnostics.iter() {
        lines.push(message(diagnostic));
        lines.extend(
            diagnostic
                .code_frame
                .lines()
                .map(|line| Line::from(Span::styled(format!(" {line}"), theme::DIM))),
        );
    }
    let inner = block.inner(area);
    let height = inner.height as usize;
    if wrapped_rows(&lines, inner.width) > height {
        lines = Vec::new();
        let mut rows = 0;
        for (shown, diagnostic) in app.diagnostics.iter().enumerate() {
            let line = message(diagnostic);
            let more = app.diagnostics.len() - shown;
            let needs = wrapped_rows(std::slice::from_ref(&line), inner.width);
            // The last row says how many are out of sight, unless this one is the last.
            if rows + needs > height.saturating_sub(usize::from(more > 1)) {
                lines.push(Line::from(Span::styled(
                    format!(
                        " … {more} more {} (the page's overlay and `--no-tui` show them all)",
                        if more == 1 { "error" } else { "errors" }
                    ),
                    theme::DIM,
                )));
                break;
            }
            rows += needs;
            lines.push(line);
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(area, buf);
}

/// How many rows `lines` take wrapped at `width` columns, as `errors` renders them.
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> usize {
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width)
}

fn log(app: &App, area: Rect, buf: &mut Buffer) {
    let title = if app.log_scroll == 0 {
        " Log ".to_owned()
    } else {
        format!(" Log (↑{} lines, End follows) ", app.log_scroll)
    };
    let block = Block::new().borders(Borders::TOP).title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    // The newest lines that fit, each whole (the oldest one shown may lose its top rows).
    let height = inner.height as usize;
    let end = app.log.len().saturating_sub(app.log_scroll);
    let mut rows: Vec<Line> = Vec::new();
    for line in app.log.iter().take(end).rev() {
        if rows.len() >= height {
            break;
        }
        let mut these = log_rows(line, inner.width as usize);
        these.append(&mut rows);
        rows = these;
    }
    let cut = rows.len().saturating_sub(height);
    Paragraph::new(rows.split_off(cut)).render(inner, buf);
}

/// Columns of a log row before its message (` warn  `).
const LOG_INDENT: usize = 7;

/// One log line as rows `width` wide: its level, then its message, wrapped under the message
/// column; a multi-line message (a crash's last output, a code frame) keeps its lines.
fn log_rows(line: &LogLine, width: usize) -> Vec<Line<'static>> {
    let room = width.saturating_sub(LOG_INDENT).max(10);
    let mut rows = Vec::new();
    for (n, text) in line.message.lines().enumerate() {
        for (m, piece) in wrap(text, room).into_iter().enumerate() {
            let head = if n == 0 && m == 0 {
                Span::styled(
                    format!(" {:<5} ", headless::level_name(line.level)),
                    theme::level(line.level),
                )
            } else {
                Span::raw(" ".repeat(LOG_INDENT))
            };
            rows.push(Line::from(vec![head, Span::raw(piece)]));
        }
    }
    if rows.is_empty() {
        rows.push(Line::from(Span::styled(
            format!(" {:<5} ", headless::level_name(line.level)),
            theme::level(line.level),
        )));
    }
    rows
}

/// `text` in pieces at most `width` columns wide, broken after spaces where it can be.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut piece_width = 0;
    for word in text.split_inclusive(' ') {
        let word_width = Span::raw(word).width();
        if piece_width + word_width > width && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            piece_width = 0;
        }
        if word_width > width {
            // A word longer than a row: cut it where the row ends.
            for c in word.chars() {
                let w = Span::raw(c.to_string()).width();
                if piece_width + w > width {
                    pieces.push(std::mem::take(&mut piece));
                    piece_width = 0;
                }
                piece.push(c);
                piece_width += w;
            }
        } else {
            piece.push_str(word);
            piece_width += word_width;
        }
    }
    if !piece.is_empty() || pieces.is_empty() {
        pieces.push(piece);
    }
    pieces
}
