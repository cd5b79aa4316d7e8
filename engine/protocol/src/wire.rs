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
//! | 0x02 | Update | revision u32, modules list<ModuleCode>, invalidate list<str>, boundaries list<(str, opt<str>)>, removed list<str>, css_links list<(href str, version str)>, changed_files list<str> |
//! | 0x03 | Errors | revision u32, added list<Diagnostic>, cleared list<str> |
//! | 0x04 | FullReload | revision u32, reason_code u8, reason str |
//! | 0x05 | Custom | event str, data str (JSON) |
//! | 0x81 | Ack (client) | revision u32, ok bool, apply_ms f64, error opt<str> |
//! | 0x82 | Invalidate (client) | id str, message opt<str> |
//! | 0x83 | Custom (client) | event str, data str (JSON) |
//!
//! `ModuleCode` = id str, kind u8 (0 js, 1 css, 2 asset, 3 json), deps list<(spec str, opt<id str>)>,
//! static_deps u32 (the first that many deps are static imports), code str. `Diagnostic` = kind u8, file str, line u32, column u32, message str, code_frame str.
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
//! The plan is the same for every tab: modules reachable only through `import()` propagate like
//! any other (the server cannot know which tabs loaded them), and each tab skips the boundaries
//! and invalidations of modules it never evaluated; their new factories are used when the tab
//! loads them.

use std::sync::Arc;

use crate::ModuleKind;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::reload::FullReloadReason;

pub const PROTOCOL_VERSION: u32 = 2;

/// Message ids (the first byte of a frame).
pub mod id {
    pub const HELLO: u8 = 0x01;
    pub const UPDATE: u8 = 0x02;
    pub const ERRORS: u8 = 0x03;
    pub const FULL_RELOAD: u8 = 0x04;
    pub const CUSTOM: u8 = 0x05;
    pub const ACK: u8 = 0x81;
    pub const INVALIDATE: u8 = 0x82;
    pub const CLIENT_CUSTOM: u8 = 0x83;
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

/// A hot update: see "The update" in ARCHITECTURE.md.
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
    /// Linked stylesheets to swap.
    pub css_links: Vec<CssLink>,
    /// Source files whose change caused this update (for logs and `vite:beforeUpdate`).
    pub changed_files: Vec<Arc<str>>,
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

/// Encodes a server message into one binary frame, sized exactly before writing.
pub fn encode(message: &ServerMessage) -> Vec<u8> {
    let mut size = Size(0);
    write_server(message, &mut size);
    let mut out = Writer(Vec::with_capacity(size.0));
    write_server(message, &mut out);
    debug_assert_eq!(out.0.len(), size.0);
    out.0
}

/// Encodes a client message (the runtime does this in JS; here for tests and tools).
pub fn encode_client(message: &ClientMessage) -> Vec<u8> {
    let mut size = Size(0);
    write_client(message, &mut size);
    let mut out = Writer(Vec::with_capacity(size.0));
    write_client(message, &mut out);
    debug_assert_eq!(out.0.len(), size.0);
    out.0
}

/// Decodes a server frame.
pub fn decode_server(frame: &[u8]) -> Result<ServerMessage, ProtocolError> {
    let mut r = Reader { buf: frame, pos: 0 };
    let message = match r.u8()? {
        id::HELLO => ServerMessage::Hello {
            protocol: r.u32()?,
            server_id: r.string()?,
            revision: r.u32()?,
        },
        id::UPDATE => {
            let revision = r.u32()?;
            // id + kind + deps count + static deps + code length.
            let modules = r.list(17, |r| {
                Ok(ModuleCode {
                    id: r.arc()?,
                    kind: r.module_kind()?,
                    deps: r.list(5, |r| Ok((r.arc()?, r.opt(Reader::arc)?)))?,
                    static_deps: r.u32()?,
                    code: r.arc()?,
                })
            })?;
            let invalidate = r.list(4, Reader::arc)?;
            let boundaries = r.list(5, |r| Ok((r.arc()?, r.opt(Reader::arc)?)))?;
            let removed = r.list(4, Reader::arc)?;
            let css_links = r.list(8, |r| {
                Ok(CssLink {
                    href: r.string()?,
                    version: r.string()?,
                })
            })?;
            let changed_files = r.list(4, Reader::arc)?;
            ServerMessage::Update(HotUpdate {
                revision,
                modules,
                invalidate,
                boundaries,
                removed,
                css_links,
                changed_files,
            })
        }
        id::ERRORS => ServerMessage::Errors {
            revision: r.u32()?,
            // kind + file + line + column + message + code frame.
            added: r.list(21, |r| {
                Ok(Diagnostic {
                    kind: r.diagnostic_kind()?,
                    file: r.string()?,
                    line: r.u32()?,
                    column: r.u32()?,
                    message: r.string()?,
                    code_frame: r.string()?,
                })
            })?,
            cleared: r.list(4, Reader::string)?,
        },
        id::FULL_RELOAD => ServerMessage::FullReload {
            revision: r.u32()?,
            reason_code: r.u8()?,
            reason: r.string()?,
        },
        id::CUSTOM => ServerMessage::Custom {
            event: r.string()?,
            data: r.json()?,
        },
        other => return Err(ProtocolError::UnknownMessage(other)),
    };
    r.finish()?;
    Ok(message)
}

/// Decodes a client frame. Never panics; every malformed frame is an error.
pub fn decode_client(frame: &[u8]) -> Result<ClientMessage, ProtocolError> {
    let mut r = Reader { buf: frame, pos: 0 };
    let message = match r.u8()? {
        id::ACK => ClientMessage::Ack {
            revision: r.u32()?,
            ok: r.bool()?,
            apply_ms: r.f64()?,
            error: r.opt(Reader::string)?,
        },
        id::INVALIDATE => ClientMessage::Invalidate {
            id: r.string()?,
            message: r.opt(Reader::string)?,
        },
        id::CLIENT_CUSTOM => ClientMessage::Custom {
            event: r.string()?,
            data: r.json()?,
        },
        other => return Err(ProtocolError::UnknownMessage(other)),
    };
    r.finish()?;
    Ok(message)
}

/// Where encoded bytes go: a byte counter for the sizing pass, a vector for the writing pass.
trait Sink {
    fn bytes(&mut self, bytes: &[u8]);

    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    fn f64(&mut self, v: f64) {
        self.bytes(&v.to_bits().to_le_bytes());
    }

    fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }

    /// Lengths above `u32::MAX` cannot be framed; such a string (4 GiB of code) is cut at the
    /// last character boundary that fits rather than producing an inconsistent frame.
    fn str(&mut self, s: &str) {
        let mut len = s.len().min(u32::MAX as usize);
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        self.u32(len as u32);
        self.bytes(&s.as_bytes()[..len]);
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    /// Lists longer than `u32::MAX` items are cut to that many (see `str`).
    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        let len = items.len().min(u32::MAX as usize);
        self.u32(len as u32);
        for it in &items[..len] {
            item(self, it);
        }
    }
}

struct Size(usize);

impl Sink for Size {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

struct Writer(Vec<u8>);

impl Sink for Writer {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

fn module_kind_byte(kind: ModuleKind) -> u8 {
    match kind {
        ModuleKind::Js => 0,
        ModuleKind::Css => 1,
        ModuleKind::Asset => 2,
        ModuleKind::Json => 3,
    }
}

fn write_server<S: Sink>(message: &ServerMessage, s: &mut S) {
    match message {
        ServerMessage::Hello {
            protocol,
            server_id,
            revision,
        } => {
            s.u8(id::HELLO);
            s.u32(*protocol);
            s.str(server_id);
            s.u32(*revision);
        }
        ServerMessage::Update(update) => {
            s.u8(id::UPDATE);
            s.u32(update.revision);
            s.list(&update.modules, |s, m| {
                s.str(&m.id);
                s.u8(module_kind_byte(m.kind));
                s.list(&m.deps, |s, (spec, id)| {
                    s.str(spec);
                    s.opt_str(id.as_deref());
                });
                s.u32(m.static_deps);
                s.str(&m.code);
            });
            s.list(&update.invalidate, |s, id| s.str(id));
            s.list(&update.boundaries, |s, (id, dep)| {
                s.str(id);
                s.opt_str(dep.as_deref());
            });
            s.list(&update.removed, |s, id| s.str(id));
            s.list(&update.css_links, |s, link| {
                s.str(&link.href);
                s.str(&link.version);
            });
            s.list(&update.changed_files, |s, id| s.str(id));
        }
        ServerMessage::Errors {
            revision,
            added,
            cleared,
        } => {
            s.u8(id::ERRORS);
            s.u32(*revision);
            s.list(added, |s, d| {
                s.u8(d.kind as u8);
                s.str(&d.file);
                s.u32(d.line);
                s.u32(d.column);
                s.str(&d.message);
                s.str(&d.code_frame);
            });
            s.list(cleared, |s, file| s.str(file));
        }
        ServerMessage::FullReload {
            revision,
            reason_code,
            reason,
        } => {
            s.u8(id::FULL_RELOAD);
            s.u32(*revision);
            s.u8(*reason_code);
            s.str(reason);
        }
        ServerMessage::Custom { event, data } => {
            s.u8(id::CUSTOM);
            s.str(event);
            s.str(data);
        }
    }
}

fn write_client<S: Sink>(message: &ClientMessage, s: &mut S) {
    match message {
        ClientMessage::Ack {
            revision,
            ok,
            apply_ms,
            error,
        } => {
            s.u8(id::ACK);
            s.u32(*revision);
            s.bool(*ok);
            s.f64(*apply_ms);
            s.opt_str(error.as_deref());
        }
        ClientMessage::Invalidate {
            id: module,
            message,
        } => {
            s.u8(id::INVALIDATE);
            s.str(module);
            s.opt_str(message.as_deref());
        }
        ClientMessage::Custom { event, data } => {
            s.u8(id::CLIENT_CUSTOM);
            s.str(event);
            s.str(data);
        }
    }
}

/// A bounds-checked cursor over one frame.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let remaining = self.remaining();
        if n > remaining {
            return Err(ProtocolError::Truncated {
                offset: self.pos,
                needed: n - remaining,
            });
        }
        let bytes = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtocolError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, ProtocolError> {
        let [b] = self.array::<1>().map_err(|_| {
            if self.buf.is_empty() {
                ProtocolError::Empty
            } else {
                ProtocolError::Truncated {
                    offset: self.pos,
                    needed: 1,
                }
            }
        })?;
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, ProtocolError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, ProtocolError> {
        Ok(f64::from_bits(u64::from_le_bytes(self.array()?)))
    }

    fn tag(&mut self, what: &'static str) -> Result<bool, ProtocolError> {
        let offset = self.pos;
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(ProtocolError::InvalidValue {
                what,
                value,
                offset,
            }),
        }
    }

    fn bool(&mut self) -> Result<bool, ProtocolError> {
        self.tag("bool")
    }

    fn opt<T>(
        &mut self,
        item: impl FnOnce(&mut Self) -> Result<T, ProtocolError>,
    ) -> Result<Option<T>, ProtocolError> {
        if self.tag("option tag")? {
            item(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A length-prefixed UTF-8 string, borrowed from the frame.
    fn str(&mut self) -> Result<&'a str, ProtocolError> {
        let offset = self.pos;
        let len = self.u32()? as usize;
        if len > self.remaining() {
            return Err(ProtocolError::LengthOutOfBounds {
                offset,
                len: len as u64,
                remaining: self.remaining(),
            });
        }
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| ProtocolError::InvalidUtf8 { offset })
    }

    fn string(&mut self) -> Result<String, ProtocolError> {
        self.str().map(str::to_owned)
    }

    fn arc(&mut self) -> Result<Arc<str>, ProtocolError> {
        self.str().map(Arc::from)
    }

    fn json(&mut self) -> Result<String, ProtocolError> {
        let offset = self.pos;
        let text = self.str()?;
        serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map_err(|_| ProtocolError::InvalidJson { offset })?;
        Ok(text.to_owned())
    }

    /// A counted list; `min_item` is the smallest encoded size of one item, so the count is
    /// checked against the remaining bytes before anything is reserved.
    fn list<T>(
        &mut self,
        min_item: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, ProtocolError>,
    ) -> Result<Vec<T>, ProtocolError> {
        let offset = self.pos;
        let count = self.u32()? as usize;
        if count.saturating_mul(min_item) > self.remaining() {
            return Err(ProtocolError::LengthOutOfBounds {
                offset,
                len: count as u64,
                remaining: self.remaining(),
            });
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn module_kind(&mut self) -> Result<ModuleKind, ProtocolError> {
        let offset = self.pos;
        Ok(match self.u8()? {
            0 => ModuleKind::Js,
            1 => ModuleKind::Css,
            2 => ModuleKind::Asset,
            3 => ModuleKind::Json,
            value => {
                return Err(ProtocolError::InvalidValue {
                    what: "module kind",
                    value,
                    offset,
                });
            }
        })
    }

    fn diagnostic_kind(&mut self) -> Result<DiagnosticKind, ProtocolError> {
        let offset = self.pos;
        Ok(match self.u8()? {
            0 => DiagnosticKind::Syntax,
            1 => DiagnosticKind::Resolve,
            2 => DiagnosticKind::Transform,
            3 => DiagnosticKind::Io,
            4 => DiagnosticKind::Runtime,
            value => {
                return Err(ProtocolError::InvalidValue {
                    what: "diagnostic kind",
                    value,
                    offset,
                });
            }
        })
    }

    fn finish(&self) -> Result<(), ProtocolError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(ProtocolError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests;
