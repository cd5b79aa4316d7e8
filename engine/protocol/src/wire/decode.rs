//! Strict decoding: every length checked against the bytes that remain before anything is
//! allocated, every enum byte and option tag checked, no trailing bytes.

use super::*;

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
            // target + id + base + version + rules + edits count.
            let css_patches = r.list(21, |r| {
                let target = match r.u8()? {
                    0 => CssTarget::Style,
                    1 => CssTarget::Link,
                    value => {
                        return Err(ProtocolError::InvalidValue {
                            what: "css patch target",
                            value,
                            offset: r.pos - 1,
                        });
                    }
                };
                Ok(CssPatch {
                    target,
                    id: r.arc()?,
                    base: r.u32()?,
                    version: r.u32()?,
                    rules: r.u32()?,
                    edits: r.css_edits(0)?,
                })
            })?;
            ServerMessage::Update(HotUpdate {
                revision,
                modules,
                invalidate,
                boundaries,
                removed,
                css_links,
                changed_files,
                css_patches,
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
        id::CHUNK_SYNCED => ServerMessage::ChunkSynced { chunk: r.string()? },
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
        id::LOADED => ClientMessage::Loaded {
            chunk: r.string()?,
            snapshot: r.u32()?,
        },
        id::RENDERED => ClientMessage::Rendered,
        other => return Err(ProtocolError::UnknownMessage(other)),
    };
    r.finish()?;
    Ok(message)
}

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
    /// A list of CSS edits, `depth` `Within`s deep (see "CSS patches").
    fn css_edits(&mut self, depth: usize) -> Result<Vec<CssEdit>, ProtocolError> {
        // op + index.
        self.list(5, |r| match r.u8()? {
            0 => Ok(CssEdit::Delete { index: r.u32()? }),
            1 => Ok(CssEdit::Insert {
                index: r.u32()?,
                rule: r.arc()?,
            }),
            2 if depth < MAX_CSS_DEPTH => Ok(CssEdit::Within {
                index: r.u32()?,
                rules: r.u32()?,
                edits: r.css_edits(depth + 1)?,
            }),
            value => Err(ProtocolError::InvalidValue {
                what: "css edit",
                value,
                offset: r.pos - 1,
            }),
        })
    }

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
