//! Rendering: `impl Widget for &App` draws the status bar, the tab bar, the selected tab, the
//! key hints and the help popup. One module per tab; all styles in `theme`.

mod clients;
mod graph;
mod invalidation;
mod latency;
mod memory;
mod overview;
pub mod theme;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::app::{App, Mode, Tab};
use super::format;

impl App {
    /// Draws the whole dashboard into the frame.
    pub fn render(&self, frame: &mut Frame) {
        frame.render_widget(self, frame.area());
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [status, tabs, body, footer] = area.layout(&Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ]));
        status_bar(self, status, buf);
        tab_bar(self, theme::no_color(), tabs, buf);
        let block = Block::bordered().title(format!(" {} ", self.tab.title()));
        let inner = block.inner(body);
        block.render(body, buf);
        match self.tab {
            Tab::Overview => overview::render(self, inner, buf),
            Tab::Latency => latency::render(self, inner, buf),
            Tab::Graph => graph::render(self, inner, buf),
            Tab::Memory => memory::render(self, inner, buf),
            Tab::Invalidation => invalidation::render(self, inner, buf),
            Tab::Clients => clients::render(self, inner, buf),
        }
        key_hints(self, footer, buf);
        if self.mode == Mode::Help {
            help(area, buf);
        }
    }
}

fn status_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let mut left = vec![Span::styled(" hotloop ", theme::APP_NAME)];
    match (&app.server, app.engine_stopped) {
        (_, true) => left.push(Span::styled(" engine stopped", theme::ERROR)),
        (Some(server), false) => left.push(Span::styled(server.url.clone(), theme::URL)),
        (None, false) => match &app.listening {
            Some(url) => {
                left.push(Span::styled(url.clone(), theme::URL));
                left.push(Span::styled("  building…", theme::DIM));
            }
            None => left.push(Span::styled("starting…", theme::DIM)),
        },
    }
    if let Some(files) = &app.pending_change {
        left.push(Span::styled(
            format!("  ⟳ {}", format::count(files.len(), "file", "files")),
            theme::WARN,
        ));
    }
    let left = Line::from(left);
    let left_width = left.width();
    left.render(area, buf);

    // The counters, each with its rank: when they do not all fit beside the URL, the least
    // important give way (the URL stays whole for a terminal's link detection, a double-click
    // copy); the build's errors stay longest.
    let mut right: Vec<(u8, Span)> = Vec::new();
    if app.watcher_degraded.is_some() {
        right.push((2, Span::styled("⚠ watcher degraded  ", theme::WARN)));
    }
    // What the log pane holds, which a user on another tab would miss.
    let (warnings, log_errors) = app.log_counts();
    let logged = match (warnings, log_errors) {
        (0, 0) => None,
        (0, n) => Some((
            format::count(n, "logged error", "logged errors"),
            theme::ERROR,
        )),
        (n, 0) => Some((format::count(n, "warning", "warnings"), theme::WARN)),
        (w, e) => Some((format!("{} in the log", w + e), theme::ERROR)),
    };
    if let Some((text, style)) = logged {
        right.push((1, Span::styled(format!("⚠ {text}  "), style)));
    }
    right.push((
        3,
        Span::styled(
            format!(
                "● {}  ",
                format::count(app.clients.len(), "client", "clients")
            ),
            if app.clients.is_empty() {
                theme::DIM
            } else {
                theme::OK
            },
        ),
    ));
    let errors = app.error_count();
    right.push((
        0,
        Span::styled(
            format!("✖ {} ", format::count(errors, "error", "errors")),
            if errors == 0 {
                theme::DIM
            } else {
                theme::ERROR
            },
        ),
    ));
    let room = (area.width as usize).saturating_sub(left_width + 1);
    while right.iter().map(|(_, span)| span.width()).sum::<usize>() > room {
        let Some(least) = right
            .iter()
            .enumerate()
            .max_by_key(|(_, (rank, _))| *rank)
            .map(|(i, _)| i)
        else {
            break;
        };
        right.remove(least);
    }
    Line::from(right.into_iter().map(|(_, span)| span).collect::<Vec<_>>())
        .right_aligned()
        .render(area, buf);
}

/// `no_color`: the selected tab is marked by its modifiers alone (`theme::tab_selected`).
fn tab_bar(app: &App, no_color: bool, area: Rect, buf: &mut Buffer) {
    let mut spans = vec![Span::raw(" ")];
    for tab in Tab::ALL {
        let style = if tab == app.tab {
            theme::tab_selected(no_color)
        } else {
            theme::TAB
        };
        // (Two spaces between two labels, their padding: the six fit in 80 columns.)
        spans.push(Span::styled(
            format!(" {} {} ", tab.index() + 1, tab.label()),
            style,
        ));
    }
    Line::from(spans).render(area, buf);
}

fn key_hints(app: &App, area: Rect, buf: &mut Buffer) {
    if let Some(notice) = &app.notice {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(notice.as_str(), theme::URL),
        ])
        .render(area, buf);
        return;
    }
    let hints: &[(&str, &str)] = match app.mode {
        Mode::Help => &[("?/Esc", "close help"), ("q", "quit")],
        Mode::Search => &[
            ("type", "filter"),
            ("Enter", "done"),
            ("Esc", "clear"),
            ("↑↓", "select"),
        ],
        Mode::Normal => match app.tab {
            Tab::Graph => &[
                ("q", "quit"),
                ("r", "reload"),
                ("1-6", "tabs"),
                ("/", "search"),
                ("↑↓", "select"),
                ("?", "help"),
            ],
            Tab::Invalidation => &[
                ("q", "quit"),
                ("r", "reload"),
                ("1-6", "tabs"),
                ("←→", "update"),
                ("End", "newest"),
                ("?", "help"),
            ],
            Tab::Clients => &[
                ("q", "quit"),
                ("r", "reload"),
                ("c", "clear log"),
                ("1-6", "tabs"),
                ("PgUp/PgDn", "log"),
                ("?", "help"),
            ],
            _ => &[
                ("q", "quit"),
                ("r", "reload"),
                ("o", "open"),
                ("c", "clear log"),
                ("1-6/Tab", "tabs"),
                ("?", "help"),
            ],
        },
    };
    let mut spans = vec![Span::raw(" ")];
    for (key, action) in hints {
        spans.push(Span::styled(*key, theme::KEY));
        spans.push(Span::styled(format!(" {action}  "), theme::DIM));
    }
    Line::from(spans).render(area, buf);
}

const HELP: [(&str, &str); 15] = [
    ("1-6, Tab", "switch tab (Shift-Tab: back)"),
    ("q, Ctrl-C", "quit"),
    ("Ctrl-Z", "suspend (fg resumes)"),
    ("r", "force a full reload of every page"),
    ("o", "open the page in the browser"),
    ("u", "show the URL"),
    ("c", "clear the log"),
    ("?", "toggle this help"),
    ("/", "Graph: search modules by id"),
    ("↑↓ j k", "Graph: select a module"),
    ("Esc", "Graph: clear the search"),
    ("←→ h l", "Invalidation: earlier/later update"),
    ("Home End", "Invalidation: oldest/newest update"),
    ("PgUp PgDn", "log: scroll"),
    ("End", "log: follow the tail"),
];

fn help(area: Rect, buf: &mut Buffer) {
    let popup = area.centered(
        Constraint::Length(56),
        Constraint::Length(HELP.len() as u16 + 2),
    );
    Clear.render(popup, buf);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(key, action)| {
            Line::from(vec![
                Span::styled(format!(" {key:<11}"), theme::KEY),
                Span::raw(*action),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(Block::bordered().title(" Keys "))
        .render(popup, buf);
}

/// `label` in a fixed-width column, then the value spans. Rendered into an `inset` area, so
/// wrapped lines line up with the labels.
fn field<'a>(label: &'a str, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("{label:<12}"), theme::LABEL)];
    spans.extend(value);
    Line::from(spans)
}

/// `area` without its first and last column.
fn inset(area: Rect) -> Rect {
    area.inner(ratatui::layout::Margin::new(1, 0))
}

/// The last `width` items of a series (sparklines show the newest samples).
fn tail<T: Copy>(items: &[T], width: u16) -> &[T] {
    &items[items.len().saturating_sub(width as usize)..]
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Modifier;

    use super::tab_bar;
    use crate::dashboard::app::{App, Tab};

    /// Under `NO_COLOR` the selected tab is drawn reversed (the terminal draws modifiers
    /// alone then), the others plain.
    #[test]
    fn without_colours_the_selected_tab_is_reversed() {
        let app = App {
            tab: Tab::Graph,
            ..App::default()
        };
        let area = Rect::new(0, 0, 80, 1);
        let mut buf = Buffer::empty(area);
        tab_bar(&app, true, area, &mut buf);
        let row: String = (0..80).map(|x| buf[(x, 0)].symbol().to_string()).collect();
        let at = |label: &str| row.find(label).expect(label) as u16;
        let reversed = |x: u16| buf[(x, 0)].modifier.contains(Modifier::REVERSED);
        assert!(reversed(at("3 Graph")), "{row}");
        assert!(!reversed(at("1 Overview")), "{row}");
        assert!(buf[(at("3 Graph"), 0)].bg == ratatui::style::Color::Reset);
    }
}
