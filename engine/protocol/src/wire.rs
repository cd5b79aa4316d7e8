//! The WebSocket protocol between the server and the browser runtime. Binary frames; the first
//! byte is the message id. Mirrored by `runtime/js/protocol.js`; the golden fixtures in
//! `tests/data/protocol/` are decoded by both sides' tests.
//!
//! Wire primitives (little-endian): `u8`; `u32`; `f64`; `bool` = u8 0/1; `str` = u32 byte length
//! + UTF-8; `opt<T>` = u8 0 (absent) or 1 followed by `T`; `list<T>` = u32 count + items.
//!
//! | id | message | fields |
//! |---|---|---|
//! | 0x01 | Hello | protocol u32, server_id str, revision u32 |
//! | 0x02 | Update | revision u32, modules list<ModuleCode>, invalidate list<str>, boundaries list<(str, opt<str>)>, removed list<str>, css_links list<(href str, version str)>, changed_files list<str>, css_patches list<CssPatch> |
//! | 0x03 | Errors | revision u32, added list<Diagnostic>, cleared list<str> |
//! | 0x04 | FullReload | revision u32, reason_code u8, reason str |
//! | 0x05 | Custom | event str, data str (JSON) |
//! | 0x06 | ChunkSynced | chunk str |
//! | 0x81 | Ack (client) | revision u32, ok bool, apply_ms f64, error opt<str> |
//! | 0x82 | Invalidate (client) | id str, message opt<str> |
//! | 0x83 | Custom (client) | event str, data str (JSON) |
//! | 0x84 | Loaded (client) | chunk str, snapshot u32 |
//! | 0x85 | Rendered (client) | (nothing) |
//!
//! `ModuleCode` = id str, kind u8 (0 js, 1 css, 2 asset, 3 json), deps list<(spec str, opt<id str>)>,
//! static_deps u32 (the first that many deps are static imports), code str. `Diagnostic` = kind u8, file str, line u32, column u32, message str, code_frame str.
//! `CssPatch` = target u8 (0 the `<style>` of a stylesheet module, 1 the `<link>`s of a sheet's
//! URL), id str, base u32, version u32, rules u32, edits list<CssEdit>; `CssEdit` = op u8
//! (0 delete, 1 insert, 2 within), index u32, then for an insert the rule's text str, for a
//! within the grouping rule's rule count u32 and its edits list<CssEdit> (at most
//! [`MAX_CSS_DEPTH`] levels deep).
//!
//! Decoding is strict, so that `encode(decode(bytes)) == bytes` for every accepted frame: bools
//! and option tags must be 0 or 1, enum bytes must be known, strings valid UTF-8, `Custom` data
//! valid JSON, and no bytes may follow the message. Every length is checked against the bytes
//! that remain before anything is allocated, so a hostile frame can neither panic the decoder
//! nor make it reserve more memory than the frame's own size.
//!
//! # The update (plan → protocol → runtime)
//!
//! A hot update carries: `modules` (id, kind, deps map, static deps count, factory code: only those
//! whose emitted code changed), `invalidate` (ids on the paths from changed modules to their boundaries,
//! dependencies first: disposed and marked stale), `boundaries` (`(id, accepted_dep | none)`:
//! `none` = self-accepting), `removed` (ids: `prune` runs, then the module is dropped) and
//! `css_links` (linked stylesheets to swap). The runtime installs the factories, disposes the
//! invalidated modules, re-requires each boundary (stale modules on its path re-evaluate through
//! `require`, so no importer reads old exports), calls accept callbacks, prunes, acks.
//! The plan is the same for every tab that gets it: modules reachable only through `import()`
//! propagate like any other, and each tab skips the boundaries and invalidations of modules it
//! never evaluated; their new factories are used when the tab loads them (a lazy chunk's
//! `define` replaces such a never-run factory: the chunk is at least as new). A module only
//! lazy chunks hold is planned only while an open tab has loaded one of them, and an update of
//! such modules alone goes only to those tabs (`hotloop_protocol::frame`): every other tab gets
//! an `Errors` message that adds and clears nothing at the update's revision, so its revision
//! (and the `Hello` check after a reconnect) stays in step. Each tab says what it loaded with
//! `Loaded` (the chunk's `import()` target and the number of the snapshot it was served from,
//! `Served::snapshot`; again after a reconnect), and the engine sends that tab alone the
//! chunk's modules edited after that snapshot (an edit held back, sent to other tabs only, or
//! made while its request was on its way), then `ChunkSynced` naming the chunk, whether or not
//! there was an edit to send. The page holds the `import()` until then, so a module edited
//! while its chunk was on the way is re-defined before anything evaluates it (and a framework
//! such as React never renders its old version).
//!
//! # CSS patches
//!
//! A stylesheet edit also carries, when the change is small, a rule-level patch per sheet the
//! pages hold (`css_patches`, computed by the engine's `css_diff.rs`): `edits` applied in order
//! through the CSSOM (`deleteRule(index)`, `insertRule(rule, index)`) turn the sheet whose text
//! has version `base` and `rules` top-level rules into the text whose version is `version`
//! (versions are [`css_version`]). An edit may also step into a grouping rule (`@layer x { }`,
//! `@media`, `@supports`, `@container`) whose prelude stayed the same and edit its rules
//! (`within`): a new utility in Tailwind's `@layer utilities` is one `insertRule` there, which
//! restyles only the elements it matches, where replacing the whole block restyles them all.
//! The patch never replaces the full form of the update: a
//! style module's new factory is still in `modules` (its `css(text)` call brings the full
//! text) and a linked sheet's swap is still in `css_links`. The page applies the patch only
//! when its sheet is known to be at `base` with `rules` rules, and otherwise (or when a CSSOM
//! call throws) uses the full form: a page never ends on a text the server did not serve.

use std::sync::Arc;

use crate::ModuleKind;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::reload::FullReloadReason;

pub const PROTOCOL_VERSION: u32 = 7;

/// Message ids (the first byte of a frame).
pub mod id {
    pub const HELLO: u8 = 0x01;
    pub const UPDATE: u8 = 0x02;
    pub const ERRORS: u8 = 0x03;
    pub const FULL_RELOAD: u8 = 0x04;
    pub const CUSTOM: u8 = 0x05;
    pub const CHUNK_SYNCED: u8 = 0x06;
    pub const ACK: u8 = 0x81;
    pub const INVALIDATE: u8 = 0x82;
    pub const CLIENT_CUSTOM: u8 = 0x83;
    pub const LOADED: u8 = 0x84;
    pub const RENDERED: u8 = 0x85;
}

/// Server → browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// First frame of every session. A client that sees another `server_id` than the one its
    /// page was built by reloads.
    Hello {
        protocol: u32,
        server_id: String,
        revision: u32,
    },
    Update(HotUpdate),
    /// Build errors that appeared (`added`) and files whose errors went away (`cleared`).
    Errors {
        revision: u32,
        added: Vec<Diagnostic>,
        cleared: Vec<String>,
    },
    /// `reason_code` is `FullReloadReason::code()`, `reason` its text.
    FullReload {
        revision: u32,
        reason_code: u8,
        reason: String,
    },
    /// A custom event (`import.meta.hot.on(event, cb)`); `data` is JSON text.
    Custom {
        event: String,
        data: String,
    },
    /// The answer to a tab's `Loaded`: every edit to the lazy chunk `chunk`'s modules made
    /// after the snapshot it was served from has been sent to the tab (before this message).
    ChunkSynced {
        chunk: String,
    },
}

impl ServerMessage {
    /// The `FullReload` message for `reason`.
    pub fn full_reload(revision: u32, reason: &FullReloadReason) -> ServerMessage {
        ServerMessage::FullReload {
            revision,
            reason_code: reason.code(),
            reason: reason.to_string(),
        }
    }
}

/// A hot update: see "The update" in this module's docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HotUpdate {
    pub revision: u32,
    /// New factories, for modules whose emitted code changed.
    pub modules: Vec<ModuleCode>,
    /// Modules to dispose and re-evaluate, dependencies first.
    pub invalidate: Vec<Arc<str>>,
    /// `(module id, accepted dep)`: `None` = the module accepts itself.
    pub boundaries: Vec<(Arc<str>, Option<Arc<str>>)>,
    /// Modules no longer in the graph: pruned, then dropped.
    pub removed: Vec<Arc<str>>,
    /// Linked stylesheets to swap (unless a patch in `css_patches` applies to them).
    pub css_links: Vec<CssLink>,
    /// Source files whose change caused this update (for logs and `vite:beforeUpdate`).
    pub changed_files: Vec<Arc<str>>,
    /// Rule-level patches of stylesheets in `modules` or `css_links` (see "CSS patches").
    pub css_patches: Vec<CssPatch>,
}

/// Which sheets of the page a [`CssPatch`] is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CssTarget {
    /// The `<style>` element the runtime injected for stylesheet module `id`.
    Style,
    /// The `<link rel=stylesheet>` elements whose URL path is `id`.
    Link,
}

/// A rule-level patch of one stylesheet (see "CSS patches").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CssPatch {
    pub target: CssTarget,
    /// The module id (= URL path) of the stylesheet.
    pub id: Arc<str>,
    /// [`css_version`] of the text the patch applies to.
    pub base: u32,
    /// [`css_version`] of the text it produces.
    pub version: u32,
    /// Top-level rules of the base text (what `sheet.cssRules.length` must be).
    pub rules: u32,
    pub edits: Vec<CssEdit>,
}

/// One CSSOM call on the sheet (or the grouping rule a `Within` stepped into), with indexes as
/// the previous edits left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CssEdit {
    /// `target.deleteRule(index)`.
    Delete { index: u32 },
    /// `target.insertRule(rule, index)`.
    Insert { index: u32, rule: Arc<str> },
    /// `edits` applied to `target.cssRules[index]`, a grouping rule that must have `rules`
    /// rules.
    Within {
        index: u32,
        rules: u32,
        edits: Vec<CssEdit>,
    },
}

/// How deep `CssEdit::Within` may nest (the decoder refuses deeper frames).
pub const MAX_CSS_DEPTH: usize = 4;

/// The version of a stylesheet's text: FNV-1a (32-bit) over its UTF-16 code units, so the
/// runtime computes the same number from a JS string (`HotloopProtocol.cssVersion`). Names
/// what a patch applies to and what a linked sheet was loaded as (`?hotloop-v=`, 8 hex
/// digits); not a defence against anyone, only against applying a patch to another text.
pub fn css_version(text: &str) -> u32 {
    text.encode_utf16().fold(0x811c_9dc5_u32, |hash, unit| {
        (hash ^ u32::from(unit)).wrapping_mul(0x0100_0193)
    })
}

/// One module's new code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleCode {
    pub id: Arc<str>,
    pub kind: ModuleKind,
    /// `(specifier as written, resolved module id)`; `None` = unresolved. Static imports first.
    pub deps: Vec<(Arc<str>, Option<Arc<str>>)>,
    /// How many of `deps` (from the front) are static imports: the runtime evaluates them ahead
    /// of a module that waits for top-level await.
    pub static_deps: u32,
    /// The factory function expression.
    pub code: Arc<str>,
}

/// A `<link rel=stylesheet>` to point at a new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CssLink {
    pub href: String,
    /// The new text's [`css_version`] as 8 hex digits: the page loads `href?hotloop-v=<it>`,
    /// which the server answers only while that is the sheet's version.
    pub version: String,
}

/// Browser → server.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientMessage {
    /// The client applied (or failed to apply) the update of `revision`.
    Ack {
        revision: u32,
        ok: bool,
        apply_ms: f64,
        error: Option<String>,
    },
    /// `import.meta.hot.invalidate(message)` in module `id`.
    Invalidate { id: String, message: Option<String> },
    /// `import.meta.hot.send(event, data)`; `data` is JSON text.
    Custom { event: String, data: String },
    /// The tab loaded the lazy chunk of the `import()` target `chunk` (a module id), as served
    /// by snapshot number `snapshot` (`Served::snapshot`).
    Loaded { chunk: String, snapshot: u32 },
    /// The page rendered: its main thread was idle for the first time after its entries ran
    /// (the framework's first render is done). Said once per page, and again after a
    /// reconnect. The server compiles what the page may ask for next only after it.
    Rendered,
}

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("empty frame")]
    Empty,
    #[error("unknown message id 0x{0:02x}")]
    UnknownMessage(u8),
    #[error("frame truncated at byte {offset}: {needed} more bytes needed")]
    Truncated { offset: usize, needed: usize },
    #[error("length {len} at byte {offset} exceeds the {remaining} bytes left in the frame")]
    LengthOutOfBounds {
        offset: usize,
        len: u64,
        remaining: usize,
    },
    #[error("invalid UTF-8 in the string at byte {offset}")]
    InvalidUtf8 { offset: usize },
    #[error("invalid {what} byte {value} at byte {offset}")]
    InvalidValue {
        what: &'static str,
        value: u8,
        offset: usize,
    },
    #[error("custom event data at byte {offset} is not valid JSON")]
    InvalidJson { offset: usize },
    #[error("{0} unexpected bytes after the end of the message")]
    TrailingBytes(usize),
}

mod decode;
mod encode;

pub use decode::{decode_client, decode_server};
pub use encode::{encode, encode_client};

#[cfg(test)]
mod tests;
