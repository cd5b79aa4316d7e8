//! The engine's modules form layers, lowest first, and a module imports only from its own
//! layer or below (`engine/src/lib.rs` lists them): no cycle between layers, and nothing below
//! the queries reaches up into them. This test reads the sources: every `crate::<module>` a
//! module names outside comments and `#[cfg(test)]` code must be allowed by the table. Within
//! a layer, the modules' imports must not form a cycle either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `engine/src` and its layer.
const LAYERS: &[(&str, u8)] = &[
    ("environment", 1),
    ("graph", 1),
    ("telemetry", 1),
    ("timing", 1),
    ("dotenv", 1),
    ("js_literal", 1),
    ("transform", 2),
    ("css", 2),
    ("css_diff", 2),
    ("css_modules", 2),
    ("inputs", 3),
    ("source_text", 3),
    ("files", 3),
    ("resolver", 3),
    ("tsconfig", 3),
    ("package_type", 3),
    ("cache", 3),
    ("plugin_cache", 3),
    ("last_page", 3),
    ("db", 3),
    ("memory", 3),
    ("queries", 4),
    ("plan", 5),
    ("warm_up", 5),
    ("host", 5),
    ("update", 6),
    ("server_update", 6),
    ("devloop", 7),
    // Test support (`cfg(test)` or the `testing` feature) may use anything.
    ("testing", 8),
    ("watcher", 1),
];

/// `crate::<module>` names in the non-test code of `text`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Test code sits in `#[cfg(test)] mod tests { ... }` at the end of a file or in files of
    // its own (skipped by the caller).
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The module each source file belongs to (`queries/emit.rs` → `queries`); `None` for the
/// crate root and test-only files.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    let file = rel.file_name()?.to_string_lossy();
    if name == "lib" || name == "tests" || file == "tests.rs" || file == "fuzz.rs" {
        return None;
    }
    Some(name)
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("engine/src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn engine_modules_import_only_their_own_layer_or_below_and_never_in_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).expect("under src");
        let Some(module) = module_of(rel) else {
            continue;
        };
        let Some(&own) = layer.get(module.as_str()) else {
            problems.push(format!(
                "{}: module `{module}` is not in LAYERS",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).expect("read");
        for used in uses(&text) {
            if used == module {
                continue;
            }
            match layer.get(used.as_str()) {
                Some(&theirs) if theirs > own => problems.push(format!(
                    "{}: `{module}` (layer {own}) uses `crate::{used}` (layer {theirs})",
                    rel.display()
                )),
                Some(_) => {
                    edges.entry(module.clone()).or_default().insert(used);
                }
                None => problems.push(format!(
                    "{}: `crate::{used}` is not a module in LAYERS",
                    rel.display()
                )),
            }
        }
    }
    // No cycle among modules (within a layer, the only place one could hide).
    let mut state: BTreeMap<&str, u8> = BTreeMap::new(); // 1 visiting, 2 done
    fn visit<'a>(
        module: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
        problems: &mut Vec<String>,
    ) {
        match state.get(module) {
            Some(2) => return,
            Some(1) => {
                let at = path.iter().position(|m| *m == module).unwrap_or(0);
                problems.push(format!("cycle: {} -> {module}", path[at..].join(" -> ")));
                return;
            }
            _ => {}
        }
        state.insert(module, 1);
        path.push(module);
        for next in edges.get(module).into_iter().flatten() {
            visit(next, edges, state, path, problems);
        }
        path.pop();
        state.insert(module, 2);
    }
    for module in edges.keys() {
        visit(module, &edges, &mut state, &mut Vec::new(), &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The test can fail: the table is not vacuous.
    assert!(edges.get("queries").is_some_and(|e| e.contains("db")));
}
