//! Latency tab: one sparkline per update phase over the last updates, with p50/p95/max, then
//! the server total and the end-to-end save→applied time the user feels.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, Widget};

use super::{tail, theme};
use crate::dashboard::app::App;
use crate::dashboard::format;
use crate::dashboard::history::Summary;
use engine::Phase;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let mut rows: Vec<(&str, Vec<Duration>, Style)> = Phase::ALL
        .iter()
        .map(|&phase| (phase.name(), app.phase_samples(phase), theme::SPARK))
        .collect();
    rows.push(("server", app.server_totals(), theme::SPARK));
    rows.push((
        "save→app",
        app.end_to_end.iter().copied().collect(),
        theme::SPARK_E2E,
    ));

    let mut constraints = vec![Constraint::Length(1); rows.len() + 1];
    constraints.push(Constraint::Fill(1));
    let areas = area.layout_vec(&Layout::vertical(constraints));
    Line::from(vec![
        Span::styled(format!(" {:<9}", "phase"), theme::HEADER),
        Span::styled(
            format!(
                "last {} updates (ms)",
                app.updates.len().min(crate::dashboard::app::UPDATE_HISTORY)
            ),
            theme::DIM,
        ),
    ])
    .render(areas[0], buf);
    Line::from(Span::styled("   p50    p95    max ", theme::HEADER))
        .right_aligned()
        .render(areas[0], buf);

    for ((name, samples, style), &row) in rows.iter().zip(&areas[1..]) {
        let [label, spark, stats] = row.layout(&Layout::horizontal([
            Constraint::Length(10),
            Constraint::Fill(1),
            Constraint::Length(22),
        ]));
        Span::styled(format!(" {name}"), theme::LABEL).render(label, buf);
        let micros: Vec<u64> = samples.iter().map(|d| d.as_micros() as u64).collect();
        Sparkline::default()
            .data(tail(&micros, spark.width.saturating_sub(1)))
            .style(*style)
            .render(spark, buf);
        let text = match Summary::of(samples.iter().copied()) {
            Some(summary) => format!(
                "{:>6} {:>6} {:>6} ",
                format::millis_short(summary.p50),
                format::millis_short(summary.p95),
                format::millis_short(summary.max),
            ),
            None => format!("{:>6} {:>6} {:>6} ", "–", "–", "–"),
        };
        Line::from(text).right_aligned().render(stats, buf);
    }
}
