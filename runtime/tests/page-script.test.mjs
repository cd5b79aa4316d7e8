// The served script as a whole (every file in ORDER, in a vm page): the globals it defines, a
// second copy, no `process` global, and `__hotloop`'s refresh setter reaching the modules.

import { test } from "node:test";
import assert from "node:assert/strict";

import { createPage, runtimeSource } from "./support/page-env.mjs";
import { esm, js } from "./support/modules.mjs";

test("the full script, protocol.js included, defines only the allowed globals", () => {
  const page = createPage();
  const added = Object.getOwnPropertyNames(page.context).filter((name) => !page.globalsBefore.has(name));
  assert.deepEqual(added.sort(), ["HotloopProtocol", "__hotloop"]);
  assert.equal(typeof page.hotloop.define, "function");
  assert.equal(typeof page.hotloop.start, "function");
  assert.equal(typeof page.get("HotloopProtocol").decodeServerMessage, "function");
});

test("loading the runtime a second time keeps the first registry", () => {
  const page = createPage();
  page.load([js("/src/a.js", {}, esm({ v: "v" }, "const v = 1;"))], ["/src/a.js"]);
  page.run(runtimeSource());
  assert.equal(page.get("__hotloop"), page.hotloop);
  assert.equal(page.hotloop.require("/src/a.js").v, 1);
});

test("the page has no process global: a module tells it from Node, and the page's url is import.meta.url", () => {
  // The engine replaces `process.env.NODE_ENV` where it is written; what is left reads the page's
  // globals as Vite's page does (`typeof process` is "undefined", a raw read throws).
  const page = createPage();
  page.load(
    [js("/src/meta.js", {}, "globalThis.seen = [typeof process, __hotloop_meta.url];")],
    ["/src/meta.js"],
  );
  assert.deepEqual(Array.from(page.get("seen")), ["undefined", "http://localhost:5173/src/meta.js"]);
});

test("the entries see document.currentScript null, as native modules do, and the document keeps its own after", () => {
  const page = createPage();
  const piece = page.document.createElement("script");
  page.document.currentScript = piece;
  page.load([js("/src/main.js", {}, "globalThis.seenScript = document.currentScript;")], ["/src/main.js"]);
  assert.equal(page.get("seenScript"), null);
  assert.equal(page.document.currentScript, piece);
});

test("$RefreshReg$ and $RefreshSig$ reach the refresh runtime once it is installed", () => {
  const page = createPage();
  page.run(`globalThis.registered = [];
__hotloop.refresh = {
  injectIntoGlobalHook() {},
  isLikelyComponentType() { return false; },
  register(type, id) { registered.push(id); },
  createSignatureFunctionForTransform() { return function sign(type) { return type; }; },
  performReactRefresh() {},
};`);
  page.load(
    [
      js(
        "/src/App.jsx",
        {},
        `var _s = $RefreshSig$();
function App() { _s(); return null; }
_s(App, "abc");
$RefreshReg$(App, "App");`,
      ),
    ],
    ["/src/App.jsx"],
  );
  assert.deepEqual(Array.from(page.get("registered")), ["/src/App.jsx App"]);
});

/** The page's `<script>` elements in `<head>` whose `src` is a lazy chunk's. */
function lazyScripts(page) {
  return page.document.head.querySelectorAll("script").filter((s) => String(s.src).startsWith("/_hotloop/lazy.js"));
}

/** Lets the page's promise jobs (the `import()` on its way to loading a chunk) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a lazy chunk loads through a <script> element, and the snapshot its last statement names is what the page reports", async () => {
  const page = createPage();
  await page.boot(
    [js("/src/main.js", { "./lazy.js": "/src/lazy.js" }, `globalThis.loading = require.dynamic("./lazy.js").then((ns) => { globalThis.answer = ns.answer; });`)],
    ["/src/main.js"],
  );
  await settle();
  const [script] = lazyScripts(page);
  assert.equal(script.src, "/_hotloop/lazy.js?id=%2Fsrc%2Flazy.js");
  // The browser runs the chunk, then fires `load`.
  const chunk = js("/src/lazy.js", {}, esm({ answer: "answer" }, "const answer = 42;"));
  page.run(`__hotloop.define(${JSON.stringify(chunk.id)}, {}, ${chunk.code});\n__hotloop.served("/src/lazy.js", 7);`);
  script.onload();
  await page.get("loading");
  assert.equal(page.get("answer"), 42);
  assert.deepEqual(lazyScripts(page), [], "the element is removed once it ran");
  assert.deepEqual(page.sent("loaded").map((m) => [m.chunk, m.snapshot]), [["/src/lazy.js", 7]]);
});

/** The page's `<script>` elements in `<head>` whose `src` is a piece's (a part of a lazy chunk). */
function pieceScripts(page) {
  return page.document.head.querySelectorAll("script").filter((s) => String(s.src).startsWith("/_hotloop/piece/"));
}

test("a lazy chunk served in parts: the page asks for every part at once, and the import() resolves once all of them ran", async () => {
  const page = createPage();
  await page.boot(
    [js("/src/main.js", { "./big.js": "/src/big.js" }, `globalThis.loading = require.dynamic("./big.js").then((ns) => { globalThis.answer = ns.answer; });`)],
    ["/src/main.js"],
  );
  await settle();
  const [script] = lazyScripts(page);
  page.run(`__hotloop.served("/src/big.js", 9, ["/_hotloop/piece/aaaa.js", "/_hotloop/piece/bbbb.js"]);`);
  // Asked for as the statement runs, before the chunk's script fires `load`.
  const parts = pieceScripts(page);
  script.onload();
  await settle();
  assert.deepEqual(parts.map((s) => s.src), ["/_hotloop/piece/aaaa.js", "/_hotloop/piece/bbbb.js"]);
  // The second part comes first: they run as they arrive.
  const big = js("/src/big.js", { "./half.js": "/src/half.js" }, esm({ answer: "answer" }, `const answer = require("./half.js").half * 2;`));
  const half = js("/src/half.js", {}, esm({ half: "half" }, "const half = 21;"));
  page.run(`__hotloop.define(${JSON.stringify(half.id)}, {}, ${half.code});`);
  parts[1].onload();
  await settle();
  assert.equal(page.get("answer"), undefined, "not before every part ran");
  assert.deepEqual(page.sent("loaded"), []);
  page.run(`__hotloop.define(${JSON.stringify(big.id)}, ${JSON.stringify(big.deps)}, ${big.code});`);
  parts[0].onload();
  await page.get("loading");
  assert.equal(page.get("answer"), 42);
  assert.deepEqual(pieceScripts(page), []);
  assert.deepEqual(page.sent("loaded").map((m) => [m.chunk, m.snapshot]), [["/src/big.js", 9]]);
});

test("a part of a lazy chunk the server no longer has rejects the import() with the server's words", async () => {
  const page = createPage();
  page.context.fetch = async () => ({
    ok: false,
    status: 404,
    text: async () => "hotloop: no piece bbbb of the page: the page is older than the server's last few builds (or than the server); reload it\n",
  });
  await page.boot(
    [js("/src/main.js", { "./big.js": "/src/big.js" }, `globalThis.loading = require.dynamic("./big.js").catch((err) => { globalThis.failure = err.message; });`)],
    ["/src/main.js"],
  );
  await settle();
  page.run(`__hotloop.served("/src/big.js", 9, ["/_hotloop/piece/aaaa.js", "/_hotloop/piece/bbbb.js"]);`);
  lazyScripts(page)[0].onload();
  await settle();
  const [first, second] = pieceScripts(page);
  first.onload();
  second.onerror();
  await page.get("loading");
  assert.match(page.get("failure"), /^Cannot load module '.\/big.js' \(\/src\/big.js\) imported by \/src\/main.js: hotloop: no piece bbbb of the page/);
  assert.deepEqual(page.sent("loaded"), []);
});

test("another page of a multi-page app starts the entries its <meta> names, each from its lazy chunk, not the chunk's", async () => {
  const page = createPage();
  const meta = page.document.createElement("meta");
  meta.setAttribute("name", "hotloop-page-entries");
  meta.setAttribute("content", JSON.stringify(["/src/about.js"]));
  page.document.body.appendChild(meta);
  await page.boot([js("/src/main.js", {}, `globalThis.mainRan = true;`)], ["/src/main.js"]);
  await settle();
  const [script] = lazyScripts(page);
  assert.equal(script.src, "/_hotloop/lazy.js?id=%2Fsrc%2Fabout.js");
  const about = js("/src/about.js", {}, `globalThis.aboutRan = true;`);
  page.run(`__hotloop.define(${JSON.stringify(about.id)}, {}, ${about.code});\n__hotloop.served("/src/about.js", 3);`);
  script.onload();
  await settle();
  await page.receive({ type: "chunk-synced", chunk: "/src/about.js" });
  await settle();
  assert.equal(page.get("aboutRan"), true);
  assert.equal(page.get("mainRan"), undefined, "index.html's entry is defined, not run");
  assert.deepEqual(page.sent("loaded").map((m) => [m.chunk, m.snapshot]), [["/src/about.js", 3]]);
});

test("a lazy chunk the server does not have rejects the import() with the server's words", async () => {
  const page = createPage();
  page.context.fetch = async (url) => ({
    ok: false,
    status: 404,
    text: async () => `hotloop: no module of this page loads ${decodeURIComponent(url.split("id=")[1])} with import()\n`,
  });
  await page.boot(
    [js("/src/main.js", { "./gone.js": "/src/gone.js" }, `globalThis.loading = require.dynamic("./gone.js").catch((err) => { globalThis.failure = err.message; });`)],
    ["/src/main.js"],
  );
  await settle();
  lazyScripts(page)[0].onerror();
  await page.get("loading");
  assert.equal(
    page.get("failure"),
    "Cannot load module './gone.js' (/src/gone.js) imported by /src/main.js: hotloop: no module of this page loads /src/gone.js with import()",
  );
  assert.deepEqual(page.sent("loaded"), []);
});

test("a module's exports its $RefreshReg$ calls registered are not asked about again; the others are", () => {
  const page = createPage();
  page.run(`globalThis.registered = [];
globalThis.asked = [];
__hotloop.refresh = {
  injectIntoGlobalHook() {},
  isLikelyComponentType(type) { asked.push(type && type.name); return typeof type === "function"; },
  register(type, id) { registered.push(id); },
  createSignatureFunctionForTransform() { return function sign(type) { return type; }; },
  performReactRefresh() {},
};`);
  page.load(
    [
      js(
        "/src/App.jsx",
        {},
        `require.esm({ default: () => App, Wrapped: () => Wrapped });
function App() { return null; }
const Wrapped = function Wrapped() { return App(); };
$RefreshReg$(App, "App");`,
      ),
    ],
    ["/src/App.jsx"],
  );
  assert.deepEqual(Array.from(page.get("asked")), ["Wrapped"]);
  assert.deepEqual(Array.from(page.get("registered")), ["/src/App.jsx App", "/src/App.jsx export Wrapped"]);
});

test("on a page with requestIdleCallback, exports are registered at an idle moment, and an update registers what still waits first", async () => {
  const page = createPage();
  const idle = [];
  page.context.requestIdleCallback = (fn) => idle.push(fn);
  page.run(`globalThis.registered = [];
__hotloop.refresh = {
  injectIntoGlobalHook() {},
  isLikelyComponentType(type) { return typeof type === "function"; },
  register(type, id) { registered.push(id); },
  createSignatureFunctionForTransform() { return function sign(type) { return type; }; },
  performReactRefresh() { registered.push("refresh"); },
};`);
  const app = (v) =>
    js(
      "/src/App.jsx",
      {},
      `require.esm({ default: () => App, Wrapped: () => Wrapped });
function App() { return ${JSON.stringify(v)}; }
const Wrapped = function Wrapped() { return App(); };
$RefreshReg$(App, "App");`,
    );
  await page.boot([app("v1")], ["/src/App.jsx"]);
  assert.deepEqual(Array.from(page.get("registered")), ["/src/App.jsx App"], "the export waits");
  assert.equal(idle.length, 2, "the registration, then the page's \"rendered\"");
  // An update before the idle moment: the old export is registered before the module re-runs.
  await page.update({ revision: 2, modules: [app("v2")], boundaries: [{ id: "/src/App.jsx", acceptedDep: null }] });
  assert.deepEqual(Array.from(page.get("registered")), [
    "/src/App.jsx App",
    "/src/App.jsx export Wrapped",
    "/src/App.jsx App",
    "/src/App.jsx export Wrapped",
    "refresh",
  ]);
  idle.shift()();
  assert.equal(page.get("registered").length, 5, "nothing left for the idle moment");
});

test("the page says it rendered at its first idle moment after its entries ran, and again on a reconnect", async () => {
  const page = createPage();
  const idle = [];
  page.context.requestIdleCallback = (fn, options) => idle.push({ fn, options });
  await page.boot([js("/src/main.js", {}, "globalThis.ran = true;")], ["/src/main.js"]);
  assert.equal(page.get("ran"), true);
  assert.deepEqual(page.sent("rendered"), [], "not before the page was idle: the render its entries scheduled runs first");
  assert.equal(idle.length, 1);
  assert.ok(idle[0].options.timeout > 0, "a page that is never idle says it all the same");
  idle.shift().fn();
  assert.deepEqual(page.sent("rendered"), [{ kind: "rendered" }]);
  page.socket.serverClose();
  page.runTimers();
  await page.connect();
  assert.equal(page.sent("rendered").length, 2, "a new session hears it too");
  assert.equal(idle.length, 0, "said once per page");
});
