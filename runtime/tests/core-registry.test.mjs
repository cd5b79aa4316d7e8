// The core's module registry in plain Node: define/start, require through deps maps, cycles,
// interop, live bindings, import.meta.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { createTestRuntime, ORIGIN } from "./support/core-env.mjs";
import { esm, js, SWC } from "./support/modules.mjs";

test("define only stores; start evaluates the entries in order, each module once", () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  rt.load(
    [
      js("/src/a.js", { "./shared.js": "/src/shared.js" }, `order.push("a"); require("./shared.js");`),
      js("/src/b.js", { "./shared.js": "/src/shared.js" }, `order.push("b"); require("./shared.js");`),
      js("/src/shared.js", {}, `order.push("shared");`),
      js("/src/unused.js", {}, `order.push("unused");`),
    ],
    ["/src/b.js", "/src/a.js"],
  );
  assert.deepEqual(Array.from(rt.get("order")), ["b", "shared", "a"]);
  assert.deepEqual(rt.inspect().modules, {
    "/src/a.js": "evaluated",
    "/src/b.js": "evaluated",
    "/src/shared.js": "evaluated",
    "/src/unused.js": "defined",
  });
});

test("define before start does not evaluate anything", () => {
  const rt = createTestRuntime();
  rt.run("globalThis.ran = false");
  rt.core.define("/src/a.js", {}, rt.run(js("/src/a.js", {}, "ran = true;").code));
  assert.equal(rt.get("ran"), false);
  assert.equal(rt.inspect().modules["/src/a.js"], "defined");
});

test("an import cycle hands out partial exports whose getters become live", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/a.js",
        { "./b.js": "/src/b.js" },
        esm({ name: "name", fromB: "fromB" }, `const _b = require("./b.js");
const name = "a";
const fromB = _b.readA();`),
      ),
      js(
        "/src/b.js",
        { "./a.js": "/src/a.js" },
        esm({ readA: "readA", sawDuringEval: "sawDuringEval" }, `const _a = require("./a.js");
const sawDuringEval = Object.keys(_a).join(",");
function readA() { return "b sees " + _a.name; }`),
      ),
    ],
    ["/src/a.js"],
  );
  const a = rt.require("/src/a.js");
  const b = rt.require("/src/b.js");
  // While b evaluated, a's getters were already defined (hoisted) but a's body had not run.
  assert.equal(b.sawDuringEval, "name,fromB");
  assert.equal(a.fromB, "b sees a");
});

test("export * re-exports through getters", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "./index.js": "/src/index.js" },
        esm({ result: "result" }, `const _index = require("./index.js");
const result = _index.x + _index.y;`),
      ),
      js(
        "/src/index.js",
        { "./x.js": "/src/x.js", "./y.js": "/src/y.js" },
        `"use strict";
${SWC.esModule}
${SWC.exportStar}
_export_star(require("./x.js"), exports);
_export_star(require("./y.js"), exports);`,
      ),
      js("/src/x.js", {}, esm({ x: "x", default: "_default" }, `const x = 1; const _default = "not re-exported";`)),
      js("/src/y.js", {}, esm({ y: "y" }, `const y = 41;`)),
    ],
    ["/src/main.js"],
  );
  assert.equal(rt.require("/src/main.js").result, 42);
  assert.deepEqual(Object.keys(rt.require("/src/index.js")).sort(), ["x", "y"]);
});

test("a CommonJS module is required as module.exports and interops as default and named", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "cjs-lib": "/node_modules/cjs-lib/index.js" },
        esm({ greeting: "greeting", extra: "extra", same: "same" }, `${SWC.interopDefault}
${SWC.interopWildcard}
const _cjslib = /*#__PURE__*/ _interop_require_default(require("cjs-lib"));
const _ns = /*#__PURE__*/ _interop_require_wildcard(require("cjs-lib"));
const greeting = (0, _cjslib.default)("hotloop");
const extra = _ns.extra;
const same = _ns.default === require("cjs-lib");`),
      ),
      js(
        "/node_modules/cjs-lib/index.js",
        {},
        `module.exports = function greet(name) { return "hi " + name; };
module.exports.extra = "named";`,
      ),
    ],
    ["/src/main.js"],
  );
  const main = rt.require("/src/main.js");
  assert.equal(main.greeting, "hi hotloop");
  assert.equal(main.extra, "named");
  assert.equal(main.same, true);
  const lib = rt.require("/node_modules/cjs-lib/index.js");
  assert.equal(typeof lib, "function", "require returns module.exports as-is");
});

test("an ESM module is required as its exports object, __esModule and all", () => {
  const rt = createTestRuntime();
  rt.load([js("/src/a.js", {}, esm({ value: "value" }, "const value = 1;"))], ["/src/a.js"]);
  const exports = rt.require("/src/a.js");
  assert.equal(exports.__esModule, true);
  assert.equal(exports.value, 1);
  // Tagged as a module namespace object is, and neither mark is an export.
  assert.equal(Object.prototype.toString.call(exports), "[object Module]");
  assert.deepEqual(Object.keys(exports), ["value"]);
});

test("a 0 binding is a value its factory stores: there, undefined, from the start; sealed once evaluated", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/values.js",
        { "./reader.js": "/src/reader.js" },
        // As the engine writes it (engine/src/transform/export_values.rs): the function's store
        // right after the prologue, the const's after its declaration.
        `"use strict";
require.esm({ a: 0, f: 0, live: () => live });
exports.f = f;
const _reader = require("./reader.js");
const a = "a";
exports.a = a;
let live = 1;
function f() { live += 1; }`,
      ),
      js(
        "/src/reader.js",
        { "./values.js": "/src/values.js" },
        esm({ seen: "seen" }, `const _values = require("./values.js");
const seen = Object.keys(_values).join(",") + " " + _values.a + " " + typeof _values.f;`),
      ),
    ],
    ["/src/values.js"],
  );
  // The import cycle read the namespace before the const's store: every name, the hoisted
  // function's value already, the const's not yet.
  assert.equal(rt.require("/src/reader.js").seen, "a,f,live undefined function");
  const values = rt.require("/src/values.js");
  assert.equal(values.a, "a");
  values.f();
  assert.equal(values.live, 2);
  assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(values)), null);
  assert.ok(Object.isFrozen(values));
  assert.throws(() => {
    "use strict";
    values.a = "b";
  }, TypeError);
});

test("getter exports are live bindings: importers see a mutation", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "./counter.js": "/src/counter.js" },
        esm({ before: "before", after: "after" }, `const _counter = require("./counter.js");
const before = _counter.count;
(0, _counter.increment)();
(0, _counter.increment)();
const after = _counter.count;`),
      ),
      js(
        "/src/counter.js",
        {},
        esm({ count: "count", increment: "increment" }, `let count = 0;
function increment() { count += 1; }`),
      ),
    ],
    ["/src/main.js"],
  );
  const main = rt.require("/src/main.js");
  assert.equal(main.before, 0);
  assert.equal(main.after, 2);
});

test("a dynamic import evaluates its module only when called, inside a promise", async () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "./lazy.js": "/src/lazy.js" },
        esm({ load: "load" }, `${SWC.interopWildcard}
function load() { return Promise.resolve().then(() => /*#__PURE__*/ _interop_require_wildcard(require("./lazy.js"))); }`),
      ),
      js("/src/lazy.js", {}, esm({ answer: "answer" }, "const answer = 42;")),
    ],
    ["/src/main.js"],
  );
  assert.equal(rt.inspect().modules["/src/lazy.js"], "defined");
  const namespace = await rt.require("/src/main.js").load();
  assert.equal(namespace.answer, 42);
  assert.equal(rt.inspect().modules["/src/lazy.js"], "evaluated");
});

test("an unresolved import throws an error naming the importer and the specifier", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "./missing.js": null },
        `let message = null;
try { require("./missing.js"); } catch (err) { message = err.message; }
globalThis.caught = message;
require("./not-in-deps.js");`,
      ),
    ],
    ["/src/main.js"],
  );
  assert.equal(rt.get("caught"), "Cannot find module './missing.js' imported by /src/main.js");
  // The uncaught one failed the start: logged and shown by the host, not thrown at the page.
  assert.equal(rt.inspect().modules["/src/main.js"], "failed");
  assert.match(rt.errors.get("/src/main.js").message, /Cannot find module '\.\/not-in-deps\.js' imported by \/src\/main\.js/);
  assert.match(rt.errorsLogged()[0], /\/src\/main\.js threw while starting the page/);
});

test("a failed module rethrows its error to every later importer", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js("/src/bad.js", {}, `throw new Error("boom");`),
      js(
        "/src/main.js",
        { "./bad.js": "/src/bad.js" },
        `let again = null;
try { require("./bad.js"); } catch (err) { again = err.message; }
globalThis.again = again;`,
      ),
    ],
    ["/src/bad.js", "/src/main.js"],
  );
  assert.equal(rt.get("again"), "boom");
  assert.equal(rt.inspect().modules["/src/bad.js"], "failed");
  assert.equal(rt.inspect().modules["/src/main.js"], "evaluated");
});

test("import.meta is __hotloop_meta: url, env and a hot context", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/meta.js",
        {},
        `globalThis.meta = {
  url: __hotloop_meta.url,
  env: __hotloop_meta.env,
  hasHot: typeof __hotloop_meta.hot.accept === "function",
  refresh: __hotloop_meta.refresh,
};`,
      ),
    ],
    ["/src/meta.js"],
  );
  const meta = rt.get("meta");
  assert.equal(meta.url, ORIGIN + "/src/meta.js");
  assert.deepEqual({ ...meta.env }, { MODE: "development", DEV: true, PROD: false, SSR: false, BASE_URL: "/" });
  assert.equal(meta.hasHot, true);
  assert.equal(meta.refresh, null);
});

test("the .env variables start receives join import.meta.env; the built-in keys stay", () => {
  const rt = createTestRuntime();
  rt.load([js("/src/meta.js", {}, "globalThis.env = __hotloop_meta.env;")], ["/src/meta.js"], {
    env: { VITE_API: "https://api.test", MODE: "overridden?" },
  });
  const env = rt.get("env");
  assert.equal(env.VITE_API, "https://api.test");
  assert.equal(env.MODE, "development");
  assert.equal(env.DEV, true);
  assert.ok(Object.isFrozen(env));
});

test("the mode start receives (--mode) is import.meta.env.MODE", () => {
  const rt = createTestRuntime();
  rt.load([js("/src/meta.js", {}, "globalThis.env = __hotloop_meta.env;")], ["/src/meta.js"], {
    mode: "staging",
    env: { VITE_API: "https://staging.test" },
  });
  const env = rt.get("env");
  assert.equal(env.MODE, "staging");
  assert.equal(env.VITE_API, "https://staging.test");
  assert.equal(env.DEV, true);
  assert.ok(Object.isFrozen(env));
});

test("the base start receives (vite.config's base) is import.meta.env.BASE_URL", () => {
  const rt = createTestRuntime();
  rt.load([js("/src/meta.js", {}, "globalThis.env = __hotloop_meta.env;")], ["/src/meta.js"], {
    base: "/app/",
    env: { BASE_URL: "from .env?" },
  });
  assert.equal(rt.get("env").BASE_URL, "/app/");
});

test("without a refresh runtime $RefreshReg$/$RefreshSig$ are harmless", () => {
  const rt = createTestRuntime();
  rt.load(
    [js("/src/App.jsx", {}, `var _s = $RefreshSig$(); function App() {} globalThis.same = _s(App, "k") === App; $RefreshReg$(App, "App");`)],
    ["/src/App.jsx"],
  );
  assert.equal(rt.get("same"), true);
});

test("a host without hot updates (a worker) gives modules no import.meta.hot", async () => {
  const rt = createTestRuntime();
  await rt.load([js("/src/w.js", {}, "globalThis.hot = __hotloop_meta.hot;")], ["/src/w.js"], { hot: false });
  assert.equal(rt.get("hot"), undefined);
});

test("a dep the engine wrote as 1 is its specifier joined to the module's directory", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js("/src/app/main.js", { "./b.js": 1, "../lib/c.js": 1 }, `module.exports = require("./b.js") + require("../lib/c.js");`),
      js("/src/app/b.js", {}, `module.exports = "b";`),
      js("/src/lib/c.js", {}, `module.exports = "c";`),
    ],
    ["/src/app/main.js"],
  );
  assert.equal(rt.require("/src/app/main.js"), "bc");
});

test("joinRelative follows the engine's join_relative on the shared cases", () => {
  const require = createRequire(import.meta.url);
  const { joinRelative } = require("../js/registry.js");
  const here = path.dirname(fileURLToPath(import.meta.url));
  const { cases } = JSON.parse(fs.readFileSync(path.join(here, "../../tests/data/join-relative.json"), "utf8"));
  assert.ok(cases.length > 10);
  for (const [importer, spec, joined] of cases) {
    assert.equal(joinRelative(importer, spec), joined, `${importer} + ${spec}`);
  }
});

test("require.esm marks the exports of the module being evaluated, once", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js("/src/a.js", { "./b.js": 1 }, esm({ a: "a" }, `const b = require("./b.js"); const a = "a" + b.b;`)),
      js("/src/b.js", {}, esm({ b: "b" }, `const b = "b";`)),
      js("/src/twice.js", {}, `"use strict"; require.esm({}); require.esm({});`),
    ],
    ["/src/a.js", "/src/twice.js"],
  );
  const a = rt.require("/src/a.js");
  assert.equal(a.a, "ab");
  assert.equal(a.__esModule, true);
  assert.deepEqual(Object.keys(rt.require("/src/b.js")), ["b"]);
  // A second call has no module to mark: a clear error.
  assert.equal(rt.inspect().modules["/src/twice.js"], "failed");
});

test("require.d and require.w are swc's default and namespace interop", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/main.js",
        { "./cjs.js": 1, "./esm.js": 1 },
        esm(
          { out: "out" },
          `const _cjs = require.d(require("./cjs.js"));
const _esm = require.d(require("./esm.js"));
const _ns = require.w(require("./cjs.js"));
const _ns2 = require.w(require("./cjs.js"));
const _esmNs = require.w(require("./esm.js"));
const out = {
  cjsDefault: _cjs.default, esmDefault: _esm.default,
  nsKeys: Object.keys(_ns), nsDefault: _ns.default, nsSame: _ns === _ns2,
  nsLive: Object.getOwnPropertyDescriptor(_ns, "live").get !== undefined,
  esmNsIsExports: _esmNs === require("./esm.js"),
};`,
        ),
      ),
      js(
        "/src/cjs.js",
        {},
        `module.exports = { a: 1, default: "ignored" }; Object.defineProperty(module.exports, "live", { enumerable: true, get: () => 2 });`,
      ),
      js("/src/esm.js", {}, esm({ default: "d" }, `const d = "esm default";`)),
    ],
    ["/src/main.js"],
  );
  const { out } = rt.require("/src/main.js");
  const cjs = rt.require("/src/cjs.js");
  assert.equal(out.cjsDefault, cjs);
  assert.equal(out.esmDefault, "esm default");
  assert.deepEqual(out.nsKeys, ["a", "live", "default"]);
  assert.equal(out.nsDefault, cjs);
  assert.equal(out.nsSame, true, "one namespace per exports object");
  assert.equal(out.nsLive, true, "an accessor stays an accessor");
  assert.equal(out.esmNsIsExports, true);
});

test("with Node's interop (require.esm's flags), a CommonJS default is module.exports, __esModule or not", async () => {
  // `/src/node.js` is an ES module by Node's rules (flags 3: its static imports and its
  // `import()`s); `/src/babel.js` is not. `lib.js` is Babel's CommonJS output.
  const body = (out) => `const _lib = require.d(require("./lib.js"));
const _esm = require.d(require("./esm.js"));
const _ns = require.w(require("./lib.js"));
const _esmNs = require.w(require("./esm.js"));
globalThis.${out} = {
  libDefault: _lib.default, esmDefault: _esm.default, nsDefault: _ns.default, nsNamed: _ns.named,
  esmNsIsExports: _esmNs === require("./esm.js"), dynamic: require.dynamic("./lib.js"),
};`;
  const deps = { "./lib.js": "/src/lib.js", "./esm.js": "/src/esm.js" };
  const rt = createTestRuntime();
  rt.load(
    [
      js("/src/node.js", deps, esm({}, body("node")).replace("\n});", "\n}, 3);")),
      js("/src/babel.js", deps, esm({}, body("babel"))),
      js("/src/lib.js", {}, `Object.defineProperty(exports, "__esModule", { value: true }); exports.default = "lib default"; exports.named = "named";`),
      js("/src/esm.js", {}, esm({ default: "d" }, `const d = "esm default";`)),
    ],
    ["/src/node.js", "/src/babel.js"],
  );
  const lib = rt.require("/src/lib.js");
  const node = rt.get("node");
  assert.equal(node.libDefault, lib, "module.exports");
  assert.equal(node.nsDefault, lib);
  assert.equal(node.nsNamed, "named");
  assert.equal(node.esmDefault, "esm default", "an ES module's default stays its own");
  assert.equal(node.esmNsIsExports, true);
  assert.equal((await node.dynamic).default, lib);
  const babel = rt.get("babel");
  assert.equal(babel.libDefault, "lib default", "Babel's: exports.default");
  assert.equal(babel.nsDefault, "lib default");
  assert.equal(babel.esmDefault, "esm default");
  assert.equal((await babel.dynamic).default, "lib default");
});

test("require.namespace gives an eager glob entry's namespace, each module's own", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/a.js",
        { "./esm.js": 1, "./cjs.js": 1 },
        `const esm = require.namespace("./esm.js"); const cjs = require.namespace("./cjs.js");
globalThis.ns = { esmNamed: esm.named, cjsDefault: cjs.default.value, same: esm === require.namespace("./esm.js") };`,
      ),
      js("/src/esm.js", {}, `require.esm({ named: 0 }); exports.named = "named";`),
      js("/src/cjs.js", {}, `module.exports = { value: 42 };`),
    ],
    ["/src/a.js"],
  );
  assert.deepEqual({ ...rt.get("ns") }, { esmNamed: "named", cjsDefault: 42, same: true });
});

test("require.u gives an asset's URL module, or the specifier as written when it did not resolve", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js(
        "/src/a.js",
        { "./tex.png?url": "/src/tex.png?url", "./gone.png?url": null },
        `globalThis.urls = [require.u("./tex.png?url", "./tex.png"), require.u("./gone.png?url", "./gone.png")];`,
      ),
      js("/src/tex.png?url", {}, `module.exports = "/src/tex.png?v=abc";`),
    ],
    ["/src/a.js"],
  );
  assert.deepEqual(Array.from(rt.get("urls")), ["/src/tex.png?v=abc", "./gone.png"]);
});

test("an error about a call of an imported name says the name as written, not the registry's call", () => {
  const rt = createTestRuntime();
  rt.load(
    [
      js("/src/util.js", {}, `${SWC.esModule}\nexports.notAFunction = 42;`),
      js(
        "/src/main.js",
        { "./util.js": "/src/util.js" },
        `${SWC.esModule}\nconst _util = require("./util.js");\n(0, _util.notAFunction)();`,
      ),
    ],
    ["/src/main.js"],
  );
  const shown = rt.errors.get("/src/main.js");
  assert.equal(shown.message, "notAFunction is not a function");
  assert.match(shown.stack, /^TypeError: notAFunction is not a function/);
});
