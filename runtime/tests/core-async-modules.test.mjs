// The core in plain Node, top-level await: async factories, importers that wait, static imports
// in source order, import(), require() of a waiting module, failures, cycles, and hot updates
// through them. `load` resolves once every entry settled: no waiting on timers.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createTestRuntime } from "./support/core-env.mjs";
import { asyncJs, esm, js } from "./support/modules.mjs";

/** A module that logs its evaluation into `order`. */
const logs = (id, deps, name, extra = "") =>
  js(id, deps, esm({ name: "name" }, `order.push(${JSON.stringify(name)}); const name = ${JSON.stringify(name)};${extra}`));

/** `/src/config.js`: awaits twice, then exports `value`. */
const config = (value) =>
  asyncJs(
    "/src/config.js",
    {},
    esm({ value: "value" }, `order.push("config:start");
const value = await Promise.resolve(${value});
await null;
order.push("config:end");`),
  );

test("importers wait for a module's top-level await; a sibling runs while it waits, as native modules do", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./a.js": "/src/a.js", "./config.js": "/src/config.js", "./c.js": "/src/c.js" },
    `const _a = require("./a.js");
const _config = require("./config.js");
const _c = require("./c.js");
order.push("main sees " + _config.value);`,
  );
  const started = rt.load(
    [main, logs("/src/a.js", {}, "a"), config(42), logs("/src/c.js", {}, "c")],
    ["/src/main.js"],
  );
  // Synchronously: `a`, `config` up to its first await, and `c`, which does not wait on it.
  assert.deepEqual(Array.from(rt.get("order")), ["a", "config:start", "c"]);
  await started;
  assert.deepEqual(Array.from(rt.get("order")), ["a", "config:start", "c", "config:end", "main sees 42"]);
  assert.deepEqual(rt.inspect().modules, {
    "/src/main.js": "evaluated",
    "/src/a.js": "evaluated",
    "/src/config.js": "evaluated",
    "/src/c.js": "evaluated",
  });
});

test("waiting propagates through modules without await of their own, and not through import()", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./mid.js": "/src/mid.js", "./lazy.js": "/src/lazy.js" },
    `const _mid = require("./mid.js");
order.push("main sees " + _mid.doubled);
globalThis.lazy = require.dynamic("./lazy.js");`,
  );
  main.staticDeps = 1;
  const mid = js(
    "/src/mid.js",
    { "./config.js": "/src/config.js" },
    esm({ doubled: "doubled" }, `const _config = require("./config.js");
const doubled = _config.value * 2;`),
  );
  const lazy = logs("/src/lazy.js", { "./config.js": "/src/config.js" }, "lazy");
  await rt.load([main, mid, config(21), lazy], ["/src/main.js"]);
  const namespace = await rt.get("lazy");
  assert.equal(namespace.name, "lazy");
  assert.deepEqual(Array.from(rt.get("order")), ["config:start", "config:end", "main sees 42", "lazy"]);
});

test("import() of a module using top-level await resolves once it finished, with its exports", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./config.js": "/src/config.js", "./legacy.cjs": "/src/legacy.cjs" },
    esm({ load: "load", loadLegacy: "loadLegacy" }, `function load() { return require.dynamic("./config.js"); }
function loadLegacy() { return require.dynamic("./legacy.cjs"); }`),
  );
  main.staticDeps = 0;
  const legacy = js("/src/legacy.cjs", {}, `module.exports = { named: 1 };`);
  await rt.load([main, config(7), legacy], ["/src/main.js"]);
  assert.equal(rt.inspect().modules["/src/config.js"], "defined", "import() is lazy");
  const namespace = await rt.require("/src/main.js").load();
  assert.equal(namespace.value, 7);
  assert.deepEqual(Array.from(rt.get("order")), ["config:start", "config:end"]);
  // CommonJS through import(): named exports plus `default` = module.exports.
  const cjs = await rt.require("/src/main.js").loadLegacy();
  assert.equal(cjs.named, 1);
  assert.deepEqual({ ...cjs.default }, { named: 1 });
});

test("import() of an unresolved specifier rejects with the importer and the specifier", async () => {
  const rt = createTestRuntime();
  const main = js("/src/main.js", { "./gone.js": null }, `globalThis.attempt = require.dynamic("./gone.js");`);
  main.staticDeps = 0;
  rt.load([main], ["/src/main.js"]);
  await assert.rejects(rt.get("attempt"), /Cannot find module '\.\/gone\.js' imported by \/src\/main\.js/);
});

test("a variable import() loads the candidate its path names, and names the candidates otherwise", async () => {
  const rt = createTestRuntime();
  const candidates = js(
    "/src/main.js?glob=0",
    { "./locales/en.js": "/src/locales/en.js", "./locales/fr.js": "/src/locales/fr.js" },
    `module.exports = {
  "./locales/en.js": () => require.dynamic("./locales/en.js"),
  "./locales/fr.js": () => require.dynamic("./locales/fr.js"),
};`,
  );
  candidates.staticDeps = 0;
  const main = js(
    "/src/main.js",
    { "./main.js?glob=0": "/src/main.js?glob=0" },
    `const table = require("./main.js?glob=0");
globalThis.load = (lang, suffix = "") => require.dynamic(\`./locales/\${lang}.js\${suffix}\`, table);
globalThis.loadBare = (lang) => require.dynamic(\`./locales/\${lang}\`, table);`,
  );
  const locale = (lang) => js(`/src/locales/${lang}.js`, {}, `exports.hello = "${lang}";`);
  rt.load([candidates, main, locale("en"), locale("fr")], ["/src/main.js"]);
  assert.equal((await rt.get("load")("fr")).hello, "fr");
  // A query or hash after the path (`?raw` patterns) is not part of the key.
  assert.equal((await rt.get("load")("en", "?v=1")).hello, "en");
  // Without its extension, the file Vite's resolver would find (`.js` before `.json`).
  assert.equal((await rt.get("loadBare")("fr")).hello, "fr");
  await assert.rejects(
    rt.get("load")("de"),
    /Unknown variable dynamic import: '\.\/locales\/de\.js' in \/src\/main\.js \(the pattern matches \.\/locales\/en\.js, \.\/locales\/fr\.js\)/,
  );
});

test("a root-absolute variable import() none of the candidates names is the host's own import() (a public/ file)", async () => {
  const rt = createTestRuntime();
  const candidates = js("/src/main.js?glob=0", { "/src/pages/a.js": "/src/pages/a.js" }, `module.exports = {
  "/src/pages/a.js": () => require.dynamic("/src/pages/a.js"),
};`);
  candidates.staticDeps = 0;
  const main = js(
    "/src/main.js",
    { "./main.js?glob=0": "/src/main.js?glob=0" },
    `const table = require("./main.js?glob=0");
globalThis.load = (name) => require.dynamic(\`/src/pages/\${name}.js\`, table);
globalThis.loadPublic = (name) => require.dynamic(\`/plugins/\${name}.js\`, {});`,
  );
  rt.load([candidates, main, js("/src/pages/a.js", {}, `exports.page = "a";`)], ["/src/main.js"]);
  assert.equal((await rt.get("load")("a")).page, "a");
  // (Node's import() of a path that is not there, here; the browser's fetch of the URL in a page.)
  await assert.rejects(rt.get("loadPublic")("x"), (e) => !/Unknown variable dynamic import/.test(e.message) && /plugins\/x\.js/.test(e.message));
});

test("an import() of a specifier known only at run time: a root path or a bare name is the host's own import(), a relative path a module of the app", async () => {
  const rt = createTestRuntime();
  const main = js("/src/main.js", { "./gone.js": null }, `globalThis.load = (spec) => require.dynamic(spec);`);
  main.staticDeps = 0;
  rt.load([main], ["/src/main.js"]);
  // (Node's import() here; the browser's, which asks the server (a middleware's file, a
  // public/ one) or the page's import map, in a page.)
  for (const spec of ["/ext/mod.js", "mapped-lib"]) {
    await assert.rejects(rt.get("load")(spec), (e) => !/imported by \/src\/main\.js/.test(e.message) && e.message.includes(spec), spec);
  }
  await assert.rejects(rt.get("load")("./other.js"), /Cannot find module '\.\/other\.js' imported by \/src\/main\.js/);
  // One the engine named and could not resolve stays its error.
  await assert.rejects(rt.get("load")("./gone.js"), /Cannot find module '\.\/gone\.js'/);
});

test("require() of a module that waits for top-level await is a clear error", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const legacy = js(
    "/src/legacy.cjs",
    { "./config.js": "/src/config.js" },
    `try { require("./config.js"); } catch (err) { globalThis.message = err.message; }`,
  );
  legacy.staticDeps = 0;
  await rt.load([legacy, config(1)], ["/src/legacy.cjs"]);
  assert.match(
    rt.get("message"),
    /\/src\/legacy\.cjs requires \/src\/config\.js synchronously, but \/src\/config\.js waits for top-level await/,
  );
  assert.equal(rt.inspect().modules["/src/config.js"], "defined");
});

test("a module that throws after await fails with its importers; the host shows it", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const broken = asyncJs("/src/config.js", {}, `await null;\nthrow new Error("config could not load");`);
  const main = logs("/src/main.js", { "./config.js": "/src/config.js" }, "main", `\nrequire("./config.js");`);
  await rt.load([main, broken], ["/src/main.js"]);
  assert.deepEqual(Array.from(rt.get("order")), [], "main's body never ran");
  assert.equal(rt.inspect().modules["/src/config.js"], "failed");
  assert.equal(rt.inspect().modules["/src/main.js"], "failed");
  assert.match(rt.errors.get("/src/config.js").message, /config could not load/);
});

test("an import cycle through a waiting module hands out partial exports instead of deadlocking", async () => {
  const rt = createTestRuntime();
  const a = asyncJs(
    "/src/a.js",
    { "./b.js": "/src/b.js" },
    esm({ name: "name", fromB: "fromB" }, `const _b = require("./b.js");
const name = await Promise.resolve("a");
const fromB = _b.readA();`),
  );
  const b = js(
    "/src/b.js",
    { "./a.js": "/src/a.js" },
    esm({ readA: "readA" }, `const _a = require("./a.js");
function readA() { return "b sees " + _a.name; }`),
  );
  await rt.load([a, b], ["/src/a.js"]);
  assert.equal(rt.inspect().modules["/src/a.js"], "evaluated");
  assert.equal(rt.require("/src/a.js").fromB, "b sees a");
});

test("siblings, a cycle with a waiting module: the order native modules (vite dev) evaluate in", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./a.js": "/src/a.js", "./b.js": "/src/b.js", "./c.js": "/src/c.js" },
    `require("./a.js");
require("./b.js");
const _c = require("./c.js");
order.push("main:" + _c.cval);`,
  );
  const a = asyncJs("/src/a.js", {}, `order.push("a:start");
await new Promise((r) => setTimeout(r, 5));
order.push("a:end");`);
  const b = logs("/src/b.js", {}, "b");
  const c = js(
    "/src/c.js",
    { "./d.js": "/src/d.js" },
    esm({ cval: "cval" }, `const _d = require("./d.js");
order.push("c");
const cval = "c" + _d.dval;`),
  );
  const d = asyncJs(
    "/src/d.js",
    { "./c.js": "/src/c.js" },
    esm({ dval: "dval" }, `require("./c.js");
order.push("d");
await null;
order.push("d:after-await");
const dval = "d";`),
  );
  await rt.load([main, a, b, c, d], ["/src/main.js"]);
  assert.deepEqual(Array.from(rt.get("order")), ["a:start", "b", "d", "d:after-await", "c", "a:end", "main:cd"]);
});

test("a hot update re-evaluates a waiting module and its importer, then accepts and acks", async () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./config.js": "/src/config.js" },
    `const _config = require("./config.js");
order.push("main sees " + _config.value);
__hotloop_meta.hot.accept();`,
  );
  await rt.load([main, config(1)], ["/src/main.js"]);
  await rt.connect();
  rt.run("order.length = 0");
  const ack = await rt.update({
    revision: 2,
    modules: [config(2)],
    invalidate: ["/src/config.js", "/src/main.js"],
    boundaries: [{ id: "/src/main.js", acceptedDep: null }],
  });
  assert.deepEqual(Array.from(rt.get("order")), ["config:start", "config:end", "main sees 2"]);
  assert.equal(ack.ok, true);
  assert.equal(ack.error, null);
  assert.ok(rt.lifecycle().includes("updated /src/main.js"), rt.lifecycle().join("\n"));
});

test("without top-level await, start evaluates the page synchronously", () => {
  const rt = createTestRuntime();
  rt.run("globalThis.order = []");
  rt.load([logs("/src/main.js", { "./a.js": "/src/a.js" }, "main", `\nrequire("./a.js");`), logs("/src/a.js", {}, "a")], [
    "/src/main.js",
  ]);
  // Evaluated synchronously by start, as before top-level await support.
  assert.deepEqual(Array.from(rt.get("order")), ["main", "a"]);
});

test("a URL the engine left to the browser is a module that waits for its native import()", async () => {
  const rt = createTestRuntime();
  const url = "data:text/javascript,export default 40; export const two = 2;";
  const main = js(
    "/src/main.js",
    { [url]: url, "./b.js": "/src/b.js" },
    `const _url = require.d(require(${JSON.stringify(url)}));
const _b = require("./b.js");
globalThis.seen = _url.default + _url.two + _b.same;
globalThis.names = Object.keys(require(${JSON.stringify(url)})).join();`,
  );
  const b = js("/src/b.js", { [url]: url }, `exports.same = require(${JSON.stringify(url)}).two;`);
  await rt.load([main, b], ["/src/main.js"]);
  assert.equal(rt.get("seen"), 44, "default, a named export, and one module for both importers");
  assert.equal(rt.get("names"), "default,two", "its namespace lists its exports only");
  assert.equal(rt.inspect().modules[url], "evaluated");
});

test("import() of a URL the engine left to the browser is the browser's own import()", async () => {
  const rt = createTestRuntime();
  const url = "data:text/javascript,export default 5;";
  const main = {
    ...js("/src/main.js", { [url]: url }, `globalThis.loaded = require.dynamic(${JSON.stringify(url)});`),
    staticDeps: 0,
  };
  await rt.load([main], ["/src/main.js"]);
  const namespace = await rt.get("loaded");
  assert.equal(namespace.default, 5);
});
