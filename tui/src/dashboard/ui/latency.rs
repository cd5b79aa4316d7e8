//! Latency tab: one sparkline per update phase over the last updates, with p50/p95/max, then
//! the server total and the end-to-end save→applied time the user feels. Every row has one
//! column per update (column *i* is the same update in every row), blank where that phase did
//! not run or no page acked; each row is scaled to its own largest value, but never to less
//! than [`SCALE_FLOOR`], so that times that all round to zero do not draw full bars.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Sparkline, SparklineBar, Widget};

use super::theme;
use crate::dashboard::app::App;
use crate::dashboard::format;
use crate::dashboard::history::Summary;
use engine::Phase;

/// The smallest full scale of a row: a row whose times stay below it draws low bars.
const SCALE_FLOOR: Duration = Duration::from_millis(1);
/// Width of the label column (the longest label, `save→applied`, and a margin).
const LABEL_WIDTH: u16 = 14;
/// Width of the p50/p95/max column.
const STATS_WIDTH: u16 = 22;

struct Row<'a> {
    name: &'a str,
    /// One per update, oldest first: `None` where it did not run.
    series: Vec<Option<Duration>>,
    style: Style,
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let mut rows: Vec<Row> = Phase::ALL
        .iter()
        .map(|&phase| Row {
            name: phase.name(),
            series: app.phase_series(phase),
            style: theme::SPARK,
        })
        .collect();
    rows.push(Row {
        name: "server",
        series: app
            .updates
            .iter()
            .map(|u| Some(u.report.server_total))
            .collect(),
        style: theme::SPARK,
    });
    rows.push(Row {
        name: "save→applied",
        series: app.updates.iter().map(|u| u.end_to_end).collect(),
        style: theme::SPARK_E2E,
    });
    if area.height == 0 {
        return;
    }
    let [_, spark_width, _] = Rect::new(0, 0, area.width, 1).layout(&Layout::horizontal([
        Constraint::Length(LABEL_WIDTH),
        Constraint::Fill(1),
        Constraint::Length(STATS_WIDTH),
    ]));
    // Columns: the newest updates that fit, one column each.
    let columns = (spark_width.width.saturating_sub(1) as usize).min(app.updates.len());
    let header = Rect { height: 1, ..area };
    Line::from(vec![
        Span::styled(
            format!(" {:<width$}", "phase", width = LABEL_WIDTH as usize - 1),
            theme::HEADER,
        ),
        Span::styled(format!("last {columns} updates (ms)"), theme::DIM),
    ])
    .render(header, buf);
    Line::from(Span::styled("   p50    p95    max ", theme::HEADER))
        .right_aligned()
        .render(header, buf);

    // When the rows do not all fit, the totals stay (the last two) and the phases after the
    // room are left out, with a line that says so.
    let room = area.height as usize - 1;
    let hidden = rows.len().saturating_sub(room);
    let shown: Vec<&Row> = if hidden == 0 {
        rows.iter().collect()
    } else {
        let hidden = hidden + 1; // the row that says so
        let phases = rows.len() - 2;
        let kept = phases.saturating_sub(hidden);
        rows[..kept]
            .iter()
            .chain(&rows[phases..])
            .take(room.saturating_sub(1))
            .collect()
    };
    let mut y = area.y + 1;
    for row in &shown {
        render_row(
            row,
            columns,
            Rect {
                y,
                height: 1,
                ..area
            },
            buf,
        );
        y += 1;
    }
    if hidden > 0 {
        let left_out = rows.len() - shown.len();
        Line::from(Span::styled(
            format!(
                " … {} not shown: a taller terminal shows every phase",
                format::count(left_out, "row", "rows")
            ),
            theme::DIM,
        ))
        .render(
            Rect {
                y,
                height: 1,
                ..area
            },
            buf,
        );
    }
}

fn render_row(row: &Row, columns: usize, area: Rect, buf: &mut Buffer) {
    let [label, spark, stats] = area.layout(&Layout::horizontal([
        Constraint::Length(LABEL_WIDTH),
        Constraint::Fill(1),
        Constraint::Length(STATS_WIDTH),
    ]));
    Span::styled(format!(" {}", row.name), theme::LABEL).render(label, buf);
    let series = &row.series[row.series.len() - columns.min(row.series.len())..];
    let micros = |d: Duration| d.as_micros() as u64;
    let scale = series
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or_default()
        .max(SCALE_FLOOR);
    // A phase that ran shows at least the lowest bar, so that it is not taken for a blank.
    let lowest = micros(scale).div_ceil(8);
    let bars: Vec<SparklineBar> = series
        .iter()
        .map(|d| SparklineBar::from(d.map(|d| micros(d).max(lowest))))
        .collect();
    Sparkline::default()
        .data(bars)
        .max(micros(scale))
        .absent_value_symbol(" ")
        .style(row.style)
        .render(spark, buf);
    let text = match Summary::of(row.series.iter().flatten().copied()) {
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
