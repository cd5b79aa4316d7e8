//! The host with real packages from the npm registry: `vue`, `@vitejs/plugin-vue` and `vite`,
//! installed by `npm ci` into `tests/npm/node_modules` on first use and reused (the lock is in
//! `tests/npm/package-lock.json`). Each test's project links that `node_modules`.

mod support;

use hotloop_protocol::plugin::{PluginEnv, Plugins};
use support::{Project, ensure_npm_packages, start};

const CONFIG: &str = r#"
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
})
"#;

const APP: &str = r#"<script setup lang="ts">
import { ref } from 'vue'
const count = ref<number>(0)
function inc(by: number): void { count.value += by }
</script>

<template>
  <button @click="inc(1)">count is {{ count }}</button>
</template>

<style>
button { color: red; }
</style>
"#;

fn vue_project() -> Project {
    let modules = ensure_npm_packages();
    let p = Project::new(&[
        ("vite.config.js", CONFIG),
        (
            "package.json",
            r#"{"type":"module","devDependencies":{"vite":"*","@vitejs/plugin-vue":"*","vue":"*"}}"#,
        ),
        ("src/App.vue", APP),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    p
}

#[test]
fn a_vue_sfc_its_style_sub_module_and_a_style_only_hot_update() {
    let p = vue_project();
    let (host, config) = start(&p, "vite.config.js");
    let names: Vec<_> = config.plugins.iter().map(|p| p.name.as_str()).collect();
    // Vite's CSS pipeline (`js/css.js`) sits where Vite has `vite:css`: before normal plugins.
    assert_eq!(names, ["hotloop:css", "vite:vue"]);
    assert_eq!(
        config.resolve.dedupe,
        ["vue"],
        "from the plugin's config hook"
    );
    assert_eq!(config.define["__VUE_OPTIONS_API__"], "true");
    assert!(
        config.package_versions["vue"].starts_with("3."),
        "{:?}",
        config.package_versions
    );

    let app = p.path("src/App.vue");
    // The plugin's transform filter (set in its `options` hook) is evaluated in Rust.
    assert!(host.wants_transform(&app, APP));
    assert!(!host.wants_transform(&p.path("src/main.ts"), "export {}"));
    assert!(!host.wants_load(&p.path("src/main.ts")));

    let main = host.transform(&app, APP).unwrap().expect("compiled");
    let style = format!("{app}?vue&type=style&index=0&lang.css");
    assert!(
        main.code.contains(&format!(
            "import \"{}\"",
            style.strip_prefix(p.root().to_str().unwrap()).unwrap()
        )) || main.code.contains("?vue&type=style&index=0&lang.css"),
        "{}",
        main.code
    );
    assert!(main.code.contains("_sfc_main"), "{}", main.code);
    assert!(
        main.code.contains("import.meta.hot.accept"),
        "{}",
        main.code
    );
    assert!(
        !main.code.contains("ref<number>"),
        "TS stripped: {}",
        main.code
    );
    assert!(
        !main.code.contains("by: number"),
        "TS stripped: {}",
        main.code
    );
    let map: serde_json::Value = serde_json::from_str(main.map.as_deref().expect("a map")).unwrap();
    assert!(
        map["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("App.vue")),
        "{map}"
    );

    // The style sub-module: resolved to itself, loaded from the descriptor, compiled.
    let resolved = host
        .resolve_id(&style, Some(&app))
        .unwrap()
        .expect("resolved");
    assert_eq!(resolved.id, style);
    let css = host.load(&style).unwrap().expect("loaded");
    assert!(css.code.contains("button { color: red; }"), "{}", css.code);
    let compiled = host.transform(&style, &css.code).unwrap();
    if let Some(c) = &compiled {
        assert!(c.code.contains("color: red"), "{}", c.code);
    }
    // A syntax error in the block is placed in the block the hook was given (the engine
    // places it in App.vue through the load's map), not at plugin-vue's own count (the
    // block's start line plus PostCSS's line: one too many, and counted again by that map).
    let broken = css.code.replace(
        "button { color: red; }",
        "button { color: red; }
b {",
    );
    let e = host.transform(&style, &broken).unwrap_err();
    assert_eq!(e.plugin, "vite:vue");
    let line = broken.lines().position(|l| l == "b {").unwrap() as u32 + 1;
    assert_eq!(e.loc, Some((line, 1)), "{e:?}");
    assert_eq!(
        e.message, "Unclosed block",
        "PostCSS's block place is not repeated"
    );

    // A style-only edit: the plugin's handleHotUpdate answers with the style module alone.
    p.write("src/App.vue", &APP.replace("color: red", "color: blue"));
    let events = host.events();
    let modules = host
        .hot_update(&app, &[app.clone(), style.clone()], &[], None)
        .unwrap();
    assert_eq!(modules, Some(vec![style.clone()]));
    // ...and tells the page which file changed (`server.ws.send`), for Vue's rerender check:
    // queued before `hot_update` returned, so the engine sends it ahead of the update.
    let _ = &events;
    assert_eq!(
        host.take_custom_events(),
        [hotloop_protocol::plugin::CustomEvent {
            event: "file-changed".to_string(),
            data: serde_json::json!({ "file": app }).to_string(),
            client: None,
        }]
    );

    // A template edit updates the main module (no template sub-module in dev).
    host.transform(&app, &APP.replace("color: red", "color: blue"))
        .unwrap();
    p.write(
        "src/App.vue",
        &APP.replace("color: red", "color: blue")
            .replace("count is", "clicks:"),
    );
    let modules = host
        .hot_update(&app, &[app.clone(), style.clone()], &[], None)
        .unwrap();
    assert_eq!(modules, Some(vec![app.clone()]));
}

#[test]
fn the_style_sub_module_comes_compiled_with_the_sfcs_resolve_ids_as_its_own_request_would() {
    let p = vue_project();
    let (host, _) = start(&p, "vite.config.js");
    let env = PluginEnv::Client;
    let app = p.path("src/App.vue");
    let style = format!("{app}?vue&type=style&index=0&lang.css");
    let helper = "\0plugin-vue:export-helper";

    // As the engine asks: the SFC's transform, its imports' resolveId in one request, then
    // the style sub-module's load and transform.
    let main = host
        .transform_in(env, &app, APP)
        .unwrap()
        .expect("compiled");
    assert!(main.code.contains(&style), "{}", main.code);
    let before = host.round_trips();
    let resolved = host.resolve_ids_in(env, &[&style, helper], Some(&app));
    assert_eq!(
        resolved[0].clone().unwrap().map(|r| r.id),
        Some(style.clone())
    );
    assert_eq!(
        resolved[1].clone().unwrap().map(|r| r.id),
        Some(helper.to_string())
    );
    let preloaded = host.load_and_transform_in(env, &style, APP, true).unwrap();
    assert_eq!(host.round_trips(), before + 1, "no request of its own");
    let loaded = preloaded.loaded.clone().expect("the block");
    assert!(
        loaded.code.contains("button { color: red; }"),
        "{}",
        loaded.code
    );

    // Asked on its own (the answer is taken once), the host gives the same answer.
    let asked = host.load_and_transform_in(env, &style, APP, true).unwrap();
    assert_eq!(host.round_trips(), before + 2);
    assert_eq!(preloaded, asked);
}

/// A `.vue` file outside the project (a linked package: `npm link`, a `file:` dependency) that
/// hotloop asks the plugins to compile is one the app imports: plugin-vue's file-loading check
/// (Vite's `isFileLoadingAllowed`, which passes what Vite's import analysis resolved) lets it
/// through, where it answered "Denied ID" and the page stayed blank.
#[test]
fn a_vue_file_of_a_linked_package_outside_the_project_compiles() {
    let p = vue_project();
    let outside = tempfile::tempdir().expect("temp dir");
    let ext = outside
        .path()
        .canonicalize()
        .unwrap()
        .join("extlib/Ext.vue");
    std::fs::create_dir_all(ext.parent().unwrap()).unwrap();
    std::fs::write(&ext, APP).unwrap();
    let (host, _) = start(&p, "vite.config.js");
    let ext = ext.to_string_lossy().into_owned();
    let out = host
        .transform(&ext, APP)
        .expect("not denied")
        .expect("compiled");
    assert!(out.code.contains("count is"), "{}", out.code);
}

#[test]
fn a_vue_syntax_error_is_a_plugin_error_with_location() {
    let p = vue_project();
    let (host, _) = start(&p, "vite.config.js");
    let app = p.path("src/App.vue");
    let broken = APP.replace("</button>", "</buton>");
    let e = host.transform(&app, &broken).unwrap_err();
    assert_eq!(e.plugin, "vite:vue");
    assert_eq!(e.hook, "transform");
    // Where Vue's compiler says, 1-based as the overlay counts (plugin-vue passes on Vue's
    // 1-based column, not Rollup's 0-based one).
    assert_eq!(e.loc, Some((8, 47)), "{e:?}");
    assert!(e.to_string().contains("App.vue"), "{e}");
}

#[test]
fn this_parse_is_the_projects_vites_parse_ast() {
    let modules = ensure_npm_packages();
    // A config that does not import vite itself: the host imports it for `this.parse`.
    let config = r#"
export default { plugins: [{
  name: 'parser',
  transform(code, id) {
    if (!id.endsWith('.js')) return
    const ast = this.parse(code)
    return `export default ${JSON.stringify(ast.body.map((n) => n.type))}`
  },
}] }
"#;
    let p = Project::new(&[
        ("vite.config.mjs", config),
        (
            "package.json",
            r#"{"type":"module","devDependencies":{"vite":"*"}}"#,
        ),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.mjs");
    let out = host
        .transform(
            &p.path("src/a.js"),
            "import x from 'y'\nexport const a = 1\n",
        )
        .unwrap()
        .expect("transformed");
    assert_eq!(
        out.code,
        r#"export default ["ImportDeclaration","ExportNamedDeclaration"]"#
    );
    // A syntax error is the plugin's error, with the message from the parser.
    let e = host
        .transform(&p.path("src/b.js"), "export const = 1")
        .unwrap_err();
    assert_eq!(e.plugin, "parser");
}

#[test]
fn a_vue_script_error_has_one_code_frame() {
    let p = vue_project();
    let (host, _) = start(&p, "vite.config.js");
    let app = p.path("src/App.vue");
    let broken = APP.replace("ref<number>(0)", "ref<number>(0");
    let e = host.transform(&app, &broken).unwrap_err();
    // compiler-sfc puts a frame of its own in the message (after the file's path): the
    // message keeps the words, and the one frame is made at the error's location.
    assert_eq!(
        e.message,
        "[vue/compiler-sfc] Unexpected token, expected \",\" (4:0)"
    );
    let frame = e.frame.expect("a frame");
    assert!(
        frame.contains("3 | const count = ref<number>(0\n4 | function inc"),
        "{frame}"
    );
    assert_eq!(frame.matches("const count").count(), 1, "{frame}");
    assert_eq!(e.loc, Some((4, 1)));
}

/// plugin-vue's descriptor cache is per plugin instance: on the host's workers, an SFC's
/// style sub-module and its hot update must run in the worker that compiled it, or the
/// style-only edit would not be narrowed to the style module.
#[test]
fn on_the_hosts_workers_an_sfc_its_style_and_its_hot_update_share_one_instance() {
    let p = vue_project();
    p.write("src/First.vue", APP);
    let mut o = support::options(&p, "vite.config.js");
    o.workers = hotloop_plugin_host::Workers { count: 2, after: 1 };
    let (host, _) = support::start_with(&p, "vite.config.js", o);
    let events = host.events();
    // The first file runs on the main thread and starts the workers.
    host.transform(&p.path("src/First.vue"), APP)
        .unwrap()
        .expect("compiled");
    assert_eq!(
        support::wait_workers(&events),
        hotloop_plugin_host::HostEvent::WorkersReady { workers: 2 }
    );
    for name in ["App", "Other", "Third"] {
        let app = p.path(&format!("src/{name}.vue"));
        p.write(&format!("src/{name}.vue"), APP);
        let main = host.transform(&app, APP).unwrap().expect("compiled");
        assert!(main.code.contains("_sfc_main"), "{}", main.code);
        let style = format!("{app}?vue&type=style&index=0&lang.css");
        // A file a worker owns: its sub-module is not preloaded by the main thread (where the
        // plugins have no state of it) but asked for, and compiled by that worker.
        host.resolve_ids_in(PluginEnv::Client, &[&style], Some(&app));
        let before = host.round_trips();
        let both = host
            .load_and_transform_in(PluginEnv::Client, &style, APP, true)
            .unwrap();
        assert_eq!(host.round_trips(), before + 1, "{name}");
        let block = both.loaded.expect("the block").code;
        assert!(block.contains("button { color: red; }"), "{block}");
        let css = host
            .load(&style)
            .unwrap()
            .expect("loaded from the descriptor");
        assert!(css.code.contains("button { color: red; }"), "{}", css.code);
        p.write(
            &format!("src/{name}.vue"),
            &APP.replace("color: red", "color: blue"),
        );
        let modules = host
            .hot_update(&app, &[app.clone(), style.clone()], &[], None)
            .unwrap();
        assert_eq!(modules, Some(vec![style.clone()]), "{name}");
        assert_eq!(
            host.take_custom_events(),
            [hotloop_protocol::plugin::CustomEvent {
                event: "file-changed".to_string(),
                data: serde_json::json!({ "file": app }).to_string(),
                client: None,
            }]
        );
    }
}
