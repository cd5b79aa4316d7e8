//! What a `vite.config` says that the engine honours itself: `define` and `resolve.alias`
//! (through `ProjectOptions`, which the binary fills from the evaluated config).

use std::sync::Arc;

use crate::host::ReloadedConfig;
use crate::inputs::{Alias, AliasFind, ProjectOptions};
use crate::testing::Incremental;

const PROJECT: &str = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { label } from '@/lib/label.js';
import pad from '~pad';
const __LOCAL__ = 'mine';
console.log(label, pad, __APP_VERSION__, process.env.API_URL, import.meta.env.FLAG, __LOCAL__);
if (typeof __APP_VERSION__ !== 'string') throw new Error('not defined');
//- /src/lib/label.js
export const label = 'aliased';
//- /node_modules/pad/index.js
export default __APP_VERSION__;
"#;

fn options() -> ProjectOptions {
    ProjectOptions {
        define: Arc::new([
            ("__APP_VERSION__".into(), "\"1.2.3\"".into()),
            ("process.env.API_URL".into(), "\"https://api\"".into()),
            ("import.meta.env.FLAG".into(), "true".into()),
            ("__LOCAL__".into(), "\"replaced\"".into()),
        ]),
        aliases: Arc::new([
            Alias {
                find: AliasFind::Exact("@".into()),
                // Root-relative, as Vite's docs write it (`'@': '/src'`).
                replacement: "/src".into(),
            },
            Alias {
                find: AliasFind::Pattern("^~(.*)$".into()),
                replacement: "$1".into(),
            },
        ]),
        ..ProjectOptions::default()
    }
}

/// A stylesheet's `url()` through `resolve.alias` or into a package is its file's URL, as Vite's
/// CSS resolves it; a relative one (`url(img.png)` is `./img.png`) and one naming no file stay
/// the sheet's relative URL.
#[test]
fn a_stylesheets_url_through_an_alias_or_into_a_package_is_its_files_url() {
    let mut p = Incremental::with_options(
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import './styles/app.css';
//- /src/styles/app.css
.a { background: url("@/assets/bg.svg"); }
.b { src: url("pad/files/x.woff2?v=1#f"); }
.c { background: url(img.png); }
.d { background: url(nowhere/x.png); }
//- /src/styles/img.png
png
//- /src/assets/bg.svg
<svg/>
//- /node_modules/pad/package.json
{ "name": "pad" }
//- /node_modules/pad/files/x.woff2
woff
"#,
        options(),
    );
    let build = p.host.build();
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    let chunk = p.chunk();
    for url in [
        "url(\\\"/src/assets/bg.svg\\\")",
        "url(\\\"/node_modules/pad/files/x.woff2?v=1#f\\\")",
        "url(\\\"/src/styles/img.png\\\")",
        "url(\\\"/src/styles/nowhere/x.png\\\")",
    ] {
        assert!(chunk.contains(url), "{url} in {chunk}");
    }
}

#[test]
fn define_replaces_unbound_names_everywhere_and_aliases_rewrite_specifiers() {
    let mut p = Incremental::with_options(PROJECT, options());
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/src/main.js"),
        ["/src/lib/label.js", "/node_modules/pad/index.js"]
    );
    let chunk = p.chunk();
    assert!(
        chunk.contains(
            r#"console.log(_label.label,_pad.default,"1.2.3","https://api",true,__LOCAL__)"#
        ),
        "{chunk}"
    );
    assert!(chunk.contains(r#"typeof"1.2.3""#), "{chunk}");
    // `node_modules` too, as Vite's pre-bundling applies `define`.
    assert!(chunk.contains(r#"_default="1.2.3""#), "{chunk}");
}

/// `optimizeDeps`' `define` (`global: 'globalThis'`, the usual fix for a package that reads
/// Node's `global`): npm packages only, over `define`, as Vite's pre-bundling applies it.
#[test]
fn the_dependencies_define_applies_to_npm_packages_only() {
    let project = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import pkg from 'pkg';
console.log(pkg, typeof global, __MODE__);
//- /node_modules/pkg/index.js
module.exports = [global.setTimeout, __MODE__];
"#;
    let options = ProjectOptions {
        define: Arc::new([("__MODE__".into(), "\"app\"".into())]),
        deps_define: Arc::new([
            ("global".into(), "globalThis".into()),
            ("__MODE__".into(), "\"deps\"".into()),
        ]),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(project, options);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"module.exports=[globalThis.setTimeout,"deps"]"#),
        "{chunk}"
    );
    assert!(chunk.contains(r#"typeof global,"app")"#), "{chunk}");
}

/// `vite.config.*` edited: the host evaluates it again (here a stand-in that reads the value
/// of `__V__` from the file, as the binary's reloader reads the whole config through the
/// plugin host), the new options apply to every module and the planner reloads the pages
/// naming the config; a config that does not evaluate is a diagnostic of the config file, the
/// old options stay, no page reloads, and the next good change clears it.
#[test]
fn an_edited_vite_config_is_evaluated_again_and_its_errors_show() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nconsole.log(__V__);\n//- /vite.config.ts\n1\n",
    );
    let config = p.path("vite.config.ts");
    let read = config.clone();
    p.host.watch_vite_config(
        config.clone(),
        Vec::new(),
        Box::new(move || {
            let text = std::fs::read_to_string(&read).map_err(|e| e.to_string())?;
            let value = text.trim();
            if value.parse::<u32>().is_err() {
                return Err(format!("vite.config.ts:1:1: `{value}` is not a number"));
            }
            Ok(ReloadedConfig {
                options: ProjectOptions {
                    define: Arc::new([("__V__".into(), value.into())]),
                    ..ProjectOptions::default()
                },
                files: Vec::new(),
            })
        }),
    );
    p.build();
    p.project.write("vite.config.ts", "2\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    let build = p.build();
    assert_eq!(build.config_changed.as_deref(), Some("/vite.config.ts"));
    assert!(p.chunk().contains("console.log(2)"), "{}", p.chunk());

    p.project.write("vite.config.ts", "two\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    let build = p.build();
    let errors = p.host.all_diagnostics(&build.diagnostics);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].file, "/vite.config.ts");
    assert!(
        errors[0].message.contains("`two` is not a number"),
        "{errors:?}"
    );
    assert!(p.chunk().contains("console.log(2)"), "the old options stay");
    // Nor do the pages reload (losing their state for nothing): they keep running as they were.
    assert_eq!(build.config_changed, None);

    p.project.write("vite.config.ts", "3\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    let build = p.build();
    assert!(p.host.all_diagnostics(&build.diagnostics).is_empty());
    assert!(p.chunk().contains("console.log(3)"), "{}", p.chunk());
}

/// A `.env` file of the mode edited: Vite restarts its server, so a config that reads it
/// (`loadEnv` feeding `define`) is evaluated again (here a stand-in that reads `API` from
/// `.env`, as the binary's reloader evaluates the whole config), and the new value compiles.
#[test]
fn an_edited_env_file_evaluates_the_vite_config_again() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nconsole.log(__API__);\n//- /vite.config.ts\nexport default {}\n\
         //- /.env\nAPI=1\n",
    );
    let env = p.path(".env");
    let read = env.clone();
    let evaluations = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = evaluations.clone();
    p.host.watch_vite_config(
        p.path("vite.config.ts"),
        Vec::new(),
        Box::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let text = std::fs::read_to_string(&read).map_err(|e| e.to_string())?;
            let value = text.trim().trim_start_matches("API=").to_string();
            Ok(ReloadedConfig {
                options: ProjectOptions {
                    define: Arc::new([("__API__".into(), value)]),
                    ..ProjectOptions::default()
                },
                files: Vec::new(),
            })
        }),
    );
    p.build();
    p.project.write(".env", "API=2\n");
    p.host.apply_changes(std::slice::from_ref(&env));
    let build = p.build();
    assert_eq!(evaluations.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(build.config_changed.as_deref(), Some("/.env"));
    assert!(p.chunk().contains("console.log(2)"), "{}", p.chunk());
    // Another file's edit does not evaluate it.
    p.project.write("src/main.js", "console.log(__API__, 1);\n");
    p.host.apply_changes(&[p.path("src/main.js")]);
    p.build();
    assert_eq!(evaluations.load(std::sync::atomic::Ordering::Relaxed), 1);
}

/// A local module the config imports (`./build/define.ts`) is the config's too: its edit
/// evaluates the config again, and the files the new evaluation imports are watched from then
/// on (a module it no longer imports is not).
#[test]
fn a_local_module_the_vite_config_imports_is_watched_with_it() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nconsole.log(__V__);\n//- /vite.config.ts\nimport './build/a'\n\
         //- /build/a.ts\n1\n//- /build/b.ts\n10\n",
    );
    let config = p.path("vite.config.ts");
    let (a, b) = (p.path("build/a.ts"), p.path("build/b.ts"));
    let (read_a, read_b, read_config) = (a.clone(), b.clone(), config.clone());
    p.host.watch_vite_config(
        config.clone(),
        vec![a.clone()],
        Box::new(move || {
            // The config imports a.ts, or b.ts once it says so.
            let uses_b = std::fs::read_to_string(&read_config)
                .unwrap()
                .contains("build/b");
            let dep = if uses_b { &read_b } else { &read_a };
            let value = std::fs::read_to_string(dep).map_err(|e| e.to_string())?;
            Ok(ReloadedConfig {
                options: ProjectOptions {
                    define: Arc::new([("__V__".into(), value.trim().into())]),
                    ..ProjectOptions::default()
                },
                files: vec![dep.clone()],
            })
        }),
    );
    p.build();
    p.project.write("build/a.ts", "2\n");
    p.host.apply_changes(std::slice::from_ref(&a));
    let build = p.build();
    assert_eq!(build.config_changed.as_deref(), Some("/build/a.ts"));
    assert!(p.chunk().contains("console.log(2)"), "{}", p.chunk());
    p.project.write("vite.config.ts", "import './build/b'\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    p.build();
    assert!(p.chunk().contains("console.log(10)"), "{}", p.chunk());
    p.project.write("build/a.ts", "3\n");
    p.host.apply_changes(std::slice::from_ref(&a));
    let build = p.build();
    assert_eq!(build.config_changed, None, "no longer the config's");
    assert!(p.chunk().contains("console.log(10)"), "{}", p.chunk());
    p.project.write("build/b.ts", "11\n");
    p.host.apply_changes(std::slice::from_ref(&b));
    p.build();
    assert!(p.chunk().contains("console.log(11)"), "{}", p.chunk());
}

#[test]
fn define_replaces_a_name_the_module_only_declares_for_typescript() {
    // `declare const` binds no value (Vite's transform replaces the name); a real binding of
    // the same name in a function still shadows it.
    let project = r#"
//- /index.html
<script type="module" src="/src/main.ts"></script>
//- /src/main.ts
declare const __APP_VERSION__: string;
export declare function __LOCAL__(): string;
function shadow(__APP_VERSION__: string) { return __APP_VERSION__; }
console.log(__APP_VERSION__, __LOCAL__, shadow('x'));
"#;
    let mut p = Incremental::with_options(project, options());
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    assert!(
        chunk.contains(r#"console.log("1.2.3","replaced",shadow("x"))"#),
        "{chunk}"
    );
    assert!(chunk.contains("return __APP_VERSION__;"), "{chunk}");
}

/// A package with its own copy of `shared` in its `node_modules`.
const NESTED_PACKAGES: &str = r#"//- /node_modules/nested/package.json
{ "name": "nested", "main": "index.js" }
//- /node_modules/nested/index.js
import shared from 'shared';
export default shared;
//- /node_modules/nested/node_modules/shared/package.json
{ "name": "shared", "main": "index.js" }
//- /node_modules/nested/node_modules/shared/index.js
export default 'nested copy';
"#;

/// `resolve.conditions` (the client's, with `development|production`), `resolve.extensions`
/// and `resolve.dedupe`, and a config edit that changes the conditions: every import is
/// resolved again with the new ones.
#[test]
fn resolve_conditions_extensions_and_dedupe_follow_the_config() {
    let project = format!(
        "{}{NESTED_PACKAGES}{}",
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import pkg from 'pkg';
import comp from './Comp';
import nested from 'nested';
console.log(pkg, comp, nested);
//- /src/Comp.vue.js
export default 'not this one';
//- /src/Comp.sfc
export default 'comp';
//- /node_modules/pkg/package.json
{ "name": "pkg", "exports": { "custom": "./custom.js", "development": "./dev.js", "default": "./index.js" } }
//- /node_modules/pkg/custom.js
export default 'custom';
//- /node_modules/pkg/dev.js
export default 'dev';
//- /node_modules/pkg/index.js
export default 'index';
"#,
        r#"//- /node_modules/shared/package.json
{ "name": "shared", "main": "index.js" }
//- /node_modules/shared/index.js
export default 'root copy';
//- /vite.config.ts
custom
"#
    );
    let settings = |conditions: &[&str]| crate::resolver::ResolveSettings {
        conditions: Some(conditions.iter().map(|c| c.to_string()).collect()),
        extensions: Some([".sfc".to_string(), ".js".to_string()].into()),
        dedupe: ["shared".to_string()].into(),
    };
    let mut p = Incremental::with_options(
        &project,
        ProjectOptions {
            resolve: settings(&["custom", "browser"]),
            ..ProjectOptions::default()
        },
    );
    let config = p.path("vite.config.ts");
    let read = config.clone();
    p.host.watch_vite_config(
        config.clone(),
        Vec::new(),
        Box::new(move || {
            let text = std::fs::read_to_string(&read).map_err(|e| e.to_string())?;
            Ok(ReloadedConfig {
                options: ProjectOptions {
                    resolve: settings(&[text.trim()]),
                    ..ProjectOptions::default()
                },
                files: Vec::new(),
            })
        }),
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/src/main.js"),
        [
            "/node_modules/pkg/custom.js",
            "/src/Comp.sfc",
            "/node_modules/nested/index.js"
        ]
    );
    assert_eq!(
        p.imports_of("/node_modules/nested/index.js"),
        ["/node_modules/shared/index.js"],
        "dedupe resolves from the root"
    );

    // Vite's `development|production` is the development condition in its dev server.
    p.project
        .write("vite.config.ts", "development|production\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    p.build();
    assert_eq!(p.imports_of("/src/main.js")[0], "/node_modules/pkg/dev.js");
}

/// Without settings, the page resolves with Vite's default client conditions (`module`
/// among them) and extensions; a nested copy of a package stays the importer's.
#[test]
fn default_resolution_is_vites() {
    let project = format!(
        "{}{NESTED_PACKAGES}",
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import pkg from 'pkg';
import nested from 'nested';
console.log(pkg, nested);
//- /node_modules/pkg/package.json
{ "name": "pkg", "exports": { "module": "./esm.js", "default": "./index.js" } }
//- /node_modules/pkg/esm.js
export default 'esm';
//- /node_modules/pkg/index.js
export default 'index';
"#
    );
    let mut p = Incremental::new(&project);
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(p.imports_of("/src/main.js")[0], "/node_modules/pkg/esm.js");
    assert_eq!(
        p.imports_of("/node_modules/nested/index.js"),
        ["/node_modules/nested/node_modules/shared/index.js"]
    );
}

/// The JSX a config sets (`react({ jsxImportSource: '@emotion/react' })` through `oxc.jsx`) wins
/// over the tsconfig's for the project's own files, as under Vite; npm packages keep theirs.
#[test]
fn a_configs_jsx_import_source_wins_over_the_tsconfigs() {
    const APP: &str = r#"
//- /index.html
<script type="module" src="/src/main.tsx"></script>
//- /tsconfig.json
{ "compilerOptions": { "jsx": "react-jsx", "jsxImportSource": "preact" } }
//- /src/main.tsx
export const App = () => <b css={{ color: 'blue' }}>hi</b>;
"#;
    let options = ProjectOptions {
        jsx: Some(crate::transform::Jsx::Automatic {
            import_source: "@emotion/react".into(),
        }),
        ..ProjectOptions::default()
    };
    let mut p = Incremental::with_options(APP, options);
    p.build();
    let chunk = p.chunk();
    assert!(chunk.contains("@emotion/react/jsx-dev-runtime"), "{chunk}");
    assert!(!chunk.contains("preact/jsx-dev-runtime"), "{chunk}");
    // Without it, the tsconfig's.
    let mut p = Incremental::with_options(APP, ProjectOptions::default());
    p.build();
    assert!(p.chunk().contains("preact/jsx-dev-runtime"));
}

/// Module `id`'s `require.esm(...)` call in the chunk: its second argument is its Node interop
/// flags.
fn esm_call(p: &mut Incremental, id: &str) -> String {
    let chunk = p.chunk();
    let at = chunk.find(&format!("define(\"{id}\"")).expect(id);
    let call = at + chunk[at..].find("require.esm(").expect("require.esm");
    chunk[call..call + chunk[call..].find(';').unwrap()].to_string()
}

/// A `package.json`'s `type` is a fact of its files' inputs: set to `"module"`, the files
/// under it compile again with Node's CommonJS interop (`require.esm`'s flags), and only they.
#[test]
fn a_package_jsons_type_change_recompiles_its_files_with_nodes_interop() {
    let mut p = Incremental::with_options(
        "//- /package.json\n{ \"name\": \"app\" }\n\
         //- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport lib from '../legacy/lib.js';\nexport const value = lib;\n\
         //- /legacy/package.json\n{ \"type\": \"commonjs\" }\n\
         //- /legacy/lib.js\nexport default 1;\n",
        ProjectOptions {
            node_cjs_interop: true,
            ..ProjectOptions::default()
        },
    );
    p.build();
    assert!(
        !esm_call(&mut p, "/src/main.js").contains(",3)"),
        "no type: Babel's"
    );
    assert!(
        esm_call(&mut p, "/legacy/lib.js").ends_with(",2)"),
        "explicit commonjs"
    );
    p.parsed();
    let manifest = p.project.write(
        "package.json",
        "{ \"name\": \"app\", \"type\": \"module\" }\n",
    );
    p.host.apply_changes(&[manifest]);
    p.host.build();
    assert_eq!(p.parsed(), crate::testing::id_set(&["/src/main.js"]));
    assert!(esm_call(&mut p, "/src/main.js").ends_with(",3)"));
}

/// An install that changes a package's `type` (the watcher stays out of packages, so only
/// `node_modules/.package-lock.json` tells): the package's files compile again with their new
/// module format, and only they.
#[test]
fn an_install_that_changes_a_packages_type_recompiles_its_files_with_the_new_format() {
    let mut p = Incremental::new(
        "//- /index.html\n<script type=\"module\" src=\"/src/main.js\"></script>\n\
         //- /src/main.js\nimport a from 'a';\nimport b from 'b';\nexport const value = a + b;\n\
         //- /node_modules/a/package.json\n{ \"name\": \"a\", \"main\": \"index.js\" }\n\
         //- /node_modules/a/index.js\nexport default 1;\n\
         //- /node_modules/b/package.json\n{ \"name\": \"b\", \"main\": \"index.js\" }\n\
         //- /node_modules/b/index.js\nexport default 2;\n",
    );
    p.build();
    assert!(!esm_call(&mut p, "/node_modules/a/index.js").contains(",3)"));
    p.parsed();
    p.project.write(
        "node_modules/a/package.json",
        "{ \"name\": \"a\", \"main\": \"index.js\", \"type\": \"module\" }\n",
    );
    let marker = p.project.write(
        "node_modules/.package-lock.json",
        "{ \"lockfileVersion\": 3 }\n",
    );
    p.host.apply_changes(&[marker]);
    p.host.build();
    assert_eq!(
        p.parsed(),
        crate::testing::id_set(&["/node_modules/a/index.js"])
    );
    assert!(esm_call(&mut p, "/node_modules/a/index.js").ends_with(",3)"));
    assert!(!esm_call(&mut p, "/node_modules/b/index.js").contains(",3)"));
}

/// Under Vite's `base` every URL the page asks for carries it, as Vite's dev server writes
/// them: the client's scripts, the page's root-absolute URLs (a `srcset`'s each), an asset's
/// URL, a stylesheet's `url()`s (written relative or root-absolute) and its `@import`s, a
/// worker's script; relative URLs and ones already under the base stay as written.
#[test]
fn under_a_base_every_url_the_page_asks_for_carries_it() {
    let mut p = Incremental::with_options(
        "//- /index.html\n<!doctype html><html><head><link rel=\"icon\" href=\"/icon.svg\">\
         <link rel=\"stylesheet\" href=\"/src/style.css\"></head><body>\
         <img src=\"/app/already.png\" srcset=\"/a.png 1x, ./b.png 2x\"><a href=\"/docs\">docs</a>\
         <script type=\"module\" src=\"/src/main.js\"></script></body></html>\n\
         //- /public/icon.svg\n<svg/>\n\
         //- /src/main.js\nimport logo from './logo.png';\nimport W from './w.js?worker';\nconsole.log(logo, W);\n\
         //- /src/w.js\nself.onmessage = () => {};\n\
         //- /src/logo.png\npng\n\
         //- /src/bg.png\npng\n\
         //- /src/style.css\n@import './more.css';\nbody { background: url(./bg.png); }\n.x { background: url(/icon.svg); }\n\
         //- /src/more.css\n.y { color: red; }\n",
        ProjectOptions {
            base: "/app/".into(),
            ..ProjectOptions::default()
        },
    );
    p.build();
    let served = p.served(1);
    let html = served.html.clone().expect("the page");
    for wanted in [
        "src=\"/app/_hotloop/runtime.js",
        "<link rel=\"icon\" href=\"/app/icon.svg\">",
        "<link rel=\"stylesheet\" href=\"/app/src/style.css\">",
        "src=\"/app/already.png\"",
        "srcset=\"/app/a.png 1x, ./b.png 2x\"",
        "<a href=\"/docs\">",
        "src=\"/app/_hotloop/chunk.js\"",
    ] {
        assert!(html.contains(wanted), "{wanted} in {html}");
    }
    assert!(
        !html.contains("/src/main.js"),
        "the entry is the chunk's: {html}"
    );
    let chunk = p.chunk();
    assert!(chunk.contains("\"/app/src/logo.png\""), "{chunk}");
    assert!(
        chunk.contains("new Worker(\"/app/_hotloop/worker/src/w.js\""),
        "{chunk}"
    );
    let sheet = served
        .modules
        .get("/src/style.css")
        .and_then(|m| m.stylesheet.clone())
        .expect("the stylesheet");
    assert!(sheet.contains("url(\"/app/src/bg.png\")"), "{sheet}");
    assert!(sheet.contains("url(\"/app/icon.svg\")"), "{sheet}");
    assert!(sheet.contains("@import \"/app/src/more.css?v="), "{sheet}");
}

/// What the plugins' resolvers fall back to (`PageResolver`): a package's script as the page
/// imports it, and its stylesheet as Vite's CSS resolver finds it (`config.createResolver()`
/// with Vite's CSS resolver options, @tailwindcss/vite's).
#[test]
fn the_page_resolver_finds_a_packages_script_and_its_stylesheet() {
    let p = crate::testing::TempProject::new(
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import 'bootstrap';
//- /node_modules/bootstrap/package.json
{ "name": "bootstrap", "main": "dist/js/bootstrap.js", "style": "dist/css/bootstrap.css" }
//- /node_modules/bootstrap/dist/js/bootstrap.js
export {};
//- /node_modules/bootstrap/dist/css/bootstrap.css
.btn {}
"#,
    );
    let resolver = crate::PageResolver::new(p.root());
    let importer = p.path("src/main.js");
    let importer = importer.to_str();
    let found = |path: Option<String>| path.map(std::path::PathBuf::from);
    assert_eq!(
        found(resolver.resolve("bootstrap", importer)),
        Some(p.path("node_modules/bootstrap/dist/js/bootstrap.js"))
    );
    assert_eq!(
        found(resolver.resolve_css("bootstrap", importer)),
        Some(p.path("node_modules/bootstrap/dist/css/bootstrap.css"))
    );
    assert_eq!(resolver.resolve_css("missing", importer), None);
}

/// `import.meta.glob` with a `resolve.alias` (`@/pages/*.js`, as Vite's docs allow): the alias
/// makes the pattern, from the project root here (its keys root paths, as Vite's); an alias to
/// an absolute path inside the root (`path.resolve(__dirname, 'src/pages')`) the same. A
/// pattern no alias makes rooted is an error that names it.
#[test]
fn a_glob_pattern_through_an_alias_lists_the_files_it_names() {
    let project = r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
export const a = import.meta.glob('@/pages/*.js', { eager: true, import: 'default' });
export const b = import.meta.glob('#pages/*.js', { eager: true, import: 'default' });
//- /src/pages/about.js
export default 'about';
//- /src/pages/home.js
export default 'home';
//- /vite.config.ts
export default {}
"#;
    let mut p = Incremental::with_options(project, options());
    // The absolute alias comes with the config (its path is the temporary project's).
    let pages = p.path("src/pages").to_string_lossy().into_owned();
    let config = p.path("vite.config.ts");
    p.host.watch_vite_config(
        config.clone(),
        Vec::new(),
        Box::new(move || {
            let mut with_pages = options();
            with_pages.aliases = Arc::from(
                with_pages
                    .aliases
                    .iter()
                    .cloned()
                    .chain([Alias {
                        find: AliasFind::Exact("#pages".into()),
                        replacement: pages.clone(),
                    }])
                    .collect::<Vec<_>>(),
            );
            Ok(ReloadedConfig {
                options: with_pages,
                files: Vec::new(),
            })
        }),
    );
    p.build();
    p.project
        .write("vite.config.ts", "export default { resolve: {} }\n");
    p.host.apply_changes(std::slice::from_ref(&config));
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    let chunk = p.chunk();
    for key in ["/src/pages/about.js", "/src/pages/home.js"] {
        assert_eq!(
            chunk.matches(&format!("\"{key}\": ")).count(),
            2,
            "{key}: {chunk}"
        );
    }

    p.project.write(
        "src/main.js",
        "export const c = import.meta.glob('pages/*.js');\n",
    );
    p.host.apply_changes(&[p.path("src/main.js")]);
    p.build();
    let errors = p.diagnostics();
    assert!(
        errors
            .iter()
            .any(|d| d.contains("'pages/*.js' must start with './', '../'")),
        "{errors:?}"
    );
}

/// A package a source file outside `node_modules` (a workspace package's) finds in a nested
/// `node_modules` of its own while the root has a copy too is the root's copy (Vite's
/// pre-bundled dependencies are one per name: two Reacts in a page break its hooks); a
/// package only the nested `node_modules` has is that one, and a package's own imports keep
/// their nested copies.
#[test]
fn a_workspace_package_shares_the_roots_copy_of_a_package_it_also_has_nested() {
    let mut p = Incremental::new(
        r#"
//- /index.html
<script type="module" src="/src/main.js"></script>
//- /src/main.js
import { Button } from '../packages/ui/src/Button.js';
import react from 'react';
console.log(Button, react);
//- /packages/ui/src/Button.js
import react from 'react';
import runtime from 'react/jsx-runtime';
import only from 'only-nested';
import lib from 'lib';
export const Button = [react, runtime, only, lib];
//- /packages/ui/node_modules/react/package.json
{ "name": "react", "main": "index.js", "exports": { ".": "./index.js", "./jsx-runtime": "./jsx-runtime.js" } }
//- /packages/ui/node_modules/react/index.js
export default 'nested react';
//- /packages/ui/node_modules/react/jsx-runtime.js
export default 'nested runtime';
//- /packages/ui/node_modules/only-nested/package.json
{ "name": "only-nested", "main": "index.js" }
//- /packages/ui/node_modules/only-nested/index.js
export default 'only nested';
//- /packages/ui/node_modules/lib/package.json
{ "name": "lib", "main": "index.js" }
//- /packages/ui/node_modules/lib/index.js
import react from 'react';
export default react;
//- /node_modules/react/package.json
{ "name": "react", "main": "index.js", "exports": { ".": "./index.js", "./jsx-runtime": "./jsx-runtime.js" } }
//- /node_modules/react/index.js
export default 'root react';
//- /node_modules/react/jsx-runtime.js
export default 'root runtime';
"#,
    );
    p.build();
    assert!(p.diagnostics().is_empty(), "{:?}", p.diagnostics());
    assert_eq!(
        p.imports_of("/packages/ui/src/Button.js"),
        [
            "/node_modules/react/index.js",
            "/node_modules/react/jsx-runtime.js",
            "/packages/ui/node_modules/only-nested/index.js",
            "/packages/ui/node_modules/lib/index.js"
        ]
    );
    assert_eq!(
        p.imports_of("/packages/ui/node_modules/lib/index.js"),
        ["/packages/ui/node_modules/react/index.js"],
        "a package's own imports are its own"
    );
}
