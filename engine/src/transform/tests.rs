//! Tests of the swc pipeline: emitted factories (snapshots), imports and hot facts (tables),
//! source maps, diagnostics, robustness, and running the factories under real `node`.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use super::*;

/// The module's source map JSON, as the server serves it.
fn map_text(out: &CompiledModule) -> Option<std::sync::Arc<str>> {
    out.map.as_ref()?.text()
}

fn compile(id: &str, text: &str) -> CompiledModule {
    compile_with(id, text, true)
}

fn compile_with(id: &str, text: &str, react_refresh: bool) -> CompiledModule {
    let kind = SourceKind::from_path(id).expect("a JS/TS path");
    compile_module(
        id,
        kind,
        text,
        &TransformOptions {
            react_refresh,
            ..TransformOptions::default()
        },
    )
}

/// The factory (its one-line body printed again with layout, so that a snapshot reads as
/// code), or the diagnostics when there is none.
#[track_caller]
fn check_code(id: &str, text: &str, expect: Expect) {
    let out = compile(id, text);
    let actual = match &out.code {
        Some(code) if out.diagnostics.is_empty() => format!("{}\n", readable(code)),
        _ => render_diagnostics(&out.diagnostics),
    };
    expect.assert_eq(&actual);
}

/// A factory with its compact body printed by swc with layout (what the page gets is
/// `code` itself; this is for reading snapshots).
fn readable(code: &str) -> String {
    use swc_core::common::sync::Lrc;
    use swc_core::common::{FileName, SourceMap};
    use swc_core::ecma::ast::EsVersion;
    use swc_core::ecma::codegen::{Emitter, text_writer::JsWriter};
    use swc_core::ecma::parser::{EsSyntax, Parser, StringInput, Syntax, lexer::Lexer};

    let (header, rest) = code.split_once('\n').expect("a header line");
    let body = rest.strip_suffix(FACTORY_FOOTER).expect("the footer");
    let cm: Lrc<SourceMap> = Default::default();
    let fm = cm.new_source_file(Lrc::new(FileName::Anon), body.to_string());
    let syntax = Syntax::Es(EsSyntax {
        allow_return_outside_function: true,
        ..Default::default()
    });
    let lexer = Lexer::new(syntax, EsVersion::latest(), StringInput::from(&*fm), None);
    let script = Parser::new_from(lexer)
        .parse_script()
        .expect("the emitted body parses");
    let mut printed = Vec::new();
    Emitter {
        cfg: swc_core::ecma::codegen::Config::default().with_target(EsVersion::latest()),
        cm: cm.clone(),
        comments: None,
        wr: JsWriter::new(cm, "\n", &mut printed, None),
    }
    .emit_script(&script)
    .expect("printed");
    format!(
        "{header}\n{}{FACTORY_FOOTER}",
        String::from_utf8(printed).unwrap()
    )
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{:?} {d}", d.kind);
    }
    out
}

fn render_imports(imports: &[ImportRecord]) -> Vec<String> {
    imports
        .iter()
        .map(|i| format!("{:?} {} {}:{}", i.kind, i.specifier, i.line, i.column))
        .collect()
}

/// The set flags of `HotFacts`, space separated.
fn render_hot(h: &HotFacts) -> String {
    let mut parts = Vec::new();
    let flags = [
        (h.self_accepts, "self_accepts"),
        (h.has_dispose, "dispose"),
        (h.has_prune, "prune"),
        (h.uses_invalidate, "invalidate"),
        (h.uses_data, "data"),
        (h.refresh_boundary, "refresh_boundary"),
        (h.commonjs, "commonjs"),
    ];
    for (set, name) in flags {
        if set {
            parts.push(name.to_string());
        }
    }
    if !h.accepted_deps.is_empty() {
        parts.push(format!("deps={}", h.accepted_deps.join(",")));
    }
    parts.join(" ")
}

// ---------------------------------------------------------------------------------------------
// Emitted factories

const COUNTER_TSX: &str = r#"import { useState } from "react";
import type { Props } from "./types";

interface State { n: number }

export default function Counter({ start }: Props) {
  const [n, setN] = useState<number>(start);
  return <button onClick={() => setN(n + 1)}>{n}</button>;
}

export const Label = () => <span>count</span>;
"#;

#[test]
fn tsx_component_with_state_and_refresh() {
    check_code(
        "/src/Counter.tsx",
        COUNTER_TSX,
        expect![[r#"
            (function(module,exports,require,$meta,$RefreshReg$,$RefreshSig$){
            "use strict";
            require.esm({
                Label: 0,
                default: 0
            });
            exports.default = Counter;
            const _jsxdevruntime = require("react/jsx-dev-runtime");
            const _react = require("react");
            var _s = $RefreshSig$();
            function Counter({ start }) {
                _s();
                const [n, setN] = (0, _react.useState)(start);
                return (0, _jsxdevruntime.jsxDEV)("button", {
                    onClick: ()=>setN(n + 1),
                    children: n
                }, void 0, false, {
                    fileName: "/src/Counter.tsx",
                    lineNumber: 8,
                    columnNumber: 10
                }, this);
            }
            _s(Counter, "kjeb6yf8CsryRdPR6krV3uCQ/Hc=");
            _c = Counter;
            const Label = ()=>(0, _jsxdevruntime.jsxDEV)("span", {
                    children: "count"
                }, void 0, false, {
                    fileName: "/src/Counter.tsx",
                    lineNumber: 11,
                    columnNumber: 28
                }, void 0);
            exports.Label = Label;
            _c1 = Label;
            var _c, _c1;
            $RefreshReg$(_c, "Counter");
            $RefreshReg$(_c1, "Label");
            })
        "#]],
    );
}

#[test]
fn esm_imports_reexports_and_export_star() {
    check_code(
        "/src/esm.js",
        r#"import def, { named, other as renamed } from "./a.js";
import * as ns from "./b.js";
import "./side-effect.css";
export { x, y as z } from "./c.js";
export * from "./d.js";
export const value = def + named + renamed + ns.thing;
export let counter = 0;
export function increment() { counter++; }
console.log(this, import.meta.url);
"#,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            function _export_star(from, to) {
                Object.keys(from).forEach(function(k) {
                    if (k !== "default" && !Object.prototype.hasOwnProperty.call(to, k)) {
                        Object.defineProperty(to, k, {
                            enumerable: true,
                            get: function() {
                                return from[k];
                            }
                        });
                    }
                });
                return from;
            }
            require.esm({
                counter: ()=>counter,
                increment: 0,
                value: 0,
                x: ()=>_c.x,
                z: ()=>_c.y
            });
            exports.increment = increment;
            const _a = require.w(require("./a.js"));
            const _b = require.w(require("./b.js"));
            require("./side-effect.css");
            const _c = require("./c.js");
            _export_star(require("./d.js"), exports);
            const value = _a.default + _a.named + _a.other + _b.thing;
            exports.value = value;
            let counter = 0;
            function increment() {
                counter++;
            }
            console.log(void 0, $meta.url);
            })
        "#]],
    );
}

#[test]
fn dynamic_import_becomes_the_runtimes_require_dynamic() {
    check_code(
        "/src/lazy.ts",
        r#"export async function load(name: string) {
  const page = await import("./pages/home.ts");
  const other = await import(name);
  return [page.default, other.default];
}
"#,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                load: 0
            });
            exports.load = load;
            async function load(name) {
                const page = await require.dynamic("./pages/home.ts");
                const other = await require.dynamic(name);
                return [
                    page.default,
                    other.default
                ];
            }
            })
        "#]],
    );
}

#[test]
fn import_meta_glob_becomes_require_of_the_modules_glob_module() {
    let text = r#"const pages = import.meta.glob<{ default: string }>("./pages/*.tsx");
const docs = import.meta.glob(["/docs/**/*.md", "!/docs/draft.md"], {
  eager: true,
  query: "?raw",
  import: "default",
});
const old = import.meta.glob('./icons/*.svg', { as: 'url', exhaustive: true, base: './' });
export { pages, docs, old };
"#;
    let out = compile("/src/main.ts", text);
    assert_eq!(out.diagnostics, []);
    assert_eq!(
        render_imports(&out.imports),
        [
            "Glob ./main.ts?glob=0 1:15",
            "Glob ./main.ts?glob=1 2:14",
            "Glob ./main.ts?glob=2 7:13",
        ]
    );
    let [pages, docs, old] = &out.globs[..] else {
        panic!("three globs: {:?}", out.globs);
    };
    assert_eq!(pages.patterns, ["./pages/*.tsx"]);
    assert!(!pages.eager && pages.import.is_none() && pages.query.is_none());
    assert_eq!(docs.patterns, ["/docs/**/*.md", "!/docs/draft.md"]);
    assert!(docs.eager);
    assert_eq!(docs.import.as_deref(), Some("default"));
    assert_eq!(docs.query.as_deref(), Some("?raw"));
    assert_eq!((docs.line, docs.column), (2, 14));
    // Vite's deprecated `as: 'url'` is `query: '?url', import: 'default'`.
    assert_eq!(old.query.as_deref(), Some("?url"));
    assert_eq!(old.import.as_deref(), Some("default"));
    assert!(old.exhaustive);
    assert_eq!(old.base.as_deref(), Some("./"));
    let code = out.code.expect("compiles");
    assert!(
        code.contains(r#"const pages=require("./main.ts?glob=0");"#),
        "{code}"
    );
    assert!(
        code.contains(r#"const docs=require("./main.ts?glob=1");"#),
        "{code}"
    );
    assert!(
        code.contains(r#"const old=require("./main.ts?glob=2");"#),
        "{code}"
    );
    assert!(!code.contains("glob("), "{code}");
}

#[test]
fn variable_import_becomes_a_lookup_in_a_glob_module_of_its_candidates() {
    let text = r#"export const locale = (lang: string) => import(`./locales/${lang}.json`);
export const page = (a: string, b: string) => import('../pages/' + a + '/' + b + '.tsx');
export const doc = (name: string) => import(`./docs/${name}${".md"}?raw`);
export const url = (u: string) => import(u);
export const cdn = (v: string) => import(`https://cdn.example/${v}.js`);
export const alias = (v: string) => import(`@/x/${v}.js`);
export const rooted = (name: string) => import(`/src/pages/${name}.tsx`);
export const proto = (v: string) => import(`//cdn.example/${v}.js`);
export const fixed = () => import(`./lang/${'en'}.js`);
"#;
    let out = compile("/src/main.ts", text);
    assert_eq!(out.diagnostics, []);
    assert_eq!(
        render_imports(&out.imports),
        [
            "Glob ./main.ts?glob=0 1:41",
            "Glob ./main.ts?glob=1 2:47",
            "Glob ./main.ts?glob=2 3:38",
            "Glob ./main.ts?glob=3 7:41",
            "Glob ./main.ts?glob=4 9:28",
        ]
    );
    let patterns: Vec<_> = out
        .globs
        .iter()
        .map(|g| (g.patterns.join(" "), g.query.clone(), g.eager))
        .collect();
    assert_eq!(
        patterns,
        [
            ("./locales/*.json".to_string(), None, false),
            ("../pages/*/*.tsx".to_string(), None, false),
            ("./docs/*.md".to_string(), Some("?raw".to_string()), false),
            ("/src/pages/*.tsx".to_string(), None, false),
            // Only literals: a glob of that one file.
            ("./lang/en.js".to_string(), None, false),
        ]
    );
    let code = out.code.expect("compiles");
    for expected in [
        r#"require.dynamic(`./locales/${lang}.json`,require("./main.ts?glob=0"))"#,
        r#"require.dynamic("../pages/"+a+"/"+b+".tsx",require("./main.ts?glob=1"))"#,
        r#"require.dynamic(u)"#,
        r#"require.dynamic(`https://cdn.example/${v}.js`)"#,
        r#"require.dynamic(`@/x/${v}.js`)"#,
        r#"require.dynamic(`/src/pages/${name}.tsx`,require("./main.ts?glob=3"))"#,
        r#"require.dynamic(`//cdn.example/${v}.js`)"#,
    ] {
        assert!(code.contains(expected), "{expected}\n{code}");
    }

    // A plugin's query (svgr's `?react`) goes with every candidate, as a static import's would.
    let out = compile(
        "/src/a.ts",
        "export const f = (x) => import(`./data/${x}.svg?react`);",
    );
    assert_eq!(out.diagnostics, []);
    assert_eq!(out.globs[0].patterns, ["./data/*.svg"]);
    assert_eq!(out.globs[0].query.as_deref(), Some("?react"));
}

/// `query` is any query (the plugin that takes it loads the files: svgr's `?react`,
/// vite-imagetools' sizes), a string or an object written as Vite writes it.
#[test]
fn import_meta_glob_takes_a_plugins_query_as_a_string_or_an_object() {
    let text = r#"export const a = import.meta.glob('./icons/*.svg', { query: '?react', import: 'default' });
export const b = import.meta.glob('./img/*.jpg', { query: { w: 200, format: 'webp', lossless: true, as: 'picture', list: '100;200', skip: '' } });
export const c = import.meta.glob('./img/*.jpg', { query: 'w=300' });
export const d = import.meta.glob('./img/*.jpg', { query: '' });
"#;
    let out = compile("/src/main.ts", text);
    assert_eq!(out.diagnostics, []);
    let queries: Vec<_> = out.globs.iter().map(|g| g.query.as_deref()).collect();
    assert_eq!(
        queries,
        [
            Some("?react"),
            Some("?w=200&format=webp&lossless=true&as=picture&list=100;200&skip"),
            Some("?w=300"),
            None,
        ]
    );
}

#[test]
fn new_worker_of_a_literal_url_imports_the_workers_url_module() {
    let text = r#"const a = new Worker(new URL('./work.ts', import.meta.url), { type: 'module' });
const b = new SharedWorker(new URL("../shared/sync.js", import.meta.url));
const c = new Worker('/public-worker.js');
const d = new Worker(new URL('./work.ts?x', import.meta.url));
const e = new URL('./logo.png', import.meta.url);
const f = new Worker(new URL('https://cdn.example/w.js', import.meta.url));
const g = new Worker(new URL('/public-worker.js', import.meta.url));
function local(Worker: any) { return new Worker(new URL('./other.ts', import.meta.url)); }
export { a, b, c, d, e, f, g, local };
"#;
    let out = compile("/src/main.ts", text);
    assert_eq!(out.diagnostics, []);
    assert_eq!(
        render_imports(&out.imports),
        [
            "Static ./work.ts?worker&url 1:30",
            "Static ../shared/sync.js?worker&url 2:36",
            "AssetUrl ./logo.png?url 5:19",
        ]
    );
    let code = out.code.expect("compiles");
    for expected in [
        r#"const a=new Worker(new URL(require("./work.ts?worker&url"),$meta.url),{"#,
        r#"const b=new SharedWorker(new URL(require("../shared/sync.js?worker&url"),$meta.url));"#,
        r#"const c=new Worker("/public-worker.js");"#,
        r#"const d=new Worker(new URL("./work.ts?x",$meta.url));"#,
        r#"const e=new URL(require.u("./logo.png?url","./logo.png"),$meta.url);"#,
        r#"const f=new Worker(new URL("https://cdn.example/w.js",$meta.url));"#,
        r#"const g=new Worker(new URL("/public-worker.js",$meta.url));"#,
        r#"return new Worker1(new URL("./other.ts",$meta.url));"#,
    ] {
        assert!(code.contains(expected), "{expected}\n{code}");
    }
}

#[test]
fn new_url_of_an_asset_or_a_packages_file_takes_the_files_url_module_and_nothing_else_does() {
    let text = r#"export const font = new URL('./fonts/a.woff2', import.meta.url).href;
export const tex = new URL("../tex/wood.PNG", import.meta.url);
export const data = new URL('./data.json', import.meta.url);
export const dir = new URL('./', import.meta.url);
export const worklet = new URL('./processor.ts', import.meta.url);
export const versioned = new URL('./a.png?v=1', import.meta.url);
export const rooted = new URL('/public.png', import.meta.url);
export const page = new URL('./a.png', location.href);
export const worker = new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url);
export const scoped = new URL('@scope/pkg/add.wasm', import.meta.url);
export const beside = new URL('logo.png', import.meta.url);
export const inline = new URL('data:text/plain,x/y', import.meta.url);
"#;
    let out = compile("/src/main.ts", text);
    assert_eq!(out.diagnostics, []);
    // A package's file, whatever its type (a path beside the module would not be it).
    assert_eq!(
        render_imports(&out.imports),
        [
            "AssetUrl ./fonts/a.woff2?url 1:29",
            "AssetUrl ../tex/wood.PNG?url 2:28",
            "AssetUrl pdfjs-dist/build/pdf.worker.min.mjs?url 9:31",
            "AssetUrl @scope/pkg/add.wasm?url 10:31",
        ]
    );
    let code = out.code.expect("compiles");
    for expected in [
        r#"new URL(require.u("./fonts/a.woff2?url","./fonts/a.woff2"),$meta.url).href"#,
        r#"new URL(require.u("../tex/wood.PNG?url","../tex/wood.PNG"),$meta.url)"#,
        r#"new URL("./data.json",$meta.url)"#,
        r#"new URL("./",$meta.url)"#,
        r#"new URL("./processor.ts",$meta.url)"#,
        r#"new URL("./a.png?v=1",$meta.url)"#,
        r#"new URL("/public.png",$meta.url)"#,
        r#"new URL("./a.png",location.href)"#,
        r#"new URL(require.u("pdfjs-dist/build/pdf.worker.min.mjs?url","pdfjs-dist/build/pdf.worker.min.mjs"),$meta.url)"#,
        r#"new URL("logo.png",$meta.url)"#,
        r#"new URL("data:text/plain,x/y",$meta.url)"#,
    ] {
        assert!(code.contains(expected), "{expected}\n{code}");
    }
}

#[test]
fn import_meta_glob_with_arguments_hotloop_cannot_read_is_an_error_at_the_call() {
    let cases = [
        (
            "const dir = './pages';\nexport const m = import.meta.glob(dir + '/*.ts');",
            "2:18 import.meta.glob() patterns must be string literals",
        ),
        (
            "export const m = import.meta.glob('./*.ts', { query: { w: [200] } });",
            "1:18 import.meta.glob() `query` must be a string",
        ),
        (
            "export const m = import.meta.glob('./*.ts', { lazy: true });",
            "1:18 import.meta.glob() has no option `lazy`",
        ),
        (
            "export const m = import.meta.glob(['!./a.ts']);",
            "1:18 import.meta.glob() needs at least one pattern that is not a `!` exclusion",
        ),
        (
            "export const m = import.meta.glob('./[a.ts');",
            "1:18 import.meta.glob() pattern './[a.ts' is not a valid glob",
        ),
    ];
    for (text, expected) in cases {
        let out = compile("/src/a.ts", text);
        assert!(out.code.is_none(), "{text}");
        let d = &out.diagnostics[0];
        let actual = format!("{}:{} {}", d.line, d.column, d.message);
        assert!(actual.starts_with(expected), "{text}\n{actual}");
        assert!(!d.code_frame.is_empty(), "{text}");
    }
}

#[test]
fn glob_module_code_per_option() {
    let matches = [
        GlobMatch {
            key: "./pages/a.tsx".into(),
            specifier: "./pages/a.tsx".into(),
        },
        GlobMatch {
            key: "/docs/b.md".into(),
            specifier: "../docs/b.md?raw".into(),
        },
    ];
    let call = |eager: bool, import: Option<&str>| GlobImport {
        patterns: vec!["./**".into()],
        eager,
        import: import.map(Into::into),
        query: None,
        base: None,
        exhaustive: false,
        line: 3,
        column: 7,
    };
    let body = |module: &CompiledModule| {
        let code = module.code.as_deref().unwrap();
        code.lines().skip(1).collect::<Vec<_>>().join("\n")
    };
    let lazy = glob_module(&call(false, None), &matches);
    expect![[r#"
        module.exports = {
          "./pages/a.tsx": () => require.dynamic("./pages/a.tsx"),
          "/docs/b.md": () => require.dynamic("../docs/b.md?raw"),
        };
        })"#]]
    .assert_eq(&body(&lazy));
    assert_eq!(
        render_imports(&lazy.imports),
        ["Dynamic ./pages/a.tsx 3:7", "Dynamic ../docs/b.md?raw 3:7"]
    );
    let eager = glob_module(&call(true, Some("default")), &matches);
    expect![[r#"
        module.exports = {
          "./pages/a.tsx": require.namespace("./pages/a.tsx")["default"],
          "/docs/b.md": require.namespace("../docs/b.md?raw")["default"],
        };
        })"#]]
    .assert_eq(&body(&eager));
    assert_eq!(
        render_imports(&eager.imports),
        ["Static ./pages/a.tsx 3:7", "Static ../docs/b.md?raw 3:7"]
    );
    expect![[r#"
        module.exports = {
          "./pages/a.tsx": () => require.dynamic("./pages/a.tsx").then((m) => m["setup"]),
          "/docs/b.md": () => require.dynamic("../docs/b.md?raw").then((m) => m["setup"]),
        };
        })"#]]
    .assert_eq(&body(&glob_module(&call(false, Some("setup")), &matches)));
    expect![[r#"
        module.exports = {};
        })"#]]
    .assert_eq(&body(&glob_module(&call(true, None), &[])));
}

/// The whole pipeline on the file `PACKAGE_INDEX` (what an app's own CommonJS file gets; a
/// package's is served as written, below), with a `require` of its own that must not be
/// taken for a dependency.
#[test]
fn commonjs_module_keeps_its_shape_and_drops_dead_branches() {
    check_code(
        "/src/legacy.cjs",
        &format!(
            "{PACKAGE_INDEX}function local(require) {{ return require('./not-a-dependency'); }}\n"
        ),
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            module.exports = require("./cjs/react.development.js");
            const impl = require("./dev");
            const checks = "production" !== "development" && require("./checks");
            const skipped = "development" === "production";
            exports.lazy = ()=>require.dynamic("./lazy.js");
            exports.mode = typeof "development";
            exports.text = `a
              b` + "c  d";
            function local(require1) {
                return require1("./not-a-dependency");
            }
            })
        "#]],
    );
}

#[test]
fn the_react_pass_runs_only_on_jsx_or_for_fast_refresh() {
    let text = "export const A = createReactClass({ render() { return 1 < 2; } });";
    let without = compile_with("/node_modules/p/a.js", text, false);
    assert!(!without.code.expect("code").contains("displayName"));
    let with_refresh = compile_with("/src/a.js", text, true);
    assert!(with_refresh.code.expect("code").contains("displayName"));
    let jsx = compile_with(
        "/node_modules/p/b.js",
        "export const B = () => <b>{1 < 2}</b>;",
        false,
    );
    assert!(jsx.code.expect("code").contains("jsxDEV"));
}

/// A package's CommonJS script compiled as `parsed_module` compiles npm files.
fn compile_package_script(id: &str, text: &str) -> CompiledModule {
    compile_module(
        id,
        SourceKind::Js,
        text,
        &TransformOptions {
            react_refresh: false,
            verbatim_commonjs: true,
            ..TransformOptions::default()
        },
    )
}

const PACKAGE_INDEX: &str = r#"#!/usr/bin/env node
'use strict';
/** React's entry: one build or the other. */
if (process.env.NODE_ENV === 'production') {
  module.exports = require('./cjs/react.production.js');
} else {
  module.exports = require('./cjs/react.development.js');
}
const impl = process.env.NODE_ENV !== 'development' ? require('./prod') : require('./dev');
const checks = "production" !== process.env.NODE_ENV && require('./checks');
const skipped = process.env.NODE_ENV === 'production' && require('./never');
exports.lazy = () => import('./lazy.js', { with: {} });
exports.mode = typeof process.env.NODE_ENV;
exports.text = `a
  b` + 'c\
  d';
//# sourceMappingURL=index.js.map
"#;

#[test]
fn a_packages_commonjs_script_is_served_as_written_with_its_edits() {
    let out = compile_package_script("/node_modules/react/index.js", PACKAGE_INDEX);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    expect![[r#"
        (function(module,exports,require,$meta){

        'use strict';
        /** React's entry: one build or the other. */
        {

        {
        module.exports = require('./cjs/react.development.js');
        }}
        const impl = "development" !== 'development' ? require('./prod') : require('./dev');
        const checks = "production" !== "development" && require('./checks');
        const skipped = "development" === 'production';
        exports.lazy = () => require.dynamic('./lazy.js');
        exports.mode = typeof "development";
        exports.text = `a
          b` + 'c\
          d';
        })"#]]
    .assert_eq(out.code.as_deref().expect("code"));
    let specs: Vec<&str> = out.imports.iter().map(|i| &*i.specifier).collect();
    assert_eq!(
        specs,
        [
            "./cjs/react.development.js",
            "./dev",
            "./checks",
            "./lazy.js"
        ],
        "the imports are the requires left in the code"
    );
    assert!(out.hot.commonjs);
    // Every line is where it was, one below for the factory's header: one mapping per line.
    let code: Vec<&str> = out.code.as_deref().expect("code").lines().collect();
    for (line, text) in PACKAGE_INDEX.lines().enumerate() {
        if text.contains("development.js") || text.starts_with("exports.") {
            assert_eq!(
                code[line + 1].split(" = ").next(),
                text.trim_start().split(" = ").next()
            );
        }
    }
    let map: serde_json::Value = serde_json::from_str(&map_text(&out).expect("map")).unwrap();
    assert_eq!(map["sources"][0], "/node_modules/react/index.js");
    let mappings = map["mappings"].as_str().unwrap();
    // The header's line, then one per line of the body (the last line, its cut comment, is
    // trimmed with the body's trailing newlines).
    assert_eq!(mappings.split(';').count(), code.len() - 1);
    assert!(mappings.starts_with(";AAAA;AACA;"), "{mappings}");
    // `  module.exports = …` starts at column 2 of its line, the `}` below it at 0.
    assert!(mappings.contains(";AACE;AACF;"), "{mappings}");
}

#[test]
fn a_packages_script_the_edits_cannot_serve_takes_the_whole_pipeline() {
    let printed_again = |text: &str| {
        let out = compile_package_script("/node_modules/p/index.js", text);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        !out.code.expect("code").contains("/* as written */")
    };
    // JSX, which the React pass compiles.
    assert!(printed_again("/* as written */ module.exports = <div />;"));
    // `import()` where the rewrite's `require.dynamic` would call a local `require`.
    assert!(printed_again(
        "/* as written */ module.exports = function (require) { return import('./x.js'); };"
    ));
    // An HTML-like comment, which a module worker's chunk could not hold.
    assert!(printed_again(
        "/* as written */ module.exports = 1;\n<!-- an old script's guard\n"
    ));
    // A `define` the file may use.
    let out = compile_module(
        "/node_modules/p/index.js",
        SourceKind::Js,
        "/* as written */ module.exports = __APP_VERSION__;",
        &TransformOptions {
            verbatim_commonjs: true,
            define: Arc::new([("__APP_VERSION__".into(), "\"1.0\"".into())]),
            ..TransformOptions::default()
        },
    );
    assert!(out.code.expect("code").contains("\"1.0\""));
    // And what the edits serve keeps its comments.
    assert!(!printed_again(
        "/* as written */ module.exports = function (require) { return require('./x.js'); };"
    ));
}

/// The edits do what the whole pipeline's rewrite does: both factories print the same under
/// node.
#[test]
fn a_packages_script_served_as_written_runs_as_the_whole_pipelines() {
    let text = "if (process.env.NODE_ENV === 'production') { module.exports = require('./prod.js'); }\n\
                else { module.exports = require('./dev.js'); }\n\
                exports = module.exports;\n\
                exports.lazy = () => import('./dev.js').then((m) => m.default.name);\n\
                exports.flag = process.env.NODE_ENV !== 'production' ? 'dev' : 'prod';\n";
    let main = "const p = require('./pkg.js');\n\
                console.log(p.name, p.flag);\n\
                p.lazy().then((name) => console.log('lazy', name));\n";
    let dev = "module.exports = { name: 'dev build' };";
    let run = |verbatim_commonjs: bool| {
        let compile = |id: &str, text: &str| {
            compile_module(
                id,
                SourceKind::Js,
                text,
                &TransformOptions {
                    verbatim_commonjs,
                    ..TransformOptions::default()
                },
            )
            .code
            .expect("code")
        };
        let mut defs = serde_json::Map::new();
        defs.insert(
            "/main.js".into(),
            serde_json::json!([{ "./pkg.js": "/pkg.js" }, &*compile("/main.js", main)]),
        );
        defs.insert(
            "/pkg.js".into(),
            serde_json::json!([{ "./dev.js": "/dev.js" }, &*compile("/pkg.js", text)]),
        );
        defs.insert(
            "/dev.js".into(),
            serde_json::json!([{}, &*compile("/dev.js", dev)]),
        );
        run_in_node(defs, "/main.js")
    };
    let as_written = run(true);
    assert_eq!(as_written, "dev build dev\nlazy dev build\n");
    assert_eq!(as_written, run(false));
}

#[test]
fn imports_in_a_file_that_exports_through_exports_leave_it_a_commonjs_module() {
    // vite-plugin-node-polyfills injects an ESM import of its `process` shim into CommonJS
    // files (`node_modules/util/util.js`): no `require.esm()`, so a default import of the file
    // is its `exports` (it was `undefined`).
    let text = "import process from 'shims/process';\nexports.format = function () { return process.env.X; };\n";
    check_code(
        "/node_modules/util/util.js",
        text,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            const _process = require.d(require("shims/process"));
            exports.format = function() {
                return _process.default.env.X;
            };
            })
        "#]],
    );
    let out = compile("/node_modules/util/util.js", text);
    assert!(out.hot.commonjs);
    assert_eq!(out.exports, None, "its names are not read from ESM syntax");
    // A module with an ESM export stays an ES module, whatever else it does.
    let out = compile(
        "/src/a.js",
        "import x from './x';\nexport const a = 1;\nif (typeof module !== 'undefined') module.hot = 1;\n",
    );
    assert!(out.code.unwrap().contains("require.esm({"));
    assert!(!out.hot.commonjs);
}

#[test]
fn hot_accept_forms_use_the_meta_parameter() {
    check_code(
        "/src/hot.js",
        r#"export const value = 1;
if (import.meta.hot) {
  import.meta.hot.accept();
  import.meta.hot.accept("./dep.js", (mod) => console.log(mod.value));
  import.meta.hot.accept(["./a.js", "./b.js"], ([a, b]) => {});
  import.meta.hot?.dispose((data) => { data.saved = value; });
  import.meta.hot.data.count = (import.meta.hot.data.count ?? 0) + 1;
}
"#,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                value: 0
            });
            const value = 1;
            exports.value = value;
            if ($meta.hot) {
                $meta.hot.accept();
                $meta.hot.accept("./dep.js", (mod)=>console.log(mod.value));
                $meta.hot.accept([
                    "./a.js",
                    "./b.js"
                ], ([a, b])=>{});
                $meta.hot?.dispose((data)=>{
                    data.saved = value;
                });
                $meta.hot.data.count = ($meta.hot.data.count ?? 0) + 1;
            }
            })
        "#]],
    );
}

#[test]
fn refresh_off_emits_no_registrations() {
    let out = compile_with("/src/Counter.tsx", COUNTER_TSX, false);
    let code = out.code.expect("compiles");
    assert!(
        !code.contains("$RefreshReg$(") && !code.contains("$RefreshSig$()"),
        "{code}"
    );
    assert!(!out.hot.refresh_boundary);
}

#[test]
fn react_19_jsx_dev_calls_leave_out_source_and_self() {
    let compile = |jsx_dev_source| {
        let options = TransformOptions {
            jsx_dev_source,
            ..TransformOptions::default()
        };
        compile_module("/src/Counter.tsx", SourceKind::Tsx, COUNTER_TSX, &options)
            .code
            .expect("compiles")
    };
    let with_source = compile(true);
    assert!(
        with_source.contains(
            r#"jsxDEV)("button",{onClick:()=>setN(n+1),children:n},void 0,false,{fileName:"/src/Counter.tsx",lineNumber:8,columnNumber:10},this)"#
        ),
        "{with_source}"
    );
    let without = compile(false);
    assert!(
        without.contains(r#"jsxDEV)("button",{onClick:()=>setN(n+1),children:n},void 0,false)"#)
            && without.contains(r#"jsxDEV)("span",{children:"count"},void 0,false)"#)
            && !without.contains("fileName"),
        "{without}"
    );
    // A user's own function of that name is not React's.
    let own = compile_module(
        "/src/own.jsx",
        SourceKind::Jsx,
        "const _jsxDEV = (...a) => a.length;\nexport const n = _jsxDEV(1, 2, 3, 4, 5, 6) + <b />;\n",
        &TransformOptions {
            jsx_dev_source: false,
            ..TransformOptions::default()
        },
    )
    .code
    .expect("compiles");
    assert!(own.contains("_jsxDEV(1,2,3,4,5,6)"), "{own}");
}

// ---------------------------------------------------------------------------------------------
// Imports

#[test]
fn imports_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "/src/a.js",
            "import a from './a';\nimport './b';\nimport * as c from './c';\nimport { d } from './d';",
            &[
                "Static ./a 1:15",
                "Static ./b 2:8",
                "Static ./c 3:20",
                "Static ./d 4:19",
            ],
        ),
        (
            "/src/a.js",
            "export * from './x';\nexport { y } from './y';\nexport * as z from './z';",
            &[
                "ReExport ./x 1:15",
                "ReExport ./y 2:19",
                "ReExport ./z 3:20",
            ],
        ),
        (
            "/src/a.js",
            "const m = import('./m');\nconst n = import(`./n`);\nconst o = import(name);",
            &["Dynamic ./m 1:18", "Dynamic ./n 2:18"],
        ),
        (
            "/src/a.cjs",
            "const x = require('./x');\nconst y = require(name);\nrequire.resolve('./z');",
            &["Require ./x 1:19"],
        ),
        (
            "/src/a.js",
            "function f(require) { return require('./local'); }\nconst require2 = require('./global');",
            &["Require ./global 2:26"],
        ),
        (
            "/src/a.js",
            "const require = () => 1;\nrequire('./shadowed');",
            &[],
        ),
        (
            "/src/a.ts",
            "import type { T } from './t';\nimport { type U } from './u';\nimport { V } from './v';\n\
             export type { W } from './w';\nexport type * from './x';\nlet a: T = V;\n\
             import { OnlyTypes } from './only-types';\nlet b: OnlyTypes;",
            &["Static ./v 3:19"],
        ),
        (
            "/src/a.js",
            "if (process.env.NODE_ENV === 'production') { require('./prod'); } else { require('./dev'); }\n\
             if (process.env.NODE_ENV !== \"development\") require('./not-dev');\n\
             const x = process.env.NODE_ENV == 'development' ? require('./yes') : require('./no');\n\
             process.env.NODE_ENV === 'production' && require('./and-dead');\n\
             process.env.NODE_ENV === 'development' || require('./or-dead');\n\
             if (!(process.env.NODE_ENV === 'development')) require('./not-dead');\n\
             if (someFlag) require('./unknown');",
            &[
                "Require ./dev 1:82",
                "Require ./yes 3:59",
                "Require ./unknown 7:23",
            ],
        ),
        (
            "/src/a.js",
            "const process = { env: { NODE_ENV: 'production' } };\n\
             if (process.env.NODE_ENV === 'production') require('./local-process');",
            &["Require ./local-process 2:52"],
        ),
        (
            "/src/a.js",
            "import.meta.hot.accept('./dep', () => {});\nimport.meta.hot.accept(['./x', './y'], () => {});",
            &[
                "HotAccept ./dep 1:24",
                "HotAccept ./x 2:25",
                "HotAccept ./y 2:32",
            ],
        ),
        (
            "/src/A.jsx",
            "import { x } from './x';\nexport const A = () => <div>{x}</div>;",
            &["Static react/jsx-dev-runtime 1:1", "Static ./x 1:19"],
        ),
        (
            "/src/a.cjs",
            "module.exports = () => <div/>;",
            &["Require react/jsx-dev-runtime 1:1"],
        ),
        (
            "/src/unicode.js",
            "const s = 'héllo wörld'; import x from './ü';",
            &["Static ./ü 1:40"],
        ),
    ];
    for (id, text, expected) in cases {
        let out = compile(id, text);
        assert!(out.diagnostics.is_empty(), "{text}\n{:?}", out.diagnostics);
        assert_eq!(render_imports(&out.imports), *expected, "imports of {text}");
    }
}

#[test]
fn dead_branch_requires_are_removed_from_the_code_too() {
    let out = compile(
        "/node_modules/react/index.js",
        "if (process.env.NODE_ENV === 'production') { module.exports = require('./p'); } \
         else { module.exports = require('./d'); }",
    );
    let code = out.code.expect("compiles");
    assert!(
        code.contains("require(\"./d\")") && !code.contains("./p"),
        "{code}"
    );
}

// ---------------------------------------------------------------------------------------------
// Hot facts

#[test]
fn hot_facts_table() {
    let cases: &[(&str, &str, &str)] = &[
        ("/src/a.js", "export const a = 1;", ""),
        ("/src/a.js", "import.meta.hot.accept();", "self_accepts"),
        (
            "/src/a.js",
            "import.meta.hot.accept(() => {});",
            "self_accepts",
        ),
        (
            "/src/a.js",
            "function cb() {}\nimport.meta.hot.accept(cb);",
            "self_accepts",
        ),
        ("/src/a.js", "import.meta.hot?.accept();", "self_accepts"),
        (
            "/src/a.js",
            "import.meta.hot?.accept?.((m) => {});",
            "self_accepts",
        ),
        (
            "/src/a.js",
            "if (import.meta.hot) { import.meta.hot.accept(); }",
            "self_accepts",
        ),
        ("/src/a.ts", "import.meta.hot!.accept();", "self_accepts"),
        (
            "/src/a.js",
            "import.meta.hot.accept('./dep', () => {});",
            "deps=./dep",
        ),
        (
            "/src/a.js",
            "import.meta.hot.accept(['./a', './b'], () => {});\nimport.meta.hot.accept('./a');",
            "deps=./a,./b",
        ),
        // Svelte 5's partial self-accept of a component with a `<script module>` export.
        (
            "/src/a.js",
            "export const metadata = {};\nimport.meta.hot.acceptExports(['default'], (m) => {});",
            "self_accepts",
        ),
        // decline() is a no-op, as in Vite: no fact at all.
        ("/src/a.js", "import.meta.hot.decline();", ""),
        ("/src/a.js", "import.meta.hot.dispose(() => {});", "dispose"),
        ("/src/a.js", "import.meta.hot.prune(() => {});", "prune"),
        (
            "/src/a.js",
            "import.meta.hot.invalidate('reason');",
            "invalidate",
        ),
        (
            "/src/a.js",
            // Re-running it in place is the page's rule (`queries::graph`), not a hot fact.
            "const d = import.meta.hot.data;",
            "data",
        ),
        ("/src/a.js", "const x = import.meta.hot?.data.x;", "data"),
        (
            "/src/a.js",
            "hot.accept(); meta.hot.accept(); import.meta.accept();",
            "",
        ),
        ("/src/a.cjs", "module.exports = 1;", "commonjs"),
        ("/src/a.js", "const x = require('./x');", "commonjs"),
        ("/src/a.js", "console.log(import.meta.url);", ""),
        ("/src/a.ts", "import type { T } from './t';\nlet x: T;", ""),
        // React Refresh boundaries.
        (
            "/src/App.jsx",
            "export default function App() { return <div/>; }",
            "refresh_boundary",
        ),
        (
            "/src/App.jsx",
            "export function A() { return <a/>; }\nexport const B = () => <b/>;\nexport class C {}",
            "refresh_boundary",
        ),
        (
            "/src/App.tsx",
            "export type Props = {};\nexport interface P {}\nexport function App(p: Props) { return <div/>; }",
            "refresh_boundary",
        ),
        (
            "/src/App.jsx",
            "function App() { return <div/>; }\nexport { App as Main };",
            "refresh_boundary",
        ),
        (
            "/src/App.jsx",
            "function App() { return <div/>; }\nexport default App;",
            "refresh_boundary",
        ),
        // A component under a lowercase name (TanStack Router's split route component).
        (
            "/src/routes/split.tsx",
            "function Index() { return <div/>; }\nexport { Index as component };",
            "refresh_boundary",
        ),
        (
            "/src/App.jsx",
            "const helper = 1;\nexport { helper as Helper };",
            "",
        ),
        (
            "/src/App.jsx",
            "export default function App() { return <div/>; }\nexport const helper = 1;",
            "",
        ),
        ("/src/App.jsx", "export default () => <div/>;", ""),
        (
            "/src/App.jsx",
            "export * from './x';\nexport function App() { return <div/>; }",
            "",
        ),
        (
            "/src/main.jsx",
            "function App() { return <div/>; }\nrender(<App/>);",
            "commonjs",
        ),
        (
            "/src/main.jsx",
            "import { render } from './r';\nfunction App() { return <div/>; }\nrender(<App/>);",
            "",
        ),
        ("/src/util.js", "export const Config = { a: 1 };", ""),
        ("/src/Thing.js", "export class Thing {}", ""),
    ];
    for (id, text, expected) in cases {
        let out = compile(id, text);
        assert!(out.diagnostics.is_empty(), "{text}\n{:?}", out.diagnostics);
        assert_eq!(render_hot(&out.hot), *expected, "hot facts of {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Source maps

/// Decodes the `mappings` of a v3 map into, per generated line, `(gen col, src line, src col)`.
fn decode_mappings(mappings: &str) -> Vec<Vec<(i64, i64, i64)>> {
    const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut src_line, mut src_col) = (0i64, 0i64);
    let mut lines = Vec::new();
    for line in mappings.split(';') {
        let mut gen_col = 0i64;
        let mut segments = Vec::new();
        for segment in line.split(',').filter(|s| !s.is_empty()) {
            let mut fields = Vec::new();
            let (mut value, mut shift) = (0i64, 0);
            for c in segment.chars() {
                let digit = B64.find(c).expect("base64 digit") as i64;
                value += (digit & 31) << shift;
                if digit & 32 != 0 {
                    shift += 5;
                } else {
                    let v = if value & 1 == 1 {
                        -(value >> 1)
                    } else {
                        value >> 1
                    };
                    fields.push(v);
                    value = 0;
                    shift = 0;
                }
            }
            gen_col += fields[0];
            if fields.len() >= 4 {
                src_line += fields[2];
                src_col += fields[3];
                segments.push((gen_col, src_line, src_col));
            }
        }
        lines.push(segments);
    }
    lines
}

#[test]
fn source_map_points_into_the_original_through_the_header_line() {
    let text = "import { useState } from 'react';\n\nexport function App() {\n  const [n] = useState(1);\n  return n;\n}\n";
    let out = compile("/src/App.ts", text);
    let code = out.code.clone().expect("compiles");
    let map: serde_json::Value =
        serde_json::from_str(&map_text(&out).expect("a map")).expect("json");
    assert_eq!(map["version"], 3);
    assert_eq!(map["sources"], serde_json::json!(["/src/App.ts"]));
    // The text is not copied into the map (the server puts the file's back in).
    assert_eq!(map.get("sourcesContent"), None);

    // `const [n]` is on line 4 (0-based 3), column 3 (0-based 2) of the original.
    let (gen_line, gen_col) = code
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("const[n]").map(|c| (i, c as i64)))
        .expect("the declaration is emitted");
    let lines = decode_mappings(map["mappings"].as_str().expect("mappings"));
    assert!(lines[0].is_empty(), "the header line maps to nothing");
    let segment = lines[gen_line]
        .iter()
        .find(|s| s.0 == gen_col)
        .expect("a mapping at the declaration");
    assert_eq!((segment.1, segment.2), (3, 2));
}

// ---------------------------------------------------------------------------------------------
// Diagnostics and robustness

#[test]
fn syntax_error_has_location_and_code_frame() {
    let out = compile(
        "/src/broken.ts",
        "const a = 1;\nconst b = (2;\nconst c = 3;\n",
    );
    assert_eq!(out.code, None);
    assert_eq!(out.map, None);
    expect![[r#"
        Syntax /src/broken.ts:2:13: Expected ',', got ';'
          1 | const a = 1;
        > 2 | const b = (2;
            |             ^
          3 | const c = 3;
    "#]]
    .assert_eq(&render_diagnostics(&out.diagnostics));
}

/// A stray `<` before a JSX element: swc recovers and reports a cascade two lines on
/// ("Expected ',', got 'ident'"); the first error is the one shown, as Vite's overlay shows one.
#[test]
fn a_syntax_errors_cascade_is_not_reported() {
    let out = compile(
        "/src/App.tsx",
        "export default function App() {\n  return (\n    <<div>\n      <p style={{ p: { color: 'red' } }} />\n    </div>\n  )\n}\n",
    );
    assert_eq!(
        out.diagnostics.len(),
        1,
        "{}",
        render_diagnostics(&out.diagnostics)
    );
    assert_eq!(
        out.diagnostics[0].line,
        3,
        "{}",
        render_diagnostics(&out.diagnostics)
    );
}

#[test]
fn each_syntax_error_is_reported_once() {
    let out = compile("/src/j.ts", "const x = <div>hi</div>;\n");
    expect![[r#"
        Syntax /src/j.ts:1:19: Unterminated regexp literal
        > 1 | const x = <div>hi</div>;
            |                   ^
    "#]]
    .assert_eq(&render_diagnostics(&out.diagnostics));
}

#[test]
fn a_cascade_on_the_same_line_is_one_error() {
    let out = compile(
        "/src/App.tsx",
        "export function App() {\n  return <div><h1 title v2</h1></div>;\n}\n",
    );
    assert_eq!(out.code, None);
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    assert_eq!(out.diagnostics[0].line, 2);
}

#[test]
fn recoverable_parse_errors_are_reported_too() {
    // The parser recovers from these and reports them through `take_errors`.
    let out = compile("/src/a.js", "export const a = 1;\nwith (a) {}\n");
    assert_eq!(out.code, None);
    expect![[r#"
        Syntax /src/a.js:2:1: With statement are not allowed in strict mode
          1 | export const a = 1;
        > 2 | with (a) {}
            | ^
    "#]]
    .assert_eq(&render_diagnostics(&out.diagnostics));
}

#[test]
fn redeclared_lexical_bindings_are_syntax_errors() {
    let out = compile(
        "/src/a.js",
        "let x = 1;\nfunction f() { const y = 1; { let y; } }\nconst { x } = o;\n",
    );
    assert_eq!(out.code, None);
    expect![[r#"
        Syntax /src/a.js:3:9: `x` has already been declared
          1 | let x = 1;
          2 | function f() { const y = 1; { let y; } }
        > 3 | const { x } = o;
            |         ^
    "#]]
    .assert_eq(&render_diagnostics(&out.diagnostics));
    // Shadowing in nested scopes, `var` redeclarations and TS declaration merging are fine.
    for (id, text) in [
        (
            "/src/b.js",
            "let x; { let x; } function f(x) { { let x; } } var v; var v;",
        ),
        (
            "/src/c.ts",
            "enum E { A } enum E { B = 2 }\nnamespace N { export const a = 1; } namespace N { export const b = 2; }\nclass K {} namespace K { export const c = 1; }\nfunction o(a: string): void; function o(a: any) {}",
        ),
    ] {
        let out = compile(id, text);
        assert!(out.diagnostics.is_empty(), "{text}: {:?}", out.diagnostics);
    }
}

#[test]
fn top_level_await_makes_an_async_factory() {
    let out = compile(
        "/src/config.ts",
        "import { base } from './base';\nexport const data: string = await fetch(base).then((r) => r.text());\nfor await (const x of []) {}\n",
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let code = out.code.clone().expect("code");
    assert!(code.starts_with(PLAIN_ASYNC_FACTORY_HEADER), "{code}");
    assert!(code.contains("await fetch(_base.base)"), "{code}");
    // The map still accounts for exactly one header line: line 2 is the first body line.
    let map: serde_json::Value = serde_json::from_str(&map_text(&out).expect("map")).unwrap();
    assert!(map["mappings"].as_str().unwrap().starts_with(';'), "{map}");
    // `await` inside functions only: a plain factory.
    for text in [
        "export const f = async () => await fetch('/x');\n",
        "export async function g() { for await (const x of []) {} }\n",
    ] {
        let out = compile("/src/b.js", text);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert!(out.code.expect("code").starts_with(PLAIN_FACTORY_HEADER));
    }
}

#[test]
fn garbage_and_binary_input_does_not_panic() {
    let inputs: Vec<String> = vec![
        String::new(),
        "\u{0}\u{1}\u{2}\u{fffd}\u{7f}".to_string(),
        "<<<<>>>>{{{{".to_string(),
        "`${`${`${".to_string(),
        "/*".to_string(),
        "'unterminated".to_string(),
        "class { constructor( }".to_string(),
        "import { from 'x'".to_string(),
        "export default <div>{</div>".to_string(),
        (0u8..=255).map(char::from).collect(),
        "\u{feff}export const a = 1;".to_string(),
    ];
    for text in &inputs {
        for kind in [
            SourceKind::Js,
            SourceKind::Jsx,
            SourceKind::Ts,
            SourceKind::Tsx,
        ] {
            let out = compile_module("/src/x", kind, text, &TransformOptions::default());
            assert!(
                out.code.is_some() == out.diagnostics.is_empty(),
                "either code or diagnostics for {text:?} as {kind:?}: {out:?}"
            );
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!("x = {}1{};", "[".repeat(5000), "]".repeat(5000));
    let out = compile("/src/deep.js", &deep);
    assert_eq!(out.code, None);
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].kind, DiagnosticKind::Syntax);
    assert!(
        out.diagnostics[0].message.contains("nested"),
        "{:?}",
        out.diagnostics
    );

    // Just under the limit, and long flat chains the parser nests internally, both compile.
    let ok = format!(
        "x = {}1{};",
        "(".repeat(guard::MAX_NESTING - 1),
        ")".repeat(guard::MAX_NESTING - 1)
    );
    assert!(compile("/src/ok.js", &ok).code.is_some());
    let chain = format!("x = 'a'{};", " + 'a'".repeat(20_000));
    assert!(compile("/src/chain.js", &chain).code.is_some());
}

#[test]
fn on_a_declared_big_stack_thread_deep_input_compiles_in_place() {
    let ok = format!(
        "x = {}1{};",
        "(".repeat(guard::MAX_NESTING - 1),
        ")".repeat(guard::MAX_NESTING - 1)
    );
    let chain = format!("x = 'a'{};", " + 'a'".repeat(20_000));
    let compiled = std::thread::Builder::new()
        .stack_size(guard::STACK_SIZE)
        .spawn(move || {
            assume_big_stack();
            let thread = std::thread::current().id();
            let on_this_thread = guard::run_guarded(move || std::thread::current().id() == thread);
            (
                on_this_thread,
                compile("/src/ok.js", &ok).code.is_some(),
                compile("/src/chain.js", &chain).code.is_some(),
            )
        })
        .expect("spawn")
        .join()
        .expect("no crash");
    assert_eq!(compiled, (Ok(true), true, true));
}

#[test]
fn five_megabyte_input_compiles() {
    // 1 MB of small functions that all use the same local names (the shape of minified
    // libraries, and what made swc's own hygiene pass quadratic), then 4 MB of data.
    let function = "export function f0(a, b) {\n  const list = [a, b, { key: 'v', n: 42 }];\n  return list.map((x) => x && x.n).filter(Boolean);\n}\n";
    let mut text = String::with_capacity(5 << 20);
    let mut count = 0;
    while text.len() < 1 << 20 {
        text.push_str(&function.replace("f0", &format!("f{count}")));
        count += 1;
    }
    let row = format!("  \"{}\",\n", "data ".repeat(40));
    text.push_str("export const rows = [\n");
    while text.len() < 5 << 20 {
        text.push_str(&row);
    }
    text.push_str("];\n");

    let out = compile("/src/big.js", &text);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics.first());
    let code = out.code.expect("compiles");
    assert!(code.contains(&format!("function f{}(a,b)", count - 1)));
    // The data rows lose their indentation and line breaks, nothing else.
    assert!(code.len() > 4 << 20);
}

// ---------------------------------------------------------------------------------------------
// JSON and assets

#[test]
fn json_module() {
    let out = compile_json(
        "/src/data.json",
        "{\n  \"a\": [1, 2],\n  \"b\": \"x\"\n}\n",
        &JsonOptions::default(),
    );
    expect![[r#"
        (function(module,exports,require,$meta){
        module.exports = {
          "a": [1, 2],
          "b": "x"
        };
        })"#]]
    .assert_eq(out.code.as_deref().expect("code"));
    let map: serde_json::Value = serde_json::from_str(&map_text(&out).expect("map")).expect("json");
    assert_eq!(map["mappings"], ";AAAA;AACA;AACA;AACA");

    let bad = compile_json(
        "/src/bad.json",
        "{\n  \"a\": 1,\n}\n",
        &JsonOptions::default(),
    );
    assert_eq!(bad.code, None);
    expect![[r#"
        Syntax /src/bad.json:3:1: invalid JSON: key must be a string
          1 | {
          2 |   "a": 1,
        > 3 | }
            | ^
    "#]]
    .assert_eq(&render_diagnostics(&bad.diagnostics));
}

/// Vite's `json.stringify` (`true`, or `'auto'`: over 10 kB) and `json.namedExports: false`.
#[test]
fn json_module_as_the_config_asks() {
    let text = "{\n  \"a\": \"quote \\\" here\"\n}\n";
    let always = JsonOptions {
        stringify: JsonStringify::Always,
        named_exports: true,
    };
    let out = compile_json("/src/data.json", text, &always);
    expect![[r#"
        (function(module,exports,require,$meta){
        module.exports = JSON.parse("{\n  \"a\": \"quote \\\" here\"\n}");
        })"#]]
    .assert_eq(out.code.as_deref().expect("code"));
    let map: serde_json::Value = serde_json::from_str(&map_text(&out).expect("map")).expect("json");
    assert_eq!(map["mappings"], ";AAAA");

    let default_only = JsonOptions {
        stringify: JsonStringify::Never,
        named_exports: false,
    };
    let out = compile_json("/src/data.json", text, &default_only);
    expect![[r#"
        (function(module,exports,require,$meta){
        Object.defineProperty(exports, "__esModule", { value: true });
        exports.default = {
          "a": "quote \" here"
        };
        })"#]]
    .assert_eq(out.code.as_deref().expect("code"));
    let map: serde_json::Value = serde_json::from_str(&map_text(&out).expect("map")).expect("json");
    assert_eq!(map["mappings"], ";;AAAA;AACA;AACA");

    // `auto`, the default: an object literal up to 10 kB, `JSON.parse` above.
    let small = compile_json("/src/s.json", "[1]", &JsonOptions::default());
    assert!(small.code.unwrap().contains("module.exports = [1];"));
    let big = format!("[{}1]", "1,".repeat(5_000));
    let big = compile_json("/src/b.json", &big, &JsonOptions::default());
    assert!(
        big.code
            .unwrap()
            .contains("module.exports = JSON.parse(\"[1,1,")
    );
}

#[test]
fn string_module_exports_its_value() {
    let out = string_module("/src/logo.svg?v=ab\"c");
    expect![[r#"
        (function(module,exports,require,$meta){
        module.exports = "/src/logo.svg?v=ab\"c";
        })"#]]
    .assert_eq(out.code.as_deref().expect("code"));
}

// ---------------------------------------------------------------------------------------------
// The factories run

/// Builds factories for a small graph (ESM importing ESM and CommonJS, a live binding, a
/// cycle, a dynamic import, JSON) and runs them in node under a minimal registry.
#[test]
fn factories_run_under_node() {
    /// (id, source, deps map)
    type Module = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let modules: &[Module] = &[
        (
            "/src/main.js",
            r#"import { count, increment } from "./counter.ts";
import * as counter from "./counter.ts";
import legacy, { named } from "./legacy.cjs";
import { a } from "./cycle-a.js";
import data from "./data.json";
import "./clash.jsx";
import * as names from "./names.js";
console.log("names", names["a-b"], names._export(), names.default, Object.keys(names).join(), names.__esModule, Object.keys(names).includes("__esModule"), Object.hasOwn(names, "__proto__"));
console.log("count", count);
increment();
console.log("count after", count, counter.count);
console.log("legacy", legacy.kind, named);
console.log("cycle", a());
console.log("json", data.list.length);
console.log("meta", import.meta.url, process.env.NODE_ENV);
import("./lazy.js").then((m) => console.log("lazy", m.default, m.value));
legacy.viaImport(() => "captured").then((m) => console.log("legacy lazy", m.value));
"#,
            &[
                ("./clash.jsx", "/src/clash.jsx"),
                ("./counter.ts", "/src/counter.ts"),
                ("./legacy.cjs", "/src/legacy.cjs"),
                ("./cycle-a.js", "/src/cycle-a.js"),
                ("./data.json", "/src/data.json"),
                ("./lazy.js", "/src/lazy.js"),
                ("./names.js", "/src/names.js"),
            ],
        ),
        // Export names that are not identifiers, and a function of the module's own named as
        // swc's export helper, first in the module.
        (
            "/src/names.js",
            "function _export() { return 'user'; }\nconst x = 1;\nexport { x as 'a-b', _export, x as __proto__ };\nexport default 2;\n",
            &[],
        ),
        (
            "/src/counter.ts",
            "export let count: number = 0;\nexport function increment(): void { count++; }\n",
            &[],
        ),
        (
            "/src/legacy.cjs",
            "module.exports = { kind: 'cjs', named: 'n' };\n\
             module.exports.viaImport = function (require) { return import('./lazy.js'); };\n",
            &[("./lazy.js", "/src/lazy.js")],
        ),
        // User names equal to every name the pipeline generates: nothing may be captured.
        (
            "/src/clash.jsx",
            r#"import * as React from "./react-stub.js";
const _reactstub = "u1", _interop_require_wildcard = "u2", _export = "u3";
const _s = "u4", _c = "u5", _jsxDEV = "u6", $meta = "u7";
export function Comp() { const [a] = React.useState(1); return <b>{a}</b>; }
function inner(require) { return import("./lazy.js"); }
console.log("clash", _reactstub, _interop_require_wildcard, _export, _s, _c, _jsxDEV, $meta);
console.log("clash meta", import.meta.url, Comp().props.children);
inner(() => "captured").then((m) => console.log("clash lazy", m.default));
"#,
            &[
                ("./react-stub.js", "/src/react-stub.js"),
                ("./lazy.js", "/src/lazy.js"),
                ("react/jsx-dev-runtime", "/src/jsx-stub.cjs"),
            ],
        ),
        (
            "/src/react-stub.js",
            "export function useState(v) { return [v, () => {}]; }\n",
            &[],
        ),
        (
            "/src/jsx-stub.cjs",
            "exports.jsxDEV = (type, props) => ({ type, props });\n",
            &[],
        ),
        (
            "/src/cycle-a.js",
            "import { b } from './cycle-b.js';\nexport function a() { return 'a>' + b(); }\nexport const A = 'A';\n",
            &[("./cycle-b.js", "/src/cycle-b.js")],
        ),
        (
            "/src/cycle-b.js",
            "import { A } from './cycle-a.js';\nexport function b() { return 'b>' + A; }\n",
            &[("./cycle-a.js", "/src/cycle-a.js")],
        ),
        (
            "/src/lazy.js",
            "export default 'L';\nexport const value = 42;\n",
            &[],
        ),
    ];
    let mut defs = serde_json::Map::new();
    for (id, text, deps) in modules {
        let out = compile(id, text);
        assert!(out.diagnostics.is_empty(), "{id}: {:?}", out.diagnostics);
        let deps: serde_json::Map<_, _> = deps
            .iter()
            .map(|(spec, target)| (spec.to_string(), serde_json::json!(target)))
            .collect();
        defs.insert(
            id.to_string(),
            serde_json::json!([deps, &*out.code.expect("code")]),
        );
    }
    let json = compile_json(
        "/src/data.json",
        r#"{ "list": [1, 2, 3] }"#,
        &JsonOptions::default(),
    );
    defs.insert(
        "/src/data.json".to_string(),
        serde_json::json!([{}, &*json.code.expect("code")]),
    );

    let stdout = run_in_node(defs, "/src/main.js");
    expect![[r#"
        clash u1 u2 u3 u4 u5 u6 u7
        clash meta /src/clash.jsx 1
        names 1 user 2 __proto__,_export,a-b,default true false true
        count 0
        count after 1 1
        legacy cjs n
        cycle a>b>A
        json 3
        meta /src/main.js development
        clash lazy L
        lazy L 42
        legacy lazy 42
    "#]]
    .assert_eq(&stdout);
}

/// Runs the factories `defs` (`id -> [deps map, factory]`) in node under a minimal registry,
/// starting at `entry`; returns what they printed. Fails the test when node fails.
fn run_in_node(defs: serde_json::Map<String, serde_json::Value>, entry: &str) -> String {
    let script = format!(
        r#"const defs = {defs};
const cache = {{}};
function load(id) {{
  if (cache[id]) return cache[id].exports;
  const [deps, source] = defs[id];
  const module = {{ exports: {{}} }};
  cache[id] = module;
  const factory = (0, eval)(source);
  const require = (spec) => {{
    if (!(spec in deps)) throw new Error(`cannot resolve ${{spec}} from ${{id}}`);
    return load(deps[spec]);
  }};
  // The runtime's `require.esm` (runtime/js/registry.js): the exports of the module it is
  // the first statement of; `0` is a value the factory stores (transform/export_values.rs).
  require.esm = (bindings) => {{
    const exports = module.exports;
    Object.defineProperty(exports, "__esModule", {{ value: true }});
    for (const k in bindings) {{
      if (bindings[k] === 0) exports[k] = undefined;
      else Object.defineProperty(exports, k, {{ enumerable: true, get: bindings[k] }});
    }}
  }};
  // `require.d`: swc's `_interop_require_default` (transform/interop.rs).
  require.d = (obj) => obj && obj.__esModule ? obj : {{ default: obj }};
  require.w = (obj) => obj && obj.__esModule ? obj : {{ ...obj, default: obj }};
  require.dynamic = (spec) => Promise.resolve().then(() => {{
    const e = require(spec);
    return e && e.__esModule ? e : {{ ...e, default: e }};
  }});
  const meta = {{ url: id, hot: undefined, env: {{}} }};
  const sig = () => (type) => type;
  factory.call(module.exports, module, module.exports, require, meta, () => {{}}, sig);
  return module.exports;
}}
load({entry:?});
"#,
        defs = serde_json::Value::Object(defs),
        entry = entry
    );

    let mut child = std::process::Command::new("node")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node is installed");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(script.as_bytes())
            .expect("write the script");
    }
    let output = child.wait_with_output().expect("node ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "node failed:\n{stderr}\n{stdout}");
    stdout.into_owned()
}

// ------------------------------------------------- what a tsconfig says (`ScriptConfig`)

fn compile_script(id: &str, text: &str, script: ScriptConfig) -> CompiledModule {
    let kind = SourceKind::from_path(id).expect("a JS/TS path");
    let out = compile_module(
        id,
        kind,
        text,
        &TransformOptions {
            react_refresh: true,
            script,
            ..TransformOptions::default()
        },
    );
    assert!(out.diagnostics.is_empty(), "{id}: {:?}", out.diagnostics);
    out
}

/// `(id, source, [(specifier, id)])`: one module to run.
type ScriptModule<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// Compiles each module with `script` and runs them in node from the first.
fn run_script(modules: &[ScriptModule<'_>], script: &ScriptConfig) -> String {
    let mut defs = serde_json::Map::new();
    for (id, text, deps) in modules {
        let out = compile_script(id, text, script.clone());
        let deps: serde_json::Map<_, _> = deps
            .iter()
            .map(|(spec, target)| (spec.to_string(), serde_json::json!(target)))
            .collect();
        defs.insert(
            id.to_string(),
            serde_json::json!([deps, &*out.code.expect("code")]),
        );
    }
    run_in_node(defs, modules[0].0)
}

fn script(jsx: Jsx, decorators: Decorators, use_define_for_class_fields: bool) -> ScriptConfig {
    ScriptConfig {
        jsx,
        decorators,
        use_define_for_class_fields,
        ..ScriptConfig::default()
    }
}

const PREACT_APP: &str = "import { useState } from 'preact/hooks';\n\
export function App() {\n  const [n] = useState(0);\n  return <><b>{n}</b></>;\n}\n";

#[test]
fn automatic_runtime_imports_the_tsconfigs_jsx_import_source_without_fast_refresh() {
    let preact = ScriptConfig {
        jsx: Jsx::Automatic {
            import_source: "preact".into(),
        },
        ..ScriptConfig::default()
    };
    let out = compile_script("/src/app.tsx", PREACT_APP, preact);
    assert_eq!(
        render_imports(&out.imports),
        [
            "Static preact/jsx-dev-runtime 1:1",
            "Static preact/hooks 1:26"
        ]
    );
    let code = out.code.expect("code");
    assert!(code.contains("jsxDEV"), "{code}");
    // Fast Refresh is React's: no registrations and no boundary for Preact's JSX.
    assert!(
        !code.contains("$RefreshReg$(") && !code.contains("$RefreshSig$("),
        "{code}"
    );
    assert!(!out.hot.refresh_boundary);

    // The same file with React's default registers its component.
    let react = compile_script("/src/app.tsx", PREACT_APP, ScriptConfig::default());
    assert!(react.code.expect("code").contains("$RefreshReg$("));
    assert!(react.hot.refresh_boundary);

    // Emotion's runtime wraps React's (the `css` prop): its components refresh too.
    let emotion = ScriptConfig {
        jsx: Jsx::Automatic {
            import_source: "@emotion/react".into(),
        },
        ..ScriptConfig::default()
    };
    let out = compile_script("/src/app.tsx", PREACT_APP, emotion);
    assert_eq!(
        render_imports(&out.imports)[0],
        "Static @emotion/react/jsx-dev-runtime 1:1"
    );
    assert!(out.code.expect("code").contains("$RefreshReg$("));
    assert!(out.hot.refresh_boundary);
}

/// What `@prefresh/vite` (from `@preact/preset-vite`) hands on: Babel's refresh registrations
/// calling the globals its prelude set (`self.$RefreshReg$`), then its own `hot.accept`.
const PREFRESH_OUTPUT: &str = "self.$RefreshReg$ = (type, id) => self.__PREFRESH__.register(type, id);\n\
var _s = $RefreshSig$();\n\
export function App() {\n  _s();\n  return <b>hi</b>;\n}\n\
_s(App, \"key\");\n_c = App;\nvar _c;\n$RefreshReg$(_c, \"App\");\n\
if (import.meta.hot) import.meta.hot.accept(() => {});\n";

#[test]
fn a_factory_binds_the_refresh_registrars_only_where_hotloops_react_refresh_ran() {
    let preact = ScriptConfig {
        jsx: Jsx::Automatic {
            import_source: "preact".into(),
        },
        ..ScriptConfig::default()
    };
    // Preact's JSX: the module's `$RefreshReg$` is the page's global (prefresh's), as under Vite.
    let out = compile_script("/src/app.tsx", PREFRESH_OUTPUT, preact.clone());
    let code = out.code.expect("code");
    assert!(
        code.starts_with(&format!("{PLAIN_FACTORY_HEADER}\n")),
        "{code}"
    );
    assert!(code.contains("$RefreshReg$(_c,\"App\")"), "{code}");
    assert!(!out.hot.refresh_boundary);
    let tla = compile_script(
        "/src/data.ts",
        "var _s = $RefreshSig$();\nexport const x = await Promise.resolve(1);\n",
        preact.clone(),
    );
    assert!(
        tla.code
            .expect("code")
            .starts_with(PLAIN_ASYNC_FACTORY_HEADER)
    );
    // Preact's JSX without refresh names: nothing to bind.
    let plain = compile_script("/src/app.tsx", PREACT_APP, preact);
    assert!(plain.code.expect("code").starts_with(PLAIN_FACTORY_HEADER));
    // React's JSX: hotloop's registrar, passed into the factory.
    let react = compile_script("/src/app.tsx", PREACT_APP, ScriptConfig::default());
    assert!(react.code.expect("code").starts_with(FACTORY_HEADER));
}

/// The classic JSX runtime with Preact's factories (`h`, `Fragment`).
fn classic_h() -> ScriptConfig {
    script(
        Jsx::Classic {
            factory: "h".into(),
            fragment_factory: "Fragment".into(),
        },
        Decorators::Standard,
        true,
    )
}

/// A stand-in for Preact's `h` and `Fragment`: what a render call builds, as data.
const PREACT_H: &str = "export const Fragment = 'F';\nexport function h(type, props, ...children) { return [type, props, ...children]; }\n";

#[test]
fn classic_runtime_calls_the_tsconfigs_factory_and_keeps_its_import() {
    let classic = classic_h();
    let app = "import { h, Fragment } from 'preact';\n\
export const App = () => <><b title=\"t\">x</b></>;\n\
console.log(JSON.stringify(App()));\n";
    let out = compile_script("/src/app.tsx", app, classic.clone());
    assert_eq!(render_imports(&out.imports), ["Static preact 1:29"]);
    // `h` is only used by JSX, yet the TypeScript strip must keep the import.
    let stdout = run_script(
        &[
            ("/src/app.tsx", app, &[("preact", "/src/preact.js")]),
            ("/src/preact.js", PREACT_H, &[]),
        ],
        &classic,
    );
    expect![[r#"
        ["F",null,["b",{"title":"t"},"x"]]
    "#]]
    .assert_eq(&stdout);
}

/// Vite's `jsxInject`: the config's import goes before the module's own code (which has no
/// import of its own here: a script, made a module), the file's lines stay its own, and a text
/// that does not parse is an error that says where to fix it.
#[test]
fn jsx_inject_puts_the_configs_code_before_the_modules_own() {
    let classic = classic_h();
    let options = |inject: &str| TransformOptions {
        react_refresh: false,
        script: classic.clone(),
        jsx_inject: Some(inject.into()),
        ..TransformOptions::default()
    };
    let app = "const label: string = 'x';\nconsole.log(JSON.stringify(<><b>{label}</b></>));\nimport('./later');\n";
    let out = compile_module(
        "/src/app.tsx",
        SourceKind::Tsx,
        app,
        &options("import { h, Fragment } from 'preact'"),
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(
        render_imports(&out.imports),
        ["Static preact 1:1", "Dynamic ./later 3:8"]
    );
    let defs = serde_json::json!({
        "/src/app.tsx": [{ "preact": "/src/preact.js", "./later": "/src/later.js" }, &*out.code.expect("code")],
        "/src/later.js": [{}, &*compile_with("/src/later.js", "export {};\n", false).code.expect("code")],
        "/src/preact.js": [{}, &*compile_with(
            "/src/preact.js",
            PREACT_H,
            false,
        ).code.expect("code")],
    });
    let serde_json::Value::Object(defs) = defs else {
        unreachable!()
    };
    expect![[r#"
        ["F",null,["b",null,"x"]]
    "#]]
    .assert_eq(&run_in_node(defs, "/src/app.tsx"));

    let broken = compile_module(
        "/src/app.tsx",
        SourceKind::Tsx,
        app,
        &options("import { h from 'preact'"),
    );
    expect![[r#"
        Transform /src/app.tsx:1:1: the config's jsxInject ("import { h from 'preact'"), which Vite puts before every .jsx and .tsx module, does not parse: Expected ',', got 'from'; fix it in vite.config
        > 1 | const label: string = 'x';
            | ^
          2 | console.log(JSON.stringify(<><b>{label}</b></>));
          3 | import('./later');
    "#]]
    .assert_eq(&render_diagnostics(&broken.diagnostics));
}

/// A lit-style element: `@customElement` on the class, `@property()` on fields whose accessors
/// the decorator installs on the prototype.
const LIT_ELEMENT: &str = r#"const log: string[] = [];
function customElement(name: string) {
  return (cls: any) => { log.push(`define ${name} ${cls.name}`); };
}
function property(_options?: object) {
  return (proto: any, key: string) => {
    Object.defineProperty(proto, key, {
      get() { return this[`__${key}`]; },
      set(v: unknown) { log.push(`set ${key}=${v}`); this[`__${key}`] = v; },
      configurable: true,
    });
  };
}
@customElement('my-element')
export class MyElement {
  @property() name = 'World';
  @property({ type: Number }) count = 0;
  declare hidden: string;
}
const el = new MyElement();
el.count++;
log.push(`own ${Object.keys(el).filter((k) => !k.startsWith('__')).join(',') || 'none'}`);
log.push(`count ${el.count}`);
console.log(log.join('\n'));
"#;

#[test]
fn legacy_decorators_with_assigned_fields_run_a_lit_element() {
    let lit = script(
        Jsx::default(),
        Decorators::Legacy {
            emit_metadata: false,
        },
        false,
    );
    // lit-ts's tsconfig: fields are assigned, so the decorated accessors see every write.
    let stdout = run_script(&[("/src/my-element.ts", LIT_ELEMENT, &[])], &lit);
    expect![[r#"
        define my-element MyElement
        set name=World
        set count=0
        set count=1
        own none
        count 1
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn legacy_decorators_with_defined_fields_shadow_the_accessors() {
    // `useDefineForClassFields: true`: own fields shadow the prototype's accessors (why lit
    // asks for `false`): the setters never run.
    let define = script(
        Jsx::default(),
        Decorators::Legacy {
            emit_metadata: false,
        },
        true,
    );
    let stdout = run_script(&[("/src/my-element.ts", LIT_ELEMENT, &[])], &define);
    expect![[r#"
        define my-element MyElement
        own name,count
        count 1
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn legacy_decorators_emit_metadata_when_asked() {
    let metadata = script(
        Jsx::default(),
        Decorators::Legacy {
            emit_metadata: true,
        },
        false,
    );
    let text =
        "function dec(_t: any, _k: string) {}\nexport class A { @dec name: string = 'a'; }\n";
    let code = compile_script("/src/a.ts", text, metadata)
        .code
        .expect("code");
    assert!(code.contains("\"design:type\",String"), "{code}");
    let plain = script(
        Jsx::default(),
        Decorators::Legacy {
            emit_metadata: false,
        },
        false,
    );
    let code = compile_script("/src/a.ts", text, plain).code.expect("code");
    assert!(!code.contains("design:type"), "{code}");
}

#[test]
fn standard_decorators_run_with_their_context() {
    let text = r#"const log: string[] = [];
function tag(cls: any, context: ClassDecoratorContext) {
  context.addInitializer(function () { log.push(`init ${String(context.name)}`); });
  return cls;
}
function logged(method: any, context: ClassMethodDecoratorContext) {
  return function (this: any, ...args: unknown[]) {
    log.push(`call ${String(context.name)} (${context.kind})`);
    return method.call(this, ...args);
  };
}
function double(_: undefined, context: ClassFieldDecoratorContext) {
  return (v: number) => { log.push(`field ${String(context.name)}`); return v * 2; };
}
@tag
export class Greeter {
  @double size = 21;
  @logged greet() { return `hi ${this.size}`; }
}
log.push(new Greeter().greet());
console.log(log.join('\n'));
"#;
    let stdout = run_script(&[("/src/greeter.ts", text, &[])], &ScriptConfig::default());
    expect![[r#"
        init Greeter
        field size
        call greet (method)
        hi 42
    "#]]
    .assert_eq(&stdout);
}

#[test]
fn use_define_for_class_fields_both_ways() {
    let text = "export class A { x = 1; y: number; constructor() { console.log(Object.keys(this).join(',') || 'none'); } }\nnew A();\n";
    let modules: &[ScriptModule<'_>] = &[("/src/a.ts", text, &[])];
    let define = script(Jsx::default(), Decorators::Standard, true);
    let assign = script(Jsx::default(), Decorators::Standard, false);
    assert_eq!(run_script(modules, &define), "x,y\n");
    // TypeScript's `useDefineForClassFields: false`: a field without initializer is a type
    // declaration only.
    assert_eq!(run_script(modules, &assign), "x\n");
}

#[test]
fn unused_imports_go_as_the_tsconfig_says() {
    // `side.ts` and `other.ts` run when imported; `types.ts` has no `T` at run time.
    let main = "import side from './side.ts';\nimport { other } from './other.ts';\n\
                import type { T } from './types.ts';\nimport { type U } from './types.ts';\n\
                const x: T = 1;\nconsole.log('main');\n";
    let modules: &[ScriptModule<'_>] = &[
        (
            "/src/main.ts",
            main,
            &[
                ("./side.ts", "/src/side.ts"),
                ("./other.ts", "/src/other.ts"),
                ("./types.ts", "/src/types.ts"),
            ],
        ),
        (
            "/src/side.ts",
            "console.log('side');\nexport default 1;\n",
            &[],
        ),
        (
            "/src/other.ts",
            "console.log('other');\nexport const other = 1;\n",
            &[],
        ),
        ("/src/types.ts", "console.log('types');\nexport {};\n", &[]),
    ];
    let with = |imports: ImportElision| ScriptConfig {
        imports,
        ..ScriptConfig::default()
    };
    // TypeScript's default: an import used as a type only, or not at all, goes.
    assert_eq!(run_script(modules, &with(ImportElision::Unused)), "main\n");
    // `importsNotUsedAsValues: "preserve"`: the imports stay for their side effects, but not
    // the ones written as types.
    assert_eq!(
        run_script(modules, &with(ImportElision::UnusedBindings)),
        "side\nother\ntypes\nmain\n"
    );
    // `verbatimModuleSyntax` (create-vite's TypeScript starters): what is not written as a
    // type stays, an inline `type` specifier's import too (as an empty import).
    assert_eq!(
        run_script(modules, &with(ImportElision::Verbatim)),
        "side\nother\ntypes\nmain\n"
    );
}

#[test]
fn preserved_jsx_of_another_framework_is_reported_at_the_first_element() {
    let solid = ScriptConfig {
        jsx: Jsx::Preserve {
            import_source: "solid-js".into(),
        },
        ..ScriptConfig::default()
    };
    let kind = SourceKind::Tsx;
    let text = "import { createSignal } from 'solid-js';\n\
export function App() {\n  const [n] = createSignal(0);\n  return <button>{n()}</button>;\n}\n";
    let out = compile_module(
        "/src/App.tsx",
        kind,
        text,
        &TransformOptions {
            react_refresh: true,
            script: solid.clone(),
            ..TransformOptions::default()
        },
    );
    expect![[r#"
        Transform /src/App.tsx:4:10: this JSX is for solid-js: the tsconfig says `"jsx": "preserve"` with `"jsxImportSource": "solid-js"`, so it is compiled by `vite-plugin-solid`: add it to vite.config (hotloop runs the config's plugins)
          1 | import { createSignal } from 'solid-js';
          2 | export function App() {
          3 |   const [n] = createSignal(0);
        > 4 |   return <button>{n()}</button>;
            |          ^
          5 | }
    "#]]
    .assert_eq(&render_diagnostics(&out.diagnostics));
    assert!(out.code.is_none());
    // A module without JSX compiles as usual.
    compile_script(
        "/src/signal.ts",
        "export const double = (n: number): number => n * 2;\n",
        solid,
    );
}

/// swc's export prologue becomes one `require.esm` call; a function of the module's own that
/// has the helper's name stays, and non-identifier names are string keys.
#[test]
fn the_export_prologue_is_one_runtime_call() {
    check_code(
        "/src/names.js",
        "function _export() { return 'user'; }\nconst x = 1;\nexport { x as 'a-b', _export };\nexport default 2;\n",
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                _export: 0,
                "a-b": 0,
                default: 0
            });
            exports._export = _export;
            function _export() {
                return "user";
            }
            const x = 1;
            exports["a-b"] = x;
            const _default = 2;
            exports.default = _default;
            })
        "#]],
    );
    check_code(
        "/src/one.js",
        "import { a } from './a.js';\nexport const v = a;\n",
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                v: 0
            });
            const _a = require("./a.js");
            const v = _a.a;
            exports.v = v;
            })
        "#]],
    );
    check_code(
        "/src/none.js",
        "import './a.js';\nconsole.log(1);\n",
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm();
            require("./a.js");
            console.log(1);
            })
        "#]],
    );
}

#[test]
fn a_default_import_calls_the_runtimes_interop_and_no_helper_of_its_own() {
    let source = r#"import App from "./App.jsx";
import other from "./other.js";
console.log(App, other);
"#;
    let code = compile("/src/main.js", source).code.expect("compiles");
    assert!(!code.contains("__PURE__"), "no pure marks printed: {code}");
    check_code(
        "/src/main.js",
        source,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm();
            const _Appjsx = require.d(require("./App.jsx"));
            const _other = require.d(require("./other.js"));
            console.log(_Appjsx.default, _other.default);
            })
        "#]],
    );
}

#[test]
fn a_function_of_the_modules_own_named_like_swcs_helper_stays() {
    check_code(
        "/src/own.js",
        r#"import App from "./App.jsx";
export function _interop_require_default(x) { return x; }
console.log(App, _interop_require_default(1));
"#,
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                _interop_require_default: 0
            });
            exports._interop_require_default = _interop_require_default;
            const _Appjsx = require.d(require("./App.jsx"));
            function _interop_require_default(x) {
                return x;
            }
            console.log(_Appjsx.default, _interop_require_default(1));
            })
        "#]],
    );
}

/// A module that registers React components but also exports something else is no Fast
/// Refresh boundary; its first such export is kept for the reload's reason.
#[test]
fn a_component_module_with_another_export_names_it_as_why_it_is_no_boundary() {
    let out = compile(
        "/src/App.tsx",
        "export const helper = 1;\nexport function App() { return <p>hi</p>; }\nexport default App;\n",
    );
    assert!(!out.hot.refresh_boundary);
    assert_eq!(out.hot.refresh_refused.as_deref(), Some("helper"));
    let only = compile(
        "/src/App.tsx",
        "export function App() { return <p>hi</p>; }\n",
    );
    assert!(only.hot.refresh_boundary);
    assert_eq!(only.hot.refresh_refused, None);
    // A module with no components refuses nothing: it is simply not React's.
    let plain = compile("/src/util.ts", "export const helper = 1;\n");
    assert_eq!(plain.hot.refresh_refused, None);
    // A file a tool wrote (TanStack Router's route tree, whose route constants look like
    // components to the refresh transform) is no boundary either, with no advice to its user.
    let generated = compile(
        "/src/routeTree.gen.ts",
        "/* eslint-disable */\n// This file was automatically generated by TanStack Router.\n\
         import { Route as rootRouteImport } from './routes/__root';\n\
         import { Route as AboutRouteImport } from './routes/about';\n\
         const AboutRoute = AboutRouteImport.update({ id: '/about', getParentRoute: () => rootRouteImport } as any)\n\
           .lazy(() => import('./routes/about.lazy').then((d) => d.Route));\n\
         export const routeTree = rootRouteImport._addFileChildren({ AboutRoute });\n",
    );
    assert!(!generated.hot.refresh_boundary);
    assert_eq!(generated.hot.refresh_refused, None);
}

/// `exports` (`names` sorted, then `* specifier`s) or `unknown`, and each import's names.
#[test]
fn export_and_imported_names_table() {
    let render = |id: &str, text: &str| {
        let out = compile(id, text);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let exports = match &out.exports {
            None => "unknown".to_string(),
            Some(e) => e
                .names()
                .map(str::to_string)
                .chain(e.star_from().iter().map(|s| format!("* {s}")))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let imports: Vec<String> = out
            .imports
            .iter()
            .enumerate()
            .map(|(index, i)| {
                let names: Vec<&str> = out
                    .import_names
                    .iter()
                    .filter(|(at, _)| *at == index)
                    .flat_map(|(_, names)| names)
                    .collect();
                format!("{} [{}]", i.specifier, names.join(" "))
            })
            .collect();
        format!("{exports} | {}", imports.join(", "))
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "/src/a.js",
            "export const { a, b: [c], ...d } = obj;\nexport function f() {}\nexport class K {}\n\
             let x = 1, y = 2;\nexport { x, y as 'y z' };\nexport default 3;",
            "K a c d default f x y z | ",
        ),
        (
            "/src/a.js",
            "export * from './s';\nexport * as ns from './n';\nexport { default, q as r } from './q';\n\
             export { default as D } from './d';",
            "D default ns r * ./s | ./s [], ./n [], ./q [default q], ./d [default]",
        ),
        (
            "/src/a.js",
            "import d, { a, b as c } from './m';\nimport * as ns from './ns';\nimport './side';\n\
             console.log(d, a, c, ns);",
            " | ./m [default a b], ./ns [], ./side []",
        ),
        (
            "/src/a.ts",
            "export enum E { A }\nexport namespace N { export const v = 1; }\n\
             export interface I {}\nexport type T = 1;\nexport declare const ambient: number;\n\
             import { type U, V } from './v';\nimport type { W } from './w';\nexport const used: U = V;",
            "E N used | ./v [V]",
        ),
        // What cannot be read from ESM syntax: every name passes.
        ("/src/a.ts", "const x = 1;\nexport = x;", "unknown | "),
        // An ES module's `module` is not defined (`esm_globals.rs`): its ESM exports are its.
        (
            "/src/a.js",
            "export const a = 1;\nif (typeof module !== 'undefined') module.exports = { a };",
            "a | ",
        ),
        ("/src/a.cjs", "exports.a = 1;", "unknown | "),
        (
            "/src/a.js",
            "import x from './x';\nconsole.log(x);",
            " | ./x [default]",
        ),
        // A `const enum` stays a value (each file compiles alone, as with esbuild), an
        // ambient one does not.
        (
            "/src/a.ts",
            "export const enum Dir { Up }\nexport declare enum Ambient { A }\nexport default interface I {}",
            "Dir | ",
        ),
    ];
    for (id, text, expected) in cases {
        assert_eq!(render(id, text), *expected, "{text}");
    }
}

// ------------------------------------------------- `define` on `globalThis` (Vite's client)

/// The config's `define` set on `globalThis` as Vite's client sets it in development: a name,
/// a member chain (its objects made as needed, an existing one kept), a value that throws
/// (skipped, the others still set), and neither `import.meta.*` keys nor values that are no
/// expression; a comment after a value cannot swallow the code after it.
#[test]
fn define_entries_are_set_on_global_this() {
    let define: Vec<(String, String)> = [
        ("__APP_VERSION__", "\"1.2.3\""),
        ("process.env.API", "\"https://api\" // the API"),
        ("__THROWS__", "missingGlobal.x"),
        ("import.meta.env.FLAG", "true"),
        ("__NOT_CODE__", "{{ nope"),
        ("__OBJECT__", "{ a: [1, null] }"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let code = super::global_assignments(&define);
    assert!(!code.contains("the API"), "{code}");
    let script = format!(
        "globalThis.process = {{ env: {{ KEPT: 1 }} }};\n{code}console.log(JSON.stringify([\
         globalThis.__APP_VERSION__, process.env, typeof __THROWS__, typeof globalThis.import, \
         typeof __NOT_CODE__, __OBJECT__]));\n"
    );
    let stdout = node_eval(&script);
    expect![[r#"
        ["1.2.3",{"KEPT":1,"API":"https://api"},"undefined","undefined","undefined",{"a":[1,null]}]
    "#]]
    .assert_eq(&stdout);
    assert_eq!(super::global_assignments(&[]), "");
}

/// The `import.meta.env.NAME` defines, set on the `import.meta.env` object (each on its own: one
/// that throws or is not code sets nothing; a key with more segments is not a name of it).
#[test]
fn import_meta_env_defines_are_set_on_the_env_object() {
    let define: Vec<(String, String)> = [
        ("import.meta.env.APP_VERSION", "\"1.4.2\" // a comment"),
        ("import.meta.env.COUNT", "41 + 1"),
        ("import.meta.env.THROWS", "missingGlobal.x"),
        ("import.meta.env.NOT_CODE", "{{ nope"),
        ("import.meta.env.a.b", "1"),
        ("__APP_VERSION__", "\"other\""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let code = super::env_assignments(&define);
    let script = format!("console.log(JSON.stringify(({code})({{ VITE_KEPT: 'yes' }})));\n");
    let stdout = node_eval(&script);
    expect![[r#"
        {"VITE_KEPT":"yes","APP_VERSION":"1.4.2","COUNT":42}
    "#]]
    .assert_eq(&stdout);
    assert_eq!(super::env_assignments(&define[5..]), "");
}

/// What `node -e script` prints (it must succeed).
fn node_eval(script: &str) -> String {
    let output = std::process::Command::new("node")
        .args(["-e", script])
        .output()
        .expect("node is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An ES module with a UMD-style tail copied into it: `module` and `exports` are not defined
/// there (as in the browser), so its ESM exports stay its exports and are known; a CommonJS
/// file and ESM syntax that exports through `module.exports` keep theirs.
#[test]
fn an_es_modules_free_module_and_exports_are_undefined_as_in_the_browser() {
    let text = "export const named = 'named-ok';\nconst lib = { hijacked: true };\nexport default lib;\n\
                const kinds = [typeof module, typeof exports].join(',');\nexport { kinds };\n\
                if (typeof module === 'object' && module.exports) { module.exports = lib }\n";
    let out = compile("/src/umd.js", text);
    assert_eq!(out.diagnostics, []);
    assert!(out.exports.is_some(), "its exports are its ESM ones");
    let code = out.code.expect("compiles");
    assert!(!code.contains("module.exports=lib"), "{code}");
    let mut defs = serde_json::Map::new();
    defs.insert("/src/umd.js".into(), serde_json::json!([{}, code]));
    defs.insert(
        "/main.js".into(),
        serde_json::json!([
            { "./umd.js": "/src/umd.js" },
            "(function (module, exports, require) {\nconst m = require('./umd.js');\nconsole.log(m.named, m.kinds, JSON.stringify(m.default));\n})"
        ]),
    );
    expect![[r#"
        named-ok undefined,undefined {"hijacked":true}
    "#]]
    .assert_eq(&run_in_node(defs, "/main.js"));
    // ESM syntax that exports through `module.exports` (a plugin's injected import) keeps it.
    let mixed = compile(
        "/src/mixed.js",
        "import x from './x.js';\nmodule.exports = { x };\n",
    );
    assert!(
        mixed.code.expect("compiles").contains("module.exports"),
        "mixed keeps module.exports"
    );
}

/// swc's parser drops a child element whose closing tag does not match, with its error
/// (`jsx_gaps.rs`): `<div><span>hi</div></div>` came out as an empty `<div>` and no error. The
/// dropped part is an error at the mismatched tag, as Vite's overlay says it.
#[test]
fn jsx_the_parser_would_drop_is_a_syntax_error_at_the_mismatched_tag() {
    // (source, where the mismatched closing tag's name is, the element it does not close)
    let cases = [
        (
            "export function App() {\n  return <div><span>hi</div></div>;\n}\n",
            (2, 25),
            "span",
        ),
        // In parentheses over lines, as it is mostly written: swc fails a line further on.
        (
            "export function App() {\n  return (\n    <div>\n      <span>hi</div>\n    </div>\n  );\n}\n",
            (4, 17),
            "span",
        ),
        // Deeper, in a fragment, after other children.
        (
            "export const A = () => <>\n  <p>ok</p>\n  <ul>\n    <li><b>x</li>\n  </ul>\n</>;\n",
            (4, 15),
            "b",
        ),
    ];
    for id in ["/src/App.jsx", "/src/App.tsx", "/src/App.js"] {
        for (source, (line, column), tag) in cases {
            let out = compile(id, source);
            assert!(out.code.is_none(), "{id}: {:?}", out.code);
            let message = format!("Expected corresponding JSX closing tag for <{tag}>");
            assert_eq!(
                placed(&out.diagnostics),
                [(line, column, message)],
                "{id}: {source}"
            );
        }
    }
}

fn placed(diagnostics: &[Diagnostic]) -> Vec<(u32, u32, String)> {
    diagnostics
        .iter()
        .map(|d| (d.line, d.column, d.message.clone()))
        .collect()
}

/// Well-formed JSX of every shape has no stretch its children leave uncovered.
#[test]
fn well_formed_jsx_has_no_dropped_part() {
    let jsx = r#"import * as UI from './ui';
export function App({ items, on }) {
  const x = 1 > 0 ? <b>yes</b> : <i>no</i>;
  return (
    <>
      {/* a comment */}
      <UI.Card title=<span>t</span> data-x="a > b" onClick={() => on(x > 1)}>
        text with &amp; entities &gt; signs
        {items.map((i) => <li key={i}>{i}</li>)}
        {x && <br />}
        <svg:rect width="1" />
        {" "}
        <input value={`${x}`} />
        {...items}
      </UI.Card>
      <p>
        multi
        line
      </p>
      <></>
      <div></div>
    </>
  );
}
"#;
    for id in ["/src/App.jsx", "/src/App.js"] {
        let out = compile(id, jsx);
        assert_eq!(render_diagnostics(&out.diagnostics), "", "{id}");
    }
    let tsx = "export function G<T,>(p: { v: T }) {\n  return <Select<string> value={p.v as any}>\n    <Option<number> />\n  </Select>;\n}\n";
    let out = compile("/src/G.tsx", tsx);
    assert_eq!(render_diagnostics(&out.diagnostics), "");
}

#[test]
fn a_user_binding_named_like_import_metas_parameter_is_renamed() {
    check_code(
        "/src/meta.js",
        "const $meta = 'mine';\nexport const both = [$meta, import.meta.url];\n",
        expect![[r#"
            (function(module,exports,require,$meta){
            "use strict";
            require.esm({
                both: 0
            });
            const $meta1 = "mine";
            const both = [
                $meta1,
                $meta.url
            ];
            exports.both = both;
            })
        "#]],
    );
}
