// React Fast Refresh with the real react-refresh runtime (the vendored 0.19.0 copy, both as the
// embedded /_hotloop/react-refresh.js script and as the app's own `react-refresh/runtime` module)
// and a stand-in renderer that hooks into `__REACT_DEVTOOLS_GLOBAL_HOOK__` the way React DOM does
// when it loads, so every refresh the runtime performs is seen with its updated and stale
// component families. Modules are written in swc's output shape (React refresh + common_js).

import { test } from "node:test";
import assert from "node:assert/strict";

import { createPage, embeddedRefreshSource, vendoredRefreshSource } from "./support/page-env.mjs";
import { esm, js } from "./support/modules.mjs";

const self = (id) => ({ id, acceptedDep: null });

const APP_REFRESH_ID = "/node_modules/react-refresh/runtime.js";
const APP_REFRESH_DEV_ID = "/node_modules/react-refresh/cjs/react-refresh-runtime.development.js";

/** react-refresh's own `runtime.js` entry and its development build, as the engine emits them. */
function appRefreshModules() {
  return [
    js(APP_REFRESH_ID, { "./cjs/react-refresh-runtime.development.js": APP_REFRESH_DEV_ID }, `"use strict";
module.exports = require("./cjs/react-refresh-runtime.development.js");`),
    // As the engine serves it: `process.env.NODE_ENV` replaced where it is written (the page has
    // no `process`).
    js(APP_REFRESH_DEV_ID, {}, vendoredRefreshSource().replaceAll("process.env.NODE_ENV", '"development"')),
  ];
}

/**
 * A renderer standing in for React DOM: on evaluation it looks for the DevTools hook and injects
 * its refresh helpers (as React DOM does once, when it loads); `mount()` commits one root.
 * `refreshLog` collects every scheduled refresh.
 */
const RENDERER_ID = "/node_modules/react-dom/client.js";
const renderer = js(RENDERER_ID, {}, `"use strict";
const hook = globalThis.__REACT_DEVTOOLS_GLOBAL_HOOK__;
globalThis.rendererSawHook = hook !== undefined;
globalThis.refreshLog = [];
const root = { current: { alternate: null, memoizedState: { element: {} } } };
let rendererId = null;
if (hook !== undefined) {
  rendererId = hook.inject({
    scheduleRefresh(r, update) {
      refreshLog.push(update);
      // What React commits while the refresh renders (a test's \`commitInRefresh\` types).
      if (globalThis.commitInRefresh) exports.commit(globalThis.commitInRefresh);
    },
    setRefreshHandler() {},
    scheduleRoot() {},
  });
}
exports.mount = function () {
  if (rendererId !== null) hook.onCommitFiberRoot(rendererId, root, undefined, false);
};
// Commits a tree of one fiber per component type, nested (what React commits after a render).
exports.commit = function (types) {
  let parent = root.current;
  parent.child = null;
  for (const type of types) {
    const fiber = { type, child: null, sibling: null, return: parent };
    parent.child = fiber;
    parent = fiber;
  }
  if (rendererId !== null) hook.onCommitFiberRoot(rendererId, root, undefined, false);
};`);

/** `main.jsx`: loads the renderer, imports `/src/App.jsx` and mounts. Not a boundary. */
const main = js("/src/main.jsx", { "react-dom/client": RENDERER_ID, "./App.jsx": "/src/App.jsx" }, `"use strict";
const _client = require("react-dom/client");
const _App = require("./App.jsx");
_client.mount();`);

/**
 * `App.jsx` in swc's shape: `export default App` (a function component using `hooks`, whose
 * signature key swc derives from them) plus optional extra exports and imports.
 */
function app({ text = "v1", hooks = "useState{[count, setCount](0)}", exports = {}, deps = {}, body = "" } = {}) {
  return js(
    "/src/App.jsx",
    deps,
    esm({ default: "_default", ...exports }, `${body}
var _s = $RefreshSig$();
function App() {
    _s();
    return ${JSON.stringify(text)};
}
_s(App, ${JSON.stringify(hooks)});
_c = App;
const _default = App;
var _c;
$RefreshReg$(_c, "App");`),
  );
}

/** Loads the page: embedded refresh script (unless `embedded: false`), then the chunk. */
async function boot({ embedded = true, modules = [], startOptions = {}, entries = ["/src/main.jsx"] } = {}) {
  const page = createPage();
  if (embedded) page.run(embeddedRefreshSource());
  const all = [renderer, main, app(), ...modules];
  const defines = all
    .map((m) => `__hotloop.define(${JSON.stringify(m.id)}, ${JSON.stringify(m.deps)}, ${m.code});`)
    .join("\n");
  page.run(`${defines}
__hotloop.start(${JSON.stringify(entries)}, ${JSON.stringify({ revision: 1, serverId: "server-1", ...startOptions })});`);
  await page.connect();
  return page;
}

/** How the last scheduled refresh treated the family registered as `id`. */
function familyIn(page, index, id) {
  return page.run(`(() => {
    const family = __hotloop.refresh.getFamilyByID(${JSON.stringify(id)});
    const update = refreshLog[${index}];
    if (!family || !update) return "none";
    if (update.updatedFamilies.has(family)) return "updated";
    if (update.staleFamilies.has(family)) return "stale";
    return "none";
  })()`);
}

function appUpdate(revision, appOptions) {
  return {
    revision,
    modules: [app(appOptions)],
    invalidate: ["/src/App.jsx"],
    boundaries: [self("/src/App.jsx")],
  };
}

test("the embedded runtime is installed before the first module runs and React finds the hook", async () => {
  const page = await boot();
  assert.equal(page.get("rendererSawHook"), true);
  assert.deepEqual(page.inspect().refresh, { source: "embedded", refreshes: 0 });
  assert.equal(typeof page.hotloop.refresh.performReactRefresh, "function");
  assert.ok(page.run(`__hotloop.refresh.getFamilyByID("/src/App.jsx App") !== undefined`));
  assert.deepEqual(page.errorsLogged(), []);
  assert.deepEqual(page.logs.filter((l) => l.level === "warn"), []);
});

test("a refresh runtime arriving after the entries ran is installed with a warning", async () => {
  const page = await boot({ embedded: false });
  page.run(embeddedRefreshSource());
  assert.equal(page.inspect().refresh.source, "embedded");
  assert.match(page.logs.find((l) => l.level === "warn").text, /installed after the page started/);
});

test("the app's own react-refresh named by start() wins over the embedded copy", async () => {
  const page = await boot({ modules: appRefreshModules(), startOptions: { refreshRuntime: APP_REFRESH_ID } });
  assert.equal(page.get("rendererSawHook"), true);
  assert.equal(page.hotloop.refresh, page.hotloop.require(APP_REFRESH_ID));
  assert.equal(page.inspect().refresh.source, APP_REFRESH_ID);
  assert.deepEqual(page.logs.filter((l) => l.level === "warn"), []);
  assert.ok(page.run(`__hotloop.refresh.getFamilyByID("/src/App.jsx App") !== undefined`));
  // Only one runtime hooked into React: the renderer was injected into the app's copy.
  const ack = await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(ack.ok, true);
  assert.equal(page.get("refreshLog").length, 1);
  assert.equal(familyIn(page, 0, "/src/App.jsx App"), "updated");
});

test("the app's copy works without the embedded script", async () => {
  const page = await boot({ embedded: false, modules: appRefreshModules(), startOptions: { refreshRuntime: APP_REFRESH_ID } });
  assert.equal(page.get("rendererSawHook"), true);
  assert.equal(page.inspect().refresh.source, APP_REFRESH_ID);
});

test("an app copy that fails to load is reported and the embedded copy takes over", async () => {
  const broken = js(APP_REFRESH_ID, {}, `throw new Error("broken react-refresh");`);
  const page = await boot({ modules: [broken], startOptions: { refreshRuntime: APP_REFRESH_ID } });
  assert.equal(page.inspect().refresh.source, "embedded");
  assert.equal(page.get("rendererSawHook"), true);
  assert.match(page.overlayText(), /broken react-refresh/);
});

test("without any refresh runtime the hook is absent and registrations are no-ops", async () => {
  const page = await boot({ embedded: false });
  assert.equal(page.get("rendererSawHook"), false);
  assert.deepEqual(page.inspect().refresh, { source: null, refreshes: 0 });
});

test("editing a component with the same hooks refreshes once and keeps its state", async () => {
  const page = await boot();
  const ack = await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(ack.ok, true);
  assert.equal(page.get("refreshLog").length, 1);
  assert.equal(familyIn(page, 0, "/src/App.jsx App"), "updated");
  assert.equal(page.inspect().refresh.refreshes, 1);
  assert.deepEqual(page.sent("invalidate"), []);
  assert.deepEqual(page.hmrLog(), ["[hmr] connected", "[hmr] updated /src/App.jsx"]);
});

test("a render begun before a refresh that commits the old version gets one more refresh", async () => {
  // A lazy route loaded just before its update came: React resolved its component, the refresh
  // found it nowhere in the committed tree, then React committed the version it had resolved.
  const page = await boot();
  const renderer = () => page.run(`__hotloop.require(${JSON.stringify(RENDERER_ID)})`);
  const v1 = page.run(`__hotloop.require("/src/App.jsx").default`);
  await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(page.get("refreshLog").length, 1);
  const v2 = page.run(`__hotloop.require("/src/App.jsx").default`);
  assert.notEqual(v1, v2);
  // A commit of the current version changes nothing.
  renderer().commit([v2]);
  page.runTimers();
  assert.equal(page.get("refreshLog").length, 1);
  renderer().commit([v1]);
  page.runTimers();
  assert.equal(page.get("refreshLog").length, 2, "refreshed again");
  assert.equal(familyIn(page, 1, "/src/App.jsx App"), "updated");
  // Once: a later commit of the old version (a hidden subtree) does not refresh again.
  renderer().commit([v1]);
  page.runTimers();
  assert.equal(page.get("refreshLog").length, 2);
});

test("the commits of a refresh itself are not rechecked: one render per update", async () => {
  // A second edit soon after the first (its recheck window still open): the refresh's own
  // commit, which React made while it ran, held the version just replaced; taking it for a
  // render begun before the refresh rendered the component twice.
  const page = await boot();
  await page.update(appUpdate(2, { text: "v2" }));
  const v2 = page.run(`__hotloop.require("/src/App.jsx").default`);
  page.run(`globalThis.commitInRefresh = [${"__hotloop.require('/src/App.jsx').default"}]`);
  await page.update(appUpdate(3, { text: "v3" }));
  page.run(`globalThis.commitInRefresh = null`);
  assert.notEqual(page.run(`__hotloop.require("/src/App.jsx").default`), v2);
  page.runTimers();
  assert.equal(page.get("refreshLog").length, 2, "one refresh per update");
});

test("a changed hook signature makes the family stale (the component remounts)", async () => {
  const page = await boot();
  await page.update(appUpdate(2, { hooks: "useState{[count, setCount](0)}\nuseRef{ref}" }));
  assert.equal(page.get("refreshLog").length, 1);
  assert.equal(familyIn(page, 0, "/src/App.jsx App"), "stale");
});

test("each update that re-registers components refreshes exactly once", async () => {
  const page = await boot();
  for (let revision = 2; revision <= 4; revision++) {
    await page.update(appUpdate(revision, { text: `v${revision}` }));
    assert.equal(page.get("refreshLog").length, revision - 1);
  }
  // Two component modules in one update: still one refresh.
  const widget = (n) =>
    js("/src/Widget.jsx", {}, esm({ Widget: "Widget" }, `function Widget() { return ${n}; }
_c = Widget;
var _c;
$RefreshReg$(_c, "Widget");`));
  const withWidget = app({ text: "v5", deps: { "./Widget.jsx": "/src/Widget.jsx" }, body: `const _Widget = require("./Widget.jsx");` });
  await page.update({ revision: 5, modules: [withWidget, widget(1)], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.get("refreshLog").length, 4);
  await page.update({
    revision: 6,
    modules: [app({ text: "v6", deps: withWidget.deps, body: `const _Widget = require("./Widget.jsx");` }), widget(2)],
    invalidate: ["/src/Widget.jsx", "/src/App.jsx"],
    boundaries: [self("/src/Widget.jsx"), self("/src/App.jsx")],
  });
  assert.equal(page.get("refreshLog").length, 5);
  assert.equal(familyIn(page, 4, "/src/Widget.jsx Widget"), "updated");
  assert.equal(familyIn(page, 4, "/src/App.jsx App"), "updated");
});

test("an update that registers no component does not refresh", async () => {
  const leaf = (n) => js("/src/leaf.js", {}, `globalThis.leaf = ${n}; __hotloop_meta.hot.accept();`);
  const page = await boot({ modules: [leaf(1)], entries: ["/src/main.jsx", "/src/leaf.js"] });
  const ack = await page.update({ revision: 2, modules: [leaf(2)], invalidate: ["/src/leaf.js"], boundaries: [self("/src/leaf.js")] });
  assert.equal(ack.ok, true);
  assert.equal(page.get("leaf"), 2);
  assert.equal(page.get("refreshLog").length, 0);
  assert.equal(page.inspect().refresh.refreshes, 0);
});

test("a boundary exporting a non-component invalidates itself and the importers' update refreshes", async () => {
  // PascalCase but not a component: the engine's static rule let it through, the runtime does not.
  const themed = (color) => app({ text: color, exports: { Theme: "Theme" }, body: `const Theme = { color: ${JSON.stringify(color)} };` });
  const page = await boot();
  await page.update({ revision: 2, modules: [themed("red")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  // Adding an export is itself a reason; then a changed non-component value is one.
  assert.deepEqual(page.sent("invalidate").map((m) => m.id), ["/src/App.jsx"]);
  assert.match(page.sent("invalidate")[0].message, /new export "Theme"/);
  assert.equal(page.get("refreshLog").length, 0, "no refresh while the invalidation is on its way");

  // The server answers with the importer (main.jsx) re-evaluating as the boundary.
  const ack = await page.update({ revision: 3, invalidate: ["/src/main.jsx"], boundaries: [self("/src/main.jsx")] });
  assert.equal(ack.ok, true);
  assert.equal(page.get("refreshLog").length, 1, "one refresh once the importers re-evaluated");
  assert.equal(familyIn(page, 0, "/src/App.jsx App"), "updated");

  await page.update({ revision: 4, modules: [themed("blue")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.sent("invalidate").length, 2);
  assert.match(page.sent("invalidate")[1].message, /"Theme" export is not a component/);
  assert.equal(page.get("refreshLog").length, 1);
});

test("a component module with an accept callback of its own still invalidates for a changed non-component export", async () => {
  // TanStack Router's plugin adds `import.meta.hot.accept(cb)` to route files, which may also
  // export `queryOptions` their importers read: under Vite plugin-react's accept beside it
  // invalidates; so must this, after the module's own callback ran.
  const route = (key) =>
    app({
      exports: { postsQuery: "postsQuery" },
      body: `const postsQuery = { key: ${JSON.stringify(key)} };
__hotloop_meta.hot.accept((next) => { globalThis.routeAccepted = (globalThis.routeAccepted || 0) + 1; });`,
    });
  const page = await boot({ modules: [] });
  await page.update({ revision: 2, modules: [route("k1")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.sent("invalidate").length, 1, "a new export");
  await page.update({ revision: 3, invalidate: ["/src/main.jsx"], boundaries: [self("/src/main.jsx")] });
  await page.update({ revision: 4, modules: [route("k2")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.get("routeAccepted"), 1, "the module's own callback ran");
  assert.equal(page.sent("invalidate").length, 2);
  assert.match(page.sent("invalidate")[1].message, /"postsQuery" export is not a component/);
});

test("without a refresh runtime a module with its own accept callback is not checked (svelte-hmr's)", async () => {
  // A Svelte component compiles to a PascalCase function the refresh transform registers; its
  // own accept (svelte-hmr) re-mounts it. With no React Refresh on the page, nothing invalidates.
  const svelte = (text) =>
    app({ text, body: `__hotloop_meta.hot.accept((next) => { globalThis.remounted = (globalThis.remounted || 0) + 1; });` });
  const page = await boot({ embedded: false, modules: [] });
  await page.update({ revision: 2, modules: [svelte("a")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  // (The boot's App had no accept of its own: that update invalidated, as before.)
  const before = page.sent("invalidate").length;
  await page.update({ revision: 3, modules: [svelte("b")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.get("remounted"), 1);
  assert.equal(page.sent("invalidate").length, before);
});

test("exports a plugin asks React Refresh to ignore (TanStack Router's Route) do not invalidate", async () => {
  // The plugin names the module by its Vite id, the file's path: the root the start call gives.
  const route = (text) =>
    app({
      text,
      exports: { Route: "Route" },
      body: `const Route = { options: {} };
__hotloop_meta.hot.accept(() => {});
globalThis.__getReactRefreshIgnoredExports = ({ id }) => (id === "/home/dev/app/src/App.jsx" ? ["Route"] : []);`,
    });
  const page = await boot({ modules: [], startOptions: { root: "/home/dev/app" } });
  await page.update({ revision: 2, modules: [route("a")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  await page.update({ revision: 3, modules: [route("b")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.deepEqual(page.sent("invalidate"), []);
  assert.equal(page.get("refreshLog").length, 2, "refreshed in place");
});

test("an unchanged non-component export does not invalidate (Vite's rule)", async () => {
  const withConst = (text) => app({ text, exports: { Version: "Version" }, body: `const Version = 3;` });
  const page = await boot({ modules: [] });
  await page.update({ revision: 2, modules: [withConst("a")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.sent("invalidate").length, 1); // new export
  await page.update({ revision: 3, invalidate: ["/src/main.jsx"], boundaries: [self("/src/main.jsx")] });
  await page.update({ revision: 4, modules: [withConst("b")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.sent("invalidate").length, 1);
  assert.equal(page.get("refreshLog").length, 2);
});

test("a removed export invalidates", async () => {
  const page = await boot({ modules: [] });
  const two = app({ exports: { Other: "App" } });
  await page.update({ revision: 2, modules: [two], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  await page.update({ revision: 3, invalidate: ["/src/main.jsx"], boundaries: [self("/src/main.jsx")] });
  await page.update(appUpdate(4, { text: "v4" }));
  const messages = page.sent("invalidate").map((m) => m.message);
  assert.equal(messages.length, 2);
  assert.match(messages[1], /export "Other" removed/);
});

test("a module with its own hot.accept() and unchanged non-component exports refreshes in place", async () => {
  const accepting = (text) =>
    app({ text, exports: { config: "config" }, body: `const config = globalThis.sharedConfig; __hotloop_meta.hot.accept();` });
  const page = await boot({ modules: [] });
  page.run("globalThis.sharedConfig = {};");
  await page.update({ revision: 2, modules: [accepting("a")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  await page.update({ revision: 3, invalidate: ["/src/main.jsx"], boundaries: [self("/src/main.jsx")] });
  const before = page.sent("invalidate").length;
  await page.update({ revision: 4, modules: [accepting("b")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(page.sent("invalidate").length, before);
  assert.equal(page.get("refreshLog").length, 2);
});

test("without a refresh runtime a refresh boundary invalidates instead of leaving stale UI", async () => {
  const page = await boot({ embedded: false });
  const ack = await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(ack.ok, true);
  assert.deepEqual(page.sent("invalidate").map((m) => m.id), ["/src/App.jsx"]);
  assert.match(page.sent("invalidate")[0].message, /React Refresh is not installed/);
});

test("memo and forwardRef components register through their exports and keep state", async () => {
  const page = await boot();
  const REACT = "/node_modules/react/index.js";
  const react = js(REACT, {}, `"use strict";
exports.memo = function (type) { return { $$typeof: Symbol.for("react.memo"), type, compare: null }; };
exports.forwardRef = function (render) { return { $$typeof: Symbol.for("react.forward_ref"), render }; };`);
  // swc registers `_c1 = function Inner` and `_c2 = Memo`; the default export (memo of an inner
  // function swc cannot name) only registers through the exports.
  const wrapped = (n) =>
    js("/src/Wrapped.jsx", { react: REACT }, esm({ Memo: "Memo", Fwd: "Fwd", default: "_default" }, `const _react = require("react");
const Memo = (0, _react.memo)(_c1 = function Inner() { return ${n}; });
_c2 = Memo;
const Fwd = (0, _react.forwardRef)(_c3 = (props, ref) => ${n});
_c4 = Fwd;
const _default = (0, _react.memo)(() => ${n});
var _c1, _c2, _c3, _c4;
$RefreshReg$(_c1, "Memo$memo");
$RefreshReg$(_c2, "Memo");
$RefreshReg$(_c3, "Fwd$forwardRef");
$RefreshReg$(_c4, "Fwd");`));
  const withWrapped = app({ deps: { "./Wrapped.jsx": "/src/Wrapped.jsx" }, body: `const _Wrapped = require("./Wrapped.jsx");` });
  await page.update({
    revision: 2,
    modules: [withWrapped, wrapped(1), react],
    invalidate: ["/src/App.jsx"],
    boundaries: [self("/src/App.jsx")],
  });
  assert.ok(page.run(`__hotloop.refresh.getFamilyByID("/src/Wrapped.jsx export default") !== undefined`));
  await page.update({ revision: 3, modules: [wrapped(2)], invalidate: ["/src/Wrapped.jsx"], boundaries: [self("/src/Wrapped.jsx")] });
  assert.deepEqual(page.sent("invalidate"), []);
  const last = page.get("refreshLog").length - 1;
  assert.equal(familyIn(page, last, "/src/Wrapped.jsx Memo"), "updated");
  assert.equal(familyIn(page, last, "/src/Wrapped.jsx Fwd"), "updated");
  assert.equal(familyIn(page, last, "/src/Wrapped.jsx export default"), "updated");
});

test("a custom hook edit remounts its users only when the hook's own hooks changed", async () => {
  const HOOK = "/src/useCounter.js";
  const hook = (key) =>
    js(HOOK, {}, esm({ useCounter: "useCounter" }, `var _s = $RefreshSig$();
function useCounter() { _s(); return 0; }
_s(useCounter, ${JSON.stringify(key)});`));
  // swc passes the custom hooks a component calls as a function, read when the key is computed.
  const user = (text) =>
    js("/src/Counter.jsx", { "./useCounter.js": HOOK }, esm({ Counter: "Counter" }, `const _useCounter = require("./useCounter.js");
var _s = $RefreshSig$();
function Counter() { _s(); (0, _useCounter.useCounter)(); return ${JSON.stringify(text)}; }
_s(Counter, "useCounter{}", false, function () { return [_useCounter.useCounter]; });
_c = Counter;
var _c;
$RefreshReg$(_c, "Counter");`));
  const withCounter = app({ deps: { "./Counter.jsx": "/src/Counter.jsx" }, body: `const _Counter = require("./Counter.jsx");` });
  const page = await boot();
  await page.update({ revision: 2, modules: [withCounter, user("a"), hook("useState{[n, setN](0)}")], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  // Render once so the signature collects its custom hooks (React calls _s() on render).
  page.run(`__hotloop.require("/src/Counter.jsx").Counter()`);

  // The hook's module is no boundary: its importer Counter.jsx is, and re-evaluates with it.
  const viaCounter = (revision, key) => ({
    revision,
    modules: [hook(key), user(`r${revision}`)],
    invalidate: [HOOK, "/src/Counter.jsx"],
    boundaries: [self("/src/Counter.jsx")],
  });
  await page.update(viaCounter(3, "useState{[n, setN](0)}"));
  let last = page.get("refreshLog").length - 1;
  assert.equal(familyIn(page, last, "/src/Counter.jsx Counter"), "updated");
  page.run(`__hotloop.require("/src/Counter.jsx").Counter()`);

  await page.update(viaCounter(4, "useState{[n, setN](0)}\nuseEffect{}"));
  last = page.get("refreshLog").length - 1;
  assert.equal(familyIn(page, last, "/src/Counter.jsx Counter"), "stale");
});

test("a failed re-evaluation keeps the last good module and refreshes once the fix arrives", async () => {
  const page = await boot();
  const broken = js("/src/App.jsx", {}, `var _s = $RefreshSig$(); throw new Error("boom");`);
  const ack = await page.update({ revision: 2, modules: [broken], invalidate: ["/src/App.jsx"], boundaries: [self("/src/App.jsx")] });
  assert.equal(ack.ok, false);
  assert.equal(page.get("refreshLog").length, 0);
  assert.deepEqual(page.sent("invalidate"), []);
  const fixed = await page.update(appUpdate(3, { text: "fixed" }));
  assert.equal(fixed.ok, true);
  assert.equal(page.get("refreshLog").length, 1);
  assert.equal(familyIn(page, 0, "/src/App.jsx App"), "updated");
  assert.equal(page.overlay(), null);
});

test("a throwing performReactRefresh is reported and the ack says so", async () => {
  const page = await boot();
  page.run(`__hotloop.refresh.performReactRefresh = () => { throw new Error("render failed"); };`);
  const ack = await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(ack.ok, false);
  assert.match(ack.error, /render failed/);
  assert.match(page.overlayText(), /render failed/);
});

test("an error React reports while re-rendering shows in the overlay until a refresh renders cleanly", async () => {
  const page = await boot();
  // The page's error events, and a renderer that reports a render error the way React 19 does
  // (reportError → a synchronous window "error" event) while a flag is set.
  page.run(`globalThis.errorListeners = [];
globalThis.addEventListener = (type, fn) => { if (type === "error") errorListeners.push(fn); };
globalThis.removeEventListener = (type, fn) => { errorListeners = errorListeners.filter((f) => f !== fn); };
globalThis.renderFails = true;
refreshLog.push = function (update) {
  Array.prototype.push.call(this, update);
  if (renderFails) for (const fn of errorListeners.slice()) fn({ type: "error", error: new Error("render boom") });
};`);
  const ack = await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(ack.ok, false);
  assert.match(ack.error, /render boom/);
  assert.match(page.overlayText(), /React[\s\S]*render boom[\s\S]*while React re-rendered/);
  assert.equal(page.run("errorListeners.length"), 0, "the listener is removed after the refresh");

  page.run("renderFails = false;");
  const fixed = await page.update(appUpdate(3, { text: "v3" }));
  assert.equal(fixed.ok, true);
  assert.equal(page.overlay(), null);
});

test("a refresh runtime installed later than the first stays out; the first one is kept", async () => {
  const page = await boot();
  const first = page.hotloop.refresh;
  page.run(embeddedRefreshSource());
  assert.equal(page.hotloop.refresh, first);
  assert.throws(() => page.run(`__hotloop.useRefreshRuntime({})`), /not a React Refresh runtime/);
});

test("exports wait for idle moments and are registered a slice at a time; an update registers what is left first", async () => {
  const idle = [];
  const page = createPage();
  // A page with idle callbacks, each with the idle time the test gives it.
  page.context.requestIdleCallback = (callback) => idle.push(callback);
  // One idle period: the callbacks waiting now, each given `ms` (its clock ticks at each look).
  const runIdle = (ms) => {
    for (const callback of idle.splice(0)) {
      let left = ms;
      callback({ didTimeout: false, timeRemaining: () => (left -= 0.5) });
    }
  };
  page.run(embeddedRefreshSource());
  // Components made by a HOC (registered through their exports, not by the transform).
  const COUNT = 300;
  const wrappedModules = Array.from({ length: COUNT }, (_, i) =>
    js(`/src/w${i}.jsx`, {}, esm({ default: "_default" }, `const _default = { $$typeof: Symbol.for("react.memo"), type: function W${i}() { return ${i}; } };
$RefreshReg$(function Unused() {}, "Unused");`)),
  );
  const entry = js(
    "/src/main.jsx",
    Object.fromEntries(wrappedModules.map((m) => [`./${m.id.slice(5)}`, m.id])),
    wrappedModules.map((m) => `require("./${m.id.slice(5)}");`).join("\n"),
  );
  const defines = [renderer, entry, ...wrappedModules]
    .map((m) => `__hotloop.define(${JSON.stringify(m.id)}, ${JSON.stringify(m.deps)}, ${m.code});`)
    .join("\n");
  page.run(`${defines}\n__hotloop.start(["/src/main.jsx"], {"revision":1,"serverId":"server-1"});`);
  await page.connect();
  const registered = () =>
    wrappedModules.filter((m) => page.run(`__hotloop.refresh.getFamilyByID(${JSON.stringify(`${m.id} export default`)}) !== undefined`)).length;
  assert.equal(registered(), 0, "not before an idle moment");
  runIdle(2);
  const first = registered();
  assert.ok(first > 0 && first < COUNT, `a slice: ${first}`);
  assert.ok(idle.length > 0, "the rest waits for the next idle moment");
  runIdle(2);
  assert.ok(registered() > first, "the next slice");
  // An update registers everything still waiting before it evaluates anything.
  await page.update(appUpdate(2, { text: "v2" }));
  assert.equal(registered(), COUNT);
  // The idle callback still scheduled finds nothing left.
  while (idle.length > 0) runIdle(50);
  assert.equal(registered(), COUNT);
});
