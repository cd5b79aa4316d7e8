//! JS (and JSON) literals written into emitted code: string literals escaped for any JS parser
//! and one-line objects of strings. Used by every layer that writes code (the transforms, CSS
//! Modules, the emitter, the chunk's start call), so it depends on nothing.

use std::fmt::Write as _;

/// Appends `{"key":"value",...}` (a `None` value is `null`), on one line.
pub fn push_json_object<'a>(
    out: &mut String,
    entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) {
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, key);
        out.push(':');
        match value {
            Some(value) => push_json_string(out, value),
            None => out.push_str("null"),
        }
    }
    out.push('}');
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+2028/2029 are valid JSON but end lines in older JS parsers.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
