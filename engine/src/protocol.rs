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
//! code str. `Diagnostic` = kind u8, file str, line u32, column u32, message str, code_frame str.

pub const PROTOCOL_VERSION: u32 = 1;
