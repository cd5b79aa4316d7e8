// Top-level await: async factories, importers that wait, static imports in source order,
// import(), require() of a waiting module, failures, cycles, and hot updates through them.

import { test } from "node:test";
import assert from "node:assert/strict";

import { asyncJs, createPage, esm, js } from "./support/env.mjs";

/** Lets the page's promise chains run (the vm context shares Node's microtask queue). */
async function settle() {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

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

test("importers wait for a module's top-level await; static imports run in source order", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./a.js": "/src/a.js", "./config.js": "/src/config.js", "./c.js": "/src/c.js" },
    `const _a = require("./a.js");
const _config = require("./config.js");
const _c = require("./c.js");
order.push("main sees " + _config.value);`,
  );
  page.load(
    [main, logs("/src/a.js", {}, "a"), config(42), logs("/src/c.js", {}, "c")],
    ["/src/main.js"],
  );
  // Synchronously, only what comes before the first await has run.
  assert.deepEqual(Array.from(page.get("order")), ["a", "config:start"]);
  await settle();
  assert.deepEqual(Array.from(page.get("order")), ["a", "config:start", "config:end", "c", "main sees 42"]);
  assert.deepEqual(page.inspect().modules, {
    "/src/main.js": "evaluated",
    "/src/a.js": "evaluated",
    "/src/config.js": "evaluated",
    "/src/c.js": "evaluated",
  });
});

test("waiting propagates through modules without await of their own, and not through import()", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
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
  page.load([main, mid, config(21), lazy], ["/src/main.js"]);
  await settle();
  assert.deepEqual(Array.from(page.get("order")), ["config:start", "config:end", "main sees 42", "lazy"]);
  const namespace = await page.get("lazy");
  assert.equal(namespace.name, "lazy");
});

test("import() of a module using top-level await resolves once it finished, with its exports", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./config.js": "/src/config.js", "./legacy.cjs": "/src/legacy.cjs" },
    esm({ load: "load", loadLegacy: "loadLegacy" }, `function load() { return require.dynamic("./config.js"); }
function loadLegacy() { return require.dynamic("./legacy.cjs"); }`),
  );
  main.staticDeps = 0;
  const legacy = js("/src/legacy.cjs", {}, `module.exports = { named: 1 };`);
  page.load([main, config(7), legacy], ["/src/main.js"]);
  await settle();
  assert.equal(page.inspect().modules["/src/config.js"], "defined", "import() is lazy");
  const namespace = await page.hotloop.require("/src/main.js").load();
  assert.equal(namespace.value, 7);
  assert.deepEqual(Array.from(page.get("order")), ["config:start", "config:end"]);
  // CommonJS through import(): named exports plus `default` = module.exports.
  const cjs = await page.hotloop.require("/src/main.js").loadLegacy();
  assert.equal(cjs.named, 1);
  assert.deepEqual({ ...cjs.default }, { named: 1 });
});

test("import() of an unresolved specifier rejects with the importer and the specifier", async () => {
  const page = createPage();
  const main = js("/src/main.js", { "./gone.js": null }, `globalThis.attempt = require.dynamic("./gone.js");`);
  main.staticDeps = 0;
  page.load([main], ["/src/main.js"]);
  await assert.rejects(page.get("attempt"), /Cannot find module '\.\/gone\.js' imported by \/src\/main\.js/);
});

test("a variable import() loads the candidate its path names, and names the candidates otherwise", async () => {
  const page = createPage();
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
globalThis.load = (lang, suffix = "") => require.dynamic(\`./locales/\${lang}.js\${suffix}\`, table);`,
  );
  const locale = (lang) => js(`/src/locales/${lang}.js`, {}, `exports.hello = "${lang}";`);
  page.load([candidates, main, locale("en"), locale("fr")], ["/src/main.js"]);
  assert.equal((await page.get("load")("fr")).hello, "fr");
  // A query or hash after the path (`?raw` patterns) is not part of the key.
  assert.equal((await page.get("load")("en", "?v=1")).hello, "en");
  await assert.rejects(
    page.get("load")("de"),
    /Unknown variable dynamic import: '\.\/locales\/de\.js' in \/src\/main\.js \(the pattern matches \.\/locales\/en\.js, \.\/locales\/fr\.js\)/,
  );
});

test("require() of a module that waits for top-level await is a clear error", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
  const legacy = js(
    "/src/legacy.cjs",
    { "./config.js": "/src/config.js" },
    `try { require("./config.js"); } catch (err) { globalThis.message = err.message; }`,
  );
  legacy.staticDeps = 0;
  page.load([legacy, config(1)], ["/src/legacy.cjs"]);
  await settle();
  assert.match(
    page.get("message"),
    /\/src\/legacy\.cjs requires \/src\/config\.js synchronously, but \/src\/config\.js waits for top-level await/,
  );
  assert.equal(page.inspect().modules["/src/config.js"], "defined");
});

test("a module that throws after await fails with its importers; the overlay shows it", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
  const broken = asyncJs("/src/config.js", {}, `await null;\nthrow new Error("config could not load");`);
  const main = logs("/src/main.js", { "./config.js": "/src/config.js" }, "main", `\nrequire("./config.js");`);
  page.load([main, broken], ["/src/main.js"]);
  await settle();
  assert.deepEqual(Array.from(page.get("order")), [], "main's body never ran");
  assert.equal(page.inspect().modules["/src/config.js"], "failed");
  assert.equal(page.inspect().modules["/src/main.js"], "failed");
  assert.match(page.overlayText(), /config could not load/);
});

test("an import cycle through a waiting module hands out partial exports instead of deadlocking", async () => {
  const page = createPage();
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
  page.load([a, b], ["/src/a.js"]);
  await settle();
  assert.equal(page.inspect().modules["/src/a.js"], "evaluated");
  assert.equal(page.hotloop.require("/src/a.js").fromB, "b sees a");
});

test("a hot update re-evaluates a waiting module and its importer, then accepts and acks", async () => {
  const page = createPage();
  page.run("globalThis.order = []");
  const main = js(
    "/src/main.js",
    { "./config.js": "/src/config.js" },
    `const _config = require("./config.js");
order.push("main sees " + _config.value);
__hotloop_meta.hot.accept();`,
  );
  page.load([main, config(1)], ["/src/main.js"]);
  await page.connect();
  await settle();
  page.run("order.length = 0");
  const ack = await page.update({
    revision: 2,
    modules: [config(2)],
    invalidate: ["/src/config.js", "/src/main.js"],
    boundaries: [{ id: "/src/main.js", acceptedDep: null }],
  });
  assert.deepEqual(Array.from(page.get("order")), ["config:start", "config:end", "main sees 2"]);
  assert.equal(ack.ok, true);
  assert.equal(ack.error, null);
  assert.ok(page.hmrLog().includes("[hmr] updated /src/main.js"), page.hmrLog().join("\n"));
});

test("without top-level await, start evaluates the page synchronously", () => {
  const page = createPage();
  page.run("globalThis.order = []");
  page.load([logs("/src/main.js", { "./a.js": "/src/a.js" }, "main", `\nrequire("./a.js");`), logs("/src/a.js", {}, "a")], [
    "/src/main.js",
  ]);
  // Evaluated synchronously by start, as before top-level await support.
  assert.deepEqual(Array.from(page.get("order")), ["main", "a"]);
});
