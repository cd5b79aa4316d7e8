//! Memory tab: RSS over time, the allocator's committed bytes (mimalloc's address space, not
//! memory in use: see `render`), emitted code and
//! source map sizes, growth since the first sample, the app's server process' RSS (with
//! `--server`), and salsa's memo counts per query.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Widget};

use super::{field, inset, tail, theme};
use crate::dashboard::app::App;
use crate::dashboard::format;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(last) = app.memory.last() else {
        Paragraph::new(Span::styled(" no memory sample yet", theme::DIM)).render(area, buf);
        return;
    };
    let stats = &last.stats;
    let first = app
        .memory_first
        .as_ref()
        .map_or(stats, |sample| &sample.stats);
    let [title, spark, figures, table] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Fill(1),
    ]));

    field(
        "RSS",
        vec![
            Span::raw(format::bytes(stats.rss_bytes)),
            Span::styled(
                format!(
                    "  {} since the first sample, {} ago",
                    format::bytes_delta(first.rss_bytes, stats.rss_bytes),
                    format::clock(
                        app.now.saturating_sub(
                            app.memory_first
                                .as_ref()
                                .map_or(last.at, |sample| sample.at)
                        )
                    )
                ),
                theme::DIM,
            ),
        ],
    )
    .render(inset(title), buf);
    let rss: Vec<u64> = app
        .memory
        .iter()
        .map(|sample| sample.stats.rss_bytes)
        .collect();
    let spark = spark.inner(ratatui::layout::Margin::new(1, 0));
    Sparkline::default()
        .data(tail(&rss, spark.width))
        .style(theme::SPARK)
        .render(spark, buf);

    // mimalloc's "committed" is address space it made usable, not memory in use: on Linux the
    // pages it gives back (`MADV_DONTNEED`) stay counted, so it mostly stays at its peak and
    // can exceed the peak RSS; what the process holds is the RSS above.
    let allocator = if stats.allocator_committed == 0 && stats.allocator_peak == 0 {
        vec![Span::styled("not reported", theme::DIM)]
    } else {
        let mut text = format!("{} committed", format::bytes(stats.allocator_committed));
        if stats.allocator_peak != stats.allocator_committed {
            text.push_str(&format!(" (peak {})", format::bytes(stats.allocator_peak)));
        }
        vec![
            Span::raw(text),
            Span::styled("  not memory in use", theme::DIM),
        ]
    };
    let growth = |from: u64, to: u64| {
        Span::styled(format!("  ({})", format::bytes_delta(from, to)), theme::DIM)
    };
    Paragraph::new(vec![
        field("Allocator", allocator),
        field(
            "Code",
            vec![
                Span::raw(format::bytes(stats.emitted_code_bytes)),
                growth(first.emitted_code_bytes, stats.emitted_code_bytes),
            ],
        ),
        field(
            "Source maps",
            vec![
                Span::raw(format::bytes(stats.source_map_bytes)),
                growth(first.source_map_bytes, stats.source_map_bytes),
            ],
        ),
        match app.app_server.as_ref().and_then(|server| server.process) {
            Some((pid, rss)) => field(
                "App server",
                vec![
                    Span::raw(format::bytes(rss)),
                    Span::styled(format!("  RSS of its Node process (pid {pid})"), theme::DIM),
                ],
            ),
            None => Line::default(),
        },
    ])
    .render(inset(figures), buf);

    let mut queries: Vec<&(String, usize, usize)> = stats.queries.iter().collect();
    queries.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let rows = queries.iter().map(|(name, count, bytes)| {
        Row::new(vec![
            Cell::from(format!(" {name}")),
            Cell::from(Line::from(count.to_string()).right_aligned()),
            Cell::from(Line::from(format::bytes(*bytes as u64)).right_aligned()),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(12),
        ],
    )
    .header(
        Row::new(vec![
            Cell::from(" query"),
            Cell::from(Line::from("memos").right_aligned()),
            Cell::from(Line::from("bytes").right_aligned()),
        ])
        .style(theme::HEADER),
    )
    .block(
        Block::new()
            .borders(Borders::TOP)
            .title(" Memos per query "),
    )
    .render(table, buf);
}
