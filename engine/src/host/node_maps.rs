//! Source maps for the app's server process (server-side HMR), in the form Node.js reads them
//! for evaluated code: `server.js` turns on Node's source-map support
//! (`process.setSourceMapsEnabled(true)`), and Node then maps every stack of code whose text
//! ends in `//# sourceMappingURL=data:application/json;base64,…` — an uncaught exception's,
//! `err.stack` in a failure report, the app's own `console.error(err)` — to the original lines.
//!
//! - The server chunk is evaluated as one script, and Node (20) ignores index maps
//!   (`sections`) there, so the modules' maps are flattened into one map whose lines are the
//!   chunk's ([`ChunkMap`]).
//! - An update's module is compiled on its own (`runtime/js/update.js`, with the Node host's
//!   `sourceComments`), so its code carries its own map ([`with_inline_map`]).
//! - Sources are the files' absolute paths, so the terminal shows `/abs/src/api.ts:12:9` (a
//!   path editors open) and the overlay finds the module (`devloop/app_server.rs`); no
//!   `sourcesContent` (Node does not need it, and the chunk stays small). Names are left out
//!   too: Node prints the call site's own function name.

use std::path::Path;

use base64::Engine as _;
use swc_sourcemap::{SourceMap, SourceMapBuilder};

const DATA_URL: &str = "//# sourceMappingURL=data:application/json;base64,";

/// The flat map of a chunk made of define statements, built part by part.
pub(super) struct ChunkMap {
    builder: SourceMapBuilder,
    /// The line (0-based) the next part starts on.
    line: u32,
    mapped: bool,
}

impl ChunkMap {
    pub(super) fn new() -> ChunkMap {
        ChunkMap {
            builder: SourceMapBuilder::new(None),
            line: 0,
            mapped: false,
        }
    }

    /// Appends a part of the chunk: its text, and the map of the factory it holds (relative to
    /// the part's first line, as the registry format puts the factory header there) for the
    /// file at `path`. A map that does not parse leaves the part unmapped.
    pub(super) fn push(&mut self, text: &str, map: Option<&str>, path: &Path) {
        if let Some(map) = map.and_then(|m| SourceMap::from_slice(m.as_bytes()).ok()) {
            let source = self
                .builder
                .add_source(path.to_string_lossy().into_owned().into());
            for token in map.tokens() {
                if token.get_src_id() == !0 {
                    continue;
                }
                self.builder.add_raw(
                    token.get_dst_line() + self.line,
                    token.get_dst_col(),
                    token.get_src_line(),
                    token.get_src_col(),
                    Some(source),
                    None,
                    token.is_range(),
                );
                self.mapped = true;
            }
        }
        self.line += text.bytes().filter(|&b| b == b'\n').count() as u32;
    }

    /// The `//# sourceMappingURL=data:…` line that ends the chunk; empty when no part had a map.
    pub(super) fn into_comment(self) -> String {
        if !self.mapped {
            return String::new();
        }
        comment(&self.builder.into_sourcemap())
    }
}

/// `code` (a factory of an update frame) followed by its map for Node, its sources the absolute
/// `path`; `code` alone when the map does not parse.
pub(super) fn with_inline_map(code: &str, map: Option<&str>, path: &Path) -> String {
    let mut chunk = ChunkMap::new();
    chunk.push(code, map, path);
    let comment = chunk.into_comment();
    if comment.is_empty() {
        return code.to_owned();
    }
    let mut out = String::with_capacity(code.len() + comment.len() + 1);
    out.push_str(code.trim_end());
    out.push('\n');
    out.push_str(&comment);
    out
}

fn comment(map: &SourceMap) -> String {
    let mut json = Vec::new();
    if map.to_writer(&mut json).is_err() {
        return String::new();
    }
    let mut out = String::with_capacity(DATA_URL.len() + json.len() * 4 / 3 + 8);
    out.push_str(DATA_URL);
    base64::engine::general_purpose::STANDARD.encode_string(&json, &mut out);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(comment: &str) -> SourceMap {
        let b64 = comment
            .trim_end()
            .rsplit_once(DATA_URL)
            .expect("a data URL")
            .1;
        let json = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        SourceMap::from_slice(&json).expect("a map")
    }

    /// One mapping per line: generated line n ← original line n+1 (a module map shifted by
    /// the factory header, as `transform::pipeline` makes them).
    const MAP: &str = r#"{"version":3,"sources":["/src/a.ts"],"sourcesContent":["x"],"names":[],"mappings":";AAAA;AACA"}"#;

    #[test]
    fn parts_are_placed_at_their_first_line_with_absolute_sources_and_no_contents() {
        let mut chunk = ChunkMap::new();
        chunk.push("external();\nmore();\n", None, Path::new("/nowhere"));
        chunk.push(
            "define(a, {}, (function () {\nA\nB\n}));\n",
            Some(MAP),
            Path::new("/p/src/a.ts"),
        );
        chunk.push(
            "define(b, {}, (function () {\nA\nB\n}));\n",
            Some(MAP),
            Path::new("/p/src/b.ts"),
        );
        let map = decode(&chunk.into_comment());
        let sources: Vec<&str> = map.sources().map(|s| &**s).collect();
        assert_eq!(sources, ["/p/src/a.ts", "/p/src/b.ts"]);
        assert!(map.source_contents().all(|c| c.is_none()));
        let at = |line| {
            let token = map.lookup_token(line, 0).expect("a token");
            (
                token.get_source().map(|s| s.to_string()),
                token.get_src_line(),
            )
        };
        // `A` of a.ts on chunk line 3 (0-based) is its line 0; `B` of b.ts (line 8) its line 1.
        assert_eq!(at(3), (Some("/p/src/a.ts".into()), 0));
        assert_eq!(at(8), (Some("/p/src/b.ts".into()), 1));
    }

    #[test]
    fn an_update_factory_carries_its_map_and_bad_maps_are_left_out() {
        let code = "(function () {\nA\nB\n})\n";
        let out = with_inline_map(code, Some(MAP), Path::new("/p/src/a.ts"));
        assert!(
            out.starts_with("(function () {\nA\nB\n})\n//# sourceMappingURL=data:"),
            "{out}"
        );
        let map = decode(&out);
        assert_eq!(map.lookup_token(2, 0).expect("token").get_src_line(), 1);
        assert_eq!(
            with_inline_map(code, Some("not json"), Path::new("/a")),
            code
        );
        assert_eq!(with_inline_map(code, None, Path::new("/a")), code);
        let mut empty = ChunkMap::new();
        empty.push(code, None, Path::new("/a"));
        assert_eq!(empty.into_comment(), "");
    }
}
