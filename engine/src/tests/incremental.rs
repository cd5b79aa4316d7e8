//! The host on real temp dirs, as data: `check(fixture, edits, expect![..])` (see
//! `crate::testing`) writes the fixture, applies each edit, and snapshots which queries each
//! edit executed and reused (counted through salsa's events), what the host took from the disk,
//! what the build reports and the update the planner makes of it. What is not a query list
//! (served bytes, resolutions, module code) is asserted by hand next to the check.

use std::sync::Arc;

use expect_test::{Expect, expect};

use crate::cache::CompileCache;
use crate::db::{Db as _, QueryEventKind};
use crate::graph::{ModuleIndex, ModuleKind};
use crate::host::EngineHost;
use crate::inputs::ProjectOptions;
use crate::queries::imports::module_imports;
use crate::queries::resolve::{Resolution, resolved_imports};
use crate::testing::{Incremental, TempProject, check, sent_modules};
use hotloop_protocol::ModuleMap;

const HTML: &str = "//- /index.html\n<!doctype html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>\n<script type=\"module\" src=\"/src/main.js\"></script>\n</body>\n</html>\n";

const THREE_MODULES: &str = r#"
//- /src/main.js
import { a } from './a.js';
import { b } from './b.js';
console.log(a() + b());
//- /src/a.js
export function a() {
  return 1;
}
//- /src/b.js
export function b() {
  return 2;
}
"#;

fn three_modules() -> String {
    [HTML, THREE_MODULES].concat()
}

/// `specifier -> module id` for every import of `path` (`!empty`, `!missing: reason`), one a
/// line.
#[track_caller]
fn check_resolutions(p: &Incremental, path: &str, expect: Expect) {
    let db = p.host.db();
    let file = p
        .host
        .file(&p.path(path))
        .unwrap_or_else(|| panic!("{path} is not a known file"));
    let lines: Vec<String> = resolved_imports(db, file)
        .iter()
        .map(|r| {
            let target = match &r.resolution {
                Resolution::File(target) => p.project.id(target.path(db)),
                Resolution::Empty => "!empty".to_string(),
                Resolution::NotFound { message } => format!("!missing: {message}"),
                Resolution::External { url } => format!("!external: {url}"),
            };
            format!("{} -> {target}\n", r.specifier)
        })
        .collect();
    expect.assert_eq(&lines.concat());
}

fn index(p: &Incremental, id: &str) -> ModuleIndex {
    p.host
        .graph()
        .expect("built")
        .graph
        .index_of(id)
        .unwrap_or_else(|| panic!("{id} is not in the graph"))
}

// ---------------------------------------------------------------- edits

#[test]
fn editing_a_function_body_reruns_only_that_files_parse_and_emit() {
    let mut p = check(
        &three_modules(),
        &["//- /src/a.js\nexport function a() {\n  return 40 + 2;\n}\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /src/a.js
              applied: files [/src/a.js]
              queries:
                chunk_entry: ran /src/a.js
                emitted_module: ran /src/a.js
                hot_meta: ran /src/a.js
                import_specifiers: reused /src/a.js
                module_deps: reused /src/a.js
                module_diagnostics: ran /src/a.js
                module_imports: ran /src/a.js
                parsed_module: ran /src/a.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/a.js
              changed: /src/a.js
              plan: reload: /src/a.js changed and no module accepts it (via /src/a.js <- /src/main.js)
        "#]],
    );
    assert!(p.chunk().contains("40+2"));
}

#[test]
fn saving_identical_text_reruns_nothing_and_reports_no_change() {
    check(
        &three_modules(),
        &["//- /src/a.js\nexport function a() {\n  return 1;\n}\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /src/a.js
              applied: nothing
              queries: none
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn adding_an_import_re_resolves_only_that_file_and_updates_the_graph() {
    check(
        &[HTML, THREE_MODULES, "//- /src/c.js\nexport const c = 3;\n"].concat(),
        &["//- /src/a.js\nimport { c } from './c.js';\nexport function a() {\n  return c;\n}\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /src/a.js
              applied: files [/src/a.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                emitted_module: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                html_entries: reused project
                import_specifiers: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                index_text: reused project
                module_deps: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                module_diagnostics: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                module_graph: ran project
                module_imports: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                parsed_module: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/a.js /src/c.js; reused /src/b.js /src/main.js
              changed: /src/a.js /src/c.js
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js -> /src/c.js
                /src/b.js
                /src/c.js
              plan: reload: /src/a.js changed and no module accepts it (via /src/a.js <- /src/main.js)
        "#]],
    );
}

#[test]
fn creating_the_missing_file_fixes_the_import() {
    let mut p = check(
        &[
            HTML,
            "//- /src/main.js\nimport { x } from './missing.js';\nconsole.log(x);\n",
        ]
        .concat(),
        &["//- /src/missing.js\nexport const x = 1;\n"],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:19: Cannot resolve './missing.js' from /src/main.js: no such file
            create /src/missing.js
              applied: epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js /src/missing.js
                emitted_module: ran /src/missing.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/missing.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: ran /src/missing.js; reused /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js /src/missing.js
                module_diagnostics: ran /src/main.js /src/missing.js
                module_graph: ran project
                module_imports: ran /src/missing.js; reused /src/main.js
                parsed_module: ran /src/missing.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js /src/missing.js
              changed: /src/main.js /src/missing.js
              graph:
                /src/main.js -> /src/missing.js
                /src/missing.js
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.chunk().contains(r#"{"./missing.js":1}"#));
}

#[test]
fn deleting_a_file_turns_importers_imports_into_errors_and_restoring_heals_them() {
    let mut p = check(
        &three_modules(),
        &["//- rm /src/b.js"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            delete /src/b.js
              applied: files [/src/b.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js
                emitted_module: reused /src/a.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: reused /src/a.js /src/main.js
                parsed_module: reused /src/a.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
              diagnostics:
                Resolve /src/main.js:2:19: Cannot resolve './b.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.chunk().contains(r#""./b.js":null"#));
    p.check(
        &["//- /src/b.js\nexport function b() {\n  return 2;\n}\n"],
        expect![[r#"
            create /src/b.js
              applied: files [/src/b.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js /src/b.js
                emitted_module: ran /src/b.js; reused /src/a.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/b.js; reused /src/a.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/b.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js /src/b.js
                module_diagnostics: ran /src/b.js /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: ran /src/b.js; reused /src/a.js /src/main.js
                parsed_module: ran /src/b.js; reused /src/a.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/b.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
}

#[test]
fn a_body_edit_that_breaks_the_syntax_reports_it_and_the_fix_clears_it() {
    let mut p = check(
        &three_modules(),
        &["//- /src/b.js\nexport function b() {\n  return (;\n}\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /src/b.js
              applied: files [/src/b.js]
              queries:
                chunk_entry: ran /src/b.js
                emitted_module: ran /src/b.js
                import_specifiers: reused /src/b.js
                module_diagnostics: ran /src/b.js
                module_imports: ran /src/b.js
                parsed_module: ran /src/b.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/b.js
              changed: nothing
              diagnostics:
                Syntax /src/b.js:2:11: Expression expected
              plan: nothing
        "#]],
    );
    // The browser keeps running the last good code: nothing to send, the chunk keeps it too.
    assert!(p.chunk().contains("return 2"));
    p.check(
        &["//- /src/b.js\nexport function b() {\n  return 3;\n}\n"],
        expect![[r#"
            edit /src/b.js
              applied: files [/src/b.js]
              queries:
                chunk_entry: ran /src/b.js
                emitted_module: ran /src/b.js
                hot_meta: ran /src/b.js
                import_specifiers: reused /src/b.js
                module_deps: reused /src/b.js
                module_diagnostics: ran /src/b.js
                module_imports: ran /src/b.js
                parsed_module: ran /src/b.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/b.js
              changed: /src/b.js
              diagnostics: none
              plan: reload: /src/b.js changed and no module accepts it (via /src/b.js <- /src/main.js)
        "#]],
    );
    assert!(p.chunk().contains("__hotloop.define(\"/src/b.js\""));
}

#[test]
fn a_syntax_error_keeps_the_modules_imports_in_the_graph_and_the_page() {
    let fixture = r#"
//- /src/main.js
import { App } from './App.js';
App();
//- /src/App.js
import './App.css';
import { label } from './label.js';
export function App() {
  return label;
}
//- /src/App.css
.app { color: red; }
//- /src/label.js
export const label = 'hi';
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[
            "//- /src/App.js\nimport './App.css';\nimport { label } from './label.js';\nexport function App() {\n  return (label;\n}\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/App.js
                /src/App.js: self -> /src/App.css /src/label.js
                /src/App.css: self
                /src/label.js
            edit /src/App.js
              applied: files [/src/App.js]
              queries:
                chunk_entry: ran /src/App.js
                emitted_module: ran /src/App.js
                import_specifiers: ran /src/App.js
                module_diagnostics: ran /src/App.js
                module_imports: ran /src/App.js
                parsed_module: ran /src/App.js
                react_ignores_jsx_source: reused project
                resolved_imports: ran /src/App.js
              changed: nothing
              diagnostics:
                Syntax /src/App.js:4:16: Expected ',', got ';'
              plan: nothing
        "#]],
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains("return _label.label;"),
        "last good App.js kept: {chunk}"
    );
    assert!(chunk.contains("__hotloop.define(\"/src/App.css\""));
    // A page loaded now waits for the build error before naming what it lacks.
    assert!(
        chunk.contains("\"buildErrors\":true"),
        "the start call says the build has errors: {chunk}"
    );
    p.check(
        &["//- /src/App.js\nimport './App.css';\nimport { label } from './label.js';\nexport function App() {\n  return label + '!';\n}\n"],
        expect![[r#"
            edit /src/App.js
              applied: files [/src/App.js]
              queries:
                chunk_entry: ran /src/App.js
                emitted_module: ran /src/App.js
                hot_meta: ran /src/App.js
                import_specifiers: ran /src/App.js
                module_deps: ran /src/App.js
                module_diagnostics: ran /src/App.js
                module_imports: ran /src/App.js
                parsed_module: ran /src/App.js; reused /src/label.js
                react_ignores_jsx_source: reused project
                resolved_imports: ran /src/App.js
              changed: /src/App.js
              diagnostics: none
              plan: hot send=[/src/App.js] invalidate=[/src/App.js] boundaries=[/src/App.js self]
        "#]],
    );
    assert!(
        !p.chunk().contains("buildErrors"),
        "fixed: no errors to wait for"
    );
}

#[test]
fn editing_a_file_outside_the_graph_twice_costs_nothing_the_second_time() {
    // The first event for a path nobody referenced could be a creation.
    check(
        &[HTML, THREE_MODULES, "//- /notes.txt\nhello\n"].concat(),
        &[
            "//- /notes.txt\nhello again\n",
            "//- /notes.txt\nhello once more\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /notes.txt
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/a.js /src/b.js /src/main.js
                emitted_module: reused /src/a.js /src/b.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/b.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/b.js /src/main.js
                index_text: reused project
                module_deps: reused /src/a.js /src/b.js /src/main.js
                module_diagnostics: reused /src/a.js /src/b.js /src/main.js
                module_graph: reused project
                module_imports: reused /src/a.js /src/b.js /src/main.js
                parsed_module: reused /src/a.js /src/b.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/b.js /src/main.js
              changed: nothing
              plan: nothing
            edit /notes.txt
              applied: nothing
              queries: none
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn editing_index_html_rebuilds_the_page() {
    let mut p = check(
        &three_modules(),
        &[
            "//- /index.html\n<head><title>new</title></head><script type=\"module\" src=\"/src/main.js\"></script>\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            edit /index.html
              applied: files [/index.html], html
              queries:
                chunk: reused project
                chunk_entry: reused /src/a.js /src/b.js /src/main.js
                emitted_module: reused /src/a.js /src/b.js /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/b.js /src/main.js
                html_entries: ran project
                import_specifiers: reused /src/a.js /src/b.js /src/main.js
                index_text: ran project
                module_deps: reused /src/a.js /src/b.js /src/main.js
                module_diagnostics: reused /src/a.js /src/b.js /src/main.js
                module_graph: ran project
                module_imports: reused /src/a.js /src/b.js /src/main.js
                parsed_module: reused /src/a.js /src/b.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: reused /src/a.js /src/b.js /src/main.js
              changed: nothing
              html changed
              plan: reload: index.html changed
        "#]],
    );
    let served = p.served(2);
    assert!(served.html.expect("html").contains("<title>new</title>"));
}

#[test]
fn a_watched_file_that_turns_empty_is_deferred_until_read_again() {
    check(
        &[HTML, "//- /src/main.js\nimport { a } from './a.js';\nconsole.log(a);\n//- /src/a.js\nexport const a = 1;\n"].concat(),
        &[
            // Caught between a truncate and the write: nothing is taken yet.
            "//- watched\n//- /src/a.js\n",
            // The write lands: the next watched read takes it as usual.
            "//- watched\n//- /src/a.js\nexport const a = 2;\n",
            // A file really emptied: deferred once, then taken by the re-read.
            "//- watched\n//- /src/a.js\n",
            "//- report /src/a.js",
            // A file that was empty already, or a new empty file, is never deferred.
            "//- /src/a.js\nexport const a = 3;\n",
            "//- watched\n//- /src/b.js\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
            watched: edit /src/a.js
              applied: deferred [/src/a.js]
              queries: none
              changed: nothing
              plan: nothing
            watched: edit /src/a.js
              applied: files [/src/a.js]
              queries:
                chunk_entry: ran /src/a.js
                emitted_module: ran /src/a.js
                hot_meta: ran /src/a.js
                import_specifiers: reused /src/a.js
                module_deps: reused /src/a.js
                module_diagnostics: ran /src/a.js
                module_imports: ran /src/a.js
                parsed_module: ran /src/a.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/a.js
              changed: /src/a.js
              plan: reload: /src/a.js changed and no module accepts it (via /src/a.js <- /src/main.js)
            watched: edit /src/a.js
              applied: deferred [/src/a.js]
              queries: none
              changed: nothing
              plan: nothing
            report /src/a.js
              applied: files [/src/a.js]
              queries:
                chunk: reused project
                chunk_entry: ran /src/a.js; reused /src/main.js
                emitted_module: ran /src/a.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/a.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: reused /src/a.js /src/main.js
                module_diagnostics: ran /src/a.js; reused /src/main.js
                module_graph: ran project
                module_imports: ran /src/a.js; reused /src/main.js
                parsed_module: ran /src/a.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: reused /src/a.js /src/main.js
              changed: /src/a.js
              plan: reload: /src/a.js changed and no module accepts it (via /src/a.js <- /src/main.js)
            edit /src/a.js
              applied: files [/src/a.js]
              queries:
                chunk: reused project
                chunk_entry: ran /src/a.js; reused /src/main.js
                emitted_module: ran /src/a.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/a.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: reused /src/a.js /src/main.js
                module_diagnostics: ran /src/a.js; reused /src/main.js
                module_graph: ran project
                module_imports: ran /src/a.js; reused /src/main.js
                parsed_module: ran /src/a.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: reused /src/a.js /src/main.js
              changed: /src/a.js
              plan: reload: /src/a.js changed and no module accepts it (via /src/a.js <- /src/main.js)
            watched: create /src/b.js
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/a.js /src/main.js
                emitted_module: reused /src/a.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: reused /src/a.js /src/main.js
                module_diagnostics: reused /src/a.js /src/main.js
                module_graph: reused project
                module_imports: reused /src/a.js /src/main.js
                parsed_module: reused /src/a.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/main.js
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn rescan_re_reads_every_known_file() {
    // Changes the watcher never reported.
    let mut p = check(
        &three_modules(),
        &[
            "//- rescan\n//- /src/a.js\nexport function a() {\n  return 'rescanned';\n}\n//- rm /src/b.js",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/a.js /src/b.js
                /src/a.js
                /src/b.js
            rescan: edit /src/a.js, delete /src/b.js
              applied: files [/src/a.js /src/b.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/a.js /src/main.js
                emitted_module: ran /src/a.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/a.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/a.js /src/main.js
                module_graph: ran project
                module_imports: ran /src/a.js; reused /src/main.js
                parsed_module: ran /src/a.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/main.js
              changed: /src/main.js /src/a.js
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
              diagnostics:
                Resolve /src/main.js:2:19: Cannot resolve './b.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.chunk().contains("rescanned"));
}

#[test]
fn deleting_a_directory_without_events_for_its_files_still_updates_them() {
    check(
        &[HTML, "//- /src/main.js\nimport { x } from './lib/x.js';\nconsole.log(x);\n//- /src/lib/x.js\nexport const x = 1;\n"].concat(),
        &["//- rm /src/lib"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/lib/x.js
                /src/lib/x.js
            delete /src/lib
              applied: files [/src/lib/x.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js
                emitted_module: reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js
                module_diagnostics: ran /src/main.js
                module_graph: ran project
                module_imports: reused /src/main.js
                parsed_module: reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:19: Cannot resolve './lib/x.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
}

#[test]
fn a_directory_restored_in_one_event_brings_its_files_back() {
    let mut p = check(
        &[HTML, "//- /src/main.js\nimport { x } from './lib/x.js';\nconsole.log(x);\n//- /src/lib/x.js\nexport const x = 1;\n"].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/lib/x.js
                /src/lib/x.js
        "#]],
    );
    let dir = p.path("/src/lib");
    let stash = p.path("/stash");
    std::fs::rename(&dir, &stash).expect("move out");
    p.host.apply_changes(std::slice::from_ref(&dir));
    p.build();
    assert_eq!(p.diagnostics().len(), 1);
    std::fs::rename(&stash, &dir).expect("move back");
    p.check(
        &["//- report /src/lib"],
        expect![[r#"
            report /src/lib
              applied: files [/src/lib/x.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/lib/x.js
                emitted_module: ran /src/lib/x.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/lib/x.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/lib/x.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/lib/x.js
                module_diagnostics: ran /src/lib/x.js /src/main.js
                module_graph: ran project
                module_imports: ran /src/lib/x.js; reused /src/main.js
                parsed_module: ran /src/lib/x.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/lib/x.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/lib/x.js
                /src/lib/x.js
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
}

// ---------------------------------------------------------------- resolution

const PACKAGES: &str = r#"
//- /node_modules/cond/package.json
{ "name": "cond", "exports": {
    ".": { "node": "./node.js", "browser": { "development": "./browser-dev.js", "default": "./browser.js" }, "default": "./default.js" },
    "./sub": "./sub/index.js"
} }
//- /node_modules/cond/node.js
module.exports = 'node';
//- /node_modules/cond/browser-dev.js
module.exports = 'browser-dev';
//- /node_modules/cond/browser.js
module.exports = 'browser';
//- /node_modules/cond/default.js
module.exports = 'default';
//- /node_modules/cond/sub/index.js
module.exports = 'sub';
//- /node_modules/dual/package.json
{ "name": "dual", "exports": { "import": "./esm.mjs", "require": "./cjs.cjs" } }
//- /node_modules/dual/esm.mjs
export default 'esm';
//- /node_modules/dual/cjs.cjs
module.exports = 'cjs';
//- /node_modules/remap/package.json
{ "name": "remap", "main": "./index.js", "browser": { "./server.js": "./client.js", "fs": false } }
//- /node_modules/remap/index.js
const server = require('./server.js');
const fs = require('fs');
module.exports = server + typeof fs;
//- /node_modules/remap/server.js
module.exports = 'server';
//- /node_modules/remap/client.js
module.exports = 'client';
//- /node_modules/modpkg/package.json
{ "name": "modpkg", "main": "./main.js", "module": "./module.js" }
//- /node_modules/modpkg/main.js
module.exports = 'main';
//- /node_modules/modpkg/module.js
export default 'module';
//- /node_modules/modpkg/extra.js
export default 'extra';
//- /node_modules/mainpkg/package.json
{ "name": "mainpkg", "main": "./lib/main.js" }
//- /node_modules/mainpkg/lib/main.js
module.exports = 'main only';
"#;

/// An npm package's CommonJS file reaches the page as written (its comments kept, its dead
/// branch cut, `process.env.NODE_ENV` replaced); the app's own CommonJS file is compiled.
#[test]
fn a_packages_commonjs_file_is_served_as_written_and_the_apps_is_compiled() {
    let files = r#"
//- /src/main.js
import pkg from 'pkg';
import own from './own.cjs';
console.log(pkg, own);
//- /src/own.cjs
/* the app's own */ module.exports = process.env.NODE_ENV;
//- /node_modules/pkg/package.json
{ "name": "pkg", "main": "./index.js" }
//- /node_modules/pkg/index.js
/* the package's */
if (process.env.NODE_ENV === 'production') module.exports = require('./prod.js');
else module.exports = require('./dev.js');
//- /node_modules/pkg/dev.js
module.exports = 'dev';
//- /node_modules/pkg/prod.js
module.exports = 'prod';
"#;
    let mut p = Incremental::new(&[HTML, files].concat());
    p.build();
    let chunk = p.chunk();
    assert!(
        chunk.contains("/* the package's */\n{\nmodule.exports = require('./dev.js');}"),
        "{chunk}"
    );
    assert!(!chunk.contains("the app's own"), "{chunk}");
    assert!(chunk.contains("module.exports=\"development\""), "{chunk}");
    assert!(!p.module_ids().iter().any(|id| id.ends_with("prod.js")));
}

#[test]
fn bare_specifiers_resolve_through_node_modules() {
    let main = r#"
//- /src/main.js
import cond from 'cond';
import sub from 'cond/sub';
import dual from 'dual';
import remap from 'remap';
import mod from 'modpkg';
import extra from 'modpkg/extra.js';
import main from 'mainpkg';
const dualCjs = require('dual');
console.log(cond, sub, dual, remap, mod, extra, main, dualCjs);
"#;
    let mut p = Incremental::new(&[HTML, PACKAGES, main].concat());
    p.build();
    check_resolutions(
        &p,
        "/src/main.js",
        expect![[r#"
        cond -> /node_modules/cond/browser-dev.js
        cond/sub -> /node_modules/cond/sub/index.js
        dual -> /node_modules/dual/esm.mjs
        remap -> /node_modules/remap/index.js
        modpkg -> /node_modules/modpkg/module.js
        modpkg/extra.js -> /node_modules/modpkg/extra.js
        mainpkg -> /node_modules/mainpkg/lib/main.js
        dual -> /node_modules/dual/cjs.cjs
    "#]],
    );
    check_resolutions(
        &p,
        "/node_modules/remap/index.js",
        expect![[r#"
        ./server.js -> /node_modules/remap/client.js
        fs -> !empty
    "#]],
    );
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    assert!(chunk.starts_with("__hotloop.define(\"/@hotloop/empty\",{},"));
    assert!(
        chunk.contains(r#"{"./server.js":"/node_modules/remap/client.js","fs":"/@hotloop/empty"}"#)
    );
}

/// A URL is the browser's to load (Vite leaves it too): no module of the graph, no error, and
/// the deps map names the URL (the runtime defines it as a module that waits for `import()`).
#[test]
fn a_url_import_is_left_to_the_browser() {
    let main = r#"
//- /src/main.js
import confetti from 'https://esm.sh/canvas-confetti@1';
import { n } from 'data:text/javascript,export const n = 1;';
console.log(confetti, n, import('https://esm.sh/other'));
"#;
    let mut p = Incremental::new(&[HTML, main].concat());
    p.build();
    check_resolutions(
        &p,
        "/src/main.js",
        expect![[r#"
            https://esm.sh/canvas-confetti@1 -> !external: https://esm.sh/canvas-confetti@1
            data:text/javascript,export const n = 1; -> !external: data:text/javascript,export const n = 1;
            https://esm.sh/other -> !external: https://esm.sh/other
        "#]],
    );
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(p.module_ids(), ["/src/main.js"]);
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#""https://esm.sh/canvas-confetti@1":"https://esm.sh/canvas-confetti@1""#),
        "{chunk}"
    );
}

#[test]
fn an_alias_like_specifier_with_no_file_is_no_package_to_install() {
    check(
        &[
            HTML,
            "//- /src/main.js\nimport Nope from '@/components/Nope';\nimport x from '~/x';\nimport C from '@ui/Counter';\nconsole.log(Nope, x, C);\n",
        ]
        .concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:18: Cannot resolve '@/components/Nope' from /src/main.js: no such file: '@/components' names no npm package and no alias maps it (if it is one, check the config's resolve.alias, or the paths of the tsconfig that includes this file, and that its target exists)
                Resolve /src/main.js:2:15: Cannot resolve '~/x' from /src/main.js: no such file: '~' names no npm package and no alias maps it (if it is one, check the config's resolve.alias, or the paths of the tsconfig that includes this file, and that its target exists)
                Resolve /src/main.js:3:15: Cannot resolve '@ui/Counter' from /src/main.js: no such file: '@ui/Counter' names no npm package and no alias maps it (if it is one, check the config's resolve.alias, or the paths of the tsconfig that includes this file, and that its target exists)
        "#]],
    );
}

#[test]
fn a_missing_package_names_the_importer_the_specifier_and_the_install_command() {
    let p = check(
        &[
            HTML,
            "//- /src/main.js\nimport pad from 'left-pad/index.js';\nconsole.log(pad);\n",
        ]
        .concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:17: Cannot resolve 'left-pad/index.js' from /src/main.js: package 'left-pad' is not installed (run `npm install left-pad`)
        "#]],
    );
    let diagnostics = p.host.diagnostics();
    assert!(
        diagnostics[0].code_frame.contains("> 1 | import pad"),
        "{}",
        diagnostics[0].code_frame
    );
}

#[test]
fn a_package_whose_entry_file_is_missing_says_so_and_names_its_package_json() {
    check(
        &[
            HTML,
            "//- /src/main.js\nimport { greet } from 'legacy';\nimport x from 'legacy/x.js';\nimport bare from 'bare';\nconsole.log(greet, x, bare);\n",
            "//- /node_modules/legacy/package.json\n{ \"name\": \"legacy\", \"main\": \"index.js\" }\n",
            "//- /node_modules/bare/README.md\nits package.json deleted\n",
        ]
        .concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:23: Cannot resolve 'legacy' from /src/main.js: package 'legacy' has no entry file: the main, module or exports of <root>/node_modules/legacy/package.json name no file that exists (build the package, or fix its package.json)
                Resolve /src/main.js:2:15: Cannot resolve 'legacy/x.js' from /src/main.js: package 'legacy' has no file for 'legacy/x.js'
                Resolve /src/main.js:3:18: Cannot resolve 'bare' from /src/main.js: package 'bare' has no package.json, nor an index.js, in <root>/node_modules/bare (restore its package.json, or install the package again)
        "#]],
    );
}

#[test]
#[cfg(unix)]
fn a_workspace_package_whose_link_points_at_nothing_says_to_link_again() {
    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nimport { Button } from '@acme/ui';\nconsole.log(Button);\n",
        ]
        .concat(),
    );
    // `packages/ui` moved: npm's link to it is left behind.
    let root = p.project.root().to_path_buf();
    let scope = root.join("node_modules/@acme");
    std::fs::create_dir_all(&scope).unwrap();
    std::os::unix::fs::symlink("../../packages/ui", scope.join("ui")).unwrap();
    p.build();
    let diagnostics = p.host.diagnostics();
    let message = &diagnostics[0].message;
    let expected = format!(
        "{} links to {}, which does not exist (a workspace package moved or deleted? run `npm \
         install` to link the packages again)",
        scope.join("ui").display(),
        root.join("packages/ui").display()
    );
    assert!(message.ends_with(&expected), "{message}");
}

#[test]
fn typescript_imports_resolve_with_extension_aliases_and_tsconfig_paths() {
    let mut p = Incremental::new(
        r#"
//- /index.html
<script type="module" src="/src/main.ts"></script>
//- /tsconfig.json
{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } } }
//- /src/main.ts
import { util } from './util.js';
import { helper } from '@/lib/helper';
import './dir';
console.log(util, helper);
//- /src/util.ts
export const util: number = 1;
//- /src/lib/helper.tsx
export const helper = 2;
//- /src/dir/index.ts
export {};
"#,
    );
    p.build();
    check_resolutions(
        &p,
        "/src/main.ts",
        expect![[r#"
        ./util.js -> /src/util.ts
        @/lib/helper -> /src/lib/helper.tsx
        ./dir -> /src/dir/index.ts
    "#]],
    );
}

#[test]
fn a_node_builtin_without_a_browser_remap_is_reported_as_such() {
    check(
        &[HTML, "//- /src/main.js\nimport fs from 'node:fs';\nimport path from 'path';\nconsole.log(fs, path);\n"].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:16: Cannot resolve 'node:fs' from /src/main.js: 'fs' is a Node.js built-in module, which does not exist in the browser
                Resolve /src/main.js:2:18: Cannot resolve 'path' from /src/main.js: 'path' is a Node.js built-in module, which does not exist in the browser
        "#]],
    );
}

#[test]
fn optional_requires_inside_node_modules_are_not_errors_but_static_imports_are() {
    let fixture = r#"
//- /src/main.js
import 'opt';
//- /node_modules/opt/package.json
{ "name": "opt", "main": "index.js" }
//- /node_modules/opt/index.js
let enc;
try {
  enc = require('encoding');
} catch (e) {}
import('also-optional').catch(() => {});
export { enc };
export * from 'really-needed';
"#;
    check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js -> /node_modules/opt/index.js
            /node_modules/opt/index.js
          diagnostics:
            Resolve /node_modules/opt/index.js:7:15: Cannot resolve 'really-needed' from /node_modules/opt/index.js: package 'really-needed' is not installed (run `npm install really-needed`)
    "#]],
    );
}

#[test]
fn node_modules_files_are_high_durability_so_source_edits_skip_revalidating_them() {
    let mut p = Incremental::new(&[HTML, PACKAGES, "//- /src/main.js\nimport m from 'mainpkg';\nimport { x } from './x.js';\nconsole.log(m, x);\n//- /src/x.js\nexport const x = 1;\n//- /src/y.js\nexport const y = 2;\n"].concat());
    p.build();
    let file = |p: &Incremental, path: &str| p.host.file(&p.path(path)).expect("known");
    let dep = file(&p, "/node_modules/mainpkg/lib/main.js");
    let x = file(&p, "/src/x.js");
    module_imports(p.host.db(), dep);
    module_imports(p.host.db(), x);
    p.host.take_query_runs();

    // An app file (`MEDIUM` durability, below `node_modules`' `HIGH`) changes...
    let main = p.project.write(
        "/src/main.js",
        "import m from 'mainpkg';\nimport { x } from './x.js';\nconsole.log(x, m);\n",
    );
    p.host.apply_changes(&[main]);
    module_imports(p.host.db(), dep);
    let dep_runs = p.host.take_query_runs();
    module_imports(p.host.db(), x);
    let src_runs = p.host.take_query_runs();
    // ...so the source file's memo is validated through its dependencies, while the
    // node_modules one is validated by durability alone.
    let names = |runs: &[crate::host::QueryRun]| {
        runs.iter().map(|r| r.query.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(names(&dep_runs), ["module_imports"]);
    assert!(
        names(&src_runs).contains(&"parsed_module".to_string()),
        "{src_runs:?}"
    );
}

#[test]
fn changing_a_package_json_moves_the_epoch_and_re_resolves_bare_imports() {
    let mut p = Incremental::new(&[HTML, PACKAGES, "//- /src/main.js\nimport m from 'mainpkg';\nconsole.log(m);\n//- /node_modules/mainpkg/lib/other.js\nmodule.exports = 'other';\n"].concat());
    p.check(
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js -> /node_modules/mainpkg/lib/main.js
            /node_modules/mainpkg/lib/main.js
    "#]],
    );
    check_resolutions(
        &p,
        "/src/main.js",
        expect![[r#"
        mainpkg -> /node_modules/mainpkg/lib/main.js
    "#]],
    );
    p.check(
        &["//- /node_modules/mainpkg/package.json\n{ \"name\": \"mainpkg\", \"main\": \"./lib/other.js\" }\n"],
        expect![[r#"
            edit /node_modules/mainpkg/package.json
              applied: config [/node_modules/mainpkg/package.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /node_modules/mainpkg/lib/other.js /src/main.js
                emitted_module: ran /node_modules/mainpkg/lib/other.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /node_modules/mainpkg/lib/other.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: ran /node_modules/mainpkg/lib/other.js; reused /src/main.js
                index_text: reused project
                module_deps: ran /node_modules/mainpkg/lib/other.js /src/main.js
                module_diagnostics: ran /node_modules/mainpkg/lib/other.js /src/main.js
                module_graph: ran project
                module_imports: ran /node_modules/mainpkg/lib/other.js; reused /src/main.js
                parsed_module: ran /node_modules/mainpkg/lib/other.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/mainpkg/lib/other.js /src/main.js
              changed: /src/main.js /node_modules/mainpkg/lib/other.js
              removed: /node_modules/mainpkg/lib/main.js
              packages changed: /node_modules/mainpkg/package.json
              graph:
                /src/main.js -> /node_modules/mainpkg/lib/other.js
                /node_modules/mainpkg/lib/other.js
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    check_resolutions(
        &p,
        "/src/main.js",
        expect![[r#"
        mainpkg -> /node_modules/mainpkg/lib/other.js
    "#]],
    );
}

#[test]
fn a_file_created_in_the_app_resolves_the_apps_imports_again_but_not_the_packages() {
    // An icon library is thousands of modules: each component created in src/ re-resolved
    // every import of every one of them (5 s for the first save of a new file in an MUI app).
    let mut p = check(
        &[
            HTML,
            PACKAGES,
            "//- /src/main.js\nimport m from 'mainpkg';\nimport r from 'remap';\nconsole.log(m, r);\n",
        ]
        .concat(),
        &["//- /src/Widget.js\nexport default 'widget';\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /node_modules/mainpkg/lib/main.js /node_modules/remap/index.js
                /node_modules/mainpkg/lib/main.js
                /node_modules/remap/index.js -> /node_modules/remap/client.js
                /node_modules/remap/client.js
            create /src/Widget.js
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                emitted_module: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                index_text: reused project
                module_deps: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                module_diagnostics: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                module_graph: reused project
                module_imports: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                parsed_module: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js; reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js
              changed: nothing
              plan: nothing
        "#]],
    );
    // A file that comes in a package resolves the packages' imports again.
    p.check(
        &["//- /node_modules/remap/extra.js\nmodule.exports = 'extra';\n"],
        expect![[r#"
            create /node_modules/remap/extra.js
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                emitted_module: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                index_text: reused project
                module_deps: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                module_diagnostics: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                module_graph: reused project
                module_imports: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                parsed_module: reused /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/mainpkg/lib/main.js /node_modules/remap/client.js /node_modules/remap/index.js /src/main.js
              changed: nothing
              plan: nothing
        "#]],
    );
}

#[test]
fn an_npm_install_is_picked_up_through_the_package_lock_marker() {
    // `npm install` rewrites package files (not watched: the watcher stays out of packages),
    // then node_modules/.package-lock.json (watched).
    let mut p = check(
        &[
            HTML,
            PACKAGES,
            "//- /src/main.js\nimport m from 'mainpkg';\nconsole.log(m);\n",
        ]
        .concat(),
        &[
            "//- unreported /node_modules/mainpkg/lib/main.js\nmodule.exports = 'v2';\n//- /node_modules/.package-lock.json\n{ \"lockfileVersion\": 3 }\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /node_modules/mainpkg/lib/main.js
                /node_modules/mainpkg/lib/main.js
            edit /node_modules/mainpkg/lib/main.js (unreported), create /node_modules/.package-lock.json
              applied: files [/node_modules/mainpkg/lib/main.js], config [/node_modules/.package-lock.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                emitted_module: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /node_modules/mainpkg/lib/main.js /src/main.js
                index_text: reused project
                module_deps: reused /node_modules/mainpkg/lib/main.js /src/main.js
                module_diagnostics: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                module_graph: reused project
                module_imports: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                parsed_module: ran /node_modules/mainpkg/lib/main.js; reused /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/mainpkg/lib/main.js /src/main.js
              changed: /node_modules/mainpkg/lib/main.js
              packages changed: /node_modules/.package-lock.json
              plan: reload: /node_modules/mainpkg/lib/main.js changed and no module accepts it (via /node_modules/mainpkg/lib/main.js <- /src/main.js)
        "#]],
    );
    assert!(p.chunk().contains("module.exports = 'v2';"));
}

// ---------------------------------------------------------------- html, css, assets, json

#[test]
fn html_entries_are_collected_and_the_page_is_rewritten() {
    let mut p = check(
        r#"
//- /index.html
<!doctype html>
<html>
<head>
<link rel="stylesheet" href="/src/style.css">
<link rel="stylesheet" href="https://cdn.example/x.css">
<script type="module" src="https://cdn.example/x.js"></script>
</head>
<body>
<script type="module">console.log('inline');</script>
<script type="module" src="/src/main.js"></script>
<script type="module" src="./src/second.js"></script>
</body>
</html>
//- /src/style.css
body { color: red; }
//- /src/main.js
console.log('main');
//- /src/second.js
console.log('second');
"#,
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
                /src/second.js: entry
                /src/style.css: entry, self
        "#]],
    );
    let graph = p.host.graph().expect("built").clone();
    let ids = |indices: &[ModuleIndex]| -> Vec<String> {
        indices
            .iter()
            .map(|&i| graph.graph.module(i).id.to_string())
            .collect()
    };
    assert_eq!(
        ids(&graph.graph.entries),
        ["/src/main.js", "/src/second.js", "/src/style.css"]
    );
    assert_eq!(
        ids(&graph.script_entries),
        ["/src/main.js", "/src/second.js"]
    );
    let css = graph.graph.module(index(&p, "/src/style.css"));
    assert_eq!(css.kind, ModuleKind::Css);
    assert!(css.self_accepts && css.loaded);

    let served = p.host.served(&Arc::from("s1"), 7);
    assert_eq!(
        served.html.as_deref(),
        Some(
            r#"<!doctype html>
<html>
<head><script src="/_hotloop/runtime.js"></script>
<link rel="stylesheet" href="/src/style.css">
<link rel="stylesheet" href="https://cdn.example/x.css">
<script type="module" src="https://cdn.example/x.js"></script>
</head>
<body>
<script type="module">console.log('inline');</script>
<script defer src="/_hotloop/chunk.js"></script>

</body>
</html>
"#
        )
    );
    let chunk = String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8");
    assert!(chunk.ends_with(
        "__hotloop.start([\"/src/main.js\",\"/src/second.js\"], {\"revision\":7,\"serverId\":\"s1\"});\n//# sourceMappingURL=chunk.js.map\n"
    ));
    let style = served.modules.get("/src/style.css").expect("served css");
    assert_eq!(style.stylesheet.as_deref(), Some("body { color: red; }\n"));
}

#[test]
fn without_a_head_the_runtime_goes_before_the_first_script() {
    let mut p = Incremental::new(
        "//- /index.html\n<p>hi</p>\n<script src=\"/legacy.js\"></script>\n<script type=\"module\" src=\"/src/main.js\"></script>\n//- /src/main.js\nexport {};\n",
    );
    p.build();
    assert_eq!(
        p.served(1).html.as_deref(),
        Some(
            "<p>hi</p>\n<script src=\"/_hotloop/runtime.js\"></script><script src=\"/legacy.js\"></script>\n<script defer src=\"/_hotloop/chunk.js\"></script>\n"
        )
    );
}

#[test]
fn a_missing_index_html_is_a_diagnostic_and_a_page_that_says_so() {
    let mut p = check(
        "//- /src/main.js\nexport {};\n",
        &[],
        expect![[r#"
        build
          graph:
          diagnostics:
            Io /index.html:1:1: There is no index.html in <root>: create one with an entry such as <script type="module" src="/src/main.js"></script>
    "#]],
    );
    assert!(p.last().graph().is_empty());
    let html = p.served(1).html.expect("generated page");
    assert!(html.contains(r#"<script src="/_hotloop/runtime.js"></script>"#));
    assert!(html.contains("there is no index.html"));
    // Creating it heals.
    p.check(
        &["//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n"],
        expect![[r#"
            create /index.html
              applied: files [/index.html], html, epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js
                emitted_module: ran /src/main.js
                entry_html: ran project
                file_exists: ran /src/main.js
                hot_meta: ran /src/main.js
                html_entries: ran project
                import_specifiers: ran /src/main.js
                index_text: ran project
                module_deps: ran /src/main.js
                module_diagnostics: ran /src/main.js
                module_graph: ran project
                module_imports: ran /src/main.js
                parsed_module: ran /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: /src/main.js
              html changed
              graph:
                /src/main.js
              diagnostics: none
              plan: reload: index.html changed
        "#]],
    );
}

#[test]
fn a_missing_entry_script_is_reported_against_index_html() {
    check(
        "//- /index.html\n<head></head>\n<script type=\"module\" src=\"/src/nope.js\"></script>\n",
        &[],
        expect![[r#"
            build
              graph:
              diagnostics:
                Resolve /index.html:2:1: Cannot find /src/nope.js (entry script in /index.html)
        "#]],
    );
}

#[test]
fn css_json_and_asset_imports_become_modules() {
    let fixture = r#"
//- /src/main.js
import './a.css';
import data from './data.json';
import logo from './logo.png';
console.log(data, logo);
//- /src/a.css
.a { color: blue; }
//- /src/data.json
{ "answer": 42 }
//- /src/logo.png
not really a png
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js -> /src/a.css /src/data.json /src/logo.png
            /src/a.css: self
            /src/data.json
            /src/logo.png
    "#]],
    );
    let chunk = p.chunk();
    assert!(chunk.contains("$meta.css("), "{chunk}");
    assert!(chunk.contains("42"), "{chunk}");
    // The file's own URL, as Vite's (session 50: it carried `?v=<hash>`).
    assert!(
        chunk.contains("module.exports = \"/src/logo.png\";"),
        "{chunk}"
    );
    // Editing the asset changes its URL: the page's importer runs again with one the browser
    // has not loaded.
    p.check(&["//- /src/logo.png\na different picture\n"], expect![[r#"
        edit /src/logo.png
          applied: files [/src/logo.png]
          queries:
            chunk_entry: ran /src/logo.png
            emitted_module: ran /src/logo.png
            hot_meta: ran /src/logo.png
            import_specifiers: reused /src/logo.png
            module_deps: reused /src/logo.png
            module_diagnostics: ran /src/logo.png
            module_imports: ran /src/logo.png
            parsed_module: ran /src/logo.png
            resolved_imports: reused /src/logo.png
          changed: /src/logo.png
          plan: reload: /src/logo.png changed and no module accepts it (via /src/logo.png <- /src/main.js)
    "#]]);
    let hash = crate::inputs::content_hash(b"a different picture\n");
    let url = format!("module.exports = \"/src/logo.png?v={:08x}\";", hash >> 32);
    let chunk = p.chunk();
    assert!(chunk.contains(&url), "{url} not in {chunk}");
}

#[test]
fn module_code_gives_the_factory_and_the_deps_map() {
    let mut p = Incremental::new(&three_modules());
    p.build();
    let code = p
        .host
        .module_code(index(&p, "/src/main.js"))
        .expect("compiles");
    assert_eq!(&*code.id, "/src/main.js");
    assert_eq!(code.kind, ModuleKind::Js);
    assert!(
        code.code
            .starts_with("(function(module,exports,require,$meta")
    );
    let deps: Vec<_> = code
        .deps
        .iter()
        .map(|(specifier, id)| (specifier.to_string(), id.as_deref().map(str::to_string)))
        .collect();
    assert_eq!(
        deps,
        [
            ("./a.js".to_string(), Some("/src/a.js".to_string())),
            ("./b.js".to_string(), Some("/src/b.js".to_string())),
        ]
    );
    // Dependencies come before their importers in the chunk.
    let chunk = p.chunk();
    let at = |id: &str| chunk.find(&format!("__hotloop.define(\"{id}\"")).expect(id);
    assert!(at("/src/a.js") < at("/src/main.js") && at("/src/b.js") < at("/src/main.js"));
}

const REACT_APP: &str = r#"
//- /src/main.js
import React from 'react';
console.log(React);
//- /node_modules/react/package.json
{ "name": "react", "main": "index.js" }
//- /node_modules/react/index.js
module.exports = { version: 'test' };
"#;

/// React 19 reads neither `source` nor `self` of `jsxDEV`: with it installed the JSX calls
/// leave both out. Upgrading from React 18 recompiles the JSX modules, and only them.
#[test]
fn jsx_dev_calls_carry_their_source_for_react_18_and_not_for_react_19() {
    let app = r#"
//- /src/main.js
import { App } from './App.jsx';
console.log(App);
//- /src/App.jsx
export const App = () => <b>hi</b>;
//- /node_modules/react/package.json
{ "name": "react", "version": "18.3.1", "main": "index.js" }
//- /node_modules/react/index.js
module.exports = {};
//- /node_modules/react/jsx-dev-runtime.js
exports.jsxDEV = function () {};
"#;
    let mut p = Incremental::new(&[HTML, app].concat());
    p.build();
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"{children:"hi"},void 0,false,{fileName:"/src/App.jsx",lineNumber:1,"#),
        "{chunk}"
    );
    p.check(
        &[r#"
//- /node_modules/react/package.json
{ "name": "react", "version": "19.2.0", "main": "index.js" }
"#],
        expect![[r#"
            edit /node_modules/react/package.json
              applied: files [/node_modules/react/package.json], config [/node_modules/react/package.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: ran /src/App.jsx; reused /node_modules/react/jsx-dev-runtime.js /src/main.js
                emitted_module: ran /src/App.jsx /src/main.js; reused /node_modules/react/jsx-dev-runtime.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/App.jsx /src/main.js; reused /node_modules/react/jsx-dev-runtime.js
                html_entries: reused project
                import_specifiers: reused /node_modules/react/jsx-dev-runtime.js /src/App.jsx /src/main.js
                index_text: reused project
                module_deps: reused /node_modules/react/jsx-dev-runtime.js /src/App.jsx /src/main.js
                module_diagnostics: ran /src/App.jsx /src/main.js; reused /node_modules/react/jsx-dev-runtime.js
                module_graph: reused project
                module_imports: ran /src/App.jsx /src/main.js; reused /node_modules/react/jsx-dev-runtime.js
                parsed_module: ran /src/App.jsx /src/main.js; reused /node_modules/react/jsx-dev-runtime.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/react/jsx-dev-runtime.js /src/App.jsx /src/main.js
              changed: /src/App.jsx
              packages changed: /node_modules/react/package.json
              plan: hot send=[/src/App.jsx] invalidate=[/src/App.jsx] boundaries=[/src/App.jsx self]
        "#]],
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"jsxDEV)("b",{children:"hi"},void 0,false)"#)
            && !chunk.contains("fileName"),
        "{chunk}"
    );
}

const REFRESH_TAG: &str = r#"<script src="/_hotloop/react-refresh.js"></script>"#;

#[test]
fn the_client_scripts_urls_name_the_servers_client_version() {
    let options = ProjectOptions {
        client_version: Some("0123456789abcdef".into()),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(&[HTML, REACT_APP].concat(), options);
    p.build();
    let tags = "<script src=\"/_hotloop/runtime.js?v=0123456789abcdef\"></script>\
                <script src=\"/_hotloop/react-refresh.js?v=0123456789abcdef\"></script>";
    let served = p.served(1);
    let html = served.html.expect("html");
    assert!(html.contains(tags), "{html}");
    assert_eq!(&*served.injection.head_tags, tags);
    // The page while the cold build runs names them too.
    let building = p.host.building(&Arc::from("test-server"));
    assert!(building.html.expect("html").contains(tags));
    assert_eq!(&*building.injection.head_tags, tags);
}

/// A module script or stylesheet of the page that no file of the project holds but the server
/// answers as it is (a `public/` file here; a plugin middleware's too) stays in the page for the
/// browser to fetch, as under Vite; a missing one is still an error.
#[test]
fn page_scripts_the_server_answers_as_they_are_stay_native() {
    let page = r#"
//- /index.html
<!doctype html><head><link rel="stylesheet" href="/theme.css"></head>
<body><script type="module" data-kit="base" src="/vendor/kit.js"></script>
<script type="module" src="/src/main.js"></script></body>
//- /public/vendor/kit.js
window.kit = 1;
//- /public/theme.css
body { margin: 0 }
//- /src/main.js
console.log('main');
"#;
    let mut p = Incremental::new(page);
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let html = p.served(1).html.expect("html");
    assert!(
        html.contains(r#"<script type="module" data-kit="base" src="/vendor/kit.js"></script>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/theme.css">"#),
        "{html}"
    );
    assert!(!html.contains(r#"src="/src/main.js""#), "{html}");
    assert!(p.chunk().contains("__hotloop.start([\"/src/main.js\"]"));
}

/// What an entry script's tag says besides loading its module (`id`, `data-*`) stays in the
/// page on an empty module script in its place (an app reads its settings there); a plain
/// entry tag leaves nothing behind.
#[test]
fn an_entry_scripts_own_attributes_stay_in_the_page() {
    let page = r#"
//- /index.html
<!doctype html><body><script type="module" src="/src/main.js" id="app-entry" data-api="/v1?a=1&amp;b=2"></script>
<script type="module" src="/src/second.js"></script></body>
//- /src/main.js
console.log(document.getElementById('app-entry').dataset.api);
//- /src/second.js
console.log('second');
"#;
    let mut p = Incremental::new(page);
    p.build();
    let html = p.served(1).html.expect("html");
    assert!(
        html.contains(r#"<script defer src="/_hotloop/chunk.js"></script><script type="module" id="app-entry" data-api="/v1?a=1&amp;b=2"></script>"#),
        "{html}"
    );
    assert!(!html.contains("second.js"), "{html}");
}

/// `optimizeDeps`' banner (vite-plugin-node-polyfills' `globalThis.Buffer = …`, which heads every
/// pre-bundled chunk under Vite) is the page's first entry, its imports resolved as a module's.
#[test]
fn the_deps_banner_runs_before_the_pages_entries() {
    let app = r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
console.log(globalThis.Shim);
//- /node_modules/shim/package.json
{ "name": "shim", "main": "index.js" }
//- /node_modules/shim/index.js
module.exports = function Shim() {};
"#;
    let options = ProjectOptions {
        deps_banner: Some(
            "import __shim from 'shim'\nglobalThis.Shim = globalThis.Shim || __shim".into(),
        ),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(app, options);
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let chunk = p.chunk();
    assert!(
        chunk.contains("__hotloop.start([\"/index.html?hotloop-deps-banner.js\",\"/src/main.js\"]"),
        "{chunk}"
    );
    assert!(
        chunk.contains(r#"__hotloop.define("/index.html?hotloop-deps-banner.js",{"shim":"/node_modules/shim/index.js"}"#),
        "{chunk}"
    );
}

/// Writes `fixture`'s `index.html` with `from` replaced by `to`, builds, and returns the
/// diagnostic that names the page.
#[track_caller]
fn page_error_after(
    p: &mut Incremental,
    fixture: &str,
    from: &str,
    to: &str,
) -> hotloop_protocol::Diagnostic {
    let page = fixture
        .split("//- /index.html\n")
        .nth(1)
        .and_then(|rest| rest.split("//- ").next())
        .expect("the page");
    p.project.write("index.html", page.replace(from, to));
    p.host.apply_changes(&[p.path("index.html")]);
    let build = p.build();
    build
        .diagnostics
        .iter()
        .find(|d| d.file == "/index.html")
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", build.diagnostics))
}

/// An inline module script that imports what the browser could not load as written (a bare
/// specifier, a relative path) is compiled as Vite compiles it, as an entry of its own in
/// document order (`/index.html?html-proxy&index=0.js`), sharing the app's modules; one that
/// imports nothing stays in the page and runs natively. An edit of the page recompiles it.
#[test]
fn an_inline_module_script_with_imports_is_an_entry_in_document_order() {
    let page = r#"
//- /index.html
<!doctype html>
<html>
<head>
<script type="module">window.native = 1</script>
</head>
<body>
<script type="module">
import { store } from './src/store.js';
import pkg from 'pkg';
store.inline = pkg;
</script>
<script type="module" src="/src/main.js"></script>
</body>
</html>
//- /src/main.js
import { store } from './store.js';
console.log(store);
//- /src/store.js
export const store = {};
//- /node_modules/pkg/package.json
{ "name": "pkg", "main": "index.js" }
//- /node_modules/pkg/index.js
module.exports = 'from pkg';
"#;
    let mut p = Incremental::new(page);
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let html = p.served(1).html.expect("html");
    assert!(
        html.contains("<script type=\"module\">window.native = 1</script>"),
        "{html}"
    );
    assert!(!html.contains("store.inline"), "{html}");
    assert!(!html.contains("src=\"/src/main.js\""), "{html}");
    let chunk = p.chunk();
    assert!(
        chunk.contains("__hotloop.start([\"/index.html?html-proxy&index=1.js\",\"/src/main.js\"]"),
        "{chunk}"
    );
    assert!(
        chunk.contains(r#"__hotloop.define("/index.html?html-proxy&index=1.js",{"./src/store.js":1,"pkg":"/node_modules/pkg/index.js"}"#),
        "{chunk}"
    );
    // A syntax error in it is at its line in the page.
    let d = page_error_after(&mut p, page, "store.inline = pkg;", "store.inline = ;");
    assert_eq!((d.line, d.column), (10, 16), "{d:?}");
    assert!(d.code_frame.contains("> 10 | store.inline = ;"), "{d:?}");
    assert!(d.code_frame.contains("<script type=\"module\">"), "{d:?}");
}

/// An inline `<style>` that needs the CSS pipeline (an `@import` of a package's sheet here) is
/// a stylesheet module of its own (`/index.html?html-proxy&direct&index=1.css`, Vite's id),
/// linked in its place with its attributes; its `@import` is the imported sheet's URL with its
/// version, and its diagnostics are at their line in the page. A plain style stays as written,
/// and an edit of a script does not compile the style again.
#[test]
fn an_inline_style_that_imports_is_a_linked_stylesheet_of_the_page() {
    let page = r#"
//- /index.html
<!doctype html>
<html>
<head>
<style>body { margin: 0 }</style>
<style id="theme" media="screen">
@import "pkg/theme.css";
h1 { color: red }
</style>
<svg><style>@import "./not-a-sheet.css";</style></svg>
</head>
<body><script type="module" src="/src/main.js"></script></body>
</html>
//- /src/main.js
console.log(1);
//- /node_modules/pkg/package.json
{ "name": "pkg", "style": "theme.css" }
//- /node_modules/pkg/theme.css
h1 { font-weight: 400 }
"#;
    const ID: &str = "/index.html?html-proxy&direct&index=1.css";
    let mut p = Incremental::new(page);
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let served = p.served(1);
    let html = served.html.clone().expect("html");
    assert!(html.contains("<style>body { margin: 0 }</style>"), "{html}");
    assert!(
        html.contains(r#"<link rel="stylesheet" href="/index.html?html-proxy&amp;direct&amp;index=1.css" id="theme" media="screen">"#),
        "{html}"
    );
    assert!(!html.contains("h1 { color: red }"), "{html}");
    assert!(
        html.contains(r#"<svg><style>@import "./not-a-sheet.css";</style></svg>"#),
        "{html}"
    );
    let sheet = served
        .modules
        .get(ID)
        .and_then(|m| m.stylesheet.clone())
        .expect("the inline style's sheet");
    assert!(
        sheet.contains("@import \"/node_modules/pkg/theme.css?v="),
        "{sheet}"
    );
    assert!(sheet.contains("h1 { color: red }"), "{sheet}");
    assert_eq!(p.imports_of(ID), ["/node_modules/pkg/theme.css".to_owned()]);

    // A script's edit compiles the script alone.
    p.project.write("src/main.js", "console.log(2);\n");
    p.host.apply_changes(&[p.path("src/main.js")]);
    p.host.build();
    assert_eq!(p.parsed(), crate::testing::id_set(&["/src/main.js"]));

    // An unterminated string in it is at its line in the page.
    let d = page_error_after(&mut p, page, "h1 { color: red }", "h1 { content: \"red }");
    assert_eq!((d.line, d.column), (7, 15), "{d:?}");
    assert!(
        d.code_frame.contains("> 7 | h1 { content: \"red }"),
        "{d:?}"
    );
}

/// Vite's `html.cspNonce`: the page's own scripts, styles and stylesheet or preload links get
/// the nonce (one that has its own keeps it; other links, none), hotloop's tags carry it, and
/// the `<meta property="csp-nonce">` the runtime reads for its styles opens the head.
#[test]
fn a_csp_nonce_goes_on_every_script_style_and_preload_of_the_page() {
    let options = ProjectOptions {
        csp_nonce: Some("r4nd\"0m".into()),
        ..ProjectOptions::default()
    };
    let page = r#"
//- /index.html
<!doctype html>
<html>
<head>
<link rel="stylesheet" href="/src/app.css">
<link rel="modulepreload" href="/src/main.js">
<link rel="icon" href="/favicon.ico">
<style>body { margin: 0 }</style>
<script nonce="own">window.inline = 1</script>
</head>
<body>
<script type="module" src="/src/main.js"></script>
</body>
</html>
//- /src/app.css
body { color: red }
"#;
    let mut p = Incremental::with_options(&[page, REACT_APP].concat(), options);
    p.build();
    let nonce = r#"nonce="r4nd&quot;0m""#;
    let served = p.served(1);
    let html = served.html.expect("html");
    let expected = [
        format!(
            r#"<head><meta property="csp-nonce" {nonce}><script {nonce} src="/_hotloop/runtime.js"></script><script {nonce} src="/_hotloop/react-refresh.js"></script>"#
        ),
        format!(r#"<link rel="stylesheet" href="/src/app.css" {nonce}>"#),
        format!(r#"<link rel="modulepreload" href="/src/main.js" {nonce}>"#),
        r#"<link rel="icon" href="/favicon.ico">"#.to_string(),
        format!(r#"<style {nonce}>body {{ margin: 0 }}</style>"#),
        r#"<script nonce="own">window.inline = 1</script>"#.to_string(),
        format!(r#"<script defer {nonce} src="/_hotloop/chunk.js"></script>"#),
    ];
    for tag in &expected {
        assert!(html.contains(tag.as_str()), "{tag} in\n{html}");
    }
    // The app's server's pages and the page of the cold build get them too.
    assert!(
        served.injection.head_tags.starts_with(&format!(
            r#"<meta property="csp-nonce" {nonce}><script {nonce} "#
        )),
        "{}",
        served.injection.head_tags
    );
    assert!(served.injection.chunk_tag.contains(nonce));
    let building = p.host.building(&Arc::from("test-server"));
    assert!(building.html.expect("html").contains(&expected[0]));
}

#[test]
fn react_refresh_comes_from_the_app_when_installed_else_the_embedded_copy() {
    let mut p = Incremental::new(&[HTML, REACT_APP].concat());
    p.build();
    let served = p.served(1);
    let html = served.html.expect("html");
    assert!(
        html.contains(&format!(
            "<script src=\"/_hotloop/runtime.js\"></script>{REFRESH_TAG}"
        )),
        "the embedded copy loads right after the runtime:\n{html}"
    );
    // The app's server's pages get the same tags.
    assert_eq!(
        &*served.injection.head_tags,
        format!("<script src=\"/_hotloop/runtime.js\"></script>{REFRESH_TAG}")
    );
    assert!(!p.chunk().contains("refreshRuntime"));

    // `npm install react-refresh`: the app's own copy is used from then on.
    p.check(
        &[r#"
//- unreported /node_modules/react-refresh/package.json
{ "name": "react-refresh", "exports": { ".": "./runtime.js", "./runtime": "./runtime.js" } }
//- unreported /node_modules/react-refresh/runtime.js
module.exports = require('./cjs/dev.js');
//- unreported /node_modules/react-refresh/cjs/dev.js
exports.performReactRefresh = function () {};
//- report /node_modules/react-refresh
"#],
        expect![[r#"
            edit /node_modules/react-refresh/package.json (unreported), edit /node_modules/react-refresh/runtime.js (unreported), edit /node_modules/react-refresh/cjs/dev.js (unreported), report /node_modules/react-refresh
              applied: epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                emitted_module: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                html_entries: reused project
                import_specifiers: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                index_text: reused project
                module_deps: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                module_diagnostics: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                module_graph: ran project
                module_imports: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                parsed_module: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js; reused /node_modules/react/index.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/react-refresh/cjs/dev.js /node_modules/react-refresh/runtime.js /node_modules/react/index.js /src/main.js
              changed: /node_modules/react-refresh/runtime.js /node_modules/react-refresh/cjs/dev.js
              html changed
              graph:
                /src/main.js -> /node_modules/react/index.js
                /node_modules/react-refresh/runtime.js -> /node_modules/react-refresh/cjs/dev.js
                /node_modules/react/index.js
                /node_modules/react-refresh/cjs/dev.js
              plan: reload: index.html changed
        "#]],
    );
    let served = p.served(2);
    assert!(!served.html.expect("html").contains(REFRESH_TAG));
    assert!(!served.injection.head_tags.contains(REFRESH_TAG));
    let chunk = p.chunk();
    let refresh = chunk
        .find("__hotloop.define(\"/node_modules/react-refresh/runtime.js\"")
        .expect("the app's react-refresh is in the chunk");
    let main = chunk
        .find("__hotloop.define(\"/src/main.js\"")
        .expect("main");
    assert!(refresh < main, "defined before the entries");
    assert!(chunk.contains("__hotloop.define(\"/node_modules/react-refresh/cjs/dev.js\""));
    assert!(
        chunk.contains(r#""refreshRuntime":"/node_modules/react-refresh/runtime.js"});"#),
        "named in start():\n{}",
        &chunk[chunk.rfind("__hotloop.start").expect("start")..]
    );
    let graph = p.host.graph().expect("built");
    assert_eq!(
        graph
            .refresh_runtime
            .map(|i| graph.graph.module(i).id.to_string()),
        Some("/node_modules/react-refresh/runtime.js".to_string())
    );
}

#[test]
fn a_project_without_react_loads_no_refresh_runtime() {
    let mut p = Incremental::new(&three_modules());
    p.build();
    assert!(!p.served(1).html.expect("html").contains("react-refresh"));
    assert!(!p.chunk().contains("refreshRuntime"));
}

#[test]
fn react_in_node_modules_is_not_enough_when_the_package_json_does_not_depend_on_it() {
    // A vanilla app beside React apps (a monorepo's node_modules): no refresh runtime.
    let manifest = r#"
//- /package.json
{ "name": "vanilla", "private": true, "dependencies": { "lit": "^3.0.0" } }
"#;
    let mut p = Incremental::new(&[HTML, REACT_APP, manifest].concat());
    p.build();
    assert!(!p.served(1).html.expect("html").contains(REFRESH_TAG));
    // The app starts depending on React: its page loads the runtime (the edit is tracked).
    p.check(
        &[r#"
//- /package.json
{ "name": "vanilla", "devDependencies": { "react": "^19.0.0" } }
"#],
        expect![[r#"
            edit /package.json
              applied: files [/package.json], config [/package.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /node_modules/react/index.js /src/main.js
                emitted_module: reused /node_modules/react/index.js /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /node_modules/react/index.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /node_modules/react/index.js /src/main.js
                index_text: reused project
                module_deps: reused /node_modules/react/index.js /src/main.js
                module_diagnostics: reused /node_modules/react/index.js /src/main.js
                module_graph: ran project
                module_imports: reused /node_modules/react/index.js /src/main.js
                parsed_module: reused /node_modules/react/index.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/react/index.js /src/main.js
              changed: nothing
              html changed
              packages changed: /package.json
              plan: reload: index.html changed
        "#]],
    );
    assert!(p.served(2).html.expect("html").contains(REFRESH_TAG));
}

#[test]
fn a_package_json_that_lists_no_dependencies_leaves_it_to_resolution() {
    // A workspace's app whose root installs its packages: React resolves, Fast Refresh is on.
    let manifest = r#"
//- /package.json
{ "name": "app", "private": true, "type": "module" }
"#;
    let mut p = Incremental::new(&[HTML, REACT_APP, manifest].concat());
    p.build();
    assert!(p.served(1).html.expect("html").contains(REFRESH_TAG));
}

#[test]
fn graph_flags_come_from_hot_facts_and_dynamic_imports_do_not_load() {
    let fixture = r#"
//- /src/main.js
import { a } from './a.js';
import './declined.js';
import('./lazy.js');
if (import.meta.hot) {
  import.meta.hot.accept('./a.js', (m) => console.log(m.a));
}
console.log(a);
//- /src/a.js
export const a = 1;
//- /src/declined.js
import.meta.hot.decline();
//- /src/lazy.js
import { a } from './a.js';
import { only } from './only-lazy.js';
export const lazy = a + only;
import.meta.hot.accept();
//- /src/only-lazy.js
export const only = 2;
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js: accept /src/a.js -> /src/a.js /src/declined.js
                /src/a.js
                /src/declined.js
        "#]],
    );
    // Behind `import()` nothing is in the graph until a page asks for it (tests/lazy.rs); then
    // its modules are, unloaded, and defined by the lazy chunk, not the page's.
    p.host.request_lazy("/src/lazy.js");
    let build = p.build();
    expect![[r#"
        /src/main.js: accept /src/a.js -> /src/a.js /src/declined.js /src/lazy.js
        /src/a.js
        /src/declined.js
        /src/lazy.js: self, unloaded -> /src/a.js /src/only-lazy.js
        /src/only-lazy.js: unloaded
    "#]]
    .assert_eq(&crate::testing::render_graph(build.graph()));
    assert!(!p.chunk().contains("__hotloop.define(\"/src/only-lazy.js\""));
}

#[test]
fn linked_stylesheets_follow_their_imports() {
    let mut p = check(
        r#"
//- /index.html
<head><link rel="stylesheet" href="/src/style.css"></head>
//- /src/style.css
@import "base.css";
.a { background: url(./img/bg.png); }
//- /src/base.css
body { margin: 0; }
//- /src/img/bg.png
png
"#,
        &[],
        expect![[r#"
            build
              graph:
                /src/style.css: self -> /src/base.css
                /src/base.css: self
        "#]],
    );
    let served = p.served(1);
    let style = served.modules.get("/src/style.css").expect("served");
    let sheet = style.stylesheet.as_deref().expect("stylesheet");
    assert!(sheet.contains("/src/img/bg.png"), "{sheet}");
    // Stylesheets are linked, not started: the chunk starts no entry.
    let chunk = String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8");
    assert!(chunk.contains("__hotloop.start([], "), "{chunk}");
}

/// A `<link>`ed sheet's `@import` of a package (or through an alias) is served with the
/// imported sheet's own URL (and its version), not the specifier made a path beside the sheet
/// (`/src/animate.css`, a 404 the browser refused).
#[test]
fn a_linked_sheets_package_import_is_served_at_its_sheets_url() {
    let mut p = Incremental::new(
        r#"
//- /index.html
<head><link rel="stylesheet" href="/src/styles.css"></head>
//- /src/styles.css
@import "animate.css";
@import "./local.css";
.a {}
//- /src/local.css
.local {}
//- /node_modules/animate.css/package.json
{ "name": "animate.css", "style": "animate.css", "main": "animate.js" }
//- /node_modules/animate.css/animate.css
.animated {}
//- /node_modules/animate.css/animate.js
module.exports = {};
"#,
    );
    let build = p.host.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let served = p.served(1);
    let sheet = served
        .modules
        .get("/src/styles.css")
        .and_then(|m| m.stylesheet.clone())
        .expect("the linked sheet");
    assert!(
        sheet.contains("@import \"/node_modules/animate.css/animate.css?v="),
        "{sheet}"
    );
    assert!(sheet.contains("@import \"/src/local.css?v="), "{sheet}");
}

/// A stylesheet's bare `@import "pkg"` is the package's stylesheet, as Vite's CSS resolver
/// finds it: its `style` export condition (tw-animate-css exports nothing else), or its `style`
/// field beside a JS `main` (Bootstrap); a file beside the stylesheet still comes first.
#[test]
fn a_css_import_of_a_package_is_its_style_export_or_field() {
    let mut p = Incremental::new(
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import './app.css';
//- /src/app.css
@import "tw-animate-css";
@import "bootstrap";
@import "local.css";
//- /src/local.css
.local {}
//- /node_modules/tw-animate-css/package.json
{ "name": "tw-animate-css", "exports": { ".": { "style": "./dist/tw-animate.css" } } }
//- /node_modules/tw-animate-css/dist/tw-animate.css
.animate-in {}
//- /node_modules/bootstrap/package.json
{ "name": "bootstrap", "main": "dist/js/bootstrap.js", "style": "dist/css/bootstrap.css" }
//- /node_modules/bootstrap/dist/js/bootstrap.js
export const js = 1;
//- /node_modules/bootstrap/dist/css/bootstrap.css
.btn {}
//- /node_modules/local.css/package.json
{ "name": "local.css", "style": "x.css" }
"#,
    );
    let build = p.host.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let ids: Vec<&str> = build.graph().modules.iter().map(|m| &*m.id).collect();
    for id in [
        "/node_modules/tw-animate-css/dist/tw-animate.css",
        "/node_modules/bootstrap/dist/css/bootstrap.css",
        "/src/local.css",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(
        !ids.iter().any(|id| id.ends_with("bootstrap.js")),
        "{ids:?}"
    );
}

#[test]
fn react_refresh_is_emitted_for_sources_but_not_for_node_modules() {
    let p = check(
        r#"
//- /index.html
<script type="module" src="/src/main.jsx"></script>
//- /src/main.jsx
import { Lib } from 'lib';
export function App() {
  return <Lib />;
}
//- /node_modules/lib/package.json
{ "name": "lib", "module": "./index.jsx" }
//- /node_modules/lib/index.jsx
export function Lib() {
  return <div />;
}
//- /node_modules/react/package.json
{ "name": "react", "main": "./index.js", "exports": { ".": "./index.js", "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/react/index.js
module.exports = {};
//- /node_modules/react/jsx-dev-runtime.js
module.exports = { jsxDEV() {} };
"#,
        &[],
        expect![[r#"
            build
              graph:
                /src/main.jsx: self -> /node_modules/react/jsx-dev-runtime.js /node_modules/lib/index.jsx
                /node_modules/react/jsx-dev-runtime.js
                /node_modules/lib/index.jsx -> /node_modules/react/jsx-dev-runtime.js
        "#]],
    );
    let main = p
        .host
        .module_code(index(&p, "/src/main.jsx"))
        .expect("main");
    let lib = p
        .host
        .module_code(index(&p, "/node_modules/lib/index.jsx"))
        .expect("lib");
    assert!(main.code.contains("$RefreshReg$(_c"), "{}", main.code);
    assert!(!lib.code.contains("$RefreshReg$(_c"), "{}", lib.code);
}

#[test]
fn a_js_module_over_32_mb_is_reported_instead_of_parsed() {
    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nimport { big } from './big.js';\nconsole.log(big);\n",
        ]
        .concat(),
    );
    let mut big = String::from("export const big = [\n");
    while big.len() <= 32 * 1024 * 1024 {
        big.push_str(
            "  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n",
        );
    }
    big.push_str("];\n");
    p.project.write("/src/big.js", &big);
    p.build();
    assert_eq!(
        p.diagnostics(),
        ["/src/big.js:1:1: /src/big.js is too large to compile (32.0 MB; the limit is 32 MB)"]
    );
}

#[test]
fn a_missing_root_is_an_error() {
    let dir = TempProject::empty();
    let missing = dir.path("nope");
    match EngineHost::new(&missing, ProjectOptions::default()) {
        Err(crate::host::HostError::RootNotFound { path }) => {
            assert_eq!(path, missing)
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a missing root must not open"),
    }
    let file = dir.write("file", "x");
    assert!(matches!(
        EngineHost::new(&file, ProjectOptions::default()),
        Err(crate::host::HostError::RootNotADirectory { .. })
    ));
}

#[test]
fn wide_projects_build_the_same_graph_and_chunk_every_time() {
    // Wide enough for the parallel warm-up to split levels across threads.
    let mut fixture = format!("{HTML}//- /src/main.js\n");
    for i in 0..30 {
        fixture.push_str(&format!("import './m{i}.js';\n"));
    }
    for i in 0..30 {
        fixture.push_str(&format!("//- /src/m{i}.js\n"));
        for k in 0..3 {
            fixture.push_str(&format!("import './leaf{}.js';\n", (i * 7 + k) % 40));
        }
        fixture.push_str(&format!("export const m{i} = {i};\n"));
    }
    for i in 0..40 {
        fixture.push_str(&format!("//- /src/leaf{i}.js\nexport const leaf = {i};\n"));
    }
    let mut first = Incremental::new(&fixture);
    first.build();
    let mut second = Incremental::new(&fixture);
    second.build();
    assert_eq!(first.module_ids().len(), 1 + 30 + 40);
    assert_eq!(first.module_ids(), second.module_ids());
    assert_eq!(first.chunk(), second.chunk());
    assert!(first.diagnostics().is_empty());
}

#[test]
fn the_compiler_can_move_to_the_engine_thread() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<EngineHost>();
    assert_send::<hotloop_protocol::Served>();
}

#[test]
fn the_page_served_during_the_cold_build_compiles_nothing_and_is_the_built_page() {
    let mut p = Incremental::new(&three_modules());
    let server_id: Arc<str> = Arc::from("s1");
    let building = p.host.building(&server_id);
    let runs = p.host.take_query_runs();
    assert!(building.building);
    let executed = |query: &str| {
        runs.iter()
            .filter(|r| r.kind == QueryEventKind::Executed && &*r.query == query)
            .count()
    };
    assert_eq!(executed("parsed_module"), 0, "{runs:?}");
    assert_eq!(executed("resolved_imports"), 0, "{runs:?}");
    assert!(building.chunk.parts.is_empty());

    p.build();
    let built = p.host.served(&server_id, 0);
    assert!(!built.building);
    assert_eq!(building.html, built.html);
    // What the server injects into the app's server's pages, from the same index.html.
    assert_eq!(building.injection, built.injection);
    assert_eq!(
        (
            &*built.injection.head_tags,
            &*built.injection.chunk_tag,
            &built.injection.entries[..]
        ),
        (
            r#"<script src="/_hotloop/runtime.js"></script>"#,
            r#"<script defer src="/_hotloop/chunk.js"></script>"#,
            &[std::sync::Arc::from("/src/main.js")][..]
        )
    );
    assert!(
        built
            .html
            .as_deref()
            .unwrap()
            .contains("/_hotloop/chunk.js")
    );
}

#[test]
fn a_restart_with_the_compile_cache_compiles_nothing_and_serves_the_same_page() {
    let cache_dir = TempProject::empty();
    let mut first = Incremental::new(&three_modules());
    first
        .host
        .use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    first.build();
    let chunk = first.chunk();
    let stats = first.host.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (0, 3));
    // Dropping the host flushes the cache's writes.
    let Incremental { project, host, .. } = first;
    drop(host);

    let mut second = EngineHost::new(project.root(), ProjectOptions::default()).expect("host");
    second.use_compile_cache(CompileCache::open(cache_dir.root()).expect("cache"));
    second.build();
    let stats = second.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (3, 0));
    let served = second.served(&Arc::from("test-server"), 1);
    assert_eq!(
        String::from_utf8(served.chunk.bytes().to_vec()).unwrap(),
        chunk
    );

    // An edit misses, and is stored for the next restart.
    let a = project.write("/src/a.js", "export function a() {\n  return 10;\n}\n");
    second.apply_changes(&[a]);
    second.build();
    let stats = second.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (3, 1));
}

// ---------------------------------------------------------------- env

/// The `env` object of the chunk's start call.
fn start_env(chunk: &str) -> Option<serde_json::Value> {
    let start = chunk.rfind("__hotloop.start(")?;
    let call = &chunk[start..];
    let options = &call[call.find("], ")? + 3..call.find(");\n")?];
    let options: serde_json::Value = serde_json::from_str(options).expect("start options JSON");
    options.get("env").cloned()
}

#[test]
fn env_files_reach_the_page_with_vites_precedence_and_prefix() {
    let fixture = r#"
//- /src/main.js
console.log(import.meta.env.VITE_API);
//- /.env
VITE_API=https://base.test
VITE_NAME="hot loop" # comment
SECRET=never-sent
//- /.env.local
VITE_API=https://local.test
//- /.env.development
export VITE_MODE_ONLY=dev
VITE_URL=${VITE_API}/v1
HOTLOOP_TEST_PORT=8080
VITE_PORT=$HOTLOOP_TEST_PORT
//- /.env.production
VITE_API=https://prod.test
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js
    "#]],
    );
    let chunk = p.chunk();
    assert_eq!(
        start_env(&chunk),
        Some(serde_json::json!({
            "VITE_API": "https://local.test",
            "VITE_MODE_ONLY": "dev",
            "VITE_NAME": "hot loop",
            "VITE_PORT": "8080",
            "VITE_URL": "https://local.test/v1",
        }))
    );
    assert!(
        !chunk.contains("never-sent"),
        "an unprefixed variable leaked"
    );
}

#[test]
fn process_env_overrides_and_custom_prefixes() {
    let options = ProjectOptions {
        env_prefixes: vec!["APP_".to_string()],
        env_overrides: vec![("APP_B".to_string(), "process".to_string())],
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(
        &[
            HTML,
            "//- /src/main.js\nconsole.log(1);\n//- /.env\nAPP_A=file\nAPP_B=file\nVITE_C=file\n",
        ]
        .concat(),
        options,
    );
    p.build();
    assert_eq!(
        start_env(&p.chunk()),
        Some(serde_json::json!({ "APP_A": "file", "APP_B": "process" }))
    );
}

/// The config's `import.meta.env.NAME` defines join the `.env` variables in the start call's
/// `env` (as code: a function of them), so every form of reading them sees them.
#[test]
fn import_meta_env_defines_join_the_env_object_of_the_start_call() {
    let options = ProjectOptions {
        env_prefixes: vec!["APP_".to_string()],
        define: vec![
            (
                "import.meta.env.APP_VERSION".to_string(),
                "'1.4.2'".to_string(),
            ),
            ("__OTHER__".to_string(), "1".to_string()),
        ]
        .into(),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(
        &[
            HTML,
            "//- /src/main.js\nconsole.log(import.meta.env['APP_VERSION']);\n//- /.env\nAPP_A=file\n",
        ]
        .concat(),
        options,
    );
    p.build();
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#","env":(function(e){try{e["APP_VERSION"]=("1.4.2")}catch(_){}return e})({"APP_A":"file"})"#),
        "{chunk}"
    );
}

/// The config's `server.hmr.overlay: false` reaches the page's start options (the runtime
/// then writes errors to the console alone); by default nothing is said.
#[test]
fn server_hmr_overlay_false_reaches_the_page() {
    let fixture = [HTML, "//- /src/main.js\nconsole.log(1);\n"].concat();
    let mut p = Incremental::new(&fixture);
    p.build();
    assert!(!p.chunk().contains("\"overlay\""));
    let options = ProjectOptions {
        error_overlay: false,
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(&fixture, options);
    p.build();
    let chunk = p.chunk();
    assert!(chunk.contains(r#","overlay":false"#), "{chunk}");
}

#[test]
fn a_mode_reads_its_own_env_files_and_reaches_the_page() {
    let options = ProjectOptions {
        mode: "staging".to_string(),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(
        &[HTML, "//- /src/main.js\nconsole.log(1);\n//- /.env\nVITE_API=base\nVITE_NAME=base\n//- /.env.development\nVITE_API=dev\n//- /.env.staging\nVITE_API=staging\n//- /.env.staging.local\nVITE_NAME=mine\n"].concat(),
        options,
    );
    p.build();
    let chunk = p.chunk();
    assert_eq!(
        start_env(&chunk),
        Some(serde_json::json!({ "VITE_API": "staging", "VITE_NAME": "mine" }))
    );
    assert!(chunk.contains(r#""mode":"staging""#), "{chunk}");

    // The mode's files are config (an edit reloads); another mode's are not.
    p.check(
        &[
            "//- /.env.staging\nVITE_API=s2\n",
            "//- /.env.development\nVITE_API=d2\n",
        ],
        expect![[r#"
            edit /.env.staging
              applied: files [/.env.staging], config [/.env.staging], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.js
                emitted_module: reused /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/main.js
                index_text: reused project
                module_deps: reused /src/main.js
                module_diagnostics: reused /src/main.js
                module_graph: reused project
                module_imports: reused /src/main.js
                parsed_module: reused /src/main.js
                public_env: ran project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: nothing
              config changed: /.env.staging
              plan: reload: /.env.staging changed
            edit /.env.development
              applied: nothing
              queries: none
              changed: nothing
              plan: nothing
        "#]],
    );
    assert_eq!(
        start_env(&p.chunk()),
        Some(serde_json::json!({ "VITE_API": "s2", "VITE_NAME": "mine" }))
    );
}

#[test]
fn an_env_dir_is_where_the_env_files_are_read_and_an_edit_there_reloads() {
    let project = TempProject::new(
        &[
            HTML,
            "//- /src/main.js\nconsole.log(1);\n//- /.env\nVITE_WHERE=root\n//- /config/.env\nVITE_WHERE=config\n",
        ]
        .concat(),
    );
    let options = ProjectOptions {
        env_dir: Some(project.root().join("config")),
        ..ProjectOptions::default()
    };
    let mut host = EngineHost::new(project.root(), options).expect("host");
    host.build();
    let chunk = |host: &mut EngineHost, revision| {
        let served = host.served(&Arc::from("test-server"), revision);
        String::from_utf8(served.chunk.bytes().to_vec()).unwrap()
    };
    assert_eq!(
        start_env(&chunk(&mut host, 1)),
        Some(serde_json::json!({ "VITE_WHERE": "config" }))
    );
    // The envDir's files are config (an edit reloads); the root's are not read.
    let root_env = project.write("/.env", "VITE_WHERE=root2\n");
    assert!(host.apply_changes(&[root_env]).is_empty());
    let config_env = project.write("/config/.env", "VITE_WHERE=config2\n");
    let applied = host.apply_changes(&[config_env]);
    assert_eq!(applied.config_changed.len(), 1, "{applied:?}");
    host.build();
    assert_eq!(
        start_env(&chunk(&mut host, 2)),
        Some(serde_json::json!({ "VITE_WHERE": "config2" }))
    );
}

#[test]
fn root_urls_of_files_resolve_into_the_public_dir_the_config_names() {
    let project = TempProject::new(
        &[
            HTML,
            "//- /src/main.js\nimport logo from '/logo.svg';\nconsole.log(logo);\n//- /static/logo.svg\n<svg/>\n//- /public/logo.svg\n<svg id=\"old\"/>\n",
        ]
        .concat(),
    );
    let build = |public_dir| {
        let options = ProjectOptions {
            public_dir,
            ..ProjectOptions::default()
        };
        let mut host = EngineHost::new(project.root(), options).expect("host");
        let build = host.build();
        let served = host.served(&Arc::from("test-server"), 1);
        (
            String::from_utf8(served.chunk.bytes().to_vec()).unwrap(),
            build.diagnostics.len(),
        )
    };
    // `publicDir: 'static'`: `/logo.svg` is that directory's file, at its URL as is.
    let (chunk, errors) = build(crate::inputs::PublicDir::At(project.root().join("static")));
    assert_eq!(errors, 0, "{chunk}");
    assert!(chunk.contains("\"/logo.svg\""), "{chunk}");
    assert!(
        chunk.contains("/static/logo.svg"),
        "the module is the static file: {chunk}"
    );
    // The default: `ROOT/public`.
    let (chunk, errors) = build(crate::inputs::PublicDir::InRoot);
    assert_eq!(errors, 0, "{chunk}");
    assert!(chunk.contains("/public/logo.svg"), "{chunk}");
    // `publicDir: false`: no such URL.
    let (_, errors) = build(crate::inputs::PublicDir::Off);
    assert_eq!(errors, 1);
}

#[test]
fn editing_an_env_file_reloads_with_new_variables_and_reparses_no_module() {
    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nconsole.log(import.meta.env.VITE_X);\n",
        ]
        .concat(),
    );
    p.build();
    assert_eq!(
        start_env(&p.chunk()),
        None,
        "no .env: no env in the start call"
    );

    // Created after start: the inputs exist (missing) since the first build.
    p.check(
        &["//- /.env\nVITE_X=1\n"],
        expect![[r#"
            create /.env
              applied: files [/.env], config [/.env], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.js
                emitted_module: reused /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/main.js
                index_text: reused project
                module_deps: reused /src/main.js
                module_diagnostics: reused /src/main.js
                module_graph: reused project
                module_imports: reused /src/main.js
                parsed_module: reused /src/main.js
                public_env: ran project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: nothing
              config changed: /.env
              plan: reload: /.env changed
        "#]],
    );
    assert_eq!(
        start_env(&p.chunk()),
        Some(serde_json::json!({ "VITE_X": "1" }))
    );

    // A line that is not NAME=value is skipped, as Vite does; the rest of the file counts.
    p.check(
        &["//- /.env\nVITE_X=2\nnot a line\nVITE_Y=two words\n"],
        expect![[r#"
            edit /.env
              applied: files [/.env], config [/.env], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.js
                emitted_module: reused /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/main.js
                index_text: reused project
                module_deps: reused /src/main.js
                module_diagnostics: reused /src/main.js
                module_graph: reused project
                module_imports: reused /src/main.js
                parsed_module: reused /src/main.js
                public_env: ran project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: nothing
              config changed: /.env
              plan: reload: /.env changed
        "#]],
    );
    assert_eq!(
        start_env(&p.chunk()),
        Some(serde_json::json!({ "VITE_X": "2", "VITE_Y": "two words" }))
    );

    // A binary .env is a diagnostic naming the file; fixing it clears it.
    p.project.write("/.env", [b'V', 0xff, 0xfe, 0]);
    p.check(&["//- report /.env", "//- /.env\nVITE_X=2\nVITE_Y=3\n"], expect![[r#"
        report /.env
          applied: files [/.env], config [/.env], epoch moved
          queries:
            chunk: reused project
            chunk_entry: reused /src/main.js
            emitted_module: reused /src/main.js
            entry_html: ran project
            file_exists: reused /src/main.js
            hot_meta: reused /src/main.js
            html_entries: reused project
            import_specifiers: reused /src/main.js
            index_text: reused project
            module_deps: reused /src/main.js
            module_diagnostics: reused /src/main.js
            module_graph: reused project
            module_imports: reused /src/main.js
            parsed_module: reused /src/main.js
            public_env: ran project
            react_ignores_jsx_source: ran project
            refresh_runtime: ran project
            resolved_imports: ran /src/main.js
          changed: nothing
          config changed: /.env
          diagnostics:
            Io /.env:1:1: .env is not UTF-8 text, so none of its variables reach the page; save it as UTF-8
          plan: reload: /.env changed
        edit /.env
          applied: files [/.env], config [/.env], epoch moved
          queries:
            chunk: reused project
            chunk_entry: reused /src/main.js
            emitted_module: reused /src/main.js
            entry_html: ran project
            file_exists: reused /src/main.js
            hot_meta: reused /src/main.js
            html_entries: reused project
            import_specifiers: reused /src/main.js
            index_text: reused project
            module_deps: reused /src/main.js
            module_diagnostics: reused /src/main.js
            module_graph: reused project
            module_imports: reused /src/main.js
            parsed_module: reused /src/main.js
            public_env: ran project
            react_ignores_jsx_source: ran project
            refresh_runtime: ran project
            resolved_imports: ran /src/main.js
          changed: nothing
          config changed: /.env
          diagnostics: none
          plan: reload: /.env changed
    "#]]);
}

#[test]
fn env_placeholders_in_index_html_are_replaced_and_follow_the_env_file() {
    let mut p = Incremental::new(
        "//- /index.html\n<!doctype html>\n<html>\n<head>\n<title>%VITE_TITLE% (%MODE%)</title>\n</head>\n<body>\n<p>%SECRET% 100%</p>\n<script type=\"module\" src=\"/src/main.js\"></script>\n</body>\n</html>\n\
         //- /src/main.js\nconsole.log(1);\n//- /.env\nVITE_TITLE=Hot\nSECRET=never-sent\n",
    );
    p.build();
    let page = p.served(1).html.expect("a page").to_string();
    assert!(page.contains("<title>Hot (development)</title>"), "{page}");
    assert!(
        page.contains("<p>%SECRET% 100%</p>"),
        "an unexposed name was replaced: {page}"
    );
    p.check(
        &["//- /.env\nVITE_TITLE=Loop\n"],
        expect![[r#"
            edit /.env
              applied: files [/.env], config [/.env], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.js
                emitted_module: reused /src/main.js
                entry_html: ran project
                file_exists: reused /src/main.js
                hot_meta: reused /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/main.js
                index_text: reused project
                module_deps: reused /src/main.js
                module_diagnostics: reused /src/main.js
                module_graph: reused project
                module_imports: reused /src/main.js
                parsed_module: reused /src/main.js
                public_env: ran project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js
              changed: nothing
              html changed
              config changed: /.env
              plan: reload: /.env changed
        "#]],
    );
    let page = p.served(2).html.expect("a page").to_string();
    assert!(page.contains("<title>Loop (development)</title>"), "{page}");
}

// ---------------------------------------------------------------- served snapshots

/// The chunk's statements as text (not through the lazily cached bytes).
fn part_texts(served: &hotloop_protocol::Served) -> Vec<String> {
    served
        .chunk
        .parts
        .iter()
        .map(|(id, statement)| format!("{id}: {statement}"))
        .collect()
}

#[test]
fn served_snapshots_after_edits_equal_a_fresh_build_and_published_ones_stay_intact() {
    let mut p = Incremental::new(&[HTML, "//- /src/main.js\nimport { a } from './a.js';\nimport { b } from './b.js';\nimport './style.css';\nconsole.log(a, b);\n//- /src/a.js\nexport const a = 1;\n//- /src/b.js\nexport const b = (;\n//- /src/style.css\nbody { color: red }\n"].concat());
    p.build();
    let server: Arc<str> = Arc::from("s");
    let first = p.host.served(&server, 1);
    let first_parts = part_texts(&first);
    let first_modules = first.modules.clone();
    let edits = [
        // b.js never compiled: it starts compiling in its place in the chunk.
        ("/src/b.js", "export const b = 2;\n"),
        ("/src/a.js", "export const a = 2;\n"),
        ("/src/style.css", "body { color: blue }\n"),
        // A syntax error keeps a.js's last good code (a fresh build has none: not compared).
        ("/src/a.js", "export const a = (;\n"),
        ("/src/a.js", "export const a = 3;\n"),
    ];
    let mut compared = 0;
    for (revision, (path, text)) in (2..).zip(edits) {
        let written = p.project.write(path, text);
        p.host.apply_changes(&[written]);
        let build = p.build();
        assert_eq!(
            build.graph().len(),
            4,
            "the graph stays: updates only, no full build"
        );
        let served = p.host.served(&server, revision);
        if !p.diagnostics().is_empty() {
            continue;
        }
        let mut fresh = EngineHost::new(p.project.root(), ProjectOptions::default()).expect("host");
        fresh.build();
        let expected = fresh.served(&server, revision);
        assert_eq!(
            String::from_utf8_lossy(served.chunk.bytes()),
            String::from_utf8_lossy(expected.chunk.bytes()),
            "after editing {path}"
        );
        assert!(served.modules == expected.modules, "after editing {path}");
        // Each module's code is held once: its define statement shares the served factory,
        // and its map leaves out the text the input holds (the server puts it back).
        for (id, statement) in served.chunk.parts.iter() {
            let module = &served.modules[id];
            assert!(Arc::ptr_eq(statement.code(), &module.code), "{id}");
            if let Some(map) = module.map.as_ref().and_then(ModuleMap::text) {
                assert!(!map.contains("sourcesContent"), "{id}: {map}");
                assert!(module.map_source.is_some(), "{id}");
            }
        }
        assert_eq!(
            p.host.held_bytes(),
            fresh.held_bytes(),
            "after editing {path}"
        );
        compared += 1;
    }
    assert_eq!(compared, 4);
    assert_eq!(
        part_texts(&first),
        first_parts,
        "a published chunk never changes"
    );
    assert!(
        first.modules == first_modules,
        "published modules never change"
    );
    assert!(
        first_parts.contains(&"/src/b.js: ".to_string()),
        "a module that never compiled holds its place with an empty statement: {first_parts:?}"
    );
}

// ---------------------------------------------------------------- import variants

/// `new URL('pkg/file', import.meta.url)` (react-pdf's documented setup of pdf.js' worker) is
/// the package's file, resolved as Vite resolves it, at its URL: not a path beside the module.
#[test]
fn new_url_of_a_packages_file_is_the_files_url() {
    let fixture = r#"
//- /src/main.js
export const worker = new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url).href;
//- /node_modules/pdfjs-dist/package.json
{ "name": "pdfjs-dist", "main": "build/pdf.mjs" }
//- /node_modules/pdfjs-dist/build/pdf.worker.min.mjs
self.onmessage = () => {};
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js -> /node_modules/pdfjs-dist/build/pdf.worker.min.mjs?url
                /node_modules/pdfjs-dist/build/pdf.worker.min.mjs?url: asset
        "#]],
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains("module.exports = \"/node_modules/pdfjs-dist/build/pdf.worker.min.mjs\";"),
        "{chunk}"
    );
}

#[test]
fn new_url_of_an_asset_follows_the_file_and_a_missing_one_is_no_error() {
    let fixture = r#"
//- /src/main.js
import './scene.js';
//- /src/scene.js
export const wood = new URL('./wood.svg', import.meta.url).href;
export const later = new URL('./later.svg', import.meta.url).href;
import.meta.hot.accept();
//- /src/wood.svg
<svg id="a"/>
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/scene.js
                /src/scene.js: self -> /src/wood.svg?url
                /src/wood.svg?url: asset
        "#]],
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains("module.exports = \"/src/wood.svg\";"),
        "{chunk}"
    );
    // The file replaced: its URL module changes and the module that took the URL re-runs.
    p.check(&["//- /src/wood.svg\n<svg id=\"b\"/>\n"], expect![[r#"
        edit /src/wood.svg
          applied: files [/src/wood.svg?url /src/wood.svg]
          queries:
            chunk_entry: ran /src/wood.svg?url
            emitted_module: ran /src/wood.svg?url
            hot_meta: ran /src/wood.svg?url
            import_specifiers: reused /src/wood.svg?url
            module_deps: reused /src/wood.svg?url
            module_diagnostics: ran /src/wood.svg?url
            module_imports: ran /src/wood.svg?url
            parsed_module: ran /src/wood.svg?url
            resolved_imports: reused /src/wood.svg?url
          changed: /src/wood.svg?url
          plan: hot send=[/src/wood.svg?url] invalidate=[/src/wood.svg?url, /src/scene.js] boundaries=[/src/scene.js self]
    "#]]);
    // A URL the page has not loaded: the re-run module's `<img>` shows the new file.
    let chunk = p.chunk();
    assert!(
        chunk.contains("module.exports = \"/src/wood.svg?v="),
        "{chunk}"
    );
    // The file that was not there appears: the URL module joins the graph.
    p.check(&["//- /src/later.svg\n<svg/>\n"], expect![[r#"
        create /src/later.svg
          applied: epoch moved
          queries:
            chunk: ran project
            chunk_entry: ran /src/later.svg?url /src/scene.js; reused /src/main.js /src/wood.svg?url
            emitted_module: ran /src/later.svg?url; reused /src/main.js /src/scene.js /src/wood.svg?url
            entry_html: reused project
            file_exists: reused /src/main.js
            hot_meta: ran /src/later.svg?url; reused /src/main.js /src/scene.js /src/wood.svg?url
            html_entries: reused project
            import_specifiers: ran /src/later.svg?url; reused /src/main.js /src/scene.js /src/wood.svg?url
            index_text: reused project
            module_deps: ran /src/later.svg?url /src/scene.js; reused /src/main.js /src/wood.svg?url
            module_diagnostics: ran /src/later.svg?url /src/scene.js; reused /src/main.js /src/wood.svg?url
            module_graph: ran project
            module_imports: ran /src/later.svg?url; reused /src/main.js /src/scene.js /src/wood.svg?url
            parsed_module: ran /src/later.svg?url; reused /src/main.js /src/scene.js /src/wood.svg?url
            public_env: reused project
            react_ignores_jsx_source: ran project
            refresh_runtime: ran project
            resolved_imports: ran /src/later.svg?url /src/main.js /src/scene.js /src/wood.svg?url
          changed: /src/scene.js /src/later.svg?url
          graph:
            /src/main.js -> /src/scene.js
            /src/scene.js: self -> /src/wood.svg?url /src/later.svg?url
            /src/wood.svg?url: asset
            /src/later.svg?url: asset
          plan: hot send=[/src/scene.js, /src/later.svg?url] invalidate=[/src/later.svg?url, /src/scene.js] boundaries=[/src/scene.js self]
    "#]]);
}

#[test]
fn raw_and_url_imports_are_modules_of_their_own_that_follow_their_file() {
    let fixture = r#"
//- /src/main.js
import notes from './notes.txt?raw';
import logoUrl from './logo.svg?url';
import logo from './logo.svg';
import source from './main.js?raw';
console.log(notes, logoUrl, logo, source);
//- /src/notes.txt
hello
//- /src/logo.svg
<svg/>
"#;
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js -> /src/notes.txt?raw /src/logo.svg?url /src/logo.svg /src/main.js?raw
            /src/notes.txt?raw: asset
            /src/logo.svg?url: asset
            /src/logo.svg
            /src/main.js?raw: asset
    "#]],
    );
    let chunk = p.chunk();
    assert!(chunk.contains("module.exports = \"hello\\n\";"), "{chunk}");
    assert!(
        chunk.contains("module.exports = \"import notes from"),
        "{chunk}"
    );
    // `?url` and the plain import of an SVG: both the URL of the file itself, as Vite's.
    assert_eq!(
        chunk.matches("module.exports = \"/src/logo.svg\";").count(),
        2,
        "{chunk}"
    );
    // An edit of the file updates its `?raw` module, which alone is sent.
    p.check(&["//- /src/notes.txt\nbye\n"], expect![[r#"
        edit /src/notes.txt
          applied: files [/src/notes.txt?raw /src/notes.txt]
          queries:
            chunk_entry: ran /src/notes.txt?raw
            emitted_module: ran /src/notes.txt?raw
            hot_meta: ran /src/notes.txt?raw
            import_specifiers: reused /src/notes.txt?raw
            module_deps: reused /src/notes.txt?raw
            module_diagnostics: ran /src/notes.txt?raw
            module_imports: ran /src/notes.txt?raw
            parsed_module: ran /src/notes.txt?raw
            resolved_imports: reused /src/notes.txt?raw
          changed: /src/notes.txt?raw
          plan: reload: /src/notes.txt?raw changed and no module accepts it (via /src/notes.txt?raw <- /src/main.js)
    "#]]);
    assert!(p.chunk().contains("module.exports = \"bye\\n\";"));
    // Deleted: the importer's line names it.
    p.check(&["//- rm /src/notes.txt"], expect![[r#"
        delete /src/notes.txt
          applied: files [/src/notes.txt?raw /src/notes.txt], epoch moved
          queries:
            chunk: ran project
            chunk_entry: ran /src/main.js; reused /src/logo.svg /src/logo.svg?url /src/main.js?raw
            emitted_module: reused /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
            entry_html: reused project
            file_exists: reused /src/main.js
            hot_meta: reused /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
            html_entries: reused project
            import_specifiers: reused /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
            index_text: reused project
            module_deps: ran /src/main.js; reused /src/logo.svg /src/logo.svg?url /src/main.js?raw
            module_diagnostics: ran /src/main.js; reused /src/logo.svg /src/logo.svg?url /src/main.js?raw
            module_graph: ran project
            module_imports: reused /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
            parsed_module: reused /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
            public_env: reused project
            react_ignores_jsx_source: ran project
            refresh_runtime: ran project
            resolved_imports: ran /src/logo.svg /src/logo.svg?url /src/main.js /src/main.js?raw
          changed: /src/main.js
          graph:
            /src/main.js -> /src/logo.svg?url /src/logo.svg /src/main.js?raw
            /src/logo.svg?url: asset
            /src/logo.svg
            /src/main.js?raw: asset
          diagnostics:
            Resolve /src/main.js:1:19: Cannot resolve './notes.txt?raw' from /src/main.js: no such file
          plan: reload: /src/main.js changed and no module accepts it
    "#]]);
}

#[test]
fn vite_plugin_queries_are_a_clear_error_not_the_plain_module() {
    check(
        &[HTML, "//- /src/main.js\nimport Logo from './logo.svg?react';\nimport big from './logo.svg?no-inline';\nconsole.log(Logo, big);\n//- /src/logo.svg\n<svg/>\n"].concat(),
        &[],
        expect![[r#"
            build
              graph:
                /src/main.js
              diagnostics:
                Resolve /src/main.js:1:18: Cannot resolve './logo.svg?react' from /src/main.js: `?react` imports need a Vite plugin or feature hotloop does not have; it supports `?raw` (the file's text), `?url` (its URL), `?inline`, `?worker`, `?sharedworker`, `?worker&url`, `?worker&inline` and `.wasm?init`
                Resolve /src/main.js:2:17: Cannot resolve './logo.svg?no-inline' from /src/main.js: `?no-inline` imports need a Vite plugin or feature hotloop does not have; it supports `?raw` (the file's text), `?url` (its URL), `?inline`, `?worker`, `?sharedworker`, `?worker&url`, `?worker&inline` and `.wasm?init`
        "#]],
    );
}

#[test]
fn import_meta_glob_is_a_module_of_its_own_that_follows_files_appearing_and_going() {
    let fixture = r#"
//- /src/main.js
const pages = import.meta.glob('./pages/*.js', { eager: true, import: 'default' });
const lazy = import.meta.glob('./pages/*.js');
console.log(Object.keys(pages), Object.keys(lazy));
//- /src/pages/a.js
export default 'a';
//- /src/pages/b.js
export default 'b';
"#;
    // Eager: the pages load with the importer; lazy: only through `import()`.
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js -> /src/main.js?glob=0 /src/main.js?glob=1
            /src/main.js?glob=0 -> /src/pages/a.js /src/pages/b.js
            /src/main.js?glob=1 -> /src/pages/a.js /src/pages/b.js
            /src/pages/a.js
            /src/pages/b.js
    "#]],
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#""./pages/b.js": require.namespace("./pages/b.js")["default"],"#),
        "{chunk}"
    );
    assert!(
        chunk.contains(r#""./pages/a.js": () => require.dynamic("./pages/a.js"),"#),
        "{chunk}"
    );
    assert!(chunk.contains(r#"const pages=require("./main.js?glob=0");"#));

    // A new page: both glob modules list it and are sent with it; the importer is not
    // re-parsed (its code does not depend on the listing).
    p.check(&["//- /src/pages/c.js\nexport default 'c';\n"], expect![[r#"
        create /src/pages/c.js
          applied: epoch moved
          queries:
            chunk: ran project
            chunk_entry: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            emitted_module: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            entry_html: reused project
            file_exists: reused /src/main.js
            glob_matches: ran /src/main.js?glob=0 /src/main.js?glob=1
            hot_meta: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            html_entries: reused project
            import_specifiers: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            index_text: reused project
            module_deps: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            module_diagnostics: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            module_globs: reused /src/main.js
            module_graph: ran project
            module_imports: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            parsed_module: ran /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js; reused /src/main.js /src/pages/a.js /src/pages/b.js
            public_env: reused project
            react_ignores_jsx_source: ran project
            refresh_runtime: ran project
            resolved_imports: ran /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
          changed: /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/c.js
          graph:
            /src/main.js -> /src/main.js?glob=0 /src/main.js?glob=1
            /src/main.js?glob=0 -> /src/pages/a.js /src/pages/b.js /src/pages/c.js
            /src/main.js?glob=1 -> /src/pages/a.js /src/pages/b.js /src/pages/c.js
            /src/pages/a.js
            /src/pages/b.js
            /src/pages/c.js
          plan: reload: /src/main.js?glob=0 changed and no module accepts it (via /src/main.js?glob=0 <- /src/main.js)
    "#]]);
    assert!(
        p.chunk()
            .contains(r#""./pages/c.js": () => require.dynamic("./pages/c.js"),"#)
    );
    p.check(
        &[
            // A file the patterns do not match re-lists, finds the same files and stops there.
            "//- /src/notes.md\n# notes\n",
            // A deleted page leaves both lists; nothing is left pointing at it.
            "//- rm /src/pages/a.js",
        ],
        expect![[r#"
            create /src/notes.md
              applied: epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                emitted_module: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                entry_html: reused project
                file_exists: reused /src/main.js
                glob_matches: ran /src/main.js?glob=0 /src/main.js?glob=1
                hot_meta: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                html_entries: reused project
                import_specifiers: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                index_text: reused project
                module_deps: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                module_diagnostics: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                module_globs: reused /src/main.js
                module_graph: reused project
                module_imports: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                parsed_module: reused /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/a.js /src/pages/b.js /src/pages/c.js
              changed: nothing
              plan: nothing
            delete /src/pages/a.js
              applied: files [/src/pages/a.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                emitted_module: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                entry_html: reused project
                file_exists: reused /src/main.js
                glob_matches: ran /src/main.js?glob=0 /src/main.js?glob=1
                hot_meta: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                html_entries: reused project
                import_specifiers: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                index_text: reused project
                module_deps: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                module_diagnostics: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                module_globs: reused /src/main.js
                module_graph: ran project
                module_imports: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                parsed_module: ran /src/main.js?glob=0 /src/main.js?glob=1; reused /src/main.js /src/pages/b.js /src/pages/c.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.js /src/main.js?glob=0 /src/main.js?glob=1 /src/pages/b.js /src/pages/c.js
              changed: /src/main.js?glob=0 /src/main.js?glob=1
              removed: /src/pages/a.js
              graph:
                /src/main.js -> /src/main.js?glob=0 /src/main.js?glob=1
                /src/main.js?glob=0 -> /src/pages/b.js /src/pages/c.js
                /src/main.js?glob=1 -> /src/pages/b.js /src/pages/c.js
                /src/pages/b.js
                /src/pages/c.js
              plan: reload: /src/main.js?glob=0 changed and no module accepts it (via /src/main.js?glob=0 <- /src/main.js)
        "#]],
    );
}

/// A pattern edited names other files: the importer's code is the same (it requires its glob
/// module), and the glob module, which has no text of its own, is compiled again with it.
#[test]
fn an_edited_glob_pattern_lists_the_files_it_names_now() {
    check(
        &[HTML, "//- /src/main.js\nexport const m = import.meta.glob('./pages/*.js');\nimport.meta.hot.accept();\n//- /src/pages/a.js\nexport default 'a';\n//- /src/pages/b.js\nexport default 'b';\n"].concat(),
        &[
            "//- /src/main.js\nexport const m = import.meta.glob('./pages/b*.js');\nimport.meta.hot.accept();\n",
            // While the importer does not compile, its glob module keeps its code (no error
            // of its own) until the fix.
            "//- /src/main.js\nexport const m = import.meta.glob('./pages/a*.js';\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js: self -> /src/main.js?glob=0
                /src/main.js?glob=0
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js?glob=0; reused /src/main.js
                emitted_module: ran /src/main.js /src/main.js?glob=0
                entry_html: reused project
                file_exists: ran /src/main.js
                glob_matches: ran /src/main.js?glob=0
                hot_meta: ran /src/main.js /src/main.js?glob=0
                html_entries: reused project
                import_specifiers: ran /src/main.js?glob=0; reused /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js?glob=0; reused /src/main.js
                module_diagnostics: ran /src/main.js /src/main.js?glob=0
                module_globs: ran /src/main.js
                module_graph: ran project
                module_imports: ran /src/main.js /src/main.js?glob=0
                parsed_module: ran /src/main.js /src/main.js?glob=0
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js?glob=0; reused /src/main.js
              changed: /src/main.js?glob=0
              graph:
                /src/main.js: self -> /src/main.js?glob=0
                /src/main.js?glob=0
              plan: hot send=[/src/main.js?glob=0] invalidate=[/src/main.js?glob=0, /src/main.js] boundaries=[/src/main.js self]
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk_entry: ran /src/main.js
                emitted_module: ran /src/main.js
                import_specifiers: ran /src/main.js
                module_diagnostics: ran /src/main.js
                module_imports: ran /src/main.js
                parsed_module: ran /src/main.js
                react_ignores_jsx_source: reused project
                resolved_imports: ran /src/main.js
              changed: nothing
              diagnostics:
                Syntax /src/main.js:1:50: Expected ',', got ';'
              plan: nothing
        "#]],
    );
}

#[test]
fn a_glob_call_hotloop_cannot_read_is_an_error_at_its_line_until_fixed() {
    check(
        &[HTML, "//- /src/main.js\nimport './ok.js';\nconst dir = 'pages';\nexport const m = import.meta.glob(`./${dir}/*.js`);\n//- /src/ok.js\nexport const ok = 1;\n"].concat(),
        &["//- /src/main.js\nimport './ok.js';\nexport const m = import.meta.glob('./*.js');\n"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/ok.js
                /src/ok.js
              diagnostics:
                Syntax /src/main.js:3:18: import.meta.glob() patterns must be string literals: the files are listed before the code runs
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                emitted_module: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                entry_html: reused project
                file_exists: ran /src/main.js
                glob_matches: ran /src/main.js?glob=0
                hot_meta: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                html_entries: reused project
                import_specifiers: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                index_text: reused project
                module_deps: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                module_diagnostics: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                module_globs: ran /src/main.js
                module_graph: ran project
                module_imports: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                parsed_module: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js /src/main.js?glob=0; reused /src/ok.js
              changed: /src/main.js /src/main.js?glob=0
              graph:
                /src/main.js -> /src/ok.js /src/main.js?glob=0
                /src/ok.js
                /src/main.js?glob=0 -> /src/ok.js
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
}

#[test]
fn a_web_worker_is_a_chunk_of_its_own_and_an_edit_to_its_code_reloads_the_page() {
    let fixture = r#"
//- /src/main.js
import MathWorker from './math.worker.js?worker';
import scriptUrl from './math.worker.js?worker&url';
import { label } from './shared.js';
const a = new MathWorker();
const b = new Worker(new URL('./echo.ts', import.meta.url), { type: 'module' });
console.log(a, b, scriptUrl, label);
if (import.meta.hot) import.meta.hot.accept();
//- /src/math.worker.js
import { double } from './math.js';
import { label } from './shared.js';
self.onmessage = (e) => self.postMessage(label + double(e.data));
//- /src/math.js
export const double = (n) => n * 2;
//- /src/shared.js
export const label = 'result: ';
//- /src/echo.ts
const prefix: string = 'echo ';
self.onmessage = (e: MessageEvent) => self.postMessage(prefix + e.data);
"#;
    // The variant modules import the worker files; no edge leads into a worker.
    let mut p = check(
        &[HTML, fixture].concat(),
        &[],
        expect![[r#"
        build
          graph:
            /src/main.js: self -> /src/math.worker.js?worker /src/math.worker.js?worker&url /src/shared.js /src/echo.ts?worker&url
            /src/math.worker.js?worker
            /src/math.worker.js?worker&url
            /src/shared.js
            /src/echo.ts?worker&url
            /src/math.worker.js: unloaded, worker -> /src/math.js /src/shared.js
            /src/echo.ts: unloaded, worker
            /src/math.js: unloaded
    "#]],
    );
    let graph = p.host.graph().expect("built").graph.clone();
    // Each module with the environments it runs in: the page, and one per worker.
    let envs: Vec<&str> = graph.environments.iter().map(|e| &*e.name).collect();
    assert_eq!(envs, ["client", "/src/math.worker.js", "/src/echo.ts"]);
    let environments = |id: &str| {
        let m = graph.module(graph.index_of(id).expect(id));
        let names: Vec<&str> = m
            .environments
            .iter()
            .map(|e| &*graph.environment(e).name)
            .collect();
        names.join(" ")
    };
    assert_eq!(environments("/src/math.worker.js"), "/src/math.worker.js");
    assert_eq!(environments("/src/math.js"), "/src/math.worker.js");
    assert_eq!(environments("/src/shared.js"), "client /src/math.worker.js");
    assert_eq!(environments("/src/echo.ts"), "/src/echo.ts");
    assert_eq!(environments("/src/main.js"), "client");

    // The page's chunk holds the page's modules only; each worker's chunk its own, then a
    // start call in worker mode.
    let served = p.served(1);
    let page = String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8");
    assert!(
        page.contains(
            r#"module.exports = function WorkerWrapper(options) {
  return new Worker("/_hotloop/worker/src/math.worker.js", options);
};"#
        ),
        "{page}"
    );
    assert!(page.contains(r#"module.exports = "/_hotloop/worker/src/math.worker.js";"#));
    assert!(
        page.contains(r#"new Worker(new URL(require("./echo.ts?worker&url"),$meta.url),{"#),
        "{page}"
    );
    assert!(
        !page.contains("__hotloop.define(\"/src/math.js\""),
        "{page}"
    );
    assert!(!page.contains("self.onmessage"), "{page}");
    let worker = |served: &hotloop_protocol::Served, id: &str| {
        let chunk = served
            .worker(id)
            .unwrap_or_else(|| panic!("no worker chunk for {id}"));
        String::from_utf8(chunk.bytes().to_vec()).expect("utf-8")
    };
    let math = worker(&served, "/src/math.worker.js");
    let defined: Vec<&str> = math
        .lines()
        .filter_map(|l| l.strip_prefix("__hotloop.define(\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    assert_eq!(
        defined,
        ["/src/math.js", "/src/shared.js", "/src/math.worker.js"]
    );
    assert!(
        math.contains(
            "__hotloop.start([\"/src/math.worker.js\"], {\"worker\":true});\n\
             //# sourceMappingURL=/_hotloop/worker-map/src/math.worker.js\n"
        ),
        "{math}"
    );
    let echo = worker(&served, "/src/echo.ts");
    assert!(echo.contains("const prefix=\"echo \";"), "{echo}");
    assert_eq!(served.workers.len(), 2);

    // An edit inside a worker reloads the page (a running worker cannot take new code), and
    // the worker's chunk has the new code; nothing else is compiled.
    p.check(
        &["//- /src/math.js\nexport const double = (n) => n * 3;\n"],
        expect![[r#"
            edit /src/math.js
              applied: files [/src/math.js]
              queries:
                chunk_entry: ran /src/math.js
                emitted_module: ran /src/math.js
                hot_meta: ran /src/math.js
                import_specifiers: reused /src/math.js
                module_deps: reused /src/math.js
                module_diagnostics: ran /src/math.js
                module_imports: ran /src/math.js
                parsed_module: ran /src/math.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/math.js
              changed: /src/math.js
              plan: reload: /src/math.js runs in a web worker, which restarts with the page
        "#]],
    );
    assert!(worker(&p.served(2), "/src/math.worker.js").contains("n*3"));

    // A module the page and a worker share reloads too; one only the page runs stays hot.
    p.check(
        &[
            "//- /src/shared.js\nexport const label = 'got: ';\n",
            "//- /src/main.js\nconst b = new Worker(new URL('./echo.ts', import.meta.url));\nconsole.log(b, 2);\nif (import.meta.hot) import.meta.hot.accept();\n",
        ],
        expect![[r#"
            edit /src/shared.js
              applied: files [/src/shared.js]
              queries:
                chunk_entry: ran /src/shared.js
                emitted_module: ran /src/shared.js
                hot_meta: ran /src/shared.js
                import_specifiers: reused /src/shared.js
                module_deps: reused /src/shared.js
                module_diagnostics: ran /src/shared.js
                module_imports: ran /src/shared.js
                parsed_module: ran /src/shared.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/shared.js
              changed: /src/shared.js
              plan: reload: /src/shared.js runs in a web worker, which restarts with the page
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                emitted_module: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                entry_html: reused project
                file_exists: ran /src/main.js
                hot_meta: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                html_entries: reused project
                import_specifiers: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                module_diagnostics: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                module_graph: ran project
                module_imports: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                parsed_module: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js; reused /src/echo.ts /src/echo.ts?worker&url
              changed: /src/main.js
              removed: /src/math.worker.js?worker /src/math.worker.js?worker&url /src/shared.js /src/math.worker.js /src/math.js
              graph:
                /src/main.js: self -> /src/echo.ts?worker&url
                /src/echo.ts?worker&url
                /src/echo.ts: unloaded, worker
              plan: hot send=[/src/main.js] invalidate=[/src/main.js] boundaries=[/src/main.js self]
        "#]],
    );
    // The `?worker` import is gone: so is that worker's chunk.
    let served = p.served(3);
    assert!(served.worker("/src/math.worker.js").is_none());
    assert!(served.worker("/src/echo.ts").is_some());
}

/// A script asked for by its URL as a worker (`EngineHost::open_worker`: a service worker
/// registered at `/src/sw.ts`) becomes a worker root: its chunk is served, with its imports, and
/// the page's chunk does not hold it; what is no script of the project is not taken in.
#[test]
fn a_script_asked_for_as_a_worker_gets_a_worker_chunk_of_its_own() {
    let app = r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
console.log('page');
//- /src/sw.ts
import { cacheName } from './names';
const name: string = cacheName;
self.addEventListener('fetch', () => name);
//- /src/names.ts
export const cacheName = 'v1';
"#;
    let mut p = Incremental::new(app);
    p.build();
    assert!(p.served(1).worker("/src/sw.ts").is_none());
    assert!(p.host.open_worker("/src/sw.ts"));
    assert!(!p.host.open_worker("/src/sw.ts"), "taken in once");
    assert!(!p.host.open_worker("/src/missing.ts"));
    assert!(!p.host.open_worker("/index.html"));
    assert!(!p.host.open_worker("/../outside.js"));
    let build = p.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let served = p.served(2);
    let worker = served.worker("/src/sw.ts").expect("the worker's chunk");
    let code = String::from_utf8(worker.bytes().to_vec()).unwrap();
    assert!(
        code.contains("__hotloop.define(\"/src/names.ts\""),
        "{code}"
    );
    assert!(code.contains("{\"worker\":true"), "{code}");
    assert!(!p.chunk().contains("/src/sw.ts"), "not in the page's chunk");
}

#[test]
fn inline_imports_are_a_stylesheets_text_or_a_data_url_and_follow_the_file() {
    let mut p = Incremental::new(&[HTML, "//- /src/main.js\nimport sheet from './a.css?inline';\nimport scoped from './b.module.css?inline';\nimport styles from './b.module.css';\nimport pixel from './dot.gif?inline';\nconsole.log(sheet, scoped, styles, pixel);\n//- /src/a.css\n.a { background: url(./dot.gif); }\n//- /src/b.module.css\n.title { color: red; }\n"].concat());
    // A 1×1 GIF: binary, so only `?inline` can carry its bytes.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    p.project.write("/src/dot.gif", gif);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    // The stylesheet's text with its url() made absolute, exported, never injected.
    assert!(
        chunk.contains(r#"module.exports = ".a { background: url(\"/src/dot.gif\"); }\n";"#),
        "{chunk}"
    );
    let inline_module = chunk
        .split("__hotloop.define(")
        .find(|part| part.starts_with("\"/src/a.css?inline\""))
        .expect("the ?inline module is in the chunk");
    assert!(!inline_module.contains("$meta.css"), "{inline_module}");
    // A CSS Module's text has the same scoped names its ordinary import exports.
    let scoped = chunk
        .split("__hotloop.define(")
        .find(|part| part.starts_with("\"/src/b.module.css?inline\""))
        .expect("the module's ?inline variant");
    let name = scoped
        .split("module.exports = \".")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("a scoped class");
    assert!(
        name.starts_with("b-module_") && name.ends_with("_title"),
        "{scoped}"
    );
    assert!(chunk.contains(&format!("\"title\": \"{name}\"")), "{chunk}");
    // Anything else: a data: URL of the bytes.
    use base64::Engine as _;
    let expected = format!(
        "module.exports = \"data:image/gif;base64,{}\";",
        base64::engine::general_purpose::STANDARD.encode(gif)
    );
    assert!(chunk.contains(&expected), "{chunk}");

    // An edit of the stylesheet changes its ?inline module, which the importer then re-runs for.
    p.check(&["//- /src/a.css\n.a { color: blue; }\n"], expect![[r#"
        edit /src/a.css
          applied: files [/src/a.css?inline /src/a.css]
          queries:
            chunk_entry: ran /src/a.css?inline
            emitted_module: ran /src/a.css?inline
            hot_meta: ran /src/a.css?inline
            import_specifiers: reused /src/a.css?inline
            module_deps: reused /src/a.css?inline
            module_diagnostics: ran /src/a.css?inline
            module_imports: ran /src/a.css?inline
            parsed_module: ran /src/a.css?inline
            resolved_imports: reused /src/a.css?inline
          changed: /src/a.css?inline
          plan: reload: /src/a.css?inline changed and no module accepts it (via /src/a.css?inline <- /src/main.js)
    "#]]);
    assert!(
        p.chunk()
            .contains(r#"module.exports = ".a { color: blue; }\n";"#)
    );
}

// ---------------------------------------------------------------- tsconfig

/// A create-vite style solution: `tsconfig.json` references `tsconfig.app.json` (the app's
/// `src`, Preact's JSX) and `tsconfig.node.json` (here also `lib/`, React's default JSX).
const TSCONFIG_SOLUTION: &str = r#"
//- /index.html
<script type="module" src="/src/main.tsx"></script>
//- /tsconfig.json
{
  "files": [],
  "references": [{ "path": "./tsconfig.app.json" }, { "path": "./tsconfig.node.json" }]
}
//- /tsconfig.app.json
{
  "compilerOptions": {
    // JSONC, as tsc reads it
    "target": "es2023",
    "jsx": "react-jsx",
    "jsxImportSource": "preact",
  },
  "include": ["src"]
}
//- /tsconfig.node.json
{ "compilerOptions": { "target": "es2023" }, "include": ["vite.config.ts", "lib"] }
//- /src/main.tsx
import { view } from '../lib/view.tsx';
import { label } from './label.ts';
export const App = () => <div>{view()}{label}</div>;
//- /src/label.ts
export const label: string = 'label';
//- /lib/view.tsx
export const view = () => <b />;
//- /node_modules/preact/package.json
{ "name": "preact", "exports": { ".": "./index.js", "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/preact/index.js
export const h = () => null;
//- /node_modules/preact/jsx-dev-runtime.js
export function jsxDEV() {}
//- /node_modules/react/package.json
{ "name": "react", "exports": { ".": "./index.js", "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/react/index.js
module.exports = {};
//- /node_modules/react/jsx-dev-runtime.js
module.exports = { jsxDEV() {} };
"#;

#[test]
fn a_solution_tsconfig_applies_the_referenced_config_that_includes_the_file() {
    check(
        TSCONFIG_SOLUTION,
        &[],
        expect![[r#"
            build
              graph:
                /src/main.tsx -> /node_modules/preact/jsx-dev-runtime.js /lib/view.tsx /src/label.ts
                /node_modules/preact/jsx-dev-runtime.js
                /lib/view.tsx -> /node_modules/react/jsx-dev-runtime.js
                /src/label.ts
                /node_modules/react/jsx-dev-runtime.js
        "#]],
    );
}

#[test]
fn editing_a_referenced_tsconfig_recompiles_only_the_files_whose_options_changed() {
    let p = check(
        TSCONFIG_SOLUTION,
        &[
            // Only /src/main.tsx has JSX: the option changes for /src/label.ts too (the facts
            // are per tsconfig, not per use), /lib/view.tsx is under the other config.
            r#"//- /tsconfig.app.json
{
  "compilerOptions": { "target": "es2023", "jsx": "react-jsx", "jsxImportSource": "react" },
  "include": ["src"]
}
"#,
            // An option hotloop does not compile by: nothing compiles again.
            r#"//- /tsconfig.app.json
{
  "compilerOptions": {
    "target": "es2023", "jsx": "react-jsx", "jsxImportSource": "react", "noUnusedLocals": true
  },
  "include": ["src"]
}
"#,
        ],
        expect![[r#"
            build
              graph:
                /src/main.tsx -> /node_modules/preact/jsx-dev-runtime.js /lib/view.tsx /src/label.ts
                /node_modules/preact/jsx-dev-runtime.js
                /lib/view.tsx -> /node_modules/react/jsx-dev-runtime.js
                /src/label.ts
                /node_modules/react/jsx-dev-runtime.js
            edit /tsconfig.app.json
              applied: files [/src/label.ts /src/main.tsx], config [/tsconfig.app.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts
                emitted_module: ran /src/label.ts /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: ran /src/label.ts /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js
                html_entries: reused project
                import_specifiers: ran /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts
                index_text: reused project
                module_deps: ran /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts
                module_diagnostics: ran /src/label.ts /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js
                module_graph: ran project
                module_imports: ran /src/label.ts /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js
                parsed_module: ran /src/label.ts /src/main.tsx; reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
              changed: /src/main.tsx
              removed: /node_modules/preact/jsx-dev-runtime.js
              config changed: /tsconfig.app.json
              graph:
                /src/main.tsx: self -> /node_modules/react/jsx-dev-runtime.js /lib/view.tsx /src/label.ts
                /node_modules/react/jsx-dev-runtime.js
                /lib/view.tsx -> /node_modules/react/jsx-dev-runtime.js
                /src/label.ts
              plan: reload: /tsconfig.app.json changed
            edit /tsconfig.app.json
              applied: config [/tsconfig.app.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                emitted_module: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                html_entries: reused project
                import_specifiers: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                index_text: reused project
                module_deps: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                module_diagnostics: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                module_graph: reused project
                module_imports: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                parsed_module: reused /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /lib/view.tsx /node_modules/react/jsx-dev-runtime.js /src/label.ts /src/main.tsx
              changed: nothing
              config changed: /tsconfig.app.json
              plan: reload: /tsconfig.app.json changed
        "#]],
    );
    let main = p
        .host
        .module_code(index(&p, "/src/main.tsx"))
        .expect("main");
    assert!(main.code.contains("$RefreshReg$("), "{}", main.code);
}

#[test]
fn extends_chains_relative_and_package_configs_later_entries_winning() {
    let p = check(
        r#"
//- /index.html
<script type="module" src="/src/main.tsx"></script>
//- /tsconfig.json
{ "extends": ["./configs/base.json", "@acme/tsconfig/preact.json"], "include": ["src"] }
//- /configs/base.json
{ "compilerOptions": { "experimentalDecorators": true, "jsx": "react-jsx", "jsxImportSource": "react" } }
//- /node_modules/@acme/tsconfig/package.json
{ "name": "@acme/tsconfig" }
//- /node_modules/@acme/tsconfig/preact.json
{ "compilerOptions": { "jsxImportSource": "preact" } }
//- /src/main.tsx
function sealed(cls: unknown) { return cls; }
@sealed
export class Box {}
export const App = () => <div />;
//- /node_modules/preact/package.json
{ "name": "preact", "exports": { "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/preact/jsx-dev-runtime.js
export function jsxDEV() {}
"#,
        &[
            "//- /tsconfig.json\n{ \"extends\": \"./configs/base.json\", \"include\": [\"src\"], }, broken\n",
            "//- /tsconfig.json\n{ \"extends\": [\"./configs/base.json\", \"@acme/tsconfig/preact.json\"], \"include\": [\"src\"] }\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.tsx -> /node_modules/preact/jsx-dev-runtime.js
                /node_modules/preact/jsx-dev-runtime.js
            edit /tsconfig.json
              applied: files [/src/main.tsx], config [/tsconfig.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.tsx
                emitted_module: ran /src/main.tsx
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: ran /src/main.tsx
                html_entries: reused project
                import_specifiers: ran /src/main.tsx
                index_text: reused project
                module_deps: ran /src/main.tsx
                module_diagnostics: ran /src/main.tsx
                module_graph: ran project
                module_imports: ran /src/main.tsx
                parsed_module: ran /src/main.tsx
                public_env: reused project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.tsx
              changed: nothing
              config changed: /tsconfig.json
              graph:
                /src/main.tsx
              diagnostics:
                Transform /src/main.tsx:1:1: cannot read the tsconfig that applies to this file: <root>/tsconfig.json:1:58: trailing characters at line 1 column 58; fix it (or the configs it extends or references)
              plan: reload: /tsconfig.json changed
            edit /tsconfig.json
              applied: files [/src/main.tsx], config [/tsconfig.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                emitted_module: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                html_entries: reused project
                import_specifiers: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                index_text: reused project
                module_deps: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                module_diagnostics: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                module_graph: ran project
                module_imports: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                parsed_module: ran /src/main.tsx; reused /node_modules/preact/jsx-dev-runtime.js
                public_env: reused project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
              changed: nothing
              config changed: /tsconfig.json
              graph:
                /src/main.tsx -> /node_modules/preact/jsx-dev-runtime.js
                /node_modules/preact/jsx-dev-runtime.js
              diagnostics: none
              plan: reload: /tsconfig.json changed
        "#]],
    );
    let main = p
        .host
        .module_code(index(&p, "/src/main.tsx"))
        .expect("main");
    // Legacy decorators from the base, Preact's JSX from the package config (the later
    // entry), once the syntax error is fixed.
    assert!(main.code.contains("_ts_decorate"), "{}", main.code);
    assert!(
        main.code.contains("preact/jsx-dev-runtime"),
        "{}",
        main.code
    );
}

#[test]
fn a_tsconfig_created_or_deleted_changes_the_options_of_the_files_it_covers() {
    let p = check(
        r#"
//- /index.html
<script type="module" src="/src/main.tsx"></script>
//- /src/main.tsx
export const App = () => <div />;
//- /node_modules/preact/package.json
{ "name": "preact", "exports": { "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/preact/jsx-dev-runtime.js
export function jsxDEV() {}
//- /node_modules/react/package.json
{ "name": "react", "exports": { "./jsx-dev-runtime": "./jsx-dev-runtime.js" } }
//- /node_modules/react/jsx-dev-runtime.js
module.exports = { jsxDEV() {} };
"#,
        &[
            "//- /tsconfig.json\n{ \"compilerOptions\": { \"jsx\": \"react-jsx\", \"jsxImportSource\": \"preact\" } }\n",
            "//- rm /tsconfig.json\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.tsx: self -> /node_modules/react/jsx-dev-runtime.js
                /node_modules/react/jsx-dev-runtime.js
            create /tsconfig.json
              applied: files [/src/main.tsx], config [/tsconfig.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                emitted_module: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                html_entries: reused project
                import_specifiers: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                index_text: reused project
                module_deps: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                module_diagnostics: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                module_graph: ran project
                module_imports: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                parsed_module: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
                public_env: reused project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/preact/jsx-dev-runtime.js /src/main.tsx
              changed: /src/main.tsx /node_modules/preact/jsx-dev-runtime.js
              removed: /node_modules/react/jsx-dev-runtime.js
              config changed: /tsconfig.json
              graph:
                /src/main.tsx -> /node_modules/preact/jsx-dev-runtime.js
                /node_modules/preact/jsx-dev-runtime.js
              plan: reload: /tsconfig.json changed
            delete /tsconfig.json
              applied: files [/src/main.tsx], config [/tsconfig.json], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                emitted_module: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                entry_html: reused project
                file_exists: reused /src/main.tsx
                hot_meta: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                html_entries: reused project
                import_specifiers: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                index_text: reused project
                module_deps: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                module_diagnostics: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                module_graph: ran project
                module_imports: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                parsed_module: ran /src/main.tsx; reused /node_modules/react/jsx-dev-runtime.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /node_modules/react/jsx-dev-runtime.js /src/main.tsx
              changed: /src/main.tsx /node_modules/react/jsx-dev-runtime.js
              removed: /node_modules/preact/jsx-dev-runtime.js
              config changed: /tsconfig.json
              graph:
                /src/main.tsx: self -> /node_modules/react/jsx-dev-runtime.js
                /node_modules/react/jsx-dev-runtime.js
              plan: reload: /tsconfig.json changed
        "#]],
    );
    let main = p
        .host
        .module_code(index(&p, "/src/main.tsx"))
        .expect("main");
    assert!(main.code.contains("react/jsx-dev-runtime"), "{}", main.code);
}

#[test]
fn a_watched_tsconfig_that_reads_empty_is_deferred_until_read_again() {
    check(
        r#"
//- /index.html
<script type="module" src="/src/main.ts"></script>
//- /src/main.ts
export class A { x = 1; }
//- /tsconfig.json
{ "compilerOptions": { "target": "es2023" } }
"#,
        &[
            // Caught between a truncate and the write: not taken (no recompile with defaults).
            "//- watched\n//- /tsconfig.json\n",
            // The write lands.
            "//- watched\n//- /tsconfig.json\n{ \"compilerOptions\": { \"target\": \"es2021\" } }\n",
            // Really emptied: deferred once, then taken by the re-read.
            "//- watched\n//- /tsconfig.json\n",
            "//- report /tsconfig.json",
        ],
        expect![[r#"
            build
              graph:
                /src/main.ts
            watched: edit /tsconfig.json
              applied: deferred [/tsconfig.json]
              queries: none
              changed: nothing
              plan: nothing
            watched: edit /tsconfig.json
              applied: files [/src/main.ts], config [/tsconfig.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: ran /src/main.ts
                emitted_module: ran /src/main.ts
                entry_html: reused project
                file_exists: reused /src/main.ts
                hot_meta: ran /src/main.ts
                html_entries: reused project
                import_specifiers: reused /src/main.ts
                index_text: reused project
                module_deps: reused /src/main.ts
                module_diagnostics: ran /src/main.ts
                module_graph: reused project
                module_imports: ran /src/main.ts
                parsed_module: ran /src/main.ts
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.ts
              changed: /src/main.ts
              config changed: /tsconfig.json
              plan: reload: /tsconfig.json changed
            watched: edit /tsconfig.json
              applied: deferred [/tsconfig.json]
              queries: none
              changed: nothing
              plan: nothing
            report /tsconfig.json
              applied: config [/tsconfig.json], epoch moved
              queries:
                chunk: reused project
                chunk_entry: reused /src/main.ts
                emitted_module: reused /src/main.ts
                entry_html: reused project
                file_exists: reused /src/main.ts
                hot_meta: reused /src/main.ts
                html_entries: reused project
                import_specifiers: reused /src/main.ts
                index_text: reused project
                module_deps: reused /src/main.ts
                module_diagnostics: reused /src/main.ts
                module_graph: reused project
                module_imports: reused /src/main.ts
                parsed_module: reused /src/main.ts
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/main.ts
              changed: nothing
              config changed: /tsconfig.json
              plan: reload: /tsconfig.json changed
        "#]],
    );
}

/// A file no module reads that the watcher saw modified (it was there before: a log or a
/// declaration file a plugin writes) does not move the resolution epoch, so no import is
/// resolved again (with plugins, a `resolveId` round trip per module); one that appeared does.
#[test]
fn a_file_the_watcher_saw_modified_does_not_move_the_epoch() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport './a';\n//- /src/a.js\nexport {};\n//- /notes.log\nfirst\n",
    );
    p.build();
    p.project.write("notes.log", "second\n");
    let log = p.path("notes.log");
    p.host.note_modified([log.clone()]);
    let applied = p.host.apply_changes(std::slice::from_ref(&log));
    assert!(!applied.epoch_moved, "modified, not created");
    p.project.write("src/new.js", "export {};\n");
    let new = p.path("src/new.js");
    let applied = p.host.apply_changes(std::slice::from_ref(&new));
    assert!(applied.epoch_moved, "a file that appeared");
}

/// An edit that adds a static import of a file that is not there is not sent: the page keeps
/// the module's last good code and shows the error (Vite's import analysis fails the module's
/// transform), where it got a module that threw at its first `require`. The fix sends it.
#[test]
fn an_edit_importing_a_missing_file_keeps_the_last_good_module() {
    use crate::telemetry::UpdateOutcome;
    use crate::update::{Cause, prepare};
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport { a } from './a.js';\nconsole.log(a);\nimport.meta.hot.accept();\n\
         //- /src/a.js\nexport const a = 1;\n",
    );
    p.build();
    let mut edit = |text: &str| {
        p.project.write("src/main.js", text);
        p.host.apply_changes(&[p.path("src/main.js")]);
        let files = ["src/main.js".to_string()];
        prepare(&mut p.host, Cause::Edit { files: &files }, 1)
    };
    let broken = edit(
        "import { a } from './a.js';\nimport { nope } from './nope.js';\nconsole.log(a, nope);\nimport.meta.hot.accept();\n",
    );
    assert!(broken.frame.is_none(), "nothing sent");
    assert!(
        matches!(broken.outcome, UpdateOutcome::Errors { count: 1 }),
        "{:?}",
        broken.outcome
    );
    let fixed =
        edit("import { a } from './a.js';\nconsole.log(a, 2);\nimport.meta.hot.accept();\n");
    assert!(fixed.frame.is_some(), "the fix is sent");
    assert!(
        matches!(fixed.outcome, UpdateOutcome::Hot { .. }),
        "{:?}",
        fixed.outcome
    );
}

/// A file's text is held from its read until its build is published (`release_texts`), then
/// read again from the file by a query that needs it: here every script compiles again under a
/// tsconfig's new JSX, from texts no longer in memory, to the same code a fresh build makes;
/// and the map's `sourcesContent` is read from the file when asked for.
#[test]
fn a_files_text_is_released_after_its_build_and_read_again_when_a_query_needs_it() {
    let mut p = Incremental::new(TSCONFIG_SOLUTION);
    p.build();
    let main_tsx = std::fs::read_to_string(p.path("/src/main.tsx")).unwrap();
    let held = |p: &Incremental, path: &str| {
        let canonical = std::fs::canonicalize(p.path(path)).unwrap();
        let file = p
            .host
            .db()
            .files()
            .get(&canonical)
            .unwrap_or_else(|| panic!("{path}"));
        match file.contents(p.host.db()) {
            crate::inputs::FileContents::Text(text) => text.is_held(),
            other => panic!("{other:?}"),
        }
    };
    // A module's text is released once it compiled; another file's (the page's HTML) with
    // the build's snapshot.
    assert!(!held(&p, "/src/main.tsx") && !held(&p, "/src/label.ts"));
    assert!(held(&p, "/index.html"));
    assert!(p.host.release_texts() > 0);
    assert!(!held(&p, "/index.html"));
    assert_eq!(p.host.release_texts(), 0, "each text is released once");
    let source_of = |p: &mut Incremental, id: &str| {
        p.served(1).modules[id]
            .map_source
            .as_ref()
            .and_then(|source| source.text())
    };
    assert_eq!(
        source_of(&mut p, "/src/main.tsx").as_deref(),
        Some(&*main_tsx)
    );

    let edited = p.project.write(
        "/tsconfig.app.json",
        r#"{ "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "react" }, "include": ["src"] }"#,
    );
    p.host.apply_changes(&[edited]);
    p.host.build();
    assert_eq!(
        p.parsed(),
        crate::testing::id_set(&["/src/label.ts", "/src/main.tsx"])
    );
    let mut fresh = EngineHost::new(p.project.root(), ProjectOptions::default()).expect("host");
    fresh.build();
    let server: Arc<str> = Arc::from("s");
    assert_eq!(
        String::from_utf8_lossy(p.host.served(&server, 2).chunk.bytes()),
        String::from_utf8_lossy(fresh.served(&server, 2).chunk.bytes())
    );
    assert!(p.chunk().contains("/node_modules/react/jsx-dev-runtime.js"));
    // The texts read again were not held again: nothing was read for an input since.
    assert_eq!(p.host.release_texts(), 0);

    // A file changed on disk since its module compiled gives its map no source: not the text
    // the map was made of.
    p.project.write("/src/main.tsx", "export const App = 1;\n");
    assert_eq!(source_of(&mut p, "/src/main.tsx"), None);
}

/// A module's id is made once, with its input: every `file_id` shares it (each deps map
/// entry and graph node naming the module held a string of its own, ~2 MB at 20k modules).
#[test]
fn a_files_module_id_is_one_shared_string() {
    let p = TempProject::from_files(&[("src/a.js", "export {};\n")]);
    let db = crate::db::EngineDb::new(p.root().to_path_buf());
    let path = p.root().join("src/a.js");
    let file = db.files().get_or_read(&db, &path);
    let id = crate::queries::parsed::file_id(&db, file);
    assert_eq!(&*id, "/src/a.js");
    assert!(Arc::ptr_eq(
        &id,
        &crate::queries::parsed::file_id(&db, file)
    ));
}

/// A deleted file's module stays in the page while its importer fails (the importer's last
/// good code uses it: a stylesheet's rules stay on the page behind the overlay), with what
/// only it imported; the import deleted, both go; the file restored instead, it is sent anew.
#[test]
fn a_deleted_module_stays_in_the_page_while_its_importer_fails() {
    let fixture = [
        HTML,
        "//- /src/main.js\nimport { box } from './box.js';\nimport { a } from './a.js';\nconsole.log(box, a);\n\
         //- /src/box.js\nimport './box.css';\nexport const box = 'box';\n\
         //- /src/box.css\n.box { color: red; }\n\
         //- /src/a.js\nexport const a = 1;\n",
    ]
    .concat();
    let mut p = check(
        &fixture,
        &["//- rm /src/box.js"],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/box.js /src/a.js
                /src/box.js -> /src/box.css
                /src/a.js
                /src/box.css: self
            delete /src/box.js
              applied: files [/src/box.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js
                emitted_module: reused /src/a.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: reused /src/a.js /src/main.js
                parsed_module: reused /src/a.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
              diagnostics:
                Resolve /src/main.js:1:21: Cannot resolve './box.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.last().removed.is_empty(), "{:?}", p.last().removed);
    p.check(
        &["//- /src/main.js\nimport { a } from './a.js';\nconsole.log(a);\n"],
        expect![[r#"
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js
                emitted_module: ran /src/main.js; reused /src/a.js
                entry_html: reused project
                file_exists: ran /src/main.js
                hot_meta: ran /src/main.js; reused /src/a.js
                html_entries: reused project
                import_specifiers: ran /src/main.js; reused /src/a.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: ran /src/main.js; reused /src/a.js
                parsed_module: ran /src/main.js; reused /src/a.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js; reused /src/a.js
              changed: /src/main.js
              removed: /src/box.js /src/box.css
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert_eq!(
        p.last().removed.iter().map(|r| &**r).collect::<Vec<_>>(),
        ["/src/box.js", "/src/box.css"]
    );

    let mut p = check(
        &fixture,
        &[
            "//- rm /src/box.js",
            "//- /src/box.js\nimport './box.css';\nexport const box = 'box again';\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/box.js /src/a.js
                /src/box.js -> /src/box.css
                /src/a.js
                /src/box.css: self
            delete /src/box.js
              applied: files [/src/box.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js
                emitted_module: reused /src/a.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/a.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: reused /src/a.js /src/main.js
                parsed_module: reused /src/a.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
              diagnostics:
                Resolve /src/main.js:1:21: Cannot resolve './box.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
            create /src/box.js
              applied: files [/src/box.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/box.js /src/main.js; reused /src/a.js /src/box.css
                emitted_module: ran /src/box.js; reused /src/a.js /src/box.css /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: ran /src/box.js; reused /src/a.js /src/box.css /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/a.js /src/box.css /src/box.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js /src/box.css /src/box.js
                module_diagnostics: ran /src/box.js /src/main.js; reused /src/a.js /src/box.css
                module_graph: ran project
                module_imports: ran /src/box.js; reused /src/a.js /src/box.css /src/main.js
                parsed_module: ran /src/box.js; reused /src/a.js /src/box.css /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/a.js /src/box.css /src/box.js /src/main.js
              changed: /src/main.js /src/box.js
              graph:
                /src/main.js -> /src/box.js /src/a.js
                /src/box.js -> /src/box.css
                /src/a.js
                /src/box.css: self
              diagnostics: none
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.last().removed.is_empty(), "{:?}", p.last().removed);
    p.check(
        &["//- /src/main.js\nimport { a } from './a.js';\nconsole.log(a);\n"],
        expect![[r#"
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/a.js
                emitted_module: ran /src/main.js; reused /src/a.js
                entry_html: reused project
                file_exists: ran /src/main.js
                hot_meta: ran /src/main.js; reused /src/a.js
                html_entries: reused project
                import_specifiers: ran /src/main.js; reused /src/a.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/a.js
                module_diagnostics: ran /src/main.js; reused /src/a.js
                module_graph: ran project
                module_imports: ran /src/main.js; reused /src/a.js
                parsed_module: ran /src/main.js; reused /src/a.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js; reused /src/a.js
              changed: /src/main.js
              removed: /src/box.js /src/box.css
              graph:
                /src/main.js -> /src/a.js
                /src/a.js
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert_eq!(
        p.last().removed.iter().map(|r| &**r).collect::<Vec<_>>(),
        ["/src/box.js", "/src/box.css"],
        "the restored module is an ordinary one again"
    );
}

/// A held module goes once its importer stops failing, also when that takes no change of the
/// graph: the importer's other import compiles again.
#[test]
fn a_held_module_goes_when_its_importer_compiles_again_without_a_graph_change() {
    let mut p = check(
        &[
            HTML,
            "//- /src/main.js\nimport { box } from './box.js';\nimport { c } from './c.js';\nconsole.log(box, c);\n\
             //- /src/box.js\nexport const box = 'box';\n\
             //- /src/c.js\nexport const c = 1;\n",
        ]
        .concat(),
        &[
            "//- rm /src/box.js",
            "//- /src/c.js\nexport const c = ;\n",
            "//- /src/main.js\nimport { c } from './c.js';\nconsole.log(c);\n",
        ],
        expect![[r#"
            build
              graph:
                /src/main.js -> /src/box.js /src/c.js
                /src/box.js
                /src/c.js
            delete /src/box.js
              applied: files [/src/box.js], epoch moved
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/c.js
                emitted_module: reused /src/c.js /src/main.js
                entry_html: reused project
                file_exists: reused /src/main.js
                hot_meta: reused /src/c.js /src/main.js
                html_entries: reused project
                import_specifiers: reused /src/c.js /src/main.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/c.js
                module_diagnostics: ran /src/main.js; reused /src/c.js
                module_graph: ran project
                module_imports: reused /src/c.js /src/main.js
                parsed_module: reused /src/c.js /src/main.js
                public_env: reused project
                react_ignores_jsx_source: ran project
                refresh_runtime: ran project
                resolved_imports: ran /src/c.js /src/main.js
              changed: /src/main.js
              graph:
                /src/main.js -> /src/c.js
                /src/c.js
              diagnostics:
                Resolve /src/main.js:1:21: Cannot resolve './box.js' from /src/main.js: no such file
              plan: reload: /src/main.js changed and no module accepts it
            edit /src/c.js
              applied: files [/src/c.js]
              queries:
                chunk_entry: ran /src/c.js
                emitted_module: ran /src/c.js; reused /src/main.js
                import_specifiers: reused /src/c.js /src/main.js
                module_deps: reused /src/main.js
                module_diagnostics: ran /src/c.js
                module_imports: ran /src/c.js; reused /src/main.js
                parsed_module: ran /src/c.js; reused /src/main.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/c.js /src/main.js
              changed: nothing
              diagnostics:
                Resolve /src/main.js:1:21: Cannot resolve './box.js' from /src/main.js: no such file
                Syntax /src/c.js:1:18: Expression expected
              plan: nothing
            edit /src/main.js
              applied: files [/src/main.js]
              queries:
                chunk: ran project
                chunk_entry: ran /src/main.js; reused /src/c.js
                emitted_module: ran /src/main.js; reused /src/c.js
                entry_html: reused project
                file_exists: ran /src/main.js
                hot_meta: ran /src/c.js /src/main.js
                html_entries: reused project
                import_specifiers: ran /src/main.js; reused /src/c.js
                index_text: reused project
                module_deps: ran /src/main.js; reused /src/c.js
                module_diagnostics: ran /src/main.js; reused /src/c.js
                module_graph: ran project
                module_imports: ran /src/main.js; reused /src/c.js
                parsed_module: ran /src/main.js; reused /src/c.js
                public_env: reused project
                react_ignores_jsx_source: reused project
                refresh_runtime: reused project
                resolved_imports: ran /src/main.js; reused /src/c.js
              changed: /src/main.js
              diagnostics:
                Syntax /src/c.js:1:18: Expression expected
              plan: reload: /src/main.js changed and no module accepts it
        "#]],
    );
    assert!(p.last().removed.is_empty(), "{:?}", p.last().removed);
    p.check(
        &["//- /src/c.js\nexport const c = 2;\n"],
        expect![[r#"
            edit /src/c.js
              applied: files [/src/c.js]
              queries:
                chunk_entry: ran /src/c.js
                emitted_module: ran /src/c.js; reused /src/main.js
                hot_meta: ran /src/c.js
                import_specifiers: reused /src/c.js /src/main.js
                module_deps: reused /src/c.js /src/main.js
                module_diagnostics: ran /src/c.js
                module_imports: ran /src/c.js; reused /src/main.js
                parsed_module: ran /src/c.js; reused /src/main.js
                react_ignores_jsx_source: reused project
                resolved_imports: reused /src/c.js /src/main.js
              changed: /src/c.js
              removed: /src/box.js
              diagnostics: none
              plan: reload: /src/c.js changed and no module accepts it (via /src/c.js <- /src/main.js)
        "#]],
    );
    assert_eq!(
        p.last().removed.iter().map(|r| &**r).collect::<Vec<_>>(),
        ["/src/box.js"]
    );
}

/// An edit whose module compiles but imports one that does not (a component given a new
/// `<style>` block with a syntax error: plugin-vue's style sub-module) is not sent while that
/// import fails, and goes with the fix of the import, whose own edit changes nothing in the
/// module: the page ran its old code, without the import, and never showed the fixed style.
#[test]
fn an_edit_waiting_on_a_failing_new_import_goes_with_the_fix_of_that_import() {
    use crate::update::{Cause, prepare};

    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nimport { label } from './comp.js';\nimport './other.js';\nconsole.log(label);\n\
             //- /src/comp.js\nexport const label = 'v1';\nimport.meta.hot?.accept();\n\
             //- /src/other.js\nexport const other = 1;\nimport.meta.hot?.accept();\n",
        ]
        .concat(),
    );
    p.build();
    let edit = |p: &mut Incremental, files: &[(&str, &str)]| {
        let paths: Vec<_> = files
            .iter()
            .map(|&(path, text)| {
                p.project.write(path, text);
                p.path(path)
            })
            .collect();
        p.host.apply_changes(&paths);
        prepare(&mut p.host, Cause::Edit { files: &[] }, 1)
    };

    // The module imports a new one that does not compile: nothing is sent.
    let update = edit(
        &mut p,
        &[
            ("src/extra.js", "export const extra = ;\n"),
            (
                "src/comp.js",
                "import { extra } from './extra.js';\nexport const label = `v2 ${extra}`;\nimport.meta.hot?.accept();\n",
            ),
        ],
    );
    assert_eq!(sent_modules(&update), Vec::<String>::new());
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    // The fix of the import sends the module that waited on it, with it.
    let update = edit(&mut p, &[("src/extra.js", "export const extra = '!';\n")]);
    assert_eq!(sent_modules(&update), ["/src/comp.js", "/src/extra.js"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    // Sent once: the next edit elsewhere sends itself alone.
    let update = edit(
        &mut p,
        &[(
            "src/other.js",
            "export const other = 2;\nimport.meta.hot?.accept();\n",
        )],
    );
    assert_eq!(sent_modules(&update), ["/src/other.js"]);
}

/// An edit whose module's literal `import()` does not resolve is not sent, as Vite's import
/// analysis fails it: the page keeps its last good code, and the file coming back sends the
/// module with it. Sent, the new code's `import()` rejected in the page, and a router's lazy
/// route (preact-iso's `lazy()`) kept that rejection: a deleted route file that came back
/// left the page on the old route, with no message.
#[test]
fn an_edit_whose_import_call_does_not_resolve_waits_for_the_file() {
    use crate::update::{Cause, prepare};

    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nexport const load = () => import('./page.js');\nimport.meta.hot?.accept();\n\
             //- /src/page.js\nexport default 'page';\n",
        ]
        .concat(),
    );
    p.build();
    let edit = |p: &mut Incremental, files: &[(&str, &str)]| {
        let paths: Vec<_> = files
            .iter()
            .map(|&(path, text)| {
                p.project.write(path, text);
                p.path(path)
            })
            .collect();
        p.host.apply_changes(&paths);
        prepare(&mut p.host, Cause::Edit { files: &[] }, 1)
    };

    let update = edit(
        &mut p,
        &[(
            "src/main.js",
            "export const load = () => import('./page.js');\nexport const more = () => import('./contact.js');\nimport.meta.hot?.accept();\n",
        )],
    );
    assert_eq!(sent_modules(&update), Vec::<String>::new());
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    // The file comes: the module that waited goes with it.
    let update = edit(&mut p, &[("src/contact.js", "export default 'contact';\n")]);
    assert!(
        sent_modules(&update).contains(&"/src/main.js".to_string()),
        "{:?}",
        sent_modules(&update)
    );
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}

/// A specifier that does not resolve is one error, at its first import, however many
/// statements of the module name it (a barrel's `export … from './Badge'` lines after the
/// file was deleted printed one error and code frame each); another is an error of its own.
#[test]
fn an_unresolved_specifier_is_one_error_per_module() {
    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nimport { a } from './gone.js';\nexport { b } from './gone.js';\nexport * from './gone.js';\nimport './also-gone.js';\nconsole.log(a);\n",
        ]
        .concat(),
    );
    p.build();
    assert_eq!(
        p.diagnostics(),
        [
            "/src/main.js:1:19: Cannot resolve './gone.js' from /src/main.js: no such file",
            "/src/main.js:4:8: Cannot resolve './also-gone.js' from /src/main.js: no such file",
        ]
    );
}

/// A module held in the page for a failing importer that comes back with the same code (a
/// renamed component's store module, and the package only it imported, once the import
/// names the new file) is no change: the page runs it still. Planned as changed, it ran a
/// second time: `@preact/signals` hooked into Preact twice ("Cycle detected"), a store's
/// state was lost. Its code goes along (a page loaded since lacks it), and nothing runs it.
#[test]
fn a_held_module_back_with_the_code_the_page_holds_does_not_run_again() {
    use crate::update::{Cause, prepare};

    let mut p = Incremental::new(
        &[
            HTML,
            "//- /src/main.js\nimport { Counter } from './Counter.js';\nconsole.log(Counter);\nimport.meta.hot?.accept();\n\
             //- /src/Counter.js\nimport { clicks } from './store.js';\nexport const Counter = () => clicks;\nimport.meta.hot?.accept();\n\
             //- /src/store.js\nexport const clicks = { value: 0 };\n",
        ]
        .concat(),
    );
    p.build();
    // The rename: the importer fails, and holds the old file's modules in the page.
    let text = std::fs::read_to_string(p.path("src/Counter.js")).unwrap();
    let gone = p.project.remove("src/Counter.js");
    let came = p.project.write("src/Clicker.js", &text);
    p.host.apply_changes(&[gone, came]);
    let update = prepare(&mut p.host, Cause::Edit { files: &[] }, 1);
    assert_eq!(sent_modules(&update), Vec::<String>::new());
    assert_eq!(p.diagnostics().len(), 1, "{:?}", p.diagnostics());
    // The import names the new file: it goes with its importer, and the store stays as is.
    let main = p.project.write(
        "src/main.js",
        "import { Counter } from './Clicker.js';\nconsole.log(Counter);\nimport.meta.hot?.accept();\n",
    );
    p.host.apply_changes(&[main]);
    let update = prepare(&mut p.host, Cause::Edit { files: &[] }, 1);
    assert_eq!(
        sent_modules(&update),
        ["/src/main.js", "/src/Clicker.js", "/src/store.js"]
    );
    let (_, frame) = update.frame.as_ref().expect("an update");
    let hotloop_protocol::ServerMessage::Update(hot) =
        hotloop_protocol::wire::decode_server(frame).expect("decodes")
    else {
        panic!("not an update");
    };
    let invalidate: Vec<&str> = hot.invalidate.iter().map(|id| &**id).collect();
    assert_eq!(invalidate, ["/src/Clicker.js", "/src/main.js"]);
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}
