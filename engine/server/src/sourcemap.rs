//! The chunk's source map: an index map (`sections`) that places each module's own map at the
//! line where the module's define statement starts in the chunk.
//!
//! Assumption (the registry format, `engine/src/queries/emit.rs`): a define part is
//! `__hotloop.define(id, deps, (function (...) {` on its first line — the factory header shares
//! that line — followed by the factory body, and a module's map is relative to its factory
//! code, whose first line is that header. So the section offset is simply the part's first line,
//! column 0. Modules without a map get no section (the browser shows the chunk itself there).
//!
//! swc's maps leave `sourcesContent` out; the server puts the file's text back into each map it
//! serves (`ServedModule::map_source`, read again from the file when asked), so no module's
//! source is held for its map.

use std::ops::Range;
use std::sync::Arc;

use hotloop_protocol::served::{Chunk, Parts, ServedModule, ServedModules};

/// `module`'s own map as served, `None` without one: with its source's text put back as
/// `sourcesContent` where the engine left it out (`ServedModule::map_source`), so devtools show
/// the file without fetching it. A map the engine keeps in its compile cache, and a source
/// the engine reads from its file again, are read here. Blocking when they are read.
pub fn module_map(module: &ServedModule) -> Option<String> {
    let map = module.map.as_ref()?.text()?;
    let source = module.map_source.as_ref().and_then(|s| s.text());
    let mut out = String::with_capacity(map.len() + source.as_ref().map_or(0, |s| s.len() + 32));
    push_module_map(&mut out, &map, source.as_deref());
    Some(out)
}

/// Appends `map` (a JSON object), with `"sourcesContent":[source]` first in it when `source` is
/// given.
fn push_module_map(out: &mut String, map: &str, source: Option<&str>) {
    let map = map.trim();
    let (Some(source), Some(rest)) = (source, map.strip_prefix('{')) else {
        out.push_str(map);
        return;
    };
    out.push_str("{\"sourcesContent\":[");
    out.push_str(&serde_json::to_string(source).unwrap_or_else(|_| "null".into()));
    out.push(']');
    if !rest.trim_start().starts_with('}') {
        out.push(',');
    }
    out.push_str(rest);
}

/// Builds the index map JSON for `chunk`, whose first line is line `first_line` (0-based) of the
/// script it is served in (a worker's script starts with the runtime).
pub fn index_map(chunk: &Chunk, modules: &ServedModules, first_line: usize) -> Vec<u8> {
    index_map_of(&chunk.parts, 0..chunk.parts.len(), modules, first_line)
}

/// One define statement of an index map: its lines, its module's map and the map's source.
struct Section {
    newlines: usize,
    map: Option<Arc<str>>,
    source: Option<Arc<str>>,
}

/// The index map of the define statements `range` of `parts`, served as one script from its
/// first line (a piece of the page, see `pieces.rs`). Maps the engine keeps in its compile
/// cache, and sources it reads from their files again, are read here (blocking).
pub fn index_map_of(
    parts: &Parts,
    range: Range<usize>,
    modules: &ServedModules,
    first_line: usize,
) -> Vec<u8> {
    // Per part: its lines, and its module's map (read here when stored) with the map's source.
    let sections: Vec<Section> = parts
        .iter()
        .skip(range.start)
        .take(range.len())
        .map(|(id, part)| {
            let module = modules.get(id);
            let map = module.and_then(|m| m.map.as_ref()?.text());
            Section {
                newlines: part.newlines(),
                source: map
                    .as_ref()
                    .and(module.and_then(|m| m.map_source.as_ref()?.text())),
                map,
            }
        })
        .collect();
    let maps_len: usize = sections
        .iter()
        .filter_map(|s| {
            let source = s.source.as_ref().map_or(0, |text| text.len() + 24);
            s.map.as_ref().map(|map| map.len() + source + 48)
        })
        .sum();
    let mut out = String::with_capacity(64 + maps_len);
    out.push_str(r#"{"version":3,"file":"chunk.js","sections":["#);
    let mut line = first_line;
    let mut first = true;
    for section in &sections {
        if let Some(map) = &section.map {
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
                push_module_map(&mut out, map, section.source.as_deref());
                out.push('}');
            }
        }
        line += section.newlines;
    }
    out.push_str("]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use hotloop_protocol::ModuleKind;
    use hotloop_protocol::served::{Parts, ServedModule, Statement};

    fn module(map: Option<&str>) -> ServedModule {
        ServedModule {
            kind: ModuleKind::Js,
            code: Arc::from(""),
            map: map.map(hotloop_protocol::ModuleMap::from),
            map_source: None,
            stylesheet: None,
        }
    }

    #[test]
    fn sections_start_at_each_parts_first_line() {
        let parts = Parts::from(vec![
            (
                Arc::from("/a.js"),
                Statement::whole("define(a, {}, (function () {\nA\n}));\n"),
            ),
            (
                Arc::from("/nomap.js"),
                Statement::whole("define(n, {}, (function () {\n}));\n"),
            ),
            (
                Arc::from("/b.js"),
                Statement::whole("define(b, {}, (function () {\nB\n}));\n"),
            ),
        ]);
        let chunk = Chunk::new(parts, "start();\n".into());
        let mut modules = ServedModules::default();
        modules.insert(
            Arc::from("/a.js"),
            Arc::new(module(Some(r#"{"version":3,"mappings":"A"}"#))),
        );
        modules.insert(Arc::from("/nomap.js"), Arc::new(module(None)));
        modules.insert(
            Arc::from("/b.js"),
            Arc::new(module(Some(r#"{"version":3,"mappings":"B"}"#))),
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

    #[test]
    fn a_left_out_source_goes_back_into_the_map_as_served() {
        let with_source = |map: &str, source: &str| ServedModule {
            map_source: Some(source.into()),
            ..module(Some(map))
        };
        let served = module_map(&with_source(
            r#"{"version":3,"sources":["/a.js"],"mappings":"A"}"#,
            "let a = \"1\";\n",
        ))
        .unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&served).unwrap(),
            serde_json::json!({
                "sourcesContent": ["let a = \"1\";\n"],
                "version": 3,
                "sources": ["/a.js"],
                "mappings": "A"
            })
        );
        // An empty object stays valid JSON; a map that carries its own is served as it is.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(
                &module_map(&with_source("{ }", "x")).unwrap()
            )
            .unwrap(),
            serde_json::json!({ "sourcesContent": ["x"] })
        );
        assert_eq!(
            module_map(&module(Some(r#"{"sourcesContent":["y"]}"#))).unwrap(),
            r#"{"sourcesContent":["y"]}"#
        );
        // The same in an index map's sections.
        let parts = Parts::from(vec![(
            Arc::from("/a.js"),
            Statement::whole("define(a, {}, (function () {\n}));\n"),
        )]);
        let mut modules = ServedModules::default();
        modules.insert(
            Arc::from("/a.js"),
            Arc::new(with_source(r#"{"version":3,"mappings":"A"}"#, "a")),
        );
        let json: serde_json::Value =
            serde_json::from_slice(&index_map(&Chunk::new(parts, String::new()), &modules, 0))
                .unwrap();
        assert_eq!(json["sections"][0]["map"]["sourcesContent"][0], "a");
    }
}
