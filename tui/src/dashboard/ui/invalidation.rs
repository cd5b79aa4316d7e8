//! Invalidation tab: for one update (the newest, or an earlier one chosen with ←/→ and kept
//! while new ones arrive, by its number; End goes back to the newest), which inputs changed
//! (the why) and, per query, which keys re-ran and how many memos were reused.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

use super::{field, inset, theme};
use crate::dashboard::app::{App, UPDATE_HISTORY};
use crate::headless;
use engine::InvalidationProfile;

/// Keys listed per query before `+N`.
const KEY_LIMIT: usize = 4;

/// Executed and reused keys of one query.
#[derive(Default)]
struct QueryRuns<'a> {
    executed: Vec<&'a str>,
    reused: usize,
}

fn by_query(profile: &InvalidationProfile) -> BTreeMap<&str, QueryRuns<'_>> {
    let mut queries: BTreeMap<&str, QueryRuns> = BTreeMap::new();
    for (query, key) in &profile.executed {
        queries.entry(query).or_default().executed.push(key);
    }
    for (query, _) in &profile.reused {
        queries.entry(query).or_default().reused += 1;
    }
    queries
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(record) = app.selected_update() else {
        let text = match app.invalidation_pin {
            Some(number) => format!(
                " update #{number} is no longer kept (the last {UPDATE_HISTORY} are): End shows \
                 the newest, Home the oldest"
            ),
            None => " no updates yet".to_owned(),
        };
        Paragraph::new(Span::styled(text, theme::DIM))
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return;
    };
    let report = &record.report;
    let profile = &report.invalidation;
    let [header, table] = area.layout(&Layout::vertical([
        Constraint::Length(5),
        Constraint::Fill(1),
    ]));
    let position = app.update_position().map_or(0, |i| i + 1);
    let how = if app.invalidation_pin.is_none() {
        "the newest; ← earlier"
    } else {
        "←/→, End: the newest"
    };
    Paragraph::new(vec![
        field(
            "Update",
            vec![
                Span::raw(format!("#{}", report.number)),
                Span::styled(
                    format!("  ({position} of {}, {how})", app.updates.len()),
                    theme::DIM,
                ),
            ],
        ),
        Line::from(headless::update_line(report)),
        field("Files", vec![Span::raw(report.files.join(", "))]),
        field(
            "Changed",
            vec![if profile.changed_inputs.is_empty() {
                Span::styled("no inputs changed", theme::DIM)
            } else {
                Span::raw(profile.changed_inputs.join(", "))
            }],
        ),
    ])
    .wrap(Wrap { trim: false })
    .render(inset(header), buf);

    let queries = by_query(profile);
    let rows = queries.iter().map(|(query, runs)| {
        let mut keys = runs
            .executed
            .iter()
            .take(KEY_LIMIT)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if runs.executed.len() > KEY_LIMIT {
            keys.push_str(&format!(" +{}", runs.executed.len() - KEY_LIMIT));
        }
        let ran_style = if runs.executed.is_empty() {
            theme::DIM
        } else {
            theme::WARN
        };
        Row::new(vec![
            Cell::from(format!(" {query}")),
            Cell::from(Line::from(runs.executed.len().to_string()).right_aligned())
                .style(ran_style),
            Cell::from(Line::from(runs.reused.to_string()).right_aligned()).style(theme::OK),
            Cell::from(keys),
        ])
    });
    let title = format!(
        " {} ran · {} reused ",
        profile.executed.len(),
        profile.reused.len()
    );
    // The query column as wide as its longest name, up to half the table.
    let names = queries.keys().map(|q| q.len() + 2).max().unwrap_or(0);
    let names = names.clamp(8, (table.width / 2).max(8) as usize) as u16;
    Table::new(
        rows,
        [
            Constraint::Length(names),
            Constraint::Length(5),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new(vec![
            Cell::from(" query"),
            Cell::from(Line::from("ran").right_aligned()),
            Cell::from(Line::from("reused").right_aligned()),
            Cell::from("re-ran for"),
        ])
        .style(theme::HEADER),
    )
    .block(Block::new().borders(Borders::TOP).title(title))
    .render(table, buf);
}
