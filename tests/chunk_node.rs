//! The engine's chunk, executed by the real runtime under `node`: ESM semantics (cycles,
//! `export *`, live bindings, dynamic import) and CommonJS interop must hold in what the
//! browser would run. No browser needed; `node` is on every CI machine.

use std::path::Path;
use std::process::Command;

use engine::EngineHost;
use engine::ProjectOptions;
use engine::testing::TempProject;

/// Builds the project at `root` and runs its chunk under node with the real runtime; returns
/// what the page logged.
fn run_chunk(root: &Path) -> String {
    run_chunk_with(root, ProjectOptions::default())
}

fn run_chunk_with(root: &Path, options: ProjectOptions) -> String {
    let mut host = EngineHost::new(root, options).unwrap();
    let build = host.build();
    assert!(
        build.diagnostics.is_empty(),
        "unexpected diagnostics: {:#?}",
        build.diagnostics
    );
    // What sits behind `import()` is a lazy chunk, compiled when asked for: ask for all.
    loop {
        let pending = host.pending_lazy_targets();
        if pending.is_empty() {
            break;
        }
        for id in &pending {
            host.request_lazy(id);
        }
        host.build();
    }
    let served = host.served(&"test".into(), 0);
    let chunk = String::from_utf8(served.chunk.bytes().to_vec()).unwrap();
    let lazy: serde_json::Map<String, serde_json::Value> = served
        .lazy
        .ready
        .iter()
        .map(|(id, chunk)| {
            let text = String::from_utf8(chunk.bytes().to_vec()).unwrap();
            (id.to_string(), serde_json::Value::String(text))
        })
        .collect();
    let page = root.join("page.js");
    // The smallest browser the runtime needs: a location, a WebSocket that never connects, a
    // document whose `<script>` elements run lazy chunks as the server serves them (their last
    // statement names the snapshot), and a `fetch` that answers as the server does (the page
    // asks it why a chunk did not load).
    let prelude = format!(
        r#"
globalThis.location = {{ origin: 'http://127.0.0.1:1', host: '127.0.0.1:1', href: 'http://127.0.0.1:1/', protocol: 'http:', reload() {{}} }};
globalThis.WebSocket = class {{ addEventListener() {{}} close() {{}} }};
const LAZY = {};
globalThis.document = {{
  createElement: () => ({{ remove() {{}} }}),
  head: {{
    appendChild(script) {{
      const id = new URL(script.src, location.origin).searchParams.get('id');
      setTimeout(() => {{
        if (LAZY[id] === undefined) return script.onerror();
        (0, eval)(LAZY[id] + '\n__hotloop.served(' + JSON.stringify(id) + ', 1);');
        script.onload();
      }});
    }},
  }},
}};
globalThis.fetch = async (url) => {{
  const text = LAZY[new URL(url, location.origin).searchParams.get('id')];
  return {{ ok: text !== undefined, status: text === undefined ? 404 : 200, text: async () => text ?? 'no such chunk', headers: {{ get: () => '1' }} }};
}};
"#,
        serde_json::Value::Object(lazy)
    );
    // The runtime as the page gets it (`runtime/compact/`, current: see below).
    let runtime = runtime::compact().map_or(runtime::RUNTIME_JS, |compact| compact.code);
    std::fs::write(&page, format!("{prelude}\n{runtime}\n{chunk}")).unwrap();
    let output = Command::new("node")
        .arg(&page)
        .output()
        .expect("node must be installed to run the chunk tests");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "node failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn chunk_runs_esm_semantics_and_commonjs_interop_under_node() {
    let p = TempProject::new(
        r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.ts"></script>
//- /src/main.ts
import { a, getB } from './cycle-a';
import * as all from './reexport.js';
import pkg, { named } from 'cjs-pkg';
import esm from 'esm-pkg';
import { counter, increment } from './live.js';
import data from './data.json';

const typed: string = 'typescript stripped';
console.log('cycle', a, getB());
console.log('star', Object.keys(all).sort().join(','), all.x, all.y);
console.log('cjs', typeof pkg, pkg.named, named);
console.log('esm package', esm);
console.log('live before', counter);
increment();
console.log('live after', counter);
console.log('json', data.answer, typed);
console.log('env', process.env.NODE_ENV);
import('./lazy.js').then((m) => console.log('dynamic', m.lazy, m.default));
//- /src/cycle-a.ts
import { b } from './cycle-b';
export const a = 'a';
export function getB() { return b; }
//- /src/cycle-b.ts
import { a } from './cycle-a';
export const b = 'b';
export function getA() { return a; }
//- /src/reexport.js
export * from './x.js';
export * from './y.js';
//- /src/x.js
export const x = 1;
//- /src/y.js
export const y = 2;
export default 'not re-exported';
//- /src/live.js
export let counter = 0;
export function increment() { counter += 1; }
//- /src/lazy.js
export const lazy = 'lazy';
export default 'lazy default';
//- /src/data.json
{ "answer": 42 }
//- /node_modules/cjs-pkg/package.json
{ "name": "cjs-pkg", "main": "index.js" }
//- /node_modules/cjs-pkg/index.js
exports.named = 'n';
exports.other = 1;
//- /node_modules/esm-pkg/package.json
{ "name": "esm-pkg", "exports": { ".": { "import": "./esm.js", "require": "./cjs.js" } } }
//- /node_modules/esm-pkg/esm.js
import data from './data.json';
export default `esm through exports, ${data.from}`;
//- /node_modules/esm-pkg/data.json
{ "from": "json in a package" }
//- /node_modules/esm-pkg/cjs.js
module.exports = 'wrong condition';
"#,
    );
    let out = run_chunk(p.root());
    assert_eq!(
        out,
        "cycle a b\n\
         star x,y 1 2\n\
         cjs object n n\n\
         esm package esm through exports, json in a package\n\
         live before 0\n\
         live after 1\n\
         json 42 typescript stripped\n\
         env development\n\
         dynamic lazy lazy default\n"
    );
}

/// A namespace is a module namespace object: its names in order, values and live bindings alike
/// (the engine stores the exports whose local is written once as values,
/// `transform/export_values.rs`), tagged `Module`, with no `Object.prototype`, sealed once the
/// module ran (writes throw, live bindings stay live); a function export is there before the
/// module's imports run (hoisted), as an import cycle needs.
#[test]
fn namespaces_hold_values_and_live_bindings_and_hoisted_functions() {
    let p = TempProject::new(
        r#"
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
import * as ns from './values.js';
import { seen } from './cycle-a.js';
import * as marked from './marked.js';
console.log('names', Object.keys(ns).join(','));
console.log('values', ns.c, typeof ns.f, typeof ns.K, ns.default, ns.renamed, ns.two);
console.log('tag', Object.prototype.toString.call(ns), ns.__esModule, 'hasOwnProperty' in ns);
console.log('live', ns.mutable, ns.bump(), ns.mutable, ns.later, ns.setLater(), ns.later);
console.log('cycle', seen);
console.log('marked', Object.keys(marked).join(','), marked.__esModule, marked.v);
for (const write of [() => { ns.c = 2; }, () => { ns.added = 1; }, () => { delete ns.f; }]) {
  try { write(); console.log('written'); } catch (e) { console.log('sealed', e.constructor.name); }
}
//- /src/values.js
export const c = 1, { two } = { two: 2 };
export function f() {}
export class K {}
export default 'd';
export { c as renamed };
export let mutable = 0;
export function bump() { mutable++; }
export let later;
export function setLater() { [later] = ['set']; }
//- /src/marked.js
export const __esModule = 'its own', v = 1;
//- /src/cycle-a.js
import { early } from './cycle-b.js';
export function fromA() { return 'hoisted'; }
export const seen = early;
//- /src/cycle-b.js
import { fromA } from './cycle-a.js';
export const early = fromA();
"#,
    );
    assert_eq!(
        run_chunk(p.root()),
        "names K,bump,c,default,f,later,mutable,renamed,setLater,two\n\
         values 1 function function d 1 2\n\
         tag [object Module] true false\n\
         live 0 undefined 1 undefined undefined set\n\
         cycle hoisted\n\
         marked __esModule,v its own 1\n\
         sealed TypeError\n\
         sealed TypeError\n\
         sealed TypeError\n"
    );
}

/// A CommonJS module that says `__esModule` (Babel's output), imported by default: its
/// `exports.default` (Babel's interop, Vite up to 7), or its `module.exports` from an ES module by
/// Node's rules (a `"type": "module"` package, an `.mjs` file) with Vite 8's interop
/// (`node_cjs_interop`), and always from such a file in a package (Vite's pre-bundling).
#[test]
fn a_commonjs_default_is_read_as_the_importers_module_format_says() {
    let p = TempProject::new(
        r#"
//- /package.json
{ "name": "app", "type": "module" }
//- /index.html
<!doctype html><script type="module" src="/src/main.js"></script>
//- /src/main.js
import lib from 'babel-lib';
import * as ns from 'babel-lib';
import fromPackage from 'esm-user';
console.log('default', typeof lib, typeof lib === 'object' ? lib.default : lib);
console.log('namespace', typeof ns.default);
console.log('package', typeof fromPackage);
import('babel-lib').then((m) => console.log('dynamic', typeof m.default));
//- /node_modules/babel-lib/package.json
{ "name": "babel-lib", "main": "index.js" }
//- /node_modules/babel-lib/index.js
Object.defineProperty(exports, '__esModule', { value: true });
exports.default = 'the default';
exports.named = 'n';
//- /node_modules/esm-user/package.json
{ "name": "esm-user", "main": "index.mjs" }
//- /node_modules/esm-user/index.mjs
import lib from 'babel-lib';
export default lib;
"#,
    );
    let babel = run_chunk(p.root());
    assert_eq!(
        babel,
        "default string the default\n\
         namespace string\n\
         package object\n\
         dynamic string\n"
    );
    let node = run_chunk_with(
        p.root(),
        ProjectOptions {
            node_cjs_interop: true,
            ..ProjectOptions::default()
        },
    );
    assert_eq!(
        node,
        "default object the default\n\
         namespace object\n\
         package object\n\
         dynamic object\n"
    );
}

/// `runtime/compact/` is `RUNTIME_JS` as `engine::compact_script` prints it (what the page
/// gets; `hotloop_runtime::compact`). Rewritten here when it is not: the test then fails once,
/// and the new files are to be committed with the runtime edit.
#[test]
fn the_compact_runtime_is_the_runtime_printed_compactly() {
    let compact = engine::compact_script("/_hotloop/runtime-source.js", runtime::RUNTIME_JS)
        .expect("the runtime parses");
    let mut map: serde_json::Value = serde_json::from_str(&compact.map).unwrap();
    // The server puts the readable runtime back in when DevTools asks for the map.
    map.as_object_mut().unwrap().remove("sourcesContent");
    let files = [
        ("runtime.js", compact.code.clone()),
        ("runtime.js.map", format!("{map}\n")),
        (
            "source-hash",
            format!("{:016x}\n", runtime::source_hash(runtime::RUNTIME_JS)),
        ),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/compact");
    let mut rewritten = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).unwrap();
            rewritten.push(*name);
        }
    }
    assert!(
        rewritten.is_empty(),
        "runtime/compact/{{{}}} did not match runtime/js and were rewritten: run the tests again \
         and commit them",
        rewritten.join(",")
    );
    assert!(compact.code.len() < runtime::RUNTIME_JS.len() * 3 / 5);
    assert!(runtime::compact().is_some());
}
