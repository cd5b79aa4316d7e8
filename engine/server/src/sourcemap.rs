//! The chunk's source map: an index map (`sections`) that places each module's own map at the
//! line where the module's define statement starts in the chunk.
//!
//! Assumption (the registry format in ARCHITECTURE.md): a define part is
//! `__hotloop.define(id, deps, (function (...) {` on its first line — the factory header shares
//! that line — followed by the factory body, and a module's map is relative to its factory
//! code, whose first line is that header. So the section offset is simply the part's first line,
//! column 0. Modules without a map get no section (the browser shows the chunk itself there).

use std::ops::Range;

use hotloop_protocol::served::{Chunk, Parts, ServedModules};

/// Builds the index map JSON for `chunk`, whose first line is line `first_line` (0-based) of the
/// script it is served in (a worker's script starts with the runtime).
pub fn index_map(chunk: &Chunk, modules: &ServedModules, first_line: usize) -> Vec<u8> {
    index_map_of(&chunk.parts, 0..chunk.parts.len(), modules, first_line)
}

/// The index map of the define statements `range` of `parts`, served as one script from its
/// first line (a piece of the page, see `pieces.rs`).
pub fn index_map_of(
    parts: &Parts,
    range: Range<usize>,
    modules: &ServedModules,
    first_line: usize,
) -> Vec<u8> {
    let parts = || parts.iter().skip(range.start).take(range.len());
    let maps_len: usize = parts()
        .filter_map(|(id, _)| modules.get(id)?.map.as_ref().map(|m| m.len() + 48))
        .sum();
    let mut out = String::with_capacity(64 + maps_len);
    out.push_str(r#"{"version":3,"file":"chunk.js","sections":["#);
    let mut line = first_line;
    let mut first = true;
    for (id, part) in parts() {
        if let Some(map) = modules.get(id).and_then(|m| m.map.as_deref()) {
            let map = map.trim();
            // A map that is not a JSON object would break the whole index map.
            if map.starts_with('{') && map.ends_with('}') {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&format!(
                    r#"{{"offset":{{"line":{line},"column":0}},"map":"#
                ));
                out.push_str(map);
                out.push('}');
            }
        }
        line += part.bytes().filter(|&b| b == b'\n').count();
    }
    out.push_str("]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use hotloop_protocol::ModuleKind;
    use hotloop_protocol::served::{Parts, ServedModule};

    fn module(map: Option<&str>) -> ServedModule {
        ServedModule {
            kind: ModuleKind::Js,
            code: Arc::from(""),
            map: map.map(Arc::from),
            stylesheet: None,
        }
    }

    #[test]
    fn sections_start_at_each_parts_first_line() {
        let parts = Parts::from(vec![
            (
                Arc::from("/a.js"),
                Arc::from("define(a, {}, (function () {\nA\n}));\n"),
            ),
            (
                Arc::from("/nomap.js"),
                Arc::from("define(n, {}, (function () {\n}));\n"),
            ),
            (
                Arc::from("/b.js"),
                Arc::from("define(b, {}, (function () {\nB\n}));\n"),
            ),
        ]);
        let chunk = Chunk::new(parts, "start();\n".into());
        let mut modules = ServedModules::default();
        modules.insert(
            Arc::from("/a.js"),
            module(Some(r#"{"version":3,"mappings":"A"}"#)),
        );
        modules.insert(Arc::from("/nomap.js"), module(None));
        modules.insert(
            Arc::from("/b.js"),
            module(Some(r#"{"version":3,"mappings":"B"}"#)),
        );
        let json: serde_json::Value =
            serde_json::from_slice(&index_map(&chunk, &modules, 0)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "version": 3,
                "file": "chunk.js",
                "sections": [
                    {"offset": {"line": 0, "column": 0}, "map": {"version": 3, "mappings": "A"}},
                    {"offset": {"line": 5, "column": 0}, "map": {"version": 3, "mappings": "B"}}
                ]
            })
        );
    }
}
