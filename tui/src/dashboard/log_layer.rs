//! A `tracing` layer that turns log events into `EngineEvent::Log` on the dashboard's event
//! channel, so logs land in the log pane instead of scribbling over the terminal. Info, warn
//! and error lines are the message alone; debug and trace lines (`-v`) keep their target. Sending never
//! blocks: when the channel is full the line is dropped. The app's own output (`--server`)
//! shows as the app wrote it, without its ANSI sequences (colours, cursor moves), which the
//! pane would otherwise print as stray characters.

use std::fmt::{self, Write as _};

use crossbeam_channel::Sender;
use engine::EngineEvent;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

pub struct LogLayer {
    events: Sender<EngineEvent>,
}

impl LogLayer {
    pub fn new(events: Sender<EngineEvent>) -> Self {
        LogLayer { events }
    }
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut line = LineVisitor::default();
        event.record(&mut line);
        let metadata = event.metadata();
        let message = if metadata.target().starts_with(crate::app_server::APP_OUTPUT) {
            without_ansi(&line.message)
        } else if *metadata.level() >= tracing::Level::DEBUG {
            // Debug and trace lines (`-v`) are for developers: where they come from helps.
            format!("{}: {}{}", metadata.target(), line.message, line.fields)
        } else {
            // What a user reads says what happened; a Rust module path tells them nothing.
            format!("{}{}", line.message, line.fields)
        };
        let _ = self.events.try_send(EngineEvent::Log {
            level: *metadata.level(),
            message,
            plugins: metadata.target() == crate::dev::PLUGIN_LOG_TARGET,
        });
    }
}

/// `message` first, then ` key=value` for every other field.
#[derive(Default)]
struct LineVisitor {
    message: String,
    fields: String,
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// `text` without ANSI escape sequences (`anstream`'s strip, as the plugin host logs a
/// plugin's coloured output) and other control characters (a tab becomes a space).
fn without_ansi(text: &str) -> String {
    anstream::adapter::strip_str(text)
        .to_string()
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::without_ansi;

    #[test]
    fn ansi_sequences_are_left_out() {
        assert_eq!(
            without_ansi("\x1b[31mred error text\x1b[0m"),
            "red error text"
        );
        assert_eq!(
            without_ansi("--> GET /api/todos \x1b[32m200\x1b[0m 2ms"),
            "--> GET /api/todos 200 2ms"
        );
        assert_eq!(
            without_ansi("\x1b]8;;https://x.dev\x07link\x1b]8;;\x1b\\ done\r"),
            "link done"
        );
        assert_eq!(without_ansi("a\tb \x1b7é\x1b8"), "a b é");
    }
}
