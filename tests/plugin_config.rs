//! A project's `vite.config.ts` end to end, without the binary: compiled by the engine's
//! `strip_types_to_esm` and loaded by the plugin host with the real `vite`, `vue` and
//! `@vitejs/plugin-vue` (the packages `engine/plugin-host/tests/npm` installs; its own tests
//! run `npm ci` there, and so does this one when they are missing).
//!
//! Also: a plain-data config (`engine::config_literal`) read without Node means what the host
//! says it means (`ResolvedConfig::from_literal` beside `load_config`), and a deferred host
//! starts Node only when asked to.

use std::path::Path;
use std::sync::Arc;

use hotloop_plugin_host::{
    ConfigInput, HostEvent, HostOptions, Pattern, PluginHost, ResolvedConfig,
};

#[path = "support/plugin_packages.rs"]
mod plugin_packages;

fn node_modules() -> std::path::PathBuf {
    plugin_packages::plugin_packages(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// create-vue's config shape: `defineConfig`, a plugin, an alias from `import.meta.url`, types.
const CONFIG: &str = r#"import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type UserConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const port: number = 5174

export default defineConfig(({ mode }): UserConfig => ({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  define: { __APP_MODE__: JSON.stringify(mode) },
  server: { port },
  // hotloop's own key: the app's server entry (server-side HMR).
  hotloop: { server: 'src/server.ts' },
} as UserConfig))
"#;

#[test]
fn a_typescript_vite_config_loads_through_the_engines_strip() {
    let modules = node_modules();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::os::unix::fs::symlink(&modules, root.join("node_modules")).unwrap();
    let config = root.join("vite.config.ts");
    std::fs::write(&config, CONFIG).unwrap();

    let code = engine::strip_types_to_esm(&config.display().to_string(), CONFIG)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let resolver: hotloop_plugin_host::Resolver =
        Arc::new(|_: &str, _: Option<&str>, _: hotloop_plugin_host::ResolveAs| None);
    let host = PluginHost::start(HostOptions::new(&root, &config, resolver)).expect("starts");
    let resolved = host
        .load_config(ConfigInput {
            path: config.clone(),
            code,
            mode: Some("staging".into()),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.mode, "staging");
    assert_eq!(resolved.define["__APP_MODE__"], "\"staging\"");
    assert_eq!(resolved.server.port, Some(5174));
    assert_eq!(resolved.hotloop_server.as_deref(), Some("src/server.ts"));
    assert!(
        resolved.unsupported.is_empty(),
        "{:?}",
        resolved.unsupported
    );
    let names: Vec<_> = resolved.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["hotloop:css", "vite:vue"]);
    let alias = &resolved.resolve.alias[0];
    assert_eq!(alias.find, Pattern::String("@".into()));
    assert_eq!(alias.replacement, root.join("src").display().to_string());
    // The timestamped copy next to the config is gone.
    let mut left: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["node_modules", "vite.config.ts"]);
}

#[test]
fn a_config_that_throws_while_it_runs_is_placed_at_its_line_in_the_file_as_written() {
    // Types above the throw: the compiled copy's lines are not the file's.
    let text = "type Plugin = { name: string };\ninterface Options {\n  debug: boolean;\n}\n\nexport default (): { plugins: Plugin[] } => {\n  const make: any = null;\n  return { plugins: [make.plugin()] };\n};\n";
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = root.join("vite.config.ts");
    std::fs::write(&config, text).unwrap();
    let code = engine::strip_types_to_esm(&config.display().to_string(), text)
        .unwrap_or_else(|d| panic!("{d:?}"));
    let host = PluginHost::start(HostOptions::new(&root, &config, no_resolver())).expect("starts");
    let err = host
        .load_config(ConfigInput {
            path: config.clone(),
            code,
            ..Default::default()
        })
        .expect_err("the config throws");
    let hotloop_plugin_host::HostError::Config(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.id.as_deref(), Some(config.to_str().unwrap()));
    assert!(e.message.contains("reading 'plugin'"), "{err}");
    // Line 8 of the file, at `plugin` (columns from 1).
    assert_eq!(e.loc, Some((8, 27)), "{err}");
    let frame = e.frame.as_deref().unwrap_or_default();
    assert!(
        frame.contains("8 |   return { plugins: [make.plugin()] };"),
        "{frame}"
    );
}

/// A project dir with the test packages linked in and a package.json naming some of them.
fn project(config: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let modules = node_modules();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::os::unix::fs::symlink(&modules, root.join("node_modules")).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{ "dependencies": { "vue": "^3" }, "devDependencies": { "@vitejs/plugin-react": "^6", "left-out": "1" } }"#,
    )
    .unwrap();
    let path = root.join("vite.config.ts");
    std::fs::write(&path, config).unwrap();
    (dir, root, path)
}

fn input(path: &Path, text: &str, mode: Option<&str>) -> ConfigInput {
    ConfigInput {
        path: path.to_path_buf(),
        code: engine::strip_types_to_esm(&path.display().to_string(), text)
            .unwrap_or_else(|d| panic!("{d:?}")),
        mode: mode.map(str::to_string),
        native_plugins: engine::default_plugin_factories(
            &path.display().to_string(),
            text,
            &hotloop_plugin_host::NATIVE_PLUGIN_PACKAGES,
        ),
        ..Default::default()
    }
}

fn no_resolver() -> hotloop_plugin_host::Resolver {
    Arc::new(|_: &str, _: Option<&str>, _: hotloop_plugin_host::ResolveAs| None)
}

#[test]
fn a_plain_data_config_means_without_node_what_the_host_says_it_means() {
    let configs = [
        "import { defineConfig } from 'vite'\nimport react from '@vitejs/plugin-react'\n\n\
         export default defineConfig({\n  plugins: [react()],\n})\n",
        "export default {}\n",
        "import react from '@vitejs/plugin-react'\nexport default {\n\
           plugins: [react({})],\n\
           mode: 'staging',\n\
           envPrefix: ['APP_', 'VITE_'],\n\
           define: { __S__: '\"s\"', __N__: 42, __F__: -1.5, __B__: true, __O__: { a: [1, null] } },\n\
           server: { port: 5199, host: true, strictPort: true, open: '/docs', cors: false,\n\
             allowedHosts: ['example.test'] },\n\
           hotloop: { server: 'src/server.ts' },\n\
         } satisfies import('vite').UserConfig\n",
        "export default { envPrefix: 'APP_', server: { host: '0.0.0.0', open: true, allowedHosts: true } }\n",
        "export default { json: { stringify: true, namedExports: false },\n\
           css: { modules: { localsConvention: 'camelCase', generateScopedName: '[local]_[hash]' } } }\n",
        "export default { css: { modules: false } }\n",
        "export default { root: 'app', base: 'sub' }\n",
        "export default { base: './' }\n",
        "export default { html: { cspNonce: 'n0nce' } }\n",
        "export default { legacy: { inconsistentCjsInterop: true, other: 1 } }\n",
        // Pre-bundling's defines, which hotloop applies to npm packages; the rest is named.
        "export default { optimizeDeps: { include: ['x'],\n\
           esbuildOptions: { define: { global: 'globalThis', n: 1 }, target: 'es2020' },\n\
           rolldownOptions: { transform: { define: { 'process.browser': 'true' }, jsx: 'react' },\n\
             plugins: [] } } }\n",
        // The JSX of Vite's transform and its `jsxInject`: Vite 8's names, the esbuild ones
        // before them (read only without `oxc`), and both.
        "export default { oxc: { jsx: { runtime: 'classic', pragma: 'h', pragmaFrag: 'Fragment' },\n\
           jsxInject: `import { h, Fragment } from 'preact'`, exclude: ['x'] } }\n",
        "export default { esbuild: { jsx: 'transform', jsxFactory: 'h', jsxFragment: 'F',\n\
           jsxInject: \"import { h } from 'h'\", target: 'es2020' } }\n",
        "export default { oxc: { jsx: { importSource: 'preact' } }, esbuild: { jsxInject: 'import x from \"x\"' } }\n",
        // Options hotloop does not honour: listed, as the host lists them (vitest's `test`;
        // `vitest/config`'s `defineConfig` is vite's, which the engine's tests cover).
        "import { defineConfig } from 'vite'\nimport react from '@vitejs/plugin-react'\n\
         export default defineConfig({ plugins: [react()], test: { environment: 'jsdom' },\n\
           build: { outDir: 'out' }, server: { port: 5200, hmr: { overlay: false }, watch: null },\n\
           css: { lightningcss: {} }, hotloop: { other: 1 }, clearScreen: false, optimizeDeps: 5,\n\
           html: { cspNonce: 'n', other: true } })\n",
    ];
    for (text, mode) in configs.iter().flat_map(|t| [(t, None), (t, Some("test"))]) {
        let (_dir, root, path) = project(text);
        let literal = engine::config_literal(&path.display().to_string(), text)
            .unwrap_or_else(|| panic!("plain data:\n{text}"));
        let native = ResolvedConfig::from_literal(&root, mode, &literal.options)
            .unwrap_or_else(|| panic!("honoured without Node:\n{text}"));

        let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
        let mut evaluated = host
            .load_config(input(&path, text, mode))
            .unwrap_or_else(|e| panic!("{e}"));
        // What only Node's answer has: the plugins (plugin-react's do nothing hotloop runs;
        // the host's own `hotloop:css`) and the `resolve.dedupe` plugin-react's `config`
        // hook adds (`react`, `react-dom`: a project with one copy of each resolves alike).
        assert!(
            evaluated
                .plugins
                .iter()
                .all(|p| p.name.starts_with("vite:react") || p.name == "hotloop:css"),
            "{:?}",
            evaluated.plugins
        );
        // Of those, the host's own CSS pipeline is in both (a `.scss` file starts the host).
        evaluated.plugins.retain(|p| p.name == "hotloop:css");
        evaluated.ssr_plugins.retain(|p| p.name == "hotloop:css");
        evaluated.resolve.dedupe.clear();
        // In the config's order from the host; this build's serde_json may sort keys.
        let mut native = native;
        native.unsupported.sort();
        evaluated.unsupported.sort();
        if text.contains("optimizeDeps: {") {
            let expected: std::collections::BTreeMap<String, String> =
                [("global", "globalThis"), ("process.browser", "true")]
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .into();
            assert_eq!(native.deps_define, expected);
            assert_eq!(
                native.unsupported,
                [
                    "optimizeDeps.esbuildOptions.target",
                    "optimizeDeps.include",
                    "optimizeDeps.rolldownOptions.plugins",
                    "optimizeDeps.rolldownOptions.transform.jsx"
                ]
            );
        }
        if text.contains("clearScreen") {
            assert_eq!(
                native.unsupported,
                [
                    "build",
                    "clearScreen",
                    "css.lightningcss",
                    "hotloop.other",
                    "html.other",
                    "optimizeDeps",
                    "server.watch",
                    "test"
                ]
            );
            // `server.hmr.overlay` is honoured, alike without Node.
            assert_eq!(native.server.hmr_overlay, Some(false));
        }
        if text.contains("inconsistentCjsInterop") {
            assert!(native.inconsistent_cjs_interop);
            assert_eq!(native.unsupported, ["legacy.other"]);
        }
        if text.contains("pragmaFrag") {
            assert_eq!(
                native.jsx_inject.as_deref(),
                Some("import { h, Fragment } from 'preact'")
            );
            let jsx = native.jsx.as_ref().expect("the config's JSX");
            assert!(jsx.classic);
            assert_eq!(
                (jsx.factory.as_deref(), jsx.fragment.as_deref()),
                (Some("h"), Some("Fragment"))
            );
            assert_eq!(native.unsupported, ["oxc.exclude"]);
        }
        if text.contains("jsxFragment: 'F'") {
            assert_eq!(native.jsx_inject.as_deref(), Some("import { h } from 'h'"));
            assert!(native.jsx.as_ref().is_some_and(|jsx| jsx.classic));
            assert_eq!(native.unsupported, ["esbuild.target"]);
        }
        if text.contains("importSource: 'preact'") {
            assert_eq!(
                native.jsx_inject, None,
                "esbuild's is not read beside oxc's"
            );
            assert_eq!(
                native
                    .jsx
                    .as_ref()
                    .and_then(|jsx| jsx.import_source.as_deref()),
                Some("preact")
            );
        }
        if text.contains("cspNonce: 'n0nce'") {
            assert_eq!(native.csp_nonce.as_deref(), Some("n0nce"));
        }
        assert_eq!(native, evaluated, "{text} (mode {mode:?})");
    }
    // The installed versions come from node_modules, as the host reads them.
    let (_dir, root, _) = project("export default {}\n");
    let native = ResolvedConfig::from_literal(&root, None, &Default::default()).unwrap();
    assert_eq!(native.package_versions["@vitejs/plugin-react"], "6.3.0");
    assert_eq!(native.package_versions["left-out"], "");
}

#[test]
fn a_project_that_configures_postcss_is_left_to_the_host() {
    let (_dir, root, _) = project("export default {}\n");
    assert!(ResolvedConfig::from_literal(&root, None, &Default::default()).is_some());
    std::fs::write(
        root.join("postcss.config.js"),
        "export default { plugins: {} }\n",
    )
    .unwrap();
    assert_eq!(
        ResolvedConfig::from_literal(&root, None, &Default::default()),
        None
    );
    std::fs::remove_file(root.join("postcss.config.js")).unwrap();
    std::fs::write(
        root.join("package.json"),
        r#"{ "postcss": { "plugins": {} } }"#,
    )
    .unwrap();
    assert_eq!(
        ResolvedConfig::from_literal(&root, None, &Default::default()),
        None
    );
}

#[test]
fn options_beyond_the_literal_ones_are_left_to_the_host() {
    for text in [
        "export default { server: { port: 5199, proxy: { '/api': 'http://127.0.0.1:1' } } }\n",
        "export default { server: { port: 70000 } }\n",
        "export default { hotloop: { server: 1 } }\n",
        "export default { define: 1 }\n",
        "export default { css: { devSourcemap: true } }\n",
        "export default { resolve: { conditions: ['custom'] } }\n",
        "export default { server: { fs: { allow: ['..'] } } }\n",
        // Certificates are read from files (or made by a plugin): Node's.
        "export default { server: { https: { cert: 'c', key: 'k' } } }\n",
    ] {
        let literal = engine::config_literal("/p/vite.config.ts", text).expect(text);
        assert_eq!(
            ResolvedConfig::from_literal(Path::new("/p"), None, &literal.options),
            None,
            "{text}"
        );
    }
}

#[test]
fn server_https_reaches_hotloop_as_pem_text_from_files_or_a_plugins_config_resolved() {
    let files = "import fs from 'node:fs'\n\
         export default { server: { https: { cert: fs.readFileSync(new URL('./cert.pem', import.meta.url)),\n\
           key: [fs.readFileSync(new URL('./key.pem', import.meta.url))], passphrase: 'unused' } } }\n";
    // What @vitejs/plugin-basic-ssl and vite-plugin-mkcert do.
    let plugin = "export default { plugins: [{ name: 'ssl', configResolved(c) {\n\
           c.server.https = Object.assign({}, c.server.https, { cert: 'CERT', key: 'KEY' }) } }] }\n";
    for (text, cert, key, unsupported) in [
        (
            files,
            "cert text",
            "key text",
            vec!["server.https.passphrase"],
        ),
        (plugin, "CERT", "KEY", vec![]),
    ] {
        let (_dir, root, path) = project(text);
        std::fs::write(root.join("cert.pem"), "cert text").unwrap();
        std::fs::write(root.join("key.pem"), "key text").unwrap();
        let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
        let config = host
            .load_config(input(&path, text, None))
            .unwrap_or_else(|e| panic!("{e}"));
        let https = config.server.https.expect("server.https");
        assert_eq!(https.cert.as_deref(), Some(cert), "{text}");
        assert_eq!(https.key.as_deref(), Some(key), "{text}");
        assert_eq!(config.unsupported, unsupported, "{text}");
        // A private key never reaches a log line through `Debug`.
        assert!(!format!("{https:?}").contains(key));
    }
}

#[test]
fn a_deferred_host_runs_no_node_until_asked_then_evaluates_the_config_itself() {
    let text = "import react from '@vitejs/plugin-react'\nexport default { plugins: [react()] }\n";
    let (_dir, root, path) = project(text);
    let literal = engine::config_literal(&path.display().to_string(), text).unwrap();
    let native = ResolvedConfig::from_literal(&root, None, &literal.options).unwrap();
    let mut options = HostOptions::new(&root, &path, no_resolver());
    // Node is not even looked for: a missing one is no error until it is needed.
    options.node = Some(root.join("no-such-node"));
    let host = PluginHost::deferred(options, input(&path, text, None), native.clone()).unwrap();
    assert_eq!(host.pid(), None);
    assert_eq!(host.config(), Some(native.clone()));
    // A Sass stylesheet would start it (the host's CSS pipeline); plain CSS and scripts not.
    use hotloop_protocol::plugin::Plugins as _;
    let src = root.join("src");
    assert!(host.wants_transform(&src.join("a.scss").display().to_string(), ""));
    assert!(!host.wants_transform(&src.join("a.css").display().to_string(), ""));
    assert!(!host.wants_transform(&src.join("a.tsx").display().to_string(), ""));
    let error = host.ensure_running().unwrap_err().to_string();
    assert!(
        error.contains("vite.config.ts") && error.contains("no-such-node"),
        "{error}"
    );
    assert_eq!(host.pid(), None);

    let host = PluginHost::deferred(
        HostOptions::new(&root, &path, no_resolver()),
        input(&path, text, None),
        native.clone(),
    )
    .unwrap();
    let events = host.events();
    host.ensure_running().unwrap();
    let pid = host.pid().expect("runs once asked");
    assert_eq!(
        events.recv_timeout(std::time::Duration::from_secs(30)),
        Ok(HostEvent::Started { pid })
    );
    let evaluated = host.config().unwrap();
    assert!(
        evaluated
            .plugins
            .iter()
            .any(|p| p.name == "vite:react-refresh"),
        "Node's own answer replaced the literal one: {:?}",
        evaluated.plugins
    );
    // Taking a config without Node leaves a running host running.
    host.use_config(input(&path, text, None), native);
    assert_eq!(host.pid(), Some(pid));
}

#[test]
fn a_config_that_must_run_but_needs_nothing_after_parks_its_host() {
    // An alias computed in Node: not plain data, so the host evaluates it.
    let text = "import path from 'node:path'\nimport react from '@vitejs/plugin-react'\n\
                export default { plugins: [react()], resolve: { alias: { '@': path.resolve('src') } } }\n";
    let (_dir, root, path) = project(text);
    assert_eq!(
        engine::config_literal(&path.display().to_string(), text),
        None
    );
    let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
    let events = host.events();
    let config = host.load_config(input(&path, text, None)).unwrap();
    assert_eq!(
        config.resolve.alias[0].replacement,
        root.join("src").display().to_string()
    );
    // plugin-react's preamble is hotloop's own: its `transformIndexHtml` is not offered.
    let refresh = config
        .plugins
        .iter()
        .find(|p| p.name == "vite:react-refresh")
        .unwrap();
    assert!(!refresh.has_hook("transformIndexHtml"), "{refresh:?}");
    assert!(host.pid().is_some());
    assert!(host.park_if_idle());
    assert_eq!(host.pid(), None);
    assert!(!host.park_if_idle(), "nothing left to stop");
    assert_eq!(host.config(), Some(config.clone()), "the config stays");
    // A request that needs a plugin starts it again, config evaluated there.
    host.ensure_running().unwrap();
    let pid = host.pid().unwrap();
    let started =
        std::iter::from_fn(|| events.recv_timeout(std::time::Duration::from_secs(30)).ok())
            .find(|e| matches!(e, HostEvent::Started { .. }));
    assert_eq!(started, Some(HostEvent::Started { pid }));
    assert_eq!(host.config(), Some(config));
    // Loading and evaluating the config asked no hook anything: the page stays hotloop's own
    // (the engine may keep it for the next session), until a hook answers a request.
    use hotloop_protocol::plugin::Plugins as _;
    assert!(!host.hooks_answered());
    let refresh = host
        .load("/@react-refresh")
        .unwrap()
        .expect("plugin-react's runtime");
    assert!(
        refresh.code.contains("injectIntoGlobalHook"),
        "{}",
        refresh.code
    );
    assert!(host.hooks_answered());

    // A plugin with a transform of its own keeps its host.
    let busy = "export default { plugins: [{ name: 'busy', transform(code) { return code } }] }\n";
    let (_dir, root, path) = project(busy);
    let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
    host.load_config(input(&path, busy, None)).unwrap();
    assert!(!host.park_if_idle());
    assert!(host.pid().is_some());

    // So does one that listens to the pages (`server.ws.on`); one whose `configureServer`
    // sets up nothing that outlives it parks.
    for (listens, config) in [
        (
            true,
            "export default { plugins: [{ name: 'rpc', configureServer(s) { s.ws.on('rpc:ask', () => {}) } }] }\n",
        ),
        (
            false,
            "export default { plugins: [{ name: 'quiet', configureServer(s) {} }] }\n",
        ),
    ] {
        let (_dir, root, path) = project(config);
        let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
        let loaded = host.load_config(input(&path, config, None)).unwrap();
        assert_eq!(loaded.listens_to_pages, listens, "{config}");
        assert_eq!(host.park_if_idle(), !listens, "{config}");
    }
}

#[test]
fn react_swc_made_without_options_in_a_config_that_must_run_leaves_its_transform_to_hotloop() {
    // The shape of many React + SWC projects: a function of the mode, an alias computed in
    // Node, `react()` from `@vitejs/plugin-react-swc` without options.
    let text = "import { defineConfig } from 'vite'\n\
                import react from '@vitejs/plugin-react-swc'\n\
                import path from 'node:path'\n\
                export default defineConfig(({ mode }) => ({\n\
                  plugins: [react()],\n\
                  resolve: { alias: { '@': path.resolve('src') } },\n\
                  define: { __MODE__: JSON.stringify(mode) },\n\
                }))\n";
    let (_dir, root, path) = project(text);
    assert_eq!(
        engine::config_literal(&path.display().to_string(), text),
        None
    );
    let swc_plugin = |config: &ResolvedConfig| {
        config
            .plugins
            .iter()
            .find(|p| p.name == "vite:react-swc")
            .cloned()
            .expect("plugin-react-swc's plugin is in the list")
    };
    let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
    let config = host.load_config(input(&path, text, None)).unwrap();
    assert_eq!(config.define["__MODE__"], "\"development\"");
    let swc = swc_plugin(&config);
    assert!(!swc.has_hook("transform"), "{swc:?}");
    assert!(
        swc.has_hook("config"),
        "its config-time hooks still run: {swc:?}"
    );
    // Nothing of the config runs past it: no module goes to Node for swc's transform.
    assert!(host.park_if_idle(), "{:#?}", config.plugins);
    assert_eq!(host.pid(), None);

    // With options hotloop does not reproduce, swc's transform runs in the host, as in Vite,
    // told that Vite serves without HMR: hotloop's React Refresh runs on its output.
    let with_options = text.replace("react()", "react({ devTarget: 'es2022' })");
    std::fs::write(&path, &with_options).unwrap();
    let host = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
    let config = host.load_config(input(&path, &with_options, None)).unwrap();
    assert!(swc_plugin(&config).has_hook("transform"));
    assert!(!host.park_if_idle());
    use hotloop_protocol::plugin::Plugins as _;
    let out = host
        .transform(
            &root.join("src/App.tsx").display().to_string(),
            "export default function App(): JSX.Element { return <p>hi</p> }\n",
        )
        .unwrap()
        .expect("swc's transform answers");
    assert!(out.code.contains("jsxDEV"), "{}", out.code);
    assert!(!out.code.contains("$RefreshReg$"), "{}", out.code);
}

/// Session 50: a restart takes the last session's answer of its config at once
/// (`tui/src/config_memo.rs`) while Node evaluates the config: the host goes by that answer
/// meanwhile, a hook call waits for Node's plugins (a `.vue` file sent before the config
/// loaded would come back untransformed), and Node's own answer replaces it, also when it
/// differs.
#[test]
fn a_host_ahead_goes_by_the_last_answer_until_node_evaluated_the_config() {
    let text = "import vue from '@vitejs/plugin-vue'\n\
                export default { plugins: [vue()], define: { __BUILT__: '\"now\"' } }\n";
    let (_dir, root, path) = project(text);
    let fresh = PluginHost::start(HostOptions::new(&root, &path, no_resolver())).unwrap();
    let evaluated = fresh.load_config(input(&path, text, None)).unwrap();
    drop(fresh);
    // The last session's answer, from a config that evaluated differently then.
    let mut last = evaluated.clone();
    last.define.insert("__BUILT__".into(), "\"then\"".into());

    let (host, answer) = PluginHost::ahead(
        HostOptions::new(&root, &path, no_resolver()),
        input(&path, text, None),
        last.clone(),
    )
    .unwrap();
    assert_eq!(
        host.config(),
        Some(last),
        "taken before Node answers (Node takes ~0.1 s to start at all)"
    );
    use hotloop_protocol::plugin::Plugins as _;
    let app = root.join("src/App.vue");
    let sfc = "<script setup>\nconst n = 1\n</script>\n<template><p>{{ n }}</p></template>\n";
    let out = host
        .transform(&app.display().to_string(), sfc)
        .unwrap()
        .expect("plugin-vue compiled it: the call waited for the config");
    assert!(out.code.contains("_sfc_main"), "{}", out.code);
    let answered = answer
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("Node answered")
        .expect("the config evaluated");
    assert_eq!(answered, evaluated);
    assert_eq!(host.config(), Some(evaluated));
}
