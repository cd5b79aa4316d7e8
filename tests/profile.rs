//! `hotloop profile` as a user runs it: the real binary on a generated 200-module project.
//! A body edit (the appended comment) must re-run the file's parse and emit only: no
//! resolution, no graph query; the JSON and the Chrome trace must be well-formed; the touched
//! file must be restored byte for byte; bad arguments must fail with a clear message.
//! Declared as a test of the `hotloop` package (tui/Cargo.toml) for `CARGO_BIN_EXE_hotloop`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use engine::testing::TempProject;
use engine::testing::tree::{children, file_of, relative};

const MODULES: usize = 200;

/// A tree of plain ES modules (`engine::testing::tree`): module i imports 10i+1..10i+10;
/// leaves accept themselves. Written under `app/` in `project`.
fn generate(project: &TempProject) {
    for i in 0..MODULES {
        let kids = children(i, MODULES);
        let file = file_of(i);
        let mut text = String::new();
        for (k, kid) in kids.iter().enumerate() {
            let specifier = relative(&file, &file_of(*kid));
            text.push_str(&format!("import {{ v as c{k} }} from '{specifier}';\n"));
        }
        let sum: Vec<String> = (0..kids.len()).map(|k| format!("c{k}")).collect();
        text.push_str(&format!(
            "export const v = {i} + {};\nexport function f(x) {{ return x * v; }}\n",
            if sum.is_empty() {
                "0".to_owned()
            } else {
                sum.join(" + ")
            }
        ));
        if kids.is_empty() {
            text.push_str("if (import.meta.hot) import.meta.hot.accept();\n");
        }
        project.write(&format!("app/{file}"), text);
    }
    project.write(
        "app/index.html",
        "<!doctype html>\n<html><head><title>gen</title></head><body>\n\
         <script type=\"module\" src=\"/src/main.js\"></script>\n</body></html>\n",
    );
}

fn hotloop(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hotloop"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("failed to run hotloop")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `hotloop profile ROOT ARGS --json JSON`, run in `cwd`, which must succeed: its standard
/// output, its standard error and the JSON it wrote.
fn profile_json(
    root: &Path,
    args: &[&str],
    json_path: &Path,
    cwd: &Path,
) -> (String, String, Value) {
    let mut all = vec!["profile", root.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend(["--json", json_path.to_str().unwrap()]);
    let output = hotloop(&all, cwd);
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{}",
        output.status,
        text(&output.stderr)
    );
    let json =
        serde_json::from_slice(&std::fs::read(json_path).expect("json written")).expect("json");
    (stdout, text(&output.stderr), json)
}

/// The generated project in `root` (`app/` in a temp dir whose other files are the
/// profile's outputs).
struct Project {
    _files: TempProject,
    root: PathBuf,
}

fn project() -> Project {
    let files = TempProject::empty();
    generate(&files);
    let root = files.path("app");
    Project {
        _files: files,
        root,
    }
}

#[test]
fn a_body_edit_reruns_no_resolution_and_no_graph_query() {
    let p = project();
    let leaf = file_of(MODULES - 1);
    let before = std::fs::read(p.root.join(&leaf)).expect("read leaf");
    let json_path = p.root.parent().unwrap().join("profile.json");
    let trace_path = p.root.parent().unwrap().join("trace.json");
    let (stdout, _, json) = profile_json(
        &p.root,
        &[
            "--touch",
            &leaf,
            "--repeat",
            "3",
            "--trace",
            trace_path.to_str().unwrap(),
        ],
        &json_path,
        p.root.parent().unwrap(),
    );
    assert!(stdout.contains("summary over 3 updates"), "{stdout}");
    assert_eq!(
        std::fs::read(p.root.join(&leaf)).expect("read leaf"),
        before,
        "the touched file is restored byte for byte"
    );

    assert_eq!(json["schema"], 1);
    assert_eq!(json["modules"], MODULES);
    let cold_queries = &json["cold"]["queries"];
    assert_eq!(cold_queries["parsed_module"]["executed"], MODULES);
    assert_eq!(cold_queries["module_graph"]["executed"], 1);
    for phase in ["parse", "resolve", "emit", "graph"] {
        assert!(
            json["cold"]["phases_ms"][phase].as_f64().is_some(),
            "cold build phase {phase}: {}",
            json["cold"]
        );
    }

    let updates = json["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 3);
    let leaf_id = format!("/{leaf}");
    for update in updates {
        assert_eq!(update["file"], leaf.as_str(), "{update}");
        assert_eq!(update["outcome"], "hot", "{update}");
        assert_eq!(
            update["modules_sent"],
            serde_json::json!([leaf_id]),
            "{update}"
        );
        assert_eq!(
            update["boundaries"],
            serde_json::json!([leaf_id]),
            "{update}"
        );
        let queries = update["queries"].as_object().expect("queries");
        assert_eq!(
            update["queries"]["parsed_module"]["executed"], 1,
            "{update}"
        );
        for query in [
            "resolved_imports",
            "file_exists",
            "module_graph",
            "chunk",
            "html_entries",
            "entry_html",
        ] {
            let executed = queries
                .get(query)
                .and_then(|q| q["executed"].as_u64())
                .unwrap_or(0);
            assert_eq!(executed, 0, "{query} re-ran after a body edit: {update}");
        }
        let phases = update["phases_ms"].as_object().expect("phases");
        assert!(!phases.contains_key("graph"), "no graph phase: {update}");
        for phase in ["read", "parse", "emit", "plan", "encode", "publish"] {
            assert!(phases.contains_key(phase), "{phase} missing: {update}");
        }
        let sum: f64 = phases.values().filter_map(Value::as_f64).sum();
        let total = update["total_ms"].as_f64().expect("total");
        assert!(
            sum <= total * 1.01 + 0.01,
            "phases ({sum} ms) fit in the total ({total} ms): {update}"
        );
        assert!(update["frame_bytes"].as_u64().unwrap() > 0, "{update}");
    }
    let revisions: Vec<u64> = updates
        .iter()
        .map(|u| u["revision"].as_u64().unwrap())
        .collect();
    assert_eq!(revisions, [1, 2, 3]);
    let summary = &json["summary"]["phases_ms"];
    assert_eq!(json["summary"]["updates"], 3);
    assert_eq!(summary["parse"]["runs"], 3);
    assert!(summary["parse"]["p50"].as_f64().unwrap() <= summary["parse"]["p95"].as_f64().unwrap());
    assert!(summary.get("graph").is_none(), "{summary}");
    assert!(json["memory"]["rss_bytes"].as_u64().unwrap() > 0);
    assert!(json["memory"]["emitted_code_bytes"].as_u64().unwrap() > 0);
    assert!(!json["memory"]["queries"].as_array().unwrap().is_empty());

    check_trace(&trace_path, &leaf_id);
}

/// Complete events only, with the fields Perfetto needs, properly nested per thread (a slice
/// that starts inside another ends inside it too).
fn check_trace(path: &Path, leaf_id: &str) {
    let trace: Value =
        serde_json::from_slice(&std::fs::read(path).expect("trace written")).expect("trace json");
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    assert!(events.len() > MODULES, "a span per query: {}", events.len());
    let mut open: std::collections::HashMap<u64, Vec<(f64, f64, String)>> = Default::default();
    for event in events {
        assert_eq!(event["ph"], "X", "{event}");
        for field in ["name", "pid", "tid", "args"] {
            assert!(event.get(field).is_some(), "{field} missing: {event}");
        }
        let ts = event["ts"].as_f64().expect("ts");
        let end = ts + event["dur"].as_f64().expect("dur");
        let name = event["name"].as_str().unwrap().to_owned();
        let open = open.entry(event["tid"].as_u64().expect("tid")).or_default();
        while open.last().is_some_and(|(_, e, _)| *e <= ts) {
            open.pop();
        }
        if let Some((_, parent_end, parent)) = open.last() {
            // Allow float rounding of the microsecond conversions.
            assert!(
                end <= parent_end + 0.01,
                "{name} [{ts}, {end}] overlaps the end of {parent} ({parent_end})"
            );
        }
        open.push((ts, end, name));
    }
    let names: Vec<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(names.contains(&"cold build"), "{names:?}");
    assert_eq!(
        names.iter().filter(|n| n.starts_with("update #")).count(),
        3
    );
    let leaf_parse = format!("parsed_module {leaf_id}");
    assert_eq!(
        names.iter().filter(|n| **n == leaf_parse).count(),
        4,
        "the leaf is parsed in the cold build and once per update"
    );
}

#[test]
fn a_missing_root_or_file_fails_with_a_clear_message() {
    let p = project();
    let cwd = p.root.parent().unwrap();

    let output = hotloop(&["profile", "no-such-dir", "--touch", "src/main.js"], cwd);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("project root no-such-dir does not exist") && stderr.contains("index.html"),
        "{stderr}"
    );

    let output = hotloop(
        &[
            "profile",
            p.root.to_str().unwrap(),
            "--touch",
            "src/nope.js",
        ],
        cwd,
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("src/nope.js does not exist")
            && stderr.contains("relative to the project root"),
        "{stderr}"
    );

    std::fs::write(p.root.join("logo.png"), [0x89, b'P', b'N', b'G']).unwrap();
    let output = hotloop(
        &["profile", p.root.to_str().unwrap(), "--touch", "logo.png"],
        cwd,
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot edit logo.png"), "{stderr}");
    assert_eq!(
        std::fs::read(p.root.join("logo.png")).unwrap(),
        [0x89, b'P', b'N', b'G'],
        "nothing was touched"
    );
}

/// `--server`: every edit's server update is profiled beside the page's. A server-only module
/// reaches the server alone (the page has no change) and re-runs the entry; a module both graphs
/// import updates both; the server's queries touch only the edited module.
#[test]
fn with_server_each_edit_profiles_the_server_update_too() {
    let files = TempProject::new(
        r#"
//- /app/index.html
<script type="module" src="/src/client.ts"></script>
//- /app/src/client.ts
import { label } from './shared';
console.log(label);
//- /app/src/shared.ts
export const label: string = 'shared';
//- /app/src/api.ts
export const count: number = 1;
//- /app/src/server.ts
import { label } from './shared';
import { count } from './api';
export default { fetch: () => new Response(label + count) };
"#,
    );
    let root = files.path("app");
    let json_path = files.path("profile.json");
    let (stdout, stderr, json) = profile_json(
        &root,
        &[
            "--server",
            "src/server.ts",
            "--touch",
            "src/api.ts",
            "src/shared.ts",
            "--repeat",
            "2",
        ],
        &json_path,
        &root,
    );
    assert!(stdout.contains("(+3 in the server graph)"), "{stdout}");
    assert!(
        stdout.contains("server r2") && stdout.contains("re-run from /src/server.ts"),
        "{stdout}"
    );
    assert!(!stderr.contains("not in the module graph"), "{stderr}");
    assert_eq!(json["server_modules"], 3);
    let updates = json["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 4);
    let mut revisions = Vec::new();
    for update in updates {
        let server = &update["server"];
        assert_eq!(server["outcome"], "hot", "{update}");
        assert_eq!(
            server["boundaries"],
            serde_json::json!(["/src/server.ts"]),
            "{update}"
        );
        assert!(server["frame_bytes"].as_u64().unwrap() > 0, "{update}");
        revisions.push(server["revision"].as_u64().unwrap());
        let id = format!("/{}", update["file"].as_str().unwrap());
        assert_eq!(server["modules_sent"], serde_json::json!([id]), "{update}");
        assert!(
            server["queries"].get("server_graph").is_none(),
            "a body edit does not look at the server graph: {update}"
        );
        if update["file"] == "src/api.ts" {
            assert_eq!(
                update["outcome"], "no_change",
                "the page has no api.ts: {update}"
            );
        } else {
            assert_ne!(update["outcome"], "no_change", "{update}");
        }
    }
    assert_eq!(revisions, [2, 3, 4, 5]);
    assert_eq!(json["summary"]["phases_ms"]["server"]["runs"], 4);

    // A server entry that is not there is named.
    let output = hotloop(
        &[
            "profile",
            root.to_str().unwrap(),
            "--server",
            "src/nope.ts",
            "--touch",
            "src/api.ts",
        ],
        &root,
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--server src/nope.ts: no such file"),
        "{stderr}"
    );
}

#[test]
fn lazy_chunks_are_compiled_on_request_and_reported_as_their_own_phase() {
    let files = TempProject::new(
        r#"
//- /app/index.html
<script type="module" src="/src/main.js"></script>
//- /app/src/main.js
export const open = () => import('./route.js');
//- /app/src/route.js
import { leaf } from './leaf.js';
export const route = leaf;
export const inner = () => import('./inner.js');
import.meta.hot.accept();
//- /app/src/leaf.js
export const leaf = 1;
//- /app/src/inner.js
export const inner = 2;
"#,
    );
    let root = files.path("app");
    let json_path = files.path("profile.json");
    let (stdout, _, json) = profile_json(&root, &["--touch", "src/route.js"], &json_path, &root);
    assert_eq!(json["modules"], 1, "the cold build has the entry alone");
    let lazy = json["lazy"].as_array().expect("lazy compiles");
    let targets: Vec<&str> = lazy.iter().map(|l| l["target"].as_str().unwrap()).collect();
    assert_eq!(
        targets,
        ["/src/route.js", "/src/inner.js"],
        "nested included"
    );
    assert_eq!(lazy[0]["modules"], 2, "the route and its static import");
    assert_eq!(lazy[0]["queries"]["parsed_module"]["executed"], 2);
    for compile in lazy {
        assert!(
            compile["phases_ms"]["lazy"].as_f64().is_some(),
            "a lazy compile's own phase: {compile}"
        );
    }
    assert_eq!(json["summary"]["phases_ms"]["lazy"]["runs"], 2);
    assert!(
        json["updates"][0]["phases_ms"].get("lazy").is_none(),
        "an edit is no lazy compile"
    );
    assert_eq!(json["updates"][0]["outcome"], "hot");
    assert!(stdout.contains("lazy #1  /src/route.js"), "{stdout}");
    assert!(
        stdout.contains("\n  lazy "),
        "the summary's lazy row: {stdout}"
    );
}

#[path = "support/plugin_packages.rs"]
mod plugin_packages;

/// A Vue project (its `vite.config.ts` with the real `@vitejs/plugin-vue`, in the plugin host):
/// an edit of the single-file component's template goes through the plugins (their
/// `hotUpdate`, then `transform`) and is the component's hot update, and the file is restored.
#[test]
fn a_vue_components_edit_is_profiled_through_the_projects_plugins() {
    let files = TempProject::new(
        r#"
//- /app/index.html
<div id="app"></div>
<script type="module" src="/src/main.ts"></script>
//- /app/vite.config.ts
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
export default defineConfig({ plugins: [vue()] });
//- /app/src/main.ts
import { createApp } from 'vue';
import App from './App.vue';
createApp(App).mount('#app');
//- /app/src/App.vue
<script setup lang="ts">
import { ref } from 'vue';
const count = ref<number>(0);
</script>

<template>
  <button @click="count++">count is {{ count }}</button>
</template>
"#,
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo");
    let packages = plugin_packages::plugin_packages(repo);
    let root = files.path("app");
    std::os::unix::fs::symlink(&packages, root.join("node_modules")).expect("symlink");
    let original = std::fs::read(root.join("src/App.vue")).unwrap();
    let json_path = files.path("profile.json");
    let (_, _, json) = profile_json(
        &root,
        &["--touch", "src/App.vue", "--repeat", "2"],
        &json_path,
        &root,
    );
    let updates = json["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 2, "{json}");
    for update in updates {
        assert_eq!(update["outcome"], "hot", "{update}");
        assert_eq!(
            update["boundaries"],
            serde_json::json!(["/src/App.vue"]),
            "{update}"
        );
    }
    assert_eq!(
        std::fs::read(root.join("src/App.vue")).unwrap(),
        original,
        "restored byte for byte"
    );
}
