//! The plugin host against real Node: real configs in temp dirs, inline plugins.

mod support;

use std::time::Duration;

use hotloop_plugin_host::{
    Alias, ConfigInput, HostError, HostEvent, HostOptions, Pattern, PluginHost,
};
use hotloop_protocol::ClientId;
use hotloop_protocol::plugin::{
    CustomEvent, FileChanges, GraphEdges, PluginEnv, PluginError, Plugins,
};
use support::{Project, options, start, start_with, wait_event, wait_gone};

const VIRTUAL: &str = r#"
export default {
  plugins: [{
    name: 'virtual',
    resolveId(id) { if (id === 'virtual:hello') return '\0virtual:hello' },
    load(id) { if (id === '\0virtual:hello') return 'export default "hi"' },
  }, {
    name: 'shout',
    transform(code, id) {
      if (!id.endsWith('.js')) return
      return { code: code.replace('hello', 'HELLO'), map: null }
    },
  }],
}
"#;

#[test]
fn virtual_module_and_transform() {
    let p = Project::new(&[("vite.config.mjs", VIRTUAL)]);
    let (host, config) = start(&p, "vite.config.mjs");
    let names: Vec<_> = config.plugins.iter().map(|p| p.name.as_str()).collect();
    // hotloop's own `hotloop:css` (Vite's CSS pipeline) goes where Vite has `vite:css`.
    assert_eq!(names, ["hotloop:css", "virtual", "shout"]);

    let r = host
        .resolve_id("virtual:hello", Some(&p.path("src/main.js")))
        .unwrap();
    assert_eq!(r.map(|r| r.id), Some("\0virtual:hello".to_string()));
    assert_eq!(host.resolve_id("./other.js", None).unwrap(), None);

    let loaded = host.load("\0virtual:hello").unwrap().expect("loaded");
    assert_eq!(loaded.code, r#"export default "hi""#);
    assert_eq!(host.load(&p.path("src/main.js")).unwrap(), None);

    let out = host
        .transform(&p.path("src/main.js"), "console.log('hello')")
        .unwrap()
        .expect("transformed");
    assert_eq!(out.code, "console.log('HELLO')");
    assert_eq!(
        host.transform(&p.path("src/main.ts"), "hello").unwrap(),
        None,
        "unchanged"
    );
}

/// A module's specifiers go in one request (`resolveIds`): each one's `resolveId` chain runs
/// concurrently (a slow one does not hold the others back), a failing one is its own error,
/// and one no filter admits is answered in Rust without being sent.
#[test]
fn a_modules_specifiers_resolve_in_one_round_trip_with_their_own_errors() {
    let config = r#"
let slowDone = false
export default {
  plugins: [{
    name: 'first',
    resolveId: {
      filter: { id: /^(virtual:|\.\/)/ },
      async handler(id, importer) {
        if (id === 'virtual:slow') {
          // Waits for 'virtual:fast' to have been answered: concurrent, not one after another.
          await new Promise((r) => setTimeout(r, 50))
          return '\0slow:' + (slowDone ? 'after-fast' : 'first')
        }
        if (id === 'virtual:fast') { slowDone = true; return '\0fast:' + importer }
        if (id === 'virtual:boom') this.error('no such thing')
      },
    },
  }, {
    name: 'second',
    resolveId(id) { if (id === './passed.js') return '/abs/passed.js' },
  }],
}
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let importer = p.path("src/main.js");
    let before = host.round_trips();
    let answers = host.resolve_ids_in(
        PluginEnv::Client,
        &[
            "virtual:slow",
            "virtual:boom",
            "virtual:fast",
            "./passed.js",
            "./nobody.js",
        ],
        Some(&importer),
    );
    assert_eq!(
        host.round_trips(),
        before + 1,
        "one round trip for all five"
    );
    let ids: Vec<_> = answers
        .iter()
        .map(|a| match a {
            Ok(r) => Ok(r.as_ref().map(|r| r.id.clone())),
            Err(e) => Err((e.plugin.clone(), e.hook.clone(), e.message.clone())),
        })
        .collect();
    assert_eq!(
        ids,
        [
            Ok(Some("\0slow:after-fast".to_string())),
            Err((
                "first".to_string(),
                "resolveId".to_string(),
                "no such thing".to_string()
            )),
            Ok(Some(format!("\0fast:{importer}"))),
            Ok(Some("/abs/passed.js".to_string())),
            Ok(None),
        ]
    );
    // A batch no plugin's filter admits costs no round trip.
    let config = r#"
export default { plugins: [{ name: 'only', resolveId: { filter: { id: /^virtual:/ }, handler: (id) => '\0' + id } }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let before = host.round_trips();
    let answers = host.resolve_ids_in(PluginEnv::Client, &["./a.js", "vue"], None);
    assert_eq!(answers, [Ok(None), Ok(None)]);
    assert_eq!(
        host.round_trips(),
        before,
        "no request when no filter admits any"
    );
}

#[test]
fn transform_chain_composes_source_maps_and_collects_watch_files_and_warnings() {
    // Each plugin prepends one line and maps every output line below to the line above it.
    let config = r#"
const prepend = (name) => ({
  name,
  transform(code, id) {
    this.addWatchFile('/dep/' + name)
    this.warn('ran on ' + id)
    const lines = code.split('\n').length
    const mappings = ';' + Array.from({ length: lines }, (_, i) => (i === 0 ? 'AAAA' : 'AACA')).join(';')
    return { code: '// ' + name + '\n' + code, map: { version: 3, sources: [id], sourcesContent: [code], names: [], mappings } }
  },
})
export default { plugins: [prepend('a'), prepend('b')] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let id = p.path("src/x.js");
    let out = host
        .transform(&id, "one\ntwo")
        .unwrap()
        .expect("transformed");
    assert_eq!(out.code, "// b\n// a\none\ntwo");
    let map: serde_json::Value = serde_json::from_str(out.map.as_deref().expect("map")).unwrap();
    // Two header lines without mappings, then lines 0 and 1 of the original.
    assert_eq!(map["mappings"], ";;AAAA;AACA");
    assert_eq!(map["sources"], serde_json::json!([id]));
    assert_eq!(map["sourcesContent"], serde_json::json!(["one\ntwo"]));
    let watch: Vec<_> = out
        .watch_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(watch, ["/dep/a", "/dep/b"]);
    assert_eq!(
        out.warnings,
        [format!("a: ran on {id}"), format!("b: ran on {id}")]
    );
}

#[test]
fn a_throwing_plugin_reports_name_hook_location_and_frame() {
    let config = r#"
export default { plugins: [{
  name: 'thrower',
  transform(code, id) {
    if (id.endsWith('bad.js')) this.error('no semicolons here', code.indexOf(';'))
    if (id.endsWith('throw.js')) { const e = new SyntaxError('Unexpected token'); e.loc = { line: 2, column: 4, file: id }; throw e }
    // Vue's compiler's own errors (vite-plugin-vue-inspector rethrows them): loc.start,
    // its column 1-based.
    if (id.endsWith('vue.js')) { const e = new SyntaxError('Element is missing end tag.'); e.code = 24; e.loc = { start: { line: 2, column: 3, offset: 4 }, end: { line: 2, column: 9, offset: 10 }, source: '' }; throw e }
    // Vite's Sass errors: the message and the frame are both Sass's formatted report.
    if (id.endsWith('sassy.js')) { const report = '[sass] Error: expected ")".\n  ╷\n2 │ b c\n  ╵'; throw Object.assign(new Error(report), { frame: report }) }
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let id = p.path("src/bad.js");
    let e = host.transform(&id, "let a = 1\nlet b = 2;\n").unwrap_err();
    assert_eq!(e.plugin, "thrower");
    assert_eq!(e.hook, "transform");
    assert_eq!(e.id.as_deref(), Some(id.as_str()));
    assert_eq!(e.message, "no semicolons here");
    assert_eq!(e.loc, Some((2, 10)), "1-based line and column of the `;`");
    let frame = e.frame.clone().expect("a code frame");
    assert!(frame.contains("2 | let b = 2;"), "{frame}");
    assert!(e.to_string().starts_with("[plugin thrower] "), "{e}");

    let id = p.path("src/throw.js");
    let e = host.transform(&id, "a\nb c\n").unwrap_err();
    assert_eq!(
        (e.plugin.as_str(), e.hook.as_str()),
        ("thrower", "transform")
    );
    assert_eq!(e.loc, Some((2, 5)));
    assert!(e.frame.unwrap().contains("2 | b c"));
    let e = host
        .transform(&p.path("src/vue.js"), "a\n<p>x\n")
        .unwrap_err();
    assert_eq!(e.loc, Some((2, 3)), "where the compiler said, not 1:1");
    assert!(e.frame.unwrap().contains("2 | <p>x"));
    // A frame that is the message: said once, the first line as the message.
    let e = host
        .transform(&p.path("src/sassy.js"), "a\nb c\n")
        .unwrap_err();
    assert_eq!(e.message, "[sass] Error: expected \")\".");
    assert_eq!(e.frame.as_deref(), Some("  ╷\n2 │ b c\n  ╵"));
    // The host survives a plugin's error.
    assert!(host.transform(&p.path("src/ok.js"), "x").unwrap().is_none());
}

/// A transform hook's error at a position of the code an earlier step made (a rune error in a
/// `.svelte.ts` file's TS-stripped code) names the module's own line and column, traced back
/// through the earlier steps' map as Vite's plugin container does, and the frame hotloop draws
/// shows that line of the file.
#[test]
fn a_transform_error_after_a_mapped_step_names_the_modules_own_line() {
    let config = r#"
export default { plugins: [{
  name: 'strip',
  transform(code, id) {
    if (!id.endsWith('.ts')) return
    // Drops the blank first line: line N of the output is line N + 1 of the file.
    const lines = code.split('\n').slice(1)
    return { code: lines.join('\n'), map: { version: 3, sources: [id], names: [], mappings: lines.map(() => 'AACA').join(';') } }
  },
}, {
  name: 'runes',
  transform(code, id) {
    if (id.endsWith('counter.svelte.ts')) this.error('$derived needs an argument', code.indexOf('$derived'))
    // vite-plugin-svelte's shape: the compiler's `filename` (relative to the root) as the
    // id, and a frame of its own.
    if (id.endsWith('store.svelte.ts')) {
      const before = code.slice(0, code.indexOf('$derived')).split('\n')
      throw Object.assign(new Error('`$derived` must be called with exactly one argument'), {
        id: 'src/store.svelte.ts', frame: 'the compiler frame',
        loc: { line: before.length, column: before[before.length - 1].length, file: 'src/store.svelte.ts' },
      })
    }
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let id = p.path("src/counter.svelte.ts");
    let e = host
        .transform(&id, "\nlet a = 1\nlet bad = $derived()\n")
        .unwrap_err();
    assert_eq!(e.plugin, "runes");
    assert_eq!(
        e.loc,
        Some((3, 11)),
        "the file's line 3, not the stripped code's line 2"
    );
    let frame = e.frame.expect("a code frame");
    assert!(frame.contains("3 | let bad = $derived()"), "{frame}");

    let e = host
        .transform(
            &p.path("src/store.svelte.ts"),
            "\nlet a = 1\nlet bad = $derived()\n",
        )
        .unwrap_err();
    assert_eq!(e.loc, Some((3, 11)), "a relative id names the module too");
    assert_eq!(
        e.frame.as_deref(),
        Some("the compiler frame"),
        "a plugin's own frame is kept"
    );
}

/// Session 50: vite-plugin-svelte starts its message with the place (`<file>:<line>:<column>`,
/// Svelte's column from 0); hotloop's header names the place with the column an editor shows,
/// and the line said `/src/App.svelte:15:20: ... App.svelte:15:19 ...`. The message loses it.
#[test]
fn a_message_starting_with_the_errors_own_place_says_it_once() {
    let config = r#"
export default { plugins: [{
  name: 'vite-plugin-svelte:compile',
  transform(code, id) {
    if (!id.endsWith('.svelte')) return
    const start = { line: 2, column: 7 }
    throw Object.assign(new Error(`${id}:${start.line}:${start.column} \`</h2>\` attempted to close an element that was not open`), {
      id, loc: { ...start, file: id },
    })
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let e = host
        .transform(
            &p.path("src/App.svelte"),
            "<main>\n  <h1>Hi</h2>\n</main>\n",
        )
        .unwrap_err();
    assert_eq!(e.loc, Some((2, 8)));
    assert_eq!(
        e.message,
        "`</h2>` attempted to close an element that was not open"
    );
}

/// A transform hook's error at a position of the code an earlier step changed without a map,
/// keeping its lines (vite-plugin-vue-inspector's attributes on every element of a template):
/// placed at the file's own column by aligning the two texts, its frame (the plugin's own,
/// drawn from code the user never wrote) drawn again from the file.
#[test]
fn a_transform_error_after_a_mapless_step_is_placed_and_framed_in_the_file_as_written() {
    let config = r#"
export default { plugins: [{
  name: 'inspector',
  enforce: 'pre',
  transform(code, id) {
    if (id.endsWith('.vue')) return code.replace(/<p>/g, '<p data-v-inspector="src/A.vue">')
  },
}, {
  name: 'sfc',
  transform(code, id) {
    if (!id.endsWith('.vue')) return
    const lines = code.split('\n')
    const line = lines.findIndex((l) => l.includes('+ }}'))
    throw Object.assign(new Error('Error parsing JavaScript expression'), {
      frame: `${line + 1} | ${lines[line]}`,
      loc: { line: line + 1, column: lines[line].indexOf('+'), file: id },
    })
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let e = host
        .transform(
            &p.path("src/A.vue"),
            "<template>\n  <div>\n    <p>{{ label + }}</p>\n  </div>\n</template>\n",
        )
        .unwrap_err();
    assert_eq!(e.plugin, "sfc");
    assert_eq!(e.loc, Some((3, 17)), "the `+` of the file's line 3");
    let frame = e.frame.expect("a code frame");
    assert!(frame.contains("3 |     <p>{{ label + }}</p>"), "{frame}");
    assert!(!frame.contains("data-v-inspector"), "{frame}");
}

#[test]
fn config_as_an_async_function_with_alias_define_and_server() {
    let config = r#"
export default async ({ command, mode, isSsrBuild, isPreview }) => ({
  base: 'app',
  define: { __CMD__: JSON.stringify(command), __MODE__: JSON.stringify(mode), __N__: 42, __RAW__: 'window.x' },
  resolve: {
    alias: [{ find: '@', replacement: '/src' }, { find: /^~(.*)$/i, replacement: '/lib/$1' }],
    dedupe: ['vue'],
  },
  server: { port: 4000, strictPort: true, proxy: { '/api': { target: 'http://localhost:9', configure() {} } }, hmr: { overlay: false } },
  css: { modules: { localsConvention: 'camelCase' } },
  build: { outDir: 'out' },
  envPrefix: ['APP_', 'VITE_'],
  publicDir: false,
  ssr: { noExternal: isSsrBuild || isPreview },
})
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (_host, c) = start(&p, "vite.config.mjs");
    assert_eq!(c.base, "/app/");
    assert_eq!(c.mode, "development");
    assert_eq!(c.root, p.root().display().to_string());
    assert_eq!(c.public_dir, None);
    assert_eq!(c.env_prefix, ["APP_", "VITE_"]);
    assert_eq!(c.define["__CMD__"], "\"serve\"");
    assert_eq!(c.define["__MODE__"], "\"development\"");
    assert_eq!(c.define["__N__"], "42");
    assert_eq!(c.define["__RAW__"], "window.x");
    assert_eq!(
        c.resolve.alias,
        [
            Alias {
                find: Pattern::String("@".into()),
                replacement: "/src".into()
            },
            Alias {
                find: Pattern::RegExp {
                    source: "^~(.*)$".into(),
                    flags: "i".into()
                },
                replacement: "/lib/$1".into()
            },
        ]
    );
    assert_eq!(c.resolve.dedupe, ["vue"]);
    assert_eq!(c.server.port, Some(4000));
    assert_eq!(c.server.strict_port, Some(true));
    // An entry with `configure` runs in the host's proxy (its events), not hotloop's own.
    assert_eq!(c.server.proxy, Some(serde_json::json!({})));
    let routes = c.middlewares.as_ref().expect("the proxy's handler");
    assert!(
        routes
            .pre
            .iter()
            .any(|m| m.plugin == "vite:proxy" && m.route == "/api"),
        "{routes:?}"
    );
    assert_eq!(
        c.css_modules,
        Some(serde_json::json!({"localsConvention": "camelCase"}))
    );
    // `server.hmr.overlay` is honoured (the page's start options), the rest of it would not be.
    assert_eq!(c.server.hmr_overlay, Some(false));
    assert_eq!(c.unsupported, ["build", "ssr"]);
}

#[test]
fn config_as_a_promise_and_the_plugins_config_hooks_merge() {
    let config = r#"
const merging = { name: 'merging', config: (c, env) => ({ define: { __FROM_PLUGIN__: env.command }, resolve: { alias: { '#': '/hash' } } }) }
const mutating = { name: 'mutating', enforce: 'pre', config(c) { c.base = '/mutated/' } }
const buildOnly = { name: 'build-only', apply: 'build', config: () => { throw new Error('must not run') } }
export default Promise.resolve({ resolve: { alias: { '@': '/src' } }, plugins: [[merging, null], Promise.resolve(mutating), buildOnly, false] })
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (_host, c) = start(&p, "vite.config.mjs");
    let names: Vec<_> = c.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mutating", "hotloop:css", "merging"]);
    assert_eq!(c.base, "/mutated/");
    assert_eq!(c.define["__FROM_PLUGIN__"], "serve");
    let finds: Vec<_> = c.resolve.alias.iter().map(|a| a.find.clone()).collect();
    assert_eq!(
        finds,
        [Pattern::String("@".into()), Pattern::String("#".into())]
    );
}

/// Vite's `configEnvironment` for the client: a plugin adds its resolve condition there
/// (vite-plugin-svelte's `svelte`, vite-plugin-solid's `solid`), on top of the config's own or,
/// when it sets none, of the defaults the plugin fills in itself.
#[test]
fn the_client_environments_resolve_options_come_after_configenvironment() {
    let config = r#"
const addsCondition = {
  name: 'adds-condition',
  configEnvironment(name, config, env) {
    if (name !== 'client' || env.command !== 'serve') throw new Error(`asked for ${name}`)
    config.resolve.conditions ??= ['module', 'browser', 'development|production']
    config.resolve.conditions.push('mine')
  },
}
const merges = { name: 'merges', configEnvironment: () => ({ resolve: { dedupe: ['b'] } }) }
export default { resolve: { extensions: ['.sfc', '.js'], dedupe: ['a'] }, plugins: [addsCondition, merges] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (_host, c) = start(&p, "vite.config.mjs");
    assert_eq!(
        c.resolve.conditions.as_deref(),
        Some(&["module", "browser", "development|production", "mine"].map(String::from)[..])
    );
    assert_eq!(
        c.resolve.extensions.as_deref(),
        Some(&[".sfc", ".js"].map(String::from)[..])
    );
    assert_eq!(c.resolve.dedupe, ["a", "b"]);
    assert!(c.unsupported.is_empty(), "{:?}", c.unsupported);
}

#[test]
fn enforce_orders_transforms_pre_normal_post() {
    let config = r#"
const tag = (name, enforce, order) => ({ name, enforce, transform: order ? { order, handler: (code) => code + name } : (code) => code + name })
export default { plugins: [tag('post', 'post'), tag('normal'), tag('pre', 'pre'), tag('normal-but-first', undefined, 'pre')] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    let names: Vec<_> = c.plugins.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["pre", "hotloop:css", "normal", "normal-but-first", "post"]
    );
    assert_eq!(c.plugins[0].enforce.as_deref(), Some("pre"));
    let out = host.transform(&p.path("a.js"), ">").unwrap().unwrap();
    // the hook's `order: 'pre'` runs before every normal-order hook, enforce pre included
    assert_eq!(out.code, ">normal-but-firstprenormalpost");
}

/// A `.json` file meets the `pre` plugins' transforms alone, as under Vite, whose JSON plugin
/// comes next (the others see the module it makes, which hotloop makes natively after them).
#[test]
fn a_json_file_is_transformed_by_the_pre_plugins_alone() {
    let config = r#"
const tag = (name, enforce) => ({ name, enforce, transform: (code) => code + ' ' + name })
export default { plugins: [tag('post', 'post'), tag('normal'), tag('pre', 'pre')] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let out = host.transform(&p.path("a.json"), "{}").unwrap().unwrap();
    assert_eq!(out.code, "{} pre");
    let out = host.transform(&p.path("a.js"), "x").unwrap().unwrap();
    assert_eq!(out.code, "x pre normal post");
}

#[test]
fn filters_are_evaluated_in_rust_without_a_round_trip() {
    let config = r#"
export default { plugins: [{
  name: 'special',
  resolveId: { filter: { id: /^virtual:/ }, handler: (id) => '\0' + id },
  load: { filter: { id: { include: ['src/**/*.special.js'], exclude: '**/skip/**' } }, handler: () => 'export default 1' },
  transform: { filter: { id: /\.js$/, code: 'MAGIC' }, handler: (code) => code.replace('MAGIC', 'magic') },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    assert_eq!(
        c.plugins[1].filters["load"].id.as_ref().unwrap().include,
        [Pattern::String(format!(
            "{}/src/**/*.special.js",
            p.root().display()
        ))]
    );
    let before = host.round_trips();
    assert!(!host.wants_resolve("./a.js"));
    assert_eq!(host.resolve_id("./a.js", None).unwrap(), None);
    assert!(!host.wants_load(&p.path("src/a.js")));
    assert!(!host.wants_load(&p.path("src/skip/a.special.js")));
    assert_eq!(host.load(&p.path("src/a.js")).unwrap(), None);
    assert!(!host.wants_transform(&p.path("src/a.js"), "no magic word"));
    assert_eq!(host.transform(&p.path("src/a.js"), "plain").unwrap(), None);
    assert_eq!(
        host.round_trips(),
        before,
        "no request for modules no filter admits"
    );

    assert!(host.wants_resolve("virtual:x"));
    assert_eq!(
        host.resolve_id("virtual:x", None).unwrap().unwrap().id,
        "\0virtual:x"
    );
    assert!(host.wants_load(&p.path("src/deep/a.special.js")));
    assert_eq!(
        host.load(&p.path("src/deep/a.special.js"))
            .unwrap()
            .unwrap()
            .code,
        "export default 1"
    );
    assert!(host.wants_transform(&p.path("src/a.js"), "MAGIC"));
    assert_eq!(
        host.transform(&p.path("src/a.js"), "MAGIC")
            .unwrap()
            .unwrap()
            .code,
        "magic"
    );
    assert_eq!(host.round_trips(), before + 3);

    // A RegExp Rust cannot translate: "wants", and the host filters.
    let config = r#"
export default { plugins: [{
  name: 'lookbehind',
  transform: { filter: { id: /(?<=\/)odd\.ts$/ }, handler: (code) => code + '//odd' },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    assert!(host.wants_transform(&p.path("src/even.ts"), ""));
    assert_eq!(host.transform(&p.path("src/even.ts"), "x").unwrap(), None);
    assert_eq!(
        host.transform(&p.path("src/odd.ts"), "x")
            .unwrap()
            .unwrap()
            .code,
        "x//odd"
    );
}

#[test]
fn load_and_transform_are_one_round_trip_with_the_transform_filters_checked_on_the_loaded_code() {
    let config = r#"
export default { plugins: [{
  name: 'sub',
  load: {
    filter: { id: /\?(sub|none|bad-load|bad-transform)$/ },
    handler(id) {
      if (id.endsWith('?sub')) return 'export const a = "LOADED MAGIC"'
      if (id.endsWith('?bad-load')) throw new Error('no block here')
      if (id.endsWith('?bad-transform')) return 'BROKEN'
      return null
    },
  },
}, {
  name: 'magic',
  transform: { filter: { code: 'MAGIC' }, handler: (code) => code.replace('MAGIC', 'magic') },
}, {
  name: 'absent',
  // Its code filter does not admit the loaded code: it must not run.
  transform: { filter: { code: 'ABSENT' }, handler() { throw new Error('ran on code its filter rejects') } },
}, {
  name: 'strict',
  transform(code, id) { if (code === 'BROKEN') this.error({ message: 'broken block', loc: { line: 1, column: 2 } }) },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let env = PluginEnv::Client;

    let before = host.round_trips();
    let sub = p.path("src/a.js?sub");
    let both = host
        .load_and_transform_in(env, &sub, "the file's own text", true)
        .unwrap();
    assert_eq!(
        both.loaded.map(|o| o.code).as_deref(),
        Some(r#"export const a = "LOADED MAGIC""#)
    );
    assert_eq!(
        both.transformed.unwrap().map(|o| o.code).as_deref(),
        Some(r#"export const a = "LOADED magic""#),
        "the transforms ran on the loaded code, `absent` left out by its code filter"
    );
    assert_eq!(host.round_trips(), before + 1, "one round trip for both");

    // No `load` answered: the module's own text is transformed, unless it is virtual.
    let none = p.path("src/b.js?none");
    let both = host
        .load_and_transform_in(env, &none, "MAGIC", true)
        .unwrap();
    assert_eq!(both.loaded, None);
    assert_eq!(
        both.transformed.unwrap().map(|o| o.code).as_deref(),
        Some("magic")
    );
    let both = host
        .load_and_transform_in(env, &none, "MAGIC", false)
        .unwrap();
    assert_eq!((both.loaded, both.transformed), (None, Ok(None)));

    // A `load` hook's error is the call's; a `transform` hook's comes with the `load` answer.
    let e = host
        .load_and_transform_in(env, &p.path("src/c.js?bad-load"), "", true)
        .unwrap_err();
    assert_eq!((e.plugin.as_str(), e.hook.as_str()), ("sub", "load"));
    assert!(e.message.contains("no block here"), "{e:?}");
    let both = host
        .load_and_transform_in(env, &p.path("src/d.js?bad-transform"), "", true)
        .unwrap();
    assert_eq!(both.loaded.map(|o| o.code).as_deref(), Some("BROKEN"));
    let e = both.transformed.unwrap_err();
    assert_eq!(
        (e.plugin.as_str(), e.hook.as_str()),
        ("strict", "transform")
    );
    assert_eq!((e.message.as_str(), e.loc), ("broken block", Some((1, 3))));

    // What no `load` filter admits costs no round trip for the load: a transform alone.
    let before = host.round_trips();
    let both = host
        .load_and_transform_in(env, &p.path("src/e.js"), "MAGIC", true)
        .unwrap();
    assert_eq!(both.loaded, None);
    assert_eq!(
        both.transformed.unwrap().map(|o| o.code).as_deref(),
        Some("magic")
    );
    assert_eq!(host.round_trips(), before + 1);
}

/// The `.sfc` plugin below answers like `@vitejs/plugin-vue`: a file's transform imports its
/// style block as a query sub-module (`A.sfc?sfc&type=style&lang.css`), which the plugin
/// resolves to itself, loads (numbered, so a second run shows) and transforms.
const SFC: &str = r#"
let loads = 0
export default {
  plugins: [{
    name: 'sfc',
    resolveId: { filter: { id: /\?sfc/ }, handler: (id) => id },
    load: {
      filter: { id: /\?sfc/ },
      handler(id) {
        if (id.includes('/bad.sfc')) throw new Error('no style block')
        return `/* block ${++loads} */`
      },
    },
    transform: {
      filter: { id: /\.sfc($|\?)/ },
      handler(code, id) {
        if (!id.includes('?')) return `import ${JSON.stringify(id + '?sfc&type=style&lang.css')}\nexport default ${JSON.stringify(code)}`
        return code + ' /* styled */'
      },
    },
  }],
}
"#;

#[test]
fn a_modules_own_sub_modules_come_loaded_and_transformed_with_its_resolve_ids() {
    let p = Project::new(&[("vite.config.mjs", SFC)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let env = PluginEnv::Client;
    let text = "<style>a {}</style>";
    let a = p.path("src/A.sfc");
    let style = format!("{a}?sfc&type=style&lang.css");
    let other = format!("{}?sfc&type=style&lang.css", p.path("src/B.sfc"));
    let code = |answer: &hotloop_protocol::plugin::LoadTransform| {
        (
            answer.loaded.as_ref().map(|o| o.code.clone()),
            answer.transformed.clone().map(|t| t.map(|o| o.code)),
        )
    };

    host.transform_in(env, &a, text)
        .unwrap()
        .expect("transformed");
    let before = host.round_trips();
    let answers = host.resolve_ids_in(env, &[&style, &other], Some(&a));
    let ids: Vec<_> = answers
        .iter()
        .map(|r| r.clone().unwrap().map(|r| r.id))
        .collect();
    assert_eq!(ids, [Some(style.clone()), Some(other.clone())]);
    let preloaded = host.load_and_transform_in(env, &style, text, true).unwrap();
    assert_eq!(
        host.round_trips(),
        before + 1,
        "the sub-module's load and transform came with the resolveIds answer"
    );
    assert_eq!(
        code(&preloaded),
        (
            Some("/* block 1 */".to_string()),
            Ok(Some("/* block 1 */ /* styled */".to_string()))
        )
    );
    // Taken once: asked again, the host runs the hooks again (the load's second run).
    let asked = host.load_and_transform_in(env, &style, text, true).unwrap();
    assert_eq!(host.round_trips(), before + 2);
    assert_eq!(
        code(&asked),
        (
            Some("/* block 2 */".to_string()),
            Ok(Some("/* block 2 */ /* styled */".to_string()))
        ),
        "the same answer as the preloaded one, but for the load's count"
    );
    // Another file's sub-module is not the importer's: asked for.
    host.load_and_transform_in(env, &other, text, true).unwrap();
    assert_eq!(host.round_trips(), before + 3);

    // Only for the text it was made from, and not across a change of files.
    let uses_a_round_trip = |edit: &dyn Fn(), asked_text: &str| {
        host.transform_in(env, &a, text).unwrap();
        host.resolve_ids_in(env, &[&style], Some(&a));
        edit();
        let before = host.round_trips();
        host.load_and_transform_in(env, &style, asked_text, true)
            .unwrap();
        host.round_trips() == before + 1
    };
    assert!(!uses_a_round_trip(&|| {}, text));
    assert!(uses_a_round_trip(&|| {}, "<style>b {}</style>"));
    assert!(uses_a_round_trip(
        &|| host.files_changed(&FileChanges {
            changed: vec![a.clone()],
            ..Default::default()
        }),
        text
    ));
    // ...and only when the importer's own transform ran here (not for a compile the engine
    // found in its cache): resolving alone asks for nothing more.
    host.resolve_ids_in(env, &[&style], Some(&a));
    let before = host.round_trips();
    host.load_and_transform_in(env, &style, text, true).unwrap();
    assert_eq!(host.round_trips(), before + 1);

    // A `load` hook's error comes back as the request's would have.
    let bad = p.path("src/bad.sfc");
    let bad_style = format!("{bad}?sfc&type=style&lang.css");
    host.transform_in(env, &bad, text).unwrap();
    host.resolve_ids_in(env, &[&bad_style], Some(&bad));
    let before = host.round_trips();
    let preloaded = host
        .load_and_transform_in(env, &bad_style, text, true)
        .unwrap_err();
    assert_eq!(host.round_trips(), before);
    let asked = host
        .load_and_transform_in(env, &bad_style, text, true)
        .unwrap_err();
    assert_eq!(host.round_trips(), before + 1);
    assert_eq!(preloaded, asked);
    assert_eq!(
        (preloaded.plugin.as_str(), preloaded.hook.as_str()),
        ("sfc", "load")
    );
}

#[test]
fn many_requests_in_flight_from_threads() {
    let config = r#"
export default { plugins: [{
  name: 'slow-echo',
  async transform(code, id) {
    console.log('transforming', id) // goes to stderr, not into the frames on stdout
    await new Promise((r) => setTimeout(r, Number(code) % 7))
    const resolved = await this.resolve('./dep.js', id)
    return code + ':' + id.split('/').pop() + ':' + (resolved ? 'dep' : 'none')
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("src/dep.js", "")]);
    // With workers from the 16th file on: their `this.resolve` goes through the main thread.
    let mut o = options(&p, "vite.config.mjs");
    o.workers = hotloop_plugin_host::Workers {
        count: 2,
        after: 16,
    };
    let (host, _) = start_with(&p, "vite.config.mjs", o);
    let host = &host;
    let p = &p;
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || {
                for i in 0..25 {
                    let n = t * 100 + i;
                    let id = p.path(&format!("src/m{n}.js"));
                    let out = host.transform(&id, &n.to_string()).unwrap().unwrap();
                    assert_eq!(out.code, format!("{n}:m{n}.js:dep"));
                }
            });
        }
    });
}

#[test]
fn a_killed_host_is_restarted_by_the_next_request_with_its_config() {
    let p = Project::new(&[("vite.config.mjs", VIRTUAL)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    let pid = host.pid().unwrap();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    let HostEvent::Crashed { status, .. } =
        wait_event(&events, |e| matches!(e, HostEvent::Crashed { .. }))
    else {
        unreachable!()
    };
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.and_then(|s| s.signal()), Some(libc::SIGKILL));
    // The next request starts a new host, which loads the config again.
    let loaded = host.load("\0virtual:hello").unwrap().expect("served again");
    assert_eq!(loaded.code, r#"export default "hi""#);
    let HostEvent::Restarted { pid: new_pid } =
        wait_event(&events, |e| matches!(e, HostEvent::Restarted { .. }))
    else {
        unreachable!()
    };
    assert_ne!(new_pid, pid);
    assert_eq!(host.pid(), Some(new_pid));
}

#[test]
fn a_crash_reports_the_stderr_tail() {
    let config = r#"
export default { plugins: [{ name: 'crasher', load(id) {
  if (id === '/crash') { console.error('last words'); process.exit(3) }
} }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    let e = host.load("/crash").unwrap_err();
    assert_eq!(e.plugin, "", "the host's own failure");
    assert!(
        e.message
            .starts_with("the plugin host (Node.js) exited with code 3; ")
            && e.message.ends_with("(its last output: last words)"),
        "how it ended, then what it said last: {e}"
    );
    let HostEvent::Crashed {
        stderr_tail,
        status,
    } = wait_event(&events, |e| matches!(e, HostEvent::Crashed { .. }))
    else {
        unreachable!()
    };
    assert!(stderr_tail.contains("last words"), "{stderr_tail}");
    assert_eq!(status.and_then(|s| s.code()), Some(3));
    assert_eq!(host.load("/fine").unwrap(), None, "restarted");
}

#[test]
fn a_hung_hook_times_out_and_the_host_is_restarted() {
    let config = r#"
export default { plugins: [{ name: 'hangs', transform(code, id) {
  if (id.includes('hang')) return new Promise(() => {})
  return code + '!'
} }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let mut o = options(&p, "vite.config.mjs");
    o.timeout = Duration::from_millis(1500);
    let (host, _) = start_with(&p, "vite.config.mjs", o);
    let events = host.events();
    let pid = host.pid().unwrap();
    let e = host.transform(&p.path("hang.js"), "x").unwrap_err();
    assert!(e.message.contains("no answer after 1.5 s"), "{e}");
    let HostEvent::TimedOut { method, id } =
        wait_event(&events, |e| matches!(e, HostEvent::TimedOut { .. }))
    else {
        unreachable!()
    };
    assert_eq!(method, "transform");
    assert_eq!(id, Some(p.path("hang.js")));
    wait_event(&events, |e| matches!(e, HostEvent::Restarted { .. }));
    wait_gone(pid);
    assert_eq!(
        host.transform(&p.path("ok.js"), "x").unwrap().unwrap().code,
        "x!"
    );
}

#[test]
fn stopping_the_host_ends_a_request_in_flight_at_once_and_starts_no_child_again() {
    // A plugin that works for a minute (a long Sass rebuild): Ctrl-C must not wait for it.
    let config = r#"
export default { plugins: [{ name: 'slow', transform(code, id) {
  if (id.includes('slow')) {
    this.info('working on it')
    return new Promise((done) => setTimeout(() => done(code + '!'), 60000))
  }
  return code + '!'
} }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let mut o = options(&p, "vite.config.mjs");
    o.timeout = Duration::from_secs(120);
    let (host, _) = start_with(&p, "vite.config.mjs", o);
    let host = std::sync::Arc::new(host);
    let pid = host.pid().unwrap();
    let events = host.events();
    let (done_tx, done) = crossbeam_channel::bounded(1);
    let asking = host.clone();
    let slow = p.path("slow.js");
    std::thread::spawn(move || {
        let _ = done_tx.send(asking.transform(&slow, "x"));
    });
    // The plugin has the request before the stop.
    wait_event(
        &events,
        |e| matches!(e, HostEvent::Log { message, .. } if message.contains("working on it")),
    );
    host.stop();
    let answer = done
        .recv_timeout(Duration::from_secs(10))
        .expect("the request ended with the stop, not with the plugin");
    let e = answer.unwrap_err();
    assert!(e.message.contains("shutting down"), "{e}");
    wait_gone(pid);
    let e = host.transform(&p.path("ok.js"), "x").unwrap_err();
    assert!(e.message.contains("shutting down"), "{e}");
    assert_eq!(host.pid(), None, "no child started again");
}

#[test]
fn dropping_the_host_leaves_no_process() {
    let p = Project::new(&[("vite.config.mjs", VIRTUAL)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let pid = host.pid().unwrap();
    assert!(support::running(pid));
    drop(host);
    wait_gone(pid);
}

#[test]
fn unsupported_plugin_apis_warn_naming_plugin_and_hook_and_custom_events_arrive() {
    let config = r#"
export default { plugins: [{
  name: 'needy',
  configureServer(server) {
    server.ws.send('my:event', { n: 1 })
    server.ws.on('ask', (data, client) => client.send('answer', { got: data.q }))
    server.middlewares.use((req, res, next) => next())
    server.printUrlsEverywhere?.()
  },
  transform(code) { this.emitFile({ type: 'asset', source: '' }); return code + ';' },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    let events = host.events();
    let m = c.middlewares.as_ref().expect("a middleware");
    assert_eq!((m.pre.len(), m.pre[0].plugin.as_str()), (1, "needy"));
    // Sent during `configureServer`, answered before `load_config` returned: queued in order.
    assert_eq!(
        host.take_custom_events(),
        [custom("my:event", r#"{"n":1}"#, None)]
    );
    assert!(host.take_custom_events().is_empty(), "taken once");
    wait_event(&events, |e| {
        matches!(e, HostEvent::Warning { plugin, hook, message }
            if plugin == "needy" && hook == "configureServer" && message.contains("server.printUrlsEverywhere"))
    });
    // A page's `import.meta.hot.send`: the `server.ws.on` listener answers that page alone.
    host.client_event(ClientId(3), "ask", r#"{"q":"hi"}"#);
    // (A wake-up of `my:event` may still be in the channel: wait until one brings these.)
    let answered = loop {
        let taken = host.take_custom_events();
        if !taken.is_empty() {
            break taken;
        }
        wait_event(&events, |e| matches!(e, HostEvent::CustomEventsWaiting));
    };
    assert_eq!(
        answered,
        [custom("answer", r#"{"got":"hi"}"#, Some(ClientId(3)))]
    );
    host.transform(&p.path("a.js"), "x").unwrap();
    wait_event(&events, |e| {
        matches!(e, HostEvent::Warning { plugin, hook, message }
            if plugin == "needy" && hook == "transform" && message.contains("emitFile"))
    });
}

/// `config.createResolver()`'s resolvers answer as Vite's: the config's aliases alone when
/// asked with `aliasOnly` (@tailwindcss/vite's first question, for a stylesheet's `@import`),
/// else the aliases, then hotloop's resolver, as a stylesheet's `@import` for Vite's CSS
/// resolver options and as the page for the config's own, with no warning; options hotloop
/// does not follow are Vite's own resolver's (`css::a_components_sass_compiled_first_...`), or,
/// with no `vite` installed (as here), warn, naming them.
#[test]
fn config_create_resolver_answers_as_vites_and_warns_only_of_options_it_does_not_follow() {
    let config = r#"
let config
export default {
  resolve: { alias: [{ find: '@', replacement: '/app/src' }, { find: /^~(.*)$/, replacement: '/app/lib/$1' }] },
  plugins: [{
    name: 'styles',
    configResolved(c) { config = c },
    async transform(code, id) {
      if (id.endsWith('a.css')) {
        const css = config.createResolver({ ...config.resolve, extensions: ['.css'], mainFields: ['style'], conditions: ['style', 'development|production'], tryIndex: false, preferRelative: true })
        const js = config.createResolver(config.resolve)
        const found = [
          ...await Promise.all(['@/theme.css', '~reset.css', 'tailwindcss'].map((s) => css(s, id, true))),
          await css('tailwindcss', id, false),
          await js('./other.js', id, false),
        ]
        this.emitFile({ type: 'asset', source: '' })
        return JSON.stringify(found.map((f) => f ?? null))
      }
      if (id.endsWith('b.css')) { await config.createResolver({ asSrc: false })('./other.js', id); return 'resolved' }
    },
  }],
}
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("src/other.js", "")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    let out = host
        .transform(&p.path("src/a.css"), "x")
        .unwrap()
        .expect("transformed");
    // (The test's stand-in for hotloop's resolver joins the path as written.)
    let other = p.path("src/./other.js");
    assert_eq!(
        out.code,
        format!(r#"["/app/src/theme.css","/app/lib/reset.css",null,"css:tailwindcss","{other}"]"#)
    );
    // The plugin's next warning (`emitFile`) comes with no warning of the resolvers before it.
    let resolver_warned = std::cell::Cell::new(false);
    wait_event(&events, |e| {
        let HostEvent::Warning { message, .. } = e else {
            return false;
        };
        if message.contains("createResolver") {
            resolver_warned.set(true);
        }
        message.contains("emitFile")
    });
    assert!(!resolver_warned.get(), "every option there is followed");
    host.transform(&p.path("src/b.css"), "x").unwrap();
    wait_event(&events, |e| {
        matches!(e, HostEvent::Warning { plugin, message, .. }
            if plugin == "styles" && message.contains("without the options asSrc"))
    });
}

#[test]
fn transform_index_html_injects_tags_and_hot_update_narrows_modules() {
    let config = r#"
export default { plugins: [{
  name: 'html',
  transformIndexHtml: { order: 'pre', handler: (html) => ({ html: html.replace('Title', 'Changed'), tags: [{ tag: 'script', attrs: { src: '/x.js', type: 'module' }, injectTo: 'body' }] }) },
  handleHotUpdate({ file, modules }) {
    if (file.endsWith('.special')) return modules.filter((m) => m.url.includes('type=style'))
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let html = host
        .transform_index_html(
            "/",
            &p.path("index.html"),
            "<html><head><title>Title</title></head><body></body></html>",
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        html,
        "<html><head><title>Changed</title></head><body><script src=\"/x.js\" type=\"module\"></script>\n</body></html>"
    );
    let file = p.path("a.special");
    let style = format!("{file}?type=style&index=0");
    assert_eq!(
        host.hot_update(&file, &[file.clone(), style.clone()], &[], None)
            .unwrap(),
        Some(vec![style])
    );
    assert_eq!(
        host.hot_update(&p.path("b.js"), &[p.path("b.js")], &[], None)
            .unwrap(),
        None
    );
}

/// A module a plugin's hot update marks self-accepting (analog's `markModuleSelfAccepting`:
/// the page takes the change from the plugin's custom event) is left out of the answer, as
/// Vite's client does nothing for it; the others stay.
#[test]
fn a_module_the_answer_marks_self_accepting_is_left_out_of_it() {
    let config = r#"
export default { plugins: [{
  name: 'components',
  handleHotUpdate(ctx) {
    if (!ctx.file.endsWith('.component.js')) return;
    for (const m of ctx.modules) if (m.id.endsWith('.component.js')) m.isSelfAccepting = true;
    return ctx.modules;
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let file = p.path("a.component.js");
    let style = format!("{file}?style");
    assert_eq!(
        host.hot_update(&file, &[file.clone(), style.clone()], &[], None)
            .unwrap(),
        Some(vec![style])
    );
    assert_eq!(
        host.hot_update(&file, std::slice::from_ref(&file), &[], None)
            .unwrap(),
        Some(vec![]),
        "all of them marked: an empty answer (handled)"
    );
}

/// Vite transforms nothing of a file whose hot update threw (plugin-vue's `handleHotUpdate`
/// compiles the `<script>`): the transform of that text answers the hot update's error without
/// running the plugins, which keep what they saw last; the next text runs them again.
#[test]
fn the_text_whose_hot_update_threw_is_not_transformed_and_answers_that_error() {
    let config = r#"
let seen = [];
export default { plugins: [{
  name: 'sfc',
  async handleHotUpdate({ read }) {
    const text = await read();
    if (text.includes('BROKEN')) throw Object.assign(new Error('Unexpected token'), { loc: { line: 2, column: 3 } });
  },
  transform(code, id) {
    if (!id.endsWith('.sfc')) return;
    seen.push(code.trim());
    return `export default ${JSON.stringify(seen)}`;
  },
  // A block of the file as a query sub-module, read from the file (unplugin-vue-router's
  // `?definePage`).
  load(id) {
    if (id.endsWith('.sfc?block')) return `export default ${JSON.stringify(fs.readFileSync(id.slice(0, -6), 'utf8'))}`;
  },
}] }
"#;
    let config = format!("import fs from 'node:fs';\n{config}");
    let config = config.as_str();
    let p = Project::new(&[("vite.config.mjs", config), ("a.sfc", "good\n")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let file = p.path("a.sfc");
    let seen = |code: &str| host.transform(&file, code).unwrap().unwrap().code;
    assert_eq!(seen("good\n"), r#"export default ["good"]"#);

    std::fs::write(p.root().join("a.sfc"), "x\nBROKEN\n").unwrap();
    let error = host
        .hot_update(&file, std::slice::from_ref(&file), &[], None)
        .unwrap_err();
    // (Said as the transform's: what compiling the text found.)
    assert_eq!(
        (error.plugin.as_str(), error.hook.as_str()),
        ("sfc", "transform")
    );
    let again = host.transform(&file, "x\nBROKEN\n").unwrap_err();
    // So do the file's query sub-modules of that text: their `load` is not run.
    let block = format!("{file}?block");
    let of_block = host
        .load_and_transform_in(PluginEnv::Client, &block, "x\nBROKEN\n", true)
        .expect_err("the hot update's error");
    assert_eq!(of_block.message, error.message);
    assert_eq!(
        (again.plugin, again.hook, again.message, again.loc),
        (error.plugin, error.hook, error.message, error.loc)
    );
    // Another text (a reload with something else on disk) is the plugins' again.
    assert_eq!(seen("other\n"), r#"export default ["good","other"]"#);

    // The fix: its hot update succeeds, and its transform runs the plugins.
    std::fs::write(p.root().join("a.sfc"), "fixed\n").unwrap();
    assert_eq!(
        host.hot_update(&file, std::slice::from_ref(&file), &[], None)
            .unwrap(),
        None
    );
    assert_eq!(
        seen("fixed\n"),
        r#"export default ["good","other","fixed"]"#
    );
    // ... and the broken text, should it come back without a hot update, too.
    assert_eq!(
        seen("x\nBROKEN\n"),
        r#"export default ["good","other","fixed","x\nBROKEN"]"#
    );
}

#[test]
fn a_hot_update_can_transform_request_a_module_through_load_and_every_transform() {
    // vite-plugin-svelte's shape: the hot update re-transforms the component (which refreshes
    // the CSS its style sub-module loads) through `this.environment.transformRequest`, then
    // narrows the update to the modules whose output changed.
    let config = r#"
let css = 'old';
export default { plugins: [
  {
    name: 'comp',
    load(id) { if (id.endsWith('?type=style')) return `.c{color:${css}}`; },
    transform(code, id) {
      if (id.endsWith('.comp')) { css = code.trim(); return 'export default 1'; }
    },
  },
  {
    name: 'narrow',
    async hotUpdate({ file, modules }) {
      const comp = await this.environment.transformRequest(file);
      const style = await this.environment.transformRequest(modules[1].url);
      if (comp.code !== 'export default 1' || style.code !== '.c{color:' + css + '}') throw new Error(JSON.stringify([comp, style]));
      return [modules[1]];
    },
  },
] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("a.comp", "blue\n")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let file = p.path("a.comp");
    let style = format!("{file}?type=style");
    assert_eq!(
        host.hot_update(&file, &[file.clone(), style.clone()], &[], None)
            .unwrap(),
        Some(vec![style.clone()])
    );
    // The plugin's cache saw the file's new text: the style module loads it.
    assert_eq!(host.load(&style).unwrap().unwrap().code, ".c{color:blue}");
}

/// The error of loading the config `file` of `p` (its text as written, an ES module) in a new
/// host, and the config's path.
fn config_error(p: &Project, file: &str) -> (std::path::PathBuf, PluginError) {
    let host = PluginHost::start(options(p, file)).unwrap();
    let path = p.root().join(file);
    let err = host
        .load_config(ConfigInput {
            path: path.clone(),
            code: std::fs::read_to_string(&path).unwrap(),
            mode: None,
            ..Default::default()
        })
        .unwrap_err();
    match err {
        HostError::Config(e) => (path, e),
        err => panic!("{err}"),
    }
}

#[test]
fn a_config_that_throws_names_the_config_file() {
    let p = Project::new(&[("vite.config.mjs", "throw new Error('bad config')\n")]);
    let (path, e) = config_error(&p, "vite.config.mjs");
    assert_eq!(e.id.as_deref(), Some(path.to_str().unwrap()));
    assert!(e.message.contains("bad config"), "{e}");
    // The temporary copy next to the config was removed.
    let left: Vec<_> = std::fs::read_dir(p.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["vite.config.mjs"]);
}

#[test]
fn a_config_importing_a_package_not_installed_names_the_config_and_what_to_do() {
    let p = Project::new(&[(
        "vite.config.mjs",
        "import plugin from 'not-installed-plugin';\nexport default { plugins: [plugin()] }\n",
    )]);
    let (path, e) = config_error(&p, "vite.config.mjs");
    // Imported from the config as the user knows it, not the copy the host imported.
    assert!(
        e.message
            .contains(&format!("imported from {}", path.display())),
        "{e}"
    );
    assert!(!e.message.contains("timestamp-"), "{e}");
    assert!(
        e.message
            .contains("install it in the project (npm install -D not-installed-plugin)"),
        "{e}"
    );
}

#[test]
fn a_missing_or_old_node_is_one_error_naming_the_config() {
    let p = Project::new(&[
        ("vite.config.mjs", "export default {}\n"),
        ("old-node", "#!/bin/sh\necho v18.19.0\n"),
    ]);
    let mut o = options(&p, "vite.config.mjs");
    o.node = Some(p.root().join("no-such-node"));
    let err = PluginHost::start(o).err().expect("fails");
    assert!(matches!(err, HostError::NodeMissing { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&p.path("vite.config.mjs")), "{msg}");
    assert!(msg.contains("install Node.js 20+"), "{msg}");

    let old = p.root().join("old-node");
    std::fs::set_permissions(&old, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut o = options(&p, "vite.config.mjs");
    o.node = Some(old);
    // Node is asked for its version only once the host failed: at the config's load.
    let err = start_and_load_error(o, &p);
    assert!(matches!(err, HostError::NodeTooOld { .. }), "{err}");
    assert!(err.to_string().contains("is v18.19.0"), "{err}");

    // A Node that refuses to run (what Node 20 says of a flag in NODE_OPTIONS it does not
    // know): its words, not "unknown".
    let refusing = p.root().join("refusing-node");
    std::fs::write(
        &refusing,
        "#!/bin/sh\necho 'node: --no-such-flag is not allowed in NODE_OPTIONS' >&2\nexit 9\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &refusing,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut o = options(&p, "vite.config.mjs");
    o.node = Some(refusing);
    let err = start_and_load_error(o, &p);
    assert!(matches!(err, HostError::NodeFailed { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("--no-such-flag is not allowed in NODE_OPTIONS")
            && msg.contains(&p.path("vite.config.mjs"))
            && !msg.contains("unknown"),
        "{msg}"
    );
}

/// The error of `PluginHost::start`, then of its config's load: where a Node that runs but
/// is unfit fails.
fn start_and_load_error(o: HostOptions, p: &Project) -> HostError {
    let host = match PluginHost::start(o) {
        Ok(host) => host,
        Err(e) => return e,
    };
    let path = p.root().join("vite.config.mjs");
    host.load_config(ConfigInput {
        path: path.clone(),
        code: std::fs::read_to_string(&path).unwrap(),
        mode: None,
        ..Default::default()
    })
    .expect_err("fails")
}

#[test]
fn the_fingerprint_follows_the_config_and_survives_a_new_host() {
    let p = Project::new(&[("vite.config.mjs", VIRTUAL)]);
    let (a, _) = start(&p, "vite.config.mjs");
    let (b, _) = start(&p, "vite.config.mjs");
    assert_ne!(a.fingerprint(), 0);
    assert_eq!(
        a.fingerprint(),
        b.fingerprint(),
        "same config, same fingerprint"
    );
    p.write("vite.config.mjs", &VIRTUAL.replace("\"hi\"", "\"ho\""));
    let (c, _) = start(&p, "vite.config.mjs");
    assert_ne!(a.fingerprint(), c.fingerprint());
    // A tsconfig beside the config: the plugins' TS step compiles by it.
    p.write(
        "tsconfig.app.json",
        r#"{ "compilerOptions": { "verbatimModuleSyntax": true } }"#,
    );
    let (d, _) = start(&p, "vite.config.mjs");
    assert_ne!(c.fingerprint(), d.fingerprint());
    // Evaluated again in the same host, as an edit of a tsconfig makes it (`change.rs`).
    let before = d.fingerprint();
    p.write(
        "tsconfig.app.json",
        r#"{ "compilerOptions": { "verbatimModuleSyntax": false } }"#,
    );
    let path = p.root().join("vite.config.mjs");
    let code = std::fs::read_to_string(&path).unwrap();
    d.load_config(ConfigInput {
        path,
        code,
        ..Default::default()
    })
    .unwrap();
    assert_ne!(before, d.fingerprint());
    // An env file the mode reads, evaluated again as its edit makes it (sweep 16: a plugin
    // that inlines `config.env.VITE_TITLE` served the old title after a `.env` edit's reload).
    let reload = |host: &PluginHost| {
        let path = p.root().join("vite.config.mjs");
        let code = std::fs::read_to_string(&path).unwrap();
        host.load_config(ConfigInput {
            path,
            code,
            ..Default::default()
        })
        .unwrap();
        host.fingerprint()
    };
    let before = reload(&d);
    p.write(".env", "VITE_TITLE=one\n");
    let one = reload(&d);
    assert_ne!(before, one, "a .env file appeared");
    p.write(".env.development.local", "VITE_TITLE=two\n");
    let two = reload(&d);
    assert_ne!(one, two, "the mode's local env file");
    p.write(".env.production", "VITE_TITLE=three\n");
    assert_eq!(two, reload(&d), "another mode's env file is not read");
}

#[test]
fn the_mode_flag_wins_over_the_configs_mode() {
    let config = "export default ({ mode }) => ({ mode: 'from-config', define: { __SEEN__: JSON.stringify(mode) }, plugins: [{ name: 'm', config: (c, env) => ({ define: { __HOOK__: JSON.stringify(env.mode) } }) }] })\n";
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (_h, c) = start(&p, "vite.config.mjs");
    assert_eq!(c.mode, "from-config");
    assert_eq!(c.define["__SEEN__"], "\"development\"");
    assert_eq!(c.define["__HOOK__"], "\"from-config\"");

    let host = PluginHost::start(options(&p, "vite.config.mjs")).unwrap();
    let path = p.root().join("vite.config.mjs");
    let c = host
        .load_config(ConfigInput {
            path,
            code: config.to_string(),
            mode: Some("staging".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(c.mode, "staging");
    assert_eq!(c.define["__SEEN__"], "\"staging\"");
    assert_eq!(c.define["__HOOK__"], "\"staging\"");
}

/// One HTTP/1.1 request to the host's middleware port; the whole answer as text.
fn http(port: u16, token: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = request.replace("\r\n\r\n", &format!("\r\nx-hotloop-token: {token}\r\n\r\n"));
    tcp.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).expect("the host answers");
    out
}

#[test]
fn middlewares_run_on_a_loopback_port_pre_and_post_and_a_send_from_one_wakes_the_engine() {
    let config = r#"
export default { plugins: [{
  name: 'api',
  configureServer(server) {
    server.middlewares.use('/api/', (req, res, next) => {
      if (req.url === '/pass') return next()
      server.ws.send('api:called', { url: req.url })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, original: req.originalUrl }))
    })
    return () => server.middlewares.use((req, res) => res.end('post ' + req.url))
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    let events = host.events();
    let routes = c.middlewares.clone().expect("middlewares");
    assert_eq!(
        (routes.pre[0].route.as_str(), routes.post[0].route.as_str()),
        ("/api", "")
    );
    let m = host.middlewares().expect("running");
    assert_eq!(
        (m.pre.clone(), m.post.clone()),
        (vec!["/api".to_string()], vec![String::new()])
    );
    assert!(m.pre_takes("/api/x") && !m.pre_takes("/src/main.ts") && m.post_takes("/x"));
    // Nobody but hotloop gets an answer from the port.
    let stranger = http(
        m.port,
        "wrong",
        "GET /api/users HTTP/1.1\r\nhost: localhost\r\nx-hotloop-middleware: pre\r\nconnection: close\r\n\r\n",
    );
    assert!(stranger.starts_with("HTTP/1.1 403"), "{stranger}");

    let answer = http(
        m.port,
        &m.token,
        "GET /api/users?id=1 HTTP/1.1\r\nhost: localhost\r\nx-hotloop-middleware: pre\r\nconnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with(r#"{"url":"/users?id=1","original":"/api/users?id=1"}"#),
        "{answer}"
    );
    // Sent from a handler, outside any hook hotloop asked for: the engine is woken for it.
    wait_event(&events, |e| matches!(e, HostEvent::CustomEventsWaiting));
    assert_eq!(
        host.take_custom_events(),
        [custom("api:called", r#"{"url":"/users?id=1"}"#, None)]
    );

    let passed = http(
        m.port,
        &m.token,
        "GET /api/pass HTTP/1.1\r\nhost: localhost\r\nx-hotloop-middleware: pre\r\nconnection: close\r\n\r\n",
    );
    assert!(passed.starts_with("HTTP/1.1 404"), "{passed}");
    assert!(
        passed.to_ascii_lowercase().contains("x-hotloop-next:"),
        "{passed}"
    );
    let post = http(
        m.port,
        &m.token,
        "GET /nothing/here HTTP/1.1\r\nhost: localhost\r\nx-hotloop-middleware: post\r\nconnection: close\r\n\r\n",
    );
    assert!(post.ends_with("post /nothing/here"), "{post}");

    // The handlers' port is not part of the fingerprint; the handlers are.
    let pid = host.pid().unwrap();
    let fingerprint = host.fingerprint();
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_event(&events, |e| matches!(e, HostEvent::Crashed { .. }));
    assert_eq!(host.middlewares(), None, "none while the host is down");
    // No hook call restarts it (no hook wants `a.js`): the binary calls this on a crash.
    assert_eq!(host.transform(&p.path("a.js"), "x").unwrap(), None);
    assert_eq!(host.middlewares(), None);
    host.ensure_running().unwrap();
    let again = host.middlewares().expect("running again");
    assert_eq!(host.fingerprint(), fingerprint);
    let answer = http(
        again.port,
        &again.token,
        "GET /api/again HTTP/1.1\r\nhost: localhost\r\nx-hotloop-middleware: pre\r\nconnection: close\r\n\r\n",
    );
    assert!(answer.contains(r#""url":"/again""#), "{answer}");
}

#[test]
fn apply_to_environment_is_asked_for_the_client_and_the_ssr_environment_and_a_plugin_for_neither_is_skipped_with_a_warning()
 {
    use hotloop_protocol::plugin::PluginEnv;
    // `ssr-only` transforms `.md` files only (a filter): in the ssr list its index differs
    // from any client plugin's, so the filters Rust evaluates must be the ssr list's.
    let config = r#"
const mark = (name, filter) => ({ name, transform: { filter, handler: (code) => code + ' ' + name } })
export default { plugins: [
  { ...mark('client-only'), applyToEnvironment: (env) => env.name === 'client' && env.config.consumer === 'client' },
  { ...mark('ssr-only', { id: /\.md$/ }), applyToEnvironment: (env) => env.name === 'ssr' && env.config.consumer === 'server' },
  { name: 'swapper', applyToEnvironment: (env) => mark('swapped-in for ' + env.name) },
  { ...mark('build-only'), applyToEnvironment: (env) => env.name === 'build' },
], environments: { build: {} } }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    let events = host.events();
    let names = |list: &[hotloop_plugin_host::PluginInfo]| -> Vec<String> {
        list.iter().map(|p| p.name.clone()).collect()
    };
    assert_eq!(
        names(&c.plugins),
        ["hotloop:css", "client-only", "swapped-in for client"]
    );
    assert_eq!(
        names(&c.ssr_plugins),
        ["hotloop:css", "ssr-only", "swapped-in for ssr"]
    );
    let client = |id: &str| {
        host.transform(&p.path(id), "x")
            .unwrap()
            .expect("changed")
            .code
    };
    let ssr = |id: &str| {
        host.transform_in(PluginEnv::Ssr, &p.path(id), "x")
            .unwrap()
            .expect("changed")
            .code
    };
    assert_eq!(client("a.md"), "x client-only swapped-in for client");
    assert_eq!(ssr("a.md"), "x ssr-only swapped-in for ssr");
    // The ssr-only plugin's filter, evaluated in Rust on the ssr list, skips `.js`.
    assert_eq!(ssr("a.js"), "x swapped-in for ssr");
    assert!(host.wants_transform_in(PluginEnv::Ssr, &p.path("a.md"), "x"));
    wait_event(&events, |e| {
        matches!(e, HostEvent::Warning { plugin, hook, message }
            if plugin == "build-only" && hook == "applyToEnvironment"
                && message.contains("neither the client nor the ssr environment")
                && message.contains("not build"))
    });
    let warned: Vec<_> = events
        .try_iter()
        .filter_map(|e| match e {
            HostEvent::Warning { plugin, hook, .. } if hook == "applyToEnvironment" => Some(plugin),
            _ => None,
        })
        .collect();
    assert!(
        warned.is_empty(),
        "only the plugin neither environment runs warns: {warned:?}"
    );
}

/// A plugin that turns itself off for both environments (vite-plugin-svelte-inspector unless
/// enabled) in a config with no other environment is no news: no warning.
#[test]
fn a_plugin_off_in_both_environments_of_a_config_without_others_warns_nothing() {
    let config = r#"
export default { plugins: [{ name: 'inspector-off', applyToEnvironment: () => false, transform: (c) => c }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    assert!(!c.plugins.iter().any(|p| p.name == "inspector-off"));
    let warned: Vec<_> = host
        .events()
        .try_iter()
        .filter_map(|e| match e {
            HostEvent::Warning { plugin, hook, .. } if hook == "applyToEnvironment" => Some(plugin),
            _ => None,
        })
        .collect();
    assert!(warned.is_empty(), "{warned:?}");
}

#[test]
fn this_parse_without_the_projects_vite_is_a_clear_error_naming_the_plugin() {
    let config = r#"
export default { plugins: [{ name: 'parser', transform(code) { return JSON.stringify(this.parse(code).type) } }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let e = host.transform(&p.path("a.js"), "x").unwrap_err();
    assert_eq!(
        (e.plugin.as_str(), e.hook.as_str()),
        ("parser", "transform")
    );
    assert!(
        e.message
            .contains("this.parse needs the project's own vite")
            && e.message.contains("npm install -D vite"),
        "{e}"
    );
}

/// The app's server's requests (`PluginEnv::Ssr`) reach the hooks as Vite's `ssr` variant:
/// `{ ssr: true }` in their options and `this.environment.name === 'ssr'` (also inside
/// `this.resolve`); the page's stay `ssr: false` in the `client` environment.
#[test]
fn ssr_requests_reach_the_hooks_as_the_ssr_environment() {
    use hotloop_protocol::plugin::PluginEnv;
    let config = r#"
const where = (ctx, options) => `${options?.ssr === true ? 'ssr' : 'client'}/${ctx.environment.name}`
export default {
  plugins: [{
    name: 'env',
    async resolveId(id, importer, options) {
      if (id === 'virtual:where') return '\0where:' + where(this, options)
      if (id === 'virtual:nested') return (await this.resolve('virtual:where', importer, { skipSelf: false })).id + '+nested'
    },
    load(id, options) { if (id.startsWith('\0where')) return `export default "${where(this, options)}"` },
    transform(code, id, options) {
      if (id.endsWith('.vue')) return `export default "${where(this, options)}: ${code}"`
    },
  }],
}
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let importer = p.path("src/main.js");
    let resolved = |env, id| {
        host.resolve_id_in(env, id, Some(&importer))
            .unwrap()
            .map(|r| r.id)
    };
    assert_eq!(
        resolved(PluginEnv::Client, "virtual:where").as_deref(),
        Some("\0where:client/client")
    );
    assert_eq!(
        resolved(PluginEnv::Ssr, "virtual:where").as_deref(),
        Some("\0where:ssr/ssr")
    );
    assert_eq!(
        resolved(PluginEnv::Ssr, "virtual:nested").as_deref(),
        Some("\0where:ssr/ssr+nested"),
        "this.resolve inside an ssr hook resolves for the server"
    );
    let load = |env| host.load_in(env, "\0where").unwrap().map(|o| o.code);
    assert_eq!(
        load(PluginEnv::Client).as_deref(),
        Some("export default \"client/client\"")
    );
    assert_eq!(
        load(PluginEnv::Ssr).as_deref(),
        Some("export default \"ssr/ssr\"")
    );
    // The plain calls are the page's.
    assert_eq!(
        host.load("\0where").unwrap().map(|o| o.code).as_deref(),
        Some("export default \"client/client\"")
    );
    let vue = p.path("src/App.vue");
    let transform = |env| host.transform_in(env, &vue, "T").unwrap().map(|o| o.code);
    assert_eq!(
        transform(PluginEnv::Client).as_deref(),
        Some("export default \"client/client: T\"")
    );
    assert_eq!(
        transform(PluginEnv::Ssr).as_deref(),
        Some("export default \"ssr/ssr: T\"")
    );
}

/// Each hook says which thread ran it (`threadId`: 0 is the host's main thread).
const THREADS: &str = r#"
import { threadId } from 'node:worker_threads'
export default { plugins: [{
  name: 'where',
  load(id) { if (id.endsWith('?sub')) return 'sub:' + threadId },
  async transform(code, id) {
    if (id.includes('crash')) process.exit(3) // in a worker: ends the worker thread only
    if (id.includes('hang')) return new Promise(() => {})
    const dep = await this.resolve('./dep.js', id) // through the main thread to hotloop
    return code + ':' + threadId + ':' + (dep ? 'dep' : 'none')
  },
  hotUpdate({ file }) { return [{ id: file + '?thread=' + threadId }] },
}] }
"#;

fn thread_of(host: &PluginHost, id: &str) -> u32 {
    let code = host.transform(id, "x").unwrap().expect("transformed").code;
    let parts: Vec<_> = code.split(':').collect();
    assert_eq!((parts[0], parts[2]), ("x", "dep"), "{code}");
    parts[1].parse().expect("a thread id")
}

fn with_workers(
    p: &Project,
    count: usize,
    after: usize,
) -> (PluginHost, crossbeam_channel::Receiver<HostEvent>) {
    let mut o = options(p, "vite.config.mjs");
    o.workers = hotloop_plugin_host::Workers { count, after };
    o.timeout = Duration::from_millis(3000);
    let (host, _) = start_with(p, "vite.config.mjs", o);
    let events = host.events();
    (host, events)
}

#[test]
fn workers_start_after_many_files_and_a_file_its_sub_modules_and_its_hot_update_stay_on_one() {
    let p = Project::new(&[("vite.config.mjs", THREADS), ("src/dep.js", "")]);
    let (host, events) = with_workers(&p, 2, 4);
    // The first files run on the main thread; the fourth starts the workers.
    for i in 0..4 {
        assert_eq!(thread_of(&host, &p.path(&format!("src/f{i}.vue"))), 0);
    }
    let HostEvent::WorkersReady { workers } = support::wait_workers(&events) else {
        unreachable!()
    };
    assert_eq!(workers, 2);
    let mut threads = std::collections::BTreeSet::new();
    for i in 0..40 {
        let file = p.path(&format!("src/g{i}.vue"));
        let t = thread_of(&host, &file);
        assert_ne!(t, 0, "a new file goes to a worker");
        threads.insert(t);
        // Its query sub-module and its hot update run where its plugin state is.
        let sub = host.load(&format!("{file}?sub")).unwrap().expect("loaded");
        assert_eq!(sub.code, format!("sub:{t}"));
        // The same through `loadTransform` (load and transform in one request).
        let both = host
            .load_and_transform_in(PluginEnv::Client, &format!("{file}?sub"), "", true)
            .unwrap();
        assert_eq!(both.loaded.map(|o| o.code), Some(format!("sub:{t}")));
        assert_eq!(
            both.transformed.unwrap().map(|o| o.code),
            Some(format!("sub:{t}:{t}:dep")),
            "both on the file's worker"
        );
        assert_eq!(thread_of(&host, &file), t, "the same file, the same worker");
        let update = host
            .hot_update(&file, std::slice::from_ref(&file), &[], None)
            .unwrap();
        assert_eq!(update, Some(vec![format!("{file}?thread={t}")]));
    }
    assert_eq!(threads.len(), 2, "both workers take files: {threads:?}");
    // A file seen before the workers stays on the main thread, with its state.
    assert_eq!(thread_of(&host, &p.path("src/f0.vue")), 0);
    let f0 = p.path("src/f0.vue");
    assert_eq!(
        host.hot_update(&f0, std::slice::from_ref(&f0), &[], None)
            .unwrap(),
        Some(vec![format!("{f0}?thread=0")])
    );
}

#[test]
fn a_small_project_starts_no_worker() {
    let p = Project::new(&[("vite.config.mjs", THREADS), ("src/dep.js", "")]);
    let (host, events) = with_workers(&p, 2, 64);
    for i in 0..20 {
        assert_eq!(thread_of(&host, &p.path(&format!("src/f{i}.vue"))), 0);
    }
    // No worker was started (a start is announced once the workers are ready).
    assert!(
        events
            .try_iter()
            .all(|e| !matches!(e, HostEvent::WorkersReady { .. }))
    );
}

#[test]
fn a_worker_that_crashes_or_hangs_restarts_the_host_and_leaves_no_process() {
    let p = Project::new(&[("vite.config.mjs", THREADS), ("src/dep.js", "")]);
    let (host, events) = with_workers(&p, 2, 1);
    assert_eq!(thread_of(&host, &p.path("src/a.vue")), 0);
    support::wait_workers(&events);
    let pid = host.pid().unwrap();

    // A worker ends (`process.exit` in a worker thread): the host exits and is restarted.
    let e = host.transform(&p.path("src/crash.vue"), "x").unwrap_err();
    assert!(e.message.contains("exited"), "{e}");
    let HostEvent::Crashed { stderr_tail, .. } =
        wait_event(&events, |e| matches!(e, HostEvent::Crashed { .. }))
    else {
        unreachable!()
    };
    assert!(stderr_tail.contains("a plugin worker"), "{stderr_tail}");
    wait_gone(pid);
    assert_eq!(
        thread_of(&host, &p.path("src/b.vue")),
        0,
        "restarted, config loaded again"
    );
    support::wait_workers(&events);
    let pid = host.pid().unwrap();

    // A worker hangs: the time-out kills the whole host (its threads with it) and restarts it.
    let e = host.transform(&p.path("src/hang.vue"), "x").unwrap_err();
    assert!(e.message.contains("no answer after"), "{e}");
    wait_event(&events, |e| matches!(e, HostEvent::TimedOut { .. }));
    wait_gone(pid);
    assert_eq!(thread_of(&host, &p.path("src/c.vue")), 0);
    let pid = host.pid().unwrap();
    drop(host);
    wait_gone(pid);
}

/// `/@id/<id>`, as Vite's transform middleware answers it: the plugins' `resolveId` from
/// `index.html`, their `load` (or the file) and `transform`; a script or a stylesheet only.
#[test]
fn a_module_by_id_is_resolved_loaded_and_transformed_by_the_plugins() {
    let config = r#"
import path from 'node:path'
const dir = path.dirname(new URL(import.meta.url).pathname)
export default { plugins: [{
  name: 'by-id',
  resolveId(id) {
    if (id.startsWith('virtual:files:')) return path.join(dir, 'files', id.slice('virtual:files:'.length)) + '?from-plugin'
    if (id === 'virtual:options') return '\0virtual:options'
  },
  load(id) {
    if (id === '\0virtual:options') return 'export default { on: true }'
    if (id.endsWith('?from-plugin') && id.includes('.mjs')) return 'window.loaded = "by the plugin"'
  },
  transform(code, id) {
    if (id.includes('.css')) return code.replace('red', 'blue')
  },
}] }
"#;
    let p = Project::new(&[
        ("vite.config.mjs", config),
        ("files/sheet.css", ".a { color: red }\n"),
        ("files/overlay.mjs", "window.loaded = 'from the file'\n"),
        ("files/comp.ts", "export const x: number = 1\n"),
    ]);
    let (host, _) = start(&p, "vite.config.mjs");
    let root = p.root();
    let sheet = host
        .module_by_id(&root, "virtual:files:sheet.css")
        .expect("the sheet");
    assert_eq!(sheet.content_type, "text/css");
    assert_eq!(sheet.code, ".a { color: blue }\n", "the file, transformed");
    assert_eq!(sheet.file, Some(root.join("files/sheet.css")));
    let script = host
        .module_by_id(&root, "virtual:files:overlay.mjs")
        .expect("the script");
    assert_eq!(script.content_type, "text/javascript");
    assert_eq!(script.code, "window.loaded = \"by the plugin\"");
    let options = host
        .module_by_id(&root, "virtual:options")
        .expect("a virtual module");
    assert_eq!(options.code, "export default { on: true }");
    assert_eq!(options.file, None);
    // A file hotloop compiles is named, not answered (a worker asking for it gets its worker
    // script from the dev server); what no plugin knows is not answered.
    let compiled = host
        .module_by_id(&root, "virtual:files:comp.ts")
        .expect("the file");
    assert!(compiled.compiled_file);
    assert_eq!(compiled.code, "");
    assert_eq!(compiled.file, Some(root.join("files/comp.ts")));
    assert_eq!(host.module_by_id(&root, "virtual:unknown"), None);
}

fn custom(event: &str, data: &str, client: Option<ClientId>) -> CustomEvent {
    CustomEvent {
        event: event.to_string(),
        data: data.to_string(),
        client,
    }
}

/// A plugin that updates modules of its own (`server.ws.send({ type: 'update' })`, as UnoCSS
/// does for its CSS): their ids, from the URLs it names, for the engine to compile again.
#[test]
fn a_plugins_own_update_names_the_modules_to_compile_again() {
    let config = r#"
export default { plugins: [{
  name: 'self-updating',
  configureServer(server) {
    setTimeout(() => server.ws.send({ type: 'update', updates: [
      { type: 'js-update', path: '/@id/__x00__virtual:css', acceptedPath: '/@id/__x00__virtual:css' },
      { type: 'css-update', path: '/src/a.css', acceptedPath: '/src/a.css' },
    ] }), 10)
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    wait_event(&events, |e| matches!(e, HostEvent::ModulesInvalidated));
    assert_eq!(
        host.take_invalidated(),
        ["\0virtual:css".to_string(), p.path("src/a.css")]
    );
    assert!(host.take_invalidated().is_empty(), "taken once");
}

/// `server.ws.send({ type: 'full-reload' })` (vite-plugin-full-reload): the pages reload,
/// once, whoever takes the request (an edit's hot update, or the event's handler).
#[test]
fn a_plugins_full_reload_asks_for_one() {
    let config = r#"
export default { plugins: [{
  name: 'reloader',
  configureServer(server) { setTimeout(() => server.ws.send({ type: 'full-reload', path: '*' }), 10) },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    assert!(c.unsupported.is_empty());
    wait_event(&host.events(), |e| matches!(e, HostEvent::ReloadRequested));
    assert!(host.take_reload_requested());
    assert!(!host.take_reload_requested(), "taken once");
}

/// What hotloop's watcher saw reaches the plugins as Vite's does: `server.watcher` events
/// (`add`, `change`, `unlink`, `all`), the `watchChange` hook, and `hotUpdate` with `type`
/// `create` or `delete` for a file that came or went; a listener that reloads a
/// module (`server.reloadModule`, unplugin-vue-router's routes) or marks one stale
/// (`moduleGraph.invalidateModule`, vite-plugin-qwik's segments) names it to compile again.
#[test]
fn plugins_hear_what_the_watcher_saw_and_reload_their_modules() {
    let config = r#"
const heard = [];
export default { plugins: [{
  name: 'listening',
  configureServer(server) {
    server.watcher.on('all', (event, file) => heard.push(`all ${event} ${file.split('/').pop()}`));
    server.watcher.on('add', async (file) => {
      const mod = server.moduleGraph.getModuleById('\0virtual:routes');
      if (mod) await server.reloadModule(mod);
    });
    server.watcher.on('unlink', () => {
      const mod = server.moduleGraph.getModuleById('\0virtual:routes');
      if (mod) server.moduleGraph.invalidateModule(mod);
    });
  },
  watchChange(id, { event }) { heard.push(`hook ${event} ${id.split('/').pop()}`); },
  hotUpdate({ type, file }) { heard.push(`hotUpdate ${type} ${file.split('/').pop()}`); },
  resolveId(id) { return id === 'virtual:routes' ? '\0virtual:routes' : null },
  load(id) { return id === '\0virtual:routes' ? `export default ${JSON.stringify(heard)}` : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    assert!(c.unsupported.is_empty(), "{:?}", c.unsupported);
    let routes = |host: &PluginHost| host.load("\0virtual:routes").unwrap().unwrap().code;
    assert_eq!(routes(&host), "export default []");
    let events = host.events();
    host.files_changed(&FileChanges {
        created: vec![p.path("src/pages/new.vue")],
        ..Default::default()
    });
    wait_event(&events, |e| matches!(e, HostEvent::ModulesInvalidated));
    assert_eq!(host.take_invalidated(), ["\0virtual:routes".to_string()]);
    host.files_changed(&FileChanges {
        changed: vec![p.path("src/main.ts")],
        removed: vec![p.path("src/pages/new.vue")],
        structural: true,
        ..Default::default()
    });
    wait_event(&events, |e| matches!(e, HostEvent::ModulesInvalidated));
    assert_eq!(host.take_invalidated(), ["\0virtual:routes".to_string()]);
    assert_eq!(
        routes(&host),
        r#"export default ["all add new.vue","hook create new.vue","hotUpdate create new.vue","all change main.ts","hook update main.ts","all unlink new.vue","hook delete new.vue","hotUpdate delete new.vue"]"#
    );
}

/// A plugin's own `server.watcher.emit('change', file)` is a change of that file, as Vite's
/// watcher takes it: vite-plugin-svelte tells of the components whose `<style lang="scss">`
/// `@use`s an edited Sass partial so (its preprocessor's dependencies, which it keeps itself).
/// The file's modules are named to compile again; one no module is of names nothing. Their
/// compiles watch the file heard of then.
#[test]
fn a_plugins_own_watcher_change_event_compiles_that_files_modules_again() {
    let config = r#"
export default { plugins: [{
  name: 'dependencies',
  configureServer(server) {
    server.watcher.on('change', (file) => {
      if (file.endsWith('_theme.scss')) {
        server.watcher.emit('change', file.replace('styles/_theme.scss', 'lib/Card.svelte'));
        server.watcher.emit('change', file.replace('styles/_theme.scss', 'lib/Unknown.svelte'));
      }
    });
  },
  load(id) { return id.includes('Card.svelte') ? 'export default 1' : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, c) = start(&p, "vite.config.mjs");
    assert!(c.unsupported.is_empty(), "{:?}", c.unsupported);
    let card = p.path("src/lib/Card.svelte");
    let style = format!("{card}?svelte&type=style&lang.css");
    host.load(&card).unwrap();
    host.load(&style).unwrap();
    let events = host.events();
    host.files_changed(&FileChanges {
        changed: vec![p.path("src/styles/_theme.scss")],
        ..Default::default()
    });
    wait_event(&events, |e| matches!(e, HostEvent::ModulesInvalidated));
    let mut invalidated = host.take_invalidated();
    invalidated.sort();
    assert_eq!(invalidated, [card.clone(), style.clone()]);
    // From then on the file's compiles watch the partial: hotloop compiles them again on its
    // next change itself, also on a save the plugins are not told of.
    let partial = p.path("src/styles/_theme.scss");
    for id in [&card, &style] {
        let out = host.load(id).unwrap().expect("loaded");
        assert_eq!(
            out.watch_files,
            [std::path::PathBuf::from(&partial)],
            "{id}"
        );
    }
}

/// A query sub-module asked for before its file's module was transformed this session (the
/// file's output kept from the last session, or the two compiled in any order): the file's
/// `transform` runs first, with the text the request carries, as under Vite, where the page
/// imports the sub-module from that module's code. vite-plugin-svelte's
/// `App.svelte?svelte&type=style&lang.css` `load` is the CSS its last compile of `App.svelte`
/// left in the module's `meta`; it found none, and the component's own text went on as CSS (a
/// blank page with Tailwind's "Invalid declaration"). Once per file: its next sub-module and
/// the file's own request do not run it again.
#[test]
fn a_query_sub_module_asked_first_has_its_files_transform_run_before_it() {
    let config = r#"
let transforms = 0
export default { plugins: [{
  name: 'components',
  transform: {
    filter: { id: /\.comp$/ },
    handler(code, id) {
      transforms++
      return { code: 'export default 1', meta: { comp: { css: code.split('STYLE:')[1] } } }
    },
  },
  load: {
    filter: { id: /\.comp\?style$/ },
    handler(id) {
      const css = this.getModuleInfo(id.replace(/\?style$/, '')).meta.comp?.css
      return css == null ? null : `${css.trim()} /* after ${transforms} transform(s) */`
    },
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let env = PluginEnv::Client;
    let text = "<p>hi</p>\nSTYLE: .a { color: red }\n";
    let style = p.path("src/Card.comp?style");
    let both = host.load_and_transform_in(env, &style, text, true).unwrap();
    assert_eq!(
        both.loaded.map(|o| o.code).as_deref(),
        Some(".a { color: red } /* after 1 transform(s) */")
    );
    let both = host.load_and_transform_in(env, &style, text, true).unwrap();
    assert_eq!(
        both.loaded.map(|o| o.code).as_deref(),
        Some(".a { color: red } /* after 1 transform(s) */"),
        "once"
    );
}

/// Rollup's `this.load` (vite-plugin-qwik loads the segments it splits off a component): the
/// module's `load` and `transform` chains run, and its info comes back with the code.
#[test]
fn this_load_runs_a_modules_load_and_transform() {
    let config = r#"
export default { plugins: [{
  name: 'splitter',
  resolveId(id) { return id.startsWith('virtual:') ? '\0' + id : null },
  load(id) { return id === '\0virtual:segment' ? 'export const s = 1' : null },
  async transform(code, id) {
    if (id === '\0virtual:segment') return code + ' // transformed';
    if (id.endsWith('main.js')) {
      const info = await this.load({ id: '\0virtual:segment', meta: { from: 'main' } });
      return `${code}\nexport const seg = ${JSON.stringify([info.id, info.code, info.meta.from])}`;
    }
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let out = host
        .transform(&p.path("src/main.js"), "export const m = 1")
        .unwrap()
        .unwrap();
    assert_eq!(
        out.code,
        "export const m = 1\nexport const seg = [\"\\u0000virtual:segment\",\"export const s = 1 // transformed\",\"main\"]"
    );
}

/// Vite's `dev` options are in the config plugins see (vite-plugin-svelte's `vitePreprocess`
/// reads `dev.sourcemap.css` of the resolved config).
#[test]
fn the_resolved_config_has_vites_dev_options() {
    let config = r#"
let seen;
export default { plugins: [{
  name: 'reader',
  configResolved(config) {
    seen = [config.dev.sourcemap.css, config.environments.client.dev.sourcemap.js, config.environments.ssr.dev.moduleRunnerTransform];
  },
  resolveId(id) { return id === 'virtual:seen' ? '\0virtual:seen' : null },
  load(id) { return id === '\0virtual:seen' ? JSON.stringify(seen) : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    assert_eq!(
        host.load("\0virtual:seen").unwrap().unwrap().code,
        "[false,true,true]"
    );
}

/// Vite 8 runs on Rolldown and plugins read its version from `this.meta.rolldownVersion`
/// (vite-plugin-svgr picks `transformWithOxc` by it); without Rolldown installed, none.
#[test]
fn the_plugin_context_names_rolldowns_version_where_it_is_installed() {
    let config = r#"
export default { plugins: [{
  name: 'meta',
  resolveId(id) { if (id === 'virtual:meta') return '\0virtual:meta' },
  load(id) { if (id === '\0virtual:meta') return `export default ${JSON.stringify(this.meta.rolldownVersion ?? null)}` },
}] }
"#;
    let with = Project::new(&[
        ("vite.config.mjs", config),
        (
            "node_modules/rolldown/package.json",
            r#"{ "name": "rolldown", "version": "1.2.3" }"#,
        ),
    ]);
    let (host, _) = start(&with, "vite.config.mjs");
    assert_eq!(
        host.load("\0virtual:meta").unwrap().unwrap().code,
        "export default \"1.2.3\""
    );
    let without = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&without, "vite.config.mjs");
    assert_eq!(
        host.load("\0virtual:meta").unwrap().unwrap().code,
        "export default null"
    );
}

/// The JSX a plugin's `config` hook gives Vite's transform (`react({ jsxImportSource })` sets
/// `oxc.jsx.importSource`; Vite before 8, `esbuild.jsxImportSource`), only what is set: a plain
/// `runtime: 'automatic'` leaves the tsconfig's package alone.
#[test]
fn the_jsx_a_plugins_config_hook_sets_is_reported() {
    let jsx = |hook: &str| {
        let config =
            format!("export default {{ plugins: [{{ name: 'jsx', config: () => ({hook}) }}] }}\n");
        let p = Project::new(&[("vite.config.mjs", config.as_str())]);
        start(&p, "vite.config.mjs").1.jsx
    };
    let emotion = hotloop_plugin_host::JsxConfig {
        import_source: Some("@emotion/react".into()),
        ..Default::default()
    };
    assert_eq!(
        jsx(
            "{ oxc: { jsx: { runtime: 'automatic', importSource: '@emotion/react', refresh: true } } }"
        ),
        Some(emotion.clone())
    );
    assert_eq!(
        jsx("{ esbuild: { jsx: 'automatic', jsxImportSource: '@emotion/react' } }"),
        Some(emotion)
    );
    assert_eq!(
        jsx("{ oxc: { jsx: { runtime: 'automatic', refresh: true } } }"),
        None
    );
    assert_eq!(
        jsx("{ oxc: { jsx: { runtime: 'classic', pragma: 'h' } } }"),
        Some(hotloop_plugin_host::JsxConfig {
            classic: true,
            factory: Some("h".into()),
            ..Default::default()
        })
    );
}

/// What hotloop asks after telling the host of a batch waits for the plugins' `watchChange`
/// (Vite's watcher awaits it before its hot update): vanilla-extract's compiler forgets a
/// changed file there, and a transform that came first compiled the old text.
#[test]
fn requests_after_a_batch_wait_for_the_plugins_watch_change() {
    let config = r#"
let version = 1;
export default { plugins: [{
  name: 'slow-watch',
  async watchChange() { await new Promise((r) => setTimeout(r, 150)); version++; },
  resolveId(id) { return id === 'virtual:v' ? '\0virtual:v' : null },
  load(id) { return id === '\0virtual:v' ? `export default ${version}` : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let v = || host.load("\0virtual:v").unwrap().unwrap().code;
    assert_eq!(v(), "export default 1");
    host.files_changed(&FileChanges {
        changed: vec![p.path("src/a.css.ts")],
        ..Default::default()
    });
    assert_eq!(v(), "export default 2");
}

/// The local modules a config imports come compiled with it (`ConfigInput::modules`, as
/// Vite bundles them): the host writes each where the config's code imports it from, under a
/// name of this import's own (every worker thread imports the config at the same time), and
/// removes them all afterwards.
#[test]
fn a_configs_local_modules_are_written_for_its_import_in_every_thread() {
    let p = Project::new(&[]);
    let dir = p.root().join("build");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("dep.ts.timestamp-STAMP.mjs");
    let code = format!(
        "import {{ v }} from 'file://{}';\n\
         export default {{ plugins: [{{ name: 'x', transform(code, id) {{ if (id.endsWith('.vue')) return code + v }} }}] }}\n",
        copy.display()
    );
    let mut o = options(&p, "vite.config.mjs");
    o.workers = hotloop_plugin_host::Workers { count: 2, after: 1 };
    o.timeout = Duration::from_millis(3000);
    let host = PluginHost::start(o).unwrap();
    let events = host.events();
    host.load_config(ConfigInput {
        path: p.root().join("vite.config.mjs"),
        code,
        modules: vec![(copy.clone(), "export const v = ':from the dep'\n".into())],
        stamp: "STAMP".into(),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("config loads: {e}"));
    let code = |id: &str| {
        host.transform(&p.path(id), "x")
            .unwrap()
            .expect("transformed")
            .code
    };
    assert_eq!(code("src/first.vue"), "x:from the dep");
    assert_eq!(
        support::wait_workers(&events),
        HostEvent::WorkersReady { workers: 2 },
        "both workers imported the config"
    );
    assert_eq!(code("src/on-a-worker.vue"), "x:from the dep");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// HTTPS a plugin turns on (`@vitejs/plugin-basic-ssl` in `configResolved`, vite-plugin-mkcert
/// in `config`) reaches hotloop as its `server.https`, as when the config sets it itself.
#[test]
fn https_a_plugin_turns_on_reaches_hotloop() {
    for hook in [
        "configResolved(c) { c.server.https = { cert: 'C', key: 'K' }; }",
        "config() { return { server: { https: { cert: Buffer.from('C'), key: 'K' } } }; }",
    ] {
        let config = format!("export default {{ plugins: [{{ name: 'ssl', {hook} }}] }}\n");
        let p = Project::new(&[("vite.config.mjs", config.as_str())]);
        let (_, c) = start(&p, "vite.config.mjs");
        let https = c.server.https.expect(hook);
        assert_eq!(
            (https.cert.as_deref(), https.key.as_deref()),
            (Some("C"), Some("K")),
            "{hook}"
        );
        assert!(c.unsupported.is_empty(), "{hook}: {:?}", c.unsupported);
    }
}

/// Vite's own resolver runs after the `pre` plugins and before the others: a relative (or
/// root-absolute) path to a file that is there reaches a normal plugin's `resolveId` only as an
/// absolute id. plugin-vue returns any `?vue` id as it gets it, so `<style src="./app.css">`'s
/// import stayed relative and its `load` failed ("called with relative filename"): a blank
/// page. A `pre` plugin still sees the specifier as written.
#[test]
fn a_path_to_a_file_is_resolved_before_the_normal_plugins_as_vite_does() {
    let config = r#"
export default { plugins: [
  { name: 'pre-seer', enforce: 'pre', resolveId(id) { return id.startsWith('./pre-only') ? '\0pre:' + id : null } },
  { name: 'vue-like', resolveId(id) { return id.includes('?vue') ? id : null } },
] }
"#;
    let p = Project::new(&[
        ("vite.config.mjs", config),
        ("src/app.css", ".a{}"),
        ("src/pre-only.css", ".b{}"),
    ]);
    let (host, _) = start(&p, "vite.config.mjs");
    let importer = p.path("src/App.vue");
    let resolve = |spec: &str| {
        host.resolve_id(spec, Some(&importer))
            .unwrap()
            .map(|r| r.id)
    };
    let real = std::fs::canonicalize(p.root().join("src/app.css")).unwrap();
    let query = "?vue&type=style&index=0&src=true&lang.css";
    assert_eq!(
        resolve(&format!("./app.css{query}")),
        Some(format!("{}{query}", real.display()))
    );
    assert_eq!(
        resolve(&format!("/src/app.css{query}")),
        Some(format!("{}{query}", real.display()))
    );
    // A file that is not there is the plugins' (here: kept as written, as plugin-vue does).
    assert_eq!(
        resolve(&format!("./gone.css{query}")),
        Some(format!("./gone.css{query}"))
    );
    assert_eq!(
        resolve("./pre-only.css"),
        Some("\0pre:./pre-only.css".into())
    );
}

/// A plugin that writes a file while it hears of it (here: appends to a log in the root) is
/// not told of its own write, which hotloop's watcher reports next: it heard of the log once,
/// as under Vite, where it used to hear of it again and again (a core busy for as long as the
/// server ran). A later save of the same file is told as usual.
#[test]
fn plugins_do_not_hear_of_their_own_writes() {
    let config = r#"
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const log = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hooks.log');
const heard = [];
export default { plugins: [{
  name: 'logger',
  watchChange(id) { heard.push(path.basename(id)); fs.appendFileSync(log, id + '\n'); },
  resolveId(id) { return id === 'virtual:heard' ? '\0virtual:heard' : null },
  load(id) { return id === '\0virtual:heard' ? heard.join(' ') : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("hooks.log", "")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let heard = || host.load("\0virtual:heard").unwrap().unwrap().code;
    let log = p.path("hooks.log");
    let changed = |file: &str| {
        host.files_changed(&FileChanges {
            changed: vec![file.to_string()],
            ..Default::default()
        })
    };
    changed(&p.path("src/a.js"));
    assert_eq!(heard(), "a.js");
    // hotloop's watcher saw the append the hook made, then the one the next hook made.
    changed(&log);
    assert_eq!(heard(), "a.js hooks.log");
    changed(&log);
    changed(&log);
    assert_eq!(heard(), "a.js hooks.log", "the plugin's own write");
    // The user saves the log later (its time well after the plugin's window).
    std::fs::write(&log, "cleared\n").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(later)
        .unwrap();
    changed(&log);
    assert_eq!(heard(), "a.js hooks.log hooks.log");
}

/// A save that lands while the plugins hear of the file, after a plugin wrote it (TanStack
/// Router's generator putting a route file's path back), is the user's, not the plugin's: the
/// plugins hear of it. Sweep 16: in a burst of saves of a route file, the generator never
/// heard of the last one, and the file kept the wrong `createFileRoute` path.
#[test]
fn a_save_after_the_plugins_own_write_in_their_window_is_told() {
    let config = r#"
import { writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
const heard = [];
export default { plugins: [{
  name: 'generator',
  async watchChange(id) {
    heard.push(path.basename(id));
    if (heard.length === 1) {
      // The generator's fix of the file, then the user's next save (another process) while
      // the plugins still hear of the first.
      await writeFile(id, 'fixed\n');
      execFileSync('sh', ['-c', 'printf "user 2\\n" > "$0"', id]);
    } else if (heard.length === 2) {
      await writeFile(id, 'fixed again\n');
    }
  },
  resolveId(id) { return id === 'virtual:heard' ? '\0virtual:heard' : null },
  load(id) { return id === '\0virtual:heard' ? heard.join(' ') : null },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("src/route.tsx", "user 1\n")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let heard = || host.load("\0virtual:heard").unwrap().unwrap().code;
    let route = p.path("src/route.tsx");
    let changed = || {
        host.files_changed(&FileChanges {
            changed: vec![route.clone()],
            ..Default::default()
        })
    };
    changed();
    assert_eq!(heard(), "route.tsx");
    assert_eq!(
        std::fs::read_to_string(p.root().join("src/route.tsx")).unwrap(),
        "user 2\n"
    );
    // hotloop's watcher reports the user's save: the plugins hear of it.
    changed();
    assert_eq!(heard(), "route.tsx route.tsx");
    // Then the generator's own write, which they do not hear of again.
    changed();
    assert_eq!(heard(), "route.tsx route.tsx", "the plugin's own write");
}

/// A worker's plugins are instances of their own: the files a batch changed reach their
/// `watchChange` too, before the next request the worker runs (vanilla-extract's compiler in
/// the worker that owns a `.css.ts` file).
#[test]
fn workers_plugins_hear_watch_change_too() {
    let config = r#"
import { threadId } from 'node:worker_threads';
const heard = new Set();
export default { plugins: [{
  name: 'per-thread',
  watchChange(id) { heard.add(id); },
  transform(code, id) { if (id.endsWith('.vue')) return `${code}:${threadId}:${heard.has(id) ? 'heard' : 'not heard'}`; },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, events) = with_workers(&p, 2, 1);
    let code = |id: &str| host.transform(id, "x").unwrap().expect("transformed").code;
    code(&p.path("src/first.vue"));
    support::wait_workers(&events);
    let file = p.path("src/on-a-worker.vue");
    let before = code(&file);
    assert!(
        !before.starts_with("x:0:") && before.ends_with(":not heard"),
        "{before}"
    );
    host.files_changed(&FileChanges {
        changed: vec![file.clone()],
        ..Default::default()
    });
    let after = code(&file);
    assert_eq!(after, before.replace("not heard", "heard"));
}

/// A worker's plugins hear a file's `change` on their `server.watcher` too: vite-plugin-svelte
/// keeps the Sass partials a component's `<style lang="scss">` `@use`s in the worker that
/// compiled it, and answers a partial's change with the component's own `change` there, which
/// names the component's modules to compile again.
#[test]
fn workers_plugins_watcher_listeners_hear_a_change() {
    let config = r#"
const dependants = new Set();
export default { plugins: [{
  name: 'dependencies',
  configureServer(server) {
    server.watcher.on('change', (file) => {
      if (file.endsWith('_theme.scss')) for (const d of dependants) server.watcher.emit('change', d);
    });
  },
  transform(code, id) { if (id.endsWith('.comp')) { dependants.add(id); return 'export default 1'; } },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, events) = with_workers(&p, 2, 1);
    host.transform(&p.path("src/first.vue"), "x").unwrap();
    support::wait_workers(&events);
    let card = p.path("src/Card.comp");
    host.transform(&card, "x").unwrap();
    host.files_changed(&FileChanges {
        changed: vec![p.path("src/styles/_theme.scss")],
        ..Default::default()
    });
    wait_event(&events, |e| matches!(e, HostEvent::ModulesInvalidated));
    assert_eq!(host.take_invalidated(), [card]);
}

/// The page's import edges reach the plugins' module graph (`this.getModuleInfo`,
/// `server.moduleGraph`) in every thread: the whole graph first (a new process wants it), then
/// what changed; a worker that starts later gets the primary's graph when it is ready.
#[test]
fn the_page_graph_reaches_every_threads_plugins() {
    let config = r#"
export default { plugins: [{
  name: 'graph-reader',
  transform(code, id) {
    if (!id.endsWith('.vue')) return;
    const info = this.getModuleInfo(id);
    const name = (x) => x.split('/').pop();
    return `${code}:${info.importers.map(name).join(',')}:${info.importedIds.map(name).join(',')}`;
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, events) = with_workers(&p, 2, 1);
    assert!(host.wants_whole_graph(), "a new process has no graph");
    let edges = |modules: &[(&str, &[&str])], removed: &[&str]| GraphEdges {
        modules: modules
            .iter()
            .map(|(m, i)| (m.to_string(), i.iter().map(|s| s.to_string()).collect()))
            .collect(),
        removed: removed.iter().map(|s| s.to_string()).collect(),
    };
    host.module_graph(&edges(
        &[
            ("/src/main.ts", &["/src/first.vue", "/src/on-a-worker.vue"]),
            (
                "/src/on-a-worker.vue",
                &["/src/on-a-worker.vue?vue&type=style&index=0&lang.css"],
            ),
        ],
        &[],
    ));
    assert!(!host.wants_whole_graph());
    let code = |id: &str| {
        host.transform(&p.path(id), "x")
            .unwrap()
            .expect("transformed")
            .code
    };
    assert_eq!(code("src/first.vue"), "x:main.ts:");
    support::wait_workers(&events);
    assert_eq!(
        code("src/on-a-worker.vue"),
        "x:main.ts:on-a-worker.vue?vue&type=style&index=0&lang.css"
    );
    // What changed, after the workers are up: each thread hears it.
    host.module_graph(&edges(
        &[
            ("/src/other.ts", &["/src/on-a-worker.vue"]),
            ("/src/on-a-worker.vue", &[]),
        ],
        &["/src/main.ts"],
    ));
    assert_eq!(code("src/on-a-worker.vue"), "x:other.ts:");
    assert_eq!(code("src/first.vue"), "x::");
}

/// The resolved config's `env` has the mode's `.env` variables with an exposed prefix, read by
/// the project's `vite` (`loadEnv`), beside `BASE_URL`, `MODE`, `DEV` and `PROD`, as Vite's
/// has them: vite-plugin-ejs renders `cfg.env.VITE_X`, a `configResolved` reads them.
#[test]
fn the_resolved_configs_env_has_the_env_files_variables() {
    let modules = support::ensure_npm_packages();
    let config = r#"
let env
export default { plugins: [{
  name: 'reader',
  configResolved(c) { env = c.env },
  resolveId(id) { return id === 'virtual:env' ? '\0virtual:env' : null },
  load(id) { return id === '\0virtual:env' ? `export default ${JSON.stringify(env)}` : null },
}] }
"#;
    let p = Project::new(&[
        ("vite.config.mjs", config),
        ("package.json", r#"{"type":"module"}"#),
        (".env", "VITE_GREETING=hi\nSECRET=kept\n"),
        (".env.development", "VITE_MODE_ONLY=dev\n"),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.mjs");
    let code = host.load("\0virtual:env").unwrap().unwrap().code;
    let env: serde_json::Value =
        serde_json::from_str(code.trim_start_matches("export default ")).unwrap();
    assert_eq!(
        env,
        serde_json::json!({
            "VITE_GREETING": "hi", "VITE_MODE_ONLY": "dev",
            "BASE_URL": "/", "MODE": "development", "DEV": true, "PROD": false
        })
    );
}

/// Vite's own TS/JSX transform (`vite:oxc`, from the project's `vite`) runs after the `pre`
/// plugins and before the others, as under Vite: a normal plugin that parses what it gets
/// (`this.parse`, as @rollup/plugin-inject) sees JavaScript made with the tsconfig's JSX, and
/// the output says it is JS now (`moduleType`). A `pre` plugin still sees the TSX; a module no
/// normal plugin transforms is left to hotloop's own compile; `oxc: false` turns the step off,
/// and its syntax errors are vite:oxc's, at their line.
#[test]
fn vites_ts_jsx_transform_runs_between_the_pre_and_the_normal_plugins() {
    let modules = support::ensure_npm_packages();
    let config = |oxc: &str| {
        format!(
            r#"
export default {{
  {oxc}
  plugins: [{{
    name: 'before',
    enforce: 'pre',
    transform(code, id) {{ if (id.endsWith('.tsx')) return code + '\n// pre saw ' + (code.includes(': number') ? 'TS' : 'JS') }},
  }}, {{
    name: 'parser',
    transform: {{
      filter: {{ id: /parsed\.tsx$/ }},
      handler(code) {{
        let kind
        try {{ kind = this.parse(code).type }} catch {{ kind = 'unparsable' }}
        return code + '\n// normal saw ' + kind + (code.includes(': number') ? ' with types' : '')
      }},
    }},
  }}],
}}
"#
        )
    };
    let on = config("");
    let p = Project::new(&[
        ("vite.config.mjs", on.as_str()),
        ("package.json", r#"{"type":"module"}"#),
        (
            "tsconfig.json",
            r#"{ "compilerOptions": { "jsx": "react-jsx" } }"#,
        ),
    ]);
    std::os::unix::fs::symlink(&modules, p.root().join("node_modules")).expect("link node_modules");
    let (host, _) = start(&p, "vite.config.mjs");
    let source = "export const n: number = 1\nexport const App = () => <div>{n}</div>\n";
    let out = host
        .transform(&p.path("src/parsed.tsx"), source)
        .unwrap()
        .expect("transformed");
    assert!(out.code.contains("// pre saw TS"), "{}", out.code);
    assert!(out.code.contains("// normal saw Program"), "{}", out.code);
    assert!(!out.code.contains("with types"), "{}", out.code);
    assert!(out.code.contains("react/jsx-dev-runtime"), "{}", out.code);
    assert_eq!(out.module_type.as_deref(), Some("js"));
    // The map chains the step's: it still names the module's own source.
    assert!(
        out.map.as_deref().is_some_and(|m| m.contains("parsed.tsx")),
        "{:?}",
        out.map
    );

    // Only a `pre` plugin transforms it: hotloop compiles the TSX itself.
    let out = host
        .transform(&p.path("src/other.tsx"), source)
        .unwrap()
        .expect("transformed");
    assert!(out.code.contains(": number"), "{}", out.code);
    assert_eq!(out.module_type, None);

    let error = host
        .transform(&p.path("src/parsed.tsx"), "const ok = 1\nconst = 2\n")
        .unwrap_err();
    assert_eq!(
        (error.plugin.as_str(), error.hook.as_str()),
        ("vite:oxc", "transform")
    );
    assert_eq!(error.loc.map(|(line, _)| line), Some(2), "{error}");
    assert!(
        !error.message.contains('\n'),
        "one line, the frame apart: {error}"
    );

    let off = config("oxc: false,");
    p.write("vite.config.mjs", &off);
    let (host, _) = start(&p, "vite.config.mjs");
    let out = host
        .transform(&p.path("src/parsed.tsx"), source)
        .unwrap()
        .expect("transformed");
    assert!(
        out.code.contains("// normal saw unparsable"),
        "{}",
        out.code
    );
    assert_eq!(out.module_type, None);
}

/// Vite's WebSocket clients as vite-dev-rpc uses them (vite-plugin-inspect's RPC): a page that
/// sends an event is one of `server.ws.clients`, announced to the `connection` listeners first
/// (which start listening for that page's events), and the listener's source is that client,
/// whose `socket` pairs it with its channel; `send` answers that page alone.
#[test]
fn a_page_is_one_of_the_servers_ws_clients_as_vite_dev_rpc_uses_them() {
    let config = r#"
export default { plugins: [{
  name: 'rpc',
  configureServer(server) {
    const ws = server.ws
    const channels = new Map()
    ws.on('connection', () => {
      for (const channel of ws.clients) {
        if (channels.has(channel) || channel.socket.readyState === channel.socket.CLOSED) continue
        channels.set(channel, true)
        ws.on('rpc:call', (data, source) => {
          if (source.socket === channel.socket) channel.send('rpc:call', { echo: data.q, clients: ws.clients.size })
        })
      }
    })
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    let answer = |client: u64, q: &str| {
        host.client_event(ClientId(client), "rpc:call", &format!(r#"{{"q":"{q}"}}"#));
        let taken = loop {
            let taken = host.take_custom_events();
            if !taken.is_empty() {
                break taken;
            }
            wait_event(&events, |e| matches!(e, HostEvent::CustomEventsWaiting));
        };
        // (The data as JSON values: key order is serde_json's features' to decide.)
        taken
            .into_iter()
            .map(|e| {
                let data: serde_json::Value = serde_json::from_str(&e.data).unwrap();
                (e.event, data, e.client)
            })
            .collect::<Vec<_>>()
    };
    let call = |echo: &str, clients: u64, client: u64| {
        vec![(
            "rpc:call".to_string(),
            serde_json::json!({ "echo": echo, "clients": clients }),
            Some(ClientId(client)),
        )]
    };
    assert_eq!(answer(4, "first"), call("first", 1, 4));
    // A second page: a channel of its own; each answered once, by its own channel.
    assert_eq!(answer(5, "second"), call("second", 2, 5));
    assert_eq!(answer(4, "again"), call("again", 2, 4));
    // A page gone: its client closes and leaves the set (vite-dev-rpc drops its channel).
    host.client_gone(ClientId(5));
    assert_eq!(answer(4, "once more"), call("once more", 1, 4));
}

/// One context goes through the hot update chain, as Vite's: a plugin that replaces `read`
/// (unplugin-vue-markdown gives plugin-vue the `.md` file as an SFC) is heard by the plugins
/// after it, which also see the modules the one before answered.
#[test]
fn the_hot_update_context_goes_through_the_chain() {
    let config = r#"
export default { plugins: [{
  name: 'markdown',
  handleHotUpdate(ctx) {
    if (!ctx.file.endsWith('.md')) return
    const read = ctx.read
    ctx.read = async () => `<template>${await read()}</template>`
  },
}, {
  name: 'sfc',
  async handleHotUpdate({ file, modules, read }) {
    if (!file.endsWith('.md')) return
    return (await read()).startsWith('<template>') ? modules : []
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("page.md", "# Page\n")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let file = p.path("page.md");
    assert_eq!(
        host.hot_update(&file, std::slice::from_ref(&file), &[], None)
            .unwrap(),
        Some(vec![file.clone()])
    );
}

/// The hot update's `read()` gives the text the engine read for the edit when it sends one, not
/// a later save already on disk (plugin-vue compares it with the text of its last hot update:
/// the later save's own hot update then finds what changed).
#[test]
fn the_hot_updates_read_is_the_engines_text_of_the_edit() {
    let config = r#"
export default { plugins: [{
  name: 'reader',
  async handleHotUpdate({ modules, read }) {
    return (await read()) === 'the first save\n' ? modules : []
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config), ("page.txt", "a later save\n")]);
    let (host, _) = start(&p, "vite.config.mjs");
    let file = p.path("page.txt");
    let modules = std::slice::from_ref(&file);
    assert_eq!(
        host.hot_update(&file, modules, &[], Some("the first save\n"))
            .unwrap(),
        Some(vec![file.clone()])
    );
    // Without the engine's text, the file's.
    assert_eq!(
        host.hot_update(&file, modules, &[], None).unwrap(),
        Some(Vec::new())
    );
}

/// `server.httpServer` is there (vite-plugin-mock-dev-server sets up its file watching only
/// then) and says where hotloop's server listens once told (`listening`), as node's server does
/// after `configureServer`: its `listening` event, `address()`, `server.resolvedUrls`. A
/// plugin's lines of the start-up banner (its wrapper of `server.printUrls`: Vue DevTools'
/// URL) are printed then. A host started after the server (a restart) is told with its config.
#[test]
fn the_plugins_http_server_listens_where_hotloop_does() {
    let config = r#"
export default { plugins: [{
  name: 'listener',
  configureServer(server) {
    if (!server.httpServer) throw new Error('no httpServer');
    server.httpServer.once('listening', () => {
      server.config.logger.info(`listening on ${server.httpServer.address().port} at ${server.resolvedUrls.local[0]}`);
    });
    const printUrls = server.printUrls;
    server.printUrls = () => {
      printUrls();
      server.config.logger.info(`DevTools: ${server.resolvedUrls.local[0]}__devtools__/`);
    };
  },
}] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let events = host.events();
    host.listening(4321, true);
    let logged = |e: &HostEvent| {
        matches!(e, HostEvent::Log { message, .. }
            if message == "listening on 4321 at https://localhost:4321/")
    };
    wait_event(&events, logged);
    let devtools = |e: &HostEvent| {
        matches!(e, HostEvent::Log { message, .. }
            if message == "DevTools: https://localhost:4321/__devtools__/")
    };
    wait_event(&events, devtools);
    // The config loaded again (its edit, an `.env` change): its server listens too, and the
    // banner's lines are not printed again (Vite prints them once, at the start).
    let path = p.root().join("vite.config.mjs");
    host.load_config(ConfigInput {
        path: path.clone(),
        code: std::fs::read_to_string(&path).unwrap(),
        mode: None,
        ..Default::default()
    })
    .expect("loads again");
    wait_event(&events, logged);
    // (A round trip: what the host said before its answer has come.)
    let _ = host.load("\0nothing");
    let again: Vec<HostEvent> = events.try_iter().filter(|e| devtools(e)).collect();
    assert!(again.is_empty(), "{again:?}");
    // A new host (the config loaded again after a crash) hears it with its config.
    let pid = host.pid().expect("running");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_gone(pid);
    // The host has seen the death before it is asked to run (else `ensure_running` may find
    // the old process not yet known dead, and start nothing: a race CI's load once lost).
    wait_event(&events, |e| matches!(e, HostEvent::Crashed { .. }));
    host.ensure_running().unwrap();
    wait_event(&events, logged);
}

/// A process a plugin starts (vite-plugin-checker's `tsc --watch`) ends with the host: the
/// host's whole process group is killed, not the host alone (Ctrl-C left it running).
#[test]
fn what_a_plugin_spawned_ends_with_the_host() {
    let config = r#"
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
export default { plugins: [{ name: 'checker-like', buildStart() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  writeFileSync(new URL('./child.pid', import.meta.url), String(child.pid))
} }] }
"#;
    let p = Project::new(&[("vite.config.mjs", config)]);
    let (host, _) = start(&p, "vite.config.mjs");
    let _ = hotloop_protocol::plugin::Plugins::load(&host, "/nothing");
    let pid_file = p.dir.path().join("child.pid");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()))
        .trim()
        .parse()
        .expect("a pid");
    assert!(support::running(pid), "the plugin's process runs");
    drop(host);
    support::wait_gone(pid);
}
