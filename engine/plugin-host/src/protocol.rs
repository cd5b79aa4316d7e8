//! The framed protocol between hotloop and its Node.js plugin host, over the child's stdio.
//! Mirrored by `js/protocol.js`; the golden fixtures in `tests/data/plugin-host/` are decoded
//! and re-encoded by both sides' tests.
//!
//! One frame, all integers little-endian:
//!
//! ```text
//! u32 length            of everything after these 4 bytes
//! u8  kind              0 request, 1 response, 2 error, 3 notification
//! u32 id                a request's id, echoed by its response or error; 0 for notifications
//! u8  method length     then the method name, UTF-8 (a response echoes its request's method)
//! ... body              the rest: UTF-8 JSON, or empty (no value)
//! ```
//!
//! Both sides send requests: hotloop asks the host to run hooks (`loadConfig`, `resolveId`,
//! `resolveIds`, `load`, `transform`, `loadTransform`, `transformIndexHtml`, `hotUpdate`;
//! `resolveIds` with `subModules` also answers the importer's own query sub-modules'
//! `loadTransform` as `preload`, see `preload.rs`), the host asks hotloop to resolve
//! (`resolve`, for `this.resolve`'s fallback to hotloop's own resolver). Ids are per sender.
//! The host sends notifications (`warning`, `custom`, `log`, `workers`); hotloop sends
//! `filesChanged` (`{ changed, structural }`, after a batch of edits, before the build) and
//! `listening` (`{ port, https }`, once the dev server listens), `pageRendered` (a page rendered
//! after the start: idle work may begin), among others. An error's body is a Rollup-shaped
//! error object (`{ plugin, hook, id, message, loc: { line, column }, frame }`).

use std::io::{self, Read, Write};

/// Largest frame either side accepts (a sanity bound: a transformed module with its map is
/// far below it).
pub const MAX_FRAME: usize = 256 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Request = 0,
    Response = 1,
    Error = 2,
    Notification = 3,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            0 => Kind::Request,
            1 => Kind::Response,
            2 => Kind::Error,
            3 => Kind::Notification,
            _ => return None,
        })
    }
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub kind: Kind,
    pub id: u32,
    pub method: String,
    /// UTF-8 JSON, or empty.
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("frame of {0} bytes is larger than the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("frame is truncated")]
    Truncated,
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("method name is not UTF-8")]
    Method,
}

impl Frame {
    pub fn new(kind: Kind, id: u32, method: &str, body: Vec<u8>) -> Frame {
        Frame {
            kind,
            id,
            method: method.to_string(),
            body,
        }
    }

    /// The frame's bytes, length prefix included. Method names are at most 255 bytes (ours
    /// are short constants); a longer one is cut at 255 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let method = &self.method.as_bytes()[..self.method.len().min(255)];
        let len = 1 + 4 + 1 + method.len() + self.body.len();
        let mut out = Vec::with_capacity(4 + len);
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.push(self.kind as u8);
        out.extend_from_slice(&self.id.to_le_bytes());
        out.push(method.len() as u8);
        out.extend_from_slice(method);
        out.extend_from_slice(&self.body);
        out
    }

    /// Decodes one frame from exactly its bytes (length prefix included).
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let len = u32::from_le_bytes(
            bytes
                .get(..4)
                .ok_or(FrameError::Truncated)?
                .try_into()
                .map_err(|_| FrameError::Truncated)?,
        ) as usize;
        if len > MAX_FRAME {
            return Err(FrameError::TooLarge(len));
        }
        if bytes.len() != 4 + len {
            return Err(FrameError::Truncated);
        }
        Frame::decode_payload(&bytes[4..])
    }

    fn decode_payload(p: &[u8]) -> Result<Frame, FrameError> {
        if p.len() < 6 {
            return Err(FrameError::Truncated);
        }
        let kind = Kind::from_byte(p[0]).ok_or(FrameError::UnknownKind(p[0]))?;
        let id = u32::from_le_bytes([p[1], p[2], p[3], p[4]]);
        let mlen = p[5] as usize;
        let method = p.get(6..6 + mlen).ok_or(FrameError::Truncated)?;
        let method = std::str::from_utf8(method).map_err(|_| FrameError::Method)?;
        Ok(Frame {
            kind,
            id,
            method: method.to_string(),
            body: p[6 + mlen..].to_vec(),
        })
    }

    /// Reads the next frame; `Ok(None)` at a clean end of stream (between frames).
    pub fn read_from(r: &mut impl Read) -> io::Result<Option<Frame>> {
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match r.read(&mut len[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                FrameError::TooLarge(len),
            ));
        }
        let mut payload = vec![0u8; len];
        r.read_exact(&mut payload)?;
        Frame::decode_payload(&payload)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.encode())?;
        w.flush()
    }
}

#[cfg(test)]
mod tests;
