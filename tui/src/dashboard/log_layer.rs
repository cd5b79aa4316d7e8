//! A `tracing` layer that turns log events into `EngineEvent::Log` on the dashboard's event
//! channel, so logs land in the log pane instead of scribbling over the terminal. Sending never
//! blocks: when the channel is full the line is dropped.

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
        let message = if line.fields.is_empty() {
            format!("{}: {}", metadata.target(), line.message)
        } else {
            format!("{}: {}{}", metadata.target(), line.message, line.fields)
        };
        let _ = self.events.try_send(EngineEvent::Log {
            level: *metadata.level(),
            message,
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
