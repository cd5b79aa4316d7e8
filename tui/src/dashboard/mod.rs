//! The terminal dashboard: an Elm-style `App` (state + `update(Msg) -> Option<Effect>`, no
//! IO) rendered with ratatui, fed only by the engine's telemetry (`EngineEvent`), keys and a
//! clock. `run` owns the terminal and the event loop, and leaves the session's summary in the
//! terminal after it; `LogLayer` routes `tracing` output into the log pane.

mod app;
mod boundary;
pub mod format;
mod history;
mod log_layer;
mod run;
mod ui;

pub use app::{
    Ack, App, ClientInfo, Effect, LOG_HISTORY, LogLine, MEMORY_HISTORY, MemorySample, Mode, Msg,
    Search, ServerInfo, Session, Tab, UPDATE_HISTORY, UpdateRecord,
};
pub use boundary::{Acceptance, Chain, Propagation, dead_end, explain};
pub use history::{Ring, Summary};
pub use log_layer::LogLayer;
pub use run::{FRAME, LoopStats, TICK, event_loop, run};

#[cfg(test)]
mod tests;
