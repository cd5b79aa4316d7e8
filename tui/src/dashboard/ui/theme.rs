//! Every style the dashboard uses, in one place.

use ratatui::style::{Color, Modifier, Style};

pub const APP_NAME: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const URL: Style = Style::new().fg(Color::Cyan);
pub const LABEL: Style = Style::new().fg(Color::Gray).add_modifier(Modifier::BOLD);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const OK: Style = Style::new().fg(Color::Green);
pub const WARN: Style = Style::new().fg(Color::Yellow);
pub const ERROR: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
pub const TAB: Style = Style::new().fg(Color::Gray);
pub const TAB_SELECTED: Style = Style::new()
    .fg(Color::Black)
    .bg(Color::Cyan)
    .add_modifier(Modifier::BOLD);
/// The selected tab where colours are off (`NO_COLOR`: the terminal then draws the modifiers
/// alone, and a bold label among plain ones was all that marked it).
pub const TAB_SELECTED_NO_COLOR: Style = Style::new()
    .add_modifier(Modifier::REVERSED)
    .add_modifier(Modifier::BOLD);

/// The selected tab's style: [`TAB_SELECTED`], or [`TAB_SELECTED_NO_COLOR`] when `no_color`.
pub fn tab_selected(no_color: bool) -> Style {
    if no_color {
        TAB_SELECTED_NO_COLOR
    } else {
        TAB_SELECTED
    }
}

/// Whether the user asked for no colours (`NO_COLOR` set and not empty, as no-color.org says;
/// crossterm then leaves colours out of what it writes).
pub fn no_color() -> bool {
    static NO_COLOR: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()));
    *NO_COLOR
}
pub const KEY: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new()
    .bg(Color::DarkGray)
    .add_modifier(Modifier::BOLD);

/// A list's selected row: [`SELECTED`], or reversed when `no_color` (as the selected tab).
pub fn selected(no_color: bool) -> Style {
    if no_color {
        TAB_SELECTED_NO_COLOR
    } else {
        SELECTED
    }
}
pub const SPARK: Style = Style::new().fg(Color::Cyan);
pub const SPARK_E2E: Style = Style::new().fg(Color::Magenta);
pub const HEADER: Style = Style::new()
    .fg(Color::Gray)
    .add_modifier(Modifier::BOLD)
    .add_modifier(Modifier::UNDERLINED);

pub fn level(level: tracing::Level) -> Style {
    match level {
        tracing::Level::ERROR => ERROR,
        tracing::Level::WARN => WARN,
        tracing::Level::INFO => OK,
        _ => DIM,
    }
}
