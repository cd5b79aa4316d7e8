//! The host on real temp dirs: what each kind of edit re-runs (counted through salsa's
//! `WillExecute` events), what it reports, and how imports resolve. Projects are written from
//! text fixtures (`//- /src/a.js` starts a file).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cache::CompileCache;
use crate::db::Db as _;
use crate::db::ExecutedQueries;
use crate::graph::{ModuleIndex, ModuleKind};
use crate::host::{AppliedChanges, BuildResult, EngineHost};
use crate::inputs::{ProjectOptions, SourceFile};
use crate::queries::imports::module_imports;
use crate::queries::resolve::{Resolution, resolved_imports};
use hotloop_protocol::DiagnosticKind;

const HTML: &str = "//- /index.html\n<!doctype html>\n<html>\n<head>\n<title>t</title>\n</head>\n<body>\n<script type=\"module\" src=\"/src/main.js\"></script>\n</body>\n</html>\n";

struct TestProject {
    _dir: tempfile::TempDir,
    root: PathBuf,
    host: EngineHost,
}

/// Writes the fixture into a fresh temp dir and opens a host on it (not built yet).
fn project(fixture: &str) -> TestProject {
    project_with(fixture, ProjectOptions::default())
}

/// `project` with other options.
fn project_with(fixture: &str, options: ProjectOptions) -> TestProject {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical temp dir");
    for (path, text) in parse_fixture(fixture) {
        write_file(&root, &path, &text);
    }
    let host = EngineHost::new(&root, options).expect("host");
    host.db().log().set_recording(true);
    TestProject {
        _dir: dir,
        root,
        host,
    }
}

fn parse_fixture(fixture: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            files.push((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = files.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    files
}

fn write_file(root: &Path, path: &str, text: &str) -> PathBuf {
    let full = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
    std::fs::write(&full, text).expect("write");
    full
}

impl TestProject {
    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    fn write(&self, path: &str, text: &str) -> PathBuf {
        write_file(&self.root, path, text)
    }

    fn remove(&self, path: &str) -> PathBuf {
        let full = self.path(path);
        std::fs::remove_file(&full).expect("remove");
        full
    }

    fn apply(&mut self, paths: &[PathBuf]) -> AppliedChanges {
        self.host.apply_changes(paths)
    }

    /// Writes `text` to `path` and applies the change.
    fn edit(&mut self, path: &str, text: &str) -> AppliedChanges {
        let full = self.write(path, text);
        self.apply(&[full])
    }

    fn build(&mut self) -> BuildResult {
        self.host.build()
    }

    /// Builds, then forgets the events of that build.
    fn build_quietly(&mut self) -> BuildResult {
        let result = self.build();
        self.executed();
        result
    }

    fn executed(&self) -> ExecutedQueries {
        self.host.db().take_executed()
    }

    fn file(&self, path: &str) -> SourceFile {
        self.host
            .file(&self.path(path))
            .unwrap_or_else(|| panic!("{path} is not a known file"))
    }

    fn index(&self, id: &str) -> ModuleIndex {
        let graph = self.host.graph().expect("built");
        graph
            .graph
            .index_of(id)
            .unwrap_or_else(|| panic!("{id} is not in the graph"))
    }

    fn ids(&self, indices: &[ModuleIndex]) -> Vec<String> {
        let graph = self.host.graph().expect("built");
        indices
            .iter()
            .map(|&i| graph.graph.module(i).id.to_string())
            .collect()
    }

    fn module_ids(&self) -> Vec<String> {
        let graph = self.host.graph().expect("built");
        graph
            .graph
            .modules
            .iter()
            .map(|m| m.id.to_string())
            .collect()
    }

    fn imports_of(&self, id: &str) -> Vec<String> {
        let graph = self.host.graph().expect("built");
        let index = self.index(id);
        self.ids(graph.graph.imports(index))
    }

    /// `specifier -> module id` for every import of `path` (`!empty`, `!missing: reason`).
    fn resolutions(&self, path: &str) -> Vec<(String, String)> {
        let db = self.host.db();
        let file = self.file(path);
        resolved_imports(db, file)
            .iter()
            .map(|r| {
                let target = match &r.resolution {
                    Resolution::File(target) => db_id(&self.root, target.path(db).clone()),
                    Resolution::Empty => "!empty".to_string(),
                    Resolution::NotFound { message } => format!("!missing: {message}"),
                };
                (r.specifier.to_string(), target)
            })
            .collect()
    }

    fn served_chunk(&mut self) -> String {
        let served = self.host.served(&Arc::from("test-server"), 1);
        String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8 chunk")
    }

    fn diagnostics(&self) -> Vec<String> {
        self.host
            .diagnostics()
            .iter()
            .map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message))
            .collect()
    }
}

fn db_id(root: &Path, path: PathBuf) -> String {
    format!(
        "/{}",
        path.strip_prefix(root)
            .expect("inside the root")
            .to_string_lossy()
    )
}

/// Every event of `executed` was for `file` (and at least one ran).
#[track_caller]
fn assert_only_ran_for(executed: &ExecutedQueries, file: SourceFile) {
    let id = salsa::plumbing::AsId::as_id(&file);
    assert!(!executed.0.is_empty(), "expected some query to run");
    let others: Vec<_> = executed.0.iter().filter(|e| e.key != id).collect();
    assert!(
        others.is_empty(),
        "queries ran for other keys: {others:?}; all: {executed}"
    );
}

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

fn three_modules() -> TestProject {
    project(&format!("{HTML}{THREE_MODULES}"))
}

#[test]
fn editing_a_function_body_reruns_only_that_files_parse_and_emit() {
    let mut p = three_modules();
    let first = p.build_quietly();
    assert_eq!(p.module_ids(), ["/src/main.js", "/src/a.js", "/src/b.js"]);

    let applied = p.edit("/src/a.js", "export function a() {\n  return 40 + 2;\n}\n");
    assert_eq!(applied.changed_files, vec![Arc::from("/src/a.js")]);
    assert!(!applied.epoch_moved);
    let result = p.build();
    let executed = p.executed();

    let a = p.file("/src/a.js");
    executed.assert_query_ran("parsed_module", a);
    executed.assert_query_ran("emitted_module", a);
    executed.assert_query_ran("chunk_entry", a);
    for query in [
        "resolved_imports",
        "module_graph",
        "chunk",
        "html_entries",
        "entry_html",
    ] {
        executed.assert_query_never_ran(query);
    }
    assert_only_ran_for(&executed, a);
    assert!(Arc::ptr_eq(&first.graph, &result.graph), "graph Arc kept");
    assert_eq!(p.ids(&result.changed), ["/src/a.js"]);
    assert!(result.removed.is_empty());
    assert!(!result.html_changed);
    assert!(p.served_chunk().contains("40 + 2"));
}

#[test]
fn saving_identical_text_reruns_nothing_and_reports_no_change() {
    let mut p = three_modules();
    p.build_quietly();
    let text = std::fs::read_to_string(p.path("/src/a.js")).expect("read");
    let applied = p.edit("/src/a.js", &text);
    assert!(applied.is_empty(), "{applied:?}");
    let result = p.build();
    let executed = p.executed();
    assert!(executed.0.is_empty(), "ran: {executed}");
    assert!(result.changed.is_empty());
}

#[test]
fn adding_an_import_re_resolves_only_that_file_and_updates_the_graph() {
    let mut p = project(&format!(
        "{HTML}{THREE_MODULES}//- /src/c.js\nexport const c = 3;\n"
    ));
    p.build_quietly();
    assert!(!p.module_ids().contains(&"/src/c.js".to_string()));

    p.edit(
        "/src/a.js",
        "import { c } from './c.js';\nexport function a() {\n  return c;\n}\n",
    );
    let result = p.build();
    let executed = p.executed();
    let (main, a, b, c) = (
        p.file("/src/main.js"),
        p.file("/src/a.js"),
        p.file("/src/b.js"),
        p.file("/src/c.js"),
    );
    executed.assert_query_ran("resolved_imports", a);
    executed.assert_query_not_ran("resolved_imports", main);
    executed.assert_query_not_ran("resolved_imports", b);
    executed.assert_query_not_ran("parsed_module", main);
    executed.assert_query_not_ran("parsed_module", b);
    executed.assert_query_ran("parsed_module", c);
    assert_eq!(executed.count("module_graph"), 1);
    assert_eq!(p.imports_of("/src/a.js"), ["/src/c.js"]);
    assert_eq!(p.ids(&result.changed), ["/src/a.js", "/src/c.js"]);
    let _ = c;
}

#[test]
fn creating_the_missing_file_fixes_the_import() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ x }} from './missing.js';\nconsole.log(x);\n"
    ));
    p.build_quietly();
    assert_eq!(
        p.diagnostics(),
        ["/src/main.js:1:19: Cannot resolve './missing.js' from /src/main.js: no such file"]
    );
    let created = p.write("/src/missing.js", "export const x = 1;\n");
    let applied = p.apply(&[created]);
    assert!(applied.epoch_moved, "{applied:?}");
    let result = p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(p.imports_of("/src/main.js"), ["/src/missing.js"]);
    assert_eq!(p.ids(&result.changed), ["/src/main.js", "/src/missing.js"]);
    assert!(
        p.served_chunk()
            .contains(r#"{"./missing.js":"/src/missing.js"}"#)
    );
}

#[test]
fn deleting_a_file_turns_importers_imports_into_errors_and_restoring_heals_them() {
    let mut p = three_modules();
    p.build_quietly();
    let text = std::fs::read_to_string(p.path("/src/b.js")).expect("read");

    let deleted = p.remove("/src/b.js");
    let applied = p.apply(&[deleted]);
    assert!(applied.epoch_moved);
    let result = p.build();
    assert_eq!(result.removed, vec![Arc::from("/src/b.js")]);
    assert_eq!(p.module_ids(), ["/src/main.js", "/src/a.js"]);
    assert_eq!(
        p.diagnostics(),
        ["/src/main.js:2:19: Cannot resolve './b.js' from /src/main.js: no such file"]
    );
    assert!(p.served_chunk().contains(r#""./b.js":null"#));

    p.edit("/src/b.js", &text);
    let result = p.build();
    assert!(p.diagnostics().is_empty());
    assert_eq!(p.module_ids(), ["/src/main.js", "/src/a.js", "/src/b.js"]);
    assert_eq!(p.ids(&result.changed), ["/src/main.js", "/src/b.js"]);
}

#[test]
fn a_body_edit_that_breaks_the_syntax_reports_it_and_the_fix_clears_it() {
    let mut p = three_modules();
    p.build_quietly();
    p.edit("/src/b.js", "export function b() {\n  return (;\n}\n");
    let result = p.build();
    // The browser keeps running the last good code: nothing to send, the chunk keeps it too.
    assert!(result.changed.is_empty(), "{:?}", p.ids(&result.changed));
    let diagnostics = p.host.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].kind, DiagnosticKind::Syntax);
    assert_eq!(diagnostics[0].file, "/src/b.js");
    assert!(p.served_chunk().contains("return 2"));

    p.edit("/src/b.js", "export function b() {\n  return 3;\n}\n");
    let result = p.build();
    assert_eq!(p.ids(&result.changed), ["/src/b.js"]);
    assert!(p.host.diagnostics().is_empty());
    assert!(p.served_chunk().contains("__hotloop.define(\"/src/b.js\""));
}

#[test]
fn a_syntax_error_keeps_the_modules_imports_in_the_graph_and_the_page() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js
import {{ App }} from './App.js';
App();
//- /src/App.js
import './App.css';
import {{ label }} from './label.js';
export function App() {{
  return label;
}}
//- /src/App.css
.app {{ color: red; }}
//- /src/label.js
export const label = 'hi';
"
    ));
    let first = p.build_quietly();
    let ids = p.module_ids();
    assert_eq!(
        ids,
        [
            "/src/main.js",
            "/src/App.js",
            "/src/App.css",
            "/src/label.js"
        ]
    );

    p.edit(
        "/src/App.js",
        "import './App.css';\nimport { label } from './label.js';\nexport function App() {\n  return (label;\n}\n",
    );
    let broken = p.build();
    p.executed().assert_query_never_ran("module_graph");
    assert!(Arc::ptr_eq(&first.graph, &broken.graph), "graph Arc kept");
    assert!(broken.removed.is_empty(), "{:?}", broken.removed);
    assert!(broken.changed.is_empty());
    assert_eq!(broken.diagnostics.len(), 1);
    let chunk = p.served_chunk();
    assert!(chunk.contains("return label;"), "last good App.js kept");
    assert!(chunk.contains("__hotloop.define(\"/src/App.css\""));

    p.edit(
        "/src/App.js",
        "import './App.css';\nimport { label } from './label.js';\nexport function App() {\n  return label + '!';\n}\n",
    );
    let fixed = p.build();
    assert!(Arc::ptr_eq(&first.graph, &fixed.graph), "graph Arc kept");
    assert_eq!(p.ids(&fixed.changed), ["/src/App.js"]);
    assert!(fixed.removed.is_empty());
    assert!(fixed.diagnostics.is_empty());
}

#[test]
fn editing_a_file_outside_the_graph_twice_costs_nothing_the_second_time() {
    let mut p = project(&format!("{HTML}{THREE_MODULES}//- /notes.txt\nhello\n"));
    p.build_quietly();
    let notes = p.path("/notes.txt");
    p.write("/notes.txt", "hello again\n");
    // The first event for a path nobody referenced could be a creation.
    assert!(p.apply(std::slice::from_ref(&notes)).epoch_moved);
    p.build_quietly();
    p.write("/notes.txt", "hello once more\n");
    assert!(p.apply(&[notes]).is_empty());
    let result = p.build();
    assert!(p.executed().0.is_empty());
    assert!(result.changed.is_empty());
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

#[test]
fn bare_specifiers_resolve_through_node_modules() {
    let mut p = project(&format!(
        "{HTML}{PACKAGES}//- /src/main.js
import cond from 'cond';
import sub from 'cond/sub';
import dual from 'dual';
import remap from 'remap';
import mod from 'modpkg';
import extra from 'modpkg/extra.js';
import main from 'mainpkg';
const dualCjs = require('dual');
console.log(cond, sub, dual, remap, mod, extra, main, dualCjs);
"
    ));
    p.build();
    assert_eq!(
        p.resolutions("/src/main.js"),
        [
            ("cond", "/node_modules/cond/browser-dev.js"),
            ("cond/sub", "/node_modules/cond/sub/index.js"),
            ("dual", "/node_modules/dual/esm.mjs"),
            ("remap", "/node_modules/remap/index.js"),
            ("modpkg", "/node_modules/modpkg/module.js"),
            ("modpkg/extra.js", "/node_modules/modpkg/extra.js"),
            ("mainpkg", "/node_modules/mainpkg/lib/main.js"),
            ("dual", "/node_modules/dual/cjs.cjs"),
        ]
        .map(|(s, t)| (s.to_string(), t.to_string()))
    );
    assert_eq!(
        p.resolutions("/node_modules/remap/index.js"),
        [
            ("./server.js", "/node_modules/remap/client.js"),
            ("fs", "!empty"),
        ]
        .map(|(s, t)| (s.to_string(), t.to_string()))
    );
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.served_chunk();
    assert!(chunk.starts_with("__hotloop.define(\"/@hotloop/empty\", {}, "));
    assert!(
        chunk.contains(r#"{"./server.js":"/node_modules/remap/client.js","fs":"/@hotloop/empty"}"#)
    );
}

#[test]
fn a_missing_package_names_the_importer_the_specifier_and_the_install_command() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport pad from 'left-pad/index.js';\nconsole.log(pad);\n"
    ));
    p.build();
    let diagnostics = p.host.diagnostics();
    assert_eq!(diagnostics.len(), 1);
    let d = &diagnostics[0];
    assert_eq!(d.kind, DiagnosticKind::Resolve);
    assert_eq!((d.file.as_str(), d.line, d.column), ("/src/main.js", 1, 17));
    assert_eq!(
        d.message,
        "Cannot resolve 'left-pad/index.js' from /src/main.js: package 'left-pad' is not \
         installed (run `npm install left-pad`)"
    );
    assert!(
        d.code_frame.contains("> 1 | import pad"),
        "{}",
        d.code_frame
    );
}

#[test]
fn typescript_imports_resolve_with_extension_aliases_and_tsconfig_paths() {
    let mut p = project(
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
    assert_eq!(
        p.resolutions("/src/main.ts"),
        [
            ("./util.js", "/src/util.ts"),
            ("@/lib/helper", "/src/lib/helper.tsx"),
            ("./dir", "/src/dir/index.ts"),
        ]
        .map(|(s, t)| (s.to_string(), t.to_string()))
    );
}

// ---------------------------------------------------------------- html, css, assets, json

#[test]
fn html_entries_are_collected_and_the_page_is_rewritten() {
    let mut p = project(
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
    );
    let result = p.build();
    assert_eq!(
        p.module_ids(),
        ["/src/main.js", "/src/second.js", "/src/style.css"]
    );
    let graph = &result.graph;
    assert_eq!(
        p.ids(&graph.graph.entries),
        ["/src/main.js", "/src/second.js", "/src/style.css"]
    );
    assert_eq!(
        p.ids(&graph.script_entries),
        ["/src/main.js", "/src/second.js"]
    );
    let css = graph.graph.module(p.index("/src/style.css"));
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
        "__hotloop.start([\"/src/main.js\",\"/src/second.js\"], {\"revision\":7,\"serverId\":\"s1\"});\n//# sourceMappingURL=/_hotloop/chunk.js.map\n"
    ));
    let style = served.modules.get("/src/style.css").expect("served css");
    assert_eq!(style.stylesheet.as_deref(), Some("body { color: red; }\n"));
}

#[test]
fn without_a_head_the_runtime_goes_before_the_first_script() {
    let mut p = project(
        "//- /index.html\n<p>hi</p>\n<script src=\"/legacy.js\"></script>\n<script type=\"module\" src=\"/src/main.js\"></script>\n//- /src/main.js\nexport {};\n",
    );
    p.build();
    let served = p.host.served(&Arc::from("s"), 1);
    assert_eq!(
        served.html.as_deref(),
        Some(
            "<p>hi</p>\n<script src=\"/_hotloop/runtime.js\"></script><script src=\"/legacy.js\"></script>\n<script defer src=\"/_hotloop/chunk.js\"></script>\n"
        )
    );
}

#[test]
fn a_missing_index_html_is_a_diagnostic_and_a_page_that_says_so() {
    let mut p = project("//- /src/main.js\nexport {};\n");
    let result = p.build();
    assert!(result.graph.is_empty());
    assert_eq!(result.diagnostics.len(), 1);
    assert_eq!(result.diagnostics[0].file, "/index.html");
    assert!(
        result.diagnostics[0]
            .message
            .starts_with("There is no index.html in ")
    );
    let served = p.host.served(&Arc::from("s"), 1);
    let html = served.html.expect("generated page");
    assert!(html.contains(r#"<script src="/_hotloop/runtime.js"></script>"#));
    assert!(html.contains("there is no index.html"));

    // Creating it heals.
    p.edit(
        "/index.html",
        "<script type=\"module\" src=\"/src/main.js\"></script>\n",
    );
    let result = p.build();
    assert!(result.html_changed);
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    assert_eq!(p.module_ids(), ["/src/main.js"]);
}

#[test]
fn a_missing_entry_script_is_reported_against_index_html() {
    let mut p = project(
        "//- /index.html\n<head></head>\n<script type=\"module\" src=\"/src/nope.js\"></script>\n",
    );
    p.build();
    assert_eq!(
        p.diagnostics(),
        ["/index.html:2:1: Cannot find /src/nope.js (entry script in /index.html)"]
    );
}

#[test]
fn css_json_and_asset_imports_become_modules() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js
import './a.css';
import data from './data.json';
import logo from './logo.png';
console.log(data, logo);
//- /src/a.css
.a {{ color: blue; }}
//- /src/data.json
{{ \"answer\": 42 }}
//- /src/logo.png
not really a png
"
    ));
    let result = p.build();
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    let graph = &result.graph.graph;
    let kinds: Vec<_> = graph
        .modules
        .iter()
        .map(|m| (m.id.to_string(), m.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("/src/main.js".to_string(), ModuleKind::Js),
            ("/src/a.css".to_string(), ModuleKind::Css),
            ("/src/data.json".to_string(), ModuleKind::Json),
            ("/src/logo.png".to_string(), ModuleKind::Asset),
        ]
    );
    assert!(graph.module(p.index("/src/a.css")).self_accepts);
    let chunk = p.served_chunk();
    assert!(chunk.contains("__hotloop_meta.css("), "{chunk}");
    assert!(chunk.contains("42"), "{chunk}");
    let hash = crate::inputs::content_hash(b"not really a png\n");
    let url = format!("/src/logo.png?v={:08x}", hash >> 32);
    assert!(chunk.contains(&url), "{url} not in {chunk}");

    // Editing the asset changes its URL.
    p.edit("/src/logo.png", "a different picture\n");
    let result = p.build();
    assert_eq!(p.ids(&result.changed), ["/src/logo.png"]);
}

#[test]
fn node_modules_files_are_high_durability_so_source_edits_skip_revalidating_them() {
    let mut p = project(&format!(
        "{HTML}{PACKAGES}//- /src/main.js\nimport m from 'mainpkg';\nimport {{ x }} from './x.js';\nconsole.log(m, x);\n//- /src/x.js\nexport const x = 1;\n//- /src/y.js\nexport const y = 2;\n"
    ));
    p.build();
    let db = p.host.db();
    let dep = p.file("/node_modules/mainpkg/lib/main.js");
    let x = p.file("/src/x.js");
    module_imports(db, dep);
    module_imports(db, x);
    db.log().take();

    // A LOW-durability input changes...
    p.edit(
        "/src/main.js",
        "import m from 'mainpkg';\nimport { x } from './x.js';\nconsole.log(x, m);\n",
    );
    let db = p.host.db();
    module_imports(db, dep);
    let dep_events = db.log().take();
    module_imports(db, x);
    let src_events = db.log().take();
    // ...so the source file's memo is validated through its dependencies, while the
    // node_modules one is validated by durability alone.
    let names = |events: &[crate::db::QueryEvent]| {
        events
            .iter()
            .map(|e| e.query.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&dep_events), ["module_imports"]);
    assert!(
        names(&src_events).contains(&"parsed_module".to_string()),
        "{src_events:?}"
    );
}

#[test]
fn module_code_gives_the_factory_and_the_deps_map() {
    let mut p = three_modules();
    p.build();
    let main = p.index("/src/main.js");
    let code = p.host.module_code(main).expect("compiles");
    assert_eq!(&*code.id, "/src/main.js");
    assert_eq!(code.kind, ModuleKind::Js);
    assert!(
        code.code
            .starts_with("(function (module, exports, require, __hotloop_meta")
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
    let chunk = p.served_chunk();
    let at = |id: &str| chunk.find(&format!("__hotloop.define(\"{id}\"")).expect(id);
    assert!(at("/src/a.js") < at("/src/main.js") && at("/src/b.js") < at("/src/main.js"));
}

#[test]
fn editing_index_html_rebuilds_the_page() {
    let mut p = three_modules();
    p.build_quietly();
    let applied = p.edit(
        "/index.html",
        "<head><title>new</title></head><script type=\"module\" src=\"/src/main.js\"></script>\n",
    );
    assert!(applied.html_changed);
    let result = p.build();
    assert!(result.html_changed);
    assert!(result.changed.is_empty());
    let served = p.host.served(&Arc::from("s"), 2);
    assert!(served.html.expect("html").contains("<title>new</title>"));
}

#[test]
fn a_node_builtin_without_a_browser_remap_is_reported_as_such() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport fs from 'node:fs';\nimport path from 'path';\nconsole.log(fs, path);\n"
    ));
    p.build();
    assert_eq!(
        p.diagnostics(),
        [
            "/src/main.js:1:16: Cannot resolve 'node:fs' from /src/main.js: 'fs' is a Node.js built-in module, which does not exist in the browser",
            "/src/main.js:2:18: Cannot resolve 'path' from /src/main.js: 'path' is a Node.js built-in module, which does not exist in the browser",
        ]
    );
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

const REFRESH_TAG: &str = r#"<script src="/_hotloop/react-refresh.js"></script>"#;

#[test]
fn react_refresh_comes_from_the_app_when_installed_else_the_embedded_copy() {
    let mut p = project(&format!("{HTML}{REACT_APP}"));
    p.build();
    let served = p.host.served(&Arc::from("s"), 1);
    let html = served.html.as_deref().expect("html");
    assert!(
        html.contains(&format!(
            "<script src=\"/_hotloop/runtime.js\"></script>{REFRESH_TAG}"
        )),
        "the embedded copy loads right after the runtime:\n{html}"
    );
    assert!(!p.served_chunk().contains("refreshRuntime"));

    // `npm install react-refresh`: the app's own copy is used from then on.
    p.write(
        "/node_modules/react-refresh/package.json",
        r#"{ "name": "react-refresh", "exports": { ".": "./runtime.js", "./runtime": "./runtime.js" } }"#,
    );
    p.write(
        "/node_modules/react-refresh/runtime.js",
        "module.exports = require('./cjs/dev.js');\n",
    );
    p.write(
        "/node_modules/react-refresh/cjs/dev.js",
        "exports.performReactRefresh = function () {};\n",
    );
    let dir = p.path("/node_modules/react-refresh");
    assert!(p.apply(&[dir]).epoch_moved);
    p.build();
    let served = p.host.served(&Arc::from("s"), 2);
    assert!(!served.html.as_deref().expect("html").contains(REFRESH_TAG));
    let chunk = p.served_chunk();
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
    let mut p = three_modules();
    p.build();
    let served = p.host.served(&Arc::from("s"), 1);
    assert!(
        !served
            .html
            .as_deref()
            .expect("html")
            .contains("react-refresh")
    );
    assert!(!p.served_chunk().contains("refreshRuntime"));
}

#[test]
fn a_watched_file_that_turns_empty_is_deferred_until_read_again() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ a }} from './a.js';\nconsole.log(a);\n//- /src/a.js\nexport const a = 1;\n"
    ));
    p.build_quietly();
    // Caught between a truncate and the write: nothing is taken yet.
    let a = p.write("/src/a.js", "");
    let applied = p.host.apply_watched_changes(std::slice::from_ref(&a));
    assert!(applied.is_empty(), "{applied:?}");
    assert_eq!(applied.deferred, vec![a.clone()]);
    assert!(p.build().changed.is_empty());
    // The write lands: the next watched read takes it as usual.
    p.write("/src/a.js", "export const a = 2;\n");
    let applied = p.host.apply_watched_changes(std::slice::from_ref(&a));
    assert_eq!(applied.changed_files, vec![Arc::<str>::from("/src/a.js")]);
    assert!(applied.deferred.is_empty());
    p.build_quietly();
    // A file really emptied: deferred once, then taken by the re-read.
    p.write("/src/a.js", "");
    let applied = p.host.apply_watched_changes(std::slice::from_ref(&a));
    assert_eq!(applied.deferred, vec![a.clone()]);
    let applied = p.apply(std::slice::from_ref(&a));
    assert_eq!(applied.changed_files, vec![Arc::<str>::from("/src/a.js")]);
    let changed = p.build().changed;
    assert_eq!(p.ids(&changed), ["/src/a.js"]);
    // A file that was empty already, or a new empty file, is never deferred.
    p.write("/src/a.js", "export const a = 3;\n");
    p.apply(std::slice::from_ref(&a));
    p.build_quietly();
    let b = p.write("/src/b.js", "");
    let applied = p.host.apply_watched_changes(&[b]);
    assert!(applied.deferred.is_empty());
}

#[test]
fn graph_flags_come_from_hot_facts_and_dynamic_imports_do_not_load() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js
import {{ a }} from './a.js';
import './declined.js';
import('./lazy.js');
if (import.meta.hot) {{
  import.meta.hot.accept('./a.js', (m) => console.log(m.a));
}}
console.log(a);
//- /src/a.js
export const a = 1;
//- /src/declined.js
import.meta.hot.decline();
//- /src/lazy.js
import {{ a }} from './a.js';
import {{ only }} from './only-lazy.js';
export const lazy = a + only;
import.meta.hot.accept();
//- /src/only-lazy.js
export const only = 2;
"
    ));
    let result = p.build();
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    let graph = &result.graph.graph;
    let module = |id: &str| graph.module(p.index(id));
    assert_eq!(p.ids(&module("/src/main.js").accepted_deps), ["/src/a.js"]);
    assert!(!module("/src/main.js").self_accepts);
    assert!(module("/src/lazy.js").self_accepts);
    assert!(module("/src/declined.js").declines);
    assert!(module("/src/a.js").loaded);
    assert!(!module("/src/lazy.js").loaded);
    assert!(!module("/src/only-lazy.js").loaded);
    // Dynamic imports are still defined in the chunk so `import()` can require them.
    let chunk = p.served_chunk();
    assert!(chunk.contains("__hotloop.define(\"/src/only-lazy.js\""));
}

#[test]
fn linked_stylesheets_follow_their_imports() {
    let mut p = project(
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
    );
    let result = p.build();
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    assert_eq!(p.module_ids(), ["/src/style.css", "/src/base.css"]);
    assert_eq!(p.imports_of("/src/style.css"), ["/src/base.css"]);
    let served = p.host.served(&Arc::from("s"), 1);
    let style = served.modules.get("/src/style.css").expect("served");
    let sheet = style.stylesheet.as_deref().expect("stylesheet");
    assert!(sheet.contains("/src/img/bg.png"), "{sheet}");
    // Stylesheets are linked, not started: the chunk starts no entry.
    let chunk = String::from_utf8(served.chunk.bytes().to_vec()).expect("utf-8");
    assert!(chunk.contains("__hotloop.start([], "), "{chunk}");
}

#[test]
fn react_refresh_is_emitted_for_sources_but_not_for_node_modules() {
    let mut p = project(
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
    );
    let result = p.build();
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    let main = p.host.module_code(p.index("/src/main.jsx")).expect("main");
    let lib = p
        .host
        .module_code(p.index("/node_modules/lib/index.jsx"))
        .expect("lib");
    assert!(main.code.contains("$RefreshReg$(_c"), "{}", main.code);
    assert!(!lib.code.contains("$RefreshReg$(_c"), "{}", lib.code);
    assert!(
        result
            .graph
            .graph
            .module(p.index("/src/main.jsx"))
            .self_accepts
    );
}

#[test]
fn changing_a_package_json_moves_the_epoch_and_re_resolves_bare_imports() {
    let mut p = project(&format!(
        "{HTML}{PACKAGES}//- /src/main.js\nimport m from 'mainpkg';\nconsole.log(m);\n//- /node_modules/mainpkg/lib/other.js\nmodule.exports = 'other';\n"
    ));
    p.build_quietly();
    assert_eq!(
        p.resolutions("/src/main.js"),
        [(
            "mainpkg".to_string(),
            "/node_modules/mainpkg/lib/main.js".to_string()
        )]
    );
    let applied = p.edit(
        "/node_modules/mainpkg/package.json",
        "{ \"name\": \"mainpkg\", \"main\": \"./lib/other.js\" }\n",
    );
    assert!(applied.epoch_moved);
    assert_eq!(
        applied.config_changed,
        vec![Arc::from("/node_modules/mainpkg/package.json")]
    );
    let result = p.build();
    assert_eq!(
        p.resolutions("/src/main.js"),
        [(
            "mainpkg".to_string(),
            "/node_modules/mainpkg/lib/other.js".to_string()
        )]
    );
    assert_eq!(
        result.removed,
        vec![Arc::from("/node_modules/mainpkg/lib/main.js")]
    );
    assert_eq!(
        p.ids(&result.changed),
        ["/src/main.js", "/node_modules/mainpkg/lib/other.js"]
    );
}

#[test]
fn an_npm_install_is_picked_up_through_the_package_lock_marker() {
    let mut p = project(&format!(
        "{HTML}{PACKAGES}//- /src/main.js\nimport m from 'mainpkg';\nconsole.log(m);\n"
    ));
    p.build_quietly();
    // `npm install` rewrites package files (not watched: the watcher stays out of packages),
    // then node_modules/.package-lock.json (watched).
    p.write(
        "/node_modules/mainpkg/lib/main.js",
        "module.exports = 'v2';\n",
    );
    let lock = p.write(
        "/node_modules/.package-lock.json",
        "{ \"lockfileVersion\": 3 }\n",
    );
    let applied = p.apply(&[lock]);
    assert_eq!(
        applied.config_changed,
        vec![Arc::from("/node_modules/.package-lock.json")]
    );
    assert!(applied.epoch_moved);
    assert_eq!(
        applied.changed_files,
        vec![Arc::from("/node_modules/mainpkg/lib/main.js")]
    );
    let result = p.build();
    assert_eq!(
        p.ids(&result.changed),
        ["/node_modules/mainpkg/lib/main.js"]
    );
    assert!(p.served_chunk().contains("'v2'"));
}

#[test]
fn rescan_re_reads_every_known_file() {
    let mut p = three_modules();
    p.build_quietly();
    // Changes the watcher never reported.
    p.write(
        "/src/a.js",
        "export function a() {\n  return 'rescanned';\n}\n",
    );
    p.remove("/src/b.js");
    let applied = p.host.rescan();
    assert!(applied.epoch_moved);
    assert_eq!(
        applied.changed_files,
        vec![Arc::from("/src/a.js"), Arc::from("/src/b.js")]
    );
    let result = p.build();
    assert_eq!(result.removed, vec![Arc::from("/src/b.js")]);
    assert!(p.served_chunk().contains("rescanned"));
}

#[test]
fn deleting_a_directory_without_events_for_its_files_still_updates_them() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ x }} from './lib/x.js';\nconsole.log(x);\n//- /src/lib/x.js\nexport const x = 1;\n"
    ));
    p.build_quietly();
    let dir = p.path("/src/lib");
    std::fs::remove_dir_all(&dir).expect("rm -r");
    let applied = p.apply(&[dir]);
    assert_eq!(applied.changed_files, vec![Arc::from("/src/lib/x.js")]);
    p.build();
    assert_eq!(
        p.diagnostics(),
        ["/src/main.js:1:19: Cannot resolve './lib/x.js' from /src/main.js: no such file"]
    );
}

#[test]
fn a_js_module_over_8_mb_is_reported_instead_of_parsed() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ big }} from './big.js';\nconsole.log(big);\n"
    ));
    let mut big = String::from("export const big = [\n");
    while big.len() <= 8 * 1024 * 1024 {
        big.push_str(
            "  'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n",
        );
    }
    big.push_str("];\n");
    p.write("/src/big.js", &big);
    p.build();
    assert_eq!(
        p.diagnostics(),
        ["/src/big.js:1:1: /src/big.js is too large to compile (8.0 MB; the limit is 8 MB)"]
    );
}

#[test]
fn a_missing_root_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope");
    match EngineHost::new(&missing, ProjectOptions::default()) {
        Err(crate::host::HostError::RootNotFound { path }) => {
            assert_eq!(path, missing)
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a missing root must not open"),
    }
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    assert!(matches!(
        EngineHost::new(&file, ProjectOptions::default()),
        Err(crate::host::HostError::RootNotADirectory { .. })
    ));
}

#[test]
fn optional_requires_inside_node_modules_are_not_errors_but_static_imports_are() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport 'opt';\n//- /node_modules/opt/package.json\n{{ \"name\": \"opt\", \"main\": \"index.js\" }}\n//- /node_modules/opt/index.js\nlet enc;\ntry {{\n  enc = require('encoding');\n}} catch (e) {{}}\nimport('also-optional').catch(() => {{}});\nexport {{ enc }};\nexport * from 'really-needed';\n"
    ));
    p.build();
    assert_eq!(
        p.diagnostics(),
        [
            "/node_modules/opt/index.js:7:15: Cannot resolve 'really-needed' from /node_modules/opt/index.js: package 'really-needed' is not installed (run `npm install really-needed`)"
        ]
    );
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
    let mut first = project(&fixture);
    first.build();
    let mut second = project(&fixture);
    second.build();
    assert_eq!(first.module_ids().len(), 1 + 30 + 40);
    assert_eq!(first.module_ids(), second.module_ids());
    assert_eq!(first.served_chunk(), second.served_chunk());
    assert!(first.diagnostics().is_empty());
}

#[test]
fn a_directory_restored_in_one_event_brings_its_files_back() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ x }} from './lib/x.js';\nconsole.log(x);\n//- /src/lib/x.js\nexport const x = 1;\n"
    ));
    p.build_quietly();
    let dir = p.path("/src/lib");
    let stash = p.path("/stash");
    std::fs::rename(&dir, &stash).expect("move out");
    p.apply(std::slice::from_ref(&dir));
    p.build();
    assert_eq!(p.diagnostics().len(), 1);

    std::fs::rename(&stash, &dir).expect("move back");
    let applied = p.apply(&[dir]);
    assert!(applied.epoch_moved);
    assert_eq!(applied.changed_files, vec![Arc::from("/src/lib/x.js")]);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(p.module_ids(), ["/src/main.js", "/src/lib/x.js"]);
}

#[test]
fn the_compiler_can_move_to_the_engine_thread() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<EngineHost>();
    assert_send::<hotloop_protocol::Served>();
}

#[test]
fn the_page_served_during_the_cold_build_compiles_nothing_and_is_the_built_page() {
    let mut p = three_modules();
    let server_id: Arc<str> = Arc::from("s1");
    let building = p.host.building(&server_id);
    let executed = p.executed();
    assert!(building.building);
    assert_eq!(executed.count("parsed_module"), 0, "{executed}");
    assert_eq!(executed.count("resolved_imports"), 0, "{executed}");
    assert!(building.chunk.parts.is_empty());

    p.build();
    let built = p.host.served(&server_id, 0);
    assert!(!built.building);
    assert_eq!(building.html, built.html);
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
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let mut first = three_modules();
    first
        .host
        .use_compile_cache(CompileCache::open(cache_dir.path()).expect("cache"));
    first.build();
    let chunk = first.served_chunk();
    let stats = first.host.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (0, 3));
    // Dropping the host flushes the cache's writes.
    let root = first.root.clone();
    drop(first.host);

    let mut second = EngineHost::new(&root, ProjectOptions::default()).expect("host");
    second.use_compile_cache(CompileCache::open(cache_dir.path()).expect("cache"));
    second.build();
    let stats = second.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (3, 0));
    let served = second.served(&Arc::from("test-server"), 1);
    assert_eq!(
        String::from_utf8(served.chunk.bytes().to_vec()).unwrap(),
        chunk
    );

    // An edit misses, and is stored for the next restart.
    write_file(
        &root,
        "/src/a.js",
        "export function a() {\n  return 10;\n}\n",
    );
    second.apply_changes(&[root.join("src/a.js")]);
    second.build();
    let stats = second.db().compile_cache().stats();
    assert_eq!((stats.hits, stats.misses), (3, 1));
}

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
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nconsole.log(import.meta.env.VITE_API);\n\
         //- /.env\nVITE_API=https://base.test\nVITE_NAME=\"hot loop\" # comment\nSECRET=never-sent\n\
         //- /.env.local\nVITE_API=https://local.test\n\
         //- /.env.development\nexport VITE_MODE_ONLY=dev\nVITE_URL=${{VITE_API}}/v1\nHOTLOOP_TEST_PORT=8080\nVITE_PORT=$HOTLOOP_TEST_PORT\n\
         //- /.env.production\nVITE_API=https://prod.test\n"
    ));
    p.build_quietly();
    let chunk = p.served_chunk();
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
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}

#[test]
fn process_env_overrides_and_custom_prefixes() {
    let options = ProjectOptions {
        env_prefixes: vec!["APP_".to_string()],
        env_overrides: vec![("APP_B".to_string(), "process".to_string())],
        ..ProjectOptions::default()
    };
    let mut p = project_with(
        &format!(
            "{HTML}//- /src/main.js\nconsole.log(1);\n//- /.env\nAPP_A=file\nAPP_B=file\nVITE_C=file\n"
        ),
        options,
    );
    p.build();
    assert_eq!(
        start_env(&p.served_chunk()),
        Some(serde_json::json!({ "APP_A": "file", "APP_B": "process" }))
    );
}

#[test]
fn a_mode_reads_its_own_env_files_and_reaches_the_page() {
    let options = ProjectOptions {
        mode: "staging".to_string(),
        ..ProjectOptions::default()
    };
    let mut p = project_with(
        &format!(
            "{HTML}//- /src/main.js\nconsole.log(1);\n//- /.env\nVITE_API=base\nVITE_NAME=base\n\
             //- /.env.development\nVITE_API=dev\n//- /.env.staging\nVITE_API=staging\n\
             //- /.env.staging.local\nVITE_NAME=mine\n"
        ),
        options,
    );
    p.build();
    let chunk = p.served_chunk();
    assert_eq!(
        start_env(&chunk),
        Some(serde_json::json!({ "VITE_API": "staging", "VITE_NAME": "mine" }))
    );
    assert!(chunk.contains(r#""mode":"staging""#), "{chunk}");

    // The mode's files are config (an edit reloads); another mode's are not.
    let applied = p.edit("/.env.staging", "VITE_API=s2\n");
    assert_eq!(applied.config_changed, vec![Arc::from("/.env.staging")]);
    let applied = p.edit("/.env.development", "VITE_API=d2\n");
    assert!(applied.config_changed.is_empty(), "{applied:?}");
    p.build();
    assert_eq!(
        start_env(&p.served_chunk()),
        Some(serde_json::json!({ "VITE_API": "s2", "VITE_NAME": "mine" }))
    );
}

#[test]
fn editing_an_env_file_reloads_with_new_variables_and_reparses_no_module() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nconsole.log(import.meta.env.VITE_X);\n"
    ));
    p.build_quietly();
    assert_eq!(
        start_env(&p.served_chunk()),
        None,
        "no .env: no env in the start call"
    );

    // Created after start: the inputs exist (missing) since the first build.
    let applied = p.edit("/.env", "VITE_X=1\n");
    assert_eq!(applied.config_changed, vec![Arc::from("/.env")]);
    p.build();
    let executed = p.executed();
    assert_eq!(executed.count("parsed_module"), 0, "ran: {executed}");
    assert_eq!(executed.count("public_env"), 1, "ran: {executed}");
    assert_eq!(
        start_env(&p.served_chunk()),
        Some(serde_json::json!({ "VITE_X": "1" }))
    );

    // A line that is not NAME=value is skipped, as Vite does; the rest of the file counts.
    let applied = p.edit("/.env", "VITE_X=2\nnot a line\nVITE_Y=two words\n");
    assert_eq!(applied.config_changed, vec![Arc::from("/.env")]);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        start_env(&p.served_chunk()),
        Some(serde_json::json!({ "VITE_X": "2", "VITE_Y": "two words" }))
    );

    // A binary .env is a diagnostic naming the file; fixing it clears it.
    std::fs::write(p.path("/.env"), [b'V', 0xff, 0xfe, 0]).expect("write");
    p.apply(&[p.path("/.env")]);
    p.build();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].starts_with("/.env:1:1: .env is not UTF-8"),
        "{diagnostics:?}"
    );

    // Fixed: the diagnostic goes away.
    p.edit("/.env", "VITE_X=2\nVITE_Y=3\n");
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
}

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
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport {{ a }} from './a.js';\nimport {{ b }} from './b.js';\nimport './style.css';\nconsole.log(a, b);\n//- /src/a.js\nexport const a = 1;\n//- /src/b.js\nexport const b = (;\n//- /src/style.css\nbody {{ color: red }}\n"
    ));
    p.build_quietly();
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
        p.edit(path, text);
        let build = p.build_quietly();
        assert_eq!(
            build.graph.len(),
            4,
            "the graph stays: updates only, no full build"
        );
        let served = p.host.served(&server, revision);
        if !p.diagnostics().is_empty() {
            continue;
        }
        let mut fresh = EngineHost::new(&p.root, ProjectOptions::default()).expect("host");
        fresh.build();
        let expected = fresh.served(&server, revision);
        assert_eq!(
            String::from_utf8_lossy(served.chunk.bytes()),
            String::from_utf8_lossy(expected.chunk.bytes()),
            "after editing {path}"
        );
        assert!(served.modules == expected.modules, "after editing {path}");
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

#[test]
fn raw_and_url_imports_are_modules_of_their_own_that_follow_their_file() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport notes from './notes.txt?raw';\nimport logoUrl from './logo.svg?url';\nimport logo from './logo.svg';\nimport source from './main.js?raw';\nconsole.log(notes, logoUrl, logo, source);\n//- /src/notes.txt\nhello\n//- /src/logo.svg\n<svg/>\n"
    ));
    p.build_quietly();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let ids = p.module_ids();
    for id in [
        "/src/notes.txt?raw",
        "/src/logo.svg?url",
        "/src/logo.svg",
        "/src/main.js?raw",
    ] {
        assert!(ids.contains(&id.to_string()), "{id} in {ids:?}");
    }
    let chunk = p.served_chunk();
    assert!(chunk.contains("module.exports = \"hello\\n\";"), "{chunk}");
    assert!(
        chunk.contains("module.exports = \"import notes from"),
        "{chunk}"
    );
    // `?url` and the plain import of an SVG: both the URL of the file itself.
    assert_eq!(
        chunk.matches("module.exports = \"/src/logo.svg?v=").count(),
        2
    );

    // An edit of the file updates its `?raw` module, which alone is sent.
    p.edit("/src/notes.txt", "bye\n");
    let build = p.build();
    assert_eq!(p.ids(&build.changed), ["/src/notes.txt?raw"]);
    assert!(p.served_chunk().contains("module.exports = \"bye\\n\";"));

    // Deleted: the importer's line names it.
    let gone = p.remove("/src/notes.txt");
    p.apply(&[gone]);
    p.build();
    let diagnostics = p.diagnostics().join("\n");
    assert!(
        diagnostics.contains("/src/main.js:1:") && diagnostics.contains("./notes.txt?raw"),
        "{diagnostics}"
    );
}

#[test]
fn vite_plugin_queries_are_a_clear_error_not_the_plain_module() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport Logo from './logo.svg?react';\nimport Worker from './work.js?worker&inline';\nconsole.log(Logo, Worker);\n//- /src/logo.svg\n<svg/>\n//- /src/work.js\nself.onmessage = () => {{}};\n"
    ));
    p.build_quietly();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
    assert!(
        diagnostics[0].starts_with("/src/main.js:1:")
            && diagnostics[0].contains("`?react` imports need a Vite plugin")
            && diagnostics[0].contains("supports `?raw`"),
        "{diagnostics:?}"
    );
    assert!(
        diagnostics[1].starts_with("/src/main.js:2:")
            && diagnostics[1].contains("`?worker&inline`"),
        "{diagnostics:?}"
    );
}

#[test]
fn import_meta_glob_is_a_module_of_its_own_that_follows_files_appearing_and_going() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nconst pages = import.meta.glob('./pages/*.js', {{ eager: true, import: 'default' }});\nconst lazy = import.meta.glob('./pages/*.js');\nconsole.log(Object.keys(pages), Object.keys(lazy));\n//- /src/pages/a.js\nexport default 'a';\n//- /src/pages/b.js\nexport default 'b';\n"
    ));
    p.build_quietly();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/src/main.js"),
        ["/src/main.js?glob=0", "/src/main.js?glob=1"]
    );
    // Eager: the pages load with the importer; lazy: only through `import()`.
    assert_eq!(
        p.imports_of("/src/main.js?glob=0"),
        ["/src/pages/a.js", "/src/pages/b.js"]
    );
    let graph = p.host.graph().expect("built");
    assert!(graph.graph.module(p.index("/src/pages/a.js")).loaded);
    let chunk = p.served_chunk();
    assert!(
        chunk.contains(r#""./pages/b.js": require.namespace("./pages/b.js")["default"],"#),
        "{chunk}"
    );
    assert!(
        chunk.contains(r#""./pages/a.js": () => require.dynamic("./pages/a.js"),"#),
        "{chunk}"
    );
    assert!(chunk.contains(r#"const pages = require("./main.js?glob=0");"#));

    // A new page: both glob modules list it and are sent with it; the importer is not
    // re-parsed (its code does not depend on the listing).
    let c = p.write("/src/pages/c.js", "export default 'c';\n");
    let applied = p.apply(&[c]);
    assert!(applied.epoch_moved);
    let build = p.build();
    let executed = p.executed();
    executed.assert_query_not_ran("parsed_module", p.file("/src/main.js"));
    executed.assert_query_ran("glob_matches", p.file("/src/main.js?glob=0"));
    let mut changed = p.ids(&build.changed);
    changed.sort();
    assert_eq!(
        changed,
        [
            "/src/main.js?glob=0",
            "/src/main.js?glob=1",
            "/src/pages/c.js"
        ]
    );
    assert!(
        p.served_chunk()
            .contains(r#""./pages/c.js": () => require.dynamic("./pages/c.js"),"#)
    );

    // A file the patterns do not match re-lists, finds the same files and stops there.
    let other = p.write("/src/notes.md", "# notes\n");
    p.apply(&[other]);
    let build = p.build();
    let executed = p.executed();
    executed.assert_query_ran("glob_matches", p.file("/src/main.js?glob=0"));
    executed.assert_query_never_ran("parsed_module");
    assert!(build.changed.is_empty(), "{:?}", p.ids(&build.changed));

    // A deleted page leaves both lists; nothing is left pointing at it.
    let gone = p.remove("/src/pages/a.js");
    p.apply(&[gone]);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/src/main.js?glob=1"),
        ["/src/pages/b.js", "/src/pages/c.js"]
    );
    assert!(!p.module_ids().contains(&"/src/pages/a.js".to_string()));
}

#[test]
fn a_glob_call_hotloop_cannot_read_is_an_error_at_its_line_until_fixed() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport './ok.js';\nconst dir = 'pages';\nexport const m = import.meta.glob(`./${{dir}}/*.js`);\n//- /src/ok.js\nexport const ok = 1;\n"
    ));
    p.build_quietly();
    let diagnostics = p.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0]
            .starts_with("/src/main.js:3:18: import.meta.glob() patterns must be string literals"),
        "{diagnostics:?}"
    );
    p.edit(
        "/src/main.js",
        "import './ok.js';\nexport const m = import.meta.glob('./*.js');\n",
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(p.imports_of("/src/main.js?glob=0"), ["/src/ok.js"]);
}

#[test]
fn env_placeholders_in_index_html_are_replaced_and_follow_the_env_file() {
    let mut p = project(
        "//- /index.html\n<!doctype html>\n<html>\n<head>\n<title>%VITE_TITLE% (%MODE%)</title>\n</head>\n<body>\n<p>%SECRET% 100%</p>\n<script type=\"module\" src=\"/src/main.js\"></script>\n</body>\n</html>\n\
         //- /src/main.js\nconsole.log(1);\n//- /.env\nVITE_TITLE=Hot\nSECRET=never-sent\n",
    );
    p.build_quietly();
    let html = |p: &mut TestProject| {
        let served = p.host.served(&Arc::from("s"), 1);
        served.html.expect("a page").to_string()
    };
    let page = html(&mut p);
    assert!(page.contains("<title>Hot (development)</title>"), "{page}");
    assert!(
        page.contains("<p>%SECRET% 100%</p>"),
        "an unexposed name was replaced: {page}"
    );

    let applied = p.edit("/.env", "VITE_TITLE=Loop\n");
    assert_eq!(applied.config_changed, vec![Arc::from("/.env")]);
    let build = p.build();
    assert!(build.html_changed);
    assert!(html(&mut p).contains("<title>Loop (development)</title>"));
}

/// The update `plan_update` makes of a build's changes.
fn plan_of(build: &BuildResult) -> crate::plan::UpdatePlan {
    crate::plan::plan_update(
        &build.graph.graph,
        &crate::plan::Changes {
            changed: &build.changed,
            html_changed: false,
            config_changed: None,
        },
    )
}

#[test]
fn a_web_worker_is_a_chunk_of_its_own_and_an_edit_to_its_code_reloads_the_page() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport MathWorker from './math.worker.js?worker';\nimport scriptUrl from './math.worker.js?worker&url';\nimport {{ label }} from './shared.js';\nconst a = new MathWorker();\nconst b = new Worker(new URL('./echo.ts', import.meta.url), {{ type: 'module' }});\nconsole.log(a, b, scriptUrl, label);\nif (import.meta.hot) import.meta.hot.accept();\n//- /src/math.worker.js\nimport {{ double }} from './math.js';\nimport {{ label }} from './shared.js';\nself.onmessage = (e) => self.postMessage(label + double(e.data));\n//- /src/math.js\nexport const double = (n) => n * 2;\n//- /src/shared.js\nexport const label = 'result: ';\n//- /src/echo.ts\nconst prefix: string = 'echo ';\nself.onmessage = (e: MessageEvent) => self.postMessage(prefix + e.data);\n"
    ));
    let build = p.build_quietly();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    // The variant modules import the worker files; no edge leads into a worker.
    assert_eq!(
        p.imports_of("/src/main.js"),
        [
            "/src/math.worker.js?worker",
            "/src/math.worker.js?worker&url",
            "/src/shared.js",
            "/src/echo.ts?worker&url",
        ]
    );
    assert!(p.imports_of("/src/math.worker.js?worker").is_empty());
    let graph = &build.graph.graph;
    // Each module with the environments it runs in: the page, and one per worker.
    let envs: Vec<&str> = graph.environments.iter().map(|e| &*e.name).collect();
    assert_eq!(envs, ["client", "/src/math.worker.js", "/src/echo.ts"]);
    let flags = |id: &str| {
        let m = graph.module(p.index(id));
        let names: Vec<&str> = m
            .environments
            .iter()
            .map(|e| &*graph.environment(e).name)
            .collect();
        (m.loaded, names.join(" "))
    };
    let of = |loaded: bool, envs: &str| (loaded, envs.to_owned());
    assert_eq!(
        flags("/src/math.worker.js"),
        of(false, "/src/math.worker.js")
    );
    assert_eq!(flags("/src/math.js"), of(false, "/src/math.worker.js"));
    assert_eq!(
        flags("/src/shared.js"),
        of(true, "client /src/math.worker.js")
    );
    assert_eq!(flags("/src/echo.ts"), of(false, "/src/echo.ts"));
    assert_eq!(flags("/src/main.js"), of(true, "client"));

    // The page's chunk holds the page's modules only; each worker's chunk its own, then a
    // start call in worker mode.
    let served = p.host.served(&Arc::from("test-server"), 1);
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
        page.contains(
            r#"new Worker(new URL(require("./echo.ts?worker&url"), __hotloop_meta.url), {"#
        ),
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
    assert!(echo.contains("const prefix = 'echo ';"), "{echo}");
    assert_eq!(served.workers.len(), 2);

    // An edit inside a worker reloads the page (a running worker cannot take new code), and
    // the worker's chunk has the new code; nothing else is compiled.
    p.edit("/src/math.js", "export const double = (n) => n * 3;\n");
    let build = p.build();
    let executed = p.executed();
    executed.assert_query_ran("parsed_module", p.file("/src/math.js"));
    executed.assert_query_not_ran("parsed_module", p.file("/src/main.js"));
    let plan = plan_of(&build);
    assert_eq!(
        plan,
        crate::plan::UpdatePlan::FullReload(hotloop_protocol::FullReloadReason::InWorker {
            module: "/src/math.js".into()
        })
    );
    let served = p.host.served(&Arc::from("test-server"), 2);
    assert!(worker(&served, "/src/math.worker.js").contains("n * 3"));

    // A module the page and a worker share reloads too; one only the page runs stays hot.
    p.edit("/src/shared.js", "export const label = 'got: ';\n");
    let build = p.build();
    let plan = plan_of(&build);
    assert!(
        matches!(
            &plan,
            crate::plan::UpdatePlan::FullReload(
                hotloop_protocol::FullReloadReason::InWorker { module }
            ) if module == "/src/shared.js"
        ),
        "{plan:?}"
    );
    p.edit(
        "/src/main.js",
        "const b = new Worker(new URL('./echo.ts', import.meta.url));\nconsole.log(b, 2);\nif (import.meta.hot) import.meta.hot.accept();\n",
    );
    let build = p.build();
    let plan = plan_of(&build);
    assert!(matches!(plan, crate::plan::UpdatePlan::Hot(_)), "{plan:?}");
    // The `?worker` import is gone: so is that worker's chunk.
    let served = p.host.served(&Arc::from("test-server"), 3);
    assert!(served.worker("/src/math.worker.js").is_none());
    assert!(served.worker("/src/echo.ts").is_some());
}

#[test]
fn inline_imports_are_a_stylesheets_text_or_a_data_url_and_follow_the_file() {
    let mut p = project(&format!(
        "{HTML}//- /src/main.js\nimport sheet from './a.css?inline';\nimport scoped from './b.module.css?inline';\nimport styles from './b.module.css';\nimport pixel from './dot.gif?inline';\nconsole.log(sheet, scoped, styles, pixel);\n//- /src/a.css\n.a {{ background: url(./dot.gif); }}\n//- /src/b.module.css\n.title {{ color: red; }}\n"
    ));
    // A 1×1 GIF: binary, so only `?inline` can carry its bytes.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    std::fs::write(p.path("/src/dot.gif"), gif).expect("write gif");
    p.build_quietly();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.served_chunk();
    // The stylesheet's text with its url() made absolute, exported, never injected.
    assert!(
        chunk.contains(r#"module.exports = ".a { background: url(\"/src/dot.gif\"); }\n";"#),
        "{chunk}"
    );
    let inline_module = chunk
        .split("__hotloop.define(")
        .find(|part| part.starts_with("\"/src/a.css?inline\""))
        .expect("the ?inline module is in the chunk");
    assert!(
        !inline_module.contains("__hotloop_meta.css"),
        "{inline_module}"
    );
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
    p.edit("/src/a.css", ".a { color: blue; }\n");
    let build = p.build();
    let mut changed = p.ids(&build.changed);
    changed.sort();
    assert_eq!(changed, ["/src/a.css?inline"]);
    assert!(
        p.served_chunk()
            .contains(r#"module.exports = ".a { color: blue; }\n";"#)
    );
}
