//! Encoding: each frame is sized exactly in a first pass, then written.

use super::*;

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

/// A patch's edits; a `Within`'s edits recursively (the engine never nests deeper than
/// [`MAX_CSS_DEPTH`], which the decoder enforces).
fn css_edits<S: Sink>(s: &mut S, edits: &[CssEdit]) {
    s.list(edits, |s, edit| match edit {
        CssEdit::Delete { index } => {
            s.u8(0);
            s.u32(*index);
        }
        CssEdit::Insert { index, rule } => {
            s.u8(1);
            s.u32(*index);
            s.str(rule);
        }
        CssEdit::Within {
            index,
            rules,
            edits,
        } => {
            s.u8(2);
            s.u32(*index);
            s.u32(*rules);
            css_edits(s, edits);
        }
    });
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
            s.list(&update.css_patches, |s, patch| {
                s.u8(match patch.target {
                    CssTarget::Style => 0,
                    CssTarget::Link => 1,
                });
                s.str(&patch.id);
                s.u32(patch.base);
                s.u32(patch.version);
                s.u32(patch.rules);
                css_edits(s, &patch.edits);
            });
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
        ServerMessage::ChunkSynced { chunk } => {
            s.u8(id::CHUNK_SYNCED);
            s.str(chunk);
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
        ClientMessage::Loaded { chunk, snapshot } => {
            s.u8(id::LOADED);
            s.str(chunk);
            s.u32(*snapshot);
        }
        ClientMessage::Rendered => s.u8(id::RENDERED),
    }
}
