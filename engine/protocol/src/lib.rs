//! The plain data the engine, the dev server and the binary exchange, and nothing else: the
//! binary WebSocket protocol ([`wire`], mirrored by `runtime/js/protocol.js`), the served
//! snapshot the engine publishes and the server reads ([`served`]), the broadcast frames and
//! the tabs each is for ([`frame`]), build diagnostics, the
//! vocabulary of full-reload reasons, what a WebSocket session reports to the engine, the
//! seam to a project's Vite plugins ([`plugin::Plugins`]), and a module's source map, held or
//! read from the compile cache when asked for ([`ModuleMap`]), and its source's text, held or
//! read from the file when asked for ([`MapSource`]).
//!
//! This crate has no salsa, no tokio and no IO: the server depends on it instead of on the
//! engine, which is how "the server never touches salsa" is checked by the compiler.

mod client;
mod diagnostic;
pub mod frame;
mod module_map;
pub mod plugin;
mod reload;
pub mod served;
pub mod wire;

pub use client::{ClientEvent, ClientId};
pub use diagnostic::{Diagnostic, DiagnosticKind, code_frame};
pub use frame::{Frame, RecentFrames};
pub use module_map::{MapSource, MapStore, ModuleMap, SourceRead, StoredMap};
pub use reload::FullReloadReason;
pub use served::{
    Chunk, PageInjection, Parts, Served, ServedModule, ServedModules, Statement, WorkerChunks,
};
pub use wire::{
    ClientMessage, CssEdit, CssLink, CssPatch, CssTarget, HotUpdate, ModuleCode, PROTOCOL_VERSION,
    ServerMessage, css_version,
};

/// What a module is, as the runtime and the server treat it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    Js,
    Css,
    Asset,
    Json,
}
